/* cmd_wit.c - `weft wit`: check a WIT package and its dependencies, or
 * print one of its worlds fully expanded. */
#include <stdio.h>
#include <string.h>

#include "cabi/wit.h"
#include "cli.h"

static const char usage[] =
    "usage: weft wit check [--world W] DIR\n"
    "       weft wit print [--world W] DIR\n"
    "\n"
    "Read the WIT package in DIR (its *.wit files, with dependencies in\n"
    "DIR/deps/) or in a single .wit file, and resolve every name in it.\n"
    "\n"
    "commands:\n"
    "  check    print nothing if the package is valid, else one error\n"
    "  print    print a world in WIT, with its includes expanded and\n"
    "           every interface it reaches\n"
    "\n"
    "options:\n"
    "  -w, --world W   the world: a name in the package, or\n"
    "                  ns:pkg/world[@version]; default: the package's\n"
    "                  only world (check: no world is required)\n"
    "  -h, --help      show this help\n"
    "\n"
    "exit status: 0 valid (or printed); 1 invalid package or I/O error;\n"
    "2 usage error.\n";

int cmd_wit(int argc, char **argv) {
  static const struct option opts[] = {
      {"world", required_argument, NULL, 'w'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  const char *world_name = NULL, *sub, *dir;
  const weft__wit_world_t *world;
  weft__wit_t *w = NULL;
  weft_error_t err;
  weft__buf_t out;
  int rc = WEFT_EXIT_FAIL, c;

  memset(&err, 0, sizeof err);
  weft__buf_init(&out);
  optind = 1;
  while ((c = getopt_long(argc, argv, "w:h", opts, NULL)) != -1) {
    switch (c) {
    case 'w':
      world_name = optarg;
      break;
    case 'h':
      fputs(usage, stdout);
      rc = WEFT_EXIT_OK;
      goto out;
    default:
      rc = cli_usage_error("wit", "bad option");
      goto out;
    }
  }
  if (optind >= argc) {
    rc = cli_usage_error("wit", "no command given (check or print)");
    goto out;
  }
  sub = argv[optind];
  if (strcmp(sub, "check") && strcmp(sub, "print")) {
    rc = cli_usage_error("wit", "unknown command '%s'", sub);
    goto out;
  }
  if (optind + 1 >= argc) {
    rc = cli_usage_error("wit", "no package directory given");
    goto out;
  }
  if (optind + 2 < argc) {
    rc = cli_usage_error("wit", "unexpected argument '%s'",
                         argv[optind + 2]);
    goto out;
  }
  dir = argv[optind + 1];
  if (weft__wit_load(dir, &w, &err)) {
    rc = cli_fail(&err);
    goto out;
  }
  if (!strcmp(sub, "check") && !world_name) {
    rc = WEFT_EXIT_OK;
    goto out;
  }
  world = weft__wit_world(w, world_name, &err);
  if (!world) {
    rc = cli_fail(&err);
    goto out;
  }
  if (!strcmp(sub, "check")) {
    rc = WEFT_EXIT_OK;
    goto out;
  }
  if (weft__wit_print_world(world, &out)) {
    cli_error("out of memory");
    goto out;
  }
  if (fwrite(out.data, 1, out.len, stdout) != out.len || fflush(stdout)) {
    cli_error("cannot write the output");
    goto out;
  }
  rc = WEFT_EXIT_OK;
out:
  weft__buf_release(&out);
  weft__wit_free(w);
  return rc;
}

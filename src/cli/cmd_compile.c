/* cmd_compile.c - `weft compile`: fill the cache, or write an artifact. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
    "usage: weft compile [options] MODULE.wasm...\n"
    "\n"
    "Compile modules ahead of time into the cache (see 'weft cache dir'),\n"
    "so that later loads are a dlopen, or into a self-contained artifact\n"
    "that 'weft run' accepts in place of the .wasm file.\n"
    "\n"
    "options:\n"
    "  -o, --output FILE   write the artifact to FILE (one module only)\n"
    "  -h, --help          show this help\n"
    "\n"
    "exit status: 0 compiled; 1 a module could not be compiled; 2 usage.\n";

int cmd_compile(int argc, char **argv) {
  static const struct option opts[] = {
      {"output", required_argument, NULL, 'o'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  const char *out = NULL;
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
    if (c == 'o') {
      out = optarg;
    } else if (c == 'h') {
      fputs(usage, stdout);
      return WEFT_EXIT_OK;
    } else {
      return cli_usage_error("compile", "bad option");
    }
  }
  if (optind >= argc)
    return cli_usage_error("compile", "no module given");
  if (out && argc - optind > 1)
    return cli_usage_error("compile", "-o takes one module");
  weft_engine_t *engine = cli_engine();
  int rc = WEFT_EXIT_OK;
  for (int i = optind; i < argc && rc == WEFT_EXIT_OK; i++) {
    weft_error_t err = {0};
    weft_module_t *m = weft_module_load_file(engine, argv[i], &err);
    if (!m || (out && weft_module_write_artifact(m, out, &err) < 0))
      rc = cli_fail(&err);
    weft_module_free(m);
  }
  weft_engine_free(engine);
  return rc;
}

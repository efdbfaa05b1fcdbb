/* cmd_bindgen.c - `weft bindgen c`: write C bindings (a header and its
 * glue) for one world of a WIT package, for guests built with clang. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cabi/bindgen.h"
#include "cabi/wit.h"
#include "cli.h"

static const char usage[] =
    "usage: weft bindgen c [--world W] -o OUTDIR WIT\n"
    "\n"
    "Write C bindings for a world of the WIT package WIT (a directory of\n"
    "*.wit files with dependencies in WIT/deps/, or a single .wit file):\n"
    "OUTDIR/<world>.h declares the world's imports and the functions you\n"
    "implement for its exports; OUTDIR/<world>.c is the glue to compile\n"
    "with your code:\n"
    "\n"
    "  clang --target=wasm32-wasi --sysroot=/usr -O2 "
    "-mexec-model=reactor \\\n"
    "    -I OUTDIR app.c OUTDIR/<world>.c -o app.wasm\n"
    "\n"
    "<world> is the world's name in snake_case.\n"
    "\n"
    "options:\n"
    "  -w, --world W   the world: a name in the package, or\n"
    "                  ns:pkg/world[@version]; default: the package's\n"
    "                  only world\n"
    "  -o, --out DIR   where to write the two files (created if missing)\n"
    "  -h, --help      show this help\n"
    "\n"
    "exit status: 0 written; 1 invalid package, a world C cannot express,\n"
    "or an I/O error; 2 usage error.\n";

/* Write `b` to dir/base.ext. */
static int write_out(const char *dir, const char *base, const char *ext,
                     const weft__buf_t *b, weft_error_t *err) {
  char path[4096];
  int n = snprintf(path, sizeof path, "%s/%s.%s", dir, base, ext);
  if (n < 0 || (size_t)n >= sizeof path)
    return WEFT_ERR(err, WEFT_EINVAL, "path too long '%s'", dir);
  return weft__write_file_atomic(path, b->data ? b->data : "", b->len, err);
}

int cmd_bindgen(int argc, char **argv) {
  static const struct option opts[] = {
      {"world", required_argument, NULL, 'w'},
      {"out", required_argument, NULL, 'o'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  const char *world_name = NULL, *out_dir = NULL, *lang, *dir;
  const weft__wit_world_t *world;
  weft__wit_t *w = NULL;
  weft_error_t err;
  weft__buf_t h, c;
  char *base = NULL;
  int rc = WEFT_EXIT_FAIL, opt;

  memset(&err, 0, sizeof err);
  weft__buf_init(&h);
  weft__buf_init(&c);
  optind = 1;
  while ((opt = getopt_long(argc, argv, "w:o:h", opts, NULL)) != -1) {
    switch (opt) {
    case 'w':
      world_name = optarg;
      break;
    case 'o':
      out_dir = optarg;
      break;
    case 'h':
      fputs(usage, stdout);
      rc = WEFT_EXIT_OK;
      goto out;
    default:
      rc = cli_usage_error("bindgen", "bad option");
      goto out;
    }
  }
  if (optind >= argc) {
    rc = cli_usage_error("bindgen", "no language given (c)");
    goto out;
  }
  lang = argv[optind];
  if (strcmp(lang, "c")) {
    rc = cli_usage_error("bindgen", "unknown language '%s'", lang);
    goto out;
  }
  if (optind + 1 >= argc) {
    rc = cli_usage_error("bindgen", "no WIT package given");
    goto out;
  }
  if (optind + 2 < argc) {
    rc = cli_usage_error("bindgen", "unexpected argument '%s'",
                         argv[optind + 2]);
    goto out;
  }
  if (!out_dir) {
    rc = cli_usage_error("bindgen", "no output directory given (-o)");
    goto out;
  }
  dir = argv[optind + 1];
  if (weft__wit_load(dir, &w, &err) ||
      !(world = weft__wit_world(w, world_name, &err)) ||
      weft__bindgen_c(w, world, &h, &c, &base, &err) ||
      weft__mkdirs(out_dir, &err) ||
      write_out(out_dir, base, "h", &h, &err) ||
      write_out(out_dir, base, "c", &c, &err)) {
    rc = cli_fail(&err);
    goto out;
  }
  rc = WEFT_EXIT_OK;
out:
  free(base);
  weft__buf_release(&h);
  weft__buf_release(&c);
  weft__wit_free(w);
  return rc;
}

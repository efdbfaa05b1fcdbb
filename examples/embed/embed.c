/* embed.c - embedding Weft: run a WASI command from C.
 *
 *   cc embed.c -lweft -o embed   (or see the Makefile's build/examples/embed)
 *   ./embed hello.wasm world
 */
#include <stdio.h>
#include <weft.h>

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: embed MODULE.wasm [ARGS...]\n");
    return 2;
  }
  weft_error_t err = {0};
  weft_engine_t *engine = weft_engine_new(NULL, &err);
  weft_module_t *module = engine ? weft_module_load_file(engine, argv[1], &err)
                                 : NULL;
  weft_linker_t *linker = module ? weft_linker_new(engine) : NULL;
  weft_wasi_config_t wasi = {.argc = argc - 1, .argv = (const char **)argv + 1,
                             .stdin_fd = 0, .stdout_fd = 1, .stderr_fd = 2};
  weft_instance_t *inst = NULL;
  if (linker && weft_linker_define_wasi(linker, &wasi, &err) == 0)
    inst = weft_instance_new(linker, module, NULL, &err);
  int rc = inst ? weft_instance_invoke(inst, "_start", NULL, 0, NULL, 0, &err)
                : -1;
  if (rc < 0 && err.code != WEFT_EEXIT)
    fprintf(stderr, "embed: %s\n", err.msg);
  weft_instance_free(inst);
  weft_linker_free(linker);
  weft_module_free(module);
  weft_engine_free(engine);
  return rc == 0 ? 0 : err.code == WEFT_EEXIT ? err.detail : 1;
}

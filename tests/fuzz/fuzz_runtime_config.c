/* fuzz_runtime_config.c - libFuzzer target for the runtime config file
 * (src/app/runtime_config.c).
 *
 * Parses each input with weft__runtime_config_parse; a rejected input must
 * come with one "fuzz/rc.toml" message, an accepted one must describe
 * stores that make sense (a label, a backend, a path for SQLite or a URL
 * for Redis). The input is copied into an exactly sized buffer. Seeds live
 * in tests/fuzz/corpus/runtime_config/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/runtime_config.h"

static void check(int cond) {
  if (!cond)
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  weft__runtime_config_t *rc = NULL;
  weft_error_t err;
  char *copy = malloc(size ? size : 1);
  if (!copy)
    return 0;
  if (size)
    memcpy(copy, data, size);
  memset(&err, 0, sizeof err);
  int r = weft__runtime_config_parse(copy, size, "fuzz/rc.toml", &rc, &err);
  if (r) {
    check(!rc && err.code == r);
    check(!strncmp(err.msg, "fuzz/rc.toml", 12) && !strchr(err.msg, '\n'));
  } else {
    for (size_t i = 0; i < rc->kv_stores_len; i++) {
      const weft__runtime_kv_t *s = &rc->kv_stores[i];
      check(s->label && *s->label);
      check(s->backend == WEFT__KV_SQLITE ? s->path != NULL
                                          : s->backend == WEFT__KV_REDIS &&
                                                s->url != NULL);
    }
    weft__runtime_config_free(rc);
  }
  free(copy);
  return 0;
}

/* fuzz_toml.c - libFuzzer target for the TOML parser (src/toml/).
 *
 * Parses each input with weft__toml_parse; a rejected input must come with
 * a "fuzz.toml:" message, an accepted one is walked: positions, depths and
 * parent links are checked and every lookup and typed getter is called on
 * every key. ASan and UBSan turn out-of-bounds reads, leaks and undefined
 * behaviour into crashes. The input is copied into an exactly sized buffer.
 * Seeds live in tests/fuzz/corpus/toml/, a dictionary in toml.dict.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "toml/toml.h"

/* Abort (so the fuzzer reports it) unless `cond`. */
static void check(int cond) {
  if (!cond)
    abort();
}

/* Visit `n` and its children, checking positions, depth and lookups. */
static void walk(const weft__toml_t *n) {
  weft_error_t err;
  weft__buf_t path;
  size_t i;
  check(n->line >= 1 && n->col >= 1);
  check(n->depth >= 0 && n->depth <= WEFT__TOML_MAX_DEPTH);
  check(!n->parent || n->depth == n->parent->depth + 1);
  weft__buf_init(&path);
  check(weft__toml_path(n, &path) == 0);
  weft__buf_release(&path);
  if (n->type == WEFT__TOML_ARRAY) {
    for (i = 0; i < weft__toml_array_len(n); i++) {
      const weft__toml_t *e = weft__toml_array_at(n, i);
      check(e && e->parent == n && e->index == i);
      walk(e);
    }
    check(!weft__toml_array_at(n, i));
  }
  if (n->type != WEFT__TOML_TABLE)
    return;
  for (i = 0; i < weft__toml_table_len(n); i++) {
    const weft__toml_kv_t *kv = weft__toml_table_at(n, i);
    const char *s;
    int64_t v;
    double f;
    bool b;
    const weft__toml_t *t;
    check(kv && kv->line >= 1 && kv->col >= 1 && kv->key[kv->key_len] == 0);
    check(weft__toml_getn(n, kv->key, kv->key_len) == kv->value);
    check(kv->value->parent == n && kv->value->key == kv->key);
    if (!memchr(kv->key, 0, kv->key_len)) {
      check(weft__toml_get_kv(n, kv->key) == kv);
      weft__toml_get_string(n, kv->key, &s, &err);
      weft__toml_get_int(n, kv->key, &v, &err);
      weft__toml_get_float(n, kv->key, &f, &err);
      weft__toml_get_bool(n, kv->key, &b, &err);
      weft__toml_get_table(n, kv->key, &t, &err);
      weft__toml_get_array(n, kv->key, &t, &err);
    }
    walk(kv->value);
  }
  {
    static const char *const none[] = {NULL};
    weft__toml_check_keys(n, none, &err);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parse one input; always returns 0 (libFuzzer's contract). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  weft__toml_t *root = NULL;
  weft_error_t err;
  char *copy = malloc(size ? size : 1);
  int rc;
  if (!copy)
    return 0;
  if (size)
    memcpy(copy, data, size);
  memset(&err, 0, sizeof err);
  rc = weft__toml_parse(copy, size, "fuzz.toml", &root, &err);
  if (rc) {
    check(!root && err.code == rc);
    check(!strncmp(err.msg, "fuzz.toml:", 10));
  } else {
    walk(root);
    weft__toml_free(root);
  }
  free(copy);
  return 0;
}

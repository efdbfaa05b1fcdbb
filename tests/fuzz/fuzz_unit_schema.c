/* fuzz_unit_schema.c - libFuzzer target for a unit's schema file (S.toml,
 * src/unit/schema.c).
 *
 * Parses each input with weft__uschema_parse, text only, no disk. A
 * rejected input must come with one "fuzz.toml" message; an accepted one
 * is walked (every key named, found by name, of a known type, records'
 * fields sorted) and a few values are checked against every key's type.
 * ASan and UBSan turn out-of-bounds reads, leaks and undefined behaviour
 * into crashes. Seeds live in tests/fuzz/corpus/unit_schema/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "unit/unit.h"

static void check(int cond) {
  if (!cond)
    abort();
}

static void walk_type(const weft__utype_t *t) {
  check(t->type >= WEFT__UV_INT && t->type <= WEFT__UV_RECORD);
  if (t->type == WEFT__UV_INT)
    check(t->min <= t->max);
  if (t->type == WEFT__UV_LIST) {
    check(t->item != NULL);
    walk_type(t->item);
  }
  for (size_t i = 0; t->type == WEFT__UV_RECORD && i < t->nfields; i++) {
    check(t->fields[i].name != NULL);
    if (i)
      check(strcmp(t->fields[i - 1].name, t->fields[i].name) < 0);
    walk_type(&t->fields[i].type);
  }
}

/* A few values of each shape, checked against `t`: never a crash. */
static void try_values(const weft__utype_t *t) {
  static const uint8_t text[] = "hello";
  weft__uval_t items[2] = {{.type = WEFT__UV_INT, .i = 3},
                           {.type = WEFT__UV_TEXT, .ptr = text, .len = 5}};
  weft__uval_t fields[2] = {
      {.type = WEFT__UV_INT, .i = -1, .name = "a", .name_len = 1},
      {.type = WEFT__UV_BOOL, .i = 1, .name = "b", .name_len = 1}};
  weft__uval_t vals[] = {
      {.type = WEFT__UV_INT, .i = INT64_MIN},
      {.type = WEFT__UV_INT, .i = 0},
      {.type = WEFT__UV_TEXT, .ptr = text, .len = 5},
      {.type = WEFT__UV_BOOL, .i = 1},
      {.type = WEFT__UV_BYTES, .ptr = text, .len = 0},
      {.type = WEFT__UV_LIST, .items = items, .n = 2},
      {.type = WEFT__UV_RECORD, .items = fields, .n = 2}};
  char msg[128];
  for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
    int r = weft__utype_check(t, &vals[i], msg, sizeof msg);
    check(r == 0 || r == 1);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parse one input; always returns 0 (libFuzzer's contract). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *copy = malloc(size ? size : 1);
  if (!copy)
    return 0;
  if (size)
    memcpy(copy, data, size);
  weft__uschema_t *s = NULL;
  weft_error_t err;
  memset(&err, 0, sizeof err);
  int rc = weft__uschema_parse(copy, size, "fuzz.toml", &s, &err);
  if (rc) {
    check(!s && err.code == rc);
    check(!strncmp(err.msg, "fuzz.toml", 9) && !strchr(err.msg, '\n'));
  } else {
    for (size_t i = 0; i < s->nkeys; i++) {
      check(s->keys[i].name != NULL);
      check(weft__uschema_key(s, s->keys[i].name) == &s->keys[i]);
      walk_type(&s->keys[i].type);
      try_values(&s->keys[i].type);
    }
    weft__uschema_free(s);
  }
  free(copy);
  return 0;
}

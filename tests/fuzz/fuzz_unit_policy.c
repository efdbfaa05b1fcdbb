/* fuzz_unit_policy.c - libFuzzer target for a unit's policy file (P.toml,
 * src/unit/policy.c).
 *
 * Parses each input with weft__upolicy_parse, text only, no disk: once
 * without a schema and once against a fixed one (keys n, s), as `weft
 * unit new` does. A rejected input must come with one "fuzz.toml"
 * message; an accepted one is walked (limits in range, every rule named)
 * and asked who may send a few kinds, and one write is admitted or denied
 * under it. ASan and UBSan turn out-of-bounds reads, leaks and undefined
 * behaviour into crashes. Seeds live in tests/fuzz/corpus/unit_policy/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "unit/unit.h"

static void check(int cond) {
  if (!cond)
    abort();
}

static const char schema_text[] =
    "[key.n]\ntype = \"integer\"\nmin = 0\n"
    "[key.s]\ntype = \"string\"\nmax_length = 8\n";

static void walk(const weft__upolicy_t *p, const weft__uschema_t *s) {
  static const uint8_t owner[WEFT__PK_LEN] = {1}, other[WEFT__PK_LEN] = {2};
  static const char *const kinds[] = {"add", "deposit", "message", ""};
  check(p->deadline_ns > 0 && p->max_memory >= 65536);
  check(p->max_per_step >= 1 && p->max_per_step <= 1000000);
  for (size_t i = 0; i < p->nmsgs; i++)
    check(p->msgs[i].kind != NULL);
  for (size_t i = 0; i < p->nkeys; i++)
    check(p->keys[i].key != NULL &&
          weft__upolicy_key(p, p->keys[i].key) != NULL);
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
    (void)weft__upolicy_may_send(p, owner, kinds[i], owner);
    (void)weft__upolicy_may_send(p, owner, kinds[i], other);
  }
  (void)weft__uwho_has(&p->hosts, owner, other);
  (void)weft__uwho_has(&p->admins, owner, owner);
  if (!s)
    return;
  /* n: 5 -> 7 within one cycle, by the owner. */
  const uint8_t five[] = {1, 0, 0, 0, 0, 0, 0, 0, 5};
  const uint8_t seven[] = {1, 0, 0, 0, 0, 0, 0, 0, 7};
  weft__uwrite_t w = {.key = "n", .now = five, .now_len = sizeof five,
                      .start = five, .start_len = sizeof five,
                      .val = seven, .val_len = sizeof seven,
                      .by_owner = true};
  weft__udenial_t d;
  check(weft__unit_admit(s, p, &w, &d) >= 0);
  w.val = NULL;
  w.val_len = 0;
  check(weft__unit_admit(s, p, &w, &d) >= 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parse one input; always returns 0 (libFuzzer's contract). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static weft__uschema_t *schema;
  if (!schema &&
      weft__uschema_parse(schema_text, strlen(schema_text), "s.toml",
                          &schema, NULL) < 0)
    abort();
  char *copy = malloc(size ? size : 1);
  if (!copy)
    return 0;
  if (size)
    memcpy(copy, data, size);
  for (int pass = 0; pass < 2; pass++) {
    const weft__uschema_t *s = pass ? schema : NULL;
    weft__upolicy_t *p = NULL;
    weft_error_t err;
    memset(&err, 0, sizeof err);
    int rc = weft__upolicy_parse(copy, size, "fuzz.toml", s, &p, &err);
    if (rc) {
      check(!p && err.code == rc);
      check(!strncmp(err.msg, "fuzz.toml", 9) && !strchr(err.msg, '\n'));
    } else {
      walk(p, s);
      weft__upolicy_free(p);
    }
  }
  free(copy);
  return 0;
}

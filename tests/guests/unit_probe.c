/* unit_probe.c - a unit guest for the tests (tests/e2e/t7000-unit.sh):
 * each cycle bumps `n`, stores a random number in `r` and a string in
 * `s`, and writes a heap buffer so memory pages change; a message of kind
 * "trap" traps, "fail" returns an error, "loop" spins past the deadline,
 * "write" sets key `w` to the body (a decimal integer) and reports the
 * verdict. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

static char *heap;
static unsigned long counter;

static int set(const char *key, weft_unit_types_value_t *v, char *why,
               size_t cap) {
  unit_string_t k;
  unit_result_void_denial_t r;
  unit_string_set(&k, key);
  weft_unit_state_set(&k, v, &r);
  int denied = r.is_err;
  if (denied)
    snprintf(why, cap, "%.*s", (int)r.val.err.rule.len,
             (const char *)r.val.err.rule.ptr);
  unit_result_void_denial_free(&r);
  return denied;
}

static int is(const weft_unit_types_message_t *m, const char *kind) {
  return m->kind.len == strlen(kind) && !memcmp(m->kind.ptr, kind, m->kind.len);
}

void exports_unit_cycle(weft_unit_types_cycle_input_t *input,
                        unit_result_cycle_output_string_t *ret) {
  char line[160] = "";
  if (!heap)
    heap = calloc(1, 20000);
  counter++;
  memset(heap + (counter * 4096) % 16384, (int)counter, 100);
  weft_unit_types_value_t v = {.tag = WEFT_UNIT_TYPES_VALUE_INTEGER};
  char why[64];
  v.val.integer = (int64_t)counter;
  set("n", &v, why, sizeof why);
  v.val.integer = (int64_t)(weft_unit_random_next() >> 2);
  set("r", &v, why, sizeof why);
  weft_unit_types_value_t s = {.tag = WEFT_UNIT_TYPES_VALUE_TEXT};
  unit_string_set(&s.val.text, "hello");
  set("s", &s, why, sizeof why);
  for (size_t i = 0; i < input->messages.len; i++) {
    weft_unit_types_message_t *m = &input->messages.ptr[i];
    if (is(m, "trap"))
      __builtin_trap();
    if (is(m, "loop"))
      for (volatile int x = 0;; x++)
        ;
    if (is(m, "fail")) {
      ret->is_err = true;
      unit_string_dup(&ret->val.err, "asked to fail");
      return;
    }
    if (is(m, "write")) {
      char buf[32] = {0};
      memcpy(buf, m->body.ptr, m->body.len < 31 ? m->body.len : 31);
      v.val.integer = strtoll(buf, NULL, 10);
      if (set("w", &v, why, sizeof why))
        snprintf(line, sizeof line, "w denied: %s", why);
      else
        snprintf(line, sizeof line, "w=%lld", (long long)v.val.integer);
    }
  }
  if (!line[0])
    snprintf(line, sizeof line, "n=%lu", counter);
  ret->is_err = false;
  unit_string_dup(&ret->val.ok.summary, line);
}

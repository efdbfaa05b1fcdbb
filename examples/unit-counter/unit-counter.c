/* unit-counter.c - a resident unit that counts: each cycle adds 1 to
 * `count` and asks for its next cycle a second later; a message of kind
 * "add" with a decimal body asks to add that much instead. The policy
 * (policy.toml) lets `count` grow by at most 5 a cycle and never shrink,
 * so an "add 10" is denied and the unit says so in its summary. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

static int64_t get_int(const char *key, int64_t dflt) {
  unit_string_t k;
  unit_option_value_t v;
  unit_string_set(&k, key);
  weft_unit_state_get(&k, &v);
  int64_t out = dflt;
  if (v.is_some && v.val.tag == WEFT_UNIT_TYPES_VALUE_INTEGER)
    out = v.val.val.integer;
  unit_option_value_free(&v);
  return out;
}

/* Set `key` to `n`; on a denial, write the rule into `why`. */
static int set_int(const char *key, int64_t n, char *why, size_t cap) {
  unit_string_t k;
  weft_unit_types_value_t v = {.tag = WEFT_UNIT_TYPES_VALUE_INTEGER};
  unit_result_void_denial_t r;
  unit_string_set(&k, key);
  v.val.integer = n;
  weft_unit_state_set(&k, &v, &r);
  int denied = r.is_err;
  if (denied)
    snprintf(why, cap, "%.*s", (int)r.val.err.rule.len,
             (const char *)r.val.err.rule.ptr);
  unit_result_void_denial_free(&r);
  return denied;
}

void exports_unit_cycle(weft_unit_types_cycle_input_t *input,
                        unit_result_cycle_output_string_t *ret) {
  int64_t step = 1;
  for (size_t i = 0; i < input->messages.len; i++) {
    weft_unit_types_message_t *m = &input->messages.ptr[i];
    if (m->kind.len == 3 && !memcmp(m->kind.ptr, "add", 3)) {
      char buf[32] = {0};
      size_t n = m->body.len < 31 ? m->body.len : 31;
      memcpy(buf, m->body.ptr, n);
      step = strtoll(buf, NULL, 10);
    }
  }
  int64_t count = get_int("count", 0);
  char why[64] = "", line[128];
  if (set_int("count", count + step, why, sizeof why))
    snprintf(line, sizeof line, "count=%lld (+%lld denied: %s)",
             (long long)count, (long long)step, why);
  else
    snprintf(line, sizeof line, "count=%lld", (long long)(count + step));
  weft_unit_schedule_after(1000);
  ret->is_err = false;
  unit_string_dup(&ret->val.ok.summary, line);
}

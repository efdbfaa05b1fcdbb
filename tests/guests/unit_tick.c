/* unit_tick.c - a unit guest for tests/e2e/t7300-unit-step.sh: each cycle
 * bumps `n`, records the cycle's time in `t` and asks for its next cycle
 * 100 ms later, so a unit left alone falls behind its schedule and a step
 * with a max_per_step above 1 catches up. Its summary is "n=N t=T" and
 * lists the kinds of the messages it was given. */
#include <stdio.h>
#include <string.h>

#include "unit.h"

static int64_t n;

void exports_unit_cycle(weft_unit_types_cycle_input_t *input,
                        unit_result_cycle_output_string_t *ret) {
  char line[200];
  int len = snprintf(line, sizeof line, "n=%lld t=%llu", (long long)++n,
                     (unsigned long long)input->now_ms);
  for (size_t i = 0; i < input->messages.len && len < 150; i++)
    len += snprintf(line + len, sizeof line - (size_t)len, " got=%.*s",
                    (int)input->messages.ptr[i].kind.len,
                    (const char *)input->messages.ptr[i].kind.ptr);
  weft_unit_types_value_t v = {.tag = WEFT_UNIT_TYPES_VALUE_INTEGER};
  unit_string_t k;
  unit_result_void_denial_t r;
  v.val.integer = n;
  unit_string_set(&k, "n");
  weft_unit_state_set(&k, &v, &r);
  unit_result_void_denial_free(&r);
  weft_unit_schedule_after(100);
  ret->is_err = false;
  unit_string_dup(&ret->val.ok.summary, line);
}

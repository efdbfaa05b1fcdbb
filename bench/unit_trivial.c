/* unit_trivial.c - the unit guest of bench/unit.sh: a trivial cycle that
 * bumps a counter in its memory, writes it to key `n` and asks for its
 * next cycle at once, so a resident host cycles it back to back. */
#include "unit.h"

static int64_t counter;

void exports_unit_cycle(weft_unit_types_cycle_input_t *input,
                        unit_result_cycle_output_string_t *ret) {
  (void)input;
  weft_unit_types_value_t v = {.tag = WEFT_UNIT_TYPES_VALUE_INTEGER};
  unit_string_t k;
  unit_result_void_denial_t r;
  v.val.integer = ++counter;
  unit_string_set(&k, "n");
  weft_unit_state_set(&k, &v, &r);
  unit_result_void_denial_free(&r);
  weft_unit_schedule_after(0);
  ret->is_err = false;
  unit_string_dup(&ret->val.ok.summary, "ok");
}

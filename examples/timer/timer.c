/* timer.c - a Spin timer component in C: each time the timer fires it
 * reads the app variable `message` and prints it. Built with the shipped
 * bindings (sdk/c) by `weft build` in this directory (see spin.toml).
 */
#include <stdio.h>

#include "spin_timer.h"

void exports_spin_timer_handle_timer_request(void) {
  spin_timer_string_t name;
  spin_timer_result_string_error_t value;

  spin_timer_string_set(&name, "message");
  fermyon_spin_variables_get(&name, &value);
  if (value.is_err)
    printf("tick (no message: error %d)\n", value.val.err.tag);
  else
    printf("tick: %.*s\n", (int)value.val.ok.len, (char *)value.val.ok.ptr);
  spin_timer_result_string_error_free(&value);
}

/* timer_trap.c - a spin-timer component that prints "tick" and then traps
 * on every call: the timer must log the trap and keep firing. */
#include <stdio.h>

#include "spin_timer.h"

void exports_spin_timer_handle_timer_request(void) {
  printf("tick\n");
  fflush(stdout);
  __builtin_trap();
}

/* timer_count.c - a spin-timer component that prints "tick" on stdout
 * each time the timer fires, so a test counts the calls by counting
 * lines (the instance is reset between calls: it cannot count itself). */
#include <stdio.h>

#include "spin_timer.h"

void exports_spin_timer_handle_timer_request(void) {
  printf("tick\n");
  fflush(stdout);
}

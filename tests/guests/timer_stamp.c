/* timer_stamp.c - a timer component that writes, as the first thing each
 * call does, the host's CLOCK_MONOTONIC in nanoseconds on a line of its
 * stdout (WASI clock_time_get is clock_gettime on the host, so the value
 * compares with any host process's clock). bench/trigger-latency.sh reads
 * these stamps from the component's log to time each event.
 *
 * One module serves both timers the benchmark compares: the built-in
 * timer's world spin-timer (handle-timer-request, through sdk/c's glue)
 * and weft-trigger-ticker's world weft:ticker/ticker
 * (examples/trigger-ticker/ticker.wit: `tick: func(n: u64)`, whose core
 * export is "tick" with one i64, written by hand here). Each world's
 * check only asks for its own export. */
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "spin_timer.h"

static void stamp(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  printf("%" PRIu64 "\n",
         (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec);
  fflush(stdout);
}

void exports_spin_timer_handle_timer_request(void) { stamp(); }

/* weft:ticker/ticker's tick(n), lowered: n is not needed. */
__attribute__((export_name("tick"))) void timer_stamp_tick(int64_t n) {
  (void)n;
  stamp();
}

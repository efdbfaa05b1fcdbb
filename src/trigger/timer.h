/* timer.h - the timer trigger ([[trigger.timer]], the world spin-timer of
 * fermyon:example): every interval, call the component's
 * `handle-timer-request` in a fresh instance from its pool. A call that
 * traps or fails is logged on stderr with the component and the reason,
 * and the timer goes on. One thread for all timers, which makes the calls
 * itself: fires missed while a call runs are skipped, not queued. */
#ifndef WEFT_TRIGGER_TIMER_H
#define WEFT_TRIGGER_TIMER_H

#include <stddef.h>
#include <stdint.h>

#include "trigger/pool.h"
#include "weft.h"

typedef struct weft__timer_target {
  weft__pool_t *pool;
  const char *component_id;
  uint64_t interval_ns;  /* interval_secs * 1e9 / speedup; > 0 */
} weft__timer_target_t;

typedef struct weft__timer weft__timer_t;

/* Start the timers (borrowed for their life). Each first fires one
 * interval after the start. */
int weft__timer_start(const weft__timer_target_t *targets, size_t n,
                      weft__timer_t **out, weft_error_t *err);
/* Stop: a call in progress finishes first. NULL is ignored. */
void weft__timer_stop(weft__timer_t *t);

#endif

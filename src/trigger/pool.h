/* pool.h - a bounded pool of ready instances of one component, so each
 * event gets a fresh instance without paying for instantiation: an
 * instance is reset (memory zeroed and re-initialised, handles dropped)
 * when it is given back, off the caller's path.
 *
 * At most `max_instances` exist at once. When all are busy a taker waits,
 * at most `max_waiting` of them at a time and each for at most `wait_ns`;
 * past either bound weft__pool_take fails with WEFT_ELIMIT, which an HTTP
 * trigger answers with 503. Thread-safe. */
#ifndef WEFT_TRIGGER_POOL_H
#define WEFT_TRIGGER_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "weft.h"

typedef struct weft__pool weft__pool_t;

typedef struct weft__pool_config {
  size_t max_instances; /* 0: 64 */
  size_t max_waiting;   /* 0: 4 * max_instances */
  uint64_t wait_ns;     /* 0: 5 s */
  weft_limits_t limits; /* for each instance */
} weft__pool_config_t;

/* A pool of instances of `module` linked by `linker` (both borrowed for
 * the pool's life). Makes one instance at once, so that a module that
 * cannot be instantiated fails here, with its error. */
weft__pool_t *weft__pool_new(weft_linker_t *linker, weft_module_t *module,
                             const weft__pool_config_t *cfg,
                             weft_error_t *err);
/* An instance ready for one event (its _initialize run, if it has one). */
weft_instance_t *weft__pool_take(weft__pool_t *pool, weft_error_t *err);
/* The same without waiting: NULL with WEFT_ELIMIT at once when all
 * `max_instances` are busy (so a caller that must not block can hand the
 * event to a thread that may wait in weft__pool_take). */
weft_instance_t *weft__pool_try_take(weft__pool_t *pool, weft_error_t *err);
/* Give back an instance after its event: it is reset for the next one
 * (freed instead if the reset fails). */
void weft__pool_give(weft__pool_t *pool, weft_instance_t *inst);
/* The per-call deadline of the pool's instances (limits.deadline_ns; 0:
 * none): a trigger gives one event this long (weft__rt_event_begin). */
uint64_t weft__pool_deadline_ns(const weft__pool_t *pool);
/* Free the pool and its idle instances; none may be taken. */
void weft__pool_free(weft__pool_t *pool);

#endif

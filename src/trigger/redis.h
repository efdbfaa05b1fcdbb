/* redis.h - the Redis trigger ([[trigger.redis]]): subscribe to each
 * channel and call the component's `handle-message` (fermyon:spin
 * inbound-redis) with each message, in a fresh instance from its pool.
 *
 * One connection and thread per Redis server (addresses differing only in
 * the database share one); its messages are handled one at a time, in
 * order, and each goes to every target of its channel. When Redis goes
 * away the trigger says so once on stderr and reconnects with backoff
 * (100 ms, doubling up to 5 s), then subscribes again; messages published
 * while it was away are lost, as with any Redis pub/sub subscriber. An
 * error returned by the guest, or a trap, is logged on stderr and the next
 * message is handled. */
#ifndef WEFT_TRIGGER_REDIS_H
#define WEFT_TRIGGER_REDIS_H

#include <stddef.h>

#include "trigger/pool.h"
#include "weft.h"

typedef struct weft__redis_target {
  weft__pool_t *pool;
  const char *component_id;
  const char *address;  /* redis://host[:port][/db] */
  const char *channel;
} weft__redis_target_t;

typedef struct weft__redis weft__redis_t;

/* Connect and subscribe (borrowed for the trigger's life). Fails when an
 * address is malformed; a server that is down at the start is retried
 * like one that went away. */
int weft__redis_start(const weft__redis_target_t *targets, size_t n,
                      weft__redis_t **out, weft_error_t *err);
/* Whether every connection is subscribed now: Redis has confirmed each
 * of its channels (tests wait on it). */
int weft__redis_ready(const weft__redis_t *r);
/* Stop: wake every thread (a call in progress finishes first), close the
 * connections, which ends their subscriptions, and free. Never waits for
 * Redis. NULL is ignored. */
void weft__redis_stop(weft__redis_t *r);

#endif

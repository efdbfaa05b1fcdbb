/* flow_remote.h - the Redis side of a remote edge (transport = "redis";
 * flow_remote.c): the producing process appends the edge's elements to a
 * Redis Stream, the consuming process reads them with a consumer group,
 * acknowledges them once everything derived from them has left the
 * process, and drops the ones it already delivered. Private to the flow
 * runtime; docs/flows.md ("Edges across hosts") and
 * docs/internals/flows.md explain the design. */
#ifndef WEFT_FLOW_FLOW_REMOTE_H
#define WEFT_FLOW_FLOW_REMOTE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "flow/flow.h"
#include "flow/flow_queue.h"
#include "weft.h"

typedef struct weft__flow_remote weft__flow_remote_t;

/* Counters of one side of a remote edge, for the report. */
typedef struct weft__flow_remote_stats {
  uint64_t sent, received, duplicates, acked, retries;
} weft__flow_remote_stats_t;

/* One side of remote edge `edge` of `flow` (both borrowed for the
 * side's life): `writer` true for the producing side. `consumer` names
 * this process in the group (borrowed; NULL: "<host>-<pid>"); messages
 * about Redis (failures and retries) are written to `log_fd`; `stop` (may
 * be NULL) ends retrying. Connects, creates the group if needed
 * (XGROUP CREATE ... MKSTREAM) and, for a reader, loads the last
 * sequence delivered. NULL with *err set when the side cannot be made
 * (a Redis failure is retried first, until *stop). Free with
 * weft__flow_remote_free. */
weft__flow_remote_t *weft__flow_remote_new(
    const weft__flow_t *flow, const weft__flow_edge_t *edge, bool writer,
    const char *consumer, int log_fd, const volatile sig_atomic_t *stop,
    weft_error_t *err);
void weft__flow_remote_free(weft__flow_remote_t *rm);

/* Writer: may `n` more elements be sent now? False while the group has
 * max_len/2 entries not yet acknowledged (checked at most every
 * millisecond). */
bool weft__flow_remote_room(weft__flow_remote_t *rm);
/* Writer: append `n` elements (borrowed) to the stream, numbered on from
 * the edge's last one. 0, or a negative code with *err when Redis failed
 * and retrying was stopped. */
int weft__flow_remote_send(weft__flow_remote_t *rm,
                           const weft__flow_elem_t *es, size_t n,
                           weft_error_t *err);
/* Writer: append the end-of-stream marker. 0 or an error as above. */
int weft__flow_remote_send_end(weft__flow_remote_t *rm, weft_error_t *err);

/* Reader: read up to `max` new elements into `out` (the caller owns
 * them; buffers from `pool`), claiming those other consumers of the
 * group have left pending for claim_idle_ms (checked every
 * claim_idle_ms/2). Entries already delivered are dropped (and
 * acknowledged with the next batch). *got is how many were read, *end
 * true once the end marker was read and no other consumer holds entries
 * pending. Call only when everything read is acknowledged. 0 or an error
 * as above. */
int weft__flow_remote_recv(weft__flow_remote_t *rm, weft__flow_pool_t *pool,
                           weft__flow_elem_t *out, size_t max, size_t *got,
                           bool *end, weft_error_t *err);
/* Reader: acknowledge every entry read so far (XACK) and record the last
 * sequence delivered, in one transaction. Call only when everything read
 * has left the process. 0 or an error as above. */
int weft__flow_remote_ack(weft__flow_remote_t *rm, weft_error_t *err);
/* Reader: are there read entries not yet acknowledged? */
bool weft__flow_remote_unacked(const weft__flow_remote_t *rm);

const weft__flow_remote_stats_t *weft__flow_remote_stats(
    const weft__flow_remote_t *rm);

#endif

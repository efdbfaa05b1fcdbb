/* flow_queue.h - the elements a flow carries and the bounded queue on each
 * edge, with the four backpressure policies (flow_queue.c).
 *
 * An element holds one reference to its buffer and its metadata; its
 * content type is kept inline when short, so moving an element from node
 * to node allocates nothing. A queue is a ring of a fixed depth; what it
 * does when full is its policy: block (the producer must wait), drop the
 * oldest, drop the newest, or fail. */
#ifndef WEFT_FLOW_FLOW_QUEUE_H
#define WEFT_FLOW_FLOW_QUEUE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "flow/flow.h"
#include "flow/flow_buffer.h"

#define WEFT__FLOW_CTYPE_INLINE 46

typedef struct weft__flow_elem {
  weft__flow_buf_t *buf; /* one reference; NULL only in an empty slot */
  uint64_t seq;
  uint64_t ts_ns;
  uint64_t born_ns;      /* when its source emitted it, if timed; else 0 */
  char *ctype_long;      /* content type when too long for ctype */
  uint8_t ctype_len;     /* bytes in ctype (when ctype_long is NULL) */
  char ctype[WEFT__FLOW_CTYPE_INLINE + 1];
} weft__flow_elem_t;

/* Set the element's content type to `len` bytes of `s`. 0 or
 * WEFT_ENOMEM. */
int weft__flow_elem_set_ctype(weft__flow_elem_t *e, const char *s,
                              size_t len);
/* The element's content type (NUL-terminated) and its length. */
static inline const char *weft__flow_elem_ctype(const weft__flow_elem_t *e,
                                                size_t *len) {
  if (e->ctype_long) {
    *len = strlen(e->ctype_long);
    return e->ctype_long;
  }
  *len = e->ctype_len;
  return e->ctype;
}
/* A second element sharing `e`'s buffer (one more reference). 0 or
 * WEFT_ENOMEM. */
int weft__flow_elem_share(const weft__flow_elem_t *e, weft__flow_elem_t *out);
/* Release the buffer reference and the content type; `e` becomes empty. */
void weft__flow_elem_clear(weft__flow_pool_t *pool, weft__flow_elem_t *e);

typedef struct weft__flow_queue {
  weft__flow_elem_t *slots;
  uint32_t depth, head, len;
  weft__flow_backpressure_t policy;
  uint64_t pushed, dropped, high_water;
} weft__flow_queue_t;

/* What weft__flow_queue_offer did with an element. */
typedef enum weft__flow_offer {
  WEFT__OFFER_QUEUED = 0,  /* taken */
  WEFT__OFFER_FULL,        /* block: full, not taken (the caller keeps it) */
  WEFT__OFFER_DROPPED,     /* drop-newest: full, the element was released;
                              drop-oldest: taken, the oldest released */
  WEFT__OFFER_ERROR        /* error: full, not taken */
} weft__flow_offer_t;

/* An empty queue of `depth` slots (at least 1) with `policy`. 0 or
 * WEFT_ENOMEM. */
int weft__flow_queue_init(weft__flow_queue_t *q, uint32_t depth,
                          weft__flow_backpressure_t policy);
/* Release every queued element and the slots. */
void weft__flow_queue_release(weft__flow_queue_t *q, weft__flow_pool_t *pool);

static inline bool weft__flow_queue_full(const weft__flow_queue_t *q) {
  return q->len >= q->depth;
}
/* Below half its depth: where a paused source is told ready again. */
static inline bool weft__flow_queue_below_half(const weft__flow_queue_t *q) {
  return 2 * q->len < q->depth;
}

/* Offer `e` (moved in when taken or dropped; left to the caller on FULL
 * and ERROR). See weft__flow_offer_t. */
weft__flow_offer_t weft__flow_queue_offer(weft__flow_queue_t *q,
                                          weft__flow_pool_t *pool,
                                          weft__flow_elem_t *e);
/* Take the oldest element into *e; false when empty. */
bool weft__flow_queue_pop(weft__flow_queue_t *q, weft__flow_elem_t *e);

#endif

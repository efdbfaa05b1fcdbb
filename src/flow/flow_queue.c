/* flow_queue.c - elements and the bounded edge queues (flow_queue.h). */
#include <stdlib.h>
#include <string.h>

#include "flow/flow_queue.h"

int weft__flow_elem_set_ctype(weft__flow_elem_t *e, const char *s,
                              size_t len) {
  free(e->ctype_long);
  e->ctype_long = NULL;
  if (len <= WEFT__FLOW_CTYPE_INLINE) {
    if (len)
      memcpy(e->ctype, s, len);
    e->ctype[len] = 0;
    e->ctype_len = (uint8_t)len;
    return 0;
  }
  e->ctype_len = 0;
  e->ctype[0] = 0;
  return (e->ctype_long = weft__strndup(s, len)) ? 0 : WEFT_ENOMEM;
}

int weft__flow_elem_share(const weft__flow_elem_t *e, weft__flow_elem_t *out) {
  *out = *e;
  if (e->ctype_long && !(out->ctype_long = weft__strdup(e->ctype_long)))
    return WEFT_ENOMEM;
  if (out->buf)
    weft__flow_buf_retain(out->buf);
  return 0;
}

void weft__flow_elem_clear(weft__flow_pool_t *pool, weft__flow_elem_t *e) {
  weft__flow_buf_release(pool, e->buf);
  free(e->ctype_long);
  e->buf = NULL;
  e->ctype_long = NULL;
  e->ctype_len = 0;
  e->ctype[0] = 0;
}

int weft__flow_queue_init(weft__flow_queue_t *q, uint32_t depth,
                          weft__flow_backpressure_t policy) {
  memset(q, 0, sizeof *q);
  q->depth = depth ? depth : 1;
  q->policy = policy;
  q->slots = calloc(q->depth, sizeof *q->slots);
  return q->slots ? 0 : WEFT_ENOMEM;
}

void weft__flow_queue_release(weft__flow_queue_t *q, weft__flow_pool_t *pool) {
  weft__flow_elem_t e;
  while (weft__flow_queue_pop(q, &e))
    weft__flow_elem_clear(pool, &e);
  free(q->slots);
  q->slots = NULL;
}

static void push(weft__flow_queue_t *q, weft__flow_elem_t *e) {
  uint32_t tail = q->head + q->len;
  if (tail >= q->depth)
    tail -= q->depth;
  q->slots[tail] = *e;
  q->len++;
  q->pushed++;
  if (q->len > q->high_water)
    q->high_water = q->len;
}

weft__flow_offer_t weft__flow_queue_offer(weft__flow_queue_t *q,
                                          weft__flow_pool_t *pool,
                                          weft__flow_elem_t *e) {
  if (q->len < q->depth) {
    push(q, e);
    return WEFT__OFFER_QUEUED;
  }
  switch (q->policy) {
  case WEFT__FLOW_BP_DROP_OLDEST: {
    weft__flow_elem_t old;
    weft__flow_queue_pop(q, &old);
    weft__flow_elem_clear(pool, &old);
    q->dropped++;
    push(q, e);
    return WEFT__OFFER_DROPPED;
  }
  case WEFT__FLOW_BP_DROP_NEWEST:
    weft__flow_elem_clear(pool, e);
    q->dropped++;
    return WEFT__OFFER_DROPPED;
  case WEFT__FLOW_BP_ERROR:
    return WEFT__OFFER_ERROR;
  default:
    return WEFT__OFFER_FULL;
  }
}

bool weft__flow_queue_pop(weft__flow_queue_t *q, weft__flow_elem_t *e) {
  if (!q->len)
    return false;
  *e = q->slots[q->head];
  if (++q->head == q->depth)
    q->head = 0;
  q->len--;
  return true;
}

/* flow_buffer.c - host buffers pooled by size class, and the copy ledger
 * (flow_buffer.h). */
#include <stdlib.h>
#include <string.h>

#include "flow/flow_buffer.h"

void weft__flow_pool_init(weft__flow_pool_t *pool, uint32_t max_size) {
  memset(pool, 0, sizeof *pool);
  pool->max_size = max_size ? max_size : WEFT__FLOW_BUF_CAP;
}

void weft__flow_pool_release(weft__flow_pool_t *pool) {
  for (int k = 0; k < WEFT__FLOW_NCLASS; k++) {
    void *b = pool->blocks[k];
    while (b) {
      void *next;
      memcpy(&next, b, sizeof next);
      free(b);
      b = next;
    }
    pool->blocks[k] = NULL;
    pool->nblocks[k] = 0;
  }
  pool->kept_bytes = 0;
  while (pool->headers) {
    weft__flow_buf_t *h = pool->headers;
    pool->headers = h->next_free;
    free(h);
  }
  /* Buffers still in use now go back to plain free(). */
  pool->max_size = 0;
}

static size_t class_size(int k) { return (size_t)WEFT__FLOW_BUF_MIN << k; }

/* The smallest class holding `n` bytes. */
static int class_of(uint64_t n) {
  if (n <= WEFT__FLOW_BUF_MIN)
    return 0;
  int k = 64 - __builtin_clzll((n - 1) / WEFT__FLOW_BUF_MIN);
  return k < WEFT__FLOW_NCLASS - 1 ? k : WEFT__FLOW_NCLASS - 1;
}

static void *block_get(weft__flow_pool_t *pool, int k) {
  void *b = pool->blocks[k];
  pool->allocs++;
  if (b) {
    memcpy(&pool->blocks[k], b, sizeof b);
    pool->nblocks[k]--;
    pool->kept_bytes -= class_size(k);
    pool->reused++;
    return b;
  }
  return malloc(class_size(k));
}

static void block_put(weft__flow_pool_t *pool, int k, void *b) {
  size_t size = class_size(k);
  if (!pool->max_size || pool->nblocks[k] >= WEFT__FLOW_KEEP_BLOCKS ||
      pool->kept_bytes + size > WEFT__FLOW_KEEP_BYTES) {
    free(b);
    return;
  }
  memcpy(b, &pool->blocks[k], sizeof b);
  pool->blocks[k] = b;
  pool->nblocks[k]++;
  pool->kept_bytes += size;
}

weft__flow_buf_t *weft__flow_buf_new(weft__flow_pool_t *pool, uint64_t hint,
                                     weft_error_t *err) {
  if (hint > pool->max_size) {
    WEFT_ERR(err, WEFT_ELIMIT,
             "a buffer of %llu bytes is above the cap of %u bytes",
             (unsigned long long)hint, pool->max_size);
    return NULL;
  }
  int k = class_of(hint);
  weft__flow_buf_t *b = pool->headers;
  if (b)
    pool->headers = b->next_free;
  else if (!(b = malloc(sizeof *b)))
    goto nomem;
  *b = (weft__flow_buf_t){0};
  if (!(b->data = block_get(pool, k))) {
    b->next_free = pool->headers;
    pool->headers = b;
    goto nomem;
  }
  b->cls = (uint8_t)k;
  b->cap = class_size(k) < pool->max_size ? (uint32_t)class_size(k)
                                          : pool->max_size;
  b->refs = 1;
  pool->live++;
  pool->live_bytes += class_size(k);
  if (pool->live_bytes > pool->peak_bytes)
    pool->peak_bytes = pool->live_bytes;
  return b;
nomem:
  WEFT_ERR(err, WEFT_ENOMEM, "out of memory for a buffer of %llu bytes",
           (unsigned long long)hint);
  return NULL;
}

int weft__flow_buf_reserve(weft__flow_pool_t *pool, weft__flow_buf_t *b,
                           uint64_t need) {
  if (need <= b->cap)
    return 0;
  if (need > pool->max_size)
    return WEFT_ELIMIT;
  int k = class_of(need);
  uint8_t *data = block_get(pool, k);
  if (!data)
    return WEFT_ENOMEM;
  memcpy(data, b->data, b->len);
  block_put(pool, b->cls, b->data);
  pool->live_bytes += class_size(k) - class_size(b->cls);
  if (pool->live_bytes > pool->peak_bytes)
    pool->peak_bytes = pool->live_bytes;
  b->data = data;
  b->cls = (uint8_t)k;
  b->cap = class_size(k) < pool->max_size ? (uint32_t)class_size(k)
                                          : pool->max_size;
  return 0;
}

int weft__flow_buf_set_ctype(weft__flow_buf_t *b, const char *s, size_t len) {
  char *c = NULL;
  if (len && !(c = weft__strndup(s, len)))
    return WEFT_ENOMEM;
  free(b->ctype);
  b->ctype = c;
  b->ctype_len = (uint32_t)len;
  return 0;
}

void weft__flow_buf_free(weft__flow_pool_t *pool, weft__flow_buf_t *b) {
  pool->live--;
  pool->live_bytes -= class_size(b->cls);
  block_put(pool, b->cls, b->data);
  free(b->ctype);
  if (!pool->max_size) { /* released pool */
    free(b);
    return;
  }
  b->next_free = pool->headers;
  pool->headers = b;
}

/* ---- the copy ledger ---------------------------------------------------- */

int weft__flow_ledger_init(weft__flow_ledger_t *l, size_t nnodes) {
  l->nnodes = nnodes;
  l->rows = calloc(nnodes ? nnodes * WEFT__COPY_NREASONS : 1,
                   sizeof *l->rows);
  return l->rows ? 0 : WEFT_ENOMEM;
}

void weft__flow_ledger_release(weft__flow_ledger_t *l) {
  free(l->rows);
  l->rows = NULL;
  l->nnodes = 0;
}

const char *weft__flow_copy_reason_name(weft__flow_copy_reason_t why) {
  static const char *const names[WEFT__COPY_NREASONS] = {
      "append", "write", "read", "read-all", "clone", "grow", "dead-letter"};
  return (unsigned)why < WEFT__COPY_NREASONS ? names[why] : "?";
}

void weft__flow_copy_ends(weft__flow_copy_reason_t why, const char *node_name,
                          const char **from, const char **to) {
  switch (why) {
  case WEFT__COPY_APPEND:
  case WEFT__COPY_WRITE:
    *from = node_name;
    *to = "host";
    break;
  case WEFT__COPY_READ:
  case WEFT__COPY_READ_ALL:
    *from = "host";
    *to = node_name;
    break;
  case WEFT__COPY_DEAD_LETTER:
    *from = "host";
    *to = "file";
    break;
  default:
    *from = *to = "host";
  }
}

weft__flow_copies_t weft__flow_ledger_total(const weft__flow_ledger_t *l,
                                            size_t node) {
  weft__flow_copies_t t = {0, 0};
  for (size_t n = 0; n < l->nnodes; n++) {
    if (node != (size_t)-1 && n != node)
      continue;
    for (int r = 0; r < WEFT__COPY_NREASONS; r++) {
      t.copies += l->rows[n * WEFT__COPY_NREASONS + r].copies;
      t.bytes += l->rows[n * WEFT__COPY_NREASONS + r].bytes;
    }
  }
  return t;
}

/* flow_buffer.h - the host-owned buffers elements travel in, pooled by
 * size class with a cap on any one buffer, and the copy ledger that
 * records every copy of payload bytes (flow_buffer.c).
 *
 * A buffer's bytes live in a block of its size class (64 B, 128 B, ...,
 * the cap). Freed blocks and headers go back to per-class free lists, so
 * a flow in its steady state allocates nothing. Buffers are reference
 * counted: a router's fan-out shares one buffer between edges. One flow
 * runs on one thread, so nothing here locks. See docs/internals/flows.md.
 */
#ifndef WEFT_FLOW_FLOW_BUFFER_H
#define WEFT_FLOW_FLOW_BUFFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

/* The smallest block, and the default cap of one buffer. */
#define WEFT__FLOW_BUF_MIN 64u
#define WEFT__FLOW_BUF_CAP (16u << 20)
/* Classes from 64 B to 2 GiB: more than any cap needs. */
#define WEFT__FLOW_NCLASS 26
/* Free blocks a class keeps for reuse, at most, and bytes in all. */
#define WEFT__FLOW_KEEP_BLOCKS 256u
#define WEFT__FLOW_KEEP_BYTES (64u << 20)

typedef struct weft__flow_buf {
  uint8_t *data;     /* `cap` bytes, of which `len` are written */
  uint32_t len, cap;
  uint32_t refs;     /* owners: resources, queued elements */
  uint8_t cls;       /* size class of `data` */
  bool frozen;       /* no longer writable (mutable-buffer.freeze) */
  uint32_t ctype_len;
  char *ctype;       /* set-content-type (malloc'd); NULL: "" */
  struct weft__flow_buf *next_free;
} weft__flow_buf_t;

typedef struct weft__flow_pool {
  uint32_t max_size;               /* cap of one buffer */
  void *blocks[WEFT__FLOW_NCLASS]; /* free blocks: a list through word 0 */
  uint32_t nblocks[WEFT__FLOW_NCLASS];
  size_t kept_bytes;               /* in free blocks */
  weft__flow_buf_t *headers;       /* free headers */
  /* Statistics. */
  uint64_t allocs, reused;         /* blocks handed out, from the lists */
  size_t live, live_bytes, peak_bytes; /* buffers in use, their blocks */
} weft__flow_pool_t;

/* Set up an empty pool whose buffers hold at most `max_size` bytes
 * (0: WEFT__FLOW_BUF_CAP). Release with weft__flow_pool_release. */
void weft__flow_pool_init(weft__flow_pool_t *pool, uint32_t max_size);
/* Free every block and header the pool keeps. Buffers still in use stay
 * valid and are freed (not kept) when released. */
void weft__flow_pool_release(weft__flow_pool_t *pool);

/* A new empty buffer with room for `hint` bytes (rounded up to its class;
 * 0 gives the smallest), one reference held by the caller. NULL when
 * `hint` is above the cap (WEFT_ELIMIT) or memory is short (WEFT_ENOMEM),
 * with *err set. */
weft__flow_buf_t *weft__flow_buf_new(weft__flow_pool_t *pool, uint64_t hint,
                                     weft_error_t *err);
/* Make room for `need` bytes in `b`, moving its bytes to a block of a
 * larger class (the move is a copy the caller records in the ledger).
 * 0, WEFT_ELIMIT above the cap, or WEFT_ENOMEM. */
int weft__flow_buf_reserve(weft__flow_pool_t *pool, weft__flow_buf_t *b,
                           uint64_t need);
/* Set the buffer's content type to a copy of `s` (`len` bytes). */
int weft__flow_buf_set_ctype(weft__flow_buf_t *b, const char *s, size_t len);

static inline weft__flow_buf_t *weft__flow_buf_retain(weft__flow_buf_t *b) {
  b->refs++;
  return b;
}
/* Drop one reference; the last returns the buffer to the pool. */
void weft__flow_buf_free(weft__flow_pool_t *pool, weft__flow_buf_t *b);
static inline void weft__flow_buf_release(weft__flow_pool_t *pool,
                                          weft__flow_buf_t *b) {
  if (b && --b->refs == 0)
    weft__flow_buf_free(pool, b);
}

/* ---- the copy ledger ---------------------------------------------------- */

/* Why payload bytes were copied. Each reason has one direction:
 * append, write: node → host (guest memory into a buffer);
 * read, read-all: host → node (a buffer into guest memory);
 * clone, grow: host → host (clone-into-mutable, a buffer outgrowing its
 * block); dead-letter: host → file. */
typedef enum weft__flow_copy_reason {
  WEFT__COPY_APPEND = 0,
  WEFT__COPY_WRITE,
  WEFT__COPY_READ,
  WEFT__COPY_READ_ALL,
  WEFT__COPY_CLONE,
  WEFT__COPY_GROW,
  WEFT__COPY_DEAD_LETTER,
  WEFT__COPY_NREASONS
} weft__flow_copy_reason_t;

typedef struct weft__flow_copies {
  uint64_t copies, bytes;
} weft__flow_copies_t;

/* One row per node and reason: which node asked for the copy. */
typedef struct weft__flow_ledger {
  size_t nnodes;
  weft__flow_copies_t *rows; /* [node * WEFT__COPY_NREASONS + reason] */
} weft__flow_ledger_t;

/* A ledger for `nnodes` nodes, all zero. 0 or WEFT_ENOMEM. */
int weft__flow_ledger_init(weft__flow_ledger_t *l, size_t nnodes);
void weft__flow_ledger_release(weft__flow_ledger_t *l);

/* Record one copy of `bytes` bytes made for node `node`. */
static inline void weft__flow_ledger_add(weft__flow_ledger_t *l, size_t node,
                                         weft__flow_copy_reason_t why,
                                         uint64_t bytes) {
  weft__flow_copies_t *r = &l->rows[node * WEFT__COPY_NREASONS + why];
  r->copies++;
  r->bytes += bytes;
}

/* "append", "read-all", ... */
const char *weft__flow_copy_reason_name(weft__flow_copy_reason_t why);
/* The two ends of a copy for `why` made for node `node_name`: the node's
 * name, "host" or "file". */
void weft__flow_copy_ends(weft__flow_copy_reason_t why, const char *node_name,
                          const char **from, const char **to);
/* Copies and bytes of node `node` (all reasons), or of every node when
 * `node` is (size_t)-1. */
weft__flow_copies_t weft__flow_ledger_total(const weft__flow_ledger_t *l,
                                            size_t node);

#endif

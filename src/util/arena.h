/* arena.h - a bump allocator for short-lived values: the arguments and
 * results of component calls. Everything is freed at once, by reset (which
 * keeps the first block for reuse) or release. */
#ifndef WEFT_UTIL_ARENA_H
#define WEFT_UTIL_ARENA_H

#include <stddef.h>

typedef struct weft__arena_block weft__arena_block_t;

typedef struct weft__arena {
  weft__arena_block_t *head; /* newest block first */
  size_t used;               /* bytes used in head */
  size_t limit;              /* total bytes allowed; 0: no limit */
  size_t total;              /* bytes held in all blocks */
} weft__arena_t;

#define WEFT__ARENA_INIT {NULL, 0, 0, 0}

/* `size` bytes aligned to 16, uninitialised; NULL when out of memory or
 * over the limit. */
void *weft__arena_alloc(weft__arena_t *a, size_t size);
/* Zeroed `n` * `size` bytes, with overflow checked. */
void *weft__arena_calloc(weft__arena_t *a, size_t n, size_t size);
/* A NUL-terminated copy of `n` bytes of `s`. */
char *weft__arena_strndup(weft__arena_t *a, const char *s, size_t n);
/* Free all but the newest (largest) block and make it empty. */
void weft__arena_reset(weft__arena_t *a);
/* Free everything; the arena may be used again. */
void weft__arena_release(weft__arena_t *a);

#endif

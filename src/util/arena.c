/* arena.c - a bump allocator (arena.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/arena.h"

struct weft__arena_block {
  weft__arena_block_t *next;
  size_t size;
  _Alignas(16) unsigned char data[];
};

enum { MIN_BLOCK = 4096 - 64 };

void *weft__arena_alloc(weft__arena_t *a, size_t size) {
  size = (size + 15) & ~(size_t)15;
  if (size == 0)
    size = 16;
  if (a->head && a->head->size - a->used >= size) {
    void *p = a->head->data + a->used;
    a->used += size;
    return p;
  }
  size_t bsize = a->head ? a->head->size * 2 : MIN_BLOCK;
  if (bsize < size)
    bsize = size;
  if (bsize > SIZE_MAX - sizeof(weft__arena_block_t) ||
      (a->limit && (a->total > a->limit || bsize > a->limit - a->total)))
    return NULL;
  weft__arena_block_t *b = malloc(sizeof *b + bsize);
  if (!b)
    return NULL;
  b->size = bsize;
  b->next = a->head;
  a->head = b;
  a->total += bsize;
  a->used = size;
  return b->data;
}

void *weft__arena_calloc(weft__arena_t *a, size_t n, size_t size) {
  if (size && n > SIZE_MAX / size)
    return NULL;
  void *p = weft__arena_alloc(a, n * size);
  if (p)
    memset(p, 0, n * size);
  return p;
}

char *weft__arena_strndup(weft__arena_t *a, const char *s, size_t n) {
  if (n == SIZE_MAX)
    return NULL;
  char *p = weft__arena_alloc(a, n + 1);
  if (!p)
    return NULL;
  if (n)
    memcpy(p, s, n);
  p[n] = 0;
  return p;
}

void weft__arena_reset(weft__arena_t *a) {
  if (!a->head)
    return;
  /* Keep the largest (newest) block: it fits what the last use needed. */
  weft__arena_block_t *keep = a->head, *b = keep->next;
  while (b) {
    weft__arena_block_t *next = b->next;
    free(b);
    b = next;
  }
  keep->next = NULL;
  a->total = keep->size;
  a->used = 0;
}

void weft__arena_release(weft__arena_t *a) {
  weft__arena_block_t *b = a->head;
  while (b) {
    weft__arena_block_t *next = b->next;
    free(b);
    b = next;
  }
  a->head = NULL;
  a->used = a->total = 0;
}

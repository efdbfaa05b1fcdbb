/* memory.c - linear memories in guard regions, reused through a pool.
 *
 * Each memory lives in a region reserved once: a header page, then 8 GiB
 * plus a margin of address space, so that any 32-bit address plus any
 * 32-bit offset lands inside the region and an out-of-bounds access faults
 * (wasm2c's signal-handler bounds checking). Only the pages in use are
 * readable and writable. Freed regions are zeroed and kept in a pool, so
 * instantiating is a reset rather than a fresh mapping.
 *
 * A memory's `data` never moves while the memory lives, growth included:
 * compiled modules read it once per function call (engine/rewrite.c).
 */
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>

#include "runtime/runtime.h"

#define PAGE (64u * 1024u)
#define HEADER 4096u
#define RESERVE ((8ull << 30) + 2ull * PAGE)
#define POOL_MAX 64
/* Past this many bytes, zero by dropping pages instead of memset. */
#define MEMSET_MAX (256u * 1024u)

typedef struct region {
  uint64_t rw; /* bytes after the header that are read-write */
} region_t;

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static uint8_t *pool[POOL_MAX];
static size_t pool_n;

size_t weft__rt_pool_size(void) {
  pthread_mutex_lock(&pool_lock);
  size_t n = pool_n;
  pthread_mutex_unlock(&pool_lock);
  return n;
}

static uint8_t *region_get(void) {
  uint8_t *base = NULL;
  pthread_mutex_lock(&pool_lock);
  if (pool_n)
    base = pool[--pool_n];
  pthread_mutex_unlock(&pool_lock);
  if (base)
    return base;
  base = mmap(NULL, RESERVE + HEADER, PROT_NONE,
              MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED)
    return NULL;
  if (mprotect(base, HEADER, PROT_READ | PROT_WRITE) < 0) {
    munmap(base, RESERVE + HEADER);
    return NULL;
  }
  ((region_t *)base)->rw = 0;
  return base;
}

/* Make exactly `bytes` after the header read-write. */
static int region_set_rw(uint8_t *base, uint64_t bytes) {
  region_t *r = (region_t *)base;
  uint8_t *data = base + HEADER;
  if (bytes > r->rw) {
    if (mprotect(data + r->rw, bytes - r->rw, PROT_READ | PROT_WRITE) < 0)
      return -1;
  } else if (bytes < r->rw) {
    if (mprotect(data + bytes, r->rw - bytes, PROT_NONE) < 0)
      return -1;
  }
  r->rw = bytes;
  return 0;
}

static uint32_t cap_pages(void) {
  weft__exec_t *ex = weft__exec_current();
  uint64_t cap = ex && ex->max_memory ? ex->max_memory / PAGE : 65536;
  return cap > 65536 ? 65536 : (uint32_t)cap;
}

void weft__rt_allocate_memory(wasm_rt_memory_t *m, uint32_t initial,
                              uint32_t max) {
  uint32_t cap = cap_pages();
  if (initial > cap)
    weft__trap_at(WEFT_TRAP_MEMORY_LIMIT,
                  "memory limit exceeded: initial size over the cap", NULL);
  uint8_t *base = region_get();
  if (!base || region_set_rw(base, (uint64_t)initial * PAGE) < 0) {
    if (base)
      munmap(base, RESERVE + HEADER);
    weft__trap_at(WEFT_TRAP_MEMORY_LIMIT,
                  "memory limit exceeded: cannot reserve address space",
                  NULL);
  }
  m->data = base + HEADER;
  m->pages = initial;
  m->max_pages = max < cap ? max : cap;
  m->size = (uint32_t)((uint64_t)initial * PAGE);
  if (initial == 65536)
    m->size = UINT32_MAX; /* wasm-rt.h's size is 32-bit; 4 GiB saturates */
}

uint32_t weft__rt_grow_memory(wasm_rt_memory_t *m, uint32_t delta) {
  uint32_t old = m->pages;
  uint64_t pages = (uint64_t)old + delta;
  if (pages > m->max_pages || pages > 65536)
    return UINT32_MAX;
  if (delta == 0)
    return old;
  uint8_t *base = m->data - HEADER;
  if (region_set_rw(base, pages * PAGE) < 0)
    return UINT32_MAX;
  m->pages = (uint32_t)pages;
  m->size = pages == 65536 ? UINT32_MAX : (uint32_t)(pages * PAGE);
  return old;
}

void weft__rt_free_memory(wasm_rt_memory_t *m) {
  if (!m->data)
    return;
  uint8_t *base = m->data - HEADER;
  region_t *r = (region_t *)base;
  int keep = 1;
  if (r->rw <= MEMSET_MAX)
    memset(m->data, 0, r->rw);
  else if (madvise(m->data, r->rw, MADV_DONTNEED) < 0)
    keep = 0;
  m->data = NULL;
  m->size = m->pages = 0;
  if (keep) {
    pthread_mutex_lock(&pool_lock);
    if (pool_n < POOL_MAX) {
      pool[pool_n++] = base;
      base = NULL;
    }
    pthread_mutex_unlock(&pool_lock);
  }
  if (base)
    munmap(base, RESERVE + HEADER);
}

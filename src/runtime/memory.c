/* memory.c - linear memories in guard regions, reused through a pool.
 *
 * Each memory lives in a region reserved once: a header page, the dirty
 * map (runtime.h: one byte per 4 KiB chunk of the addressable range, 2
 * MiB, read-write but reserved without backing, so only the map pages
 * written cost memory), then 8 GiB plus a margin of address space for
 * the data, so that any 32-bit address plus any 32-bit offset lands
 * inside the region and an out-of-bounds access faults (wasm2c's
 * signal-handler bounds checking). Only the data pages in use are
 * readable and writable. Freed regions are zeroed and kept in a pool, so
 * instantiating is a reset rather than a fresh mapping.
 *
 * A memory's `data` never moves while the memory lives, growth included:
 * compiled modules read it once per function call (engine/rewrite.c).
 *
 * Invariants: every byte of a region past its read-write range is zero
 * (ranges shrink only after they are zeroed), so growing needs no zeroing;
 * a region in the pool has a clear map over its read-write range.
 *
 * An instance reset puts a memory back as instantiation left it (a saved
 * image) in place, instead of freeing it and allocating it again. Without
 * write tracking, the bytes made accessible are zeroed or rewritten in one
 * pass: nothing else tells which pages a guest wrote without a system
 * call or a fault per page, each dearer than zeroing the few hundred KiB
 * a small guest has (see docs/internals/http-bench.md). With it (code
 * compiled to mark its stores, the host marking what it touches), only the
 * marked chunks are rewritten, each with the first bytes of the next one:
 * a store marks the chunk of its first byte, and one that straddles two
 * chunks writes at most 7 bytes into the next.
 *
 * A store marks before it stores, so one that faults past the accessible
 * range may leave a mark there; such a mark costs a rewrite of a zero
 * chunk if the memory ever grows over it, nothing else.
 */
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>

#include "runtime/runtime.h"

#define PAGE (64u * 1024u)
#define HEADER 4096u
#define MAP WEFT__RT_MAP_BYTES
#define RESERVE ((8ull << 30) + 2ull * PAGE)
#define POOL_MAX 64
/* Past this many bytes, zero by dropping pages instead of memset. */
#define MEMSET_MAX (256u * 1024u)
/* The granularity of saved images and of the dirty map. */
#define CHUNK (1u << WEFT__RT_CHUNK_SHIFT)
/* What a reset rewrites past each marked chunk: the most a straddling
 * store (8 bytes) writes into the next chunk, rounded up. */
#define STRADDLE 8u

_Static_assert(MAP == (8ull << 30) >> WEFT__RT_CHUNK_SHIFT,
               "the map covers any 32-bit address plus 32-bit offset");

typedef struct region {
  uint64_t rw;   /* bytes of data that are read-write */
  int all_dirty; /* a raw pointer was handed out: next reset, all of it */
  int shared;    /* bound into another instance: every reset, all of it */
} region_t;

#define REGION_SIZE (HEADER + MAP + RESERVE)

static uint8_t *region_of(const wasm_rt_memory_t *m) {
  return m->data - MAP - HEADER;
}

static uint8_t *map_of(const wasm_rt_memory_t *m) { return m->data - MAP; }

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
  base = mmap(NULL, REGION_SIZE, PROT_NONE,
              MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED)
    return NULL;
  if (mprotect(base, HEADER + MAP, PROT_READ | PROT_WRITE) < 0) {
    munmap(base, REGION_SIZE);
    return NULL;
  }
  *(region_t *)base = (region_t){0};
  return base;
}

/* Make exactly `bytes` of data read-write. */
static int region_set_rw(uint8_t *base, uint64_t bytes) {
  region_t *r = (region_t *)base;
  uint8_t *data = base + HEADER + MAP;
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
      munmap(base, REGION_SIZE);
    weft__trap_at(WEFT_TRAP_MEMORY_LIMIT,
                  "memory limit exceeded: cannot reserve address space",
                  NULL);
  }
  m->data = base + HEADER + MAP;
  m->pages = initial;
  m->max_pages = max < cap ? max : cap;
  m->size = (uint32_t)((uint64_t)initial * PAGE);
  if (initial == 65536)
    m->size = UINT32_MAX; /* wasm-rt.h's size is 32-bit; 4 GiB saturates */
  weft__rt_note_alloc(WEFT__RT_MEMORY, m);
}

void weft__rt_note_alloc(int kind, void *ptr) {
  weft__exec_t *ex = weft__exec_current();
  weft__rt_allocs_t *a = ex ? ex->allocs : NULL;
  if (!a)
    return;
  if (a->n == WEFT__RT_ALLOCS_MAX) {
    a->overflow = 1;
    return;
  }
  a->at[a->n].kind = kind;
  a->at[a->n].ptr = ptr;
  a->n++;
}

uint32_t weft__rt_grow_memory(wasm_rt_memory_t *m, uint32_t delta) {
  uint32_t old = m->pages;
  uint64_t pages = (uint64_t)old + delta;
  if (pages > m->max_pages || pages > 65536)
    return UINT32_MAX;
  if (delta == 0)
    return old;
  uint8_t *base = region_of(m);
  if (region_set_rw(base, pages * PAGE) < 0)
    return UINT32_MAX;
  m->pages = (uint32_t)pages;
  m->size = pages == 65536 ? UINT32_MAX : (uint32_t)(pages * PAGE);
  return old;
}

void weft__rt_free_memory(wasm_rt_memory_t *m) {
  if (!m->data)
    return;
  uint8_t *base = region_of(m);
  region_t *r = (region_t *)base;
  int keep = 1;
  memset(map_of(m), 0, r->rw / CHUNK);
  r->all_dirty = r->shared = 0;
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
    munmap(base, REGION_SIZE);
}

void weft__rt_mem_dirty_all(wasm_rt_memory_t *m) {
  ((region_t *)region_of(m))->all_dirty = 1;
}

void weft__rt_mem_share(wasm_rt_memory_t *m) {
  ((region_t *)region_of(m))->shared = 1;
}

/* ---- images -------------------------------------------------------------- */

static int chunk_zero(const uint8_t *p) {
  static const uint8_t zero[CHUNK];
  return !memcmp(p, zero, CHUNK);
}

int weft__rt_mem_image_save(wasm_rt_memory_t *m, int tracked,
                            weft__rt_mem_image_t *img) {
  memset(img, 0, sizeof *img);
  img->pages = m->pages;
  img->tracked = tracked;
  uint64_t size = (uint64_t)m->pages * PAGE;
  size_t n = 0, bytes = 0;
  for (uint64_t off = 0; off < size; off += CHUNK)
    if (!chunk_zero(m->data + off)) {
      if (!off || chunk_zero(m->data + off - CHUNK))
        n++; /* a run of non-zero chunks is one chunk of the image */
      bytes += CHUNK;
    }
  img->chunks = calloc(n ? n : 1, sizeof *img->chunks);
  img->bytes = malloc(bytes ? bytes : 1);
  if (tracked)
    img->index = calloc(size / CHUNK + 1, sizeof *img->index);
  if (!img->chunks || !img->bytes || (tracked && !img->index)) {
    weft__rt_mem_image_free(img);
    return -1;
  }
  uint8_t *out = img->bytes;
  for (uint64_t off = 0; off < size; off += CHUNK) {
    if (chunk_zero(m->data + off))
      continue;
    if (!off || chunk_zero(m->data + off - CHUNK)) {
      img->chunks[img->nchunks].off = (uint32_t)off;
      img->chunks[img->nchunks++].len = 0;
    }
    img->chunks[img->nchunks - 1].len += CHUNK;
    if (tracked)
      img->index[off / CHUNK] = (uint32_t)((out - img->bytes) / CHUNK) + 1;
    memcpy(out, m->data + off, CHUNK);
    out += CHUNK;
  }
  /* What instantiation marked is what resets put back. */
  memset(map_of(m), 0, ((region_t *)region_of(m))->rw / CHUNK);
  return 0;
}

/* Put back [off, off + len), within one chunk, as `img` has it. */
static void put_back(wasm_rt_memory_t *m, const weft__rt_mem_image_t *img,
                     uint64_t off, uint64_t len) {
  uint64_t c = off / CHUNK;
  uint32_t at = c < (uint64_t)img->pages * (PAGE / CHUNK) ? img->index[c] : 0;
  if (at)
    memcpy(m->data + off, img->bytes + (uint64_t)(at - 1) * CHUNK +
                              off % CHUNK, len);
  else
    memset(m->data + off, 0, len);
}

/* Put back the marked chunks of the first `rw` bytes of `m` and clear
 * their marks. */
static void restore_marked(wasm_rt_memory_t *m,
                           const weft__rt_mem_image_t *img, uint64_t rw) {
  uint8_t *map = map_of(m);
  uint64_t n = rw / CHUNK;
  for (uint64_t c = 0; c < n; c++) {
    if (c + 8 <= n) { /* skip clean runs eight at a time */
      uint64_t word;
      memcpy(&word, map + c, 8);
      if (!word) {
        c += 7;
        continue;
      }
    }
    if (!map[c])
      continue;
    map[c] = 0;
    uint64_t off = c * CHUNK;
    put_back(m, img, off, CHUNK);
    /* The bytes a straddling store wrote into the next chunk, unless it
     * is put back whole anyway. */
    if (c + 1 < n && !map[c + 1])
      put_back(m, img, off + CHUNK, STRADDLE);
  }
}

/* The number of marked chunks in the first `rw` bytes of `m`. */
static uint64_t marked(const wasm_rt_memory_t *m, uint64_t rw) {
  const uint8_t *map = m->data - MAP;
  uint64_t k = 0;
  for (uint64_t c = 0; c < rw / CHUNK; c++)
    k += map[c] != 0;
  return k;
}

int weft__rt_mem_image_restore(wasm_rt_memory_t *m,
                               const weft__rt_mem_image_t *img) {
  uint8_t *base = region_of(m);
  region_t *r = (region_t *)base;
  uint64_t rw = r->rw, want = (uint64_t)img->pages * PAGE;
  const uint8_t *src = img->bytes;
  if (rw < want) { /* memories only grow; but if it were smaller */
    if (region_set_rw(base, want) < 0)
      return -1;
    rw = want;
  }
  int whole = !img->tracked || r->all_dirty || r->shared ||
              (rw > MEMSET_MAX && marked(m, rw) * CHUNK > MEMSET_MAX);
  if (!whole) {
    restore_marked(m, img, rw);
  } else if (rw > MEMSET_MAX && madvise(m->data, rw, MADV_DONTNEED) == 0) {
    for (size_t i = 0; i < img->nchunks; i++) {
      memcpy(m->data + img->chunks[i].off, src, img->chunks[i].len);
      src += img->chunks[i].len;
    }
  } else {
    /* One pass, each byte written once: the gaps zeroed, the chunks
     * copied, the rest (grown since, if it was) zeroed. */
    uint64_t at = 0;
    for (size_t i = 0; i < img->nchunks; i++) {
      memset(m->data + at, 0, img->chunks[i].off - at);
      memcpy(m->data + img->chunks[i].off, src, img->chunks[i].len);
      src += img->chunks[i].len;
      at = (uint64_t)img->chunks[i].off + img->chunks[i].len;
    }
    if (rw > at)
      memset(m->data + at, 0, rw - at);
  }
  if (whole) /* every mark is stale */
    memset(map_of(m), 0, rw / CHUNK);
  r->all_dirty = 0;
  if (rw > want && region_set_rw(base, want) < 0)
    return -1;
  m->pages = img->pages;
  m->size = img->pages == 65536 ? UINT32_MAX : (uint32_t)want;
  return 0;
}

void weft__rt_mem_image_free(weft__rt_mem_image_t *img) {
  free(img->chunks);
  free(img->bytes);
  free(img->index);
  memset(img, 0, sizeof *img);
}

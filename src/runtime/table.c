/* table.c - funcref and externref tables, with a per-instance cap. */
#include <stdlib.h>

#include "runtime/runtime.h"

#define DEFAULT_MAX_TABLE 10000000u

static uint32_t cap_elems(void) {
  weft__exec_t *ex = weft__exec_current();
  return ex && ex->max_table ? ex->max_table : DEFAULT_MAX_TABLE;
}

/* calloc n elements of size sz, or trap when over the cap or out of
 * memory. */
static void *table_alloc(uint32_t n, size_t sz) {
  if (n > cap_elems())
    weft__trap_at(WEFT_TRAP_MEMORY_LIMIT,
                  "table limit exceeded: initial size over the cap", NULL);
  void *p = calloc(n ? n : 1, sz);
  if (!p)
    weft__trap_at(WEFT_TRAP_MEMORY_LIMIT, "out of memory for a table", NULL);
  return p;
}

/* Grow *data from size to size+delta elements; returns 0 or -1. */
static int table_grow(void **data, uint32_t size, uint32_t max,
                      uint32_t delta, size_t sz) {
  uint64_t n = (uint64_t)size + delta;
  uint32_t cap = cap_elems();
  if (n > max || n > cap)
    return -1;
  void *p = realloc(*data, (size_t)(n ? n : 1) * sz);
  if (!p)
    return -1;
  *data = p;
  return 0;
}

void weft__rt_allocate_funcref_table(wasm_rt_funcref_table_t *t, uint32_t n,
                                     uint32_t max) {
  uint32_t cap = cap_elems();
  t->data = table_alloc(n, sizeof *t->data);
  t->size = n;
  t->max_size = max < cap ? max : cap;
}

void weft__rt_free_funcref_table(wasm_rt_funcref_table_t *t) {
  free(t->data);
  t->data = NULL;
  t->size = 0;
}

uint32_t weft__rt_grow_funcref_table(wasm_rt_funcref_table_t *t,
                                     uint32_t delta, wasm_rt_funcref_t v) {
  uint32_t old = t->size;
  void *data = t->data;
  if (table_grow(&data, old, t->max_size, delta, sizeof *t->data) < 0)
    return UINT32_MAX;
  t->data = data;
  for (uint32_t i = old; i < old + delta; i++)
    t->data[i] = v;
  t->size = old + delta;
  return old;
}

void weft__rt_allocate_externref_table(wasm_rt_externref_table_t *t,
                                       uint32_t n, uint32_t max) {
  uint32_t cap = cap_elems();
  t->data = table_alloc(n, sizeof *t->data);
  t->size = n;
  t->max_size = max < cap ? max : cap;
}

void weft__rt_free_externref_table(wasm_rt_externref_table_t *t) {
  free(t->data);
  t->data = NULL;
  t->size = 0;
}

uint32_t weft__rt_grow_externref_table(wasm_rt_externref_table_t *t,
                                       uint32_t delta,
                                       wasm_rt_externref_t v) {
  uint32_t old = t->size;
  void *data = t->data;
  if (table_grow(&data, old, t->max_size, delta, sizeof *t->data) < 0)
    return UINT32_MAX;
  t->data = data;
  for (uint32_t i = old; i < old + delta; i++)
    t->data[i] = v;
  t->size = old + delta;
  return old;
}

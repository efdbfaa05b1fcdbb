/* table.c - funcref and externref tables, with a per-instance cap, and
 * saving and restoring their elements for instance resets (runtime.h). */
#include <stdlib.h>
#include <string.h>

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
  weft__rt_note_alloc(WEFT__RT_FUNCREF_TABLE, t);
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
  weft__rt_note_alloc(WEFT__RT_EXTERNREF_TABLE, t);
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

/* ---- images -------------------------------------------------------------- */

/* The data pointer, size and element size of table `t` of `kind`. */
static void **table_fields(void *t, int kind, uint32_t **size, size_t *sz) {
  if (kind == WEFT__RT_FUNCREF_TABLE) {
    wasm_rt_funcref_table_t *f = t;
    *size = &f->size;
    *sz = sizeof *f->data;
    return (void **)&f->data;
  }
  wasm_rt_externref_table_t *x = t;
  *size = &x->size;
  *sz = sizeof *x->data;
  return (void **)&x->data;
}

int weft__rt_table_image_save(const void *t, int kind,
                              weft__rt_table_image_t *img) {
  uint32_t *size;
  size_t sz;
  void **data = table_fields((void *)t, kind, &size, &sz);
  img->kind = kind;
  img->size = *size;
  img->elems = malloc(*size ? *size * sz : 1);
  if (!img->elems)
    return -1;
  if (*size)
    memcpy(img->elems, *data, *size * sz);
  return 0;
}

int weft__rt_table_image_restore(void *t, const weft__rt_table_image_t *img) {
  uint32_t *size;
  size_t sz;
  void **data = table_fields(t, img->kind, &size, &sz);
  if (*size != img->size) { /* grown: give the growth back */
    void *p = realloc(*data, (img->size ? img->size : 1) * sz);
    if (p)
      *data = p;
    else if (*size < img->size)
      return -1; /* cannot happen: tables only grow */
  }
  if (img->size)
    memcpy(*data, img->elems, img->size * sz);
  *size = img->size;
  return 0;
}

void weft__rt_table_image_free(weft__rt_table_image_t *img) {
  free(img->elems);
  img->elems = NULL;
  img->size = 0;
}

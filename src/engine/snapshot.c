/* snapshot.c - saving and restoring an instance between calls (see
 * snapshot.h): host-side memory growth and exported mutable globals. */
#include "engine/snapshot.h"

#include "engine/engine_int.h"

/* See snapshot.h. */
int weft__snapshot_grow(weft_instance_t *inst, uint32_t pages,
                        weft_error_t *err) {
  wasm_rt_memory_t *m = weft__instance_memory0(inst);
  if (!m)
    return WEFT_ERR(err, WEFT_ENOTFOUND, "the instance has no memory");
  if (m->pages >= pages)
    return 0;
  uint64_t cap = inst->limits.max_memory;
  if ((cap && (uint64_t)pages * 65536 > cap) ||
      weft__rt_grow_memory(m, pages - m->pages) == UINT32_MAX)
    return WEFT_ERR(err, WEFT_ELIMIT,
                    "cannot grow memory to %u pages", pages);
  return 0;
}

/* The i-th exported mutable global of `m` as an export index, or -1. */
static int nth_global(const weft_module_t *m, size_t i, char *type) {
  const weft__wasm_t *w = &m->wasm;
  for (uint32_t e = 0; e < w->nexports; e++) {
    const weft__export_t *ex = &w->exports[e];
    if (ex->kind != WEFT_EXTERN_GLOBAL || ex->index < w->nimported_globals)
      continue;
    const weft__globaltype_t *g = &w->globals[ex->index - w->nimported_globals];
    char t = weft__valtype_letter(g->type);
    if (!g->mut || (t != 'i' && t != 'l' && t != 'f' && t != 'd'))
      continue;
    if (i-- == 0) {
      *type = t;
      return (int)e;
    }
  }
  return -1;
}

/* See snapshot.h. */
size_t weft__snapshot_global_count(weft_instance_t *inst) {
  size_t n = 0;
  char t;
  while (nth_global(inst->module, n, &t) >= 0)
    n++;
  return n;
}

/* See snapshot.h. */
void *weft__snapshot_global(weft_instance_t *inst, size_t i, char *type) {
  const weft_module_t *m = inst->module;
  int e = nth_global(m, i, type);
  if (e < 0)
    return NULL;
  for (uint32_t j = 0; j < m->abi->nexports; j++)
    if (m->abi->exports[j].index == (uint32_t)e && m->abi->exports[j].get)
      return m->abi->exports[j].get(inst->w2c);
  return NULL;
}

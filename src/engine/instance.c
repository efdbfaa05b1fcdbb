/* instance.c - instances: binding imports, instantiation, calls, traps.
 *
 * Every entry into guest code goes through guarded(), which pushes a
 * weft__exec_t for this thread and turns a trap, a deadline or a WASI exit
 * into an error for the caller. The host and other instances are not
 * affected; a trapped instance may be called again, except after a
 * deadline, when the embedder should discard or reset it.
 *
 * Resets. weft_instance_reset must leave the instance exactly as
 * instantiation left it: every memory byte, memory size, global, table
 * element and table size, and the host states made anew. When the module
 * has no start function and imports no memory, table, global or tag, its
 * instantiation reads nothing but the module (init expressions of its own
 * globals and constants, its data and element segments) and calls no host
 * function, so it always produces the same state: that state is saved
 * after the first instantiation (the compiled instance's fields, each
 * memory's non-zero 4 KiB pages and size, each table's elements and size)
 * and a reset puts it back in place, writing every byte the memory has
 * made accessible since (zero, or the saved bytes; with write tracking,
 * only the 4 KiB chunks marked written: runtime/memory.c) and shrinking
 * what grew.
 * The guest cannot tell the two apart; nothing runs in it. Other modules
 * are instantiated again, their start function run again.
 *
 * Reactors. A WASI reactor's `_initialize` (wasi-libc's constructors)
 * would run after every reset; weft__instance_initialize runs it the
 * first time with every function import bound to a tripwire. Compiled
 * code reaches the host or another instance only through an import slot
 * (shim.c: typed host functions, raw ones such as WASI and the canonical
 * ABI's built-ins, other instances' exports, and imported functions in
 * tables alike) or through the runtime table, whose functions (memory and
 * table growth, traps) depend on nothing but the instance's limits. So an
 * `_initialize` that returns without tripping read only the saved state
 * and would make the same state again: the image is taken again after
 * it (the memory's dirty map cleared), and resets put back the state
 * after `_initialize` and run nothing. One that trips is undone by a
 * reset and run for real, and then after every reset, as is one whose
 * module has no image.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_int.h"

_Static_assert(sizeof(weft__abi_val_t) == sizeof(weft_core_val_t),
               "weft__abi_val_t mirrors weft_core_val_t");

/* Memories in a saved image: at most this many bytes in all. Saving reads
 * them all once per instance and keeps their non-zero pages; the gain is
 * for small memories, which a reset zeroes by writing (past 256 KiB it
 * drops pages, as freeing does). Larger ones are instantiated again. */
#define IMAGE_MAX_BYTES (4u << 20)

/* What instantiation made (see the top of the file). */
typedef struct weft__inst_image {
  unsigned char *w2c; /* the compiled instance's fields */
  int tracked;        /* compiled with write tracking */
  size_t n;
  struct {
    int kind;   /* WEFT__RT_* */
    size_t off; /* of its wasm_rt_memory_t or table in w2c */
    weft__rt_mem_image_t mem;
    weft__rt_table_image_t table;
  } at[];
} image_t;

/* The error for a call that `ex` says trapped or exited. Out of the way
 * of the calls that return. */
__attribute__((cold, noinline)) static int
trap_error(weft_instance_t *inst, const weft__exec_t *ex, weft_error_t *err) {
  if (ex->trap == WEFT__EXEC_EXIT) {
    WEFT_ERR(err, WEFT_EEXIT, "guest exited with status %d",
             ex->exit_status);
    if (err)
      err->detail = ex->exit_status;
    return WEFT_EEXIT;
  }
  const char *fname = NULL;
  uintptr_t pc = (uintptr_t)ex->trap_pc;
  const weft_module_t *m = inst->module;
  if (pc && pc >= m->code_lo && pc < m->code_hi)
    fname = weft__module_func_at(m, pc);
  const char *what = ex->msg[0] ? ex->msg : weft_trap_message(ex->trap);
  if (fname)
    WEFT_ERR(err, WEFT_ETRAP, "'%s': %s in function '%s'", m->name, what,
             fname);
  else
    WEFT_ERR(err, WEFT_ETRAP, "'%s': %s", m->name, what);
  if (err)
    err->detail = ex->trap;
  return WEFT_ETRAP;
}

/* Run fn(ctx, args, results) (a trampoline of the shim, abi.h) as a guest
 * call of `inst`; `allocs`: where instantiation notes its memories and
 * tables, or NULL. Only the fields of the weft__exec_t the call reads are
 * set (runtime.h); what unwinds it sets the rest. The jump buffer is set
 * after weft__exec_enter: only host code runs in between, which nothing
 * unwinds. Not inlined (WEFT__JMP_FRAME). */
WEFT__JMP_FRAME static int guarded(weft_instance_t *inst,
                                   weft__abi_tramp_t fn, void *ctx,
                                   const weft__abi_val_t *args,
                                   weft__abi_val_t *results,
                                   weft__rt_allocs_t *allocs,
                                   weft_error_t *err) {
  weft__exec_t ex;
  ex.max_memory = inst->limits.max_memory;
  ex.max_table = inst->limits.max_table;
  ex.allocs = allocs;
  /* An event's deadline (runtime.h) replaces the per-call one. It was
   * published when the event opened, and no call under it publishes an
   * earlier one: the call has none of its own to put in force (0), and
   * no clock is read for each of the many guest entries of a request. */
  uint64_t deadline_ns = 0;
  if (inst->limits.deadline_ns && !weft__rt_event_deadline())
    deadline_ns = weft__now_ns() + inst->limits.deadline_ns;
  ex.deadline_ns = deadline_ns;
  weft__exec_enter(&ex);
  if (WEFT__SETJMP(ex.jb) == 0) {
    fn(ctx, args, results);
    weft__exec_leave(&ex);
    return 0;
  }
  weft__exec_leave(&ex);
  return trap_error(inst, &ex, err);
}

/* Instantiation as a trampoline for guarded: `i` is the instance. */
static void instantiate_tramp(void *i, const weft__abi_val_t *args,
                              weft__abi_val_t *results) {
  (void)args;
  (void)results;
  weft_instance_t *inst = i;
  inst->module->abi->instantiate(inst->w2c, inst->slots);
}

void weft__call_host(weft__abi_slot_t *slot, const weft__abi_val_t *args,
                     weft__abi_val_t *results) {
  weft__hostdef_t *d = slot->host;
  d->fn((weft_caller_t *)slot->ctx, d->env, (const weft_core_val_t *)args,
        (weft_core_val_t *)results);
}

static void describe_import(const weft_module_t *m, uint32_t k, char *buf,
                            size_t size) {
  static const char *const kinds[] = {"func", "table", "memory", "global",
                                      "tag"};
  const weft__import_t *im = &m->wasm.imports[k];
  snprintf(buf, size, "%s '%s.%s'%s%s", kinds[im->kind % 5], im->module,
           im->name, m->import_sigs[k][0] ? " " : "", m->import_sigs[k]);
}

static int limits_ok(uint64_t have_min, int have_max_set, uint64_t have_max,
                     const weft__limits_t *want) {
  if (have_min < want->min)
    return 0;
  if (want->has_max && (!have_max_set || have_max > want->max))
    return 0;
  return 1;
}

/* The shim's description of export `e` of `m`, or NULL. */
static const weft__abi_export_t *abi_export(const weft_module_t *m, int e) {
  for (uint32_t i = 0; i < m->abi->nexports; i++)
    if (m->abi->exports[i].index == (uint32_t)e)
      return &m->abi->exports[i];
  return NULL;
}

/* Bind import k from the exports of a named instance. */
static int bind_instance(weft_instance_t *inst, uint32_t k,
                         weft_instance_t *from, weft_error_t *err) {
  const weft_module_t *m = inst->module;
  const weft__import_t *im = &m->wasm.imports[k];
  weft__abi_slot_t *s = &inst->slots[k];
  char desc[600];
  int e = weft__module_find_export(from->module, im->name);
  describe_import(m, k, desc, sizeof desc);
  if (e < 0)
    return WEFT_ERR(err, WEFT_EUNLINKABLE, "'%s': unknown import %s",
                    m->name, desc);
  const weft_module_t *fm = from->module;
  const weft__export_t *ex = &fm->wasm.exports[e];
  const weft__abi_export_t *ae = abi_export(fm, e);
  if (ex->kind != im->kind || !ae)
    goto incompatible;
  switch (im->kind) {
  case WEFT_EXTERN_FUNC:
    if (strcmp(fm->export_sigs[e], m->import_sigs[k]))
      goto incompatible;
    s->fn = ae->fn;
    s->ctx = from->w2c;
    return 0;
  case WEFT_EXTERN_GLOBAL:
    if (strcmp(fm->export_sigs[e], m->import_sigs[k]))
      goto incompatible;
    s->ptr = ae->get(from->w2c);
    return 0;
  case WEFT_EXTERN_MEMORY: {
    wasm_rt_memory_t *mem = ae->get(from->w2c);
    const weft__limits_t *decl = NULL;
    uint32_t idx = ex->index;
    if (idx >= fm->wasm.nimported_memories)
      decl = &fm->wasm.memories[idx - fm->wasm.nimported_memories];
    int has_max = decl ? decl->has_max : mem->max_pages != 65536;
    uint64_t max = decl && decl->has_max ? decl->max : mem->max_pages;
    if (!limits_ok(mem->pages, has_max, max, &im->u.memory))
      goto incompatible;
    /* The importer's writes are not marked in the exporter's map: every
     * reset of the exporter rewrites all of it from now on. */
    weft__rt_mem_share(mem);
    s->ptr = mem;
    return 0;
  }
  case WEFT_EXTERN_TABLE: {
    wasm_rt_funcref_table_t *t = ae->get(from->w2c);
    const weft__tabletype_t *decl = NULL;
    uint32_t idx = ex->index;
    if (idx >= fm->wasm.nimported_tables)
      decl = &fm->wasm.tables[idx - fm->wasm.nimported_tables];
    if (decl && decl->elem != im->u.table.elem)
      goto incompatible;
    int has_max = decl ? decl->limits.has_max : t->max_size != UINT32_MAX;
    uint64_t max = decl && decl->limits.has_max ? decl->limits.max
                                                : t->max_size;
    if (!limits_ok(t->size, has_max, max, &im->u.table.limits))
      goto incompatible;
    s->ptr = t;
    return 0;
  }
  }
incompatible:
  return WEFT_ERR(err, WEFT_EUNLINKABLE,
                  "'%s': incompatible import type for %s", m->name, desc);
}

static int bind_imports(weft_instance_t *inst, weft_error_t *err) {
  const weft_module_t *m = inst->module;
  const weft_linker_t *l = inst->linker;
  for (uint32_t k = 0; k < m->wasm.nimports; k++) {
    const weft__import_t *im = &m->wasm.imports[k];
    weft__abi_slot_t *s = &inst->slots[k];
    const weft__hostdef_t *d = NULL;
    for (size_t i = 0; l && i < l->ndefs && !d; i++)
      if (!strcmp(l->defs[i]->module, im->module) &&
          !strcmp(l->defs[i]->name, im->name))
        d = l->defs[i];
    if (d) {
      char desc[600];
      if (im->kind != WEFT_EXTERN_FUNC || strcmp(d->sig, m->import_sigs[k])) {
        describe_import(m, k, desc, sizeof desc);
        return WEFT_ERR(err, WEFT_EUNLINKABLE,
                        "'%s': incompatible import type for %s (host offers "
                        "%s)",
                        m->name, desc, d->sig);
      }
      s->ctx = inst;
      if (d->raw)
        s->fn = d->raw;
      else
        s->host = (void *)d;
      continue;
    }
    weft_instance_t *from = NULL;
    for (size_t i = 0; l && i < l->nnamed && !from; i++)
      if (!strcmp(l->named[i].module, im->module))
        from = l->named[i].inst;
    if (from) {
      int rc = bind_instance(inst, k, from, err);
      if (rc < 0)
        return rc;
      continue;
    }
    char desc[600];
    describe_import(m, k, desc, sizeof desc);
    return WEFT_ERR(err, WEFT_EUNLINKABLE, "'%s': unknown import %s", m->name,
                    desc);
  }
  return 0;
}

/* The default memory: export "memory", else the first exported memory,
 * else the first imported one. */
static wasm_rt_memory_t *find_memory0(weft_instance_t *inst,
                                      const char *name) {
  const weft_module_t *m = inst->module;
  int e = weft__module_find_export(m, name ? name : "memory");
  if (e >= 0 && m->wasm.exports[e].kind != WEFT_EXTERN_MEMORY)
    e = -1;
  for (uint32_t i = 0; e < 0 && !name && i < m->wasm.nexports; i++)
    if (m->wasm.exports[i].kind == WEFT_EXTERN_MEMORY)
      e = (int)i;
  if (e >= 0) {
    for (uint32_t i = 0; i < m->abi->nexports; i++)
      if (m->abi->exports[i].index == (uint32_t)e)
        return m->abi->exports[i].get(inst->w2c);
    return NULL;
  }
  for (uint32_t k = 0; !name && k < m->wasm.nimports; k++)
    if (m->wasm.imports[k].kind == WEFT_EXTERN_MEMORY)
      return inst->slots[k].ptr;
  return NULL;
}

/* Destroy the states; on a reset (`keep`), those that can reset stay. */
static void destroy_states(weft_instance_t *inst, int keep) {
  for (int i = 0; i < WEFT__STATE_MAX; i++) {
    const weft__state_ops_t *ops =
        inst->linker ? inst->linker->state[i].ops : NULL;
    if (!inst->state[i] || (keep && ops->reset))
      continue;
    if (ops->destroy)
      ops->destroy(inst->state[i]);
    inst->state[i] = NULL;
  }
}

static int create_states(weft_instance_t *inst, weft_error_t *err) {
  for (int i = 0; inst->linker && i < WEFT__STATE_MAX; i++) {
    const weft__state_ops_t *ops = inst->linker->state[i].ops;
    if (!ops)
      continue;
    int rc = inst->state[i]
                 ? ops->reset(inst->state[i], err)
                 : ops->create(inst, inst->linker->state[i].cfg,
                               &inst->state[i], err);
    if (rc < 0)
      return rc;
  }
  return 0;
}

/* ---- images: resets without instantiating again -------------------------- */

/* Does instantiating `m` always produce the same state? (See the top.) */
static int replayable(const weft_module_t *m) {
  const weft__wasm_t *w = &m->wasm;
  return !w->has_start && !w->nimported_memories && !w->nimported_tables &&
         !w->nimported_globals && !w->nimported_tags;
}

static size_t alloc_size(int kind) {
  return kind == WEFT__RT_MEMORY           ? sizeof(wasm_rt_memory_t)
         : kind == WEFT__RT_FUNCREF_TABLE ? sizeof(wasm_rt_funcref_table_t)
                                          : sizeof(wasm_rt_externref_table_t);
}

static void image_free(image_t *im) {
  if (!im)
    return;
  for (size_t i = 0; i < im->n; i++) {
    weft__rt_mem_image_free(&im->at[i].mem);
    weft__rt_table_image_free(&im->at[i].table);
  }
  free(im->w2c);
  free(im);
}

/* Fill `im` (its memories' and tables' kinds and offsets set) with the
 * live state of `inst`. Returns 0, or -1 out of memory. */
static int image_fill(weft_instance_t *inst, image_t *im) {
  size_t size = inst->module->abi->instance_size;
  if (!(im->w2c = malloc(size ? size : 1)))
    return -1;
  memcpy(im->w2c, inst->w2c, size);
  for (size_t i = 0; i < im->n; i++) {
    void *p = inst->w2c + im->at[i].off;
    if (im->at[i].kind == WEFT__RT_MEMORY
            ? weft__rt_mem_image_save(p, im->tracked, &im->at[i].mem) < 0
            : weft__rt_table_image_save(p, im->at[i].kind,
                                        &im->at[i].table) < 0)
      return -1;
  }
  return 0;
}

/* Save what the instantiation that noted `a` made into inst->image; leave
 * it NULL if the module is not replayable or on any doubt. */
static void image_save(weft_instance_t *inst, const weft__rt_allocs_t *a) {
  const weft_module_t *m = inst->module;
  size_t size = m->abi->instance_size;
  if (!replayable(m) || a->overflow ||
      a->n != (size_t)m->wasm.nmemories + m->wasm.ntables)
    return;
  uint64_t bytes = 0;
  for (size_t i = 0; i < a->n; i++) {
    uintptr_t p = (uintptr_t)a->at[i].ptr, lo = (uintptr_t)inst->w2c;
    if (p < lo || p + alloc_size(a->at[i].kind) > lo + size)
      return; /* not in this instance: cannot happen */
    if (a->at[i].kind == WEFT__RT_MEMORY)
      bytes += ((wasm_rt_memory_t *)a->at[i].ptr)->pages * 65536ull;
  }
  if (bytes > IMAGE_MAX_BYTES)
    return;
  image_t *im = calloc(1, sizeof *im + a->n * sizeof im->at[0]);
  if (!im)
    return;
  /* Code compiled with write tracking says so (rewrite.c); a reset then
   * puts back only the chunks it marked. */
  im->tracked = dlsym(m->dl, "weft_tracks_writes") != NULL;
  for (im->n = 0; im->n < a->n; im->n++) {
    im->at[im->n].kind = a->at[im->n].kind;
    im->at[im->n].off =
        (size_t)((unsigned char *)a->at[im->n].ptr - inst->w2c);
  }
  if (image_fill(inst, im) < 0) {
    image_free(im);
    return;
  }
  inst->image = im;
}

/* Take inst->image again from the live state (after `_initialize`), the
 * memories and tables where the old one has them. Returns 0, or -1 (too
 * large now, or out of memory) with inst->image the old one, whose next
 * restore then rewrites each memory whole (a memory's map may have been
 * cleared on the way). */
static int image_retake(weft_instance_t *inst) {
  const image_t *old = inst->image;
  uint64_t bytes = 0;
  for (size_t i = 0; i < old->n; i++)
    if (old->at[i].kind == WEFT__RT_MEMORY)
      bytes += ((wasm_rt_memory_t *)(inst->w2c + old->at[i].off))->pages *
               65536ull;
  image_t *im = NULL;
  if (bytes <= IMAGE_MAX_BYTES &&
      (im = calloc(1, sizeof *im + old->n * sizeof im->at[0]))) {
    im->tracked = old->tracked;
    for (im->n = 0; im->n < old->n; im->n++) {
      im->at[im->n].kind = old->at[im->n].kind;
      im->at[im->n].off = old->at[im->n].off;
    }
    if (image_fill(inst, im) == 0) {
      image_free(inst->image);
      inst->image = im;
      return 0;
    }
  }
  image_free(im);
  for (size_t i = 0; i < old->n; i++)
    if (old->at[i].kind == WEFT__RT_MEMORY)
      weft__rt_mem_dirty_all((void *)(inst->w2c + old->at[i].off));
  return -1;
}

/* Put inst->image back into the live instance. Returns 0, or -1 when a
 * memory or table could not be put back (then free and instantiate). */
static int image_restore(weft_instance_t *inst) {
  const image_t *im = inst->image;
  unsigned char *w = inst->w2c;
  union {
    wasm_rt_memory_t m;
    wasm_rt_funcref_table_t f;
    wasm_rt_externref_table_t x;
  } keep[WEFT__RT_ALLOCS_MAX];
  for (size_t i = 0; i < im->n; i++) {
    void *p = w + im->at[i].off;
    if (im->at[i].kind == WEFT__RT_MEMORY
            ? weft__rt_mem_image_restore(p, &im->at[i].mem) < 0
            : weft__rt_table_image_restore(p, &im->at[i].table) < 0)
      return -1;
    memcpy(&keep[i], p, alloc_size(im->at[i].kind));
  }
  /* Globals and the rest of the fields as saved; the memories' and
   * tables' descriptors as just restored (their data stays where it is). */
  memcpy(w, im->w2c, inst->module->abi->instance_size);
  for (size_t i = 0; i < im->n; i++)
    memcpy(w + im->at[i].off, &keep[i], alloc_size(im->at[i].kind));
  return 0;
}

/* Run the module's instantiation (globals, memories, tables, segments and
 * the start function) into inst->w2c; save its image if it has none. */
static int instantiate(weft_instance_t *inst, weft_error_t *err) {
  int rc = create_states(inst, err);
  if (rc < 0)
    return rc;
  weft__rt_allocs_t allocs = {.n = 0};
  inst->live = 1;
  inst->initialized = 0;
  inst->mem0 = find_memory0(inst, NULL);
  rc = guarded(inst, instantiate_tramp, inst, NULL, NULL, &allocs, err);
  if (rc == 0 && !inst->image && !inst->no_image)
    image_save(inst, &allocs);
  return rc;
}

static void teardown(weft_instance_t *inst, int keep_states) {
  if (inst->live)
    inst->module->abi->free(inst->w2c);
  inst->live = 0;
  destroy_states(inst, keep_states);
}

weft_instance_t *weft_instance_new(weft_linker_t *linker,
                                   weft_module_t *module,
                                   const weft_limits_t *limits,
                                   weft_error_t *err) {
  size_t size = sizeof(weft_instance_t) + module->abi->instance_size;
  weft_instance_t *inst = calloc(1, size);
  if (!inst) {
    WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
    return NULL;
  }
  inst->module = module;
  inst->linker = linker;
  if (limits)
    inst->limits = *limits;
  /* One slot per import, and the shim's own past them (abi.h). */
  inst->slots = calloc(module->wasm.nimports + 1, sizeof *inst->slots);
  if (!inst->slots) {
    WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
    goto fail;
  }
  if (linker && linker->check && linker->check(linker, module, err) < 0)
    goto fail;
  if (bind_imports(inst, err) < 0 || instantiate(inst, err) < 0)
    goto fail;
  return inst;
fail:
  weft_instance_free(inst);
  return NULL;
}

int weft_instance_reset(weft_instance_t *inst, weft_error_t *err) {
  if (inst->image && inst->live) {
    if (image_restore(inst) == 0) {
      inst->initialized = inst->init_mode == WEFT__INIT_ONCE;
      destroy_states(inst, 1);
      return create_states(inst, err);
    }
    image_free(inst->image);
    inst->image = NULL;
    inst->no_image = 1;
  }
  teardown(inst, 1);
  memset(inst->w2c, 0, inst->module->abi->instance_size);
  return instantiate(inst, err);
}

void weft_instance_free(weft_instance_t *inst) {
  if (!inst)
    return;
  teardown(inst, 0);
  image_free(inst->image);
  free(inst->slots);
  free(inst);
}

/* Exported function `name` of `m`; its export index in *idx. */
static const weft__abi_export_t *find_func(const weft_module_t *m,
                                           const char *name, int *idx) {
  int e = weft__module_find_export(m, name);
  if (e < 0 || m->wasm.exports[e].kind != WEFT_EXTERN_FUNC)
    return NULL;
  *idx = e;
  return abi_export(m, e);
}

const void *weft__module_export_func(const weft_module_t *m,
                                     const char *name, const char **sig) {
  int e;
  const weft__abi_export_t *ae = find_func(m, name, &e);
  if (ae && sig)
    *sig = m->export_sigs[e];
  return ae;
}

int weft__instance_call(weft_instance_t *inst, const void *func,
                        const weft_core_val_t *args, weft_core_val_t *results,
                        weft_error_t *err) {
  const weft__abi_export_t *ae = func;
  return guarded(inst, ae->tramp, inst->w2c, (const weft__abi_val_t *)args,
                 (weft__abi_val_t *)results, NULL, err);
}

weft_module_t *weft__instance_module(weft_instance_t *inst) {
  return inst->module;
}

const char *weft__module_name(const weft_module_t *m) { return m->name; }

const char *weft_instance_func_sig(weft_instance_t *inst, const char *name) {
  int e;
  if (!find_func(inst->module, name, &e))
    return NULL;
  return inst->module->export_sigs[e];
}

int weft_instance_invoke(weft_instance_t *inst, const char *name,
                         const weft_core_val_t *args, size_t nargs,
                         weft_core_val_t *results, size_t nresults,
                         weft_error_t *err) {
  int e;
  const weft__abi_export_t *ae = find_func(inst->module, name, &e);
  if (!ae)
    return WEFT_ERR(err, WEFT_ENOTFOUND, "'%s' has no exported function '%s'",
                    inst->module->name, name);
  const weft__functype_t *t = weft__wasm_func_type(
      &inst->module->wasm, inst->module->wasm.exports[e].index);
  if (nargs != t->nparams)
    return WEFT_ERR(err, WEFT_ESIGNATURE,
                    "'%s' takes %u arguments, %zu given (%s)", name,
                    t->nparams, nargs, inst->module->export_sigs[e]);
  for (size_t i = 0; i < nargs; i++)
    if (args[i].type != t->params[i])
      return WEFT_ERR(err, WEFT_ESIGNATURE,
                      "argument %zu of '%s' must be %s, not %s", i + 1, name,
                      weft__valtype_name(t->params[i]),
                      weft__valtype_name(args[i].type));
  weft__abi_val_t tmp[16];
  weft__abi_val_t *res = (weft__abi_val_t *)results;
  if (nresults < t->nresults) {
    if (t->nresults > 16)
      return WEFT_ERR(err, WEFT_EINVAL, "'%s' returns %u values", name,
                      t->nresults);
    res = tmp;
  }
  int rc = weft__instance_call(inst, ae, args, (weft_core_val_t *)res, err);
  if (rc == 0 && res == tmp)
    memcpy(results, tmp, nresults * sizeof *tmp);
  return rc;
}

/* ---- reactors: _initialize once ------------------------------------------ */

/* Set while weft__instance_initialize probes `_initialize` on this
 * thread and an import was called. */
static __thread int tripped;

/* What every function import is bound to while `_initialize` is probed:
 * called as any import is (shim.c), with whatever arguments, it notes the
 * call and traps before the host or another instance sees anything. */
__attribute__((noreturn)) static void tripwire(void) {
  tripped = 1;
  weft__trap_at(WEFT_TRAP_HOST, "'_initialize' called an import", NULL);
}

/* Run `_initialize` for real. */
static int run_initialize(weft_instance_t *inst, weft_error_t *err) {
  if (inst->init_fn)
    return guarded(inst, inst->init_fn->tramp, inst->w2c, NULL, NULL, NULL,
                   err);
  return weft_instance_invoke(inst, "_initialize", NULL, 0, NULL, 0, err);
}

/* Run `_initialize` the first time, with the function imports bound to the
 * tripwire; when it calls none, take the image again after it (see the
 * top of the file). */
static int probe_initialize(weft_instance_t *inst, weft_error_t *err) {
  const weft_module_t *m = inst->module;
  uint32_t n = m->wasm.nimports;
  weft__abi_slot_t *keep = malloc((n ? n : 1) * sizeof *keep);
  inst->init_mode = WEFT__INIT_EVERY;
  if (!keep)
    return run_initialize(inst, err);
  memcpy(keep, inst->slots, n * sizeof *keep);
  for (uint32_t k = 0; k < n; k++)
    if (m->wasm.imports[k].kind == WEFT_EXTERN_FUNC)
      inst->slots[k] = (weft__abi_slot_t){.fn = tripwire};
  weft_error_t perr;
  tripped = 0;
  int rc = guarded(inst, inst->init_fn->tramp, inst->w2c, NULL, NULL, NULL,
                   &perr);
  int trip = tripped;
  tripped = 0;
  memcpy(inst->slots, keep, n * sizeof *keep);
  free(keep);
  if (rc == 0) {
    /* As a real run would have left it; if the image cannot be taken
     * again, resets put back the one before and run it again. */
    if (image_retake(inst) == 0)
      inst->init_mode = WEFT__INIT_ONCE;
    return 0;
  }
  if (!trip) { /* it trapped on its own, as it would for real */
    if (err)
      *err = perr;
    return rc;
  }
  rc = weft_instance_reset(inst, err);
  return rc < 0 ? rc : run_initialize(inst, err);
}

int weft__instance_initialize(weft_instance_t *inst, weft_error_t *err) {
  if (inst->initialized)
    return 0;
  int rc;
  if (inst->init_mode == WEFT__INIT_UNKNOWN) {
    int e;
    const weft__abi_export_t *ae =
        find_func(inst->module, "_initialize", &e);
    if (!ae) {
      inst->init_mode = WEFT__INIT_NONE;
      return 0;
    }
    /* Another signature: called by name, which reports a wrong one. */
    if (!strcmp(inst->module->export_sigs[e], ":"))
      inst->init_fn = ae;
    inst->init_mode = WEFT__INIT_EVERY;
    rc = inst->init_fn && inst->image && inst->live
             ? probe_initialize(inst, err)
             : run_initialize(inst, err);
  } else if (inst->init_mode == WEFT__INIT_NONE) {
    return 0;
  } else {
    rc = run_initialize(inst, err);
  }
  if (rc == 0)
    inst->initialized = 1;
  return rc;
}

int weft_instance_global_get(weft_instance_t *inst, const char *name,
                             weft_core_val_t *out, weft_error_t *err) {
  const weft_module_t *m = inst->module;
  int e = weft__module_find_export(m, name);
  if (e < 0 || m->wasm.exports[e].kind != WEFT_EXTERN_GLOBAL)
    return WEFT_ERR(err, WEFT_ENOTFOUND, "'%s' has no exported global '%s'",
                    m->name, name);
  void *p = NULL;
  for (uint32_t i = 0; i < m->abi->nexports; i++)
    if (m->abi->exports[i].index == (uint32_t)e)
      p = m->abi->exports[i].get(inst->w2c);
  if (!p)
    return WEFT_ERR(err, WEFT_ENOTFOUND, "global '%s' is not readable", name);
  memset(out, 0, sizeof *out);
  switch (m->export_sigs[e][0]) {
  case 'i':
    out->type = WEFT_I32;
    memcpy(&out->of.i32, p, 4);
    break;
  case 'l':
    out->type = WEFT_I64;
    memcpy(&out->of.i64, p, 8);
    break;
  case 'f':
    out->type = WEFT_F32;
    memcpy(&out->of.f32, p, 4);
    break;
  case 'd':
    out->type = WEFT_F64;
    memcpy(&out->of.f64, p, 8);
    break;
  case 'x':
    out->type = WEFT_EXTERNREF;
    memcpy(&out->of.ref, p, sizeof(void *));
    break;
  case 'r':
    out->type = WEFT_FUNCREF;
    memcpy(&out->of.ref, &((wasm_rt_funcref_t *)p)->func, sizeof(void *));
    break;
  default:
    return WEFT_ERR(err, WEFT_EUNSUPPORTED, "global '%s' has type %s", name,
                    m->export_sigs[e]);
  }
  return 0;
}

uint8_t *weft_instance_memory(weft_instance_t *inst, const char *name,
                              size_t *size) {
  wasm_rt_memory_t *mem = name ? find_memory0(inst, name) : inst->mem0;
  if (!mem)
    return NULL;
  if (size)
    *size = mem->size;
  /* The caller may write anywhere, unmarked: the next reset rewrites all
   * of the memory. */
  weft__rt_mem_dirty_all(mem);
  return mem->data;
}

uint8_t *weft_caller_memory(weft_caller_t *caller, size_t *size) {
  return weft_instance_memory(caller, NULL, size);
}

void weft_caller_trap(weft_caller_t *caller, const char *msg) {
  (void)caller;
  weft__trap_at(WEFT_TRAP_HOST, msg, NULL);
}

void weft__trap(int trap, const char *msg) { weft__trap_at(trap, msg, NULL); }

void weft__instance_exit(weft_instance_t *inst, int status) {
  (void)inst;
  weft__exec_t *ex = weft__exec_current();
  if (!ex)
    abort();
  ex->trap = WEFT__EXEC_EXIT;
  ex->exit_status = status;
  WEFT__LONGJMP(ex->jb);
}

void weft_instance_set_data(weft_instance_t *inst, void *data) {
  inst->data = data;
}

void *weft_instance_data(weft_instance_t *inst) { return inst->data; }

void *weft__instance_state(weft_instance_t *inst, int slot) {
  return slot >= 0 && slot < WEFT__STATE_MAX ? inst->state[slot] : NULL;
}

wasm_rt_memory_t *weft__instance_memory0(weft_instance_t *inst) {
  return inst->mem0;
}

/* cabi_resource.c - resources: host resource objects, the per-instance
 * handle table, and the canonical built-ins guests import to drop handles
 * and to make and read handles of the resources they export.
 *
 * A handle is an index + 1 into the instance's table (0 is never a handle).
 * An entry owns its resource or borrows it; a borrow the host lends to an
 * export call is counted, and must be dropped before the call returns. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cabi/cabi_fast.h"
#include "cabi/cabi_int.h"

/* ---- resource objects ----------------------------------------------------
 * A flow makes and drops several resources per element: freed objects are
 * kept on a per-thread free list (at most RES_KEEP) rather than going back
 * to malloc; a thread's list is freed when the thread ends. */
#define RES_KEEP 64

static __thread weft_resource_t *res_free;
static __thread unsigned res_nfree;
static __thread bool res_keyed;
static pthread_key_t res_key;
static pthread_once_t res_once = PTHREAD_ONCE_INIT;

static void res_thread_end(void *unused) {
  (void)unused;
  while (res_free) {
    weft_resource_t *r = res_free;
    res_free = r->next;
    free(r);
  }
  res_nfree = 0;
}

static void res_key_make(void) {
  pthread_key_create(&res_key, res_thread_end);
}

/* A zeroed resource object, or NULL. */
static weft_resource_t *res_alloc(void) {
  weft_resource_t *r = res_free;
  if (!r)
    return calloc(1, sizeof *r);
  res_free = r->next;
  res_nfree--;
  memset(r, 0, sizeof *r);
  return r;
}

static void res_release(weft_resource_t *r) {
  if (!res_keyed) { /* the list's owner, so the thread's end frees it */
    pthread_once(&res_once, res_key_make);
    res_keyed = pthread_setspecific(res_key, &res_keyed) == 0;
  }
  if (!res_keyed || res_nfree >= RES_KEEP) {
    free(r);
    return;
  }
  r->next = res_free;
  res_free = r;
  res_nfree++;
}

/* Room for one more handle at the end of the table: 0, or WEFT_ELIMIT /
 * WEFT_ENOMEM. Out of line: the free list serves the steady state. */
static __attribute__((noinline)) int handles_grow(cabi_inst_t *ci) {
  uint32_t cap = ci->cap ? ci->cap * 2 : 16;
  if (cap > (1u << 24))
    return WEFT_ELIMIT;
  cabi_handle_t *p = realloc(ci->handles, cap * sizeof *p);
  if (!p)
    return WEFT_ENOMEM;
  ci->handles = p;
  ci->cap = cap;
  return 0;
}

/* cabi_handle_new, inlined into the fast-path helpers below. */
static inline int handle_new(cabi_inst_t *ci, weft_resource_t *res, bool own,
                             uint32_t *handle) {
  uint32_t h = ci->free_head;
  if (h) {
    ci->free_head = ci->handles[h - 1].next_free;
  } else {
    if (ci->nhandles == ci->cap) {
      int rc = handles_grow(ci);
      if (rc < 0)
        return rc;
    }
    h = ++ci->nhandles;
  }
  ci->handles[h - 1] = (cabi_handle_t){.res = res, .own = own};
  *handle = h;
  return 0;
}

int cabi_handle_new(cabi_inst_t *ci, weft_resource_t *res, bool own,
                    uint32_t *handle) {
  return handle_new(ci, res, own, handle);
}

/* Two helpers of cabi_fast.h, here rather than in cabi_fast.c so that
 * handle_new inlines into them: flows call them several times per
 * element. */
uint32_t weft__cabi_give(weft_instance_t *inst, weft_resource_t *res) {
  uint32_t h;
  if (handle_new(cabi_inst_of(inst), res, true, &h) < 0) {
    weft_resource_drop(res);
    weft__trap(WEFT_TRAP_ABI,
               "canonical ABI: too many handles in the results");
  }
  return h;
}

int weft__cabi_lend(weft_instance_t *inst, weft_resource_t *res, uint32_t *h,
                    weft_error_t *err) {
  cabi_inst_t *ci = cabi_inst_of(inst);
  if (!ci || !res || res->type->guest)
    return WEFT_ERR(err, WEFT_EINVAL, "only host resources can be lent");
  if (handle_new(ci, res, false, h) < 0) {
    cabi_end_loans(ci);
    return WEFT_ERR(err, WEFT_ELIMIT, "too many handles");
  }
  ci->handles[*h - 1].lent = true;
  ci->lent++;
  return 0;
}

cabi_handle_t *cabi_handle_get(cabi_inst_t *ci, uint32_t h) {
  if (h == 0 || h > ci->nhandles || !ci->handles[h - 1].res)
    return NULL;
  return &ci->handles[h - 1];
}

void cabi_handle_free(cabi_inst_t *ci, uint32_t h) {
  cabi_handle_t *e = &ci->handles[h - 1];
  if (e->lent && ci->lent)
    ci->lent--;
  *e = (cabi_handle_t){.next_free = ci->free_head};
  ci->free_head = h;
}

void cabi_held_add(weft_resource_t *res) {
  cabi_inst_t *ci = res->inst;
  res->prev = NULL;
  res->next = ci->held;
  if (res->next)
    res->next->prev = res;
  ci->held = res;
}

void cabi_held_remove(weft_resource_t *res) {
  if (res->prev)
    res->prev->next = res->next;
  else
    res->inst->held = res->next;
  if (res->next)
    res->next->prev = res->prev;
  res->next = res->prev = NULL;
}

/* Run a guest resource's [dtor] export in its instance. */
static void guest_dtor(weft_resource_t *res) {
  cabi_inst_t *ci = res->inst;
  if (!ci || !res->type->dtor_export)
    return;
  const void *fn = weft__module_export_func(
      weft__instance_module(ci->inst), res->type->dtor_export, NULL);
  if (!fn)
    return;
  weft_core_val_t arg = {.type = WEFT_I32, .of.i32 = (int32_t)res->guest_rep};
  weft__instance_call(ci->inst, fn, &arg, NULL, NULL);
}

void cabi_resource_destroy(weft_resource_t *res) {
  if (res->type->guest)
    guest_dtor(res);
  else if (res->type->dtor)
    res->type->dtor(res->rep, res->type->env);
  res_release(res);
}

void cabi_handles_clear(cabi_inst_t *ci) {
  for (uint32_t i = 0; i < ci->nhandles; i++) {
    weft_resource_t *res = ci->handles[i].res;
    if (!res || !ci->handles[i].own)
      continue;
    if (res->type->guest) /* its instance is going away: no destructor */
      res_release(res);
    else
      cabi_resource_destroy(res);
  }
  free(ci->handles);
  ci->handles = NULL;
  ci->nhandles = ci->cap = ci->free_head = ci->lent = 0;
  for (weft_resource_t *r = ci->held; r; r = r->next)
    r->inst = NULL; /* the host still holds these; they are now inert */
  ci->held = NULL;
}

weft_resource_type_t *cabi_rtype(const cabi_world_t *w,
                                 const weft__wit_type_t *resource) {
  for (size_t i = 0; i < w->nrtypes; i++)
    if (w->rtypes[i]->wt == resource)
      return w->rtypes[i];
  return NULL;
}

/* ---- public API --------------------------------------------------------- */

weft_resource_t *weft_resource_new(weft_resource_type_t *type, void *rep) {
  if (!type || type->guest)
    return NULL;
  weft_resource_t *r = res_alloc();
  if (r) {
    r->type = type;
    r->rep = rep;
  }
  return r;
}

void *weft_resource_rep(const weft_resource_t *res) {
  return res && !res->type->guest ? res->rep : NULL;
}

weft_resource_type_t *weft_resource_type(const weft_resource_t *res) {
  return res && !res->type->guest ? res->type : NULL;
}

void weft_resource_drop(weft_resource_t *res) {
  if (!res)
    return;
  if (res->type->guest && res->inst)
    cabi_held_remove(res);
  cabi_resource_destroy(res);
}

/* ---- canonical built-ins ------------------------------------------------ */

static uint32_t arg_u32(const weft_core_val_t *a) {
  return (uint32_t)a->of.i32;
}

/* Trap for handle `h`, which is not a `rt` of `ci`'s table. */
static __attribute__((noreturn, noinline, cold)) void
bad_handle(cabi_inst_t *ci, weft_resource_type_t *rt, uint32_t h) {
  char msg[160];
  cabi_handle_t *e = cabi_handle_get(ci, h);
  if (!e)
    snprintf(msg, sizeof msg, "canonical ABI: unknown handle %u of '%s'", h,
             rt->name);
  else
    snprintf(msg, sizeof msg, "canonical ABI: handle %u is a '%s', not a '%s'",
             h, e->res->type->name, rt->name);
  weft__trap(WEFT_TRAP_ABI, msg);
}

static inline cabi_handle_t *get_typed(cabi_inst_t *ci,
                                       weft_resource_type_t *rt, uint32_t h) {
  cabi_handle_t *e = h - 1 < ci->nhandles ? &ci->handles[h - 1] : NULL;
  if (__builtin_expect(!e || !e->res || e->res->type != rt, 0))
    bad_handle(ci, rt, h);
  return e;
}

/* [resource-drop]R: an own handle destroys its resource, a borrow just
 * ends. */
static void resource_drop(weft_caller_t *caller, void *env,
                          const weft_core_val_t *args,
                          weft_core_val_t *results) {
  (void)results;
  weft_resource_type_t *rt = env;
  cabi_inst_t *ci = cabi_inst_of(caller);
  uint32_t h = arg_u32(&args[0]);
  cabi_handle_t *e = get_typed(ci, rt, h);
  weft_resource_t *res = e->res;
  bool own = e->own;
  cabi_handle_free(ci, h);
  if (own)
    cabi_resource_destroy(res);
}

/* The same, as raw functions (engine.h) called straight from guest code:
 * a drop per element is common in flows. A raw function gets no env, so
 * there is one per resource index of the world (the first RAW_DROPS; the
 * rest use resource_drop). */
#define RAW_DROPS 16

static inline void raw_drop(weft_instance_t *inst, uint32_t h, size_t k) {
  cabi_inst_t *ci = cabi_inst_of(inst);
  cabi_handle_t *e = get_typed(ci, ci->world->rtypes[k], h);
  weft_resource_t *res = e->res;
  bool own = e->own;
  cabi_handle_free(ci, h);
  if (own)
    cabi_resource_destroy(res);
}

#define RAW_DROP(k)                                                     \
  static void raw_drop_##k(weft_instance_t *inst, uint32_t h) {         \
    raw_drop(inst, h, k);                                               \
  }
RAW_DROP(0) RAW_DROP(1) RAW_DROP(2) RAW_DROP(3) RAW_DROP(4) RAW_DROP(5)
RAW_DROP(6) RAW_DROP(7) RAW_DROP(8) RAW_DROP(9) RAW_DROP(10) RAW_DROP(11)
RAW_DROP(12) RAW_DROP(13) RAW_DROP(14) RAW_DROP(15)

static void (*const raw_drops[RAW_DROPS])(weft_instance_t *, uint32_t) = {
    raw_drop_0,  raw_drop_1,  raw_drop_2,  raw_drop_3,
    raw_drop_4,  raw_drop_5,  raw_drop_6,  raw_drop_7,
    raw_drop_8,  raw_drop_9,  raw_drop_10, raw_drop_11,
    raw_drop_12, raw_drop_13, raw_drop_14, raw_drop_15};

/* [resource-new]R: a new own handle for the guest's representation. */
static void resource_new(weft_caller_t *caller, void *env,
                         const weft_core_val_t *args,
                         weft_core_val_t *results) {
  weft_resource_type_t *rt = env;
  cabi_inst_t *ci = cabi_inst_of(caller);
  weft_resource_t *r = res_alloc();
  uint32_t h;
  if (!r)
    weft_caller_trap(caller, "out of memory");
  r->type = rt;
  r->guest_rep = arg_u32(&args[0]);
  r->inst = ci;
  if (cabi_handle_new(ci, r, true, &h) < 0) {
    res_release(r);
    weft_caller_trap(caller, "canonical ABI: too many handles");
  }
  results[0].type = WEFT_I32;
  results[0].of.i32 = (int32_t)h;
}

/* [resource-rep]R: the representation behind a handle. */
static void resource_rep(weft_caller_t *caller, void *env,
                         const weft_core_val_t *args,
                         weft_core_val_t *results) {
  weft_resource_type_t *rt = env;
  cabi_inst_t *ci = cabi_inst_of(caller);
  cabi_handle_t *e = get_typed(ci, rt, arg_u32(&args[0]));
  results[0].type = WEFT_I32;
  results[0].of.i32 = (int32_t)e->res->guest_rep;
}

/* Define `module`.`what``rt's name` with signature `sig`. */
static int builtin(weft_linker_t *linker, const char *module, const char *what,
                   weft_resource_type_t *rt, const char *sig, weft_host_fn_t fn,
                   weft_error_t *err) {
  weft__buf_t name;
  weft__buf_init(&name);
  if (weft__buf_printf(&name, "%s%s", what, rt->wt->name) < 0)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  int rc = weft_linker_define_func(linker, module, name.data, sig, fn, rt, err);
  weft__buf_release(&name);
  return rc;
}

int cabi_define_resource_builtins(weft_linker_t *linker, cabi_world_t *w,
                                  weft_error_t *err) {
  for (size_t i = 0; i < w->nrtypes; i++) {
    weft_resource_type_t *rt = w->rtypes[i];
    /* The interface's core module: rt->name up to its '#'. */
    weft__buf_t mod;
    weft__buf_init(&mod);
    if (rt->guest)
      weft__buf_puts(&mod, "[export]");
    weft__buf_add(&mod, rt->name, (size_t)(strchr(rt->name, '#') - rt->name));
    int rc = mod.data ? 0 : WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
    if (rc == 0 && rt->guest)
      rc = builtin(linker, mod.data, "[resource-new]", rt, "i:i",
                   resource_new, err);
    if (rc == 0 && rt->guest)
      rc = builtin(linker, mod.data, "[resource-rep]", rt, "i:i",
                   resource_rep, err);
    if (rc == 0 && i < RAW_DROPS) {
      weft__buf_t name;
      weft__buf_init(&name);
      rc = weft__buf_printf(&name, "[resource-drop]%s", rt->wt->name) < 0
               ? WEFT_ERR(err, WEFT_ENOMEM, "out of memory")
               : weft__linker_define_raw(linker, mod.data, name.data, "i:",
                                         (weft__raw_fn_t)raw_drops[i], err);
      weft__buf_release(&name);
    } else if (rc == 0) {
      rc = builtin(linker, mod.data, "[resource-drop]", rt, "i:",
                   resource_drop, err);
    }
    weft__buf_release(&mod);
    if (rc < 0)
      return rc;
  }
  return 0;
}

/* cabi_fast.c - the canonical ABI by hand for fixed, simple signatures
 * (cabi_fast.h): raw host functions for world imports and their helpers,
 * and export calls with hand-lowered arguments and hand-read results.
 * Each check is the one cabi_lift.c or cabi_lower.c makes on the same
 * value, with the same messages. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cabi/cabi_fast.h"
#include "cabi/cabi_int.h"

/* ---- imports ------------------------------------------------------------ */

/* Marks a world import as implemented (check_module looks at f->fn) when
 * a raw function stands for it; never called. */
static void raw_defined(weft_caller_t *caller, void *env,
                        const weft_val_t *args, size_t nargs,
                        weft_val_t *results, size_t nresults) {
  (void)env, (void)args, (void)nargs, (void)results, (void)nresults;
  weft_caller_trap(caller, "canonical ABI: raw import called generically");
}

int weft__cabi_define_raw(weft_linker_t *linker, const char *name,
                          const char *sig, weft__raw_fn_t fn,
                          weft_error_t *err) {
  cabi_world_t *w;
  weft_func_t *f;
  int rc = cabi_linker_import(linker, name, &w, &f, err);
  if (rc < 0)
    return rc;
  if (strcmp(f->sig, sig))
    return WEFT_ERR(err, WEFT_ESIGNATURE,
                    "world '%s' gives '%s' core signature '%s', not '%s'",
                    w->w->name, f->name, f->sig, sig);
  f->fn = raw_defined;
  f->env = NULL;
  return weft__linker_define_raw(linker, f->core_module, f->core_name, sig,
                                 fn, err);
}

__attribute__((noreturn, cold, format(printf, 1, 2))) static void
abi_trap(const char *fmt, ...) {
  char msg[sizeof ((weft_error_t *)0)->msg];
  int n = snprintf(msg, sizeof msg, "canonical ABI: ");
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
  va_end(ap);
  weft__trap(WEFT_TRAP_ABI, msg);
}

/* Why handle `h` of `ci`'s table is not a `type` (into why[size]). */
static __attribute__((noinline, cold)) void
untyped(cabi_inst_t *ci, uint32_t h, const weft_resource_type_t *type,
        char *why, size_t size) {
  cabi_handle_t *e = ci ? cabi_handle_get(ci, h) : NULL;
  if (!e)
    snprintf(why, size, "unknown handle %u of resource '%s'", h,
             type->wt->name);
  else
    snprintf(why, size, "handle %u is a '%s', where a '%s' is expected", h,
             e->res->type->wt->name, type->wt->name);
}

/* Entry `h` of `ci`'s table holding a resource of `type`'s WIT type, or
 * NULL (then `untyped` says why). */
static inline cabi_handle_t *typed(cabi_inst_t *ci, uint32_t h,
                                   const weft_resource_type_t *type) {
  cabi_handle_t *e =
      ci && h - 1 < ci->nhandles ? &ci->handles[h - 1] : NULL;
  if (!e || !e->res || e->res->type->wt != type->wt)
    return NULL;
  return e;
}

weft_resource_t *weft__cabi_borrowed(weft_instance_t *inst, uint32_t h,
                                     const weft_resource_type_t *type) {
  cabi_inst_t *ci = cabi_inst_of(inst);
  cabi_handle_t *e = typed(ci, h, type);
  if (__builtin_expect(!e, 0)) {
    char why[200];
    untyped(ci, h, type, why, sizeof why);
    abi_trap("%s in the arguments", why);
  }
  return e->res;
}

uint8_t *weft__cabi_guest(weft_instance_t *inst, uint32_t ptr, uint64_t len,
                          uint32_t align, const char *of) {
  wasm_rt_memory_t *mem = weft__instance_memory0(inst);
  if (!mem)
    abi_trap("the module exports no memory for %s", of);
  if (align > 1 && (ptr & (align - 1)))
    abi_trap("%s pointer %#x is not %u-byte aligned", of, ptr, align);
  uint8_t *p = weft__guest_ptr(mem, ptr, len);
  if (!p)
    abi_trap("%s at %#x, %llu bytes, is outside the %llu bytes of memory", of,
             ptr, (unsigned long long)len, (unsigned long long)mem->size);
  return p;
}

/* cabi_realloc(0, 0, align, len) in `inst`, checked: 0 and *ptr, or a
 * negative code with *err. */
static int guest_alloc(weft_instance_t *inst, uint32_t align, size_t len,
                       uint32_t *ptr, weft_error_t *err) {
  cabi_inst_t *ci = cabi_inst_of(inst);
  if (!ci || !ci->realloc_fn)
    return WEFT_ERR(err, WEFT_ETRAP,
                    "canonical ABI: the module exports no cabi_realloc");
  if (len > UINT32_MAX)
    return WEFT_ERR(err, WEFT_ETRAP, "canonical ABI: list of %zu bytes is "
                    "too long for a 32-bit memory", len);
  weft_core_val_t args[4] = {{.type = WEFT_I32, .of.i32 = 0},
                             {.type = WEFT_I32, .of.i32 = 0},
                             {.type = WEFT_I32, .of.i32 = (int32_t)align},
                             {.type = WEFT_I32, .of.i32 = (int32_t)len}};
  weft_core_val_t res = {.type = WEFT_I32};
  int rc = weft__instance_call(inst, ci->realloc_fn, args, &res, err);
  if (rc < 0)
    return rc;
  *ptr = (uint32_t)res.of.i32;
  wasm_rt_memory_t *mem = weft__instance_memory0(inst);
  if (!mem || (align > 1 && (*ptr & (align - 1))) ||
      !weft__guest_ptr(mem, *ptr, len))
    return WEFT_ERR(err, WEFT_ETRAP,
                    "canonical ABI: cabi_realloc result at %#x, %zu bytes, "
                    "is not %u-byte aligned memory of the module",
                    *ptr, len, align);
  return 0;
}

uint32_t weft__cabi_copy_out(weft_instance_t *inst, const void *src,
                             size_t len, uint32_t align) {
  weft_error_t e; /* not zeroed: 280 bytes, on the hot path */
  e.code = e.detail = 0;
  e.msg[0] = 0;
  uint32_t ptr;
  if (guest_alloc(inst, align, len, &ptr, &e) < 0)
    weft__trap(e.code == WEFT_ETRAP && e.detail ? e.detail : WEFT_TRAP_ABI,
               e.msg);
  if (len)
    memcpy(weft__guest_ptr(weft__instance_memory0(inst), ptr, len), src,
           len); /* guest_ptr marks the chunks written (runtime.h) */
  return ptr;
}

/* ---- exports ------------------------------------------------------------ */

const char *weft__cabi_func_sig(const weft_func_t *f) { return f->sig; }

int weft__cabi_copy_in(weft_instance_t *inst, const void *src, size_t len,
                       uint32_t *ptr, weft_error_t *err) {
  int rc = guest_alloc(inst, 1, len, ptr, err);
  if (rc < 0) {
    cabi_end_loans(cabi_inst_of(inst));
    return rc;
  }
  if (len)
    memcpy(weft__guest_ptr(weft__instance_memory0(inst), *ptr, len), src,
           len); /* guest_ptr marks the chunks written (runtime.h) */
  return 0;
}

int weft__cabi_call(weft_instance_t *inst, const weft_func_t *f,
                    const weft_core_val_t *args, uint32_t *ret,
                    weft_error_t *err) {
  cabi_inst_t *ci = inst ? cabi_inst_of(inst) : NULL;
  if (!ci || !f || f->world != ci->world)
    return WEFT_ERR(err, WEFT_EINVAL,
                    "the function is not an export of the instance's world");
  if (ci->depth) {
    cabi_end_loans(ci);
    return WEFT_ERR(err, WEFT_EINVAL,
                    "'%s' called while the instance is running", f->name);
  }
  weft__arena_reset(&ci->results);
  weft_core_val_t res[1] = {{0}};
  ci->depth++;
  int rc = weft__instance_call(inst, ci->exports[f->index], args, res, err);
  ci->depth--;
  if (rc < 0) {
    cabi_end_loans(ci);
    return rc;
  }
  *ret = (uint32_t)res[0].of.i32;
  return 0;
}

const uint8_t *weft__cabi_result_mem(weft_instance_t *inst, uint32_t ptr,
                                     uint64_t len, uint32_t align,
                                     const char *of, weft_error_t *err) {
  wasm_rt_memory_t *mem = weft__instance_memory0(inst);
  const uint8_t *p = mem ? weft__guest_ptr(mem, ptr, len) : NULL;
  if (align > 1 && (ptr & (align - 1))) {
    WEFT_ERR(err, WEFT_ETRAP, "canonical ABI: %s pointer %#x is not %u-byte "
             "aligned", of, ptr, align);
    return NULL;
  }
  if (!p)
    WEFT_ERR(err, WEFT_ETRAP, "canonical ABI: %s at %#x, %llu bytes, is "
             "outside the module's memory", of, ptr, (unsigned long long)len);
  return p;
}

const char *weft__cabi_result_string(weft_instance_t *inst, uint32_t ptr,
                                     uint32_t len, weft_error_t *err) {
  if (len > CABI_MAX_STRING) {
    WEFT_ERR(err, WEFT_ETRAP, "canonical ABI: string of %u bytes is too "
             "long", len);
    return NULL;
  }
  const uint8_t *p = weft__cabi_result_mem(inst, ptr, len, 1, "string", err);
  if (!p)
    return NULL;
  size_t bad = cabi_utf8_check(p, len);
  if (bad != len) {
    WEFT_ERR(err, WEFT_ETRAP, "canonical ABI: string at %#x is not valid "
             "UTF-8 (byte %zu) in the results", ptr, bad);
    return NULL;
  }
  return (const char *)p;
}

weft_resource_t *weft__cabi_take(weft_instance_t *inst, uint32_t h,
                                 const weft_resource_type_t *type,
                                 weft_error_t *err) {
  cabi_inst_t *ci = cabi_inst_of(inst);
  cabi_handle_t *e = typed(ci, h, type);
  if (__builtin_expect(!e || !e->own, 0)) {
    char why[200];
    if (e)
      snprintf(why, sizeof why,
               "handle %u of '%s' is borrowed and cannot be given away", h,
               type->wt->name);
    else
      untyped(ci, h, type, why, sizeof why);
    WEFT_ERR(err, WEFT_ETRAP, "canonical ABI: %s in the results", why);
    return NULL;
  }
  weft_resource_t *res = e->res;
  cabi_handle_free(ci, h);
  return res;
}

int weft__cabi_finish(weft_instance_t *inst, const weft_func_t *f,
                      uint32_t ret, weft_error_t *err) {
  cabi_inst_t *ci = cabi_inst_of(inst);
  const void *post = ci->posts[f->index];
  if (post) {
    weft_core_val_t arg = {.type = WEFT_I32, .of.i32 = (int32_t)ret};
    ci->depth++;
    int rc = weft__instance_call(inst, post, &arg, NULL, err);
    ci->depth--;
    if (rc < 0) {
      cabi_end_loans(ci);
      return rc;
    }
  }
  if (ci->lent) {
    uint32_t n = ci->lent;
    cabi_end_loans(ci);
    return WEFT_ERR(err, WEFT_ETRAP, "canonical ABI: %u borrowed handle%s "
                    "still held at the end of '%s'", n,
                    n == 1 ? " was" : "s were", f->name);
  }
  return 0;
}

void weft__cabi_abort(weft_instance_t *inst) {
  cabi_inst_t *ci = cabi_inst_of(inst);
  if (ci)
    cabi_end_loans(ci);
}

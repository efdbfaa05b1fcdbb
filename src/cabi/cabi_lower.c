/* cabi_lower.c - writing component values into a guest: as flat core
 * values and into linear memory, allocated with the guest's cabi_realloc.
 * Host values are checked against their type as they go (a mismatch is
 * WEFT_ESIGNATURE); what the guest hands back (a realloc result, a
 * return-area pointer) is checked like any guest pointer. Memory never
 * moves in Weft (it grows inside its reservation), so a host pointer into
 * it stays valid across a cabi_realloc call. */
#include <string.h>

#include "cabi/cabi_int.h"

const char *cabi_val_kind_name(int kind) {
  if (kind == 22 || kind < WEFT_VAL_BOOL || kind > WEFT_VAL_BORROW)
    return "no kind";
  return weft__wit_kind_name((weft__wit_kind_t)kind);
}

/* cabi_realloc(0, 0, align, size) in the guest, its result checked: the
 * host address of the `size` bytes at *ptr, or NULL with the conversion
 * failed. Inline into lower_string, as it runs for every string. */
static inline __attribute__((always_inline)) uint8_t *
guest_realloc(cabi_cx_t *cx, uint32_t align, uint32_t size, uint32_t *ptr) {
  if (!cx->ci->realloc_fn) {
    cabi_fail(cx, WEFT_ETRAP, "the module exports no cabi_realloc");
    return NULL;
  }
  /* Only the fields read are set: no 96 bytes of arguments cleared. */
  weft_core_val_t args[4], res;
  args[0].type = args[1].type = args[2].type = args[3].type = WEFT_I32;
  args[0].of.i64 = args[1].of.i64 = 0;
  args[2].of.i64 = align;
  args[3].of.i64 = size;
  res.type = WEFT_I32;
  res.of.i64 = 0;
  /* A failed guest call fills every field of the error it is given: the
   * conversion's own, unless it keeps an earlier failure already. */
  weft_error_t spare;
  int rc = weft__instance_call(cx->inst, cx->ci->realloc_fn, args, &res,
                               cx->failed ? &spare : &cx->err);
  if (rc < 0) {
    if (!cx->failed)
      cx->failed = rc;
    return NULL;
  }
  *ptr = (uint32_t)res.of.i32;
  return cabi_mem(cx, *ptr, size, align, "cabi_realloc result");
}

/* The code of the conversion's failure (a guest call's may be an exit). */
static int failed(const cabi_cx_t *cx) {
  return cx->failed ? cx->failed : WEFT_ETRAP;
}

int cabi_realloc(cabi_cx_t *cx, uint32_t align, uint32_t size, uint32_t *ptr) {
  return guest_realloc(cx, align, size, ptr) ? 0 : failed(cx);
}

static int mismatch(cabi_cx_t *cx, const weft__wit_type_t *t,
                    const weft_val_t *v) {
  return cabi_fail(cx, WEFT_ESIGNATURE, "expected %s%s%s%s, got %s",
                   weft__wit_kind_name(t->kind), t->name ? " '" : "",
                   t->name ? t->name : "", t->name ? "'" : "",
                   cabi_val_kind_name(v->kind));
}

static inline __attribute__((always_inline)) int
lower_string(cabi_cx_t *cx, const weft_val_t *v, uint32_t *ptr,
             uint32_t *len) {
  const uint8_t *s = (const uint8_t *)v->of.str.ptr;
  size_t n = v->of.str.len;
  if (n > CABI_MAX_STRING)
    return cabi_fail(cx, WEFT_ESIGNATURE, "string of %zu bytes is too long",
                     n);
  if (n && !s)
    return cabi_fail(cx, WEFT_ESIGNATURE, "string with a NULL pointer");
  size_t bad = cabi_utf8_check(s, n);
  if (bad != n)
    return cabi_fail(cx, WEFT_ESIGNATURE,
                     "string is not valid UTF-8 (byte %zu)", bad);
  uint8_t *dst = guest_realloc(cx, 1, (uint32_t)n, ptr);
  if (!dst)
    return failed(cx);
  if (n)
    memcpy(dst, s, n);
  *len = (uint32_t)n;
  return 0;
}

static int store_at(cabi_cx_t *cx, const weft__wit_type_t *t,
                    const cabi_layout_t *l, const weft_val_t *v, uint8_t *p,
                    uint32_t ptr);

static int lower_list(cabi_cx_t *cx, const weft__wit_type_t *t,
                      const weft_val_t *v, uint32_t *ptr, uint32_t *len) {
  const weft__wit_type_t *e = weft__wit_unalias(t->m[0].type);
  bool bytes = e->kind == WEFT__WIT_U8;
  size_t n = bytes ? v->of.bytes.len : v->of.list.len;
  /* One layout lookup for every element of a list of compounds. */
  const cabi_layout_t *l = cabi_cx_layout(cx, e);
  uint32_t esz32, ealign;
  if (l) {
    esz32 = l->size;
    ealign = l->align;
  } else {
    cabi_size_align(cx, e, &esz32, &ealign);
  }
  uint64_t esz = esz32, total = (uint64_t)n * esz;
  if (n > UINT32_MAX || total > UINT32_MAX)
    return cabi_fail(cx, WEFT_ESIGNATURE, "list of %zu items is too long", n);
  if (n && !(bytes ? (const void *)v->of.bytes.ptr
                   : (const void *)v->of.list.ptr))
    return cabi_fail(cx, WEFT_ESIGNATURE, "list with a NULL pointer");
  uint8_t *base = guest_realloc(cx, ealign, (uint32_t)total, ptr);
  if (!base)
    return failed(cx);
  *len = (uint32_t)n;
  int rc;
  if (bytes) {
    if (n)
      memcpy(base, v->of.bytes.ptr, n);
    return 0;
  }
  for (size_t i = 0; i < n; i++)
    if ((rc = store_at(cx, e, l, &v->of.list.ptr[i], base + i * esz,
                       *ptr + (uint32_t)(i * esz))) < 0)
      return rc;
  return 0;
}

static int lower_handle(cabi_cx_t *cx, const weft__wit_type_t *t,
                        const weft_val_t *v, uint32_t *out) {
  const weft__wit_type_t *r = cabi_resource_of(t);
  weft_resource_t *res = v->of.res;
  if (!res)
    return cabi_fail(cx, WEFT_ESIGNATURE, "NULL resource for a '%s'",
                     r->name);
  if (res->type->wt != r)
    return cabi_fail(cx, WEFT_ESIGNATURE,
                     "resource is a '%s', where a '%s' is expected",
                     res->type->name, r->name);
  bool mine = res->type->guest && res->inst == cx->ci;
  if (res->type->guest && !mine)
    return cabi_fail(cx, WEFT_ESIGNATURE,
                     "resource '%s' belongs to another instance",
                     res->type->name);
  if (t->kind == WEFT__WIT_BORROW && mine) {
    *out = res->guest_rep; /* the defining instance gets its rep */
    return 0;
  }
  bool own = t->kind == WEFT__WIT_OWN;
  if (own && mine) /* no longer held by the host */
    cabi_held_remove(res);
  if (cabi_handle_new(cx->ci, res, own, out) < 0)
    return cabi_fail(cx, WEFT_ELIMIT, "too many handles");
  if (!own && cx->export_call) {
    cabi_handle_get(cx->ci, *out)->lent = true;
    cx->ci->lent++;
  }
  return 0;
}

static int check_var(cabi_cx_t *cx, const weft__wit_type_t *t,
                     const weft_val_t *v, const weft__wit_type_t **c) {
  if (v->of.var.tag >= cabi_ncases(t))
    return cabi_fail(cx, WEFT_ESIGNATURE, "case %u of %s '%s' does not exist",
                     v->of.var.tag, weft__wit_kind_name(t->kind),
                     t->name ? t->name : "");
  *c = cabi_case(t, v->of.var.tag);
  if (*c && !v->of.var.val)
    return cabi_fail(cx, WEFT_ESIGNATURE, "case %u of %s '%s' needs a value",
                     v->of.var.tag, weft__wit_kind_name(t->kind),
                     t->name ? t->name : "");
  return 0;
}

static int check_seq(cabi_cx_t *cx, const weft__wit_type_t *t,
                     const weft_val_t *v) {
  if (v->of.list.len != t->n || (t->n && !v->of.list.ptr))
    return cabi_fail(cx, WEFT_ESIGNATURE, "%s '%s' needs %zu %s, got %zu",
                     weft__wit_kind_name(t->kind), t->name ? t->name : "",
                     t->n, t->kind == WEFT__WIT_RECORD ? "fields" : "elements",
                     v->of.list.len);
  return 0;
}

static int check_char(cabi_cx_t *cx, uint32_t c) {
  if (!weft__is_scalar(c))
    return cabi_fail(cx, WEFT_ESIGNATURE,
                     "char %#x is not a Unicode scalar value", c);
  return 0;
}

/* Store `v` as `t` (unaliased; `l` its layout if the caller has it, else
 * NULL) at guest address `ptr`, whose host address `p` has been checked
 * for t's size and alignment: by cabi_store, or as part of the value or
 * list that holds it (a field, case or element of a checked range lies in
 * it, aligned, since its offset is a multiple of its alignment and that
 * divides the holder's). Memory never moves, so `p` stays valid across the
 * cabi_realloc calls of the strings and lists inside. */
static int store_at(cabi_cx_t *cx, const weft__wit_type_t *t,
                    const cabi_layout_t *l, const weft_val_t *v, uint8_t *p,
                    uint32_t ptr) {
  if (v->kind != t->kind)
    return mismatch(cx, t, v);
  int rc;
  switch (t->kind) {
  case WEFT__WIT_BOOL:
    p[0] = v->of.b;
    return 0;
  case WEFT__WIT_S8:
  case WEFT__WIT_U8:
    memcpy(p, &v->of.u8, 1);
    return 0;
  case WEFT__WIT_S16:
  case WEFT__WIT_U16:
    memcpy(p, &v->of.u16, 2);
    return 0;
  case WEFT__WIT_CHAR:
    if ((rc = check_char(cx, v->of.ch)) < 0)
      return rc;
    /* fall through */
  case WEFT__WIT_S32:
  case WEFT__WIT_U32:
  case WEFT__WIT_F32:
    memcpy(p, &v->of.u32, 4);
    return 0;
  case WEFT__WIT_S64:
  case WEFT__WIT_U64:
  case WEFT__WIT_F64:
    memcpy(p, &v->of.u64, 8);
    return 0;
  case WEFT__WIT_STRING:
  case WEFT__WIT_LIST: {
    uint32_t w[2];
    rc = t->kind == WEFT__WIT_STRING ? lower_string(cx, v, &w[0], &w[1])
                                     : lower_list(cx, t, v, &w[0], &w[1]);
    if (rc < 0)
      return rc;
    memcpy(p, w, 8);
    return 0;
  }
  case WEFT__WIT_RECORD:
  case WEFT__WIT_TUPLE:
    if ((rc = check_seq(cx, t, v)) < 0)
      return rc;
    if (!l)
      l = cabi_cx_layout(cx, t);
    for (size_t i = 0; i < t->n; i++) {
      uint32_t off = l && i < CABI_MEMO_FIELDS
                         ? l->off[i]
                         : cabi_seq_offset(t->m, t->n, i);
      const weft__wit_type_t *ft = weft__wit_unalias(t->m[i].type);
      const weft_val_t *fv = &v->of.list.ptr[i];
      /* Strings, the common field (headers are tuples of two), without
       * a call of their own. */
      if (ft->kind == WEFT__WIT_STRING && fv->kind == WEFT__WIT_STRING) {
        uint32_t w[2];
        if ((rc = lower_string(cx, fv, &w[0], &w[1])) < 0)
          return rc;
        memcpy(p + off, w, 8);
      } else if ((rc = store_at(cx, ft, NULL, fv, p + off, ptr + off)) < 0) {
        return rc;
      }
    }
    return 0;
  case WEFT__WIT_VARIANT:
  case WEFT__WIT_ENUM:
  case WEFT__WIT_OPTION:
  case WEFT__WIT_RESULT: {
    const weft__wit_type_t *c;
    if ((rc = check_var(cx, t, v, &c)) < 0)
      return rc;
    uint32_t tag = v->of.var.tag;
    memcpy(p, &tag, cabi_disc_size(cabi_ncases(t))); /* little-endian */
    if (!c)
      return 0;
    if (!l)
      l = cabi_cx_layout(cx, t);
    uint32_t off = l ? l->payload : cabi_payload_offset(t);
    return store_at(cx, weft__wit_unalias(c), NULL, v->of.var.val, p + off,
                    ptr + off);
  }
  case WEFT__WIT_FLAGS: {
    uint64_t bits = v->of.flags;
    uint32_t size = cabi_size(t);
    memset(p, 0, size);
    memcpy(p, &bits, size > 8 ? 8 : size);
    return 0;
  }
  case WEFT__WIT_OWN:
  case WEFT__WIT_BORROW: {
    uint32_t h;
    if ((rc = lower_handle(cx, t, v, &h)) < 0)
      return rc;
    memcpy(p, &h, 4);
    return 0;
  }
  default:
    return cabi_fail(cx, WEFT_EUNSUPPORTED, "type '%s' is not supported",
                     weft__wit_kind_name(t->kind));
  }
}

int cabi_store(cabi_cx_t *cx, const weft__wit_type_t *t, const weft_val_t *v,
               uint32_t ptr) {
  t = weft__wit_unalias(t);
  if (v->kind != t->kind)
    return mismatch(cx, t, v);
  uint32_t size, align;
  cabi_size_align(cx, t, &size, &align);
  uint8_t *p = cabi_mem(cx, ptr, size, align, "value");
  if (!p)
    return WEFT_ETRAP;
  return store_at(cx, t, NULL, v, p, ptr);
}

static int put(cabi_cx_t *cx, cabi_flatvals_t *out, uint8_t type,
               uint64_t bits) {
  if (out->i >= out->n)
    return cabi_fail(cx, WEFT_EINVAL, "too many flat values");
  weft_core_val_t *v = &out->v[out->i++];
  v->type = type;
  switch (type) {
  case WEFT_I32:
  case WEFT_F32: {
    uint32_t b = (uint32_t)bits;
    memcpy(&v->of.i32, &b, 4);
    break;
  }
  default:
    memcpy(&v->of.i64, &bits, 8);
  }
  return 0;
}

/* Bits of a flat value, zero-extended: how a value moves into a joined
 * slot of another type. */
static uint64_t bits_of(const weft_core_val_t *v) {
  if (v->type == WEFT_I64 || v->type == WEFT_F64) {
    uint64_t b;
    memcpy(&b, &v->of.i64, 8);
    return b;
  }
  uint32_t b;
  memcpy(&b, &v->of.i32, 4);
  return b;
}

int cabi_lower_flat(cabi_cx_t *cx, const weft__wit_type_t *t,
                    const weft_val_t *v, cabi_flatvals_t *out) {
  t = weft__wit_unalias(t);
  if (v->kind != t->kind)
    return mismatch(cx, t, v);
  int rc;
  switch (t->kind) {
  case WEFT__WIT_BOOL:
    return put(cx, out, WEFT_I32, v->of.b ? 1 : 0);
  case WEFT__WIT_S8:
    return put(cx, out, WEFT_I32, (uint32_t)(int32_t)v->of.s8);
  case WEFT__WIT_U8:
    return put(cx, out, WEFT_I32, v->of.u8);
  case WEFT__WIT_S16:
    return put(cx, out, WEFT_I32, (uint32_t)(int32_t)v->of.s16);
  case WEFT__WIT_U16:
    return put(cx, out, WEFT_I32, v->of.u16);
  case WEFT__WIT_CHAR:
    if ((rc = check_char(cx, v->of.ch)) < 0)
      return rc;
    return put(cx, out, WEFT_I32, v->of.ch);
  case WEFT__WIT_S32:
  case WEFT__WIT_U32:
    return put(cx, out, WEFT_I32, v->of.u32);
  case WEFT__WIT_S64:
  case WEFT__WIT_U64:
    return put(cx, out, WEFT_I64, v->of.u64);
  case WEFT__WIT_F32: {
    uint32_t b;
    memcpy(&b, &v->of.f32, 4);
    return put(cx, out, WEFT_F32, b);
  }
  case WEFT__WIT_F64: {
    uint64_t b;
    memcpy(&b, &v->of.f64, 8);
    return put(cx, out, WEFT_F64, b);
  }
  case WEFT__WIT_STRING:
  case WEFT__WIT_LIST: {
    uint32_t p, n;
    rc = t->kind == WEFT__WIT_STRING ? lower_string(cx, v, &p, &n)
                                     : lower_list(cx, t, v, &p, &n);
    if (rc < 0 || (rc = put(cx, out, WEFT_I32, p)) < 0)
      return rc;
    return put(cx, out, WEFT_I32, n);
  }
  case WEFT__WIT_RECORD:
  case WEFT__WIT_TUPLE:
    if ((rc = check_seq(cx, t, v)) < 0)
      return rc;
    for (size_t i = 0; i < t->n; i++)
      if ((rc = cabi_lower_flat(cx, t->m[i].type, &v->of.list.ptr[i],
                                out)) < 0)
        return rc;
    return 0;
  case WEFT__WIT_VARIANT:
  case WEFT__WIT_ENUM:
  case WEFT__WIT_OPTION:
  case WEFT__WIT_RESULT: {
    const weft__wit_type_t *c;
    if ((rc = check_var(cx, t, v, &c)) < 0)
      return rc;
    cabi_flat_t all;
    cabi_case_flat(cx, t, &all);
    if (all.n > CABI_FLAT_CAP)
      return cabi_fail(cx, WEFT_EINVAL, "too many flat values");
    if ((rc = put(cx, out, WEFT_I32, v->of.var.tag)) < 0)
      return rc;
    int start = out->i;
    if (c && (rc = cabi_lower_flat(cx, c, v->of.var.val, out)) < 0)
      return rc;
    /* Move each value into its joined slot type, then pad. */
    int end = out->i;
    for (int k = start; k < end; k++) {
      uint8_t want = all.t[1 + k - start];
      if (out->v[k].type != want) {
        uint64_t b = bits_of(&out->v[k]);
        out->i = k;
        put(cx, out, want, b);
      }
    }
    out->i = end;
    while (out->i < start + all.n - 1)
      if ((rc = put(cx, out, all.t[1 + out->i - start], 0)) < 0)
        return rc;
    return 0;
  }
  case WEFT__WIT_FLAGS:
    for (size_t w = 0; w < (t->n + 31) / 32; w++)
      if ((rc = put(cx, out, WEFT_I32,
                    w < 2 ? (uint32_t)(v->of.flags >> (32 * w)) : 0)) < 0)
        return rc;
    return 0;
  case WEFT__WIT_OWN:
  case WEFT__WIT_BORROW: {
    uint32_t h;
    if ((rc = lower_handle(cx, t, v, &h)) < 0)
      return rc;
    return put(cx, out, WEFT_I32, h);
  }
  default:
    return cabi_fail(cx, WEFT_EUNSUPPORTED, "type '%s' is not supported",
                     weft__wit_kind_name(t->kind));
  }
}

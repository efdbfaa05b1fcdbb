/* cabi_lift.c - reading component values out of a guest: from flat core
 * values and from linear memory. Everything the guest wrote is checked
 * before it is used: bounds and alignment of every pointer, UTF-8, chars,
 * discriminants, handles, list lengths. A failure is a trap with a message
 * saying what was wrong and where; host memory outside the values being
 * built is never written. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cabi/cabi_int.h"

int cabi_fail(cabi_cx_t *cx, int code, const char *fmt, ...) {
  char msg[160];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (cx->failed)
    return code; /* keep the first failure */
  cx->failed = code;
  /* Traps inside a host function get the module's name when they unwind
   * through the guest; name it here for the others. */
  const char *mod =
      cx->export_call ? weft__module_name(weft__instance_module(cx->inst))
                      : NULL;
  WEFT_ERR(&cx->err, code, "%s%s%s%s%s in the %s of '%s'", mod ? "'" : "",
           mod ? mod : "", mod ? "': " : "",
           code == WEFT_ETRAP ? "canonical ABI: " : "", msg, cx->what,
           cx->func ? cx->func->name : "?");
  if (code == WEFT_ETRAP)
    cx->err.detail = WEFT_TRAP_ABI;
  return code;
}

uint8_t *cabi_mem_fail(cabi_cx_t *cx, uint32_t ptr, uint64_t len,
                       uint32_t align, const char *of) {
  if (!cx->mem) {
    cabi_fail(cx, WEFT_ETRAP, "the module exports no memory for %s", of);
    return NULL;
  }
  if (align > 1 && (ptr & (align - 1))) {
    cabi_fail(cx, WEFT_ETRAP, "%s pointer %#x is not %u-byte aligned", of,
              ptr, align);
    return NULL;
  }
  uint8_t *p = weft__guest_ptr(cx->mem, ptr, len);
  if (!p)
    cabi_fail(cx, WEFT_ETRAP,
              "%s at %#x, %llu bytes, is outside the %llu bytes of memory",
              of, ptr, (unsigned long long)len,
              (unsigned long long)cx->mem->size);
  return p;
}

static void *alloc(cabi_cx_t *cx, size_t n, size_t size) {
  void *p = weft__arena_calloc(cx->arena, n, size);
  if (!p)
    cabi_fail(cx, WEFT_ELIMIT,
              "value too large for the host (%zu items, over %zu MiB)", n,
              CABI_VALUE_BUDGET >> 20);
  return p;
}

static int lift_char(cabi_cx_t *cx, uint32_t c, weft_val_t *out) {
  if (!weft__is_scalar(c))
    return cabi_fail(cx, WEFT_ETRAP, "char %#x is not a Unicode scalar value",
                     c);
  out->of.ch = c;
  return 0;
}

static int lift_string(cabi_cx_t *cx, uint32_t ptr, uint32_t len,
                       weft_val_t *out) {
  if (len > CABI_MAX_STRING)
    return cabi_fail(cx, WEFT_ETRAP, "string length %u is too long", len);
  const uint8_t *p = cabi_mem(cx, ptr, len, 1, "string");
  if (!p)
    return WEFT_ETRAP;
  size_t bad = cabi_utf8_check(p, len);
  if (bad != len)
    return cabi_fail(cx, WEFT_ETRAP,
                     "string at %#x is not valid UTF-8 (byte %zu)", ptr, bad);
  char *s = weft__arena_alloc(cx->arena, (size_t)len + 1);
  if (!s)
    return cabi_fail(cx, WEFT_ELIMIT,
                     "value too large for the host (%u bytes, over %zu "
                     "MiB)",
                     len, CABI_VALUE_BUDGET >> 20);
  memcpy(s, p, len);
  s[len] = 0;
  out->of.str.ptr = s;
  out->of.str.len = len;
  return 0;
}

static int load_at(cabi_cx_t *cx, const weft__wit_type_t *t,
                   const cabi_layout_t *l, const uint8_t *p, uint32_t ptr,
                   weft_val_t *out);

static int lift_list(cabi_cx_t *cx, const weft__wit_type_t *t, uint32_t ptr,
                     uint32_t len, weft_val_t *out) {
  const weft__wit_type_t *e = weft__wit_unalias(t->m[0].type);
  /* One layout lookup for every element of a list of compounds. */
  const cabi_layout_t *l = cabi_cx_layout(cx, e);
  uint32_t esz, ealign;
  if (l) {
    esz = l->size;
    ealign = l->align;
  } else {
    cabi_size_align(cx, e, &esz, &ealign);
  }
  const uint8_t *p =
      cabi_mem(cx, ptr, (uint64_t)len * esz, ealign, "list");
  if (!p)
    return WEFT_ETRAP;
  if (e->kind == WEFT__WIT_U8) {
    /* The arguments of a host function live for its call, and the memory
     * never moves: its bytes need no copy. Results of an export must
     * outlive the post-return that frees them: copied. */
    if (!cx->export_call) {
      out->of.bytes.ptr = p;
      out->of.bytes.len = len;
      return 0;
    }
    uint8_t *b = weft__arena_alloc(cx->arena, len ? len : 1);
    if (!b)
      return cabi_fail(cx, WEFT_ELIMIT,
                       "value too large for the host (%u bytes, over %zu "
                       "MiB)",
                       len, CABI_VALUE_BUDGET >> 20);
    memcpy(b, p, len);
    out->of.bytes.ptr = b;
    out->of.bytes.len = len;
    return 0;
  }
  weft_val_t *items = alloc(cx, len ? len : 1, sizeof *items);
  if (!items)
    return WEFT_ELIMIT;
  /* The whole range is checked: its elements need no check of their own. */
  for (uint32_t i = 0; i < len; i++) {
    int rc =
        load_at(cx, e, l, p + (size_t)i * esz, ptr + i * esz, &items[i]);
    if (rc < 0)
      return rc;
  }
  out->of.list.ptr = items;
  out->of.list.len = len;
  return 0;
}

static int lift_handle(cabi_cx_t *cx, const weft__wit_type_t *t, uint32_t h,
                       weft_val_t *out) {
  const weft__wit_type_t *r = cabi_resource_of(t);
  cabi_handle_t *e = cabi_handle_get(cx->ci, h);
  if (!e)
    return cabi_fail(cx, WEFT_ETRAP, "unknown handle %u of resource '%s'", h,
                     r->name);
  if (e->res->type->wt != r)
    return cabi_fail(cx, WEFT_ETRAP,
                     "handle %u is a '%s', where a '%s' is expected", h,
                     e->res->type->wt->name, r->name);
  out->of.res = e->res;
  if (t->kind == WEFT__WIT_BORROW)
    return 0;
  if (!e->own)
    return cabi_fail(cx, WEFT_ETRAP,
                     "handle %u of '%s' is borrowed and cannot be given away",
                     h, r->name);
  weft_resource_t *res = e->res;
  cabi_handle_free(cx->ci, h);
  if (res->type->guest && res->inst)
    cabi_held_add(res); /* the host holds it now */
  return 0;
}

static int load_disc(const uint8_t *p, uint32_t size) {
  if (size == 1)
    return p[0];
  if (size == 2) {
    uint16_t v;
    memcpy(&v, p, 2);
    return v;
  }
  uint32_t v;
  memcpy(&v, p, 4);
  return v > INT32_MAX ? -1 : (int)v;
}

static int check_case(cabi_cx_t *cx, const weft__wit_type_t *t, int64_t tag) {
  if (tag < 0 || (uint64_t)tag >= cabi_ncases(t))
    return cabi_fail(cx, WEFT_ETRAP, "discriminant %lld of %s '%s' is not "
                     "one of its %zu cases",
                     (long long)tag, weft__wit_kind_name(t->kind),
                     t->name ? t->name : weft__wit_kind_name(t->kind),
                     cabi_ncases(t));
  return 0;
}

static uint64_t flags_mask(size_t n) {
  return n >= 64 ? UINT64_MAX : ((uint64_t)1 << n) - 1;
}

/* Load `t` (unaliased; `l` its layout if the caller has it, else NULL)
 * from guest address `ptr`, whose host address `p` has been checked for
 * t's size and alignment: by cabi_load, or as part of the value or list
 * that holds it (a field, case or element of a checked range lies in it,
 * aligned). Pointers read from memory (strings, lists) are checked. */
static int load_at(cabi_cx_t *cx, const weft__wit_type_t *t,
                   const cabi_layout_t *l, const uint8_t *p, uint32_t ptr,
                   weft_val_t *out) {
  out->kind = (uint8_t)t->kind;
  switch (t->kind) {
  case WEFT__WIT_BOOL:
    out->of.b = p[0] != 0;
    return 0;
  case WEFT__WIT_S8:
  case WEFT__WIT_U8:
    memcpy(&out->of.u8, p, 1);
    return 0;
  case WEFT__WIT_S16:
  case WEFT__WIT_U16:
    memcpy(&out->of.u16, p, 2);
    return 0;
  case WEFT__WIT_S32:
  case WEFT__WIT_U32:
  case WEFT__WIT_F32:
    memcpy(&out->of.u32, p, 4);
    return 0;
  case WEFT__WIT_S64:
  case WEFT__WIT_U64:
  case WEFT__WIT_F64:
    memcpy(&out->of.u64, p, 8);
    return 0;
  case WEFT__WIT_CHAR: {
    uint32_t c;
    memcpy(&c, p, 4);
    return lift_char(cx, c, out);
  }
  case WEFT__WIT_STRING:
  case WEFT__WIT_LIST: {
    uint32_t w[2];
    memcpy(w, p, 8);
    return t->kind == WEFT__WIT_STRING ? lift_string(cx, w[0], w[1], out)
                                       : lift_list(cx, t, w[0], w[1], out);
  }
  case WEFT__WIT_RECORD:
  case WEFT__WIT_TUPLE: {
    weft_val_t *items = alloc(cx, t->n ? t->n : 1, sizeof *items);
    if (!items)
      return WEFT_ELIMIT;
    if (!l)
      l = cabi_cx_layout(cx, t);
    for (size_t i = 0; i < t->n; i++) {
      uint32_t off = l && i < CABI_MEMO_FIELDS
                         ? l->off[i]
                         : cabi_seq_offset(t->m, t->n, i);
      int rc = load_at(cx, weft__wit_unalias(t->m[i].type), NULL, p + off,
                       ptr + off, &items[i]);
      if (rc < 0)
        return rc;
    }
    out->of.list.ptr = items;
    out->of.list.len = t->n;
    return 0;
  }
  case WEFT__WIT_VARIANT:
  case WEFT__WIT_ENUM:
  case WEFT__WIT_OPTION:
  case WEFT__WIT_RESULT: {
    int tag = load_disc(p, cabi_disc_size(cabi_ncases(t)));
    int rc = check_case(cx, t, tag);
    if (rc < 0)
      return rc;
    out->of.var.tag = (uint32_t)tag;
    out->of.var.val = NULL;
    const weft__wit_type_t *c = cabi_case(t, (size_t)tag);
    if (!c)
      return 0;
    weft_val_t *v = alloc(cx, 1, sizeof *v);
    if (!v)
      return WEFT_ELIMIT;
    out->of.var.val = v;
    if (!l)
      l = cabi_cx_layout(cx, t);
    uint32_t off = l ? l->payload : cabi_payload_offset(t);
    return load_at(cx, weft__wit_unalias(c), NULL, p + off, ptr + off, v);
  }
  case WEFT__WIT_FLAGS: {
    uint64_t bits = 0;
    uint32_t size = cabi_size(t);
    memcpy(&bits, p, size > 8 ? 8 : size);
    out->of.flags = bits & flags_mask(t->n);
    return 0;
  }
  case WEFT__WIT_OWN:
  case WEFT__WIT_BORROW: {
    uint32_t h;
    memcpy(&h, p, 4);
    return lift_handle(cx, t, h, out);
  }
  default:
    return cabi_fail(cx, WEFT_EUNSUPPORTED, "type '%s' is not supported",
                     weft__wit_kind_name(t->kind));
  }
}

int cabi_load(cabi_cx_t *cx, const weft__wit_type_t *t, uint32_t ptr,
              weft_val_t *out) {
  t = weft__wit_unalias(t);
  uint32_t size, align;
  cabi_size_align(cx, t, &size, &align);
  const uint8_t *p = cabi_mem(cx, ptr, size, align, "value");
  if (!p)
    return WEFT_ETRAP;
  return load_at(cx, t, NULL, p, ptr, out);
}

/* The next flat value, converted from the slot's type to `want` (they
 * differ inside variants, whose cases share joined slots). */
static int next(cabi_cx_t *cx, cabi_flatvals_t *in, uint8_t want,
                weft_core_val_t *out) {
  if (in->i >= in->n)
    return cabi_fail(cx, WEFT_EINVAL, "too few flat values");
  weft_core_val_t v = in->v[in->i++];
  out->type = want;
  if (v.type == want) {
    out->of = v.of;
    return 0;
  }
  uint64_t bits = v.type == WEFT_I64 ? (uint64_t)v.of.i64
                                     : (uint64_t)(uint32_t)v.of.i32;
  switch (want) {
  case WEFT_I32:
    out->of.i32 = (int32_t)(uint32_t)bits;
    return 0;
  case WEFT_F32: {
    uint32_t b = (uint32_t)bits;
    memcpy(&out->of.f32, &b, 4);
    return 0;
  }
  case WEFT_F64:
    memcpy(&out->of.f64, &bits, 8);
    return 0;
  default:
    out->of.i64 = (int64_t)bits;
    return 0;
  }
}

static uint8_t flat_type(const weft__wit_type_t *t) {
  switch (t->kind) {
  case WEFT__WIT_S64:
  case WEFT__WIT_U64:
    return WEFT_I64;
  case WEFT__WIT_F32:
    return WEFT_F32;
  case WEFT__WIT_F64:
    return WEFT_F64;
  default:
    return WEFT_I32;
  }
}

int cabi_lift_flat(cabi_cx_t *cx, const weft__wit_type_t *t,
                   cabi_flatvals_t *in, weft_val_t *out) {
  t = weft__wit_unalias(t);
  weft_core_val_t a, b;
  int rc;
  out->kind = (uint8_t)t->kind;
  switch (t->kind) {
  case WEFT__WIT_RECORD:
  case WEFT__WIT_TUPLE: {
    weft_val_t *items = alloc(cx, t->n ? t->n : 1, sizeof *items);
    if (!items)
      return WEFT_ELIMIT;
    for (size_t i = 0; i < t->n; i++)
      if ((rc = cabi_lift_flat(cx, t->m[i].type, in, &items[i])) < 0)
        return rc;
    out->of.list.ptr = items;
    out->of.list.len = t->n;
    return 0;
  }
  case WEFT__WIT_VARIANT:
  case WEFT__WIT_ENUM:
  case WEFT__WIT_OPTION:
  case WEFT__WIT_RESULT: {
    cabi_flat_t all;
    cabi_case_flat(cx, t, &all);
    int end = in->i + all.n;
    if ((rc = next(cx, in, WEFT_I32, &a)) < 0 ||
        (rc = check_case(cx, t, (uint32_t)a.of.i32)) < 0)
      return rc;
    out->of.var.tag = (uint32_t)a.of.i32;
    out->of.var.val = NULL;
    const weft__wit_type_t *c = cabi_case(t, out->of.var.tag);
    if (c) {
      weft_val_t *v = alloc(cx, 1, sizeof *v);
      if (!v)
        return WEFT_ELIMIT;
      out->of.var.val = v;
      if ((rc = cabi_lift_flat(cx, c, in, v)) < 0)
        return rc;
    }
    in->i = end; /* skip the slots this case does not use */
    return 0;
  }
  case WEFT__WIT_FLAGS: {
    uint64_t bits = 0;
    for (size_t w = 0; w < (t->n + 31) / 32; w++) {
      if ((rc = next(cx, in, WEFT_I32, &a)) < 0)
        return rc;
      if (w < 2)
        bits |= (uint64_t)(uint32_t)a.of.i32 << (32 * w);
    }
    out->of.flags = bits & flags_mask(t->n);
    return 0;
  }
  case WEFT__WIT_STRING:
  case WEFT__WIT_LIST:
    if ((rc = next(cx, in, WEFT_I32, &a)) < 0 ||
        (rc = next(cx, in, WEFT_I32, &b)) < 0)
      return rc;
    return t->kind == WEFT__WIT_STRING
               ? lift_string(cx, (uint32_t)a.of.i32, (uint32_t)b.of.i32, out)
               : lift_list(cx, t, (uint32_t)a.of.i32, (uint32_t)b.of.i32,
                           out);
  default:
    break;
  }
  if ((rc = next(cx, in, flat_type(t), &a)) < 0)
    return rc;
  uint32_t u = (uint32_t)a.of.i32;
  switch (t->kind) {
  case WEFT__WIT_BOOL:
    out->of.b = u != 0;
    return 0;
  case WEFT__WIT_S8:
    out->of.s8 = (int8_t)u;
    return 0;
  case WEFT__WIT_U8:
    out->of.u8 = (uint8_t)u;
    return 0;
  case WEFT__WIT_S16:
    out->of.s16 = (int16_t)u;
    return 0;
  case WEFT__WIT_U16:
    out->of.u16 = (uint16_t)u;
    return 0;
  case WEFT__WIT_S32:
  case WEFT__WIT_U32:
    out->of.u32 = u;
    return 0;
  case WEFT__WIT_S64:
  case WEFT__WIT_U64:
    out->of.s64 = a.of.i64;
    return 0;
  case WEFT__WIT_F32:
    out->of.f32 = a.of.f32;
    return 0;
  case WEFT__WIT_F64:
    out->of.f64 = a.of.f64;
    return 0;
  case WEFT__WIT_CHAR:
    return lift_char(cx, u, out);
  case WEFT__WIT_OWN:
  case WEFT__WIT_BORROW:
    return lift_handle(cx, t, u, out);
  default:
    return cabi_fail(cx, WEFT_EUNSUPPORTED, "type '%s' is not supported",
                     weft__wit_kind_name(t->kind));
  }
}

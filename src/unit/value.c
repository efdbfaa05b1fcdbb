/* value.c - governed values: their canonical encoding (the only form the
 * state, the lineage and the admission function see), its decoding, a
 * readable form, and conversion from and to the WIT variant `value` of
 * weft:unit/types.
 *
 * Encoding (docs/unit-format.md): a type byte, then
 *   1 integer  8 bytes, big-endian two's complement
 *   2 string   u32 length, UTF-8 bytes
 *   3 bool     one byte, 0 or 1
 *   4 bytes    u32 length, bytes
 *   5 list     u32 count, that many scalars (types 1-4)
 *   6 record   u32 count, that many (u32 name length, name, scalar),
 *              names strictly increasing bytewise
 * Exactly one encoding per value: a decoder refuses anything else. */
#include <stdlib.h>
#include <string.h>

#include "unit/codec.h"
#include "unit/unit.h"
#include "weft.h"

/* See unit.h. */
const char *weft__uv_type_name(int type) {
  switch (type) {
  case WEFT__UV_INT: return "integer";
  case WEFT__UV_TEXT: return "string";
  case WEFT__UV_BOOL: return "bool";
  case WEFT__UV_BYTES: return "bytes";
  case WEFT__UV_LIST: return "list";
  case WEFT__UV_RECORD: return "record";
  default: return "unknown";
  }
}

static bool scalar(int type) {
  return type >= WEFT__UV_INT && type <= WEFT__UV_BYTES;
}

static int encode_scalar(const weft__uval_t *v, weft__buf_t *out) {
  if (weft__put_u8(out, v->type))
    return WEFT_ENOMEM;
  switch (v->type) {
  case WEFT__UV_INT:
    return weft__put_u64(out, (uint64_t)v->i);
  case WEFT__UV_BOOL:
    return weft__put_u8(out, v->i ? 1 : 0);
  case WEFT__UV_TEXT:
  case WEFT__UV_BYTES:
    return weft__put_bytes(out, v->ptr, v->len);
  default:
    return WEFT_EINVAL;
  }
}

static int by_name(const void *a, const void *b) {
  const weft__uval_t *x = *(weft__uval_t *const *)a;
  const weft__uval_t *y = *(weft__uval_t *const *)b;
  size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
  int c = memcmp(x->name, y->name, n);
  if (c)
    return c;
  return x->name_len < y->name_len ? -1 : x->name_len > y->name_len;
}

/* See unit.h. */
int weft__uval_encode(const weft__uval_t *v, weft__buf_t *out) {
  if (scalar(v->type))
    return encode_scalar(v, out);
  if (v->type != WEFT__UV_LIST && v->type != WEFT__UV_RECORD)
    return WEFT_EINVAL;
  if (v->n > UINT32_MAX || weft__put_u8(out, v->type) ||
      weft__put_u32(out, (uint32_t)v->n))
    return WEFT_ENOMEM;
  if (v->type == WEFT__UV_LIST) {
    for (size_t i = 0; i < v->n; i++) {
      int rc = encode_scalar(&v->items[i], out);
      if (rc)
        return rc;
    }
    return 0;
  }
  const weft__uval_t **f = malloc((v->n ? v->n : 1) * sizeof *f);
  if (!f)
    return WEFT_ENOMEM;
  for (size_t i = 0; i < v->n; i++)
    f[i] = &v->items[i];
  qsort(f, v->n, sizeof *f, by_name);
  int rc = 0;
  for (size_t i = 0; i < v->n && !rc; i++) {
    if (i && !by_name(&f[i - 1], &f[i]))
      rc = WEFT_EINVAL;
    else if (weft__put_bytes(out, f[i]->name, f[i]->name_len))
      rc = WEFT_ENOMEM;
    else
      rc = encode_scalar(f[i], out);
  }
  free(f);
  return rc;
}

static bool decode_scalar(weft__rd_t *r, weft__uval_t *v) {
  uint8_t t, b;
  uint64_t u;
  if (!weft__get_u8(r, &t))
    return false;
  v->type = t;
  switch (t) {
  case WEFT__UV_INT:
    if (!weft__get_u64(r, &u))
      return false;
    v->i = (int64_t)u;
    return true;
  case WEFT__UV_BOOL:
    if (!weft__get_u8(r, &b) || b > 1)
      return false;
    v->i = b;
    return true;
  case WEFT__UV_TEXT:
    if (!weft__get_bytes(r, &v->ptr, &v->len))
      return false;
    return weft__utf8_check(v->ptr, v->len) == v->len;
  case WEFT__UV_BYTES:
    return weft__get_bytes(r, &v->ptr, &v->len);
  default:
    return false;
  }
}

/* See unit.h. */
int weft__uval_decode(const uint8_t *p, size_t len, weft__arena_t *a,
                      weft__uval_t *v, weft_error_t *err) {
  weft__rd_t r = {p, p + len, false};
  memset(v, 0, sizeof *v);
  uint8_t t = len ? p[0] : 0;
  bool ok;
  if (t == WEFT__UV_LIST || t == WEFT__UV_RECORD) {
    uint32_t n;
    r.p++;
    v->type = t;
    ok = weft__get_u32(&r, &n) && n <= (size_t)(r.end - r.p);
    if (ok) {
      v->n = n;
      v->items = weft__arena_calloc(a, n ? n : 1, sizeof *v->items);
      if (!v->items)
        return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
    }
    for (uint32_t i = 0; ok && i < v->n; i++) {
      weft__uval_t *it = &v->items[i];
      if (t == WEFT__UV_RECORD) {
        const uint8_t *name = NULL;
        size_t nl = 0;
        ok = weft__get_bytes(&r, &name, &nl) &&
             weft__utf8_check(name, nl) == nl && !memchr(name, 0, nl);
        it->name = (const char *)name;
        it->name_len = nl;
        if (ok && i) {
          const weft__uval_t *x = &v->items[i - 1], *y = it;
          ok = by_name(&x, &y) < 0;
        }
      }
      ok = ok && decode_scalar(&r, it);
    }
  } else {
    ok = decode_scalar(&r, v);
  }
  if (!ok || r.p != r.end)
    return WEFT_ERR(err, WEFT_EPARSE, "not a canonical value");
  return 0;
}

static int show_scalar(const weft__uval_t *v, weft__buf_t *out) {
  switch (v->type) {
  case WEFT__UV_INT:
    return weft__buf_printf(out, "%lld", (long long)v->i);
  case WEFT__UV_BOOL:
    return weft__buf_puts(out, v->i ? "true" : "false");
  case WEFT__UV_TEXT: {
    int rc = weft__buf_puts(out, "\"");
    for (size_t i = 0; i < v->len && !rc; i++) {
      uint8_t c = v->ptr[i];
      if (c == '"' || c == '\\')
        rc = weft__buf_printf(out, "\\%c", c);
      else if (c < 0x20 || c == 0x7f)
        rc = weft__buf_printf(out, "\\u{%x}", c);
      else
        rc = weft__buf_add(out, &c, 1);
    }
    return rc ? rc : weft__buf_puts(out, "\"");
  }
  default: {
    int rc = weft__buf_puts(out, "0x");
    for (size_t i = 0; i < v->len && !rc; i++)
      rc = weft__buf_printf(out, "%02x", v->ptr[i]);
    return rc;
  }
  }
}

/* See unit.h. */
int weft__uval_show(const uint8_t *p, size_t len, weft__buf_t *out) {
  weft__arena_t a = WEFT__ARENA_INIT;
  weft__uval_t v;
  int rc = weft__uval_decode(p, len, &a, &v, NULL);
  if (rc < 0) {
    weft__arena_release(&a);
    return weft__buf_puts(out, "<not a value>");
  }
  if (scalar(v.type)) {
    rc = show_scalar(&v, out);
  } else {
    bool rec = v.type == WEFT__UV_RECORD;
    rc = weft__buf_puts(out, rec ? "{" : "[");
    for (size_t i = 0; i < v.n && !rc; i++) {
      if (i)
        rc = weft__buf_puts(out, ", ");
      if (!rc && rec)
        rc = weft__buf_printf(out, "%.*s: ", (int)v.items[i].name_len,
                              v.items[i].name);
      if (!rc)
        rc = show_scalar(&v.items[i], out);
    }
    if (!rc)
      rc = weft__buf_puts(out, rec ? "}" : "]");
  }
  weft__arena_release(&a);
  return rc;
}

/* ---- the WIT variant ----------------------------------------------------- */

/* Case indices of `scalar` and `value` in wit/unit/unit.wit: integer,
 * text, boolean, bytes, then items and fields (value only). */
static const uint8_t case_type[] = {WEFT__UV_INT, WEFT__UV_TEXT,
                                    WEFT__UV_BOOL, WEFT__UV_BYTES,
                                    WEFT__UV_LIST, WEFT__UV_RECORD};

static bool from_wit_case(const weft_val_t *v, uint32_t ncases,
                          weft__uval_t *out) {
  if (v->kind != WEFT_VAL_VARIANT || v->of.var.tag >= ncases ||
      !v->of.var.val)
    return false;
  const weft_val_t *p = v->of.var.val;
  memset(out, 0, sizeof *out);
  out->type = case_type[v->of.var.tag];
  switch (out->type) {
  case WEFT__UV_INT:
    out->i = p->of.s64;
    return true;
  case WEFT__UV_BOOL:
    out->i = p->of.b;
    return true;
  case WEFT__UV_TEXT:
    out->ptr = (const uint8_t *)p->of.str.ptr;
    out->len = p->of.str.len;
    return true;
  case WEFT__UV_BYTES:
    out->ptr = p->of.bytes.ptr;
    out->len = p->of.bytes.len;
    return true;
  default:
    return false;
  }
}

/* See unit.h. */
int weft__uval_from_wit(const weft_val_t *v, weft__buf_t *out,
                        weft_error_t *err) {
  weft__uval_t u = {0};
  if (v->kind != WEFT_VAL_VARIANT || v->of.var.tag > 5 || !v->of.var.val)
    return WEFT_ERR(err, WEFT_EINVAL, "not a 'value'");
  int rc = 0;
  if (v->of.var.tag < 4) {
    if (!from_wit_case(v, 4, &u))
      return WEFT_ERR(err, WEFT_EINVAL, "not a 'value'");
    rc = weft__uval_encode(&u, out);
  } else {
    const weft_val_t *l = v->of.var.val;
    bool rec = v->of.var.tag == 5;
    u.type = rec ? WEFT__UV_RECORD : WEFT__UV_LIST;
    u.n = l->of.list.len;
    u.items = calloc(u.n ? u.n : 1, sizeof *u.items);
    if (!u.items)
      return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
    for (size_t i = 0; i < u.n && !rc; i++) {
      const weft_val_t *e = &l->of.list.ptr[i];
      if (rec) {
        /* field { name: string, value: scalar } */
        const weft_val_t *f = e->of.list.ptr;
        if (!from_wit_case(&f[1], 4, &u.items[i]))
          rc = WEFT_EINVAL;
        u.items[i].name = f[0].of.str.ptr;
        u.items[i].name_len = f[0].of.str.len;
      } else if (!from_wit_case(e, 4, &u.items[i])) {
        rc = WEFT_EINVAL;
      }
    }
    if (!rc)
      rc = weft__uval_encode(&u, out);
    free(u.items);
  }
  if (rc == WEFT_ENOMEM)
    return WEFT_ERR(err, rc, "out of memory");
  if (rc)
    return WEFT_ERR(err, WEFT_EINVAL, "a record names a field twice");
  return 0;
}

static int to_wit_scalar(const weft__uval_t *u,
                         void *(*alloc)(void *, size_t), void *ctx,
                         weft_val_t *out) {
  weft_val_t *p = alloc(ctx, sizeof *p);
  if (!p)
    return WEFT_ENOMEM;
  memset(p, 0, sizeof *p);
  out->kind = WEFT_VAL_VARIANT;
  out->of.var.val = p;
  switch (u->type) {
  case WEFT__UV_INT:
    out->of.var.tag = 0;
    p->kind = WEFT_VAL_S64;
    p->of.s64 = u->i;
    break;
  case WEFT__UV_TEXT:
    out->of.var.tag = 1;
    p->kind = WEFT_VAL_STRING;
    p->of.str.ptr = (const char *)u->ptr;
    p->of.str.len = u->len;
    break;
  case WEFT__UV_BOOL:
    out->of.var.tag = 2;
    p->kind = WEFT_VAL_BOOL;
    p->of.b = u->i != 0;
    break;
  default:
    out->of.var.tag = 3;
    p->kind = WEFT_VAL_LIST;
    p->of.bytes.ptr = u->ptr;
    p->of.bytes.len = u->len;
    break;
  }
  return 0;
}

/* See unit.h. The result points into `p`, which the caller keeps alive as
 * long as the result. */
int weft__uval_to_wit(const uint8_t *p, size_t len,
                      void *(*alloc)(void *ctx, size_t n), void *ctx,
                      weft_val_t *out) {
  weft__arena_t a = WEFT__ARENA_INIT;
  weft__uval_t u;
  int rc = weft__uval_decode(p, len, &a, &u, NULL);
  if (rc == 0 && scalar(u.type)) {
    rc = to_wit_scalar(&u, alloc, ctx, out);
  } else if (rc == 0) {
    bool rec = u.type == WEFT__UV_RECORD;
    weft_val_t *l = alloc(ctx, sizeof *l);
    weft_val_t *items = alloc(ctx, (u.n ? u.n : 1) * sizeof *items *
                                       (rec ? 3 : 1));
    if (!l || !items) {
      rc = WEFT_ENOMEM;
    } else {
      memset(l, 0, sizeof *l);
      out->kind = WEFT_VAL_VARIANT;
      out->of.var.tag = rec ? 5 : 4;
      out->of.var.val = l;
      l->kind = WEFT_VAL_LIST;
      l->of.list.ptr = items;
      l->of.list.len = u.n;
      for (size_t i = 0; i < u.n && !rc; i++) {
        if (!rec) {
          rc = to_wit_scalar(&u.items[i], alloc, ctx, &items[i]);
          continue;
        }
        /* fields: u.n records, then 2 * u.n of their fields */
        weft_val_t *f = &items[u.n + 2 * i];
        memset(f, 0, 2 * sizeof *f);
        f[0].kind = WEFT_VAL_STRING;
        f[0].of.str.ptr = u.items[i].name;
        f[0].of.str.len = u.items[i].name_len;
        rc = to_wit_scalar(&u.items[i], alloc, ctx, &f[1]);
        items[i].kind = WEFT_VAL_RECORD;
        items[i].of.list.ptr = f;
        items[i].of.list.len = 2;
      }
    }
  }
  weft__arena_release(&a);
  return rc;
}

/* reader.c - Weft's decoder for the WebAssembly binary module format.
 *
 * Walks the module once: header, then every section in the order the spec
 * requires (custom sections anywhere), decoding types, imports, functions,
 * tables, memories, tags, globals, exports, start, element and data segments
 * and the data count. Code bodies are checked only for their locals header
 * and final `end` byte and are otherwise skipped by size; wasm2c validates
 * them later. The "name" custom section is decoded leniently after the main
 * pass: if it is malformed its contents are ignored.
 *
 * Every read is bounds-checked against the end of the enclosing section (or
 * function body) so no input, however broken, reads outside `bytes`.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reader.h"
#include "util/util.h"

/* A cursor over the module bytes. `end` is the end of the enclosing
 * section, function body or name subsection; `scope` names it for
 * messages. */
typedef struct rd {
  const uint8_t *p;
  size_t pos, end;
  const char *scope;
  weft_error_t *err;
} rd_t;

/* Section ids, including the tag section of the exception proposal. */
enum {
  SEC_CUSTOM = 0, SEC_TYPE = 1, SEC_IMPORT = 2, SEC_FUNCTION = 3,
  SEC_TABLE = 4, SEC_MEMORY = 5, SEC_GLOBAL = 6, SEC_EXPORT = 7,
  SEC_START = 8, SEC_ELEMENT = 9, SEC_CODE = 10, SEC_DATA = 11,
  SEC_DATACOUNT = 12, SEC_TAG = 13
};

/* Report an error of class `code` at byte `at` of the module, formatted
 * as "<class> module: <what> at offset 0x<at>". Returns `code`. */
static int fail(rd_t *r, int code, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(rd_t *r, int code, size_t at, const char *fmt, ...) {
  char what[192];
  va_list ap;
  const char *cls = code == WEFT_EINVALID       ? "invalid"
                    : code == WEFT_EUNSUPPORTED ? "unsupported"
                                                : "malformed";
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  WEFT_ERR(r->err, code, "%s module: %s at offset 0x%zx", cls, what, at);
  return code;
}

/* Out of memory while decoding. Returns WEFT_ENOMEM. */
static int nomem(rd_t *r) {
  WEFT_ERR(r->err, WEFT_ENOMEM, "out of memory reading module");
  return WEFT_ENOMEM;
}

/* The input ran out inside the current scope. Returns WEFT_EMALFORMED. */
static int eof(rd_t *r) {
  return fail(r, WEFT_EMALFORMED, r->pos, "unexpected end of %s", r->scope);
}

/* Bytes left in the current scope. */
static size_t left(const rd_t *r) { return r->end - r->pos; }

/* Read one byte into *out (0 on failure). Returns 0 or WEFT_EMALFORMED. */
static int rd_byte(rd_t *r, uint8_t *out) {
  *out = 0;
  if (r->pos >= r->end)
    return eof(r);
  *out = r->p[r->pos++];
  return 0;
}

/* Skip `n` bytes. Returns 0 or WEFT_EMALFORMED. */
static int rd_skip(rd_t *r, uint64_t n) {
  if (n > left(r))
    return eof(r);
  r->pos += (size_t)n;
  return 0;
}

/* Read a LEB128 integer of `bits` bits (32, 33 or 64), signed or not, into
 * *out (sign-extended to 64 bits when signed; 0 on failure). Rejects
 * encodings longer than ceil(bits/7) bytes and unused bits that are not
 * zero (unsigned) or copies of the sign bit (signed). Returns 0 or
 * WEFT_EMALFORMED. */
static int rd_leb(rd_t *r, unsigned bits, bool sign, uint64_t *out) {
  size_t at = r->pos;
  unsigned maxb = (bits + 6) / 7;
  uint64_t v = 0;
  *out = 0;
  for (unsigned i = 0; i < maxb; i++) {
    uint8_t b;
    unsigned shift = 7 * i;
    if (r->pos >= r->end)
      return eof(r);
    b = r->p[r->pos++];
    if (i == maxb - 1) {
      unsigned used = bits - shift; /* 1..7 value bits in this byte */
      if (b & 0x80)
        return fail(r, WEFT_EMALFORMED, at,
                    "integer representation too long");
      if (!sign && (b & (0x7f & ~((1u << used) - 1))))
        return fail(r, WEFT_EMALFORMED, at, "integer too large");
      if (sign) {
        uint8_t m = (uint8_t)(0x7f & ~((1u << (used - 1)) - 1));
        if ((b & m) != 0 && (b & m) != m)
          return fail(r, WEFT_EMALFORMED, at, "integer too large");
      }
    }
    v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      if (sign && shift + 7 < 64 && (b & 0x40))
        v |= ~(uint64_t)0 << (shift + 7);
      if (sign && bits < 64 && (v >> (bits - 1)) & 1)
        v |= ~(uint64_t)0 << (bits - 1);
      *out = v;
      return 0;
    }
  }
  return fail(r, WEFT_EMALFORMED, at, "integer representation too long");
}

/* Read an unsigned 32-bit LEB128 into *out. Returns 0 or an error. */
static int rd_u32(rd_t *r, uint32_t *out) {
  uint64_t v;
  int rc = rd_leb(r, 32, false, &v);
  *out = (uint32_t)v;
  return rc;
}

/* Read a vector count into *out, refusing counts that cannot fit in the
 * bytes left when each element takes at least `min_size` bytes (this also
 * bounds every allocation by the input size). Returns 0 or an error. */
static int rd_count(rd_t *r, size_t min_size, uint32_t *out) {
  size_t at = r->pos;
  int rc = rd_u32(r, out);
  if (rc)
    return rc;
  if ((uint64_t)*out * min_size > left(r))
    return fail(r, WEFT_EMALFORMED, at, "count %u too large for the %s",
                *out, r->scope);
  return 0;
}

/* Read a name (length-prefixed UTF-8) into a new NUL-terminated copy *out
 * (caller frees) and its byte length *len. Returns 0 or an error. */
static int rd_name(rd_t *r, char **out, uint32_t *len) {
  size_t at = r->pos;
  uint32_t n;
  int rc = rd_u32(r, &n);
  if (rc)
    return rc;
  if (n > left(r))
    return fail(r, WEFT_EMALFORMED, at, "name length %u out of bounds", n);
  if (weft__utf8_check(r->p + r->pos, n) != n)
    return fail(r, WEFT_EMALFORMED, r->pos, "bad UTF-8 encoding in name");
  *out = weft__strndup((const char *)r->p + r->pos, n);
  if (!*out)
    return nomem(r);
  *len = n;
  r->pos += n;
  return 0;
}

/* Whether `t` is a value type the reader accepts. */
static bool is_valtype(uint8_t t) {
  return t == WEFT_I32 || t == WEFT_I64 || t == WEFT_F32 || t == WEFT_F64 ||
         t == WEFT_V128 || t == WEFT_FUNCREF || t == WEFT_EXTERNREF;
}

/* Read a value type into *out. Returns 0 or WEFT_EMALFORMED. */
static int rd_valtype(rd_t *r, uint8_t *out) {
  int rc = rd_byte(r, out);
  if (!rc && !is_valtype(*out))
    rc = fail(r, WEFT_EMALFORMED, r->pos - 1, "bad value type 0x%02x",
              *out);
  return rc;
}

/* Read a reference type (funcref or externref) into *out. */
static int rd_reftype(rd_t *r, uint8_t *out) {
  int rc = rd_byte(r, out);
  if (!rc && *out != WEFT_FUNCREF && *out != WEFT_EXTERNREF)
    rc = fail(r, WEFT_EMALFORMED, r->pos - 1,
              "bad reference type 0x%02x", *out);
  return rc;
}

/* Read limits into *out. Tables take flags 0/1 (4/5 for 64-bit tables);
 * memories take 0..7: bit 0 has a maximum, bit 1 shared (which needs a
 * maximum), bit 2 memory64. Returns 0 or an error. */
static int rd_limits(rd_t *r, bool memory, weft__limits_t *out) {
  size_t at = r->pos;
  uint8_t flags;
  int rc = rd_byte(r, &flags);
  if (rc)
    return rc;
  if (flags > 7 || (!memory && (flags & 2)))
    return fail(r, WEFT_EMALFORMED, at, "bad %s limits flags 0x%02x",
                memory ? "memory" : "table", flags);
  if ((flags & 3) == 2)
    return fail(r, WEFT_EMALFORMED, at,
                "bad memory limits flags 0x%02x (shared memory "
                "needs a maximum)", flags);
  out->has_max = flags & 1;
  out->shared = flags & 2;
  out->is64 = flags & 4;
  unsigned bits = out->is64 ? 64 : 32;
  out->max = 0;
  if ((rc = rd_leb(r, bits, false, &out->min)))
    return rc;
  if (out->has_max && (rc = rd_leb(r, bits, false, &out->max)))
    return rc;
  return 0;
}

/* Whether `op` is a single-byte opcode of WebAssembly 2.0 (or one of the
 * proposals wasm2c implements), used to tell "not constant" from "not an
 * opcode at all" in constant expressions. */
static bool is_opcode(uint8_t op) {
  return op <= 0x1c || (op >= 0x20 && op <= 0x26) ||
         (op >= 0x28 && op <= 0xc4) || (op >= 0xd0 && op <= 0xd2) ||
         op == 0xfc || op == 0xfd || op == 0xfe;
}

/* Skip a constant expression (up to and including its `end`): i32/i64/
 * f32/f64/v128.const, ref.null, ref.func, global.get and the extended-const
 * i32/i64 add, sub and mul. Returns 0, WEFT_EMALFORMED for truncation or
 * bytes that are no opcode, WEFT_EINVALID for non-constant instructions. */
static int rd_const_expr(rd_t *r) {
  for (;;) {
    size_t at = r->pos;
    uint8_t op;
    uint32_t u;
    uint64_t v;
    int rc = rd_byte(r, &op);
    if (rc)
      return rc;
    switch (op) {
    case 0x0b: /* end */
      return 0;
    case 0x41: /* i32.const */
      rc = rd_leb(r, 32, true, &v);
      break;
    case 0x42: /* i64.const */
      rc = rd_leb(r, 64, true, &v);
      break;
    case 0x43: /* f32.const */
      rc = rd_skip(r, 4);
      break;
    case 0x44: /* f64.const */
      rc = rd_skip(r, 8);
      break;
    case 0x23: /* global.get */
    case 0xd2: /* ref.func */
      rc = rd_u32(r, &u);
      break;
    case 0xd0: /* ref.null */
      rc = rd_reftype(r, &op);
      break;
    case 0x6a: case 0x6b: case 0x6c: /* i32.add, i32.sub, i32.mul */
    case 0x7c: case 0x7d: case 0x7e: /* i64.add, i64.sub, i64.mul */
      break;
    case 0xfd: /* SIMD prefix: only v128.const (12) is constant */
      if ((rc = rd_u32(r, &u)))
        return rc;
      if (u != 12)
        return fail(r, WEFT_EINVALID, at,
                    "constant expression required (opcode 0xfd %u)", u);
      rc = rd_skip(r, 16);
      break;
    default:
      if (is_opcode(op))
        return fail(r, WEFT_EINVALID, at,
                    "constant expression required (opcode 0x%02x)", op);
      return fail(r, WEFT_EMALFORMED, at,
                  "illegal opcode 0x%02x in constant expression", op);
    }
    if (rc)
      return rc;
  }
}

/* Total number of functions, imported and defined. */
static uint64_t total_funcs(const weft__wasm_t *w) {
  return (uint64_t)w->nimported_funcs + w->nfuncs;
}

/* Read a type index into *out and check it names a type. */
static int rd_typeidx(rd_t *r, const weft__wasm_t *w, uint32_t *out) {
  size_t at = r->pos;
  int rc = rd_u32(r, out);
  if (!rc && *out >= w->ntypes)
    rc = fail(r, WEFT_EINVALID, at, "unknown type %u", *out);
  return rc;
}

/* Read a vector of value types into a new array *out (NULL when empty;
 * caller frees) of *n entries. Returns 0 or an error. */
static int rd_valtypes(rd_t *r, uint32_t *n, uint8_t **out) {
  uint8_t *a = NULL;
  int rc = rd_count(r, 1, n);
  if (rc)
    goto out;
  if (*n && !(a = malloc(*n))) {
    rc = nomem(r);
    goto out;
  }
  for (uint32_t i = 0; i < *n; i++)
    if ((rc = rd_valtype(r, &a[i])))
      goto out;
  *out = a;
  a = NULL;
out:
  free(a);
  return rc;
}

/* Type section: function types (0x60 params results). */
static int read_types(rd_t *r, weft__wasm_t *w) {
  uint32_t n;
  int rc = rd_count(r, 3, &n);
  if (rc)
    return rc;
  if (n && !(w->types = calloc(n, sizeof *w->types)))
    return nomem(r);
  w->ntypes = n;
  for (uint32_t i = 0; i < n; i++) {
    weft__functype_t *t = &w->types[i];
    uint8_t form;
    if ((rc = rd_byte(r, &form)))
      return rc;
    if (form != 0x60)
      return fail(r, WEFT_EMALFORMED, r->pos - 1,
                  "bad function type form 0x%02x", form);
    if ((rc = rd_valtypes(r, &t->nparams, &t->params)) ||
        (rc = rd_valtypes(r, &t->nresults, &t->results)))
      return rc;
  }
  return 0;
}

/* Read a global type (value type, mutability) into *g. */
static int rd_globaltype(rd_t *r, weft__globaltype_t *g) {
  uint8_t m;
  int rc = rd_valtype(r, &g->type);
  if (rc || (rc = rd_byte(r, &m)))
    return rc;
  if (m > 1)
    return fail(r, WEFT_EMALFORMED, r->pos - 1,
                "bad mutability 0x%02x", m);
  g->mut = m;
  return 0;
}

/* Read a tag type (attribute 0, type index) into *out. */
static int rd_tagtype(rd_t *r, const weft__wasm_t *w, uint32_t *out) {
  uint8_t attr;
  int rc = rd_byte(r, &attr);
  if (rc)
    return rc;
  if (attr != 0)
    return fail(r, WEFT_EMALFORMED, r->pos - 1,
                "bad tag attribute 0x%02x", attr);
  return rd_typeidx(r, w, out);
}

/* Import section: module name, field name and an extern type each. */
static int read_imports(rd_t *r, weft__wasm_t *w) {
  uint32_t n;
  int rc = rd_count(r, 4, &n);
  if (rc)
    return rc;
  if (n && !(w->imports = calloc(n, sizeof *w->imports)))
    return nomem(r);
  w->nimports = n;
  for (uint32_t i = 0; i < n; i++) {
    weft__import_t *im = &w->imports[i];
    if ((rc = rd_name(r, &im->module, &im->module_len)) ||
        (rc = rd_name(r, &im->name, &im->name_len)) ||
        (rc = rd_byte(r, &im->kind)))
      return rc;
    switch (im->kind) {
    case WEFT_EXTERN_FUNC:
      rc = rd_typeidx(r, w, &im->u.func_type);
      w->nimported_funcs++;
      break;
    case WEFT_EXTERN_TABLE:
      if (!(rc = rd_reftype(r, &im->u.table.elem)))
        rc = rd_limits(r, false, &im->u.table.limits);
      w->nimported_tables++;
      break;
    case WEFT_EXTERN_MEMORY:
      rc = rd_limits(r, true, &im->u.memory);
      w->nimported_memories++;
      break;
    case WEFT_EXTERN_GLOBAL:
      rc = rd_globaltype(r, &im->u.global);
      w->nimported_globals++;
      break;
    case WEFT_EXTERN_TAG:
      rc = rd_tagtype(r, w, &im->u.tag_type);
      w->nimported_tags++;
      break;
    default:
      return fail(r, WEFT_EMALFORMED, r->pos - 1,
                  "bad import kind 0x%02x", im->kind);
    }
    if (rc)
      return rc;
  }
  return 0;
}

/* Function section: the type index of each defined function. */
static int read_functions(rd_t *r, weft__wasm_t *w) {
  uint32_t n;
  int rc = rd_count(r, 1, &n);
  if (rc)
    return rc;
  if (n && !(w->func_types = calloc(n, sizeof *w->func_types)))
    return nomem(r);
  w->nfuncs = n;
  for (uint32_t i = 0; i < n; i++)
    if ((rc = rd_typeidx(r, w, &w->func_types[i])))
      return rc;
  return 0;
}

/* Table section: reference type and limits each. */
static int read_tables(rd_t *r, weft__wasm_t *w) {
  uint32_t n;
  int rc = rd_count(r, 3, &n);
  if (rc)
    return rc;
  if (n && !(w->tables = calloc(n, sizeof *w->tables)))
    return nomem(r);
  w->ntables = n;
  for (uint32_t i = 0; i < n; i++)
    if ((rc = rd_reftype(r, &w->tables[i].elem)) ||
        (rc = rd_limits(r, false, &w->tables[i].limits)))
      return rc;
  return 0;
}

/* Memory section: limits each. */
static int read_memories(rd_t *r, weft__wasm_t *w) {
  uint32_t n;
  int rc = rd_count(r, 2, &n);
  if (rc)
    return rc;
  if (n && !(w->memories = calloc(n, sizeof *w->memories)))
    return nomem(r);
  w->nmemories = n;
  for (uint32_t i = 0; i < n; i++)
    if ((rc = rd_limits(r, true, &w->memories[i])))
      return rc;
  return 0;
}

/* Tag section (exception handling): a tag type each. */
static int read_tags(rd_t *r, weft__wasm_t *w) {
  uint32_t n;
  int rc = rd_count(r, 2, &n);
  if (rc)
    return rc;
  if (n && !(w->tag_types = calloc(n, sizeof *w->tag_types)))
    return nomem(r);
  w->ntags = n;
  for (uint32_t i = 0; i < n; i++)
    if ((rc = rd_tagtype(r, w, &w->tag_types[i])))
      return rc;
  return 0;
}

/* Global section: global type and constant initialiser each. */
static int read_globals(rd_t *r, weft__wasm_t *w) {
  uint32_t n;
  int rc = rd_count(r, 3, &n);
  if (rc)
    return rc;
  if (n && !(w->globals = calloc(n, sizeof *w->globals)))
    return nomem(r);
  w->nglobals = n;
  for (uint32_t i = 0; i < n; i++)
    if ((rc = rd_globaltype(r, &w->globals[i])) || (rc = rd_const_expr(r)))
      return rc;
  return 0;
}

/* Export section: name, kind and index each; indices are checked against
 * their index space. */
static int read_exports(rd_t *r, weft__wasm_t *w) {
  static const char *const what[] = {"function", "table", "memory",
                                     "global", "tag"};
  uint32_t n;
  int rc = rd_count(r, 3, &n);
  if (rc)
    return rc;
  if (n && !(w->exports = calloc(n, sizeof *w->exports)))
    return nomem(r);
  w->nexports = n;
  for (uint32_t i = 0; i < n; i++) {
    weft__export_t *ex = &w->exports[i];
    uint64_t limit = 0;
    size_t at;
    if ((rc = rd_name(r, &ex->name, &ex->name_len)) ||
        (rc = rd_byte(r, &ex->kind)))
      return rc;
    switch (ex->kind) {
    case WEFT_EXTERN_FUNC:
      limit = total_funcs(w);
      break;
    case WEFT_EXTERN_TABLE:
      limit = (uint64_t)w->nimported_tables + w->ntables;
      break;
    case WEFT_EXTERN_MEMORY:
      limit = (uint64_t)w->nimported_memories + w->nmemories;
      break;
    case WEFT_EXTERN_GLOBAL:
      limit = (uint64_t)w->nimported_globals + w->nglobals;
      break;
    case WEFT_EXTERN_TAG:
      limit = (uint64_t)w->nimported_tags + w->ntags;
      break;
    default:
      return fail(r, WEFT_EMALFORMED, r->pos - 1,
                  "bad export kind 0x%02x", ex->kind);
    }
    at = r->pos;
    if ((rc = rd_u32(r, &ex->index)))
      return rc;
    if (ex->index >= limit)
      return fail(r, WEFT_EINVALID, at, "unknown %s %u in export '%s'",
                  what[ex->kind], ex->index, ex->name);
  }
  return 0;
}

/* Start section: one function index. */
static int read_start(rd_t *r, weft__wasm_t *w) {
  size_t at = r->pos;
  int rc = rd_u32(r, &w->start);
  if (rc)
    return rc;
  if (w->start >= total_funcs(w))
    return fail(r, WEFT_EINVALID, at, "unknown start function %u",
                w->start);
  w->has_start = true;
  return 0;
}

/* Skip a vector of function indices (element segments). */
static int skip_funcidxs(rd_t *r) {
  uint32_t n, idx;
  int rc = rd_count(r, 1, &n);
  for (uint32_t i = 0; !rc && i < n; i++)
    rc = rd_u32(r, &idx);
  return rc;
}

/* Skip a vector of constant expressions (element segments). */
static int skip_exprs(rd_t *r) {
  uint32_t n;
  int rc = rd_count(r, 1, &n);
  for (uint32_t i = 0; !rc && i < n; i++)
    rc = rd_const_expr(r);
  return rc;
}

/* Read an element kind byte, which must be 0 (funcref). */
static int rd_elemkind(rd_t *r) {
  uint8_t k;
  int rc = rd_byte(r, &k);
  if (!rc && k != 0)
    rc = fail(r, WEFT_EMALFORMED, r->pos - 1,
              "bad element kind 0x%02x", k);
  return rc;
}

/* Element section: all eight segment encodings (flags 0..7), skipped. */
static int read_elems(rd_t *r, weft__wasm_t *w) {
  uint32_t n;
  int rc = rd_count(r, 1, &n);
  if (rc)
    return rc;
  w->nelems = n;
  for (uint32_t i = 0; i < n; i++) {
    size_t at = r->pos;
    uint32_t flags, table;
    uint8_t type;
    if ((rc = rd_u32(r, &flags)))
      return rc;
    switch (flags) {
    case 0: /* active table 0, offset, funcidx* */
      rc = rd_const_expr(r);
      if (!rc)
        rc = skip_funcidxs(r);
      break;
    case 1: /* passive, elemkind, funcidx* */
    case 3: /* declarative, elemkind, funcidx* */
      rc = rd_elemkind(r);
      if (!rc)
        rc = skip_funcidxs(r);
      break;
    case 2: /* active table, offset, elemkind, funcidx* */
      if (!(rc = rd_u32(r, &table)) && !(rc = rd_const_expr(r)) &&
          !(rc = rd_elemkind(r)))
        rc = skip_funcidxs(r);
      break;
    case 4: /* active table 0, offset, expr* */
      rc = rd_const_expr(r);
      if (!rc)
        rc = skip_exprs(r);
      break;
    case 5: /* passive, reftype, expr* */
    case 7: /* declarative, reftype, expr* */
      rc = rd_reftype(r, &type);
      if (!rc)
        rc = skip_exprs(r);
      break;
    case 6: /* active table, offset, reftype, expr* */
      if (!(rc = rd_u32(r, &table)) && !(rc = rd_const_expr(r)) &&
          !(rc = rd_reftype(r, &type)))
        rc = skip_exprs(r);
      break;
    default:
      return fail(r, WEFT_EMALFORMED, at,
                  "bad element segment flags %u", flags);
    }
    if (rc)
      return rc;
  }
  return 0;
}

/* Skip a byte vector (data segment contents). */
static int skip_bytes(rd_t *r) {
  size_t at = r->pos;
  uint32_t n;
  int rc = rd_u32(r, &n);
  if (rc)
    return rc;
  if (n > left(r))
    return fail(r, WEFT_EMALFORMED, at,
                "data segment length %u out of bounds", n);
  r->pos += n;
  return 0;
}

/* Data section: the three segment encodings, skipped. */
static int read_datas(rd_t *r, weft__wasm_t *w) {
  uint32_t n;
  int rc = rd_count(r, 1, &n);
  if (rc)
    return rc;
  w->ndatas = n;
  for (uint32_t i = 0; i < n; i++) {
    size_t at = r->pos;
    uint32_t flags, mem;
    if ((rc = rd_u32(r, &flags)))
      return rc;
    switch (flags) {
    case 0: /* active memory 0, offset, bytes */
      rc = rd_const_expr(r);
      break;
    case 1: /* passive, bytes */
      break;
    case 2: /* active memory, offset, bytes */
      if (!(rc = rd_u32(r, &mem)))
        rc = rd_const_expr(r);
      break;
    default:
      return fail(r, WEFT_EMALFORMED, at,
                  "bad data segment flags %u", flags);
    }
    if (rc || (rc = skip_bytes(r)))
      return rc;
  }
  return 0;
}

/* One code entry: size, locals header (at most 2^32-1 locals in all),
 * body ending in `end` (0x0b). The instructions are skipped. */
static int read_body(rd_t *r, uint32_t i) {
  size_t at = r->pos, saved_end = r->end;
  const char *saved_scope = r->scope;
  uint64_t nlocals = 0;
  uint32_t size, ngroups;
  int rc = rd_u32(r, &size);
  if (rc)
    return rc;
  if (size > left(r))
    return fail(r, WEFT_EMALFORMED, at,
                "function %u body size %u out of bounds", i, size);
  r->end = r->pos + size;
  r->scope = "function";
  if ((rc = rd_count(r, 2, &ngroups)))
    goto out;
  for (uint32_t g = 0; g < ngroups; g++) {
    uint32_t cnt;
    uint8_t type;
    if ((rc = rd_u32(r, &cnt)) || (rc = rd_valtype(r, &type)))
      goto out;
    nlocals += cnt;
    if (nlocals > UINT32_MAX) {
      rc = fail(r, WEFT_EMALFORMED, r->pos, "too many locals in function %u",
                i);
      goto out;
    }
  }
  if (r->pos >= r->end) {
    rc = eof(r);
    goto out;
  }
  if (r->p[r->end - 1] != 0x0b) {
    rc = fail(r, WEFT_EMALFORMED, r->end - 1,
              "end opcode expected at the end of function %u", i);
    goto out;
  }
  r->pos = r->end;
out:
  r->end = saved_end;
  r->scope = saved_scope;
  return rc;
}

/* Code section: one entry per defined function. */
static int read_code(rd_t *r, weft__wasm_t *w, uint32_t size) {
  size_t at = r->pos;
  uint32_t n;
  int rc = rd_count(r, 1, &n);
  if (rc)
    return rc;
  if (n != w->nfuncs)
    return fail(r, WEFT_EMALFORMED, at,
                "function and code section have inconsistent lengths "
                "(%u and %u)", w->nfuncs, n);
  w->code_size = size;
  for (uint32_t i = 0; i < n; i++)
    if ((rc = read_body(r, i)))
      return rc;
  return 0;
}

/* The position of section `id` in the required order, or -1 if `id` is
 * not a known non-custom section. The tag section sits between memory
 * and global. */
static int section_rank(uint8_t id) {
  static const int8_t rank[] = {
      [SEC_TYPE] = 1,    [SEC_IMPORT] = 2, [SEC_FUNCTION] = 3,
      [SEC_TABLE] = 4,   [SEC_MEMORY] = 5, [SEC_TAG] = 6,
      [SEC_GLOBAL] = 7,  [SEC_EXPORT] = 8, [SEC_START] = 9,
      [SEC_ELEMENT] = 10, [SEC_DATACOUNT] = 11, [SEC_CODE] = 12,
      [SEC_DATA] = 13};
  if (id == 0 || id >= sizeof rank / sizeof rank[0])
    return -1;
  return rank[id];
}

/* Display name of section `id` ("type"), "custom" for 0, "unknown"
 * otherwise. */
static const char *section_name(uint8_t id) {
  static const char *const names[] = {
      "custom", "type",   "import", "function", "table",
      "memory", "global", "export", "start",    "element",
      "code",   "data",   "datacount", "tag"};
  return id < sizeof names / sizeof names[0] ? names[id] : "unknown";
}

/* Append a section record to w->sections; takes ownership of `name`.
 * Returns 0 or WEFT_ENOMEM (then `name` is freed). */
static int add_section(rd_t *r, weft__wasm_t *w, uint8_t id, size_t offset,
                       uint32_t size, char *name) {
  uint32_t n = w->nsections;
  if ((n & (n - 1)) == 0) { /* grow at 0, 1, 2, 4, 8, ... */
    size_t cap = n ? (size_t)n * 2 : 1;
    weft__section_t *s = realloc(w->sections, cap * sizeof *s);
    if (!s) {
      free(name);
      return nomem(r);
    }
    w->sections = s;
  }
  w->sections[n] = (weft__section_t){.id = id,
                                     .offset = (uint32_t)offset,
                                     .size = size,
                                     .name = name};
  w->nsections = n + 1;
  return 0;
}

/* Free the names read from the name section. */
static void drop_names(weft__wasm_t *w) {
  for (uint32_t i = 0; w->func_names && i < w->nfunc_names; i++)
    free(w->func_names[i]);
  free(w->func_names);
  free(w->module_name);
  w->func_names = NULL;
  w->nfunc_names = 0;
  w->module_name = NULL;
}

/* Function names subsection: a name map, function index -> name. Indices
 * beyond the function index space are ignored. */
static int read_func_names(rd_t *r, weft__wasm_t *w) {
  uint32_t n;
  int rc = rd_count(r, 2, &n);
  for (uint32_t i = 0; !rc && i < n; i++) {
    uint32_t idx, len;
    char *s = NULL;
    if ((rc = rd_u32(r, &idx)) || (rc = rd_name(r, &s, &len)))
      break;
    if (idx < w->nfunc_names) {
      free(w->func_names[idx]);
      w->func_names[idx] = s;
    } else {
      free(s);
    }
  }
  return rc;
}

/* Decode the "name" section contents [start, end): module name
 * (subsection 0) and function names (subsection 1); other subsections are
 * skipped. A malformed name section is ignored, never fatal: returns 0, or
 * WEFT_ENOMEM. */
static int read_names(rd_t *outer, weft__wasm_t *w, size_t start,
                      size_t end) {
  rd_t r = {outer->p, start, end, "name section", NULL};
  uint64_t nf = total_funcs(w);
  uint32_t len;
  int rc = 0;
  if (!(w->func_names = calloc(nf ? nf : 1, sizeof *w->func_names))) {
    rc = nomem(outer);
    goto out;
  }
  w->nfunc_names = (uint32_t)nf;
  while (r.pos < end) {
    uint8_t id;
    uint32_t size;
    if ((rc = rd_byte(&r, &id)) || (rc = rd_u32(&r, &size)))
      goto out;
    if (size > left(&r)) {
      rc = WEFT_EMALFORMED;
      goto out;
    }
    r.end = r.pos + size;
    if (id == 0) {
      free(w->module_name);
      w->module_name = NULL;
      rc = rd_name(&r, &w->module_name, &len);
    } else if (id == 1) {
      rc = read_func_names(&r, w);
    } else {
      r.pos = r.end;
    }
    if (!rc && r.pos != r.end)
      rc = WEFT_EMALFORMED;
    if (rc)
      goto out;
    r.end = end;
  }
out:
  if (rc)
    drop_names(w);
  if (rc == WEFT_ENOMEM)
    return nomem(outer);
  return 0;
}

/* The body of one section [r->pos, r->end), dispatched on `id`. For a
 * custom section, records where a "name" section lies in *names_at /
 * *names_end (first one wins). Returns 0 or an error. */
static int read_section(rd_t *r, weft__wasm_t *w, uint8_t id, uint32_t size,
                        uint32_t *datacount, size_t *names_at,
                        size_t *names_end) {
  char *name = NULL;
  uint32_t len = 0;
  int rc = 0;
  size_t start = r->pos;
  if (id == SEC_CUSTOM) {
    if ((rc = rd_name(r, &name, &len)))
      return rc;
    if (len == 4 && !memcmp(name, "name", 4) && !*names_end) {
      *names_at = r->pos;
      *names_end = r->end;
    }
    r->pos = r->end;
    return add_section(r, w, id, start, size, name);
  }
  if ((rc = add_section(r, w, id, start, size, NULL)))
    return rc;
  switch (id) {
  case SEC_TYPE:
    return read_types(r, w);
  case SEC_IMPORT:
    return read_imports(r, w);
  case SEC_FUNCTION:
    return read_functions(r, w);
  case SEC_TABLE:
    return read_tables(r, w);
  case SEC_MEMORY:
    return read_memories(r, w);
  case SEC_TAG:
    return read_tags(r, w);
  case SEC_GLOBAL:
    return read_globals(r, w);
  case SEC_EXPORT:
    return read_exports(r, w);
  case SEC_START:
    return read_start(r, w);
  case SEC_ELEMENT:
    return read_elems(r, w);
  case SEC_CODE:
    return read_code(r, w, size);
  case SEC_DATA:
    return read_datas(r, w);
  case SEC_DATACOUNT:
    w->has_datacount = true;
    return rd_u32(r, datacount);
  }
  return 0;
}

/* Decode a whole module; see reader.h. Single pass over the sections,
 * then the cross-section count checks, then the name section. */
int weft__wasm_read(const uint8_t *bytes, size_t len, weft__wasm_t *out,
                    weft_error_t *err) {
  rd_t r = {bytes, 0, len, "module", err};
  size_t names_at = 0, names_end = 0;
  uint32_t version, datacount = 0;
  bool has_code = false, has_data = false;
  int last_rank = 0, rc;
  memset(out, 0, sizeof *out);
  if (!bytes && len) {
    rc = WEFT_ERR(err, WEFT_EINVAL, "no module bytes");
    goto out;
  }
  if (len > UINT32_MAX) {
    rc = WEFT_ERR(err, WEFT_EUNSUPPORTED,
                  "unsupported module: %zu bytes is over 4 GiB", len);
    goto out;
  }
  if (len < 4 || memcmp(bytes, "\0asm", 4)) {
    rc = WEFT_ERR(err, WEFT_EMALFORMED, "malformed module: bad magic number");
    goto out;
  }
  if (len < 8) {
    r.pos = 4;
    rc = fail(&r, WEFT_EMALFORMED, len, "unexpected end of header");
    goto out;
  }
  version = (uint32_t)bytes[4] | (uint32_t)bytes[5] << 8 |
            (uint32_t)bytes[6] << 16 | (uint32_t)bytes[7] << 24;
  if (version == 0x1000d) {
    rc = WEFT_ERR(err, WEFT_EUNSUPPORTED,
                  "unsupported module: this is a WebAssembly component "
                  "(binary version 0x1000d), not a core module");
    goto out;
  }
  if (version != 1) {
    rc = WEFT_ERR(err, WEFT_EMALFORMED,
                  "malformed module: unknown binary version %u", version);
    goto out;
  }
  r.pos = 8;
  while (r.pos < len) {
    size_t at = r.pos, start;
    uint8_t id = bytes[r.pos++];
    uint32_t size;
    int rank = section_rank(id);
    r.end = len;
    r.scope = "module";
    if (id != SEC_CUSTOM && rank < 0) {
      rc = fail(&r, WEFT_EMALFORMED, at, "bad section id %u", id);
      goto out;
    }
    if (id != SEC_CUSTOM && rank <= last_rank) {
      rc = fail(&r, WEFT_EMALFORMED, at, "unexpected %s section (id %u) "
                "after a later section or twice", section_name(id), id);
      goto out;
    }
    if (id != SEC_CUSTOM)
      last_rank = rank;
    if ((rc = rd_u32(&r, &size)))
      goto out;
    if (size > left(&r)) {
      rc = fail(&r, WEFT_EMALFORMED, at,
                "section %u size %u out of bounds (%zu bytes left)", id,
                size, left(&r));
      goto out;
    }
    start = r.pos;
    r.end = start + size;
    r.scope = "section";
    if ((rc = read_section(&r, out, id, size, &datacount, &names_at,
                           &names_end)))
      goto out;
    if (r.pos != r.end) {
      rc = fail(&r, WEFT_EMALFORMED, r.pos, "section %u size mismatch", id);
      goto out;
    }
    has_code |= id == SEC_CODE;
    has_data |= id == SEC_DATA;
  }
  r.scope = "module";
  if (!has_code && out->nfuncs) {
    rc = fail(&r, WEFT_EMALFORMED, len,
              "function and code section have inconsistent lengths "
              "(%u and no code section)", out->nfuncs);
    goto out;
  }
  if (out->has_datacount && datacount != out->ndatas) {
    rc = fail(&r, WEFT_EMALFORMED, len,
              "data count and data section have inconsistent lengths "
              "(%u and %u%s)", datacount, out->ndatas,
              has_data ? "" : ", no data section");
    goto out;
  }
  if (names_end && (rc = read_names(&r, out, names_at, names_end)))
    goto out;
  rc = 0;
out:
  if (rc)
    weft__wasm_release(out);
  return rc;
}

/* Free everything `w` owns and zero it; NULL and released are fine. */
void weft__wasm_release(weft__wasm_t *w) {
  if (!w)
    return;
  for (uint32_t i = 0; w->types && i < w->ntypes; i++) {
    free(w->types[i].params);
    free(w->types[i].results);
  }
  free(w->types);
  for (uint32_t i = 0; w->imports && i < w->nimports; i++) {
    free(w->imports[i].module);
    free(w->imports[i].name);
  }
  free(w->imports);
  free(w->func_types);
  free(w->tables);
  free(w->memories);
  free(w->tag_types);
  free(w->globals);
  for (uint32_t i = 0; w->exports && i < w->nexports; i++)
    free(w->exports[i].name);
  free(w->exports);
  for (uint32_t i = 0; w->sections && i < w->nsections; i++)
    free(w->sections[i].name);
  free(w->sections);
  drop_names(w);
  memset(w, 0, sizeof *w);
}

/* The type of function `funcidx`, imports first; NULL if out of range. */
const weft__functype_t *weft__wasm_func_type(const weft__wasm_t *w,
                                             uint32_t funcidx) {
  uint32_t t;
  if (funcidx < w->nimported_funcs) {
    uint32_t k = 0;
    for (uint32_t i = 0; i < w->nimports; i++) {
      if (w->imports[i].kind != WEFT_EXTERN_FUNC)
        continue;
      if (k++ == funcidx) {
        t = w->imports[i].u.func_type;
        return t < w->ntypes ? &w->types[t] : NULL;
      }
    }
    return NULL;
  }
  if ((uint64_t)funcidx - w->nimported_funcs >= w->nfuncs)
    return NULL;
  t = w->func_types[funcidx - w->nimported_funcs];
  return t < w->ntypes ? &w->types[t] : NULL;
}

/* Name-section name of `funcidx`, else its first export name, else
 * NULL. */
const char *weft__wasm_func_name(const weft__wasm_t *w, uint32_t funcidx) {
  if (w->func_names && funcidx < w->nfunc_names && w->func_names[funcidx])
    return w->func_names[funcidx];
  for (uint32_t i = 0; i < w->nexports; i++)
    if (w->exports[i].kind == WEFT_EXTERN_FUNC &&
        w->exports[i].index == funcidx)
      return w->exports[i].name;
  return NULL;
}

/* "params:results" letters of `t` into buf (truncated to size, always
 * terminated when size > 0); a NULL type gives ":". Returns buf. */
char *weft__functype_sig(const weft__functype_t *t, char *buf, size_t size) {
  size_t n = 0;
  if (!size)
    return buf;
  for (uint32_t i = 0; t && i < t->nparams && n + 1 < size; i++)
    buf[n++] = weft__valtype_letter(t->params[i]);
  if (n + 1 < size)
    buf[n++] = ':';
  for (uint32_t i = 0; t && i < t->nresults && n + 1 < size; i++)
    buf[n++] = weft__valtype_letter(t->results[i]);
  buf[n] = 0;
  return buf;
}

/* Signature letter of a value type, '?' if unknown. */
char weft__valtype_letter(uint8_t type) {
  switch (type) {
  case WEFT_I32:
    return 'i';
  case WEFT_I64:
    return 'l';
  case WEFT_F32:
    return 'f';
  case WEFT_F64:
    return 'd';
  case WEFT_V128:
    return 'v';
  case WEFT_FUNCREF:
    return 'r';
  case WEFT_EXTERNREF:
    return 'x';
  }
  return '?';
}

/* Display name of a value type, "unknown" if unknown. */
const char *weft__valtype_name(uint8_t type) {
  switch (type) {
  case WEFT_I32:
    return "i32";
  case WEFT_I64:
    return "i64";
  case WEFT_F32:
    return "f32";
  case WEFT_F64:
    return "f64";
  case WEFT_V128:
    return "v128";
  case WEFT_FUNCREF:
    return "funcref";
  case WEFT_EXTERNREF:
    return "externref";
  }
  return "unknown";
}

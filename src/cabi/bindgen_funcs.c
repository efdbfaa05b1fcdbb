/* bindgen_funcs.c - the glue of each function in generated guest
 * bindings: lowering C values into core values (flat, or a tuple in
 * memory past MAX_FLAT_PARAMS) and lifting them back, per the canonical
 * ABI's flattening. Imports lower their arguments and lift their results;
 * exports lift their arguments, call the user's function, lower its
 * results (into a static return area past MAX_FLAT_RESULTS), free the
 * arguments and drop the borrows they lent, and free the results in
 * cabi_post_<name> once the host has read them. */
#include <string.h>

#include "cabi/bindgen_int.h"

static const char *core_c(bg_core_t c) {
  switch (c) {
  case BG_I64:
    return "int64_t";
  case BG_F32:
    return "float";
  case BG_F64:
    return "double";
  default:
    return "int32_t";
  }
}

static size_t align_to(size_t x, size_t a) { return (x + a - 1) / a * a; }

/* The value of flat slot `pos` (of actual type have) read as `want`. */
static const char *slot_get(bg_t *g, const char *sp, const bg_flat_t *sf,
                            size_t pos, bg_core_t want) {
  const char *s = bg_fmt(g, "%s%zu", sp, pos);
  bg_core_t have = sf->t[pos];
  if (have == want)
    return s;
  if (have == BG_I64 && want == BG_I32)
    return bg_fmt(g, "(int32_t)%s", s);
  if (have == BG_I32 && want == BG_F32)
    return bg_fmt(g, "bg_i32_to_f32(%s)", s);
  if (have == BG_I64 && want == BG_F32)
    return bg_fmt(g, "bg_i32_to_f32((int32_t)%s)", s);
  return bg_fmt(g, "bg_i64_to_f64(%s)", s);
}

/* `v` of core type `have` as the value of slot type `slot`. */
static const char *slot_val(bg_t *g, const char *v, bg_core_t have,
                            bg_core_t slot) {
  if (have == slot)
    return v;
  if (have == BG_I32)
    return bg_fmt(g, "(int64_t)(uint32_t)(%s)", v);
  if (have == BG_F32 && slot == BG_I32)
    return bg_fmt(g, "bg_f32_to_i32(%s)", v);
  if (have == BG_F32)
    return bg_fmt(g, "(int64_t)(uint32_t)bg_f32_to_i32(%s)", v);
  return bg_fmt(g, "bg_f64_to_i64(%s)", v);
}

/* The payload types and member names of a variant, option or result:
 * case k's payload is read or written at `expr`.val.name (option: .val). */
static const weft__wit_type_t *case_type(const weft__wit_type_t *t,
                                         size_t k) {
  if (t->kind == WEFT__WIT_OPTION)
    return k == 1 ? t->m[0].type : NULL;
  return t->m[k].type;
}

static const char *case_expr(bg_t *g, const weft__wit_type_t *t, size_t k,
                             const char *expr) {
  if (t->kind == WEFT__WIT_OPTION)
    return bg_fmt(g, "%s.val", expr);
  if (t->kind == WEFT__WIT_RESULT)
    return bg_fmt(g, "%s.val.%s", expr, k ? "err" : "ok");
  return bg_fmt(g, "%s.val.%s", expr, bg_ident(g, t->m[k].name));
}

static size_t ncases(const weft__wit_type_t *t) {
  return t->kind == WEFT__WIT_VARIANT ? t->n : 2;
}

/* The test selecting case k, for options and results. */
static const char *case_test(bg_t *g, const weft__wit_type_t *t, size_t k,
                             const char *expr) {
  if (t->kind == WEFT__WIT_OPTION)
    return bg_fmt(g, "%s.is_some", expr);
  return bg_fmt(g, k ? "%s.is_err" : "!%s.is_err", expr);
}

static size_t flat_count(const weft__wit_type_t *t) {
  bg_flat_t f;
  f.n = 0;
  bg_flatten(t, &f);
  return f.n;
}

/* ---- lifting: core values -> C value ------------------------------------- */

static void lift(bg_t *g, weft__buf_t *b, const weft__wit_type_t *t,
                 const char *lv, const char *sp, const bg_flat_t *sf,
                 size_t *pos, const char *in) {
  const char *x, *in2 = bg_fmt(g, "%s  ", in);
  size_t start;
  t = weft__wit_unalias(t);
  switch (t->kind) {
  case WEFT__WIT_BOOL:
    bg_printf(g, b, "%s%s = %s != 0;\n", in, lv,
              slot_get(g, sp, sf, (*pos)++, BG_I32));
    return;
  case WEFT__WIT_S64:
  case WEFT__WIT_U64:
    bg_printf(g, b, "%s%s = (%s)%s;\n", in, lv, bg_ctype(g, t),
              slot_get(g, sp, sf, (*pos)++, BG_I64));
    return;
  case WEFT__WIT_F32:
    bg_printf(g, b, "%s%s = %s;\n", in, lv,
              slot_get(g, sp, sf, (*pos)++, BG_F32));
    return;
  case WEFT__WIT_F64:
    bg_printf(g, b, "%s%s = %s;\n", in, lv,
              slot_get(g, sp, sf, (*pos)++, BG_F64));
    return;
  case WEFT__WIT_STRING:
  case WEFT__WIT_LIST:
    x = slot_get(g, sp, sf, (*pos)++, BG_I32);
    bg_printf(g, b, "%s%s.ptr = (%s *)(uintptr_t)%s;\n", in, lv,
              t->kind == WEFT__WIT_STRING ? "uint8_t"
                                          : bg_ctype(g, t->m[0].type),
              x);
    bg_printf(g, b, "%s%s.len = (size_t)(uint32_t)%s;\n", in, lv,
              slot_get(g, sp, sf, (*pos)++, BG_I32));
    return;
  case WEFT__WIT_RECORD:
    for (size_t i = 0; i < t->n; i++)
      lift(g, b, t->m[i].type,
           bg_fmt(g, "%s.%s", lv, bg_ident(g, t->m[i].name)), sp, sf, pos,
           in);
    return;
  case WEFT__WIT_TUPLE:
    for (size_t i = 0; i < t->n; i++)
      lift(g, b, t->m[i].type, bg_fmt(g, "%s.f%zu", lv, i), sp, sf, pos,
           in);
    return;
  case WEFT__WIT_OWN:
    bg_printf(g, b, "%s%s.__handle = %s;\n", in, lv,
              slot_get(g, sp, sf, (*pos)++, BG_I32));
    return;
  case WEFT__WIT_BORROW:
    x = slot_get(g, sp, sf, (*pos)++, BG_I32);
    if (bg_exported_resource(g, bg_resource(t)))
      bg_printf(g, b, "%s%s = (%s)(uintptr_t)%s;\n", in, lv, bg_ctype(g, t),
                x);
    else
      bg_printf(g, b, "%s%s.__handle = %s;\n", in, lv, x);
    return;
  case WEFT__WIT_VARIANT:
  case WEFT__WIT_OPTION:
  case WEFT__WIT_RESULT:
    x = slot_get(g, sp, sf, (*pos)++, BG_I32);
    start = *pos;
    if (t->kind == WEFT__WIT_VARIANT) {
      bool any = false;
      bg_printf(g, b, "%s%s.tag = (%s)%s;\n", in, lv, bg_disc_ctype(t->n),
                x);
      for (size_t k = 0; k < t->n; k++)
        any = any || t->m[k].type;
      if (any) {
        bg_printf(g, b, "%sswitch (%s.tag) {\n", in, lv);
        for (size_t k = 0; k < t->n; k++) {
          size_t p = start;
          if (!t->m[k].type)
            continue;
          bg_printf(g, b, "%scase %zu:\n", in, k);
          lift(g, b, t->m[k].type, case_expr(g, t, k, lv), sp, sf, &p, in2);
          bg_printf(g, b, "%s  break;\n", in);
        }
        bg_printf(g, b, "%sdefault:\n%s  break;\n%s}\n", in, in, in);
      }
    } else {
      bg_printf(g, b, "%s%s.%s = %s != 0;\n", in, lv,
                t->kind == WEFT__WIT_OPTION ? "is_some" : "is_err", x);
      for (size_t k = 0; k < 2; k++) {
        size_t p = start;
        const weft__wit_type_t *c = case_type(t, k);
        if (!c)
          continue;
        bg_printf(g, b, "%sif (%s) {\n", in, case_test(g, t, k, lv));
        lift(g, b, c, case_expr(g, t, k, lv), sp, sf, &p, in2);
        bg_printf(g, b, "%s}\n", in);
      }
    }
    *pos = start + flat_count(t) - 1;
    return;
  default: /* small integers, char, enums, flags */
    bg_printf(g, b, "%s%s = (%s)%s;\n", in, lv, bg_ctype(g, t),
              slot_get(g, sp, sf, (*pos)++, BG_I32));
    return;
  }
}

/* ---- lowering: C value -> core values ------------------------------------ */

static void put(bg_t *g, weft__buf_t *b, const char *sp, const bg_flat_t *sf,
                size_t *pos, const char *in, const char *v, bg_core_t have) {
  bg_printf(g, b, "%s%s%zu = %s;\n", in, sp, *pos,
            slot_val(g, v, have, sf->t[*pos]));
  (*pos)++;
}

static void lower(bg_t *g, weft__buf_t *b, const weft__wit_type_t *t,
                  const char *e, const char *sp, const bg_flat_t *sf,
                  size_t *pos, const char *in) {
  const char *in2 = bg_fmt(g, "%s  ", in);
  size_t start;
  t = weft__wit_unalias(t);
  switch (t->kind) {
  case WEFT__WIT_S64:
  case WEFT__WIT_U64:
    put(g, b, sp, sf, pos, in, bg_fmt(g, "(int64_t)%s", e), BG_I64);
    return;
  case WEFT__WIT_F32:
    put(g, b, sp, sf, pos, in, e, BG_F32);
    return;
  case WEFT__WIT_F64:
    put(g, b, sp, sf, pos, in, e, BG_F64);
    return;
  case WEFT__WIT_STRING:
  case WEFT__WIT_LIST:
    put(g, b, sp, sf, pos, in, bg_fmt(g, "(int32_t)(uintptr_t)%s.ptr", e),
        BG_I32);
    put(g, b, sp, sf, pos, in, bg_fmt(g, "(int32_t)%s.len", e), BG_I32);
    return;
  case WEFT__WIT_RECORD:
    for (size_t i = 0; i < t->n; i++)
      lower(g, b, t->m[i].type,
            bg_fmt(g, "%s.%s", e, bg_ident(g, t->m[i].name)), sp, sf, pos,
            in);
    return;
  case WEFT__WIT_TUPLE:
    for (size_t i = 0; i < t->n; i++)
      lower(g, b, t->m[i].type, bg_fmt(g, "%s.f%zu", e, i), sp, sf, pos, in);
    return;
  case WEFT__WIT_OWN:
    put(g, b, sp, sf, pos, in, bg_fmt(g, "%s.__handle", e), BG_I32);
    return;
  case WEFT__WIT_BORROW:
    if (bg_exported_resource(g, bg_resource(t)))
      put(g, b, sp, sf, pos, in, bg_fmt(g, "(int32_t)(uintptr_t)%s", e),
          BG_I32);
    else
      put(g, b, sp, sf, pos, in, bg_fmt(g, "%s.__handle", e), BG_I32);
    return;
  case WEFT__WIT_VARIANT:
  case WEFT__WIT_OPTION:
  case WEFT__WIT_RESULT:
    if (t->kind == WEFT__WIT_VARIANT)
      put(g, b, sp, sf, pos, in, bg_fmt(g, "(int32_t)%s.tag", e), BG_I32);
    else
      put(g, b, sp, sf, pos, in,
          bg_fmt(g, "%s.%s ? 1 : 0", e,
                 t->kind == WEFT__WIT_OPTION ? "is_some" : "is_err"),
          BG_I32);
    start = *pos;
    if (t->kind == WEFT__WIT_VARIANT) {
      bool any = false;
      for (size_t k = 0; k < t->n; k++)
        any = any || t->m[k].type;
      if (any) {
        bg_printf(g, b, "%sswitch (%s.tag) {\n", in, e);
        for (size_t k = 0; k < t->n; k++) {
          size_t p = start;
          if (!t->m[k].type)
            continue;
          bg_printf(g, b, "%scase %zu:\n", in, k);
          lower(g, b, t->m[k].type, case_expr(g, t, k, e), sp, sf, &p, in2);
          bg_printf(g, b, "%s  break;\n", in);
        }
        bg_printf(g, b, "%sdefault:\n%s  break;\n%s}\n", in, in, in);
      }
    } else {
      for (size_t k = 0; k < 2; k++) {
        size_t p = start;
        const weft__wit_type_t *c = case_type(t, k);
        if (!c)
          continue;
        bg_printf(g, b, "%sif (%s) {\n", in, case_test(g, t, k, e));
        lower(g, b, c, case_expr(g, t, k, e), sp, sf, &p, in2);
        bg_printf(g, b, "%s}\n", in);
      }
    }
    *pos = start + flat_count(t) - 1;
    return;
  default: /* bool, small integers, char, enums, flags */
    put(g, b, sp, sf, pos, in, bg_fmt(g, "(int32_t)%s", e), BG_I32);
    return;
  }
}

/* ---- borrows an export was lent ------------------------------------------ */

static void drop_borrows(bg_t *g, weft__buf_t *b, const weft__wit_type_t *t,
                         const char *e, const char *in, int depth) {
  const char *in2 = bg_fmt(g, "%s  ", in);
  if (!bg_has_borrow(g, t))
    return;
  t = weft__wit_unalias(t);
  switch (t->kind) {
  case WEFT__WIT_BORROW:
    bg_printf(g, b, "%s%s(%s.__handle);\n", in,
              bg_res_drop(g, bg_resource(t)), e);
    return;
  case WEFT__WIT_LIST:
    bg_printf(g, b, "%sfor (size_t _i%d = 0; _i%d < %s.len; _i%d++) {\n", in,
              depth, depth, e, depth);
    drop_borrows(g, b, t->m[0].type, bg_fmt(g, "%s.ptr[_i%d]", e, depth),
                 in2, depth + 1);
    bg_printf(g, b, "%s}\n", in);
    return;
  case WEFT__WIT_RECORD:
    for (size_t i = 0; i < t->n; i++)
      drop_borrows(g, b, t->m[i].type,
                   bg_fmt(g, "%s.%s", e, bg_ident(g, t->m[i].name)), in,
                   depth);
    return;
  case WEFT__WIT_TUPLE:
    for (size_t i = 0; i < t->n; i++)
      drop_borrows(g, b, t->m[i].type, bg_fmt(g, "%s.f%zu", e, i), in,
                   depth);
    return;
  case WEFT__WIT_VARIANT:
    bg_printf(g, b, "%sswitch (%s.tag) {\n", in, e);
    for (size_t k = 0; k < t->n; k++)
      if (t->m[k].type && bg_has_borrow(g, t->m[k].type)) {
        bg_printf(g, b, "%scase %zu:\n", in, k);
        drop_borrows(g, b, t->m[k].type, case_expr(g, t, k, e), in2, depth);
        bg_printf(g, b, "%s  break;\n", in);
      }
    bg_printf(g, b, "%sdefault:\n%s  break;\n%s}\n", in, in, in);
    return;
  default: /* option, result */
    for (size_t k = 0; k < ncases(t); k++) {
      const weft__wit_type_t *c = case_type(t, k);
      if (!c || !bg_has_borrow(g, c))
        continue;
      bg_printf(g, b, "%sif (%s) {\n", in, case_test(g, t, k, e));
      drop_borrows(g, b, c, case_expr(g, t, k, e), in2, depth);
      bg_printf(g, b, "%s}\n", in);
    }
    return;
  }
}

/* ---- signatures ---------------------------------------------------------- */

typedef struct sig {
  const weft__wit_func_t *f;
  const char *name;      /* the C function the user sees */
  bg_flat_t fp, fr;      /* flat params and results */
  bool pmem, rmem;       /* params, results through memory */
  bool ret_value;        /* the one result is returned by value */
  const char **pnames;   /* C parameter names */
  const char **rnames;   /* out-parameter names (unless ret_value) */
  size_t tsize, talign;  /* the params tuple, when pmem */
  size_t *poff;          /* offsets in it */
  size_t rsize, ralign;  /* the results tuple, when rmem */
  size_t *roff;
} sig_t;

/* Lay out types[i] (member `m` of each of n) as a tuple. */
static void tuple_layout(const weft__wit_member_t *m, size_t n, size_t *off,
                         size_t *size, size_t *align) {
  size_t s = 0, a = 1;
  for (size_t i = 0; i < n; i++) {
    size_t ma = bg_align(m[i].type);
    s = align_to(s, ma);
    off[i] = s;
    s += bg_size(m[i].type);
    a = ma > a ? ma : a;
  }
  *size = align_to(s, a);
  *align = a;
}

static const char *func_name(bg_t *g, const weft__wit_func_t *f,
                             const char *prefix) {
  const char *r = f->resource ? bg_snake(g, f->resource->name) : "";
  switch (f->kind) {
  case WEFT__WIT_METHOD:
    return bg_fmt(g, "%s_method_%s_%s", prefix, r, bg_snake(g, f->name));
  case WEFT__WIT_STATIC:
    return bg_fmt(g, "%s_static_%s_%s", prefix, r, bg_snake(g, f->name));
  case WEFT__WIT_CONSTRUCTOR:
    return bg_fmt(g, "%s_constructor_%s", prefix, r);
  default:
    return bg_fmt(g, "%s_%s", prefix, bg_snake(g, f->name));
  }
}

static bool make_sig(bg_t *g, const weft__wit_func_t *f, const char *prefix,
                     sig_t *s) {
  memset(s, 0, sizeof *s);
  s->f = f;
  if (f->is_async) {
    bg_fail(g, f->file, f->line, f->col,
            "C bindings do not support async function '%s'", f->name);
    return false;
  }
  s->name = func_name(g, f, prefix);
  s->pnames = weft__arena_calloc(&g->arena, f->nparams + 1, sizeof(char *));
  s->rnames = weft__arena_calloc(&g->arena, f->nresults + 1, sizeof(char *));
  s->poff = weft__arena_calloc(&g->arena, f->nparams + 1, sizeof(size_t));
  s->roff = weft__arena_calloc(&g->arena, f->nresults + 1, sizeof(size_t));
  if (!s->pnames || !s->rnames || !s->poff || !s->roff) {
    g->rc = WEFT_ENOMEM;
    return false;
  }
  bool ret_taken = false;
  for (size_t i = 0; i < f->nparams; i++) {
    s->pnames[i] = bg_ident(g, f->params[i].name);
    ret_taken = ret_taken || !strcmp(s->pnames[i], "ret");
    bg_flatten(f->params[i].type, &s->fp);
  }
  for (size_t i = 0; i < f->nresults; i++) {
    s->rnames[i] = f->named_results ? bg_ident(g, f->results[i].name)
                   : ret_taken      ? "ret_"
                                    : "ret";
    bg_flatten(f->results[i].type, &s->fr);
  }
  s->pmem = s->fp.n > BG_MAX_FLAT_PARAMS;
  s->rmem = s->fr.n > BG_MAX_FLAT_RESULTS;
  s->ret_value = f->nresults == 1 && !f->named_results &&
                 bg_by_value(f->results[0].type);
  tuple_layout(f->params, f->nparams, s->poff, &s->tsize, &s->talign);
  tuple_layout(f->results, f->nresults, s->roff, &s->rsize, &s->ralign);
  return !g->rc;
}

/* The C prototype: "uint32_t name(uint32_t a, echo_string_t *s)". */
static const char *prototype(bg_t *g, const sig_t *s) {
  const weft__wit_func_t *f = s->f;
  weft__buf_t b;
  const char *ret = s->ret_value ? bg_ctype(g, f->results[0].type) : "void";
  char *out;
  bool first = true;
  weft__buf_init(&b);
  bg_printf(g, &b, "%s %s(", ret, s->name);
  for (size_t i = 0; i < f->nparams; i++) {
    const weft__wit_type_t *t = f->params[i].type;
    bg_printf(g, &b, "%s%s %s%s", first ? "" : ", ", bg_ctype(g, t),
              bg_by_value(t) ? "" : "*", s->pnames[i]);
    first = false;
  }
  if (!s->ret_value)
    for (size_t i = 0; i < f->nresults; i++) {
      bg_printf(g, &b, "%s%s *%s", first ? "" : ", ",
                bg_ctype(g, f->results[i].type), s->rnames[i]);
      first = false;
    }
  bg_printf(g, &b, "%s)", first ? "void" : "");
  out = bg_fmt(g, "%s", b.data ? b.data : "");
  weft__buf_release(&b);
  return out;
}

/* "int32_t, int64_t" for flat types; with `names`, "int32_t _a0, ...". */
static void core_params(bg_t *g, weft__buf_t *b, const bg_flat_t *f,
                        size_t n, bool extra_ptr, const char *names) {
  size_t i;
  for (i = 0; i < n; i++) {
    bg_printf(g, b, "%s%s", i ? ", " : "", core_c(f->t[i]));
    if (names)
      bg_printf(g, b, " %s%zu", names, i);
  }
  if (extra_ptr) {
    bg_printf(g, b, "%sint32_t", i ? ", " : "");
    if (names)
      bg_printf(g, b, " %s%zu", names, i);
    i++;
  }
  if (!i)
    bg_printf(g, b, "void");
}

/* ---- imports ------------------------------------------------------------- */

void bg_import_func(bg_t *g, const weft__wit_func_t *f, const char *prefix,
                    const char *module) {
  weft__buf_t *h = &g->hfuncs, *c = &g->cimports;
  const char *proto, *core, *rt, *lv;
  bg_flat_t pf;
  size_t np, pos;
  sig_t s;
  if (!make_sig(g, f, prefix, &s))
    return;
  proto = prototype(g, &s);
  core = bg_fmt(g, "__wasm_import_%s", s.name);
  if (s.pmem) {
    pf.n = 1;
    pf.t[0] = BG_I32;
  } else {
    pf = s.fp;
  }
  np = pf.n;
  rt = s.fr.n == 1 && !s.rmem ? core_c(s.fr.t[0]) : "void";
  bg_docs(g, h, f->docs, "");
  bg_printf(g, h, "%s;\n", proto);

  bg_printf(g, c,
            "\n__attribute__((__import_module__(\"%s\"), "
            "__import_name__(\"%s\")))\nextern %s %s(",
            module, f->abi_name, rt, core);
  core_params(g, c, &pf, np, s.rmem, NULL);
  bg_printf(g, c, ");\n\n%s {\n", proto);
  if (s.ret_value)
    bg_printf(g, c, "  %s _r;\n", bg_ctype(g, f->results[0].type));
  if (s.pmem) {
    bg_printf(g, c, "  _Alignas(%zu) uint8_t _args[%zu];\n", s.talign,
              s.tsize);
    for (size_t i = 0; i < f->nparams; i++) {
      bool v = bg_by_value(f->params[i].type);
      bg_printf(g, c, "  memcpy(_args + %zu, %s%s, sizeof %s%s);\n",
                s.poff[i], v ? "&" : "", s.pnames[i], v ? "" : "*",
                s.pnames[i]);
    }
  } else {
    for (size_t i = 0; i < np; i++)
      bg_printf(g, c, "  %s _f%zu = 0;\n", core_c(pf.t[i]), i);
    pos = 0;
    for (size_t i = 0; i < f->nparams; i++) {
      bool v = bg_by_value(f->params[i].type);
      lower(g, c, f->params[i].type,
            v ? s.pnames[i] : bg_fmt(g, "(*%s)", s.pnames[i]), "_f", &pf,
            &pos, "  ");
    }
  }
  if (s.rmem)
    bg_printf(g, c, "  _Alignas(%zu) uint8_t _ret_area[%zu];\n", s.ralign,
              s.rsize);
  bg_printf(g, c, "  %s%s(", strcmp(rt, "void") ? bg_fmt(g, "%s _c0 = ", rt)
                                                : "",
            core);
  if (s.pmem)
    bg_printf(g, c, "(int32_t)(uintptr_t)_args");
  else
    for (size_t i = 0; i < np; i++)
      bg_printf(g, c, "%s_f%zu", i ? ", " : "", i);
  if (s.rmem)
    bg_printf(g, c, "%s(int32_t)(uintptr_t)_ret_area", np ? ", " : "");
  bg_printf(g, c, ");\n");
  if (s.rmem) {
    for (size_t i = 0; i < f->nresults; i++) {
      lv = s.ret_value ? "&_r" : s.rnames[i];
      bg_printf(g, c, "  memcpy(%s, _ret_area + %zu, sizeof(%s));\n", lv,
                s.roff[i], bg_ctype(g, f->results[i].type));
    }
  } else if (f->nresults == 1 && s.fr.n == 1) {
    pos = 0;
    lv = s.ret_value ? "_r" : bg_fmt(g, "(*%s)", s.rnames[0]);
    lift(g, c, f->results[0].type, lv, "_c", &s.fr, &pos, "  ");
  }
  if (s.ret_value)
    bg_printf(g, c, "  return _r;\n");
  bg_printf(g, c, "}\n");
}

/* ---- exports ------------------------------------------------------------- */

void bg_export_func(bg_t *g, const weft__wit_func_t *f, const char *prefix,
                    const char *ename) {
  weft__buf_t *h = &g->hfuncs, *c = &g->cexports;
  const char *proto, *core, *rt;
  bg_flat_t pf;
  bool post = false;
  size_t pos;
  sig_t s;
  if (!make_sig(g, f, prefix, &s))
    return;
  proto = prototype(g, &s);
  core = bg_fmt(g, "__wasm_export_%s", s.name);
  if (s.pmem) {
    pf.n = 1;
    pf.t[0] = BG_I32;
  } else {
    pf = s.fp;
  }
  rt = s.rmem ? "int32_t" : s.fr.n == 1 ? core_c(s.fr.t[0]) : "void";
  bg_docs(g, h, f->docs, "");
  bg_printf(g, h, "%s;\n", proto);

  bg_printf(g, c, "\n__attribute__((__export_name__(\"%s\")))\n%s %s(",
            ename, rt, core);
  core_params(g, c, &pf, pf.n, false, "_a");
  bg_printf(g, c, ") {\n");
  for (size_t i = 0; i < f->nparams; i++)
    bg_printf(g, c, "  %s _p%zu;\n", bg_ctype(g, f->params[i].type), i);
  for (size_t i = 0; i < f->nresults; i++)
    bg_printf(g, c, "  %s _r%zu;\n", bg_ctype(g, f->results[i].type), i);
  if (s.pmem) {
    /* The host put the arguments in memory it got from cabi_realloc. */
    bg_printf(g, c, "  uint8_t *_args = (uint8_t *)(uintptr_t)_a0;\n");
    for (size_t i = 0; i < f->nparams; i++)
      bg_printf(g, c, "  memcpy(&_p%zu, _args + %zu, sizeof _p%zu);\n", i,
                s.poff[i], i);
    bg_printf(g, c, "  free(_args);\n");
  } else {
    pos = 0;
    for (size_t i = 0; i < f->nparams; i++)
      lift(g, c, f->params[i].type, bg_fmt(g, "_p%zu", i), "_a", &pf, &pos,
           "  ");
  }
  bg_printf(g, c, "  %s%s(", s.ret_value ? "_r0 = " : "", s.name);
  for (size_t i = 0; i < f->nparams; i++)
    bg_printf(g, c, "%s%s_p%zu", i ? ", " : "",
              bg_by_value(f->params[i].type) ? "" : "&", i);
  if (!s.ret_value)
    for (size_t i = 0; i < f->nresults; i++)
      bg_printf(g, c, "%s&_r%zu", i || f->nparams ? ", " : "", i);
  bg_printf(g, c, ");\n");
  for (size_t i = 0; i < f->nparams; i++) {
    const char *fr = bg_free_fn(g, f->params[i].type);
    drop_borrows(g, c, f->params[i].type, bg_fmt(g, "_p%zu", i), "  ", 0);
    if (fr)
      bg_printf(g, c, "  %s(&_p%zu);\n", fr, i);
  }
  if (s.rmem) {
    for (size_t i = 0; i < f->nresults; i++) {
      bg_printf(g, c, "  memcpy(RET_AREA + %zu, &_r%zu, sizeof _r%zu);\n",
                s.roff[i], i, i);
      post = post || bg_needs_free(f->results[i].type);
    }
    bg_printf(g, c, "  return (int32_t)(uintptr_t)RET_AREA;\n");
    if (s.rsize > g->ret_size)
      g->ret_size = s.rsize;
    if (s.ralign > g->ret_align)
      g->ret_align = s.ralign;
  } else if (s.fr.n == 1) {
    bg_printf(g, c, "  %s _c0 = 0;\n", rt);
    pos = 0;
    lower(g, c, f->results[0].type, "_r0", "_c", &s.fr, &pos, "  ");
    bg_printf(g, c, "  return _c0;\n");
  }
  bg_printf(g, c, "}\n");
  if (!post)
    return;
  bg_printf(g, c,
            "\n__attribute__((__export_name__(\"cabi_post_%s\")))\n"
            "void %s_post_return(int32_t _a0) {\n"
            "  uint8_t *_ret = (uint8_t *)(uintptr_t)_a0;\n",
            ename, core);
  for (size_t i = 0; i < f->nresults; i++) {
    const char *fr = bg_free_fn(g, f->results[i].type);
    if (fr)
      bg_printf(g, c, "  %s((%s *)(_ret + %zu));\n", fr,
                bg_ctype(g, f->results[i].type), s.roff[i]);
  }
  bg_printf(g, c, "}\n");
}

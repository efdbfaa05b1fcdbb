/* bindgen_types.c - C types for WIT types in generated guest bindings:
 * their names, their definitions (written on first use, dependencies
 * first), their free functions, and the canonical ABI layout and
 * flattening the function glue needs.
 *
 * The C structs are laid out exactly as the canonical ABI lays the values
 * out in wasm32 memory (the glue asserts it with _Static_assert), so a
 * value in memory is read or written with one memcpy and a list is used
 * in place. */
#include <string.h>

#include "cabi/bindgen_int.h"
#include "cabi/cabi_int.h"

/* The C name of type node `key` when written, else NULL. */
static const char *done_name(bg_t *g, const void *key) {
  for (size_t i = 0; i < g->ndone; i++)
    if (g->done[i].key == key)
      return g->done[i].name;
  return NULL;
}

/* Remember a written type; two different types with one C name fail. */
static void set_done(bg_t *g, const void *key, const char *name,
                     const weft__wit_type_t *at) {
  for (size_t i = 0; i < g->ndone; i++)
    if (!strcmp(g->done[i].name, name)) {
      bg_fail(g, at ? at->file : g->world->file, at ? at->line : 0,
              at ? at->col : 0, "two types are both named '%s' in C", name);
      return;
    }
  if (g->ndone == g->capdone) {
    size_t cap = g->capdone ? 2 * g->capdone : 64;
    bg_name_t *d = weft__arena_alloc(&g->arena, cap * sizeof *d);
    if (!d) {
      g->rc = WEFT_ENOMEM;
      return;
    }
    if (g->ndone)
      memcpy(d, g->done, g->ndone * sizeof *d);
    g->done = d;
    g->capdone = cap;
  }
  g->done[g->ndone].key = key;
  g->done[g->ndone].name = name;
  g->done[g->ndone].full = NULL;
  g->ndone++;
}

/* ---- layout -------------------------------------------------------------- */

/* Sizes and alignment are the canonical ABI's own (cabi_type.c): the
 * generated structs must match what the host reads and writes. */
size_t bg_disc_size(size_t n) { return cabi_disc_size(n); }

const char *bg_disc_ctype(size_t n) {
  return n <= 256 ? "uint8_t" : n <= 65536 ? "uint16_t" : "uint32_t";
}

size_t bg_align(const weft__wit_type_t *t) { return cabi_align(t); }

size_t bg_size(const weft__wit_type_t *t) { return cabi_size(t); }

/* ---- flattening ---------------------------------------------------------- */

/* The host's flattening (cabi_type.c), in bindgen's core-type names, so
 * guest glue and host always agree. */
void bg_flatten(const weft__wit_type_t *t, bg_flat_t *f) {
  cabi_flat_t c = {.n = 0};
  cabi_flatten(t, &c);
  for (int i = 0; i < c.n; i++) {
    bg_core_t k = BG_I64;
    if (i < CABI_FLAT_CAP)
      k = c.t[i] == WEFT_I32   ? BG_I32
          : c.t[i] == WEFT_F32 ? BG_F32
          : c.t[i] == WEFT_F64 ? BG_F64
                               : BG_I64;
    if (f->n < BG_FLAT_CAP)
      f->t[f->n] = k;
    f->n++;
  }
}

/* ---- properties ---------------------------------------------------------- */

/* The payload types of a container, for the walks below. */
#define FOR_MEMBERS(t, m)                                                      \
  for (size_t i_ = 0; i_ < (t)->n; i_++)                                       \
    for (const weft__wit_type_t *m = (t)->m[i_].type; m; m = NULL)

bool bg_needs_free(const weft__wit_type_t *t) {
  t = weft__wit_unalias(t);
  switch (t->kind) {
  case WEFT__WIT_STRING:
  case WEFT__WIT_LIST:
    return true;
  case WEFT__WIT_RECORD:
  case WEFT__WIT_TUPLE:
  case WEFT__WIT_VARIANT:
  case WEFT__WIT_OPTION:
  case WEFT__WIT_RESULT:
    FOR_MEMBERS(t, m) {
      if (bg_needs_free(m))
        return true;
    }
    return false;
  default:
    return false;
  }
}

bool bg_has_borrow(bg_t *g, const weft__wit_type_t *t) {
  t = weft__wit_unalias(t);
  switch (t->kind) {
  case WEFT__WIT_BORROW:
    return !bg_exported_resource(g, bg_resource(t));
  case WEFT__WIT_LIST:
  case WEFT__WIT_RECORD:
  case WEFT__WIT_TUPLE:
  case WEFT__WIT_VARIANT:
  case WEFT__WIT_OPTION:
  case WEFT__WIT_RESULT:
    FOR_MEMBERS(t, m) {
      if (bg_has_borrow(g, m))
        return true;
    }
    return false;
  default:
    return false;
  }
}

bool bg_by_value(const weft__wit_type_t *t) {
  switch (weft__wit_unalias(t)->kind) {
  case WEFT__WIT_STRING:
  case WEFT__WIT_LIST:
  case WEFT__WIT_RECORD:
  case WEFT__WIT_TUPLE:
  case WEFT__WIT_VARIANT:
  case WEFT__WIT_OPTION:
  case WEFT__WIT_RESULT:
    return false;
  default:
    return true;
  }
}

const weft__wit_type_t *bg_resource(const weft__wit_type_t *t) {
  return weft__wit_unalias(weft__wit_unalias(t)->m[0].type);
}

bool bg_exported_resource(bg_t *g, const weft__wit_type_t *res) {
  const bg_iface_t *bi = res->iface ? bg_iface(g, res->iface) : NULL;
  return bi && bi->exported;
}

const char *bg_type_prefix(bg_t *g, const weft__wit_type_t *t) {
  const bg_iface_t *bi = t->iface ? bg_iface(g, t->iface) : NULL;
  return bi ? bi->prefix : g->wpfx;
}

/* ---- names --------------------------------------------------------------- */

static const char *const prim_c[] = {
    [WEFT__WIT_BOOL] = "bool",    [WEFT__WIT_S8] = "int8_t",
    [WEFT__WIT_U8] = "uint8_t",   [WEFT__WIT_S16] = "int16_t",
    [WEFT__WIT_U16] = "uint16_t", [WEFT__WIT_S32] = "int32_t",
    [WEFT__WIT_U32] = "uint32_t", [WEFT__WIT_S64] = "int64_t",
    [WEFT__WIT_U64] = "uint64_t", [WEFT__WIT_F32] = "float",
    [WEFT__WIT_F64] = "double",   [WEFT__WIT_CHAR] = "uint32_t",
};

static const char *const prim_shape[] = {
    [WEFT__WIT_BOOL] = "bool",     [WEFT__WIT_S8] = "s8",
    [WEFT__WIT_U8] = "u8",         [WEFT__WIT_S16] = "s16",
    [WEFT__WIT_U16] = "u16",       [WEFT__WIT_S32] = "s32",
    [WEFT__WIT_U32] = "u32",       [WEFT__WIT_S64] = "s64",
    [WEFT__WIT_U64] = "u64",       [WEFT__WIT_F32] = "f32",
    [WEFT__WIT_F64] = "f64",       [WEFT__WIT_CHAR] = "char32",
    [WEFT__WIT_STRING] = "string",
};

static bool is_anonymous(const weft__wit_type_t *t) {
  return t->kind == WEFT__WIT_LIST || t->kind == WEFT__WIT_OPTION ||
         t->kind == WEFT__WIT_RESULT || t->kind == WEFT__WIT_TUPLE;
}

/* `name` without its final "_t". */
static char *strip_t(bg_t *g, const char *name) {
  size_t n = strlen(name);
  return bg_fmt(g, "%.*s", (int)(n >= 2 ? n - 2 : n), name);
}

static const char *anon_shape(bg_t *g, const weft__wit_type_t *t, bool full);
static void def_anon(bg_t *g, const weft__wit_type_t *t, const char *cname);

/* How `t` reads inside the name of an anonymous type: "u8", "string",
 * "point" (`full`: "weft_test_types_point", unambiguous). Writes the
 * types it names. */
static const char *shape(bg_t *g, const weft__wit_type_t *t, bool full) {
  const char *c;
  if (!t)
    return "void";
  t = weft__wit_unalias(t);
  if (t->kind <= WEFT__WIT_STRING)
    return prim_shape[t->kind];
  if (is_anonymous(t))
    return anon_shape(g, t, full);
  c = bg_ctype(g, t);
  if (full)
    return strip_t(g, c);
  if (t->kind == WEFT__WIT_OWN || t->kind == WEFT__WIT_BORROW)
    return bg_fmt(g, "%s_%s", t->kind == WEFT__WIT_OWN ? "own" : "borrow",
                  bg_snake(g, bg_resource(t)->name));
  return bg_snake(g, t->name);
}

static const char *anon_shape(bg_t *g, const weft__wit_type_t *t, bool full) {
  weft__buf_t b;
  char *s;
  switch (t->kind) {
  case WEFT__WIT_LIST:
    return bg_fmt(g, "list_%s", shape(g, t->m[0].type, full));
  case WEFT__WIT_OPTION:
    return bg_fmt(g, "option_%s", shape(g, t->m[0].type, full));
  case WEFT__WIT_RESULT:
    return bg_fmt(g, "result_%s_%s", shape(g, t->m[0].type, full),
                  shape(g, t->m[1].type, full));
  default:
    weft__buf_init(&b);
    bg_printf(g, &b, "tuple%zu", t->n);
    for (size_t i = 0; i < t->n; i++)
      bg_printf(g, &b, "_%s", shape(g, t->m[i].type, full));
    s = bg_fmt(g, "%s", b.data ? b.data : "");
    weft__buf_release(&b);
    return s;
  }
}

/* The C name of anonymous type `t`, writing it the first time: the short
 * shape when that name is free, else the full one. */
static const char *anon_type(bg_t *g, const weft__wit_type_t *t) {
  const char *full = anon_shape(g, t, true), *name;
  for (size_t i = 0; i < g->ndone; i++)
    if (g->done[i].full && !strcmp(g->done[i].full, full))
      return g->done[i].name;
  name = bg_fmt(g, "%s_%s_t", g->wpfx, anon_shape(g, t, false));
  for (size_t i = 0; i < g->ndone; i++)
    if (!strcmp(g->done[i].name, name)) {
      name = bg_fmt(g, "%s_%s_t", g->wpfx, full);
      break;
    }
  set_done(g, NULL, name, t);
  if (!g->rc)
    g->done[g->ndone - 1].full = full;
  def_anon(g, t, name);
  return name;
}

/* ---- definitions --------------------------------------------------------- */

/* Declare `name`_free in the header and define it in the glue, with the
 * body the caller writes next into g->ctypes (closed by end_free). */
static void begin_free(bg_t *g, const char *cname) {
  const char *fn = strip_t(g, cname);
  bg_printf(g, &g->htypes, "void %s_free(%s *ptr);\n", fn, cname);
  bg_printf(g, &g->ctypes, "\nvoid %s_free(%s *ptr) {\n", fn, cname);
}

static void end_free(bg_t *g) { bg_printf(g, &g->ctypes, "}\n"); }

/* A statement freeing lvalue `expr` of type `t`, if it owns memory. */
static void free_member(bg_t *g, const weft__wit_type_t *t, const char *expr,
                        const char *indent) {
  const char *fn = bg_free_fn(g, t);
  if (fn)
    bg_printf(g, &g->ctypes, "%s%s(&%s);\n", indent, fn, expr);
}

static void layout_check(bg_t *g, const char *cname,
                         const weft__wit_type_t *t) {
  bg_printf(g, &g->ctypes,
            "_Static_assert(sizeof(%s) == %zu && _Alignof(%s) == %zu,\n"
            "               \"%s differs from the canonical ABI\");\n",
            cname, bg_size(t), cname, bg_align(t), cname);
}

static void def_record(bg_t *g, const weft__wit_type_t *t, const char *cname) {
  const char **mt = weft__arena_calloc(&g->arena, t->n + 1, sizeof *mt);
  if (!mt) {
    g->rc = WEFT_ENOMEM;
    return;
  }
  if (t->n == 0) {
    bg_fail(g, t->file, t->line, t->col, "empty %s '%s' has no C type",
            weft__wit_kind_name(t->kind), cname);
    return;
  }
  for (size_t i = 0; i < t->n; i++)
    mt[i] = bg_ctype(g, t->m[i].type);
  bg_printf(g, &g->htypes, "\n");
  bg_docs(g, &g->htypes, t->docs, "");
  bg_printf(g, &g->htypes, "typedef struct %s {\n", cname);
  for (size_t i = 0; i < t->n; i++) {
    bg_docs(g, &g->htypes, t->m[i].docs, "  ");
    if (t->kind == WEFT__WIT_RECORD)
      bg_printf(g, &g->htypes, "  %s %s;\n", mt[i], bg_ident(g, t->m[i].name));
    else
      bg_printf(g, &g->htypes, "  %s f%zu;\n", mt[i], i);
  }
  bg_printf(g, &g->htypes, "} %s;\n", cname);
  layout_check(g, cname, t);
  if (!bg_needs_free(t))
    return;
  begin_free(g, cname);
  for (size_t i = 0; i < t->n; i++) {
    const char *e = t->kind == WEFT__WIT_RECORD
                        ? bg_fmt(g, "ptr->%s", bg_ident(g, t->m[i].name))
                        : bg_fmt(g, "ptr->f%zu", i);
    free_member(g, t->m[i].type, e, "  ");
  }
  end_free(g);
}

/* Tag names: "WEFT_TEST_TYPES_SHAPE_CIRCLE". */
static void tag_defines(bg_t *g, const weft__wit_type_t *t, const char *cname,
                        bool flags) {
  const char *up = bg_upper(g, strip_t(g, cname));
  for (size_t i = 0; i < t->n; i++) {
    bg_docs(g, &g->htypes, t->m[i].docs, "");
    if (flags)
      bg_printf(g, &g->htypes, "#define %s_%s (1U << %zu)\n", up,
                bg_upper(g, bg_snake(g, t->m[i].name)), i);
    else
      bg_printf(g, &g->htypes, "#define %s_%s %zu\n", up,
                bg_upper(g, bg_snake(g, t->m[i].name)), i);
  }
}

static void def_variant(bg_t *g, const weft__wit_type_t *t, const char *cname) {
  const char **mt = weft__arena_calloc(&g->arena, t->n + 1, sizeof *mt);
  bool any = false;
  if (!mt) {
    g->rc = WEFT_ENOMEM;
    return;
  }
  for (size_t i = 0; i < t->n; i++)
    if (t->m[i].type) {
      mt[i] = bg_ctype(g, t->m[i].type);
      any = true;
    }
  bg_printf(g, &g->htypes, "\n");
  bg_docs(g, &g->htypes, t->docs, "");
  bg_printf(g, &g->htypes, "typedef struct %s {\n  %s tag;\n", cname,
            bg_disc_ctype(t->n));
  if (any) {
    bg_printf(g, &g->htypes, "  union {\n");
    for (size_t i = 0; i < t->n; i++)
      if (mt[i])
        bg_printf(g, &g->htypes, "    %s %s;\n", mt[i],
                  bg_ident(g, t->m[i].name));
    bg_printf(g, &g->htypes, "  } val;\n");
  }
  bg_printf(g, &g->htypes, "} %s;\n\n", cname);
  tag_defines(g, t, cname, false);
  layout_check(g, cname, t);
  if (!bg_needs_free(t))
    return;
  begin_free(g, cname);
  bg_printf(g, &g->ctypes, "  switch (ptr->tag) {\n");
  for (size_t i = 0; i < t->n; i++)
    if (t->m[i].type && bg_needs_free(t->m[i].type)) {
      bg_printf(g, &g->ctypes, "  case %zu:\n", i);
      free_member(g, t->m[i].type,
                  bg_fmt(g, "ptr->val.%s", bg_ident(g, t->m[i].name)), "    ");
      bg_printf(g, &g->ctypes, "    break;\n");
    }
  bg_printf(g, &g->ctypes, "  default:\n    break;\n  }\n");
  end_free(g);
}

static void def_small(bg_t *g, const weft__wit_type_t *t, const char *cname) {
  bool flags = t->kind == WEFT__WIT_FLAGS;
  const char *base = flags ? (t->n <= 8    ? "uint8_t"
                              : t->n <= 16 ? "uint16_t"
                                           : "uint32_t")
                           : bg_disc_ctype(t->n);
  if (flags && t->n == 0) {
    bg_fail(g, t->file, t->line, t->col, "empty flags '%s' have no C type",
            t->name);
    return;
  }
  bg_printf(g, &g->htypes, "\n");
  bg_docs(g, &g->htypes, t->docs, "");
  bg_printf(g, &g->htypes, "typedef %s %s;\n\n", base, cname);
  tag_defines(g, t, cname, flags);
}

static void def_anon(bg_t *g, const weft__wit_type_t *t, const char *cname) {
  const char *a = NULL, *b = NULL;
  if (t->kind == WEFT__WIT_TUPLE) {
    def_record(g, t, cname);
    return;
  }
  if (t->m[0].type)
    a = bg_ctype(g, t->m[0].type);
  if (t->kind == WEFT__WIT_RESULT && t->m[1].type)
    b = bg_ctype(g, t->m[1].type);
  bg_printf(g, &g->htypes, "\n");
  switch (t->kind) {
  case WEFT__WIT_LIST:
    bg_printf(g, &g->htypes,
              "typedef struct %s {\n  %s *ptr;\n  size_t len;\n} %s;\n", cname,
              a, cname);
    break;
  case WEFT__WIT_OPTION:
    bg_printf(g, &g->htypes,
              "typedef struct %s {\n  bool is_some;\n  %s val;\n} %s;\n", cname,
              a, cname);
    break;
  default:
    bg_printf(g, &g->htypes, "typedef struct %s {\n  bool is_err;\n", cname);
    if (a || b) {
      bg_printf(g, &g->htypes, "  union {\n");
      if (a)
        bg_printf(g, &g->htypes, "    %s ok;\n", a);
      if (b)
        bg_printf(g, &g->htypes, "    %s err;\n", b);
      bg_printf(g, &g->htypes, "  } val;\n");
    }
    bg_printf(g, &g->htypes, "} %s;\n", cname);
    break;
  }
  layout_check(g, cname, t);
  if (!bg_needs_free(t))
    return;
  begin_free(g, cname);
  switch (t->kind) {
  case WEFT__WIT_LIST:
    /* A host may give a zero-length list any pointer. */
    bg_printf(g, &g->ctypes, "  if (ptr->len > 0) {\n");
    if (bg_needs_free(t->m[0].type)) {
      bg_printf(g, &g->ctypes, "    for (size_t i = 0; i < ptr->len; i++)\n");
      free_member(g, t->m[0].type, "ptr->ptr[i]", "      ");
    }
    bg_printf(g, &g->ctypes,
              "    free(ptr->ptr);\n  }\n"
              "  ptr->ptr = NULL;\n  ptr->len = 0;\n");
    break;
  case WEFT__WIT_OPTION:
    bg_printf(g, &g->ctypes, "  if (ptr->is_some)\n");
    free_member(g, t->m[0].type, "ptr->val", "    ");
    bg_printf(g, &g->ctypes, "  ptr->is_some = false;\n");
    break;
  default:
    if (a && bg_needs_free(t->m[0].type)) {
      bg_printf(g, &g->ctypes, "  if (!ptr->is_err)\n");
      free_member(g, t->m[0].type, "ptr->val.ok", "    ");
    }
    if (b && bg_needs_free(t->m[1].type)) {
      bg_printf(g, &g->ctypes, "  if (ptr->is_err)\n");
      free_member(g, t->m[1].type, "ptr->val.err", "    ");
    }
    break;
  }
  end_free(g);
}

/* ---- resources ----------------------------------------------------------- */

const char *bg_res_drop(bg_t *g, const weft__wit_type_t *res) {
  return bg_fmt(g, "__wasm_import_%s_%s_drop", bg_type_prefix(g, res),
                bg_snake(g, res->name));
}

static void imported_resource(bg_t *g, const weft__wit_type_t *res,
                              const char *p, const char *r,
                              const char *module) {
  weft__buf_t *h = &g->htypes, *c = &g->ctypes;
  const char *drop = bg_res_drop(g, res);
  bg_printf(g, h, "\n");
  bg_docs(g, h, res->docs, "");
  bg_printf(g, h,
            "typedef struct %s_own_%s_t {\n  int32_t __handle;\n} "
            "%s_own_%s_t;\n\n"
            "typedef struct %s_borrow_%s_t {\n  int32_t __handle;\n} "
            "%s_borrow_%s_t;\n\n",
            p, r, p, r, p, r, p, r);
  bg_printf(g, h,
            "// Drop an owned handle (the host destroys the %s).\n"
            "void %s_%s_drop_own(%s_own_%s_t handle);\n"
            "// Lend an owned handle for a call.\n"
            "%s_borrow_%s_t %s_borrow_%s(%s_own_%s_t handle);\n",
            res->name, p, r, p, r, p, r, p, r, p, r);
  bg_printf(g, c,
            "\n__attribute__((__import_module__(\"%s\"), "
            "__import_name__(\"[resource-drop]%s\")))\n"
            "extern void %s(int32_t);\n\n"
            "void %s_%s_drop_own(%s_own_%s_t handle) {\n"
            "  %s(handle.__handle);\n}\n\n"
            "%s_borrow_%s_t %s_borrow_%s(%s_own_%s_t handle) {\n"
            "  return (%s_borrow_%s_t){handle.__handle};\n}\n",
            module, res->name, drop, p, r, p, r, drop, p, r, p, r, p, r, p, r);
}

static void exported_resource(bg_t *g, const weft__wit_type_t *res,
                              const char *p, const char *r,
                              const char *module) {
  weft__buf_t *h = &g->htypes, *c = &g->ctypes;
  const char *w = bg_fmt(g, "__wasm_import_%s_%s", p, r);
  bg_printf(g, h, "\n");
  bg_docs(g, h, res->docs, "");
  bg_printf(g, h,
            "// You define struct %s_%s_t: the representation of a %s.\n"
            "typedef struct %s_%s_t %s_%s_t;\n\n"
            "typedef struct %s_own_%s_t {\n  int32_t __handle;\n} "
            "%s_own_%s_t;\n\n"
            "typedef %s_%s_t *%s_borrow_%s_t;\n\n",
            p, r, res->name, p, r, p, r, p, r, p, r, p, r, p, r);
  bg_printf(g, h,
            "// A new handle for `rep`, to return to the caller.\n"
            "%s_own_%s_t %s_%s_new(%s_%s_t *rep);\n"
            "// The representation behind a handle this component owns.\n"
            "%s_%s_t *%s_%s_rep(%s_own_%s_t handle);\n"
            "// Drop an owned handle; the destructor runs.\n"
            "void %s_%s_drop_own(%s_own_%s_t handle);\n"
            "// Implemented by you: free `rep` when its last handle is "
            "dropped.\n"
            "void %s_%s_destructor(%s_%s_t *rep);\n",
            p, r, p, r, p, r, p, r, p, r, p, r, p, r, p, r, p, r, p, r);
  bg_printf(g, c,
            "\n__attribute__((__import_module__(\"[export]%s\"), "
            "__import_name__(\"[resource-new]%s\")))\n"
            "extern int32_t %s_new(int32_t);\n"
            "__attribute__((__import_module__(\"[export]%s\"), "
            "__import_name__(\"[resource-rep]%s\")))\n"
            "extern int32_t %s_rep(int32_t);\n"
            "__attribute__((__import_module__(\"[export]%s\"), "
            "__import_name__(\"[resource-drop]%s\")))\n"
            "extern void %s_drop(int32_t);\n\n",
            module, res->name, w, module, res->name, w, module, res->name, w);
  bg_printf(g, c,
            "%s_own_%s_t %s_%s_new(%s_%s_t *rep) {\n"
            "  return (%s_own_%s_t){%s_new((int32_t)(uintptr_t)rep)};\n}\n\n"
            "%s_%s_t *%s_%s_rep(%s_own_%s_t handle) {\n"
            "  return (%s_%s_t *)(uintptr_t)%s_rep(handle.__handle);\n}\n\n"
            "void %s_%s_drop_own(%s_own_%s_t handle) {\n"
            "  %s_drop(handle.__handle);\n}\n\n",
            p, r, p, r, p, r, p, r, w, p, r, p, r, p, r, p, r, w, p, r, p, r,
            w);
  bg_printf(g, c,
            "__attribute__((__export_name__(\"%s#[dtor]%s\")))\n"
            "void __wasm_export_%s_%s_dtor(int32_t rep) {\n"
            "  %s_%s_destructor((%s_%s_t *)(uintptr_t)rep);\n}\n",
            module, res->name, p, r, p, r, p, r);
}

/* Write the handle types and helpers of resource `res`, once. */
static void need_resource(bg_t *g, const weft__wit_type_t *res) {
  const bg_iface_t *bi = res->iface ? bg_iface(g, res->iface) : NULL;
  const char *p, *r;
  if (done_name(g, res))
    return;
  p = bi ? bi->prefix : g->wpfx;
  r = bg_snake(g, res->name);
  set_done(g, res, bg_fmt(g, "%s_own_%s_t", p, r), res);
  if (bi && bi->exported)
    exported_resource(g, res, p, r, bi->module);
  else
    imported_resource(g, res, p, r, bi ? bi->module : "$root");
}

const char *bg_ctype(bg_t *g, const weft__wit_type_t *t) {
  const char *name;
  t = weft__wit_unalias(t);
  if (t->kind < WEFT__WIT_STRING)
    return prim_c[t->kind];
  switch (t->kind) {
  case WEFT__WIT_STRING:
    return bg_fmt(g, "%s_string_t", g->wpfx);
  case WEFT__WIT_OWN:
  case WEFT__WIT_BORROW:
  case WEFT__WIT_RESOURCE: {
    const weft__wit_type_t *res =
        t->kind == WEFT__WIT_RESOURCE ? t : bg_resource(t);
    need_resource(g, res);
    return bg_fmt(g, "%s_%s_%s_t", bg_type_prefix(g, res),
                  t->kind == WEFT__WIT_BORROW ? "borrow" : "own",
                  bg_snake(g, res->name));
  }
  case WEFT__WIT_FUTURE:
  case WEFT__WIT_STREAM:
    bg_fail(g, t->file, t->line, t->col, "C bindings do not support %ss",
            weft__wit_kind_name(t->kind));
    return "void";
  default:
    break;
  }
  if (is_anonymous(t))
    return anon_type(g, t);
  if ((name = done_name(g, t)))
    return name;
  name = bg_fmt(g, "%s_%s_t", bg_type_prefix(g, t), bg_snake(g, t->name));
  set_done(g, t, name, t);
  if (t->kind == WEFT__WIT_RECORD)
    def_record(g, t, name);
  else if (t->kind == WEFT__WIT_VARIANT)
    def_variant(g, t, name);
  else
    def_small(g, t, name);
  return name;
}

const char *bg_free_fn(bg_t *g, const weft__wit_type_t *t) {
  if (!bg_needs_free(t))
    return NULL;
  return bg_fmt(g, "%s_free", strip_t(g, bg_ctype(g, t)));
}

/* A named type of an interface or world: its definition, or for an
 * alias a typedef of the C type it stands for. */
static void named_type(bg_t *g, const weft__wit_type_t *t, const char *p) {
  const weft__wit_type_t *u = weft__wit_unalias(t);
  const char *n = bg_snake(g, t->name), *target;
  if (t->kind != WEFT__WIT_ALIAS) {
    bg_ctype(g, t);
    return;
  }
  if (u->kind == WEFT__WIT_RESOURCE) {
    const char *rp = bg_type_prefix(g, u), *rn = bg_snake(g, u->name);
    need_resource(g, u);
    if (!strcmp(rp, p) && !strcmp(rn, n))
      return;
    bg_printf(g, &g->htypes,
              "\ntypedef %s_own_%s_t %s_own_%s_t;\n"
              "typedef %s_borrow_%s_t %s_borrow_%s_t;\n",
              rp, rn, p, n, rp, rn, p, n);
    set_done(g, t, bg_fmt(g, "%s_own_%s_t", p, n), t);
    return;
  }
  target = bg_ctype(g, u);
  if (done_name(g, t))
    return;
  set_done(g, t, bg_fmt(g, "%s_%s_t", p, n), t);
  bg_printf(g, &g->htypes, "\n");
  bg_docs(g, &g->htypes, t->docs, "");
  bg_printf(g, &g->htypes, "typedef %s %s_%s_t;\n", target, p, n);
}

void bg_iface_types(bg_t *g, const bg_iface_t *bi) {
  for (size_t i = 0; i < bi->iface->ntypes && !g->rc; i++)
    named_type(g, bi->iface->types[i], bi->prefix);
}

void bg_world_type(bg_t *g, const weft__wit_type_t *t) {
  named_type(g, t, g->wpfx);
}

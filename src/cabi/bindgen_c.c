/* bindgen_c.c - `weft bindgen c`: the driver. It names the world's
 * interfaces as wit-bindgen's C generator does (imports "ns_pkg_iface",
 * exports "exports_ns_pkg_iface", world functions "<world>" and
 * "exports_<world>"), walks the world's items, and assembles the header
 * and the glue from the parts bindgen_types.c and bindgen_funcs.c write.
 * Output depends only on the world, so generated files can be diffed. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cabi/bindgen_int.h"

/* ---- helpers shared by the bindgen files --------------------------------- */

void bg_printf(bg_t *g, weft__buf_t *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  if (weft__buf_vprintf(b, fmt, ap) && !g->rc)
    g->rc = WEFT_ENOMEM;
  va_end(ap);
}

char *bg_fmt(bg_t *g, const char *fmt, ...) {
  va_list ap;
  char *s;
  int n;
  va_start(ap, fmt);
  n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  s = n < 0 ? NULL : weft__arena_alloc(&g->arena, (size_t)n + 1);
  if (!s) {
    g->rc = g->rc ? g->rc : WEFT_ENOMEM;
    return (char *)"";
  }
  va_start(ap, fmt);
  vsnprintf(s, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return s;
}

char *bg_snake(bg_t *g, const char *id) {
  char *s;
  if (*id == '%')
    id++;
  s = bg_fmt(g, "%s", id);
  for (char *p = s; *p; p++)
    *p = *p == '-' ? '_' : (char)tolower((unsigned char)*p);
  return s;
}

/* C keywords, and names the glue uses that a parameter must not hide. */
static const char *const reserved[] = {
    "abort",    "auto",     "bool",     "break",    "case",     "char",
    "const",    "continue", "default",  "do",       "double",   "else",
    "enum",     "extern",   "false",    "float",    "for",      "free",
    "goto",     "if",       "inline",   "int",      "long",     "malloc",
    "memcpy",   "register", "restrict", "return",   "short",    "signed",
    "sizeof",   "static",   "struct",   "switch",   "true",     "typedef",
    "union",    "unsigned", "void",     "volatile", "while",    "NULL",
};

char *bg_ident(bg_t *g, const char *id) {
  char *s = bg_snake(g, id);
  for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
    if (!strcmp(s, reserved[i]))
      return bg_fmt(g, "%s_", s);
  return s;
}

char *bg_upper(bg_t *g, const char *s) {
  char *u = bg_fmt(g, "%s", s);
  for (char *p = u; *p; p++)
    *p = (char)toupper((unsigned char)*p);
  return u;
}

void bg_fail(bg_t *g, const char *file, int line, int col, const char *fmt,
             ...) {
  char msg[200];
  va_list ap;
  if (g->rc)
    return;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  g->rc = WEFT_ERR(g->err, WEFT_EUNSUPPORTED, "%s:%d:%d: %s",
                   file ? file : "<input>", line, col, msg);
}

void bg_docs(bg_t *g, weft__buf_t *b, const char *docs, const char *indent) {
  const char *p = docs, *nl;
  if (!docs)
    return;
  for (;;) {
    nl = strchr(p, '\n');
    size_t n = nl ? (size_t)(nl - p) : strlen(p);
    if (n && *p == ' ') { /* "/// text" keeps the space after the slashes */
      p++;
      n--;
    }
    if (n)
      bg_printf(g, b, "%s// %.*s\n", indent, (int)n, p);
    else
      bg_printf(g, b, "%s//\n", indent);
    if (!nl)
      break;
    p = nl + 1;
  }
}

/* "2_0_0_" when another version of `pkg` is loaded too (as wit-bindgen
 * names it: fermyon_spin_2_0_0_key_value beside fermyon_spin_key_value),
 * else "". */
static const char *version_part(bg_t *g, const weft__wit_pkg_t *pkg) {
  if (!pkg->version)
    return "";
  for (size_t i = 0; i < g->wit->npkgs; i++) {
    const weft__wit_pkg_t *o = g->wit->pkgs[i];
    if (o != pkg && !strcmp(o->ns, pkg->ns) && !strcmp(o->name, pkg->name) &&
        (!o->version || strcmp(o->version, pkg->version))) {
      char *v = bg_fmt(g, "%s_", pkg->version);
      for (char *p = v; p && *p; p++)
        if (*p == '.' || *p == '-' || *p == '+')
          *p = '_';
      return v ? v : "";
    }
  }
  return "";
}

/* The prefix and module of `iface` seen in `direction`. */
static bg_iface_t *new_iface(bg_t *g, const weft__wit_iface_t *iface,
                             bool exported) {
  bg_iface_t *bi = weft__arena_calloc(&g->arena, 1, sizeof *bi);
  const char *base;
  if (!bi) {
    g->rc = WEFT_ENOMEM;
    return NULL;
  }
  if (iface->qname)
    base = bg_fmt(g, "%s_%s_%s%s", bg_snake(g, iface->pkg->ns),
                  bg_snake(g, iface->pkg->name), version_part(g, iface->pkg),
                  bg_snake(g, iface->name));
  else
    base = bg_fmt(g, "%s_%s", g->wpfx, bg_snake(g, iface->name));
  bi->iface = iface;
  bi->exported = exported;
  bi->prefix = exported ? bg_fmt(g, "exports_%s", base) : base;
  bi->module = iface->qname ? iface->qname : iface->name;
  if (g->nifaces == g->capifaces) {
    size_t cap = g->capifaces ? 2 * g->capifaces : 16;
    bg_iface_t **a = weft__arena_alloc(&g->arena, cap * sizeof *a);
    if (!a) {
      g->rc = WEFT_ENOMEM;
      return NULL;
    }
    if (g->nifaces)
      memcpy(a, g->ifaces, g->nifaces * sizeof *a);
    g->ifaces = a;
    g->capifaces = cap;
  }
  g->ifaces[g->nifaces++] = bi;
  return bi;
}

const bg_iface_t *bg_iface(bg_t *g, const weft__wit_iface_t *iface) {
  for (size_t i = 0; i < g->nifaces; i++)
    if (g->ifaces[i]->iface == iface)
      return g->ifaces[i];
  return new_iface(g, iface, false);
}

/* ---- the world ----------------------------------------------------------- */

static void interface_funcs(bg_t *g, const bg_iface_t *bi) {
  const weft__wit_iface_t *iface = bi->iface;
  for (size_t i = 0; i < iface->nfuncs && !g->rc; i++) {
    const weft__wit_func_t *f = iface->funcs[i];
    if (bi->exported)
      bg_export_func(g, f, bi->prefix,
                     bg_fmt(g, "%s#%s", bi->module, f->abi_name));
    else
      bg_import_func(g, f, bi->prefix, bi->module);
  }
}

static void walk_world(bg_t *g) {
  const weft__wit_world_t *w = g->world;
  const char *xp = bg_fmt(g, "exports_%s", g->wpfx);
  /* Interfaces first, imports before exports, so each has its prefix
   * before any type names it. */
  for (size_t i = 0; i < w->nimports; i++)
    if (w->imports[i].kind == WEFT__WIT_ITEM_INTERFACE)
      new_iface(g, w->imports[i].iface, false);
  for (size_t i = 0; i < w->nexports; i++)
    if (w->exports[i].kind == WEFT__WIT_ITEM_INTERFACE)
      new_iface(g, w->exports[i].iface, true);
  for (size_t i = 0; i < w->nimports && !g->rc; i++)
    if (w->imports[i].kind == WEFT__WIT_ITEM_TYPE)
      bg_world_type(g, w->imports[i].type);
  for (size_t i = 0; i < g->nifaces && !g->rc; i++)
    bg_iface_types(g, g->ifaces[i]);
  for (size_t i = 0; i < g->nifaces && !g->rc; i++) {
    if (!g->ifaces[i]->iface->nfuncs)
      continue;
    bg_printf(g, &g->hfuncs, "\n// %s %s\n",
              g->ifaces[i]->exported ? "Exported by you:" : "Imported:",
              g->ifaces[i]->module);
    interface_funcs(g, g->ifaces[i]);
  }
  for (size_t i = 0; i < w->nimports && !g->rc; i++)
    if (w->imports[i].kind == WEFT__WIT_ITEM_FUNC) {
      bg_printf(g, &g->hfuncs, "\n// Imported: %s\n", w->imports[i].name);
      bg_import_func(g, w->imports[i].func, g->wpfx, "$root");
    }
  for (size_t i = 0; i < w->nexports && !g->rc; i++)
    if (w->exports[i].kind == WEFT__WIT_ITEM_FUNC) {
      bg_printf(g, &g->hfuncs, "\n// Exported by you: %s\n",
                w->exports[i].name);
      bg_export_func(g, w->exports[i].func, xp, w->exports[i].func->name);
    }
}

static void append(bg_t *g, weft__buf_t *to, const weft__buf_t *from) {
  if (from->len && weft__buf_add(to, from->data, from->len) && !g->rc)
    g->rc = WEFT_ENOMEM;
}

static void header(bg_t *g, weft__buf_t *h, const char *base) {
  const char *w = g->wpfx, *guard = bg_upper(g, base);
  const char *qname = g->world->qname ? g->world->qname : g->world->name;
  bg_printf(g, h,
            "// Generated by `weft bindgen c` from world '%s'. Do not edit.\n"
            "//\n"
            "// Implement the exported functions below, call the imported "
            "ones, and\n"
            "// build with %s.c. Arguments of your exported functions are "
            "lent for the\n"
            "// call; what they return must be freshly allocated (malloc), "
            "and is freed\n"
            "// after the host has read it. What an import returns is yours "
            "to free.\n"
            "#ifndef WEFT_BINDINGS_%s_H\n#define WEFT_BINDINGS_%s_H\n\n"
            "#include <stdbool.h>\n#include <stddef.h>\n"
            "#include <stdint.h>\n\n"
            "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n",
            qname, base, guard, guard);
  bg_printf(g, h,
            "// UTF-8 bytes, not NUL-terminated.\n"
            "typedef struct %s_string_t {\n  uint8_t *ptr;\n  size_t len;\n"
            "} %s_string_t;\n\n"
            "// Point `ret` at NUL-terminated `s` without copying it.\n"
            "void %s_string_set(%s_string_t *ret, const char *s);\n"
            "// Set `ret` to a malloc'd copy of NUL-terminated `s`.\n"
            "void %s_string_dup(%s_string_t *ret, const char *s);\n"
            "// Free the bytes of `ret` and empty it.\n"
            "void %s_string_free(%s_string_t *ret);\n\n"
            "// Allocation for the host; define your own to replace it "
            "(with\n"
            "// __attribute__((__export_name__(\"cabi_realloc\")))), using "
            "malloc's heap.\n"
            "void *cabi_realloc(void *ptr, size_t old_size, size_t align,\n"
            "                   size_t new_size);\n",
            w, w, w, w, w, w, w, w);
  append(g, h, &g->htypes);
  append(g, h, &g->hfuncs);
  bg_printf(g, h, "\n#ifdef __cplusplus\n}\n#endif\n\n#endif\n");
}

static void glue(bg_t *g, weft__buf_t *c, const char *base) {
  const char *w = g->wpfx;
  const char *qname = g->world->qname ? g->world->qname : g->world->name;
  bg_printf(g, c,
            "// Generated by `weft bindgen c` from world '%s'. Do not edit.\n"
            "#include <stdlib.h>\n#include <string.h>\n\n#include \"%s.h\"\n\n",
            qname, base);
  bg_printf(g, c,
            "// Bit casts between the core types a variant's payloads share.\n"
            "__attribute__((__unused__)) static inline int32_t "
            "bg_f32_to_i32(float f) {\n"
            "  int32_t i;\n  memcpy(&i, &f, sizeof i);\n  return i;\n}\n"
            "__attribute__((__unused__)) static inline float "
            "bg_i32_to_f32(int32_t i) {\n"
            "  float f;\n  memcpy(&f, &i, sizeof f);\n  return f;\n}\n"
            "__attribute__((__unused__)) static inline int64_t "
            "bg_f64_to_i64(double f) {\n"
            "  int64_t i;\n  memcpy(&i, &f, sizeof i);\n  return i;\n}\n"
            "__attribute__((__unused__)) static inline double "
            "bg_i64_to_f64(int64_t i) {\n"
            "  double f;\n  memcpy(&f, &i, sizeof f);\n  return f;\n}\n\n");
  /* A zero-size request gets a non-null, aligned, unusable pointer, as
   * the canonical ABI allows; realloc must then not see it. */
  bg_printf(g, c,
            "__attribute__((__weak__, __export_name__(\"cabi_realloc\")))\n"
            "void *cabi_realloc(void *ptr, size_t old_size, size_t align,\n"
            "                   size_t new_size) {\n"
            "  void *ret;\n"
            "  if (old_size == 0)\n    ptr = NULL;\n"
            "  if (new_size == 0) {\n    free(ptr);\n"
            "    return (void *)align;\n  }\n"
            "  ret = realloc(ptr, new_size);\n"
            "  if (!ret)\n    abort();\n"
            "  return ret;\n}\n\n");
  bg_printf(g, c,
            "void %s_string_set(%s_string_t *ret, const char *s) {\n"
            "  ret->ptr = (uint8_t *)s;\n  ret->len = strlen(s);\n}\n\n"
            "void %s_string_dup(%s_string_t *ret, const char *s) {\n"
            "  ret->len = strlen(s);\n"
            "  ret->ptr = NULL;\n"
            "  if (ret->len == 0)\n    return;\n"
            "  ret->ptr = (uint8_t *)malloc(ret->len);\n"
            "  if (!ret->ptr)\n    abort();\n"
            "  memcpy(ret->ptr, s, ret->len);\n}\n\n"
            "void %s_string_free(%s_string_t *ret) {\n"
            "  if (ret->len > 0)\n    free(ret->ptr);\n"
            "  ret->ptr = NULL;\n  ret->len = 0;\n}\n",
            w, w, w, w, w, w);
  append(g, c, &g->ctypes);
  append(g, c, &g->cimports);
  if (g->ret_size)
    bg_printf(g, c,
              "\n// Where exported functions leave results the host reads.\n"
              "static _Alignas(%zu) uint8_t RET_AREA[%zu];\n",
              g->ret_align, g->ret_size);
  append(g, c, &g->cexports);
}

int weft__bindgen_c(const weft__wit_t *wit, const weft__wit_world_t *world,
                    weft__buf_t *h, weft__buf_t *c, char **base,
                    weft_error_t *err) {
  bg_t g;
  memset(&g, 0, sizeof g);
  g.wit = wit;
  g.world = world;
  g.err = err;
  g.ret_align = 1;
  weft__buf_init(&g.htypes);
  weft__buf_init(&g.hfuncs);
  weft__buf_init(&g.ctypes);
  weft__buf_init(&g.cimports);
  weft__buf_init(&g.cexports);
  *base = NULL;
  g.wpfx = bg_snake(&g, world->name);
  walk_world(&g);
  if (!g.rc) {
    header(&g, h, g.wpfx);
    glue(&g, c, g.wpfx);
  }
  if (!g.rc && !(*base = weft__strdup(g.wpfx)))
    g.rc = WEFT_ENOMEM;
  if (g.rc == WEFT_ENOMEM)
    WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  weft__buf_release(&g.htypes);
  weft__buf_release(&g.hfuncs);
  weft__buf_release(&g.ctypes);
  weft__buf_release(&g.cimports);
  weft__buf_release(&g.cexports);
  weft__arena_release(&g.arena);
  return g.rc;
}

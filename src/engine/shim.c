/* shim.c - writes the C glue compiled together with wasm2c's output.
 *
 * wasm2c turns a module into C that calls each import as an external C
 * function and each wasm-rt.h runtime function by name. The shim defines
 * all of those inside the module's shared object: imports go through the
 * instance's slot array (bound at instantiation), runtime calls go through
 * the weft__abi_rt_t table libweft installs at load. It also describes the
 * exports to libweft (see abi.h). The shim #includes wasm2c's .c file so
 * the compiler checks every definition against wasm2c's declarations.
 */
#include <stdio.h>
#include <string.h>

#include "engine/shim.h"
#include "util/util.h"

/* wasm2c 1.0.32's symbol mangling: [A-Za-y0-9_] stay, everything else
 * (including 'Z') becomes 'Z' and two upper-case hex digits. */
static void mangle(weft__buf_t *b, const char *s, size_t len) {
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Y') ||
        (c >= '0' && c <= '9') || c == '_')
      weft__buf_add(b, &s[i], 1);
    else
      weft__buf_printf(b, "Z%02X", c);
  }
}

static const char *ctype(uint8_t t) {
  switch (t) {
  case WEFT_I32:
    return "u32";
  case WEFT_I64:
    return "u64";
  case WEFT_F32:
    return "f32";
  case WEFT_F64:
    return "f64";
  case WEFT_FUNCREF:
    return "wasm_rt_funcref_t";
  case WEFT_EXTERNREF:
    return "wasm_rt_externref_t";
  }
  return NULL;
}

/* Field of weft__abi_val_t.of holding a value of type t. */
static const char *vfield(uint8_t t) {
  switch (t) {
  case WEFT_I32:
    return "i32";
  case WEFT_I64:
    return "i64";
  case WEFT_F32:
    return "f32";
  case WEFT_F64:
    return "f64";
  }
  return "ref";
}

/* Letter wasm2c uses in multi-value struct names and fields. */
static char mletter(uint8_t t) {
  switch (t) {
  case WEFT_I32:
    return 'i';
  case WEFT_I64:
    return 'j';
  case WEFT_F32:
    return 'f';
  case WEFT_F64:
    return 'd';
  case WEFT_FUNCREF:
    return 'r';
  }
  return 'e';
}

static int supported(const weft__functype_t *t) {
  for (uint32_t i = 0; i < t->nparams; i++)
    if (!ctype(t->params[i]))
      return 0;
  for (uint32_t i = 0; i < t->nresults; i++)
    if (!ctype(t->results[i]))
      return 0;
  return 1;
}

static void ret_type(weft__buf_t *b, const weft__functype_t *t) {
  if (t->nresults == 0) {
    weft__buf_puts(b, "void");
  } else if (t->nresults == 1) {
    weft__buf_puts(b, ctype(t->results[0]));
  } else {
    weft__buf_puts(b, "struct wasm_multi_");
    for (uint32_t i = 0; i < t->nresults; i++)
      weft__buf_printf(b, "%c", mletter(t->results[i]));
  }
}

/* A value of type t named `expr` as it goes into a weft__abi_val_t. */
static void to_val(weft__buf_t *b, const char *dst, uint8_t t,
                   const char *expr) {
  weft__buf_printf(b, "  %s.type = %u; ", dst, t);
  if (t == WEFT_FUNCREF)
    weft__buf_printf(b, "%s.of.ref = (void *)%s.func;\n", dst, expr);
  else
    weft__buf_printf(b, "%s.of.%s = %s;\n", dst, vfield(t), expr);
}

/* A weft__abi_val_t `src` converted to C type of t. */
static void from_val(weft__buf_t *b, uint8_t t, const char *src) {
  if (t == WEFT_FUNCREF)
    weft__buf_printf(b, "(wasm_rt_funcref_t){0, (wasm_rt_function_ptr_t)"
                        "%s.of.ref, NULL}",
                     src);
  else
    weft__buf_printf(b, "(%s)%s.of.%s", ctype(t), src, vfield(t));
}

static void import_sym(weft__buf_t *b, const weft__import_t *im) {
  weft__buf_puts(b, "Z_");
  mangle(b, im->module, im->module_len);
  weft__buf_puts(b, "Z_");
  mangle(b, im->name, im->name_len);
}

static void module_struct(weft__buf_t *b, const weft__import_t *im) {
  weft__buf_puts(b, "struct Z_");
  mangle(b, im->module, im->module_len);
  weft__buf_puts(b, "_instance_t");
}

static void write_import_func(weft__buf_t *b, const weft__wasm_t *w,
                              uint32_t k) {
  const weft__import_t *im = &w->imports[k];
  const weft__functype_t *t = &w->types[im->u.func_type];
  char name[32];
  ret_type(b, t);
  weft__buf_puts(b, " ");
  import_sym(b, im);
  weft__buf_puts(b, "(");
  module_struct(b, im);
  weft__buf_puts(b, " *p");
  for (uint32_t i = 0; i < t->nparams; i++)
    weft__buf_printf(b, ", %s a%u", ctype(t->params[i]), i);
  weft__buf_printf(b, ") {\n  weft__abi_slot_t *s = weft_slots(p) + %u;\n"
                      "  if (s->host) {\n",
                   k);
  weft__buf_printf(b, "  weft__abi_val_t a[%u], r[%u];\n",
                   t->nparams ? t->nparams : 1,
                   t->nresults ? t->nresults : 1);
  for (uint32_t i = 0; i < t->nparams; i++) {
    char dst[32];
    snprintf(dst, sizeof dst, "a[%u]", i);
    snprintf(name, sizeof name, "a%u", i);
    to_val(b, dst, t->params[i], name);
  }
  weft__buf_puts(b, "  weft_rt->call_host(s, a, r);\n");
  if (t->nresults == 1) {
    weft__buf_puts(b, "  return ");
    from_val(b, t->results[0], "r[0]");
    weft__buf_puts(b, ";\n");
  } else if (t->nresults > 1) {
    ret_type(b, t);
    weft__buf_puts(b, " m;\n");
    for (uint32_t i = 0; i < t->nresults; i++) {
      snprintf(name, sizeof name, "r[%u]", i);
      weft__buf_printf(b, "  m.%c%u = ", mletter(t->results[i]), i);
      from_val(b, t->results[i], name);
      weft__buf_puts(b, ";\n");
    }
    weft__buf_puts(b, "  return m;\n");
  } else {
    weft__buf_puts(b, "  return;\n");
  }
  weft__buf_puts(b, "  }\n  return ((");
  ret_type(b, t);
  weft__buf_puts(b, " (*)(void *");
  for (uint32_t i = 0; i < t->nparams; i++)
    weft__buf_printf(b, ", %s", ctype(t->params[i]));
  weft__buf_puts(b, "))s->fn)(s->ctx");
  for (uint32_t i = 0; i < t->nparams; i++)
    weft__buf_printf(b, ", a%u", i);
  weft__buf_puts(b, ");\n}\n\n");
}

static void write_import_ptr(weft__buf_t *b, const weft__import_t *im,
                             uint32_t k) {
  const char *type = "void";
  if (im->kind == WEFT_EXTERN_MEMORY)
    type = "wasm_rt_memory_t";
  else if (im->kind == WEFT_EXTERN_TABLE)
    type = im->u.table.elem == WEFT_FUNCREF ? "wasm_rt_funcref_table_t"
                                            : "wasm_rt_externref_table_t";
  else if (im->kind == WEFT_EXTERN_GLOBAL)
    type = ctype(im->u.global.type);
  weft__buf_printf(b, "%s *", type);
  import_sym(b, im);
  weft__buf_puts(b, "(");
  module_struct(b, im);
  weft__buf_printf(b, " *p) {\n  return weft_slots(p)[%u].ptr;\n}\n\n", k);
}

static void export_sym(weft__buf_t *b, const weft__export_t *ex) {
  weft__buf_puts(b, "Z_mZ_");
  mangle(b, ex->name, ex->name_len);
}

static void write_export(weft__buf_t *b, const weft__wasm_t *w, uint32_t k) {
  const weft__export_t *ex = &w->exports[k];
  if (ex->kind != WEFT_EXTERN_FUNC) {
    weft__buf_printf(b, "static void *weft_get_%u(void *i) {\n  return ", k);
    export_sym(b, ex);
    weft__buf_puts(b, "((Z_m_instance_t *)i);\n}\n\n");
    return;
  }
  const weft__functype_t *t = weft__wasm_func_type(w, ex->index);
  char src[32];
  weft__buf_printf(b, "static void weft_tramp_%u(void *i, const "
                      "weft__abi_val_t *a, weft__abi_val_t *r) {\n",
                   k);
  weft__buf_puts(b, "  (void)a; (void)r;\n  ");
  if (t->nresults == 1)
    weft__buf_printf(b, "%s v = ", ctype(t->results[0]));
  else if (t->nresults > 1) {
    ret_type(b, t);
    weft__buf_puts(b, " v = ");
  }
  export_sym(b, ex);
  weft__buf_puts(b, "((Z_m_instance_t *)i");
  for (uint32_t p = 0; p < t->nparams; p++) {
    snprintf(src, sizeof src, "a[%u]", p);
    weft__buf_puts(b, ", ");
    from_val(b, t->params[p], src);
  }
  weft__buf_puts(b, ");\n");
  if (t->nresults == 1) {
    to_val(b, "r[0]", t->results[0], "v");
  } else {
    for (uint32_t p = 0; p < t->nresults; p++) {
      char dst[32], expr[32];
      snprintf(dst, sizeof dst, "r[%u]", p);
      snprintf(expr, sizeof expr, "v.%c%u", mletter(t->results[p]), p);
      to_val(b, dst, t->results[p], expr);
    }
  }
  weft__buf_puts(b, "}\n\n");
}

/* The runtime functions wasm2c output calls, forwarded to libweft. */
static const char runtime_glue[] =
    "static const weft__abi_rt_t *weft_rt;\n"
    "bool wasm_rt_is_initialized(void) { return true; }\n"
    "void wasm_rt_trap(wasm_rt_trap_t c) {\n"
    "  weft_rt->trap(c, __builtin_return_address(0));\n}\n"
    "uint32_t wasm_rt_register_func_type(uint32_t np, uint32_t nr, ...) {\n"
    "  wasm_rt_type_t small[64], *t = small;\n  va_list ap;\n"
    "  if (np + nr > 64 && !(t = malloc((np + nr) * sizeof *t)))\n"
    "    weft_rt->trap(WASM_RT_TRAP_CALL_INDIRECT, 0);\n"
    "  va_start(ap, nr);\n"
    "  for (uint32_t i = 0; i < np + nr; i++)\n"
    "    t[i] = (wasm_rt_type_t)va_arg(ap, int);\n"
    "  va_end(ap);\n"
    "  uint32_t id = weft_rt->register_func_type(np, nr, t);\n"
    "  if (t != small)\n    free(t);\n"
    "  return id;\n}\n"
    "uint32_t wasm_rt_register_tag(uint32_t s) { (void)s; return 0; }\n"
    "void wasm_rt_load_exception(uint32_t t, uint32_t s, const void *v) {\n"
    "  (void)t; (void)s; (void)v;\n}\n"
    "void wasm_rt_throw(void) {\n"
    "  weft_rt->trap(WASM_RT_TRAP_UNCAUGHT_EXCEPTION, 0);\n}\n"
    "static WASM_RT_UNWIND_TARGET *weft_unwind;\n"
    "WASM_RT_UNWIND_TARGET *wasm_rt_get_unwind_target(void) {\n"
    "  return weft_unwind;\n}\n"
    "void wasm_rt_set_unwind_target(WASM_RT_UNWIND_TARGET *t) {\n"
    "  weft_unwind = t;\n}\n"
    "uint32_t wasm_rt_exception_tag(void) { return 0; }\n"
    "uint32_t wasm_rt_exception_size(void) { return 0; }\n"
    "void *wasm_rt_exception(void) { return 0; }\n"
    "void wasm_rt_allocate_memory(wasm_rt_memory_t *m, uint32_t i,\n"
    "                             uint32_t x) {\n"
    "  weft_rt->allocate_memory(m, i, x);\n}\n"
    "uint32_t wasm_rt_grow_memory(wasm_rt_memory_t *m, uint32_t d) {\n"
    "  return weft_rt->grow_memory(m, d);\n}\n"
    "void wasm_rt_free_memory(wasm_rt_memory_t *m) {\n"
    "  weft_rt->free_memory(m);\n}\n"
    "void wasm_rt_allocate_funcref_table(wasm_rt_funcref_table_t *t,\n"
    "                                    uint32_t i, uint32_t x) {\n"
    "  weft_rt->allocate_funcref_table(t, i, x);\n}\n"
    "void wasm_rt_free_funcref_table(wasm_rt_funcref_table_t *t) {\n"
    "  weft_rt->free_funcref_table(t);\n}\n"
    "uint32_t wasm_rt_grow_funcref_table(wasm_rt_funcref_table_t *t,\n"
    "                                    uint32_t d, wasm_rt_funcref_t v) {\n"
    "  return weft_rt->grow_funcref_table(t, d, v);\n}\n"
    "void wasm_rt_allocate_externref_table(wasm_rt_externref_table_t *t,\n"
    "                                      uint32_t i, uint32_t x) {\n"
    "  weft_rt->allocate_externref_table(t, i, x);\n}\n"
    "void wasm_rt_free_externref_table(wasm_rt_externref_table_t *t) {\n"
    "  weft_rt->free_externref_table(t);\n}\n"
    "uint32_t wasm_rt_grow_externref_table(wasm_rt_externref_table_t *t,\n"
    "                                      uint32_t d,\n"
    "                                      wasm_rt_externref_t v) {\n"
    "  return weft_rt->grow_externref_table(t, d, v);\n}\n\n";

/* Names of the defined functions, in index order, from wasm2c's forward
 * declarations ("static u32 w2c_f(...);"). Returns how many were found. */
static uint32_t find_func_names(const char *c_src, weft__buf_t *out) {
  uint32_t n = 0;
  const char *p = c_src;
  while ((p = strstr(p, "\nstatic ")) != NULL) {
    p++;
    const char *eol = strchr(p, '\n');
    if (!eol)
      break;
    if (eol - p > 2 && eol[-1] == ';' && eol[-2] == ')') {
      const char *f = strstr(p, " w2c_");
      const char *paren = f ? strchr(f, '(') : NULL;
      if (f && paren && paren < eol) {
        weft__buf_printf(out, "  (void *)%.*s,\n", (int)(paren - f - 1),
                         f + 1);
        n++;
      }
    }
    p = eol;
  }
  return n;
}

int weft__shim_write(const weft__wasm_t *w, const weft__shim_info_t *info,
                     weft__buf_t *b, weft_error_t *err) {
  /* Check every signature is one the shim can express. */
  for (uint32_t k = 0; k < w->nimports; k++) {
    const weft__import_t *im = &w->imports[k];
    if (im->kind == WEFT_EXTERN_FUNC &&
        !supported(&w->types[im->u.func_type]))
      return WEFT_ERR(err, WEFT_EUNSUPPORTED,
                      "unsupported feature: import '%s.%s' uses v128",
                      im->module, im->name);
    if (im->kind == WEFT_EXTERN_GLOBAL && !ctype(im->u.global.type))
      return WEFT_ERR(err, WEFT_EUNSUPPORTED,
                      "unsupported feature: global import '%s.%s' is v128",
                      im->module, im->name);
  }
  for (uint32_t k = 0; k < w->nexports; k++) {
    const weft__export_t *ex = &w->exports[k];
    if (ex->kind == WEFT_EXTERN_FUNC &&
        !supported(weft__wasm_func_type(w, ex->index)))
      return WEFT_ERR(err, WEFT_EUNSUPPORTED,
                      "unsupported feature: export '%s' uses v128", ex->name);
  }

  weft__buf_printf(b, "/* weft shim for module %s */\n", info->wasm_sha256);
  weft__buf_puts(b, "#include <stdarg.h>\n#include <stdlib.h>\n"
                    "#include \"m.c\"\n"
                    "#include \"abi.h\"\n\n");
  weft__buf_puts(b, runtime_glue);
  /* wasm2c hands imports an import-module instance pointer: the one given
   * to Z_m_instantiate, which is a word pointing to itself just past the
   * slots; but an imported function put in a table by an element segment
   * gets the address of the instance field holding that pointer instead
   * (wasm2c 1.0.32). The self-pointer tells the two apart. */
  weft__buf_printf(b, "static weft__abi_slot_t *weft_slots(void *p) {\n"
                      "  if (*(void **)p != p)\n    p = *(void **)p;\n"
                      "  return (weft__abi_slot_t *)p - %u;\n}\n\n",
                   w->nimports);

  /* Imports: one definition per distinct symbol (a module may import the
   * same name twice); slot index is that of the first import. */
  uint32_t nmods = 0;
  for (uint32_t k = 0; k < w->nimports; k++) {
    const weft__import_t *im = &w->imports[k];
    int dup_sym = 0, dup_mod = 0;
    for (uint32_t j = 0; j < k; j++) {
      const weft__import_t *o = &w->imports[j];
      int same_mod = o->module_len == im->module_len &&
                     !memcmp(o->module, im->module, im->module_len);
      dup_mod |= same_mod;
      dup_sym |= same_mod && o->name_len == im->name_len &&
                 !memcmp(o->name, im->name, im->name_len);
    }
    if (!dup_mod)
      nmods++;
    if (dup_sym)
      continue;
    if (im->kind == WEFT_EXTERN_FUNC)
      write_import_func(b, w, k);
    else
      write_import_ptr(b, im, k);
  }

  weft__buf_printf(b, "static void weft_instantiate(void *i, "
                      "weft__abi_slot_t *s) {\n"
                      "  void **self = (void **)&s[%u];\n  *self = self;\n"
                      "  Z_m_instantiate((Z_m_instance_t *)i",
                   w->nimports);
  for (uint32_t k = 0; k < nmods; k++)
    weft__buf_puts(b, ", (void *)self");
  weft__buf_puts(b, ");\n}\n\nstatic void weft_free(void *i) {\n"
                    "  Z_m_free((Z_m_instance_t *)i);\n}\n\n");

  for (uint32_t k = 0; k < w->nexports; k++)
    write_export(b, w, k);
  weft__buf_printf(b, "static const weft__abi_export_t weft_exports[%u] = {"
                      "\n",
                   w->nexports ? w->nexports : 1);
  for (uint32_t k = 0; k < w->nexports; k++) {
    if (w->exports[k].kind == WEFT_EXTERN_FUNC) {
      weft__buf_printf(b, "  {%u, (void (*)(void))", k);
      export_sym(b, &w->exports[k]);
      weft__buf_printf(b, ", weft_tramp_%u, 0},\n", k);
    } else {
      weft__buf_printf(b, "  {%u, 0, 0, weft_get_%u},\n", k, k);
    }
  }
  weft__buf_puts(b, "};\n\n");

  weft__buf_t funcs;
  weft__buf_init(&funcs);
  uint32_t nfuncs = find_func_names(info->c_source, &funcs);
  if (nfuncs != w->nfuncs)
    nfuncs = 0;
  weft__buf_printf(b, "static void *const weft_funcs[%u] = {\n%s};\n\n",
                   nfuncs ? nfuncs : 1,
                   nfuncs && funcs.data ? funcs.data : "  0\n");
  weft__buf_release(&funcs);

  /* The module's bytes, embedded (cc runs in the directory holding it). */
  weft__buf_puts(b, "__asm__(\".section .rodata\\n.balign 16\\n"
                    "weft_wasm_bytes:\\n.incbin \\\"module.wasm\\\"\\n"
                    ".byte 0\\n.previous\");\n"
                    "extern const uint8_t weft_wasm_bytes[] "
                    "__attribute__((visibility(\"hidden\")));\n\n");

  weft__buf_printf(b,
                   "__attribute__((visibility(\"default\")))\n"
                   "const weft__abi_module_t weft_module_abi = {\n"
                   "  %d, \"", WEFT_ABI_VERSION);
  for (const char *p = info->cc_id; *p; p++)
    if (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\')
      weft__buf_add(b, p, 1);
  weft__buf_printf(b,
                   "\", \"%s\", weft_wasm_bytes, %zu, &weft_rt,\n"
                   "  sizeof(Z_m_instance_t), Z_m_init_module,\n"
                   "  weft_instantiate, weft_free, %u, weft_exports,\n"
                   "  %u, weft_funcs\n};\n",
                   info->wasm_sha256, info->wasm_len, w->nexports, nfuncs);
  if (b->len == 0)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  return 0;
}

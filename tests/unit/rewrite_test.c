/* rewrite_test.c - the rewrite of wasm2c output (src/engine/rewrite.c):
 * every plain load and store goes through a per-function base pointer,
 * unexpected text is left alone, and compiled modules keep their meaning:
 * unused out-of-bounds loads still trap, accesses after memory.grow and
 * through an imported memory still land. Uses tests/guests/memaccess.wat
 * and memimport.wat. The canonical-NaN rewrite (issue #7): every float
 * compound assignment and NaN-making helper is wrapped, and text it does
 * not expect is refused (tests/guests/nan_ops.wat; what the compiled code
 * computes is tested in nan_test.c). Write tracking: every place that
 * writes memory marks it, text it does not expect is refused, and the
 * option keeps its own cache entries (what resets then do is tested in
 * reset_test.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/engine_int.h"
#include "engine/rewrite.h"
#include "runtime/runtime.h"
#include "util/util.h"
#include "weft.h"

static const char *build;
static char tmp[64];

static int setup(void **state) {
  (void)state;
  build = getenv("BUILD") ? getenv("BUILD") : "build";
  snprintf(tmp, sizeof tmp, "/tmp/weft-rewrite-test.XXXXXX");
  return mkdtemp(tmp) ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  weft__rm_rf(tmp);
  return 0;
}

/* wasm2c's output for guest `name`, NUL-terminated; caller frees. */
static char *wasm2c(const char *name, size_t *len) {
  char cmd[8192], path[4096];
  snprintf(cmd, sizeof cmd,
           "wasm2c '%s/guests/%s.wasm' -n m -o '%s/%s.c'", build, name,
           tmp, name);
  assert_int_equal(system(cmd), 0);
  snprintf(path, sizeof path, "%s/%s.c", tmp, name);
  uint8_t *src;
  assert_int_equal(weft__read_file(path, &src, len, NULL), 0);
  return (char *)src;
}

static size_t count(const char *s, const char *needle) {
  size_t n = 0;
  for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
    n++;
  return n;
}

/* Whether some load or store helper in `s` still takes the
 * wasm_rt_memory_t (wasm2c's `i32_load(&instance->w2c_memory, ...)`). */
static int helper_on_memory(const char *s) {
  for (const char *p = strstr(s, "instance->"); p;
       p = strstr(p + 1, "instance->")) {
    if (p - s < 2)
      continue;
    const char *q = p - (p[-1] == '&');
    if (q[-1] != '(')
      continue;
    const char *id = q - 1;
    while (id > s && (id[-1] == '_' || (id[-1] >= 'a' && id[-1] <= 'z') ||
                      (id[-1] >= '0' && id[-1] <= '9')))
      id--;
    if ((*id == 'i' || *id == 'f') && id[3] == '_' &&
        (!strncmp(id + 4, "load", 4) || !strncmp(id + 4, "store", 5)))
      return 1;
  }
  return 0;
}

static void test_every_access_rewritten(void **state) {
  (void)state;
  const char *names[] = {"memaccess", "memimport"};
  const char *decl[] = {
      "  u8 *const weft__mb0 = (&instance->w2c_memory)->data;\n",
      "  u8 *const weft__mb0 = (instance->Z_libZ_memory)->data;\n"};
  for (int i = 0; i < 2; i++) {
    size_t len;
    char *src = wasm2c(names[i], &len);
    weft__buf_t out;
    weft__buf_init(&out);
    int n = weft__rewrite(src, len, &out);
    assert_true(n > 0);
    assert_int_equal((size_t)n, count(out.data, "_b(weft__mb0, "));
    assert_true(helper_on_memory(src));
    assert_false(helper_on_memory(out.data));
    /* memory.grow and memory.size still take the wasm_rt_memory_t */
    if (i == 0)
      assert_non_null(strstr(out.data, "wasm_rt_grow_memory(&instance->"));
    /* one base pointer per function that accesses memory */
    assert_true(count(out.data, decl[i]) >= 3);
    assert_int_equal(count(out.data, "weft__mb1"), 0);
    weft__buf_release(&out);
    free(src);
  }
}

static void test_unexpected_text_unchanged(void **state) {
  (void)state;
  weft__buf_t out;
  weft__buf_init(&out);
  const char odd[] = "int x;\n";
  assert_int_equal(weft__rewrite(odd, sizeof odd - 1, &out), 0);
  assert_string_equal(out.data, odd);
  out.len = 0;

  /* wasm2c's text without one helper definition is left alone */
  size_t len;
  char *src = wasm2c("memaccess", &len);
  char *d = strstr(src, "DEFINE_LOAD(f32_load, f32, f32, f32)\n");
  assert_non_null(d);
  d[7] = 'X';
  assert_int_equal(weft__rewrite(src, len, &out), 0);
  assert_int_equal(out.len, len);
  assert_memory_equal(out.data, src, len);
  free(src);
  weft__buf_release(&out);
}

/* Whether a line of `s` is still a float compound assignment of wasm2c,
 * `  w2c_f1 += w2c_f2;` (f32 stack variables are w2c_fN, f64 w2c_dN). */
static int float_compound_left(const char *s) {
  for (const char *p = strstr(s, "\n  w2c_"); p;
       p = strstr(p + 1, "\n  w2c_")) {
    const char *q = p + 1;
    while (*q == ' ')
      q++;
    if (q[4] != 'f' && q[4] != 'd')
      continue;
    const char *sp = strchr(q, ' ');
    if (sp && strchr("+-*/", sp[1]) && sp[2] == '=' && sp[3] == ' ')
      return 1;
  }
  return 0;
}

static void test_nans_every_op_wrapped(void **state) {
  (void)state;
  size_t len;
  char *src = wasm2c("nan_ops", &len);
  assert_true(float_compound_left(src));
  weft__buf_t out, both;
  weft__buf_init(&out);
  weft__buf_init(&both);
  /* add, sub, mul and div, at both widths, one statement each */
  assert_int_equal(weft__rewrite_nans(src, len, &out), 8);
  assert_false(float_compound_left(out.data));
  assert_int_equal(count(out.data, "= WEFT_CANON(w2c_"), 8);
  const char *helpers[] = {"wasm_sqrt", "wasm_ceilf", "wasm_floor",
                           "wasm_truncf", "wasm_nearbyint", "wasm_quietf"};
  char def[64];
  for (size_t i = 0; i < sizeof helpers / sizeof helpers[0]; i++) {
    snprintf(def, sizeof def, "#define %s(x) weft__canon_f", helpers[i]);
    assert_int_equal(count(out.data, def), 1);
    /* defined after the helper, so the helper itself is not renamed */
    snprintf(def, sizeof def, " %s(", helpers[i]);
    assert_true(strstr(out.data, def) <
                strstr(out.data, "#define wasm_quiet(x)"));
  }
  /* the load and store rewrite still applies afterwards */
  assert_true(weft__rewrite(out.data, out.len, &both) > 0);
  assert_int_equal(count(both.data, "f64_store_b(weft__mb0"), 1);
  weft__buf_release(&both);
  weft__buf_release(&out);
  free(src);
}

static void test_nans_unexpected_text_refused(void **state) {
  (void)state;
  weft__buf_t out;
  weft__buf_init(&out);
  weft__buf_puts(&out, "kept");
  const char odd[] = "int x;\n";
  assert_int_equal(weft__rewrite_nans(odd, sizeof odd - 1, &out),
                   WEFT_EUNSUPPORTED);
  assert_int_equal(out.len, 4);

  /* a helper missing, or FMIN written otherwise: refused, not guessed */
  const char *edits[] = {"static double wasm_sqrt(double x) {\n",
                         "             ? NAN  "};
  for (size_t i = 0; i < 2; i++) {
    size_t len;
    char *src = wasm2c("nan_ops", &len);
    char *d = strstr(src, edits[i]);
    assert_non_null(d);
    d[i ? 15 : 14] = 'X';
    assert_int_equal(weft__rewrite_nans(src, len, &out), WEFT_EUNSUPPORTED);
    assert_int_equal(out.len, 4);
    free(src);
  }
  weft__buf_release(&out);
}

static void test_odd_calls_left_alone(void **state) {
  (void)state;
  size_t len;
  char *src = wasm2c("memaccess", &len);
  /* keep wasm2c's definitions, replace the functions with hand-made ones */
  const char *anchor = "DEFINE_STORE(i64_store32, u32, u64)\n";
  char *a = strstr(src, anchor);
  assert_non_null(a);
  a[strlen(anchor)] = 0;
  weft__buf_t in, out;
  weft__buf_init(&in);
  weft__buf_init(&out);
  weft__buf_puts(&in, src);
  weft__buf_puts(&in,
                 "static u32 w2c_f(Z_m_instance_t* instance, u32 w2c_p0) {\n"
                 "  w2c_i0 = i32_load(mem, (u64)(w2c_p0));\n"
                 "  w2c_i0 = w2c_i32_load(&instance->w2c_memory, 1);\n"
                 "  w2c_i0 = i32_load(&instance->w2c_memory,1);\n"
                 "}\n");
  assert_int_equal(weft__rewrite(in.data, in.len, &out), 0);
  assert_string_equal(out.data, in.data);

  /* two memories get two base pointers */
  in.len = strlen(src);
  weft__buf_puts(&in,
                 "static void w2c_g(Z_m_instance_t* instance) {\n"
                 "  i32_store(&instance->w2c_a, 0, 1);\n"
                 "  i32_store8(instance->Z_bZ_m, 0, i32_load(&instance->"
                 "w2c_a, 4));\n"
                 "}\n");
  out.len = 0;
  assert_int_equal(weft__rewrite(in.data, in.len, &out), 3);
  assert_non_null(strstr(
      out.data, "static void w2c_g(Z_m_instance_t* instance) {\n"
                "  u8 *const weft__mb0 = (&instance->w2c_a)->data;\n"
                "  u8 *const weft__mb1 = (instance->Z_bZ_m)->data;\n"
                "  i32_store_b(weft__mb0, 0, 1);\n"
                "  i32_store8_b(weft__mb1, 0, i32_load_b(weft__mb0, 4));\n"
                "}\n"));
  weft__buf_release(&in);
  weft__buf_release(&out);
  free(src);
}

/* Regression: with "rx" on every load, gcc 12 failed on some guests with
 * "inconsistent operand constraints in an 'asm'" (an 8-bit load whose
 * value lived across a call: no vector register holds 8 bits). Only
 * f32 and f64 loads may name a vector register; integer loads keep
 * wasm2c's "r". */
static void test_vector_constraint_only_for_floats(void **state) {
  (void)state;
  size_t len;
  char *src = wasm2c("memaccess", &len);
  weft__buf_t out;
  weft__buf_init(&out);
  assert_true(weft__rewrite(src, len, &out) > 0);
  const char *ints[] = {"i32_load, u32", "i64_load, u64", "i32_load8_s, s8",
                        "i64_load8_s, s8", "i32_load8_u, u8",
                        "i64_load8_u, u8", "i32_load16_s, s16",
                        "i64_load16_s, s16", "i32_load16_u, u16",
                        "i64_load16_u, u16", "i64_load32_s, s32",
                        "i64_load32_u, u32"};
  char line[96];
  for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
    const char *p = strstr(out.data, ints[i]);
    while (p && strncmp(p - 12, "WEFT_LOAD_B(", 12))
      p = strstr(p + 1, ints[i]);
    assert_non_null(p);
    const char *nl = strchr(p, '\n');
    snprintf(line, sizeof line, "%.*s", (int)(nl - p), p);
    if (!strstr(line, "WEFT_LOADED_I)"))
      fail_msg("'%s' may use a vector register", line);
  }
  assert_non_null(strstr(out.data, "WEFT_LOAD_B(f32_load, f32, f32, f32, "
                                   "WEFT_LOADED_F)\n"));
  assert_non_null(strstr(out.data, "WEFT_LOAD_B(f64_load, f64, f64, f64, "
                                   "WEFT_LOADED_F)\n"));
  assert_non_null(strstr(out.data, "#define WEFT_LOADED_I(v) "
                                   "wasm_asm(\"\" ::\"r\"(v))\n"));
  /* what the rewrite writes compiles, with the engine's compiler */
  char path[4096], cmd[8192];
  snprintf(path, sizeof path, "%s/rewritten.c", tmp);
  assert_int_equal(weft__write_file_atomic(path, out.data, out.len, NULL), 0);
  snprintf(cmd, sizeof cmd, "${CC:-cc} -O2 -fPIC -w -I'%s' -c '%s' -o "
           "'%s/rewritten.o'", tmp, path, tmp);
  assert_int_equal(system(cmd), 0);
  weft__buf_release(&out);
  free(src);
}

/* The modules, compiled with the engine's default optimisation. */
static weft_engine_t *engine;
static weft_module_t *memaccess, *memimport;

static weft_module_t *load(const char *name) {
  char path[4096], cache[4096];
  weft_error_t err = {0};
  if (!engine) {
    snprintf(cache, sizeof cache, "%s/test-cache", build);
    weft_engine_config_t cfg = {.cache_dir = cache, .opt_level = -1};
    engine = weft_engine_new(&cfg, &err);
    assert_non_null(engine);
  }
  snprintf(path, sizeof path, "%s/guests/%s.wasm", build, name);
  weft_module_t *m = weft_module_load_file(engine, path, &err);
  if (!m)
    fail_msg("%s", err.msg);
  return m;
}

static weft_core_val_t i32(int32_t v) {
  weft_core_val_t x = {.type = WEFT_I32};
  x.of.i32 = v;
  return x;
}

static void expect_oob(weft_instance_t *inst, const char *name, int32_t at) {
  weft_error_t err = {0};
  weft_core_val_t a = i32(at);
  if (weft_instance_invoke(inst, name, &a, 1, NULL, 0, &err) != WEFT_ETRAP)
    fail_msg("%s(%d) did not trap", name, at);
  assert_int_equal(err.detail, WEFT_TRAP_OOB);
}

static void test_unused_loads_trap(void **state) {
  (void)state;
  weft_error_t err = {0};
  weft__rt_install_handlers(); /* cmocka replaced Weft's */
  memaccess = load("memaccess");
  weft_instance_t *inst = weft_instance_new(NULL, memaccess, NULL, &err);
  assert_non_null(inst);
  const char *fns[] = {"drop_f64", "drop_f32", "drop_i64", "drop_u8",
                       "dead_local"};
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    weft_core_val_t a = i32(65536 - 8);
    assert_int_equal(weft_instance_invoke(inst, fns[i], &a, 1, NULL, 0,
                                          &err), 0);
    expect_oob(inst, fns[i], 65536);
    expect_oob(inst, fns[i], -1);
  }
  weft_instance_free(inst);
}

static void test_grow_and_loop(void **state) {
  (void)state;
  weft_error_t err = {0};
  weft__rt_install_handlers();
  weft_instance_t *inst = weft_instance_new(NULL, memaccess, NULL, &err);
  assert_non_null(inst);
  weft_core_val_t r, n = i32(1000);
  assert_int_equal(weft_instance_invoke(inst, "grow_store", NULL, 0, &r, 1,
                                        &err), 0);
  assert_int_equal(r.of.i64, 42);
  assert_int_equal(weft_instance_invoke(inst, "sum", &n, 1, &r, 1, &err), 0);
  assert_true(r.of.f64 == 999.0 * 1000.0 / 4.0);
  weft_instance_free(inst);
}

static void test_imported_memory(void **state) {
  (void)state;
  weft_error_t err = {0};
  weft__rt_install_handlers();
  memimport = load("memimport");
  weft_instance_t *lib = weft_instance_new(NULL, memaccess, NULL, &err);
  assert_non_null(lib);
  weft_linker_t *l = weft_linker_new(engine);
  assert_int_equal(weft_linker_define_instance(l, "lib", lib, &err), 0);
  weft_instance_t *inst = weft_instance_new(l, memimport, NULL, &err);
  if (!inst)
    fail_msg("%s", err.msg);
  /* memory grown by the exporter, then written through the import */
  weft_core_val_t r, a[2] = {i32(2 * 65536 - 8), {.type = WEFT_I64}};
  a[1].of.i64 = 7;
  assert_int_equal(weft_instance_invoke(lib, "grow_store", NULL, 0, &r, 1,
                                        &err), 0);
  assert_int_equal(weft_instance_invoke(inst, "put", a, 2, NULL, 0, &err),
                   0);
  size_t size;
  uint8_t *mem = weft_instance_memory(lib, NULL, &size);
  assert_int_equal(size, 2 * 65536);
  int64_t v;
  memcpy(&v, mem + 2 * 65536 - 8, 8);
  assert_int_equal(v, 7);
  expect_oob(inst, "drop_f64", 2 * 65536);
  weft_instance_free(inst);
  weft_linker_free(l);
  weft_instance_free(lib);
  weft_module_free(memimport);
  weft_module_free(memaccess);
  weft_engine_free(engine);
}

/* Compile `text` as the engine would (a syntax check of what a rewrite
 * writes: cc -c, with the engine's compiler). */
static void compiles(const weft__buf_t *text, const char *name) {
  char path[4096], cmd[8192];
  snprintf(path, sizeof path, "%s/%s.c", tmp, name);
  assert_int_equal(weft__write_file_atomic(path, text->data, text->len, NULL),
                   0);
  snprintf(cmd, sizeof cmd, "${CC:-cc} -O2 -fPIC -w -I'%s' -c '%s' -o "
           "'%s/%s.o'", tmp, path, tmp, name);
  assert_int_equal(system(cmd), 0);
}

static void test_track_every_write_marked(void **state) {
  (void)state;
  size_t len;
  char *src = wasm2c("memaccess", &len);
  weft__buf_t fast, out;
  weft__buf_init(&fast);
  weft__buf_init(&out);
  /* after the load and store rewrite: the `_b` stores too */
  assert_true(weft__rewrite(src, len, &fast) > 0);
  assert_int_equal(weft__rewrite_track(fast.data, fast.len, &out), 6);
  const char *once[] = {
      "    WEFT_MARK(base, addr);                                    \\\n"
      "    wasm_rt_memcpy(base + addr, &wrapped, sizeof(t1));",
      "    WEFT_MARK(mem->data, addr);                                        "
      "\\\n    wasm_rt_memcpy(&mem->data[addr], &wrapped, sizeof(t1));",
      "  weft__mark_range(mem->data, d, n);\n"
      "  memset(mem->data + d, val, n);\n",
      "  weft__mark_range(dest->data, dest_addr, n);\n"
      "  memmove(dest->data + dest_addr, src->data + src_addr, n);\n",
      "    weft__mark_range(m.data, o, s); \\\n"
      "    load_data(&(m.data[o]), i, s); \\\n",
      "const int weft_tracks_writes = 1;\n",
      "#define WEFT_MARK(data, addr) \\\n"
      "  ((data)[(s64)((u64)(addr) >> 12) - WEFT_MAP_BYTES] = 1)\n",
  };
  for (size_t i = 0; i < sizeof once / sizeof *once; i++)
    if (count(out.data, once[i]) != 1)
      fail_msg("not once: %s", once[i]);
  /* the map offset the code uses is the runtime's */
  char map[64];
  snprintf(map, sizeof map, "#define WEFT_MAP_BYTES %u\n",
           WEFT__RT_MAP_BYTES);
  assert_int_equal(count(out.data, map), 1);
  /* only insertions: the rest is as it was */
  assert_true(out.len > fast.len);
  compiles(&out, "tracked");

  /* wasm2c's text alone (no `_b` helpers): its own stores mark */
  out.len = 0;
  assert_int_equal(weft__rewrite_track(src, len, &out), 5);
  assert_int_equal(count(out.data, "WEFT_MARK(mem->data, addr);"), 1);
  compiles(&out, "tracked_plain");
  weft__buf_release(&fast);
  weft__buf_release(&out);
  free(src);
}

static void test_track_unexpected_text_refused(void **state) {
  (void)state;
  weft__buf_t out, fast;
  weft__buf_init(&out);
  weft__buf_init(&fast);
  weft__buf_puts(&out, "kept");
  const char odd[] = "int x;\n";
  assert_int_equal(weft__rewrite_track(odd, sizeof odd - 1, &out),
                   WEFT_EUNSUPPORTED);
  assert_int_equal(out.len, 4);
  /* each place that writes, written otherwise: refused, not guessed */
  const char *edits[] = {
      "  memset(mem->data + d, val, n);\n",
      "  memmove(dest->data + dest_addr, src->data + src_addr, n);\n",
      "    load_data(&(m.data[o]), i, s); \\\n",
      "    wasm_rt_memcpy(&mem->data[addr], &wrapped, sizeof(t1));      ",
      "    wasm_rt_memcpy(base + addr, &wrapped, sizeof(t1));        \\\n",
  };
  for (size_t i = 0; i < sizeof edits / sizeof *edits; i++) {
    size_t len;
    char *src = wasm2c("memaccess", &len);
    fast.len = 0;
    assert_true(weft__rewrite(src, len, &fast) > 0);
    char *d = strstr(fast.data, edits[i]);
    assert_non_null(d);
    d[6] = 'X';
    assert_int_equal(weft__rewrite_track(fast.data, fast.len, &out),
                     WEFT_EUNSUPPORTED);
    assert_int_equal(out.len, 4);
    free(src);
  }
  /* a place twice, or features whose writes it does not know */
  const char *more[] = {
      "static inline void memory_fill(wasm_rt_memory_t* mem, u32 d, u32 val, "
      "u32 n) {\n  RANGE_CHECK(mem, d, n);\n"
      "  memset(mem->data + d, val, n);\n}\n",
      "DEFINE_ATOMIC_STORE(i32_atomic_store, u32, u32)\n",
      "#include \"simde/wasm/simd128.h\"\n"};
  for (size_t i = 0; i < sizeof more / sizeof *more; i++) {
    size_t len;
    char *src = wasm2c("memaccess", &len);
    fast.len = 0;
    weft__buf_add(&fast, src, len);
    weft__buf_puts(&fast, more[i]);
    assert_int_equal(weft__rewrite_track(fast.data, fast.len, &out),
                     WEFT_EUNSUPPORTED);
    assert_int_equal(out.len, 4);
    free(src);
  }
  weft__buf_release(&fast);
  weft__buf_release(&out);
}

/* Tracking is part of the cache key only when on: entries compiled
 * without it keep their names. */
static void test_track_cache_key(void **state) {
  (void)state;
  char cache[4096];
  snprintf(cache, sizeof cache, "%s/test-cache", build);
  weft_engine_config_t plain = {.cache_dir = cache, .opt_level = 2},
                       tracked = plain;
  tracked.track_writes = true;
  weft_error_t err = {0};
  weft_engine_t *a = weft_engine_new(&plain, &err),
                *b = weft_engine_new(&tracked, &err);
  assert_non_null(a);
  assert_non_null(b);
  const char *sha = "0123456789abcdef0123456789abcdef"
                    "0123456789abcdef0123456789abcdef";
  char *pa = weft__cache_path(a, sha, ".so");
  char *pb = weft__cache_path(b, sha, ".so");
  assert_string_not_equal(pa, pb);
  /* the key without tracking is the one weft computed before it existed */
  weft__buf_t k;
  weft__buf_init(&k);
  weft__buf_printf(&k, "%s|abi%d|%s|%s", sha, WEFT_ABI_VERSION,
                   WEFT_REWRITE_VERSION, a->tool_id);
  const char *flags[] = {"-fPIC", "-shared", "-fvisibility=hidden",
                         "-fno-strict-aliasing", "-fno-optimize-sibling-calls",
                         "-w", "-I.", "-Wl,-Bsymbolic"};
  for (size_t i = 0; i < sizeof flags / sizeof *flags; i++)
    weft__buf_printf(&k, "|%s", flags[i]);
  char key[65];
  weft__sha256_hex(k.data, k.len, key);
  assert_non_null(strstr(pa, key));
  weft__buf_release(&k);
  free(pa);
  free(pb);
  weft_engine_free(a);
  weft_engine_free(b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_track_every_write_marked),
      cmocka_unit_test(test_track_unexpected_text_refused),
      cmocka_unit_test(test_track_cache_key),
      cmocka_unit_test(test_every_access_rewritten),
      cmocka_unit_test(test_unexpected_text_unchanged),
      cmocka_unit_test(test_odd_calls_left_alone),
      cmocka_unit_test(test_nans_every_op_wrapped),
      cmocka_unit_test(test_nans_unexpected_text_refused),
      cmocka_unit_test(test_vector_constraint_only_for_floats),
      cmocka_unit_test(test_unused_loads_trap),
      cmocka_unit_test(test_grow_and_loop),
      cmocka_unit_test(test_imported_memory),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

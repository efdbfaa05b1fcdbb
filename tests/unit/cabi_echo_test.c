/* cabi_echo_test.c - the canonical ABI end to end with a C guest built by
 * `weft bindgen c` (tests/guests/echo.c, world tests/guests/wit/echo.wit):
 * every kind of value round-trips through weft_call and WAVE; the guest
 * calls typed host functions; host resources and guest resources live
 * their whole life; a failing cabi_realloc traps cleanly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "runtime/runtime.h"
#include "weft.h"

static weft_engine_t *engine;
static weft_module_t *module;
static weft_wit_t *wit;
static weft_linker_t *linker;
static weft_resource_type_t *counter_type;
static int counters_freed;
static char last_log[64];

/* ---- the host side of interface `host` ---------------------------------- */

static void counter_dtor(void *rep, void *env) {
  (void)env;
  free(rep);
  counters_freed++;
}

static void counter_new(weft_caller_t *c, void *env, const weft_val_t *args,
                        size_t nargs, weft_val_t *res, size_t nres) {
  (void)c, (void)env, (void)nargs, (void)nres;
  uint32_t *v = malloc(sizeof *v);
  *v = args[0].of.u32;
  res[0].kind = WEFT_VAL_OWN;
  res[0].of.res = weft_resource_new(counter_type, v);
}

static void counter_add(weft_caller_t *c, void *env, const weft_val_t *args,
                        size_t nargs, weft_val_t *res, size_t nres) {
  (void)c, (void)env, (void)nargs, (void)nres;
  uint32_t *v = weft_resource_rep(args[0].of.res);
  *v += args[1].of.u32;
  res[0] = (weft_val_t){.kind = WEFT_VAL_U32, .of.u32 = *v};
}

static void counter_get(weft_caller_t *c, void *env, const weft_val_t *args,
                        size_t nargs, weft_val_t *res, size_t nres) {
  (void)c, (void)env, (void)nargs, (void)nres;
  uint32_t *v = weft_resource_rep(args[0].of.res);
  res[0] = (weft_val_t){.kind = WEFT_VAL_U32, .of.u32 = *v};
}

static void host_log(weft_caller_t *c, void *env, const weft_val_t *args,
                     size_t nargs, weft_val_t *res, size_t nres) {
  (void)c, (void)env, (void)nargs, (void)res, (void)nres;
  snprintf(last_log, sizeof last_log, "%s", args[0].of.str.ptr);
}

static void double_all(weft_caller_t *c, void *env, const weft_val_t *args,
                       size_t nargs, weft_val_t *res, size_t nres) {
  (void)env, (void)nargs, (void)nres;
  size_t n = args[0].of.list.len;
  weft_val_t *out = weft_caller_alloc(c, (n ? n : 1) * sizeof *out);
  for (size_t i = 0; i < n; i++)
    out[i] = (weft_val_t){.kind = WEFT_VAL_U32,
                          .of.u32 = 2 * args[0].of.list.ptr[i].of.u32};
  res[0].kind = WEFT_VAL_LIST;
  res[0].of.list.ptr = out;
  res[0].of.list.len = n;
}

static void make_point(weft_caller_t *c, void *env, const weft_val_t *args,
                       size_t nargs, weft_val_t *res, size_t nres) {
  (void)env, (void)nargs, (void)nres;
  weft_val_t *f = weft_caller_alloc(c, 3 * sizeof *f);
  f[0] = args[0];
  f[1] = args[1];
  f[2] = (weft_val_t){.kind = WEFT_VAL_STRING};
  f[2].of.str.ptr = "from host";
  f[2].of.str.len = 9;
  res[0].kind = WEFT_VAL_RECORD;
  res[0].of.list.ptr = f;
  res[0].of.list.len = 3;
}

static void fail_if(weft_caller_t *c, void *env, const weft_val_t *args,
                    size_t nargs, weft_val_t *res, size_t nres) {
  (void)env, (void)nargs, (void)nres;
  weft_val_t *s = weft_caller_alloc(c, sizeof *s);
  bool fail = args[0].of.b;
  s->kind = WEFT_VAL_STRING;
  s->of.str.ptr = fail ? "failed" : "fine";
  s->of.str.len = strlen(s->of.str.ptr);
  res[0].kind = WEFT_VAL_RESULT;
  res[0].of.var.tag = fail;
  res[0].of.var.val = s;
}

static int setup(void **state) {
  (void)state;
  const char *b = getenv("BUILD");
  char path[4096], cache[4096];
  snprintf(path, sizeof path, "%s/guests/echo.wasm", b ? b : "build");
  snprintf(cache, sizeof cache, "%s/test-cache", b ? b : "build");
  weft_error_t err = {0};
  weft_engine_config_t cfg = {.cache_dir = cache, .opt_level = -1};
  engine = weft_engine_new(&cfg, &err);
  module = engine ? weft_module_load_file(engine, path, &err) : NULL;
  wit = module ? weft_wit_load("tests/guests/wit/echo.wit", &err) : NULL;
  linker = weft_linker_new(engine);
  weft_wasi_config_t wasi = {.stdin_fd = -1, .stdout_fd = 1, .stderr_fd = 2};
  if (!wit || weft_linker_define_wasi(linker, &wasi, &err) < 0 ||
      weft_linker_use_world(linker, wit, "echo", &err) < 0 ||
      !(counter_type = weft_linker_define_resource(linker, "host#counter",
                                                   counter_dtor, NULL, &err)))
    goto fail;
  static const struct {
    const char *name;
    weft_wit_fn_t fn;
  } fns[] = {{"host#[constructor]counter", counter_new},
             {"host#[method]counter.add", counter_add},
             {"host#[method]counter.get", counter_get},
             {"host#total", counter_get},
             {"host#log", host_log},
             {"host#double-all", double_all},
             {"host#make-point", make_point},
             {"host#fail-if", fail_if}};
  for (size_t i = 0; i < sizeof fns / sizeof *fns; i++)
    if (weft_linker_define_wit(linker, fns[i].name, fns[i].fn, NULL, &err) <
        0)
      goto fail;
  return 0;
fail:
  fprintf(stderr, "setup: %s\n", err.msg);
  return -1;
}

static int teardown(void **state) {
  (void)state;
  weft_linker_free(linker);
  weft_wit_free(wit);
  weft_module_free(module);
  weft_engine_free(engine);
  return 0;
}

static weft_instance_t *fresh(void) {
  weft_error_t err = {0};
  weft__rt_install_handlers();
  weft_instance_t *inst = weft_instance_new(linker, module, NULL, &err);
  if (!inst ||
      weft_instance_invoke(inst, "_initialize", NULL, 0, NULL, 0, &err) < 0)
    fail_msg("%s", err.msg);
  return inst;
}

/* Call `call` in WAVE and expect `want` printed back. */
static void wave(weft_instance_t *inst, const char *call, const char *want) {
  weft_error_t err = {0};
  char *out = NULL;
  if (weft_call_wave(inst, call, &out, &err) < 0)
    fail_msg("%s: %s", call, err.msg);
  if (strcmp(out, want))
    fail_msg("%s: got %s, expected %s", call, out, want);
  free(out);
}

/* ---- tests -------------------------------------------------------------- */

static void test_scalars(void **state) {
  (void)state;
  weft_instance_t *inst = fresh();
  wave(inst, "echo-bool(true)", "true");
  wave(inst, "echo-bool(false)", "false");
  wave(inst, "echo-s8(-128)", "-128");
  wave(inst, "echo-u8(255)", "255");
  wave(inst, "echo-s16(-32768)", "-32768");
  wave(inst, "echo-u16(65535)", "65535");
  wave(inst, "echo-s32(-2147483648)", "-2147483648");
  wave(inst, "echo-u32(4294967295)", "4294967295");
  wave(inst, "echo-s64(-9223372036854775808)", "-9223372036854775808");
  wave(inst, "echo-u64(18446744073709551615)", "18446744073709551615");
  wave(inst, "echo-f32(1.5)", "1.5");
  wave(inst, "echo-f32(-inf)", "-inf");
  wave(inst, "echo-f64(0.1)", "0.1");
  wave(inst, "echo-f64(nan)", "nan");
  wave(inst, "echo-char('x')", "'x'");
  wave(inst, "echo-char('\\u{1f600}')", "'\xf0\x9f\x98\x80'");
  weft_instance_free(inst);
}

static void test_compounds(void **state) {
  (void)state;
  weft_instance_t *inst = fresh();
  wave(inst, "echo-string(\"h\xc3\xa9llo\")", "\"h\xc3\xa9llo\"");
  wave(inst, "echo-string(\"\")", "\"\"");
  wave(inst, "echo-bytes([1, 2, 255])", "[1, 2, 255]");
  wave(inst, "echo-bytes([])", "[]");
  wave(inst, "echo-list([1, 2, 3])", "[1, 2, 3]");
  wave(inst, "echo-strings([\"a\", \"\", \"ccc\"])", "[\"a\", \"\", \"ccc\"]");
  wave(inst, "echo-point({x: -1, y: 2, label: \"p\"})",
       "{x: -1, y: 2, label: \"p\"}");
  wave(inst, "echo-shape(circle(2.5))", "circle(2.5)");
  wave(inst, "echo-shape(rect({x: 1, y: 2, label: \"r\"}))",
       "rect({x: 1, y: 2, label: \"r\"})");
  wave(inst, "echo-shape(empty)", "empty");
  wave(inst, "echo-color(blue)", "blue");
  wave(inst, "echo-perms({read, exec})", "{read, exec}");
  wave(inst, "echo-perms({})", "{}");
  wave(inst, "echo-option(some(\"x\"))", "some(\"x\")");
  wave(inst, "echo-option(none)", "none");
  wave(inst, "echo-result(ok(7))", "ok(7)");
  wave(inst, "echo-result(err(\"bad\"))", "err(\"bad\")");
  wave(inst, "echo-tuple((1, \"two\", 3.5))", "(1, \"two\", 3.5)");
  const char *every =
      "{b: true, a-s8: -1, a-u8: 2, a-s16: -3, a-u16: 4, a-s32: -5, "
      "a-u32: 6, a-s64: -7, a-u64: 8, a-f32: 0.5, a-f64: -0.25, c: 'z', "
      "s: \"str\", bytes: [9, 10], words: [\"w\"], pair: (11, \"p\"), "
      "maybe: some({x: 1, y: 2, label: \"m\"}), res: err(\"e\"), "
      "shape: circle(1), color: green, perms: {write}, "
      "nested: [[{x: 3, y: 4, label: \"n\"}], []]}";
  char call[1024];
  snprintf(call, sizeof call, "echo-everything(%s)", every);
  wave(inst, call, every);
  wave(inst, "sum-many(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, "
             "16, 10000000000)",
       "10000000136");
  wave(inst, "hello()", "\"hello from echo\"");
  wave(inst, "add(2, 3)", "5");
  wave(inst, "nothing()", "");
  weft_instance_free(inst);
}

static void test_typed(void **state) {
  (void)state;
  weft_instance_t *inst = fresh();
  weft_error_t err = {0};
  static uint8_t big[100000];
  for (size_t i = 0; i < sizeof big; i++)
    big[i] = (uint8_t)(i * 7);
  weft_val_t arg = {.kind = WEFT_VAL_LIST}, res;
  arg.of.bytes.ptr = big;
  arg.of.bytes.len = sizeof big;
  for (int round = 0; round < 50; round++) {
    assert_int_equal(weft_call(inst, "echoes#echo-bytes", &arg, 1, &res, 1,
                               &err), 0);
    assert_int_equal(res.kind, WEFT_VAL_LIST);
    assert_int_equal(res.of.bytes.len, sizeof big);
    assert_memory_equal(res.of.bytes.ptr, big, sizeof big);
  }
  /* Post-return frees: 50 rounds of 100 kB in and out fit in a few pages. */
  size_t size;
  weft_instance_memory(inst, NULL, &size);
  assert_true(size < 2 * 1024 * 1024);
  weft_instance_free(inst);
}

static void test_imports(void **state) {
  (void)state;
  weft_instance_t *inst = fresh();
  wave(inst, "greet(\"ann\")", "\"hello, ann\"");
  assert_string_equal(last_log, "ann");
  wave(inst, "doubled([1, 2, 3])", "[2, 4, 6]");
  wave(inst, "point-of(5, -6)", "{x: 5, y: -6, label: \"from host\"}");
  wave(inst, "try-host(false)", "ok(\"fine\")");
  wave(inst, "try-host(true)", "err(\"failed\")");
  weft_instance_free(inst);
}

static void test_host_resources(void **state) {
  (void)state;
  weft_instance_t *inst = fresh();
  weft_error_t err = {0};
  weft_val_t args[2] = {{.kind = WEFT_VAL_U32, .of.u32 = 5},
                        {.kind = WEFT_VAL_U32, .of.u32 = 3}},
             r;
  counters_freed = 0;
  /* The guest makes a counter and gives it to the host. */
  assert_int_equal(weft_call(inst, "new-counter", args, 2, &r, 1, &err), 0);
  assert_int_equal(r.kind, WEFT_VAL_OWN);
  weft_resource_t *c = r.of.res;
  assert_ptr_equal(weft_resource_type(c), counter_type);
  assert_int_equal(*(uint32_t *)weft_resource_rep(c), 8);
  /* The host lends it, several times. */
  weft_val_t b = {.kind = WEFT_VAL_BORROW, .of.res = c};
  for (int i = 0; i < 3; i++) {
    assert_int_equal(weft_call(inst, "read-counter", &b, 1, &r, 1, &err), 0);
    assert_int_equal(r.of.u32, 8);
  }
  assert_int_equal(counters_freed, 0);
  /* The host gives it away; the guest drops it: the destructor runs. */
  weft_val_t o = {.kind = WEFT_VAL_OWN, .of.res = c};
  assert_int_equal(weft_call(inst, "consume-counter", &o, 1, &r, 1, &err), 0);
  assert_int_equal(r.of.u32, 8);
  assert_int_equal(counters_freed, 1);
  /* A counter the host made and never gave away is the host's to drop. */
  uint32_t *v = malloc(sizeof *v);
  *v = 1;
  weft_resource_t *mine = weft_resource_new(counter_type, v);
  b.of.res = mine;
  assert_int_equal(weft_call(inst, "read-counter", &b, 1, &r, 1, &err), 0);
  assert_int_equal(r.of.u32, 1);
  weft_resource_drop(mine);
  assert_int_equal(counters_freed, 2);
  weft_instance_free(inst);
}

static void test_guest_resources(void **state) {
  (void)state;
  weft_instance_t *inst = fresh();
  weft_error_t err = {0};
  static const uint8_t abc[] = "abc", de[] = "de";
  weft_val_t init = {.kind = WEFT_VAL_LIST}, r, a, b2;
  init.of.bytes.ptr = abc;
  init.of.bytes.len = 3;
  assert_int_equal(weft_call(inst, "store#[constructor]blob", &init, 1, &a, 1,
                             &err), 0);
  assert_int_equal(a.kind, WEFT_VAL_OWN);
  assert_null(weft_resource_rep(a.of.res)); /* a guest's, not the host's */
  init.of.bytes.ptr = de;
  init.of.bytes.len = 2;
  assert_int_equal(weft_call(inst, "store#[constructor]blob", &init, 1, &b2,
                             1, &err), 0);
  weft_val_t ba = {.kind = WEFT_VAL_BORROW, .of.res = a.of.res};
  weft_val_t margs[2] = {ba, {.kind = WEFT_VAL_BORROW, .of.res = b2.of.res}};
  weft_val_t app[2] = {ba, init};
  assert_int_equal(weft_call(inst, "store#[method]blob.append", app, 2, NULL,
                             0, &err), 0);
  assert_int_equal(weft_call(inst, "store#[method]blob.size", &ba, 1, &r, 1,
                             &err), 0);
  assert_int_equal(r.of.u32, 5);
  weft_val_t m;
  assert_int_equal(weft_call(inst, "store#[static]blob.merge", margs, 2, &m, 1,
                             &err), 0);
  weft_val_t bm = {.kind = WEFT_VAL_BORROW, .of.res = m.of.res};
  assert_int_equal(weft_call(inst, "store#[method]blob.read", &bm, 1, &r, 1,
                             &err), 0);
  assert_int_equal(r.of.bytes.len, 7);
  assert_memory_equal(r.of.bytes.ptr, "abcdede", 7);
  /* Dropping them runs the guest's destructor. */
  weft_resource_drop(a.of.res);
  weft_resource_drop(b2.of.res);
  assert_int_equal(weft_call(inst, "dropped", NULL, 0, &r, 1, &err), 0);
  assert_int_equal(r.of.u32, 2);
  weft_resource_drop(m.of.res);
  assert_int_equal(weft_call(inst, "dropped", NULL, 0, &r, 1, &err), 0);
  assert_int_equal(r.of.u32, 3);
  /* A guest resource the host still holds when the instance goes is
   * inert: dropping it later is safe. */
  assert_int_equal(weft_call(inst, "store#[constructor]blob", &init, 1, &a, 1,
                             &err), 0);
  weft_instance_free(inst);
  weft_resource_drop(a.of.res);
}

static void test_realloc_fails(void **state) {
  (void)state;
  weft_instance_t *inst = fresh();
  weft_error_t err = {0};
  char *out = NULL;
  wave(inst, "fail-alloc(true)", "");
  assert_int_equal(weft_call_wave(inst, "echo-string(\"x\")", &out, &err),
                   WEFT_ETRAP);
  assert_non_null(strstr(err.msg, "cabi_realloc"));
  assert_int_equal(weft_instance_reset(inst, &err), 0);
  assert_int_equal(
      weft_instance_invoke(inst, "_initialize", NULL, 0, NULL, 0, &err), 0);
  wave(inst, "echo-string(\"x\")", "\"x\"");
  weft_instance_free(inst);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_scalars),
      cmocka_unit_test(test_compounds),
      cmocka_unit_test(test_typed),
      cmocka_unit_test(test_imports),
      cmocka_unit_test(test_host_resources),
      cmocka_unit_test(test_guest_resources),
      cmocka_unit_test(test_realloc_fails),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

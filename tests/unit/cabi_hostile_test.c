/* cabi_hostile_test.c - a guest that breaks the canonical ABI in every way
 * (tests/guests/hostile_cabi.wat, world tests/guests/wit/hostile.wit):
 * each break is a trap with a message saying what was wrong, the host is
 * unharmed, and the instance works again after a reset. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cabi/cabi_int.h"
#include "runtime/runtime.h"
#include "weft.h"

static weft_engine_t *engine;
static weft_module_t *module;
static weft_wit_t *wit;
static weft_linker_t *linker;
static weft_resource_type_t *counter_type;
static int counters_freed;

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

static void counter_get(weft_caller_t *c, void *env, const weft_val_t *args,
                        size_t nargs, weft_val_t *res, size_t nres) {
  (void)c, (void)env, (void)nargs, (void)nres;
  res[0].kind = WEFT_VAL_U32;
  res[0].of.u32 = *(uint32_t *)weft_resource_rep(args[0].of.res);
}

static void echo(weft_caller_t *c, void *env, const weft_val_t *args,
                 size_t nargs, weft_val_t *res, size_t nres) {
  (void)c, (void)env, (void)nargs, (void)nres;
  res[0] = args[0];
}

static int setup(void **state) {
  (void)state;
  const char *b = getenv("BUILD");
  char path[4096], cache[4096];
  snprintf(path, sizeof path, "%s/guests/hostile_cabi.wasm", b ? b : "build");
  snprintf(cache, sizeof cache, "%s/test-cache", b ? b : "build");
  weft_error_t err = {0};
  weft_engine_config_t cfg = {.cache_dir = cache, .opt_level = -1};
  engine = weft_engine_new(&cfg, &err);
  module = engine ? weft_module_load_file(engine, path, &err) : NULL;
  wit = weft_wit_load("tests/guests/wit/hostile.wit", &err);
  linker = weft_linker_new(engine);
  if (!module || !wit || weft_linker_use_world(linker, wit, NULL, &err) < 0 ||
      !(counter_type = weft_linker_define_resource(linker, "host#counter",
                                                   counter_dtor, NULL,
                                                   &err)) ||
      weft_linker_define_wit(linker, "host#[constructor]counter", counter_new,
                             NULL, &err) < 0 ||
      weft_linker_define_wit(linker, "host#[method]counter.get", counter_get,
                             NULL, &err) < 0 ||
      weft_linker_define_wit(linker, "host#echo", echo, NULL, &err) < 0) {
    fprintf(stderr, "setup: %s\n", err.msg);
    return -1;
  }
  return 0;
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
  if (!inst)
    fprintf(stderr, "%s\n", err.msg);
  assert_non_null(inst);
  return inst;
}

/* Call `name` and expect a trap of kind `kind` whose message has `text`;
 * then check the instance still works after a reset. */
static void expect(weft_instance_t *inst, const char *name,
                   const weft_val_t *args, size_t n, int kind,
                   const char *text) {
  weft_error_t err = {0};
  weft_val_t r[1];
  int rc = weft_call(inst, name, args, n, r, 1, &err);
  if (rc != WEFT_ETRAP || err.detail != kind || !strstr(err.msg, text))
    fail_msg("%s: rc %d detail %d '%s', expected a trap with '%s'", name, rc,
             err.detail, err.msg, text);
  assert_int_equal(weft_instance_reset(inst, &err), 0);
  rc = weft_call(inst, "post", NULL, 0, r, 1, &err);
  assert_int_equal(rc, 0);
  assert_int_equal(r[0].of.str.len, 4);
}

static void test_results(void **state) {
  (void)state;
  weft_instance_t *inst = fresh();
  expect(inst, "bad-string", NULL, 0, WEFT_TRAP_ABI,
         "string at 0xfff0, 100 bytes, is outside the 65536 bytes of memory "
         "in the results of 'bad-string'");
  expect(inst, "bad-utf8", NULL, 0, WEFT_TRAP_ABI,
         "string at 0x456 is not valid UTF-8 (byte 2)");
  expect(inst, "bad-utf8-tail", NULL, 0, WEFT_TRAP_ABI,
         "string at 0x460 is not valid UTF-8 (byte 9)");
  expect(inst, "bad-align", NULL, 0, WEFT_TRAP_ABI,
         "list pointer 0x44d is not 4-byte aligned");
  expect(inst, "bad-disc", NULL, 0, WEFT_TRAP_ABI,
         "discriminant 7 of option 'option' is not one of its 2 cases");
  expect(inst, "bad-char", NULL, 0, WEFT_TRAP_ABI,
         "char 0xd800 is not a Unicode scalar value");
  expect(inst, "huge-list", NULL, 0, WEFT_TRAP_ABI,
         "list at 0x400, 4294967304 bytes, is outside");
  expect(inst, "bad-retptr", NULL, 0, WEFT_TRAP_ABI,
         "results at 0xfffffffc, 8 bytes, is outside");
  weft_instance_free(inst);
}

static void test_post_return(void **state) {
  (void)state;
  weft_instance_t *inst = fresh();
  weft_error_t err = {0};
  weft_val_t r[1];
  for (int i = 0; i < 3; i++) {
    assert_int_equal(weft_call(inst, "post", NULL, 0, r, 1, &err), 0);
    assert_string_equal(r[0].of.str.ptr, "post");
  }
  assert_int_equal(weft_call(inst, "post-count", NULL, 0, r, 1, &err), 0);
  assert_int_equal(r[0].kind, WEFT_VAL_U32);
  assert_int_equal(r[0].of.u32, 3);
  weft_instance_free(inst);
}

static void test_cabi_realloc(void **state) {
  (void)state;
  weft_instance_t *inst = fresh();
  weft_error_t err = {0};
  weft_val_t mode = {.kind = WEFT_VAL_U32}, s = {.kind = WEFT_VAL_LIST},
             items[5], r[1];
  for (int i = 0; i < 5; i++)
    items[i] = (weft_val_t){.kind = WEFT_VAL_U32, .of.u32 = (uint32_t)i};
  s.of.list.ptr = items;
  s.of.list.len = 5;
  assert_int_equal(weft_call(inst, "take", &s, 1, r, 1, &err), 0);
  assert_int_equal(r[0].of.u32, 5);
  const char *want[] = {NULL, "cabi_realloc result at 0xfffffff0, 20 bytes",
                        "cabi_realloc result pointer 0x1001 is not",
                        "unreachable"};
  for (uint32_t m = 1; m <= 3; m++) {
    mode.of.u32 = m;
    assert_int_equal(weft_call(inst, "set-mode", &mode, 1, NULL, 0, &err), 0);
    int rc = weft_call(inst, "take", &s, 1, r, 1, &err);
    assert_int_equal(rc, WEFT_ETRAP);
    if (!strstr(err.msg, want[m]))
      fail_msg("mode %u: '%s' lacks '%s'", m, err.msg, want[m]);
    assert_int_equal(weft_instance_reset(inst, &err), 0);
  }
  assert_int_equal(weft_call(inst, "take", &s, 1, r, 1, &err), 0);
  weft_instance_free(inst);
}

static void test_handles(void **state) {
  (void)state;
  weft_instance_t *inst = fresh();
  weft_error_t err = {0};
  uint32_t *seven = malloc(sizeof *seven);
  *seven = 7;
  weft_val_t c = {.kind = WEFT_VAL_BORROW}, r[1];
  c.of.res = weft_resource_new(counter_type, seven);
  counters_freed = 0;
  /* A borrow dropped in time is fine, many times over. */
  for (int i = 0; i < 3; i++) {
    assert_int_equal(weft_call(inst, "drop-borrow", &c, 1, r, 1, &err), 0);
    assert_int_equal(r[0].of.u32, 7);
  }
  assert_int_equal(counters_freed, 0);
  int rc = weft_call(inst, "keep-borrow", &c, 1, r, 1, &err);
  assert_int_equal(rc, WEFT_ETRAP);
  assert_non_null(strstr(err.msg, "1 borrowed handle was still held at the "
                                  "end"));
  /* The host still owns its counter; the guest's loan is gone. */
  assert_int_equal(weft_call(inst, "drop-borrow", &c, 1, r, 1, &err), 0);
  rc = weft_call(inst, "give-borrowed", &c, 1, r, 1, &err);
  assert_int_equal(rc, WEFT_ETRAP);
  assert_non_null(strstr(err.msg, "is borrowed and cannot be given away"));
  assert_int_equal(counters_freed, 0);
  weft_resource_drop(c.of.res);
  assert_int_equal(counters_freed, 1);
  weft_instance_reset(inst, &err);
  expect(inst, "drop-unknown", NULL, 0, WEFT_TRAP_ABI,
         "unknown handle 99 of 'weft:hostile/host@0.1.0#counter'");
  expect(inst, "forge-own", NULL, 0, WEFT_TRAP_ABI,
         "unknown handle 42 of resource 'counter'");
  weft_instance_free(inst);
}

/* Host resources a guest still owns are destroyed with its instance, or
 * when it is reset. */
static void test_owned_at_reset(void **state) {
  (void)state;
  weft_instance_t *inst = fresh();
  weft_error_t err = {0};
  counters_freed = 0;
  for (int i = 0; i < 2; i++) {
    uint32_t *v = malloc(sizeof *v);
    *v = (uint32_t)i;
    weft_val_t o = {.kind = WEFT_VAL_OWN};
    o.of.res = weft_resource_new(counter_type, v);
    assert_int_equal(weft_call(inst, "keep", &o, 1, NULL, 0, &err), 0);
    assert_int_equal(counters_freed, i);
    if (i == 0) {
      assert_int_equal(weft_instance_reset(inst, &err), 0);
      assert_int_equal(counters_freed, 1);
    }
  }
  weft_instance_free(inst);
  assert_int_equal(counters_freed, 2);
}

static void test_host_calls(void **state) {
  (void)state;
  weft_instance_t *inst = fresh();
  expect(inst, "host-bad-ptr", NULL, 0, WEFT_TRAP_ABI,
         "string at 0xfffffff0, 64 bytes, is outside the 65536 bytes of "
         "memory in the arguments of 'weft:hostile/host@0.1.0#echo'");
  expect(inst, "host-bad-utf8", NULL, 0, WEFT_TRAP_ABI,
         "not valid UTF-8 (byte 2) in the arguments of");
  expect(inst, "host-bad-utf8-tail", NULL, 0, WEFT_TRAP_ABI,
         "not valid UTF-8 (byte 9) in the arguments of");
  expect(inst, "host-bad-retptr", NULL, 0, WEFT_TRAP_ABI,
         "return area pointer 0xfffffffe is not 4-byte aligned");
  weft_instance_free(inst);
}

/* cabi_utf8_check reads ASCII 8 bytes at a time, the last word
 * overlapping: it must agree with the byte-wise weft__utf8_check for every
 * length and every position of a non-ASCII byte, valid or not. */
static void test_utf8_words(void **state) {
  (void)state;
  static const uint8_t odd[][3] = {
      {0xff, 0, 0}, {0xc3, 0xa9, 0}, {0xc3, 0, 0}, {0xe2, 0x82, 0xac}};
  uint8_t s[48];
  for (size_t len = 0; len <= 40; len++)
    for (size_t at = 0; at <= len; at++)
      for (size_t k = 0; k < sizeof odd / sizeof odd[0]; k++) {
        memset(s, 'a', sizeof s);
        for (size_t j = 0; j < 3 && odd[k][j] && at + j < len; j++)
          s[at + j] = odd[k][j];
        assert_int_equal(cabi_utf8_check(s, len), weft__utf8_check(s, len));
      }
}

static void test_bad_args(void **state) {
  (void)state;
  weft_instance_t *inst = fresh();
  weft_error_t err = {0};
  weft_val_t v = {.kind = WEFT_VAL_U64}, r[1];
  assert_int_equal(weft_call(inst, "take", &v, 1, r, 1, &err),
                   WEFT_ESIGNATURE);
  assert_non_null(strstr(err.msg, "expected list, got u64 in the arguments "
                                  "of 'take'"));
  weft_val_t item = {.kind = WEFT_VAL_S32};
  v.kind = WEFT_VAL_LIST;
  v.of.list.ptr = &item;
  v.of.list.len = 1;
  assert_int_equal(weft_call(inst, "take", &v, 1, r, 1, &err),
                   WEFT_ESIGNATURE);
  assert_non_null(strstr(err.msg, "expected u32, got s32"));
  assert_int_equal(weft_call(inst, "take", NULL, 0, r, 1, &err),
                   WEFT_ESIGNATURE);
  assert_int_equal(weft_call(inst, "no-such", NULL, 0, r, 1, &err),
                   WEFT_ENOTFOUND);
  assert_non_null(strstr(err.msg, "exports no function 'no-such'"));
  weft_instance_free(inst);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_results),   cmocka_unit_test(test_post_return),
      cmocka_unit_test(test_cabi_realloc),   cmocka_unit_test(test_handles),
      cmocka_unit_test(test_host_calls), cmocka_unit_test(test_bad_args),
      cmocka_unit_test(test_owned_at_reset), cmocka_unit_test(test_utf8_words),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

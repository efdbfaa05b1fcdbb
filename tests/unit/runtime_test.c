/* runtime_test.c - traps, deadlines (per call and per event), stack
 * overflow, memory caps, reuse after a trap, reset, and several threads
 * trapping at once. Uses the module built from tests/guests/traps.wat.
 *
 * Nested calls (a host function calling back into a guest, as the
 * canonical ABI's cabi_realloc from a host function does) use the module
 * embedded below:
 *
 *   (module
 *     (import "host" "call" (func $call (param i32) (result i32)))
 *     (memory (export "memory") 1 8)
 *     (func (export "outer") (param i32) (result i32)
 *       (i32.add (call $call (local.get 0)) (i32.const 1000)))
 *     (func (export "unreachable") unreachable)
 *     (func $recurse (export "recurse") (param i32) (result i32)
 *       (i32.add (call $recurse (i32.add (local.get 0) (i32.const 1)))
 *                (i32.const 1)))
 *     (func (export "load") (param i32) (result i32)
 *       (i32.load (local.get 0)))
 *     (func (export "grow") (param i32) (result i32)
 *       (memory.grow (local.get 0))))
 *
 * host.call(mode) does what nest_host says. */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/engine.h"
#include "runtime/runtime.h"
#include "util/util.h"
#include "weft.h"

static weft_engine_t *engine;
static weft_module_t *module;
/* The module for nested calls, its linker, and what host.call saw. */
static struct {
  weft_module_t *module;
  weft_linker_t *linker;
  weft_instance_t *other;
  int rc, detail, grew;
  char msg[256];
} nest;

static weft_core_val_t i32(int32_t v) {
  weft_core_val_t x = {.type = WEFT_I32};
  x.of.i32 = v;
  return x;
}

static int setup(void **state) {
  (void)state;
  const char *b = getenv("BUILD");
  char path[4096], cache[4096];
  snprintf(path, sizeof path, "%s/guests/traps.wasm", b ? b : "build");
  snprintf(cache, sizeof cache, "%s/test-cache", b ? b : "build");
  weft_error_t err = {0};
  weft_engine_config_t cfg = {.cache_dir = cache, .opt_level = -1};
  engine = weft_engine_new(&cfg, &err);
  if (!engine)
    return -1;
  module = weft_module_load_file(engine, path, &err);
  if (!module)
    fprintf(stderr, "%s\n", err.msg);
  return module ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  weft_linker_free(nest.linker);
  weft_module_free(nest.module);
  weft_module_free(module);
  weft_engine_free(engine);
  return 0;
}

/* cmocka installs its own SIGSEGV handler around each test; put Weft's
 * back (an embedder that installs handlers after Weft must do the same). */
static weft_instance_t *fresh(const weft_limits_t *limits) {
  weft_error_t err = {0};
  weft__rt_install_handlers();
  weft_instance_t *inst = weft_instance_new(NULL, module, limits, &err);
  if (!inst)
    fprintf(stderr, "%s\n", err.msg);
  assert_non_null(inst);
  return inst;
}

/* Call `name` and expect trap `kind`, with `text` in the message. */
static void expect_trap(weft_instance_t *inst, const char *name,
                        const weft_core_val_t *args, size_t n, int kind,
                        const char *text) {
  weft_error_t err = {0};
  weft_core_val_t r[1];
  int rc = weft_instance_invoke(inst, name, args, n, r, 1, &err);
  assert_int_equal(rc, WEFT_ETRAP);
  assert_int_equal(err.code, WEFT_ETRAP);
  assert_int_equal(err.detail, kind);
  if (!strstr(err.msg, text))
    fail_msg("message '%s' lacks '%s'", err.msg, text);
}

static void test_call(void **state) {
  (void)state;
  weft_instance_t *inst = fresh(NULL);
  weft_core_val_t a[2] = {i32(40), i32(2)}, r[1];
  weft_error_t err = {0};
  assert_int_equal(weft_instance_invoke(inst, "add", a, 2, r, 1, &err), 0);
  assert_int_equal(r[0].type, WEFT_I32);
  assert_int_equal(r[0].of.i32, 42);
  assert_string_equal(weft_instance_func_sig(inst, "add"), "ii:i");
  /* wrong argument count and type are errors, not traps */
  assert_int_equal(weft_instance_invoke(inst, "add", a, 1, r, 1, &err),
                   WEFT_ESIGNATURE);
  a[1].type = WEFT_I64;
  assert_int_equal(weft_instance_invoke(inst, "add", a, 2, r, 1, &err),
                   WEFT_ESIGNATURE);
  assert_int_equal(weft_instance_invoke(inst, "nope", a, 0, r, 1, &err),
                   WEFT_ENOTFOUND);
  weft_instance_free(inst);
}

static void test_every_trap_kind(void **state) {
  (void)state;
  weft_instance_t *inst = fresh(NULL);
  weft_core_val_t a[2] = {i32(1), i32(0)};
  expect_trap(inst, "unreachable", NULL, 0, WEFT_TRAP_UNREACHABLE,
              "unreachable executed in function 'unreachable'");
  expect_trap(inst, "div", a, 2, WEFT_TRAP_DIV_BY_ZERO,
              "integer divide by zero");
  expect_trap(inst, "overflow", NULL, 0, WEFT_TRAP_INT_OVERFLOW,
              "integer overflow");
  expect_trap(inst, "convert", NULL, 0, WEFT_TRAP_INVALID_CONVERSION,
              "invalid conversion to integer");
  weft_core_val_t far = i32(70000);
  expect_trap(inst, "load", &far, 1, WEFT_TRAP_OOB,
              "out of bounds memory access");
  expect_trap(inst, "store", &far, 1, WEFT_TRAP_OOB,
              "out of bounds memory access");
  weft_core_val_t huge = i32(-4);
  expect_trap(inst, "load", &huge, 1, WEFT_TRAP_OOB, "out of bounds");
  expect_trap(inst, "indirect", NULL, 0, WEFT_TRAP_INDIRECT_CALL,
              "indirect call");
  weft_core_val_t zero = i32(0);
  expect_trap(inst, "recurse", &zero, 1, WEFT_TRAP_STACK_EXHAUSTED,
              "call stack exhausted");
  /* The instance is still usable after each of those. */
  weft_core_val_t b[2] = {i32(2), i32(3)}, r[1];
  weft_error_t err = {0};
  assert_int_equal(weft_instance_invoke(inst, "add", b, 2, r, 1, &err), 0);
  assert_int_equal(r[0].of.i32, 5);
  weft_instance_free(inst);
}

static void test_stack_overflow_repeated(void **state) {
  (void)state;
  weft_instance_t *inst = fresh(NULL);
  weft_core_val_t zero = i32(0);
  for (int i = 0; i < 20; i++)
    expect_trap(inst, "recurse", &zero, 1, WEFT_TRAP_STACK_EXHAUSTED,
                "call stack exhausted");
  weft_instance_free(inst);
}

static void test_deadline(void **state) {
  (void)state;
  weft_limits_t lim = {.deadline_ns = 50 * 1000 * 1000};
  weft_instance_t *inst = fresh(&lim);
  uint64_t t0 = weft__now_ns();
  expect_trap(inst, "spin", NULL, 0, WEFT_TRAP_DEADLINE, "deadline exceeded");
  uint64_t took = weft__now_ns() - t0;
  assert_true(took >= 50 * 1000 * 1000);
  /* A generous bound: the guest must not run on indefinitely. */
  assert_true(took < 5ull * 1000 * 1000 * 1000);
  /* The timer is disarmed: a quick call afterwards is unaffected. */
  weft_core_val_t a[2] = {i32(1), i32(1)}, r[1];
  weft_error_t err = {0};
  assert_int_equal(weft_instance_invoke(inst, "add", a, 2, r, 1, &err), 0);
  weft_instance_free(inst);
}

/* An event's deadline (weft__rt_event_begin) replaces the per-call one for
 * every call made while it is open, counted from when it opened: a call
 * made after quick ones is stopped at it, though its instance allows each
 * call a minute; once the event ends, calls have their own deadline
 * again. */
static void test_event_deadline(void **state) {
  (void)state;
  weft_limits_t lim = {.deadline_ns = 60ull * 1000 * 1000 * 1000};
  weft_instance_t *inst = fresh(&lim);
  weft_core_val_t a[2] = {i32(1), i32(1)}, r[1];
  weft_error_t err = {0};
  uint64_t t0 = weft__now_ns();
  weft__rt_event_t ev;
  weft__rt_event_begin(&ev, t0 + 50 * 1000 * 1000);
  assert_int_equal(weft__rt_event_deadline(), t0 + 50 * 1000 * 1000);
  for (int i = 0; i < 10; i++)
    assert_int_equal(weft_instance_invoke(inst, "add", a, 2, r, 1, &err), 0);
  expect_trap(inst, "spin", NULL, 0, WEFT_TRAP_DEADLINE, "deadline exceeded");
  weft__rt_event_end(&ev);
  uint64_t took = weft__now_ns() - t0;
  assert_true(took >= 50 * 1000 * 1000);
  assert_true(took < 5ull * 1000 * 1000 * 1000); /* not the minute */
  assert_int_equal(weft__rt_event_deadline(), 0);
  /* Past the event's deadline, calls after it run with their own. */
  assert_int_equal(weft_instance_invoke(inst, "add", a, 2, r, 1, &err), 0);
  assert_int_equal(r[0].of.i32, 2);
  weft_instance_free(inst);

  /* An instance without a deadline of its own is held to the event's. */
  inst = fresh(NULL);
  weft__rt_event_begin(&ev, weft__now_ns() + 20 * 1000 * 1000);
  expect_trap(inst, "spin", NULL, 0, WEFT_TRAP_DEADLINE, "deadline exceeded");
  weft__rt_event_end(&ev);
  weft_instance_free(inst);
}

static void test_memory_cap(void **state) {
  (void)state;
  weft_limits_t lim = {.max_memory = 2 * 65536};
  weft_instance_t *inst = fresh(&lim);
  weft_core_val_t one = i32(1), r[1];
  weft_error_t err = {0};
  assert_int_equal(weft_instance_invoke(inst, "grow", &one, 1, r, 1, &err), 0);
  assert_int_equal(r[0].of.i32, 1);
  /* Past the cap (2 pages), below the module's own max (4): refused. */
  assert_int_equal(weft_instance_invoke(inst, "grow", &one, 1, r, 1, &err), 0);
  assert_int_equal(r[0].of.i32, -1);
  weft_instance_free(inst);

  /* A cap below the initial size refuses the instance. */
  lim.max_memory = 0x8000;
  lim.max_memory = 1; /* less than one page */
  inst = weft_instance_new(NULL, module, &lim, &err);
  assert_null(inst);
  assert_int_equal(err.code, WEFT_ETRAP);
  assert_int_equal(err.detail, WEFT_TRAP_MEMORY_LIMIT);
}

static void test_reset(void **state) {
  (void)state;
  weft_instance_t *inst = fresh(NULL);
  weft_core_val_t r[1];
  weft_error_t err = {0};
  assert_int_equal(weft_instance_invoke(inst, "bump", NULL, 0, r, 1, &err), 0);
  assert_int_equal(weft_instance_invoke(inst, "bump", NULL, 0, r, 1, &err), 0);
  assert_int_equal(r[0].of.i32, 2);
  size_t size;
  uint8_t *mem = weft_instance_memory(inst, NULL, &size);
  assert_non_null(mem);
  assert_int_equal(size, 65536);
  mem[100] = 9;
  assert_int_equal(weft_instance_reset(inst, &err), 0);
  mem = weft_instance_memory(inst, NULL, &size);
  assert_int_equal(mem[100], 0);
  assert_int_equal(weft_instance_invoke(inst, "bump", NULL, 0, r, 1, &err), 0);
  assert_int_equal(r[0].of.i32, 1);
  weft_core_val_t g;
  assert_int_equal(weft_instance_global_get(inst, "counter", &g, &err), 0);
  assert_int_equal(g.of.i32, 1);
  weft_instance_free(inst);
}

/* Each thread has its own instance and alternates traps of every kind
 * with correct calls; any cross-talk shows up as a wrong result or a wrong
 * trap kind. */
static void *trap_worker(void *arg) {
  intptr_t id = (intptr_t)arg;
  weft_error_t err = {0};
  weft_limits_t lim = {.deadline_ns = 0};
  weft_instance_t *inst = weft_instance_new(NULL, module, &lim, &err);
  if (!inst)
    return (void *)1;
  intptr_t bad = 0;
  for (int i = 0; i < 300 && !bad; i++) {
    weft_core_val_t a[2] = {i32((int32_t)id), i32(i)}, r[1];
    if (weft_instance_invoke(inst, "add", a, 2, r, 1, &err) != 0 ||
        r[0].of.i32 != id + i)
      bad = 2;
    weft_core_val_t far = i32(1 << 30);
    if (weft_instance_invoke(inst, "load", &far, 1, r, 1, &err) !=
            WEFT_ETRAP ||
        err.detail != WEFT_TRAP_OOB)
      bad = 3;
    a[1] = i32(0);
    if (weft_instance_invoke(inst, "div", a, 2, r, 1, &err) != WEFT_ETRAP ||
        err.detail != WEFT_TRAP_DIV_BY_ZERO)
      bad = 4;
    if (i % 50 == 0) {
      weft_core_val_t zero = i32(0);
      if (weft_instance_invoke(inst, "recurse", &zero, 1, r, 1, &err) !=
              WEFT_ETRAP ||
          err.detail != WEFT_TRAP_STACK_EXHAUSTED)
        bad = 5;
    }
  }
  weft_instance_free(inst);
  return (void *)bad;
}

static void test_threads_trapping_at_once(void **state) {
  (void)state;
  enum { N = 8 };
  pthread_t t[N];
  weft__rt_install_handlers();
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 1 << 20);
  for (intptr_t i = 0; i < N; i++)
    assert_int_equal(pthread_create(&t[i], &attr, trap_worker, (void *)i), 0);
  for (int i = 0; i < N; i++) {
    void *res;
    pthread_join(t[i], &res);
    assert_int_equal((intptr_t)res, 0);
  }
  pthread_attr_destroy(&attr);
}

/* Deadlines on several threads at once only stop their own guests. */
static void *deadline_worker(void *arg) {
  weft_error_t err = {0};
  weft_limits_t lim = {.deadline_ns = (uint64_t)(intptr_t)arg};
  weft_instance_t *inst = weft_instance_new(NULL, module, &lim, &err);
  if (!inst)
    return (void *)1;
  intptr_t bad = 0;
  weft_core_val_t r[1], n = i32(20);
  for (int i = 0; i < 3; i++) {
    if (weft_instance_invoke(inst, "spin", NULL, 0, r, 0, &err) !=
            WEFT_ETRAP ||
        err.detail != WEFT_TRAP_DEADLINE)
      bad = 2;
    if (weft_instance_invoke(inst, "fib", &n, 1, r, 1, &err) != 0 ||
        r[0].of.i32 != 6765)
      bad = 3;
  }
  weft_instance_free(inst);
  return (void *)bad;
}

static void test_threads_deadlines(void **state) {
  (void)state;
  enum { N = 4 };
  pthread_t t[N];
  weft__rt_install_handlers();
  for (intptr_t i = 0; i < N; i++)
    assert_int_equal(pthread_create(&t[i], NULL, deadline_worker,
                                    (void *)(intptr_t)((i + 1) * 20000000)),
                     0);
  for (int i = 0; i < N; i++) {
    void *res;
    pthread_join(t[i], &res);
    assert_int_equal((intptr_t)res, 0);
  }
}

/* ---- nested calls ------------------------------------------------------- */

static const uint8_t nest_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x09, 0x02, 0x60,
    0x01, 0x7f, 0x01, 0x7f, 0x60, 0x00, 0x00, 0x02, 0x0d, 0x01, 0x04, 0x68,
    0x6f, 0x73, 0x74, 0x04, 0x63, 0x61, 0x6c, 0x6c, 0x00, 0x00, 0x03, 0x06,
    0x05, 0x00, 0x01, 0x00, 0x00, 0x00, 0x05, 0x04, 0x01, 0x01, 0x01, 0x08,
    0x07, 0x38, 0x06, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00,
    0x05, 0x6f, 0x75, 0x74, 0x65, 0x72, 0x00, 0x01, 0x0b, 0x75, 0x6e, 0x72,
    0x65, 0x61, 0x63, 0x68, 0x61, 0x62, 0x6c, 0x65, 0x00, 0x02, 0x07, 0x72,
    0x65, 0x63, 0x75, 0x72, 0x73, 0x65, 0x00, 0x03, 0x04, 0x6c, 0x6f, 0x61,
    0x64, 0x00, 0x04, 0x04, 0x67, 0x72, 0x6f, 0x77, 0x00, 0x05, 0x0a, 0x2c,
    0x05, 0x0a, 0x00, 0x20, 0x00, 0x10, 0x00, 0x41, 0xe8, 0x07, 0x6a, 0x0b,
    0x03, 0x00, 0x00, 0x0b, 0x0c, 0x00, 0x20, 0x00, 0x41, 0x01, 0x6a, 0x10,
    0x03, 0x41, 0x01, 0x6a, 0x0b, 0x07, 0x00, 0x20, 0x00, 0x28, 0x02, 0x00,
    0x0b, 0x06, 0x00, 0x20, 0x00, 0x40, 0x00, 0x0b};

enum {
  NEST_UNREACHABLE, /* call the caller's "unreachable" */
  NEST_RECURSE,     /* call the caller's "recurse": stack exhausted */
  NEST_LOAD,        /* call the caller's "load" out of bounds */
  NEST_OTHER_TRAP,  /* call nest.other's "outer"(NEST_TRAP) */
  NEST_TRAP,        /* weft_caller_trap */
  NEST_EXIT,        /* exit with status 3, as WASI proc_exit does */
  NEST_SELF_EXIT,   /* call the caller's "outer"(NEST_EXIT) */
  NEST_NEW_GROW,    /* grow a new instance (no limits of its own) by 3 */
};

/* Modes that call a guest return 7 plus the mode, computed before that
 * call and used after it: what the host function had in registers
 * survives a trap of the call it made. */
static void nest_host(weft_caller_t *caller, void *env,
                      const weft_core_val_t *args, weft_core_val_t *results) {
  (void)env;
  int32_t mode = args[0].of.i32, ret = mode + 7;
  weft_error_t err = {0};
  weft_core_val_t a = i32(1 << 30), r[1];
  weft_instance_t *self = (weft_instance_t *)caller;
  switch (mode) {
  case NEST_UNREACHABLE:
    nest.rc = weft_instance_invoke(self, "unreachable", NULL, 0, r, 0, &err);
    break;
  case NEST_RECURSE:
    a = i32(0);
    nest.rc = weft_instance_invoke(self, "recurse", &a, 1, r, 1, &err);
    break;
  case NEST_LOAD:
    nest.rc = weft_instance_invoke(self, "load", &a, 1, r, 1, &err);
    break;
  case NEST_OTHER_TRAP:
    a = i32(NEST_TRAP);
    nest.rc = weft_instance_invoke(nest.other, "outer", &a, 1, r, 1, &err);
    break;
  case NEST_TRAP:
    weft_caller_trap(caller, "host said no");
    break;
  case NEST_EXIT:
    weft__instance_exit(self, 3);
    break;
  case NEST_SELF_EXIT:
    a = i32(NEST_EXIT);
    nest.rc = weft_instance_invoke(self, "outer", &a, 1, r, 1, &err);
    break;
  case NEST_NEW_GROW: {
    weft_instance_t *inst =
        weft_instance_new(nest.linker, nest.module, NULL, &err);
    a = i32(3);
    nest.rc = inst ? weft_instance_invoke(inst, "grow", &a, 1, r, 1, &err)
                   : -1;
    nest.grew = r[0].of.i32;
    weft_instance_free(inst);
    break;
  }
  }
  nest.detail = err.detail;
  snprintf(nest.msg, sizeof nest.msg, "%s", err.msg);
  results[0] = i32(ret);
}

static weft_instance_t *nest_fresh(const weft_limits_t *limits) {
  weft_error_t err = {0};
  if (!nest.module) {
    nest.module = weft_module_load_bytes(engine, nest_wasm, sizeof nest_wasm,
                                         "nest", &err);
    nest.linker = weft_linker_new(engine);
    if (!nest.module || !nest.linker ||
        weft_linker_define_func(nest.linker, "host", "call", "i:i",
                                nest_host, NULL, &err) < 0)
      fail_msg("%s", err.msg);
  }
  weft__rt_install_handlers();
  weft_instance_t *inst =
      weft_instance_new(nest.linker, nest.module, limits, &err);
  if (!inst)
    fail_msg("%s", err.msg);
  return inst;
}

/* Call "outer"(mode) of `inst`: its result code; its result in *res. */
static int nest_call(weft_instance_t *inst, int32_t mode, int32_t *res,
                     weft_error_t *err) {
  weft_core_val_t a = i32(mode), r[1] = {i32(-1)};
  nest.rc = 99;
  nest.detail = -1;
  nest.grew = 0;
  nest.msg[0] = 0;
  int rc = weft_instance_invoke(inst, "outer", &a, 1, r, 1, err);
  *res = r[0].of.i32;
  return rc;
}

/* A trap in a call made by a host function comes back to that host
 * function as the error it would be at the top, and the outer call goes
 * on: for every kind of unwinding (trap, fault, stack exhaustion, host
 * trap, exit), then again for the outer call itself. */
static void test_nested_calls(void **state) {
  (void)state;
  weft_instance_t *inst = nest_fresh(NULL);
  nest.other = nest_fresh(NULL);
  weft_error_t err = {0};
  int32_t res;
  static const struct {
    int mode, rc, detail;
    const char *msg;
  } cases[] = {
      {NEST_UNREACHABLE, WEFT_ETRAP, WEFT_TRAP_UNREACHABLE,
       "'nest': unreachable executed in function 'unreachable'"},
      {NEST_RECURSE, WEFT_ETRAP, WEFT_TRAP_STACK_EXHAUSTED,
       "'nest': call stack exhausted in function 'recurse'"},
      {NEST_LOAD, WEFT_ETRAP, WEFT_TRAP_OOB,
       "'nest': out of bounds memory access in function 'load'"},
      {NEST_OTHER_TRAP, WEFT_ETRAP, WEFT_TRAP_HOST, "'nest': host said no"},
      {NEST_SELF_EXIT, WEFT_EEXIT, 3, "guest exited with status 3"},
  };
  for (int round = 0; round < 3; round++)
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
      assert_int_equal(nest_call(inst, cases[i].mode, &res, &err), 0);
      assert_int_equal(res, 1000 + 7 + cases[i].mode);
      assert_int_equal(nest.rc, cases[i].rc);
      assert_int_equal(nest.detail, cases[i].detail);
      assert_string_equal(nest.msg, cases[i].msg);
    }
  /* The same unwinding, of the outer call. */
  assert_int_equal(nest_call(inst, NEST_TRAP, &res, &err), WEFT_ETRAP);
  assert_int_equal(err.detail, WEFT_TRAP_HOST);
  assert_string_equal(err.msg, "'nest': host said no");
  assert_int_equal(nest_call(inst, NEST_EXIT, &res, &err), WEFT_EEXIT);
  assert_int_equal(err.detail, 3);
  assert_string_equal(err.msg, "guest exited with status 3");
  assert_int_equal(nest_call(nest.other, NEST_UNREACHABLE, &res, &err), 0);
  assert_int_equal(res, 1007);
  weft_instance_free(nest.other);
  weft_instance_free(inst);
}

/* A call made by a host function keeps the memory cap of the call it is
 * made in, unless its instance has its own: instantiation counts. */
static void test_nested_limits(void **state) {
  (void)state;
  weft_limits_t lim = {.max_memory = 2 * 65536};
  weft_instance_t *inst = nest_fresh(&lim);
  weft_error_t err = {0};
  int32_t res;
  assert_int_equal(nest_call(inst, NEST_NEW_GROW, &res, &err), 0);
  assert_int_equal(nest.rc, 0);
  assert_int_equal(nest.grew, -1); /* 1 + 3 pages: over the outer cap */
  weft_instance_free(inst);
  inst = nest_fresh(NULL);
  assert_int_equal(nest_call(inst, NEST_NEW_GROW, &res, &err), 0);
  assert_int_equal(nest.rc, 0);
  assert_int_equal(nest.grew, 1); /* no cap: grown from 1 page */
  weft_instance_free(inst);
}

/* Unwinding a call leaves no signal blocked that was not: the faults and
 * the deadline signal must still reach the next call. */
static void test_signal_mask_after_traps(void **state) {
  (void)state;
  sigset_t before, after;
  pthread_sigmask(SIG_SETMASK, NULL, &before);
  weft_limits_t lim = {.deadline_ns = 20 * 1000 * 1000};
  weft_instance_t *inst = fresh(&lim);
  weft_core_val_t far = i32(70000), zero = i32(0);
  for (int i = 0; i < 2; i++) {
    expect_trap(inst, "load", &far, 1, WEFT_TRAP_OOB, "out of bounds");
    expect_trap(inst, "recurse", &zero, 1, WEFT_TRAP_STACK_EXHAUSTED,
                "call stack exhausted");
    expect_trap(inst, "spin", NULL, 0, WEFT_TRAP_DEADLINE,
                "deadline exceeded");
    expect_trap(inst, "unreachable", NULL, 0, WEFT_TRAP_UNREACHABLE,
                "unreachable executed");
  }
  pthread_sigmask(SIG_SETMASK, NULL, &after);
  for (int sig = 1; sig < SIGRTMAX; sig++)
    if (sigismember(&after, sig) != sigismember(&before, sig))
      fail_msg("signal %d is %s after the traps", sig,
               sigismember(&after, sig) ? "blocked" : "unblocked");
  weft_instance_free(inst);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_call),
      cmocka_unit_test(test_every_trap_kind),
      cmocka_unit_test(test_stack_overflow_repeated),
      cmocka_unit_test(test_deadline),
      cmocka_unit_test(test_event_deadline),
      cmocka_unit_test(test_memory_cap),
      cmocka_unit_test(test_reset),
      cmocka_unit_test(test_threads_trapping_at_once),
      cmocka_unit_test(test_threads_deadlines),
      cmocka_unit_test(test_nested_calls),
      cmocka_unit_test(test_nested_limits),
      cmocka_unit_test(test_signal_mask_after_traps),
  };
  return cmocka_run_group_tests_name("runtime", tests, setup, teardown);
}

/* deadline_test.c - guest call deadlines (src/runtime/trap.c): nested calls
 * keep the earliest deadline, whichever call set it; a deadline that
 * passes during a host call stops the guest only once the host call has
 * returned; threads that are idle, or never call guests, get no signal
 * (a blocking system call of theirs is not interrupted); a forked child
 * keeps deadlines. Timing bounds are generous: what is checked is that a
 * guest is stopped, not how fast.
 *
 * The guest, embedded below, imports one host function:
 *
 *   (module
 *     (import "host" "call" (func $call (param i32)))
 *     (func (export "spin") (loop $l (br $l)))
 *     (func (export "add") (param i32 i32) (result i32)
 *       (i32.add (local.get 0) (local.get 1)))
 *     (func (export "call") (param i32) (result i32)
 *       (call $call (local.get 0)) (i32.const 1))
 *     (func (export "call_spin") (param i32)
 *       (call $call (local.get 0)) (loop $l (br $l))))
 *
 * host.call(0) sleeps HOST_SLEEP_MS in host code; host.call(1) calls
 * "spin" of the inner instance (its own limits) and records the result;
 * host.call(2) returns at once. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "runtime/runtime.h"
#include "util/util.h"
#include "weft.h"

#define MS (1000ull * 1000)
#define HOST_SLEEP_MS 80
#define LONG_NS (5000 * MS) /* "not stopped indefinitely" */

static const uint8_t nest_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x13, 0x04, 0x60,
    0x01, 0x7f, 0x00, 0x60, 0x00, 0x00, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f,
    0x60, 0x01, 0x7f, 0x01, 0x7f, 0x02, 0x0d, 0x01, 0x04, 0x68, 0x6f, 0x73,
    0x74, 0x04, 0x63, 0x61, 0x6c, 0x6c, 0x00, 0x00, 0x03, 0x05, 0x04, 0x01,
    0x02, 0x03, 0x00, 0x07, 0x21, 0x04, 0x04, 0x73, 0x70, 0x69, 0x6e, 0x00,
    0x01, 0x03, 0x61, 0x64, 0x64, 0x00, 0x02, 0x04, 0x63, 0x61, 0x6c, 0x6c,
    0x00, 0x03, 0x09, 0x63, 0x61, 0x6c, 0x6c, 0x5f, 0x73, 0x70, 0x69, 0x6e,
    0x00, 0x04, 0x0a, 0x26, 0x04, 0x07, 0x00, 0x03, 0x40, 0x0c, 0x00, 0x0b,
    0x0b, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6a, 0x0b, 0x08, 0x00, 0x20,
    0x00, 0x10, 0x00, 0x41, 0x01, 0x0b, 0x0b, 0x00, 0x20, 0x00, 0x10, 0x00,
    0x03, 0x40, 0x0c, 0x00, 0x0b, 0x0b};

static weft_engine_t *engine;
static weft_module_t *module;
static weft_linker_t *linker;

/* What host.call saw, for the test to check. */
typedef struct host_state {
  weft_instance_t *inner; /* called by host.call(1) */
  int inner_rc, inner_trap;
  int slept;              /* host.call(0) finished its sleep */
  int interrupted;        /* its sleep saw EINTR */
} host_state_t;

static host_state_t host;

/* Sleep `ms` in host code, resuming after signals; returns how many
 * times the sleep was interrupted. */
static int sleep_through(unsigned ms) {
  struct timespec left = {.tv_sec = ms / 1000,
                          .tv_nsec = (long)(ms % 1000) * 1000000};
  int n = 0;
  while (nanosleep(&left, &left) < 0 && errno == EINTR)
    n++;
  return n;
}

static void host_call(weft_caller_t *caller, void *env,
                      const weft_core_val_t *args, weft_core_val_t *results) {
  (void)caller, (void)env, (void)results;
  if (args[0].of.i32 == 0) {
    host.interrupted += sleep_through(HOST_SLEEP_MS);
    host.slept = 1;
    return;
  }
  if (args[0].of.i32 != 1)
    return;
  weft_error_t err = {0};
  host.inner_rc =
      weft_instance_invoke(host.inner, "spin", NULL, 0, NULL, 0, &err);
  host.inner_trap = err.detail;
}

static int setup(void **state) {
  (void)state;
  const char *b = getenv("BUILD");
  char cache[4096];
  snprintf(cache, sizeof cache, "%s/test-cache", b ? b : "build");
  weft_error_t err = {0};
  weft_engine_config_t cfg = {.cache_dir = cache, .opt_level = -1};
  if (!(engine = weft_engine_new(&cfg, &err)) ||
      !(module = weft_module_load_bytes(engine, nest_wasm, sizeof nest_wasm,
                                        "nest", &err)) ||
      !(linker = weft_linker_new(engine)) ||
      weft_linker_define_func(linker, "host", "call", "i:", host_call, NULL,
                              &err) < 0) {
    fprintf(stderr, "%s\n", err.msg);
    return -1;
  }
  return 0;
}

static int teardown(void **state) {
  (void)state;
  weft_linker_free(linker);
  weft_module_free(module);
  weft_engine_free(engine);
  return 0;
}

/* An instance with deadline `ns` (0: none). cmocka replaces the signal
 * handlers around each test: put Weft's back. */
static weft_instance_t *fresh(uint64_t ns) {
  weft_error_t err = {0};
  weft_limits_t lim = {.deadline_ns = ns};
  weft__rt_install_handlers();
  weft_instance_t *inst = weft_instance_new(linker, module, &lim, &err);
  if (!inst)
    fprintf(stderr, "%s\n", err.msg);
  assert_non_null(inst);
  return inst;
}

static weft_core_val_t i32(int32_t v) {
  weft_core_val_t x = {.type = WEFT_I32};
  x.of.i32 = v;
  return x;
}

/* Call `name`(arg) of `inst`; its result code, the trap kind in *trap and
 * the time it took in *took. */
static int call(weft_instance_t *inst, const char *name, int32_t arg,
                int *trap, uint64_t *took) {
  weft_error_t err = {0};
  weft_core_val_t a = i32(arg), r[1];
  uint64_t t0 = weft__now_ns();
  int rc = weft_instance_invoke(inst, name, &a, 1, r, 1, &err);
  *took = weft__now_ns() - t0;
  *trap = err.detail;
  return rc;
}

/* The outer call's deadline stops an inner call that has none of its own,
 * and then the outer call itself. */
static void test_outer_deadline_stops_inner(void **state) {
  (void)state;
  weft_instance_t *outer = fresh(30 * MS);
  memset(&host, 0, sizeof host);
  host.inner = fresh(0);
  int trap;
  uint64_t took;
  assert_int_equal(call(outer, "call_spin", 1, &trap, &took), WEFT_ETRAP);
  assert_int_equal(trap, WEFT_TRAP_DEADLINE);
  assert_int_equal(host.inner_rc, WEFT_ETRAP);
  assert_int_equal(host.inner_trap, WEFT_TRAP_DEADLINE);
  assert_true(took >= 30 * MS && took < LONG_NS);
  weft_instance_free(host.inner);
  weft_instance_free(outer);
}

/* An inner call with an earlier deadline is stopped at its own; the outer
 * call goes on and returns normally. */
static void test_inner_earlier_deadline(void **state) {
  (void)state;
  weft_instance_t *outer = fresh(LONG_NS * 4);
  memset(&host, 0, sizeof host);
  host.inner = fresh(30 * MS);
  int trap;
  uint64_t took;
  assert_int_equal(call(outer, "call", 1, &trap, &took), 0);
  assert_int_equal(host.inner_rc, WEFT_ETRAP);
  assert_int_equal(host.inner_trap, WEFT_TRAP_DEADLINE);
  assert_true(took >= 30 * MS && took < LONG_NS);
  /* The outer deadline is in force again, not the inner one: a quick call
   * of the outer instance right after is not stopped. */
  weft_core_val_t a[2] = {i32(2), i32(3)}, r[1];
  weft_error_t err = {0};
  assert_int_equal(weft_instance_invoke(outer, "add", a, 2, r, 1, &err), 0);
  assert_int_equal(r[0].of.i32, 5);
  weft_instance_free(host.inner);
  weft_instance_free(outer);
}

/* An inner call with a later deadline is stopped at the outer one. */
static void test_inner_later_deadline(void **state) {
  (void)state;
  weft_instance_t *outer = fresh(40 * MS);
  memset(&host, 0, sizeof host);
  host.inner = fresh(LONG_NS * 4);
  int trap;
  uint64_t took;
  assert_int_equal(call(outer, "call_spin", 1, &trap, &took), WEFT_ETRAP);
  assert_int_equal(trap, WEFT_TRAP_DEADLINE);
  assert_int_equal(host.inner_trap, WEFT_TRAP_DEADLINE);
  assert_true(took >= 40 * MS && took < LONG_NS);
  weft_instance_free(host.inner);
  weft_instance_free(outer);
}

/* A deadline passing in host code lets the host call finish; the guest is
 * stopped when it runs again. */
static void test_host_code_finishes(void **state) {
  (void)state;
  weft_instance_t *inst = fresh(20 * MS);
  memset(&host, 0, sizeof host);
  int trap;
  uint64_t took;
  assert_int_equal(call(inst, "call_spin", 0, &trap, &took), WEFT_ETRAP);
  assert_int_equal(trap, WEFT_TRAP_DEADLINE);
  assert_true(host.slept);
  assert_true(took >= HOST_SLEEP_MS * MS && took < LONG_NS);
  /* Signalled again about every millisecond once past the deadline, not
   * in a storm (which would keep the sleep from ever ending). */
  if (host.interrupted > 4 * HOST_SLEEP_MS)
    fail_msg("host code interrupted %d times in %u ms", host.interrupted,
             HOST_SLEEP_MS);
  weft_instance_free(inst);
}

/* After calls with deadlines, quick ones and one stopped by its deadline,
 * the thread is not signalled any more: a sleep runs to its end. */
static void test_idle_thread_not_signalled(void **state) {
  (void)state;
  weft_instance_t *inst = fresh(10 * MS);
  weft_core_val_t a[2] = {i32(1), i32(2)}, r[1];
  weft_error_t err = {0};
  for (int i = 0; i < 1000; i++)
    assert_int_equal(weft_instance_invoke(inst, "add", a, 2, r, 1, &err), 0);
  assert_int_equal(sleep_through(100), 0);
  int trap;
  uint64_t took;
  assert_int_equal(call(inst, "call_spin", 2, &trap, &took), WEFT_ETRAP);
  assert_int_equal(trap, WEFT_TRAP_DEADLINE);
  assert_int_equal(sleep_through(100), 0);
  weft_instance_free(inst);
}

typedef struct sleeper {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int started;
  int interrupted;
} sleeper_t;

static void *sleeper_main(void *arg) {
  sleeper_t *s = arg;
  pthread_mutex_lock(&s->mu);
  s->started = 1;
  pthread_cond_signal(&s->cv);
  pthread_mutex_unlock(&s->mu);
  s->interrupted = sleep_through(300);
  return NULL;
}

/* A thread that never calls a guest is not interrupted while another
 * thread's guests are stopped by their deadlines. */
static void test_other_threads_not_signalled(void **state) {
  (void)state;
  sleeper_t s = {.mu = PTHREAD_MUTEX_INITIALIZER,
                 .cv = PTHREAD_COND_INITIALIZER};
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, sleeper_main, &s), 0);
  pthread_mutex_lock(&s.mu);
  while (!s.started)
    pthread_cond_wait(&s.cv, &s.mu);
  pthread_mutex_unlock(&s.mu);
  weft_instance_t *inst = fresh(20 * MS);
  for (int i = 0; i < 5; i++) {
    int trap;
    uint64_t took;
    assert_int_equal(call(inst, "call_spin", 2, &trap, &took), WEFT_ETRAP);
    assert_int_equal(trap, WEFT_TRAP_DEADLINE);
  }
  pthread_join(t, NULL);
  assert_int_equal(s.interrupted, 0);
  weft_instance_free(inst);
}

/* A deadline much shorter than the one in force on other threads is still
 * kept: the watchdog is woken for it. */
static void *long_deadline_main(void *arg) {
  weft_instance_t *inst = arg;
  weft_core_val_t a[2] = {i32(1), i32(2)}, r[1];
  weft_error_t err = {0};
  for (int i = 0; i < 100000; i++)
    if (weft_instance_invoke(inst, "add", a, 2, r, 1, &err) < 0)
      return (void *)1;
  return NULL;
}

static void test_short_after_long(void **state) {
  (void)state;
  weft_instance_t *slow = fresh(3600000 * MS);
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, long_deadline_main, slow), 0);
  weft_instance_t *inst = fresh(15 * MS);
  int trap;
  uint64_t took;
  assert_int_equal(call(inst, "call_spin", 2, &trap, &took), WEFT_ETRAP);
  assert_int_equal(trap, WEFT_TRAP_DEADLINE);
  assert_true(took >= 15 * MS && took < LONG_NS);
  void *res;
  pthread_join(t, &res);
  assert_null(res);
  weft_instance_free(inst);
  weft_instance_free(slow);
}

/* In the child of a fork (while the parent's watchdog runs), deadlines
 * still hold: the child gets a watchdog of its own. */
static void test_after_fork(void **state) {
  (void)state;
  weft_instance_t *inst = fresh(20 * MS);
  int trap;
  uint64_t took;
  assert_int_equal(call(inst, "call_spin", 2, &trap, &took), WEFT_ETRAP);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    int rc = call(inst, "call_spin", 2, &trap, &took);
    _exit(rc == WEFT_ETRAP && trap == WEFT_TRAP_DEADLINE ? 0 : 1);
  }
  int status = -1;
  for (int i = 0; i < 1000 && waitpid(pid, &status, WNOHANG) == 0; i++)
    usleep(10000); /* at most 10 s */
  if (waitpid(pid, &status, WNOHANG) == 0) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    fail_msg("the child's guest was not stopped");
  }
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
  weft_instance_free(inst);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_outer_deadline_stops_inner),
      cmocka_unit_test(test_inner_earlier_deadline),
      cmocka_unit_test(test_inner_later_deadline),
      cmocka_unit_test(test_host_code_finishes),
      cmocka_unit_test(test_idle_thread_not_signalled),
      cmocka_unit_test(test_other_threads_not_signalled),
      cmocka_unit_test(test_short_after_long),
      cmocka_unit_test(test_after_fork),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

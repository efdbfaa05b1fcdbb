/* timer_test.c - the timer trigger (src/trigger/timer.c) with real
 * spin-timer guests (tests/guests/timer_*.c) behind real pools: timers
 * fire again and again, two timers run side by side, stop is prompt and
 * nothing fires after it, a guest that traps is logged and keeps being
 * called. Calls are counted by the lines the guests print on stdout (a
 * temporary file); waits have generous upper bounds and no test asserts
 * on speed. */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "runtime/runtime.h"
#include "testlib.h"
#include "trigger/timer.h"
#include "util/util.h"

#define MS 1000000ull

static weft_engine_t *engine;
static weft_wit_t *wit;

/* A component under test (testlib.h), failing the test if it cannot be
 * opened. */
static void open_guest(comp_t *c, const char *guest) {
  if (comp_open(c, engine, wit, "spin-timer", guest) < 0) {
    comp_close(c);
    fail_msg("cannot open %s", guest);
  }
}

/* Lines the component has printed so far. */
static size_t lines(const comp_t *c) {
  char *out = comp_output(c);
  size_t n = 0;
  for (const char *p = out; (p = strchr(p, '\n')); p++)
    n++;
  free(out);
  return n;
}

/* Whether `c` printed at least `n` lines within the wait limit. Tests
 * check it after stopping the timer, so that a failure never leaves the
 * timer running on the test's stack. */
static bool wait_lines(const comp_t *c, size_t n) {
  uint64_t limit = weft__now_ns() + WAIT_LIMIT_NS;
  while (lines(c) < n) {
    if (weft__now_ns() > limit) {
      fprintf(stderr, "%zu calls seen, waited for %zu\n", lines(c), n);
      return false;
    }
    sleep_ms(5);
  }
  return true;
}

/* ---- tests -------------------------------------------------------------- */

static int setup(void **state) {
  (void)state;
  weft_error_t err = {0};
  engine = test_engine_new(&err);
  wit = engine ? weft_wit_load("wit/spin-timer", &err) : NULL;
  if (!wit) {
    fprintf(stderr, "setup: %s\n", err.msg);
    return -1;
  }
  return 0;
}

static int teardown(void **state) {
  (void)state;
  weft_wit_free(wit);
  weft_engine_free(engine);
  return 0;
}

static void test_fires_repeatedly(void **state) {
  (void)state;
  weft__rt_install_handlers();
  comp_t c;
  open_guest(&c, "timer_count");
  weft__timer_target_t t = {.pool = c.pool, .component_id = "counter",
                            .interval_ns = 20 * MS};
  weft__timer_t *timer = NULL;
  weft_error_t err = {0};
  assert_int_equal(weft__timer_start(&t, 1, &timer, &err), 0);
  bool fired = wait_lines(&c, 5);
  weft__timer_stop(timer);
  assert_true(fired);
  /* Nothing fires once stop has returned. */
  size_t at_stop = lines(&c);
  sleep_ms(100);
  assert_int_equal(lines(&c), at_stop);
  comp_close(&c);
}

static void test_two_timers(void **state) {
  (void)state;
  weft__rt_install_handlers();
  comp_t a, b;
  open_guest(&a, "timer_count");
  open_guest(&b, "timer_count");
  weft__timer_target_t t[2] = {
      {.pool = a.pool, .component_id = "a", .interval_ns = 20 * MS},
      {.pool = b.pool, .component_id = "b", .interval_ns = 30 * MS}};
  weft__timer_t *timer = NULL;
  weft_error_t err = {0};
  assert_int_equal(weft__timer_start(t, 2, &timer, &err), 0);
  bool fired = wait_lines(&a, 3) && wait_lines(&b, 3);
  weft__timer_stop(timer);
  assert_true(fired);
  comp_close(&a);
  comp_close(&b);
}

static void test_stop_is_prompt(void **state) {
  (void)state;
  weft__rt_install_handlers();
  comp_t c;
  open_guest(&c, "timer_count");
  /* An hour away: stop must not wait for the fire. */
  weft__timer_target_t t = {.pool = c.pool, .component_id = "counter",
                            .interval_ns = 3600ull * 1000 * MS};
  weft__timer_t *timer = NULL;
  weft_error_t err = {0};
  assert_int_equal(weft__timer_start(&t, 1, &timer, &err), 0);
  sleep_ms(20);
  uint64_t before = weft__now_ns();
  weft__timer_stop(timer);
  assert_true(weft__now_ns() - before < t.interval_ns / 2);
  assert_int_equal(lines(&c), 0);
  comp_close(&c);
}

static void test_trap_goes_on(void **state) {
  (void)state;
  weft__rt_install_handlers();
  comp_t c;
  open_guest(&c, "timer_trap");
  weft__timer_target_t t = {.pool = c.pool, .component_id = "trapper",
                            .interval_ns = 20 * MS};
  weft__timer_t *timer = NULL;
  weft_error_t err = {0};
  stderr_capture_t cap;
  stderr_capture(&cap);
  int rc = weft__timer_start(&t, 1, &timer, &err);
  bool fired = rc == 0 && wait_lines(&c, 3); /* each prints, then traps */
  weft__timer_stop(timer);
  char *log = stderr_captured(&cap, false);
  assert_int_equal(rc, 0);
  assert_true(fired);
  assert_non_null(strstr(log, "weft: timer 'trapper': "));
  assert_non_null(strstr(log, "unreachable"));
  free(log);
  comp_close(&c);
}

static void test_bad_interval(void **state) {
  (void)state;
  weft__timer_target_t t = {.pool = NULL, .component_id = "zero",
                            .interval_ns = 0};
  weft__timer_t *timer = NULL;
  weft_error_t err = {0};
  assert_int_equal(weft__timer_start(&t, 1, &timer, &err), WEFT_EINVAL);
  assert_non_null(strstr(err.msg, "'zero'"));
  weft__timer_stop(NULL);
}

int main(void) {
  /* A hung timer (a stop that waits for a fire) fails instead of
   * blocking the suite. */
  alarm(300);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fires_repeatedly),
      cmocka_unit_test(test_two_timers),
      cmocka_unit_test(test_stop_is_prompt),
      cmocka_unit_test(test_trap_goes_on),
      cmocka_unit_test(test_bad_interval),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

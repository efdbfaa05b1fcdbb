/* redis_trigger_test.c - the Redis trigger (src/trigger/redis.c) and
 * Redis addresses (src/trigger/redis_url.c) against a real redis-server
 * the test starts on a free loopback port (killed with the test, however
 * it ends), with real guests (tests/guests/redis_*.c) behind real pools:
 * messages reach every target of their channel and only those; an error
 * or a trap is logged and the next message is handled; a server that
 * goes away is reconnected to and subscribed again; a server that is not
 * there at the start is waited for; malformed addresses fail the start.
 * Calls are counted by the lines the guests print on stdout (temporary
 * files); waits have generous upper bounds and no test asserts on speed.
 * Skipped when /usr/bin/redis-server is missing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "runtime/runtime.h"
#include "testlib.h"
#include "trigger/redis.h"
#include "trigger/redis_url.h"
#include "util/util.h"

static weft_engine_t *engine;
static weft_wit_t *wit;

/* ---- components (testlib.h) ---------------------------------------------- */

static comp_t recorder = {.out_fd = -1}, failer = {.out_fd = -1};

/* The first thing that went wrong while a trigger ran. Tests note it
 * instead of failing at once, so that they stop the trigger and restore
 * stderr before cmocka leaves the test. */
static char failure[1024];

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...) {
  va_list ap;
  if (failure[0])
    return;
  va_start(ap, fmt);
  vsnprintf(failure, sizeof failure, fmt, ap);
  va_end(ap);
}

static void assert_no_failure(void) {
  if (failure[0])
    fail_msg("%s", failure);
}

/* Wait until the component's output contains the line `line`; 0 (noted)
 * when it never does. */
static int wait_line(const comp_t *c, const char *line) {
  uint64_t limit = weft__now_ns() + WAIT_LIMIT_NS;
  char want[256];
  snprintf(want, sizeof want, "%s\n", line);
  for (;;) {
    char *out = comp_output(c);
    int seen = strstr(out, want) != NULL;
    if (!seen && weft__now_ns() > limit)
      note("'%s' never arrived; output so far:\n%s", line, out);
    free(out);
    if (seen || failure[0])
      return seen;
    sleep_ms(5);
  }
}

/* ---- a real redis-server ------------------------------------------------- */

/* The server of most tests, started by setup (testlib.h). */
static redis_server_t redis = {.pid = -1};

/* PUBLISH `msg` on `channel`; 1 when exactly `receivers` subscribers
 * got it, else 0 (noted). */
static int publish(const char *channel, const char *msg, long long receivers) {
  redisContext *c = redis_client(&redis);
  redisReply *r = c ? redisCommand(c, "PUBLISH %s %s", channel, msg) : NULL;
  long long n = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
  if (r)
    freeReplyObject(r);
  if (c)
    redisFree(c);
  if (n != receivers)
    note("PUBLISH %s '%s': %lld receivers, expected %lld", channel, msg, n,
         receivers);
  return n == receivers;
}

/* Wait until weft__redis_ready says `want`; 0 (noted) if it never does. */
static int wait_ready(const weft__redis_t *r, int want) {
  uint64_t limit = weft__now_ns() + WAIT_LIMIT_NS;
  while (weft__redis_ready(r) != want) {
    if (weft__now_ns() > limit) {
      note("the trigger never became %s", want ? "ready" : "unready");
      return 0;
    }
    sleep_ms(10);
  }
  return 1;
}

/* ---- setup -------------------------------------------------------------- */

static int have_redis;

static int setup(void **state) {
  (void)state;
  weft_error_t err = {0};
  engine = test_engine_new(&err);
  wit = engine ? weft_wit_load("wit/spin", &err) : NULL;
  if (!wit) {
    fprintf(stderr, "setup: %s\n", err.msg);
    return -1;
  }
  if (comp_open(&recorder, engine, wit, "redis-trigger", "redis_record") < 0 ||
      comp_open(&failer, engine, wit, "redis-trigger", "redis_fail") < 0)
    return -1;
  have_redis = access(REDIS_SERVER, X_OK) == 0;
  if (!have_redis) {
    printf("# %s is missing: the tests that need Redis are skipped\n",
           REDIS_SERVER);
    return 0;
  }
  if ((redis.port = free_port()) < 0 || redis_server_start(&redis) < 0) {
    fprintf(stderr, "setup: cannot start redis-server on port %d\n",
            redis.port);
    return -1;
  }
  return 0;
}

static int teardown(void **state) {
  (void)state;
  redis_server_kill(&redis);
  comp_close(&recorder);
  comp_close(&failer);
  weft_wit_free(wit);
  weft_engine_free(engine);
  return 0;
}

static void need_redis(void) {
  if (!have_redis)
    skip();
  weft__rt_install_handlers(); /* cmocka replaces them per test */
  failure[0] = 0;
  /* The guests' outputs start empty (the guests write at the shared
   * file offset). */
  comp_t *cs[2] = {&recorder, &failer};
  for (int i = 0; i < 2; i++) {
    assert_int_equal(ftruncate(cs[i]->out_fd, 0), 0);
    lseek(cs[i]->out_fd, 0, SEEK_SET);
  }
}

/* ---- addresses ----------------------------------------------------------- */

static void test_url_forms(void **state) {
  (void)state;
  weft__redis_url_t u;
  weft_error_t err = {0};
  assert_int_equal(weft__redis_url_parse("redis://localhost", &u, &err), 0);
  assert_string_equal(u.host, "localhost");
  assert_int_equal(u.port, 6379);
  assert_int_equal(u.db, 0);
  assert_null(u.password);
  assert_string_equal(u.display, "redis://localhost:6379");
  weft__redis_url_release(&u);

  assert_int_equal(weft__redis_url_parse("redis://127.0.0.1:7000/3", &u, &err),
                   0);
  assert_string_equal(u.host, "127.0.0.1");
  assert_int_equal(u.port, 7000);
  assert_int_equal(u.db, 3);
  assert_string_equal(u.display, "redis://127.0.0.1:7000/3");
  weft__redis_url_release(&u);

  assert_int_equal(
      weft__redis_url_parse("REDIS://me:p%40ss@[::1]:7001/", &u, &err), 0);
  assert_string_equal(u.host, "::1");
  assert_int_equal(u.port, 7001);
  assert_string_equal(u.user, "me");
  assert_string_equal(u.password, "p@ss");
  assert_string_equal(u.display, "redis://[::1]:7001");
  weft__redis_url_release(&u);

  assert_int_equal(weft__redis_url_parse("redis://:secret@h", &u, &err), 0);
  assert_null(u.user);
  assert_string_equal(u.password, "secret");
  weft__redis_url_release(&u);
}

static void test_url_malformed(void **state) {
  (void)state;
  static const struct {
    const char *address, *why;
  } bad[] = {
      {"", "expected redis://"},
      {"http://h:6379", "expected redis://"},
      {"rediss://h", "TLS"},
      {"redis://", "no host"},
      {"redis://:6379", "no host"},
      {"redis://h:", "port"},
      {"redis://h:0", "port"},
      {"redis://h:65536", "port"},
      {"redis://h:12ab", "port"},
      {"redis://h/x", "database"},
      {"redis://h/1?x=1", "database"},
      {"redis://h?x=1", "query"},
      {"redis://[::1", "IPv6"},
      {"redis://a:b:c", "port"},
      {"redis://h h", "character"},
      {"redis://u:p%4@h", "%-escape"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    weft__redis_url_t u;
    weft_error_t err = {0};
    if (weft__redis_url_parse(bad[i].address, &u, &err) != WEFT_EINVAL)
      fail_msg("'%s' was accepted", bad[i].address);
    if (!strstr(err.msg, bad[i].why))
      fail_msg("'%s': message '%s' does not say '%s'", bad[i].address,
               err.msg, bad[i].why);
    assert_null(u.host);
  }
  /* The password never shows in a message. */
  weft__redis_url_t u;
  weft_error_t err = {0};
  assert_int_equal(weft__redis_url_parse("redis://u:hunter2@h:x", &u, &err),
                   WEFT_EINVAL);
  assert_null(strstr(err.msg, "hunter2"));
  assert_non_null(strstr(err.msg, "redis://u:***@h:x"));
}

static void test_start_malformed(void **state) {
  (void)state;
  weft__redis_target_t t[2] = {
      {.pool = recorder.pool, .component_id = "rec",
       .address = "redis://127.0.0.1", .channel = "ch"},
      {.pool = recorder.pool, .component_id = "rec2",
       .address = "redis://127.0.0.1:notaport", .channel = "ch"}};
  weft__redis_t *r = NULL;
  weft_error_t err = {0};
  assert_int_equal(weft__redis_start(t, 2, &r, &err), WEFT_EINVAL);
  assert_null(r);
  assert_non_null(strstr(err.msg, "'rec2'"));
  assert_non_null(strstr(err.msg, "redis://127.0.0.1:notaport"));
  weft__redis_stop(NULL);
}

/* ---- messages ------------------------------------------------------------ */

static void test_messages(void **state) {
  (void)state;
  need_redis();
  char a1[64], a2[64];
  snprintf(a1, sizeof a1, "redis://127.0.0.1:%d", redis.port);
  /* The same server. */
  snprintf(a2, sizeof a2, "redis://127.0.0.1:%d/0", redis.port);
  weft__redis_target_t t[3] = {
      {.pool = recorder.pool, .component_id = "rec", .address = a1,
       .channel = "ch"},
      {.pool = failer.pool, .component_id = "failer", .address = a2,
       .channel = "ch"},
      {.pool = recorder.pool, .component_id = "rec", .address = a1,
       .channel = "other"}};
  weft__redis_t *r = NULL;
  weft_error_t err = {0};
  stderr_capture_t cap;
  stderr_capture(&cap);
  int rc = weft__redis_start(t, 3, &r, &err);
  /* One connection for both addresses, subscribed to both channels. */
  if (rc == 0 && wait_ready(r, 1) && publish("ch", "hello", 1) &&
      wait_line(&recorder, "hello") && wait_line(&failer, "hello") &&
      publish("other", "x-other", 1) && wait_line(&recorder, "x-other") &&
      publish("nobody", "lost", 0) && publish("ch", "fail one", 1) &&
      publish("ch", "trap two", 1) && publish("ch", "after", 1) &&
      wait_line(&failer, "after"))
    wait_line(&recorder, "after");
  weft__redis_stop(r);
  char *log = stderr_captured(&cap, true);
  assert_int_equal(rc, 0);
  assert_no_failure();
  char *rec = comp_output(&recorder), *fail = comp_output(&failer);
  assert_string_equal(rec, "hello\nx-other\nfail one\ntrap two\nafter\n");
  assert_string_equal(fail, "hello\nfail one\ntrap two\nafter\n");
  assert_non_null(strstr(log, "weft: redis 'failer' on ch: handle-message "
                              "returned an error\n"));
  assert_non_null(strstr(log, "weft: redis 'failer' on ch: "));
  assert_non_null(strstr(log, "unreachable"));
  assert_null(strstr(log, "'rec'"));
  free(rec);
  free(fail);
  free(log);
}

/* The server goes away and comes back on the same port. */
static void test_reconnect(void **state) {
  (void)state;
  need_redis();
  char addr[64];
  snprintf(addr, sizeof addr, "redis://127.0.0.1:%d", redis.port);
  weft__redis_target_t t = {.pool = recorder.pool, .component_id = "rec",
                            .address = addr, .channel = "ch"};
  weft__redis_t *r = NULL;
  weft_error_t err = {0};
  stderr_capture_t cap;
  stderr_capture(&cap);
  int rc = weft__redis_start(&t, 1, &r, &err);
  int restarted = 0;
  if (rc == 0 && wait_ready(r, 1) && publish("ch", "before", 1) &&
      wait_line(&recorder, "before")) {
    redis_server_kill(&redis);
    if (wait_ready(r, 0)) {
      sleep_ms(300); /* a few failed attempts with backoff */
      restarted = redis_server_start(&redis) == 0;
      if (restarted && wait_ready(r, 1) && publish("ch", "again", 1))
        wait_line(&recorder, "again");
    }
  }
  weft__redis_stop(r);
  char *log = stderr_captured(&cap, true);
  assert_int_equal(rc, 0);
  assert_no_failure();
  assert_true(restarted);
  char lost[128];
  snprintf(lost, sizeof lost, "weft: redis %s: connection lost (", addr);
  assert_non_null(strstr(log, lost));
  assert_non_null(strstr(log, "reconnecting\n"));
  assert_non_null(strstr(log, "reconnected, subscribed again\n"));
  /* One line when it goes down, however many attempts fail. */
  assert_ptr_equal(strstr(log, "weft: redis"), strstr(log, lost));
  assert_null(strstr(log, "cannot connect"));
  free(log);
}

/* Nothing listens at the start: the trigger waits for the server; stop
 * works while it waits. */
static void test_server_late(void **state) {
  (void)state;
  need_redis();
  int p = free_port();
  assert_true(p > 0);
  char addr[64];
  snprintf(addr, sizeof addr, "redis://127.0.0.1:%d", p);
  weft__redis_target_t t = {.pool = recorder.pool, .component_id = "rec",
                            .address = addr, .channel = "late"};
  weft__redis_t *r = NULL;
  weft_error_t err = {0};
  stderr_capture_t cap;
  stderr_capture(&cap);
  int rc = weft__redis_start(&t, 1, &r, &err);
  if (rc == 0) {
    sleep_ms(200);
    if (weft__redis_ready(r))
      note("ready with no server");
    weft__redis_stop(r); /* while it backs off */
    r = NULL;
    rc = weft__redis_start(&t, 1, &r, &err);
  }
  redis_server_t saved = redis;
  int started = 0;
  if (rc == 0) {
    sleep_ms(100);
    redis = (redis_server_t){.pid = -1, .port = p};
    started = redis_server_start(&redis) == 0;
    if (started && wait_ready(r, 1) && publish("late", "late one", 1))
      wait_line(&recorder, "late one");
  }
  weft__redis_stop(r);
  redis_server_kill(&redis);
  redis = saved;
  char *log = stderr_captured(&cap, true);
  assert_int_equal(rc, 0);
  assert_no_failure();
  assert_true(started);
  char down[128];
  snprintf(down, sizeof down, "weft: redis: cannot connect to %s: ", addr);
  assert_non_null(strstr(log, down));
  assert_non_null(strstr(log, "retrying\n"));
  assert_non_null(strstr(log, ": connected, subscribed\n"));
  free(log);
}

/* A server that wants a password: the address's password is sent; a
 * missing or wrong one is logged and retried. */
static void test_password(void **state) {
  (void)state;
  need_redis();
  int p = free_port();
  assert_true(p > 0);
  char good[96], wrong[96], none[96];
  snprintf(good, sizeof good, "redis://:s3cret@127.0.0.1:%d", p);
  snprintf(wrong, sizeof wrong, "redis://:nope@127.0.0.1:%d", p);
  snprintf(none, sizeof none, "redis://127.0.0.1:%d", p);
  weft__redis_target_t t[3] = {
      {.pool = recorder.pool, .component_id = "rec", .address = good,
       .channel = "auth"},
      {.pool = failer.pool, .component_id = "failer", .address = wrong,
       .channel = "auth"},
      {.pool = failer.pool, .component_id = "failer", .address = none,
       .channel = "auth"}};
  redis_server_t saved = redis;
  weft__redis_t *r = NULL, *bad = NULL;
  weft_error_t err = {0};
  stderr_capture_t cap;
  stderr_capture(&cap);
  redis = (redis_server_t){.pid = -1, .port = p, .password = "s3cret"};
  int started = redis_server_start(&redis) == 0;
  int rc = started ? weft__redis_start(t, 1, &r, &err) : -1;
  int rc_bad = started ? weft__redis_start(t + 1, 2, &bad, &err) : -1;
  if (rc == 0 && rc_bad == 0 && wait_ready(r, 1) &&
      publish("auth", "with password", 1) &&
      wait_line(&recorder, "with password")) {
    sleep_ms(200); /* the others have tried by now */
    if (weft__redis_ready(bad))
      note("subscribed without the right password");
  }
  weft__redis_stop(r);
  weft__redis_stop(bad);
  redis_server_kill(&redis);
  redis = saved;
  char *log = stderr_captured(&cap, true);
  assert_true(started);
  assert_int_equal(rc, 0);
  assert_int_equal(rc_bad, 0);
  assert_no_failure();
  char *fail = comp_output(&failer);
  assert_string_equal(fail, "");
  free(fail);
  assert_non_null(strstr(log, "AUTH refused: "));
  assert_non_null(strstr(log, ": cannot subscribe (NOAUTH"));
  assert_null(strstr(log, "s3cret"));
  assert_null(strstr(log, "nope"));
  free(log);
}

int main(void) {
  /* A hang (a stop that waits for Redis) fails instead of blocking. */
  alarm(300);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_url_forms),
      cmocka_unit_test(test_url_malformed),
      cmocka_unit_test(test_start_malformed),
      cmocka_unit_test(test_messages),
      cmocka_unit_test(test_reconnect),
      cmocka_unit_test(test_server_late),
      cmocka_unit_test(test_password),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

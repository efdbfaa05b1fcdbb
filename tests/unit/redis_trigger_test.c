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
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "runtime/runtime.h"
#include "trigger/redis.h"
#include "trigger/redis_url.h"
#include "util/util.h"

#define REDIS_SERVER "/usr/bin/redis-server"
#define WAIT_LIMIT_NS (30ull * 1000000000u) /* fail instead of waiting more */

static weft_engine_t *engine;
static weft_wit_t *wit;

/* ---- components ---------------------------------------------------------- */

typedef struct comp {
  weft_module_t *module;
  weft_linker_t *linker;
  weft__pool_t *pool;
  int out_fd; /* the guest's stdout */
} comp_t;

static comp_t recorder, failer;

static int comp_open(comp_t *c, const char *guest) {
  const char *b = getenv("BUILD");
  char path[4096], tmpl[] = "/tmp/weft-redis-test.XXXXXX";
  snprintf(path, sizeof path, "%s/guests/%s.wasm", b ? b : "build", guest);
  weft_error_t err = {0};
  memset(c, 0, sizeof *c);
  if ((c->out_fd = mkstemp(tmpl)) < 0)
    return -1;
  unlink(tmpl);
  weft_wasi_config_t wasi = {.stdin_fd = -1, .stdout_fd = c->out_fd,
                             .stderr_fd = 2};
  c->module = weft_module_load_file(engine, path, &err);
  c->linker = weft_linker_new(engine);
  if (!c->module || weft_linker_define_wasi(c->linker, &wasi, &err) < 0 ||
      weft_linker_use_world(c->linker, wit, "redis-trigger", &err) < 0 ||
      weft_linker_define_wit_traps(c->linker, &err) < 0 ||
      !(c->pool = weft__pool_new(c->linker, c->module, NULL, &err))) {
    fprintf(stderr, "setup: %s: %s\n", guest, err.msg);
    return -1;
  }
  return 0;
}

static void comp_close(comp_t *c) {
  weft__pool_free(c->pool);
  weft_linker_free(c->linker);
  weft_module_free(c->module);
  if (c->out_fd >= 0)
    close(c->out_fd);
}

/* What the component has printed so far (a new string). */
static char *output(const comp_t *c) {
  weft__buf_t b;
  char chunk[4096];
  ssize_t got;
  weft__buf_init(&b);
  weft__buf_puts(&b, "");
  while ((got = pread(c->out_fd, chunk, sizeof chunk, (off_t)b.len)) > 0)
    weft__buf_add(&b, chunk, (size_t)got);
  return b.data;
}

static void sleep_ms(unsigned ms) { usleep(ms * 1000u); }

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
    char *out = output(c);
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

static pid_t server = -1;
static int port;

static int free_port(void) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  int p = -1;
  if (s >= 0 && bind(s, (struct sockaddr *)&a, sizeof a) == 0 &&
      getsockname(s, (struct sockaddr *)&a, &len) == 0)
    p = ntohs(a.sin_port);
  if (s >= 0)
    close(s);
  return p;
}

static const char *password; /* of the server running, or NULL */

/* A connection to the server on `p`, authenticated if need be. */
static redisContext *client(int p) {
  struct timeval tv = {.tv_sec = 2};
  redisContext *c = redisConnectWithTimeout("127.0.0.1", p, tv);
  if (c && c->err) {
    redisFree(c);
    c = NULL;
  }
  redisReply *r = c && password ? redisCommand(c, "AUTH %s", password) : NULL;
  if (r)
    freeReplyObject(r);
  return c;
}

/* Start redis-server on `p` (wanting `password` if set); 0 once it
 * answers PING. */
static int server_start(int p) {
  char ps[16];
  snprintf(ps, sizeof ps, "%d", p);
  const char *pass_opt = password ? "--requirepass" : (char *)NULL;
  pid_t pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    /* Dies with the test, even when the test crashes. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    freopen("/dev/null", "w", stdout);
    execl(REDIS_SERVER, "redis-server", "--port", ps, "--bind", "127.0.0.1",
          "--save", "", "--appendonly", "no", pass_opt, password,
          (char *)NULL);
    _exit(127);
  }
  server = pid;
  uint64_t limit = weft__now_ns() + WAIT_LIMIT_NS;
  while (weft__now_ns() < limit) {
    redisContext *c = client(p);
    redisReply *r = c ? redisCommand(c, "PING") : NULL;
    int up = r && r->type == REDIS_REPLY_STATUS;
    if (r)
      freeReplyObject(r);
    if (c)
      redisFree(c);
    if (up)
      return 0;
    sleep_ms(20);
  }
  return -1;
}

static void server_kill(void) {
  if (server > 0) {
    kill(server, SIGKILL);
    waitpid(server, NULL, 0);
  }
  server = -1;
}

/* PUBLISH `msg` on `channel`; 1 when exactly `receivers` subscribers
 * got it, else 0 (noted). */
static int publish(const char *channel, const char *msg, long long receivers) {
  redisContext *c = client(port);
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

/* ---- capturing weft's stderr -------------------------------------------- */

static int saved_stderr = -1, captured = -1;

static void capture_stderr(void) {
  char tmpl[] = "/tmp/weft-redis-err.XXXXXX";
  fflush(stderr);
  captured = mkstemp(tmpl);
  assert_true(captured >= 0);
  unlink(tmpl);
  saved_stderr = dup(2);
  dup2(captured, 2);
}

/* Restore stderr; what was written meanwhile, as a new string (also
 * echoed, for the test log). */
static char *captured_stderr(void) {
  fflush(stderr);
  dup2(saved_stderr, 2);
  close(saved_stderr);
  off_t size = lseek(captured, 0, SEEK_END);
  char *s = calloc(1, (size_t)size + 1);
  assert_non_null(s);
  assert_int_equal(pread(captured, s, (size_t)size, 0), size);
  close(captured);
  fprintf(stderr, "%s", s);
  return s;
}

/* ---- setup -------------------------------------------------------------- */

static int have_redis;

static int setup(void **state) {
  (void)state;
  const char *b = getenv("BUILD");
  char cache[4096];
  snprintf(cache, sizeof cache, "%s/test-cache", b ? b : "build");
  weft_error_t err = {0};
  weft_engine_config_t cfg = {.cache_dir = cache, .opt_level = -1};
  engine = weft_engine_new(&cfg, &err);
  wit = engine ? weft_wit_load("wit/spin", &err) : NULL;
  if (!wit) {
    fprintf(stderr, "setup: %s\n", err.msg);
    return -1;
  }
  if (comp_open(&recorder, "redis_record") < 0 ||
      comp_open(&failer, "redis_fail") < 0)
    return -1;
  have_redis = access(REDIS_SERVER, X_OK) == 0;
  if (!have_redis) {
    printf("# %s is missing: the tests that need Redis are skipped\n",
           REDIS_SERVER);
    return 0;
  }
  if ((port = free_port()) < 0 || server_start(port) < 0) {
    fprintf(stderr, "setup: cannot start redis-server on port %d\n", port);
    return -1;
  }
  return 0;
}

static int teardown(void **state) {
  (void)state;
  server_kill();
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
  snprintf(a1, sizeof a1, "redis://127.0.0.1:%d", port);
  snprintf(a2, sizeof a2, "redis://127.0.0.1:%d/0", port); /* same server */
  weft__redis_target_t t[3] = {
      {.pool = recorder.pool, .component_id = "rec", .address = a1,
       .channel = "ch"},
      {.pool = failer.pool, .component_id = "failer", .address = a2,
       .channel = "ch"},
      {.pool = recorder.pool, .component_id = "rec", .address = a1,
       .channel = "other"}};
  weft__redis_t *r = NULL;
  weft_error_t err = {0};
  capture_stderr();
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
  char *log = captured_stderr();
  assert_int_equal(rc, 0);
  assert_no_failure();
  char *rec = output(&recorder), *fail = output(&failer);
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
  snprintf(addr, sizeof addr, "redis://127.0.0.1:%d", port);
  weft__redis_target_t t = {.pool = recorder.pool, .component_id = "rec",
                            .address = addr, .channel = "ch"};
  weft__redis_t *r = NULL;
  weft_error_t err = {0};
  capture_stderr();
  int rc = weft__redis_start(&t, 1, &r, &err);
  int restarted = 0;
  if (rc == 0 && wait_ready(r, 1) && publish("ch", "before", 1) &&
      wait_line(&recorder, "before")) {
    server_kill();
    if (wait_ready(r, 0)) {
      sleep_ms(300); /* a few failed attempts with backoff */
      restarted = server_start(port) == 0;
      if (restarted && wait_ready(r, 1) && publish("ch", "again", 1))
        wait_line(&recorder, "again");
    }
  }
  weft__redis_stop(r);
  char *log = captured_stderr();
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
  capture_stderr();
  int rc = weft__redis_start(&t, 1, &r, &err);
  if (rc == 0) {
    sleep_ms(200);
    if (weft__redis_ready(r))
      note("ready with no server");
    weft__redis_stop(r); /* while it backs off */
    r = NULL;
    rc = weft__redis_start(&t, 1, &r, &err);
  }
  int old_port = port;
  pid_t old_server = server;
  int started = 0;
  if (rc == 0) {
    sleep_ms(100);
    port = p;
    started = server_start(p) == 0;
    if (started && wait_ready(r, 1) && publish("late", "late one", 1))
      wait_line(&recorder, "late one");
  }
  weft__redis_stop(r);
  server_kill();
  port = old_port;
  server = old_server;
  char *log = captured_stderr();
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
  int old_port = port;
  pid_t old_server = server;
  weft__redis_t *r = NULL, *bad = NULL;
  weft_error_t err = {0};
  capture_stderr();
  port = p;
  password = "s3cret";
  int started = server_start(p) == 0;
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
  server_kill();
  password = NULL;
  port = old_port;
  server = old_server;
  char *log = captured_stderr();
  assert_true(started);
  assert_int_equal(rc, 0);
  assert_int_equal(rc_bad, 0);
  assert_no_failure();
  char *fail = output(&failer);
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

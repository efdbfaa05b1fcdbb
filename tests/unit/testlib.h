/* testlib.h - what several unit tests share, as static inline functions
 * (the Makefile builds each tests/unit/NAME_test.c as one file, so each
 * test that includes this gets its own copy and the unused ones cost
 * nothing). Include it after <cmocka.h>:
 *
 *  - the build directory ($BUILD, default "build": the tests run from the
 *    repository root): the compile cache and the test guests in it;
 *  - a component under test: a guest behind a pool, linked to a world
 *    with WASI, its stdout in a temporary file the test reads back;
 *  - weft's stderr captured into a temporary file while a trigger runs;
 *  - a real redis-server on a free loopback port, killed with the test
 *    however the test ends.
 *
 * Waits are bounded by WAIT_LIMIT_NS and fail instead of hanging; no
 * helper asserts on speed. */
#ifndef WEFT_TESTS_UNIT_TESTLIB_H
#define WEFT_TESTS_UNIT_TESTLIB_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "trigger/pool.h"
#include "util/util.h"
#include "weft.h"

#define WAIT_LIMIT_NS (30ull * 1000000000u) /* fail instead of waiting more */

static inline void sleep_ms(unsigned ms) { usleep(ms * 1000u); }

/* ---- the build directory ------------------------------------------------ */

/* `$BUILD/` followed by `fmt` formatted, into out[cap]; returns out. */
static inline const char *build_path(char *out, size_t cap, const char *fmt,
                                     ...) __attribute__((format(printf, 3, 4)));
static inline const char *build_path(char *out, size_t cap, const char *fmt,
                                     ...) {
  const char *b = getenv("BUILD");
  int n = snprintf(out, cap, "%s/", b ? b : "build");
  va_list ap;
  va_start(ap, fmt);
  if (n >= 0 && (size_t)n < cap)
    vsnprintf(out + n, cap - (size_t)n, fmt, ap);
  va_end(ap);
  return out;
}

/* An engine compiling into the tests' cache ($BUILD/test-cache), or NULL
 * with *err set. The caller frees it with weft_engine_free. */
static inline weft_engine_t *test_engine_new(weft_error_t *err) {
  char cache[4096];
  build_path(cache, sizeof cache, "test-cache");
  weft_engine_config_t cfg = {.cache_dir = cache, .opt_level = -1};
  return weft_engine_new(&cfg, err);
}

/* Test guest $BUILD/guests/NAME.wasm loaded on `engine`, or NULL with
 * *err set. The caller frees it with weft_module_free. */
static inline weft_module_t *
test_guest_load(weft_engine_t *engine, const char *name, weft_error_t *err) {
  char path[4096];
  return weft_module_load_file(
      engine, build_path(path, sizeof path, "guests/%s.wasm", name), err);
}

/* ---- a component under test --------------------------------------------- */

/* A guest behind a pool, as a trigger sees it. */
typedef struct comp {
  weft_module_t *module;
  weft_linker_t *linker;
  weft__pool_t *pool;
  int out_fd; /* the guest's stdout: an unlinked temporary file */
} comp_t;

/* Open test guest `guest` in world `world` of `wit` (WASI with stdout to
 * c->out_fd and stderr to the test's, traps for the other imports). 0, or
 * -1 with the reason on stderr; either way the caller ends with
 * comp_close. */
static inline int comp_open(comp_t *c, weft_engine_t *engine, weft_wit_t *wit,
                            const char *world, const char *guest) {
  char tmpl[] = "/tmp/weft-test-out.XXXXXX";
  weft_error_t err = {0};
  memset(c, 0, sizeof *c);
  if ((c->out_fd = mkstemp(tmpl)) < 0) {
    perror("setup: mkstemp");
    return -1;
  }
  unlink(tmpl);
  weft_wasi_config_t wasi = {
      .stdin_fd = -1, .stdout_fd = c->out_fd, .stderr_fd = 2};
  c->module = test_guest_load(engine, guest, &err);
  c->linker = weft_linker_new(engine);
  if (!c->module || weft_linker_define_wasi(c->linker, &wasi, &err) < 0 ||
      weft_linker_use_world(c->linker, wit, world, &err) < 0 ||
      weft_linker_define_wit_traps(c->linker, &err) < 0 ||
      !(c->pool = weft__pool_new(c->linker, c->module, NULL, &err))) {
    fprintf(stderr, "setup: %s: %s\n", guest, err.msg);
    return -1;
  }
  return 0;
}

static inline void comp_close(comp_t *c) {
  weft__pool_free(c->pool);
  weft_linker_free(c->linker);
  weft_module_free(c->module);
  if (c->out_fd >= 0)
    close(c->out_fd);
  c->out_fd = -1;
}

/* What the component has printed so far (a new string). */
static inline char *comp_output(const comp_t *c) {
  weft__buf_t b;
  char chunk[4096];
  ssize_t got;
  weft__buf_init(&b);
  weft__buf_puts(&b, "");
  while ((got = pread(c->out_fd, chunk, sizeof chunk, (off_t)b.len)) > 0)
    weft__buf_add(&b, chunk, (size_t)got);
  return b.data;
}

/* ---- capturing weft's stderr -------------------------------------------- */

/* Where stderr went before, and the file it goes to meanwhile. */
typedef struct stderr_capture {
  int saved, file;
} stderr_capture_t;

/* Send stderr (fd 2) to a temporary file until stderr_captured. */
static inline void stderr_capture(stderr_capture_t *cap) {
  char tmpl[] = "/tmp/weft-test-err.XXXXXX";
  fflush(stderr);
  cap->file = mkstemp(tmpl);
  assert_true(cap->file >= 0);
  unlink(tmpl);
  cap->saved = dup(2);
  dup2(cap->file, 2);
}

/* Restore stderr; what was written meanwhile, as a new string, also
 * written to the restored stderr when `echo` (for the test log). */
static inline char *stderr_captured(stderr_capture_t *cap, bool echo) {
  fflush(stderr);
  dup2(cap->saved, 2);
  close(cap->saved);
  off_t size = lseek(cap->file, 0, SEEK_END);
  char *s = calloc(1, (size_t)size + 1);
  assert_non_null(s);
  assert_int_equal(pread(cap->file, s, (size_t)size, 0), size);
  close(cap->file);
  if (echo)
    fprintf(stderr, "%s", s);
  return s;
}

/* ---- a real redis-server ------------------------------------------------ */

#define REDIS_SERVER "/usr/bin/redis-server"

/* A loopback TCP port nothing listened on a moment ago (bound, then
 * closed), or -1. */
static inline int free_port(void) {
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

/* A redis-server the test runs: set `port` (and `password`, `dir`), then
 * redis_server_start. */
typedef struct redis_server {
  pid_t pid;            /* -1 when not running */
  int port;             /* on 127.0.0.1 */
  const char *password; /* wanted from clients (--requirepass), or NULL */
  const char *dir;      /* its working directory; NULL: the test's */
} redis_server_t;

/* A connection to `r`, authenticated if it wants a password, or NULL.
 * The caller frees it with redisFree. */
static inline redisContext *redis_client(const redis_server_t *r) {
  struct timeval tv = {.tv_sec = 2};
  redisContext *c = redisConnectWithTimeout("127.0.0.1", r->port, tv);
  if (c && c->err) {
    redisFree(c);
    c = NULL;
  }
  redisReply *rep =
      c && r->password ? redisCommand(c, "AUTH %s", r->password) : NULL;
  if (rep)
    freeReplyObject(rep);
  return c;
}

/* Start `r` (nothing on disk, stdout to /dev/null); 0 once it answers
 * PING, else -1 (it exited, or did not answer in WAIT_LIMIT_NS; the
 * caller still ends with redis_server_kill). */
static inline int redis_server_start(redis_server_t *r) {
  char ps[16];
  snprintf(ps, sizeof ps, "%d", r->port);
  /* With no password, the NULL ends the arguments before it. */
  const char *pass_opt = r->password ? "--requirepass" : (char *)NULL;
  pid_t pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    /* Dies with the test, even when the test crashes. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if ((r->dir && chdir(r->dir) < 0) || !freopen("/dev/null", "w", stdout))
      _exit(126);
    execl(REDIS_SERVER, "redis-server", "--port", ps, "--bind", "127.0.0.1",
          "--save", "", "--appendonly", "no", pass_opt, r->password,
          (char *)NULL);
    _exit(127);
  }
  r->pid = pid;
  uint64_t limit = weft__now_ns() + WAIT_LIMIT_NS;
  while (weft__now_ns() < limit) {
    redisContext *c = redis_client(r);
    redisReply *rep = c ? redisCommand(c, "PING") : NULL;
    int up = rep && rep->type == REDIS_REPLY_STATUS;
    if (rep)
      freeReplyObject(rep);
    if (c)
      redisFree(c);
    if (up)
      return 0;
    if (waitpid(pid, NULL, WNOHANG) == pid) { /* it could not start */
      r->pid = -1;
      return -1;
    }
    sleep_ms(20);
  }
  return -1;
}

/* Kill `r` at once (as a crash would) and reap it; nothing when it is not
 * running. */
static inline void redis_server_kill(redis_server_t *r) {
  if (r->pid > 0) {
    kill(r->pid, SIGKILL);
    waitpid(r->pid, NULL, 0);
  }
  r->pid = -1;
}

#endif

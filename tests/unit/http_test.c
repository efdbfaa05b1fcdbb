/* http_test.c - the HTTP trigger's server (src/trigger/http.c) with native
 * handlers (http.h) on 127.0.0.1, talked to over plain sockets: the
 * request value a handler gets (lowercased header names, the spin-*
 * headers), many requests on one keep-alive connection across the slow
 * path (suspended, run by a worker) and the inline one, and that a handler
 * that blocks holds neither the other routes nor new connections. Blocking
 * handlers wait for the test to release them, so nothing depends on
 * timing; every socket read has a timeout, so a server that stalls fails
 * the test instead of hanging it. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include "app/manifest.h"
#include "app/route.h"
#include "trigger/http.h"
#include "weft.h"

/* ---- handlers ------------------------------------------------------------ */

/* A response record with a text body and one header, x-handler: NAME. */
typedef struct resp {
  weft_val_t fields[3], headers, body, tuple, kv[2];
  char *text;
} resp_t;

static int text_response(weft_val_t *res, const char *name, const char *text) {
  resp_t *r = calloc(1, sizeof *r);
  if (!r || !(r->text = strdup(text))) {
    free(r);
    return WEFT_ENOMEM;
  }
  r->kv[0] = (weft_val_t){.kind = WEFT_VAL_STRING,
                          .of.str = {"x-handler", 9}};
  r->kv[1] = (weft_val_t){.kind = WEFT_VAL_STRING,
                          .of.str = {name, strlen(name)}};
  r->tuple = (weft_val_t){.kind = WEFT_VAL_TUPLE, .of.list = {r->kv, 2}};
  r->headers = (weft_val_t){.kind = WEFT_VAL_LIST, .of.list = {&r->tuple, 1}};
  r->body = (weft_val_t){.kind = WEFT_VAL_LIST,
                         .of.bytes = {(uint8_t *)r->text, strlen(r->text)}};
  r->fields[0] = (weft_val_t){.kind = WEFT_VAL_U16, .of.u16 = 200};
  r->fields[1] = (weft_val_t){.kind = WEFT_VAL_OPTION,
                              .of.var = {.tag = 1, .val = &r->headers}};
  r->fields[2] = (weft_val_t){.kind = WEFT_VAL_OPTION,
                              .of.var = {.tag = 1, .val = &r->body}};
  *res = (weft_val_t){.kind = WEFT_VAL_RECORD, .of.list = {r->fields, 3}};
  return 0;
}

static void post(void *env, weft_val_t *res) {
  (void)env;
  resp_t *r = (resp_t *)(void *)res->of.list.ptr;
  free(r->text);
  free(r);
}

/* "echo": answers "NAME=VALUE\n" for every header, then "uri=URI\n". */
static int echo(void *env, const weft_val_t *req, weft_val_t *res) {
  (void)env;
  char out[4096];
  size_t n = 0;
  const weft_val_t *hs = &req->of.list.ptr[2];
  for (size_t i = 0; i < hs->of.list.len && n < sizeof out; i++) {
    const weft_val_t *kv = hs->of.list.ptr[i].of.list.ptr;
    n += (size_t)snprintf(out + n, sizeof out - n, "%.*s=%.*s\n",
                          (int)kv[0].of.str.len, kv[0].of.str.ptr,
                          (int)kv[1].of.str.len, kv[1].of.str.ptr);
  }
  const weft_val_t *uri = &req->of.list.ptr[1];
  if (n < sizeof out)
    snprintf(out + n, sizeof out - n, "uri=%.*s\n", (int)uri->of.str.len,
             uri->of.str.ptr);
  return text_response(res, "echo", out);
}

/* A handler that can be made to block until the test releases it. */
typedef struct gate {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  bool armed;   /* the next call blocks */
  bool inside;  /* a call is blocked */
  bool open;    /* released */
  const char *name;
} gate_t;

static int gated(void *env, const weft_val_t *req, weft_val_t *res) {
  (void)req;
  gate_t *g = env;
  pthread_mutex_lock(&g->mu);
  if (g->armed) {
    g->armed = false;
    g->inside = true;
    pthread_cond_broadcast(&g->cv);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 20; /* a test that never releases fails, not hangs */
    while (!g->open && pthread_cond_timedwait(&g->cv, &g->mu, &until) == 0)
      ;
    g->inside = false;
  }
  pthread_mutex_unlock(&g->mu);
  return text_response(res, g->name, g->name);
}

static void gate_arm(gate_t *g) {
  pthread_mutex_lock(&g->mu);
  g->armed = true;
  g->open = false;
  pthread_mutex_unlock(&g->mu);
}

/* Wait until a call is blocked in the gate. */
static void gate_wait_inside(gate_t *g) {
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += 20;
  pthread_mutex_lock(&g->mu);
  while (!g->inside &&
         pthread_cond_timedwait(&g->cv, &g->mu, &until) == 0)
    ;
  bool inside = g->inside;
  pthread_mutex_unlock(&g->mu);
  assert_true(inside);
}

static bool gate_inside(gate_t *g) {
  pthread_mutex_lock(&g->mu);
  bool inside = g->inside;
  pthread_mutex_unlock(&g->mu);
  return inside;
}

static void gate_release(gate_t *g) {
  pthread_mutex_lock(&g->mu);
  g->open = true;
  pthread_cond_broadcast(&g->cv);
  pthread_mutex_unlock(&g->mu);
}

/* ---- the server ---------------------------------------------------------- */

static const char manifest_text[] =
    "spin_manifest_version = 2\n"
    "[application]\n"
    "name = \"t\"\n"
    "[[trigger.http]]\n"
    "route = \"/echo/...\"\n"
    "component = \"echo\"\n"
    "[[trigger.http]]\n"
    "route = \"/a\"\n"
    "component = \"a\"\n"
    "[[trigger.http]]\n"
    "route = \"/b\"\n"
    "component = \"b\"\n"
    "[component.echo]\n"
    "source = \"echo.wasm\"\n"
    "[component.a]\n"
    "source = \"a.wasm\"\n"
    "[component.b]\n"
    "source = \"b.wasm\"\n";

typedef struct server {
  weft__manifest_t *m;
  weft__router_t *router;
  weft__http_target_t targets[3];
  gate_t a, b;
  weft__http_t *http;
  uint16_t port;
} server_t;

static void server_start(server_t *s, unsigned threads) {
  weft_error_t err = {0};
  memset(s, 0, sizeof *s);
  if (weft__manifest_parse(manifest_text, strlen(manifest_text), "spin.toml",
                           ".", &s->m, &err) < 0 ||
      weft__router_new(s->m, &s->router, &err) < 0)
    fail_msg("manifest: %s", err.msg);
  gate_t *gates[2] = {&s->a, &s->b};
  for (int i = 0; i < 2; i++) {
    pthread_mutex_init(&gates[i]->mu, NULL);
    pthread_cond_init(&gates[i]->cv, NULL);
    gates[i]->name = i ? "b" : "a";
  }
  s->targets[0] = (weft__http_target_t){
      .component_id = "echo", .native = echo, .native_post = post};
  s->targets[1] = (weft__http_target_t){.component_id = "a",
                                        .native = gated,
                                        .native_post = post,
                                        .native_env = &s->a};
  s->targets[2] = (weft__http_target_t){.component_id = "b",
                                        .native = gated,
                                        .native_post = post,
                                        .native_env = &s->b};
  weft__http_config_t hc = {.host = "127.0.0.1",
                            .router = s->router,
                            .targets = s->targets,
                            .ntargets = 3,
                            .threads = threads};
  if (weft__http_start(&hc, &s->http, &err) < 0)
    fail_msg("start: %s", err.msg);
  s->port = weft__http_port(s->http);
}

static void server_stop(server_t *s) {
  weft__http_stop(s->http);
  weft__router_free(s->router);
  weft__manifest_free(s->m);
  for (int i = 0; i < 2; i++) {
    gate_t *g = i ? &s->b : &s->a;
    pthread_cond_destroy(&g->cv);
    pthread_mutex_destroy(&g->mu);
  }
}

/* ---- a client ------------------------------------------------------------ */

/* A connection to the server (-1 on failure: a later read fails). */
static int client(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct timeval tv = {.tv_sec = 10};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
    close(fd);
    fd = -1;
  }
  return fd;
}

/* GET `path` on connection `fd` (extra header lines in `extra`); the status,
 * and the body into body[cap] (NUL-terminated). -1 on a read timeout (the
 * caller's assertion fails: this may run on another thread). */
static int get(int fd, const char *path, const char *extra, char *body,
               size_t cap) {
  char req[1024];
  int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: t.test\r\n%s\r\n",
                   path, extra ? extra : "");
  if (write(fd, req, (size_t)n) != n)
    return -1;
  char buf[8192];
  size_t len = 0;
  char *end = NULL;
  while (!(end = memmem(buf, len, "\r\n\r\n", 4))) {
    ssize_t r = read(fd, buf + len, sizeof buf - len - 1);
    if (r <= 0) {
      fprintf(stderr, "GET %s: no response head (%s)\n", path,
              r ? "timeout or error" : "closed");
      return -1;
    }
    len += (size_t)r;
  }
  buf[len] = 0;
  int status = atoi(buf + 9);
  const char *cl = strcasestr(buf, "content-length:");
  size_t want = cl ? strtoul(cl + 15, NULL, 10) : 0;
  size_t head = (size_t)(end + 4 - buf);
  while (len - head < want) {
    ssize_t r = read(fd, buf + len, sizeof buf - len - 1);
    if (r <= 0) {
      fprintf(stderr, "GET %s: body cut short\n", path);
      return -1;
    }
    len += (size_t)r;
  }
  size_t bl = want < cap - 1 ? want : cap - 1;
  memcpy(body, buf + head, bl);
  body[bl] = 0;
  return status;
}

/* ---- tests --------------------------------------------------------------- */

static void test_request_value(void **state) {
  (void)state;
  server_t s;
  server_start(&s, 1);
  int fd = client(s.port);
  char body[4096];
  assert_int_equal(get(fd, "/echo/x/y?q=1", "X-Mixed-Case: Va Lue\r\n", body,
                       sizeof body),
                   200);
  assert_non_null(strstr(body, "host=t.test\n"));
  assert_non_null(strstr(body, "x-mixed-case=Va Lue\n"));
  assert_non_null(strstr(body, "spin-full-url=http://t.test/echo/x/y?q=1\n"));
  /* The name is exactly "spin-path-info" (no NUL byte after it). */
  assert_non_null(strstr(body, "\nspin-path-info=/x/y\n"));
  assert_non_null(strstr(body, "spin-matched-route=/echo/...\n"));
  assert_non_null(strstr(body, "spin-component-route=/echo\n"));
  assert_non_null(strstr(body, "spin-raw-component-route=/echo/...\n"));
  assert_non_null(strstr(body, "spin-base-path=/\n"));
  assert_non_null(strstr(body, "spin-client-addr=127.0.0.1:"));
  assert_non_null(strstr(body, "uri=/echo/x/y?q=1\n"));
  assert_int_equal(get(fd, "/nope", NULL, body, sizeof body), 404);
  assert_int_equal(get(fd, "/.well-known/weft/health", NULL, body,
                       sizeof body), 200);
  close(fd);
  server_stop(&s);
}

/* Many requests on one connection: the first ones through workers
 * (probation, the connection suspended and resumed), the rest inline. */
static void test_keep_alive(void **state) {
  (void)state;
  server_t s;
  server_start(&s, 1);
  int fd = client(s.port);
  char body[4096], path[64];
  for (int i = 0; i < 50; i++) {
    snprintf(path, sizeof path, "/echo/%d", i);
    assert_int_equal(get(fd, path, NULL, body, sizeof body), 200);
    snprintf(path, sizeof path, "spin-path-info=/%d\n", i);
    assert_non_null(strstr(body, path));
  }
  close(fd);
  server_stop(&s);
}

typedef struct bg_get {
  uint16_t port;
  const char *path;
  int status;
  char body[256];
} bg_get_t;

static void *bg_get(void *arg) {
  bg_get_t *g = arg;
  int fd = client(g->port);
  g->status = get(fd, g->path, NULL, g->body, sizeof g->body);
  close(fd);
  return NULL;
}

/* A new component's calls go through workers: one that blocks holds a
 * worker, and the only polling thread goes on serving, on this
 * connection and on a new one. */
static void test_blocked_on_probation(void **state) {
  (void)state;
  server_t s;
  server_start(&s, 1);
  gate_arm(&s.a);
  bg_get_t slow = {.port = s.port, .path = "/a"};
  pthread_t t;
  pthread_create(&t, NULL, bg_get, &slow);
  gate_wait_inside(&s.a);
  int fd = client(s.port);
  char body[256];
  for (int i = 0; i < 3; i++)
    assert_int_equal(get(fd, "/b", NULL, body, sizeof body), 200);
  assert_string_equal(body, "b");
  assert_true(gate_inside(&s.a)); /* still blocked meanwhile */
  gate_release(&s.a);
  pthread_join(t, NULL);
  assert_int_equal(slow.status, 200);
  assert_string_equal(slow.body, "a");
  close(fd);
  server_stop(&s);
}

/* A component proven quick runs inline; when one of its calls then
 * blocks, it holds its polling thread, but once the call has run long new
 * connections go to the other thread even when that one has more of them,
 * and the component's next calls go through workers. */
static void test_blocked_inline(void **state) {
  (void)state;
  server_t s;
  server_start(&s, 2);
  int fd = client(s.port); /* the first thread's */
  char body[256];
  for (int i = 0; i < 20; i++) /* past probation: inline from now on */
    assert_int_equal(get(fd, "/a", NULL, body, sizeof body), 200);
  gate_arm(&s.a);
  bg_get_t slow = {.port = s.port, .path = "/a"}; /* the second thread's */
  pthread_t t;
  pthread_create(&t, NULL, bg_get, &slow);
  gate_wait_inside(&s.a);
  int idle[3]; /* at least two of them go to the first thread */
  for (int i = 0; i < 3; i++)
    idle[i] = client(s.port);
  usleep(200 * 1000); /* past LONG_NS: the second thread counts as held */
  for (int i = 0; i < 4; i++) { /* new connections, each served */
    int c = client(s.port);
    assert_int_equal(get(c, "/b", NULL, body, sizeof body), 200);
    assert_int_equal(get(c, "/a", NULL, body, sizeof body), 200);
    close(c);
  }
  assert_true(gate_inside(&s.a));
  gate_release(&s.a);
  pthread_join(t, NULL);
  assert_int_equal(slow.status, 200);
  for (int i = 0; i < 3; i++)
    close(idle[i]);
  close(fd);
  server_stop(&s);
}

static void *bg_stop(void *arg) {
  server_stop(arg);
  return NULL;
}

/* Stopping waits for a call in a worker, which still gets its answer. */
static void test_stop_in_flight(void **state) {
  (void)state;
  server_t s;
  server_start(&s, 1);
  gate_arm(&s.a);
  bg_get_t slow = {.port = s.port, .path = "/a"};
  pthread_t t, stopper;
  pthread_create(&t, NULL, bg_get, &slow);
  gate_wait_inside(&s.a);
  pthread_create(&stopper, NULL, bg_stop, &s);
  usleep(100 * 1000); /* let the stop begin (its order is not asserted) */
  gate_release(&s.a);
  pthread_join(stopper, NULL);
  pthread_join(t, NULL);
  assert_int_equal(slow.status, 200);
  assert_string_equal(slow.body, "a");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_request_value),
      cmocka_unit_test(test_keep_alive),
      cmocka_unit_test(test_blocked_on_probation),
      cmocka_unit_test(test_blocked_inline),
      cmocka_unit_test(test_stop_in_flight),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

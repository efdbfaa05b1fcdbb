/* outbound_test.c - outbound HTTP (src/trigger/outbound.c,
 * allowed_hosts.c): the allowed_outbound_hosts patterns, good and bad,
 * against a table of URLs; then send-request from a real guest
 * (tests/guests/http_proxy.c, through the http-trigger world) to a real
 * libmicrohttpd server this test runs on 127.0.0.1, which counts the
 * requests it gets: an allowed host answers with its status, lowercased
 * headers and body; a denied one gets destination-not-allowed without a
 * connection (and a line on stderr); a redirect is not followed; a closed
 * port is request-error, a bad URL invalid-url, a body past 64 MiB
 * runtime-error. Run from the repository root. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <microhttpd.h>

#include "runtime/runtime.h"
#include "testlib.h"
#include "trigger/outbound.h"
#include "weft.h"

/* ---- a manifest with one component, "c" --------------------------------- */

/* The manifest's line holding allowed_outbound_hosts. */
#define HOSTS_LINE 13

/* Parse a manifest whose component has allowed_outbound_hosts = `hosts`
 * (a TOML array) and resolve its variables with `overrides`. */
static void manifest(const char *hosts, const char *const *overrides, size_t n,
                     weft__manifest_t **m, weft__vars_t **v) {
  char text[2048];
  weft_error_t err = {0};
  snprintf(text, sizeof text,
           "spin_manifest_version = 2\n"
           "[application]\n"
           "name = \"t\"\n"
           "[variables]\n"
           "host = { default = \"Example.COM\" }\n"
           "port = { default = \"8080\" }\n"
           "closed = { default = \"1\" }\n"
           "[[trigger.http]]\n"
           "route = \"/...\"\n"
           "component = \"c\"\n"
           "[component.c]\n"
           "source = \"c.wasm\"\n"
           "allowed_outbound_hosts = %s\n",
           hosts);
  if (weft__manifest_parse(text, strlen(text), "spin.toml", ".", m, &err) < 0 ||
      weft__vars_new(*m, overrides, n, v, &err) < 0)
    fail_msg("manifest with %s: %s", hosts, err.msg);
}

/* allowed_outbound_hosts = `hosts`, parsed: 0 and *out, or the error. */
static int hosts_of(const char *hosts, weft__allowed_hosts_t **out,
                    weft_error_t *err) {
  weft__manifest_t *m;
  weft__vars_t *v;
  manifest(hosts, NULL, 0, &m, &v);
  int rc =
      weft__allowed_hosts_new(weft__manifest_component(m, "c"), v, out, err);
  weft__vars_free(v);
  weft__manifest_free(m);
  return rc;
}

/* ---- patterns ----------------------------------------------------------- */

static void test_patterns(void **state) {
  (void)state;
  static const struct {
    const char *hosts, *url;
    bool allow;
  } cases[] = {
      {"[\"http://example.com\"]", "http://example.com/x", true},
      {"[\"http://example.com\"]", "http://EXAMPLE.com:80/", true},
      {"[\"http://example.com\"]", "HTTP://example.com", true},
      {"[\"http://example.com\"]", "http://u:p@example.com/", true},
      {"[\"http://example.com\"]", "http://example.com:8080/", false},
      {"[\"http://example.com\"]", "https://example.com/", false},
      {"[\"http://example.com\"]", "http://sub.example.com/", false},
      {"[\"http://example.com\"]", "http://example.com.evil.org/", false},
      {"[\"http://example.com\"]", "http://example.com@evil.org/", false},
      {"[\"http://example.com\"]", "http://evil.org#@example.com", false},
      {"[\"http://example.com\"]", "not a url", false},
      {"[\"http://Example.Com/\"]", "http://example.com/", true},
      {"[\" http://example.com \"]", "http://example.com/", true},
      {"[\"https://example.com\"]", "https://example.com/a?b", true},
      {"[\"https://example.com\"]", "https://example.com:443/", true},
      {"[\"https://example.com\"]", "http://example.com:443/", false},
      {"[\"*://example.com:*\"]", "http://example.com/", true},
      {"[\"*://example.com:*\"]", "https://example.com:9/", true},
      {"[\"*://example.com:*\"]", "http://example.org/", false},
      {"[\"http://*.example.com\"]", "http://a.example.com/", true},
      {"[\"http://*.example.com\"]", "http://a.b.example.com/", true},
      {"[\"http://*.example.com\"]", "http://example.com/", false},
      {"[\"http://*.example.com\"]", "http://badexample.com/", false},
      {"[\"http://*:8080\"]", "http://anything.at.all:8080/", true},
      {"[\"http://*:8080\"]", "http://anything:80/", false},
      {"[\"http://127.0.0.1:8000..8010\"]", "http://127.0.0.1:8000/", true},
      {"[\"http://127.0.0.1:8000..8010\"]", "http://127.0.0.1:8009/", true},
      {"[\"http://127.0.0.1:8000..8010\"]", "http://127.0.0.1:8010/", false},
      {"[\"http://127.0.0.1:8000..8010\"]", "http://127.0.0.1:7999/", false},
      {"[\"http://[::1]:3000\"]", "http://[::1]:3000/", true},
      {"[\"http://[::1]:3000\"]", "http://[::2]:3000/", false},
      {"[\"http://{{ host }}:{{ port }}\"]", "http://example.com:8080/", true},
      {"[\"http://{{host}}:{{ port }}\"]", "http://example.com/", false},
      {"[\"http://a.org\", \"https://b.org\"]", "https://b.org/", true},
      {"[\"http://a.org\", \"https://b.org\"]", "http://b.org/", false},
      {"[\"insecure:allow-all\"]", "ftp://anywhere:21/", true},
      {"[]", "http://example.com/", false},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    weft__allowed_hosts_t *a = NULL;
    weft_error_t err = {0};
    if (hosts_of(cases[i].hosts, &a, &err) < 0)
      fail_msg("%s: %s", cases[i].hosts, err.msg);
    if (weft__allowed_hosts_allow(a, cases[i].url) != cases[i].allow)
      fail_msg("%s: '%s' should be %s", cases[i].hosts, cases[i].url,
               cases[i].allow ? "allowed" : "denied");
    weft__allowed_hosts_free(a);
  }
}

static void test_bad_patterns(void **state) {
  (void)state;
  static const struct {
    const char *hosts, *why;
  } cases[] = {
      {"[\"example.com\"]", "has no scheme"},
      {"[\"example.com:80\"]", "has no scheme"},
      {"[\"://example.com\"]", "has no scheme"},
      {"[\"ht3p://example.com:80\"]", "bad scheme"},
      {"[\"http://example.com/path\"]", "has a path"},
      {"[\"http://example.com?q\"]", "has a path"},
      {"[\"http://example.com:abc\"]", "bad port"},
      {"[\"http://example.com:70000\"]", "bad port"},
      {"[\"http://example.com:\"]", ""}, /* empty port: the default */
      {"[\"http://example.com:10..5\"]", "bad port range"},
      {"[\"http://example.com:1..x\"]", "bad port range"},
      {"[\"http://:80\"]", "has no host"},
      {"[\"http://\"]", "has no host"},
      {"[\"http://ex*ample.com\"]", "bad host"},
      {"[\"http://*.*.com\"]", "bad host"},
      {"[\"http://user@example.com\"]", "bad host"},
      {"[\"http://[::1\"]", "bad IPv6"},
      {"[\"*://example.com\"]", "has no port"},
      {"[\"ftp://example.com\"]", "has no port"},
      {"[\"http://a.org\", \"nope\"]", "'nope' has no scheme"},
      {"[\"http://{{ host }}/x\"]", "'http://{{ host }}/x' has a path"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    weft__allowed_hosts_t *a = NULL;
    weft_error_t err = {0};
    int rc = hosts_of(cases[i].hosts, &a, &err);
    if (!*cases[i].why) {
      assert_int_equal(rc, 0);
      weft__allowed_hosts_free(a);
      continue;
    }
    if (rc != WEFT_EINVAL)
      fail_msg("%s: accepted", cases[i].hosts);
    char where[64];
    snprintf(where, sizeof where, "spin.toml:%d: component 'c': ", HOSTS_LINE);
    if (strncmp(err.msg, where, strlen(where)) ||
        !strstr(err.msg, cases[i].why))
      fail_msg("%s: message '%s', expected '%s...%s'", cases[i].hosts, err.msg,
               where, cases[i].why);
  }
}

/* ---- a test server on 127.0.0.1 ------------------------------------------ */

#define BIG ((64u << 20) + 1) /* one byte past the cap */

static struct MHD_Daemon *server;
static uint16_t port, closed_port;
static int requests; /* how many the server has seen */

typedef struct upload {
  char data[256];
  size_t len;
} upload_t;

static ssize_t big_body(void *cls, uint64_t pos, char *buf, size_t max) {
  (void)cls;
  if (pos >= BIG)
    return MHD_CONTENT_READER_END_OF_STREAM;
  size_t n = BIG - pos < max ? (size_t)(BIG - pos) : max;
  memset(buf, 'b', n);
  return (ssize_t)n;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status,
                             const char *body, const char *name,
                             const char *value) {
  struct MHD_Response *r = MHD_create_response_from_buffer(
      strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
  if (name)
    MHD_add_response_header(r, name, value);
  enum MHD_Result rc = MHD_queue_response(c, status, r);
  MHD_destroy_response(r);
  return rc;
}

/* /ok: 200 and a header in mixed case; /echo: the method, content-type
 * and body received; /redirect: 302 to a host the guest may not reach;
 * /large: 1 MiB; /big: 64 MiB + 1 with a length, /big-chunked without. */
static enum MHD_Result serve(void *cls, struct MHD_Connection *c,
                             const char *url, const char *method,
                             const char *version, const char *data,
                             size_t *size, void **con_cls) {
  (void)cls, (void)version;
  upload_t *up = *con_cls;
  if (!up) {
    __atomic_fetch_add(&requests, 1, __ATOMIC_SEQ_CST);
    *con_cls = up = calloc(1, sizeof *up);
    return up ? MHD_YES : MHD_NO;
  }
  if (*size) {
    size_t n = *size < sizeof up->data - 1 - up->len
                   ? *size
                   : sizeof up->data - 1 - up->len;
    memcpy(up->data + up->len, data, n);
    up->len += n;
    *size = 0;
    return MHD_YES;
  }
  if (!strcmp(url, "/ok"))
    return reply(c, 200, "hello from the test server", "X-Custom-Header",
                 "Yes");
  if (!strcmp(url, "/echo")) {
    const char *ct =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    char text[512];
    snprintf(text, sizeof text, "%s ct=%s body=%s", method, ct ? ct : "none",
             up->data);
    return reply(c, 200, text, NULL, NULL);
  }
  if (!strcmp(url, "/redirect")) {
    char to[64];
    snprintf(to, sizeof to, "http://localhost:%u/ok", port);
    return reply(c, 302, "", "Location", to);
  }
  if (!strcmp(url, "/large")) {
    static char large[1 << 20];
    memset(large, 'l', sizeof large);
    large[sizeof large - 1] = 0;
    return reply(c, 200, large, NULL, NULL);
  }
  if (!strncmp(url, "/big", 4)) {
    struct MHD_Response *r = MHD_create_response_from_callback(
        strcmp(url, "/big") ? MHD_SIZE_UNKNOWN : BIG, 65536, big_body, NULL,
        NULL);
    enum MHD_Result rc = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return rc;
  }
  return reply(c, 404, "not found", NULL, NULL);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode why) {
  (void)cls, (void)c, (void)why;
  free(*con_cls);
  *con_cls = NULL;
}

/* ---- the guest ------------------------------------------------------------
 */

static weft_engine_t *engine;
static weft_module_t *module;
static weft_wit_t *wit;
static weft_linker_t *linker;
static weft__manifest_t *app;
static weft__vars_t *vars;
static char port_var[32], closed_var[32];

static int setup(void **state) {
  (void)state;
  struct sockaddr_in sa = {.sin_family = AF_INET,
                           .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  server = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
                                MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL,
                            0, NULL, NULL, serve, NULL, MHD_OPTION_SOCK_ADDR,
                            &sa, MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
                            MHD_OPTION_END);
  const union MHD_DaemonInfo *di =
      server ? MHD_get_daemon_info(server, MHD_DAEMON_INFO_BIND_PORT) : NULL;
  int closed = free_port(); /* nothing listens on it (testlib.h) */
  if (!di || closed <= 0) {
    fprintf(stderr, "setup: cannot start the test server\n");
    return -1;
  }
  port = di->port;
  closed_port = (uint16_t)closed;
  snprintf(port_var, sizeof port_var, "port=%u", port);
  snprintf(closed_var, sizeof closed_var, "closed=%u", closed_port);
  const char *const overrides[] = {port_var, closed_var};
  manifest("[\"http://127.0.0.1:{{ port }}\", "
           "\"http://127.0.0.1:{{ closed }}\"]",
           overrides, 2, &app, &vars);

  weft_error_t err = {0};
  weft_wasi_config_t wasi = {.stdin_fd = -1, .stdout_fd = 1, .stderr_fd = 2};
  if (!(engine = test_engine_new(&err)) ||
      !(module = test_guest_load(engine, "http_proxy", &err)) ||
      !(wit = weft_wit_load("wit/spin", &err)) ||
      !(linker = weft_linker_new(engine)) ||
      weft_linker_define_wasi(linker, &wasi, &err) < 0 ||
      weft_linker_use_world(linker, wit, "http-trigger", &err) < 0 ||
      weft__outbound_define(linker, vars, weft__manifest_component(app, "c"),
                            &err) < 0 ||
      weft_linker_define_wit_traps(linker, &err) < 0) {
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
  weft__vars_free(vars);
  weft__manifest_free(app);
  if (server)
    MHD_stop_daemon(server);
  return 0;
}

/* What the proxy answered. */
typedef struct answer {
  int status;
  const weft_val_t *headers; /* list of (name, value) */
  const uint8_t *body;
  size_t len;
} answer_t;

static weft_instance_t *inst;

/* Ask the proxy to fetch `url` with method `method` (an http-types method
 * case) and `body` (NULL: none). The answer lives until the next call. */
static answer_t fetch(const char *url, uint32_t method, const char *body) {
  weft_error_t err = {0};
  char uri[512];
  snprintf(uri, sizeof uri, "/fetch?url=%s", url);
  weft_val_t bytes = {.kind = WEFT_VAL_LIST};
  bytes.of.bytes.ptr = (const uint8_t *)body;
  bytes.of.bytes.len = body ? strlen(body) : 0;
  weft_val_t f[5] = {
      {.kind = WEFT_VAL_ENUM, .of.var = {method, NULL}},
      {.kind = WEFT_VAL_STRING, .of.str = {uri, strlen(uri)}},
      {.kind = WEFT_VAL_LIST},
      {.kind = WEFT_VAL_LIST},
      {.kind = WEFT_VAL_OPTION, .of.var = {body != NULL, &bytes}}};
  weft_val_t req = {.kind = WEFT_VAL_RECORD, .of.list = {f, 5}}, res;
  if (!inst) {
    weft__rt_install_handlers();
    inst = weft_instance_new(linker, module, NULL, &err);
    if (!inst ||
        weft_instance_invoke(inst, "_initialize", NULL, 0, NULL, 0, &err) < 0)
      fail_msg("%s", err.msg);
  }
  if (weft_call(inst, "fermyon:spin/inbound-http#handle-request", &req, 1, &res,
                1, &err) < 0)
    fail_msg("%s: %s", url, err.msg);
  const weft_val_t *r = res.of.list.ptr;
  answer_t a = {.status = r[0].of.u16};
  a.headers = r[1].of.var.tag ? r[1].of.var.val : NULL;
  if (r[2].of.var.tag) {
    a.body = r[2].of.var.val->of.bytes.ptr;
    a.len = r[2].of.var.val->of.bytes.len;
  }
  return a;
}

/* The value of header `name` in `a`, or ABSENT. */
#define ABSENT "(absent)"
static const char *header(const answer_t *a, const char *name) {
  for (size_t i = 0; a->headers && i < a->headers->of.list.len; i++) {
    const weft_val_t *kv = a->headers->of.list.ptr[i].of.list.ptr;
    if (!strcmp(kv[0].of.str.ptr, name))
      return kv[1].of.str.ptr;
  }
  return ABSENT;
}

static void expect_body(const answer_t *a, const char *want) {
  if (a->len != strlen(want) || memcmp(a->body, want, a->len))
    fail_msg("body '%.*s', expected '%s'", (int)a->len, (const char *)a->body,
             want);
}

static int seen(void) { return __atomic_load_n(&requests, __ATOMIC_SEQ_CST); }

/* ---- send-request ---------------------------------------------------------
 */

static void test_allowed(void **state) {
  (void)state;
  char url[128];
  int before = seen();
  snprintf(url, sizeof url, "http://127.0.0.1:%u/ok", port);
  answer_t a = fetch(url, 0, NULL);
  assert_int_equal(a.status, 200);
  assert_string_equal(header(&a, "x-upstream-status"), "200");
  assert_string_equal(header(&a, "upstream-x-custom-header"), "Yes");
  assert_string_equal(header(&a, "upstream-content-length"), "26");
  expect_body(&a, "hello from the test server");
  assert_int_equal(seen(), before + 1);

  /* The method and body go through, and curl adds no content-type. */
  snprintf(url, sizeof url, "http://127.0.0.1:%u/echo", port);
  a = fetch(url, 1, "abc");
  expect_body(&a, "POST ct=none body=abc");
  a = fetch(url, 2, "");
  expect_body(&a, "PUT ct=none body=");
  a = fetch(url, 3, NULL);
  expect_body(&a, "DELETE ct=none body=");
  a = fetch(url, 0, "in a get");
  expect_body(&a, "GET ct=none body=in a get");

  snprintf(url, sizeof url, "http://127.0.0.1:%u/ok", port);
  a = fetch(url, 5, NULL); /* HEAD */
  assert_string_equal(header(&a, "x-upstream-status"), "200");
  assert_int_equal(a.len, 0);

  snprintf(url, sizeof url, "http://127.0.0.1:%u/large", port);
  a = fetch(url, 0, NULL);
  assert_int_equal(a.len, (1 << 20) - 1);
  assert_int_equal(a.body[0], 'l');
  assert_int_equal(a.body[a.len - 1], 'l');
}

/* Run fetch(url) with stderr going to a file; the text written to it. */
static answer_t fetch_logged(const char *url, char *log, size_t size) {
  FILE *tmp = tmpfile();
  int saved = dup(2);
  fflush(stderr);
  dup2(fileno(tmp), 2);
  answer_t a = fetch(url, 0, NULL);
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  rewind(tmp);
  size_t n = fread(log, 1, size - 1, tmp);
  log[n] = 0;
  fclose(tmp);
  return a;
}

static void test_denied(void **state) {
  (void)state;
  char url[128], log[512], line[256];
  int before = seen();
  /* localhost is 127.0.0.1 too: were it not denied, the server would
   * count it. */
  const char *const forms[] = {"http://localhost:%u/ok",
                               "https://127.0.0.1:%u/ok",
                               "http://127.0.0.1/ok?%u"};
  for (size_t i = 0; i < 3; i++) {
    snprintf(url, sizeof url, forms[i], port);
    answer_t a = fetch_logged(url, log, sizeof log);
    assert_int_equal(a.status, 502);
    expect_body(&a, "destination-not-allowed");
    snprintf(line, sizeof line,
             "weft: component 'c': outbound request to %s denied (not in "
             "allowed_outbound_hosts)\n",
             url);
    assert_string_equal(log, line);
  }
  /* A URL with a control character is refused before it is checked, so
   * it cannot break the log line. */
  answer_t a = fetch_logged("http://x.org/a\nb", log, sizeof log);
  expect_body(&a, "invalid-url");
  assert_string_equal(log, "");
  assert_int_equal(seen(), before);
}

static void test_redirect_not_followed(void **state) {
  (void)state;
  char url[128], loc[128];
  int before = seen();
  snprintf(url, sizeof url, "http://127.0.0.1:%u/redirect", port);
  snprintf(loc, sizeof loc, "http://localhost:%u/ok", port);
  answer_t a = fetch(url, 0, NULL);
  assert_int_equal(a.status, 200);
  assert_string_equal(header(&a, "x-upstream-status"), "302");
  assert_string_equal(header(&a, "upstream-location"), loc);
  assert_int_equal(seen(), before + 1);
}

static void test_errors(void **state) {
  (void)state;
  char url[128];
  int before = seen();
  snprintf(url, sizeof url, "http://127.0.0.1:%u/ok", closed_port);
  answer_t a = fetch(url, 0, NULL);
  assert_int_equal(a.status, 502);
  expect_body(&a, "request-error");
  const char *const bad[] = {"not%20a%20url", "http://", "/relative",
                             "ftp://127.0.0.1/"};
  for (size_t i = 0; i < 4; i++) {
    a = fetch(bad[i], 0, NULL);
    assert_int_equal(a.status, 502);
    expect_body(&a, "invalid-url");
  }
  assert_int_equal(seen(), before);
  /* Past 64 MiB, with a content-length or without. */
  snprintf(url, sizeof url, "http://127.0.0.1:%u/big", port);
  a = fetch(url, 0, NULL);
  expect_body(&a, "runtime-error");
  snprintf(url, sizeof url, "http://127.0.0.1:%u/big-chunked", port);
  a = fetch(url, 0, NULL);
  expect_body(&a, "runtime-error");
  /* Still usable afterwards. */
  snprintf(url, sizeof url, "http://127.0.0.1:%u/ok", port);
  a = fetch(url, 0, NULL);
  expect_body(&a, "hello from the test server");
}

/* A world without fermyon:spin/http: ENOTFOUND, so the caller skips it;
 * a bad entry is still reported. */
static void test_world_without_http(void **state) {
  (void)state;
  weft_error_t err = {0};
  weft_wit_t *timer = weft_wit_load("wit/spin-timer", &err);
  weft_linker_t *l = weft_linker_new(engine);
  assert_non_null(timer);
  assert_int_equal(weft_linker_use_world(l, timer, NULL, &err), 0);
  assert_int_equal(
      weft__outbound_define(l, vars, weft__manifest_component(app, "c"), &err),
      WEFT_ENOTFOUND);
  weft__manifest_t *m;
  weft__vars_t *v;
  manifest("[\"http://x.org/p\"]", NULL, 0, &m, &v);
  assert_int_equal(
      weft__outbound_define(l, v, weft__manifest_component(m, "c"), &err),
      WEFT_EINVAL);
  weft__vars_free(v);
  weft__manifest_free(m);
  weft_linker_free(l);
  weft_wit_free(timer);
}

static int free_instance(void **state) {
  (void)state;
  weft_instance_free(inst);
  inst = NULL;
  return teardown(state);
}

int main(void) {
  const struct CMUnitTest patterns[] = {
      cmocka_unit_test(test_patterns),
      cmocka_unit_test(test_bad_patterns),
  };
  const struct CMUnitTest requests_[] = {
      cmocka_unit_test(test_allowed),
      cmocka_unit_test(test_denied),
      cmocka_unit_test(test_redirect_not_followed),
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_world_without_http),
  };
  int failed = cmocka_run_group_tests(patterns, NULL, NULL);
  return failed + cmocka_run_group_tests(requests_, setup, free_instance);
}

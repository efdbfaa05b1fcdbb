/* http_guest.c - the HTTP trigger's guest path measured in-process,
 * without the network: what separates peer (a) of bench/http.sh (the wasm
 * handler) from peer (b) (the same handler compiled natively).
 *
 * examples/hello is loaded as `weft up` loads it (weft__app_start: WASI,
 * the spin world, the host APIs, a pool of instances), and each request
 * does what src/trigger/http.c does for an inline GET / from wrk around the
 * handler: take an instance from the pool (serve_inline), open the
 * request's deadline event (the pool's deadline, 30 s as `weft up`'s
 * default, from one clock read), call the handler with a request record
 * like request_val's (the `host` header wrk sends, then the spin-* headers
 * from the app's own router), read the response as set_response does
 * (status, headers, body; the bytes are checked once), and give the
 * instance back (completed: weft__pool_give resets it and runs
 * _initialize). Building the request value and making the libmicrohttpd
 * response are left out: peer (b) pays for them too.
 *
 * Prints the best of 5 runs of N requests (default 50 000), and a
 * breakdown (take, call, give) from a separate run timed phase by phase,
 * less the cost of the clock reads it adds.
 *
 * Usage: http_guest [N [--once]] from the repository root (needs
 * examples/hello/hello.wasm: make guests); --once makes a single run of N
 * requests and no breakdown, for a profiler (callgrind). Built and run by
 * bench/http-guest.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/route.h"
#include "runtime/runtime.h"
#include "trigger/app.h"
#include "util/util.h"
#include "weft.h"

#define APP "examples/hello"
#define HANDLER "fermyon:spin/inbound-http#handle-request"
#define HOST "127.0.0.1:8080"
#define CLIENT "127.0.0.1:54321"
#define TEXT "hello from weft"
#define RUNS 5
#define MAX_HEADERS 16

static void die(const char *what, const weft_error_t *err) {
  fprintf(stderr, "http_guest: %s: %s\n", what, err ? err->msg : "failed");
  exit(1);
}

/* The request record of fermyon:spin/http-types@2.0.0 for `GET /`, as
 * request_val in src/trigger/http.c builds it. */
typedef struct request {
  weft_val_t rec, fields[6];
  weft_val_t headers[MAX_HEADERS], pairs[MAX_HEADERS][2];
  size_t nheaders;
} request_t;

static weft_val_t str_val(const char *s, size_t n) {
  weft_val_t v = {.kind = WEFT_VAL_STRING};
  v.of.str.ptr = s;
  v.of.str.len = n;
  return v;
}

static void add_pair(request_t *r, const char *k, const char *v, size_t vl) {
  if (r->nheaders == MAX_HEADERS)
    die("request", NULL);
  weft_val_t *t = r->pairs[r->nheaders];
  t[0] = str_val(k, strlen(k));
  t[1] = str_val(v, vl);
  weft_val_t *e = &r->headers[r->nheaders++];
  e->kind = WEFT_VAL_TUPLE;
  e->of.list.ptr = t;
  e->of.list.len = 2;
}

static void add_str(request_t *r, const char *k, const char *v) {
  add_pair(r, k, v, strlen(v));
}

static void request_init(request_t *r, const weft__route_match_t *m) {
  memset(r, 0, sizeof *r);
  add_str(r, "host", HOST);
  add_str(r, "spin-full-url", "http://" HOST "/");
  add_pair(r, "spin-path-info", m->path_info, m->path_info_len);
  add_str(r, "spin-matched-route", m->matched_route);
  add_str(r, "spin-component-route", m->component_route);
  add_str(r, "spin-raw-component-route", m->raw_component_route);
  add_str(r, "spin-base-path", m->base_path);
  add_str(r, "spin-client-addr", CLIENT);
  weft_val_t *f = r->fields;
  f[0] = (weft_val_t){.kind = WEFT_VAL_ENUM, .of.var.tag = 0}; /* GET */
  f[1] = str_val("/", 1);
  f[2].kind = WEFT_VAL_LIST;
  f[2].of.list.ptr = r->headers;
  f[2].of.list.len = r->nheaders;
  f[3].kind = WEFT_VAL_LIST; /* params: none */
  f[4].kind = WEFT_VAL_OPTION; /* body: none for a GET without one */
  r->rec.kind = WEFT_VAL_RECORD;
  r->rec.of.list.ptr = f;
  r->rec.of.list.len = 5;
}

/* What set_response reads of the response record; with `check`, that it
 * is examples/hello's answer. Returns a value depending on all of it. */
static size_t read_response(const weft_val_t *v, int check) {
  const weft_val_t *f = v->of.list.ptr;
  unsigned status = f[0].of.u16;
  const weft_val_t *body = f[2].of.var.tag ? f[2].of.var.val : NULL;
  size_t sum = status + (body ? body->of.bytes.len : 0);
  const weft_val_t *hs = f[1].of.var.tag ? f[1].of.var.val : NULL;
  for (size_t i = 0; hs && i < hs->of.list.len; i++) {
    const weft_val_t *t = hs->of.list.ptr[i].of.list.ptr;
    sum += t[0].of.str.len + t[1].of.str.len + (unsigned char)*t[0].of.str.ptr;
  }
  if (check &&
      (status != 200 || !body || body->of.bytes.len != sizeof TEXT - 1 ||
       memcmp(body->of.bytes.ptr, TEXT, sizeof TEXT - 1) || !hs ||
       hs->of.list.len != 1 ||
       strcmp(hs->of.list.ptr[0].of.list.ptr[0].of.str.ptr, "content-type")))
    die("response", NULL);
  return sum;
}

typedef struct bench {
  weft__pool_t *pool;
  const weft_func_t *fn;
  uint64_t limit; /* the pool's per-request deadline */
  request_t req;
  size_t sink;
} bench_t;

/* One request, as the trigger serves it inline, then completes it. */
static void request(bench_t *b, int check) {
  weft_error_t err;
  err.code = 0;
  weft_instance_t *inst = weft__pool_try_take(b->pool, &err);
  if (!inst)
    die("take", &err);
  uint64_t start = weft__now_ns();
  weft__rt_event_t ev;
  weft__rt_event_begin(&ev, b->limit ? start + b->limit : 0);
  weft_val_t res;
  int rc = weft_call_func(inst, b->fn, &b->req.rec, 1, &res, 1, &err);
  weft__rt_event_end(&ev);
  if (rc < 0)
    die("call", &err);
  b->sink += read_response(&res, check);
  weft__pool_give(b->pool, inst);
}

/* The same with each phase timed: adds to t[0] take, t[1] the call (the
 * deadline event, lowering, handler, lifting, post-return, reading the
 * response), t[2] give (reset, _initialize). */
static void request_timed(bench_t *b, uint64_t t[3]) {
  weft_error_t err;
  err.code = 0;
  uint64_t t0 = weft__now_ns();
  weft_instance_t *inst = weft__pool_try_take(b->pool, &err);
  if (!inst)
    die("take", &err);
  uint64_t start = weft__now_ns();
  weft__rt_event_t ev;
  weft__rt_event_begin(&ev, b->limit ? start + b->limit : 0);
  weft_val_t res;
  int rc = weft_call_func(inst, b->fn, &b->req.rec, 1, &res, 1, &err);
  weft__rt_event_end(&ev);
  if (rc < 0)
    die("call", &err);
  b->sink += read_response(&res, 0);
  uint64_t t2 = weft__now_ns();
  weft__pool_give(b->pool, inst);
  uint64_t t3 = weft__now_ns();
  t[0] += start - t0;
  t[1] += t2 - start;
  t[2] += t3 - t2;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 50000;
  int once = argc > 2 && !strcmp(argv[2], "--once");
  if (n <= 0) {
    fprintf(stderr, "usage: http_guest [N [--once]]\n");
    return 2;
  }
  if (access(APP "/hello.wasm", R_OK) < 0) {
    fprintf(stderr, "http_guest: " APP "/hello.wasm is missing: make "
            "guests\n");
    return 1;
  }
  char logs[] = "/tmp/weft-http-guest-XXXXXX";
  if (!mkdtemp(logs)) {
    perror("http_guest: mkdtemp");
    return 1;
  }
  weft_error_t err = {0};
  /* As `weft up` compiles it: with write tracking. */
  weft_engine_config_t ec = {.opt_level = -1, .track_writes = true};
  weft_engine_t *engine = weft_engine_new(&ec, &err);
  if (!engine)
    die("engine", &err);
  weft__app_config_t cfg = {.path = APP,
                            .host = "127.0.0.1",
                            .request_timeout_ns = 30000000000ull,
                            .log_dir = logs,
                            .quiet = true,
                            .engine = engine};
  weft__app_t *app = NULL;
  if (weft__app_start(&cfg, &app, &err) < 0)
    die(APP, &err);
  weft__router_t *router = NULL;
  weft__route_match_t m;
  if (weft__router_new(weft__app_manifest(app), &router, &err) < 0)
    die("router", &err);
  if (weft__router_match(router, "/", 1, &m) < 0)
    die("no route for '/'", NULL);

  bench_t b = {.pool = weft__app_pool(app, m.component_id)};
  if (!b.pool)
    die("no pool", NULL);
  b.limit = weft__pool_deadline_ns(b.pool);
  request_init(&b.req, &m);
  weft_instance_t *inst = weft__pool_take(b.pool, &err);
  if (!inst || !(b.fn = weft_instance_func(inst, HANDLER, &err)))
    die("handler", &err);
  weft__pool_give(b.pool, inst);
  request(&b, 1); /* the answer is right (and warm up) */
  for (int i = 0; i < 100; i++)
    request(&b, 0);

  double best = 0;
  for (int run = 0; run < (once ? 1 : RUNS); run++) {
    uint64_t t0 = weft__now_ns();
    for (long i = 0; i < n; i++)
      request(&b, 0);
    double us = (double)(weft__now_ns() - t0) / 1e3 / (double)n;
    if (!run || us < best)
      best = us;
  }
  request(&b, 1);
  printf("guest path per request: %.3f us (best of %d runs of %ld)\n", best,
         once ? 1 : RUNS, n);
  if (!once) {
    /* The clock read's own cost, subtracted from the timed phases. */
    uint64_t c0 = weft__now_ns(), x = 0;
    for (int i = 0; i < 100000; i++)
      x += weft__now_ns();
    double clk = (double)(weft__now_ns() - c0) / 1e5;
    b.sink += (size_t)(x & 1);
    uint64_t t[3] = {0};
    for (long i = 0; i < n; i++)
      request_timed(&b, t);
    static const char *const names[3] = {
        "take", "call (lower, handler, lift, post-return)",
        "give (reset, _initialize)"};
    for (int i = 0; i < 3; i++) {
      double us = ((double)t[i] / (double)n - clk) / 1e3;
      printf("  %-44s %.3f us\n", names[i], us > 0 ? us : 0);
    }
    printf("  (one clock read: %.0f ns, subtracted from each phase)\n", clk);
  }
  weft__router_free(router);
  weft__app_stop(app);
  weft_engine_free(engine);
  char cmd[64];
  snprintf(cmd, sizeof cmd, "rm -rf %s", logs);
  if (system(cmd) != 0 || !b.sink)
    return 1;
  return 0;
}

/* http.c - the HTTP trigger on libmicrohttpd (http.h).
 *
 * Threads. An acceptor thread hands each new connection to one of a few
 * polling threads (a libmicrohttpd daemon each, epoll, one per CPU, at
 * least two): the one with the fewest connections among those not held by
 * a long guest call. Each serves many connections. A request whose component
 * is known to answer quickly runs its guest inline, on the polling thread
 * that read it: no thread switch and no system call besides the socket's
 * own, which is what brings the HTTP path close to nginx (see
 * docs/internals/http-bench.md). Every other request takes the slow path:
 * its connection is suspended and a worker thread (made on demand, gone
 * when idle) takes an instance, waiting for the pool if it must, calls the
 * guest and resumes the connection with the response ready. So a guest
 * that blocks or loops holds a worker, not a polling thread.
 *
 * Which components are quick is learnt per route target, from the wall
 * time of its calls (a guest that waits on the network is slow too): a
 * new one is on probation, its first PROBATION calls made by workers; it
 * runs inline if the quickest of them took less than SLOW_NS, and then
 * while the moving average of its inline calls stays under SLOW_NS. One
 * call of LONG_NS, or an inline call seen running that long, sends it
 * back to the workers for COOL_NS, after which it is on probation again.
 * Below LONG_NS no single call decides: on a busy machine the scheduler
 * stretches some calls (and many workers at once stretch all of theirs,
 * hence the quickest, not the average, on probation). The one exposure
 * left: a component that has been quick and then runs long holds its
 * polling thread, and the connections that thread serves wait, until the
 * call ends (at the latest at the request deadline); the other polling
 * threads go on accepting and serving meanwhile.
 *
 * A request's state (raw URI, body, the request value passed to the guest,
 * the instance serving it, the response) lives in `req_t` from the URI
 * callback to the completion callback, which gives the instance back to
 * its pool after the response has been sent: the response body is the
 * guest's own result, kept until then without a copy, and the reset is off
 * the response's path. Each polling thread keeps one spare `req_t`, so
 * that a request usually reuses the previous one's arena and buffers. */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runtime/runtime.h"
#include "trigger/http.h"
#include "util/arena.h"
#include "util/util.h"

#define HANDLER_DEFAULT "fermyon:spin/inbound-http#handle-request"
/* Inline targets: the quickest probation call and the average inline
 * call under SLOW_NS; one call of LONG_NS sends a target to the workers
 * for COOL_NS. */
#define SLOW_NS (5ull * 1000 * 1000)
#define LONG_NS (100ull * 1000 * 1000)
#define COOL_NS (10ull * 1000 * 1000 * 1000)
/* Calls, made by workers, before a target may run inline. */
#define PROBATION 8
/* Workers: at most this many at once; one idle this long ends. */
#define MAX_WORKERS 1024
#define WORKER_IDLE_S 10

typedef struct req req_t;

/* What is learnt about one route target (http.h). */
typedef struct target_state {
  _Atomic uint64_t slow_until; /* monotonic ns; slow path until then */
  _Atomic unsigned calls;      /* probation calls made (to PROBATION) */
  _Atomic uint64_t min_ns;     /* the quickest of them */
  _Atomic uint64_t avg_ns;     /* moving average of inline calls, 1/8 */
  const weft_func_t *_Atomic func; /* the handler, once resolved */
} target_state_t;

/* A polling thread and its daemon: its connections, the inline call it
 * runs, if any, and its spare request state. Its daemon's callbacks get
 * it as their closure. */
typedef struct poller {
  weft__http_t *h;
  struct MHD_Daemon *d;
  _Atomic unsigned conns; /* open connections */
  _Atomic size_t target;  /* index + 1 of the target called inline; 0 */
  _Atomic uint64_t since; /* when that call started */
  req_t *spare;
} poller_t;

struct weft__http {
  weft__http_config_t cfg;
  int fd; /* the listening socket */
  uint16_t port;
  pthread_t acceptor;
  bool accepting;
  target_state_t *ts;
  poller_t *pollers;
  unsigned npollers;
  _Atomic int stopping;
  _Atomic unsigned inflight; /* requests between serve and completion */
  /* The workers and their queue of suspended requests. */
  pthread_mutex_t mu;
  pthread_cond_t work;   /* a request was queued, or the end is near */
  pthread_cond_t gone;   /* a worker ended */
  req_t *head, *tail;
  size_t queued, nworkers, nidle;
  int quit;
};

struct req {
  weft__http_t *h;
  poller_t *poller; /* its connection's */
  char *uri;        /* raw request target: path and query (arena) */
  weft__buf_t body;
  bool too_large;
  bool started;     /* the first access call has been seen */
  bool answered;    /* the slow path has set `status` and `resp` */
  bool counted;     /* in h->inflight */
  int method;       /* index into methods[] */
  size_t ti;        /* the route target */
  weft_val_t req;   /* the request value */
  weft__pool_t *pool; /* the instance's, once taken */
  weft_instance_t *inst;
  weft_val_t native_res; /* a native handler's response, until posted */
  bool native_done;
  unsigned status;
  struct MHD_Response *resp;
  struct MHD_Connection *c;
  req_t *next;      /* in the workers' queue */
  weft__arena_t arena;
};

static const char *const methods[] = {"GET",    "POST", "PUT",    "DELETE",
                                      "PATCH",  "HEAD", "OPTIONS"};

/* ---- request state ------------------------------------------------------- */

static void req_free(req_t *r) {
  if (!r)
    return;
  weft__buf_release(&r->body);
  weft__arena_release(&r->arena);
  free(r);
}

static void *uri_log(void *cls, const char *uri, struct MHD_Connection *c) {
  (void)c;
  poller_t *p = cls;
  req_t *r = p->spare;
  if (r)
    p->spare = NULL;
  else if ((r = calloc(1, sizeof *r))) {
    weft__buf_init(&r->body);
    r->arena.limit = (size_t)1 << 30;
  }
  if (!r)
    return NULL;
  r->h = p->h;
  r->poller = p;
  if (!uri)
    uri = "/";
  r->uri = weft__arena_strndup(&r->arena, uri, strlen(uri));
  return r;
}

/* After the response: give the instance back (reset for its next event),
 * let a native handler free its response, keep or free the state. */
static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe) {
  (void)c, (void)toe;
  poller_t *p = cls;
  weft__http_t *h = p->h;
  req_t *r = *con_cls;
  *con_cls = NULL;
  if (!r)
    return;
  if (r->counted)
    atomic_fetch_sub(&h->inflight, 1);
  if (r->inst)
    weft__pool_give(r->pool, r->inst);
  if (r->native_done) {
    const weft__http_target_t *t = &h->cfg.targets[r->ti];
    if (t->native_post)
      t->native_post(t->native_env, &r->native_res);
  }
  if (r->resp)
    MHD_destroy_response(r->resp);
  if (!p->spare && r->arena.total <= 65536 &&
      r->body.cap <= 65536) {
    weft__arena_t arena = r->arena;
    weft__buf_t body = r->body;
    weft__arena_reset(&arena);
    body.len = 0;
    memset(r, 0, sizeof *r);
    r->arena = arena;
    r->body = body;
    p->spare = r;
    return;
  }
  req_free(r);
}

/* ---- responses ----------------------------------------------------------- */

static struct MHD_Response *text_response(const char *text) {
  struct MHD_Response *resp = MHD_create_response_from_buffer(
      strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
  if (resp)
    MHD_add_response_header(resp, "content-type", "text/plain");
  return resp;
}

/* Answer with a text of our own (a string literal). */
static enum MHD_Result answer(struct MHD_Connection *c, unsigned status,
                              const char *text) {
  struct MHD_Response *resp = text_response(text);
  if (!resp)
    return MHD_NO;
  enum MHD_Result rc = MHD_queue_response(c, status, resp);
  MHD_destroy_response(resp);
  return rc;
}

/* The response from a response record of fermyon:spin/http-types. Its
 * body is borrowed: it stays valid until the request completes (the
 * instance is reset, or the native handler's post runs, only then). */
static void set_response(req_t *r, const weft_val_t *v,
                         const char *component) {
  const weft_val_t *f = v->of.list.ptr;
  unsigned status = f[0].of.u16;
  if (status < 100 || status > 999) {
    fprintf(stderr, "weft: http: component '%s' answered status %u\n",
            component, status);
    r->status = 500;
    r->resp = text_response("bad status from the component\n");
    return;
  }
  const weft_val_t *body = f[2].of.var.tag ? f[2].of.var.val : NULL;
  struct MHD_Response *resp = MHD_create_response_from_buffer(
      body ? body->of.bytes.len : 0,
      body ? (void *)body->of.bytes.ptr : (void *)"",
      MHD_RESPMEM_PERSISTENT);
  if (resp && f[1].of.var.tag) {
    const weft_val_t *hs = f[1].of.var.val;
    for (size_t i = 0; i < hs->of.list.len; i++) {
      const weft_val_t *t = hs->of.list.ptr[i].of.list.ptr;
      if (MHD_add_response_header(resp, t[0].of.str.ptr, t[1].of.str.ptr) ==
          MHD_NO)
        fprintf(stderr, "weft: http: component '%s': header '%s' refused\n",
                component, t[0].of.str.ptr);
    }
  }
  r->status = status;
  r->resp = resp;
}

static void set_answer(req_t *r, unsigned status, const char *text) {
  r->status = status;
  r->resp = text_response(text);
}

/* ---- building the request value ------------------------------------------ */

typedef struct pairs {
  weft__arena_t *a;
  weft_val_t *items;
  size_t len, cap;
  const char *host;
  bool failed;
} pairs_t;

/* A string value that borrows `s` (it outlives the call). */
static weft_val_t str_val(const char *s, size_t n) {
  weft_val_t v = {.kind = WEFT_VAL_STRING};
  v.of.str.ptr = s ? s : "";
  v.of.str.len = s ? n : 0;
  return v;
}

static void add_pair(pairs_t *p, const char *k, size_t kl, const char *v,
                     size_t vl) {
  if (p->len == p->cap) {
    size_t cap = p->cap ? 2 * p->cap : 32;
    weft_val_t *n = weft__arena_alloc(p->a, cap * sizeof *n);
    if (!n) {
      p->failed = true;
      return;
    }
    if (p->len)
      memcpy(n, p->items, p->len * sizeof *n);
    p->items = n;
    p->cap = cap;
  }
  weft_val_t *t = weft__arena_alloc(p->a, 2 * sizeof *t);
  if (!t) {
    p->failed = true;
    return;
  }
  t[0] = str_val(k, kl);
  t[1] = str_val(v, vl);
  weft_val_t *e = &p->items[p->len++];
  e->kind = WEFT_VAL_TUPLE;
  e->of.list.ptr = t;
  e->of.list.len = 2;
}

static void add_str(pairs_t *p, const char *k, const char *v) {
  add_pair(p, k, strlen(k), v, strlen(v));
}

/* A request header: names go to the guest in lower case, as Spin sends
 * them (copied only when they are not already); values are borrowed from
 * libmicrohttpd, which keeps them until the request completes. */
static enum MHD_Result header_it(void *cls, enum MHD_ValueKind kind,
                                 const char *key, const char *value) {
  (void)kind;
  pairs_t *p = cls;
  size_t kl = strlen(key);
  const char *name = key;
  for (size_t i = 0; i < kl; i++)
    if (key[i] >= 'A' && key[i] <= 'Z') {
      char *low = weft__arena_strndup(p->a, key, kl);
      if (!low) {
        p->failed = true;
        return MHD_NO;
      }
      for (size_t j = i; j < kl; j++)
        if (low[j] >= 'A' && low[j] <= 'Z')
          low[j] = (char)(low[j] - 'A' + 'a');
      name = low;
      break;
    }
  if (!value)
    value = "";
  if (kl == 4 && !strcmp(name, "host"))
    p->host = value;
  add_pair(p, name, kl, value, strlen(value));
  return MHD_YES;
}

/* The concatenation of `a` and `b` in the arena. */
static char *concat(weft__arena_t *arena, const char *a, const char *b) {
  size_t al = strlen(a), bl = strlen(b);
  char *s = weft__arena_alloc(arena, al + bl + 1);
  if (s) {
    memcpy(s, a, al);
    memcpy(s + al, b, bl + 1);
  }
  return s;
}

/* "ip:port" or "[ip6]:port" of the client, formatted once per connection
 * (conn_cb) and kept as its socket context. */
static const char *client_addr(struct MHD_Connection *c) {
  const union MHD_ConnectionInfo *ci =
      MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  return ci && ci->socket_context ? ci->socket_context : "";
}

/* The request record of fermyon:spin/http-types@2.0.0, into r->req. Its
 * strings are borrowed from libmicrohttpd, the router and the arena, all
 * of which outlive the request. */
static int request_val(struct MHD_Connection *c, req_t *r,
                       const weft__route_match_t *m) {
  weft__arena_t *a = &r->arena;
  pairs_t h = {.a = a};
  MHD_get_connection_values(c, MHD_HEADER_KIND, header_it, &h);
  const char *url = concat(a, "http://", h.host ? h.host : "localhost");
  url = url ? concat(a, url, r->uri) : NULL;
  const char *addr = client_addr(c);
  if (!url)
    return -1;
  add_str(&h, "spin-full-url", url);
  add_pair(&h, "spin-path-info", 14, m->path_info, m->path_info_len);
  add_str(&h, "spin-matched-route", m->matched_route);
  add_str(&h, "spin-component-route", m->component_route);
  add_str(&h, "spin-raw-component-route", m->raw_component_route);
  add_str(&h, "spin-base-path", m->base_path);
  add_str(&h, "spin-client-addr", addr);
  for (size_t i = 0; i < m->captures_len; i++)
    add_pair(&h, m->captures[i].header, strlen(m->captures[i].header),
             m->captures[i].value, m->captures[i].value_len);
  weft_val_t *f = weft__arena_calloc(a, 6, sizeof *f);
  if (h.failed || !f)
    return -1;
  int method = r->method;
  f[0] = (weft_val_t){.kind = WEFT_VAL_ENUM, .of.var.tag = (uint32_t)method};
  f[1] = str_val(r->uri, strlen(r->uri));
  f[2].kind = WEFT_VAL_LIST;
  f[2].of.list.ptr = h.items;
  f[2].of.list.len = h.len;
  f[3].kind = WEFT_VAL_LIST; /* params: Spin passes none */
  f[4].kind = WEFT_VAL_OPTION;
  if (r->body.len || method == 1 || method == 2 || method == 4) {
    f[5].kind = WEFT_VAL_LIST;
    f[5].of.bytes.ptr = (const uint8_t *)(r->body.data ? r->body.data : "");
    f[5].of.bytes.len = r->body.len;
    f[4].of.var.tag = 1;
    f[4].of.var.val = &f[5];
  }
  r->req.kind = WEFT_VAL_RECORD;
  r->req.of.list.ptr = f;
  r->req.of.list.len = 5;
  return 0;
}

/* ---- calling the handler ------------------------------------------------- */

/* Send a target to the workers for COOL_NS, then on probation again. */
static void mark_slow(target_state_t *s, uint64_t now) {
  atomic_store(&s->slow_until, now + COOL_NS);
  atomic_store(&s->calls, 0);
  atomic_store(&s->min_ns, UINT64_MAX);
  atomic_store(&s->avg_ns, 0);
}

/* Learn from a call, made inline or by a worker, that took from `start`
 * to `end`. Races between threads at most lose a sample. */
static void note_call(target_state_t *s, uint64_t start, uint64_t end,
                      bool inline_call) {
  uint64_t t = end - start;
  if (t >= LONG_NS) {
    mark_slow(s, end);
  } else if (inline_call) {
    uint64_t avg = atomic_load(&s->avg_ns);
    avg = avg - avg / 8 + t / 8;
    atomic_store(&s->avg_ns, avg);
    if (avg >= SLOW_NS)
      mark_slow(s, end);
  } else if (end >= atomic_load(&s->slow_until) &&
             atomic_load(&s->calls) < PROBATION) {
    if (t < atomic_load(&s->min_ns))
      atomic_store(&s->min_ns, t);
    if (atomic_fetch_add(&s->calls, 1) + 1 == PROBATION &&
        atomic_load(&s->min_ns) >= SLOW_NS)
      mark_slow(s, end); /* slow every time: look again after COOL_NS */
  }
}

/* May target `ti` run inline now? Not while on probation or cooling down,
 * nor while an inline call of it has been running for LONG_NS (which
 * starts the cooling down: it holds its polling thread, let it hold only
 * that one). */
static bool may_inline(weft__http_t *h, size_t ti, uint64_t now) {
  target_state_t *s = &h->ts[ti];
  for (unsigned i = 0; i < h->npollers; i++) {
    uint64_t since = atomic_load(&h->pollers[i].since);
    if (atomic_load(&h->pollers[i].target) == ti + 1 && since < now &&
        now - since >= LONG_NS)
      mark_slow(s, now);
  }
  return now >= atomic_load(&s->slow_until) &&
         atomic_load(&s->calls) >= PROBATION &&
         atomic_load(&s->min_ns) < SLOW_NS &&
         atomic_load(&s->avg_ns) < SLOW_NS;
}

/* Call the handler of r's target, inline or in a worker, with `inst`
 * (NULL: take one from the pool, waiting if need be) and leave the
 * response in r. `start` is now, if the caller has read the clock just
 * before (inline calls), else 0. */
static void call_handler(weft__http_t *h, req_t *r, weft_instance_t *inst,
                         bool inline_call, uint64_t start) {
  const weft__http_target_t *t = &h->cfg.targets[r->ti];
  target_state_t *s = &h->ts[r->ti];
  weft_error_t err; /* read only after a failure, which fills it */
  err.code = 0;
  err.msg[0] = 0;
  if (t->native) {
    if (!start)
      start = weft__now_ns();
    int rc = t->native(t->native_env, &r->req, &r->native_res);
    note_call(s, start, weft__now_ns(), inline_call);
    if (rc < 0) {
      fprintf(stderr, "weft: http: component '%s': native handler failed "
              "(%s)\n", t->component_id, weft_strerror(rc));
      set_answer(r, 500, "the component failed\n");
      return;
    }
    r->native_done = true;
    set_response(r, &r->native_res, t->component_id);
    return;
  }
  if (!inst && !(inst = weft__pool_take(t->pool, &err))) {
    fprintf(stderr, "weft: http: component '%s': %s\n", t->component_id,
            err.msg);
    if (err.code == WEFT_ELIMIT)
      set_answer(r, 503, "too busy, try again\n");
    else
      set_answer(r, 500, "internal error\n");
    return;
  }
  r->inst = inst;
  r->pool = t->pool;
  if (!start) /* the call, not the wait for the instance */
    start = weft__now_ns();
  const weft_func_t *fn = atomic_load(&s->func);
  if (!fn) {
    fn = weft_instance_func(inst, t->handler ? t->handler : HANDLER_DEFAULT,
                            &err);
    atomic_store(&s->func, fn);
  }
  /* The request deadline covers every guest entry of the call (lowering
   * the request into the guest, the handler, post-return), from `start`:
   * one clock read per request, not one per entry. */
  uint64_t limit = weft__pool_deadline_ns(t->pool);
  weft__rt_event_t ev;
  weft__rt_event_begin(&ev, limit ? start + limit : 0);
  weft_val_t res;
  int rc = fn ? weft_call_func(inst, fn, &r->req, 1, &res, 1, &err)
              : err.code;
  weft__rt_event_end(&ev);
  note_call(s, start, weft__now_ns(), inline_call);
  if (rc < 0) {
    fprintf(stderr, "weft: http: component '%s': %s\n", t->component_id,
            err.msg);
    if (rc == WEFT_ETRAP && err.detail == WEFT_TRAP_DEADLINE)
      set_answer(r, 504, "the component did not answer in time\n");
    else
      set_answer(r, 500, "the component failed\n");
    return;
  }
  set_response(r, &res, t->component_id);
}

/* ---- workers ------------------------------------------------------------- */

static void *worker(void *arg) {
  weft__http_t *h = arg;
  pthread_mutex_lock(&h->mu);
  for (;;) {
    int rc = 0;
    while (!h->head && !h->quit && rc != ETIMEDOUT) {
      struct timespec until;
      clock_gettime(CLOCK_MONOTONIC, &until);
      until.tv_sec += WORKER_IDLE_S;
      h->nidle++;
      rc = pthread_cond_timedwait(&h->work, &h->mu, &until);
      h->nidle--;
    }
    req_t *r = h->head;
    if (!r)
      break; /* idle too long, or stopping */
    h->head = r->next;
    if (!h->head)
      h->tail = NULL;
    h->queued--;
    pthread_mutex_unlock(&h->mu);
    call_handler(h, r, NULL, false, 0);
    r->answered = true;
    MHD_resume_connection(r->c);
    pthread_mutex_lock(&h->mu);
  }
  h->nworkers--;
  pthread_cond_broadcast(&h->gone);
  pthread_mutex_unlock(&h->mu);
  return NULL;
}

/* Queue a suspended request for the workers, making one if none will be
 * free for it. Returns 0; 503 when stopping (the workers may be gone
 * already), 500 when there is no worker at all. */
static unsigned submit(weft__http_t *h, req_t *r) {
  pthread_mutex_lock(&h->mu);
  if (h->quit) {
    pthread_mutex_unlock(&h->mu);
    return 503;
  }
  if (h->queued + 1 > h->nidle && h->nworkers < MAX_WORKERS) {
    pthread_attr_t attr;
    pthread_t tid;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&tid, &attr, worker, h) == 0)
      h->nworkers++;
    pthread_attr_destroy(&attr);
  }
  if (!h->nworkers) {
    pthread_mutex_unlock(&h->mu);
    return 500;
  }
  r->next = NULL;
  if (h->tail)
    h->tail->next = r;
  else
    h->head = r;
  h->tail = r;
  h->queued++;
  pthread_cond_signal(&h->work);
  pthread_mutex_unlock(&h->mu);
  return 0;
}

/* ---- serving ------------------------------------------------------------- */

/* Run the handler inline, on this polling thread, if its target may and
 * an instance is at hand; true if it did. */
static bool serve_inline(weft__http_t *h, poller_t *p, req_t *r) {
  const weft__http_target_t *t = &h->cfg.targets[r->ti];
  uint64_t now = weft__now_ns();
  if (!may_inline(h, r->ti, now))
    return false;
  weft_instance_t *inst = NULL;
  if (!t->native && !(inst = weft__pool_try_take(t->pool, NULL)))
    return false;
  atomic_store(&p->since, now);
  atomic_store(&p->target, r->ti + 1);
  call_handler(h, r, inst, true, now);
  atomic_store(&p->target, 0);
  return true;
}

static enum MHD_Result serve(weft__http_t *h, struct MHD_Connection *c,
                             req_t *r, const char *method) {
  size_t plen = strcspn(r->uri, "?");
  if (plen == 24 && !memcmp(r->uri, "/.well-known/weft/health", 24))
    return answer(c, 200, "ok\n");
  weft__route_match_t m;
  if (weft__router_match(h->cfg.router, r->uri, plen, &m) < 0 ||
      m.trigger >= h->cfg.ntargets ||
      (!h->cfg.targets[m.trigger].pool && !h->cfg.targets[m.trigger].native))
    return answer(c, 404, "not found\n");
  r->method = -1;
  for (int i = 0; i < 7 && r->method < 0; i++)
    if (!strcmp(method, methods[i]))
      r->method = i;
  if (r->method < 0)
    return answer(c, 405, "method not allowed\n");
  if (r->too_large)
    return answer(c, 413, "request body too large\n");
  if (atomic_load(&h->stopping))
    return answer(c, 503, "shutting down\n");
  r->ti = m.trigger;
  r->counted = true;
  atomic_fetch_add(&h->inflight, 1);
  if (request_val(c, r, &m) < 0)
    return answer(c, 500, "out of memory\n");
  if (!serve_inline(h, r->poller, r)) {
    r->c = c;
    MHD_suspend_connection(c);
    unsigned status = submit(h, r);
    if (status) {
      MHD_resume_connection(c);
      set_answer(r, status, status == 503 ? "shutting down\n"
                                          : "internal error: no thread\n");
      r->answered = true;
    }
    return MHD_YES; /* answered when resumed */
  }
  if (!r->resp)
    return MHD_NO;
  enum MHD_Result rc = MHD_queue_response(c, r->status, r->resp);
  MHD_destroy_response(r->resp);
  r->resp = NULL;
  return rc;
}

static enum MHD_Result access_cb(void *cls, struct MHD_Connection *c,
                                 const char *url, const char *method,
                                 const char *version, const char *upload,
                                 size_t *upload_size, void **con_cls) {
  (void)url, (void)version;
  weft__http_t *h = ((poller_t *)cls)->h;
  req_t *r = *con_cls;
  if (!r || !r->uri)
    return MHD_NO;
  /* Answering on the first call would make libmicrohttpd close the
   * connection (the body is not read yet): wait for the next. */
  if (!r->started) {
    r->started = true;
    return MHD_YES;
  }
  if (*upload_size) {
    if (!r->too_large && r->body.len + *upload_size > h->cfg.max_body)
      r->too_large = true;
    if (!r->too_large && weft__buf_add(&r->body, upload, *upload_size) < 0)
      return MHD_NO;
    *upload_size = 0;
    return MHD_YES;
  }
  if (r->answered) { /* resumed after the slow path */
    if (!r->resp)
      return MHD_NO;
    enum MHD_Result rc = MHD_queue_response(c, r->status, r->resp);
    MHD_destroy_response(r->resp);
    r->resp = NULL;
    return rc;
  }
  return serve(h, c, r, method);
}

/* ---- connections --------------------------------------------------------- */

/* Is `p` held by an inline call that has run LONG_NS or more? */
static bool held(poller_t *p, uint64_t now) {
  uint64_t since = atomic_load(&p->since);
  return atomic_load(&p->target) && since < now && now - since >= LONG_NS;
}

/* A connection starts (its client's address is formatted for
 * spin-client-addr) or ends. */
static void conn_cb(void *cls, struct MHD_Connection *c, void **socket_cls,
                    enum MHD_ConnectionNotificationCode toe) {
  poller_t *p = cls;
  if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
    free(*socket_cls);
    *socket_cls = NULL;
    atomic_fetch_sub(&p->conns, 1);
    return;
  }
  const union MHD_ConnectionInfo *ci =
      MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  char ip[INET6_ADDRSTRLEN] = "", *out = malloc(INET6_ADDRSTRLEN + 16);
  *socket_cls = out;
  if (!out)
    return;
  out[0] = 0;
  if (!ci || !ci->client_addr)
    return;
  if (ci->client_addr->sa_family == AF_INET) {
    const struct sockaddr_in *s = (const void *)ci->client_addr;
    inet_ntop(AF_INET, &s->sin_addr, ip, sizeof ip);
    snprintf(out, INET6_ADDRSTRLEN + 16, "%s:%u", ip, ntohs(s->sin_port));
  } else if (ci->client_addr->sa_family == AF_INET6) {
    const struct sockaddr_in6 *s = (const void *)ci->client_addr;
    inet_ntop(AF_INET6, &s->sin6_addr, ip, sizeof ip);
    snprintf(out, INET6_ADDRSTRLEN + 16, "[%s]:%u", ip, ntohs(s->sin6_port));
  }
}

/* The acceptor: each new connection goes to the polling thread with the
 * fewest connections among those not held by a long call (any, if all
 * are). */
static void *acceptor(void *arg) {
  weft__http_t *h = arg;
  for (;;) {
    struct sockaddr_storage sa;
    socklen_t len = sizeof sa;
    int fd = accept4(h->fd, (struct sockaddr *)&sa, &len,
                     SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (atomic_load(&h->stopping))
        break;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
          errno == ENOMEM)
        usleep(10000); /* out of descriptors: let some close */
      continue;
    }
    uint64_t now = weft__now_ns();
    poller_t *best = NULL;
    bool best_held = true;
    for (unsigned i = 0; i < h->npollers; i++) {
      poller_t *p = &h->pollers[i];
      bool ph = held(p, now);
      if (!best || (best_held && !ph) ||
          (ph == best_held &&
           atomic_load(&p->conns) < atomic_load(&best->conns))) {
        best = p;
        best_held = ph;
      }
    }
    if (!best) { /* no polling thread: cannot happen, keeps gcc sure */
      close(fd);
      continue;
    }
    atomic_fetch_add(&best->conns, 1);
    if (MHD_add_connection(best->d, fd, (struct sockaddr *)&sa, len) !=
        MHD_YES)
      atomic_fetch_sub(&best->conns, 1); /* it closed the socket */
  }
  return NULL;
}

/* ---- start and stop ------------------------------------------------------ */

/* Polling threads when the configuration leaves it open: WEFT_HTTP_THREADS
 * if set (bench/http.sh sets 1, as nginx gets one worker), else one per
 * CPU, at least two (so that a thread held by a long call is never the
 * only one). */
static unsigned polling_threads(void) {
  const char *e = getenv("WEFT_HTTP_THREADS");
  long n = e && *e ? strtol(e, NULL, 10) : sysconf(_SC_NPROCESSORS_ONLN);
  if (e && *e && n >= 1)
    return n > 64 ? 64 : (unsigned)n;
  return n < 2 ? 2 : n > 64 ? 64 : (unsigned)n;
}

static void http_free(weft__http_t *h) {
  for (unsigned i = 0; h->pollers && i < h->npollers; i++) {
    if (h->pollers[i].d)
      MHD_stop_daemon(h->pollers[i].d);
    req_free(h->pollers[i].spare);
  }
  if (h->fd >= 0)
    close(h->fd);
  free(h->pollers);
  free(h->ts);
  pthread_cond_destroy(&h->gone);
  pthread_cond_destroy(&h->work);
  pthread_mutex_destroy(&h->mu);
  free(h);
}

/* The listening socket on cfg->host:cfg->port; its port in *port. */
static int listen_on(const weft__http_config_t *cfg, uint16_t *port,
                     weft_error_t *err) {
  struct sockaddr_in sa = {.sin_family = AF_INET,
                           .sin_port = htons(cfg->port)};
  if (inet_pton(AF_INET, cfg->host, &sa.sin_addr) != 1)
    return WEFT_ERR(err, WEFT_EINVAL, "bad listen address '%s'", cfg->host);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  socklen_t len = sizeof sa;
  if (fd < 0 ||
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
      bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
      listen(fd, SOMAXCONN) < 0 ||
      getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
    int e = errno;
    if (fd >= 0)
      close(fd);
    return WEFT_ERR(err, WEFT_EIO, "cannot listen on %s:%u: %s", cfg->host,
                    cfg->port, strerror(e));
  }
  *port = ntohs(sa.sin_port);
  return fd;
}

int weft__http_start(const weft__http_config_t *cfg, weft__http_t **out,
                     weft_error_t *err) {
  weft__http_t *h = calloc(1, sizeof *h);
  if (!h)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  h->cfg = *cfg;
  h->fd = -1;
  if (!h->cfg.max_body)
    h->cfg.max_body = (size_t)10 << 20;
  pthread_mutex_init(&h->mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&h->work, &ca);
  pthread_condattr_destroy(&ca);
  pthread_cond_init(&h->gone, NULL);
  h->npollers = cfg->threads ? cfg->threads : polling_threads();
  h->pollers = calloc(h->npollers, sizeof *h->pollers);
  h->ts = calloc(cfg->ntargets + 1, sizeof *h->ts);
  int rc;
  if (!h->pollers || !h->ts) {
    rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
    goto fail;
  }
  for (size_t i = 0; i < cfg->ntargets; i++)
    atomic_store(&h->ts[i].min_ns, UINT64_MAX);
  if ((rc = h->fd = listen_on(cfg, &h->port, err)) < 0)
    goto fail;
  for (unsigned i = 0; i < h->npollers; i++) {
    poller_t *p = &h->pollers[i];
    p->h = h;
    p->d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
            MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC | MHD_USE_NO_LISTEN_SOCKET,
        0, NULL, NULL, access_cb, p, MHD_OPTION_URI_LOG_CALLBACK, uri_log, p,
        MHD_OPTION_NOTIFY_COMPLETED, completed, p,
        MHD_OPTION_NOTIFY_CONNECTION, conn_cb, p,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120, MHD_OPTION_END);
    if (!p->d) {
      rc = WEFT_ERR(err, WEFT_EIO, "cannot start HTTP polling thread %u of "
                    "%u for %s:%u", i + 1, h->npollers, cfg->host, h->port);
      goto fail;
    }
  }
  if (pthread_create(&h->acceptor, NULL, acceptor, h) != 0) {
    rc = WEFT_ERR(err, WEFT_ENOMEM, "cannot start the HTTP acceptor thread");
    goto fail;
  }
  h->accepting = true;
  *out = h;
  return 0;
fail:
  http_free(h);
  return rc;
}

uint16_t weft__http_port(const weft__http_t *h) { return h->port; }

void weft__http_stop(weft__http_t *h) {
  if (!h)
    return;
  /* No new connection, and new requests are refused; those with the
   * workers finish (each within its deadline) and resume their
   * connections, so that none is left suspended when the daemons stop. */
  atomic_store(&h->stopping, 1);
  if (h->accepting) {
    shutdown(h->fd, SHUT_RDWR); /* wakes the acceptor */
    pthread_join(h->acceptor, NULL);
  }
  pthread_mutex_lock(&h->mu);
  h->quit = 1;
  pthread_cond_broadcast(&h->work);
  while (h->nworkers)
    pthread_cond_wait(&h->gone, &h->mu);
  pthread_mutex_unlock(&h->mu);
  /* Let the polling threads send what the last calls answered. */
  for (int i = 0; i < 2000 && atomic_load(&h->inflight); i++)
    usleep(1000);
  http_free(h);
}

/* http.c - the HTTP trigger on libmicrohttpd (http.h).
 *
 * One thread per connection: a guest call blocks only its own connection,
 * and the pool bounds how many run at once. A request's state (raw URI,
 * body, the instance serving it, the values passed to the guest) lives in
 * `req_t` from the URI callback to the completion callback, which gives
 * the instance back to its pool after the response has been handed to
 * libmicrohttpd, so the reset is off the response's path. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "trigger/http.h"
#include "util/arena.h"
#include "util/util.h"

#define HANDLER_DEFAULT "fermyon:spin/inbound-http#handle-request"

struct weft__http {
  weft__http_config_t cfg;
  struct MHD_Daemon *d;
  uint16_t port;
};

typedef struct req {
  char *uri;            /* raw request target: path and query */
  weft__buf_t body;
  int too_large;
  int started;          /* the first access call has been seen */
  weft__pool_t *pool;   /* the instance's, once taken */
  weft_instance_t *inst;
  weft__arena_t arena;
} req_t;

static const char *const methods[] = {"GET",    "POST", "PUT",    "DELETE",
                                      "PATCH",  "HEAD", "OPTIONS"};

static void *uri_log(void *cls, const char *uri, struct MHD_Connection *c) {
  (void)cls, (void)c;
  req_t *r = calloc(1, sizeof *r);
  if (r) {
    r->uri = weft__strdup(uri ? uri : "/");
    weft__buf_init(&r->body);
    r->arena.limit = (size_t)1 << 30;
  }
  return r;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe) {
  (void)cls, (void)c, (void)toe;
  req_t *r = *con_cls;
  if (!r)
    return;
  if (r->inst)
    weft__pool_give(r->pool, r->inst);
  weft__buf_release(&r->body);
  weft__arena_release(&r->arena);
  free(r->uri);
  free(r);
  *con_cls = NULL;
}

static enum MHD_Result answer(struct MHD_Connection *c, unsigned status,
                              const char *text) {
  struct MHD_Response *resp = MHD_create_response_from_buffer(
      strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
  if (!resp)
    return MHD_NO;
  MHD_add_response_header(resp, "content-type", "text/plain");
  enum MHD_Result rc = MHD_queue_response(c, status, resp);
  MHD_destroy_response(resp);
  return rc;
}

/* ---- building the request value ----------------------------------------- */

typedef struct pairs {
  weft__arena_t *a;
  weft_val_t *items;
  size_t len, cap;
  int failed;
} pairs_t;

static weft_val_t str_val(weft__arena_t *a, const char *s, size_t n) {
  weft_val_t v = {.kind = WEFT_VAL_STRING};
  v.of.str.ptr = weft__arena_strndup(a, s ? s : "", s ? n : 0);
  v.of.str.len = v.of.str.ptr ? n : 0;
  return v;
}

static void add_pair(pairs_t *p, const char *k, size_t kl, const char *v,
                     size_t vl) {
  if (p->len == p->cap) {
    size_t cap = p->cap ? 2 * p->cap : 32;
    weft_val_t *n = weft__arena_alloc(p->a, cap * sizeof *n);
    if (!n) {
      p->failed = 1;
      return;
    }
    if (p->len)
      memcpy(n, p->items, p->len * sizeof *n);
    p->items = n;
    p->cap = cap;
  }
  weft_val_t *t = weft__arena_alloc(p->a, 2 * sizeof *t);
  if (!t) {
    p->failed = 1;
    return;
  }
  t[0] = str_val(p->a, k, kl);
  t[1] = str_val(p->a, v, vl);
  /* Header names go to the guest in lower case, as Spin sends them; the
   * name is the arena's copy, ours to change. */
  char *name = (char *)t[0].of.str.ptr;
  for (size_t i = 0; name && i < kl; i++)
    if (name[i] >= 'A' && name[i] <= 'Z')
      name[i] = (char)(name[i] - 'A' + 'a');
  weft_val_t *e = &p->items[p->len++];
  e->kind = WEFT_VAL_TUPLE;
  e->of.list.ptr = t;
  e->of.list.len = 2;
}

static void add_str(pairs_t *p, const char *k, const char *v) {
  add_pair(p, k, strlen(k), v, strlen(v));
}

static enum MHD_Result header_it(void *cls, enum MHD_ValueKind kind,
                                 const char *key, const char *value) {
  (void)kind;
  add_str(cls, key, value ? value : "");
  return MHD_YES;
}

static void client_addr(struct MHD_Connection *c, char *out, size_t size) {
  const union MHD_ConnectionInfo *ci =
      MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  char ip[INET6_ADDRSTRLEN] = "";
  unsigned port = 0;
  out[0] = 0;
  if (!ci || !ci->client_addr)
    return;
  if (ci->client_addr->sa_family == AF_INET) {
    const struct sockaddr_in *s = (const void *)ci->client_addr;
    inet_ntop(AF_INET, &s->sin_addr, ip, sizeof ip);
    port = ntohs(s->sin_port);
    snprintf(out, size, "%s:%u", ip, port);
  } else if (ci->client_addr->sa_family == AF_INET6) {
    const struct sockaddr_in6 *s = (const void *)ci->client_addr;
    inet_ntop(AF_INET6, &s->sin6_addr, ip, sizeof ip);
    port = ntohs(s->sin6_port);
    snprintf(out, size, "[%s]:%u", ip, port);
  }
}

/* The request record of fermyon:spin/http-types@2.0.0. */
static int request_val(struct MHD_Connection *c, req_t *r, int method,
                       const weft__route_match_t *m, weft_val_t *out) {
  weft__arena_t *a = &r->arena;
  pairs_t h = {.a = a};
  MHD_get_connection_values(c, MHD_HEADER_KIND, header_it, &h);
  const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "host");
  weft__buf_t url;
  weft__buf_init(&url);
  weft__buf_printf(&url, "http://%s%s", host ? host : "localhost", r->uri);
  add_str(&h, "spin-full-url", url.data ? url.data : "");
  weft__buf_release(&url);
  add_pair(&h, "spin-path-info", 14, m->path_info, m->path_info_len);
  add_str(&h, "spin-matched-route", m->matched_route);
  add_str(&h, "spin-component-route", m->component_route);
  add_str(&h, "spin-raw-component-route", m->raw_component_route);
  add_str(&h, "spin-base-path", m->base_path);
  char addr[INET6_ADDRSTRLEN + 16];
  client_addr(c, addr, sizeof addr);
  add_str(&h, "spin-client-addr", addr);
  for (size_t i = 0; i < m->captures_len; i++)
    add_pair(&h, m->captures[i].header, strlen(m->captures[i].header),
             m->captures[i].value, m->captures[i].value_len);
  weft_val_t *f = weft__arena_calloc(a, 6, sizeof *f);
  if (h.failed || !f)
    return -1;
  f[0] = (weft_val_t){.kind = WEFT_VAL_ENUM, .of.var.tag = (uint32_t)method};
  f[1] = str_val(a, r->uri, strlen(r->uri));
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
  out->kind = WEFT_VAL_RECORD;
  out->of.list.ptr = f;
  out->of.list.len = 5;
  return 0;
}

/* ---- the response ------------------------------------------------------- */

static enum MHD_Result respond(struct MHD_Connection *c, const weft_val_t *v,
                               const char *component) {
  const weft_val_t *f = v->of.list.ptr;
  unsigned status = f[0].of.u16;
  if (status < 100 || status > 999) {
    fprintf(stderr, "weft: http: component '%s' answered status %u\n",
            component, status);
    return answer(c, 500, "bad status from the component\n");
  }
  const weft_val_t *body = f[2].of.var.tag ? f[2].of.var.val : NULL;
  struct MHD_Response *resp = MHD_create_response_from_buffer(
      body ? body->of.bytes.len : 0,
      body ? (void *)body->of.bytes.ptr : (void *)"", MHD_RESPMEM_MUST_COPY);
  if (!resp)
    return MHD_NO;
  if (f[1].of.var.tag) {
    const weft_val_t *hs = f[1].of.var.val;
    for (size_t i = 0; i < hs->of.list.len; i++) {
      const weft_val_t *t = hs->of.list.ptr[i].of.list.ptr;
      if (MHD_add_response_header(resp, t[0].of.str.ptr, t[1].of.str.ptr) ==
          MHD_NO)
        fprintf(stderr, "weft: http: component '%s': header '%s' refused\n",
                component, t[0].of.str.ptr);
    }
  }
  enum MHD_Result rc = MHD_queue_response(c, status, resp);
  MHD_destroy_response(resp);
  return rc;
}

/* A native handler in place of the guest call (http.h). */
static enum MHD_Result serve_native(struct MHD_Connection *c, req_t *r,
                                    int mi, const weft__route_match_t *m,
                                    const weft__http_target_t *t) {
  weft_val_t req, res;
  if (request_val(c, r, mi, m, &req) < 0)
    return answer(c, 500, "out of memory\n");
  int rc = t->native(t->native_env, &req, &res);
  if (rc < 0) {
    fprintf(stderr, "weft: http: component '%s': native handler failed "
            "(%s)\n", t->component_id, weft_strerror(rc));
    return answer(c, 500, "the component failed\n");
  }
  enum MHD_Result mr = respond(c, &res, t->component_id);
  if (t->native_post)
    t->native_post(t->native_env, &res);
  return mr;
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
  const weft__http_target_t *t = &h->cfg.targets[m.trigger];
  int mi = -1;
  for (int i = 0; i < 7; i++)
    if (!strcmp(method, methods[i]))
      mi = i;
  if (mi < 0)
    return answer(c, 405, "method not allowed\n");
  if (r->too_large)
    return answer(c, 413, "request body too large\n");
  weft_error_t err = {0};
  if (t->native)
    return serve_native(c, r, mi, &m, t);
  weft_instance_t *inst = weft__pool_take(t->pool, &err);
  if (!inst) {
    fprintf(stderr, "weft: http: component '%s': %s\n", t->component_id,
            err.msg);
    return err.code == WEFT_ELIMIT ? answer(c, 503, "too busy, try again\n")
                                   : answer(c, 500, "internal error\n");
  }
  r->inst = inst;
  r->pool = t->pool;
  weft_val_t req, res;
  if (request_val(c, r, mi, &m, &req) < 0)
    return answer(c, 500, "out of memory\n");
  int rc = weft_call(inst, t->handler ? t->handler : HANDLER_DEFAULT, &req,
                     1, &res, 1, &err);
  if (rc < 0) {
    fprintf(stderr, "weft: http: component '%s': %s\n", t->component_id,
            err.msg);
    if (rc == WEFT_ETRAP && err.detail == WEFT_TRAP_DEADLINE)
      return answer(c, 504, "the component did not answer in time\n");
    return answer(c, 500, "the component failed\n");
  }
  return respond(c, &res, t->component_id);
}

static enum MHD_Result access_cb(void *cls, struct MHD_Connection *c,
                                 const char *url, const char *method,
                                 const char *version, const char *upload,
                                 size_t *upload_size, void **con_cls) {
  (void)url, (void)version;
  weft__http_t *h = cls;
  req_t *r = *con_cls;
  if (!r || !r->uri)
    return MHD_NO;
  /* Answering on the first call would make libmicrohttpd close the
   * connection (the body is not read yet): wait for the next. */
  if (!r->started) {
    r->started = 1;
    return MHD_YES;
  }
  if (*upload_size) {
    if (!r->too_large && r->body.len + *upload_size > h->cfg.max_body)
      r->too_large = 1;
    if (!r->too_large && weft__buf_add(&r->body, upload, *upload_size) < 0)
      return MHD_NO;
    *upload_size = 0;
    return MHD_YES;
  }
  return serve(h, c, r, method);
}

int weft__http_start(const weft__http_config_t *cfg, weft__http_t **out,
                     weft_error_t *err) {
  weft__http_t *h = calloc(1, sizeof *h);
  if (!h)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  h->cfg = *cfg;
  if (!h->cfg.max_body)
    h->cfg.max_body = (size_t)10 << 20;
  struct sockaddr_in sa = {.sin_family = AF_INET,
                           .sin_port = htons(cfg->port)};
  if (inet_pton(AF_INET, cfg->host, &sa.sin_addr) != 1) {
    free(h);
    return WEFT_ERR(err, WEFT_EINVAL, "bad listen address '%s'", cfg->host);
  }
  h->d = MHD_start_daemon(
      MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
          MHD_USE_POLL,
      cfg->port, NULL, NULL, access_cb, h, MHD_OPTION_SOCK_ADDR, &sa,
      MHD_OPTION_URI_LOG_CALLBACK, uri_log, h, MHD_OPTION_NOTIFY_COMPLETED,
      completed, h, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
      MHD_OPTION_END);
  if (!h->d) {
    free(h);
    return WEFT_ERR(err, WEFT_EIO, "cannot listen on %s:%u", cfg->host,
                    cfg->port);
  }
  const union MHD_DaemonInfo *di =
      MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
  h->port = di ? di->port : cfg->port;
  *out = h;
  return 0;
}

uint16_t weft__http_port(const weft__http_t *h) { return h->port; }

void weft__http_stop(weft__http_t *h) {
  if (!h)
    return;
  MHD_stop_daemon(h->d);
  free(h);
}

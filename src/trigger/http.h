/* http.h - the HTTP trigger: a libmicrohttpd server that routes each
 * request to a component (Spin's record-based handler, `handle-request` of
 * fermyon:spin/inbound-http, as Spin 2.0 serves it) running in a fresh
 * instance from that component's pool. A few polling threads serve all
 * connections and run quick components inline; the others, and requests
 * that must wait for an instance, run in worker threads (http.c, and
 * docs/internals/http-bench.md for why).
 *
 * Answers of its own: 200 on /.well-known/weft/health, 404 when no route
 * matches, 405 for a method Spin's handler cannot receive, 413 past the
 * body limit, 503 when the component's pool is full, 504 when the handler
 * passes the request deadline (the pool's per-call deadline, counted from
 * the start of the call and covering all its guest entries), 500 when it
 * traps or returns a bad response. Each such answer is logged on stderr
 * with the component and the reason. */
#ifndef WEFT_TRIGGER_HTTP_H
#define WEFT_TRIGGER_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "app/route.h"
#include "trigger/pool.h"
#include "weft.h"

/* A handler compiled into the host, called instead of a guest: the same
 * server, threads, routing, request value and response building, with
 * only the guest call replaced (bench/http_native.c measures the guest
 * path against it). `req` is the request record the guest would get
 * (borrowed for the call); fill `res` with a response record of
 * fermyon:spin/http-types as weft_call would. Return 0, or a negative
 * WEFT_E* code for a 500. What `res` points to (strings NUL-terminated)
 * must stay valid until the post callback. Called on any thread, several
 * at once. */
typedef int (*weft__http_native_fn)(void *env, const weft_val_t *req,
                                    weft_val_t *res);
/* Called when the request has completed (its response sent, or the
 * connection gone), where the guest path resets the instance: free what
 * the handler allocated for `res`. */
typedef void (*weft__http_native_post_fn)(void *env, weft_val_t *res);

/* What a route leads to: per trigger of the manifest (index as in the
 * router's matches), the component's pool and its handler, or a native
 * handler; neither pool nor native for triggers that are not served. */
typedef struct weft__http_target {
  weft__pool_t *pool;
  const char *component_id;
  const char *handler; /* world export name */
  weft__http_native_fn native;           /* used instead of pool if set */
  weft__http_native_post_fn native_post; /* optional */
  void *native_env;
} weft__http_target_t;

typedef struct weft__http_config {
  const char *host;      /* listen address, e.g. "127.0.0.1" */
  uint16_t port;         /* 0: any free port (see weft__http_port) */
  const weft__router_t *router;
  const weft__http_target_t *targets;
  size_t ntargets;
  size_t max_body;       /* bytes; 0: 10 MiB */
  unsigned threads;      /* polling threads; 0: $WEFT_HTTP_THREADS, else
                            one per CPU, at least 2 */
} weft__http_config_t;

typedef struct weft__http weft__http_t;

/* Start serving (threads of its own). `cfg` and what it points to are
 * borrowed for the server's life. Fails with WEFT_EINVAL (bad address),
 * WEFT_EIO (cannot listen) or WEFT_ENOMEM. */
int weft__http_start(const weft__http_config_t *cfg, weft__http_t **out,
                     weft_error_t *err);
/* The port it listens on. */
uint16_t weft__http_port(const weft__http_t *h);
/* Stop accepting and refuse new requests (503); let the calls in progress
 * finish (each within its deadline) and their answers go out; free. */
void weft__http_stop(weft__http_t *h);

#endif

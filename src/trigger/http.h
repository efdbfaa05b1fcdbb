/* http.h - the HTTP trigger: a libmicrohttpd server that routes each
 * request to a component (Spin's record-based handler, `handle-request` of
 * fermyon:spin/inbound-http, as Spin 2.0 serves it) running in a fresh
 * instance from that component's pool.
 *
 * Answers of its own: 200 on /.well-known/weft/health, 404 when no route
 * matches, 405 for a method Spin's handler cannot receive, 413 past the
 * body limit, 503 when the component's pool is full, 504 when the handler
 * passes the request deadline (the instance's deadline), 500 when it traps
 * or returns a bad response. Each such answer is logged on stderr with the
 * component and the reason. */
#ifndef WEFT_TRIGGER_HTTP_H
#define WEFT_TRIGGER_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "app/route.h"
#include "trigger/pool.h"
#include "weft.h"

/* What a route leads to: per trigger of the manifest (index as in the
 * router's matches), the component's pool and its handler; NULL pool for
 * triggers that are not served. */
typedef struct weft__http_target {
  weft__pool_t *pool;
  const char *component_id;
  const char *handler; /* world export name */
} weft__http_target_t;

typedef struct weft__http_config {
  const char *host;      /* listen address, e.g. "127.0.0.1" */
  uint16_t port;         /* 0: any free port (see weft__http_port) */
  const weft__router_t *router;
  const weft__http_target_t *targets;
  size_t ntargets;
  size_t max_body;       /* bytes; 0: 10 MiB */
} weft__http_config_t;

typedef struct weft__http weft__http_t;

/* Start serving (threads of its own). `cfg` and what it points to are
 * borrowed for the server's life. */
int weft__http_start(const weft__http_config_t *cfg, weft__http_t **out,
                     weft_error_t *err);
/* The port it listens on. */
uint16_t weft__http_port(const weft__http_t *h);
/* Stop accepting, finish requests in progress, free. */
void weft__http_stop(weft__http_t *h);

#endif

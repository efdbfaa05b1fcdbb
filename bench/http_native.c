/* http_native.c - peer (b) of the HTTP benchmark (bench/http.sh): the
 * HTTP trigger of `weft up` serving an app's routes with examples/hello's
 * handler compiled natively into the host instead of run as a guest.
 *
 * Same server code (src/trigger/http.c: threads, routing, the request
 * value with its spin-* headers, response building); only the guest call
 * is replaced by hello_native below, which does what examples/hello/hello.c
 * does: malloc a header and a body and fill them; hello_post frees them
 * when the request has completed, where the guest path resets the
 * instance (so (b) keeps its response as long as (a) does).
 *
 *   http_native APP_DIR HOST:PORT   (port 0: any free port)
 * prints "Serving http://HOST:PORT" and serves until SIGINT or SIGTERM. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/manifest.h"
#include "app/route.h"
#include "trigger/http.h"

static const char text[] = "hello from weft";

/* What the handler allocates for one response, freed by hello_post. */
typedef struct hello_resp {
  weft_val_t fields[3];
  weft_val_t headers, body;
} hello_resp_t;

static char *dup_str(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d)
    memcpy(d, s, n);
  return d;
}

static int hello_native(void *env, const weft_val_t *req, weft_val_t *res) {
  (void)env, (void)req;
  hello_resp_t *r = calloc(1, sizeof *r);
  weft_val_t *header = malloc(3 * sizeof *header); /* the tuple, its list */
  uint8_t *body = malloc(sizeof text - 1);
  char *name = dup_str("content-type"), *value = dup_str("text/plain");
  if (!r || !header || !body || !name || !value) {
    free(r), free(header), free(body), free(name), free(value);
    return WEFT_ENOMEM;
  }
  memcpy(body, text, sizeof text - 1);
  header[0] = (weft_val_t){.kind = WEFT_VAL_STRING,
                           .of.str = {name, strlen(name)}};
  header[1] = (weft_val_t){.kind = WEFT_VAL_STRING,
                           .of.str = {value, strlen(value)}};
  header[2] = (weft_val_t){.kind = WEFT_VAL_TUPLE,
                           .of.list = {&header[0], 2}};
  r->headers = (weft_val_t){.kind = WEFT_VAL_LIST, .of.list = {&header[2], 1}};
  r->body = (weft_val_t){.kind = WEFT_VAL_LIST,
                         .of.bytes = {body, sizeof text - 1}};
  r->fields[0] = (weft_val_t){.kind = WEFT_VAL_U16, .of.u16 = 200};
  r->fields[1] = (weft_val_t){.kind = WEFT_VAL_OPTION,
                              .of.var = {.tag = 1, .val = &r->headers}};
  r->fields[2] = (weft_val_t){.kind = WEFT_VAL_OPTION,
                              .of.var = {.tag = 1, .val = &r->body}};
  *res = (weft_val_t){.kind = WEFT_VAL_RECORD, .of.list = {r->fields, 3}};
  return 0;
}

static void hello_post(void *env, weft_val_t *res) {
  (void)env;
  hello_resp_t *r = (hello_resp_t *)(void *)res->of.list.ptr;
  weft_val_t *tuple = (weft_val_t *)r->headers.of.list.ptr;
  weft_val_t *header = (weft_val_t *)tuple->of.list.ptr;
  free((void *)header[0].of.str.ptr);
  free((void *)header[1].of.str.ptr);
  free(header);
  free((void *)r->body.of.bytes.ptr);
  free(r);
}

int main(int argc, char **argv) {
  if (argc != 3 || !strchr(argv[2], ':')) {
    fprintf(stderr, "usage: http_native APP_DIR HOST:PORT\n");
    return 2;
  }
  char host[64];
  const char *colon = strrchr(argv[2], ':');
  snprintf(host, sizeof host, "%.*s", (int)(colon - argv[2]), argv[2]);
  weft_error_t err = {0};
  weft__manifest_t *m = NULL;
  weft__router_t *router = NULL;
  weft__http_t *http = NULL;
  weft__http_target_t *targets = NULL;
  int status = 1;
  if (weft__manifest_load(argv[1], &m, &err) < 0 ||
      weft__router_new(m, &router, &err) < 0)
    goto out;
  targets = calloc(m->triggers_len + 1, sizeof *targets);
  if (!targets) {
    WEFT_ERR(&err, WEFT_ENOMEM, "out of memory");
    goto out;
  }
  for (size_t i = 0; i < m->triggers_len; i++)
    if (m->triggers[i].kind == WEFT__TRIGGER_HTTP)
      targets[i] = (weft__http_target_t){.component_id =
                                             m->triggers[i].component_id,
                                         .native = hello_native,
                                         .native_post = hello_post};
  /* Block the stop signals before the server's threads start, so that
   * only sigwait below receives them. */
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, NULL);
  weft__http_config_t hc = {.host = host,
                            .port = (uint16_t)atoi(colon + 1),
                            .router = router,
                            .targets = targets,
                            .ntargets = m->triggers_len};
  if (weft__http_start(&hc, &http, &err) < 0)
    goto out;
  printf("Serving http://%s:%u\n", host, weft__http_port(http));
  fflush(stdout);
  int sig;
  sigwait(&stop, &sig);
  status = 0;
out:
  if (status)
    fprintf(stderr, "http_native: %s\n", err.msg);
  weft__http_stop(http);
  free(targets);
  weft__router_free(router);
  weft__manifest_free(m);
  return status;
}

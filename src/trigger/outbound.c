/* outbound.c - fermyon:spin/http#send-request through libcurl
 * (outbound.h).
 *
 * Each call gets its own easy handle: no connection, cookie or TLS state
 * is shared between calls or components. Redirects are returned to the
 * guest, never followed (a redirect could lead to a host the component
 * may not reach). Only http and https are spoken. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "trigger/outbound.h"
#include "util/util.h"

#define MAX_BODY ((size_t)64 << 20)
#define CONNECT_TIMEOUT_S 10L
#define TOTAL_TIMEOUT_S 30L

/* The cases of http-types.http-error. */
enum {
  E_NONE = 0, /* `success`, never returned */
  E_DENIED = 1,
  E_INVALID_URL = 2,
  E_REQUEST = 3,
  E_RUNTIME = 4
};

/* What one component's send-request needs. Kept in `envs` until the
 * process exits, reachable: the linker has no hook to free it, and there
 * is one per component linker. */
typedef struct env {
  const weft__manifest_component_t *c;
  weft__allowed_hosts_t *hosts;
  struct env *next;
} env_t;

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static CURLcode init_rc;
static pthread_mutex_t envs_lock = PTHREAD_MUTEX_INITIALIZER;
static env_t *envs;

/* curl_global_init is not thread-safe: run it once, before any call. */
static void init(void) { init_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

/* A response as it arrives: headers as "name\0value\0" pairs, names in
 * lower case. */
typedef struct reply {
  long status;
  weft__buf_t headers;
  size_t nheaders;
  weft__buf_t body;
  bool failed; /* too big, out of memory, or a header not UTF-8 */
} reply_t;

static size_t on_body(char *data, size_t size, size_t n, void *ud) {
  reply_t *r = ud;
  size_t len = size * n;
  if (r->body.len + len > MAX_BODY || weft__buf_add(&r->body, data, len) < 0) {
    r->failed = true;
    return 0;
  }
  return len;
}

static size_t on_header(char *line, size_t size, size_t n, void *ud) {
  reply_t *r = ud;
  size_t len = size * n, k;
  while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
    len--;
  if (len >= 5 && !memcmp(line, "HTTP/", 5)) { /* a new (final?) response */
    weft__buf_release(&r->headers);
    r->nheaders = 0;
    return size * n;
  }
  const char *colon = memchr(line, ':', len);
  if (!colon || colon == line)
    return size * n; /* the blank line ending the headers */
  if (weft__utf8_check((const uint8_t *)line, len) != len) {
    r->failed = true;
    return 0;
  }
  size_t start = r->headers.len;
  for (k = 0; line + k < colon; k++) {
    char ch = line[k];
    ch = ch >= 'A' && ch <= 'Z' ? (char)(ch + 32) : ch;
    if (weft__buf_add(&r->headers, &ch, 1) < 0)
      goto nomem;
  }
  const char *v = colon + 1, *e = line + len;
  while (v < e && (*v == ' ' || *v == '\t'))
    v++;
  while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
    e--;
  if (weft__buf_add(&r->headers, "", 1) < 0 ||
      weft__buf_add(&r->headers, v, (size_t)(e - v)) < 0 ||
      weft__buf_add(&r->headers, "", 1) < 0)
    goto nomem;
  r->nheaders++;
  return size * n;
nomem:
  r->headers.len = start;
  r->failed = true;
  return 0;
}

/* The guest's headers for curl; false if one could smuggle another
 * header in (CR, LF or NUL; a bad name). Adds "Expect:" (no 100-continue
 * wait) and, with a body but no content-type, "Content-Type:" so curl
 * adds none of its own. */
static bool request_headers(const weft_val_t *hv, bool body,
                            struct curl_slist **out) {
  bool has_type = false;
  weft__buf_t line;
  weft__buf_init(&line);
  for (size_t i = 0; i < hv->of.list.len; i++) {
    const weft_val_t *kv = hv->of.list.ptr[i].of.list.ptr;
    const char *name = kv[0].of.str.ptr, *value = kv[1].of.str.ptr;
    size_t nl = kv[0].of.str.len, vl = kv[1].of.str.len;
    if (!nl || strcspn(name, ":\r\n \t") != nl || strcspn(value, "\r\n") != vl)
      goto fail;
    has_type |= nl == 12 && !strncasecmp(name, "content-type", 12);
    line.len = 0;
    /* "name;" is curl's way of sending a header with an empty value. */
    if (weft__buf_add(&line, name, nl) < 0 ||
        weft__buf_puts(&line, vl ? ": " : ";") < 0 ||
        weft__buf_add(&line, value, vl) < 0)
      goto fail;
    struct curl_slist *l = curl_slist_append(*out, line.data);
    if (!l)
      goto fail;
    *out = l;
  }
  const char *extra[] = {"Expect:", body && !has_type ? "Content-Type:" : NULL};
  for (size_t i = 0; i < 2; i++) {
    struct curl_slist *l = extra[i] ? curl_slist_append(*out, extra[i]) : *out;
    if (!l)
      goto fail;
    *out = l;
  }
  weft__buf_release(&line);
  return true;
fail:
  weft__buf_release(&line);
  return false;
}

/* Log a denied request on stderr. curl_url has refused any URL with a
 * control character, so the line stays one line. */
static void log_denied(const env_t *env, const char *url) {
  fprintf(stderr,
          "weft: component '%s': outbound request to %s denied (not in "
          "allowed_outbound_hosts)\n",
          env->c->id, url);
}

/* Send request record `req` (method, uri, headers, params, body) into
 * *r. Returns E_NONE or the http-error case. */
static int fetch(const env_t *env, const weft_val_t *req, reply_t *r) {
  static const char *const methods[] = {"GET",   "POST", "PUT",    "DELETE",
                                        "PATCH", "HEAD", "OPTIONS"};
  const char *url = req[1].of.str.ptr;
  const weft_val_t *body = req[4].of.var.tag ? req[4].of.var.val : NULL;
  uint32_t m = req[0].of.var.tag;
  CURLU *u = curl_url();
  CURL *h = NULL;
  struct curl_slist *hl = NULL;
  char *scheme = NULL;
  int rc = E_RUNTIME;
  if (!u || m >= 7)
    goto out;
  rc = E_INVALID_URL;
  if (strlen(url) != req[1].of.str.len ||
      curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
      curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
      (strcasecmp(scheme, "http") && strcasecmp(scheme, "https")))
    goto out;
  if (!weft__allowed_hosts_allow(env->hosts, url)) {
    log_denied(env, url);
    rc = E_DENIED;
    goto out;
  }
  rc = E_RUNTIME;
  bool sends_body = body || m == 1 || m == 2 || m == 4; /* POST PUT PATCH */
  if (!(h = curl_easy_init()) || !request_headers(&req[2], sends_body, &hl))
    goto out;
  curl_easy_setopt(h, CURLOPT_CURLU, u);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, TOTAL_TIMEOUT_S);
  curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)MAX_BODY);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
  if (m == 5) {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (sends_body) {
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                     (curl_off_t)(body ? body->of.bytes.len : 0));
    curl_easy_setopt(
        h, CURLOPT_POSTFIELDS,
        body && body->of.bytes.len ? (const char *)body->of.bytes.ptr : "");
  }
  if (m != 5) /* also for GET: a body must not turn it into a POST */
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, methods[m]);
  CURLcode cc = curl_easy_perform(h);
  if (r->failed || cc == CURLE_FILESIZE_EXCEEDED)
    rc = E_RUNTIME;
  else if (cc != CURLE_OK)
    rc = E_REQUEST;
  else if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status) ==
               CURLE_OK &&
           r->status >= 100 && r->status <= 999)
    rc = E_NONE;
out:
  curl_slist_free_all(hl);
  curl_easy_cleanup(h);
  curl_free(scheme);
  curl_url_cleanup(u);
  return rc;
}

/* *v as the response record of `r`, in memory of the call. False when
 * out of memory. */
static bool response_val(weft_caller_t *caller, const reply_t *r,
                         weft_val_t *v) {
  size_t n = r->nheaders;
  weft_val_t *f = weft_caller_alloc(caller, (5 + 3 * n) * sizeof *f);
  char *text = weft_caller_alloc(caller, r->headers.len + 1);
  uint8_t *body = weft_caller_alloc(caller, r->body.len + 1);
  if (!f || !text || !body)
    return false;
  if (r->headers.len)
    memcpy(text, r->headers.data, r->headers.len);
  if (r->body.len)
    memcpy(body, r->body.data, r->body.len);
  weft_val_t *hl = &f[3], *bl = &f[4], *tuples = &f[5], *strs = &f[5 + n];
  for (size_t i = 0; i < 2 * n; i++) { /* name, value, name, value, ... */
    size_t len = strlen(text);
    strs[i] = (weft_val_t){.kind = WEFT_VAL_STRING};
    strs[i].of.str.ptr = text;
    strs[i].of.str.len = len;
    text += len + 1;
  }
  for (size_t i = 0; i < n; i++) {
    tuples[i] = (weft_val_t){.kind = WEFT_VAL_TUPLE};
    tuples[i].of.list.ptr = &strs[2 * i];
    tuples[i].of.list.len = 2;
  }
  *hl = (weft_val_t){.kind = WEFT_VAL_LIST};
  hl->of.list.ptr = tuples;
  hl->of.list.len = n;
  *bl = (weft_val_t){.kind = WEFT_VAL_LIST};
  bl->of.bytes.ptr = body;
  bl->of.bytes.len = r->body.len;
  f[0] = (weft_val_t){.kind = WEFT_VAL_U16, .of.u16 = (uint16_t)r->status};
  f[1] = (weft_val_t){.kind = WEFT_VAL_OPTION, .of.var = {1, hl}};
  f[2] = (weft_val_t){.kind = WEFT_VAL_OPTION, .of.var = {1, bl}};
  *v = (weft_val_t){.kind = WEFT_VAL_RECORD};
  v->of.list.ptr = f;
  v->of.list.len = 3;
  return true;
}

static void send_request(weft_caller_t *caller, void *env,
                         const weft_val_t *args, size_t nargs, weft_val_t *res,
                         size_t nres) {
  (void)nargs, (void)nres;
  reply_t r = {0};
  weft__buf_init(&r.headers);
  weft__buf_init(&r.body);
  int e = fetch(env, args[0].of.list.ptr, &r);
  weft_val_t *payload = weft_caller_alloc(caller, sizeof *payload);
  bool ok = payload && (e != E_NONE || response_val(caller, &r, payload));
  weft__buf_release(&r.headers);
  weft__buf_release(&r.body);
  if (!ok)
    weft_caller_trap(caller, "send-request: out of memory");
  if (e != E_NONE)
    *payload =
        (weft_val_t){.kind = WEFT_VAL_ENUM, .of.var = {(uint32_t)e, NULL}};
  res[0] =
      (weft_val_t){.kind = WEFT_VAL_RESULT, .of.var = {e != E_NONE, payload}};
}

int weft__outbound_define(weft_linker_t *linker, const weft__vars_t *vars,
                          const weft__manifest_component_t *c,
                          weft_error_t *err) {
  pthread_once(&init_once, init);
  if (init_rc != CURLE_OK)
    return WEFT_ERR(err, WEFT_EIO, "cannot initialise libcurl: %s",
                    curl_easy_strerror(init_rc));
  env_t *env = calloc(1, sizeof *env);
  if (!env)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  env->c = c;
  int rc = weft__allowed_hosts_new(c, vars, &env->hosts, err);
  if (rc == 0)
    rc = weft_linker_define_wit(linker, "fermyon:spin/http#send-request",
                                send_request, env, err);
  if (rc < 0) {
    weft__allowed_hosts_free(env->hosts);
    free(env);
    return rc;
  }
  pthread_mutex_lock(&envs_lock);
  env->next = envs;
  envs = env;
  pthread_mutex_unlock(&envs_lock);
  return 0;
}

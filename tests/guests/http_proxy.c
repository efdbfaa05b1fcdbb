/* http_proxy.c - an HTTP component that fetches another URL through
 * fermyon:spin/http send-request: the URL is the query parameter `url`
 * (percent-decoded; e.g. /fetch?url=http%3A%2F%2Fhost%2F) or the header
 * `x-target`. The inbound method and body are passed on. It answers 200
 * with the upstream body, the upstream status in `x-upstream-status` and
 * each upstream header NAME as `upstream-NAME`; 502 with the http-error's
 * name as the body when send-request fails; 400 without a URL. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_trigger.h"

static const char *const error_names[] = {
    "success",       "destination-not-allowed", "invalid-url",
    "request-error", "runtime-error",           "too-many-requests"};

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p)
    abort();
  return p;
}

static void answer(fermyon_spin_http_types_response_t *ret, uint16_t status,
                   const void *data, size_t len) {
  uint8_t *body = xmalloc(len);
  memcpy(body, data, len);
  ret->status = status;
  ret->headers.is_some = false;
  ret->body.is_some = true;
  ret->body.val.ptr = body;
  ret->body.val.len = len;
}

static int hex(char c) {
  return c >= '0' && c <= '9'   ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                : -1;
}

/* The percent-decoded query parameter `url` of `uri`, malloc'd, or NULL. */
static char *url_param(const http_trigger_string_t *uri) {
  const char *s = (const char *)uri->ptr, *end = s + uri->len;
  const char *q = memchr(s, '?', uri->len);
  for (const char *p = q; p && p < end; p = memchr(p, '&', (size_t)(end - p))) {
    p++;
    if (end - p < 4 || memcmp(p, "url=", 4))
      continue;
    char *out = xmalloc((size_t)(end - p)), *o = out;
    for (p += 4; p < end && *p != '&'; p++)
      if (*p == '%' && end - p > 2 && hex(p[1]) >= 0 && hex(p[2]) >= 0) {
        *o++ = (char)(hex(p[1]) * 16 + hex(p[2]));
        p += 2;
      } else {
        *o++ = *p == '+' ? ' ' : *p;
      }
    *o = 0;
    return out;
  }
  return NULL;
}

/* The value of header `name` of `req`, malloc'd, or NULL. */
static char *header(const fermyon_spin_http_types_request_t *req,
                    const char *name) {
  for (size_t i = 0; i < req->headers.len; i++) {
    const http_trigger_tuple2_string_string_t *h = &req->headers.ptr[i];
    if (h->f0.len == strlen(name) && !memcmp(h->f0.ptr, name, h->f0.len)) {
      char *v = xmalloc(h->f1.len + 1);
      memcpy(v, h->f1.ptr, h->f1.len);
      v[h->f1.len] = 0;
      return v;
    }
  }
  return NULL;
}

/* Answer with upstream response `up`: its body, its status and headers. */
static void relay(fermyon_spin_http_types_response_t *ret,
                  fermyon_spin_http_types_response_t *up) {
  size_t n = up->headers.is_some ? up->headers.val.len : 0;
  http_trigger_tuple2_string_string_t *h = xmalloc((n + 1) * sizeof *h);
  char status[8];
  snprintf(status, sizeof status, "%u", (unsigned)up->status);
  http_trigger_string_dup(&h[0].f0, "x-upstream-status");
  http_trigger_string_dup(&h[0].f1, status);
  for (size_t i = 0; i < n; i++) {
    http_trigger_tuple2_string_string_t *u = &up->headers.val.ptr[i];
    h[i + 1].f0.len = 9 + u->f0.len;
    h[i + 1].f0.ptr = xmalloc(h[i + 1].f0.len);
    memcpy(h[i + 1].f0.ptr, "upstream-", 9);
    memcpy(h[i + 1].f0.ptr + 9, u->f0.ptr, u->f0.len);
    h[i + 1].f1 = u->f1; /* moved: emptied below */
    u->f1.ptr = NULL;
    u->f1.len = 0;
  }
  ret->status = 200;
  ret->headers.is_some = true;
  ret->headers.val.ptr = h;
  ret->headers.val.len = n + 1;
  ret->body = up->body; /* moved */
  if (!ret->body.is_some) {
    ret->body.is_some = true;
    ret->body.val.ptr = NULL;
    ret->body.val.len = 0;
  }
  up->body.is_some = false;
}

void exports_fermyon_spin_inbound_http_handle_request(
    fermyon_spin_http_types_request_t *req,
    fermyon_spin_http_types_response_t *ret) {
  char *url = url_param(&req->uri);
  if (!url)
    url = header(req, "x-target");
  if (!url) {
    answer(ret, 400, "no url", 6);
    return;
  }
  fermyon_spin_http_types_request_t out = {.method = req->method};
  http_trigger_string_set(&out.uri, url);
  out.body = req->body; /* lent for the call */
  http_trigger_result_response_http_error_t r;
  fermyon_spin_http_send_request(&out, &r);
  if (r.is_err) {
    const char *name = r.val.err < 6 ? error_names[r.val.err] : "unknown";
    answer(ret, 502, name, strlen(name));
  } else {
    relay(ret, &r.val.ok);
  }
  http_trigger_result_response_http_error_free(&r);
  free(url);
}

/* http_files.c - an HTTP component that answers with the content of the
 * guest file named by the request's path info (its `files`, staged by
 * weft up as "/"), 404 when it cannot be read; a PUT writes the body to
 * the file first, to show writes land in the staged copy. Paths
 * /var/NAME and /config/NAME answer variable NAME instead, through
 * variables@2.0.0 and Spin 1's config (500 and the error's tag when it
 * fails). It also prints each path it serves on stdout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_trigger.h"

static void answer(fermyon_spin_http_types_response_t *ret, uint16_t status,
                   const char *data, size_t len) {
  uint8_t *body = malloc(len ? len : 1);
  if (!body)
    abort();
  memcpy(body, data, len);
  ret->status = status;
  ret->headers.is_some = false;
  ret->body.is_some = true;
  ret->body.val.ptr = body;
  ret->body.val.len = len;
}

void exports_fermyon_spin_inbound_http_handle_request(
    fermyon_spin_http_types_request_t *req,
    fermyon_spin_http_types_response_t *ret) {
  char path[512] = "";
  for (size_t i = 0; i < req->headers.len; i++) {
    http_trigger_tuple2_string_string_t *h = &req->headers.ptr[i];
    if (h->f0.len == 14 && !memcmp(h->f0.ptr, "spin-path-info", 14) &&
        h->f1.len < sizeof path) {
      memcpy(path, h->f1.ptr, h->f1.len);
      path[h->f1.len] = 0;
    }
  }
  printf("serving %s\n", path);
  fflush(stdout);
  if (!strncmp(path, "/var/", 5) || !strncmp(path, "/config/", 8)) {
    char *name = strchr(path + 1, '/') + 1;
    http_trigger_string_t key;
    http_trigger_string_set(&key, name);
    if (path[1] == 'v') {
      http_trigger_result_string_fermyon_spin_2_0_0_variables_error_t r;
      fermyon_spin_2_0_0_variables_get(&key, &r);
      if (r.is_err)
        answer(ret, 500, "variables error", 15);
      else
        answer(ret, 200, (char *)r.val.ok.ptr, r.val.ok.len);
      http_trigger_result_string_fermyon_spin_2_0_0_variables_error_free(&r);
    } else {
      http_trigger_result_string_error_t r;
      fermyon_spin_config_get_config(&key, &r);
      if (r.is_err)
        answer(ret, 500, "config error", 12);
      else
        answer(ret, 200, (char *)r.val.ok.ptr, r.val.ok.len);
      http_trigger_result_string_error_free(&r);
    }
    return;
  }
  if (req->method == FERMYON_SPIN_HTTP_TYPES_METHOD_PUT) {
    FILE *w = fopen(path, "w");
    if (w && req->body.is_some)
      fwrite(req->body.val.ptr, 1, req->body.val.len, w);
    if (w)
      fclose(w);
  }
  FILE *f = fopen(path, "r");
  if (!f) {
    answer(ret, 404, "no such file\n", 13);
    return;
  }
  static char buf[65536];
  size_t n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  answer(ret, 200, buf, n);
}

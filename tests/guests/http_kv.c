/* http_kv.c - an HTTP component that performs the key-value operation its
 * request names, for tests of Spin's key-value interfaces (kv_test.c):
 *
 *   /open/LABEL        open LABEL and drop it: "ok"
 *   /get/KEY           the value (404 "none" when there is none)
 *   /set/KEY           set KEY to the request body: "ok"
 *   /delete/KEY        "ok"
 *   /exists/KEY        "true" or "false"
 *   /keys              every key, one per line
 *   /leak/N            open the store N times without dropping it
 *
 * through fermyon:spin/key-value@2.0.0, or through the unversioned
 * interface with the prefix /v1 (there /get of a missing key is 404
 * "no-such-key"). The store is `default`, or the label in the request
 * header x-store. A failure answers 500 with the error's case name, and
 * for other / io ": " and its text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_trigger.h"

static void answer(fermyon_spin_http_types_response_t *ret, uint16_t status,
                   const void *data, size_t len) {
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

static void say(fermyon_spin_http_types_response_t *ret, uint16_t status,
                const char *text) {
  answer(ret, status, text, strlen(text));
}

/* ---- errors ------------------------------------------------------------- */

static void v2_error(fermyon_spin_http_types_response_t *ret,
                     const fermyon_spin_2_0_0_key_value_error_t *e) {
  static const char *const names[] = {"store-table-full", "no-such-store",
                                      "access-denied", "other"};
  char text[512];
  if (e->tag == FERMYON_SPIN_2_0_0_KEY_VALUE_ERROR_OTHER)
    snprintf(text, sizeof text, "other: %.*s", (int)e->val.other.len,
             (const char *)e->val.other.ptr);
  else
    snprintf(text, sizeof text, "%s", e->tag < 4 ? names[e->tag] : "?");
  say(ret, 500, text);
}

static void v1_error(fermyon_spin_http_types_response_t *ret,
                     const fermyon_spin_key_value_error_t *e) {
  static const char *const names[] = {"store-table-full", "no-such-store",
                                      "access-denied",    "invalid-store",
                                      "no-such-key",      "io"};
  char text[512];
  if (e->tag == FERMYON_SPIN_KEY_VALUE_ERROR_IO)
    snprintf(text, sizeof text, "io: %.*s", (int)e->val.io.len,
             (const char *)e->val.io.ptr);
  else
    snprintf(text, sizeof text, "%s", e->tag < 6 ? names[e->tag] : "?");
  say(ret, e->tag == FERMYON_SPIN_KEY_VALUE_ERROR_NO_SUCH_KEY ? 404 : 500,
      text);
}

/* ---- key-value@2.0.0 ---------------------------------------------------- */

static void v2(const char *op, const char *arg, http_trigger_string_t *label,
               fermyon_spin_http_types_request_t *req,
               fermyon_spin_http_types_response_t *ret) {
  http_trigger_result_own_store_error_t o;
  http_trigger_string_t key;
  if (!strcmp(op, "open")) {
    http_trigger_string_set(label, arg);
    fermyon_spin_2_0_0_key_value_static_store_open(label, &o);
    if (o.is_err) {
      v2_error(ret, &o.val.err);
      fermyon_spin_2_0_0_key_value_error_free(&o.val.err);
    } else {
      fermyon_spin_2_0_0_key_value_store_drop_own(o.val.ok);
      say(ret, 200, "ok");
    }
    return;
  }
  if (!strcmp(op, "leak")) {
    int n = atoi(arg);
    char text[64];
    for (int i = 0; i < n; i++) {
      fermyon_spin_2_0_0_key_value_static_store_open(label, &o);
      if (o.is_err) {
        v2_error(ret, &o.val.err);
        fermyon_spin_2_0_0_key_value_error_free(&o.val.err);
        return;
      }
    }
    snprintf(text, sizeof text, "opened %d", n);
    say(ret, 200, text);
    return;
  }
  fermyon_spin_2_0_0_key_value_static_store_open(label, &o);
  if (o.is_err) {
    v2_error(ret, &o.val.err);
    fermyon_spin_2_0_0_key_value_error_free(&o.val.err);
    return;
  }
  fermyon_spin_2_0_0_key_value_borrow_store_t s =
      fermyon_spin_2_0_0_key_value_borrow_store(o.val.ok);
  http_trigger_string_set(&key, arg);
  if (!strcmp(op, "get")) {
    http_trigger_result_option_list_u8_fermyon_spin_2_0_0_key_value_error_t r;
    fermyon_spin_2_0_0_key_value_method_store_get(s, &key, &r);
    if (r.is_err)
      v2_error(ret, &r.val.err);
    else if (!r.val.ok.is_some)
      say(ret, 404, "none");
    else
      answer(ret, 200, r.val.ok.val.ptr, r.val.ok.val.len);
    http_trigger_result_option_list_u8_fermyon_spin_2_0_0_key_value_error_free(
        &r);
  } else if (!strcmp(op, "set") || !strcmp(op, "delete")) {
    http_trigger_result_void_fermyon_spin_2_0_0_key_value_error_t r;
    http_trigger_list_u8_t value = {NULL, 0};
    if (req->body.is_some)
      value = req->body.val;
    if (op[0] == 's')
      fermyon_spin_2_0_0_key_value_method_store_set(s, &key, &value, &r);
    else
      fermyon_spin_2_0_0_key_value_method_store_delete(s, &key, &r);
    if (r.is_err)
      v2_error(ret, &r.val.err);
    else
      say(ret, 200, "ok");
    http_trigger_result_void_fermyon_spin_2_0_0_key_value_error_free(&r);
  } else if (!strcmp(op, "exists")) {
    http_trigger_result_bool_fermyon_spin_2_0_0_key_value_error_t r;
    fermyon_spin_2_0_0_key_value_method_store_exists(s, &key, &r);
    if (r.is_err)
      v2_error(ret, &r.val.err);
    else
      say(ret, 200, r.val.ok ? "true" : "false");
    http_trigger_result_bool_fermyon_spin_2_0_0_key_value_error_free(&r);
  } else if (!strcmp(op, "keys")) {
    http_trigger_result_list_string_fermyon_spin_2_0_0_key_value_error_t r;
    fermyon_spin_2_0_0_key_value_method_store_get_keys(s, &r);
    if (r.is_err) {
      v2_error(ret, &r.val.err);
    } else {
      size_t n = 0, o2 = 0;
      for (size_t i = 0; i < r.val.ok.len; i++)
        n += r.val.ok.ptr[i].len + 1;
      char *text = malloc(n + 1);
      if (!text)
        abort();
      for (size_t i = 0; i < r.val.ok.len; i++) {
        memcpy(text + o2, r.val.ok.ptr[i].ptr, r.val.ok.ptr[i].len);
        o2 += r.val.ok.ptr[i].len;
        text[o2++] = '\n';
      }
      answer(ret, 200, text, o2);
      free(text);
    }
    http_trigger_result_list_string_fermyon_spin_2_0_0_key_value_error_free(&r);
  } else {
    say(ret, 400, "unknown operation");
  }
  fermyon_spin_2_0_0_key_value_store_drop_own(o.val.ok);
}

/* ---- the unversioned interface ------------------------------------------ */

static void v1(const char *op, const char *arg, http_trigger_string_t *label,
               fermyon_spin_http_types_request_t *req,
               fermyon_spin_http_types_response_t *ret) {
  http_trigger_result_u32_error_t o;
  http_trigger_string_t key;
  if (!strcmp(op, "open"))
    http_trigger_string_set(label, arg);
  if (!strcmp(op, "leak")) {
    int n = atoi(arg);
    char text[64];
    for (int i = 0; i < n; i++) {
      fermyon_spin_key_value_open(label, &o);
      if (o.is_err) {
        v1_error(ret, &o.val.err);
        fermyon_spin_key_value_error_free(&o.val.err);
        return;
      }
    }
    snprintf(text, sizeof text, "opened %d", n);
    say(ret, 200, text);
    return;
  }
  fermyon_spin_key_value_open(label, &o);
  if (o.is_err) {
    v1_error(ret, &o.val.err);
    fermyon_spin_key_value_error_free(&o.val.err);
    return;
  }
  uint32_t s = o.val.ok;
  http_trigger_string_set(&key, arg);
  if (!strcmp(op, "open")) {
    say(ret, 200, "ok");
  } else if (!strcmp(op, "get")) {
    http_trigger_result_list_u8_fermyon_spin_key_value_error_t r;
    fermyon_spin_key_value_get(s, &key, &r);
    if (r.is_err)
      v1_error(ret, &r.val.err);
    else
      answer(ret, 200, r.val.ok.ptr, r.val.ok.len);
    http_trigger_result_list_u8_fermyon_spin_key_value_error_free(&r);
  } else if (!strcmp(op, "set") || !strcmp(op, "delete")) {
    http_trigger_result_void_fermyon_spin_key_value_error_t r;
    http_trigger_list_u8_t value = {NULL, 0};
    if (req->body.is_some)
      value = req->body.val;
    if (op[0] == 's')
      fermyon_spin_key_value_set(s, &key, &value, &r);
    else
      fermyon_spin_key_value_delete(s, &key, &r);
    if (r.is_err)
      v1_error(ret, &r.val.err);
    else
      say(ret, 200, "ok");
    http_trigger_result_void_fermyon_spin_key_value_error_free(&r);
  } else if (!strcmp(op, "exists")) {
    http_trigger_result_bool_error_t r;
    fermyon_spin_key_value_exists(s, &key, &r);
    if (r.is_err)
      v1_error(ret, &r.val.err);
    else
      say(ret, 200, r.val.ok ? "true" : "false");
    http_trigger_result_bool_error_free(&r);
  } else if (!strcmp(op, "keys")) {
    http_trigger_result_list_string_fermyon_spin_key_value_error_t r;
    fermyon_spin_key_value_get_keys(s, &r);
    if (r.is_err) {
      v1_error(ret, &r.val.err);
    } else {
      char text[4096];
      size_t o2 = 0;
      for (size_t i = 0; i < r.val.ok.len; i++) {
        if (o2 + r.val.ok.ptr[i].len + 1 > sizeof text)
          break;
        memcpy(text + o2, r.val.ok.ptr[i].ptr, r.val.ok.ptr[i].len);
        o2 += r.val.ok.ptr[i].len;
        text[o2++] = '\n';
      }
      answer(ret, 200, text, o2);
    }
    http_trigger_result_list_string_fermyon_spin_key_value_error_free(&r);
  } else if (!strcmp(op, "use-closed")) {
    /* A handle used after close is invalid-store. */
    http_trigger_result_bool_error_t r;
    fermyon_spin_key_value_close(s);
    fermyon_spin_key_value_exists(s, &key, &r);
    if (r.is_err)
      v1_error(ret, &r.val.err);
    else
      say(ret, 200, "still open");
    http_trigger_result_bool_error_free(&r);
    return;
  } else {
    say(ret, 400, "unknown operation");
  }
  fermyon_spin_key_value_close(s);
}

void exports_fermyon_spin_inbound_http_handle_request(
    fermyon_spin_http_types_request_t *req,
    fermyon_spin_http_types_response_t *ret) {
  char path[1024] = "", store[256] = "default";
  size_t n = req->uri.len < sizeof path - 1 ? req->uri.len : sizeof path - 1;
  memcpy(path, req->uri.ptr, n);
  path[n] = 0;
  path[strcspn(path, "?")] = 0;
  for (size_t i = 0; i < req->headers.len; i++) {
    http_trigger_tuple2_string_string_t *h = &req->headers.ptr[i];
    if (h->f0.len == 7 && !memcmp(h->f0.ptr, "x-store", 7) &&
        h->f1.len < sizeof store) {
      memcpy(store, h->f1.ptr, h->f1.len);
      store[h->f1.len] = 0;
    }
  }
  char *p = path;
  int old = !strncmp(p, "/v1/", 4);
  if (old)
    p += 3;
  if (*p != '/') {
    say(ret, 400, "bad path");
    return;
  }
  char *op = p + 1, *arg = strchr(op, '/');
  if (arg)
    *arg++ = 0;
  else
    arg = op + strlen(op);
  http_trigger_string_t label;
  http_trigger_string_set(&label, store);
  if (old)
    v1(op, arg, &label, req, ret);
  else
    v2(op, arg, &label, req, ret);
}

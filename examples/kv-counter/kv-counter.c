/* kv-counter.c - a Spin HTTP component in C that counts its requests in
 * the key-value store `default` (fermyon:spin/key-value@2.0.0), under the
 * key "count", and answers the new count as text; GET /reset deletes the
 * key and answers 0. A store error answers 500 with its text. Built with
 * the shipped bindings of the world fermyon:spin/http-trigger (sdk/c) by
 * `weft build` in this directory (see spin.toml), and served by `weft up`:
 * the count survives restarts (in .weft/sqlite_key_value.db, or where a
 * runtime config file puts `default`). Two requests at the same moment may
 * count once: get and set are two operations, as in Spin. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_trigger.h"

/* Answer `status` with `text`; everything returned is malloc'd, since the
 * glue frees it once the host has read the response. */
static void answer(fermyon_spin_http_types_response_t *ret, uint16_t status,
                   const char *text) {
  size_t len = strlen(text);
  http_trigger_tuple2_string_string_t *header = malloc(sizeof *header);
  uint8_t *body = malloc(len ? len : 1);
  if (header == NULL || body == NULL)
    abort();
  http_trigger_string_dup(&header->f0, "content-type");
  http_trigger_string_dup(&header->f1, "text/plain");
  memcpy(body, text, len);
  ret->status = status;
  ret->headers.is_some = true;
  ret->headers.val.ptr = header;
  ret->headers.val.len = 1;
  ret->body.is_some = true;
  ret->body.val.ptr = body;
  ret->body.val.len = len;
}

/* Answer 500 with what went wrong. */
static void failed(fermyon_spin_http_types_response_t *ret, const char *what,
                   const fermyon_spin_2_0_0_key_value_error_t *e) {
  static const char *const names[] = {"too many stores open", "no such store",
                                      "access denied"};
  char text[600];
  if (e->tag == FERMYON_SPIN_2_0_0_KEY_VALUE_ERROR_OTHER)
    snprintf(text, sizeof text, "%s: %.*s\n", what, (int)e->val.other.len,
             (const char *)e->val.other.ptr);
  else
    snprintf(text, sizeof text, "%s: %s\n", what,
             e->tag < 3 ? names[e->tag] : "error");
  answer(ret, 500, text);
}

/* True if the request's path (its uri without the query) is `path`. */
static bool path_is(const fermyon_spin_http_types_request_t *req,
                    const char *path) {
  size_t n = 0;
  while (n < req->uri.len && req->uri.ptr[n] != '?')
    n++;
  return n == strlen(path) && !memcmp(req->uri.ptr, path, n);
}

void exports_fermyon_spin_inbound_http_handle_request(
    fermyon_spin_http_types_request_t *req,
    fermyon_spin_http_types_response_t *ret) {
  http_trigger_string_t label, key;
  http_trigger_result_own_store_error_t opened;
  http_trigger_string_set(&label, "default");
  http_trigger_string_set(&key, "count");

  fermyon_spin_2_0_0_key_value_static_store_open(&label, &opened);
  if (opened.is_err) {
    failed(ret, "cannot open the store", &opened.val.err);
    fermyon_spin_2_0_0_key_value_error_free(&opened.val.err);
    return;
  }
  fermyon_spin_2_0_0_key_value_borrow_store_t store =
      fermyon_spin_2_0_0_key_value_borrow_store(opened.val.ok);

  if (path_is(req, "/reset")) {
    http_trigger_result_void_fermyon_spin_2_0_0_key_value_error_t r;
    fermyon_spin_2_0_0_key_value_method_store_delete(store, &key, &r);
    if (r.is_err)
      failed(ret, "cannot reset the count", &r.val.err);
    else
      answer(ret, 200, "0\n");
    http_trigger_result_void_fermyon_spin_2_0_0_key_value_error_free(&r);
    fermyon_spin_2_0_0_key_value_store_drop_own(opened.val.ok);
    return;
  }

  /* The count so far: none (a fresh store) is 0. */
  http_trigger_result_option_list_u8_fermyon_spin_2_0_0_key_value_error_t got;
  long long count = 0;
  fermyon_spin_2_0_0_key_value_method_store_get(store, &key, &got);
  if (got.is_err) {
    failed(ret, "cannot read the count", &got.val.err);
    http_trigger_result_option_list_u8_fermyon_spin_2_0_0_key_value_error_free(
        &got);
    fermyon_spin_2_0_0_key_value_store_drop_own(opened.val.ok);
    return;
  }
  if (got.val.ok.is_some) {
    char digits[32] = "";
    size_t n = got.val.ok.val.len < sizeof digits - 1 ? got.val.ok.val.len
                                                      : sizeof digits - 1;
    memcpy(digits, got.val.ok.val.ptr, n);
    count = atoll(digits);
  }
  http_trigger_result_option_list_u8_fermyon_spin_2_0_0_key_value_error_free(
      &got);

  /* Store and answer the new count. */
  char text[32];
  http_trigger_result_void_fermyon_spin_2_0_0_key_value_error_t set;
  snprintf(text, sizeof text, "%lld", count + 1);
  http_trigger_list_u8_t value = {(uint8_t *)text, strlen(text)};
  fermyon_spin_2_0_0_key_value_method_store_set(store, &key, &value, &set);
  if (set.is_err) {
    failed(ret, "cannot store the count", &set.val.err);
  } else {
    size_t n = strlen(text);
    snprintf(text + n, sizeof text - n, "\n");
    answer(ret, 200, text);
  }
  http_trigger_result_void_fermyon_spin_2_0_0_key_value_error_free(&set);
  fermyon_spin_2_0_0_key_value_store_drop_own(opened.val.ok);
}

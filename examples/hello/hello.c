/* hello.c - a Spin HTTP component in C: answers every request with 200,
 * a content-type header and the text "hello from weft". Built with the
 * shipped bindings of the world fermyon:spin/http-trigger (sdk/c) by
 * `weft build` in this directory (see spin.toml), and served by `weft up`.
 */
#include <stdlib.h>
#include <string.h>

#include "http_trigger.h"

static const char text[] = "hello from weft";

void exports_fermyon_spin_inbound_http_handle_request(
    fermyon_spin_http_types_request_t *req,
    fermyon_spin_http_types_response_t *ret) {
  http_trigger_tuple2_string_string_t *header;
  uint8_t *body;

  (void)req;
  /* Everything returned is malloc'd: the glue frees it once the host has
   * read the response. */
  header = malloc(sizeof *header);
  body = malloc(sizeof text - 1);
  if (header == NULL || body == NULL)
    abort();
  http_trigger_string_dup(&header->f0, "content-type");
  http_trigger_string_dup(&header->f1, "text/plain");
  memcpy(body, text, sizeof text - 1);

  ret->status = 200;
  ret->headers.is_some = true;
  ret->headers.val.ptr = header;
  ret->headers.val.len = 1;
  ret->body.is_some = true;
  ret->body.val.ptr = body;
  ret->body.val.len = sizeof text - 1;
}

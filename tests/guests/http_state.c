/* http_state.c - an HTTP component that remembers what it saw, for
 * tests/e2e/t0300-track-writes.sh: each answer tells how many requests
 * this instance has served and the URI of the one before, kept in static
 * data, on the heap and deep in a large static array (chunks apart), then
 * keeps the request's URI in all three. `weft up` resets the instance
 * after every request (rewriting only the memory marked written, with
 * write tracking), so every answer must be "calls=1 prev= heap= deep=". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_trigger.h"

static unsigned calls;
static char prev[128];
static char *heap;
static char deep[64 * 1024];

#define DEEP_AT (40 * 1024)

static void keep(char *to, const http_trigger_string_t *s) {
  size_t n = s->len < 127 ? s->len : 127;
  memcpy(to, s->ptr, n);
  to[n] = 0;
}

void exports_fermyon_spin_inbound_http_handle_request(
    fermyon_spin_http_types_request_t *req,
    fermyon_spin_http_types_response_t *ret) {
  char text[512];
  int n = snprintf(text, sizeof text, "calls=%u prev=%s heap=%s deep=%s",
                   ++calls, prev, heap ? heap : "", deep + DEEP_AT);
  keep(prev, &req->uri);
  heap = malloc(128);
  if (!heap)
    abort();
  keep(heap, &req->uri);
  keep(deep + DEEP_AT, &req->uri);

  uint8_t *body = malloc((size_t)n);
  if (!body)
    abort();
  memcpy(body, text, (size_t)n);
  ret->status = 200;
  ret->headers.is_some = false;
  ret->body.is_some = true;
  ret->body.val.ptr = body;
  ret->body.val.len = (size_t)n;
}

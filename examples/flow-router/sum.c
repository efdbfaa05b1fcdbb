/* sum.c - an aggregator (world torvyn:aggregation/aggregator-stage) that
 * adds up the numbers it ingests and, when the host flushes it (on its
 * node's window and at the end of the stream), emits one line:
 *   "even: 2+4+5=11"
 * Its config names the line: {"label": "even"}. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregator_stage.h"
#include "weft_json.h"

static char label[32] = "sum";
static char terms[4096];
static size_t tlen;
static unsigned long long total;
static uint64_t first_seq;

void exports_torvyn_streaming_lifecycle_init(
    aggregator_stage_string_t *config,
    aggregator_stage_result_void_process_error_t *ret) {
  weft_json_t *cfg =
      weft_json_parse((const char *)config->ptr, config->len, NULL, 0);
  const char *l = weft_json_get_string(cfg, "label");
  if (l)
    snprintf(label, sizeof label, "%s", l);
  weft_json_free(cfg);
  ret->is_err = false;
}

void exports_torvyn_streaming_lifecycle_teardown(void) {}

void exports_torvyn_aggregation_aggregator_ingest(
    torvyn_streaming_types_stream_element_t *element,
    aggregator_stage_result_option_output_element_process_error_t *ret) {
  aggregator_stage_list_u8_t text;
  torvyn_streaming_types_method_buffer_read_all(element->payload, &text);
  unsigned long long n = 0;
  for (size_t i = 0; i < text.len; i++)
    n = n * 10 + (text.ptr[i] - '0');
  if (!tlen)
    first_seq = element->meta.sequence;
  if (tlen < sizeof terms - 32)
    tlen += (size_t)snprintf(terms + tlen, sizeof terms - tlen, "%s%.*s",
                             tlen ? "+" : "", (int)text.len,
                             (const char *)text.ptr);
  total += n;
  aggregator_stage_list_u8_free(&text);
  ret->is_err = false;
  ret->val.ok.is_some = false; /* everything waits for a flush */
}

void exports_torvyn_aggregation_aggregator_flush(
    aggregator_stage_result_list_output_element_process_error_t *ret) {
  ret->is_err = false;
  ret->val.ok.len = 0;
  ret->val.ok.ptr = NULL;
  if (!tlen)
    return;
  char line[4200];
  int len = snprintf(line, sizeof line, "%s: %s=%llu", label, terms, total);
  aggregator_stage_result_own_mutable_buffer_buffer_error_t mb;
  torvyn_streaming_buffer_allocator_allocate((uint64_t)len, &mb);
  torvyn_streaming_types_borrow_mutable_buffer_t b =
      torvyn_streaming_types_borrow_mutable_buffer(mb.val.ok);
  aggregator_stage_list_u8_t bytes = {(uint8_t *)line, (size_t)len};
  aggregator_stage_result_void_buffer_error_t appended;
  torvyn_streaming_types_method_mutable_buffer_append(b, &bytes, &appended);
  ret->val.ok.ptr = malloc(sizeof *ret->val.ok.ptr);
  ret->val.ok.len = 1;
  torvyn_streaming_types_output_element_t *out = &ret->val.ok.ptr[0];
  out->payload = torvyn_streaming_types_method_mutable_buffer_freeze(b);
  torvyn_streaming_types_mutable_buffer_drop_own(mb.val.ok);
  out->meta.sequence = first_seq;
  out->meta.timestamp_ns = 0;
  aggregator_stage_string_dup(&out->meta.content_type, "text/plain");
  tlen = 0;
  total = 0;
}

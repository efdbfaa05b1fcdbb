/* aggregator_concat.c - an aggregator (world
 * torvyn:aggregation/aggregator-stage) that joins the payloads it
 * ingests with ',' and hands them on as one element when flushed (by the
 * host: at the end of the stream and on the node's window), or on its
 * own every `emit_every` ingested elements ({"emit_every": N}). The
 * element's sequence is that of the first payload in it. */
#include <stdlib.h>
#include <string.h>

#include "aggregator_stage.h"
#include "weft_json.h"

static uint8_t *held;
static size_t len, cap, count;
static uint64_t first_seq;
static int64_t emit_every;

void exports_torvyn_streaming_lifecycle_init(
    aggregator_stage_string_t *config,
    aggregator_stage_result_void_process_error_t *ret) {
  weft_json_t *cfg =
      weft_json_parse((const char *)config->ptr, config->len, NULL, 0);
  weft_json_get_i64(cfg, "emit_every", &emit_every);
  weft_json_free(cfg);
  ret->is_err = false;
}

void exports_torvyn_streaming_lifecycle_teardown(void) {}

static void add(const uint8_t *p, size_t n) {
  if (len + n + 1 > cap) {
    cap = (len + n + 1) * 2;
    held = realloc(held, cap);
  }
  if (count)
    held[len++] = ',';
  memcpy(held + len, p, n);
  len += n;
  count++;
}

/* What is held, as an output element; empty afterwards. */
static void take(torvyn_streaming_types_output_element_t *out) {
  aggregator_stage_result_own_mutable_buffer_buffer_error_t mb;
  torvyn_streaming_buffer_allocator_allocate(len, &mb);
  torvyn_streaming_types_borrow_mutable_buffer_t b =
      torvyn_streaming_types_borrow_mutable_buffer(mb.val.ok);
  aggregator_stage_list_u8_t bytes = {held, len};
  aggregator_stage_result_void_buffer_error_t ar;
  torvyn_streaming_types_method_mutable_buffer_append(b, &bytes, &ar);
  out->payload = torvyn_streaming_types_method_mutable_buffer_freeze(b);
  torvyn_streaming_types_mutable_buffer_drop_own(mb.val.ok);
  out->meta.sequence = first_seq;
  out->meta.timestamp_ns = 0;
  aggregator_stage_string_dup(&out->meta.content_type, "text/plain");
  len = count = 0;
}

void exports_torvyn_aggregation_aggregator_ingest(
    torvyn_streaming_types_stream_element_t *element,
    aggregator_stage_result_option_output_element_process_error_t *ret) {
  aggregator_stage_list_u8_t bytes;
  torvyn_streaming_types_method_buffer_read_all(element->payload, &bytes);
  if (!count)
    first_seq = element->meta.sequence;
  add(bytes.ptr, bytes.len);
  aggregator_stage_list_u8_free(&bytes);
  ret->is_err = false;
  ret->val.ok.is_some = emit_every > 0 && count >= (size_t)emit_every;
  if (ret->val.ok.is_some)
    take(&ret->val.ok.val);
}

void exports_torvyn_aggregation_aggregator_flush(
    aggregator_stage_result_list_output_element_process_error_t *ret) {
  ret->is_err = false;
  ret->val.ok.len = 0;
  ret->val.ok.ptr = NULL;
  if (!count)
    return;
  ret->val.ok.ptr = malloc(sizeof *ret->val.ok.ptr);
  ret->val.ok.len = 1;
  take(&ret->val.ok.ptr[0]);
}

/* upper.c - a processor (world torvyn:streaming/processor-stage) that
 * hands on each element's text in upper case (ASCII), in a buffer of its
 * own: read-all, allocate, append, freeze. */
#include <stdlib.h>
#include <string.h>

#include "processor_stage.h"

void exports_torvyn_streaming_lifecycle_init(
    processor_stage_string_t *config,
    processor_stage_result_void_process_error_t *ret) {
  (void)config;
  ret->is_err = false;
}

void exports_torvyn_streaming_lifecycle_teardown(void) {}

void exports_torvyn_streaming_processor_process(
    torvyn_streaming_types_stream_element_t *input,
    processor_stage_result_process_result_process_error_t *ret) {
  processor_stage_list_u8_t text;
  torvyn_streaming_types_method_buffer_read_all(input->payload, &text);
  for (size_t i = 0; i < text.len; i++)
    if (text.ptr[i] >= 'a' && text.ptr[i] <= 'z')
      text.ptr[i] = (uint8_t)(text.ptr[i] - 'a' + 'A');
  processor_stage_result_own_mutable_buffer_buffer_error_t mb;
  torvyn_streaming_buffer_allocator_allocate(text.len, &mb);
  if (mb.is_err) {
    processor_stage_list_u8_free(&text);
    ret->is_err = true;
    ret->val.err.tag = TORVYN_STREAMING_TYPES_PROCESS_ERROR_INTERNAL;
    processor_stage_string_dup(&ret->val.err.val.internal,
                               "no buffer for the result");
    return;
  }
  torvyn_streaming_types_borrow_mutable_buffer_t b =
      torvyn_streaming_types_borrow_mutable_buffer(mb.val.ok);
  processor_stage_result_void_buffer_error_t appended;
  torvyn_streaming_types_method_mutable_buffer_append(b, &text, &appended);
  processor_stage_list_u8_free(&text);
  ret->is_err = false;
  ret->val.ok.tag = TORVYN_STREAMING_TYPES_PROCESS_RESULT_EMIT;
  torvyn_streaming_types_output_element_t *out = &ret->val.ok.val.emit;
  out->payload = torvyn_streaming_types_method_mutable_buffer_freeze(b);
  torvyn_streaming_types_mutable_buffer_drop_own(mb.val.ok);
  out->meta.sequence = input->meta.sequence;
  out->meta.timestamp_ns = input->meta.timestamp_ns;
  /* What the call lends is freed after it: keep a copy. */
  out->meta.content_type.len = input->meta.content_type.len;
  out->meta.content_type.ptr = malloc(input->meta.content_type.len + 1);
  memcpy(out->meta.content_type.ptr, input->meta.content_type.ptr,
         input->meta.content_type.len);
}

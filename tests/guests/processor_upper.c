/* processor_upper.c - a processor (world
 * torvyn:streaming/processor-stage) that emits each element's payload in
 * upper case (ASCII), in a new buffer: read-all, allocate, append, freeze.
 * Two payload copies per element. The flow benchmark's middle stage. */
#include <stdlib.h>

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
  processor_stage_list_u8_t bytes;
  torvyn_streaming_types_method_buffer_read_all(input->payload, &bytes);
  for (size_t i = 0; i < bytes.len; i++)
    if (bytes.ptr[i] >= 'a' && bytes.ptr[i] <= 'z')
      bytes.ptr[i] = (uint8_t)(bytes.ptr[i] - 'a' + 'A');
  processor_stage_result_own_mutable_buffer_buffer_error_t mb;
  torvyn_streaming_buffer_allocator_allocate(bytes.len, &mb);
  if (mb.is_err) {
    processor_stage_list_u8_free(&bytes);
    ret->is_err = true;
    ret->val.err.tag = TORVYN_STREAMING_TYPES_PROCESS_ERROR_INTERNAL;
    processor_stage_string_dup(&ret->val.err.val.internal,
                               "allocate failed");
    return;
  }
  torvyn_streaming_types_borrow_mutable_buffer_t b =
      torvyn_streaming_types_borrow_mutable_buffer(mb.val.ok);
  processor_stage_result_void_buffer_error_t ar;
  torvyn_streaming_types_method_mutable_buffer_append(b, &bytes, &ar);
  processor_stage_list_u8_free(&bytes);
  ret->is_err = false;
  ret->val.ok.tag = TORVYN_STREAMING_TYPES_PROCESS_RESULT_EMIT;
  torvyn_streaming_types_output_element_t *out = &ret->val.ok.val.emit;
  out->payload = torvyn_streaming_types_method_mutable_buffer_freeze(b);
  torvyn_streaming_types_mutable_buffer_drop_own(mb.val.ok);
  out->meta.sequence = input->meta.sequence;
  out->meta.timestamp_ns = input->meta.timestamp_ns;
  /* The input's strings are freed after the call: copy. */
  out->meta.content_type.len = input->meta.content_type.len;
  out->meta.content_type.ptr = malloc(input->meta.content_type.len + 1);
  for (size_t i = 0; i < input->meta.content_type.len; i++)
    out->meta.content_type.ptr[i] = input->meta.content_type.ptr[i];
}

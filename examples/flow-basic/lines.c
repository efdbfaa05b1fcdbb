/* lines.c - a source (world torvyn:streaming/source-stage) that reads its
 * stdin line by line and emits each line, without its newline, as a
 * text/plain element; the end of the input ends the stream. `weft flow
 * run --input FILE` gives it FILE as its stdin. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source_stage.h"

void exports_torvyn_streaming_lifecycle_init(
    source_stage_string_t *config,
    source_stage_result_void_process_error_t *ret) {
  (void)config;
  ret->is_err = false;
}

void exports_torvyn_streaming_lifecycle_teardown(void) {}

void exports_torvyn_streaming_source_pull(
    source_stage_result_option_output_element_process_error_t *ret) {
  static uint64_t seq;
  char *line = NULL;
  size_t cap = 0;
  ssize_t len = getline(&line, &cap, stdin);
  ret->is_err = false;
  ret->val.ok.is_some = len >= 0;
  if (len < 0) { /* end of input */
    free(line);
    return;
  }
  if (len > 0 && line[len - 1] == '\n')
    len--;
  source_stage_result_own_mutable_buffer_buffer_error_t mb;
  torvyn_streaming_buffer_allocator_allocate((uint64_t)len, &mb);
  if (mb.is_err) {
    free(line);
    ret->is_err = true;
    ret->val.err.tag = TORVYN_STREAMING_TYPES_PROCESS_ERROR_INTERNAL;
    source_stage_string_dup(&ret->val.err.val.internal, "line too long");
    return;
  }
  torvyn_streaming_types_borrow_mutable_buffer_t b =
      torvyn_streaming_types_borrow_mutable_buffer(mb.val.ok);
  source_stage_list_u8_t bytes = {(uint8_t *)line, (size_t)len};
  source_stage_result_void_buffer_error_t appended;
  torvyn_streaming_types_method_mutable_buffer_append(b, &bytes, &appended);
  free(line);
  torvyn_streaming_types_output_element_t *out = &ret->val.ok.val;
  out->payload = torvyn_streaming_types_method_mutable_buffer_freeze(b);
  torvyn_streaming_types_mutable_buffer_drop_own(mb.val.ok);
  out->meta.sequence = seq++;
  out->meta.timestamp_ns = 0; /* the host stamps it */
  source_stage_string_dup(&out->meta.content_type, "text/plain");
}

void exports_torvyn_streaming_source_notify_backpressure(
    torvyn_streaming_types_backpressure_signal_t signal) {
  (void)signal; /* one line per pull: nothing to hold back */
}

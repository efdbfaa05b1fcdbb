/* print.c - a sink (world torvyn:streaming/sink-stage) that writes each
 * element's payload on a line of its stdout: weft's stdout, or the file
 * of `weft flow run --output FILE`. */
#include <stdio.h>

#include "sink_stage.h"

void exports_torvyn_streaming_lifecycle_init(
    sink_stage_string_t *config, sink_stage_result_void_process_error_t *ret) {
  (void)config;
  ret->is_err = false;
}

void exports_torvyn_streaming_lifecycle_teardown(void) {}

void exports_torvyn_streaming_sink_push(
    torvyn_streaming_types_stream_element_t *element,
    sink_stage_result_backpressure_signal_process_error_t *ret) {
  sink_stage_list_u8_t text;
  torvyn_streaming_types_method_buffer_read_all(element->payload, &text);
  fwrite(text.ptr, 1, text.len, stdout);
  putchar('\n');
  sink_stage_list_u8_free(&text);
  ret->is_err = false;
  ret->val.ok = TORVYN_STREAMING_TYPES_BACKPRESSURE_SIGNAL_READY;
}

void exports_torvyn_streaming_sink_complete(
    sink_stage_result_void_process_error_t *ret) {
  fflush(stdout);
  ret->is_err = false;
}

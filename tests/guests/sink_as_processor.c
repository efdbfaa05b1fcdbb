/* sink_as_processor.c - a sink component (world
 * torvyn:streaming/sink-stage, built like every tests/guests/sink_*.c),
 * which tests/e2e/t6000-flow-check.sh declares as a processor: weft flow
 * check must say that it does not export the processor's `process`. */
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
  (void)element;
  ret->is_err = false;
  ret->val.ok = TORVYN_STREAMING_TYPES_BACKPRESSURE_SIGNAL_READY;
}

void exports_torvyn_streaming_sink_complete(
    sink_stage_result_void_process_error_t *ret) {
  ret->is_err = false;
}

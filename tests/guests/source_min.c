/* source_min.c - the smallest source component (world
 * torvyn:streaming/source-stage): its stream is empty. Built with
 * sdk/c/src/source_stage.c (`make guests`); weft flow check's tests use
 * it as a component that fits its role. */
#include "source_stage.h"

void exports_torvyn_streaming_lifecycle_init(
    source_stage_string_t *config,
    source_stage_result_void_process_error_t *ret) {
  (void)config;
  ret->is_err = false;
}

void exports_torvyn_streaming_lifecycle_teardown(void) {}

/* None: the end of the stream. */
void exports_torvyn_streaming_source_pull(
    source_stage_result_option_output_element_process_error_t *ret) {
  ret->is_err = false;
  ret->val.ok.is_some = false;
}

void exports_torvyn_streaming_source_notify_backpressure(
    torvyn_streaming_types_backpressure_signal_t signal) {
  (void)signal;
}

/* processor_min.c - the smallest processor component (world
 * torvyn:streaming/processor-stage): it drops every element. Built with
 * sdk/c/src/processor_stage.c (`make guests`). */
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
  (void)input;
  ret->is_err = false;
  ret->val.ok.tag = TORVYN_STREAMING_TYPES_PROCESS_RESULT_DROP;
}

/* aggregator_min.c - the smallest aggregator component (world
 * torvyn:aggregation/aggregator-stage): it keeps nothing and emits
 * nothing. Built with sdk/c/src/aggregator_stage.c (`make guests`). */
#include "aggregator_stage.h"

void exports_torvyn_streaming_lifecycle_init(
    aggregator_stage_string_t *config,
    aggregator_stage_result_void_process_error_t *ret) {
  (void)config;
  ret->is_err = false;
}

void exports_torvyn_streaming_lifecycle_teardown(void) {}

void exports_torvyn_aggregation_aggregator_ingest(
    torvyn_streaming_types_stream_element_t *element,
    aggregator_stage_result_option_output_element_process_error_t *ret) {
  (void)element;
  ret->is_err = false;
  ret->val.ok.is_some = false;
}

void exports_torvyn_aggregation_aggregator_flush(
    aggregator_stage_result_list_output_element_process_error_t *ret) {
  ret->is_err = false;
  ret->val.ok.ptr = NULL;
  ret->val.ok.len = 0;
}

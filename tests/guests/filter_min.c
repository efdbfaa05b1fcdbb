/* filter_min.c - the smallest filter component (world
 * torvyn:filtering/filter-stage): it passes every element. Built with
 * sdk/c/src/filter_stage.c (`make guests`). */
#include "filter_stage.h"

void exports_torvyn_streaming_lifecycle_init(
    filter_stage_string_t *config,
    filter_stage_result_void_process_error_t *ret) {
  (void)config;
  ret->is_err = false;
}

void exports_torvyn_streaming_lifecycle_teardown(void) {}

void exports_torvyn_filtering_filter_evaluate(
    torvyn_streaming_types_stream_element_t *element,
    filter_stage_result_bool_process_error_t *ret) {
  (void)element;
  ret->is_err = false;
  ret->val.ok = true;
}

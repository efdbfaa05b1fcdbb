/* router_min.c - the smallest router component (world
 * torvyn:filtering/router-stage): it names no port, so every element is
 * dropped. Built with sdk/c/src/router_stage.c (`make guests`). */
#include "router_stage.h"

void exports_torvyn_streaming_lifecycle_init(
    router_stage_string_t *config,
    router_stage_result_void_process_error_t *ret) {
  (void)config;
  ret->is_err = false;
}

void exports_torvyn_streaming_lifecycle_teardown(void) {}

void exports_torvyn_filtering_router_route(
    torvyn_streaming_types_stream_element_t *element,
    router_stage_result_list_string_process_error_t *ret) {
  (void)element;
  ret->is_err = false;
  ret->val.ok.ptr = NULL;
  ret->val.ok.len = 0;
}

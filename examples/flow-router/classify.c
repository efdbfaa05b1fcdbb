/* classify.c - a router (world torvyn:filtering/router-stage) that sends
 * each number to port "even" or "odd", and a multiple of 5 to both: the
 * host then hands the one buffer to both edges, without a copy. It reads
 * the payload (the number as text) through `read`, at most 20 bytes. */
#include <stdlib.h>

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
  router_stage_list_u8_t text;
  torvyn_streaming_types_method_buffer_read(element->payload, 0, 20, &text);
  unsigned long long n = 0;
  for (size_t i = 0; i < text.len && text.ptr[i] >= '0' && text.ptr[i] <= '9';
       i++)
    n = n * 10 + (text.ptr[i] - '0');
  router_stage_list_u8_free(&text);
  router_stage_list_string_t *ports = &ret->val.ok;
  ret->is_err = false;
  ports->ptr = malloc(2 * sizeof *ports->ptr);
  ports->len = 0;
  if (n % 2 == 0 || n % 5 == 0)
    router_stage_string_dup(&ports->ptr[ports->len++], "even");
  if (n % 2 == 1 || n % 5 == 0)
    router_stage_string_dup(&ports->ptr[ports->len++], "odd");
}

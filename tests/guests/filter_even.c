/* filter_even.c - a filter (world torvyn:filtering/filter-stage) that
 * keeps the elements of even sequence ({"keep": "odd"}: odd ones) from
 * their metadata alone: it never reads a payload, so it costs no copy. */
#include <string.h>

#include "filter_stage.h"
#include "weft_json.h"

static int keep_odd;

void exports_torvyn_streaming_lifecycle_init(
    filter_stage_string_t *config,
    filter_stage_result_void_process_error_t *ret) {
  weft_json_t *cfg =
      weft_json_parse((const char *)config->ptr, config->len, NULL, 0);
  const char *keep = weft_json_get_string(cfg, "keep");
  keep_odd = keep && !strcmp(keep, "odd");
  weft_json_free(cfg);
  ret->is_err = false;
}

void exports_torvyn_streaming_lifecycle_teardown(void) {}

void exports_torvyn_filtering_filter_evaluate(
    torvyn_streaming_types_stream_element_t *element,
    filter_stage_result_bool_process_error_t *ret) {
  ret->is_err = false;
  ret->val.ok = (element->meta.sequence % 2 == 1) == (keep_odd != 0);
}

/* rate_limit.c - a rate-limiting filter (world
 * torvyn:filtering/filter-stage): it keeps at most `max_per_second`
 * elements per second, counted over a sliding window of `window_ms`
 * (so at most max_per_second * window_ms / 1000 in any window), by the
 * elements' own timestamps; the others are dropped. It reads no payload.
 * Its config is JSON, read with weft_json.h (sdk/c/include):
 *   {"max_per_second": 10, "window_ms": 1000}
 * A config that is not JSON, or without a positive integer
 * max_per_second, fails init with the reason. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "filter_stage.h"
#include "weft_json.h"

static int64_t max_per_second, window_ms = 1000;
/* Timestamps of the elements kept within the window: a ring. */
static uint64_t *kept;
static size_t cap, head, len;

static void bad_config(filter_stage_result_void_process_error_t *ret,
                       const char *why) {
  ret->is_err = true;
  ret->val.err.tag = TORVYN_STREAMING_TYPES_PROCESS_ERROR_INVALID_INPUT;
  filter_stage_string_dup(&ret->val.err.val.invalid_input, why);
}

void exports_torvyn_streaming_lifecycle_init(
    filter_stage_string_t *config,
    filter_stage_result_void_process_error_t *ret) {
  char why[160];
  ret->is_err = false;
  weft_json_t *cfg =
      weft_json_parse((const char *)config->ptr, config->len, why, sizeof why);
  if (!cfg) {
    char msg[200];
    snprintf(msg, sizeof msg, "config is not JSON: %s", why);
    bad_config(ret, msg);
    return;
  }
  if (!weft_json_get_i64(cfg, "max_per_second", &max_per_second) ||
      max_per_second <= 0)
    bad_config(ret, "config needs \"max_per_second\", an integer above 0");
  else if (weft_json_get(cfg, "window_ms") &&
           (!weft_json_get_i64(cfg, "window_ms", &window_ms) ||
            window_ms <= 0))
    bad_config(ret, "\"window_ms\" must be an integer above 0");
  weft_json_free(cfg);
  if (ret->is_err)
    return;
  cap = (size_t)(max_per_second * window_ms / 1000);
  if (cap == 0)
    cap = 1;
  kept = calloc(cap, sizeof *kept);
}

void exports_torvyn_streaming_lifecycle_teardown(void) {
  free(kept);
  kept = NULL;
}

void exports_torvyn_filtering_filter_evaluate(
    torvyn_streaming_types_stream_element_t *element,
    filter_stage_result_bool_process_error_t *ret) {
  uint64_t now = element->meta.timestamp_ns,
           window = (uint64_t)window_ms * 1000000u;
  /* Forget what left the window. */
  while (len && now - kept[head] >= window) {
    head = (head + 1) % cap;
    len--;
  }
  ret->is_err = false;
  ret->val.ok = len < cap;
  if (ret->val.ok)
    kept[(head + len++) % cap] = now;
}

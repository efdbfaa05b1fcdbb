/* events.c - a source (world torvyn:streaming/source-stage) of `count`
 * events "event N", stamped `interval_ms` apart from a fixed start, so
 * the stream is the same at every run however fast it goes. Config:
 *   {"count": 50, "interval_ms": 20} */
#include <stdio.h>
#include <string.h>

#include "source_stage.h"
#include "weft_json.h"

static int64_t count = 50, interval_ms = 20;
static uint64_t next;

static void bad_config(source_stage_result_void_process_error_t *ret,
                       const char *why) {
  ret->is_err = true;
  ret->val.err.tag = TORVYN_STREAMING_TYPES_PROCESS_ERROR_INVALID_INPUT;
  source_stage_string_dup(&ret->val.err.val.invalid_input, why);
}

void exports_torvyn_streaming_lifecycle_init(
    source_stage_string_t *config,
    source_stage_result_void_process_error_t *ret) {
  char why[160];
  ret->is_err = false;
  if (!config->len)
    return;
  weft_json_t *cfg =
      weft_json_parse((const char *)config->ptr, config->len, why, sizeof why);
  if (!cfg) {
    bad_config(ret, why);
    return;
  }
  if ((weft_json_get(cfg, "count") &&
       (!weft_json_get_i64(cfg, "count", &count) || count < 0)) ||
      (weft_json_get(cfg, "interval_ms") &&
       (!weft_json_get_i64(cfg, "interval_ms", &interval_ms) ||
        interval_ms < 0)))
    bad_config(ret, "\"count\" and \"interval_ms\" must be integers >= 0");
  weft_json_free(cfg);
}

void exports_torvyn_streaming_lifecycle_teardown(void) {}

void exports_torvyn_streaming_source_pull(
    source_stage_result_option_output_element_process_error_t *ret) {
  char text[32];
  ret->is_err = false;
  ret->val.ok.is_some = (int64_t)next < count;
  if (!ret->val.ok.is_some)
    return;
  int len = snprintf(text, sizeof text, "event %llu",
                     (unsigned long long)next);
  source_stage_result_own_mutable_buffer_buffer_error_t mb;
  torvyn_streaming_buffer_allocator_allocate((uint64_t)len, &mb);
  torvyn_streaming_types_borrow_mutable_buffer_t b =
      torvyn_streaming_types_borrow_mutable_buffer(mb.val.ok);
  source_stage_list_u8_t bytes = {(uint8_t *)text, (size_t)len};
  source_stage_result_void_buffer_error_t appended;
  torvyn_streaming_types_method_mutable_buffer_append(b, &bytes, &appended);
  torvyn_streaming_types_output_element_t *out = &ret->val.ok.val;
  out->payload = torvyn_streaming_types_method_mutable_buffer_freeze(b);
  torvyn_streaming_types_mutable_buffer_drop_own(mb.val.ok);
  out->meta.sequence = next;
  /* From one second, interval_ms apart. */
  out->meta.timestamp_ns =
      1000000000ull + next * (uint64_t)interval_ms * 1000000ull;
  source_stage_string_dup(&out->meta.content_type, "text/plain");
  next++;
}

void exports_torvyn_streaming_source_notify_backpressure(
    torvyn_streaming_types_backpressure_signal_t signal) {
  (void)signal;
}

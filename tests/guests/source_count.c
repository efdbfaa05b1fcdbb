/* source_count.c - a source of `count` numbered elements (world
 * torvyn:streaming/source-stage), configured in JSON:
 *   {"count": 10, "size": 0, "fail_at": -1, "error": "unavailable",
 *    "fail_times": 1, "init_error": "..."}
 * Element n's payload is "element n", padded with '.' to `size` bytes when
 * that is longer; content type "text/plain". Pull n == fail_at fails with
 * process-error `error` (the first `fail_times` tries). It counts the
 * backpressure signals it gets and prints them at teardown on stderr:
 * "source: 3 pause, 3 ready". Used by the flow runtime's tests and
 * benchmark. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source_stage.h"
#include "weft_json.h"

static int64_t count = 10, size, fail_at = -1, fail_times = 1, tries;
static uint8_t error_tag = TORVYN_STREAMING_TYPES_PROCESS_ERROR_UNAVAILABLE;
static uint64_t next, pauses, readies;
static uint8_t *payload;

static void set_error(torvyn_streaming_types_process_error_t *e, uint8_t tag,
                      const char *msg) {
  e->tag = tag;
  if (tag != TORVYN_STREAMING_TYPES_PROCESS_ERROR_DEADLINE_EXCEEDED)
    source_stage_string_dup(&e->val.internal, msg);
}

static int error_of(const char *s, uint8_t *tag) {
  static const char *const names[] = {"invalid-input", "unavailable",
                                      "internal", "deadline-exceeded",
                                      "fatal"};
  for (uint8_t i = 0; i < 5; i++)
    if (s && !strcmp(s, names[i])) {
      *tag = i;
      return 0;
    }
  return -1;
}

void exports_torvyn_streaming_lifecycle_init(
    source_stage_string_t *config,
    source_stage_result_void_process_error_t *ret) {
  char why[160];
  weft_json_t *cfg =
      config->len ? weft_json_parse((const char *)config->ptr, config->len,
                                    why, sizeof why)
                  : NULL;
  ret->is_err = false;
  if (config->len && !cfg) {
    ret->is_err = true;
    set_error(&ret->val.err, TORVYN_STREAMING_TYPES_PROCESS_ERROR_INVALID_INPUT,
              why);
    return;
  }
  const char *init_error = weft_json_get_string(cfg, "init_error");
  if (init_error) {
    ret->is_err = true;
    set_error(&ret->val.err, TORVYN_STREAMING_TYPES_PROCESS_ERROR_INVALID_INPUT,
              init_error);
  }
  weft_json_get_i64(cfg, "count", &count);
  weft_json_get_i64(cfg, "size", &size);
  weft_json_get_i64(cfg, "fail_at", &fail_at);
  weft_json_get_i64(cfg, "fail_times", &fail_times);
  if (weft_json_get(cfg, "error") &&
      error_of(weft_json_get_string(cfg, "error"), &error_tag) < 0) {
    ret->is_err = true;
    set_error(&ret->val.err, TORVYN_STREAMING_TYPES_PROCESS_ERROR_INVALID_INPUT,
              "unknown \"error\"");
  }
  weft_json_free(cfg);
  payload = malloc(size > 32 ? (size_t)size : 32);
}

void exports_torvyn_streaming_lifecycle_teardown(void) {
  fprintf(stderr, "source: %llu pause, %llu ready\n",
          (unsigned long long)pauses, (unsigned long long)readies);
}

/* "element N" at the start of the payload, without printf. */
static size_t number(uint64_t n) {
  char digits[24];
  size_t k = 0, len = 8;
  memcpy(payload, "element ", 8);
  do
    digits[k++] = (char)('0' + n % 10);
  while ((n /= 10));
  while (k)
    payload[len++] = (uint8_t)digits[--k];
  return len;
}

void exports_torvyn_streaming_source_pull(
    source_stage_result_option_output_element_process_error_t *ret) {
  ret->is_err = false;
  if ((int64_t)next >= count) {
    ret->val.ok.is_some = false;
    return;
  }
  if ((int64_t)next == fail_at && tries++ < fail_times) {
    char msg[48];
    snprintf(msg, sizeof msg, "no element %llu yet",
             (unsigned long long)next);
    ret->is_err = true;
    set_error(&ret->val.err, error_tag, msg);
    return;
  }
  size_t len = number(next);
  if ((int64_t)len < size) {
    memset(payload + len, '.', (size_t)size - len);
    len = (size_t)size;
  }
  source_stage_result_own_mutable_buffer_buffer_error_t mb;
  torvyn_streaming_buffer_allocator_allocate(len, &mb);
  if (mb.is_err) {
    ret->is_err = true;
    set_error(&ret->val.err, TORVYN_STREAMING_TYPES_PROCESS_ERROR_INTERNAL,
              "allocate failed");
    return;
  }
  source_stage_list_u8_t bytes = {payload, len};
  source_stage_result_void_buffer_error_t ar;
  torvyn_streaming_types_borrow_mutable_buffer_t b =
      torvyn_streaming_types_borrow_mutable_buffer(mb.val.ok);
  torvyn_streaming_types_method_mutable_buffer_append(b, &bytes, &ar);
  torvyn_streaming_types_own_buffer_t frozen =
      torvyn_streaming_types_method_mutable_buffer_freeze(b);
  torvyn_streaming_types_mutable_buffer_drop_own(mb.val.ok);
  ret->val.ok.is_some = true;
  ret->val.ok.val.meta.sequence = next;
  ret->val.ok.val.meta.timestamp_ns = 0;
  source_stage_string_dup(&ret->val.ok.val.meta.content_type, "text/plain");
  ret->val.ok.val.payload = frozen;
  next++;
}

void exports_torvyn_streaming_source_notify_backpressure(
    torvyn_streaming_types_backpressure_signal_t signal) {
  if (signal == TORVYN_STREAMING_TYPES_BACKPRESSURE_SIGNAL_PAUSE)
    pauses++;
  else
    readies++;
}

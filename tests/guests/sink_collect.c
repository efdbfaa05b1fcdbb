/* sink_collect.c - a sink (world torvyn:streaming/sink-stage) that reads
 * each element and prints its payload on a line of stdout, then
 * "complete" at the end. Configured in JSON:
 *   {"print": true, "flush": false, "pause_every": 0, "fail_at": -1,
 *    "error": "internal", "complete_error": false, "teardown_spin": false,
 *    "init_error": "..."}
 * With "flush": true each line leaves the component before push returns,
 * so what the host has been told is delivered is on stdout.
 * It answers pause after every `pause_every`-th element; element n ==
 * fail_at fails with `error`; teardown_spin makes teardown never return.
 * With "print": false it only reads and sums the bytes: the benchmark's
 * last stage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sink_stage.h"
#include "weft_json.h"

static bool print = true, flush, complete_error, teardown_spin;
static int64_t pause_every, fail_at = -1;
static uint8_t error_tag = TORVYN_STREAMING_TYPES_PROCESS_ERROR_INTERNAL;
static uint64_t pushed, sum;
volatile int spin;

static void set_error(torvyn_streaming_types_process_error_t *e, uint8_t tag,
                      const char *msg) {
  e->tag = tag;
  if (tag != TORVYN_STREAMING_TYPES_PROCESS_ERROR_DEADLINE_EXCEEDED)
    sink_stage_string_dup(&e->val.internal, msg);
}

void exports_torvyn_streaming_lifecycle_init(
    sink_stage_string_t *config, sink_stage_result_void_process_error_t *ret) {
  static const char *const names[] = {"invalid-input", "unavailable",
                                      "internal", "deadline-exceeded",
                                      "fatal"};
  weft_json_t *cfg =
      weft_json_parse((const char *)config->ptr, config->len, NULL, 0);
  weft_json_get_bool(cfg, "print", &print);
  weft_json_get_bool(cfg, "flush", &flush);
  weft_json_get_bool(cfg, "complete_error", &complete_error);
  weft_json_get_bool(cfg, "teardown_spin", &teardown_spin);
  weft_json_get_i64(cfg, "pause_every", &pause_every);
  weft_json_get_i64(cfg, "fail_at", &fail_at);
  const char *e = weft_json_get_string(cfg, "error");
  for (uint8_t i = 0; e && i < 5; i++)
    if (!strcmp(e, names[i]))
      error_tag = i;
  const char *init_error = weft_json_get_string(cfg, "init_error");
  ret->is_err = init_error != NULL;
  if (init_error)
    set_error(&ret->val.err, TORVYN_STREAMING_TYPES_PROCESS_ERROR_INVALID_INPUT,
              init_error);
  weft_json_free(cfg);
}

void exports_torvyn_streaming_lifecycle_teardown(void) {
  while (teardown_spin)
    spin++;
  fprintf(stderr, "sink: teardown after %llu elements\n",
          (unsigned long long)pushed);
}

void exports_torvyn_streaming_sink_push(
    torvyn_streaming_types_stream_element_t *element,
    sink_stage_result_backpressure_signal_process_error_t *ret) {
  if ((int64_t)element->meta.sequence == fail_at) {
    ret->is_err = true;
    set_error(&ret->val.err, error_tag, "cannot take it");
    return;
  }
  sink_stage_list_u8_t bytes;
  torvyn_streaming_types_method_buffer_read_all(element->payload, &bytes);
  if (print) {
    printf("%.*s\n", (int)bytes.len, (const char *)bytes.ptr);
    if (flush)
      fflush(stdout);
  } else
    for (size_t i = 0; i < bytes.len; i++)
      sum += bytes.ptr[i];
  sink_stage_list_u8_free(&bytes);
  pushed++;
  ret->is_err = false;
  ret->val.ok = pause_every > 0 && pushed % (uint64_t)pause_every == 0
                    ? TORVYN_STREAMING_TYPES_BACKPRESSURE_SIGNAL_PAUSE
                    : TORVYN_STREAMING_TYPES_BACKPRESSURE_SIGNAL_READY;
}

void exports_torvyn_streaming_sink_complete(
    sink_stage_result_void_process_error_t *ret) {
  ret->is_err = complete_error;
  if (complete_error) {
    set_error(&ret->val.err, TORVYN_STREAMING_TYPES_PROCESS_ERROR_INTERNAL,
              "cannot complete");
    return;
  }
  if (print)
    printf("complete\n");
  fflush(stdout);
}

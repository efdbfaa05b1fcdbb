/* processor_flaky.c - a processor (world
 * torvyn:streaming/processor-stage) that fails on purpose, for the tests
 * of error policies. Configured in JSON:
 *   {"error": "unavailable", "at": [3, 5], "every": 0, "times": 1000000,
 *    "trap_at": -1, "loop_at": -1, "drop_odd": false, "init_error": "..."}
 * Element n fails with process-error `error` when n is in `at` or n is a
 * multiple of `every` (> 0), for its first `times` tries; n == trap_at
 * traps (unreachable); n == loop_at loops forever (for deadlines). Any
 * other element is passed on as a copy made with clone-into-mutable (one
 * payload copy), or dropped when odd and `drop_odd`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "processor_stage.h"
#include "weft_json.h"

static uint8_t error_tag = TORVYN_STREAMING_TYPES_PROCESS_ERROR_UNAVAILABLE;
static int64_t at[16], nat, every, times = 1000000, trap_at = -1,
                                   loop_at = -1;
static bool drop_odd;
static uint64_t last_seq = (uint64_t)-1, tries;
volatile int spin;

static void set_error(torvyn_streaming_types_process_error_t *e, uint8_t tag,
                      const char *msg) {
  e->tag = tag;
  if (tag != TORVYN_STREAMING_TYPES_PROCESS_ERROR_DEADLINE_EXCEEDED)
    processor_stage_string_dup(&e->val.internal, msg);
}

void exports_torvyn_streaming_lifecycle_init(
    processor_stage_string_t *config,
    processor_stage_result_void_process_error_t *ret) {
  static const char *const names[] = {"invalid-input", "unavailable",
                                      "internal", "deadline-exceeded",
                                      "fatal"};
  char why[160];
  weft_json_t *cfg = weft_json_parse((const char *)config->ptr, config->len,
                                     why, sizeof why);
  ret->is_err = false;
  if (!cfg) {
    ret->is_err = true;
    set_error(&ret->val.err, TORVYN_STREAMING_TYPES_PROCESS_ERROR_INVALID_INPUT,
              why);
    return;
  }
  const char *e = weft_json_get_string(cfg, "error");
  for (uint8_t i = 0; e && i < 5; i++)
    if (!strcmp(e, names[i]))
      error_tag = i;
  const weft_json_t *list = weft_json_get(cfg, "at");
  for (nat = 0; nat < 16 && weft_json_at(list, (size_t)nat); nat++)
    at[nat] = weft_json_at(list, (size_t)nat)->integer;
  weft_json_get_i64(cfg, "every", &every);
  weft_json_get_i64(cfg, "times", &times);
  weft_json_get_i64(cfg, "trap_at", &trap_at);
  weft_json_get_i64(cfg, "loop_at", &loop_at);
  weft_json_get_bool(cfg, "drop_odd", &drop_odd);
  const char *init_error = weft_json_get_string(cfg, "init_error");
  if (init_error) {
    ret->is_err = true;
    set_error(&ret->val.err, TORVYN_STREAMING_TYPES_PROCESS_ERROR_INVALID_INPUT,
              init_error);
  }
  weft_json_free(cfg);
}

void exports_torvyn_streaming_lifecycle_teardown(void) {
  fprintf(stderr, "processor: teardown\n");
}

static bool fails(uint64_t n) {
  if (every > 0 && n % (uint64_t)every == 0)
    return true;
  for (int64_t i = 0; i < nat; i++)
    if ((uint64_t)at[i] == n)
      return true;
  return false;
}

void exports_torvyn_streaming_processor_process(
    torvyn_streaming_types_stream_element_t *input,
    processor_stage_result_process_result_process_error_t *ret) {
  uint64_t n = input->meta.sequence;
  if (n != last_seq) {
    last_seq = n;
    tries = 0;
  }
  if ((int64_t)n == trap_at)
    __builtin_trap();
  while ((int64_t)n == loop_at)
    spin++;
  if (fails(n) && tries++ < (uint64_t)times) {
    char msg[48];
    snprintf(msg, sizeof msg, "element %llu failed", (unsigned long long)n);
    ret->is_err = true;
    set_error(&ret->val.err, error_tag, msg);
    return;
  }
  ret->is_err = false;
  if (drop_odd && n % 2) {
    ret->val.ok.tag = TORVYN_STREAMING_TYPES_PROCESS_RESULT_DROP;
    return;
  }
  processor_stage_result_own_mutable_buffer_buffer_error_t mb;
  torvyn_streaming_buffer_allocator_clone_into_mutable(input->payload, &mb);
  ret->val.ok.tag = TORVYN_STREAMING_TYPES_PROCESS_RESULT_EMIT;
  torvyn_streaming_types_output_element_t *out = &ret->val.ok.val.emit;
  out->payload = torvyn_streaming_types_method_mutable_buffer_freeze(
      torvyn_streaming_types_borrow_mutable_buffer(mb.val.ok));
  torvyn_streaming_types_mutable_buffer_drop_own(mb.val.ok);
  out->meta.sequence = n;
  out->meta.timestamp_ns = input->meta.timestamp_ns;
  processor_stage_string_dup(&out->meta.content_type, "text/plain");
}

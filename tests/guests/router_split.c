/* router_split.c - a router (world torvyn:filtering/router-stage) that
 * sends element n to port n % N of its `ports`, to all of them when n is
 * a multiple of `fanout_every`, and to none when n is a multiple of
 * `drop_every`; "bad_at" routes that element to a port named "nowhere".
 *   {"ports": ["even", "odd"], "fanout_every": 0, "drop_every": 0,
 *    "bad_at": -1}
 * It reads no payload. */
#include <stdlib.h>
#include <string.h>

#include "router_stage.h"
#include "weft_json.h"

static char *ports[8];
static size_t nports;
static int64_t fanout_every, drop_every, bad_at = -1;

void exports_torvyn_streaming_lifecycle_init(
    router_stage_string_t *config,
    router_stage_result_void_process_error_t *ret) {
  weft_json_t *cfg =
      weft_json_parse((const char *)config->ptr, config->len, NULL, 0);
  const weft_json_t *list = weft_json_get(cfg, "ports");
  for (nports = 0; nports < 8 && weft_json_at(list, nports); nports++)
    ports[nports] = strdup(weft_json_at(list, nports)->string);
  weft_json_get_i64(cfg, "fanout_every", &fanout_every);
  weft_json_get_i64(cfg, "drop_every", &drop_every);
  weft_json_get_i64(cfg, "bad_at", &bad_at);
  weft_json_free(cfg);
  ret->is_err = !nports;
  if (!nports) {
    ret->val.err.tag = TORVYN_STREAMING_TYPES_PROCESS_ERROR_INVALID_INPUT;
    router_stage_string_dup(&ret->val.err.val.invalid_input,
                            "config needs \"ports\"");
  }
}

void exports_torvyn_streaming_lifecycle_teardown(void) {}

void exports_torvyn_filtering_router_route(
    torvyn_streaming_types_stream_element_t *element,
    router_stage_result_list_string_process_error_t *ret) {
  uint64_t n = element->meta.sequence;
  router_stage_list_string_t *out = &ret->val.ok;
  ret->is_err = false;
  out->len = 0;
  out->ptr = malloc(nports * sizeof *out->ptr);
  if ((int64_t)n == bad_at) {
    router_stage_string_dup(&out->ptr[out->len++], "nowhere");
  } else if (drop_every > 0 && n % (uint64_t)drop_every == 0) {
    /* nowhere: dropped */
  } else if (fanout_every > 0 && n % (uint64_t)fanout_every == 0) {
    for (size_t i = 0; i < nports; i++)
      router_stage_string_dup(&out->ptr[out->len++], ports[i]);
  } else {
    router_stage_string_dup(&out->ptr[out->len++], ports[n % nports]);
  }
}

/* fuzz_manifest.c - libFuzzer target for the app manifest (src/app/).
 *
 * Parses each input with weft__manifest_parse; a rejected input must come
 * with one "fuzz.toml" message, an accepted one is checked (every trigger
 * names an existing component, ids are valid, routes pass their own check)
 * and its HTTP routes are compiled into a router and matched against a few
 * paths. ASan and UBSan turn out-of-bounds reads, leaks and undefined
 * behaviour into crashes. The input is copied into an exactly sized
 * buffer. Seeds live in tests/fuzz/corpus/manifest/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/manifest.h"
#include "app/route.h"

/* Abort (so the fuzzer reports it) unless `cond`. */
static void check(int cond) {
  if (!cond)
    abort();
}

/* Check an accepted manifest and route a few paths through it. */
static void walk(const weft__manifest_t *m) {
  static const char *const paths[] = {"/", "/a", "/a/b/c", "/users/1/edit",
                                      "/api/x/", "//", "/a?b"};
  weft__router_t *r = NULL;
  weft_error_t err;
  size_t i, j;
  for (i = 0; i < m->components_len; i++)
    check(weft__manifest_valid_id(m->components[i].id,
                                  strlen(m->components[i].id), false));
  for (i = 0; i < m->triggers_len; i++) {
    const weft__manifest_trigger_t *t = &m->triggers[i];
    const char *why;
    check(t->id && t->component < m->components_len &&
          t->component_id == m->components[t->component].id);
    if (t->kind == WEFT__TRIGGER_HTTP && !t->u.http.is_private)
      check(weft__route_check(t->u.http.route, false, &why));
  }
  check(weft__router_new(m, &r, &err) == 0);
  for (i = 0; i < sizeof paths / sizeof paths[0]; i++) {
    weft__route_match_t mt;
    if (weft__router_match(r, paths[i], strlen(paths[i]), &mt))
      continue;
    check(mt.trigger < m->triggers_len && mt.captures_len <=
                                              WEFT__ROUTE_MAX_CAPTURES);
    for (j = 0; j < mt.captures_len; j++)
      check(mt.captures[j].value_len > 0);
  }
  weft__router_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parse one input; always returns 0 (libFuzzer's contract). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  weft__manifest_t *m = NULL;
  weft_error_t err;
  char *copy = malloc(size ? size : 1);
  int rc;
  if (!copy)
    return 0;
  if (size)
    memcpy(copy, data, size);
  memset(&err, 0, sizeof err);
  rc = weft__manifest_parse(copy, size, "fuzz.toml", "app", &m, &err);
  if (rc) {
    check(!m && err.code == rc);
    check(!strncmp(err.msg, "fuzz.toml", 9) && !strchr(err.msg, '\n'));
  } else {
    walk(m);
    weft__manifest_free(m);
  }
  free(copy);
  return 0;
}

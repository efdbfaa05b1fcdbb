/* flow_role.c - the six roles of a flow's nodes: their names, the
 * interface a flow file names each by, the world its component
 * implements and the functions that world makes it export. */
#include <string.h>

#include "flow/flow.h"

#define LIFECYCLE "torvyn:streaming/lifecycle@0.1.0#"

/* What each role is, by role number. */
typedef struct role_info {
  const char *name, *interface, *world;
  const char *exports[6];
} role_info_t;

static const role_info_t roles[] = {
    [WEFT__FLOW_SOURCE] = {"source", "torvyn:streaming/source",
                           "torvyn:streaming/source-stage@0.1.0",
                           {LIFECYCLE "init", LIFECYCLE "teardown",
                            "torvyn:streaming/source@0.1.0#pull",
                            "torvyn:streaming/source@0.1.0#notify-backpressure",
                            NULL}},
    [WEFT__FLOW_PROCESSOR] = {"processor", "torvyn:streaming/processor",
                              "torvyn:streaming/processor-stage@0.1.0",
                              {LIFECYCLE "init", LIFECYCLE "teardown",
                               "torvyn:streaming/processor@0.1.0#process",
                               NULL}},
    [WEFT__FLOW_FILTER] = {"filter", "torvyn:filtering/filter",
                           "torvyn:filtering/filter-stage@0.1.0",
                           {LIFECYCLE "init", LIFECYCLE "teardown",
                            "torvyn:filtering/filter@0.1.0#evaluate", NULL}},
    [WEFT__FLOW_ROUTER] = {"router", "torvyn:filtering/router",
                           "torvyn:filtering/router-stage@0.1.0",
                           {LIFECYCLE "init", LIFECYCLE "teardown",
                            "torvyn:filtering/router@0.1.0#route", NULL}},
    [WEFT__FLOW_AGGREGATOR] = {"aggregator", "torvyn:aggregation/aggregator",
                               "torvyn:aggregation/aggregator-stage@0.1.0",
                               {LIFECYCLE "init", LIFECYCLE "teardown",
                                "torvyn:aggregation/aggregator@0.1.0#ingest",
                                "torvyn:aggregation/aggregator@0.1.0#flush",
                                NULL}},
    [WEFT__FLOW_SINK] = {"sink", "torvyn:streaming/sink",
                         "torvyn:streaming/sink-stage@0.1.0",
                         {LIFECYCLE "init", LIFECYCLE "teardown",
                          "torvyn:streaming/sink@0.1.0#push",
                          "torvyn:streaming/sink@0.1.0#complete", NULL}},
};

/* The row of `role`, or NULL. */
static const role_info_t *info(weft__flow_role_t role) {
  if (role < WEFT__FLOW_SOURCE || role > WEFT__FLOW_SINK)
    return NULL;
  return &roles[role];
}

/* See flow.h. */
const char *weft__flow_role_name(weft__flow_role_t role) {
  const role_info_t *r = info(role);
  return r ? r->name : "?";
}

/* See flow.h. */
const char *weft__flow_role_world(weft__flow_role_t role) {
  const role_info_t *r = info(role);
  return r ? r->world : "?";
}

/* See flow.h. */
const char *weft__flow_role_interface(weft__flow_role_t role) {
  const role_info_t *r = info(role);
  return r ? r->interface : "?";
}

/* See flow.h. */
const char *const *weft__flow_role_exports(weft__flow_role_t role) {
  static const char *const none[] = {NULL};
  const role_info_t *r = info(role);
  return r ? r->exports : none;
}

/* See flow.h. */
weft__flow_role_t weft__flow_role_parse(const char *interface, size_t len,
                                        bool *bad_version) {
  const char *at = memchr(interface, '@', len);
  size_t base = at ? (size_t)(at - interface) : len;
  if (bad_version)
    *bad_version = false;
  for (int r = WEFT__FLOW_SOURCE; r <= WEFT__FLOW_SINK; r++) {
    const char *name = roles[r].interface;
    if (strlen(name) != base || memcmp(name, interface, base))
      continue;
    if (at && !(len - base == 6 && !memcmp(at, "@0.1.0", 6))) {
      if (bad_version)
        *bad_version = true;
      return 0;
    }
    return (weft__flow_role_t)r;
  }
  return 0;
}

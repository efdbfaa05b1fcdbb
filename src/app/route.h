/* route.h - HTTP trigger routes: their syntax, and matching request paths
 * against the routes of an app.
 *
 * A route starts with '/' and is made of segments: a literal ("users"), a
 * single-segment wildcard ":name" that captures one segment, or, as the
 * last segment only, "..." which matches the rest of the path (including
 * nothing). "/" alone is the root; one trailing '/' is ignored.
 *
 * A router holds an app's public HTTP routes prefixed with the application
 * base. For a path it picks, as Spin does: a route without a trailing
 * wildcard before any with one; among wildcards the one with the most
 * segments before "/..." (the longest prefix); then, segment by segment, a
 * literal before a ":name"; then the one written first. Private routes
 * never match. See docs/internals/manifest.md.
 */
#ifndef WEFT_APP_ROUTE_H
#define WEFT_APP_ROUTE_H

#include <stdbool.h>
#include <stddef.h>

#include "app/manifest.h"
#include "util/util.h"

/* Most ":name" wildcards in one route. */
#define WEFT__ROUTE_MAX_CAPTURES 16

/* Check the syntax of `route` (NUL-terminated). Returns true if valid;
 * otherwise false with a short reason (a static string, e.g. "must start
 * with '/'") in *why. With `is_base` it checks an application base, which
 * may hold only literal segments. */
bool weft__route_check(const char *route, bool is_base, const char **why);

/* Append to `out` the normalised form of a valid `route` used to detect
 * duplicates: one trailing '/' dropped and every ":name" written ":".
 * Returns 0 or WEFT_ENOMEM. */
int weft__route_key(const char *route, weft__buf_t *out);

typedef struct weft__router weft__router_t;

/* One ":name" capture of a match. `value` points into the matched path
 * (not NUL-terminated). `header` is the request header Spin sets for it:
 * "spin-path-match-" + name with '_' written '-'. */
typedef struct weft__route_capture {
  const char *name;
  const char *header;
  const char *value;
  size_t value_len;
} weft__route_capture_t;

/* The result of a match. The strings are owned by the router; `path_info`
 * and capture values point into the path given to weft__router_match. */
typedef struct weft__route_match {
  size_t trigger;            /* index into the manifest's triggers */
  const char *component_id;
  const char *matched_route; /* spin-matched-route: base + route, with any
                                "/..." ("/api/users/...") */
  const char *raw_component_route; /* spin-raw-component-route: the route
                                      as written ("/users/...") */
  const char *component_route; /* spin-component-route: the route without
                                  "/..." ("/users"; "" for "/...") */
  const char *base_path;     /* spin-base-path: the application base */
  const char *path_info;     /* spin-path-info: what "/..." matched ("" for
                                other routes): "/1/edit" */
  size_t path_info_len;
  weft__route_capture_t captures[WEFT__ROUTE_MAX_CAPTURES];
  size_t captures_len;
} weft__route_match_t;

/* Compile the public HTTP routes of `m` (borrowed; it must outlive the
 * router only for component_id) with its application base. Routes were
 * checked by the manifest parser; one that is not valid fails with
 * WEFT_EINVAL. Sets *out (free with weft__router_free) and returns 0, or
 * WEFT_ENOMEM / WEFT_EINVAL with `err` filled. */
int weft__router_new(const weft__manifest_t *m, weft__router_t **out,
                     weft_error_t *err);

/* Free a router. NULL is ignored. */
void weft__router_free(weft__router_t *r);

/* Number of compiled (public) routes. */
size_t weft__router_len(const weft__router_t *r);

/* Match the request path `path` (`len` bytes, borrowed; a '?' and what
 * follows are ignored) and fill *m. Returns 0 on a match, WEFT_ENOTFOUND
 * when no route matches (including a path not starting with '/'). */
int weft__router_match(const weft__router_t *r, const char *path, size_t len,
                       weft__route_match_t *m);

#endif

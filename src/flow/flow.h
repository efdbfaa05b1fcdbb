/* flow.h - the model of a flow file: Torvyn.toml's layout of flows, their
 * nodes and their edges, as read by weft__flow_file_parse (flow_file.c)
 * and run by the flow runtime (flow_run.c and the files beside it).
 *
 *   [flow.NAME]                 description, default_queue_depth,
 *                               backpressure
 *   [flow.NAME.nodes.N]         component, interface, config, deadline_ms,
 *                               max_memory, priority, error_policy, ports
 *                               (routers), window (aggregators)
 *   [[flow.NAME.edges]]         from = { node, port }, to = { node, port },
 *                               queue_depth, backpressure
 *
 * The parser is strict: unknown keys, edges to missing nodes, cycles,
 * self-loops, router ports no edge leaves from, and (in weft flow check)
 * components whose exports do not fit their role are errors naming
 * file:line. docs/flows.md is the user's reference for every key.
 *
 * Everything is owned by the weft__flow_file_t (strings borrowed from its
 * TOML tree or its arena) and lives until weft__flow_file_free.
 */
#ifndef WEFT_FLOW_FLOW_H
#define WEFT_FLOW_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "toml/toml.h"
#include "util/arena.h"
#include "util/util.h"

/* Where something was written: the flow file's name and a 1-based line. */
typedef struct weft__flow_loc {
  const char *file;
  int line;
} weft__flow_loc_t;

/* The six roles, from the node's `interface`:
 *   torvyn:streaming/source, torvyn:streaming/processor,
 *   torvyn:streaming/sink, torvyn:filtering/filter,
 *   torvyn:filtering/router, torvyn:aggregation/aggregator
 * (a version suffix "@0.1.0" is accepted and must be 0.1.0). */
typedef enum weft__flow_role {
  WEFT__FLOW_SOURCE = 1,
  WEFT__FLOW_PROCESSOR,
  WEFT__FLOW_FILTER,
  WEFT__FLOW_ROUTER,
  WEFT__FLOW_AGGREGATOR,
  WEFT__FLOW_SINK
} weft__flow_role_t;

/* "source", "processor", ... */
const char *weft__flow_role_name(weft__flow_role_t role);
/* The world a role's component implements, as `weft wit` names it in
 * wit/torvyn: "torvyn:streaming/source-stage@0.1.0", ... */
const char *weft__flow_role_world(weft__flow_role_t role);

/* What a full queue does (`backpressure`): block the producer (default,
 * never loses an element), drop the oldest queued element, drop the new
 * one, or fail the flow. */
typedef enum weft__flow_backpressure {
  WEFT__FLOW_BP_BLOCK = 0,
  WEFT__FLOW_BP_DROP_OLDEST,
  WEFT__FLOW_BP_DROP_NEWEST,
  WEFT__FLOW_BP_ERROR
} weft__flow_backpressure_t;

/* A node's `error_policy`: either a string ("fail-fast", "skip") or an
 * inline table whose `policy` names the kind:
 *   { policy = "retry", max = 3, backoff_ms = 10 }
 *   { policy = "dead-letter", port = "dlq" }   an edge leaves from `port`
 *   { policy = "dead-letter", file = "dead.jsonl" }
 *   { policy = "circuit-breaker", threshold = 5, reset_ms = 1000 }
 * Paths are relative to the flow file's directory. */
typedef enum weft__flow_error_kind {
  WEFT__FLOW_FAIL_FAST = 0,
  WEFT__FLOW_RETRY,
  WEFT__FLOW_SKIP,
  WEFT__FLOW_DEAD_LETTER,
  WEFT__FLOW_CIRCUIT_BREAKER
} weft__flow_error_kind_t;

typedef struct weft__flow_error_policy {
  weft__flow_error_kind_t kind;
  uint32_t max;            /* retry: attempts after the first (default 3) */
  uint64_t backoff_ns;     /* retry: before the first retry, then doubled
                              (default 10 ms) */
  const char *port;        /* dead-letter to an edge: NULL otherwise */
  const char *file;        /* dead-letter to a file (resolved path) */
  uint32_t threshold;      /* circuit-breaker: failures that open it (5) */
  uint64_t reset_ns;       /* circuit-breaker: open → half-open (1 s) */
  weft__flow_loc_t loc;
} weft__flow_error_policy_t;

/* An aggregator's `window = { count = N, ms = T }`: flush after N ingested
 * elements and/or every T ms (0: not set). Always flushed at stream end. */
typedef struct weft__flow_window {
  uint64_t count;
  uint64_t ns;
} weft__flow_window_t;

typedef struct weft__flow_node {
  const char *name;         /* the N of [flow.X.nodes.N] */
  const char *component;    /* resolved path of the .wasm (a `file://` URL
                               or a path relative to the flow file) */
  weft__flow_role_t role;
  const char *interface;    /* as written */
  const char *config;       /* passed to lifecycle.init; "" when absent.
                               A string is passed as is; a table is
                               passed as its JSON text */
  uint64_t deadline_ns;     /* per call; 0: none (deadline_ms) */
  uint64_t max_memory;      /* bytes; 0: default (max_memory, a size
                               such as "16MiB" or an integer of bytes) */
  int64_t priority;         /* 0 by default; higher runs first */
  weft__flow_error_policy_t error_policy;
  const char **ports;       /* routers: the port names `ports = [..]` */
  size_t nports;
  weft__flow_window_t window; /* aggregators */
  weft__flow_loc_t loc;
} weft__flow_node_t;

/* One end of an edge. `port` is "" when not written (the node's only
 * output or input). */
typedef struct weft__flow_end {
  size_t node; /* index into flow->nodes */
  const char *port;
} weft__flow_end_t;

typedef struct weft__flow_edge {
  weft__flow_end_t from, to;
  uint32_t queue_depth;                   /* resolved: edge, flow or 64 */
  weft__flow_backpressure_t backpressure; /* resolved: edge or flow */
  weft__flow_loc_t loc;
} weft__flow_edge_t;

typedef struct weft__flow {
  const char *name;
  const char *description;  /* "" when absent */
  uint32_t default_queue_depth; /* 64 when absent */
  weft__flow_backpressure_t backpressure;
  weft__flow_node_t *nodes; /* in file order */
  size_t nnodes;
  weft__flow_edge_t *edges; /* in file order */
  size_t nedges;
  size_t *order;            /* node indexes in a topological order */
  weft__flow_loc_t loc;
} weft__flow_t;

typedef struct weft__flow_file {
  const char *path;         /* as given */
  const char *dir;          /* its directory, for relative paths */
  weft__flow_t *flows;      /* in file order */
  size_t nflows;
  weft__toml_t *toml;
  weft__arena_t arena;
} weft__flow_file_t;

/* Parse and check the flow file `text` (`len` bytes; `path` names it in
 * messages and anchors relative paths). Returns a new file model the
 * caller frees with weft__flow_file_free, or NULL with one message in
 * *err: "flows.toml:12: edge to missing node 'sinkk' in flow 'main'".
 * Components are not opened here (see weft__flow_check_components). */
weft__flow_file_t *weft__flow_file_parse(const char *path, const char *text,
                                         size_t len, weft_error_t *err);
/* Read the file at `path` and parse it. */
weft__flow_file_t *weft__flow_file_load(const char *path, weft_error_t *err);
void weft__flow_file_free(weft__flow_file_t *file);

/* The flow named `name`, or NULL. */
const weft__flow_t *weft__flow_find(const weft__flow_file_t *file,
                                    const char *name);

#endif

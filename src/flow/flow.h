/* flow.h - the model of a flow file: Torvyn.toml's layout of flows, their
 * nodes and their edges, as read by weft__flow_file_parse (flow_file.c)
 * and run by the flow runtime (flow_run.c and the files beside it).
 *
 *   [flow.NAME]                 description, default_queue_depth,
 *                               backpressure, redis
 *   [flow.NAME.nodes.N]         component, interface, config, deadline_ms,
 *                               max_memory, priority, error_policy, ports
 *                               (routers), window (aggregators)
 *   [[flow.NAME.edges]]         from = { node, port }, to = { node, port },
 *                               queue_depth, backpressure, transport,
 *                               stream, group, url, max_len,
 *                               claim_idle_ms (remote edges)
 *
 * The parser is strict: unknown keys, edges to missing nodes, cycles,
 * self-loops, router ports no edge leaves from, and (in weft flow check)
 * components whose exports do not fit their role are errors naming
 * file:line. docs/flows.md is the user's reference for every key.
 *
 * Who does what: flow_file.c reads the keys into the model (and checks
 * what one node or one edge can show), flow_graph.c checks the graph and
 * orders the nodes, flow_role.c maps interfaces to roles and worlds,
 * flow_check.c finds the WIT package of those worlds, opens each node's
 * component and checks it against its role's world (weft flow check,
 * and weft flow run before it starts anything).
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
/* The role of `interface` (len bytes, as written in a flow file:
 * "torvyn:streaming/processor", optionally "@0.1.0"), or 0 when it names
 * no role. A version other than 0.1.0 is 0 too, with *bad_version set
 * (may be NULL) so that the message can say so. */
weft__flow_role_t weft__flow_role_parse(const char *interface, size_t len,
                                        bool *bad_version);
/* The interface a role's component exports besides lifecycle, as flow
 * files name it: "torvyn:streaming/processor", ... */
const char *weft__flow_role_interface(weft__flow_role_t role);
/* The core names of the functions a component of `role` exports, as
 * wit-bindgen (and `weft bindgen c`) gives them, NULL-terminated:
 * "torvyn:streaming/lifecycle@0.1.0#init", ... tests/unit/flow_file_test.c
 * checks them against wit/torvyn. For naming a module's role from its
 * export names alone (weft inspect); the real check of a component is
 * weft__flow_check_node. */
const char *const *weft__flow_role_exports(weft__flow_role_t role);

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
  /* Added for messages about the component and the keys below. */
  const char *flow;               /* the name of its flow */
  weft__flow_loc_t component_loc; /* the `component` key */
  weft__flow_loc_t ports_loc;     /* the `ports` key (routers) */
  weft__flow_loc_t window_loc;    /* the `window` key (aggregators) */
} weft__flow_node_t;

/* One end of an edge. `port` is "" for a node's main output or its input
 * (not written, or written "output" or "input" as Torvyn's files do); a
 * router's port or a dead-letter port otherwise. Every output port has
 * at most one edge; a node may have many incoming edges. */
typedef struct weft__flow_end {
  size_t node; /* index into flow->nodes */
  const char *port;
  weft__flow_loc_t loc; /* the `from` or `to` key */
} weft__flow_end_t;

typedef struct weft__flow_edge {
  weft__flow_end_t from, to;
  uint32_t queue_depth;                   /* resolved: edge, flow or 64 */
  weft__flow_backpressure_t backpressure; /* resolved: edge or flow */
  weft__flow_loc_t loc;
  /* transport = "redis" (docs/flows.md, "Edges across hosts"): the edge
   * goes through a Redis Stream, read by a consumer group. */
  bool remote;
  const char *stream;       /* the stream's key; NULL unless remote */
  const char *group;        /* the consumer group; NULL unless remote */
  const char *url;          /* resolved: edge `url`, flow `redis`, or
                               WEFT__FLOW_REDIS_URL */
  uint64_t max_len;         /* XADD MAXLEN ~ cap and the most unacked
                               entries (default WEFT__FLOW_REDIS_MAX_LEN) */
  uint64_t claim_idle_ns;   /* pending entries idle this long are claimed
                               (XAUTOCLAIM); default 10 s */
} weft__flow_edge_t;

/* Defaults of remote edges. */
#define WEFT__FLOW_REDIS_URL "redis://127.0.0.1:6379"
#define WEFT__FLOW_REDIS_MAX_LEN 10000u
#define WEFT__FLOW_REDIS_CLAIM_IDLE_MS 10000u

typedef struct weft__flow {
  const char *name;
  const char *description;  /* "" when absent */
  uint32_t default_queue_depth; /* 64 when absent */
  weft__flow_backpressure_t backpressure;
  const char *redis;        /* `redis`: remote edges' default url, or NULL */
  weft__flow_node_t *nodes; /* in file order */
  size_t nnodes;
  weft__flow_edge_t *edges; /* in file order */
  size_t nedges;
  size_t *order;            /* node indexes in a topological order:
                               among nodes ready at once, file order */
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
/* Read the file at `path` and parse it. `path` may be a directory (NULL:
 * "."), where the flow file is Torvyn.toml, else weft-flow.toml. */
weft__flow_file_t *weft__flow_file_load(const char *path, weft_error_t *err);
void weft__flow_file_free(weft__flow_file_t *file);

/* The names a directory's flow file may have, in the order they are
 * tried: "Torvyn.toml", "weft-flow.toml". */
#define WEFT__FLOW_FILE_NAMES {"Torvyn.toml", "weft-flow.toml"}

/* The flow named `name`, or NULL. */
const weft__flow_t *weft__flow_find(const weft__flow_file_t *file,
                                    const char *name);
/* The index of node `name` in `flow`, or -1. */
long weft__flow_node_index(const weft__flow_t *flow, const char *name);

/* Limits of the values a flow file may hold (docs/flows.md). */
#define WEFT__FLOW_DEFAULT_QUEUE_DEPTH 64
#define WEFT__FLOW_MAX_QUEUE_DEPTH 1000000
#define WEFT__FLOW_MAX_NAME 64 /* flows, nodes and ports */

/* "block", "drop-oldest", "drop-newest", "error". */
const char *weft__flow_backpressure_name(weft__flow_backpressure_t bp);
/* "fail-fast", "retry", "skip", "dead-letter", "circuit-breaker". */
const char *weft__flow_error_kind_name(weft__flow_error_kind_t kind);

/* ---- components (flow_check.c) ------------------------------------------ */

/* The package wit/torvyn that every role's world is in: under `wit_dir`,
 * else $WEFT_WIT_DIR, else share/weft/wit of the installation weft runs
 * from, else the source tree's wit/. Free with weft_wit_free; NULL with
 * *err set when it cannot be read. */
weft_wit_t *weft__flow_wit_load(const char *wit_dir, weft_error_t *err);

/* Load the component of `node` on `engine`. A file that does not exist
 * is an error naming the node and where its `component` key is:
 * "flows.toml:9: node 'up' of flow 'main': component 'up.wasm' not
 * found"; so is one that does not load. Free with weft_module_free. */
weft_module_t *weft__flow_load_component(const weft__flow_node_t *node,
                                         weft_engine_t *engine,
                                         weft_error_t *err);
/* Check that `module` fits the world of `node`'s role in `wit` (from
 * weft__flow_wit_load): its exports and imports by name and core
 * signature, and its memory within the node's max_memory, as
 * weft_linker_use_world checks them when it is instantiated (it is
 * instantiated, so the check is the one `run` will do, but none of its
 * functions is called). 0, or an error naming the node, its role and
 * what does not fit: "flows.toml:9: node 'up' of flow 'main' is not a
 * processor: 'x.wasm' does not export ..." (other failures, such as a
 * memory over max_memory, name the node and say what failed). `module`
 * is borrowed. */
int weft__flow_check_node(const weft__flow_node_t *node,
                          weft_module_t *module, weft_engine_t *engine,
                          weft_wit_t *wit, weft_error_t *err);
/* weft__flow_load_component and weft__flow_check_node for every node of
 * `flow`, in file order; 0 or the first error. */
int weft__flow_check_components(const weft__flow_t *flow,
                                weft_engine_t *engine, weft_wit_t *wit,
                                weft_error_t *err);

/* ---- for flow_file.c and flow_graph.c only ------------------------------ */

/* One parse: the file being filled and, of the problems found so far, the
 * one written first (the lowest line; 0 for the file as a whole). */
typedef struct weft__flow_parse {
  weft__flow_file_t *file;
  int code;      /* 0: no problem yet */
  int line;
  char msg[256]; /* "file:line: message" */
} weft__flow_parse_t;

/* Keep "file:line: <message>" as the problem of the parse if none was
 * written before `line`; returns `code`. */
int weft__flow_fail(weft__flow_parse_t *p, int code, int line,
                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The checks of each edge of `flow`, whose nodes are each valid and
 * whose edges join existing nodes (flow_graph.c): no self-loop, nothing
 * into a source, nothing from a sink's output, a router's edges from its
 * `ports` (or its dead-letter port) and other nodes' from their output
 * (or dead-letter port; "output" is normalised to ""), "input" or no port
 * on the receiving end, and at most one edge from each output port.
 * Returns 0 or the error kept in `p`. */
int weft__flow_graph_edges(weft__flow_parse_t *p, weft__flow_t *flow);

/* The checks of the whole graph of `flow`, once weft__flow_graph_edges
 * found nothing: every node but a source has an incoming edge, every node
 * but a sink an edge from its output (a router: from each of its ports),
 * every dead-letter port an edge, and there is no cycle (the message
 * names the nodes of one). Fills flow->order. Returns 0 or the error
 * kept in `p`. */
int weft__flow_graph_check(weft__flow_parse_t *p, weft__flow_t *flow);

#endif

/* flow_run.h - running a flow (flow_run.c and the files beside it): what
 * `weft flow run`, `trace` and `bench` call.
 *
 *   weft__flow_run_t *r = weft__flow_run_new(flow, &opts, &err);
 *   int rc = r ? weft__flow_run_go(r, &err) : -1;
 *   ... weft__flow_report_text / _json, weft__flow_trace_write ...
 *   weft__flow_run_free(r);
 *
 * One instance per node lives for the whole run; one thread runs the
 * flow. docs/internals/flows.md explains the design. */
#ifndef WEFT_FLOW_FLOW_RUN_H
#define WEFT_FLOW_FLOW_RUN_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "flow/flow.h"
#include "weft.h"

typedef struct weft__flow_run_opts {
  weft_engine_t *engine;   /* borrowed for the run's life */
  weft_wit_t *wit;         /* wit/torvyn, borrowed for the run's life */
  uint64_t limit;          /* elements to pull from the sources; 0: all */
  uint64_t duration_ns;    /* pull sources for this long; 0: until none */
  /* Sources read their stdin from `input` (each its own descriptor on
   * the file) or else from `stdin_fd`; sinks write their stdout to
   * `stdout_fd`; every other output of every node goes to `log_fd`.
   * Descriptors are borrowed; -1 closes that stream. */
  const char *input;
  int stdin_fd, stdout_fd, log_fd;
  bool trace;              /* record a span per element per node */
  bool time_all;           /* time every call (else one in 16) */
  bool latency;            /* record source-to-sink latency */
  uint64_t teardown_timeout_ns; /* per node; 0: 5 s */
  uint64_t sink_pause_ns;  /* a sink answering pause waits; 0: 1 ms */
  uint32_t max_buffer;     /* cap of one buffer; 0: 16 MiB */
  /* Every call through the typed canonical ABI (weft_call_func,
   * weft_linker_define_wit): the hand-lowered fast paths of the hot calls
   * off. For tests comparing both and for the benchmark. */
  bool generic;
  /* Run only these nodes, a comma-separated list of names (NULL: all).
   * An edge between a node run here and one that is not must be remote
   * (transport = "redis"): the process writes or reads its stream. A
   * remote edge whose two ends both run here stays in memory. */
  const char *nodes;
  /* This process's consumer name in remote edges' groups (NULL:
   * "<host>-<pid>"). A consumer restarted under the same name reads its
   * own pending entries first. */
  const char *consumer;
  /* Set (by a signal handler) to stop pulling and drain; may be NULL. */
  const volatile sig_atomic_t *stop;
} weft__flow_run_opts_t;

typedef struct weft__flow_run weft__flow_run_t;

/* Load, link and instantiate every node of `flow` and call each one's
 * `init(config)`, in topological order. `flow` and `opts` are borrowed
 * for the run's life. On failure returns NULL with *err naming the node:
 * "node 'parse': init failed: invalid-input: no \"max_per_second\"";
 * nodes already initialised are torn down. Free with
 * weft__flow_run_free. */
weft__flow_run_t *weft__flow_run_new(const weft__flow_t *flow,
                                     const weft__flow_run_opts_t *opts,
                                     weft_error_t *err);
/* Run the flow until every node has drained, then tear every node down.
 * Returns 0, or a negative code with *err naming the node and the error
 * ("node 'upper': fatal: out of ideas"); the report is complete either
 * way. Call once. */
int weft__flow_run_go(weft__flow_run_t *r, weft_error_t *err);
void weft__flow_run_free(weft__flow_run_t *r);

/* ---- results (flow_stats.c, flow_trace.c) -------------------------------- */

/* The report as a table on `out`: per-node counters, edges, copies per
 * element and the ledger. */
void weft__flow_report_text(const weft__flow_run_t *r, FILE *out);
/* The report as one JSON object (a new string the caller frees), or NULL
 * when out of memory. With `bench`, also throughput, latency percentiles
 * and per-hop time. */
char *weft__flow_report_json(const weft__flow_run_t *r, bool bench);
/* Throughput and latency as text (weft flow bench). */
void weft__flow_report_bench(const weft__flow_run_t *r, FILE *out);

/* Numbers the report is made of, for the CLI and tests. */
typedef struct weft__flow_totals {
  uint64_t elements;       /* pulled from the sources */
  uint64_t delivered;      /* pushed into sinks */
  uint64_t copies, copied_bytes;
  double copies_per_element;
  uint64_t wall_ns;        /* from the first pull to the end of the drain */
  double elements_per_s;
  uint64_t p50_ns, p90_ns, p99_ns, max_ns; /* latency; 0: not recorded */
  size_t hops;             /* node calls per element on the longest path */
} weft__flow_totals_t;
void weft__flow_run_totals(const weft__flow_run_t *r, weft__flow_totals_t *t);

/* A node's counters by name (NULL when there is no such node). */
typedef struct weft__flow_node_stats {
  uint64_t in, out, dropped, errors, retries, calls;
  uint64_t copies, bytes;   /* from the ledger */
  uint64_t guest_ns;        /* time in guest (sampled unless time_all) */
  uint64_t pauses, resumes; /* sources: signals sent; sinks: pause answers */
  uint64_t dead_letters, short_circuited, breaker_opened, flushes;
} weft__flow_node_stats_t;
const weft__flow_node_stats_t *weft__flow_run_node_stats(
    const weft__flow_run_t *r, const char *node);
/* Copies and bytes recorded for `reason` ("append", "read-all", ...) by
 * node `node` (NULL: every node). */
uint64_t weft__flow_run_copies(const weft__flow_run_t *r, const char *node,
                               const char *reason);

/* Write the spans as Chrome trace-event JSON (Perfetto opens it) to
 * `path`. 0 or an error. */
int weft__flow_trace_write(const weft__flow_run_t *r, const char *path,
                           weft_error_t *err);

#endif

/* flow_int.h - private to the flow runtime (flow_run.c, flow_node.c,
 * flow_host.c, flow_stats.c, flow_trace.c): a running flow, its nodes and
 * edges. See docs/internals/flows.md. */
#ifndef WEFT_FLOW_FLOW_INT_H
#define WEFT_FLOW_FLOW_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "flow/flow.h"
#include "flow/flow_buffer.h"
#include "flow/flow_policy.h"
#include "flow/flow_queue.h"
#include "flow/flow_remote.h"
#include "flow/flow_run.h"
#include "weft.h"

typedef struct weft__flow_rnode rnode_t;

/* An edge and its queue. */
typedef struct weft__flow_redge {
  const weft__flow_edge_t *spec;
  weft__flow_queue_t q;
  bool dead_letter;       /* leaves from its node's dead-letter port */
  /* A remote edge with one end in this process (flow_remote.h): the
   * writer drains q into the stream, the reader fills q from it. */
  weft__flow_remote_t *wr, *rd;
  bool end_sent;          /* writer: the end marker is in the stream */
  bool rem_done;          /* reader: the end marker was read */
} redge_t;

/* An output waiting for room in a `block` queue. */
typedef struct pending {
  size_t edge;
  weft__flow_elem_t e;
} pending_t;

/* A node running in a flow: its component instance, linked to its role's
 * world with the host's buffers, and its scheduling state. */
struct weft__flow_rnode {
  weft__flow_run_t *run;
  size_t index;
  const weft__flow_node_t *spec;
  weft_module_t *module;  /* borrowed from the run's module list */
  weft_linker_t *linker;
  weft_instance_t *inst;
  int stdin_fd;           /* a source's own descriptor on --input, or -1 */

  /* Host resources (flow_host.c). The buffer and flow-context a call
   * gets are lenses: resources made once and lent for each call, which
   * show the element in hand. A buffer's rep is either &lens (the lens)
   * or a weft__flow_buf_t. */
  weft_resource_type_t *t_buf, *t_mbuf, *t_ctx;
  weft_resource_t *lens_res, *ctx_res;
  weft__flow_buf_t *lens;
  char ctx_lens;          /* the flow-context lens' rep: its address */
  uint64_t cur_seq;       /* of the element in the call, for the context */
  uint64_t cur_deadline;  /* absolute monotonic ns of the call; 0: none */

  /* The world's exports. */
  const weft_func_t *f_init, *f_teardown, *f_main, *f_aux;
  /* Arguments of f_main: stream-element, built once. */
  weft_val_t a_meta[3], a_el[3], a_arg;
  /* f_main of a source, processor or sink is called by hand (cabi_fast.h)
   * rather than through weft_call_func: its signature was checked. */
  bool fast;

  size_t *ins, nin, *outs, nout;
  size_t next_in;         /* round robin over `ins` */
  const char *dl_port;    /* dead-letter port of its policy, or NULL */
  FILE *dl_file;          /* dead-letter file, opened on first use */

  pending_t *pend;        /* FIFO of outputs waiting for room */
  size_t npend, pend_head, pend_cap;
  weft__flow_elem_t held; /* the input in hand (processors...), if any */
  bool has_held;
  uint64_t retry_at;      /* 0: not waiting for a retry */

  weft__flow_policy_state_t pol;
  weft__flow_node_stats_t st;
  uint32_t sample;        /* call counter for sampled timing */

  bool opened, inited, torn_down, dead; /* dead: trapped or fatal */
  bool away;              /* not run in this process (--nodes) */
  bool source_done;       /* sources: pulled to the end */
  bool finished;          /* drained: flushed / completed */
  bool flushed_end;       /* aggregators: flushed at the end */
  bool paused;            /* sources: told pause */
  uint64_t pause_until;   /* sinks: answered pause */
  uint64_t since_flush;   /* aggregators: ingested since the last flush */
  uint64_t next_flush;    /* aggregators with a time window */
};

/* A span of the trace: one call of one node on one element. */
typedef struct weft__flow_span {
  uint32_t node;
  uint8_t what;           /* 0: the role's call, 1: flush/complete/... */
  bool failed;
  uint64_t seq, start_ns, dur_ns;
} weft__flow_span_t;

/* Latency histogram: 64 powers of two, each in 16 steps. */
#define WEFT__FLOW_HIST 1024

struct weft__flow_run {
  const weft__flow_t *flow;
  weft__flow_run_opts_t opts;
  rnode_t *nodes;
  size_t nnodes;
  redge_t *edges;
  size_t nedges;
  size_t *sched;          /* pump order: priority, then sinks first */
  struct {
    const char *path;
    weft_module_t *module;
  } *mods;
  size_t nmods;
  weft__flow_pool_t pool;
  weft__flow_ledger_t ledger;
  uint64_t flow_hash;     /* for trace ids */
  uint64_t pulled;        /* elements from the sources */
  uint64_t delivered;     /* elements pushed into sinks */
  uint64_t start_ns, end_ns;
  bool stopping;          /* sources stop: --limit, --duration, a signal */
  bool ran;
  int failed;             /* the flow's error code, once failed */
  weft_error_t failure;
  bool leaked;            /* a teardown did not return: keep instances */
  uint64_t hist[WEFT__FLOW_HIST];
  uint64_t nlat;
  weft__flow_span_t *spans;
  size_t nspans, spans_cap, spans_lost;
};

/* ---- flow_node.c -------------------------------------------------------- */

/* Load the node's component, link it to its role's world with the host's
 * buffers (flow_host.c) and WASI, and instantiate it. */
int weft__flow_node_open(rnode_t *n, weft_error_t *err);
/* Call init(config): a failure names the node and the component's
 * message. */
int weft__flow_node_init(rnode_t *n, weft_error_t *err);
/* Call f (with args) and sort out its result<T, process-error>: 0 with
 * *ok pointing at T's value (NULL when T is empty), or -1 with *fault set
 * (a trap and a deadline included). `seq` names the element (context,
 * trace). */
int weft__flow_node_call(rnode_t *n, const weft_func_t *f,
                         const weft_val_t *args, size_t nargs, uint64_t seq,
                         const weft_val_t **ok, weft__flow_fault_t *fault);
/* Take an output-element the guest returned: its buffer (the resource is
 * dropped) and metadata into *e. 0, or -1 with *fault. */
int weft__flow_node_take_output(rnode_t *n, const weft_val_t *oe,
                                weft__flow_elem_t *e,
                                weft__flow_fault_t *fault);
/* Drop the own<buffer> resources in a result the host will not use. */
void weft__flow_node_drop_outputs(const weft_val_t *v);
/* The role's calls. Each returns 0, or -1 with *fault set; outputs are
 * new elements the caller owns. An element passed in is lent for the
 * call (its buffer through the lens). */
int weft__flow_node_pull(rnode_t *n, uint64_t seq, weft__flow_elem_t *out,
                         bool *some, weft__flow_fault_t *fault);
int weft__flow_node_notify(rnode_t *n, bool pause,
                           weft__flow_fault_t *fault);
int weft__flow_node_process(rnode_t *n, const weft__flow_elem_t *in,
                            weft__flow_elem_t *out, bool *emitted,
                            weft__flow_fault_t *fault);
int weft__flow_node_evaluate(rnode_t *n, const weft__flow_elem_t *in,
                             bool *pass, weft__flow_fault_t *fault);
/* The port names (strings, valid until the node's next call). */
int weft__flow_node_route(rnode_t *n, const weft__flow_elem_t *in,
                          const weft_val_t **ports, size_t *nports,
                          weft__flow_fault_t *fault);
int weft__flow_node_ingest(rnode_t *n, const weft__flow_elem_t *in,
                           weft__flow_elem_t *out, bool *emitted,
                           weft__flow_fault_t *fault);
/* A new array of *nout elements (free() it after taking them). */
int weft__flow_node_flush(rnode_t *n, weft__flow_elem_t **out, size_t *nout,
                          weft__flow_fault_t *fault);
int weft__flow_node_push(rnode_t *n, const weft__flow_elem_t *in, bool *pause,
                         weft__flow_fault_t *fault);
int weft__flow_node_complete(rnode_t *n, weft__flow_fault_t *fault);
/* After a deadline: reset the instance and init again. */
int weft__flow_node_recover(rnode_t *n, weft__flow_fault_t *fault);
/* teardown() (bounded by the run's teardown timeout) and free. */
int weft__flow_node_teardown(rnode_t *n, weft_error_t *err);
void weft__flow_node_close(rnode_t *n);

/* ---- flow_host.c -------------------------------------------------------- */

/* Define the torvyn:streaming imports (types, buffer-allocator) on the
 * node's linker, and make its lenses. */
int weft__flow_host_define(rnode_t *n, weft_error_t *err);
/* Free the lenses. */
void weft__flow_host_release(rnode_t *n);

/* ---- flow_trace.c ------------------------------------------------------- */

/* Record a span (when tracing). */
void weft__flow_trace_span(weft__flow_run_t *r, const rnode_t *n,
                           uint8_t what, uint64_t seq, uint64_t start,
                           uint64_t end, bool failed);

/* ---- flow_stats.c ------------------------------------------------------- */

/* Record one source-to-sink latency. */
void weft__flow_stats_latency(weft__flow_run_t *r, uint64_t ns);

#endif

/* flow_run.c - the scheduler of a flow (flow_run.h): one thread, one
 * instance per node, bounded queues between them.
 *
 * A pass pumps each node in turn (higher priority first, then sinks
 * before the nodes feeding them, so queues drain before they fill): a
 * node takes up to BUDGET elements from its input queues (round robin
 * over several), calls its role, and offers what comes out to its output
 * queues. A `block` queue that is full holds its producer back: a source
 * is told `pause` when one of its queues reaches its depth and `ready`
 * once all are below half, and is not pulled in between; other nodes wait
 * for room, and what they produce meanwhile waits in their pending list.
 * Order is deterministic: queues are FIFO, passes go in a fixed order,
 * and only pauses, retries and time windows depend on the clock.
 *
 * A node whose inputs are all finished and drained finishes in turn: an
 * aggregator is flushed, a sink gets `complete`. When every node has
 * finished, every node is torn down. A failure (fail-fast, a fatal error,
 * a trap) stops the flow where it is. See docs/internals/flows.md. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "flow/flow_int.h"

/* Elements a node takes per pass, at most. */
#define BUDGET 32u

/* ---- failing ------------------------------------------------------------ */

/* The flow fails with `f` at node `n` (the first failure wins). */
static void flow_fail(weft__flow_run_t *r, rnode_t *n,
                      const weft__flow_fault_t *f) {
  if (f->kind == WEFT__FAULT_TRAP)
    n->dead = true; /* no teardown in a trapped instance */
  if (r->failed)
    return;
  r->failed = f->kind == WEFT__FAULT_TRAP ? WEFT_ETRAP : WEFT_EINVAL;
  WEFT_ERR(&r->failure, r->failed, "node '%s': %s%s%s", n->spec->name,
           weft__flow_fault_name(f->kind), f->msg[0] ? ": " : "", f->msg);
}

static void host_fault(weft__flow_fault_t *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void host_fault(weft__flow_fault_t *f, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  f->kind = WEFT__FAULT_HOST;
  f->reset = false;
  vsnprintf(f->msg, sizeof f->msg, fmt, ap);
  va_end(ap);
}

/* ---- delivery ----------------------------------------------------------- */

static int pend_push(rnode_t *n, size_t edge, weft__flow_elem_t *e) {
  if (n->npend == n->pend_cap) {
    size_t cap = n->pend_cap ? 2 * n->pend_cap : 8;
    pending_t *p = malloc(cap * sizeof *p);
    if (!p)
      return WEFT_ENOMEM;
    for (size_t i = 0; i < n->npend; i++)
      p[i] = n->pend[(n->pend_head + i) % n->pend_cap];
    free(n->pend);
    n->pend = p;
    n->pend_cap = cap;
    n->pend_head = 0;
  }
  n->pend[(n->pend_head + n->npend) % n->pend_cap] =
      (pending_t){.edge = edge, .e = *e};
  n->npend++;
  return 0;
}

/* Put `e` (moved) on edge `k` leaving `n`. Behind anything already
 * pending, so that each queue stays in order. */
static void deliver(weft__flow_run_t *r, rnode_t *n, size_t k,
                    weft__flow_elem_t *e) {
  redge_t *ed = &r->edges[k];
  weft__flow_fault_t f;
  if (!n->npend) {
    switch (weft__flow_queue_offer(&ed->q, &r->pool, e)) {
    case WEFT__OFFER_QUEUED:
    case WEFT__OFFER_DROPPED:
      return;
    case WEFT__OFFER_ERROR:
      weft__flow_elem_clear(&r->pool, e);
      host_fault(&f, "the queue to '%s' is full (depth %u, backpressure "
                 "\"error\")",
                 r->flow->nodes[ed->spec->to.node].name, ed->q.depth);
      flow_fail(r, n, &f);
      return;
    case WEFT__OFFER_FULL:
      break;
    }
  }
  if (pend_push(n, k, e) < 0) {
    weft__flow_elem_clear(&r->pool, e);
    host_fault(&f, "out of memory");
    flow_fail(r, n, &f);
  }
}

/* Move pending outputs into their queues while there is room. */
static void pend_flush(weft__flow_run_t *r, rnode_t *n) {
  while (n->npend) {
    pending_t *p = &n->pend[n->pend_head];
    redge_t *ed = &r->edges[p->edge];
    if (ed->q.policy == WEFT__FLOW_BP_BLOCK && weft__flow_queue_full(&ed->q))
      return;
    weft__flow_elem_t e = p->e;
    n->pend_head = (n->pend_head + 1) % n->pend_cap;
    n->npend--;
    size_t k = p->edge;
    size_t left = n->npend;
    n->npend = 0; /* deliver() would queue behind the rest */
    deliver(r, n, k, &e);
    n->npend += left;
  }
}

static bool port_is(const char *port, const char *name, size_t len) {
  if (!port)
    port = "";
  return strlen(port) == len && !memcmp(port, name, len);
}

/* Does edge `ed` leaving `n` take an element sent to `port`? Routers send
 * to named ports; the others to every edge but their dead-letter one. */
static bool edge_takes(const rnode_t *n, const redge_t *ed, const char *port,
                       size_t plen, bool dead_letter) {
  if (dead_letter)
    return ed->dead_letter;
  if (ed->dead_letter)
    return false;
  if (n->spec->role == WEFT__FLOW_ROUTER)
    return port_is(ed->spec->from.port, port, plen);
  return true;
}

/* Send `e` (moved) on every edge of `n` that takes it: the last gets the
 * element, the others share its buffer. Returns the edges it went to. */
static size_t emit(weft__flow_run_t *r, rnode_t *n, weft__flow_elem_t *e,
                   const char *port, size_t plen, bool dead_letter) {
  size_t last = SIZE_MAX, count = 0;
  for (size_t i = 0; i < n->nout; i++)
    if (edge_takes(n, &r->edges[n->outs[i]], port, plen, dead_letter))
      last = i;
  for (size_t i = 0; i < n->nout && !r->failed; i++) {
    if (!edge_takes(n, &r->edges[n->outs[i]], port, plen, dead_letter))
      continue;
    count++;
    if (i == last) {
      deliver(r, n, n->outs[i], e);
      return count;
    }
    weft__flow_elem_t copy;
    if (weft__flow_elem_share(e, &copy) < 0) {
      weft__flow_fault_t f;
      host_fault(&f, "out of memory");
      flow_fail(r, n, &f);
      break;
    }
    deliver(r, n, n->outs[i], &copy);
  }
  weft__flow_elem_clear(&r->pool, e); /* nowhere (else) to go */
  return count;
}

/* An output of `n`'s role. */
static void emit_out(weft__flow_run_t *r, rnode_t *n, weft__flow_elem_t *e) {
  n->st.out++;
  if (n->nout == 1 && !r->edges[n->outs[0]].dead_letter && !r->failed &&
      n->spec->role != WEFT__FLOW_ROUTER) { /* what emit does, in short */
    deliver(r, n, n->outs[0], e);
    return;
  }
  emit(r, n, e, "", 0, false);
}

/* Is there room on every `block` edge `n` feeds (dead letters aside)? */
static bool outputs_have_room(const weft__flow_run_t *r, const rnode_t *n) {
  for (size_t i = 0; i < n->nout; i++) {
    const redge_t *ed = &r->edges[n->outs[i]];
    if (!ed->dead_letter && ed->q.policy == WEFT__FLOW_BP_BLOCK &&
        weft__flow_queue_full(&ed->q))
      return false;
  }
  return true;
}

/* ---- errors ------------------------------------------------------------- */

/* Write `e` and its fault as one JSON line to the node's dead-letter
 * file. */
static int dead_letter_file(weft__flow_run_t *r, rnode_t *n,
                            const weft__flow_elem_t *e,
                            const weft__flow_fault_t *f,
                            weft__flow_fault_t *why) {
  const char *path = n->spec->error_policy.file;
  if (!n->dl_file && !(n->dl_file = fopen(path, "ae"))) {
    host_fault(why, "cannot open dead-letter file '%s': %s", path,
               strerror(errno));
    return -1;
  }
  json_t *o = json_object();
  json_object_set_new(o, "flow", json_string(r->flow->name));
  json_object_set_new(o, "node", json_string(n->spec->name));
  json_object_set_new(o, "error", json_string(weft__flow_fault_name(f->kind)));
  json_object_set_new(o, "message", json_stringn(f->msg, strlen(f->msg)));
  if (e) {
    size_t clen;
    const char *ct = weft__flow_elem_ctype(e, &clen);
    const weft__flow_buf_t *b = e->buf;
    json_object_set_new(o, "sequence", json_integer((json_int_t)e->seq));
    json_object_set_new(o, "content_type", json_stringn(ct, clen));
    if (weft__utf8_check(b->data, b->len) == b->len) {
      json_object_set_new(
          o, "payload", json_stringn((const char *)b->data, b->len));
    } else {
      size_t cap = sodium_base64_ENCODED_LEN(b->len,
                                             sodium_base64_VARIANT_ORIGINAL);
      char *b64 = malloc(cap);
      if (b64) {
        sodium_bin2base64(b64, cap, b->data, b->len,
                          sodium_base64_VARIANT_ORIGINAL);
        json_object_set_new(o, "payload_base64", json_string(b64));
        free(b64);
      }
    }
    if (b->len)
      weft__flow_ledger_add(&r->ledger, n->index, WEFT__COPY_DEAD_LETTER,
                            b->len);
  }
  char *line = json_dumps(o, JSON_COMPACT);
  json_decref(o);
  int ok = line && fprintf(n->dl_file, "%s\n", line) >= 0 &&
           fflush(n->dl_file) == 0;
  free(line);
  if (!ok) {
    host_fault(why, "cannot write dead-letter file '%s': %s", path,
               strerror(errno));
    return -1;
  }
  return 0;
}

/* A call of `n` failed with `f`; `held` is the input in hand (NULL for a
 * pull). Apply the node's error policy. */
static void failed_call(weft__flow_run_t *r, rnode_t *n,
                        weft__flow_fault_t *f) {
  weft__flow_elem_t *held = n->has_held ? &n->held : NULL;
  n->st.errors++;
  if (f->reset && weft__flow_node_recover(n, f) < 0) {
    flow_fail(r, n, f);
    return;
  }
  uint64_t retry_at = 0, now = weft__now_ns();
  switch (weft__flow_policy_failure(&n->pol, &n->spec->error_policy, f->kind,
                                    now, &retry_at)) {
  case WEFT__ACT_RETRY:
    n->st.retries++;
    n->retry_at = retry_at;
    return;
  case WEFT__ACT_SKIP:
    if (held)
      n->st.dropped++;
    break;
  case WEFT__ACT_DEAD_LETTER: {
    weft__flow_fault_t why;
    n->st.dead_letters++;
    if (n->dl_port) {
      if (held) {
        n->has_held = false;
        emit(r, n, held, "", 0, true);
        held = NULL;
      }
    } else if (dead_letter_file(r, n, held, f, &why) < 0) {
      flow_fail(r, n, &why);
    }
    break;
  }
  default:
    flow_fail(r, n, f);
    break;
  }
  n->retry_at = 0;
  if (held) {
    weft__flow_elem_clear(&r->pool, held);
    n->has_held = false;
  }
}

/* A call without an element (flush, complete, notify-backpressure)
 * failed: fatal faults and fail-fast fail the flow, anything else is
 * counted and passed over. */
static void failed_aux(weft__flow_run_t *r, rnode_t *n,
                       weft__flow_fault_t *f) {
  n->st.errors++;
  if (f->reset && weft__flow_node_recover(n, f) < 0) {
    flow_fail(r, n, f);
    return;
  }
  if (weft__flow_fault_is_fatal(f->kind) ||
      n->spec->error_policy.kind == WEFT__FLOW_FAIL_FAST ||
      n->spec->error_policy.kind == WEFT__FLOW_RETRY)
    flow_fail(r, n, f);
}

/* ---- the roles ---------------------------------------------------------- */

static void flush(weft__flow_run_t *r, rnode_t *n, uint64_t now) {
  weft__flow_elem_t *es;
  size_t k;
  weft__flow_fault_t f;
  n->st.flushes++;
  n->since_flush = 0;
  if (n->spec->window.ns)
    n->next_flush = now + n->spec->window.ns;
  if (weft__flow_node_flush(n, &es, &k, &f) < 0) {
    failed_aux(r, n, &f);
    return;
  }
  for (size_t i = 0; i < k; i++)
    emit_out(r, n, &es[i]);
  free(es);
}

static void set_paused(weft__flow_run_t *r, rnode_t *n, bool pause) {
  weft__flow_fault_t f;
  n->paused = pause;
  if (pause)
    n->st.pauses++;
  else
    n->st.resumes++;
  if (weft__flow_node_notify(n, pause, &f) < 0)
    failed_aux(r, n, &f);
}

/* Tell a paused source `ready` once its queues are below half; pause it
 * when one is full. */
static void source_signals(weft__flow_run_t *r, rnode_t *n) {
  bool any_full = false, all_low = true;
  for (size_t i = 0; i < n->nout; i++) {
    const weft__flow_queue_t *q = &r->edges[n->outs[i]].q;
    if (r->edges[n->outs[i]].dead_letter)
      continue;
    any_full |= weft__flow_queue_full(q);
    all_low &= weft__flow_queue_below_half(q);
  }
  if (!n->paused && any_full)
    set_paused(r, n, true);
  else if (n->paused && all_low)
    set_paused(r, n, false);
}

/* Does `n` feed a `block` queue (dead letters aside)? */
static bool feeds_block(const weft__flow_run_t *r, const rnode_t *n) {
  for (size_t i = 0; i < n->nout; i++)
    if (!r->edges[n->outs[i]].dead_letter &&
        r->edges[n->outs[i]].q.policy == WEFT__FLOW_BP_BLOCK)
      return true;
  return false;
}

/* Pull once; false when the source cannot or need not be pulled now. */
static bool source_step(weft__flow_run_t *r, rnode_t *n, uint64_t now) {
  if (n->source_done)
    return false;
  if (r->stopping || (r->opts.limit && r->pulled >= r->opts.limit)) {
    r->stopping = true;
    n->source_done = true;
    return false;
  }
  source_signals(r, n);
  if ((n->paused && feeds_block(r, n)) || !outputs_have_room(r, n))
    return false;
  if (n->retry_at && now < n->retry_at)
    return false;
  if (!weft__flow_policy_admit(&n->pol, &n->spec->error_policy, now))
    return false;
  n->retry_at = 0;
  weft__flow_elem_t e;
  bool some;
  weft__flow_fault_t f;
  if (weft__flow_node_pull(n, r->pulled, &e, &some, &f) < 0) {
    failed_call(r, n, &f);
    return !r->failed;
  }
  weft__flow_policy_success(&n->pol);
  if (!some) {
    n->source_done = true;
    return false;
  }
  e.seq = r->pulled++;
  if (!e.ts_ns) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    e.ts_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
  }
  if (r->opts.latency && (e.seq & 15) == 0)
    e.born_ns = weft__now_ns();
  emit_out(r, n, &e);
  if (!n->paused) {
    for (size_t i = 0; i < n->nout; i++)
      if (!r->edges[n->outs[i]].dead_letter &&
          weft__flow_queue_full(&r->edges[n->outs[i]].q)) {
        set_paused(r, n, true);
        break;
      }
  }
  return true;
}

/* Take the next input into n->held, round robin over the input edges. */
static bool take_input(weft__flow_run_t *r, rnode_t *n) {
  size_t i = n->next_in < n->nin ? n->next_in : 0; /* no division */
  for (size_t k = 0; k < n->nin; k++, i = i + 1 < n->nin ? i + 1 : 0) {
    if (weft__flow_queue_pop(&r->edges[n->ins[i]].q, &n->held)) {
      n->next_in = i + 1;
      n->has_held = true;
      n->st.in++;
      return true;
    }
  }
  return false;
}

/* Deliver a routed element to each port named (once each). False when
 * the route failed (the node's policy has dealt with it). */
static bool route(weft__flow_run_t *r, rnode_t *n, const weft_val_t *ports,
                  size_t nports) {
  weft__flow_fault_t f;
  for (size_t i = 0; i < nports; i++) {
    bool known = false;
    for (size_t k = 0; k < n->nout && !known; k++)
      known = !r->edges[n->outs[k]].dead_letter &&
              port_is(r->edges[n->outs[k]].spec->from.port,
                      ports[i].of.str.ptr, ports[i].of.str.len);
    if (!known) {
      f.kind = WEFT__FAULT_INTERNAL;
      f.reset = false;
      snprintf(f.msg, sizeof f.msg, "route to unknown port '%.*s'",
               (int)(ports[i].of.str.len < 64 ? ports[i].of.str.len : 64),
               ports[i].of.str.ptr);
      failed_call(r, n, &f);
      return false;
    }
  }
  size_t sent = 0;
  for (size_t i = 0; i < nports && !r->failed; i++) {
    bool dup = false;
    for (size_t j = 0; j < i && !dup; j++)
      dup = ports[j].of.str.len == ports[i].of.str.len &&
            !memcmp(ports[j].of.str.ptr, ports[i].of.str.ptr,
                    ports[i].of.str.len);
    if (dup)
      continue;
    weft__flow_elem_t copy;
    if (weft__flow_elem_share(&n->held, &copy) < 0) {
      host_fault(&f, "out of memory");
      flow_fail(r, n, &f);
      return false;
    }
    sent += emit(r, n, &copy, ports[i].of.str.ptr, ports[i].of.str.len,
                 false) > 0;
  }
  if (sent)
    n->st.out++;
  else
    n->st.dropped++;
  return true;
}

/* Call the role on the input in hand; false when the node cannot run. */
static bool input_step(weft__flow_run_t *r, rnode_t *n, uint64_t now) {
  weft__flow_role_t role = n->spec->role;
  if (role == WEFT__FLOW_SINK && now < n->pause_until)
    return false;
  if (n->has_held && n->retry_at && now < n->retry_at)
    return false;
  if (!outputs_have_room(r, n))
    return false;
  if (!n->has_held && !take_input(r, n))
    return false;
  n->retry_at = 0;
  if (!weft__flow_policy_admit(&n->pol, &n->spec->error_policy, now)) {
    n->st.short_circuited++;
    n->st.dropped++;
    weft__flow_elem_clear(&r->pool, &n->held);
    n->has_held = false;
    return true;
  }
  weft__flow_fault_t f;
  weft__flow_elem_t out;
  bool yes = false;
  int rc;
  switch (role) {
  case WEFT__FLOW_PROCESSOR:
  case WEFT__FLOW_AGGREGATOR:
    rc = role == WEFT__FLOW_PROCESSOR
             ? weft__flow_node_process(n, &n->held, &out, &yes, &f)
             : weft__flow_node_ingest(n, &n->held, &out, &yes, &f);
    if (rc < 0)
      break;
    if (yes) {
      out.born_ns = n->held.born_ns;
      emit_out(r, n, &out);
    } else if (role == WEFT__FLOW_PROCESSOR) {
      n->st.dropped++;
    }
    if (role == WEFT__FLOW_AGGREGATOR) {
      n->since_flush++;
      if (n->spec->window.count && n->since_flush >= n->spec->window.count)
        flush(r, n, now);
    }
    break;
  case WEFT__FLOW_FILTER:
    if ((rc = weft__flow_node_evaluate(n, &n->held, &yes, &f)) < 0)
      break;
    if (yes) {
      n->has_held = false; /* the element itself goes on: no copy */
      emit_out(r, n, &n->held);
    } else {
      n->st.dropped++;
    }
    break;
  case WEFT__FLOW_ROUTER: {
    const weft_val_t *ports;
    size_t np;
    if ((rc = weft__flow_node_route(n, &n->held, &ports, &np, &f)) < 0)
      break;
    weft__flow_policy_success(&n->pol);
    if (!route(r, n, ports, np))
      return !r->failed;
    if (n->has_held)
      weft__flow_elem_clear(&r->pool, &n->held);
    n->has_held = false;
    return true;
  }
  default: /* sink */
    if ((rc = weft__flow_node_push(n, &n->held, &yes, &f)) < 0)
      break;
    r->delivered++;
    if (n->held.born_ns)
      weft__flow_stats_latency(r, weft__now_ns() - n->held.born_ns);
    if (yes) {
      n->st.pauses++;
      n->pause_until = weft__now_ns() + r->opts.sink_pause_ns;
    }
    break;
  }
  if (rc < 0) {
    failed_call(r, n, &f);
    return !r->failed;
  }
  weft__flow_policy_success(&n->pol);
  if (n->has_held)
    weft__flow_elem_clear(&r->pool, &n->held);
  n->has_held = false;
  return true;
}

/* Run `n` for up to BUDGET elements; returns how many it handled. */
static size_t pump(weft__flow_run_t *r, rnode_t *n, uint64_t now) {
  if (n->finished || n->dead)
    return 0;
  pend_flush(r, n);
  if (n->npend)
    return 0;
  size_t did = 0;
  if (n->spec->role == WEFT__FLOW_AGGREGATOR && n->spec->window.ns &&
      now >= n->next_flush) {
    if (n->since_flush) {
      flush(r, n, now);
      did++;
    } else {
      n->next_flush = now + n->spec->window.ns;
    }
  }
  size_t budget = BUDGET;
  if (n->spec->role == WEFT__FLOW_SOURCE)
    for (size_t i = 0; i < n->nout; i++) {
      uint32_t half = r->edges[n->outs[i]].q.depth / 2;
      if (half < budget)
        budget = half ? half : 1;
    }
  while (did < budget && !r->failed && !n->npend) {
    bool ran = n->spec->role == WEFT__FLOW_SOURCE ? source_step(r, n, now)
                                                  : input_step(r, n, now);
    if (!ran)
      break;
    did++;
  }
  return did;
}

/* ---- draining ----------------------------------------------------------- */

static bool inputs_drained(const weft__flow_run_t *r, const rnode_t *n) {
  for (size_t i = 0; i < n->nin; i++) {
    const redge_t *ed = &r->edges[n->ins[i]];
    if (ed->q.len || (ed->rd ? !ed->rem_done
                             : !r->nodes[ed->spec->from.node].finished))
      return false;
  }
  return true;
}

/* Finish the nodes whose inputs are done, in topological order, so a
 * chain finishes in one go. Returns how many finished. */
static size_t finish_ready(weft__flow_run_t *r, const size_t *order) {
  size_t done = 0;
  for (size_t k = 0; k < r->nnodes && !r->failed; k++) {
    rnode_t *n = &r->nodes[order[k]];
    if (n->finished || n->npend || n->has_held)
      continue;
    if (n->spec->role == WEFT__FLOW_SOURCE) {
      if (!n->source_done)
        continue;
    } else if (!inputs_drained(r, n)) {
      continue;
    }
    weft__flow_fault_t f;
    if (n->spec->role == WEFT__FLOW_AGGREGATOR && !n->flushed_end) {
      n->flushed_end = true;
      flush(r, n, weft__now_ns()); /* end of the stream */
      pend_flush(r, n);
      if (n->npend)
        continue; /* finishes once its outputs are queued */
    } else if (n->spec->role == WEFT__FLOW_SINK &&
               weft__flow_node_complete(n, &f) < 0) {
      failed_aux(r, n, &f);
    }
    n->finished = true;
    done++;
  }
  return done;
}

/* Nothing could run: sleep until the earliest time something can (a
 * paused sink, a retry, a breaker, a time window, the duration), at most
 * 10 ms so that a stop request is seen. When nothing is waited for, the
 * flow is stuck: fail rather than hang. */
static void idle(weft__flow_run_t *r, uint64_t now) {
  uint64_t wake = now + 10000000u;
  bool any = false;
  for (size_t i = 0; i < r->nnodes; i++) {
    const rnode_t *n = &r->nodes[i];
    if (n->finished || n->dead)
      continue;
    uint64_t t[4] = {n->pause_until, n->retry_at,
                     n->pol.breaker == WEFT__BREAKER_OPEN ? n->pol.open_until
                                                          : 0,
                     n->spec->window.ns && n->since_flush ? n->next_flush : 0};
    for (int k = 0; k < 4; k++)
      if (t[k] > now) {
        any = true;
        if (t[k] < wake)
          wake = t[k];
      }
  }
  for (size_t k = 0; k < r->nedges; k++) {
    const redge_t *ed = &r->edges[k];
    if ((ed->rd && !ed->rem_done) || (ed->wr && !ed->end_sent)) {
      any = true; /* waiting for the stream or for room in it */
      if (now + 1000000u < wake)
        wake = now + 1000000u;
    }
  }
  if (r->opts.duration_ns && !r->stopping) {
    uint64_t end = r->start_ns + r->opts.duration_ns;
    any = true;
    if (end < wake)
      wake = end;
  }
  if (!any) {
    for (size_t i = 0; i < r->nnodes; i++)
      if (!r->nodes[i].finished && !r->nodes[i].dead) {
        weft__flow_fault_t f;
        host_fault(&f, "the flow is stuck: no node can run");
        flow_fail(r, &r->nodes[i], &f);
        return;
      }
  }
  struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)(wake - now)};
  if (wake > now)
    nanosleep(&ts, NULL);
}

/* ---- remote edges ------------------------------------------------------- */

/* The flow fails at the node on this side of remote edge `ed`. */
static void remote_fail(weft__flow_run_t *r, redge_t *ed, bool writer,
                        const weft_error_t *e) {
  weft__flow_fault_t f;
  host_fault(&f, "%s", e->msg);
  flow_fail(r, &r->nodes[writer ? ed->spec->from.node : ed->spec->to.node],
            &f);
}

/* Has everything read from the streams left the process: every queue
 * empty, no node holding or waiting to send an element? Then what was
 * read may be acknowledged. (An aggregator's state is not seen: see
 * docs/flows.md.) */
static bool quiescent(const weft__flow_run_t *r) {
  for (size_t k = 0; k < r->nedges; k++)
    if (r->edges[k].q.len)
      return false;
  for (size_t i = 0; i < r->nnodes; i++)
    if (r->nodes[i].has_held || r->nodes[i].npend)
      return false;
  return true;
}

/* Move elements between the queues of remote edges and their streams;
 * returns how many moved (end markers count). */
static size_t remote_pump(weft__flow_run_t *r) {
  enum { BATCH = 64 };
  weft__flow_elem_t es[BATCH];
  weft_error_t e = {0};
  size_t did = 0;
  bool calm = false, calm_known = false;
  for (size_t k = 0; k < r->nedges && !r->failed; k++) {
    redge_t *ed = &r->edges[k];
    if (ed->wr) {
      while (ed->q.len && weft__flow_remote_room(ed->wr)) {
        size_t n = 0;
        while (n < BATCH && weft__flow_queue_pop(&ed->q, &es[n]))
          n++;
        int rc = weft__flow_remote_send(ed->wr, es, n, &e);
        for (size_t i = 0; i < n; i++)
          weft__flow_elem_clear(&r->pool, &es[i]);
        if (rc < 0) {
          remote_fail(r, ed, true, &e);
          return did;
        }
        did += n;
      }
      if (!ed->q.len && !ed->end_sent &&
          r->nodes[ed->spec->from.node].finished) {
        if (weft__flow_remote_send_end(ed->wr, &e) < 0) {
          remote_fail(r, ed, true, &e);
          return did;
        }
        ed->end_sent = true;
        did++;
      }
    }
    if (ed->rd) {
      if (!calm_known) {
        calm = quiescent(r);
        calm_known = true;
      }
      if (!calm)
        continue;
      if (weft__flow_remote_ack(ed->rd, &e) < 0) {
        remote_fail(r, ed, false, &e);
        return did;
      }
      if (r->stopping) /* a signal: read no more, drain what is here */
        ed->rem_done = true;
      if (ed->rem_done)
        continue;
      size_t room = ed->q.depth - ed->q.len, got = 0;
      bool end = false;
      if (weft__flow_remote_recv(ed->rd, &r->pool, es,
                                 room < BATCH ? room : BATCH, &got, &end,
                                 &e) < 0) {
        remote_fail(r, ed, false, &e);
        return did;
      }
      for (size_t i = 0; i < got; i++)
        if (weft__flow_queue_offer(&ed->q, &r->pool, &es[i]) !=
            WEFT__OFFER_QUEUED)
          weft__flow_elem_clear(&r->pool, &es[i]);
      if (got)
        calm = false;
      if (end) {
        ed->rem_done = true;
        did++;
      }
      did += got;
    }
  }
  return did;
}

/* Everything read is acknowledged at the end of a run that did not
 * fail. */
static void remote_finish(weft__flow_run_t *r) {
  weft_error_t e = {0};
  for (size_t k = 0; k < r->nedges && !r->failed; k++)
    if (r->edges[k].rd && weft__flow_remote_ack(r->edges[k].rd, &e) < 0)
      remote_fail(r, &r->edges[k], false, &e);
}

/* Which nodes run here (opts.nodes), and the remote sides of the edges
 * that cross. */
static int remote_setup(weft__flow_run_t *r, weft_error_t *err) {
  const weft__flow_t *flow = r->flow;
  const char *list = r->opts.nodes;
  if (!list)
    return 0;
  for (size_t i = 0; i < r->nnodes; i++)
    r->nodes[i].away = true;
  for (const char *p = list; *p;) {
    size_t len = strcspn(p, ",");
    bool found = false;
    for (size_t i = 0; i < r->nnodes; i++)
      if (strlen(flow->nodes[i].name) == len &&
          !memcmp(flow->nodes[i].name, p, len)) {
        r->nodes[i].away = false;
        found = true;
      }
    if (!found)
      return WEFT_ERR(err, WEFT_ENOENT, "flow '%s' has no node '%.*s'",
                      flow->name, (int)(len < 64 ? len : 64), p);
    p += len + (p[len] == ',');
  }
  for (size_t k = 0; k < r->nedges; k++) {
    redge_t *ed = &r->edges[k];
    const weft__flow_edge_t *sp = ed->spec;
    bool from_here = !r->nodes[sp->from.node].away;
    bool to_here = !r->nodes[sp->to.node].away;
    if (from_here == to_here)
      continue;
    if (!sp->remote)
      return WEFT_ERR(err, WEFT_EINVAL,
                      "%s:%d: edge '%s' -> '%s' joins a node run here to "
                      "one that is not: it needs transport = \"redis\"",
                      sp->loc.file, sp->loc.line,
                      flow->nodes[sp->from.node].name,
                      flow->nodes[sp->to.node].name);
    weft__flow_remote_t *side = weft__flow_remote_new(
        flow, sp, from_here, r->opts.consumer, r->opts.log_fd, r->opts.stop,
        err);
    if (!side)
      return err->code;
    if (from_here)
      ed->wr = side;
    else
      ed->rd = side;
  }
  for (size_t i = 0; i < r->nnodes; i++)
    if (r->nodes[i].away)
      r->nodes[i].finished = true;
  return 0;
}

/* ---- setting up --------------------------------------------------------- */

/* Kahn's algorithm over the run's edges (a flow built in code may come
 * without `order`); the flow is acyclic. */
static size_t *topo_order(const weft__flow_t *flow) {
  size_t n = flow->nnodes, *order = calloc(n ? n : 1, sizeof *order);
  size_t *indeg = calloc(n ? n : 1, sizeof *indeg);
  if (!order || !indeg) {
    free(order);
    free(indeg);
    return NULL;
  }
  if (flow->order) {
    memcpy(order, flow->order, n * sizeof *order);
    free(indeg);
    return order;
  }
  for (size_t e = 0; e < flow->nedges; e++)
    indeg[flow->edges[e].to.node]++;
  size_t len = 0;
  for (size_t i = 0; i < n; i++)
    if (!indeg[i])
      order[len++] = i;
  for (size_t k = 0; k < len; k++)
    for (size_t e = 0; e < flow->nedges; e++)
      if (flow->edges[e].from.node == order[k] &&
          --indeg[flow->edges[e].to.node] == 0)
        order[len++] = flow->edges[e].to.node;
  free(indeg);
  if (len != n) {
    free(order);
    return NULL;
  }
  return order;
}

static const size_t *topo_of(const weft__flow_run_t *r) {
  return r->sched + r->nnodes; /* kept after the pump order */
}

static int setup(weft__flow_run_t *r, weft_error_t *err) {
  const weft__flow_t *flow = r->flow;
  size_t nn = flow->nnodes, ne = flow->nedges;
  r->nnodes = nn;
  r->nedges = ne;
  r->nodes = calloc(nn ? nn : 1, sizeof *r->nodes);
  r->edges = calloc(ne ? ne : 1, sizeof *r->edges);
  r->mods = calloc(nn ? nn : 1, sizeof *r->mods);
  r->sched = calloc(2 * (nn ? nn : 1), sizeof *r->sched);
  size_t *order = topo_order(flow);
  if (!r->nodes || !r->edges || !r->mods || !r->sched || !order ||
      weft__flow_ledger_init(&r->ledger, nn) < 0) {
    free(order);
    return WEFT_ERR(err, order ? WEFT_ENOMEM : WEFT_EINVAL,
                    order ? "out of memory" : "flow '%s' has a cycle",
                    flow->name);
  }
  for (size_t i = 0; i < nn; i++) {
    rnode_t *n = &r->nodes[i];
    n->run = r;
    n->index = i;
    n->spec = &flow->nodes[i];
    n->stdin_fd = -1;
    if (n->spec->error_policy.kind == WEFT__FLOW_DEAD_LETTER)
      n->dl_port = n->spec->error_policy.port;
    n->ins = calloc(ne ? ne : 1, sizeof *n->ins);
    n->outs = calloc(ne ? ne : 1, sizeof *n->outs);
    if (!n->ins || !n->outs) {
      free(order);
      return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
    }
  }
  for (size_t k = 0; k < ne; k++) {
    const weft__flow_edge_t *e = &flow->edges[k];
    redge_t *ed = &r->edges[k];
    rnode_t *from = &r->nodes[e->from.node];
    uint32_t depth = e->queue_depth ? e->queue_depth
                     : flow->default_queue_depth ? flow->default_queue_depth
                                                 : 64;
    ed->spec = e;
    ed->dead_letter = from->dl_port &&
                      port_is(e->from.port, from->dl_port,
                              strlen(from->dl_port));
    if (weft__flow_queue_init(&ed->q, depth, e->backpressure) < 0) {
      free(order);
      return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
    }
    from->outs[from->nout++] = k;
    r->nodes[e->to.node].ins[r->nodes[e->to.node].nin++] = k;
  }
  /* Pump order: priority, then downstream first. */
  for (size_t i = 0; i < nn; i++)
    r->sched[i] = order[nn - 1 - i];
  for (size_t i = 1; i < nn; i++)
    for (size_t j = i; j > 0 && flow->nodes[r->sched[j]].priority >
                                    flow->nodes[r->sched[j - 1]].priority;
         j--) {
      size_t t = r->sched[j];
      r->sched[j] = r->sched[j - 1];
      r->sched[j - 1] = t;
    }
  memcpy(r->sched + nn, order, nn * sizeof *order);
  free(order);
  return 0;
}

static uint64_t fnv1a(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++)
    h = (h ^ (uint8_t)*s) * 1099511628211ull;
  return h;
}

static void teardown_all(weft__flow_run_t *r) {
  const size_t *order = topo_of(r);
  for (size_t k = 0; k < r->nnodes; k++) {
    weft_error_t e = {0};
    if (weft__flow_node_teardown(&r->nodes[order[k]], &e) < 0 &&
        !r->failed) {
      r->failed = e.code;
      r->failure = e;
    }
    if (r->leaked)
      return;
  }
}

weft__flow_run_t *weft__flow_run_new(const weft__flow_t *flow,
                                     const weft__flow_run_opts_t *opts,
                                     weft_error_t *err) {
  weft__flow_run_t *r = calloc(1, sizeof *r);
  if (!r) {
    WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
    return NULL;
  }
  r->flow = flow;
  r->opts = *opts;
  if (!r->opts.sink_pause_ns)
    r->opts.sink_pause_ns = 1000000u;
  if (r->opts.trace)
    r->opts.time_all = true;
  r->flow_hash = fnv1a(flow->name);
  weft__flow_pool_init(&r->pool, opts->max_buffer);
  if (setup(r, err) < 0 || remote_setup(r, err) < 0)
    goto fail;
  for (size_t i = 0; i < r->nnodes; i++) {
    rnode_t *n = &r->nodes[i];
    if (n->spec->role == WEFT__FLOW_SOURCE && opts->input && !n->away &&
        (n->stdin_fd = open(opts->input, O_RDONLY | O_CLOEXEC)) < 0) {
      WEFT_ERR(err, WEFT_ENOENT, "cannot open '%s': %s", opts->input,
               strerror(errno));
      goto fail;
    }
  }
  const size_t *order = topo_of(r);
  for (size_t k = 0; k < r->nnodes; k++)
    if (!r->nodes[order[k]].away &&
        weft__flow_node_open(&r->nodes[order[k]], err) < 0)
      goto fail;
  for (size_t k = 0; k < r->nnodes; k++)
    if (!r->nodes[order[k]].away &&
        weft__flow_node_init(&r->nodes[order[k]], err) < 0)
      goto fail;
  return r;
fail:
  teardown_all(r);
  weft__flow_run_free(r);
  return NULL;
}

int weft__flow_run_go(weft__flow_run_t *r, weft_error_t *err) {
  const size_t *order = topo_of(r);
  r->ran = true;
  r->start_ns = weft__now_ns();
  for (size_t i = 0; i < r->nnodes; i++)
    r->nodes[i].next_flush = r->start_ns + r->nodes[i].spec->window.ns;
  while (!r->failed) {
    uint64_t now = weft__now_ns();
    if ((r->opts.stop && *r->opts.stop) ||
        (r->opts.duration_ns && now - r->start_ns >= r->opts.duration_ns))
      r->stopping = true;
    size_t progress = 0;
    for (size_t i = 0; i < r->nnodes && !r->failed; i++)
      progress += pump(r, &r->nodes[r->sched[i]], now);
    progress += finish_ready(r, order);
    progress += remote_pump(r);
    bool all = true;
    for (size_t i = 0; i < r->nnodes && all; i++)
      all = r->nodes[i].finished;
    for (size_t k = 0; k < r->nedges && all; k++)
      all = !r->edges[k].wr || r->edges[k].end_sent;
    if (all) {
      remote_finish(r);
      break;
    }
    if (!progress && !r->failed)
      idle(r, now);
  }
  r->end_ns = weft__now_ns();
  teardown_all(r);
  if (r->failed) {
    if (err)
      *err = r->failure;
    return r->failed;
  }
  return 0;
}

void weft__flow_run_free(weft__flow_run_t *r) {
  /* A teardown still running uses the nodes, the pool and the ledger:
   * everything stays. */
  if (!r || r->leaked)
    return;
  for (size_t i = 0; i < r->nnodes; i++) {
    rnode_t *n = &r->nodes[i];
    if (n->opened)
      weft__flow_node_close(n);
    if (n->stdin_fd >= 0)
      close(n->stdin_fd);
    free(n->ins);
    free(n->outs);
  }
  for (size_t k = 0; k < r->nedges; k++) {
    weft__flow_queue_release(&r->edges[k].q, &r->pool);
    weft__flow_remote_free(r->edges[k].wr);
    weft__flow_remote_free(r->edges[k].rd);
  }
  for (size_t i = 0; i < r->nmods; i++)
    weft_module_free(r->mods[i].module);
  weft__flow_pool_release(&r->pool);
  free(r->edges);
  free(r->nodes);
  free(r->mods);
  free(r->sched);
  free(r->spans);
  weft__flow_ledger_release(&r->ledger);
  free(r);
}

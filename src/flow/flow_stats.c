/* flow_stats.c - what a run reports (flow_run.h): per-node counters,
 * edges, the copy ledger, copies per element, throughput and latency, as
 * text or as JSON (--json). Latencies go into a log-linear histogram (16
 * steps per power of two: within 6%), so percentiles cost no memory per
 * element. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "flow/flow_int.h"

/* ---- latency ------------------------------------------------------------ */

static size_t bucket_of(uint64_t ns) {
  if (ns < 16)
    return (size_t)ns;
  int e = 63 - __builtin_clzll(ns); /* >= 4 */
  return (size_t)(e - 3) * 16 + (size_t)((ns >> (e - 4)) & 15);
}

/* The largest value bucket `b` holds. */
static uint64_t bucket_top(size_t b) {
  if (b < 16)
    return b;
  int e = (int)(b / 16) + 3;
  uint64_t m = b % 16;
  return ((16 + m + 1) << (e - 4)) - 1;
}

void weft__flow_stats_latency(weft__flow_run_t *r, uint64_t ns) {
  size_t b = bucket_of(ns);
  r->hist[b < WEFT__FLOW_HIST ? b : WEFT__FLOW_HIST - 1]++;
  r->nlat++;
}

static uint64_t percentile(const weft__flow_run_t *r, double p) {
  if (!r->nlat)
    return 0;
  uint64_t want = (uint64_t)(p * (double)r->nlat + 0.5);
  if (want < 1)
    want = 1;
  uint64_t seen = 0;
  for (size_t b = 0; b < WEFT__FLOW_HIST; b++)
    if ((seen += r->hist[b]) >= want)
      return bucket_top(b);
  return bucket_top(WEFT__FLOW_HIST - 1);
}

/* ---- totals ------------------------------------------------------------- */

/* Node calls per element along the longest path of the flow. */
static size_t longest_path(const weft__flow_run_t *r) {
  size_t *len = calloc(r->nnodes ? r->nnodes : 1, sizeof *len), best = 0;
  const size_t *order = r->sched + r->nnodes;
  if (!len)
    return r->nnodes;
  for (size_t k = 0; k < r->nnodes; k++) {
    const rnode_t *n = &r->nodes[order[k]];
    size_t here = 1;
    for (size_t i = 0; i < n->nin; i++) {
      size_t from = r->edges[n->ins[i]].spec->from.node;
      if (len[from] + 1 > here)
        here = len[from] + 1;
    }
    len[order[k]] = here;
    if (here > best)
      best = here;
  }
  free(len);
  return best;
}

void weft__flow_run_totals(const weft__flow_run_t *r, weft__flow_totals_t *t) {
  memset(t, 0, sizeof *t);
  weft__flow_copies_t c = weft__flow_ledger_total(&r->ledger, (size_t)-1);
  t->elements = r->pulled;
  t->delivered = r->delivered;
  t->copies = c.copies;
  t->copied_bytes = c.bytes;
  t->copies_per_element =
      r->pulled ? (double)c.copies / (double)r->pulled : 0.0;
  t->wall_ns = r->end_ns > r->start_ns ? r->end_ns - r->start_ns : 0;
  t->elements_per_s =
      t->wall_ns ? (double)r->pulled * 1e9 / (double)t->wall_ns : 0.0;
  t->p50_ns = percentile(r, 0.50);
  t->p90_ns = percentile(r, 0.90);
  t->p99_ns = percentile(r, 0.99);
  t->max_ns = percentile(r, 1.0);
  t->hops = longest_path(r);
}

const weft__flow_node_stats_t *weft__flow_run_node_stats(
    const weft__flow_run_t *r, const char *node) {
  for (size_t i = 0; i < r->nnodes; i++)
    if (!strcmp(r->nodes[i].spec->name, node)) {
      /* The copies are the ledger's: bring them in on the way out. */
      weft__flow_node_stats_t *st = (weft__flow_node_stats_t *)&r->nodes[i].st;
      weft__flow_copies_t c = weft__flow_ledger_total(&r->ledger, i);
      st->copies = c.copies;
      st->bytes = c.bytes;
      st->breaker_opened = r->nodes[i].pol.opened;
      return st;
    }
  return NULL;
}

uint64_t weft__flow_run_copies(const weft__flow_run_t *r, const char *node,
                               const char *reason) {
  uint64_t sum = 0;
  for (size_t i = 0; i < r->nnodes; i++) {
    if (node && strcmp(r->nodes[i].spec->name, node))
      continue;
    for (int k = 0; k < WEFT__COPY_NREASONS; k++)
      if (!strcmp(weft__flow_copy_reason_name((weft__flow_copy_reason_t)k),
                  reason))
        sum += r->ledger.rows[i * WEFT__COPY_NREASONS + (size_t)k].copies;
  }
  return sum;
}

/* ---- text --------------------------------------------------------------- */

static const char *port_or(const char *p, const char *dflt) {
  return p && *p ? p : dflt;
}

void weft__flow_report_text(const weft__flow_run_t *r, FILE *out) {
  weft__flow_totals_t t;
  weft__flow_run_totals(r, &t);
  fprintf(out,
          "flow '%s': %" PRIu64 " elements, %" PRIu64
          " delivered, %.3f ms, %.0f elements/s, %.2f copies per element\n",
          r->flow->name, t.elements, t.delivered, (double)t.wall_ns / 1e6,
          t.elements_per_s, t.copies_per_element);
  fprintf(out, "  %-16s %-10s %9s %9s %8s %7s %7s %8s %10s %9s\n", "node",
          "role", "in", "out", "dropped", "errors", "retries", "copies",
          "bytes", "guest ms");
  for (size_t i = 0; i < r->nnodes; i++) {
    const rnode_t *n = &r->nodes[i];
    const weft__flow_node_stats_t *s =
        weft__flow_run_node_stats(r, n->spec->name);
    fprintf(out,
            "  %-16s %-10s %9" PRIu64 " %9" PRIu64 " %8" PRIu64 " %7" PRIu64
            " %7" PRIu64 " %8" PRIu64 " %10" PRIu64 " %9.3f\n",
            n->spec->name, weft__flow_role_name(n->spec->role), s->in,
            s->out, s->dropped, s->errors, s->retries, s->copies, s->bytes,
            (double)s->guest_ns / 1e6);
    if (s->pauses || s->resumes)
      fprintf(out, "  %-16s %s %" PRIu64 ", ready %" PRIu64 "\n", "",
              n->spec->role == WEFT__FLOW_SINK ? "answered pause"
                                               : "told pause",
              s->pauses, s->resumes);
    if (s->dead_letters || s->short_circuited || s->breaker_opened)
      fprintf(out,
              "  %-16s dead letters %" PRIu64 ", breaker opened %" PRIu64
              ", short-circuited %" PRIu64 "\n",
              "", s->dead_letters, s->breaker_opened, s->short_circuited);
  }
  for (size_t k = 0; k < r->nedges; k++) {
    const redge_t *ed = &r->edges[k];
    fprintf(out,
            "  edge %s.%s -> %s.%s: depth %u, %s, high water %" PRIu64
            ", dropped %" PRIu64 "\n",
            r->flow->nodes[ed->spec->from.node].name,
            port_or(ed->spec->from.port, "out"),
            r->flow->nodes[ed->spec->to.node].name,
            port_or(ed->spec->to.port, "in"), ed->q.depth,
            weft__flow_backpressure_name(ed->q.policy), ed->q.high_water,
            ed->q.dropped);
  }
  for (size_t i = 0; i < r->nnodes; i++)
    for (int k = 0; k < WEFT__COPY_NREASONS; k++) {
      const weft__flow_copies_t *c =
          &r->ledger.rows[i * WEFT__COPY_NREASONS + (size_t)k];
      const char *from, *to;
      if (!c->copies)
        continue;
      weft__flow_copy_ends((weft__flow_copy_reason_t)k,
                           r->nodes[i].spec->name, &from, &to);
      fprintf(out,
              "  copies %s -> %s (%s): %" PRIu64 ", %" PRIu64 " bytes\n",
              from, to,
              weft__flow_copy_reason_name((weft__flow_copy_reason_t)k),
              c->copies, c->bytes);
    }
}

void weft__flow_report_bench(const weft__flow_run_t *r, FILE *out) {
  weft__flow_totals_t t;
  weft__flow_run_totals(r, &t);
  double per = t.elements ? (double)t.wall_ns / (double)t.elements : 0;
  fprintf(out,
          "flow '%s': %" PRIu64 " elements in %.3f s: %.0f elements/s, "
          "%.1f ns per element, %.1f ns per hop (%zu hops)\n",
          r->flow->name, t.elements, (double)t.wall_ns / 1e9,
          t.elements_per_s, per, t.hops ? per / (double)t.hops : 0, t.hops);
  fprintf(out,
          "latency (source to sink): p50 %.2f us, p90 %.2f us, p99 %.2f us, "
          "max %.2f us\n",
          (double)t.p50_ns / 1e3, (double)t.p90_ns / 1e3,
          (double)t.p99_ns / 1e3, (double)t.max_ns / 1e3);
  fprintf(out, "copies per element: %.2f (%" PRIu64 " bytes per element)\n",
          t.copies_per_element,
          t.elements ? t.copied_bytes / t.elements : 0);
}

/* ---- JSON --------------------------------------------------------------- */

static json_t *u64(uint64_t v) { return json_integer((json_int_t)v); }

static json_t *node_json(const weft__flow_run_t *r, const rnode_t *n) {
  const weft__flow_node_stats_t *s =
      weft__flow_run_node_stats(r, n->spec->name);
  json_t *o = json_object();
  json_object_set_new(o, "name", json_string(n->spec->name));
  json_object_set_new(o, "role",
                      json_string(weft__flow_role_name(n->spec->role)));
  json_object_set_new(o, "in", u64(s->in));
  json_object_set_new(o, "out", u64(s->out));
  json_object_set_new(o, "dropped", u64(s->dropped));
  json_object_set_new(o, "errors", u64(s->errors));
  json_object_set_new(o, "retries", u64(s->retries));
  json_object_set_new(o, "calls", u64(s->calls));
  json_object_set_new(o, "copies", u64(s->copies));
  json_object_set_new(o, "bytes", u64(s->bytes));
  json_object_set_new(o, "guest_ns", u64(s->guest_ns));
  json_object_set_new(o, "pauses", u64(s->pauses));
  json_object_set_new(o, "resumes", u64(s->resumes));
  json_object_set_new(o, "dead_letters", u64(s->dead_letters));
  json_object_set_new(o, "short_circuited", u64(s->short_circuited));
  json_object_set_new(o, "breaker_opened", u64(s->breaker_opened));
  json_object_set_new(o, "flushes", u64(s->flushes));
  return o;
}

char *weft__flow_report_json(const weft__flow_run_t *r, bool bench) {
  weft__flow_totals_t t;
  weft__flow_run_totals(r, &t);
  json_t *o = json_object(), *nodes = json_array(), *edges = json_array(),
         *ledger = json_array();
  json_object_set_new(o, "flow", json_string(r->flow->name));
  json_object_set_new(o, "ok", json_boolean(!r->failed));
  if (r->failed)
    json_object_set_new(o, "error", json_string(r->failure.msg));
  json_object_set_new(o, "elements", u64(t.elements));
  json_object_set_new(o, "delivered", u64(t.delivered));
  json_object_set_new(o, "wall_ns", u64(t.wall_ns));
  json_object_set_new(o, "elements_per_s", json_real(t.elements_per_s));
  json_object_set_new(o, "copies", u64(t.copies));
  json_object_set_new(o, "copied_bytes", u64(t.copied_bytes));
  json_object_set_new(o, "copies_per_element",
                      json_real(t.copies_per_element));
  for (size_t i = 0; i < r->nnodes; i++)
    json_array_append_new(nodes, node_json(r, &r->nodes[i]));
  for (size_t k = 0; k < r->nedges; k++) {
    const redge_t *ed = &r->edges[k];
    json_t *e = json_object();
    json_object_set_new(
        e, "from", json_string(r->flow->nodes[ed->spec->from.node].name));
    json_object_set_new(e, "from_port",
                        json_string(port_or(ed->spec->from.port, "")));
    json_object_set_new(e, "to",
                        json_string(r->flow->nodes[ed->spec->to.node].name));
    json_object_set_new(e, "to_port",
                        json_string(port_or(ed->spec->to.port, "")));
    json_object_set_new(e, "depth", u64(ed->q.depth));
    json_object_set_new(
        e, "backpressure",
        json_string(weft__flow_backpressure_name(ed->q.policy)));
    json_object_set_new(e, "high_water", u64(ed->q.high_water));
    json_object_set_new(e, "dropped", u64(ed->q.dropped));
    json_array_append_new(edges, e);
  }
  for (size_t i = 0; i < r->nnodes; i++)
    for (int k = 0; k < WEFT__COPY_NREASONS; k++) {
      const weft__flow_copies_t *c =
          &r->ledger.rows[i * WEFT__COPY_NREASONS + (size_t)k];
      const char *from, *to;
      if (!c->copies)
        continue;
      weft__flow_copy_ends((weft__flow_copy_reason_t)k,
                           r->nodes[i].spec->name, &from, &to);
      json_t *row = json_object();
      json_object_set_new(row, "node", json_string(r->nodes[i].spec->name));
      json_object_set_new(row, "from", json_string(from));
      json_object_set_new(row, "to", json_string(to));
      const char *why =
          weft__flow_copy_reason_name((weft__flow_copy_reason_t)k);
      json_object_set_new(row, "reason", json_string(why));
      json_object_set_new(row, "copies", u64(c->copies));
      json_object_set_new(row, "bytes", u64(c->bytes));
      json_array_append_new(ledger, row);
    }
  json_object_set_new(o, "nodes", nodes);
  json_object_set_new(o, "edges", edges);
  json_object_set_new(o, "ledger", ledger);
  if (bench) {
    double per = t.elements ? (double)t.wall_ns / (double)t.elements : 0;
    json_t *lat = json_object();
    json_object_set_new(lat, "p50_ns", u64(t.p50_ns));
    json_object_set_new(lat, "p90_ns", u64(t.p90_ns));
    json_object_set_new(lat, "p99_ns", u64(t.p99_ns));
    json_object_set_new(lat, "max_ns", u64(t.max_ns));
    json_object_set_new(lat, "samples", u64(r->nlat));
    json_object_set_new(o, "latency", lat);
    json_object_set_new(o, "ns_per_element", json_real(per));
    json_object_set_new(o, "hops", u64(t.hops));
    json_object_set_new(o, "ns_per_hop",
                        json_real(t.hops ? per / (double)t.hops : 0));
  }
  char *s = json_dumps(o, JSON_COMPACT);
  json_decref(o);
  return s;
}

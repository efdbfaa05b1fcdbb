/* flow_trace.c - the spans of `weft flow trace` (one per call of a node on
 * an element) and their output as Chrome trace-event JSON, which Perfetto
 * and chrome://tracing open: one track (tid) per node, a complete event
 * ("ph": "X") per span, times in microseconds from the start of the run. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "flow/flow_int.h"

/* Spans kept at most (40 bytes each); later ones are counted only. */
#define MAX_SPANS (1u << 20)

void weft__flow_trace_span(weft__flow_run_t *r, const rnode_t *n,
                           uint8_t what, uint64_t seq, uint64_t start,
                           uint64_t end, bool failed) {
  if (!r->ran)
    return; /* init: before the stream */
  if (r->nspans == r->spans_cap) {
    size_t cap = r->spans_cap ? 2 * r->spans_cap : 1024;
    if (cap > MAX_SPANS)
      cap = MAX_SPANS;
    weft__flow_span_t *p =
        cap > r->spans_cap ? realloc(r->spans, cap * sizeof *p) : NULL;
    if (!p) {
      r->spans_lost++;
      return;
    }
    r->spans = p;
    r->spans_cap = cap;
  }
  r->spans[r->nspans++] = (weft__flow_span_t){.node = (uint32_t)n->index,
                                              .what = what,
                                              .failed = failed,
                                              .seq = seq,
                                              .start_ns = start,
                                              .dur_ns = end - start};
}

/* The name of a span: the role's export it timed. */
static const char *span_name(weft__flow_role_t role, uint8_t what) {
  static const char *const names[][2] = {
      [WEFT__FLOW_SOURCE] = {"pull", "notify-backpressure"},
      [WEFT__FLOW_PROCESSOR] = {"process", "process"},
      [WEFT__FLOW_FILTER] = {"evaluate", "evaluate"},
      [WEFT__FLOW_ROUTER] = {"route", "route"},
      [WEFT__FLOW_AGGREGATOR] = {"ingest", "flush"},
      [WEFT__FLOW_SINK] = {"push", "complete"}};
  if (role < WEFT__FLOW_SOURCE || role > WEFT__FLOW_SINK)
    return "call";
  return names[role][what ? 1 : 0];
}

/* A JSON string literal of `s`, for names the flow file chose. */
static int put_json_string(FILE *f, const char *s) {
  json_t *j = json_string(s);
  char *t = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
  json_decref(j);
  int rc = t ? fputs(t, f) : EOF;
  free(t);
  return rc == EOF ? -1 : 0;
}

int weft__flow_trace_write(const weft__flow_run_t *r, const char *path,
                           weft_error_t *err) {
  FILE *f = fopen(path, "we");
  if (!f)
    return WEFT_ERR(err, WEFT_EIO, "cannot open '%s': %s", path,
                    strerror(errno));
  int bad = fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n", f) < 0;
  fprintf(f, "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,"
             "\"args\":{\"name\":");
  bad |= put_json_string(f, r->flow->name) < 0;
  fputs("}}", f);
  for (size_t i = 0; i < r->nnodes; i++) {
    const weft__flow_node_t *s = r->nodes[i].spec;
    char label[512];
    snprintf(label, sizeof label, "%s (%s)", s->name,
             weft__flow_role_name(s->role));
    fprintf(f, ",\n{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,"
               "\"tid\":%zu,\"args\":{\"name\":",
            i + 1);
    bad |= put_json_string(f, label) < 0;
    fprintf(f, "}},\n{\"name\":\"thread_sort_index\",\"ph\":\"M\","
               "\"pid\":1,\"tid\":%zu,\"args\":{\"sort_index\":%zu}}",
            i + 1, i);
  }
  for (size_t k = 0; k < r->nspans; k++) {
    const weft__flow_span_t *sp = &r->spans[k];
    const rnode_t *n = &r->nodes[sp->node];
    uint64_t ts = sp->start_ns - r->start_ns;
    fprintf(f,
            ",\n{\"name\":\"%s\",\"cat\":\"%s\",\"ph\":\"X\",\"pid\":1,"
            "\"tid\":%u,\"ts\":%" PRIu64 ".%03u,\"dur\":%" PRIu64
            ".%03u,\"args\":{\"sequence\":%" PRIu64 "%s}}",
            span_name(n->spec->role, sp->what),
            weft__flow_role_name(n->spec->role), sp->node + 1, ts / 1000,
            (unsigned)(ts % 1000), sp->dur_ns / 1000,
            (unsigned)(sp->dur_ns % 1000), sp->seq,
            sp->failed ? ",\"failed\":true" : "");
  }
  fprintf(f, "\n],\"otherData\":{\"spans_not_kept\":%zu}}\n", r->spans_lost);
  bad |= ferror(f) != 0;
  if (fclose(f) != 0 || bad)
    return WEFT_ERR(err, WEFT_EIO, "cannot write '%s': %s", path,
                    strerror(errno));
  return 0;
}

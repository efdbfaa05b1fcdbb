/* fuzz_flow.c - libFuzzer target for flow files (src/flow/flow_file.c,
 * flow_graph.c).
 *
 * Parses each input with weft__flow_file_parse, as text only (components
 * are not opened, so nothing touches the disk): a rejected input must come
 * with one "fuzz.toml" message; an accepted one is checked against what
 * the parser promises (every edge between existing nodes, the order a
 * permutation that puts every edge's source first, values within their
 * limits, a table's config valid JSON). ASan and UBSan turn out-of-bounds
 * reads, leaks and undefined behaviour into crashes. The input is copied
 * into an exactly sized buffer. Seeds live in tests/fuzz/corpus/flow/.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flow/flow.h"

/* Abort (so the fuzzer reports it) unless `cond`. */
static void check(int cond) {
  if (!cond)
    abort();
}

/* Check one accepted flow. */
static void walk(const weft__flow_file_t *file, const weft__flow_t *f) {
  size_t *pos = calloc(f->nnodes, sizeof *pos);
  check(pos != NULL && f->nnodes > 0);
  check(weft__flow_find(file, f->name) == f);
  for (size_t i = 0; i < f->nnodes; i++) {
    check(f->order[i] < f->nnodes && pos[f->order[i]] == 0);
    pos[f->order[i]] = i + 1;
  }
  for (size_t i = 0; i < f->nnodes; i++) {
    const weft__flow_node_t *n = &f->nodes[i];
    check(n->role >= WEFT__FLOW_SOURCE && n->role <= WEFT__FLOW_SINK);
    check(n->component && *n->component && n->config && n->interface);
    check(weft__flow_node_index(f, n->name) == (long)i);
    check((n->nports > 0) == (n->role == WEFT__FLOW_ROUTER));
    check(!n->window.count || n->role == WEFT__FLOW_AGGREGATOR);
    check(!n->max_memory || (n->max_memory >= 65536 &&
                             n->max_memory <= (4ull << 30)));
    if (n->config[0] == '{') { /* from a table, or a string that may be */
      json_t *j = json_loads(n->config, 0, NULL);
      json_decref(j);
    }
    if (n->error_policy.kind == WEFT__FLOW_DEAD_LETTER)
      check(!n->error_policy.port != !n->error_policy.file);
  }
  for (size_t i = 0; i < f->nedges; i++) {
    const weft__flow_edge_t *e = &f->edges[i];
    check(e->from.node < f->nnodes && e->to.node < f->nnodes);
    check(e->from.node != e->to.node);
    check(pos[e->from.node] < pos[e->to.node]);
    check(e->queue_depth >= 1 &&
          e->queue_depth <= WEFT__FLOW_MAX_QUEUE_DEPTH);
    check(e->to.port && !*e->to.port && e->from.port);
    check(f->nodes[e->to.node].role != WEFT__FLOW_SOURCE);
  }
  free(pos);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parse one input; always returns 0 (libFuzzer's contract). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  weft__flow_file_t *file;
  weft_error_t err;
  char *copy = malloc(size ? size : 1);
  if (!copy)
    return 0;
  if (size)
    memcpy(copy, data, size);
  memset(&err, 0, sizeof err);
  file = weft__flow_file_parse("fuzz.toml", copy, size, &err);
  if (!file) {
    check(err.code < 0);
    check(!strncmp(err.msg, "fuzz.toml", 9) && !strchr(err.msg, '\n'));
  } else {
    check(file->nflows > 0);
    for (size_t i = 0; i < file->nflows; i++)
      walk(file, &file->flows[i]);
    weft__flow_file_free(file);
  }
  free(copy);
  return 0;
}

/* flow_graph.c - the graph of a flow: each edge against the nodes it
 * joins (ports, self-loops, the direction of sources and sinks, one edge
 * per output port), then the whole (every node reached and leading
 * somewhere, every port used, no cycle) and a topological order of the
 * nodes for the runtime. */
#include <stdlib.h>
#include <string.h>

#include "flow/flow.h"

/* The dead-letter port of `n`, or NULL. */
static const char *dead_letter_port(const weft__flow_node_t *n) {
  return n->error_policy.kind == WEFT__FLOW_DEAD_LETTER
             ? n->error_policy.port
             : NULL;
}

/* True if `port` is in the router ports of `n`. */
static bool has_port(const weft__flow_node_t *n, const char *port) {
  for (size_t i = 0; i < n->nports; i++)
    if (!strcmp(n->ports[i], port))
      return true;
  return false;
}

/* Check the `from` end of `e` (and normalise "output" to ""). */
static int check_from(weft__flow_parse_t *p, const weft__flow_t *flow,
                      weft__flow_edge_t *e) {
  const weft__flow_node_t *n = &flow->nodes[e->from.node];
  const char *dl = dead_letter_port(n), *port = e->from.port;
  int line = e->from.loc.line;
  if (dl && !strcmp(port, dl))
    return 0;
  if (n->role == WEFT__FLOW_ROUTER) {
    if (!*port)
      return weft__flow_fail(p, WEFT_EINVAL, line,
                             "an edge from router '%s' must name one of its "
                             "ports in flow '%s'",
                             n->name, flow->name);
    if (!has_port(n, port))
      return weft__flow_fail(p, WEFT_EINVAL, line,
                             "router '%s' has no port '%s' in flow '%s': "
                             "add it to 'ports'",
                             n->name, port, flow->name);
    return 0;
  }
  if (!strcmp(port, "output"))
    e->from.port = port = "";
  if (*port)
    return weft__flow_fail(p, WEFT_EINVAL, line,
                           "node '%s' has no port '%s' in flow '%s': only "
                           "routers have named ports",
                           n->name, port, flow->name);
  if (n->role == WEFT__FLOW_SINK)
    return weft__flow_fail(p, WEFT_EINVAL, line,
                           "edge out of sink '%s' in flow '%s'", n->name,
                           flow->name);
  return 0;
}

/* Check the `to` end of `e` (and normalise "input" to ""). */
static int check_to(weft__flow_parse_t *p, const weft__flow_t *flow,
                    weft__flow_edge_t *e) {
  const weft__flow_node_t *n = &flow->nodes[e->to.node];
  int line = e->to.loc.line;
  if (!strcmp(e->to.port, "input"))
    e->to.port = "";
  if (*e->to.port)
    return weft__flow_fail(p, WEFT_EINVAL, line,
                           "node '%s' has no input port '%s' in flow '%s': "
                           "a node has one input; leave 'port' out",
                           n->name, e->to.port, flow->name);
  if (n->role == WEFT__FLOW_SOURCE)
    return weft__flow_fail(p, WEFT_EINVAL, line,
                           "edge into source '%s' in flow '%s'", n->name,
                           flow->name);
  return 0;
}

/* See flow.h. */
int weft__flow_graph_edges(weft__flow_parse_t *p, weft__flow_t *flow) {
  bool *ok = calloc(flow->nedges ? flow->nedges : 1, sizeof *ok);
  int rc = 0;
  if (!ok)
    return weft__flow_fail(p, WEFT_ENOMEM, 0, "out of memory");
  for (size_t i = 0; i < flow->nedges; i++) {
    weft__flow_edge_t *e = &flow->edges[i];
    const weft__flow_node_t *n = &flow->nodes[e->from.node];
    int r;
    if (e->from.node == e->to.node) {
      rc = weft__flow_fail(p, WEFT_EINVAL, e->from.loc.line,
                           "edge from node '%s' to itself in flow '%s'",
                           n->name, flow->name);
      continue;
    }
    r = check_from(p, flow, e);
    r = check_to(p, flow, e) ? WEFT_EINVAL : r;
    if (r) {
      rc = r;
      continue;
    }
    ok[i] = true;
    /* One edge per output port: fan out through a router. */
    for (size_t j = 0; j < i; j++) {
      const weft__flow_edge_t *o = &flow->edges[j];
      if (!ok[j] || o->from.node != e->from.node ||
          strcmp(o->from.port, e->from.port))
        continue;
      if (*e->from.port)
        rc = weft__flow_fail(p, WEFT_EINVAL, e->from.loc.line,
                             "port '%s' of node '%s' already has an edge "
                             "(line %d) in flow '%s'",
                             e->from.port, n->name, o->from.loc.line,
                             flow->name);
      else
        rc = weft__flow_fail(p, WEFT_EINVAL, e->from.loc.line,
                             "node '%s' already has an edge from its output "
                             "(line %d) in flow '%s': fan out with a router",
                             n->name, o->from.loc.line, flow->name);
      ok[i] = false;
      break;
    }
  }
  free(ok);
  return rc;
}

/* ---- the whole graph ---------------------------------------------------- */

/* True if an edge of `flow` leaves node `node` from `port`. */
static bool has_edge_from(const weft__flow_t *flow, size_t node,
                          const char *port) {
  for (size_t i = 0; i < flow->nedges; i++)
    if (flow->edges[i].from.node == node &&
        !strcmp(flow->edges[i].from.port, port))
      return true;
  return false;
}

/* Every node reached and leading somewhere, every port used. */
static int check_ends(weft__flow_parse_t *p, const weft__flow_t *flow,
                      const size_t *indeg) {
  int rc = 0;
  for (size_t i = 0; i < flow->nnodes; i++) {
    const weft__flow_node_t *n = &flow->nodes[i];
    const char *dl = dead_letter_port(n);
    if (n->role != WEFT__FLOW_SOURCE && !indeg[i])
      rc = weft__flow_fail(p, WEFT_EINVAL, n->loc.line,
                           "node '%s' has no incoming edge in flow '%s'",
                           n->name, flow->name);
    if (n->role == WEFT__FLOW_ROUTER) {
      for (size_t k = 0; k < n->nports; k++)
        if (!has_edge_from(flow, i, n->ports[k]))
          rc = weft__flow_fail(p, WEFT_EINVAL, n->ports_loc.line,
                               "no edge leaves port '%s' of router '%s' in "
                               "flow '%s'",
                               n->ports[k], n->name, flow->name);
    } else if (n->role != WEFT__FLOW_SINK && !has_edge_from(flow, i, "")) {
      rc = weft__flow_fail(p, WEFT_EINVAL, n->loc.line,
                           "node '%s' has no outgoing edge in flow '%s'",
                           n->name, flow->name);
    }
    if (dl && !has_edge_from(flow, i, dl))
      rc = weft__flow_fail(p, WEFT_EINVAL, n->error_policy.loc.line,
                           "no edge leaves dead-letter port '%s' of node "
                           "'%s' in flow '%s'",
                           dl, n->name, flow->name);
  }
  return rc;
}

/* The nodes not in the order (`done` false) hold a cycle: each has an
 * incoming edge from another of them. Walk those edges backwards from the
 * first such node until a node comes again, and report the cycle found,
 * starting from the edge of it written first. */
static int report_cycle(weft__flow_parse_t *p, const weft__flow_t *flow,
                        const bool *done) {
  size_t n = flow->nnodes, step = 0, cur = 0, m;
  long *pos = malloc(n * sizeof *pos);
  size_t *path = malloc(n * sizeof *path), *via = malloc(n * sizeof *via);
  weft__buf_t b;
  int rc;
  weft__buf_init(&b);
  if (!pos || !path || !via) {
    rc = weft__flow_fail(p, WEFT_ENOMEM, 0, "out of memory");
    goto out;
  }
  for (size_t i = 0; i < n; i++)
    pos[i] = -1;
  while (cur < n && done[cur])
    cur++;
  for (;;) {
    size_t e = flow->nedges, prev;
    pos[cur] = (long)step;
    path[step] = cur;
    /* The first edge (in file order) into `cur` from a node left over. */
    for (size_t i = 0; i < flow->nedges && e == flow->nedges; i++)
      if (flow->edges[i].to.node == cur && !done[flow->edges[i].from.node])
        e = i;
    if (NEVER(e == flow->nedges)) {
      rc = weft__flow_fail(p, WEFT_EINVAL, flow->loc.line,
                           "cycle in flow '%s'", flow->name);
      goto out;
    }
    via[step++] = e;
    prev = flow->edges[e].from.node;
    if (pos[prev] >= 0) {
      m = (size_t)pos[prev];
      break;
    }
    cur = prev;
  }
  /* Forward, the cycle is path[m] -> path[step-1] -> ... -> path[m+1] ->
   * path[m]; via[j] is the edge into path[j]. Start at the edge written
   * first. */
  size_t len = step - m, first = step - 1;
  for (size_t j = m; j < step; j++)
    if (flow->edges[via[j]].from.loc.line <
        flow->edges[via[first]].from.loc.line)
      first = j;
  /* The edge via[first] enters path[first] from path[first+1] (or, for
   * step-1, from path[m]); list from its source on. */
  size_t start = first + 1 < step ? first + 1 : m;
  size_t j = start;
  for (size_t k = 0; k <= len; k++) {
    weft__buf_printf(&b, "%s%s", k ? " -> " : "", flow->nodes[path[j]].name);
    j = j == m ? step - 1 : j - 1;
  }
  rc = weft__flow_fail(p, WEFT_EINVAL, flow->edges[via[first]].from.loc.line,
                       "cycle in flow '%s': %s", flow->name,
                       b.data ? b.data : "?");
out:
  weft__buf_release(&b);
  free(pos);
  free(path);
  free(via);
  return rc;
}

/* See flow.h. */
int weft__flow_graph_check(weft__flow_parse_t *p, weft__flow_t *flow) {
  size_t n = flow->nnodes, count = 0;
  size_t *indeg = calloc(n ? n : 1, sizeof *indeg);
  size_t *left = calloc(n ? n : 1, sizeof *left);
  bool *done = calloc(n ? n : 1, sizeof *done);
  int rc;
  flow->order = weft__arena_calloc(&p->file->arena, n ? n : 1,
                                   sizeof *flow->order);
  if (!indeg || !left || !done || !flow->order) {
    rc = weft__flow_fail(p, WEFT_ENOMEM, 0, "out of memory");
    goto out;
  }
  for (size_t i = 0; i < flow->nedges; i++)
    indeg[flow->edges[i].to.node]++;
  memcpy(left, indeg, n * sizeof *left);
  rc = check_ends(p, flow, indeg);
  /* Kahn's algorithm; of the nodes ready at once, the first written. */
  while (count < n) {
    size_t next = n;
    for (size_t i = 0; i < n && next == n; i++)
      if (!done[i] && !left[i])
        next = i;
    if (next == n)
      break;
    done[next] = true;
    flow->order[count++] = next;
    for (size_t i = 0; i < flow->nedges; i++)
      if (flow->edges[i].from.node == next)
        left[flow->edges[i].to.node]--;
  }
  if (count < n)
    rc = report_cycle(p, flow, done);
out:
  free(indeg);
  free(left);
  free(done);
  return rc;
}

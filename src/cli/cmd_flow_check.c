/* cmd_flow_check.c - `weft flow check`: read a flow file strictly
 * (src/flow/flow_file.c, flow_graph.c) and check every node's component
 * against its role's world (flow_check.c), without running anything. One
 * line per flow checked, or one JSON object; the first problem names
 * file:line. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "flow/flow.h"

static const char usage[] =
    "usage: weft flow check [-f FILE|DIR] [--flow NAME] [--json]\n"
    "\n"
    "Check a flow file and every component it names, without running\n"
    "anything: every key and value, the graph of each flow (no cycles,\n"
    "every node reached and leading somewhere, router ports used), and\n"
    "each node's component against the world of its role. Prints one line\n"
    "per flow checked, or the first problem with its file:line.\n"
    "\n"
    "options:\n"
    "  -f, --file FILE|DIR  the flow file, or a directory holding\n"
    "                       Torvyn.toml or weft-flow.toml (default: .)\n"
    "      --flow NAME      check only this flow (the whole file is still\n"
    "                       read and must be valid)\n"
    "      --json           print one JSON object instead of text\n"
    "  -h, --help           show this help\n"
    "\n"
    "exit status: 0 when every flow checked is valid; 1 when the file or a\n"
    "component is not; 2 usage error.\n";

/* {"name", "role", "world", "component"} for each node of `f`, or NULL. */
static json_t *j_nodes(const weft__flow_t *f) {
  json_t *a = json_array();
  for (size_t i = 0; a && i < f->nnodes; i++) {
    const weft__flow_node_t *n = &f->nodes[i];
    json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "name", n->name, "role",
                          weft__flow_role_name(n->role), "world",
                          weft__flow_role_world(n->role), "component",
                          n->component);
    if (!o || json_array_append_new(a, o)) {
      json_decref(a);
      return NULL;
    }
  }
  return a;
}

/* The nodes of `f` by name in their topological order, or NULL. */
static json_t *j_order(const weft__flow_t *f) {
  json_t *a = json_array();
  for (size_t i = 0; a && i < f->nnodes; i++)
    if (json_array_append_new(a, json_string(f->nodes[f->order[i]].name))) {
      json_decref(a);
      return NULL;
    }
  return a;
}

/* Append flow `f` (checked) to the JSON array `flows`. 0 or -1. */
static int j_flow(json_t *flows, const weft__flow_t *f) {
  json_t *o = json_pack("{s:s, s:s, s:o, s:I, s:o}", "name", f->name,
                        "description", f->description, "nodes", j_nodes(f),
                        "edges", (json_int_t)f->nedges, "order", j_order(f));
  return o ? json_array_append_new(flows, o) : -1;
}

/* Print the JSON report: `file` (as given or found), the flows checked,
 * and `error` (NULL when valid). 0 or -1. */
static int print_json(const char *file, json_t *flows, const char *error) {
  json_t *root = json_pack("{s:s, s:b, s:O, s:s?}", "file", file, "ok",
                           error == NULL, "flows", flows, "error", error);
  int rc = -1;
  if (root && json_dumpf(root, stdout, JSON_INDENT(2)) == 0 &&
      putchar('\n') != EOF)
    rc = 0;
  json_decref(root);
  return rc;
}

/* Check the flows of `file` (or only `only`), printing as they pass.
 * Returns an exit status. */
static int check(const weft__flow_file_t *file, const char *only, bool json,
                 json_t *flows) {
  weft_error_t err = {0};
  weft_engine_t *engine = NULL;
  weft_wit_t *wit = NULL;
  const weft__flow_t *chosen = NULL;
  int rc = WEFT_EXIT_FAIL;
  if (only && !(chosen = weft__flow_find(file, only))) {
    WEFT_ERR(&err, WEFT_ENOTFOUND, "no flow '%s' in '%s'", only, file->path);
    goto out;
  }
  if (!(wit = weft__flow_wit_load(NULL, &err)))
    goto out;
  engine = cli_engine();
  for (size_t i = 0; i < file->nflows; i++) {
    const weft__flow_t *f = &file->flows[i];
    if (chosen && f != chosen)
      continue;
    if (weft__flow_check_components(f, engine, wit, &err))
      goto out;
    if (json ? j_flow(flows, f) != 0
             : printf("flow %s: ok (%zu node%s, %zu edge%s)\n", f->name,
                      f->nnodes, f->nnodes == 1 ? "" : "s", f->nedges,
                      f->nedges == 1 ? "" : "s") < 0) {
      WEFT_ERR(&err, WEFT_ENOMEM, "cannot write the report");
      goto out;
    }
  }
  rc = WEFT_EXIT_OK;
out:
  if (rc != WEFT_EXIT_OK) {
    cli_error("%s", err.msg);
    if (json)
      print_json(file->path, flows, err.msg);
  } else if (json && print_json(file->path, flows, NULL)) {
    cli_error("cannot write the report");
    rc = WEFT_EXIT_FAIL;
  }
  if (engine)
    weft_engine_free(engine);
  weft_wit_free(wit);
  return rc;
}

/* `weft flow check [-f FILE|DIR] [--flow NAME] [--json]`; argv[0] is
 * "check". Returns WEFT_EXIT_OK, WEFT_EXIT_FAIL or WEFT_EXIT_USAGE. */
int cmd_flow_check(int argc, char **argv) {
  static const struct option opts[] = {{"file", required_argument, NULL, 'f'},
                                       {"flow", required_argument, NULL, 'F'},
                                       {"json", no_argument, NULL, 'j'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  const char *path = ".", *only = NULL;
  weft__flow_file_t *file;
  weft_error_t err = {0};
  json_t *flows;
  bool json = false;
  int c, rc;
  opterr = 0;
  optind = 0; /* full reinitialisation; options may follow arguments */
  while ((c = getopt_long(argc, argv, ":f:h", opts, NULL)) != -1) {
    switch (c) {
    case 'f':
      path = optarg;
      break;
    case 'F':
      only = optarg;
      break;
    case 'j':
      json = true;
      break;
    case 'h':
      fputs(usage, stdout);
      return WEFT_EXIT_OK;
    case ':':
      return cli_usage_error("flow check", "option '%s' needs a value",
                             argv[optind - 1]);
    default:
      if (optopt == 'j' || optopt == 'h')
        return cli_usage_error("flow check", "option '%s' takes no value",
                               argv[optind - 1]);
      return cli_usage_error("flow check", "unknown option '%s'",
                             argv[optind - 1]);
    }
  }
  if (optind < argc)
    return cli_usage_error("flow check", "unexpected argument '%s'",
                           argv[optind]);
  if (!(flows = json_array())) {
    cli_error("out of memory");
    return WEFT_EXIT_FAIL;
  }
  if (!(file = weft__flow_file_load(path, &err))) {
    cli_error("%s", err.msg);
    if (json)
      print_json(path, flows, err.msg);
    json_decref(flows);
    return WEFT_EXIT_FAIL;
  }
  rc = check(file, only, json, flows);
  json_decref(flows);
  weft__flow_file_free(file);
  return rc;
}

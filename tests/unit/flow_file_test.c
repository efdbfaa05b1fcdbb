/* flow_file_test.c - unit tests for flow files (src/flow/flow_file.c,
 * flow_graph.c, flow_role.c, flow_check.c): the model every key of
 * tests/flows/good/ resolves to (defaults, overrides, paths, config as
 * JSON, the order of nodes), the corpus of bad flow files in
 * tests/flows/bad/ (each names its one expected message on its first
 * line, "# error: <message>"), rules shown inline (cycles, URLs, names),
 * finding the file in a directory, the roles against wit/torvyn, the
 * components of the test guests against their roles ($BUILD/guests, from
 * `make guests`), and failure of every allocation in turn (glibc builds
 * without sanitizers only). Run from the repository root. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cabi/wit.h"
#include "flow/flow.h"
#include "testlib.h"

#include "faults.h"

/* ---- helpers ------------------------------------------------------------ */

#define GOOD "tests/flows/good/"
#define BAD "tests/flows/bad/"
#define MS 1000000ull

/* Load `path`, failing the test on error. */
static weft__flow_file_t *load_ok(const char *path) {
  weft_error_t err = {0};
  weft__flow_file_t *f = weft__flow_file_load(path, &err);
  if (!f) {
    print_error("unexpected error: %s\n", err.msg);
    fail();
  }
  return f;
}

/* Parse NUL-terminated `text` as "t.toml", failing the test on error. */
static weft__flow_file_t *parse_ok(const char *text) {
  weft_error_t err = {0};
  weft__flow_file_t *f = weft__flow_file_parse("t.toml", text, strlen(text),
                                               &err);
  if (!f) {
    print_error("unexpected error: %s\n", err.msg);
    fail();
  }
  return f;
}

/* Parse `text` as "t.toml" expecting message `msg` (code WEFT_EINVAL). */
static void parse_fails(const char *text, const char *msg) {
  weft_error_t err = {0};
  weft__flow_file_t *f = weft__flow_file_parse("t.toml", text, strlen(text),
                                               &err);
  weft__flow_file_free(f);
  assert_null(f);
  assert_int_equal(err.code, WEFT_EINVAL);
  assert_string_equal(err.msg, msg);
}

/* Node `name` of `f`, failing the test when there is none. */
static const weft__flow_node_t *node(const weft__flow_t *f, const char *name) {
  long i = weft__flow_node_index(f, name);
  if (i < 0) {
    print_error("no node '%s'\n", name);
    fail();
  }
  return &f->nodes[i];
}

/* The node names of `f` in its order, joined by spaces, into out[cap]. */
static const char *order(const weft__flow_t *f, char *out, size_t cap) {
  size_t o = 0;
  out[0] = 0;
  for (size_t i = 0; i < f->nnodes && o < cap; i++)
    o += (size_t)snprintf(out + o, cap - o, "%s%s", i ? " " : "",
                          f->nodes[f->order[i]].name);
  return out;
}

/* Three nodes and the text between them, for flows written inline. */
#define SRC                                                                   \
  "[flow.main.nodes.src]\ncomponent = \"s.wasm\"\n"                          \
  "interface = \"torvyn:streaming/source\"\n"
#define PROC(name)                                                            \
  "[flow.main.nodes." name "]\ncomponent = \"p.wasm\"\n"                     \
  "interface = \"torvyn:streaming/processor\"\n"
#define ROUTER(name, ports)                                                   \
  "[flow.main.nodes." name "]\ncomponent = \"r.wasm\"\n"                     \
  "interface = \"torvyn:filtering/router\"\nports = " ports "\n"
#define SINK                                                                  \
  "[flow.main.nodes.out]\ncomponent = \"k.wasm\"\n"                          \
  "interface = \"torvyn:streaming/sink\"\n"
#define EDGE(from, to)                                                        \
  "[[flow.main.edges]]\nfrom = { node = \"" from "\" }\n"                    \
  "to = { node = \"" to "\" }\n"
#define PEDGE(from, port, to)                                                 \
  "[[flow.main.edges]]\nfrom = { node = \"" from "\", port = \"" port       \
  "\" }\nto = { node = \"" to "\" }\n"

/* ---- the model ---------------------------------------------------------- */

/* basic.toml: every default. */
static void test_basic(void **state) {
  weft__flow_file_t *file = load_ok(GOOD "basic.toml");
  const weft__flow_t *f;
  const weft__flow_node_t *n;
  char buf[256];
  (void)state;
  assert_string_equal(file->path, GOOD "basic.toml");
  assert_string_equal(file->dir, "tests/flows/good");
  assert_int_equal(file->nflows, 1);
  assert_null(weft__flow_find(file, "nope"));
  f = weft__flow_find(file, "main");
  assert_ptr_equal(f, &file->flows[0]);
  assert_string_equal(f->description, "the smallest flow");
  assert_int_equal(f->default_queue_depth, 64);
  assert_int_equal(f->backpressure, WEFT__FLOW_BP_BLOCK);
  assert_int_equal(f->loc.line, 2);
  assert_int_equal(f->nnodes, 3);
  assert_int_equal(f->nedges, 2);
  assert_string_equal(order(f, buf, sizeof buf), "src up out");

  n = node(f, "up");
  assert_string_equal(n->component, GOOD "processor_min.wasm");
  assert_int_equal(n->role, WEFT__FLOW_PROCESSOR);
  assert_string_equal(n->interface, "torvyn:streaming/processor");
  assert_string_equal(n->config, "");
  assert_string_equal(n->flow, "main");
  assert_int_equal(n->deadline_ns, 0);
  assert_int_equal(n->max_memory, 0);
  assert_int_equal(n->priority, 0);
  assert_int_equal(n->error_policy.kind, WEFT__FLOW_FAIL_FAST);
  assert_null(n->error_policy.port);
  assert_null(n->error_policy.file);
  assert_null(n->ports);
  assert_int_equal(n->nports, 0);
  assert_int_equal(n->window.count, 0);
  assert_int_equal(n->window.ns, 0);
  assert_int_equal(n->loc.line, 9);
  assert_int_equal(n->component_loc.line, 10);
  assert_string_equal(n->loc.file, GOOD "basic.toml");

  assert_int_equal(f->edges[1].from.node, 1);
  assert_int_equal(f->edges[1].to.node, 2);
  assert_string_equal(f->edges[1].from.port, "");
  assert_string_equal(f->edges[1].to.port, "");
  assert_int_equal(f->edges[1].queue_depth, 64);
  assert_int_equal(f->edges[1].backpressure, WEFT__FLOW_BP_BLOCK);
  assert_int_equal(f->edges[1].loc.line, 21);
  assert_int_equal(f->edges[1].from.loc.line, 22);
  assert_int_equal(f->edges[1].to.loc.line, 23);
  weft__flow_file_free(file);
}

/* all-roles.toml: every key, each resolved. */
static void test_all_roles(void **state) {
  weft__flow_file_t *file = load_ok(GOOD "all-roles.toml");
  const weft__flow_t *f = weft__flow_find(file, "pipeline");
  const weft__flow_node_t *n;
  char buf[256];
  (void)state;
  assert_non_null(f);
  assert_int_equal(file->nflows, 2);
  assert_string_equal(f->description, "every role");
  assert_int_equal(f->default_queue_depth, 16);
  assert_int_equal(f->backpressure, WEFT__FLOW_BP_DROP_OLDEST);
  assert_int_equal(f->nnodes, 7);
  assert_string_equal(order(f, buf, sizeof buf),
                      "read keep split batch upper out errors");

  n = node(f, "read");
  assert_int_equal(n->role, WEFT__FLOW_SOURCE);
  assert_string_equal(n->interface, "torvyn:streaming/source@0.1.0");
  assert_string_equal(n->config, "lines.txt");
  assert_int_equal(n->priority, 5);

  n = node(f, "keep");
  assert_int_equal(n->role, WEFT__FLOW_FILTER);
  assert_string_equal(n->component, GOOD "filter_min.wasm");
  assert_string_equal(n->config,
                      "{\"max_per_second\":10,\"window_ms\":1000,\"name\":"
                      "\"rate\",\"on\":true,\"tags\":[\"a\",\"b\"],"
                      "\"limits\":{\"ratio\":0.5}}");
  assert_int_equal(n->deadline_ns, 250 * MS);
  assert_int_equal(n->max_memory, 16u << 20);
  assert_int_equal(n->error_policy.kind, WEFT__FLOW_RETRY);
  assert_int_equal(n->error_policy.max, 5);
  assert_int_equal(n->error_policy.backoff_ns, 20 * MS);
  assert_int_equal(n->error_policy.loc.line, 21);

  n = node(f, "split");
  assert_int_equal(n->role, WEFT__FLOW_ROUTER);
  assert_int_equal(n->nports, 2);
  assert_string_equal(n->ports[0], "even");
  assert_string_equal(n->ports[1], "odd");
  assert_int_equal(n->ports_loc.line, 26);
  assert_int_equal(n->error_policy.kind, WEFT__FLOW_DEAD_LETTER);
  assert_string_equal(n->error_policy.port, "dlq");
  assert_null(n->error_policy.file);

  n = node(f, "batch");
  assert_int_equal(n->role, WEFT__FLOW_AGGREGATOR);
  assert_int_equal(n->window.count, 100);
  assert_int_equal(n->window.ns, 500 * MS);
  assert_int_equal(n->error_policy.kind, WEFT__FLOW_SKIP);

  n = node(f, "upper");
  assert_int_equal(n->max_memory, 1048576);
  assert_int_equal(n->priority, -1);
  assert_int_equal(n->error_policy.kind, WEFT__FLOW_CIRCUIT_BREAKER);
  assert_int_equal(n->error_policy.threshold, 3);
  assert_int_equal(n->error_policy.reset_ns, 2000 * MS);

  n = node(f, "out");
  assert_int_equal(n->role, WEFT__FLOW_SINK);
  assert_int_equal(n->error_policy.kind, WEFT__FLOW_DEAD_LETTER);
  assert_string_equal(n->error_policy.file, GOOD "dead.jsonl");
  assert_null(n->error_policy.port);

  assert_int_equal(node(f, "errors")->error_policy.kind, WEFT__FLOW_FAIL_FAST);

  assert_int_equal(f->nedges, 7);
  /* "output" and "input" are the main output and input. */
  assert_string_equal(f->edges[0].from.port, "");
  assert_string_equal(f->edges[0].to.port, "");
  assert_int_equal(f->edges[0].queue_depth, 16);
  assert_int_equal(f->edges[0].backpressure, WEFT__FLOW_BP_DROP_OLDEST);
  assert_int_equal(f->edges[1].queue_depth, 8);
  assert_int_equal(f->edges[1].backpressure, WEFT__FLOW_BP_BLOCK);
  assert_string_equal(f->edges[2].from.port, "even");
  assert_int_equal(f->edges[2].to.node, 3);
  assert_int_equal(f->edges[3].backpressure, WEFT__FLOW_BP_ERROR);
  assert_int_equal(f->edges[3].queue_depth, 16);
  assert_string_equal(f->edges[4].from.port, "dlq");
  assert_int_equal(f->edges[6].queue_depth, 1000000);

  f = weft__flow_find(file, "short");
  assert_non_null(f);
  assert_int_equal(f->default_queue_depth, 64);
  assert_int_equal(f->backpressure, WEFT__FLOW_BP_BLOCK);
  assert_string_equal(order(f, buf, sizeof buf), "from-file to-file");
  assert_string_equal(node(f, "to-file")->config, "{\"raw\": \"json\"}");
  assert_int_equal(f->nedges, 1);
  assert_int_equal(f->edges[0].from.node, 0);
  assert_int_equal(f->edges[0].to.node, 1);
  weft__flow_file_free(file);
}

/* Policies written as strings take their defaults; config keeps its
 * order, and its values, as JSON. */
static void test_defaults(void **state) {
  weft__flow_file_t *file = parse_ok(
      SRC "error_policy = \"retry\"\n"
      "config = { z = 1, a = [1.5, \"x\", false], d = 1979-05-27 }\n" SINK
      "error_policy = \"circuit-breaker\"\n" EDGE("src", "out"));
  const weft__flow_t *f = &file->flows[0];
  (void)state;
  assert_int_equal(f->nodes[0].error_policy.kind, WEFT__FLOW_RETRY);
  assert_int_equal(f->nodes[0].error_policy.max, 3);
  assert_int_equal(f->nodes[0].error_policy.backoff_ns, 10 * MS);
  assert_string_equal(f->nodes[0].config,
                      "{\"z\":1,\"a\":[1.5,\"x\",false],\"d\":\"1979-05-27\"}");
  assert_int_equal(f->nodes[1].error_policy.kind, WEFT__FLOW_CIRCUIT_BREAKER);
  assert_int_equal(f->nodes[1].error_policy.threshold, 5);
  assert_int_equal(f->nodes[1].error_policy.reset_ns, 1000 * MS);
  /* Relative to "t.toml": the working directory, so left as written. */
  assert_string_equal(f->nodes[0].component, "s.wasm");
  weft__flow_file_free(file);
}

/* file:// URLs and paths. */
static void test_paths(void **state) {
  static const struct {
    const char *written, *resolved;
  } cases[] = {{"file:///abs/a%20b.wasm", "/abs/a b.wasm"},
               {"file://localhost/abs/x.wasm", "/abs/x.wasm"},
               {"file://rel/x.wasm", "dir/rel/x.wasm"},
               {"/abs/y.wasm", "/abs/y.wasm"},
               {"sub/z.wasm", "dir/sub/z.wasm"},
               {"sub/odd://x.wasm", "dir/sub/odd://x.wasm"}};
  (void)state;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char text[1024];
    weft_error_t err = {0};
    weft__flow_file_t *file;
    snprintf(text, sizeof text,
             "[flow.main.nodes.src]\ncomponent = \"%s\"\n"
             "interface = \"torvyn:streaming/source\"\n" SINK
             EDGE("src", "out"),
             cases[i].written);
    file = weft__flow_file_parse("dir/t.toml", text, strlen(text), &err);
    if (!file) {
      print_error("%s: %s\n", cases[i].written, err.msg);
      fail();
    }
    assert_string_equal(file->flows[0].nodes[0].component, cases[i].resolved);
    weft__flow_file_free(file);
  }
  parse_fails("[flow.main.nodes.src]\ncomponent = \"file:///a%2\"\n"
              "interface = \"torvyn:streaming/source\"\n" SINK
              EDGE("src", "out"),
              "t.toml:2: 'component' has a bad escape in 'file:///a%2'");
  parse_fails("[flow.main.nodes.src]\ncomponent = \"file:///a%00\"\n"
              "interface = \"torvyn:streaming/source\"\n" SINK
              EDGE("src", "out"),
              "t.toml:2: 'component' has a bad escape in 'file:///a%00'");
  parse_fails("[flow.main.nodes.src]\ncomponent = \"\"\n"
              "interface = \"torvyn:streaming/source\"\n" SINK
              EDGE("src", "out"),
              "t.toml:2: 'component' is empty");
  parse_fails("[flow.main.nodes.src]\ncomponent = \"oci://r/x\"\n"
              "interface = \"torvyn:streaming/source\"\n" SINK
              EDGE("src", "out"),
              "t.toml:2: 'component' must be a local path or a file:// "
              "URL, not 'oci://r/x': weft does not download components");
}

/* Cycles: the one reported starts at its edge written first, wherever
 * the walk found it; nodes downstream of a cycle are not in it. */
static void test_cycles(void **state) {
  (void)state;
  /* src -> r; r.a -> p1 -> p2 -> p3 -> r (a cycle of four, its first
   * edge p1 -> p2 at line 22); r.b -> out. */
  parse_fails(SRC ROUTER("r", "[\"a\", \"b\"]") PROC("p1") PROC("p2")
                  PROC("p3") SINK "[[flow.main.edges]]\n"
                  "from = { node = \"p1\" }\nto = { node = \"p2\" }\n"
                  EDGE("src", "r") EDGE("p3", "r") PEDGE("r", "a", "p1")
                  EDGE("p2", "p3") PEDGE("r", "b", "out"),
              "t.toml:21: cycle in flow 'main': p1 -> p2 -> p3 -> r -> p1");
  /* Two problems: the earlier line wins (no incoming edge at line 8,
   * before the cycle's edges). */
  parse_fails(SRC PROC("lonely") ROUTER("r", "[\"a\", \"b\"]") PROC("p")
                  SINK EDGE("src", "r") PEDGE("r", "a", "p") EDGE("p", "r")
                  EDGE("lonely", "out") PEDGE("r", "b", "out"),
              "t.toml:4: node 'lonely' has no incoming edge in flow 'main'");
}

/* Names, duplicate ports, dead-letter ports and other rules not in the
 * corpus. */
static void test_rules(void **state) {
  (void)state;
  parse_fails(SRC ROUTER("r", "[\"a\", \"a\"]") SINK EDGE("src", "r")
                  PEDGE("r", "a", "out"),
              "t.toml:7: port 'a' is twice in 'ports'");
  parse_fails(SRC ROUTER("r", "[]") SINK EDGE("src", "r"),
              "t.toml:7: 'ports' must be an array of port names");
  parse_fails(SRC ROUTER("r", "[\"a b\"]") SINK EDGE("src", "r"),
              "t.toml:7: invalid port 'a b': use 1 to 64 letters, digits, "
              "'-' and '_'");
  parse_fails(SRC ROUTER("r", "[\"a\"]")
              "error_policy = { policy = \"dead-letter\", port = \"a\" }\n"
              SINK EDGE("src", "r") PEDGE("r", "a", "out"),
              "t.toml:8: dead-letter port 'a' of router 'r' is also in its "
              "'ports'");
  parse_fails(SRC "error_policy = { policy = \"dead-letter\", port = "
                  "\"output\" }\n" SINK EDGE("src", "out"),
              "t.toml:4: a dead-letter port may not be named 'output': name "
              "it for its errors, such as \"dlq\"");
  parse_fails("[flow.\"a b\".nodes.x]\ncomponent = \"x\"\n",
              "t.toml:1: invalid flow name 'a b': use 1 to 64 letters, "
              "digits, '-' and '_'");
  parse_fails("[flow.main]\nnodes = 3\n",
              "t.toml:2: 'nodes' must be a table: [flow.main.nodes.NAME]");
  parse_fails("[flow.main]\nnodes = {}\n",
              "t.toml:2: flow 'main' has no nodes");
  parse_fails("[flow.main.nodes]\nsrc = 1\n",
              "t.toml:2: node 'src' of flow 'main' must be a table");
  parse_fails(SRC SINK "[flow.main]\nedges = [1]\n",
              "t.toml:8: edge 1 of flow 'main' must be a table");
  parse_fails(SRC SINK "[[flow.main.edges]]\nfrom = \"src\"\nto = { node = "
                       "\"out\" }\n",
              "t.toml:8: 'from' must be a table: { node = \"N\" }");
  parse_fails(SRC SINK "[[flow.main.edges]]\nto = { node = \"out\" }\n",
              "t.toml:7: missing key 'from' in an edge of flow 'main'");
  parse_fails(SRC SINK "[[flow.main.edges]]\nfrom = { port = \"x\" }\n"
                       "to = { node = \"out\" }\n",
              "t.toml:8: missing key 'node' in 'from' of an edge of flow "
              "'main'");
  parse_fails(SRC "error_policy = { policy = \"retry\", max = 0 }\n" SINK
                  EDGE("src", "out"),
              "t.toml:4: 'max' must be an integer from 1 to 1000");
  parse_fails(SRC "error_policy = { policy = \"dead-letter\" }\n" SINK
                  EDGE("src", "out"),
              "t.toml:4: 'dead-letter' needs 'port' or 'file'");
  parse_fails(SRC "error_policy = { policy = \"skip\", colour = 1 }\n" SINK
                  EDGE("src", "out"),
              "t.toml:4: unknown key 'colour' in 'error_policy' of node "
              "'src'");
  parse_fails(SRC "max_memory = \"99999999999GiB\"\n" SINK
                  EDGE("src", "out"),
              "t.toml:4: 'max_memory' must be a size from 64KiB to 4GiB, "
              "such as \"16MiB\", or an integer of bytes");
  parse_fails(SRC "max_memory = 1024\n" SINK EDGE("src", "out"),
              "t.toml:4: 'max_memory' must be a size from 64KiB to 4GiB, "
              "such as \"16MiB\", or an integer of bytes");
  parse_fails(SRC "deadline_ms = 1.5\n" SINK EDGE("src", "out"),
              "t.toml:4: 'deadline_ms' must be an integer from 1 to "
              "86400000");
  parse_fails(SRC "window = 3\n" SINK EDGE("src", "out"),
              "t.toml:4: 'window' must be a table: { count = N, ms = T }");
  parse_fails(SRC "description = \"x\"\n" SINK EDGE("src", "out"),
              "t.toml:4: unknown key 'description' in node 'src' of flow "
              "'main'");
  /* A sink may send its errors on: only its dead-letter port. */
  weft__flow_file_free(
      parse_ok(SRC SINK "error_policy = { policy = \"dead-letter\", port = "
                        "\"dlq\" }\n" PROC("p") "[flow.main.nodes.end]\n"
                        "component = \"k.wasm\"\n"
                        "interface = \"torvyn:streaming/sink\"\n"
                        EDGE("src", "out") PEDGE("out", "dlq", "p")
                        EDGE("p", "end")));
  /* Fan-in is allowed. */
  weft__flow_file_free(parse_ok(
      SRC ROUTER("r", "[\"a\", \"b\"]") SINK EDGE("src", "r")
          PEDGE("r", "a", "out") PEDGE("r", "b", "out")));
}

/* Each .toml file in tests/flows/bad/ fails with the message on its first
 * line. All mismatches are printed before the test fails. */
static void test_bad_corpus(void **state) {
  DIR *d = opendir(BAD);
  struct dirent *e;
  char *names[256];
  size_t n = 0, failed = 0;
  (void)state;
  assert_non_null(d);
  while ((e = readdir(d)) && n < 256) {
    size_t len = strlen(e->d_name);
    if (len > 5 && !strcmp(e->d_name + len - 5, ".toml"))
      names[n++] = strdup(e->d_name);
  }
  closedir(d);
  assert_true(n >= 40);
  for (size_t i = 0; i < n; i++) {
    char path[512], *nl;
    uint8_t *text = NULL;
    weft_error_t err = {0};
    weft__flow_file_t *file;
    size_t len;
    snprintf(path, sizeof path, BAD "%s", names[i]);
    assert_int_equal(weft__read_file(path, &text, &len, &err), 0);
    assert_true(len > 9 && !strncmp((char *)text, "# error: ", 9));
    assert_non_null(nl = memchr(text, '\n', len));
    file = weft__flow_file_parse(names[i], (char *)text, len, &err);
    *nl = 0;
    if (file || strcmp(err.msg, (char *)text + 9)) {
      print_error("%s:\n  want: %s\n  got:  %s\n", names[i],
                  (char *)text + 9, file ? "(success)" : err.msg);
      failed++;
    }
    weft__flow_file_free(file);
    free(text);
    free(names[i]);
  }
  print_message("%zu bad flow files, %zu mismatched\n", n, failed);
  assert_int_equal(failed, 0);
}

/* A directory's flow file is Torvyn.toml, else weft-flow.toml. */
static void test_load_dir(void **state) {
  char dir[] = "/tmp/weft-flow-test.XXXXXX", path[256];
  const char *text = SRC SINK EDGE("src", "out");
  weft_error_t err = {0};
  weft__flow_file_t *file;
  (void)state;
  assert_non_null(mkdtemp(dir));
  file = weft__flow_file_load(dir, &err);
  assert_null(file);
  assert_int_equal(err.code, WEFT_ENOENT);
  snprintf(path, sizeof path, "no Torvyn.toml or weft-flow.toml in '%s'",
           dir);
  assert_string_equal(err.msg, path);

  snprintf(path, sizeof path, "%s/weft-flow.toml", dir);
  assert_int_equal(weft__write_file_atomic(path, text, strlen(text), &err), 0);
  file = load_ok(dir);
  assert_string_equal(file->path, path);
  assert_string_equal(file->dir, dir);
  snprintf(path, sizeof path, "%s/s.wasm", dir);
  assert_string_equal(file->flows[0].nodes[0].component, path);
  weft__flow_file_free(file);

  snprintf(path, sizeof path, "%s/Torvyn.toml", dir);
  assert_int_equal(weft__write_file_atomic(path, text, strlen(text), &err), 0);
  file = load_ok(dir);
  assert_string_equal(file->path, path);
  weft__flow_file_free(file);
  unlink(path);
  snprintf(path, sizeof path, "%s/weft-flow.toml", dir);
  unlink(path);
  rmdir(dir);

  file = weft__flow_file_load("/nonexistent/flows.toml", &err);
  assert_null(file);
  assert_int_equal(err.code, WEFT_ENOENT);
  weft__flow_file_free(NULL);
}

/* Interfaces name roles; each role's export names are those of its world
 * in wit/torvyn, as the cabi plans them (interface id "#" function). */
static void test_roles(void **state) {
  static const char *const ifaces[] = {
      NULL, "torvyn:streaming/source", "torvyn:streaming/processor",
      "torvyn:filtering/filter", "torvyn:filtering/router",
      "torvyn:aggregation/aggregator", "torvyn:streaming/sink"};
  weft_error_t err = {0};
  weft_wit_t *wit = weft__flow_wit_load(NULL, &err);
  bool bad;
  (void)state;
  if (!wit) {
    print_error("%s\n", err.msg);
    fail();
  }
  for (int r = WEFT__FLOW_SOURCE; r <= WEFT__FLOW_SINK; r++) {
    char with_version[128];
    const weft__wit_world_t *w;
    const char *const *names = weft__flow_role_exports(r);
    size_t nnames = 0, nfuncs = 0;
    assert_string_equal(weft__flow_role_interface(r), ifaces[r]);
    assert_int_equal(weft__flow_role_parse(ifaces[r], strlen(ifaces[r]),
                                           &bad),
                     r);
    assert_false(bad);
    snprintf(with_version, sizeof with_version, "%s@0.1.0", ifaces[r]);
    assert_int_equal(weft__flow_role_parse(with_version,
                                           strlen(with_version), NULL),
                     r);
    snprintf(with_version, sizeof with_version, "%s@0.2.0", ifaces[r]);
    assert_int_equal(weft__flow_role_parse(with_version,
                                           strlen(with_version), &bad),
                     0);
    assert_true(bad);
    w = weft__wit_world((const weft__wit_t *)wit, weft__flow_role_world(r),
                        &err);
    assert_non_null(w);
    while (names[nnames])
      nnames++;
    for (size_t i = 0; i < w->nexports; i++) {
      const weft__wit_iface_t *iface = w->exports[i].iface;
      assert_int_equal(w->exports[i].kind, WEFT__WIT_ITEM_INTERFACE);
      for (size_t j = 0; j < iface->nfuncs; j++) {
        char core[256];
        bool found = false;
        snprintf(core, sizeof core, "%s#%s", iface->qname,
                 iface->funcs[j]->abi_name);
        for (size_t k = 0; k < nnames; k++)
          found |= !strcmp(names[k], core);
        if (!found) {
          print_error("%s: '%s' is not in its exports\n",
                      weft__flow_role_name(r), core);
          fail();
        }
        nfuncs++;
      }
    }
    assert_int_equal(nfuncs, nnames);
  }
  assert_int_equal(weft__flow_role_parse("torvyn:streaming/processor-stage",
                                         32, &bad),
                   0);
  assert_false(bad);
  assert_string_equal(weft__flow_role_name(WEFT__FLOW_AGGREGATOR),
                      "aggregator");
  assert_string_equal(weft__flow_role_world(WEFT__FLOW_ROUTER),
                      "torvyn:filtering/router-stage@0.1.0");
  assert_string_equal(weft__flow_role_name(0), "?");
  assert_null(weft__flow_role_exports(0)[0]);
  assert_string_equal(weft__flow_backpressure_name(WEFT__FLOW_BP_DROP_NEWEST),
                      "drop-newest");
  assert_string_equal(weft__flow_error_kind_name(WEFT__FLOW_DEAD_LETTER),
                      "dead-letter");
  weft_wit_free(wit);
}

/* The test guests against their roles: each *_min fits its own, a sink
 * declared as a processor does not, a missing file is named, and a
 * max_memory below the module's memory fails. */
static void test_components(void **state) {
  static const char *const roles[] = {"source", "processor", "filter",
                                      "router", "aggregator", "sink"};
  weft_error_t err = {0};
  weft_engine_t *engine = test_engine_new(&err);
  weft_wit_t *wit = weft__flow_wit_load(NULL, &err);
  char probe[512];
  (void)state;
  assert_non_null(engine);
  assert_non_null(wit);
  if (access(build_path(probe, sizeof probe, "guests/sink_min.wasm"), R_OK)) {
    print_message("no %s: run make guests\n", probe);
    fail();
  }
  /* Each node is filled by hand: only the component is checked. */
  for (size_t r = 0; r < 6; r++) {
    weft__flow_file_t *file = parse_ok(SRC SINK EDGE("src", "out"));
    weft__flow_node_t *n = &file->flows[0].nodes[0];
    char comp[512];
    weft_module_t *m;
    n->component = build_path(comp, sizeof comp, "guests/%s_min.wasm",
                              roles[r]);
    n->role = (weft__flow_role_t)(r + 1);
    m = weft__flow_load_component(n, engine, &err);
    if (!m || weft__flow_check_node(n, m, engine, wit, &err)) {
      print_error("%s: %s\n", roles[r], err.msg);
      fail();
    }
    /* Every other role refuses it. */
    for (size_t o = 0; o < 6; o++) {
      if (o == r)
        continue;
      n->role = (weft__flow_role_t)(o + 1);
      assert_int_not_equal(weft__flow_check_node(n, m, engine, wit, &err), 0);
    }
    weft_module_free(m);
    weft__flow_file_free(file);
  }

  /* The whole of a flow, through weft__flow_check_components. */
  {
    char text[4096], src[512], proc[512], sink[512], want[1024];
    weft__flow_file_t *file;
    build_path(src, sizeof src, "guests/source_min.wasm");
    build_path(proc, sizeof proc, "guests/sink_as_processor.wasm");
    build_path(sink, sizeof sink, "guests/sink_min.wasm");
    snprintf(text, sizeof text,
             "[flow.main.nodes.src]\ncomponent = \"%s\"\n"
             "interface = \"torvyn:streaming/source\"\n"
             "[flow.main.nodes.up]\ncomponent = \"%s\"\n"
             "interface = \"torvyn:streaming/processor\"\n"
             "[flow.main.nodes.out]\ncomponent = \"%s\"\n"
             "interface = \"torvyn:streaming/sink\"\n"
             "max_memory = \"64KiB\"\n" EDGE("src", "up") EDGE("up", "out"),
             src, proc, sink);
    file = parse_ok(text);
    assert_int_not_equal(
        weft__flow_check_components(&file->flows[0], engine, wit, &err), 0);
    snprintf(want, sizeof want,
             "t.toml:5: node 'up' of flow 'main' is not a processor: '%s' "
             "does not export 'torvyn:streaming/processor@0.1.0#process' of "
             "world 'processor-stage'",
             proc);
    if (strncmp(err.msg, want, strlen(want))) {
      print_error("got:  %s\nwant: %s...\n", err.msg, want);
      fail();
    }
    /* The processor fits once it is one; the sink's memory does not. */
    file->flows[0].nodes[1].component = sink;
    file->flows[0].nodes[1].role = WEFT__FLOW_SINK;
    assert_int_not_equal(
        weft__flow_check_components(&file->flows[0], engine, wit, &err), 0);
    snprintf(want, sizeof want,
             "t.toml:8: node 'out' of flow 'main': '%s': memory limit "
             "exceeded: initial size over the cap",
             sink);
    assert_string_equal(err.msg, want);
    file->flows[0].nodes[2].max_memory = 0;
    assert_int_equal(
        weft__flow_check_components(&file->flows[0], engine, wit, &err), 0);
    file->flows[0].nodes[0].component = "tests/flows/none.wasm";
    assert_int_equal(
        weft__flow_check_components(&file->flows[0], engine, wit, &err),
        WEFT_ENOENT);
    assert_string_equal(err.msg, "t.toml:2: node 'src' of flow 'main': "
                                 "component 'tests/flows/none.wasm' not "
                                 "found");
    weft__flow_file_free(file);
  }
  weft_wit_free(wit);
  weft_engine_free(engine);
}

/* Every allocation of a parse fails in turn: the result is WEFT_ENOMEM (or
 * what it would be otherwise, when the failure came after the last
 * allocation), and nothing leaks. */
static void test_out_of_memory(void **state) {
#ifdef FAULTS
  static const char *const files[] = {GOOD "all-roles.toml", BAD "cycle.toml",
                                       BAD "first-problem.toml",
                                       BAD "fan-out.toml"};
  (void)state;
  for (size_t d = 0; d < sizeof files / sizeof files[0]; d++) {
    weft_error_t err = {0};
    weft__flow_file_t *f = weft__flow_file_load(files[d], &err);
    int want = f ? 0 : err.code;
    long n;
    weft__flow_file_free(f);
    for (n = 0;; n++) {
      long before = live_blocks;
      int rc;
      fault_hit = false;
      fail_countdown = n;
      memset(&err, 0, sizeof err);
      f = weft__flow_file_load(files[d], &err);
      fail_countdown = -1;
      rc = f ? 0 : err.code;
      if (fault_hit && rc != want)
        assert_int_equal(rc, WEFT_ENOMEM);
      else
        assert_int_equal(rc, want);
      weft__flow_file_free(f);
      assert_int_equal(live_blocks, before);
      if (!fault_hit)
        break;
    }
    assert_true(n > 5);
  }
#else
  (void)state;
  skip();
#endif
}

/* Run the tests. */
int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_basic),      cmocka_unit_test(test_all_roles),
      cmocka_unit_test(test_defaults),   cmocka_unit_test(test_paths),
      cmocka_unit_test(test_cycles),     cmocka_unit_test(test_rules),
      cmocka_unit_test(test_bad_corpus), cmocka_unit_test(test_load_dir),
      cmocka_unit_test(test_roles),      cmocka_unit_test(test_components),
      cmocka_unit_test(test_out_of_memory),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

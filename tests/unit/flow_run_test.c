/* flow_run_test.c - the flow runtime (src/flow/flow_run.c and beside it)
 * running real guests (tests/guests/{source,processor,filter,router,
 * aggregator,sink}_*.c) through flows written as flow files:
 *
 *  - each role: sources pulled to the end, processors emitting and
 *    dropping, a metadata-only filter, a router's ports and fan-out
 *    sharing one buffer, an aggregator flushed on a count window, a time
 *    window and at the end, sinks completed;
 *  - copies per element and the ledger: 4 for source->processor->sink,
 *    2 for source->sink, 0 for a filter;
 *  - backpressure: block (a pausing sink throttles the source, which is
 *    told pause and ready, and nothing is lost), drop-oldest, drop-newest,
 *    error;
 *  - error policies: fail-fast, retry (recovering, and used up), skip,
 *    dead-letter to a port and to a file, circuit-breaker (opening and
 *    half-opening); a deadline; fatal and traps whatever the policy;
 *  - lifecycle: init failures stop the flow before it starts with the
 *    component's message; teardown; a teardown that does not return;
 *  - --limit, deterministic order over two runs, trace spans.
 *
 * Run from the repository root; BUILD names the build directory. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "flow/flow.h"
#include "flow/flow_run.h"
#include "runtime/runtime.h"
#include "testlib.h"

static weft_engine_t *engine;
static weft_wit_t *wit;

/* One run of a flow file: its outcome, what sinks printed (out) and what
 * every node wrote on stderr (log). */
typedef struct run {
  weft__flow_file_t *file;
  weft__flow_run_t *r;
  int rc;
  weft_error_t err;
  char *out, *log;
} run_t;

static int setup(void **state) {
  (void)state;
  weft_error_t err = {0};
  if (!(engine = test_engine_new(&err)) ||
      !(wit = weft__flow_wit_load(NULL, &err))) {
    fprintf(stderr, "setup: %s\n", err.msg);
    return -1;
  }
  return 0;
}

static int teardown(void **state) {
  (void)state;
  weft_wit_free(wit);
  weft_engine_free(engine);
  return 0;
}

static int tmpfile_fd(void) {
  char tmpl[] = "/tmp/weft-flow-test.XXXXXX";
  int fd = mkstemp(tmpl);
  assert_true(fd >= 0);
  unlink(tmpl);
  return fd;
}

static char *read_back(int fd) {
  weft__buf_t b;
  char chunk[4096];
  ssize_t got;
  weft__buf_init(&b);
  weft__buf_puts(&b, "");
  while ((got = pread(fd, chunk, sizeof chunk, (off_t)b.len)) > 0)
    weft__buf_add(&b, chunk, (size_t)got);
  close(fd);
  return b.data;
}

/* Parse `toml` (components relative to $BUILD/guests) and run flow
 * "main" with `o` (NULL: defaults). A run that fails to start has r
 * NULL. */
static void run_flow(run_t *x, const char *toml, weft__flow_run_opts_t *o) {
  char path[4096];
  weft__flow_run_opts_t dflt = {0};
  int out = tmpfile_fd(), log = tmpfile_fd();
  memset(x, 0, sizeof *x);
  if (!o)
    o = &dflt;
  o->engine = engine;
  o->wit = wit;
  o->stdin_fd = -1;
  o->stdout_fd = out;
  o->log_fd = log;
  weft__rt_install_handlers();
  x->file = weft__flow_file_parse(
      build_path(path, sizeof path, "guests/test-flow.toml"), toml,
      strlen(toml), &x->err);
  if (!x->file)
    fail_msg("flow file: %s", x->err.msg);
  const weft__flow_t *flow = weft__flow_find(x->file, "main");
  assert_non_null(flow);
  x->r = weft__flow_run_new(flow, o, &x->err);
  x->rc = x->r ? weft__flow_run_go(x->r, &x->err) : x->err.code;
  x->out = read_back(out);
  x->log = read_back(log);
}

static void run_free(run_t *x) {
  weft__flow_run_free(x->r);
  weft__flow_file_free(x->file);
  free(x->out);
  free(x->log);
}

static const weft__flow_node_stats_t *stats(const run_t *x, const char *n) {
  const weft__flow_node_stats_t *s = weft__flow_run_node_stats(x->r, n);
  assert_non_null(s);
  return s;
}

static void expect_ok(const run_t *x) {
  if (x->rc != 0)
    fail_msg("the flow failed: %s\n%s", x->err.msg, x->log);
}

static void expect_out(const run_t *x, const char *want) {
  if (strcmp(x->out, want))
    fail_msg("sink wrote:\n%s\nexpected:\n%s", x->out, want);
}

static double copies_per_element(const run_t *x) {
  weft__flow_totals_t t;
  weft__flow_run_totals(x->r, &t);
  return t.copies_per_element;
}

#define SRC(cfg)                                                        \
  "[flow.main.nodes.src]\n"                                             \
  "component = \"source_count.wasm\"\n"                                 \
  "interface = \"torvyn:streaming/source\"\n"                           \
  "config = '" cfg "'\n"
#define SINK(name, cfg)                                                 \
  "[flow.main.nodes." name "]\n"                                        \
  "component = \"sink_collect.wasm\"\n"                                 \
  "interface = \"torvyn:streaming/sink\"\n"                             \
  "config = '" cfg "'\n"
#define FLAKY(cfg, policy)                                              \
  "[flow.main.nodes.p]\n"                                               \
  "component = \"processor_flaky.wasm\"\n"                              \
  "interface = \"torvyn:streaming/processor\"\n"                        \
  "config = '" cfg "'\n"                                                \
  "error_policy = " policy "\n"
#define EDGE(a, b)                                                      \
  "[[flow.main.edges]]\n"                                               \
  "from = { node = \"" a "\" }\n"                                       \
  "to = { node = \"" b "\" }\n"
#define EDGE_PORT(a, port, b)                                           \
  "[[flow.main.edges]]\n"                                               \
  "from = { node = \"" a "\", port = \"" port "\" }\n"                  \
  "to = { node = \"" b "\" }\n"

/* ---- roles and copies --------------------------------------------------- */

static void test_chain_copies(void **state) {
  (void)state;
  run_t x;
  run_flow(&x,
           SRC("{\"count\": 5}")
           "[flow.main.nodes.up]\n"
           "component = \"processor_upper.wasm\"\n"
           "interface = \"torvyn:streaming/processor\"\n"
           SINK("sink", "{}") EDGE("src", "up") EDGE("up", "sink"),
           NULL);
  expect_ok(&x);
  expect_out(&x, "ELEMENT 0\nELEMENT 1\nELEMENT 2\nELEMENT 3\nELEMENT 4\n"
                 "complete\n");
  assert_true(copies_per_element(&x) == 4.0);
  assert_int_equal(weft__flow_run_copies(x.r, "src", "append"), 5);
  assert_int_equal(weft__flow_run_copies(x.r, "up", "read-all"), 5);
  assert_int_equal(weft__flow_run_copies(x.r, "up", "append"), 5);
  assert_int_equal(weft__flow_run_copies(x.r, "sink", "read-all"), 5);
  assert_int_equal(stats(&x, "up")->in, 5);
  assert_int_equal(stats(&x, "up")->out, 5);
  assert_int_equal(stats(&x, "sink")->bytes, 5 * 9);
  assert_non_null(strstr(x.log, "sink: teardown after 5 elements"));
  /* The report names every copy. */
  char *json = weft__flow_report_json(x.r, false);
  json_t *j = json_loads(json, 0, NULL);
  assert_non_null(j);
  assert_int_equal(json_integer_value(json_object_get(j, "copies")), 20);
  json_t *row = json_array_get(json_object_get(j, "ledger"), 0);
  assert_string_equal(json_string_value(json_object_get(row, "from")), "src");
  assert_string_equal(json_string_value(json_object_get(row, "to")), "host");
  assert_string_equal(json_string_value(json_object_get(row, "reason")),
                      "append");
  json_decref(j);
  free(json);
  run_free(&x);
}

static void test_source_sink_copies(void **state) {
  (void)state;
  run_t x;
  run_flow(&x, SRC("{\"count\": 3}") SINK("sink", "{}") EDGE("src", "sink"),
           NULL);
  expect_ok(&x);
  expect_out(&x, "element 0\nelement 1\nelement 2\ncomplete\n");
  assert_true(copies_per_element(&x) == 2.0);
  run_free(&x);
}

static void test_filter_no_copy(void **state) {
  (void)state;
  run_t x;
  run_flow(&x,
           SRC("{\"count\": 6}")
           "[flow.main.nodes.even]\n"
           "component = \"filter_even.wasm\"\n"
           "interface = \"torvyn:filtering/filter\"\n"
           SINK("sink", "{}") EDGE("src", "even") EDGE("even", "sink"),
           NULL);
  expect_ok(&x);
  expect_out(&x, "element 0\nelement 2\nelement 4\ncomplete\n");
  assert_int_equal(stats(&x, "even")->copies, 0);
  assert_int_equal(stats(&x, "even")->dropped, 3);
  assert_int_equal(stats(&x, "even")->out, 3);
  run_free(&x);
}

static void test_router_fanout(void **state) {
  (void)state;
  run_t x;
  run_flow(&x,
           SRC("{\"count\": 6}")
           "[flow.main.nodes.split]\n"
           "component = \"router_split.wasm\"\n"
           "interface = \"torvyn:filtering/router\"\n"
           "ports = [\"a\", \"b\"]\n"
           "config = '{\"ports\": [\"a\", \"b\"], \"fanout_every\": 3}'\n"
           SINK("sa", "{}") SINK("sb", "{}") EDGE("src", "split")
           EDGE_PORT("split", "a", "sa") EDGE_PORT("split", "b", "sb"),
           NULL);
  expect_ok(&x);
  /* 0 and 3 go to both; 2 and 4 to a; 1 and 5 to b. */
  assert_int_equal(stats(&x, "sa")->in, 4);
  assert_int_equal(stats(&x, "sb")->in, 4);
  assert_int_equal(stats(&x, "split")->copies, 0);
  /* One buffer per element, shared by both sinks: 6 appends, 8 reads. */
  assert_int_equal(weft__flow_run_copies(x.r, NULL, "append"), 6);
  assert_int_equal(weft__flow_run_copies(x.r, NULL, "read-all"), 8);
  run_free(&x);
}

static void test_router_unknown_port(void **state) {
  (void)state;
  run_t x;
  run_flow(&x,
           SRC("{\"count\": 4}")
           "[flow.main.nodes.split]\n"
           "component = \"router_split.wasm\"\n"
           "interface = \"torvyn:filtering/router\"\n"
           "ports = [\"a\"]\n"
           "config = '{\"ports\": [\"a\"], \"bad_at\": 2}'\n"
           SINK("sa", "{}") EDGE("src", "split") EDGE_PORT("split", "a", "sa"),
           NULL);
  assert_int_not_equal(x.rc, 0);
  assert_string_equal(x.err.msg, "node 'split': internal: route to unknown "
                                 "port 'nowhere'");
  run_free(&x);
}

static void test_aggregator_count_window(void **state) {
  (void)state;
  run_t x;
  run_flow(&x,
           SRC("{\"count\": 7}")
           "[flow.main.nodes.agg]\n"
           "component = \"aggregator_concat.wasm\"\n"
           "interface = \"torvyn:aggregation/aggregator\"\n"
           "window = { count = 3 }\n"
           SINK("sink", "{}") EDGE("src", "agg") EDGE("agg", "sink"),
           NULL);
  expect_ok(&x);
  expect_out(&x, "element 0,element 1,element 2\n"
                 "element 3,element 4,element 5\n"
                 "element 6\ncomplete\n");
  assert_int_equal(stats(&x, "agg")->flushes, 3);
  run_free(&x);
}

static void test_aggregator_emits_itself(void **state) {
  (void)state;
  run_t x;
  run_flow(&x,
           SRC("{\"count\": 5}")
           "[flow.main.nodes.agg]\n"
           "component = \"aggregator_concat.wasm\"\n"
           "interface = \"torvyn:aggregation/aggregator\"\n"
           "config = '{\"emit_every\": 2}'\n"
           SINK("sink", "{}") EDGE("src", "agg") EDGE("agg", "sink"),
           NULL);
  expect_ok(&x);
  expect_out(&x, "element 0,element 1\nelement 2,element 3\nelement 4\n"
                 "complete\n");
  run_free(&x);
}

/* Element 1 waits 100 ms for its retry: the 10 ms window flushes element
 * 0 meanwhile; the end of the stream flushes the rest. */
static void test_aggregator_time_window(void **state) {
  (void)state;
  run_t x;
  run_flow(&x,
           SRC("{\"count\": 3}")
           FLAKY("{\"at\": [1], \"times\": 1}",
                 "{ policy = \"retry\", max = 1, backoff_ms = 100 }")
           "[flow.main.nodes.agg]\n"
           "component = \"aggregator_concat.wasm\"\n"
           "interface = \"torvyn:aggregation/aggregator\"\n"
           "window = { ms = 10 }\n"
           SINK("sink", "{}") EDGE("src", "p") EDGE("p", "agg")
           EDGE("agg", "sink"),
           NULL);
  expect_ok(&x);
  expect_out(&x, "element 0\nelement 1,element 2\ncomplete\n");
  run_free(&x);
}

/* ---- backpressure ------------------------------------------------------- */

#define PAUSING_SINK(bp)                                                \
  SRC("{\"count\": 20}") SINK("sink", "{\"pause_every\": 1}")          \
  "[[flow.main.edges]]\n"                                               \
  "from = { node = \"src\" }\n"                                         \
  "to = { node = \"sink\" }\n"                                          \
  "queue_depth = 4\n"                                                   \
  "backpressure = \"" bp "\"\n"

static void test_block_throttles_source(void **state) {
  (void)state;
  run_t x;
  run_flow(&x, PAUSING_SINK("block"), NULL);
  expect_ok(&x);
  weft__buf_t want;
  weft__buf_init(&want);
  for (int i = 0; i < 20; i++)
    weft__buf_printf(&want, "element %d\n", i);
  weft__buf_puts(&want, "complete\n");
  expect_out(&x, want.data); /* nothing lost, in order */
  weft__buf_release(&want);
  const weft__flow_node_stats_t *s = stats(&x, "src");
  assert_true(s->pauses > 0);
  assert_true(s->resumes > 0);
  assert_true(s->pauses - s->resumes <= 1);
  assert_int_equal(stats(&x, "sink")->pauses, 20);
  char msg[64];
  snprintf(msg, sizeof msg, "source: %llu pause, %llu ready",
           (unsigned long long)s->pauses, (unsigned long long)s->resumes);
  assert_non_null(strstr(x.log, msg)); /* the source was told */
  run_free(&x);
}

static void test_drop_newest(void **state) {
  (void)state;
  run_t x;
  run_flow(&x, PAUSING_SINK("drop-newest"), NULL);
  expect_ok(&x);
  uint64_t got = stats(&x, "sink")->in;
  weft__flow_totals_t t;
  weft__flow_run_totals(x.r, &t);
  assert_true(got < 20);
  assert_int_equal(t.elements, 20);
  assert_non_null(strstr(x.out, "element 0\n"));
  char *json = weft__flow_report_json(x.r, false);
  json_t *j = json_loads(json, 0, NULL);
  json_t *edge = json_array_get(json_object_get(j, "edges"), 0);
  assert_int_equal(got + (uint64_t)json_integer_value(
                             json_object_get(edge, "dropped")),
                   20);
  json_decref(j);
  free(json);
  run_free(&x);
}

static void test_drop_oldest(void **state) {
  (void)state;
  run_t x;
  run_flow(&x, PAUSING_SINK("drop-oldest"), NULL);
  expect_ok(&x);
  assert_true(stats(&x, "sink")->in < 20);
  assert_non_null(strstr(x.out, "element 19\ncomplete\n")); /* newest kept */
  run_free(&x);
}

static void test_queue_error(void **state) {
  (void)state;
  run_t x;
  run_flow(&x, PAUSING_SINK("error"), NULL);
  assert_int_not_equal(x.rc, 0);
  assert_string_equal(x.err.msg, "node 'src': host: the queue to 'sink' is "
                                 "full (depth 4, backpressure \"error\")");
  run_free(&x);
}

/* ---- error policies ----------------------------------------------------- */

#define FLAKY_FLOW(cfg, policy)                                         \
  SRC("{\"count\": 5}") FLAKY(cfg, policy) SINK("sink", "{}")           \
  EDGE("src", "p") EDGE("p", "sink")

static void test_fail_fast(void **state) {
  (void)state;
  run_t x;
  run_flow(&x, FLAKY_FLOW("{\"at\": [3]}", "\"fail-fast\""), NULL);
  assert_int_not_equal(x.rc, 0);
  assert_string_equal(x.err.msg, "node 'p': unavailable: element 3 failed");
  /* It stops where it is: what p emitted before is not pushed on. */
  assert_int_equal(stats(&x, "p")->out, 3);
  assert_int_equal(stats(&x, "p")->errors, 1);
  assert_non_null(strstr(x.log, "processor: teardown")); /* torn down */
  run_free(&x);
}

static void test_retry(void **state) {
  (void)state;
  run_t x;
  run_flow(&x,
           FLAKY_FLOW("{\"at\": [2], \"times\": 2}",
                      "{ policy = \"retry\", max = 3, backoff_ms = 1 }"),
           NULL);
  expect_ok(&x);
  expect_out(&x, "element 0\nelement 1\nelement 2\nelement 3\nelement 4\n"
                 "complete\n");
  assert_int_equal(stats(&x, "p")->retries, 2);
  assert_int_equal(stats(&x, "p")->errors, 2);
  run_free(&x);
}

static void test_retry_used_up(void **state) {
  (void)state;
  run_t x;
  run_flow(&x,
           FLAKY_FLOW("{\"at\": [2], \"times\": 9}",
                      "{ policy = \"retry\", max = 2, backoff_ms = 1 }"),
           NULL);
  assert_int_not_equal(x.rc, 0);
  assert_string_equal(x.err.msg, "node 'p': unavailable: element 2 failed");
  assert_int_equal(stats(&x, "p")->retries, 2);
  run_free(&x);
}

static void test_skip(void **state) {
  (void)state;
  run_t x;
  run_flow(&x,
           FLAKY_FLOW("{\"at\": [1, 3], \"error\": \"invalid-input\"}",
                      "\"skip\""),
           NULL);
  expect_ok(&x);
  expect_out(&x, "element 0\nelement 2\nelement 4\ncomplete\n");
  assert_int_equal(stats(&x, "p")->dropped, 2);
  assert_int_equal(stats(&x, "p")->errors, 2);
  run_free(&x);
}

static void test_dead_letter_port(void **state) {
  (void)state;
  run_t x;
  run_flow(&x,
           SRC("{\"count\": 4}")
           FLAKY("{\"at\": [1]}",
                 "{ policy = \"dead-letter\", port = \"dlq\" }")
           SINK("sink", "{}") SINK("dead", "{}") EDGE("src", "p")
           EDGE("p", "sink") EDGE_PORT("p", "dlq", "dead"),
           NULL);
  expect_ok(&x);
  assert_int_equal(stats(&x, "dead")->in, 1);
  assert_int_equal(stats(&x, "sink")->in, 3);
  assert_int_equal(stats(&x, "p")->dead_letters, 1);
  /* Both sinks print to the same stdout; element 1 went to 'dead'. */
  assert_non_null(strstr(x.out, "element 1\n"));
  run_free(&x);
}

static void test_dead_letter_file(void **state) {
  (void)state;
  char path[4096], toml[4096];
  build_path(path, sizeof path, "guests/dead-letters.jsonl");
  unlink(path);
  snprintf(toml, sizeof toml,
           FLAKY_FLOW("{\"at\": [2]}",
                      "{ policy = \"dead-letter\", file = \"%s\" }"),
           "dead-letters.jsonl");
  run_t x;
  run_flow(&x, toml, NULL);
  expect_ok(&x);
  uint8_t *text;
  size_t len;
  weft_error_t err = {0};
  assert_int_equal(weft__read_file(path, &text, &len, &err), 0);
  json_t *j = json_loadb((const char *)text, len, 0, NULL);
  assert_non_null(j);
  assert_string_equal(json_string_value(json_object_get(j, "node")), "p");
  assert_string_equal(json_string_value(json_object_get(j, "error")),
                      "unavailable");
  assert_string_equal(json_string_value(json_object_get(j, "message")),
                      "element 2 failed");
  assert_string_equal(json_string_value(json_object_get(j, "payload")),
                      "element 2");
  assert_int_equal(json_integer_value(json_object_get(j, "sequence")), 2);
  json_decref(j);
  free(text);
  assert_int_equal(weft__flow_run_copies(x.r, "p", "dead-letter"), 1);
  assert_int_equal(stats(&x, "sink")->in, 4);
  unlink(path);
  run_free(&x);
}

static void test_circuit_breaker_opens(void **state) {
  (void)state;
  run_t x;
  run_flow(&x,
           SRC("{\"count\": 10}")
           FLAKY("{\"every\": 1}", "{ policy = \"circuit-breaker\", "
                                   "threshold = 3, reset_ms = 60000 }")
           SINK("sink", "{}") EDGE("src", "p") EDGE("p", "sink"),
           NULL);
  expect_ok(&x);
  const weft__flow_node_stats_t *s = stats(&x, "p");
  assert_int_equal(s->breaker_opened, 1);
  assert_int_equal(s->calls - 1 /* init */, 3);
  assert_int_equal(s->short_circuited, 7);
  assert_int_equal(stats(&x, "sink")->in, 0);
  run_free(&x);
}

/* q holds element 5 back 50 ms (a retry): by then p's breaker, opened by
 * elements 0-2, is half-open, and its trial call succeeds. */
static void test_circuit_breaker_half_open(void **state) {
  (void)state;
  run_t x;
  run_flow(&x,
           SRC("{\"count\": 8}")
           "[flow.main.nodes.q]\n"
           "component = \"processor_flaky.wasm\"\n"
           "interface = \"torvyn:streaming/processor\"\n"
           "config = '{\"at\": [5], \"times\": 1}'\n"
           "error_policy = { policy = \"retry\", max = 1, backoff_ms = 50 }\n"
           FLAKY("{\"at\": [0, 1, 2]}", "{ policy = \"circuit-breaker\", "
                                        "threshold = 3, reset_ms = 5 }")
           SINK("sink", "{}") EDGE("src", "q") EDGE("q", "p")
           EDGE("p", "sink"),
           NULL);
  expect_ok(&x);
  const weft__flow_node_stats_t *s = stats(&x, "p");
  assert_int_equal(s->breaker_opened, 1);
  assert_int_equal(s->short_circuited, 2); /* 3 and 4 */
  expect_out(&x, "element 5\nelement 6\nelement 7\ncomplete\n");
  run_free(&x);
}

static void test_deadline(void **state) {
  (void)state;
  run_t x;
  run_flow(&x,
           SRC("{\"count\": 4}")
           "[flow.main.nodes.p]\n"
           "component = \"processor_flaky.wasm\"\n"
           "interface = \"torvyn:streaming/processor\"\n"
           "config = '{\"loop_at\": 1}'\n"
           "deadline_ms = 50\n"
           "error_policy = \"skip\"\n"
           SINK("sink", "{}") EDGE("src", "p") EDGE("p", "sink"),
           NULL);
  expect_ok(&x);
  expect_out(&x, "element 0\nelement 2\nelement 3\ncomplete\n");
  assert_int_equal(stats(&x, "p")->errors, 1);
  run_free(&x);
}

static void test_deadline_fails_fast(void **state) {
  (void)state;
  run_t x;
  run_flow(&x,
           SRC("{\"count\": 4}")
           "[flow.main.nodes.p]\n"
           "component = \"processor_flaky.wasm\"\n"
           "interface = \"torvyn:streaming/processor\"\n"
           "config = '{\"loop_at\": 1}'\n"
           "deadline_ms = 20\n"
           SINK("sink", "{}") EDGE("src", "p") EDGE("p", "sink"),
           NULL);
  assert_int_not_equal(x.rc, 0);
  assert_string_equal(x.err.msg, "node 'p': deadline-exceeded: the call "
                                 "passed its deadline of 20 ms");
  run_free(&x);
}

static void test_trap_tears_down(void **state) {
  (void)state;
  run_t x;
  run_flow(&x, FLAKY_FLOW("{\"trap_at\": 2}", "\"skip\""), NULL);
  assert_int_equal(x.rc, WEFT_ETRAP);
  assert_non_null(strstr(x.err.msg, "node 'p': trap: "));
  assert_non_null(strstr(x.err.msg, "unreachable"));
  /* No teardown in a trapped instance; the others are torn down. */
  assert_null(strstr(x.log, "processor: teardown"));
  assert_non_null(strstr(x.log, "sink: teardown after"));
  run_free(&x);
}

static void test_fatal_whatever_the_policy(void **state) {
  (void)state;
  run_t x;
  run_flow(&x, FLAKY_FLOW("{\"at\": [1], \"error\": \"fatal\"}", "\"skip\""),
           NULL);
  assert_int_not_equal(x.rc, 0);
  assert_string_equal(x.err.msg, "node 'p': fatal: element 1 failed");
  run_free(&x);
}

static void test_source_error_skipped(void **state) {
  (void)state;
  run_t x;
  run_flow(&x,
           SRC("{\"count\": 3, \"fail_at\": 1, \"fail_times\": 2}")
           "error_policy = \"skip\"\n"
           SINK("sink", "{}") EDGE("src", "sink"),
           NULL);
  expect_ok(&x);
  expect_out(&x, "element 0\nelement 1\nelement 2\ncomplete\n");
  assert_int_equal(stats(&x, "src")->errors, 2);
  run_free(&x);
}

static void test_complete_error(void **state) {
  (void)state;
  run_t x;
  run_flow(&x,
           SRC("{\"count\": 1}") SINK("sink", "{\"complete_error\": true}")
           EDGE("src", "sink"),
           NULL);
  assert_int_not_equal(x.rc, 0);
  assert_string_equal(x.err.msg, "node 'sink': internal: cannot complete");
  run_free(&x);
}

/* ---- lifecycle ---------------------------------------------------------- */

static void test_init_failure(void **state) {
  (void)state;
  run_t x;
  run_flow(&x,
           SRC("{\"count\": 3}")
           SINK("sink", "{\"init_error\": \"no database at db:5432\"}")
           EDGE("src", "sink"),
           NULL);
  assert_null(x.r);
  assert_string_equal(x.err.msg, "node 'sink': init failed: invalid-input: "
                                 "no database at db:5432");
  assert_string_equal(x.out, ""); /* nothing ran */
  /* The source, initialised before, was torn down. */
  assert_non_null(strstr(x.log, "source: 0 pause, 0 ready"));
  run_free(&x);
}

static void test_bad_config(void **state) {
  (void)state;
  run_t x;
  run_flow(&x, SRC("{\"count\": }") SINK("sink", "{}") EDGE("src", "sink"),
           NULL);
  assert_null(x.r);
  assert_string_equal(x.err.msg, "node 'src': init failed: invalid-input: "
                                 "line 1, column 11: expected a value");
  run_free(&x);
}

/* ---- running ------------------------------------------------------------ */

static void test_limit(void **state) {
  (void)state;
  run_t x;
  weft__flow_run_opts_t o = {.limit = 3};
  run_flow(&x, SRC("{\"count\": 100}") SINK("sink", "{}") EDGE("src", "sink"),
           &o);
  expect_ok(&x);
  expect_out(&x, "element 0\nelement 1\nelement 2\ncomplete\n");
  run_free(&x);
}

/* Two sources into one sink through a filter: the interleaving is the
 * same every time. */
static void test_deterministic(void **state) {
  (void)state;
  static const char toml[] =
      SRC("{\"count\": 40}")
      "[flow.main.nodes.src2]\n"
      "component = \"source_count.wasm\"\n"
      "interface = \"torvyn:streaming/source\"\n"
      "config = '{\"count\": 30, \"size\": 40}'\n"
      "[flow.main.nodes.f]\n"
      "component = \"filter_even.wasm\"\n"
      "interface = \"torvyn:filtering/filter\"\n"
      SINK("sink", "{}") EDGE("src", "sink") EDGE("src2", "f")
      EDGE("f", "sink");
  run_t a, b;
  run_flow(&a, toml, NULL);
  run_flow(&b, toml, NULL);
  expect_ok(&a);
  expect_ok(&b);
  assert_string_equal(a.out, b.out);
  assert_int_equal(stats(&a, "sink")->in, 40 + 15);
  run_free(&a);
  run_free(&b);
}

static void test_trace_spans(void **state) {
  (void)state;
  run_t x;
  char path[4096];
  weft__flow_run_opts_t o = {.trace = true, .limit = 4};
  run_flow(&x, SRC("{\"count\": 100}") SINK("sink", "{}") EDGE("src", "sink"),
           &o);
  expect_ok(&x);
  build_path(path, sizeof path, "guests/test-trace.json");
  weft_error_t err = {0};
  assert_int_equal(weft__flow_trace_write(x.r, path, &err), 0);
  json_t *j = json_load_file(path, 0, NULL);
  assert_non_null(j);
  size_t spans = 0, i;
  json_t *ev;
  json_array_foreach(json_object_get(j, "traceEvents"), i, ev) {
    if (strcmp(json_string_value(json_object_get(ev, "ph")), "X"))
      continue;
    spans++;
    assert_non_null(json_object_get(ev, "dur"));
  }
  /* 4 pulls and the one at --limit's end is not made; 4 pushes, complete. */
  assert_int_equal(spans, 4 + 4 + 1);
  json_decref(j);
  unlink(path);
  run_free(&x);
}

/* Last: the teardown thread it leaves spinning lives until the test
 * exits. */
static void test_teardown_timeout(void **state) {
  (void)state;
  run_t x;
  weft__flow_run_opts_t o = {.teardown_timeout_ns = 100000000u};
  run_flow(&x,
           SRC("{\"count\": 2}") SINK("sink", "{\"teardown_spin\": true}")
           EDGE("src", "sink"),
           &o);
  assert_int_not_equal(x.rc, 0);
  assert_string_equal(x.err.msg,
                      "node 'sink': teardown did not return within 100 ms");
  run_free(&x); /* keeps what the thread uses */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_chain_copies),
      cmocka_unit_test(test_source_sink_copies),
      cmocka_unit_test(test_filter_no_copy),
      cmocka_unit_test(test_router_fanout),
      cmocka_unit_test(test_router_unknown_port),
      cmocka_unit_test(test_aggregator_count_window),
      cmocka_unit_test(test_aggregator_emits_itself),
      cmocka_unit_test(test_aggregator_time_window),
      cmocka_unit_test(test_block_throttles_source),
      cmocka_unit_test(test_drop_newest),
      cmocka_unit_test(test_drop_oldest),
      cmocka_unit_test(test_queue_error),
      cmocka_unit_test(test_fail_fast),
      cmocka_unit_test(test_retry),
      cmocka_unit_test(test_retry_used_up),
      cmocka_unit_test(test_skip),
      cmocka_unit_test(test_dead_letter_port),
      cmocka_unit_test(test_dead_letter_file),
      cmocka_unit_test(test_circuit_breaker_opens),
      cmocka_unit_test(test_circuit_breaker_half_open),
      cmocka_unit_test(test_deadline),
      cmocka_unit_test(test_deadline_fails_fast),
      cmocka_unit_test(test_trap_tears_down),
      cmocka_unit_test(test_fatal_whatever_the_policy),
      cmocka_unit_test(test_source_error_skipped),
      cmocka_unit_test(test_complete_error),
      cmocka_unit_test(test_init_failure),
      cmocka_unit_test(test_bad_config),
      cmocka_unit_test(test_limit),
      cmocka_unit_test(test_deterministic),
      cmocka_unit_test(test_trace_spans),
      cmocka_unit_test(test_teardown_timeout),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

/* cabi_fast_test.c - the canonical ABI done by hand (src/cabi/cabi_fast.c)
 * for the flow runtime's hot calls (src/flow/flow_host.c's raw imports,
 * flow_node.c's fast pull/process/push) against the typed path
 * (weft_call_func, weft_linker_define_wit), which the run option
 * `generic` selects:
 *
 *  - well-behaved guests give the same output, errors and messages both
 *    ways (source -> processor -> sink; process-errors; a source's error);
 *  - a hostile processor (written below in WAT, built with wat2wasm) is
 *    caught both ways, as a trap naming the same fault: an unknown handle,
 *    a bad discriminant, a content type that is not UTF-8, a borrowed
 *    handle returned as own, borrows not dropped, a list or a return area
 *    outside memory or misaligned, results outside memory.
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

#include "flow/flow.h"
#include "flow/flow_run.h"
#include "runtime/runtime.h"
#include "testlib.h"

static weft_engine_t *engine;
static weft_wit_t *wit;
static char tmp[64];

/* A processor whose config's first byte picks one way to break the
 * canonical ABI (see test_hostile_processor). */
static const char hostile_wat[] =
    "(module\n"
    "  (import \"torvyn:streaming/types@0.1.0\" \"[method]buffer.read-all\"\n"
    "    (func $read_all (param i32 i32)))\n"
    "  (import \"torvyn:streaming/types@0.1.0\"\n"
    "    \"[method]mutable-buffer.append\"\n"
    "    (func $append (param i32 i32 i32 i32)))\n"
    "  (import \"torvyn:streaming/buffer-allocator@0.1.0\" \"allocate\"\n"
    "    (func $allocate (param i64 i32)))\n"
    "  (import \"torvyn:streaming/types@0.1.0\" \"[resource-drop]buffer\"\n"
    "    (func $drop_buf (param i32)))\n"
    "  (import \"torvyn:streaming/types@0.1.0\"\n"
    "    \"[resource-drop]flow-context\" (func $drop_ctx (param i32)))\n"
    "  (memory (export \"memory\") 1)\n"
    "  (data (i32.const 3000) \"\\ff\")\n"
    "  (global $mode (mut i32) (i32.const 48))\n"
    "  (global $heap (mut i32) (i32.const 8192))\n"
    "  (func (export \"cabi_realloc\") (param i32 i32 i32 i32) (result i32)\n"
    "    (local $p i32)\n"
    "    (local.set $p (i32.and (i32.add (global.get $heap)\n"
    "      (i32.const 7)) (i32.const -8)))\n"
    "    (global.set $heap (i32.add (local.get $p) (local.get 3)))\n"
    "    (if (i32.gt_u (global.get $heap) (i32.const 60000))\n"
    "      (then (global.set $heap (i32.const 8192))\n"
    "            (local.set $p (i32.const 8192))))\n"
    "    (local.get $p))\n"
    "  (func (export \"torvyn:streaming/lifecycle@0.1.0#init\")\n"
    "    (param i32 i32) (result i32)\n"
    "    (if (local.get 1)\n"
    "      (then (global.set $mode (i32.load8_u (local.get 0)))))\n"
    "    (i32.store8 (i32.const 2048) (i32.const 0))\n"
    "    (i32.const 2048))\n"
    "  (func (export \"torvyn:streaming/lifecycle@0.1.0#teardown\"))\n"
    "  (func (export \"torvyn:streaming/processor@0.1.0#process\")\n"
    "    (param i64 i64 i32 i32 i32 i32) (result i32)\n"
    "    (local $m i32)\n"
    "    (local.set $m (i32.sub (global.get $mode) (i32.const 48)))\n"
    "    (memory.fill (i32.const 2048) (i32.const 0) (i32.const 48))\n"
    "    (if (i32.eq (local.get $m) (i32.const 0))\n"
    "      (then (call $read_all (i32.const 77) (i32.const 1024))))\n"
    "    (if (i32.eq (local.get $m) (i32.const 5))\n"
    "      (then (call $allocate (i64.const 16) (i32.const 1024))\n"
    "            (call $append (i32.load (i32.const 1028))\n"
    "              (i32.const -16) (i32.const 100) (i32.const 1040))))\n"
    "    (if (i32.eq (local.get $m) (i32.const 6))\n"
    "      (then (call $read_all (local.get 4) (i32.const 1025))))\n"
    "    (if (i32.ne (local.get $m) (i32.const 4))\n"
    "      (then (call $drop_ctx (local.get 5))))\n"
    "    (if (i32.and (i32.ne (local.get $m) (i32.const 4))\n"
    "                 (i32.ne (local.get $m) (i32.const 3)))\n"
    "      (then (call $drop_buf (local.get 4))))\n"
    "    (if (i32.eq (local.get $m) (i32.const 1))\n"
    "      (then (i32.store8 (i32.const 2048) (i32.const 7))))\n"
    "    (if (i32.eq (local.get $m) (i32.const 2))\n"
    "      (then (i32.store (i32.const 2080) (i32.const 3000))\n"
    "            (i32.store (i32.const 2084) (i32.const 1))))\n"
    "    (if (i32.eq (local.get $m) (i32.const 3))\n"
    "      (then (i32.store (i32.const 2088) (local.get 4))))\n"
    "    (if (i32.eq (local.get $m) (i32.const 4))\n"
    "      (then (i32.store8 (i32.const 2056) (i32.const 1))))\n"
    "    (if (i32.eq (local.get $m) (i32.const 7))\n"
    "      (then (return (i32.const -8))))\n"
    "    (i32.const 2048)))\n";

static int setup(void **state) {
  (void)state;
  weft_error_t err = {0};
  snprintf(tmp, sizeof tmp, "/tmp/weft-cabi-fast-test.XXXXXX");
  if (!mkdtemp(tmp) || !(engine = test_engine_new(&err)) ||
      !(wit = weft__flow_wit_load(NULL, &err))) {
    fprintf(stderr, "setup: %s\n", err.msg);
    return -1;
  }
  char path[128], cmd[512];
  snprintf(path, sizeof path, "%s/hostile.wat", tmp);
  if (weft__write_file_atomic(path, hostile_wat, sizeof hostile_wat - 1,
                              &err) < 0)
    return -1;
  snprintf(cmd, sizeof cmd, "wat2wasm '%s' -o '%s/hostile.wasm'", path, tmp);
  return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  weft_wit_free(wit);
  weft_engine_free(engine);
  weft__rm_rf(tmp);
  return 0;
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

static int tmpfile_fd(void) {
  char tmpl[] = "/tmp/weft-cabi-fast-test.XXXXXX";
  int fd = mkstemp(tmpl);
  assert_true(fd >= 0);
  unlink(tmpl);
  return fd;
}

/* One run of flow "main" of `toml` (components relative to $BUILD/guests),
 * through the typed path or not: its code, error and sink output. */
typedef struct outcome {
  int rc;
  weft_error_t err;
  char *out;
  uint64_t delivered;
} outcome_t;

static void run(const char *toml, bool generic, outcome_t *x) {
  char path[4096];
  int out = tmpfile_fd(), log = tmpfile_fd();
  weft__flow_run_opts_t o = {.engine = engine,
                             .wit = wit,
                             .stdin_fd = -1,
                             .stdout_fd = out,
                             .log_fd = log,
                             .generic = generic};
  memset(x, 0, sizeof *x);
  weft__rt_install_handlers();
  weft__flow_file_t *file = weft__flow_file_parse(
      build_path(path, sizeof path, "guests/test-flow.toml"), toml,
      strlen(toml), &x->err);
  if (!file)
    fail_msg("flow file: %s", x->err.msg);
  weft__flow_run_t *r =
      weft__flow_run_new(weft__flow_find(file, "main"), &o, &x->err);
  x->rc = r ? weft__flow_run_go(r, &x->err) : x->err.code;
  if (r) {
    weft__flow_totals_t t;
    weft__flow_run_totals(r, &t);
    x->delivered = t.delivered;
  }
  weft__flow_run_free(r);
  weft__flow_file_free(file);
  x->out = read_back(out);
  free(read_back(log));
}

/* Both ways give the same outcome; returns the fast one's (free out). */
static outcome_t same_both_ways(const char *toml) {
  outcome_t g, f;
  run(toml, true, &g);
  run(toml, false, &f);
  if (g.rc != f.rc || strcmp(g.err.msg, f.err.msg) ||
      strcmp(g.out, f.out) || g.delivered != f.delivered)
    fail_msg("typed path: %d '%s' (%llu delivered)\nfast path: %d '%s' "
             "(%llu delivered)", g.rc, g.err.msg,
             (unsigned long long)g.delivered, f.rc, f.err.msg,
             (unsigned long long)f.delivered);
  free(g.out);
  return f;
}

#define NODE(name, wasm, iface, cfg)                                    \
  "[flow.main.nodes." name "]\n"                                        \
  "component = \"" wasm "\"\n"                                          \
  "interface = \"torvyn:streaming/" iface "\"\n"                        \
  "config = '" cfg "'\n"
#define EDGE(a, b)                                                      \
  "[[flow.main.edges]]\n"                                               \
  "from = { node = \"" a "\" }\n"                                       \
  "to = { node = \"" b "\" }\n"

static void test_chain_same(void **state) {
  (void)state;
  outcome_t x = same_both_ways(
      NODE("src", "source_count.wasm", "source", "{\"count\": 50, "
           "\"size\": 300}")
      NODE("up", "processor_upper.wasm", "processor", "")
      NODE("sink", "sink_collect.wasm", "sink", "{}")
      EDGE("src", "up") EDGE("up", "sink"));
  assert_int_equal(x.rc, 0);
  assert_int_equal(x.delivered, 50);
  assert_non_null(strstr(x.out, "ELEMENT 49......"));
  free(x.out);
}

static void test_errors_same(void **state) {
  (void)state;
  /* a process-error from the processor fails the flow, with its message */
  outcome_t x = same_both_ways(
      NODE("src", "source_count.wasm", "source", "{\"count\": 10}")
      NODE("p", "processor_flaky.wasm", "processor", "{\"at\": [3], "
           "\"error\": \"internal\"}")
      NODE("sink", "sink_collect.wasm", "sink", "{}")
      EDGE("src", "p") EDGE("p", "sink"));
  assert_true(x.rc < 0);
  assert_non_null(strstr(x.err.msg, "internal: element 3 failed"));
  free(x.out);
  /* a source's error, and a sink's */
  x = same_both_ways(
      NODE("src", "source_count.wasm", "source", "{\"count\": 10, "
           "\"fail_at\": 4, \"error\": \"invalid-input\"}")
      NODE("sink", "sink_collect.wasm", "sink", "{}") EDGE("src", "sink"));
  assert_true(x.rc < 0);
  assert_non_null(strstr(x.err.msg, "no element 4 yet"));
  free(x.out);
  x = same_both_ways(
      NODE("src", "source_count.wasm", "source", "{\"count\": 10}")
      NODE("sink", "sink_collect.wasm", "sink", "{\"fail_at\": 2}")
      EDGE("src", "sink"));
  assert_true(x.rc < 0);
  assert_non_null(strstr(x.err.msg, "cannot take it"));
  free(x.out);
}

static void test_hostile_processor(void **state) {
  (void)state;
  static const struct {
    char mode;
    const char *says;
  } cases[] = {
      {'0', "unknown handle 77"},
      {'1', "discriminant 7"},
      {'2', "not valid UTF-8"},
      {'3', "borrowed and cannot be given away"},
      {'4', "still held"},
      {'5', "outside"},
      {'6', "not 4-byte aligned"},
      {'7', "results"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char toml[2048];
    snprintf(toml, sizeof toml,
             NODE("src", "source_count.wasm", "source", "{\"count\": 3}")
             "[flow.main.nodes.p]\n"
             "component = \"%s/hostile.wasm\"\n"
             "interface = \"torvyn:streaming/processor\"\n"
             "config = '%c'\n"
             NODE("sink", "sink_collect.wasm", "sink", "{}")
             EDGE("src", "p") EDGE("p", "sink"), tmp, cases[i].mode);
    for (int generic = 0; generic < 2; generic++) {
      outcome_t x;
      run(toml, generic, &x);
      if (x.rc == 0 || !strstr(x.err.msg, cases[i].says) ||
          !strstr(x.err.msg, "node 'p'"))
        fail_msg("case %c (%s path): %d '%s', expected a trap saying '%s'",
                 cases[i].mode, generic ? "typed" : "fast", x.rc, x.err.msg,
                 cases[i].says);
      assert_int_equal(x.delivered, 0);
      free(x.out);
    }
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_chain_same),
      cmocka_unit_test(test_errors_same),
      cmocka_unit_test(test_hostile_processor),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

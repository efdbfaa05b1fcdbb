/* flow_native.c - the flow benchmark: source -> processor -> sink with
 * 256-byte elements, run by Weft's flow runtime (the components of
 * tests/guests: source_count, processor_upper, sink_collect), first
 * without deadlines, then with deadline_ms on every node, then with every
 * call through the typed canonical ABI (the run option `generic`: the
 * hand-lowered fast paths off), next to a native C chain doing the same
 * work in the same process (half its time before the flows, half after):
 *   source     writes "element N" padded with '.' to 256 bytes into a new
 *              pooled buffer (the guest's append);
 *   processor  copies the bytes out (read-all), upper-cases them, copies
 *              them into a new buffer (append);
 *   sink       copies the bytes out (read-all) and sums them;
 * through the same bounded queues and buffer pool as the runtime, 32
 * elements per pass. Prints elements/s, ns per element and per hop (node
 * call) for each, and the ratio to native; Torvyn's published figure is
 * 4.5 us per element.
 *
 * Usage: flow_native BUILD_DIR [SECONDS [--weft-only [ELEMENTS]]] (run by
 * bench/flow.sh; --weft-only runs the first flow alone, for a profiler:
 * for SECONDS, or for ELEMENTS elements, which makes instruction counts
 * repeatable: two runs of different lengths, subtracted, give the cost of
 * an element without start-up). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/flow.h"
#include "flow/flow_buffer.h"
#include "flow/flow_queue.h"
#include "flow/flow_run.h"
#include "runtime/runtime.h"
#include "util/util.h"
#include "weft.h"

#define SIZE 256
#define BATCH 32
#define TORVYN_NS 4500.0

static const char flow_text[] =
    "[flow.bench]\n"
    "[flow.bench.nodes.src]\n"
    "component = \"source_count.wasm\"\n"
    "interface = \"torvyn:streaming/source\"\n"
    "config = { count = 1000000000000, size = 256 }\n"
    "[flow.bench.nodes.up]\n"
    "component = \"processor_upper.wasm\"\n"
    "interface = \"torvyn:streaming/processor\"\n"
    "[flow.bench.nodes.sink]\n"
    "component = \"sink_collect.wasm\"\n"
    "interface = \"torvyn:streaming/sink\"\n"
    "config = { print = false }\n"
    "[[flow.bench.edges]]\n"
    "from = { node = \"src\" }\n"
    "to = { node = \"up\" }\n"
    "[[flow.bench.edges]]\n"
    "from = { node = \"up\" }\n"
    "to = { node = \"sink\" }\n";

static void die(const char *what, const weft_error_t *err) {
  fprintf(stderr, "flow_native: %s: %s\n", what, err->msg);
  exit(1);
}

/* ---- the native chain --------------------------------------------------- */

static uint64_t checksum;

/* "element N" at the start of p, '.' to SIZE. */
static void fill(uint8_t *p, uint64_t n) {
  char digits[24];
  size_t k = 0, len = 8;
  memcpy(p, "element ", 8);
  do
    digits[k++] = (char)('0' + n % 10);
  while ((n /= 10));
  while (k)
    p[len++] = (uint8_t)digits[--k];
  memset(p + len, '.', SIZE - len);
}

static weft__flow_buf_t *new_buf(weft__flow_pool_t *pool, const uint8_t *p) {
  weft_error_t err = {0};
  weft__flow_buf_t *b = weft__flow_buf_new(pool, SIZE, &err);
  if (!b)
    die("native buffer", &err);
  memcpy(b->data, p, SIZE);
  b->len = SIZE;
  return b;
}

__attribute__((noinline)) static void source(weft__flow_pool_t *pool,
                                             weft__flow_queue_t *q,
                                             uint64_t *seq) {
  uint8_t payload[SIZE];
  for (int i = 0; i < BATCH && !weft__flow_queue_full(q); i++) {
    weft__flow_elem_t e = {0};
    fill(payload, *seq);
    e.buf = new_buf(pool, payload);
    e.seq = (*seq)++;
    weft__flow_elem_set_ctype(&e, "text/plain", 10);
    weft__flow_queue_offer(q, pool, &e);
  }
}

__attribute__((noinline)) static void processor(weft__flow_pool_t *pool,
                                                weft__flow_queue_t *in,
                                                weft__flow_queue_t *out) {
  weft__flow_elem_t e;
  for (int i = 0; i < BATCH && !weft__flow_queue_full(out) &&
                  weft__flow_queue_pop(in, &e);
       i++) {
    uint8_t *copy = malloc(e.buf->len); /* read-all */
    memcpy(copy, e.buf->data, e.buf->len);
    for (size_t k = 0; k < e.buf->len; k++)
      if (copy[k] >= 'a' && copy[k] <= 'z')
        copy[k] = (uint8_t)(copy[k] - 'a' + 'A');
    weft__flow_elem_t o = {0};
    o.buf = new_buf(pool, copy); /* append */
    free(copy);
    o.seq = e.seq;
    size_t clen;
    const char *ct = weft__flow_elem_ctype(&e, &clen);
    weft__flow_elem_set_ctype(&o, ct, clen);
    weft__flow_elem_clear(pool, &e);
    weft__flow_queue_offer(out, pool, &o);
  }
}

__attribute__((noinline)) static void sink(weft__flow_pool_t *pool,
                                           weft__flow_queue_t *in,
                                           uint64_t *done) {
  weft__flow_elem_t e;
  for (int i = 0; i < BATCH && weft__flow_queue_pop(in, &e); i++) {
    uint8_t *copy = malloc(e.buf->len); /* read-all */
    memcpy(copy, e.buf->data, e.buf->len);
    for (size_t k = 0; k < e.buf->len; k++)
      checksum += copy[k];
    free(copy);
    weft__flow_elem_clear(pool, &e);
    (*done)++;
  }
}

/* Elements through the native chain in `ns`, and the time taken. */
static double native(uint64_t ns, uint64_t *elements) {
  weft__flow_pool_t pool;
  weft__flow_queue_t a, b;
  uint64_t seq = 0, done = 0;
  weft__flow_pool_init(&pool, 0);
  weft__flow_queue_init(&a, 64, WEFT__FLOW_BP_BLOCK);
  weft__flow_queue_init(&b, 64, WEFT__FLOW_BP_BLOCK);
  uint64_t t0 = weft__now_ns(), end = t0 + ns, t1;
  do {
    sink(&pool, &b, &done);
    processor(&pool, &a, &b);
    source(&pool, &a, &seq);
  } while ((t1 = weft__now_ns()) < end);
  while (a.len || b.len) { /* drain */
    sink(&pool, &b, &done);
    processor(&pool, &a, &b);
  }
  t1 = weft__now_ns();
  weft__flow_queue_release(&a, &pool);
  weft__flow_queue_release(&b, &pool);
  weft__flow_pool_release(&pool);
  *elements = done;
  return (double)(t1 - t0);
}

/* ---- the flow ----------------------------------------------------------- */

static void report(const char *label, double eps, double per, size_t hops,
                   double native_eps) {
  printf("  %-28s %12.0f elements/s %9.1f ns/element %8.1f ns/hop",
         label, eps, per, per / (double)hops);
  if (native_eps > 0)
    printf("  %.3fx native", eps / native_eps);
  printf("\n");
}

/* Run `flow` for `ns` (or for `limit` elements, when not 0). */
static void run_flow(weft_engine_t *engine, weft_wit_t *wit,
                     weft__flow_t *flow, uint64_t ns, uint64_t limit,
                     uint64_t deadline_ns, bool generic,
                     weft__flow_totals_t *t) {
  weft_error_t err = {0};
  for (size_t i = 0; i < flow->nnodes; i++)
    flow->nodes[i].deadline_ns = deadline_ns;
  weft__flow_run_opts_t o = {.engine = engine,
                             .wit = wit,
                             .duration_ns = limit ? 0 : ns,
                             .limit = limit,
                             .stdin_fd = -1,
                             .stdout_fd = -1,
                             .log_fd = -1,
                             .latency = true,
                             .generic = generic};
  weft__flow_run_t *r = weft__flow_run_new(flow, &o, &err);
  if (!r || weft__flow_run_go(r, &err) < 0)
    die("flow", &err);
  weft__flow_run_totals(r, t);
  weft__flow_run_free(r);
}

int main(int argc, char **argv) {
  const char *build = argc > 1 ? argv[1] : "build";
  double secs = argc > 2 ? atof(argv[2]) : 5.0;
  uint64_t ns = (uint64_t)(secs * 1e9);
  char path[4096], cache[4096];
  snprintf(path, sizeof path, "%s/guests/bench-flow.toml", build);
  snprintf(cache, sizeof cache, "%s/bench-cache", build);
  weft_error_t err = {0};
  weft_engine_config_t cfg = {.cache_dir = cache, .opt_level = -1};
  weft_engine_t *engine = weft_engine_new(&cfg, &err);
  weft_wit_t *wit = engine ? weft__flow_wit_load(NULL, &err) : NULL;
  weft__flow_file_t *file =
      wit ? weft__flow_file_parse(path, flow_text, strlen(flow_text), &err)
          : NULL;
  if (!file)
    die("setup", &err);
  weft__rt_init();
  weft__flow_t *flow = &file->flows[0];

  /* The native chain runs before and after the flows and counts for the
   * mean of both, so that a machine getting busier or quieter during the
   * run does not favour either side. */
  uint64_t n1, n2;
  weft__flow_totals_t plain, timed, typed;
  if (argc > 3 && !strcmp(argv[3], "--weft-only")) { /* for profiling */
    uint64_t limit = argc > 4 ? strtoull(argv[4], NULL, 10) : 0;
    run_flow(engine, wit, flow, ns / 10, limit ? 1000 : 0, 0, false,
             &plain); /* warm up */
    run_flow(engine, wit, flow, ns, limit, 0, false, &plain);
    printf("weft, no deadlines: %.1f ns/element\n",
           1e9 / plain.elements_per_s);
    return 0;
  }
  run_flow(engine, wit, flow, ns / 10, 0, 0, false, &plain); /* warm up */
  double native_ns = native(ns / 2, &n1);
  run_flow(engine, wit, flow, ns, 0, 0, false, &plain);
  run_flow(engine, wit, flow, ns, 0, 1000000000ull, false, &timed);
  run_flow(engine, wit, flow, ns, 0, 0, true, &typed);
  native_ns += native(ns / 2, &n2);
  uint64_t n_native = n1 + n2;
  double native_eps = (double)n_native * 1e9 / native_ns;

  printf("flow source -> processor -> sink, %d-byte elements, %.1f s each "
         "(checksum %llu)\n",
         SIZE, secs, (unsigned long long)(checksum & 0xffff));
  report("native C chain", native_eps, native_ns / (double)n_native, 3, 0);
  report("weft, no deadlines", plain.elements_per_s,
         1e9 / plain.elements_per_s, plain.hops, native_eps);
  report("weft, deadline_ms = 1000", timed.elements_per_s,
         1e9 / timed.elements_per_s, timed.hops, native_eps);
  report("weft, typed canonical ABI", typed.elements_per_s,
         1e9 / typed.elements_per_s, typed.hops, native_eps);
  printf("  latency p50 %.1f us, p99 %.1f us; copies per element %.2f\n",
         (double)plain.p50_ns / 1e3, (double)plain.p99_ns / 1e3,
         plain.copies_per_element);
  printf("  Torvyn (published): %.0f elements/s, %.1f us per element; weft "
         "is %.1fx that\n",
         1e9 / TORVYN_NS, TORVYN_NS / 1e3,
         plain.elements_per_s / (1e9 / TORVYN_NS));
  printf("  target: at least half the native rate: %s\n",
         plain.elements_per_s >= native_eps / 2 ? "met" : "not met");
  weft__flow_file_free(file);
  weft_wit_free(wit);
  weft_engine_free(engine);
  return 0;
}

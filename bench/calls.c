/* calls.c - the cost of a component call through the canonical ABI
 * (weft_call_func), next to a direct C call doing the same work, timed in
 * the same run:
 *   1. an export taking and returning nothing;
 *   2. an export taking and returning a 1 KiB list<u8> (lowered with
 *      cabi_realloc, lifted into host memory, freed by post-return).
 * Guest: build/guests/echo.wasm, world tests/guests/wit/echo.wit.
 * Usage: calls BUILD_DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "weft.h"

__attribute__((noinline)) static void direct_nothing(void) {
  __asm__ volatile("");
}

/* What echo-bytes does, as C: copy into a fresh buffer and hand it back. */
__attribute__((noinline)) static uint8_t *direct_echo(const uint8_t *p,
                                                      size_t n) {
  uint8_t *q = malloc(n);
  memcpy(q, p, n);
  return q;
}

static void die(const weft_error_t *err) {
  fprintf(stderr, "bench: %s\n", err->msg);
  exit(1);
}

static double per_call(uint64_t t0, int n) {
  return (double)(weft__now_ns() - t0) / n;
}

int main(int argc, char **argv) {
  const char *build = argc > 1 ? argv[1] : "build";
  char cache[4096], path[4096];
  snprintf(cache, sizeof cache, "%s/bench-cache", build);
  snprintf(path, sizeof path, "%s/guests/echo.wasm", build);
  weft_engine_config_t cfg = {.cache_dir = cache, .opt_level = -1};
  weft_error_t err = {0};
  weft_engine_t *e = weft_engine_new(&cfg, &err);
  weft_module_t *m = e ? weft_module_load_file(e, path, &err) : NULL;
  weft_wit_t *wit = weft_wit_load("tests/guests/wit/echo.wit", &err);
  weft_linker_t *l = weft_linker_new(e);
  weft_wasi_config_t wasi = {.stdin_fd = -1, .stdout_fd = 1, .stderr_fd = 2};
  if (!m || !wit || weft_linker_define_wasi(l, &wasi, &err) < 0 ||
      weft_linker_use_world(l, wit, "echo", &err) < 0 ||
      weft_linker_define_wit_traps(l, &err) < 0)
    die(&err);
  weft_instance_t *inst = weft_instance_new(l, m, NULL, &err);
  if (!inst ||
      weft_instance_invoke(inst, "_initialize", NULL, 0, NULL, 0, &err) < 0)
    die(&err);
  const weft_func_t *nothing = weft_instance_func(inst, "nothing", &err);
  const weft_func_t *bytes = weft_instance_func(inst, "echo-bytes", &err);
  if (!nothing || !bytes)
    die(&err);

  enum { N = 1000000, NB = 200000 };
  uint64_t t0 = weft__now_ns();
  for (int i = 0; i < N; i++)
    if (weft_call_func(inst, nothing, NULL, 0, NULL, 0, &err) < 0)
      die(&err);
  double w0 = per_call(t0, N);
  t0 = weft__now_ns();
  for (int i = 0; i < N; i++)
    direct_nothing();
  double c0 = per_call(t0, N);

  static uint8_t kib[1024];
  memset(kib, 7, sizeof kib);
  weft_val_t arg = {.kind = WEFT_VAL_LIST}, res;
  arg.of.bytes.ptr = kib;
  arg.of.bytes.len = sizeof kib;
  t0 = weft__now_ns();
  for (int i = 0; i < NB; i++) {
    kib[i & 1023] = (uint8_t)i;
    if (weft_call_func(inst, bytes, &arg, 1, &res, 1, &err) < 0)
      die(&err);
    if (res.of.bytes.len != sizeof kib ||
        res.of.bytes.ptr[i & 1023] != (uint8_t)i) {
      fprintf(stderr, "bench: echo-bytes returned the wrong bytes\n");
      return 1;
    }
  }
  double w1 = per_call(t0, NB);
  t0 = weft__now_ns();
  for (int i = 0; i < NB; i++) {
    kib[i & 1023] = (uint8_t)i;
    uint8_t *q = direct_echo(kib, sizeof kib);
    __asm__ volatile("" ::"r"(q) : "memory");
    free(q);
  }
  double c1 = per_call(t0, NB);

  printf("component calls (weft_call_func on echo.wasm)\n");
  printf("  no arguments:          %6.1f ns; direct C call %5.1f ns; "
         "overhead %.1f ns\n",
         w0, c0, w0 - c0);
  printf("  1 KiB list<u8> in+out: %6.1f ns; direct C call %5.1f ns; "
         "ratio %.1f\n\n",
         w1, c1, w1 / c1);
  weft_instance_free(inst);
  weft_linker_free(l);
  weft_wit_free(wit);
  weft_module_free(m);
  weft_engine_free(e);
  return 0;
}

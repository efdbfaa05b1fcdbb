/* bench.c - engine benchmarks, each printed next to a native measure taken
 * in the same run:
 *   1. compute kernels: weft time / native time, geometric mean;
 *   2. instantiate + call + reset from a warm pool, next to a 64 KiB memcpy;
 *   3. cold compile and cache-hit load of a ~100 KiB module.
 * Usage: bench BUILD_DIR (kernels in BUILD_DIR/bench/). */
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/util.h"
#include "weft.h"

static const struct {
  const char *name;
  int n;
} kernels[] = {{"gemm", 6}, {"jacobi2d", 60}, {"sieve", 6}, {"crc32", 60},
               {"nbody", 3000000}};

static double best_of(int tries, double (*fn)(void *), void *arg) {
  double best = 1e30;
  for (int i = 0; i < tries; i++) {
    double t = fn(arg);
    if (t < best)
      best = t;
  }
  return best;
}

typedef struct {
  weft_instance_t *inst;
  uint64_t (*native)(int);
  uint64_t (*scalar)(int);
  int n;
  uint64_t sum;
} kernel_run_t;

static double time_weft(void *arg) {
  kernel_run_t *k = arg;
  weft_core_val_t a = {.type = WEFT_I32, .of.i32 = k->n}, r;
  weft_error_t err = {0};
  uint64_t t0 = weft__now_ns();
  if (weft_instance_invoke(k->inst, "run", &a, 1, &r, 1, &err) < 0) {
    fprintf(stderr, "bench: %s\n", err.msg);
    exit(1);
  }
  k->sum = (uint64_t)r.of.i64;
  return (double)(weft__now_ns() - t0) / 1e9;
}

static double time_native(void *arg) {
  kernel_run_t *k = arg;
  uint64_t t0 = weft__now_ns();
  k->sum = k->native(k->n);
  return (double)(weft__now_ns() - t0) / 1e9;
}

static double time_scalar(void *arg) {
  kernel_run_t *k = arg;
  uint64_t t0 = weft__now_ns();
  k->sum = k->scalar(k->n);
  return (double)(weft__now_ns() - t0) / 1e9;
}

static void *open_native(const char *build, const char *name,
                         const char *suffix) {
  char p[4096];
  snprintf(p, sizeof p, "%s/bench/%s%s.so", build, name, suffix);
  void *dl = dlopen(p, RTLD_NOW | RTLD_LOCAL);
  if (!dl) {
    fprintf(stderr, "bench: %s\n", dlerror());
    exit(1);
  }
  return dl;
}

static void compute(weft_engine_t *e, const char *build) {
  double logsum = 0, logsum_s = 0;
  int count = 0;
  printf("compute kernels (same C source, clang -O2; weft: wasm2c + cc -O2;"
         "\n  scalar = native without auto-vectorisation, which wasm32 "
         "without SIMD cannot have)\n");
  printf("  %-10s %9s %9s %9s %12s %12s\n", "kernel", "native s",
         "scalar s", "weft s", "weft/native", "weft/scalar");
  for (size_t i = 0; i < sizeof kernels / sizeof kernels[0]; i++) {
    char p[4096];
    weft_error_t err = {0};
    snprintf(p, sizeof p, "%s/bench/%s.wasm", build, kernels[i].name);
    weft_module_t *m = weft_module_load_file(e, p, &err);
    weft_instance_t *inst = m ? weft_instance_new(NULL, m, NULL, &err) : NULL;
    if (!inst) {
      fprintf(stderr, "bench: %s: %s\n", kernels[i].name, err.msg);
      exit(1);
    }
    void *dl = open_native(build, kernels[i].name, "");
    void *dls = open_native(build, kernels[i].name, ".scalar");
    if (weft_instance_func_sig(inst, "_initialize"))
      weft_instance_invoke(inst, "_initialize", NULL, 0, NULL, 0, &err);
    kernel_run_t k = {inst, NULL, NULL, kernels[i].n, 0};
    *(void **)&k.native = dlsym(dl, "run");
    *(void **)&k.scalar = dlsym(dls, "run");
    double tn = best_of(3, time_native, &k);
    uint64_t sn = k.sum;
    double ts = best_of(3, time_scalar, &k);
    double tw = best_of(3, time_weft, &k);
    if (k.sum != sn) {
      fprintf(stderr, "bench: %s: checksum %llu != native %llu\n",
              kernels[i].name, (unsigned long long)k.sum,
              (unsigned long long)sn);
      exit(1);
    }
    printf("  %-10s %9.3f %9.3f %9.3f %12.2f %12.2f\n", kernels[i].name, tn,
           ts, tw, tw / tn, tw / ts);
    logsum += log(tw / tn);
    logsum_s += log(tw / ts);
    count++;
    weft_instance_free(inst);
    weft_module_free(m);
    dlclose(dl);
    dlclose(dls);
  }
  double g = exp(logsum / count), gs = exp(logsum_s / count);
  printf("  geometric mean weft/native %.2f (speed %.2f of native), "
         "weft/scalar %.2f (speed %.2f); target speed >= 0.9\n\n",
         g, 1 / g, gs, 1 / gs);
}

static void instantiate(weft_engine_t *e, const char *build) {
  char p[4096];
  weft_error_t err = {0};
  snprintf(p, sizeof p, "%s/bench/tiny.wasm", build);
  weft_module_t *m = weft_module_load_file(e, p, &err);
  weft_instance_t *inst = m ? weft_instance_new(NULL, m, NULL, &err) : NULL;
  if (!inst) {
    fprintf(stderr, "bench: %s\n", err.msg);
    exit(1);
  }
  enum { N = 200000 };
  weft_core_val_t a = {.type = WEFT_I32, .of.i32 = 1}, r;
  uint64_t t0 = weft__now_ns();
  for (int i = 0; i < N; i++) {
    if (weft_instance_reset(inst, &err) < 0 ||
        weft_instance_invoke(inst, "touch", &a, 1, &r, 1, &err) < 0) {
      fprintf(stderr, "bench: %s\n", err.msg);
      exit(1);
    }
  }
  double ns = (double)(weft__now_ns() - t0) / N;
  static char src[65536], dst[65536];
  memset(src, 1, sizeof src);
  t0 = weft__now_ns();
  for (int i = 0; i < N; i++) {
    src[i & 0xffff] = (char)i;
    memcpy(dst, src, sizeof dst);
    __asm__ volatile("" ::"r"(dst) : "memory");
  }
  double mc = (double)(weft__now_ns() - t0) / N;
  printf("instantiate + call + reset (1-page module, warm pool)\n");
  printf("  %.0f ns per cycle; 64 KiB memcpy %.0f ns; ratio %.2f "
         "(target <= 4)\n\n",
         ns, mc, ns / mc);
  weft_instance_free(inst);
  weft_module_free(m);
}

static void compile_times(const char *build) {
  char dir[] = "/tmp/weft-bench-cache.XXXXXX";
  if (!mkdtemp(dir))
    return;
  char p[4096];
  snprintf(p, sizeof p, "%s/../examples/wasi-hello/wasi-hello.wasm", build);
  if (access(p, R_OK) != 0)
    snprintf(p, sizeof p, "examples/hello/hello.guest.wasm");
  weft_engine_config_t cfg = {.cache_dir = dir, .opt_level = -1};
  weft_error_t err = {0};
  weft_engine_t *e = weft_engine_new(&cfg, &err);
  uint64_t t0 = weft__now_ns();
  weft_module_t *m = weft_module_load_file(e, p, &err);
  double cold = (double)(weft__now_ns() - t0) / 1e9;
  if (!m) {
    fprintf(stderr, "bench: %s\n", err.msg);
    exit(1);
  }
  weft_module_free(m);
  enum { N = 50 };
  t0 = weft__now_ns();
  for (int i = 0; i < N; i++)
    weft_module_free(weft_module_load_file(e, p, &err));
  double hit = (double)(weft__now_ns() - t0) / N / 1e6;
  uint8_t *b;
  size_t len = 0;
  if (weft__read_file(p, &b, &len, NULL) == 0)
    free(b);
  printf("compile (%s, %zu KiB)\n", p, len / 1024);
  printf("  cold compile %.2f s; cache-hit load %.2f ms (%.0fx faster)\n",
         cold, hit, cold * 1e3 / hit);
  weft_engine_free(e);
  char cmd[4200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0)
    fprintf(stderr, "bench: could not remove %s\n", dir);
}

int main(int argc, char **argv) {
  const char *build = argc > 1 ? argv[1] : "build";
  char cache[4096];
  snprintf(cache, sizeof cache, "%s/bench-cache", build);
  weft_engine_config_t cfg = {.cache_dir = cache, .opt_level = -1};
  weft_error_t err = {0};
  weft_engine_t *e = weft_engine_new(&cfg, &err);
  if (!e)
    return 1;
  compute(e, build);
  instantiate(e, build);
  compile_times(build);
  weft_engine_free(e);
  return 0;
}

/* nan_test.c - canonical NaNs (issue #7; weft_engine_config_t's
 * canonical_nans, src/engine/rewrite.c): with the option, every NaN a
 * float operation makes is the canonical one, whatever the operands' NaN
 * payloads; moves, abs, neg and copysign still keep bits; without it the
 * test only records what this machine gives. Modules compiled with and
 * without it are separate cache entries. Uses tests/guests/nan_ops.wat. */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "runtime/runtime.h"
#include "util/util.h"
#include "weft.h"

#define CANON32 0x7fc00000u
#define CANON64 0x7ff8000000000000ull

/* Operands: NaNs with payloads, quiet and signalling, of both signs. */
#define Q32 0xffc12345u /* negative quiet, payload */
#define S32 0x7fa00001u /* positive signalling, payload */
#define INF32 0x7f800000u
#define ONE32 0x3f800000u
#define MONE32 0xbf800000u
#define Q64 0xfff8000000012345ull
#define S64 0x7ff4000000000001ull
#define INF64 0x7ff0000000000000ull
#define ONE64 0x3ff0000000000000ull
#define MONE64 0xbff0000000000000ull

/* One call of an export of nan_ops.wat: its operands' width (32: i32
 * bits, 64: i64), how many, and the result's width. */
typedef struct nan_case {
  const char *what, *fn;
  int in, nargs, out;
  uint64_t a, b;
} nan_case_t;

/* Each makes a NaN and must give the canonical one. */
static const nan_case_t arith[] = {
    {"0/0", "f32_div", 32, 2, 32, 0, 0},
    {"sqrt(-1)", "f32_sqrt", 32, 1, 32, MONE32, 0},
    {"inf-inf", "f32_sub", 32, 2, 32, INF32, INF32},
    {"inf*0", "f32_mul", 32, 2, 32, INF32, 0},
    {"nan+1", "f32_add", 32, 2, 32, Q32, ONE32},
    {"1+snan", "f32_add", 32, 2, 32, ONE32, S32},
    {"nan+snan", "f32_add", 32, 2, 32, Q32, S32},
    {"snan-nan", "f32_sub", 32, 2, 32, S32, Q32},
    {"nan*2", "f32_mul", 32, 2, 32, Q32, 0x40000000u},
    {"snan/1", "f32_div", 32, 2, 32, S32, ONE32},
    {"min(nan,1)", "f32_min", 32, 2, 32, Q32, ONE32},
    {"max(1,snan)", "f32_max", 32, 2, 32, ONE32, S32},
    {"sqrt(snan)", "f32_sqrt", 32, 1, 32, S32, 0},
    {"ceil(nan)", "f32_ceil", 32, 1, 32, Q32, 0},
    {"floor(snan)", "f32_floor", 32, 1, 32, S32, 0},
    {"trunc(nan)", "f32_trunc", 32, 1, 32, Q32, 0},
    {"nearest(snan)", "f32_nearest", 32, 1, 32, S32, 0},
    {"demote(nan)", "f32_demote", 64, 1, 32, Q64, 0},
    {"demote(snan)", "f32_demote", 64, 1, 32, S64, 0},
    {"0/0", "f64_div", 64, 2, 64, 0, 0},
    {"sqrt(-1)", "f64_sqrt", 64, 1, 64, MONE64, 0},
    {"inf-inf", "f64_sub", 64, 2, 64, INF64, INF64},
    {"inf*0", "f64_mul", 64, 2, 64, INF64, 0},
    {"nan+1", "f64_add", 64, 2, 64, Q64, ONE64},
    {"1+snan", "f64_add", 64, 2, 64, ONE64, S64},
    {"nan+snan", "f64_add", 64, 2, 64, Q64, S64},
    {"snan-nan", "f64_sub", 64, 2, 64, S64, Q64},
    {"nan*2", "f64_mul", 64, 2, 64, Q64, 0x4000000000000000ull},
    {"snan/1", "f64_div", 64, 2, 64, S64, ONE64},
    {"min(nan,1)", "f64_min", 64, 2, 64, Q64, ONE64},
    {"max(1,snan)", "f64_max", 64, 2, 64, ONE64, S64},
    {"sqrt(snan)", "f64_sqrt", 64, 1, 64, S64, 0},
    {"ceil(nan)", "f64_ceil", 64, 1, 64, Q64, 0},
    {"floor(snan)", "f64_floor", 64, 1, 64, S64, 0},
    {"trunc(nan)", "f64_trunc", 64, 1, 64, Q64, 0},
    {"nearest(snan)", "f64_nearest", 64, 1, 64, S64, 0},
    {"promote(nan)", "f64_promote", 32, 1, 64, Q32, 0},
    {"promote(snan)", "f64_promote", 32, 1, 64, S32, 0},
};
#define NARITH (sizeof arith / sizeof arith[0])

/* Each moves bits, which the spec keeps: the expected result. */
static const struct {
  nan_case_t c;
  uint64_t want;
} moves[] = {
    {{"neg(nan)", "f32_neg", 32, 1, 32, Q32, 0}, 0x7fc12345u},
    {{"abs(nan)", "f32_abs", 32, 1, 32, Q32, 0}, 0x7fc12345u},
    {{"copysign(snan,-1)", "f32_copysign", 32, 2, 32, S32, MONE32},
     0xffa00001u},
    {{"neg(snan)", "f64_neg", 64, 1, 64, S64, 0}, 0xfff4000000000001ull},
    {{"abs(nan)", "f64_abs", 64, 1, 64, Q64, 0}, 0x7ff8000000012345ull},
    {{"copysign(nan,1)", "f64_copysign", 64, 2, 64, Q64, ONE64},
     0x7ff8000000012345ull},
    {{"store/load(snan)", "f64_store_load", 64, 1, 64, S64, 0}, S64},
};

static char cache[64];

static int setup(void **state) {
  (void)state;
  snprintf(cache, sizeof cache, "/tmp/weft-nan-test.XXXXXX");
  return mkdtemp(cache) ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  weft__rm_rf(cache);
  return 0;
}

/* nan_ops.wasm compiled by a new engine (*engine, caller frees both). */
static weft_module_t *load(int canonical, weft_engine_t **engine) {
  char path[4096];
  const char *b = getenv("BUILD");
  snprintf(path, sizeof path, "%s/guests/nan_ops.wasm", b ? b : "build");
  weft_error_t err = {0};
  weft_engine_config_t cfg = {.cache_dir = cache, .opt_level = -1,
                              .canonical_nans = canonical};
  *engine = weft_engine_new(&cfg, &err);
  assert_non_null(*engine);
  weft_module_t *m = weft_module_load_file(*engine, path, &err);
  if (!m)
    fail_msg("cannot load '%s': %s", path, err.msg);
  return m;
}

/* The result bits of case `c` in `inst`. */
static uint64_t call(weft_instance_t *inst, const nan_case_t *c) {
  weft_core_val_t args[2], r[1];
  for (int i = 0; i < c->nargs; i++) {
    uint64_t v = i ? c->b : c->a;
    args[i].type = c->in == 32 ? WEFT_I32 : WEFT_I64;
    if (c->in == 32)
      args[i].of.i32 = (int32_t)(uint32_t)v;
    else
      args[i].of.i64 = (int64_t)v;
  }
  weft_error_t err = {0};
  int rc = weft_instance_invoke(inst, c->fn, args, (size_t)c->nargs, r, 1,
                                &err);
  if (rc < 0)
    fail_msg("%s: %s", c->fn, err.msg);
  return c->out == 32 ? (uint32_t)r[0].of.i32 : (uint64_t)r[0].of.i64;
}

static weft_instance_t *instance(weft_module_t *m) {
  weft_error_t err = {0};
  weft__rt_install_handlers(); /* cmocka installs its own */
  weft_instance_t *inst = weft_instance_new(NULL, m, NULL, &err);
  if (!inst)
    fail_msg("%s", err.msg);
  return inst;
}

static void test_every_nan_canonical(void **state) {
  (void)state;
  weft_engine_t *e;
  weft_module_t *m = load(1, &e);
  weft_instance_t *inst = instance(m);
  int bad = 0;
  for (size_t i = 0; i < NARITH; i++) {
    const nan_case_t *c = &arith[i];
    uint64_t got = call(inst, c), want = c->out == 32 ? CANON32 : CANON64;
    if (got != want) {
      fprintf(stderr, "%s %s: 0x%" PRIx64 ", want 0x%" PRIx64 "\n", c->fn,
              c->what, got, want);
      bad++;
    }
  }
  /* Numbers are untouched. */
  nan_case_t three = {"1+2", "f64_add", 64, 2, 64, ONE64,
                      0x4000000000000000ull};
  assert_int_equal(call(inst, &three), 0x4008000000000000ull);
  assert_int_equal(bad, 0);
  weft_instance_free(inst);
  weft_module_free(m);
  weft_engine_free(e);
}

static void test_moves_keep_bits(void **state) {
  (void)state;
  weft_engine_t *e;
  weft_module_t *m = load(1, &e);
  weft_instance_t *inst = instance(m);
  for (size_t i = 0; i < sizeof moves / sizeof moves[0]; i++) {
    uint64_t got = call(inst, &moves[i].c);
    if (got != moves[i].want)
      fail_msg("%s %s: 0x%" PRIx64 ", want 0x%" PRIx64, moves[i].c.fn,
               moves[i].c.what, got, moves[i].want);
  }
  weft_instance_free(inst);
  weft_module_free(m);
  weft_engine_free(e);
}

/* Without the option: what this machine and compiler give, for the
 * record (WebAssembly allows any NaN there); nothing is asserted. */
static void test_without_records_machine(void **state) {
  (void)state;
  weft_engine_t *e;
  weft_module_t *m = load(0, &e);
  weft_instance_t *inst = instance(m);
  int other = 0;
  for (size_t i = 0; i < NARITH; i++) {
    const nan_case_t *c = &arith[i];
    uint64_t got = call(inst, c), canon = c->out == 32 ? CANON32 : CANON64;
    if (got != canon) {
      other++;
      fprintf(stderr, "# without: %s %s: 0x%" PRIx64 "\n", c->fn, c->what,
              got);
    }
  }
  fprintf(stderr, "# without: %d of %zu NaNs not canonical\n", other,
          NARITH);
  weft_instance_free(inst);
  weft_module_free(m);
  weft_engine_free(e);
}

/* The option is part of the cache key: two engines on one cache directory
 * compile the module twice, and each finds its own entry again. */
static void test_cached_apart(void **state) {
  (void)state;
  char cmd[256];
  weft__rm_rf(cache);
  assert_int_equal(weft__mkdirs(cache, NULL), 0);
  for (int round = 0; round < 2; round++)
    for (int canonical = 0; canonical < 2; canonical++) {
      weft_engine_t *e;
      weft_module_t *m = load(canonical, &e);
      weft_instance_t *inst = instance(m);
      uint64_t got = call(inst, &arith[0]);
      if (canonical)
        assert_int_equal(got, CANON32);
      weft_instance_free(inst);
      weft_module_free(m);
      weft_engine_free(e);
    }
  snprintf(cmd, sizeof cmd, "test $(find '%s' -name '*.so' | wc -l) = 2",
           cache);
  assert_int_equal(system(cmd), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_nan_canonical),
      cmocka_unit_test(test_moves_keep_bits),
      cmocka_unit_test(test_without_records_machine),
      cmocka_unit_test(test_cached_apart),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

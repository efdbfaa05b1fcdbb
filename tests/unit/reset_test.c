/* reset_test.c - weft_instance_reset leaves nothing the guest could see:
 * after a guest has written every byte of its memory, grown it, changed
 * its globals (exported or not) and its table (elements and size), a reset
 * instance is byte for byte and value for value what a fresh instance is:
 * the same memory bytes everywhere, the same memory size (and accesses past
 * it trap again, and growing it again gives zeroed pages), the same globals,
 * the same table size and elements. Both ways a reset can go are checked:
 * putting back what instantiation made (a module without a start function
 * that imports no memory, table or global: src/engine/instance.c) and
 * instantiating again (a module with a start function, which runs again).
 * Host writes into the memory (as the canonical ABI makes) do not survive
 * either. The guests are written below in WAT and built with wat2wasm. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/engine_int.h"
#include "testlib.h"

/* Replayable: reset puts back what instantiation made. Data in two pages,
 * a table with one element set, globals exported and not. */
static const char replay_wat[] =
    "(module\n"
    "  (memory (export \"memory\") 2 10)\n"
    "  (table $t 2 10 funcref)\n"
    "  (global $g (export \"g\") (mut i32) (i32.const 7))\n"
    "  (global $h (mut i64) (i64.const 100))\n"
    "  (data (i32.const 1024) \"hello\")\n"
    "  (data (i32.const 70000) \"second page\")\n"
    "  (elem (i32.const 0) $one)\n"
    "  (elem declare func $two)\n"
    "  (func $one (result i32) (i32.const 1))\n"
    "  (func $two (result i32) (i32.const 2))\n"
    "  (func (export \"scribble\") (param i32)\n"
    "    (memory.fill (i32.const 0) (i32.const 0xab)\n"
    "      (i32.mul (memory.size) (i32.const 65536)))\n"
    "    (drop (memory.grow (local.get 0)))\n"
    "    (memory.fill (i32.const 0) (i32.const 0xcd)\n"
    "      (i32.mul (memory.size) (i32.const 65536)))\n"
    "    (global.set $g (i32.const 99))\n"
    "    (global.set $h (i64.const -5))\n"
    "    (table.set $t (i32.const 0) (ref.func $two))\n"
    "    (table.set $t (i32.const 1) (ref.func $two))\n"
    "    (drop (table.grow $t (ref.func $two) (i32.const 3))))\n"
    "  (func (export \"grow\") (param i32) (result i32)\n"
    "    (memory.grow (local.get 0)))\n"
    "  (func (export \"size\") (result i32) (memory.size))\n"
    "  (func (export \"tsize\") (result i32) (table.size $t))\n"
    "  (func (export \"h\") (result i64) (global.get $h))\n"
    "  (func (export \"load\") (param i32) (result i32)\n"
    "    (i32.load8_u (local.get 0)))\n"
    "  (func (export \"call\") (param i32) (result i32)\n"
    "    (call_indirect $t (result i32) (local.get 0))))\n";

/* Not replayable (a start function): reset instantiates again. */
static const char start_wat[] =
    "(module\n"
    "  (memory (export \"memory\") 1 4)\n"
    "  (global $g (export \"g\") (mut i32) (i32.const 0))\n"
    "  (global $h (mut i64) (i64.const 100))\n"
    "  (data (i32.const 8) \"abc\")\n"
    "  (func $start\n"
    "    (global.set $g (i32.add (global.get $g) (i32.const 1)))\n"
    "    (i32.store (i32.const 100) (i32.const 42)))\n"
    "  (start $start)\n"
    "  (func (export \"scribble\") (param i32)\n"
    "    (memory.fill (i32.const 0) (i32.const 0xab)\n"
    "      (i32.mul (memory.size) (i32.const 65536)))\n"
    "    (drop (memory.grow (local.get 0)))\n"
    "    (memory.fill (i32.const 0) (i32.const 0xcd)\n"
    "      (i32.mul (memory.size) (i32.const 65536)))\n"
    "    (global.set $g (i32.const 99))\n"
    "    (global.set $h (i64.const -5)))\n"
    "  (func (export \"grow\") (param i32) (result i32)\n"
    "    (memory.grow (local.get 0)))\n"
    "  (func (export \"size\") (result i32) (memory.size))\n"
    "  (func (export \"h\") (result i64) (global.get $h))\n"
    "  (func (export \"load\") (param i32) (result i32)\n"
    "    (i32.load8_u (local.get 0))))\n";

static weft_engine_t *engine;
static weft_module_t *replay, *start;
static char tmp[] = "/tmp/weft-reset-test.XXXXXX";

static weft_module_t *build(const char *name, const char *wat) {
  char src[4096], out[4096], cmd[9000];
  weft_error_t err = {0};
  snprintf(src, sizeof src, "%s/%s.wat", tmp, name);
  snprintf(out, sizeof out, "%s/%s.wasm", tmp, name);
  if (weft__write_file_atomic(src, wat, strlen(wat), &err) < 0)
    return NULL;
  snprintf(cmd, sizeof cmd, "wat2wasm '%s' -o '%s'", src, out);
  if (system(cmd) != 0)
    return NULL;
  weft_module_t *m = weft_module_load_file(engine, out, &err);
  if (!m)
    fprintf(stderr, "%s\n", err.msg);
  return m;
}

static int setup(void **state) {
  (void)state;
  char cache[4096];
  weft_engine_config_t cfg = {
      .cache_dir = build_path(cache, sizeof cache, "test-cache"),
      .opt_level = -1};
  weft_error_t err = {0};
  if (!mkdtemp(tmp) || !(engine = weft_engine_new(&cfg, &err)))
    return -1;
  replay = build("replay", replay_wat);
  start = build("start", start_wat);
  return replay && start ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  weft_module_free(replay);
  weft_module_free(start);
  weft_engine_free(engine);
  weft__rm_rf(tmp);
  return 0;
}

static weft_instance_t *fresh(weft_module_t *m) {
  weft_error_t err = {0};
  weft__rt_install_handlers(); /* cmocka replaces the fault handlers */
  weft_instance_t *inst = weft_instance_new(NULL, m, NULL, &err);
  if (!inst)
    fail_msg("%s", err.msg);
  return inst;
}

static int64_t call(weft_instance_t *inst, const char *name, int32_t arg,
                    int nargs, int *rc) {
  weft_core_val_t a = {.type = WEFT_I32}, r = {0};
  weft_error_t err = {0};
  a.of.i32 = arg;
  *rc = weft_instance_invoke(inst, name, &a, (size_t)nargs, &r, 1, &err);
  return r.type == WEFT_I64 ? r.of.i64 : r.of.i32;
}

static int64_t must(weft_instance_t *inst, const char *name, int32_t arg,
                    int nargs) {
  int rc;
  int64_t v = call(inst, name, arg, nargs, &rc);
  assert_int_equal(rc, 0);
  return v;
}

/* Everything the guest can see of an instance. */
typedef struct seen {
  uint8_t *mem;
  size_t size;
  int32_t pages, g, tsize, calls[3];
  int64_t h;
} seen_t;

static void look(weft_instance_t *inst, int has_table, seen_t *s) {
  size_t size = 0;
  uint8_t *mem = weft_instance_memory(inst, NULL, &size);
  assert_non_null(mem);
  s->size = size;
  s->mem = malloc(size);
  assert_non_null(s->mem);
  memcpy(s->mem, mem, size);
  s->pages = (int32_t)must(inst, "size", 0, 0);
  weft_core_val_t g;
  weft_error_t err = {0};
  assert_int_equal(weft_instance_global_get(inst, "g", &g, &err), 0);
  s->g = g.of.i32;
  s->h = must(inst, "h", 0, 0);
  s->tsize = has_table ? (int32_t)must(inst, "tsize", 0, 0) : 0;
  for (int i = 0; i < 3; i++) { /* an element's function, or the trap */
    int rc = 0;
    s->calls[i] = has_table ? (int32_t)call(inst, "call", i, 1, &rc) : 0;
    if (rc < 0)
      s->calls[i] = -1;
  }
}

static void same(const seen_t *a, const seen_t *b) {
  assert_int_equal(a->size, b->size);
  for (size_t i = 0; i < a->size; i++)
    if (a->mem[i] != b->mem[i])
      fail_msg("memory byte %zu is %u, fresh %u", i, a->mem[i], b->mem[i]);
  assert_int_equal(a->pages, b->pages);
  assert_int_equal(a->g, b->g);
  assert_int_equal(a->h, b->h);
  assert_int_equal(a->tsize, b->tsize);
  for (int i = 0; i < 3; i++)
    assert_int_equal(a->calls[i], b->calls[i]);
}

/* Scribble over everything, write into the memory from the host too,
 * reset, and compare with a fresh instance; several times, the memory
 * growing by 1, 0 and 3 pages (zeroed by writing, then, past 256 KiB, by
 * dropping pages: src/runtime/memory.c). */
static void scribble_and_reset(weft_module_t *m, int has_table,
                               int by_image) {
  weft_instance_t *ref = fresh(m), *inst = fresh(m);
  assert_true(by_image ? inst->image != NULL : inst->image == NULL);
  seen_t want, got;
  look(ref, has_table, &want);
  if (has_table) { /* what instantiation made is there to be kept */
    assert_memory_equal(want.mem + 1024, "hello", 5);
    assert_memory_equal(want.mem + 70000, "second page", 11);
    assert_int_equal(want.g, 7);
    assert_int_equal(want.calls[0], 1);
  } else {
    assert_memory_equal(want.mem + 8, "abc", 3);
    assert_int_equal(want.mem[100], 42);
    assert_int_equal(want.g, 1);
  }
  static const int32_t grows[] = {1, 0, 3};
  for (int round = 0; round < 3; round++) {
    must(inst, "scribble", grows[round], 1);
    size_t size = 0;
    uint8_t *mem = weft_instance_memory(inst, NULL, &size);
    assert_true(size > want.size); /* it grew */
    assert_int_equal(must(inst, "load", (int32_t)want.size, 1), 0xcd);
    memset(mem + size / 2, 0xee, size / 2); /* host writes */
    weft_error_t err = {0};
    assert_int_equal(weft_instance_reset(inst, &err), 0);
    assert_true(by_image ? inst->image != NULL : inst->image == NULL);
    look(inst, has_table, &got);
    same(&got, &want);
    free(got.mem);
    /* What grew is gone: past the size traps, growing gives zeros. */
    int rc;
    call(inst, "load", (int32_t)want.size, 1, &rc);
    assert_int_equal(rc, WEFT_ETRAP);
    assert_int_equal(must(inst, "grow", 2, 1), want.pages);
    mem = weft_instance_memory(inst, NULL, &size);
    assert_int_equal(size, want.size + 2 * 65536);
    for (size_t i = want.size; i < size; i++)
      if (mem[i])
        fail_msg("grown byte %zu is %u after a reset", i, mem[i]);
  }
  free(want.mem);
  weft_instance_free(inst);
  weft_instance_free(ref);
}

static void test_replayed(void **state) {
  (void)state;
  scribble_and_reset(replay, 1, 1);
}

static void test_instantiated_again(void **state) {
  (void)state;
  scribble_and_reset(start, 0, 0);
}

/* A reset right after instantiation, and many in a row, change nothing. */
static void test_idempotent(void **state) {
  (void)state;
  weft_instance_t *ref = fresh(replay), *inst = fresh(replay);
  seen_t want, got;
  look(ref, 1, &want);
  weft_error_t err = {0};
  for (int i = 0; i < 50; i++)
    assert_int_equal(weft_instance_reset(inst, &err), 0);
  look(inst, 1, &got);
  same(&got, &want);
  free(got.mem);
  free(want.mem);
  weft_instance_free(inst);
  weft_instance_free(ref);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_replayed),
      cmocka_unit_test(test_instantiated_again),
      cmocka_unit_test(test_idempotent),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

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
 * either. The guests are written below in WAT and built with wat2wasm.
 *
 * With write tracking (weft_engine_config_t.track_writes), a reset
 * rewrites only the 4 KiB chunks marked written: each way a guest or the
 * host writes memory is checked on its own (tests/guests/track_writes.wat:
 * every store width, stores straddling two chunks, a store with an
 * offset, memory.fill, memory.copy, memory.init, writes in grown pages;
 * WASI random_get, canonical-ABI lowering of a string into
 * tests/guests/echo.c, the public weft_instance_memory pointer, a memory
 * bound into another instance): after each, one reset must give back a
 * fresh instance's memory byte for byte, and a byte changed behind the
 * map's back in a chunk nobody marked must survive it, which shows the
 * reset rewrote only the marked chunks.
 *
 * Reactors (weft__instance_initialize, as pools use it): a reactor whose
 * `_initialize` calls no import runs it once, and each reset then puts
 * back the state after it; one whose `_initialize` calls an import (WASI,
 * a typed host function, one through call_indirect, another instance's
 * export) runs it after every reset, and the import is called exactly
 * once each time (the probe's tripwire stops it before the host sees it).
 * Either way, after every reset the instance is byte for byte and value
 * for value a fresh instance on which `_initialize` was run, with and
 * without write tracking. */
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

static weft_module_t *build_in(weft_engine_t *e, const char *name,
                               const char *wat) {
  char src[4096], out[4096], cmd[9000];
  weft_error_t err = {0};
  snprintf(src, sizeof src, "%s/%s.wat", tmp, name);
  snprintf(out, sizeof out, "%s/%s.wasm", tmp, name);
  if (weft__write_file_atomic(src, wat, strlen(wat), &err) < 0)
    return NULL;
  snprintf(cmd, sizeof cmd, "wat2wasm '%s' -o '%s'", src, out);
  if (system(cmd) != 0)
    return NULL;
  weft_module_t *m = weft_module_load_file(e, out, &err);
  if (!m)
    fprintf(stderr, "%s\n", err.msg);
  return m;
}

static weft_module_t *build(const char *name, const char *wat) {
  return build_in(engine, name, wat);
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

/* ---- write tracking ------------------------------------------------------ */

static weft_engine_t *tengine;
static weft_linker_t *tlinker, *elinker;
static weft_module_t *track, *techo, *timport;
static weft_wit_t *echo_wit;

static weft_module_t *load_guest(weft_engine_t *e, const char *name) {
  weft_error_t err = {0};
  weft_module_t *m = test_guest_load(e, name, &err);
  if (!m)
    fail_msg("%s", err.msg);
  return m;
}

static int track_setup(void **state) {
  (void)state;
  char cache[4096];
  weft_engine_config_t cfg = {
      .cache_dir = build_path(cache, sizeof cache, "test-cache"),
      .opt_level = -1, .track_writes = true};
  weft_error_t err = {0};
  weft_wasi_config_t wasi = {.stdin_fd = -1, .stdout_fd = 1, .stderr_fd = 2};
  if (weft__mkdirs(tmp, &err) < 0 || /* for build_in, again */
      !(tengine = weft_engine_new(&cfg, &err)) ||
      !(tlinker = weft_linker_new(tengine)) ||
      !(elinker = weft_linker_new(tengine)) ||
      weft_linker_define_wasi(tlinker, &wasi, &err) < 0 ||
      weft_linker_define_wasi(elinker, &wasi, &err) < 0 ||
      !(echo_wit = weft_wit_load("tests/guests/wit/echo.wit", &err)) ||
      weft_linker_use_world(elinker, echo_wit, "echo", &err) < 0 ||
      weft_linker_define_wit_traps(elinker, &err) < 0) {
    fprintf(stderr, "setup: %s\n", err.msg);
    return -1;
  }
  return 0;
}

static int track_teardown(void **state) {
  (void)state;
  weft_module_free(track);
  weft_module_free(techo);
  weft_module_free(timport);
  weft_linker_free(tlinker);
  weft_linker_free(elinker);
  weft_wit_free(echo_wit);
  weft_engine_free(tengine);
  weft__rm_rf(tmp);
  return 0;
}

static weft_instance_t *tfresh(weft_linker_t *l, weft_module_t *m) {
  weft_error_t err = {0};
  weft__rt_install_handlers();
  weft_instance_t *inst = weft_instance_new(l, m, NULL, &err);
  if (!inst)
    fail_msg("%s", err.msg);
  assert_non_null(inst->image); /* resets put back the saved image */
  return inst;
}

/* The memory as the guest sees it, without handing out a pointer (which
 * would make the next reset rewrite all of it). */
static uint8_t *raw(weft_instance_t *inst, size_t *size) {
  wasm_rt_memory_t *m = weft__instance_memory0(inst);
  *size = m->size;
  return m->data;
}

/* `inst`'s memory is `ref`'s byte for byte, and (`clear`) its map is
 * clear. */
static void same_bytes(weft_instance_t *inst, weft_instance_t *ref,
                       int clear, const char *after) {
  size_t size, rsize;
  uint8_t *mem = raw(inst, &size), *want = raw(ref, &rsize);
  if (size != rsize)
    fail_msg("after %s: %zu bytes of memory, fresh %zu", after, size, rsize);
  for (size_t i = 0; i < size; i++)
    if (mem[i] != want[i])
      fail_msg("after %s: memory byte %#zx is %#x, fresh %#x", after, i,
               mem[i], want[i]);
  const uint8_t *map = mem - WEFT__RT_MAP_BYTES;
  for (size_t c = 0; clear && c < size / 4096; c++)
    if (map[c])
      fail_msg("after %s: chunk %zu still marked", after, c);
}

static void same_memory(weft_instance_t *inst, weft_instance_t *ref,
                        const char *after) {
  same_bytes(inst, ref, 1, after);
}

/* Reset `inst`, and check the reset rewrote only marked chunks (`partial`)
 * or the whole memory: a byte changed behind the map's back, in a chunk
 * nothing marked, survives the first kind only. */
static void reset_checked(weft_instance_t *inst, int partial,
                          const char *after) {
  size_t size;
  uint8_t *mem = raw(inst, &size);
  const uint8_t *map = mem - WEFT__RT_MAP_BYTES;
  size_t c = 2 * 65536 / 4096; /* within the saved size */
  while (c > 0 && map[c - 1])
    c--;
  assert_true(c > 0);
  size_t at = (c - 1) * 4096 + 100;
  uint8_t was = mem[at], changed = was ^ 0x5a;
  mem[at] = changed;
  weft_error_t err = {0};
  assert_int_equal(weft_instance_reset(inst, &err), 0);
  mem = raw(inst, &size);
  if (partial && mem[at] != changed)
    fail_msg("after %s: the reset rewrote an unmarked chunk", after);
  if (!partial && mem[at] != was)
    fail_msg("after %s: the reset kept an unmarked change", after);
  mem[at] = was;
}

static void tinvoke(weft_instance_t *inst, const char *name,
                    const weft_core_val_t *args, size_t nargs) {
  weft_core_val_t r = {0};
  weft_error_t err = {0};
  if (weft_instance_invoke(inst, name, args, nargs, &r, 1, &err) < 0)
    fail_msg("%s: %s", name, err.msg);
}

#define I32(v) {.type = WEFT_I32, .of.i32 = (int32_t)(v)}
#define I64(v) {.type = WEFT_I64, .of.i64 = (int64_t)(v)}

/* Each way the guest writes, alone, then one reset. Each writes chunks
 * no other one does (with what is there in the image for some), so any
 * one left unmarked fails here. */
static void test_tracked_guest_writes(void **state) {
  (void)state;
  track = load_guest(tengine, "track_writes");
  weft_instance_t *ref = tfresh(tlinker, track), *inst = tfresh(tlinker, track);
  size_t size;
  assert_memory_equal(raw(ref, &size) + 1024, "hello", 5);
  static const struct {
    const char *fn, *what;
    weft_core_val_t args[3];
    size_t nargs;
  } writes[] = {
      {"store32", "i32.store", {I32(0x2010), I32(0xdeadbeef)}, 2},
      {"store64", "i64.store", {I32(0x3008), I64(0x1122334455667788)}, 2},
      {"store8", "i32.store8", {I32(0x4005), I32(0x99)}, 2},
      {"store16", "i32.store16 across chunks", {I32(0x4fff), I32(0xabcd)}, 2},
      {"store64", "i64.store across chunks",
       {I32(0x5ffc), I64(0x0102030405060708)}, 2},
      {"store64", "i64.store across chunks, one byte before",
       {I32(0x6fff), I64(-1)}, 2},
      {"store64_32", "i64.store32", {I32(0x7000), I64(0x55aa55aa)}, 2},
      {"storef64", "f64.store", {I32(0x7ffa), {.type = WEFT_F64,
                                               .of.f64 = 3.25}}, 2},
      {"store32_off", "i32.store offset=0x3000", {I32(0x8000), I32(7)}, 2},
      {"store32", "a store into an image chunk", {I32(1024), I32(0x21)}, 2},
      {"fill", "memory.fill", {I32(0x9800), I32(0xee), I32(0x1000)}, 3},
      {"copy", "memory.copy", {I32(0xc010), I32(70000), I32(11)}, 3},
      {"init", "memory.init", {I32(0xdffc), I32(0), I32(40)}, 3},
      {"random", "WASI random_get", {I32(0x10100), I32(0x2100)}, 2},
  };
  for (int round = 0; round < 2; round++)
    for (size_t i = 0; i < sizeof writes / sizeof *writes; i++) {
      tinvoke(inst, writes[i].fn, writes[i].args, writes[i].nargs);
      reset_checked(inst, 1, writes[i].what);
      same_memory(inst, ref, writes[i].what);
    }

  /* Writes in grown pages: gone, and the pages zero when grown again. */
  weft_core_val_t two = I32(2), at[3] = {I32(0x21234), I32(0x77777777)};
  tinvoke(inst, "grow", &two, 1);
  tinvoke(inst, "store32", at, 2);
  weft_core_val_t fill[3] = {I32(0x30000), I32(1), I32(0x100)};
  tinvoke(inst, "fill", fill, 3);
  reset_checked(inst, 1, "writes in grown pages");
  same_memory(inst, ref, "writes in grown pages");
  tinvoke(inst, "grow", &two, 1);
  uint8_t *mem = raw(inst, &size);
  assert_int_equal(size, 4 * 65536);
  for (size_t i = 2 * 65536; i < size; i++)
    if (mem[i])
      fail_msg("grown byte %#zx is %#x after a reset", i, mem[i]);
  weft_error_t err = {0};
  assert_int_equal(weft_instance_reset(inst, &err), 0);
  same_memory(inst, ref, "growing again");

  /* A store that faults past the memory leaves nothing to undo. */
  weft_core_val_t oob[2] = {I32(2 * 65536 - 2), I32(1)};
  assert_int_equal(weft_instance_invoke(inst, "store32", oob, 2, NULL, 0,
                                        &err), WEFT_ETRAP);
  reset_checked(inst, 1, "a faulting store");
  same_memory(inst, ref, "a faulting store");
  weft_instance_free(inst);
  weft_instance_free(ref);
}

/* The public pointer: the next reset rewrites everything, the one after
 * only what was marked again. */
static void test_tracked_public_pointer(void **state) {
  (void)state;
  weft_instance_t *ref = tfresh(tlinker, track), *inst = tfresh(tlinker, track);
  size_t size;
  uint8_t *mem = weft_instance_memory(inst, NULL, &size);
  memset(mem + 0x14000, 0x77, 100);
  reset_checked(inst, 0, "weft_instance_memory");
  same_memory(inst, ref, "weft_instance_memory");
  weft_core_val_t a[2] = {I32(0x2010), I32(5)};
  tinvoke(inst, "store32", a, 2);
  reset_checked(inst, 1, "a store after weft_instance_memory");
  same_memory(inst, ref, "a store after weft_instance_memory");
  weft_instance_free(inst);
  weft_instance_free(ref);
}

/* A memory bound into another instance, whose writes are not marked in
 * it: every reset rewrites all of it. */
static void test_tracked_shared_memory(void **state) {
  (void)state;
  weft_instance_t *ref = tfresh(tlinker, track), *lib = tfresh(tlinker, track);
  weft_linker_t *l = weft_linker_new(tengine);
  weft_error_t err = {0};
  assert_int_equal(weft_linker_define_instance(l, "lib", lib, &err), 0);
  timport = load_guest(tengine, "memimport");
  weft_instance_t *user = weft_instance_new(l, timport, NULL, &err);
  if (!user)
    fail_msg("%s", err.msg);
  for (int round = 0; round < 2; round++) {
    weft_core_val_t a[2] = {I32(0x1a000), I64(42)};
    tinvoke(user, "put", a, 2);
    reset_checked(lib, 0, "a store through an import");
    same_memory(lib, ref, "a store through an import");
  }
  weft_instance_free(user);
  weft_linker_free(l);
  weft_instance_free(lib);
  weft_instance_free(ref);
}

/* The canonical ABI lowers a string into guest memory (cabi_realloc in
 * the guest, then a host copy): the chunks only the host wrote too. */
static void test_tracked_cabi_lowering(void **state) {
  (void)state;
  techo = load_guest(tengine, "echo");
  weft_instance_t *ref = tfresh(elinker, techo);
  weft_instance_t *inst = tfresh(elinker, techo);
  size_t n = 3 * 4096 + 100;
  char *text = malloc(n + 32), *out = NULL;
  assert_non_null(text);
  memcpy(text, "echo-string(\"", 13);
  memset(text + 13, 'q', n);
  memcpy(text + 13 + n, "\")", 3);
  weft_error_t err = {0};
  for (int round = 0; round < 2; round++) {
    if (weft_instance_invoke(inst, "_initialize", NULL, 0, NULL, 0, &err) < 0
        || weft_call_wave(inst, text, &out, &err) < 0)
      fail_msg("%s", err.msg);
    assert_int_equal(strlen(out), n + 2);
    free(out);
    reset_checked(inst, 1, "lowering a string");
    same_memory(inst, ref, "lowering a string");
  }
  free(text);
  weft_instance_free(inst);
  weft_instance_free(ref);
}

/* ---- reactors: _initialize once ----------------------------------------- */

/* A reactor whose _initialize writes memory (a chunk the image has, one it
 * has not, a fill, a grown page), globals and a table element, counts its
 * runs in $inits, then does what `%s` says (a call to an import, a trap,
 * or nothing). Its other exports are those look() and scribble need;
 * "scribble" calls imports too, to show they are bound again after the
 * probe. */
static const char reactor_wat[] =
    "(module\n"
    "  (import \"wasi_snapshot_preview1\" \"random_get\"\n"
    "    (func $random (param i32 i32) (result i32)))\n"
    "  (import \"wasi_snapshot_preview1\" \"clock_res_get\"\n"
    "    (func $res (param i32 i32) (result i32)))\n"
    "  (import \"env\" \"note\" (func $note (param i32) (result i32)))\n"
    "  (import \"lib\" \"bump\" (func $bump (result i32)))\n"
    "  (memory (export \"memory\") 2 10)\n"
    "  (table $t 2 10 funcref)\n"
    "  (global $g (export \"g\") (mut i32) (i32.const 7))\n"
    "  (global $h (mut i64) (i64.const 100))\n"
    "  (global $inits (mut i32) (i32.const 0))\n"
    "  (data (i32.const 1024) \"hello\")\n"
    "  (elem (i32.const 0) $one)\n"
    "  (elem declare func $two $note)\n"
    "  (func $one (result i32) (i32.const 1))\n"
    "  (func $two (result i32) (i32.const 2))\n"
    "  (func (export \"_initialize\")\n"
    "    (global.set $inits (i32.add (global.get $inits) (i32.const 1)))\n"
    "    (global.set $g (i32.const 8))\n"
    "    (global.set $h (i64.const 200))\n"
    "    (i32.store (i32.const 0x5000) (i32.const 0x11223344))\n"
    "    (i32.store8 (i32.const 1024) (i32.const 72))\n"
    "    (memory.fill (i32.const 0x8000) (i32.const 0x33) (i32.const 0x2000))\n"
    "    (drop (memory.grow (i32.const 1)))\n"
    "    (i32.store (i32.const 0x20010) (i32.const 0x55))\n"
    "    (table.set $t (i32.const 1) (ref.func $two))\n"
    "    %s\n"
    "    (i32.store (i32.const 0xa000) (i32.const 0x66)))\n"
    "  (func (export \"inits\") (result i32) (global.get $inits))\n"
    "  (func (export \"scribble\") (param i32)\n"
    "    (drop (call $random (i32.const 0x100) (i32.const 0x3000)))\n"
    "    (drop (call $note (i32.const 1)))\n"
    "    (memory.fill (i32.const 0x6000) (i32.const 0xab) (i32.const 0x7000))\n"
    "    (drop (memory.grow (local.get 0)))\n"
    "    (memory.fill (i32.const 0x1e000) (i32.const 0xcd)\n"
    "      (i32.sub (i32.mul (memory.size) (i32.const 65536))\n"
    "               (i32.const 0x1e000)))\n"
    "    (global.set $g (i32.const 99))\n"
    "    (global.set $h (i64.const -5))\n"
    "    (global.set $inits (i32.const 50))\n"
    "    (table.set $t (i32.const 0) (ref.func $two))\n"
    "    (table.set $t (i32.const 1) (ref.func $one))\n"
    "    (drop (table.grow $t (ref.func $two) (i32.const 3))))\n"
    "  (func (export \"store32\") (param i32 i32)\n"
    "    (i32.store (local.get 0) (local.get 1)))\n"
    "  (func (export \"size\") (result i32) (memory.size))\n"
    "  (func (export \"tsize\") (result i32) (table.size $t))\n"
    "  (func (export \"h\") (result i64) (global.get $h))\n"
    "  (func (export \"load\") (param i32) (result i32)\n"
    "    (i32.load8_u (local.get 0)))\n"
    "  (func (export \"call\") (param i32) (result i32)\n"
    "    (call_indirect $t (result i32) (local.get 0))))\n";

/* Exports "bump" to the reactors: counts its calls in "n", returns 42. */
static const char lib_wat[] =
    "(module\n"
    "  (global $n (export \"n\") (mut i32) (i32.const 0))\n"
    "  (func (export \"bump\") (result i32)\n"
    "    (global.set $n (i32.add (global.get $n) (i32.const 1)))\n"
    "    (i32.const 42)))\n";

static const struct {
  const char *name, *body;
  int once;    /* expected: _initialize runs once */
  int trap;    /* expected: it traps */
  int counted; /* it calls env.note or lib.bump */
} reactors[] = {
    {"pure", "", 1, 0, 0},
    {"wasi", "(drop (call $res (i32.const 1) (i32.const 0x9000)))", 0, 0,
     0},
    {"host", "(i32.store (i32.const 0x9100) (call $note (i32.const 5)))", 0,
     0, 1},
    {"indirect",
     "(table.set $t (i32.const 1) (ref.func $note))\n"
     "    (i32.store (i32.const 0x9100)\n"
     "      (call_indirect $t (param i32) (result i32) (i32.const 5)\n"
     "                                                 (i32.const 1)))\n"
     "    (table.set $t (i32.const 1) (ref.func $two))",
     0, 0, 1},
    {"instance", "(i32.store (i32.const 0x9200) (call $bump))", 0, 0, 1},
    {"trap", "(unreachable)", 0, 1, 0},
};

static int notes; /* calls of env.note */

static void note(weft_caller_t *caller, void *env,
                 const weft_core_val_t *args, weft_core_val_t *results) {
  (void)caller;
  (void)env;
  notes++;
  results[0].type = WEFT_I32;
  results[0].of.i32 = args[0].of.i32 + 1;
}

static int32_t bumps(weft_instance_t *lib) {
  weft_core_val_t n;
  weft_error_t err = {0};
  assert_int_equal(weft_instance_global_get(lib, "n", &n, &err), 0);
  return n.of.i32;
}

/* Every reactor on engine `e` (tracked or not). */
static void check_reactors(weft_engine_t *e, int tracked) {
  weft_error_t err = {0};
  weft_wasi_config_t wasi = {.stdin_fd = -1, .stdout_fd = 1, .stderr_fd = 2};
  weft_module_t *libm = build_in(e, tracked ? "lib_t" : "lib", lib_wat);
  assert_non_null(libm);
  weft__rt_install_handlers();
  weft_instance_t *lib = weft_instance_new(NULL, libm, NULL, &err);
  weft_linker_t *l = weft_linker_new(e);
  if (!lib || weft_linker_define_wasi(l, &wasi, &err) < 0 ||
      weft_linker_define_func(l, "env", "note", "i:i", note, NULL, &err) < 0
      || weft_linker_define_instance(l, "lib", lib, &err) < 0)
    fail_msg("%s", err.msg);
  for (size_t v = 0; v < sizeof reactors / sizeof *reactors; v++) {
    char wat[8192], name[64];
    snprintf(wat, sizeof wat, reactor_wat, reactors[v].body);
    snprintf(name, sizeof name, "reactor_%s%s", reactors[v].name,
             tracked ? "_t" : "");
    weft_module_t *m = build_in(e, name, wat);
    assert_non_null(m);
    weft__rt_install_handlers();
    weft_instance_t *ref = weft_instance_new(l, m, NULL, &err);
    weft_instance_t *inst = weft_instance_new(l, m, NULL, &err);
    if (!ref || !inst)
      fail_msg("%s: %s", name, err.msg);
    assert_non_null(inst->image);
    if (reactors[v].trap) {
      assert_int_equal(weft__instance_initialize(inst, &err), WEFT_ETRAP);
      assert_int_not_equal(inst->init_mode, WEFT__INIT_ONCE);
      assert_false(inst->initialized);
      weft_instance_free(inst);
      weft_instance_free(ref);
      weft_module_free(m);
      continue;
    }
    /* The reference: fresh, _initialize run by name. */
    int calls0 = notes + bumps(lib);
    assert_int_equal(
        weft_instance_invoke(ref, "_initialize", NULL, 0, NULL, 0, &err), 0);
    int per_init = notes + bumps(lib) - calls0;
    assert_int_equal(per_init, reactors[v].counted);
    /* The probe: an import it calls is called once, for real. */
    calls0 = notes + bumps(lib);
    assert_int_equal(weft__instance_initialize(inst, &err), 0);
    assert_int_equal(notes + bumps(lib) - calls0, per_init);
    assert_int_equal(inst->init_mode, reactors[v].once ? WEFT__INIT_ONCE
                                                       : WEFT__INIT_EVERY);
    assert_true(inst->initialized);
    assert_int_equal(weft__instance_initialize(inst, &err), 0); /* no-op */
    assert_int_equal(notes + bumps(lib) - calls0, per_init);
    if (tracked) { /* the image taken again left the map clear */
      same_bytes(inst, ref, reactors[v].once, name);
      reset_checked(inst, 1, name);
      assert_int_equal(weft__instance_initialize(inst, &err), 0);
      same_bytes(inst, ref, reactors[v].once, name);
    }
    seen_t want, got;
    look(ref, 1, &want);
    assert_int_equal(want.g, 8);
    assert_int_equal(want.h, 200);
    assert_int_equal(want.pages, 3);
    assert_int_equal(want.mem[1024], 'H');
    assert_int_equal(want.mem[0x20010], 0x55);
    assert_int_equal(want.mem[0xa000], 0x66);
    assert_int_equal(want.calls[1], 2);
    static const int32_t grows[] = {1, 0, 3};
    for (int round = 0; round < 3; round++) {
      weft_core_val_t a = I32(grows[round]);
      int notes0 = notes;
      tinvoke(inst, "scribble", &a, 1);
      assert_int_equal(notes, notes0 + 1); /* imports bound again */
      if (tracked) {
        weft_core_val_t st[2] = {I32(0x2010), I32(5)};
        tinvoke(inst, "store32", st, 2);
      }
      calls0 = notes + bumps(lib);
      assert_int_equal(weft_instance_reset(inst, &err), 0);
      assert_int_equal(inst->initialized, reactors[v].once);
      assert_int_equal(weft__instance_initialize(inst, &err), 0);
      assert_true(inst->initialized);
      assert_int_equal(notes + bumps(lib) - calls0, per_init);
      assert_int_equal(must(inst, "inits", 0, 0), 1);
      if (tracked)
        same_bytes(inst, ref, reactors[v].once, name);
      look(inst, 1, &got);
      same(&got, &want);
      free(got.mem);
    }
    free(want.mem);
    weft_instance_free(inst);
    weft_instance_free(ref);
    weft_module_free(m);
  }
  weft_linker_free(l);
  weft_instance_free(lib);
  weft_module_free(libm);
}

static void test_reactors(void **state) {
  (void)state;
  check_reactors(engine, 0);
}

static void test_tracked_reactors(void **state) {
  (void)state;
  check_reactors(tengine, 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_replayed),
      cmocka_unit_test(test_instantiated_again),
      cmocka_unit_test(test_idempotent),
      cmocka_unit_test(test_reactors),
  };
  const struct CMUnitTest tracked[] = {
      cmocka_unit_test(test_tracked_guest_writes),
      cmocka_unit_test(test_tracked_public_pointer),
      cmocka_unit_test(test_tracked_shared_memory),
      cmocka_unit_test(test_tracked_cabi_lowering),
      cmocka_unit_test(test_tracked_reactors),
  };
  int failed = cmocka_run_group_tests(tests, setup, teardown);
  return failed + cmocka_run_group_tests(tracked, track_setup,
                                         track_teardown);
}

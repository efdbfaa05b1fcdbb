/* wasi_reset_test.c - WASI state across weft_instance_reset (the state's
 * reset operation in src/wasi/wasi.c): stdio and the preopened directory
 * come back as they were made, whatever the guest closed, moved or
 * changed; what the guest opened is closed (no host descriptor leaks over
 * many resets). The guest, embedded below, calls WASI directly:
 *
 * (module
 *   (import "wasi_snapshot_preview1" "fd_close"
 *     (func $close (param i32) (result i32)))
 *   (import "wasi_snapshot_preview1" "fd_renumber"
 *     (func $renumber (param i32 i32) (result i32)))
 *   (import "wasi_snapshot_preview1" "path_open"
 *     (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
 *   (import "wasi_snapshot_preview1" "fd_prestat_get"
 *     (func $prestat (param i32 i32) (result i32)))
 *   (import "wasi_snapshot_preview1" "fd_fdstat_get"
 *     (func $fdstat (param i32 i32) (result i32)))
 *   (import "wasi_snapshot_preview1" "fd_fdstat_set_flags"
 *     (func $setfl (param i32 i32) (result i32)))
 *   (memory (export "memory") 1)
 *   (data (i32.const 16) "f")
 *   (func (export "close") (param i32) (result i32)
 *     (call $close (local.get 0)))
 *   (func (export "renumber") (param i32 i32) (result i32)
 *     (call $renumber (local.get 0) (local.get 1)))
 *   ;; open "f" in dir fd: the new fd, or -errno
 *   (func (export "open") (param i32) (result i32) (local $e i32)
 *     (local.set $e (call $open (local.get 0) (i32.const 0) (i32.const 16)
 *       (i32.const 1) (i32.const 0) (i64.const -1) (i64.const -1) (i32.const 0)
 *       (i32.const 32)))
 *     (if (result i32) (local.get $e)
 *       (then (i32.sub (i32.const 0) (local.get $e)))
 *       (else (i32.load (i32.const 32)))))
 *   (func (export "prestat") (param i32) (result i32)
 *     (call $prestat (local.get 0) (i32.const 64)))
 *   ;; the filetype of fd, or -errno
 *   (func (export "type") (param i32) (result i32) (local $e i32)
 *     (local.set $e (call $fdstat (local.get 0) (i32.const 64)))
 *     (if (result i32) (local.get $e)
 *       (then (i32.sub (i32.const 0) (local.get $e)))
 *       (else (i32.load8_u (i32.const 64)))))
 *   ;; the fdflags of fd
 *   (func (export "flags") (param i32) (result i32)
 *     (drop (call $fdstat (local.get 0) (i32.const 64)))
 *     (i32.load16_u (i32.const 66)))
 *   (func (export "setfl") (param i32 i32) (result i32)
 *     (call $setfl (local.get 0) (local.get 1))))
 */
#include <dirent.h>
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

#include "util/util.h"
#include "wasi/wasi_int.h"
#include "weft.h"

static const uint8_t guest_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x19, 0x03, 0x60,
    0x01, 0x7f, 0x01, 0x7f, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f, 0x60, 0x09,
    0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7e, 0x7e, 0x7f, 0x7f, 0x01, 0x7f, 0x02,
    0xe7, 0x01, 0x06, 0x16, 0x77, 0x61, 0x73, 0x69, 0x5f, 0x73, 0x6e, 0x61,
    0x70, 0x73, 0x68, 0x6f, 0x74, 0x5f, 0x70, 0x72, 0x65, 0x76, 0x69, 0x65,
    0x77, 0x31, 0x08, 0x66, 0x64, 0x5f, 0x63, 0x6c, 0x6f, 0x73, 0x65, 0x00,
    0x00, 0x16, 0x77, 0x61, 0x73, 0x69, 0x5f, 0x73, 0x6e, 0x61, 0x70, 0x73,
    0x68, 0x6f, 0x74, 0x5f, 0x70, 0x72, 0x65, 0x76, 0x69, 0x65, 0x77, 0x31,
    0x0b, 0x66, 0x64, 0x5f, 0x72, 0x65, 0x6e, 0x75, 0x6d, 0x62, 0x65, 0x72,
    0x00, 0x01, 0x16, 0x77, 0x61, 0x73, 0x69, 0x5f, 0x73, 0x6e, 0x61, 0x70,
    0x73, 0x68, 0x6f, 0x74, 0x5f, 0x70, 0x72, 0x65, 0x76, 0x69, 0x65, 0x77,
    0x31, 0x09, 0x70, 0x61, 0x74, 0x68, 0x5f, 0x6f, 0x70, 0x65, 0x6e, 0x00,
    0x02, 0x16, 0x77, 0x61, 0x73, 0x69, 0x5f, 0x73, 0x6e, 0x61, 0x70, 0x73,
    0x68, 0x6f, 0x74, 0x5f, 0x70, 0x72, 0x65, 0x76, 0x69, 0x65, 0x77, 0x31,
    0x0e, 0x66, 0x64, 0x5f, 0x70, 0x72, 0x65, 0x73, 0x74, 0x61, 0x74, 0x5f,
    0x67, 0x65, 0x74, 0x00, 0x01, 0x16, 0x77, 0x61, 0x73, 0x69, 0x5f, 0x73,
    0x6e, 0x61, 0x70, 0x73, 0x68, 0x6f, 0x74, 0x5f, 0x70, 0x72, 0x65, 0x76,
    0x69, 0x65, 0x77, 0x31, 0x0d, 0x66, 0x64, 0x5f, 0x66, 0x64, 0x73, 0x74,
    0x61, 0x74, 0x5f, 0x67, 0x65, 0x74, 0x00, 0x01, 0x16, 0x77, 0x61, 0x73,
    0x69, 0x5f, 0x73, 0x6e, 0x61, 0x70, 0x73, 0x68, 0x6f, 0x74, 0x5f, 0x70,
    0x72, 0x65, 0x76, 0x69, 0x65, 0x77, 0x31, 0x13, 0x66, 0x64, 0x5f, 0x66,
    0x64, 0x73, 0x74, 0x61, 0x74, 0x5f, 0x73, 0x65, 0x74, 0x5f, 0x66, 0x6c,
    0x61, 0x67, 0x73, 0x00, 0x01, 0x03, 0x08, 0x07, 0x00, 0x01, 0x00, 0x00,
    0x00, 0x00, 0x01, 0x05, 0x03, 0x01, 0x00, 0x01, 0x07, 0x45, 0x08, 0x06,
    0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, 0x05, 0x63, 0x6c, 0x6f,
    0x73, 0x65, 0x00, 0x06, 0x08, 0x72, 0x65, 0x6e, 0x75, 0x6d, 0x62, 0x65,
    0x72, 0x00, 0x07, 0x04, 0x6f, 0x70, 0x65, 0x6e, 0x00, 0x08, 0x07, 0x70,
    0x72, 0x65, 0x73, 0x74, 0x61, 0x74, 0x00, 0x09, 0x04, 0x74, 0x79, 0x70,
    0x65, 0x00, 0x0a, 0x05, 0x66, 0x6c, 0x61, 0x67, 0x73, 0x00, 0x0b, 0x05,
    0x73, 0x65, 0x74, 0x66, 0x6c, 0x00, 0x0c, 0x0a, 0x7f, 0x07, 0x06, 0x00,
    0x20, 0x00, 0x10, 0x00, 0x0b, 0x08, 0x00, 0x20, 0x00, 0x20, 0x01, 0x10,
    0x01, 0x0b, 0x2a, 0x01, 0x01, 0x7f, 0x20, 0x00, 0x41, 0x00, 0x41, 0x10,
    0x41, 0x01, 0x41, 0x00, 0x42, 0x7f, 0x42, 0x7f, 0x41, 0x00, 0x41, 0x20,
    0x10, 0x02, 0x21, 0x01, 0x20, 0x01, 0x04, 0x7f, 0x41, 0x00, 0x20, 0x01,
    0x6b, 0x05, 0x41, 0x20, 0x28, 0x02, 0x00, 0x0b, 0x0b, 0x09, 0x00, 0x20,
    0x00, 0x41, 0xc0, 0x00, 0x10, 0x03, 0x0b, 0x1e, 0x01, 0x01, 0x7f, 0x20,
    0x00, 0x41, 0xc0, 0x00, 0x10, 0x04, 0x21, 0x01, 0x20, 0x01, 0x04, 0x7f,
    0x41, 0x00, 0x20, 0x01, 0x6b, 0x05, 0x41, 0xc0, 0x00, 0x2d, 0x00, 0x00,
    0x0b, 0x0b, 0x10, 0x00, 0x20, 0x00, 0x41, 0xc0, 0x00, 0x10, 0x04, 0x1a,
    0x41, 0xc2, 0x00, 0x2f, 0x01, 0x00, 0x0b, 0x08, 0x00, 0x20, 0x00, 0x20,
    0x01, 0x10, 0x05, 0x0b, 0x0b, 0x07, 0x01, 0x00, 0x41, 0x10, 0x0b, 0x01,
    0x66};

typedef struct fixture {
  weft_engine_t *engine;
  weft_module_t *module;
  weft_linker_t *linker;
  weft_instance_t *inst;
  char dir[64];
  int in, out, err[2]; /* stdin, stdout: files; stderr: a pipe */
} fixture_t;

static fixture_t fx;

static int setup(void **state) {
  (void)state;
  const char *b = getenv("BUILD");
  char cache[4096], path[128];
  snprintf(cache, sizeof cache, "%s/test-cache", b ? b : "build");
  snprintf(fx.dir, sizeof fx.dir, "/tmp/weft-wasi-reset-XXXXXX");
  if (!mkdtemp(fx.dir))
    return -1;
  snprintf(path, sizeof path, "%s/f", fx.dir);
  if (weft__write_file_atomic(path, "x", 1, NULL) < 0)
    return -1;
  snprintf(path, sizeof path, "%s/in", fx.dir);
  fx.in = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  snprintf(path, sizeof path, "%s/out", fx.dir);
  fx.out = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fx.in < 0 || fx.out < 0 || pipe(fx.err) < 0)
    return -1;
  weft_error_t err = {0};
  weft_engine_config_t cfg = {.cache_dir = cache, .opt_level = -1};
  const char *host[] = {fx.dir}, *guest[] = {"/d"};
  weft_wasi_config_t wc = {.ndirs = 1,
                           .dir_host = host,
                           .dir_guest = guest,
                           .stdin_fd = fx.in,
                           .stdout_fd = fx.out,
                           .stderr_fd = fx.err[1]};
  if (!(fx.engine = weft_engine_new(&cfg, &err)) ||
      !(fx.module = weft_module_load_bytes(fx.engine, guest_wasm,
                                           sizeof guest_wasm, "wreset",
                                           &err)) ||
      !(fx.linker = weft_linker_new(fx.engine)) ||
      weft_linker_define_wasi(fx.linker, &wc, &err) < 0 ||
      !(fx.inst = weft_instance_new(fx.linker, fx.module, NULL, &err))) {
    fprintf(stderr, "%s\n", err.msg);
    return -1;
  }
  return 0;
}

static int teardown(void **state) {
  (void)state;
  char cmd[128];
  weft_instance_free(fx.inst);
  weft_linker_free(fx.linker);
  weft_module_free(fx.module);
  weft_engine_free(fx.engine);
  close(fx.in);
  close(fx.out);
  close(fx.err[0]);
  close(fx.err[1]);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx.dir);
  return system(cmd) == 0 ? 0 : -1;
}

/* Call export `name` with one or two i32 arguments; its i32 result. */
static int32_t call(const char *name, int nargs, int32_t a, int32_t b) {
  weft_core_val_t args[2] = {{.type = WEFT_I32}, {.type = WEFT_I32}}, r[1];
  weft_error_t err = {0};
  args[0].of.i32 = a;
  args[1].of.i32 = b;
  if (weft_instance_invoke(fx.inst, name, args, (size_t)nargs, r, 1, &err) <
      0)
    fail_msg("%s: %s", name, err.msg);
  return r[0].of.i32;
}

static void reset(void) {
  weft_error_t err = {0};
  if (weft_instance_reset(fx.inst, &err) < 0)
    fail_msg("reset: %s", err.msg);
}

static int open_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  int n = 0;
  if (!d)
    return -1;
  while (readdir(d))
    n++;
  closedir(d);
  return n;
}

/* As made: stdin and stdout regular files, stderr a pipe, /d at 3. */
static void expect_as_made(void) {
  assert_int_equal(call("type", 1, 0, 0), WASI_FILETYPE_REGULAR_FILE);
  assert_int_equal(call("flags", 1, 0, 0), 0);
  assert_int_equal(call("type", 1, 1, 0), WASI_FILETYPE_REGULAR_FILE);
  assert_int_equal(call("type", 1, 2, 0), WASI_FILETYPE_UNKNOWN);
  assert_int_equal(call("prestat", 1, 3, 0), 0);
  assert_int_equal(call("type", 1, 3, 0), WASI_FILETYPE_DIRECTORY);
  assert_int_equal(call("type", 1, 4, 0), -(int32_t)WASI_EBADF);
}

/* Everything the guest may do to its table is undone by a reset. */
static void test_reset_restores(void **state) {
  (void)state;
  expect_as_made();
  int32_t fd = call("open", 1, 3, 0);
  assert_true(fd >= 4);
  assert_int_equal(call("setfl", 2, 0, 1 /* append */), 0);
  assert_int_equal(call("flags", 1, 0, 0), 1);
  assert_int_equal(call("renumber", 2, fd, 2), 0); /* over stderr */
  assert_int_equal(call("renumber", 2, 3, 1), 0);  /* the preopen over 1 */
  assert_int_equal(call("type", 1, 1, 0), WASI_FILETYPE_DIRECTORY);
  assert_int_equal(call("prestat", 1, 3, 0), WASI_EBADF);
  reset();
  expect_as_made();
  assert_int_equal(fcntl(fx.in, F_GETFL) & O_APPEND, 0);
  /* A reset after which nothing changed keeps it all, again. */
  reset();
  expect_as_made();
  assert_int_equal(call("close", 1, 3, 0), 0);
  assert_int_equal(call("close", 1, 0, 0), 0);
  reset();
  expect_as_made();
}

/* What the guest opens is closed by the reset, the preopen is not. */
static void test_reset_no_leak(void **state) {
  (void)state;
  reset();
  int before = open_fds();
  for (int i = 0; i < 100; i++) {
    assert_true(call("open", 1, 3, 0) >= 4);
    assert_true(call("open", 1, 3, 0) >= 5);
    if (i % 10 == 0)
      assert_int_equal(call("close", 1, 3, 0), 0);
    reset();
  }
  assert_int_equal(open_fds(), before);
  expect_as_made();
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_reset_restores),
      cmocka_unit_test(test_reset_no_leak),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

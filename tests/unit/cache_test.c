/* cache_test.c - the compile cache: one entry per module, hits do not
 * recompile, damaged entries are rebuilt, concurrent loaders agree, and
 * the key separates tool identities. */
#include <dirent.h>
#include <pthread.h>
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

#include "engine/engine_int.h"

static char dir[64];
static char module_path[4096];

/* Count the compiled entries (*.so) under the cache directory. */
static int count_entries(void) {
  int n = 0;
  DIR *d = opendir(dir);
  struct dirent *de;
  while (d && (de = readdir(d)) != NULL) {
    if (strlen(de->d_name) != 2 || de->d_name[0] == '.')
      continue;
    char sub[128];
    if (snprintf(sub, sizeof sub, "%s/%.2s", dir, de->d_name) >=
        (int)sizeof sub)
      continue;
    DIR *s = opendir(sub);
    struct dirent *e2;
    while (s && (e2 = readdir(s)) != NULL) {
      size_t len = strlen(e2->d_name);
      n += len > 3 && !strcmp(e2->d_name + len - 3, ".so");
    }
    if (s)
      closedir(s);
  }
  if (d)
    closedir(d);
  return n;
}

static int setup(void **state) {
  (void)state;
  const char *b = getenv("BUILD");
  snprintf(module_path, sizeof module_path, "%s/guests/traps.wasm",
           b ? b : "build");
  snprintf(dir, sizeof dir, "/tmp/weft-cache-test.XXXXXX");
  return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd);
}

static weft_engine_t *engine(void) {
  weft_engine_config_t cfg = {.cache_dir = dir, .opt_level = 0};
  weft_error_t err = {0};
  weft_engine_t *e = weft_engine_new(&cfg, &err);
  assert_non_null(e);
  return e;
}

static void test_hit_does_not_recompile(void **state) {
  (void)state;
  weft_engine_t *e = engine();
  weft_error_t err = {0};
  weft_module_t *m = weft_module_load_file(e, module_path, &err);
  assert_non_null(m);
  assert_int_equal(count_entries(), 1);
  uint8_t *bytes;
  size_t len;
  assert_int_equal(weft__read_file(module_path, &bytes, &len, &err), 0);
  char sha[65];
  weft__sha256_hex(bytes, len, sha);
  free(bytes);
  char *so = weft__cache_path(e, sha, ".so");
  struct stat a, b;
  assert_int_equal(stat(so, &a), 0);
  weft_module_free(m);
  m = weft_module_load_file(e, module_path, &err);
  assert_non_null(m);
  assert_int_equal(stat(so, &b), 0);
  assert_int_equal(a.st_ino, b.st_ino); /* same file: not rebuilt */

  /* A damaged entry (truncated) is detected and rebuilt. */
  weft_module_free(m);
  assert_int_equal(truncate(so, 512), 0);
  m = weft_module_load_file(e, module_path, &err);
  assert_non_null(m);
  assert_int_equal(stat(so, &b), 0);
  assert_true(b.st_size > 512);
  weft_module_free(m);
  free(so);
  weft_engine_free(e);
}

static void test_key_separates_tools(void **state) {
  (void)state;
  weft_engine_t *e = engine();
  char *a = weft__cache_path(e, "00", ".so");
  snprintf(e->tool_id, sizeof e->tool_id, "another-cc;wasm2c;-O0");
  char *b = weft__cache_path(e, "00", ".so");
  assert_string_not_equal(a, b);
  free(a);
  free(b);
  weft_engine_free(e);
}

static void *loader(void *arg) {
  weft_engine_t *e = arg;
  weft_error_t err = {0};
  weft_module_t *m = weft_module_load_file(e, module_path, &err);
  if (!m)
    return (void *)1;
  weft_instance_t *inst = weft_instance_new(NULL, m, NULL, &err);
  weft_core_val_t a[2] = {{.type = WEFT_I32}, {.type = WEFT_I32}}, r;
  a[0].of.i32 = 2;
  a[1].of.i32 = 3;
  intptr_t bad = !inst ||
                 weft_instance_invoke(inst, "add", a, 2, &r, 1, &err) != 0 ||
                 r.of.i32 != 5;
  weft_instance_free(inst);
  weft_module_free(m);
  return (void *)bad;
}

static void test_concurrent_loads(void **state) {
  (void)state;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'/*", dir);
  assert_int_equal(system(cmd), 0);
  weft_engine_t *e = engine();
  enum { N = 4 };
  pthread_t t[N];
  for (int i = 0; i < N; i++)
    assert_int_equal(pthread_create(&t[i], NULL, loader, e), 0);
  for (int i = 0; i < N; i++) {
    void *res;
    pthread_join(t[i], &res);
    assert_int_equal((intptr_t)res, 0);
  }
  assert_int_equal(count_entries(), 1);
  weft_engine_free(e);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hit_does_not_recompile),
      cmocka_unit_test(test_key_separates_tools),
      cmocka_unit_test(test_concurrent_loads),
  };
  return cmocka_run_group_tests_name("cache", tests, setup, teardown);
}

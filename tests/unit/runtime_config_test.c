/* runtime_config_test.c - the runtime config file (src/app/runtime_config.c):
 * a file using every kind of store, paths joined to the file's directory
 * and the default path of a SQLite store, an empty file, a missing file,
 * and the corpus of bad files in tests/runtime-configs/bad/ (each names its
 * one expected message on its first line, "# error: <message>", the file
 * being named as it is opened from that directory). Run from the
 * repository root. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "app/runtime_config.h"

#define BAD "tests/runtime-configs/bad/"

static char tmp[256];

/* Write `text` to `name` in the temporary directory; its path in out. */
static const char *write_tmp(const char *name, const char *text, char *out,
                             size_t cap) {
  snprintf(out, cap, "%s/%s", tmp, name);
  FILE *f = fopen(out, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
  return out;
}

static const weft__runtime_kv_t *find(const weft__runtime_config_t *rc,
                                      const char *label) {
  for (size_t i = 0; i < rc->kv_stores_len; i++)
    if (!strcmp(rc->kv_stores[i].label, label))
      return &rc->kv_stores[i];
  return NULL;
}

static void test_full(void **state) {
  (void)state;
  char path[512], want[600];
  weft__runtime_config_t *rc = NULL;
  weft_error_t err = {0};
  write_tmp("runtime-config.toml",
            "# every kind of store\n"
            "[key_value_store.default]\n"
            "type = \"redis\"\n"
            "url = \"redis://127.0.0.1:6379/2\"\n"
            "\n"
            "[key_value_store.user_data]\n"
            "type = \"spin\"\n"
            "path = \"data/user.db\"\n"
            "\n"
            "[key_value_store.abs]\n"
            "type = \"sqlite\"\n"
            "path = \"/var/tmp/abs.db\"\n"
            "\n"
            "[key_value_store.no-path]\n"
            "type = \"sqlite\"\n",
            path, sizeof path);
  if (weft__runtime_config_load(path, &rc, &err))
    fail_msg("%s", err.msg);
  assert_string_equal(rc->file, path);
  assert_int_equal(rc->kv_stores_len, 4);
  const weft__runtime_kv_t *k = find(rc, "default");
  assert_non_null(k);
  assert_int_equal(k->backend, WEFT__KV_REDIS);
  assert_string_equal(k->url, "redis://127.0.0.1:6379/2");
  assert_string_equal(k->loc.file, path);
  assert_int_equal(k->loc.line, 2);
  assert_non_null(k = find(rc, "user_data"));
  assert_int_equal(k->backend, WEFT__KV_SQLITE);
  snprintf(want, sizeof want, "%s/data/user.db", tmp);
  assert_string_equal(k->path, want);
  assert_int_equal(k->loc.line, 6);
  assert_non_null(k = find(rc, "abs"));
  assert_string_equal(k->path, "/var/tmp/abs.db");
  assert_non_null(k = find(rc, "no-path"));
  snprintf(want, sizeof want, "%s/.weft/no-path.db", tmp);
  assert_string_equal(k->path, want);
  weft__runtime_config_free(rc);
}

/* A file in the current directory: paths stay relative to it. */
static void test_relative(void **state) {
  (void)state;
  char cwd[1024], path[512];
  weft__runtime_config_t *rc = NULL;
  weft_error_t err = {0};
  write_tmp("rel.toml", "[key_value_store.x]\ntype = \"spin\"\n", path,
            sizeof path);
  assert_non_null(getcwd(cwd, sizeof cwd));
  assert_int_equal(chdir(tmp), 0);
  int rc_load = weft__runtime_config_load("rel.toml", &rc, &err);
  assert_int_equal(chdir(cwd), 0);
  if (rc_load)
    fail_msg("%s", err.msg);
  assert_string_equal(rc->kv_stores[0].path, ".weft/x.db");
  assert_string_equal(rc->kv_stores[0].loc.file, "rel.toml");
  weft__runtime_config_free(rc);
}

static void test_empty_and_missing(void **state) {
  (void)state;
  char path[512];
  weft__runtime_config_t *rc = NULL;
  weft_error_t err = {0};
  write_tmp("empty.toml", "# nothing configured\n", path, sizeof path);
  assert_int_equal(weft__runtime_config_load(path, &rc, &err), 0);
  assert_int_equal(rc->kv_stores_len, 0);
  weft__runtime_config_free(rc);
  snprintf(path, sizeof path, "%s/nowhere.toml", tmp);
  assert_int_equal(weft__runtime_config_load(path, &rc, &err), WEFT_ENOENT);
  assert_null(rc);
  assert_non_null(strstr(err.msg, "nowhere.toml"));
  weft__runtime_config_free(NULL);
}

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Each .toml file in tests/runtime-configs/bad/ fails with the message on
 * its first line. All mismatches are printed before the test fails. */
static void test_bad_corpus(void **state) {
  (void)state;
  DIR *d = opendir(BAD);
  struct dirent *e;
  char *names[256], cwd[1024];
  size_t n = 0, failed = 0;
  assert_non_null(d);
  while ((e = readdir(d)) && n < 256) {
    size_t len = strlen(e->d_name);
    if (len > 5 && !strcmp(e->d_name + len - 5, ".toml"))
      names[n++] = strdup(e->d_name);
  }
  closedir(d);
  qsort(names, n, sizeof *names, by_name);
  assert_true(n >= 15);
  assert_non_null(getcwd(cwd, sizeof cwd));
  assert_int_equal(chdir(BAD), 0);
  for (size_t i = 0; i < n; i++) {
    char first[512] = "";
    FILE *f = fopen(names[i], "r");
    weft__runtime_config_t *rc = NULL;
    weft_error_t err = {0};
    if (!f || !fgets(first, sizeof first, f) ||
        strncmp(first, "# error: ", 9)) {
      print_error("%s: no '# error: ' line\n", names[i]);
      failed++;
    } else {
      first[strcspn(first, "\n")] = 0;
      int rc_load = weft__runtime_config_load(names[i], &rc, &err);
      if (rc_load == 0 || strcmp(err.msg, first + 9)) {
        print_error("%s:\n  want: %s\n  got:  %s\n", names[i], first + 9,
                    rc_load ? err.msg : "(success)");
        failed++;
      }
    }
    if (f)
      fclose(f);
    weft__runtime_config_free(rc);
    free(names[i]);
  }
  assert_int_equal(chdir(cwd), 0);
  print_message("%zu bad runtime configs, %zu mismatched\n", n, failed);
  assert_int_equal(failed, 0);
}

int main(void) {
  snprintf(tmp, sizeof tmp, "/tmp/weft-rc-test.XXXXXX");
  if (!mkdtemp(tmp)) {
    perror("mkdtemp");
    return 1;
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_full),
      cmocka_unit_test(test_relative),
      cmocka_unit_test(test_empty_and_missing),
      cmocka_unit_test(test_bad_corpus),
  };
  int failed = cmocka_run_group_tests(tests, NULL, NULL);
  static const char *const files[] = {"runtime-config.toml", "rel.toml",
                                      "empty.toml"};
  for (size_t i = 0; i < 3; i++) {
    char p[512];
    snprintf(p, sizeof p, "%s/%s", tmp, files[i]);
    unlink(p);
  }
  rmdir(tmp);
  return failed ? 1 : 0;
}

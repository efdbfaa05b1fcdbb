/* manifest_test.c - unit tests for the app manifest (src/app/manifest*.c):
 * a manifest using every key, inline components and their generated ids,
 * variables, loading from a directory, the corpus of bad manifests in
 * tests/manifests/bad/ (each names its one expected message on its first
 * line, "# error: <message>"), and failure of every allocation in turn
 * (glibc builds without sanitizers only). Run from the repository root. */
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

#include "app/manifest.h"

#include "faults.h"

/* ---- helpers ------------------------------------------------------------ */

#define GOOD "tests/manifests/good/"
#define BAD "tests/manifests/bad/"

/* Load `path`, failing the test on error. */
static weft__manifest_t *load_ok(const char *path) {
  weft__manifest_t *m = NULL;
  weft_error_t err;
  memset(&err, 0, sizeof err);
  if (weft__manifest_load(path, &m, &err)) {
    print_error("unexpected error: %s\n", err.msg);
    fail();
  }
  assert_non_null(m);
  return m;
}

/* Parse NUL-terminated `text` as "t.toml", failing the test on error. */
static weft__manifest_t *parse_ok(const char *text) {
  weft__manifest_t *m = NULL;
  weft_error_t err;
  memset(&err, 0, sizeof err);
  if (weft__manifest_parse(text, strlen(text), "t.toml", "app", &m, &err)) {
    print_error("unexpected error: %s\n", err.msg);
    fail();
  }
  assert_non_null(m);
  return m;
}

/* Parse `text` as "t.toml" expecting `code` and message `msg`. */
static void parse_fails(const char *text, int code, const char *msg) {
  weft__manifest_t *m = (weft__manifest_t *)&m;
  weft_error_t err;
  memset(&err, 0, sizeof err);
  assert_int_equal(
      weft__manifest_parse(text, strlen(text), "t.toml", NULL, &m, &err),
      code);
  assert_null(m);
  assert_string_equal(err.msg, msg);
}

/* The trigger of `m` with id `id`. */
static const weft__manifest_trigger_t *trigger(const weft__manifest_t *m,
                                               const char *id) {
  size_t i;
  for (i = 0; i < m->triggers_len; i++)
    if (!strcmp(m->triggers[i].id, id))
      return &m->triggers[i];
  print_error("no trigger '%s'\n", id);
  fail();
  return NULL;
}

/* ---- tests -------------------------------------------------------------- */

/* Every key of tests/manifests/good/full.toml lands in the model. */
static void test_full(void **state) {
  weft__manifest_t *m = load_ok(GOOD "full.toml");
  const weft__manifest_component_t *cart, *worker;
  const weft__manifest_variable_t *v;
  const weft__manifest_trigger_t *t;
  (void)state;

  assert_string_equal(m->file, GOOD "full.toml");
  assert_string_equal(m->dir, "tests/manifests/good");
  assert_string_equal(m->app.name, "full-app");
  assert_string_equal(m->app.version, "1.2.3");
  assert_string_equal(m->app.description, "an app that uses every key");
  assert_int_equal(m->app.authors.len, 2);
  assert_string_equal(m->app.authors.items[1].value, "Grace");
  assert_int_equal(m->app.authors.items[1].loc.line, 8);
  assert_string_equal(m->app.http_base, "/api");
  assert_string_equal(m->app.redis_address, "redis://{{ redis_host }}:6379");
  assert_int_equal(m->app.trigger_settings_len, 1);
  assert_string_equal(m->app.trigger_settings[0].type, "cron");
  assert_int_equal(
      weft__toml_get(m->app.trigger_settings[0].table, "jitter")->u.integer,
      3);
  assert_int_equal(m->app.loc.line, 4);

  assert_int_equal(m->variables_len, 3);
  v = weft__manifest_variable(m, "api_key");
  assert_non_null(v);
  assert_true(v->required && v->secret);
  assert_null(v->default_value);
  assert_string_equal(v->description, "the key");
  assert_int_equal(v->loc.line, 20);
  v = weft__manifest_variable(m, "redis_host");
  assert_string_equal(v->default_value, "localhost");
  assert_false(v->required || v->secret);
  assert_null(weft__manifest_variable(m, "nope"));

  assert_int_equal(m->components_len, 2);
  cart = weft__manifest_component(m, "cart");
  assert_non_null(cart);
  assert_false(cart->is_inline);
  assert_int_equal(cart->loc.line, 24);
  assert_string_equal(cart->loc.file, GOOD "full.toml");
  assert_string_equal(cart->description, "the cart");
  assert_string_equal(cart->source, "target/cart.wasm");
  assert_string_equal(cart->source_path,
                      "tests/manifests/good/target/cart.wasm");
  assert_int_equal(cart->files_len, 2);
  assert_string_equal(cart->files[0].source, "static/*.html");
  assert_string_equal(cart->files[0].path,
                      "tests/manifests/good/static/*.html");
  assert_null(cart->files[0].destination);
  assert_string_equal(cart->files[1].source, "assets");
  assert_string_equal(cart->files[1].destination, "/assets");
  assert_int_equal(cart->exclude_files.len, 1);
  assert_int_equal(cart->allowed_outbound_hosts.len, 2);
  assert_string_equal(cart->allowed_outbound_hosts.items[0].value,
                      "https://{{ redis_host }}:443");
  assert_int_equal(cart->key_value_stores.len, 2);
  assert_string_equal(cart->key_value_stores.items[1].value, "carts");
  assert_int_equal(cart->sqlite_databases.len, 1);
  assert_string_equal(cart->ai_models.items[0].value, "llama2-chat");
  assert_int_equal(cart->environment.len, 2);
  assert_string_equal(cart->environment.items[1].key, "A.B");
  assert_string_equal(cart->environment.items[0].value, "debug");
  assert_int_equal(cart->variables.len, 3);
  assert_string_equal(cart->variables.items[1].key, "message");
  assert_string_equal(cart->variables.items[1].value,
                      "{{greeting}}, {{ redis_host }}!");
  assert_int_equal(cart->variables.items[1].loc.line, 37);
  assert_string_equal(cart->build.command, "make cart");
  assert_string_equal(cart->build.workdir, "cart");
  assert_string_equal(cart->build.workdir_path, "tests/manifests/good/cart");
  assert_int_equal(cart->build.watch.len, 2);
  assert_int_equal(cart->build.loc.line, 40);

  worker = weft__manifest_component(m, "worker");
  assert_string_equal(worker->source_path, "/abs/worker.wasm");
  assert_null(worker->build.command);
  assert_int_equal(worker->files_len, 0);
  assert_int_equal(worker->environment.len, 0);

  assert_int_equal(m->triggers_len, 7);
  t = trigger(m, "cart-http-trigger");
  assert_int_equal(t->kind, WEFT__TRIGGER_HTTP);
  assert_string_equal(t->u.http.route, "/cart/...");
  assert_string_equal(t->u.http.executor, "spin");
  assert_null(t->u.http.executor_table);
  assert_string_equal(t->component_id, "cart");
  assert_ptr_equal(&m->components[t->component], cart);
  assert_int_equal(t->loc.line, 48);
  assert_int_equal(t->u.http.route_loc.line, 49);
  t = trigger(m, "users-route");
  assert_string_equal(t->u.http.executor, "wagi");
  assert_string_equal(t->u.http.argv, "${SCRIPT_NAME} ${ARGS}");
  assert_string_equal(t->u.http.entrypoint, "main");
  assert_non_null(t->u.http.executor_table);
  t = trigger(m, "worker-http-trigger");
  assert_true(t->u.http.is_private);
  assert_null(t->u.http.route);
  t = trigger(m, "worker-timer-trigger");
  assert_int_equal(t->kind, WEFT__TRIGGER_TIMER);
  assert_int_equal(t->u.timer.interval_secs, 60);
  t = trigger(m, "worker-redis-trigger");
  assert_int_equal(t->kind, WEFT__TRIGGER_REDIS);
  assert_string_equal(t->u.redis.channel, "orders");
  assert_string_equal(t->u.redis.address, "redis://{{ redis_host }}:6379");
  t = trigger(m, "cart-redis-trigger");
  assert_string_equal(t->u.redis.channel, "{{ greeting }}");
  assert_string_equal(t->u.redis.address, "redis://other:6379");
  t = trigger(m, "worker-cron-trigger");
  assert_int_equal(t->kind, WEFT__TRIGGER_OTHER);
  assert_string_equal(t->type, "cron");
  assert_string_equal(
      weft__toml_get(t->table, "cron_expression")->u.string.ptr,
      "1/2 * * * * *");
  weft__manifest_free(m);
}

/* Inline components are read like named ones and named as Spin names
 * them: "<trigger id>-component", else "inline-component<n>". */
static void test_inline(void **state) {
  weft__manifest_t *m = load_ok(GOOD "inline.toml");
  const weft__manifest_trigger_t *t;
  const weft__manifest_component_t *c;
  (void)state;
  assert_int_equal(m->triggers_len, 5);
  assert_int_equal(m->components_len, 6);
  assert_string_equal(m->triggers[0].id, "http-trigger1");
  assert_string_equal(m->triggers[0].component_id, "http-trigger1-component");
  c = &m->components[m->triggers[0].component];
  assert_true(c->is_inline);
  assert_string_equal(c->source_path, "tests/manifests/good/all.wasm");
  assert_int_equal(c->loc.line, 9);
  t = &m->triggers[1];
  assert_string_equal(t->id, "http-trigger2");
  c = weft__manifest_component(m, "http-trigger2-component");
  assert_non_null(c);
  assert_ptr_equal(c, &m->components[t->component]);
  assert_string_equal(c->environment.items[0].key, "A");
  assert_string_equal(m->triggers[2].id, "Fancy Id");
  assert_string_equal(m->triggers[2].component_id, "inline-component1");
  assert_string_equal(m->triggers[3].id, "named-http-trigger");
  assert_string_equal(m->triggers[3].component_id, "named");
  assert_string_equal(m->triggers[4].id, "http-trigger3");
  assert_string_equal(m->triggers[4].component_id, "inline-component2");
  weft__manifest_free(m);
}

/* Variables: templates may use any declared variable; names and forms. */
static void test_variables(void **state) {
  weft__manifest_t *m;
  (void)state;
  m = parse_ok("spin_manifest_version = 2\n"
               "[application]\nname = \"v\"\n"
               "[variables]\n"
               "a1 = { default = \"\" }\n"
               "b_2_c = { required = true, secret = false }\n"
               "[[trigger.timer]]\ninterval_secs = 1\n"
               "component = { source = \"x.wasm\", variables = "
               "{ k = \"{{a1}}{{ b_2_c }}\", e = \"{ {a1} }\" } }\n");
  assert_int_equal(m->variables_len, 2);
  assert_string_equal(m->variables[0].default_value, "");
  assert_true(m->variables[1].required);
  assert_string_equal(m->components[0].variables.items[0].value,
                      "{{a1}}{{ b_2_c }}");
  assert_string_equal(m->components[0].source_path, "app/x.wasm");
  assert_string_equal(m->triggers[0].id, "timer-trigger1");
  weft__manifest_free(m);

  parse_fails("spin_manifest_version = 2\n[application]\nname = \"v\"\n"
              "[variables]\nx = { default = \"1\" }\n"
              "[[trigger.timer]]\ninterval_secs = 1\n"
              "component = { source = \"x.wasm\", variables = "
              "{ k = \"{{ X }}\" } }\n",
              WEFT_EINVAL, "t.toml:8: invalid variable name 'X' in 'k'");
  parse_fails("spin_manifest_version = 2\n[application]\nname = \"v\"\n"
              "[variables]\nx__y = { default = \"1\" }\n",
              WEFT_EINVAL,
              "t.toml:5: invalid variable name 'x__y': use lowercase words "
              "of letters and digits joined by '_'");
  assert_true(weft__manifest_valid_id("a1-2b", 5, false));
  assert_false(weft__manifest_valid_id("1a", 2, false));
  assert_false(weft__manifest_valid_id("a-", 2, false));
  assert_false(weft__manifest_valid_id("a_b", 3, false));
  assert_true(weft__manifest_valid_id("a_b", 3, true));
  assert_false(weft__manifest_valid_id("", 0, true));
}

/* Result codes: version 1 and Spin features Weft lacks are unsupported. */
static void test_codes(void **state) {
  (void)state;
  parse_fails("spin_manifest_version = \"1\"\n", WEFT_EUNSUPPORTED,
              "t.toml:1: spin manifest version 1 is not supported: weft "
              "reads spin_manifest_version = 2");
  parse_fails("spin_manifest_version = 2\n[application]\nname = \"v\"\n"
              "[[trigger.http]]\nroute = \"/\"\n"
              "component = { source = \"x.wasm\", dependencies = {} }\n",
              WEFT_EUNSUPPORTED,
              "t.toml:6: 'dependencies' in [trigger.http.component] is not "
              "supported by weft");
  parse_fails("a = ", WEFT_EPARSE,
              "t.toml:1:5: expected a value, found end of file");
}

/* A directory is searched for weft.toml, then spin.toml. */
static void test_load_dir(void **state) {
  char dir[] = "/tmp/weft-manifest-XXXXXX", path[64], want[64];
  const char *text = "spin_manifest_version = 2\n[application]\n"
                     "name = \"%s\"\n[[trigger.http]]\nroute = \"/\"\n"
                     "component = { source = \"a.wasm\" }\n";
  weft__manifest_t *m = NULL;
  weft_error_t err;
  FILE *f;
  (void)state;
  assert_non_null(mkdtemp(dir));
  assert_int_equal(weft__manifest_load(dir, &m, &err), WEFT_ENOENT);
  assert_null(m);
  snprintf(path, sizeof path, "%s/spin.toml", dir);
  assert_non_null(f = fopen(path, "w"));
  fprintf(f, text, "spin");
  fclose(f);
  m = load_ok(dir);
  assert_string_equal(m->app.name, "spin");
  assert_string_equal(m->dir, dir);
  assert_string_equal(m->file, path);
  weft__manifest_free(m);
  snprintf(path, sizeof path, "%s/weft.toml", dir);
  assert_non_null(f = fopen(path, "w"));
  fprintf(f, text, "weft");
  fclose(f);
  m = load_ok(dir);
  assert_string_equal(m->app.name, "weft");
  snprintf(want, sizeof want, "%s/a.wasm", dir);
  assert_string_equal(m->components[0].source_path, want);
  weft__manifest_free(m);
  unlink(path);
  snprintf(path, sizeof path, "%s/spin.toml", dir);
  unlink(path);
  rmdir(dir);
  assert_int_equal(weft__manifest_load("/nonexistent/x", &m, &err),
                   WEFT_ENOENT);
  weft__manifest_free(NULL);
}

/* Compare qsort'ed names. */
static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Each .toml file in tests/manifests/bad/ fails with the message on its first
 * line. All mismatches are printed before the test fails. */
static void test_bad_corpus(void **state) {
  DIR *d = opendir(BAD);
  struct dirent *e;
  char *names[256];
  size_t n = 0, i, failed = 0;
  (void)state;
  assert_non_null(d);
  while ((e = readdir(d)) && n < 256) {
    size_t len = strlen(e->d_name);
    if (len > 5 && !strcmp(e->d_name + len - 5, ".toml"))
      names[n++] = strdup(e->d_name);
  }
  closedir(d);
  qsort(names, n, sizeof *names, by_name);
  assert_true(n >= 30);
  for (i = 0; i < n; i++) {
    char path[512], *text = NULL, *nl;
    const char *want;
    weft__manifest_t *m = NULL;
    weft_error_t err;
    size_t len;
    FILE *f;
    int rc;
    snprintf(path, sizeof path, BAD "%s", names[i]);
    assert_non_null(f = fopen(path, "rb"));
    fseek(f, 0, SEEK_END);
    len = (size_t)ftell(f);
    rewind(f);
    assert_non_null(text = malloc(len + 1));
    assert_int_equal(fread(text, 1, len, f), len);
    text[len] = 0;
    fclose(f);
    assert_true(!strncmp(text, "# error: ", 9));
    assert_non_null(nl = strchr(text, '\n'));
    want = text + 9;
    memset(&err, 0, sizeof err);
    rc = weft__manifest_parse(text, len, names[i], NULL, &m, &err);
    *nl = 0;
    if (rc == 0 || strcmp(err.msg, want)) {
      print_error("%s:\n  want: %s\n  got:  %s\n", names[i], want,
                  rc ? err.msg : "(success)");
      failed++;
    }
    weft__manifest_free(m);
    free(text);
    free(names[i]);
  }
  print_message("%zu bad manifests, %zu mismatched\n", n, failed);
  assert_int_equal(failed, 0);
}

/* Every allocation of a parse fails in turn: the result is WEFT_ENOMEM (or
 * success when the failure came after the last allocation), and nothing
 * leaks. */
static void test_out_of_memory(void **state) {
#ifdef FAULTS
  static const char *const files[] = {GOOD "full.toml", GOOD "inline.toml",
                                       BAD "route-duplicate.toml",
                                       BAD "unknown-key-inline.toml"};
  size_t d;
  (void)state;
  for (d = 0; d < sizeof files / sizeof files[0]; d++) {
    weft__manifest_t *m = NULL;
    weft_error_t err;
    int want = weft__manifest_load(files[d], &m, &err);
    long n;
    weft__manifest_free(m);
    for (n = 0;; n++) {
      long before = live_blocks;
      int rc;
      m = NULL;
      fault_hit = false;
      fail_countdown = n;
      rc = weft__manifest_load(files[d], &m, &err);
      fail_countdown = -1;
      if (fault_hit && rc != want) {
        assert_int_equal(rc, WEFT_ENOMEM);
        assert_null(m);
      } else {
        assert_int_equal(rc, want);
      }
      weft__manifest_free(m);
      assert_int_equal(live_blocks, before);
      if (!fault_hit)
        break;
    }
    assert_true(n > 5);
  }
#else
  (void)state;
  skip();
#endif
}

/* Run the tests. */
int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_full),       cmocka_unit_test(test_inline),
      cmocka_unit_test(test_variables),  cmocka_unit_test(test_codes),
      cmocka_unit_test(test_load_dir),   cmocka_unit_test(test_bad_corpus),
      cmocka_unit_test(test_out_of_memory),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/* trigger_api_test.c - the public trigger API of weft.h, from the outside:
 * a custom trigger type run by weft_trigger_main on a real manifest (its
 * settings read, its component called through weft_app_instantiate with
 * the host APIs it grants, the stop token), and an app built in code with
 * weft_app_builder_* serving HTTP to libcurl. The components are the
 * examples' (examples/timer, examples/hello), built by `make guests`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "weft.h"

static char dir[] = "/tmp/weft-trigger-api.XXXXXX";

static void write_file(const char *name, const char *text) {
  char p[4096];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  FILE *f = fopen(p, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static char *read_file(const char *name) {
  static char buf[65536];
  char p[4096];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  FILE *f = fopen(p, "r");
  size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
  if (f)
    fclose(f);
  buf[n] = 0;
  return buf;
}

/* ---- a custom trigger type ---------------------------------------------- */

typedef struct seen {
  size_t count;
  int64_t times;
  char greeting[32]; /* the app's strings die with it: a copy */
  int bad_rc;
  int missing_rc;
  int calls_ok;
  int stop_seen;
  char extra[64];
  /* Messages naming where a setting is written (#5). */
  char bad_msg[256], missing_msg[256], range_msg[256], app_range_msg[256],
      absent_msg[256];
  int range_rc;
  uint32_t speedup;
} seen_t;

static int on_option(void *data, const char *name, const char *value,
                     weft_error_t *err) {
  seen_t *s = data;
  (void)err;
  snprintf(s->extra, sizeof s->extra, "%s=%s", name, value ? value : "");
  return 0;
}

/* Reads its settings, calls each component `times` times, then waits
 * briefly for a stop that never comes. */
static int run(void *data, weft_app_t *app, weft_stop_t *stop,
               weft_error_t *err) {
  seen_t *s = data;
  s->count = weft_app_trigger_count(app);
  weft_error_t e = {0};
  const char *greeting;
  if (weft_app_setting_int(app, 0, "times", &s->times, err) < 0 ||
      weft_app_setting_string(app, WEFT_APP_SETTINGS, "greeting", &greeting,
                              err) < 0)
    return err->code;
  snprintf(s->greeting, sizeof s->greeting, "%s", greeting);
  s->bad_rc = weft_app_setting_int(app, 0, "greeting_int", &s->times, &e);
  snprintf(s->bad_msg, sizeof s->bad_msg, "%s", e.msg);
  s->missing_rc = weft_app_setting_int(app, 0, "nope", &s->times, &e);
  snprintf(s->missing_msg, sizeof s->missing_msg, "%s", e.msg);
  /* Values the trigger refuses, named where they are written. */
  s->range_rc = weft_app_setting_error(app, 0, "times", &e,
                                       "'times' must be at most %d, not %d",
                                       1, (int)s->times);
  snprintf(s->range_msg, sizeof s->range_msg, "%s", e.msg);
  weft_app_setting_error(app, WEFT_APP_SETTINGS, "greeting", &e,
                         "'greeting' must be %s", "polite");
  snprintf(s->app_range_msg, sizeof s->app_range_msg, "%s", e.msg);
  weft_app_setting_error(app, 0, "absent", &e, "'absent' is needed");
  snprintf(s->absent_msg, sizeof s->absent_msg, "%s", e.msg);
  s->speedup = weft_app_speedup(app);
  for (int64_t k = 0; k < 2; k++) {
    const char *id = weft_app_trigger_component(app, 0);
    weft_instance_t *inst = weft_app_instantiate(app, id, err);
    if (!inst)
      return err->code;
    int rc = weft_call(inst, "handle-timer-request", NULL, 0, NULL, 0, err);
    weft_app_release(app, id, inst);
    if (rc < 0)
      return rc;
    s->calls_ok++;
  }
  s->stop_seen = weft_stop_wait(stop, 10000000u); /* 10 ms: none comes */
  return weft_stop_requested(stop) ? WEFT_EINVAL : 0;
}

static void custom_trigger(void **state) {
  (void)state;
  const char *b = getenv("BUILD");
  char cmd[8192];
  snprintf(cmd, sizeof cmd, "cp examples/timer/timer.wasm %s/", dir);
  assert_int_equal(system(cmd), 0);
  write_file("spin.toml",
             "spin_manifest_version = 2\n"
             "[application]\nname = \"custom\"\n"
             "[application.trigger.tick]\ngreeting = \"hello\"\n"
             "[variables]\nmessage = { default = \"from the variable\" }\n"
             "[[trigger.tick]]\ncomponent = \"ticker\"\ntimes = 2\n"
             "greeting_int = \"x\"\n"
             "[component.ticker]\nsource = \"timer.wasm\"\n"
             "[component.ticker.variables]\nmessage = \"{{ message }}\"\n");
  (void)b;
  seen_t s = {0};
  static const weft_trigger_option_t opts[] = {
      {"flavour", 1, "a trigger's own option"}};
  weft_trigger_t t = {.api_version = WEFT_TRIGGER_API_VERSION,
                      .type = "tick",
                      .wit_path = "wit/spin-timer",
                      .world = "spin-timer",
                      .host_apis = WEFT_HOST_VARIABLES,
                      .options = opts,
                      .noptions = 1,
                      .data = &s,
                      .option = on_option,
                      .run = run};
  char path[4096];
  snprintf(path, sizeof path, "%s/spin.toml", dir);
  /* getopt wants writable strings. */
  char prog[] = "weft-trigger-tick", flavour[] = "--flavour", mint[] = "mint",
       listen[] = "--listen", addr[] = "127.0.0.1:0", f[] = "-f",
       bad[] = "--no-such-option";
  char speedup[] = "--speedup", seven[] = "7";
  char *argv[] = {prog,  flavour, mint, listen,  addr,
                  speedup, seven, f,    path,    NULL};
  assert_int_equal(weft_trigger_main(9, argv, &t), 0);
  assert_int_equal(s.count, 1);
  assert_int_equal(s.times, 2);
  assert_string_equal(s.greeting, "hello");
  assert_int_equal(s.bad_rc, WEFT_EINVAL);
  assert_int_equal(s.missing_rc, WEFT_ENOTFOUND);
  /* Every message about a setting names the manifest's file:line (#5):
   * the key's line, or the table's header for a key that is absent. */
  char want[4400];
  snprintf(want, sizeof want, "%s:11: 'greeting_int' must be an integer",
           path);
  assert_string_equal(s.bad_msg, want);
  snprintf(want, sizeof want, "%s:8: missing key 'nope' in [[trigger.tick]]",
           path);
  assert_string_equal(s.missing_msg, want);
  assert_int_equal(s.range_rc, WEFT_EINVAL);
  snprintf(want, sizeof want, "%s:10: 'times' must be at most 1, not 2",
           path);
  assert_string_equal(s.range_msg, want);
  snprintf(want, sizeof want, "%s:5: 'greeting' must be polite", path);
  assert_string_equal(s.app_range_msg, want);
  snprintf(want, sizeof want, "%s:8: 'absent' is needed", path);
  assert_string_equal(s.absent_msg, want);
  /* weft up's --speedup, which it passes on to executors (#5). */
  assert_int_equal(s.speedup, 7);
  assert_int_equal(s.calls_ok, 2);
  assert_int_equal(s.stop_seen, 0);
  assert_string_equal(s.extra, "flavour=mint");
  /* The guest read its variable through the granted host API. */
  char *log = read_file(".weft/logs/ticker_stdout.txt");
  assert_non_null(strstr(log, "tick: from the variable\ntick: from the "
                              "variable\n"));

  /* The manifest through WEFT_MANIFEST_URL, and a usage error. */
  char url[4200];
  snprintf(url, sizeof url, "file://%s", path);
  setenv("WEFT_MANIFEST_URL", url, 1);
  char *argv2[] = {prog, NULL};
  memset(&s, 0, sizeof s);
  assert_int_equal(weft_trigger_main(1, argv2, &t), 0);
  assert_int_equal(s.calls_ok, 2);
  assert_int_equal(s.speedup, 1); /* none given */
  char *argv3[] = {prog, bad, NULL};
  assert_int_equal(weft_trigger_main(2, argv3, &t), 2);
  unsetenv("WEFT_MANIFEST_URL");
  char *argv4[] = {prog, NULL};
  assert_int_equal(weft_trigger_main(1, argv4, &t), 2);

  /* Another API version is refused. */
  t.api_version = WEFT_TRIGGER_API_VERSION + 1;
  assert_int_equal(weft_trigger_main(9, argv, &t), 1);
}

/* ---- an app built in code ----------------------------------------------- */

static size_t collect(char *p, size_t size, size_t n, void *out) {
  strncat(out, p, size * n < 200 ? size * n : 200);
  return size * n;
}

static void built_app(void **state) {
  (void)state;
  char cmd[8192];
  snprintf(cmd, sizeof cmd, "cp examples/hello/hello.wasm %s/", dir);
  assert_int_equal(system(cmd), 0);
  weft_error_t err = {0};
  weft_engine_config_t ec = {.opt_level = -1};
  weft_engine_t *engine = weft_engine_new(&ec, &err);
  assert_non_null(engine);
  weft_app_builder_t *b = weft_app_builder_new("built", dir);
  assert_non_null(b);
  assert_int_equal(weft_app_builder_component(b, "hello", "hello.wasm",
                                              NULL, &err),
                   0);
  assert_int_equal(
      weft_app_builder_trigger(b, "http", "hello", "route = \"/hi/...\"",
                               &err),
      0);
  assert_int_equal(weft_app_builder_variable(b, "unused", "x", &err), 0);
  assert_int_equal(weft_app_builder_trigger(b, "ticker", "hello", NULL, &err),
                   WEFT_EUNSUPPORTED);
  assert_int_equal(weft_app_builder_component(b, "Bad Id", "x.wasm", NULL,
                                              &err),
                   WEFT_EINVAL);
  weft_app_options_t o = {.listen = "127.0.0.1:0"};
  weft_app_t *app = weft_app_start(engine, b, &o, &err);
  if (!app)
    fail_msg("%s", err.msg);
  weft_app_builder_free(b);
  uint16_t port = weft_app_http_port(app);
  assert_true(port > 0);
  char url[64], body[256] = "";
  snprintf(url, sizeof url, "http://127.0.0.1:%u/hi/there", port);
  CURL *c = curl_easy_init();
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
  assert_int_equal(curl_easy_perform(c), CURLE_OK);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(c);
  assert_int_equal(status, 200);
  assert_string_equal(body, "hello from weft");
  weft_app_stop(app);

  /* A bad setting is the manifest's error, with the app named. */
  b = weft_app_builder_new("broken", dir);
  weft_app_builder_component(b, "hello", "hello.wasm", "colour = 1", &err);
  weft_app_builder_trigger(b, "http", "hello", "route = \"/\"", &err);
  assert_null(weft_app_start(engine, b, &o, &err));
  assert_non_null(strstr(err.msg, "app 'broken' (built in code)"));
  assert_non_null(strstr(err.msg, "colour"));
  weft_app_builder_free(b);
  weft_engine_free(engine);
}

int main(void) {
  if (!mkdtemp(dir))
    return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(custom_trigger),
      cmocka_unit_test(built_app),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  char cmd[4200];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0)
    rc = 1;
  return rc;
}

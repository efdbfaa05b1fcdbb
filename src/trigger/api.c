/* api.c - the trigger API of weft.h: weft_trigger_main, which makes a
 * program a trigger executor, and the app as a trigger sees it. */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trigger/api_int.h"
#include "trigger/stop.h"
#include "trigger/up_options.h"
#include "util/util.h"

/* ---- the app as a trigger sees it --------------------------------------- */

static const weft__manifest_trigger_t *own(const weft_app_t *a, size_t i) {
  size_t n;
  const weft__manifest_trigger_t *const *t =
      weft__app_own_triggers(a->app, &n);
  return i < n ? t[i] : NULL;
}

size_t weft_app_trigger_count(const weft_app_t *a) {
  size_t n;
  weft__app_own_triggers(a->app, &n);
  return n;
}

const char *weft_app_trigger_id(const weft_app_t *a, size_t i) {
  const weft__manifest_trigger_t *t = own(a, i);
  return t ? t->id : NULL;
}

const char *weft_app_trigger_component(const weft_app_t *a, size_t i) {
  const weft__manifest_trigger_t *t = own(a, i);
  return t ? t->component_id : NULL;
}

/* Where the settings of entry i, or of [application.trigger.T], are
 * written: their table, the line of its header and its name for messages
 * ("[[trigger.ticker]]"). settings() returns 0, or WEFT_ENOTFOUND when
 * there is no [application.trigger.T] (WEFT_EINVAL for no entry i), with
 * `err` filled, p->table NULL and p->file still set (p->line 0). */
typedef struct place {
  const weft__toml_t *table;
  const char *file;
  int line;
  char name[160];
} place_t;

static int settings(const weft_app_t *a, size_t i, place_t *p,
                    weft_error_t *err) {
  const weft__manifest_t *m = weft__app_manifest(a->app);
  const char *type = a->cfg.only_type ? a->cfg.only_type : "?";
  *p = (place_t){.file = m->file};
  if (i != WEFT_APP_SETTINGS) {
    const weft__manifest_trigger_t *t = own(a, i);
    if (!t)
      return WEFT_ERR(err, WEFT_EINVAL, "no trigger entry %zu", i);
    p->table = t->table;
    p->line = t->loc.line;
    snprintf(p->name, sizeof p->name, "[[trigger.%s]]", t->type);
    return 0;
  }
  snprintf(p->name, sizeof p->name, "[application.trigger.%s]", type);
  for (size_t k = 0; k < m->app.trigger_settings_len; k++)
    if (a->cfg.only_type &&
        !strcmp(m->app.trigger_settings[k].type, a->cfg.only_type)) {
      p->table = m->app.trigger_settings[k].table;
      p->line = p->table->line;
      return 0;
    }
  return WEFT_ERR(err, WEFT_ENOTFOUND, "%s has no %s", m->file, p->name);
}

/* A key the table lacks, named as the manifest's own errors name one:
 * "spin.toml:17: missing key 'interval_secs' in [[trigger.ticker]]". */
static int missing(const place_t *p, const char *key, weft_error_t *err) {
  return WEFT_ERR(err, WEFT_ENOTFOUND, "%s:%d: missing key '%s' in %s",
                  p->file, p->line, key, p->name);
}

/* Entry i's settings table, holding `key`. Both getters below then read
 * it: a type that differs is the TOML getter's message, which names the
 * key's file:line ("spin.toml:19: 'interval_secs' must be an integer"). */
static int setting(const weft_app_t *a, size_t i, const char *key,
                   place_t *p, weft_error_t *err) {
  int rc = settings(a, i, p, err);
  if (rc < 0)
    return rc;
  return weft__toml_get_kv(p->table, key) ? 0 : missing(p, key, err);
}

int weft_app_setting_string(const weft_app_t *a, size_t i, const char *key,
                            const char **out, weft_error_t *err) {
  place_t p;
  int rc = setting(a, i, key, &p, err);
  return rc < 0 ? rc : weft__toml_get_string(p.table, key, out, err);
}

int weft_app_setting_int(const weft_app_t *a, size_t i, const char *key,
                         int64_t *out, weft_error_t *err) {
  place_t p;
  int rc = setting(a, i, key, &p, err);
  return rc < 0 ? rc : weft__toml_get_int(p.table, key, out, err);
}

int weft_app_setting_error(const weft_app_t *a, size_t i, const char *key,
                           weft_error_t *err, const char *fmt, ...) {
  place_t p;
  char msg[sizeof err->msg];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  /* A missing table leaves p.file set and p.line 0. */
  (void)settings(a, i, &p, NULL);
  const weft__toml_kv_t *kv = p.table ? weft__toml_get_kv(p.table, key) : NULL;
  int line = kv ? kv->line : p.line;
  if (line > 0)
    return WEFT_ERR(err, WEFT_EINVAL, "%s:%d: %s", p.file, line, msg);
  return WEFT_ERR(err, WEFT_EINVAL, "%s: %s", p.file, msg);
}

uint32_t weft_app_speedup(const weft_app_t *a) {
  return a->cfg.speedup ? a->cfg.speedup : 1;
}

const char *weft_app_name(const weft_app_t *a) {
  return weft__app_manifest(a->app)->app.name;
}

const char *weft_app_dir(const weft_app_t *a) {
  return weft__app_manifest(a->app)->dir;
}

weft_instance_t *weft_app_instantiate(weft_app_t *a, const char *id,
                                      weft_error_t *err) {
  weft__pool_t *pool = weft__app_pool(a->app, id);
  if (!pool) {
    WEFT_ERR(err, WEFT_ENOTFOUND, "component '%s' is not run by this app",
             id);
    return NULL;
  }
  return weft__pool_take(pool, err);
}

void weft_app_release(weft_app_t *a, const char *id, weft_instance_t *inst) {
  weft__pool_t *pool = weft__app_pool(a->app, id);
  if (pool && inst)
    weft__pool_give(pool, inst);
}

/* ---- weft_trigger_main --------------------------------------------------- */

static weft_stop_t *signalled; /* what SIGINT and SIGTERM stop */

static void on_signal(int sig) {
  (void)sig;
  if (signalled)
    weft__stop_request(signalled);
}

typedef struct extra_ctx {
  const weft_trigger_t *t;
  weft_error_t err;
  bool failed;
} extra_ctx_t;

static int on_extra(void *ctxp, size_t i, const char *value) {
  extra_ctx_t *ctx = ctxp;
  if (!ctx->t->option)
    return 0;
  if (ctx->t->option(ctx->t->data, ctx->t->options[i].name, value,
                     &ctx->err) < 0) {
    fprintf(stderr, "weft-trigger-%s: %s\n", ctx->t->type,
            ctx->err.msg[0] ? ctx->err.msg : "bad option");
    return -1;
  }
  return 0;
}

static void print_usage(const weft_trigger_t *t, const char *who) {
  printf("usage: %s [options]\n\n", who);
  if (t->summary)
    printf("%s\n\n", t->summary);
  printf("Runs the [[trigger.%s]] entries of a Weft or Spin app. `weft up`\n"
         "starts it with the app in WEFT_MANIFEST_URL; -f names one by "
         "hand.\n\noptions:\n%s",
         t->type, weft__up_options_help);
  for (size_t i = 0; i < t->noptions; i++)
    printf("      --%s%s\n          %s\n", t->options[i].name,
           t->options[i].has_arg ? " VALUE" : "",
           t->options[i].help ? t->options[i].help : "");
}

/* The manifest path from a file:// URL ("file:///a%20b/spin.toml"):
 * malloc'd, or NULL when `url` is not a file URL. */
static char *url_path(const char *url) {
  if (strncmp(url, "file://", 7))
    return NULL;
  const char *p = url + 7;
  char *out = malloc(strlen(p) + 1), *o = out;
  while (out && *p) {
    unsigned v;
    if (p[0] == '%' && p[1] && p[2] && sscanf(p + 1, "%2x", &v) == 1) {
      *o++ = (char)v;
      p += 3;
    } else {
      *o++ = *p++;
    }
  }
  if (out)
    *o = 0;
  return out;
}

/* The WIT package of the trigger's world. */
static weft_wit_t *trigger_wit(const weft_trigger_t *t, weft_error_t *err) {
  if (t->wit_text)
    return weft_wit_parse(t->wit_text, strlen(t->wit_text), t->type, err);
  if (t->wit_path)
    return weft_wit_load(t->wit_path, err);
  WEFT_ERR(err, WEFT_EINVAL, "trigger '%s' names no WIT world", t->type);
  return NULL;
}

/* Load the app for trigger `t` (a built-in type when t->world is NULL). */
int weft__api_start(weft_app_t *a, const weft_trigger_t *t,
                    weft_error_t *err) {
  a->cfg.only_type = t->type;
  a->cfg.host_apis = t->host_apis;
  if (t->world) {
    if (!(a->wit = trigger_wit(t, err)))
      return err ? err->code : WEFT_EINVAL;
    a->cfg.type_wit = a->wit;
    a->cfg.type_world = t->world;
  }
  /* Executors reset an instance after every event: track writes. */
  weft_engine_config_t ec = {
      .opt_level = -1, .progress = 1, .track_writes = true};
  if (!a->engine) {
    if (!(a->engine = weft_engine_new(&ec, err)))
      return err ? err->code : WEFT_EINVAL;
    a->own_engine = true;
  }
  a->cfg.engine = a->engine;
  return weft__app_start(&a->cfg, &a->app, err);
}

void weft__api_free(weft_app_t *a) {
  if (!a)
    return;
  weft__app_stop(a->app);
  weft_wit_free(a->wit);
  if (a->own_engine)
    weft_engine_free(a->engine);
  free(a->path);
  free(a->text);
  free(a);
}

int weft__trigger_run(int argc, char **argv, const weft_trigger_t *t,
                      const char *who) {
  if (t->api_version != WEFT_TRIGGER_API_VERSION) {
    fprintf(stderr, "%s: written for trigger API %d; this libweft has %d\n",
            who, t->api_version, WEFT_TRIGGER_API_VERSION);
    return 1;
  }
  struct option *extra_opts = calloc(t->noptions + 1, sizeof *extra_opts);
  weft_app_t *a = calloc(1, sizeof *a);
  weft__up_options_t o;
  extra_ctx_t ctx = {.t = t};
  int status = 1;
  if (!extra_opts || !a) {
    fprintf(stderr, "%s: out of memory\n", who);
    free(extra_opts);
    free(a);
    return 1;
  }
  for (size_t i = 0; i < t->noptions; i++)
    extra_opts[i] = (struct option){t->options[i].name,
                                    t->options[i].has_arg ? required_argument
                                                          : no_argument,
                                    NULL, 0};
  weft__up_extra_t extra = {extra_opts, t->noptions, on_extra, &ctx};
  int rc = weft__up_options_parse(argc, argv, who, &extra, &o);
  free(extra_opts);
  if (rc < 0 || o.help) {
    /* A bad common option or one the trigger refused: a usage error. */
    bool help = o.help && rc == 0;
    if (help)
      print_usage(t, who);
    weft__up_options_free(&o);
    free(a);
    return help ? 0 : 2;
  }
  a->cfg = o.app;
  if (!a->cfg.path) {
    const char *url = getenv("WEFT_MANIFEST_URL");
    if (!url || !*url)
      url = getenv("SPIN_MANIFEST_URL");
    if (!url || !*url) {
      fprintf(stderr, "%s: no app: give -f FILE or set WEFT_MANIFEST_URL\n"
              "Try '%s --help'.\n", who, who);
      weft__up_options_free(&o);
      free(a);
      return 2;
    }
    if (!(a->path = url_path(url))) {
      fprintf(stderr, "%s: WEFT_MANIFEST_URL '%s' is not a file:// URL\n",
              who, url);
      weft__up_options_free(&o);
      free(a);
      return 2;
    }
    a->cfg.path = a->path;
  }
  weft_stop_t *stop = NULL;
  weft_error_t err = {0};
  struct sigaction sa = {.sa_handler = on_signal}, old_int, old_term;
  sigemptyset(&sa.sa_mask);
  if (weft__stop_new(&stop, &err) < 0 ||
      weft__api_start(a, t, &err) < 0 ||
      (t->init && t->init(t->data, a, &err) < 0)) {
    fprintf(stderr, "%s: %s\n", who,
            err.msg[0] ? err.msg : weft_strerror(err.code));
    goto out;
  }
  signalled = stop;
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  signal(SIGPIPE, SIG_IGN);
  rc = t->run(t->data, a, stop, &err);
  sigaction(SIGINT, &old_int, NULL);
  sigaction(SIGTERM, &old_term, NULL);
  signalled = NULL;
  if (rc < 0)
    fprintf(stderr, "%s: %s\n", who,
            err.msg[0] ? err.msg : weft_strerror(rc));
  status = rc < 0 ? 1 : 0;
out:
  weft__api_free(a);
  weft__stop_free(stop);
  weft__up_options_free(&o);
  return status;
}

int weft_trigger_main(int argc, char **argv, const weft_trigger_t *t) {
  char who[128];
  snprintf(who, sizeof who, "weft-trigger-%s", t->type ? t->type : "?");
  return weft__trigger_run(argc, argv, t, who);
}

/* app.c - a running trigger app (app.h): load the components the
 * triggers use, grant them their host APIs, start the triggers. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/manifest.h"
#include "app/route.h"
#include "app/runtime_config.h"
#include "cabi/wit.h"
#include "trigger/app.h"
#include "trigger/files.h"
#include "trigger/http.h"
#include "trigger/kv.h"
#include "trigger/logs.h"
#include "trigger/outbound.h"
#include "trigger/pool.h"
#include "trigger/redis.h"
#include "trigger/timer.h"
#include "trigger/variables.h"
#include "util/util.h"

#ifndef WEFT_BUILTIN_WIT_DIR
#define WEFT_BUILTIN_WIT_DIR "/usr/local/share/weft/wit"
#endif

/* A component as the app runs it. */
typedef struct comp {
  const weft__manifest_component_t *mc;
  const char *world;  /* the world it was loaded for; NULL: not loaded */
  weft_module_t *module;
  weft_linker_t *linker;
  weft__pool_t *pool;
  weft__log_t *out, *err; /* its stdout and stderr */
  char **env;         /* "K=V" for WASI */
  char *files;        /* its staged files, the guest's "/"; or NULL */
} comp_t;

struct weft__app {
  const weft__app_config_t *cfg;
  weft__manifest_t *m;
  weft__vars_t *vars;
  weft__runtime_config_t *runtime;
  weft__kv_t *kv;
  weft_wit_t *spin;   /* wit/spin: fermyon:spin and fermyon:spin@2.0.0 */
  weft_wit_t *timer_wit; /* wit/spin-timer, loaded for timer triggers */
  char *log_dir;
  comp_t *comps;      /* per manifest component; loaded when triggered */
  weft__router_t *router;
  weft__http_target_t *http_targets; /* per manifest trigger */
  weft__http_t *http;
  weft__timer_target_t *timer_targets;
  size_t ntimers;
  weft__timer_t *timer;
  weft__redis_target_t *redis_targets;
  char **redis_addresses; /* expanded templates, per redis target */
  size_t nredis;
  weft__redis_t *redis;
  size_t nexternal;   /* triggers of types run by external executors */
  const weft__manifest_trigger_t **own; /* of cfg->only_type */
  size_t nown;
};

static char *join(const char *a, const char *b) {
  weft__buf_t p;
  weft__buf_init(&p);
  weft__buf_printf(&p, "%s/%s", a, b);
  return p.data;
}

/* Whether a -c or --follow list names `id`; "*" names every component. */
static bool listed(const char *const *ids, size_t n, const char *id) {
  return weft__str_in(ids, n, id) || weft__str_in(ids, n, "*");
}

/* A host API's definition: WEFT_ENOTFOUND means the world does not import
 * it, which is no error. */
static int granted(int rc) { return rc == WEFT_ENOTFOUND ? 0 : rc; }

static bool grants(const weft__app_t *app, unsigned api) {
  return !app->cfg->host_apis || (app->cfg->host_apis & api);
}

/* The host APIs the trigger grants; the world's other imports trap. */
static int define_host_apis(weft__app_t *app, comp_t *c, weft_error_t *err) {
  int rc = 0;
  if (grants(app, WEFT_HOST_VARIABLES) &&
      ((rc = granted(weft__vars_define(c->linker, app->vars, c->mc, err))) <
           0 ||
       (rc = granted(weft__vars_define_config(c->linker, app->vars, c->mc,
                                              err))) < 0))
    return rc;
  if (grants(app, WEFT_HOST_KEY_VALUE) &&
      (rc = granted(weft__kv_define(c->linker, app->kv, c->mc, err))) < 0)
    return rc;
  if (grants(app, WEFT_HOST_OUTBOUND_HTTP) &&
      (rc = granted(weft__outbound_define(c->linker, app->vars, c->mc,
                                          err))) < 0)
    return rc;
  return weft_linker_define_wit_traps(c->linker, err);
}

/* Load component `c`, link it to `world` of `wit` with the host APIs it
 * is granted, and give it a pool. */
static int load_comp(weft__app_t *app, comp_t *c, weft_wit_t *wit,
                     const char *world, weft_error_t *err) {
  const weft__app_config_t *cfg = app->cfg;
  const weft__manifest_component_t *mc = c->mc;
  if (c->world) {
    if (strcmp(c->world, world))
      return WEFT_ERR(err, WEFT_EUNSUPPORTED,
                      "%s:%d: component '%s' is used by triggers of two "
                      "kinds (worlds '%s' and '%s')",
                      mc->loc.file, mc->loc.line, mc->id, c->world, world);
    return 0;
  }
  c->world = world;
  c->module = weft_module_load_file(cfg->engine, mc->source_path, err);
  if (!c->module)
    return err ? err->code : WEFT_EIO;
  bool follow = listed(cfg->follow, cfg->nfollow, mc->id);
  int rc;
  if ((rc = weft__log_open(app->log_dir, mc->id, "stdout", follow,
                           STDOUT_FILENO, &c->out, err)) < 0 ||
      (rc = weft__log_open(app->log_dir, mc->id, "stderr", follow,
                           STDERR_FILENO, &c->err, err)) < 0)
    return rc;
  c->env = calloc(mc->environment.len + 1, sizeof *c->env);
  if (!c->env)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  for (size_t i = 0; i < mc->environment.len; i++) {
    weft__buf_t b;
    weft__buf_init(&b);
    weft__buf_printf(&b, "%s=%s", mc->environment.items[i].key,
                     mc->environment.items[i].value);
    if (!(c->env[i] = b.data))
      return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  }
  if (grants(app, WEFT_HOST_FILES) &&
      (rc = weft__files_stage(app->m, mc, &c->files, err)) < 0)
    return rc;
  const char *argv[1] = {mc->id};
  const char *dir_host[1] = {c->files}, *dir_guest[1] = {"/"};
  weft_wasi_config_t wasi = {.argc = 1,
                             .ndirs = c->files ? 1 : 0,
                             .dir_host = dir_host,
                             .dir_guest = dir_guest,
                             .argv = argv,
                             .envc = (int)mc->environment.len,
                             .env = (const char *const *)c->env,
                             .stdin_fd = -1,
                             .stdout_fd = weft__log_fd(c->out),
                             .stderr_fd = weft__log_fd(c->err)};
  if (!(c->linker = weft_linker_new(cfg->engine)))
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  if ((rc = weft_linker_define_wasi(c->linker, &wasi, err)) < 0 ||
      (rc = weft_linker_use_world(c->linker, wit, world, err)) < 0 ||
      (rc = define_host_apis(app, c, err)) < 0)
    return rc;
  weft__pool_config_t pc = {.max_instances = cfg->max_instances};
  pc.limits.deadline_ns = cfg->request_timeout_ns;
  c->pool = weft__pool_new(c->linker, c->module, &pc, err);
  if (!c->pool) {
    /* Say which component: the engine's message names only the file. */
    if (err) {
      weft_error_t e = *err;
      WEFT_ERR(err, e.code, "component '%s': %s", mc->id, e.msg);
    }
    return err ? err->code : WEFT_EINVAL;
  }
  return 0;
}

/* The shipped WIT package `pkg`, from cfg->wit_dir or where Weft finds
 * its own (weft__wit_shipped_dir). */
static weft_wit_t *load_wit(const weft__app_config_t *cfg, const char *pkg,
                            weft_error_t *err) {
  return weft__wit_load_shipped(cfg->wit_dir, pkg, err);
}

/* Check that every `-c ID` names a component. */
static int check_only(const weft__app_t *app, weft_error_t *err) {
  for (size_t i = 0; i < app->cfg->nonly; i++)
    if (!weft__manifest_component(app->m, app->cfg->only[i]))
      return WEFT_ERR(err, WEFT_EINVAL,
                      "-c %s: %s has no component with that id",
                      app->cfg->only[i], app->m->file);
  return 0;
}

/* Load the components of the triggers that run and fill in the targets of
 * each trigger kind. */
static int load_triggers(weft__app_t *app, weft_error_t *err) {
  const weft__app_config_t *cfg = app->cfg;
  weft__manifest_t *m = app->m;
  uint32_t speedup = cfg->speedup ? cfg->speedup : 1;
  int rc;
  for (size_t i = 0; i < m->triggers_len; i++) {
    const weft__manifest_trigger_t *t = &m->triggers[i];
    comp_t *c = &app->comps[t->component];
    if ((cfg->nonly && !listed(cfg->only, cfg->nonly, t->component_id)) ||
        (cfg->only_type && strcmp(cfg->only_type, t->type)))
      continue;
    switch (t->kind) {
    case WEFT__TRIGGER_HTTP:
      if ((rc = load_comp(app, c, app->spin, "http-trigger", err)) < 0)
        return rc;
      app->http_targets[i] = (weft__http_target_t){
          .pool = c->pool, .component_id = c->mc->id};
      break;
    case WEFT__TRIGGER_TIMER:
      if (!app->timer_wit &&
          !(app->timer_wit = load_wit(cfg, "spin-timer", err)))
        return err ? err->code : WEFT_ENOENT;
      if ((rc = load_comp(app, c, app->timer_wit, "spin-timer", err)) < 0)
        return rc;
      app->timer_targets[app->ntimers++] = (weft__timer_target_t){
          .pool = c->pool,
          .component_id = c->mc->id,
          .interval_ns =
              (uint64_t)t->u.timer.interval_secs * 1000000000u / speedup};
      break;
    case WEFT__TRIGGER_REDIS: {
      char *address = NULL;
      if ((rc = load_comp(app, c, app->spin, "redis-trigger", err)) < 0)
        return rc;
      if (weft__vars_expand(app->vars, t->u.redis.address, &address) < 0)
        return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
      app->redis_addresses[app->nredis] = address;
      app->redis_targets[app->nredis++] = (weft__redis_target_t){
          .pool = c->pool,
          .component_id = c->mc->id,
          .address = address,
          .channel = t->u.redis.channel};
      break;
    }
    case WEFT__TRIGGER_OTHER:
      if (!cfg->only_type) {
        /* Run by its executor, under the supervisor (supervisor.h). */
        app->nexternal++;
        break;
      }
      /* This process is that executor (weft_trigger_main). */
      if (!cfg->type_wit || !cfg->type_world)
        return WEFT_ERR(err, WEFT_EUNSUPPORTED,
                        "trigger type '%s' is not built into weft",
                        cfg->only_type);
      if ((rc = load_comp(app, c, cfg->type_wit, cfg->type_world, err)) < 0)
        return rc;
      app->own[app->nown++] = t;
      break;
    }
  }
  return 0;
}

static int start_http(weft__app_t *app, weft_error_t *err) {
  const weft__app_config_t *cfg = app->cfg;
  weft__manifest_t *m = app->m;
  int rc;
  if ((rc = weft__router_new(m, &app->router, err)) < 0)
    return rc;
  weft__http_config_t hc = {.host = cfg->host ? cfg->host : "127.0.0.1",
                            .port = cfg->port,
                            .router = app->router,
                            .targets = app->http_targets,
                            .ntargets = m->triggers_len,
                            .max_body = cfg->max_body};
  if ((rc = weft__http_start(&hc, &app->http, err)) < 0)
    return rc;
  if (cfg->quiet)
    return 0;
  printf("Serving http://%s:%u\nAvailable Routes:\n", hc.host,
         weft__http_port(app->http));
  for (size_t i = 0; i < m->triggers_len; i++) {
    const weft__manifest_trigger_t *t = &m->triggers[i];
    if (app->http_targets[i].pool && !t->u.http.is_private)
      printf("  %s: http://%s:%u%s%s\n", t->component_id, hc.host,
             weft__http_port(app->http),
             strcmp(m->app.http_base, "/") ? m->app.http_base : "",
             t->u.http.route);
  }
  return 0;
}

int weft__app_start(const weft__app_config_t *cfg, weft__app_t **out,
                    weft_error_t *err) {
  weft__app_t *app = calloc(1, sizeof *app);
  if (!app)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  app->cfg = cfg;
  int rc = cfg->manifest_text
               ? weft__manifest_parse(cfg->manifest_text,
                                      strlen(cfg->manifest_text), cfg->path,
                                      cfg->dir, &app->m, err)
               : weft__manifest_load(cfg->path, &app->m, err);
  if (rc < 0)
    goto fail;
  weft__manifest_t *m = app->m;
  if ((rc = check_only(app, err)) < 0 ||
      (rc = weft__vars_new(m, cfg->variables, cfg->nvariables, &app->vars,
                           err)) < 0)
    goto fail;
  if (cfg->runtime_config &&
      (rc = weft__runtime_config_load(cfg->runtime_config, &app->runtime,
                                      err)) < 0)
    goto fail;
  char *kv_path = join(m->dir, ".weft/sqlite_key_value.db");
  weft__kv_config_t kc = {.default_path = kv_path,
                          .runtime = app->runtime,
                          .presets = cfg->kv_presets,
                          .npresets = cfg->nkv_presets};
  rc = kv_path ? weft__kv_new(&kc, &app->kv, err)
               : WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  free(kv_path);
  if (rc < 0)
    goto fail;
  if (!(app->spin = load_wit(cfg, "spin", err))) {
    rc = err ? err->code : WEFT_ENOENT;
    goto fail;
  }
  app->log_dir = cfg->log_dir ? weft__strdup(cfg->log_dir)
                              : join(m->dir, ".weft/logs");
  if (!app->log_dir || (rc = weft__mkdirs(app->log_dir, err)) < 0) {
    rc = rc < 0 ? rc : WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
    goto fail;
  }
  size_t nt = m->triggers_len + 1;
  app->comps = calloc(m->components_len + 1, sizeof *app->comps);
  app->http_targets = calloc(nt, sizeof *app->http_targets);
  app->timer_targets = calloc(nt, sizeof *app->timer_targets);
  app->redis_targets = calloc(nt, sizeof *app->redis_targets);
  app->redis_addresses = calloc(nt, sizeof *app->redis_addresses);
  app->own = calloc(nt, sizeof *app->own);
  if (!app->comps || !app->http_targets || !app->timer_targets ||
      !app->redis_targets || !app->redis_addresses || !app->own) {
    rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
    goto fail;
  }
  for (size_t i = 0; i < m->components_len; i++)
    app->comps[i] = (comp_t){.mc = &m->components[i]};
  if ((rc = load_triggers(app, err)) < 0)
    goto fail;
  size_t nhttp = 0;
  for (size_t i = 0; i < m->triggers_len; i++)
    nhttp += app->http_targets[i].pool != NULL;
  if (!nhttp && !app->ntimers && !app->nredis && !app->nexternal &&
      !app->nown) {
    rc = cfg->only_type
             ? WEFT_ERR(err, WEFT_EINVAL, "%s: the app has no [[trigger.%s]]%s",
                        m->file, cfg->only_type,
                        cfg->nonly ? " for the components chosen with -c"
                                   : "")
             : WEFT_ERR(err, WEFT_EINVAL,
                        cfg->nonly ? "%s: no trigger runs the components "
                                     "chosen with -c"
                                   : "%s: the app has no triggers",
                        m->file);
    goto fail;
  }
  if (nhttp && (rc = start_http(app, err)) < 0)
    goto fail;
  if (app->ntimers &&
      (rc = weft__timer_start(app->timer_targets, app->ntimers, &app->timer,
                              err)) < 0)
    goto fail;
  for (size_t i = 0; !cfg->quiet && i < app->ntimers; i++)
    printf("Timer: %s every %.3gs\n", app->timer_targets[i].component_id,
           (double)app->timer_targets[i].interval_ns / 1e9);
  if (app->nredis &&
      (rc = weft__redis_start(app->redis_targets, app->nredis, &app->redis,
                              err)) < 0)
    goto fail;
  for (size_t i = 0; !cfg->quiet && i < app->nredis; i++)
    printf("Redis: %s on channel '%s' of %s\n",
           app->redis_targets[i].component_id, app->redis_targets[i].channel,
           app->redis_targets[i].address);
  if (!cfg->quiet)
    printf("Logs: %s\n", app->log_dir);
  fflush(stdout);
  *out = app;
  return 0;
fail:
  weft__app_stop(app);
  return rc;
}

weft__pool_t *weft__app_pool(const weft__app_t *app, const char *id) {
  for (size_t i = 0; i < app->m->components_len; i++)
    if (!strcmp(app->comps[i].mc->id, id))
      return app->comps[i].pool;
  return NULL;
}

const weft__manifest_trigger_t *const *weft__app_own_triggers(
    const weft__app_t *app, size_t *n) {
  *n = app->nown;
  return app->own;
}

const weft__manifest_t *weft__app_manifest(const weft__app_t *app) {
  return app->m;
}

uint16_t weft__app_port(const weft__app_t *app) {
  return app->http ? weft__http_port(app->http) : 0;
}

void weft__app_stop(weft__app_t *app) {
  if (!app)
    return;
  /* Triggers first, so no call is in progress when the pools go. */
  weft__http_stop(app->http);
  weft__timer_stop(app->timer);
  weft__redis_stop(app->redis);
  weft__router_free(app->router);
  for (size_t i = 0; app->comps && i < app->m->components_len; i++) {
    comp_t *c = &app->comps[i];
    weft__pool_free(c->pool);
    weft_linker_free(c->linker);
    weft_module_free(c->module);
    weft__log_close(c->out);
    weft__log_close(c->err);
    for (size_t k = 0; c->env && c->env[k]; k++)
      free(c->env[k]);
    free(c->env);
    free(c->files);
  }
  for (size_t i = 0; i < app->nredis; i++)
    free(app->redis_addresses[i]);
  free(app->redis_addresses);
  free(app->redis_targets);
  free(app->own);
  free(app->timer_targets);
  free(app->http_targets);
  free(app->comps);
  free(app->log_dir);
  weft_wit_free(app->timer_wit);
  weft_wit_free(app->spin);
  weft__kv_free(app->kv);
  weft__runtime_config_free(app->runtime);
  weft__vars_free(app->vars);
  weft__manifest_free(app->m);
  free(app);
}

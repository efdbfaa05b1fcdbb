/* app.c - a running trigger app (app.h). For now the HTTP trigger; the
 * timer and Redis triggers plug in beside it. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/manifest.h"
#include "app/route.h"
#include "trigger/app.h"
#include "trigger/http.h"
#include "trigger/pool.h"
#include "trigger/variables.h"
#include "util/util.h"

#ifndef WEFT_BUILTIN_WIT_DIR
#define WEFT_BUILTIN_WIT_DIR "/usr/local/share/weft/wit"
#endif

/* A component as the app runs it. */
typedef struct comp {
  const weft__manifest_component_t *mc;
  weft_module_t *module;
  weft_linker_t *linker;
  weft__pool_t *pool;
  int out_fd, err_fd; /* its log files */
  char **env;         /* "K=V" for WASI */
} comp_t;

struct weft__app {
  weft__manifest_t *m;
  weft__vars_t *vars;
  weft_wit_t *spin;   /* fermyon:spin@2.0.0 */
  comp_t *comps;      /* per manifest component; loaded when triggered */
  weft__router_t *router;
  weft__http_target_t *targets;
  weft__http_t *http;
};

static char *join(const char *a, const char *b) {
  weft__buf_t p;
  weft__buf_init(&p);
  weft__buf_printf(&p, "%s/%s", a, b);
  return p.data;
}

static int open_log(const char *dir, const char *id, const char *which,
                    weft_error_t *err) {
  weft__buf_t p;
  weft__buf_init(&p);
  weft__buf_printf(&p, "%s/%s_%s.txt", dir, id, which);
  int fd = p.data ? open(p.data, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
                         0644)
                  : -1;
  if (fd < 0)
    WEFT_ERR(err, WEFT_EIO, "cannot open log file '%s'",
             p.data ? p.data : dir);
  weft__buf_release(&p);
  return fd;
}

/* Load component `c`, link it to `world` of Spin's package with the host
 * APIs it is granted, and give it a pool. */
static int load_comp(weft__app_t *app, const weft__app_config_t *cfg,
                     comp_t *c, const char *world, const char *log_dir,
                     weft_error_t *err) {
  const weft__manifest_component_t *mc = c->mc;
  if (c->pool)
    return 0;
  c->module = weft_module_load_file(cfg->engine, mc->source_path, err);
  if (!c->module)
    return err ? err->code : WEFT_EIO;
  if ((c->out_fd = open_log(log_dir, mc->id, "stdout", err)) < 0 ||
      (c->err_fd = open_log(log_dir, mc->id, "stderr", err)) < 0)
    return WEFT_EIO;
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
  const char *argv[1] = {mc->id};
  weft_wasi_config_t wasi = {.argc = 1,
                             .argv = argv,
                             .envc = (int)mc->environment.len,
                             .env = (const char *const *)c->env,
                             .stdin_fd = -1,
                             .stdout_fd = c->out_fd,
                             .stderr_fd = c->err_fd};
  c->linker = weft_linker_new(cfg->engine);
  int rc;
  if (!c->linker)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  if ((rc = weft_linker_define_wasi(c->linker, &wasi, err)) < 0 ||
      (rc = weft_linker_use_world(c->linker, app->spin, world, err)) < 0)
    return rc;
  rc = weft__vars_define(c->linker, app->vars, mc, err);
  if (rc < 0 && rc != WEFT_ENOTFOUND)
    return rc;
  if ((rc = weft_linker_define_wit_traps(c->linker, err)) < 0)
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

static const char *wit_dir(const weft__app_config_t *cfg) {
  if (cfg->wit_dir)
    return cfg->wit_dir;
  const char *e = getenv("WEFT_WIT_DIR");
  return e && *e ? e : WEFT_BUILTIN_WIT_DIR;
}

int weft__app_start(const weft__app_config_t *cfg, weft__app_t **out,
                    weft_error_t *err) {
  weft__app_t *app = calloc(1, sizeof *app);
  if (!app)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  int rc = weft__manifest_load(cfg->path, &app->m, err);
  if (rc < 0)
    goto fail;
  weft__manifest_t *m = app->m;
  if ((rc = weft__vars_new(m, cfg->variables, cfg->nvariables, &app->vars,
                           err)) < 0)
    goto fail;
  char *spin = join(wit_dir(cfg), "spin");
  app->spin = spin ? weft_wit_load(spin, err) : NULL;
  free(spin);
  if (!app->spin) {
    rc = WEFT_ENOENT;
    goto fail;
  }
  char *log_dir = cfg->log_dir ? weft__strdup(cfg->log_dir)
                               : join(m->dir, ".weft/logs");
  if (!log_dir || (rc = weft__mkdirs(log_dir, err)) < 0) {
    free(log_dir);
    rc = rc < 0 ? rc : WEFT_ENOMEM;
    goto fail;
  }
  app->comps = calloc(m->components_len + 1, sizeof *app->comps);
  for (size_t i = 0; app->comps && i < m->components_len; i++)
    app->comps[i] = (comp_t){.mc = &m->components[i], .out_fd = -1,
                             .err_fd = -1};
  app->targets = calloc(m->triggers_len + 1, sizeof *app->targets);
  if (!app->comps || !app->targets) {
    free(log_dir);
    rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
    goto fail;
  }
  size_t nhttp = 0;
  for (size_t i = 0; i < m->triggers_len; i++) {
    const weft__manifest_trigger_t *t = &m->triggers[i];
    if (t->kind != WEFT__TRIGGER_HTTP)
      continue;
    comp_t *c = &app->comps[t->component];
    if ((rc = load_comp(app, cfg, c, "http-trigger", log_dir, err)) < 0) {
      free(log_dir);
      goto fail;
    }
    app->targets[i] = (weft__http_target_t){.pool = c->pool,
                                            .component_id = c->mc->id};
    nhttp++;
  }
  free(log_dir);
  if (nhttp) {
    if ((rc = weft__router_new(m, &app->router, err)) < 0)
      goto fail;
    weft__http_config_t hc = {.host = cfg->host ? cfg->host : "127.0.0.1",
                              .port = cfg->port,
                              .router = app->router,
                              .targets = app->targets,
                              .ntargets = m->triggers_len,
                              .max_body = cfg->max_body};
    if ((rc = weft__http_start(&hc, &app->http, err)) < 0)
      goto fail;
    printf("Serving http://%s:%u\nAvailable Routes:\n", hc.host,
           weft__http_port(app->http));
    for (size_t i = 0; i < m->triggers_len; i++) {
      const weft__manifest_trigger_t *t = &m->triggers[i];
      if (t->kind == WEFT__TRIGGER_HTTP && !t->u.http.is_private)
        printf("  %s: http://%s:%u%s%s\n", t->component_id, hc.host,
               weft__http_port(app->http),
               strcmp(m->app.http_base, "/") ? m->app.http_base : "",
               t->u.http.route);
    }
    fflush(stdout);
  }
  *out = app;
  return 0;
fail:
  weft__app_stop(app);
  return rc;
}

uint16_t weft__app_port(const weft__app_t *app) {
  return app->http ? weft__http_port(app->http) : 0;
}

void weft__app_stop(weft__app_t *app) {
  if (!app)
    return;
  weft__http_stop(app->http);
  weft__router_free(app->router);
  for (size_t i = 0; app->comps && app->m && i < app->m->components_len;
       i++) {
    comp_t *c = &app->comps[i];
    weft__pool_free(c->pool);
    weft_linker_free(c->linker);
    weft_module_free(c->module);
    if (c->out_fd >= 0)
      close(c->out_fd);
    if (c->err_fd >= 0)
      close(c->err_fd);
    for (size_t k = 0; c->env && c->env[k]; k++)
      free(c->env[k]);
    free(c->env);
  }
  free(app->comps);
  free(app->targets);
  weft_wit_free(app->spin);
  weft__vars_free(app->vars);
  weft__manifest_free(app->m);
  free(app);
}

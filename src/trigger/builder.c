/* builder.c - an app built in code (weft.h's weft_app_builder_*): the
 * builder writes the manifest an app file would hold, and weft_app_start
 * parses it like any other, so an app made in code gets the same checks
 * and the same errors as one read from spin.toml. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trigger/api_int.h"
#include "trigger/up_options.h"
#include "util/util.h"

struct weft_app_builder {
  char *name, *dir;
  weft__buf_t variables, triggers, components;
};

/* `s` as a TOML basic string. */
static void quote(weft__buf_t *b, const char *s) {
  weft__buf_puts(b, "\"");
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      weft__buf_printf(b, "\\%c", c);
    else if (c < 0x20 || c == 0x7f)
      weft__buf_printf(b, "\\u%04x", c);
    else
      weft__buf_add(b, s, 1);
  }
  weft__buf_puts(b, "\"");
}

weft_app_builder_t *weft_app_builder_new(const char *name, const char *dir) {
  weft_app_builder_t *b = calloc(1, sizeof *b);
  if (!b)
    return NULL;
  b->name = weft__strdup(name ? name : "app");
  b->dir = weft__strdup(dir ? dir : ".");
  weft__buf_init(&b->variables);
  weft__buf_init(&b->triggers);
  weft__buf_init(&b->components);
  if (!b->name || !b->dir) {
    weft_app_builder_free(b);
    return NULL;
  }
  return b;
}

void weft_app_builder_free(weft_app_builder_t *b) {
  if (!b)
    return;
  free(b->name);
  free(b->dir);
  weft__buf_release(&b->variables);
  weft__buf_release(&b->triggers);
  weft__buf_release(&b->components);
  free(b);
}

/* Settings are TOML lines of their own, after the table's header. */
static void settings(weft__buf_t *b, const char *s) {
  if (s && *s)
    weft__buf_printf(b, "%s\n", s);
}

int weft_app_builder_component(weft_app_builder_t *b, const char *id,
                               const char *source, const char *more,
                               weft_error_t *err) {
  if (!weft__manifest_valid_id(id, strlen(id), false))
    return WEFT_ERR(err, WEFT_EINVAL, "bad component id '%s'", id);
  weft__buf_printf(&b->components, "\n[component.%s]\nsource = ", id);
  quote(&b->components, source);
  weft__buf_puts(&b->components, "\n");
  settings(&b->components, more);
  return b->components.data ? 0
                            : WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
}

int weft_app_builder_trigger(weft_app_builder_t *b, const char *type,
                             const char *id, const char *more,
                             weft_error_t *err) {
  if (weft__manifest_trigger_kind(type) == WEFT__TRIGGER_OTHER)
    return WEFT_ERR(err, WEFT_EUNSUPPORTED,
                    "an app built in code runs the built-in trigger types "
                    "(http, timer, redis), not '%s'",
                    type);
  weft__buf_printf(&b->triggers, "\n[[trigger.%s]]\ncomponent = ", type);
  quote(&b->triggers, id);
  weft__buf_puts(&b->triggers, "\n");
  settings(&b->triggers, more);
  return b->triggers.data ? 0 : WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
}

int weft_app_builder_variable(weft_app_builder_t *b, const char *name,
                              const char *default_value, weft_error_t *err) {
  if (!weft__manifest_valid_id(name, strlen(name), true))
    return WEFT_ERR(err, WEFT_EINVAL, "bad variable name '%s'", name);
  weft__buf_printf(&b->variables, "%s = { ", name);
  if (default_value) {
    weft__buf_puts(&b->variables, "default = ");
    quote(&b->variables, default_value);
  } else {
    weft__buf_puts(&b->variables, "required = true");
  }
  weft__buf_puts(&b->variables, " }\n");
  return b->variables.data ? 0
                           : WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
}

/* The manifest the builder describes (malloc'd). */
static char *manifest(const weft_app_builder_t *b) {
  weft__buf_t m;
  weft__buf_init(&m);
  weft__buf_puts(&m, "spin_manifest_version = 2\n\n[application]\nname = ");
  quote(&m, b->name);
  weft__buf_puts(&m, "\n");
  if (b->variables.len)
    weft__buf_printf(&m, "\n[variables]\n%s", b->variables.data);
  if (b->triggers.len)
    weft__buf_puts(&m, b->triggers.data);
  if (b->components.len)
    weft__buf_puts(&m, b->components.data);
  return m.data;
}

weft_app_t *weft_app_start(weft_engine_t *engine, const weft_app_builder_t *b,
                           const weft_app_options_t *opts,
                           weft_error_t *err) {
  static const weft_app_options_t none;
  weft_app_t *a = calloc(1, sizeof *a);
  weft__buf_t name;
  weft__buf_init(&name);
  weft__buf_printf(&name, "app '%s' (built in code)", b->name);
  if (!a || !name.data || !(a->text = manifest(b))) {
    WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
    weft__buf_release(&name);
    weft__api_free(a);
    return NULL;
  }
  if (!opts)
    opts = &none;
  a->path = name.data;
  a->engine = engine;
  weft__app_config_t *c = &a->cfg;
  c->path = a->path;
  c->manifest_text = a->text;
  c->dir = b->dir;
  c->host = a->host;
  snprintf(a->host, sizeof a->host, "127.0.0.1");
  c->port = 3000;
  if (opts->listen &&
      weft__parse_listen(opts->listen, a->host, sizeof a->host, &c->port) <
          0) {
    WEFT_ERR(err, WEFT_EINVAL, "bad listen address '%s' (want ADDR:PORT)",
             opts->listen);
    weft__api_free(a);
    return NULL;
  }
  c->variables = opts->variables;
  c->nvariables = opts->nvariables;
  c->log_dir = opts->log_dir;
  c->runtime_config = opts->runtime_config;
  c->request_timeout_ns = opts->request_timeout_ns;
  c->max_instances = opts->max_instances;
  c->engine = engine;
  c->quiet = true; /* an embedder says what it wants to */
  if (weft__app_start(c, &a->app, err) < 0) {
    weft__api_free(a);
    return NULL;
  }
  return a;
}

uint16_t weft_app_http_port(const weft_app_t *a) {
  return weft__app_port(a->app);
}

void weft_app_stop(weft_app_t *a) { weft__api_free(a); }

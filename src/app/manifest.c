/* manifest.c - loading and parsing app manifests (manifest.h): the file
 * lookup, the manifest version, [application], [variables], and the order
 * in which sections are read. Components and triggers have their own
 * files. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "app/manifest_int.h"
#include "app/route.h"

/* ---- [application] ------------------------------------------------------ */

/* [application.trigger.http]: base. */
static const weft__mf_key_t http_settings_keys[] = {
    {"base", WEFT__MF_STR, offsetof(weft__manifest_app_t, http_base), false,
     NULL, NULL},
    {NULL, 0, 0, false, NULL, NULL}};

/* [application.trigger.redis]: address. */
static const weft__mf_key_t redis_settings_keys[] = {
    {"address", WEFT__MF_STR, offsetof(weft__manifest_app_t, redis_address),
     true, NULL, NULL},
    {NULL, 0, 0, false, NULL, NULL}};

/* True if `s` (len bytes) may name a trigger type: it becomes part of the
 * executor's name, weft-trigger-<type>. */
static bool valid_type(const char *s, size_t len) {
  size_t i;
  if (!len || len > 64 || !(s[0] >= 'a' && s[0] <= 'z'))
    return false;
  for (i = 1; i < len; i++)
    if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
          s[i] == '-' || s[i] == '_'))
      return false;
  return true;
}

/* [application.trigger]: settings per trigger type. */
static int read_app_trigger(weft__mf_ctx_t *c, const weft__toml_kv_t *kv,
                            void *obj) {
  weft__manifest_app_t *app = obj;
  const weft__toml_t *t = kv->value;
  size_t i, n = weft__toml_table_len(t);
  char shown[96];
  int rc;
  if (t->type != WEFT__TOML_TABLE)
    return weft__mf_fail(c, WEFT_EINVAL, kv->line, "'trigger' must be a table");
  app->trigger_settings =
      weft__arena_calloc(&c->m->arena, n ? n : 1,
                         sizeof *app->trigger_settings);
  if (!app->trigger_settings)
    return weft__mf_nomem(c);
  for (i = 0; i < n; i++) {
    const weft__toml_kv_t *e = weft__toml_table_at(t, i);
    weft__str_show(e->key, e->key_len, shown, sizeof shown);
    if (!valid_type(e->key, e->key_len))
      return weft__mf_fail(c, WEFT_EINVAL, e->line,
                           "invalid trigger type '%s'", shown);
    if (e->value->type != WEFT__TOML_TABLE)
      return weft__mf_fail(c, WEFT_EINVAL, e->line,
                           "'application.trigger.%s' must be a table", shown);
    if (!strcmp(e->key, "http")) {
      const char *why;
      const weft__toml_kv_t *base;
      if ((rc = weft__mf_read(c, e->value, http_settings_keys, app)))
        return rc;
      if ((base = weft__toml_get_kv(e->value, "base")))
        app->http_base_loc = weft__mf_loc(c, base->line);
      if (!weft__route_check(app->http_base, true, &why))
        return weft__mf_fail(
            c, WEFT_EINVAL, app->http_base_loc.line,
            "invalid base '%s': %s",
            weft__str_show(app->http_base, strlen(app->http_base), shown,
                          sizeof shown),
            why);
    } else if (!strcmp(e->key, "redis")) {
      /* Its template is checked once [variables] is read. */
      if ((rc = weft__mf_read(c, e->value, redis_settings_keys, app)))
        return rc;
      app->redis_address_loc =
          weft__mf_loc(c, weft__toml_get_kv(e->value, "address")->line);
    } else {
      weft__manifest_trigger_settings_t *s =
          &app->trigger_settings[app->trigger_settings_len++];
      s->type = e->key;
      s->table = e->value;
    }
  }
  return 0;
}

/* [application]. */
static const weft__mf_key_t app_keys[] = {
    {"name", WEFT__MF_STR, offsetof(weft__manifest_app_t, name), true, NULL,
     NULL},
    {"version", WEFT__MF_STR, offsetof(weft__manifest_app_t, version), false,
     NULL, NULL},
    {"description", WEFT__MF_STR, offsetof(weft__manifest_app_t, description),
     false, NULL, NULL},
    {"authors", WEFT__MF_STRS, offsetof(weft__manifest_app_t, authors), false,
     NULL, NULL},
    {"trigger", WEFT__MF_CUSTOM, 0, false, read_app_trigger, NULL},
    {"targets", WEFT__MF_UNSUPPORTED, 0, false, NULL, NULL},
    {"tool", WEFT__MF_UNSUPPORTED, 0, false, NULL, NULL},
    {NULL, 0, 0, false, NULL, NULL}};

/* True if `s` is a valid application name: Spin allows ASCII letters,
 * digits, '-' and '_'. */
static bool valid_app_name(const char *s) {
  if (!*s)
    return false;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
          (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
      return false;
  return true;
}

/* Read [application] (`t`, written at `line`). */
static int read_app(weft__mf_ctx_t *c, const weft__toml_t *t) {
  weft__manifest_app_t *app = &c->m->app;
  char shown[96];
  int rc;
  app->http_base = "/";
  app->loc = weft__mf_loc(c, t->line);
  if ((rc = weft__mf_read(c, t, app_keys, app)))
    return rc;
  if (!valid_app_name(app->name))
    return weft__mf_fail(
        c, WEFT_EINVAL, weft__toml_get_kv(t, "name")->line,
        "invalid application name '%s': use letters, digits, '-' and '_'",
        weft__str_show(app->name, strlen(app->name), shown, sizeof shown));
  return 0;
}

/* ---- [variables] -------------------------------------------------------- */

static const weft__mf_key_t variable_keys[] = {
    {"description", WEFT__MF_STR,
     offsetof(weft__manifest_variable_t, description), false, NULL, NULL},
    {"default", WEFT__MF_STR,
     offsetof(weft__manifest_variable_t, default_value), false, NULL, NULL},
    {"required", WEFT__MF_BOOL, offsetof(weft__manifest_variable_t, required),
     false, NULL, NULL},
    {"secret", WEFT__MF_BOOL, offsetof(weft__manifest_variable_t, secret),
     false, NULL, NULL},
    {NULL, 0, 0, false, NULL, NULL}};

/* Read [variables] (`t`). */
static int read_variables(weft__mf_ctx_t *c, const weft__toml_t *t) {
  weft__manifest_t *m = c->m;
  size_t i, n = weft__toml_table_len(t);
  char shown[96];
  int rc;
  m->variables = weft__arena_calloc(&m->arena, n ? n : 1, sizeof *m->variables);
  if (!m->variables)
    return weft__mf_nomem(c);
  for (i = 0; i < n; i++) {
    const weft__toml_kv_t *kv = weft__toml_table_at(t, i);
    weft__manifest_variable_t *v = &m->variables[i];
    weft__str_show(kv->key, kv->key_len, shown, sizeof shown);
    if (!weft__manifest_valid_id(kv->key, kv->key_len, true))
      return weft__mf_fail(c, WEFT_EINVAL, kv->line,
                           "invalid variable name '%s': use lowercase words "
                           "of letters and digits joined by '_'",
                           shown);
    if (kv->value->type != WEFT__TOML_TABLE)
      return weft__mf_fail(c, WEFT_EINVAL, kv->line,
                           "variable '%s' must be a table: %s = { default = "
                           "\"...\" }",
                           shown, shown);
    v->name = kv->key;
    v->loc = weft__mf_loc(c, kv->line);
    if ((rc = weft__mf_read(c, kv->value, variable_keys, v)))
      return rc;
    if (v->default_value && v->required)
      return weft__mf_fail(c, WEFT_EINVAL, kv->line,
                           "variable '%s' has a default and is required",
                           shown);
    if (!v->default_value && !v->required)
      return weft__mf_fail(c, WEFT_EINVAL, kv->line,
                           "variable '%s' needs a default or required = true",
                           shown);
    m->variables_len = i + 1;
  }
  return 0;
}

/* ---- [component] -------------------------------------------------------- */

/* Number of [[trigger.T]] entries: the most inline components there can be. */
static size_t count_triggers(const weft__toml_t *trigger) {
  size_t i, n = 0;
  for (i = 0; i < weft__toml_table_len(trigger); i++)
    n += weft__toml_array_len(weft__toml_table_at(trigger, i)->value);
  return n;
}

/* Read [component] (`t`, may be NULL) into room for `extra` more. */
static int read_components(weft__mf_ctx_t *c, const weft__toml_t *t,
                           size_t extra) {
  weft__manifest_t *m = c->m;
  size_t i, n = weft__toml_table_len(t);
  char shown[96];
  int rc;
  if (n + extra < n)
    return weft__mf_nomem(c);
  m->components =
      weft__arena_calloc(&m->arena, n + extra ? n + extra : 1,
                         sizeof *m->components);
  if (!m->components)
    return weft__mf_nomem(c);
  for (i = 0; i < n; i++) {
    const weft__toml_kv_t *kv = weft__toml_table_at(t, i);
    weft__manifest_component_t *comp = &m->components[i];
    weft__str_show(kv->key, kv->key_len, shown, sizeof shown);
    if (!weft__manifest_valid_id(kv->key, kv->key_len, false))
      return weft__mf_fail(c, WEFT_EINVAL, kv->line,
                           "invalid component id '%s': use lowercase words "
                           "of letters and digits joined by '-'",
                           shown);
    if (kv->value->type != WEFT__TOML_TABLE)
      return weft__mf_fail(c, WEFT_EINVAL, kv->line,
                           "component '%s' must be a table", shown);
    comp->id = kv->key;
    comp->loc = weft__mf_loc(c, kv->value->line);
    if ((rc = weft__mf_component(c, kv->value, comp)))
      return rc;
    m->components_len = i + 1;
  }
  return 0;
}

/* ---- the whole file ----------------------------------------------------- */

/* The top-level tables, captured before they are read in a fixed order:
 * variables before the templates that use them, components before the
 * triggers that name them. */
typedef struct top {
  const weft__toml_t *application, *variables, *component, *trigger;
} top_t;

/* Accept the version key as read by check_version. */
static int read_nothing(weft__mf_ctx_t *c, const weft__toml_kv_t *kv,
                        void *obj) {
  (void)c, (void)kv, (void)obj;
  return 0;
}

static const weft__mf_key_t top_keys[] = {
    {"spin_manifest_version", WEFT__MF_CUSTOM, 0, false, read_nothing, NULL},
    {"application", WEFT__MF_TABLE, offsetof(top_t, application), true, NULL,
     NULL},
    {"variables", WEFT__MF_TABLE, offsetof(top_t, variables), false, NULL,
     NULL},
    {"component", WEFT__MF_TABLE, offsetof(top_t, component), false, NULL,
     NULL},
    {"trigger", WEFT__MF_TABLE, offsetof(top_t, trigger), false, NULL, NULL},
    {NULL, 0, 0, false, NULL, NULL}};

/* spin_manifest_version must be 2 (Spin writes it as an integer; a string
 * "2" is accepted too). Version 1 files have "1" or an older spin_version. */
static int check_version(weft__mf_ctx_t *c, const weft__toml_t *root) {
  const weft__toml_kv_t *kv = weft__toml_get_kv(root, "spin_manifest_version");
  const weft__toml_kv_t *old = weft__toml_get_kv(root, "spin_version");
  const weft__toml_t *v;
  int64_t n = 0;
  if (!kv && old)
    kv = old;
  if (!kv)
    return weft__mf_fail(c, WEFT_EINVAL, 0,
                         "missing key 'spin_manifest_version': weft reads "
                         "spin_manifest_version = 2");
  v = kv->value;
  if (kv == old)
    n = 1;
  else if (v->type == WEFT__TOML_INTEGER)
    n = v->u.integer;
  else if (v->type == WEFT__TOML_STRING && v->u.string.len == 1 &&
           v->u.string.ptr[0] >= '0' && v->u.string.ptr[0] <= '9')
    n = v->u.string.ptr[0] - '0';
  if (n == 2)
    return 0;
  if (n == 1)
    return weft__mf_fail(c, WEFT_EUNSUPPORTED, kv->line,
                         "spin manifest version 1 is not supported: weft "
                         "reads spin_manifest_version = 2");
  return weft__mf_fail(c, WEFT_EINVAL, kv->line,
                       "'spin_manifest_version' must be 2");
}

/* Read the parsed `root` into c->m. */
static int read_root(weft__mf_ctx_t *c, const weft__toml_t *root) {
  top_t top = {NULL, NULL, NULL, NULL};
  int rc;
  if ((rc = check_version(c, root)) || (rc = weft__mf_read(c, root, top_keys,
                                                           &top)) ||
      (rc = read_app(c, top.application)) ||
      (top.variables && (rc = read_variables(c, top.variables))))
    return rc;
  if (c->m->app.redis_address &&
      (rc = weft__mf_check_template(c, c->m->app.redis_address,
                                    c->m->app.redis_address_loc.line,
                                    "address")))
    return rc;
  if ((rc = read_components(c, top.component,
                            top.trigger ? count_triggers(top.trigger) : 0)))
    return rc;
  if (top.trigger && (rc = weft__mf_triggers(c, top.trigger)))
    return rc;
  if (!c->m->triggers_len)
    return weft__mf_fail(c, WEFT_EINVAL, 0,
                         "no triggers: add a [[trigger.http]] or another "
                         "[[trigger.<type>]]");
  return 0;
}

/* See manifest.h. */
int weft__manifest_parse(const char *text, size_t len, const char *filename,
                         const char *dir, weft__manifest_t **out,
                         weft_error_t *err) {
  weft__manifest_t *m = calloc(1, sizeof *m);
  weft__mf_ctx_t c;
  int rc;
  *out = NULL;
  if (!filename)
    filename = "spin.toml";
  if (!dir)
    dir = ".";
  if (!m)
    return WEFT_ERR(err, WEFT_ENOMEM, "%s: out of memory", filename);
  m->file = weft__arena_strndup(&m->arena, filename, strlen(filename));
  m->dir = weft__arena_strndup(&m->arena, dir, strlen(dir));
  if (!m->file || !m->dir) {
    rc = WEFT_ERR(err, WEFT_ENOMEM, "%s: out of memory", filename);
    goto out;
  }
  if ((rc = weft__toml_parse(text, len, filename, &m->toml, err)))
    goto out;
  c.m = m;
  c.err = err;
  c.route_keys = NULL;
  if ((rc = read_root(&c, m->toml)))
    goto out;
  *out = m;
  m = NULL;
out:
  weft__manifest_free(m);
  return rc;
}

/* The manifest file for `path`: itself, or weft.toml / spin.toml inside it
 * when it is a directory. Caller frees *file. */
static int find_file(const char *path, char **file, weft_error_t *err) {
  static const char *const names[] = {"weft.toml", "spin.toml"};
  struct stat st;
  weft__buf_t b;
  size_t i;
  if (stat(path, &st) < 0)
    return WEFT_ERR(err, errno == ENOENT ? WEFT_ENOENT : WEFT_EIO,
                    "cannot open '%s': %s", path, strerror(errno));
  if (!S_ISDIR(st.st_mode)) {
    *file = weft__strdup(path);
    return *file ? 0 : WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  }
  for (i = 0; i < 2; i++) {
    size_t pl = strlen(path);
    weft__buf_init(&b);
    if (weft__buf_add(&b, path, pl) ||
        (pl && path[pl - 1] != '/' && weft__buf_puts(&b, "/")) ||
        weft__buf_puts(&b, names[i])) {
      weft__buf_release(&b);
      return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
    }
    if (stat(b.data, &st) == 0 && S_ISREG(st.st_mode)) {
      *file = b.data;
      return 0;
    }
    weft__buf_release(&b);
  }
  return WEFT_ERR(err, WEFT_ENOENT, "no weft.toml or spin.toml in '%s'",
                  path);
}

/* See manifest.h. */
int weft__manifest_load(const char *path, weft__manifest_t **out,
                        weft_error_t *err) {
  char *file = NULL, *dir = NULL, *slash;
  uint8_t *text = NULL;
  size_t len = 0;
  int rc;
  *out = NULL;
  if ((rc = find_file(path, &file, err)) ||
      (rc = weft__read_file(file, &text, &len, err)))
    goto out;
  slash = strrchr(file, '/');
  dir = slash ? weft__strndup(file, slash == file ? 1 : (size_t)(slash - file))
              : weft__strdup(".");
  if (!dir) {
    rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
    goto out;
  }
  rc = weft__manifest_parse((const char *)text, len, file, dir, out, err);
out:
  free(text);
  free(dir);
  free(file);
  return rc;
}

/* See manifest.h. */
void weft__manifest_free(weft__manifest_t *m) {
  if (!m)
    return;
  weft__toml_free(m->toml);
  weft__arena_release(&m->arena);
  free(m);
}

/* See manifest.h. */
const weft__manifest_component_t *
weft__manifest_component(const weft__manifest_t *m, const char *id) {
  size_t i;
  for (i = 0; i < m->components_len; i++)
    if (m->components[i].id && !strcmp(m->components[i].id, id))
      return &m->components[i];
  return NULL;
}

/* See manifest.h. */
const weft__manifest_variable_t *
weft__manifest_variable(const weft__manifest_t *m, const char *name) {
  size_t i;
  for (i = 0; i < m->variables_len; i++)
    if (!strcmp(m->variables[i].name, name))
      return &m->variables[i];
  return NULL;
}

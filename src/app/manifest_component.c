/* manifest_component.c - one component table, named ([component.<id>]) or
 * written inline in a trigger: its keys, files, environment, variables
 * (templates checked against [variables]) and build settings. */
#include <stdio.h>
#include <string.h>

#include "app/manifest_int.h"

/* source: a path relative to the manifest. Spin's remote ({url, digest})
 * and registry sources would need a download, which Weft does not do. */
static int read_source(weft__mf_ctx_t *c, const weft__toml_kv_t *kv,
                       void *obj) {
  weft__manifest_component_t *comp = obj;
  int rc;
  if (kv->value->type == WEFT__TOML_TABLE)
    return weft__mf_fail(c, WEFT_EUNSUPPORTED, kv->line,
                         "'source' must be a local path: weft does not "
                         "download components");
  if ((rc = weft__mf_string(c, kv->value, "source", kv->line, &comp->source)))
    return rc;
  if (!comp->source[0])
    return weft__mf_fail(c, WEFT_EINVAL, kv->line, "'source' is empty");
  if (!(comp->source_path = weft__mf_join(c, comp->source)))
    return weft__mf_nomem(c);
  return 0;
}

/* One {source, destination} entry of files. */
static const weft__mf_key_t file_keys[] = {
    {"source", WEFT__MF_STR, offsetof(weft__manifest_file_t, source), true,
     NULL, NULL},
    {"destination", WEFT__MF_STR, offsetof(weft__manifest_file_t, destination),
     true, NULL, NULL},
    {NULL, 0, 0, false, NULL, NULL}};

/* files: an array of relative paths or globs, and {source, destination}
 * tables whose destination is an absolute guest path. */
static int read_files(weft__mf_ctx_t *c, const weft__toml_kv_t *kv,
                      void *obj) {
  weft__manifest_component_t *comp = obj;
  size_t i, n;
  char shown[96], what[32];
  int rc;
  if (kv->value->type != WEFT__TOML_ARRAY)
    return weft__mf_fail(c, WEFT_EINVAL, kv->line, "'files' must be an array");
  n = weft__toml_array_len(kv->value);
  comp->files =
      weft__arena_calloc(&c->m->arena, n ? n : 1, sizeof *comp->files);
  if (!comp->files)
    return weft__mf_nomem(c);
  for (i = 0; i < n; i++) {
    const weft__toml_t *e = weft__toml_array_at(kv->value, i);
    weft__manifest_file_t *f = &comp->files[i];
    snprintf(what, sizeof what, "files[%zu]", i);
    f->loc = weft__mf_loc(c, e->line);
    if (e->type == WEFT__TOML_TABLE) {
      if ((rc = weft__mf_read(c, e, file_keys, f)))
        return rc;
      if (f->destination[0] != '/')
        return weft__mf_fail(
            c, WEFT_EINVAL, weft__toml_get_kv(e, "destination")->line,
            "'destination' must be an absolute path: '%s'",
            weft__str_show(f->destination, strlen(f->destination), shown,
                          sizeof shown));
    } else if (e->type == WEFT__TOML_STRING) {
      if ((rc = weft__mf_string(c, e, what, e->line, &f->source)))
        return rc;
      if (f->source[0] == '/')
        return weft__mf_fail(
            c, WEFT_EINVAL, e->line,
            "'%s' must be relative to the manifest: '%s'", what,
            weft__str_show(f->source, strlen(f->source), shown, sizeof shown));
    } else {
      return weft__mf_fail(c, WEFT_EINVAL, e->line,
                           "'%s' must be a string or a table", what);
    }
    if (!f->source[0])
      return weft__mf_fail(c, WEFT_EINVAL, e->line, "'%s' has an empty source",
                           what);
    if (!(f->path = weft__mf_join(c, f->source)))
      return weft__mf_nomem(c);
    comp->files_len = i + 1;
  }
  return 0;
}

/* Read a table of strings into *out; `env` checks keys as environment
 * variable names, otherwise as variable names whose values are templates. */
static int read_pairs(weft__mf_ctx_t *c, const weft__toml_kv_t *kv,
                      weft__manifest_pairs_t *out, bool env) {
  const weft__toml_t *t = kv->value;
  size_t i, n;
  char shown[96];
  int rc;
  if (t->type != WEFT__TOML_TABLE)
    return weft__mf_fail(c, WEFT_EINVAL, kv->line, "'%s' must be a table",
                         kv->key);
  n = weft__toml_table_len(t);
  out->items = weft__arena_calloc(&c->m->arena, n ? n : 1, sizeof *out->items);
  if (!out->items)
    return weft__mf_nomem(c);
  for (i = 0; i < n; i++) {
    const weft__toml_kv_t *e = weft__toml_table_at(t, i);
    weft__manifest_pair_t *p = &out->items[i];
    weft__str_show(e->key, e->key_len, shown, sizeof shown);
    if (env && (!e->key_len || memchr(e->key, '=', e->key_len) ||
                memchr(e->key, 0, e->key_len)))
      return weft__mf_fail(c, WEFT_EINVAL, e->line,
                           "invalid environment variable name '%s'", shown);
    if (!env && !weft__manifest_valid_id(e->key, e->key_len, true))
      return weft__mf_fail(c, WEFT_EINVAL, e->line,
                           "invalid variable name '%s': use lowercase words "
                           "of letters and digits joined by '_'",
                           shown);
    if ((rc = weft__mf_string(c, e->value, shown, e->line, &p->value)) ||
        (!env && (rc = weft__mf_check_template(c, p->value, e->line, shown))))
      return rc;
    p->key = e->key;
    p->loc = weft__mf_loc(c, e->line);
    out->len = i + 1;
  }
  return 0;
}

/* environment = { NAME = "value" }. */
static int read_environment(weft__mf_ctx_t *c, const weft__toml_kv_t *kv,
                            void *obj) {
  return read_pairs(c, kv, &((weft__manifest_component_t *)obj)->environment,
                    true);
}

/* variables = { name = "template" }. */
static int read_comp_variables(weft__mf_ctx_t *c, const weft__toml_kv_t *kv,
                               void *obj) {
  return read_pairs(c, kv, &((weft__manifest_component_t *)obj)->variables,
                    false);
}

/* allowed_outbound_hosts: strings that may hold templates. */
static int read_hosts(weft__mf_ctx_t *c, const weft__toml_kv_t *kv,
                      void *obj) {
  weft__manifest_strs_t *hosts =
      &((weft__manifest_component_t *)obj)->allowed_outbound_hosts;
  size_t i;
  int rc;
  if ((rc = weft__mf_strs(c, kv, hosts)))
    return rc;
  for (i = 0; i < hosts->len; i++)
    if ((rc = weft__mf_check_template(c, hosts->items[i].value,
                                      hosts->items[i].loc.line,
                                      "allowed_outbound_hosts")))
      return rc;
  return 0;
}

/* [component.<id>.build]. */
static const weft__mf_key_t build_keys[] = {
    {"command", WEFT__MF_STR, offsetof(weft__manifest_build_t, command), true,
     NULL, NULL},
    {"workdir", WEFT__MF_STR, offsetof(weft__manifest_build_t, workdir), false,
     NULL, NULL},
    {"watch", WEFT__MF_STRS, offsetof(weft__manifest_build_t, watch), false,
     NULL, NULL},
    {NULL, 0, 0, false, NULL, NULL}};

/* build = { command, workdir, watch }. */
static int read_build(weft__mf_ctx_t *c, const weft__toml_kv_t *kv,
                      void *obj) {
  weft__manifest_build_t *b = &((weft__manifest_component_t *)obj)->build;
  int rc;
  if (kv->value->type != WEFT__TOML_TABLE)
    return weft__mf_fail(c, WEFT_EINVAL, kv->line, "'build' must be a table");
  b->loc = weft__mf_loc(c, kv->value->line);
  if ((rc = weft__mf_read(c, kv->value, build_keys, b)))
    return rc;
  if (!(b->workdir_path = b->workdir ? weft__mf_join(c, b->workdir)
                                     : c->m->dir))
    return weft__mf_nomem(c);
  return 0;
}

/* The keys of a component. Spin keys for features Weft lacks are refused
 * by name rather than ignored. */
static const weft__mf_key_t component_keys[] = {
    {"description", WEFT__MF_STR,
     offsetof(weft__manifest_component_t, description), false, NULL, NULL},
    {"source", WEFT__MF_CUSTOM, 0, true, read_source, NULL},
    {"files", WEFT__MF_CUSTOM, 0, false, read_files, NULL},
    {"exclude_files", WEFT__MF_STRS,
     offsetof(weft__manifest_component_t, exclude_files), false, NULL, NULL},
    {"allowed_outbound_hosts", WEFT__MF_CUSTOM, 0, false, read_hosts, NULL},
    {"key_value_stores", WEFT__MF_STRS,
     offsetof(weft__manifest_component_t, key_value_stores), false, NULL,
     NULL},
    {"sqlite_databases", WEFT__MF_STRS,
     offsetof(weft__manifest_component_t, sqlite_databases), false, NULL,
     NULL},
    {"ai_models", WEFT__MF_STRS,
     offsetof(weft__manifest_component_t, ai_models), false, NULL, NULL},
    {"environment", WEFT__MF_CUSTOM, 0, false, read_environment, NULL},
    {"variables", WEFT__MF_CUSTOM, 0, false, read_comp_variables, NULL},
    {"build", WEFT__MF_CUSTOM, 0, false, read_build, NULL},
    {"allowed_http_hosts", WEFT__MF_UNSUPPORTED, 0, false, NULL,
     ": use 'allowed_outbound_hosts'"},
    {"dependencies", WEFT__MF_UNSUPPORTED, 0, false, NULL, NULL},
    {"dependencies_inherit_configuration", WEFT__MF_UNSUPPORTED, 0, false,
     NULL, NULL},
    {"targets", WEFT__MF_UNSUPPORTED, 0, false, NULL, NULL},
    {"tool", WEFT__MF_UNSUPPORTED, 0, false, NULL, NULL},
    {NULL, 0, 0, false, NULL, NULL}};

/* See manifest_int.h. */
int weft__mf_component(weft__mf_ctx_t *c, const weft__toml_t *t,
                       weft__manifest_component_t *comp) {
  return weft__mf_read(c, t, component_keys, comp);
}

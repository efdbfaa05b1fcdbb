/* runtime_config.c - the runtime config file, Spin's runtime-config.toml
 * (runtime_config.h): [key_value_store.LABEL] tables, read strictly, each
 * problem one message naming file:line.
 *
 * A SQLite store without `path` goes to <config dir>/.weft/<label>.db,
 * so that two labels never share a file by accident; that is why a label
 * is restricted to letters, digits, '_' and '-'. A Redis `url` is parsed
 * here (weft__redis_url_parse), so a bad one stops `weft up` with its
 * line rather than failing the first guest that opens the store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/manifest_int.h"
#include "app/runtime_config.h"
#include "toml/toml.h"
#include "trigger/redis_url.h"
#include "util/arena.h"

/* What priv_ holds. */
typedef struct owned {
  weft__toml_t *toml;
  weft__arena_t arena;
} owned_t;

/* Tables of Spin's runtime config that Weft does not implement: named as
 * such rather than as unknown. */
static const char *const spin_only[] = {
    "sqlite_database", "variables_provider",  "config_provider",
    "llm_compute",     "outbound_networking", NULL};

/* True if the key of `kv` is `s` (keys may hold NUL bytes). */
static bool key_is(const weft__toml_kv_t *kv, const char *s) {
  return kv->key_len == strlen(s) && !memcmp(kv->key, s, kv->key_len);
}

/* True if `s` (len bytes) is a usable label: it names a file by default. */
static bool valid_label(const char *s, size_t len) {
  if (!len || len > 128)
    return false;
  for (size_t i = 0; i < len; i++)
    if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
          (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-'))
      return false;
  return true;
}

/* `dir`/`rel` (or `rel` when absolute) in the arena; NULL: out of memory. */
static const char *join(weft__arena_t *a, const char *dir, const char *rel) {
  weft__buf_t b;
  weft__buf_init(&b);
  size_t dl = strlen(dir);
  if (rel[0] == '/' || !strcmp(dir, "."))
    weft__buf_puts(&b, rel);
  else
    weft__buf_printf(&b, "%s%s%s", dir, dir[dl - 1] == '/' ? "" : "/", rel);
  const char *p = b.data ? weft__arena_strndup(a, b.data, b.len) : NULL;
  weft__buf_release(&b);
  return p;
}

/* Read [key_value_store.LABEL] (`kv`) into `out`. */
static int read_store(const char *file, const char *dir, weft__arena_t *a,
                      const weft__toml_kv_t *kv, weft__runtime_kv_t *out,
                      weft_error_t *err) {
  static const char *const sqlite_keys[] = {"type", "path", NULL};
  static const char *const redis_keys[] = {"type", "url", NULL};
  const weft__toml_t *t = kv->value;
  const char *type = NULL;
  char shown[96];
  int rc;
  weft__str_show(kv->key, kv->key_len, shown, sizeof shown);
  if (!valid_label(kv->key, kv->key_len))
    return WEFT_ERR(err, WEFT_EINVAL,
                    "%s:%d: invalid key-value store label '%s': use letters, "
                    "digits, '_' and '-'",
                    file, kv->line, shown);
  if (t->type != WEFT__TOML_TABLE)
    return WEFT_ERR(err, WEFT_EINVAL,
                    "%s:%d: 'key_value_store.%s' must be a table", file,
                    kv->line, shown);
  out->label = kv->key;
  out->loc.file = file;
  out->loc.line = t->line;
  if ((rc = weft__toml_get_string(t, "type", &type, err)))
    return rc;
  const weft__toml_kv_t *type_kv = weft__toml_get_kv(t, "type");
  if (!strcmp(type, "spin") || !strcmp(type, "sqlite")) {
    const char *path = NULL;
    out->backend = WEFT__KV_SQLITE;
    if ((rc = weft__toml_check_keys(t, sqlite_keys, err)))
      return rc;
    rc = weft__toml_get_string(t, "path", &path, err);
    if (rc == WEFT_ENOTFOUND) {
      char rel[160];
      snprintf(rel, sizeof rel, ".weft/%s.db", out->label);
      path = rel;
      out->path = join(a, dir, path);
    } else if (rc) {
      return rc;
    } else if (!*path) {
      return WEFT_ERR(err, WEFT_EINVAL, "%s:%d: 'path' must not be empty", file,
                      weft__toml_get_kv(t, "path")->line);
    } else {
      out->path = join(a, dir, path);
    }
    if (!out->path)
      return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
    return 0;
  }
  if (!strcmp(type, "redis")) {
    weft__redis_url_t u;
    weft_error_t why = {0};
    out->backend = WEFT__KV_REDIS;
    if ((rc = weft__toml_check_keys(t, redis_keys, err)) ||
        (rc = weft__toml_get_string(t, "url", &out->url, err)))
      return rc;
    if ((rc = weft__redis_url_parse(out->url, &u, &why)))
      return WEFT_ERR(err, rc, "%s:%d: %s", file,
                      weft__toml_get_kv(t, "url")->line, why.msg);
    weft__redis_url_release(&u);
    return 0;
  }
  char ty[96];
  weft__str_show(type, strlen(type), ty, sizeof ty);
  return WEFT_ERR(err, WEFT_EINVAL,
                  "%s:%d: unknown key-value store type '%s' in "
                  "[key_value_store.%s]: weft knows \"spin\", \"sqlite\" and "
                  "\"redis\"",
                  file, type_kv->line, ty, shown);
}

/* Read the root table `root` of `file` (whose directory is `dir`). */
static int read_root(const char *file, const char *dir, weft__arena_t *a,
                     const weft__toml_t *root, weft__runtime_config_t *rc_out,
                     weft_error_t *err) {
  const weft__toml_t *stores = NULL;
  for (size_t i = 0; i < weft__toml_table_len(root); i++) {
    const weft__toml_kv_t *kv = weft__toml_table_at(root, i);
    char shown[96];
    weft__str_show(kv->key, kv->key_len, shown, sizeof shown);
    if (key_is(kv, "key_value_store")) {
      if (kv->value->type != WEFT__TOML_TABLE)
        return WEFT_ERR(err, WEFT_EINVAL,
                        "%s:%d: 'key_value_store' must be a table", file,
                        kv->line);
      stores = kv->value;
      continue;
    }
    for (size_t k = 0; spin_only[k]; k++)
      if (key_is(kv, spin_only[k]))
        return WEFT_ERR(err, WEFT_EUNSUPPORTED,
                        "%s:%d: [%s] is not supported by weft", file, kv->line,
                        shown);
    if (kv->value->type == WEFT__TOML_TABLE ||
        (kv->value->type == WEFT__TOML_ARRAY && kv->value->u.array.of_tables))
      return WEFT_ERR(err, WEFT_EINVAL,
                      "%s:%d: unknown table [%s]: weft reads "
                      "[key_value_store.LABEL]",
                      file, kv->line, shown);
    return WEFT_ERR(err, WEFT_EINVAL, "%s:%d: unknown key '%s'", file, kv->line,
                    shown);
  }
  size_t n = weft__toml_table_len(stores);
  rc_out->kv_stores =
      weft__arena_calloc(a, n ? n : 1, sizeof *rc_out->kv_stores);
  if (!rc_out->kv_stores)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) {
    int rc = read_store(file, dir, a, weft__toml_table_at(stores, i),
                        &rc_out->kv_stores[i], err);
    if (rc)
      return rc;
    rc_out->kv_stores_len = i + 1;
  }
  return 0;
}

/* Parse `text` (or, when NULL, the file `path`) as the runtime config
 * file `path`. */
static int parse(const char *text, size_t len, const char *path,
                 weft__runtime_config_t **out, weft_error_t *err) {
  weft__runtime_config_t *cfg = calloc(1, sizeof *cfg);
  owned_t *own = calloc(1, sizeof *own);
  const char *slash = strrchr(path, '/');
  const char *dir;
  int rc;
  *out = NULL;
  if (!cfg || !own) {
    free(cfg);
    free(own);
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  }
  cfg->priv_ = own;
  cfg->file = weft__arena_strndup(&own->arena, path, strlen(path));
  dir = slash ? weft__arena_strndup(&own->arena, path,
                                    slash == path ? 1 : (size_t)(slash - path))
              : ".";
  if (!cfg->file || !dir) {
    rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
    goto fail;
  }
  rc = text ? weft__toml_parse(text, len, cfg->file, &own->toml, err)
            : weft__toml_parse_file(path, &own->toml, err);
  if (rc || (rc = read_root(cfg->file, dir, &own->arena, own->toml, cfg,
                            err)))
    goto fail;
  *out = cfg;
  return 0;
fail:
  weft__runtime_config_free(cfg);
  return rc;
}

/* See runtime_config.h. */
int weft__runtime_config_load(const char *path, weft__runtime_config_t **out,
                              weft_error_t *err) {
  return parse(NULL, 0, path, out, err);
}

/* See runtime_config.h. */
int weft__runtime_config_parse(const char *text, size_t len,
                               const char *path,
                               weft__runtime_config_t **out,
                               weft_error_t *err) {
  return parse(text, len, path, out, err);
}

/* See runtime_config.h. */
void weft__runtime_config_free(weft__runtime_config_t *rc) {
  if (!rc)
    return;
  owned_t *own = rc->priv_;
  if (own) {
    weft__toml_free(own->toml);
    weft__arena_release(&own->arena);
    free(own);
  }
  free(rc);
}

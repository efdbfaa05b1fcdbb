/* runtime_config.h - the runtime config file (`weft up
 * --runtime-config-file F`), Spin's runtime-config.toml:
 *
 *   [key_value_store.LABEL]
 *   type = "redis"            # url = "redis://host:port[/db]" (required)
 *   type = "spin" | "sqlite"  # path = "file.db" (relative to the file;
 *                             # default: <its dir>/.weft/<LABEL>.db)
 *
 * LABEL is letters, digits, '_' and '-'. Strict like the manifest: an
 * unknown table, key or type, or a bad Redis url, is an error naming
 * file:line; Spin tables Weft lacks ([sqlite_database], ...) are "not
 * supported". See docs/internals/kv.md. */
#ifndef WEFT_APP_RUNTIME_CONFIG_H
#define WEFT_APP_RUNTIME_CONFIG_H

#include <stddef.h>

#include "app/manifest.h"
#include "util/util.h"

typedef enum weft__kv_backend {
  WEFT__KV_SQLITE = 1,
  WEFT__KV_REDIS
} weft__kv_backend_t;

typedef struct weft__runtime_kv {
  const char *label;
  weft__kv_backend_t backend;
  const char *path;   /* SQLite: the file, joined to the config's dir */
  const char *url;    /* Redis: redis://host:port[/db] */
  weft__manifest_loc_t loc;
} weft__runtime_kv_t;

typedef struct weft__runtime_config {
  const char *file;
  weft__runtime_kv_t *kv_stores;
  size_t kv_stores_len;
  void *priv_;        /* the TOML tree and arena */
} weft__runtime_config_t;

/* Load `path` (borrowed; messages name the file by it). On success sets
 * *out (free with weft__runtime_config_free; every string lives as long)
 * and returns 0; else one error naming file:line: WEFT_EPARSE (bad TOML),
 * WEFT_EINVAL, WEFT_EUNSUPPORTED, WEFT_ENOENT / WEFT_EIO, WEFT_ENOMEM. */
int weft__runtime_config_load(const char *path, weft__runtime_config_t **out,
                              weft_error_t *err);
/* NULL is ignored. */
/* The same for `len` bytes of `text`, named `path` in messages (paths in
 * it are relative to the directory of `path`). */
int weft__runtime_config_parse(const char *text, size_t len,
                               const char *path,
                               weft__runtime_config_t **out,
                               weft_error_t *err);
void weft__runtime_config_free(weft__runtime_config_t *rc);

#endif

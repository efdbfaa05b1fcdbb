/* kv.h - key-value stores and Spin's key-value interfaces
 * (fermyon:spin/key-value@2.0.0, resource `store`; and the unversioned
 * fermyon:spin/key-value with u32 handles).
 *
 * A store is named by a label. `default` is a SQLite file (by default
 * <manifest dir>/.weft/sqlite_key_value.db); the runtime config file may
 * give any label another SQLite file or a Redis server. A component may
 * open only the labels in its `key_value_stores`; any other label gets
 * `access-denied`, a label the app does not define `no-such-store`.
 * Values survive restarts. Thread-safe: HTTP requests run on many
 * threads at once. */
#ifndef WEFT_TRIGGER_KV_H
#define WEFT_TRIGGER_KV_H

#include <stddef.h>

#include "app/manifest.h"
#include "app/runtime_config.h"
#include "weft.h"

typedef struct weft__kv weft__kv_t;

typedef struct weft__kv_config {
  const char *default_path;   /* the default store's SQLite file (copied);
                                 NULL: `default` exists only if the
                                 runtime config defines it */
  const weft__runtime_config_t *runtime; /* NULL: none (borrowed) */
  const char *const *presets; /* "key=value" set in `default` at start
                                 (`weft up --key-value`) */
  size_t npresets;
} weft__kv_config_t;

/* Open the stores the app may use (backends connect lazily, on first
 * open by a guest, except that presets open `default` at once). `cfg` is
 * borrowed for the call. Fails with WEFT_EINVAL for a bad preset (or
 * presets without a `default`), the backend's error when `default` cannot
 * be opened for them, or WEFT_ENOMEM. */
int weft__kv_new(const weft__kv_config_t *cfg, weft__kv_t **out,
                 weft_error_t *err);
/* Close every store. After every linker (and instance) using `kv` is
 * freed. NULL is ignored. */
void weft__kv_free(weft__kv_t *kv);

/* Define both key-value interfaces on `linker` (bound to a world) for
 * component `c`: only what the world imports is defined, and a world
 * importing neither gets nothing and 0. Takes the linker's per-instance
 * state slot WEFT__STATE_KV when it defines anything. `kv` and `c` are
 * borrowed for the linker's life. */
int weft__kv_define(weft_linker_t *linker, weft__kv_t *kv,
                    const weft__manifest_component_t *c, weft_error_t *err);

#endif

/* app.h - a running trigger app (`weft up`): the manifest's components
 * loaded, linked to their trigger's world with the host APIs they are
 * granted (variables, key-value, outbound HTTP, logs), each behind a pool
 * of instances, and the built-in triggers (HTTP, timer, Redis) running. */
#ifndef WEFT_TRIGGER_APP_H
#define WEFT_TRIGGER_APP_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/manifest.h"
#include "trigger/pool.h"
#include "weft.h"

typedef struct weft__app_config {
  const char *path;          /* manifest file, or a directory with one */
  const char *host;          /* listen address; NULL: 127.0.0.1 */
  uint16_t port;             /* 0: any free port */
  uint64_t request_timeout_ns; /* 0: none */
  size_t max_instances;      /* per component; 0: 64 */
  size_t max_body;           /* 0: 10 MiB */
  const char *const *variables; /* "k=v" */
  size_t nvariables;
  const char *log_dir;       /* NULL: <manifest dir>/.weft/logs */
  const char *const *follow; /* component ids whose logs are also
                                printed live; "*": all of them */
  size_t nfollow;
  const char *const *only;   /* run only these components' triggers */
  size_t nonly;
  const char *runtime_config; /* runtime config file, or NULL */
  const char *const *kv_presets; /* "k=v" set in the default store */
  size_t nkv_presets;
  uint32_t speedup;          /* timer intervals divided by it; 0: 1 */
  /* Run only the triggers of this type (`weft trigger T`, an executor
   * built with weft_trigger_main); NULL: every built-in type. A type that
   * is not built in needs its world: `type_world` of `type_wit`. */
  const char *only_type;
  weft_wit_t *type_wit;      /* borrowed */
  const char *type_world;
  unsigned host_apis;        /* WEFT_HOST_* granted; 0: all of them */
  /* An app built in code: its manifest text, parsed instead of reading
   * `path` (which then only names it in messages), relative to `dir`. */
  const char *manifest_text;
  const char *dir;
  bool quiet;                /* print nothing (where it serves, logs) */
  const char *wit_dir;       /* NULL: $WEFT_WIT_DIR, else the built-in */
  weft_engine_t *engine;     /* borrowed */
} weft__app_config_t;

typedef struct weft__app weft__app_t;

/* Load and start the app: returns once it serves, printing where to
 * stdout. */
int weft__app_start(const weft__app_config_t *cfg, weft__app_t **out,
                    weft_error_t *err);
/* The pool of component `id`, or NULL when it is not loaded. */
weft__pool_t *weft__app_pool(const weft__app_t *app, const char *id);
/* The triggers of `only_type` that run (after -c); *n gets their count. */
const weft__manifest_trigger_t *const *weft__app_own_triggers(
    const weft__app_t *app, size_t *n);
/* Its manifest (triggers of other types are left to the supervisor). */
const weft__manifest_t *weft__app_manifest(const weft__app_t *app);
/* The HTTP port it listens on (0 when it has no HTTP trigger). */
uint16_t weft__app_port(const weft__app_t *app);
/* Stop the triggers, wait for calls in progress, free everything. */
void weft__app_stop(weft__app_t *app);

#endif

/* manifest.h - the app manifest of trigger apps: Spin's manifest version 2,
 * read from spin.toml or weft.toml (same format).
 *
 * weft__manifest_parse turns manifest text into a weft__manifest_t: the
 * application, its variables, its components (named ones and those written
 * inline in a trigger, which get Spin's generated ids) and its triggers
 * (http, timer and redis are modelled; any other type T is kept as its raw
 * TOML table for the external executor weft-trigger-T). It is stricter
 * than Spin: an unknown key anywhere, a trigger naming a missing
 * component, a bad or duplicate HTTP route, or a template naming an
 * undeclared variable is an error. A failure yields exactly one message,
 * the first problem in file order: "weft.toml:12: unknown key 'rout' in
 * [[trigger.http]]". See docs/internals/manifest.md.
 *
 * Everything in the model is owned by the manifest (strings borrowed from
 * its TOML tree or its arena) and lives until weft__manifest_free.
 */
#ifndef WEFT_APP_MANIFEST_H
#define WEFT_APP_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "toml/toml.h"
#include "util/arena.h"
#include "util/util.h"

/* Where something was written: the manifest's file name (as given to the
 * parser) and a 1-based line. */
typedef struct weft__manifest_loc {
  const char *file;
  int line;
} weft__manifest_loc_t;

/* One string of a list, with its position. */
typedef struct weft__manifest_str {
  const char *value;
  weft__manifest_loc_t loc;
} weft__manifest_str_t;

/* A list of strings (an absent key is an empty list). */
typedef struct weft__manifest_strs {
  weft__manifest_str_t *items;
  size_t len;
} weft__manifest_strs_t;

/* One key = "value" of a string table (environment, component variables). */
typedef struct weft__manifest_pair {
  const char *key;
  const char *value;
  weft__manifest_loc_t loc;
} weft__manifest_pair_t;

typedef struct weft__manifest_pairs {
  weft__manifest_pair_t *items;
  size_t len;
} weft__manifest_pairs_t;

/* [variables] name = { default, required, secret, description }. */
typedef struct weft__manifest_variable {
  const char *name;        /* lower snake case: api_key */
  const char *default_value; /* NULL when none (then required is true) */
  const char *description; /* NULL when none */
  bool required;
  bool secret;
  weft__manifest_loc_t loc;
} weft__manifest_variable_t;

/* One entry of a component's files: a path or glob ("static/a.txt"), or
 * a {source, destination} table. `source` is as written, relative to the
 * manifest's directory; `path` is the same joined to that directory.
 * `destination` is NULL for the string form (files keep their relative
 * path in the guest). */
typedef struct weft__manifest_file {
  const char *source;
  const char *path;
  const char *destination;
  weft__manifest_loc_t loc;
} weft__manifest_file_t;

/* [component.<id>.build]; command is NULL when the table is absent. */
typedef struct weft__manifest_build {
  const char *command;
  const char *workdir;      /* as written, or NULL */
  const char *workdir_path; /* workdir (or ".") joined to the manifest dir */
  weft__manifest_strs_t watch;
  weft__manifest_loc_t loc;
} weft__manifest_build_t;

typedef struct weft__manifest_component {
  const char *id;           /* kebab case: "cart", "http-trigger1-component" */
  bool is_inline;           /* written inside a trigger */
  const char *description;  /* NULL when none */
  const char *source;       /* as written */
  const char *source_path;  /* joined to the manifest's directory */
  weft__manifest_file_t *files;
  size_t files_len;
  weft__manifest_strs_t exclude_files;
  weft__manifest_strs_t allowed_outbound_hosts; /* may hold templates */
  weft__manifest_strs_t key_value_stores;
  weft__manifest_strs_t sqlite_databases;
  weft__manifest_strs_t ai_models;
  weft__manifest_pairs_t environment;
  weft__manifest_pairs_t variables; /* template text kept: "{{ api_key }}" */
  weft__manifest_build_t build;
  weft__manifest_loc_t loc;
} weft__manifest_component_t;

typedef enum weft__trigger_kind {
  WEFT__TRIGGER_HTTP = 1,
  WEFT__TRIGGER_TIMER,
  WEFT__TRIGGER_REDIS,
  WEFT__TRIGGER_OTHER /* run by an external weft-trigger-<type> */
} weft__trigger_kind_t;

typedef struct weft__manifest_trigger {
  weft__trigger_kind_t kind;
  const char *type;         /* "http", "timer", "redis", or T of
                               [[trigger.T]] */
  const char *id;           /* as written, or generated as Spin does */
  size_t component;         /* index into manifest->components */
  const char *component_id; /* == components[component].id */
  const weft__toml_t *table; /* the raw [[trigger.T]] table */
  weft__manifest_loc_t loc;  /* the [[trigger.T]] header */
  union {
    struct {
      const char *route;     /* as written; NULL when private */
      bool is_private;       /* route = { private = true } */
      const char *executor;  /* executor type: "spin" (default) or "wagi" */
      const char *argv;      /* wagi only; NULL when unset */
      const char *entrypoint;
      const weft__toml_t *executor_table; /* NULL when absent */
      weft__manifest_loc_t route_loc;
    } http;
    struct {
      int64_t interval_secs; /* > 0 */
    } timer;
    struct {
      const char *channel;
      const char *address;   /* its own, or [application.trigger.redis] */
    } redis;
  } u;
} weft__manifest_trigger_t;

/* Settings under [application.trigger.<type>] for a type other than http
 * and redis, kept raw for external executors. */
typedef struct weft__manifest_trigger_settings {
  const char *type;
  const weft__toml_t *table;
} weft__manifest_trigger_settings_t;

typedef struct weft__manifest_app {
  const char *name;
  const char *version;      /* NULL when none */
  const char *description;  /* NULL when none */
  weft__manifest_strs_t authors;
  const char *http_base;    /* [application.trigger.http] base, default "/" */
  weft__manifest_loc_t http_base_loc; /* line 0 when not written */
  const char *redis_address; /* [application.trigger.redis] address, or NULL */
  weft__manifest_loc_t redis_address_loc;
  weft__manifest_trigger_settings_t *trigger_settings;
  size_t trigger_settings_len;
  weft__manifest_loc_t loc;
} weft__manifest_app_t;

typedef struct weft__manifest {
  const char *file;         /* name used in messages */
  const char *dir;          /* directory relative paths are resolved from */
  weft__manifest_app_t app;
  weft__manifest_variable_t *variables;
  size_t variables_len;
  weft__manifest_component_t *components; /* named ones in file order, then
                                             inline ones in trigger order */
  size_t components_len;
  weft__manifest_trigger_t *triggers;     /* in file order within a type */
  size_t triggers_len;
  weft__toml_t *toml;       /* the parsed file, owned */
  weft__arena_t arena;      /* everything else, owned */
} weft__manifest_t;

/* Parse `len` bytes of manifest `text` (borrowed). `filename` (borrowed,
 * copied; NULL: "spin.toml") names the file in messages; `dir` (borrowed,
 * copied; NULL: ".") is the directory that component paths are relative
 * to. On success sets *out (free with weft__manifest_free) and returns 0.
 * On failure returns WEFT_EPARSE (bad TOML), WEFT_EINVAL (a bad manifest),
 * WEFT_EUNSUPPORTED (manifest version 1, or a Spin feature Weft lacks),
 * WEFT_ELIMIT or WEFT_ENOMEM, fills `err` with one message and leaves *out
 * NULL. */
int weft__manifest_parse(const char *text, size_t len, const char *filename,
                         const char *dir, weft__manifest_t **out,
                         weft_error_t *err);

/* Load the manifest at `path`: a file, or a directory holding weft.toml or
 * else spin.toml. Messages name the file by the path it was opened with.
 * Ownership and results as weft__manifest_parse, plus WEFT_ENOENT / EIO
 * when the file cannot be found or read. */
int weft__manifest_load(const char *path, weft__manifest_t **out,
                        weft_error_t *err);

/* Free a manifest and everything it owns. NULL is ignored. */
void weft__manifest_free(weft__manifest_t *m);

/* The component with `id` (NUL-terminated), or NULL. */
const weft__manifest_component_t *
weft__manifest_component(const weft__manifest_t *m, const char *id);

/* The kind of trigger of type `type`: one of the built-in ones, or
 * WEFT__TRIGGER_OTHER. */
weft__trigger_kind_t weft__manifest_trigger_kind(const char *type);

/* The variable named `name`, or NULL. */
const weft__manifest_variable_t *
weft__manifest_variable(const weft__manifest_t *m, const char *name);

/* True if `s` is a valid component id (kebab case: lowercase letters and
 * digits in words joined by '-', the first word starting with a letter),
 * or with `snake` a valid variable name (the same joined by '_'). */
bool weft__manifest_valid_id(const char *s, size_t len, bool snake);

#endif

/* manifest_int.h - what the manifest_*.c files share: the parse context,
 * the table-driven key reader and message helpers. Not for other modules. */
#ifndef WEFT_APP_MANIFEST_INT_H
#define WEFT_APP_MANIFEST_INT_H

#include <stddef.h>

#include "app/manifest.h"

/* State of one parse. */
typedef struct weft__mf_ctx {
  weft__manifest_t *m;
  weft_error_t *err;
  const char **route_keys; /* per trigger: normalised route, or NULL */
} weft__mf_ctx_t;

/* How a key's value is read into the struct being filled. */
typedef enum weft__mf_kind {
  WEFT__MF_STR = 1,    /* const char *: a string without NUL */
  WEFT__MF_STRS,       /* weft__manifest_strs_t: an array of strings */
  WEFT__MF_BOOL,       /* bool */
  WEFT__MF_INT,        /* int64_t */
  WEFT__MF_TABLE,      /* const weft__toml_t *: any table, kept raw */
  WEFT__MF_CUSTOM,     /* the row's `read` function does it */
  WEFT__MF_UNSUPPORTED /* a Spin key Weft does not implement */
} weft__mf_kind_t;

typedef struct weft__mf_key weft__mf_key_t;

/* A reader for WEFT__MF_CUSTOM: reads kv->value into `obj`. */
typedef int (*weft__mf_read_fn)(weft__mf_ctx_t *c, const weft__toml_kv_t *kv,
                                void *obj);

/* One row of a section's key table; a table ends with a NULL key. */
struct weft__mf_key {
  const char *key;
  weft__mf_kind_t kind;
  size_t offset;         /* of the field in `obj` */
  bool required;
  weft__mf_read_fn read; /* WEFT__MF_CUSTOM */
  const char *hint;      /* WEFT__MF_UNSUPPORTED: appended to the message */
};

/* Read `table` into `obj` by `keys`: keys in file order (an unknown one is
 * an error naming it and the section), then the required ones that are
 * absent. Returns 0 or the first error. */
int weft__mf_read(weft__mf_ctx_t *c, const weft__toml_t *table,
                  const weft__mf_key_t *keys, void *obj);

/* Fill the error with "file:line: <message>" and return `code`. */
int weft__mf_fail(weft__mf_ctx_t *c, int code, int line, const char *fmt,
                  ...) __attribute__((format(printf, 4, 5)));

/* Out of memory, as an error. */
int weft__mf_nomem(weft__mf_ctx_t *c);

/* Append the name of the section holding `node` as written in TOML:
 * "[[trigger.http]]", "[component.cart.build]", "[variables.token]". */
int weft__mf_where(const weft__toml_t *node, weft__buf_t *out);


/* A location at `line`. */
weft__manifest_loc_t weft__mf_loc(weft__mf_ctx_t *c, int line);

/* `dir` joined to `rel` in the arena (`rel` itself when absolute), or
 * NULL when out of memory. */
const char *weft__mf_join(weft__mf_ctx_t *c, const char *rel);

/* Check that every "{{ name }}" in `s` names a declared variable; `line`
 * and `what` (the key, for messages) say where `s` was written. */
int weft__mf_check_template(weft__mf_ctx_t *c, const char *s, int line,
                            const char *what);

/* Read a string value `v` of key `what` at `line` (no NUL allowed). */
int weft__mf_string(weft__mf_ctx_t *c, const weft__toml_t *v,
                    const char *what, int line, const char **out);

/* Read the array of strings kv->value into *out (arena). */
int weft__mf_strs(weft__mf_ctx_t *c, const weft__toml_kv_t *kv,
                  weft__manifest_strs_t *out);

/* Components (manifest_component.c): read the table `t` as component `id`
 * into `comp` (loc and id set by the caller). */
int weft__mf_component(weft__mf_ctx_t *c, const weft__toml_t *t,
                       weft__manifest_component_t *comp);

/* Triggers (manifest_trigger.c): read the whole [trigger] table. Named
 * components must already be read; inline ones are appended. */
int weft__mf_triggers(weft__mf_ctx_t *c, const weft__toml_t *trigger);

#endif

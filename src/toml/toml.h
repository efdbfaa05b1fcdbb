/* toml.h - a TOML 1.0.0 parser that builds a tree, and helpers to read it.
 *
 * weft__toml_parse turns UTF-8 text into a tree of weft__toml_t nodes. Every
 * node and every key remembers its 1-based line and column (columns count
 * code points) so that readers built on top (the app manifest, flow files)
 * can point at the offending spot: "weft.toml:12: unknown key 'foo' in
 * [component.hello]". Tables keep their keys in insertion order.
 *
 * Guarantees: the whole input is validated (UTF-8, control characters, every
 * rule of TOML 1.0.0 including the redefinition rules); the parser never
 * reads outside [text, text + len), needs no NUL terminator, never leaks,
 * and nests at most WEFT__TOML_MAX_DEPTH levels, so hostile input cannot
 * exhaust the stack. See docs/internals/toml.md.
 *
 * The tree is read-only for its users; its structs are visible so that code
 * can switch on node->type, but the accessors below are the intended way in.
 */
#ifndef WEFT_TOML_H
#define WEFT_TOML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

/* Deepest nesting of tables and arrays (the root table is depth 0). */
#define WEFT__TOML_MAX_DEPTH 128

typedef enum weft__toml_type {
  WEFT__TOML_TABLE = 1,
  WEFT__TOML_ARRAY,
  WEFT__TOML_STRING,
  WEFT__TOML_INTEGER,        /* int64_t */
  WEFT__TOML_FLOAT,          /* double, may be inf or nan */
  WEFT__TOML_BOOL,
  WEFT__TOML_DATETIME,       /* offset date-time: 1979-05-27T07:32:00Z */
  WEFT__TOML_LOCAL_DATETIME, /* 1979-05-27T07:32:00 */
  WEFT__TOML_LOCAL_DATE,     /* 1979-05-27 */
  WEFT__TOML_LOCAL_TIME      /* 07:32:00 */
} weft__toml_type_t;

/* How a table came to exist; the spec's redefinition rules depend on it. */
typedef enum weft__toml_def {
  WEFT__TOML_IMPLICIT = 0, /* a prefix of a [a.b.c] header, or the root */
  WEFT__TOML_EXPLICIT,     /* a [header], or an element of [[header]] */
  WEFT__TOML_DOTTED,       /* created by a dotted key: a.b = 1 */
  WEFT__TOML_INLINE        /* { inline = "table" }, immutable */
} weft__toml_def_t;

typedef struct weft__toml weft__toml_t;

/* The parts of a date-time value; absent parts are 0. */
typedef struct weft__toml_datetime {
  int year, month, day;      /* LOCAL_TIME: 0 */
  int hour, minute, second;  /* LOCAL_DATE: 0 */
  int nanosecond;            /* fraction of the second, truncated to ns */
  int frac_digits;           /* digits written after '.', 0 if none */
  int offset_minutes;        /* DATETIME: east of UTC; 'Z' is 0 */
  bool offset_z;             /* DATETIME: written as 'Z' or 'z' */
} weft__toml_datetime_t;

/* One key of a table: the key as decoded (may hold NUL bytes, always
 * NUL-terminated), where it was written, and its value (owned). */
typedef struct weft__toml_kv {
  char *key;
  size_t key_len;
  int line, col;
  weft__toml_t *value;
} weft__toml_kv_t;

struct weft__toml {
  weft__toml_type_t type;
  int line, col;           /* where the value (or table header) starts */
  int depth;               /* 0 for the root */
  const char *file;        /* file name given to weft__toml_parse */
  weft__toml_t *parent;    /* NULL for the root */
  const char *key;         /* key in the parent table, NULL otherwise */
  size_t key_len;
  size_t index;            /* index in the parent array */
  union {
    struct {
      weft__toml_kv_t *items; /* insertion order */
      size_t len, cap;
      uint32_t *slots;        /* hash index (item index + 1), or NULL */
      size_t nslots;
      weft__toml_def_t def;
    } table;
    struct {
      weft__toml_t **items;
      size_t len, cap;
      bool of_tables;         /* made by [[header]], can grow */
    } array;
    struct {
      char *ptr;              /* NUL-terminated, may hold NUL bytes */
      size_t len;
    } string;
    int64_t integer;
    double flt;
    bool boolean;
    struct {
      weft__toml_datetime_t dt;
      char *text;             /* as written in the source */
    } datetime;
  } u;
};

/* Parse `len` bytes of `text` (borrowed, need not be NUL-terminated).
 * `filename` (borrowed, copied; NULL: "<input>") prefixes error messages:
 * "app.toml:4:9: expected '=' after key". On success sets *out to a new
 * root table, freed with weft__toml_free, and returns 0. On failure returns
 * WEFT_EPARSE, WEFT_ELIMIT (nesting deeper than WEFT__TOML_MAX_DEPTH) or
 * WEFT_ENOMEM, fills `err` and leaves *out NULL. */
int weft__toml_parse(const char *text, size_t len, const char *filename,
                     weft__toml_t **out, weft_error_t *err);

/* Read the file at `path` and parse it, naming it `path` in messages.
 * Ownership as for weft__toml_parse; read errors come from
 * weft__read_file. */
int weft__toml_parse_file(const char *path, weft__toml_t **out,
                          weft_error_t *err);

/* Free a tree returned by weft__toml_parse. NULL is ignored. Only roots may
 * be freed. */
void weft__toml_free(weft__toml_t *root);

/* "table", "array", "string", "integer", "float", "boolean", "offset
 * date-time", "local date-time", "local date", "local time". */
const char *weft__toml_type_name(weft__toml_type_t type);

/* ---- tables ------------------------------------------------------------ */

/* The value of `key` (NUL-terminated) in `table`, or NULL when absent or
 * when `table` is NULL or not a table. Borrowed from the tree. */
const weft__toml_t *weft__toml_get(const weft__toml_t *table,
                                   const char *key);
/* The same with an explicit key length; the key may hold NUL bytes. */
const weft__toml_t *weft__toml_getn(const weft__toml_t *table,
                                    const char *key, size_t key_len);
/* The key entry itself (key position included), or NULL. */
const weft__toml_kv_t *weft__toml_get_kv(const weft__toml_t *table,
                                         const char *key);
/* Number of keys of `table` (0 if it is not a table). */
size_t weft__toml_table_len(const weft__toml_t *table);
/* The i-th key in insertion order, or NULL when out of range. */
const weft__toml_kv_t *weft__toml_table_at(const weft__toml_t *table,
                                           size_t i);

/* ---- arrays ------------------------------------------------------------ */

/* Number of elements of `array` (0 if it is not an array). */
size_t weft__toml_array_len(const weft__toml_t *array);
/* The i-th element, or NULL when out of range or not an array. */
const weft__toml_t *weft__toml_array_at(const weft__toml_t *array, size_t i);

/* ---- typed getters ----------------------------------------------------- */

/* Each typed getter looks `key` up in `table` and:
 *   - absent: returns WEFT_ENOTFOUND, fills `err` ("weft.toml:7: missing
 *     key 'route' in [component.hello]") and leaves *out alone, so callers
 *     with a default may ignore the error;
 *   - wrong type: returns WEFT_EINVAL and fills `err` ("weft.toml:3:
 *     'route' must be a string"), the line being the key's;
 *   - otherwise stores the value in *out (borrowed from the tree) and
 *     returns 0. */

/* A string without NUL bytes (which would truncate a C string): one that
 * holds a NUL is refused with WEFT_EINVAL ("must not contain NUL"). */
int weft__toml_get_string(const weft__toml_t *table, const char *key,
                          const char **out, weft_error_t *err);
/* Any string; *len receives its length. */
int weft__toml_get_stringn(const weft__toml_t *table, const char *key,
                           const char **out, size_t *len, weft_error_t *err);
int weft__toml_get_int(const weft__toml_t *table, const char *key,
                       int64_t *out, weft_error_t *err);
/* A float, or an integer converted to double ("must be a number"). */
int weft__toml_get_float(const weft__toml_t *table, const char *key,
                         double *out, weft_error_t *err);
int weft__toml_get_bool(const weft__toml_t *table, const char *key,
                        bool *out, weft_error_t *err);
int weft__toml_get_table(const weft__toml_t *table, const char *key,
                         const weft__toml_t **out, weft_error_t *err);
int weft__toml_get_array(const weft__toml_t *table, const char *key,
                         const weft__toml_t **out, weft_error_t *err);

/* 0 if `node` has type `type`; else WEFT_EINVAL with "file:line: 'what'
 * must be a <type>" (`what` borrowed, e.g. "routes[2]"). A NULL node is
 * WEFT_ENOTFOUND ("missing 'what'"). */
int weft__toml_expect(const weft__toml_t *node, weft__toml_type_t type,
                      const char *what, weft_error_t *err);

/* 0 if every key of `table` is in `allowed` (a NULL-terminated list);
 * else WEFT_EINVAL naming the first stranger: "weft.toml:12: unknown key
 * 'foo' in [component.hello]". */
int weft__toml_check_keys(const weft__toml_t *table,
                          const char *const *allowed, weft_error_t *err);

/* Append the dotted path of `node` from the root to `out`, quoting keys
 * that are not bare ("component.hello", "servers[1].\"a b\""); the root
 * adds nothing. Returns 0 or WEFT_ENOMEM. */
int weft__toml_path(const weft__toml_t *node, weft__buf_t *out);

#endif

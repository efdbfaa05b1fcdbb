/* kv_backend.h - what a key-value backend implements for kv.c: a small
 * vtable over one store (a SQLite file, kv_sqlite.c; a Redis server,
 * kv_redis.c). Internal to src/trigger.
 *
 * Every function is thread-safe on one store: HTTP requests call them
 * from many threads at once. Keys are bytes with a length (a WIT string,
 * which may hold NUL); values are bytes. A failure returns a negative
 * WEFT_E* with a one-line message in `err` (it reaches the guest as the
 * error's text, so it names the store but never a password). */
#ifndef WEFT_TRIGGER_KV_BACKEND_H
#define WEFT_TRIGGER_KV_BACKEND_H

#include <stdbool.h>
#include <stddef.h>

#include "util/util.h"

typedef struct weft__kv_store weft__kv_store_t;

/* The keys of a store: their bytes one after another, with where each
 * ends. */
typedef struct weft__kv_keys {
  weft__buf_t bytes;
  size_t *ends; /* key i is bytes.data[i ? ends[i-1] : 0, ends[i]) */
  size_t len, cap;
} weft__kv_keys_t;

/* Append a key; 0 or WEFT_ENOMEM. */
int weft__kv_keys_add(weft__kv_keys_t *k, const char *key, size_t len);
/* Free what `k` holds and empty it. */
void weft__kv_keys_release(weft__kv_keys_t *k);

typedef struct weft__kv_ops {
  const char *name; /* "sqlite", "redis": for messages */
  /* Open the store at `where` (borrowed, copied): a file path or a Redis
   * URL. Sets *out; close it with `close`. */
  int (*open)(const char *where, weft__kv_store_t **out, weft_error_t *err);
  /* The value of `key` appended to `value` (empty on entry): 0, or
   * WEFT_ENOTFOUND when there is none (no message), or an error. */
  int (*get)(weft__kv_store_t *s, const char *key, size_t klen,
             weft__buf_t *value, weft_error_t *err);
  /* Set `key` to `value`, replacing any. */
  int (*set)(weft__kv_store_t *s, const char *key, size_t klen,
             const void *value, size_t vlen, weft_error_t *err);
  /* Remove `key`; a missing key is not an error. */
  int (*del)(weft__kv_store_t *s, const char *key, size_t klen,
             weft_error_t *err);
  /* Whether `key` has a value. */
  int (*exists)(weft__kv_store_t *s, const char *key, size_t klen, bool *out,
                weft_error_t *err);
  /* Every key, each once, appended to `keys` (empty on entry). */
  int (*get_keys)(weft__kv_store_t *s, weft__kv_keys_t *keys,
                  weft_error_t *err);
  /* Close and free; NULL is ignored. */
  void (*close)(weft__kv_store_t *s);
} weft__kv_ops_t;

extern const weft__kv_ops_t weft__kv_sqlite;
extern const weft__kv_ops_t weft__kv_redis;

#endif

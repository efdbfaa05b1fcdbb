/* kv_redis.c - a key-value store in a Redis server (kv_backend.h), with
 * plain keys as Spin's Redis store has them (no per-store prefix: a label
 * is a server, or a database of one with redis://host:port/db).
 *
 * One connection per store, made on first use and used under a mutex.
 * Connects and commands time out, so a server that is down or stuck costs
 * a request an error, never a hung thread. A command that fails on the
 * connection (the server restarted, the socket broke) drops it and is
 * tried once more on a new one; every command here (GET, SET, DEL,
 * EXISTS, SCAN) is safe to repeat. Keys are listed with SCAN, not KEYS,
 * which would block the server on a large database. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "trigger/kv_backend.h"
#include "trigger/redis_url.h"

/* For the connect and for each command. */
#define TIMEOUT_MS 2000
/* Keys asked for per SCAN step. */
#define SCAN_COUNT "1000"

struct weft__kv_store {
  pthread_mutex_t lock;
  weft__redis_url_t url;
  redisContext *c; /* NULL until connected, and after a broken one */
};

static int redis_open(const char *url, weft__kv_store_t **out,
                      weft_error_t *err) {
  weft__kv_store_t *s = calloc(1, sizeof *s);
  int rc;
  *out = NULL;
  if (!s)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  if ((rc = weft__redis_url_parse(url, &s->url, err))) {
    free(s);
    return rc;
  }
  pthread_mutex_init(&s->lock, NULL);
  *out = s;
  return 0;
}

static void redis_close(weft__kv_store_t *s) {
  if (!s)
    return;
  if (s->c)
    redisFree(s->c);
  weft__redis_url_release(&s->url);
  pthread_mutex_destroy(&s->lock);
  free(s);
}

/* Run a command (hiredis format, %b for bytes) with the lock held: 0 and
 * its reply in *out (free with freeReplyObject), or an error (an error
 * reply is one). */
static int command(weft__kv_store_t *s, redisReply **out, weft_error_t *err,
                   const char *fmt, ...) {
  int rc = 0;
  *out = NULL;
  for (int attempt = 0; attempt < 2; attempt++) {
    bool fresh = !s->c;
    if (fresh && !(s->c = weft__redis_connect(&s->url, TIMEOUT_MS, err)))
      return WEFT_EIO;
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(s->c, fmt, ap);
    va_end(ap);
    if (r && r->type == REDIS_REPLY_ERROR) {
      rc = WEFT_ERR(err, WEFT_EIO, "redis %s: %.*s", s->url.display,
                    (int)(r->len < 160 ? r->len : 160), r->str);
      freeReplyObject(r);
      return rc;
    }
    if (r) {
      *out = r;
      return 0;
    }
    /* The connection is unusable after any I/O error or timeout. Only a
     * connection that was already open may have gone stale while idle
     * (the server restarted): a new one that fails, or a server that
     * does not answer in time, is not worth a second wait. */
    bool timeout =
        s->c->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK);
    rc = WEFT_ERR(err, WEFT_EIO, "redis %s: %s", s->url.display,
                  timeout           ? "no answer in time"
                  : s->c->errstr[0] ? s->c->errstr
                                    : "connection lost");
    redisFree(s->c);
    s->c = NULL;
    if (fresh || timeout)
      break;
  }
  return rc;
}

/* A reply of an unexpected type (the caller frees it). */
static int unexpected(weft__kv_store_t *s, const redisReply *r,
                      const char *what, weft_error_t *err) {
  return WEFT_ERR(err, WEFT_EIO, "redis %s: unexpected reply type %d to %s",
                  s->url.display, r->type, what);
}

static int redis_get(weft__kv_store_t *s, const char *key, size_t klen,
                     weft__buf_t *value, weft_error_t *err) {
  pthread_mutex_lock(&s->lock);
  redisReply *r;
  int rc = command(s, &r, err, "GET %b", key, klen);
  if (rc)
    ;
  else if (r->type == REDIS_REPLY_NIL)
    rc = WEFT_ENOTFOUND;
  else if (r->type != REDIS_REPLY_STRING)
    rc = unexpected(s, r, "GET", err);
  else if (r->len && weft__buf_add(value, r->str, r->len))
    rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  if (r)
    freeReplyObject(r);
  pthread_mutex_unlock(&s->lock);
  return rc;
}

static int redis_set(weft__kv_store_t *s, const char *key, size_t klen,
                     const void *value, size_t vlen, weft_error_t *err) {
  pthread_mutex_lock(&s->lock);
  redisReply *r;
  int rc =
      command(s, &r, err, "SET %b %b", key, klen, value ? value : "", vlen);
  if (r)
    freeReplyObject(r);
  pthread_mutex_unlock(&s->lock);
  return rc;
}

static int redis_del(weft__kv_store_t *s, const char *key, size_t klen,
                     weft_error_t *err) {
  pthread_mutex_lock(&s->lock);
  redisReply *r;
  int rc = command(s, &r, err, "DEL %b", key, klen);
  if (r)
    freeReplyObject(r);
  pthread_mutex_unlock(&s->lock);
  return rc;
}

static int redis_exists(weft__kv_store_t *s, const char *key, size_t klen,
                        bool *out, weft_error_t *err) {
  pthread_mutex_lock(&s->lock);
  redisReply *r;
  int rc = command(s, &r, err, "EXISTS %b", key, klen);
  if (!rc && r->type != REDIS_REPLY_INTEGER)
    rc = unexpected(s, r, "EXISTS", err);
  else if (!rc)
    *out = r->integer > 0;
  if (r)
    freeReplyObject(r);
  pthread_mutex_unlock(&s->lock);
  return rc;
}

/* A key of a listing, for sorting. */
typedef struct span {
  const char *p;
  size_t n;
} span_t;

static int by_bytes(const void *a, const void *b) {
  const span_t *x = a, *y = b;
  int c = memcmp(x->p, y->p, x->n < y->n ? x->n : y->n);
  return c ? c : (x->n > y->n) - (x->n < y->n);
}

/* Append the keys of `all` to `out` sorted, each once: SCAN may return a
 * key more than once. */
static int unique_sorted(const weft__kv_keys_t *all, weft__kv_keys_t *out,
                         weft_error_t *err) {
  span_t *v = calloc(all->len ? all->len : 1, sizeof *v);
  int rc = 0;
  if (!v)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  for (size_t i = 0; i < all->len; i++) {
    size_t start = i ? all->ends[i - 1] : 0;
    v[i].p = all->bytes.data ? all->bytes.data + start : "";
    v[i].n = all->ends[i] - start;
  }
  qsort(v, all->len, sizeof *v, by_bytes);
  for (size_t i = 0; i < all->len && !rc; i++)
    if ((!i || by_bytes(&v[i - 1], &v[i])) &&
        weft__kv_keys_add(out, v[i].p, v[i].n))
      rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  free(v);
  return rc;
}

static int redis_get_keys(weft__kv_store_t *s, weft__kv_keys_t *keys,
                          weft_error_t *err) {
  weft__kv_keys_t all = {0};
  char cursor[32] = "0";
  int rc = 0;
  pthread_mutex_lock(&s->lock);
  do {
    redisReply *r;
    if ((rc = command(s, &r, err, "SCAN %s COUNT " SCAN_COUNT, cursor)))
      break;
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
        r->element[0]->type != REDIS_REPLY_STRING ||
        r->element[0]->len >= sizeof cursor ||
        r->element[1]->type != REDIS_REPLY_ARRAY) {
      rc = unexpected(s, r, "SCAN", err);
      freeReplyObject(r);
      break;
    }
    memcpy(cursor, r->element[0]->str, r->element[0]->len);
    cursor[r->element[0]->len] = 0;
    for (size_t i = 0; i < r->element[1]->elements && !rc; i++) {
      redisReply *k = r->element[1]->element[i];
      if (k->type == REDIS_REPLY_STRING &&
          weft__kv_keys_add(&all, k->str, k->len))
        rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
    }
    freeReplyObject(r);
  } while (!rc && strcmp(cursor, "0"));
  pthread_mutex_unlock(&s->lock);
  if (!rc)
    rc = unique_sorted(&all, keys, err);
  weft__kv_keys_release(&all);
  return rc;
}

const weft__kv_ops_t weft__kv_redis = {
    .name = "redis",
    .open = redis_open,
    .get = redis_get,
    .set = redis_set,
    .del = redis_del,
    .exists = redis_exists,
    .get_keys = redis_get_keys,
    .close = redis_close,
};

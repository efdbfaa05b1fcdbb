/* kv_sqlite.c - a key-value store in a SQLite file (kv_backend.h): one
 * file per store, one table (key TEXT PRIMARY KEY, value BLOB), WAL mode,
 * a busy timeout and prepared statements.
 *
 * One connection per store, serialised by a mutex, rather than one per
 * thread: SQLite lets one writer in at a time whatever we do, each
 * operation is a single short statement, and a single connection in this
 * process never meets SQLITE_BUSY from itself (per-thread connections
 * would spin on the busy timeout against each other on every write). The
 * busy timeout is for other processes using the same file. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "trigger/kv_backend.h"

/* How long a statement waits for another process's lock. */
#define BUSY_TIMEOUT_MS 5000

enum { GET, SET, DEL, EXISTS, KEYS, NSTMT };

static const char *const sql[NSTMT] = {
    [GET] = "SELECT value FROM key_value WHERE key = ?1",
    [SET] = ("INSERT INTO key_value (key, value) VALUES (?1, ?2) "
             "ON CONFLICT (key) DO UPDATE SET value = excluded.value"),
    [DEL] = "DELETE FROM key_value WHERE key = ?1",
    [EXISTS] = "SELECT 1 FROM key_value WHERE key = ?1",
    [KEYS] = "SELECT key FROM key_value ORDER BY key"};

struct weft__kv_store {
  pthread_mutex_t lock;
  sqlite3 *db;
  sqlite3_stmt *stmt[NSTMT];
  char *path;
};

/* Fail with `what` and SQLite's reason, naming the file. */
static int fail(weft__kv_store_t *s, const char *what, weft_error_t *err) {
  return WEFT_ERR(err, WEFT_EIO, "sqlite '%s': %s: %s", s->path, what,
                  s->db ? sqlite3_errmsg(s->db) : "out of memory");
}

static void sqlite_close(weft__kv_store_t *s) {
  if (!s)
    return;
  for (int i = 0; i < NSTMT; i++)
    sqlite3_finalize(s->stmt[i]);
  sqlite3_close(s->db);
  pthread_mutex_destroy(&s->lock);
  free(s->path);
  free(s);
}

/* Create the directory holding `path`, if it has one. */
static int make_parent(const char *path, weft_error_t *err) {
  const char *slash = strrchr(path, '/');
  if (!slash || slash == path)
    return 0;
  char *dir = weft__strndup(path, (size_t)(slash - path));
  if (!dir)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  int rc = weft__mkdirs(dir, err);
  free(dir);
  return rc;
}

static int sqlite_open(const char *path, weft__kv_store_t **out,
                       weft_error_t *err) {
  weft__kv_store_t *s = calloc(1, sizeof *s);
  int rc;
  *out = NULL;
  if (!s || !(s->path = weft__strdup(path))) {
    free(s);
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  }
  pthread_mutex_init(&s->lock, NULL);
  if ((rc = make_parent(path, err)))
    goto fail;
  /* NOMUTEX: the store's own lock serialises every use. */
  if (sqlite3_open_v2(path, &s->db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                          SQLITE_OPEN_NOMUTEX,
                      NULL) != SQLITE_OK) {
    rc = fail(s, "cannot open", err);
    goto fail;
  }
  sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
  /* WAL: readers in other processes do not block the writer. NORMAL sync
   * is durable across a crash of this process, which is what a restart
   * needs. */
  if (sqlite3_exec(s->db,
                   "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; "
                   "CREATE TABLE IF NOT EXISTS key_value "
                   "(key TEXT PRIMARY KEY, value BLOB)",
                   NULL, NULL, NULL) != SQLITE_OK) {
    rc = fail(s, "cannot set up", err);
    goto fail;
  }
  for (int i = 0; i < NSTMT; i++)
    if (sqlite3_prepare_v3(s->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                           &s->stmt[i], NULL) != SQLITE_OK) {
      rc = fail(s, "cannot prepare a statement", err);
      goto fail;
    }
  *out = s;
  return 0;
fail:
  sqlite_close(s);
  return rc;
}

/* Lock the store and bind `key` to ?1 of statement `which`. */
static sqlite3_stmt *begin(weft__kv_store_t *s, int which, const char *key,
                           size_t klen) {
  pthread_mutex_lock(&s->lock);
  sqlite3_stmt *st = s->stmt[which];
  if (key &&
      sqlite3_bind_text(st, 1, key, (int)klen, SQLITE_STATIC) != SQLITE_OK) {
    sqlite3_reset(st);
    return NULL;
  }
  return st;
}

/* Reset the statement (dropping its bindings) and unlock; returns rc. */
static int end(weft__kv_store_t *s, sqlite3_stmt *st, int rc) {
  if (st) {
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
  }
  pthread_mutex_unlock(&s->lock);
  return rc;
}

/* Keys longer than SQLite's int lengths cannot be bound. */
static int check_len(weft__kv_store_t *s, size_t len, weft_error_t *err) {
  if (len > 0x7fffffff)
    return WEFT_ERR(err, WEFT_ELIMIT, "sqlite '%s': key or value too large",
                    s->path);
  return 0;
}

static int sqlite_get(weft__kv_store_t *s, const char *key, size_t klen,
                      weft__buf_t *value, weft_error_t *err) {
  int rc;
  if ((rc = check_len(s, klen, err)))
    return rc;
  sqlite3_stmt *st = begin(s, GET, key, klen);
  if (!st)
    return end(s, NULL, fail(s, "get", err));
  switch (sqlite3_step(st)) {
  case SQLITE_ROW: {
    const void *p = sqlite3_column_blob(st, 0);
    size_t n = (size_t)sqlite3_column_bytes(st, 0);
    rc = n && weft__buf_add(value, p, n)
             ? WEFT_ERR(err, WEFT_ENOMEM, "out of memory")
             : 0;
    break;
  }
  case SQLITE_DONE:
    rc = WEFT_ENOTFOUND;
    break;
  default:
    rc = fail(s, "get", err);
  }
  return end(s, st, rc);
}

static int sqlite_set(weft__kv_store_t *s, const char *key, size_t klen,
                      const void *value, size_t vlen, weft_error_t *err) {
  int rc;
  if ((rc = check_len(s, klen, err)) || (rc = check_len(s, vlen, err)))
    return rc;
  sqlite3_stmt *st = begin(s, SET, key, klen);
  /* A NULL pointer would bind SQL NULL: an empty value is an empty blob. */
  if (!st || sqlite3_bind_blob(st, 2, value ? value : "", (int)vlen,
                               SQLITE_STATIC) != SQLITE_OK)
    return end(s, st, fail(s, "set", err));
  rc = sqlite3_step(st) == SQLITE_DONE ? 0 : fail(s, "set", err);
  return end(s, st, rc);
}

static int sqlite_del(weft__kv_store_t *s, const char *key, size_t klen,
                      weft_error_t *err) {
  int rc;
  if ((rc = check_len(s, klen, err)))
    return rc;
  sqlite3_stmt *st = begin(s, DEL, key, klen);
  if (!st)
    return end(s, NULL, fail(s, "delete", err));
  rc = sqlite3_step(st) == SQLITE_DONE ? 0 : fail(s, "delete", err);
  return end(s, st, rc);
}

static int sqlite_exists(weft__kv_store_t *s, const char *key, size_t klen,
                         bool *out, weft_error_t *err) {
  int rc;
  if ((rc = check_len(s, klen, err)))
    return rc;
  sqlite3_stmt *st = begin(s, EXISTS, key, klen);
  if (!st)
    return end(s, NULL, fail(s, "exists", err));
  switch (sqlite3_step(st)) {
  case SQLITE_ROW:
    *out = true;
    rc = 0;
    break;
  case SQLITE_DONE:
    *out = false;
    rc = 0;
    break;
  default:
    rc = fail(s, "exists", err);
  }
  return end(s, st, rc);
}

static int sqlite_get_keys(weft__kv_store_t *s, weft__kv_keys_t *keys,
                           weft_error_t *err) {
  sqlite3_stmt *st = begin(s, KEYS, NULL, 0);
  int rc = 0, step = SQLITE_DONE;
  while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
    const char *k = (const char *)sqlite3_column_text(st, 0);
    size_t n = (size_t)sqlite3_column_bytes(st, 0);
    if (weft__kv_keys_add(keys, k ? k : "", n))
      rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  }
  if (!rc && step != SQLITE_DONE)
    rc = fail(s, "get-keys", err);
  return end(s, st, rc);
}

const weft__kv_ops_t weft__kv_sqlite = {
    .name = "sqlite",
    .open = sqlite_open,
    .get = sqlite_get,
    .set = sqlite_set,
    .del = sqlite_del,
    .exists = sqlite_exists,
    .get_keys = sqlite_get_keys,
    .close = sqlite_close,
};

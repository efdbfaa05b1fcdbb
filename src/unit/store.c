/* store.c - the unit file: one SQLite database (docs/unit-format.md) with
 * the code, the schema, the policies in force over time, the governed
 * state, the memory pages, the lineage and the inbox. A cycle is one
 * transaction (weft__unitfile_commit), so a crash leaves the previous or
 * the next committed cycle. The weft__unitfile_* functions are the store
 * interface of units: a unit in Redis (u->redis) goes to store_redis.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "unit/codec.h"
#include "unit/unit.h"

/* Every message the lineage delivered, by sender and nonce: an index of
 * the entries (not part of the chain) that lets a cycle refuse a replayed
 * message without reading the lineage. */
#define SEEN_SQL                                                           \
  "CREATE TABLE IF NOT EXISTS seen(sender BLOB NOT NULL,"                  \
  " nonce INTEGER NOT NULL, PRIMARY KEY(sender, nonce)) WITHOUT ROWID;"

static const char schema_sql[] =
    "PRAGMA application_id = 1465271892;" /* "WEFT" */
    "PRAGMA user_version = 1;"
    "CREATE TABLE meta(name TEXT PRIMARY KEY, value BLOB NOT NULL);"
    "CREATE TABLE code(hash BLOB PRIMARY KEY, bytes BLOB NOT NULL);"
    "CREATE TABLE policy(seq INTEGER PRIMARY KEY, text BLOB NOT NULL);"
    "CREATE TABLE state(key TEXT PRIMARY KEY, value BLOB NOT NULL);"
    "CREATE TABLE pages(idx INTEGER PRIMARY KEY, hash BLOB NOT NULL,"
    " data BLOB NOT NULL);"
    "CREATE TABLE entries(seq INTEGER PRIMARY KEY, kind INTEGER NOT NULL,"
    " prev BLOB NOT NULL, time_ms INTEGER NOT NULL, seed BLOB NOT NULL,"
    " messages BLOB NOT NULL, mutations BLOB NOT NULL,"
    " emitted BLOB NOT NULL, note BLOB NOT NULL, next_ms INTEGER NOT NULL,"
    " extra BLOB NOT NULL, mem_pages INTEGER NOT NULL,"
    " mem_root BLOB NOT NULL, kv_root BLOB NOT NULL, root BLOB NOT NULL,"
    " host BLOB NOT NULL, hash BLOB NOT NULL, sig BLOB NOT NULL);"
    "CREATE TABLE inbox(id INTEGER PRIMARY KEY, sender BLOB NOT NULL,"
    " kind TEXT NOT NULL, body BLOB NOT NULL, nonce INTEGER NOT NULL,"
    " sig BLOB NOT NULL);" SEEN_SQL;

static int db_fail(weft__unitfile_t *u, weft_error_t *err, const char *what) {
  return WEFT_ERR(err, WEFT_EIO, "'%s': %s: %s", u->path, what,
                  u->db ? sqlite3_errmsg(u->db) : "cannot open");
}

static int exec(weft__unitfile_t *u, const char *sql, weft_error_t *err) {
  if (sqlite3_exec(u->db, sql, NULL, NULL, NULL) != SQLITE_OK)
    return db_fail(u, err, sql);
  return 0;
}

static int open_db(weft__unitfile_t *u, int flags, weft_error_t *err) {
  if (sqlite3_open_v2(u->path, &u->db, flags, NULL) != SQLITE_OK)
    return db_fail(u, err, "cannot open");
  sqlite3_busy_timeout(u->db, 10000);
  /* WAL with full sync: a commit is one fsync of the log; a crash keeps
   * the last committed cycle. Closing checkpoints and removes the log. */
  return exec(u, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", err);
}

static int put_meta(weft__unitfile_t *u, const char *name, const void *v,
                    size_t n, weft_error_t *err) {
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(u->db,
                         "INSERT OR REPLACE INTO meta VALUES(?, ?)", -1, &st,
                         NULL) != SQLITE_OK)
    return db_fail(u, err, "meta");
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  sqlite3_bind_blob(st, 2, n ? v : "", (int)n, SQLITE_STATIC);
  int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_fail(u, err, name);
  sqlite3_finalize(st);
  return rc;
}

/* A meta value (malloc'd copy, NUL-terminated) or ENOTFOUND. */
static int get_meta(weft__unitfile_t *u, const char *name, uint8_t **v,
                    size_t *n, weft_error_t *err) {
  sqlite3_stmt *st;
  int rc;
  *v = NULL;
  if (sqlite3_prepare_v2(u->db, "SELECT value FROM meta WHERE name = ?", -1,
                         &st, NULL) != SQLITE_OK)
    return db_fail(u, err, "not a unit file");
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  if (sqlite3_step(st) == SQLITE_ROW) {
    *n = (size_t)sqlite3_column_bytes(st, 0);
    *v = malloc(*n + 1);
    if (*v) {
      if (*n)
        memcpy(*v, sqlite3_column_blob(st, 0), *n);
      (*v)[*n] = 0;
      rc = 0;
    } else {
      rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
    }
  } else {
    rc = WEFT_ERR(err, WEFT_EINVALID, "'%s': meta '%s' is missing", u->path,
                  name);
  }
  sqlite3_finalize(st);
  return rc;
}

static int get_meta_fixed(weft__unitfile_t *u, const char *name, uint8_t *out,
                          size_t n, weft_error_t *err) {
  uint8_t *v;
  size_t len;
  int rc = get_meta(u, name, &v, &len, err);
  if (rc == 0 && len != n)
    rc = WEFT_ERR(err, WEFT_EINVALID, "'%s': meta '%s' has %zu bytes, not %zu",
                  u->path, name, len, n);
  if (rc == 0)
    memcpy(out, v, n);
  free(v);
  return rc;
}

static int insert_entry(weft__unitfile_t *u, const weft__uentry_t *e,
                        weft_error_t *err) {
  weft__buf_t m, x, o;
  weft__buf_init(&m);
  weft__buf_init(&x);
  weft__buf_init(&o);
  sqlite3_stmt *st = NULL;
  int rc = 0;
  if (weft__uentry_enc_msgs(e, &m) || weft__uentry_enc_muts(e, &x) ||
      weft__uentry_enc_emits(e, &o))
    rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  else if (sqlite3_prepare_v2(
               u->db,
               "INSERT INTO entries VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,"
               "?)",
               -1, &st, NULL) != SQLITE_OK)
    rc = db_fail(u, err, "entries");
  if (rc == 0) {
    const char *note = e->note ? e->note : "";
    sqlite3_bind_int64(st, 1, (sqlite3_int64)e->seq);
    sqlite3_bind_int(st, 2, e->kind);
    sqlite3_bind_blob(st, 3, e->prev, WEFT__HASH_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)e->time_ms);
    sqlite3_bind_blob(st, 5, e->seed, sizeof e->seed, SQLITE_STATIC);
    sqlite3_bind_blob(st, 6, m.data, (int)m.len, SQLITE_STATIC);
    sqlite3_bind_blob(st, 7, x.data, (int)x.len, SQLITE_STATIC);
    sqlite3_bind_blob(st, 8, o.data, (int)o.len, SQLITE_STATIC);
    sqlite3_bind_blob(st, 9, note, (int)strlen(note), SQLITE_STATIC);
    sqlite3_bind_int64(st, 10, (sqlite3_int64)e->next_ms);
    sqlite3_bind_blob(st, 11, e->extra_len ? (void *)e->extra : (void *)"",
                      (int)e->extra_len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 12, e->mem_pages);
    sqlite3_bind_blob(st, 13, e->mem_root, WEFT__HASH_LEN, SQLITE_STATIC);
    sqlite3_bind_blob(st, 14, e->kv_root, WEFT__HASH_LEN, SQLITE_STATIC);
    sqlite3_bind_blob(st, 15, e->root, WEFT__HASH_LEN, SQLITE_STATIC);
    sqlite3_bind_blob(st, 16, e->host, WEFT__PK_LEN, SQLITE_STATIC);
    sqlite3_bind_blob(st, 17, e->hash, WEFT__HASH_LEN, SQLITE_STATIC);
    sqlite3_bind_blob(st, 18, e->sig, WEFT__SIG_LEN, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
      rc = db_fail(u, err, "cannot append the entry");
  }
  sqlite3_finalize(st);
  weft__buf_release(&m);
  weft__buf_release(&x);
  weft__buf_release(&o);
  return rc;
}

static bool all_zero(const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i])
      return false;
  return true;
}

static int write_page(weft__unitfile_t *u, size_t idx, const uint8_t *data,
                      const uint8_t *hash, weft_error_t *err) {
  sqlite3_stmt *st;
  bool zero = all_zero(data, WEFT__UNIT_PAGE);
  /* An upsert, not INSERT OR REPLACE: an update of a row of the same size
   * overwrites its cells and overflow page in place, where a replace
   * frees and reallocates them (two more pages in the log per commit). */
  const char *sql = zero ? "DELETE FROM pages WHERE idx = ?"
                         : "INSERT INTO pages VALUES(?, ?, ?) ON CONFLICT(idx)"
                           " DO UPDATE SET hash = excluded.hash,"
                           " data = excluded.data";
  if (sqlite3_prepare_v2(u->db, sql, -1, &st, NULL) != SQLITE_OK)
    return db_fail(u, err, "pages");
  sqlite3_bind_int64(st, 1, (sqlite3_int64)idx);
  if (!zero) {
    sqlite3_bind_blob(st, 2, hash, WEFT__HASH_LEN, SQLITE_STATIC);
    sqlite3_bind_blob(st, 3, data, WEFT__UNIT_PAGE, SQLITE_STATIC);
  }
  int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_fail(u, err, "pages");
  sqlite3_finalize(st);
  return rc;
}

static int put_u32_meta(weft__unitfile_t *u, const char *name, uint32_t v,
                        weft_error_t *err) {
  uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8),
                  (uint8_t)v};
  return put_meta(u, name, b, 4, err);
}

/* See unit.h. */
int weft__unitfile_create(const char *path, const weft__unew_t *n,
                          weft_error_t *err) {
  if (weft__unit_is_redis(path))
    return WEFT_ERR(err, WEFT_EINVAL, "a new unit is a file; put it in "
                    "Redis with 'weft unit push'");
  struct stat sb;
  if (stat(path, &sb) == 0)
    return WEFT_ERR(err, WEFT_EINVAL, "'%s' exists already", path);
  weft__unitfile_t u = {0};
  u.path = (char *)path;
  uint8_t code_hash[WEFT__HASH_LEN], schema_hash[WEFT__HASH_LEN],
      policy_hash[WEFT__HASH_LEN];
  weft__uhash(code_hash, WEFT__H_PAGE, 1, n->code, n->code_len);
  weft__uhash(schema_hash, WEFT__H_PAGE, 1, n->schema_text,
              strlen(n->schema_text));
  weft__uhash(policy_hash, WEFT__H_PAGE, 1, n->policy_text,
              strlen(n->policy_text));
  weft__uentry_t e = {0};
  weft__buf_t id;
  weft__buf_init(&id);
  /* The unit's identity, in the genesis entry: what it runs, under which
   * rules, owned by whom. */
  int rc = weft__put_u32(&id, WEFT__UNIT_FORMAT) ||
           weft__buf_add(&id, code_hash, WEFT__HASH_LEN) ||
           weft__put_bytes(&id, WEFT__UNIT_WORLD, strlen(WEFT__UNIT_WORLD)) ||
           weft__buf_add(&id, schema_hash, WEFT__HASH_LEN) ||
           weft__buf_add(&id, policy_hash, WEFT__HASH_LEN) ||
           weft__buf_add(&id, n->owner->pk, WEFT__PK_LEN)
               ? WEFT_ERR(err, WEFT_ENOMEM, "out of memory")
               : 0;
  e.kind = WEFT__E_GENESIS;
  e.time_ms = n->time_ms;
  e.extra = (uint8_t *)id.data;
  e.extra_len = id.len;
  e.mem_pages = n->mem_pages;
  size_t npages = (size_t)n->mem_pages * (65536 / WEFT__UNIT_PAGE);
  uint8_t(*ph)[WEFT__HASH_LEN] = malloc((npages ? npages : 1) * WEFT__HASH_LEN);
  weft__merkle_t mt = {0};
  if (rc == 0 && (!ph || weft__merkle_resize(&mt, npages) < 0))
    rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  for (size_t i = 0; rc == 0 && i < npages; i++) {
    weft__page_hash(n->mem + i * WEFT__UNIT_PAGE, ph[i]);
    weft__merkle_set_leaf(&mt, i, ph[i]);
  }
  if (rc == 0) {
    weft__ustate_t empty = {0};
    weft__merkle_build(&mt);
    weft__merkle_root(&mt, e.mem_root);
    weft__ustate_root(&empty, e.kv_root);
    weft__state_root(e.mem_pages, e.mem_root, n->globals, n->globals_len,
                     e.kv_root, e.root);
    rc = weft__uentry_seal(&e, n->owner);
  }
  if (rc == 0)
    rc = open_db(&u, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, err);
  if (rc == 0)
    rc = exec(&u, "BEGIN", err);
  if (rc == 0)
    rc = exec(&u, schema_sql, err);
  uint32_t fmt = WEFT__UNIT_FORMAT;
  if (rc == 0)
    rc = put_u32_meta(&u, "format", fmt, err);
  if (rc == 0)
    rc = put_meta(&u, "unit_id", e.hash, WEFT__HASH_LEN, err);
  if (rc == 0)
    rc = put_meta(&u, "owner", n->owner->pk, WEFT__PK_LEN, err);
  if (rc == 0)
    rc = put_meta(&u, "world", WEFT__UNIT_WORLD, strlen(WEFT__UNIT_WORLD),
                  err);
  if (rc == 0)
    rc = put_meta(&u, "code_hash", code_hash, WEFT__HASH_LEN, err);
  if (rc == 0)
    rc = put_meta(&u, "schema", n->schema_text, strlen(n->schema_text), err);
  if (rc == 0)
    rc = put_u32_meta(&u, "mem_pages", n->mem_pages, err);
  if (rc == 0)
    rc = put_meta(&u, "globals", n->globals, n->globals_len, err);
  sqlite3_stmt *st = NULL;
  if (rc == 0 &&
      sqlite3_prepare_v2(u.db, "INSERT INTO code VALUES(?, ?)", -1, &st,
                         NULL) == SQLITE_OK) {
    sqlite3_bind_blob(st, 1, code_hash, WEFT__HASH_LEN, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, n->code, (int)n->code_len, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
      rc = db_fail(&u, err, "code");
  }
  sqlite3_finalize(st);
  st = NULL;
  if (rc == 0 &&
      sqlite3_prepare_v2(u.db, "INSERT INTO policy VALUES(0, ?)", -1, &st,
                         NULL) == SQLITE_OK) {
    sqlite3_bind_blob(st, 1, n->policy_text, (int)strlen(n->policy_text),
                      SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
      rc = db_fail(&u, err, "policy");
  }
  sqlite3_finalize(st);
  for (size_t i = 0; rc == 0 && i < npages; i++)
    rc = write_page(&u, i, n->mem + i * WEFT__UNIT_PAGE, ph[i], err);
  if (rc == 0)
    rc = insert_entry(&u, &e, err);
  if (rc == 0)
    rc = exec(&u, "COMMIT", err);
  if (u.db)
    sqlite3_close(u.db);
  if (rc < 0)
    unlink(path);
  free(ph);
  weft__merkle_release(&mt);
  weft__buf_release(&id);
  return rc;
}

static const uint8_t *col_fixed(sqlite3_stmt *st, int i, size_t n) {
  if ((size_t)sqlite3_column_bytes(st, i) != n ||
      sqlite3_column_type(st, i) != SQLITE_BLOB)
    return NULL;
  return sqlite3_column_blob(st, i);
}

/* See unit.h. */
int weft__unitfile_entry(weft__unitfile_t *u, uint64_t seq,
                         weft__uentry_t *e, weft_error_t *err) {
  if (u->redis)
    return weft__uredis_entry(u, seq, e, err);
  sqlite3_stmt *st;
  memset(e, 0, sizeof *e);
  if (sqlite3_prepare_v2(u->db, "SELECT * FROM entries WHERE seq = ?", -1,
                         &st, NULL) != SQLITE_OK)
    return db_fail(u, err, "entries");
  sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
  int rc = 0;
  if (sqlite3_step(st) != SQLITE_ROW) {
    sqlite3_finalize(st);
    return WEFT_ERR(err, WEFT_ENOTFOUND, "'%s' has no entry %llu", u->path,
                    (unsigned long long)seq);
  }
  const char *bad = NULL;
  const uint8_t *p;
  e->seq = seq;
  e->kind = sqlite3_column_int(st, 1);
  if (e->kind < WEFT__E_GENESIS || e->kind > WEFT__E_POLICY)
    bad = "kind";
#define FIXED(col, name, dst, n)                                      \
  if (!bad && !(p = col_fixed(st, col, n)))                           \
    bad = name;                                                       \
  else if (!bad)                                                      \
    memcpy(dst, p, n);
  FIXED(2, "prev", e->prev, WEFT__HASH_LEN)
  e->time_ms = (uint64_t)sqlite3_column_int64(st, 3);
  FIXED(4, "seed", e->seed, sizeof e->seed)
  if (!bad && weft__uentry_dec_msgs(e, sqlite3_column_blob(st, 5),
                                    (size_t)sqlite3_column_bytes(st, 5)))
    bad = "messages";
  if (!bad && weft__uentry_dec_muts(e, sqlite3_column_blob(st, 6),
                                    (size_t)sqlite3_column_bytes(st, 6)))
    bad = "mutations";
  if (!bad && weft__uentry_dec_emits(e, sqlite3_column_blob(st, 7),
                                     (size_t)sqlite3_column_bytes(st, 7)))
    bad = "emitted";
  if (!bad) {
    size_t n = (size_t)sqlite3_column_bytes(st, 8);
    const void *np = sqlite3_column_blob(st, 8);
    e->note = weft__strndup(np ? np : "", n);
    if (!e->note || strlen(e->note) != n)
      bad = "note";
  }
  e->next_ms = (uint64_t)sqlite3_column_int64(st, 9);
  if (!bad) {
    e->extra_len = (size_t)sqlite3_column_bytes(st, 10);
    e->extra = malloc(e->extra_len ? e->extra_len : 1);
    if (!e->extra)
      bad = "extra";
    else if (e->extra_len)
      memcpy(e->extra, sqlite3_column_blob(st, 10), e->extra_len);
  }
  sqlite3_int64 mp = sqlite3_column_int64(st, 11);
  if (!bad && (mp < 0 || mp > 65536))
    bad = "mem_pages";
  e->mem_pages = (uint32_t)mp;
  FIXED(12, "mem_root", e->mem_root, WEFT__HASH_LEN)
  FIXED(13, "kv_root", e->kv_root, WEFT__HASH_LEN)
  FIXED(14, "root", e->root, WEFT__HASH_LEN)
  FIXED(15, "host", e->host, WEFT__PK_LEN)
  FIXED(16, "hash", e->hash, WEFT__HASH_LEN)
  FIXED(17, "sig", e->sig, WEFT__SIG_LEN)
#undef FIXED
  sqlite3_finalize(st);
  if (bad) {
    weft__uentry_release(e);
    rc = WEFT_ERR(err, WEFT_EINVALID, "entry %llu: field '%s': malformed",
                  (unsigned long long)seq, bad);
  }
  return rc;
}

/* See unit.h. */
uint64_t weft__unitfile_count(weft__unitfile_t *u) {
  if (u->redis)
    return weft__uredis_count(u);
  sqlite3_stmt *st;
  uint64_t n = 0;
  /* max(seq) + 1, not count(*): a look-up at the end of the primary key
   * instead of a walk over every entry, on every commit. Verify finds a
   * gap as a missing entry. */
  if (sqlite3_prepare_v2(u->db,
                         "SELECT coalesce(max(seq) + 1, 0) FROM entries", -1,
                         &st, NULL) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    n = (uint64_t)sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return n;
}

/* See unit.h. */
int weft__unitfile_policy_at(weft__unitfile_t *u, uint64_t seq, char **text,
                             weft_error_t *err) {
  if (u->redis)
    return weft__uredis_policy_at(u, seq, text, err);
  sqlite3_stmt *st;
  *text = NULL;
  if (sqlite3_prepare_v2(u->db,
                         "SELECT text FROM policy WHERE seq <= ? "
                         "ORDER BY seq DESC LIMIT 1",
                         -1, &st, NULL) != SQLITE_OK)
    return db_fail(u, err, "policy");
  sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
  int rc = 0;
  if (sqlite3_step(st) == SQLITE_ROW) {
    size_t n = (size_t)sqlite3_column_bytes(st, 0);
    const void *p = sqlite3_column_blob(st, 0);
    *text = weft__strndup(p ? p : "", n);
    if (!*text)
      rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  } else {
    rc = WEFT_ERR(err, WEFT_EINVALID, "'%s' has no policy", u->path);
  }
  sqlite3_finalize(st);
  return rc;
}

static int load(weft__unitfile_t *u, weft_error_t *err) {
  uint8_t *v;
  size_t n;
  uint8_t fmt[4];
  int rc = get_meta_fixed(u, "format", fmt, 4, err);
  if (rc < 0)
    return rc;
  uint32_t f = (uint32_t)fmt[0] << 24 | fmt[1] << 16 | fmt[2] << 8 | fmt[3];
  if (f != WEFT__UNIT_FORMAT)
    return WEFT_ERR(err, WEFT_EUNSUPPORTED,
                    "'%s' has unit format %u; this weft reads %d", u->path, f,
                    WEFT__UNIT_FORMAT);
  if ((rc = get_meta_fixed(u, "unit_id", u->unit_id, WEFT__HASH_LEN, err)) ||
      (rc = get_meta_fixed(u, "owner", u->owner, WEFT__PK_LEN, err)) ||
      (rc = get_meta_fixed(u, "code_hash", u->code_hash, WEFT__HASH_LEN,
                           err)) ||
      (rc = get_meta_fixed(u, "mem_pages", fmt, 4, err)))
    return rc;
  u->mem_pages = (uint32_t)fmt[0] << 24 | fmt[1] << 16 | fmt[2] << 8 | fmt[3];
  if (u->mem_pages > 65536)
    return WEFT_ERR(err, WEFT_EINVALID, "'%s': meta 'mem_pages' is %u",
                    u->path, u->mem_pages);
  if ((rc = get_meta(u, "globals", &u->globals, &u->globals_len, err)) ||
      (rc = get_meta(u, "schema", &v, &n, err)))
    return rc;
  u->schema_text = (char *)v;
  if (strlen(u->schema_text) != n)
    return WEFT_ERR(err, WEFT_EINVALID, "'%s': the schema holds NUL", u->path);
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(u->db, "SELECT hash, bytes FROM code", -1, &st,
                         NULL) != SQLITE_OK)
    return db_fail(u, err, "code");
  if (sqlite3_step(st) == SQLITE_ROW) {
    u->code_len = (size_t)sqlite3_column_bytes(st, 1);
    u->code = malloc(u->code_len ? u->code_len : 1);
    if (u->code && u->code_len)
      memcpy(u->code, sqlite3_column_blob(st, 1), u->code_len);
  }
  sqlite3_finalize(st);
  if (!u->code)
    return WEFT_ERR(err, WEFT_EINVALID, "'%s' holds no code", u->path);
  uint64_t count = weft__unitfile_count(u);
  if (count == 0)
    return WEFT_ERR(err, WEFT_EINVALID, "'%s' has no lineage", u->path);
  if ((rc = weft__unitfile_entry(u, count - 1, &u->head, err)) < 0 ||
      (rc = weft__unitfile_policy_at(u, count - 1, &u->policy_text, err)) < 0)
    return rc;
  char label[64];
  if ((rc = weft__uschema_parse(u->schema_text, strlen(u->schema_text),
                                "<unit schema>", &u->schema, err)) < 0)
    return rc;
  snprintf(label, sizeof label, "<unit policy>");
  if ((rc = weft__upolicy_parse(u->policy_text, strlen(u->policy_text),
                                label, u->schema, &u->policy, err)) < 0)
    return rc;
  /* The state. */
  if (sqlite3_prepare_v2(u->db, "SELECT key, value FROM state", -1, &st,
                         NULL) != SQLITE_OK)
    return db_fail(u, err, "state");
  while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
    const char *k = (const char *)sqlite3_column_text(st, 0);
    const void *val = sqlite3_column_blob(st, 1);
    if (!k || weft__ustate_put(&u->state, k, val ? val : (const void *)"",
                               (size_t)sqlite3_column_bytes(st, 1)) < 0)
      rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  }
  sqlite3_finalize(st);
  if (rc < 0)
    return rc;
  /* Page hashes: stored ones, the zero page's elsewhere. */
  u->npages = (size_t)u->mem_pages * (65536 / WEFT__UNIT_PAGE);
  u->page_hash = malloc((u->npages ? u->npages : 1) * WEFT__HASH_LEN);
  if (!u->page_hash || weft__merkle_resize(&u->mem_tree, u->npages) < 0)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  static uint8_t zero[WEFT__UNIT_PAGE];
  uint8_t zh[WEFT__HASH_LEN];
  weft__page_hash(zero, zh);
  for (size_t i = 0; i < u->npages; i++)
    memcpy(u->page_hash[i], zh, WEFT__HASH_LEN);
  if (sqlite3_prepare_v2(u->db, "SELECT idx, hash FROM pages", -1, &st,
                         NULL) != SQLITE_OK)
    return db_fail(u, err, "pages");
  while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
    sqlite3_int64 i = sqlite3_column_int64(st, 0);
    const uint8_t *h = col_fixed(st, 1, WEFT__HASH_LEN);
    if (i < 0 || (size_t)i >= u->npages || !h)
      rc = WEFT_ERR(err, WEFT_EINVALID, "page %lld: field 'hash': malformed",
                    (long long)i);
    else
      memcpy(u->page_hash[i], h, WEFT__HASH_LEN);
  }
  sqlite3_finalize(st);
  for (size_t i = 0; rc == 0 && i < u->npages; i++)
    weft__merkle_set_leaf(&u->mem_tree, i, u->page_hash[i]);
  if (rc == 0)
    weft__merkle_build(&u->mem_tree);
  return rc;
}

/* See unit.h. */
int weft__unitfile_open(const char *path, weft__unitfile_t **out,
                        weft_error_t *err) {
  if (weft__unit_is_redis(path))
    return weft__uredis_open(path, out, err);
  *out = NULL;
  struct stat sb;
  if (stat(path, &sb) < 0)
    return WEFT_ERR(err, WEFT_ENOENT, "cannot open '%s': no such file",
                    path);
  weft__unitfile_t *u = calloc(1, sizeof *u);
  if (!u || !(u->path = weft__strdup(path))) {
    free(u);
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  }
  int rc = weft__unit_init(err);
  if (rc == 0)
    rc = open_db(u, SQLITE_OPEN_READWRITE, err);
  if (rc == 0)
    rc = load(u, err);
  if (rc == 0) /* files made before the index existed */
    rc = exec(u, SEEN_SQL, err);
  if (rc < 0) {
    weft__unitfile_close(u);
    return rc;
  }
  *out = u;
  return 0;
}

/* See unit.h. */
void weft__unitfile_close(weft__unitfile_t *u) {
  if (!u)
    return;
  if (u->db)
    sqlite3_close(u->db);
  weft__uredis_free(u->redis);
  free(u->path);
  free(u->code);
  free(u->schema_text);
  free(u->policy_text);
  weft__uschema_free(u->schema);
  weft__upolicy_free(u->policy);
  weft__ustate_release(&u->state);
  free(u->page_hash);
  weft__merkle_release(&u->mem_tree);
  free(u->globals);
  weft__uentry_release(&u->head);
  free(u);
}

/* See unit.h. */
int weft__unitfile_read_memory(weft__unitfile_t *u, uint8_t *mem,
                               weft_error_t *err) {
  if (u->redis)
    return weft__uredis_read_memory(u, mem, err);
  sqlite3_stmt *st;
  memset(mem, 0, u->npages * WEFT__UNIT_PAGE);
  if (sqlite3_prepare_v2(u->db, "SELECT idx, data FROM pages", -1, &st,
                         NULL) != SQLITE_OK)
    return db_fail(u, err, "pages");
  int rc = 0;
  while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
    sqlite3_int64 i = sqlite3_column_int64(st, 0);
    if (i < 0 || (size_t)i >= u->npages ||
        sqlite3_column_bytes(st, 1) != WEFT__UNIT_PAGE)
      rc = WEFT_ERR(err, WEFT_EINVALID, "page %lld: field 'data': malformed",
                    (long long)i);
    else
      memcpy(mem + (size_t)i * WEFT__UNIT_PAGE, sqlite3_column_blob(st, 1),
             WEFT__UNIT_PAGE);
  }
  sqlite3_finalize(st);
  return rc;
}

static int apply_mut(weft__unitfile_t *u, const weft__umut_t *m,
                     weft_error_t *err) {
  sqlite3_stmt *st;
  const char *sql = m->del ? "DELETE FROM state WHERE key = ?"
                           : "INSERT OR REPLACE INTO state VALUES(?, ?)";
  if (sqlite3_prepare_v2(u->db, sql, -1, &st, NULL) != SQLITE_OK)
    return db_fail(u, err, "state");
  sqlite3_bind_text(st, 1, m->key, -1, SQLITE_STATIC);
  if (!m->del)
    sqlite3_bind_blob(st, 2, m->val_len ? (void *)m->val : (void *)"",
                      (int)m->val_len, SQLITE_STATIC);
  int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_fail(u, err, "state");
  sqlite3_finalize(st);
  return rc;
}

/* Index the messages of `e` as seen; one seen before fails the commit. */
static int record_seen(weft__unitfile_t *u, const weft__uentry_t *e,
                       weft_error_t *err) {
  if (!e->nmsgs)
    return 0;
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(u->db, "INSERT INTO seen VALUES(?, ?)", -1, &st,
                         NULL) != SQLITE_OK)
    return db_fail(u, err, "seen");
  int rc = 0;
  for (size_t i = 0; rc == 0 && i < e->nmsgs; i++) {
    sqlite3_reset(st);
    sqlite3_bind_blob(st, 1, e->msgs[i].sender, WEFT__PK_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)e->msgs[i].nonce);
    if (sqlite3_step(st) != SQLITE_DONE)
      rc = WEFT_ERR(err, WEFT_EINVAL,
                    "'%s': message %zu of entry %llu was delivered before",
                    u->path, i, (unsigned long long)e->seq);
  }
  sqlite3_finalize(st);
  return rc;
}

/* See unit.h. */
int weft__unitfile_seen(weft__unitfile_t *u, const uint8_t *sender,
                        uint64_t nonce, weft_error_t *err) {
  if (u->redis)
    return weft__uredis_seen(u, sender, nonce, err);
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(u->db,
                         "SELECT 1 FROM seen WHERE sender = ? AND nonce = ?",
                         -1, &st, NULL) != SQLITE_OK)
    return db_fail(u, err, "seen");
  sqlite3_bind_blob(st, 1, sender, WEFT__PK_LEN, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, (sqlite3_int64)nonce);
  int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  if (rc == SQLITE_ROW)
    return 1;
  return rc == SQLITE_DONE ? 0 : db_fail(u, err, "seen");
}

/* See unit.h. */
int weft__unitfile_policy_seqs(weft__unitfile_t *u, uint64_t **seqs,
                               size_t *n, weft_error_t *err) {
  if (u->redis)
    return weft__uredis_policy_seqs(u, seqs, n, err);
  sqlite3_stmt *st;
  *seqs = NULL;
  *n = 0;
  if (sqlite3_prepare_v2(u->db, "SELECT seq FROM policy ORDER BY seq", -1,
                         &st, NULL) != SQLITE_OK)
    return db_fail(u, err, "policy");
  size_t cap = 0;
  int rc = 0;
  while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
    if (*n == cap) {
      cap = cap ? 2 * cap : 8;
      uint64_t *s = realloc(*seqs, cap * sizeof *s);
      if (!s) {
        rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
        break;
      }
      *seqs = s;
    }
    (*seqs)[(*n)++] = (uint64_t)sqlite3_column_int64(st, 0);
  }
  sqlite3_finalize(st);
  return rc;
}

/* See unit.h. */
int weft__unitfile_import(const char *path, const weft__uimport_t *im,
                          weft_error_t *err) {
  if (weft__unit_is_redis(path))
    return WEFT_ERR(err, WEFT_EINVAL, "unpack makes a file; put it in "
                    "Redis with 'weft unit push'");
  weft__unitfile_t u = {0};
  u.path = (char *)path;
  const weft__uentry_t *head = &im->entries[im->nentries - 1];
  uint8_t code_hash[WEFT__HASH_LEN];
  weft__uhash(code_hash, WEFT__H_PAGE, 1, im->code, im->code_len);
  int rc = open_db(&u, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, err);
  /* A new file no one else sees yet: no sync; the caller syncs it once
   * it has verified it. */
  if (rc == 0)
    rc = exec(&u, "PRAGMA synchronous=OFF", err);
  if (rc == 0)
    rc = exec(&u, "BEGIN", err);
  if (rc == 0)
    rc = exec(&u, schema_sql, err);
  if (rc == 0)
    rc = put_u32_meta(&u, "format", WEFT__UNIT_FORMAT, err);
  if (rc == 0)
    rc = put_meta(&u, "unit_id", im->entries[0].hash, WEFT__HASH_LEN, err);
  if (rc == 0)
    rc = put_meta(&u, "owner", im->owner, WEFT__PK_LEN, err);
  if (rc == 0)
    rc = put_meta(&u, "world", WEFT__UNIT_WORLD, strlen(WEFT__UNIT_WORLD),
                  err);
  if (rc == 0)
    rc = put_meta(&u, "code_hash", code_hash, WEFT__HASH_LEN, err);
  if (rc == 0)
    rc = put_meta(&u, "schema", im->schema_text, strlen(im->schema_text),
                  err);
  if (rc == 0)
    rc = put_u32_meta(&u, "mem_pages", head->mem_pages, err);
  if (rc == 0)
    rc = put_meta(&u, "globals", im->globals, im->globals_len, err);
  sqlite3_stmt *st = NULL;
  if (rc == 0 && sqlite3_prepare_v2(u.db, "INSERT INTO code VALUES(?, ?)", -1,
                                    &st, NULL) != SQLITE_OK)
    rc = db_fail(&u, err, "code");
  if (rc == 0) {
    sqlite3_bind_blob(st, 1, code_hash, WEFT__HASH_LEN, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, im->code_len ? (void *)im->code : (void *)"",
                      (int)im->code_len, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
      rc = db_fail(&u, err, "code");
  }
  sqlite3_finalize(st);
  st = NULL;
  if (rc == 0 && sqlite3_prepare_v2(u.db, "INSERT INTO policy VALUES(?, ?)",
                                    -1, &st, NULL) != SQLITE_OK)
    rc = db_fail(&u, err, "policy");
  for (size_t i = 0; rc == 0 && i < im->npolicies; i++) {
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, (sqlite3_int64)im->policy_seq[i]);
    sqlite3_bind_blob(st, 2, im->policies[i], (int)strlen(im->policies[i]),
                      SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
      rc = db_fail(&u, err, "policy");
  }
  sqlite3_finalize(st);
  for (size_t i = 0; rc == 0 && i < im->state->n; i++) {
    weft__umut_t m = {.key = im->state->ents[i].key,
                      .val = im->state->ents[i].val,
                      .val_len = im->state->ents[i].len};
    rc = apply_mut(&u, &m, err);
  }
  for (size_t i = 0; rc == 0 && i < im->npages; i++) {
    uint8_t h[WEFT__HASH_LEN];
    weft__page_hash(im->page_data[i], h);
    rc = write_page(&u, im->page_idx[i], im->page_data[i], h, err);
  }
  for (size_t i = 0; rc == 0 && i < im->nentries; i++) {
    rc = record_seen(&u, &im->entries[i], err);
    if (rc == 0)
      rc = insert_entry(&u, &im->entries[i], err);
  }
  if (rc == 0)
    rc = exec(&u, "COMMIT", err);
  if (u.db)
    sqlite3_close(u.db);
  return rc;
}

/* See unit.h. */
int weft__unitfile_commit(weft__unitfile_t *u, const weft__ucommit_t *c,
                          weft_error_t *err) {
  if (u->redis)
    return weft__uredis_commit(u, c, err);
  int rc = exec(u, "BEGIN IMMEDIATE", err);
  if (rc < 0)
    return rc;
  /* Another process may have advanced the unit since we read its head. */
  if (weft__unitfile_count(u) != c->entry->seq)
    rc = WEFT_ERR(err, WEFT_EINVAL,
                  "'%s' was advanced by another process; try again",
                  u->path);
  const weft__uentry_t *e = c->entry;
  for (size_t i = 0; rc == 0 && e->kind == WEFT__E_CYCLE && i < e->nmuts; i++)
    if (e->muts[i].admitted)
      rc = apply_mut(u, &e->muts[i], err);
  for (size_t i = 0; rc == 0 && c->mem && i < c->ndirty; i++)
    rc = write_page(u, c->dirty[i], c->mem + c->dirty[i] * WEFT__UNIT_PAGE,
                    c->dirty_hash[i], err);
  if (rc == 0 && c->mem && c->mem_pages != u->mem_pages)
    rc = put_u32_meta(u, "mem_pages", c->mem_pages, err);
  /* The globals, when they changed (most cycles leave them). */
  bool gsame = c->globals && c->globals_len == u->globals_len &&
               (!c->globals_len || !memcmp(c->globals, u->globals,
                                           c->globals_len));
  if (rc == 0 && c->globals && !gsame)
    rc = put_meta(u, "globals", c->globals, c->globals_len, err);
  if (rc == 0 && c->policy_text) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(u->db, "INSERT INTO policy VALUES(?, ?)", -1, &st,
                           NULL) != SQLITE_OK)
      rc = db_fail(u, err, "policy");
    else {
      sqlite3_bind_int64(st, 1, (sqlite3_int64)e->seq);
      sqlite3_bind_blob(st, 2, c->policy_text, (int)strlen(c->policy_text),
                        SQLITE_STATIC);
      if (sqlite3_step(st) != SQLITE_DONE)
        rc = db_fail(u, err, "policy");
      sqlite3_finalize(st);
    }
  }
  for (size_t i = 0; rc == 0 && i < c->ninbox_done; i++) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(u->db, "DELETE FROM inbox WHERE id = ?", -1, &st,
                           NULL) != SQLITE_OK) {
      rc = db_fail(u, err, "inbox");
      break;
    }
    sqlite3_bind_int64(st, 1, c->inbox_done[i]);
    if (sqlite3_step(st) != SQLITE_DONE)
      rc = db_fail(u, err, "inbox");
    sqlite3_finalize(st);
  }
  if (rc == 0)
    rc = record_seen(u, e, err);
  if (rc == 0)
    rc = insert_entry(u, e, err);
  /* The copy of the globals the next commit compares with. */
  uint8_t *g = NULL;
  if (rc == 0 && c->globals && !gsame &&
      !(g = malloc(c->globals_len ? c->globals_len : 1)))
    rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  if (rc == 0)
    rc = exec(u, "COMMIT", err);
  if (rc < 0) {
    free(g);
    sqlite3_exec(u->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
  }
  if (g) {
    if (c->globals_len)
      memcpy(g, c->globals, c->globals_len);
    free(u->globals);
    u->globals = g;
    u->globals_len = c->globals_len;
  }
  return 0;
}

/* See unit.h. */
int weft__unitfile_inbox_add(weft__unitfile_t *u, const weft__umsg_t *m,
                             weft_error_t *err) {
  if (u->redis)
    return weft__uredis_inbox_add(u, m, err);
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(u->db, "INSERT INTO inbox VALUES(NULL,?,?,?,?,?)",
                         -1, &st, NULL) != SQLITE_OK)
    return db_fail(u, err, "inbox");
  sqlite3_bind_blob(st, 1, m->sender, WEFT__PK_LEN, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, m->kind, -1, SQLITE_STATIC);
  sqlite3_bind_blob(st, 3, m->body_len ? (void *)m->body : (void *)"",
                    (int)m->body_len, SQLITE_STATIC);
  sqlite3_bind_int64(st, 4, (sqlite3_int64)m->nonce);
  sqlite3_bind_blob(st, 5, m->sig, WEFT__SIG_LEN, SQLITE_STATIC);
  int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_fail(u, err, "inbox");
  sqlite3_finalize(st);
  return rc;
}

/* See unit.h. Messages are malloc'd (free each kind and body, then the
 * array, and *ids). */
int weft__unitfile_inbox(weft__unitfile_t *u, weft__umsg_t **msgs,
                         int64_t **ids, size_t *n, weft_error_t *err) {
  if (u->redis)
    return weft__uredis_inbox(u, msgs, ids, n, err);
  sqlite3_stmt *st;
  *msgs = NULL;
  *ids = NULL;
  *n = 0;
  if (sqlite3_prepare_v2(u->db,
                         "SELECT id, sender, kind, body, nonce, sig FROM "
                         "inbox ORDER BY id LIMIT 1000",
                         -1, &st, NULL) != SQLITE_OK)
    return db_fail(u, err, "inbox");
  size_t cap = 0;
  int rc = 0;
  while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
    if (*n == cap) {
      cap = cap ? 2 * cap : 8;
      weft__umsg_t *m = realloc(*msgs, cap * sizeof *m);
      int64_t *d = m ? realloc(*ids, cap * sizeof *d) : NULL;
      if (m)
        *msgs = m;
      if (d)
        *ids = d;
      if (!m || !d) {
        rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
        break;
      }
    }
    weft__umsg_t *m = &(*msgs)[*n];
    memset(m, 0, sizeof *m);
    const uint8_t *s = col_fixed(st, 1, WEFT__PK_LEN);
    const uint8_t *g = col_fixed(st, 5, WEFT__SIG_LEN);
    const char *k = (const char *)sqlite3_column_text(st, 2);
    m->body_len = (size_t)sqlite3_column_bytes(st, 3);
    m->body = malloc(m->body_len ? m->body_len : 1);
    m->kind = k ? weft__strdup(k) : NULL;
    if (!s || !g || !m->kind || !m->body) {
      free(m->kind);
      free(m->body);
      rc = WEFT_ERR(err, WEFT_EINVALID, "'%s': a malformed inbox message",
                    u->path);
      break;
    }
    memcpy(m->sender, s, WEFT__PK_LEN);
    memcpy(m->sig, g, WEFT__SIG_LEN);
    if (m->body_len)
      memcpy(m->body, sqlite3_column_blob(st, 3), m->body_len);
    m->nonce = (uint64_t)sqlite3_column_int64(st, 4);
    (*ids)[(*n)++] = sqlite3_column_int64(st, 0);
  }
  sqlite3_finalize(st);
  return rc;
}

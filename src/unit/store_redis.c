/* store_redis.c - a unit in Redis (docs/unit-format.md "In Redis"): the
 * store interface of unit.h on a Redis server, so that any host may
 * advance any unit. Unit NAME at redis://host:port[/db]/NAME is the keys
 * "weft:unit:{NAME}:PART" (one hash slot), holding the same bytes as the
 * unit file's tables. A host advances a unit under its lease (SET NX PX
 * with a random token) and commits a cycle with one Lua script that checks
 * the token and the head the cycle started from, then appends the entry
 * and applies the state, page and index changes at once: two hosts never
 * fork a unit, and a host that dies leaves the last committed head. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>
#include <sodium.h>

#include "trigger/redis_url.h"
#include "unit/codec.h"
#include "unit/unit.h"

#define TIMEOUT_MS 2000
#define HEAD_LEN (8 + WEFT__HASH_LEN) /* the head key: seq (u64), hash */
#define CACHE 512                     /* entries read at once */

enum { S_COMMIT, S_RENEW, S_RELEASE, NSCRIPTS };

/* KEYS: lease head entries state phash pdata meta policy seen inbox.
 * ARGV: token, expected head, new head, entry, then counted groups (see
 * weft__uredis_commit). Every check comes before the first write, so a
 * refused commit changes nothing. */
static const char *const scripts[NSCRIPTS] = {
    "if redis.call('GET', KEYS[1]) ~= ARGV[1] then\n"
    "  return redis.error_reply('WEFTLEASE the lease is not held') end\n"
    "if redis.call('GET', KEYS[2]) ~= ARGV[2] then\n"
    "  return redis.error_reply('WEFTHEAD the head moved') end\n"
    "local i = 5\n"
    "local nm = tonumber(ARGV[i]); local m = i + 1; i = m + 3 * nm\n"
    "local np = tonumber(ARGV[i]); local p = i + 1; i = p + 3 * np\n"
    "local mp, hasg, g, pseq, ptext = ARGV[i], ARGV[i + 1], ARGV[i + 2],\n"
    "  ARGV[i + 3], ARGV[i + 4]\n"
    "i = i + 5\n"
    "local ns = tonumber(ARGV[i]); local s = i + 1; i = s + ns\n"
    "local ni = tonumber(ARGV[i]); local b = i + 1\n"
    "for k = 0, ns - 1 do\n"
    "  if redis.call('SISMEMBER', KEYS[9], ARGV[s + k]) == 1 then\n"
    "    return redis.error_reply('WEFTSEEN a message was delivered before')\n"
    "  end\n"
    "end\n"
    "for k = 0, nm - 1 do\n"
    "  local a = m + 3 * k\n"
    "  if ARGV[a + 1] == '1' then redis.call('HDEL', KEYS[4], ARGV[a])\n"
    "  else redis.call('HSET', KEYS[4], ARGV[a], ARGV[a + 2]) end\n"
    "end\n"
    "for k = 0, np - 1 do\n"
    "  local a = p + 3 * k\n"
    "  if ARGV[a + 2] == '' then\n"
    "    redis.call('HDEL', KEYS[5], ARGV[a]); redis.call('HDEL', KEYS[6], "
    "ARGV[a])\n"
    "  else\n"
    "    redis.call('HSET', KEYS[5], ARGV[a], ARGV[a + 1])\n"
    "    redis.call('HSET', KEYS[6], ARGV[a], ARGV[a + 2])\n"
    "  end\n"
    "end\n"
    "if mp ~= '' then redis.call('HSET', KEYS[7], 'mem_pages', mp) end\n"
    "if hasg == '1' then redis.call('HSET', KEYS[7], 'globals', g) end\n"
    "if pseq ~= '' then redis.call('HSET', KEYS[8], pseq, ptext) end\n"
    "for k = 0, ns - 1 do redis.call('SADD', KEYS[9], ARGV[s + k]) end\n"
    "for k = 0, ni - 1 do redis.call('HDEL', KEYS[10], ARGV[b + k]) end\n"
    "redis.call('RPUSH', KEYS[3], ARGV[4])\n"
    "redis.call('SET', KEYS[2], ARGV[3])\n"
    "return 1\n",
    "if redis.call('GET', KEYS[1]) == ARGV[1] then\n"
    "  return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end\n"
    "return 0\n",
    "if redis.call('GET', KEYS[1]) == ARGV[1] then\n"
    "  return redis.call('DEL', KEYS[1]) end\n"
    "return 0\n"};

struct weft__uredis {
  weft__redis_url_t url;
  char *name;
  redisContext *c;             /* NULL after a failure: reconnect */
  char token[33];              /* this open's lease token (hex) */
  uint8_t head[HEAD_LEN];      /* the head the unit is loaded at */
  uint64_t count;              /* entries up to that head */
  redisReply *pages;           /* the pages at load, until a commit */
  char sha[NSCRIPTS][41];      /* SCRIPT LOAD's answers */
  redisReply *cache;           /* entries cache_lo... (LRANGE) */
  uint64_t cache_lo;
  bool lost;                   /* a commit was refused: another host won */
};

/* ---- addresses and keys ------------------------------------------------- */

static bool name_ok(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > 200)
    return false;
  for (size_t i = 0; i < n; i++)
    if (!(s[i] >= 'a' && s[i] <= 'z') && !(s[i] >= 'A' && s[i] <= 'Z') &&
        !(s[i] >= '0' && s[i] <= '9') && !strchr("._-", s[i]))
      return false;
  return true;
}

/* See unit.h. */
bool weft__unit_is_redis(const char *path) {
  return !strncmp(path, "redis://", 8) || !strncmp(path, "rediss://", 9);
}

/* Split "redis://.../NAME" into the server's address and the name. */
static int parse_url(const char *url, weft__redis_url_t *out, char **name,
                     weft_error_t *err) {
  const char *auth = strstr(url, "://") + 3;
  const char *slash = strrchr(auth, '/');
  if (!slash || !name_ok(slash + 1))
    return WEFT_ERR(err, WEFT_EINVAL,
                    "a unit in Redis is 'redis://host[:port][/db]/NAME', "
                    "NAME 1 to 200 of [A-Za-z0-9._-]; not '%.*s/...'",
                    (int)(auth - url), url);
  char *server = weft__strndup(url, (size_t)(slash - url));
  *name = weft__strdup(slash + 1);
  int rc = server && *name ? weft__redis_url_parse(server, out, err)
                           : WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  free(server);
  if (rc < 0) {
    free(*name);
    *name = NULL;
  }
  return rc;
}

static void key(const weft__uredis_t *rs, const char *part, char *out,
                size_t cap) {
  snprintf(out, cap, "weft:unit:{%s}:%s", rs->name, part);
}

/* ---- commands ----------------------------------------------------------- */

/* Arguments of one command; `own` holds the ones formatted here. */
typedef struct args {
  size_t n, cap;
  const char **v;
  size_t *l;
  char **own;
  size_t nown;
  bool oom;
} args_t;

static void add(args_t *a, const void *p, size_t n) {
  if (a->n == a->cap) {
    size_t cap = a->cap ? 2 * a->cap : 16;
    const char **v = realloc(a->v, cap * sizeof *v);
    if (v)
      a->v = v;
    size_t *l = v ? realloc(a->l, cap * sizeof *l) : NULL;
    if (l)
      a->l = l;
    char **o = l ? realloc(a->own, cap * sizeof *o) : NULL;
    if (!o) {
      a->oom = true;
      return;
    }
    a->own = o;
    a->cap = cap;
  }
  a->v[a->n] = p ? p : "";
  a->l[a->n++] = n;
}

static void add_str(args_t *a, const char *s) { add(a, s, strlen(s)); }

/* A copy the arguments own (a formatted number, a key name). */
static void add_copy(args_t *a, const void *p, size_t n) {
  char *c = malloc(n + 1);
  if (!c) {
    a->oom = true;
    return;
  }
  memcpy(c, p, n);
  c[n] = 0;
  add(a, c, n);
  if (a->oom) {
    free(c);
    return;
  }
  a->own[a->nown++] = c;
}

static void add_u64(args_t *a, uint64_t v) {
  char b[24];
  int n = snprintf(b, sizeof b, "%llu", (unsigned long long)v);
  add_copy(a, b, (size_t)n);
}

static void add_key(args_t *a, const weft__uredis_t *rs, const char *part) {
  char k[300];
  key(rs, part, k, sizeof k);
  add_copy(a, k, strlen(k));
}

static void args_release(args_t *a) {
  for (size_t i = 0; i < a->nown; i++)
    free(a->own[i]);
  free(a->own);
  free(a->v);
  free(a->l);
  memset(a, 0, sizeof *a);
}

static const char *where(const weft__uredis_t *rs) { return rs->url.display; }

/* A connection, made again after a failure. */
static int connected(weft__uredis_t *rs, weft_error_t *err) {
  if (rs->c && !rs->c->err)
    return 0;
  if (rs->c)
    redisFree(rs->c);
  rs->c = weft__redis_connect(&rs->url, TIMEOUT_MS, err);
  memset(rs->sha, 0, sizeof rs->sha); /* a restarted server forgot them */
  return rs->c ? 0 : err ? err->code : WEFT_EIO;
}

/* The failure of a command: the connection is dropped (the next command
 * connects again) and the error is WEFT_EIO naming the server. */
static int io_fail(weft__uredis_t *rs, const char *what, weft_error_t *err) {
  int rc = WEFT_ERR(err, WEFT_EIO, "redis %s: %s: %s", where(rs), what,
                    rs->c && rs->c->errstr[0] ? rs->c->errstr
                                              : "no answer");
  if (rs->c)
    redisFree(rs->c);
  rs->c = NULL;
  return rc;
}

/* Send `a` and return its reply (caller frees); an error reply is
 * WEFT_EIO with the server's message unless `keep_error`. */
static int command(weft__uredis_t *rs, args_t *a, const char *what,
                   bool keep_error, redisReply **out, weft_error_t *err) {
  *out = NULL;
  if (a->oom)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  int rc = connected(rs, err);
  if (rc < 0)
    return rc;
  redisReply *r = redisCommandArgv(rs->c, (int)a->n, a->v, a->l);
  if (!r)
    return io_fail(rs, what, err);
  if (r->type == REDIS_REPLY_ERROR && !keep_error) {
    rc = WEFT_ERR(err, WEFT_EIO, "redis %s: %s refused: %s", where(rs), what,
                  r->str);
    freeReplyObject(r);
    return rc;
  }
  *out = r;
  return 0;
}

/* A one-key command with up to two arguments. */
static int simple(weft__uredis_t *rs, const char *cmd, const char *part,
                  const char *a1, const char *a2, redisReply **out,
                  weft_error_t *err) {
  args_t a = {0};
  add_str(&a, cmd);
  add_key(&a, rs, part);
  if (a1)
    add_str(&a, a1);
  if (a2)
    add_str(&a, a2);
  int rc = command(rs, &a, cmd, false, out, err);
  args_release(&a);
  return rc;
}

/* Run script `s` with `a` (from its numkeys on: EVALSHA and the sha are
 * put first); a server that lost the script (restarted) gets it again. */
static int script(weft__uredis_t *rs, int s, args_t *a, redisReply **out,
                  weft_error_t *err) {
  for (int attempt = 0; attempt < 2; attempt++) {
    int rc = connected(rs, err);
    if (rc < 0)
      return rc;
    if (!rs->sha[s][0]) {
      redisReply *r = redisCommand(rs->c, "SCRIPT LOAD %s", scripts[s]);
      if (!r)
        return io_fail(rs, "SCRIPT LOAD", err);
      if (r->type != REDIS_REPLY_STRING || r->len != 40) {
        rc = WEFT_ERR(err, WEFT_EIO, "redis %s: SCRIPT LOAD refused: %s",
                      where(rs), r->type == REDIS_REPLY_ERROR ? r->str : "?");
        freeReplyObject(r);
        return rc;
      }
      memcpy(rs->sha[s], r->str, 40);
      freeReplyObject(r);
    }
    a->v[0] = "EVALSHA";
    a->l[0] = 7;
    a->v[1] = rs->sha[s];
    a->l[1] = 40;
    if ((rc = command(rs, a, "EVALSHA", true, out, err)) < 0)
      return rc;
    if ((*out)->type == REDIS_REPLY_ERROR &&
        !strncmp((*out)->str, "NOSCRIPT", 8)) {
      freeReplyObject(*out);
      *out = NULL;
      rs->sha[s][0] = 0;
      continue;
    }
    return 0;
  }
  return WEFT_ERR(err, WEFT_EIO, "redis %s: the script is not kept",
                  where(rs));
}

/* Queue `a` on the connection (a pipeline; replies read later). */
static void append(weft__uredis_t *rs, args_t *a) {
  if (!a->oom && rs->c &&
      redisAppendCommandArgv(rs->c, (int)a->n, a->v, a->l) != REDIS_OK)
    a->oom = true;
}

/* ---- loading ------------------------------------------------------------ */

static uint32_t be32(const char *p) {
  const uint8_t *b = (const uint8_t *)p;
  return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 |
         b[3];
}

static uint64_t be64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++)
    v = v << 8 | p[i];
  return v;
}

static void put64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++)
    p[i] = (uint8_t)(v >> (56 - 8 * i));
}

/* Field `name` of an HGETALL reply, or NULL. */
static const redisReply *field(const redisReply *h, const char *name) {
  for (size_t i = 0; h && h->type == REDIS_REPLY_ARRAY && i + 1 < h->elements;
       i += 2)
    if (h->element[i]->type == REDIS_REPLY_STRING &&
        !strcmp(h->element[i]->str, name) &&
        h->element[i + 1]->type == REDIS_REPLY_STRING)
      return h->element[i + 1];
  return NULL;
}

static int meta_fixed(weft__unitfile_t *u, const redisReply *meta,
                      const char *name, void *out, size_t n,
                      weft_error_t *err) {
  const redisReply *v = field(meta, name);
  if (!v)
    return WEFT_ERR(err, WEFT_EINVALID, "'%s': meta '%s' is missing", u->path,
                    name);
  if (v->len != n)
    return WEFT_ERR(err, WEFT_EINVALID,
                    "'%s': meta '%s' has %zu bytes, not %zu", u->path, name,
                    v->len, n);
  memcpy(out, v->str, n);
  return 0;
}

/* Free what load() filled in, for a reload. */
static void unload(weft__unitfile_t *u) {
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
  u->code = NULL;
  u->schema_text = u->policy_text = NULL;
  u->schema = NULL;
  u->policy = NULL;
  memset(&u->state, 0, sizeof u->state);
  u->page_hash = NULL;
  memset(&u->mem_tree, 0, sizeof u->mem_tree);
  u->globals = NULL;
  u->globals_len = 0;
  memset(&u->head, 0, sizeof u->head);
  weft__uredis_t *rs = u->redis;
  if (rs->pages)
    freeReplyObject(rs->pages);
  if (rs->cache)
    freeReplyObject(rs->cache);
  rs->pages = rs->cache = NULL;
}

/* Everything but the memory from one snapshot (MULTI/EXEC: no commit in
 * between), the memory kept for weft__uredis_read_memory. */
static int load(weft__unitfile_t *u, weft_error_t *err) {
  weft__uredis_t *rs = u->redis;
  static const char *const parts[][2] = {
      {"GET", "head"},      {"HGETALL", "meta"},  {"GET", "code"},
      {"HGETALL", "state"}, {"HGETALL", "phash"}, {"HGETALL", "pdata"}};
  enum { NPARTS = 6 };
  int rc = connected(rs, err);
  if (rc < 0)
    return rc;
  args_t a = {0};
  add_str(&a, "MULTI");
  append(rs, &a);
  for (int i = 0; i < NPARTS; i++) {
    a.n = 0;
    add_str(&a, parts[i][0]);
    add_key(&a, rs, parts[i][1]);
    append(rs, &a);
  }
  a.n = 0;
  add_str(&a, "EXEC");
  append(rs, &a);
  bool oom = a.oom;
  args_release(&a);
  if (oom)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  redisReply *r = NULL, *x = NULL;
  for (int i = 0; i < NPARTS + 2; i++) {
    if (redisGetReply(rs->c, (void **)&r) != REDIS_OK)
      return io_fail(rs, "loading the unit", err);
    if (i == NPARTS + 1)
      x = r;
    else
      freeReplyObject(r);
  }
  if (x->type != REDIS_REPLY_ARRAY || x->elements != NPARTS) {
    rc = WEFT_ERR(err, WEFT_EIO, "redis %s: loading the unit refused: %s",
                  where(rs), x->type == REDIS_REPLY_ERROR ? x->str : "?");
    freeReplyObject(x);
    return rc;
  }
  redisReply **e = x->element;
  if (e[0]->type != REDIS_REPLY_STRING) {
    freeReplyObject(x);
    return WEFT_ERR(err, WEFT_ENOENT, "'%s': no such unit", u->path);
  }
  if (e[0]->len != HEAD_LEN)
    rc = WEFT_ERR(err, WEFT_EINVALID, "'%s': the head key is malformed",
                  u->path);
  uint8_t fmt[4];
  if (rc == 0)
    rc = meta_fixed(u, e[1], "format", fmt, 4, err);
  if (rc == 0 && be32((char *)fmt) != WEFT__UNIT_FORMAT)
    rc = WEFT_ERR(err, WEFT_EUNSUPPORTED,
                  "'%s' has unit format %u; this weft reads %d", u->path,
                  be32((char *)fmt), WEFT__UNIT_FORMAT);
  if (rc == 0)
    rc = meta_fixed(u, e[1], "unit_id", u->unit_id, WEFT__HASH_LEN, err);
  if (rc == 0)
    rc = meta_fixed(u, e[1], "owner", u->owner, WEFT__PK_LEN, err);
  if (rc == 0)
    rc = meta_fixed(u, e[1], "code_hash", u->code_hash, WEFT__HASH_LEN, err);
  if (rc == 0)
    rc = meta_fixed(u, e[1], "mem_pages", fmt, 4, err);
  if (rc == 0) {
    u->mem_pages = be32((char *)fmt);
    if (u->mem_pages > 65536)
      rc = WEFT_ERR(err, WEFT_EINVALID, "'%s': meta 'mem_pages' is %u",
                    u->path, u->mem_pages);
  }
  const redisReply *g = field(e[1], "globals"), *s = field(e[1], "schema");
  if (rc == 0 && (!g || !s))
    rc = WEFT_ERR(err, WEFT_EINVALID, "'%s': meta '%s' is missing", u->path,
                  g ? "schema" : "globals");
  if (rc == 0) {
    u->globals_len = g->len;
    u->globals = malloc(g->len ? g->len : 1);
    u->schema_text = weft__strndup(s->str, s->len);
    if (!u->globals || !u->schema_text)
      rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
    else if (g->len)
      memcpy(u->globals, g->str, g->len);
  }
  if (rc == 0 && strlen(u->schema_text) != s->len)
    rc = WEFT_ERR(err, WEFT_EINVALID, "'%s': the schema holds NUL", u->path);
  if (rc == 0 && e[2]->type != REDIS_REPLY_STRING)
    rc = WEFT_ERR(err, WEFT_EINVALID, "'%s' holds no code", u->path);
  if (rc == 0) {
    u->code_len = e[2]->len;
    if (!(u->code = malloc(u->code_len ? u->code_len : 1)))
      rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
    else if (u->code_len)
      memcpy(u->code, e[2]->str, u->code_len);
  }
  for (size_t i = 0; rc == 0 && i + 1 < e[3]->elements; i += 2) {
    const redisReply *k = e[3]->element[i], *v = e[3]->element[i + 1];
    if (strlen(k->str) != k->len)
      rc = WEFT_ERR(err, WEFT_EINVALID, "'%s': a state key holds NUL",
                    u->path);
    else if (weft__ustate_put(&u->state, k->str, (const uint8_t *)v->str,
                              v->len) < 0)
      rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  }
  if (rc == 0) {
    memcpy(rs->head, e[0]->str, HEAD_LEN);
    rs->count = be64(rs->head) + 1;
    rc = weft__uredis_entry(u, rs->count - 1, &u->head, err);
  }
  if (rc == 0 && memcmp(u->head.hash, rs->head + 8, WEFT__HASH_LEN))
    rc = WEFT_ERR(err, WEFT_EINVALID,
                  "'%s': entry %llu: field 'hash': not the head's", u->path,
                  (unsigned long long)u->head.seq);
  if (rc == 0)
    rc = weft__uredis_policy_at(u, rs->count - 1, &u->policy_text, err);
  if (rc == 0)
    rc = weft__uschema_parse(u->schema_text, strlen(u->schema_text),
                             "<unit schema>", &u->schema, err);
  if (rc == 0)
    rc = weft__upolicy_parse(u->policy_text, strlen(u->policy_text),
                             "<unit policy>", u->schema, &u->policy, err);
  /* Page hashes: stored ones, the zero page's elsewhere. */
  u->npages = (size_t)u->mem_pages * (65536 / WEFT__UNIT_PAGE);
  if (rc == 0 &&
      (!(u->page_hash = malloc((u->npages ? u->npages : 1) * WEFT__HASH_LEN)) ||
       weft__merkle_resize(&u->mem_tree, u->npages) < 0))
    rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  if (rc == 0) {
    static const uint8_t zero[WEFT__UNIT_PAGE];
    uint8_t zh[WEFT__HASH_LEN];
    weft__page_hash(zero, zh);
    for (size_t i = 0; i < u->npages; i++)
      memcpy(u->page_hash[i], zh, WEFT__HASH_LEN);
  }
  for (size_t i = 0; rc == 0 && i + 1 < e[4]->elements; i += 2) {
    char *end;
    unsigned long long idx = strtoull(e[4]->element[i]->str, &end, 10);
    const redisReply *h = e[4]->element[i + 1];
    if (*end || idx >= u->npages || h->len != WEFT__HASH_LEN)
      rc = WEFT_ERR(err, WEFT_EINVALID, "page %s: field 'hash': malformed",
                    e[4]->element[i]->str);
    else
      memcpy(u->page_hash[idx], h->str, WEFT__HASH_LEN);
  }
  for (size_t i = 0; rc == 0 && i < u->npages; i++)
    weft__merkle_set_leaf(&u->mem_tree, i, u->page_hash[i]);
  if (rc == 0) {
    weft__merkle_build(&u->mem_tree);
    /* Keep the pages of this snapshot; the rest of the reply goes. */
    rs->pages = e[5];
    e[5] = NULL;
    x->elements = NPARTS - 1;
  }
  freeReplyObject(x);
  return rc;
}

/* See unit.h. */
int weft__uredis_open(const char *url, weft__unitfile_t **out,
                      weft_error_t *err) {
  *out = NULL;
  int rc = weft__unit_init(err);
  if (rc < 0)
    return rc;
  weft__unitfile_t *u = calloc(1, sizeof *u);
  weft__uredis_t *rs = calloc(1, sizeof *rs);
  if (!u || !rs) {
    free(u);
    free(rs);
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  }
  u->redis = rs;
  rc = parse_url(url, &rs->url, &rs->name, err);
  if (rc == 0) {
    size_t n = strlen(rs->url.display) + strlen(rs->name) + 2;
    if ((u->path = malloc(n)))
      snprintf(u->path, n, "%s/%s", rs->url.display, rs->name);
    else
      rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  }
  uint8_t tok[16];
  randombytes_buf(tok, sizeof tok);
  weft__hex(tok, sizeof tok, rs->token);
  if (rc == 0)
    rc = load(u, err);
  if (rc < 0) {
    weft__unitfile_close(u);
    return rc;
  }
  *out = u;
  return 0;
}

/* See unit.h. */
void weft__uredis_free(weft__uredis_t *rs) {
  if (!rs)
    return;
  if (rs->c)
    redisFree(rs->c);
  if (rs->pages)
    freeReplyObject(rs->pages);
  if (rs->cache)
    freeReplyObject(rs->cache);
  weft__redis_url_release(&rs->url);
  free(rs->name);
  free(rs);
}

/* See unit.h. */
int weft__unit_reload(weft__unitfile_t *u, weft_error_t *err) {
  if (!u->redis)
    return 0;
  unload(u);
  return load(u, err);
}

/* ---- reading ------------------------------------------------------------ */

/* See unit.h. Entries are read CACHE at a time: verify reads them all. */
int weft__uredis_entry(weft__unitfile_t *u, uint64_t seq, weft__uentry_t *e,
                       weft_error_t *err) {
  weft__uredis_t *rs = u->redis;
  memset(e, 0, sizeof *e);
  if (!rs->cache || seq < rs->cache_lo ||
      seq - rs->cache_lo >= rs->cache->elements) {
    if (rs->cache)
      freeReplyObject(rs->cache);
    rs->cache = NULL;
    char lo[24], hi[24];
    snprintf(lo, sizeof lo, "%llu", (unsigned long long)seq);
    snprintf(hi, sizeof hi, "%llu", (unsigned long long)seq + CACHE - 1);
    int rc = simple(rs, "LRANGE", "entries", lo, hi, &rs->cache, err);
    if (rc < 0)
      return rc;
    rs->cache_lo = seq;
    if (rs->cache->type != REDIS_REPLY_ARRAY || !rs->cache->elements)
      return WEFT_ERR(err, WEFT_ENOTFOUND, "'%s' has no entry %llu", u->path,
                      (unsigned long long)seq);
  }
  const redisReply *r = rs->cache->element[seq - rs->cache_lo];
  weft__rd_t rd = {(const uint8_t *)r->str, (const uint8_t *)r->str + r->len,
                   false};
  e->seq = seq;
  if (r->type != REDIS_REPLY_STRING || !weft__uentry_unpack(&rd, e) ||
      rd.p != rd.end) {
    weft__uentry_release(e);
    return WEFT_ERR(err, WEFT_EINVALID, "entry %llu: malformed",
                    (unsigned long long)seq);
  }
  return 0;
}

/* See unit.h: the entries up to the head the unit was loaded at (or
 * committed since), so a verify sees one consistent snapshot. */
uint64_t weft__uredis_count(weft__unitfile_t *u) { return u->redis->count; }

/* The policy hash as (seq, text) pairs: HGETALL policy. */
static int policies(weft__unitfile_t *u, redisReply **out,
                    weft_error_t *err) {
  int rc = simple(u->redis, "HGETALL", "policy", NULL, NULL, out, err);
  if (rc == 0 && (*out)->type != REDIS_REPLY_ARRAY) {
    freeReplyObject(*out);
    rc = WEFT_ERR(err, WEFT_EINVALID, "'%s' has no policy", u->path);
  }
  return rc;
}

/* See unit.h. */
int weft__uredis_policy_at(weft__unitfile_t *u, uint64_t seq, char **text,
                           weft_error_t *err) {
  redisReply *r;
  *text = NULL;
  int rc = policies(u, &r, err);
  if (rc < 0)
    return rc;
  const redisReply *best = NULL;
  unsigned long long best_seq = 0;
  for (size_t i = 0; i + 1 < r->elements; i += 2) {
    unsigned long long s = strtoull(r->element[i]->str, NULL, 10);
    if (s <= seq && (!best || s > best_seq)) {
      best = r->element[i + 1];
      best_seq = s;
    }
  }
  if (!best)
    rc = WEFT_ERR(err, WEFT_EINVALID, "'%s' has no policy", u->path);
  else if (!(*text = weft__strndup(best->str, best->len)))
    rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  freeReplyObject(r);
  return rc;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* See unit.h. */
int weft__uredis_policy_seqs(weft__unitfile_t *u, uint64_t **seqs,
                             size_t *n, weft_error_t *err) {
  redisReply *r;
  *seqs = NULL;
  *n = 0;
  int rc = policies(u, &r, err);
  if (rc < 0)
    return rc;
  if (!(*seqs = malloc((r->elements / 2 + 1) * sizeof **seqs)))
    rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  for (size_t i = 0; rc == 0 && i + 1 < r->elements; i += 2) {
    uint64_t s = strtoull(r->element[i]->str, NULL, 10);
    if (s < u->redis->count) /* rows past the snapshot's head */
      (*seqs)[(*n)++] = s;
  }
  if (rc == 0)
    qsort(*seqs, *n, sizeof **seqs, cmp_u64);
  freeReplyObject(r);
  return rc;
}

static void fill_pages(uint8_t *mem, size_t npages, const redisReply *h,
                       int *bad) {
  for (size_t i = 0; !*bad && i + 1 < h->elements; i += 2) {
    char *end;
    unsigned long long idx = strtoull(h->element[i]->str, &end, 10);
    const redisReply *d = h->element[i + 1];
    if (*end || idx >= npages || d->len != WEFT__UNIT_PAGE)
      *bad = 1;
    else
      memcpy(mem + idx * WEFT__UNIT_PAGE, d->str, WEFT__UNIT_PAGE);
  }
}

/* See unit.h: the memory of the snapshot load() took; after a commit of
 * this host, the stored memory (this host holds the lease then). */
int weft__uredis_read_memory(weft__unitfile_t *u, uint8_t *mem,
                             weft_error_t *err) {
  weft__uredis_t *rs = u->redis;
  memset(mem, 0, u->npages * WEFT__UNIT_PAGE);
  redisReply *r = rs->pages;
  int rc = 0;
  if (!r && (rc = simple(rs, "HGETALL", "pdata", NULL, NULL, &r, err)) < 0)
    return rc;
  int bad = r->type != REDIS_REPLY_ARRAY;
  fill_pages(mem, u->npages, r, &bad);
  if (r != rs->pages)
    freeReplyObject(r);
  return bad ? WEFT_ERR(err, WEFT_EINVALID, "'%s': a page: field 'data': "
                                            "malformed", u->path)
             : 0;
}

static void seen_member(const uint8_t *sender, uint64_t nonce, uint8_t *out) {
  memcpy(out, sender, WEFT__PK_LEN);
  put64(out + WEFT__PK_LEN, nonce);
}

/* See unit.h. */
int weft__uredis_seen(weft__unitfile_t *u, const uint8_t *sender,
                      uint64_t nonce, weft_error_t *err) {
  uint8_t m[WEFT__PK_LEN + 8];
  seen_member(sender, nonce, m);
  args_t a = {0};
  add_str(&a, "SISMEMBER");
  add_key(&a, u->redis, "seen");
  add(&a, m, sizeof m);
  redisReply *r;
  int rc = command(u->redis, &a, "SISMEMBER", false, &r, err);
  args_release(&a);
  if (rc < 0)
    return rc;
  rc = r->type == REDIS_REPLY_INTEGER && r->integer == 1;
  freeReplyObject(r);
  return rc;
}

/* ---- the inbox ---------------------------------------------------------- */

/* See unit.h. A message is its lineage encoding (a list of one). */
int weft__uredis_inbox_add(weft__unitfile_t *u, const weft__umsg_t *m,
                           weft_error_t *err) {
  weft__uentry_t one = {.msgs = (weft__umsg_t *)m, .nmsgs = 1};
  weft__buf_t b;
  weft__buf_init(&b);
  redisReply *r = NULL;
  int rc = weft__uentry_enc_msgs(&one, &b) < 0
               ? WEFT_ERR(err, WEFT_ENOMEM, "out of memory")
               : simple(u->redis, "INCR", "inbox_id", NULL, NULL, &r, err);
  if (rc == 0) {
    args_t a = {0};
    add_str(&a, "HSET");
    add_key(&a, u->redis, "inbox");
    add_u64(&a, (uint64_t)r->integer);
    add(&a, b.data, b.len);
    freeReplyObject(r);
    rc = command(u->redis, &a, "HSET", false, &r, err);
    args_release(&a);
  }
  if (r)
    freeReplyObject(r);
  weft__buf_release(&b);
  return rc;
}

static int cmp_id(const void *a, const void *b) {
  const int64_t *x = a, *y = b;
  return *x < *y ? -1 : *x > *y;
}

/* See unit.h. The oldest 1000 messages by id. */
int weft__uredis_inbox(weft__unitfile_t *u, weft__umsg_t **msgs,
                       int64_t **ids, size_t *n, weft_error_t *err) {
  *msgs = NULL;
  *ids = NULL;
  *n = 0;
  redisReply *r;
  int rc = simple(u->redis, "HGETALL", "inbox", NULL, NULL, &r, err);
  if (rc < 0)
    return rc;
  size_t cnt = r->type == REDIS_REPLY_ARRAY ? r->elements / 2 : 0;
  /* (id, reply index) pairs, sorted by id. */
  int64_t(*order)[2] = malloc((cnt ? cnt : 1) * sizeof *order);
  if (!order)
    rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  for (size_t i = 0; rc == 0 && i < cnt; i++) {
    order[i][0] = strtoll(r->element[2 * i]->str, NULL, 10);
    order[i][1] = (int64_t)(2 * i + 1);
  }
  if (rc == 0)
    qsort(order, cnt, sizeof *order, cmp_id);
  if (cnt > 1000)
    cnt = 1000;
  if (rc == 0 && cnt &&
      (!(*msgs = calloc(cnt, sizeof **msgs)) ||
       !(*ids = malloc(cnt * sizeof **ids))))
    rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  for (size_t i = 0; rc == 0 && i < cnt; i++) {
    const redisReply *v = r->element[order[i][1]];
    weft__uentry_t one = {0};
    if (weft__uentry_dec_msgs(&one, (const uint8_t *)v->str, v->len) < 0 ||
        one.nmsgs != 1) {
      weft__uentry_release(&one);
      rc = WEFT_ERR(err, WEFT_EINVALID, "'%s': a malformed inbox message",
                    u->path);
      break;
    }
    (*msgs)[*n] = one.msgs[0];
    free(one.msgs);
    (*ids)[(*n)++] = order[i][0];
  }
  free(order);
  freeReplyObject(r);
  return rc;
}

/* ---- leases and commits ------------------------------------------------- */

/* See unit.h. */
int weft__unit_lease(weft__unitfile_t *u, uint64_t ttl_ms,
                     weft_error_t *err) {
  weft__uredis_t *rs = u->redis;
  if (!rs)
    return 0;
  int rc = connected(rs, err);
  if (rc < 0)
    return rc;
  args_t a = {0};
  add_str(&a, "SET");
  add_key(&a, rs, "lease");
  add_str(&a, rs->token);
  add_str(&a, "NX");
  add_str(&a, "PX");
  add_u64(&a, ttl_ms);
  append(rs, &a);
  args_release(&a);
  add_str(&a, "GET");
  add_key(&a, rs, "lease");
  append(rs, &a);
  args_release(&a);
  add_str(&a, "GET");
  add_key(&a, rs, "head");
  append(rs, &a);
  bool oom = a.oom;
  args_release(&a);
  if (oom)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  redisReply *r[3] = {0};
  for (int i = 0; i < 3; i++)
    if (redisGetReply(rs->c, (void **)&r[i]) != REDIS_OK) {
      for (int j = 0; j < i; j++)
        freeReplyObject(r[j]);
      return io_fail(rs, "taking the lease", err);
    }
  if (r[0]->type == REDIS_REPLY_ERROR)
    rc = WEFT_ERR(err, WEFT_EIO, "redis %s: SET refused: %s", where(rs),
                  r[0]->str);
  else if (r[1]->type != REDIS_REPLY_STRING || strcmp(r[1]->str, rs->token))
    rc = 2;
  else if (r[2]->type != REDIS_REPLY_STRING || r[2]->len != HEAD_LEN)
    rc = WEFT_ERR(err, WEFT_ENOENT, "'%s': no such unit", u->path);
  else
    rc = memcmp(r[2]->str, rs->head, HEAD_LEN) ? 1 : 0;
  for (int i = 0; i < 3; i++)
    freeReplyObject(r[i]);
  /* Stale (1): the caller reloads under the lease, so what it loads is
   * the head the lease protects. */
  return rc;
}

static int lease_script(weft__unitfile_t *u, int s, uint64_t ttl_ms,
                        redisReply **r, weft_error_t *err) {
  args_t a = {0};
  add_str(&a, "EVALSHA");
  add_str(&a, "");
  add_str(&a, "1");
  add_key(&a, u->redis, "lease");
  add_str(&a, u->redis->token);
  add_u64(&a, ttl_ms);
  int rc = script(u->redis, s, &a, r, err);
  args_release(&a);
  return rc;
}

/* See unit.h. */
int weft__unit_lease_renew(weft__unitfile_t *u, uint64_t ttl_ms,
                           weft_error_t *err) {
  if (!u->redis)
    return 0;
  redisReply *r;
  int rc = lease_script(u, S_RENEW, ttl_ms, &r, err);
  if (rc < 0)
    return rc;
  if (r->type != REDIS_REPLY_INTEGER || r->integer != 1)
    rc = WEFT_ERR(err, WEFT_EINVAL, "'%s': the lease was lost", u->path);
  freeReplyObject(r);
  return rc;
}

/* See unit.h. */
void weft__unit_lease_release(weft__unitfile_t *u) {
  redisReply *r;
  if (u->redis && lease_script(u, S_RELEASE, 0, &r, NULL) == 0)
    freeReplyObject(r);
}

/* See unit.h. The script's arguments after the entry: the admitted
 * writes (key, "1" delete or "0", value), the pages (index, hash, data;
 * empty data: a zero page), mem_pages ("" unchanged), "1" and the
 * globals or "0", the policy (seq, text; "" none), the message index
 * members, the inbox ids consumed; each group counted first. */
int weft__uredis_commit(weft__unitfile_t *u, const weft__ucommit_t *c,
                        weft_error_t *err) {
  weft__uredis_t *rs = u->redis;
  const weft__uentry_t *e = c->entry;
  static const char *const keys[] = {"lease", "head",  "entries", "state",
                                     "phash", "pdata", "meta",    "policy",
                                     "seen",  "inbox"};
  if (e->seq != rs->count) {
    rs->lost = true;
    return WEFT_ERR(err, WEFT_EINVAL,
                    "'%s' was advanced by another host; try again", u->path);
  }
  uint8_t want[HEAD_LEN], next[HEAD_LEN];
  put64(want, e->seq - 1);
  memcpy(want + 8, e->prev, WEFT__HASH_LEN);
  put64(next, e->seq);
  memcpy(next + 8, e->hash, WEFT__HASH_LEN);
  weft__buf_t ent;
  weft__buf_init(&ent);
  args_t a = {0};
  add_str(&a, "EVALSHA");
  add_str(&a, "");
  add_u64(&a, sizeof keys / sizeof keys[0]);
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
    add_key(&a, rs, keys[i]);
  add_str(&a, rs->token);
  add(&a, want, HEAD_LEN);
  add(&a, next, HEAD_LEN);
  if (weft__uentry_pack(&ent, e) < 0)
    a.oom = true;
  add(&a, ent.data, ent.len);
  size_t nm = 0;
  bool cyc = e->kind == WEFT__E_CYCLE;
  for (size_t i = 0; cyc && i < e->nmuts; i++)
    nm += e->muts[i].admitted;
  add_u64(&a, nm);
  for (size_t i = 0; cyc && i < e->nmuts; i++) {
    const weft__umut_t *m = &e->muts[i];
    if (!m->admitted)
      continue;
    add_str(&a, m->key);
    add_str(&a, m->del ? "1" : "0");
    add(&a, m->val, m->del ? 0 : m->val_len);
  }
  static const uint8_t zero[WEFT__UNIT_PAGE];
  add_u64(&a, c->mem ? c->ndirty : 0);
  for (size_t i = 0; c->mem && i < c->ndirty; i++) {
    const uint8_t *pg = c->mem + c->dirty[i] * WEFT__UNIT_PAGE;
    bool z = !memcmp(pg, zero, WEFT__UNIT_PAGE);
    add_u64(&a, c->dirty[i]);
    add(&a, c->dirty_hash[i], WEFT__HASH_LEN);
    add(&a, pg, z ? 0 : WEFT__UNIT_PAGE);
  }
  uint8_t mp[4] = {(uint8_t)(c->mem_pages >> 24),
                   (uint8_t)(c->mem_pages >> 16),
                   (uint8_t)(c->mem_pages >> 8), (uint8_t)c->mem_pages};
  add(&a, mp, c->mem ? 4 : 0);
  add_str(&a, c->globals ? "1" : "0");
  add(&a, c->globals, c->globals ? c->globals_len : 0);
  if (c->policy_text)
    add_u64(&a, e->seq);
  else
    add_str(&a, "");
  add_str(&a, c->policy_text ? c->policy_text : "");
  uint8_t *seen = malloc((e->nmsgs ? e->nmsgs : 1) * (WEFT__PK_LEN + 8));
  if (!seen)
    a.oom = true;
  add_u64(&a, e->nmsgs);
  for (size_t i = 0; !a.oom && i < e->nmsgs; i++) {
    uint8_t *m = seen + i * (WEFT__PK_LEN + 8);
    seen_member(e->msgs[i].sender, e->msgs[i].nonce, m);
    add(&a, m, WEFT__PK_LEN + 8);
  }
  add_u64(&a, c->ninbox_done);
  for (size_t i = 0; i < c->ninbox_done; i++)
    add_u64(&a, (uint64_t)c->inbox_done[i]);
  redisReply *r = NULL;
  int rc = script(rs, S_COMMIT, &a, &r, err);
  args_release(&a);
  weft__buf_release(&ent);
  free(seen);
  if (rc < 0)
    return rc;
  if (r->type == REDIS_REPLY_ERROR) {
    /* Refused: another host moved the head or holds the lease. */
    rs->lost = true;
    rc = WEFT_ERR(err, WEFT_EINVAL, "'%s': the cycle was not committed: %s",
                  u->path,
                  strchr(r->str, ' ') ? strchr(r->str, ' ') + 1 : r->str);
  } else {
    memcpy(rs->head, next, HEAD_LEN);
    rs->count = e->seq + 1;
    if (rs->pages) /* the snapshot is behind now */
      freeReplyObject(rs->pages);
    rs->pages = NULL;
    if (c->globals && (c->globals_len != u->globals_len ||
                       (c->globals_len &&
                        memcmp(c->globals, u->globals, c->globals_len)))) {
      uint8_t *g = malloc(c->globals_len ? c->globals_len : 1);
      if (!g) {
        freeReplyObject(r);
        return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
      }
      if (c->globals_len)
        memcpy(g, c->globals, c->globals_len);
      free(u->globals);
      u->globals = g;
      u->globals_len = c->globals_len;
    }
  }
  freeReplyObject(r);
  return rc;
}

/* See unit.h. */
bool weft__unit_lost_race(weft__unitfile_t *u) {
  bool lost = u->redis && u->redis->lost;
  if (u->redis)
    u->redis->lost = false;
  return lost;
}

/* ---- push --------------------------------------------------------------- */

/* Queue the whole of `src` into `a`'s pipeline on rs: the commands of a
 * MULTI block. */
static int queue_unit(weft__uredis_t *rs, weft__unitfile_t *src,
                      uint8_t *mem, size_t *nq, weft_error_t *err) {
  args_t a = {0};
  int rc = 0;
  uint8_t fmt[4], mp[4];
  uint32_t f = WEFT__UNIT_FORMAT;
  for (int i = 0; i < 4; i++) {
    fmt[i] = (uint8_t)(f >> (24 - 8 * i));
    mp[i] = (uint8_t)(src->mem_pages >> (24 - 8 * i));
  }
  add_str(&a, "HSET");
  add_key(&a, rs, "meta");
  add_str(&a, "format");
  add(&a, fmt, 4);
  add_str(&a, "unit_id");
  add(&a, src->unit_id, WEFT__HASH_LEN);
  add_str(&a, "owner");
  add(&a, src->owner, WEFT__PK_LEN);
  add_str(&a, "world");
  add_str(&a, WEFT__UNIT_WORLD);
  add_str(&a, "code_hash");
  add(&a, src->code_hash, WEFT__HASH_LEN);
  add_str(&a, "schema");
  add_str(&a, src->schema_text);
  add_str(&a, "mem_pages");
  add(&a, mp, 4);
  add_str(&a, "globals");
  add(&a, src->globals, src->globals_len);
  append(rs, &a);
  args_release(&a);
  add_str(&a, "SET");
  add_key(&a, rs, "code");
  add(&a, src->code, src->code_len);
  append(rs, &a);
  args_release(&a);
  *nq += 2;
  uint64_t *seqs = NULL;
  size_t np = 0;
  if ((rc = weft__unitfile_policy_seqs(src, &seqs, &np, err)) < 0)
    return rc;
  for (size_t i = 0; rc == 0 && i < np; i++) {
    char *text;
    if ((rc = weft__unitfile_policy_at(src, seqs[i], &text, err)) < 0)
      break;
    add_str(&a, "HSET");
    add_key(&a, rs, "policy");
    add_u64(&a, seqs[i]);
    add_str(&a, text);
    append(rs, &a);
    args_release(&a);
    free(text);
    ++*nq;
  }
  free(seqs);
  for (size_t i = 0; rc == 0 && i < src->state.n; i++) {
    add_str(&a, "HSET");
    add_key(&a, rs, "state");
    add_str(&a, src->state.ents[i].key);
    add(&a, src->state.ents[i].val, src->state.ents[i].len);
    append(rs, &a);
    args_release(&a);
    ++*nq;
  }
  static const uint8_t zero[WEFT__UNIT_PAGE];
  for (size_t i = 0; rc == 0 && i < src->npages; i++) {
    const uint8_t *pg = mem + i * WEFT__UNIT_PAGE;
    if (!memcmp(pg, zero, WEFT__UNIT_PAGE))
      continue;
    add_str(&a, "HSET");
    add_key(&a, rs, "phash");
    add_u64(&a, i);
    add(&a, src->page_hash[i], WEFT__HASH_LEN);
    append(rs, &a);
    args_release(&a);
    add_str(&a, "HSET");
    add_key(&a, rs, "pdata");
    add_u64(&a, i);
    add(&a, pg, WEFT__UNIT_PAGE);
    append(rs, &a);
    args_release(&a);
    *nq += 2;
  }
  uint64_t count = weft__unitfile_count(src);
  weft__uentry_t e = {0};
  for (uint64_t seq = 0; rc == 0 && seq < count; seq++) {
    weft__buf_t b;
    weft__buf_init(&b);
    if ((rc = weft__unitfile_entry(src, seq, &e, err)) < 0)
      break;
    add_str(&a, "RPUSH");
    add_key(&a, rs, "entries");
    if (weft__uentry_pack(&b, &e) < 0)
      a.oom = true;
    add(&a, b.data, b.len);
    append(rs, &a);
    args_release(&a);
    ++*nq;
    for (size_t i = 0; i < e.nmsgs; i++) {
      uint8_t m[WEFT__PK_LEN + 8];
      seen_member(e.msgs[i].sender, e.msgs[i].nonce, m);
      add_str(&a, "SADD");
      add_key(&a, rs, "seen");
      add(&a, m, sizeof m);
      append(rs, &a);
      args_release(&a);
      ++*nq;
    }
    if (seq + 1 == count) {
      uint8_t head[HEAD_LEN];
      put64(head, seq);
      memcpy(head + 8, e.hash, WEFT__HASH_LEN);
      add_str(&a, "SET");
      add_key(&a, rs, "head");
      add(&a, head, HEAD_LEN);
      append(rs, &a);
      args_release(&a);
      ++*nq;
    }
    weft__uentry_release(&e);
    weft__buf_release(&b);
  }
  if (rc == 0 && a.oom)
    rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  args_release(&a);
  return rc;
}

/* See unit.h. */
int weft__uredis_push(weft__unitfile_t *src, const char *url,
                      weft_error_t *err) {
  if (!weft__unit_is_redis(url))
    return WEFT_ERR(err, WEFT_EINVAL, "'%s' is not a redis:// address", url);
  weft__uredis_t rs = {0};
  int rc = parse_url(url, &rs.url, &rs.name, err);
  uint8_t *mem = NULL;
  size_t bytes = (size_t)src->mem_pages * 65536;
  if (rc == 0 && !(mem = malloc(bytes ? bytes : 1)))
    rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  if (rc == 0)
    rc = weft__unitfile_read_memory(src, mem, err);
  if (rc == 0)
    rc = connected(&rs, err);
  redisReply *r = NULL;
  /* WATCH the head: a unit pushed there meanwhile fails the EXEC. */
  if (rc == 0)
    rc = simple(&rs, "WATCH", "head", NULL, NULL, &r, err);
  if (r)
    freeReplyObject(r);
  r = NULL;
  if (rc == 0)
    rc = simple(&rs, "EXISTS", "head", NULL, NULL, &r, err);
  if (rc == 0 && r->integer)
    rc = WEFT_ERR(err, WEFT_EINVAL, "'%s' holds a unit already", url);
  if (r)
    freeReplyObject(r);
  size_t nq = 0;
  if (rc == 0) {
    args_t a = {0};
    add_str(&a, "MULTI");
    append(&rs, &a);
    args_release(&a);
    rc = queue_unit(&rs, src, mem, &nq, err);
    add_str(&a, "EXEC");
    append(&rs, &a);
    args_release(&a);
  }
  /* Read every reply queued (MULTI, the commands, EXEC): EXEC's last. */
  for (size_t i = 0; rs.c && !rs.c->err && rc == 0 && i < nq + 2; i++) {
    if (redisGetReply(rs.c, (void **)&r) != REDIS_OK) {
      rc = io_fail(&rs, "writing the unit", err);
      break;
    }
    if (i == nq + 1 && r->type != REDIS_REPLY_ARRAY)
      rc = r->type == REDIS_REPLY_NIL
               ? WEFT_ERR(err, WEFT_EINVAL,
                          "'%s' was written by someone else meanwhile", url)
               : WEFT_ERR(err, WEFT_EIO, "redis %s: writing the unit "
                          "refused: %s", where(&rs),
                          r->type == REDIS_REPLY_ERROR ? r->str : "?");
    else if (r->type == REDIS_REPLY_ERROR)
      rc = WEFT_ERR(err, WEFT_EIO, "redis %s: writing the unit refused: %s",
                    where(&rs), r->str);
    freeReplyObject(r);
  }
  free(mem);
  if (rs.c)
    redisFree(rs.c);
  weft__redis_url_release(&rs.url);
  free(rs.name);
  return rc;
}

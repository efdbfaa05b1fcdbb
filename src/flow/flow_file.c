/* flow_file.c - reading a flow file (Torvyn.toml's layout, flow.h) into
 * the model: one table of keys per level, each key's value checked and
 * resolved (defaults, paths, config as JSON), node names of edges looked
 * up; then the checks of flow_graph.c. Every problem names file:line, and
 * of all the problems found the one written first is reported. */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "flow/flow.h"
#include "trigger/redis_url.h"

#define MS_NS 1000000ull
#define DAY_MS 86400000ll

/* Where the reader is: the parse, and the flow and node being read. */
typedef struct ctx {
  weft__flow_parse_t *p;
  weft__flow_t *flow;
  weft__flow_node_t *node;
  bool bad;       /* something in the current flow failed */
  char what[160]; /* the table being read: "node 'up' of flow 'main'" */
} ctx_t;

/* How a key's value is read into `obj`; returns 0 or the error code
 * (the problem is kept in c->p). */
typedef int (*read_fn)(ctx_t *c, const weft__toml_kv_t *kv, void *obj);

/* One row of a table's keys; a table of rows ends with a NULL name. */
typedef struct fkey {
  const char *name;
  read_fn read;
  bool required;
} fkey_t;

/* See flow.h. */
int weft__flow_fail(weft__flow_parse_t *p, int code, int line,
                    const char *fmt, ...) {
  char msg[224];
  va_list ap;
  if (p->code && p->line <= line)
    return code;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (line > 0)
    snprintf(p->msg, sizeof p->msg, "%s:%d: %s", p->file->path, line, msg);
  else
    snprintf(p->msg, sizeof p->msg, "%s: %s", p->file->path, msg);
  p->code = code;
  p->line = line;
  return code;
}

/* A problem of the current flow, at `line`. */
#define FAIL(c, line, ...) \
  ((c)->bad = true, weft__flow_fail((c)->p, WEFT_EINVAL, (line), __VA_ARGS__))

/* Out of memory: kept before any other problem. */
static int nomem(ctx_t *c) {
  c->bad = true;
  return weft__flow_fail(c->p, WEFT_ENOMEM, 0, "out of memory");
}

/* True if `s` (len bytes) may name a flow, a node or a port. */
static bool valid_name(const char *s, size_t len) {
  if (!len || len > WEFT__FLOW_MAX_NAME)
    return false;
  for (size_t i = 0; i < len; i++)
    if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
          (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
      return false;
  return true;
}

/* The row of `keys` for `kv`, or NULL. */
static const fkey_t *find_key(const fkey_t *keys, const weft__toml_kv_t *kv) {
  for (; keys->name; keys++)
    if (strlen(keys->name) == kv->key_len &&
        !memcmp(keys->name, kv->key, kv->key_len))
      return keys;
  return NULL;
}

/* Read `table` (c->what names it) into `obj` by `keys`: a missing
 * required key (at the table's line), then each key in file order, an
 * unknown one being a problem. Every key is read even after a problem,
 * so the first one written is found. Returns 0 or an error code. */
static int read_table(ctx_t *c, const weft__toml_t *table, const fkey_t *keys,
                      void *obj) {
  char shown[96];
  int rc = 0;
  for (const fkey_t *k = keys; k->name; k++)
    if (k->required && !weft__toml_get(table, k->name))
      rc = FAIL(c, table->line, "missing key '%s' in %s", k->name, c->what);
  for (size_t i = 0; i < weft__toml_table_len(table); i++) {
    const weft__toml_kv_t *kv = weft__toml_table_at(table, i);
    const fkey_t *k = find_key(keys, kv);
    int r;
    if (!k)
      r = FAIL(c, kv->line, "unknown key '%s' in %s",
               weft__str_show(kv->key, kv->key_len, shown, sizeof shown), c->what);
    else
      r = k->read(c, kv, obj);
    if (r && !rc)
      rc = r;
  }
  return rc;
}

/* ---- values ------------------------------------------------------------- */

/* A string without NUL bytes. */
static int get_string(ctx_t *c, const weft__toml_kv_t *kv, const char **out) {
  const weft__toml_t *v = kv->value;
  if (v->type != WEFT__TOML_STRING)
    return FAIL(c, kv->line, "'%s' must be a string", kv->key);
  if (memchr(v->u.string.ptr, 0, v->u.string.len))
    return FAIL(c, kv->line, "'%s' must not contain NUL", kv->key);
  *out = v->u.string.ptr;
  return 0;
}

/* An integer from `min` to `max`. */
static int get_int(ctx_t *c, const weft__toml_kv_t *kv, int64_t min,
                   int64_t max, int64_t *out) {
  const weft__toml_t *v = kv->value;
  if (v->type != WEFT__TOML_INTEGER || v->u.integer < min ||
      v->u.integer > max)
    return FAIL(c, kv->line, "'%s' must be an integer from %lld to %lld",
                kv->key, (long long)min, (long long)max);
  *out = v->u.integer;
  return 0;
}

/* A name of a flow, node or port in string `v` (what: the key). */
static int get_name(ctx_t *c, const weft__toml_t *v, const char *what,
                    int line, const char **out) {
  char shown[96];
  if (v->type != WEFT__TOML_STRING)
    return FAIL(c, line, "'%s' must be a string", what);
  if (!valid_name(v->u.string.ptr, v->u.string.len))
    return FAIL(c, line,
                "invalid %s '%s': use 1 to %d letters, digits, '-' and '_'",
                what, weft__str_show(v->u.string.ptr, v->u.string.len, shown,
                           sizeof shown),
                WEFT__FLOW_MAX_NAME);
  *out = v->u.string.ptr;
  return 0;
}

/* `rel` resolved against the flow file's directory (in the arena), or
 * NULL when out of memory. */
static const char *join(ctx_t *c, const char *rel) {
  weft__flow_file_t *f = c->p->file;
  size_t dl = strlen(f->dir), rl = strlen(rel);
  char *s;
  if (rel[0] == '/' || !strcmp(f->dir, "."))
    return rel;
  while (dl > 1 && f->dir[dl - 1] == '/')
    dl--;
  if (!(s = weft__arena_alloc(&f->arena, dl + rl + 2)))
    return NULL;
  memcpy(s, f->dir, dl);
  s[dl] = '/';
  memcpy(s + dl + 1, rel, rl + 1);
  return s;
}

/* A path written as a path or a file:// URL (key `kv`), resolved. */
static int get_path(ctx_t *c, const weft__toml_kv_t *kv, const char **out) {
  const char *s, *scheme;
  char shown[96];
  int rc;
  if ((rc = get_string(c, kv, &s)))
    return rc;
  if (!*s)
    return FAIL(c, kv->line, "'%s' is empty", kv->key);
  if (!strncmp(s, "file://", 7)) {
    /* file:///abs, file://localhost/abs, or file://rel (relative to the
     * flow file, as a path would be); %XX escapes decoded. */
    const char *u = s + 7;
    size_t len;
    char *d;
    if (!strncmp(u, "localhost/", 10))
      u += 9;
    len = strlen(u);
    if (!len)
      return FAIL(c, kv->line, "'%s' is an empty file:// URL", kv->key);
    if (!(d = weft__arena_alloc(&c->p->file->arena, len + 1)))
      return nomem(c);
    if (weft__percent_decode(u, len, d) < 0)
      return FAIL(c, kv->line, "'%s' has a bad escape in '%s'", kv->key,
                  weft__str_show(s, strlen(s), shown, sizeof shown));
    s = d;
  } else if ((scheme = strstr(s, "://")) && scheme > s &&
             !memchr(s, '/', (size_t)(scheme - s))) {
    return FAIL(c, kv->line,
                "'%s' must be a local path or a file:// URL, not '%s': "
                "weft does not download components",
                kv->key, weft__str_show(s, strlen(s), shown, sizeof shown));
  }
  if (!(*out = join(c, s)))
    return nomem(c);
  return 0;
}

/* ---- config: a string, or a table passed as JSON ------------------------ */

/* `v` as JSON (new reference), or NULL with the problem kept. */
static json_t *to_json(ctx_t *c, const weft__toml_t *v, int line) {
  json_t *j = NULL;
  switch (v->type) {
  case WEFT__TOML_STRING:
    j = json_stringn(v->u.string.ptr, v->u.string.len);
    break;
  case WEFT__TOML_INTEGER:
    j = json_integer((json_int_t)v->u.integer);
    break;
  case WEFT__TOML_FLOAT:
    if (!isfinite(v->u.flt)) {
      FAIL(c, v->line ? v->line : line,
           "'config' holds %s, which JSON cannot carry",
           isnan(v->u.flt) ? "nan" : "an infinity");
      return NULL;
    }
    j = json_real(v->u.flt);
    break;
  case WEFT__TOML_BOOL:
    j = json_boolean(v->u.boolean);
    break;
  case WEFT__TOML_DATETIME:
  case WEFT__TOML_LOCAL_DATETIME:
  case WEFT__TOML_LOCAL_DATE:
  case WEFT__TOML_LOCAL_TIME:
    j = json_string(v->u.datetime.text);
    break;
  case WEFT__TOML_ARRAY:
    if (!(j = json_array()))
      break;
    for (size_t i = 0; i < weft__toml_array_len(v); i++) {
      json_t *e = to_json(c, weft__toml_array_at(v, i), line);
      if (!e || json_array_append_new(j, e)) {
        json_decref(j);
        if (e)
          nomem(c); /* the append failed (and freed e) */
        return NULL;
      }
    }
    return j;
  case WEFT__TOML_TABLE:
    if (!(j = json_object()))
      break;
    for (size_t i = 0; i < weft__toml_table_len(v); i++) {
      const weft__toml_kv_t *kv = weft__toml_table_at(v, i);
      json_t *e = to_json(c, kv->value, kv->line);
      if (!e || json_object_setn_new(j, kv->key, kv->key_len, e)) {
        json_decref(j);
        if (e)
          nomem(c); /* the set failed (and freed e) */
        return NULL;
      }
    }
    return j;
  }
  if (!j)
    nomem(c);
  return j;
}

/* config: a string passed as is, or a table passed as JSON text (keys in
 * file order). */
static int read_config(ctx_t *c, const weft__toml_kv_t *kv, void *obj) {
  weft__flow_node_t *n = obj;
  const weft__toml_t *v = kv->value;
  json_t *j;
  char *text;
  if (v->type == WEFT__TOML_STRING)
    return get_string(c, kv, &n->config);
  if (v->type != WEFT__TOML_TABLE)
    return FAIL(c, kv->line, "'config' must be a string or a table");
  if (!(j = to_json(c, v, kv->line)))
    return c->p->code;
  text = json_dumps(j, JSON_COMPACT);
  json_decref(j);
  if (!text)
    return nomem(c);
  n->config = weft__arena_strndup(&c->p->file->arena, text, strlen(text));
  free(text);
  return n->config ? 0 : nomem(c);
}

/* ---- nodes -------------------------------------------------------------- */

static int read_component(ctx_t *c, const weft__toml_kv_t *kv, void *obj) {
  weft__flow_node_t *n = obj;
  n->component_loc = (weft__flow_loc_t){c->p->file->path, kv->line};
  return get_path(c, kv, &n->component);
}

static int read_interface(ctx_t *c, const weft__toml_kv_t *kv, void *obj) {
  weft__flow_node_t *n = obj;
  char shown[96];
  bool bad_version;
  int rc;
  if ((rc = get_string(c, kv, &n->interface)))
    return rc;
  n->role = weft__flow_role_parse(n->interface, strlen(n->interface),
                                  &bad_version);
  weft__str_show(n->interface, strlen(n->interface), shown, sizeof shown);
  if (bad_version)
    return FAIL(c, kv->line,
                "unsupported version of interface '%s': weft has 0.1.0",
                shown);
  if (!n->role)
    return FAIL(c, kv->line,
                "unknown interface '%s': use torvyn:streaming/source, "
                "processor or sink, torvyn:filtering/filter or router, or "
                "torvyn:aggregation/aggregator",
                shown);
  return 0;
}

static int read_deadline(ctx_t *c, const weft__toml_kv_t *kv, void *obj) {
  weft__flow_node_t *n = obj;
  int64_t ms = 0;
  int rc = get_int(c, kv, 1, DAY_MS, &ms);
  n->deadline_ns = rc ? 0 : (uint64_t)ms * MS_NS;
  return rc;
}

/* max_memory: bytes as an integer or a size string ("16MiB"), from 64 KiB
 * (one page) to 4 GiB. */
static int read_max_memory(ctx_t *c, const weft__toml_kv_t *kv, void *obj) {
  static const uint64_t lo = 64u << 10, hi = 4ull << 30;
  weft__flow_node_t *n = obj;
  const weft__toml_t *v = kv->value;
  uint64_t bytes = 0;
  bool ok = false;
  if (v->type == WEFT__TOML_INTEGER) {
    ok = v->u.integer >= 0;
    bytes = (uint64_t)v->u.integer;
  } else if (v->type == WEFT__TOML_STRING) {
    /* Digits and a unit; at most 10 digits, so no product overflows. */
    const char *s = v->u.string.ptr;
    size_t d = strspn(s, "0123456789");
    ok = d > 0 && d <= 10 && strlen(s) == v->u.string.len &&
         weft__parse_size(s, &bytes) == 0;
  }
  if (!ok || bytes < lo || bytes > hi)
    return FAIL(c, kv->line,
                "'max_memory' must be a size from 64KiB to 4GiB, such as "
                "\"16MiB\", or an integer of bytes");
  n->max_memory = bytes;
  return 0;
}

static int read_priority(ctx_t *c, const weft__toml_kv_t *kv, void *obj) {
  weft__flow_node_t *n = obj;
  return get_int(c, kv, INT64_MIN, INT64_MAX, &n->priority);
}

/* ports: the router's port names, at least one, each once. */
static int read_ports(ctx_t *c, const weft__toml_kv_t *kv, void *obj) {
  weft__flow_node_t *n = obj;
  const weft__toml_t *v = kv->value;
  size_t len = weft__toml_array_len(v);
  n->ports_loc = (weft__flow_loc_t){c->p->file->path, kv->line};
  if (v->type != WEFT__TOML_ARRAY || !len)
    return FAIL(c, kv->line, "'ports' must be an array of port names");
  if (!(n->ports = weft__arena_calloc(&c->p->file->arena, len,
                                      sizeof *n->ports)))
    return nomem(c);
  for (size_t i = 0; i < len; i++) {
    const weft__toml_t *e = weft__toml_array_at(v, i);
    int line = e->line ? e->line : kv->line, rc;
    if ((rc = get_name(c, e, "port", line, &n->ports[i])))
      return rc;
    for (size_t j = 0; j < i; j++)
      if (!strcmp(n->ports[j], n->ports[i]))
        return FAIL(c, line, "port '%s' is twice in 'ports'", n->ports[i]);
    n->nports = i + 1;
  }
  return 0;
}

/* window = { count = N, ms = T }: at least one of them. */
static int read_window_count(ctx_t *c, const weft__toml_kv_t *kv, void *obj) {
  weft__flow_window_t *w = obj;
  int64_t v = 0;
  int rc = get_int(c, kv, 1, 1000000000, &v);
  w->count = rc ? 0 : (uint64_t)v;
  return rc;
}

static int read_window_ms(ctx_t *c, const weft__toml_kv_t *kv, void *obj) {
  weft__flow_window_t *w = obj;
  int64_t v = 0;
  int rc = get_int(c, kv, 1, DAY_MS, &v);
  w->ns = rc ? 0 : (uint64_t)v * MS_NS;
  return rc;
}

static const fkey_t window_keys[] = {{"count", read_window_count, false},
                                     {"ms", read_window_ms, false},
                                     {NULL, NULL, false}};

static int read_window(ctx_t *c, const weft__toml_kv_t *kv, void *obj) {
  weft__flow_node_t *n = obj;
  char saved[sizeof c->what];
  int rc;
  n->window_loc = (weft__flow_loc_t){c->p->file->path, kv->line};
  if (kv->value->type != WEFT__TOML_TABLE)
    return FAIL(c, kv->line, "'window' must be a table: { count = N, ms = T }");
  memcpy(saved, c->what, sizeof saved);
  snprintf(c->what, sizeof c->what, "'window' of node '%s'", n->name);
  rc = read_table(c, kv->value, window_keys, &n->window);
  memcpy(c->what, saved, sizeof saved);
  if (!rc && !n->window.count && !n->window.ns)
    return FAIL(c, kv->line, "'window' needs 'count', 'ms' or both");
  return rc;
}

/* ---- error_policy ------------------------------------------------------- */

static const char *const error_kinds[] = {
    [WEFT__FLOW_FAIL_FAST] = "fail-fast", [WEFT__FLOW_RETRY] = "retry",
    [WEFT__FLOW_SKIP] = "skip", [WEFT__FLOW_DEAD_LETTER] = "dead-letter",
    [WEFT__FLOW_CIRCUIT_BREAKER] = "circuit-breaker"};

/* See flow.h. */
const char *weft__flow_error_kind_name(weft__flow_error_kind_t kind) {
  return (unsigned)kind < sizeof error_kinds / sizeof error_kinds[0]
             ? error_kinds[kind]
             : "?";
}

/* The policy named by string `v` into *kind. */
static int error_kind(ctx_t *c, const weft__toml_t *v, int line,
                      weft__flow_error_kind_t *kind) {
  char shown[96];
  if (v->type != WEFT__TOML_STRING)
    return FAIL(c, line, "'policy' must be a string");
  for (size_t k = 0; k < sizeof error_kinds / sizeof error_kinds[0]; k++)
    if (strlen(error_kinds[k]) == v->u.string.len &&
        !memcmp(error_kinds[k], v->u.string.ptr, v->u.string.len)) {
      *kind = (weft__flow_error_kind_t)k;
      return 0;
    }
  return FAIL(c, line,
              "unknown error policy '%s': use fail-fast, retry, skip, "
              "dead-letter or circuit-breaker",
              weft__str_show(v->u.string.ptr, v->u.string.len, shown, sizeof shown));
}

/* The settings of the inline table form; each is read only for its
 * policy (the row's `required` field is not used here). */
static int ep_policy(ctx_t *c, const weft__toml_kv_t *kv, void *obj) {
  (void)c, (void)kv, (void)obj; /* read first, by read_error_policy */
  return 0;
}

static int ep_max(ctx_t *c, const weft__toml_kv_t *kv, void *obj) {
  weft__flow_error_policy_t *ep = obj;
  int64_t v = 0;
  int rc = get_int(c, kv, 1, 1000, &v);
  ep->max = rc ? ep->max : (uint32_t)v;
  return rc;
}

static int ep_backoff(ctx_t *c, const weft__toml_kv_t *kv, void *obj) {
  weft__flow_error_policy_t *ep = obj;
  int64_t v = 0;
  int rc = get_int(c, kv, 0, 3600000, &v);
  ep->backoff_ns = rc ? ep->backoff_ns : (uint64_t)v * MS_NS;
  return rc;
}

static int ep_port(ctx_t *c, const weft__toml_kv_t *kv, void *obj) {
  weft__flow_error_policy_t *ep = obj;
  int rc = get_name(c, kv->value, "port", kv->line, &ep->port);
  if (!rc && (!strcmp(ep->port, "output") || !strcmp(ep->port, "input")))
    return FAIL(c, kv->line,
                "a dead-letter port may not be named '%s': name it for "
                "its errors, such as \"dlq\"",
                ep->port);
  return rc;
}

static int ep_file(ctx_t *c, const weft__toml_kv_t *kv, void *obj) {
  weft__flow_error_policy_t *ep = obj;
  return get_path(c, kv, &ep->file);
}

static int ep_threshold(ctx_t *c, const weft__toml_kv_t *kv, void *obj) {
  weft__flow_error_policy_t *ep = obj;
  int64_t v = 0;
  int rc = get_int(c, kv, 1, 1000000, &v);
  ep->threshold = rc ? ep->threshold : (uint32_t)v;
  return rc;
}

static int ep_reset(ctx_t *c, const weft__toml_kv_t *kv, void *obj) {
  weft__flow_error_policy_t *ep = obj;
  int64_t v = 0;
  int rc = get_int(c, kv, 1, DAY_MS, &v);
  ep->reset_ns = rc ? ep->reset_ns : (uint64_t)v * MS_NS;
  return rc;
}

static const fkey_t ep_keys[] = {
    {"policy", ep_policy, true},         {"max", ep_max, false},
    {"backoff_ms", ep_backoff, false},   {"port", ep_port, false},
    {"file", ep_file, false},            {"threshold", ep_threshold, false},
    {"reset_ms", ep_reset, false},       {NULL, NULL, false}};

/* The policy each setting belongs to. */
static const weft__flow_error_kind_t ep_owner[] = {
    WEFT__FLOW_FAIL_FAST,       WEFT__FLOW_RETRY,
    WEFT__FLOW_RETRY,           WEFT__FLOW_DEAD_LETTER,
    WEFT__FLOW_DEAD_LETTER,     WEFT__FLOW_CIRCUIT_BREAKER,
    WEFT__FLOW_CIRCUIT_BREAKER};

/* error_policy: "fail-fast", "skip", "retry", "circuit-breaker" (with
 * their defaults), or an inline table with `policy` and its settings. */
static int read_error_policy(ctx_t *c, const weft__toml_kv_t *kv, void *obj) {
  weft__flow_node_t *n = obj;
  weft__flow_error_policy_t *ep = &n->error_policy;
  const weft__toml_t *v = kv->value;
  const weft__toml_kv_t *pk;
  char saved[sizeof c->what];
  int rc = 0;
  ep->loc = (weft__flow_loc_t){c->p->file->path, kv->line};
  if (v->type == WEFT__TOML_STRING) {
    if ((rc = error_kind(c, v, kv->line, &ep->kind)))
      return rc;
    if (ep->kind == WEFT__FLOW_DEAD_LETTER)
      return FAIL(c, kv->line,
                  "'dead-letter' needs a port or a file: error_policy = { "
                  "policy = \"dead-letter\", port = \"dlq\" }");
    return 0;
  }
  if (v->type != WEFT__TOML_TABLE)
    return FAIL(c, kv->line, "'error_policy' must be a string or a table");
  memcpy(saved, c->what, sizeof saved);
  snprintf(c->what, sizeof c->what, "'error_policy' of node '%s'", n->name);
  if ((pk = weft__toml_get_kv(v, "policy")) &&
      (rc = error_kind(c, pk->value, pk->line, &ep->kind)))
    goto out;
  /* A setting of another policy is a mistake, not an unknown key. */
  for (size_t i = 0; pk && i < weft__toml_table_len(v); i++) {
    const weft__toml_kv_t *e = weft__toml_table_at(v, i);
    const fkey_t *k = find_key(ep_keys, e);
    if (k && k != ep_keys && ep_owner[k - ep_keys] != ep->kind)
      rc = FAIL(c, e->line, "'%s' is not a setting of error policy '%s'",
                k->name, error_kinds[ep->kind]);
  }
  if (read_table(c, v, ep_keys, ep) && !rc)
    rc = c->p->code;
  if (!rc && ep->kind == WEFT__FLOW_DEAD_LETTER) {
    if (ep->port && ep->file)
      rc = FAIL(c, kv->line, "'dead-letter' takes a port or a file, not both");
    else if (!ep->port && !ep->file)
      rc = FAIL(c, kv->line, "'dead-letter' needs 'port' or 'file'");
  }
out:
  memcpy(c->what, saved, sizeof saved);
  return rc;
}

static const fkey_t node_keys[] = {
    {"component", read_component, true},
    {"interface", read_interface, true},
    {"config", read_config, false},
    {"deadline_ms", read_deadline, false},
    {"max_memory", read_max_memory, false},
    {"priority", read_priority, false},
    {"error_policy", read_error_policy, false},
    {"ports", read_ports, false},
    {"window", read_window, false},
    {NULL, NULL, false}};

/* Read node `n` (its name set) from `t`, then what depends on its role. */
static void read_node(ctx_t *c, weft__flow_node_t *n, const weft__toml_t *t) {
  weft__flow_error_policy_t *ep = &n->error_policy;
  n->config = "";
  n->loc = (weft__flow_loc_t){c->p->file->path, t->line};
  ep->max = 3;
  ep->backoff_ns = 10 * MS_NS;
  ep->threshold = 5;
  ep->reset_ns = 1000 * MS_NS;
  snprintf(c->what, sizeof c->what, "node '%s' of flow '%s'", n->name,
           c->flow->name);
  if (read_table(c, t, node_keys, n) || !n->role)
    return;
  if (n->ports_loc.line && n->role != WEFT__FLOW_ROUTER)
    FAIL(c, n->ports_loc.line,
         "'ports' is only for routers: node '%s' is a %s", n->name,
         weft__flow_role_name(n->role));
  if (n->window_loc.line && n->role != WEFT__FLOW_AGGREGATOR)
    FAIL(c, n->window_loc.line,
         "'window' is only for aggregators: node '%s' is a %s", n->name,
         weft__flow_role_name(n->role));
  if (n->role == WEFT__FLOW_ROUTER && !n->ports_loc.line)
    FAIL(c, n->loc.line,
         "missing key 'ports' in node '%s' of flow '%s': a router names "
         "its ports",
         n->name, c->flow->name);
  for (size_t i = 0; ep->port && i < n->nports; i++)
    if (!strcmp(n->ports[i], ep->port))
      FAIL(c, ep->loc.line,
           "dead-letter port '%s' of router '%s' is also in its 'ports'",
           ep->port, n->name);
}

/* ---- edges -------------------------------------------------------------- */

static const char *const bp_names[] = {
    [WEFT__FLOW_BP_BLOCK] = "block",
    [WEFT__FLOW_BP_DROP_OLDEST] = "drop-oldest",
    [WEFT__FLOW_BP_DROP_NEWEST] = "drop-newest",
    [WEFT__FLOW_BP_ERROR] = "error"};

/* See flow.h. */
const char *weft__flow_backpressure_name(weft__flow_backpressure_t bp) {
  return (unsigned)bp < sizeof bp_names / sizeof bp_names[0] ? bp_names[bp]
                                                             : "?";
}

/* backpressure = "block" | "drop-oldest" | "drop-newest" | "error". */
static int get_backpressure(ctx_t *c, const weft__toml_kv_t *kv,
                            weft__flow_backpressure_t *out) {
  const weft__toml_t *v = kv->value;
  char shown[96];
  if (v->type != WEFT__TOML_STRING)
    return FAIL(c, kv->line, "'backpressure' must be a string");
  for (size_t k = 0; k < sizeof bp_names / sizeof bp_names[0]; k++)
    if (strlen(bp_names[k]) == v->u.string.len &&
        !memcmp(bp_names[k], v->u.string.ptr, v->u.string.len)) {
      *out = (weft__flow_backpressure_t)k;
      return 0;
    }
  return FAIL(c, kv->line,
              "unknown backpressure '%s': use block, drop-oldest, "
              "drop-newest or error",
              weft__str_show(v->u.string.ptr, v->u.string.len, shown, sizeof shown));
}

/* An edge while it is read: what is written, resolved afterwards. */
typedef struct raw_edge {
  weft__flow_edge_t *e;
  bool has_depth, has_bp;
  int redis_line; /* the first key only a remote edge may have; 0: none */
  const char *redis_key;
} raw_edge_t;

/* One end while it is read: the end, and which one it is. */
typedef struct end_read {
  weft__flow_end_t *end;
  bool to;
} end_read_t;

/* node = "N": a node of the flow. */
static int end_node(ctx_t *c, const weft__toml_kv_t *kv, void *obj) {
  end_read_t *r = obj;
  const char *name;
  long i;
  int rc;
  if ((rc = get_name(c, kv->value, "node", kv->line, &name)))
    return rc;
  if ((i = weft__flow_node_index(c->flow, name)) < 0)
    return FAIL(c, r->end->loc.line, "edge %s missing node '%s' in flow '%s'",
                r->to ? "to" : "from", name, c->flow->name);
  r->end->node = (size_t)i;
  return 0;
}

/* port = "P" (checked against the node by weft__flow_graph_edges). */
static int end_port(ctx_t *c, const weft__toml_kv_t *kv, void *obj) {
  end_read_t *r = obj;
  return get_name(c, kv->value, "port", kv->line, &r->end->port);
}

static const fkey_t end_keys[] = {{"node", end_node, true},
                                  {"port", end_port, false},
                                  {NULL, NULL, false}};

/* from = { node, port } or to = { node, port }. */
static int read_end(ctx_t *c, const weft__toml_kv_t *kv,
                    weft__flow_end_t *end, bool to) {
  const char *which = to ? "to" : "from";
  end_read_t r = {end, to};
  char saved[sizeof c->what];
  int rc;
  end->loc = (weft__flow_loc_t){c->p->file->path, kv->line};
  if (kv->value->type != WEFT__TOML_TABLE)
    return FAIL(c, kv->line, "'%s' must be a table: { node = \"N\" }",
                which);
  memcpy(saved, c->what, sizeof saved);
  snprintf(c->what, sizeof c->what, "'%s' of an edge of flow '%s'", which,
           c->flow->name);
  rc = read_table(c, kv->value, end_keys, &r);
  memcpy(c->what, saved, sizeof saved);
  return rc;
}

static int edge_from(ctx_t *c, const weft__toml_kv_t *kv, void *obj) {
  raw_edge_t *r = obj;
  return read_end(c, kv, &r->e->from, false);
}

static int edge_to(ctx_t *c, const weft__toml_kv_t *kv, void *obj) {
  raw_edge_t *r = obj;
  return read_end(c, kv, &r->e->to, true);
}

static int edge_depth(ctx_t *c, const weft__toml_kv_t *kv, void *obj) {
  raw_edge_t *r = obj;
  int64_t v = 0;
  int rc = get_int(c, kv, 1, WEFT__FLOW_MAX_QUEUE_DEPTH, &v);
  r->e->queue_depth = rc ? 0 : (uint32_t)v;
  r->has_depth = true;
  return rc;
}

static int edge_bp(ctx_t *c, const weft__toml_kv_t *kv, void *obj) {
  raw_edge_t *r = obj;
  r->has_bp = true;
  return get_backpressure(c, kv, &r->e->backpressure);
}

/* A Redis address, checked as the Redis trigger checks it. */
static int get_redis_url(ctx_t *c, const weft__toml_kv_t *kv,
                         const char **out) {
  weft__redis_url_t u;
  weft_error_t e = {0};
  int rc = get_string(c, kv, out);
  if (rc)
    return rc;
  if (weft__redis_url_parse(*out, &u, &e) < 0)
    return FAIL(c, kv->line, "'%s': %s", kv->key, e.msg);
  weft__redis_url_release(&u);
  return 0;
}

/* Remember the first key that needs transport = "redis". */
static void redis_only(raw_edge_t *r, const weft__toml_kv_t *kv) {
  if (!r->redis_line || kv->line < r->redis_line) {
    r->redis_line = kv->line;
    r->redis_key = kv->key;
  }
}

/* transport = "local" | "redis". */
static int edge_transport(ctx_t *c, const weft__toml_kv_t *kv, void *obj) {
  raw_edge_t *r = obj;
  const weft__toml_t *v = kv->value;
  char shown[96];
  if (v->type != WEFT__TOML_STRING)
    return FAIL(c, kv->line, "'transport' must be a string");
  if (v->u.string.len == 5 && !memcmp(v->u.string.ptr, "local", 5))
    return 0;
  if (v->u.string.len == 5 && !memcmp(v->u.string.ptr, "redis", 5)) {
    r->e->remote = true;
    return 0;
  }
  return FAIL(c, kv->line, "unknown transport '%s': use local or redis",
              weft__str_show(v->u.string.ptr, v->u.string.len, shown,
                             sizeof shown));
}

/* A string of 1 to 256 bytes without NUL (stream keys, group names). */
static int get_redis_name(ctx_t *c, const weft__toml_kv_t *kv,
                          const char **out) {
  int rc = get_string(c, kv, out);
  if (!rc && (!kv->value->u.string.len || kv->value->u.string.len > 256))
    rc = FAIL(c, kv->line, "'%s' must be 1 to 256 bytes", kv->key);
  return rc;
}

static int edge_stream(ctx_t *c, const weft__toml_kv_t *kv, void *obj) {
  redis_only(obj, kv);
  return get_redis_name(c, kv, &((raw_edge_t *)obj)->e->stream);
}

static int edge_group(ctx_t *c, const weft__toml_kv_t *kv, void *obj) {
  redis_only(obj, kv);
  return get_redis_name(c, kv, &((raw_edge_t *)obj)->e->group);
}

static int edge_url(ctx_t *c, const weft__toml_kv_t *kv, void *obj) {
  redis_only(obj, kv);
  return get_redis_url(c, kv, &((raw_edge_t *)obj)->e->url);
}

static int edge_max_len(ctx_t *c, const weft__toml_kv_t *kv, void *obj) {
  raw_edge_t *r = obj;
  int64_t v = 0;
  redis_only(r, kv);
  int rc = get_int(c, kv, 16, 100000000, &v);
  r->e->max_len = (uint64_t)v;
  return rc;
}

static int edge_claim_idle(ctx_t *c, const weft__toml_kv_t *kv, void *obj) {
  raw_edge_t *r = obj;
  int64_t v = 0;
  redis_only(r, kv);
  int rc = get_int(c, kv, 1, DAY_MS, &v);
  r->e->claim_idle_ns = (uint64_t)v * MS_NS;
  return rc;
}

static const fkey_t edge_keys[] = {{"from", edge_from, true},
                                   {"to", edge_to, true},
                                   {"queue_depth", edge_depth, false},
                                   {"backpressure", edge_bp, false},
                                   {"transport", edge_transport, false},
                                   {"stream", edge_stream, false},
                                   {"group", edge_group, false},
                                   {"url", edge_url, false},
                                   {"max_len", edge_max_len, false},
                                   {"claim_idle_ms", edge_claim_idle, false},
                                   {NULL, NULL, false}};

/* ---- flows -------------------------------------------------------------- */

/* The tables of a flow read after its own keys. */
typedef struct flow_parts {
  weft__flow_t *f;
  const weft__toml_kv_t *nodes, *edges;
} flow_parts_t;

static int flow_description(ctx_t *c, const weft__toml_kv_t *kv, void *obj) {
  flow_parts_t *fp = obj;
  return get_string(c, kv, &fp->f->description);
}

static int flow_depth(ctx_t *c, const weft__toml_kv_t *kv, void *obj) {
  flow_parts_t *fp = obj;
  int64_t v = 0;
  int rc = get_int(c, kv, 1, WEFT__FLOW_MAX_QUEUE_DEPTH, &v);
  if (!rc)
    fp->f->default_queue_depth = (uint32_t)v;
  return rc;
}

static int flow_bp(ctx_t *c, const weft__toml_kv_t *kv, void *obj) {
  flow_parts_t *fp = obj;
  return get_backpressure(c, kv, &fp->f->backpressure);
}

static int flow_nodes(ctx_t *c, const weft__toml_kv_t *kv, void *obj) {
  flow_parts_t *fp = obj;
  if (kv->value->type != WEFT__TOML_TABLE)
    return FAIL(c, kv->line,
                "'nodes' must be a table: [flow.%s.nodes.NAME]", fp->f->name);
  fp->nodes = kv;
  return 0;
}

static int flow_edges(ctx_t *c, const weft__toml_kv_t *kv, void *obj) {
  flow_parts_t *fp = obj;
  if (kv->value->type != WEFT__TOML_ARRAY)
    return FAIL(c, kv->line,
                "'edges' must be an array of tables: [[flow.%s.edges]]",
                fp->f->name);
  fp->edges = kv;
  return 0;
}

static int flow_redis(ctx_t *c, const weft__toml_kv_t *kv, void *obj) {
  flow_parts_t *fp = obj;
  return get_redis_url(c, kv, &fp->f->redis);
}

static const fkey_t flow_keys[] = {
    {"description", flow_description, false},
    {"redis", flow_redis, false},
    {"default_queue_depth", flow_depth, false},
    {"backpressure", flow_bp, false},
    {"nodes", flow_nodes, true},
    {"edges", flow_edges, false},
    {NULL, NULL, false}};

/* Read the nodes of `fp` (each node's problems do not stop the others). */
static int read_nodes(ctx_t *c, flow_parts_t *fp) {
  weft__flow_t *f = fp->f;
  const weft__toml_t *t = fp->nodes->value;
  size_t n = weft__toml_table_len(t);
  char shown[96];
  if (!n)
    return FAIL(c, fp->nodes->line, "flow '%s' has no nodes", f->name);
  if (!(f->nodes = weft__arena_calloc(&c->p->file->arena, n,
                                      sizeof *f->nodes)))
    return nomem(c);
  /* Names first: edges and messages need them all. */
  for (size_t i = 0; i < n; i++) {
    const weft__toml_kv_t *kv = weft__toml_table_at(t, i);
    f->nodes[i].name = kv->key;
    f->nodes[i].flow = f->name;
    if (!valid_name(kv->key, kv->key_len))
      FAIL(c, kv->line,
           "invalid node name '%s': use 1 to %d letters, digits, '-' and "
           "'_'",
           weft__str_show(kv->key, kv->key_len, shown, sizeof shown),
           WEFT__FLOW_MAX_NAME);
  }
  f->nnodes = n;
  if (c->bad)
    return c->p->code;
  for (size_t i = 0; i < n; i++) {
    const weft__toml_kv_t *kv = weft__toml_table_at(t, i);
    if (kv->value->type != WEFT__TOML_TABLE)
      FAIL(c, kv->line, "node '%s' of flow '%s' must be a table", kv->key,
           f->name);
    else
      read_node(c, &f->nodes[i], kv->value);
  }
  return 0;
}

/* Read the edges of `fp`, resolving their ends and queue settings. */
static int read_edges(ctx_t *c, flow_parts_t *fp) {
  weft__flow_t *f = fp->f;
  const weft__toml_t *a = fp->edges ? fp->edges->value : NULL;
  size_t n = weft__toml_array_len(a);
  if (!n)
    return 0;
  if (!(f->edges = weft__arena_calloc(&c->p->file->arena, n,
                                      sizeof *f->edges)))
    return nomem(c);
  f->nedges = n;
  for (size_t i = 0; i < n; i++) {
    const weft__toml_t *t = weft__toml_array_at(a, i);
    weft__flow_edge_t *e = &f->edges[i];
    raw_edge_t r = {e, false, false, 0, NULL};
    int line = t->line ? t->line : fp->edges->line;
    e->loc = (weft__flow_loc_t){c->p->file->path, line};
    e->from.port = e->to.port = "";
    if (t->type != WEFT__TOML_TABLE) {
      FAIL(c, line, "edge %zu of flow '%s' must be a table", i + 1, f->name);
      continue;
    }
    snprintf(c->what, sizeof c->what, "an edge of flow '%s'", f->name);
    read_table(c, t, edge_keys, &r);
    if (!r.has_depth)
      e->queue_depth = f->default_queue_depth;
    if (!r.has_bp)
      e->backpressure = f->backpressure;
    if (!e->remote && r.redis_line)
      FAIL(c, r.redis_line, "'%s' is for an edge with transport = \"redis\"",
           r.redis_key);
    if (e->remote && !e->stream)
      FAIL(c, line, "missing key 'stream' in a remote edge of flow '%s'",
           f->name);
    if (e->remote && !e->group)
      FAIL(c, line, "missing key 'group' in a remote edge of flow '%s'",
           f->name);
    if (e->remote && !e->url)
      e->url = f->redis ? f->redis : WEFT__FLOW_REDIS_URL;
    if (e->remote && !e->max_len)
      e->max_len = WEFT__FLOW_REDIS_MAX_LEN;
    if (e->remote && !e->claim_idle_ns)
      e->claim_idle_ns = WEFT__FLOW_REDIS_CLAIM_IDLE_MS * MS_NS;
  }
  return 0;
}

/* Read flow `f` (name set) from `t`, then check its edges and graph if
 * nothing in it failed. */
static void read_flow(ctx_t *c, weft__flow_t *f, const weft__toml_t *t) {
  flow_parts_t fp = {f, NULL, NULL};
  c->flow = f;
  c->bad = false;
  f->description = "";
  f->default_queue_depth = WEFT__FLOW_DEFAULT_QUEUE_DEPTH;
  f->backpressure = WEFT__FLOW_BP_BLOCK;
  f->loc = (weft__flow_loc_t){c->p->file->path, t->line};
  snprintf(c->what, sizeof c->what, "flow '%s'", f->name);
  read_table(c, t, flow_keys, &fp);
  if (fp.nodes && !read_nodes(c, &fp))
    read_edges(c, &fp);
  if (c->bad)
    return;
  if (!weft__flow_graph_edges(c->p, f))
    weft__flow_graph_check(c->p, f);
}

/* The root: `flow`, a table of flows. */
static void read_root(ctx_t *c, const weft__toml_t *root) {
  weft__flow_file_t *file = c->p->file;
  const weft__toml_t *flows = NULL;
  char shown[96];
  size_t n;
  for (size_t i = 0; i < weft__toml_table_len(root); i++) {
    const weft__toml_kv_t *kv = weft__toml_table_at(root, i);
    if (kv->key_len == 4 && !memcmp(kv->key, "flow", 4))
      flows = kv->value;
    else
      FAIL(c, kv->line, "unknown key '%s': a flow file holds [flow.NAME] "
                        "tables",
           weft__str_show(kv->key, kv->key_len, shown, sizeof shown));
  }
  if (flows && flows->type != WEFT__TOML_TABLE) {
    FAIL(c, flows->line, "'flow' must be a table: [flow.NAME]");
    return;
  }
  if (!(n = weft__toml_table_len(flows))) {
    FAIL(c, flows ? flows->line : 0, "no flows: add a [flow.NAME] table");
    return;
  }
  if (!(file->flows = weft__arena_calloc(&file->arena, n,
                                         sizeof *file->flows))) {
    nomem(c);
    return;
  }
  file->nflows = n;
  for (size_t i = 0; i < n; i++) {
    const weft__toml_kv_t *kv = weft__toml_table_at(flows, i);
    weft__flow_t *f = &file->flows[i];
    f->name = kv->key;
    if (!valid_name(kv->key, kv->key_len))
      FAIL(c, kv->line,
           "invalid flow name '%s': use 1 to %d letters, digits, '-' and "
           "'_'",
           weft__str_show(kv->key, kv->key_len, shown, sizeof shown),
           WEFT__FLOW_MAX_NAME);
    else if (kv->value->type != WEFT__TOML_TABLE)
      FAIL(c, kv->line, "flow '%s' must be a table", kv->key);
    else
      read_flow(c, f, kv->value);
  }
}

/* ---- the file ----------------------------------------------------------- */

/* See flow.h. */
weft__flow_file_t *weft__flow_file_parse(const char *path, const char *text,
                                         size_t len, weft_error_t *err) {
  weft__flow_file_t *file = calloc(1, sizeof *file);
  weft__flow_parse_t p;
  ctx_t c;
  const char *slash;
  if (!path)
    path = "flow.toml";
  if (!file) {
    WEFT_ERR(err, WEFT_ENOMEM, "%s: out of memory", path);
    return NULL;
  }
  slash = strrchr(path, '/');
  file->path = weft__arena_strndup(&file->arena, path, strlen(path));
  file->dir = slash ? weft__arena_strndup(&file->arena, path,
                                          slash == path ? 1
                                                        : (size_t)(slash -
                                                                   path))
                    : ".";
  if (!file->path || !file->dir) {
    WEFT_ERR(err, WEFT_ENOMEM, "%s: out of memory", path);
    goto fail;
  }
  if (weft__toml_parse(text, len, path, &file->toml, err))
    goto fail;
  memset(&p, 0, sizeof p);
  p.file = file;
  memset(&c, 0, sizeof c);
  c.p = &p;
  read_root(&c, file->toml);
  if (p.code) {
    WEFT_ERR(err, p.code, "%s", p.msg);
    goto fail;
  }
  return file;
fail:
  weft__flow_file_free(file);
  return NULL;
}

/* The flow file for `path`: itself, or the first of
 * WEFT__FLOW_FILE_NAMES inside it when it is a directory. Caller frees. */
static char *find_file(const char *path, weft_error_t *err) {
  static const char *const names[] = WEFT__FLOW_FILE_NAMES;
  struct stat st;
  if (stat(path, &st) < 0) {
    WEFT_ERR(err, errno == ENOENT ? WEFT_ENOENT : WEFT_EIO,
             "cannot open '%s': %s", path, strerror(errno));
    return NULL;
  }
  if (!S_ISDIR(st.st_mode)) {
    char *s = weft__strdup(path);
    if (!s)
      WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
    return s;
  }
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    weft__buf_t b;
    size_t pl = strlen(path);
    weft__buf_init(&b);
    if (!strcmp(path, ".") ? weft__buf_puts(&b, names[i])
                           : weft__buf_add(&b, path, pl) ||
                                 (path[pl - 1] != '/' &&
                                  weft__buf_puts(&b, "/")) ||
                                 weft__buf_puts(&b, names[i])) {
      weft__buf_release(&b);
      WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
      return NULL;
    }
    if (stat(b.data, &st) == 0 && S_ISREG(st.st_mode))
      return b.data;
    weft__buf_release(&b);
  }
  WEFT_ERR(err, WEFT_ENOENT, "no %s or %s in '%s'", names[0], names[1],
           path);
  return NULL;
}

/* See flow.h. */
weft__flow_file_t *weft__flow_file_load(const char *path, weft_error_t *err) {
  weft__flow_file_t *file = NULL;
  uint8_t *text = NULL;
  size_t len = 0;
  char *name = find_file(path ? path : ".", err);
  if (name && weft__read_file(name, &text, &len, err) == 0)
    file = weft__flow_file_parse(name, (const char *)text, len, err);
  free(text);
  free(name);
  return file;
}

/* See flow.h. */
void weft__flow_file_free(weft__flow_file_t *file) {
  if (!file)
    return;
  weft__toml_free(file->toml);
  weft__arena_release(&file->arena);
  free(file);
}

/* See flow.h. */
const weft__flow_t *weft__flow_find(const weft__flow_file_t *file,
                                    const char *name) {
  for (size_t i = 0; i < file->nflows; i++)
    if (file->flows[i].name && !strcmp(file->flows[i].name, name))
      return &file->flows[i];
  return NULL;
}

/* See flow.h. */
long weft__flow_node_index(const weft__flow_t *flow, const char *name) {
  for (size_t i = 0; i < flow->nnodes; i++)
    if (flow->nodes[i].name && !strcmp(flow->nodes[i].name, name))
      return (long)i;
  return -1;
}

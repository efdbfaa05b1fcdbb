/* manifest_util.c - the table-driven key reader used by every manifest
 * section, message helpers, ids, paths and "{{ variable }}" templates. */
#include <stdio.h>
#include <string.h>

#include "app/manifest_int.h"

/* See manifest_int.h. */
int weft__mf_fail(weft__mf_ctx_t *c, int code, int line, const char *fmt,
                  ...) {
  char msg[224];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (line > 0)
    return WEFT_ERR(c->err, code, "%s:%d: %s", c->m->file, line, msg);
  return WEFT_ERR(c->err, code, "%s: %s", c->m->file, msg);
}

/* See manifest_int.h. */
int weft__mf_nomem(weft__mf_ctx_t *c) {
  return WEFT_ERR(c->err, WEFT_ENOMEM, "%s: out of memory", c->m->file);
}

/* See manifest_int.h. */
weft__manifest_loc_t weft__mf_loc(weft__mf_ctx_t *c, int line) {
  weft__manifest_loc_t loc = {c->m->file, line};
  return loc;
}

/* True if `key` (len bytes) can be written bare in TOML. */
static bool bare_key(const char *key, size_t len) {
  size_t i;
  if (!len)
    return false;
  for (i = 0; i < len; i++) {
    char ch = key[i];
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
          (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
      return false;
  }
  return true;
}

/* See manifest_int.h. Elements of [[arrays]] drop their index: the header
 * that wrote them has none. */
int weft__mf_where(const weft__toml_t *node, weft__buf_t *out) {
  const weft__toml_t *chain[WEFT__TOML_MAX_DEPTH + 2];
  size_t n = 0, i;
  bool aot, first = true;
  int rc = 0;
  for (; node && node->parent && n < sizeof chain / sizeof chain[0];
       node = node->parent)
    chain[n++] = node;
  aot = n && chain[0]->parent->type == WEFT__TOML_ARRAY &&
        chain[0]->parent->u.array.of_tables;
  rc |= weft__buf_puts(out, aot ? "[[" : "[");
  for (i = n; i-- > 0;) {
    const weft__toml_t *c = chain[i];
    if (c->parent->type == WEFT__TOML_ARRAY) {
      if (!c->parent->u.array.of_tables)
        rc |= weft__buf_printf(out, "[%zu]", c->index);
      continue;
    }
    if (!first)
      rc |= weft__buf_puts(out, ".");
    first = false;
    if (bare_key(c->key, c->key_len)) {
      rc |= weft__buf_add(out, c->key, c->key_len);
    } else {
      char shown[80];
      rc |= weft__buf_printf(out, "\"%s\"",
                             weft__str_show(c->key, c->key_len, shown,
                                           sizeof shown));
    }
  }
  rc |= weft__buf_puts(out, aot ? "]]" : "]");
  return rc ? WEFT_ENOMEM : 0;
}

/* Fail with "<what> in <section of table>" appended to `msg`. */
static int fail_in(weft__mf_ctx_t *c, int code, int line,
                   const weft__toml_t *table, const char *msg) {
  weft__buf_t where;
  int rc;
  if (!table->parent)
    return weft__mf_fail(c, code, line, "%s", msg);
  weft__buf_init(&where);
  if (weft__mf_where(table, &where))
    rc = weft__mf_nomem(c);
  else
    rc = weft__mf_fail(c, code, line, "%s in %s", msg, where.data);
  weft__buf_release(&where);
  return rc;
}

/* Fail for the unsupported key `k`, written at `line` in `table`. */
static int unsupported(weft__mf_ctx_t *c, int line, const weft__toml_t *table,
                       const weft__mf_key_t *k) {
  weft__buf_t where;
  int rc;
  weft__buf_init(&where);
  if (table->parent && weft__mf_where(table, &where))
    rc = weft__mf_nomem(c);
  else
    rc = weft__mf_fail(c, WEFT_EUNSUPPORTED, line,
                       "'%s'%s%s is not supported by weft%s", k->key,
                       table->parent ? " in " : "",
                       table->parent ? where.data : "",
                       k->hint ? k->hint : "");
  weft__buf_release(&where);
  return rc;
}

/* See manifest_int.h. */
int weft__mf_string(weft__mf_ctx_t *c, const weft__toml_t *v,
                    const char *what, int line, const char **out) {
  if (v->type != WEFT__TOML_STRING)
    return weft__mf_fail(c, WEFT_EINVAL, line, "'%s' must be a string", what);
  if (memchr(v->u.string.ptr, 0, v->u.string.len))
    return weft__mf_fail(c, WEFT_EINVAL, line, "'%s' must not contain NUL",
                         what);
  *out = v->u.string.ptr;
  return 0;
}

/* See manifest_int.h. */
int weft__mf_strs(weft__mf_ctx_t *c, const weft__toml_kv_t *kv,
                  weft__manifest_strs_t *out) {
  const weft__toml_t *v = kv->value;
  size_t i, n;
  if (v->type != WEFT__TOML_ARRAY)
    return weft__mf_fail(c, WEFT_EINVAL, kv->line,
                         "'%s' must be an array of strings", kv->key);
  n = weft__toml_array_len(v);
  out->len = 0;
  out->items = weft__arena_calloc(&c->m->arena, n ? n : 1, sizeof *out->items);
  if (!out->items)
    return weft__mf_nomem(c);
  for (i = 0; i < n; i++) {
    const weft__toml_t *e = weft__toml_array_at(v, i);
    char what[96];
    int rc;
    snprintf(what, sizeof what, "%s[%zu]", kv->key, i);
    if ((rc = weft__mf_string(c, e, what, e->line, &out->items[i].value)))
      return rc;
    out->items[i].loc = weft__mf_loc(c, e->line);
  }
  out->len = n;
  return 0;
}

/* The row of `keys` for `kv`, or NULL. */
static const weft__mf_key_t *find_key(const weft__mf_key_t *keys,
                                      const weft__toml_kv_t *kv) {
  for (; keys->key; keys++)
    if (strlen(keys->key) == kv->key_len &&
        !memcmp(keys->key, kv->key, kv->key_len))
      return keys;
  return NULL;
}

/* See manifest_int.h. */
int weft__mf_read(weft__mf_ctx_t *c, const weft__toml_t *table,
                  const weft__mf_key_t *keys, void *obj) {
  char *base = obj, msg[160], shown[96];
  size_t i;
  int rc;
  for (i = 0; i < weft__toml_table_len(table); i++) {
    const weft__toml_kv_t *kv = weft__toml_table_at(table, i);
    const weft__mf_key_t *k = find_key(keys, kv);
    const weft__toml_t *v = kv->value;
    void *field;
    if (!k) {
      snprintf(msg, sizeof msg, "unknown key '%s'",
               weft__str_show(kv->key, kv->key_len, shown, sizeof shown));
      return fail_in(c, WEFT_EINVAL, kv->line, table, msg);
    }
    field = base + k->offset;
    switch (k->kind) {
    case WEFT__MF_STR:
      rc = weft__mf_string(c, v, k->key, kv->line, field);
      break;
    case WEFT__MF_STRS:
      rc = weft__mf_strs(c, kv, field);
      break;
    case WEFT__MF_BOOL:
      if (v->type != WEFT__TOML_BOOL)
        return weft__mf_fail(c, WEFT_EINVAL, kv->line,
                             "'%s' must be a boolean", k->key);
      *(bool *)field = v->u.boolean;
      rc = 0;
      break;
    case WEFT__MF_INT:
      if (v->type != WEFT__TOML_INTEGER)
        return weft__mf_fail(c, WEFT_EINVAL, kv->line,
                             "'%s' must be an integer", k->key);
      *(int64_t *)field = v->u.integer;
      rc = 0;
      break;
    case WEFT__MF_TABLE:
      if (v->type != WEFT__TOML_TABLE)
        return weft__mf_fail(c, WEFT_EINVAL, kv->line,
                             "'%s' must be a table", k->key);
      *(const weft__toml_t **)field = v;
      rc = 0;
      break;
    case WEFT__MF_CUSTOM:
      rc = k->read(c, kv, obj);
      break;
    default:
      return unsupported(c, kv->line, table, k);
    }
    if (rc)
      return rc;
  }
  for (; keys->key; keys++) {
    if (!keys->required || weft__toml_get(table, keys->key))
      continue;
    snprintf(msg, sizeof msg, "missing key '%s'", keys->key);
    return fail_in(c, WEFT_EINVAL, table->parent ? table->line : 0, table,
                   msg);
  }
  return 0;
}

/* See manifest.h. */
bool weft__manifest_valid_id(const char *s, size_t len, bool snake) {
  char delim = snake ? '_' : '-';
  bool word_start = true, first_word = true;
  size_t i;
  if (!len)
    return false;
  for (i = 0; i < len; i++) {
    char ch = s[i];
    bool lower = ch >= 'a' && ch <= 'z', digit = ch >= '0' && ch <= '9';
    if (ch == delim) {
      if (word_start)
        return false;
      word_start = true;
      first_word = false;
    } else if (word_start) {
      if (!lower && !(digit && !first_word))
        return false;
      word_start = false;
    } else if (!lower && !digit) {
      return false;
    }
  }
  return !word_start;
}

/* See manifest_int.h. */
const char *weft__mf_join(weft__mf_ctx_t *c, const char *rel) {
  const char *dir = c->m->dir;
  size_t dl = strlen(dir), rl = strlen(rel);
  char *p;
  if (rel[0] == '/' || !strcmp(dir, "."))
    return rel;
  while (dl > 1 && dir[dl - 1] == '/')
    dl--;
  p = weft__arena_alloc(&c->m->arena, dl + rl + 2);
  if (!p)
    return NULL;
  memcpy(p, dir, dl);
  p[dl] = '/';
  memcpy(p + dl + 1, rel, rl + 1);
  return p;
}

/* True if `name` (len bytes) is a declared application variable. */
static bool declared(const weft__manifest_t *m, const char *name,
                     size_t len) {
  size_t i;
  for (i = 0; i < m->variables_len; i++)
    if (strlen(m->variables[i].name) == len &&
        !memcmp(m->variables[i].name, name, len))
      return true;
  return false;
}

/* See manifest_int.h. Spin's templates are "{{ name }}" with optional
 * blanks inside the braces; there is no escape. */
int weft__mf_check_template(weft__mf_ctx_t *c, const char *s, int line,
                            const char *what) {
  const char *p = s, *open, *close, *a, *b;
  char shown[96];
  while ((open = strstr(p, "{{"))) {
    if (!(close = strstr(open + 2, "}}")))
      return weft__mf_fail(c, WEFT_EINVAL, line, "unclosed '{{' in '%s'",
                           what);
    for (a = open + 2; a < close && (*a == ' ' || *a == '\t'); a++)
      ;
    for (b = close; b > a && (b[-1] == ' ' || b[-1] == '\t'); b--)
      ;
    weft__str_show(a, (size_t)(b - a), shown, sizeof shown);
    if (!weft__manifest_valid_id(a, (size_t)(b - a), true))
      return weft__mf_fail(c, WEFT_EINVAL, line,
                           "invalid variable name '%s' in '%s'", shown, what);
    if (!declared(c->m, a, (size_t)(b - a)))
      return weft__mf_fail(c, WEFT_EINVAL, line,
                           "'%s' uses undeclared variable '%s'", what, shown);
    p = close + 2;
  }
  return 0;
}

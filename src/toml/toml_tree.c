/* toml_tree.c - TOML tree nodes: allocation, tables with ordered keys and a
 * hash index, arrays, and the lookup and typed-getter helpers of toml.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toml/toml_int.h"

/* Tables index their keys by hash once they have this many. */
#define INDEX_FROM 8

/* ---- nodes ------------------------------------------------------------- */

/* See toml_int.h. */
weft__toml_t *weft__toml_node_new(weft__toml_type_t type, const char *file,
                                  int line, int col, int depth) {
  weft__toml_t *n = calloc(1, sizeof *n);
  if (!n)
    return NULL;
  n->type = type;
  n->file = file;
  n->line = line;
  n->col = col;
  n->depth = depth;
  if (type == WEFT__TOML_TABLE)
    n->u.table.def = WEFT__TOML_IMPLICIT;
  return n;
}

/* See toml_int.h. Recursion is bounded by WEFT__TOML_MAX_DEPTH. */
void weft__toml_node_free(weft__toml_t *node) {
  size_t i;
  if (!node)
    return;
  switch (node->type) {
  case WEFT__TOML_TABLE:
    for (i = 0; i < node->u.table.len; i++) {
      free(node->u.table.items[i].key);
      weft__toml_node_free(node->u.table.items[i].value);
    }
    free(node->u.table.items);
    free(node->u.table.slots);
    break;
  case WEFT__TOML_ARRAY:
    for (i = 0; i < node->u.array.len; i++)
      weft__toml_node_free(node->u.array.items[i]);
    free(node->u.array.items);
    break;
  case WEFT__TOML_STRING:
    free(node->u.string.ptr);
    break;
  case WEFT__TOML_DATETIME:
  case WEFT__TOML_LOCAL_DATETIME:
  case WEFT__TOML_LOCAL_DATE:
  case WEFT__TOML_LOCAL_TIME:
    free(node->u.datetime.text);
    break;
  default:
    break;
  }
  free(node);
}

/* See toml.h. The root owns the copy of the file name. */
void weft__toml_free(weft__toml_t *root) {
  if (!root)
    return;
  if (ALWAYS(!root->parent))
    free((char *)root->file);
  weft__toml_node_free(root);
}

/* See toml.h. */
const char *weft__toml_type_name(weft__toml_type_t type) {
  switch (type) {
  case WEFT__TOML_TABLE:
    return "table";
  case WEFT__TOML_ARRAY:
    return "array";
  case WEFT__TOML_STRING:
    return "string";
  case WEFT__TOML_INTEGER:
    return "integer";
  case WEFT__TOML_FLOAT:
    return "float";
  case WEFT__TOML_BOOL:
    return "boolean";
  case WEFT__TOML_DATETIME:
    return "offset date-time";
  case WEFT__TOML_LOCAL_DATETIME:
    return "local date-time";
  case WEFT__TOML_LOCAL_DATE:
    return "local date";
  case WEFT__TOML_LOCAL_TIME:
    return "local time";
  }
  return "value";
}

/* ---- tables ------------------------------------------------------------ */

/* FNV-1a over the key bytes. */
static uint32_t hash_key(const char *key, size_t len) {
  uint32_t h = 2166136261u;
  size_t i;
  for (i = 0; i < len; i++) {
    h ^= (unsigned char)key[i];
    h *= 16777619u;
  }
  return h;
}

/* Rebuild the hash index of `t` with `nslots` slots (a power of two larger
 * than twice the key count). Returns 0 or WEFT_ENOMEM (index unchanged). */
static int reindex(weft__toml_t *t, size_t nslots) {
  uint32_t *slots = calloc(nslots, sizeof *slots);
  size_t i;
  if (!slots)
    return WEFT_ENOMEM;
  for (i = 0; i < t->u.table.len; i++) {
    const weft__toml_kv_t *kv = &t->u.table.items[i];
    size_t s = hash_key(kv->key, kv->key_len) & (nslots - 1);
    while (slots[s])
      s = (s + 1) & (nslots - 1);
    slots[s] = (uint32_t)(i + 1);
  }
  free(t->u.table.slots);
  t->u.table.slots = slots;
  t->u.table.nslots = nslots;
  return 0;
}

/* See toml_int.h. */
weft__toml_kv_t *weft__toml_table_find(const weft__toml_t *table,
                                       const char *key, size_t key_len) {
  size_t i;
  if (!table || table->type != WEFT__TOML_TABLE)
    return NULL;
  if (table->u.table.slots) {
    size_t mask = table->u.table.nslots - 1;
    size_t s = hash_key(key, key_len) & mask;
    while (table->u.table.slots[s]) {
      weft__toml_kv_t *kv =
          &table->u.table.items[table->u.table.slots[s] - 1];
      if (kv->key_len == key_len && !memcmp(kv->key, key, key_len))
        return kv;
      s = (s + 1) & mask;
    }
    return NULL;
  }
  for (i = 0; i < table->u.table.len; i++) {
    weft__toml_kv_t *kv = &table->u.table.items[i];
    if (kv->key_len == key_len && !memcmp(kv->key, key, key_len))
      return kv;
  }
  return NULL;
}

/* See toml_int.h. */
int weft__toml_table_add(weft__toml_t *table, char *key, size_t key_len,
                         int line, int col, weft__toml_t *value) {
  weft__toml_kv_t *kv;
  size_t i;
  if (table->u.table.len == table->u.table.cap) {
    size_t cap = table->u.table.cap ? table->u.table.cap * 2 : 4;
    weft__toml_kv_t *items =
        realloc(table->u.table.items, cap * sizeof *items);
    if (!items)
      return WEFT_ENOMEM;
    table->u.table.items = items;
    table->u.table.cap = cap;
    /* The values point at their keys, which do not move. */
  }
  i = table->u.table.len;
  if (i + 1 >= INDEX_FROM && (i + 1) * 2 > table->u.table.nslots) {
    size_t nslots = table->u.table.nslots ? table->u.table.nslots : 16;
    while ((i + 1) * 2 > nslots)
      nslots *= 2;
    if (reindex(table, nslots))
      return WEFT_ENOMEM;
  }
  kv = &table->u.table.items[i];
  kv->key = key;
  kv->key_len = key_len;
  kv->line = line;
  kv->col = col;
  kv->value = value;
  table->u.table.len++;
  if (table->u.table.slots) {
    size_t mask = table->u.table.nslots - 1;
    size_t s = hash_key(key, key_len) & mask;
    while (table->u.table.slots[s])
      s = (s + 1) & mask;
    table->u.table.slots[s] = (uint32_t)(i + 1);
  }
  value->parent = table;
  value->key = key;
  value->key_len = key_len;
  return 0;
}

/* See toml_int.h. */
int weft__toml_array_push(weft__toml_t *array, weft__toml_t *value) {
  if (array->u.array.len == array->u.array.cap) {
    size_t cap = array->u.array.cap ? array->u.array.cap * 2 : 4;
    weft__toml_t **items =
        realloc(array->u.array.items, cap * sizeof *items);
    if (!items)
      return WEFT_ENOMEM;
    array->u.array.items = items;
    array->u.array.cap = cap;
  }
  value->parent = array;
  value->index = array->u.array.len;
  array->u.array.items[array->u.array.len++] = value;
  return 0;
}

/* See toml.h. */
const weft__toml_t *weft__toml_getn(const weft__toml_t *table,
                                    const char *key, size_t key_len) {
  const weft__toml_kv_t *kv =
      key ? weft__toml_table_find(table, key, key_len) : NULL;
  return kv ? kv->value : NULL;
}

/* See toml.h. */
const weft__toml_t *weft__toml_get(const weft__toml_t *table,
                                   const char *key) {
  return key ? weft__toml_getn(table, key, strlen(key)) : NULL;
}

/* See toml.h. */
const weft__toml_kv_t *weft__toml_get_kv(const weft__toml_t *table,
                                         const char *key) {
  return key ? weft__toml_table_find(table, key, strlen(key)) : NULL;
}

/* See toml.h. */
size_t weft__toml_table_len(const weft__toml_t *table) {
  if (!table || table->type != WEFT__TOML_TABLE)
    return 0;
  return table->u.table.len;
}

/* See toml.h. */
const weft__toml_kv_t *weft__toml_table_at(const weft__toml_t *table,
                                           size_t i) {
  if (i >= weft__toml_table_len(table))
    return NULL;
  return &table->u.table.items[i];
}

/* ---- arrays ------------------------------------------------------------ */

/* See toml.h. */
size_t weft__toml_array_len(const weft__toml_t *array) {
  if (!array || array->type != WEFT__TOML_ARRAY)
    return 0;
  return array->u.array.len;
}

/* See toml.h. */
const weft__toml_t *weft__toml_array_at(const weft__toml_t *array,
                                        size_t i) {
  if (i >= weft__toml_array_len(array))
    return NULL;
  return array->u.array.items[i];
}

/* ---- messages ---------------------------------------------------------- */

/* See toml_int.h. */
char *weft__toml_show(const char *key, size_t key_len, char *dst,
                      size_t cap) {
  size_t i = 0, o = 0;
  while (i < key_len) {
    unsigned char c = (unsigned char)key[i];
    size_t n = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
    if (i + n > key_len)
      n = key_len - i;
    if (o + n + 4 > cap) {
      memcpy(dst + o, "...", 3);
      o += 3;
      break;
    }
    if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xc0)) {
      dst[o++] = '?';
      i++;
      continue;
    }
    memcpy(dst + o, key + i, n);
    o += n;
    i += n;
  }
  dst[o] = 0;
  return dst;
}

/* See toml_int.h. */
bool weft__toml_is_bare(const char *key, size_t key_len) {
  size_t i;
  if (!key_len)
    return false;
  for (i = 0; i < key_len; i++) {
    char c = key[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '_' || c == '-'))
      return false;
  }
  return true;
}

/* Append `key` to `out` as TOML would write it: bare if it can be, else a
 * basic string with escapes. Returns 0 or WEFT_ENOMEM. */
static int add_key(weft__buf_t *out, const char *key, size_t len) {
  size_t i;
  int rc = 0;
  if (weft__toml_is_bare(key, len))
    return weft__buf_add(out, key, len);
  rc |= weft__buf_add(out, "\"", 1);
  for (i = 0; i < len && !rc; i++) {
    unsigned char c = (unsigned char)key[i];
    if (c == '"' || c == '\\')
      rc |= weft__buf_printf(out, "\\%c", c);
    else if (c < 0x20 || c == 0x7f)
      rc |= weft__buf_printf(out, "\\u%04x", c);
    else
      rc |= weft__buf_add(out, &key[i], 1);
  }
  rc |= weft__buf_add(out, "\"", 1);
  return rc ? WEFT_ENOMEM : 0;
}

/* See toml.h. */
int weft__toml_path(const weft__toml_t *node, weft__buf_t *out) {
  const weft__toml_t *chain[WEFT__TOML_MAX_DEPTH + 1];
  size_t n = 0, i;
  bool first = true;
  for (; node && node->parent && n < WEFT__TOML_MAX_DEPTH + 1;
       node = node->parent)
    chain[n++] = node;
  for (i = n; i-- > 0;) {
    const weft__toml_t *c = chain[i];
    int rc;
    if (c->parent->type == WEFT__TOML_ARRAY) {
      rc = weft__buf_printf(out, "[%zu]", c->index);
    } else {
      rc = first ? 0 : weft__buf_add(out, ".", 1);
      if (!rc)
        rc = add_key(out, c->key, c->key_len);
    }
    if (rc)
      return WEFT_ENOMEM;
    first = false;
  }
  return 0;
}

/* The file name of `node` for messages. */
static const char *file_of(const weft__toml_t *node) {
  return node && node->file ? node->file : "<input>";
}

/* ---- typed getters ----------------------------------------------------- */

/* Look `key` up in `table`; if absent fill `err` with "missing key". On
 * success *kv is set. Returns 0, WEFT_ENOTFOUND or WEFT_EINVAL. */
static int lookup(const weft__toml_t *table, const char *key,
                  const weft__toml_kv_t **kv, weft_error_t *err) {
  weft__buf_t path;
  char shown[96];
  int rc;
  if (!table || table->type != WEFT__TOML_TABLE || !key)
    return WEFT_ERR(err, WEFT_EINVAL, "not a table");
  *kv = weft__toml_get_kv(table, key);
  if (*kv)
    return 0;
  weft__toml_show(key, strlen(key), shown, sizeof shown);
  weft__buf_init(&path);
  if (!table->parent) {
    rc = WEFT_ERR(err, WEFT_ENOTFOUND, "%s: missing key '%s'",
                  file_of(table), shown);
  } else if (weft__toml_path(table, &path)) {
    rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  } else {
    rc = WEFT_ERR(err, WEFT_ENOTFOUND, "%s:%d: missing key '%s' in [%s]",
                  file_of(table), table->line, shown, path.data);
  }
  weft__buf_release(&path);
  return rc;
}

/* Fill `err` with "file:line: 'key' must be <what>" for `kv`. */
static int wrong_type(const weft__toml_kv_t *kv, const char *what,
                      weft_error_t *err) {
  char shown[96];
  weft__toml_show(kv->key, kv->key_len, shown, sizeof shown);
  return WEFT_ERR(err, WEFT_EINVAL, "%s:%d: '%s' must be %s",
                  file_of(kv->value), kv->line, shown, what);
}

/* Look up `key` and require `type`; *node is set on success. */
static int get_typed(const weft__toml_t *table, const char *key,
                     weft__toml_type_t type, const char *what,
                     const weft__toml_t **node, weft_error_t *err) {
  const weft__toml_kv_t *kv = NULL;
  int rc = lookup(table, key, &kv, err);
  if (rc)
    return rc;
  if (kv->value->type != type)
    return wrong_type(kv, what, err);
  *node = kv->value;
  return 0;
}

/* See toml.h. */
int weft__toml_get_stringn(const weft__toml_t *table, const char *key,
                           const char **out, size_t *len, weft_error_t *err) {
  const weft__toml_t *n = NULL;
  int rc = get_typed(table, key, WEFT__TOML_STRING, "a string", &n, err);
  if (rc)
    return rc;
  *out = n->u.string.ptr;
  if (len)
    *len = n->u.string.len;
  return 0;
}

/* See toml.h. */
int weft__toml_get_string(const weft__toml_t *table, const char *key,
                          const char **out, weft_error_t *err) {
  const weft__toml_t *n = NULL;
  int rc = get_typed(table, key, WEFT__TOML_STRING, "a string", &n, err);
  if (rc)
    return rc;
  if (memchr(n->u.string.ptr, 0, n->u.string.len)) {
    char shown[96];
    weft__toml_show(n->key, n->key_len, shown, sizeof shown);
    return WEFT_ERR(err, WEFT_EINVAL, "%s:%d: '%s' must not contain NUL",
                    file_of(n), n->line, shown);
  }
  *out = n->u.string.ptr;
  return 0;
}

/* See toml.h. */
int weft__toml_get_int(const weft__toml_t *table, const char *key,
                       int64_t *out, weft_error_t *err) {
  const weft__toml_t *n = NULL;
  int rc = get_typed(table, key, WEFT__TOML_INTEGER, "an integer", &n, err);
  if (!rc)
    *out = n->u.integer;
  return rc;
}

/* See toml.h. */
int weft__toml_get_float(const weft__toml_t *table, const char *key,
                         double *out, weft_error_t *err) {
  const weft__toml_kv_t *kv = NULL;
  int rc = lookup(table, key, &kv, err);
  if (rc)
    return rc;
  if (kv->value->type == WEFT__TOML_FLOAT)
    *out = kv->value->u.flt;
  else if (kv->value->type == WEFT__TOML_INTEGER)
    *out = (double)kv->value->u.integer;
  else
    return wrong_type(kv, "a number", err);
  return 0;
}

/* See toml.h. */
int weft__toml_get_bool(const weft__toml_t *table, const char *key,
                        bool *out, weft_error_t *err) {
  const weft__toml_t *n = NULL;
  int rc = get_typed(table, key, WEFT__TOML_BOOL, "a boolean", &n, err);
  if (!rc)
    *out = n->u.boolean;
  return rc;
}

/* See toml.h. */
int weft__toml_get_table(const weft__toml_t *table, const char *key,
                         const weft__toml_t **out, weft_error_t *err) {
  return get_typed(table, key, WEFT__TOML_TABLE, "a table", out, err);
}

/* See toml.h. */
int weft__toml_get_array(const weft__toml_t *table, const char *key,
                         const weft__toml_t **out, weft_error_t *err) {
  return get_typed(table, key, WEFT__TOML_ARRAY, "an array", out, err);
}

/* "a" or "an" before a type name. */
static const char *article(const char *name) {
  return strchr("aeiou", name[0]) ? "an" : "a";
}

/* See toml.h. */
int weft__toml_expect(const weft__toml_t *node, weft__toml_type_t type,
                      const char *what, weft_error_t *err) {
  const char *name = weft__toml_type_name(type);
  if (!what)
    what = "value";
  if (!node)
    return WEFT_ERR(err, WEFT_ENOTFOUND, "missing '%s'", what);
  if (node->type == type)
    return 0;
  return WEFT_ERR(err, WEFT_EINVAL, "%s:%d: '%s' must be %s %s",
                  file_of(node), node->line, what, article(name), name);
}

/* See toml.h. */
int weft__toml_check_keys(const weft__toml_t *table,
                          const char *const *allowed, weft_error_t *err) {
  size_t i, j;
  if (!table || table->type != WEFT__TOML_TABLE)
    return WEFT_ERR(err, WEFT_EINVAL, "not a table");
  for (i = 0; i < table->u.table.len; i++) {
    const weft__toml_kv_t *kv = &table->u.table.items[i];
    char shown[96];
    weft__buf_t path;
    int rc;
    for (j = 0; allowed && allowed[j]; j++)
      if (strlen(allowed[j]) == kv->key_len &&
          !memcmp(allowed[j], kv->key, kv->key_len))
        break;
    if (allowed && allowed[j])
      continue;
    weft__toml_show(kv->key, kv->key_len, shown, sizeof shown);
    if (!table->parent)
      return WEFT_ERR(err, WEFT_EINVAL, "%s:%d: unknown key '%s'",
                      file_of(table), kv->line, shown);
    weft__buf_init(&path);
    if (weft__toml_path(table, &path))
      rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
    else
      rc = WEFT_ERR(err, WEFT_EINVAL, "%s:%d: unknown key '%s' in [%s]",
                    file_of(table), kv->line, shown, path.data);
    weft__buf_release(&path);
    return rc;
  }
  return 0;
}

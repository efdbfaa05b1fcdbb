/* schema.c - the schema file (S.toml): a type for each key of the governed
 * state. A write of a value that does not fit its key's type, or of a key
 * the schema does not name, is denied (rule "schema", "unknown-key").
 *
 *   [key.count]
 *   type = "integer"        # min, max (inclusive)
 *   [key.name]
 *   type = "string"         # max_length (bytes; default 65536)
 *   [key.tags]
 *   type = "list"           # item (a type table), max_items
 *   item = { type = "string", max_length = 16 }
 *   [key.deal]
 *   type = "record"         # fields: name -> type table (scalars)
 *   fields.amount = { type = "integer", min = 0 }
 *
 * "bool" and "bytes" (max_length) complete the types. Lists and records
 * hold scalars only. Strict: unknown keys and wrong types fail naming
 * file:line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit/unit.h"

#define DEFAULT_MAX_LEN 65536

static int parse_type(weft__uschema_t *s, const weft__toml_t *t,
                      const char *what, bool scalar_only, weft__utype_t *out,
                      weft_error_t *err);

static const struct {
  const char *name;
  uint8_t type;
} type_names[] = {{"integer", WEFT__UV_INT}, {"string", WEFT__UV_TEXT},
                  {"bool", WEFT__UV_BOOL},   {"bytes", WEFT__UV_BYTES},
                  {"list", WEFT__UV_LIST},   {"record", WEFT__UV_RECORD}};

/* A message naming `a` and `b` (names from the file, shown escaped and
 * cut: a message is one line). */
static int fail(weft_error_t *err, const weft__toml_t *at, const char *fmt,
                const char *a, const char *b) {
  char msg[200], sa[64], sb[64];
  weft__str_show(a, strlen(a), sa, sizeof sa);
  weft__str_show(b, strlen(b), sb, sizeof sb);
  snprintf(msg, sizeof msg, fmt, sa, sb);
  return WEFT_ERR(err, WEFT_EINVAL, "%s:%d: %s", at->file, at->line, msg);
}

static int field_cmp(const void *a, const void *b) {
  return strcmp(((const weft__ufield_t *)a)->name,
                ((const weft__ufield_t *)b)->name);
}

static int parse_fields(weft__uschema_t *s, const weft__toml_t *t,
                        const char *what, weft__utype_t *out,
                        weft_error_t *err) {
  const weft__toml_t *f = weft__toml_get(t, "fields");
  int rc = weft__toml_get_table(t, "fields", &f, err);
  if (rc < 0)
    return rc;
  out->nfields = weft__toml_table_len(f);
  if (!out->nfields)
    return fail(err, f, "'%s' must have at least one field", what, "");
  out->fields = weft__arena_calloc(&s->arena, out->nfields,
                                   sizeof *out->fields);
  if (!out->fields)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  for (size_t i = 0; i < out->nfields; i++) {
    const weft__toml_kv_t *kv = weft__toml_table_at(f, i);
    if (strlen(kv->key) != kv->key_len)
      return fail(err, kv->value, "a field name of '%s' holds NUL", what, "");
    out->fields[i].name = kv->key;
    if ((rc = parse_type(s, kv->value, kv->key, true, &out->fields[i].type,
                         err)) < 0)
      return rc;
  }
  qsort(out->fields, out->nfields, sizeof *out->fields, field_cmp);
  return 0;
}

static int parse_type(weft__uschema_t *s, const weft__toml_t *t,
                      const char *what, bool scalar_only, weft__utype_t *out,
                      weft_error_t *err) {
  const char *name;
  int rc;
  const weft__toml_t *node = t; /* for the line of a bare type */
  if (t->type == WEFT__TOML_STRING) { /* item = "integer": the bare type */
    name = t->u.string.ptr;
    t = NULL;
  } else if ((rc = weft__toml_expect(t, WEFT__TOML_TABLE, what, err)) < 0) {
    return rc;
  } else if ((rc = weft__toml_get_string(t, "type", &name, err)) < 0) {
    return rc;
  }
  out->type = 0;
  for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++)
    if (!strcmp(name, type_names[i].name))
      out->type = type_names[i].type;
  const weft__toml_t *at = t ? t : NULL;
  if (!out->type || (scalar_only && out->type >= WEFT__UV_LIST)) {
    char msg[200], sw[48], sn[48];
    weft__str_show(what, strlen(what), sw, sizeof sw);
    weft__str_show(name, strlen(name), sn, sizeof sn);
    snprintf(msg, sizeof msg, "'%s' has type '%s'; expected %s", sw, sn,
             scalar_only ? "integer, string, bool or bytes"
                         : "integer, string, bool, bytes, list or record");
    return WEFT_ERR(err, WEFT_EINVAL, "%s:%d: %s", node->file,
                    at ? weft__toml_get_kv(at, "type")->line : node->line,
                    msg);
  }
  out->min = INT64_MIN;
  out->max = INT64_MAX;
  out->max_len = out->type == WEFT__UV_LIST ? UINT32_MAX : DEFAULT_MAX_LEN;
  if (!t)
    return 0;
  static const char *const keys[][5] = {
      [WEFT__UV_INT] = {"type", "min", "max", NULL},
      [WEFT__UV_TEXT] = {"type", "max_length", NULL},
      [WEFT__UV_BOOL] = {"type", NULL},
      [WEFT__UV_BYTES] = {"type", "max_length", NULL},
      [WEFT__UV_LIST] = {"type", "item", "max_items", NULL},
      [WEFT__UV_RECORD] = {"type", "fields", NULL}};
  if ((rc = weft__toml_check_keys(t, keys[out->type], err)) < 0)
    return rc;
  int64_t v;
  if (out->type == WEFT__UV_INT) {
    if ((rc = weft__toml_get_int(t, "min", &out->min, err)) == WEFT_EINVAL ||
        (rc = weft__toml_get_int(t, "max", &out->max, err)) == WEFT_EINVAL)
      return rc;
    if (out->min > out->max)
      return fail(err, t, "'%s': min is greater than max", what, "");
  }
  const char *lk = out->type == WEFT__UV_LIST ? "max_items" : "max_length";
  rc = weft__toml_get_int(t, lk, &v, err);
  if (rc == WEFT_EINVAL)
    return rc;
  if (rc == 0) {
    if (v < 0)
      return fail(err, t, "'%s': '%s' must not be negative", what, lk);
    out->max_len = (uint64_t)v;
  }
  if (out->type == WEFT__UV_LIST) {
    const weft__toml_t *item = weft__toml_get(t, "item");
    if (!item)
      return fail(err, t, "list '%s' has no 'item' type", what, "");
    out->item = weft__arena_calloc(&s->arena, 1, sizeof *out->item);
    if (!out->item)
      return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
    return parse_type(s, item, "item", true, out->item, err);
  }
  if (out->type == WEFT__UV_RECORD)
    return parse_fields(s, t, what, out, err);
  if (err)
    memset(err, 0, sizeof *err);
  return 0;
}

/* See unit.h. */
int weft__uschema_parse(const char *text, size_t len, const char *name,
                        weft__uschema_t **out, weft_error_t *err) {
  *out = NULL;
  weft__uschema_t *s = calloc(1, sizeof *s);
  if (!s)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  static const char *const top[] = {"key", NULL};
  const weft__toml_t *keys = NULL;
  int rc = weft__toml_parse(text, len, name, &s->root, err);
  if (rc == 0)
    rc = weft__toml_check_keys(s->root, top, err);
  if (rc == 0 && weft__toml_get(s->root, "key"))
    rc = weft__toml_get_table(s->root, "key", &keys, err);
  s->nkeys = weft__toml_table_len(keys);
  if (rc == 0 && s->nkeys &&
      !(s->keys = weft__arena_calloc(&s->arena, s->nkeys, sizeof *s->keys)))
    rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  for (size_t i = 0; rc == 0 && i < s->nkeys; i++) {
    const weft__toml_kv_t *kv = weft__toml_table_at(keys, i);
    if (strlen(kv->key) != kv->key_len || !kv->key_len) {
      rc = fail(err, kv->value, "a key name must be non-empty, without NUL",
                "", "");
      break;
    }
    s->keys[i].name = kv->key;
    s->keys[i].line = kv->line;
    rc = parse_type(s, kv->value, kv->key, false, &s->keys[i].type, err);
  }
  if (rc < 0) {
    weft__uschema_free(s);
    return rc;
  }
  if (err)
    memset(err, 0, sizeof *err);
  *out = s;
  return 0;
}

/* See unit.h. */
void weft__uschema_free(weft__uschema_t *s) {
  if (!s)
    return;
  weft__toml_free(s->root);
  weft__arena_release(&s->arena);
  free(s);
}

/* See unit.h. */
const weft__ukeydef_t *weft__uschema_key(const weft__uschema_t *s,
                                         const char *key) {
  for (size_t i = 0; s && i < s->nkeys; i++)
    if (!strcmp(s->keys[i].name, key))
      return &s->keys[i];
  return NULL;
}

static int check_scalar(const weft__utype_t *t, const weft__uval_t *v,
                        const char *what, char *msg, size_t cap) {
  if (v->type != t->type) {
    snprintf(msg, cap, "%s is a %s, not a %s", what,
             weft__uv_type_name(v->type), weft__uv_type_name(t->type));
    return 1;
  }
  if (t->type == WEFT__UV_INT && (v->i < t->min || v->i > t->max)) {
    snprintf(msg, cap, "%s %lld is outside [%lld, %lld]", what,
             (long long)v->i, (long long)t->min, (long long)t->max);
    return 1;
  }
  if ((t->type == WEFT__UV_TEXT || t->type == WEFT__UV_BYTES) &&
      v->len > t->max_len) {
    snprintf(msg, cap, "%s is %zu bytes long, more than %llu", what, v->len,
             (unsigned long long)t->max_len);
    return 1;
  }
  return 0;
}

/* See unit.h. */
int weft__utype_check(const weft__utype_t *t, const weft__uval_t *v,
                      char *msg, size_t cap) {
  if (t->type != WEFT__UV_LIST && t->type != WEFT__UV_RECORD)
    return check_scalar(t, v, "the value", msg, cap);
  if (v->type != t->type) {
    snprintf(msg, cap, "the value is a %s, not a %s",
             weft__uv_type_name(v->type), weft__uv_type_name(t->type));
    return 1;
  }
  if (t->type == WEFT__UV_LIST) {
    if (v->n > t->max_len) {
      snprintf(msg, cap, "the list has %zu items, more than %llu", v->n,
               (unsigned long long)t->max_len);
      return 1;
    }
    for (size_t i = 0; i < v->n; i++) {
      char what[32];
      snprintf(what, sizeof what, "item %zu", i);
      if (check_scalar(t->item, &v->items[i], what, msg, cap))
        return 1;
    }
    return 0;
  }
  /* Both sorted by name: the same names in the same order. */
  if (v->n != t->nfields) {
    snprintf(msg, cap, "the record has %zu fields, the schema %zu", v->n,
             t->nfields);
    return 1;
  }
  for (size_t i = 0; i < v->n; i++) {
    const weft__ufield_t *f = &t->fields[i];
    if (strlen(f->name) != v->items[i].name_len ||
        memcmp(f->name, v->items[i].name, v->items[i].name_len)) {
      snprintf(msg, cap, "the record has no field '%s'", f->name);
      return 1;
    }
    char what[96];
    snprintf(what, sizeof what, "field '%s'", f->name);
    if (check_scalar(&f->type, &v->items[i], what, msg, cap))
      return 1;
  }
  return 0;
}

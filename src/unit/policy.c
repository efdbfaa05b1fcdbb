/* policy.c - the policy file (P.toml), part of the signed content of a
 * unit: who may send which messages, the rules of each key, the rules of
 * cycles, which hosts may advance the unit and who may change the policy.
 *
 *   hosts = "any"                  # or ["<hex public key>", ...]
 *   admins = ["owner"]             # who may sign a policy update
 *   [cycle]
 *   min_interval = "1s"            # between two cycles (default 0)
 *   deadline = "1s"                # per cycle (default 1s)
 *   max_memory = "64MiB"           # linear memory cap (default 64MiB)
 *   max_per_step = 1               # cycles one `weft unit step` may run
 *   [messages.deposit]
 *   senders = ["owner", "<hex>"]   # or "any"
 *   [keys.count]
 *   immutable = false  monotonic = true  max_change = 5  owner_only = false
 *
 * A principal is "any", "owner" (the key given to `weft unit new`) or an
 * ed25519 public key in hex, as `weft keygen` writes it in KEY.pub. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit/unit.h"

static int fail_at(weft_error_t *err, const char *file, int line,
                   const char *msg, const char *a) {
  char m[200], sa[64];
  /* Names and values from the file, escaped and cut: one line. */
  weft__str_show(a, strlen(a), sa, sizeof sa);
  snprintf(m, sizeof m, msg, sa);
  return WEFT_ERR(err, WEFT_EINVAL, "%s:%d: %s", file, line, m);
}

/* A principal list: a string or an array of strings. */
static int parse_who(weft__upolicy_t *p, const weft__toml_t *t,
                     const char *key, bool def_any, bool def_owner,
                     weft__uwho_t *who, weft_error_t *err) {
  const weft__toml_kv_t *kv = weft__toml_get_kv(t, key);
  who->any = def_any;
  who->owner = def_owner;
  if (!kv)
    return 0;
  who->any = who->owner = false;
  const weft__toml_t *v = kv->value;
  size_t n = v->type == WEFT__TOML_ARRAY ? weft__toml_array_len(v) : 1;
  if (v->type != WEFT__TOML_ARRAY && v->type != WEFT__TOML_STRING)
    return fail_at(err, v->file, kv->line,
                   "'%s' must be a string or an array of strings", key);
  who->keys = weft__arena_calloc(&p->arena, n ? n : 1, sizeof *who->keys);
  if (!who->keys)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) {
    const weft__toml_t *e =
        v->type == WEFT__TOML_ARRAY ? weft__toml_array_at(v, i) : v;
    if (e->type != WEFT__TOML_STRING)
      return fail_at(err, e->file, e->line,
                     "'%s' must be a string or an array of strings", key);
    const char *s = e->u.string.ptr;
    if (!strcmp(s, "any"))
      who->any = true;
    else if (!strcmp(s, "owner"))
      who->owner = true;
    else if (weft__unhex(s, e->u.string.len, who->keys[who->n],
                         WEFT__PK_LEN) == 0)
      who->n++;
    else
      return fail_at(err, e->file, e->line,
                     "'%s' is not \"any\", \"owner\" or a public key (64 hex "
                     "digits)", s);
  }
  return 0;
}

static int get_duration_ns(const weft__toml_t *t, const char *key,
                           uint64_t *out, weft_error_t *err) {
  const weft__toml_kv_t *kv = weft__toml_get_kv(t, key);
  if (!kv)
    return 0;
  if (kv->value->type == WEFT__TOML_STRING &&
      weft__parse_duration(kv->value->u.string.ptr, out) == 0)
    return 0;
  return fail_at(err, kv->value->file, kv->line,
                 "'%s' must be a duration such as \"250ms\" or \"2s\"", key);
}

static int parse_cycle(weft__upolicy_t *p, const weft__toml_t *c,
                       weft_error_t *err) {
  static const char *const keys[] = {"min_interval", "deadline", "max_memory",
                                     "max_per_step", NULL};
  uint64_t ns = p->min_interval_ms * 1000000;
  int rc = weft__toml_check_keys(c, keys, err);
  if (rc == 0)
    rc = get_duration_ns(c, "min_interval", &ns, err);
  p->min_interval_ms = ns / 1000000;
  if (rc == 0)
    rc = get_duration_ns(c, "deadline", &p->deadline_ns, err);
  if (rc < 0)
    return rc;
  if (p->deadline_ns == 0)
    return fail_at(err, c->file, weft__toml_get_kv(c, "deadline")->line,
                   "'%s' must be more than 0", "deadline");
  const weft__toml_kv_t *kv = weft__toml_get_kv(c, "max_memory");
  if (kv && (kv->value->type != WEFT__TOML_STRING ||
             weft__parse_size(kv->value->u.string.ptr, &p->max_memory) < 0 ||
             p->max_memory < 65536))
    return fail_at(err, c->file, kv->line,
                   "'%s' must be a size of at least \"64KiB\"", "max_memory");
  int64_t n;
  rc = weft__toml_get_int(c, "max_per_step", &n, err);
  if (rc == WEFT_EINVAL)
    return rc;
  if (rc == 0) {
    if (n < 1 || n > 1000000)
      return fail_at(err, c->file,
                     weft__toml_get_kv(c, "max_per_step")->line,
                     "'%s' must be between 1 and 1000000", "max_per_step");
    p->max_per_step = (uint32_t)n;
  }
  return 0;
}

static int parse_key_rule(weft__upolicy_t *p, const weft__toml_kv_t *kv,
                          const weft__uschema_t *schema,
                          weft__ukeyrule_t *r, weft_error_t *err) {
  static const char *const keys[] = {"immutable", "monotonic", "max_change",
                                     "owner_only", NULL};
  const weft__toml_t *t = kv->value;
  int rc = weft__toml_expect(t, WEFT__TOML_TABLE, kv->key, err);
  if (rc == 0)
    rc = weft__toml_check_keys(t, keys, err);
  r->key = kv->key;
  r->line = kv->line;
  bool *flags[] = {&r->immutable, &r->monotonic, &r->owner_only};
  const char *names[] = {"immutable", "monotonic", "owner_only"};
  for (int i = 0; rc == 0 && i < 3; i++)
    if ((rc = weft__toml_get_bool(t, names[i], flags[i], err)) ==
        WEFT_ENOTFOUND)
      rc = 0;
  int64_t mc;
  if (rc == 0 && (rc = weft__toml_get_int(t, "max_change", &mc, err)) == 0) {
    if (mc < 0)
      return fail_at(err, t->file, weft__toml_get_kv(t, "max_change")->line,
                     "'%s' must not be negative", "max_change");
    r->has_max_change = true;
    r->max_change = (uint64_t)mc;
  } else if (rc == WEFT_ENOTFOUND) {
    rc = 0;
  }
  if (rc < 0)
    return rc;
  (void)p;
  if (schema) {
    const weft__ukeydef_t *d = weft__uschema_key(schema, kv->key);
    if (!d)
      return fail_at(err, t->file, kv->line,
                     "the schema has no key '%s'", kv->key);
    if ((r->monotonic || r->has_max_change) && d->type.type != WEFT__UV_INT)
      return fail_at(err, t->file, kv->line,
                     "'%s': monotonic and max_change need an integer key",
                     kv->key);
  }
  return 0;
}

/* See unit.h. */
int weft__upolicy_parse(const char *text, size_t len, const char *name,
                        const weft__uschema_t *schema,
                        weft__upolicy_t **out, weft_error_t *err) {
  static const char *const top[] = {"hosts", "admins", "cycle", "messages",
                                    "keys", NULL};
  *out = NULL;
  weft__upolicy_t *p = calloc(1, sizeof *p);
  if (!p)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  p->deadline_ns = 1000000000ull;
  p->max_memory = 64ull << 20;
  p->max_per_step = 1;
  const weft__toml_t *t;
  int rc = weft__toml_parse(text, len, name, &p->root, err);
  if (rc == 0)
    rc = weft__toml_check_keys(p->root, top, err);
  if (rc == 0)
    rc = parse_who(p, p->root, "hosts", true, false, &p->hosts, err);
  if (rc == 0)
    rc = parse_who(p, p->root, "admins", false, true, &p->admins, err);
  if (rc == 0 && weft__toml_get(p->root, "cycle") &&
      (rc = weft__toml_get_table(p->root, "cycle", &t, err)) == 0)
    rc = parse_cycle(p, t, err);
  if (rc == 0 && weft__toml_get(p->root, "messages") &&
      (rc = weft__toml_get_table(p->root, "messages", &t, err)) == 0) {
    p->nmsgs = weft__toml_table_len(t);
    p->msgs = weft__arena_calloc(&p->arena, p->nmsgs ? p->nmsgs : 1,
                                 sizeof *p->msgs);
    if (!p->msgs)
      rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
    static const char *const mkeys[] = {"senders", NULL};
    for (size_t i = 0; rc == 0 && i < p->nmsgs; i++) {
      const weft__toml_kv_t *kv = weft__toml_table_at(t, i);
      p->msgs[i].kind = kv->key;
      rc = weft__toml_expect(kv->value, WEFT__TOML_TABLE, kv->key, err);
      if (rc == 0)
        rc = weft__toml_check_keys(kv->value, mkeys, err);
      if (rc == 0)
        rc = parse_who(p, kv->value, "senders", false, true,
                       &p->msgs[i].senders, err);
    }
  }
  if (rc == 0 && weft__toml_get(p->root, "keys") &&
      (rc = weft__toml_get_table(p->root, "keys", &t, err)) == 0) {
    p->nkeys = weft__toml_table_len(t);
    p->keys = weft__arena_calloc(&p->arena, p->nkeys ? p->nkeys : 1,
                                 sizeof *p->keys);
    if (!p->keys)
      rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
    for (size_t i = 0; rc == 0 && i < p->nkeys; i++)
      rc = parse_key_rule(p, weft__toml_table_at(t, i), schema, &p->keys[i],
                          err);
  }
  if (rc < 0) {
    weft__upolicy_free(p);
    return rc;
  }
  if (err)
    memset(err, 0, sizeof *err);
  *out = p;
  return 0;
}

/* See unit.h. */
void weft__upolicy_free(weft__upolicy_t *p) {
  if (!p)
    return;
  weft__toml_free(p->root);
  weft__arena_release(&p->arena);
  free(p);
}

/* See unit.h. */
bool weft__uwho_has(const weft__uwho_t *who, const uint8_t *owner,
                    const uint8_t *pk) {
  if (who->any)
    return true;
  if (who->owner && owner && !memcmp(owner, pk, WEFT__PK_LEN))
    return true;
  for (size_t i = 0; i < who->n; i++)
    if (!memcmp(who->keys[i], pk, WEFT__PK_LEN))
      return true;
  return false;
}

/* See unit.h. */
bool weft__upolicy_may_send(const weft__upolicy_t *p, const uint8_t *owner,
                            const char *kind, const uint8_t *sender) {
  for (size_t i = 0; i < p->nmsgs; i++)
    if (!strcmp(p->msgs[i].kind, kind))
      return weft__uwho_has(&p->msgs[i].senders, owner, sender);
  return false;
}

/* See unit.h. */
const weft__ukeyrule_t *weft__upolicy_key(const weft__upolicy_t *p,
                                          const char *key) {
  for (size_t i = 0; p && i < p->nkeys; i++)
    if (!strcmp(p->keys[i].key, key))
      return &p->keys[i];
  return NULL;
}

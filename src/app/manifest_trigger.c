/* manifest_trigger.c - the [trigger] table: [[trigger.http]],
 * [[trigger.timer]], [[trigger.redis]] and [[trigger.<other>]] entries,
 * their components (named or inline), duplicate routes, and the ids Spin
 * generates for triggers and inline components. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "app/manifest_int.h"
#include "app/route.h"

/* component: the id of a [component.<id>], or an inline component table,
 * read at once (so its errors come in file order) and named later. */
static int read_component_ref(weft__mf_ctx_t *c, const weft__toml_kv_t *kv,
                              void *obj) {
  weft__manifest_trigger_t *t = obj;
  weft__manifest_t *m = c->m;
  const weft__toml_t *v = kv->value;
  char shown[96];
  size_t i;
  if (v->type == WEFT__TOML_STRING) {
    for (i = 0; i < m->components_len; i++)
      if (m->components[i].id && !m->components[i].is_inline &&
          strlen(m->components[i].id) == v->u.string.len &&
          !memcmp(m->components[i].id, v->u.string.ptr, v->u.string.len)) {
        t->component = i;
        t->component_id = m->components[i].id;
        return 0;
      }
    return weft__mf_fail(c, WEFT_EINVAL, kv->line,
                         "component '%s' is not defined",
                         weft__str_show(v->u.string.ptr, v->u.string.len,
                                       shown, sizeof shown));
  }
  if (v->type == WEFT__TOML_TABLE) {
    weft__manifest_component_t *comp = &m->components[m->components_len];
    comp->is_inline = true;
    comp->loc = weft__mf_loc(c, v->line);
    t->component = m->components_len++;
    return weft__mf_component(c, v, comp);
  }
  return weft__mf_fail(c, WEFT_EINVAL, kv->line,
                       "'component' must be a string or a table");
}

/* The private form of a route. */
typedef struct private_route {
  bool is_private;
} private_route_t;

static const weft__mf_key_t private_keys[] = {
    {"private", WEFT__MF_BOOL, offsetof(private_route_t, is_private), true,
     NULL, NULL},
    {NULL, 0, 0, false, NULL, NULL}};

/* route: a route string, or { private = true }. A route equal to an
 * earlier one once normalised is an error naming both lines. */
static int read_route(weft__mf_ctx_t *c, const weft__toml_kv_t *kv,
                      void *obj) {
  weft__manifest_trigger_t *t = obj;
  weft__manifest_t *m = c->m;
  const char *why, *route;
  char shown[96];
  weft__buf_t key;
  size_t i, idx = (size_t)(t - m->triggers);
  int rc;
  t->u.http.route_loc = weft__mf_loc(c, kv->line);
  if (kv->value->type == WEFT__TOML_TABLE) {
    private_route_t p = {false};
    if ((rc = weft__mf_read(c, kv->value, private_keys, &p)))
      return rc;
    if (!p.is_private)
      return weft__mf_fail(c, WEFT_EINVAL, kv->line,
                           "'route' must be a string or { private = true }");
    t->u.http.is_private = true;
    return 0;
  }
  if (kv->value->type != WEFT__TOML_STRING)
    return weft__mf_fail(c, WEFT_EINVAL, kv->line,
                         "'route' must be a string or { private = true }");
  if ((rc = weft__mf_string(c, kv->value, "route", kv->line, &route)))
    return rc;
  weft__str_show(route, strlen(route), shown, sizeof shown);
  if (!weft__route_check(route, false, &why))
    return weft__mf_fail(c, WEFT_EINVAL, kv->line, "invalid route '%s': %s",
                         shown, why);
  if (!strncmp(route, "/.well-known/spin", 17) &&
      (route[17] == 0 || route[17] == '/'))
    return weft__mf_fail(c, WEFT_EINVAL, kv->line,
                         "route '%s' is reserved for the host", shown);
  t->u.http.route = route;
  weft__buf_init(&key);
  if (weft__route_key(route, &key) ||
      !(c->route_keys[idx] =
            weft__arena_strndup(&m->arena, key.data, key.len))) {
    weft__buf_release(&key);
    return weft__mf_nomem(c);
  }
  weft__buf_release(&key);
  for (i = 0; i < idx; i++)
    if (c->route_keys[i] && !strcmp(c->route_keys[i], c->route_keys[idx]))
      return weft__mf_fail(c, WEFT_EINVAL, kv->line,
                           "duplicate route '%s' (also at line %d)", shown,
                           m->triggers[i].u.http.route_loc.line);
  return 0;
}

/* An HTTP executor: { type = "spin" } or
 * { type = "wagi", argv, entrypoint }. */
typedef struct executor {
  const char *type, *argv, *entrypoint;
} executor_t;

static const weft__mf_key_t executor_keys[] = {
    {"type", WEFT__MF_STR, offsetof(executor_t, type), true, NULL, NULL},
    {"argv", WEFT__MF_STR, offsetof(executor_t, argv), false, NULL, NULL},
    {"entrypoint", WEFT__MF_STR, offsetof(executor_t, entrypoint), false, NULL,
     NULL},
    {NULL, 0, 0, false, NULL, NULL}};

/* executor = { type = ... }. */
static int read_executor(weft__mf_ctx_t *c, const weft__toml_kv_t *kv,
                         void *obj) {
  weft__manifest_trigger_t *t = obj;
  executor_t e = {NULL, NULL, NULL};
  char shown[96];
  int rc;
  if (kv->value->type != WEFT__TOML_TABLE)
    return weft__mf_fail(c, WEFT_EINVAL, kv->line,
                         "'executor' must be a table");
  if ((rc = weft__mf_read(c, kv->value, executor_keys, &e)))
    return rc;
  if (strcmp(e.type, "spin") && strcmp(e.type, "wagi"))
    return weft__mf_fail(c, WEFT_EINVAL, kv->line,
                         "unknown executor type '%s': use \"spin\" or "
                         "\"wagi\"",
                         weft__str_show(e.type, strlen(e.type), shown,
                                       sizeof shown));
  if (!strcmp(e.type, "spin") && (e.argv || e.entrypoint))
    return weft__mf_fail(c, WEFT_EINVAL, kv->line,
                         "'%s' needs executor type \"wagi\"",
                         e.argv ? "argv" : "entrypoint");
  t->u.http.executor = e.type;
  t->u.http.argv = e.argv;
  t->u.http.entrypoint = e.entrypoint;
  t->u.http.executor_table = kv->value;
  return 0;
}

#define TRIGGER_COMMON                                                       \
  {"id", WEFT__MF_STR, offsetof(weft__manifest_trigger_t, id), false, NULL,  \
   NULL},                                                                    \
  {                                                                          \
    "component", WEFT__MF_CUSTOM, 0, true, read_component_ref, NULL          \
  }

static const weft__mf_key_t http_keys[] = {
    TRIGGER_COMMON,
    {"route", WEFT__MF_CUSTOM, 0, true, read_route, NULL},
    {"executor", WEFT__MF_CUSTOM, 0, false, read_executor, NULL},
    {"static_response", WEFT__MF_UNSUPPORTED, 0, false, NULL, NULL},
    {"components", WEFT__MF_UNSUPPORTED, 0, false, NULL, NULL},
    {NULL, 0, 0, false, NULL, NULL}};

static const weft__mf_key_t timer_keys[] = {
    TRIGGER_COMMON,
    {"interval_secs", WEFT__MF_INT,
     offsetof(weft__manifest_trigger_t, u.timer.interval_secs), true, NULL,
     NULL},
    {NULL, 0, 0, false, NULL, NULL}};

static const weft__mf_key_t redis_keys[] = {
    TRIGGER_COMMON,
    {"channel", WEFT__MF_STR, offsetof(weft__manifest_trigger_t,
                                       u.redis.channel),
     true, NULL, NULL},
    {"address", WEFT__MF_STR, offsetof(weft__manifest_trigger_t,
                                       u.redis.address),
     false, NULL, NULL},
    {"components", WEFT__MF_UNSUPPORTED, 0, false, NULL, NULL},
    {NULL, 0, 0, false, NULL, NULL}};

/* A trigger of another type: only id and component are Weft's business;
 * the rest belongs to its executor. */
static int read_other(weft__mf_ctx_t *c, const weft__toml_t *table,
                      weft__manifest_trigger_t *t) {
  const weft__toml_kv_t *kv;
  weft__buf_t where;
  int rc;
  if ((kv = weft__toml_get_kv(table, "id")) &&
      (rc = weft__mf_string(c, kv->value, "id", kv->line, &t->id)))
    return rc;
  if ((kv = weft__toml_get_kv(table, "component")))
    return read_component_ref(c, kv, t);
  weft__buf_init(&where);
  rc = weft__mf_where(table, &where)
           ? weft__mf_nomem(c)
           : weft__mf_fail(c, WEFT_EINVAL, table->line,
                           "missing key 'component' in %s", where.data);
  weft__buf_release(&where);
  return rc;
}

/* Read one [[trigger.<type>]] entry `table` into `t`. */
weft__trigger_kind_t weft__manifest_trigger_kind(const char *type) {
  return !strcmp(type, "http")    ? WEFT__TRIGGER_HTTP
         : !strcmp(type, "timer") ? WEFT__TRIGGER_TIMER
         : !strcmp(type, "redis") ? WEFT__TRIGGER_REDIS
                                  : WEFT__TRIGGER_OTHER;
}

static int read_trigger(weft__mf_ctx_t *c, const char *type,
                        const weft__toml_t *table,
                        weft__manifest_trigger_t *t) {
  const weft__toml_kv_t *kv;
  size_t i;
  int rc;
  t->type = type;
  t->table = table;
  t->loc = weft__mf_loc(c, table->line);
  t->component = SIZE_MAX;
  t->kind = weft__manifest_trigger_kind(type);
  if (t->kind == WEFT__TRIGGER_HTTP) {
    t->u.http.executor = "spin";
    rc = weft__mf_read(c, table, http_keys, t);
  } else if (t->kind == WEFT__TRIGGER_TIMER) {
    rc = weft__mf_read(c, table, timer_keys, t);
    if (!rc && t->u.timer.interval_secs <= 0)
      rc = weft__mf_fail(c, WEFT_EINVAL,
                         weft__toml_get_kv(table, "interval_secs")->line,
                         "'interval_secs' must be greater than 0");
  } else if (t->kind == WEFT__TRIGGER_REDIS) {
    if ((rc = weft__mf_read(c, table, redis_keys, t)))
      return rc;
    if ((rc = weft__mf_check_template(
             c, t->u.redis.channel, weft__toml_get_kv(table, "channel")->line,
             "channel")))
      return rc;
    if ((kv = weft__toml_get_kv(table, "address")))
      rc = weft__mf_check_template(c, t->u.redis.address, kv->line,
                                   "address");
    else if (!(t->u.redis.address = c->m->app.redis_address))
      rc = weft__mf_fail(c, WEFT_EINVAL, table->line,
                         "[[trigger.redis]] has no 'address' and there is "
                         "no [application.trigger.redis] address");
  } else {
    rc = read_other(c, table, t);
  }
  if (rc || !t->id)
    return rc;
  if (!t->id[0])
    return weft__mf_fail(c, WEFT_EINVAL, weft__toml_get_kv(table, "id")->line,
                         "'id' is empty");
  for (i = 0; &c->m->triggers[i] != t; i++)
    if (c->m->triggers[i].id && !strcmp(c->m->triggers[i].id, t->id))
      return weft__mf_fail(c, WEFT_EINVAL,
                           weft__toml_get_kv(table, "id")->line,
                           "duplicate trigger id '%s' (also at line %d)",
                           t->id, c->m->triggers[i].loc.line);
  return 0;
}

/* True if some trigger already has id `id`. */
static bool trigger_id_taken(const weft__manifest_t *m, const char *id) {
  size_t i;
  for (i = 0; i < m->triggers_len; i++)
    if (m->triggers[i].id && !strcmp(m->triggers[i].id, id))
      return true;
  return false;
}

/* A copy of the text in `b` in the arena, or NULL. */
static const char *keep(weft__manifest_t *m, const weft__buf_t *b) {
  return weft__arena_strndup(&m->arena, b->data, b->len);
}

/* Give triggers without an id the one Spin would: "<component>-<type>-
 * trigger" for a named component when free, else "<type>-trigger<n>" with
 * the smallest free n (counted per type). */
static int name_triggers(weft__mf_ctx_t *c) {
  weft__manifest_t *m = c->m;
  size_t i, counter = 1;
  weft__buf_t b;
  int rc = 0;
  weft__buf_init(&b);
  for (i = 0; i < m->triggers_len && !rc; i++) {
    weft__manifest_trigger_t *t = &m->triggers[i];
    if (i == 0 || strcmp(t->type, m->triggers[i - 1].type))
      counter = 1;
    if (t->id)
      continue;
    b.len = 0;
    if (!m->components[t->component].is_inline) {
      if (weft__buf_printf(&b, "%s-%s-trigger", t->component_id, t->type)) {
        rc = weft__mf_nomem(c);
        break;
      }
      if (!trigger_id_taken(m, b.data)) {
        if (!(t->id = keep(m, &b)))
          rc = weft__mf_nomem(c);
        continue;
      }
    }
    for (;; counter++) {
      b.len = 0;
      if (weft__buf_printf(&b, "%s-trigger%zu", t->type, counter)) {
        rc = weft__mf_nomem(c);
        break;
      }
      if (!trigger_id_taken(m, b.data))
        break;
    }
    if (!rc && !(t->id = keep(m, &b)))
      rc = weft__mf_nomem(c);
  }
  weft__buf_release(&b);
  return rc;
}

/* Name inline components as Spin does: "<trigger id>-component" when that
 * is a valid, unused component id, else "inline-component<n>". */
static int name_inline_components(weft__mf_ctx_t *c) {
  weft__manifest_t *m = c->m;
  size_t i, counter;
  weft__buf_t b;
  int rc = 0;
  weft__buf_init(&b);
  for (i = 0; i < m->triggers_len && !rc; i++) {
    weft__manifest_trigger_t *t = &m->triggers[i];
    weft__manifest_component_t *comp = &m->components[t->component];
    if (!comp->is_inline)
      continue;
    b.len = 0;
    if (weft__buf_printf(&b, "%s-component", t->id)) {
      rc = weft__mf_nomem(c);
      break;
    }
    for (counter = 1;
         !weft__manifest_valid_id(b.data, b.len, false) ||
         weft__manifest_component(m, b.data);
         counter++) {
      b.len = 0;
      if (weft__buf_printf(&b, "inline-component%zu", counter)) {
        rc = weft__mf_nomem(c);
        break;
      }
    }
    if (!rc && !(comp->id = keep(m, &b)))
      rc = weft__mf_nomem(c);
    t->component_id = comp->id;
  }
  weft__buf_release(&b);
  return rc;
}

/* See manifest_int.h. */
int weft__mf_triggers(weft__mf_ctx_t *c, const weft__toml_t *trigger) {
  weft__manifest_t *m = c->m;
  size_t i, j, n = 0;
  char shown[96];
  int rc;
  for (i = 0; i < weft__toml_table_len(trigger); i++)
    n += weft__toml_array_len(weft__toml_table_at(trigger, i)->value);
  m->triggers = weft__arena_calloc(&m->arena, n ? n : 1, sizeof *m->triggers);
  c->route_keys = weft__arena_calloc(&m->arena, n ? n : 1,
                                     sizeof *c->route_keys);
  if (!m->triggers || !c->route_keys)
    return weft__mf_nomem(c);
  for (i = 0; i < weft__toml_table_len(trigger); i++) {
    const weft__toml_kv_t *kv = weft__toml_table_at(trigger, i);
    const weft__toml_t *v = kv->value;
    bool tables = v->type == WEFT__TOML_ARRAY;
    weft__str_show(kv->key, kv->key_len, shown, sizeof shown);
    if (memchr(kv->key, 0, kv->key_len) || strlen(kv->key) > 64 ||
        !(kv->key[0] >= 'a' && kv->key[0] <= 'z') ||
        strspn(kv->key, "abcdefghijklmnopqrstuvwxyz0123456789-_") !=
            kv->key_len)
      return weft__mf_fail(c, WEFT_EINVAL, kv->line,
                           "invalid trigger type '%s': use lowercase "
                           "letters, digits, '-' and '_'",
                           shown);
    for (j = 0; tables && j < weft__toml_array_len(v); j++)
      tables = weft__toml_array_at(v, j)->type == WEFT__TOML_TABLE;
    if (!tables)
      return weft__mf_fail(c, WEFT_EINVAL, kv->line,
                           "'trigger.%s' must be an array of tables: write "
                           "[[trigger.%s]]",
                           shown, shown);
    for (j = 0; j < weft__toml_array_len(v); j++) {
      weft__manifest_trigger_t *t = &m->triggers[m->triggers_len];
      if ((rc = read_trigger(c, kv->key, weft__toml_array_at(v, j), t)))
        return rc;
      m->triggers_len++;
    }
  }
  if ((rc = name_triggers(c)) || (rc = name_inline_components(c)))
    return rc;
  return 0;
}

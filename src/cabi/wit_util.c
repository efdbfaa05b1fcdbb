/* wit_util.c - the WIT model's arena, name maps, errors and lookups. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cabi/wit_int.h"

/* ---- arena -------------------------------------------------------------- */

#define CHUNK_SIZE ((size_t)64 << 10)

struct wit_chunk {
  struct wit_chunk *next;
  size_t used, cap;
  max_align_t data[];
};

void *weft__wit_alloc(wit_ctx_t *c, size_t n) {
  struct wit_chunk *k = c->arena;
  size_t align = sizeof(max_align_t);
  void *p;
  if (n == 0)
    n = 1;
  if (n > SIZE_MAX / 2)
    return NULL;
  n = (n + align - 1) / align * align;
  if (c->budget && (n > c->budget || c->used > c->budget - n))
    return NULL;
  c->used += n;
  if (!k || k->cap - k->used < n) {
    size_t cap = n > CHUNK_SIZE / 2 ? n : CHUNK_SIZE;
    k = malloc(sizeof *k + cap);
    if (!k)
      return NULL;
    k->used = 0;
    k->cap = cap;
    if (c->arena && cap != CHUNK_SIZE) {
      /* A big block goes behind the current chunk, which stays open. */
      k->next = c->arena->next;
      c->arena->next = k;
    } else {
      k->next = c->arena;
      c->arena = k;
    }
  }
  p = (char *)k->data + k->used;
  k->used += n;
  memset(p, 0, n);
  return p;
}

char *weft__wit_strndup(wit_ctx_t *c, const char *s, size_t n) {
  char *p = weft__wit_alloc(c, n + 1);
  if (p && n)
    memcpy(p, s, n);
  return p;
}

char *weft__wit_strdup(wit_ctx_t *c, const char *s) {
  return weft__wit_strndup(c, s, strlen(s));
}

int weft__wit_reserve(wit_ctx_t *c, void *arrp, size_t n, size_t size) {
  void *old, *p;
  size_t cap;
  if (n != 0 && (n < 4 || (n & (n - 1)) != 0))
    return 0;
  cap = n ? n * 2 : 4;
  if (cap > SIZE_MAX / size)
    return -1;
  p = weft__wit_alloc(c, cap * size);
  if (!p)
    return -1;
  memcpy(&old, arrp, sizeof old);
  if (n)
    memcpy(p, old, n * size);
  memcpy(arrp, &p, sizeof p);
  return 0;
}

/* ---- maps --------------------------------------------------------------- */

/* FNV-1a of `s` folded to lower case. */
static size_t hash(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++) {
    unsigned ch = (unsigned char)*s;
    if (ch >= 'A' && ch <= 'Z')
      ch += 'a' - 'A';
    h = (h ^ ch) * 1099511628211ull;
  }
  return (size_t)h;
}

const wit_map_ent_t *weft__wit_map_find(const wit_map_t *m, const char *key) {
  size_t i;
  if (!m->cap)
    return NULL;
  for (i = hash(key) & (m->cap - 1); m->ents[i].key;
       i = (i + 1) & (m->cap - 1))
    if (!strcasecmp(m->ents[i].key, key))
      return &m->ents[i];
  return NULL;
}

const wit_map_ent_t *weft__wit_map_get(const wit_map_t *m, const char *key) {
  const wit_map_ent_t *e = weft__wit_map_find(m, key);
  return e && !strcmp(e->key, key) ? e : NULL;
}

/* Put `e` into the table `ents` of `cap` slots (known to be absent). */
static void place(wit_map_ent_t *ents, size_t cap, const wit_map_ent_t *e) {
  size_t i;
  for (i = hash(e->key) & (cap - 1); ents[i].key; i = (i + 1) & (cap - 1))
    ;
  ents[i] = *e;
}

int weft__wit_map_put(wit_ctx_t *c, wit_map_t *m, const char *key, int kind,
                      void *val, const wit_map_ent_t **old) {
  const wit_map_ent_t *e = weft__wit_map_find(m, key);
  wit_map_ent_t ent;
  if (e) {
    if (old)
      *old = e;
    return 1;
  }
  if ((m->n + 1) * 2 > m->cap) {
    size_t cap = m->cap ? m->cap * 2 : 16, i;
    wit_map_ent_t *ents;
    if (cap > SIZE_MAX / sizeof *ents)
      return -1;
    ents = weft__wit_alloc(c, cap * sizeof *ents);
    if (!ents)
      return -1;
    for (i = 0; i < m->cap; i++)
      if (m->ents[i].key)
        place(ents, cap, &m->ents[i]);
    m->ents = ents;
    m->cap = cap;
  }
  ent.key = key;
  ent.kind = kind;
  ent.val = val;
  place(m->ents, m->cap, &ent);
  m->n++;
  return 0;
}

/* ---- errors ------------------------------------------------------------- */

int weft__wit_fail(wit_ctx_t *c, int code, const char *file, int line,
                   int col, const char *fmt, ...) {
  char msg[256];
  va_list ap;
  if (c->rc)
    return c->rc;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  c->rc = code;
  if (file)
    WEFT_ERR(c->err, code, "%s:%d:%d: %s", file, line, col, msg);
  else
    WEFT_ERR(c->err, code, "%s", msg);
  return code;
}

int weft__wit_nomem(wit_ctx_t *c) {
  return weft__wit_fail(c, WEFT_ENOMEM, NULL, 0, 0, "out of memory");
}

/* ---- names and nodes ---------------------------------------------------- */

weft__wit_type_t *weft__wit_type_new(wit_ctx_t *c, weft__wit_kind_t kind,
                                     const char *file, int line, int col) {
  weft__wit_type_t *t = weft__wit_alloc(c, sizeof *t);
  if (!t || WIT_PUSH(c, c->types, c->ntypes, t)) {
    weft__wit_nomem(c);
    return NULL;
  }
  t->kind = kind;
  t->file = file;
  t->line = line;
  t->col = col;
  return t;
}

weft__wit_type_t *weft__wit_prim(wit_ctx_t *c, weft__wit_kind_t kind) {
  if (!c->prims[kind]) {
    weft__wit_type_t *t = weft__wit_alloc(c, sizeof *t);
    if (!t) {
      weft__wit_nomem(c);
      return NULL;
    }
    t->kind = kind;
    c->prims[kind] = t;
  }
  return c->prims[kind];
}

char *weft__wit_pkg_id(wit_ctx_t *c, const char *ns, const char *name,
                       const char *version) {
  size_t a = strlen(ns), b = strlen(name), v = version ? strlen(version) : 0;
  char *s = weft__wit_alloc(c, a + b + v + 3);
  if (!s)
    return NULL;
  memcpy(s, ns, a);
  s[a] = ':';
  memcpy(s + a + 1, name, b);
  if (version) {
    s[a + 1 + b] = '@';
    memcpy(s + a + b + 2, version, v);
  }
  return s;
}

const char *weft__wit_kind_name(weft__wit_kind_t kind) {
  static const char *const names[] = {
      "?",      "bool",   "s8",      "u8",     "s16",   "u16",
      "s32",    "u32",    "s64",     "u64",    "f32",   "f64",
      "char",   "string", "list",    "option", "result", "tuple",
      "record", "variant", "enum",   "flags",  "resource", "own",
      "borrow", "future", "stream",  "alias",  "unresolved"};
  if ((size_t)kind >= sizeof names / sizeof names[0])
    return "?";
  return names[kind];
}

bool weft__wit_is_primitive(weft__wit_kind_t kind) {
  return kind >= WEFT__WIT_BOOL && kind <= WEFT__WIT_STRING;
}

const weft__wit_type_t *weft__wit_unalias(const weft__wit_type_t *t) {
  int guard = 0;
  while (t && t->kind == WEFT__WIT_ALIAS && t->n == 1 && t->m[0].type &&
         guard++ < WEFT__WIT_MAX_CHAIN)
    t = t->m[0].type;
  return t;
}

/* ---- the model ---------------------------------------------------------- */

weft__wit_t *weft__wit_new(void) {
  wit_ctx_t *c = calloc(1, sizeof *c);
  if (!c)
    return NULL;
  c->pub.priv_ = c;
  return &c->pub;
}

void weft__wit_set_budget(weft__wit_t *w, size_t bytes) {
  ((wit_ctx_t *)w->priv_)->budget = bytes;
}

void weft__wit_free(weft__wit_t *w) {
  wit_ctx_t *c;
  struct wit_chunk *k, *next;
  if (!w)
    return;
  c = w->priv_;
  for (k = c->arena; k; k = next) {
    next = k->next;
    free(k);
  }
  free(c);
}

/* True if s[0..n) equals the NUL-terminated `z`. */
static bool eqn(const char *s, size_t n, const char *z) {
  return strlen(z) == n && !strncmp(s, z, n);
}

/* The package `ns:name` (version `version` of `vlen` bytes, or when
 * `version` is NULL the unversioned or the only one) among w's packages,
 * or NULL. */
static const weft__wit_pkg_t *find_pkg(const weft__wit_t *w, const char *ns,
                                       size_t nslen, const char *name,
                                       size_t namelen, const char *version,
                                       size_t vlen) {
  const weft__wit_pkg_t *found = NULL;
  size_t i, count = 0;
  for (i = 0; i < w->npkgs; i++) {
    const weft__wit_pkg_t *p = w->pkgs[i];
    if (!eqn(ns, nslen, p->ns) || !eqn(name, namelen, p->name))
      continue;
    if (version) {
      if (p->version && eqn(version, vlen, p->version))
        return p;
      continue;
    }
    if (!p->version)
      return p;
    found = p;
    count++;
  }
  return count == 1 ? found : NULL;
}

/* Split "ns:pkg/item@version" (or "item") and find the package and item
 * name; *item points into `s`, *itemlen excludes the version. */
static const weft__wit_pkg_t *split(const weft__wit_t *w, const char *s,
                                    const char **item, size_t *itemlen) {
  const char *colon = strchr(s, ':'), *slash, *at;
  if (!colon) {
    *item = s;
    *itemlen = strlen(s);
    return w->root;
  }
  slash = strchr(colon, '/');
  if (!slash)
    return NULL;
  at = strchr(slash, '@');
  *item = slash + 1;
  *itemlen = at ? (size_t)(at - slash - 1) : strlen(slash + 1);
  return find_pkg(w, s, (size_t)(colon - s), colon + 1,
                  (size_t)(slash - colon - 1), at ? at + 1 : NULL,
                  at ? strlen(at + 1) : 0);
}

const weft__wit_world_t *weft__wit_world(const weft__wit_t *w,
                                         const char *name, weft_error_t *err) {
  const weft__wit_pkg_t *p = w->root;
  const char *item;
  size_t len, i;
  if (!p) {
    WEFT_ERR(err, WEFT_ENOTFOUND, "no package was resolved");
    return NULL;
  }
  if (!name) {
    weft__buf_t b;
    if (p->nworlds == 1)
      return p->worlds[0];
    if (p->nworlds == 0) {
      WEFT_ERR(err, WEFT_ENOTFOUND, "package '%s' has no world", p->id);
      return NULL;
    }
    weft__buf_init(&b);
    for (i = 0; i < p->nworlds; i++)
      weft__buf_printf(&b, "%s'%s'", i ? ", " : "", p->worlds[i]->name);
    WEFT_ERR(err, WEFT_ENOTFOUND,
             "package '%s' has %zu worlds, choose one of %s", p->id,
             p->nworlds, b.data ? b.data : "");
    weft__buf_release(&b);
    return NULL;
  }
  p = split(w, name, &item, &len);
  for (i = 0; p && i < p->nworlds; i++)
    if (eqn(item, len, p->worlds[i]->name))
      return p->worlds[i];
  WEFT_ERR(err, WEFT_ENOTFOUND, "unknown world '%s'", name);
  return NULL;
}

const weft__wit_iface_t *weft__wit_interface(const weft__wit_t *w,
                                             const char *name) {
  const char *item;
  size_t len, i;
  const weft__wit_pkg_t *p = split(w, name, &item, &len);
  for (i = 0; p && i < p->nifaces; i++)
    if (eqn(item, len, p->ifaces[i]->name))
      return p->ifaces[i];
  return NULL;
}

const weft__wit_type_t *weft__wit_iface_type(const weft__wit_iface_t *iface,
                                             const char *name) {
  size_t i;
  for (i = 0; i < iface->ntypes; i++)
    if (!strcmp(iface->types[i]->name, name))
      return iface->types[i];
  return NULL;
}

const weft__wit_func_t *weft__wit_iface_func(const weft__wit_iface_t *iface,
                                             const char *name) {
  size_t i;
  for (i = 0; i < iface->nfuncs; i++)
    if (!strcmp(iface->funcs[i]->abi_name, name))
      return iface->funcs[i];
  return NULL;
}

/* The item named `name` among `n` items. */
static const weft__wit_item_t *find_item(const weft__wit_item_t *items,
                                         size_t n, const char *name) {
  size_t i;
  for (i = 0; i < n; i++)
    if (!strcmp(items[i].name, name))
      return &items[i];
  return NULL;
}

const weft__wit_item_t *weft__wit_import(const weft__wit_world_t *world,
                                         const char *name) {
  return find_item(world->imports, world->nimports, name);
}

const weft__wit_item_t *weft__wit_export(const weft__wit_world_t *world,
                                         const char *name) {
  return find_item(world->exports, world->nexports, name);
}

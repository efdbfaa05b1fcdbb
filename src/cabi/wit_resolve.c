/* wit_resolve.c - the WIT resolver: forms packages from the parsed units,
 * resolves top-level `use`s, `use` statements and type names, rejects
 * cycles among interfaces and among types, turns resource names into
 * owned handles, checks handles and function results, then lets
 * wit_world.c resolve the worlds.
 *
 * Names are first resolved to an edge from the UNRESOLVED node to its
 * target; once the graph is known to be acyclic, every pointer to an
 * UNRESOLVED node is replaced by its target, so the finished model has
 * none. Graph walks are recursive with a depth bounded by
 * WEFT__WIT_MAX_CHAIN.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cabi/wit_int.h"

enum { UNSEEN = 0, VISITING, DONE };

/* priv_ of a package: its interfaces and worlds by name. */
typedef struct pkg_priv {
  wit_map_t items;
} pkg_priv_t;

/* Error at `line`:`col` of `file`: a resolution failure. */
#define INVALID(c, file, line, col, ...) \
  weft__wit_fail((c), WEFT_EINVALID, (file), (line), (col), __VA_ARGS__)

const char *weft__wit_path_str(wit_ctx_t *c, const wit_path_t *path) {
  weft__buf_t b;
  char *s;
  if (!path->ns)
    return path->name;
  weft__buf_init(&b);
  weft__buf_printf(&b, "%s:%s/%s%s%s", path->ns, path->pkg, path->name,
                   path->version ? "@" : "",
                   path->version ? path->version : "");
  s = b.data ? weft__wit_strndup(c, b.data, b.len) : NULL;
  weft__buf_release(&b);
  return s ? s : path->name;
}

/* ---- packages ----------------------------------------------------------- */

/* The package ns:name[@version] as a path names it, or NULL after an
 * error. */
static weft__wit_pkg_t *lookup_pkg(wit_ctx_t *c, const wit_path_t *path) {
  weft__wit_pkg_t *found = NULL, *other = NULL;
  size_t i, count = 0;
  for (i = 0; i < c->pub.npkgs; i++) {
    weft__wit_pkg_t *p = c->pub.pkgs[i];
    if (strcmp(p->ns, path->ns) || strcmp(p->name, path->pkg))
      continue;
    other = p;
    if (path->version) {
      if (p->version && !strcmp(p->version, path->version))
        return p;
    } else if (!p->version) {
      return p;
    } else {
      found = p;
      count++;
    }
  }
  if (count == 1)
    return found;
  if (count > 1) {
    INVALID(c, path->file, path->line, path->col,
            "package '%s:%s' has several versions, name one", path->ns,
            path->pkg);
    return NULL;
  }
  if (other)
    INVALID(c, path->file, path->line, path->col,
            "unknown package '%s:%s%s%s' (there is '%s')", path->ns,
            path->pkg, path->version ? "@" : "",
            path->version ? path->version : "", other->id);
  else
    INVALID(c, path->file, path->line, path->col,
            "unknown package '%s:%s%s%s'", path->ns, path->pkg,
            path->version ? "@" : "", path->version ? path->version : "");
  return NULL;
}

/* Find `path` from `unit`, consulting the unit's top-level uses when
 * `tluses`; `want` is WIT_ENT_IFACE, WIT_ENT_WORLD or 0 for either (then
 * *kind says which). */
static void *find(wit_ctx_t *c, wit_unit_t *unit, const wit_path_t *path,
                  int want, bool tluses, int *kind) {
  const wit_map_ent_t *e = NULL;
  const char *what = want == WIT_ENT_WORLD ? "world" : "interface";
  int k;
  void *val;
  if (!path->ns) {
    if (tluses)
      e = weft__wit_map_get(&unit->use_map, path->name);
    if (e) {
      const wit_tluse_t *u = e->val;
      k = u->kind;
      val = u->target;
    } else {
      e = weft__wit_map_get(&((pkg_priv_t *)unit->pkg->priv_)->items,
                            path->name);
      if (!e) {
        INVALID(c, path->file, path->line, path->col, "unknown %s '%s'",
                what, path->name);
        return NULL;
      }
      k = e->kind;
      val = e->val;
    }
  } else {
    weft__wit_pkg_t *p = lookup_pkg(c, path);
    if (!p)
      return NULL;
    e = weft__wit_map_get(&((pkg_priv_t *)p->priv_)->items, path->name);
    if (!e) {
      INVALID(c, path->file, path->line, path->col,
              "unknown %s '%s' in package '%s'", what, path->name, p->id);
      return NULL;
    }
    k = e->kind;
    val = e->val;
  }
  if (want && k != want) {
    INVALID(c, path->file, path->line, path->col, "'%s' is %s, not %s",
            weft__wit_path_str(c, path),
            k == WIT_ENT_WORLD ? "a world" : "an interface",
            want == WIT_ENT_WORLD ? "a world" : "an interface");
    return NULL;
  }
  if (kind)
    *kind = k;
  return val;
}

void *weft__wit_find_path(wit_ctx_t *c, wit_unit_t *unit,
                          const wit_path_t *path, int want) {
  return find(c, unit, path, want, true, NULL);
}

/* A new package for unit `u` (which has a declaration); NULL after an
 * error. */
static weft__wit_pkg_t *new_pkg(wit_ctx_t *c, const wit_unit_t *u,
                                bool root) {
  weft__wit_pkg_t *p = weft__wit_alloc(c, sizeof *p);
  pkg_priv_t *pp = weft__wit_alloc(c, sizeof *pp);
  size_t i;
  if (!p || !pp) {
    weft__wit_nomem(c);
    return NULL;
  }
  p->ns = u->ns;
  p->name = u->name;
  p->version = u->version;
  p->root = root;
  p->docs = u->docs;
  p->file = u->file;
  p->line = u->line;
  p->col = u->col;
  p->priv_ = pp;
  if (!(p->id = weft__wit_pkg_id(c, p->ns, p->name, p->version))) {
    weft__wit_nomem(c);
    return NULL;
  }
  for (i = 0; i < c->pub.npkgs; i++)
    if (!strcmp(c->pub.pkgs[i]->id, p->id)) {
      INVALID(c, u->file, u->line, u->col, "package '%s' is defined twice",
              p->id);
      return NULL;
    }
  if (WIT_PUSH(c, c->pub.pkgs, c->pub.npkgs, p)) {
    weft__wit_nomem(c);
    return NULL;
  }
  return p;
}

/* True if the unit defines anything. */
static bool has_items(const wit_unit_t *u) {
  return u->nifaces || u->nworlds || u->nuses;
}

/* Add the interfaces and worlds of `u` to its package. */
static int add_items(wit_ctx_t *c, wit_unit_t *u) {
  weft__wit_pkg_t *p = u->pkg;
  pkg_priv_t *pp = p->priv_;
  size_t i;
  for (i = 0; i < u->nifaces; i++) {
    weft__wit_iface_t *f = u->ifaces[i];
    int r = weft__wit_map_put(c, &pp->items, f->name, WIT_ENT_IFACE, f,
                              NULL);
    size_t n = strlen(p->id) + strlen(f->name) + 2;
    char *q;
    if (r > 0)
      return INVALID(c, f->file, f->line, f->col, "'%s' is defined twice",
                     f->name);
    q = weft__wit_alloc(c, n);
    if (r < 0 || !q || WIT_PUSH(c, p->ifaces, p->nifaces, f))
      return weft__wit_nomem(c);
    snprintf(q, n, "%s:%s/%s%s%s", p->ns, p->name, f->name,
             p->version ? "@" : "", p->version ? p->version : "");
    f->pkg = p;
    f->qname = q;
  }
  for (i = 0; i < u->nworlds; i++) {
    weft__wit_world_t *w = u->worlds[i];
    wit_world_priv_t *wp = w->priv_;
    int r = weft__wit_map_put(c, &pp->items, w->name, WIT_ENT_WORLD, w,
                              NULL);
    size_t n = strlen(p->ns) + strlen(p->name) + strlen(w->name) +
               (p->version ? strlen(p->version) : 0) + 4, k;
    char *q;
    if (r > 0)
      return INVALID(c, w->file, w->line, w->col, "'%s' is defined twice",
                     w->name);
    q = weft__wit_alloc(c, n);
    if (r < 0 || !q || WIT_PUSH(c, p->worlds, p->nworlds, w))
      return weft__wit_nomem(c);
    snprintf(q, n, "%s:%s/%s%s%s", p->ns, p->name, w->name,
             p->version ? "@" : "", p->version ? p->version : "");
    w->pkg = p;
    w->qname = q;
    for (k = 0; k < wp->nstmts; k++)
      if (wp->stmts[k].iface)
        wp->stmts[k].iface->pkg = p;
  }
  return 0;
}

/* Form the packages: one per group of top units (they must agree on the
 * name), one per nested unit. */
static int form_packages(wit_ctx_t *c) {
  size_t i, j;
  for (i = 0; i < c->nunits && !c->rc; i++) {
    wit_unit_t *u = c->units[i], *decl = NULL;
    weft__wit_pkg_t *p;
    if (u->nested || u->pkg)
      continue;
    /* The first top unit of its group: gather the group. */
    for (j = i; j < c->nunits; j++) {
      wit_unit_t *v = c->units[j];
      if (v->nested || v->group != u->group || !v->has_decl)
        continue;
      if (!decl) {
        decl = v;
      } else if (strcmp(v->ns, decl->ns) || strcmp(v->name, decl->name) ||
                 (!v->version) != (!decl->version) ||
                 (v->version && strcmp(v->version, decl->version))) {
        const char *a = weft__wit_pkg_id(c, v->ns, v->name, v->version);
        const char *b =
            weft__wit_pkg_id(c, decl->ns, decl->name, decl->version);
        if (!a || !b)
          return weft__wit_nomem(c);
        return INVALID(c, v->file, v->line, v->col,
                       "package '%s' does not match '%s' declared in '%s'",
                       a, b, decl->file);
      }
    }
    if (!decl) {
      for (j = i; j < c->nunits; j++) {
        wit_unit_t *v = c->units[j];
        if (!v->nested && v->group == u->group &&
            (has_items(v) || u->group == 0))
          return INVALID(c, v->file, 1, 1,
                         "missing package declaration (like 'package "
                         "ns:name;')");
      }
      continue;
    }
    if (!(p = new_pkg(c, decl, u->group == 0)))
      return c->rc;
    for (j = i; j < c->nunits; j++) {
      wit_unit_t *v = c->units[j];
      if (!v->nested && v->group == u->group)
        v->pkg = p;
    }
  }
  for (i = 0; i < c->nunits && !c->rc; i++)
    if (c->units[i]->nested &&
        !(c->units[i]->pkg = new_pkg(c, c->units[i], false)))
      return c->rc;
  for (i = 0; i < c->nunits && !c->rc; i++)
    if (c->units[i]->pkg && add_items(c, c->units[i]))
      return c->rc;
  for (i = 0; i < c->pub.npkgs; i++)
    if (c->pub.pkgs[i]->root)
      c->pub.root = c->pub.pkgs[i];
  if (!c->rc && !c->pub.root)
    return weft__wit_fail(c, WEFT_EINVALID, NULL, 0, 0,
                          "no root package was given");
  return c->rc;
}

/* Resolve the top-level uses of every unit. */
static int resolve_tluses(wit_ctx_t *c) {
  size_t i, j;
  for (i = 0; i < c->nunits && !c->rc; i++) {
    wit_unit_t *u = c->units[i];
    pkg_priv_t *pp = u->pkg ? u->pkg->priv_ : NULL;
    for (j = 0; j < u->nuses && !c->rc; j++) {
      wit_tluse_t *t = u->uses[j];
      if (weft__wit_map_get(&pp->items, t->as))
        return INVALID(c, u->file, t->line, t->col,
                       "'%s' is defined twice", t->as);
      t->target = find(c, u, &t->path, 0, false, &t->kind);
    }
  }
  return c->rc;
}

/* ---- use statements and interface cycles -------------------------------- */

/* The unit whose names a node of `iface` or `world` sees. */
static wit_unit_t *unit_of(const weft__wit_iface_t *iface,
                           const weft__wit_world_t *world) {
  if (iface)
    return ((wit_iface_priv_t *)iface->priv_)->scope.unit;
  return ((wit_world_priv_t *)world->priv_)->scope.unit;
}

/* Resolve `use` alias `t`: its interface and the name there. */
static int resolve_use(wit_ctx_t *c, weft__wit_type_t *t) {
  wit_ref_t *r = t->priv_;
  weft__wit_iface_t *from =
      weft__wit_find_path(c, unit_of(t->iface, t->world), &r->path,
                          WIT_ENT_IFACE);
  const wit_map_ent_t *e;
  size_t i;
  if (!from)
    return c->rc;
  e = weft__wit_map_get(&((wit_iface_priv_t *)from->priv_)->scope.map,
                        t->use_name);
  if (!e || e->kind != WIT_ENT_TYPE)
    return INVALID(c, t->file, t->line, t->col,
                   e ? "'%s' in interface '%s' is not a type"
                     : "unknown type '%s' in interface '%s'",
                   t->use_name, weft__wit_path_str(c, &r->path));
  t->m[0].type = e->val;
  t->use_from = from;
  if (!t->iface)
    return 0;
  for (i = 0; i < t->iface->ndeps; i++)
    if (t->iface->deps[i] == from)
      return 0;
  if (WIT_PUSH(c, t->iface->deps, t->iface->ndeps, from))
    return weft__wit_nomem(c);
  return 0;
}

/* Depth-first search for a cycle of `use`s through `f`. */
static int iface_cycles(wit_ctx_t *c, weft__wit_iface_t *f, int depth) {
  wit_iface_priv_t *ip = f->priv_;
  size_t i, k;
  if (ip->state == DONE)
    return 0;
  if (depth > WEFT__WIT_MAX_CHAIN)
    return weft__wit_fail(c, WEFT_ELIMIT, f->file, f->line, f->col,
                          "interfaces 'use' each other deeper than %d "
                          "levels",
                          WEFT__WIT_MAX_CHAIN);
  ip->state = VISITING;
  for (i = 0; i < f->ndeps; i++) {
    weft__wit_iface_t *d = f->deps[i];
    if (((wit_iface_priv_t *)d->priv_)->state == VISITING) {
      for (k = 0; k < f->ntypes; k++)
        if (f->types[k]->use_from == d) {
          const wit_ref_t *r = f->types[k]->priv_;
          return INVALID(c, r->path.file, r->path.line, r->path.col,
                         "interface '%s' depends on itself through 'use'",
                         d->name);
        }
      return INVALID(c, f->file, f->line, f->col,
                     "interface '%s' depends on itself through 'use'",
                     d->name);
    }
    if (iface_cycles(c, d, depth + 1))
      return c->rc;
  }
  ip->state = DONE;
  return 0;
}

/* ---- type names --------------------------------------------------------- */

/* The next node of an alias chain, or NULL. */
static weft__wit_type_t *step(const weft__wit_type_t *t) {
  if (t->kind == WEFT__WIT_UNRESOLVED_)
    return ((wit_ref_t *)t->priv_)->target;
  if (t->kind == WEFT__WIT_ALIAS && t->n == 1)
    return t->m[0].type;
  return NULL;
}

/* `t` with aliases and names looked through (the graph is acyclic). */
static weft__wit_type_t *follow(weft__wit_type_t *t) {
  weft__wit_type_t *n;
  int guard = 0;
  while (t && (n = step(t)) != NULL && guard++ <= 2 * WEFT__WIT_MAX_CHAIN)
    t = n;
  return t;
}

/* Resolve the name of UNRESOLVED node `t` in its scope. */
static int resolve_name(wit_ctx_t *c, weft__wit_type_t *t) {
  wit_ref_t *r = t->priv_;
  const wit_map_ent_t *e = weft__wit_map_get(&r->scope->map, t->name);
  if (!e)
    return INVALID(c, t->file, t->line, t->col, "unknown type '%s'",
                   t->name);
  if (e->kind != WIT_ENT_TYPE)
    return INVALID(c, t->file, t->line, t->col,
                   "'%s' is a function, not a type", t->name);
  r->target = e->val;
  return 0;
}

/* Depth-first search through the types `t` refers to: a cycle is an
 * error; computes WIT_F_HAS_BORROW. */
static int type_cycles(wit_ctx_t *c, weft__wit_type_t *t, int depth) {
  size_t i;
  unsigned hb;
  if (!t || t->state_ == DONE)
    return 0;
  if (t->state_ == VISITING)
    return INVALID(c, t->file, t->line, t->col,
                   "type '%s' depends on itself", t->name ? t->name : "?");
  if (depth > WEFT__WIT_MAX_CHAIN)
    return weft__wit_fail(c, WEFT_ELIMIT, t->file, t->line, t->col,
                          "types nest deeper than %d levels",
                          WEFT__WIT_MAX_CHAIN);
  t->state_ = VISITING;
  hb = t->kind == WEFT__WIT_BORROW ? WIT_F_HAS_BORROW : 0;
  if (t->kind == WEFT__WIT_UNRESOLVED_) {
    weft__wit_type_t *n = ((wit_ref_t *)t->priv_)->target;
    if (type_cycles(c, n, depth + 1))
      return c->rc;
    hb |= n->flags_ & WIT_F_HAS_BORROW;
  }
  for (i = 0; i < t->n; i++) {
    weft__wit_type_t *m = t->m[i].type;
    if (!m)
      continue;
    if (type_cycles(c, m, depth + 1))
      return c->rc;
    hb |= m->flags_ & WIT_F_HAS_BORROW;
  }
  t->flags_ |= hb;
  t->state_ = DONE;
  return 0;
}

/* The pointer `*slot` with a name replaced by what it names. */
static void patch(weft__wit_type_t **slot) {
  while (*slot && (*slot)->kind == WEFT__WIT_UNRESOLVED_)
    *slot = ((wit_ref_t *)(*slot)->priv_)->target;
}

/* Check handles, make resource names owned handles, and replace names by
 * their targets everywhere. */
static int finish_types(wit_ctx_t *c) {
  size_t i, j;
  for (i = 0; i < c->ntypes; i++) {
    weft__wit_type_t *t = c->types[i];
    if ((t->kind == WEFT__WIT_OWN || t->kind == WEFT__WIT_BORROW) &&
        t->m[0].type->kind == WEFT__WIT_UNRESOLVED_) {
      weft__wit_type_t *ref = t->m[0].type, *r = follow(ref);
      if (r->kind != WEFT__WIT_RESOURCE)
        return INVALID(c, ref->file, ref->line, ref->col,
                       "'%s' is not a resource", ref->name);
    }
  }
  for (i = 0; i < c->ntypes; i++) {
    weft__wit_type_t *t = c->types[i], *target;
    if (t->kind != WEFT__WIT_UNRESOLVED_ || !(t->flags_ & WIT_F_BARE))
      continue;
    target = ((wit_ref_t *)t->priv_)->target;
    if (follow(target)->kind != WEFT__WIT_RESOURCE)
      continue;
    t->m = weft__wit_alloc(c, sizeof *t->m);
    if (!t->m)
      return weft__wit_nomem(c);
    t->kind = WEFT__WIT_OWN;
    t->n = 1;
    t->m[0].type = target;
    t->name = NULL;
  }
  for (i = 0; i < c->ntypes; i++)
    for (j = 0; j < c->types[i]->n; j++)
      patch(&c->types[i]->m[j].type);
  for (i = 0; i < c->nfuncs; i++) {
    weft__wit_func_t *f = c->funcs[i];
    for (j = 0; j < f->nparams; j++)
      patch(&f->params[j].type);
    for (j = 0; j < f->nresults; j++)
      patch(&f->results[j].type);
  }
  return 0;
}

/* Results hold no borrowed handles; constructors return their resource. */
static int check_funcs(wit_ctx_t *c) {
  size_t i, j;
  for (i = 0; i < c->nfuncs; i++) {
    weft__wit_func_t *f = c->funcs[i];
    for (j = 0; j < f->nresults; j++) {
      const weft__wit_member_t *m = &f->results[j];
      if (m->type->flags_ & WIT_F_HAS_BORROW)
        return INVALID(c, f->file, m->line, m->col,
                       "'borrow' is only allowed in parameters, but '%s' "
                       "returns one",
                       f->name);
    }
    if (f->kind == WEFT__WIT_CONSTRUCTOR && !f->implicit_result) {
      const weft__wit_type_t *r = follow(f->results[0].type), *ok;
      ok = r->kind == WEFT__WIT_RESULT ? r->m[0].type : NULL;
      if (!ok || ok->kind != WEFT__WIT_OWN ||
          follow(ok->m[0].type) != f->resource)
        return INVALID(c, f->file, f->results[0].line, f->results[0].col,
                       "a constructor of '%s' must return 'result<%s>' or "
                       "'result<%s, E>'",
                       f->resource->name, f->resource->name,
                       f->resource->name);
    }
  }
  return 0;
}

/* ---- the whole ---------------------------------------------------------- */

int weft__wit_resolve(weft__wit_t *w, weft_error_t *err) {
  wit_ctx_t *c = w->priv_;
  size_t i;
  c->err = err;
  if (c->rc)
    return WEFT_ERR(err, c->rc, "the WIT model is unusable after an error");
  if (c->resolved)
    return WEFT_ERR(err, WEFT_EINVAL, "the WIT model is already resolved");
  if (form_packages(c) || resolve_tluses(c))
    return c->rc;
  for (i = 0; i < c->ntypes; i++)
    if ((c->types[i]->flags_ & WIT_F_USE) && resolve_use(c, c->types[i]))
      return c->rc;
  for (i = 0; i < c->nifaces; i++)
    if (iface_cycles(c, c->ifaces[i], 0))
      return c->rc;
  for (i = 0; i < c->ntypes; i++)
    if (c->types[i]->kind == WEFT__WIT_UNRESOLVED_ &&
        resolve_name(c, c->types[i]))
      return c->rc;
  for (i = 0; i < c->ntypes; i++)
    if (type_cycles(c, c->types[i], 0))
      return c->rc;
  if (finish_types(c) || check_funcs(c) || weft__wit_resolve_worlds(c))
    return c->rc;
  c->resolved = true;
  return 0;
}

/* wit_world.c - resolving worlds: each statement becomes an import or an
 * export item; `include`s are expanded (depth first, each world once,
 * cycles rejected), interface items met twice are merged while plain names
 * must be unique (or renamed with `with`); finally the interfaces that
 * imports, exports and `use`s depend on are added as implicit imports,
 * each before the first item that needs it. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cabi/wit_int.h"

enum { UNSEEN = 0, VISITING, DONE };

#define INVALID(c, file, line, col, ...) \
  weft__wit_fail((c), WEFT_EINVALID, (file), (line), (col), __VA_ARGS__)

/* A list of items being built, with an index by name. */
typedef struct builder {
  weft__wit_item_t *items;
  size_t n;
  wit_map_t map; /* name -> index + 1 */
} builder_t;

/* The item named `name` (ignoring case) in b, or NULL. */
static weft__wit_item_t *bfind(const builder_t *b, const char *name) {
  const wit_map_ent_t *e = weft__wit_map_find(&b->map, name);
  return e ? &b->items[(uintptr_t)e->val - 1] : NULL;
}

/* Append `it` (its name known to be absent). */
static int bpush(wit_ctx_t *c, builder_t *b, const weft__wit_item_t *it) {
  if (WIT_PUSH(c, b->items, b->n, *it) ||
      weft__wit_map_put(c, &b->map, it->name, WIT_ENT_ITEM,
                        (void *)(uintptr_t)b->n, NULL) < 0)
    return weft__wit_nomem(c);
  return 0;
}

/* Add `it` to `b` for `world`. Interface items met again are merged
 * unless both were written in `world` itself; other names must be new.
 * `st` is the include that brought `it`, or NULL when written here. */
static int add(wit_ctx_t *c, const weft__wit_world_t *world, builder_t *b,
               const weft__wit_item_t *it, const wit_wstmt_t *st,
               bool is_export) {
  const weft__wit_item_t *ex = bfind(b, it->name);
  const char *verb = is_export ? "export" : "import";
  if (!ex)
    return bpush(c, b, it);
  if (!it->plain && !ex->plain && ex->iface == it->iface &&
      !(!st && ex->from == world && !ex->implicit))
    return 0;
  if (!st)
    return INVALID(c, it->file, it->line, it->col, "'%s' is %sed twice",
                   it->name, verb);
  return INVALID(c, st->file, st->line, st->col,
                 "include of '%s' %ss '%s' a second time (rename it with "
                 "'with')",
                 weft__wit_path_str(c, &st->path), verb, it->name);
}

/* An item of `kind` for `world` at the position of `st`. */
static weft__wit_item_t item_at(const weft__wit_world_t *world,
                                weft__wit_item_kind_t kind,
                                const wit_wstmt_t *st) {
  weft__wit_item_t it;
  memset(&it, 0, sizeof it);
  it.kind = kind;
  it.plain = true;
  it.from = (weft__wit_world_t *)world;
  it.docs = st->docs;
  it.file = st->file;
  it.line = st->line;
  it.col = st->col;
  return it;
}

/* Add interface `f` to `out` as an implicit import of `world`, after the
 * interfaces it uses, unless it is there already. The `use` graph is
 * acyclic and its depth bounded, so the recursion is too. */
static int need(wit_ctx_t *c, weft__wit_world_t *world, builder_t *out,
                weft__wit_iface_t *f) {
  weft__wit_item_t dep;
  size_t i;
  if (bfind(out, f->qname))
    return 0;
  for (i = 0; i < f->ndeps; i++)
    if (need(c, world, out, f->deps[i]))
      return c->rc;
  memset(&dep, 0, sizeof dep);
  dep.kind = WEFT__WIT_ITEM_INTERFACE;
  dep.name = f->qname;
  dep.implicit = true;
  dep.iface = f;
  dep.from = world;
  dep.file = f->file;
  dep.line = f->line;
  dep.col = f->col;
  return bpush(c, out, &dep);
}

/* Add the items of an included world. */
static int include(wit_ctx_t *c, weft__wit_world_t *world, builder_t *imp,
                   builder_t *exp, const wit_wstmt_t *st, int depth);

/* Resolve `world` and, first, the worlds it includes. */
static int elaborate(wit_ctx_t *c, weft__wit_world_t *world, int depth) {
  wit_world_priv_t *wp = world->priv_;
  builder_t imp, exp, out;
  size_t i, j;
  if (wp->state == DONE)
    return 0;
  if (depth > WEFT__WIT_MAX_CHAIN)
    return weft__wit_fail(c, WEFT_ELIMIT, world->file, world->line,
                          world->col, "worlds include each other deeper "
                                      "than %d levels",
                          WEFT__WIT_MAX_CHAIN);
  wp->state = VISITING;
  memset(&imp, 0, sizeof imp);
  memset(&exp, 0, sizeof exp);
  memset(&out, 0, sizeof out);
  for (i = 0; i < wp->nstmts; i++) {
    const wit_wstmt_t *st = &wp->stmts[i];
    weft__wit_item_t it;
    switch (st->kind) {
    case WS_TYPE:
      it = item_at(world, WEFT__WIT_ITEM_TYPE, st);
      it.name = st->type->name;
      it.type = st->type;
      if (add(c, world, &imp, &it, NULL, false))
        return c->rc;
      for (j = 0; j < st->type->nfuncs; j++) {
        weft__wit_func_t *f = st->type->funcs[j];
        it = item_at(world, WEFT__WIT_ITEM_FUNC, st);
        it.name = f->abi_name;
        it.func = f;
        it.docs = f->docs;
        it.line = f->line;
        it.col = f->col;
        if (add(c, world, &imp, &it, NULL, false))
          return c->rc;
      }
      break;
    case WS_IMPORT:
    case WS_EXPORT:
      it = item_at(world, WEFT__WIT_ITEM_INTERFACE, st);
      if (st->func) {
        it.kind = WEFT__WIT_ITEM_FUNC;
        it.name = st->name;
        it.func = st->func;
      } else if (st->iface) {
        it.name = st->name;
        it.iface = st->iface;
      } else {
        it.iface = weft__wit_find_path(c, wp->scope.unit, &st->path,
                                       WIT_ENT_IFACE);
        if (!it.iface)
          return c->rc;
        it.name = it.iface->qname;
        it.plain = false;
      }
      if (add(c, world, st->kind == WS_IMPORT ? &imp : &exp, &it, NULL,
              st->kind == WS_EXPORT))
        return c->rc;
      break;
    default:
      if (include(c, world, &imp, &exp, st, depth))
        return c->rc;
      break;
    }
  }
  world->exports = exp.items;
  world->nexports = exp.n;
  /* Implicit imports: what an item depends on comes before it. */
  for (i = 0; i < imp.n; i++) {
    weft__wit_item_t *it = &imp.items[i], *ex;
    if (it->kind == WEFT__WIT_ITEM_INTERFACE)
      for (j = 0; j < it->iface->ndeps; j++)
        if (need(c, world, &out, it->iface->deps[j]))
          return c->rc;
    if (it->kind == WEFT__WIT_ITEM_TYPE && it->type->use_from &&
        need(c, world, &out, it->type->use_from))
      return c->rc;
    ex = bfind(&out, it->name);
    if (ex)
      *ex = *it; /* written after being needed: keep its place */
    else if (bpush(c, &out, it))
      return c->rc;
  }
  /* An export's dependencies are exports or imports; import the rest. */
  for (i = 0; i < exp.n; i++) {
    const weft__wit_iface_t *f = exp.items[i].iface;
    for (j = 0; f && j < f->ndeps; j++)
      if (!bfind(&exp, f->deps[j]->qname) &&
          need(c, world, &out, f->deps[j]))
        return c->rc;
  }
  for (i = 0; i < out.n; i++) {
    const weft__wit_item_t *it = &out.items[i];
    if (it->kind == WEFT__WIT_ITEM_TYPE && it->type->use_from &&
        bfind(&exp, it->type->use_from->qname))
      return INVALID(c, it->file, it->line, it->col,
                     "'use' of '%s' is ambiguous: the world both imports "
                     "and exports it",
                     it->type->use_from->qname);
  }
  world->imports = out.items;
  world->nimports = out.n;
  wp->state = DONE;
  return 0;
}

static int include(wit_ctx_t *c, weft__wit_world_t *world, builder_t *imp,
                   builder_t *exp, const wit_wstmt_t *st, int depth) {
  wit_world_priv_t *wp = world->priv_;
  weft__wit_world_t *w2 =
      weft__wit_find_path(c, wp->scope.unit, &st->path, WIT_ENT_WORLD);
  size_t i, k;
  int pass;
  if (!w2)
    return c->rc;
  if (((wit_world_priv_t *)w2->priv_)->state == VISITING)
    return INVALID(c, st->file, st->line, st->col,
                   "world '%s' includes itself", w2->name);
  if (elaborate(c, w2, depth + 1))
    return c->rc;
  for (k = 0; k < st->nrenames; k++) {
    const wit_rename_t *r = &st->renames[k];
    const weft__wit_item_t *a = weft__wit_import(w2, r->from);
    const weft__wit_item_t *b = weft__wit_export(w2, r->from);
    if ((!a || !a->plain) && (!b || !b->plain))
      return INVALID(c, st->file, r->line, r->col,
                     "world '%s' has no import or export named '%s'",
                     w2->name, r->from);
    if (a && a->kind == WEFT__WIT_ITEM_TYPE)
      return INVALID(c, st->file, r->line, r->col,
                     "'%s' is a type of world '%s' and cannot be renamed",
                     r->from, w2->name);
  }
  for (pass = 0; pass < 2; pass++) {
    const weft__wit_item_t *items = pass ? w2->exports : w2->imports;
    size_t n = pass ? w2->nexports : w2->nimports;
    for (i = 0; i < n; i++) {
      weft__wit_item_t it = items[i];
      for (k = 0; it.plain && k < st->nrenames; k++)
        if (!strcmp(st->renames[k].from, it.name))
          it.name = st->renames[k].to;
      if (add(c, world, pass ? exp : imp, &it, st, pass == 1))
        return c->rc;
    }
  }
  return 0;
}

int weft__wit_resolve_worlds(wit_ctx_t *c) {
  size_t i;
  for (i = 0; i < c->nworlds; i++)
    if (elaborate(c, c->worlds[i], 0))
      return c->rc;
  return 0;
}

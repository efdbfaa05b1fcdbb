/* wit_print.c - writing a resolved world back as WIT text: the world with
 * includes and implicit imports written out, then every interface it
 * reaches (the world's own package at the top, other packages in nested
 * `package` blocks), so that the text resolves on its own. Names that are
 * keywords get a '%'; doc comments are kept as `///` lines; gates are
 * gone. Recursion follows anonymous types only, whose nesting the parser
 * bounds. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cabi/wit_int.h"

typedef struct printer {
  weft__buf_t *out;
  int rc;
  const weft__wit_pkg_t *ctx; /* paths are written relative to it */
} printer_t;

/* Append formatted text (errors are sticky). */
static void put(printer_t *pr, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void put(printer_t *pr, const char *fmt, ...) {
  va_list ap;
  if (pr->rc)
    return;
  va_start(ap, fmt);
  pr->rc = weft__buf_vprintf(pr->out, fmt, ap);
  va_end(ap);
}

/* Two spaces per level. */
static void indent(printer_t *pr, int level) {
  put(pr, "%*s", level * 2, "");
}

/* A name, with '%' when it is a keyword. */
static void id(printer_t *pr, const char *name) {
  put(pr, "%s%s", weft__wit_is_keyword(name) ? "%" : "", name);
}

/* Doc comment lines. */
static void docs(printer_t *pr, const char *d, int level) {
  while (d) {
    const char *nl = strchr(d, '\n');
    int n = nl ? (int)(nl - d) : (int)strlen(d);
    indent(pr, level);
    put(pr, "///%.*s\n", n, d);
    d = nl ? nl + 1 : NULL;
  }
}

/* A package id: ns:name[@version]. */
static void pkg_id(printer_t *pr, const weft__wit_pkg_t *p) {
  id(pr, p->ns);
  put(pr, ":");
  id(pr, p->name);
  if (p->version)
    put(pr, "@%s", p->version);
}

/* How `f` is named from the current package. */
static void path_to(printer_t *pr, const weft__wit_iface_t *f) {
  if (f->pkg != pr->ctx) {
    id(pr, f->pkg->ns);
    put(pr, ":");
    id(pr, f->pkg->name);
    put(pr, "/");
  }
  id(pr, f->name);
  if (f->pkg != pr->ctx && f->pkg->version)
    put(pr, "@%s", f->pkg->version);
}

/* A type as written where it is used. */
static void type_ref(printer_t *pr, const weft__wit_type_t *t) {
  size_t i;
  if (t->name) {
    id(pr, t->name);
    return;
  }
  if (weft__wit_is_primitive(t->kind)) {
    put(pr, "%s", weft__wit_kind_name(t->kind));
    return;
  }
  switch (t->kind) {
  case WEFT__WIT_OWN:
    type_ref(pr, t->m[0].type);
    return;
  case WEFT__WIT_RESULT:
    put(pr, "result");
    if (!t->m[0].type && !t->m[1].type)
      return;
    put(pr, "<");
    if (t->m[0].type)
      type_ref(pr, t->m[0].type);
    else
      put(pr, "_");
    if (t->m[1].type) {
      put(pr, ", ");
      type_ref(pr, t->m[1].type);
    }
    put(pr, ">");
    return;
  case WEFT__WIT_TUPLE:
    put(pr, "tuple<");
    for (i = 0; i < t->n; i++) {
      put(pr, "%s", i ? ", " : "");
      type_ref(pr, t->m[i].type);
    }
    put(pr, ">");
    return;
  default:
    put(pr, "%s", weft__wit_kind_name(t->kind));
    if (t->n && t->m[0].type) {
      put(pr, "<");
      type_ref(pr, t->m[0].type);
      put(pr, ">");
    }
    return;
  }
}

/* `(name: T, ...)` from member `from` on. */
static void named_list(printer_t *pr, const weft__wit_member_t *m, size_t n,
                       size_t from) {
  size_t i;
  put(pr, "(");
  for (i = from; i < n; i++) {
    put(pr, "%s", i > from ? ", " : "");
    id(pr, m[i].name);
    put(pr, ": ");
    type_ref(pr, m[i].type);
  }
  put(pr, ")");
}

/* The signature of `f` after its name and colon (or `constructor`). */
static void signature(printer_t *pr, const weft__wit_func_t *f) {
  if (f->kind == WEFT__WIT_STATIC)
    put(pr, "static ");
  if (f->kind != WEFT__WIT_CONSTRUCTOR)
    put(pr, "%sfunc", f->is_async ? "async " : "");
  named_list(pr, f->params, f->nparams, f->kind == WEFT__WIT_METHOD);
  if (f->implicit_result)
    return;
  if (f->named_results) {
    put(pr, " -> ");
    named_list(pr, f->results, f->nresults, 0);
  } else if (f->nresults) {
    put(pr, " -> ");
    type_ref(pr, f->results[0].type);
  }
}

/* A function item: `name: func(...) -> T;`. */
static void func(printer_t *pr, const weft__wit_func_t *f, int level,
                 const char *prefix, const char *name) {
  docs(pr, f->docs, level);
  indent(pr, level);
  put(pr, "%s", prefix);
  if (f->kind == WEFT__WIT_CONSTRUCTOR) {
    put(pr, "constructor");
  } else {
    id(pr, name);
    put(pr, ": ");
  }
  signature(pr, f);
  put(pr, ";\n");
}

/* `{ members }` of a record, variant, enum or flags. */
static void cases(printer_t *pr, const weft__wit_type_t *t, int level) {
  size_t i;
  put(pr, " {\n");
  for (i = 0; i < t->n; i++) {
    const weft__wit_member_t *m = &t->m[i];
    docs(pr, m->docs, level + 1);
    indent(pr, level + 1);
    id(pr, m->name);
    if (t->kind == WEFT__WIT_RECORD) {
      put(pr, ": ");
      type_ref(pr, m->type);
    } else if (m->type) {
      put(pr, "(");
      type_ref(pr, m->type);
      put(pr, ")");
    }
    put(pr, ",\n");
  }
  indent(pr, level);
  put(pr, "}\n");
}

/* A named type definition (not a `use`). */
static void typedef_(printer_t *pr, const weft__wit_type_t *t, int level) {
  size_t i;
  docs(pr, t->docs, level);
  indent(pr, level);
  switch (t->kind) {
  case WEFT__WIT_ALIAS:
    put(pr, "type ");
    id(pr, t->name);
    put(pr, " = ");
    type_ref(pr, t->m[0].type);
    put(pr, ";\n");
    return;
  case WEFT__WIT_RESOURCE:
    put(pr, "resource ");
    id(pr, t->name);
    if (!t->nfuncs) {
      put(pr, ";\n");
      return;
    }
    put(pr, " {\n");
    for (i = 0; i < t->nfuncs; i++)
      func(pr, t->funcs[i], level + 1, "", t->funcs[i]->name);
    indent(pr, level);
    put(pr, "}\n");
    return;
  default:
    put(pr, "%s ", weft__wit_kind_name(t->kind));
    id(pr, t->name);
    cases(pr, t, level);
    return;
  }
}

/* True if `t` was made by `use`. */
static bool is_use(const weft__wit_type_t *t) {
  return (t->flags_ & WIT_F_USE) != 0;
}

/* `use path.{a, b as c};` for types[0..n) (all from one interface). */
static void use_stmt(printer_t *pr, const weft__wit_type_t *const *types,
                     size_t n, int level) {
  size_t i;
  docs(pr, types[0]->docs, level);
  indent(pr, level);
  put(pr, "use ");
  path_to(pr, types[0]->use_from);
  put(pr, ".{");
  for (i = 0; i < n; i++) {
    put(pr, "%s", i ? ", " : "");
    id(pr, types[i]->use_name);
    if (strcmp(types[i]->use_name, types[i]->name)) {
      put(pr, " as ");
      id(pr, types[i]->name);
    }
  }
  put(pr, "};\n");
}

/* Length of the run of `use`s from one interface starting at types[0]. */
static size_t use_run(const weft__wit_type_t *const *types, size_t n) {
  size_t k = 1;
  while (k < n && is_use(types[k]) && !types[k]->docs &&
         types[k]->use_from == types[0]->use_from)
    k++;
  return k;
}

/* The items of an interface: uses, types, then freestanding functions,
 * each in source order. */
static void iface_body(printer_t *pr, const weft__wit_iface_t *f,
                       int level) {
  const weft__wit_type_t *const *t = (const weft__wit_type_t *const *)f->types;
  size_t i;
  for (i = 0; i < f->ntypes;) {
    size_t k = is_use(t[i]) ? use_run(t + i, f->ntypes - i) : 1;
    if (is_use(t[i]))
      use_stmt(pr, t + i, k, level);
    i += k;
  }
  for (i = 0; i < f->ntypes; i++)
    if (!is_use(t[i]))
      typedef_(pr, t[i], level);
  for (i = 0; i < f->nfuncs; i++)
    if (!f->funcs[i]->resource)
      func(pr, f->funcs[i], level, "", f->funcs[i]->name);
}

/* `interface name { ... }`. */
static void interface(printer_t *pr, const weft__wit_iface_t *f,
                      int level) {
  docs(pr, f->docs, level);
  indent(pr, level);
  put(pr, "interface ");
  id(pr, f->name);
  put(pr, " {\n");
  iface_body(pr, f, level + 1);
  indent(pr, level);
  put(pr, "}\n");
}

/* The items of a world. */
static void items(printer_t *pr, const weft__wit_item_t *it, size_t n,
                  const char *verb) {
  size_t i;
  for (i = 0; i < n;) {
    const weft__wit_item_t *x = &it[i];
    if (x->kind == WEFT__WIT_ITEM_TYPE && is_use(x->type)) {
      const weft__wit_type_t *run[64];
      size_t k = 0;
      while (k < 64 && i + k < n && it[i + k].kind == WEFT__WIT_ITEM_TYPE &&
             is_use(it[i + k].type) &&
             it[i + k].type->use_from == x->type->use_from &&
             (k == 0 || !it[i + k].type->docs)) {
        run[k] = it[i + k].type;
        k++;
      }
      use_stmt(pr, run, k, 1);
      i += k;
      continue;
    }
    i++;
    switch (x->kind) {
    case WEFT__WIT_ITEM_TYPE:
      typedef_(pr, x->type, 1);
      break;
    case WEFT__WIT_ITEM_FUNC:
      if (!x->func->resource)
        func(pr, x->func, 1, verb, x->name);
      break;
    default:
      docs(pr, x->docs, 1);
      indent(pr, 1);
      put(pr, "%s", verb);
      if (x->plain) {
        id(pr, x->name);
        put(pr, ": interface {\n");
        iface_body(pr, x->iface, 2);
        indent(pr, 1);
        put(pr, "}\n");
      } else {
        path_to(pr, x->iface);
        put(pr, ";\n");
      }
      break;
    }
  }
}

/* A list of interfaces without repeats. */
typedef struct ilist {
  const weft__wit_iface_t **v;
  size_t n, cap;
  int rc;
} ilist_t;

/* Add `f` after the interfaces it uses. */
static void reach(ilist_t *l, const weft__wit_iface_t *f) {
  size_t i;
  for (i = 0; i < l->n; i++)
    if (l->v[i] == f)
      return;
  for (i = 0; i < f->ndeps; i++)
    reach(l, f->deps[i]);
  for (i = 0; i < l->n; i++)
    if (l->v[i] == f)
      return;
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 8;
    const weft__wit_iface_t **v = realloc(l->v, cap * sizeof *v);
    if (!v) {
      l->rc = WEFT_ENOMEM;
      return;
    }
    l->v = v;
    l->cap = cap;
  }
  l->v[l->n++] = f;
}

/* Every named interface the items reach. */
static void reach_items(ilist_t *l, const weft__wit_item_t *it, size_t n) {
  size_t i, k;
  for (i = 0; i < n; i++) {
    if (it[i].kind == WEFT__WIT_ITEM_TYPE && it[i].type->use_from)
      reach(l, it[i].type->use_from);
    if (it[i].kind == WEFT__WIT_ITEM_INTERFACE && it[i].plain)
      for (k = 0; k < it[i].iface->ndeps; k++)
        reach(l, it[i].iface->deps[k]);
    else if (it[i].kind == WEFT__WIT_ITEM_INTERFACE)
      reach(l, it[i].iface);
  }
}

int weft__wit_print_world(const weft__wit_world_t *world, weft__buf_t *out) {
  printer_t pr;
  ilist_t l;
  size_t i, j;
  memset(&pr, 0, sizeof pr);
  memset(&l, 0, sizeof l);
  pr.out = out;
  pr.ctx = world->pkg;
  put(&pr, "package ");
  pkg_id(&pr, world->pkg);
  put(&pr, ";\n\n");
  docs(&pr, world->docs, 0);
  put(&pr, "world ");
  id(&pr, world->name);
  put(&pr, " {\n");
  items(&pr, world->imports, world->nimports, "import ");
  items(&pr, world->exports, world->nexports, "export ");
  put(&pr, "}\n");
  reach_items(&l, world->imports, world->nimports);
  reach_items(&l, world->exports, world->nexports);
  for (i = 0; i < l.n; i++)
    if (l.v[i]->pkg == world->pkg) {
      put(&pr, "\n");
      interface(&pr, l.v[i], 0);
    }
  for (i = 0; i < l.n; i++) {
    const weft__wit_pkg_t *p = l.v[i]->pkg;
    bool first = true;
    if (p == world->pkg)
      continue;
    for (j = 0; j < i; j++)
      if (l.v[j]->pkg == p)
        first = false;
    if (!first)
      continue;
    pr.ctx = p;
    put(&pr, "\npackage ");
    pkg_id(&pr, p);
    put(&pr, " {\n");
    for (j = i; j < l.n; j++)
      if (l.v[j]->pkg == p) {
        if (j > i)
          put(&pr, "\n");
        interface(&pr, l.v[j], 1);
      }
    put(&pr, "}\n");
  }
  free(l.v);
  return pr.rc ? pr.rc : l.rc;
}

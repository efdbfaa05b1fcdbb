/* fuzz_wit.c - libFuzzer target for the WIT parser and resolver
 * (src/cabi/wit*.c).
 *
 * Parses each input as the only file of a root package with
 * weft__wit_parse. A rejected input must come with one "fuzz.wit:" line
 * (or "out of memory" under the arena budget). An accepted one is walked
 * (every type reachable, no UNRESOLVED node left, lookups agree) and each
 * of its worlds is printed, parsed again and printed again: the two texts
 * must be equal. ASan and UBSan turn out-of-bounds reads, leaks and
 * undefined behaviour into crashes. The input is copied into an exactly
 * sized buffer. Seeds live in tests/fuzz/corpus/wit/, a dictionary in
 * wit.dict.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cabi/wit.h"

/* Abort (so the fuzzer reports it) unless `cond`. */
static void check(int cond) {
  if (!cond)
    abort();
}

/* Check one type node and what it refers to, to a bounded depth. */
static void walk_type(const weft__wit_type_t *t, int depth) {
  size_t i;
  if (!t || depth > 64)
    return;
  check(t->kind >= WEFT__WIT_BOOL && t->kind < WEFT__WIT_UNRESOLVED_);
  check(weft__wit_unalias(t) != NULL);
  if (t->kind == WEFT__WIT_OWN || t->kind == WEFT__WIT_BORROW)
    check(weft__wit_unalias(t->m[0].type)->kind == WEFT__WIT_RESOURCE);
  if (t->kind == WEFT__WIT_ALIAS)
    check(t->n == 1 && t->m[0].type);
  if (t->name && !weft__wit_is_primitive(t->kind))
    return; /* named types are walked from their interface */
  for (i = 0; i < t->n; i++)
    walk_type(t->m[i].type, depth + 1);
}

/* Check a function. */
static void walk_func(const weft__wit_func_t *f) {
  size_t i;
  check(f->name && f->abi_name);
  check((f->kind == WEFT__WIT_FREESTANDING) == (f->resource == NULL));
  if (f->kind == WEFT__WIT_METHOD)
    check(f->nparams >= 1 && f->params[0].type->kind == WEFT__WIT_BORROW);
  if (f->kind == WEFT__WIT_CONSTRUCTOR)
    check(f->nresults == 1);
  for (i = 0; i < f->nparams; i++)
    walk_type(f->params[i].type, 0);
  for (i = 0; i < f->nresults; i++)
    walk_type(f->results[i].type, 0);
}

/* Check an interface. */
static void walk_iface(const weft__wit_iface_t *f) {
  size_t i;
  for (i = 0; i < f->ntypes; i++) {
    check(f->types[i]->name != NULL);
    check(weft__wit_iface_type(f, f->types[i]->name) == f->types[i]);
    walk_type(f->types[i], 0);
    if (f->types[i]->kind == WEFT__WIT_ALIAS && f->types[i]->use_from)
      walk_type(f->types[i]->m[0].type, 0);
  }
  for (i = 0; i < f->nfuncs; i++) {
    check(weft__wit_iface_func(f, f->funcs[i]->abi_name) == f->funcs[i]);
    walk_func(f->funcs[i]);
  }
}

/* Print `world`, parse the text, print again: the same text. */
static void round_trip(const weft__wit_world_t *world) {
  weft__buf_t a, b;
  weft__wit_t *w2 = NULL;
  weft_error_t err;
  const weft__wit_world_t *again;
  int rc;
  weft__buf_init(&a);
  weft__buf_init(&b);
  rc = weft__wit_print_world(world, &a);
  check(rc == 0);
  rc = weft__wit_parse(a.data, a.len, "printed.wit", &w2, &err);
  if (rc) {
    fprintf(stderr, "printed text does not parse: %s\n%s", err.msg, a.data);
    abort();
  }
  again = weft__wit_world(w2, NULL, &err);
  check(again != NULL);
  check(again->nimports == world->nimports);
  check(again->nexports == world->nexports);
  check(weft__wit_print_world(again, &b) == 0);
  if (strcmp(a.data, b.data)) {
    fprintf(stderr, "print is not stable:\n%s---\n%s", a.data, b.data);
    abort();
  }
  weft__wit_free(w2);
  weft__buf_release(&a);
  weft__buf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parse one input; always returns 0 (libFuzzer's contract). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  weft__wit_t *w = NULL;
  weft_error_t err;
  char *copy = malloc(size ? size : 1);
  size_t i, j;
  int rc;
  if (!copy)
    return 0;
  if (size)
    memcpy(copy, data, size);
  memset(&err, 0, sizeof err);
  w = weft__wit_new();
  if (!w) {
    free(copy);
    return 0;
  }
  weft__wit_set_budget(w, (size_t)64 << 20);
  rc = weft__wit_add_file(w, 0, "fuzz.wit", copy, size, &err);
  if (!rc)
    rc = weft__wit_resolve(w, &err);
  if (rc) {
    check(err.code == rc);
    check(!strncmp(err.msg, "fuzz.wit:", 9) ||
          !strcmp(err.msg, "out of memory"));
    check(!strchr(err.msg, '\n'));
  } else {
    check(w->root != NULL);
    for (i = 0; i < w->npkgs; i++) {
      const weft__wit_pkg_t *p = w->pkgs[i];
      for (j = 0; j < p->nifaces; j++) {
        check(p->ifaces[j]->pkg == p);
        check(weft__wit_interface(w, p->ifaces[j]->qname) == p->ifaces[j]);
        walk_iface(p->ifaces[j]);
      }
      for (j = 0; j < p->nworlds; j++) {
        const weft__wit_world_t *world = p->worlds[j];
        size_t k;
        for (k = 0; k < world->nimports; k++) {
          const weft__wit_item_t *it = &world->imports[k];
          check(weft__wit_import(world, it->name) == it);
          if (it->kind == WEFT__WIT_ITEM_INTERFACE)
            walk_iface(it->iface);
          else if (it->kind == WEFT__WIT_ITEM_FUNC)
            walk_func(it->func);
          else
            walk_type(it->type, 0);
        }
        for (k = 0; k < world->nexports; k++) {
          const weft__wit_item_t *it = &world->exports[k];
          check(weft__wit_export(world, it->name) == it);
          check(it->kind != WEFT__WIT_ITEM_TYPE);
          if (it->kind == WEFT__WIT_ITEM_INTERFACE)
            walk_iface(it->iface);
          else
            walk_func(it->func);
        }
        round_trip(world);
      }
    }
  }
  weft__wit_free(w);
  free(copy);
  return 0;
}

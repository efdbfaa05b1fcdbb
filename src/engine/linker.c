/* linker.c - what guests may import: host functions, named instances and
 * per-instance host state providers. */
#include <stdlib.h>
#include <string.h>

#include "engine/engine_int.h"

weft_linker_t *weft_linker_new(weft_engine_t *engine) {
  weft_linker_t *l = calloc(1, sizeof *l);
  if (l)
    l->engine = engine;
  return l;
}

static void def_free(weft__hostdef_t *d) {
  if (!d)
    return;
  free(d->module);
  free(d->name);
  free(d->sig);
  free(d);
}

void weft_linker_free(weft_linker_t *l) {
  if (!l)
    return;
  for (size_t i = 0; i < l->ndefs; i++)
    def_free(l->defs[i]);
  free(l->defs);
  for (size_t i = 0; i < l->nnamed; i++)
    free(l->named[i].module);
  free(l->named);
  for (int i = 0; i < WEFT__STATE_MAX; i++)
    if (l->state[i].ops && l->state[i].ops->free_cfg)
      l->state[i].ops->free_cfg(l->state[i].cfg);
  free(l);
}

/* A valid signature: letters from "ilfdrx", one ':', then results. */
static int valid_sig(const char *sig) {
  const char *colon = strchr(sig, ':');
  if (!colon || strchr(colon + 1, ':'))
    return 0;
  for (const char *p = sig; *p; p++)
    if (p != colon && !strchr("ilfdrx", *p))
      return 0;
  return 1;
}

static int define(weft_linker_t *l, const char *module, const char *name,
                  const char *sig, weft__raw_fn_t raw, weft_host_fn_t fn,
                  void *env, weft_error_t *err) {
  if (!module || !name || !sig || !valid_sig(sig))
    return WEFT_ERR(err, WEFT_EINVAL, "bad signature '%s' for '%s.%s'",
                    sig ? sig : "", module ? module : "", name ? name : "");
  if (raw && strlen(strchr(sig, ':') + 1) > 1)
    return WEFT_ERR(err, WEFT_EINVAL,
                    "raw host function '%s.%s' returns several values",
                    module, name);
  weft__hostdef_t *d = calloc(1, sizeof *d);
  if (!d)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  d->module = strdup(module);
  d->name = strdup(name);
  d->sig = strdup(sig);
  d->raw = raw;
  d->fn = fn;
  d->env = env;
  if (!d->module || !d->name || !d->sig)
    goto oom;
  for (size_t i = 0; i < l->ndefs; i++)
    if (!strcmp(l->defs[i]->module, module) &&
        !strcmp(l->defs[i]->name, name)) {
      def_free(l->defs[i]);
      l->defs[i] = d;
      return 0;
    }
  if (l->ndefs == l->capdefs) {
    size_t cap = l->capdefs ? l->capdefs * 2 : 32;
    weft__hostdef_t **p = realloc(l->defs, cap * sizeof *p);
    if (!p)
      goto oom;
    l->defs = p;
    l->capdefs = cap;
  }
  l->defs[l->ndefs++] = d;
  return 0;
oom:
  def_free(d);
  return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
}

int weft_linker_define_func(weft_linker_t *l, const char *module,
                            const char *name, const char *sig,
                            weft_host_fn_t fn, void *env, weft_error_t *err) {
  if (!fn)
    return WEFT_ERR(err, WEFT_EINVAL, "no function given for '%s.%s'",
                    module, name);
  return define(l, module, name, sig, NULL, fn, env, err);
}

int weft__linker_define_raw(weft_linker_t *l, const char *module,
                            const char *name, const char *sig,
                            weft__raw_fn_t fn, weft_error_t *err) {
  return define(l, module, name, sig, fn, NULL, NULL, err);
}

int weft_linker_define_instance(weft_linker_t *l, const char *module,
                                weft_instance_t *inst, weft_error_t *err) {
  for (size_t i = 0; i < l->nnamed; i++)
    if (!strcmp(l->named[i].module, module)) {
      l->named[i].inst = inst;
      return 0;
    }
  if (l->nnamed == l->capnamed) {
    size_t cap = l->capnamed ? l->capnamed * 2 : 8;
    weft__named_t *p = realloc(l->named, cap * sizeof *p);
    if (!p)
      return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
    l->named = p;
    l->capnamed = cap;
  }
  char *copy = strdup(module);
  if (!copy)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  l->named[l->nnamed].module = copy;
  l->named[l->nnamed].inst = inst;
  l->nnamed++;
  return 0;
}

int weft__linker_set_state(weft_linker_t *l, int slot,
                           const weft__state_ops_t *ops, void *cfg,
                           weft_error_t *err) {
  if (slot < 0 || slot >= WEFT__STATE_MAX)
    return WEFT_ERR(err, WEFT_EINVAL, "bad state slot %d", slot);
  if (l->state[slot].ops && l->state[slot].ops->free_cfg)
    l->state[slot].ops->free_cfg(l->state[slot].cfg);
  l->state[slot].ops = ops;
  l->state[slot].cfg = cfg;
  return 0;
}

void *weft__linker_state_cfg(const weft_linker_t *l, int slot) {
  return slot >= 0 && slot < WEFT__STATE_MAX ? l->state[slot].cfg : NULL;
}

void weft__linker_set_check(weft_linker_t *l, weft__module_check_t check) {
  l->check = check;
}

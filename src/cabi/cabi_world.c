/* cabi_world.c - binding a linker to a WIT world: the plan of each import
 * and export (core names as wit-bindgen gives them, flat signatures), the
 * check of a module against it, per-instance state, and host functions
 * defined by WIT name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cabi/cabi_int.h"

/* ---- WIT packages (public) ---------------------------------------------- */

weft_wit_t *weft_wit_load(const char *path, weft_error_t *err) {
  weft__wit_t *w = NULL;
  return weft__wit_load(path, &w, err) < 0 ? NULL : (weft_wit_t *)w;
}

weft_wit_t *weft_wit_parse(const char *text, size_t len, const char *name,
                           weft_error_t *err) {
  weft__wit_t *w = NULL;
  return weft__wit_parse(text, len, name, &w, err) < 0 ? NULL
                                                      : (weft_wit_t *)w;
}

void weft_wit_free(weft_wit_t *wit) { weft__wit_free((weft__wit_t *)wit); }

/* ---- plans -------------------------------------------------------------- */

static const char *iface_id(const weft__wit_iface_t *i) {
  return i->qname ? i->qname : i->name;
}

/* Does lowering a value of `t` allocate guest memory? */
static bool allocates(const weft__wit_type_t *t) {
  t = weft__wit_unalias(t);
  if (!t)
    return false;
  switch (t->kind) {
  case WEFT__WIT_STRING:
  case WEFT__WIT_LIST:
    return true;
  case WEFT__WIT_RECORD:
  case WEFT__WIT_TUPLE:
  case WEFT__WIT_VARIANT:
  case WEFT__WIT_OPTION:
  case WEFT__WIT_RESULT:
    for (size_t i = 0; i < t->n; i++)
      if (allocates(t->m[i].type))
        return true;
    return false;
  default:
    return false;
  }
}

/* Types Weft cannot carry: flags past 64, async, futures and streams. */
static const char *unsupported(const weft__wit_type_t *t) {
  t = weft__wit_unalias(t);
  if (!t)
    return NULL;
  if (t->kind == WEFT__WIT_FUTURE || t->kind == WEFT__WIT_STREAM)
    return "future and stream types";
  if (t->kind == WEFT__WIT_FLAGS && t->n > 64)
    return "flags with more than 64 members";
  if (t->kind == WEFT__WIT_OWN || t->kind == WEFT__WIT_BORROW)
    return NULL;
  for (size_t i = 0; i < t->n; i++) {
    const char *u = unsupported(t->m[i].type);
    if (u)
      return u;
  }
  return NULL;
}

static void sig_letters(weft__buf_t *b, const uint8_t *t, int n) {
  for (int i = 0; i < n; i++)
    weft__buf_add(b,
                  t[i] == WEFT_I32   ? "i"
                  : t[i] == WEFT_I64 ? "l"
                  : t[i] == WEFT_F32 ? "f"
                                     : "d",
                  1);
}

static int plan_func(weft_func_t *f, const weft__wit_func_t *wf,
                     const char *iface, bool import, weft_error_t *err) {
  f->wf = wf;
  const char *why = wf->is_async ? "async functions" : NULL;
  for (size_t i = 0; !why && i < wf->nparams; i++)
    why = unsupported(wf->params[i].type);
  for (size_t i = 0; !why && i < wf->nresults; i++)
    why = unsupported(wf->results[i].type);
  if (why)
    return WEFT_ERR(err, WEFT_EUNSUPPORTED, "%s:%d:%d: '%s' uses %s, which "
                    "Weft does not support yet",
                    wf->file, wf->line, wf->col, wf->abi_name, why);
  weft__buf_t b;
  weft__buf_init(&b);
  if (iface)
    weft__buf_printf(&b, "%s#%s", iface, wf->abi_name);
  else
    weft__buf_puts(&b, wf->abi_name);
  f->name = b.data;
  f->core_module = weft__strdup(import ? (iface ? iface : "$root") : "");
  f->core_name = weft__strdup(import ? wf->abi_name : f->name);
  weft__buf_init(&b);
  weft__buf_printf(&b, "cabi_post_%s", f->name ? f->name : "");
  f->post_name = b.data;

  bool alloc_params = false, alloc_results = false;
  for (size_t i = 0; i < wf->nparams; i++) {
    cabi_flatten(wf->params[i].type, &f->params);
    alloc_params |= allocates(wf->params[i].type);
  }
  for (size_t i = 0; i < wf->nresults; i++) {
    cabi_flatten(wf->results[i].type, &f->results);
    alloc_results |= allocates(wf->results[i].type);
  }
  f->params_in_memory = f->params.n > CABI_MAX_FLAT_PARAMS;
  f->results_in_memory = f->results.n > CABI_MAX_FLAT_RESULTS;
  f->needs_realloc = import ? alloc_results
                            : (alloc_params || f->params_in_memory);
  static const uint8_t ptr[1] = {WEFT_I32};
  weft__buf_init(&b);
  if (f->params_in_memory)
    sig_letters(&b, ptr, 1);
  else
    sig_letters(&b, f->params.t, f->params.n);
  if (import && f->results_in_memory)
    sig_letters(&b, ptr, 1);
  weft__buf_add(&b, ":", 1);
  if (!import && f->results_in_memory)
    sig_letters(&b, ptr, 1);
  else if (!f->results_in_memory)
    sig_letters(&b, f->results.t, f->results.n);
  f->sig = b.data;
  if (!f->name || !f->core_module || !f->core_name || !f->post_name ||
      !f->sig)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  return 0;
}

static void world_free(void *cfg) {
  cabi_world_t *w = cfg;
  if (!w)
    return;
  weft_func_t *lists[2] = {w->exports, w->imports};
  size_t counts[2] = {w->nexports, w->nimports};
  for (int k = 0; k < 2; k++) {
    for (size_t i = 0; i < counts[k]; i++) {
      free(lists[k][i].name);
      free(lists[k][i].core_module);
      free(lists[k][i].core_name);
      free(lists[k][i].post_name);
      free(lists[k][i].sig);
    }
    free(lists[k]);
  }
  for (size_t i = 0; i < w->nrtypes; i++) {
    free(w->rtypes[i]->name);
    free(w->rtypes[i]->dtor_export);
    free(w->rtypes[i]);
  }
  free(w->rtypes);
  free(w);
}

static int add_rtype(cabi_world_t *w, const weft__wit_type_t *t,
                     const char *iface, bool guest, weft_error_t *err) {
  if (cabi_rtype(w, t))
    return 0;
  weft_resource_type_t **p =
      realloc(w->rtypes, (w->nrtypes + 1) * sizeof *p);
  if (!p)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  w->rtypes = p;
  weft_resource_type_t *rt = calloc(1, sizeof *rt);
  weft__buf_t b;
  weft__buf_init(&b);
  weft__buf_printf(&b, "%s#%s", iface ? iface : "$root", t->name);
  if (rt && guest) {
    weft__buf_t d;
    weft__buf_init(&d);
    weft__buf_printf(&d, "%s#[dtor]%s", iface ? iface : "", t->name);
    rt->dtor_export = d.data;
  }
  if (!rt || !b.data || (guest && !rt->dtor_export)) {
    free(rt ? rt->dtor_export : NULL);
    free(rt);
    weft__buf_release(&b);
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  }
  rt->wt = t;
  rt->name = b.data;
  rt->guest = guest;
  rt->world = w;
  w->rtypes[w->nrtypes++] = rt;
  return 0;
}

static int add_funcs(cabi_world_t *w, const weft__wit_item_t *items,
                     size_t n, bool import, weft_error_t *err) {
  size_t total = 0;
  for (size_t i = 0; i < n; i++)
    total += items[i].kind == WEFT__WIT_ITEM_FUNC ? 1
             : items[i].kind == WEFT__WIT_ITEM_INTERFACE
                 ? items[i].iface->nfuncs
                 : 0;
  weft_func_t *fs = calloc(total ? total : 1, sizeof *fs);
  if (!fs)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  if (import) {
    w->imports = fs;
  } else {
    w->exports = fs;
  }
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    const weft__wit_item_t *it = &items[i];
    int rc = 0;
    if (it->kind == WEFT__WIT_ITEM_FUNC) {
      fs[k].index = k;
      fs[k].world = w;
      rc = plan_func(&fs[k++], it->func, NULL, import, err);
    } else if (it->kind == WEFT__WIT_ITEM_INTERFACE) {
      const weft__wit_iface_t *iface = it->iface;
      for (size_t j = 0; rc == 0 && j < iface->nfuncs; j++) {
        fs[k].index = k;
        fs[k].world = w;
        rc = plan_func(&fs[k++], iface->funcs[j], iface_id(iface), import,
                       err);
      }
      for (size_t j = 0; rc == 0 && j < iface->ntypes; j++) {
        const weft__wit_type_t *t = iface->types[j];
        if (t->kind == WEFT__WIT_RESOURCE && t->iface == iface)
          rc = add_rtype(w, t, iface_id(iface), !import, err);
      }
    } else if (import && it->type &&
               weft__wit_unalias(it->type)->kind == WEFT__WIT_RESOURCE) {
      rc = add_rtype(w, weft__wit_unalias(it->type), NULL, false, err);
    }
    if (import)
      w->nimports = k;
    else
      w->nexports = k;
    if (rc < 0)
      return rc;
  }
  for (size_t i = 0; i < k; i++)
    w->needs_realloc |= fs[i].needs_realloc;
  return 0;
}

/* Does `name` say "short#item", with `short` the short name of `iface`? */
static bool short_name(const char *name, const weft__wit_iface_t *iface,
                       const char *item) {
  const char *hash = strchr(name, '#');
  if (!hash || !iface)
    return false;
  size_t il = (size_t)(hash - name);
  return strlen(iface->name) == il && !memcmp(iface->name, name, il) &&
         !strcmp(item, hash + 1);
}

const weft_func_t *cabi_find(const weft_func_t *fs, size_t n,
                             const char *name) {
  for (size_t i = 0; i < n; i++)
    if (!strcmp(fs[i].name, name))
      return &fs[i];
  /* "iface#func" by the interface's short name, or a bare "func": if
   * exactly one function answers to it. */
  bool qualified = strchr(name, '#') != NULL;
  const weft_func_t *found = NULL;
  for (size_t i = 0; i < n; i++) {
    const weft__wit_func_t *wf = fs[i].wf;
    if (qualified ? short_name(name, wf->iface, wf->abi_name)
                  : !strcmp(wf->abi_name, name)) {
      if (found)
        return NULL;
      found = &fs[i];
    }
  }
  return found;
}

/* ---- checking a module against the world -------------------------------- */

static void describe(const weft__wit_func_t *wf, weft__buf_t *b) {
  weft__buf_printf(b, "%s:%d", wf->file ? wf->file : "?", wf->line);
}

static int check_module(weft_linker_t *linker, weft_module_t *m,
                        weft_error_t *err) {
  cabi_world_t *w = weft__linker_state_cfg(linker, WEFT__STATE_CABI);
  const char *mn = weft__module_name(m), *wn = w->w->name;
  for (size_t i = 0; i < w->nexports; i++) {
    const weft_func_t *f = &w->exports[i];
    const char *sig = NULL;
    if (!weft__module_export_func(m, f->core_name, &sig)) {
      weft__buf_t b;
      weft__buf_init(&b);
      describe(f->wf, &b);
      int rc = WEFT_ERR(err, WEFT_EUNLINKABLE,
                        "'%s' does not export '%s' of world '%s' (%s)", mn,
                        f->core_name, wn, b.data ? b.data : "");
      weft__buf_release(&b);
      return rc;
    }
    if (strcmp(sig, f->sig))
      return WEFT_ERR(err, WEFT_ESIGNATURE,
                      "'%s' exports '%s' with core signature '%s', but world "
                      "'%s' needs '%s'",
                      mn, f->core_name, sig, wn, f->sig);
    const char *psig = NULL;
    if (weft__module_export_func(m, f->post_name, &psig)) {
      const char *results = strchr(f->sig, ':') + 1;
      size_t rl = strlen(results);
      if (strncmp(psig, results, rl) || strcmp(psig + rl, ":"))
        return WEFT_ERR(err, WEFT_ESIGNATURE,
                        "'%s' exports '%s' with core signature '%s', but it "
                        "must take the results of '%s' ('%s:')",
                        mn, f->post_name, psig, f->core_name, results);
    }
  }
  const char *rsig = NULL;
  if (weft__module_export_func(m, "cabi_realloc", &rsig)) {
    if (strcmp(rsig, "iiii:i"))
      return WEFT_ERR(err, WEFT_ESIGNATURE,
                      "'%s' exports 'cabi_realloc' with core signature "
                      "'%s', not 'iiii:i'",
                      mn, rsig);
  } else if (w->needs_realloc) {
    return WEFT_ERR(err, WEFT_EUNLINKABLE,
                    "'%s' does not export 'cabi_realloc', which world '%s' "
                    "needs to pass strings and lists",
                    mn, wn);
  }
  /* Imports from the world's interfaces: known, typed right, implemented. */
  for (size_t k = 0; k < weft_module_import_count(m); k++) {
    weft_extern_desc_t d;
    weft_module_import(m, k, &d);
    bool world_module = false;
    const weft_func_t *f = NULL;
    for (size_t i = 0; i < w->nimports; i++) {
      if (strcmp(w->imports[i].core_module, d.module))
        continue;
      world_module = true;
      if (!strcmp(w->imports[i].core_name, d.name))
        f = &w->imports[i];
    }
    if (!world_module || strncmp(d.name, "[resource-drop]", 15) == 0)
      continue; /* WASI and the like; resource built-ins are defined */
    if (!f)
      return WEFT_ERR(err, WEFT_EUNLINKABLE,
                      "'%s' imports '%s#%s', which world '%s' does not have",
                      mn, d.module, d.name, wn);
    if (d.kind != WEFT_EXTERN_FUNC || strcmp(d.sig, f->sig))
      return WEFT_ERR(err, WEFT_ESIGNATURE,
                      "'%s' imports '%s' with core signature '%s', but world "
                      "'%s' gives it '%s'",
                      mn, f->name, d.sig, wn, f->sig);
    if (!f->fn)
      return WEFT_ERR(err, WEFT_EUNLINKABLE,
                      "'%s' imports '%s', which the host does not implement",
                      mn, f->name);
  }
  return 0;
}

/* ---- per-instance state ------------------------------------------------- */

cabi_inst_t *cabi_inst_of(weft_instance_t *inst) {
  return weft__instance_state(inst, WEFT__STATE_CABI);
}

static void inst_destroy(void *state) {
  cabi_inst_t *ci = state;
  if (!ci)
    return;
  cabi_handles_clear(ci);
  weft__arena_release(&ci->results);
  weft__arena_release(&ci->scratch);
  free(ci->exports);
  free(ci->posts);
  free(ci);
}

static int inst_create(weft_instance_t *inst, void *cfg, void **state,
                       weft_error_t *err) {
  cabi_world_t *w = cfg;
  cabi_inst_t *ci = calloc(1, sizeof *ci);
  if (!ci)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  ci->inst = inst;
  ci->world = w;
  ci->results.limit = ci->scratch.limit = CABI_VALUE_BUDGET;
  ci->exports = calloc(w->nexports + 1, sizeof *ci->exports);
  ci->posts = calloc(w->nexports + 1, sizeof *ci->posts);
  if (!ci->exports || !ci->posts) {
    inst_destroy(ci);
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  }
  weft_module_t *m = weft__instance_module(inst);
  for (size_t i = 0; i < w->nexports; i++) {
    ci->exports[i] =
        weft__module_export_func(m, w->exports[i].core_name, NULL);
    ci->posts[i] = weft__module_export_func(m, w->exports[i].post_name, NULL);
  }
  ci->realloc_fn = weft__module_export_func(m, "cabi_realloc", NULL);
  *state = ci;
  return 0;
}

/* A reset instance keeps its resolved exports and arena blocks. */
static int inst_reset(void *state, weft_error_t *err) {
  (void)err;
  cabi_inst_t *ci = state;
  cabi_handles_clear(ci);
  weft__arena_reset(&ci->results);
  weft__arena_reset(&ci->scratch);
  ci->depth = 0;
  return 0;
}

static const weft__state_ops_t cabi_ops = {.create = inst_create,
                                           .destroy = inst_destroy,
                                           .reset = inst_reset,
                                           .free_cfg = world_free};

int weft_linker_use_world(weft_linker_t *linker, weft_wit_t *wit,
                          const char *world, weft_error_t *err) {
  if (!linker || !wit)
    return WEFT_ERR(err, WEFT_EINVAL, "no linker or WIT package");
  if (weft__linker_state_cfg(linker, WEFT__STATE_CABI))
    return WEFT_ERR(err, WEFT_EINVAL, "the linker already has a world");
  weft__wit_t *model = (weft__wit_t *)wit;
  const weft__wit_world_t *ww = weft__wit_world(model, world, err);
  if (!ww)
    return WEFT_ENOTFOUND;
  cabi_world_t *w = calloc(1, sizeof *w);
  if (!w)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  w->model = model;
  w->w = ww;
  int rc;
  if ((rc = add_funcs(w, ww->imports, ww->nimports, true, err)) < 0 ||
      (rc = add_funcs(w, ww->exports, ww->nexports, false, err)) < 0 ||
      (rc = weft__linker_set_state(linker, WEFT__STATE_CABI, &cabi_ops, w,
                                   err)) < 0) {
    world_free(w);
    return rc;
  }
  weft__linker_set_check(linker, check_module);
  return cabi_define_resource_builtins(linker, w, err);
}

/* ---- host functions by WIT name ----------------------------------------- */

__attribute__((noreturn)) static void trap_with(weft_caller_t *caller,
                                                const weft_error_t *e) {
  weft__trap(e->code == WEFT_ETRAP ? WEFT_TRAP_ABI : WEFT_TRAP_HOST, e->msg);
  (void)caller;
}

/* A guest's call of an import: lift the arguments, call the host's typed
 * function, lower its results. */
static void host_call(weft_caller_t *caller, void *env,
                      const weft_core_val_t *args, weft_core_val_t *results) {
  weft_func_t *f = env;
  const weft__wit_func_t *wf = f->wf;
  cabi_inst_t *ci = cabi_inst_of(caller);
  weft__arena_reset(&ci->scratch);
  cabi_cx_t cx = {.ci = ci,
                  .inst = caller,
                  .mem = weft__instance_memory0(caller),
                  .arena = &ci->scratch,
                  .what = "arguments",
                  .func = f};
  weft_val_t *vals =
      weft__arena_calloc(&ci->scratch, wf->nparams + wf->nresults + 1,
                         sizeof *vals);
  if (!vals)
    weft__trap(WEFT_TRAP_HOST, "out of memory");
  weft_val_t *res = vals + wf->nparams;
  int rc = 0;
  if (f->params_in_memory) {
    uint32_t ptr = (uint32_t)args[0].of.i32, size, align, off = 0;
    cabi_seq_layout(&cx, wf->params, wf->nparams, 0, &size, &align, &off);
    if (!cabi_mem(&cx, ptr, size, align, "parameters"))
      trap_with(caller, &cx.err);
    for (size_t i = 0; rc == 0 && i < wf->nparams; i++) {
      cabi_seq_layout(&cx, wf->params, wf->nparams, i, &size, &align, &off);
      rc = cabi_load(&cx, wf->params[i].type, ptr + off, &vals[i]);
    }
  } else {
    cabi_flatvals_t in = {(weft_core_val_t *)args, f->params.n, 0};
    for (size_t i = 0; rc == 0 && i < wf->nparams; i++)
      rc = cabi_lift_flat(&cx, wf->params[i].type, &in, &vals[i]);
  }
  if (rc < 0)
    trap_with(caller, &cx.err);
  f->fn(caller, f->env, vals, wf->nparams, res, wf->nresults);
  if (!wf->nresults)
    return;
  cx.what = "results";
  if (f->results_in_memory) {
    uint32_t ptr = (uint32_t)args[f->params_in_memory ? 1 : f->params.n]
                       .of.i32;
    uint32_t size, align, off = 0;
    cabi_seq_layout(&cx, wf->results, wf->nresults, 0, &size, &align, &off);
    if (!cabi_mem(&cx, ptr, size, align, "return area"))
      trap_with(caller, &cx.err);
    for (size_t i = 0; rc == 0 && i < wf->nresults; i++) {
      cabi_seq_layout(&cx, wf->results, wf->nresults, i, &size, &align,
                      &off);
      rc = cabi_store(&cx, wf->results[i].type, &res[i], ptr + off);
    }
  } else {
    cabi_flatvals_t out = {results, 1, 0};
    rc = cabi_lower_flat(&cx, wf->results[0].type, &res[0], &out);
  }
  if (rc < 0) {
    if (cx.failed == WEFT_ESIGNATURE) {
      weft_error_t e = cx.err;
      snprintf(e.msg, sizeof e.msg,
               "host function returned a bad value: %.200s", cx.err.msg);
      trap_with(caller, &e);
    }
    trap_with(caller, &cx.err);
  }
}

int cabi_linker_world(weft_linker_t *linker, cabi_world_t **world,
                      weft_error_t *err) {
  *world = weft__linker_state_cfg(linker, WEFT__STATE_CABI);
  return *world ? 0
                : WEFT_ERR(err, WEFT_EINVAL,
                           "the linker has no world (weft_linker_use_world)");
}

int cabi_linker_import(weft_linker_t *linker, const char *name,
                       cabi_world_t **world, weft_func_t **f,
                       weft_error_t *err) {
  int rc = cabi_linker_world(linker, world, err);
  if (rc < 0)
    return rc;
  cabi_world_t *w = *world;
  *f = (weft_func_t *)cabi_find(w->imports, w->nimports, name);
  return *f ? 0
            : WEFT_ERR(err, WEFT_ENOTFOUND,
                       "world '%s' imports no function '%s'", w->w->name,
                       name);
}

int weft_linker_define_wit(weft_linker_t *linker, const char *name,
                           weft_wit_fn_t fn, void *env, weft_error_t *err) {
  cabi_world_t *w;
  weft_func_t *f;
  int rc = cabi_linker_import(linker, name, &w, &f, err);
  if (rc < 0)
    return rc;
  f->fn = fn;
  f->env = env;
  return weft_linker_define_func(linker, f->core_module, f->core_name, f->sig,
                                 host_call, f, err);
}

static void not_implemented(weft_caller_t *caller, void *env,
                            const weft_val_t *args, size_t nargs,
                            weft_val_t *results, size_t nresults) {
  (void)args, (void)nargs, (void)results, (void)nresults;
  const weft_func_t *f = env;
  char msg[200];
  snprintf(msg, sizeof msg, "'%s' is not implemented by the host", f->name);
  weft_caller_trap(caller, msg);
}

int weft_linker_define_wit_traps(weft_linker_t *linker, weft_error_t *err) {
  cabi_world_t *w;
  int rc = cabi_linker_world(linker, &w, err);
  if (rc < 0)
    return rc;
  for (size_t i = 0; i < w->nimports; i++) {
    weft_func_t *f = &w->imports[i];
    if (f->fn)
      continue;
    if ((rc = weft_linker_define_wit(linker, f->name, not_implemented, f,
                                     err)) < 0)
      return rc;
  }
  return 0;
}

void *weft_caller_alloc(weft_caller_t *caller, size_t size) {
  cabi_inst_t *ci = cabi_inst_of(caller);
  return ci ? weft__arena_alloc(&ci->scratch, size) : NULL;
}

weft_resource_type_t *weft_linker_define_resource(weft_linker_t *linker,
                                                  const char *name,
                                                  weft_resource_dtor_t dtor,
                                                  void *env,
                                                  weft_error_t *err) {
  cabi_world_t *w;
  if (cabi_linker_world(linker, &w, err) < 0)
    return NULL;
  for (size_t i = 0; i < w->nrtypes; i++) {
    weft_resource_type_t *rt = w->rtypes[i];
    if (!rt->guest && (!strcmp(rt->name, name) ||
                       short_name(name, rt->wt->iface, rt->wt->name))) {
      rt->dtor = dtor;
      rt->env = env;
      return rt;
    }
  }
  WEFT_ERR(err, WEFT_ENOTFOUND, "world '%s' imports no resource '%s'",
           w->w->name, name);
  return NULL;
}

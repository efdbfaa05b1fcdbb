/* cabi_call.c - calling a world's exports with component values:
 * weft_call, and weft_call_wave for calls written in WAVE. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cabi/cabi_int.h"
#include "cabi/wave.h"

/* ---- per-function layouts ------------------------------------------------ */

/* Functions are shared by every instance of a linker, on any thread: the
 * memo is filled once under this lock, then only read. */
static pthread_mutex_t memo_lock = PTHREAD_MUTEX_INITIALIZER;

static size_t memo_slot(const weft__wit_type_t *t) {
  uintptr_t a = (uintptr_t)t;
  return (size_t)((a >> 4) ^ (a >> 12)) % CABI_MEMO_TYPES;
}

/* Add `t` and the compound types inside it to f's memo (while there is
 * room; what does not fit is computed at each use). */
static void memo_add(weft_func_t *f, const weft__wit_type_t *t, int depth) {
  t = weft__wit_unalias(t);
  if (!t || depth > WEFT__WIT_MAX_DEPTH)
    return;
  switch (t->kind) {
  case WEFT__WIT_LIST:
    memo_add(f, t->m[0].type, depth + 1);
    return;
  case WEFT__WIT_RECORD:
  case WEFT__WIT_TUPLE:
  case WEFT__WIT_VARIANT:
  case WEFT__WIT_ENUM:
  case WEFT__WIT_OPTION:
  case WEFT__WIT_RESULT:
  case WEFT__WIT_FLAGS:
    break;
  default:
    return;
  }
  /* Open addressing by the type's address. */
  size_t h = memo_slot(t);
  for (uint32_t k = 0; k < CABI_MEMO_TYPES; k++) {
    const weft__wit_type_t *at = f->memo[(h + k) % CABI_MEMO_TYPES].t;
    if (at == t)
      return;
    if (!at)
      break;
  }
  if (f->nmemo == CABI_MEMO_TYPES)
    return;
  while (f->memo[h].t)
    h = (h + 1) % CABI_MEMO_TYPES;
  f->nmemo++;
  cabi_layout_t *l = &f->memo[h];
  memset(l, 0, sizeof *l);
  l->t = t;
  l->size = cabi_size(t);
  l->align = cabi_align(t);
  if (t->kind == WEFT__WIT_RECORD || t->kind == WEFT__WIT_TUPLE) {
    for (size_t i = 0; i < t->n && i < CABI_MEMO_FIELDS; i++)
      l->off[i] = cabi_seq_offset(t->m, t->n, i);
  } else if (t->kind != WEFT__WIT_FLAGS) {
    l->payload = cabi_payload_offset(t);
    cabi_flatten(t, &l->flat);
  }
  if (t->kind == WEFT__WIT_RECORD || t->kind == WEFT__WIT_TUPLE)
    for (size_t i = 0; i < t->n; i++)
      memo_add(f, t->m[i].type, depth + 1);
  else if (t->kind != WEFT__WIT_FLAGS)
    for (size_t i = 0; i < cabi_ncases(t); i++)
      if (cabi_case(t, i))
        memo_add(f, cabi_case(t, i), depth + 1);
}

const cabi_layout_t *cabi_layout(const weft_func_t *cf,
                                 const weft__wit_type_t *t) {
  weft_func_t *f = (weft_func_t *)cf; /* the memo is a cache */
  if (!__atomic_load_n(&f->memo_ready, __ATOMIC_ACQUIRE)) {
    pthread_mutex_lock(&memo_lock);
    if (!f->memo_ready) {
      for (size_t i = 0; i < f->wf->nparams; i++)
        memo_add(f, f->wf->params[i].type, 0);
      for (size_t i = 0; i < f->wf->nresults; i++)
        memo_add(f, f->wf->results[i].type, 0);
      __atomic_store_n(&f->memo_ready, 1, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&memo_lock);
  }
  size_t h = memo_slot(t);
  for (uint32_t k = 0; k < CABI_MEMO_TYPES; k++) {
    const cabi_layout_t *l = &f->memo[(h + k) % CABI_MEMO_TYPES];
    if (l->t == t)
      return l;
    if (!l->t)
      return NULL;
  }
  return NULL;
}

void cabi_seq_layout(const cabi_cx_t *cx, const weft__wit_member_t *m,
                     size_t n, size_t at, uint32_t *size, uint32_t *align,
                     uint32_t *offset) {
  uint32_t off = 0, max = 1;
  for (size_t i = 0; i < n; i++) {
    uint32_t s, a;
    cabi_size_align(cx, weft__wit_unalias(m[i].type), &s, &a);
    off = cabi_align_to(off, a);
    if (i == at)
      *offset = off;
    off += s;
    if (a > max)
      max = a;
  }
  *size = cabi_align_to(off, max);
  *align = max;
}

/* ---- calls -------------------------------------------------------------- */

const weft_func_t *weft_instance_func(weft_instance_t *inst, const char *name,
                                      weft_error_t *err) {
  cabi_inst_t *ci = inst ? cabi_inst_of(inst) : NULL;
  if (!ci) {
    WEFT_ERR(err, WEFT_EINVAL,
             "the instance has no world (weft_linker_use_world)");
    return NULL;
  }
  const weft_func_t *f =
      cabi_find(ci->world->exports, ci->world->nexports, name);
  if (!f)
    WEFT_ERR(err, WEFT_ENOTFOUND, "world '%s' exports no function '%s'",
             ci->world->w->name, name);
  return f;
}

size_t weft_func_param_count(const weft_func_t *f) { return f->wf->nparams; }
size_t weft_func_result_count(const weft_func_t *f) { return f->wf->nresults; }

void cabi_end_loans(cabi_inst_t *ci) {
  for (uint32_t h = 1; ci->lent && h <= ci->nhandles; h++)
    if (ci->handles[h - 1].res && ci->handles[h - 1].lent)
      cabi_handle_free(ci, h);
  ci->lent = 0;
}

static int fail(cabi_cx_t *cx, weft_error_t *err) {
  cabi_end_loans(cx->ci);
  if (err)
    *err = cx->err;
  return cx->failed;
}

int weft_call_func(weft_instance_t *inst, const weft_func_t *f,
                   const weft_val_t *args, size_t nargs, weft_val_t *results,
                   size_t nresults, weft_error_t *err) {
  cabi_inst_t *ci = inst ? cabi_inst_of(inst) : NULL;
  if (!ci || !f || f->world != ci->world)
    return WEFT_ERR(err, WEFT_EINVAL,
                    "the function is not an export of the instance's world");
  const weft__wit_func_t *wf = f->wf;
  if (nargs != wf->nparams || (nargs && !args))
    return WEFT_ERR(err, WEFT_ESIGNATURE, "'%s' takes %zu arguments, %zu given",
                    f->name, wf->nparams, nargs);
  if (ci->depth)
    return WEFT_ERR(err, WEFT_EINVAL,
                    "'%s' called while the instance is running", f->name);
  const void *fn = ci->exports[f->index];
  weft__arena_reset(&ci->results);
  cabi_cx_t cx = {.ci = ci,
                  .inst = inst,
                  .mem = weft__instance_memory0(inst),
                  .arena = &ci->results,
                  .what = "arguments",
                  .func = f,
                  .export_call = true};
  weft_core_val_t flat[CABI_MAX_FLAT_PARAMS], core_res[1] = {{0}};
  cabi_flatvals_t out = {flat, CABI_MAX_FLAT_PARAMS, 0};
  int rc = 0;
  if (f->params_in_memory) {
    uint32_t ptr = 0, size, align, off = 0;
    cabi_seq_layout(&cx, wf->params, wf->nparams, 0, &size, &align, &off);
    rc = cabi_realloc(&cx, align, size, &ptr);
    for (size_t i = 0; rc == 0 && i < nargs; i++) {
      cabi_seq_layout(&cx, wf->params, wf->nparams, i, &size, &align, &off);
      rc = cabi_store(&cx, wf->params[i].type, &args[i], ptr + off);
    }
    flat[0] = (weft_core_val_t){.type = WEFT_I32, .of.i32 = (int32_t)ptr};
  } else {
    for (size_t i = 0; rc == 0 && i < nargs; i++)
      rc = cabi_lower_flat(&cx, wf->params[i].type, &args[i], &out);
  }
  if (rc < 0)
    return fail(&cx, err);

  ci->depth++;
  rc = weft__instance_call(inst, fn, flat, core_res, &cx.err);
  ci->depth--;
  if (rc < 0) {
    cx.failed = rc;
    return fail(&cx, err);
  }

  cx.what = "results";
  cx.mem = weft__instance_memory0(inst);
  weft_val_t one, *res = nresults >= wf->nresults ? results : NULL;
  if (!res && wf->nresults)
    res = weft__arena_calloc(&ci->results, wf->nresults, sizeof *res);
  if (!res)
    res = &one;
  if (f->results_in_memory) {
    uint32_t ptr = (uint32_t)core_res[0].of.i32, size, align, off = 0;
    cabi_seq_layout(&cx, wf->results, wf->nresults, 0, &size, &align, &off);
    if (!cabi_mem(&cx, ptr, size, align, "results"))
      return fail(&cx, err);
    for (size_t i = 0; rc == 0 && i < wf->nresults; i++) {
      if (i)
        cabi_seq_layout(&cx, wf->results, wf->nresults, i, &size, &align,
                        &off);
      rc = cabi_load(&cx, wf->results[i].type, ptr + off, &res[i]);
    }
  } else if (wf->nresults) {
    cabi_flatvals_t in = {core_res, f->results.n, 0};
    rc = cabi_lift_flat(&cx, wf->results[0].type, &in, &res[0]);
  }
  if (rc < 0)
    return fail(&cx, err);
  if (ci->posts[f->index]) {
    ci->depth++;
    rc = weft__instance_call(inst, ci->posts[f->index], core_res, NULL,
                             &cx.err);
    ci->depth--;
    if (rc < 0) {
      cx.failed = rc;
      return fail(&cx, err);
    }
  }
  if (ci->lent) {
    cabi_fail(&cx, WEFT_ETRAP, "%u borrowed handle%s still held at the end",
              ci->lent, ci->lent == 1 ? " was" : "s were");
    return fail(&cx, err);
  }
  if (res != results && results)
    memcpy(results, res, nresults * sizeof *res);
  return 0;
}

int weft_call(weft_instance_t *inst, const char *name, const weft_val_t *args,
              size_t nargs, weft_val_t *results, size_t nresults,
              weft_error_t *err) {
  const weft_func_t *f = weft_instance_func(inst, name, err);
  if (!f)
    return err ? err->code : WEFT_ENOTFOUND;
  return weft_call_func(inst, f, args, nargs, results, nresults, err);
}

int weft_call_wave(weft_instance_t *inst, const char *text, char **out,
                   weft_error_t *err) {
  *out = NULL;
  const char *name, *atext;
  size_t nlen, alen;
  int rc = weft__wave_split_call(text, strlen(text), &name, &nlen, &atext,
                                 &alen, err);
  if (rc < 0)
    return rc;
  char *fname = weft__strndup(name, nlen);
  if (!fname)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  const weft_func_t *f = weft_instance_func(inst, fname, err);
  free(fname);
  if (!f)
    return WEFT_ENOTFOUND;
  weft__arena_t a = WEFT__ARENA_INIT;
  a.limit = CABI_VALUE_BUDGET;
  weft_val_t *args = NULL, *res = NULL;
  size_t nres = f->wf->nresults;
  weft__buf_t b;
  weft__buf_init(&b);
  rc = weft__wave_parse_args(f->wf, atext, alen, (int)(atext - text) + 1, &a,
                             &args, err);
  if (rc == 0 && !(res = weft__arena_calloc(&a, nres + 1, sizeof *res)))
    rc = WEFT_ENOMEM;
  if (rc == 0)
    rc = weft_call_func(inst, f, args, f->wf->nparams, res, nres, err);
  /* Several (named) results print as a tuple. */
  if (rc == 0 && nres > 1)
    rc = weft__buf_puts(&b, "(");
  for (size_t i = 0; rc == 0 && i < nres; i++) {
    if (i)
      rc = weft__buf_puts(&b, ", ");
    if (rc == 0)
      rc = weft__wave_print(f->wf->results[i].type, &res[i], &b);
  }
  if (rc == 0 && nres > 1)
    rc = weft__buf_puts(&b, ")");
  if (rc == 0 && !b.data && !(b.data = weft__strdup("")))
    rc = WEFT_ENOMEM;
  weft__arena_release(&a);
  if (rc < 0) {
    if (rc == WEFT_ENOMEM)
      WEFT_ERR(err, rc, "out of memory");
    weft__buf_release(&b);
    return rc;
  }
  *out = b.data;
  return 0;
}

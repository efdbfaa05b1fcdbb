/* cycle.c - running a unit: a fresh instance of its code with its memory
 * and globals restored, the host side of the world weft:unit (state,
 * emit, schedule, random, now), and one cycle as a transaction: the
 * guest's writes are admitted or denied one by one against a working copy
 * of the state; at the end the cycle commits (changed memory pages, the
 * admitted writes and a signed entry, in one SQLite transaction) or, when
 * the guest traps, passes its deadline or returns an error, everything
 * rolls back and a rejected-cycle entry is committed instead.
 *
 * Determinism: the guest sees no ambient clock or randomness. The time
 * and a 32-byte seed are inputs of the cycle, recorded in its entry;
 * `random` draws from BLAKE2b(seed, counter), and WASI's clock_time_get
 * and random_get are replaced by the same sources. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "cabi/wit.h"
#include "engine/engine.h"
#include "engine/snapshot.h"
#include "unit/codec.h"
#include "unit/unit.h"


#define IFACE "weft:unit/"
#define VER "@0.1.0#"

struct weft__urun {
  weft_engine_t *engine;
  weft__unitfile_t *u;        /* NULL while making a new unit */
  weft__ukey_t host;
  const weft__uschema_t *schema;
  weft__upolicy_t *policy;    /* owned */
  const uint8_t *owner;
  const uint8_t *unit_id;
  weft_module_t *module;
  weft_wit_t *wit;
  weft_linker_t *linker;
  weft_instance_t *inst;
  /* The state as of the last committed entry. */
  uint64_t head_seq, head_time;
  uint8_t head_hash[WEFT__HASH_LEN];
  uint32_t mem_pages;
  uint8_t *shadow;            /* memory: mem_pages * 64 KiB */
  weft__merkle_t tree;        /* leaves: page hashes */
  weft__ustate_t state;
  weft__buf_t globals;
  /* The cycle in progress. */
  bool in_cycle;
  weft__ustate_t work;
  weft__uentry_t *entry;
  size_t cap_muts, cap_emits;
  uint64_t rand_counter;
  bool by_owner;
  bool broken;                /* a commit failed: the run is ahead */
};

/* ---- helpers ------------------------------------------------------------- */

static void *caller_alloc(void *ctx, size_t n) {
  return weft_caller_alloc(ctx, n);
}

static weft__urun_t *run_of(weft_caller_t *c, void *env) {
  weft__urun_t *r = env;
  if (!r->in_cycle)
    weft_caller_trap(c, "unit: host call outside a cycle");
  return r;
}

/* The next 32 deterministic random bytes of this cycle. */
static void draw(weft__urun_t *r, uint8_t out[32]) {
  uint8_t ctr[8];
  uint64_t c = r->rand_counter++;
  for (int i = 0; i < 8; i++)
    ctr[i] = (uint8_t)(c >> (56 - 8 * i));
  weft__uhash(out, WEFT__H_ENTRY, 2, r->entry->seed, sizeof r->entry->seed,
              ctr, (size_t)8);
}

static void rand_fill(weft__urun_t *r, uint8_t *p, size_t n) {
  uint8_t seed[32];
  draw(r, seed);
  randombytes_buf_deterministic(p, n, seed);
}

/* ---- the host functions -------------------------------------------------- */

static void h_get(weft_caller_t *c, void *env, const weft_val_t *args,
                  size_t nargs, weft_val_t *res, size_t nres) {
  (void)nargs, (void)nres;
  weft__urun_t *r = run_of(c, env);
  char *key = weft__strndup(args[0].of.str.ptr, args[0].of.str.len);
  if (!key)
    weft_caller_trap(c, "unit: out of memory");
  const weft__ustate_ent_t *e = weft__ustate_get(&r->work, key);
  free(key);
  res[0].kind = WEFT_VAL_OPTION;
  res[0].of.var.tag = e != NULL;
  if (!e)
    return;
  weft_val_t *v = weft_caller_alloc(c, sizeof *v);
  uint8_t *copy = weft_caller_alloc(c, e->len ? e->len : 1);
  if (!v || !copy)
    weft_caller_trap(c, "unit: out of memory");
  memcpy(copy, e->val, e->len);
  if (weft__uval_to_wit(copy, e->len, caller_alloc, c, v) < 0)
    weft_caller_trap(c, "unit: out of memory");
  res[0].of.var.val = v;
}

/* Record a write and its verdict; apply it to the working state when it
 * is admitted. Returns whether it was. */
static bool record_write(weft__urun_t *r, weft_caller_t *c, const char *key,
                  const uint8_t *val, size_t len, weft__udenial_t *d) {
  const weft__ustate_ent_t *now = weft__ustate_get(&r->work, key);
  const weft__ustate_ent_t *st = weft__ustate_get(&r->state, key);
  weft__uwrite_t w = {.key = key,
                      .now = now ? now->val : NULL,
                      .now_len = now ? now->len : 0,
                      .start = st ? st->val : NULL,
                      .start_len = st ? st->len : 0,
                      .val = val,
                      .val_len = len,
                      .by_owner = r->by_owner};
  bool ok = weft__unit_admit(r->schema, r->policy, &w, d) == 0;
  weft__uentry_t *e = r->entry;
  if (e->nmuts == r->cap_muts) {
    size_t cap = r->cap_muts ? 2 * r->cap_muts : 8;
    weft__umut_t *m = realloc(e->muts, cap * sizeof *m);
    if (!m)
      weft_caller_trap(c, "unit: out of memory");
    e->muts = m;
    r->cap_muts = cap;
  }
  if (e->nmuts >= 100000)
    weft_caller_trap(c, "unit: more than 100000 writes in one cycle");
  weft__umut_t *m = &e->muts[e->nmuts];
  memset(m, 0, sizeof *m);
  m->key = weft__strdup(key);
  m->del = val == NULL;
  m->val = val ? malloc(len ? len : 1) : NULL;
  if (!m->key || (val && !m->val)) {
    free(m->key);
    free(m->val);
    weft_caller_trap(c, "unit: out of memory");
  }
  if (val && len)
    memcpy(m->val, val, len);
  m->val_len = val ? len : 0;
  m->admitted = ok;
  snprintf(m->rule, sizeof m->rule, "%s", ok ? "" : d->rule);
  e->nmuts++;
  if (ok && weft__ustate_put(&r->work, key, val, len) < 0)
    weft_caller_trap(c, "unit: out of memory");
  return ok;
}

static void denial_result(weft_caller_t *c, bool ok,
                          const weft__udenial_t *d, weft_val_t *res) {
  res[0].kind = WEFT_VAL_RESULT;
  res[0].of.var.tag = !ok;
  res[0].of.var.val = NULL;
  if (ok)
    return;
  weft_val_t *v = weft_caller_alloc(c, 3 * sizeof *v);
  if (!v)
    weft_caller_trap(c, "unit: out of memory");
  memset(v, 0, 3 * sizeof *v);
  v[1].kind = v[2].kind = WEFT_VAL_STRING;
  v[1].of.str.ptr = d->rule;
  v[1].of.str.len = strlen(d->rule);
  v[2].of.str.ptr = d->msg;
  v[2].of.str.len = strlen(d->msg);
  v[0].kind = WEFT_VAL_RECORD;
  v[0].of.list.ptr = &v[1];
  v[0].of.list.len = 2;
  res[0].of.var.val = &v[0];
}

static char *key_arg(weft_caller_t *c, const weft_val_t *a) {
  char *key = weft__strndup(a->of.str.ptr, a->of.str.len);
  if (!key)
    weft_caller_trap(c, "unit: out of memory");
  return key;
}

static void h_set(weft_caller_t *c, void *env, const weft_val_t *args,
                  size_t nargs, weft_val_t *res, size_t nres) {
  (void)nargs, (void)nres;
  weft__urun_t *r = run_of(c, env);
  weft__buf_t b;
  weft__buf_init(&b);
  weft_error_t e = {0};
  if (weft__uval_from_wit(&args[1], &b, &e) < 0) {
    weft__buf_release(&b);
    weft_caller_trap(c, e.msg);
  }
  char *key = key_arg(c, &args[0]);
  /* A copy that lives past the call, for the denial's strings. */
  weft__udenial_t *d = weft_caller_alloc(c, sizeof *d);
  if (!d)
    weft_caller_trap(c, "unit: out of memory");
  bool ok = record_write(r, c, key, b.len ? (uint8_t *)b.data : (uint8_t *)"",
                  b.len, d);
  free(key);
  weft__buf_release(&b);
  denial_result(c, ok, d, res);
}

static void h_delete(weft_caller_t *c, void *env, const weft_val_t *args,
                     size_t nargs, weft_val_t *res, size_t nres) {
  (void)nargs, (void)nres;
  weft__urun_t *r = run_of(c, env);
  char *key = key_arg(c, &args[0]);
  weft__udenial_t *d = weft_caller_alloc(c, sizeof *d);
  if (!d)
    weft_caller_trap(c, "unit: out of memory");
  bool ok = record_write(r, c, key, NULL, 0, d);
  free(key);
  denial_result(c, ok, d, res);
}

static void h_emit(weft_caller_t *c, void *env, const weft_val_t *args,
                   size_t nargs, weft_val_t *res, size_t nres) {
  (void)nargs, (void)nres, (void)res;
  weft__urun_t *r = run_of(c, env);
  weft__uentry_t *e = r->entry;
  if (e->nemits >= 10000)
    weft_caller_trap(c, "unit: more than 10000 messages in one cycle");
  if (e->nemits == r->cap_emits) {
    size_t cap = r->cap_emits ? 2 * r->cap_emits : 4;
    weft__uemit_t *m = realloc(e->emits, cap * sizeof *m);
    if (!m)
      weft_caller_trap(c, "unit: out of memory");
    e->emits = m;
    r->cap_emits = cap;
  }
  weft__uemit_t *m = &e->emits[e->nemits];
  size_t n = args[1].of.bytes.len;
  m->kind = weft__strndup(args[0].of.str.ptr, args[0].of.str.len);
  m->body = malloc(n ? n : 1);
  m->body_len = n;
  if (!m->kind || !m->body || strlen(m->kind) != args[0].of.str.len) {
    free(m->kind);
    free(m->body);
    weft_caller_trap(c, "unit: a message kind must not hold NUL");
  }
  if (n)
    memcpy(m->body, args[1].of.bytes.ptr, n);
  e->nemits++;
}

static void h_after(weft_caller_t *c, void *env, const weft_val_t *args,
                    size_t nargs, weft_val_t *res, size_t nres) {
  (void)nargs, (void)nres, (void)res;
  weft__urun_t *r = run_of(c, env);
  /* Recorded as 1 + the delay, so 0 can mean "no schedule". */
  uint64_t ms = args[0].of.u64;
  r->entry->next_ms = ms == UINT64_MAX ? ms : ms + 1;
}

static void h_next(weft_caller_t *c, void *env, const weft_val_t *args,
                   size_t nargs, weft_val_t *res, size_t nres) {
  (void)nargs, (void)nres, (void)args;
  weft__urun_t *r = run_of(c, env);
  uint8_t b[8];
  rand_fill(r, b, 8);
  uint64_t v = 0;
  for (int i = 0; i < 8; i++)
    v = v << 8 | b[i];
  res[0] = (weft_val_t){.kind = WEFT_VAL_U64, .of.u64 = v};
}

static void h_fill(weft_caller_t *c, void *env, const weft_val_t *args,
                   size_t nargs, weft_val_t *res, size_t nres) {
  (void)nargs, (void)nres;
  weft__urun_t *r = run_of(c, env);
  uint32_t n = args[0].of.u32;
  if (n > 65536)
    weft_caller_trap(c, "unit: random fill of more than 65536 bytes");
  uint8_t *p = weft_caller_alloc(c, n ? n : 1);
  if (!p)
    weft_caller_trap(c, "unit: out of memory");
  rand_fill(r, p, n);
  res[0].kind = WEFT_VAL_LIST;
  res[0].of.bytes.ptr = p;
  res[0].of.bytes.len = n;
}

static void h_now(weft_caller_t *c, void *env, const weft_val_t *args,
                  size_t nargs, weft_val_t *res, size_t nres) {
  (void)nargs, (void)nres, (void)args;
  weft__urun_t *r = run_of(c, env);
  res[0] = (weft_val_t){.kind = WEFT_VAL_U64, .of.u64 = r->entry->time_ms};
}

/* WASI's clock and randomness, from the cycle's inputs. Outside a cycle
 * (the guest's _initialize) the time is 0 and the bytes are zero. */
static void wasi_clock(weft_caller_t *c, void *env,
                       const weft_core_val_t *args, weft_core_val_t *res) {
  weft__urun_t *r = env;
  size_t size;
  uint8_t *mem = weft_caller_memory(c, &size);
  uint32_t p = (uint32_t)args[2].of.i32;
  uint64_t ns = r->in_cycle ? r->entry->time_ms * 1000000ull : 0;
  res[0] = (weft_core_val_t){.type = WEFT_I32, .of.i32 = 0};
  if (!mem || p > size || size - p < 8) {
    res[0].of.i32 = 21; /* EFAULT */
    return;
  }
  memcpy(mem + p, &ns, 8);
}

static void wasi_random(weft_caller_t *c, void *env,
                        const weft_core_val_t *args, weft_core_val_t *res) {
  weft__urun_t *r = env;
  size_t size;
  uint8_t *mem = weft_caller_memory(c, &size);
  uint32_t p = (uint32_t)args[0].of.i32, n = (uint32_t)args[1].of.i32;
  res[0] = (weft_core_val_t){.type = WEFT_I32, .of.i32 = 0};
  if (!mem || p > size || size - p < n) {
    res[0].of.i32 = 21;
    return;
  }
  if (r->in_cycle)
    rand_fill(r, mem + p, n);
  else
    memset(mem + p, 0, n);
}

/* ---- instances ----------------------------------------------------------- */

static int make_linker(weft__urun_t *r, weft_error_t *err) {
  r->wit = weft__wit_load_shipped(NULL, "unit", err);
  if (!r->wit)
    return err ? err->code : WEFT_ENOMEM;
  static const struct {
    const char *name;
    weft_wit_fn_t fn;
  } fns[] = {{IFACE "state" VER "get", h_get},
             {IFACE "state" VER "set", h_set},
             {IFACE "state" VER "delete", h_delete},
             {IFACE "emit" VER "emit", h_emit},
             {IFACE "schedule" VER "after", h_after},
             {IFACE "random" VER "next", h_next},
             {IFACE "random" VER "fill", h_fill},
             {IFACE "now" VER "now", h_now}};
  weft_wasi_config_t wasi = {.stdin_fd = -1, .stdout_fd = 2, .stderr_fd = 2};
  r->linker = weft_linker_new(r->engine);
  if (!r->linker)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  int rc = weft_linker_define_wasi(r->linker, &wasi, err);
  if (rc == 0)
    rc = weft_linker_define_func(r->linker, "wasi_snapshot_preview1",
                                 "clock_time_get", "ili:i", wasi_clock, r,
                                 err);
  if (rc == 0)
    rc = weft_linker_define_func(r->linker, "wasi_snapshot_preview1",
                                 "random_get", "ii:i", wasi_random, r, err);
  if (rc == 0)
    rc = weft_linker_use_world(r->linker, r->wit, "unit", err);
  for (size_t i = 0; rc == 0 && i < sizeof fns / sizeof fns[0]; i++)
    rc = weft_linker_define_wit(r->linker, fns[i].name, fns[i].fn, r, err);
  return rc;
}

/* Save the exported mutable globals into r->globals. */
static int save_globals(weft__urun_t *r) {
  r->globals.len = 0;
  size_t n = weft__snapshot_global_count(r->inst);
  for (size_t i = 0; i < n; i++) {
    char t;
    uint8_t v[8] = {0};
    void *p = weft__snapshot_global(r->inst, i, &t);
    if (p)
      memcpy(v, p, t == 'i' || t == 'f' ? 4 : 8);
    if (weft__buf_add(&r->globals, &t, 1) || weft__buf_add(&r->globals, v, 8))
      return WEFT_ENOMEM;
  }
  return 0;
}

static int restore_globals(weft__urun_t *r, weft_error_t *err) {
  size_t n = weft__snapshot_global_count(r->inst);
  if (r->globals.len != 9 * n)
    return WEFT_ERR(err, WEFT_EINVALID,
                    "the saved globals do not fit the code (%zu bytes for %zu)",
                    r->globals.len, n);
  for (size_t i = 0; i < n; i++) {
    char t;
    void *p = weft__snapshot_global(r->inst, i, &t);
    if (!p || r->globals.data[9 * i] != t)
      return WEFT_ERR(err, WEFT_EINVALID, "saved global %zu has another type",
                      i);
    memcpy(p, r->globals.data + 9 * i + 1, t == 'i' || t == 'f' ? 4 : 8);
  }
  return 0;
}

static weft_limits_t limits_of(const weft__urun_t *r) {
  weft_limits_t l = {.max_memory = r->policy->max_memory,
                     .deadline_ns = r->policy->deadline_ns};
  return l;
}

/* A new instance with the run's memory and globals (restore) or as the
 * code makes it, _initialize run (fresh). */
static int instantiate(weft__urun_t *r, bool fresh, weft_error_t *err) {
  if (r->inst)
    weft_instance_free(r->inst);
  weft_limits_t l = limits_of(r);
  r->inst = weft_instance_new(r->linker, r->module, &l, err);
  if (!r->inst)
    return err ? err->code : WEFT_ENOMEM;
  if (fresh) {
    if (weft_instance_func_sig(r->inst, "_initialize"))
      return weft_instance_invoke(r->inst, "_initialize", NULL, 0, NULL, 0,
                                  err);
    return 0;
  }
  int rc = weft__snapshot_grow(r->inst, r->mem_pages, err);
  if (rc < 0)
    return rc;
  size_t size;
  uint8_t *mem = weft_instance_memory(r->inst, NULL, &size);
  size_t want = (size_t)r->mem_pages * 65536;
  if (!mem || size != want)
    return WEFT_ERR(err, WEFT_EINVALID,
                    "the saved memory (%u pages) does not fit the code",
                    r->mem_pages);
  memcpy(mem, r->shadow, want);
  return restore_globals(r, err);
}

/* Take the instance's memory as the run's (after instantiation). */
static int snapshot_all(weft__urun_t *r, weft_error_t *err) {
  size_t size;
  uint8_t *mem = weft_instance_memory(r->inst, NULL, &size);
  if (!mem)
    return WEFT_ERR(err, WEFT_EINVALID, "the code exports no memory");
  free(r->shadow);
  r->shadow = malloc(size ? size : 1);
  size_t npages = size / WEFT__UNIT_PAGE;
  if (!r->shadow || weft__merkle_resize(&r->tree, npages) < 0 ||
      save_globals(r) < 0)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  memcpy(r->shadow, mem, size);
  r->mem_pages = (uint32_t)(size / 65536);
  for (size_t i = 0; i < npages; i++) {
    uint8_t h[WEFT__HASH_LEN];
    weft__page_hash(r->shadow + i * WEFT__UNIT_PAGE, h);
    weft__merkle_set_leaf(&r->tree, i, h);
  }
  weft__merkle_build(&r->tree);
  return 0;
}

static weft__urun_t *run_new(weft_engine_t *engine, const uint8_t *code,
                             size_t len, const char *policy_text,
                             const weft__uschema_t *schema,
                             weft_error_t *err) {
  weft__urun_t *r = calloc(1, sizeof *r);
  if (!r) {
    WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
    return NULL;
  }
  r->engine = engine;
  r->schema = schema;
  weft__buf_init(&r->globals);
  int rc = weft__unit_init(err);
  if (rc == 0)
    rc = weft__upolicy_parse(policy_text, strlen(policy_text),
                             "<unit policy>", schema, &r->policy, err);
  if (rc == 0)
    rc = make_linker(r, err);
  if (rc == 0 &&
      !(r->module = weft_module_load_bytes(engine, code, len, "unit", err)))
    rc = err ? err->code : WEFT_ENOMEM;
  if (rc < 0) {
    weft__urun_free(r);
    return NULL;
  }
  return r;
}

/* See unit.h. */
void weft__urun_free(weft__urun_t *r) {
  if (!r)
    return;
  if (r->inst)
    weft_instance_free(r->inst);
  if (r->linker)
    weft_linker_free(r->linker);
  if (r->module)
    weft_module_free(r->module);
  if (r->wit)
    weft_wit_free(r->wit);
  weft__upolicy_free(r->policy);
  free(r->shadow);
  weft__merkle_release(&r->tree);
  weft__ustate_release(&r->state);
  weft__ustate_release(&r->work);
  weft__buf_release(&r->globals);
  sodium_memzero(&r->host, sizeof r->host);
  free(r);
}

/* See unit.h. */
int weft__unit_initial_memory(weft_engine_t *engine, const uint8_t *code,
                              size_t len, const char *policy_text,
                              const weft__uschema_t *schema, uint8_t **mem,
                              uint32_t *mem_pages, uint8_t **globals,
                              size_t *globals_len, weft_error_t *err) {
  *mem = NULL;
  *globals = NULL;
  weft__urun_t *r = run_new(engine, code, len, policy_text, schema, err);
  if (!r)
    return err ? err->code : WEFT_ENOMEM;
  int rc = instantiate(r, true, err);
  if (rc == 0)
    rc = snapshot_all(r, err);
  if (rc == 0) {
    *mem = r->shadow;
    r->shadow = NULL;
    *mem_pages = r->mem_pages;
    *globals_len = r->globals.len;
    *globals = malloc(r->globals.len ? r->globals.len : 1);
    if (!*globals) {
      free(*mem);
      *mem = NULL;
      rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
    } else if (r->globals.len) {
      memcpy(*globals, r->globals.data, r->globals.len);
    }
  }
  weft__urun_free(r);
  return rc;
}

static void take_head(weft__urun_t *r, const weft__uentry_t *e) {
  r->head_seq = e->seq;
  r->head_time = e->time_ms;
  memcpy(r->head_hash, e->hash, WEFT__HASH_LEN);
}

/* See unit.h. */
int weft__urun_open(weft_engine_t *engine, weft__unitfile_t *u,
                    const weft__ukey_t *host, weft__urun_t **out,
                    weft_error_t *err) {
  *out = NULL;
  weft__urun_t *r =
      run_new(engine, u->code, u->code_len, u->policy_text, u->schema, err);
  if (!r)
    return err ? err->code : WEFT_ENOMEM;
  r->u = u;
  r->owner = u->owner;
  r->unit_id = u->unit_id;
  if (host)
    r->host = *host;
  take_head(r, &u->head);
  r->mem_pages = u->mem_pages;
  size_t bytes = (size_t)u->mem_pages * 65536;
  int rc = 0;
  r->shadow = malloc(bytes ? bytes : 1);
  if (!r->shadow || weft__ustate_copy(&r->state, &u->state) < 0 ||
      weft__buf_add(&r->globals, u->globals ? (void *)u->globals : "",
                    u->globals_len) < 0 ||
      weft__merkle_resize(&r->tree, u->npages) < 0)
    rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  if (rc == 0)
    rc = weft__unitfile_read_memory(u, r->shadow, err);
  for (size_t i = 0; rc == 0 && i < u->npages; i++)
    weft__merkle_set_leaf(&r->tree, i, u->page_hash[i]);
  if (rc == 0) {
    weft__merkle_build(&r->tree);
    rc = instantiate(r, false, err);
  }
  if (rc < 0) {
    weft__urun_free(r);
    return rc;
  }
  *out = r;
  return 0;
}

/* See unit.h. */
int weft__urun_genesis(weft_engine_t *engine, weft__unitfile_t *u,
                       weft__urun_t **out, uint8_t mem_root[WEFT__HASH_LEN],
                       uint32_t *mem_pages, weft_error_t *err) {
  *out = NULL;
  char *policy = NULL;
  int rc = weft__unitfile_policy_at(u, 0, &policy, err);
  if (rc < 0)
    return rc;
  weft__urun_t *r = run_new(engine, u->code, u->code_len, policy, u->schema,
                            err);
  free(policy);
  if (!r)
    return err ? err->code : WEFT_ENOMEM;
  r->u = u;
  r->owner = u->owner;
  r->unit_id = u->unit_id;
  rc = instantiate(r, true, err);
  if (rc == 0)
    rc = snapshot_all(r, err);
  if (rc < 0) {
    weft__urun_free(r);
    return rc;
  }
  weft__merkle_root(&r->tree, mem_root);
  *mem_pages = r->mem_pages;
  *out = r;
  return 0;
}

/* See unit.h. */
int weft__urun_set_policy(weft__urun_t *r, const char *text,
                          weft_error_t *err) {
  weft__upolicy_t *p;
  int rc = weft__upolicy_parse(text, strlen(text), "<unit policy>",
                               r->schema, &p, err);
  if (rc < 0)
    return rc;
  weft__upolicy_free(r->policy);
  r->policy = p;
  /* Limits are fixed at instantiation. */
  return instantiate(r, false, err);
}

/* ---- a cycle ------------------------------------------------------------- */

/* The cycle-input record of entry `e`: v[0] (free with free_input). Its
 * last slot keeps the array of the messages' fields. */
static weft_val_t *input_val(const weft__uentry_t *e) {
  size_t n = 5 + e->nmsgs;
  weft_val_t *v = calloc(n, sizeof *v);
  if (!v)
    return NULL;
  weft_val_t *f = &v[1], *msgs = &v[4];
  v[0].kind = WEFT_VAL_RECORD;
  v[0].of.list.ptr = f;
  v[0].of.list.len = 3;
  f[0] = (weft_val_t){.kind = WEFT_VAL_U64, .of.u64 = e->seq};
  f[1] = (weft_val_t){.kind = WEFT_VAL_U64, .of.u64 = e->time_ms};
  f[2].kind = WEFT_VAL_LIST;
  f[2].of.list.ptr = msgs;
  f[2].of.list.len = e->nmsgs;
  weft_val_t *fields = calloc(3 * (e->nmsgs ? e->nmsgs : 1), sizeof *fields);
  if (!fields) {
    free(v);
    return NULL;
  }
  for (size_t i = 0; i < e->nmsgs; i++) {
    const weft__umsg_t *m = &e->msgs[i];
    weft_val_t *mf = &fields[3 * i];
    mf[0].kind = WEFT_VAL_LIST;
    mf[0].of.bytes.ptr = m->sender;
    mf[0].of.bytes.len = WEFT__PK_LEN;
    mf[1].kind = WEFT_VAL_STRING;
    mf[1].of.str.ptr = m->kind;
    mf[1].of.str.len = strlen(m->kind);
    mf[2].kind = WEFT_VAL_LIST;
    mf[2].of.bytes.ptr = m->body;
    mf[2].of.bytes.len = m->body_len;
    msgs[i].kind = WEFT_VAL_RECORD;
    msgs[i].of.list.ptr = mf;
    msgs[i].of.list.len = 3;
  }
  v[n - 1].of.list.ptr = fields;
  return v;
}

static void free_input(weft_val_t *v, size_t nmsgs) {
  if (v)
    free(v[4 + nmsgs].of.list.ptr);
  free(v);
}

/* Run the guest on r->entry (seq, time, seed, messages set); fill in the
 * kind, note, mutations, emits, schedule and roots. `*dirty` receives the
 * changed pages with their hashes. The run's state advances only when
 * `apply` says so. */
static int run_guest(weft__urun_t *r, size_t **dirty,
                     uint8_t (**dirty_hash)[WEFT__HASH_LEN], size_t *ndirty,
                     weft_error_t *err) {
  weft__uentry_t *e = r->entry;
  *dirty = NULL;
  *dirty_hash = NULL;
  *ndirty = 0;
  r->cap_muts = r->cap_emits = 0;
  r->rand_counter = 0;
  r->by_owner = false;
  for (size_t i = 0; i < e->nmsgs; i++)
    if (!memcmp(e->msgs[i].sender, r->owner, WEFT__PK_LEN))
      r->by_owner = true;
  weft__ustate_release(&r->work);
  if (weft__ustate_copy(&r->work, &r->state) < 0)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  weft_val_t *in = input_val(e);
  if (!in)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  weft_val_t out = {0};
  weft_error_t ce = {0};
  r->in_cycle = true;
  int rc = weft_call(r->inst, "cycle", in, 1, &out, 1, &ce);
  r->in_cycle = false;
  free_input(in, e->nmsgs);
  char note[256] = "";
  e->kind = WEFT__E_CYCLE;
  if (rc < 0) {
    e->kind = WEFT__E_REJECTED;
    snprintf(note, sizeof note, "%s",
             ce.msg[0] ? ce.msg : weft_strerror(rc));
  } else if (out.of.var.tag == 1) {
    e->kind = WEFT__E_REJECTED;
    snprintf(note, sizeof note, "error: %.*s",
             (int)(out.of.var.val ? out.of.var.val->of.str.len : 0),
             out.of.var.val ? out.of.var.val->of.str.ptr : "");
  } else if (out.of.var.val) {
    const weft_val_t *s = &out.of.var.val->of.list.ptr[0];
    snprintf(note, sizeof note, "%.*s", (int)s->of.str.len, s->of.str.ptr);
  }
  /* The note is UTF-8 text without NUL: cut at a NUL if the guest sent
   * one, and at a character boundary if it was cut at 255 bytes. */
  size_t nl = strlen(note);
  while (nl && weft__utf8_check((uint8_t *)note, nl) != nl)
    note[--nl] = 0;
  free(e->note);
  e->note = weft__strdup(note);
  if (!e->note)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  if (e->kind == WEFT__E_REJECTED) {
    /* Nothing of the cycle remains but its inputs and why it failed. */
    for (size_t i = 0; i < e->nmuts; i++) {
      free(e->muts[i].key);
      free(e->muts[i].val);
    }
    for (size_t i = 0; i < e->nemits; i++) {
      free(e->emits[i].kind);
      free(e->emits[i].body);
    }
    e->nmuts = e->nemits = 0;
    e->next_ms = 0;
    e->mem_pages = r->mem_pages;
    weft__merkle_root(&r->tree, e->mem_root);
    weft__ustate_root(&r->state, e->kv_root);
    weft__state_root(e->mem_pages, e->mem_root, (uint8_t *)r->globals.data,
                     r->globals.len, e->kv_root, e->root);
    return 0;
  }
  /* Changed pages: compare with the memory at the cycle's start. */
  size_t size;
  uint8_t *mem = weft_instance_memory(r->inst, NULL, &size);
  size_t old = (size_t)r->mem_pages * 65536;
  if (!mem || size < old)
    return WEFT_ERR(err, WEFT_EINVALID, "the guest's memory shrank");
  size_t np = size / WEFT__UNIT_PAGE;
  size_t *d = malloc((np ? np : 1) * sizeof *d);
  uint8_t(*dh)[WEFT__HASH_LEN] = malloc((np ? np : 1) * WEFT__HASH_LEN);
  if (!d || !dh) {
    free(d);
    free(dh);
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  }
  static const uint8_t zero[WEFT__UNIT_PAGE];
  size_t n = 0;
  for (size_t i = 0; i < np; i++) {
    const uint8_t *was = i * WEFT__UNIT_PAGE < old
                             ? r->shadow + i * WEFT__UNIT_PAGE
                             : zero;
    const uint8_t *now = mem + i * WEFT__UNIT_PAGE;
    if (!memcmp(was, now, WEFT__UNIT_PAGE) && i * WEFT__UNIT_PAGE < old)
      continue;
    d[n] = i;
    weft__page_hash(now, dh[n]);
    n++;
  }
  *dirty = d;
  *dirty_hash = dh;
  *ndirty = n;
  e->mem_pages = (uint32_t)(size / 65536);
  return 0;
}

/* Make the cycle's memory and state the run's; compute the roots into
 * r->entry. */
static int advance(weft__urun_t *r, const size_t *dirty,
                   const uint8_t (*dh)[WEFT__HASH_LEN], size_t n,
                   weft_error_t *err) {
  weft__uentry_t *e = r->entry;
  size_t size;
  uint8_t *mem = weft_instance_memory(r->inst, NULL, &size);
  if (e->mem_pages != r->mem_pages) {
    uint8_t *s = realloc(r->shadow, size);
    if (!s || weft__merkle_resize(&r->tree, size / WEFT__UNIT_PAGE) < 0)
      return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
    r->shadow = s;
    r->mem_pages = e->mem_pages;
  }
  for (size_t i = 0; i < n; i++) {
    memcpy(r->shadow + dirty[i] * WEFT__UNIT_PAGE,
           mem + dirty[i] * WEFT__UNIT_PAGE, WEFT__UNIT_PAGE);
    weft__merkle_set(&r->tree, dirty[i], dh[i]);
  }
  if (save_globals(r) < 0)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  weft__ustate_release(&r->state);
  r->state = r->work;
  memset(&r->work, 0, sizeof r->work);
  weft__merkle_root(&r->tree, e->mem_root);
  weft__ustate_root(&r->state, e->kv_root);
  weft__state_root(e->mem_pages, e->mem_root, (uint8_t *)r->globals.data,
                   r->globals.len, e->kv_root, e->root);
  return 0;
}

static int copy_msgs(weft__uentry_t *e, const weft__umsg_t *m, size_t n) {
  e->msgs = calloc(n ? n : 1, sizeof *e->msgs);
  if (!e->msgs)
    return WEFT_ENOMEM;
  for (size_t i = 0; i < n; i++) {
    e->msgs[i] = m[i];
    e->msgs[i].kind = weft__strdup(m[i].kind);
    e->msgs[i].body = malloc(m[i].body_len ? m[i].body_len : 1);
    e->nmsgs = i + 1;
    if (!e->msgs[i].kind || !e->msgs[i].body)
      return WEFT_ENOMEM;
    if (m[i].body_len)
      memcpy(e->msgs[i].body, m[i].body, m[i].body_len);
  }
  return 0;
}

/* See unit.h. */
int weft__urun_cycle(weft__urun_t *r, const weft__uinput_t *in,
                     weft__uresult_t *res, weft_error_t *err) {
  memset(res, 0, sizeof *res);
  const weft__upolicy_t *p = r->policy;
  if (r->broken)
    return WEFT_ERR(err, WEFT_EIO, "the unit's last commit failed; reopen it");
  if (!weft__uwho_has(&p->hosts, r->owner, r->host.pk))
    return WEFT_ERR(err, WEFT_EINVAL,
                    "the unit's policy does not let this host advance it");
  if (in->time_ms < r->head_time + p->min_interval_ms)
    return WEFT_ERR(err, WEFT_EINVAL,
                    "too early: the policy wants %llu ms between cycles",
                    (unsigned long long)p->min_interval_ms);
  for (size_t i = 0; i < in->nmsgs; i++) {
    if (weft__umsg_sig_ok(r->unit_id, &in->msgs[i]) < 0)
      return WEFT_ERR(err, WEFT_EINVAL, "message %zu: bad signature", i);
    if (!weft__upolicy_may_send(p, r->owner, in->msgs[i].kind,
                                in->msgs[i].sender))
      return WEFT_ERR(err, WEFT_EINVAL,
                      "message %zu: the policy does not let its sender "
                      "send '%s'", i, in->msgs[i].kind);
    /* A message is delivered once: not twice in a cycle, nor again. */
    for (size_t j = 0; j < i; j++)
      if (in->msgs[j].nonce == in->msgs[i].nonce &&
          !memcmp(in->msgs[j].sender, in->msgs[i].sender, WEFT__PK_LEN))
        return WEFT_ERR(err, WEFT_EINVAL, "message %zu: a replay of "
                                          "message %zu", i, j);
    int seen = r->u ? weft__unitfile_seen(r->u, in->msgs[i].sender,
                                          in->msgs[i].nonce, err)
                    : 0;
    if (seen < 0)
      return seen;
    if (seen)
      return WEFT_ERR(err, WEFT_EINVAL,
                      "message %zu: a replay of a message delivered before",
                      i);
  }
  weft__uentry_t e = {0};
  e.seq = r->head_seq + 1;
  memcpy(e.prev, r->head_hash, WEFT__HASH_LEN);
  e.time_ms = in->time_ms;
  memcpy(e.seed, in->seed, sizeof e.seed);
  if (copy_msgs(&e, in->msgs, in->nmsgs) < 0) {
    weft__uentry_release(&e);
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  }
  r->entry = &e;
  size_t *dirty = NULL, nd = 0;
  uint8_t(*dh)[WEFT__HASH_LEN] = NULL;
  int rc = run_guest(r, &dirty, &dh, &nd, err);
  /* The run advances first; if the commit then fails, the run is ahead of
   * the file and refuses further cycles (the caller reopens the unit). */
  if (rc == 0 && e.kind == WEFT__E_CYCLE)
    rc = advance(r, dirty, (const uint8_t(*)[WEFT__HASH_LEN])dh, nd, err);
  if (rc == 0 && weft__uentry_seal(&e, &r->host) < 0)
    rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  if (rc == 0 && r->u) {
    size_t size = 0;
    uint8_t *mem = weft_instance_memory(r->inst, NULL, &size);
    bool cyc = e.kind == WEFT__E_CYCLE;
    weft__ucommit_t c = {.entry = &e,
                         .mem = cyc ? mem : NULL,
                         .mem_pages = e.mem_pages,
                         .dirty = dirty,
                         .ndirty = nd,
                         .dirty_hash = (const uint8_t(*)[WEFT__HASH_LEN])dh,
                         .globals = cyc ? (uint8_t *)(r->globals.data
                                                          ? r->globals.data
                                                          : "")
                                        : NULL,
                         .globals_len = r->globals.len,
                         .inbox_done = in->inbox_ids,
                         .ninbox_done = in->ninbox};
    rc = weft__unitfile_commit(r->u, &c, err);
    if (rc == 0) {
      r->u->mem_pages = e.mem_pages;
    }
  }
  if (rc == 0 && e.kind == WEFT__E_REJECTED)
    rc = instantiate(r, false, err); /* back to the cycle's start */
  if (rc == 0) {
    take_head(r, &e);
    res->kind = e.kind;
    res->seq = e.seq;
    res->next_ms = e.next_ms;
    snprintf(res->note, sizeof res->note, "%s", e.note ? e.note : "");
  } else {
    r->broken = true;
  }
  r->entry = NULL;
  free(dirty);
  free(dh);
  weft__uentry_release(&e);
  return rc;
}

/* See unit.h. */
int weft__urun_replay(weft__urun_t *r, const weft__uentry_t *rec,
                      weft__uentry_t *out, weft_error_t *err) {
  memset(out, 0, sizeof *out);
  out->seq = rec->seq;
  out->time_ms = rec->time_ms;
  memcpy(out->seed, rec->seed, sizeof out->seed);
  if (copy_msgs(out, rec->msgs, rec->nmsgs) < 0)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  r->entry = out;
  size_t *dirty = NULL, nd = 0;
  uint8_t(*dh)[WEFT__HASH_LEN] = NULL;
  int rc = run_guest(r, &dirty, &dh, &nd, err);
  if (rc == 0 && out->kind == WEFT__E_CYCLE)
    rc = advance(r, dirty, (const uint8_t(*)[WEFT__HASH_LEN])dh, nd, err);
  else if (rc == 0)
    rc = instantiate(r, false, err);
  r->entry = NULL;
  free(dirty);
  free(dh);
  if (rc == 0) {
    r->head_seq = rec->seq;
    r->head_time = rec->time_ms;
    memcpy(r->head_hash, rec->hash, WEFT__HASH_LEN);
  }
  return rc;
}

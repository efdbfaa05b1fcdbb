/* kv.c - key-value stores (kv.h): the registry of labels and their
 * backends, and Spin's two key-value interfaces over it.
 *
 * A store is opened by its backend the first time any guest opens its
 * label, then shared by every component and thread (backends are
 * thread-safe). What a guest holds is per instance: for key-value@2.0.0 a
 * `store` resource in the instance's handle table (dropped by the canonical
 * ABI layer when the instance is reset or freed, which runs store_dtor);
 * for the unversioned interface a u32 handle into a small table in the
 * instance's host state (slot WEFT__STATE_KV), cleared on reset. Both
 * count against one cap of open stores per instance. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "trigger/kv.h"
#include "trigger/kv_backend.h"
#include "util/util.h"

/* Open stores per instance, both interfaces together. */
#define MAX_OPEN 64

#define V2 "fermyon:spin/key-value@2.0.0#"
#define V1 "fermyon:spin/key-value#"

/* ---- keys lists (kv_backend.h) ------------------------------------------ */

int weft__kv_keys_add(weft__kv_keys_t *k, const char *key, size_t len) {
  if (k->len == k->cap) {
    size_t cap = k->cap ? 2 * k->cap : 16;
    size_t *ends = realloc(k->ends, cap * sizeof *ends);
    if (!ends)
      return WEFT_ENOMEM;
    k->ends = ends;
    k->cap = cap;
  }
  if (len && weft__buf_add(&k->bytes, key, len))
    return WEFT_ENOMEM;
  k->ends[k->len++] = k->bytes.len;
  return 0;
}

void weft__kv_keys_release(weft__kv_keys_t *k) {
  weft__buf_release(&k->bytes);
  free(k->ends);
  memset(k, 0, sizeof *k);
}

/* ---- the registry ------------------------------------------------------- */

/* A label the app defines, and its store once opened. */
typedef struct slot {
  char *label;
  const weft__kv_ops_t *ops;
  char *where;             /* file path or Redis URL */
  pthread_mutex_t lock;    /* guards `store` while it is opened */
  weft__kv_store_t *store; /* NULL until first opened */
} slot_t;

/* What a host function is defined with (its env): each function serves
 * both interfaces, and is defined once for each with its own iface_t. */
typedef struct env env_t;
typedef struct iface {
  env_t *env;
  bool v2; /* key-value@2.0.0, else the unversioned interface */
} iface_t;

/* What the host functions of one component's linker need. */
struct env {
  weft__kv_t *kv;
  const weft__manifest_component_t *c;
  weft_resource_type_t *store_type; /* key-value@2.0.0; NULL if absent */
  iface_t v1, v2;                   /* the envs of the host functions */
};

struct weft__kv {
  slot_t *slots;
  size_t nslots;
  pthread_mutex_t envs_lock;
  env_t **envs; /* one per weft__kv_define, freed with the registry */
  size_t nenvs;
};

/* A store a guest has open: a 2.0.0 resource's rep, or an entry of the
 * unversioned handle table (free when `slot` is NULL). */
typedef struct kv_inst kv_inst_t;
typedef struct store_ref {
  slot_t *slot;
  weft__kv_store_t *store;
  kv_inst_t *inst;
} store_ref_t;

/* Per-instance state. */
struct kv_inst {
  env_t *env;
  store_ref_t handles[MAX_OPEN]; /* unversioned handle h is handles[h-1] */
  size_t nhandles;               /* entries in use */
  size_t nresources;             /* live 2.0.0 store resources */
};

static slot_t *find_slot(const weft__kv_t *kv, const char *label, size_t len) {
  for (size_t i = 0; i < kv->nslots; i++)
    if (strlen(kv->slots[i].label) == len &&
        !memcmp(kv->slots[i].label, label, len))
      return &kv->slots[i];
  return NULL;
}

/* Define `label` on `ops` at `where`, replacing an earlier definition. */
static int add_slot(weft__kv_t *kv, const char *label,
                    const weft__kv_ops_t *ops, const char *where,
                    weft_error_t *err) {
  slot_t *s = find_slot(kv, label, strlen(label));
  char *w = weft__strdup(where);
  if (!w)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  if (s) {
    free(s->where);
    s->where = w;
    s->ops = ops;
    return 0;
  }
  slot_t *slots = realloc(kv->slots, (kv->nslots + 1) * sizeof *slots);
  if (!slots) {
    free(w);
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  }
  kv->slots = slots;
  s = &slots[kv->nslots];
  memset(s, 0, sizeof *s);
  if (!(s->label = weft__strdup(label))) {
    free(w);
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  }
  s->ops = ops;
  s->where = w;
  pthread_mutex_init(&s->lock, NULL);
  kv->nslots++;
  return 0;
}

/* The store of `slot`, opened on first use. */
static int slot_store(slot_t *slot, weft__kv_store_t **out, weft_error_t *err) {
  int rc = 0;
  pthread_mutex_lock(&slot->lock);
  if (!slot->store)
    rc = slot->ops->open(slot->where, &slot->store, err);
  *out = slot->store;
  pthread_mutex_unlock(&slot->lock);
  return rc;
}

/* Write the `--key-value k=v` presets into `default`. */
static int write_presets(weft__kv_t *kv, const weft__kv_config_t *cfg,
                         weft_error_t *err) {
  slot_t *def = find_slot(kv, "default", 7);
  weft__kv_store_t *store;
  int rc;
  if (!def)
    return WEFT_ERR(err, WEFT_EINVAL,
                    "--key-value '%s': the app has no store 'default'",
                    cfg->presets[0]);
  if ((rc = slot_store(def, &store, err)))
    return rc;
  for (size_t i = 0; i < cfg->npresets; i++) {
    const char *p = cfg->presets[i], *eq = strchr(p, '=');
    weft_error_t why = {0};
    if (!eq || eq == p)
      return WEFT_ERR(err, WEFT_EINVAL, "--key-value '%s': expected KEY=VALUE",
                      p);
    if (weft__utf8_check((const uint8_t *)p, (size_t)(eq - p)) !=
        (size_t)(eq - p))
      return WEFT_ERR(err, WEFT_EINVAL,
                      "--key-value '%s': the key is not UTF-8", p);
    if ((rc = def->ops->set(store, p, (size_t)(eq - p), eq + 1, strlen(eq + 1),
                            &why)))
      return WEFT_ERR(err, rc, "--key-value '%.*s': %s",
                      (int)(eq - p < 64 ? eq - p : 64), p, why.msg);
  }
  return 0;
}

int weft__kv_new(const weft__kv_config_t *cfg, weft__kv_t **out,
                 weft_error_t *err) {
  weft__kv_t *kv = calloc(1, sizeof *kv);
  int rc = 0;
  *out = NULL;
  if (!kv)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  pthread_mutex_init(&kv->envs_lock, NULL);
  if (cfg->default_path)
    rc = add_slot(kv, "default", &weft__kv_sqlite, cfg->default_path, err);
  for (size_t i = 0; !rc && cfg->runtime && i < cfg->runtime->kv_stores_len;
       i++) {
    const weft__runtime_kv_t *r = &cfg->runtime->kv_stores[i];
    rc = r->backend == WEFT__KV_REDIS
             ? add_slot(kv, r->label, &weft__kv_redis, r->url, err)
             : add_slot(kv, r->label, &weft__kv_sqlite, r->path, err);
  }
  if (!rc && cfg->npresets)
    rc = write_presets(kv, cfg, err);
  if (rc) {
    weft__kv_free(kv);
    return rc;
  }
  *out = kv;
  return 0;
}

void weft__kv_free(weft__kv_t *kv) {
  if (!kv)
    return;
  for (size_t i = 0; i < kv->nslots; i++) {
    slot_t *s = &kv->slots[i];
    if (s->store)
      s->ops->close(s->store);
    pthread_mutex_destroy(&s->lock);
    free(s->label);
    free(s->where);
  }
  free(kv->slots);
  for (size_t i = 0; i < kv->nenvs; i++)
    free(kv->envs[i]);
  free(kv->envs);
  pthread_mutex_destroy(&kv->envs_lock);
  free(kv);
}

/* ---- guest-facing errors ------------------------------------------------ */

/* Why an operation failed, in the order of the unversioned interface's
 * error cases (2.0.0 has the first three, then `other`). */
typedef enum kv_fail {
  F_TABLE_FULL = 0,
  F_NO_SUCH_STORE,
  F_ACCESS_DENIED,
  F_INVALID_STORE,
  F_NO_SUCH_KEY,
  F_OTHER
} kv_fail_t;

/* An error for the guest; `msg` is the text of `other` / `io`. */
typedef struct failure {
  kv_fail_t kind;
  char msg[256];
} failure_t;

/* A backend error: told to the guest, and on stderr, since it is the
 * host's problem (a server down, a disk full) rather than the guest's. */
static void backend_failed(const env_t *env, const slot_t *slot,
                           const weft_error_t *e, failure_t *f) {
  f->kind = F_OTHER;
  snprintf(f->msg, sizeof f->msg, "%s", e->msg[0] ? e->msg : "failed");
  fprintf(stderr, "weft: key-value: component '%s': store '%s': %s\n",
          env->c->id, slot->label, f->msg);
}

/* ---- the operations both interfaces share ------------------------------ */

/* Open `label` for the calling instance: the checks in Spin's order
 * (grant, then existence, then room), then the backend. */
static int open_store(kv_inst_t *in, const char *label, size_t len,
                      store_ref_t *ref, failure_t *f) {
  const env_t *env = in->env;
  const weft__manifest_strs_t *granted = &env->c->key_value_stores;
  size_t i;
  for (i = 0; i < granted->len; i++)
    if (strlen(granted->items[i].value) == len &&
        !memcmp(granted->items[i].value, label, len))
      break;
  if (i == granted->len) {
    f->kind = F_ACCESS_DENIED;
    return -1;
  }
  slot_t *slot = find_slot(env->kv, label, len);
  if (!slot) {
    f->kind = F_NO_SUCH_STORE;
    return -1;
  }
  if (in->nhandles + in->nresources >= MAX_OPEN) {
    f->kind = F_TABLE_FULL;
    return -1;
  }
  weft_error_t e = {0};
  if (slot_store(slot, &ref->store, &e)) {
    backend_failed(env, slot, &e, f);
    return -1;
  }
  ref->slot = slot;
  ref->inst = in;
  return 0;
}

/* ---- building results --------------------------------------------------- */

/* `n` values (at least one) for the call's results, or a trap. */
static weft_val_t *vals(weft_caller_t *caller, size_t n) {
  weft_val_t *v = weft_caller_alloc(caller, (n ? n : 1) * sizeof *v);
  if (!v)
    weft_caller_trap(caller, "key-value: out of memory");
  memset(v, 0, (n ? n : 1) * sizeof *v);
  return v;
}

/* A copy of `n` bytes for the call's results. */
static void *copy(weft_caller_t *caller, const void *p, size_t n) {
  void *d = weft_caller_alloc(caller, n ? n : 1);
  if (!d)
    weft_caller_trap(caller, "key-value: out of memory");
  if (n)
    memcpy(d, p, n);
  return d;
}

/* ok(payload); payload may be NULL for result<_, error>. */
static void ok(weft_val_t *res, weft_val_t *payload) {
  res->kind = WEFT_VAL_RESULT;
  res->of.var.tag = 0;
  res->of.var.val = payload;
}

/* err(error) as interface `v2` (2.0.0) or the unversioned one has it. */
static void fail(weft_caller_t *caller, weft_val_t *res, const failure_t *f,
                 bool v2) {
  weft_val_t *e = vals(caller, 2);
  uint32_t tag = (uint32_t)f->kind;
  if (v2 && f->kind > F_ACCESS_DENIED)
    tag = 3; /* other(string): 2.0.0 has no invalid-store or no-such-key */
  e[0].kind = WEFT_VAL_VARIANT;
  e[0].of.var.tag = tag;
  if ((v2 && tag == 3) || (!v2 && f->kind == F_OTHER)) {
    size_t n = strlen(f->msg);
    e[1].kind = WEFT_VAL_STRING;
    e[1].of.str.ptr = copy(caller, f->msg, n);
    e[1].of.str.len = n;
    e[0].of.var.val = &e[1];
  }
  res->kind = WEFT_VAL_RESULT;
  res->of.var.tag = 1;
  res->of.var.val = &e[0];
}

/* list<u8> of `b`. */
static void bytes_val(weft_caller_t *caller, weft_val_t *v,
                      const weft__buf_t *b) {
  v->kind = WEFT_VAL_LIST;
  v->of.bytes.ptr = copy(caller, b->data, b->len);
  v->of.bytes.len = b->len;
}

/* list<string> of `k`; keys that are not UTF-8 (written into a Redis
 * database by something else) cannot be WIT strings and are left out. */
static void keys_val(weft_caller_t *caller, weft_val_t *v,
                     const weft__kv_keys_t *k) {
  weft_val_t *items = vals(caller, k->len);
  size_t n = 0;
  for (size_t i = 0; i < k->len; i++) {
    size_t start = i ? k->ends[i - 1] : 0, len = k->ends[i] - start;
    const char *p = k->bytes.data ? k->bytes.data + start : "";
    if (weft__utf8_check((const uint8_t *)p, len) != len)
      continue;
    items[n].kind = WEFT_VAL_STRING;
    items[n].of.str.ptr = copy(caller, p, len);
    items[n].of.str.len = len;
    n++;
  }
  v->kind = WEFT_VAL_LIST;
  v->of.list.ptr = items;
  v->of.list.len = n;
}

static kv_inst_t *inst_of(weft_caller_t *caller) {
  kv_inst_t *in = weft__instance_state(caller, WEFT__STATE_KV);
  if (!in)
    weft_caller_trap(caller, "key-value: no host state");
  return in;
}

/* ---- the host functions ------------------------------------------------ */

/* Each serves both interfaces (its env, an iface_t, says which): they
 * take the same arguments in the same places, the store first, as a
 * borrow<store> (2.0.0) or a u32 handle (unversioned), then the key; they
 * differ in the handle open gives, the result of get, and the error cases
 * (`fail`). */

static void store_dtor(void *rep, void *env) {
  (void)env;
  store_ref_t *ref = rep;
  ref->inst->nresources--;
  free(ref);
}

/* One call, from its arguments to its answer. */
typedef struct call {
  const iface_t *i;
  store_ref_t *ref; /* the store; NULL when its handle is not open */
  const char *key;  /* the key argument, if the function has one */
  size_t key_len;
  int rc;         /* 0, WEFT_ENOTFOUND or a failure, told by `f` */
  failure_t f;    /* what the guest is told */
  weft_error_t e; /* what the backend said */
} call_t;

/* Start a call on the store args[0] names (and the key args[1], if
 * nargs > 1); without it (a handle that is not open), c.ref is NULL and
 * c.rc the failure invalid-store. */
static call_t begin(weft_caller_t *caller, const iface_t *i,
                    const weft_val_t *args, size_t nargs) {
  call_t c = {.i = i};
  if (nargs > 1) {
    c.key = args[1].of.str.ptr;
    c.key_len = args[1].of.str.len;
  }
  if (i->v2) {
    c.ref = weft_resource_rep(args[0].of.res);
    return c;
  }
  kv_inst_t *in = inst_of(caller);
  uint32_t h = args[0].of.u32;
  if (h == 0 || h > MAX_OPEN || !in->handles[h - 1].slot) {
    c.f.kind = F_INVALID_STORE;
    c.rc = -1;
    return c;
  }
  c.ref = &in->handles[h - 1];
  return c;
}

/* Note what c's backend call returned: a failure (not WEFT_ENOTFOUND) is
 * the backend's, told to the guest and on stderr. */
static void backend(call_t *c, int rc) {
  c->rc = rc;
  if (rc < 0 && rc != WEFT_ENOTFOUND)
    backend_failed(c->ref->inst->env, c->ref->slot, &c->e, &c->f);
}

/* Answer `res` with err(c->f) when the call failed (c->rc < 0 but
 * WEFT_ENOTFOUND; NULL is returned), else with ok and `n` payload values
 * (none when `n` is 0: result<_, error>) for the caller to fill. */
static weft_val_t *answer(weft_caller_t *caller, const call_t *c, size_t n,
                          weft_val_t *res) {
  if (c->rc < 0 && c->rc != WEFT_ENOTFOUND) {
    fail(caller, res, &c->f, c->i->v2);
    return NULL;
  }
  weft_val_t *v = n ? vals(caller, n) : NULL;
  ok(res, v);
  return v;
}

/* open(label) -> own<store> (2.0.0) or a u32 handle. */
static void kv_open(weft_caller_t *caller, void *envp, const weft_val_t *args,
                    size_t nargs, weft_val_t *res, size_t nres) {
  (void)nargs, (void)nres;
  call_t c = {.i = envp};
  kv_inst_t *in = inst_of(caller);
  store_ref_t r = {0};
  c.rc = open_store(in, args[0].of.str.ptr, args[0].of.str.len, &r, &c.f);
  weft_val_t *v = answer(caller, &c, 1, res);
  if (v && c.i->v2) {
    store_ref_t *ref = malloc(sizeof *ref);
    weft_resource_t *h =
        ref ? weft_resource_new(c.i->env->store_type, ref) : NULL;
    if (!h) {
      free(ref);
      weft_caller_trap(caller, "key-value: out of memory");
    }
    *ref = r;
    in->nresources++;
    v->kind = WEFT_VAL_OWN;
    v->of.res = h;
  } else if (v) {
    size_t n = 0;
    while (in->handles[n].slot) /* open_store checked there is room */
      n++;
    in->handles[n] = r;
    in->nhandles++;
    v->kind = WEFT_VAL_U32;
    v->of.u32 = (uint32_t)n + 1;
  }
}

/* get(key) -> option<list<u8>> (2.0.0), or list<u8> and the error
 * no-such-key when there is none (unversioned). */
static void kv_get(weft_caller_t *caller, void *envp, const weft_val_t *args,
                   size_t nargs, weft_val_t *res, size_t nres) {
  (void)nres;
  call_t c = begin(caller, envp, args, nargs);
  weft__buf_t b;
  weft__buf_init(&b);
  if (c.ref)
    backend(&c,
            c.ref->slot->ops->get(c.ref->store, c.key, c.key_len, &b, &c.e));
  if (c.rc == WEFT_ENOTFOUND && !c.i->v2) {
    c.f.kind = F_NO_SUCH_KEY;
    c.rc = -1;
  }
  weft_val_t *v = answer(caller, &c, c.i->v2 ? 2 : 1, res);
  if (v && c.i->v2) {
    v[0].kind = WEFT_VAL_OPTION;
    if (c.rc == 0) {
      v[0].of.var.tag = 1;
      v[0].of.var.val = &v[1];
      bytes_val(caller, &v[1], &b);
    }
  } else if (v) {
    bytes_val(caller, v, &b);
  }
  weft__buf_release(&b);
}

/* set(key, value) */
static void kv_set(weft_caller_t *caller, void *envp, const weft_val_t *args,
                   size_t nargs, weft_val_t *res, size_t nres) {
  (void)nres;
  call_t c = begin(caller, envp, args, nargs);
  if (c.ref)
    backend(&c, c.ref->slot->ops->set(c.ref->store, c.key, c.key_len,
                                      args[2].of.bytes.ptr,
                                      args[2].of.bytes.len, &c.e));
  answer(caller, &c, 0, res);
}

/* delete(key) */
static void kv_delete(weft_caller_t *caller, void *envp, const weft_val_t *args,
                      size_t nargs, weft_val_t *res, size_t nres) {
  (void)nres;
  call_t c = begin(caller, envp, args, nargs);
  if (c.ref)
    backend(&c, c.ref->slot->ops->del(c.ref->store, c.key, c.key_len, &c.e));
  answer(caller, &c, 0, res);
}

/* exists(key) -> bool */
static void kv_exists(weft_caller_t *caller, void *envp, const weft_val_t *args,
                      size_t nargs, weft_val_t *res, size_t nres) {
  (void)nres;
  call_t c = begin(caller, envp, args, nargs);
  bool there = false;
  if (c.ref)
    backend(&c, c.ref->slot->ops->exists(c.ref->store, c.key, c.key_len, &there,
                                         &c.e));
  weft_val_t *v = answer(caller, &c, 1, res);
  if (v) {
    v->kind = WEFT_VAL_BOOL;
    v->of.b = there;
  }
}

/* get-keys() -> list<string> */
static void kv_get_keys(weft_caller_t *caller, void *envp,
                        const weft_val_t *args, size_t nargs, weft_val_t *res,
                        size_t nres) {
  (void)nres;
  call_t c = begin(caller, envp, args, nargs);
  weft__kv_keys_t k = {0};
  if (c.ref)
    backend(&c, c.ref->slot->ops->get_keys(c.ref->store, &k, &c.e));
  weft_val_t *v = answer(caller, &c, 1, res);
  if (v)
    keys_val(caller, v, &k);
  weft__kv_keys_release(&k);
}

/* close(store): the unversioned interface only (a 2.0.0 store is a
 * resource the guest drops). */
static void kv_close(weft_caller_t *caller, void *envp, const weft_val_t *args,
                     size_t nargs, weft_val_t *res, size_t nres) {
  (void)res, (void)nres;
  call_t c = begin(caller, envp, args, nargs);
  if (c.ref) {
    memset(c.ref, 0, sizeof *c.ref);
    inst_of(caller)->nhandles--;
  }
}

/* ---- per-instance state ------------------------------------------------- */

static int inst_create(weft_instance_t *inst, void *cfg, void **state,
                       weft_error_t *err) {
  (void)inst;
  kv_inst_t *in = calloc(1, sizeof *in);
  if (!in)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  in->env = cfg;
  *state = in;
  return 0;
}

/* The canonical ABI layer's state (an earlier slot) is reset first: the
 * guest's store resources are gone by now, so only handles remain. */
static int inst_reset(void *state, weft_error_t *err) {
  (void)err;
  kv_inst_t *in = state;
  memset(in->handles, 0, sizeof in->handles);
  in->nhandles = 0;
  return 0;
}

static void inst_destroy(void *state) { free(state); }

static const weft__state_ops_t inst_ops = {
    .create = inst_create, .destroy = inst_destroy, .reset = inst_reset};

/* ---- defining the interfaces ------------------------------------------- */

typedef struct def {
  const char *name;
  weft_wit_fn_t fn;
} def_t;

static const def_t v2_defs[] = {{V2 "[static]store.open", kv_open},
                                {V2 "[method]store.get", kv_get},
                                {V2 "[method]store.set", kv_set},
                                {V2 "[method]store.delete", kv_delete},
                                {V2 "[method]store.exists", kv_exists},
                                {V2 "[method]store.get-keys", kv_get_keys}};

static const def_t v1_defs[] = {
    {V1 "open", kv_open},     {V1 "get", kv_get},
    {V1 "set", kv_set},       {V1 "delete", kv_delete},
    {V1 "exists", kv_exists}, {V1 "get-keys", kv_get_keys},
    {V1 "close", kv_close}};

/* Define `n` functions of `defs` with env `iface`, skipping those the
 * world lacks; *any is set when one was defined. */
static int define_all(weft_linker_t *linker, const def_t *defs, size_t n,
                      iface_t *iface, bool *any, weft_error_t *err) {
  for (size_t i = 0; i < n; i++) {
    weft_error_t e = {0}; /* "not imported" is no error for the caller */
    int rc =
        weft_linker_define_wit(linker, defs[i].name, defs[i].fn, iface, &e);
    if (rc == WEFT_ENOTFOUND)
      continue;
    if (rc < 0) {
      if (err)
        *err = e;
      return rc;
    }
    *any = true;
  }
  return 0;
}

int weft__kv_define(weft_linker_t *linker, weft__kv_t *kv,
                    const weft__manifest_component_t *c, weft_error_t *err) {
  env_t *env = calloc(1, sizeof *env);
  if (!env)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  pthread_mutex_lock(&kv->envs_lock);
  env_t **envs = realloc(kv->envs, (kv->nenvs + 1) * sizeof *envs);
  if (envs) {
    kv->envs = envs;
    kv->envs[kv->nenvs++] = env;
  }
  pthread_mutex_unlock(&kv->envs_lock);
  if (!envs) {
    free(env);
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  }
  env->kv = kv;
  env->c = c;
  env->v1 = (iface_t){.env = env, .v2 = false};
  env->v2 = (iface_t){.env = env, .v2 = true};
  bool any = false;
  weft_error_t e = {0};
  int rc;
  env->store_type =
      weft_linker_define_resource(linker, V2 "store", store_dtor, env, &e);
  if (!env->store_type && e.code != WEFT_ENOTFOUND) {
    if (err)
      *err = e;
    return e.code ? e.code : WEFT_EINVAL;
  }
  if (env->store_type &&
      (rc = define_all(linker, v2_defs, sizeof v2_defs / sizeof *v2_defs,
                       &env->v2, &any, err)) < 0)
    return rc;
  if ((rc = define_all(linker, v1_defs, sizeof v1_defs / sizeof *v1_defs,
                       &env->v1, &any, err)) < 0)
    return rc;
  if (any || env->store_type)
    return weft__linker_set_state(linker, WEFT__STATE_KV, &inst_ops, env, err);
  return 0;
}

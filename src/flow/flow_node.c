/* flow_node.c - one node's component: loading and linking it to its
 * role's world, init and teardown, and the calls of its role (pull,
 * process, evaluate, route, ingest, flush, push, complete), each turned
 * into elements and faults for the scheduler (flow_run.c).
 *
 * The instance lives for the whole run. The stream-element a call gets is
 * built once per node (a_meta, a_el) and filled per call: the element's
 * buffer is lent through the node's lens (flow_host.c). Results are read
 * before the next call on the instance, as weft_call_func requires.
 * pull, process and push skip weft_call_func when the export has the
 * expected flat signature: their arguments are lowered and their results
 * read by hand (fast_call, through cabi/cabi_fast.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cabi/cabi_fast.h"
#include "flow/flow_int.h"

/* Each role's calls besides lifecycle: the one per element and the
 * other. Index: weft__flow_role_t. */
static const struct role_calls {
  const char *main, *aux;
} calls[] = {
    [WEFT__FLOW_SOURCE] = {"torvyn:streaming/source@0.1.0#pull",
                           "torvyn:streaming/source@0.1.0#notify-backpressure"},
    [WEFT__FLOW_PROCESSOR] = {"torvyn:streaming/processor@0.1.0#process",
                              NULL},
    [WEFT__FLOW_FILTER] = {"torvyn:filtering/filter@0.1.0#evaluate", NULL},
    [WEFT__FLOW_ROUTER] = {"torvyn:filtering/router@0.1.0#route", NULL},
    [WEFT__FLOW_AGGREGATOR] = {"torvyn:aggregation/aggregator@0.1.0#ingest",
                               "torvyn:aggregation/aggregator@0.1.0#flush"},
    [WEFT__FLOW_SINK] = {"torvyn:streaming/sink@0.1.0#push",
                         "torvyn:streaming/sink@0.1.0#complete"},
};

#define LIFECYCLE "torvyn:streaming/lifecycle@0.1.0#"

/* Prefix err's message with the node's name. */
static int node_fail(const rnode_t *n, weft_error_t *err, int code) {
  if (!err)
    return code;
  char msg[sizeof err->msg];
  int detail = err->detail;
  snprintf(msg, sizeof msg, "%s", err->msg);
  WEFT_ERR(err, code, "node '%s': %s", n->spec->name, msg);
  err->detail = detail;
  return code;
}

/* The module of node `s`, loaded once for every node using it, and
 * checked against the node's role (as `weft flow check` does, for its
 * messages naming file:line). Errors are the check's, which name the
 * node. */
static weft_module_t *module_for(weft__flow_run_t *r,
                                 const weft__flow_node_t *s,
                                 weft_error_t *err) {
  weft_module_t *m = NULL;
  for (size_t i = 0; i < r->nmods && !m; i++)
    if (!strcmp(r->mods[i].path, s->component))
      m = r->mods[i].module;
  if (!m) {
    if (!(m = weft__flow_load_component(s, r->opts.engine, err)))
      return NULL;
    r->mods[r->nmods].path = s->component; /* room for every node */
    r->mods[r->nmods++].module = m;
  }
  if (weft__flow_check_node(s, m, r->opts.engine, r->opts.wit, err) < 0)
    return NULL;
  return m;
}

static int ready(weft_instance_t *inst, weft_error_t *err) {
  if (!weft_instance_func_sig(inst, "_initialize"))
    return 0;
  return weft_instance_invoke(inst, "_initialize", NULL, 0, NULL, 0, err);
}

int weft__flow_node_open(rnode_t *n, weft_error_t *err) {
  weft__flow_run_t *r = n->run;
  const weft__flow_node_t *s = n->spec;
  const weft__flow_run_opts_t *o = &r->opts;
  if (s->role < WEFT__FLOW_SOURCE || s->role > WEFT__FLOW_SINK)
    return WEFT_ERR(err, WEFT_EINVAL, "node '%s': no role", s->name);
  const char *world = weft__flow_role_world(s->role);
  n->opened = true;
  if (!(n->module = module_for(r, s, err)))
    return err ? err->code : WEFT_EINVAL;
  if (!(n->linker = weft_linker_new(o->engine)))
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  bool source = s->role == WEFT__FLOW_SOURCE;
  weft_wasi_config_t wasi = {
      .stdin_fd = source ? (n->stdin_fd >= 0 ? n->stdin_fd : o->stdin_fd)
                         : -1,
      .stdout_fd = s->role == WEFT__FLOW_SINK ? o->stdout_fd : o->log_fd,
      .stderr_fd = o->log_fd};
  weft_limits_t limits = {.max_memory = s->max_memory,
                          .deadline_ns = s->deadline_ns};
  int rc;
  if ((rc = weft_linker_define_wasi(n->linker, &wasi, err)) < 0 ||
      (rc = weft_linker_use_world(n->linker, o->wit, world, err)) < 0 ||
      (rc = weft__flow_host_define(n, err)) < 0)
    return node_fail(n, err, rc);
  if (!(n->inst = weft_instance_new(n->linker, n->module, &limits, err)))
    return node_fail(n, err, err ? err->code : WEFT_EINVAL);
  weft_instance_set_data(n->inst, n); /* for flow_host.c's raw imports */
  if ((rc = ready(n->inst, err)) < 0)
    return node_fail(n, err, rc);
  const struct role_calls *ri = &calls[s->role];
  if (!(n->f_init = weft_instance_func(n->inst, LIFECYCLE "init", err)) ||
      !(n->f_teardown =
            weft_instance_func(n->inst, LIFECYCLE "teardown", err)) ||
      !(n->f_main = weft_instance_func(n->inst, ri->main, err)) ||
      (ri->aux && !(n->f_aux = weft_instance_func(n->inst, ri->aux, err))))
    return node_fail(n, err, err ? err->code : WEFT_ENOTFOUND);
  /* stream-element { meta: { sequence, timestamp-ns, content-type },
   * payload: borrow<buffer>, context: borrow<flow-context> } */
  n->a_meta[0].kind = WEFT_VAL_U64;
  n->a_meta[1].kind = WEFT_VAL_U64;
  n->a_meta[2].kind = WEFT_VAL_STRING;
  n->a_el[0].kind = WEFT_VAL_RECORD;
  n->a_el[0].of.list.ptr = n->a_meta;
  n->a_el[0].of.list.len = 3;
  n->a_el[1].kind = WEFT_VAL_BORROW;
  n->a_el[1].of.res = n->lens_res;
  n->a_el[2].kind = WEFT_VAL_BORROW;
  n->a_el[2].of.res = n->ctx_res;
  n->a_arg.kind = WEFT_VAL_RECORD;
  n->a_arg.of.list.ptr = n->a_el;
  n->a_arg.of.list.len = 3;
  /* The flat signatures the fast calls lower and read by hand. */
  const char *want = s->role == WEFT__FLOW_SOURCE      ? ":i"
                     : s->role == WEFT__FLOW_PROCESSOR ? "lliiii:i"
                     : s->role == WEFT__FLOW_SINK      ? "lliiii:i"
                                                       : NULL;
  n->fast = !o->generic && want &&
            !strcmp(weft__cabi_func_sig(n->f_main), want);
  return 0;
}

/* ---- calls -------------------------------------------------------------- */

static void fault_set(weft__flow_fault_t *f, weft__flow_fault_kind_t kind,
                      const char *msg, size_t len) {
  f->kind = kind;
  f->reset = false;
  if (len >= sizeof f->msg)
    len = sizeof f->msg - 1;
  memcpy(f->msg, msg, len);
  f->msg[len] = 0;
}

/* Timing of one call: every call at first and when asked; then one in
 * 16, which stands for 16. */
typedef struct call_clock {
  bool every, timed;
  uint64_t t0;
} call_clock_t;

static void clock_start(rnode_t *n, uint64_t seq, call_clock_t *c) {
  c->every = n->run->opts.time_all || n->sample < 64;
  c->timed = c->every || (n->sample & 15) == 0;
  n->sample++;
  c->t0 = c->timed || n->spec->deadline_ns ? weft__now_ns() : 0;
  n->cur_seq = seq;
  n->cur_deadline = n->spec->deadline_ns ? c->t0 + n->spec->deadline_ns : 0;
}

static void clock_stop(rnode_t *n, const weft_func_t *f, uint64_t seq,
                       const call_clock_t *c, bool failed) {
  weft__flow_run_t *r = n->run;
  n->st.calls++;
  if (c->timed) {
    uint64_t t1 = weft__now_ns();
    n->st.guest_ns += (t1 - c->t0) * (c->every ? 1 : 16);
    if (r->opts.trace)
      weft__flow_trace_span(r, n, f == n->f_main ? 0 : 1, seq, c->t0, t1,
                            failed);
  }
}

/* A failed call (code rc, error e) as a fault. */
static void call_fault(const rnode_t *n, int rc, const weft_error_t *e,
                       weft__flow_fault_t *fault) {
  if (rc == WEFT_ETRAP && e->detail == WEFT_TRAP_DEADLINE) {
    char msg[96];
    int len = snprintf(msg, sizeof msg, "the call passed its deadline of "
                       "%llu ms",
                       (unsigned long long)(n->spec->deadline_ns / 1000000));
    fault_set(fault, WEFT__FAULT_DEADLINE, msg, (size_t)len);
    fault->reset = true;
  } else {
    fault_set(fault,
              rc == WEFT_ETRAP || rc == WEFT_EEXIT ? WEFT__FAULT_TRAP
                                                   : WEFT__FAULT_HOST,
              e->msg, strlen(e->msg));
  }
}

int weft__flow_node_call(rnode_t *n, const weft_func_t *f,
                         const weft_val_t *args, size_t nargs, uint64_t seq,
                         const weft_val_t **ok, weft__flow_fault_t *fault) {
  weft_val_t res = {0};
  weft_error_t e = {0};
  call_clock_t c;
  clock_start(n, seq, &c);
  size_t nres = weft_func_result_count(f);
  int rc = weft_call_func(n->inst, f, args, nargs, &res, nres, &e);
  clock_stop(n, f, seq, &c, rc < 0 || (nres && res.of.var.tag));
  *ok = NULL;
  if (rc < 0) {
    call_fault(n, rc, &e, fault);
    return -1;
  }
  if (!nres)
    return 0;
  if (res.of.var.tag == 0) { /* ok */
    *ok = res.of.var.val;
    return 0;
  }
  const weft_val_t *pe = res.of.var.val; /* process-error */
  const weft_val_t *m = pe->of.var.val;
  fault_set(fault, (weft__flow_fault_kind_t)pe->of.var.tag,
            m ? m->of.str.ptr : "", m ? m->of.str.len : 0);
  return -1;
}

/* Lend element `in` for the next call: the lens and the arguments. */
static void lend(rnode_t *n, const weft__flow_elem_t *in) {
  size_t len;
  const char *ct = weft__flow_elem_ctype(in, &len);
  n->lens = in->buf;
  n->a_meta[0].of.u64 = in->seq;
  n->a_meta[1].of.u64 = in->ts_ns;
  n->a_meta[2].of.str.ptr = ct;
  n->a_meta[2].of.str.len = len;
}

/* Call the role's main function with element `in`. */
static int call_with(rnode_t *n, const weft__flow_elem_t *in,
                     const weft_val_t **ok, weft__flow_fault_t *fault) {
  lend(n, in);
  int rc = weft__flow_node_call(n, n->f_main, &n->a_arg, 1, in->seq, ok,
                                fault);
  n->lens = NULL;
  return rc;
}

/* An output element from its parts: the buffer of `res` (an own<buffer>,
 * dropped here) and its metadata. */
static int take_parts(rnode_t *n, weft_resource_t *res, uint64_t seq,
                      uint64_t ts, const char *ct, size_t ctlen,
                      weft__flow_elem_t *e, weft__flow_fault_t *fault) {
  weft__flow_buf_t *b = weft_resource_rep(res);
  e->buf = NULL; /* field by field: the inline content type needs no zeroes */
  e->born_ns = 0;
  e->ctype_long = NULL;
  e->ctype_len = 0;
  e->ctype[0] = 0;
  if (b == (void *)&n->lens || weft_resource_type(res) != n->t_buf) {
    /* Cannot happen: the lens is only ever lent. */
    weft_resource_drop(res);
    fault_set(fault, WEFT__FAULT_HOST, "bad output buffer", 17);
    return -1;
  }
  e->buf = weft__flow_buf_retain(b);
  weft_resource_drop(res); /* the wrapper; the element holds the buffer */
  e->seq = seq;
  e->ts_ns = ts;
  if (weft__flow_elem_set_ctype(e, ct, ctlen) < 0) {
    weft__flow_elem_clear(&n->run->pool, e);
    fault_set(fault, WEFT__FAULT_HOST, "out of memory", 13);
    return -1;
  }
  return 0;
}

int weft__flow_node_take_output(rnode_t *n, const weft_val_t *oe,
                                weft__flow_elem_t *e,
                                weft__flow_fault_t *fault) {
  const weft_val_t *meta = &oe->of.list.ptr[0];
  return take_parts(n, oe->of.list.ptr[1].of.res,
                    meta->of.list.ptr[0].of.u64,
                    meta->of.list.ptr[1].of.u64,
                    meta->of.list.ptr[2].of.str.ptr,
                    meta->of.list.ptr[2].of.str.len, e, fault);
}

/* ---- the fast calls --------------------------------------------------------
 * pull, process and push lowered and read by hand (cabi_fast.h), with
 * the checks weft_call_func makes. Their results, in guest memory:
 *   pull     result<option<output-element>, process-error>   48 bytes
 *   process  result<process-result, process-error>           48 bytes
 *   push     result<backpressure-signal, process-error>      16 bytes
 * result and option put their case in byte 0 and the payload at 8 (4 for
 * push); an output-element is { sequence u64, timestamp u64, content-type
 * ptr, len, own<buffer> } at 0, 8, 16, 20, 24 of its payload; a
 * process-error is a case byte and a string (ptr, len) at 4. */

static int u8_case(const uint8_t *p, unsigned ncases, const char *what,
                   weft_error_t *e) {
  if (*p >= ncases)
    return WEFT_ERR(e, WEFT_ETRAP, "canonical ABI: discriminant %u of %s is "
                    "not one of its %u cases in the results", *p, what,
                    ncases);
  return *p;
}

static uint32_t get_u32(const uint8_t *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

static uint64_t get_u64(const uint8_t *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}

/* process-error at p into *fault; 0 or a negative code with *e. */
static int read_error(rnode_t *n, const uint8_t *p, weft__flow_fault_t *fault,
                      weft_error_t *e) {
  int tag = u8_case(p, 5, "variant 'process-error'", e);
  if (tag < 0)
    return tag;
  const char *m = "";
  uint32_t len = 0;
  if (tag != WEFT__FAULT_DEADLINE) {
    len = get_u32(p + 8);
    if (!(m = weft__cabi_result_string(n->inst, get_u32(p + 4), len, e)))
      return WEFT_ETRAP;
  }
  fault_set(fault, (weft__flow_fault_kind_t)tag, m, len);
  return 0;
}

/* output-element at p into *out. */
static int read_output(rnode_t *n, const uint8_t *p, weft__flow_elem_t *out,
                       weft__flow_fault_t *fault, weft_error_t *e) {
  uint32_t ctlen = get_u32(p + 20);
  const char *ct = weft__cabi_result_string(n->inst, get_u32(p + 16), ctlen,
                                            e);
  if (!ct)
    return WEFT_ETRAP;
  weft_resource_t *res = weft__cabi_take(n->inst, get_u32(p + 24), n->t_buf,
                                         e);
  if (!res)
    return WEFT_ETRAP;
  if (take_parts(n, res, get_u64(p), get_u64(p + 8), ct, ctlen, out,
                 fault) < 0)
    return 1; /* a host fault, already in *fault */
  return 0;
}

/* Call f_main with element `in` (NULL: none) and sort out its result:
 * 0 with *out and *flag as the role's results, or -1 with *fault. flag:
 * pull: some; process: emitted; push: pause. */
static int fast_call(rnode_t *n, const weft__flow_elem_t *in, uint64_t seq,
                     weft__flow_elem_t *out, bool *flag,
                     weft__flow_fault_t *fault) {
  weft_instance_t *inst = n->inst;
  weft__flow_role_t role = n->spec->role;
  weft_error_t e; /* not zeroed: 280 bytes, on the hot path */
  e.code = e.detail = 0;
  e.msg[0] = 0;
  call_clock_t c;
  weft_core_val_t a[6]; /* pull takes none; not zeroed, on the hot path */
  uint32_t ret = 0;
  int rc = 0;
  bool failed = false, taken = false;
  *flag = false;
  clock_start(n, seq, &c);
  if (in) {
    size_t len;
    const char *ct = weft__flow_elem_ctype(in, &len);
    uint32_t ph = 0, ch = 0, cp = 0;
    n->lens = in->buf;
    if ((rc = weft__cabi_lend(inst, n->lens_res, &ph, &e)) == 0 &&
        (rc = weft__cabi_lend(inst, n->ctx_res, &ch, &e)) == 0)
      rc = weft__cabi_copy_in(inst, ct, len, &cp, &e);
    a[0] = (weft_core_val_t){.type = WEFT_I64, .of.i64 = (int64_t)in->seq};
    a[1] = (weft_core_val_t){.type = WEFT_I64, .of.i64 = (int64_t)in->ts_ns};
    a[2] = (weft_core_val_t){.type = WEFT_I32, .of.i32 = (int32_t)cp};
    a[3] = (weft_core_val_t){.type = WEFT_I32, .of.i32 = (int32_t)len};
    a[4] = (weft_core_val_t){.type = WEFT_I32, .of.i32 = (int32_t)ph};
    a[5] = (weft_core_val_t){.type = WEFT_I32, .of.i32 = (int32_t)ch};
  }
  if (rc == 0)
    rc = weft__cabi_call(inst, n->f_main, a, &ret, &e);
  if (rc < 0)
    goto out;
  const uint8_t *r = weft__cabi_result_mem(
      inst, ret, role == WEFT__FLOW_SINK ? 16 : 48,
      role == WEFT__FLOW_SINK ? 4 : 8, "results", &e);
  int is_err = r ? u8_case(r, 2, "result", &e) : WEFT_ETRAP;
  uint32_t at = role == WEFT__FLOW_SINK ? 4 : 8;
  if (is_err < 0) {
    rc = is_err;
  } else if (is_err) {
    failed = true;
    rc = read_error(n, r + at, fault, &e);
  } else if (role == WEFT__FLOW_SINK) {
    int sig = u8_case(r + 4, 2, "enum 'backpressure-signal'", &e);
    rc = sig < 0 ? sig : 0;
    *flag = sig == 1;
  } else {
    /* option: 1 is some; process-result: 0 is emit */
    int k = u8_case(r + 8, 2,
                    role == WEFT__FLOW_SOURCE ? "option"
                                              : "variant 'process-result'",
                    &e);
    bool some = role == WEFT__FLOW_SOURCE ? k == 1 : k == 0;
    rc = k < 0 ? k : 0;
    if (k >= 0 && some) {
      rc = read_output(n, r + 16, out, fault, &e);
      if (rc > 0) { /* a host fault: the element is not taken */
        rc = 0;
        failed = true;
      } else if (rc == 0) {
        taken = true;
        *flag = true;
      }
    }
  }
  if (rc < 0)
    weft__cabi_abort(inst);
  else
    rc = weft__cabi_finish(inst, n->f_main, ret, &e);
  if (rc < 0 && taken) {
    weft__flow_elem_clear(&n->run->pool, out);
    *flag = false;
  }
out:
  n->lens = NULL;
  clock_stop(n, n->f_main, seq, &c, rc < 0 || failed);
  if (rc < 0) {
    call_fault(n, rc, &e, fault);
    return -1;
  }
  return failed ? -1 : 0;
}

void weft__flow_node_drop_outputs(const weft_val_t *v) {
  if (!v)
    return;
  if (v->kind == WEFT_VAL_LIST) {
    for (size_t i = 0; i < v->of.list.len; i++)
      weft__flow_node_drop_outputs(&v->of.list.ptr[i]);
  } else if (v->kind == WEFT_VAL_RECORD && v->of.list.len == 2 &&
             v->of.list.ptr[1].kind == WEFT_VAL_OWN) {
    weft_resource_drop(v->of.list.ptr[1].of.res);
  } else if ((v->kind == WEFT_VAL_OPTION || v->kind == WEFT_VAL_VARIANT) &&
             v->of.var.val) {
    weft__flow_node_drop_outputs(v->of.var.val);
  }
}

int weft__flow_node_pull(rnode_t *n, uint64_t seq, weft__flow_elem_t *out,
                         bool *some, weft__flow_fault_t *fault) {
  const weft_val_t *ok;
  *some = false;
  if (n->fast)
    return fast_call(n, NULL, seq, out, some, fault);
  if (weft__flow_node_call(n, n->f_main, NULL, 0, seq, &ok, fault) < 0)
    return -1;
  if (ok->of.var.tag == 0) /* none */
    return 0;
  if (weft__flow_node_take_output(n, ok->of.var.val, out, fault) < 0)
    return -1;
  *some = true;
  return 0;
}

int weft__flow_node_notify(rnode_t *n, bool pause,
                           weft__flow_fault_t *fault) {
  weft_val_t sig = {.kind = WEFT_VAL_ENUM};
  const weft_val_t *ok;
  sig.of.var.tag = pause ? 1 : 0;
  return weft__flow_node_call(n, n->f_aux, &sig, 1, n->cur_seq, &ok, fault);
}

int weft__flow_node_process(rnode_t *n, const weft__flow_elem_t *in,
                            weft__flow_elem_t *out, bool *emitted,
                            weft__flow_fault_t *fault) {
  const weft_val_t *ok;
  *emitted = false;
  if (n->fast)
    return fast_call(n, in, in->seq, out, emitted, fault);
  if (call_with(n, in, &ok, fault) < 0)
    return -1;
  if (ok->of.var.tag != 0) /* drop */
    return 0;
  if (weft__flow_node_take_output(n, ok->of.var.val, out, fault) < 0)
    return -1;
  *emitted = true;
  return 0;
}

int weft__flow_node_evaluate(rnode_t *n, const weft__flow_elem_t *in,
                             bool *pass, weft__flow_fault_t *fault) {
  const weft_val_t *ok;
  if (call_with(n, in, &ok, fault) < 0)
    return -1;
  *pass = ok->of.b;
  return 0;
}

int weft__flow_node_route(rnode_t *n, const weft__flow_elem_t *in,
                          const weft_val_t **ports, size_t *nports,
                          weft__flow_fault_t *fault) {
  const weft_val_t *ok;
  if (call_with(n, in, &ok, fault) < 0)
    return -1;
  *ports = ok->of.list.ptr;
  *nports = ok->of.list.len;
  return 0;
}

int weft__flow_node_ingest(rnode_t *n, const weft__flow_elem_t *in,
                           weft__flow_elem_t *out, bool *emitted,
                           weft__flow_fault_t *fault) {
  const weft_val_t *ok;
  *emitted = false;
  if (call_with(n, in, &ok, fault) < 0)
    return -1;
  if (ok->of.var.tag == 0)
    return 0;
  if (weft__flow_node_take_output(n, ok->of.var.val, out, fault) < 0)
    return -1;
  *emitted = true;
  return 0;
}

int weft__flow_node_flush(rnode_t *n, weft__flow_elem_t **out, size_t *nout,
                          weft__flow_fault_t *fault) {
  const weft_val_t *ok;
  *out = NULL;
  *nout = 0;
  if (weft__flow_node_call(n, n->f_aux, NULL, 0, n->cur_seq, &ok, fault) < 0)
    return -1;
  size_t len = ok->of.list.len;
  if (!len)
    return 0;
  weft__flow_elem_t *es = calloc(len, sizeof *es);
  if (!es) {
    weft__flow_node_drop_outputs(ok);
    fault_set(fault, WEFT__FAULT_HOST, "out of memory", 13);
    return -1;
  }
  for (size_t i = 0; i < len; i++) {
    if (weft__flow_node_take_output(n, &ok->of.list.ptr[i], &es[i], fault) <
        0) {
      for (size_t j = 0; j < i; j++)
        weft__flow_elem_clear(&n->run->pool, &es[j]);
      for (size_t j = i + 1; j < len; j++)
        weft__flow_node_drop_outputs(&ok->of.list.ptr[j]);
      free(es);
      return -1;
    }
  }
  *out = es;
  *nout = len;
  return 0;
}

int weft__flow_node_push(rnode_t *n, const weft__flow_elem_t *in, bool *pause,
                         weft__flow_fault_t *fault) {
  const weft_val_t *ok;
  if (n->fast)
    return fast_call(n, in, in->seq, NULL, pause, fault);
  if (call_with(n, in, &ok, fault) < 0)
    return -1;
  *pause = ok->of.var.tag == 1;
  return 0;
}

int weft__flow_node_complete(rnode_t *n, weft__flow_fault_t *fault) {
  const weft_val_t *ok;
  return weft__flow_node_call(n, n->f_aux, NULL, 0, n->cur_seq, &ok, fault);
}

/* ---- lifecycle ---------------------------------------------------------- */

/* init(config), with the component's own error as the message. */
static int init_call(rnode_t *n, weft__flow_fault_t *fault) {
  const char *cfg = n->spec->config ? n->spec->config : "";
  weft_val_t arg = {.kind = WEFT_VAL_STRING};
  const weft_val_t *ok;
  arg.of.str.ptr = cfg;
  arg.of.str.len = strlen(cfg);
  return weft__flow_node_call(n, n->f_init, &arg, 1, 0, &ok, fault);
}

int weft__flow_node_init(rnode_t *n, weft_error_t *err) {
  weft__flow_fault_t f;
  if (init_call(n, &f) < 0) {
    if (f.kind == WEFT__FAULT_TRAP || f.kind == WEFT__FAULT_DEADLINE)
      n->dead = true;
    if (f.kind == WEFT__FAULT_TRAP || f.kind == WEFT__FAULT_HOST)
      return WEFT_ERR(err, WEFT_EINVAL, "node '%s': init failed: %s",
                      n->spec->name, f.msg);
    return WEFT_ERR(err, WEFT_EINVAL, "node '%s': init failed: %s%s%s",
                    n->spec->name, weft__flow_fault_name(f.kind),
                    f.msg[0] ? ": " : "", f.msg);
  }
  n->inited = true;
  return 0;
}

int weft__flow_node_recover(rnode_t *n, weft__flow_fault_t *fault) {
  weft_error_t e = {0};
  n->inited = false;
  if (weft_instance_reset(n->inst, &e) < 0 || ready(n->inst, &e) < 0) {
    n->dead = true;
    fault_set(fault, WEFT__FAULT_HOST, e.msg, strlen(e.msg));
    return -1;
  }
  weft__flow_fault_t f;
  if (init_call(n, &f) < 0) {
    n->dead = f.kind == WEFT__FAULT_TRAP || f.kind == WEFT__FAULT_DEADLINE;
    char msg[sizeof fault->msg];
    int len = snprintf(msg, sizeof msg, "init after a deadline failed: %s%s%s",
                       weft__flow_fault_name(f.kind), f.msg[0] ? ": " : "",
                       f.msg);
    fault_set(fault, WEFT__FAULT_HOST, msg,
              len < 0 ? 0 : (size_t)len < sizeof msg ? (size_t)len
                                                     : sizeof msg - 1);
    return -1;
  }
  n->inited = true;
  return 0;
}

/* teardown() runs on a thread of its own, so that one that does not
 * return is left behind after the timeout instead of hanging the run.
 * Whoever finishes last (the thread or the waiter) frees the call. */
typedef struct td_call {
  rnode_t *n;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  bool done;
  int refs;
  int rc;
  weft_error_t err;
} td_call_t;

static void td_unref(td_call_t *t) {
  pthread_mutex_lock(&t->mu);
  int left = --t->refs;
  pthread_mutex_unlock(&t->mu);
  if (left == 0) {
    pthread_mutex_destroy(&t->mu);
    pthread_cond_destroy(&t->cv);
    free(t);
  }
}

static void *td_main(void *p) {
  td_call_t *t = p;
  weft_error_t e = {0};
  int rc = weft_call_func(t->n->inst, t->n->f_teardown, NULL, 0, NULL, 0, &e);
  pthread_mutex_lock(&t->mu);
  t->rc = rc;
  t->err = e;
  t->done = true;
  pthread_cond_signal(&t->cv);
  pthread_mutex_unlock(&t->mu);
  td_unref(t);
  return NULL;
}

int weft__flow_node_teardown(rnode_t *n, weft_error_t *err) {
  if (!n->inited || n->dead || n->torn_down)
    return 0;
  n->torn_down = true;
  uint64_t timeout = n->run->opts.teardown_timeout_ns
                         ? n->run->opts.teardown_timeout_ns
                         : 5000000000ull;
  td_call_t *t = calloc(1, sizeof *t);
  if (!t)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  t->n = n;
  t->refs = 2;
  pthread_mutex_init(&t->mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&t->cv, &ca);
  pthread_condattr_destroy(&ca);
  pthread_t th;
  if (pthread_create(&th, NULL, td_main, t) != 0) {
    t->refs = 1;
    td_unref(t);
    return WEFT_ERR(err, WEFT_ENOMEM, "node '%s': cannot start teardown",
                    n->spec->name);
  }
  pthread_detach(th);
  struct timespec until;
  clock_gettime(CLOCK_MONOTONIC, &until);
  uint64_t ns = (uint64_t)until.tv_nsec + timeout % 1000000000u;
  until.tv_sec += (time_t)(timeout / 1000000000u + ns / 1000000000u);
  until.tv_nsec = (long)(ns % 1000000000u);
  pthread_mutex_lock(&t->mu);
  while (!t->done)
    if (pthread_cond_timedwait(&t->cv, &t->mu, &until) != 0)
      break;
  bool done = t->done;
  int rc = t->rc;
  weft_error_t e = t->err;
  pthread_mutex_unlock(&t->mu);
  td_unref(t);
  if (!done) {
    /* Still running: the instance (and what it uses) must outlive it. */
    n->dead = true;
    n->run->leaked = true;
    return WEFT_ERR(err, WEFT_ETRAP,
                    "node '%s': teardown did not return within %llu ms",
                    n->spec->name,
                    (unsigned long long)(timeout / 1000000u));
  }
  if (rc < 0) {
    n->dead = true;
    WEFT_ERR(err, rc, "%s", e.msg);
    return node_fail(n, err, rc);
  }
  return 0;
}

void weft__flow_node_close(rnode_t *n) {
  if (n->run->leaked)
    return;
  if (n->has_held)
    weft__flow_elem_clear(&n->run->pool, &n->held);
  n->has_held = false;
  for (size_t i = 0; i < n->npend; i++)
    weft__flow_elem_clear(&n->run->pool,
                          &n->pend[(n->pend_head + i) % n->pend_cap].e);
  free(n->pend);
  n->pend = NULL;
  n->npend = 0;
  weft__flow_host_release(n);
  weft_instance_free(n->inst);
  weft_linker_free(n->linker);
  n->inst = NULL;
  n->linker = NULL;
  if (n->dl_file)
    fclose(n->dl_file);
  n->dl_file = NULL;
}

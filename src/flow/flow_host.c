/* flow_host.c - the host side of torvyn:streaming for one node: the
 * `buffer`, `mutable-buffer` and `flow-context` resources of `types`, and
 * `buffer-allocator`, defined on the node's linker (env: the node).
 *
 * Buffers are the pool's (flow_buffer.h). An element lent to a call is
 * shown through the node's lens: one `buffer` resource made at open and
 * lent as borrow<buffer> to every call, whose rep is &node->lens; the
 * buffer in hand is node->lens. A buffer a guest makes (allocate, then
 * freeze) is a resource whose rep is the weft__flow_buf_t itself, holding
 * one reference. `read`, `read-all`, `append`, `write`, `clone-into-mutable`
 * and a block outgrowing its class are the only payload copies, and each
 * is recorded in the run's ledger. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cabi/cabi_fast.h"
#include "flow/flow_int.h"

#define TYPES "torvyn:streaming/types@0.1.0#"
#define ALLOC "torvyn:streaming/buffer-allocator@0.1.0#"

/* buffer-error cases */
enum { BE_CAPACITY = 0, BE_BOUNDS, BE_ALLOC };

static weft__flow_pool_t *pool_of(rnode_t *n) { return &n->run->pool; }

static void *alloc_or_trap(weft_caller_t *c, size_t size) {
  void *p = weft_caller_alloc(c, size);
  if (!p)
    weft_caller_trap(c, "flow: out of memory");
  return p;
}

/* The buffer behind a `buffer` handle. */
static weft__flow_buf_t *buf_of(weft_caller_t *c, rnode_t *n,
                                const weft_val_t *v) {
  void *rep = weft_resource_rep(v->of.res);
  if (rep == &n->lens) {
    if (!n->lens)
      weft_caller_trap(c, "flow: the element's buffer is no longer lent");
    return n->lens;
  }
  return rep;
}

static void set_u64(weft_val_t *r, uint64_t v) {
  r->kind = WEFT_VAL_U64;
  r->of.u64 = v;
}

static void set_str(weft_val_t *r, const char *s, size_t len) {
  r->kind = WEFT_VAL_STRING;
  r->of.str.ptr = s ? s : "";
  r->of.str.len = s ? len : 0;
}

static void set_bytes(weft_val_t *r, const uint8_t *p, size_t len) {
  r->kind = WEFT_VAL_LIST;
  r->of.bytes.ptr = p;
  r->of.bytes.len = len;
}

static void set_ok(weft_val_t *r, weft_val_t *val) {
  r->kind = WEFT_VAL_RESULT;
  r->of.var.tag = 0;
  r->of.var.val = val;
}

/* err(buffer-error) */
static void set_buf_err(weft_caller_t *c, weft_val_t *r, uint32_t tag,
                        const char *msg) {
  weft_val_t *e = alloc_or_trap(c, 2 * sizeof *e);
  memset(e, 0, 2 * sizeof *e);
  e[0].kind = WEFT_VAL_VARIANT;
  e[0].of.var.tag = tag;
  if (tag == BE_ALLOC) {
    set_str(&e[1], msg, strlen(msg));
    e[0].of.var.val = &e[1];
  }
  r->kind = WEFT_VAL_RESULT;
  r->of.var.tag = 1;
  r->of.var.val = &e[0];
}

/* ok(own<mutable-buffer>) around `b` (its reference moves in). */
static void set_ok_mbuf(weft_caller_t *c, rnode_t *n, weft_val_t *r,
                        weft__flow_buf_t *b) {
  weft_val_t *v = alloc_or_trap(c, sizeof *v);
  v->kind = WEFT_VAL_OWN;
  if (!(v->of.res = weft_resource_new(n->t_mbuf, b))) {
    weft__flow_buf_release(pool_of(n), b);
    set_buf_err(c, r, BE_ALLOC, "out of memory");
    return;
  }
  set_ok(r, v);
}

/* ---- buffer ------------------------------------------------------------- */

static void buffer_size(weft_caller_t *c, void *env, const weft_val_t *args,
                        size_t nargs, weft_val_t *res, size_t nres) {
  (void)nargs, (void)nres;
  set_u64(&res[0], buf_of(c, env, &args[0])->len);
}

static void buffer_content_type(weft_caller_t *c, void *env,
                                const weft_val_t *args, size_t nargs,
                                weft_val_t *res, size_t nres) {
  (void)nargs, (void)nres;
  weft__flow_buf_t *b = buf_of(c, env, &args[0]);
  set_str(&res[0], b->ctype, b->ctype_len);
}

static void buffer_read(weft_caller_t *c, void *env, const weft_val_t *args,
                        size_t nargs, weft_val_t *res, size_t nres) {
  (void)nargs, (void)nres;
  rnode_t *n = env;
  weft__flow_buf_t *b = buf_of(c, n, &args[0]);
  uint64_t off = args[1].of.u64, len = args[2].of.u64;
  if (off > b->len)
    off = b->len;
  if (len > b->len - off)
    len = b->len - off;
  if (len)
    weft__flow_ledger_add(&n->run->ledger, n->index, WEFT__COPY_READ, len);
  set_bytes(&res[0], b->data + off, (size_t)len);
}

static void buffer_read_all(weft_caller_t *c, void *env,
                            const weft_val_t *args, size_t nargs,
                            weft_val_t *res, size_t nres) {
  (void)nargs, (void)nres;
  rnode_t *n = env;
  weft__flow_buf_t *b = buf_of(c, n, &args[0]);
  if (b->len)
    weft__flow_ledger_add(&n->run->ledger, n->index, WEFT__COPY_READ_ALL,
                          b->len);
  set_bytes(&res[0], b->data, b->len);
}

/* ---- mutable-buffer ----------------------------------------------------- */

static weft__flow_buf_t *mbuf_of(const weft_val_t *v) {
  return weft_resource_rep(v->of.res);
}

/* Copy [p, p + len) into `b` at `off` (at most its length): the shared
 * body of write and append. Returns -1, or the buffer-error case (with
 * *msg for allocation-failed). */
static int put(rnode_t *n, weft__flow_buf_t *b, uint64_t off, const void *p,
               size_t len, weft__flow_copy_reason_t why, const char **msg) {
  *msg = "out of memory";
  if (b->frozen) {
    *msg = "the buffer is frozen";
    return BE_ALLOC;
  }
  if (off > b->len)
    return BE_BOUNDS;
  uint32_t had = b->cap;
  int rc = weft__flow_buf_reserve(pool_of(n), b, off + len);
  if (rc == WEFT_ELIMIT)
    return BE_CAPACITY;
  if (rc < 0)
    return BE_ALLOC;
  if (b->cap != had && b->len)
    weft__flow_ledger_add(&n->run->ledger, n->index, WEFT__COPY_GROW,
                          b->len);
  if (len) {
    memcpy(b->data + off, p, len);
    weft__flow_ledger_add(&n->run->ledger, n->index, why, len);
  }
  if (off + len > b->len)
    b->len = (uint32_t)(off + len);
  return -1;
}

static void put_bytes(weft_caller_t *c, rnode_t *n, weft__flow_buf_t *b,
                      uint64_t off, const weft_val_t *bytes,
                      weft__flow_copy_reason_t why, weft_val_t *res) {
  const char *msg;
  int tag = put(n, b, off, bytes->of.bytes.ptr, bytes->of.bytes.len, why,
                &msg);
  if (tag >= 0)
    set_buf_err(c, res, (uint32_t)tag, msg);
  else
    set_ok(res, NULL);
}

static void mbuf_write(weft_caller_t *c, void *env, const weft_val_t *args,
                       size_t nargs, weft_val_t *res, size_t nres) {
  (void)nargs, (void)nres;
  put_bytes(c, env, mbuf_of(&args[0]), args[1].of.u64, &args[2],
            WEFT__COPY_WRITE, &res[0]);
}

static void mbuf_append(weft_caller_t *c, void *env, const weft_val_t *args,
                        size_t nargs, weft_val_t *res, size_t nres) {
  (void)nargs, (void)nres;
  weft__flow_buf_t *b = mbuf_of(&args[0]);
  put_bytes(c, env, b, b->len, &args[1], WEFT__COPY_APPEND, &res[0]);
}

static void mbuf_size(weft_caller_t *c, void *env, const weft_val_t *args,
                      size_t nargs, weft_val_t *res, size_t nres) {
  (void)c, (void)env, (void)nargs, (void)nres;
  set_u64(&res[0], mbuf_of(&args[0])->len);
}

static void mbuf_capacity(weft_caller_t *c, void *env, const weft_val_t *args,
                          size_t nargs, weft_val_t *res, size_t nres) {
  (void)c, (void)env, (void)nargs, (void)nres;
  set_u64(&res[0], mbuf_of(&args[0])->cap);
}

static void mbuf_set_content_type(weft_caller_t *c, void *env,
                                  const weft_val_t *args, size_t nargs,
                                  weft_val_t *res, size_t nres) {
  (void)env, (void)nargs, (void)res, (void)nres;
  if (weft__flow_buf_set_ctype(mbuf_of(&args[0]), args[1].of.str.ptr,
                               args[1].of.str.len) < 0)
    weft_caller_trap(c, "flow: out of memory");
}

/* The mutable buffer becomes read-only and a `buffer` shares it: no
 * copy. */
static void mbuf_freeze(weft_caller_t *c, void *env, const weft_val_t *args,
                        size_t nargs, weft_val_t *res, size_t nres) {
  (void)nargs, (void)nres;
  rnode_t *n = env;
  weft__flow_buf_t *b = mbuf_of(&args[0]);
  b->frozen = true;
  res[0].kind = WEFT_VAL_OWN;
  if (!(res[0].of.res = weft_resource_new(n->t_buf, b)))
    weft_caller_trap(c, "flow: out of memory");
  weft__flow_buf_retain(b);
}

/* ---- flow-context ------------------------------------------------------- */

static void ctx_trace_id(weft_caller_t *c, void *env, const weft_val_t *args,
                         size_t nargs, weft_val_t *res, size_t nres) {
  (void)args, (void)nargs, (void)nres;
  rnode_t *n = env;
  char *s = alloc_or_trap(c, 33);
  snprintf(s, 33, "%016" PRIx64 "%016" PRIx64, n->run->flow_hash,
           n->cur_seq);
  set_str(&res[0], s, 32);
}

static void ctx_span_id(weft_caller_t *c, void *env, const weft_val_t *args,
                        size_t nargs, weft_val_t *res, size_t nres) {
  (void)args, (void)nargs, (void)nres;
  rnode_t *n = env;
  char *s = alloc_or_trap(c, 17);
  /* Unique per node and element: the node in the top 16 bits. */
  uint64_t id = ((uint64_t)(n->index + 1) << 48) ^ n->cur_seq;
  snprintf(s, 17, "%016" PRIx64, id);
  set_str(&res[0], s, 16);
}

static void ctx_deadline_ns(weft_caller_t *c, void *env,
                            const weft_val_t *args, size_t nargs,
                            weft_val_t *res, size_t nres) {
  (void)c, (void)args, (void)nargs, (void)nres;
  set_u64(&res[0], ((rnode_t *)env)->cur_deadline);
}

static void ctx_flow_id(weft_caller_t *c, void *env, const weft_val_t *args,
                        size_t nargs, weft_val_t *res, size_t nres) {
  (void)c, (void)args, (void)nargs, (void)nres;
  const char *name = ((rnode_t *)env)->run->flow->name;
  set_str(&res[0], name, strlen(name));
}

/* ---- buffer-allocator --------------------------------------------------- */

static void allocate(weft_caller_t *c, void *env, const weft_val_t *args,
                     size_t nargs, weft_val_t *res, size_t nres) {
  (void)nargs, (void)nres;
  rnode_t *n = env;
  weft_error_t e = {0};
  weft__flow_buf_t *b = weft__flow_buf_new(pool_of(n), args[0].of.u64, &e);
  if (!b) {
    set_buf_err(c, &res[0], e.code == WEFT_ELIMIT ? BE_CAPACITY : BE_ALLOC,
                "out of memory");
    return;
  }
  set_ok_mbuf(c, n, &res[0], b);
}

static void clone_into_mutable(weft_caller_t *c, void *env,
                               const weft_val_t *args, size_t nargs,
                               weft_val_t *res, size_t nres) {
  (void)nargs, (void)nres;
  rnode_t *n = env;
  weft__flow_buf_t *src = buf_of(c, n, &args[0]);
  weft_error_t e = {0};
  weft__flow_buf_t *b = weft__flow_buf_new(pool_of(n), src->len, &e);
  if (!b || (src->ctype &&
             weft__flow_buf_set_ctype(b, src->ctype, src->ctype_len) < 0)) {
    if (b)
      weft__flow_buf_release(pool_of(n), b);
    set_buf_err(c, &res[0], BE_ALLOC, "out of memory");
    return;
  }
  if (src->len) {
    memcpy(b->data, src->data, src->len);
    weft__flow_ledger_add(&n->run->ledger, n->index, WEFT__COPY_CLONE,
                          src->len);
  }
  b->len = src->len;
  set_ok_mbuf(c, n, &res[0], b);
}

/* ---- the hot functions as raw core functions ---------------------------
 * What an element costs is mostly these calls, so they skip the typed
 * canonical ABI (weft_val_t arrays, a lift and a lower per call) and do
 * its work by hand through cabi_fast.h: the same checks, the same
 * copies. Their flat signatures are checked when they are defined. The
 * node is the instance's data (set at open). */

static rnode_t *node_of(weft_instance_t *inst) {
  rnode_t *n = weft_instance_data(inst);
  if (!n)
    weft__trap(WEFT_TRAP_HOST, "flow: the instance has no node");
  return n;
}

/* The buffer behind borrow<buffer> handle `h`. */
static weft__flow_buf_t *raw_buf(weft_instance_t *inst, rnode_t *n,
                                 uint32_t h) {
  void *rep = weft_resource_rep(weft__cabi_borrowed(inst, h, n->t_buf));
  if (rep == &n->lens) {
    if (!n->lens)
      weft__trap(WEFT_TRAP_HOST,
                 "flow: the element's buffer is no longer lent");
    return n->lens;
  }
  return rep;
}

static weft__flow_buf_t *raw_mbuf(weft_instance_t *inst, rnode_t *n,
                                  uint32_t h) {
  return weft_resource_rep(weft__cabi_borrowed(inst, h, n->t_mbuf));
}

static void put_u32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

/* list<u8> result [p, p + len) into the return area at `ret`. */
static void raw_bytes(weft_instance_t *inst, uint32_t ret, const void *p,
                      size_t len) {
  uint8_t *r = weft__cabi_guest(inst, ret, 8, 4, "return area");
  uint32_t ptr = weft__cabi_copy_out(inst, p, len, 1);
  put_u32(r, ptr);
  put_u32(r + 4, (uint32_t)len);
}

/* The return area at `ret` of a result<T, buffer-error> (16 bytes). */
static uint8_t *raw_ret16(weft_instance_t *inst, uint32_t ret) {
  return weft__cabi_guest(inst, ret, 16, 4, "return area");
}

/* result<T, buffer-error> into return area `r` (raw_ret16): ok with
 * `handle` as T when `tag` < 0, else err(tag) (msg: allocation-failed's
 * text). */
static void raw_result(weft_instance_t *inst, uint8_t *r, int tag,
                       uint32_t handle, const char *msg) {
  r[0] = tag >= 0;
  if (tag < 0) {
    put_u32(r + 4, handle);
    return;
  }
  r[4] = (uint8_t)tag;
  if (tag == BE_ALLOC) {
    size_t len = strlen(msg);
    put_u32(r + 8, weft__cabi_copy_out(inst, msg, len, 1));
    put_u32(r + 12, (uint32_t)len);
  }
}

static uint64_t raw_buffer_size(weft_instance_t *inst, uint32_t self) {
  return raw_buf(inst, node_of(inst), self)->len;
}

static void raw_buffer_read(weft_instance_t *inst, uint32_t self,
                            uint64_t off, uint64_t len, uint32_t ret) {
  rnode_t *n = node_of(inst);
  weft__flow_buf_t *b = raw_buf(inst, n, self);
  if (off > b->len)
    off = b->len;
  if (len > b->len - off)
    len = b->len - off;
  if (len)
    weft__flow_ledger_add(&n->run->ledger, n->index, WEFT__COPY_READ, len);
  raw_bytes(inst, ret, b->data + off, (size_t)len);
}

static void raw_buffer_read_all(weft_instance_t *inst, uint32_t self,
                                uint32_t ret) {
  rnode_t *n = node_of(inst);
  weft__flow_buf_t *b = raw_buf(inst, n, self);
  if (b->len)
    weft__flow_ledger_add(&n->run->ledger, n->index, WEFT__COPY_READ_ALL,
                          b->len);
  raw_bytes(inst, ret, b->data, b->len);
}

static void raw_mbuf_write(weft_instance_t *inst, uint32_t self,
                           uint64_t off, uint32_t ptr, uint32_t len,
                           uint32_t ret) {
  rnode_t *n = node_of(inst);
  weft__flow_buf_t *b = raw_mbuf(inst, n, self);
  const uint8_t *p = weft__cabi_guest(inst, ptr, len, 1, "list<u8>");
  const char *msg;
  int tag = put(n, b, off, p, len, WEFT__COPY_WRITE, &msg);
  raw_result(inst, raw_ret16(inst, ret), tag, 0, msg);
}

static void raw_mbuf_append(weft_instance_t *inst, uint32_t self,
                            uint32_t ptr, uint32_t len, uint32_t ret) {
  rnode_t *n = node_of(inst);
  weft__flow_buf_t *b = raw_mbuf(inst, n, self);
  const uint8_t *p = weft__cabi_guest(inst, ptr, len, 1, "list<u8>");
  const char *msg;
  int tag = put(n, b, b->len, p, len, WEFT__COPY_APPEND, &msg);
  raw_result(inst, raw_ret16(inst, ret), tag, 0, msg);
}

static uint64_t raw_mbuf_size(weft_instance_t *inst, uint32_t self) {
  return raw_mbuf(inst, node_of(inst), self)->len;
}

static uint32_t raw_mbuf_freeze(weft_instance_t *inst, uint32_t self) {
  rnode_t *n = node_of(inst);
  weft__flow_buf_t *b = raw_mbuf(inst, n, self);
  b->frozen = true;
  weft_resource_t *r = weft_resource_new(n->t_buf, b);
  if (!r)
    weft__trap(WEFT_TRAP_HOST, "flow: out of memory");
  weft__flow_buf_retain(b);
  return weft__cabi_give(inst, r);
}

static void raw_allocate(weft_instance_t *inst, uint64_t hint,
                         uint32_t ret) {
  rnode_t *n = node_of(inst);
  uint8_t *r = raw_ret16(inst, ret);
  weft_error_t e; /* not zeroed: 280 bytes, on the hot path */
  e.code = e.detail = 0;
  e.msg[0] = 0;
  weft__flow_buf_t *b = weft__flow_buf_new(pool_of(n), hint, &e);
  if (!b) {
    raw_result(inst, r, e.code == WEFT_ELIMIT ? BE_CAPACITY : BE_ALLOC, 0,
               "out of memory");
    return;
  }
  weft_resource_t *res = weft_resource_new(n->t_mbuf, b);
  if (!res) {
    weft__flow_buf_release(pool_of(n), b);
    raw_result(inst, r, BE_ALLOC, 0, "out of memory");
    return;
  }
  raw_result(inst, r, -1, weft__cabi_give(inst, res), NULL);
}

/* ---- resources ---------------------------------------------------------- */

static void buffer_dtor(void *rep, void *env) {
  rnode_t *n = env;
  if (rep != &n->lens)
    weft__flow_buf_release(pool_of(n), rep);
}

static void mbuf_dtor(void *rep, void *env) {
  weft__flow_buf_release(pool_of(env), rep);
}

int weft__flow_host_define(rnode_t *n, weft_error_t *err) {
  static const struct {
    const char *name;
    weft_wit_fn_t fn;
  } fns[] = {
      {TYPES "[method]buffer.size", buffer_size},
      {TYPES "[method]buffer.content-type", buffer_content_type},
      {TYPES "[method]buffer.read", buffer_read},
      {TYPES "[method]buffer.read-all", buffer_read_all},
      {TYPES "[method]mutable-buffer.write", mbuf_write},
      {TYPES "[method]mutable-buffer.append", mbuf_append},
      {TYPES "[method]mutable-buffer.size", mbuf_size},
      {TYPES "[method]mutable-buffer.capacity", mbuf_capacity},
      {TYPES "[method]mutable-buffer.set-content-type",
       mbuf_set_content_type},
      {TYPES "[method]mutable-buffer.freeze", mbuf_freeze},
      {TYPES "[method]flow-context.trace-id", ctx_trace_id},
      {TYPES "[method]flow-context.span-id", ctx_span_id},
      {TYPES "[method]flow-context.deadline-ns", ctx_deadline_ns},
      {TYPES "[method]flow-context.flow-id", ctx_flow_id},
      {ALLOC "allocate", allocate},
      {ALLOC "clone-into-mutable", clone_into_mutable},
  };
  weft_linker_t *l = n->linker;
  if (!(n->t_buf = weft_linker_define_resource(l, TYPES "buffer", buffer_dtor,
                                               n, err)) ||
      !(n->t_mbuf = weft_linker_define_resource(l, TYPES "mutable-buffer",
                                                mbuf_dtor, n, err)) ||
      !(n->t_ctx = weft_linker_define_resource(l, TYPES "flow-context", NULL,
                                               n, err)))
    return err ? err->code : WEFT_EINVAL;
  static const struct {
    const char *name, *sig;
    weft__raw_fn_t fn;
  } raws[] = {
      {TYPES "[method]buffer.size", "i:l", (weft__raw_fn_t)raw_buffer_size},
      {TYPES "[method]buffer.read", "illi:", (weft__raw_fn_t)raw_buffer_read},
      {TYPES "[method]buffer.read-all", "ii:",
       (weft__raw_fn_t)raw_buffer_read_all},
      {TYPES "[method]mutable-buffer.write", "iliii:",
       (weft__raw_fn_t)raw_mbuf_write},
      {TYPES "[method]mutable-buffer.append", "iiii:",
       (weft__raw_fn_t)raw_mbuf_append},
      {TYPES "[method]mutable-buffer.size", "i:l",
       (weft__raw_fn_t)raw_mbuf_size},
      {TYPES "[method]mutable-buffer.freeze", "i:i",
       (weft__raw_fn_t)raw_mbuf_freeze},
      {ALLOC "allocate", "li:", (weft__raw_fn_t)raw_allocate},
  };
  for (size_t i = 0; i < sizeof fns / sizeof *fns; i++) {
    int rc = weft_linker_define_wit(l, fns[i].name, fns[i].fn, n, err);
    if (rc < 0)
      return rc;
  }
  for (size_t i = 0; i < sizeof raws / sizeof *raws && !n->run->opts.generic;
       i++) {
    int rc = weft__cabi_define_raw(l, raws[i].name, raws[i].sig, raws[i].fn,
                                   err);
    if (rc < 0)
      return rc;
  }
  if (!(n->lens_res = weft_resource_new(n->t_buf, &n->lens)) ||
      !(n->ctx_res = weft_resource_new(n->t_ctx, &n->ctx_lens)))
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  return 0;
}

void weft__flow_host_release(rnode_t *n) {
  weft_resource_drop(n->lens_res);
  weft_resource_drop(n->ctx_res);
  n->lens_res = n->ctx_res = NULL;
}

/* cabi_int.h - private to src/cabi/cabi*.c: the canonical ABI between
 * component values (weft_val_t) and a core module's flat values and linear
 * memory, the plan of a world's functions, and per-instance handle tables.
 * See docs/internals/cabi.md. */
#ifndef WEFT_CABI_INT_H
#define WEFT_CABI_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "cabi/wit.h"
#include "engine/engine.h"
#include "util/arena.h"
#include "util/util.h"

#define CABI_MAX_FLAT_PARAMS 16
#define CABI_MAX_FLAT_RESULTS 1
/* Flattening stops recording past this many values: beyond 16 only the
 * fact that there are more matters. */
#define CABI_FLAT_CAP (CABI_MAX_FLAT_PARAMS + 1)
/* Host memory one call's values may take (a guest can describe a list of
 * 2^32 empty tuples in no memory at all). */
#define CABI_VALUE_BUDGET ((size_t)1 << 30)
/* Largest string the canonical ABI allows. */
#define CABI_MAX_STRING ((uint32_t)INT32_MAX)

/* ---- types: sizes, alignment, flattening (cabi_type.c) ------------------ */

typedef struct cabi_flat {
  uint8_t t[CABI_FLAT_CAP]; /* WEFT_I32, WEFT_I64, WEFT_F32, WEFT_F64 */
  int n;                    /* may exceed CABI_FLAT_CAP: only counted */
} cabi_flat_t;

uint32_t cabi_size(const weft__wit_type_t *t);
uint32_t cabi_align(const weft__wit_type_t *t);
/* Append the flat core types of `t`. */
void cabi_flatten(const weft__wit_type_t *t, cabi_flat_t *f);
/* Bytes of a variant's discriminant (1, 2 or 4) for `ncases` cases. */
uint32_t cabi_disc_size(size_t ncases);
/* Offset of a variant's payload. */
uint32_t cabi_payload_offset(const weft__wit_type_t *t);
static inline uint32_t cabi_align_to(uint32_t x, uint32_t a) {
  return (x + a - 1) & ~(a - 1);
}
/* The cases of variant-like `t` (variant, enum, option, result) as
 * payload types: sets *n and returns case i's payload (NULL: none). */
const weft__wit_type_t *cabi_case(const weft__wit_type_t *t, size_t i);
size_t cabi_ncases(const weft__wit_type_t *t);
/* The resource a handle type refers to. */
const weft__wit_type_t *cabi_resource_of(const weft__wit_type_t *handle);
/* Layout of a sequence of types laid out as a tuple (params, results). */
uint32_t cabi_seq_offset(const weft__wit_member_t *m, size_t n, size_t i);
uint32_t cabi_seq_align(const weft__wit_member_t *m, size_t n);
uint32_t cabi_seq_size(const weft__wit_member_t *m, size_t n);

/* ---- resources (cabi_resource.c) ---------------------------------------- */

typedef struct cabi_world cabi_world_t;
typedef struct cabi_inst cabi_inst_t;

/* A resource type of a world: imported ones are the host's, the ones the
 * world exports are the guest's. Public as weft_resource_type_t. */
struct weft_resource_type {
  const weft__wit_type_t *wt;
  char *name;               /* "ns:pkg/iface@ver#res" */
  bool guest;
  weft_resource_dtor_t dtor; /* host types */
  void *env;
  char *dtor_export;        /* guest types: "ns:pkg/iface@ver#[dtor]res" */
  cabi_world_t *world;
};

struct weft_resource {
  weft_resource_type_t *type;
  void *rep;                /* host resources */
  uint32_t guest_rep;       /* guest resources */
  cabi_inst_t *inst;        /* guest resources: the defining instance, NULL
                             * once it is gone */
  weft_resource_t *next, *prev; /* guest resources the host holds */
};

typedef struct cabi_handle {
  weft_resource_t *res;     /* NULL: a free slot */
  bool own;
  bool lent;                /* a borrow lent for the current export call */
  uint32_t next_free;
} cabi_handle_t;

/* Handles are indices + 1; 0 is never a handle. */
int cabi_handle_new(cabi_inst_t *ci, weft_resource_t *res, bool own,
                    uint32_t *handle);
cabi_handle_t *cabi_handle_get(cabi_inst_t *ci, uint32_t handle);
void cabi_handle_free(cabi_inst_t *ci, uint32_t handle);
/* A guest resource passes to the host (own<T> lifted out of its instance)
 * or back (lowered into it, or dropped): the instance's list of resources
 * the host holds, to detach them if the instance goes away first. */
void cabi_held_add(weft_resource_t *res);
void cabi_held_remove(weft_resource_t *res);
/* Destroy a resource: its destructor, then the object. */
void cabi_resource_destroy(weft_resource_t *res);
/* Drop every handle of an instance that is going away. */
void cabi_handles_clear(cabi_inst_t *ci);
/* Define the canonical built-ins of the world's resources. */
int cabi_define_resource_builtins(weft_linker_t *linker, cabi_world_t *w,
                                  weft_error_t *err);
weft_resource_type_t *cabi_rtype(const cabi_world_t *w,
                                 const weft__wit_type_t *resource);

/* ---- worlds and functions (cabi_world.c) -------------------------------- */

/* The layout of one compound type a function carries (records, tuples,
 * variants, enums, options, results, flags), computed once: cabi_type.c
 * recomputes sizes and alignments recursively at every use, which costs
 * more than the rest of a call. */
#define CABI_MEMO_TYPES 16
#define CABI_MEMO_FIELDS 6
typedef struct cabi_layout {
  const weft__wit_type_t *t;      /* unaliased */
  uint32_t size, align;
  uint32_t payload;               /* variant-likes: payload offset */
  uint32_t off[CABI_MEMO_FIELDS]; /* records, tuples: field offsets */
  cabi_flat_t flat;               /* variant-likes: their flat types */
} cabi_layout_t;

/* A function of a world, import or export. Public as weft_func_t. */
struct weft_func {
  const weft__wit_func_t *wf;
  char *name;               /* "ns:pkg/iface@ver#func" or "func" */
  char *core_module;        /* imports: "ns:pkg/iface@ver" or "$root" */
  char *core_name;          /* exports: = name; imports: the field */
  char *post_name;          /* exports: "cabi_post_" + core_name */
  char *sig;                /* flat core signature "ii:i" */
  cabi_flat_t params, results;
  bool params_in_memory;    /* > 16 flat params: one pointer */
  bool results_in_memory;   /* > 1 flat result: pointer (export) or
                             * return-area parameter (import) */
  bool needs_realloc;       /* lowering its params (export) or results
                             * (import) allocates guest memory */
  size_t index;             /* in world->exports or world->imports */
  cabi_world_t *world;
  weft_wit_fn_t fn;         /* imports: the host's implementation */
  void *env;
  /* Layouts of the compound types of its parameters and results, filled
   * at its first call (cabi_call.c); read without a lock once `memo_ready`
   * is set. */
  int memo_ready;
  uint32_t nmemo;
  cabi_layout_t memo[CABI_MEMO_TYPES];
};

struct cabi_world {
  weft__wit_t *model;       /* borrowed from the weft_wit_t */
  const weft__wit_world_t *w;
  weft_func_t *exports;
  size_t nexports;
  weft_func_t *imports;
  size_t nimports;
  weft_resource_type_t **rtypes;
  size_t nrtypes;
  bool needs_realloc;       /* any function needs cabi_realloc */
};

/* The resolved exports of one instance, and its handles and arenas. */
struct cabi_inst {
  weft_instance_t *inst;
  cabi_world_t *world;
  const void **exports;     /* per world export: weft__module_export_func */
  const void **posts;       /* per world export: its cabi_post_, or NULL */
  const void *realloc_fn;
  cabi_handle_t *handles;
  uint32_t nhandles, cap, free_head; /* free_head: handle, 0 none */
  uint32_t lent;            /* borrows lent to the running export call */
  weft__arena_t results;    /* values of the last weft_call */
  weft__arena_t scratch;    /* values of the running host function */
  weft_resource_t *held;    /* guest resources the host holds */
  int depth;                /* export calls running (re-entry guard) */
};

cabi_inst_t *cabi_inst_of(weft_instance_t *inst);
/* Forget the borrows lent to an export call that has ended (cabi_call.c). */
void cabi_end_loans(cabi_inst_t *ci);
const weft_func_t *cabi_find(const weft_func_t *fs, size_t n,
                             const char *name);
/* Set *world to the world `linker` was bound to (weft_linker_use_world):
 * 0, or WEFT_EINVAL when there is none. */
int cabi_linker_world(weft_linker_t *linker, cabi_world_t **world,
                      weft_error_t *err);
/* Set *world and *f to that world and its import `name` (found as
 * cabi_find does): 0, or an error naming what is missing. */
int cabi_linker_import(weft_linker_t *linker, const char *name,
                       cabi_world_t **world, weft_func_t **f,
                       weft_error_t *err);

/* ---- lifting and lowering (cabi_lift.c, cabi_lower.c) ------------------- */

/* What one conversion needs. A failure sets code and msg and unwinds to
 * the caller through the return value: guest misbehaviour is WEFT_ETRAP
 * (a trap), a host value of the wrong kind is WEFT_ESIGNATURE. */
typedef struct cabi_cx {
  cabi_inst_t *ci;
  weft_instance_t *inst;
  wasm_rt_memory_t *mem;
  weft__arena_t *arena;     /* lifted values go here */
  const char *what;         /* "arguments", "results", for messages */
  const weft_func_t *func;  /* whose */
  bool export_call;         /* lowering args of an export call: borrows
                             * are lent to it */
  int failed;               /* the first failure's code, or 0 */
  weft_error_t err;         /* and its message */
} cabi_cx_t;

/* A sequence of flat core values being read or written. */
typedef struct cabi_flatvals {
  weft_core_val_t *v;
  int n, i;
} cabi_flatvals_t;

int cabi_lift_flat(cabi_cx_t *cx, const weft__wit_type_t *t,
                   cabi_flatvals_t *in, weft_val_t *out);
int cabi_load(cabi_cx_t *cx, const weft__wit_type_t *t, uint32_t ptr,
              weft_val_t *out);
int cabi_lower_flat(cabi_cx_t *cx, const weft__wit_type_t *t,
                    const weft_val_t *v, cabi_flatvals_t *out);
int cabi_store(cabi_cx_t *cx, const weft__wit_type_t *t, const weft_val_t *v,
               uint32_t ptr);
/* Call the guest's cabi_realloc(0, 0, align, size); checks the result. */
int cabi_realloc(cabi_cx_t *cx, uint32_t align, uint32_t size, uint32_t *ptr);
/* Fail the conversion: a guest fault (WEFT_ETRAP) or a host one. */
int cabi_fail(cabi_cx_t *cx, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* cabi_mem's failure: fails the conversion saying why [ptr, ptr+len) of
 * `of` is not usable, returns NULL. */
uint8_t *cabi_mem_fail(cabi_cx_t *cx, uint32_t ptr, uint64_t len,
                       uint32_t align, const char *of);
/* Host address of [ptr, ptr+len) after checking bounds and alignment;
 * NULL with the conversion failed if either is wrong. Inline: it guards
 * every value read or written. */
static inline uint8_t *cabi_mem(cabi_cx_t *cx, uint32_t ptr, uint64_t len,
                                uint32_t align, const char *of) {
  if (cx->mem && !(align > 1 && (ptr & (align - 1)))) {
    uint8_t *p = weft__guest_ptr(cx->mem, ptr, len);
    if (p)
      return p;
  }
  return cabi_mem_fail(cx, ptr, len, align, of);
}

/* Offset of the first ill-formed UTF-8 byte of s[0..len), or len: ASCII,
 * the common case, 8 bytes at a time (a string of 8 bytes or more ends
 * with one word overlapping the last seen, not byte by byte), the rest by
 * weft__utf8_check. */
static inline size_t cabi_utf8_check(const uint8_t *s, size_t len) {
  size_t i = 0;
  if (len >= 8) {
    uint64_t w;
    for (; i + 8 <= len; i += 8) {
      memcpy(&w, s + i, 8);
      if (w & 0x8080808080808080ull)
        break;
    }
    /* The last bytes as one word, overlapping those seen. */
    memcpy(&w, s + len - 8, 8);
    if (i + 8 > len && !(w & 0x8080808080808080ull))
      return len;
  }
  while (i < len && s[i] < 0x80)
    i++;
  return i == len ? len : i + weft__utf8_check(s + i, len - i);
}

/* ---- layouts (cabi_call.c) ---------------------------------------------- */

/* The memoized layout of compound type `t` (unaliased) for function `f`,
 * or NULL when it is not one of f's (then use cabi_type.c). */
const cabi_layout_t *cabi_layout(const weft_func_t *f,
                                 const weft__wit_type_t *t);

/* The memoized layout of `t` (unaliased) for cx's function when `t` is a
 * record, tuple or variant-like one of its types; else NULL (then
 * cabi_type.c computes what is needed). */
static inline const cabi_layout_t *cabi_cx_layout(const cabi_cx_t *cx,
                                                  const weft__wit_type_t *t) {
  switch (t->kind) {
  case WEFT__WIT_RECORD:
  case WEFT__WIT_TUPLE:
  case WEFT__WIT_VARIANT:
  case WEFT__WIT_ENUM:
  case WEFT__WIT_OPTION:
  case WEFT__WIT_RESULT:
    return cx->func ? cabi_layout(cx->func, t) : NULL;
  default:
    return NULL;
  }
}

/* Size and alignment of `t` (unaliased) for the conversion `cx`. */
static inline void cabi_size_align(const cabi_cx_t *cx,
                                   const weft__wit_type_t *t, uint32_t *size,
                                   uint32_t *align) {
  switch (t->kind) {
  case WEFT__WIT_BOOL:
  case WEFT__WIT_S8:
  case WEFT__WIT_U8:
    *size = *align = 1;
    return;
  case WEFT__WIT_S16:
  case WEFT__WIT_U16:
    *size = *align = 2;
    return;
  case WEFT__WIT_S64:
  case WEFT__WIT_U64:
  case WEFT__WIT_F64:
    *size = *align = 8;
    return;
  case WEFT__WIT_STRING:
  case WEFT__WIT_LIST:
    *size = 8;
    *align = 4;
    return;
  case WEFT__WIT_S32:
  case WEFT__WIT_U32:
  case WEFT__WIT_F32:
  case WEFT__WIT_CHAR:
  case WEFT__WIT_OWN:
  case WEFT__WIT_BORROW:
    *size = *align = 4;
    return;
  default: {
    const cabi_layout_t *l = cx->func ? cabi_layout(cx->func, t) : NULL;
    *size = l ? l->size : cabi_size(t);
    *align = l ? l->align : cabi_align(t);
  }
  }
}

/* Layout of parameters or results laid out as a tuple, from the memo of
 * cx->func: their size and alignment, and the offset of member `at` (when
 * at < n; *offset is left alone otherwise). */
void cabi_seq_layout(const cabi_cx_t *cx, const weft__wit_member_t *m,
                     size_t n, size_t at, uint32_t *size, uint32_t *align,
                     uint32_t *offset);

/* The flat types of variant-like `t` (unaliased), into *all. */
static inline void cabi_case_flat(const cabi_cx_t *cx,
                                  const weft__wit_type_t *t,
                                  cabi_flat_t *all) {
  const cabi_layout_t *l = cx->func ? cabi_layout(cx->func, t) : NULL;
  if (l) {
    *all = l->flat;
    return;
  }
  all->n = 0;
  cabi_flatten(t, all);
}

/* The WIT kind name of `v`'s kind, for messages. */
const char *cabi_val_kind_name(int kind);

#endif

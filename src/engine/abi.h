/* abi.h - the contract between libweft and the shared objects it compiles.
 *
 * This header is compiled into libweft and also written, verbatim, next to
 * every module's wasm2c output, where the generated shim includes it. It
 * must therefore depend on nothing but wasm-rt.h and the C library. A
 * compiled module exports one symbol, WEFT__ABI_SYMBOL, pointing to its
 * weft__abi_module_t. The module calls back into libweft only through the
 * weft__abi_rt_t table that libweft installs at load, so a compiled module
 * has no undefined symbols besides libc's and libm's.
 *
 * Bump WEFT_ABI_VERSION in weft.h whenever anything here changes.
 */
#ifndef WEFT_ENGINE_ABI_H
#define WEFT_ENGINE_ABI_H

#include <stddef.h>
#include <stdint.h>

#include <wasm-rt.h>

#define WEFT__ABI_SYMBOL "weft_module_abi"

/* Same layout as weft_core_val_t. */
typedef struct weft__abi_val {
  uint8_t type;
  union {
    int32_t i32;
    int64_t i64;
    float f32;
    double f64;
    uint8_t v128[16];
    void *ref;
  } of;
} weft__abi_val_t;

/* One resolved import of an instance. An instance has one slot per import
 * and one more, past them, whose first word the shim points at itself and
 * passes wherever wasm2c wants an import-module instance. */
typedef struct weft__abi_slot {
  void (*fn)(void); /* direct: R fn(ctx, args...) */
  void *ctx;        /* first argument of fn / caller for generic */
  void *ptr;        /* memory, table or global */
  void *host;       /* generic host function record, else NULL */
} weft__abi_slot_t;

/* What libweft offers compiled code. */
typedef struct weft__abi_rt {
  uint32_t abi_version;
  void (*trap)(wasm_rt_trap_t code, void *pc) __attribute__((noreturn));
  uint32_t (*register_func_type)(uint32_t nparams, uint32_t nresults,
                                 const wasm_rt_type_t *types);
  void (*allocate_memory)(wasm_rt_memory_t *, uint32_t, uint32_t);
  uint32_t (*grow_memory)(wasm_rt_memory_t *, uint32_t);
  void (*free_memory)(wasm_rt_memory_t *);
  void (*allocate_funcref_table)(wasm_rt_funcref_table_t *, uint32_t,
                                 uint32_t);
  void (*free_funcref_table)(wasm_rt_funcref_table_t *);
  uint32_t (*grow_funcref_table)(wasm_rt_funcref_table_t *, uint32_t,
                                 wasm_rt_funcref_t);
  void (*allocate_externref_table)(wasm_rt_externref_table_t *, uint32_t,
                                   uint32_t);
  void (*free_externref_table)(wasm_rt_externref_table_t *);
  uint32_t (*grow_externref_table)(wasm_rt_externref_table_t *, uint32_t,
                                   wasm_rt_externref_t);
  /* Call a generic host function through `slot`. */
  void (*call_host)(weft__abi_slot_t *slot, const weft__abi_val_t *args,
                    weft__abi_val_t *results);
} weft__abi_rt_t;

typedef void (*weft__abi_tramp_t)(void *inst, const weft__abi_val_t *args,
                                  weft__abi_val_t *results);
typedef void *(*weft__abi_get_t)(void *inst);

typedef struct weft__abi_export {
  uint32_t index;          /* export index in the module */
  void (*fn)(void);        /* functions: R fn(inst, args...) */
  weft__abi_tramp_t tramp; /* functions: generic entry */
  weft__abi_get_t get;     /* memory, table, global: its address */
} weft__abi_export_t;

typedef struct weft__abi_module {
  uint32_t abi_version;
  const char *cc_id;           /* compiler identity it was built with */
  const char *wasm_sha256;     /* hex digest of wasm_bytes */
  const uint8_t *wasm_bytes;   /* the module itself, embedded */
  size_t wasm_len;
  const weft__abi_rt_t **rt;   /* libweft stores its table here at load */
  size_t instance_size;        /* sizeof the wasm2c instance struct */
  void (*init_module)(void);
  /* Instantiate into zeroed `inst`; `slots` has one entry per import,
   * plus one for the shim. */
  void (*instantiate)(void *inst, weft__abi_slot_t *slots);
  void (*free)(void *inst);
  uint32_t nexports;
  const weft__abi_export_t *exports;
  uint32_t nfuncs;             /* defined functions, in index order */
  void *const *funcs;          /* their addresses, for naming traps */
} weft__abi_module_t;

#endif

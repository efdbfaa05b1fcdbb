/* engine.h - what the engine offers the other modules of libweft (WASI, the
 * canonical ABI, triggers): raw host functions, per-instance host state,
 * memory access from a host call, and exits. */
#ifndef WEFT_ENGINE_ENGINE_H
#define WEFT_ENGINE_ENGINE_H

#include <stdint.h>

#include <wasm-rt.h>

#include "runtime/runtime.h"
#include "weft.h"

/* A raw host function is called straight from guest code with the C
 * signature `R fn(weft_instance_t *inst, A1, A2, ...)`, where i32 maps to
 * uint32_t, i64 to uint64_t, f32 to float and f64 to double, and R is void
 * or the single result type. `sig` is as in weft.h ("iiii:i"). Fastest way
 * to offer a host function; used by WASI. */
typedef void (*weft__raw_fn_t)(void);
int weft__linker_define_raw(weft_linker_t *linker, const char *module,
                            const char *name, const char *sig,
                            weft__raw_fn_t fn, weft_error_t *err);

/* Per-instance host state. A linker carries up to WEFT__STATE_MAX state
 * providers; each instance made from it gets one state per provider,
 * created before the start function runs and destroyed with the instance.
 * Reset goes in slot order: the key-value handles (KV) close after the
 * canonical ABI's resources (CABI), whose destructors use them. */
enum { WEFT__STATE_WASI = 0, WEFT__STATE_CABI = 1, WEFT__STATE_KV = 2,
       WEFT__STATE_MAX = 4 };

typedef struct weft__state_ops {
  /* Make the state for `inst` from the provider's `cfg`. */
  int (*create)(weft_instance_t *inst, void *cfg, void **state,
                weft_error_t *err);
  void (*destroy)(void *state);
  /* Optional: make `state` as new for a reset instance, keeping what it
   * can (else reset destroys and creates it). */
  int (*reset)(void *state, weft_error_t *err);
  /* Frees cfg when the linker is freed (may be NULL). */
  void (*free_cfg)(void *cfg);
} weft__state_ops_t;

int weft__linker_set_state(weft_linker_t *linker, int slot,
                           const weft__state_ops_t *ops, void *cfg,
                           weft_error_t *err);
void *weft__instance_state(weft_instance_t *inst, int slot);

/* The linker's config of state provider `slot` (NULL if none). */
void *weft__linker_state_cfg(const weft_linker_t *linker, int slot);

/* A check run on each module before its imports are bound (one per linker;
 * the canonical ABI checks the module against its world). */
typedef int (*weft__module_check_t)(weft_linker_t *linker,
                                    weft_module_t *module, weft_error_t *err);
void weft__linker_set_check(weft_linker_t *linker, weft__module_check_t check);

/* The module of an instance, and its name for messages. */
weft_module_t *weft__instance_module(weft_instance_t *inst);
const char *weft__module_name(const weft_module_t *module);

/* Exported function `name` of `module` as an opaque handle for
 * weft__instance_call, with its signature in *sig ("ii:i"); NULL if the
 * module has no such function export. */
const void *weft__module_export_func(const weft_module_t *module,
                                     const char *name, const char **sig);
/* Call an export found by weft__module_export_func in `inst` (an instance
 * of that module). Arguments must match its signature: not checked. */
int weft__instance_call(weft_instance_t *inst, const void *func,
                        const weft_core_val_t *args, weft_core_val_t *results,
                        weft_error_t *err);

/* Make `inst` ready as a WASI reactor: run its `_initialize` export (if it
 * has one) unless its state is already as after it. Call it right after
 * weft_instance_new and after every weft_instance_reset, before any other
 * call into the instance, and never call `_initialize` any other way.
 *
 * The first time, `_initialize` runs with every function import of the
 * instance bound to a tripwire. When it returns without calling one, its
 * effect depended on the module alone (the state instantiation saved,
 * instance.c), so running it again after a reset would make the same
 * state: the saved image is taken again after it, later resets put back
 * that state, and this returns at once after them. When it calls an
 * import, the instance is reset and `_initialize` runs for real; then, as
 * for a module whose instantiation cannot be replayed, resets put back
 * the state before it and this runs it after each. Returns 0, or the
 * error of `_initialize` (a trap: the instance should be freed). */
int weft__instance_initialize(weft_instance_t *inst, weft_error_t *err);

/* The instance's default memory (export "memory", else its first memory),
 * or NULL. Valid until the guest grows it. */
wasm_rt_memory_t *weft__instance_memory0(weft_instance_t *inst);

/* Checked guest pointer: the host address of [ptr, ptr+len) in `mem`, or
 * NULL when out of bounds. The range is marked written in `mem`'s dirty
 * map (runtime.h), whether the caller writes it or only reads it: a reset
 * of a module compiled with write tracking puts back only marked chunks,
 * so host code must write guest memory only through this (or mark what it
 * writes with weft__rt_mem_mark). */
static inline uint8_t *weft__guest_ptr(wasm_rt_memory_t *mem, uint64_t ptr,
                                       uint64_t len) {
  if (!mem || ptr > mem->size || len > mem->size - ptr)
    return NULL;
  weft__rt_mem_mark(mem->data, ptr, len);
  return mem->data + ptr;
}

/* End the running guest call: WASI proc_exit. weft_instance_invoke returns
 * WEFT_EEXIT with detail = status. Does not return. */
void weft__instance_exit(weft_instance_t *inst, int status)
    __attribute__((noreturn));

/* Trap the running guest call with kind `trap` (a weft_trap_t) and `msg`
 * (NULL: the kind's message). Does not return. */
void weft__trap(int trap, const char *msg) __attribute__((noreturn));

#endif

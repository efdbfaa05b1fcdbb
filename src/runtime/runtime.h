/* runtime.h - Weft's implementation of what wasm2c output needs at run
 * time: linear memories with guard regions from a pool, tables, function
 * type ids, traps that unwind to the calling thread only, stack-overflow
 * recovery on a per-thread alternate signal stack, and deadlines. */
#ifndef WEFT_RUNTIME_H
#define WEFT_RUNTIME_H

#include <setjmp.h>
#include <stdint.h>

#include <wasm-rt.h>

#include "weft.h"

/* One guest call in progress on this thread. Calls nest (a host function
 * may call back into a guest); traps unwind to the innermost. */
typedef struct weft__exec {
  sigjmp_buf jb;
  struct weft__exec *prev;
  void *inst;            /* the weft_instance_t being run */
  int trap;              /* weft_trap_t, after a longjmp */
  int exit_status;       /* WEFT_EEXIT: proc_exit's status */
  int exited;
  void *trap_pc;         /* guest address where it trapped, if known */
  char msg[200];         /* message for HOST traps */
  uint64_t deadline_ns;  /* absolute monotonic deadline; 0: none */
  uint64_t max_memory;   /* bytes per memory; 0: 4 GiB */
  uint32_t max_table;    /* elements per table; 0: default */
  uint64_t outer_deadline_ns; /* the thread's deadline before this call */
} weft__exec_t;

/* Install signal handlers (once per process). */
void weft__rt_init(void);
/* Install them again, after something else (a test framework) replaced
 * them. */
void weft__rt_install_handlers(void);

/* Start a guest call: push `ex` (already sigsetjmp'ed) on this thread's
 * stack and put its deadline in force (the earliest of the calls running
 * on the thread wins; no system call unless it is earlier than any the
 * deadline watchdog knows of). Pair with weft__exec_leave, on both the
 * normal and the trap path. */
void weft__exec_enter(weft__exec_t *ex);
void weft__exec_leave(weft__exec_t *ex);
weft__exec_t *weft__exec_current(void);

/* Unwind the innermost guest call with trap `kind`. */
void weft__trap_at(int kind, const char *msg, void *pc)
    __attribute__((noreturn));
/* For wasm-rt's trap codes. */
void weft__rt_trap(wasm_rt_trap_t code, void *pc) __attribute__((noreturn));

/* Guest code address ranges, so signals can tell guest code from host
 * code. Returns a handle for weft__rt_code_remove, or -1 when full. */
int weft__rt_code_add(uintptr_t lo, uintptr_t hi);
void weft__rt_code_remove(int handle);

/* wasm-rt.h memory and table functions (see abi.h). */
uint32_t weft__rt_register_func_type(uint32_t np, uint32_t nr,
                                     const wasm_rt_type_t *types);
void weft__rt_allocate_memory(wasm_rt_memory_t *m, uint32_t initial,
                              uint32_t max);
uint32_t weft__rt_grow_memory(wasm_rt_memory_t *m, uint32_t delta);
void weft__rt_free_memory(wasm_rt_memory_t *m);
void weft__rt_allocate_funcref_table(wasm_rt_funcref_table_t *t,
                                     uint32_t n, uint32_t max);
void weft__rt_free_funcref_table(wasm_rt_funcref_table_t *t);
uint32_t weft__rt_grow_funcref_table(wasm_rt_funcref_table_t *t,
                                     uint32_t delta, wasm_rt_funcref_t v);
void weft__rt_allocate_externref_table(wasm_rt_externref_table_t *t,
                                       uint32_t n, uint32_t max);
void weft__rt_free_externref_table(wasm_rt_externref_table_t *t);
uint32_t weft__rt_grow_externref_table(wasm_rt_externref_table_t *t,
                                       uint32_t delta, wasm_rt_externref_t v);

/* The memory pool: how many reserved regions are waiting for reuse. */
size_t weft__rt_pool_size(void);

#endif

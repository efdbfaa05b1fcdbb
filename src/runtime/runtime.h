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
  struct weft__rt_allocs *allocs; /* instantiation: noted here; or NULL */
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

/* An event this thread serves, with one deadline for all the guest calls
 * made for it (an HTTP request: the handler call, the canonical ABI's
 * allocations in the guest, post-return). While it is open, every guest
 * call on this thread ends by its deadline, which replaces the per-call
 * deadline of the call's instance: no clock is read per call. The deadline
 * is published to the watchdog once, when the event opens, so calls need
 * not publish and withdraw it each; host code between them is signalled
 * past it as host code within a call is (the signal unwinds only guest
 * code). On the caller's stack; events nest, and the earliest deadline of
 * those open holds, as for calls. */
typedef struct weft__rt_event {
  uint64_t deadline_ns;       /* absolute monotonic; 0: none */
  uint64_t outer_event_ns;    /* the enclosing event's deadline */
  uint64_t outer_published_ns;
} weft__rt_event_t;

/* Open `ev` with absolute deadline `deadline_ns` (0: the event has none,
 * calls keep their own). Pair with weft__rt_event_end on this thread. */
void weft__rt_event_begin(weft__rt_event_t *ev, uint64_t deadline_ns);
void weft__rt_event_end(weft__rt_event_t *ev);
/* The deadline of the event open on this thread, or 0. */
uint64_t weft__rt_event_deadline(void);

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

/* ---- restoring what instantiation made ------------------------------------
 * engine/instance.c resets an instance, when it can, by putting back what
 * its instantiation made instead of instantiating again: these note where
 * instantiation put memories and tables, and save and restore their
 * contents. */

enum { WEFT__RT_MEMORY = 1, WEFT__RT_FUNCREF_TABLE, WEFT__RT_EXTERNREF_TABLE };
#define WEFT__RT_ALLOCS_MAX 16

/* The memories and tables allocated by one call (instantiation): the
 * allocate functions note each here while the call's `allocs` is set. */
typedef struct weft__rt_allocs {
  struct {
    int kind;  /* WEFT__RT_* */
    void *ptr; /* the wasm_rt_memory_t or table, in the instance */
  } at[WEFT__RT_ALLOCS_MAX];
  size_t n;
  int overflow; /* more than WEFT__RT_ALLOCS_MAX: not all were noted */
} weft__rt_allocs_t;

/* Note an allocation of `kind` at `ptr` in the current call's `allocs`,
 * if it has one (the allocate functions call it). */
void weft__rt_note_alloc(int kind, void *ptr);

/* A memory's contents: its size and its pages (4 KiB) that are not all
 * zero, in address order. */
typedef struct weft__rt_mem_image {
  uint32_t pages; /* wasm pages */
  size_t nchunks;
  struct {
    uint32_t off, len;
  } *chunks;
  uint8_t *bytes; /* the chunks' bytes, one after the other */
} weft__rt_mem_image_t;

/* Save `m`'s contents into *img (freed with weft__rt_mem_image_free).
 * Returns 0, or -1 out of memory. */
int weft__rt_mem_image_save(const wasm_rt_memory_t *m,
                            weft__rt_mem_image_t *img);
/* Make `m` (allocated by weft__rt_allocate_memory, never moved) exactly
 * as saved in `img`: every byte it has made accessible since is zeroed
 * or rewritten, and its size (pages, accessible range) is the saved one,
 * so nothing written or grown since survives. Returns 0, or -1 when the
 * accessible range cannot be shrunk (`m` is then as before the call but
 * zeroed: free it). */
int weft__rt_mem_image_restore(wasm_rt_memory_t *m,
                               const weft__rt_mem_image_t *img);
void weft__rt_mem_image_free(weft__rt_mem_image_t *img);

/* A table's elements (funcref or externref, by `kind`). */
typedef struct weft__rt_table_image {
  int kind; /* WEFT__RT_FUNCREF_TABLE or WEFT__RT_EXTERNREF_TABLE */
  uint32_t size;
  void *elems;
} weft__rt_table_image_t;

/* Save the table `t` of `kind` into *img. Returns 0, or -1 out of
 * memory. */
int weft__rt_table_image_save(const void *t, int kind,
                              weft__rt_table_image_t *img);
/* Make table `t` (the one saved) hold exactly the saved elements, with
 * the saved size; what it grew since is freed. Returns 0, or -1 out of
 * memory when it has fewer elements than saved (tables only grow, so
 * never). */
int weft__rt_table_image_restore(void *t, const weft__rt_table_image_t *img);
void weft__rt_table_image_free(weft__rt_table_image_t *img);

#endif

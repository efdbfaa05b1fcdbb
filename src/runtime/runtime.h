/* runtime.h - Weft's implementation of what wasm2c output needs at run
 * time: linear memories with guard regions from a pool, tables, function
 * type ids, traps that unwind to the calling thread only, stack-overflow
 * recovery on a per-thread alternate signal stack, and deadlines. */
#ifndef WEFT_RUNTIME_H
#define WEFT_RUNTIME_H

#include <setjmp.h>
#include <stdatomic.h>
#include <stdint.h>

#include <wasm-rt.h>

#include "weft.h"

/* The jump buffer of a guest call, and how to set it and jump to it. On
 * x86-64 the compiler's own setjmp saves three words inline (frame, stack
 * and resume address; the function that sets it saves the callee-saved
 * registers in its frame) where libc's sigsetjmp is a call that also
 * mangles pointers and calls __sigjmp_save. Elsewhere, and under the
 * sanitizers, which must see longjmps to fix up their view of the stack,
 * it is libc's. Neither saves the signal mask: the handlers that jump
 * (trap.c) run with the mask as it was, so there is none to restore.
 * WEFT__SETJMP must be used in a function that is neither inlined nor
 * analysed across calls (WEFT__JMP_FRAME): its callers must assume a
 * return from it clobbers every register a call may (gcc's
 * interprocedural register allocation would otherwise trust that a
 * function jumped out of kept the registers it never writes). */
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define WEFT__SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define WEFT__SANITIZED 1
#endif
#if defined(__x86_64__) && !defined(WEFT__SANITIZED)
typedef void *weft__jmp_buf[5];
#define WEFT__SETJMP(jb) __builtin_setjmp(jb)
#define WEFT__LONGJMP(jb) __builtin_longjmp(jb, 1)
#else
typedef sigjmp_buf weft__jmp_buf;
#define WEFT__SETJMP(jb) sigsetjmp(jb, 0)
#define WEFT__LONGJMP(jb) siglongjmp(jb, 1)
#endif
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 8
#define WEFT__JMP_FRAME __attribute__((noinline, noipa))
#else
#define WEFT__JMP_FRAME __attribute__((noinline))
#endif

/* ex->trap after WASI proc_exit (weft__instance_exit): not a weft_trap_t. */
#define WEFT__EXEC_EXIT (-1)

/* One guest call in progress on this thread. Calls nest (a host function
 * may call back into a guest); traps unwind to the innermost. The caller
 * sets the fields marked "in", enters (weft__exec_enter) and sets `jb`
 * (WEFT__SETJMP) before any guest code runs; what jumps to `jb` sets
 * `trap` (a weft_trap_t, or WEFT__EXEC_EXIT with `exit_status`),
 * `trap_pc` and `msg`, and only the caller reads them, after a jump. */
typedef struct weft__exec {
  weft__jmp_buf jb;
  struct weft__exec *prev;
  int trap;              /* out: weft_trap_t or WEFT__EXEC_EXIT */
  int exit_status;       /* out: proc_exit's status */
  void *trap_pc;         /* out: guest address where it trapped, or NULL */
  char msg[200];         /* out: message ("": the trap kind's) */
  /* in: the call's own absolute monotonic deadline; 0: none (the outer
   * calls' or the open event's hold, as published) */
  uint64_t deadline_ns;
  uint64_t max_memory;   /* in: bytes per memory; 0: the outer call's */
  uint32_t max_table;    /* in: elements per table; 0: the outer call's */
  uint64_t outer_deadline_ns; /* the thread's deadline before this call */
  struct weft__rt_allocs *allocs; /* in: instantiation notes here; or NULL */
} weft__exec_t;

/* Install signal handlers (once per process). */
void weft__rt_init(void);
/* Install them again, after something else (a test framework) replaced
 * them. */
void weft__rt_install_handlers(void);

/* This thread's guest calls, owned by trap.c: the inline functions below
 * are its fast paths, everything else (the signal handlers, the deadline
 * watchdog) is in trap.c. */
typedef struct weft__rt_thread {
  weft__exec_t *exec; /* the innermost call running here, or NULL */
  uint64_t event_ns;  /* the deadline of the open event, or 0 */
  /* The earliest deadline of the calls and events running here (0:
   * none), written by the thread, read by the watchdog. */
  _Atomic uint64_t deadline_ns;
  /* A deadline signal is on its way: the watchdog sends no other until
   * the handler has run or the call it unwound has left. */
  atomic_int signalled;
  int ready; /* weft__rt_thread_init has run */
} weft__rt_thread_t;
extern __thread weft__rt_thread_t weft__rt_thread
    __attribute__((visibility("hidden")));

/* Make this thread ready to run guest code (its alternate signal stack,
 * its stack bounds for overflow detection); done once, by the first
 * weft__exec_enter. */
void weft__rt_thread_init(void);
/* Publish `deadline_ns` for this thread (`t`, its weft__rt_thread),
 * earlier than the one it has: store it, and wake the watchdog if it
 * sleeps past it. */
void weft__rt_publish(weft__rt_thread_t *t, uint64_t deadline_ns);

/* Start a guest call: push `ex` (borrowed until weft__exec_leave) on this
 * thread's stack and put its deadline in force (the earliest of the calls
 * running on the thread wins; no system call unless it is earlier than
 * any the deadline watchdog knows of). A call without a deadline
 * publishes and withdraws nothing; one with the open event's finds it
 * published. Pair with weft__exec_leave, on both the normal and the trap
 * path. */
static inline void weft__exec_enter(weft__exec_t *ex) {
  weft__rt_thread_t *t = &weft__rt_thread;
  if (__builtin_expect(!t->ready, 0))
    weft__rt_thread_init();
  weft__exec_t *prev = t->exec;
  ex->prev = prev;
  if (prev) {
    /* A nested call keeps the outer limits unless it sets its own. */
    if (!ex->max_memory)
      ex->max_memory = prev->max_memory;
    if (!ex->max_table)
      ex->max_table = prev->max_table;
  }
  t->exec = ex;
  uint64_t d = ex->deadline_ns;
  if (d) {
    /* Restored by weft__exec_leave. */
    uint64_t outer =
        atomic_load_explicit(&t->deadline_ns, memory_order_relaxed);
    ex->outer_deadline_ns = outer;
    if (!outer || d < outer)
      weft__rt_publish(t, d);
  }
}

/* End the guest call `ex`, the innermost on this thread: pop it and put
 * back the deadline in force before it. */
static inline void weft__exec_leave(weft__exec_t *ex) {
  weft__rt_thread_t *t = &weft__rt_thread;
  /* Withdrawing or pushing back a deadline needs no ordering with the
   * watchdog (at worst it sees the old one and signals for nothing). */
  if (ex->deadline_ns &&
      atomic_load_explicit(&t->deadline_ns, memory_order_relaxed) !=
          ex->outer_deadline_ns)
    atomic_store_explicit(&t->deadline_ns, ex->outer_deadline_ns,
                          memory_order_release);
  /* After a deadline trap: the deadline is withdrawn, signals may come
   * again for the outer calls. */
  if (atomic_load_explicit(&t->signalled, memory_order_relaxed))
    atomic_store(&t->signalled, 0);
  t->exec = ex->prev;
}

/* The innermost guest call running on this thread, or NULL. */
static inline weft__exec_t *weft__exec_current(void) {
  return weft__rt_thread.exec;
}

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
static inline uint64_t weft__rt_event_deadline(void) {
  return weft__rt_thread.event_ns;
}

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

/* ---- the dirty map ---------------------------------------------------------
 * Every memory has one byte per 4 KiB chunk of its addressable range (any
 * 32-bit address plus 32-bit offset: under 2^33 bytes, so 2 MiB of map),
 * just before `data`: chunk c's byte is data[c - WEFT__RT_MAP_BYTES]. A
 * non-zero byte says the chunk may differ from what a reset puts back.
 * Code compiled with write tracking (engine/rewrite.c) marks the chunk of
 * every store before it stores, and the chunks of every bulk write; the
 * host marks what it touches through weft__rt_mem_mark (engine.h's
 * weft__guest_ptr does, for every host access). A reset of a tracked
 * memory then rewrites only the marked chunks (memory.c). */
#define WEFT__RT_MAP_BYTES (1u << 21)
#define WEFT__RT_CHUNK_SHIFT 12

/* Mark the chunks of [ptr, ptr + len) (`len` 0: the chunk of `ptr`) of
 * the memory whose `data` is `data`; ptr + len must not pass 2^33. */
static inline void weft__rt_mem_mark(uint8_t *data, uint64_t ptr,
                                     uint64_t len) {
  uint8_t *map = data - WEFT__RT_MAP_BYTES;
  uint64_t c = ptr >> WEFT__RT_CHUNK_SHIFT;
  uint64_t last = (ptr + len - (len != 0)) >> WEFT__RT_CHUNK_SHIFT;
  do
    map[c] = 1;
  while (c++ < last);
}

/* Whoever holds a raw pointer into `m` may write anywhere unseen: the
 * next reset of `m` rewrites all of it (then tracks again). */
void weft__rt_mem_dirty_all(wasm_rt_memory_t *m);
/* `m` is bound into another instance, whose writes need not be marked:
 * every reset of `m` rewrites all of it, for as long as `m` lives. */
void weft__rt_mem_share(wasm_rt_memory_t *m);

/* A memory's contents: its size and its pages (4 KiB) that are not all
 * zero, in address order; with an index from chunk to saved bytes for
 * resets that rewrite only marked chunks. */
typedef struct weft__rt_mem_image {
  uint32_t pages; /* wasm pages */
  int tracked;    /* the memory's writes are marked: resets use the map */
  size_t nchunks;
  struct {
    uint32_t off, len;
  } *chunks;
  uint8_t *bytes; /* the chunks' bytes, one after the other */
  /* Per 4 KiB chunk of the saved size: 0 when it is zero, else 1 + its
   * position among the chunks in `bytes`. Only when tracked. */
  uint32_t *index;
} weft__rt_mem_image_t;

/* Save `m`'s contents into *img (freed with weft__rt_mem_image_free).
 * `tracked`: the code writing `m` marks its writes (engine/rewrite.c);
 * the map is then cleared, as the saved state is the one resets put
 * back. Returns 0, or -1 out of memory. */
int weft__rt_mem_image_save(wasm_rt_memory_t *m, int tracked,
                            weft__rt_mem_image_t *img);
/* Make `m` (allocated by weft__rt_allocate_memory, never moved) exactly
 * as saved in `img`: every byte that may differ from it is zeroed or
 * rewritten (when tracked, only the marked chunks, unless `m` is dirty
 * all over: weft__rt_mem_dirty_all, weft__rt_mem_share; else every
 * byte it has made accessible since), its map is cleared and its size
 * (pages, accessible range) is the saved one, so nothing written or
 * grown since survives. Returns 0, or -1 when the accessible range cannot
 * be shrunk (`m` is then as before the call but zeroed: free it). */
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

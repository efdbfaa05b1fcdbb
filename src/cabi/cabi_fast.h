/* cabi_fast.h - the canonical ABI done by hand, for hot paths of other
 * modules (the flow runtime) whose WIT signatures are fixed and simple:
 * handles, integers, list<u8> and strings. The generic path (weft_call,
 * weft_linker_define_wit) converts every value through weft_val_t arrays;
 * these helpers let a caller that knows the flat signature and memory
 * layout of a function skip that, while keeping every rule of the
 * canonical ABI: handles are checked (known, of the right type, owned when
 * given away), guest memory is bounds- and alignment-checked, lists and
 * strings returned to the guest go through its cabi_realloc, borrows lent
 * to an export call must be dropped by its end, own handles move.
 *
 * Import side: a raw core function (engine.h) defined for a world import;
 * it runs inside a guest call, so every helper below that can fail traps
 * (WEFT_TRAP_ABI for guest faults) and does not return.
 * Export side: lend, copy in, call, read the results, finish; these run
 * outside guest code and return errors. See docs/internals/cabi.md.
 * Defined in cabi_fast.c, but for weft__cabi_give and weft__cabi_lend,
 * which live beside the handle table in cabi_resource.c. */
#ifndef WEFT_CABI_CABI_FAST_H
#define WEFT_CABI_CABI_FAST_H

#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "weft.h"

/* ---- imports ------------------------------------------------------------ */

/* Define world import `name` (as for weft_linker_define_wit) on `linker`
 * as the raw core function `fn` (engine.h: `R fn(weft_instance_t *, ...)`
 * with the flat parameters, and a return-area pointer last when the
 * results do not fit one flat value). `sig` is the flat signature the C
 * function has ("ii:"); a world giving the import another one is
 * WEFT_ESIGNATURE, so a changed WIT cannot call it with the wrong
 * arguments. 0 or a negative code. */
int weft__cabi_define_raw(weft_linker_t *linker, const char *name,
                          const char *sig, weft__raw_fn_t fn,
                          weft_error_t *err);

/* The host resource behind handle `h`, passed by the running guest as
 * borrow<T> (an own or a borrowed handle of its table) where T is `type`.
 * Traps when `h` is not a handle of a `type`. Borrowed for the call. */
weft_resource_t *weft__cabi_borrowed(weft_instance_t *inst, uint32_t h,
                                     const weft_resource_type_t *type);

/* Move `res` (a host resource) into the running guest's table as
 * own<T>: returns its new handle. Traps (after dropping `res`) when the
 * table is full. */
uint32_t weft__cabi_give(weft_instance_t *inst, weft_resource_t *res);

/* Host address of [ptr, ptr + len) of the running guest's memory, `ptr`
 * aligned to `align`; traps otherwise, naming `of` ("return area"). Valid
 * until the host function returns (memories never move in Weft). */
uint8_t *weft__cabi_guest(weft_instance_t *inst, uint32_t ptr, uint64_t len,
                          uint32_t align, const char *of);

/* Copy `len` bytes from `src` into new guest memory (the guest's
 * cabi_realloc, alignment `align`), as a list or string result: returns
 * the guest pointer. Traps when cabi_realloc traps or returns a bad
 * pointer. */
uint32_t weft__cabi_copy_out(weft_instance_t *inst, const void *src,
                             size_t len, uint32_t align);

/* ---- exports ------------------------------------------------------------ */

/* The flat core signature of `f` as the module has it ("lliiii:i"): what
 * a caller hand-lowering its arguments must check first. */
const char *weft__cabi_func_sig(const weft_func_t *f);

/* Lend host resource `res` as borrow<T> to the next export call of `inst`:
 * *h is its handle. The call's end (weft__cabi_finish) requires the guest
 * to have dropped it. 0, or a negative code after ending every loan. */
int weft__cabi_lend(weft_instance_t *inst, weft_resource_t *res, uint32_t *h,
                    weft_error_t *err);

/* Copy `len` bytes into new guest memory for an argument (a string or
 * list<u8>; alignment 1): *ptr is the guest pointer. 0 or a negative code
 * (a trap of cabi_realloc is WEFT_ETRAP). */
int weft__cabi_copy_in(weft_instance_t *inst, const void *src, size_t len,
                       uint32_t *ptr, weft_error_t *err);

/* Call export `f` of `inst` with its flat arguments (their count and types
 * as weft__cabi_func_sig says) and, when it has a flat result, put it in
 * *ret (the results' pointer when they are in memory). The post-return is
 * not run: read the results, then call weft__cabi_finish. On failure (a
 * trap included) the loans end and the code is returned. */
int weft__cabi_call(weft_instance_t *inst, const weft_func_t *f,
                    const weft_core_val_t *args, uint32_t *ret,
                    weft_error_t *err);

/* Host address of [ptr, ptr + len) of `inst`'s memory, aligned to `align`,
 * for reading results; NULL with a WEFT_ETRAP error naming `of`. */
const uint8_t *weft__cabi_result_mem(weft_instance_t *inst, uint32_t ptr,
                                     uint64_t len, uint32_t align,
                                     const char *of, weft_error_t *err);

/* A string result at [ptr, ptr + len): its host address after checking
 * bounds and UTF-8; NULL with a WEFT_ETRAP error. Valid until finish. */
const char *weft__cabi_result_string(weft_instance_t *inst, uint32_t ptr,
                                     uint32_t len, weft_error_t *err);

/* Take own<T> handle `h` returned by the guest, T being host resource type
 * `type`: the resource moves to the caller (who drops it). NULL with a
 * WEFT_ETRAP error when `h` is not an own handle of a `type`. */
weft_resource_t *weft__cabi_take(weft_instance_t *inst, uint32_t h,
                                 const weft_resource_type_t *type,
                                 weft_error_t *err);

/* End the call of `f` begun by weft__cabi_call: its post-return with
 * `ret`, then the check that every lent borrow was dropped (a WEFT_ETRAP
 * error otherwise). The loans end either way. 0 or a negative code. */
int weft__cabi_finish(weft_instance_t *inst, const weft_func_t *f,
                      uint32_t ret, weft_error_t *err);

/* Give up a call begun by weft__cabi_call (results found bad): the loans
 * end, the post-return is not run (as weft_call does). */
void weft__cabi_abort(weft_instance_t *inst);

#endif

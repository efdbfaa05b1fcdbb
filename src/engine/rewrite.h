/* rewrite.h - rewrites of wasm2c's C output before it is compiled: for
 * speed (loads and stores) and, on request, for canonical NaNs and for
 * tracking writes. */
#ifndef WEFT_ENGINE_REWRITE_H
#define WEFT_ENGINE_REWRITE_H

#include <stddef.h>

#include "util/util.h"

/* Names the generated code the rewrite produces; part of the cache key.
 * Change it whenever rewrite.c changes what it writes. */
#define WEFT_REWRITE_VERSION "rewrite2"

/* Append to `out` wasm2c 1.0.32's .c output `src` (`len` bytes) with every
 * plain load and store in a function body going through a base pointer
 * read once at the function's entry (see rewrite.c). Text that is not laid
 * out as expected is copied unchanged. Returns the number of loads and
 * stores rewritten (0: `out` holds a copy of `src`), or WEFT_ENOMEM. */
int weft__rewrite(const char *src, size_t len, weft__buf_t *out);

/* Names the canonical-NaN rewrite; part of the cache key of modules
 * compiled with it. Change it whenever weft__rewrite_nans changes. */
#define WEFT_REWRITE_NANS_VERSION "nans1"

/* Append to `out` wasm2c 1.0.32's .c output `src` (`len` bytes) made to
 * turn every NaN that a float operation produces into the canonical NaN
 * (f32 0x7fc00000, f64 0x7ff8000000000000): add, sub, mul, div, sqrt,
 * ceil, floor, trunc, nearest, promote and demote (min and max already
 * are; see rewrite.c). Apply it before weft__rewrite. Returns the number
 * of arithmetic statements rewritten (0 is fine: the helpers are), or
 * WEFT_EUNSUPPORTED when the text is not laid out as expected (then the
 * code cannot be made canonical: do not compile it), or WEFT_ENOMEM; on
 * error `out` is as it was. */
int weft__rewrite_nans(const char *src, size_t len, weft__buf_t *out);

/* Names the write-tracking rewrite; part of the cache key of modules
 * compiled with it. Change it whenever weft__rewrite_track changes. */
#define WEFT_REWRITE_TRACK_VERSION "track1"

/* Append to `out` wasm2c 1.0.32's .c output `src` (`len` bytes), after
 * weft__rewrite if it applies, made to mark every 4 KiB chunk of a memory
 * it writes in the memory's dirty map (runtime.h): stores (wasm2c's and
 * the `_b` ones), memory.fill, memory.copy, memory.init and data
 * segments; it then defines the symbol `weft_tracks_writes`. Returns the
 * number of places edited, or WEFT_EUNSUPPORTED when the text is not laid
 * out as expected (then the code would write unmarked: do not compile
 * it), or WEFT_ENOMEM; on error `out` is as it was. */
int weft__rewrite_track(const char *src, size_t len, weft__buf_t *out);

#endif

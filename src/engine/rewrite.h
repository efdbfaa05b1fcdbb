/* rewrite.h - speed rewrites of wasm2c's C output before it is compiled. */
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

#endif

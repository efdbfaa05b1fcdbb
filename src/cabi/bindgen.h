/* bindgen.h - guest bindings: C source that lets a core wasm module built
 * with clang implement a WIT world's exports and call its imports through
 * the canonical ABI, under the names wit-bindgen gives a core module
 * before it is wrapped as a component. See docs/cli/bindgen.md for the
 * generated API. */
#ifndef WEFT_CABI_BINDGEN_H
#define WEFT_CABI_BINDGEN_H

#include "cabi/wit.h"
#include "util/util.h"

/* Generate C bindings for `world`: appends the header to `h` and the glue
 * (which includes the header as "<base>.h") to `c`, and sets *base to the
 * file name without extension, the world's name in snake_case (malloc'd,
 * caller frees). Returns 0; WEFT_EUNSUPPORTED naming "file:line:col" for
 * what C bindings cannot express (futures, streams, async, empty records,
 * clashing names), or WEFT_ENOMEM. On failure `h` and `c` hold partial
 * text and *base is NULL. */
int weft__bindgen_c(const weft__wit_t *wit, const weft__wit_world_t *world,
                    weft__buf_t *h, weft__buf_t *c, char **base,
                    weft_error_t *err);

#endif

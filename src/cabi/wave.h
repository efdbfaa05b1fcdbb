/* wave.h - WAVE, the WebAssembly Value Encoding (the text `wasmtime run
 * --invoke` reads and prints for component values), for weft_val_t values
 * of a WIT type.
 *
 * Parsing needs the type: `5` is a u8 or an f64 depending on where it
 * stands, `none` an option or an enum case. Errors are one line naming the
 * 1-based column in the text: "column 7: expected ',' or ']'". Parsing
 * never reads outside the text, needs no NUL terminator and bounds its
 * nesting, so hostile text cannot exhaust the stack. Values are allocated
 * from an arena; the text is not referenced afterwards. See
 * docs/internals/wave.md. */
#ifndef WEFT_CABI_WAVE_H
#define WEFT_CABI_WAVE_H

#include <stddef.h>

#include "cabi/wit.h"
#include "util/arena.h"
#include "weft.h"

/* Deepest nesting of values the parser accepts. */
#define WEFT__WAVE_MAX_DEPTH 100

/* Parse one value of type `t` (aliases allowed) from the whole of
 * text[0..len) (surrounding white space allowed) into *out. Own and borrow
 * handles have no WAVE form and fail. Returns 0, WEFT_EPARSE (bad text,
 * out-of-range number, wrong shape for the type, nesting too deep) or
 * WEFT_ENOMEM; *out is unspecified after a failure. */
int weft__wave_parse(const weft__wit_type_t *t, const char *text, size_t len,
                     weft__arena_t *a, weft_val_t *out, weft_error_t *err);

/* Split a call "name(args...)" (white space allowed around the parts):
 * sets the name span and the span of the text between the parentheses.
 * A name may contain anything but '(' and white space (so
 * "ns:pkg/iface@1.0.0#func" and "[method]res.read" are names). Returns 0
 * or WEFT_EPARSE. */
int weft__wave_split_call(const char *text, size_t len, const char **name,
                          size_t *name_len, const char **args,
                          size_t *args_len, weft_error_t *err);

/* Parse a comma-separated argument list (trailing comma allowed) for the
 * parameters of `f` into a new array of f->nparams values. As in WAVE's
 * function calls, trailing option parameters may be left out (they are
 * none); otherwise too few or too many arguments fail naming the
 * function. Column numbers in errors count from `col0` (the column where
 * `text` starts in the user's text). */
int weft__wave_parse_args(const weft__wit_func_t *f, const char *text,
                          size_t len, int col0, weft__arena_t *a,
                          weft_val_t **out, weft_error_t *err);

/* Append `v` of type `t` in WAVE to `out`, in the canonical form:
 * `"héllo"` with only `"`, `\`, and control characters escaped, lists
 * `[1, 2]`, records `{a: 1, b: "x"}` with none-valued option fields
 * included, flags `{read, write}`, floats with the shortest text that
 * reads back to the same value (`nan`, `inf`, `-inf`). Returns 0 or
 * WEFT_ENOMEM; a value that does not match the type appends `<invalid>`
 * and returns WEFT_EINVAL. */
int weft__wave_print(const weft__wit_type_t *t, const weft_val_t *v,
                     weft__buf_t *out);

#endif

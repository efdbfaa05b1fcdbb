/* shim.h - generation of the C glue between wasm2c output and libweft. */
#ifndef WEFT_ENGINE_SHIM_H
#define WEFT_ENGINE_SHIM_H

#include "engine/reader.h"
#include "util/util.h"

typedef struct weft__shim_info {
  const char *wasm_sha256; /* hex digest of the module */
  size_t wasm_len;
  const char *cc_id;       /* compiler identity recorded in the artifact */
  const char *c_source;    /* wasm2c's .c output, to find function names */
} weft__shim_info_t;

/* Append to `b` the shim for module `w` (see shim.c). The shim includes
 * "m.c" (wasm2c output made with `-n m`) and "abi.h", and embeds
 * "module.wasm", all from the directory it is compiled in. */
int weft__shim_write(const weft__wasm_t *w, const weft__shim_info_t *info,
                     weft__buf_t *b, weft_error_t *err);

#endif

/* fuzz_reader.c - libFuzzer target for the WebAssembly binary reader.
 *
 * Decodes each input with weft__wasm_read and, when it is accepted, walks
 * the result through the query helpers, then releases it. ASan and UBSan
 * (see `make fuzz`) turn any out-of-bounds read, leak or undefined
 * behaviour into a crash. The input is copied into an exactly sized buffer
 * so a read one past the end is caught even if libFuzzer's buffer is
 * larger. Seeds live in tests/fuzz/corpus/reader/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/reader.h"
#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Decode one input; always returns 0 (libFuzzer's contract). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  weft__wasm_t w;
  weft_error_t err = {0};
  char sig[64];
  uint8_t *copy = malloc(size ? size : 1);
  if (!copy)
    return 0;
  if (size)
    memcpy(copy, data, size);
  if (weft__wasm_read(copy, size, &w, &err) == 0) {
    uint64_t n = (uint64_t)w.nimported_funcs + w.nfuncs;
    for (uint64_t i = 0; i <= n; i++) {
      const weft__functype_t *t = weft__wasm_func_type(&w, (uint32_t)i);
      if (t)
        weft__functype_sig(t, sig, sizeof sig);
      weft__wasm_func_name(&w, (uint32_t)i);
    }
    for (uint32_t i = 0; i < w.ntypes; i++)
      for (uint32_t k = 0; k < w.types[i].nparams; k++)
        weft__valtype_name(w.types[i].params[k]);
    weft__wasm_release(&w);
  } else if (!err.msg[0]) {
    abort(); /* every failure must say what went wrong */
  }
  free(copy);
  return 0;
}

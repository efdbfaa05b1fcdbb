/* reader.h - Weft's own reader for the WebAssembly binary format.
 *
 * Decodes the module structure (types, imports, functions, tables, memories,
 * globals, exports, start, element/data counts, custom and name sections)
 * without validating code bodies (wasm2c does that). Malformed or truncated
 * input yields WEFT_EMALFORMED with the byte offset in the message.
 */
#ifndef WEFT_ENGINE_READER_H
#define WEFT_ENGINE_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "weft.h"

typedef struct weft__functype {
  uint32_t nparams, nresults;
  uint8_t *params;  /* weft_valtype_t each */
  uint8_t *results;
} weft__functype_t;

typedef struct weft__limits {
  uint64_t min, max; /* max valid only if has_max */
  bool has_max;
  bool shared;
  bool is64;
} weft__limits_t;

typedef struct weft__tabletype {
  uint8_t elem; /* WEFT_FUNCREF or WEFT_EXTERNREF */
  weft__limits_t limits;
} weft__tabletype_t;

typedef struct weft__globaltype {
  uint8_t type; /* weft_valtype_t */
  bool mut;
} weft__globaltype_t;

typedef struct weft__import {
  char *module, *name; /* NUL-terminated copies; may contain no NUL */
  uint32_t module_len, name_len; /* real byte lengths */
  uint8_t kind;        /* weft_externkind_t */
  union {
    uint32_t func_type; /* index into types */
    weft__tabletype_t table;
    weft__limits_t memory;
    weft__globaltype_t global;
    uint32_t tag_type;
  } u;
} weft__import_t;

typedef struct weft__export {
  char *name;
  uint32_t name_len;
  uint8_t kind;   /* weft_externkind_t */
  uint32_t index; /* in the index space of its kind (imports first) */
} weft__export_t;

typedef struct weft__section {
  uint8_t id;      /* 0 = custom */
  uint32_t offset; /* of the section's contents */
  uint32_t size;
  char *name;      /* custom sections only, else NULL */
} weft__section_t;

typedef struct weft__wasm {
  uint32_t ntypes;
  weft__functype_t *types;

  uint32_t nimports;
  weft__import_t *imports;
  /* counts of imported entities of each kind */
  uint32_t nimported_funcs, nimported_tables, nimported_memories,
      nimported_globals, nimported_tags;

  uint32_t nfuncs; /* defined functions */
  uint32_t *func_types; /* type index of each defined function */

  uint32_t ntables;
  weft__tabletype_t *tables; /* defined tables */
  uint32_t nmemories;
  weft__limits_t *memories; /* defined memories */
  uint32_t nglobals;
  weft__globaltype_t *globals; /* defined globals */
  uint32_t ntags;
  uint32_t *tag_types; /* type index of each defined tag (exceptions) */

  uint32_t nexports;
  weft__export_t *exports;

  bool has_start;
  uint32_t start;

  uint32_t nelems, ndatas;
  bool has_datacount;
  uint32_t code_size; /* bytes of the code section */

  uint32_t nsections;
  weft__section_t *sections; /* every section in file order */

  char *module_name;  /* from the name section, or NULL */
  uint32_t nfunc_names;
  char **func_names;  /* indexed by function index (imports first); entries
                         may be NULL; array NULL when no name section */
} weft__wasm_t;

/* Decode `bytes` (borrowed) into `out`. On failure returns WEFT_EMALFORMED
 * (or WEFT_ENOMEM / WEFT_EUNSUPPORTED, or WEFT_EINVALID for the few
 * validation rules the reader relies on: type, function and export indices
 * in range, constant initialisers), fills `err` with a message such as
 * "malformed module: unexpected end at offset 0x1f", and leaves `out`
 * released. On success release `out` with weft__wasm_release. */
int weft__wasm_read(const uint8_t *bytes, size_t len, weft__wasm_t *out,
                    weft_error_t *err);
void weft__wasm_release(weft__wasm_t *w);

/* The type of function `funcidx` (imports first), or NULL if out of range. */
const weft__functype_t *weft__wasm_func_type(const weft__wasm_t *w,
                                             uint32_t funcidx);
/* A display name for function `funcidx`: the name section's, else an export
 * name, else NULL. Borrowed. */
const char *weft__wasm_func_name(const weft__wasm_t *w, uint32_t funcidx);

/* Write the signature string of `t` ("ii:l", see weft.h) into buf.
 * Returns buf. */
char *weft__functype_sig(const weft__functype_t *t, char *buf, size_t size);
/* The signature letter of a value type ('i','l','f','d','v','r','x'). */
char weft__valtype_letter(uint8_t type);
/* Display name of a value type ("i32"). */
const char *weft__valtype_name(uint8_t type);

#endif

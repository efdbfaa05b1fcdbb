/* toml_int.h - internals shared by the TOML parser (toml.c) and the tree
 * code (toml_tree.c); nothing outside src/toml/ includes this. */
#ifndef WEFT_TOML_INT_H
#define WEFT_TOML_INT_H

#include "toml/toml.h"

/* A new node of `type` at `line`:`col` and nesting `depth`, naming `file`
 * (borrowed from the root), or NULL when out of memory. Scalars start as
 * zero; tables start IMPLICIT and empty. Free with weft__toml_node_free. */
weft__toml_t *weft__toml_node_new(weft__toml_type_t type, const char *file,
                                  int line, int col, int depth);

/* Free `node` and everything below it. NULL is ignored. Does not touch the
 * file name. */
void weft__toml_node_free(weft__toml_t *node);

/* The entry of `key` in `table`, or NULL. */
weft__toml_kv_t *weft__toml_table_find(const weft__toml_t *table,
                                       const char *key, size_t key_len);

/* Append `key` (malloc'd, NUL-terminated) with `value` to `table`. The key
 * must not be present. On success the table owns both and 0 is returned;
 * on WEFT_ENOMEM the caller still owns them. */
int weft__toml_table_add(weft__toml_t *table, char *key, size_t key_len,
                         int line, int col, weft__toml_t *value);

/* Append `value` to `array`: 0, taking ownership, or WEFT_ENOMEM, leaving
 * it with the caller. */
int weft__toml_array_push(weft__toml_t *array, weft__toml_t *value);

/* Write `key` for a message into `dst` (`cap` >= 8 bytes, NUL-terminated):
 * control bytes become '?', and long keys are cut at a character boundary
 * and end in "...". Returns dst. */
char *weft__toml_show(const char *key, size_t key_len, char *dst,
                      size_t cap);

/* True if `key` can be written as a bare key. */
bool weft__toml_is_bare(const char *key, size_t key_len);

#endif

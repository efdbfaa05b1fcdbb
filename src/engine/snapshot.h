/* snapshot.h - what a host needs to save an instance between calls and
 * restore it into a fresh instance of the same module (resident units,
 * src/unit): growing the default memory from the host, and the storage of
 * the exported mutable globals. Only between calls: never from inside a
 * guest call. */
#ifndef WEFT_ENGINE_SNAPSHOT_H
#define WEFT_ENGINE_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "weft.h"

/* Grow the instance's default memory to at least `pages` 64 KiB pages
 * (never shrinks), within the instance's max_memory. 0, WEFT_ENOTFOUND
 * (no memory) or WEFT_ELIMIT. */
int weft__snapshot_grow(weft_instance_t *inst, uint32_t pages,
                        weft_error_t *err);

/* The exported mutable globals of the instance's module, in export order:
 * how many there are, and the i-th one's storage (borrowed, lives with the
 * instance) and its type letter ('i', 'l', 'f', 'd'; others are skipped).
 * The size of the storage is 4 or 8 bytes by type. */
size_t weft__snapshot_global_count(weft_instance_t *inst);
void *weft__snapshot_global(weft_instance_t *inst, size_t i, char *type);

#endif

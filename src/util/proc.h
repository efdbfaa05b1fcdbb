/* proc.h - running external tools. */
#ifndef WEFT_UTIL_PROC_H
#define WEFT_UTIL_PROC_H

#include "util/util.h"

/* A progress line printed once when a run takes more than half a second. */
typedef struct weft__progress {
  uint64_t start_ns;
  int shown;
  char line[256];
} weft__progress_t;

/* Run argv (searched on PATH) in `cwd` (NULL: ours) with stdin from
 * /dev/null and stdout+stderr to `out_path` (NULL: inherited); wait for it
 * and store its wait status. Fails only when it cannot be started. */
int weft__spawn(const char *const *argv, const char *cwd,
                const char *out_path, weft__progress_t *progress,
                int *status, weft_error_t *err);

#endif

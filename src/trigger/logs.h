/* logs.h - where a component's stdout and stderr go under `weft up`:
 * appended to <dir>/<ID>_stdout.txt and <ID>_stderr.txt, and, for a
 * followed component (`--follow ID`), also copied live to weft's own
 * stdout or stderr. */
#ifndef WEFT_TRIGGER_LOGS_H
#define WEFT_TRIGGER_LOGS_H

#include <stdbool.h>

#include "weft.h"

typedef struct weft__log weft__log_t;

/* Open the log `which` ("stdout" or "stderr") of component `id` in `dir`.
 * The guest writes to weft__log_fd: the file itself, or with `follow` a
 * pipe whose reader thread appends to the file and copies to `echo_fd`. */
int weft__log_open(const char *dir, const char *id, const char *which,
                   bool follow, int echo_fd, weft__log_t **out,
                   weft_error_t *err);
int weft__log_fd(const weft__log_t *log);
/* Close; a follower first copies what is still in its pipe. NULL is
 * ignored. Only once no instance can write to it any more. */
void weft__log_close(weft__log_t *log);

#endif

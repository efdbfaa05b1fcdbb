/* supervisor.h - external trigger executors under `weft up`.
 *
 * For each trigger type T of the app that is not built in, the executor
 * is the program weft-trigger-T, looked for in $WEFT_PLUGINS_DIR and then
 * on PATH. Each runs as a child process with, in its environment,
 * WEFT_MANIFEST_URL (file:// URL of the manifest file, absolute,
 * percent-encoded), WEFT_TRIGGER_TYPE=T, WEFT_WORKING_DIR (the manifest's
 * directory, absolute), and the same values under SPIN_MANIFEST_URL and
 * SPIN_TRIGGER_TYPE; its arguments are `weft up`'s own options; its
 * working directory is weft up's, stdin /dev/null, stdout and stderr
 * weft up's. It dies with `weft up` (PR_SET_PDEATHSIG) and runs in a
 * process group of its own, so stopping it stops what it started.
 *
 * A child that exits, for any reason and with any status, is restarted
 * after a backoff: 100 ms, doubling at each restart up to 10 s, and back
 * to 100 ms once a child has run 10 s before exiting. When it exits with
 * `max_restarts` restarts already made within the last
 * `restart_window_secs`, the type has failed: the app stops, or, when its
 * [application.trigger.T] table says `on_failure = "leave-down"`, that
 * trigger stays down and the rest keeps running. Those three keys may
 * stand in [application.trigger.T] (defaults: 5 restarts in 60 s,
 * "stop"); executors ignore them. Each exit is one line on stderr. See
 * docs/triggers.md, "Executors and supervision". */
#ifndef WEFT_TRIGGER_SUPERVISOR_H
#define WEFT_TRIGGER_SUPERVISOR_H

#include <signal.h>
#include <stdint.h>

#include "app/manifest.h"
#include "weft.h"

typedef struct weft__supervisor weft__supervisor_t;

typedef struct weft__supervisor_config {
  const weft__manifest_t *m;   /* borrowed for the supervisor's life */
  char *const *args;           /* weft up's options, passed on; borrowed
                                  for the supervisor's life */
  int nargs;
  const char *const *only;     /* -c: only types with a chosen component */
  size_t nonly;
  uint64_t stop_timeout_ns;    /* SIGTERM, then SIGKILL after it; 0: 10 s */
} weft__supervisor_config_t;

/* Find every external type's executor and start it, printing
 * "Executor: PATH (pid N)" for each on stdout. Fails, starting nothing,
 * when one is missing: "no executor for trigger type 'T': weft-trigger-T
 * is not in $WEFT_PLUGINS_DIR (DIR) nor on PATH" (WEFT_ENOENT), or when a
 * setting of [application.trigger.T] is bad ("FILE:LINE: ...",
 * WEFT_EINVAL). Sets *out to NULL when the app has no external trigger.
 * The children are forked by the calling thread, which must outlive them
 * (PR_SET_PDEATHSIG is tied to it) and call _run and _stop. */
int weft__supervisor_start(const weft__supervisor_config_t *cfg,
                           weft__supervisor_t **out, weft_error_t *err);
/* The checks of weft__supervisor_start (executors found, settings read)
 * without starting anything, for a caller that must know before it
 * starts anything else. Same errors. */
int weft__supervisor_check(const weft__supervisor_config_t *cfg,
                           weft_error_t *err);
/* Watch the children, restarting them, until *stopping becomes non-zero
 * (0 returned) or a type fails for good without leave-down (WEFT_EIO,
 * with a message naming the type and its last exit status). With s NULL,
 * only waits for *stopping. */
int weft__supervisor_run(weft__supervisor_t *s,
                         volatile sig_atomic_t *stopping, weft_error_t *err);
/* Stop every child (SIGTERM to its group, SIGKILL past the timeout), reap
 * them, free. NULL is ignored. */
void weft__supervisor_stop(weft__supervisor_t *s);

#endif

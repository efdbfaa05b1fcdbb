/* cmd_up.c - `weft up`: run a trigger app from its manifest until
 * interrupted (SIGINT or SIGTERM: stop accepting, finish what runs). The
 * built-in triggers run in this process (trigger/app.h); each other type
 * runs in its executor, a child process watched by the supervisor
 * (trigger/supervisor.h), which gets our options but -f. */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/manifest.h"
#include "cli.h"
#include "trigger/app.h"
#include "trigger/supervisor.h"
#include "trigger/up_options.h"

static const char usage_head[] =
    "usage: weft up [options]\n"
    "\n"
    "Run the trigger app of a manifest (Spin's spin.toml version 2, or\n"
    "weft.toml in the same format) until interrupted.\n"
    "\n"
    "options:\n";

static const char usage_tail[] =
    "\n"
    "Component output goes to the log files only, unless followed.\n"
    "A trigger type T that is not built in (http, timer, redis) is run by\n"
    "the program weft-trigger-T, found in $WEFT_PLUGINS_DIR or on PATH,\n"
    "which gets these options too (but -f) and is restarted when it exits.\n"
    "\n"
    "exit status: 0 after SIGINT or SIGTERM; 1 when the app cannot start\n"
    "(a missing executor too); 2 usage error; 3 when a trigger executor\n"
    "failed for good.\n";

static volatile sig_atomic_t stopping;

static void on_signal(int sig) {
  (void)sig;
  stopping = 1;
}

int cmd_up(int argc, char **argv) {
  weft__up_options_t o;
  weft_error_t err = {0};
  int rc = weft__up_options_parse(argc, argv, "weft up", NULL, &o);
  if (rc < 0) {
    rc = WEFT_EXIT_USAGE;
    goto out;
  }
  if (o.help) {
    fputs(usage_head, stdout);
    fputs(weft__up_options_help, stdout);
    fputs(usage_tail, stdout);
    rc = WEFT_EXIT_OK;
    goto out;
  }
  rc = WEFT_EXIT_FAIL;
  weft__app_config_t *cfg = &o.app;
  if (!cfg->path)
    cfg->path = ".";
  /* Executors get our options but -f: the manifest reaches them as
   * WEFT_MANIFEST_URL. */
  weft__supervisor_config_t sc = {
      .args = o.forward,
      .nargs = o.nforward,
      .only = cfg->only,
      .nonly = cfg->nonly,
      /* 0 would mean the default to the supervisor; 1 ns is "at once". */
      .stop_timeout_ns = o.stop_timeout_ns ? o.stop_timeout_ns : 1};
  /* A missing executor fails before anything starts. A manifest that
   * does not load is left for weft__app_start to report. */
  weft__manifest_t *m = NULL;
  if (weft__manifest_load(cfg->path, &m, &err) == 0) {
    sc.m = m;
    int checked = weft__supervisor_check(&sc, &err);
    weft__manifest_free(m);
    if (checked < 0) {
      rc = cli_fail(&err);
      goto out;
    }
  }
  err = (weft_error_t){0};
  /* Instances are reset after every request or event: compiled code that
   * marks what it writes makes each reset rewrite only that. */
  if (!(cfg->engine = cli_engine_track_writes()))
    goto out;
  struct sigaction sa = {.sa_handler = on_signal};
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  weft__app_t *app = NULL;
  if (weft__app_start(cfg, &app, &err) < 0) {
    rc = cli_fail(&err);
    weft_engine_free(cfg->engine);
    goto out;
  }
  weft__supervisor_t *sup = NULL;
  sc.m = weft__app_manifest(app);
  if (weft__supervisor_start(&sc, &sup, &err) < 0) {
    rc = cli_fail(&err);
  } else if (weft__supervisor_run(sup, &stopping, &err) < 0) {
    cli_error("%s", err.msg);
    rc = WEFT_EXIT_TRIGGER;
  } else {
    rc = WEFT_EXIT_OK;
  }
  weft__supervisor_stop(sup);
  weft__app_stop(app);
  weft_engine_free(cfg->engine);
out:
  weft__up_options_free(&o);
  return rc;
}

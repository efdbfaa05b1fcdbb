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

/* The exit status when an external trigger failed for good. */
enum { EXIT_TRIGGER_FAILED = 3 };

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

/* Copy to `out` the arguments of argv (argv[0] the command) but the -f
 * options and their values: the executors' arguments; returns how many.
 * argv has been accepted by weft__up_options_parse, so each option is one
 * of weft up's: all take a value but --follow-all and --help (-h), long
 * names may be abbreviated ("--fr" is --from, "--fi" --file), and a short
 * option's value may be attached ("-fapp"). Nothing follows "--". */
static int without_from(int argc, char **argv, char **out) {
  int n = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    bool from = false, has_value = true, inline_value = false;
    if (!strcmp(a, "--"))
      break;
    if (!strncmp(a, "--", 2)) {
      const char *name = a + 2;
      from = !strncmp(name, "fr", 2) || !strncmp(name, "fi", 2);
      has_value = strncmp(name, "follow-", 7) && name[0] != 'h';
      inline_value = strchr(name, '=') != NULL;
    } else if (a[0] == '-') {
      /* A cluster: -h takes no value; -f and -c take the rest or the
       * next argument. */
      const char *p = a + 1;
      while (*p == 'h')
        p++;
      has_value = *p != 0;
      from = *p == 'f';
      inline_value = has_value && p[1];
    }
    bool next_too = has_value && !inline_value && i + 1 < argc;
    if (!from) {
      out[n++] = argv[i];
      if (next_too)
        out[n++] = argv[i + 1];
    }
    i += next_too;
  }
  return n;
}

int cmd_up(int argc, char **argv) {
  weft__up_options_t o;
  weft_error_t err = {0};
  char **forward = NULL;
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
  /* The manifest reaches executors as WEFT_MANIFEST_URL. */
  if (!(forward = calloc((size_t)argc + 1, sizeof *forward))) {
    cli_error("out of memory");
    goto out;
  }
  weft__supervisor_config_t sc = {
      .args = forward,
      .nargs = without_from(argc, argv, forward),
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
  if (!(cfg->engine = cli_engine()))
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
    rc = EXIT_TRIGGER_FAILED;
  } else {
    rc = WEFT_EXIT_OK;
  }
  weft__supervisor_stop(sup);
  weft__app_stop(app);
  weft_engine_free(cfg->engine);
out:
  free(forward);
  weft__up_options_free(&o);
  return rc;
}

/* cmd_trigger.c - `weft trigger TYPE`: one built-in trigger type of an
 * app, run as an executor of its own (SIP 003's internal executors): the
 * app comes from WEFT_MANIFEST_URL or -f, the options are `weft up`'s. */
#include <stdio.h>
#include <string.h>

#include "app/manifest.h"
#include "cli.h"
#include "trigger/api_int.h"

static const char usage[] =
    "usage: weft trigger TYPE [weft up options]\n"
    "\n"
    "Run only the [[trigger.TYPE]] entries of an app, for TYPE one of the\n"
    "built-in types http, timer and redis, until SIGINT or SIGTERM. The\n"
    "app is -f FILE|DIR, or else the file:// URL in WEFT_MANIFEST_URL (or\n"
    "SPIN_MANIFEST_URL). `weft up --help` lists the options.\n"
    "\n"
    "exit status: 0 after a stop; 1 when the app cannot start; 2 usage.\n";

/* Built-in triggers run on their own threads: wait for the stop. */
static int wait_for_stop(void *data, weft_app_t *app, weft_stop_t *stop,
                         weft_error_t *err) {
  (void)data, (void)app, (void)err;
  while (!weft_stop_wait(stop, 3600ull * 1000000000u))
    ;
  return 0;
}

int cmd_trigger(int argc, char **argv) {
  if (argc < 2 || argv[1][0] == '-') {
    if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
      fputs(usage, stdout);
      return WEFT_EXIT_OK;
    }
    return cli_usage_error("trigger", "no trigger type given");
  }
  const char *type = argv[1];
  if (weft__manifest_trigger_kind(type) == WEFT__TRIGGER_OTHER)
    return cli_usage_error("trigger",
                           "'%s' is not a built-in trigger type (http, "
                           "timer, redis); others run as weft-trigger-%s",
                           type, type);
  weft_trigger_t t = {.api_version = WEFT_TRIGGER_API_VERSION,
                      .type = type,
                      .host_apis = WEFT_HOST_ALL,
                      .run = wait_for_stop};
  char who[64];
  snprintf(who, sizeof who, "weft trigger %s", type);
  return weft__trigger_run(argc - 1, argv + 1, &t, who);
}

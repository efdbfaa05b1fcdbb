/* api_int.h - what the public trigger API (api.c), the app builder
 * (builder.c) and `weft trigger` share: weft_app_t wraps a running
 * weft__app_t with the configuration it borrows. */
#ifndef WEFT_TRIGGER_API_INT_H
#define WEFT_TRIGGER_API_INT_H

#include <stdbool.h>

#include "trigger/app.h"
#include "weft.h"

struct weft_app {
  weft__app_t *app;
  weft__app_config_t cfg; /* the app borrows it */
  weft_engine_t *engine;
  bool own_engine;
  weft_wit_t *wit;        /* the trigger's world, for a custom type */
  char *path;             /* owned strings cfg points to */
  char *text;
  char host[256];         /* cfg.host, for an app built in code */
};

/* Start `a->cfg`'s app for trigger `t`: a custom type when t->world is
 * set, else the built-in type t->type. Makes an engine when a->engine is
 * NULL. */
int weft__api_start(weft_app_t *a, const weft_trigger_t *t,
                    weft_error_t *err);
/* Stop and free everything `a` owns, and `a`. NULL is ignored. */
void weft__api_free(weft_app_t *a);
/* weft_trigger_main with `who` naming the program in messages. */
int weft__trigger_run(int argc, char **argv, const weft_trigger_t *t,
                      const char *who);

#endif

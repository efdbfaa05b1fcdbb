/* up_options.h - the options of `weft up`, which every trigger executor
 * accepts too (`weft up` passes its own options to each one): one parser
 * for `weft up`, `weft trigger TYPE` and weft_trigger_main. */
#ifndef WEFT_TRIGGER_UP_OPTIONS_H
#define WEFT_TRIGGER_UP_OPTIONS_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

#include "trigger/app.h"

typedef struct weft__up_options {
  weft__app_config_t app;    /* what the options set; path NULL: none */
  char host[256];            /* app.host points here */
  uint64_t stop_timeout_ns;  /* --stop-timeout; default 10 s */
  bool help;                 /* -h, --help */
  /* The lists app points into (owned). */
  const char **variables, **follow, **only, **kv_presets;
  /* argv past argv[0] without the -f/--from options: what `weft up`
   * passes on to trigger executors (owned array; the strings are argv's). */
  char **forward;
  int nforward;
} weft__up_options_t;

/* The caller's own long options, past the common ones: each one seen is
 * handed to on_extra with its index in `extra` and its value (NULL when
 * it takes none). */
typedef struct weft__up_extra {
  const struct option *options; /* n entries, `flag` NULL, `val` unused */
  size_t n;
  int (*on_extra)(void *ctx, size_t index, const char *value);
  void *ctx;
} weft__up_extra_t;

/* Parse argv (argv[0] the command's name, `who` names it in messages:
 * "weft up"). Options may come in any order; no positional argument is
 * taken. Returns 0, or -1 after printing a usage error on stderr (exit
 * status 2), or -2 when on_extra failed (it printed why). */
int weft__up_options_parse(int argc, char **argv, const char *who,
                           const weft__up_extra_t *extra,
                           weft__up_options_t *o);
void weft__up_options_free(weft__up_options_t *o);

/* Split "ADDR:PORT" into host (NUL-terminated, at most size-1 bytes)
 * and port; -1 when malformed. */
int weft__parse_listen(const char *s, char *host, size_t size,
                       uint16_t *port);

/* The help lines of the common options. */
extern const char weft__up_options_help[];

#endif

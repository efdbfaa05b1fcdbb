/* cli.h - the weft command: the command table and helpers every command
 * shares. One file per command, cmd_<name>.c, one row in main.c. */
#ifndef WEFT_CLI_H
#define WEFT_CLI_H

#include <getopt.h>
#include <stdint.h>

#include "weft.h"

/* Exit codes of the weft command (documented in docs/cli.md). */
enum {
  WEFT_EXIT_OK = 0,
  WEFT_EXIT_FAIL = 1,     /* load, compile, link or I/O error */
  WEFT_EXIT_USAGE = 2,    /* bad command line */
  WEFT_EXIT_TRIGGER = 3,  /* weft up: a trigger executor failed for good */
  WEFT_EXIT_DEADLINE = 124, /* guest passed its deadline */
  WEFT_EXIT_TRAP = 134    /* guest trapped */
};

typedef struct weft_cmd {
  const char *name;
  int (*fn)(int argc, char **argv);
  const char *summary;
  int hidden;
} weft_cmd_t;

int cmd_run(int argc, char **argv);
int cmd_compile(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_cache(int argc, char **argv);
int cmd_spectest(int argc, char **argv);
int cmd_wit(int argc, char **argv);
int cmd_up(int argc, char **argv);
int cmd_build(int argc, char **argv);
int cmd_trigger(int argc, char **argv);
int cmd_bindgen(int argc, char **argv);
int cmd_flow(int argc, char **argv);
/* weft flow check, called by cmd_flow (cmd_flow_check.c). */
int cmd_flow_check(int argc, char **argv);
int cmd_unit(int argc, char **argv);
int cmd_keygen(int argc, char **argv);

/* Print "weft: <msg>" to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print a usage error and the hint to run --help; returns WEFT_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Print an error from libweft; returns the exit code it maps to. */
int cli_fail(const weft_error_t *err);
/* Parse "5s", "250ms", "1m", "100us", "10ns" or plain seconds. */
int cli_parse_duration(const char *s, uint64_t *ns);
/* Parse "256MiB", "1GiB", "64KiB", "4096" (bytes). */
int cli_parse_size(const char *s, uint64_t *bytes);
/* An engine configured from the environment, or exit on failure. */
weft_engine_t *cli_engine(void);
/* The same, compiling guests so that every NaN is canonical (weft unit:
 * replays give the same bits on any machine). */
weft_engine_t *cli_engine_canonical_nans(void);
/* The same, compiling guests to mark the memory they write, so that an
 * instance reset rewrites only that (weft up: an instance is reset after
 * every request or event). */
weft_engine_t *cli_engine_track_writes(void);

#endif

/* main.c - the weft command: global options and the command table. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "util/util.h"

static const weft_cmd_t commands[] = {
    {"run", cmd_run, "run a WebAssembly module (WASI command or reactor)", 0},
    {"compile", cmd_compile, "compile a module ahead of time", 0},
    {"inspect", cmd_inspect, "show a module's imports, exports and sections",
     0},
    {"cache", cmd_cache, "show or clean the compile cache", 0},
    {"wit", cmd_wit, "check a WIT package or print one of its worlds", 0},
    {"up", cmd_up, "run a trigger app from its manifest (spin.toml)", 0},
    {"trigger", cmd_trigger, "run one built-in trigger type of an app", 0},
    {"build", cmd_build, "run the build commands of a manifest's components",
     0},
    {"bindgen", cmd_bindgen, "write C bindings for a WIT world", 0},
    {"flow", cmd_flow, "check, run, trace or benchmark a stream flow", 0},
    {"unit", cmd_unit, "create, advance, verify and move resident units", 0},
    {"keygen", cmd_keygen, "write a new ed25519 key pair for units", 0},
    {"spectest", cmd_spectest, "run a wast2json spec script", 1},
};

static void usage(FILE *f) {
  fprintf(f, "usage: weft [--version] [--help] <command> [<args>]\n\n"
             "Weft runs WebAssembly components as trigger apps, stream flows "
             "and resident\nunits, at native speed.\n\ncommands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (!commands[i].hidden)
      fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf(f, "\nRun 'weft <command> --help' for a command's options.\n");
}

void cli_error(const char *fmt, ...) {
  va_list ap;
  fputs("weft: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

int cli_usage_error(const char *cmd, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "weft %s: ", cmd);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\nTry 'weft %s --help'.\n", cmd);
  return WEFT_EXIT_USAGE;
}

int cli_fail(const weft_error_t *err) {
  cli_error("%s", err->msg[0] ? err->msg : weft_strerror(err->code));
  if (err->code == WEFT_ETRAP)
    return err->detail == WEFT_TRAP_DEADLINE ? WEFT_EXIT_DEADLINE
                                             : WEFT_EXIT_TRAP;
  return WEFT_EXIT_FAIL;
}

int cli_parse_duration(const char *s, uint64_t *ns) {
  return weft__parse_duration(s, ns);
}

int cli_parse_size(const char *s, uint64_t *bytes) {
  return weft__parse_size(s, bytes);
}

static weft_engine_t *engine(bool canonical_nans, bool track_writes) {
  weft_error_t err = {0};
  weft_engine_config_t cfg = {.opt_level = -1, .progress = 1,
                              .canonical_nans = canonical_nans,
                              .track_writes = track_writes};
  weft_engine_t *e = weft_engine_new(&cfg, &err);
  if (!e) {
    cli_fail(&err);
    exit(WEFT_EXIT_FAIL);
  }
  return e;
}

weft_engine_t *cli_engine(void) { return engine(false, false); }

weft_engine_t *cli_engine_canonical_nans(void) { return engine(true, false); }

weft_engine_t *cli_engine_track_writes(void) { return engine(false, true); }

/* Descriptors 0-2 closed by our parent would be reused by the next file
 * we open, and a guest would read or write it as stdio: fill them. */
static void fill_stdio(void) {
  for (int fd = 0; fd < 3; fd++)
    if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
      exit(WEFT_EXIT_FAIL);
}

int main(int argc, char **argv) {
  fill_stdio();
  if (argc < 2) {
    usage(stderr);
    return WEFT_EXIT_USAGE;
  }
  const char *name = argv[1];
  if (!strcmp(name, "--help") || !strcmp(name, "-h") ||
      !strcmp(name, "help")) {
    if (argc > 2 && strcmp(name, "help") == 0) {
      char *sub[] = {argv[2], (char *)"--help", NULL};
      for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(commands[i].name, argv[2]))
          return commands[i].fn(2, sub);
    }
    usage(stdout);
    return WEFT_EXIT_OK;
  }
  if (!strcmp(name, "--version") || !strcmp(name, "-V")) {
    printf("weft %s (abi %d)\n", WEFT_VERSION_STRING, WEFT_ABI_VERSION);
    return WEFT_EXIT_OK;
  }
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (!strcmp(commands[i].name, name))
      return commands[i].fn(argc - 1, argv + 1);
  cli_error("'%s' is not a weft command; see 'weft --help'", name);
  return WEFT_EXIT_USAGE;
}

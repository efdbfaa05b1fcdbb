/* embed-app.c - embedding a Weft app: built in code with
 * weft_app_builder_* (components, triggers and their settings, no manifest
 * file) and run in this process with weft_app_start.
 *
 * The app: the HTTP component HELLO_WASM (examples/hello/hello.wasm)
 * answers on /hello/..., and, when TIMER_WASM is given
 * (examples/timer/timer.wasm), that component prints the app variable
 * `message` every second. It prints "embed-app: port PORT" once serving
 * and runs until SIGINT or SIGTERM (exit status 0), or for --seconds N.
 *
 *   cc $(pkg-config --cflags weft) -o embed-app embed-app.c \
 *     $(pkg-config --libs weft)
 *   ./embed-app --listen 127.0.0.1:3000 ../hello/hello.wasm \
 *     ../timer/timer.wasm
 *   curl http://127.0.0.1:3000/hello
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <weft.h>

static const char usage[] =
    "usage: embed-app [--listen ADDR:PORT] [--seconds N] [--logs DIR]\n"
    "                 HELLO_WASM [TIMER_WASM]\n"
    "\n"
    "Serve HELLO_WASM (an HTTP component) on /hello/... and, with\n"
    "TIMER_WASM (a timer component), call it every second; run until\n"
    "SIGINT or SIGTERM, or for N seconds. --listen defaults to\n"
    "127.0.0.1:3000 (port 0: any free one); component logs go to DIR\n"
    "(default .weft/logs).\n";

typedef struct args {
  const char *listen, *logs, *hello, *timer;
  long seconds; /* 0: until a signal */
} args_t;

/* 0, or 2 after a usage error. */
static int parse_args(int argc, char **argv, args_t *a) {
  int i = 1;
  while (i < argc && argv[i][0] == '-') {
    const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(opt, "-h") || !strcmp(opt, "--help")) {
      fputs(usage, stdout);
      exit(0);
    }
    if (!val)
      break;
    if (!strcmp(opt, "--listen")) {
      a->listen = val;
    } else if (!strcmp(opt, "--logs")) {
      a->logs = val;
    } else if (!strcmp(opt, "--seconds")) {
      char *end;
      a->seconds = strtol(val, &end, 10);
      if (*end || a->seconds <= 0) {
        fprintf(stderr, "embed-app: bad --seconds '%s'\n", val);
        return 2;
      }
    } else {
      break;
    }
    i += 2;
  }
  if (i >= argc || argv[i][0] == '-' || argc - i > 2) {
    fputs(usage, stderr);
    return 2;
  }
  a->hello = argv[i];
  a->timer = i + 1 < argc ? argv[i + 1] : NULL;
  return 0;
}

/* The app, in code: what a spin.toml would say. Sources are relative to
 * the builder's directory: here the current one. */
static weft_app_builder_t *build_app(const args_t *a, weft_error_t *err) {
  weft_app_builder_t *b = weft_app_builder_new("embedded", ".");
  if (!b) {
    err->code = WEFT_ENOMEM;
    snprintf(err->msg, sizeof err->msg, "out of memory");
    return NULL;
  }
  if (weft_app_builder_component(b, "hello", a->hello, NULL, err) < 0 ||
      weft_app_builder_trigger(b, "http", "hello", "route = \"/hello/...\"",
                               err) < 0)
    goto fail;
  if (a->timer &&
      (weft_app_builder_variable(b, "message", "tick from embed-app",
                                 err) < 0 ||
       weft_app_builder_component(
           b, "ticker", a->timer,
           "variables = { message = \"{{ message }}\" }", err) < 0 ||
       weft_app_builder_trigger(b, "timer", "ticker", "interval_secs = 1",
                                err) < 0))
    goto fail;
  return b;
fail:
  weft_app_builder_free(b);
  return NULL;
}

int main(int argc, char **argv) {
  args_t a = {.listen = "127.0.0.1:3000"};
  int rc = parse_args(argc, argv, &a);
  if (rc)
    return rc;

  /* Signals are taken with sigtimedwait: block them before any thread
   * starts, so every thread the app starts inherits the mask and none of
   * them is interrupted by one. */
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
  signal(SIGPIPE, SIG_IGN);

  weft_error_t err = {0};
  weft_app_options_t opts = {.listen = a.listen, .log_dir = a.logs};
  weft_engine_t *engine = weft_engine_new(NULL, &err);
  weft_app_builder_t *b = engine ? build_app(&a, &err) : NULL;
  weft_app_t *app = b ? weft_app_start(engine, b, &opts, &err) : NULL;
  weft_app_builder_free(b); /* the app keeps what it needs */
  if (!app) {
    fprintf(stderr, "embed-app: %s\n", err.msg);
    weft_engine_free(engine);
    return 1;
  }
  /* The port it got, with --listen ADDR:0 too. */
  printf("embed-app: port %u\n", (unsigned)weft_app_http_port(app));
  fflush(stdout);

  struct timespec limit = {.tv_sec = a.seconds};
  int sig;
  do
    sig = sigtimedwait(&stop_signals, NULL, a.seconds ? &limit : NULL);
  while (sig < 0 && errno == EINTR);

  weft_app_stop(app); /* calls in progress finish first */
  weft_engine_free(engine);
  return 0;
}

/* cmd_up.c - `weft up`: run a trigger app from its manifest until
 * interrupted (SIGINT or SIGTERM: stop accepting, finish what runs). */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "trigger/app.h"

static const char usage[] =
    "usage: weft up [options]\n"
    "\n"
    "Run the trigger app of a manifest (Spin's spin.toml version 2, or\n"
    "weft.toml in the same format) until interrupted.\n"
    "\n"
    "options:\n"
    "  -f, --from FILE|DIR        the manifest, or a directory holding\n"
    "                             weft.toml or spin.toml (default: .)\n"
    "      --listen ADDR:PORT     where the HTTP trigger listens\n"
    "                             (default 127.0.0.1:3000; port 0: any)\n"
    "      --variable K=V         set application variable K (repeatable)\n"
    "      --request-timeout D    answer 504 when a handler runs longer\n"
    "                             than D (default 30s; 0: no limit)\n"
    "      --max-instances N      instances per component at once (64);\n"
    "                             more requests wait, then get 503\n"
    "      --max-body SIZE        largest request body (10MiB); 413 past it\n"
    "      --log-dir DIR          component logs (default .weft/logs beside\n"
    "                             the manifest): ID_stdout.txt, ID_stderr.txt\n"
    "      --follow ID            also print component ID's output live\n"
    "                             (repeatable); --follow-all: every one\n"
    "  -c, --component-id ID      run only the triggers of component ID\n"
    "                             (repeatable)\n"
    "      --runtime-config-file F  key-value stores and their backends\n"
    "                             (Spin's runtime-config.toml)\n"
    "      --key-value K=V        set K in the default key-value store\n"
    "                             (repeatable)\n"
    "      --speedup N            timer triggers fire N times as often\n"
    "  -h, --help                 show this help\n"
    "\n"
    "Component output goes to the log files only, unless followed.\n"
    "\n"
    "exit status: 0 after an interrupt; 1 when the app cannot start;\n"
    "2 usage error.\n";

static volatile sig_atomic_t stopping;

static void on_signal(int sig) {
  (void)sig;
  stopping = 1;
}

static int parse_listen(const char *s, char *host, size_t size,
                        uint16_t *port) {
  const char *colon = strrchr(s, ':');
  if (!colon || (size_t)(colon - s) >= size || colon == s)
    return -1;
  char *end;
  long p = strtol(colon + 1, &end, 10);
  if (*end || p < 0 || p > 65535 || !colon[1])
    return -1;
  memcpy(host, s, (size_t)(colon - s));
  host[colon - s] = 0;
  *port = (uint16_t)p;
  return 0;
}

/* Append `s` to the list *v of *n strings. */
static int push(const char ***v, size_t *n, const char *s) {
  const char **p = realloc(*v, (*n + 1) * sizeof *p);
  if (!p) {
    cli_error("out of memory");
    return -1;
  }
  p[(*n)++] = s;
  *v = p;
  return 0;
}

int cmd_up(int argc, char **argv) {
  static const struct option opts[] = {
      {"from", required_argument, NULL, 'f'},
      {"file", required_argument, NULL, 'f'},
      {"listen", required_argument, NULL, 'l'},
      {"variable", required_argument, NULL, 'v'},
      {"request-timeout", required_argument, NULL, 't'},
      {"max-instances", required_argument, NULL, 'n'},
      {"max-body", required_argument, NULL, 'b'},
      {"log-dir", required_argument, NULL, 'L'},
      {"follow", required_argument, NULL, 'F'},
      {"follow-all", no_argument, NULL, 'A'},
      {"component-id", required_argument, NULL, 'c'},
      {"runtime-config-file", required_argument, NULL, 'r'},
      {"key-value", required_argument, NULL, 'k'},
      {"speedup", required_argument, NULL, 's'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  weft__app_config_t cfg = {.path = ".", .port = 3000};
  cfg.request_timeout_ns = 30000000000ull;
  char host[256] = "127.0.0.1";
  const char **vars = NULL, **follow = NULL, **only = NULL, **kv = NULL;
  int rc = WEFT_EXIT_FAIL, c;
  uint64_t n;
  optind = 1;
  while ((c = getopt_long(argc, argv, "f:c:h", opts, NULL)) != -1) {
    switch (c) {
    case 'f':
      cfg.path = optarg;
      break;
    case 'l':
      if (parse_listen(optarg, host, sizeof host, &cfg.port) < 0) {
        rc = cli_usage_error("up", "bad --listen '%s' (want ADDR:PORT)",
                             optarg);
        goto out;
      }
      break;
    case 'v':
      if (!strchr(optarg, '=')) {
        rc = cli_usage_error("up", "--variable wants K=V, not '%s'", optarg);
        goto out;
      }
      if (push(&vars, &cfg.nvariables, optarg) < 0)
        goto out;
      break;
    case 'k':
      if (!strchr(optarg, '=') || optarg[0] == '=') {
        rc = cli_usage_error("up", "--key-value wants K=V, not '%s'", optarg);
        goto out;
      }
      if (push(&kv, &cfg.nkv_presets, optarg) < 0)
        goto out;
      break;
    case 'F':
    case 'A':
      if (push(&follow, &cfg.nfollow, c == 'A' ? "*" : optarg) < 0)
        goto out;
      break;
    case 'c':
      if (push(&only, &cfg.nonly, optarg) < 0)
        goto out;
      break;
    case 'r':
      cfg.runtime_config = optarg;
      break;
    case 's':
      if (cli_parse_size(optarg, &n) < 0 || n == 0 || n > 1000000) {
        rc = cli_usage_error("up", "bad --speedup '%s'", optarg);
        goto out;
      }
      cfg.speedup = (uint32_t)n;
      break;
    case 't':
      if (cli_parse_duration(optarg, &cfg.request_timeout_ns) < 0) {
        rc = cli_usage_error("up", "bad --request-timeout '%s'", optarg);
        goto out;
      }
      break;
    case 'n':
      if (cli_parse_size(optarg, &n) < 0 || n == 0 || n > 100000) {
        rc = cli_usage_error("up", "bad --max-instances '%s'", optarg);
        goto out;
      }
      cfg.max_instances = (size_t)n;
      break;
    case 'b':
      if (cli_parse_size(optarg, &n) < 0 || n == 0) {
        rc = cli_usage_error("up", "bad --max-body '%s'", optarg);
        goto out;
      }
      cfg.max_body = (size_t)n;
      break;
    case 'L':
      cfg.log_dir = optarg;
      break;
    case 'h':
      fputs(usage, stdout);
      rc = WEFT_EXIT_OK;
      goto out;
    default:
      rc = cli_usage_error("up", "bad option");
      goto out;
    }
  }
  if (optind < argc) {
    rc = cli_usage_error("up", "unexpected argument '%s'", argv[optind]);
    goto out;
  }
  cfg.host = host;
  cfg.variables = vars;
  cfg.follow = follow;
  cfg.only = only;
  cfg.kv_presets = kv;
  weft_error_t err = {0};
  cfg.engine = cli_engine();
  if (!cfg.engine)
    goto out;
  struct sigaction sa = {.sa_handler = on_signal};
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  weft__app_t *app = NULL;
  if (weft__app_start(&cfg, &app, &err) < 0) {
    rc = cli_fail(&err);
    weft_engine_free(cfg.engine);
    goto out;
  }
  while (!stopping)
    pause();
  weft__app_stop(app);
  weft_engine_free(cfg.engine);
  rc = WEFT_EXIT_OK;
out:
  free(vars);
  free(follow);
  free(only);
  free(kv);
  return rc;
}

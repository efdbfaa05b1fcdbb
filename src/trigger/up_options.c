/* up_options.c - the options of `weft up` and of every trigger executor
 * (up_options.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trigger/up_options.h"
#include "util/util.h"

const char weft__up_options_help[] =
    "  -f, --from FILE|DIR        the manifest, or a directory holding\n"
    "                             weft.toml or spin.toml (default: .)\n"
    "      --listen ADDR:PORT     where the HTTP trigger listens\n"
    "                             (default 127.0.0.1:3000; port 0: any)\n"
    "      --variable K=V         set application variable K (repeatable)\n"
    "      --request-timeout D    stop a call that runs longer than D\n"
    "                             (HTTP answers 504; default 30s; 0: none)\n"
    "      --max-instances N      instances per component at once (64);\n"
    "                             more events wait, then fail (HTTP: 503)\n"
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
    "      --speedup N            timers fire N times as often (executors\n"
    "                             get it too: weft_app_speedup)\n"
    "      --stop-timeout D       on SIGINT/SIGTERM, how long trigger\n"
    "                             executors get before SIGKILL (10s)\n"
    "  -h, --help                 show this help\n";

/* The common options; their `val`s are the codes below. */
enum {
  OPT_FROM = 'f',
  OPT_COMPONENT = 'c',
  OPT_HELP = 'h',
  OPT_LISTEN = 256,
  OPT_VARIABLE,
  OPT_TIMEOUT,
  OPT_MAX_INSTANCES,
  OPT_MAX_BODY,
  OPT_LOG_DIR,
  OPT_FOLLOW,
  OPT_FOLLOW_ALL,
  OPT_RUNTIME_CONFIG,
  OPT_KEY_VALUE,
  OPT_SPEEDUP,
  OPT_STOP_TIMEOUT,
  OPT_EXTRA = 1024 /* + index of the caller's option */
};

static const struct option common[] = {
    {"from", required_argument, NULL, OPT_FROM},
    {"file", required_argument, NULL, OPT_FROM},
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"variable", required_argument, NULL, OPT_VARIABLE},
    {"request-timeout", required_argument, NULL, OPT_TIMEOUT},
    {"max-instances", required_argument, NULL, OPT_MAX_INSTANCES},
    {"max-body", required_argument, NULL, OPT_MAX_BODY},
    {"log-dir", required_argument, NULL, OPT_LOG_DIR},
    {"follow", required_argument, NULL, OPT_FOLLOW},
    {"follow-all", no_argument, NULL, OPT_FOLLOW_ALL},
    {"component-id", required_argument, NULL, OPT_COMPONENT},
    {"runtime-config-file", required_argument, NULL, OPT_RUNTIME_CONFIG},
    {"key-value", required_argument, NULL, OPT_KEY_VALUE},
    {"speedup", required_argument, NULL, OPT_SPEEDUP},
    {"stop-timeout", required_argument, NULL, OPT_STOP_TIMEOUT},
    {"help", no_argument, NULL, OPT_HELP},
};
#define NCOMMON (sizeof common / sizeof common[0])

static int usage_error(const char *who, const char *fmt, const char *arg) {
  fprintf(stderr, "%s: ", who);
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\nTry '%s --help'.\n", who);
  return -1;
}

/* Append `s` to the list *v of *n strings. */
static int push(const char ***v, size_t *n, const char *s) {
  const char **p = realloc(*v, (*n + 1) * sizeof *p);
  if (!p)
    return -1;
  p[(*n)++] = s;
  *v = p;
  return 0;
}

int weft__parse_listen(const char *s, char *host, size_t size,
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

/* One common option; 0 or -1 after a usage error. */
static int common_option(weft__up_options_t *o, const char *who, int c,
                         const char *arg) {
  weft__app_config_t *a = &o->app;
  uint64_t n;
  int rc = 0;
  switch (c) {
  case OPT_FROM:
    a->path = arg;
    break;
  case OPT_LISTEN:
    if (weft__parse_listen(arg, o->host, sizeof o->host, &a->port) < 0)
      return usage_error(who, "bad --listen '%s' (want ADDR:PORT)", arg);
    break;
  case OPT_VARIABLE:
  case OPT_KEY_VALUE:
    if (!strchr(arg, '=') || arg[0] == '=')
      return usage_error(who,
                         c == OPT_VARIABLE ? "--variable wants K=V, not '%s'"
                                           : "--key-value wants K=V, not '%s'",
                         arg);
    rc = c == OPT_VARIABLE ? push(&o->variables, &a->nvariables, arg)
                           : push(&o->kv_presets, &a->nkv_presets, arg);
    break;
  case OPT_TIMEOUT:
    if (weft__parse_duration(arg, &a->request_timeout_ns) < 0)
      return usage_error(who, "bad --request-timeout '%s'", arg);
    break;
  case OPT_STOP_TIMEOUT:
    if (weft__parse_duration(arg, &o->stop_timeout_ns) < 0)
      return usage_error(who, "bad --stop-timeout '%s'", arg);
    break;
  case OPT_MAX_INSTANCES:
    if (weft__parse_size(arg, &n) < 0 || n == 0 || n > 100000)
      return usage_error(who, "bad --max-instances '%s'", arg);
    a->max_instances = (size_t)n;
    break;
  case OPT_MAX_BODY:
    if (weft__parse_size(arg, &n) < 0 || n == 0)
      return usage_error(who, "bad --max-body '%s'", arg);
    a->max_body = (size_t)n;
    break;
  case OPT_SPEEDUP:
    if (weft__parse_size(arg, &n) < 0 || n == 0 || n > 1000000)
      return usage_error(who, "bad --speedup '%s'", arg);
    a->speedup = (uint32_t)n;
    break;
  case OPT_LOG_DIR:
    a->log_dir = arg;
    break;
  case OPT_FOLLOW:
  case OPT_FOLLOW_ALL:
    rc = push(&o->follow, &a->nfollow, c == OPT_FOLLOW ? arg : "*");
    break;
  case OPT_COMPONENT:
    rc = push(&o->only, &a->nonly, arg);
    break;
  case OPT_RUNTIME_CONFIG:
    a->runtime_config = arg;
    break;
  case OPT_HELP:
    o->help = true;
    break;
  default:
    return usage_error(who, "%s", "bad option");
  }
  if (rc < 0) {
    fprintf(stderr, "%s: out of memory\n", who);
    return -1;
  }
  return 0;
}

int weft__up_options_parse(int argc, char **argv, const char *who,
                           const weft__up_extra_t *extra,
                           weft__up_options_t *o) {
  memset(o, 0, sizeof *o);
  snprintf(o->host, sizeof o->host, "127.0.0.1");
  o->app.host = o->host;
  o->app.port = 3000;
  o->app.request_timeout_ns = 30000000000ull;
  o->stop_timeout_ns = 10000000000ull;
  size_t nextra = extra ? extra->n : 0;
  struct option *opts = calloc(NCOMMON + nextra + 1, sizeof *opts);
  if (!opts) {
    fprintf(stderr, "%s: out of memory\n", who);
    return -1;
  }
  memcpy(opts, common, sizeof common);
  for (size_t i = 0; i < nextra; i++) {
    opts[NCOMMON + i] = extra->options[i];
    opts[NCOMMON + i].flag = NULL;
    opts[NCOMMON + i].val = OPT_EXTRA + (int)i;
  }
  int rc = 0, c, before = 1;
  /* Which arguments were -f options, to leave out of `forward`. */
  bool *from = calloc((size_t)argc + 1, sizeof *from);
  o->forward = calloc((size_t)argc + 1, sizeof *o->forward);
  if (!from || !o->forward) {
    fprintf(stderr, "%s: out of memory\n", who);
    free(from);
    free(opts);
    return -1;
  }
  optind = 1;
  opterr = 0;
  while (!rc && (c = getopt_long(argc, argv, "f:c:h", opts, NULL)) != -1) {
    if (c == OPT_FROM)
      for (int i = before; i < optind && i < argc; i++)
        from[i] = true;
    before = optind;
    if (c >= OPT_EXTRA)
      rc = extra->on_extra(extra->ctx, (size_t)(c - OPT_EXTRA), optarg) < 0
               ? -2
               : 0;
    else if (c == '?' || c == ':')
      rc = usage_error(who, "bad option or missing value: '%s'",
                       argv[optind - 1]);
    else
      rc = common_option(o, who, c, optarg);
  }
  if (!rc && optind < argc)
    rc = usage_error(who, "unexpected argument '%s'", argv[optind]);
  for (int i = 1; i < argc; i++)
    if (!from[i])
      o->forward[o->nforward++] = argv[i];
  free(from);
  free(opts);
  o->app.variables = o->variables;
  o->app.follow = o->follow;
  o->app.only = o->only;
  o->app.kv_presets = o->kv_presets;
  return rc;
}

void weft__up_options_free(weft__up_options_t *o) {
  free(o->variables);
  free(o->follow);
  free(o->only);
  free(o->kv_presets);
  free(o->forward);
  memset(o, 0, sizeof *o);
}

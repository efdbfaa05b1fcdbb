/* cmd_run.c - `weft run`: run a WASI command, or call a reactor's export. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
    "usage: weft run [options] MODULE.wasm [ARGS...] [-- ARGS...]\n"
    "\n"
    "Run a WebAssembly module: a WASI preview 1 command (its _start), or,\n"
    "with --invoke, one export of a reactor (after its _initialize).\n"
    "MODULE may also be an artifact written by 'weft compile -o'.\n"
    "\n"
    "options:\n"
    "  --dir HOST[::GUEST]   preopen directory HOST as GUEST (repeatable)\n"
    "  --env K=V             set a guest environment variable (repeatable)\n"
    "  --invoke NAME         call core export NAME with ARGS as numbers;\n"
    "                        print its results, one per line\n"
    "  --invoke 'F(A, ...)'  with --wit: call world export F with arguments\n"
    "                        in WAVE; print its result in WAVE\n"
    "  --wit DIR             the module is a component of a WIT world in\n"
    "                        DIR (a package directory or a .wit file)\n"
    "  --world W             the world in DIR (default: its only world)\n"
    "  --deadline DURATION   stop the guest after DURATION (5s, 250ms)\n"
    "  --max-memory SIZE     cap each linear memory (256MiB, 4GiB)\n"
    "  -h, --help            show this help\n"
    "\n"
    "exit status: the guest's proc_exit status; 0 when _start returns;\n"
    "1 load or link error; 2 usage error; 124 deadline exceeded;\n"
    "134 the guest trapped.\n";

typedef struct list {
  const char **v;
  int n;
} list_t;

static int push(list_t *l, const char *s) {
  const char **p = realloc(l->v, (size_t)(l->n + 1) * sizeof *p);
  if (!p)
    return -1;
  l->v = p;
  l->v[l->n++] = s;
  return 0;
}

/* Parse `s` as a value of `type` into *v. */
static int parse_val(const char *s, uint8_t type, weft_core_val_t *v) {
  char *end;
  errno = 0;
  v->type = type;
  switch (type) {
  case WEFT_I32: {
    long long x = strtoll(s, &end, 0);
    if (x < INT32_MIN || x > UINT32_MAX)
      return -1;
    v->of.i32 = (int32_t)(uint32_t)x;
    break;
  }
  case WEFT_I64:
    if (*s == '-')
      v->of.i64 = strtoll(s, &end, 0);
    else
      v->of.i64 = (int64_t)strtoull(s, &end, 0);
    break;
  case WEFT_F32:
    v->of.f32 = strtof(s, &end);
    break;
  case WEFT_F64:
    v->of.f64 = strtod(s, &end);
    break;
  default:
    return -1;
  }
  return *s && !*end && errno == 0 ? 0 : -1;
}

static void print_val(const weft_core_val_t *v) {
  switch (v->type) {
  case WEFT_I32:
    printf("%" PRId32 "\n", v->of.i32);
    break;
  case WEFT_I64:
    printf("%" PRId64 "\n", v->of.i64);
    break;
  case WEFT_F32:
    printf("%.9g\n", (double)v->of.f32);
    break;
  case WEFT_F64:
    printf("%.17g\n", v->of.f64);
    break;
  default:
    printf("ref %p\n", v->of.ref);
  }
}

static uint8_t sig_type(char c) {
  switch (c) {
  case 'i':
    return WEFT_I32;
  case 'l':
    return WEFT_I64;
  case 'f':
    return WEFT_F32;
  case 'd':
    return WEFT_F64;
  case 'r':
    return WEFT_FUNCREF;
  }
  return WEFT_EXTERNREF;
}

static int invoke(weft_instance_t *inst, const char *name, int argc,
                  char **argv) {
  weft_error_t err = {0};
  const char *sig = weft_instance_func_sig(inst, name);
  if (!sig) {
    cli_error("module has no exported function '%s'", name);
    return WEFT_EXIT_FAIL;
  }
  const char *colon = strchr(sig, ':');
  int np = (int)(colon - sig), nr = (int)strlen(colon + 1);
  if (argc != np) {
    cli_error("'%s' takes %d arguments, %d given", name, np, argc);
    return WEFT_EXIT_USAGE;
  }
  weft_core_val_t args[64], res[64];
  if (np > 64 || nr > 64) {
    cli_error("'%s' has too many parameters or results", name);
    return WEFT_EXIT_FAIL;
  }
  for (int i = 0; i < np; i++)
    if (parse_val(argv[i], sig_type(sig[i]), &args[i]) < 0) {
      cli_error("argument %d of '%s': '%s' is not a valid %c value", i + 1,
                name, argv[i], sig[i]);
      return WEFT_EXIT_USAGE;
    }
  if (weft_instance_invoke(inst, name, args, (size_t)np, res, (size_t)nr,
                           &err) < 0) {
    if (err.code == WEFT_EEXIT)
      return err.detail;
    return cli_fail(&err);
  }
  for (int i = 0; i < nr; i++)
    print_val(&res[i]);
  return WEFT_EXIT_OK;
}

/* --invoke with --wit: a call written in WAVE. */
static int invoke_wave(weft_instance_t *inst, const char *call, int nargs) {
  weft_error_t err = {0};
  char *out = NULL;
  if (nargs) {
    cli_error("with --wit, arguments go inside --invoke: 'f(1, \"x\")'");
    return WEFT_EXIT_USAGE;
  }
  if (weft_call_wave(inst, call, &out, &err) < 0) {
    if (err.code == WEFT_EEXIT)
      return err.detail;
    if (err.code == WEFT_EPARSE || err.code == WEFT_ENOTFOUND ||
        err.code == WEFT_ESIGNATURE) {
      cli_error("--invoke: %s", err.msg);
      return WEFT_EXIT_USAGE;
    }
    return cli_fail(&err);
  }
  if (*out)
    puts(out);
  free(out);
  return WEFT_EXIT_OK;
}

int cmd_run(int argc, char **argv) {
  static const struct option opts[] = {
      {"dir", required_argument, NULL, 'd'},
      {"env", required_argument, NULL, 'e'},
      {"invoke", required_argument, NULL, 'i'},
      {"deadline", required_argument, NULL, 't'},
      {"max-memory", required_argument, NULL, 'm'},
      {"wit", required_argument, NULL, 'w'},
      {"world", required_argument, NULL, 'W'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  list_t host = {0}, guest = {0}, env = {0}, gargs = {0};
  const char *invoke_name = NULL, *wit_dir = NULL, *world = NULL;
  weft_wit_t *wit = NULL;
  weft_limits_t limits = {0};
  int rc = WEFT_EXIT_FAIL, c;
  weft_engine_t *engine = NULL;
  weft_module_t *module = NULL;
  weft_linker_t *linker = NULL;
  weft_instance_t *inst = NULL;
  weft_error_t err = {0};
  char **dirs = NULL;

  optind = 1;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case 'd': {
      const char *sep = strstr(optarg, "::");
      push(&host, optarg);
      push(&guest, sep ? sep + 2 : optarg);
      break;
    }
    case 'e':
      if (!strchr(optarg, '=')) {
        rc = cli_usage_error("run", "--env wants K=V, not '%s'", optarg);
        goto out;
      }
      push(&env, optarg);
      break;
    case 'i':
      invoke_name = optarg;
      break;
    case 'w':
      wit_dir = optarg;
      break;
    case 'W':
      world = optarg;
      break;
    case 't':
      if (cli_parse_duration(optarg, &limits.deadline_ns) < 0 ||
          !limits.deadline_ns) {
        rc = cli_usage_error("run", "bad --deadline '%s'", optarg);
        goto out;
      }
      break;
    case 'm':
      if (cli_parse_size(optarg, &limits.max_memory) < 0 ||
          limits.max_memory < 65536) {
        rc = cli_usage_error("run", "bad --max-memory '%s'", optarg);
        goto out;
      }
      break;
    case 'h':
      fputs(usage, stdout);
      rc = WEFT_EXIT_OK;
      goto out;
    default:
      rc = cli_usage_error("run", "bad option");
      goto out;
    }
  }
  if (optind >= argc) {
    rc = cli_usage_error("run", "no module given");
    goto out;
  }
  if (world && !wit_dir) {
    rc = cli_usage_error("run", "--world needs --wit");
    goto out;
  }
  const char *path = argv[optind];
  /* Host directory part of HOST::GUEST. */
  dirs = calloc((size_t)host.n + 1, sizeof *dirs);
  if (!dirs)
    goto out;
  for (int i = 0; i < host.n; i++) {
    const char *sep = strstr(host.v[i], "::");
    dirs[i] = sep ? strndup(host.v[i], (size_t)(sep - host.v[i]))
                  : strdup(host.v[i]);
    host.v[i] = dirs[i];
  }
  push(&gargs, path);
  for (int i = optind + 1; i < argc; i++)
    push(&gargs, argv[i]);

  engine = cli_engine();
  module = weft_module_load_file(engine, path, &err);
  if (!module) {
    rc = cli_fail(&err);
    goto out;
  }
  linker = weft_linker_new(engine);
  weft_wasi_config_t wasi = {
      .argc = gargs.n,
      .argv = gargs.v,
      .envc = env.n,
      .env = env.v,
      .ndirs = host.n,
      .dir_host = host.v,
      .dir_guest = guest.v,
      .stdin_fd = 0,
      .stdout_fd = 1,
      .stderr_fd = 2,
  };
  if (!linker || weft_linker_define_wasi(linker, &wasi, &err) < 0) {
    rc = cli_fail(&err);
    goto out;
  }
  if (wit_dir && (!(wit = weft_wit_load(wit_dir, &err)) ||
                  weft_linker_use_world(linker, wit, world, &err) < 0 ||
                  weft_linker_define_wit_traps(linker, &err) < 0)) {
    rc = cli_fail(&err);
    goto out;
  }
  inst = weft_instance_new(linker, module, &limits, &err);
  if (!inst) {
    rc = err.code == WEFT_EEXIT ? err.detail : cli_fail(&err);
    goto out;
  }
  if (invoke_name) {
    if (weft_instance_func_sig(inst, "_initialize") &&
        weft_instance_invoke(inst, "_initialize", NULL, 0, NULL, 0, &err) <
            0) {
      rc = err.code == WEFT_EEXIT ? err.detail : cli_fail(&err);
      goto out;
    }
    rc = wit ? invoke_wave(inst, invoke_name, gargs.n - 1)
             : invoke(inst, invoke_name, gargs.n - 1, (char **)gargs.v + 1);
    goto out;
  }
  if (!weft_instance_func_sig(inst, "_start")) {
    cli_error("'%s' exports no '_start'; use --invoke NAME for a reactor",
              path);
    rc = WEFT_EXIT_FAIL;
    goto out;
  }
  if (weft_instance_invoke(inst, "_start", NULL, 0, NULL, 0, &err) < 0) {
    rc = err.code == WEFT_EEXIT ? err.detail : cli_fail(&err);
    goto out;
  }
  rc = WEFT_EXIT_OK;
out:
  fflush(stdout);
  weft_instance_free(inst);
  weft_linker_free(linker);
  weft_wit_free(wit);
  weft_module_free(module);
  weft_engine_free(engine);
  for (int i = 0; dirs && i < host.n; i++)
    free(dirs[i]);
  free(dirs);
  free(host.v);
  free(guest.v);
  free(env.v);
  free(gargs.v);
  return rc;
}

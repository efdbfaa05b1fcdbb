/* cmd_flow.c - `weft flow`: check (cmd_flow_check.c), run, trace and
 * bench a stream flow of a flow file (src/flow/flow_run.h). One parser
 * serves run, trace and bench; each says which options it takes. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "flow/flow.h"
#include "flow/flow_run.h"

static const char usage[] =
    "usage: weft flow <command> [options]\n"
    "\n"
    "Stream flows: pipelines of components (sources, processors, filters,\n"
    "routers, aggregators, sinks) joined by bounded queues, described by\n"
    "a flow file in Torvyn.toml's layout.\n"
    "\n"
    "commands:\n"
    "  check   check a flow file and its components without running them\n"
    "  run     run a flow to its end\n"
    "  trace   run a flow for N elements and write a Chrome trace of it\n"
    "  bench   run a flow for a while and measure it\n"
    "\n"
    "Run `weft flow <command> --help` for each one's options.\n";

static const char run_usage[] =
    "usage: weft flow run [--flow NAME] [-f FILE|DIR] [--limit N]\n"
    "                     [--input FILE] [--output FILE] [--json]\n"
    "                     [--nodes A,B] [--consumer NAME]\n"
    "\n"
    "Run a flow until its sources are done and every element has drained,\n"
    "then print each node's counters, the edges and the copies made.\n";

static const char trace_usage[] =
    "usage: weft flow trace [--flow NAME] [-f FILE|DIR] --limit N\n"
    "                       [-o FILE] [--input FILE] [--output FILE]\n"
    "                       [--json]\n"
    "\n"
    "Run a flow for N elements, timing every call of every node, and\n"
    "write the calls as Chrome trace-event JSON (open it in Perfetto,\n"
    "https://ui.perfetto.dev): one track per node, one span per element.\n";

static const char bench_usage[] =
    "usage: weft flow bench [--flow NAME] [-f FILE|DIR] [--duration TIME]\n"
    "                       [--input FILE] [--output FILE] [--json]\n"
    "\n"
    "Pull the flow's sources for TIME (or until they end), then print\n"
    "elements per second, time per element and per hop (node call), the\n"
    "source-to-sink latency percentiles and the copies per element.\n";

static const char common_help[] =
    "\n"
    "options:\n"
    "      --flow NAME      the flow to run (needed when the file has more\n"
    "                       than one)\n"
    "  -f, --file FILE|DIR  the flow file, or a directory holding\n"
    "                       Torvyn.toml or weft-flow.toml (default: .)\n"
    "      --limit N        pull at most N elements from the sources\n"
    "      --input FILE     what sources read on their stdin (each source\n"
    "                       reads the whole file); default: weft's stdin\n"
    "      --output FILE    where sinks write their stdout; default: weft's\n"
    "                       stdout (stderr with --json; /dev/null for bench)\n"
    "      --json           print the report as one JSON object on stdout\n"
    "      --nodes A,B      run only these nodes; edges to or from the\n"
    "                       others must be remote (transport = \"redis\"):\n"
    "                       this process writes or reads their streams\n"
    "      --consumer NAME  this process's name in remote edges' consumer\n"
    "                       groups (default: HOST-PID); a consumer restarted\n"
    "                       under its name first takes its pending entries\n";

static const char trace_help[] =
    "  -o, --out FILE       the trace file (default: trace.json)\n";
static const char bench_help[] =
    "      --duration TIME  how long to pull the sources: 5s, 500ms, 1m\n"
    "                       (default: 5s)\n";
static const char tail_help[] =
    "  -h, --help           show this help\n"
    "\n"
    "Every other output of the components (a sink's stderr, any other\n"
    "node's stdout and stderr) goes to weft's stderr. SIGINT or SIGTERM\n"
    "stops the sources and lets the flow drain; a second one ends weft.\n"
    "\n"
    "exit status: 0 when the flow ran to its end; 1 when it could not start\n"
    "or failed (the message names the node and the error); 2 usage error.\n";

typedef enum mode { MODE_RUN, MODE_TRACE, MODE_BENCH } flow_mode_t;

typedef struct opts {
  flow_mode_t mode;
  const char *flow, *file, *input, *output, *trace_out, *nodes, *consumer;
  uint64_t limit, duration_ns;
  bool json;
} opts_t;

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig) {
  (void)sig;
  stop_requested = 1;
}

static void print_help(flow_mode_t mode) {
  fputs(mode == MODE_RUN     ? run_usage
        : mode == MODE_TRACE ? trace_usage
                             : bench_usage,
        stdout);
  fputs(common_help, stdout);
  if (mode == MODE_TRACE)
    fputs(trace_help, stdout);
  if (mode == MODE_BENCH)
    fputs(bench_help, stdout);
  fputs(tail_help, stdout);
}

/* Parse argv of `weft flow run|trace|bench`. 0, -1 after --help, or the
 * usage error's exit status. */
static int parse(int argc, char **argv, opts_t *o) {
  static const struct option longs[] = {
      {"flow", required_argument, NULL, 'F'},
      {"file", required_argument, NULL, 'f'},
      {"limit", required_argument, NULL, 'l'},
      {"input", required_argument, NULL, 'i'},
      {"output", required_argument, NULL, 'O'},
      {"out", required_argument, NULL, 'o'},
      {"duration", required_argument, NULL, 'd'},
      {"json", no_argument, NULL, 'j'},
      {"nodes", required_argument, NULL, 'N'},
      {"consumer", required_argument, NULL, 'C'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  const char *cmd = argv[0];
  char *end;
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "f:o:h", longs, NULL)) != -1) {
    switch (c) {
    case 'F':
      o->flow = optarg;
      break;
    case 'f':
      o->file = optarg;
      break;
    case 'l':
      errno = 0;
      o->limit = strtoull(optarg, &end, 10);
      if (errno || *end || !*optarg || optarg[0] == '-' || !o->limit)
        return cli_usage_error("flow", "--limit '%s': expected a count above "
                               "0", optarg);
      break;
    case 'i':
      o->input = optarg;
      break;
    case 'O':
      o->output = optarg;
      break;
    case 'o':
      if (o->mode != MODE_TRACE)
        return cli_usage_error("flow", "-o is for `weft flow trace`");
      o->trace_out = optarg;
      break;
    case 'd':
      if (o->mode != MODE_BENCH)
        return cli_usage_error("flow", "--duration is for `weft flow bench`");
      if (cli_parse_duration(optarg, &o->duration_ns) < 0 || !o->duration_ns)
        return cli_usage_error("flow", "--duration '%s': expected a time "
                               "such as 5s or 500ms", optarg);
      break;
    case 'j':
      o->json = true;
      break;
    case 'N':
      if (!*optarg)
        return cli_usage_error("flow", "--nodes: expected node names");
      o->nodes = optarg;
      break;
    case 'C':
      if (!*optarg || strlen(optarg) > 100)
        return cli_usage_error("flow", "--consumer: expected a name of 1 "
                               "to 100 bytes");
      o->consumer = optarg;
      break;
    case 'h':
      print_help(o->mode);
      return -1;
    default:
      return cli_usage_error("flow", "bad option for `weft flow %s`", cmd);
    }
  }
  if (optind < argc)
    return cli_usage_error("flow", "unexpected argument '%s'", argv[optind]);
  if (o->mode == MODE_TRACE && !o->limit)
    return cli_usage_error("flow", "`weft flow trace` needs --limit N");
  return 0;
}

/* The flow to run: --flow NAME, or the file's only flow. */
static const weft__flow_t *pick(const weft__flow_file_t *file,
                                const char *name) {
  if (name) {
    const weft__flow_t *f = weft__flow_find(file, name);
    if (!f)
      cli_error("%s has no flow '%s'", file->path, name);
    return f;
  }
  if (file->nflows == 1)
    return &file->flows[0];
  weft__buf_t b;
  weft__buf_init(&b);
  for (size_t i = 0; i < file->nflows; i++)
    weft__buf_printf(&b, "%s'%s'", i ? ", " : "", file->flows[i].name);
  cli_error("%s has %zu flows (%s): choose one with --flow NAME", file->path,
            file->nflows, b.data ? b.data : "");
  weft__buf_release(&b);
  return NULL;
}

/* Run `flow` as `o` says and print what it says. */
static int run(const opts_t *o, const weft__flow_t *flow) {
  weft_error_t err = {0};
  weft_engine_t *engine = cli_engine();
  weft_wit_t *wit = weft__flow_wit_load(NULL, &err);
  int out_fd = -1, rc = WEFT_EXIT_FAIL;
  weft__flow_run_t *r = NULL;
  if (!wit) {
    cli_fail(&err);
    goto out;
  }
  const char *output = o->output;
  if (!output && o->mode == MODE_BENCH)
    output = "/dev/null";
  if (output &&
      (out_fd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                     0644)) < 0) {
    cli_error("cannot open '%s': %s", output, strerror(errno));
    goto out;
  }
  weft__flow_run_opts_t ro = {
      .engine = engine,
      .wit = wit,
      .limit = o->limit,
      .duration_ns = o->mode == MODE_BENCH
                         ? (o->duration_ns ? o->duration_ns : 5000000000ull)
                         : 0,
      .input = o->input,
      .stdin_fd = 0,
      .stdout_fd = out_fd >= 0 ? out_fd : o->json ? 2 : 1,
      .log_fd = 2,
      .trace = o->mode == MODE_TRACE,
      .latency = o->mode == MODE_BENCH,
      .nodes = o->nodes,
      .consumer = o->consumer,
      .stop = &stop_requested};
  struct sigaction sa = {.sa_handler = on_signal,
                         .sa_flags = (int)SA_RESETHAND};
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  if (!(r = weft__flow_run_new(flow, &ro, &err))) {
    cli_error("flow '%s' cannot start: %s", flow->name, err.msg);
    goto out;
  }
  int failed = weft__flow_run_go(r, &err);
  fflush(stdout);
  if (o->mode == MODE_TRACE) {
    const char *path = o->trace_out ? o->trace_out : "trace.json";
    weft_error_t terr = {0};
    if (weft__flow_trace_write(r, path, &terr) < 0) {
      cli_fail(&terr);
      goto out;
    }
    if (!o->json)
      fprintf(stderr, "weft: trace of flow '%s' written to '%s'\n",
              flow->name, path);
  }
  if (o->json) {
    char *s = weft__flow_report_json(r, o->mode == MODE_BENCH);
    if (s)
      printf("%s\n", s);
    free(s);
  } else if (o->mode == MODE_BENCH) {
    weft__flow_report_bench(r, stdout);
  } else {
    weft__flow_report_text(r, stderr);
  }
  if (failed) {
    cli_error("flow '%s' failed: %s", flow->name, err.msg);
    goto out;
  }
  rc = WEFT_EXIT_OK;
out:
  fflush(stdout);
  weft__flow_run_free(r);
  if (out_fd >= 0)
    close(out_fd);
  weft_wit_free(wit);
  weft_engine_free(engine);
  return rc;
}

int cmd_flow(int argc, char **argv) {
  if (argc < 2) {
    fputs(usage, stderr);
    return WEFT_EXIT_USAGE;
  }
  const char *sub = argv[1];
  if (!strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
    fputs(usage, stdout);
    return WEFT_EXIT_OK;
  }
  if (!strcmp(sub, "check"))
    return cmd_flow_check(argc - 1, argv + 1);
  opts_t o = {0};
  if (!strcmp(sub, "run"))
    o.mode = MODE_RUN;
  else if (!strcmp(sub, "trace"))
    o.mode = MODE_TRACE;
  else if (!strcmp(sub, "bench"))
    o.mode = MODE_BENCH;
  else
    return cli_usage_error("flow", "unknown command '%s'", sub);
  int rc = parse(argc - 1, argv + 1, &o);
  if (rc)
    return rc < 0 ? WEFT_EXIT_OK : rc;
  weft_error_t err = {0};
  weft__flow_file_t *file = weft__flow_file_load(o.file, &err);
  if (!file)
    return cli_fail(&err);
  const weft__flow_t *flow = pick(file, o.flow);
  rc = flow ? run(&o, flow) : WEFT_EXIT_FAIL;
  weft__flow_file_free(file);
  return rc;
}

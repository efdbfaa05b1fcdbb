/* cmd_unit.c - `weft unit`: create, advance, inspect and verify resident
 * units (docs/cli/unit.md). Each subcommand parses its own options; the
 * host side (checking heads, queueing, cycling) is in src/unit/host.c. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "cli.h"
#include "unit/unit.h"

static const char usage[] =
    "usage: weft unit <subcommand> [options]\n"
    "\n"
    "Resident units: one long-lived component whose memory, typed state,\n"
    "policy and signed lineage live in one file (docs/units.md), or in\n"
    "Redis: wherever a UNIT is read, redis://HOST[:PORT][/DB]/NAME works.\n"
    "\n"
    "subcommands:\n"
    "  new      make a unit from code, a schema, a policy and an owner key\n"
    "  step     run one cycle and commit it\n"
    "  run      keep units resident, cycling on their own schedule\n"
    "  send     queue a signed message for the next cycle\n"
    "  verify   check the chain, signatures, admissions and state\n"
    "  show     print the unit's identity, head and state\n"
    "  history  print the lineage, one entry a line\n"
    "  policy   print the policy in force, or apply a signed update\n"
    "  pack     write the unit as one file for another host\n"
    "  unpack   make a unit file from a pack, verifying every byte\n"
    "  push     copy a unit into Redis, where any host may advance it\n"
    "  pull     make a unit file from a unit in Redis\n"
    "\n"
    "Run 'weft unit <subcommand> --help' for its options.\n";

/* ---- new ----------------------------------------------------------------- */

static const char new_usage[] =
    "usage: weft unit new --code X.wasm --schema S.toml --policy P.toml\n"
    "                     --owner KEY -o UNIT\n"
    "\n"
    "Make a unit file: the code is instantiated once (its _initialize run)\n"
    "and its memory becomes the unit's; the genesis entry, signed with the\n"
    "owner's secret key, fixes the code, schema, policy and owner.\n"
    "\n"
    "options:\n"
    "      --code FILE     the component (world weft:unit/unit)\n"
    "      --schema FILE   the state schema (docs/units.md)\n"
    "      --policy FILE   the policy\n"
    "      --owner KEY     the owner's secret key file (weft keygen)\n"
    "  -o, --out UNIT      the file to create (must not exist)\n"
    "  -h, --help          show this help\n";

static int unit_new(int argc, char **argv) {
  static const struct option opts[] = {
      {"code", required_argument, NULL, 'c'},
      {"schema", required_argument, NULL, 's'},
      {"policy", required_argument, NULL, 'p'},
      {"owner", required_argument, NULL, 'k'},
      {"out", required_argument, NULL, 'o'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  const char *code = NULL, *schema = NULL, *policy = NULL, *owner = NULL,
             *out = NULL;
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
    switch (c) {
    case 'c': code = optarg; break;
    case 's': schema = optarg; break;
    case 'p': policy = optarg; break;
    case 'k': owner = optarg; break;
    case 'o': out = optarg; break;
    case 'h': fputs(new_usage, stdout); return WEFT_EXIT_OK;
    default: return cli_usage_error("unit new", "bad option");
    }
  }
  if (optind < argc)
    return cli_usage_error("unit new", "unexpected argument '%s'",
                           argv[optind]);
  if (!code || !schema || !policy || !owner || !out)
    return cli_usage_error("unit new", "--code, --schema, --policy, --owner "
                                       "and -o are required");
  weft_error_t err = {0};
  weft__ukey_t k;
  uint8_t *wasm = NULL, *mem = NULL, *globals = NULL;
  char *stext = NULL, *ptext = NULL;
  size_t wlen, slen, plen, glen = 0;
  uint32_t pages = 0;
  weft__uschema_t *s = NULL;
  weft__upolicy_t *p = NULL;
  weft_engine_t *engine = NULL;
  int rc = weft__unit_init(&err);
  if (rc == 0)
    rc = weft__ukey_read(owner, &k, &err);
  if (rc == 0 && !k.has_sk)
    rc = WEFT_ERR(&err, WEFT_EINVAL,
                  "'%s' is a public key; --owner needs the secret key",
                  owner);
  if (rc == 0)
    rc = weft__read_file(code, &wasm, &wlen, &err);
  if (rc == 0)
    rc = weft__unit_read_text(schema, &stext, &slen, &err);
  if (rc == 0)
    rc = weft__unit_read_text(policy, &ptext, &plen, &err);
  if (rc == 0)
    rc = weft__uschema_parse(stext, slen, schema, &s, &err);
  if (rc == 0)
    rc = weft__upolicy_parse(ptext, plen, policy, s, &p, &err);
  if (rc == 0) {
    engine = cli_engine_canonical_nans();
    rc = weft__unit_initial_memory(engine, wasm, wlen, ptext, s, &mem, &pages,
                                   &globals, &glen, &err);
  }
  if (rc == 0) {
    weft__unew_t n = {.code = wasm,
                      .code_len = wlen,
                      .schema_text = stext,
                      .policy_text = ptext,
                      .owner = &k,
                      .mem_pages = pages,
                      .mem = mem,
                      .globals = globals,
                      .globals_len = glen,
                      .time_ms = weft__unit_now_ms()};
    rc = weft__unitfile_create(out, &n, &err);
  }
  sodium_memzero(&k, sizeof k);
  free(wasm);
  free(mem);
  free(globals);
  free(stext);
  free(ptext);
  weft__uschema_free(s);
  weft__upolicy_free(p);
  if (engine)
    weft_engine_free(engine);
  if (rc < 0)
    return cli_fail(&err);
  printf("created %s\n", out);
  return WEFT_EXIT_OK;
}

static const char *const kind_names[] = {"genesis", "ok", "rejected",
                                         "policy"};

static void print_cycle(const weft__uresult_t *res, void *ctx) {
  (void)ctx;
  if (res->dropped)
    cli_error("dropped %zu message%s from the inbox (%s)", res->dropped,
              res->dropped == 1 ? "" : "s", res->dropped_why);
  printf("cycle %llu: %s%s%s\n", (unsigned long long)res->seq,
         kind_names[res->kind], res->note[0] ? ": " : "", res->note);
}

/* Print a cycle of a step and, for a unit in Redis, renew the lease for
 * the next one. */
static void step_cycle(const weft__uresult_t *res, void *ctx) {
  weft__unitfile_t *u = ctx;
  print_cycle(res, NULL);
  weft__unit_lease_renew(u, weft__unit_lease_ttl(u), NULL);
}

/* How long a command waits for the lease another host holds. */
#define LEASE_WAIT_MS 30000

/* Take the lease of a unit in Redis for a command (nothing for a file). */
static int take_lease(weft__unitfile_t *u, weft_error_t *err) {
  int rc = weft__unit_acquire(u, LEASE_WAIT_MS, err);
  if (rc == 2)
    rc = WEFT_ERR(err, WEFT_EIO, "'%s': another host holds the lease; "
                  "try again", u->path);
  return rc;
}

/* Run the cycles of one step of `u` (weft__unit_step) and print them. */
static int step_one(weft_engine_t *engine, weft__unitfile_t *u,
                    weft_error_t *err) {
  weft__ukey_t host;
  weft__urun_t *r = NULL;
  int rc = weft__unit_host_key(&host, err);
  if (rc == 0)
    rc = take_lease(u, err);
  if (rc == 0)
    rc = weft__urun_open(engine, u, &host, &r, err);
  if (rc == 0)
    rc = weft__unit_step(r, u, step_cycle, u, err);
  weft__urun_free(r);
  weft__unit_lease_release(u);
  sodium_memzero(&host, sizeof host);
  return rc;
}

/* ---- step ---------------------------------------------------------------- */

static const char step_usage[] =
    "usage: weft unit step UNIT [--message FILE --key KEY [--kind KIND]]\n"
    "\n"
    "Open the unit, check its head, run one cycle with the messages waiting\n"
    "in its inbox (and the one given here), and commit it with this host's\n"
    "signature ($WEFT_HOME/host.key, made on first use). A cycle the guest\n"
    "fails (trap, deadline, error) rolls back and is recorded as rejected.\n"
    "Cycles the unit scheduled that fell due run at their due times, up to\n"
    "the policy's max_per_step (default 1) in one step.\n"
    "\n"
    "options:\n"
    "      --message FILE   a message body for this cycle\n"
    "      --key KEY        the sender's secret key, to sign it\n"
    "      --kind KIND      the message's kind (default: message)\n"
    "  -h, --help           show this help\n"
    "\n"
    "exit status: 0 a cycle was committed (ok or rejected); 1 error.\n";

static int unit_step(int argc, char **argv) {
  static const struct option opts[] = {
      {"message", required_argument, NULL, 'm'},
      {"key", required_argument, NULL, 'k'},
      {"kind", required_argument, NULL, 'K'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  const char *msg = NULL, *key = NULL, *kind = "message";
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case 'm': msg = optarg; break;
    case 'k': key = optarg; break;
    case 'K': kind = optarg; break;
    case 'h': fputs(step_usage, stdout); return WEFT_EXIT_OK;
    default: return cli_usage_error("unit step", "bad option");
    }
  }
  if (argc - optind != 1)
    return cli_usage_error("unit step", "expected one unit file");
  if (!msg != !key)
    return cli_usage_error("unit step", "--message and --key go together");
  weft_error_t err = {0};
  weft__unitfile_t *u = NULL;
  int rc = weft__unit_open_checked(argv[optind], &u, &err);
  if (rc == 0 && msg)
    rc = weft__unit_queue(u, msg, key, kind, &err);
  weft_engine_t *engine = rc == 0 ? cli_engine_canonical_nans() : NULL;
  if (rc == 0)
    rc = step_one(engine, u, &err);
  weft__unitfile_close(u);
  if (engine)
    weft_engine_free(engine);
  return rc < 0 ? cli_fail(&err) : WEFT_EXIT_OK;
}

/* ---- send ---------------------------------------------------------------- */

static const char send_usage[] =
    "usage: weft unit send UNIT --message FILE --key KEY [--kind KIND]\n"
    "\n"
    "Sign a message with KEY and queue it in the unit's inbox; the next\n"
    "cycle (weft unit step, or a resident weft unit run) delivers it. The\n"
    "policy must let the key send messages of KIND (default: message).\n";

static int unit_send(int argc, char **argv) {
  static const struct option opts[] = {
      {"message", required_argument, NULL, 'm'},
      {"key", required_argument, NULL, 'k'},
      {"kind", required_argument, NULL, 'K'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  const char *msg = NULL, *key = NULL, *kind = "message";
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case 'm': msg = optarg; break;
    case 'k': key = optarg; break;
    case 'K': kind = optarg; break;
    case 'h': fputs(send_usage, stdout); return WEFT_EXIT_OK;
    default: return cli_usage_error("unit send", "bad option");
    }
  }
  if (argc - optind != 1 || !msg || !key)
    return cli_usage_error("unit send",
                           "expected UNIT, --message FILE and --key KEY");
  weft_error_t err = {0};
  weft__unitfile_t *u = NULL;
  int rc = weft__unit_open_checked(argv[optind], &u, &err);
  if (rc == 0)
    rc = weft__unit_queue(u, msg, key, kind, &err);
  weft__unitfile_close(u);
  if (rc < 0)
    return cli_fail(&err);
  printf("queued '%s' for the next cycle\n", kind);
  return WEFT_EXIT_OK;
}

/* ---- verify -------------------------------------------------------------- */

static const char verify_usage[] =
    "usage: weft unit verify UNIT [--replay] [--against OTHER]\n"
    "\n"
    "Check the unit file: the code hash, the chain of entries, every\n"
    "signature, every write's admission under the policy then in force,\n"
    "the state and memory against the head. The first failure names the\n"
    "entry and the field.\n"
    "\n"
    "options:\n"
    "      --replay         run every cycle again from the start and compare\n"
    "                       the state roots\n"
    "      --against OTHER  compare with another copy of the unit: a fork\n"
    "                       (lineages that differ) fails\n"
    "  -h, --help           show this help\n"
    "\n"
    "exit status: 0 verified; 1 a check failed or the file is unreadable.\n";

static int unit_verify(int argc, char **argv) {
  static const struct option opts[] = {
      {"replay", no_argument, NULL, 'r'},
      {"against", required_argument, NULL, 'a'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  bool replay = false;
  const char *against = NULL;
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case 'r': replay = true; break;
    case 'a': against = optarg; break;
    case 'h': fputs(verify_usage, stdout); return WEFT_EXIT_OK;
    default: return cli_usage_error("unit verify", "bad option");
    }
  }
  if (argc - optind != 1)
    return cli_usage_error("unit verify", "expected one unit file");
  const char *path = argv[optind];
  weft_error_t err = {0};
  weft__unitfile_t *u = NULL, *b = NULL;
  weft_engine_t *engine = NULL;
  uint64_t n = 0;
  int rc = weft__unitfile_open(path, &u, &err);
  if (rc == 0) {
    engine = replay ? cli_engine_canonical_nans() : NULL;
    weft__uverify_opts_t o = {.replay = replay, .engine = engine,
                              .entries = &n};
    rc = weft__unit_verify(u, &o, &err);
  }
  if (rc == 0 && against) {
    int ahead;
    uint64_t common;
    rc = weft__unitfile_open(against, &b, &err);
    if (rc == 0) {
      weft__uverify_opts_t o = {0};
      rc = weft__unit_verify(b, &o, &err);
    }
    if (rc == 0)
      rc = weft__unit_compare(u, b, &ahead, &common, &err);
    if (rc == 0)
      printf("%s and %s agree on %llu entries%s%s\n", path, against,
             (unsigned long long)common,
             ahead == 0 ? "" : "; ahead: ",
             ahead == 0 ? "" : ahead == 1 ? path : against);
  }
  weft__unitfile_close(u);
  weft__unitfile_close(b);
  if (engine)
    weft_engine_free(engine);
  if (rc < 0) {
    cli_error("%s: %s", path, err.msg);
    return WEFT_EXIT_FAIL;
  }
  printf("%s: verified %llu entries%s\n", path, (unsigned long long)n,
         replay ? ", replayed" : "");
  return WEFT_EXIT_OK;
}

/* ---- show and history ---------------------------------------------------- */

static const char show_usage[] =
    "usage: weft unit show UNIT\n"
    "\n"
    "Print the unit's id, owner, code hash, head entry and governed state.\n";

static int unit_show(int argc, char **argv) {
  if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
    fputs(show_usage, stdout);
    return WEFT_EXIT_OK;
  }
  if (argc != 2 || argv[1][0] == '-')
    return cli_usage_error("unit show", "expected one unit file");
  weft_error_t err = {0};
  weft__unitfile_t *u = NULL;
  if (weft__unitfile_open(argv[1], &u, &err) < 0)
    return cli_fail(&err);
  char hex[2 * WEFT__HASH_LEN + 1];
  weft__hex(u->unit_id, WEFT__HASH_LEN, hex);
  printf("unit     %s\n", hex);
  weft__hex(u->owner, WEFT__PK_LEN, hex);
  printf("owner    %s\n", hex);
  weft__hex(u->code_hash, WEFT__HASH_LEN, hex);
  printf("code     %s (%zu bytes)\n", hex, u->code_len);
  printf("world    %s\n", WEFT__UNIT_WORLD);
  printf("memory   %u pages of 64 KiB\n", u->mem_pages);
  weft__hex(u->head.hash, WEFT__HASH_LEN, hex);
  printf("head     entry %llu %s\n", (unsigned long long)u->head.seq, hex);
  printf("state    %zu key%s\n", u->state.n, u->state.n == 1 ? "" : "s");
  for (size_t i = 0; i < u->state.n; i++) {
    weft__buf_t b;
    weft__buf_init(&b);
    weft__uval_show(u->state.ents[i].val, u->state.ents[i].len, &b);
    printf("  %s = %s\n", u->state.ents[i].key, b.data ? b.data : "");
    weft__buf_release(&b);
  }
  weft__unitfile_close(u);
  return WEFT_EXIT_OK;
}

static const char history_usage[] =
    "usage: weft unit history UNIT\n"
    "\n"
    "Print every lineage entry: sequence, kind, time, messages, writes\n"
    "(admitted and denied, with the rule) and the cycle's summary.\n";

static int unit_history(int argc, char **argv) {
  if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
    fputs(history_usage, stdout);
    return WEFT_EXIT_OK;
  }
  if (argc != 2 || argv[1][0] == '-')
    return cli_usage_error("unit history", "expected one unit file");
  weft_error_t err = {0};
  weft__unitfile_t *u = NULL;
  if (weft__unitfile_open(argv[1], &u, &err) < 0)
    return cli_fail(&err);
  static const char *const kinds[] = {"genesis", "cycle", "rejected",
                                      "policy"};
  uint64_t n = weft__unitfile_count(u);
  int rc = 0;
  for (uint64_t seq = 0; rc == 0 && seq < n; seq++) {
    weft__uentry_t e;
    if ((rc = weft__unitfile_entry(u, seq, &e, &err)) < 0)
      break;
    char host[2 * WEFT__PK_LEN + 1];
    weft__hex(e.host, WEFT__PK_LEN, host);
    host[16] = 0;
    printf("%llu %s t=%llu host=%s msgs=%zu", (unsigned long long)seq,
           kinds[e.kind], (unsigned long long)e.time_ms, host, e.nmsgs);
    for (size_t i = 0; i < e.nmuts; i++)
      printf(" %s%s%s%s", e.muts[i].del ? "-" : "", e.muts[i].key,
             e.muts[i].admitted ? "" : ":denied:",
             e.muts[i].admitted ? "" : e.muts[i].rule);
    if (e.nemits)
      printf(" emitted=%zu", e.nemits);
    if (e.note && e.note[0])
      printf(" \"%s\"", e.note);
    printf("\n");
    weft__uentry_release(&e);
  }
  weft__unitfile_close(u);
  return rc < 0 ? cli_fail(&err) : WEFT_EXIT_OK;
}

/* ---- run ----------------------------------------------------------------- */

static const char run_usage[] =
    "usage: weft unit run UNIT... [--for DURATION]\n"
    "\n"
    "A resident host: the units stay in memory and each cycles on its own\n"
    "schedule (the delay its last cycle asked for with schedule.after, its\n"
    "first cycle at once) or when a message arrives in its inbox (weft\n"
    "unit send), never sooner than its policy's min_interval; every cycle\n"
    "is committed before the next. Stops after DURATION, or on SIGINT or\n"
    "SIGTERM.\n"
    "\n"
    "A unit in Redis (redis://HOST[:PORT][/DB]/NAME) is cycled under its\n"
    "lease, taking turns with the other hosts that run it; a Redis that\n"
    "is down, slow or restarted is reported once and retried with\n"
    "backoff, and the unit goes on from its last committed head.\n"
    "\n"
    "options:\n"
    "      --for DURATION   run this long (\"60s\", \"500ms\"); default:\n"
    "                       until stopped\n"
    "  -q, --quiet          do not print a line per cycle\n"
    "  -h, --help           show this help\n";

static volatile sig_atomic_t run_stop;

static void on_stop(int sig) {
  (void)sig;
  run_stop = 1;
}

typedef struct resident {
  weft__unitfile_t *u;
  weft__urun_t *r;     /* NULL while a unit in Redis waits to reload */
  uint64_t head_time, next_ms, min_interval;
  bool genesis;
  bool down;           /* its Redis failed; reported, retrying */
  uint64_t retry_at, backoff; /* ms */
  uint64_t held_since, held_until; /* its lease, while this host holds it */
  uint64_t yield_until; /* after a hold, leave the lease to others */
} resident_t;

/* How long a host keeps the lease of a unit in Redis across its cycles
 * before it lets another host have a turn: a handover costs the next
 * host a reload. */
#define HOLD_MS 200
#define YIELD_MS 10 /* then it leaves the lease alone this long */
#define BUSY_MS 5   /* and looks again this soon at one held elsewhere */

/* Give back the lease of `res`, if held. */
static void let_go(resident_t *res) {
  if (res->held_since)
    weft__unit_lease_release(res->u);
  res->held_since = res->held_until = 0;
}

/* Take the schedule of `res` from its head. */
static void take_schedule(resident_t *res) {
  res->head_time = res->u->head.time_ms;
  res->next_ms = res->u->head.next_ms;
  res->genesis = res->u->head.kind == WEFT__E_GENESIS;
  res->min_interval = res->u->policy->min_interval_ms;
}

/* When `res` wants its next cycle without a message (UINT64_MAX: never). */
static uint64_t due_at(const resident_t *res) {
  if (res->genesis)
    return res->head_time + res->min_interval;
  if (!res->next_ms)
    return UINT64_MAX;
  uint64_t d = res->next_ms - 1;
  if (d < res->min_interval)
    d = res->min_interval;
  return res->head_time + d;
}

static int inbox_waiting(weft__unitfile_t *u) {
  weft__umsg_t *m;
  int64_t *ids;
  size_t n = 0;
  if (weft__unitfile_inbox(u, &m, &ids, &n, NULL) < 0)
    return 0;
  for (size_t i = 0; i < n; i++) {
    free(m[i].kind);
    free(m[i].body);
  }
  free(m);
  free(ids);
  return n > 0;
}

/* Load `res` (a unit in Redis) again at its stored head, with a new run. */
static int reload(weft_engine_t *engine, const weft__ukey_t *host,
                  resident_t *res, weft_error_t *err) {
  weft__urun_free(res->r);
  res->r = NULL;
  int rc = weft__unit_reload(res->u, err);
  if (rc == 0)
    rc = weft__unit_check_head(res->u, err);
  if (rc == 0)
    rc = weft__urun_open(engine, res->u, host, &res->r, err);
  if (rc == 0)
    take_schedule(res);
  return rc;
}

/* A failure of a unit in Redis: Redis down or slow (WEFT_EIO) is reported
 * once and retried with backoff; a commit refused because another host
 * advanced the unit meanwhile (weft__unit_lost_race) just makes it
 * reload. Either
 * way the run may be ahead of the store, so it goes. 0, or `rc` when the
 * failure is not one to ride out. */
static int ride_out(resident_t *res, int rc, const weft_error_t *err,
                    uint64_t now) {
  if (!res->u->redis || (rc != WEFT_EIO && rc != WEFT_EINVAL) ||
      (rc == WEFT_EINVAL && !weft__unit_lost_race(res->u)))
    return rc;
  if (rc == WEFT_EINVAL)
    let_go(res);
  res->held_since = res->held_until = 0; /* it expires */
  weft__urun_free(res->r);
  res->r = NULL;
  if (rc == WEFT_EINVAL) {
    res->retry_at = now;
    return 0;
  }
  if (!res->down)
    cli_error("%s: %s; retrying with backoff", res->u->path, err->msg);
  res->backoff = !res->down ? 100 : res->backoff >= 2500 ? 5000
                                                         : 2 * res->backoff;
  res->down = true;
  res->retry_at = now + res->backoff;
  return 0;
}

/* One turn of `res` at `now`: a cycle if it is due (under the lease, for
 * a unit in Redis). *next is lowered to when it wants the next turn. */
static int turn(weft_engine_t *engine, const weft__ukey_t *host,
                resident_t *res, uint64_t now, bool poll, bool quiet,
                uint64_t *next, uint64_t *cycles, weft_error_t *err) {
  weft__unitfile_t *u = res->u;
  int rc = 0;
  if (!res->r) { /* a unit in Redis to load again */
    if (now < res->retry_at) {
      *next = res->retry_at < *next ? res->retry_at : *next;
      return 0;
    }
    if ((rc = reload(engine, host, res, err)) < 0)
      return ride_out(res, rc, err, now);
    if (res->down)
      cli_error("%s: redis answers again; going on", u->path);
    res->down = false;
  }
  if (res->held_since && now - res->held_since >= HOLD_MS) {
    let_go(res);
    res->yield_until = now + YIELD_MS;
  }
  uint64_t due = due_at(res);
  if (due > now && poll && inbox_waiting(u) &&
      now >= res->head_time + res->min_interval)
    due = now;
  if (due > now) {
    *next = due < *next ? due : *next;
    return 0;
  }
  uint64_t ttl = u->redis ? weft__unit_lease_ttl(u) : 0;
  if (u->redis && !res->held_since) {
    if (now < res->yield_until) {
      *next = res->yield_until < *next ? res->yield_until : *next;
      return 0;
    }
    rc = weft__unit_lease(u, ttl, err);
    if (rc == 2) { /* another host is cycling it: look again soon */
      *next = now + BUSY_MS < *next ? now + BUSY_MS : *next;
      return 0;
    }
    if (rc < 0)
      return ride_out(res, rc, err, now);
    res->held_since = now;
    res->held_until = now + ttl;
    if (rc == 1) { /* another host moved it: reload under the lease */
      if ((rc = reload(engine, host, res, err)) < 0) {
        let_go(res);
        return ride_out(res, rc, err, now);
      }
      if ((due = due_at(res)) > now) { /* held until HOLD_MS */
        *next = due < *next ? due : *next;
        return 0;
      }
    }
  } else if (u->redis && now + ttl / 2 > res->held_until) {
    if ((rc = weft__unit_lease_renew(u, ttl, err)) < 0)
      return ride_out(res, rc, err, now);
    res->held_until = now + ttl;
  }
  weft__uresult_t out;
  rc = weft__unit_cycle_now(res->r, u, res->head_time, &out, err);
  if (rc < 0)
    return ride_out(res, rc, err, now);
  ++*cycles;
  res->genesis = false;
  res->head_time = now > res->head_time ? now : res->head_time;
  res->next_ms = out.next_ms;
  if (out.dropped)
    cli_error("%s: dropped %zu message%s from the inbox (%s)", u->path,
              out.dropped, out.dropped == 1 ? "" : "s", out.dropped_why);
  if (!quiet)
    printf("%s: cycle %llu: %s%s%s\n", u->path, (unsigned long long)out.seq,
           kind_names[out.kind], out.note[0] ? ": " : "", out.note);
  *next = now;
  return 0;
}

static int unit_run(int argc, char **argv) {
  static const struct option opts[] = {{"for", required_argument, NULL, 'f'},
                                       {"quiet", no_argument, NULL, 'q'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  uint64_t for_ns = 0;
  bool quiet = false;
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
    switch (c) {
    case 'f':
      if (cli_parse_duration(optarg, &for_ns) < 0)
        return cli_usage_error("unit run", "bad duration '%s'", optarg);
      break;
    case 'q': quiet = true; break;
    case 'h': fputs(run_usage, stdout); return WEFT_EXIT_OK;
    default: return cli_usage_error("unit run", "bad option");
    }
  }
  size_t n = (size_t)(argc - optind);
  if (n == 0)
    return cli_usage_error("unit run", "expected at least one unit file");
  resident_t *units = calloc(n, sizeof *units);
  weft_error_t err = {0};
  weft__ukey_t host;
  weft_engine_t *engine = NULL;
  int rc = units ? weft__unit_host_key(&host, &err)
                 : WEFT_ERR(&err, WEFT_ENOMEM, "out of memory");
  if (rc == 0)
    engine = cli_engine_canonical_nans();
  for (size_t i = 0; rc == 0 && i < n; i++) {
    resident_t *res = &units[i];
    rc = weft__unit_open_checked(argv[optind + (int)i], &res->u, &err);
    if (rc == 0)
      rc = weft__urun_open(engine, res->u, &host, &res->r, &err);
    if (rc == 0)
      take_schedule(res);
  }
  struct sigaction sa = {.sa_handler = on_stop};
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  uint64_t end = for_ns ? weft__now_ns() + for_ns : UINT64_MAX;
  uint64_t cycles = 0, last_poll = 0;
  while (rc == 0 && !run_stop && weft__now_ns() < end) {
    uint64_t now = weft__unit_now_ms(), next = UINT64_MAX;
    bool poll = now - last_poll >= 50;
    if (poll)
      last_poll = now;
    for (size_t i = 0; rc == 0 && i < n; i++)
      rc = turn(engine, &host, &units[i], now, poll, quiet, &next, &cycles,
                &err);
    fflush(stdout);
    if (rc == 0 && next > now) {
      uint64_t wait = next - now;
      if (wait > 50)
        wait = 50;
      struct timespec ts = {0, (long)wait * 1000000};
      nanosleep(&ts, NULL);
    }
  }
  for (size_t i = 0; units && i < n; i++) {
    if (units[i].u)
      let_go(&units[i]);
    weft__urun_free(units[i].r);
    weft__unitfile_close(units[i].u);
  }
  free(units);
  sodium_memzero(&host, sizeof host);
  if (engine)
    weft_engine_free(engine);
  if (rc < 0)
    return cli_fail(&err);
  printf("%llu cycles\n", (unsigned long long)cycles);
  return WEFT_EXIT_OK;
}

/* ---- policy -------------------------------------------------------------- */

static const char policy_usage[] =
    "usage: weft unit policy UNIT [--apply P.toml --key KEY]\n"
    "\n"
    "Print the policy in force; with --apply, put P.toml in force instead,\n"
    "as an update signed by KEY (one of the policy's admins, the owner by\n"
    "default) and recorded in the lineage.\n";

static int unit_policy(int argc, char **argv) {
  static const struct option opts[] = {
      {"apply", required_argument, NULL, 'a'},
      {"key", required_argument, NULL, 'k'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  const char *apply = NULL, *key = NULL;
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case 'a': apply = optarg; break;
    case 'k': key = optarg; break;
    case 'h': fputs(policy_usage, stdout); return WEFT_EXIT_OK;
    default: return cli_usage_error("unit policy", "bad option");
    }
  }
  if (argc - optind != 1)
    return cli_usage_error("unit policy", "expected one unit file");
  if (!apply != !key)
    return cli_usage_error("unit policy", "--apply and --key go together");
  weft_error_t err = {0};
  weft__unitfile_t *u = NULL;
  weft__ukey_t admin, host;
  char *text = NULL;
  size_t len;
  int rc = weft__unit_open_checked(argv[optind], &u, &err);
  if (rc == 0 && !apply) {
    fputs(u->policy_text, stdout);
  } else if (rc == 0) {
    rc = weft__ukey_read(key, &admin, &err);
    if (rc == 0 && !admin.has_sk)
      rc = WEFT_ERR(&err, WEFT_EINVAL, "'%s' is a public key", key);
    if (rc == 0)
      rc = weft__unit_read_text(apply, &text, &len, &err);
    if (rc == 0)
      rc = weft__unit_host_key(&host, &err);
    if (rc == 0)
      rc = take_lease(u, &err);
    if (rc == 0)
      rc = weft__unit_apply_policy(u, text, apply, &admin, &host, &err);
    weft__unit_lease_release(u);
    if (rc == 0)
      printf("policy updated at entry %llu\n",
             (unsigned long long)u->head.seq + 1);
    sodium_memzero(&admin, sizeof admin);
    sodium_memzero(&host, sizeof host);
  }
  free(text);
  weft__unitfile_close(u);
  return rc < 0 ? cli_fail(&err) : WEFT_EXIT_OK;
}

/* ---- moving units: pack, unpack, push, pull ----------------------------- */

/* The command line of a subcommand that takes `npos` operands and, when
 * `out` is given, a required -o FILE: -1 to go on (operands from
 * argv[optind]), else the exit status to return (after --help, or a usage
 * error that says what was `expected`). */
static int move_args(int argc, char **argv, const char *cmd,
                     const char *help, int npos, const char **out,
                     const char *expected) {
  static const struct option opts[] = {{"out", required_argument, NULL, 'o'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, out ? "o:h" : "h", opts, NULL)) != -1) {
    switch (c) {
    case 'o':
      if (out) {
        *out = optarg;
        break;
      }
      return cli_usage_error(cmd, "bad option");
    case 'h': fputs(help, stdout); return WEFT_EXIT_OK;
    default: return cli_usage_error(cmd, "bad option");
    }
  }
  if (argc - optind != npos || (out && !*out))
    return cli_usage_error(cmd, "expected %s", expected);
  return -1;
}

/* Open the unit at `path` and verify it, counting its entries into *n. */
static int open_verified(const char *path, weft__unitfile_t **u, uint64_t *n,
                         weft_error_t *err) {
  weft__uverify_opts_t o = {.entries = n};
  int rc = weft__unitfile_open(path, u, err);
  return rc < 0 ? rc : weft__unit_verify(*u, &o, err);
}

static const char pack_usage[] =
    "usage: weft unit pack UNIT -o PACK\n"
    "\n"
    "Verify the unit, then write it as one file for another host: the code,\n"
    "schema, policies, lineage, globals and memory, every byte covered by\n"
    "the chain's hashes and signatures (docs/unit-format.md). Messages\n"
    "waiting in the inbox do not travel.\n"
    "\n"
    "options:\n"
    "  -o, --out PACK   the file to write\n"
    "  -h, --help       show this help\n";

static int unit_pack(int argc, char **argv) {
  const char *out = NULL;
  int rc = move_args(argc, argv, "unit pack", pack_usage, 1, &out,
                     "UNIT and -o PACK");
  if (rc >= 0)
    return rc;
  weft_error_t err = {0};
  weft__unitfile_t *u = NULL;
  weft__buf_t b;
  weft__buf_init(&b);
  uint64_t n = 0;
  rc = open_verified(argv[optind], &u, &n, &err);
  if (rc == 0)
    rc = weft__unit_pack(u, &b, &err);
  if (rc == 0)
    rc = weft__write_file_atomic(out, b.data, b.len, &err);
  weft__unitfile_close(u);
  size_t len = b.len;
  weft__buf_release(&b);
  if (rc < 0) {
    cli_error("%s: %s", argv[optind], err.msg);
    return WEFT_EXIT_FAIL;
  }
  printf("packed %llu entries into %s (%zu bytes)\n", (unsigned long long)n,
         out, len);
  return WEFT_EXIT_OK;
}

static const char unpack_usage[] =
    "usage: weft unit unpack PACK -o UNIT\n"
    "\n"
    "Make a unit file from a pack (weft unit pack). The file appears only\n"
    "if the pack parses, the unit verifies (chain, signatures, admissions,\n"
    "state, memory) and the pack is exactly the canonical one of that unit:\n"
    "one changed byte anywhere is refused.\n"
    "\n"
    "options:\n"
    "  -o, --out UNIT   the unit file to create (must not exist)\n"
    "  -h, --help       show this help\n";

static int unit_unpack(int argc, char **argv) {
  const char *out = NULL;
  int rc = move_args(argc, argv, "unit unpack", unpack_usage, 1, &out,
                     "PACK and -o UNIT");
  if (rc >= 0)
    return rc;
  const char *path = argv[optind];
  weft_error_t err = {0};
  uint8_t *data = NULL;
  size_t len = 0;
  rc = weft__read_file(path, &data, &len, &err);
  if (rc == 0)
    rc = weft__unit_unpack(data, len, path, out, &err);
  free(data);
  if (rc < 0)
    return cli_fail(&err);
  printf("unpacked %s into %s\n", path, out);
  return WEFT_EXIT_OK;
}

static const char push_usage[] =
    "usage: weft unit push UNIT redis://HOST[:PORT][/DB]/NAME\n"
    "\n"
    "Verify the unit, then copy it into Redis as unit NAME (which must not\n"
    "exist there yet), in one transaction: the same code, texts, entries,\n"
    "hashes and signatures (docs/unit-format.md, \"In Redis\"). Every host\n"
    "may then advance it under a lease (weft unit run redis://.../NAME).\n"
    "Messages waiting in the inbox do not travel.\n";

static int unit_push(int argc, char **argv) {
  int rc = move_args(argc, argv, "unit push", push_usage, 2, NULL,
                     "UNIT and a redis:// address");
  if (rc >= 0)
    return rc;
  const char *path = argv[optind], *url = argv[optind + 1];
  weft_error_t err = {0};
  weft__unitfile_t *u = NULL;
  uint64_t n = 0;
  rc = open_verified(path, &u, &n, &err);
  if (rc == 0)
    rc = weft__uredis_push(u, url, &err);
  weft__unitfile_close(u);
  if (rc < 0) {
    cli_error("%s: %s", path, err.msg);
    return WEFT_EXIT_FAIL;
  }
  printf("pushed %llu entries to %s\n", (unsigned long long)n, url);
  return WEFT_EXIT_OK;
}

static const char pull_usage[] =
    "usage: weft unit pull redis://HOST[:PORT][/DB]/NAME -o UNIT\n"
    "\n"
    "Make a unit file from a unit in Redis, as of its head now: the unit is\n"
    "verified, packed and unpacked (weft unit unpack), so the file holds\n"
    "exactly what the lineage covers and verifies the same.\n"
    "\n"
    "options:\n"
    "  -o, --out UNIT   the unit file to create (must not exist)\n"
    "  -h, --help       show this help\n";

static int unit_pull(int argc, char **argv) {
  const char *out = NULL;
  int rc = move_args(argc, argv, "unit pull", pull_usage, 1, &out,
                     "a redis:// address and -o UNIT");
  if (rc >= 0)
    return rc;
  const char *url = argv[optind];
  if (!weft__unit_is_redis(url))
    return cli_usage_error("unit pull", "'%s' is not a redis:// address",
                           url);
  weft_error_t err = {0};
  weft__unitfile_t *u = NULL;
  weft__buf_t b;
  weft__buf_init(&b);
  uint64_t n = 0;
  rc = open_verified(url, &u, &n, &err);
  if (rc == 0)
    rc = weft__unit_pack(u, &b, &err);
  if (rc == 0)
    rc = weft__unit_unpack((const uint8_t *)b.data, b.len, u->path, out,
                           &err);
  weft__unitfile_close(u);
  weft__buf_release(&b);
  if (rc < 0) {
    cli_error("%s: %s", url, err.msg);
    return WEFT_EXIT_FAIL;
  }
  printf("pulled %llu entries into %s\n", (unsigned long long)n, out);
  return WEFT_EXIT_OK;
}

/* ---- dispatch ------------------------------------------------------------ */

int cmd_unit(int argc, char **argv) {
  static const struct {
    const char *name;
    int (*fn)(int, char **);
  } subs[] = {{"new", unit_new},         {"step", unit_step},
              {"run", unit_run},     {"send", unit_send},
              {"verify", unit_verify},   {"show", unit_show},
              {"history", unit_history}, {"policy", unit_policy},
              {"pack", unit_pack},       {"unpack", unit_unpack},
              {"push", unit_push},       {"pull", unit_pull}};
  if (argc < 2) {
    fputs(usage, stderr);
    return WEFT_EXIT_USAGE;
  }
  if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
    fputs(usage, stdout);
    return WEFT_EXIT_OK;
  }
  for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
    if (!strcmp(argv[1], subs[i].name))
      return subs[i].fn(argc - 1, argv + 1);
  return cli_usage_error("unit", "unknown subcommand '%s'", argv[1]);
}

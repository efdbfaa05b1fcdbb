/* trigger_latency.c - what bench/trigger-latency.sh measures: the latency
 * of a timer event through the built-in timer trigger and through the
 * external executor weft-trigger-ticker, and what it costs to run
 * built-in trigger types in `weft up`'s own process rather than one child
 * each. All figures come from one run:
 *
 * 1. Event latency, "due -> guest call". A trigger process is stopped
 *    (SIGSTOP) across the instant a tick falls due; then this program reads
 *    CLOCK_MONOTONIC and continues it (SIGCONT). The guest,
 *    tests/guests/timer_stamp.c, writes CLOCK_MONOTONIC (WASI
 *    clock_time_get is the host's clock_gettime) first thing in its call.
 *    The latency is the guest's stamp minus the moment of SIGCONT: the
 *    time from "the tick is due and the process may run" to "the guest's
 *    code runs", with the kernel's resuming of the process, the trigger's
 *    wake-up and decision, taking an instance from the pool and the
 *    canonical ABI call in it. The stop is placed a quarter interval after
 *    a call the trigger made by itself, so it never catches a call half
 *    done, and lasts 1.25 intervals, so that a tick falls due in it (a
 *    call found made meanwhile drops the event: "left out").
 *    Four processes, sampled in turn in the same run:
 *      a. the built-in timer in `weft up` (an app with http + timer +
 *         ticker: the shared process of the choice made);
 *      b. weft-trigger-ticker, the child `weft up` started for the ticker
 *         entries of the same app;
 *      c. the built-in timer alone in a process of its own (`weft trigger
 *         timer`): what a child per built-in type would be;
 *      d. native: a process of this program doing what timer.c does (a
 *         condition variable on CLOCK_MONOTONIC) and writing the stamp
 *         itself, with no wasm: the floor of the method.
 * 2. Sleep overshoot: how late each kind of wait returns past its
 *    deadline, measured here: pthread_cond_timedwait on CLOCK_MONOTONIC
 *    (timer.c's) against weft_stop_wait (what weft-trigger-ticker, and any
 *    executor written as docs/triggers.md shows, sleeps with). The event
 *    latency of 1 does not include it: a tick that falls due while a
 *    trigger sleeps also waits this long.
 * 3. Processes: an app with http + timer as one `weft up` against a
 *    parent `weft up -c HTTP-COMPONENT` plus a child `weft trigger
 *    timer`, both started at once: time until all have printed "Logs:",
 *    RSS and private dirty memory (Private_Dirty: heap, stacks, guest
 *    memories, what each process adds whoever else maps the same files)
 *    once each has served a request and ticked, and CPU
 *    time over the whole life (start, 0.2 s, stop), each the median of 5
 *    starts.
 *
 * Usage: trigger_latency WEFT PLUGINS_DIR APP_DIR [EVENTS]
 *   APP_DIR holds latency.toml (components "builtin" on [[trigger.timer]],
 *   "ext" on [[trigger.ticker]], "hello" on [[trigger.http]]) and
 *   pair.toml (the same without the ticker), each entry at
 *   interval_secs = 1 (run at --speedup 200: 5 ms), and their .wasm
 *   files. PLUGINS_DIR holds weft-trigger-ticker. Exit 1 on any failure. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "trigger/stop.h"
#include "util/util.h"
#include "weft.h"

#define SPEEDUP "200"
#define IV_NS 5000000ull /* interval_secs = 1 at --speedup 200 */
#define MS 1e6

static const char *weft_bin, *plugins, *app_dir;
static char tmp_dir[4096];

/* ---- small helpers ------------------------------------------------------ */

__attribute__((format(printf, 1, 2), noreturn)) static void die(
    const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "trigger_latency: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
  exit(1);
}

static void sleep_until(uint64_t t) {
  struct timespec ts = {.tv_sec = (time_t)(t / 1000000000u),
                        .tv_nsec = (long)(t % 1000000000u)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
    ;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* The nearest-rank percentile p (0..100) of n sorted values. */
static uint64_t pct(const uint64_t *v, size_t n, double p) {
  size_t k = (size_t)(p / 100.0 * (double)n + 0.999999);
  return v[k ? k - 1 : 0];
}

/* ---- processes ---------------------------------------------------------- */

typedef struct proc {
  const char *name;
  pid_t pid;
  int out;          /* read end of its stdout */
  char buf[8192];   /* what it printed, NUL-terminated */
  size_t len;
  uint64_t ready_ns; /* when the last awaited line came */
} proc_t;

/* Start argv with its stdout on a pipe and its stderr in tmp_dir/NAME.err
 * (NULL argv[0]: fork this program into native_timer instead). */
static void spawn(proc_t *p, const char *name, const char *const *argv,
                  void (*child_fn)(void)) {
  int fds[2];
  char errp[4300];
  snprintf(errp, sizeof errp, "%s/%s.err", tmp_dir, name);
  if (pipe2(fds, O_CLOEXEC) < 0)
    die("pipe: %s", strerror(errno));
  memset(p, 0, sizeof *p);
  p->name = name;
  p->pid = fork();
  if (p->pid < 0)
    die("fork: %s", strerror(errno));
  if (p->pid == 0) {
    int e = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fds[1], 1);
    if (e >= 0)
      dup2(e, 2);
    if (child_fn) {
      child_fn();
      _exit(0);
    }
    execv(argv[0], (char *const *)argv); /* execv does not write them */
    fprintf(stderr, "cannot run '%s': %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  close(fds[1]);
  p->out = fds[0];
}

/* die() for process `p`, with what it wrote on stderr. */
__attribute__((noreturn)) static void die_proc(const proc_t *p,
                                               const char *why) {
  char path[4400], text[2048] = "";
  snprintf(path, sizeof path, "%s/%s.err", tmp_dir, p->name);
  int fd = open(path, O_RDONLY);
  ssize_t n = fd >= 0 ? read(fd, text, sizeof text - 1) : 0;
  if (fd >= 0)
    close(fd);
  text[n > 0 ? n : 0] = 0;
  die("%s %s; its stderr:\n%s", p->name, why, text);
}

/* Read what `p` printed until `count` lines start with `prefix` (within
 * 60 s: a cold cache compiles). */
static void await_lines(proc_t *p, const char *prefix, int count) {
  uint64_t end = weft__now_ns() + 60000000000ull;
  for (;;) {
    int seen = 0;
    for (const char *s = p->buf; (s = strstr(s, prefix)); s++)
      seen += s == p->buf || s[-1] == '\n';
    if (seen >= count) {
      p->ready_ns = weft__now_ns();
      return;
    }
    struct pollfd pf = {.fd = p->out, .events = POLLIN};
    uint64_t now = weft__now_ns();
    if (now >= end || poll(&pf, 1, (int)((end - now) / 1000000) + 1) <= 0)
      die_proc(p, "printed no start line in 60 s");
    ssize_t n = read(p->out, p->buf + p->len, sizeof p->buf - 1 - p->len);
    if (n <= 0)
      die_proc(p, "exited before it started");
    p->len += (size_t)n;
    p->buf[p->len] = 0;
  }
}

/* The number after `prefix` in what `p` printed, or 0. */
static long printed_number(const proc_t *p, const char *prefix) {
  const char *s = strstr(p->buf, prefix);
  return s ? strtol(s + strlen(prefix), NULL, 10) : 0;
}

/* SIGTERM, then reap; CPU time (user + system) of its whole life, in ns. */
static uint64_t stop_proc(proc_t *p) {
  struct rusage ru;
  int status;
  kill(p->pid, SIGTERM);
  if (wait4(p->pid, &status, 0, &ru) < 0)
    die("wait4 %s: %s", p->name, strerror(errno));
  close(p->out);
  return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000u +
         (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000u;
}

/* Field `key` ("VmRSS:", "Private_Dirty:") of /proc/PID/FILE, a value
 * in kB, in bytes (0 if not readable). */
static uint64_t proc_kib(pid_t pid, const char *file, const char *key) {
  char path[64], line[256];
  uint64_t v = 0;
  snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
  FILE *f = fopen(path, "r");
  while (f && fgets(line, sizeof line, f))
    if (!strncmp(line, key, strlen(key))) {
      v = strtoull(line + strlen(key), NULL, 10) * 1024u;
      break;
    }
  if (f)
    fclose(f);
  return v;
}

/* One HTTP/1.0 GET of `path` on 127.0.0.1:port; 0 when it answered 200. */
static int http_get(long port, const char *path) {
  char req[512], resp[512];
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
    if (fd >= 0)
      close(fd);
    return -1;
  }
  int n = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\n\r\n", path);
  ssize_t got = write(fd, req, (size_t)n) == n
                    ? read(fd, resp, sizeof resp - 1)
                    : -1;
  close(fd);
  if (got <= 0)
    return -1;
  resp[got] = 0;
  return strstr(resp, " 200 ") ? 0 : -1;
}

/* ---- the native peer ---------------------------------------------------- */

static char native_log[4300];

/* What timer.c does, without wasm: next tick on CLOCK_MONOTONIC, a
 * condition variable waited on until it, the stamp written to the log,
 * missed ticks skipped. Runs until killed. */
static void native_timer(void) {
  pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t cv;
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&cv, &ca);
  int fd = open(native_log, O_WRONLY | O_CREAT | O_APPEND, 0644);
  printf("Logs: %s\n", native_log);
  fflush(stdout);
  uint64_t next = weft__now_ns() + IV_NS;
  pthread_mutex_lock(&mu);
  for (;;) {
    if (next > weft__now_ns()) {
      struct timespec until = {.tv_sec = (time_t)(next / 1000000000u),
                               .tv_nsec = (long)(next % 1000000000u)};
      pthread_cond_timedwait(&cv, &mu, &until);
      continue;
    }
    char line[32];
    int n = snprintf(line, sizeof line, "%llu\n",
                     (unsigned long long)weft__now_ns());
    if (write(fd, line, (size_t)n) != n)
      _exit(1);
    uint64_t now = weft__now_ns();
    next += IV_NS;
    if (next <= now)
      next += ((now - next) / IV_NS + 1) * IV_NS;
  }
}

/* ---- event latency ------------------------------------------------------ */

/* A process sampled, and the log its guest stamps into. */
typedef struct target {
  const char *label;
  pid_t pid;
  char log[4500];
  int fd;        /* the log, open for reading */
  int wd;        /* its inotify watch */
  char part[64]; /* an incomplete last line */
  size_t plen;
  uint64_t *lat; /* the latencies measured */
  size_t nlat, disturbed;
} target_t;

static int inotify_fd;

/* The next stamp of `t` (a complete line), or 0 when none has come by
 * `until`. */
static uint64_t next_stamp(target_t *t, uint64_t until) {
  for (;;) {
    char c;
    while (read(t->fd, &c, 1) == 1) {
      if (c != '\n') {
        if (t->plen < sizeof t->part - 1)
          t->part[t->plen++] = c;
        continue;
      }
      t->part[t->plen] = 0;
      t->plen = 0;
      return strtoull(t->part, NULL, 10);
    }
    uint64_t now = weft__now_ns();
    if (now >= until)
      return 0;
    struct pollfd pf = {.fd = inotify_fd, .events = POLLIN};
    if (poll(&pf, 1, (int)((until - now) / 1000000) + 1) > 0) {
      char ev[4096];
      ssize_t n = read(inotify_fd, ev, sizeof ev);
      (void)n; /* which log changed does not matter: read them */
    }
  }
}

/* Read every stamp already written; how many there were. */
static size_t drain(target_t *t) {
  size_t n = 0;
  while (next_stamp(t, 0))
    n++;
  return n;
}

static void open_log(target_t *t) {
  if ((t->fd = open(t->log, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0)
    die("cannot open '%s': %s", t->log, strerror(errno));
  t->wd = inotify_add_watch(inotify_fd, t->log, IN_MODIFY);
}

static char proc_state(pid_t pid) {
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  int fd = open(path, O_RDONLY);
  ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
  if (fd >= 0)
    close(fd);
  if (n <= 0)
    return '?';
  buf[n] = 0;
  const char *p = strrchr(buf, ')');
  return p && p[1] ? p[2] : '?';
}

/* One event of `t`: wait for a tick it makes by itself, stop it a quarter
 * interval later, continue it 1.25 intervals after that (one tick fell
 * due meanwhile) and time the call that tick makes. */
static void sample(target_t *t) {
  uint64_t free_tick;
  drain(t);
  do {
    if (!(free_tick = next_stamp(t, weft__now_ns() + 100 * IV_NS)))
      die("%s: no tick in %.0f ms", t->label, 100 * IV_NS / MS);
  } while (free_tick + IV_NS / 4 <= weft__now_ns());
  sleep_until(free_tick + IV_NS / 4);
  kill(t->pid, SIGSTOP);
  sleep_until(free_tick + IV_NS * 3 / 2);
  /* A thread in uninterruptible sleep delays the stop. */
  char st;
  for (int k = 0; (st = proc_state(t->pid)) != 'T' && k < 1000; k++)
    sleep_until(weft__now_ns() + 100000u);
  if (st != 'T')
    die("%s (pid %d) did not stop: state %c", t->label, (int)t->pid, st);
  /* A call since free_tick: the stop may have caught one in progress,
   * after which the tick due meanwhile is skipped, not made at once. */
  size_t disturbed = drain(t);
  uint64_t cont = weft__now_ns();
  kill(t->pid, SIGCONT);
  uint64_t s;
  do {
    if (!(s = next_stamp(t, cont + 100 * IV_NS)))
      die("%s: no call after SIGCONT", t->label);
  } while (s < cont); /* a stamp from before the stop */
  if (disturbed)
    t->disturbed++;
  else
    t->lat[t->nlat++] = s - cont;
}

static void print_dist(const char *label, uint64_t *v, size_t n) {
  qsort(v, n, sizeof *v, cmp_u64);
  printf("%s p50 %.3f ms p99 %.3f ms", label, pct(v, n, 50) / MS,
         pct(v, n, 99) / MS);
}

static double p50(uint64_t *v, size_t n) {
  qsort(v, n, sizeof *v, cmp_u64);
  return (double)pct(v, n, 50);
}

static double p99(uint64_t *v, size_t n) {
  qsort(v, n, sizeof *v, cmp_u64);
  return (double)pct(v, n, 99);
}

static void latency(size_t events) {
  char manifest[4300], logs_up[4300], logs_own[4300], env_plug[4400];
  snprintf(manifest, sizeof manifest, "%s/latency.toml", app_dir);
  snprintf(logs_up, sizeof logs_up, "%s/logs-up", tmp_dir);
  snprintf(logs_own, sizeof logs_own, "%s/logs-own", tmp_dir);
  snprintf(env_plug, sizeof env_plug, "WEFT_PLUGINS_DIR=%s", plugins);
  putenv(env_plug);
  const char *up_argv[] = {weft_bin, "up", "-f", manifest, "--listen",
                     "127.0.0.1:0", "--speedup", SPEEDUP, "--log-dir",
                     logs_up, NULL};
  const char *own_argv[] = {weft_bin, "trigger", "timer", "-f", manifest,
                      "--speedup", SPEEDUP, "--log-dir", logs_own, NULL};
  proc_t up, own, native;
  snprintf(native_log, sizeof native_log, "%s/native.txt", tmp_dir);
  spawn(&up, "weft-up", up_argv, NULL);
  spawn(&own, "weft-trigger-timer", own_argv, NULL);
  spawn(&native, "native", NULL, native_timer);
  /* weft up prints Logs:, then the executor's line; the executor prints
   * its own Logs: once it runs. */
  await_lines(&up, "Executor: ", 1);
  await_lines(&up, "Logs: ", 2);
  await_lines(&own, "Logs: ", 1);
  await_lines(&native, "Logs: ", 1);
  const char *ex = strstr(up.buf, "Executor: ");
  const char *pid_at = ex ? strstr(ex, "(pid ") : NULL;
  pid_t ticker = pid_at ? (pid_t)strtol(pid_at + 5, NULL, 10) : 0;
  if (ticker <= 0)
    die("no executor pid in weft up's output");

  target_t t[4] = {
      {.label = "built-in timer in weft up (a):", .pid = up.pid},
      {.label = "ticker executor (b):", .pid = ticker},
      {.label = "built-in timer alone (c):", .pid = own.pid},
      {.label = "native (d):", .pid = native.pid},
  };
  snprintf(t[0].log, sizeof t[0].log, "%s/builtin_stdout.txt", logs_up);
  snprintf(t[1].log, sizeof t[1].log, "%s/ext_stdout.txt", logs_up);
  snprintf(t[2].log, sizeof t[2].log, "%s/builtin_stdout.txt", logs_own);
  snprintf(t[3].log, sizeof t[3].log, "%s", native_log);
  if ((inotify_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK)) < 0)
    die("inotify: %s", strerror(errno));
  for (int i = 0; i < 4; i++) {
    /* A log exists once its component has been called. */
    for (int k = 0; k < 600 && access(t[i].log, R_OK); k++)
      sleep_until(weft__now_ns() + 10 * 1000000u);
    open_log(&t[i]);
    if (!(t[i].lat = calloc(events, sizeof *t[i].lat)))
      die("out of memory");
  }
  /* Warm up: a few events each, not counted. */
  for (int w = 0; w < 5; w++)
    for (int i = 0; i < 4; i++) {
      sample(&t[i]);
      t[i].nlat = t[i].disturbed = 0;
    }
  for (size_t r = 0; r < events; r++)
    for (int k = 0; k < 4; k++) /* each first in turn */
      sample(&t[(k + r) % 4]);
  uint64_t rss_up = proc_kib(up.pid, "status", "VmRSS:"),
           rss_ticker = proc_kib(ticker, "status", "VmRSS:"),
           rss_own = proc_kib(own.pid, "status", "VmRSS:");
  stop_proc(&up);
  stop_proc(&own);
  stop_proc(&native);
  for (int i = 0; i < 4; i++)
    if (!t[i].nlat)
      die("%s: every event left out", t[i].label);

  printf("timer event, due -> guest call (SIGCONT of a process stopped "
         "across a tick), %zu events each, interval %.0f ms, %ld cores\n",
         events, IV_NS / MS, sysconf(_SC_NPROCESSORS_ONLN));
  printf("  ");
  for (int i = 0; i < 4; i++) {
    print_dist(t[i].label, t[i].lat, t[i].nlat);
    printf(i < 3 ? " | " : "\n");
  }
  double a50 = p50(t[0].lat, t[0].nlat), a99 = p99(t[0].lat, t[0].nlat);
  printf("  b/a p50 %.2f p99 %.2f | c/a p50 %.2f p99 %.2f | a/d p50 %.2f"
         " p99 %.2f",
         p50(t[1].lat, t[1].nlat) / a50, p99(t[1].lat, t[1].nlat) / a99,
         p50(t[2].lat, t[2].nlat) / a50, p99(t[2].lat, t[2].nlat) / a99,
         a50 / p50(t[3].lat, t[3].nlat), a99 / p99(t[3].lat, t[3].nlat));
  size_t disturbed = 0;
  for (int i = 0; i < 4; i++)
    disturbed += t[i].disturbed;
  printf(" | left out (a call when stopped): %zu\n", disturbed);
  printf("  rss: weft up (http + timer + supervisor) %.1f MiB, ticker "
         "executor %.1f MiB, weft trigger timer %.1f MiB\n",
         rss_up / 1048576.0, rss_ticker / 1048576.0, rss_own / 1048576.0);
  for (int i = 0; i < 4; i++) {
    close(t[i].fd);
    free(t[i].lat);
  }
  close(inotify_fd);
}

/* ---- sleep overshoot ---------------------------------------------------- */

static void overshoot(size_t n) {
  weft_stop_t *stop;
  weft_error_t err = {0};
  if (weft__stop_new(&stop, &err) < 0)
    die("%s", err.msg);
  pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t cv;
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&cv, &ca);
  uint64_t *cond = calloc(n, sizeof *cond), *sw = calloc(n, sizeof *sw);
  if (!cond || !sw)
    die("out of memory");
  srand(42);
  for (size_t i = 0; i < n; i++) {
    /* Deadlines 1 to 3 ms away, at any phase of the millisecond. */
    uint64_t d = 1000000u + (uint64_t)rand() % 2000000u;
    uint64_t deadline = weft__now_ns() + d;
    struct timespec until = {.tv_sec = (time_t)(deadline / 1000000000u),
                             .tv_nsec = (long)(deadline % 1000000000u)};
    pthread_mutex_lock(&mu);
    while (weft__now_ns() < deadline)
      pthread_cond_timedwait(&cv, &mu, &until);
    pthread_mutex_unlock(&mu);
    cond[i] = weft__now_ns() - deadline;
    deadline = weft__now_ns() + d;
    weft_stop_wait(stop, d);
    sw[i] = weft__now_ns() - deadline;
  }
  printf("timer sleep, how late a wait returns past its deadline (1-3 ms "
         "away), %zu waits each\n  ",
         n);
  print_dist("pthread_cond_timedwait (timer.c) (a):", cond, n);
  printf(" | ");
  print_dist("weft_stop_wait (executors) (b):", sw, n);
  printf(" | b/a p50 %.2f p99 %.2f\n", p50(sw, n) / p50(cond, n),
         p99(sw, n) / p99(cond, n));
  free(cond);
  free(sw);
  weft__stop_free(stop);
}

/* ---- one process or two ------------------------------------------------- */

typedef struct cost {
  double start, rss, dirty, cpu; /* ns, bytes, bytes, ns */
} cost_t;

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Start `n` processes at once, wait until each has printed `logs[i]`
 * "Logs: " lines and its ticks come, GET /hello once, then stop them. */
static cost_t run_set(const char *const *const argvs[], const int *logs,
                      size_t n, const char *tick_log) {
  proc_t p[2];
  cost_t c = {0};
  uint64_t t0 = weft__now_ns(), ready = 0;
  for (size_t i = 0; i < n; i++)
    spawn(&p[i], i ? "set-child" : "set-parent", argvs[i], NULL);
  for (size_t i = 0; i < n; i++) {
    await_lines(&p[i], "Logs: ", logs[i]);
    if (p[i].ready_ns > ready)
      ready = p[i].ready_ns;
  }
  c.start = (double)(ready - t0);
  long port = 0;
  for (size_t i = 0; i < n && !port; i++)
    port = printed_number(&p[i], "Serving http://127.0.0.1:");
  if (!port || http_get(port, "/hello") < 0)
    die("no answer from /hello");
  /* Ticks: wait for the timer's log to grow past 10 lines. */
  struct stat st;
  for (int k = 0; k < 500; k++) {
    if (stat(tick_log, &st) == 0 && st.st_size > 150)
      break;
    sleep_until(weft__now_ns() + 10 * 1000000u);
  }
  sleep_until(t0 + (uint64_t)c.start + 200000000u);
  for (size_t i = 0; i < n; i++) {
    c.rss += (double)proc_kib(p[i].pid, "status", "VmRSS:");
    c.dirty += (double)proc_kib(p[i].pid, "smaps_rollup", "Private_Dirty:");
  }
  for (size_t i = 0; i < n; i++)
    c.cpu += (double)stop_proc(&p[i]);
  return c;
}

static void processes(int reps) {
  char manifest[4300], logs[4300], tick_log[4400];
  snprintf(manifest, sizeof manifest, "%s/pair.toml", app_dir);
  snprintf(logs, sizeof logs, "%s/logs-pair", tmp_dir);
  snprintf(tick_log, sizeof tick_log, "%s/builtin_stdout.txt", logs);
  const char *one[] = {weft_bin, "up", "-f", manifest, "--listen",
                 "127.0.0.1:0", "--speedup", SPEEDUP, "--log-dir", logs,
                 NULL};
  const char *parent[] = {weft_bin, "up", "-f", manifest, "-c", "hello",
                    "--listen", "127.0.0.1:0", "--log-dir", logs, NULL};
  const char *child[] = {weft_bin, "trigger", "timer", "-f", manifest,
                   "--speedup", SPEEDUP, "--log-dir", logs, NULL};
  const char *const *const set_one[] = {one};
  const char *const *const set_two[] = {parent, child};
  static const int logs_one[] = {1}, logs_two[] = {1, 1};
  double v[2][4][16];
  if (reps > 16)
    reps = 16;
  for (int r = 0; r < reps; r++)
    for (int k = 0; k < 2; k++) { /* each first in turn */
      int s = (k + r) % 2;
      unlink(tick_log);
      cost_t c = s ? run_set(set_two, logs_two, 2, tick_log)
                   : run_set(set_one, logs_one, 1, tick_log);
      v[s][0][r] = c.start, v[s][1][r] = c.rss, v[s][2][r] = c.dirty,
      v[s][3][r] = c.cpu;
    }
  double m[2][4];
  for (int s = 0; s < 2; s++)
    for (int f = 0; f < 4; f++) {
      qsort(v[s][f], (size_t)reps, sizeof(double), cmp_double);
      m[s][f] = v[s][f][reps / 2];
    }
  printf("trigger processes, an app with http + timer, median of %d "
         "starts each\n",
         reps);
  static const char *const label[2] = {
      "one weft up (a):", "weft up -c http + weft trigger timer (b):"};
  printf("  ");
  for (int s = 0; s < 2; s++)
    printf("%s start %.1f ms rss %.1f MiB dirty %.1f MiB cpu %.0f ms%s",
           label[s], m[s][0] / MS, m[s][1] / 1048576.0,
           m[s][2] / 1048576.0, m[s][3] / MS, s ? "\n" : " | ");
  printf("  b/a start %.2f rss %.2f dirty %.2f cpu %.2f\n", m[1][0] / m[0][0],
         m[1][1] / m[0][1], m[1][2] / m[0][2], m[1][3] / m[0][3]);
}

int main(int argc, char **argv) {
  if (argc < 4)
    die("usage: trigger_latency WEFT PLUGINS_DIR APP_DIR [EVENTS]");
  weft_bin = argv[1];
  plugins = argv[2];
  app_dir = argv[3];
  size_t events = argc > 4 ? strtoul(argv[4], NULL, 10) : 300;
  if (!events)
    die("EVENTS must be at least 1");
  snprintf(tmp_dir, sizeof tmp_dir, "%s/run", app_dir);
  weft_error_t err = {0};
  if (weft__mkdirs(tmp_dir, &err) < 0)
    die("%s", err.msg);
  signal(SIGPIPE, SIG_IGN);
  setvbuf(stdout, NULL, _IOLBF, 0);
  latency(events);
  overshoot(events);
  processes(5);
  return 0;
}

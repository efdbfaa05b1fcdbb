/* supervisor.c - external trigger executors under `weft up` (supervisor.h).
 *
 * One child process per external trigger type. Children are started with
 * fork + execve (no shell): between the two the child only makes
 * async-signal-safe calls, since `weft up` already runs threads (HTTP,
 * timers) that may hold locks. The child joins a process group of its own,
 * asks for SIGTERM when its parent dies (PR_SET_PDEATHSIG, checked against
 * getppid() afterwards in case the parent died first), marks every
 * inherited descriptor close-on-exec (the HTTP listening socket and log
 * pipes must not outlive `weft up` in an executor), and reads stdin from
 * /dev/null. An exec failure comes back through a close-on-exec pipe, so
 * a start fails with its reason instead of as an exit status.
 *
 * The watching loop polls waitpid(pid, WNOHANG) on each child every
 * TICK_NS rather than waiting for SIGCHLD: a signal goes to whichever of
 * the app's threads does not block it, and a poll needs no signal setup
 * shared with the rest of the process. Reaping is by pid, never
 * waitpid(-1), so other children of the process are left alone. When an
 * executor exits, whatever is left in its process group is killed at
 * once: with its leader gone it is an orphan nobody would stop.
 *
 * PR_SET_PDEATHSIG fires when the thread that forked dies, not the
 * process: children are forked by the thread that calls
 * weft__supervisor_start and _run, `weft up`'s main thread, which lives as
 * long as the process. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "trigger/supervisor.h"
#include "util/util.h"

extern char **environ;

#define MS 1000000ull
#define SEC 1000000000ull
#define BACKOFF_MIN_NS (100 * MS)
#define BACKOFF_MAX_NS (10 * SEC)
/* A child that ran this long before exiting was healthy: its next
 * restart waits BACKOFF_MIN_NS again. */
#define HEALTHY_NS (10 * SEC)
/* How often the loops look at the children. */
#define TICK_NS (20 * MS)
#define DEFAULT_STOP_TIMEOUT_NS (10 * SEC)
#define DEFAULT_MAX_RESTARTS 5
#define DEFAULT_WINDOW_SECS 60
/* Restart times are kept, one per restart, within the window. */
#define MAX_MAX_RESTARTS 10000

/* The environment variables the supervisor sets for an executor. */
static const char *const own_vars[] = {
    "WEFT_MANIFEST_URL", "WEFT_TRIGGER_TYPE", "WEFT_WORKING_DIR",
    "SPIN_MANIFEST_URL", "SPIN_TRIGGER_TYPE", NULL};

/* [application.trigger.T] keys read here. */
typedef struct policy {
  bool leave_down;       /* on_failure = "leave-down" */
  int64_t max_restarts;  /* within the window; more is a failure */
  int64_t window_secs;
} policy_t;

/* NOT_STARTED -> RUNNING -> WAITING (backoff) -> RUNNING ... -> DOWN. */
typedef enum { NOT_STARTED = 0, RUNNING, WAITING, DOWN } state_t;

typedef struct child {
  const char *type;   /* borrowed from the manifest */
  char *name;         /* weft-trigger-T */
  char *path;         /* where it was found */
  char **argv;        /* path, weft up's options; strings borrowed */
  char **envp;        /* environ with own_vars replaced; owned */
  policy_t policy;
  state_t state;
  pid_t pid;          /* RUNNING: the child, also its process group */
  uint64_t started_ns;
  uint64_t restart_at_ns; /* WAITING: when to start it again */
  uint64_t backoff_ns;    /* the next restart's delay */
  uint64_t *restarts;     /* ring of restart times, policy.max_restarts */
  size_t first, nrestarts;
} child_t;

struct weft__supervisor {
  child_t *children;
  size_t n;
  uint64_t stop_timeout_ns;
};

/* ---- the manifest: types, settings --------------------------------- */

static bool listed(const char *const *ids, size_t n, const char *id) {
  for (size_t i = 0; i < n; i++)
    if (!strcmp(ids[i], id) || !strcmp(ids[i], "*"))
      return true;
  return false;
}

/* The external types that run, once each, in file order: a type runs when
 * some [[trigger.T]] of it has a component chosen with -c (or no -c). */
static size_t external_types(const weft__supervisor_config_t *cfg,
                             const char **types) {
  const weft__manifest_t *m = cfg->m;
  size_t n = 0;
  for (size_t i = 0; i < m->triggers_len; i++) {
    const weft__manifest_trigger_t *t = &m->triggers[i];
    if (t->kind != WEFT__TRIGGER_OTHER ||
        (cfg->nonly && !listed(cfg->only, cfg->nonly, t->component_id)))
      continue;
    size_t j = 0;
    while (j < n && strcmp(types[j], t->type))
      j++;
    if (j == n)
      types[n++] = t->type;
  }
  return n;
}

/* An integer setting within [lo, hi], or its default when absent. */
static int read_int(const weft__toml_t *table, const char *type,
                    const char *key, int64_t lo, int64_t hi, int64_t *out,
                    weft_error_t *err) {
  int rc = weft__toml_get_int(table, key, out, err);
  if (rc == WEFT_ENOTFOUND)
    return 0;
  if (rc < 0)
    return rc;
  if (*out < lo || *out > hi) {
    const weft__toml_kv_t *kv = weft__toml_get_kv(table, key);
    return WEFT_ERR(err, WEFT_EINVAL,
                    "%s:%d: '%s' in [application.trigger.%s] must be "
                    "between %lld and %lld",
                    table->file, kv->line, key, type, (long long)lo,
                    (long long)hi);
  }
  return 0;
}

/* Read T's policy from [application.trigger.T], if written. */
static int read_policy(const weft__manifest_t *m, const char *type,
                       policy_t *p, weft_error_t *err) {
  const weft__toml_t *table = NULL;
  const char *s;
  int rc;
  *p = (policy_t){.max_restarts = DEFAULT_MAX_RESTARTS,
                  .window_secs = DEFAULT_WINDOW_SECS};
  for (size_t i = 0; i < m->app.trigger_settings_len; i++)
    if (!strcmp(m->app.trigger_settings[i].type, type))
      table = m->app.trigger_settings[i].table;
  if (!table)
    return 0;
  rc = weft__toml_get_string(table, "on_failure", &s, err);
  if (rc == 0) {
    if (!strcmp(s, "leave-down"))
      p->leave_down = true;
    else if (strcmp(s, "stop"))
      return WEFT_ERR(err, WEFT_EINVAL,
                      "%s:%d: 'on_failure' in [application.trigger.%s] "
                      "must be \"stop\" or \"leave-down\"",
                      table->file,
                      weft__toml_get_kv(table, "on_failure")->line, type);
  } else if (rc != WEFT_ENOTFOUND) {
    return rc;
  }
  if ((rc = read_int(table, type, "max_restarts", 0, MAX_MAX_RESTARTS,
                     &p->max_restarts, err)) < 0 ||
      (rc = read_int(table, type, "restart_window_secs", 1,
                     INT64_MAX / (int64_t)SEC, &p->window_secs, err)) < 0)
    return rc;
  return 0;
}

/* ---- finding executors ------------------------------------------------ */

static bool is_executable(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
         access(path, X_OK) == 0;
}

/* `dir`/`name` (`len` bytes of dir) when it is an executable file: a new
 * string, or NULL. An empty dir is the current one, as in PATH. */
static char *in_dir(const char *dir, size_t len, const char *name,
                    int *nomem) {
  weft__buf_t b;
  weft__buf_init(&b);
  if ((len ? weft__buf_add(&b, dir, len) : weft__buf_puts(&b, ".")) ||
      weft__buf_puts(&b, "/") || weft__buf_puts(&b, name)) {
    weft__buf_release(&b);
    *nomem = 1;
    return NULL;
  }
  if (is_executable(b.data))
    return b.data;
  weft__buf_release(&b);
  return NULL;
}

/* Where executor `name` is: in $WEFT_PLUGINS_DIR, else on PATH. */
static int find_executor(const char *type, const char *name, char **out,
                         weft_error_t *err) {
  const char *plugins = getenv("WEFT_PLUGINS_DIR");
  const char *path = getenv("PATH");
  int nomem = 0;
  *out = NULL;
  if (plugins && *plugins)
    *out = in_dir(plugins, strlen(plugins), name, &nomem);
  while (!*out && !nomem && path) {
    const char *colon = strchr(path, ':');
    size_t len = colon ? (size_t)(colon - path) : strlen(path);
    *out = in_dir(path, len, name, &nomem);
    path = colon ? colon + 1 : NULL;
  }
  if (nomem)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  if (*out)
    return 0;
  if (plugins && *plugins)
    return WEFT_ERR(err, WEFT_ENOENT,
                    "no executor for trigger type '%s': %s is not in "
                    "$WEFT_PLUGINS_DIR (%s) nor on PATH",
                    type, name, plugins);
  return WEFT_ERR(err, WEFT_ENOENT,
                  "no executor for trigger type '%s': %s is not on PATH "
                  "($WEFT_PLUGINS_DIR is not set)",
                  type, name);
}

/* ---- the executor's environment ---------------------------------------- */

/* Append `path` to `b` as the path of a URL: bytes other than unreserved
 * ones, sub-delimiters, ':', '@' and '/' percent-encoded. */
static int add_url_path(weft__buf_t *b, const char *path) {
  static const char keep[] = "-._~!$&'()*+,;=:@/";
  for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
    int rc = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                     (*p >= '0' && *p <= '9') || strchr(keep, *p)
                 ? weft__buf_add(b, p, 1)
                 : weft__buf_printf(b, "%%%02X", *p);
    if (rc)
      return rc;
  }
  return 0;
}

static bool is_own_var(const char *entry) {
  for (size_t i = 0; own_vars[i]; i++) {
    size_t len = strlen(own_vars[i]);
    if (!strncmp(entry, own_vars[i], len) && entry[len] == '=')
      return true;
  }
  return false;
}

static void free_strv(char **v) {
  if (!v)
    return;
  for (size_t i = 0; v[i]; i++)
    free(v[i]);
  free(v);
}

/* environ without own_vars, then own_vars set for `type`: a new
 * NULL-terminated array of new strings (free_strv). */
static int make_env(const char *url, const char *dir, const char *type,
                    char ***out, weft_error_t *err) {
  const char *values[] = {url, type, dir, url, type};
  size_t n = 0, k = 0;
  while (environ[n])
    n++;
  char **env = calloc(n + sizeof values / sizeof values[0] + 1, sizeof *env);
  if (!env)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  for (size_t i = 0; i < n; i++)
    if (!is_own_var(environ[i]) && !(env[k++] = weft__strdup(environ[i])))
      goto nomem;
  for (size_t i = 0; own_vars[i]; i++) {
    weft__buf_t b;
    weft__buf_init(&b);
    if (weft__buf_printf(&b, "%s=%s", own_vars[i], values[i])) {
      weft__buf_release(&b);
      goto nomem;
    }
    env[k++] = b.data;
  }
  *out = env;
  return 0;
nomem:
  free_strv(env);
  return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
}

/* The manifest's file:// URL and its absolute directory. */
static int manifest_location(const weft__manifest_t *m, char **url,
                             char **dir, weft_error_t *err) {
  char *file = realpath(m->file, NULL);
  weft__buf_t b;
  weft__buf_init(&b);
  *url = NULL;
  *dir = NULL;
  if (!file)
    return WEFT_ERR(err, WEFT_EIO, "cannot resolve '%s': %s", m->file,
                    strerror(errno));
  if (!(*dir = realpath(m->dir, NULL))) {
    free(file);
    return WEFT_ERR(err, WEFT_EIO, "cannot resolve '%s': %s", m->dir,
                    strerror(errno));
  }
  int rc = weft__buf_puts(&b, "file://") || add_url_path(&b, file);
  free(file);
  if (rc) {
    weft__buf_release(&b);
    free(*dir);
    *dir = NULL;
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  }
  *url = b.data;
  return 0;
}

/* ---- children -------------------------------------------------------- */

static void child_release(child_t *c) {
  free(c->name);
  free(c->path);
  free(c->argv);
  free_strv(c->envp);
  free(c->restarts);
}

/* Fill in `c` for `type`: settings, executor, argv, environment. */
static int child_init(child_t *c, const weft__supervisor_config_t *cfg,
                      const char *type, const char *url, const char *dir,
                      weft_error_t *err) {
  weft__buf_t name;
  int rc;
  c->type = type;
  c->backoff_ns = BACKOFF_MIN_NS;
  if ((rc = read_policy(cfg->m, type, &c->policy, err)) < 0)
    return rc;
  weft__buf_init(&name);
  if (weft__buf_printf(&name, "weft-trigger-%s", type))
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  c->name = name.data;
  if ((rc = find_executor(type, c->name, &c->path, err)) < 0)
    return rc;
  c->argv = calloc((size_t)cfg->nargs + 2, sizeof *c->argv);
  c->restarts = calloc((size_t)c->policy.max_restarts + 1,
                       sizeof *c->restarts);
  if (!c->argv || !c->restarts)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  c->argv[0] = c->path;
  for (int i = 0; i < cfg->nargs; i++)
    c->argv[i + 1] = cfg->args[i];
  return make_env(url, dir, type, &c->envp, err);
}

/* In the child, between fork and exec: async-signal-safe calls only. */
static void exec_child(const child_t *c, pid_t parent, int report_fd) {
  struct sigaction dfl = {.sa_handler = SIG_DFL};
  sigset_t none;
  int e, fd;
  /* Our SIGTERM and SIGINT handlers would swallow the death signal that
   * comes before execve; `weft up` ignores SIGPIPE. An executor starts
   * with the defaults. */
  sigemptyset(&dfl.sa_mask);
  sigaction(SIGTERM, &dfl, NULL);
  sigaction(SIGINT, &dfl, NULL);
  sigaction(SIGPIPE, &dfl, NULL);
  setpgid(0, 0);
  if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
    _exit(127); /* the parent is already gone */
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  if ((fd = open("/dev/null", O_RDONLY)) < 0 || dup2(fd, 0) < 0)
    goto fail;
  if (fd > 0)
    close(fd);
  /* Descriptors not opened O_CLOEXEC stay with weft up. */
  if (close_range(3, ~0u, CLOSE_RANGE_CLOEXEC) < 0)
    for (fd = 3; fd < 65536; fd++)
      fcntl(fd, F_SETFD, FD_CLOEXEC);
  execve(c->path, c->argv, c->envp);
fail:
  e = errno;
  ssize_t w = write(report_fd, &e, sizeof e);
  (void)w; /* nothing more to do about it here */
  _exit(127);
}

/* Start `c`'s executor: 0, or a positive errno when it could not be
 * started (fork or exec failed). */
static int spawn(child_t *c) {
  pid_t parent = getpid(), pid;
  int fds[2], e = 0;
  ssize_t r;
  if (pipe2(fds, O_CLOEXEC) < 0)
    return errno;
  if ((pid = fork()) < 0) {
    e = errno;
    close(fds[0]);
    close(fds[1]);
    return e;
  }
  if (pid == 0)
    exec_child(c, parent, fds[1]);
  close(fds[1]);
  /* Whichever of the two setpgid calls comes first makes the group, so
   * it exists before anyone signals it. */
  setpgid(pid, pid);
  do
    r = read(fds[0], &e, sizeof e);
  while (r < 0 && errno == EINTR);
  close(fds[0]);
  if (r == (ssize_t)sizeof e) {
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
      ;
    return e ? e : EIO;
  }
  c->pid = pid;
  c->state = RUNNING;
  c->started_ns = weft__now_ns();
  return 0;
}

/* "exited with status 1", "killed by signal 9". */
static void describe(int status, char *buf, size_t size) {
  if (WIFEXITED(status))
    snprintf(buf, size, "exited with status %d", WEXITSTATUS(status));
  else if (WIFSIGNALED(status))
    snprintf(buf, size, "killed by signal %d", WTERMSIG(status));
  else
    snprintf(buf, size, "stopped (status 0x%x)", (unsigned)status);
}

/* Forget restarts older than the window. */
static void expire_restarts(child_t *c, uint64_t now) {
  uint64_t window = (uint64_t)c->policy.window_secs * SEC;
  size_t cap = (size_t)c->policy.max_restarts + 1;
  while (c->nrestarts && now - c->restarts[c->first] >= window) {
    c->first = (c->first + 1) % cap;
    c->nrestarts--;
  }
}

static void note_restart(child_t *c, uint64_t now) {
  size_t cap = (size_t)c->policy.max_restarts + 1;
  if (c->nrestarts == cap) { /* cannot happen: failed before that */
    c->first = (c->first + 1) % cap;
    c->nrestarts--;
  }
  c->restarts[(c->first + c->nrestarts) % cap] = now;
  c->nrestarts++;
}

/* `c` stopped running (`what` says how; `pid` was its process): schedule
 * its restart, or leave it down, or fail. Returns 0, or WEFT_EIO with a
 * message when the app must stop. */
static int child_ended(child_t *c, pid_t pid, const char *what,
                       weft_error_t *err) {
  uint64_t now = weft__now_ns();
  char who[160];
  if (pid > 0)
    snprintf(who, sizeof who, "trigger '%s' (%s, pid %d)", c->type, c->name,
             (int)pid);
  else
    snprintf(who, sizeof who, "trigger '%s' (%s)", c->type, c->name);
  c->pid = 0;
  if (now - c->started_ns >= HEALTHY_NS)
    c->backoff_ns = BACKOFF_MIN_NS;
  expire_restarts(c, now);
  if ((int64_t)c->nrestarts < c->policy.max_restarts) {
    fprintf(stderr, "weft: %s %s; restarting in %.3gs\n", who, what,
            (double)c->backoff_ns / 1e9);
    c->state = WAITING;
    c->restart_at_ns = now + c->backoff_ns;
    c->backoff_ns = c->backoff_ns * 2 > BACKOFF_MAX_NS ? BACKOFF_MAX_NS
                                                       : c->backoff_ns * 2;
    return 0;
  }
  c->state = DOWN;
  if (c->policy.leave_down) {
    fprintf(stderr,
            "weft: %s %s after %zu restarts within %llds; leaving it down "
            "(on_failure = \"leave-down\")\n",
            who, what, c->nrestarts, (long long)c->policy.window_secs);
    return 0;
  }
  return WEFT_ERR(err, WEFT_EIO, "%s %s after %zu restarts within %llds; "
                  "stopping the app",
                  who, what, c->nrestarts, (long long)c->policy.window_secs);
}

/* Signal `c`'s process group. Never with a pid of 0 or less: kill(0)
 * and kill(-1) would signal our own group, or everyone. */
static void kill_group(const child_t *c, int sig) {
  if (c->pid > 0)
    kill(-c->pid, sig);
}

/* Reap `c` if its executor has exited (status in *status): 1, else 0.
 * What it left in its process group is killed. */
static int reap(child_t *c, int *status) {
  pid_t r;
  while ((r = waitpid(c->pid, status, WNOHANG)) < 0 && errno == EINTR)
    ;
  if (r == 0)
    return 0;
  if (r < 0) /* not our child any more: nothing to wait for */
    *status = 0;
  kill_group(c, SIGKILL);
  return 1;
}

static void sleep_ns(uint64_t ns) {
  struct timespec ts = {(time_t)(ns / SEC), (long)(ns % SEC)};
  nanosleep(&ts, NULL); /* a signal cuts it short: fine */
}

/* ---- the supervisor --------------------------------------------------- */

static void supervisor_free(weft__supervisor_t *s) {
  for (size_t i = 0; i < s->n; i++)
    child_release(&s->children[i]);
  free(s->children);
  free(s);
}

/* Build the supervisor, starting nothing. *out is NULL when the app has
 * no external trigger. */
static int prepare(const weft__supervisor_config_t *cfg,
                   weft__supervisor_t **out, weft_error_t *err) {
  const weft__manifest_t *m = cfg->m;
  const char **types = NULL;
  char *url = NULL, *dir = NULL;
  weft__supervisor_t *s = NULL;
  int rc = 0;
  *out = NULL;
  types = calloc(m->triggers_len + 1, sizeof *types);
  if (!types)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  size_t n = external_types(cfg, types);
  if (!n)
    goto out;
  if ((rc = manifest_location(m, &url, &dir, err)) < 0)
    goto out;
  s = calloc(1, sizeof *s);
  if (!s || !(s->children = calloc(n, sizeof *s->children))) {
    rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
    goto out;
  }
  s->stop_timeout_ns =
      cfg->stop_timeout_ns ? cfg->stop_timeout_ns : DEFAULT_STOP_TIMEOUT_NS;
  for (s->n = 0; s->n < n; s->n++)
    if ((rc = child_init(&s->children[s->n], cfg, types[s->n], url, dir,
                         err)) < 0) {
      s->n++; /* released with the others */
      goto out;
    }
  *out = s;
  s = NULL;
out:
  if (s)
    supervisor_free(s);
  free(url);
  free(dir);
  free(types);
  return rc;
}

int weft__supervisor_check(const weft__supervisor_config_t *cfg,
                           weft_error_t *err) {
  weft__supervisor_t *s;
  int rc = prepare(cfg, &s, err);
  if (s)
    supervisor_free(s);
  return rc;
}

int weft__supervisor_start(const weft__supervisor_config_t *cfg,
                           weft__supervisor_t **out, weft_error_t *err) {
  weft__supervisor_t *s;
  int rc = prepare(cfg, &s, err);
  *out = NULL;
  if (rc < 0 || !s)
    return rc;
  for (size_t i = 0; i < s->n; i++) {
    child_t *c = &s->children[i];
    int e = spawn(c);
    if (e) {
      rc = WEFT_ERR(err, WEFT_EIO, "trigger '%s': cannot run '%s': %s",
                    c->type, c->path, strerror(e));
      weft__supervisor_stop(s);
      return rc;
    }
    printf("Executor: %s (pid %d)\n", c->path, (int)c->pid);
  }
  fflush(stdout);
  *out = s;
  return 0;
}

int weft__supervisor_run(weft__supervisor_t *s,
                         volatile sig_atomic_t *stopping, weft_error_t *err) {
  while (!*stopping) {
    uint64_t now = weft__now_ns(), nap = TICK_NS;
    for (size_t i = 0; s && i < s->n; i++) {
      child_t *c = &s->children[i];
      char what[64];
      int status, rc, e;
      pid_t pid = c->pid;
      if (c->state == RUNNING && reap(c, &status)) {
        describe(status, what, sizeof what);
        if ((rc = child_ended(c, pid, what, err)) < 0)
          return rc;
      }
      if (c->state != WAITING || *stopping)
        continue;
      if (c->restart_at_ns > now) {
        if (c->restart_at_ns - now < nap)
          nap = c->restart_at_ns - now;
        continue;
      }
      note_restart(c, now);
      if ((e = spawn(c)) != 0) {
        snprintf(what, sizeof what, "could not be started: %s",
                 strerror(e));
        if ((rc = child_ended(c, 0, what, err)) < 0)
          return rc;
      }
    }
    if (!*stopping)
      sleep_ns(nap);
  }
  return 0;
}

void weft__supervisor_stop(weft__supervisor_t *s) {
  if (!s)
    return;
  size_t running = 0;
  int status;
  for (size_t i = 0; i < s->n; i++)
    if (s->children[i].state == RUNNING) {
      kill_group(&s->children[i], SIGTERM);
      running++;
    }
  uint64_t deadline = weft__now_ns() + s->stop_timeout_ns;
  while (running && weft__now_ns() < deadline) {
    sleep_ns(TICK_NS / 4);
    for (size_t i = 0; i < s->n; i++) {
      child_t *c = &s->children[i];
      if (c->state == RUNNING && reap(c, &status)) {
        c->state = DOWN;
        running--;
      }
    }
  }
  for (size_t i = 0; i < s->n; i++) {
    child_t *c = &s->children[i];
    if (c->state != RUNNING)
      continue;
    fprintf(stderr,
            "weft: trigger '%s' (%s, pid %d) did not stop within %.3gs; "
            "killing it\n",
            c->type, c->name, (int)c->pid,
            (double)s->stop_timeout_ns / 1e9);
    kill_group(c, SIGKILL);
    while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
      ;
    c->state = DOWN;
  }
  supervisor_free(s);
}

/* weft-trigger-ticker.c - an external trigger written with the trigger API
 * of weft.h: Spin's sample timer trigger under another name.
 *
 * Each [[trigger.ticker]] entry names a component and `interval_secs`;
 * every interval the component's export `tick(n)` (world ticker of
 * ticker.wit) is called with n = 1, 2, ... One thread serves every entry.
 * A tick that falls due while an earlier call still runs is skipped, not
 * queued. [application.trigger.ticker] `speedup = N` (optional) makes every
 * interval N times shorter, and so does `weft up --speedup M` (with both,
 * N * M times). `weft up` starts this program for an app with
 * [[trigger.ticker]] entries (found in $WEFT_PLUGINS_DIR, then on PATH);
 * by hand: weft-trigger-ticker -f spin.toml.
 *
 * Built against an installed libweft only:
 *   cc $(pkg-config --cflags weft) -o weft-trigger-ticker \
 *     weft-trigger-ticker.c $(pkg-config --libs weft)
 * (see README.md). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <weft.h>

/* The world of the components it calls: ticker.wit without its
 * comments. The guest's bindings are generated from ticker.wit, so a
 * difference between the two fails the component's loading, naming the
 * function that differs. */
static const char ticker_wit[] =
    "package weft:ticker@0.1.0;\n"
    "world ticker {\n"
    "  export tick: func(n: u64);\n"
    "}\n";

typedef struct entry {
  const char *id, *component;
  uint64_t interval_ns;
  uint64_t next_ns; /* its next tick, on CLOCK_MONOTONIC */
  uint64_t n;       /* ticks made */
} entry_t;

typedef struct ticker {
  entry_t *entries;
  size_t n;
  uint64_t max_ticks; /* --ticks: stop after that many of each; 0: never */
} ticker_t;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Set `err` (when not NULL) and return `code`: the trigger reports its
 * own errors through the same weft_error_t as libweft's. */
__attribute__((format(printf, 3, 4))) static int fail(weft_error_t *err,
                                                      int code,
                                                      const char *fmt, ...) {
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    err->code = code;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
  }
  return code;
}

static int on_option(void *data, const char *name, const char *value,
                     weft_error_t *err) {
  ticker_t *t = data;
  char *end;
  (void)name; /* the only option: --ticks */
  unsigned long long v = strtoull(value, &end, 10);
  if (*value < '0' || *value > '9' || *end || v == 0)
    return fail(err, WEFT_EINVAL, "--ticks: '%s' is not a positive number",
                value);
  t->max_ticks = v;
  return 0;
}

/* Read and check the settings of every entry. */
static int init(void *data, weft_app_t *app, weft_error_t *err) {
  ticker_t *t = data;
  int64_t speedup = 1, secs;
  int rc = weft_app_setting_int(app, WEFT_APP_SETTINGS, "speedup", &speedup,
                                err);
  if (rc == WEFT_ENOTFOUND) { /* none: 1 */
    speedup = 1;
    if (err)
      *err = (weft_error_t){0};
  } else if (rc < 0) {
    return rc;
  } else if (speedup < 1 || speedup > 1000000) {
    return weft_app_setting_error(app, WEFT_APP_SETTINGS, "speedup", err,
                                  "'speedup' must be from 1 to 1000000, "
                                  "not %lld",
                                  (long long)speedup);
  }
  speedup *= weft_app_speedup(app); /* weft up --speedup N */
  t->n = weft_app_trigger_count(app);
  if (!(t->entries = calloc(t->n ? t->n : 1, sizeof *t->entries)))
    return fail(err, WEFT_ENOMEM, "out of memory");
  uint64_t now = now_ns();
  for (size_t i = 0; i < t->n; i++) {
    entry_t *e = &t->entries[i];
    e->id = weft_app_trigger_id(app, i);
    e->component = weft_app_trigger_component(app, i);
    /* A missing or mistyped key fails with the manifest's file:line. */
    if ((rc = weft_app_setting_int(app, i, "interval_secs", &secs, err)) < 0)
      return rc;
    if (secs < 1)
      return weft_app_setting_error(app, i, "interval_secs", err,
                                    "'interval_secs' must be at least 1, "
                                    "not %lld",
                                    (long long)secs);
    e->interval_ns = (uint64_t)secs * 1000000000u / (uint64_t)speedup;
    if (!e->interval_ns)
      e->interval_ns = 1;
    e->next_ns = now + e->interval_ns;
  }
  return 0;
}

/* One tick of entry `e`: a fresh instance, the call, the instance back. */
static void tick(weft_app_t *app, entry_t *e) {
  weft_error_t err = {0};
  weft_val_t arg = {.kind = WEFT_VAL_U64, .of.u64 = ++e->n};
  weft_instance_t *inst = weft_app_instantiate(app, e->component, &err);
  if (inst && weft_call(inst, "tick", &arg, 1, NULL, 0, &err) == 0) {
    weft_app_release(app, e->component, inst);
    return;
  }
  fprintf(stderr, "weft-trigger-ticker: ticker '%s' (component '%s'), "
          "tick %" PRIu64 ": %s\n", e->id, e->component, e->n, err.msg);
  if (inst)
    weft_app_release(app, e->component, inst);
}

static int run(void *data, weft_app_t *app, weft_stop_t *stop,
               weft_error_t *err) {
  ticker_t *t = data;
  (void)err;
  if (!t->n)
    return 0;
  for (;;) {
    entry_t *due = &t->entries[0];
    for (size_t i = 1; i < t->n; i++)
      if (t->entries[i].next_ns < due->next_ns)
        due = &t->entries[i];
    uint64_t now = now_ns();
    /* Sleep until the earliest tick, waking at once on a stop. */
    if (due->next_ns > now && weft_stop_wait(stop, due->next_ns - now))
      return 0;
    if (weft_stop_requested(stop))
      return 0;
    if (due->next_ns > now_ns())
      continue;
    tick(app, due);
    /* Ticks missed while the call ran are skipped, not queued. */
    now = now_ns();
    due->next_ns += due->interval_ns;
    if (due->next_ns <= now)
      due->next_ns += ((now - due->next_ns) / due->interval_ns + 1) *
                      due->interval_ns;
    if (t->max_ticks) {
      size_t done = 0;
      for (size_t i = 0; i < t->n; i++)
        done += t->entries[i].n >= t->max_ticks;
      if (done == t->n)
        return 0;
      if (due->n >= t->max_ticks)
        due->next_ns = UINT64_MAX; /* this one is done */
    }
  }
}

int main(int argc, char **argv) {
  static const weft_trigger_option_t options[] = {
      {"ticks", 1, "stop after N ticks of every entry (default: never)"},
  };
  ticker_t ticker = {0};
  weft_trigger_t trigger = {
      .api_version = WEFT_TRIGGER_API_VERSION,
      .type = "ticker",
      .summary = "Calls tick(n) of each [[trigger.ticker]] component every "
                 "interval_secs.",
      .wit_text = ticker_wit,
      .world = "ticker",
      .host_apis = WEFT_HOST_FILES,
      .options = options,
      .noptions = sizeof options / sizeof options[0],
      .data = &ticker,
      .option = on_option,
      .init = init,
      .run = run,
  };
  int status = weft_trigger_main(argc, argv, &trigger);
  free(ticker.entries);
  return status;
}

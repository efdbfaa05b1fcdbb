/* flow_remote.c - a remote edge's two sides over a Redis Stream
 * (flow_remote.h), on hiredis through trigger/redis_url.h.
 *
 * An entry is one element: n (the edge's own count, from 0: the key of
 * duplicate dropping), seq and ts (its metadata), ct (content type) and
 * data (the payload); the end of the stream is an entry with end = 1.
 * The writer appends with XADD MAXLEN ~ max_len and holds back while the
 * group has max_len/2 entries unacknowledged (XINFO GROUPS: lag +
 * pending), so trimming only removes acknowledged entries. The reader
 * reads its own pending entries first (a restart under the same
 * --consumer), then claims those of other consumers once they are idle
 * for claim_idle_ms (XAUTOCLAIM: a consumer that died), then new ones
 * (XREADGROUP >). While it reads new ones it claims again every
 * claim_idle_ms/2 (one XAUTOCLAIM when nothing is idle), so a consumer
 * of the group that dies meanwhile does not keep its entries. It keeps
 * the last n it delivered, in Redis beside the stream (hash
 * "<stream>:delivered", field the group), written with the XACK in one
 * MULTI, and drops an entry whose n is not above it. Entries claimed
 * while running are below that mark (the other consumer read them
 * before this one read its last), so they are held to a mark of their
 * own: the record as it was at the start, then the last n claimed in
 * the pass (claims come in stream order). The end entry ends the read
 * only once no other consumer has entries pending: those are claimed
 * first, so a consumer that died just before the end loses nothing. A
 * retried XREADGROUP > goes back to reading its own pending entries:
 * those the lost answer held.
 *
 * Every Redis call that fails is reported on the log with the server and
 * the reason, then retried on a new connection after a backoff (10 ms,
 * doubled up to 2 s) until it succeeds or the run is stopped; a retried
 * XADD may append an entry twice, which the reader drops. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "flow/flow_remote.h"
#include "trigger/redis_url.h"

#define TIMEOUT_MS 2000u
#define BACKOFF_MIN_NS 10000000ull
#define BACKOFF_MAX_NS 2000000000ull
#define ID_MAX 48

struct weft__flow_remote {
  const weft__flow_t *flow;
  const weft__flow_edge_t *edge;
  bool writer;
  char consumer[128];
  char done_key[300]; /* "<stream>:delivered" */
  char what[200];     /* "edge 'a' -> 'b' (stream 's')" for messages */
  int log_fd;
  const volatile sig_atomic_t *stop;
  weft__redis_url_t url;
  redisContext *rc;
  /* writer */
  uint64_t next_n;
  uint64_t unacked;    /* at the last check */
  uint64_t sent_since; /* since the last check */
  uint64_t checked_ns;
  /* reader */
  int phase;           /* 0: own pending, 1: claiming, 2: new entries */
  char cursor[ID_MAX]; /* phase 0: last own id; phase 1: XAUTOCLAIM's */
  uint64_t claim_wait_ns;
  bool have_last;
  uint64_t last_n;     /* the last n delivered */
  /* claiming while running (phase 2) */
  bool have_first;
  uint64_t first_n;    /* the record at the start: the claims' first mark */
  bool in_pass;        /* a pass of XAUTOCLAIM is under way */
  char claim_cursor[ID_MAX];
  bool have_claimed;
  uint64_t claimed_n;  /* the last n claimed in this pass */
  uint64_t next_claim_ns;
  /* the end entry, read but held while others have entries pending */
  bool end_seen;
  char end_id[ID_MAX];
  uint64_t end_checked_ns;
  bool ended;
  char (*ids)[ID_MAX]; /* read, not yet acknowledged */
  size_t nids, ids_cap;
  weft__flow_remote_stats_t st;
};

static void remote_log(weft__flow_remote_t *rm, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void remote_log(weft__flow_remote_t *rm, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (rm->log_fd >= 0)
    dprintf(rm->log_fd, "weft: flow '%s': %s: %s\n", rm->flow->name,
            rm->what, msg);
}

static void sleep_ns(uint64_t ns) {
  struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000u),
                        .tv_nsec = (long)(ns % 1000000000u)};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
    ;
}

static bool stopped(const weft__flow_remote_t *rm) {
  return rm->stop && *rm->stop;
}

/* A connection, or NULL with *why. */
static bool connect_now(weft__flow_remote_t *rm, char *why, size_t cap) {
  weft_error_t e = {0};
  if (rm->rc)
    return true;
  if (!(rm->rc = weft__redis_connect(&rm->url, TIMEOUT_MS, &e))) {
    snprintf(why, cap, "%s", e.msg);
    return false;
  }
  return true;
}

/* A reply that says Redis failed: none, or an error other than those
 * the caller expects. */
static bool failed_reply(const redisReply *rep) {
  return !rep || (rep->type == REDIS_REPLY_ERROR &&
                  strncmp(rep->str, "BUSYGROUP", 9) != 0);
}

/* Send the `n` commands (argv arrays) pipelined and take their replies
 * into reps[], retrying all of them with backoff until every reply is
 * good or the run stops. 0 or WEFT_EIO (*err says why). */
static int call(weft__flow_remote_t *rm, size_t n, int *argc,
                const char ***argv, size_t **argl, redisReply **reps,
                weft_error_t *err) {
  uint64_t backoff = BACKOFF_MIN_NS;
  char why[256];
  for (;;) {
    bool ok = connect_now(rm, why, sizeof why);
    size_t got = 0;
    if (ok) {
      for (size_t i = 0; i < n; i++)
        redisAppendCommandArgv(rm->rc, argc[i], argv[i], argl[i]);
      for (; got < n; got++) {
        void *v = NULL;
        if (redisGetReply(rm->rc, &v) != REDIS_OK) {
          snprintf(why, sizeof why, "%s",
                   rm->rc->errstr[0] ? rm->rc->errstr : "connection lost");
          ok = false;
          break;
        }
        reps[got] = v;
        if (failed_reply(reps[got])) {
          snprintf(why, sizeof why, "%s", reps[got]->str);
          got++;
          ok = false;
          break;
        }
      }
    }
    if (ok)
      return 0;
    for (size_t i = 0; i < got; i++)
      freeReplyObject(reps[i]);
    if (rm->rc) {
      redisFree(rm->rc);
      rm->rc = NULL;
    }
    if (stopped(rm))
      return WEFT_ERR(err, WEFT_EIO, "%s: %s: %s", rm->what,
                      rm->url.display, why);
    rm->st.retries++;
    remote_log(rm, "%s: %s; retrying in %" PRIu64 " ms", rm->url.display, why,
         backoff / 1000000u);
    sleep_ns(backoff);
    backoff = backoff * 2 > BACKOFF_MAX_NS ? BACKOFF_MAX_NS : backoff * 2;
  }
}

/* One command, its arguments NUL-terminated strings. */
static redisReply *call1(weft__flow_remote_t *rm, weft_error_t *err,
                         int argc, const char **argv) {
  size_t lens[16];
  for (int i = 0; i < argc; i++)
    lens[i] = strlen(argv[i]);
  size_t *pl = lens;
  redisReply *rep = NULL;
  if (call(rm, 1, &argc, &argv, &pl, &rep, err) < 0)
    return NULL;
  return rep;
}

weft__flow_remote_t *weft__flow_remote_new(
    const weft__flow_t *flow, const weft__flow_edge_t *edge, bool writer,
    const char *consumer, int log_fd, const volatile sig_atomic_t *stop,
    weft_error_t *err) {
  weft__flow_remote_t *rm = calloc(1, sizeof *rm);
  if (!rm) {
    WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
    return NULL;
  }
  rm->flow = flow;
  rm->edge = edge;
  rm->writer = writer;
  rm->log_fd = log_fd;
  rm->stop = stop;
  snprintf(rm->what, sizeof rm->what, "edge '%s' -> '%s' (stream '%s')",
           flow->nodes[edge->from.node].name, flow->nodes[edge->to.node].name,
           edge->stream);
  snprintf(rm->done_key, sizeof rm->done_key, "%s:delivered", edge->stream);
  if (consumer) {
    snprintf(rm->consumer, sizeof rm->consumer, "%s", consumer);
  } else {
    char host[64] = "host";
    gethostname(host, sizeof host - 1);
    snprintf(rm->consumer, sizeof rm->consumer, "%s-%ld", host,
             (long)getpid());
  }
  snprintf(rm->cursor, sizeof rm->cursor, "0");
  if (weft__redis_url_parse(edge->url, &rm->url, err) < 0) {
    free(rm);
    return NULL;
  }
  const char *create[] = {"XGROUP", "CREATE", edge->stream, edge->group,
                          "0", "MKSTREAM"};
  redisReply *rep = call1(rm, err, 6, create);
  if (!rep)
    goto fail;
  freeReplyObject(rep);
  if (!writer) {
    const char *get[] = {"HGET", rm->done_key, edge->group};
    if (!(rep = call1(rm, err, 3, get)))
      goto fail;
    if (rep->type == REDIS_REPLY_STRING) {
      rm->have_last = rm->have_first = true;
      rm->last_n = rm->first_n = strtoull(rep->str, NULL, 10);
    }
    freeReplyObject(rep);
  }
  return rm;
fail:
  weft__flow_remote_free(rm);
  return NULL;
}

void weft__flow_remote_free(weft__flow_remote_t *rm) {
  if (!rm)
    return;
  if (rm->rc)
    redisFree(rm->rc);
  weft__redis_url_release(&rm->url);
  free(rm->ids);
  free(rm);
}

/* ---- the writer --------------------------------------------------------- */

/* The value of `key` in a flat key/value reply array, or NULL. */
static const redisReply *field(const redisReply *a, const char *key) {
  if (a->type == REDIS_REPLY_ARRAY)
    for (size_t i = 0; i + 1 < a->elements; i += 2)
      if (a->element[i]->type == REDIS_REPLY_STRING &&
          !strcmp(a->element[i]->str, key))
        return a->element[i + 1];
  return NULL;
}

bool weft__flow_remote_room(weft__flow_remote_t *rm) {
  uint64_t half = rm->edge->max_len / 2, now = weft__now_ns();
  if (rm->unacked + rm->sent_since < half)
    return true;
  if (now - rm->checked_ns < 1000000u)
    return false;
  rm->checked_ns = now;
  weft_error_t e = {0};
  const char *info[] = {"XINFO", "GROUPS", rm->edge->stream};
  redisReply *rep = call1(rm, &e, 3, info);
  if (!rep)
    return false;
  uint64_t unacked = 0;
  if (rep->type == REDIS_REPLY_ARRAY)
    for (size_t i = 0; i < rep->elements; i++) {
      const redisReply *name = field(rep->element[i], "name");
      if (!name || name->type != REDIS_REPLY_STRING ||
          strcmp(name->str, rm->edge->group))
        continue;
      const redisReply *lag = field(rep->element[i], "lag");
      const redisReply *pend = field(rep->element[i], "pending");
      if (lag && lag->type == REDIS_REPLY_INTEGER)
        unacked += (uint64_t)lag->integer;
      if (pend && pend->type == REDIS_REPLY_INTEGER)
        unacked += (uint64_t)pend->integer;
    }
  freeReplyObject(rep);
  rm->unacked = unacked;
  rm->sent_since = 0;
  return unacked < half;
}

int weft__flow_remote_send(weft__flow_remote_t *rm,
                           const weft__flow_elem_t *es, size_t n,
                           weft_error_t *err) {
  enum { ARGS = 15 };
  int *argc = calloc(n ? n : 1, sizeof *argc);
  const char ***argv = calloc(n ? n : 1, sizeof *argv);
  size_t **argl = calloc(n ? n : 1, sizeof *argl);
  const char **av = calloc((n ? n : 1) * ARGS, sizeof *av);
  size_t *al = calloc((n ? n : 1) * ARGS, sizeof *al);
  char (*num)[4][24] = calloc(n ? n : 1, sizeof *num);
  redisReply **reps = calloc(n ? n : 1, sizeof *reps);
  int rc;
  if (!argc || !argv || !argl || !av || !al || !num || !reps) {
    rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
    goto out;
  }
  snprintf(num[0][3], sizeof num[0][3], "%" PRIu64, rm->edge->max_len);
  for (size_t i = 0; i < n; i++) {
    const char **a = av + i * ARGS;
    size_t *l = al + i * ARGS, ctl;
    const char *ct = weft__flow_elem_ctype(&es[i], &ctl);
    snprintf(num[i][0], sizeof num[i][0], "%" PRIu64, rm->next_n + i);
    snprintf(num[i][1], sizeof num[i][1], "%" PRIu64, es[i].seq);
    snprintf(num[i][2], sizeof num[i][2], "%" PRIu64, es[i].ts_ns);
    const char *v[ARGS] = {"XADD", rm->edge->stream, "MAXLEN", "~",
                           num[0][3], "*", "n", num[i][0], "seq", num[i][1],
                           "ts", num[i][2], "ct", ct, "data"};
    for (int k = 0; k < ARGS - 1; k++) {
      a[k] = v[k];
      l[k] = strlen(v[k]);
    }
    l[13] = ctl;
    a[ARGS - 1] = "data";
    l[ARGS - 1] = 4;
    argc[i] = ARGS + 1;
    argv[i] = a;
    argl[i] = l;
  }
  /* The payload is the 16th argument: room was kept after ARGS. */
  const char **pa = calloc((n ? n : 1) * (ARGS + 1), sizeof *pa);
  size_t *pl = calloc((n ? n : 1) * (ARGS + 1), sizeof *pl);
  if (!pa || !pl) {
    free(pa);
    free(pl);
    rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
    goto out;
  }
  for (size_t i = 0; i < n; i++) {
    memcpy(pa + i * (ARGS + 1), argv[i], ARGS * sizeof *pa);
    memcpy(pl + i * (ARGS + 1), argl[i], ARGS * sizeof *pl);
    pa[i * (ARGS + 1) + ARGS] = (const char *)es[i].buf->data;
    pl[i * (ARGS + 1) + ARGS] = es[i].buf->len;
    argv[i] = pa + i * (ARGS + 1);
    argl[i] = pl + i * (ARGS + 1);
  }
  rc = call(rm, n, argc, argv, argl, reps, err);
  free(pa);
  free(pl);
  if (rc < 0)
    goto out;
  for (size_t i = 0; i < n; i++)
    freeReplyObject(reps[i]);
  rm->next_n += n;
  rm->sent_since += n;
  rm->st.sent += n;
out:
  free(argc);
  free(argv);
  free(argl);
  free(av);
  free(al);
  free(num);
  free(reps);
  return rc;
}

int weft__flow_remote_send_end(weft__flow_remote_t *rm, weft_error_t *err) {
  char n[24];
  snprintf(n, sizeof n, "%" PRIu64, rm->next_n);
  const char *add[] = {"XADD", rm->edge->stream, "*", "n", n, "end", "1"};
  redisReply *rep = call1(rm, err, 7, add);
  if (!rep)
    return err->code;
  freeReplyObject(rep);
  return 0;
}

/* ---- the reader --------------------------------------------------------- */

static int keep_id(weft__flow_remote_t *rm, const char *id) {
  if (rm->nids == rm->ids_cap) {
    size_t cap = rm->ids_cap ? 2 * rm->ids_cap : 64;
    void *p = realloc(rm->ids, cap * sizeof *rm->ids);
    if (!p)
      return WEFT_ENOMEM;
    rm->ids = p;
    rm->ids_cap = cap;
  }
  snprintf(rm->ids[rm->nids++], ID_MAX, "%s", id);
  return 0;
}

/* Take the entries of `list` (an array of [id, [field, value, ...]]):
 * new elements into out[*got...], every id kept for the ack but the end
 * entry's (held in end_id, see end_check). `claimed`: entries claimed
 * while running, dropped by their own mark (claimed_n). */
static int take_entries(weft__flow_remote_t *rm, weft__flow_pool_t *pool,
                        const redisReply *list, bool claimed,
                        weft__flow_elem_t *out, size_t max, size_t *got,
                        weft_error_t *err) {
  bool *have = claimed ? &rm->have_claimed : &rm->have_last;
  uint64_t *mark = claimed ? &rm->claimed_n : &rm->last_n;
  if (!list || list->type != REDIS_REPLY_ARRAY)
    return 0;
  for (size_t i = 0; i < list->elements && *got < max; i++) {
    const redisReply *ent = list->element[i];
    if (ent->type != REDIS_REPLY_ARRAY || ent->elements < 2 ||
        ent->element[0]->type != REDIS_REPLY_STRING)
      continue;
    const char *id = ent->element[0]->str;
    if (rm->phase == 0)
      snprintf(rm->cursor, sizeof rm->cursor, "%s", id);
    const redisReply *f = ent->element[1];
    const redisReply *vend = f->type == REDIS_REPLY_ARRAY ? field(f, "end")
                                                          : NULL;
    if (vend) {
      rm->end_seen = true;
      snprintf(rm->end_id, sizeof rm->end_id, "%s", id);
      continue;
    }
    if (keep_id(rm, id) < 0)
      return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
    if (f->type != REDIS_REPLY_ARRAY) /* deleted (trimmed) meanwhile */
      continue;
    const redisReply *vn = field(f, "n");
    const redisReply *vseq = field(f, "seq"), *vts = field(f, "ts");
    const redisReply *vct = field(f, "ct"), *vdata = field(f, "data");
    if (!vn || !vdata || vdata->type != REDIS_REPLY_STRING) {
      remote_log(rm, "entry '%s' is not an element: dropped", id);
      continue;
    }
    uint64_t n = strtoull(vn->str, NULL, 10);
    if (*have && n <= *mark) {
      rm->st.duplicates++;
      continue;
    }
    *have = true;
    *mark = n;
    if (claimed && (!rm->have_last || n > rm->last_n)) {
      rm->have_last = true;
      rm->last_n = n;
    }
    weft__flow_elem_t *e = &out[*got];
    memset(e, 0, sizeof *e);
    if (!(e->buf = weft__flow_buf_new(pool, vdata->len, err)))
      return err->code;
    memcpy(e->buf->data, vdata->str, vdata->len);
    e->buf->len = (uint32_t)vdata->len;
    e->buf->frozen = true;
    e->seq = vseq ? strtoull(vseq->str, NULL, 10) : n;
    e->ts_ns = vts ? strtoull(vts->str, NULL, 10) : 0;
    if (vct && vct->type == REDIS_REPLY_STRING &&
        weft__flow_elem_set_ctype(e, vct->str, vct->len) < 0) {
      weft__flow_elem_clear(pool, e);
      return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
    }
    (*got)++;
    rm->st.received++;
  }
  return 0;
}

/* Phase 1: are other consumers holding pending entries? */
static int others_pending(weft__flow_remote_t *rm, bool *any,
                          weft_error_t *err) {
  const char *q[] = {"XPENDING", rm->edge->stream, rm->edge->group};
  redisReply *rep = call1(rm, err, 3, q);
  if (!rep)
    return err->code;
  *any = false;
  if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 4 &&
      rep->element[3]->type == REDIS_REPLY_ARRAY)
    for (size_t i = 0; i < rep->element[3]->elements; i++) {
      const redisReply *c = rep->element[3]->element[i];
      if (c->type == REDIS_REPLY_ARRAY && c->elements == 2 &&
          strcmp(c->element[0]->str, rm->consumer))
        *any = true;
    }
  freeReplyObject(rep);
  return 0;
}

/* Rate-limited: the read waits for entries another consumer holds. */
static void log_waiting(weft__flow_remote_t *rm) {
  uint64_t now = weft__now_ns();
  if (now - rm->claim_wait_ns > 1000000000ull) {
    rm->claim_wait_ns = now;
    remote_log(rm, "waiting for entries pending at another consumer to be "
               "idle for %" PRIu64 " ms", rm->edge->claim_idle_ns / 1000000u);
  }
}

/* XAUTOCLAIM from `cursor` (moved on; "0-0" when the pass is over) of up
 * to `count` entries idle claim_idle_ms. The reply (the caller frees
 * it), or NULL with *err. */
static redisReply *autoclaim(weft__flow_remote_t *rm, char *cursor,
                             const char *count, weft_error_t *err) {
  char idle[24];
  snprintf(idle, sizeof idle, "%" PRIu64, rm->edge->claim_idle_ns / 1000000u);
  const char *q[] = {"XAUTOCLAIM", rm->edge->stream, rm->edge->group,
                     rm->consumer, idle, cursor, "COUNT", count};
  redisReply *rep = call1(rm, err, 8, q);
  if (!rep)
    return NULL;
  if (rep->type == REDIS_REPLY_ARRAY && rep->elements >= 2 &&
      rep->element[0]->type == REDIS_REPLY_STRING)
    snprintf(cursor, ID_MAX, "%s", rep->element[0]->str);
  else
    snprintf(cursor, ID_MAX, "0-0");
  return rep;
}

/* How long between two passes of claiming while running: half of
 * claim_idle_ms (an entry is claimed at most 1.5 claim_idle_ms after its
 * consumer died), END_POLL_NS at most once the end entry waits. */
#define END_POLL_NS 10000000ull
static uint64_t claim_every(const weft__flow_remote_t *rm) {
  uint64_t ns = rm->edge->claim_idle_ns / 2;
  if (rm->end_seen && ns > END_POLL_NS)
    ns = END_POLL_NS;
  return ns ? ns : 1;
}

/* Phase 2: when one is due, a step of a pass claiming the entries of
 * consumers that died while this one runs (one XAUTOCLAIM when none). */
static int claim_running(weft__flow_remote_t *rm, weft__flow_pool_t *pool,
                         weft__flow_elem_t *out, size_t max, size_t *got,
                         const char *count, weft_error_t *err) {
  uint64_t now = weft__now_ns();
  if (!rm->in_pass) {
    if (now < rm->next_claim_ns)
      return 0;
    rm->in_pass = true;
    snprintf(rm->claim_cursor, sizeof rm->claim_cursor, "0-0");
    rm->have_claimed = rm->have_first;
    rm->claimed_n = rm->first_n;
  }
  redisReply *rep = autoclaim(rm, rm->claim_cursor, count, err);
  if (!rep)
    return err->code;
  int rc = 0;
  if (rep->type == REDIS_REPLY_ARRAY && rep->elements >= 2)
    rc = take_entries(rm, pool, rep->element[1], true, out, max, got, err);
  freeReplyObject(rep);
  if (!strcmp(rm->claim_cursor, "0-0")) {
    rm->in_pass = false;
    rm->next_claim_ns = now + claim_every(rm);
  }
  if (*got)
    remote_log(rm, "claimed %zu entries pending at another consumer for "
               "%" PRIu64 " ms", *got, rm->edge->claim_idle_ns / 1000000u);
  return rc;
}

/* Once the end entry was read, the read ends when no other consumer has
 * entries pending (checked every END_POLL_NS); until then they are
 * claimed as they fall idle. */
static int end_check(weft__flow_remote_t *rm, bool *end, weft_error_t *err) {
  if (!rm->end_seen || rm->ended)
    return 0;
  uint64_t now = weft__now_ns();
  if (rm->end_checked_ns && now - rm->end_checked_ns < END_POLL_NS)
    return 0;
  rm->end_checked_ns = now;
  bool any = false;
  int rc = others_pending(rm, &any, err);
  if (rc < 0)
    return rc;
  if (any) {
    log_waiting(rm);
    return 0;
  }
  if (keep_id(rm, rm->end_id) < 0)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  rm->ended = true;
  *end = true;
  return 0;
}

int weft__flow_remote_recv(weft__flow_remote_t *rm, weft__flow_pool_t *pool,
                           weft__flow_elem_t *out, size_t max, size_t *got,
                           bool *end, weft_error_t *err) {
  char count[24];
  redisReply *rep;
  int rc = 0;
  *got = 0;
  *end = rm->ended;
  if (rm->ended || !max)
    return 0;
  snprintf(count, sizeof count, "%zu", max);
  if (rm->phase == 0) { /* our own pending entries, from a run before */
    const char *q[] = {"XREADGROUP", "GROUP", rm->edge->group, rm->consumer,
                       "COUNT", count, "STREAMS", rm->edge->stream,
                       rm->cursor};
    if (!(rep = call1(rm, err, 9, q)))
      return err->code;
    const redisReply *list = NULL;
    if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 1 &&
        rep->element[0]->elements == 2)
      list = rep->element[0]->element[1];
    if (!list || !list->elements) {
      rm->phase = 1;
      snprintf(rm->cursor, sizeof rm->cursor, "0-0");
    }
    rc = take_entries(rm, pool, list, false, out, max, got, err);
    freeReplyObject(rep);
  } else if (rm->phase == 1) { /* pending entries of consumers that died */
    if (!(rep = autoclaim(rm, rm->cursor, count, err)))
      return err->code;
    if (rep->type == REDIS_REPLY_ARRAY && rep->elements >= 2)
      rc = take_entries(rm, pool, rep->element[1], false, out, max, got,
                        err);
    freeReplyObject(rep);
    if (*got)
      remote_log(rm, "claimed %zu entries pending at another consumer for "
                 "%" PRIu64 " ms", *got, rm->edge->claim_idle_ns / 1000000u);
    bool any = false;
    if (!rc && !*got && !strcmp(rm->cursor, "0-0") &&
        !(rc = others_pending(rm, &any, err))) {
      if (!any) {
        rm->phase = 2;
        rm->next_claim_ns = weft__now_ns() + claim_every(rm);
      } else {
        log_waiting(rm);
      }
    }
  } else { /* claims due, else new entries (none follow the end) */
    rc = claim_running(rm, pool, out, max, got, count, err);
    if (!rc && !*got && !rm->end_seen) {
      const char *q[] = {"XREADGROUP", "GROUP", rm->edge->group,
                         rm->consumer, "COUNT", count, "STREAMS",
                         rm->edge->stream, ">"};
      uint64_t retries = rm->st.retries;
      if (!(rep = call1(rm, err, 9, q)))
        return err->code;
      if (rm->st.retries != retries) {
        /* A try whose answer was lost may have read entries: they are
         * pending here (all else is acknowledged), so read them all
         * again from the start, in order. */
        freeReplyObject(rep);
        rm->phase = 0;
        snprintf(rm->cursor, sizeof rm->cursor, "0");
        return 0;
      }
      if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 1 &&
          rep->element[0]->elements == 2)
        rc = take_entries(rm, pool, rep->element[0]->element[1], false, out,
                          max, got, err);
      freeReplyObject(rep);
    }
  }
  if (!rc)
    rc = end_check(rm, end, err);
  return rc;
}

bool weft__flow_remote_unacked(const weft__flow_remote_t *rm) {
  return rm->nids > 0;
}

int weft__flow_remote_ack(weft__flow_remote_t *rm, weft_error_t *err) {
  if (!rm->nids)
    return 0;
  size_t n = rm->nids, na = 3 + n;
  const char **xa = calloc(na, sizeof *xa);
  size_t *xl = calloc(na, sizeof *xl);
  char last[24];
  int rc;
  if (!xa || !xl) {
    rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
    goto out;
  }
  xa[0] = "XACK";
  xa[1] = rm->edge->stream;
  xa[2] = rm->edge->group;
  for (size_t i = 0; i < n; i++)
    xa[3 + i] = rm->ids[i];
  for (size_t i = 0; i < na; i++)
    xl[i] = strlen(xa[i]);
  snprintf(last, sizeof last, "%" PRIu64, rm->last_n);
  /* At the end the record goes: a later run of the flow starts anew. */
  const char *multi[] = {"MULTI"}, *exec[] = {"EXEC"};
  const char *hset[] = {"HSET", rm->done_key, rm->edge->group, last};
  const char *hdel[] = {"HDEL", rm->done_key, rm->edge->group};
  const char **argv[4] = {multi, xa, rm->ended ? hdel : hset, exec};
  int argc[4] = {1, (int)na, rm->ended ? 3 : 4, 1};
  size_t ml[1] = {5}, el[1] = {4}, hl[4];
  for (int i = 0; i < argc[2]; i++)
    hl[i] = strlen(argv[2][i]);
  size_t *argl[4] = {ml, xl, hl, el};
  redisReply *reps[4];
  if (!rm->have_last && !rm->ended) {
    argv[2] = exec; /* nothing delivered yet: no record */
    argc[2] = 1;
    argl[2] = el;
    rc = call(rm, 3, argc, argv, argl, reps, err);
  } else {
    rc = call(rm, 4, argc, argv, argl, reps, err);
  }
  if (rc < 0)
    goto out;
  for (int i = 0; i < (argv[2] == exec ? 3 : 4); i++)
    freeReplyObject(reps[i]);
  rm->st.acked += n;
  rm->nids = 0;
out:
  free(xa);
  free(xl);
  return rc;
}

const weft__flow_remote_stats_t *weft__flow_remote_stats(
    const weft__flow_remote_t *rm) {
  return &rm->st;
}

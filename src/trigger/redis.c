/* redis.c - the Redis pub/sub trigger on hiredis (redis.h).
 *
 * One connection and one thread per distinct server (host, port and
 * credentials: pub/sub ignores the database), subscribed to every channel
 * its targets name. The thread waits in poll() on the socket and on a
 * pipe that weft__redis_stop writes to, so stopping never waits for
 * Redis; it reads with hiredis's reader, and calls the guests itself, one
 * message at a time and in order. A message goes to every target of its
 * channel. When the connection breaks or cannot be made, the thread says
 * so once on stderr and tries again after a backoff (100 ms doubling to
 * 5 s; back to 100 ms once subscribed), then says so when it is back. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trigger/redis.h"
#include "trigger/redis_url.h"
#include "util/util.h"

#define HANDLER "fermyon:spin/inbound-redis#handle-message"
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
/* Bounds connecting, AUTH and sending SUBSCRIBE; reads wait in poll(). */
#define IO_TIMEOUT_MS 2000

typedef struct conn {
  weft__redis_t *r;
  weft__redis_url_t url;
  size_t *targets;       /* indices into r->targets */
  size_t ntargets;
  const char **channels; /* distinct, borrowed from the targets */
  size_t nchannels;
  pthread_t thread;
  int started;
  int ready;             /* all SUBSCRIBEs confirmed (atomic) */
  int down_said;         /* a "lost" or "cannot connect" line is out */
  int was_ready;         /* subscribed at least once */
} conn_t;

struct weft__redis {
  const weft__redis_target_t *targets;
  size_t ntargets;
  conn_t *conns;
  size_t nconns;
  int stop_pipe[2]; /* written once by stop; never read, so it stays
                       readable for every thread */
  int stopping;     /* atomic */
};

static int stopping(weft__redis_t *r) {
  return __atomic_load_n(&r->stopping, __ATOMIC_ACQUIRE);
}

/* Sleep `ms`, or less when stop is asked. */
static void pause_ms(weft__redis_t *r, int ms) {
  struct pollfd p = {.fd = r->stop_pipe[0], .events = POLLIN};
  uint64_t until = weft__now_ns() + (uint64_t)ms * 1000000u;
  while (!stopping(r)) {
    uint64_t now = weft__now_ns();
    if (now >= until)
      return;
    poll(&p, 1, (int)((until - now + 999999u) / 1000000u));
  }
}

/* ---- calling the guests ------------------------------------------------- */

static void call(const weft__redis_target_t *t, const char *data,
                 size_t len) {
  weft_error_t err = {0};
  weft_instance_t *inst = weft__pool_take(t->pool, &err);
  if (!inst) {
    fprintf(stderr, "weft: redis '%s' on %s: %s\n", t->component_id,
            t->channel, err.msg);
    return;
  }
  weft_val_t arg = {.kind = WEFT_VAL_LIST}, res = {0};
  arg.of.bytes.ptr = (const uint8_t *)data;
  arg.of.bytes.len = len;
  if (weft_call(inst, HANDLER, &arg, 1, &res, 1, &err) < 0)
    fprintf(stderr, "weft: redis '%s' on %s: %s\n", t->component_id,
            t->channel, err.msg);
  else if (res.kind == WEFT_VAL_RESULT && res.of.var.tag == 1)
    fprintf(stderr, "weft: redis '%s' on %s: handle-message returned an "
            "error\n", t->component_id, t->channel);
  weft__pool_give(t->pool, inst);
}

static void dispatch(conn_t *c, const redisReply *channel,
                     const redisReply *payload) {
  for (size_t i = 0; i < c->ntargets; i++) {
    const weft__redis_target_t *t = &c->r->targets[c->targets[i]];
    if (strlen(t->channel) == channel->len &&
        !memcmp(t->channel, channel->str, channel->len))
      call(t, payload->str, payload->len);
  }
}

/* ---- one connection's life ---------------------------------------------- */

static int is_str(const redisReply *r, const char *s) {
  return (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) &&
         r->len == strlen(s) && !memcmp(r->str, s, r->len);
}

/* Handle one reply; 0, or -1 with `why` set when the connection must be
 * dropped. */
static int on_reply(conn_t *c, const redisReply *rep, size_t *confirmed,
                    char *why, size_t whylen) {
  if (rep->type == REDIS_REPLY_ERROR) {
    snprintf(why, whylen, "%s", rep->str);
    return -1;
  }
  if (rep->type != REDIS_REPLY_ARRAY || rep->elements < 3)
    return 0;
  const redisReply *kind = rep->element[0];
  if (is_str(kind, "message") &&
      rep->element[1]->type == REDIS_REPLY_STRING &&
      rep->element[2]->type == REDIS_REPLY_STRING) {
    dispatch(c, rep->element[1], rep->element[2]);
  } else if (is_str(kind, "subscribe") && ++*confirmed == c->nchannels) {
    __atomic_store_n(&c->ready, 1, __ATOMIC_RELEASE);
    if (c->down_said)
      fprintf(stderr, "weft: redis %s: %s\n", c->url.display,
              c->was_ready ? "reconnected, subscribed again"
                           : "connected, subscribed");
    c->down_said = 0;
    c->was_ready = 1;
  }
  return 0;
}

/* Subscribe on `ctx` and handle messages until the connection breaks
 * (returns -1, `why` set) or stop is asked (returns 0). */
static int serve(conn_t *c, redisContext *ctx, char *why, size_t whylen) {
  for (size_t i = 0; i < c->nchannels; i++)
    if (redisAppendCommand(ctx, "SUBSCRIBE %s", c->channels[i]) != REDIS_OK)
      goto io_error;
  int done = 0;
  while (!done)
    if (redisBufferWrite(ctx, &done) != REDIS_OK)
      goto io_error;
  size_t confirmed = 0;
  struct pollfd p[2] = {{.fd = ctx->fd, .events = POLLIN},
                        {.fd = c->r->stop_pipe[0], .events = POLLIN}};
  while (!stopping(c->r)) {
    void *rep = NULL;
    if (redisReaderGetReply(ctx->reader, &rep) != REDIS_OK) {
      snprintf(why, whylen, "%s", ctx->reader->errstr);
      return -1;
    }
    if (rep) {
      int rc = on_reply(c, rep, &confirmed, why, whylen);
      freeReplyObject(rep);
      if (rc < 0)
        return -1;
      continue;
    }
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR)
        continue;
      snprintf(why, whylen, "poll: %s", strerror(errno));
      return -1;
    }
    if (p[1].revents)
      break;
    if (p[0].revents && redisBufferRead(ctx) != REDIS_OK)
      goto io_error;
  }
  return 0;
io_error:
  snprintf(why, whylen, "%s", ctx->errstr[0] ? ctx->errstr : "I/O error");
  return -1;
}

static void *conn_main(void *arg) {
  conn_t *c = arg;
  int backoff = BACKOFF_MIN_MS;
  while (!stopping(c->r)) {
    weft_error_t err = {0};
    redisContext *ctx = weft__redis_connect(&c->url, IO_TIMEOUT_MS, &err);
    if (!ctx) {
      if (!c->down_said)
        fprintf(stderr, "weft: redis: %s, retrying\n", err.msg);
      c->down_said = 1;
    } else {
      char why[256] = "";
      int rc = serve(c, ctx, why, sizeof why);
      int was_ready = __atomic_exchange_n(&c->ready, 0, __ATOMIC_ACQ_REL);
      redisFree(ctx);
      if (rc == 0)
        break;
      if (was_ready)
        backoff = BACKOFF_MIN_MS;
      if (!c->down_said && was_ready)
        fprintf(stderr, "weft: redis %s: connection lost (%s), "
                "reconnecting\n", c->url.display, why);
      else if (!c->down_said) /* e.g. a server that wants a password */
        fprintf(stderr, "weft: redis %s: cannot subscribe (%s), "
                "retrying\n", c->url.display, why);
      c->down_said = 1;
    }
    pause_ms(c->r, backoff);
    backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
  }
  return NULL;
}

/* ---- start and stop ----------------------------------------------------- */

/* Same server for pub/sub: host, port and credentials. */
static int same_server(const weft__redis_url_t *a, const weft__redis_url_t *b) {
  return a->port == b->port && !strcmp(a->host, b->host) &&
         !strcmp(a->user ? a->user : "", b->user ? b->user : "") &&
         !strcmp(a->password ? a->password : "",
                 b->password ? b->password : "");
}

/* Add target `i` to its server's connection (made if new); the URL is
 * taken over or released. */
static int add_target(weft__redis_t *r, size_t i, weft__redis_url_t *url) {
  conn_t *c = NULL;
  for (size_t k = 0; k < r->nconns && !c; k++)
    if (same_server(&r->conns[k].url, url))
      c = &r->conns[k];
  if (c) {
    weft__redis_url_release(url);
  } else {
    c = &r->conns[r->nconns++];
    c->r = r;
    c->url = *url;
    c->targets = calloc(r->ntargets, sizeof *c->targets);
    c->channels = calloc(r->ntargets, sizeof *c->channels);
    if (!c->targets || !c->channels)
      return -1;
  }
  c->targets[c->ntargets++] = i;
  const char *ch = r->targets[i].channel;
  for (size_t k = 0; k < c->nchannels; k++)
    if (!strcmp(c->channels[k], ch))
      return 0;
  c->channels[c->nchannels++] = ch;
  return 0;
}

int weft__redis_start(const weft__redis_target_t *targets, size_t n,
                      weft__redis_t **out, weft_error_t *err) {
  weft__redis_t *r = calloc(1, sizeof *r);
  int rc;
  if (!r)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  r->targets = targets;
  r->ntargets = n;
  r->stop_pipe[0] = r->stop_pipe[1] = -1;
  r->conns = calloc(n ? n : 1, sizeof *r->conns);
  if (!r->conns) {
    rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
    goto fail;
  }
  for (size_t i = 0; i < n; i++) {
    weft__redis_url_t url;
    weft_error_t e = {0};
    if (!targets[i].channel || !*targets[i].channel) {
      rc = WEFT_ERR(err, WEFT_EINVAL, "redis trigger of '%s': no channel",
                    targets[i].component_id);
      goto fail;
    }
    if ((rc = weft__redis_url_parse(
             targets[i].address ? targets[i].address : "", &url, &e)) < 0) {
      rc = WEFT_ERR(err, rc, "redis trigger of '%s': %s",
                    targets[i].component_id, e.msg);
      goto fail;
    }
    if (add_target(r, i, &url) < 0) {
      rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
      goto fail;
    }
  }
  if (pipe2(r->stop_pipe, O_CLOEXEC) < 0) {
    rc = WEFT_ERR(err, WEFT_EIO, "redis trigger: pipe: %s", strerror(errno));
    goto fail;
  }
  for (size_t k = 0; k < r->nconns; k++) {
    conn_t *c = &r->conns[k];
    if (pthread_create(&c->thread, NULL, conn_main, c) != 0) {
      rc = WEFT_ERR(err, WEFT_EIO, "redis trigger: cannot start a thread "
                    "for %s", c->url.display);
      goto fail;
    }
    c->started = 1;
  }
  *out = r;
  return 0;
fail:
  weft__redis_stop(r);
  return rc;
}

int weft__redis_ready(const weft__redis_t *r) {
  for (size_t k = 0; k < r->nconns; k++)
    if (!__atomic_load_n(&r->conns[k].ready, __ATOMIC_ACQUIRE))
      return 0;
  return 1;
}

void weft__redis_stop(weft__redis_t *r) {
  if (!r)
    return;
  __atomic_store_n(&r->stopping, 1, __ATOMIC_RELEASE);
  if (r->stop_pipe[1] >= 0) {
    ssize_t w;
    do
      w = write(r->stop_pipe[1], "x", 1);
    while (w < 0 && errno == EINTR);
  }
  for (size_t k = 0; r->conns && k < r->nconns; k++) {
    conn_t *c = &r->conns[k];
    if (c->started)
      pthread_join(c->thread, NULL);
    weft__redis_url_release(&c->url);
    free(c->targets);
    free(c->channels);
  }
  for (int i = 0; i < 2; i++)
    if (r->stop_pipe[i] >= 0)
      close(r->stop_pipe[i]);
  free(r->conns);
  free(r);
}

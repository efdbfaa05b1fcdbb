/* redis_url.c - Redis addresses and connecting to them (redis_url.h). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include "trigger/redis_url.h"
#include "util/util.h"

#define DEFAULT_PORT 6379
#define USAGE "expected redis://[user:password@]host[:port][/db]"

void weft__redis_url_release(weft__redis_url_t *u) {
  free(u->host);
  free(u->user);
  free(u->password);
  free(u->display);
  memset(u, 0, sizeof *u);
}

/* `address` for a message: the password, if any, replaced by "***", so
 * that a log never shows it. A new string, or NULL when out of memory. */
static char *redacted(const char *address) {
  const char *rest = strstr(address, "://");
  rest = rest ? rest + 3 : address;
  size_t auth = strcspn(rest, "/?#");
  const char *at = NULL;
  for (size_t i = 0; i < auth; i++)
    if (rest[i] == '@')
      at = rest + i;
  const char *colon = at ? memchr(rest, ':', (size_t)(at - rest)) : NULL;
  weft__buf_t b;
  weft__buf_init(&b);
  if (colon)
    weft__buf_printf(&b, "%.*s:***%s", (int)(colon - address), address, at);
  else
    weft__buf_puts(&b, address);
  return b.data;
}

/* Percent-decode s[0..n) into a new string; NULL when a %XX is broken
 * (*bad set) or out of memory. */
static char *decode(const char *s, size_t n, int *bad) {
  char *out = malloc(n + 1);
  if (out && weft__percent_decode(s, n, out) < 0) {
    free(out);
    *bad = 1;
    return NULL;
  }
  return out;
}

/* A decimal number s[0..n) no greater than `max`, or -1. */
static long number(const char *s, size_t n, long max) {
  long v = 0;
  if (n == 0 || n > 9)
    return -1;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9')
      return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v <= max ? v : -1;
}

int weft__redis_url_parse(const char *address, weft__redis_url_t *out,
                          weft_error_t *err) {
  memset(out, 0, sizeof *out);
  const char *why = NULL;
  int bad = 0;
  const char *p = address;
  if (!strncasecmp(p, "rediss://", 9)) {
    why = "TLS (rediss://) is not supported";
    goto fail;
  }
  if (strncasecmp(p, "redis://", 8)) {
    why = USAGE;
    goto fail;
  }
  p += 8;
  size_t auth_len = strcspn(p, "/?#");
  const char *end = p + auth_len;
  /* userinfo: up to the last '@' of the authority */
  const char *at = NULL;
  for (const char *q = p; q < end; q++)
    if (*q == '@')
      at = q;
  if (at) {
    const char *colon = memchr(p, ':', (size_t)(at - p));
    const char *user_end = colon ? colon : at;
    if (user_end > p && !(out->user = decode(p, (size_t)(user_end - p), &bad)))
      goto nomem_or_bad;
    if (colon && !(out->password =
                       decode(colon + 1, (size_t)(at - colon - 1), &bad)))
      goto nomem_or_bad;
    p = at + 1;
  }
  /* host, then an optional :port */
  const char *host_end, *port_at = NULL;
  if (*p == '[') {
    const char *close = memchr(p, ']', (size_t)(end - p));
    if (!close || close == p + 1) {
      why = "bad IPv6 address: expected [address]";
      goto fail;
    }
    if (!(out->host = weft__strndup(p + 1, (size_t)(close - p - 1))))
      goto nomem_or_bad;
    host_end = close + 1;
    if (host_end < end && *host_end != ':') {
      why = "unexpected text after ']'";
      goto fail;
    }
  } else {
    host_end = memchr(p, ':', (size_t)(end - p));
    host_end = host_end ? host_end : end;
    if (host_end == p) {
      why = "no host";
      goto fail;
    }
    for (const char *q = p; q < host_end; q++)
      if (*q <= ' ' || *q == '[' || *q == ']' || *q == '%') {
        why = "bad character in the host";
        goto fail;
      }
    if (!(out->host = weft__strndup(p, (size_t)(host_end - p))))
      goto nomem_or_bad;
  }
  out->port = DEFAULT_PORT;
  if (host_end < end) {
    port_at = host_end + 1;
    long port = number(port_at, (size_t)(end - port_at), 65535);
    if (port <= 0) {
      why = "the port is not a number from 1 to 65535";
      goto fail;
    }
    out->port = (int)port;
  }
  /* an optional /db, and nothing else */
  if (*end == '/' && end[1]) {
    long db = number(end + 1, strlen(end + 1), 999999);
    if (db < 0) {
      why = "the database (after '/') is not a number";
      goto fail;
    }
    out->db = (int)db;
  } else if (*end && strcmp(end, "/")) {
    why = "query and fragment are not supported";
    goto fail;
  }
  weft__buf_t d;
  weft__buf_init(&d);
  int v6 = strchr(out->host, ':') != NULL;
  weft__buf_printf(&d, "redis://%s%s%s:%d", v6 ? "[" : "", out->host,
                   v6 ? "]" : "", out->port);
  if (out->db)
    weft__buf_printf(&d, "/%d", out->db);
  if (!(out->display = d.data))
    goto nomem_or_bad;
  return 0;
nomem_or_bad:
  if (bad) {
    why = "bad %-escape in the user or password";
    goto fail;
  }
  weft__redis_url_release(out);
  return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
fail:;
  char *shown = redacted(address);
  int rc = WEFT_ERR(err, WEFT_EINVAL, "bad redis address '%s': %s",
                    shown ? shown : "", why);
  free(shown);
  weft__redis_url_release(out);
  return rc;
}

/* Run one command that must answer +OK (AUTH, SELECT); 0 or WEFT_EIO. */
static int expect_ok(redisContext *c, const weft__redis_url_t *u,
                     redisReply *r, const char *what, weft_error_t *err) {
  int rc = 0;
  if (!r)
    rc = WEFT_ERR(err, WEFT_EIO, "%s: %s failed: %s", u->display, what,
                  c->errstr);
  else if (r->type == REDIS_REPLY_ERROR)
    rc = WEFT_ERR(err, WEFT_EIO, "%s: %s refused: %s", u->display, what,
                  r->str);
  if (r)
    freeReplyObject(r);
  return rc;
}

redisContext *weft__redis_connect(const weft__redis_url_t *u,
                                  unsigned timeout_ms, weft_error_t *err) {
  struct timeval tv = {.tv_sec = timeout_ms / 1000,
                       .tv_usec = (suseconds_t)(timeout_ms % 1000) * 1000};
  redisContext *c = redisConnectWithTimeout(u->host, u->port, tv);
  if (!c) {
    WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
    return NULL;
  }
  if (c->err) {
    WEFT_ERR(err, WEFT_EIO, "cannot connect to %s: %s", u->display,
             c->errstr);
    goto fail;
  }
  if (redisSetTimeout(c, tv) != REDIS_OK) {
    WEFT_ERR(err, WEFT_EIO, "%s: cannot set a timeout: %s", u->display,
             c->errstr);
    goto fail;
  }
  if (u->password &&
      expect_ok(c, u,
                u->user ? redisCommand(c, "AUTH %s %s", u->user, u->password)
                        : redisCommand(c, "AUTH %s", u->password),
                "AUTH", err) < 0)
    goto fail;
  if (u->db &&
      expect_ok(c, u, redisCommand(c, "SELECT %d", u->db), "SELECT", err) < 0)
    goto fail;
  return c;
fail:
  redisFree(c);
  return NULL;
}

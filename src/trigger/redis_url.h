/* redis_url.h - Redis addresses as spin.toml writes them, and connecting
 * to one: redis://[[user]:password@]host[:port][/db], host a name, an
 * IPv4 address or an IPv6 one in brackets. Shared by the Redis trigger
 * (redis.c) and anything else that talks to a Redis server. */
#ifndef WEFT_TRIGGER_REDIS_URL_H
#define WEFT_TRIGGER_REDIS_URL_H

#include <hiredis/hiredis.h>

#include "weft.h"

typedef struct weft__redis_url {
  char *host;     /* without the brackets of an IPv6 address */
  int port;       /* 6379 when not written */
  int db;         /* 0 when not written */
  char *user;     /* NULL when not written; percent-decoded */
  char *password; /* NULL when not written; percent-decoded */
  char *display;  /* "redis://host:port[/db]": for messages, since it
                     never shows the password */
} weft__redis_url_t;

/* Parse `address` (borrowed) into *out, whose strings are new: release
 * with weft__redis_url_release. A malformed address fails with
 * WEFT_EINVAL, quoting it (its password hidden) and saying what is
 * wrong; rediss:// (TLS) is refused the same way. On failure *out is
 * left released. */
int weft__redis_url_parse(const char *address, weft__redis_url_t *out,
                          weft_error_t *err);
void weft__redis_url_release(weft__redis_url_t *u);

/* A blocking connection to `u` (borrowed), with `timeout_ms` on the
 * connect and on every later read or write, authenticated (AUTH) and on
 * its database (SELECT) when the address says so. Free with redisFree.
 * Fails with WEFT_EIO and hiredis's or the server's reason. */
redisContext *weft__redis_connect(const weft__redis_url_t *u,
                                  unsigned timeout_ms, weft_error_t *err);

#endif

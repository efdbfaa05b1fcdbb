/* route.c - HTTP route syntax and the router (route.h). Routes are few, so
 * the router keeps them sorted by precedence and takes the first that
 * matches. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/route.h"

/* True if `ch` may appear in a ":name". */
static bool name_char(char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
         (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
}

/* See route.h. */
bool weft__route_check(const char *route, bool is_base, const char **why) {
  const char *names[WEFT__ROUTE_MAX_CAPTURES], *p, *e;
  size_t lens[WEFT__ROUTE_MAX_CAPTURES], n = 0, len, i;
  if (route[0] != '/') {
    *why = "must start with '/'";
    return false;
  }
  for (p = route + 1; *p; p = e + 1) {
    e = strchr(p, '/');
    if (!e)
      e = p + strlen(p);
    len = (size_t)(e - p);
    if (!len) {
      *why = "has an empty segment";
      return false;
    }
    if ((len == 3 && !memcmp(p, "...", 3)) || *p == ':') {
      if (is_base) {
        *why = "must not hold wildcards";
        return false;
      }
    }
    if (len == 3 && !memcmp(p, "...", 3)) {
      if (*e && e[1]) {
        *why = "'...' must be the last segment";
        return false;
      }
    } else if (*p == ':') {
      if (len == 1) {
        *why = "':' must be followed by a name";
        return false;
      }
      for (i = 1; i < len; i++)
        if (!name_char(p[i])) {
          *why = "wildcard names hold letters, digits, '_' and '-'";
          return false;
        }
      for (i = 0; i < n; i++)
        if (lens[i] == len - 1 && !memcmp(names[i], p + 1, len - 1)) {
          *why = "repeats a wildcard name";
          return false;
        }
      if (n == WEFT__ROUTE_MAX_CAPTURES) {
        *why = "has too many wildcards";
        return false;
      }
      names[n] = p + 1;
      lens[n++] = len - 1;
    } else {
      for (i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)p[i];
        if (ch == '*') {
          *why = "use '/...' for a trailing wildcard";
          return false;
        }
        if (ch <= 0x20 || ch == 0x7f || ch == '?' || ch == '#') {
          *why = "has a character not allowed in a path";
          return false;
        }
      }
    }
    if (!*e)
      break;
  }
  return true;
}

/* See route.h. */
int weft__route_key(const char *route, weft__buf_t *out) {
  size_t len = strlen(route), i = 0;
  int rc = 0;
  if (len > 1 && route[len - 1] == '/')
    len--;
  while (i < len && !rc) {
    /* Segments start at their '/': "/users", "/:id". */
    bool param = i + 1 < len && route[i + 1] == ':';
    size_t j = i;
    while (j < len && (j == i || route[j] != '/'))
      j++;
    rc = param ? weft__buf_add(out, "/:", 2)
               : weft__buf_add(out, route + i, j - i);
    i = j;
  }
  if (!rc && !out->data)
    rc = weft__buf_add(out, "", 0);
  return rc ? WEFT_ENOMEM : 0;
}

/* ---- the router --------------------------------------------------------- */

typedef struct seg {
  const char *text; /* the literal, or the name of a ":name" */
  size_t len;
  bool param;
  size_t capture;   /* index of its capture when param */
} seg_t;

typedef struct croute {
  size_t trigger, order;
  const char *component_id;
  const char *matched, *raw, *component_route;
  seg_t *segs;
  size_t nsegs;
  bool wild;                  /* ends in "/..." */
  const char *names[WEFT__ROUTE_MAX_CAPTURES];
  const char *headers[WEFT__ROUTE_MAX_CAPTURES];
  size_t ncaptures;
} croute_t;

struct weft__router {
  weft__arena_t arena;
  croute_t *routes;
  size_t len;
  const char *base;
};

/* `s` (len bytes) without one trailing '/'. */
static size_t strip_slash(const char *s, size_t len) {
  return len && s[len - 1] == '/' ? len - 1 : len;
}

/* Precedence: exact before wildcard; longer wildcard prefixes first; then
 * literal before ":name" at the first segment where they differ; then the
 * order of writing. */
static int compare(const void *pa, const void *pb) {
  const croute_t *a = pa, *b = pb;
  size_t i, n = a->nsegs < b->nsegs ? a->nsegs : b->nsegs;
  if (a->wild != b->wild)
    return a->wild ? 1 : -1;
  if (a->nsegs != b->nsegs)
    return a->nsegs > b->nsegs ? -1 : 1;
  for (i = 0; i < n; i++)
    if (a->segs[i].param != b->segs[i].param)
      return a->segs[i].param ? 1 : -1;
  return a->order < b->order ? -1 : a->order > b->order;
}

/* Fill `r` for `route` under `base`; strings go to `arena`. */
static int compile(weft__arena_t *arena, const char *base, const char *route,
                   croute_t *r) {
  size_t bl = strip_slash(base, strlen(base));
  size_t rl = strip_slash(route, strlen(route)), n = 0, i, len;
  char *based = weft__arena_alloc(arena, bl + rl + 2), *p, *e;
  if (!based)
    return WEFT_ENOMEM;
  memcpy(based, base, bl);
  memcpy(based + bl, route, rl);
  based[bl + rl] = 0;
  for (i = 0; based[i]; i++)
    n += based[i] == '/';
  r->segs = weft__arena_calloc(arena, n ? n : 1, sizeof *r->segs);
  if (!r->segs)
    return WEFT_ENOMEM;
  for (p = based; *p == '/'; p = e) {
    p++;
    e = strchr(p, '/');
    if (!e)
      e = p + strlen(p);
    len = (size_t)(e - p);
    if (len == 3 && !memcmp(p, "...", 3) && !*e) {
      r->wild = true;
      break;
    }
    seg_t *s = &r->segs[r->nsegs++];
    s->param = *p == ':';
    s->text = p + s->param;
    s->len = len - s->param;
    if (s->param) {
      weft__buf_t h;
      if (r->ncaptures == WEFT__ROUTE_MAX_CAPTURES)
        return WEFT_EINVAL;
      s->capture = r->ncaptures;
      r->names[r->ncaptures] = weft__arena_strndup(arena, s->text, s->len);
      weft__buf_init(&h);
      if (weft__buf_puts(&h, "spin-path-match-") ||
          weft__buf_add(&h, s->text, s->len)) {
        weft__buf_release(&h);
        return WEFT_ENOMEM;
      }
      for (i = 16; i < h.len; i++)
        if (h.data[i] == '_')
          h.data[i] = '-';
      r->headers[r->ncaptures] = weft__arena_strndup(arena, h.data, h.len);
      weft__buf_release(&h);
      if (!r->names[r->ncaptures] || !r->headers[r->ncaptures++])
        return WEFT_ENOMEM;
    }
  }
  r->matched = *based ? based : "/";
  r->raw = route;
  len = strlen(route);
  if (len >= 4 && !strcmp(route + len - 4, "/..."))
    len -= 4;
  r->component_route = weft__arena_strndup(arena, route, len);
  return r->component_route ? 0 : WEFT_ENOMEM;
}

/* See route.h. */
int weft__router_new(const weft__manifest_t *m, weft__router_t **out,
                     weft_error_t *err) {
  weft__router_t *r = calloc(1, sizeof *r);
  const char *why;
  size_t i;
  int rc = WEFT_ENOMEM;
  *out = NULL;
  if (!r)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  r->base = m->app.http_base ? m->app.http_base : "/";
  r->routes = weft__arena_calloc(&r->arena, m->triggers_len + 1,
                                 sizeof *r->routes);
  if (!r->routes)
    goto fail;
  if (!weft__route_check(r->base, true, &why)) {
    rc = WEFT_ERR(err, WEFT_EINVAL, "invalid base '%s': %s", r->base, why);
    goto out;
  }
  for (i = 0; i < m->triggers_len; i++) {
    const weft__manifest_trigger_t *t = &m->triggers[i];
    croute_t *c = &r->routes[r->len];
    if (t->kind != WEFT__TRIGGER_HTTP || t->u.http.is_private ||
        !t->u.http.route)
      continue;
    if (!weft__route_check(t->u.http.route, false, &why)) {
      rc = WEFT_ERR(err, WEFT_EINVAL, "invalid route '%s': %s",
                    t->u.http.route, why);
      goto out;
    }
    c->trigger = i;
    c->order = r->len;
    c->component_id = t->component_id;
    if ((rc = compile(&r->arena, r->base, t->u.http.route, c))) {
      if (rc == WEFT_EINVAL)
        rc = WEFT_ERR(err, rc, "invalid route '%s'", t->u.http.route);
      else
        goto fail;
      goto out;
    }
    r->len++;
  }
  qsort(r->routes, r->len, sizeof *r->routes, compare);
  *out = r;
  return 0;
fail:
  rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
out:
  weft__router_free(r);
  return rc;
}

/* See route.h. */
void weft__router_free(weft__router_t *r) {
  if (!r)
    return;
  weft__arena_release(&r->arena);
  free(r);
}

/* See route.h. */
size_t weft__router_len(const weft__router_t *r) { return r->len; }

/* The next segment of path[0..len) from *pos, or false at the end. One
 * trailing '/' ends the path rather than opening an empty segment. */
static bool next_seg(const char *path, size_t len, size_t *pos,
                     const char **seg, size_t *seglen) {
  const char *e;
  if (*pos >= len)
    return false;
  *seg = path + *pos;
  e = memchr(*seg, '/', len - *pos);
  *seglen = e ? (size_t)(e - *seg) : len - *pos;
  *pos += *seglen + 1;
  return true;
}

/* Match `path` against `c`, filling `m` on success. */
static bool try_route(const croute_t *c, const char *path, size_t len,
                      weft__route_match_t *m) {
  size_t pos = 1, i, seglen = 0, prefix_end = 0;
  const char *seg = NULL;
  for (i = 0; i < c->nsegs; i++) {
    const seg_t *s = &c->segs[i];
    if (!next_seg(path, len, &pos, &seg, &seglen))
      return false;
    if (s->param) {
      if (!seglen)
        return false;
      m->captures[s->capture].value = seg;
      m->captures[s->capture].value_len = seglen;
    } else if (seglen != s->len || memcmp(seg, s->text, seglen)) {
      return false;
    }
    prefix_end = (size_t)(seg - path) + seglen;
  }
  if (c->wild) {
    m->path_info = path + prefix_end;
    m->path_info_len = len - prefix_end;
  } else {
    if (next_seg(path, len, &pos, &seg, &seglen))
      return false;
    m->path_info = path + len;
    m->path_info_len = 0;
  }
  return true;
}

/* See route.h. */
int weft__router_match(const weft__router_t *r, const char *path, size_t len,
                       weft__route_match_t *m) {
  const char *q = memchr(path, '?', len);
  size_t i, j;
  if (q)
    len = (size_t)(q - path);
  if (!len || path[0] != '/')
    return WEFT_ENOTFOUND;
  for (i = 0; i < r->len; i++) {
    const croute_t *c = &r->routes[i];
    if (!try_route(c, path, len, m))
      continue;
    m->trigger = c->trigger;
    m->component_id = c->component_id;
    m->matched_route = c->matched;
    m->raw_component_route = c->raw;
    m->component_route = c->component_route;
    m->base_path = r->base;
    m->captures_len = c->ncaptures;
    for (j = 0; j < c->ncaptures; j++) {
      m->captures[j].name = c->names[j];
      m->captures[j].header = c->headers[j];
    }
    return 0;
  }
  return WEFT_ENOTFOUND;
}

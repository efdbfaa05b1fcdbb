/* allowed_hosts.c - a component's allowed_outbound_hosts: parsing the
 * patterns (outbound.h) and matching URLs against them, as Spin does.
 *
 * A pattern is `scheme://host[:port][/]`. The scheme is a word or `*`;
 * the host a name, an address (`[::1]` for IPv6), `*`, or `*.domain`
 * (subdomains of domain, not domain itself); the port a number, `*`, or
 * Spin's half-open range `a..b` (a <= port < b). Without a port the
 * scheme's well-known one is meant, so `*://host` is refused.
 * `insecure:allow-all` (Spin 1) allows everything. URLs are parsed by
 * libcurl's URL API, the same parser that later sends the request, so
 * what is checked is what is connected to. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "trigger/outbound.h"
#include "util/util.h"

typedef struct pattern {
  char *text;         /* the expanded entry, owned; the rest points in it */
  const char *scheme; /* lowercase; NULL: any */
  const char *host;   /* lowercase; NULL: any; ".domain" for subdomains */
  unsigned lo, hi;    /* ports allowed: lo <= port < hi */
} pattern_t;

struct weft__allowed_hosts {
  bool all; /* insecure:allow-all */
  pattern_t *p;
  size_t n;
};

/* Spin's well-known ports; 0 when the scheme has none. */
static unsigned default_port(const char *scheme) {
  static const struct {
    const char *scheme;
    unsigned port;
  } known[] = {{"http", 80},    {"https", 443},  {"postgres", 5432},
               {"mysql", 3306}, {"redis", 6379}, {"mqtt", 1883}};
  for (size_t i = 0; scheme && i < sizeof known / sizeof *known; i++)
    if (!strcmp(scheme, known[i].scheme))
      return known[i].port;
  return 0;
}

static void lower(char *s) {
  for (; *s; s++)
    *s = (char)tolower((unsigned char)*s);
}

/* A port number of `len` digits at `s` into *out; false if it is not. */
static bool port_number(const char *s, size_t len, unsigned *out) {
  unsigned v = 0;
  if (len == 0 || len > 5)
    return false;
  for (size_t i = 0; i < len; i++) {
    if (!isdigit((unsigned char)s[i]))
      return false;
    v = v * 10 + (unsigned)(s[i] - '0');
  }
  *out = v;
  return v <= 65535;
}

/* A host name or IPv4 address, after any "*." prefix: labels of letters,
 * digits, '-' and '_' joined by single dots. */
static bool valid_name(const char *s) {
  if (!*s || *s == '.')
    return false;
  for (; *s; s++)
    if (!(isalnum((unsigned char)*s) || *s == '-' || *s == '_' ||
          (*s == '.' && s[1] != '.')))
      return false;
  return true;
}

/* Parse one expanded entry `s` into *p. Returns NULL, or why it is not a
 * pattern (worded without quoting `s`: it may hold a secret). */
static const char *parse(char *s, pattern_t *p) {
  char *sep = strstr(s, "://"), *host, *port = NULL, *end;
  if (!sep)
    return "has no scheme (write it as http://host, https://host or "
           "*://host:port)";
  *sep = 0;
  host = sep + 3;
  if (strcmp(s, "*")) {
    for (char *c = s; *c; c++)
      if (!isalpha((unsigned char)*c))
        return "has a bad scheme (letters or '*')";
    if (!*s)
      return "has no scheme";
    lower(s);
    p->scheme = s;
  }
  if ((end = strpbrk(host, "/?#"))) {
    if (*end != '/' || end[1])
      return "has a path, query or fragment (only scheme://host:port)";
    *end = 0;
  }
  if (*host == '[') { /* IPv6: [addr] then optional :port */
    end = strchr(host, ']');
    if (!end || end == host + 1 || (end[1] && end[1] != ':'))
      return "has a bad IPv6 address";
    for (char *c = host + 1; c < end; c++)
      if (!isxdigit((unsigned char)*c) && *c != ':' && *c != '.')
        return "has a bad IPv6 address";
    port = end[1] ? end + 2 : NULL;
    end[1] = 0;
  } else {
    if ((end = strrchr(host, ':'))) {
      *end = 0;
      port = end + 1;
    }
    if (!*host)
      return "has no host";
    if (strcmp(host, "*") &&
        !valid_name(strncmp(host, "*.", 2) ? host : host + 2))
      return "has a bad host (a name, an address, '*' or '*.domain')";
  }
  lower(host);
  if (strcmp(host, "*"))
    p->host = host[0] == '*' ? host + 1 : host; /* "*.a.com" -> ".a.com" */
  if (!port || !*port) {
    if (!(p->lo = default_port(p->scheme)))
      return "has no port, and its scheme has no default port";
    p->hi = p->lo + 1;
  } else if (!strcmp(port, "*")) {
    p->lo = 0, p->hi = 65536;
  } else if ((end = strstr(port, ".."))) {
    if (!port_number(port, (size_t)(end - port), &p->lo) ||
        !port_number(end + 2, strlen(end + 2), &p->hi) || p->hi <= p->lo)
      return "has a bad port range (a..b with a < b; b is excluded)";
  } else {
    if (!port_number(port, strlen(port), &p->lo))
      return "has a bad port (a number up to 65535, a..b or '*')";
    p->hi = p->lo + 1;
  }
  return NULL;
}

/* Expand entry `e`'s templates and trim blanks: a new string. */
static char *expand(const weft__manifest_str_t *e, const weft__vars_t *vars) {
  char *s = NULL;
  if (strstr(e->value, "{{") ? weft__vars_expand(vars, e->value, &s) < 0
                             : !(s = weft__strdup(e->value)))
    return NULL;
  size_t a = strspn(s, " \t"), n = strlen(s);
  while (n > a && (s[n - 1] == ' ' || s[n - 1] == '\t'))
    n--;
  memmove(s, s + a, n - a);
  s[n - a] = 0;
  return s;
}

int weft__allowed_hosts_new(const weft__manifest_component_t *c,
                            const weft__vars_t *vars,
                            weft__allowed_hosts_t **out, weft_error_t *err) {
  const weft__manifest_strs_t *hosts = &c->allowed_outbound_hosts;
  weft__allowed_hosts_t *a = calloc(1, sizeof *a);
  if (!a || !(a->p = calloc(hosts->len + 1, sizeof *a->p))) {
    free(a);
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  }
  for (size_t i = 0; i < hosts->len; i++) {
    const weft__manifest_str_t *e = &hosts->items[i];
    char *s = expand(e, vars);
    if (!s) {
      weft__allowed_hosts_free(a);
      return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
    }
    if (!strcmp(s, "insecure:allow-all")) {
      a->all = true;
      free(s);
      continue;
    }
    pattern_t *p = &a->p[a->n++];
    p->text = s;
    const char *why = parse(s, p);
    if (why) {
      int rc = WEFT_ERR(err, WEFT_EINVAL,
                        "%s:%d: component '%s': allowed_outbound_hosts "
                        "entry '%s' %s",
                        e->loc.file, e->loc.line, c->id, e->value, why);
      weft__allowed_hosts_free(a);
      return rc;
    }
  }
  *out = a;
  return 0;
}

void weft__allowed_hosts_free(weft__allowed_hosts_t *a) {
  if (!a)
    return;
  for (size_t i = 0; i < a->n; i++)
    free(a->p[i].text);
  free(a->p);
  free(a);
}

static bool host_matches(const char *want, const char *host) {
  if (!want)
    return true;
  if (*want != '.')
    return !strcmp(want, host);
  size_t w = strlen(want), h = strlen(host);
  return h > w && !strcmp(host + h - w, want);
}

bool weft__allowed_hosts_allow(const weft__allowed_hosts_t *a,
                               const char *url) {
  if (a->all)
    return true;
  CURLU *u = curl_url();
  char *scheme = NULL, *host = NULL, *port = NULL;
  bool ok = false;
  unsigned n;
  if (!u || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
      curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
      curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
      curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK ||
      !port_number(port, strlen(port), &n))
    goto out;
  lower(scheme);
  lower(host);
  for (size_t i = 0; i < a->n && !ok; i++) {
    const pattern_t *p = &a->p[i];
    ok = (!p->scheme || !strcmp(p->scheme, scheme)) &&
         host_matches(p->host, host) && n >= p->lo && n < p->hi;
  }
out:
  curl_free(scheme);
  curl_free(host);
  curl_free(port);
  curl_url_cleanup(u);
  return ok;
}

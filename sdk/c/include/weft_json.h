/* weft_json.h - a small, complete JSON parser (RFC 8259) for guests:
 * header-only C with nothing but the C library (malloc, free, strtod),
 * for wasm32-wasi where no JSON library is packaged. Weft's flow examples
 * read their `config` with it.
 *
 *   char why[128];
 *   weft_json_t *cfg = weft_json_parse(text, len, why, sizeof why);
 *   if (!cfg) ... why: "line 1, column 18: expected ',' or '}'"
 *   int64_t max;
 *   if (weft_json_get_i64(cfg, "max_per_second", &max)) ...
 *   weft_json_free(cfg);
 *
 * What it accepts is exactly RFC 8259's grammar: one value with optional
 * whitespace around it; literals true, false, null; numbers with the
 * grammar's leading-zero, fraction and exponent rules; strings whose
 * escapes (\" \\ \/ \b \f \n \r \t \uXXXX, surrogate pairs joined) are
 * decoded to UTF-8, with no raw control characters; input that is valid
 * UTF-8 (no overlong forms, no surrogates). It refuses anything else, and
 * nesting deeper than WEFT_JSON_MAX_DEPTH. Duplicate object keys are kept
 * in order; weft_json_get finds the first.
 *
 * Every value is one malloc'd weft_json_t; strings are NUL-terminated
 * copies (they may hold NUL bytes: use `len`). The tree is freed at once
 * with weft_json_free. All functions are static inline: include the
 * header in as many files as you like. tests/unit/flow_json_test.c tests
 * it natively. */
#ifndef WEFT_JSON_H
#define WEFT_JSON_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WEFT_JSON_MAX_DEPTH 128

typedef enum weft_json_type {
  WEFT_JSON_NULL = 0,
  WEFT_JSON_FALSE,
  WEFT_JSON_TRUE,
  WEFT_JSON_NUMBER,
  WEFT_JSON_STRING,
  WEFT_JSON_ARRAY,
  WEFT_JSON_OBJECT
} weft_json_type_t;

typedef struct weft_json weft_json_t;
struct weft_json {
  weft_json_type_t type;
  double number;         /* NUMBER */
  bool is_int;           /* NUMBER written as an integer within int64 */
  int64_t integer;       /* ... and its exact value */
  char *string;          /* STRING: decoded, NUL-terminated */
  size_t len;            /* STRING: bytes; ARRAY, OBJECT: members */
  char *key;             /* a member of an OBJECT: its key, decoded */
  size_t key_len;
  weft_json_t *child;    /* ARRAY, OBJECT: the first member */
  weft_json_t *next;     /* the next member of the parent */
};

/* ---- the parser --------------------------------------------------------- */

typedef struct weft_json_parser {
  const unsigned char *p, *end, *start;
  char *err;
  size_t errcap;
  int depth;
} weft_json_parser_t;

/* Set the error (the first one only) with its line and column. */
static inline void weft_json__fail(weft_json_parser_t *ps, const char *what) {
  if (!ps->err || !ps->errcap || ps->err[0])
    return;
  size_t line = 1, col = 1;
  for (const unsigned char *q = ps->start; q < ps->p && q < ps->end; q++) {
    if (*q == '\n') {
      line++;
      col = 1;
    } else if ((*q & 0xc0) != 0x80) {
      col++;
    }
  }
  snprintf(ps->err, ps->errcap, "line %zu, column %zu: %s", line, col, what);
}

static inline void weft_json__ws(weft_json_parser_t *ps) {
  while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' ||
                             *ps->p == '\n' || *ps->p == '\r'))
    ps->p++;
}

static inline weft_json_t *weft_json__new(weft_json_parser_t *ps,
                                          weft_json_type_t type) {
  weft_json_t *v = calloc(1, sizeof *v);
  if (!v)
    weft_json__fail(ps, "out of memory");
  else
    v->type = type;
  return v;
}

/* Free `v`, its members and its siblings after it. */
static inline void weft_json_free(weft_json_t *v) {
  while (v) {
    weft_json_t *next = v->next;
    weft_json_free(v->child);
    free(v->string);
    free(v->key);
    free(v);
    v = next;
  }
}

/* The length of the UTF-8 sequence at p (at most `left` bytes), or 0
 * when it is not well-formed. */
static inline size_t weft_json__utf8(const unsigned char *p, size_t left) {
  unsigned c = p[0];
  size_t n;
  unsigned min, cp;
  if (c < 0x80)
    return 1;
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
    min = 0x80;
    cp = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    min = 0x800;
    cp = c & 0x0f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    min = 0x10000;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (left < n)
    return 0;
  for (size_t i = 1; i < n; i++) {
    if ((p[i] & 0xc0) != 0x80)
      return 0;
    cp = (cp << 6) | (p[i] & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  return n;
}

static inline int weft_json__hex4(const unsigned char *p, unsigned *out) {
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    unsigned c = p[i], d;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if (c >= 'a' && c <= 'f')
      d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      d = c - 'A' + 10;
    else
      return -1;
    v = v * 16 + d;
  }
  *out = v;
  return 0;
}

static inline size_t weft_json__put_utf8(char *o, unsigned cp) {
  if (cp < 0x80) {
    o[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    o[0] = (char)(0xc0 | (cp >> 6));
    o[1] = (char)(0x80 | (cp & 0x3f));
    return 2;
  }
  if (cp < 0x10000) {
    o[0] = (char)(0xe0 | (cp >> 12));
    o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
    o[2] = (char)(0x80 | (cp & 0x3f));
    return 3;
  }
  o[0] = (char)(0xf0 | (cp >> 18));
  o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
  o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
  o[3] = (char)(0x80 | (cp & 0x3f));
  return 4;
}

/* A string at ps->p (on its opening quote): its decoded bytes, malloc'd
 * and NUL-terminated, into *out and *len. */
static inline int weft_json__string(weft_json_parser_t *ps, char **out,
                                    size_t *len) {
  /* The decoded form is never longer than the text to the closing quote
   * (a \uXXXX escape is 6 bytes for at most 3, a pair 12 for 4). */
  const unsigned char *q = ++ps->p;
  while (q < ps->end && *q != '"')
    q += *q == '\\' && q + 1 < ps->end ? 2 : 1;
  char *buf = malloc((size_t)(q - ps->p) + 1);
  size_t n = 0;
  if (!buf) {
    weft_json__fail(ps, "out of memory");
    return -1;
  }
  for (;;) {
    if (ps->p >= ps->end) {
      weft_json__fail(ps, "unterminated string");
      goto bad;
    }
    unsigned c = *ps->p;
    if (c == '"') {
      ps->p++;
      break;
    }
    if (c < 0x20) {
      weft_json__fail(ps, "control character in a string");
      goto bad;
    }
    if (c != '\\') {
      size_t k = weft_json__utf8(ps->p, (size_t)(ps->end - ps->p));
      if (!k) {
        weft_json__fail(ps, "invalid UTF-8");
        goto bad;
      }
      memcpy(buf + n, ps->p, k);
      n += k;
      ps->p += k;
      continue;
    }
    if (ps->p + 1 >= ps->end) {
      weft_json__fail(ps, "unterminated string");
      goto bad;
    }
    c = ps->p[1];
    ps->p += 2;
    switch (c) {
    case '"':
    case '\\':
    case '/':
      buf[n++] = (char)c;
      break;
    case 'b':
      buf[n++] = '\b';
      break;
    case 'f':
      buf[n++] = '\f';
      break;
    case 'n':
      buf[n++] = '\n';
      break;
    case 'r':
      buf[n++] = '\r';
      break;
    case 't':
      buf[n++] = '\t';
      break;
    case 'u': {
      unsigned cp, lo;
      if (ps->end - ps->p < 4 || weft_json__hex4(ps->p, &cp) < 0) {
        weft_json__fail(ps, "bad \\u escape");
        goto bad;
      }
      ps->p += 4;
      if (cp >= 0xdc00 && cp <= 0xdfff) {
        weft_json__fail(ps, "lone low surrogate in \\u escape");
        goto bad;
      }
      if (cp >= 0xd800 && cp <= 0xdbff) {
        if (ps->end - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u' ||
            weft_json__hex4(ps->p + 2, &lo) < 0 || lo < 0xdc00 ||
            lo > 0xdfff) {
          weft_json__fail(ps, "high surrogate without its low half");
          goto bad;
        }
        ps->p += 6;
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
      }
      n += weft_json__put_utf8(buf + n, cp);
      break;
    }
    default:
      ps->p -= 2; /* on the backslash */
      weft_json__fail(ps, "bad escape in a string");
      goto bad;
    }
  }
  buf[n] = 0;
  *out = buf;
  *len = n;
  return 0;
bad:
  free(buf);
  return -1;
}

static inline bool weft_json__digit(const weft_json_parser_t *ps) {
  return ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9';
}

static inline int weft_json__number(weft_json_parser_t *ps, weft_json_t *v) {
  const unsigned char *s = ps->p;
  bool integral = true;
  if (ps->p < ps->end && *ps->p == '-')
    ps->p++;
  if (!weft_json__digit(ps)) {
    weft_json__fail(ps, "expected a digit");
    return -1;
  }
  if (*ps->p == '0')
    ps->p++;
  else
    while (weft_json__digit(ps))
      ps->p++;
  if (ps->p < ps->end && *ps->p == '.') {
    integral = false;
    ps->p++;
    if (!weft_json__digit(ps)) {
      weft_json__fail(ps, "expected a digit after '.'");
      return -1;
    }
    while (weft_json__digit(ps))
      ps->p++;
  }
  if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
    integral = false;
    ps->p++;
    if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
      ps->p++;
    if (!weft_json__digit(ps)) {
      weft_json__fail(ps, "expected a digit in the exponent");
      return -1;
    }
    while (weft_json__digit(ps))
      ps->p++;
  }
  size_t n = (size_t)(ps->p - s);
  char small[64], *text = n < sizeof small ? small : malloc(n + 1);
  if (!text) {
    weft_json__fail(ps, "out of memory");
    return -1;
  }
  memcpy(text, s, n);
  text[n] = 0;
  v->number = strtod(text, NULL);
  if (integral) {
    errno = 0;
    long long i = strtoll(text, NULL, 10);
    if (errno == 0) {
      v->is_int = true;
      v->integer = (int64_t)i;
    }
  }
  if (text != small)
    free(text);
  return 0;
}

static inline weft_json_t *weft_json__value(weft_json_parser_t *ps);

/* The members of an array or object at ps->p (on its bracket). */
static inline int weft_json__members(weft_json_parser_t *ps, weft_json_t *v,
                                     bool object) {
  char close = object ? '}' : ']';
  weft_json_t **tail = &v->child;
  ps->p++;
  weft_json__ws(ps);
  if (ps->p < ps->end && *ps->p == close) {
    ps->p++;
    return 0;
  }
  for (;;) {
    char *key = NULL;
    size_t key_len = 0;
    weft_json__ws(ps);
    if (object) {
      if (ps->p >= ps->end || *ps->p != '"') {
        weft_json__fail(ps, "expected a string key");
        return -1;
      }
      if (weft_json__string(ps, &key, &key_len) < 0)
        return -1;
      weft_json__ws(ps);
      if (ps->p >= ps->end || *ps->p != ':') {
        free(key);
        weft_json__fail(ps, "expected ':'");
        return -1;
      }
      ps->p++;
    }
    weft_json_t *m = weft_json__value(ps);
    if (!m) {
      free(key);
      return -1;
    }
    m->key = key;
    m->key_len = key_len;
    *tail = m;
    tail = &m->next;
    v->len++;
    weft_json__ws(ps);
    if (ps->p < ps->end && *ps->p == ',') {
      ps->p++;
      continue;
    }
    if (ps->p < ps->end && *ps->p == close) {
      ps->p++;
      return 0;
    }
    weft_json__fail(ps, object ? "expected ',' or '}'" : "expected ',' or ']'");
    return -1;
  }
}

static inline bool weft_json__word(weft_json_parser_t *ps, const char *w) {
  size_t n = strlen(w);
  if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, w, n))
    return false;
  ps->p += n;
  return true;
}

static inline weft_json_t *weft_json__value(weft_json_parser_t *ps) {
  weft_json_t *v = NULL;
  weft_json__ws(ps);
  if (ps->p >= ps->end) {
    weft_json__fail(ps, "expected a value");
    return NULL;
  }
  switch (*ps->p) {
  case '{':
  case '[': {
    bool object = *ps->p == '{';
    if (++ps->depth > WEFT_JSON_MAX_DEPTH) {
      weft_json__fail(ps, "nested too deeply");
      return NULL;
    }
    v = weft_json__new(ps, object ? WEFT_JSON_OBJECT : WEFT_JSON_ARRAY);
    if (v && weft_json__members(ps, v, object) < 0) {
      weft_json_free(v);
      v = NULL;
    }
    ps->depth--;
    return v;
  }
  case '"':
    if (!(v = weft_json__new(ps, WEFT_JSON_STRING)))
      return NULL;
    if (weft_json__string(ps, &v->string, &v->len) < 0) {
      weft_json_free(v);
      return NULL;
    }
    return v;
  case 't':
    if (weft_json__word(ps, "true"))
      return weft_json__new(ps, WEFT_JSON_TRUE);
    break;
  case 'f':
    if (weft_json__word(ps, "false"))
      return weft_json__new(ps, WEFT_JSON_FALSE);
    break;
  case 'n':
    if (weft_json__word(ps, "null"))
      return weft_json__new(ps, WEFT_JSON_NULL);
    break;
  default:
    if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9')) {
      if (!(v = weft_json__new(ps, WEFT_JSON_NUMBER)))
        return NULL;
      if (weft_json__number(ps, v) < 0) {
        weft_json_free(v);
        return NULL;
      }
      return v;
    }
  }
  weft_json__fail(ps, "expected a value");
  return NULL;
}

/* Parse the `len` bytes at `text` (NUL bytes included, no terminator
 * needed). Returns the value, which the caller frees with weft_json_free,
 * or NULL with the reason in err[errcap] ("line L, column C: what";
 * `err` may be NULL). */
static inline weft_json_t *weft_json_parse(const char *text, size_t len,
                                           char *err, size_t errcap) {
  weft_json_parser_t ps = {(const unsigned char *)text,
                           (const unsigned char *)text + len,
                           (const unsigned char *)text, err, errcap, 0};
  if (err && errcap)
    err[0] = 0;
  weft_json_t *v = weft_json__value(&ps);
  if (!v)
    return NULL;
  weft_json__ws(&ps);
  if (ps.p != ps.end) {
    weft_json__fail(&ps, "unexpected text after the value");
    weft_json_free(v);
    return NULL;
  }
  return v;
}

/* ---- reading a tree ----------------------------------------------------- */

/* Member `key` of object `obj` (the first of that name), or NULL when
 * `obj` is not an object or has none. */
static inline const weft_json_t *weft_json_get(const weft_json_t *obj,
                                               const char *key) {
  size_t n = strlen(key);
  if (!obj || obj->type != WEFT_JSON_OBJECT)
    return NULL;
  for (const weft_json_t *m = obj->child; m; m = m->next)
    if (m->key_len == n && !memcmp(m->key, key, n))
      return m;
  return NULL;
}

/* Element `i` of array `arr`, or NULL. */
static inline const weft_json_t *weft_json_at(const weft_json_t *arr,
                                              size_t i) {
  if (!arr || arr->type != WEFT_JSON_ARRAY)
    return NULL;
  const weft_json_t *m = arr->child;
  while (m && i--)
    m = m->next;
  return m;
}

/* Member `key` as an integer: true and *out when it is a number written as
 * an integer within int64. */
static inline bool weft_json_get_i64(const weft_json_t *obj, const char *key,
                                     int64_t *out) {
  const weft_json_t *v = weft_json_get(obj, key);
  if (!v || v->type != WEFT_JSON_NUMBER || !v->is_int)
    return false;
  *out = v->integer;
  return true;
}

/* Member `key` as a number: true and *out when it is one. */
static inline bool weft_json_get_number(const weft_json_t *obj,
                                        const char *key, double *out) {
  const weft_json_t *v = weft_json_get(obj, key);
  if (!v || v->type != WEFT_JSON_NUMBER)
    return false;
  *out = v->number;
  return true;
}

/* Member `key` as a string (NUL-terminated, owned by the tree), or NULL. */
static inline const char *weft_json_get_string(const weft_json_t *obj,
                                               const char *key) {
  const weft_json_t *v = weft_json_get(obj, key);
  return v && v->type == WEFT_JSON_STRING ? v->string : NULL;
}

/* Member `key` as a boolean: true and *out when it is one. */
static inline bool weft_json_get_bool(const weft_json_t *obj, const char *key,
                                      bool *out) {
  const weft_json_t *v = weft_json_get(obj, key);
  if (!v || (v->type != WEFT_JSON_TRUE && v->type != WEFT_JSON_FALSE))
    return false;
  *out = v->type == WEFT_JSON_TRUE;
  return true;
}

#endif

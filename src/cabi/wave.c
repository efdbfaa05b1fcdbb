/* wave.c - WAVE, the WebAssembly Value Encoding (wave.h): the text of
 * component values read against a WIT type into weft_val_t values, and
 * printed back in one canonical form.
 *
 * The parser is recursive descent driven by the type: the type says what
 * the next token must be, so no syntax tree is built and `none` is an
 * option or an enum case by where it stands. Every read checks the
 * length, nesting is bounded, and numbers are read and written in the C
 * locale whatever the embedder set. See docs/internals/wave.md. */
#include <inttypes.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cabi/wave.h"
#include "util/util.h"

/* Types cannot recurse, so a value is never deeper than its type; this
 * only stops a pathological chain of named types from using the stack. */
#define PRINT_MAX_DEPTH 1000

/* ---- the C locale for numbers ------------------------------------------ */

static locale_t c_locale;
static pthread_once_t c_once = PTHREAD_ONCE_INIT;

/* Make the C locale once (pthread_once: hosts may call from threads). */
static void c_locale_init(void) {
  c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

/* Switch this thread to the C locale, so that '.' is the decimal point for
 * strtod and snprintf; returns what c_locale_end restores (0 if the
 * locale could not be made: then the current one is used). */
static locale_t c_locale_begin(void) {
  pthread_once(&c_once, c_locale_init);
  return c_locale ? uselocale(c_locale) : (locale_t)0;
}

/* Undo c_locale_begin. */
static void c_locale_end(locale_t old) {
  if (old)
    uselocale(old);
}

/* ---- characters --------------------------------------------------------- */

static bool is_digit(int c) { return c >= '0' && c <= '9'; }
static bool is_alpha(int c) { return (c | 32) >= 'a' && (c | 32) <= 'z'; }
static bool is_label_char(int c) {
  return is_alpha(c) || is_digit(c) || c == '-';
}

/* C0, DEL and C1: written as escapes, never raw. */
static bool is_control(uint32_t c) {
  return c < 0x20 || (c >= 0x7f && c < 0xa0);
}

/* Encode scalar value `c` as UTF-8 into `out` (room for 4); the length. */
static size_t utf8_put(uint32_t c, char *out) {
  if (c < 0x80) {
    out[0] = (char)c;
    return 1;
  }
  if (c < 0x800) {
    out[0] = (char)(0xc0 | (c >> 6));
    out[1] = (char)(0x80 | (c & 0x3f));
    return 2;
  }
  if (c < 0x10000) {
    out[0] = (char)(0xe0 | (c >> 12));
    out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
    out[2] = (char)(0x80 | (c & 0x3f));
    return 3;
  }
  out[0] = (char)(0xf0 | (c >> 18));
  out[1] = (char)(0x80 | ((c >> 12) & 0x3f));
  out[2] = (char)(0x80 | ((c >> 6) & 0x3f));
  out[3] = (char)(0x80 | (c & 0x3f));
  return 4;
}

static const char *const keywords[] = {"true", "false", "inf",  "nan",
                                       "some", "none",  "ok",   "err"};

/* True if s[0..n) is one of WAVE's keywords, which a case name must
 * escape with '%'. */
static bool is_keyword(const char *s, size_t n) {
  for (size_t k = 0; k < sizeof keywords / sizeof keywords[0]; k++)
    if (strlen(keywords[k]) == n && !memcmp(keywords[k], s, n))
      return true;
  return false;
}

/* ---- text for messages -------------------------------------------------- */

/* A short piece of text, returned by value so that it can be used inside
 * one call's arguments. */
typedef struct text {
  char s[144];
} text_t;

/* s[0..n) quoted for a message: at most 32 code points ("..." when cut),
 * control characters and bad UTF-8 shown as '?'. */
static text_t quoted(const char *s, size_t n) {
  text_t t;
  size_t o = 0, i = 0;
  int cps = 0;
  t.s[o++] = '\'';
  while (i < n) {
    uint32_t c;
    size_t k = weft__utf8_decode((const uint8_t *)s + i, n - i, &c);
    if (cps++ == 32) {
      memcpy(t.s + o, "...", 3);
      o += 3;
      break;
    }
    if (!k || is_control(c)) {
      t.s[o++] = '?';
      i += k ? k : 1;
    } else {
      memcpy(t.s + o, s + i, k);
      o += k;
      i += k;
    }
  }
  t.s[o++] = '\'';
  t.s[o] = 0;
  return t;
}

/* A WIT type written for a message: its name when it has one, else
 * "list<u8>", "result<_, string>", ...; cut short when deep or long. */
typedef struct tname {
  char s[96];
  size_t n;
} tname_t;

/* Append `s`, cut at the end of the buffer. */
static void tn_add(tname_t *b, const char *s) {
  size_t k = strlen(s);
  if (k > sizeof b->s - 1 - b->n)
    k = sizeof b->s - 1 - b->n;
  memcpy(b->s + b->n, s, k);
  b->n += k;
  b->s[b->n] = 0;
}

/* Append `t` (NULL: "_", for a missing result side). */
static void tn_put(tname_t *b, const weft__wit_type_t *t, int depth) {
  size_t i;
  if (!t) {
    tn_add(b, "_");
    return;
  }
  if (t->name) {
    tn_add(b, t->name);
    return;
  }
  tn_add(b, weft__wit_kind_name(t->kind));
  switch (t->kind) {
  case WEFT__WIT_LIST:
  case WEFT__WIT_OPTION:
  case WEFT__WIT_OWN:
  case WEFT__WIT_BORROW:
  case WEFT__WIT_FUTURE:
  case WEFT__WIT_STREAM:
  case WEFT__WIT_RESULT:
  case WEFT__WIT_TUPLE:
    break;
  default:
    return;
  }
  if (t->n == 0 || (t->kind != WEFT__WIT_TUPLE && !t->m[0].type &&
                    (t->n < 2 || !t->m[1].type)))
    return;
  tn_add(b, "<");
  if (depth >= 3) {
    tn_add(b, "...>");
    return;
  }
  for (i = 0; i < t->n; i++) {
    if (t->kind == WEFT__WIT_RESULT && i == 1 && !t->m[1].type)
      break;
    if (i)
      tn_add(b, ", ");
    tn_put(b, t->m[i].type, depth + 1);
  }
  tn_add(b, ">");
}

/* `t` for a message, in a buffer returned by value. */
static tname_t tname(const weft__wit_type_t *t) {
  tname_t b;
  b.n = 0;
  b.s[0] = 0;
  tn_put(&b, t, 0);
  return b;
}

/* ---- the parser --------------------------------------------------------- */

typedef struct wp {
  const char *s;
  size_t len, i; /* the text and the position in it */
  int col0;      /* column of s[0] */
  weft__arena_t *a;
  weft_error_t *err;
} wp_t;

/* The 1-based column of s[at], counting code points. */
static int column(const wp_t *p, size_t at) {
  long c = p->col0;
  for (size_t k = 0; k < at && k < p->len; k++)
    if (((unsigned char)p->s[k] & 0xc0) != 0x80 && c < INT_MAX)
      c++;
  return (int)c;
}

static int fail(wp_t *p, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Fail with "column N: <message>" and WEFT_EPARSE. */
static int fail(wp_t *p, size_t at, const char *fmt, ...) {
  char msg[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return WEFT_ERR(p->err, WEFT_EPARSE, "column %d: %s", column(p, at), msg);
}

/* Fail with WEFT_ENOMEM. */
static int nomem(wp_t *p) {
  return WEFT_ERR(p->err, WEFT_ENOMEM, "out of memory");
}

/* Length of the token at `at`, for quoting it in a message. */
static size_t token_len(const wp_t *p, size_t at) {
  const char *s = p->s;
  size_t j = at;
  uint32_t c;
  if (s[at] == '"' || s[at] == '\'') {
    for (j = at + 1; j < p->len && s[j] != s[at] && s[j] != '\n'; j++)
      if (s[j] == '\\' && j + 1 < p->len && s[j + 1] != '\n')
        j++;
    return j < p->len && s[j] == s[at] ? j + 1 - at : j - at;
  }
  while (j < p->len && (is_label_char(s[j]) || s[j] == '%' || s[j] == '.' ||
                        s[j] == '+' || s[j] == '_'))
    j++;
  if (j > at)
    return j - at;
  j = weft__utf8_decode((const uint8_t *)s + at, p->len - at, &c);
  return j ? j : 1;
}

/* What stands at `at`: "'abc'" or "end of text". */
static text_t found(const wp_t *p, size_t at) {
  text_t t;
  if (at >= p->len) {
    memcpy(t.s, "end of text", sizeof "end of text");
    return t;
  }
  return quoted(p->s + at, token_len(p, at));
}

/* Fail at p->i: a value of type `t` does not start there. */
static int expected(wp_t *p, const weft__wit_type_t *t) {
  return fail(p, p->i, "expected a value of type '%s', found %s",
              tname(t).s, found(p, p->i).s);
}

/* Fail at p->i: neither ',' nor `close` stands there. */
static int expected_sep(wp_t *p, char close) {
  return fail(p, p->i, "expected ',' or '%c', found %s", close,
              found(p, p->i).s);
}

/* Skip white space and // comments. */
static void skip_ws(wp_t *p) {
  while (p->i < p->len) {
    char c = p->s[p->i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      p->i++;
    } else if (c == '/' && p->i + 1 < p->len && p->s[p->i + 1] == '/') {
      while (p->i < p->len && p->s[p->i] != '\n')
        p->i++;
    } else {
      break;
    }
  }
}

/* True if the byte at p->i is `c`. */
static bool peek(const wp_t *p, char c) {
  return p->i < p->len && p->s[p->i] == c;
}

/* A label or keyword: its text without '%', and where it ends. */
typedef struct label {
  const char *s;
  size_t n, end;
  bool pct; /* written with '%' */
} label_t;

/* Read the label at p->i into *l without moving; false if none. Labels
 * are not checked for kebab-case here: one that is not a name of the type
 * is unknown anyway. */
static bool label_at(const wp_t *p, label_t *l) {
  size_t j = p->i;
  l->pct = j < p->len && p->s[j] == '%';
  j += l->pct;
  if (j >= p->len || !is_alpha(p->s[j]))
    return false;
  l->s = p->s + j;
  while (j < p->len && is_label_char(p->s[j]))
    j++;
  l->n = (size_t)(p->s + j - l->s);
  l->end = j;
  return true;
}

/* True if `l` is keyword `kw` (written without '%'). */
static bool is_kw(const label_t *l, const char *kw) {
  return !l->pct && strlen(kw) == l->n && !memcmp(l->s, kw, l->n);
}

/* Index of the member of `t` named s[0..n), or -1. */
static long member(const weft__wit_type_t *t, const char *s, size_t n) {
  for (size_t k = 0; k < t->n; k++)
    if (t->m[k].name && strlen(t->m[k].name) == n &&
        !memcmp(t->m[k].name, s, n))
      return (long)k;
  return -1;
}

/* An option or result payload may stand alone ("flat") unless it is
 * itself an option or result, whose `none`/`ok`... would be ambiguous. */
static bool flattens(const weft__wit_type_t *pt) {
  weft__wit_kind_t k = weft__wit_unalias(pt)->kind;
  return k != WEFT__WIT_OPTION && k != WEFT__WIT_RESULT;
}

/* One value of type `t` at nesting `depth` (1 for the outermost) into
 * *out, skipping white space before it. */
static int value(wp_t *p, const weft__wit_type_t *t, int depth,
                 weft_val_t *out);

/* ---- numbers ---- */

/* Scan a number at p->i (JSON's syntax: -?(0|[1-9][0-9]*)(.[0-9]+)?
 * ([eE][+-]?(0|[1-9][0-9]*))?): sets *end and *isint. Returns 1 when no
 * number starts there, WEFT_EPARSE when one is malformed. */
static int scan_number(wp_t *p, size_t *end, bool *isint) {
  const char *s = p->s;
  size_t n = p->len, j = p->i;
  if (j < n && s[j] == '-')
    j++;
  if (j >= n || !is_digit(s[j]))
    return 1;
  *isint = true;
  if (s[j] == '0')
    j++;
  else
    while (j < n && is_digit(s[j]))
      j++;
  if (j < n && s[j] == '.') {
    *isint = false;
    if (++j >= n || !is_digit(s[j]))
      goto bad;
    while (j < n && is_digit(s[j]))
      j++;
  }
  if (j < n && (s[j] == 'e' || s[j] == 'E')) {
    *isint = false;
    j++;
    if (j < n && (s[j] == '+' || s[j] == '-'))
      j++;
    if (j >= n || !is_digit(s[j]))
      goto bad;
    if (s[j] == '0')
      j++;
    else
      while (j < n && is_digit(s[j]))
        j++;
  }
  if (j < n && (is_label_char(s[j]) || s[j] == '.' || s[j] == '+' ||
                s[j] == '_' || s[j] == '%'))
    goto bad;
  *end = j;
  return 0;
bad:
  return fail(p, p->i, "invalid number %s", found(p, p->i).s);
}

/* An integer of kind t->kind, range-checked, into *out. */
static int parse_int(wp_t *p, const weft__wit_type_t *t, weft_val_t *out) {
  size_t at = p->i, end = 0, j;
  bool isint = true, neg, over = false;
  uint64_t mag = 0, pmax, nmax;
  int64_t sv;
  int rc = scan_number(p, &end, &isint);
  if (rc)
    return rc > 0 ? expected(p, t) : rc;
  if (!isint)
    return fail(p, at, "%s is not an integer",
                quoted(p->s + at, end - at).s);
  neg = p->s[at] == '-';
  for (j = at + neg; j < end; j++) {
    unsigned d = (unsigned)(p->s[j] - '0');
    if (mag > (UINT64_MAX - d) / 10)
      over = true;
    else
      mag = mag * 10 + d;
  }
  switch (t->kind) {
  case WEFT__WIT_S8:
    pmax = INT8_MAX, nmax = (uint64_t)INT8_MAX + 1;
    break;
  case WEFT__WIT_U8:
    pmax = UINT8_MAX, nmax = 0;
    break;
  case WEFT__WIT_S16:
    pmax = INT16_MAX, nmax = (uint64_t)INT16_MAX + 1;
    break;
  case WEFT__WIT_U16:
    pmax = UINT16_MAX, nmax = 0;
    break;
  case WEFT__WIT_S32:
    pmax = INT32_MAX, nmax = (uint64_t)INT32_MAX + 1;
    break;
  case WEFT__WIT_U32:
    pmax = UINT32_MAX, nmax = 0;
    break;
  case WEFT__WIT_S64:
    pmax = INT64_MAX, nmax = (uint64_t)INT64_MAX + 1;
    break;
  default:
    pmax = UINT64_MAX, nmax = 0;
    break;
  }
  if (over || mag > (neg ? nmax : pmax))
    return fail(p, at, "%s is out of range for %s",
                quoted(p->s + at, end - at).s, weft__wit_kind_name(t->kind));
  p->i = end;
  /* -mag without overflowing at INT64_MIN */
  sv = !neg ? (int64_t)mag : mag ? -(int64_t)(mag - 1) - 1 : 0;
  switch (t->kind) {
  case WEFT__WIT_S8:
    out->of.s8 = (int8_t)sv;
    break;
  case WEFT__WIT_U8:
    out->of.u8 = (uint8_t)mag;
    break;
  case WEFT__WIT_S16:
    out->of.s16 = (int16_t)sv;
    break;
  case WEFT__WIT_U16:
    out->of.u16 = (uint16_t)mag;
    break;
  case WEFT__WIT_S32:
    out->of.s32 = (int32_t)sv;
    break;
  case WEFT__WIT_U32:
    out->of.u32 = (uint32_t)mag;
    break;
  case WEFT__WIT_S64:
    out->of.s64 = sv;
    break;
  default:
    out->of.u64 = mag;
    break;
  }
  return 0;
}

/* A float (a number, nan, inf or -inf) of kind t->kind into *out. A
 * finite number too large for the type fails rather than becoming inf. */
static int parse_float(wp_t *p, const weft__wit_type_t *t,
                       weft_val_t *out) {
  bool f32 = t->kind == WEFT__WIT_F32, isint, neg = peek(p, '-'), is_label;
  size_t at = p->i, end = 0, n;
  double d = 0;
  float f = 0;
  label_t l;
  p->i += neg;
  is_label = label_at(p, &l);
  p->i = at;
  if (is_label && (is_kw(&l, "inf") || (!neg && is_kw(&l, "nan")))) {
    d = is_kw(&l, "nan") ? NAN : neg ? -INFINITY : INFINITY;
    f = (float)d;
    p->i = l.end;
  } else {
    char small[64], *buf = small;
    locale_t old;
    int rc = scan_number(p, &end, &isint);
    if (rc)
      return rc > 0 ? expected(p, t) : rc;
    n = end - at;
    if (n >= sizeof small && !(buf = malloc(n + 1)))
      return nomem(p);
    memcpy(buf, p->s + at, n);
    buf[n] = 0;
    old = c_locale_begin();
    /* strtof rounds once; (float)strtod would round twice */
    if (f32)
      f = strtof(buf, NULL);
    else
      d = strtod(buf, NULL);
    c_locale_end(old);
    if (buf != small)
      free(buf);
    if (f32 ? isinf(f) : isinf(d))
      return fail(p, at, "%s is out of range for %s",
                  quoted(p->s + at, n).s, f32 ? "f32" : "f64");
    p->i = end;
  }
  if (f32)
    out->of.f32 = f;
  else
    out->of.f64 = d;
  return 0;
}

/* ---- chars and strings ---- */

/* The escape at p->i (a backslash): \' \" \\ \t \n \r or \u{1 to 6 hex
 * digits} naming a scalar value. Sets *c and moves past it. */
static int escape(wp_t *p, uint32_t *c) {
  const char *s = p->s;
  size_t at = p->i, j = at + 1, k, n;
  uint32_t cp;
  if (j < p->len) {
    switch (s[j]) {
    case '\'':
    case '"':
    case '\\':
      *c = (uint8_t)s[j];
      p->i = j + 1;
      return 0;
    case 't':
      *c = '\t';
      p->i = j + 1;
      return 0;
    case 'n':
      *c = '\n';
      p->i = j + 1;
      return 0;
    case 'r':
      *c = '\r';
      p->i = j + 1;
      return 0;
    case 'u':
      if (j + 1 < p->len && s[j + 1] == '{') {
        uint32_t v = 0;
        size_t nd = 0;
        for (k = j + 2; k < p->len && nd <= 6 && weft__hex_digit(s[k]) >= 0; k++)
          v = v * 16 + (uint32_t)weft__hex_digit(s[k]), nd++;
        if (nd >= 1 && nd <= 6 && k < p->len && s[k] == '}' &&
            weft__is_scalar(v)) {
          *c = v;
          p->i = k + 1;
          return 0;
        }
      }
      break;
    default:
      break;
    }
  }
  /* quote the backslash and what follows: a whole \u{...} or one char */
  if (j < p->len && s[j] == 'u') {
    for (k = j; k < p->len && k - at < 14 && s[k] != '}' && s[k] != '"' &&
                s[k] != '\'' && s[k] != '\n';
         k++)
      ;
    n = (k < p->len && s[k] == '}' ? k + 1 : k) - at;
  } else {
    n = j < p->len ? 1 + weft__utf8_decode((const uint8_t *)s + j,
                                           p->len - j, &cp)
                   : 1;
    if (n == 1 && j < p->len)
      n = 2;
  }
  return fail(p, at, "invalid escape %s", quoted(s + at, n).s);
}

/* A char: one scalar value, raw or escaped, between single quotes. */
static int parse_char(wp_t *p, const weft__wit_type_t *t, weft_val_t *out) {
  size_t at = p->i, k;
  uint32_t c;
  int rc;
  if (!peek(p, '\''))
    return expected(p, t);
  p->i++;
  if (p->i >= p->len)
    return fail(p, at, "unterminated char");
  if (p->s[p->i] == '\'')
    return fail(p, at, "empty char");
  if (p->s[p->i] == '\n')
    return fail(p, p->i, "unescaped line break in char");
  if (p->s[p->i] == '\\') {
    if ((rc = escape(p, &c)))
      return rc;
  } else {
    k = weft__utf8_decode((const uint8_t *)p->s + p->i, p->len - p->i, &c);
    if (!k)
      return fail(p, p->i, "invalid UTF-8 in char");
    p->i += k;
  }
  if (p->i >= p->len)
    return fail(p, at, "unterminated char");
  if (p->s[p->i] != '\'')
    return fail(p, p->i, "more than one character in char");
  p->i++;
  out->of.ch = c;
  return 0;
}

/* Decode the characters from p->i to `end` (no line breaks, no closing
 * quote) into buf + *o; buf has room, since no escape is shorter than
 * its UTF-8. */
static int decode_chars(wp_t *p, size_t end, char *buf, size_t *o) {
  uint32_t c;
  size_t k;
  int rc;
  while (p->i < end) {
    if (p->s[p->i] == '\\') {
      if ((rc = escape(p, &c)))
        return rc;
      *o += utf8_put(c, buf + *o);
      continue;
    }
    k = weft__utf8_decode((const uint8_t *)p->s + p->i, end - p->i, &c);
    if (!k)
      return fail(p, p->i, "invalid UTF-8 in string");
    memcpy(buf + *o, p->s + p->i, k);
    *o += k;
    p->i += k;
  }
  return 0;
}

/* A multiline string at p->i: '"""', a line break, lines, then a line of
 * spaces and '"""'. Those spaces are the indent every line must start
 * with and loses; the line breaks between lines become '\n'. */
static int parse_multiline(wp_t *p, weft_val_t *out) {
  const char *s = p->s;
  size_t at = p->i, j = at + 3, body, close, ls, indent, o = 0, k;
  char *buf;
  int rc;
  if (j < p->len && s[j] == '\r')
    j++;
  if (j >= p->len || s[j] != '\n')
    return fail(p, at, "expected a line break after '\"\"\"'");
  body = j + 1;
  /* it ends at the first '"""', which no line may hold */
  for (close = body; close + 3 <= p->len; close++)
    if (!memcmp(s + close, "\"\"\"", 3))
      break;
  if (close + 3 > p->len)
    return fail(p, at, "unterminated multiline string");
  for (ls = close; ls > body && s[ls - 1] == ' '; ls--)
    ;
  if (ls > body && s[ls - 1] != '\n')
    return fail(p, close, "closing '\"\"\"' must be on a line of its own");
  indent = close - ls;
  if (!(buf = weft__arena_alloc(p->a, close - body + 1)))
    return nomem(p);
  /* lines are [j, end of line) for j from body to the last line break */
  for (j = body; j < ls; j = k + 1) {
    size_t e, sp = 0;
    for (k = j; s[k] != '\n'; k++)
      ;
    e = k > j && s[k - 1] == '\r' ? k - 1 : k;
    while (sp < indent && j + sp < e && s[j + sp] == ' ')
      sp++;
    if (sp < indent)
      return fail(p, j, "line indented less than the closing '\"\"\"'");
    if (j > body)
      buf[o++] = '\n';
    p->i = j + indent;
    if ((rc = decode_chars(p, e, buf, &o)))
      return rc;
  }
  buf[o] = 0;
  out->of.str.ptr = buf;
  out->of.str.len = o;
  p->i = close + 3;
  return 0;
}

/* A string, plain or multiline, into a NUL-terminated arena copy. */
static int parse_string(wp_t *p, const weft__wit_type_t *t,
                        weft_val_t *out) {
  size_t at = p->i, j, o = 0;
  char *buf;
  int rc;
  if (!peek(p, '"'))
    return expected(p, t);
  if (p->len - at >= 3 && !memcmp(p->s + at, "\"\"\"", 3))
    return parse_multiline(p, out);
  for (j = at + 1; j < p->len && p->s[j] != '"';
       j += p->s[j] == '\\' ? 2 : 1)
    if (p->s[j] == '\n')
      return fail(p, j, "unescaped line break in string");
  if (j >= p->len)
    return fail(p, at, "unterminated string");
  if (!(buf = weft__arena_alloc(p->a, j - at)))
    return nomem(p);
  p->i = at + 1;
  if ((rc = decode_chars(p, j, buf, &o)))
    return rc;
  buf[o] = 0;
  out->of.str.ptr = buf;
  out->of.str.len = o;
  p->i = j + 1;
  return 0;
}

/* ---- compound values ---- */

/* A list; list<u8> goes into of.bytes, any other into of.list. */
static int parse_list(wp_t *p, const weft__wit_type_t *t, int depth,
                      weft_val_t *out) {
  const weft__wit_type_t *et = weft__wit_unalias(t->m[0].type);
  bool bytes = et->kind == WEFT__WIT_U8;
  size_t n = 0, cap = 0;
  weft_val_t *vals = NULL, v;
  uint8_t *bs = NULL;
  int rc;
  if (!peek(p, '['))
    return expected(p, t);
  p->i++;
  skip_ws(p);
  while (!peek(p, ']')) {
    if ((rc = value(p, et, depth + 1, &v)))
      return rc;
    if (n == cap) {
      /* the arena cannot grow a block: copy into one twice the size */
      size_t ncap = cap ? cap * 2 : 8;
      void *nb = weft__arena_calloc(p->a, ncap,
                                    bytes ? sizeof *bs : sizeof *vals);
      if (!nb || ncap < cap)
        return nomem(p);
      if (n)
        memcpy(nb, bytes ? (void *)bs : (void *)vals,
               n * (bytes ? sizeof *bs : sizeof *vals));
      if (bytes)
        bs = nb;
      else
        vals = nb;
      cap = ncap;
    }
    if (bytes)
      bs[n++] = v.of.u8;
    else
      vals[n++] = v;
    skip_ws(p);
    if (peek(p, ',')) {
      p->i++;
      skip_ws(p);
    } else if (!peek(p, ']')) {
      return expected_sep(p, ']');
    }
  }
  p->i++;
  if (bytes) {
    out->of.bytes.ptr = bs;
    out->of.bytes.len = n;
  } else {
    out->of.list.ptr = vals;
    out->of.list.len = n;
  }
  return 0;
}

/* A tuple of exactly t->n values. */
static int parse_tuple(wp_t *p, const weft__wit_type_t *t, int depth,
                       weft_val_t *out) {
  weft_val_t *vals;
  size_t k;
  int rc;
  if (!peek(p, '('))
    return expected(p, t);
  p->i++;
  if (!(vals = weft__arena_calloc(p->a, t->n ? t->n : 1, sizeof *vals)))
    return nomem(p);
  for (k = 0; k < t->n; k++) {
    skip_ws(p);
    if (k > 0) {
      if (!peek(p, ',') && !peek(p, ')'))
        return expected_sep(p, ')');
      if (peek(p, ','))
        p->i++;
      skip_ws(p);
    }
    if (peek(p, ')'))
      return fail(p, p->i, "expected %zu value%s, found %zu", t->n,
                  t->n == 1 ? "" : "s", k);
    if ((rc = value(p, t->m[k].type, depth + 1, &vals[k])))
      return rc;
  }
  skip_ws(p);
  if (t->n && peek(p, ',')) {
    p->i++;
    skip_ws(p);
  }
  if (!peek(p, ')'))
    return fail(p, p->i, "expected ')' after %zu value%s, found %s", t->n,
                t->n == 1 ? "" : "s", found(p, p->i).s);
  p->i++;
  out->of.list.ptr = vals;
  out->of.list.len = t->n;
  return 0;
}

/* True if `t` is an option, through aliases. */
static bool is_option(const weft__wit_type_t *t) {
  return weft__wit_unalias(t)->kind == WEFT__WIT_OPTION;
}

/* A record: fields in any order, option fields that are none may be left
 * out, and one with no fields written is "{:}". */
static int parse_record(wp_t *p, const weft__wit_type_t *t, int depth,
                        weft_val_t *out) {
  size_t at = p->i, k;
  weft_val_t *vals;
  bool *seen;
  label_t l;
  int rc;
  if (!peek(p, '{'))
    return expected(p, t);
  p->i++;
  vals = weft__arena_calloc(p->a, t->n ? t->n : 1, sizeof *vals);
  seen = weft__arena_calloc(p->a, t->n ? t->n : 1, sizeof *seen);
  if (!vals || !seen)
    return nomem(p);
  skip_ws(p);
  if (peek(p, ':')) {
    p->i++;
    skip_ws(p);
    if (!peek(p, '}'))
      return fail(p, p->i, "expected '}' after '{:', found %s",
                  found(p, p->i).s);
  } else if (peek(p, '}')) {
    for (k = 0; k < t->n && is_option(t->m[k].type); k++)
      ;
    if (k == t->n)
      return fail(p, at, "an empty record is written '{:}'");
  } else {
    for (;;) {
      size_t la = p->i;
      long f;
      if (!label_at(p, &l))
        return fail(p, p->i, "expected a field name, found %s",
                    found(p, p->i).s);
      if ((f = member(t, l.s, l.n)) < 0)
        return fail(p, la, "unknown field %s of '%s'", quoted(l.s, l.n).s,
                    tname(t).s);
      if (seen[f])
        return fail(p, la, "duplicate field '%s'", t->m[f].name);
      p->i = l.end;
      skip_ws(p);
      if (!peek(p, ':'))
        return fail(p, p->i, "expected ':' after '%s', found %s",
                    t->m[f].name, found(p, p->i).s);
      p->i++;
      if ((rc = value(p, t->m[f].type, depth + 1, &vals[f])))
        return rc;
      seen[f] = true;
      skip_ws(p);
      if (peek(p, ',')) {
        p->i++;
        skip_ws(p);
        if (peek(p, '}'))
          break;
      } else if (peek(p, '}')) {
        break;
      } else {
        return expected_sep(p, '}');
      }
    }
  }
  p->i++;
  for (k = 0; k < t->n; k++) {
    if (seen[k])
      continue;
    if (!is_option(t->m[k].type))
      return fail(p, at, "missing field '%s' of '%s'", t->m[k].name,
                  tname(t).s);
    vals[k].kind = WEFT_VAL_OPTION;
  }
  out->of.list.ptr = vals;
  out->of.list.len = t->n;
  return 0;
}

/* Flags `{a, b}` in any order, into a bit mask. */
static int parse_flags(wp_t *p, const weft__wit_type_t *t,
                       weft_val_t *out) {
  uint64_t bits = 0;
  label_t l;
  if (t->n > 64)
    return fail(p, p->i, "flags type '%s' has more than 64 flags",
                tname(t).s);
  if (!peek(p, '{'))
    return expected(p, t);
  p->i++;
  skip_ws(p);
  while (!peek(p, '}')) {
    size_t la = p->i;
    long f;
    if (!label_at(p, &l))
      return fail(p, p->i, "expected a flag name, found %s",
                  found(p, p->i).s);
    if ((f = member(t, l.s, l.n)) < 0)
      return fail(p, la, "unknown flag %s of '%s'", quoted(l.s, l.n).s,
                  tname(t).s);
    if (bits & ((uint64_t)1 << f))
      return fail(p, la, "duplicate flag '%s'", t->m[f].name);
    bits |= (uint64_t)1 << f;
    p->i = l.end;
    skip_ws(p);
    if (peek(p, ',')) {
      p->i++;
      skip_ws(p);
    } else if (!peek(p, '}')) {
      return expected_sep(p, '}');
    }
  }
  p->i++;
  out->of.flags = bits;
  return 0;
}

/* After case `name` (written at `at`) of `t`, its payload "(value)" of
 * type `pt`, which is present exactly when `pt` is not NULL. */
static int payload(wp_t *p, const weft__wit_type_t *t, const char *name,
                   size_t name_len, size_t at, const weft__wit_type_t *pt,
                   int depth, weft_val_t **val) {
  size_t save = p->i;
  weft_val_t *v;
  int rc;
  skip_ws(p);
  if (!peek(p, '(')) {
    p->i = save;
    if (pt)
      return fail(p, at, "case '%.*s' of '%s' needs a payload",
                  (int)name_len, name, tname(t).s);
    *val = NULL;
    return 0;
  }
  if (!pt)
    return fail(p, p->i, "case '%.*s' of '%s' takes no payload",
                (int)name_len, name, tname(t).s);
  p->i++;
  if (!(v = weft__arena_alloc(p->a, sizeof *v)))
    return nomem(p);
  if ((rc = value(p, pt, depth + 1, v)))
    return rc;
  skip_ws(p);
  if (!peek(p, ')'))
    return fail(p, p->i, "expected ')', found %s", found(p, p->i).s);
  p->i++;
  *val = v;
  return 0;
}

/* A variant or enum case. */
static int parse_case(wp_t *p, const weft__wit_type_t *t, int depth,
                      weft_val_t *out) {
  size_t at = p->i;
  label_t l;
  long k;
  if (!label_at(p, &l))
    return expected(p, t);
  k = member(t, l.s, l.n);
  if (!l.pct && is_keyword(l.s, l.n)) {
    if (k < 0)
      return expected(p, t);
    return fail(p, at, "case '%s' of '%s' must be written '%%%s'",
                t->m[k].name, tname(t).s, t->m[k].name);
  }
  if (k < 0)
    return fail(p, at, "unknown case %s of '%s'", quoted(l.s, l.n).s,
                tname(t).s);
  p->i = l.end;
  out->of.var.tag = (uint32_t)k;
  return payload(p, t, t->m[k].name, l.n, at,
                 t->kind == WEFT__WIT_ENUM ? NULL : t->m[k].type, depth,
                 &out->of.var.val);
}

/* An option or a result: the variant form (`some(v)`, `none`, `ok`,
 * `err(v)`, ...), or the payload of `some` or `ok` on its own. */
static int parse_optres(wp_t *p, const weft__wit_type_t *t, int depth,
                        weft_val_t *out) {
  bool opt = t->kind == WEFT__WIT_OPTION;
  const weft__wit_type_t *flat = t->m[0].type; /* some or ok */
  size_t at = p->i;
  label_t l;
  int rc;
  if (label_at(p, &l) && (opt ? is_kw(&l, "some") || is_kw(&l, "none")
                              : is_kw(&l, "ok") || is_kw(&l, "err"))) {
    const weft__wit_type_t *pt;
    uint32_t tag = opt ? is_kw(&l, "some") : is_kw(&l, "err");
    pt = opt ? (tag ? t->m[0].type : NULL) : t->m[tag].type;
    p->i = l.end;
    out->of.var.tag = tag;
    return payload(p, t, l.s, l.n, at, pt, depth, &out->of.var.val);
  }
  if (flat && flattens(flat)) {
    weft_val_t *v = weft__arena_alloc(p->a, sizeof *v);
    if (!v)
      return nomem(p);
    /* the payload is one level down whether written flat or not, so
     * printing (which never flattens) keeps the depth */
    if ((rc = value(p, flat, depth + 1, v)))
      return rc;
    out->of.var.tag = opt ? 1 : 0;
    out->of.var.val = v;
    return 0;
  }
  return expected(p, t);
}

/* See the declaration above; dispatches on the kind of `t`. */
static int value(wp_t *p, const weft__wit_type_t *t, int depth,
                 weft_val_t *out) {
  t = weft__wit_unalias(t);
  memset(out, 0, sizeof *out);
  out->kind = (uint8_t)t->kind;
  skip_ws(p);
  if (depth > WEFT__WAVE_MAX_DEPTH)
    return fail(p, p->i, "nesting deeper than %d", WEFT__WAVE_MAX_DEPTH);
  switch (t->kind) {
  case WEFT__WIT_BOOL: {
    label_t l;
    if (!label_at(p, &l) || !(is_kw(&l, "true") || is_kw(&l, "false")))
      return expected(p, t);
    out->of.b = l.s[0] == 't';
    p->i = l.end;
    return 0;
  }
  case WEFT__WIT_S8:
  case WEFT__WIT_U8:
  case WEFT__WIT_S16:
  case WEFT__WIT_U16:
  case WEFT__WIT_S32:
  case WEFT__WIT_U32:
  case WEFT__WIT_S64:
  case WEFT__WIT_U64:
    return parse_int(p, t, out);
  case WEFT__WIT_F32:
  case WEFT__WIT_F64:
    return parse_float(p, t, out);
  case WEFT__WIT_CHAR:
    return parse_char(p, t, out);
  case WEFT__WIT_STRING:
    return parse_string(p, t, out);
  case WEFT__WIT_LIST:
    return parse_list(p, t, depth, out);
  case WEFT__WIT_TUPLE:
    return parse_tuple(p, t, depth, out);
  case WEFT__WIT_RECORD:
    return parse_record(p, t, depth, out);
  case WEFT__WIT_FLAGS:
    return parse_flags(p, t, out);
  case WEFT__WIT_VARIANT:
  case WEFT__WIT_ENUM:
    return parse_case(p, t, depth, out);
  case WEFT__WIT_OPTION:
  case WEFT__WIT_RESULT:
    return parse_optres(p, t, depth, out);
  default:
    return fail(p, p->i, "values of type '%s' have no WAVE form",
                tname(t).s);
  }
}

int weft__wave_parse(const weft__wit_type_t *t, const char *text, size_t len,
                     weft__arena_t *a, weft_val_t *out, weft_error_t *err) {
  wp_t p;
  int rc;
  if (NEVER(!t))
    return WEFT_ERR(err, WEFT_EINVAL, "no type to parse a value of");
  p.s = text ? text : "";
  p.len = text ? len : 0;
  p.i = 0;
  p.col0 = 1;
  p.a = a;
  p.err = err;
  if ((rc = value(&p, t, 1, out)))
    return rc;
  skip_ws(&p);
  if (p.i < p.len)
    return fail(&p, p.i, "unexpected %s after the value", found(&p, p.i).s);
  return 0;
}

/* White space around a call (no comments there). */
static bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int weft__wave_split_call(const char *text, size_t len, const char **name,
                          size_t *name_len, const char **args,
                          size_t *args_len, weft_error_t *err) {
  wp_t p;
  size_t start, end;
  memset(&p, 0, sizeof p);
  p.s = text ? text : "";
  p.len = text ? len : 0;
  p.col0 = 1;
  p.err = err;
  while (p.i < p.len && is_space(p.s[p.i]))
    p.i++;
  start = p.i;
  while (p.i < p.len && p.s[p.i] != '(' && !is_space(p.s[p.i]))
    p.i++;
  if (p.i == start)
    return fail(&p, p.i, "expected a function name, found %s",
                found(&p, p.i).s);
  *name = p.s + start;
  *name_len = p.i - start;
  while (p.i < p.len && is_space(p.s[p.i]))
    p.i++;
  if (!peek(&p, '('))
    return fail(&p, p.i, "expected '(' after %s, found %s",
                quoted(*name, *name_len).s, found(&p, p.i).s);
  for (end = p.len; end > p.i + 1 && is_space(p.s[end - 1]); end--)
    ;
  if (end <= p.i + 1 || p.s[end - 1] != ')')
    return fail(&p, end, "expected ')' at the end of the call");
  *args = p.s + p.i + 1;
  *args_len = end - 1 - (p.i + 1);
  return 0;
}

int weft__wave_parse_args(const weft__wit_func_t *f, const char *text,
                          size_t len, int col0, weft__arena_t *a,
                          weft_val_t **out, weft_error_t *err) {
  const char *fname = f->abi_name ? f->abi_name : f->name;
  weft_val_t *vals;
  size_t k = 0;
  wp_t p;
  int rc;
  p.s = text ? text : "";
  p.len = text ? len : 0;
  p.i = 0;
  p.col0 = col0;
  p.a = a;
  p.err = err;
  if (!(vals = weft__arena_calloc(a, f->nparams ? f->nparams : 1,
                                  sizeof *vals)))
    return nomem(&p);
  skip_ws(&p);
  while (p.i < p.len) {
    if (k == f->nparams)
      return fail(&p, p.i, "too many arguments for '%s', which takes %zu",
                  fname, f->nparams);
    if ((rc = value(&p, f->params[k].type, 1, &vals[k])))
      return rc;
    k++;
    skip_ws(&p);
    if (p.i < p.len) {
      if (!peek(&p, ','))
        return expected_sep(&p, ')');
      p.i++;
      skip_ws(&p);
    }
  }
  /* as in WAVE's function calls, trailing option arguments may be left
   * out and are none */
  for (; k < f->nparams; k++) {
    if (!is_option(f->params[k].type))
      return fail(&p, p.len, "missing argument '%s' of '%s'",
                  f->params[k].name, fname);
    vals[k].kind = WEFT_VAL_OPTION;
  }
  *out = vals;
  return 0;
}

/* ---- printing ----------------------------------------------------------- */

typedef struct pw {
  weft__buf_t *out;
  bool bad; /* some part did not match its type */
} pw_t;

/* Mark the print invalid and write `<invalid>` where the value goes. */
static int bad(pw_t *w) {
  w->bad = true;
  return weft__buf_puts(w->out, "<invalid>");
}

/* Write `v` in the shortest form that reads back to the same value (as a
 * float when `f32`): plain decimal for exponents from -6 to 20 as JSON
 * writers do, else d.ddde-N. */
static void format_float(double v, bool f32, char *buf, size_t cap) {
  char e[40], digits[24];
  int prec, maxp = f32 ? 9 : 17, x, nd = 0;
  size_t o = 0;
  const char *q;
  locale_t old;
  if (isnan(v) || isinf(v)) {
    snprintf(buf, cap, "%s", isnan(v) ? "nan" : v < 0 ? "-inf" : "inf");
    return;
  }
  old = c_locale_begin();
  for (prec = 1; prec < maxp; prec++) {
    snprintf(e, sizeof e, "%.*e", prec - 1, v);
    if (f32 ? strtof(e, NULL) == (float)v : strtod(e, NULL) == v)
      break;
  }
  snprintf(e, sizeof e, "%.*e", prec - 1, v);
  c_locale_end(old);
  /* e is "-d.ddde+XX": take its digits and exponent, then place the
   * point (%f would print every digit of the binary value instead) */
  for (q = e; *q && *q != 'e'; q++)
    if (is_digit(*q) && nd < (int)sizeof digits)
      digits[nd++] = *q;
  x = *q ? (int)strtol(q + 1, NULL, 10) : 0;
  if (signbit(v))
    buf[o++] = '-';
  if (x >= 21 || x < -6) {
    buf[o++] = digits[0];
    if (nd > 1) {
      buf[o++] = '.';
      memcpy(buf + o, digits + 1, (size_t)nd - 1);
      o += (size_t)nd - 1;
    }
    snprintf(buf + o, cap - o, "e%d", x);
    return;
  }
  if (x < 0) {
    buf[o++] = '0';
    buf[o++] = '.';
    for (int z = 0; z < -x - 1; z++)
      buf[o++] = '0';
    memcpy(buf + o, digits, (size_t)nd);
    o += (size_t)nd;
  } else {
    for (int k = 0; k <= x || k < nd; k++) {
      if (k == x + 1)
        buf[o++] = '.';
      buf[o++] = k < nd ? digits[k] : '0';
    }
  }
  buf[o] = 0;
}

/* Append code point `c` for a string or char quoted with `q`: `q`, '\'
 * and control characters escaped, everything else as UTF-8. */
static int put_char(weft__buf_t *b, uint32_t c, char q) {
  char tmp[16];
  size_t n;
  if (c == (uint32_t)q || c == '\\') {
    tmp[0] = '\\';
    tmp[1] = (char)c;
    n = 2;
  } else if (c == '\t' || c == '\n' || c == '\r') {
    tmp[0] = '\\';
    tmp[1] = c == '\t' ? 't' : c == '\n' ? 'n' : 'r';
    n = 2;
  } else if (is_control(c)) {
    n = (size_t)snprintf(tmp, sizeof tmp, "\\u{%" PRIx32 "}", c);
  } else {
    n = utf8_put(c, tmp);
  }
  return weft__buf_add(b, tmp, n);
}

/* A string in double quotes; bad UTF-8 is invalid. */
static int put_string(pw_t *w, const char *s, size_t len) {
  size_t i = 0, k;
  uint32_t c;
  int rc;
  if ((len && !s) || weft__utf8_check((const uint8_t *)s, len) != len)
    return bad(w);
  if ((rc = weft__buf_add(w->out, "\"", 1)))
    return rc;
  for (; i < len; i += k) {
    k = weft__utf8_decode((const uint8_t *)s + i, len - i, &c);
    if ((rc = put_char(w->out, c, '"')))
      return rc;
  }
  return weft__buf_add(w->out, "\"", 1);
}

/* A case name, with '%' when it is a keyword. */
static int put_case(pw_t *w, const char *name) {
  int rc = 0;
  if (is_keyword(name, strlen(name)))
    rc = weft__buf_add(w->out, "%", 1);
  return rc ? rc : weft__buf_puts(w->out, name);
}

/* Append `v` of type `t` in canonical form; 0 or WEFT_ENOMEM, with
 * w->bad set for parts that do not match. */
static int pr(pw_t *w, const weft__wit_type_t *t, const weft_val_t *v,
              int depth);

/* `name(payload)` or `name`, for a case whose payload type is `pt`. */
static int put_payload(pw_t *w, const weft__wit_type_t *pt,
                       const weft_val_t *val, int depth) {
  int rc;
  if (!pt)
    return val ? bad(w) : 0;
  if (!val)
    return bad(w);
  if ((rc = weft__buf_add(w->out, "(", 1)) || (rc = pr(w, pt, val, depth)))
    return rc;
  return weft__buf_add(w->out, ")", 1);
}

/* See the declaration above. */
static int pr(pw_t *w, const weft__wit_type_t *t, const weft_val_t *v,
              int depth) {
  weft__buf_t *b = w->out;
  char tmp[64];
  size_t i;
  bool first = true;
  int rc = 0;
  t = t ? weft__wit_unalias(t) : NULL;
  if (!t || !v || v->kind != t->kind || depth > PRINT_MAX_DEPTH)
    return bad(w);
  switch (t->kind) {
  case WEFT__WIT_BOOL:
    return weft__buf_puts(b, v->of.b ? "true" : "false");
  case WEFT__WIT_S8:
    return weft__buf_printf(b, "%d", (int)v->of.s8);
  case WEFT__WIT_U8:
    return weft__buf_printf(b, "%u", (unsigned)v->of.u8);
  case WEFT__WIT_S16:
    return weft__buf_printf(b, "%d", (int)v->of.s16);
  case WEFT__WIT_U16:
    return weft__buf_printf(b, "%u", (unsigned)v->of.u16);
  case WEFT__WIT_S32:
    return weft__buf_printf(b, "%" PRId32, v->of.s32);
  case WEFT__WIT_U32:
    return weft__buf_printf(b, "%" PRIu32, v->of.u32);
  case WEFT__WIT_S64:
    return weft__buf_printf(b, "%" PRId64, v->of.s64);
  case WEFT__WIT_U64:
    return weft__buf_printf(b, "%" PRIu64, v->of.u64);
  case WEFT__WIT_F32:
  case WEFT__WIT_F64:
    format_float(t->kind == WEFT__WIT_F32 ? (double)v->of.f32 : v->of.f64,
                 t->kind == WEFT__WIT_F32, tmp, sizeof tmp);
    return weft__buf_puts(b, tmp);
  case WEFT__WIT_CHAR:
    if (!weft__is_scalar(v->of.ch))
      return bad(w);
    if ((rc = weft__buf_add(b, "'", 1)) || (rc = put_char(b, v->of.ch, '\'')))
      return rc;
    return weft__buf_add(b, "'", 1);
  case WEFT__WIT_STRING:
    return put_string(w, v->of.str.ptr, v->of.str.len);
  case WEFT__WIT_LIST: {
    bool bytes = weft__wit_unalias(t->m[0].type)->kind == WEFT__WIT_U8;
    size_t n = bytes ? v->of.bytes.len : v->of.list.len;
    if (n && (bytes ? !v->of.bytes.ptr : !v->of.list.ptr))
      return bad(w);
    if ((rc = weft__buf_add(b, "[", 1)))
      return rc;
    for (i = 0; i < n && !rc; i++) {
      if (i && (rc = weft__buf_add(b, ", ", 2)))
        break;
      rc = bytes ? weft__buf_printf(b, "%u", (unsigned)v->of.bytes.ptr[i])
                 : pr(w, t->m[0].type, &v->of.list.ptr[i], depth + 1);
    }
    return rc ? rc : weft__buf_add(b, "]", 1);
  }
  case WEFT__WIT_TUPLE:
  case WEFT__WIT_RECORD: {
    bool rec = t->kind == WEFT__WIT_RECORD;
    if (v->of.list.len != t->n || (t->n && !v->of.list.ptr))
      return bad(w);
    if ((rc = weft__buf_add(b, rec ? "{" : "(", 1)))
      return rc;
    if (rec && !t->n && (rc = weft__buf_add(b, ":", 1)))
      return rc;
    for (i = 0; i < t->n && !rc; i++) {
      if (i && (rc = weft__buf_add(b, ", ", 2)))
        break;
      if (rec && ((rc = weft__buf_puts(b, t->m[i].name)) ||
                  (rc = weft__buf_add(b, ": ", 2))))
        break;
      rc = pr(w, t->m[i].type, &v->of.list.ptr[i], depth + 1);
    }
    return rc ? rc : weft__buf_add(b, rec ? "}" : ")", 1);
  }
  case WEFT__WIT_FLAGS:
    if (t->n > 64 || (t->n < 64 && v->of.flags >> t->n))
      return bad(w);
    if ((rc = weft__buf_add(b, "{", 1)))
      return rc;
    for (i = 0; i < t->n && !rc; i++) {
      if (!(v->of.flags & ((uint64_t)1 << i)))
        continue;
      if (!first && (rc = weft__buf_add(b, ", ", 2)))
        break;
      first = false;
      rc = weft__buf_puts(b, t->m[i].name);
    }
    return rc ? rc : weft__buf_add(b, "}", 1);
  case WEFT__WIT_VARIANT:
  case WEFT__WIT_ENUM:
    if (v->of.var.tag >= t->n)
      return bad(w);
    if ((rc = put_case(w, t->m[v->of.var.tag].name)))
      return rc;
    return put_payload(w,
                       t->kind == WEFT__WIT_ENUM ? NULL
                                                 : t->m[v->of.var.tag].type,
                       v->of.var.val, depth + 1);
  case WEFT__WIT_OPTION:
    if (v->of.var.tag > 1)
      return bad(w);
    if ((rc = weft__buf_puts(b, v->of.var.tag ? "some" : "none")))
      return rc;
    return put_payload(w, v->of.var.tag ? t->m[0].type : NULL,
                       v->of.var.val, depth + 1);
  case WEFT__WIT_RESULT:
    if (v->of.var.tag > 1)
      return bad(w);
    if ((rc = weft__buf_puts(b, v->of.var.tag ? "err" : "ok")))
      return rc;
    return put_payload(w, t->m[v->of.var.tag].type, v->of.var.val,
                       depth + 1);
  default:
    return bad(w);
  }
}

int weft__wave_print(const weft__wit_type_t *t, const weft_val_t *v,
                     weft__buf_t *out) {
  pw_t w;
  int rc;
  w.out = out;
  w.bad = false;
  if ((rc = pr(&w, t, v, 1)))
    return rc;
  return w.bad ? WEFT_EINVAL : 0;
}

/* toml.c - the TOML 1.0.0 parser: validates UTF-8, then reads the document
 * by recursive descent straight into a weft__toml_t tree, enforcing the
 * spec's rules on keys, values, tables and their redefinition.
 *
 * Positions: `pos` is a byte offset; lines are counted as newlines are
 * consumed and columns (in code points) are computed on demand from the
 * start of the current line, with a cache so that a long line costs O(n)
 * overall. Recursion happens only for nested arrays and inline tables and
 * is bounded by WEFT__TOML_MAX_DEPTH through the node depth.
 */
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toml/toml_int.h"

/* One part of a dotted key, decoded; owned until it moves into a table,
 * after which `s` is borrowed from the tree. */
typedef struct keypart {
  char *s;
  size_t len;
  int line, col;
  bool moved;
} keypart_t;

typedef struct parser {
  const unsigned char *src;
  size_t len, pos;
  int line;            /* line of `pos` */
  size_t line_start;   /* offset of the first byte of that line */
  size_t col_pos;      /* column cache: offset ... */
  int col_val;         /* ... and its column */
  const char *file;    /* owned by the root */
  weft__toml_t *root;
  weft__toml_t *cur;   /* table that receives key/value pairs */
  weft_error_t *err;
  int rc;              /* first error, 0 if none */
  weft__buf_t sbuf;    /* decoded string scratch */
  keypart_t parts[WEFT__TOML_MAX_DEPTH];
  size_t nparts;
} parser_t;

/* Parse the value at pos (see below). */
static weft__toml_t *parse_value(parser_t *p, int depth);

/* ---- positions and errors ---------------------------------------------- */

/* Column (1-based, in code points) of offset `off` on the current line. */
static int col_of(parser_t *p, size_t off) {
  if (p->col_pos < p->line_start || p->col_pos > off) {
    p->col_pos = p->line_start;
    p->col_val = 1;
  }
  for (; p->col_pos < off; p->col_pos++)
    if ((p->src[p->col_pos] & 0xc0) != 0x80)
      p->col_val++;
  return p->col_val;
}

/* Record the error `fmt` at `line`:`col` unless one is already recorded.
 * Returns the error code in effect. */
static int fail_at(parser_t *p, int line, int col, int code, const char *fmt,
                   ...) __attribute__((format(printf, 5, 6)));
static int fail_at(parser_t *p, int line, int col, int code, const char *fmt,
                   ...) {
  char msg[256];
  va_list ap;
  if (p->rc)
    return p->rc;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  p->rc = code;
  WEFT_ERR(p->err, code, "%s:%d:%d: %s", p->file, line, col, msg);
  return code;
}

/* Record a parse error at the current position. */
#define FAIL(p, ...) \
  fail_at((p), (p)->line, col_of((p), (p)->pos), WEFT_EPARSE, __VA_ARGS__)

/* Record running out of memory. */
static int nomem(parser_t *p) {
  return fail_at(p, p->line, col_of(p, p->pos), WEFT_ENOMEM,
                 "out of memory");
}

/* Describe the character at `off` for a message: 'x', or U+XXXX for
 * anything unprintable or not ASCII, or "end of file". */
static const char *describe(const parser_t *p, size_t off, char buf[16]) {
  unsigned c;
  if (off >= p->len)
    return "end of file";
  c = p->src[off];
  if (c == '\n' || c == '\r')
    return "end of line";
  if (c >= 0x20 && c < 0x7f && c != '\'') {
    snprintf(buf, 16, "'%c'", c);
    return buf;
  }
  if (c >= 0xc0) {
    size_t n = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4, i;
    c &= 0x3f >> (n - 1);
    for (i = 1; i < n && off + i < p->len; i++)
      c = (c << 6) | (p->src[off + i] & 0x3f);
  }
  snprintf(buf, 16, "U+%04X", c);
  return buf;
}

/* A new node at the current position; an error if `depth` is too deep or
 * memory runs out. */
static weft__toml_t *new_node(parser_t *p, weft__toml_type_t type, int line,
                              int col, int depth) {
  weft__toml_t *n;
  if (depth > WEFT__TOML_MAX_DEPTH) {
    fail_at(p, line, col, WEFT_ELIMIT, "nesting deeper than %d levels",
            WEFT__TOML_MAX_DEPTH);
    return NULL;
  }
  n = weft__toml_node_new(type, p->file, line, col, depth);
  if (!n)
    nomem(p);
  return n;
}

/* ---- characters -------------------------------------------------------- */

/* True if `c` may appear in a bare key. */
static bool is_bare(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* True if `c` is a control character TOML forbids in strings and comments
 * (everything below U+0020 except tab, and DEL). */
static bool is_control(int c) {
  return (c < 0x20 && c != '\t') || c == 0x7f;
}

/* True if `c` is an ASCII digit. */
static bool is_digit(int c) { return c >= '0' && c <= '9'; }

/* The byte at `pos` + `k`, or -1 past the end. */
static int peek_at(const parser_t *p, size_t k) {
  return p->pos + k < p->len ? p->src[p->pos + k] : -1;
}

/* The byte at `pos`, or -1 at the end. */
static int peek(const parser_t *p) { return peek_at(p, 0); }

/* Note that a '\n' at pos - 1 was consumed. */
static void newline(parser_t *p) {
  p->line++;
  p->line_start = p->pos;
}

/* Skip spaces and tabs. */
static void skip_ws(parser_t *p) {
  while (p->pos < p->len && (p->src[p->pos] == ' ' || p->src[p->pos] == '\t'))
    p->pos++;
}

/* Consume a newline (LF or CRLF) at pos. Returns 0 or an error. */
static int eat_newline(parser_t *p) {
  if (peek(p) == '\n') {
    p->pos++;
    newline(p);
    return 0;
  }
  if (peek(p) == '\r' && peek_at(p, 1) == '\n') {
    p->pos += 2;
    newline(p);
    return 0;
  }
  return FAIL(p, "carriage return not followed by a line feed");
}

/* Skip a comment starting at '#', up to (not including) the newline. */
static int skip_comment(parser_t *p) {
  char d[16];
  p->pos++;
  while (p->pos < p->len && p->src[p->pos] != '\n' &&
         p->src[p->pos] != '\r') {
    if (is_control(p->src[p->pos]))
      return FAIL(p, "control character %s in comment",
                  describe(p, p->pos, d));
    p->pos++;
  }
  return 0;
}

/* Skip whitespace, newlines and comments (inside arrays). */
static int skip_ws_nl(parser_t *p) {
  for (;;) {
    int c;
    skip_ws(p);
    c = peek(p);
    if (c == '#') {
      if (skip_comment(p))
        return p->rc;
    } else if (c == '\n' || c == '\r') {
      if (eat_newline(p))
        return p->rc;
    } else {
      return 0;
    }
  }
}

/* After a statement: optional whitespace and comment, then a newline or the
 * end of the input. `what` names the statement for the message. */
static int end_of_line(parser_t *p, const char *what) {
  char d[16];
  skip_ws(p);
  if (peek(p) == '#' && skip_comment(p))
    return p->rc;
  if (p->pos >= p->len)
    return 0;
  if (peek(p) == '\n' || peek(p) == '\r')
    return eat_newline(p);
  return FAIL(p, "expected newline after %s, found %s", what,
              describe(p, p->pos, d));
}

/* ---- strings ----------------------------------------------------------- */

/* Append code point `cp` to the string scratch as UTF-8. */
static int put_utf8(parser_t *p, unsigned cp) {
  char b[4];
  size_t n;
  if (cp < 0x80) {
    b[0] = (char)cp;
    n = 1;
  } else if (cp < 0x800) {
    b[0] = (char)(0xc0 | (cp >> 6));
    b[1] = (char)(0x80 | (cp & 0x3f));
    n = 2;
  } else if (cp < 0x10000) {
    b[0] = (char)(0xe0 | (cp >> 12));
    b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
    b[2] = (char)(0x80 | (cp & 0x3f));
    n = 3;
  } else {
    b[0] = (char)(0xf0 | (cp >> 18));
    b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    b[3] = (char)(0x80 | (cp & 0x3f));
    n = 4;
  }
  return weft__buf_add(&p->sbuf, b, n) ? nomem(p) : 0;
}

/* Append `n` bytes from the input at `off`. */
static int put(parser_t *p, size_t off, size_t n) {
  return weft__buf_add(&p->sbuf, p->src + off, n) ? nomem(p) : 0;
}

/* Decode the escape sequence at pos (a backslash) of a basic string. In a
 * multi-line string (`ml`), a backslash ending a line swallows the newline
 * and the whitespace after it. */
static int escape(parser_t *p, bool ml) {
  int e = peek_at(p, 1);
  unsigned cp = 0;
  size_t n, i;
  char d[16];
  switch (e) {
  case 'b':
    cp = '\b';
    break;
  case 't':
    cp = '\t';
    break;
  case 'n':
    cp = '\n';
    break;
  case 'f':
    cp = '\f';
    break;
  case 'r':
    cp = '\r';
    break;
  case '"':
    cp = '"';
    break;
  case '\\':
    cp = '\\';
    break;
  case 'u':
  case 'U':
    n = e == 'u' ? 4 : 8;
    for (i = 0; i < n; i++) {
      int h = weft__hex_digit(peek_at(p, 2 + i));
      if (h < 0)
        return FAIL(p, "\\%c escape needs %zu hex digits", e, n);
      cp = cp << 4 | (unsigned)h;
    }
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
      return FAIL(p, "\\%c escape is not a unicode scalar value", e);
    p->pos += 2 + n;
    return put_utf8(p, cp);
  case ' ':
  case '\t':
  case '\n':
  case '\r':
    if (!ml)
      break;
    p->pos++;
    skip_ws(p);
    if (peek(p) != '\n' && peek(p) != '\r')
      return FAIL(p, "only whitespace may follow a line-ending backslash");
    for (;;) {
      skip_ws(p);
      if (peek(p) != '\n' && peek(p) != '\r')
        return 0;
      if (eat_newline(p))
        return p->rc;
    }
  case -1:
    p->pos++;
    return FAIL(p, "unterminated string");
  default:
    break;
  }
  if (cp) {
    p->pos += 2;
    return put_utf8(p, cp);
  }
  if (e > 0x20 && e < 0x7f)
    return FAIL(p, "invalid escape sequence '\\%c'", e);
  return FAIL(p, "invalid escape sequence: '\\' followed by %s",
              describe(p, p->pos + 1, d));
}

/* Read a string starting at pos (at its opening quote) into p->sbuf: basic
 * or literal (`q` is '"' or '\''), single- or multi-line. */
static int read_string(parser_t *p, int q) {
  bool ml = peek_at(p, 1) == q && peek_at(p, 2) == q;
  int line = p->line, col = col_of(p, p->pos);
  char d[16];
  p->sbuf.len = 0;
  if (p->sbuf.data)
    p->sbuf.data[0] = 0;
  if (ml) {
    p->pos += 3;
    if (peek(p) == '\n' || (peek(p) == '\r' && peek_at(p, 1) == '\n'))
      eat_newline(p);
  } else {
    p->pos++;
  }
  for (;;) {
    size_t start = p->pos;
    int c;
    /* Copy a run of ordinary characters at once. */
    while (p->pos < p->len) {
      c = p->src[p->pos];
      if (c == q || c == '\\' || c == '\n' || c == '\r' || is_control(c))
        break;
      p->pos++;
    }
    if (p->pos > start && put(p, start, p->pos - start))
      return p->rc;
    if (p->pos >= p->len)
      return fail_at(p, line, col, WEFT_EPARSE, "unterminated string");
    c = p->src[p->pos];
    if (c == q) {
      size_t n = 0;
      if (!ml) {
        p->pos++;
        return 0;
      }
      while (peek_at(p, n) == q)
        n++;
      if (n < 3) {
        if (put(p, p->pos, n))
          return p->rc;
        p->pos += n;
        continue;
      }
      if (n > 5) {
        p->pos += 5;
        return FAIL(p, "too many quotes at the end of a multi-line string");
      }
      if (put(p, p->pos, n - 3))
        return p->rc;
      p->pos += n;
      return 0;
    }
    if (c == '\\' && q == '"') {
      if (escape(p, ml))
        return p->rc;
      continue;
    }
    if (c == '\\') {
      if (put(p, p->pos, 1))
        return p->rc;
      p->pos++;
      continue;
    }
    if ((c == '\n' || c == '\r') && ml) {
      if (eat_newline(p) || put(p, p->pos - 1, 1))
        return p->rc;
      continue;
    }
    if (c == '\n' || c == '\r')
      return fail_at(p, line, col, WEFT_EPARSE, "unterminated string");
    return FAIL(p, "control character %s in string", describe(p, p->pos, d));
  }
}

/* ---- keys -------------------------------------------------------------- */

/* Free the key parts still owned by the parser. */
static void clear_parts(parser_t *p) {
  size_t i;
  for (i = 0; i < p->nparts; i++)
    if (!p->parts[i].moved)
      free(p->parts[i].s);
  p->nparts = 0;
}

/* Parse a (possibly dotted) key at pos into p->parts. Whitespace around
 * the dots is allowed; newlines are not. */
static int parse_key(parser_t *p) {
  char d[16];
  clear_parts(p);
  for (;;) {
    keypart_t *kp;
    int c;
    size_t start;
    skip_ws(p);
    if (p->nparts == WEFT__TOML_MAX_DEPTH)
      return fail_at(p, p->line, col_of(p, p->pos), WEFT_ELIMIT,
                     "key has more than %d parts", WEFT__TOML_MAX_DEPTH);
    kp = &p->parts[p->nparts];
    kp->line = p->line;
    kp->col = col_of(p, p->pos);
    kp->moved = false;
    c = peek(p);
    if (c == '"' || c == '\'') {
      if (peek_at(p, 1) == c && peek_at(p, 2) == c)
        return FAIL(p, "a key cannot be a multi-line string");
      if (read_string(p, c))
        return p->rc;
      kp->s = weft__strndup(p->sbuf.data ? p->sbuf.data : "", p->sbuf.len);
      kp->len = p->sbuf.len;
    } else if (c >= 0 && is_bare(c)) {
      start = p->pos;
      while (p->pos < p->len && is_bare(p->src[p->pos]))
        p->pos++;
      kp->s = weft__strndup((const char *)p->src + start, p->pos - start);
      kp->len = p->pos - start;
    } else if (p->nparts == 0) {
      return FAIL(p, "expected a key, found %s", describe(p, p->pos, d));
    } else {
      return FAIL(p, "expected a key after '.', found %s",
                  describe(p, p->pos, d));
    }
    if (!kp->s)
      return nomem(p);
    p->nparts++;
    skip_ws(p);
    if (peek(p) != '.')
      return 0;
    p->pos++;
  }
}

/* Write parts [0, n) as a dotted key into `buf` for messages. */
static const char *show_parts(const parser_t *p, size_t n, char *buf,
                              size_t cap) {
  size_t i, o = 0;
  buf[0] = 0;
  for (i = 0; i < n && o + 8 < cap; i++) {
    if (i)
      buf[o++] = '.';
    weft__toml_show(p->parts[i].s, p->parts[i].len, buf + o, cap - o);
    o += strlen(buf + o);
  }
  return buf;
}

/* Insert a new table for part `i` into `t`, defined as `def`; the part's
 * name moves into the table. Returns the new table or NULL. */
static weft__toml_t *add_table(parser_t *p, weft__toml_t *t, size_t i,
                               weft__toml_def_t def) {
  keypart_t *kp = &p->parts[i];
  weft__toml_t *n =
      new_node(p, WEFT__TOML_TABLE, kp->line, kp->col, t->depth + 1);
  if (!n)
    return NULL;
  n->u.table.def = def;
  if (weft__toml_table_add(t, kp->s, kp->len, kp->line, kp->col, n)) {
    weft__toml_node_free(n);
    nomem(p);
    return NULL;
  }
  kp->moved = true;
  return n;
}

/* "a string", "an integer", ... for messages. */
static const char *a_type(const weft__toml_t *n) {
  switch (n->type) {
  case WEFT__TOML_ARRAY:
    return "an array";
  case WEFT__TOML_INTEGER:
    return "an integer";
  case WEFT__TOML_LOCAL_DATETIME:
  case WEFT__TOML_LOCAL_DATE:
  case WEFT__TOML_LOCAL_TIME:
    return "a local date or time";
  case WEFT__TOML_DATETIME:
    return "an offset date-time";
  case WEFT__TOML_TABLE:
    return "a table";
  default:
    break;
  }
  return n->type == WEFT__TOML_STRING  ? "a string"
         : n->type == WEFT__TOML_FLOAT ? "a float"
                                       : "a boolean";
}

/* ---- tables ------------------------------------------------------------ */

/* Parse a [table] or [[array of tables]] header at pos and make its table
 * the current one. */
static int parse_header(parser_t *p) {
  int line = p->line, col = col_of(p, p->pos);
  bool aot = peek_at(p, 1) == '[';
  weft__toml_t *t = p->root, *n;
  weft__toml_kv_t *kv;
  size_t i, last;
  char name[160], d[16];

  p->pos += aot ? 2 : 1;
  if (parse_key(p))
    return p->rc;
  if (peek(p) != ']' || (aot && peek_at(p, 1) != ']'))
    return FAIL(p, "expected '%s' after table name, found %s",
                aot ? "]]" : "]", describe(p, p->pos, d));
  p->pos += aot ? 2 : 1;
  last = p->nparts - 1;

  for (i = 0; i < last; i++) {
    kv = weft__toml_table_find(t, p->parts[i].s, p->parts[i].len);
    if (!kv) {
      if (!(t = add_table(p, t, i, WEFT__TOML_IMPLICIT)))
        return p->rc;
      continue;
    }
    n = kv->value;
    if (n->type == WEFT__TOML_TABLE && n->u.table.def == WEFT__TOML_INLINE)
      return fail_at(p, line, col, WEFT_EPARSE,
                     "cannot extend inline table '%s'",
                     show_parts(p, i + 1, name, sizeof name));
    if (n->type == WEFT__TOML_TABLE)
      t = n;
    else if (n->type == WEFT__TOML_ARRAY && n->u.array.of_tables)
      t = n->u.array.items[n->u.array.len - 1];
    else
      return fail_at(p, line, col, WEFT_EPARSE, "'%s' is %s, not a table",
                     show_parts(p, i + 1, name, sizeof name), a_type(n));
  }

  show_parts(p, p->nparts, name, sizeof name);
  kv = weft__toml_table_find(t, p->parts[last].s, p->parts[last].len);
  if (aot) {
    weft__toml_t *arr, *elem;
    if (!kv) {
      keypart_t *kp = &p->parts[last];
      if (!(arr = new_node(p, WEFT__TOML_ARRAY, kp->line, kp->col,
                           t->depth + 1)))
        return p->rc;
      arr->u.array.of_tables = true;
      if (weft__toml_table_add(t, kp->s, kp->len, kp->line, kp->col, arr)) {
        weft__toml_node_free(arr);
        return nomem(p);
      }
      kp->moved = true;
    } else if (kv->value->type == WEFT__TOML_ARRAY &&
               kv->value->u.array.of_tables) {
      arr = kv->value;
    } else if (kv->value->type == WEFT__TOML_ARRAY) {
      return fail_at(p, line, col, WEFT_EPARSE,
                     "cannot append to static array '%s'", name);
    } else {
      return fail_at(p, line, col, WEFT_EPARSE,
                     "'%s' is already defined as %s (line %d)", name,
                     a_type(kv->value), kv->line);
    }
    if (!(elem = new_node(p, WEFT__TOML_TABLE, line, col, arr->depth + 1)))
      return p->rc;
    elem->u.table.def = WEFT__TOML_EXPLICIT;
    if (weft__toml_array_push(arr, elem)) {
      weft__toml_node_free(elem);
      return nomem(p);
    }
    p->cur = elem;
  } else if (!kv) {
    if (!(t = add_table(p, t, last, WEFT__TOML_EXPLICIT)))
      return p->rc;
    t->line = line;
    t->col = col;
    p->cur = t;
  } else if (kv->value->type == WEFT__TOML_TABLE &&
             kv->value->u.table.def == WEFT__TOML_IMPLICIT) {
    t = kv->value;
    t->u.table.def = WEFT__TOML_EXPLICIT;
    t->line = line;
    t->col = col;
    p->cur = t;
  } else if (kv->value->type == WEFT__TOML_TABLE) {
    weft__toml_def_t def = kv->value->u.table.def;
    return fail_at(p, line, col, WEFT_EPARSE,
                   "table '%s' is already defined%s (line %d)", name,
                   def == WEFT__TOML_DOTTED   ? " by a dotted key"
                   : def == WEFT__TOML_INLINE ? " as an inline table"
                                              : "",
                   kv->value->line);
  } else {
    return fail_at(p, line, col, WEFT_EPARSE,
                   "'%s' is already defined as %s (line %d)", name,
                   a_type(kv->value), kv->line);
  }
  clear_parts(p);
  return end_of_line(p, "table header");
}

/* Parse `key = value` at pos into table `t` (the current table, or an
 * inline table being built). Dotted keys create or extend tables defined
 * by dotted keys only. */
static int parse_keyval(parser_t *p, weft__toml_t *t) {
  weft__toml_kv_t *kv;
  weft__toml_t *v;
  keypart_t *kp, key;
  size_t i, last;
  char name[160];

  if (parse_key(p))
    return p->rc;
  if (peek(p) != '=')
    return FAIL(p, "expected '=' after key");
  p->pos++;
  skip_ws(p);
  last = p->nparts - 1;
  for (i = 0; i < last; i++) {
    kv = weft__toml_table_find(t, p->parts[i].s, p->parts[i].len);
    kp = &p->parts[i];
    if (!kv) {
      if (!(t = add_table(p, t, i, WEFT__TOML_DOTTED)))
        return p->rc;
      continue;
    }
    v = kv->value;
    if (v->type != WEFT__TOML_TABLE)
      return fail_at(p, kp->line, kp->col, WEFT_EPARSE,
                     "'%s' is %s, not a table (line %d)",
                     show_parts(p, i + 1, name, sizeof name), a_type(v),
                     kv->line);
    if (v->u.table.def == WEFT__TOML_INLINE)
      return fail_at(p, kp->line, kp->col, WEFT_EPARSE,
                     "cannot extend inline table '%s' (line %d)",
                     show_parts(p, i + 1, name, sizeof name), kv->line);
    if (v->u.table.def == WEFT__TOML_EXPLICIT)
      return fail_at(p, kp->line, kp->col, WEFT_EPARSE,
                     "cannot extend table '%s' with a dotted key: it has "
                     "a header (line %d)",
                     show_parts(p, i + 1, name, sizeof name), v->line);
    v->u.table.def = WEFT__TOML_DOTTED;
    t = v;
  }
  kp = &p->parts[last];
  kv = weft__toml_table_find(t, kp->s, kp->len);
  if (kv)
    return fail_at(p, kp->line, kp->col, WEFT_EPARSE,
                   "duplicate key '%s' (first defined on line %d)",
                   show_parts(p, p->nparts, name, sizeof name), kv->line);
  /* The value may hold inline tables, which reuse p->parts. */
  key = *kp;
  kp->moved = true;
  clear_parts(p);
  if (!(v = parse_value(p, t->depth + 1)))
    goto fail;
  if (weft__toml_table_add(t, key.s, key.len, key.line, key.col, v)) {
    weft__toml_node_free(v);
    nomem(p);
    goto fail;
  }
  return 0;
fail:
  free(key.s);
  return p->rc;
}

/* ---- values ------------------------------------------------------------ */

/* A string node from the scratch buffer. */
static weft__toml_t *string_node(parser_t *p, int line, int col, int depth) {
  weft__toml_t *n = new_node(p, WEFT__TOML_STRING, line, col, depth);
  if (!n)
    return NULL;
  n->u.string.len = p->sbuf.len;
  n->u.string.ptr = weft__strndup(p->sbuf.data ? p->sbuf.data : "",
                                  p->sbuf.len);
  if (!n->u.string.ptr) {
    weft__toml_node_free(n);
    nomem(p);
    return NULL;
  }
  return n;
}

/* Parse an array at pos ('['). Newlines and comments may appear between
 * elements; a trailing comma is allowed. */
static weft__toml_t *parse_array(parser_t *p, int line, int col, int depth) {
  weft__toml_t *arr = new_node(p, WEFT__TOML_ARRAY, line, col, depth), *v;
  char d[16];
  if (!arr)
    return NULL;
  p->pos++;
  for (;;) {
    if (skip_ws_nl(p))
      goto fail;
    if (peek(p) == ']')
      break;
    if (!(v = parse_value(p, depth + 1)))
      goto fail;
    if (weft__toml_array_push(arr, v)) {
      weft__toml_node_free(v);
      nomem(p);
      goto fail;
    }
    if (skip_ws_nl(p))
      goto fail;
    if (peek(p) == ',') {
      p->pos++;
      continue;
    }
    if (peek(p) == ']')
      break;
    if (p->pos >= p->len)
      fail_at(p, line, col, WEFT_EPARSE, "unterminated array");
    else
      FAIL(p, "expected ',' or ']' after array element, found %s",
           describe(p, p->pos, d));
    goto fail;
  }
  p->pos++;
  return arr;
fail:
  weft__toml_node_free(arr);
  return NULL;
}

/* Parse an inline table at pos ('{'): on one line, no trailing comma, and
 * immutable once closed. */
static weft__toml_t *parse_inline(parser_t *p, int line, int col,
                                  int depth) {
  weft__toml_t *t = new_node(p, WEFT__TOML_TABLE, line, col, depth);
  char d[16];
  if (!t)
    return NULL;
  t->u.table.def = WEFT__TOML_INLINE;
  p->pos++;
  skip_ws(p);
  if (peek(p) == '}') {
    p->pos++;
    return t;
  }
  for (;;) {
    if (parse_keyval(p, t))
      goto fail;
    skip_ws(p);
    if (peek(p) == '}')
      break;
    if (peek(p) != ',') {
      if (p->pos >= p->len)
        fail_at(p, line, col, WEFT_EPARSE, "unterminated inline table");
      else if (peek(p) == '\n' || peek(p) == '\r')
        FAIL(p, "newline in inline table");
      else
        FAIL(p, "expected ',' or '}' in inline table, found %s",
             describe(p, p->pos, d));
      goto fail;
    }
    p->pos++;
    skip_ws(p);
    if (peek(p) == '}') {
      FAIL(p, "trailing comma in inline table");
      goto fail;
    }
  }
  p->pos++;
  return t;
fail:
  weft__toml_node_free(t);
  return NULL;
}

/* Days in `month` of `year` (proleptic Gregorian). */
static int days_in(int year, int month) {
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : days[month - 1];
}

/* Read `n` decimal digits at `off`; -1 if they are not all digits. */
static int digits_at(const parser_t *p, size_t off, size_t n) {
  int v = 0;
  size_t i;
  if (off > p->len || p->len - off < n)
    return -1;
  for (i = 0; i < n; i++) {
    if (!is_digit(p->src[off + i]))
      return -1;
    v = v * 10 + (p->src[off + i] - '0');
  }
  return v;
}

/* Parse HH:MM:SS[.frac] at `*off` into `dt`, advancing *off. */
static int parse_time(parser_t *p, size_t *off, weft__toml_datetime_t *dt) {
  size_t o = *off, nd = 0;
  int h = digits_at(p, o, 2), m = digits_at(p, o + 3, 2),
      s = digits_at(p, o + 6, 2);
  if (h < 0 || m < 0 || s < 0 || p->src[o + 2] != ':' ||
      p->src[o + 5] != ':') {
    p->pos = o;
    return FAIL(p, "invalid time: expected HH:MM:SS");
  }
  if (h > 23 || m > 59 || s > 60) {
    p->pos = o;
    return FAIL(p, "invalid time: %02d:%02d:%02d is out of range", h, m, s);
  }
  dt->hour = h;
  dt->minute = m;
  dt->second = s;
  o += 8;
  if (o < p->len && p->src[o] == '.') {
    o++;
    while (o < p->len && is_digit(p->src[o])) {
      if (nd < 9)
        dt->nanosecond = dt->nanosecond * 10 + (p->src[o] - '0');
      nd++;
      o++;
    }
    if (!nd) {
      p->pos = o;
      return FAIL(p, "invalid time: expected digits after '.'");
    }
    dt->frac_digits = nd < 9 ? (int)nd : 9;
    for (; nd < 9; nd++)
      dt->nanosecond *= 10;
  }
  *off = o;
  return 0;
}

/* Parse a date-time, local date or local time at pos. */
static weft__toml_t *parse_datetime(parser_t *p, int line, int col,
                                    int depth) {
  weft__toml_datetime_t dt;
  weft__toml_type_t type;
  size_t o = p->pos, start = p->pos;
  weft__toml_t *n;
  memset(&dt, 0, sizeof dt);
  if (digits_at(p, o, 2) >= 0 && o + 2 < p->len && p->src[o + 2] == ':') {
    type = WEFT__TOML_LOCAL_TIME;
    if (parse_time(p, &o, &dt))
      return NULL;
  } else {
    int y = digits_at(p, o, 4), m = digits_at(p, o + 5, 2),
        d = digits_at(p, o + 8, 2);
    if (y < 0 || m < 0 || d < 0 || p->src[o + 7] != '-') {
      FAIL(p, "invalid date: expected YYYY-MM-DD");
      return NULL;
    }
    if (m < 1 || m > 12 || d < 1 || d > days_in(y, m)) {
      FAIL(p, "invalid date: %04d-%02d-%02d does not exist", y, m, d);
      return NULL;
    }
    dt.year = y;
    dt.month = m;
    dt.day = d;
    o += 10;
    type = WEFT__TOML_LOCAL_DATE;
    if (o < p->len &&
        (p->src[o] == 'T' || p->src[o] == 't' ||
         (p->src[o] == ' ' && digits_at(p, o + 1, 2) >= 0 &&
          o + 3 < p->len && p->src[o + 3] == ':'))) {
      o++;
      type = WEFT__TOML_LOCAL_DATETIME;
      if (parse_time(p, &o, &dt))
        return NULL;
      if (o < p->len && (p->src[o] == 'Z' || p->src[o] == 'z')) {
        type = WEFT__TOML_DATETIME;
        dt.offset_z = true;
        o++;
      } else if (o < p->len && (p->src[o] == '+' || p->src[o] == '-')) {
        int oh = digits_at(p, o + 1, 2), om = digits_at(p, o + 4, 2);
        if (oh < 0 || om < 0 || p->src[o + 3] != ':') {
          p->pos = o;
          FAIL(p, "invalid time offset: expected +HH:MM or -HH:MM");
          return NULL;
        }
        if (oh > 23 || om > 59) {
          p->pos = o;
          FAIL(p, "invalid time offset: out of range");
          return NULL;
        }
        type = WEFT__TOML_DATETIME;
        dt.offset_minutes = (oh * 60 + om) * (p->src[o] == '-' ? -1 : 1);
        o += 6;
      }
    }
  }
  if (!(n = new_node(p, type, line, col, depth)))
    return NULL;
  n->u.datetime.dt = dt;
  n->u.datetime.text = weft__strndup((const char *)p->src + start, o - start);
  if (!n->u.datetime.text) {
    weft__toml_node_free(n);
    nomem(p);
    return NULL;
  }
  p->pos = o;
  return n;
}

/* The "C" locale, for strtod_l. */
static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

/* pthread_once routine creating c_locale. */
static void make_c_locale(void) {
  c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

/* Scan decimal digits with single underscores between them at `*o` in
 * `s`[0, n), copying the digits to `out` (advancing *olen). False if there
 * are none or an underscore is misplaced. */
static bool scan_digits(const char *s, size_t n, size_t *o, char *out,
                        size_t *olen) {
  size_t i = *o;
  if (i >= n || !is_digit(s[i]))
    return false;
  for (;;) {
    out[(*olen)++] = s[i++];
    if (i < n && s[i] == '_') {
      i++;
      if (i >= n || !is_digit(s[i]))
        return false;
    } else if (i >= n || !is_digit(s[i])) {
      break;
    }
  }
  *o = i;
  return true;
}

/* Value of hex/octal/binary digit `c` in `base`, or -1. */
static int digit_value(int c, int base) {
  int v = weft__hex_digit(c);
  return v < base ? v : -1;
}

/* Parse an integer or float token at pos. */
static weft__toml_t *parse_number(parser_t *p, int line, int col,
                                  int depth) {
  const char *s = (const char *)p->src + p->pos;
  size_t n = 0, i = 0, clen = 0;
  bool neg = false, is_float = false;
  char small[128], *clean = small;
  weft__toml_t *node = NULL;
  uint64_t mag = 0;
  double f = 0;

  while (p->pos + n < p->len) {
    int c = s[n];
    if (!(is_bare(c) || c == '.' || c == '+'))
      break;
    n++;
  }
  if (n > 0 && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    i = 1;
  }
  if (n - i == 3 && (!memcmp(s + i, "inf", 3) || !memcmp(s + i, "nan", 3))) {
    is_float = true;
    f = s[i] == 'i' ? INFINITY : NAN;
    if (neg)
      f = -f;
    goto make;
  }
  if (n - i >= 2 && s[i] == '0' &&
      (s[i + 1] == 'x' || s[i + 1] == 'o' || s[i + 1] == 'b')) {
    int base = s[i + 1] == 'x' ? 16 : s[i + 1] == 'o' ? 8 : 2;
    if (i) {
      FAIL(p, "a sign is not allowed on %s integer",
           base == 16 ? "a hexadecimal" : base == 8 ? "an octal" : "a binary");
      goto out;
    }
    i += 2;
    if (i >= n || digit_value(s[i], base) < 0)
      goto invalid;
    for (; i < n; i++) {
      int v = digit_value(s[i], base);
      if (s[i] == '_' && i + 1 < n && digit_value(s[i + 1], base) >= 0)
        continue;
      if (v < 0)
        goto invalid;
      if (mag > ((uint64_t)INT64_MAX - (uint64_t)v) / (uint64_t)base)
        goto range;
      mag = mag * (uint64_t)base + (uint64_t)v;
    }
    goto make;
  }
  if (n + 2 > sizeof small && !(clean = malloc(n + 2))) {
    nomem(p);
    goto out;
  }
  if (neg)
    clean[clen++] = '-';
  if (i + 1 < n && s[i] == '0' && (is_digit(s[i + 1]) || s[i + 1] == '_')) {
    FAIL(p, "leading zeros are not allowed");
    goto out;
  }
  if (!scan_digits(s, n, &i, clean, &clen))
    goto invalid;
  if (i < n && s[i] == '.') {
    is_float = true;
    clean[clen++] = s[i++];
    if (!scan_digits(s, n, &i, clean, &clen))
      goto invalid;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    is_float = true;
    clean[clen++] = s[i++];
    if (i < n && (s[i] == '+' || s[i] == '-'))
      clean[clen++] = s[i++];
    if (!scan_digits(s, n, &i, clean, &clen))
      goto invalid;
  }
  if (i != n)
    goto invalid;
  clean[clen] = 0;
  if (is_float) {
    pthread_once(&c_locale_once, make_c_locale);
    if (!c_locale) {
      nomem(p);
      goto out;
    }
    f = strtod_l(clean, NULL, c_locale);
    if (isinf(f)) {
      FAIL(p, "float is out of range");
      goto out;
    }
    goto make;
  }
  for (i = neg ? 1 : 0; i < clen; i++) {
    uint64_t v = (uint64_t)(clean[i] - '0');
    if (mag > ((uint64_t)INT64_MAX + 1 - v) / 10)
      goto range;
    mag = mag * 10 + v;
  }
  if (!neg && mag > (uint64_t)INT64_MAX)
    goto range;
make:
  if (!(node = new_node(p, is_float ? WEFT__TOML_FLOAT : WEFT__TOML_INTEGER,
                        line, col, depth)))
    goto out;
  if (is_float)
    node->u.flt = f;
  else if (neg)
    node->u.integer = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN
                                                     : -(int64_t)mag;
  else
    node->u.integer = (int64_t)mag;
  p->pos += n;
  goto out;
range:
  FAIL(p, "integer is out of range");
  goto out;
invalid:
  FAIL(p, "invalid number '%.*s'", (int)(n < 40 ? n : 40), s);
out:
  if (clean != small)
    free(clean);
  return node;
}

/* Parse the value at pos; `depth` is the depth the new node gets. */
static weft__toml_t *parse_value(parser_t *p, int depth) {
  int line = p->line, col = col_of(p, p->pos), c = peek(p);
  char d[16];
  weft__toml_t *n;
  switch (c) {
  case '"':
  case '\'':
    if (read_string(p, c))
      return NULL;
    return string_node(p, line, col, depth);
  case 't':
  case 'f':
    if (p->len - p->pos >= 4 && !memcmp(p->src + p->pos, "true", 4)) {
      if (!(n = new_node(p, WEFT__TOML_BOOL, line, col, depth)))
        return NULL;
      n->u.boolean = true;
      p->pos += 4;
      return n;
    }
    if (p->len - p->pos >= 5 && !memcmp(p->src + p->pos, "false", 5)) {
      if (!(n = new_node(p, WEFT__TOML_BOOL, line, col, depth)))
        return NULL;
      p->pos += 5;
      return n;
    }
    break;
  case '[':
    return parse_array(p, line, col, depth);
  case '{':
    return parse_inline(p, line, col, depth);
  case '+':
  case '-':
  case 'i':
  case 'n':
    return parse_number(p, line, col, depth);
  default:
    if (!is_digit(c))
      break;
    if ((digits_at(p, p->pos, 4) >= 0 && peek_at(p, 4) == '-') ||
        (digits_at(p, p->pos, 2) >= 0 && peek_at(p, 2) == ':'))
      return parse_datetime(p, line, col, depth);
    return parse_number(p, line, col, depth);
  }
  if (c >= 0 && is_bare(c))
    FAIL(p, "invalid value (strings must be quoted)");
  else
    FAIL(p, "expected a value, found %s", describe(p, p->pos, d));
  return NULL;
}

/* ---- document ---------------------------------------------------------- */

/* Parse the whole input into p->root. */
static int parse_document(parser_t *p) {
  char d[16];
  size_t bad = weft__utf8_check((const uint8_t *)p->src, p->len), i;
  if (bad < p->len) {
    for (i = 0; i < bad; i++)
      if (p->src[i] == '\n') {
        p->line++;
        p->line_start = i + 1;
      }
    p->pos = bad;
    return FAIL(p, "invalid utf-8 byte 0x%02x", p->src[bad]);
  }
  if (p->len >= 3 && !memcmp(p->src, "\xef\xbb\xbf", 3))
    p->pos = p->line_start = 3;
  while (!p->rc) {
    int c;
    skip_ws(p);
    if (p->pos >= p->len)
      break;
    c = p->src[p->pos];
    if (c == '#')
      end_of_line(p, "comment");
    else if (c == '\n' || c == '\r')
      eat_newline(p);
    else if (c == '[')
      parse_header(p);
    else if ((is_bare(c) || c == '"' || c == '\'') &&
             !parse_keyval(p, p->cur))
      end_of_line(p, "value");
    else if (!p->rc)
      FAIL(p, "expected a key or a table header, found %s",
           describe(p, p->pos, d));
  }
  return p->rc;
}

/* See toml.h. */
int weft__toml_parse(const char *text, size_t len, const char *filename,
                     weft__toml_t **out, weft_error_t *err) {
  parser_t *p = NULL;
  char *file = NULL;
  int rc = WEFT_ENOMEM;

  *out = NULL;
  if (!filename)
    filename = "<input>";
  if (len > INT_MAX / 2)
    return WEFT_ERR(err, WEFT_ELIMIT, "%s: file is too large", filename);
  if (!(file = weft__strdup(filename)) || !(p = calloc(1, sizeof *p))) {
    WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
    goto out;
  }
  p->src = (const unsigned char *)(text ? text : "");
  p->len = text ? len : 0;
  p->line = 1;
  p->col_val = 1;
  p->file = file;
  p->err = err;
  weft__buf_init(&p->sbuf);
  if (!(p->root = weft__toml_node_new(WEFT__TOML_TABLE, file, 1, 1, 0))) {
    WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
    goto out;
  }
  file = NULL; /* the root owns it from here */
  p->cur = p->root;
  rc = parse_document(p);
  if (!rc) {
    *out = p->root;
    p->root = NULL;
  }
out:
  if (p) {
    clear_parts(p);
    weft__buf_release(&p->sbuf);
    weft__toml_free(p->root);
  }
  free(p);
  free(file);
  return rc;
}

/* See toml.h. */
int weft__toml_parse_file(const char *path, weft__toml_t **out,
                          weft_error_t *err) {
  uint8_t *data = NULL;
  size_t len = 0;
  int rc;
  *out = NULL;
  rc = weft__read_file(path, &data, &len, err);
  if (!rc)
    rc = weft__toml_parse((const char *)data, len, path, out, err);
  free(data);
  return rc;
}

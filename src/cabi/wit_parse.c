/* wit_parse.c - the WIT lexer and parser: checks the text (UTF-8, no
 * control or bidirectional override characters), then reads it by
 * recursive descent into units (the top of the file and each nested
 * `package` block) holding interfaces and worlds whose types are model
 * nodes; names are left UNRESOLVED for wit_resolve.c. Names in one
 * interface or world are checked for duplicates here.
 *
 * Positions: `pos` is a byte offset; columns count code points and are
 * computed from the start of the line with a cache, as in toml.c.
 * Recursion happens only in type expressions, bounded by
 * WEFT__WIT_MAX_DEPTH.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cabi/wit_int.h"

typedef enum tok_kind {
  T_EOF = 0,
  T_ID,
  T_NUMBER,
  T_UNDERSCORE,
  T_EQ,
  T_COMMA,
  T_COLON,
  T_SEMI,
  T_LPAREN,
  T_RPAREN,
  T_LBRACE,
  T_RBRACE,
  T_LT,
  T_GT,
  T_STAR,
  T_ARROW,
  T_SLASH,
  T_DOT,
  T_AT,
  K_AS,
  K_ASYNC,
  K_BOOL,
  K_BORROW,
  K_CHAR,
  K_CONSTRUCTOR,
  K_ENUM,
  K_EXPORT,
  K_F32,
  K_F64,
  K_FLAGS,
  K_FLOAT32,
  K_FLOAT64,
  K_FROM,
  K_FUNC,
  K_FUTURE,
  K_IMPORT,
  K_INCLUDE,
  K_INTERFACE,
  K_LIST,
  K_OPTION,
  K_OWN,
  K_PACKAGE,
  K_RECORD,
  K_RESOURCE,
  K_RESULT,
  K_S16,
  K_S32,
  K_S64,
  K_S8,
  K_STATIC,
  K_STREAM,
  K_STRING,
  K_TUPLE,
  K_TYPE,
  K_U16,
  K_U32,
  K_U64,
  K_U8,
  K_USE,
  K_VARIANT,
  K_WITH,
  K_WORLD
} tok_kind_t;

/* Keywords in the order of K_AS ... K_WORLD. */
static const char *const keywords[] = {
    "as",      "async",     "bool",   "borrow",  "char",     "constructor",
    "enum",    "export",    "f32",    "f64",     "flags",    "float32",
    "float64", "from",      "func",   "future",  "import",   "include",
    "interface", "list",    "option", "own",     "package",  "record",
    "resource", "result",   "s16",    "s32",     "s64",      "s8",
    "static",  "stream",    "string", "tuple",   "type",     "u16",
    "u32",     "u64",       "u8",     "use",     "variant",  "with",
    "world"};

static const char *const puncts[] = {"=", ",", ":", ";", "(", ")", "{", "}",
                                     "<", ">", "*", "->", "/", ".", "@"};

typedef struct tok {
  tok_kind_t kind;
  const char *s;    /* T_ID (without '%'), T_NUMBER, keywords */
  size_t len;
  int line, col;
  const char *docs; /* doc comments just before, or NULL */
} tok_t;

typedef struct parser {
  wit_ctx_t *c;
  const char *file;
  unsigned group;
  const unsigned char *src;
  size_t len, pos;
  int line;
  size_t line_start;
  size_t col_pos;
  int col_val;
  tok_t tok;
  weft__buf_t docs;     /* doc comment text gathered for the next token */
  bool have_docs;
  wit_unit_t *unit;
  wit_scope_t *scope;   /* where names in types are looked up */
  int depth;
} parser_t;

bool weft__wit_is_keyword(const char *s) {
  size_t i;
  for (i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
    if (!strcmp(keywords[i], s))
      return true;
  return false;
}

/* ---- positions and errors ----------------------------------------------- */

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

/* A parse error at line:col; makes the current token end of file so that
 * every loop stops. */
static void fail_at(parser_t *p, int line, int col, int code, const char *fmt,
                    ...) __attribute__((format(printf, 5, 6)));
static void fail_at(parser_t *p, int line, int col, int code, const char *fmt,
                    ...) {
  char msg[200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  weft__wit_fail(p->c, code, p->file, line, col, "%s", msg);
  p->tok.kind = T_EOF;
  p->pos = p->len;
}

#define FAIL_TOK(p, ...) \
  fail_at((p), (p)->tok.line, (p)->tok.col, WEFT_EPARSE, __VA_ARGS__)

/* Out of memory: stop. */
static void nomem(parser_t *p) {
  weft__wit_nomem(p->c);
  p->tok.kind = T_EOF;
  p->pos = p->len;
}

/* True once an error is recorded. */
static bool failed(const parser_t *p) { return p->c->rc != 0; }

/* Describe `t` for a message into buf. */
static const char *describe(const tok_t *t, char buf[64]) {
  int n = t->len > 40 ? 40 : (int)t->len;
  if (t->kind == T_EOF)
    return "end of file";
  if (t->kind == T_ID || t->kind == T_NUMBER)
    snprintf(buf, 64, "'%.*s%s'", n, t->s, t->len > 40 ? "..." : "");
  else if (t->kind == T_UNDERSCORE)
    snprintf(buf, 64, "'_'");
  else if (t->kind >= K_AS)
    snprintf(buf, 64, "keyword '%s'", keywords[t->kind - K_AS]);
  else
    snprintf(buf, 64, "'%s'", puncts[t->kind - T_EQ]);
  return buf;
}

/* "expected WHAT, found TOKEN" at the current token. */
static void expected(parser_t *p, const char *what) {
  char buf[64];
  FAIL_TOK(p, "expected %s, found %s", what, describe(&p->tok, buf));
}

/* ---- characters --------------------------------------------------------- */

/* Check the whole text: valid UTF-8, no control characters but tab, line
 * feed and carriage return, no bidirectional overrides. */
static void check_text(parser_t *p) {
  size_t i = 0;
  int line = 1, col = 1;
  while (i < p->len) {
    unsigned c = p->src[i];
    uint32_t cp;
    size_t n;
    if (c < 0x80) {
      if (c == '\n') {
        line++;
        col = 1;
        i++;
        continue;
      }
      if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f) {
        fail_at(p, line, col, WEFT_EPARSE,
                "control character U+%04X is not allowed", c);
        return;
      }
      i++;
      col++;
      continue;
    }
    n = weft__utf8_decode(p->src + i, p->len - i, &cp);
    if (!n) {
      fail_at(p, line, col, WEFT_EPARSE, "invalid UTF-8");
      return;
    }
    if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
        (cp >= 0x80 && cp <= 0x9f)) {
      fail_at(p, line, col, WEFT_EPARSE, "%s U+%04X is not allowed",
              cp <= 0x9f ? "control character"
                         : "bidirectional override character",
              cp);
      return;
    }
    i += n;
    col++;
  }
}

/* ASCII letter, digit, identifier character. */
static bool is_alpha(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(int c) { return c >= '0' && c <= '9'; }

static bool is_idchar(int c) {
  return is_alpha(c) || is_digit(c) || c == '-' || c == '_';
}

/* True if s[0..n) is kebab-case: words of lower-case letters and digits,
 * or of upper-case letters and digits, joined by single '-'; the first
 * word starts with a letter. */
static bool kebab(const char *s, size_t n) {
  size_t i = 0;
  bool first = true;
  for (;;) {
    size_t start = i;
    bool lower = false, upper = false;
    if (i >= n || (first && !is_alpha(s[i])))
      return false;
    for (; i < n && s[i] != '-'; i++) {
      if (s[i] >= 'a' && s[i] <= 'z')
        lower = true;
      else if (s[i] >= 'A' && s[i] <= 'Z')
        upper = true;
      else if (!is_digit(s[i]))
        return false;
    }
    if (i == start || (lower && upper))
      return false;
    if (i == n)
      return true;
    first = false;
    i++;
  }
}

/* The byte at pos + k, or -1 past the end. */
static int peek_at(const parser_t *p, size_t k) {
  return p->pos + k < p->len ? p->src[p->pos + k] : -1;
}

/* Append one line of doc comment text, trailing blanks trimmed. A line
 * of a block comment (`block`) loses its leading blanks and '*', and is
 * dropped when empty at the start of the block (*first). */
static void add_doc(parser_t *p, const unsigned char *s, size_t n,
                    bool block, bool *first) {
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
    n--;
  if (block) {
    while (n && (*s == ' ' || *s == '\t')) {
      s++;
      n--;
    }
    if (n && *s == '*') {
      s++;
      n--;
    }
    if (n == 0 && *first)
      return;
    if (n && *s != ' ' && *s != '\t') {
      /* Keep the usual space after "///" when printed again. */
      if ((p->have_docs && weft__buf_add(&p->docs, "\n", 1)) ||
          weft__buf_add(&p->docs, " ", 1) || weft__buf_add(&p->docs, s, n))
        nomem(p);
      p->have_docs = true;
      *first = false;
      return;
    }
    *first = false;
  }
  if ((p->have_docs && weft__buf_add(&p->docs, "\n", 1)) ||
      weft__buf_add(&p->docs, s, n))
    nomem(p);
  p->have_docs = true;
}

/* Skip blanks and comments, gathering doc comments. */
static void skip_space(parser_t *p) {
  while (p->pos < p->len && !failed(p)) {
    int ch = p->src[p->pos];
    if (ch == ' ' || ch == '\t' || ch == '\r') {
      p->pos++;
    } else if (ch == '\n') {
      p->pos++;
      p->line++;
      p->line_start = p->pos;
    } else if (ch == '/' && peek_at(p, 1) == '/') {
      size_t start = p->pos;
      bool doc = peek_at(p, 2) == '/' && peek_at(p, 3) != '/';
      while (p->pos < p->len && p->src[p->pos] != '\n')
        p->pos++;
      if (doc)
        add_doc(p, p->src + start + 3, p->pos - start - 3, false, &doc);
    } else if (ch == '/' && peek_at(p, 1) == '*') {
      size_t line_begin;
      int line = p->line, col = col_of(p, p->pos), depth = 1;
      bool doc = peek_at(p, 2) == '*' && peek_at(p, 3) != '*' &&
                 peek_at(p, 3) != '/',
           first = true;
      size_t mark = p->docs.len;
      bool had = p->have_docs;
      p->pos += 2;
      line_begin = doc ? p->pos + 1 : p->pos;
      while (depth > 0) {
        if (p->pos >= p->len) {
          fail_at(p, line, col, WEFT_EPARSE, "unterminated comment");
          return;
        }
        if (p->src[p->pos] == '/' && peek_at(p, 1) == '*') {
          depth++;
          p->pos += 2;
        } else if (p->src[p->pos] == '*' && peek_at(p, 1) == '/') {
          depth--;
          p->pos += 2;
        } else if (p->src[p->pos] == '\n') {
          if (doc)
            add_doc(p, p->src + line_begin, p->pos - line_begin, true,
                    &first);
          p->pos++;
          p->line++;
          p->line_start = line_begin = p->pos;
        } else {
          p->pos++;
        }
      }
      if (doc && p->pos - 2 > line_begin)
        add_doc(p, p->src + line_begin, p->pos - 2 - line_begin, true,
                &first);
      /* Drop empty lines at the end of the block. */
      while (doc && p->docs.len > mark && p->docs.data[p->docs.len - 1] ==
                                              '\n')
        p->docs.data[--p->docs.len] = 0;
      if (doc && p->docs.len == mark)
        p->have_docs = had;
    } else {
      break;
    }
  }
}

/* The keyword kind of s[0..n), or T_ID. */
static tok_kind_t keyword(const char *s, size_t n) {
  size_t i;
  for (i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
    if (strlen(keywords[i]) == n && !memcmp(keywords[i], s, n))
      return (tok_kind_t)(K_AS + i);
  return T_ID;
}

/* Read the next token into p->tok. */
static void next(parser_t *p) {
  tok_t *t = &p->tok;
  size_t start;
  int ch;
  if (failed(p)) {
    t->kind = T_EOF;
    return;
  }
  skip_space(p);
  if (failed(p))
    return;
  t->line = p->line;
  t->col = col_of(p, p->pos);
  t->docs = NULL;
  t->s = NULL;
  t->len = 0;
  if (p->have_docs) {
    t->docs = weft__wit_strndup(p->c, p->docs.data, p->docs.len);
    if (!t->docs) {
      nomem(p);
      return;
    }
    p->docs.len = 0;
    p->have_docs = false;
  }
  if (p->pos >= p->len) {
    t->kind = T_EOF;
    return;
  }
  start = p->pos;
  ch = p->src[p->pos];
  if (is_alpha(ch) || ch == '_' || ch == '%') {
    bool explicit = ch == '%';
    if (explicit)
      start = ++p->pos;
    while (p->pos < p->len && is_idchar(p->src[p->pos]) &&
           !(p->src[p->pos] == '-' && peek_at(p, 1) == '>'))
      p->pos++;
    t->s = (const char *)p->src + start;
    t->len = p->pos - start;
    if (!explicit && t->len == 1 && ch == '_') {
      t->kind = T_UNDERSCORE;
      return;
    }
    t->kind = explicit ? T_ID : keyword(t->s, t->len);
    if (t->kind == T_ID && !kebab(t->s, t->len)) {
      if (t->len == 0)
        FAIL_TOK(p, "expected an identifier after '%%'");
      else
        FAIL_TOK(p, "identifier '%.*s' is not kebab-case",
                 t->len > 40 ? 40 : (int)t->len, t->s);
    }
    return;
  }
  if (is_digit(ch)) {
    while (p->pos < p->len &&
           (is_alpha(p->src[p->pos]) || is_digit(p->src[p->pos]) ||
            p->src[p->pos] == '.' || p->src[p->pos] == '+' ||
            (p->src[p->pos] == '-' && peek_at(p, 1) != '>')))
      p->pos++;
    while (p->src[p->pos - 1] == '.')
      p->pos--;
    t->kind = T_NUMBER;
    t->s = (const char *)p->src + start;
    t->len = p->pos - start;
    return;
  }
  p->pos++;
  switch (ch) {
  case '=':
    t->kind = T_EQ;
    return;
  case ',':
    t->kind = T_COMMA;
    return;
  case ':':
    t->kind = T_COLON;
    return;
  case ';':
    t->kind = T_SEMI;
    return;
  case '(':
    t->kind = T_LPAREN;
    return;
  case ')':
    t->kind = T_RPAREN;
    return;
  case '{':
    t->kind = T_LBRACE;
    return;
  case '}':
    t->kind = T_RBRACE;
    return;
  case '<':
    t->kind = T_LT;
    return;
  case '>':
    t->kind = T_GT;
    return;
  case '*':
    t->kind = T_STAR;
    return;
  case '/':
    t->kind = T_SLASH;
    return;
  case '.':
    t->kind = T_DOT;
    return;
  case '@':
    t->kind = T_AT;
    return;
  case '-':
    if (peek_at(p, 0) == '>') {
      p->pos++;
      t->kind = T_ARROW;
      return;
    }
    break;
  default:
    break;
  }
  if (ch >= 0x20 && ch < 0x7f)
    FAIL_TOK(p, "unexpected character '%c'", ch);
  else {
    unsigned cp = (unsigned)ch;
    size_t n = cp < 0xe0 ? 2 : cp < 0xf0 ? 3 : 4, i;
    cp &= 0x3fu >> (n - 1);
    for (i = 1; i < n && start + i < p->len; i++)
      cp = (cp << 6) | (p->src[start + i] & 0x3f);
    FAIL_TOK(p, "unexpected character U+%04X", cp);
  }
}

/* ---- token helpers ------------------------------------------------------ */

/* The kind of the token after the current one, without moving. */
static tok_kind_t peek_kind(parser_t *p) {
  parser_t save = *p;
  tok_kind_t k;
  next(p);
  k = p->tok.kind;
  if (!failed(p)) {
    weft__buf_t docs = p->docs; /* it may have moved */
    *p = save;
    p->docs = docs;
    p->docs.len = save.docs.len;
    if (docs.data)
      p->docs.data[p->docs.len] = 0;
  }
  return k;
}

/* At the start of an item: a keyword followed by ':' was meant as a
 * name; say how to write it. */
static bool keyword_as_name(parser_t *p) {
  if (p->tok.kind < K_AS || peek_kind(p) != T_COLON)
    return false;
  FAIL_TOK(p, "expected an identifier, found keyword '%s' (write '%%%s' "
              "to use it as a name)",
           keywords[p->tok.kind - K_AS], keywords[p->tok.kind - K_AS]);
  return true;
}

/* True if the current token is `k`. */
static bool at(const parser_t *p, tok_kind_t k) { return p->tok.kind == k; }

/* Consume the current token if it is `k`. */
static bool eat(parser_t *p, tok_kind_t k) {
  if (!at(p, k))
    return false;
  next(p);
  return true;
}

/* Consume `k` or fail with "expected 'k'". Returns 0 or -1. */
static int expect(parser_t *p, tok_kind_t k) {
  char what[32];
  if (eat(p, k))
    return 0;
  if (k >= K_AS)
    snprintf(what, sizeof what, "'%s'", keywords[k - K_AS]);
  else
    snprintf(what, sizeof what, "'%s'", puncts[k - T_EQ]);
  expected(p, what);
  return -1;
}

/* Consume an identifier and return a copy in the arena (NULL after an
 * error). A keyword gets a hint about '%'. */
static char *take_id(parser_t *p) {
  char *s;
  if (!at(p, T_ID)) {
    if (p->tok.kind >= K_AS)
      FAIL_TOK(p, "expected an identifier, found keyword '%s' (write "
                  "'%%%s' to use it as a name)",
               keywords[p->tok.kind - K_AS], keywords[p->tok.kind - K_AS]);
    else
      expected(p, "an identifier");
    return NULL;
  }
  s = weft__wit_strndup(p->c, p->tok.s, p->tok.len);
  if (!s) {
    nomem(p);
    return NULL;
  }
  next(p);
  return s;
}

/* True if s[0..n) is a semantic version: MAJOR.MINOR.PATCH, then maybe
 * -PRERELEASE and +BUILD, dot-separated identifiers of [0-9A-Za-z-],
 * numbers without leading zeros. */
static bool semver(const char *s, size_t n) {
  size_t i = 0, part;
  for (part = 0; part < 3; part++) {
    size_t start = i;
    while (i < n && is_digit(s[i]))
      i++;
    if (i == start || (s[start] == '0' && i - start > 1))
      return false;
    if (part < 2 && (i >= n || s[i++] != '.'))
      return false;
  }
  if (i < n && s[i] == '-') {
    do {
      size_t start = ++i;
      bool numeric = true;
      while (i < n && (is_alpha(s[i]) || is_digit(s[i]) || s[i] == '-')) {
        numeric = numeric && is_digit(s[i]);
        i++;
      }
      if (i == start || (numeric && s[start] == '0' && i - start > 1))
        return false;
    } while (i < n && s[i] == '.');
  }
  if (i < n && s[i] == '+') {
    do {
      size_t start = ++i;
      while (i < n && (is_alpha(s[i]) || is_digit(s[i]) || s[i] == '-'))
        i++;
      if (i == start)
        return false;
    } while (i < n && s[i] == '.');
  }
  return i == n;
}

/* Consume a version (after '@' or '=') and return it, or NULL. */
static char *take_version(parser_t *p) {
  char *s;
  if (!at(p, T_NUMBER)) {
    expected(p, "a version");
    return NULL;
  }
  if (!semver(p->tok.s, p->tok.len)) {
    FAIL_TOK(p, "invalid version '%.*s'",
             p->tok.len > 40 ? 40 : (int)p->tok.len, p->tok.s);
    return NULL;
  }
  s = weft__wit_strndup(p->c, p->tok.s, p->tok.len);
  if (!s)
    nomem(p);
  else
    next(p);
  return s;
}

/* Skip feature gates: @since(version = V), @unstable(feature = id),
 * @deprecated(version = V). */
static void skip_gates(parser_t *p) {
  while (at(p, T_AT) && !failed(p)) {
    bool version;
    next(p);
    if (!at(p, T_ID) ||
        !((p->tok.len == 5 && !memcmp(p->tok.s, "since", 5)) ||
          (p->tok.len == 8 && !memcmp(p->tok.s, "unstable", 8)) ||
          (p->tok.len == 10 && !memcmp(p->tok.s, "deprecated", 10)))) {
      if (at(p, T_ID))
        FAIL_TOK(p, "unknown gate '@%.*s'",
                 p->tok.len > 40 ? 40 : (int)p->tok.len, p->tok.s);
      else
        expected(p, "'since', 'unstable' or 'deprecated'");
      return;
    }
    version = p->tok.s[0] != 'u';
    next(p);
    if (expect(p, T_LPAREN))
      return;
    if (!at(p, T_ID) || p->tok.len != 7 ||
        memcmp(p->tok.s, version ? "version" : "feature", 7)) {
      expected(p, version ? "'version'" : "'feature'");
      return;
    }
    next(p);
    if (expect(p, T_EQ))
      return;
    if (version ? !take_version(p) : !take_id(p))
      return;
    expect(p, T_RPAREN);
  }
}

/* ---- building ----------------------------------------------------------- */

/* Declare `name` (kind, val) in `scope`; "'name' is defined twice". */
static void declare(parser_t *p, wit_map_t *map, const char *key,
                    const char *shown, int kind, void *val, int line,
                    int col) {
  int r = weft__wit_map_put(p->c, map, key, kind, val, NULL);
  if (r < 0)
    nomem(p);
  else if (r > 0)
    fail_at(p, line, col, WEFT_EINVALID, "'%s' is defined twice", shown);
}

/* A new unit for this file. */
static wit_unit_t *new_unit(parser_t *p, bool nested) {
  wit_unit_t *u = weft__wit_alloc(p->c, sizeof *u);
  if (!u || WIT_PUSH(p->c, p->c->units, p->c->nunits, u)) {
    nomem(p);
    return NULL;
  }
  u->file = p->file;
  u->group = p->group;
  u->nested = nested;
  return u;
}

/* A new type node at the current token, owned by the current scope. */
static weft__wit_type_t *new_type(parser_t *p, weft__wit_kind_t kind,
                                  int line, int col) {
  weft__wit_type_t *t =
      weft__wit_type_new(p->c, kind, p->file, line, col);
  if (!t)
    nomem(p);
  return t;
}

/* Give `t` `n` members (zeroed). */
static int members(parser_t *p, weft__wit_type_t *t, size_t n) {
  t->m = weft__wit_alloc(p->c, n * sizeof *t->m);
  if (!t->m) {
    nomem(p);
    return -1;
  }
  t->n = n;
  return 0;
}

/* Add the named type `t` to the current scope's interface or world. */
static void add_named(parser_t *p, weft__wit_type_t *t, const char *docs) {
  wit_scope_t *s = p->scope;
  t->docs = docs;
  t->iface = s->iface;
  t->world = s->world;
  declare(p, &s->map, t->name, t->name, WIT_ENT_TYPE, t, t->line, t->col);
  if (failed(p))
    return;
  if (s->iface) {
    if (WIT_PUSH(p->c, s->iface->types, s->iface->ntypes, t))
      nomem(p);
  } else {
    wit_world_priv_t *wp = s->world->priv_;
    wit_wstmt_t st;
    memset(&st, 0, sizeof st);
    st.kind = WS_TYPE;
    st.type = t;
    st.docs = docs;
    st.file = p->file;
    st.line = t->line;
    st.col = t->col;
    if (WIT_PUSH(p->c, wp->stmts, wp->nstmts, st))
      nomem(p);
  }
}

/* ---- types -------------------------------------------------------------- */

static weft__wit_type_t *parse_type(parser_t *p, bool bare);

/* A reference to the type named by the current identifier. */
static weft__wit_type_t *parse_ref(parser_t *p, bool bare) {
  int line = p->tok.line, col = p->tok.col;
  wit_ref_t *r;
  weft__wit_type_t *t;
  char *name = take_id(p);
  if (!name)
    return NULL;
  t = new_type(p, WEFT__WIT_UNRESOLVED_, line, col);
  r = weft__wit_alloc(p->c, sizeof *r);
  if (!t || !r) {
    nomem(p);
    return NULL;
  }
  r->scope = p->scope;
  t->name = name;
  t->priv_ = r;
  t->flags_ = bare ? WIT_F_BARE : 0;
  return t;
}

/* `<T>` of list, option, future and stream. */
static weft__wit_type_t *parse_wrapped(parser_t *p, weft__wit_kind_t kind,
                                       bool optional) {
  int line = p->tok.line, col = p->tok.col;
  weft__wit_type_t *t = new_type(p, kind, line, col);
  next(p);
  if (!t || members(p, t, 1))
    return NULL;
  if (optional && !at(p, T_LT))
    return t;
  if (expect(p, T_LT))
    return NULL;
  t->m[0].type = parse_type(p, true);
  if (!t->m[0].type)
    return NULL;
  if (kind == WEFT__WIT_LIST && at(p, T_COMMA)) {
    FAIL_TOK(p, "fixed-length lists are not supported");
    return NULL;
  }
  return expect(p, T_GT) ? NULL : t;
}

/* A type expression. `bare` is false only for the target of `type x =`:
 * elsewhere a resource name means an owned handle. */
static weft__wit_type_t *parse_type(parser_t *p, bool bare) {
  static const struct {
    tok_kind_t tok;
    weft__wit_kind_t kind;
  } prims[] = {{K_BOOL, WEFT__WIT_BOOL},     {K_S8, WEFT__WIT_S8},
               {K_U8, WEFT__WIT_U8},         {K_S16, WEFT__WIT_S16},
               {K_U16, WEFT__WIT_U16},       {K_S32, WEFT__WIT_S32},
               {K_U32, WEFT__WIT_U32},       {K_S64, WEFT__WIT_S64},
               {K_U64, WEFT__WIT_U64},       {K_F32, WEFT__WIT_F32},
               {K_FLOAT32, WEFT__WIT_F32},   {K_F64, WEFT__WIT_F64},
               {K_FLOAT64, WEFT__WIT_F64},   {K_CHAR, WEFT__WIT_CHAR},
               {K_STRING, WEFT__WIT_STRING}};
  int line = p->tok.line, col = p->tok.col;
  weft__wit_type_t *t = NULL;
  size_t i;
  if (p->depth >= WEFT__WIT_MAX_DEPTH) {
    fail_at(p, line, col, WEFT_ELIMIT, "types nest deeper than %d levels",
            WEFT__WIT_MAX_DEPTH);
    return NULL;
  }
  p->depth++;
  for (i = 0; i < sizeof prims / sizeof prims[0]; i++)
    if (at(p, prims[i].tok)) {
      next(p);
      t = weft__wit_prim(p->c, prims[i].kind);
      if (!t)
        nomem(p);
      goto out;
    }
  switch (p->tok.kind) {
  case K_LIST:
    t = parse_wrapped(p, WEFT__WIT_LIST, false);
    break;
  case K_OPTION:
    t = parse_wrapped(p, WEFT__WIT_OPTION, false);
    break;
  case K_FUTURE:
    t = parse_wrapped(p, WEFT__WIT_FUTURE, true);
    break;
  case K_STREAM:
    t = parse_wrapped(p, WEFT__WIT_STREAM, true);
    break;
  case K_RESULT:
    t = new_type(p, WEFT__WIT_RESULT, line, col);
    next(p);
    if (!t || members(p, t, 2) || !eat(p, T_LT))
      break;
    if (eat(p, T_UNDERSCORE)) {
      if (expect(p, T_COMMA) || !(t->m[1].type = parse_type(p, true))) {
        t = NULL;
        break;
      }
    } else {
      if (!(t->m[0].type = parse_type(p, true)) ||
          (eat(p, T_COMMA) && !(t->m[1].type = parse_type(p, true)))) {
        t = NULL;
        break;
      }
    }
    if (expect(p, T_GT))
      t = NULL;
    break;
  case K_TUPLE:
    t = new_type(p, WEFT__WIT_TUPLE, line, col);
    next(p);
    if (!t || expect(p, T_LT)) {
      t = NULL;
      break;
    }
    do {
      weft__wit_member_t m;
      if (at(p, T_GT) && t->n)
        break;
      memset(&m, 0, sizeof m);
      m.line = p->tok.line;
      m.col = p->tok.col;
      if (!(m.type = parse_type(p, true)))
        goto out_null;
      if (WIT_PUSH(p->c, t->m, t->n, m)) {
        nomem(p);
        goto out_null;
      }
    } while (eat(p, T_COMMA));
    if (expect(p, T_GT))
      t = NULL;
    break;
  case K_OWN:
  case K_BORROW:
    t = new_type(p, at(p, K_OWN) ? WEFT__WIT_OWN : WEFT__WIT_BORROW, line,
                 col);
    next(p);
    if (!t || members(p, t, 1) || expect(p, T_LT) ||
        !(t->m[0].type = parse_ref(p, false)) || expect(p, T_GT))
      t = NULL;
    break;
  case T_ID:
    t = parse_ref(p, bare);
    break;
  default:
    expected(p, "a type");
    break;
  }
  goto out;
out_null:
  t = NULL;
out:
  p->depth--;
  return failed(p) ? NULL : t;
}

/* ---- functions ---------------------------------------------------------- */

/* `(name: T, ...)` into *list, *n; names checked for duplicates. */
static int parse_named_list(parser_t *p, weft__wit_member_t **list,
                            size_t *n) {
  wit_map_t seen;
  memset(&seen, 0, sizeof seen);
  if (expect(p, T_LPAREN))
    return -1;
  for (size_t i = 0; i < *n; i++)
    declare(p, &seen, (*list)[i].name, (*list)[i].name, WIT_ENT_TYPE, NULL,
            0, 0);
  while (!at(p, T_RPAREN) && !failed(p)) {
    weft__wit_member_t m;
    memset(&m, 0, sizeof m);
    m.docs = p->tok.docs;
    m.line = p->tok.line;
    m.col = p->tok.col;
    if (!(m.name = take_id(p)) || expect(p, T_COLON) ||
        !(m.type = parse_type(p, true)))
      return -1;
    declare(p, &seen, m.name, m.name, WIT_ENT_TYPE, NULL, m.line, m.col);
    if (failed(p))
      return -1;
    if (WIT_PUSH(p->c, *list, *n, m)) {
      nomem(p);
      return -1;
    }
    if (!eat(p, T_COMMA))
      break;
  }
  return expect(p, T_RPAREN);
}

/* A new function named `name` at line:col, in c->funcs and in the current
 * interface (if any). */
static weft__wit_func_t *new_func(parser_t *p, weft__wit_func_kind_t kind,
                                  const char *name, const char *docs,
                                  int line, int col) {
  weft__wit_func_t *f = weft__wit_alloc(p->c, sizeof *f);
  if (!f || WIT_PUSH(p->c, p->c->funcs, p->c->nfuncs, f) ||
      (p->scope->iface &&
       WIT_PUSH(p->c, p->scope->iface->funcs, p->scope->iface->nfuncs, f))) {
    nomem(p);
    return NULL;
  }
  f->kind = kind;
  f->name = f->abi_name = name;
  f->iface = p->scope->iface;
  f->world = p->scope->iface ? NULL : p->scope->world;
  f->docs = docs;
  f->file = p->file;
  f->line = line;
  f->col = col;
  return f;
}

/* `[async] func(params) [-> T | -> (named results)]` into f. */
static int parse_functype(parser_t *p, weft__wit_func_t *f) {
  f->is_async = eat(p, K_ASYNC);
  if (expect(p, K_FUNC) || parse_named_list(p, &f->params, &f->nparams))
    return -1;
  if (!eat(p, T_ARROW))
    return 0;
  if (at(p, T_LPAREN)) {
    f->named_results = true;
    return parse_named_list(p, &f->results, &f->nresults);
  }
  f->results = weft__wit_alloc(p->c, sizeof *f->results);
  if (!f->results) {
    nomem(p);
    return -1;
  }
  f->results[0].line = p->tok.line;
  f->results[0].col = p->tok.col;
  f->nresults = 1;
  f->results[0].type = parse_type(p, true);
  return f->results[0].type ? 0 : -1;
}

/* ---- definitions -------------------------------------------------------- */

/* The body of `resource r { ... }` after '{'. */
static void parse_resource_body(parser_t *p, weft__wit_type_t *r) {
  wit_scope_t *s = p->scope;
  while (!at(p, T_RBRACE) && !failed(p)) {
    const char *docs = p->tok.docs;
    int line, col;
    weft__wit_func_t *f;
    weft__wit_func_kind_t kind;
    const char *name;
    char *key, *abi;
    size_t klen;
    skip_gates(p);
    docs = docs ? docs : p->tok.docs;
    line = p->tok.line;
    col = p->tok.col;
    if (keyword_as_name(p))
      return;
    if (eat(p, K_CONSTRUCTOR)) {
      kind = WEFT__WIT_CONSTRUCTOR;
      name = "constructor";
    } else if (at(p, T_ID)) {
      if (!(name = take_id(p)) || expect(p, T_COLON))
        return;
      kind = eat(p, K_STATIC) ? WEFT__WIT_STATIC : WEFT__WIT_METHOD;
    } else {
      expected(p, "'constructor' or a function");
      return;
    }
    klen = strlen(r->name) + strlen(name) + 16;
    key = weft__wit_alloc(p->c, klen);
    abi = weft__wit_alloc(p->c, klen);
    if (!key || !abi) {
      nomem(p);
      return;
    }
    if (kind == WEFT__WIT_CONSTRUCTOR) {
      snprintf(key, klen, "[constructor]%s", r->name);
      snprintf(abi, klen, "[constructor]%s", r->name);
    } else {
      snprintf(key, klen, "[res]%s.%s", r->name, name);
      snprintf(abi, klen, "[%s]%s.%s",
               kind == WEFT__WIT_STATIC ? "static" : "method", r->name, name);
    }
    f = new_func(p, kind, name, docs, line, col);
    if (!f)
      return;
    f->abi_name = abi;
    f->resource = r;
    if (WIT_PUSH(p->c, r->funcs, r->nfuncs, f)) {
      nomem(p);
      return;
    }
    if (kind == WEFT__WIT_METHOD) {
      weft__wit_member_t self;
      weft__wit_type_t *b = new_type(p, WEFT__WIT_BORROW, line, col);
      if (!b || members(p, b, 1))
        return;
      b->m[0].type = r;
      memset(&self, 0, sizeof self);
      self.name = "self";
      self.type = b;
      self.line = line;
      self.col = col;
      if (WIT_PUSH(p->c, f->params, f->nparams, self)) {
        nomem(p);
        return;
      }
    }
    if (kind == WEFT__WIT_CONSTRUCTOR) {
      if (parse_named_list(p, &f->params, &f->nparams))
        return;
      f->results = weft__wit_alloc(p->c, sizeof *f->results);
      if (!f->results) {
        nomem(p);
        return;
      }
      f->nresults = 1;
      if (eat(p, T_ARROW)) {
        f->results[0].line = p->tok.line;
        f->results[0].col = p->tok.col;
        if (!(f->results[0].type = parse_type(p, true)))
          return;
      } else {
        weft__wit_type_t *o = new_type(p, WEFT__WIT_OWN, line, col);
        if (!o || members(p, o, 1))
          return;
        o->m[0].type = r;
        f->results[0].type = o;
        f->results[0].line = line;
        f->results[0].col = col;
        f->implicit_result = true;
      }
    } else if (parse_functype(p, f)) {
      return;
    }
    if (expect(p, T_SEMI))
      return;
    {
      int rc = weft__wit_map_put(p->c, &s->map, key, WIT_ENT_FUNC, f, NULL);
      if (rc < 0)
        nomem(p);
      else if (rc > 0)
        fail_at(p, line, col, WEFT_EINVALID,
                "'%s' is defined twice in resource '%s'", name, r->name);
    }
  }
}

/* `{ a, b(T), ... }` of records, variants, enums and flags into t. */
static void parse_cases(parser_t *p, weft__wit_type_t *t, const char *what) {
  wit_map_t seen;
  memset(&seen, 0, sizeof seen);
  if (expect(p, T_LBRACE))
    return;
  while (!at(p, T_RBRACE) && !failed(p)) {
    weft__wit_member_t m;
    memset(&m, 0, sizeof m);
    m.docs = p->tok.docs;
    m.line = p->tok.line;
    m.col = p->tok.col;
    if (!(m.name = take_id(p)))
      return;
    if (t->kind == WEFT__WIT_RECORD) {
      if (expect(p, T_COLON) || !(m.type = parse_type(p, true)))
        return;
    } else if (t->kind == WEFT__WIT_VARIANT && eat(p, T_LPAREN)) {
      if (!(m.type = parse_type(p, true)) || expect(p, T_RPAREN))
        return;
    }
    declare(p, &seen, m.name, m.name, WIT_ENT_TYPE, NULL, m.line, m.col);
    if (failed(p))
      return;
    if (WIT_PUSH(p->c, t->m, t->n, m)) {
      nomem(p);
      return;
    }
    if (!eat(p, T_COMMA))
      break;
  }
  if (!failed(p) && at(p, T_RBRACE) && t->n == 0)
    FAIL_TOK(p, "%s '%s' needs at least one %s",
             weft__wit_kind_name(t->kind), t->name, what);
  else if (!failed(p) && t->kind == WEFT__WIT_FLAGS && t->n > 32)
    fail_at(p, t->line, t->col, WEFT_EINVALID,
            "flags '%s' has more than 32 flags", t->name);
  expect(p, T_RBRACE);
}

/* A type definition (record, variant, enum, flags, resource, type). */
static void parse_typedef(parser_t *p, const char *docs) {
  tok_kind_t kw = p->tok.kind;
  weft__wit_type_t *t;
  int line, col;
  next(p);
  line = p->tok.line;
  col = p->tok.col;
  t = new_type(p, WEFT__WIT_ALIAS, line, col);
  if (!t || !(t->name = take_id(p)))
    return;
  switch (kw) {
  case K_TYPE:
    if (expect(p, T_EQ) || members(p, t, 1) ||
        !(t->m[0].type = parse_type(p, false)) || expect(p, T_SEMI))
      return;
    add_named(p, t, docs);
    return;
  case K_RECORD:
    t->kind = WEFT__WIT_RECORD;
    parse_cases(p, t, "field");
    break;
  case K_VARIANT:
    t->kind = WEFT__WIT_VARIANT;
    parse_cases(p, t, "case");
    break;
  case K_ENUM:
    t->kind = WEFT__WIT_ENUM;
    parse_cases(p, t, "case");
    break;
  case K_FLAGS:
    t->kind = WEFT__WIT_FLAGS;
    parse_cases(p, t, "flag");
    break;
  default:
    t->kind = WEFT__WIT_RESOURCE;
    add_named(p, t, docs);
    if (eat(p, T_SEMI) || failed(p))
      return;
    if (expect(p, T_LBRACE))
      return;
    parse_resource_body(p, t);
    expect(p, T_RBRACE);
    return;
  }
  if (!failed(p))
    add_named(p, t, docs);
}

/* A use-path: `name` or `ns:pkg/name[@version]`. */
static int parse_path(parser_t *p, wit_path_t *path) {
  char *first;
  memset(path, 0, sizeof *path);
  path->file = p->file;
  path->line = p->tok.line;
  path->col = p->tok.col;
  if (!(first = take_id(p)))
    return -1;
  if (!eat(p, T_COLON)) {
    path->name = first;
    return 0;
  }
  path->ns = first;
  if (!(path->pkg = take_id(p)))
    return -1;
  if (at(p, T_COLON)) {
    FAIL_TOK(p, "nested namespaces are not supported");
    return -1;
  }
  if (at(p, T_SEMI) || at(p, T_DOT)) {
    FAIL_TOK(p, "expected '/' and an interface name after '%s:%s'",
             path->ns, path->pkg);
    return -1;
  }
  if (expect(p, T_SLASH) || !(path->name = take_id(p)))
    return -1;
  if (at(p, T_SLASH)) {
    FAIL_TOK(p, "nested packages are not supported");
    return -1;
  }
  if (eat(p, T_AT) && !(path->version = take_version(p)))
    return -1;
  return 0;
}

/* `use path.{a, b as c};` inside an interface or a world. */
static void parse_use(parser_t *p, const char *docs) {
  wit_path_t path;
  next(p);
  if (parse_path(p, &path) || expect(p, T_DOT) || expect(p, T_LBRACE))
    return;
  do {
    int line = p->tok.line, col = p->tok.col;
    weft__wit_type_t *t = new_type(p, WEFT__WIT_ALIAS, line, col);
    wit_ref_t *r = weft__wit_alloc(p->c, sizeof *r);
    const char *d = p->tok.docs ? p->tok.docs : docs;
    if (!t || !r) {
      nomem(p);
      return;
    }
    if (!(t->use_name = take_id(p)))
      return;
    t->name = t->use_name;
    if (eat(p, K_AS)) {
      line = t->line = p->tok.line;
      col = t->col = p->tok.col;
      if (!(t->name = take_id(p)))
        return;
    }
    if (members(p, t, 1))
      return;
    r->path = path;
    t->priv_ = r;
    t->flags_ = WIT_F_USE;
    add_named(p, t, d);
    docs = NULL;
  } while (eat(p, T_COMMA) && !at(p, T_RBRACE));
  if (!expect(p, T_RBRACE))
    expect(p, T_SEMI);
}

/* A new interface named `name` whose body comes next. */
static weft__wit_iface_t *new_iface(parser_t *p, const char *name,
                                    const char *docs, int line, int col) {
  weft__wit_iface_t *i = weft__wit_alloc(p->c, sizeof *i);
  wit_iface_priv_t *ip = weft__wit_alloc(p->c, sizeof *ip);
  if (!i || !ip || WIT_PUSH(p->c, p->c->ifaces, p->c->nifaces, i)) {
    nomem(p);
    return NULL;
  }
  i->name = name;
  i->docs = docs;
  i->file = p->file;
  i->line = line;
  i->col = col;
  i->priv_ = ip;
  ip->scope.unit = p->unit;
  ip->scope.iface = i;
  return i;
}

/* `{ items }` of an interface. */
static void parse_iface_body(parser_t *p, weft__wit_iface_t *iface) {
  wit_scope_t *outer = p->scope;
  p->scope = &((wit_iface_priv_t *)iface->priv_)->scope;
  if (expect(p, T_LBRACE))
    goto out;
  while (!at(p, T_RBRACE) && !failed(p)) {
    const char *docs = p->tok.docs;
    skip_gates(p);
    docs = docs ? docs : p->tok.docs;
    if (keyword_as_name(p))
      goto out;
    switch (p->tok.kind) {
    case K_USE:
      parse_use(p, docs);
      break;
    case K_TYPE:
    case K_RECORD:
    case K_VARIANT:
    case K_ENUM:
    case K_FLAGS:
    case K_RESOURCE:
      parse_typedef(p, docs);
      break;
    case T_ID: {
      int line = p->tok.line, col = p->tok.col;
      char *name = take_id(p);
      weft__wit_func_t *f;
      if (!name || expect(p, T_COLON))
        goto out;
      f = new_func(p, WEFT__WIT_FREESTANDING, name, docs, line, col);
      if (!f || parse_functype(p, f) || expect(p, T_SEMI))
        goto out;
      declare(p, &p->scope->map, name, name, WIT_ENT_FUNC, f, line, col);
      break;
    }
    default:
      expected(p, "a type, a function or 'use'");
      goto out;
    }
  }
  expect(p, T_RBRACE);
out:
  p->scope = outer;
}

/* `interface name { ... }` at the top of a unit. */
static void parse_interface(parser_t *p, const char *docs) {
  int line, col;
  char *name;
  weft__wit_iface_t *iface;
  next(p);
  line = p->tok.line;
  col = p->tok.col;
  if (!(name = take_id(p)))
    return;
  iface = new_iface(p, name, docs, line, col);
  if (!iface || WIT_PUSH(p->c, p->unit->ifaces, p->unit->nifaces, iface)) {
    nomem(p);
    return;
  }
  parse_iface_body(p, iface);
}

/* After `import` or `export`: `name: func...;`, `name: interface {...}`,
 * `path;`. */
static void parse_extern(parser_t *p, weft__wit_world_t *world,
                         wit_wstmt_t *st) {
  int line = p->tok.line, col = p->tok.col;
  char *first = take_id(p);
  if (!first)
    return;
  st->line = line;
  st->col = col;
  if (!eat(p, T_COLON)) {
    st->has_path = true;
    st->path.file = p->file;
    st->path.line = line;
    st->path.col = col;
    st->path.name = first;
    expect(p, T_SEMI);
    return;
  }
  if (at(p, K_FUNC) || at(p, K_ASYNC)) {
    st->name = first;
    st->func = new_func(p, WEFT__WIT_FREESTANDING, first, st->docs, line,
                        col);
    if (st->func && !parse_functype(p, st->func))
      expect(p, T_SEMI);
  } else if (eat(p, K_INTERFACE)) {
    st->name = first;
    st->iface = new_iface(p, first, st->docs, line, col);
    if (!st->iface)
      return;
    st->iface->world = world;
    parse_iface_body(p, st->iface);
    eat(p, T_SEMI);
  } else if (at(p, T_ID)) {
    st->has_path = true;
    st->path.file = p->file;
    st->path.line = line;
    st->path.col = col;
    st->path.ns = first;
    if (!(st->path.pkg = take_id(p)))
      return;
    if (at(p, T_COLON)) {
      FAIL_TOK(p, "nested namespaces are not supported");
      return;
    }
    if (at(p, T_SEMI)) {
      FAIL_TOK(p, "expected '/' and an interface name after '%s:%s'",
               st->path.ns, st->path.pkg);
      return;
    }
    if (expect(p, T_SLASH) || !(st->path.name = take_id(p)))
      return;
    if (at(p, T_SLASH)) {
      FAIL_TOK(p, "nested packages are not supported");
      return;
    }
    if (eat(p, T_AT) && !(st->path.version = take_version(p)))
      return;
    expect(p, T_SEMI);
  } else {
    expected(p, "'func', 'interface' or a package name");
  }
}

/* `include path [with { a as b, ... }];` */
static void parse_include(parser_t *p, wit_wstmt_t *st) {
  next(p);
  st->has_path = true;
  if (parse_path(p, &st->path))
    return;
  if (!eat(p, K_WITH)) {
    expect(p, T_SEMI);
    return;
  }
  if (expect(p, T_LBRACE))
    return;
  while (!at(p, T_RBRACE) && !failed(p)) {
    wit_rename_t r;
    r.line = p->tok.line;
    r.col = p->tok.col;
    if (!(r.from = take_id(p)) || expect(p, K_AS) || !(r.to = take_id(p)))
      return;
    if (WIT_PUSH(p->c, st->renames, st->nrenames, r)) {
      nomem(p);
      return;
    }
    if (!eat(p, T_COMMA))
      break;
  }
  if (!expect(p, T_RBRACE))
    eat(p, T_SEMI);
}

/* `world name { ... }`. */
static void parse_world(parser_t *p, const char *docs) {
  int line, col;
  char *name;
  weft__wit_world_t *w;
  wit_world_priv_t *wp;
  wit_scope_t *outer = p->scope;
  next(p);
  line = p->tok.line;
  col = p->tok.col;
  if (!(name = take_id(p)))
    return;
  w = weft__wit_alloc(p->c, sizeof *w);
  wp = weft__wit_alloc(p->c, sizeof *wp);
  if (!w || !wp || WIT_PUSH(p->c, p->c->worlds, p->c->nworlds, w) ||
      WIT_PUSH(p->c, p->unit->worlds, p->unit->nworlds, w)) {
    nomem(p);
    return;
  }
  w->name = name;
  w->docs = docs;
  w->file = p->file;
  w->line = line;
  w->col = col;
  w->priv_ = wp;
  wp->scope.unit = p->unit;
  wp->scope.world = w;
  p->scope = &wp->scope;
  if (expect(p, T_LBRACE))
    goto out;
  while (!at(p, T_RBRACE) && !failed(p)) {
    const char *d = p->tok.docs;
    wit_wstmt_t st;
    skip_gates(p);
    d = d ? d : p->tok.docs;
    memset(&st, 0, sizeof st);
    st.docs = d;
    st.file = p->file;
    st.line = p->tok.line;
    st.col = p->tok.col;
    switch (p->tok.kind) {
    case K_IMPORT:
    case K_EXPORT:
      st.kind = at(p, K_IMPORT) ? WS_IMPORT : WS_EXPORT;
      next(p);
      parse_extern(p, w, &st);
      break;
    case K_INCLUDE:
      st.kind = WS_INCLUDE;
      parse_include(p, &st);
      break;
    case K_USE:
      parse_use(p, d);
      continue;
    case K_TYPE:
    case K_RECORD:
    case K_VARIANT:
    case K_ENUM:
    case K_FLAGS:
    case K_RESOURCE:
      parse_typedef(p, d);
      continue;
    default:
      expected(p, "'import', 'export', 'include', 'use' or a type");
      goto out;
    }
    if (failed(p))
      goto out;
    if (WIT_PUSH(p->c, wp->stmts, wp->nstmts, st)) {
      nomem(p);
      goto out;
    }
  }
  expect(p, T_RBRACE);
out:
  p->scope = outer;
}

/* `package ns:name[@version]` after the keyword, into u. */
static int parse_pkgname(parser_t *p, wit_unit_t *u) {
  u->line = p->tok.line;
  u->col = p->tok.col;
  if (!(u->ns = take_id(p)) || expect(p, T_COLON) ||
      !(u->name = take_id(p)))
    return -1;
  if (at(p, T_COLON) || at(p, T_SLASH)) {
    FAIL_TOK(p, "nested namespaces and packages are not supported");
    return -1;
  }
  if (eat(p, T_AT) && !(u->version = take_version(p)))
    return -1;
  u->has_decl = true;
  return 0;
}

/* `use path [as name];` at the top of a unit. */
static void parse_toplevel_use(parser_t *p) {
  wit_tluse_t *u = weft__wit_alloc(p->c, sizeof *u);
  int rc;
  if (!u) {
    nomem(p);
    return;
  }
  next(p);
  if (parse_path(p, &u->path))
    return;
  u->as = u->path.name;
  u->line = u->path.line;
  u->col = u->path.col;
  if (eat(p, K_AS)) {
    u->line = p->tok.line;
    u->col = p->tok.col;
    if (!(u->as = take_id(p)))
      return;
  }
  if (expect(p, T_SEMI))
    return;
  if (WIT_PUSH(p->c, p->unit->uses, p->unit->nuses, u)) {
    nomem(p);
    return;
  }
  rc = weft__wit_map_put(p->c, &p->unit->use_map, u->as, WIT_ENT_USE, u,
                         NULL);
  if (rc < 0)
    nomem(p);
  else if (rc > 0)
    fail_at(p, u->line, u->col, WEFT_EINVALID, "'%s' is defined twice",
            u->as);
}

/* Items of a unit until '}' (nested) or the end of the file. */
static void parse_items(parser_t *p, bool nested) {
  while (!failed(p) && !at(p, T_EOF) && !(nested && at(p, T_RBRACE))) {
    const char *docs = p->tok.docs;
    skip_gates(p);
    docs = docs ? docs : p->tok.docs;
    switch (p->tok.kind) {
    case K_USE:
      parse_toplevel_use(p);
      break;
    case K_INTERFACE:
      parse_interface(p, docs);
      break;
    case K_WORLD:
      parse_world(p, docs);
      break;
    case K_PACKAGE: {
      wit_unit_t *outer = p->unit, *u;
      if (nested) {
        FAIL_TOK(p, "packages cannot nest");
        return;
      }
      next(p);
      if (!(u = new_unit(p, true)) || parse_pkgname(p, u))
        return;
      if (at(p, T_SEMI)) {
        FAIL_TOK(p, "the package declaration must come first in the file");
        return;
      }
      u->docs = docs;
      if (expect(p, T_LBRACE))
        return;
      p->unit = u;
      parse_items(p, true);
      p->unit = outer;
      if (expect(p, T_RBRACE))
        return;
      break;
    }
    default:
      expected(p, "'interface', 'world', 'use' or 'package'");
      return;
    }
  }
}

int weft__wit_parse_file(wit_ctx_t *c, unsigned group, const char *file,
                         const char *text, size_t len) {
  parser_t p;
  memset(&p, 0, sizeof p);
  p.c = c;
  p.file = file;
  p.group = group;
  p.src = (const unsigned char *)text;
  p.len = len;
  p.line = 1;
  p.col_val = 1;
  weft__buf_init(&p.docs);
  if (len > WIT_MAX_FILE)
    return weft__wit_fail(c, WEFT_ELIMIT, file, 1, 1,
                          "file larger than 1 GiB");
  check_text(&p);
  if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
    p.pos = p.line_start = 3;
  if (!failed(&p) && (p.unit = new_unit(&p, false)) != NULL) {
    next(&p);
    if (at(&p, K_PACKAGE)) {
      const char *docs = p.tok.docs;
      next(&p);
      if (!parse_pkgname(&p, p.unit)) {
        p.unit->docs = docs;
        if (at(&p, T_LBRACE)) {
          /* No header: the file starts with a nested package. */
          wit_unit_t *u = p.unit;
          u->has_decl = false;
          p.unit = new_unit(&p, true);
          if (p.unit) {
            p.unit->has_decl = true;
            p.unit->ns = u->ns;
            p.unit->name = u->name;
            p.unit->version = u->version;
            p.unit->line = u->line;
            p.unit->col = u->col;
            p.unit->docs = docs;
            u->ns = u->name = u->version = NULL;
            u->docs = NULL;
            next(&p);
            parse_items(&p, true);
            p.unit = u;
            expect(&p, T_RBRACE);
          }
        } else {
          expect(&p, T_SEMI);
        }
      }
    }
    parse_items(&p, false);
  }
  weft__buf_release(&p.docs);
  return c->rc;
}

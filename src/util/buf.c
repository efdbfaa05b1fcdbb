/* buf.c - growable byte buffers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

void weft__buf_init(weft__buf_t *b) { memset(b, 0, sizeof *b); }

void weft__buf_release(weft__buf_t *b) {
  free(b->data);
  weft__buf_init(b);
}

static int grow(weft__buf_t *b, size_t extra) {
  size_t need = b->len + extra + 1;
  if (need <= b->cap)
    return 0;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < need)
    cap *= 2;
  char *p = realloc(b->data, cap);
  if (!p)
    return WEFT_ENOMEM;
  b->data = p;
  b->cap = cap;
  return 0;
}

int weft__buf_add(weft__buf_t *b, const void *data, size_t len) {
  if (grow(b, len))
    return WEFT_ENOMEM;
  if (len)
    memcpy(b->data + b->len, data, len);
  b->len += len;
  b->data[b->len] = 0;
  return 0;
}

int weft__buf_puts(weft__buf_t *b, const char *s) {
  return weft__buf_add(b, s, strlen(s));
}

int weft__buf_vprintf(weft__buf_t *b, const char *fmt, va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  if (n < 0 || grow(b, (size_t)n))
    return WEFT_ENOMEM;
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  b->len += (size_t)n;
  return 0;
}

int weft__buf_printf(weft__buf_t *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int rc = weft__buf_vprintf(b, fmt, ap);
  va_end(ap);
  return rc;
}

char *weft__strdup(const char *s) { return s ? strdup(s) : NULL; }

bool weft__str_in(const char *const *v, size_t n, const char *s) {
  for (size_t i = 0; i < n; i++)
    if (!strcmp(v[i], s))
      return true;
  return false;
}

char *weft__strndup(const char *s, size_t n) {
  char *p = malloc(n + 1);
  if (!p)
    return NULL;
  memcpy(p, s, n);
  p[n] = 0;
  return p;
}

/* See util.h. */
char *weft__str_show(const char *s, size_t len, char *dst, size_t cap) {
  size_t o = 0, i;
  for (i = 0; i < len; i++) {
    unsigned char ch = (unsigned char)s[i];
    size_t need = ch < 0x20 || ch == 0x7f ? 4 : 1;
    if (o + need + 4 > cap) {
      /* Cut at a character boundary, then mark the cut. */
      while (o > 0 && ((unsigned char)dst[o - 1] & 0xc0) == 0x80)
        o--;
      if (o > 0 && ((unsigned char)dst[o - 1] & 0xc0) == 0xc0)
        o--;
      memcpy(dst + o, "...", 3);
      o += 3;
      break;
    }
    if (need == 4)
      o += (size_t)snprintf(dst + o, cap - o, "\\x%02x", ch);
    else
      dst[o++] = (char)ch;
  }
  dst[o] = 0;
  return dst;
}

/* codec.h - the byte-level encoding every unit structure shares: big-endian
 * fixed-width integers and u32-length-prefixed byte strings, written into a
 * weft__buf_t and read back with bounds checked (docs/unit-format.md). */
#ifndef WEFT_UNIT_CODEC_H
#define WEFT_UNIT_CODEC_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "util/util.h"

static inline int weft__put_u8(weft__buf_t *b, uint8_t v) {
  return weft__buf_add(b, &v, 1);
}

static inline int weft__put_u32(weft__buf_t *b, uint32_t v) {
  uint8_t p[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8),
                  (uint8_t)v};
  return weft__buf_add(b, p, 4);
}

static inline int weft__put_u64(weft__buf_t *b, uint64_t v) {
  uint8_t p[8];
  for (int i = 0; i < 8; i++)
    p[i] = (uint8_t)(v >> (56 - 8 * i));
  return weft__buf_add(b, p, 8);
}

/* A u32 length, then the bytes. */
static inline int weft__put_bytes(weft__buf_t *b, const void *p, size_t n) {
  if (n > UINT32_MAX)
    return WEFT_EINVAL;
  if (weft__put_u32(b, (uint32_t)n))
    return WEFT_ENOMEM;
  return n ? weft__buf_add(b, p, n) : 0;
}

/* A reader over [p, end): every get fails (returns false) past the end and
 * leaves the reader failed. */
typedef struct weft__rd {
  const uint8_t *p, *end;
  bool bad;
} weft__rd_t;

static inline bool weft__get_raw(weft__rd_t *r, void *out, size_t n) {
  if (r->bad || (size_t)(r->end - r->p) < n)
    return !(r->bad = true);
  if (n)
    memcpy(out, r->p, n);
  r->p += n;
  return true;
}

static inline bool weft__get_u8(weft__rd_t *r, uint8_t *v) {
  return weft__get_raw(r, v, 1);
}

static inline bool weft__get_u32(weft__rd_t *r, uint32_t *v) {
  uint8_t p[4];
  if (!weft__get_raw(r, p, 4))
    return false;
  *v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
       p[3];
  return true;
}

static inline bool weft__get_u64(weft__rd_t *r, uint64_t *v) {
  uint8_t p[8];
  if (!weft__get_raw(r, p, 8))
    return false;
  *v = 0;
  for (int i = 0; i < 8; i++)
    *v = *v << 8 | p[i];
  return true;
}

/* A length-prefixed byte string, borrowed from the input. */
static inline bool weft__get_bytes(weft__rd_t *r, const uint8_t **p,
                                   size_t *n) {
  uint32_t len;
  if (!weft__get_u32(r, &len))
    return false;
  if ((size_t)(r->end - r->p) < len)
    return !(r->bad = true);
  *p = r->p;
  *n = len;
  r->p += len;
  return true;
}

/* A length-prefixed text: a malloc'd NUL-terminated copy, or NULL when it
 * holds a NUL, is not UTF-8, or the input ends (or memory does). */
static inline char *weft__get_text(weft__rd_t *r) {
  const uint8_t *p;
  size_t n;
  if (!weft__get_bytes(r, &p, &n) || memchr(p, 0, n) ||
      weft__utf8_check(p, n) != n)
    return NULL;
  return weft__strndup((const char *)p, n);
}

#endif

/* utf8.c - strict UTF-8 decoding, shared by every reader of text: the
 * wasm binary reader's names, TOML and WIT. */
#include "util/util.h"

size_t weft__utf8_decode(const uint8_t *s, size_t len, uint32_t *cp) {
  if (!len)
    return 0;
  unsigned c = s[0];
  size_t n;
  uint32_t v;
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  if (c >= 0xc2 && c <= 0xdf)
    n = 2, v = c & 0x1f;
  else if (c >= 0xe0 && c <= 0xef)
    n = 3, v = c & 0x0f;
  else if (c >= 0xf0 && c <= 0xf4)
    n = 4, v = c & 0x07;
  else
    return 0;
  if (len < n)
    return 0;
  for (size_t k = 1; k < n; k++) {
    if ((s[k] & 0xc0) != 0x80)
      return 0;
    v = (v << 6) | (s[k] & 0x3f);
  }
  if ((n == 3 && v < 0x800) || (n == 4 && v < 0x10000) ||
      !weft__is_scalar(v))
    return 0;
  *cp = v;
  return n;
}

size_t weft__utf8_check(const uint8_t *s, size_t len) {
  size_t i = 0;
  uint32_t cp;
  while (i < len) {
    size_t n = weft__utf8_decode(s + i, len - i, &cp);
    if (!n)
      return i;
    i += n;
  }
  return len;
}

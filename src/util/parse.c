/* parse.c - the duration and size arguments every command and trigger
 * takes, hex digits and percent escapes (util.h). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

int weft__parse_duration(const char *s, uint64_t *ns) {
  char *end;
  double v = strtod(s, &end);
  if (end == s || !isfinite(v) || v < 0)
    return -1;
  double mul = 1e9;
  if (!strcmp(end, "ms"))
    mul = 1e6;
  else if (!strcmp(end, "us"))
    mul = 1e3;
  else if (!strcmp(end, "ns"))
    mul = 1;
  else if (!strcmp(end, "m"))
    mul = 60e9;
  else if (!strcmp(end, "h"))
    mul = 3600e9;
  else if (*end && strcmp(end, "s"))
    return -1;
  /* Past UINT64_MAX ns (584 years) the cast would be undefined. */
  if (v * mul >= 18446744073709551615.0)
    return -1;
  *ns = (uint64_t)(v * mul);
  return 0;
}

int weft__parse_size(const char *s, uint64_t *bytes) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (end == s || *s == '-' || errno == ERANGE)
    return -1;
  uint64_t mul = 1;
  if (!strcmp(end, "KiB") || !strcmp(end, "K") || !strcmp(end, "k"))
    mul = 1ull << 10;
  else if (!strcmp(end, "MiB") || !strcmp(end, "M"))
    mul = 1ull << 20;
  else if (!strcmp(end, "GiB") || !strcmp(end, "G"))
    mul = 1ull << 30;
  else if (*end && strcmp(end, "B"))
    return -1;
  if (v > UINT64_MAX / mul)
    return -1;
  *bytes = (uint64_t)v * mul;
  return 0;
}

int weft__hex_digit(int c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

int weft__percent_decode(const char *s, size_t n, char *out) {
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] != '%') {
      out[o++] = s[i];
      continue;
    }
    int hi = i + 2 < n ? weft__hex_digit((unsigned char)s[i + 1]) : -1;
    int lo = i + 2 < n ? weft__hex_digit((unsigned char)s[i + 2]) : -1;
    if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
      return -1;
    out[o++] = (char)(hi * 16 + lo);
    i += 2;
  }
  out[o] = 0;
  return 0;
}

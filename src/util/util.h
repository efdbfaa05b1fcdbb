/* util.h - small helpers shared by every module: errors, buffers, files. */
#ifndef WEFT_UTIL_H
#define WEFT_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "weft.h"

/* Unit-test builds make file-local functions reachable. */
#ifdef WEFT_UNIT_TEST
#define WEFT_STATIC
#else
#define WEFT_STATIC static
#endif

/* Defensive checks that should never fire (see sqlite's ALWAYS/NEVER). */
#define ALWAYS(x) (__builtin_expect(!!(x), 1))
#define NEVER(x) (__builtin_expect(!!(x), 0))

/* Fill `err` (may be NULL) and return `code`. Messages are lowercase, have
 * no final full stop and quote their subject: cannot open 'app.toml'. */
int weft__error(weft_error_t *err, int code, const char *file, int line,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));
#define WEFT_ERR(err, code, ...) \
  weft__error((err), (code), __FILE__, __LINE__, __VA_ARGS__)

/* A growable byte buffer. Always NUL-terminated when non-empty. */
typedef struct weft__buf {
  char *data;
  size_t len, cap;
} weft__buf_t;

void weft__buf_init(weft__buf_t *b);
void weft__buf_release(weft__buf_t *b);
/* Each returns 0 or WEFT_ENOMEM. */
int weft__buf_add(weft__buf_t *b, const void *data, size_t len);
int weft__buf_puts(weft__buf_t *b, const char *s);
int weft__buf_printf(weft__buf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int weft__buf_vprintf(weft__buf_t *b, const char *fmt, va_list ap);

/* Read a whole file into *out (caller frees). */
int weft__read_file(const char *path, uint8_t **out, size_t *len,
                    weft_error_t *err);
/* Write `len` bytes to `path` atomically: temp file in the same directory,
 * fsync, rename, fsync of the directory. A path that exists and is not a
 * regular file (/dev/null, a FIFO) is written in place, never replaced. */
int weft__write_file_atomic(const char *path, const void *data, size_t len,
                            weft_error_t *err);
/* mkdir -p. */
int weft__mkdirs(const char *path, weft_error_t *err);
/* Remove `path` and, if it is a directory, everything below it (links
 * are removed, not followed). 0 when it is gone or was never there, -1
 * with errno otherwise. */
int weft__rm_rf(const char *path);
/* "5s", "250ms", "1m", "1h", "100us", "10ns" or plain seconds; -1 when
 * malformed. */
int weft__parse_duration(const char *s, uint64_t *ns);
/* "256MiB", "1GiB", "64KiB" (or M, G, K), "4096" bytes; -1 when
 * malformed. */
int weft__parse_size(const char *s, uint64_t *bytes);
/* Monotonic clock in nanoseconds. */
uint64_t weft__now_ns(void);
/* The value of hex digit `c` (either case), or -1. */
int weft__hex_digit(int c);
/* Percent-decode s[0..n) into out (room for n + 1 bytes), NUL-terminated;
 * -1 when a %XX is broken or is %00 (a NUL a C string cannot hold). */
int weft__percent_decode(const char *s, size_t n, char *out);
/* Hex-encoded SHA-256 of data into out[65]. */
void weft__sha256_hex(const void *data, size_t len, char out[65]);
/* A Unicode scalar value: at most U+10FFFF and not a surrogate. */
static inline int weft__is_scalar(uint32_t c) {
  return c <= 0x10ffff && !(c >= 0xd800 && c <= 0xdfff);
}
/* Decode one UTF-8 sequence at s (len bytes left) into *cp; returns its
 * length, or 0 when it is not well-formed (overlong, surrogate, above
 * U+10FFFF, truncated). */
size_t weft__utf8_decode(const uint8_t *s, size_t len, uint32_t *cp);
/* Offset of the first ill-formed byte of s[0..len), or len if none. */
size_t weft__utf8_check(const uint8_t *s, size_t len);
/* strdup that returns NULL on failure; xstrndup likewise. */
char *weft__strdup(const char *s);
char *weft__strndup(const char *s, size_t n);
/* Write `s` (len bytes) into dst[cap] for a message: control characters
 * escaped as \xNN, cut at a character boundary with "..." if too long.
 * Returns dst. */
char *weft__str_show(const char *s, size_t len, char *dst, size_t cap);
/* Whether `s` is one of the `n` strings of `v`. */
bool weft__str_in(const char *const *v, size_t n, const char *s);

#include "util/banned.h"

#endif

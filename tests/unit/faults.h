/* faults.h - fault injection for unit tests of code that allocates.
 *
 * Without a sanitizer that owns malloc, a test that includes this header
 * replaces glibc's malloc family (as glibc allows) to fail the Nth
 * allocation and to count live blocks: set fail_countdown to N (-1: never
 * fail), run the code, then check fault_hit and live_blocks. The
 * replacements are exported (the build uses -fvisibility=hidden) so that
 * libc's own strdup uses them too. FAULTS is defined when they are in
 * effect. Include it once per test program, after <stdbool.h>. */
#ifndef WEFT_TESTS_UNIT_FAULTS_H
#define WEFT_TESTS_UNIT_FAULTS_H

#include <stdbool.h>
#include <stddef.h>

#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__) && \
    !defined(__SANITIZE_THREAD__)
#define FAULTS 1
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#undef FAULTS
#endif
#endif
#endif

#ifdef FAULTS
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);

#define REPLACE __attribute__((visibility("default")))

static long live_blocks;         /* allocated minus freed */
static long fail_countdown = -1; /* allocations left before one fails */
static bool fault_hit;           /* an allocation was failed */

/* True if the current allocation must fail. */
static bool fault_now(void) {
  if (fail_countdown < 0 || fail_countdown-- > 0)
    return false;
  fault_hit = true;
  return true;
}

/* malloc that can be made to fail; counts live blocks. */
REPLACE void *malloc(size_t n) {
  void *p = fault_now() ? NULL : __libc_malloc(n);
  live_blocks += p != NULL;
  return p;
}

/* calloc likewise. */
REPLACE void *calloc(size_t n, size_t size) {
  void *p = fault_now() ? NULL : __libc_calloc(n, size);
  live_blocks += p != NULL;
  return p;
}

/* realloc likewise; a failed realloc keeps the old block. */
REPLACE void *realloc(void *old, size_t n) {
  void *p = fault_now() ? NULL : __libc_realloc(old, n);
  live_blocks += p != NULL && old == NULL;
  return p;
}

/* free, counting. */
REPLACE void free(void *p) {
  live_blocks -= p != NULL;
  __libc_free(p);
}
#endif

#endif

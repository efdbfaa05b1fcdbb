/* parse_test.c - unit tests for the duration and size arguments
 * (src/util/parse.c): units, and values that must be refused rather than
 * wrap around or reach an undefined conversion. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "util/util.h"

static void test_duration(void **state) {
  (void)state;
  uint64_t ns = 0;
  assert_int_equal(weft__parse_duration("5s", &ns), 0);
  assert_true(ns == 5000000000ull);
  assert_int_equal(weft__parse_duration("250ms", &ns), 0);
  assert_true(ns == 250000000ull);
  assert_int_equal(weft__parse_duration("1.5", &ns), 0);
  assert_true(ns == 1500000000ull);
  assert_int_equal(weft__parse_duration("2m", &ns), 0);
  assert_true(ns == 120000000000ull);
  assert_int_equal(weft__parse_duration("10ns", &ns), 0);
  assert_true(ns == 10);
  const char *bad[] = {"", "s", "-1s", "5 s", "5x", "inf", "nan",
                       "1e300s", "600000000h"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    assert_int_equal(weft__parse_duration(bad[i], &ns), -1);
}

static void test_size(void **state) {
  (void)state;
  uint64_t b = 0;
  assert_int_equal(weft__parse_size("4096", &b), 0);
  assert_true(b == 4096);
  assert_int_equal(weft__parse_size("64KiB", &b), 0);
  assert_true(b == 65536);
  assert_int_equal(weft__parse_size("256MiB", &b), 0);
  assert_true(b == 256ull << 20);
  assert_int_equal(weft__parse_size("1G", &b), 0);
  assert_true(b == 1ull << 30);
  assert_int_equal(weft__parse_size("17179869183GiB", &b), 0);
  const char *bad[] = {"", "KiB", "-1", "1TiB", "1 MiB",
                       "17179869184GiB", "99999999999999999999",
                       "18446744073709551616"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    assert_int_equal(weft__parse_size(bad[i], &b), -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_duration),
      cmocka_unit_test(test_size),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

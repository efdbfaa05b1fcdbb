/* flow_json_test.c - sdk/c/include/weft_json.h, the JSON parser flow
 * guests read their config with, built natively: every kind of value,
 * escapes and surrogate pairs, the number grammar and exact integers,
 * duplicate keys, the lookup helpers, and what RFC 8259 refuses (with
 * the line and column of the error), including bad UTF-8 and nesting
 * past the limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../sdk/c/include/weft_json.h"

static weft_json_t *parse_ok(const char *text) {
  char why[128];
  weft_json_t *v = weft_json_parse(text, strlen(text), why, sizeof why);
  if (!v)
    fail_msg("%s: %s", text, why);
  return v;
}

/* `text` is refused with exactly `want`. */
static void parse_bad_n(const char *text, size_t len, const char *want) {
  char why[128] = "unset";
  weft_json_t *v = weft_json_parse(text, len, why, sizeof why);
  if (v) {
    weft_json_free(v);
    fail_msg("%s: accepted", text);
  }
  if (strcmp(why, want))
    fail_msg("%s: '%s', expected '%s'", text, why, want);
}

static void parse_bad(const char *text, const char *want) {
  parse_bad_n(text, strlen(text), want);
}

static void test_values(void **state) {
  (void)state;
  weft_json_t *v = parse_ok(
      " {\"a\": [1, -2.5, true, false, null, \"x\"], \"b\": {}, \"c\": []}\n");
  assert_int_equal(v->type, WEFT_JSON_OBJECT);
  assert_int_equal(v->len, 3);
  const weft_json_t *a = weft_json_get(v, "a");
  assert_int_equal(a->type, WEFT_JSON_ARRAY);
  assert_int_equal(a->len, 6);
  assert_true(weft_json_at(a, 0)->is_int);
  assert_int_equal(weft_json_at(a, 0)->integer, 1);
  assert_false(weft_json_at(a, 1)->is_int);
  assert_true(weft_json_at(a, 1)->number == -2.5);
  assert_int_equal(weft_json_at(a, 2)->type, WEFT_JSON_TRUE);
  assert_int_equal(weft_json_at(a, 3)->type, WEFT_JSON_FALSE);
  assert_int_equal(weft_json_at(a, 4)->type, WEFT_JSON_NULL);
  assert_string_equal(weft_json_at(a, 5)->string, "x");
  assert_null(weft_json_at(a, 6));
  assert_int_equal(weft_json_get(v, "b")->len, 0);
  assert_int_equal(weft_json_get(v, "c")->type, WEFT_JSON_ARRAY);
  assert_null(weft_json_get(v, "d"));
  assert_null(weft_json_get(a, "a")); /* not an object */
  weft_json_free(v);
  /* Any value at the top, with whitespace around it. */
  v = parse_ok("\t\r\n 42 \n");
  assert_int_equal(v->integer, 42);
  weft_json_free(v);
  v = parse_ok("\"top\"");
  assert_string_equal(v->string, "top");
  weft_json_free(v);
}

static void test_strings(void **state) {
  (void)state;
  weft_json_t *v = parse_ok(
      "[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\", \"\\u00e9\\u20AC\", "
      "\"\\ud83d\\ude00\", \"a\\u0000b\", \"caf\xc3\xa9 \xf0\x9f\x98\x80\"]");
  assert_string_equal(weft_json_at(v, 0)->string, "\"\\/\b\f\n\r\t");
  assert_string_equal(weft_json_at(v, 1)->string, "\xc3\xa9\xe2\x82\xac");
  assert_string_equal(weft_json_at(v, 2)->string, "\xf0\x9f\x98\x80");
  assert_int_equal(weft_json_at(v, 3)->len, 3); /* an escaped NUL */
  assert_memory_equal(weft_json_at(v, 3)->string, "a\0b", 3);
  assert_string_equal(weft_json_at(v, 4)->string,
                      "caf\xc3\xa9 \xf0\x9f\x98\x80");
  weft_json_free(v);
  v = parse_ok("{\"k\\u0065y\": 1}"); /* keys are decoded too */
  assert_non_null(weft_json_get(v, "key"));
  weft_json_free(v);
}

static void test_numbers(void **state) {
  (void)state;
  weft_json_t *v = parse_ok(
      "[0, -0, 9223372036854775807, -9223372036854775808, "
      "9223372036854775808, 1e3, 1E-2, 0.5, -1.25e+2]");
  assert_int_equal(weft_json_at(v, 0)->integer, 0);
  assert_true(weft_json_at(v, 1)->is_int);
  assert_int_equal(weft_json_at(v, 2)->integer, INT64_MAX);
  assert_int_equal(weft_json_at(v, 3)->integer, INT64_MIN);
  assert_false(weft_json_at(v, 4)->is_int); /* too large: a double */
  assert_true(weft_json_at(v, 4)->number == 9223372036854775808.0);
  assert_false(weft_json_at(v, 5)->is_int);
  assert_true(weft_json_at(v, 5)->number == 1000.0);
  assert_true(weft_json_at(v, 6)->number == 0.01);
  assert_true(weft_json_at(v, 7)->number == 0.5);
  assert_true(weft_json_at(v, 8)->number == -125.0);
  weft_json_free(v);
}

static void test_helpers(void **state) {
  (void)state;
  weft_json_t *v = parse_ok("{\"max_per_second\": 10, \"window_ms\": 1000, "
                            "\"name\": \"rl\", \"on\": true, \"x\": 1.5, "
                            "\"max_per_second\": 99}");
  int64_t i = 0;
  double d = 0;
  bool b = false;
  /* Duplicates are kept; lookups find the first. */
  assert_int_equal(v->len, 6);
  assert_true(weft_json_get_i64(v, "max_per_second", &i));
  assert_int_equal(i, 10);
  assert_true(weft_json_get_i64(v, "window_ms", &i));
  assert_int_equal(i, 1000);
  assert_false(weft_json_get_i64(v, "x", &i)); /* not an integer */
  assert_true(weft_json_get_number(v, "x", &d));
  assert_true(d == 1.5);
  assert_false(weft_json_get_i64(v, "name", &i));
  assert_string_equal(weft_json_get_string(v, "name"), "rl");
  assert_null(weft_json_get_string(v, "on"));
  assert_true(weft_json_get_bool(v, "on", &b));
  assert_true(b);
  assert_false(weft_json_get_bool(v, "missing", &b));
  assert_false(weft_json_get_i64(NULL, "x", &i));
  weft_json_free(v);
}

static void test_refused(void **state) {
  (void)state;
  parse_bad("", "line 1, column 1: expected a value");
  parse_bad("   ", "line 1, column 4: expected a value");
  parse_bad("{\"a\": 1,}", "line 1, column 9: expected a string key");
  parse_bad("[1, 2,]", "line 1, column 7: expected a value");
  parse_bad("[1 2]", "line 1, column 4: expected ',' or ']'");
  parse_bad("{\"a\" 1}", "line 1, column 6: expected ':'");
  parse_bad("{\"a\": 1\n \"b\": 2}", "line 2, column 2: expected ',' or '}'");
  parse_bad("{a: 1}", "line 1, column 2: expected a string key");
  parse_bad("01", "line 1, column 2: unexpected text after the value");
  parse_bad("1.", "line 1, column 3: expected a digit after '.'");
  parse_bad(".5", "line 1, column 1: expected a value");
  parse_bad("-", "line 1, column 2: expected a digit");
  parse_bad("1e", "line 1, column 3: expected a digit in the exponent");
  parse_bad("+1", "line 1, column 1: expected a value");
  parse_bad("0x10", "line 1, column 2: unexpected text after the value");
  parse_bad("NaN", "line 1, column 1: expected a value");
  parse_bad("tru", "line 1, column 1: expected a value");
  parse_bad("nulls", "line 1, column 5: unexpected text after the value");
  parse_bad("\"abc", "line 1, column 5: unterminated string");
  parse_bad("\"a\tb\"", "line 1, column 3: control character in a string");
  parse_bad("\"\\x\"", "line 1, column 2: bad escape in a string");
  parse_bad("\"\\u12G4\"", "line 1, column 4: bad \\u escape");
  parse_bad("\"\\ud83d\"",
            "line 1, column 8: high surrogate without its low half");
  parse_bad("\"\\ude00\"",
            "line 1, column 8: lone low surrogate in \\u escape");
  parse_bad("\"\xc3\"", "line 1, column 2: invalid UTF-8");
  parse_bad("\"\xc0\xaf\"", "line 1, column 2: invalid UTF-8"); /* overlong */
  parse_bad("\"\xed\xa0\x80\"", "line 1, column 2: invalid UTF-8");
  parse_bad("[1] [2]", "line 1, column 5: unexpected text after the value");
  parse_bad_n("1\0", 2, "line 1, column 2: unexpected text after the value");
  /* Nesting up to the limit is fine; one more is not. */
  char deep[2 * WEFT_JSON_MAX_DEPTH + 3];
  memset(deep, '[', WEFT_JSON_MAX_DEPTH);
  memset(deep + WEFT_JSON_MAX_DEPTH, ']', WEFT_JSON_MAX_DEPTH);
  deep[2 * WEFT_JSON_MAX_DEPTH] = 0;
  weft_json_free(parse_ok(deep));
  memset(deep, '[', WEFT_JSON_MAX_DEPTH + 1);
  memset(deep + WEFT_JSON_MAX_DEPTH + 1, ']', WEFT_JSON_MAX_DEPTH + 1);
  deep[2 * WEFT_JSON_MAX_DEPTH + 2] = 0;
  char want[64];
  snprintf(want, sizeof want, "line 1, column %d: nested too deeply",
           WEFT_JSON_MAX_DEPTH + 1);
  parse_bad(deep, want);
  /* A NULL error buffer is allowed. */
  assert_null(weft_json_parse("[", 1, NULL, 0));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_values),  cmocka_unit_test(test_strings),
      cmocka_unit_test(test_numbers), cmocka_unit_test(test_helpers),
      cmocka_unit_test(test_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

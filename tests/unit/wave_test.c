/* wave_test.c - unit tests for WAVE (src/cabi/wave.c): every kind of value
 * parsed and printed in its canonical form, round trips, escapes and
 * multiline strings, float formatting, the exact message and column of
 * every parse error, integer and float ranges, the nesting limit, every
 * prefix of valid text, calls and argument lists, printing values that do
 * not match their type, and running out of arena memory. */
#include <locale.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cabi/wave.h"

static const char wit_text[] =
    "package test:wave;\n"
    "\n"
    "interface types {\n"
    "  type byte = u8;\n"
    "  record point { x: s32, y: s32 }\n"
    "  record opts { a: option<u8>, b: option<string> }\n"
    "  record person { name: string, age: u8, nick: option<string> }\n"
    "  variant shape { circle(f64), rect(point), empty, none, ok(u8) }\n"
    "  enum color { red, green, blue-ish }\n"
    "  enum kw { ok, err, some, none, true, false, inf, nan, plain }\n"
    "  flags perms { read, write, exec }\n"
    "  resource blob;\n"
    "\n"
    "  all: func(b: bool, v-s8: s8, v-u8: u8, v-s16: s16, v-u16: u16,\n"
    "    v-s32: s32, v-u32: u32, v-s64: s64, v-u64: u64, v-f32: f32,\n"
    "    v-f64: f64, c: char, s: string, bytes: list<u8>,\n"
    "    bytes2: list<byte>, nums: list<s32>, strs: list<string>,\n"
    "    nested: list<list<u32>>, opt: option<u8>,\n"
    "    optopt: option<option<u8>>, optres: option<result<u8, string>>,\n"
    "    optkw: option<kw>, optlist: option<list<u8>>,\n"
    "    res: result<u8, string>, resnone: result,\n"
    "    reserr: result<_, string>, resok: result<string>,\n"
    "    resopt: result<option<u8>, u8>, tup: tuple<u8, string, bool>,\n"
    "    tup1: tuple<u8>, pt: point, op: opts, who: person, sh: shape,\n"
    "    col: color, k: kw, p: perms, h-own: blob, h-borrow: borrow<blob>,\n"
    "    alias: byte);\n"
    "  add: func(x: s32, y: s32) -> s32;\n"
    "  maybe: func(x: u8, y: option<u8>, z: option<string>);\n"
    "  nothing: func();\n"
    "}\n"
    "\n"
    "world w {\n"
    "  export types;\n"
    "}\n";

static weft__wit_t *wit;
static const weft__wit_iface_t *types;
static const weft__wit_func_t *all;

static int setup(void **state) {
  weft_error_t err;
  (void)state;
  if (weft__wit_parse(wit_text, strlen(wit_text), "t.wit", &wit, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    return -1;
  }
  types = weft__wit_interface(wit, "types");
  all = types ? weft__wit_iface_func(types, "all") : NULL;
  return all ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  weft__wit_free(wit);
  return 0;
}

/* The type of parameter `name` of `all`. */
static const weft__wit_type_t *T(const char *name) {
  for (size_t i = 0; i < all->nparams; i++)
    if (!strcmp(all->params[i].name, name))
      return all->params[i].type;
  fail_msg("no parameter '%s'", name);
  return NULL;
}

/* Parse `text` (from an exactly sized copy, so that ASan sees any read
 * past its end) as `ty` into *v. */
static int parse(const char *ty, const char *text, weft__arena_t *a,
                 weft_val_t *v, weft_error_t *err) {
  size_t n = strlen(text);
  char *copy = malloc(n ? n : 1);
  int rc;
  assert_non_null(copy);
  memcpy(copy, text, n);
  memset(err, 0, sizeof *err);
  rc = weft__wave_parse(T(ty), copy, n, a, v, err);
  free(copy);
  return rc;
}

/* `text` as `ty` prints as `want`, which prints as itself again. */
static void canon(const char *ty, const char *text, const char *want) {
  weft__arena_t a = WEFT__ARENA_INIT;
  weft_val_t v;
  weft_error_t err;
  weft__buf_t b, b2;
  if (parse(ty, text, &a, &v, &err))
    fail_msg("'%s' as %s: %s", text, ty, err.msg);
  weft__buf_init(&b);
  assert_int_equal(weft__wave_print(T(ty), &v, &b), 0);
  assert_string_equal(b.data, want);
  if (parse(ty, b.data, &a, &v, &err))
    fail_msg("printed '%s' as %s: %s", b.data, ty, err.msg);
  weft__buf_init(&b2);
  assert_int_equal(weft__wave_print(T(ty), &v, &b2), 0);
  assert_string_equal(b2.data, want);
  weft__buf_release(&b);
  weft__buf_release(&b2);
  weft__arena_release(&a);
}

/* `text` is already canonical. */
static void same(const char *ty, const char *text) { canon(ty, text, text); }

/* `text` as `ty` fails with WEFT_EPARSE and exactly `msg`. */
static void bad(const char *ty, const char *text, const char *msg) {
  weft__arena_t a = WEFT__ARENA_INIT;
  weft_val_t v;
  weft_error_t err;
  int rc = parse(ty, text, &a, &v, &err);
  if (rc != WEFT_EPARSE)
    fail_msg("'%s' as %s: rc %d, want a parse error '%s'", text, ty, rc,
             msg);
  assert_int_equal(err.code, WEFT_EPARSE);
  assert_string_equal(err.msg, msg);
  weft__arena_release(&a);
}

/* Parse `text` as `ty`; fails the test on error. Values live in `a`. */
static weft_val_t get(const char *ty, const char *text, weft__arena_t *a) {
  weft_val_t v;
  weft_error_t err;
  if (parse(ty, text, a, &v, &err))
    fail_msg("'%s' as %s: %s", text, ty, err.msg);
  return v;
}

/* ---- values ------------------------------------------------------------- */

static void test_primitives(void **state) {
  weft__arena_t a = WEFT__ARENA_INIT;
  weft_val_t v;
  same("b", "true");
  same("b", "false");
  canon("b", "  true // a comment\n", "true");
  same("v-s8", "-128");
  same("v-s8", "127");
  same("v-u8", "255");
  canon("v-u8", "-0", "0");
  same("v-s16", "-32768");
  same("v-u16", "65535");
  same("v-s32", "-2147483648");
  same("v-u32", "4294967295");
  same("v-s64", "-9223372036854775808");
  same("v-s64", "9223372036854775807");
  same("v-u64", "18446744073709551615");
  same("alias", "7");
  v = get("v-s64", "-9223372036854775808", &a);
  assert_int_equal(v.kind, WEFT_VAL_S64);
  assert_true(v.of.s64 == INT64_MIN);
  v = get("v-u64", "18446744073709551615", &a);
  assert_true(v.of.u64 == UINT64_MAX);
  v = get("v-s8", "-5", &a);
  assert_int_equal(v.kind, WEFT_VAL_S8);
  assert_int_equal(v.of.s8, -5);
  v = get("alias", "200", &a);
  assert_int_equal(v.kind, WEFT_VAL_U8);
  assert_int_equal(v.of.u8, 200);
  v = get("b", "true", &a);
  assert_int_equal(v.kind, WEFT_VAL_BOOL);
  assert_true(v.of.b);
  weft__arena_release(&a);
}

static void test_floats(void **state) {
  weft__arena_t a = WEFT__ARENA_INIT;
  weft_val_t v;
  same("v-f64", "0");
  same("v-f64", "-0");
  same("v-f64", "0.1");
  same("v-f64", "1.5");
  same("v-f64", "-2.25");
  same("v-f64", "nan");
  same("v-f64", "inf");
  same("v-f64", "-inf");
  same("v-f64", "1e300");
  same("v-f64", "1e-7");
  same("v-f64", "0.000001");
  same("v-f64", "5e-324");
  same("v-f64", "1.7976931348623157e308");
  same("v-f64", "123456789012345680000");
  same("v-f64", "1e21");
  same("v-f64", "0.30000000000000004");
  canon("v-f64", "6.022e+23", "6.022e23");
  canon("v-f64", "6.022E23", "6.022e23");
  canon("v-f64", "100", "100");
  canon("v-f64", "1.0", "1");
  canon("v-f64", "1e2", "100");
  canon("v-f64", "1e-400", "0");
  same("v-f32", "0.1");
  same("v-f32", "3.4028235e38");
  same("v-f32", "1e-45");
  same("v-f32", "nan");
  same("v-f32", "-inf");
  canon("v-f32", "16777217", "16777216");
  canon("v-f32", "0.1000000000000000055511151231257827", "0.1");
  v = get("v-f32", "0.1", &a);
  assert_int_equal(v.kind, WEFT_VAL_F32);
  assert_true(v.of.f32 == 0.1f);
  v = get("v-f64", "0.1", &a);
  assert_true(v.of.f64 == 0.1);
  v = get("v-f64", "-0", &a);
  assert_true(v.of.f64 == 0 && signbit(v.of.f64));
  v = get("v-f64", "nan", &a);
  assert_true(isnan(v.of.f64));
  /* digits beyond any fixed buffer */
  v = get("v-f64",
          "0.0000000000000000000000000000000000000000000000000000000000"
          "00000000000000000000000000000000000000000000000000000000000001",
          &a);
  assert_true(v.of.f64 > 0 && v.of.f64 < 1e-100);
  weft__arena_release(&a);
}

static void test_chars_strings(void **state) {
  weft__arena_t a = WEFT__ARENA_INIT;
  weft_val_t v;
  same("c", "'x'");
  same("c", "'\xc3\xa9'");
  same("c", "'\xe2\x98\x83'");
  same("c", "'\\''");
  same("c", "'\\\\'");
  same("c", "'\"'");
  canon("c", "'\\\"'", "'\"'");
  same("c", "'\\t'");
  same("c", "'\\n'");
  same("c", "'\\r'");
  same("c", "'\\u{0}'");
  same("c", "'\\u{7f}'");
  same("c", "'\\u{9f}'");
  canon("c", "'\\u{a0}'", "'\xc2\xa0'");
  canon("c", "'\\u{1F44B}'", "'\xf0\x9f\x91\x8b'");
  canon("c", "'\\u{000041}'", "'A'");
  canon("c", "'\t'", "'\\t'");
  v = get("c", "'\\u{10FFFF}'", &a);
  assert_int_equal(v.kind, WEFT_VAL_CHAR);
  assert_int_equal(v.of.ch, 0x10ffff);

  same("s", "\"\"");
  same("s", "\"h\xc3\xa9llo\"");
  same("s", "\"it's\"");
  same("s", "\"say \\\"hi\\\"\"");
  same("s", "\"a\\\\b\\tc\\nd\\re\\u{1b}f\\u{0}g\"");
  canon("s", "\"\\'\"", "\"'\"");
  canon("s", "\"\\u{48}\\u{49}\"", "\"HI\"");
  canon("s", "\"tab\there\"", "\"tab\\there\"");
  canon("s", "\"\\u{1f600}\"", "\"\xf0\x9f\x98\x80\"");
  v = get("s", "\"a\\u{0}b\"", &a);
  assert_int_equal(v.kind, WEFT_VAL_STRING);
  assert_int_equal(v.of.str.len, 3);
  assert_memory_equal(v.of.str.ptr, "a\0b", 4); /* NUL-terminated too */
  v = get("s", "\"\"", &a);
  assert_non_null(v.of.str.ptr);
  assert_int_equal(v.of.str.len, 0);
  assert_int_equal(v.of.str.ptr[0], 0);
  weft__arena_release(&a);
}

static void test_multiline(void **state) {
  canon("s", "\"\"\"\nA single line\n\"\"\"", "\"A single line\"");
  canon("s", "\"\"\"\n    Indentation determined\n      by ending\n  \"\"\"",
        "\"  Indentation determined\\n    by ending\"");
  canon("s", "\"\"\"\r\n  one\r\n  two \\r\r\n  \"\"\"",
        "\"one\\ntwo \\r\"");
  canon("s", "\"\"\"\n  say \"\"\\\"\" and \\u{41}\n  \"\"\"",
        "\"say \\\"\\\"\\\"\\\" and A\"");
  canon("s", "\"\"\"\n\"\"\"", "\"\"");
  canon("s", "\"\"\"\n\n\"\"\"", "\"\"");
  canon("s", "\"\"\"\na\n\nb\n\"\"\"", "\"a\\n\\nb\"");
  canon("strs", "[\"\"\"\n  x\n  \"\"\", \"y\"]", "[\"x\", \"y\"]");
}

static void test_lists_tuples(void **state) {
  weft__arena_t a = WEFT__ARENA_INIT;
  weft_val_t v;
  same("bytes", "[]");
  same("bytes", "[0, 1, 255]");
  canon("bytes", "[ 1 , 2 , ]", "[1, 2]");
  canon("bytes2", "[1,2,3]", "[1, 2, 3]");
  same("nums", "[-1, 0, 1]");
  same("strs", "[\"a\", \"b\"]");
  same("nested", "[[], [1], [2, 3]]");
  canon("nested", "[[],[1,],]", "[[], [1]]");
  same("tup", "(1, \"x\", true)");
  canon("tup", "( 1 , \"x\" , false , )", "(1, \"x\", false)");
  same("tup1", "(7)");
  canon("tup1", "(7,)", "(7)");
  v = get("bytes", "[1, 2, 3]", &a);
  assert_int_equal(v.kind, WEFT_VAL_LIST);
  assert_int_equal(v.of.bytes.len, 3);
  assert_memory_equal(v.of.bytes.ptr, "\1\2\3", 3);
  v = get("bytes2", "[9]", &a); /* list<byte>, byte = u8: bytes too */
  assert_int_equal(v.of.bytes.len, 1);
  assert_int_equal(v.of.bytes.ptr[0], 9);
  v = get("nums", "[5, 6]", &a);
  assert_int_equal(v.of.list.len, 2);
  assert_int_equal(v.of.list.ptr[1].kind, WEFT_VAL_S32);
  assert_int_equal(v.of.list.ptr[1].of.s32, 6);
  v = get("tup", "(1, \"x\", true)", &a);
  assert_int_equal(v.kind, WEFT_VAL_TUPLE);
  assert_int_equal(v.of.list.len, 3);
  assert_string_equal(v.of.list.ptr[1].of.str.ptr, "x");
  weft__arena_release(&a);
}

static void test_long_list(void **state) {
  weft__arena_t a = WEFT__ARENA_INIT;
  weft__buf_t text, out;
  weft_val_t v;
  weft_error_t err;
  weft__buf_init(&text);
  weft__buf_init(&out);
  assert_int_equal(weft__buf_puts(&text, "["), 0);
  for (int i = 0; i < 5000; i++)
    assert_int_equal(weft__buf_printf(&text, i ? ", %d" : "%d", i - 2500),
                     0);
  assert_int_equal(weft__buf_puts(&text, "]"), 0);
  memset(&err, 0, sizeof err);
  assert_int_equal(
      weft__wave_parse(T("nums"), text.data, text.len, &a, &v, &err), 0);
  assert_int_equal(v.of.list.len, 5000);
  assert_int_equal(v.of.list.ptr[4999].of.s32, 2499);
  assert_int_equal(weft__wave_print(T("nums"), &v, &out), 0);
  assert_string_equal(out.data, text.data);
  weft__buf_release(&text);
  weft__buf_release(&out);
  weft__arena_release(&a);
}

static void test_records(void **state) {
  weft__arena_t a = WEFT__ARENA_INIT;
  weft_val_t v;
  same("pt", "{x: 1, y: -2}");
  canon("pt", "{y: -2, x: 1,}", "{x: 1, y: -2}");
  canon("pt", "{ %x : 1 , y:2 }", "{x: 1, y: 2}");
  same("op", "{a: none, b: none}");
  canon("op", "{:}", "{a: none, b: none}");
  canon("op", "{ : }", "{a: none, b: none}");
  canon("op", "{b: \"z\"}", "{a: none, b: some(\"z\")}");
  canon("op", "{a: 3}", "{a: some(3), b: none}");
  same("who", "{name: \"ann\", age: 30, nick: some(\"a\")}");
  canon("who", "{age: 30, name: \"ann\"}",
        "{name: \"ann\", age: 30, nick: none}");
  v = get("pt", "{y: 5, x: 4}", &a);
  assert_int_equal(v.kind, WEFT_VAL_RECORD);
  assert_int_equal(v.of.list.len, 2);
  assert_int_equal(v.of.list.ptr[0].of.s32, 4);
  assert_int_equal(v.of.list.ptr[1].of.s32, 5);
  v = get("op", "{:}", &a);
  assert_int_equal(v.of.list.ptr[0].kind, WEFT_VAL_OPTION);
  assert_int_equal(v.of.list.ptr[0].of.var.tag, 0);
  assert_null(v.of.list.ptr[0].of.var.val);
  weft__arena_release(&a);
}

static void test_variants_enums_flags(void **state) {
  weft__arena_t a = WEFT__ARENA_INIT;
  weft_val_t v;
  same("sh", "circle(1.5)");
  same("sh", "rect({x: 0, y: 0})");
  same("sh", "empty");
  same("sh", "%none");
  same("sh", "%ok(4)");
  canon("sh", "%circle (2)", "circle(2)");
  canon("sh", "circle( 2 )", "circle(2)");
  same("col", "red");
  same("col", "blue-ish");
  canon("col", "%green", "green");
  same("k", "%ok");
  same("k", "%err");
  same("k", "%some");
  same("k", "%none");
  same("k", "%true");
  same("k", "%false");
  same("k", "%inf");
  same("k", "%nan");
  same("k", "plain");
  same("p", "{}");
  same("p", "{read}");
  same("p", "{read, write, exec}");
  canon("p", "{exec, read,}", "{read, exec}");
  canon("p", "{ %write }", "{write}");
  v = get("sh", "rect({x: 1, y: 2})", &a);
  assert_int_equal(v.kind, WEFT_VAL_VARIANT);
  assert_int_equal(v.of.var.tag, 1);
  assert_int_equal(v.of.var.val->kind, WEFT_VAL_RECORD);
  v = get("sh", "empty", &a);
  assert_int_equal(v.of.var.tag, 2);
  assert_null(v.of.var.val);
  v = get("col", "blue-ish", &a);
  assert_int_equal(v.kind, WEFT_VAL_ENUM);
  assert_int_equal(v.of.var.tag, 2);
  assert_null(v.of.var.val);
  v = get("p", "{exec, read}", &a);
  assert_int_equal(v.kind, WEFT_VAL_FLAGS);
  assert_true(v.of.flags == 5);
  weft__arena_release(&a);
}

static void test_options_results(void **state) {
  weft__arena_t a = WEFT__ARENA_INIT;
  weft_val_t v;
  same("opt", "none");
  same("opt", "some(5)");
  canon("opt", "5", "some(5)");
  canon("opt", "some ( 5 )", "some(5)");
  same("optopt", "none");
  same("optopt", "some(none)");
  same("optopt", "some(some(1))");
  same("optres", "some(ok(1))");
  same("optres", "some(err(\"x\"))");
  canon("optres", "some(1)", "some(ok(1))");
  same("optkw", "some(%none)");
  canon("optkw", "%none", "some(%none)");
  canon("optkw", "plain", "some(plain)");
  canon("optlist", "[1]", "some([1])");
  same("res", "ok(1)");
  same("res", "err(\"bad\")");
  canon("res", "1", "ok(1)");
  same("resnone", "ok");
  same("resnone", "err");
  same("reserr", "ok");
  same("reserr", "err(\"e\")");
  same("resok", "ok(\"x\")");
  same("resok", "err");
  canon("resok", "\"x\"", "ok(\"x\")");
  same("resopt", "ok(none)");
  same("resopt", "ok(some(1))");
  same("resopt", "err(2)");
  v = get("opt", "7", &a);
  assert_int_equal(v.kind, WEFT_VAL_OPTION);
  assert_int_equal(v.of.var.tag, 1);
  assert_int_equal(v.of.var.val->of.u8, 7);
  v = get("res", "err(\"e\")", &a);
  assert_int_equal(v.kind, WEFT_VAL_RESULT);
  assert_int_equal(v.of.var.tag, 1);
  assert_string_equal(v.of.var.val->of.str.ptr, "e");
  v = get("resnone", "ok", &a);
  assert_int_equal(v.of.var.tag, 0);
  assert_null(v.of.var.val);
  weft__arena_release(&a);
}

/* ---- errors ------------------------------------------------------------- */

static void test_errors_scalars(void **state) {
  bad("b", "", "column 1: expected a value of type 'bool', found end of text");
  bad("b", "  ", "column 3: expected a value of type 'bool', found end of "
                 "text");
  bad("b", "1", "column 1: expected a value of type 'bool', found '1'");
  bad("b", "%true", "column 1: expected a value of type 'bool', found "
                    "'%true'");
  bad("b", "true false", "column 6: unexpected 'false' after the value");
  bad("b", "True", "column 1: expected a value of type 'bool', found 'True'");
  bad("v-u8", "x", "column 1: expected a value of type 'u8', found 'x'");
  bad("v-u8", "256", "column 1: '256' is out of range for u8");
  bad("v-u8", "-1", "column 1: '-1' is out of range for u8");
  bad("v-s8", "128", "column 1: '128' is out of range for s8");
  bad("v-s8", "-129", "column 1: '-129' is out of range for s8");
  bad("v-u16", "65536", "column 1: '65536' is out of range for u16");
  bad("v-s16", "-32769", "column 1: '-32769' is out of range for s16");
  bad("v-u32", "4294967296", "column 1: '4294967296' is out of range for "
                             "u32");
  bad("v-s32", "2147483648", "column 1: '2147483648' is out of range for "
                             "s32");
  bad("v-s64", "9223372036854775808",
      "column 1: '9223372036854775808' is out of range for s64");
  bad("v-s64", "-9223372036854775809",
      "column 1: '-9223372036854775809' is out of range for s64");
  bad("v-u64", "18446744073709551616",
      "column 1: '18446744073709551616' is out of range for u64");
  bad("v-u64", "99999999999999999999999999999999999999999",
      "column 1: '99999999999999999999999999999999...' is out of range for "
      "u64");
  bad("alias", "300", "column 1: '300' is out of range for u8");
  bad("v-u8", "1.5", "column 1: '1.5' is not an integer");
  bad("v-u8", "1e2", "column 1: '1e2' is not an integer");
  bad("v-u8", "01", "column 1: invalid number '01'");
  bad("v-u8", "+1", "column 1: expected a value of type 'u8', found '+1'");
  bad("v-u8", "0x10", "column 1: invalid number '0x10'");
  bad("v-s32", "-", "column 1: expected a value of type 's32', found '-'");
  bad("v-s32", "- 1", "column 1: expected a value of type 's32', found '-'");
  bad("v-s32", "inf", "column 1: expected a value of type 's32', found "
                      "'inf'");
  bad("v-f64", "1.", "column 1: invalid number '1.'");
  bad("v-f64", ".5", "column 1: expected a value of type 'f64', found '.5'");
  bad("v-f64", "1e", "column 1: invalid number '1e'");
  bad("v-f64", "1e+", "column 1: invalid number '1e+'");
  bad("v-f64", "1e05", "column 1: invalid number '1e05'");
  bad("v-f64", "1.5.2", "column 1: invalid number '1.5.2'");
  bad("v-f64", "NaN", "column 1: expected a value of type 'f64', found "
                      "'NaN'");
  bad("v-f64", "-nan", "column 1: expected a value of type 'f64', found "
                       "'-nan'");
  bad("v-f64", "infinity", "column 1: expected a value of type 'f64', "
                           "found 'infinity'");
  bad("v-f64", "1e309", "column 1: '1e309' is out of range for f64");
  bad("v-f64", "-1e309", "column 1: '-1e309' is out of range for f64");
  bad("v-f32", "1e39", "column 1: '1e39' is out of range for f32");
  bad("v-f32", "3.5e38", "column 1: '3.5e38' is out of range for f32");
}

static void test_errors_text(void **state) {
  bad("c", "x", "column 1: expected a value of type 'char', found 'x'");
  bad("c", "\"x\"", "column 1: expected a value of type 'char', found "
                    "'\"x\"'");
  bad("c", "'", "column 1: unterminated char");
  bad("c", "'x", "column 1: unterminated char");
  bad("c", "''", "column 1: empty char");
  bad("c", "'ab'", "column 3: more than one character in char");
  bad("c", "'\n'", "column 2: unescaped line break in char");
  bad("c", "'\\q'", "column 2: invalid escape '\\q'");
  bad("c", "'\\", "column 2: invalid escape '\\'");
  bad("c", "'\\u{d800}'", "column 2: invalid escape '\\u{d800}'");
  bad("c", "'\\u{110000}'", "column 2: invalid escape '\\u{110000}'");
  bad("c", "'\\u{}'", "column 2: invalid escape '\\u{}'");
  bad("c", "'\\u{1234567}'", "column 2: invalid escape '\\u{1234567}'");
  bad("c", "'\\u41'", "column 2: invalid escape '\\u41'");
  bad("c", "'\\u{41'", "column 2: invalid escape '\\u{41'");
  bad("c", "'\\u{g}'", "column 2: invalid escape '\\u{g}'");
  bad("c", "'\xff'", "column 2: invalid UTF-8 in char");
  bad("c", "'\xed\xa0\x80'", "column 2: invalid UTF-8 in char");
  bad("s", "x", "column 1: expected a value of type 'string', found 'x'");
  bad("s", "\"abc", "column 1: unterminated string");
  bad("s", "\"abc\\\"", "column 1: unterminated string");
  bad("s", "\"a\nb\"", "column 3: unescaped line break in string");
  bad("s", "\"\xc3\xa9\\x\"", "column 3: invalid escape '\\x'");
  bad("s", "\"ab\xc0\xaf\"", "column 4: invalid UTF-8 in string");
  bad("s", "\"\xe2\x82\"", "column 2: invalid UTF-8 in string");
  bad("s", "\"\xc3\xa9\" x", "column 5: unexpected 'x' after the value");
  bad("s", "\"\"\"x\"\"\"",
      "column 1: expected a line break after '\"\"\"'");
  bad("s", "\"\"\"\nabc", "column 1: unterminated multiline string");
  bad("s", "\"\"\"\nabc\"\"\"",
      "column 8: closing '\"\"\"' must be on a line of its own");
  bad("s", "\"\"\"\nabc\n  x\"\"\"\n\"\"\"",
      "column 12: closing '\"\"\"' must be on a line of its own");
  bad("s", "\"\"\"\n  abc\n x\n  \"\"\"",
      "column 11: line indented less than the closing '\"\"\"'");
  bad("s", "\"\"\"\n  a\\q\n  \"\"\"", "column 8: invalid escape '\\q'");
}

static void test_errors_compound(void **state) {
  bad("nums", "1", "column 1: expected a value of type 'list<s32>', found "
                   "'1'");
  bad("nums", "[", "column 2: expected a value of type 's32', found end of "
                   "text");
  bad("nums", "[1", "column 3: expected ',' or ']', found end of text");
  bad("nums", "[1 2]", "column 4: expected ',' or ']', found '2'");
  bad("nums", "[1,,2]", "column 4: expected a value of type 's32', found "
                        "','");
  bad("nums", "[,]", "column 2: expected a value of type 's32', found ','");
  bad("nums", "[1, \"x\"]", "column 5: expected a value of type 's32', "
                            "found '\"x\"'");
  bad("nums", "[1] ]", "column 5: unexpected ']' after the value");
  bad("nested", "[[1], 2]", "column 7: expected a value of type 'list<u32>', "
                            "found '2'");
  bad("tup", "(1, \"x\")", "column 8: expected 3 values, found 2");
  bad("tup", "(1, \"x\",)", "column 9: expected 3 values, found 2");
  bad("tup", "()", "column 2: expected 3 values, found 0");
  bad("tup", "(1 \"x\" true)", "column 4: expected ',' or ')', found '\"x\"'");
  bad("tup", "(1, \"x\", true, 4)",
      "column 16: expected ')' after 3 values, found '4'");
  bad("tup1", "(1, 2)", "column 5: expected ')' after 1 value, found '2'");
  bad("tup", "[1]", "column 1: expected a value of type 'tuple<u8, string, "
                    "bool>', found '['");
  bad("pt", "{x: 1}", "column 1: missing field 'y' of 'point'");
  bad("pt", "{}", "column 1: missing field 'x' of 'point'");
  bad("pt", "{:}", "column 1: missing field 'x' of 'point'");
  bad("op", "{}", "column 1: an empty record is written '{:}'");
  bad("op", "{:,}", "column 3: expected '}' after '{:', found ','");
  bad("pt", "{x: 1, z: 2}", "column 8: unknown field 'z' of 'point'");
  bad("pt", "{x: 1, x: 2}", "column 8: duplicate field 'x'");
  bad("pt", "{x 1}", "column 4: expected ':' after 'x', found '1'");
  bad("pt", "{x: 1 y: 2}", "column 7: expected ',' or '}', found 'y'");
  bad("pt", "{1: 1}", "column 2: expected a field name, found '1'");
  bad("pt", "{x: 1,", "column 7: expected a field name, found end of text");
  bad("pt", "{x: }", "column 5: expected a value of type 's32', found '}'");
  bad("p", "{read, read}", "column 8: duplicate flag 'read'");
  bad("p", "{read, run}", "column 8: unknown flag 'run' of 'perms'");
  bad("p", "{read write}", "column 7: expected ',' or '}', found 'write'");
  bad("p", "{:}", "column 2: expected a flag name, found ':'");
  bad("p", "{read: true}", "column 6: expected ',' or '}', found ':'");
  bad("p", "[read]", "column 1: expected a value of type 'perms', found '['");
  bad("col", "purple", "column 1: unknown case 'purple' of 'color'");
  bad("col", "red(1)", "column 4: case 'red' of 'color' takes no payload");
  bad("col", "1", "column 1: expected a value of type 'color', found '1'");
  bad("k", "none", "column 1: case 'none' of 'kw' must be written '%none'");
  bad("k", "true", "column 1: case 'true' of 'kw' must be written '%true'");
  bad("sh", "ok(1)", "column 1: case 'ok' of 'shape' must be written '%ok'");
  bad("sh", "err", "column 1: expected a value of type 'shape', found "
                   "'err'");
  bad("sh", "circle", "column 1: case 'circle' of 'shape' needs a payload");
  bad("sh", "empty()", "column 6: case 'empty' of 'shape' takes no payload");
  bad("sh", "circle(1", "column 9: expected ')', found end of text");
  bad("sh", "circle(1, 2)", "column 9: expected ')', found ','");
  bad("sh", "circle()", "column 8: expected a value of type 'f64', found "
                        "')'");
  bad("opt", "some", "column 1: case 'some' of 'option<u8>' needs a payload");
  bad("opt", "none(1)", "column 5: case 'none' of 'option<u8>' takes no "
                        "payload");
  bad("opt", "256", "column 1: '256' is out of range for u8");
  bad("opt", "ok(1)", "column 1: expected a value of type 'u8', found "
                      "'ok'");
  bad("optopt", "1", "column 1: expected a value of type "
                     "'option<option<u8>>', found '1'");
  bad("optres", "some(ok)",
      "column 6: case 'ok' of 'result<u8, string>' needs a payload");
  bad("res", "ok", "column 1: case 'ok' of 'result<u8, string>' needs a "
                   "payload");
  bad("resnone", "ok(1)", "column 3: case 'ok' of 'result' takes no "
                          "payload");
  bad("resnone", "1", "column 1: expected a value of type 'result', found "
                      "'1'");
  bad("reserr", "\"x\"", "column 1: expected a value of type 'result<_, "
                         "string>', found '\"x\"'");
  bad("resopt", "none", "column 1: expected a value of type "
                        "'result<option<u8>, u8>', found 'none'");
  bad("h-own", "1", "column 1: values of type 'own<blob>' have no WAVE form");
  bad("h-borrow", "1", "column 1: values of type 'borrow<blob>' have no "
                       "WAVE form");
  bad("op", "{a: 1 // c\n, b: \"x\" z}",
      "column 21: expected ',' or '}', found 'z'");
}

/* Every proper prefix of valid text fails with a located message. */
static void test_truncated(void **state) {
  static const struct {
    const char *ty, *text;
  } cases[] = {
      {"nested", "[[1, 2], [3]]"},
      {"who", "{name: \"a\\u{41}\", age: 3, nick: some(\"b\")}"},
      {"tup", "(1, \"x\\n\", true)"},
      {"sh", "rect({x: -1, y: 2})"},
      {"p", "{read, exec}"},
      {"optres", "some(err(\"e\"))"},
      {"c", "'\\u{1F600}'"},
      {"strs", "[\"\"\"\n  ab\n  \"\"\"]"},
  };
  weft__arena_t a = WEFT__ARENA_INIT;
  weft_val_t v;
  weft_error_t err;
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    size_t n = strlen(cases[k].text);
    assert_int_equal(parse(cases[k].ty, cases[k].text, &a, &v, &err), 0);
    for (size_t i = 0; i < n; i++) {
      char *copy = malloc(i ? i : 1);
      int rc;
      assert_non_null(copy);
      memcpy(copy, cases[k].text, i);
      memset(&err, 0, sizeof err);
      rc = weft__wave_parse(T(cases[k].ty), copy, i, &a, &v, &err);
      free(copy);
      if (rc != WEFT_EPARSE)
        fail_msg("prefix %zu of '%s' gave %d", i, cases[k].text, rc);
      assert_memory_equal(err.msg, "column ", 7);
    }
  }
  weft__arena_release(&a);
}

/* ---- limits ------------------------------------------------------------- */

static void test_depth(void **state) {
  enum { N = WEFT__WAVE_MAX_DEPTH + 10 };
  static weft__wit_type_t lists[N + 1];
  static weft__wit_member_t members[N];
  weft__arena_t a = WEFT__ARENA_INIT;
  weft_val_t v;
  weft_error_t err;
  weft__buf_t b;
  char text[2 * N + 1];
  size_t k;
  /* list<list<...<u16>...>>, N deep, made by hand */
  for (k = 0; k < N; k++) {
    lists[k].kind = WEFT__WIT_LIST;
    lists[k].n = 1;
    lists[k].m = &members[k];
    members[k].type = &lists[k + 1];
  }
  lists[N].kind = WEFT__WIT_U16;
  for (k = 0; k < WEFT__WAVE_MAX_DEPTH; k++) {
    text[k] = '[';
    text[2 * WEFT__WAVE_MAX_DEPTH - 1 - k] = ']';
  }
  memset(&err, 0, sizeof err);
  assert_int_equal(weft__wave_parse(&lists[0], text,
                                    2 * WEFT__WAVE_MAX_DEPTH, &a, &v, &err),
                   0);
  weft__buf_init(&b);
  assert_int_equal(weft__wave_print(&lists[0], &v, &b), 0);
  assert_int_equal(b.len, 2 * WEFT__WAVE_MAX_DEPTH);
  assert_memory_equal(b.data, text, b.len);
  weft__buf_release(&b);
  for (k = 0; k <= WEFT__WAVE_MAX_DEPTH; k++) {
    text[k] = '[';
    text[2 * WEFT__WAVE_MAX_DEPTH + 1 - k] = ']';
  }
  assert_int_equal(weft__wave_parse(&lists[0], text,
                                    2 * WEFT__WAVE_MAX_DEPTH + 2, &a, &v,
                                    &err),
                   WEFT_EPARSE);
  assert_string_equal(err.msg, "column 101: nesting deeper than 100");
  /* very deep text stops at the limit without using the stack */
  {
    size_t big = 1000000;
    char *deep = malloc(big);
    assert_non_null(deep);
    memset(deep, '[', big);
    assert_int_equal(weft__wave_parse(&lists[0], deep, big, &a, &v, &err),
                     WEFT_EPARSE);
    assert_string_equal(err.msg, "column 101: nesting deeper than 100");
    free(deep);
  }
  /* options nest one level per some(...), written flat or not */
  {
    static weft__wit_type_t opts[N + 1];
    static weft__wit_member_t om[N];
    char t2[8 * N];
    size_t o = 0;
    for (k = 0; k < N; k++) {
      opts[k].kind = WEFT__WIT_OPTION;
      opts[k].n = 1;
      opts[k].m = &om[k];
      om[k].type = k + 1 < N ? &opts[k + 1] : &lists[N];
    }
    /* 99 options around a u16: the u16 is at depth 100 */
    for (k = 0; k < 98; k++) {
      memcpy(t2 + o, "some(", 5);
      o += 5;
    }
    t2[o++] = '1'; /* the innermost option written flat */
    memset(t2 + o, ')', 98);
    o += 98;
    assert_int_equal(weft__wave_parse(&opts[N - 99], t2, o, &a, &v, &err),
                     0);
    weft__buf_init(&b);
    assert_int_equal(weft__wave_print(&opts[N - 99], &v, &b), 0);
    assert_int_equal(weft__wave_parse(&opts[N - 99], b.data, b.len, &a, &v,
                                      &err),
                     0);
    weft__buf_release(&b);
    /* one more option: the u16 would be at depth 101 */
    memmove(t2 + 5, t2, o);
    memcpy(t2, "some(", 5);
    t2[o + 5] = ')';
    o += 6;
    assert_int_equal(weft__wave_parse(&opts[N - 100], t2, o, &a, &v, &err),
                     WEFT_EPARSE);
    assert_string_equal(err.msg, "column 496: nesting deeper than 100");
  }
  weft__arena_release(&a);
}

static void test_out_of_memory(void **state) {
  weft__arena_t a = WEFT__ARENA_INIT;
  weft_val_t v;
  weft_error_t err;
  static const char *const texts[][2] = {
      {"s", "\"abc\""},           {"nums", "[1]"},
      {"bytes", "[1]"},           {"tup", "(1, \"\", true)"},
      {"pt", "{x: 1, y: 2}"},     {"sh", "circle(1)"},
      {"opt", "5"},               {"s", "\"\"\"\nx\n\"\"\""},
  };
  for (size_t k = 0; k < sizeof texts / sizeof texts[0]; k++) {
    a.limit = 1;
    assert_int_equal(parse(texts[k][0], texts[k][1], &a, &v, &err),
                     WEFT_ENOMEM);
    assert_string_equal(err.msg, "out of memory");
    weft__arena_release(&a);
  }
  a.limit = 0;
  weft__arena_release(&a);
}

/* Numbers are read and written with '.' whatever LC_NUMERIC says (skipped
 * where no locale with a decimal comma is installed). */
static void test_locale(void **state) {
  static const char *const names[] = {"de_DE.UTF-8", "de_DE.utf8",
                                      "fr_FR.UTF-8", "fr_FR.utf8"};
  char *saved = setlocale(LC_NUMERIC, NULL);
  const char *got = NULL;
  saved = saved ? strdup(saved) : NULL;
  for (size_t k = 0; k < sizeof names / sizeof names[0] && !got; k++)
    got = setlocale(LC_NUMERIC, names[k]);
  if (!got) {
    free(saved);
    skip();
  }
  same("v-f64", "1.5");
  same("v-f32", "-0.25");
  same("v-f64", "6.5e-300");
  setlocale(LC_NUMERIC, saved ? saved : "C");
  free(saved);
}

/* ---- calls -------------------------------------------------------------- */

static void test_split_call(void **state) {
  const char *name, *args;
  size_t nlen, alen;
  weft_error_t err;
  const char *text = "  ns:pkg/iface@1.0.0#add ( 1, 2 )  ";
  assert_int_equal(weft__wave_split_call(text, strlen(text), &name, &nlen,
                                         &args, &alen, &err),
                   0);
  assert_int_equal(nlen, strlen("ns:pkg/iface@1.0.0#add"));
  assert_memory_equal(name, "ns:pkg/iface@1.0.0#add", nlen);
  assert_int_equal(alen, 6);
  assert_memory_equal(args, " 1, 2 ", alen);
  text = "[method]res.read()";
  assert_int_equal(weft__wave_split_call(text, strlen(text), &name, &nlen,
                                         &args, &alen, &err),
                   0);
  assert_int_equal(nlen, 16);
  assert_int_equal(alen, 0);
  text = "f(\")\")";
  assert_int_equal(weft__wave_split_call(text, strlen(text), &name, &nlen,
                                         &args, &alen, &err),
                   0);
  assert_int_equal(alen, 3);
  text = "";
  assert_int_equal(weft__wave_split_call(text, 0, &name, &nlen, &args, &alen,
                                         &err),
                   WEFT_EPARSE);
  assert_string_equal(err.msg,
                      "column 1: expected a function name, found end of text");
  text = "(1)";
  assert_int_equal(weft__wave_split_call(text, 3, &name, &nlen, &args, &alen,
                                         &err),
                   WEFT_EPARSE);
  assert_string_equal(err.msg,
                      "column 1: expected a function name, found '('");
  text = "add 1 2";
  assert_int_equal(weft__wave_split_call(text, strlen(text), &name, &nlen,
                                         &args, &alen, &err),
                   WEFT_EPARSE);
  assert_string_equal(err.msg,
                      "column 5: expected '(' after 'add', found '1'");
  text = "add";
  assert_int_equal(weft__wave_split_call(text, strlen(text), &name, &nlen,
                                         &args, &alen, &err),
                   WEFT_EPARSE);
  assert_string_equal(err.msg,
                      "column 4: expected '(' after 'add', found end of text");
  text = "add(1, 2";
  assert_int_equal(weft__wave_split_call(text, strlen(text), &name, &nlen,
                                         &args, &alen, &err),
                   WEFT_EPARSE);
  assert_string_equal(err.msg,
                      "column 9: expected ')' at the end of the call");
  text = "add(";
  assert_int_equal(weft__wave_split_call(text, strlen(text), &name, &nlen,
                                         &args, &alen, &err),
                   WEFT_EPARSE);
  assert_string_equal(err.msg,
                      "column 5: expected ')' at the end of the call");
}

/* Parse `args` for function `fn` of `types`; 0 or the error code. */
static int args(const char *fn, const char *text, int col0,
                weft__arena_t *a, weft_val_t **out, weft_error_t *err) {
  const weft__wit_func_t *f = weft__wit_iface_func(types, fn);
  assert_non_null(f);
  memset(err, 0, sizeof *err);
  return weft__wave_parse_args(f, text, strlen(text), col0, a, out, err);
}

static void test_parse_args(void **state) {
  weft__arena_t a = WEFT__ARENA_INIT;
  weft_val_t *v;
  weft_error_t err;
  assert_int_equal(args("add", " 40, 2 ", 5, &a, &v, &err), 0);
  assert_int_equal(v[0].kind, WEFT_VAL_S32);
  assert_int_equal(v[0].of.s32, 40);
  assert_int_equal(v[1].of.s32, 2);
  assert_int_equal(args("add", "40, 2,", 5, &a, &v, &err), 0);
  assert_int_equal(args("nothing", "", 1, &a, &v, &err), 0);
  assert_int_equal(args("nothing", "  ", 1, &a, &v, &err), 0);
  assert_int_equal(args("maybe", "1", 1, &a, &v, &err), 0);
  assert_int_equal(v[1].kind, WEFT_VAL_OPTION);
  assert_int_equal(v[1].of.var.tag, 0);
  assert_int_equal(v[2].kind, WEFT_VAL_OPTION);
  assert_int_equal(v[2].of.var.tag, 0);
  assert_int_equal(args("maybe", "1, 2, \"z\"", 1, &a, &v, &err), 0);
  assert_int_equal(v[1].of.var.tag, 1);
  assert_string_equal(v[2].of.var.val->of.str.ptr, "z");
  /* columns count from col0 */
  assert_int_equal(args("add", "40, x", 5, &a, &v, &err), WEFT_EPARSE);
  assert_string_equal(err.msg, "column 9: expected a value of type 's32', "
                               "found 'x'");
  assert_int_equal(args("add", "1, 2, 3", 5, &a, &v, &err), WEFT_EPARSE);
  assert_string_equal(err.msg,
                      "column 11: too many arguments for 'add', which "
                      "takes 2");
  assert_int_equal(args("add", "1", 5, &a, &v, &err), WEFT_EPARSE);
  assert_string_equal(err.msg, "column 6: missing argument 'y' of 'add'");
  assert_int_equal(args("add", "", 5, &a, &v, &err), WEFT_EPARSE);
  assert_string_equal(err.msg, "column 5: missing argument 'x' of 'add'");
  assert_int_equal(args("maybe", "", 1, &a, &v, &err), WEFT_EPARSE);
  assert_string_equal(err.msg, "column 1: missing argument 'x' of 'maybe'");
  assert_int_equal(args("add", "1 2", 5, &a, &v, &err), WEFT_EPARSE);
  assert_string_equal(err.msg, "column 7: expected ',' or ')', found '2'");
  assert_int_equal(args("add", "1,,2", 5, &a, &v, &err), WEFT_EPARSE);
  assert_string_equal(err.msg, "column 7: expected a value of type 's32', "
                               "found ','");
  assert_int_equal(args("nothing", "1", 3, &a, &v, &err), WEFT_EPARSE);
  assert_string_equal(err.msg,
                      "column 3: too many arguments for 'nothing', which "
                      "takes 0");
  assert_int_equal(args("add", "\xc3\xa9", 5, &a, &v, &err), WEFT_EPARSE);
  assert_string_equal(err.msg, "column 5: expected a value of type 's32', "
                               "found '\xc3\xa9'");
  assert_int_equal(args("add", "\"\xc3\xa9\", x", 5, &a, &v, &err),
                   WEFT_EPARSE);
  assert_string_equal(err.msg, "column 5: expected a value of type 's32', "
                               "found '\"\xc3\xa9\"'");
  assert_int_equal(args("add", "1, \"\xc3\xa9\" x", 1, &a, &v, &err),
                   WEFT_EPARSE);
  assert_string_equal(err.msg, "column 4: expected a value of type 's32', "
                               "found '\"\xc3\xa9\"'");
  weft__arena_release(&a);
}

/* ---- printing what does not match -------------------------------------- */

/* Print `v` as `ty`: WEFT_EINVAL and exactly `want`. */
static void prints_invalid(const char *ty, const weft_val_t *v,
                           const char *want) {
  weft__buf_t b;
  weft__buf_init(&b);
  assert_int_equal(weft__wave_print(T(ty), v, &b), WEFT_EINVAL);
  assert_string_equal(b.data, want);
  weft__buf_release(&b);
}

static void test_print_invalid(void **state) {
  weft__arena_t a = WEFT__ARENA_INIT;
  weft_val_t v, w, items[2];
  memset(&v, 0, sizeof v);
  v.kind = WEFT_VAL_U8;
  prints_invalid("b", &v, "<invalid>");
  prints_invalid("b", NULL, "<invalid>");
  v.kind = WEFT_VAL_CHAR;
  v.of.ch = 0xd800;
  prints_invalid("c", &v, "<invalid>");
  v.kind = WEFT_VAL_STRING;
  v.of.str.ptr = "a\xff";
  v.of.str.len = 2;
  prints_invalid("s", &v, "<invalid>");
  v.of.str.ptr = NULL;
  prints_invalid("s", &v, "<invalid>");
  v = get("pt", "{x: 1, y: 2}", &a);
  v.of.list.ptr[1].kind = WEFT_VAL_U32;
  prints_invalid("pt", &v, "{x: 1, y: <invalid>}");
  v.of.list.len = 1;
  prints_invalid("pt", &v, "<invalid>");
  v = get("col", "red", &a);
  v.of.var.tag = 3;
  prints_invalid("col", &v, "<invalid>");
  v = get("sh", "circle(1)", &a);
  v.of.var.val = NULL;
  prints_invalid("sh", &v, "circle<invalid>");
  v = get("sh", "empty", &a);
  v.of.var.val = &w;
  prints_invalid("sh", &v, "empty<invalid>");
  v = get("opt", "none", &a);
  v.of.var.tag = 2;
  prints_invalid("opt", &v, "<invalid>");
  v.of.var.tag = 1;
  prints_invalid("opt", &v, "some<invalid>");
  v = get("resnone", "err", &a);
  v.of.var.tag = 5;
  prints_invalid("resnone", &v, "<invalid>");
  v = get("p", "{read}", &a);
  v.of.flags = 8;
  prints_invalid("p", &v, "<invalid>");
  v = get("nums", "[1, 2]", &a);
  memcpy(items, v.of.list.ptr, sizeof items);
  items[0].kind = WEFT_VAL_STRING;
  v.of.list.ptr = items;
  prints_invalid("nums", &v, "[<invalid>, 2]");
  v.of.list.ptr = NULL;
  prints_invalid("nums", &v, "<invalid>");
  memset(&v, 0, sizeof v);
  v.kind = WEFT_VAL_OWN;
  prints_invalid("h-own", &v, "<invalid>");
  weft__arena_release(&a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_primitives),
      cmocka_unit_test(test_floats),
      cmocka_unit_test(test_chars_strings),
      cmocka_unit_test(test_multiline),
      cmocka_unit_test(test_lists_tuples),
      cmocka_unit_test(test_long_list),
      cmocka_unit_test(test_records),
      cmocka_unit_test(test_variants_enums_flags),
      cmocka_unit_test(test_options_results),
      cmocka_unit_test(test_errors_scalars),
      cmocka_unit_test(test_errors_text),
      cmocka_unit_test(test_errors_compound),
      cmocka_unit_test(test_truncated),
      cmocka_unit_test(test_depth),
      cmocka_unit_test(test_out_of_memory),
      cmocka_unit_test(test_locale),
      cmocka_unit_test(test_split_call),
      cmocka_unit_test(test_parse_args),
      cmocka_unit_test(test_print_invalid),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

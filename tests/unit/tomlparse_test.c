/* tomlparse_test.c - unit tests for the TOML parser (src/toml/): positions
 * of nodes and keys, key order, typed getters and their messages, the
 * nesting limit, redefinition rules, exact error messages, and failure of
 * every allocation in turn (glibc builds without ASan/TSan only). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "toml/toml.h"

#include "faults.h"

/* Parse NUL-terminated `text` as `file`, failing the test on error. */
static weft__toml_t *parse_ok(const char *text, const char *file) {
  weft__toml_t *root = NULL;
  weft_error_t err;
  memset(&err, 0, sizeof err);
  if (weft__toml_parse(text, strlen(text), file, &root, &err)) {
    print_error("unexpected error: %s\n", err.msg);
    fail();
  }
  assert_non_null(root);
  return root;
}

/* Parse `len` bytes expecting failure with `code` and message `msg`. */
static void parse_fails_n(const char *text, size_t len, int code,
                          const char *msg) {
  weft__toml_t *root = (weft__toml_t *)&root;
  weft_error_t err;
  memset(&err, 0, sizeof err);
  assert_int_equal(weft__toml_parse(text, len, "t.toml", &root, &err), code);
  assert_null(root);
  assert_int_equal(err.code, code);
  assert_string_equal(err.msg, msg);
}

/* parse_fails_n for NUL-terminated text. */
static void parse_fails(const char *text, int code, const char *msg) {
  parse_fails_n(text, strlen(text), code, msg);
}

/* Lines and columns of nodes and keys; columns count code points. */
static void test_positions(void **state) {
  const char *text = "# app\n"
                     "name = \"hello\"\n"
                     "[component.hello]\n"
                     "  route = \"/hi\"\n"
                     "a = [\"\xc3\xa9\", \"x\"]\n"
                     "[[servers]]\n"
                     "[[servers]]\n"
                     "ip = 1979-05-27T07:32:00Z\n";
  weft__toml_t *root = parse_ok(text, "weft.toml");
  const weft__toml_kv_t *kv;
  const weft__toml_t *comp, *arr, *servers;
  (void)state;

  kv = weft__toml_get_kv(root, "name");
  assert_non_null(kv);
  assert_int_equal(kv->line, 2);
  assert_int_equal(kv->col, 1);
  assert_int_equal(kv->value->line, 2);
  assert_int_equal(kv->value->col, 8);

  comp = weft__toml_get(weft__toml_get(root, "component"), "hello");
  assert_non_null(comp);
  assert_int_equal(comp->line, 3);
  assert_int_equal(comp->col, 1);
  assert_int_equal(comp->u.table.def, WEFT__TOML_EXPLICIT);
  assert_int_equal(weft__toml_get(root, "component")->u.table.def,
                   WEFT__TOML_IMPLICIT);
  kv = weft__toml_get_kv(comp, "route");
  assert_int_equal(kv->line, 4);
  assert_int_equal(kv->col, 3);
  assert_int_equal(kv->value->col, 11);

  arr = weft__toml_get(comp, "a");
  assert_int_equal(weft__toml_array_len(arr), 2);
  assert_int_equal(weft__toml_array_at(arr, 0)->col, 6);
  assert_int_equal(weft__toml_array_at(arr, 1)->col, 11);
  assert_null(weft__toml_array_at(arr, 2));

  servers = weft__toml_get(root, "servers");
  assert_int_equal(weft__toml_array_len(servers), 2);
  assert_true(servers->u.array.of_tables);
  assert_int_equal(weft__toml_array_at(servers, 1)->line, 7);
  kv = weft__toml_get_kv(weft__toml_array_at(servers, 1), "ip");
  assert_int_equal(kv->line, 8);
  assert_int_equal(kv->value->type, WEFT__TOML_DATETIME);
  assert_string_equal(kv->value->u.datetime.text, "1979-05-27T07:32:00Z");
  weft__toml_free(root);
}

/* Keys come back in insertion order, also past the hash index threshold. */
static void test_order(void **state) {
  static const char *const names[] = {"zeta", "alpha", "mid", "b", "a",
                                      "y", "x", "q", "k", "j", "i", "h",
                                      "g", "f", "e", "d", "c", "w", "v",
                                      "u", "t", "s", "r", "p", "o", "n"};
  size_t n = sizeof names / sizeof names[0], i;
  weft__buf_t b;
  weft__toml_t *root;
  (void)state;
  weft__buf_init(&b);
  for (i = 0; i < n; i++)
    assert_int_equal(weft__buf_printf(&b, "%s = %zu\n", names[i], i), 0);
  root = parse_ok(b.data, "order.toml");
  assert_int_equal(weft__toml_table_len(root), n);
  for (i = 0; i < n; i++) {
    const weft__toml_kv_t *kv = weft__toml_table_at(root, i);
    assert_string_equal(kv->key, names[i]);
    assert_int_equal(kv->line, (int)i + 1);
    assert_int_equal(weft__toml_get(root, names[i])->u.integer, (int64_t)i);
  }
  assert_null(weft__toml_table_at(root, n));
  assert_null(weft__toml_get(root, "missing"));
  weft__toml_free(root);
  weft__buf_release(&b);
}

/* Typed getters: values, and exact messages for wrong types and misses. */
static void test_getters(void **state) {
  const char *text = "title = \"t\"\n"
                     "[component.hello]\n"
                     "route = 3\n"
                     "ratio = 2\n"
                     "pi = 3.5\n"
                     "on = true\n"
                     "nul = \"a\\u0000b\"\n"
                     "list = [1, 2]\n";
  weft__toml_t *root = parse_ok(text, "weft.toml");
  const weft__toml_t *comp = NULL, *list = NULL;
  weft_error_t err;
  const char *s = NULL;
  size_t len = 0;
  int64_t i = 0;
  double f = 0;
  bool b = false;
  (void)state;

  assert_int_equal(weft__toml_get_string(root, "title", &s, &err), 0);
  assert_string_equal(s, "t");
  assert_int_equal(weft__toml_get_table(root, "component", &comp, &err), 0);
  assert_int_equal(weft__toml_get_table(comp, "hello", &comp, &err), 0);

  assert_int_equal(weft__toml_get_string(comp, "route", &s, &err),
                   WEFT_EINVAL);
  assert_string_equal(err.msg, "weft.toml:3: 'route' must be a string");
  assert_int_equal(weft__toml_get_int(comp, "route", &i, &err), 0);
  assert_int_equal(i, 3);
  assert_int_equal(weft__toml_get_float(comp, "ratio", &f, &err), 0);
  assert_true(f == 2.0);
  assert_int_equal(weft__toml_get_float(comp, "pi", &f, &err), 0);
  assert_true(f == 3.5);
  assert_int_equal(weft__toml_get_int(comp, "pi", &i, &err), WEFT_EINVAL);
  assert_string_equal(err.msg, "weft.toml:5: 'pi' must be an integer");
  assert_int_equal(weft__toml_get_float(comp, "on", &f, &err), WEFT_EINVAL);
  assert_string_equal(err.msg, "weft.toml:6: 'on' must be a number");
  assert_int_equal(weft__toml_get_bool(comp, "on", &b, &err), 0);
  assert_true(b);
  assert_int_equal(weft__toml_get_table(comp, "on", &list, &err),
                   WEFT_EINVAL);
  assert_string_equal(err.msg, "weft.toml:6: 'on' must be a table");

  assert_int_equal(weft__toml_get_string(comp, "nul", &s, &err),
                   WEFT_EINVAL);
  assert_string_equal(err.msg, "weft.toml:7: 'nul' must not contain NUL");
  assert_int_equal(weft__toml_get_stringn(comp, "nul", &s, &len, &err), 0);
  assert_int_equal(len, 3);
  assert_memory_equal(s, "a\0b", 3);

  assert_int_equal(weft__toml_get_array(comp, "list", &list, &err), 0);
  assert_int_equal(weft__toml_array_len(list), 2);
  assert_int_equal(weft__toml_expect(weft__toml_array_at(list, 1),
                                     WEFT__TOML_STRING, "list[1]", &err),
                   WEFT_EINVAL);
  assert_string_equal(err.msg, "weft.toml:8: 'list[1]' must be a string");
  assert_int_equal(weft__toml_expect(weft__toml_array_at(list, 1),
                                     WEFT__TOML_INTEGER, "list[1]", &err),
                   0);

  i = 42;
  assert_int_equal(weft__toml_get_int(comp, "port", &i, &err),
                   WEFT_ENOTFOUND);
  assert_int_equal(i, 42);
  assert_string_equal(err.msg,
                      "weft.toml:2: missing key 'port' in [component.hello]");
  assert_int_equal(weft__toml_get_string(root, "name", &s, &err),
                   WEFT_ENOTFOUND);
  assert_string_equal(err.msg, "weft.toml: missing key 'name'");
  weft__toml_free(root);
}

/* Unknown keys are named with the table's path. */
static void test_check_keys(void **state) {
  static const char *const allowed[] = {"route", "wasm", NULL};
  static const char *const top[] = {"component", NULL};
  const char *text = "[component.hello]\n"
                     "route = \"/\"\n"
                     "wasm = \"x.wasm\"\n"
                     "foo = 1\n";
  weft__toml_t *root = parse_ok(text, "weft.toml");
  const weft__toml_t *hello =
      weft__toml_get(weft__toml_get(root, "component"), "hello");
  weft_error_t err;
  (void)state;
  assert_int_equal(weft__toml_check_keys(root, top, &err), 0);
  assert_int_equal(weft__toml_check_keys(hello, allowed, &err), WEFT_EINVAL);
  assert_string_equal(err.msg,
                      "weft.toml:4: unknown key 'foo' in [component.hello]");
  assert_int_equal(weft__toml_check_keys(root, allowed, &err), WEFT_EINVAL);
  assert_string_equal(err.msg, "weft.toml:1: unknown key 'component'");
  weft__toml_free(root);
}

/* Paths quote keys that are not bare and index arrays. */
static void test_path(void **state) {
  const char *text = "[[servers]]\n[[servers]]\n[servers.\"a b\"]\nx = 1\n";
  weft__toml_t *root = parse_ok(text, "p.toml");
  const weft__toml_t *srv = weft__toml_get(root, "servers");
  const weft__toml_t *ab = weft__toml_get(weft__toml_array_at(srv, 1), "a b");
  weft__buf_t b;
  (void)state;
  weft__buf_init(&b);
  assert_int_equal(weft__toml_path(weft__toml_get(ab, "x"), &b), 0);
  assert_string_equal(b.data, "servers[1].\"a b\".x");
  weft__buf_release(&b);
  weft__toml_free(root);
}

/* Nesting is limited to WEFT__TOML_MAX_DEPTH, however it is reached. */
static void test_depth(void **state) {
  char text[1200];
  size_t n, i;
  weft__toml_t *root;
  (void)state;

  /* 128 nested arrays are fine. */
  n = (size_t)snprintf(text, sizeof text, "a = ");
  for (i = 0; i < 128; i++)
    text[n++] = '[';
  for (i = 0; i < 128; i++)
    text[n++] = ']';
  text[n] = 0;
  root = parse_ok(text, "t.toml");
  weft__toml_free(root);

  /* The 129th '[' is at column 4 + 129. */
  n = (size_t)snprintf(text, sizeof text, "a = ");
  for (i = 0; i < 129; i++)
    text[n++] = '[';
  for (i = 0; i < 129; i++)
    text[n++] = ']';
  text[n] = 0;
  parse_fails(text, WEFT_ELIMIT,
              "t.toml:1:133: nesting deeper than 128 levels");

  /* Unclosed: the limit still fires before the end. */
  memset(text, '[', 1000);
  memcpy(text, "a = ", 4);
  text[1000] = 0;
  parse_fails(text, WEFT_ELIMIT,
              "t.toml:1:133: nesting deeper than 128 levels");

  /* Inline tables, dotted keys and headers count too. */
  n = (size_t)snprintf(text, sizeof text, "a = ");
  for (i = 0; i < 200; i++)
    n += (size_t)snprintf(text + n, sizeof text - n, "{b=");
  text[n] = 0;
  root = (weft__toml_t *)&root;
  {
    weft_error_t err;
    assert_int_equal(weft__toml_parse(text, n, "t.toml", &root, &err),
                     WEFT_ELIMIT);
    assert_null(root);
  }
  n = 0;
  for (i = 0; i < 200; i++)
    n += (size_t)snprintf(text + n, sizeof text - n, "a.");
  n += (size_t)snprintf(text + n, sizeof text - n, "a = 1");
  parse_fails(text, WEFT_ELIMIT, "t.toml:1:257: key has more than 128 parts");
  n = (size_t)snprintf(text, sizeof text, "[");
  for (i = 0; i < 128; i++)
    n += (size_t)snprintf(text + n, sizeof text - n, "%sa", i ? "." : "");
  snprintf(text + n, sizeof text - n, "]\nx = 1\n");
  parse_fails(text, WEFT_ELIMIT, "t.toml:2:5: nesting deeper than 128 levels");
  n = (size_t)snprintf(text, sizeof text, "[");
  for (i = 0; i < 127; i++)
    n += (size_t)snprintf(text + n, sizeof text - n, "%sa", i ? "." : "");
  snprintf(text + n, sizeof text - n, "]\nx = 1\n");
  root = parse_ok(text, "t.toml");
  weft__toml_free(root);
}

/* A few error messages, checked exactly. */
static void test_messages(void **state) {
  (void)state;
  parse_fails("a = 1\nb = 2\n\nname    \"x\"\n", WEFT_EPARSE,
              "t.toml:4:9: expected '=' after key");
  parse_fails("a = 1\na = 2\n", WEFT_EPARSE,
              "t.toml:2:1: duplicate key 'a' (first defined on line 1)");
  parse_fails("[a]\nx = 1\n[a]\n", WEFT_EPARSE,
              "t.toml:3:1: table 'a' is already defined (line 1)");
  parse_fails("[t1]\nt2.t3.v = 0\n[t1.t2]\n", WEFT_EPARSE,
              "t.toml:3:1: table 't1.t2' is already defined by a dotted "
              "key (line 2)");
  parse_fails("a = {b = 1}\na.c = 2\n", WEFT_EPARSE,
              "t.toml:2:1: cannot extend inline table 'a' (line 1)");
  parse_fails("s = \"abc\n", WEFT_EPARSE, "t.toml:1:5: unterminated string");
  parse_fails("s = \"\\q\"\n", WEFT_EPARSE,
              "t.toml:1:6: invalid escape sequence '\\q'");
  parse_fails("d = 1900-02-29\n", WEFT_EPARSE,
              "t.toml:1:5: invalid date: 1900-02-29 does not exist");
  parse_fails("i = 9223372036854775808\n", WEFT_EPARSE,
              "t.toml:1:5: integer is out of range");
  parse_fails("i = 012\n", WEFT_EPARSE,
              "t.toml:1:5: leading zeros are not allowed");
  parse_fails("x = { a = 1, }\n", WEFT_EPARSE,
              "t.toml:1:14: trailing comma in inline table");
  parse_fails("k = \"\xc3\xa9\" # \xff\n", WEFT_EPARSE,
              "t.toml:1:11: invalid utf-8 byte 0xff");
  parse_fails_n("a = 1\r\nb = 2\r", 13, WEFT_EPARSE,
                "t.toml:2:6: carriage return not followed by a line feed");
  parse_fails_n("a = \"\0\"", 7, WEFT_EPARSE,
                "t.toml:1:6: control character U+0000 in string");
}

/* Values: numbers at their limits, date-times, strings and keys. */
static void test_values(void **state) {
  const char *text =
      "max = 9_223_372_036_854_775_807\n"
      "min = -9223372036854775808\n"
      "hex = 0x7FFF_FFFF_FFFF_FFFF\n"
      "oct = 0o755\n"
      "bin = 0b1010\n"
      "f = -1.5e-3\n"
      "ninf = -inf\n"
      "nan = nan\n"
      "leap = 2000-02-29\n"
      "odt = 1979-05-27 07:32:00.1234567891-07:30\n"
      "lt = 23:59:60\n"
      "ml = \"\"\"\r\nab \\\r\n   cd\r\nef\"\"\"\n"
      "lit = '''x''''\n"
      "\"\\u0000\" = 1\n"
      "a . b . c = 1\n"
      "a.b.d = 2\n";
  weft__toml_t *root = parse_ok(text, "v.toml");
  const weft__toml_t *n;
  const weft__toml_datetime_t *dt;
  (void)state;
  assert_int_equal(weft__toml_get(root, "max")->u.integer, INT64_MAX);
  assert_int_equal(weft__toml_get(root, "min")->u.integer, INT64_MIN);
  assert_int_equal(weft__toml_get(root, "hex")->u.integer, INT64_MAX);
  assert_int_equal(weft__toml_get(root, "oct")->u.integer, 0755);
  assert_int_equal(weft__toml_get(root, "bin")->u.integer, 10);
  assert_true(weft__toml_get(root, "f")->u.flt == -1.5e-3);
  assert_true(isinf(weft__toml_get(root, "ninf")->u.flt));
  assert_true(weft__toml_get(root, "ninf")->u.flt < 0);
  assert_true(isnan(weft__toml_get(root, "nan")->u.flt));
  assert_int_equal(weft__toml_get(root, "leap")->type,
                   WEFT__TOML_LOCAL_DATE);
  n = weft__toml_get(root, "odt");
  dt = &n->u.datetime.dt;
  assert_int_equal(n->type, WEFT__TOML_DATETIME);
  assert_int_equal(dt->year, 1979);
  assert_int_equal(dt->hour, 7);
  assert_int_equal(dt->nanosecond, 123456789);
  assert_int_equal(dt->frac_digits, 9);
  assert_int_equal(dt->offset_minutes, -450);
  assert_false(dt->offset_z);
  assert_string_equal(n->u.datetime.text,
                      "1979-05-27 07:32:00.1234567891-07:30");
  assert_int_equal(weft__toml_get(root, "lt")->u.datetime.dt.second, 60);
  n = weft__toml_get(root, "ml");
  assert_string_equal(n->u.string.ptr, "ab cd\nef");
  assert_int_equal(n->line, 12);
  assert_string_equal(weft__toml_get(root, "lit")->u.string.ptr, "x'");
  assert_int_equal(weft__toml_get_kv(root, "lit")->line, 16);
  n = weft__toml_getn(root, "\0", 1);
  assert_non_null(n);
  assert_int_equal(n->u.integer, 1);
  n = weft__toml_get(root, "a");
  assert_int_equal(n->u.table.def, WEFT__TOML_DOTTED);
  assert_int_equal(weft__toml_table_len(weft__toml_get(n, "b")), 2);
  weft__toml_free(root);
}

/* Edge cases of the API itself. */
static void test_api(void **state) {
  weft__toml_t *root = NULL;
  weft_error_t err;
  (void)state;
  assert_int_equal(weft__toml_parse(NULL, 0, NULL, &root, &err), 0);
  assert_int_equal(weft__toml_table_len(root), 0);
  assert_string_equal(root->file, "<input>");
  weft__toml_free(root);
  weft__toml_free(NULL);
  assert_int_equal(weft__toml_parse("\xef\xbb\xbf" "a = 1", 8, NULL, &root,
                                    &err),
                   0);
  assert_int_equal(weft__toml_get_kv(root, "a")->col, 1);
  weft__toml_free(root);
  assert_int_equal(weft__toml_parse("= 1", 3, NULL, &root, NULL),
                   WEFT_EPARSE);
  assert_null(root);
  assert_int_equal(weft__toml_parse_file("/nonexistent/x.toml", &root, &err),
                   WEFT_ENOENT);
  assert_null(root);
  assert_null(weft__toml_get(NULL, "x"));
  assert_int_equal(weft__toml_array_len(NULL), 0);
  assert_string_equal(weft__toml_type_name(WEFT__TOML_LOCAL_TIME),
                      "local time");
}

/* Every allocation of a parse fails in turn: the result is WEFT_ENOMEM (or
 * success when the failure came after the last allocation), and nothing
 * leaks. */
static void test_out_of_memory(void **state) {
#ifdef FAULTS
  static const char *const docs[] = {
      ("name = \"x\"\n[component.hello]\nroute = \"/\"\n"
       "env = { A = \"1\", b.c = [1, 2.5, true] }\n"
       "[[t.http]]\nx = 1979-05-27T07:32:00Z\n[[t.http]]\n[t.http.sub]\n"
       "k = '''lit'''\n\"\\u00e9\" = \"\"\"a\\\n  b\"\"\"\n"),
      ("a = 1\nb = 2\nc = 3\nd = 4\ne = 5\nf = 6\ng = 7\nh = 8\ni = 9\n"
       "j = [[1], [2, [3]]]\n"),
      "a = 1\na = 2\n",
  };
  size_t d;
  (void)state;
  for (d = 0; d < sizeof docs / sizeof docs[0]; d++) {
    long n;
    for (n = 0;; n++) {
      weft__toml_t *root = NULL;
      weft_error_t err;
      long before = live_blocks;
      int rc;
      fault_hit = false;
      fail_countdown = n;
      rc = weft__toml_parse(docs[d], strlen(docs[d]), "oom.toml", &root,
                            &err);
      fail_countdown = -1;
      if (fault_hit && rc != 0) {
        assert_int_equal(rc, WEFT_ENOMEM);
        assert_null(root);
      }
      weft__toml_free(root);
      assert_int_equal(live_blocks, before);
      if (!fault_hit)
        break;
    }
    assert_true(n > 5);
  }
#else
  (void)state;
  skip();
#endif
}

/* Run the tests. */
int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_positions), cmocka_unit_test(test_order),
      cmocka_unit_test(test_getters),   cmocka_unit_test(test_check_keys),
      cmocka_unit_test(test_path),      cmocka_unit_test(test_depth),
      cmocka_unit_test(test_messages),  cmocka_unit_test(test_values),
      cmocka_unit_test(test_api),       cmocka_unit_test(test_out_of_memory),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/* route_test.c - unit tests for HTTP routes (src/app/route.c): syntax,
 * normalisation, precedence (exact before wildcard, longest prefix,
 * literal before ":name"), captures, the application base, path-info and
 * the values behind Spin's spin-* request headers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "app/route.h"

/* An app with `base` and one HTTP trigger per route in `routes` (NULL
 * ends; "private" makes a private one), trigger i handled by "c<i>". */
static weft__manifest_t *app(const char *base, const char *const *routes) {
  weft__manifest_t *m = NULL;
  weft_error_t err;
  weft__buf_t b;
  size_t i;
  weft__buf_init(&b);
  weft__buf_printf(&b, "spin_manifest_version = 2\n[application]\n"
                       "name = \"r\"\n[application.trigger.http]\n"
                       "base = \"%s\"\n",
                   base);
  for (i = 0; routes[i]; i++) {
    weft__buf_printf(&b, "[component.c%zu]\nsource = \"c.wasm\"\n", i);
    if (!strcmp(routes[i], "private"))
      weft__buf_printf(&b, "[[trigger.http]]\nroute = { private = true }\n"
                           "component = \"c%zu\"\n",
                       i);
    else
      weft__buf_printf(&b, "[[trigger.http]]\nroute = \"%s\"\n"
                           "component = \"c%zu\"\n",
                       routes[i], i);
  }
  if (weft__manifest_parse(b.data, b.len, "r.toml", NULL, &m, &err)) {
    print_error("%s\n", err.msg);
    fail();
  }
  weft__buf_release(&b);
  return m;
}

/* The component that `path` is routed to, or "-" when none. */
static const char *route_of(const weft__router_t *r, const char *path) {
  weft__route_match_t mt;
  if (weft__router_match(r, path, strlen(path), &mt))
    return "-";
  return mt.component_id;
}

/* Syntax of routes and bases. */
static void test_check(void **state) {
  static const char *const good[] = {"/", "/a", "/a/", "/a/b/...", "/...",
                                     "/:id", "/u/:user_id/x/...",
                                     "/a.../b", "/%20", "/.../"};
  static const char *const bad[][2] = {
      {"", "must start with '/'"},
      {"a", "must start with '/'"},
      {"//", "has an empty segment"},
      {"/a/.../b", "'...' must be the last segment"},
      {"/:", "':' must be followed by a name"},
      {"/:a.b", "wildcard names hold letters, digits, '_' and '-'"},
      {"/:a/:a", "repeats a wildcard name"},
      {"/a b", "has a character not allowed in a path"},
      {"/a?b", "has a character not allowed in a path"},
      {"/*", "use '/...' for a trailing wildcard"},
  };
  const char *why = NULL;
  size_t i;
  (void)state;
  for (i = 0; i < sizeof good / sizeof good[0]; i++)
    assert_true(weft__route_check(good[i], false, &why));
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_false(weft__route_check(bad[i][0], false, &why));
    assert_string_equal(why, bad[i][1]);
  }
  assert_true(weft__route_check("/api/v1/", true, &why));
  assert_false(weft__route_check("/api/...", true, &why));
  assert_string_equal(why, "must not hold wildcards");
}

/* Normalised keys: one trailing slash and wildcard names do not count. */
static void test_key(void **state) {
  static const char *const cases[][2] = {
      {"/", "/"},          {"/a/", "/a"},           {"/a", "/a"},
      {"/u/:id", "/u/:"},  {"/:x/b/...", "/:/b/..."}, {"/a:b", "/a:b"},
  };
  size_t i;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    weft__buf_t b;
    weft__buf_init(&b);
    assert_int_equal(weft__route_key(cases[i][0], &b), 0);
    assert_string_equal(b.data, cases[i][1]);
    weft__buf_release(&b);
  }
}

/* Exact beats wildcard, longest prefix wins, literal beats ":name",
 * whatever the order of writing; private routes never match. */
static void test_precedence(void **state) {
  static const char *const routes[] = {
      "/...",        "/users/...", "/users/admin", "/users/:id",
      "/users/:id/...", "/users/:id/edit", "/users/me/edit", "/one/two/...",
      "/one/...",    "private",    "/", NULL};
  weft__manifest_t *m = app("/", routes);
  weft__router_t *r = NULL;
  weft_error_t err;
  (void)state;
  assert_int_equal(weft__router_new(m, &r, &err), 0);
  assert_int_equal(weft__router_len(r), 10);
  assert_string_equal(route_of(r, "/"), "c10");
  assert_string_equal(route_of(r, "/x"), "c0");
  assert_string_equal(route_of(r, "/users"), "c1");
  assert_string_equal(route_of(r, "/users/"), "c1");
  assert_string_equal(route_of(r, "/users/admin"), "c2");
  assert_string_equal(route_of(r, "/users/admin/"), "c2");
  assert_string_equal(route_of(r, "/users/7"), "c3");
  assert_string_equal(route_of(r, "/users/7/x"), "c4");
  assert_string_equal(route_of(r, "/users/7/edit"), "c5");
  assert_string_equal(route_of(r, "/users/me/edit"), "c6");
  assert_string_equal(route_of(r, "/users/admin/x"), "c4");
  assert_string_equal(route_of(r, "/users//edit"), "c1");
  assert_string_equal(route_of(r, "/one/two/three"), "c7");
  assert_string_equal(route_of(r, "/one/two"), "c7");
  assert_string_equal(route_of(r, "/one/twothree"), "c8");
  assert_string_equal(route_of(r, "/oneself"), "c0");
  assert_string_equal(route_of(r, "/users/7?q=/edit"), "c3");
  assert_string_equal(route_of(r, "relative"), "-");
  assert_string_equal(route_of(r, ""), "-");
  weft__router_free(r);
  weft__manifest_free(m);
}

/* Captures, path-info and the spin-* header values, with and without an
 * application base. */
static void test_headers(void **state) {
  static const char *const routes[] = {"/users/:user_id/cart/...", "/hello",
                                       "/...", NULL};
  weft__manifest_t *m = app("/", routes);
  weft__router_t *r = NULL;
  weft__route_match_t mt;
  weft_error_t err;
  const char *p = "/users/1/cart/items/3/edit";
  (void)state;
  assert_int_equal(weft__router_new(m, &r, &err), 0);
  assert_int_equal(weft__router_match(r, p, strlen(p), &mt), 0);
  assert_string_equal(mt.component_id, "c0");
  assert_int_equal(mt.trigger, 0);
  assert_string_equal(mt.matched_route, "/users/:user_id/cart/...");
  assert_string_equal(mt.raw_component_route, "/users/:user_id/cart/...");
  assert_string_equal(mt.component_route, "/users/:user_id/cart");
  assert_string_equal(mt.base_path, "/");
  assert_int_equal(mt.path_info_len, 13);
  assert_memory_equal(mt.path_info, "/items/3/edit", 13);
  assert_int_equal(mt.captures_len, 1);
  assert_string_equal(mt.captures[0].name, "user_id");
  assert_string_equal(mt.captures[0].header, "spin-path-match-user-id");
  assert_int_equal(mt.captures[0].value_len, 1);
  assert_memory_equal(mt.captures[0].value, "1", 1);

  assert_int_equal(weft__router_match(r, "/users/1/cart", 13, &mt), 0);
  assert_int_equal(mt.path_info_len, 0);
  assert_int_equal(weft__router_match(r, "/users/1/cart/", 14, &mt), 0);
  assert_int_equal(mt.path_info_len, 1);
  assert_int_equal(weft__router_match(r, "/hello", 6, &mt), 0);
  assert_string_equal(mt.component_route, "/hello");
  assert_int_equal(mt.path_info_len, 0);
  assert_int_equal(mt.captures_len, 0);
  assert_int_equal(weft__router_match(r, "/", 1, &mt), 0);
  assert_string_equal(mt.component_id, "c2");
  assert_string_equal(mt.matched_route, "/...");
  assert_string_equal(mt.component_route, "");
  assert_int_equal(mt.path_info_len, 1);
  assert_memory_equal(mt.path_info, "/", 1);
  weft__router_free(r);
  weft__manifest_free(m);

  m = app("/api/", routes);
  assert_int_equal(weft__router_new(m, &r, &err), 0);
  assert_string_equal(route_of(r, "/hello"), "-");
  assert_string_equal(route_of(r, "/api"), "c2");
  p = "/api/users/ada/cart/x";
  assert_int_equal(weft__router_match(r, p, strlen(p), &mt), 0);
  assert_string_equal(mt.matched_route, "/api/users/:user_id/cart/...");
  assert_string_equal(mt.raw_component_route, "/users/:user_id/cart/...");
  assert_string_equal(mt.component_route, "/users/:user_id/cart");
  assert_string_equal(mt.base_path, "/api/");
  assert_memory_equal(mt.captures[0].value, "ada", 3);
  assert_int_equal(mt.path_info_len, 2);
  assert_int_equal(weft__router_match(r, "/api/hello", 10, &mt), 0);
  assert_string_equal(mt.matched_route, "/api/hello");
  weft__router_free(r);
  weft__manifest_free(m);
}

/* Run the tests. */
int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_check),
      cmocka_unit_test(test_key),
      cmocka_unit_test(test_precedence),
      cmocka_unit_test(test_headers),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

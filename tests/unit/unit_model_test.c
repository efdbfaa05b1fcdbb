/* unit_model_test.c - the pure model of resident units (src/unit): the
 * canonical encoding of values, the schema and policy parsers (strict,
 * naming file:line), every governance rule admitting and denying, the
 * Merkle tree (an incremental update equals a rebuild) and an entry's
 * hash and signature over every field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "unit/unit.h"

static const char schema_text[] =
    "[key.count]\ntype = \"integer\"\nmin = 0\nmax = 100\n"
    "[key.name]\ntype = \"string\"\nmax_length = 4\n"
    "[key.flag]\ntype = \"bool\"\n"
    "[key.tags]\ntype = \"list\"\nmax_items = 2\n"
    "item = { type = \"string\", max_length = 3 }\n"
    "[key.deal]\ntype = \"record\"\n"
    "fields.amount = { type = \"integer\", min = 0 }\n"
    "fields.who = \"bytes\"\n";

static const char policy_text[] =
    "[keys.count]\nmonotonic = true\nmax_change = 5\n"
    "[keys.name]\nimmutable = true\n"
    "[keys.flag]\nowner_only = true\n";

static weft__uschema_t *schema;
static weft__upolicy_t *policy;

static int setup(void **state) {
  (void)state;
  weft_error_t err = {0};
  if (weft__unit_init(&err) < 0 ||
      weft__uschema_parse(schema_text, strlen(schema_text), "S.toml",
                          &schema, &err) < 0 ||
      weft__upolicy_parse(policy_text, strlen(policy_text), "P.toml", schema,
                          &policy, &err) < 0) {
    fprintf(stderr, "%s\n", err.msg);
    return -1;
  }
  return 0;
}

static int teardown(void **state) {
  (void)state;
  weft__uschema_free(schema);
  weft__upolicy_free(policy);
  return 0;
}

/* Encode an integer into `b` (reset first). */
static void enc_int(weft__buf_t *b, int64_t v) {
  weft__uval_t u = {.type = WEFT__UV_INT, .i = v};
  b->len = 0;
  assert_int_equal(weft__uval_encode(&u, b), 0);
}

static void enc_text(weft__buf_t *b, const char *s) {
  weft__uval_t u = {.type = WEFT__UV_TEXT, .ptr = (const uint8_t *)s,
                    .len = strlen(s)};
  b->len = 0;
  assert_int_equal(weft__uval_encode(&u, b), 0);
}

/* The verdict on writing `val` (NULL: delete) to `key`, which holds
 * `now` now and held `start` when the cycle began. */
static const char *verdict(const char *key, weft__buf_t *now,
                           weft__buf_t *start, weft__buf_t *val,
                           bool by_owner) {
  static weft__udenial_t d;
  weft__uwrite_t w = {.key = key,
                      .now = now ? (uint8_t *)now->data : NULL,
                      .now_len = now ? now->len : 0,
                      .start = start ? (uint8_t *)start->data : NULL,
                      .start_len = start ? start->len : 0,
                      .val = val ? (uint8_t *)val->data : NULL,
                      .val_len = val ? val->len : 0,
                      .by_owner = by_owner};
  return weft__unit_admit(schema, policy, &w, &d) ? d.rule : "admitted";
}

static void encoding(void **state) {
  (void)state;
  weft__buf_t b;
  weft__buf_init(&b);
  enc_int(&b, -2);
  assert_int_equal(b.len, 9);
  assert_memory_equal(b.data, "\x01\xff\xff\xff\xff\xff\xff\xff\xfe", 9);
  /* A record's fields are sorted, whatever order they come in. */
  weft__uval_t f[2] = {
      {.type = WEFT__UV_INT, .i = 7, .name = "zz", .name_len = 2},
      {.type = WEFT__UV_BOOL, .i = 1, .name = "aa", .name_len = 2}};
  weft__uval_t rec = {.type = WEFT__UV_RECORD, .items = f, .n = 2};
  b.len = 0;
  assert_int_equal(weft__uval_encode(&rec, &b), 0);
  weft__arena_t a = WEFT__ARENA_INIT;
  weft__uval_t back;
  assert_int_equal(weft__uval_decode((uint8_t *)b.data, b.len, &a, &back,
                                     NULL), 0);
  assert_int_equal(back.n, 2);
  assert_memory_equal(back.items[0].name, "aa", 2);
  /* Not canonical: trailing bytes, a bool of 2, fields out of order. */
  assert_int_not_equal(weft__uval_decode((uint8_t *)"\x03\x02", 2, &a, &back,
                                         NULL), 0);
  memcpy(b.data + b.len, "x", 1);
  assert_int_not_equal(weft__uval_decode((uint8_t *)b.data, b.len + 1, &a,
                                         &back, NULL), 0);
  /* Duplicate field names cannot be encoded. */
  f[0].name = "aa";
  b.len = 0;
  assert_int_equal(weft__uval_encode(&rec, &b), WEFT_EINVAL);
  weft__arena_release(&a);
  weft__buf_release(&b);
}

static void parsers_name_file_line(void **state) {
  (void)state;
  weft_error_t err = {0};
  weft__uschema_t *s = NULL;
  weft__upolicy_t *p = NULL;
  const char *bad_s = "[key.x]\ntype = \"integer\"\nmax_len = 3\n";
  assert_int_not_equal(weft__uschema_parse(bad_s, strlen(bad_s), "S.toml", &s,
                                           &err), 0);
  assert_non_null(strstr(err.msg, "S.toml:3: unknown key 'max_len'"));
  const char *bad_t = "[key.x]\ntype = \"float\"\n";
  assert_int_not_equal(weft__uschema_parse(bad_t, strlen(bad_t), "S.toml", &s,
                                           &err), 0);
  assert_non_null(strstr(err.msg, "S.toml:2:"));
  const char *bad_p = "[keys.nope]\nimmutable = true\n";
  assert_int_not_equal(weft__upolicy_parse(bad_p, strlen(bad_p), "P.toml",
                                           schema, &p, &err), 0);
  assert_non_null(strstr(err.msg, "P.toml:1: the schema has no key 'nope'"));
  const char *bad_m = "[keys.name]\nmonotonic = true\n";
  assert_int_not_equal(weft__upolicy_parse(bad_m, strlen(bad_m), "P.toml",
                                           schema, &p, &err), 0);
  assert_non_null(strstr(err.msg, "need an integer key"));
  const char *bad_w = "hosts = [\"nobody\"]\n";
  assert_int_not_equal(weft__upolicy_parse(bad_w, strlen(bad_w), "P.toml",
                                           schema, &p, &err), 0);
  assert_non_null(strstr(err.msg, "P.toml:1:"));
  const char *bad_c = "[cycle]\ndeadline = \"soon\"\n";
  assert_int_not_equal(weft__upolicy_parse(bad_c, strlen(bad_c), "P.toml",
                                           schema, &p, &err), 0);
  assert_non_null(strstr(err.msg, "P.toml:2:"));
}

static void schema_rules(void **state) {
  (void)state;
  weft__buf_t v;
  weft__buf_init(&v);
  enc_int(&v, 3);
  assert_string_equal(verdict("nope", NULL, NULL, &v, true), "unknown-key");
  assert_string_equal(verdict("count", NULL, NULL, &v, true), "admitted");
  enc_int(&v, 101);
  assert_string_equal(verdict("count", NULL, NULL, &v, true), "schema");
  enc_text(&v, "abcd");
  assert_string_equal(verdict("count", NULL, NULL, &v, true), "schema");
  assert_string_equal(verdict("name", NULL, NULL, &v, true), "admitted");
  enc_text(&v, "abcde");
  assert_string_equal(verdict("name", NULL, NULL, &v, true), "schema");
  /* Lists: item type, item length, item count. */
  weft__uval_t it[3] = {{.type = WEFT__UV_TEXT, .ptr = (uint8_t *)"ab",
                         .len = 2},
                        {.type = WEFT__UV_TEXT, .ptr = (uint8_t *)"abcd",
                         .len = 4},
                        {.type = WEFT__UV_INT, .i = 1}};
  weft__uval_t l = {.type = WEFT__UV_LIST, .items = it, .n = 1};
  v.len = 0;
  weft__uval_encode(&l, &v);
  assert_string_equal(verdict("tags", NULL, NULL, &v, true), "admitted");
  l.n = 2;
  v.len = 0;
  weft__uval_encode(&l, &v);
  assert_string_equal(verdict("tags", NULL, NULL, &v, true), "schema");
  l.items = &it[1];
  l.n = 1;
  it[1] = it[2];
  v.len = 0;
  weft__uval_encode(&l, &v);
  assert_string_equal(verdict("tags", NULL, NULL, &v, true), "schema");
  /* Records: every field, of its type. */
  weft__uval_t f[2] = {{.type = WEFT__UV_INT, .i = 5, .name = "amount",
                        .name_len = 6},
                       {.type = WEFT__UV_BYTES, .ptr = (uint8_t *)"k",
                        .len = 1, .name = "who", .name_len = 3}};
  weft__uval_t r = {.type = WEFT__UV_RECORD, .items = f, .n = 2};
  v.len = 0;
  weft__uval_encode(&r, &v);
  assert_string_equal(verdict("deal", NULL, NULL, &v, true), "admitted");
  f[0].i = -1;
  v.len = 0;
  weft__uval_encode(&r, &v);
  assert_string_equal(verdict("deal", NULL, NULL, &v, true), "schema");
  r.n = 1;
  f[0].i = 1;
  v.len = 0;
  weft__uval_encode(&r, &v);
  assert_string_equal(verdict("deal", NULL, NULL, &v, true), "schema");
  weft__buf_release(&v);
}

static void policy_rules(void **state) {
  (void)state;
  weft__buf_t now, start, v;
  weft__buf_init(&now);
  weft__buf_init(&start);
  weft__buf_init(&v);
  /* monotonic */
  enc_int(&now, 10);
  enc_int(&start, 10);
  enc_int(&v, 12);
  assert_string_equal(verdict("count", &now, &start, &v, false), "admitted");
  enc_int(&v, 9);
  assert_string_equal(verdict("count", &now, &start, &v, false), "monotonic");
  assert_string_equal(verdict("count", &now, &start, NULL, false),
                      "monotonic");
  /* max-change: measured from the cycle's start, not the last write. */
  enc_int(&v, 15);
  assert_string_equal(verdict("count", &now, &start, &v, false), "admitted");
  enc_int(&now, 14);
  enc_int(&v, 16);
  assert_string_equal(verdict("count", &now, &start, &v, false),
                      "max-change");
  /* immutable: the first set, and the same value again, pass. */
  enc_text(&v, "abc");
  assert_string_equal(verdict("name", NULL, NULL, &v, false), "admitted");
  enc_text(&now, "abc");
  assert_string_equal(verdict("name", &now, &now, &v, false), "admitted");
  enc_text(&v, "abd");
  assert_string_equal(verdict("name", &now, &now, &v, false), "immutable");
  assert_string_equal(verdict("name", &now, &now, NULL, false), "immutable");
  /* owner-only */
  weft__uval_t b = {.type = WEFT__UV_BOOL, .i = 1};
  v.len = 0;
  weft__uval_encode(&b, &v);
  assert_string_equal(verdict("flag", NULL, NULL, &v, false), "owner-only");
  assert_string_equal(verdict("flag", NULL, NULL, &v, true), "admitted");
  weft__buf_release(&now);
  weft__buf_release(&start);
  weft__buf_release(&v);
}

static void who_and_messages(void **state) {
  (void)state;
  weft__ukey_t a, b;
  weft__ukey_generate(&a);
  weft__ukey_generate(&b);
  char hex[65], text[256];
  weft__hex(b.pk, 32, hex);
  snprintf(text, sizeof text,
           "hosts = [\"%s\"]\n[messages.pay]\nsenders = [\"owner\"]\n"
           "[messages.ping]\nsenders = \"any\"\n", hex);
  weft__upolicy_t *p;
  weft_error_t err = {0};
  assert_int_equal(weft__upolicy_parse(text, strlen(text), "P.toml", schema,
                                       &p, &err), 0);
  assert_true(weft__uwho_has(&p->hosts, a.pk, b.pk));
  assert_false(weft__uwho_has(&p->hosts, a.pk, a.pk));
  assert_true(weft__upolicy_may_send(p, a.pk, "pay", a.pk));
  assert_false(weft__upolicy_may_send(p, a.pk, "pay", b.pk));
  assert_true(weft__upolicy_may_send(p, a.pk, "ping", b.pk));
  assert_false(weft__upolicy_may_send(p, a.pk, "other", a.pk));
  assert_true(weft__uwho_has(&p->admins, a.pk, a.pk)); /* default: owner */
  weft__upolicy_free(p);
  /* A message's signature covers the unit, the kind and the body. */
  uint8_t unit[32] = {1};
  weft__umsg_t m = {.kind = (char *)"pay", .body = (uint8_t *)"10",
                    .body_len = 2, .nonce = 7};
  assert_int_equal(weft__umsg_sign(unit, &m, &a), 0);
  assert_int_equal(weft__umsg_sig_ok(unit, &m), 0);
  m.body = (uint8_t *)"11";
  assert_int_not_equal(weft__umsg_sig_ok(unit, &m), 0);
  m.body = (uint8_t *)"10";
  unit[0] = 2;
  assert_int_not_equal(weft__umsg_sig_ok(unit, &m), 0);
}

static void merkle(void **state) {
  (void)state;
  weft__merkle_t inc = {0}, full = {0};
  uint8_t h[40][32], r1[32], r2[32];
  for (int i = 0; i < 40; i++)
    weft__uhash(h[i], WEFT__H_PAGE, 1, &i, sizeof i);
  assert_int_equal(weft__merkle_resize(&inc, 37), 0);
  for (int i = 0; i < 37; i++)
    weft__merkle_set(&inc, (size_t)i, h[i]);
  /* Grow to 40 leaves and change one: equal to building from scratch. */
  assert_int_equal(weft__merkle_resize(&inc, 40), 0);
  for (int i = 37; i < 40; i++)
    weft__merkle_set(&inc, (size_t)i, h[i]);
  weft__merkle_set(&inc, 5, h[0]);
  assert_int_equal(weft__merkle_resize(&full, 40), 0);
  for (int i = 0; i < 40; i++)
    weft__merkle_set_leaf(&full, (size_t)i, i == 5 ? h[0] : h[i]);
  weft__merkle_build(&full);
  weft__merkle_root(&inc, r1);
  weft__merkle_root(&full, r2);
  assert_memory_equal(r1, r2, 32);
  weft__merkle_set(&full, 6, h[0]);
  weft__merkle_root(&full, r2);
  assert_memory_not_equal(r1, r2, 32);
  weft__merkle_release(&inc);
  weft__merkle_release(&full);
}

static void entry_chain(void **state) {
  (void)state;
  weft__ukey_t k;
  weft__ukey_generate(&k);
  weft__uentry_t e = {0};
  e.seq = 3;
  e.kind = WEFT__E_CYCLE;
  e.time_ms = 1000;
  e.note = weft__strdup("ok");
  assert_int_equal(weft__uentry_seal(&e, &k), 0);
  assert_int_equal(weft__uentry_sig_ok(&e), 0);
  uint8_t h[32];
  memcpy(h, e.hash, 32);
  /* Every field is covered: change each, the hash changes. */
  uint8_t *fields[] = {e.prev, e.seed, e.mem_root, e.kv_root, e.root,
                       e.host};
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
    fields[i][0] ^= 1;
    weft__uentry_hash(&e);
    assert_memory_not_equal(h, e.hash, 32);
    fields[i][0] ^= 1;
  }
  e.time_ms++;
  weft__uentry_hash(&e);
  assert_memory_not_equal(h, e.hash, 32);
  e.time_ms--;
  weft__uentry_hash(&e);
  assert_memory_equal(h, e.hash, 32);
  e.sig[0] ^= 1;
  assert_int_not_equal(weft__uentry_sig_ok(&e), 0);
  weft__uentry_release(&e);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(encoding),     cmocka_unit_test(parsers_name_file_line),
      cmocka_unit_test(schema_rules), cmocka_unit_test(policy_rules),
      cmocka_unit_test(who_and_messages), cmocka_unit_test(merkle),
      cmocka_unit_test(entry_chain),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

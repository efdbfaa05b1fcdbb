/* unit_redis_test.c - units in Redis (src/unit/store_redis.c) against a
 * real redis-server: a pushed unit reads back as the file (same head,
 * state, memory, entries) and verifies; the lease is exclusive; a commit
 * without the lease, or from a head that moved, is refused and changes
 * nothing; a host that finds the head moved reloads and goes on; Redis
 * killed is a clear WEFT_EIO naming the server, and the next call after a
 * restart connects again. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "testlib.h"
#include "unit/unit.h"

static redis_server_t redis = {.pid = -1};
static char dir[] = "/tmp/weft-unit-redis-XXXXXX";
static char file[64], url[128];
static weft__ukey_t owner, host_a, host_b;

static int setup(void **state) {
  (void)state;
  weft_error_t err = {0};
  if (weft__unit_init(&err) < 0 || !mkdtemp(dir))
    return -1;
  if ((redis.port = free_port()) < 0 || redis_server_start(&redis) < 0) {
    fprintf(stderr, "cannot start %s\n", REDIS_SERVER);
    return -1;
  }
  weft__ukey_generate(&owner);
  weft__ukey_generate(&host_a);
  weft__ukey_generate(&host_b);
  /* A unit file: any code (nothing here runs it), one memory page with
   * some bytes set, a schema of one integer, the default policy. */
  static uint8_t mem[65536];
  memcpy(mem + 100, "weft", 4);
  static const uint8_t code[] = {0, 'a', 's', 'm', 1, 0, 0, 0};
  weft__unew_t n = {.code = code, .code_len = sizeof code,
                    .schema_text = "[key.n]\ntype = \"integer\"\n",
                    .policy_text = "", .owner = &owner, .mem_pages = 1,
                    .mem = mem, .time_ms = 1000};
  snprintf(file, sizeof file, "%s/u.unit", dir);
  snprintf(url, sizeof url, "redis://127.0.0.1:%d/u", redis.port);
  if (weft__unitfile_create(file, &n, &err) < 0) {
    fprintf(stderr, "%s\n", err.msg);
    return -1;
  }
  return 0;
}

static int teardown(void **state) {
  (void)state;
  redis_server_kill(&redis);
  unlink(file);
  rmdir(dir);
  return 0;
}

/* The cycle after u's head setting n = v, sealed by `k`; `prev` NULL:
 * the head's hash. */
static void make_cycle(weft__unitfile_t *u, int64_t v, const uint8_t *prev,
                       const weft__ukey_t *k, weft__uentry_t *e) {
  memset(e, 0, sizeof *e);
  weft__buf_t b;
  weft__buf_init(&b);
  weft__uval_t val = {.type = WEFT__UV_INT, .i = v};
  assert_int_equal(weft__uval_encode(&val, &b), 0);
  weft__ustate_t st = {0};
  assert_int_equal(weft__ustate_copy(&st, &u->state), 0);
  assert_int_equal(weft__ustate_put(&st, "n", (uint8_t *)b.data, b.len), 0);
  e->seq = u->head.seq + 1;
  e->kind = WEFT__E_CYCLE;
  memcpy(e->prev, prev ? prev : u->head.hash, WEFT__HASH_LEN);
  e->time_ms = u->head.time_ms + 1;
  e->nmuts = 1;
  e->muts = calloc(1, sizeof *e->muts);
  e->muts[0].key = weft__strdup("n");
  e->muts[0].val = (uint8_t *)b.data; /* the entry owns it now */
  e->muts[0].val_len = b.len;
  e->muts[0].admitted = true;
  e->note = weft__strdup("ok");
  e->mem_pages = u->mem_pages;
  weft__merkle_root(&u->mem_tree, e->mem_root);
  weft__ustate_root(&st, e->kv_root);
  weft__state_root(e->mem_pages, e->mem_root, u->globals, u->globals_len,
                   e->kv_root, e->root);
  assert_int_equal(weft__uentry_seal(e, k), 0);
  weft__ustate_release(&st);
}

static int commit(weft__unitfile_t *u, weft__uentry_t *e, weft_error_t *err) {
  weft__ucommit_t c = {.entry = e};
  return weft__unitfile_commit(u, &c, err);
}

static void push_and_read_back(void **state) {
  (void)state;
  weft_error_t err = {0};
  weft__unitfile_t *f = NULL, *r = NULL;
  assert_int_equal(weft__unitfile_open(file, &f, &err), 0);
  assert_int_equal(weft__uredis_push(f, url, &err), 0);
  assert_int_equal(weft__uredis_push(f, url, &err), WEFT_EINVAL);
  assert_non_null(strstr(err.msg, "holds a unit already"));
  assert_int_equal(weft__unitfile_open(url, &r, &err), 0);
  assert_memory_equal(r->unit_id, f->unit_id, WEFT__HASH_LEN);
  assert_memory_equal(r->head.hash, f->head.hash, WEFT__HASH_LEN);
  assert_memory_equal(r->head.sig, f->head.sig, WEFT__SIG_LEN);
  assert_int_equal(weft__unitfile_count(r), 1);
  assert_int_equal(r->code_len, f->code_len);
  assert_string_equal(r->schema_text, f->schema_text);
  uint8_t *m1 = malloc(65536), *m2 = malloc(65536);
  assert_int_equal(weft__unitfile_read_memory(f, m1, &err), 0);
  assert_int_equal(weft__unitfile_read_memory(r, m2, &err), 0);
  assert_memory_equal(m1, m2, 65536);
  assert_memory_equal(m2 + 100, "weft", 4);
  free(m1);
  free(m2);
  assert_int_equal(weft__unit_check_head(r, &err), 0);
  weft__uverify_opts_t o = {0};
  assert_int_equal(weft__unit_verify(r, &o, &err), 0);
  /* A file needs no lease. */
  assert_int_equal(weft__unit_lease(f, 1000, &err), 0);
  weft__unitfile_close(f);
  weft__unitfile_close(r);
  /* Bad addresses say what an address is. */
  assert_int_equal(weft__unitfile_open("redis://127.0.0.1:1", &r, &err),
                   WEFT_EINVAL);
  assert_non_null(strstr(err.msg, "/NAME"));
  assert_int_equal(weft__unitfile_open("redis://127.0.0.1:1/a{b", &r, &err),
                   WEFT_EINVAL);
}

static void leases_and_compare_and_set(void **state) {
  (void)state;
  weft_error_t err = {0};
  weft__unitfile_t *a = NULL, *b = NULL;
  weft__uentry_t e;
  assert_int_equal(weft__unitfile_open(url, &a, &err), 0);
  assert_int_equal(weft__unitfile_open(url, &b, &err), 0);
  /* No lease: refused, nothing changes. */
  make_cycle(a, 1, NULL, &host_a, &e);
  assert_int_equal(commit(a, &e, &err), WEFT_EINVAL);
  assert_non_null(strstr(err.msg, "lease"));
  /* The lease is one host's at a time. */
  assert_int_equal(weft__unit_lease(a, 5000, &err), 0);
  assert_int_equal(weft__unit_lease(b, 5000, &err), 2);
  assert_int_equal(weft__unit_lease_renew(a, 5000, &err), 0);
  assert_int_equal(weft__unit_lease_renew(b, 5000, &err), WEFT_EINVAL);
  /* A commit from a head that is not the stored one: refused. */
  weft__uentry_t bad;
  uint8_t other[WEFT__HASH_LEN] = {1};
  make_cycle(a, 1, other, &host_a, &bad);
  assert_int_equal(commit(a, &bad, &err), WEFT_EINVAL);
  assert_non_null(strstr(err.msg, "head moved"));
  assert_true(weft__unit_lost_race(a));
  assert_false(weft__unit_lost_race(a));
  weft__uentry_release(&bad);
  assert_int_equal(commit(a, &e, &err), 0);
  weft__uentry_release(&e);
  weft__unit_lease_release(a);
  /* b is behind: its lease says so, and b reloads and goes on. */
  assert_int_equal(weft__unit_lease(b, 5000, &err), 1);
  assert_int_equal(weft__unit_reload(b, &err), 0);
  assert_int_equal(weft__unit_check_head(b, &err), 0);
  assert_int_equal(b->head.seq, 1);
  assert_int_equal(weft__unit_lease(b, 5000, &err), 0);
  make_cycle(b, 2, NULL, &host_b, &e);
  assert_int_equal(commit(b, &e, &err), 0);
  weft__uentry_release(&e);
  /* a, behind now, cannot commit even with b's lease gone. */
  weft__unit_lease_release(b);
  make_cycle(a, 5, NULL, &host_a, &e);
  assert_int_equal(commit(a, &e, &err), WEFT_EINVAL);
  weft__uentry_release(&e);
  weft__unitfile_close(a);
  weft__unitfile_close(b);
  /* One lineage of three entries, from two hosts, that verifies. */
  assert_int_equal(weft__unitfile_open(url, &a, &err), 0);
  assert_int_equal(weft__unitfile_count(a), 3);
  weft__uverify_opts_t o = {0};
  assert_int_equal(weft__unit_verify(a, &o, &err), 0);
  const weft__ustate_ent_t *n = weft__ustate_get(&a->state, "n");
  assert_non_null(n);
  weft__unitfile_close(a);
}

static void redis_down_and_back(void **state) {
  (void)state;
  weft_error_t err = {0};
  weft__unitfile_t *a = NULL;
  assert_int_equal(weft__unitfile_open(url, &a, &err), 0);
  redis_server_kill(&redis);
  assert_int_equal(weft__unit_lease(a, 5000, &err), WEFT_EIO);
  char where[64];
  snprintf(where, sizeof where, "redis://127.0.0.1:%d", redis.port);
  assert_non_null(strstr(err.msg, where));
  assert_int_equal(weft__unit_lease(a, 5000, &err), WEFT_EIO);
  assert_non_null(strstr(err.msg, "cannot connect"));
  /* Back (empty: no persistence here): the next call connects again. */
  assert_int_equal(redis_server_start(&redis), 0);
  assert_int_equal(weft__unit_lease(a, 5000, &err), WEFT_ENOENT);
  assert_non_null(strstr(err.msg, "no such unit"));
  weft__unitfile_close(a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(push_and_read_back),
      cmocka_unit_test(leases_and_compare_and_set),
      cmocka_unit_test(redis_down_and_back),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

/* kv_test.c - key-value stores (src/trigger/kv*.c):
 *
 *  - the SQLite backend on a temporary file: set, get, overwrite, delete,
 *    exists, get-keys, values with NUL bytes, a 1 MiB value, values found
 *    again after reopening, four threads writing at once;
 *  - the Redis backend against a real redis-server the test starts on a
 *    free loopback port in a temporary directory (killed however the test
 *    ends): the same operations, SCAN over many keys, a database chosen
 *    by the URL, the server killed and started again mid-test (the store
 *    reports the outage, then reconnects), a server that does not answer
 *    (a timeout, not a hang); skipped with a message
 *    when redis-server is not installed;
 *  - both guest interfaces end to end through a real guest
 *    (tests/guests/http_kv.c, world http-trigger of wit/spin): grants
 *    (access-denied), labels no backend defines (no-such-store), the cap
 *    of open stores and its reset, invalid handles, presets, a Redis store
 *    that is down, and four threads of instances writing at once.
 *
 * Run from the repository root; BUILD names the build directory. */
#include <dirent.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "app/runtime_config.h"
#include "testlib.h"
#include "trigger/kv.h"
#include "trigger/kv_backend.h"
#include "util/util.h"

static char tmp[256]; /* this run's temporary directory */

/* `tmp`/`name` into out[cap]. */
static const char *in_tmp(char *out, size_t cap, const char *name) {
  snprintf(out, cap, "%s/%s", tmp, name);
  return out;
}

/* Remove `dir` and everything below it. */
static void rm_tree(const char *dir) {
  DIR *d = opendir(dir);
  struct dirent *e;
  while (d && (e = readdir(d))) {
    char p[1024];
    struct stat st;
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
      continue;
    snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
    if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
      rm_tree(p);
    else
      unlink(p);
  }
  if (d)
    closedir(d);
  rmdir(dir);
}

/* ---- store helpers: each fails the test on an unexpected error ---------- */

static void must(int rc, const weft_error_t *err) {
  if (rc < 0)
    fail_msg("unexpected error %d: %s", rc, err->msg);
}

static void put(const weft__kv_ops_t *ops, weft__kv_store_t *s, const char *key,
                const void *v, size_t n) {
  weft_error_t err = {0};
  must(ops->set(s, key, strlen(key), v, n, &err), &err);
}

static void put_str(const weft__kv_ops_t *ops, weft__kv_store_t *s,
                    const char *key, const char *v) {
  put(ops, s, key, v, strlen(v));
}

/* The value of `key` as a new string (the bytes, NUL-terminated), or NULL
 * when there is none. */
static char *get_str(const weft__kv_ops_t *ops, weft__kv_store_t *s,
                     const char *key, size_t *len) {
  weft_error_t err = {0};
  weft__buf_t b;
  weft__buf_init(&b);
  int rc = ops->get(s, key, strlen(key), &b, &err);
  if (rc == WEFT_ENOTFOUND) {
    weft__buf_release(&b);
    return NULL;
  }
  must(rc, &err);
  if (len)
    *len = b.len;
  if (!b.data)
    return strdup("");
  return b.data;
}

static bool has(const weft__kv_ops_t *ops, weft__kv_store_t *s,
                const char *key) {
  weft_error_t err = {0};
  bool there = true;
  must(ops->exists(s, key, strlen(key), &there, &err), &err);
  return there;
}

/* Every key, joined by ',' in the order the backend gave (a new string). */
static char *keys_str(const weft__kv_ops_t *ops, weft__kv_store_t *s,
                      size_t *count) {
  weft_error_t err = {0};
  weft__kv_keys_t k = {0};
  weft__buf_t b;
  must(ops->get_keys(s, &k, &err), &err);
  weft__buf_init(&b);
  weft__buf_puts(&b, "");
  for (size_t i = 0; i < k.len; i++) {
    size_t start = i ? k.ends[i - 1] : 0;
    if (i)
      weft__buf_puts(&b, ",");
    weft__buf_add(&b, k.bytes.data + start, k.ends[i] - start);
  }
  if (count)
    *count = k.len;
  weft__kv_keys_release(&k);
  return b.data;
}

/* The operations every backend must get right, on an empty store. */
static void check_basics(const weft__kv_ops_t *ops, weft__kv_store_t *s) {
  weft_error_t err = {0};
  char *v, *keys;
  size_t len = 0;
  assert_null(get_str(ops, s, "a", NULL));
  assert_false(has(ops, s, "a"));
  put_str(ops, s, "a", "1");
  assert_string_equal(v = get_str(ops, s, "a", NULL), "1");
  free(v);
  assert_true(has(ops, s, "a"));
  put_str(ops, s, "a", "two");
  assert_string_equal(v = get_str(ops, s, "a", NULL), "two");
  free(v);
  put_str(ops, s, "b", "");
  assert_string_equal(v = get_str(ops, s, "b", &len), "");
  assert_int_equal(len, 0);
  free(v);
  assert_true(has(ops, s, "b"));
  assert_string_equal(keys = keys_str(ops, s, NULL), "a,b");
  free(keys);
  must(ops->del(s, "a", 1, &err), &err);
  must(ops->del(s, "never-there", 11, &err), &err);
  assert_null(get_str(ops, s, "a", NULL));
  assert_false(has(ops, s, "a"));
  assert_string_equal(keys = keys_str(ops, s, NULL), "b");
  free(keys);
  /* Binary values keep their NUL bytes; keys may hold NUL too. */
  static const char bin[] = {'x', 0, 'y', 0, 0, (char)0xff};
  put(ops, s, "bin", bin, sizeof bin);
  assert_non_null(v = get_str(ops, s, "bin", &len));
  assert_int_equal(len, sizeof bin);
  assert_memory_equal(v, bin, sizeof bin);
  free(v);
  must(ops->set(s, "k\0z", 3, "nul-key", 7, &err), &err);
  weft__buf_t b;
  weft__buf_init(&b);
  must(ops->get(s, "k\0z", 3, &b, &err), &err);
  assert_int_equal(b.len, 7);
  weft__buf_release(&b);
  assert_int_equal(ops->get(s, "k", 1, &b, &err), WEFT_ENOTFOUND);
  must(ops->del(s, "k\0z", 3, &err), &err);
  /* A 1 MiB value. */
  size_t big = 1u << 20;
  char *data = malloc(big);
  assert_non_null(data);
  for (size_t i = 0; i < big; i++)
    data[i] = (char)(i * 7 + i / 251);
  put(ops, s, "big", data, big);
  assert_non_null(v = get_str(ops, s, "big", &len));
  assert_int_equal(len, big);
  assert_memory_equal(v, data, big);
  free(v);
  free(data);
}

/* ---- SQLite ------------------------------------------------------------- */

static weft__kv_store_t *sqlite_open_at(const char *path) {
  weft_error_t err = {0};
  weft__kv_store_t *s = NULL;
  must(weft__kv_sqlite.open(path, &s, &err), &err);
  return s;
}

static void test_sqlite_basics(void **state) {
  (void)state;
  char path[512];
  /* The directory of the file is made as needed. */
  weft__kv_store_t *s =
      sqlite_open_at(in_tmp(path, sizeof path, "basics/deeper/kv.db"));
  check_basics(&weft__kv_sqlite, s);
  weft__kv_sqlite.close(s);
}

static void test_sqlite_reopen(void **state) {
  (void)state;
  char path[512], *v;
  in_tmp(path, sizeof path, "reopen.db");
  weft__kv_store_t *s = sqlite_open_at(path);
  put_str(&weft__kv_sqlite, s, "count", "41");
  put(&weft__kv_sqlite, s, "bin", "a\0b", 3);
  weft__kv_sqlite.close(s);
  s = sqlite_open_at(path);
  assert_string_equal(v = get_str(&weft__kv_sqlite, s, "count", NULL), "41");
  free(v);
  size_t len = 0;
  assert_non_null(v = get_str(&weft__kv_sqlite, s, "bin", &len));
  assert_int_equal(len, 3);
  assert_memory_equal(v, "a\0b", 3);
  free(v);
  weft__kv_sqlite.close(s);
}

static void test_sqlite_bad_path(void **state) {
  (void)state;
  char path[512];
  weft_error_t err = {0};
  weft__kv_store_t *s = NULL;
  /* A file where the directory should be. */
  FILE *f = fopen(in_tmp(path, sizeof path, "plain-file"), "w");
  assert_non_null(f);
  fclose(f);
  in_tmp(path, sizeof path, "plain-file/kv.db");
  assert_true(weft__kv_sqlite.open(path, &s, &err) < 0);
  assert_null(s);
  assert_non_null(strstr(err.msg, "plain-file"));
}

typedef struct writer {
  const weft__kv_ops_t *ops;
  weft__kv_store_t *s;
  int id, n, failures;
} writer_t;

static void *write_many(void *p) {
  writer_t *w = p;
  for (int i = 0; i < w->n; i++) {
    char key[32], val[32];
    weft_error_t err = {0};
    snprintf(key, sizeof key, "t%d-%03d", w->id, i);
    snprintf(val, sizeof val, "%d", i * w->id);
    if (w->ops->set(w->s, key, strlen(key), val, strlen(val), &err) < 0)
      w->failures++;
    weft__buf_t b;
    weft__buf_init(&b);
    if (w->ops->get(w->s, key, strlen(key), &b, &err) < 0 ||
        b.len != strlen(val) || memcmp(b.data, val, b.len))
      w->failures++;
    weft__buf_release(&b);
  }
  return NULL;
}

/* Four threads write and read their own keys at once; all land. */
static void concurrent_writers(const weft__kv_ops_t *ops, weft__kv_store_t *s) {
  pthread_t th[4];
  writer_t w[4];
  for (int i = 0; i < 4; i++) {
    w[i] = (writer_t){ops, s, i + 1, 200, 0};
    assert_int_equal(pthread_create(&th[i], NULL, write_many, &w[i]), 0);
  }
  for (int i = 0; i < 4; i++) {
    pthread_join(th[i], NULL);
    assert_int_equal(w[i].failures, 0);
  }
  size_t n = 0;
  free(keys_str(ops, s, &n));
  assert_int_equal(n, 800);
  char *v = get_str(ops, s, "t3-150", NULL);
  assert_string_equal(v, "450");
  free(v);
}

static void test_sqlite_concurrent(void **state) {
  (void)state;
  char path[512];
  weft__kv_store_t *s = sqlite_open_at(in_tmp(path, sizeof path, "conc.db"));
  concurrent_writers(&weft__kv_sqlite, s);
  weft__kv_sqlite.close(s);
}

/* ---- a real redis-server ------------------------------------------------ */

/* Started in `tmp` by redis_setup, killed by redis_teardown. */
static redis_server_t redis = {.pid = -1, .dir = tmp};

static int redis_setup(void **state) {
  (void)state;
  if (access(REDIS_SERVER, X_OK) != 0)
    return 0; /* the test skips */
  redis.port = free_port();
  if (redis.port < 0 || redis_server_start(&redis) < 0) {
    redis_server_kill(&redis);
    fprintf(stderr, "setup: cannot start %s on port %d\n", REDIS_SERVER,
            redis.port);
    return -1;
  }
  return 0;
}

static int redis_teardown(void **state) {
  (void)state;
  redis_server_kill(&redis);
  return 0;
}

static void skip_without_redis(void) {
  if (access(REDIS_SERVER, X_OK) != 0) {
    print_message("%s is not installed: Redis tests skipped\n", REDIS_SERVER);
    skip();
  }
}

/* A Redis store on database `db` of the test's server (skipping the test
 * when redis-server is not installed). */
static weft__kv_store_t *redis_store(int db) {
  weft_error_t err = {0};
  weft__kv_store_t *s = NULL;
  char url[128];
  skip_without_redis();
  if (db)
    snprintf(url, sizeof url, "redis://127.0.0.1:%d/%d", redis.port, db);
  else
    snprintf(url, sizeof url, "redis://127.0.0.1:%d", redis.port);
  must(weft__kv_redis.open(url, &s, &err), &err);
  return s;
}

/* GET through a plain client, as a new string or NULL. */
static char *server_get(int db, const char *key) {
  redisContext *c = redis_client(&redis);
  assert_non_null(c);
  redisReply *r = db ? redisCommand(c, "SELECT %d", db) : NULL;
  if (r)
    freeReplyObject(r);
  r = redisCommand(c, "GET %s", key);
  char *v = r && r->type == REDIS_REPLY_STRING ? strdup(r->str) : NULL;
  if (r)
    freeReplyObject(r);
  redisFree(c);
  return v;
}

static void test_redis_basics(void **state) {
  (void)state;
  char *v;
  weft__kv_store_t *s = redis_store(0);
  check_basics(&weft__kv_redis, s);
  /* Plain keys, as Spin's Redis store has them. */
  assert_string_equal(v = server_get(0, "b"), "");
  free(v);
  weft__kv_redis.close(s);
}

/* More keys than one SCAN step returns, each listed once. */
static void test_redis_many_keys(void **state) {
  (void)state;
  weft__kv_store_t *s = redis_store(3);
  for (int i = 0; i < 2500; i++) {
    char key[16];
    snprintf(key, sizeof key, "k%04d", i);
    put_str(&weft__kv_redis, s, key, "x");
  }
  size_t n = 0;
  char *keys = keys_str(&weft__kv_redis, s, &n);
  assert_int_equal(n, 2500);
  assert_true(!strncmp(keys, "k0000,k0001,", 12));
  free(keys);
  weft__kv_redis.close(s);
  /* They went to database 3, not 0. */
  char *v = server_get(3, "k0042");
  assert_string_equal(v, "x");
  free(v);
  assert_null(server_get(0, "k0042"));
}

static void test_redis_concurrent(void **state) {
  (void)state;
  weft__kv_store_t *s = redis_store(4);
  concurrent_writers(&weft__kv_redis, s);
  weft__kv_redis.close(s);
}

/* Get `key` from Redis store `s`, the value dropped: the backend's rc,
 * and its message in *err. */
static int redis_try_get(weft__kv_store_t *s, const char *key,
                         weft_error_t *err) {
  weft__buf_t b;
  weft__buf_init(&b);
  int rc = weft__kv_redis.get(s, key, strlen(key), &b, err);
  weft__buf_release(&b);
  return rc;
}

/* The server goes away and comes back: operations fail meanwhile, with a
 * message, then the store reconnects by itself, also when its old
 * connection looks fine until it is used. */
static void test_redis_restart(void **state) {
  (void)state;
  char *v;
  weft_error_t err = {0};
  weft__kv_store_t *s = redis_store(0);
  put_str(&weft__kv_redis, s, "before", "1");
  redis_server_kill(&redis);
  int rc = redis_try_get(s, "before", &err);
  assert_int_equal(rc, WEFT_EIO);
  print_message("while down: %s\n", err.msg);
  assert_non_null(strstr(err.msg, "refused"));
  rc = weft__kv_redis.set(s, "x", 1, "y", 1, &err);
  assert_int_equal(rc, WEFT_EIO);
  assert_int_equal(redis_server_start(&redis), 0);
  put_str(&weft__kv_redis, s, "after", "2");
  assert_string_equal(v = get_str(&weft__kv_redis, s, "after", NULL), "2");
  free(v);
  /* Restarted under a live connection: the first command finds it broken,
   * reconnects and is tried again. */
  redis_server_kill(&redis);
  assert_int_equal(redis_server_start(&redis), 0);
  put_str(&weft__kv_redis, s, "again", "3");
  assert_string_equal(v = server_get(0, "again"), "3");
  free(v);
  weft__kv_redis.close(s);
}

/* A server that accepts connections but does not answer (stopped): the
 * command times out with a message instead of hanging, and the store
 * works again once the server does. */
static void test_redis_stuck(void **state) {
  (void)state;
  char *v;
  weft_error_t err = {0};
  weft__kv_store_t *s = redis_store(0);
  put_str(&weft__kv_redis, s, "k", "v");
  assert_int_equal(kill(redis.pid, SIGSTOP), 0);
  int rc = redis_try_get(s, "k", &err);
  kill(redis.pid, SIGCONT);
  assert_int_equal(rc, WEFT_EIO);
  print_message("while stuck: %s\n", err.msg);
  assert_non_null(strstr(err.msg, "no answer in time"));
  assert_string_equal(v = get_str(&weft__kv_redis, s, "k", NULL), "v");
  free(v);
  weft__kv_redis.close(s);
}

static void test_redis_bad_url(void **state) {
  (void)state;
  weft_error_t err = {0};
  weft__kv_store_t *s = NULL;
  assert_int_equal(weft__kv_redis.open("http://x", &s, &err), WEFT_EINVAL);
  assert_null(s);
  assert_non_null(strstr(err.msg, "bad redis address"));
}

/* ---- the guest interfaces ----------------------------------------------- */

static weft_engine_t *engine;
static weft_module_t *module;
static weft_wit_t *wit;
static weft_linker_t *linker;
static weft__runtime_config_t *rtc;
static weft__kv_t *kv;

static weft__manifest_str_t granted[] = {{"default", {NULL, 0}},
                                         {"other", {NULL, 0}},
                                         {"missing", {NULL, 0}},
                                         {"down", {NULL, 0}}};
static weft__manifest_component_t comp = {.id = "kv-guest",
                                          .key_value_stores = {granted, 4}};

static int guest_setup(void **state) {
  (void)state;
  char file[512], dbpath[512];
  /* `other` is a second SQLite file, `secret` one the component may not
   * use, `down` a Redis server that is not there. */
  FILE *f = fopen(in_tmp(file, sizeof file, "runtime-config.toml"), "w");
  if (!f)
    return -1;
  fprintf(f,
          "[key_value_store.other]\ntype = \"sqlite\"\npath = \"other.db\"\n"
          "[key_value_store.secret]\ntype = \"spin\"\n"
          "[key_value_store.down]\ntype = \"redis\"\n"
          "url = \"redis://127.0.0.1:%d\"\n",
          free_port());
  fclose(f);
  weft_error_t err = {0};
  const char *presets[] = {"preset=41", "empty="};
  weft__kv_config_t cfg = {
      .default_path = in_tmp(dbpath, sizeof dbpath, "app/.weft/default.db"),
      .presets = presets,
      .npresets = 2};
  weft_wasi_config_t wasi = {.stdin_fd = -1, .stdout_fd = 1, .stderr_fd = 2};
  if (weft__runtime_config_load(file, &rtc, &err) < 0)
    goto fail;
  cfg.runtime = rtc;
  if (weft__kv_new(&cfg, &kv, &err) < 0 || !(engine = test_engine_new(&err)) ||
      !(module = test_guest_load(engine, "http_kv", &err)) ||
      !(wit = weft_wit_load("wit/spin", &err)) ||
      !(linker = weft_linker_new(engine)) ||
      weft_linker_define_wasi(linker, &wasi, &err) < 0 ||
      weft_linker_use_world(linker, wit, "http-trigger", &err) < 0 ||
      weft__kv_define(linker, kv, &comp, &err) < 0 ||
      weft_linker_define_wit_traps(linker, &err) < 0)
    goto fail;
  return 0;
fail:
  fprintf(stderr, "setup: %s\n", err.msg);
  return -1;
}

static int guest_teardown(void **state) {
  (void)state;
  weft_linker_free(linker);
  weft_wit_free(wit);
  weft_module_free(module);
  weft_engine_free(engine);
  weft__kv_free(kv);
  weft__runtime_config_free(rtc);
  return 0;
}

enum { GET = 0, POST = 1 };

/* A response: its status and body (NUL-terminated). */
typedef struct resp {
  int status;
  char body[512];
  size_t len;
} resp_t;

/* Call handle-request on `inst` with `method`, `uri`, the x-store header
 * when `store` is not NULL, and `body` when not NULL, into *r. Any
 * thread may call it. */
static int call_try(weft_instance_t *inst, int method, const char *uri,
                    const char *store, const char *body, resp_t *r,
                    weft_error_t *err) {
  weft_val_t hdr[2] = {{.kind = WEFT_VAL_STRING}, {.kind = WEFT_VAL_STRING}};
  hdr[0].of.str.ptr = "x-store";
  hdr[0].of.str.len = 7;
  hdr[1].of.str.ptr = store ? store : "";
  hdr[1].of.str.len = store ? strlen(store) : 0;
  weft_val_t tuple = {.kind = WEFT_VAL_TUPLE, .of.list = {hdr, 2}};
  weft_val_t bytes = {.kind = WEFT_VAL_LIST};
  bytes.of.bytes.ptr = (const uint8_t *)(body ? body : "");
  bytes.of.bytes.len = body ? strlen(body) : 0;
  weft_val_t f[5] = {
      {.kind = WEFT_VAL_ENUM, .of.var = {(uint32_t)method, NULL}},
      {.kind = WEFT_VAL_STRING, .of.str = {uri, strlen(uri)}},
      {.kind = WEFT_VAL_LIST, .of.list = {&tuple, store ? 1 : 0}},
      {.kind = WEFT_VAL_LIST, .of.list = {NULL, 0}},
      {.kind = WEFT_VAL_OPTION, .of.var = {body ? 1 : 0, &bytes}}};
  weft_val_t req = {.kind = WEFT_VAL_RECORD, .of.list = {f, 5}}, res;
  memset(r, 0, sizeof *r);
  int rc = weft_call(inst, "fermyon:spin/inbound-http#handle-request", &req, 1,
                     &res, 1, err);
  if (rc < 0)
    return rc;
  r->status = res.of.list.ptr[0].of.u16;
  const weft_val_t *ob = &res.of.list.ptr[2];
  if (ob->of.var.tag) {
    r->len = ob->of.var.val->of.bytes.len;
    if (r->len >= sizeof r->body)
      r->len = sizeof r->body - 1;
    memcpy(r->body, ob->of.var.val->of.bytes.ptr, r->len);
  }
  r->body[r->len] = 0;
  return 0;
}

/* call_try on the test's thread, failing the test on an error. */
static resp_t call(weft_instance_t *inst, int method, const char *uri,
                   const char *store, const char *body) {
  weft_error_t err = {0};
  resp_t r;
  if (call_try(inst, method, uri, store, body, &r, &err) < 0)
    fail_msg("%s %s: %s", method == GET ? "GET" : "POST", uri, err.msg);
  return r;
}

/* One request on a clean instance, as the HTTP trigger makes them. */
static resp_t request(weft_instance_t *inst, int method, const char *uri,
                      const char *store, const char *body) {
  weft_error_t err = {0};
  if (weft_instance_reset(inst, &err) < 0)
    fail_msg("reset: %s", err.msg);
  return call(inst, method, uri, store, body);
}

#define EXPECT(r, code, text)                                                  \
  do {                                                                         \
    resp_t r_ = (r);                                                           \
    if (r_.status != (code) || strcmp(r_.body, (text)))                        \
      fail_msg("got %d '%s', expected %d '%s'", r_.status, r_.body, (code),    \
               (text));                                                        \
  } while (0)

static weft_instance_t *new_instance(void) {
  weft_error_t err = {0};
  weft_instance_t *inst = weft_instance_new(linker, module, NULL, &err);
  if (!inst)
    fail_msg("instance: %s", err.msg);
  return inst;
}

static void test_guest_v2(void **state) {
  (void)state;
  weft_instance_t *inst = new_instance();
  EXPECT(request(inst, GET, "/get/v2", NULL, NULL), 404, "none");
  EXPECT(request(inst, POST, "/set/v2", NULL, "hello"), 200, "ok");
  EXPECT(request(inst, GET, "/get/v2", NULL, NULL), 200, "hello");
  EXPECT(request(inst, GET, "/exists/v2", NULL, NULL), 200, "true");
  EXPECT(request(inst, POST, "/set/v2", NULL, "again"), 200, "ok");
  EXPECT(request(inst, GET, "/get/v2", NULL, NULL), 200, "again");
  EXPECT(request(inst, POST, "/set/v2-empty", NULL, NULL), 200, "ok");
  EXPECT(request(inst, GET, "/get/v2-empty", NULL, NULL), 200, "");
  EXPECT(request(inst, GET, "/delete/v2", NULL, NULL), 200, "ok");
  EXPECT(request(inst, GET, "/exists/v2", NULL, NULL), 200, "false");
  EXPECT(request(inst, GET, "/delete/v2-empty", NULL, NULL), 200, "ok");
  /* Presets were written to `default` when the registry was made. */
  EXPECT(request(inst, GET, "/get/preset", NULL, NULL), 200, "41");
  EXPECT(request(inst, GET, "/keys", NULL, NULL), 200, "empty\npreset\n");
  weft_instance_free(inst);
}

static void test_guest_v1(void **state) {
  (void)state;
  weft_instance_t *inst = new_instance();
  EXPECT(request(inst, GET, "/v1/get/v1", NULL, NULL), 404, "no-such-key");
  EXPECT(request(inst, POST, "/v1/set/v1", NULL, "old"), 200, "ok");
  EXPECT(request(inst, GET, "/v1/get/v1", NULL, NULL), 200, "old");
  EXPECT(request(inst, GET, "/v1/exists/v1", NULL, NULL), 200, "true");
  /* Both interfaces see the same store. */
  EXPECT(request(inst, GET, "/get/v1", NULL, NULL), 200, "old");
  EXPECT(request(inst, GET, "/v1/keys", NULL, NULL), 200,
         "empty\npreset\nv1\n");
  EXPECT(request(inst, GET, "/v1/delete/v1", NULL, NULL), 200, "ok");
  EXPECT(request(inst, GET, "/v1/exists/v1", NULL, NULL), 200, "false");
  EXPECT(request(inst, GET, "/v1/use-closed/x", NULL, NULL), 500,
         "invalid-store");
  weft_instance_free(inst);
}

/* Labels: granted and defined, granted but undefined, defined but not
 * granted, neither. */
static void test_guest_labels(void **state) {
  (void)state;
  weft_instance_t *inst = new_instance();
  EXPECT(request(inst, GET, "/open/default", NULL, NULL), 200, "ok");
  EXPECT(request(inst, GET, "/open/other", NULL, NULL), 200, "ok");
  EXPECT(request(inst, GET, "/open/missing", NULL, NULL), 500, "no-such-store");
  EXPECT(request(inst, GET, "/open/secret", NULL, NULL), 500, "access-denied");
  EXPECT(request(inst, GET, "/open/nowhere", NULL, NULL), 500, "access-denied");
  EXPECT(request(inst, GET, "/v1/open/missing", NULL, NULL), 500,
         "no-such-store");
  EXPECT(request(inst, GET, "/v1/open/secret", NULL, NULL), 500,
         "access-denied");
  EXPECT(request(inst, GET, "/v1/open/other", NULL, NULL), 200, "ok");
  /* `other` is its own file beside the runtime config. */
  EXPECT(request(inst, POST, "/set/o", "other", "in other"), 200, "ok");
  EXPECT(request(inst, GET, "/get/o", "other", NULL), 200, "in other");
  EXPECT(request(inst, GET, "/get/o", NULL, NULL), 404, "none");
  char path[512];
  weft__kv_store_t *s = sqlite_open_at(in_tmp(path, sizeof path, "other.db"));
  char *v = get_str(&weft__kv_sqlite, s, "o", NULL);
  assert_string_equal(v, "in other");
  free(v);
  weft__kv_sqlite.close(s);
  weft_instance_free(inst);
}

/* At most 64 stores open per instance, over both interfaces; a reset
 * drops what the guest left open (the destructor runs), so the next
 * request has room again. */
static void test_guest_table_full(void **state) {
  (void)state;
  weft_instance_t *inst = new_instance();
  EXPECT(request(inst, GET, "/leak/64", NULL, NULL), 200, "opened 64");
  EXPECT(call(inst, GET, "/open/default", NULL, NULL), 500, "store-table-full");
  EXPECT(call(inst, GET, "/v1/open/default", NULL, NULL), 500,
         "store-table-full");
  EXPECT(request(inst, GET, "/leak/65", NULL, NULL), 500, "store-table-full");
  EXPECT(request(inst, GET, "/leak/64", NULL, NULL), 200, "opened 64");
  EXPECT(request(inst, GET, "/v1/leak/65", NULL, NULL), 500,
         "store-table-full");
  EXPECT(request(inst, GET, "/v1/leak/64", NULL, NULL), 200, "opened 64");
  EXPECT(call(inst, GET, "/open/default", NULL, NULL), 500, "store-table-full");
  EXPECT(request(inst, GET, "/open/default", NULL, NULL), 200, "ok");
  weft_instance_free(inst);
  /* Freed with stores open: nothing leaks (checked under ASan). */
  inst = new_instance();
  EXPECT(request(inst, GET, "/leak/10", NULL, NULL), 200, "opened 10");
  EXPECT(call(inst, GET, "/v1/leak/10", NULL, NULL), 200, "opened 10");
  weft_instance_free(inst);
}

/* A Redis store whose server is down: the guest gets `other` with the
 * reason, weft a line on stderr, and nothing hangs or crashes. */
static void test_guest_redis_down(void **state) {
  (void)state;
  weft_instance_t *inst = new_instance();
  resp_t r = request(inst, GET, "/get/x", "down", NULL);
  assert_int_equal(r.status, 500);
  print_message("guest saw: %s\n", r.body);
  assert_true(!strncmp(r.body, "other: ", 7));
  assert_non_null(strstr(r.body, "redis://127.0.0.1:"));
  assert_non_null(strstr(r.body, "refused"));
  r = request(inst, GET, "/v1/set/x", "down", NULL);
  assert_int_equal(r.status, 500);
  assert_true(!strncmp(r.body, "io: ", 4));
  EXPECT(request(inst, GET, "/get/preset", NULL, NULL), 200, "41");
  weft_instance_free(inst);
}

typedef struct guest_writer {
  int id, failures;
} guest_writer_t;

static void *guest_write(void *p) {
  guest_writer_t *w = p;
  weft_error_t err = {0};
  weft_instance_t *inst = weft_instance_new(linker, module, NULL, &err);
  if (!inst) {
    w->failures = 1000;
    return NULL;
  }
  for (int i = 0; i < 50; i++) {
    char uri[64], val[32];
    snprintf(uri, sizeof uri, "/%sset/g%d-%02d", i % 2 ? "v1/" : "", w->id, i);
    snprintf(val, sizeof val, "%d", i);
    if (weft_instance_reset(inst, &err) < 0) {
      w->failures++;
      continue;
    }
    resp_t r;
    if (call_try(inst, POST, uri, w->id % 2 ? "other" : NULL, val, &r, &err) <
            0 ||
        r.status != 200)
      w->failures++;
  }
  weft_instance_free(inst);
  return NULL;
}

/* Instances on four threads use the registry at once (the first opens of
 * `other` race, too). */
static void test_guest_threads(void **state) {
  (void)state;
  pthread_t th[4];
  guest_writer_t w[4];
  for (int i = 0; i < 4; i++) {
    w[i] = (guest_writer_t){i, 0};
    assert_int_equal(pthread_create(&th[i], NULL, guest_write, &w[i]), 0);
  }
  for (int i = 0; i < 4; i++) {
    pthread_join(th[i], NULL);
    assert_int_equal(w[i].failures, 0);
  }
  weft_instance_t *inst = new_instance();
  EXPECT(request(inst, GET, "/get/g2-49", NULL, NULL), 200, "49");
  EXPECT(request(inst, GET, "/get/g3-48", "other", NULL), 200, "48");
  weft_instance_free(inst);
}

/* ---- the registry's own errors ------------------------------------------ */

static void test_presets_errors(void **state) {
  (void)state;
  weft_error_t err = {0};
  weft__kv_t *k = NULL;
  char path[512];
  const char *bad[] = {"novalue"};
  weft__kv_config_t cfg = {.default_path = in_tmp(path, sizeof path, "p.db"),
                           .presets = bad,
                           .npresets = 1};
  assert_int_equal(weft__kv_new(&cfg, &k, &err), WEFT_EINVAL);
  assert_null(k);
  assert_string_equal(err.msg, "--key-value 'novalue': expected KEY=VALUE");
  const char *good[] = {"a=b"};
  cfg.default_path = NULL;
  cfg.presets = good;
  assert_int_equal(weft__kv_new(&cfg, &k, &err), WEFT_EINVAL);
  assert_string_equal(err.msg, "--key-value 'a=b': the app has no store "
                               "'default'");
}

/* A world without key-value imports gets nothing, and no error. */
static void test_define_without_imports(void **state) {
  (void)state;
  weft_error_t err = {0};
  weft_wit_t *timer = weft_wit_load("wit/spin-timer", &err);
  assert_non_null(timer);
  weft_linker_t *l = weft_linker_new(engine);
  assert_int_equal(weft_linker_use_world(l, timer, NULL, &err), 0);
  assert_int_equal(weft__kv_define(l, kv, &comp, &err), 0);
  weft_linker_free(l);
  weft_wit_free(timer);
}

/* ---- main --------------------------------------------------------------- */

int main(void) {
  snprintf(tmp, sizeof tmp, "/tmp/weft-kv-test.XXXXXX");
  if (!mkdtemp(tmp)) {
    perror("mkdtemp");
    return 1;
  }
  /* A write to a server that just died must not kill the test. */
  signal(SIGPIPE, SIG_IGN);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sqlite_basics),
      cmocka_unit_test(test_sqlite_reopen),
      cmocka_unit_test(test_sqlite_bad_path),
      cmocka_unit_test(test_sqlite_concurrent),
      cmocka_unit_test_setup_teardown(test_redis_basics, redis_setup,
                                      redis_teardown),
      cmocka_unit_test_setup_teardown(test_redis_many_keys, redis_setup,
                                      redis_teardown),
      cmocka_unit_test_setup_teardown(test_redis_concurrent, redis_setup,
                                      redis_teardown),
      cmocka_unit_test_setup_teardown(test_redis_restart, redis_setup,
                                      redis_teardown),
      cmocka_unit_test_setup_teardown(test_redis_stuck, redis_setup,
                                      redis_teardown),
      cmocka_unit_test(test_redis_bad_url),
      cmocka_unit_test(test_presets_errors),
      cmocka_unit_test(test_guest_v2),
      cmocka_unit_test(test_guest_v1),
      cmocka_unit_test(test_guest_labels),
      cmocka_unit_test(test_guest_table_full),
      cmocka_unit_test(test_guest_redis_down),
      cmocka_unit_test(test_guest_threads),
      cmocka_unit_test(test_define_without_imports),
  };
  /* The guest's setup (engine, module, registry) serves every test. */
  int failed = cmocka_run_group_tests(tests, guest_setup, guest_teardown);
  redis_server_kill(&redis);
  rm_tree(tmp);
  return failed ? 1 : 0;
}

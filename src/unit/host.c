/* host.c - what a host does with a unit file, for the weft command and
 * embedders: check the head before touching a unit, queue a signed
 * message, and run one cycle with the inbox, a fresh seed and the time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "unit/unit.h"

/* See unit.h. */
uint64_t weft__unit_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* See unit.h. */
int weft__unit_read_text(const char *path, char **text, size_t *len,
                         weft_error_t *err) {
  uint8_t *d;
  int rc = weft__read_file(path, &d, len, err);
  if (rc < 0)
    return rc;
  if (memchr(d, 0, *len) || weft__utf8_check(d, *len) != *len) {
    free(d);
    return WEFT_ERR(err, WEFT_EPARSE, "'%s' is not UTF-8 text", path);
  }
  char *t = realloc(d, *len + 1);
  if (!t) {
    free(d);
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  }
  t[*len] = 0;
  *text = t;
  return 0;
}

/* See unit.h. */
int weft__unit_check_head(weft__unitfile_t *u, weft_error_t *err) {
  weft__uentry_t *e = &u->head;
  uint8_t h[WEFT__HASH_LEN], kv[WEFT__HASH_LEN], mem[WEFT__HASH_LEN];
  memcpy(h, e->hash, WEFT__HASH_LEN);
  if (weft__uentry_hash(e) < 0)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  int bad = memcmp(h, e->hash, WEFT__HASH_LEN);
  memcpy(e->hash, h, WEFT__HASH_LEN);
  const char *field = NULL;
  if (bad)
    field = "hash";
  else if (weft__uentry_sig_ok(e) < 0)
    field = "sig";
  weft__ustate_root(&u->state, kv);
  weft__merkle_root(&u->mem_tree, mem);
  if (!field && memcmp(kv, e->kv_root, WEFT__HASH_LEN))
    field = "kv_root";
  else if (!field && (memcmp(mem, e->mem_root, WEFT__HASH_LEN) ||
                      u->mem_pages != e->mem_pages))
    field = "mem_root";
  if (!field) {
    weft__state_root(u->mem_pages, mem, u->globals, u->globals_len, kv, h);
    if (memcmp(h, e->root, WEFT__HASH_LEN))
      field = "root";
  }
  if (field)
    return WEFT_ERR(err, WEFT_EINVALID,
                    "'%s': entry %llu: field '%s' does not match; run 'weft "
                    "unit verify'", u->path, (unsigned long long)e->seq,
                    field);
  return 0;
}

/* See unit.h. */
int weft__unit_open_checked(const char *path, weft__unitfile_t **out,
                            weft_error_t *err) {
  int rc = weft__unitfile_open(path, out, err);
  if (rc == 0 && (rc = weft__unit_check_head(*out, err)) < 0) {
    weft__unitfile_close(*out);
    *out = NULL;
  }
  return rc;
}

/* See unit.h. */
int weft__unit_queue(weft__unitfile_t *u, const char *body_path,
                     const char *key_path, const char *kind,
                     weft_error_t *err) {
  weft__ukey_t k;
  weft__umsg_t m = {0};
  int rc = weft__ukey_read(key_path, &k, err);
  if (rc == 0 && !k.has_sk)
    rc = WEFT_ERR(err, WEFT_EINVAL, "'%s' is a public key; signing needs "
                                    "the secret key", key_path);
  if (rc == 0)
    rc = weft__read_file(body_path, &m.body, &m.body_len, err);
  if (rc == 0 && (!*kind || strlen(kind) > 256 ||
                  weft__utf8_check((const uint8_t *)kind, strlen(kind)) !=
                      strlen(kind)))
    rc = WEFT_ERR(err, WEFT_EINVAL, "a message kind is 1 to 256 bytes of "
                                    "UTF-8");
  if (rc == 0 && !weft__upolicy_may_send(u->policy, u->owner, kind, k.pk))
    rc = WEFT_ERR(err, WEFT_EINVAL,
                  "the unit's policy does not let '%s' send '%s'", key_path,
                  kind);
  if (rc == 0) {
    m.kind = (char *)kind;
    randombytes_buf(&m.nonce, sizeof m.nonce);
    rc = weft__umsg_sign(u->unit_id, &m, &k);
    if (rc < 0)
      rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  }
  if (rc == 0)
    rc = weft__unitfile_inbox_add(u, &m, err);
  sodium_memzero(&k, sizeof k);
  free(m.body);
  return rc;
}

/* Whether inbox message `m` may be delivered: its signature holds, the
 * policy lets its sender send its kind, and neither the lineage nor the
 * messages this cycle takes already (msgs[0..i)) hold it. 0 yes, 1 no
 * (why in *why), or a negative error. */
static int deliverable(weft__unitfile_t *u, const weft__umsg_t *m,
                       const weft__umsg_t *msgs, size_t i, const char **why,
                       weft_error_t *err) {
  if (weft__umsg_sig_ok(u->unit_id, m) < 0) {
    *why = "bad signature";
    return 1;
  }
  if (!weft__upolicy_may_send(u->policy, u->owner, m->kind, m->sender)) {
    *why = "the policy does not let its sender send it";
    return 1;
  }
  for (size_t j = 0; j < i; j++)
    if (msgs[j].nonce == m->nonce &&
        !memcmp(msgs[j].sender, m->sender, WEFT__PK_LEN)) {
      *why = "a replay (twice in the inbox)";
      return 1;
    }
  int seen = weft__unitfile_seen(u, m->sender, m->nonce, err);
  if (seen > 0)
    *why = "a replay (delivered before)";
  return seen;
}

/* See unit.h. */
int weft__unit_cycle_at(weft__urun_t *r, weft__unitfile_t *u,
                        uint64_t time_ms, weft__uresult_t *res,
                        weft_error_t *err) {
  weft__umsg_t *msgs = NULL;
  int64_t *ids = NULL;
  size_t n = 0, ok = 0, dropped = 0;
  char why_first[160] = "";
  int rc = weft__unitfile_inbox(u, &msgs, &ids, &n, err);
  /* Messages that cannot be delivered leave the inbox unread (they are
   * consumed with the cycle) instead of blocking it forever. */
  for (size_t i = 0; i < n; i++) {
    const char *why = NULL;
    int bad = rc == 0 ? deliverable(u, &msgs[i], msgs, ok, &why, err) : 1;
    if (bad < 0)
      rc = bad;
    if (bad) {
      if (rc == 0 && !dropped++)
        snprintf(why_first, sizeof why_first, "'%s': %s", msgs[i].kind, why);
      free(msgs[i].kind);
      free(msgs[i].body);
    } else {
      msgs[ok++] = msgs[i];
    }
  }
  if (rc == 0) {
    uint8_t seed[32];
    randombytes_buf(seed, sizeof seed);
    weft__uinput_t in = {.time_ms = time_ms,
                         .seed = seed,
                         .msgs = msgs,
                         .nmsgs = ok,
                         .inbox_ids = ids,
                         .ninbox = n};
    rc = weft__urun_cycle(r, &in, res, err);
  }
  if (rc == 0) {
    res->dropped = dropped;
    snprintf(res->dropped_why, sizeof res->dropped_why, "%s", why_first);
  }
  for (size_t i = 0; i < ok; i++) {
    free(msgs[i].kind);
    free(msgs[i].body);
  }
  free(msgs);
  free(ids);
  return rc;
}

/* See unit.h. */
int weft__unit_cycle_now(weft__urun_t *r, weft__unitfile_t *u,
                         uint64_t min_time, weft__uresult_t *res,
                         weft_error_t *err) {
  uint64_t now = weft__unit_now_ms();
  return weft__unit_cycle_at(r, u, now > min_time ? now : min_time, res,
                             err);
}

/* See unit.h. */
int weft__unit_step(weft__urun_t *r, weft__unitfile_t *u,
                    void (*each)(const weft__uresult_t *, void *), void *ctx,
                    weft_error_t *err) {
  uint32_t max = u->policy->max_per_step;
  uint64_t min_int = u->policy->min_interval_ms;
  uint64_t head = u->head.time_ms, next = u->head.next_ms;
  uint64_t start = weft__unit_now_ms();
  for (uint32_t done = 0; done < max; done++) {
    /* When the unit asked for its next cycle (never sooner than the
     * policy's minimum interval). */
    uint64_t due = UINT64_MAX;
    if (u->head.kind != WEFT__E_GENESIS || done) {
      if (next) {
        uint64_t d = next - 1 < min_int ? min_int : next - 1;
        due = d > UINT64_MAX - head ? UINT64_MAX : head + d;
      }
    }
    if (done && due > start)
      break;
    uint64_t t = due <= start ? due : start > head ? start : head;
    weft__uresult_t res;
    int rc = weft__unit_cycle_at(r, u, t, &res, err);
    if (rc < 0)
      return rc;
    if (each)
      each(&res, ctx);
    head = t;
    next = res.next_ms;
  }
  return 0;
}

/* See unit.h. */
int weft__unit_apply_policy(weft__unitfile_t *u, const char *text,
                            const char *name, const weft__ukey_t *admin,
                            const weft__ukey_t *host, weft_error_t *err) {
  weft__upolicy_t *p = NULL;
  int rc = weft__upolicy_parse(text, strlen(text), name, u->schema, &p, err);
  weft__upolicy_free(p);
  if (rc < 0)
    return rc;
  if (!weft__uwho_has(&u->policy->admins, u->owner, admin->pk))
    return WEFT_ERR(err, WEFT_EINVAL,
                    "the unit's policy does not let this key change it");
  weft__uentry_t e = {0};
  uint8_t ph[WEFT__HASH_LEN], digest[WEFT__HASH_LEN];
  weft__uhash(ph, WEFT__H_PAGE, 1, text, strlen(text));
  weft__upolicy_update_digest(u->unit_id, u->head.hash, ph, digest);
  e.extra_len = WEFT__PK_LEN + WEFT__SIG_LEN + WEFT__HASH_LEN;
  e.extra = malloc(e.extra_len);
  e.note = weft__strdup("policy update");
  if (!e.extra || !e.note) {
    weft__uentry_release(&e);
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  }
  memcpy(e.extra, admin->pk, WEFT__PK_LEN);
  crypto_sign_detached(e.extra + WEFT__PK_LEN, NULL, digest, WEFT__HASH_LEN,
                       admin->sk);
  memcpy(e.extra + WEFT__PK_LEN + WEFT__SIG_LEN, ph, WEFT__HASH_LEN);
  e.seq = u->head.seq + 1;
  e.kind = WEFT__E_POLICY;
  memcpy(e.prev, u->head.hash, WEFT__HASH_LEN);
  uint64_t now = weft__unit_now_ms();
  e.time_ms = now > u->head.time_ms ? now : u->head.time_ms;
  e.mem_pages = u->head.mem_pages;
  memcpy(e.mem_root, u->head.mem_root, WEFT__HASH_LEN);
  memcpy(e.kv_root, u->head.kv_root, WEFT__HASH_LEN);
  memcpy(e.root, u->head.root, WEFT__HASH_LEN);
  rc = weft__uentry_seal(&e, host) < 0
           ? WEFT_ERR(err, WEFT_ENOMEM, "out of memory")
           : 0;
  if (rc == 0) {
    weft__ucommit_t c = {.entry = &e, .policy_text = text};
    rc = weft__unitfile_commit(u, &c, err);
  }
  weft__uentry_release(&e);
  return rc;
}

/* See unit.h. */
uint64_t weft__unit_lease_ttl(const weft__unitfile_t *u) {
  return 2 * (u->policy->deadline_ns / 1000000) + 1000;
}

/* See unit.h. */
int weft__unit_acquire(weft__unitfile_t *u, uint64_t wait_ms,
                       weft_error_t *err) {
  uint64_t start = weft__unit_now_ms(), pause = 5;
  for (;;) {
    int rc = weft__unit_lease(u, weft__unit_lease_ttl(u), err);
    if (rc == 1) { /* moved: load the new head under the lease */
      if ((rc = weft__unit_reload(u, err)) < 0 ||
          (rc = weft__unit_check_head(u, err)) < 0)
        weft__unit_lease_release(u);
      return rc;
    }
    if (rc != 2 || weft__unit_now_ms() - start >= wait_ms)
      return rc;
    struct timespec ts = {0, (long)pause * 1000000};
    nanosleep(&ts, NULL);
    pause = pause * 2 > 200 ? 200 : pause * 2;
  }
}

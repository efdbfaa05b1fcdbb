/* verify.c - checking a unit file end to end: the code against its hash,
 * the genesis entry against the file's identity (code, world, schema,
 * first policy, owner), every entry's link to the one before, its host's
 * right to advance the unit and signature, every message's signature and
 * sender, every write's verdict (re-decided with the admission function
 * under the policy then in force, against the state rebuilt from the
 * lineage), every policy update's admin signature, every state root, and
 * at the head the stored state and memory. `--replay` then runs every
 * cycle again from a fresh instance and compares what it makes.
 *
 * The first failure names the entry and the field: "entry 7: field
 * 'mutations': write 2 to 'count' was admitted; the policy denies it
 * (monotonic)". */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "unit/codec.h"
#include "unit/unit.h"

static int bad(weft_error_t *err, uint64_t seq, const char *field,
               const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int bad(weft_error_t *err, uint64_t seq, const char *field,
               const char *fmt, ...) {
  char msg[200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return WEFT_ERR(err, WEFT_EINVALID, "entry %llu: field '%s': %s",
                  (unsigned long long)seq, field, msg);
}

static void text_hash(const char *t, uint8_t out[WEFT__HASH_LEN]) {
  weft__uhash(out, WEFT__H_PAGE, 1, t, strlen(t));
}

static int check_genesis(weft__unitfile_t *u, const weft__uentry_t *e,
                         const char *policy0, weft_error_t *err) {
  uint8_t h[WEFT__HASH_LEN];
  weft__uhash(h, WEFT__H_PAGE, 1, u->code, u->code_len);
  if (memcmp(h, u->code_hash, WEFT__HASH_LEN))
    return bad(err, 0, "extra", "the code does not match its hash");
  weft__rd_t r = {e->extra, e->extra + e->extra_len, false};
  uint32_t fmt;
  uint8_t code[WEFT__HASH_LEN], sch[WEFT__HASH_LEN], pol[WEFT__HASH_LEN],
      owner[WEFT__PK_LEN];
  const uint8_t *world;
  size_t wl;
  if (!weft__get_u32(&r, &fmt) || !weft__get_raw(&r, code, sizeof code) ||
      !weft__get_bytes(&r, &world, &wl) ||
      !weft__get_raw(&r, sch, sizeof sch) ||
      !weft__get_raw(&r, pol, sizeof pol) ||
      !weft__get_raw(&r, owner, sizeof owner) || r.p != r.end)
    return bad(err, 0, "extra", "malformed");
  if (fmt != WEFT__UNIT_FORMAT)
    return bad(err, 0, "extra", "format %u", fmt);
  if (memcmp(code, u->code_hash, WEFT__HASH_LEN))
    return bad(err, 0, "extra", "the code hash is not the file's");
  if (wl != strlen(WEFT__UNIT_WORLD) || memcmp(world, WEFT__UNIT_WORLD, wl))
    return bad(err, 0, "extra", "the world is not '%s'", WEFT__UNIT_WORLD);
  text_hash(u->schema_text, h);
  if (memcmp(sch, h, WEFT__HASH_LEN))
    return bad(err, 0, "extra", "the schema does not match its hash");
  text_hash(policy0, h);
  if (memcmp(pol, h, WEFT__HASH_LEN))
    return bad(err, 0, "extra", "the policy does not match its hash");
  if (memcmp(owner, u->owner, WEFT__PK_LEN))
    return bad(err, 0, "extra", "the owner is not the file's");
  if (memcmp(e->host, u->owner, WEFT__PK_LEN))
    return bad(err, 0, "host", "the genesis is not signed by the owner");
  return 0;
}

/* Re-decide every write of cycle `e` against `s` (the state before it),
 * applying the admitted ones. */
static int check_writes(weft__unitfile_t *u, const weft__upolicy_t *p,
                        const weft__uentry_t *e, weft__ustate_t *s,
                        weft_error_t *err) {
  weft__ustate_t start;
  if (weft__ustate_copy(&start, s) < 0)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  bool by_owner = false;
  for (size_t i = 0; i < e->nmsgs; i++)
    if (!memcmp(e->msgs[i].sender, u->owner, WEFT__PK_LEN))
      by_owner = true;
  int rc = 0;
  for (size_t i = 0; rc == 0 && i < e->nmuts; i++) {
    const weft__umut_t *m = &e->muts[i];
    const weft__ustate_ent_t *now = weft__ustate_get(s, m->key);
    const weft__ustate_ent_t *st = weft__ustate_get(&start, m->key);
    weft__uwrite_t w = {.key = m->key,
                        .now = now ? now->val : NULL,
                        .now_len = now ? now->len : 0,
                        .start = st ? st->val : NULL,
                        .start_len = st ? st->len : 0,
                        .val = m->del ? NULL
                                      : (m->val ? m->val : (uint8_t *)""),
                        .val_len = m->val_len,
                        .by_owner = by_owner};
    weft__udenial_t d;
    bool ok = weft__unit_admit(u->schema, p, &w, &d) == 0;
    if (ok != m->admitted)
      rc = bad(err, e->seq, "mutations",
               "write %zu to '%s' was %s; the policy %s it%s%s%s", i, m->key,
               m->admitted ? "admitted" : "denied",
               ok ? "admits" : "denies", ok ? "" : " (", ok ? "" : d.rule,
               ok ? "" : ")");
    else if (!ok && strcmp(d.rule, m->rule))
      rc = bad(err, e->seq, "mutations",
               "write %zu to '%s' names rule '%s'; the policy's is '%s'", i,
               m->key, m->rule, d.rule);
    else if (ok && m->rule[0])
      rc = bad(err, e->seq, "mutations", "write %zu names a rule", i);
    else if (ok && weft__ustate_put(s, m->key, w.val, w.val_len) < 0)
      rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  }
  weft__ustate_release(&start);
  return rc;
}

static int check_policy_update(weft__unitfile_t *u, const weft__upolicy_t *p,
                               const weft__uentry_t *e, char **text,
                               weft_error_t *err) {
  if (e->extra_len != WEFT__PK_LEN + WEFT__SIG_LEN + WEFT__HASH_LEN)
    return bad(err, e->seq, "extra", "malformed policy update");
  const uint8_t *signer = e->extra, *sig = e->extra + WEFT__PK_LEN;
  const uint8_t *ph = sig + WEFT__SIG_LEN;
  int rc = weft__unitfile_policy_at(u, e->seq, text, err);
  if (rc < 0)
    return rc;
  uint8_t h[WEFT__HASH_LEN], digest[WEFT__HASH_LEN];
  text_hash(*text, h);
  if (memcmp(h, ph, WEFT__HASH_LEN))
    return bad(err, e->seq, "extra", "the policy does not match its hash");
  if (!weft__uwho_has(&p->admins, u->owner, signer))
    return bad(err, e->seq, "extra", "the signer may not change the policy");
  weft__upolicy_update_digest(u->unit_id, e->prev, ph, digest);
  if (crypto_sign_verify_detached(sig, digest, WEFT__HASH_LEN, signer))
    return bad(err, e->seq, "extra", "bad signature of the policy update");
  if (e->nmsgs || e->nmuts || e->nemits)
    return bad(err, e->seq, "mutations", "a policy entry carries a cycle");
  return 0;
}

static int check_head_state(weft__unitfile_t *u, const weft__ustate_t *s,
                            const weft__uentry_t *head, weft_error_t *err) {
  for (size_t i = 0; i < s->n || i < u->state.n; i++) {
    const weft__ustate_ent_t *a = i < s->n ? &s->ents[i] : NULL;
    const weft__ustate_ent_t *b = i < u->state.n ? &u->state.ents[i] : NULL;
    if (!a || !b || strcmp(a->key, b->key) || a->len != b->len ||
        memcmp(a->val, b->val, a->len))
      return WEFT_ERR(err, WEFT_EINVALID,
                      "state: key '%s' does not match the lineage (entry "
                      "%llu)", (a ? a : b)->key,
                      (unsigned long long)head->seq);
  }
  /* Memory: every stored page against its hash, then the tree. */
  size_t bytes = (size_t)u->mem_pages * 65536;
  uint8_t *mem = malloc(bytes ? bytes : 1);
  if (!mem)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  int rc = weft__unitfile_read_memory(u, mem, err);
  for (size_t i = 0; rc == 0 && i < u->npages; i++) {
    uint8_t h[WEFT__HASH_LEN];
    weft__page_hash(mem + i * WEFT__UNIT_PAGE, h);
    if (memcmp(h, u->page_hash[i], WEFT__HASH_LEN))
      rc = WEFT_ERR(err, WEFT_EINVALID,
                    "memory page %zu: field 'data' does not match its hash",
                    i);
  }
  free(mem);
  if (rc < 0)
    return rc;
  uint8_t root[WEFT__HASH_LEN];
  if (u->mem_pages != head->mem_pages)
    return bad(err, head->seq, "mem_pages",
               "the file has %u pages of memory", u->mem_pages);
  weft__merkle_root(&u->mem_tree, root);
  if (memcmp(root, head->mem_root, WEFT__HASH_LEN))
    return bad(err, head->seq, "mem_root", "the memory does not match it");
  weft__state_root(u->mem_pages, root, u->globals, u->globals_len,
                   head->kv_root, root);
  if (memcmp(root, head->root, WEFT__HASH_LEN))
    return bad(err, head->seq, "root",
               "the memory and globals do not match it");
  return 0;
}

/* A delivered message, to find replays: sender and nonce, and where. */
typedef struct seen_msg {
  uint8_t key[WEFT__PK_LEN + 8];
  uint64_t seq;
  size_t idx;
} seen_msg_t;

static int seen_cmp(const void *a, const void *b) {
  const seen_msg_t *x = a, *y = b;
  int c = memcmp(x->key, y->key, sizeof x->key);
  if (c)
    return c;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int seen_add(seen_msg_t **v, size_t *n, size_t *cap,
                    const weft__uentry_t *e) {
  for (size_t i = 0; i < e->nmsgs; i++) {
    if (*n == *cap) {
      size_t c = *cap ? 2 * *cap : 64;
      seen_msg_t *m = realloc(*v, c * sizeof *m);
      if (!m)
        return WEFT_ENOMEM;
      *v = m;
      *cap = c;
    }
    seen_msg_t *s = &(*v)[(*n)++];
    memcpy(s->key, e->msgs[i].sender, WEFT__PK_LEN);
    for (int b = 0; b < 8; b++)
      s->key[WEFT__PK_LEN + b] = (uint8_t)(e->msgs[i].nonce >> (56 - 8 * b));
    s->seq = e->seq;
    s->idx = i;
  }
  return 0;
}

/* No message (sender, nonce) is delivered twice: the first repeat, in
 * lineage order, fails. */
static int check_replays(seen_msg_t *v, size_t n, weft_error_t *err) {
  if (n < 2)
    return 0;
  qsort(v, n, sizeof *v, seen_cmp);
  const seen_msg_t *first = NULL;
  for (size_t i = 1; i < n; i++)
    if (!memcmp(v[i].key, v[i - 1].key, sizeof v[i].key) &&
        (!first || v[i].seq < first->seq ||
         (v[i].seq == first->seq && v[i].idx < first->idx)))
      first = &v[i];
  if (!first)
    return 0;
  return bad(err, first->seq, "messages",
             "message %zu replays a message delivered before (same sender "
             "and nonce)", first->idx);
}

/* The policy table holds a text for entry 0 and each policy entry, and
 * nothing else (a stray row would put a policy in force unsigned). */
static int check_policy_rows(weft__unitfile_t *u, const uint64_t *want,
                             size_t nwant, weft_error_t *err) {
  uint64_t *have;
  size_t n;
  int rc = weft__unitfile_policy_seqs(u, &have, &n, err);
  if (rc < 0)
    return rc;
  for (size_t i = 0; rc == 0 && (i < n || i < nwant); i++)
    if (i >= n || i >= nwant || have[i] != want[i])
      rc = bad(err, i < nwant ? want[i] : have[i], "policy",
               "the file's policies do not match the policy entries");
  free(have);
  return rc;
}

static int enc_eq(int (*enc)(const weft__uentry_t *, weft__buf_t *),
                  const weft__uentry_t *a, const weft__uentry_t *b) {
  weft__buf_t x, y;
  weft__buf_init(&x);
  weft__buf_init(&y);
  int eq = !enc(a, &x) && !enc(b, &y) && x.len == y.len &&
           (!x.len || !memcmp(x.data, y.data, x.len));
  weft__buf_release(&x);
  weft__buf_release(&y);
  return eq;
}

static int replay(weft__unitfile_t *u, const weft__uverify_opts_t *o,
                  uint64_t count, weft_error_t *err) {
  weft__urun_t *r;
  uint8_t mem_root[WEFT__HASH_LEN];
  uint32_t mem_pages;
  weft__uentry_t e = {0}, got = {0};
  int rc = weft__urun_genesis(o->engine, u, &r, mem_root, &mem_pages, err);
  if (rc < 0)
    return rc;
  for (uint64_t seq = 0; rc == 0 && seq < count; seq++) {
    if ((rc = weft__unitfile_entry(u, seq, &e, err)) < 0)
      break;
    if (seq == 0) {
      if (mem_pages != e.mem_pages)
        rc = bad(err, 0, "mem_pages", "the replay makes %u", mem_pages);
      else if (memcmp(mem_root, e.mem_root, WEFT__HASH_LEN))
        rc = bad(err, 0, "mem_root", "the replay makes another memory");
    } else if (e.kind == WEFT__E_POLICY) {
      char *text = NULL;
      rc = weft__unitfile_policy_at(u, seq, &text, err);
      if (rc == 0)
        rc = weft__urun_set_policy(r, text, err);
      free(text);
    } else if ((rc = weft__urun_replay(r, &e, &got, err)) == 0) {
      const char *f = NULL;
      if (got.kind != e.kind)
        f = "kind";
      else if (strcmp(got.note ? got.note : "", e.note ? e.note : ""))
        f = "note";
      else if (!enc_eq(weft__uentry_enc_muts, &got, &e))
        f = "mutations";
      else if (!enc_eq(weft__uentry_enc_emits, &got, &e))
        f = "emitted";
      else if (got.next_ms != e.next_ms)
        f = "next_ms";
      else if (got.mem_pages != e.mem_pages)
        f = "mem_pages";
      else if (memcmp(got.mem_root, e.mem_root, WEFT__HASH_LEN))
        f = "mem_root";
      else if (memcmp(got.kv_root, e.kv_root, WEFT__HASH_LEN))
        f = "kv_root";
      else if (memcmp(got.root, e.root, WEFT__HASH_LEN))
        f = "root";
      if (f)
        rc = bad(err, seq, f, "the replay differs");
    }
    weft__uentry_release(&got);
    weft__uentry_release(&e);
  }
  weft__urun_free(r);
  return rc;
}

/* See unit.h. */
int weft__unit_verify(weft__unitfile_t *u, const weft__uverify_opts_t *o,
                      weft_error_t *err) {
  uint64_t count = weft__unitfile_count(u);
  char *ptext = NULL;
  weft__upolicy_t *p = NULL;
  weft__ustate_t s = {0};
  weft__uentry_t e = {0};
  uint8_t prev[WEFT__HASH_LEN] = {0};
  uint64_t prev_time = 0;
  seen_msg_t *seen = NULL;
  size_t nseen = 0, capseen = 0, npol = 1, cappol = 8;
  uint64_t *pols = calloc(cappol, sizeof *pols);
  int rc = pols ? weft__unitfile_policy_at(u, 0, &ptext, err)
                : WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  if (rc == 0 && weft__upolicy_parse(ptext, strlen(ptext), "<unit policy>",
                                     u->schema, &p, err) < 0)
    rc = bad(err, 0, "extra", "the first policy does not parse: %s",
             err ? err->msg : "");
  for (uint64_t seq = 0; rc == 0 && seq < count; seq++) {
    if ((rc = weft__unitfile_entry(u, seq, &e, err)) < 0) {
      if (rc == WEFT_ENOTFOUND)
        rc = bad(err, seq, "seq", "missing");
      break;
    }
    if (memcmp(e.prev, prev, WEFT__HASH_LEN))
      rc = bad(err, seq, "prev", "does not match the hash of entry %llu",
               (unsigned long long)(seq ? seq - 1 : 0));
    else if ((seq == 0) != (e.kind == WEFT__E_GENESIS))
      rc = bad(err, seq, "kind", "kind %d here", e.kind);
    else if (seq == 0)
      rc = check_genesis(u, &e, ptext, err);
    else if (e.kind == WEFT__E_POLICY) {
      char *text = NULL;
      weft__upolicy_t *np = NULL;
      rc = check_policy_update(u, p, &e, &text, err);
      if (rc == 0 && weft__upolicy_parse(text, strlen(text), "<unit policy>",
                                         u->schema, &np, err) < 0)
        rc = bad(err, seq, "extra", "the policy does not parse");
      if (rc == 0) {
        weft__upolicy_free(p);
        p = np;
      }
      free(text);
      if (rc == 0 && npol == cappol) {
        uint64_t *m = realloc(pols, 2 * cappol * sizeof *pols);
        if (!m)
          rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
        else
          pols = m, cappol *= 2;
      }
      if (rc == 0)
        pols[npol++] = seq;
    } else {
      if (!weft__uwho_has(&p->hosts, u->owner, e.host))
        rc = bad(err, seq, "host", "the policy does not let it advance "
                                   "the unit");
      else if (e.time_ms < prev_time + p->min_interval_ms)
        rc = bad(err, seq, "time_ms", "less than %llu ms after entry %llu",
                 (unsigned long long)p->min_interval_ms,
                 (unsigned long long)(seq - 1));
      for (size_t i = 0; rc == 0 && i < e.nmsgs; i++)
        if (weft__umsg_sig_ok(u->unit_id, &e.msgs[i]) < 0)
          rc = bad(err, seq, "messages", "message %zu: bad signature", i);
        else if (!weft__upolicy_may_send(p, u->owner, e.msgs[i].kind,
                                         e.msgs[i].sender))
          rc = bad(err, seq, "messages",
                   "message %zu: its sender may not send '%s'", i,
                   e.msgs[i].kind);
      if (rc == 0 && e.kind == WEFT__E_REJECTED && (e.nmuts || e.nemits))
        rc = bad(err, seq, "mutations", "a rejected cycle changes nothing");
      if (rc == 0 && e.kind == WEFT__E_CYCLE)
        rc = check_writes(u, p, &e, &s, err);
      if (rc == 0 && seen_add(&seen, &nseen, &capseen, &e) < 0)
        rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
      if (e.kind != WEFT__E_POLICY)
        prev_time = e.time_ms;
    }
    uint8_t kv[WEFT__HASH_LEN], h[WEFT__HASH_LEN];
    if (rc == 0) {
      weft__ustate_root(&s, kv);
      if (memcmp(kv, e.kv_root, WEFT__HASH_LEN))
        rc = bad(err, seq, "kv_root", "the state rebuilt from the lineage "
                                      "does not match it");
    }
    if (rc == 0) {
      memcpy(h, e.hash, WEFT__HASH_LEN);
      if (weft__uentry_hash(&e) < 0)
        rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
      else if (memcmp(h, e.hash, WEFT__HASH_LEN))
        rc = bad(err, seq, "hash", "does not match the entry's content");
      else if (weft__uentry_sig_ok(&e) < 0)
        rc = bad(err, seq, "sig", "not the host's signature of the entry");
      else if (seq == 0 && memcmp(e.hash, u->unit_id, WEFT__HASH_LEN))
        rc = bad(err, seq, "hash", "is not the file's unit id");
    }
    memcpy(prev, e.hash, WEFT__HASH_LEN);
    if (rc == 0 && seq + 1 == count)
      rc = check_head_state(u, &s, &e, err);
    weft__uentry_release(&e);
  }
  if (rc == 0)
    rc = check_replays(seen, nseen, err);
  if (rc == 0)
    rc = check_policy_rows(u, pols, npol, err);
  free(seen);
  free(pols);
  free(ptext);
  weft__upolicy_free(p);
  weft__ustate_release(&s);
  if (rc == 0 && o && o->replay)
    rc = replay(u, o, count, err);
  if (rc == 0 && o && o->entries)
    *o->entries = count;
  return rc;
}

/* See unit.h. */
int weft__unit_compare(weft__unitfile_t *a, weft__unitfile_t *b, int *ahead,
                       uint64_t *common, weft_error_t *err) {
  if (memcmp(a->unit_id, b->unit_id, WEFT__HASH_LEN))
    return WEFT_ERR(err, WEFT_EINVALID, "'%s' and '%s' are different units",
                    a->path, b->path);
  uint64_t na = weft__unitfile_count(a), nb = weft__unitfile_count(b);
  uint64_t n = na < nb ? na : nb;
  int rc = 0;
  for (uint64_t seq = 0; rc == 0 && seq < n; seq++) {
    weft__uentry_t x, y;
    if ((rc = weft__unitfile_entry(a, seq, &x, err)) < 0)
      break;
    if ((rc = weft__unitfile_entry(b, seq, &y, err)) < 0) {
      weft__uentry_release(&x);
      break;
    }
    if (memcmp(x.hash, y.hash, WEFT__HASH_LEN))
      rc = WEFT_ERR(err, WEFT_EINVALID,
                    "fork: '%s' and '%s' diverge at entry %llu", a->path,
                    b->path, (unsigned long long)seq);
    weft__uentry_release(&x);
    weft__uentry_release(&y);
  }
  *common = n;
  *ahead = na == nb ? 0 : na > nb ? 1 : 2;
  return rc;
}

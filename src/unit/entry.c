/* entry.c - lineage entries: the encoding of their list fields (messages,
 * mutations, emitted messages), their hash, which covers every field but
 * the hash and the signature, and the host's ed25519 signature of it.
 * Messages carry their sender's signature over weft__umsg_signed. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "unit/codec.h"
#include "unit/unit.h"

/* See unit.h. */
int weft__uentry_enc_msgs(const weft__uentry_t *e, weft__buf_t *out) {
  int rc = weft__put_u32(out, (uint32_t)e->nmsgs);
  for (size_t i = 0; i < e->nmsgs && !rc; i++) {
    const weft__umsg_t *m = &e->msgs[i];
    rc = weft__buf_add(out, m->sender, WEFT__PK_LEN) ||
         weft__put_bytes(out, m->kind, strlen(m->kind)) ||
         weft__put_bytes(out, m->body, m->body_len) ||
         weft__put_u64(out, m->nonce) ||
         weft__buf_add(out, m->sig, WEFT__SIG_LEN);
  }
  return rc ? WEFT_ENOMEM : 0;
}

/* See unit.h. */
int weft__uentry_enc_muts(const weft__uentry_t *e, weft__buf_t *out) {
  int rc = weft__put_u32(out, (uint32_t)e->nmuts);
  for (size_t i = 0; i < e->nmuts && !rc; i++) {
    const weft__umut_t *m = &e->muts[i];
    rc = weft__put_bytes(out, m->key, strlen(m->key)) ||
         weft__put_u8(out, m->del) ||
         weft__put_bytes(out, m->val, m->val_len) ||
         weft__put_u8(out, m->admitted) ||
         weft__put_bytes(out, m->rule, strlen(m->rule));
  }
  return rc ? WEFT_ENOMEM : 0;
}

/* See unit.h. */
int weft__uentry_enc_emits(const weft__uentry_t *e, weft__buf_t *out) {
  int rc = weft__put_u32(out, (uint32_t)e->nemits);
  for (size_t i = 0; i < e->nemits && !rc; i++)
    rc = weft__put_bytes(out, e->emits[i].kind, strlen(e->emits[i].kind)) ||
         weft__put_bytes(out, e->emits[i].body, e->emits[i].body_len);
  return rc ? WEFT_ENOMEM : 0;
}

static uint8_t *get_blob(weft__rd_t *r, size_t *n) {
  const uint8_t *p;
  if (!weft__get_bytes(r, &p, n))
    return NULL;
  uint8_t *d = malloc(*n ? *n : 1);
  if (d && *n)
    memcpy(d, p, *n);
  return d;
}

/* Each decoder fails (-1) on anything but exactly one encoding. */
int weft__uentry_dec_msgs(weft__uentry_t *e, const uint8_t *p, size_t n) {
  weft__rd_t r = {p, p + n, false};
  uint32_t cnt;
  if (!weft__get_u32(&r, &cnt) || cnt > n / 80)
    return -1;
  e->msgs = calloc(cnt ? cnt : 1, sizeof *e->msgs);
  if (!e->msgs)
    return -1;
  e->nmsgs = cnt;
  for (uint32_t i = 0; i < cnt; i++) {
    weft__umsg_t *m = &e->msgs[i];
    if (!weft__get_raw(&r, m->sender, WEFT__PK_LEN) ||
        !(m->kind = weft__get_text(&r)) ||
        !(m->body = get_blob(&r, &m->body_len)) ||
        !weft__get_u64(&r, &m->nonce) ||
        !weft__get_raw(&r, m->sig, WEFT__SIG_LEN))
      return -1;
  }
  return r.p == r.end ? 0 : -1;
}

/* See weft__uentry_dec_msgs. */
int weft__uentry_dec_muts(weft__uentry_t *e, const uint8_t *p, size_t n) {
  weft__rd_t r = {p, p + n, false};
  uint32_t cnt;
  if (!weft__get_u32(&r, &cnt) || cnt > n / 14)
    return -1;
  e->muts = calloc(cnt ? cnt : 1, sizeof *e->muts);
  if (!e->muts)
    return -1;
  e->nmuts = cnt;
  for (uint32_t i = 0; i < cnt; i++) {
    weft__umut_t *m = &e->muts[i];
    uint8_t del, adm;
    const uint8_t *rule;
    size_t rl;
    if (!(m->key = weft__get_text(&r)) || !weft__get_u8(&r, &del) ||
        del > 1 || !(m->val = get_blob(&r, &m->val_len)) ||
        !weft__get_u8(&r, &adm) ||
        adm > 1 || !weft__get_bytes(&r, &rule, &rl) ||
        rl >= sizeof m->rule || memchr(rule, 0, rl))
      return -1;
    m->del = del;
    m->admitted = adm;
    memcpy(m->rule, rule, rl);
    m->rule[rl] = 0;
    if (del) {
      if (m->val_len)
        return -1;
      free(m->val);
      m->val = NULL;
    }
  }
  return r.p == r.end ? 0 : -1;
}

/* See weft__uentry_dec_msgs. */
int weft__uentry_dec_emits(weft__uentry_t *e, const uint8_t *p, size_t n) {
  weft__rd_t r = {p, p + n, false};
  uint32_t cnt;
  if (!weft__get_u32(&r, &cnt) || cnt > n / 8)
    return -1;
  e->emits = calloc(cnt ? cnt : 1, sizeof *e->emits);
  if (!e->emits)
    return -1;
  e->nemits = cnt;
  for (uint32_t i = 0; i < cnt; i++)
    if (!(e->emits[i].kind = weft__get_text(&r)) ||
        !(e->emits[i].body = get_blob(&r, &e->emits[i].body_len)))
      return -1;
  return r.p == r.end ? 0 : -1;
}

/* See unit.h. */
int weft__uentry_hash(weft__uentry_t *e) {
  weft__buf_t b;
  weft__buf_init(&b);
  const char *note = e->note ? e->note : "";
  int rc = weft__put_u64(&b, e->seq) || weft__put_u8(&b, (uint8_t)e->kind) ||
           weft__buf_add(&b, e->prev, WEFT__HASH_LEN) ||
           weft__put_u64(&b, e->time_ms) ||
           weft__buf_add(&b, e->seed, sizeof e->seed) ||
           weft__uentry_enc_msgs(e, &b) || weft__uentry_enc_muts(e, &b) ||
           weft__uentry_enc_emits(e, &b) ||
           weft__put_bytes(&b, note, strlen(note)) ||
           weft__put_u64(&b, e->next_ms) ||
           weft__put_bytes(&b, e->extra, e->extra_len) ||
           weft__put_u32(&b, e->mem_pages) ||
           weft__buf_add(&b, e->mem_root, WEFT__HASH_LEN) ||
           weft__buf_add(&b, e->kv_root, WEFT__HASH_LEN) ||
           weft__buf_add(&b, e->root, WEFT__HASH_LEN) ||
           weft__buf_add(&b, e->host, WEFT__PK_LEN);
  if (!rc)
    weft__uhash(e->hash, WEFT__H_ENTRY, 1, b.data, b.len);
  weft__buf_release(&b);
  return rc ? WEFT_ENOMEM : 0;
}

/* See unit.h. */
int weft__uentry_seal(weft__uentry_t *e, const weft__ukey_t *k) {
  memcpy(e->host, k->pk, WEFT__PK_LEN);
  int rc = weft__uentry_hash(e);
  if (rc == 0)
    crypto_sign_detached(e->sig, NULL, e->hash, WEFT__HASH_LEN, k->sk);
  return rc;
}

/* See unit.h. */
int weft__uentry_sig_ok(const weft__uentry_t *e) {
  return crypto_sign_verify_detached(e->sig, e->hash, WEFT__HASH_LEN,
                                     e->host) == 0 ? 0 : -1;
}

/* See unit.h. */
void weft__uentry_release(weft__uentry_t *e) {
  for (size_t i = 0; e->msgs && i < e->nmsgs; i++) {
    free(e->msgs[i].kind);
    free(e->msgs[i].body);
  }
  for (size_t i = 0; e->muts && i < e->nmuts; i++) {
    free(e->muts[i].key);
    free(e->muts[i].val);
  }
  for (size_t i = 0; e->emits && i < e->nemits; i++) {
    free(e->emits[i].kind);
    free(e->emits[i].body);
  }
  free(e->msgs);
  free(e->muts);
  free(e->emits);
  free(e->note);
  free(e->extra);
  memset(e, 0, sizeof *e);
}

/* See unit.h. */
int weft__umsg_signed(const uint8_t *unit_id, const weft__umsg_t *m,
                      weft__buf_t *out) {
  static const char tag[] = "weft-unit-message-v1";
  int rc = weft__buf_add(out, tag, sizeof tag - 1) ||
           weft__buf_add(out, unit_id, WEFT__HASH_LEN) ||
           weft__put_bytes(out, m->kind, strlen(m->kind)) ||
           weft__put_bytes(out, m->body, m->body_len) ||
           weft__put_u64(out, m->nonce);
  return rc ? WEFT_ENOMEM : 0;
}

/* See unit.h. */
int weft__umsg_sign(const uint8_t *unit_id, weft__umsg_t *m,
                    const weft__ukey_t *k) {
  weft__buf_t b;
  weft__buf_init(&b);
  int rc = weft__umsg_signed(unit_id, m, &b);
  if (rc == 0) {
    memcpy(m->sender, k->pk, WEFT__PK_LEN);
    crypto_sign_detached(m->sig, NULL, (const uint8_t *)b.data, b.len,
                         k->sk);
  }
  weft__buf_release(&b);
  return rc;
}

/* See unit.h. */
int weft__umsg_sig_ok(const uint8_t *unit_id, const weft__umsg_t *m) {
  weft__buf_t b;
  weft__buf_init(&b);
  int rc = weft__umsg_signed(unit_id, m, &b);
  if (rc == 0 && crypto_sign_verify_detached(m->sig, (const uint8_t *)b.data,
                                             b.len, m->sender) != 0)
    rc = -1;
  weft__buf_release(&b);
  return rc;
}

/* See unit.h. */
void weft__upolicy_update_digest(const uint8_t *unit_id, const uint8_t *head,
                                 const uint8_t *policy_hash,
                                 uint8_t out[WEFT__HASH_LEN]) {
  static const char tag[] = "weft-unit-policy-v1";
  weft__uhash(out, WEFT__H_ENTRY, 4, tag, sizeof tag - 1, unit_id,
              (size_t)WEFT__HASH_LEN, head, (size_t)WEFT__HASH_LEN,
              policy_hash, (size_t)WEFT__HASH_LEN);
}

/* unit.h - resident units (docs/units.md): the model every part of
 * src/unit shares.
 *
 *   key.c      ed25519 key pairs and their files, hex
 *   value.c    governed values: canonical encoding, WIT `value` conversion
 *   schema.c   the schema file (S.toml): a type per key
 *   policy.c   the policy file (P.toml): who may do what
 *   admit.c    the admission function: a write + schema + policy -> verdict
 *   merkle.c   BLAKE2b hashes, the Merkle tree of the state root
 *   entry.c    lineage entries: canonical content, hash, signature
 *   store.c    the unit store interface (weft__unitfile_*) on a SQLite
 *              file (docs/unit-format.md); units at a redis:// address
 *              go to store_redis.c
 *   store_redis.c  the same interface on a Redis server, with leases
 *   cycle.c    running a cycle of the guest and committing it
 *   verify.c   checking a unit file, replaying it, comparing two
 *   home.c     the host's identity ($WEFT_HOME/host.key)
 *   host.c     what a host does: check the head, queue, cycle now
 *   state.c    the governed state in memory
 *   pack.c     a unit as one canonical file for another host
 *
 * Values that cross file boundaries are canonical bytes (value.c), so the
 * admission function, the lineage and the state all agree on them.
 */
#ifndef WEFT_UNIT_UNIT_H
#define WEFT_UNIT_UNIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "toml/toml.h"
#include "util/arena.h"
#include "util/util.h"

#define WEFT__UNIT_FORMAT 1       /* the unit file's format version */
#define WEFT__UNIT_PAGE 4096      /* bytes per memory page of the file */
#define WEFT__UNIT_WORLD "weft:unit/unit@0.1.0"

/* ---- keys (key.c) -------------------------------------------------------- */

#define WEFT__PK_LEN 32  /* ed25519 public key */
#define WEFT__SK_LEN 64  /* ed25519 secret key (seed + public key) */
#define WEFT__SIG_LEN 64 /* ed25519 signature */
#define WEFT__HASH_LEN 32 /* BLAKE2b-256 */

typedef struct weft__ukey {
  uint8_t pk[WEFT__PK_LEN];
  uint8_t sk[WEFT__SK_LEN];
  bool has_sk;
} weft__ukey_t;

/* Make a new key pair (libsodium must be initialised: weft__unit_init). */
void weft__ukey_generate(weft__ukey_t *k);
/* Write `k` as PATH (secret, mode 0600) and PATH.pub (public). The
 * format is one line each: "weft-ed25519-secret <128 hex>\n" and
 * "weft-ed25519-public <64 hex>\n". */
int weft__ukey_write(const weft__ukey_t *k, const char *path,
                     weft_error_t *err);
/* Read a key file of either kind into *k (has_sk tells which). */
int weft__ukey_read(const char *path, weft__ukey_t *k, weft_error_t *err);
/* Lower-case hex of `n` bytes into out[2n+1]. */
void weft__hex(const uint8_t *p, size_t n, char *out);
/* Parse exactly 2n hex digits; 0 or -1. */
int weft__unhex(const char *s, size_t slen, uint8_t *out, size_t n);
/* Initialise libsodium once; 0 or WEFT_EIO. */
int weft__unit_init(weft_error_t *err);

/* ---- values (value.c) ---------------------------------------------------- */

typedef enum weft__uv_type {
  WEFT__UV_INT = 1,
  WEFT__UV_TEXT,
  WEFT__UV_BOOL,
  WEFT__UV_BYTES,
  WEFT__UV_LIST,
  WEFT__UV_RECORD
} weft__uv_type_t;

/* A decoded value. Lists and records hold scalars (INT, TEXT, BOOL,
 * BYTES) only: WIT has no recursive types. Record fields carry names. */
typedef struct weft__uval {
  uint8_t type;
  int64_t i;                 /* INT; BOOL as 0 or 1 */
  const uint8_t *ptr;        /* TEXT (UTF-8), BYTES */
  size_t len;
  struct weft__uval *items;  /* LIST items, RECORD fields */
  size_t n;
  const char *name;          /* a RECORD field's name */
  size_t name_len;
} weft__uval_t;

/* "integer", "string", "bool", "bytes", "list", "record". */
const char *weft__uv_type_name(int type);
/* Append the canonical encoding of `v` to `out` (docs/unit-format.md);
 * record fields are sorted by name. 0, WEFT_ENOMEM or WEFT_EINVAL (a
 * duplicate field, a nested list). */
int weft__uval_encode(const weft__uval_t *v, weft__buf_t *out);
/* Decode canonical bytes (borrowed; `v` points into them, items in `a`).
 * Anything not canonical is WEFT_EPARSE. */
int weft__uval_decode(const uint8_t *p, size_t len, weft__arena_t *a,
                      weft__uval_t *v, weft_error_t *err);
/* WAVE-like text of canonical bytes, for `weft unit show`. */
int weft__uval_show(const uint8_t *p, size_t len, weft__buf_t *out);

struct weft_val;
/* The WIT `value` variant (weft:unit/types) to canonical bytes. */
int weft__uval_from_wit(const struct weft_val *v, weft__buf_t *out,
                        weft_error_t *err);
/* Canonical bytes to the WIT `value` variant, allocated with `alloc`
 * (weft_caller_alloc's shape). */
int weft__uval_to_wit(const uint8_t *p, size_t len,
                      void *(*alloc)(void *ctx, size_t n), void *ctx,
                      struct weft_val *out);

/* ---- schema (schema.c) --------------------------------------------------- */

typedef struct weft__utype {
  uint8_t type;               /* weft__uv_type_t */
  int64_t min, max;           /* INT */
  uint64_t max_len;           /* TEXT, BYTES: bytes; LIST: items */
  struct weft__utype *item;   /* LIST */
  struct weft__ufield *fields; /* RECORD, sorted by name */
  size_t nfields;
} weft__utype_t;

typedef struct weft__ufield {
  const char *name;
  weft__utype_t type;
} weft__ufield_t;

typedef struct weft__ukeydef {
  const char *name;
  weft__utype_t type;
  int line;
} weft__ukeydef_t;

typedef struct weft__uschema {
  weft__toml_t *root;
  weft__arena_t arena;
  weft__ukeydef_t *keys;
  size_t nkeys;
} weft__uschema_t;

/* Parse schema text (`name` labels messages: "S.toml:4: ..."). Strict:
 * unknown keys and bad types fail naming file:line. Free with
 * weft__uschema_free. */
int weft__uschema_parse(const char *text, size_t len, const char *name,
                        weft__uschema_t **out, weft_error_t *err);
void weft__uschema_free(weft__uschema_t *s);
const weft__ukeydef_t *weft__uschema_key(const weft__uschema_t *s,
                                         const char *key);
/* 0 when `v` fits `t`; else 1 with a reason in msg. */
int weft__utype_check(const weft__utype_t *t, const weft__uval_t *v,
                      char *msg, size_t cap);

/* ---- policy (policy.c) --------------------------------------------------- */

/* A set of principals: "any", "owner", or public keys (hex in the file). */
typedef struct weft__uwho {
  bool any, owner;
  uint8_t (*keys)[WEFT__PK_LEN];
  size_t n;
} weft__uwho_t;

typedef struct weft__umsgrule {
  const char *kind;
  weft__uwho_t senders;
} weft__umsgrule_t;

typedef struct weft__ukeyrule {
  const char *key;
  bool immutable, monotonic, owner_only, has_max_change;
  uint64_t max_change;
  int line;
} weft__ukeyrule_t;

typedef struct weft__upolicy {
  weft__toml_t *root;
  weft__arena_t arena;
  weft__uwho_t hosts;   /* who may advance the unit; default any */
  weft__uwho_t admins;  /* who may change the policy; default owner */
  uint64_t min_interval_ms; /* between cycles; default 0 */
  uint64_t deadline_ns;     /* per cycle; default 1 s */
  uint64_t max_memory;      /* linear memory cap; default 64 MiB */
  uint32_t max_per_step;    /* cycles one `step` may run; default 1 */
  weft__umsgrule_t *msgs;
  size_t nmsgs;
  weft__ukeyrule_t *keys;
  size_t nkeys;
} weft__upolicy_t;

/* Parse policy text, strictly (file:line). When `schema` is given, every
 * key a rule names must be in it and monotonic/max_change keys must be
 * integers. Free with weft__upolicy_free. */
int weft__upolicy_parse(const char *text, size_t len, const char *name,
                        const weft__uschema_t *schema,
                        weft__upolicy_t **out, weft_error_t *err);
void weft__upolicy_free(weft__upolicy_t *p);
/* Whether `pk` is in `who` (`owner` is the unit's owner key). */
bool weft__uwho_has(const weft__uwho_t *who, const uint8_t *owner,
                    const uint8_t *pk);
/* Whether `sender` may send messages of `kind`. */
bool weft__upolicy_may_send(const weft__upolicy_t *p, const uint8_t *owner,
                            const char *kind, const uint8_t *sender);
const weft__ukeyrule_t *weft__upolicy_key(const weft__upolicy_t *p,
                                          const char *key);

/* ---- admission (admit.c) ------------------------------------------------- */

/* A write's verdict: admitted, or denied by `rule` with a message. */
typedef struct weft__udenial {
  char rule[32];
  char msg[200];
} weft__udenial_t;

/* One write to decide. Values are canonical bytes; NULL means absent
 * (`now`: the key is not set; `start`: it was not set when the cycle
 * began; `val`: a delete). `by_owner`: the cycle carries a message signed
 * by the owner. */
typedef struct weft__uwrite {
  const char *key;
  const uint8_t *now, *start, *val;
  size_t now_len, start_len, val_len;
  bool by_owner;
} weft__uwrite_t;

/* 0: admitted; 1: denied (filled in *d); a negative error only when out
 * of memory. Pure: the same arguments give the same verdict anywhere. */
int weft__unit_admit(const weft__uschema_t *s, const weft__upolicy_t *p,
                     const weft__uwrite_t *w, weft__udenial_t *d);

/* ---- hashes (merkle.c) --------------------------------------------------- */

/* BLAKE2b-256 of the concatenation of `n` (pointer, length) parts,
 * keyed by nothing, with a one-byte domain tag first. */
void weft__uhash(uint8_t out[WEFT__HASH_LEN], uint8_t tag, size_t n, ...);
enum { WEFT__H_PAGE = 1, WEFT__H_NODE, WEFT__H_KV, WEFT__H_ROOT,
       WEFT__H_ENTRY, WEFT__H_EMPTY };

/* A Merkle tree over leaf hashes, kept between cycles so that changing
 * k leaves costs k log n hashes. */
typedef struct weft__merkle {
  size_t nleaves, cap;   /* cap: a power of two >= nleaves */
  uint8_t (*node)[WEFT__HASH_LEN]; /* 2*cap nodes, 1 is the root */
} weft__merkle_t;

/* Resize to `n` leaves (new leaves are the empty hash); 0 or ENOMEM. */
int weft__merkle_resize(weft__merkle_t *m, size_t n);
/* Set leaf `i` (updates the path to the root). */
void weft__merkle_set(weft__merkle_t *m, size_t i, const uint8_t *h);
/* Set every leaf first, then weft__merkle_build once. */
void weft__merkle_set_leaf(weft__merkle_t *m, size_t i, const uint8_t *h);
void weft__merkle_build(weft__merkle_t *m);
void weft__merkle_root(const weft__merkle_t *m, uint8_t out[WEFT__HASH_LEN]);
void weft__merkle_release(weft__merkle_t *m);
/* The hash of a memory page (WEFT__UNIT_PAGE bytes), and of a state
 * entry (key, canonical value). */
void weft__page_hash(const uint8_t *page, uint8_t out[WEFT__HASH_LEN]);
void weft__kv_hash(const char *key, const uint8_t *v, size_t len,
                   uint8_t out[WEFT__HASH_LEN]);
/* The state root: over the memory size, the memory tree's root, the
 * globals and the state tree's root. */
void weft__state_root(uint32_t mem_pages, const uint8_t *mem_root,
                      const uint8_t *globals, size_t globals_len,
                      const uint8_t *kv_root, uint8_t out[WEFT__HASH_LEN]);

/* ---- lineage entries (entry.c) ------------------------------------------ */

enum { WEFT__E_GENESIS = 0, WEFT__E_CYCLE = 1, WEFT__E_REJECTED = 2,
       WEFT__E_POLICY = 3 };

/* One message of a cycle: sender, kind, body, the sender's signature
 * over weft__umsg_signed (unit id, kind, body, nonce). */
typedef struct weft__umsg {
  uint8_t sender[WEFT__PK_LEN];
  char *kind;
  uint8_t *body;
  size_t body_len;
  uint64_t nonce;
  uint8_t sig[WEFT__SIG_LEN];
} weft__umsg_t;

/* One write of a cycle and its verdict. */
typedef struct weft__umut {
  char *key;
  bool del;
  uint8_t *val;   /* canonical; NULL for a delete */
  size_t val_len;
  bool admitted;
  char rule[32];  /* the denying rule, "" when admitted */
} weft__umut_t;

typedef struct weft__uemit {
  char *kind;
  uint8_t *body;
  size_t body_len;
} weft__uemit_t;

/* Every field of an entry; the hash covers all but `hash` and `sig`. */
typedef struct weft__uentry {
  uint64_t seq;
  int kind;
  uint8_t prev[WEFT__HASH_LEN];
  uint64_t time_ms;
  uint8_t seed[32];
  weft__umsg_t *msgs;
  size_t nmsgs;
  weft__umut_t *muts;
  size_t nmuts;
  weft__uemit_t *emits;
  size_t nemits;
  char *note;          /* the cycle's summary, or its error */
  uint64_t next_ms;    /* 1 + the delay the guest asked for; 0: none */
  uint8_t *extra;      /* genesis: the unit's identity; policy: the
                          update (weft__upolicy_update encoding) */
  size_t extra_len;
  uint32_t mem_pages;
  uint8_t mem_root[WEFT__HASH_LEN];
  uint8_t kv_root[WEFT__HASH_LEN];
  uint8_t root[WEFT__HASH_LEN];
  uint8_t host[WEFT__PK_LEN];
  uint8_t hash[WEFT__HASH_LEN];
  uint8_t sig[WEFT__SIG_LEN];
} weft__uentry_t;

/* Serialised fields, as the file's columns hold them. */
int weft__uentry_enc_msgs(const weft__uentry_t *e, weft__buf_t *out);
int weft__uentry_enc_muts(const weft__uentry_t *e, weft__buf_t *out);
int weft__uentry_enc_emits(const weft__uentry_t *e, weft__buf_t *out);
int weft__uentry_dec_msgs(weft__uentry_t *e, const uint8_t *p, size_t n);
int weft__uentry_dec_muts(weft__uentry_t *e, const uint8_t *p, size_t n);
int weft__uentry_dec_emits(weft__uentry_t *e, const uint8_t *p, size_t n);
/* Compute e->hash from every other field; 0 or ENOMEM. */
int weft__uentry_hash(weft__uentry_t *e);
/* Hash and sign with `k` (sets e->host to k->pk). */
int weft__uentry_seal(weft__uentry_t *e, const weft__ukey_t *k);
/* 0 when e->sig is e->host's signature of e->hash. */
int weft__uentry_sig_ok(const weft__uentry_t *e);
void weft__uentry_release(weft__uentry_t *e);
/* The bytes a message's sender signs. */
int weft__umsg_signed(const uint8_t *unit_id, const weft__umsg_t *m,
                      weft__buf_t *out);
/* Sign / check a message for unit `unit_id`. */
int weft__umsg_sign(const uint8_t *unit_id, weft__umsg_t *m,
                    const weft__ukey_t *k);
int weft__umsg_sig_ok(const uint8_t *unit_id, const weft__umsg_t *m);
/* A signed policy update: an admin signs this digest of the unit, the
 * head it applies after and the new policy's hash. The policy entry's
 * `extra` holds signer(32) | signature(64) | policy hash(32). */
void weft__upolicy_update_digest(const uint8_t *unit_id, const uint8_t *head,
                                 const uint8_t *policy_hash,
                                 uint8_t out[WEFT__HASH_LEN]);

/* ---- the unit file (store.c) -------------------------------------------- */

typedef struct weft__ustate_ent {
  char *key;
  uint8_t *val;
  size_t len;
  uint8_t leaf[WEFT__HASH_LEN];
} weft__ustate_ent_t;

/* The governed state: sorted by key, with the leaf hashes of its tree. */
typedef struct weft__ustate {
  weft__ustate_ent_t *ents;
  size_t n, cap;
} weft__ustate_t;

const weft__ustate_ent_t *weft__ustate_get(const weft__ustate_t *s,
                                           const char *key);
/* Set (val != NULL, copied) or delete (val == NULL) `key`. */
int weft__ustate_put(weft__ustate_t *s, const char *key, const uint8_t *val,
                     size_t len);
void weft__ustate_root(const weft__ustate_t *s, uint8_t out[WEFT__HASH_LEN]);
int weft__ustate_copy(weft__ustate_t *dst, const weft__ustate_t *src);
void weft__ustate_release(weft__ustate_t *s);

typedef struct sqlite3 weft__sqlite_t;
typedef struct weft__uredis weft__uredis_t;

/* An open unit file with what a cycle needs in memory. */
typedef struct weft__unitfile {
  char *path;                  /* a file, or the unit's redis:// address
                                  (without its password) */
  weft__sqlite_t *db;          /* a file's database, or NULL ... */
  weft__uredis_t *redis;       /* ... for a unit in Redis */
  uint8_t unit_id[WEFT__HASH_LEN]; /* the genesis entry's hash */
  uint8_t owner[WEFT__PK_LEN];
  uint8_t code_hash[WEFT__HASH_LEN];
  uint8_t *code;
  size_t code_len;
  char *schema_text;
  weft__uschema_t *schema;
  char *policy_text;
  weft__upolicy_t *policy;
  weft__ustate_t state;
  uint32_t mem_pages;          /* wasm pages (64 KiB) */
  uint8_t (*page_hash)[WEFT__HASH_LEN]; /* per file page (4 KiB) */
  size_t npages;
  weft__merkle_t mem_tree;
  uint8_t *globals;            /* saved exported mutable globals */
  size_t globals_len;
  weft__uentry_t head;         /* the last entry */
} weft__unitfile_t;

/* What `weft unit new` puts in a file. */
typedef struct weft__unew {
  const uint8_t *code;
  size_t code_len;
  const char *schema_text, *policy_text;
  const weft__ukey_t *owner; /* with its secret key: signs the genesis */
  uint32_t mem_pages;        /* memory after instantiation */
  const uint8_t *mem;        /* mem_pages * 64 KiB bytes */
  const uint8_t *globals;
  size_t globals_len;
  uint64_t time_ms;
} weft__unew_t;

/* The store interface: every weft__unitfile_* function below works on a
 * unit file and on a unit in Redis (store_redis.c) alike; `path` is either
 * (weft__unit_is_redis). Only create and import need a file. */

/* Create `path` (must not exist) with its genesis entry. */
int weft__unitfile_create(const char *path, const weft__unew_t *n,
                          weft_error_t *err);
/* Open, load meta/code/schema/policy/state/page hashes/head. */
int weft__unitfile_open(const char *path, weft__unitfile_t **out,
                        weft_error_t *err);
void weft__unitfile_close(weft__unitfile_t *u);
/* Read every stored page into `mem` (mem_pages * 64 KiB, zeroed where
 * no page is stored). */
int weft__unitfile_read_memory(weft__unitfile_t *u, uint8_t *mem,
                               weft_error_t *err);
/* Read entry `seq` (0 when found, ENOTFOUND past the head). Field
 * decoding errors name the field. */
int weft__unitfile_entry(weft__unitfile_t *u, uint64_t seq,
                         weft__uentry_t *e, weft_error_t *err);
uint64_t weft__unitfile_count(weft__unitfile_t *u);
/* The policy text in force at entry `seq` (caller frees). */
int weft__unitfile_policy_at(weft__unitfile_t *u, uint64_t seq, char **text,
                             weft_error_t *err);

/* Whether a message of `sender` with `nonce` was delivered by an entry
 * already: 1 yes, 0 no, or a negative error. */
int weft__unitfile_seen(weft__unitfile_t *u, const uint8_t *sender,
                        uint64_t nonce, weft_error_t *err);
/* The entries from which a policy is in force (the policy table's rows),
 * in order: *seqs is malloc'd. */
int weft__unitfile_policy_seqs(weft__unitfile_t *u, uint64_t **seqs,
                               size_t *n, weft_error_t *err);

/* Everything a unit file holds, for weft__unitfile_import (unpack). */
typedef struct weft__uimport {
  const uint8_t *code;
  size_t code_len;
  const uint8_t *owner;           /* WEFT__PK_LEN */
  const char *schema_text;
  const char *const *policies;    /* policies[i] in force from ... */
  const uint64_t *policy_seq;     /* ... entry policy_seq[i] */
  size_t npolicies;
  const uint8_t *globals;
  size_t globals_len;
  const weft__uentry_t *entries;  /* the lineage, genesis first */
  size_t nentries;                /* at least 1 */
  const weft__ustate_t *state;    /* the state at the head */
  const uint32_t *page_idx;       /* the head's non-zero memory pages */
  const uint8_t *const *page_data;
  size_t npages;
} weft__uimport_t;

/* Write `path` (a new or empty file) with everything in `im`, in one
 * transaction, without syncing it. Checks nothing: verify the file, then
 * sync it. */
int weft__unitfile_import(const char *path, const weft__uimport_t *im,
                          weft_error_t *err);

/* A cycle's changes, committed in one transaction with its entry. */
typedef struct weft__ucommit {
  weft__uentry_t *entry;          /* sealed */
  const weft__ustate_t *state;    /* the state after (NULL: unchanged) */
  const uint8_t *mem;             /* memory after (NULL: unchanged) */
  uint32_t mem_pages;
  const size_t *dirty;            /* file pages to write */
  size_t ndirty;
  const uint8_t (*dirty_hash)[WEFT__HASH_LEN];
  const uint8_t *globals;
  size_t globals_len;
  const char *policy_text;        /* a policy entry: the new policy */
  const int64_t *inbox_done;      /* inbox rows consumed */
  size_t ninbox_done;
} weft__ucommit_t;

int weft__unitfile_commit(weft__unitfile_t *u, const weft__ucommit_t *c,
                          weft_error_t *err);
/* The inbox: messages waiting for the next cycle. */
int weft__unitfile_inbox_add(weft__unitfile_t *u, const weft__umsg_t *m,
                             weft_error_t *err);
int weft__unitfile_inbox(weft__unitfile_t *u, weft__umsg_t **msgs,
                         int64_t **ids, size_t *n, weft_error_t *err);

/* ---- units in Redis (store_redis.c) ------------------------------------ */

/* Whether `path` is a unit's Redis address, "redis://.../NAME". */
bool weft__unit_is_redis(const char *path);
/* The store functions of a unit in Redis; weft__unitfile_* calls them for
 * a unit whose `redis` is set (same contracts). */
int weft__uredis_open(const char *url, weft__unitfile_t **out,
                      weft_error_t *err);
void weft__uredis_free(weft__uredis_t *rs);
int weft__uredis_entry(weft__unitfile_t *u, uint64_t seq, weft__uentry_t *e,
                       weft_error_t *err);
uint64_t weft__uredis_count(weft__unitfile_t *u);
int weft__uredis_policy_at(weft__unitfile_t *u, uint64_t seq, char **text,
                           weft_error_t *err);
int weft__uredis_read_memory(weft__unitfile_t *u, uint8_t *mem,
                             weft_error_t *err);
int weft__uredis_seen(weft__unitfile_t *u, const uint8_t *sender,
                      uint64_t nonce, weft_error_t *err);
int weft__uredis_policy_seqs(weft__unitfile_t *u, uint64_t **seqs,
                             size_t *n, weft_error_t *err);
int weft__uredis_commit(weft__unitfile_t *u, const weft__ucommit_t *c,
                        weft_error_t *err);
int weft__uredis_inbox_add(weft__unitfile_t *u, const weft__umsg_t *m,
                           weft_error_t *err);
int weft__uredis_inbox(weft__unitfile_t *u, weft__umsg_t **msgs,
                       int64_t **ids, size_t *n, weft_error_t *err);

/* Leases: a unit in Redis is advanced only under its lease, a random
 * token set with SET NX PX for `ttl_ms`; a commit checks the token and
 * the head it started from in one script. weft__unit_lease takes it:
 * 0 taken and `u` is at the stored head; 1 taken, but another host moved
 * the head since `u` was loaded (weft__unit_reload and reopen any run
 * before cycling); 2 another host holds it; or a negative error
 * (WEFT_EIO: Redis is down or slow; the next call connects again). A
 * unit file needs no lease (SQLite's lock is one): always 0. */
int weft__unit_lease(weft__unitfile_t *u, uint64_t ttl_ms,
                     weft_error_t *err);
/* Extend the lease held for `ttl_ms` more; WEFT_EINVAL if it was lost. */
int weft__unit_lease_renew(weft__unitfile_t *u, uint64_t ttl_ms,
                           weft_error_t *err);
/* Give the lease back (if still ours); errors are ignored: it expires. */
void weft__unit_lease_release(weft__unitfile_t *u);
/* Whether the last failed commit of `u` was refused because another host
 * holds the lease or moved the head (the cycle is lost, not an error:
 * reload and go on); clears it. Always false for a file. */
bool weft__unit_lost_race(weft__unitfile_t *u);
/* Load a unit in Redis again, at its stored head, in place. Runs opened
 * on `u` must be freed first. */
int weft__unit_reload(weft__unitfile_t *u, weft_error_t *err);
/* Copy the unit `src` (a file or a unit in Redis, verified by the
 * caller) to the Redis address `url`, which must hold no unit yet: the
 * same code, texts, entries, state and pages, written in one MULTI/EXEC
 * transaction. */
int weft__uredis_push(weft__unitfile_t *src, const char *url,
                      weft_error_t *err);

/* ---- cycles (cycle.c) ---------------------------------------------------- */

typedef struct weft__urun weft__urun_t;
struct weft_engine;

/* A unit ready to cycle: the file, the instance with its memory restored
 * and the host's key. Resident hosts keep it between cycles. */
int weft__urun_open(struct weft_engine *engine, weft__unitfile_t *u,
                    const weft__ukey_t *host, weft__urun_t **out,
                    weft_error_t *err);
void weft__urun_free(weft__urun_t *r);

/* The inputs of one cycle. */
typedef struct weft__uinput {
  uint64_t time_ms;
  const uint8_t *seed;      /* 32 bytes */
  const weft__umsg_t *msgs;
  size_t nmsgs;
  const int64_t *inbox_ids; /* inbox rows these messages came from */
  size_t ninbox;
} weft__uinput_t;

/* The outcome of a cycle. */
typedef struct weft__uresult {
  int kind;           /* WEFT__E_CYCLE or WEFT__E_REJECTED */
  uint64_t seq;
  uint64_t next_ms;   /* as in the entry: 1 + the delay, 0: none */
  char note[256];
  size_t dropped;     /* inbox messages refused (weft__unit_cycle_at) */
  char dropped_why[160]; /* why the first of them was */
} weft__uresult_t;

/* Run one cycle with `in`, commit it, and report. Errors (I/O, policy
 * refusing this host) leave the file as it was. */
int weft__urun_cycle(weft__urun_t *r, const weft__uinput_t *in,
                     weft__uresult_t *res, weft_error_t *err);
/* Replay: run a cycle with the recorded inputs of `e` without committing,
 * writing the entry it would make into *out (roots, mutations). */
int weft__urun_replay(weft__urun_t *r, const weft__uentry_t *e,
                      weft__uentry_t *out, weft_error_t *err);
/* A fresh instance (as at genesis, after _initialize) for a replay. */
int weft__urun_genesis(struct weft_engine *engine, weft__unitfile_t *u,
                       weft__urun_t **out, uint8_t mem_root[WEFT__HASH_LEN],
                       uint32_t *mem_pages, weft_error_t *err);
/* Apply a policy entry to a replaying run. */
int weft__urun_set_policy(weft__urun_t *r, const char *text,
                          weft_error_t *err);
/* The memory and globals of a fresh instance of `code` (for unit new),
 * under the policy's limits: *mem and *globals are malloc'd, *mem is
 * mem_pages * 64 KiB. */
int weft__unit_initial_memory(struct weft_engine *engine, const uint8_t *code,
                              size_t len, const char *policy_text,
                              const weft__uschema_t *schema, uint8_t **mem,
                              uint32_t *mem_pages, uint8_t **globals,
                              size_t *globals_len, weft_error_t *err);

/* ---- verification (verify.c) --------------------------------------------- */

typedef struct weft__uverify_opts {
  bool replay;
  struct weft_engine *engine; /* for replay */
  uint64_t *entries;          /* out: entries checked */
} weft__uverify_opts_t;

/* Check everything in the file: the chain, every signature, every
 * admission under the policy then in force, the code hash, the state and
 * memory against the head. The first failure is WEFT_EINVALID with
 * "entry N: field 'F': ...". */
int weft__unit_verify(weft__unitfile_t *u, const weft__uverify_opts_t *o,
                      weft_error_t *err);
/* Compare two lineages of one unit: a fork is WEFT_EINVALID naming the
 * first entry where they differ. *ahead: 0 same, 1 a ahead, 2 b ahead. */
int weft__unit_compare(weft__unitfile_t *a, weft__unitfile_t *b, int *ahead,
                       uint64_t *common, weft_error_t *err);

/* ---- the host (home.c, host.c) ------------------------------------------ */

/* $WEFT_HOME (default ~/.weft) into out. */
int weft__unit_home(weft__buf_t *out, weft_error_t *err);
/* The host key $WEFT_HOME/host.key, made on first use. */
int weft__unit_host_key(weft__ukey_t *k, weft_error_t *err);
/* Wall-clock milliseconds since the Unix epoch. */
uint64_t weft__unit_now_ms(void);
/* Read a UTF-8 text file without NUL into *text (caller frees). */
int weft__unit_read_text(const char *path, char **text, size_t *len,
                         weft_error_t *err);
/* Check the head entry's hash and signature and that the stored state,
 * memory hashes and globals give its roots (no page is rehashed). */
int weft__unit_check_head(weft__unitfile_t *u, weft_error_t *err);
/* weft__unitfile_open, then weft__unit_check_head. */
int weft__unit_open_checked(const char *path, weft__unitfile_t **out,
                            weft_error_t *err);
/* Sign the body in `body_path` as a message of `kind` with the secret key
 * in `key_path` and queue it in the unit's inbox (the policy must let
 * the key send `kind`). */
int weft__unit_queue(weft__unitfile_t *u, const char *body_path,
                     const char *key_path, const char *kind,
                     weft_error_t *err);
/* Append a policy entry that puts `text` (`name` labels messages) in
 * force, signed by `admin` (one of the policy's admins) and sealed by
 * `host`. The file must be reopened to use the new policy. */
int weft__unit_apply_policy(weft__unitfile_t *u, const char *text,
                            const char *name, const weft__ukey_t *admin,
                            const weft__ukey_t *host, weft_error_t *err);
/* One cycle of `r` (opened on `u`) at `time_ms`: the inbox's messages
 * and a fresh random seed. Inbox messages that cannot be delivered (bad
 * signature, a sender the policy refuses, a replay of a message the
 * lineage or this cycle holds) are dropped from the inbox with the cycle
 * and counted in res->dropped. */
int weft__unit_cycle_at(weft__urun_t *r, weft__unitfile_t *u,
                        uint64_t time_ms, weft__uresult_t *res,
                        weft_error_t *err);
/* weft__unit_cycle_at with the time max(now, min_time). */
int weft__unit_cycle_now(weft__urun_t *r, weft__unitfile_t *u,
                         uint64_t min_time, weft__uresult_t *res,
                         weft_error_t *err);
/* What `weft unit step` does: at least one cycle, at most the policy's
 * max_per_step. A cycle the unit scheduled (schedule.after) that fell due
 * by the start of the step runs at its due time, the oldest first; more
 * run while they are due and the budget lasts; when none is due, one
 * runs now. `each` (may be NULL) sees every result. */
int weft__unit_step(weft__urun_t *r, weft__unitfile_t *u,
                    void (*each)(const weft__uresult_t *, void *), void *ctx,
                    weft_error_t *err);

/* The lease a host takes to advance `u`: long enough for two cycle
 * deadlines and a second more. */
uint64_t weft__unit_lease_ttl(const weft__unitfile_t *u);
/* Take the lease of `u` (weft__unit_lease), reloading `u` when another
 * host moved its head, and waiting with backoff while another host holds
 * it, up to `wait_ms`: 0 taken (u at the stored head), 2 still held by
 * another, or a negative error. No run may be open on `u`. */
int weft__unit_acquire(weft__unitfile_t *u, uint64_t wait_ms,
                       weft_error_t *err);

/* ---- packs (pack.c) ------------------------------------------------------ */

struct weft__rd;
/* An entry in the pack's encoding (docs/unit-format.md "Packs"), also a
 * unit's entry in Redis: append it to `b`; 0 or WEFT_ENOMEM. */
int weft__uentry_pack(weft__buf_t *b, const weft__uentry_t *e);
/* Read one such entry from `r` into *e (e->seq is the caller's); false
 * when malformed (release *e then). */
bool weft__uentry_unpack(struct weft__rd *r, weft__uentry_t *e);

/* Append the pack of `u` (docs/unit-format.md, "Packs") to `out`: a
 * canonical serialisation of everything the lineage covers. The file
 * should be verified first (weft__unit_verify). */
int weft__unit_pack(weft__unitfile_t *u, weft__buf_t *out,
                    weft_error_t *err);
/* Make unit file `path` (must not exist) from the pack `p` of `n` bytes
 * (`name` labels messages). The file appears only if the pack parses,
 * the unit verifies and packing it again gives exactly `p`; otherwise
 * nothing is left behind and the error names the offset or the entry and
 * field. */
int weft__unit_unpack(const uint8_t *p, size_t n, const char *name,
                      const char *path, weft_error_t *err);

#endif

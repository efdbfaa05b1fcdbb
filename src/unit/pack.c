/* pack.c - a unit as one file for another host (`weft unit pack` and
 * `unpack`, docs/unit-format.md "Packs"). A pack is a canonical
 * serialisation of what the lineage covers: the code, the schema, the
 * policies, the entries, the globals and the non-zero memory pages; what
 * the file derives from those (ids, hashes, the state, the message index)
 * is rebuilt, and the inbox does not travel.
 *
 * Every byte of a pack is covered by the chain: unpack parses it
 * strictly, builds the unit file beside the target, verifies it fully,
 * packs it again and requires exactly the bytes it was given. So a pack
 * that verifies is the only encoding of its unit, and a changed byte
 * either fails to parse, fails a hash or signature, or makes another
 * encoding, which is refused. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit/codec.h"
#include "unit/unit.h"

static const char magic[8] = {'W', 'E', 'F', 'T', 'P', 'A', 'C', 'K'};

/* The least bytes an entry takes in a pack, to bound counts. */
#define MIN_ENTRY (1 + 32 + 8 + 32 + 5 * 4 + 8 + 4 + 4 * 32 + 32 + 64)

/* See unit.h. */
int weft__uentry_pack(weft__buf_t *b, const weft__uentry_t *e) {
  weft__buf_t m, x, o;
  weft__buf_init(&m);
  weft__buf_init(&x);
  weft__buf_init(&o);
  const char *note = e->note ? e->note : "";
  int rc = weft__uentry_enc_msgs(e, &m) || weft__uentry_enc_muts(e, &x) ||
           weft__uentry_enc_emits(e, &o) ||
           weft__put_u8(b, (uint8_t)e->kind) ||
           weft__buf_add(b, e->prev, WEFT__HASH_LEN) ||
           weft__put_u64(b, e->time_ms) ||
           weft__buf_add(b, e->seed, sizeof e->seed) ||
           weft__put_bytes(b, m.data, m.len) ||
           weft__put_bytes(b, x.data, x.len) ||
           weft__put_bytes(b, o.data, o.len) ||
           weft__put_bytes(b, note, strlen(note)) ||
           weft__put_u64(b, e->next_ms) ||
           weft__put_bytes(b, e->extra, e->extra_len) ||
           weft__put_u32(b, e->mem_pages) ||
           weft__buf_add(b, e->mem_root, WEFT__HASH_LEN) ||
           weft__buf_add(b, e->kv_root, WEFT__HASH_LEN) ||
           weft__buf_add(b, e->root, WEFT__HASH_LEN) ||
           weft__buf_add(b, e->host, WEFT__PK_LEN) ||
           weft__buf_add(b, e->hash, WEFT__HASH_LEN) ||
           weft__buf_add(b, e->sig, WEFT__SIG_LEN);
  weft__buf_release(&m);
  weft__buf_release(&x);
  weft__buf_release(&o);
  return rc ? WEFT_ENOMEM : 0;
}

static bool all_zero(const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i])
      return false;
  return true;
}

/* See unit.h. */
int weft__unit_pack(weft__unitfile_t *u, weft__buf_t *out,
                    weft_error_t *err) {
  uint64_t count = weft__unitfile_count(u);
  weft__buf_t ents, pols;
  weft__buf_init(&ents);
  weft__buf_init(&pols);
  uint32_t npol = 1;
  char *text = NULL;
  int rc = weft__unitfile_policy_at(u, 0, &text, err);
  if (rc == 0 && weft__put_bytes(&pols, text, strlen(text)))
    rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  free(text);
  for (uint64_t seq = 0; rc == 0 && seq < count; seq++) {
    weft__uentry_t e;
    if ((rc = weft__unitfile_entry(u, seq, &e, err)) < 0)
      break;
    if (weft__uentry_pack(&ents, &e) < 0)
      rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
    if (rc == 0 && e.kind == WEFT__E_POLICY) {
      rc = weft__unitfile_policy_at(u, seq, &text, err);
      if (rc == 0 && weft__put_bytes(&pols, text, strlen(text)))
        rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
      free(text);
      npol++;
    }
    weft__uentry_release(&e);
  }
  size_t bytes = (size_t)u->mem_pages * 65536;
  uint8_t *mem = rc == 0 ? malloc(bytes ? bytes : 1) : NULL;
  if (rc == 0 && !mem)
    rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  if (rc == 0)
    rc = weft__unitfile_read_memory(u, mem, err);
  uint32_t nz = 0;
  for (size_t i = 0; rc == 0 && i < u->npages; i++)
    nz += !all_zero(mem + i * WEFT__UNIT_PAGE, WEFT__UNIT_PAGE);
  if (rc == 0 &&
      (weft__buf_add(out, magic, sizeof magic) ||
       weft__put_u32(out, WEFT__UNIT_FORMAT) ||
       weft__put_bytes(out, u->code, u->code_len) ||
       weft__put_bytes(out, u->schema_text, strlen(u->schema_text)) ||
       weft__put_u32(out, npol) || weft__buf_add(out, pols.data, pols.len) ||
       weft__put_bytes(out, u->globals, u->globals_len) ||
       weft__put_u64(out, count) ||
       weft__buf_add(out, ents.data, ents.len) || weft__put_u32(out, nz)))
    rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  for (size_t i = 0; rc == 0 && i < u->npages; i++) {
    const uint8_t *pg = mem + i * WEFT__UNIT_PAGE;
    if (!all_zero(pg, WEFT__UNIT_PAGE) &&
        (weft__put_u32(out, (uint32_t)i) ||
         weft__buf_add(out, pg, WEFT__UNIT_PAGE)))
      rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  }
  free(mem);
  weft__buf_release(&ents);
  weft__buf_release(&pols);
  return rc;
}

/* ---- unpack -------------------------------------------------------------- */

/* A parsed pack; pointers borrow the pack's bytes. */
typedef struct pack {
  const uint8_t *code;
  size_t code_len;
  char *schema;
  char **policies;
  uint64_t *policy_seq;
  size_t npolicies;
  const uint8_t *globals;
  size_t globals_len;
  weft__uentry_t *entries;
  size_t nentries;
  uint32_t *page_idx;
  const uint8_t **page_data;
  size_t npages;
  uint8_t owner[WEFT__PK_LEN];
  weft__ustate_t state;
} pack_t;

static void pack_release(pack_t *k) {
  free(k->schema);
  for (size_t i = 0; k->policies && i < k->npolicies; i++)
    free(k->policies[i]);
  free(k->policies);
  free(k->policy_seq);
  for (size_t i = 0; k->entries && i < k->nentries; i++)
    weft__uentry_release(&k->entries[i]);
  free(k->entries);
  free(k->page_idx);
  free(k->page_data);
  weft__ustate_release(&k->state);
}

/* See unit.h. */
bool weft__uentry_unpack(weft__rd_t *r, weft__uentry_t *e) {
  uint8_t kind;
  const uint8_t *m, *x, *o, *note, *extra;
  size_t ml, xl, ol, nl, el;
  uint32_t mp;
  if (!weft__get_u8(r, &kind) || kind > WEFT__E_POLICY ||
      !weft__get_raw(r, e->prev, WEFT__HASH_LEN) ||
      !weft__get_u64(r, &e->time_ms) ||
      !weft__get_raw(r, e->seed, sizeof e->seed) ||
      !weft__get_bytes(r, &m, &ml) || !weft__get_bytes(r, &x, &xl) ||
      !weft__get_bytes(r, &o, &ol) || !weft__get_bytes(r, &note, &nl) ||
      !weft__get_u64(r, &e->next_ms) || !weft__get_bytes(r, &extra, &el) ||
      !weft__get_u32(r, &mp) || mp > 65536 ||
      !weft__get_raw(r, e->mem_root, WEFT__HASH_LEN) ||
      !weft__get_raw(r, e->kv_root, WEFT__HASH_LEN) ||
      !weft__get_raw(r, e->root, WEFT__HASH_LEN) ||
      !weft__get_raw(r, e->host, WEFT__PK_LEN) ||
      !weft__get_raw(r, e->hash, WEFT__HASH_LEN) ||
      !weft__get_raw(r, e->sig, WEFT__SIG_LEN))
    return false;
  e->kind = kind;
  e->mem_pages = mp;
  if (weft__uentry_dec_msgs(e, m, ml) < 0 ||
      weft__uentry_dec_muts(e, x, xl) < 0 ||
      weft__uentry_dec_emits(e, o, ol) < 0 || memchr(note, 0, nl) ||
      weft__utf8_check(note, nl) != nl)
    return false;
  e->note = weft__strndup((const char *)note, nl);
  e->extra = malloc(el ? el : 1);
  e->extra_len = el;
  if (!e->note || !e->extra)
    return false;
  if (el)
    memcpy(e->extra, extra, el);
  return true;
}

static int malformed(weft_error_t *err, const char *name,
                     const weft__rd_t *r, const uint8_t *start,
                     const char *what) {
  return WEFT_ERR(err, WEFT_EINVALID, "'%s': offset %zu: %s", name,
                  (size_t)(r->p - start), what);
}

/* Parse the pack into *k: structure only; the content is verified once
 * it is a unit file. */
static int parse(const uint8_t *p, size_t n, const char *name, pack_t *k,
                 weft_error_t *err) {
  weft__rd_t r = {p, p + n, false};
  uint8_t mg[sizeof magic];
  uint32_t fmt = 0, npol, npages;
  uint64_t nent;
  if (!weft__get_raw(&r, mg, sizeof mg) || memcmp(mg, magic, sizeof mg))
    return WEFT_ERR(err, WEFT_EINVALID, "'%s' is not a unit pack", name);
  const uint8_t *at;
  if (!weft__get_u32(&r, &fmt) || fmt != WEFT__UNIT_FORMAT)
    return WEFT_ERR(err, WEFT_EUNSUPPORTED,
                    "'%s' is a unit pack of format %u; this weft reads %d",
                    name, fmt, WEFT__UNIT_FORMAT);
  if (!weft__get_bytes(&r, &k->code, &k->code_len))
    return malformed(err, name, &r, p, "the code");
  at = r.p;
  if (!(k->schema = weft__get_text(&r)))
    return WEFT_ERR(err, WEFT_EINVALID, "'%s': offset %zu: the schema", name,
                    (size_t)(at - p));
  if (!weft__get_u32(&r, &npol) || npol == 0 ||
      npol > (size_t)(r.end - r.p) / 4)
    return malformed(err, name, &r, p, "the policy count");
  k->policies = calloc(npol, sizeof *k->policies);
  k->policy_seq = calloc(npol, sizeof *k->policy_seq);
  if (!k->policies || !k->policy_seq)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  k->npolicies = npol;
  for (uint32_t i = 0; i < npol; i++) {
    at = r.p;
    if (!(k->policies[i] = weft__get_text(&r)))
      return WEFT_ERR(err, WEFT_EINVALID, "'%s': offset %zu: policy %u",
                      name, (size_t)(at - p), i);
  }
  if (!weft__get_bytes(&r, &k->globals, &k->globals_len))
    return malformed(err, name, &r, p, "the globals");
  if (!weft__get_u64(&r, &nent) || nent == 0 ||
      nent > (uint64_t)(r.end - r.p) / MIN_ENTRY)
    return malformed(err, name, &r, p, "the entry count");
  k->entries = calloc((size_t)nent, sizeof *k->entries);
  if (!k->entries)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  k->nentries = (size_t)nent;
  size_t pol = 1;
  for (size_t i = 0; i < k->nentries; i++) {
    weft__uentry_t *e = &k->entries[i];
    at = r.p;
    e->seq = i;
    if (!weft__uentry_unpack(&r, e))
      return WEFT_ERR(err, WEFT_EINVALID, "'%s': offset %zu: entry %zu",
                      name, (size_t)(at - p), i);
    if (e->kind == WEFT__E_POLICY) {
      if (pol == npol)
        return WEFT_ERR(err, WEFT_EINVALID,
                        "'%s': entry %zu: more policy entries than policies",
                        name, i);
      k->policy_seq[pol++] = i;
    }
  }
  if (pol != npol)
    return WEFT_ERR(err, WEFT_EINVALID,
                    "'%s': %u policies for %zu policy entries", name, npol,
                    pol - 1);
  uint32_t limit = k->entries[k->nentries - 1].mem_pages *
                   (65536 / WEFT__UNIT_PAGE);
  if (!weft__get_u32(&r, &npages) || npages > limit ||
      npages > (size_t)(r.end - r.p) / (4 + WEFT__UNIT_PAGE))
    return malformed(err, name, &r, p, "the page count");
  k->page_idx = calloc(npages ? npages : 1, sizeof *k->page_idx);
  k->page_data = calloc(npages ? npages : 1, sizeof *k->page_data);
  if (!k->page_idx || !k->page_data)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  k->npages = npages;
  for (uint32_t i = 0; i < npages; i++) {
    at = r.p;
    if (!weft__get_u32(&r, &k->page_idx[i]) || k->page_idx[i] >= limit ||
        (i && k->page_idx[i] <= k->page_idx[i - 1]) ||
        (size_t)(r.end - r.p) < WEFT__UNIT_PAGE ||
        all_zero(r.p, WEFT__UNIT_PAGE))
      return WEFT_ERR(err, WEFT_EINVALID, "'%s': offset %zu: memory page %u",
                      name, (size_t)(at - p), i);
    k->page_data[i] = r.p;
    r.p += WEFT__UNIT_PAGE;
  }
  if (r.p != r.end)
    return malformed(err, name, &r, p, "bytes after the end");
  return 0;
}

/* The owner from the genesis entry's identity, and the state at the head
 * from the admitted writes of every cycle. */
static int derive(pack_t *k, const char *name, weft_error_t *err) {
  const weft__uentry_t *g = &k->entries[0];
  weft__rd_t r = {g->extra, g->extra + g->extra_len, false};
  uint32_t fmt;
  uint8_t skip[WEFT__HASH_LEN];
  const uint8_t *world;
  size_t wl;
  if (!weft__get_u32(&r, &fmt) || !weft__get_raw(&r, skip, sizeof skip) ||
      !weft__get_bytes(&r, &world, &wl) ||
      !weft__get_raw(&r, skip, sizeof skip) ||
      !weft__get_raw(&r, skip, sizeof skip) ||
      !weft__get_raw(&r, k->owner, WEFT__PK_LEN))
    return WEFT_ERR(err, WEFT_EINVALID,
                    "'%s': entry 0: field 'extra': malformed", name);
  for (size_t i = 1; i < k->nentries; i++) {
    const weft__uentry_t *e = &k->entries[i];
    for (size_t j = 0; e->kind == WEFT__E_CYCLE && j < e->nmuts; j++) {
      const weft__umut_t *m = &e->muts[j];
      if (m->admitted &&
          weft__ustate_put(&k->state, m->key,
                           m->del ? NULL : m->val ? m->val : (uint8_t *)"",
                           m->val_len) < 0)
        return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
    }
  }
  return 0;
}

static void remove_db(const char *path) {
  char side[4096];
  unlink(path);
  snprintf(side, sizeof side, "%s-wal", path);
  unlink(side);
  snprintf(side, sizeof side, "%s-shm", path);
  unlink(side);
}

/* See unit.h. */
int weft__unit_unpack(const uint8_t *p, size_t n, const char *name,
                      const char *path, weft_error_t *err) {
  if (access(path, F_OK) == 0)
    return WEFT_ERR(err, WEFT_EINVAL, "'%s' exists already", path);
  pack_t k = {0};
  int rc = weft__unit_init(err);
  if (rc == 0)
    rc = parse(p, n, name, &k, err);
  if (rc == 0)
    rc = derive(&k, name, err);
  /* Built beside the target, renamed into place once it verified. */
  weft__buf_t tmp;
  weft__buf_init(&tmp);
  if (weft__buf_printf(&tmp, "%s.unpack-XXXXXX", path) < 0 && rc == 0)
    rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  int fd = rc == 0 ? mkstemp(tmp.data) : -1;
  if (rc == 0 && fd < 0)
    rc = WEFT_ERR(err, WEFT_EIO, "cannot create a file beside '%s'", path);
  if (fd >= 0) {
    mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, 0666 & ~mask);
    close(fd);
  }
  if (rc == 0) {
    weft__uimport_t im = {.code = k.code,
                          .code_len = k.code_len,
                          .owner = k.owner,
                          .schema_text = k.schema,
                          .policies = (const char *const *)k.policies,
                          .policy_seq = k.policy_seq,
                          .npolicies = k.npolicies,
                          .globals = k.globals,
                          .globals_len = k.globals_len,
                          .entries = k.entries,
                          .nentries = k.nentries,
                          .state = &k.state,
                          .page_idx = k.page_idx,
                          .page_data = k.page_data,
                          .npages = k.npages};
    rc = weft__unitfile_import(tmp.data, &im, err);
  }
  pack_release(&k);
  weft__unitfile_t *u = NULL;
  if (rc == 0)
    rc = weft__unitfile_open(tmp.data, &u, err);
  if (rc == 0) {
    weft__uverify_opts_t o = {0};
    rc = weft__unit_verify(u, &o, err);
  }
  weft__buf_t again;
  weft__buf_init(&again);
  if (rc == 0)
    rc = weft__unit_pack(u, &again, err);
  if (rc == 0 && (again.len != n || memcmp(again.data, p, n))) {
    size_t off = 0;
    while (off < n && off < again.len && again.data[off] == p[off])
      off++;
    rc = WEFT_ERR(err, WEFT_EINVALID,
                  "'%s': offset %zu: not the canonical pack of its unit",
                  name, off);
  }
  weft__buf_release(&again);
  weft__unitfile_close(u);
  if (rc < 0 && err && strncmp(err->msg, "'", 1)) {
    /* Name the pack in what the unit file's checks said. */
    char msg[sizeof err->msg];
    snprintf(msg, sizeof msg, "%s", err->msg);
    WEFT_ERR(err, rc, "'%s': %.*s", name, (int)(sizeof msg - 64), msg);
  }
  if (rc == 0) {
    int sfd = open(tmp.data, O_RDONLY);
    if (sfd < 0 || fsync(sfd) < 0)
      rc = WEFT_ERR(err, WEFT_EIO, "'%s': cannot sync", tmp.data);
    if (sfd >= 0)
      close(sfd);
  }
  if (rc == 0 && rename(tmp.data, path) < 0)
    rc = WEFT_ERR(err, WEFT_EIO, "cannot rename to '%s'", path);
  if (rc < 0 && tmp.data && fd >= 0)
    remove_db(tmp.data);
  weft__buf_release(&tmp);
  return rc;
}

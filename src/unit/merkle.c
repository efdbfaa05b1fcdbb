/* merkle.c - the hashes of a unit: BLAKE2b-256 with a one-byte domain tag
 * (a page, a tree node, a state entry, the root and an entry can never be
 * mistaken for one another), and the Merkle trees of the state root.
 *
 * The memory tree has one leaf per 4 KiB page of linear memory; the tree
 * is kept between cycles, so a cycle that changes k pages costs k page
 * hashes and k log n node hashes. The state tree has one leaf per key, in
 * key order. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "unit/codec.h"
#include "unit/unit.h"

/* See unit.h. */
void weft__uhash(uint8_t out[WEFT__HASH_LEN], uint8_t tag, size_t n, ...) {
  crypto_generichash_state st;
  crypto_generichash_init(&st, NULL, 0, WEFT__HASH_LEN);
  crypto_generichash_update(&st, &tag, 1);
  va_list ap;
  va_start(ap, n);
  for (size_t i = 0; i < n; i++) {
    const void *p = va_arg(ap, const void *);
    size_t len = va_arg(ap, size_t);
    if (len)
      crypto_generichash_update(&st, p, len);
  }
  va_end(ap);
  crypto_generichash_final(&st, out, WEFT__HASH_LEN);
}

static const uint8_t *empty_hash(void) {
  static uint8_t h[WEFT__HASH_LEN];
  static int done;
  if (!done) {
    weft__uhash(h, WEFT__H_EMPTY, 0);
    done = 1;
  }
  return h;
}

/* See unit.h. */
int weft__merkle_resize(weft__merkle_t *m, size_t n) {
  size_t cap = 1;
  while (cap < n)
    cap *= 2;
  if (cap != m->cap) {
    uint8_t(*node)[WEFT__HASH_LEN] = malloc(2 * cap * WEFT__HASH_LEN);
    if (!node)
      return WEFT_ENOMEM;
    for (size_t i = 0; i < cap; i++)
      memcpy(node[cap + i],
             i < m->nleaves && i < n ? m->node[m->cap + i] : empty_hash(),
             WEFT__HASH_LEN);
    free(m->node);
    m->node = node;
    m->cap = cap;
    m->nleaves = n;
    weft__merkle_build(m);
    return 0;
  }
  for (size_t i = n; i < m->nleaves; i++)
    weft__merkle_set(m, i, empty_hash());
  size_t old = m->nleaves;
  m->nleaves = n;
  for (size_t i = old; i < n; i++)
    weft__merkle_set(m, i, empty_hash());
  return 0;
}

static void node_hash(weft__merkle_t *m, size_t i) {
  weft__uhash(m->node[i], WEFT__H_NODE, 2, m->node[2 * i],
              (size_t)WEFT__HASH_LEN, m->node[2 * i + 1],
              (size_t)WEFT__HASH_LEN);
}

/* See unit.h. */
void weft__merkle_set(weft__merkle_t *m, size_t i, const uint8_t *h) {
  size_t k = m->cap + i;
  memcpy(m->node[k], h, WEFT__HASH_LEN);
  for (k /= 2; k >= 1; k /= 2)
    node_hash(m, k);
}

/* See unit.h. */
void weft__merkle_set_leaf(weft__merkle_t *m, size_t i, const uint8_t *h) {
  memcpy(m->node[m->cap + i], h, WEFT__HASH_LEN);
}

/* See unit.h. */
void weft__merkle_build(weft__merkle_t *m) {
  for (size_t k = m->cap - 1; k >= 1; k--)
    node_hash(m, k);
}

/* See unit.h. A one-leaf tree's root is its leaf. */
void weft__merkle_root(const weft__merkle_t *m, uint8_t out[WEFT__HASH_LEN]) {
  if (!m->node || m->nleaves == 0)
    memcpy(out, empty_hash(), WEFT__HASH_LEN);
  else
    memcpy(out, m->node[m->cap == 1 ? 1 : 1], WEFT__HASH_LEN);
}

/* See unit.h. */
void weft__merkle_release(weft__merkle_t *m) {
  free(m->node);
  memset(m, 0, sizeof *m);
}

/* See unit.h. */
void weft__page_hash(const uint8_t *page, uint8_t out[WEFT__HASH_LEN]) {
  weft__uhash(out, WEFT__H_PAGE, 1, page, (size_t)WEFT__UNIT_PAGE);
}

/* See unit.h. */
void weft__kv_hash(const char *key, const uint8_t *v, size_t len,
                   uint8_t out[WEFT__HASH_LEN]) {
  uint8_t kl[4], vl[4];
  size_t n = strlen(key);
  for (int i = 0; i < 4; i++) {
    kl[i] = (uint8_t)(n >> (24 - 8 * i));
    vl[i] = (uint8_t)(len >> (24 - 8 * i));
  }
  weft__uhash(out, WEFT__H_KV, 4, kl, (size_t)4, key, n, vl, (size_t)4, v,
              len);
}

/* See unit.h. */
void weft__state_root(uint32_t mem_pages, const uint8_t *mem_root,
                      const uint8_t *globals, size_t globals_len,
                      const uint8_t *kv_root, uint8_t out[WEFT__HASH_LEN]) {
  uint8_t mp[4] = {(uint8_t)(mem_pages >> 24), (uint8_t)(mem_pages >> 16),
                   (uint8_t)(mem_pages >> 8), (uint8_t)mem_pages};
  uint8_t g[WEFT__HASH_LEN];
  weft__uhash(g, WEFT__H_ROOT, 1, globals, globals_len);
  weft__uhash(out, WEFT__H_ROOT, 4, mp, (size_t)4, mem_root,
              (size_t)WEFT__HASH_LEN, g, (size_t)WEFT__HASH_LEN, kv_root,
              (size_t)WEFT__HASH_LEN);
}

/* state.c - the governed state in memory: keys in order with their
 * canonical values and the leaf hashes of the state tree. */
#include <stdlib.h>
#include <string.h>

#include "unit/unit.h"

static size_t find(const weft__ustate_t *s, const char *key, bool *found) {
  size_t lo = 0, hi = s->n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    int c = strcmp(s->ents[mid].key, key);
    if (c == 0) {
      *found = true;
      return mid;
    }
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  *found = false;
  return lo;
}

/* See unit.h. */
const weft__ustate_ent_t *weft__ustate_get(const weft__ustate_t *s,
                                           const char *key) {
  bool found;
  size_t i = find(s, key, &found);
  return found ? &s->ents[i] : NULL;
}

/* See unit.h. */
int weft__ustate_put(weft__ustate_t *s, const char *key, const uint8_t *val,
                     size_t len) {
  bool found;
  size_t i = find(s, key, &found);
  if (!val) {
    if (found) {
      free(s->ents[i].key);
      free(s->ents[i].val);
      memmove(&s->ents[i], &s->ents[i + 1], (s->n - i - 1) * sizeof *s->ents);
      s->n--;
    }
    return 0;
  }
  uint8_t *copy = malloc(len ? len : 1);
  if (!copy)
    return WEFT_ENOMEM;
  if (len)
    memcpy(copy, val, len);
  if (!found) {
    if (s->n == s->cap) {
      size_t cap = s->cap ? 2 * s->cap : 16;
      weft__ustate_ent_t *e = realloc(s->ents, cap * sizeof *e);
      if (!e) {
        free(copy);
        return WEFT_ENOMEM;
      }
      s->ents = e;
      s->cap = cap;
    }
    char *k = weft__strdup(key);
    if (!k) {
      free(copy);
      return WEFT_ENOMEM;
    }
    memmove(&s->ents[i + 1], &s->ents[i], (s->n - i) * sizeof *s->ents);
    s->n++;
    s->ents[i].key = k;
    s->ents[i].val = NULL;
  }
  free(s->ents[i].val);
  s->ents[i].val = copy;
  s->ents[i].len = len;
  weft__kv_hash(key, copy, len, s->ents[i].leaf);
  return 0;
}

/* See unit.h. */
void weft__ustate_root(const weft__ustate_t *s, uint8_t out[WEFT__HASH_LEN]) {
  weft__merkle_t m = {0};
  if (s->n == 0 || weft__merkle_resize(&m, s->n) < 0) {
    weft__merkle_root(&m, out); /* the empty tree */
    weft__merkle_release(&m);
    return;
  }
  for (size_t i = 0; i < s->n; i++)
    weft__merkle_set_leaf(&m, i, s->ents[i].leaf);
  weft__merkle_build(&m);
  weft__merkle_root(&m, out);
  weft__merkle_release(&m);
}

/* See unit.h. */
int weft__ustate_copy(weft__ustate_t *dst, const weft__ustate_t *src) {
  memset(dst, 0, sizeof *dst);
  for (size_t i = 0; i < src->n; i++)
    if (weft__ustate_put(dst, src->ents[i].key, src->ents[i].val,
                         src->ents[i].len) < 0) {
      weft__ustate_release(dst);
      return WEFT_ENOMEM;
    }
  return 0;
}

/* See unit.h. */
void weft__ustate_release(weft__ustate_t *s) {
  for (size_t i = 0; i < s->n; i++) {
    free(s->ents[i].key);
    free(s->ents[i].val);
  }
  free(s->ents);
  memset(s, 0, sizeof *s);
}

/* admit.c - the admission function: whether one write to the governed
 * state is admitted, given the schema and the policy in force. The cycle
 * calls it on every write the guest makes; `weft unit verify` calls it
 * again on every write the lineage records, so it depends on nothing but
 * its arguments. Rules, in the order they are tried:
 *   unknown-key  the schema does not name the key
 *   schema       the value does not fit the key's type
 *   owner-only   the key is owner_only and no message of this cycle is
 *                signed by the owner
 *   immutable    the key is set and the write would change or delete it
 *   monotonic    the integer would decrease, or be deleted
 *   max-change   |new - value at the cycle's start| > max_change
 */
#include <stdio.h>
#include <string.h>

#include "unit/unit.h"

static int deny(weft__udenial_t *d, const char *rule, const char *fmt,
                const char *key, const char *extra) {
  snprintf(d->rule, sizeof d->rule, "%s", rule);
  snprintf(d->msg, sizeof d->msg, fmt, key, extra);
  return 1;
}

static int64_t int_of(const uint8_t *p, size_t len, bool *ok) {
  weft__arena_t a = WEFT__ARENA_INIT;
  weft__uval_t v;
  *ok = p && weft__uval_decode(p, len, &a, &v, NULL) == 0 &&
        v.type == WEFT__UV_INT;
  weft__arena_release(&a);
  return *ok ? v.i : 0;
}

/* See unit.h. */
int weft__unit_admit(const weft__uschema_t *s, const weft__upolicy_t *p,
                     const weft__uwrite_t *w, weft__udenial_t *d) {
  memset(d, 0, sizeof *d);
  const weft__ukeydef_t *def = weft__uschema_key(s, w->key);
  if (!def)
    return deny(d, "unknown-key", "the schema has no key '%s'%s", w->key, "");
  if (w->val) {
    weft__arena_t a = WEFT__ARENA_INIT;
    weft__uval_t v;
    char why[150];
    int bad = weft__uval_decode(w->val, w->val_len, &a, &v, NULL) < 0;
    if (bad)
      snprintf(why, sizeof why, "not a canonical value");
    else
      bad = weft__utype_check(&def->type, &v, why, sizeof why);
    weft__arena_release(&a);
    if (bad)
      return deny(d, "schema", "'%s': %s", w->key, why);
  }
  const weft__ukeyrule_t *r = weft__upolicy_key(p, w->key);
  if (!r)
    return 0;
  if (r->owner_only && !w->by_owner)
    return deny(d, "owner-only",
                "'%s' may change only in a cycle with a message from the "
                "owner%s", w->key, "");
  bool same = w->now && w->val && w->now_len == w->val_len &&
              !memcmp(w->now, w->val, w->val_len);
  if (r->immutable && w->now && !same)
    return deny(d, "immutable", "'%s' is immutable once set%s", w->key, "");
  if (!r->monotonic && !r->has_max_change)
    return 0;
  if (!w->val)
    return deny(d, r->monotonic ? "monotonic" : "max-change",
                "'%s' may not be deleted%s", w->key, "");
  bool ok_new, ok_now, ok_start;
  int64_t nv = int_of(w->val, w->val_len, &ok_new);
  int64_t cur = int_of(w->now, w->now_len, &ok_now);
  int64_t st = int_of(w->start, w->start_len, &ok_start);
  if (!ok_new)
    return 0; /* not reached: the schema made it an integer */
  if (r->monotonic && ok_now && nv < cur) {
    char ex[64];
    snprintf(ex, sizeof ex, " (from %lld to %lld)", (long long)cur,
             (long long)nv);
    return deny(d, "monotonic", "'%s' may not decrease%s", w->key, ex);
  }
  if (r->has_max_change) {
    /* An absent start counts as 0; the difference in unsigned 64 bits
     * cannot overflow. */
    int64_t base = ok_start ? st : 0;
    uint64_t diff = nv >= base ? (uint64_t)nv - (uint64_t)base
                               : (uint64_t)base - (uint64_t)nv;
    if (diff > r->max_change) {
      char ex[96];
      snprintf(ex, sizeof ex, " (%llu this cycle, at most %llu)",
               (unsigned long long)diff, (unsigned long long)r->max_change);
      return deny(d, "max-change", "'%s' changes too much%s", w->key, ex);
    }
  }
  return 0;
}

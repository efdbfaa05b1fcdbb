/* unit-escrow.c - a resident unit that holds funds for two parties. The
 * buyer deposits an amount once; each party then votes "release" (pay
 * the seller) or "refund" (pay the buyer back); when both votes agree the
 * unit settles: the whole deposit goes to one side and nothing is held.
 *
 * Who may say what is the policy's business, not this code's: only the
 * buyer's key can send `deposit` and `buyer-vote`, only the seller's
 * `seller-vote`, and nobody can send anything else (policy.toml). The
 * policy also makes the deposit, each vote and the outcome immutable once
 * set, so a second deposit, a changed vote or a second settlement is
 * denied whatever this code asks. The code keeps the rest of the
 * invariant, held + paid_seller + paid_buyer == deposit: it pays out only
 * after the outcome was admitted, and `weft unit verify --replay` proves
 * every recorded write is what this code made. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

static int is(const unit_string_t *s, const char *text) {
  return s->len == strlen(text) && !memcmp(s->ptr, text, s->len);
}

static void put_int(weft_unit_types_value_t *v, int64_t n) {
  v->tag = WEFT_UNIT_TYPES_VALUE_INTEGER;
  v->val.integer = n;
}

/* Set `key` to `v`: 0 when admitted, else 1 with the rule in `why`. */
static int set(const char *key, weft_unit_types_value_t *v, char *why,
               size_t cap) {
  unit_string_t k;
  unit_result_void_denial_t r;
  unit_string_set(&k, key);
  weft_unit_state_set(&k, v, &r);
  int denied = r.is_err;
  if (denied)
    snprintf(why, cap, "%.*s", (int)r.val.err.rule.len,
             (const char *)r.val.err.rule.ptr);
  unit_result_void_denial_free(&r);
  return denied;
}

/* The integer at `key`, or -1 when it is not set. */
static int64_t get_int(const char *key) {
  unit_string_t k;
  unit_option_value_t v;
  unit_string_set(&k, key);
  weft_unit_state_get(&k, &v);
  int64_t n = -1;
  if (v.is_some && v.val.tag == WEFT_UNIT_TYPES_VALUE_INTEGER)
    n = v.val.val.integer;
  unit_option_value_free(&v);
  return n;
}

/* The text at `key` into buf ("" when it is not set). */
static void get_text(const char *key, char *buf, size_t cap) {
  unit_string_t k;
  unit_option_value_t v;
  unit_string_set(&k, key);
  weft_unit_state_get(&k, &v);
  buf[0] = 0;
  if (v.is_some && v.val.tag == WEFT_UNIT_TYPES_VALUE_TEXT)
    snprintf(buf, cap, "%.*s", (int)v.val.val.text.len,
             (const char *)v.val.val.text.ptr);
  unit_option_value_free(&v);
}

/* Append a clause to the cycle's summary. */
static void say(char *line, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say(char *line, size_t cap, const char *fmt, ...) {
  size_t used = strlen(line);
  if (used && used + 2 < cap) {
    strcat(line, "; ");
    used += 2;
  }
  va_list ap;
  va_start(ap, fmt);
  if (used < cap)
    vsnprintf(line + used, cap - used, fmt, ap);
  va_end(ap);
}

/* A message body without trailing white space (`echo` adds a newline). */
static unit_string_t trimmed(const unit_list_u8_t *body) {
  unit_string_t s = {body->ptr, body->len};
  while (s.len && (s.ptr[s.len - 1] == '\n' || s.ptr[s.len - 1] == ' ' ||
                   s.ptr[s.len - 1] == '\r'))
    s.len--;
  return s;
}

static void deposit(const unit_list_u8_t *body, char *line, size_t cap) {
  char buf[32] = {0}, why[32];
  unit_string_t b = trimmed(body);
  memcpy(buf, b.ptr, b.len < 31 ? b.len : 31);
  weft_unit_types_value_t v;
  put_int(&v, strtoll(buf, NULL, 10));
  if (set("deposit", &v, why, sizeof why)) {
    say(line, cap, "deposit %s denied (%s)", buf, why);
    return;
  }
  set("held", &v, why, sizeof why);
  say(line, cap, "deposit %s held", buf);
}

static void vote(const char *key, const unit_list_u8_t *body, char *line,
                 size_t cap) {
  char why[32];
  unit_string_t b = trimmed(body);
  weft_unit_types_value_t v = {.tag = WEFT_UNIT_TYPES_VALUE_TEXT};
  v.val.text = b;
  if (!is(&b, "release") && !is(&b, "refund")) {
    say(line, cap, "%s: not a vote", key);
    return;
  }
  if (set(key, &v, why, sizeof why))
    say(line, cap, "%s denied (%s)", key, why);
  else
    say(line, cap, "%s recorded", key);
}

/* When both votes agree and funds are held, pay them out once. */
static void settle(char *line, size_t cap) {
  char b[16], s[16], why[32];
  get_text("buyer_vote", b, sizeof b);
  get_text("seller_vote", s, sizeof s);
  int64_t held = get_int("held");
  if (!b[0] || !s[0] || strcmp(b, s) || held <= 0)
    return;
  int release = !strcmp(b, "release");
  weft_unit_types_value_t v = {.tag = WEFT_UNIT_TYPES_VALUE_TEXT};
  unit_string_set(&v.val.text, release ? "released" : "refunded");
  /* The outcome is immutable: if it is set already, nothing is paid. */
  if (set("outcome", &v, why, sizeof why)) {
    say(line, cap, "settlement denied (%s)", why);
    return;
  }
  put_int(&v, held);
  set(release ? "paid_seller" : "paid_buyer", &v, why, sizeof why);
  put_int(&v, 0);
  set("held", &v, why, sizeof why);
  say(line, cap, "%s %lld", release ? "released" : "refunded",
      (long long)held);
}

void exports_unit_cycle(weft_unit_types_cycle_input_t *input,
                        unit_result_cycle_output_string_t *ret) {
  char line[240] = "";
  for (size_t i = 0; i < input->messages.len; i++) {
    weft_unit_types_message_t *m = &input->messages.ptr[i];
    if (is(&m->kind, "deposit"))
      deposit(&m->body, line, sizeof line);
    else if (is(&m->kind, "buyer-vote"))
      vote("buyer_vote", &m->body, line, sizeof line);
    else if (is(&m->kind, "seller-vote"))
      vote("seller_vote", &m->body, line, sizeof line);
  }
  settle(line, sizeof line);
  if (!line[0])
    snprintf(line, sizeof line, "held=%lld", (long long)get_int("held"));
  ret->is_err = false;
  unit_string_dup(&ret->val.ok.summary, line);
}

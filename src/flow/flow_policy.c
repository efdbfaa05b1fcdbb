/* flow_policy.c - error policies as decisions (flow_policy.h). */
#include "flow/flow_policy.h"

const char *weft__flow_fault_name(weft__flow_fault_kind_t kind) {
  static const char *const names[] = {"invalid-input", "unavailable",
                                      "internal",      "deadline-exceeded",
                                      "fatal",         "trap",
                                      "host"};
  return (unsigned)kind < sizeof names / sizeof *names ? names[kind] : "?";
}

bool weft__flow_fault_is_fatal(weft__flow_fault_kind_t kind) {
  return kind == WEFT__FAULT_FATAL || kind == WEFT__FAULT_TRAP ||
         kind == WEFT__FAULT_HOST;
}

bool weft__flow_policy_admit(weft__flow_policy_state_t *s,
                             const weft__flow_error_policy_t *p,
                             uint64_t now) {
  if (p->kind != WEFT__FLOW_CIRCUIT_BREAKER ||
      s->breaker != WEFT__BREAKER_OPEN)
    return true;
  if (now < s->open_until)
    return false;
  s->breaker = WEFT__BREAKER_HALF_OPEN;
  return true;
}

void weft__flow_policy_success(weft__flow_policy_state_t *s) {
  s->attempts = 0;
  s->failures = 0;
  s->breaker = WEFT__BREAKER_CLOSED;
}

/* Defaults for a policy written without its numbers. */
static uint32_t or_u32(uint32_t v, uint32_t dflt) { return v ? v : dflt; }
static uint64_t or_u64(uint64_t v, uint64_t dflt) { return v ? v : dflt; }

weft__flow_action_t weft__flow_policy_failure(
    weft__flow_policy_state_t *s, const weft__flow_error_policy_t *p,
    weft__flow_fault_kind_t kind, uint64_t now, uint64_t *retry_at) {
  if (weft__flow_fault_is_fatal(kind)) {
    s->attempts = 0;
    return WEFT__ACT_FAIL;
  }
  switch (p->kind) {
  case WEFT__FLOW_RETRY: {
    if (s->attempts >= p->max) {
      s->attempts = 0;
      return WEFT__ACT_FAIL;
    }
    uint64_t backoff = or_u64(p->backoff_ns, 10000000u);
    unsigned shift = s->attempts < 20 ? s->attempts : 20;
    *retry_at = now + (backoff << shift);
    s->attempts++;
    return WEFT__ACT_RETRY;
  }
  case WEFT__FLOW_SKIP:
    s->attempts = 0;
    return WEFT__ACT_SKIP;
  case WEFT__FLOW_DEAD_LETTER:
    s->attempts = 0;
    return WEFT__ACT_DEAD_LETTER;
  case WEFT__FLOW_CIRCUIT_BREAKER:
    s->attempts = 0;
    if (kind == WEFT__FAULT_UNAVAILABLE) {
      s->failures++;
      if (s->breaker == WEFT__BREAKER_HALF_OPEN ||
          s->failures >= or_u32(p->threshold, 5)) {
        s->breaker = WEFT__BREAKER_OPEN;
        s->open_until = now + or_u64(p->reset_ns, 1000000000u);
        s->failures = 0;
        s->opened++;
      }
    } else if (s->breaker == WEFT__BREAKER_HALF_OPEN) {
      /* The trial call failed otherwise: the service answered. */
      s->breaker = WEFT__BREAKER_CLOSED;
    }
    return WEFT__ACT_SKIP;
  default:
    s->attempts = 0;
    return WEFT__ACT_FAIL;
  }
}

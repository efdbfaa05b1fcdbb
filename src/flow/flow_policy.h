/* flow_policy.h - what a node does when a call fails: its error policy
 * (fail-fast, retry, skip, dead-letter, circuit-breaker) applied to one
 * fault (flow_policy.c). Pure decisions: the scheduler carries them out.
 */
#ifndef WEFT_FLOW_FLOW_POLICY_H
#define WEFT_FLOW_FLOW_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "flow/flow.h"

/* Why a call failed: the five cases of process-error (in their WIT
 * order), a trap, or the host's own failure. */
typedef enum weft__flow_fault_kind {
  WEFT__FAULT_INVALID_INPUT = 0,
  WEFT__FAULT_UNAVAILABLE,
  WEFT__FAULT_INTERNAL,
  WEFT__FAULT_DEADLINE,  /* deadline-exceeded, or the call's deadline */
  WEFT__FAULT_FATAL,
  WEFT__FAULT_TRAP,      /* the guest trapped */
  WEFT__FAULT_HOST       /* out of memory, a full queue under `error` */
} weft__flow_fault_kind_t;

typedef struct weft__flow_fault {
  weft__flow_fault_kind_t kind;
  bool reset;            /* the engine stopped the call at its deadline:
                            the instance must be reset before reuse */
  char msg[256];
} weft__flow_fault_t;

/* "invalid-input", "unavailable", ..., "trap", "host". */
const char *weft__flow_fault_name(weft__flow_fault_kind_t kind);
/* Whether the fault tears the node down whatever its policy: fatal,
 * traps and the host's own failures. */
bool weft__flow_fault_is_fatal(weft__flow_fault_kind_t kind);

typedef enum weft__flow_action {
  WEFT__ACT_FAIL = 0,    /* fail the flow */
  WEFT__ACT_RETRY,       /* call again with the same input at *retry_at */
  WEFT__ACT_SKIP,        /* drop the input and go on */
  WEFT__ACT_DEAD_LETTER  /* send the input to the dead-letter port/file */
} weft__flow_action_t;

typedef enum weft__flow_breaker {
  WEFT__BREAKER_CLOSED = 0,
  WEFT__BREAKER_OPEN,
  WEFT__BREAKER_HALF_OPEN
} weft__flow_breaker_t;

/* A node's memory of its failures. Zero is the initial state. */
typedef struct weft__flow_policy_state {
  uint32_t attempts;     /* failed calls for the input in hand */
  weft__flow_breaker_t breaker;
  uint32_t failures;     /* `unavailable` in a row (circuit-breaker) */
  uint64_t open_until;   /* monotonic ns when open goes half-open */
  uint64_t opened;       /* times the breaker opened */
} weft__flow_policy_state_t;

/* May the node be called now? False while its circuit breaker is open;
 * past the delay it goes half-open and lets one call through. */
bool weft__flow_policy_admit(weft__flow_policy_state_t *s,
                             const weft__flow_error_policy_t *p,
                             uint64_t now);
/* A call succeeded. */
void weft__flow_policy_success(weft__flow_policy_state_t *s);
/* A call failed with `kind` at `now`: what to do. For RETRY, *retry_at is
 * when (backoff, doubled at each attempt). Fatal faults always FAIL; a
 * retry policy FAILs once its attempts are used up; a circuit breaker
 * SKIPs, and opens after `threshold` `unavailable` in a row (at once when
 * half-open). */
weft__flow_action_t weft__flow_policy_failure(
    weft__flow_policy_state_t *s, const weft__flow_error_policy_t *p,
    weft__flow_fault_kind_t kind, uint64_t now, uint64_t *retry_at);

#endif

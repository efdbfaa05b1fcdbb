/* redis_fail.c - a Redis component that prints each message on stdout,
 * then returns the error `error` for a message starting with "fail" and
 * traps for one starting with "trap": the trigger must log both and go on
 * with the next message. */
#include <stdio.h>
#include <string.h>

#include "redis_trigger.h"

static int starts(const redis_trigger_list_u8_t *m, const char *prefix) {
  size_t n = strlen(prefix);
  return m->len >= n && memcmp(m->ptr, prefix, n) == 0;
}

void exports_fermyon_spin_inbound_redis_handle_message(
    redis_trigger_list_u8_t *message, redis_trigger_result_void_error_t *ret) {
  printf("%.*s\n", (int)message->len, (const char *)message->ptr);
  fflush(stdout);
  if (starts(message, "trap"))
    __builtin_trap();
  ret->is_err = starts(message, "fail");
  if (ret->is_err)
    ret->val.err = FERMYON_SPIN_REDIS_TYPES_ERROR_ERROR;
}

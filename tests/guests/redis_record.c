/* redis_record.c - a Redis component that prints each message it gets on
 * a line of its stdout (weft up keeps it in .weft/logs/ID_stdout.txt), so
 * a test sees which messages arrived. */
#include <stdio.h>

#include "redis_trigger.h"

void exports_fermyon_spin_inbound_redis_handle_message(
    redis_trigger_list_u8_t *message, redis_trigger_result_void_error_t *ret) {
  printf("%.*s\n", (int)message->len, (const char *)message->ptr);
  fflush(stdout);
  ret->is_err = false;
}

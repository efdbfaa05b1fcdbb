/* redis-echo.c - a Spin Redis component in C: prints each message
 * published on the channel it subscribes to as "echo: <message>" on
 * stdout. Built with the shipped bindings of the world
 * fermyon:spin/redis-trigger (sdk/c) by `weft build` in this directory
 * (see spin.toml), and run by `weft up`.
 */
#include <stdio.h>

#include "redis_trigger.h"

void exports_fermyon_spin_inbound_redis_handle_message(
    redis_trigger_list_u8_t *message, redis_trigger_result_void_error_t *ret) {
  printf("echo: %.*s\n", (int)message->len, (const char *)message->ptr);
  /* weft up resets the instance after each message: flush now. */
  fflush(stdout);
  ret->is_err = false;
}

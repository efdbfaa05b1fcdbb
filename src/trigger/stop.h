/* stop.h - the stop token handed to a trigger's `run` (weft_stop_t in
 * weft.h): requested once, from a signal handler or any thread; waited on
 * with a timeout or through a descriptor for poll(). */
#ifndef WEFT_TRIGGER_STOP_H
#define WEFT_TRIGGER_STOP_H

#include "weft.h"

int weft__stop_new(weft_stop_t **out, weft_error_t *err);
void weft__stop_free(weft_stop_t *stop);
/* Request the stop. Async-signal-safe. */
void weft__stop_request(weft_stop_t *stop);

#endif

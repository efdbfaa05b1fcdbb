/* stop.c - the stop token (stop.h): a flag and a pipe. The pipe is what
 * makes a request from a signal handler wake a waiting thread, and what
 * poll() can watch; nothing is ever read from it, so once written it
 * stays readable. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <time.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trigger/stop.h"
#include "util/util.h"

struct weft_stop {
  volatile sig_atomic_t requested;
  int pipe[2];
};

int weft__stop_new(weft_stop_t **out, weft_error_t *err) {
  weft_stop_t *s = calloc(1, sizeof *s);
  if (!s)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  if (pipe2(s->pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
    free(s);
    return WEFT_ERR(err, WEFT_EIO, "cannot make a pipe: %s",
                    strerror(errno));
  }
  *out = s;
  return 0;
}

void weft__stop_free(weft_stop_t *s) {
  if (!s)
    return;
  close(s->pipe[0]);
  close(s->pipe[1]);
  free(s);
}

void weft__stop_request(weft_stop_t *s) {
  int saved = errno;
  if (!s->requested) {
    s->requested = 1;
    ssize_t w = write(s->pipe[1], "x", 1);
    (void)w; /* a full pipe is already readable */
  }
  errno = saved;
}

int weft_stop_requested(const weft_stop_t *s) { return s->requested != 0; }

int weft_stop_fd(const weft_stop_t *s) { return s->pipe[0]; }

int weft_stop_wait(weft_stop_t *s, uint64_t timeout_ns) {
  uint64_t end = weft__now_ns() + timeout_ns;
  while (!s->requested) {
    uint64_t now = weft__now_ns();
    if (now >= end)
      return 0;
    /* ppoll sleeps to the nanosecond: poll's whole milliseconds made
     * every scheduled event of an executor up to 1 ms late. */
    uint64_t left = end - now;
    struct timespec ts = {.tv_sec = (time_t)(left / 1000000000u),
                          .tv_nsec = (long)(left % 1000000000u)};
    struct pollfd p = {.fd = s->pipe[0], .events = POLLIN};
    ppoll(&p, 1, &ts, NULL);
  }
  return 1;
}

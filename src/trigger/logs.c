/* logs.c - component log files, copied live when followed (logs.h). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trigger/logs.h"
#include "util/util.h"

struct weft__log {
  int file;       /* the log file */
  int pipe[2];    /* followed: the guest writes pipe[1]; -1 otherwise */
  int echo_fd;
  pthread_t thread;
  bool threaded;
};

/* Write all of buf to fd, as far as it goes: a log that cannot be written
 * must not stop the app. */
static void put(int fd, const char *buf, size_t n) {
  while (n) {
    ssize_t w = write(fd, buf, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return;
    buf += w;
    n -= (size_t)w;
  }
}

static void *follow(void *arg) {
  weft__log_t *log = arg;
  char buf[4096];
  for (;;) {
    ssize_t n = read(log->pipe[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return NULL;
    put(log->file, buf, (size_t)n);
    put(log->echo_fd, buf, (size_t)n);
  }
}

int weft__log_open(const char *dir, const char *id, const char *which,
                   bool follow_it, int echo_fd, weft__log_t **out,
                   weft_error_t *err) {
  weft__log_t *log = calloc(1, sizeof *log);
  weft__buf_t p;
  weft__buf_init(&p);
  weft__buf_printf(&p, "%s/%s_%s.txt", dir, id, which);
  if (!log || !p.data) {
    free(log);
    weft__buf_release(&p);
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  }
  log->pipe[0] = log->pipe[1] = -1;
  log->echo_fd = echo_fd;
  log->file = open(p.data, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log->file < 0) {
    int rc = WEFT_ERR(err, WEFT_EIO, "cannot open log file '%s': %s",
                      p.data, strerror(errno));
    weft__buf_release(&p);
    free(log);
    return rc;
  }
  weft__buf_release(&p);
  if (follow_it) {
    if (pipe2(log->pipe, O_CLOEXEC) < 0 ||
        pthread_create(&log->thread, NULL, follow, log) != 0) {
      weft__log_close(log);
      return WEFT_ERR(err, WEFT_EIO, "cannot follow the log of '%s'", id);
    }
    log->threaded = true;
  }
  *out = log;
  return 0;
}

int weft__log_fd(const weft__log_t *log) {
  return log->pipe[1] >= 0 ? log->pipe[1] : log->file;
}

void weft__log_close(weft__log_t *log) {
  if (!log)
    return;
  if (log->pipe[1] >= 0)
    close(log->pipe[1]); /* the follower reads to the end, then stops */
  if (log->threaded)
    pthread_join(log->thread, NULL);
  if (log->pipe[0] >= 0)
    close(log->pipe[0]);
  close(log->file);
  free(log);
}

/* timer.c - the timer trigger (timer.h).
 *
 * One thread keeps each timer's next fire time on CLOCK_MONOTONIC and
 * sleeps on a condition variable (on the same clock) until the earliest,
 * so that stop wakes it at once. It calls the guest itself: a call that
 * outlasts its interval, or delays another timer's fire, makes the fires
 * that fell due meanwhile be skipped, not queued; the next one is the
 * first still in the future on the timer's original schedule. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "trigger/timer.h"
#include "util/util.h"

#define HANDLER "handle-timer-request"

struct weft__timer {
  const weft__timer_target_t *targets;
  size_t n;
  uint64_t *next; /* per target: its next fire, weft__now_ns's clock */
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int stop;       /* under mu */
  pthread_t thread;
  int started;
};

static uint64_t add_sat(uint64_t a, uint64_t b) {
  return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static void fire(const weft__timer_target_t *t) {
  weft_error_t err = {0};
  weft_instance_t *inst = weft__pool_take(t->pool, &err);
  if (!inst) {
    fprintf(stderr, "weft: timer '%s': %s\n", t->component_id, err.msg);
    return;
  }
  if (weft_call(inst, HANDLER, NULL, 0, NULL, 0, &err) < 0)
    fprintf(stderr, "weft: timer '%s': %s\n", t->component_id, err.msg);
  weft__pool_give(t->pool, inst);
}

static void *timer_main(void *arg) {
  weft__timer_t *t = arg;
  pthread_mutex_lock(&t->mu);
  while (!t->stop) {
    size_t due = 0;
    for (size_t i = 1; i < t->n; i++)
      if (t->next[i] < t->next[due])
        due = i;
    if (t->next[due] > weft__now_ns()) {
      struct timespec until = {
          .tv_sec = (time_t)(t->next[due] / 1000000000u),
          .tv_nsec = (long)(t->next[due] % 1000000000u)};
      int rc = pthread_cond_timedwait(&t->cv, &t->mu, &until);
      (void)rc; /* woken, timed out or spurious: look again */
      continue;
    }
    pthread_mutex_unlock(&t->mu);
    fire(&t->targets[due]);
    pthread_mutex_lock(&t->mu);
    /* Skip the fires missed while this call ran (not queued). */
    uint64_t iv = t->targets[due].interval_ns;
    uint64_t now = weft__now_ns();
    uint64_t next = add_sat(t->next[due], iv);
    if (next <= now)
      next = add_sat(next, ((now - next) / iv + 1) * iv);
    t->next[due] = next;
  }
  pthread_mutex_unlock(&t->mu);
  return NULL;
}

int weft__timer_start(const weft__timer_target_t *targets, size_t n,
                      weft__timer_t **out, weft_error_t *err) {
  for (size_t i = 0; i < n; i++)
    if (!targets[i].interval_ns)
      return WEFT_ERR(err, WEFT_EINVAL, "timer of '%s': zero interval",
                      targets[i].component_id);
  weft__timer_t *t = calloc(1, sizeof *t);
  if (!t || !(t->next = calloc(n ? n : 1, sizeof *t->next))) {
    free(t);
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  }
  t->targets = targets;
  t->n = n;
  uint64_t now = weft__now_ns();
  for (size_t i = 0; i < n; i++)
    t->next[i] = add_sat(now, targets[i].interval_ns);
  pthread_mutex_init(&t->mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&t->cv, &ca);
  pthread_condattr_destroy(&ca);
  if (n) {
    int rc = pthread_create(&t->thread, NULL, timer_main, t);
    if (rc != 0) {
      weft__timer_stop(t);
      return WEFT_ERR(err, WEFT_EIO, "cannot start the timer thread: %s",
                      strerror(rc));
    }
    t->started = 1;
  }
  *out = t;
  return 0;
}

void weft__timer_stop(weft__timer_t *t) {
  if (!t)
    return;
  pthread_mutex_lock(&t->mu);
  t->stop = 1;
  pthread_cond_signal(&t->cv);
  pthread_mutex_unlock(&t->mu);
  if (t->started)
    pthread_join(t->thread, NULL);
  pthread_cond_destroy(&t->cv);
  pthread_mutex_destroy(&t->mu);
  free(t->next);
  free(t);
}

/* pool.c - a bounded pool of ready instances (pool.h). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "engine/engine.h"
#include "trigger/pool.h"
#include "util/util.h"

struct weft__pool {
  weft_linker_t *linker;
  weft_module_t *module;
  weft__pool_config_t cfg;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  weft_instance_t **idle;
  size_t nidle;
  size_t live;    /* instances in existence, idle or taken */
  size_t waiting; /* takers waiting now */
};

/* Make a fresh or reset instance ready: its reactor initialiser run, if it
 * has one, unless the reset already put back the state after it (engine.h:
 * a reactor whose `_initialize` calls no import runs it once). */
static int ready(weft_instance_t *inst, weft_error_t *err) {
  return weft__instance_initialize(inst, err);
}

static weft_instance_t *make(weft__pool_t *p, weft_error_t *err) {
  weft_instance_t *inst =
      weft_instance_new(p->linker, p->module, &p->cfg.limits, err);
  if (inst && ready(inst, err) < 0) {
    weft_instance_free(inst);
    inst = NULL;
  }
  return inst;
}

weft__pool_t *weft__pool_new(weft_linker_t *linker, weft_module_t *module,
                             const weft__pool_config_t *cfg,
                             weft_error_t *err) {
  weft__pool_t *p = calloc(1, sizeof *p);
  if (!p) {
    WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
    return NULL;
  }
  p->linker = linker;
  p->module = module;
  if (cfg)
    p->cfg = *cfg;
  if (!p->cfg.max_instances)
    p->cfg.max_instances = 64;
  if (!p->cfg.max_waiting)
    p->cfg.max_waiting = 4 * p->cfg.max_instances;
  if (!p->cfg.wait_ns)
    p->cfg.wait_ns = 5000000000ull;
  p->idle = calloc(p->cfg.max_instances, sizeof *p->idle);
  pthread_mutex_init(&p->mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&p->cv, &ca);
  pthread_condattr_destroy(&ca);
  weft_instance_t *first = p->idle ? make(p, err) : NULL;
  if (!first) {
    if (!p->idle)
      WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
    weft__pool_free(p);
    return NULL;
  }
  p->idle[p->nidle++] = first;
  p->live = 1;
  return p;
}

/* With the lock held and an instance idle or room for one: take it. */
static weft_instance_t *take_locked(weft__pool_t *p, weft_error_t *err) {
  if (p->nidle) {
    weft_instance_t *inst = p->idle[--p->nidle];
    pthread_mutex_unlock(&p->mu);
    return inst;
  }
  p->live++; /* make one, outside the lock */
  pthread_mutex_unlock(&p->mu);
  weft_instance_t *inst = make(p, err);
  if (!inst) {
    pthread_mutex_lock(&p->mu);
    p->live--;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
  }
  return inst;
}

weft_instance_t *weft__pool_try_take(weft__pool_t *p, weft_error_t *err) {
  pthread_mutex_lock(&p->mu);
  if (!p->nidle && p->live >= p->cfg.max_instances) {
    pthread_mutex_unlock(&p->mu);
    WEFT_ERR(err, WEFT_ELIMIT, "all %zu instances are busy",
             p->cfg.max_instances);
    return NULL;
  }
  return take_locked(p, err);
}

weft_instance_t *weft__pool_take(weft__pool_t *p, weft_error_t *err) {
  pthread_mutex_lock(&p->mu);
  if (!p->nidle && p->live >= p->cfg.max_instances) {
    if (p->waiting >= p->cfg.max_waiting) {
      pthread_mutex_unlock(&p->mu);
      WEFT_ERR(err, WEFT_ELIMIT, "all %zu instances are busy and %zu "
               "requests wait already",
               p->cfg.max_instances, p->waiting);
      return NULL;
    }
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    uint64_t ns = (uint64_t)until.tv_nsec + p->cfg.wait_ns % 1000000000u;
    until.tv_sec += (time_t)(p->cfg.wait_ns / 1000000000u + ns / 1000000000u);
    until.tv_nsec = (long)(ns % 1000000000u);
    p->waiting++;
    int rc = 0;
    while (!p->nidle && p->live >= p->cfg.max_instances && rc != ETIMEDOUT)
      rc = pthread_cond_timedwait(&p->cv, &p->mu, &until);
    p->waiting--;
    if (!p->nidle && p->live >= p->cfg.max_instances) {
      pthread_mutex_unlock(&p->mu);
      WEFT_ERR(err, WEFT_ELIMIT, "no instance free within the wait");
      return NULL;
    }
  }
  return take_locked(p, err);
}

void weft__pool_give(weft__pool_t *p, weft_instance_t *inst) {
  weft_error_t err; /* only read on failure, which fills it */
  err.code = 0;
  if (weft_instance_reset(inst, &err) < 0 || ready(inst, &err) < 0) {
    weft_instance_free(inst);
    inst = NULL;
  }
  pthread_mutex_lock(&p->mu);
  if (inst)
    p->idle[p->nidle++] = inst;
  else
    p->live--;
  pthread_cond_signal(&p->cv);
  pthread_mutex_unlock(&p->mu);
}

uint64_t weft__pool_deadline_ns(const weft__pool_t *p) {
  return p->cfg.limits.deadline_ns;
}

void weft__pool_free(weft__pool_t *p) {
  if (!p)
    return;
  for (size_t i = 0; i < p->nidle; i++)
    weft_instance_free(p->idle[i]);
  free(p->idle);
  pthread_cond_destroy(&p->cv);
  pthread_mutex_destroy(&p->mu);
  free(p);
}

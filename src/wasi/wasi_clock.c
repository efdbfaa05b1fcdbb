/* wasi_clock.c - WASI clocks (clock_res_get, clock_time_get) and
 * poll_oneoff: clock subscriptions, relative or absolute, and fd_read /
 * fd_write subscriptions through ppoll(2). Regular files are always
 * ready, as on every POSIX host. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/util.h"
#include "wasi/wasi_int.h"

/* The host clock for WASI clock `id`; false for an unknown id. */
static bool host_clock(uint32_t id, clockid_t *out) {
  switch (id) {
  case WASI_CLOCK_REALTIME:
    *out = CLOCK_REALTIME;
    return true;
  case WASI_CLOCK_MONOTONIC:
    *out = CLOCK_MONOTONIC;
    return true;
  case WASI_CLOCK_PROCESS_CPUTIME:
    *out = CLOCK_PROCESS_CPUTIME_ID;
    return true;
  case WASI_CLOCK_THREAD_CPUTIME:
    *out = CLOCK_THREAD_CPUTIME_ID;
    return true;
  }
  return false;
}

/* Nanoseconds on host clock `c` (0 if it fails). */
static uint64_t clock_ns(clockid_t c) {
  struct timespec ts;
  if (clock_gettime(c, &ts) != 0)
    return 0;
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint32_t weft__wasi_clock_res_get(weft_instance_t *inst, uint32_t id,
                                  uint32_t out) {
  uint8_t *po = wasi_mem(inst, out, 8);
  struct timespec ts;
  clockid_t c;
  if (!po)
    return WASI_EFAULT;
  if (!host_clock(id, &c))
    return WASI_EINVAL;
  if (clock_getres(c, &ts) != 0)
    return weft__wasi_errno(errno);
  wasi_st64(po, (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec);
  return 0;
}

uint32_t weft__wasi_clock_time_get(weft_instance_t *inst, uint32_t id,
                                   uint64_t precision, uint32_t out) {
  uint8_t *po = wasi_mem(inst, out, 8);
  struct timespec ts;
  clockid_t c;
  (void)precision;
  if (!po)
    return WASI_EFAULT;
  if (!host_clock(id, &c))
    return WASI_EINVAL;
  if (clock_gettime(c, &ts) != 0)
    return weft__wasi_errno(errno);
  wasi_st64(po, (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec);
  return 0;
}

/* ---- poll_oneoff ------------------------------------------------------- */

/* Append an event to the guest's out array. */
static void put_event(uint8_t *out, uint32_t *nev, uint64_t userdata,
                      uint16_t error, uint8_t type, uint64_t nbytes,
                      uint16_t flags) {
  uint8_t *ev = out + (size_t)*nev * WASI_EVENT_SIZE;
  memset(ev, 0, WASI_EVENT_SIZE);
  wasi_st64(ev, userdata);
  wasi_st16(ev + 8, error);
  ev[10] = type;
  wasi_st64(ev + 16, nbytes);
  wasi_st16(ev + 24, flags);
  ++*nev;
}

/* Bytes readable from a regular file at its position (0 on error). */
static uint64_t file_left(int fd) {
  struct stat st;
  off_t pos = lseek(fd, 0, SEEK_CUR);
  if (pos < 0 || fstat(fd, &st) != 0 || st.st_size < pos)
    return 0;
  return (uint64_t)(st.st_size - pos);
}

uint32_t weft__wasi_poll_oneoff(weft_instance_t *inst, uint32_t in,
                                uint32_t out, uint32_t nsubs,
                                uint32_t nevents) {
  const uint8_t *pi = wasi_mem(inst, in, (uint64_t)nsubs *
                                             WASI_SUBSCRIPTION_SIZE);
  uint8_t *po = wasi_mem(inst, out, (uint64_t)nsubs * WASI_EVENT_SIZE);
  uint8_t *pn = wasi_mem(inst, nevents, 4);
  weft__wasi_t *w = wasi_state(inst);
  struct pollfd *pfds = NULL;
  uint32_t *pfd_sub = NULL, npfd = 0, nev = 0, rc = 0;
  uint64_t timeout = UINT64_MAX, start;
  bool have_clock = false;
  /* What we need of each subscription, read before any event is written
   * (the guest may overlap `in` and `out`). rel: the clock's wait. */
  struct sub {
    uint64_t userdata, rel;
    uint8_t tag;
  } *subs = NULL;

  if (!pi || !po || !pn)
    return WASI_EFAULT;
  if (nsubs == 0)
    return WASI_EINVAL;
  pfds = calloc(nsubs, sizeof *pfds);
  pfd_sub = calloc(nsubs, sizeof *pfd_sub);
  subs = calloc(nsubs, sizeof *subs);
  if (!pfds || !pfd_sub || !subs) {
    rc = WASI_ENOMEM;
    goto out;
  }
  for (uint32_t i = 0; i < nsubs; i++) {
    const uint8_t *s = pi + (size_t)i * WASI_SUBSCRIPTION_SIZE;
    subs[i].userdata = wasi_ld64(s);
    subs[i].tag = s[8];
    subs[i].rel = UINT64_MAX;
  }
  start = clock_ns(CLOCK_MONOTONIC);
  for (uint32_t i = 0; i < nsubs; i++) {
    const uint8_t *s = pi + (size_t)i * WASI_SUBSCRIPTION_SIZE;
    uint64_t userdata = subs[i].userdata;
    uint8_t tag = subs[i].tag;
    if (tag == WASI_EVENTTYPE_CLOCK) {
      uint32_t id = wasi_ld32(s + 16);
      uint64_t to = wasi_ld64(s + 24);
      uint16_t flags = wasi_ld16(s + 40);
      clockid_t c;
      if (!host_clock(id, &c)) {
        put_event(po, &nev, userdata, WASI_EINVAL, tag, 0, 0);
        continue;
      }
      if (flags & WASI_SUBCLOCK_ABSTIME) {
        /* CPU-time deadlines are waited for as wall durations. */
        uint64_t now = clock_ns(c);
        to = to > now ? to - now : 0;
      }
      subs[i].rel = to;
      have_clock = true;
      if (to < timeout)
        timeout = to;
    } else if (tag == WASI_EVENTTYPE_FD_READ ||
               tag == WASI_EVENTTYPE_FD_WRITE) {
      weft__wasi_fd_t *e = weft__wasi_fd_get(w, wasi_ld32(s + 16));
      if (!e) {
        put_event(po, &nev, userdata, WASI_EBADF, tag, 0, 0);
      } else if (e->type == WASI_FILETYPE_REGULAR_FILE) {
        put_event(po, &nev, userdata, 0, tag,
                  tag == WASI_EVENTTYPE_FD_READ ? file_left(e->host) : 0, 0);
      } else {
        pfds[npfd].fd = e->host;
        pfds[npfd].events = tag == WASI_EVENTTYPE_FD_READ ? POLLIN : POLLOUT;
        pfd_sub[npfd++] = i;
      }
    } else {
      put_event(po, &nev, userdata, WASI_EINVAL, tag, 0, 0);
    }
  }

  /* Wait unless something is already known; retry after signals. */
  for (;;) {
    struct timespec ts, *tsp = NULL;
    int r;
    if (nev) {
      ts.tv_sec = 0;
      ts.tv_nsec = 0;
      tsp = &ts;
    } else if (timeout != UINT64_MAX) {
      uint64_t spent = clock_ns(CLOCK_MONOTONIC) - start;
      uint64_t left = timeout > spent ? timeout - spent : 0;
      ts.tv_sec = (time_t)(left / 1000000000u);
      ts.tv_nsec = (long)(left % 1000000000u);
      tsp = &ts;
    }
    if (!npfd && !tsp)
      break; /* nothing to wait for (cannot happen: nsubs > 0) */
    r = ppoll(npfd ? pfds : NULL, npfd, tsp, NULL);
    if (r >= 0)
      break;
    if (errno != EINTR) {
      rc = weft__wasi_errno(errno);
      goto out;
    }
  }

  for (uint32_t j = 0; j < npfd; j++) {
    const struct sub *s = &subs[pfd_sub[j]];
    short re = pfds[j].revents;
    uint64_t nbytes = 0;
    uint16_t error = 0, flags = 0;
    int avail = 0;
    if (!re)
      continue;
    if (re & POLLNVAL)
      error = WASI_EBADF;
    else if ((re & POLLERR) && !(re & (POLLIN | POLLOUT)))
      error = WASI_EIO;
    if (re & POLLHUP)
      flags |= WASI_EVENTRWFLAGS_HANGUP;
    if (s->tag == WASI_EVENTTYPE_FD_READ && (re & POLLIN) &&
        ioctl(pfds[j].fd, FIONREAD, &avail) == 0 && avail > 0)
      nbytes = (uint64_t)avail;
    put_event(po, &nev, s->userdata, error, s->tag, nbytes, flags);
  }
  if (have_clock) {
    uint64_t spent = clock_ns(CLOCK_MONOTONIC) - start;
    bool none = !nev;
    for (uint32_t i = 0; i < nsubs; i++) {
      const struct sub *s = &subs[i];
      /* After a timeout, the earliest clock fires even if our reading of
       * the time is a hair short of it. */
      if (s->tag == WASI_EVENTTYPE_CLOCK && s->rel != UINT64_MAX &&
          (s->rel <= spent || (none && s->rel == timeout))) {
        put_event(po, &nev, s->userdata, 0, WASI_EVENTTYPE_CLOCK, 0, 0);
        none = false;
      }
    }
  }
  wasi_st32(pn, nev);
out:
  free(pfds);
  free(pfd_sub);
  free(subs);
  return rc;
}

/* wasi_misc.c - guest for tests/e2e/t1000-wasi-basics.sh and
 * t1003-wasi-clock.sh: args and environ, exit codes, clocks, poll_oneoff,
 * random_get, sched_yield, proc_raise, sockets, stdio, fdstat and rights,
 * prestats, renumber, and bad fds and pointers. The first argument picks
 * the part; each prints deterministic lines.
 *
 * usage: wasi_misc args|exit N|exit-raw N|trap|clock|poll|stdin|fds ... */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>

#define IMPORT(name) \
  __attribute__((import_module("wasi_snapshot_preview1"), import_name(name)))

IMPORT("proc_raise") int32_t raw_proc_raise(int32_t sig);
IMPORT("fd_write")
int32_t raw_fd_write(int32_t fd, int32_t iovs, int32_t niovs, int32_t out);
IMPORT("fd_read")
int32_t raw_fd_read(int32_t fd, int32_t iovs, int32_t niovs, int32_t out);
IMPORT("clock_time_get")
int32_t raw_clock_time_get(int32_t id, int64_t precision, int32_t out);
IMPORT("args_get") int32_t raw_args_get(int32_t argv, int32_t buf);
IMPORT("random_get") int32_t raw_random_get(int32_t buf, int32_t len);
IMPORT("poll_oneoff")
int32_t raw_poll_oneoff(int32_t in, int32_t out, int32_t n, int32_t nev);
IMPORT("fd_prestat_dir_name")
int32_t raw_prestat_dir_name(int32_t fd, int32_t buf, int32_t len);

static const char *ename(int e) {
  switch (e) {
#define E(x) \
  case x:    \
    return #x;
    E(EPERM) E(ENOENT) E(EIO) E(EBADF) E(EACCES) E(EEXIST) E(EXDEV)
    E(ENOTDIR) E(EISDIR) E(EINVAL) E(ENAMETOOLONG) E(ENOTEMPTY) E(ELOOP)
    E(ENOSYS) E(ENOTSUP) E(EFAULT) E(EBUSY) E(ENOTCAPABLE) E(ESPIPE)
    E(EOVERFLOW)
#undef E
  }
  return "E?";
}

static void res(const char *what, int e) {
  printf("%s: %s\n", what, e ? ename(e) : "ok");
}

static int cmp(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

extern char **environ;

static int do_args(int argc, char **argv) {
  int n = 0;
  char *env[64];
  printf("argc=%d\n", argc);
  for (int i = 1; i < argc; i++)
    printf("argv[%d]=[%s]\n", i, argv[i]);
  for (char **e = environ; e && *e && n < 64; e++)
    env[n++] = *e;
  qsort(env, n, sizeof env[0], cmp);
  printf("envc=%d\n", n);
  for (int i = 0; i < n; i++)
    printf("env[%d]=[%s]\n", i, env[i]);
  printf("getenv(FOO)=[%s]\n", getenv("FOO") ? getenv("FOO") : "(null)");
  return 0;
}

/* Elapsed monotonic nanoseconds since `t0`. */
static uint64_t mono(void) {
  __wasi_timestamp_t t = 0;
  (void)__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t);
  return t;
}

static int do_clock(void) {
  __wasi_timestamp_t t1, t2, rs;
  static const __wasi_clockid_t ids[] = {
      __WASI_CLOCKID_REALTIME, __WASI_CLOCKID_MONOTONIC,
      __WASI_CLOCKID_PROCESS_CPUTIME_ID, __WASI_CLOCKID_THREAD_CPUTIME_ID};
  struct timespec ts;
  for (int i = 0; i < 4; i++) {
    int e1 = __wasi_clock_res_get(ids[i], &rs);
    int e2 = __wasi_clock_time_get(ids[i], 1, &t1);
    volatile unsigned spin = 0;
    for (unsigned k = 0; k < 2000000; k++)
      spin = spin + k;
    int e3 = __wasi_clock_time_get(ids[i], 1, &t2);
    printf("clock %d: res %s (%s) time %s %s, advances %d\n", (int)ids[i],
           e1 ? ename(e1) : "ok", rs > 0 && rs <= 1000000 ? "sane" : "odd",
           e2 ? ename(e2) : "ok", e3 ? ename(e3) : "ok", t2 >= t1);
  }
  (void)__wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &t1);
  printf("realtime after 2020: %d\n", t1 > 1577836800ull * 1000000000ull);
  res("clock_res_get bad id", __wasi_clock_res_get(9, &rs));
  res("clock_time_get bad id", __wasi_clock_time_get(9, 1, &t1));
  res("clock_time_get bad ptr",
      raw_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, (int32_t)0xfffffffc));
  printf("clock_gettime: %d\n", clock_gettime(CLOCK_MONOTONIC, &ts));
  printf("time() after 2020: %d\n", time(NULL) > 1577836800);
  return 0;
}

/* One clock subscription. */
static __wasi_subscription_t clock_sub(uint64_t ud, __wasi_clockid_t id,
                                       uint64_t timeout, int abs) {
  __wasi_subscription_t s;
  memset(&s, 0, sizeof s);
  s.userdata = ud;
  s.u.tag = __WASI_EVENTTYPE_CLOCK;
  s.u.u.clock.id = id;
  s.u.u.clock.timeout = timeout;
  s.u.u.clock.precision = 0;
  s.u.u.clock.flags = abs ? __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME
                          : 0;
  return s;
}

static __wasi_subscription_t fd_sub(uint64_t ud, __wasi_eventtype_t type,
                                    __wasi_fd_t fd) {
  __wasi_subscription_t s;
  memset(&s, 0, sizeof s);
  s.userdata = ud;
  s.u.tag = type;
  s.u.u.fd_read.file_descriptor = fd;
  return s;
}

static void print_events(const char *what, int e, const __wasi_event_t *ev,
                         __wasi_size_t n) {
  printf("%s: %s n=%u", what, e ? ename(e) : "ok", (unsigned)n);
  for (__wasi_size_t i = 0; i < n; i++)
    printf(" [ud=%llu type=%u err=%s%s]", (unsigned long long)ev[i].userdata,
           ev[i].type, ev[i].error ? ename(ev[i].error) : "0",
           ev[i].fd_readwrite.flags & __WASI_EVENTRWFLAGS_FD_READWRITE_HANGUP
               ? " hup"
               : "");
  printf("\n");
}

static int do_poll(void) {
  __wasi_subscription_t s[4];
  __wasi_event_t ev[4];
  __wasi_size_t n;
  __wasi_timestamp_t now;
  uint64_t t0, dt;
  int e;
  struct timespec req = {0, 20 * 1000000};

  t0 = mono();
  s[0] = clock_sub(7, __WASI_CLOCKID_MONOTONIC, 30 * 1000000ull, 0);
  e = __wasi_poll_oneoff(s, ev, 1, &n);
  dt = mono() - t0;
  print_events("relative 30ms", e, ev, n);
  printf("relative 30ms waited enough: %d\n", dt >= 30 * 1000000ull);

  (void)__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &now);
  t0 = mono();
  s[0] = clock_sub(8, __WASI_CLOCKID_MONOTONIC, now + 25 * 1000000ull, 1);
  e = __wasi_poll_oneoff(s, ev, 1, &n);
  dt = mono() - t0;
  print_events("absolute +25ms", e, ev, n);
  printf("absolute waited enough: %d\n", dt >= 20 * 1000000ull);

  (void)__wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &now);
  s[0] = clock_sub(9, __WASI_CLOCKID_REALTIME, now - 1000000000ull, 1);
  e = __wasi_poll_oneoff(s, ev, 1, &n);
  print_events("absolute realtime past", e, ev, n);

  /* Two clocks: only the earlier fires. */
  t0 = mono();
  s[0] = clock_sub(1, __WASI_CLOCKID_MONOTONIC, 5000000000ull, 0);
  s[1] = clock_sub(2, __WASI_CLOCKID_MONOTONIC, 10 * 1000000ull, 0);
  e = __wasi_poll_oneoff(s, ev, 2, &n);
  dt = mono() - t0;
  print_events("two clocks", e, ev, n);
  printf("two clocks returned early: %d\n", dt < 2000000000ull);

  /* stdout is writable now; a long clock does not fire. */
  s[0] = fd_sub(3, __WASI_EVENTTYPE_FD_WRITE, 1);
  s[1] = clock_sub(4, __WASI_CLOCKID_MONOTONIC, 5000000000ull, 0);
  e = __wasi_poll_oneoff(s, ev, 2, &n);
  print_events("stdout writable", e, ev, n);

  s[0] = fd_sub(5, __WASI_EVENTTYPE_FD_READ, 77);
  e = __wasi_poll_oneoff(s, ev, 1, &n);
  print_events("bad fd", e, ev, n);
  s[0] = clock_sub(6, 42, 1, 0);
  e = __wasi_poll_oneoff(s, ev, 1, &n);
  print_events("bad clock", e, ev, n);
  e = __wasi_poll_oneoff(s, ev, 0, &n);
  printf("no subscriptions: %s\n", e ? ename(e) : "ok");
  res("poll bad pointer",
      raw_poll_oneoff((int32_t)0xffffff00, (int32_t)(uintptr_t)ev, 1,
                      (int32_t)(uintptr_t)&n));

  t0 = mono();
  printf("nanosleep: %d\n", nanosleep(&req, NULL));
  printf("nanosleep waited enough: %d\n", mono() - t0 >= 20 * 1000000ull);
  t0 = mono();
  printf("usleep: %d\n", usleep(10000));
  printf("usleep waited enough: %d\n", mono() - t0 >= 10 * 1000000ull);
  return 0;
}

/* Poll stdin, then copy it to stdout upper-cased. */
static int do_stdin(void) {
  __wasi_subscription_t s[2];
  __wasi_event_t ev[2];
  __wasi_size_t n;
  char buf[4096];
  size_t total = 0;
  ssize_t r;
  int e;
  s[0] = fd_sub(1, __WASI_EVENTTYPE_FD_READ, 0);
  s[1] = clock_sub(2, __WASI_CLOCKID_MONOTONIC, 10000000000ull, 0);
  e = __wasi_poll_oneoff(s, ev, 2, &n);
  printf("poll stdin: %s n=%u ud=%llu type=%u\n", e ? ename(e) : "ok",
         (unsigned)n, (unsigned long long)ev[0].userdata, ev[0].type);
  while ((r = read(0, buf, sizeof buf)) > 0) {
    for (ssize_t i = 0; i < r; i++)
      if (buf[i] >= 'a' && buf[i] <= 'z')
        buf[i] -= 32;
    fwrite(buf, 1, (size_t)r, stdout);
    total += (size_t)r;
  }
  printf("read %zu bytes, last %s\n", total, r < 0 ? ename(errno) : "eof");
  return 0;
}

static int do_fds(void) {
  __wasi_fdstat_t fs;
  __wasi_prestat_t ps;
  __wasi_filestat_t st;
  __wasi_fd_t fd, fd2;
  __wasi_size_t n;
  __wasi_filesize_t pos;
  char name[64];
  unsigned char rnd[64], rnd2[64];
  int e, nonzero = 0;

  /* stdio */
  e = __wasi_fd_fdstat_get(1, &fs);
  printf("fdstat stdout: %s\n", e ? ename(e) : "ok");
  e = __wasi_fd_fdstat_get(2, &fs);
  printf("fdstat stderr: %s\n", e ? ename(e) : "ok");
  res("fdstat bad fd", __wasi_fd_fdstat_get(42, &fs));
  res("write bad fd", __wasi_fd_write(42, NULL, 0, &n));
  res("close bad fd", __wasi_fd_close(42));
  res("seek a directory", __wasi_fd_seek(3, 0, __WASI_WHENCE_CUR, &pos));
  {
    static const char msg[] = "raw write\n";
    uint32_t iov[4] = {(uint32_t)(uintptr_t)msg, 4,
                       (uint32_t)(uintptr_t)msg + 4, sizeof msg - 5};
    int32_t nw = 0;
    fflush(stdout);
    e = raw_fd_write(1, (int32_t)(uintptr_t)iov, 2, (int32_t)(uintptr_t)&nw);
    printf("two iovecs: %s n=%d\n", e ? ename(e) : "ok", nw);
    iov[0] = 0xfffffff0;
    iov[1] = 100;
    res("write bad iovec buffer",
        raw_fd_write(1, (int32_t)(uintptr_t)iov, 1, (int32_t)(uintptr_t)&nw));
    res("write bad iovec array",
        raw_fd_write(1, (int32_t)0xfffffffc, 1, (int32_t)(uintptr_t)&nw));
    res("write bad result ptr",
        raw_fd_write(1, (int32_t)(uintptr_t)iov, 0, (int32_t)0xfffffffe));
    res("read bad iovec buffer",
        raw_fd_read(0, (int32_t)(uintptr_t)iov, 1, (int32_t)(uintptr_t)&nw));
    res("args_get bad ptr", raw_args_get((int32_t)0xfffffff0, 0));
  }

  /* preopens */
  for (fd = 3; fd < 6; fd++) {
    e = __wasi_fd_prestat_get(fd, &ps);
    if (e) {
      printf("prestat %u: %s\n", (unsigned)fd, ename(e));
      continue;
    }
    memset(name, 0, sizeof name);
    e = __wasi_fd_prestat_dir_name(fd, (uint8_t *)name,
                                   ps.u.dir.pr_name_len);
    printf("prestat %u: len=%u name=%s %s\n", (unsigned)fd,
           (unsigned)ps.u.dir.pr_name_len, name, e ? ename(e) : "ok");
  }
  res("prestat_dir_name short",
      raw_prestat_dir_name(3, (int32_t)(uintptr_t)name, 2));
  res("prestat of stdout", __wasi_fd_prestat_get(1, &ps));
  e = __wasi_fd_fdstat_get(3, &fs);
  printf("fdstat 3: %s type=%u readdir=%d open=%d\n", e ? ename(e) : "ok",
         fs.fs_filetype,
         (fs.fs_rights_base & __WASI_RIGHTS_FD_READDIR) != 0,
         (fs.fs_rights_base & __WASI_RIGHTS_PATH_OPEN) != 0);

  /* a file: rights, flags, renumber */
  e = __wasi_path_open(3, 0, "f.txt", __WASI_OFLAGS_CREAT,
                       __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE |
                           __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_TELL |
                           __WASI_RIGHTS_FD_FILESTAT_GET |
                           __WASI_RIGHTS_FD_FDSTAT_SET_FLAGS,
                       0, __WASI_FDFLAGS_APPEND, &fd);
  res("open f.txt append", e);
  e = __wasi_fd_fdstat_get(fd, &fs);
  printf("fdstat f.txt: %s type=%u append=%d read=%d write=%d\n",
         e ? ename(e) : "ok", fs.fs_filetype,
         (fs.fs_flags & __WASI_FDFLAGS_APPEND) != 0,
         (fs.fs_rights_base & __WASI_RIGHTS_FD_READ) != 0,
         (fs.fs_rights_base & __WASI_RIGHTS_FD_WRITE) != 0);
  res("set_flags none", __wasi_fd_fdstat_set_flags(fd, 0));
  e = __wasi_fd_fdstat_get(fd, &fs);
  printf("append after clear: %d\n", (fs.fs_flags & __WASI_FDFLAGS_APPEND)
                                         != 0);
  res("set_flags sync", __wasi_fd_fdstat_set_flags(fd, __WASI_FDFLAGS_SYNC));
  res("set_rights shrink",
      __wasi_fd_fdstat_set_rights(fd, __WASI_RIGHTS_FD_READ |
                                          __WASI_RIGHTS_FD_WRITE, 0));
  res("set_rights grow",
      __wasi_fd_fdstat_set_rights(fd, __WASI_RIGHTS_FD_READ |
                                          __WASI_RIGHTS_FD_WRITE |
                                          __WASI_RIGHTS_FD_SEEK, 0));
  res("filestat_set_size", __wasi_fd_filestat_set_size(fd, 10));
  res("filestat_get", __wasi_fd_filestat_get(fd, &st));
  printf("size=%llu type=%u\n", (unsigned long long)st.size, st.filetype);
  res("set_times both atim flags",
      __wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_ATIM |
                                                 __WASI_FSTFLAGS_ATIM_NOW));
  res("set_times mtim", __wasi_fd_filestat_set_times(fd, 0, 3000000000ull,
                                                     __WASI_FSTFLAGS_MTIM));
  (void)__wasi_fd_filestat_get(fd, &st);
  printf("mtim=%llu\n", (unsigned long long)st.mtim);
  res("advise bad", __wasi_fd_advise(fd, 0, 0, 9));
  res("allocate", __wasi_fd_allocate(fd, 0, 20));
  res("datasync", __wasi_fd_datasync(fd));
  res("sync", __wasi_fd_sync(fd));
  res("tell", __wasi_fd_tell(fd, &pos));
  printf("pos=%llu\n", (unsigned long long)pos);
  res("seek bad whence", __wasi_fd_seek(fd, 0, 7, &pos));
  e = __wasi_path_open(3, 0, "g.txt", __WASI_OFLAGS_CREAT,
                       __WASI_RIGHTS_FD_READ, 0, 0, &fd2);
  res("open g.txt", e);
  res("renumber f over g", __wasi_fd_renumber(fd, fd2));
  res("old fd gone", __wasi_fd_filestat_get(fd, &st));
  res("new fd is f", __wasi_fd_filestat_get(fd2, &st));
  printf("size=%llu\n", (unsigned long long)st.size);
  res("renumber to closed fd", __wasi_fd_renumber(fd2, 40));
  res("renumber self", __wasi_fd_renumber(fd2, fd2));
  res("close", __wasi_fd_close(fd2));
  res("readdir on closed", __wasi_fd_readdir(fd2, (uint8_t *)name, 64, 0, &n));
  res("unlink f.txt", __wasi_path_unlink_file(3, "f.txt"));
  res("unlink g.txt", __wasi_path_unlink_file(3, "g.txt"));

  /* random, yield, raise, sockets */
  res("random_get", __wasi_random_get(rnd, sizeof rnd));
  res("random_get again", __wasi_random_get(rnd2, sizeof rnd2));
  for (size_t i = 0; i < sizeof rnd; i++)
    nonzero |= rnd[i];
  printf("random nonzero=%d differs=%d\n", nonzero != 0,
         memcmp(rnd, rnd2, sizeof rnd) != 0);
  res("random_get bad ptr", raw_random_get((int32_t)0xfffffff0, 64));
  res("random_get empty", __wasi_random_get(rnd, 0));
  res("sched_yield", __wasi_sched_yield());
  res("proc_raise", raw_proc_raise(6));
  res("sock_accept", __wasi_sock_accept(1, 0, &fd));
  res("sock_accept bad fd", __wasi_sock_accept(42, 0, &fd));
  {
    __wasi_iovec_t iov = {(uint8_t *)name, 4};
    __wasi_ciovec_t ciov = {(const uint8_t *)name, 4};
    __wasi_roflags_t rf;
    res("sock_recv", __wasi_sock_recv(1, &iov, 1, 0, &n, &rf));
    res("sock_send", __wasi_sock_send(1, &ciov, 1, 0, &n));
    res("sock_shutdown", __wasi_sock_shutdown(1, __WASI_SDFLAGS_RD));
  }
  return 0;
}

int main(int argc, char **argv) {
  const char *what = argc > 1 ? argv[1] : "";
  if (!strcmp(what, "args"))
    return do_args(argc, argv);
  if (!strcmp(what, "exit") && argc > 2) {
    printf("exiting %s\n", argv[2]);
    exit(atoi(argv[2]));
  }
  if (!strcmp(what, "exit-raw") && argc > 2)
    __wasi_proc_exit((__wasi_exitcode_t)atoi(argv[2]));
  if (!strcmp(what, "trap"))
    __builtin_trap();
  if (!strcmp(what, "clock"))
    return do_clock();
  if (!strcmp(what, "poll"))
    return do_poll();
  if (!strcmp(what, "stdin"))
    return do_stdin();
  if (!strcmp(what, "fds"))
    return do_fds();
  fprintf(stderr, "usage: wasi_misc args|exit N|exit-raw N|trap|clock|poll|"
                  "stdin|fds\n");
  return 2;
}

/* wasi_fs.c - guest for tests/e2e/t1001-wasi-fs.sh: file and directory
 * calls through wasi-libc (open/read/write/seek, pread/pwrite, append,
 * truncate, allocate, advise, sync, flags, stat, times, symlinks, hard
 * links, rename, mkdir/rmdir/unlink, readdir, trailing slashes), printing
 * one deterministic line per step. Also builds natively (gcc), so the test
 * compares both outputs run on the same directory layout.
 *
 * usage: wasi_fs DIR   (DIR is an empty, writable directory) */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __wasi__
#include <wasi/api.h>
#endif

static const char *root;

/* Symbolic name of errno value `e`. */
static const char *ename(int e) {
  switch (e) {
#define E(x) \
  case x:    \
    return #x;
    E(EPERM) E(ENOENT) E(EIO) E(EBADF) E(EACCES) E(EEXIST) E(EXDEV)
    E(ENOTDIR) E(EISDIR) E(EINVAL) E(EMFILE) E(EFBIG) E(ENOSPC) E(ESPIPE)
    E(EROFS) E(EMLINK) E(ENAMETOOLONG) E(ENOTEMPTY) E(ELOOP) E(ENOSYS)
    E(ENOTSUP) E(EFAULT) E(EAGAIN) E(EBUSY) E(ENXIO) E(EOVERFLOW)
#ifdef ENOTCAPABLE
    E(ENOTCAPABLE)
#endif
#undef E
  }
  return "E?";
}

/* root/rel in one of four rotating buffers. */
static const char *P(const char *rel) {
  static char bufs[4][512];
  static int i;
  char *b = bufs[i++ & 3];
  snprintf(b, sizeof bufs[0], "%s/%s", root, rel);
  return b;
}

/* Print "what: ok" / "what: <value>" or "what: ERRNAME". */
static long say(const char *what, long r) {
  if (r < 0)
    printf("%s: %s\n", what, ename(errno));
  else
    printf("%s: %ld\n", what, r);
  return r;
}

static void say_stat(const char *what, const char *path, int nofollow) {
  struct stat st;
  int r = nofollow ? lstat(path, &st) : stat(path, &st);
  if (r < 0) {
    printf("%s: %s\n", what, ename(errno));
    return;
  }
  printf("%s: type=%s size=%lld nlink=%lu\n", what,
         S_ISREG(st.st_mode)   ? "reg"
         : S_ISDIR(st.st_mode) ? "dir"
         : S_ISLNK(st.st_mode) ? "lnk"
                               : "other",
         S_ISDIR(st.st_mode) ? 0LL : (long long)st.st_size,
         (unsigned long)(S_ISDIR(st.st_mode) ? 0 : st.st_nlink));
}

static int cmp(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted listing of directory `rel`, one line. */
static void list(const char *rel) {
  DIR *d = opendir(P(rel));
  struct dirent *de;
  char *names[64];
  int n = 0;
  if (!d) {
    printf("list %s: %s\n", rel, ename(errno));
    return;
  }
  while ((de = readdir(d)) && n < 64) {
    char buf[300];
    snprintf(buf, sizeof buf, "%s%s", de->d_name,
             de->d_type == DT_DIR   ? "/"
             : de->d_type == DT_LNK ? "@"
             : de->d_type == DT_REG ? ""
                                    : "?");
    names[n++] = strdup(buf);
  }
  closedir(d);
  qsort(names, n, sizeof names[0], cmp);
  printf("list %s:", rel);
  for (int i = 0; i < n; i++) {
    printf(" %s", names[i]);
    free(names[i]);
  }
  printf("\n");
}

int main(int argc, char **argv) {
  char buf[256];
  struct stat st;
  int fd;
  long n;

  if (argc < 2) {
    fprintf(stderr, "usage: wasi_fs DIR\n");
    return 2;
  }
  root = argv[1];

  /* create, write, seek, read-only/write-only modes */
  say("mkdir fs", mkdir(P("fs"), 0755));
  say("mkdir fs again", mkdir(P("fs"), 0755));
  fd = open(P("fs/a.txt"), O_CREAT | O_WRONLY | O_TRUNC, 0644);
  say("open a.txt wronly", fd < 0 ? -1 : 0);
  say("write", write(fd, "hello world\n", 12));
  say("tell", lseek(fd, 0, SEEK_CUR));
  say("read on wronly", read(fd, buf, 4));
  say("seek set 0", lseek(fd, 0, SEEK_SET));
  say("pwrite HELLO@0", pwrite(fd, "HELLO", 5, 0));
  say("tell after pwrite", lseek(fd, 0, SEEK_CUR));
  say("seek negative", lseek(fd, -100, SEEK_SET));
  say("close", close(fd));
  say("close again", close(fd));

  fd = open(P("fs/a.txt"), O_RDONLY);
  say("open a.txt rdonly", fd < 0 ? -1 : 0);
  n = read(fd, buf, sizeof buf - 1);
  say("read", n);
  buf[n > 0 ? n : 0] = 0;
  printf("content: %s", buf);
  say("write on rdonly", write(fd, "x", 1));
  n = pread(fd, buf, 5, 6);
  say("pread 5@6", n);
  buf[n > 0 ? n : 0] = 0;
  printf("pread content: %s\n", buf);
  say("seek end", lseek(fd, 0, SEEK_END));
  say("read at eof", read(fd, buf, 10));
  say("fstat", fstat(fd, &st));
  printf("fstat: reg=%d size=%lld\n", S_ISREG(st.st_mode),
         (long long)st.st_size);
  say("ftruncate on rdonly", ftruncate(fd, 1));
  close(fd);

  fd = open(P("fs/a.txt"), O_WRONLY | O_APPEND);
  say("open append", fd < 0 ? -1 : 0);
  say("getfl append", (fcntl(fd, F_GETFL) & O_APPEND) != 0);
  say("seek 0 then append", lseek(fd, 0, SEEK_SET));
  say("write more", write(fd, "more\n", 5));
  say("tell after append", lseek(fd, 0, SEEK_CUR));
  close(fd);
  say_stat("stat a.txt", P("fs/a.txt"), 0);

  fd = open(P("fs/a.txt"), O_RDWR);
  say("open rdwr", fd < 0 ? -1 : 0);
  say("ftruncate 5", ftruncate(fd, 5));
  say_stat("stat truncated", P("fs/a.txt"), 0);
  errno = posix_fallocate(fd, 0, 100);
  say("fallocate 100", errno ? -1 : 0);
  say_stat("stat allocated", P("fs/a.txt"), 0);
  errno = posix_fadvise(fd, 0, 10, POSIX_FADV_SEQUENTIAL);
  say("fadvise", errno ? -1 : 0);
  say("fsync", fsync(fd));
  say("fdatasync", fdatasync(fd));
  say("setfl nonblock", fcntl(fd, F_SETFL, O_NONBLOCK));
  say("getfl nonblock", (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
  say("getfl append off", (fcntl(fd, F_GETFL) & O_APPEND) != 0);
  say("ftruncate 12", ftruncate(fd, 12));
  say("pwrite at 12", pwrite(fd, "tail\n", 5, 12));
  close(fd);
  say_stat("stat final", P("fs/a.txt"), 0);

  /* open errors */
  say("open excl existing",
      open(P("fs/a.txt"), O_CREAT | O_EXCL | O_WRONLY, 0644));
  say("open missing", open(P("fs/missing"), O_RDONLY));
  say("open file as dir component", open(P("fs/a.txt/x"), O_RDONLY));
  say("open dir wronly", open(P("fs"), O_WRONLY));
  say("open file O_DIRECTORY", open(P("fs/a.txt"), O_RDONLY | O_DIRECTORY));
  say("mkdir in missing", mkdir(P("fs/nope/sub"), 0755));

  /* times */
  {
    struct timespec ts[2] = {{1000000000, 500000000}, {1234567890, 250}};
    say("utimensat", utimensat(AT_FDCWD, P("fs/a.txt"), ts, 0));
    stat(P("fs/a.txt"), &st);
    printf("times: atime=%lld.%09ld mtime=%lld.%09ld\n",
           (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
           (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    fd = open(P("fs/a.txt"), O_RDONLY);
    ts[0].tv_nsec = UTIME_OMIT;
    ts[1].tv_sec = 2000000000;
    ts[1].tv_nsec = 0;
    say("futimens", futimens(fd, ts));
    close(fd);
    stat(P("fs/a.txt"), &st);
    printf("times: atime=%lld mtime=%lld\n", (long long)st.st_atim.tv_sec,
           (long long)st.st_mtim.tv_sec);
#ifdef __wasi__
    /* This wasi-libc mistranslates UTIME_NOW and NULL times: go direct.
     * root is a preopen, fd 3. */
    errno = __wasi_path_filestat_set_times(
        3, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "fs/a.txt", 0, 0,
        __WASI_FSTFLAGS_ATIM_NOW | __WASI_FSTFLAGS_MTIM_NOW);
    say("utimensat now", errno ? -1 : 0);
#else
    ts[0].tv_nsec = UTIME_NOW;
    ts[1].tv_nsec = UTIME_NOW;
    say("utimensat now", utimensat(AT_FDCWD, P("fs/a.txt"), ts, 0));
#endif
    stat(P("fs/a.txt"), &st);
    printf("mtime now is recent: %d\n", st.st_mtim.tv_sec > 1600000000);
  }

  /* symlinks and hard links */
  say("symlink lnk->a.txt", symlink("a.txt", P("fs/lnk")));
  say("symlink exists", symlink("a.txt", P("fs/lnk")));
  n = readlink(P("fs/lnk"), buf, sizeof buf);
  say("readlink", n);
  printf("readlink: %.*s\n", (int)(n > 0 ? n : 0), buf);
  n = readlink(P("fs/lnk"), buf, 3);
  say("readlink short", n);
  printf("readlink short: %.*s\n", (int)(n > 0 ? n : 0), buf);
  say("readlink on file", readlink(P("fs/a.txt"), buf, sizeof buf));
  say_stat("lstat lnk", P("fs/lnk"), 1);
  say_stat("stat lnk", P("fs/lnk"), 0);
  fd = open(P("fs/lnk"), O_RDONLY);
  say("open via lnk", fd < 0 ? -1 : 0);
  n = read(fd, buf, 5);
  printf("via lnk: %.*s\n", (int)(n > 0 ? n : 0), buf);
  close(fd);
  say("open lnk O_NOFOLLOW", open(P("fs/lnk"), O_RDONLY | O_NOFOLLOW));
  {
    struct timespec ts[2] = {{5, 0}, {7, 0}};
    say("utimensat nofollow lnk",
        utimensat(AT_FDCWD, P("fs/lnk"), ts, AT_SYMLINK_NOFOLLOW));
    lstat(P("fs/lnk"), &st);
    printf("lnk mtime: %lld\n", (long long)st.st_mtim.tv_sec);
    stat(P("fs/lnk"), &st);
    printf("a.txt mtime still recent: %d\n",
           st.st_mtim.tv_sec > 1600000000);
  }
  say("symlink dang->nowhere", symlink("nowhere", P("fs/dang")));
  say_stat("stat dang", P("fs/dang"), 0);
  say_stat("lstat dang", P("fs/dang"), 1);
  fd = open(P("fs/dang"), O_CREAT | O_WRONLY, 0644);
  say("create through dang", fd < 0 ? -1 : 0);
  close(fd);
  say_stat("stat nowhere", P("fs/nowhere"), 0);
  say("symlink chain", symlink("lnk", P("fs/lnk2")));
  say_stat("stat lnk2", P("fs/lnk2"), 0);
  say("link a.txt hard", link(P("fs/a.txt"), P("fs/hard")));
  say_stat("stat hard", P("fs/hard"), 0);
  say("link exists", link(P("fs/a.txt"), P("fs/hard")));
  say("link dir", link(P("fs"), P("fs/dirlink")));
  say("rename hard hard2", rename(P("fs/hard"), P("fs/hard2")));
  say_stat("stat hard", P("fs/hard"), 0);
  say_stat("stat hard2", P("fs/hard2"), 0);
  say("rename missing", rename(P("fs/none"), P("fs/none2")));

  /* directories */
  say("mkdir d", mkdir(P("fs/d"), 0755));
  fd = open(P("fs/d/x"), O_CREAT | O_WRONLY, 0644);
  close(fd);
  say("rmdir nonempty", rmdir(P("fs/d")));
  say("unlink dir", unlink(P("fs/d")));
  say("rmdir file", rmdir(P("fs/a.txt")));
  say("mkdir d2", mkdir(P("fs/d2"), 0755));
  say("rename d2 over nonempty d", rename(P("fs/d2"), P("fs/d")));
  say("rename d2 d3", rename(P("fs/d2"), P("fs/d3")));
  say("rename file over dir", rename(P("fs/hard2"), P("fs/d3")));
  say("rename dir over file", rename(P("fs/d3"), P("fs/hard2")));
  list("fs");
  list("fs/d");
  say("unlink d/x", unlink(P("fs/d/x")));
  say("rmdir d", rmdir(P("fs/d")));
  say("rmdir d3", rmdir(P("fs/d3")));
  say("rmdir missing", rmdir(P("fs/d")));

  /* trailing slashes */
  say_stat("stat a.txt/", P("fs/a.txt/"), 0);
  say("mkdir e/", mkdir(P("fs/e/"), 0755));
  say_stat("stat e/", P("fs/e/"), 0);
  say("rmdir e/", rmdir(P("fs/e/")));
  say("unlink a.txt/", unlink(P("fs/a.txt/")));
  say("open a.txt/", open(P("fs/a.txt/"), O_RDONLY));

  /* clean up */
  say("unlink lnk", unlink(P("fs/lnk")));
  say("unlink lnk2", unlink(P("fs/lnk2")));
  say("unlink dang", unlink(P("fs/dang")));
  say("unlink nowhere", unlink(P("fs/nowhere")));
  say("unlink hard2", unlink(P("fs/hard2")));
  say_stat("stat a.txt nlink", P("fs/a.txt"), 0);
  say("unlink a.txt", unlink(P("fs/a.txt")));
  say("unlink missing", unlink(P("fs/a.txt")));
  list("fs");
  say("rmdir fs", rmdir(P("fs")));
  return 0;
}

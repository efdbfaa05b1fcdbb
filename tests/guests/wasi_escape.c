/* wasi_escape.c - guest for tests/e2e/t1002-wasi-sandbox.sh: tries to leave
 * the preopened directory (fd 3) in every way we know: "..", absolute
 * paths, symlinks to absolute or outside targets (in the last or a middle
 * component, dangling, chained, looping), renames, links, mkdir, unlink,
 * readdir of "..", trailing slashes, NUL bytes and bad pointers. Prints
 * one line per attempt, "NAME: ok" or "NAME: ERRNAME", for the test to
 * compare with what is expected. The host side checks that nothing
 * outside changed.
 *
 * Layout made by the test: sandbox/inside.txt ("inside\n"), sandbox/sub/,
 * ../outside.txt next to the sandbox. argv[1]: the host path of
 * outside.txt (for an absolute symlink). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>

#define IMPORT(name) \
  __attribute__((import_module("wasi_snapshot_preview1"), import_name(name)))

/* Raw imports, to pass lengths and pointers wasi-libc would not. */
IMPORT("path_open")
int32_t raw_path_open(int32_t fd, int32_t dirflags, int32_t path,
                      int32_t len, int32_t oflags, int64_t base,
                      int64_t inheriting, int32_t fdflags, int32_t out);

#define FOLLOW __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW
#define ALL_RIGHTS ((__wasi_rights_t)0x1fffffff)
#define PRE 3 /* the preopened sandbox */

static const char *ename(int e) {
  switch (e) {
#define E(x) \
  case x:    \
    return #x;
    E(EPERM) E(ENOENT) E(EIO) E(EBADF) E(EACCES) E(EEXIST) E(EXDEV)
    E(ENOTDIR) E(EISDIR) E(EINVAL) E(ENAMETOOLONG) E(ENOTEMPTY) E(ELOOP)
    E(ENOSYS) E(ENOTSUP) E(EFAULT) E(EBUSY) E(ENOTCAPABLE)
#undef E
  }
  return "E?";
}

/* Print the outcome of a WASI call. */
static void res(const char *what, int e) {
  printf("%s: %s\n", what, e ? ename(e) : "ok");
}

/* path_open beneath the sandbox; closes the fd again on success. */
static void try_open(const char *what, const char *path, int lookup,
                     int oflags, int write) {
  __wasi_fd_t fd;
  __wasi_rights_t r = write ? __WASI_RIGHTS_FD_WRITE : __WASI_RIGHTS_FD_READ;
  int e = __wasi_path_open(PRE, lookup, path, oflags, r | ALL_RIGHTS,
                           ALL_RIGHTS, 0, &fd);
  res(what, e);
  if (!e)
    (void)__wasi_fd_close(fd);
}

/* Read a file beneath the sandbox, to show what an allowed open reached. */
static void show(const char *what, const char *path) {
  __wasi_fd_t fd;
  char buf[64];
  __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf - 1};
  __wasi_size_t n = 0;
  int e = __wasi_path_open(PRE, FOLLOW, path, 0, ALL_RIGHTS, ALL_RIGHTS, 0,
                           &fd);
  if (e) {
    res(what, e);
    return;
  }
  e = __wasi_fd_read(fd, &iov, 1, &n);
  (void)__wasi_fd_close(fd);
  buf[n] = 0;
  printf("%s: %s", what, e ? ename(e) : buf);
}

static void try_stat(const char *what, const char *path, int lookup) {
  __wasi_filestat_t st;
  res(what, __wasi_path_filestat_get(PRE, lookup, path, &st));
}

int main(int argc, char **argv) {
  __wasi_filestat_t st;
  __wasi_fd_t fd;
  char buf[256];
  __wasi_size_t n;
  int e;

  if (argc < 2) {
    fprintf(stderr, "usage: wasi_escape OUTSIDE-ABS-PATH\n");
    return 2;
  }

  /* Symlinks may point anywhere; following them is what must fail. */
  res("mk etc_link", __wasi_path_symlink("/etc", PRE, "etc_link"));
  res("mk up_link", __wasi_path_symlink("../outside.txt", PRE, "up_link"));
  res("mk abs_link", __wasi_path_symlink(argv[1], PRE, "abs_link"));
  res("mk deep_up", __wasi_path_symlink("../../outside.txt", PRE,
                                        "sub/deep_up"));
  res("mk dir_up", __wasi_path_symlink("..", PRE, "dir_up"));
  res("mk in_up", __wasi_path_symlink("..", PRE, "sub/in_up"));
  res("mk loop1", __wasi_path_symlink("loop2", PRE, "loop1"));
  res("mk loop2", __wasi_path_symlink("loop1", PRE, "loop2"));
  res("mk ok_link", __wasi_path_symlink("sub/../inside.txt", PRE,
                                        "ok_link"));
  res("mk dangling_out", __wasi_path_symlink("../created.txt", PRE,
                                             "dangling_out"));
  res("mk chain", __wasi_path_symlink("up_link", PRE, "chain"));
  res("mk link outside", __wasi_path_symlink("x", PRE, "../evil"));
  res("mk link via etc_link", __wasi_path_symlink("x", PRE, "etc_link/x"));

  /* What is inside stays reachable. */
  show("read inside.txt", "inside.txt");
  show("read ok_link", "ok_link");
  show("read sub/in_up/inside.txt", "sub/in_up/inside.txt");
  show("read sub/../inside.txt", "sub/../inside.txt");
  show("read sub//./../inside.txt", "sub//./../inside.txt");
  try_open("open .", ".", 0, __WASI_OFLAGS_DIRECTORY, 0);
  try_open("open sub/..", "sub/..", 0, __WASI_OFLAGS_DIRECTORY, 0);
  try_stat("lstat etc_link", "etc_link", 0);
  try_stat("lstat up_link", "up_link", 0);
  n = 0;
  e = __wasi_path_readlink(PRE, "etc_link", (uint8_t *)buf, sizeof buf, &n);
  printf("readlink etc_link: %s %.*s\n", e ? ename(e) : "ok", (int)n, buf);

  /* Opens that leave. */
  try_open("open ..", "..", 0, __WASI_OFLAGS_DIRECTORY, 0);
  try_open("open ../outside.txt", "../outside.txt", FOLLOW, 0, 0);
  try_open("open /etc/passwd", "/etc/passwd", FOLLOW, 0, 0);
  try_open("open /", "/", FOLLOW, 0, 0);
  try_open("open sub/../../outside.txt", "sub/../../outside.txt", FOLLOW, 0,
           0);
  try_open("open sub/../..", "sub/../..", 0, __WASI_OFLAGS_DIRECTORY, 0);
  try_open("open etc_link/passwd", "etc_link/passwd", FOLLOW, 0, 0);
  try_open("open etc_link/passwd nofollow", "etc_link/passwd", 0, 0, 0);
  try_open("open etc_link", "etc_link", FOLLOW, __WASI_OFLAGS_DIRECTORY, 0);
  try_open("open etc_link nofollow", "etc_link", 0, 0, 0);
  try_open("open up_link", "up_link", FOLLOW, 0, 0);
  try_open("open abs_link", "abs_link", FOLLOW, 0, 0);
  try_open("open sub/deep_up", "sub/deep_up", FOLLOW, 0, 0);
  try_open("open dir_up/outside.txt", "dir_up/outside.txt", FOLLOW, 0, 0);
  try_open("open chain", "chain", FOLLOW, 0, 0);
  try_open("open sub/in_up/sub/in_up/../..", "sub/in_up/sub/in_up/../..", 0,
           __WASI_OFLAGS_DIRECTORY, 0);
  try_open("open loop1", "loop1", FOLLOW, 0, 0);
  try_open("open loop1/x", "loop1/x", FOLLOW, 0, 0);
  try_open("create ../new.txt", "../new.txt", FOLLOW, __WASI_OFLAGS_CREAT,
           1);
  try_open("create via dangling_out", "dangling_out", FOLLOW,
           __WASI_OFLAGS_CREAT, 1);
  try_open("create etc_link/new", "etc_link/new", FOLLOW,
           __WASI_OFLAGS_CREAT, 1);
  try_open("trunc up_link", "up_link", FOLLOW, __WASI_OFLAGS_TRUNC, 1);

  /* Stats. */
  try_stat("stat etc_link", "etc_link", FOLLOW);
  try_stat("stat etc_link/ nofollow", "etc_link/", 0);
  try_stat("stat up_link", "up_link", FOLLOW);
  try_stat("stat ../outside.txt", "../outside.txt", 0);
  try_stat("stat ..", "..", 0);
  try_stat("stat /etc", "/etc", FOLLOW);
  try_stat("stat dir_up/sandbox", "dir_up/sandbox", 0);

  /* Changes. */
  res("mkdir ../newdir", __wasi_path_create_directory(PRE, "../newdir"));
  res("mkdir etc_link/newdir",
      __wasi_path_create_directory(PRE, "etc_link/newdir"));
  res("mkdir ..", __wasi_path_create_directory(PRE, ".."));
  res("mkdir dir_up/newdir", __wasi_path_create_directory(PRE,
                                                          "dir_up/newdir"));
  res("rmdir ..", __wasi_path_remove_directory(PRE, ".."));
  res("rmdir sub/..", __wasi_path_remove_directory(PRE, "sub/.."));
  res("rmdir dir_up/sandbox", __wasi_path_remove_directory(PRE,
                                                           "dir_up/sandbox"));
  res("unlink ../outside.txt", __wasi_path_unlink_file(PRE, "../outside.txt"));
  res("unlink dir_up/outside.txt",
      __wasi_path_unlink_file(PRE, "dir_up/outside.txt"));
  res("unlink up_link/", __wasi_path_unlink_file(PRE, "up_link/"));
  res("rename inside.txt ../moved.txt",
      __wasi_path_rename(PRE, "inside.txt", PRE, "../moved.txt"));
  res("rename ../outside.txt stolen.txt",
      __wasi_path_rename(PRE, "../outside.txt", PRE, "stolen.txt"));
  res("rename inside.txt etc_link/x",
      __wasi_path_rename(PRE, "inside.txt", PRE, "etc_link/x"));
  res("rename inside.txt dir_up/moved.txt",
      __wasi_path_rename(PRE, "inside.txt", PRE, "dir_up/moved.txt"));
  res("rename sub ..", __wasi_path_rename(PRE, "sub", PRE, ".."));
  res("link ../outside.txt hard",
      __wasi_path_link(PRE, 0, "../outside.txt", PRE, "hard"));
  res("link etc_link/passwd hard",
      __wasi_path_link(PRE, 0, "etc_link/passwd", PRE, "hard"));
  res("link follow up_link hard",
      __wasi_path_link(PRE, FOLLOW, "up_link", PRE, "hard"));
  res("link follow abs_link hard",
      __wasi_path_link(PRE, FOLLOW, "abs_link", PRE, "hard"));
  res("link inside.txt ../hard",
      __wasi_path_link(PRE, 0, "inside.txt", PRE, "../hard"));
  res("link follow ok_link hard_ok",
      __wasi_path_link(PRE, FOLLOW, "ok_link", PRE, "hard_ok"));
  try_stat("stat hard_ok", "hard_ok", 0);
  res("set_times follow up_link",
      __wasi_path_filestat_set_times(PRE, FOLLOW, "up_link", 1, 1,
                                     __WASI_FSTFLAGS_ATIM |
                                         __WASI_FSTFLAGS_MTIM));
  res("set_times ../outside.txt",
      __wasi_path_filestat_set_times(PRE, 0, "../outside.txt", 1, 1,
                                     __WASI_FSTFLAGS_MTIM));
  res("set_times nofollow up_link",
      __wasi_path_filestat_set_times(PRE, 0, "up_link", 1, 1,
                                     __WASI_FSTFLAGS_MTIM));
  n = 0;
  res("readlink ../x",
      __wasi_path_readlink(PRE, "../x", (uint8_t *)buf, sizeof buf, &n));
  res("readlink dir_up/sandbox",
      __wasi_path_readlink(PRE, "dir_up/sandbox", (uint8_t *)buf, sizeof buf,
                           &n));

  /* Reading "..". */
  {
    DIR *d = opendir("/sandbox/..");
    printf("opendir /sandbox/..: %s\n", d ? "ok" : ename(errno));
    if (d)
      closedir(d);
    d = opendir("/sandbox/dir_up");
    printf("opendir /sandbox/dir_up: %s\n", d ? "ok" : ename(errno));
    if (d)
      closedir(d);
  }
  {
    FILE *f = fopen("/etc/passwd", "r");
    printf("fopen /etc/passwd: %s\n", f ? "ok" : ename(errno));
    if (f)
      fclose(f);
    f = fopen("/sandbox/../outside.txt", "r");
    printf("fopen /sandbox/../outside.txt: %s\n", f ? "ok" : ename(errno));
    if (f)
      fclose(f);
    f = fopen("/sandbox/up_link", "r");
    printf("fopen /sandbox/up_link: %s\n", f ? "ok" : ename(errno));
    if (f)
      fclose(f);
  }

  /* Malformed requests. */
  {
    static const char nul[] = "inside.txt\0/../../outside.txt";
    static char longp[5000];
    int32_t out = 0;
    res("open with NUL",
        raw_path_open(PRE, FOLLOW, (int32_t)(uintptr_t)nul, sizeof nul - 1, 0,
                      ALL_RIGHTS, ALL_RIGHTS, 0, (int32_t)(uintptr_t)&out));
    res("open bad path pointer",
        raw_path_open(PRE, FOLLOW, (int32_t)0xffffff00, 300, 0, ALL_RIGHTS,
                      ALL_RIGHTS, 0, (int32_t)(uintptr_t)&out));
    res("open bad result pointer",
        raw_path_open(PRE, FOLLOW, (int32_t)(uintptr_t)"inside.txt", 10, 0,
                      ALL_RIGHTS, ALL_RIGHTS, 0, (int32_t)0xfffffffe));
    memset(longp, 'a', sizeof longp - 1);
    res("open long path", __wasi_path_open(PRE, FOLLOW, longp, 0, ALL_RIGHTS,
                                           ALL_RIGHTS, 0, &fd));
    res("open empty path", __wasi_path_open(PRE, FOLLOW, "", 0, ALL_RIGHTS,
                                            ALL_RIGHTS, 0, &fd));
    res("open bad dirfd", __wasi_path_open(99, FOLLOW, "x", 0, ALL_RIGHTS,
                                           ALL_RIGHTS, 0, &fd));
    res("open from stdin", __wasi_path_open(0, FOLLOW, "x", 0, ALL_RIGHTS,
                                            ALL_RIGHTS, 0, &fd));
    e = __wasi_path_open(PRE, FOLLOW, "inside.txt", 0, ALL_RIGHTS,
                         ALL_RIGHTS, 0, &fd);
    res("open inside.txt", e);
    res("open relative to a file",
        __wasi_path_filestat_get(fd, 0, "x", &st));
    res("readdir a file",
        __wasi_fd_readdir(fd, (uint8_t *)buf, sizeof buf, 0, &n));
    (void)__wasi_fd_close(fd);
  }

  /* The link itself may go; its target stays. */
  res("unlink up_link", __wasi_path_unlink_file(PRE, "up_link"));
  res("unlink sub/in_up", __wasi_path_unlink_file(PRE, "sub/in_up"));
  return 0;
}

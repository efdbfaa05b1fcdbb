/* wasi_readdir.c - guest for tests/e2e/t1004-wasi-readdir.sh: fd_readdir
 * with many entries and buffers of every size, checking the dirent
 * layout, cookies (restarting from any d_next), the partial last entry,
 * d_type and d_ino, and that wasi-libc's readdir/telldir/seekdir agree.
 *
 * usage: wasi_readdir N   (makes /sandbox/rd with N files, then lists it) */
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

#define MAXN 2000

static char *names[MAXN + 8];
static int seen[MAXN + 8];
static int nnames;

/* Index of `name` among the expected names, or -1. */
static int find(const char *name, size_t len) {
  for (int i = 0; i < nnames; i++)
    if (strlen(names[i]) == len && !memcmp(names[i], name, len))
      return i;
  return -1;
}

/* List directory fd `dfd` with fd_readdir and a `bufsize` buffer the way
 * wasi-libc does: parse whole entries, continue from the last d_next,
 * grow the buffer when not even one entry fits. Returns entries seen, or
 * -1 on an inconsistency (printed). */
static int list(__wasi_fd_t dfd, size_t bufsize, int *calls) {
  uint8_t *buf = malloc(bufsize);
  __wasi_dircookie_t cookie = 0;
  int count = 0;
  memset(seen, 0, sizeof seen);
  *calls = 0;
  for (;;) {
    __wasi_size_t used = 0;
    size_t off = 0;
    int whole = 0;
    int e = __wasi_fd_readdir(dfd, buf, bufsize, cookie, &used);
    ++*calls;
    if (e) {
      printf("fd_readdir: error %d\n", e);
      return -1;
    }
    if (used > bufsize) {
      printf("used %u > buffer %zu\n", (unsigned)used, bufsize);
      return -1;
    }
    while (used - off >= sizeof(__wasi_dirent_t)) {
      __wasi_dirent_t de;
      int k;
      memcpy(&de, buf + off, sizeof de);
      if (used - off - sizeof de < de.d_namlen)
        break; /* partial entry */
      k = find((const char *)buf + off + sizeof de, de.d_namlen);
      if (k < 0) {
        printf("unexpected name '%.*s'\n", (int)de.d_namlen,
               (const char *)buf + off + sizeof de);
        return -1;
      }
      if (seen[k]++) {
        printf("duplicate name '%s'\n", names[k]);
        return -1;
      }
      if (de.d_next <= cookie) {
        printf("cookie did not advance\n");
        return -1;
      }
      cookie = de.d_next;
      off += sizeof de + de.d_namlen;
      count++;
      whole++;
    }
    if (used < bufsize)
      break; /* end of directory */
    if (!whole) {
      /* Not even one entry fit: grow, as wasi-libc does. */
      bufsize *= 2;
      buf = realloc(buf, bufsize);
    }
  }
  free(buf);
  for (int i = 0; i < nnames; i++)
    if (!seen[i]) {
      printf("missing name '%s'\n", names[i]);
      return -1;
    }
  return count;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 100;
  static const size_t sizes[] = {1, 23, 24, 25, 40, 64, 100, 257, 4096, 65536};
  __wasi_fd_t dfd;
  char path[512];
  int e;

  if (n > MAXN)
    n = MAXN;
  mkdir("/sandbox/rd", 0755);
  names[nnames++] = strdup(".");
  names[nnames++] = strdup("..");
  for (int i = 0; i < n; i++) {
    char name[256];
    int pad = (i * 37) % 200;
    int fd;
    snprintf(name, sizeof name, "f%05d-", i);
    memset(name + 7, 'x', (size_t)pad);
    name[7 + pad] = 0;
    names[nnames++] = strdup(name);
    snprintf(path, sizeof path, "/sandbox/rd/%s", name);
    fd = open(path, O_CREAT | O_WRONLY, 0644);
    if (fd < 0) {
      printf("create %s: errno %d\n", name, errno);
      return 1;
    }
    close(fd);
  }
  mkdir("/sandbox/rd/subdir", 0755);
  names[nnames++] = strdup("subdir");
  symlink("subdir", "/sandbox/rd/symlink");
  names[nnames++] = strdup("symlink");

  e = __wasi_path_open(3, 0, "rd", __WASI_OFLAGS_DIRECTORY,
                       __WASI_RIGHTS_FD_READDIR, 0, 0, &dfd);
  if (e) {
    printf("open rd: %d\n", e);
    return 1;
  }
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    int calls, got = list(dfd, sizes[i], &calls);
    printf("buffer %zu: %d entries%s\n", sizes[i], got,
           got == nnames ? " (all, once each)" : "");
  }

  /* Cookies: restarting from any d_next gives the same tail. */
  {
    static uint8_t a[1 << 20], b[1 << 20];
    __wasi_size_t ua, ub;
    __wasi_dirent_t de;
    size_t off = 0;
    int idx = 0, ok = 1;
    (void)__wasi_fd_readdir(dfd, a, sizeof a, 0, &ua);
    while (off + sizeof de <= ua && ok) {
      memcpy(&de, a + off, sizeof de);
      off += sizeof de + de.d_namlen;
      if (idx++ % 97 == 0) {
        (void)__wasi_fd_readdir(dfd, b, sizeof b, de.d_next, &ub);
        ok = ub == ua - off && !memcmp(b, a + off, ub);
      }
    }
    printf("restart from cookies: %s\n", ok ? "consistent" : "MISMATCH");
    (void)__wasi_fd_readdir(dfd, b, sizeof b, 1u << 30, &ub);
    printf("cookie past the end: used=%u\n", (unsigned)ub);
  }

  /* d_type and d_ino. */
  {
    static uint8_t a[1 << 20];
    __wasi_size_t ua;
    size_t off = 0;
    int inos = 0, inos_ok = 0, types[4] = {-1, -1, -1, -1};
    (void)__wasi_fd_readdir(dfd, a, sizeof a, 0, &ua);
    while (off + sizeof(__wasi_dirent_t) <= ua) {
      __wasi_dirent_t de;
      char name[300];
      memcpy(&de, a + off, sizeof de);
      memcpy(name, a + off + sizeof de, de.d_namlen);
      name[de.d_namlen] = 0;
      off += sizeof de + de.d_namlen;
      if (!strcmp(name, "."))
        types[0] = de.d_type;
      else if (!strcmp(name, "subdir"))
        types[1] = de.d_type;
      else if (!strcmp(name, "symlink"))
        types[2] = de.d_type;
      else if (!strncmp(name, "f00001-", 7))
        types[3] = de.d_type;
      if (strcmp(name, "..")) {
        struct stat st;
        snprintf(path, sizeof path, "/sandbox/rd/%s", name);
        inos++;
        inos_ok += lstat(path, &st) == 0 && st.st_ino == de.d_ino;
      }
    }
    printf("d_type . subdir symlink file: %d %d %d %d\n", types[0],
           types[1], types[2], types[3]);
    printf("d_ino matches lstat: %d of %d\n", inos_ok, inos);
  }

  /* wasi-libc on top: readdir, telldir, seekdir, rewinddir. */
  {
    DIR *d = opendir("/sandbox/rd");
    struct dirent *de;
    long mark = -1;
    char marked[300] = "", again[300] = "";
    int count = 0;
    while ((de = readdir(d))) {
      if (count == n / 2) {
        mark = telldir(d);
        de = readdir(d);
        if (!de)
          break;
        snprintf(marked, sizeof marked, "%s", de->d_name);
      }
      count++;
    }
    seekdir(d, mark);
    de = readdir(d);
    snprintf(again, sizeof again, "%s", de ? de->d_name : "(none)");
    printf("libc readdir: %d entries, seekdir %s\n", count + 1,
           strcmp(marked, again) ? "MISMATCH" : "returns the same entry");
    rewinddir(d);
    count = 0;
    while (readdir(d))
      count++;
    printf("after rewinddir: %d entries\n", count);
    closedir(d);
  }

  /* Changes show after a restart from cookie 0. */
  {
    int calls;
    unlink("/sandbox/rd/f00000-");
    free(names[2]);
    names[2] = strdup("added-later");
    close(open("/sandbox/rd/added-later", O_CREAT | O_WRONLY, 0644));
    printf("after changes: %d entries\n", list(dfd, 4096, &calls));
  }
  (void)__wasi_fd_close(dfd);
  return 0;
}

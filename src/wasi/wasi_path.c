/* wasi_path.c - WASI path_* calls and the sandbox: every guest path is
 * resolved beneath a directory fd and may not leave it, neither through
 * "..", absolute paths nor symlinks. The kernel does the work through
 * openat2(RESOLVE_BENEATH) where it has it; otherwise a component-by-
 * component walk with O_NOFOLLOW does, expanding symlinks itself. Calls
 * that must not follow the last component (unlink, rename, ...) resolve
 * the parent beneath the fd and use the *at call on the last component. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/util.h"
#include "wasi/wasi_int.h"

/* Symlinks a walk may expand before ELOOP (as Linux). */
#define WALK_MAX_LINKS 40

uint32_t weft__wasi_path_copy(weft_instance_t *inst, uint32_t ptr,
                              uint32_t len, char **out) {
  const uint8_t *p = wasi_mem(inst, ptr, len);
  char *s;
  *out = NULL;
  if (!p)
    return WASI_EFAULT;
  if (len >= PATH_MAX)
    return WASI_ENAMETOOLONG;
  if (memchr(p, 0, len))
    return WASI_EINVAL;
  s = malloc((size_t)len + 1);
  if (!s)
    return WASI_ENOMEM;
  memcpy(s, p, len);
  s[len] = 0;
  *out = s;
  return 0;
}

/* ---- openat2 ----------------------------------------------------------- */

/* -1: not probed yet, 0: use the walk, 1: use openat2. */
static int g_openat2 = -1;

/* Does the kernel offer openat2 with RESOLVE_BENEATH? Probed once; the
 * environment variable WEFT_WASI_NO_OPENAT2=1 forces the walk (tests). */
static bool have_openat2(void) {
  int v = __atomic_load_n(&g_openat2, __ATOMIC_RELAXED);
  if (v < 0) {
    const char *no = getenv("WEFT_WASI_NO_OPENAT2");
    struct open_how how;
    long fd;
    v = 0;
    memset(&how, 0, sizeof how);
    how.flags = O_PATH | O_CLOEXEC;
    how.resolve = RESOLVE_BENEATH;
    if (!no || !*no || !strcmp(no, "0")) {
      fd = syscall(SYS_openat2, AT_FDCWD, ".", &how, sizeof how);
      if (fd >= 0)
        close((int)fd);
      v = fd >= 0 || (errno != ENOSYS && errno != EPERM && errno != EINVAL &&
                      errno != E2BIG);
    }
    __atomic_store_n(&g_openat2, v, __ATOMIC_RELAXED);
  }
  return v == 1;
}

/* openat2 beneath dirfd. A new fd or -(WASI errno). */
static int open_openat2(int dirfd, const char *path, int flags,
                        unsigned mode, bool follow) {
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = (uint64_t)(unsigned)(flags | O_CLOEXEC |
                                   (follow ? 0 : O_NOFOLLOW));
  how.mode = (flags & O_CREAT) ? mode : 0;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  for (int tries = 0;; tries++) {
    long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
    if (fd >= 0)
      return (int)fd;
    /* EAGAIN: a concurrent rename raced a ".."; the kernel asks to retry. */
    if (errno == EINTR || (errno == EAGAIN && tries < 64))
      continue;
    if (errno == EXDEV)
      return -(int)WASI_ENOTCAPABLE;
    return -(int)weft__wasi_errno(errno);
  }
}

/* ---- the walk ---------------------------------------------------------- */

/* Replace the walk's remaining path: symlink `target` then `rest` (with a
 * '/' between when rest is non-empty or `slash`). Frees *buf and sets it.
 * 0 or a WASI errno. */
static uint32_t splice_link(char **buf, const char *target, const char *rest,
                            bool slash) {
  size_t tl = strlen(target), rl = strlen(rest);
  char *nb;
  if (tl + rl + 2 > PATH_MAX)
    return WASI_ENAMETOOLONG;
  nb = malloc(tl + rl + 2);
  if (!nb)
    return WASI_ENOMEM;
  memcpy(nb, target, tl);
  if (rl || slash)
    nb[tl++] = '/';
  memcpy(nb + tl, rest, rl + 1);
  free(*buf);
  *buf = nb;
  return 0;
}

/* Is `name` in directory `dfd` a symlink (without following it)? */
static bool is_symlink_at(int dfd, const char *name) {
  struct stat st;
  return fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
         S_ISLNK(st.st_mode);
}

/* The portable resolver: walk `path` one component at a time from root,
 * opening each directory with O_NOFOLLOW, keeping a stack of the opened
 * directories for "..", and expanding relative symlinks by hand. A new fd
 * or -(WASI errno). */
static int open_walk(int root, const char *path, int flags, unsigned mode,
                     bool follow) {
  int *stack = NULL, fd = -1, rc;
  size_t depth = 0, cap = 0;
  int links = 0;
  char *buf = NULL, *p, target[PATH_MAX];

  if (path[0] == '/')
    return -(int)WASI_ENOTCAPABLE;
  if (!path[0])
    return -(int)WASI_ENOENT;
  buf = weft__strdup(path);
  if (!buf)
    return -(int)WASI_ENOMEM;
  p = buf;
  for (;;) {
    int cur = depth ? stack[depth - 1] : root;
    char *comp, *rest;
    bool last, slash = false;
    ssize_t tl;

    while (*p == '/')
      p++;
    comp = p;
    while (*p && *p != '/')
      p++;
    rest = p;
    if (*rest) {
      *rest++ = 0;
      slash = true;
      while (*rest == '/')
        rest++;
    }
    last = !*rest;
    if (!*comp) /* only slashes were left after a directory */
      comp = (char *)".";
    if (!strcmp(comp, "..")) {
      if (!depth) {
        rc = WASI_ENOTCAPABLE;
        goto fail;
      }
      close(stack[--depth]);
      cur = depth ? stack[depth - 1] : root;
      comp = (char *)".";
    }
    if (!last) {
      if (!strcmp(comp, ".")) {
        p = rest;
        continue;
      }
      fd = openat(cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd >= 0) {
        if (depth == cap) {
          size_t ncap = cap ? cap * 2 : 16;
          int *ns = realloc(stack, ncap * sizeof *ns);
          if (!ns) {
            close(fd);
            rc = WASI_ENOMEM;
            goto fail;
          }
          stack = ns;
          cap = ncap;
        }
        stack[depth++] = fd;
        fd = -1;
        p = rest;
        continue;
      }
      if ((errno != ENOTDIR && errno != ELOOP) || !is_symlink_at(cur, comp)) {
        rc = weft__wasi_errno(errno);
        goto fail;
      }
    } else {
      int f = flags | O_CLOEXEC | O_NOFOLLOW;
      if (slash) {
        if (flags & O_CREAT) {
          rc = WASI_EISDIR;
          goto fail;
        }
        f |= O_DIRECTORY;
      }
      fd = openat(cur, comp, f, mode);
      if (fd >= 0) {
        struct stat st;
        /* O_PATH | O_NOFOLLOW opens a symlink itself: follow it by hand. */
        if (!(flags & O_PATH) || !(follow || slash) || fstat(fd, &st) != 0 ||
            !S_ISLNK(st.st_mode))
          break;
        close(fd);
        fd = -1;
      } else if (!(follow || slash) || (errno != ELOOP && errno != ENOTDIR) ||
                 !is_symlink_at(cur, comp)) {
        rc = weft__wasi_errno(errno);
        goto fail;
      }
    }
    /* comp is a symlink to follow. */
    if (++links > WALK_MAX_LINKS) {
      rc = WASI_ELOOP;
      goto fail;
    }
    tl = readlinkat(cur, comp, target, sizeof target - 1);
    if (tl < 0) {
      rc = weft__wasi_errno(errno);
      goto fail;
    }
    target[tl] = 0;
    if (tl == 0) {
      rc = WASI_ENOENT;
      goto fail;
    }
    if (target[0] == '/') {
      rc = WASI_ENOTCAPABLE;
      goto fail;
    }
    rc = splice_link(&buf, target, rest, slash);
    if (rc)
      goto fail;
    p = buf;
  }
  while (depth)
    close(stack[--depth]);
  free(stack);
  free(buf);
  return fd;
fail:
  while (depth)
    close(stack[--depth]);
  free(stack);
  free(buf);
  return -rc;
}

int weft__wasi_open_beneath(int dirfd, const char *path, int flags,
                            unsigned mode, bool follow) {
  if (!*path)
    return -(int)WASI_ENOENT;
  if (have_openat2())
    return open_openat2(dirfd, path, flags, mode, follow);
  return open_walk(dirfd, path, flags, mode, follow);
}

/* ---- parents ----------------------------------------------------------- */

/* A path split for an *at call that does not follow its last component. */
typedef struct wasi_at {
  char *path;  /* the guest path (owned) */
  char *copy;  /* split copy: parent and name point into it (owned) */
  const char *name; /* last component, no slashes */
  int pfd;     /* the parent, O_PATH beneath the guest's directory, or -1 */
  int dirfd;   /* the guest's directory (borrowed) */
  bool slash;  /* the path ended in '/' */
} wasi_at_t;

/* Close and free what `a` holds; it may be released twice. */
static void at_release(wasi_at_t *a) {
  if (a->pfd >= 0)
    close(a->pfd);
  free(a->path);
  free(a->copy);
  memset(a, 0, sizeof *a);
  a->pfd = -1;
}

/* The host fd of directory guest fd `fd`, or -(WASI errno). */
static int dir_host(weft_instance_t *inst, uint32_t fd) {
  weft__wasi_fd_t *e = weft__wasi_fd_get(wasi_state(inst), fd);
  if (!e)
    return -(int)WASI_EBADF;
  if (e->type != WASI_FILETYPE_DIRECTORY)
    return -(int)WASI_ENOTDIR;
  return e->host;
}

/* Resolve guest path [ptr, ptr+len) relative to guest directory `fd` into
 * *a: its parent opened beneath, and the last component. On failure *a
 * is released. 0 or a WASI errno. */
static uint32_t at_open(weft_instance_t *inst, uint32_t fd, uint32_t ptr,
                        uint32_t len, wasi_at_t *a) {
  uint32_t rc;
  size_t n;
  char *s;
  int pfd;
  memset(a, 0, sizeof *a);
  a->pfd = -1;
  a->dirfd = dir_host(inst, fd);
  if (a->dirfd < 0)
    return (uint32_t)-a->dirfd;
  rc = weft__wasi_path_copy(inst, ptr, len, &a->path);
  if (rc)
    goto fail;
  rc = WASI_ENOENT;
  n = strlen(a->path);
  if (!n)
    goto fail;
  rc = WASI_ENOTCAPABLE;
  if (a->path[0] == '/')
    goto fail;
  rc = WASI_ENOMEM;
  a->copy = weft__strdup(a->path);
  if (!a->copy)
    goto fail;
  while (n > 1 && a->copy[n - 1] == '/') {
    a->copy[--n] = 0;
    a->slash = true;
  }
  s = strrchr(a->copy, '/');
  if (s) {
    *s = 0;
    a->name = s + 1;
    pfd = weft__wasi_open_beneath(a->dirfd, a->copy, O_PATH | O_DIRECTORY, 0,
                                  true);
  } else {
    a->name = a->copy;
    pfd = weft__wasi_open_beneath(a->dirfd, ".", O_PATH | O_DIRECTORY, 0,
                                  true);
  }
  if (pfd < 0) {
    rc = (uint32_t)-pfd;
    goto fail;
  }
  a->pfd = pfd;
  return 0;
fail:
  at_release(a);
  return rc;
}

/* For a last component of "." or "..": the error of resolving the whole
 * path beneath (ENOTCAPABLE when it leaves), else `err`. 0 for any other
 * name. */
static uint32_t at_dots(const wasi_at_t *a, uint32_t err) {
  int fd;
  if (strcmp(a->name, ".") && strcmp(a->name, ".."))
    return 0;
  fd = weft__wasi_open_beneath(a->dirfd, a->path, O_PATH | O_DIRECTORY, 0,
                               true);
  if (fd < 0)
    return (uint32_t)-fd;
  close(fd);
  return err;
}

/* The error for a path with a trailing slash whose last component is
 * not followed, by what is there (looked at without following):
 * `dir_err` for a directory, ENOTDIR for anything else, ENOENT (or the
 * lookup's error) when nothing is there. */
static uint32_t at_slash_err(const wasi_at_t *a, uint32_t dir_err) {
  struct stat st;
  if (fstatat(a->pfd, a->name, &st, AT_SYMLINK_NOFOLLOW) != 0)
    return weft__wasi_errno(errno);
  return S_ISDIR(st.st_mode) ? dir_err : WASI_ENOTDIR;
}

/* ---- path_* ------------------------------------------------------------ */

uint32_t weft__wasi_path_create_directory(weft_instance_t *inst, uint32_t fd,
                                          uint32_t path, uint32_t len) {
  wasi_at_t a;
  uint32_t rc = at_open(inst, fd, path, len, &a);
  if (rc)
    return rc;
  rc = at_dots(&a, WASI_EEXIST);
  if (!rc && mkdirat(a.pfd, a.name, 0777) != 0)
    rc = weft__wasi_errno(errno);
  at_release(&a);
  return rc;
}

uint32_t weft__wasi_path_remove_directory(weft_instance_t *inst, uint32_t fd,
                                          uint32_t path, uint32_t len) {
  wasi_at_t a;
  uint32_t rc = at_open(inst, fd, path, len, &a);
  if (rc)
    return rc;
  rc = at_dots(&a, WASI_EINVAL);
  if (!rc && unlinkat(a.pfd, a.name, AT_REMOVEDIR) != 0)
    rc = weft__wasi_errno(errno);
  at_release(&a);
  return rc;
}

uint32_t weft__wasi_path_unlink_file(weft_instance_t *inst, uint32_t fd,
                                     uint32_t path, uint32_t len) {
  wasi_at_t a;
  uint32_t rc = at_open(inst, fd, path, len, &a);
  if (rc)
    return rc;
  rc = at_dots(&a, WASI_EISDIR);
  if (!rc && a.slash)
    rc = at_slash_err(&a, WASI_EISDIR);
  if (!rc && unlinkat(a.pfd, a.name, 0) != 0)
    rc = weft__wasi_errno(errno);
  at_release(&a);
  return rc;
}

uint32_t weft__wasi_path_readlink(weft_instance_t *inst, uint32_t fd,
                                  uint32_t path, uint32_t len, uint32_t buf,
                                  uint32_t buf_len, uint32_t used) {
  uint8_t *pu = wasi_mem(inst, used, 4), *pb = wasi_mem(inst, buf, buf_len);
  wasi_at_t a;
  uint32_t rc;
  ssize_t n;
  char one;
  if (!pu || !pb)
    return WASI_EFAULT;
  rc = at_open(inst, fd, path, len, &a);
  if (rc)
    return rc;
  rc = at_dots(&a, WASI_EINVAL);
  if (!rc && a.slash)
    rc = at_slash_err(&a, WASI_EINVAL);
  if (rc)
    goto out;
  /* readlink truncates to the buffer; WASI reports what fitted. */
  if (buf_len)
    n = readlinkat(a.pfd, a.name, (char *)pb, buf_len);
  else
    n = readlinkat(a.pfd, a.name, &one, 1) < 0 ? -1 : 0;
  if (n < 0) {
    rc = weft__wasi_errno(errno);
    goto out;
  }
  wasi_st32(pu, (uint32_t)n);
out:
  at_release(&a);
  return rc;
}

uint32_t weft__wasi_path_rename(weft_instance_t *inst, uint32_t ofd,
                                uint32_t opath, uint32_t olen, uint32_t nfd,
                                uint32_t npath, uint32_t nlen) {
  wasi_at_t a, b;
  uint32_t rc = at_open(inst, ofd, opath, olen, &a);
  struct stat st;
  if (rc)
    return rc;
  rc = at_open(inst, nfd, npath, nlen, &b);
  if (rc) {
    at_release(&a);
    return rc;
  }
  rc = at_dots(&a, WASI_EINVAL);
  if (!rc)
    rc = at_dots(&b, WASI_EINVAL);
  if (!rc && (a.slash || b.slash)) {
    /* A trailing slash on either side says the source is a directory. */
    if (fstatat(a.pfd, a.name, &st, AT_SYMLINK_NOFOLLOW) != 0)
      rc = weft__wasi_errno(errno);
    else if (!S_ISDIR(st.st_mode))
      rc = WASI_ENOTDIR;
  }
  if (!rc && renameat(a.pfd, a.name, b.pfd, b.name) != 0)
    rc = weft__wasi_errno(errno);
  at_release(&a);
  at_release(&b);
  return rc;
}

uint32_t weft__wasi_path_symlink(weft_instance_t *inst, uint32_t opath,
                                 uint32_t olen, uint32_t fd, uint32_t npath,
                                 uint32_t nlen) {
  char *target;
  wasi_at_t a;
  uint32_t rc = weft__wasi_path_copy(inst, opath, olen, &target);
  if (rc)
    return rc;
  rc = at_open(inst, fd, npath, nlen, &a);
  if (rc) {
    free(target);
    return rc;
  }
  /* The target is stored as given, even absolute or outside: following
   * the link later is what the sandbox refuses. */
  rc = at_dots(&a, WASI_EEXIST);
  if (!rc && a.slash)
    rc = at_slash_err(&a, WASI_EEXIST) == WASI_ENOENT ? WASI_ENOENT
                                                        : WASI_EEXIST;
  if (!rc && symlinkat(target, a.pfd, a.name) != 0)
    rc = weft__wasi_errno(errno);
  at_release(&a);
  free(target);
  return rc;
}

/* linkat to `nd`/`nname` from the file an O_PATH fd refers to (a hard link
 * to a followed symlink's target). 0 or a host errno. */
static int link_fd(int fd, int nd, const char *nname) {
  char proc[64];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
  if (linkat(AT_FDCWD, proc, nd, nname, AT_SYMLINK_FOLLOW) == 0)
    return 0;
  if (errno != ENOENT)
    return errno;
  /* No /proc: AT_EMPTY_PATH (needs CAP_DAC_READ_SEARCH on old kernels). */
  return linkat(fd, "", nd, nname, AT_EMPTY_PATH) == 0 ? 0 : errno;
}

uint32_t weft__wasi_path_link(weft_instance_t *inst, uint32_t ofd,
                              uint32_t oflags, uint32_t opath, uint32_t olen,
                              uint32_t nfd, uint32_t npath, uint32_t nlen) {
  wasi_at_t a, b;
  uint32_t rc = at_open(inst, ofd, opath, olen, &a);
  if (rc)
    return rc;
  rc = at_open(inst, nfd, npath, nlen, &b);
  if (rc) {
    at_release(&a);
    return rc;
  }
  rc = at_dots(&a, WASI_EPERM);
  if (!rc)
    rc = at_dots(&b, WASI_EEXIST);
  if (!rc && a.slash)
    rc = at_slash_err(&a, WASI_EPERM);
  if (!rc && b.slash)
    rc = at_slash_err(&b, WASI_EEXIST) == WASI_ENOENT ? WASI_ENOENT
                                                        : WASI_EEXIST;
  if (rc)
    goto out;
  if ((oflags & WASI_LOOKUP_SYMLINK_FOLLOW) && is_symlink_at(a.pfd, a.name)) {
    /* Follow beneath the sandbox, then link what was found. */
    int fd = weft__wasi_open_beneath(a.pfd, a.name, O_PATH, 0, true);
    int e;
    if (fd < 0) {
      rc = (uint32_t)-fd;
      goto out;
    }
    e = link_fd(fd, b.pfd, b.name);
    close(fd);
    rc = weft__wasi_errno(e);
  } else if (linkat(a.pfd, a.name, b.pfd, b.name, 0) != 0) {
    rc = weft__wasi_errno(errno);
  }
out:
  at_release(&a);
  at_release(&b);
  return rc;
}

/* Open guest path (fd, ptr, len) beneath as O_PATH, following the last
 * component when `lookup` says so. A new fd or -(WASI errno). */
static int open_path_fd(weft_instance_t *inst, uint32_t fd, uint32_t lookup,
                        uint32_t ptr, uint32_t len) {
  char *path;
  int dfd = dir_host(inst, fd), r;
  uint32_t rc;
  if (dfd < 0)
    return dfd;
  rc = weft__wasi_path_copy(inst, ptr, len, &path);
  if (rc)
    return -(int)rc;
  r = weft__wasi_open_beneath(dfd, path, O_PATH, 0,
                              lookup & WASI_LOOKUP_SYMLINK_FOLLOW);
  free(path);
  return r;
}

uint32_t weft__wasi_path_filestat_get(weft_instance_t *inst, uint32_t fd,
                                      uint32_t flags, uint32_t path,
                                      uint32_t len, uint32_t out) {
  uint8_t *po = wasi_mem(inst, out, WASI_FILESTAT_SIZE);
  struct stat st;
  int pfd;
  if (!po)
    return WASI_EFAULT;
  pfd = open_path_fd(inst, fd, flags, path, len);
  if (pfd < 0)
    return (uint32_t)-pfd;
  if (fstat(pfd, &st) != 0) {
    int e = errno;
    close(pfd);
    return weft__wasi_errno(e);
  }
  close(pfd);
  weft__wasi_put_filestat(po, &st);
  return 0;
}

uint32_t weft__wasi_times(uint64_t atim, uint64_t mtim, uint32_t fst,
                          struct timespec ts[2]) {
  const uint32_t all = WASI_FSTFLAGS_ATIM | WASI_FSTFLAGS_ATIM_NOW |
                       WASI_FSTFLAGS_MTIM | WASI_FSTFLAGS_MTIM_NOW;
  uint64_t t[2] = {atim, mtim};
  if ((fst & ~all) ||
      ((fst & WASI_FSTFLAGS_ATIM) && (fst & WASI_FSTFLAGS_ATIM_NOW)) ||
      ((fst & WASI_FSTFLAGS_MTIM) && (fst & WASI_FSTFLAGS_MTIM_NOW)))
    return WASI_EINVAL;
  for (int i = 0; i < 2; i++) {
    uint32_t set = i ? WASI_FSTFLAGS_MTIM : WASI_FSTFLAGS_ATIM;
    uint32_t now = i ? WASI_FSTFLAGS_MTIM_NOW : WASI_FSTFLAGS_ATIM_NOW;
    ts[i].tv_sec = (time_t)(t[i] / 1000000000u);
    ts[i].tv_nsec = (long)(t[i] % 1000000000u);
    if (fst & now)
      ts[i].tv_nsec = UTIME_NOW;
    else if (!(fst & set))
      ts[i].tv_nsec = UTIME_OMIT;
  }
  return 0;
}

/* utimensat on what an O_PATH fd refers to. 0 or a host errno. */
static int utimens_fd(int fd, const struct timespec ts[2]) {
  char proc[64];
  if (utimensat(fd, "", ts, AT_EMPTY_PATH) == 0)
    return 0;
  if (errno != EINVAL)
    return errno;
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
  return utimensat(AT_FDCWD, proc, ts, 0) == 0 ? 0 : errno;
}

uint32_t weft__wasi_path_filestat_set_times(weft_instance_t *inst,
                                            uint32_t fd, uint32_t flags,
                                            uint32_t path, uint32_t len,
                                            uint64_t atim, uint64_t mtim,
                                            uint32_t fst) {
  struct timespec ts[2];
  uint32_t rc = weft__wasi_times(atim, mtim, fst, ts);
  wasi_at_t a;
  int pfd;
  if (rc)
    return rc;
  if (!(flags & WASI_LOOKUP_SYMLINK_FOLLOW)) {
    rc = at_open(inst, fd, path, len, &a);
    if (rc)
      return rc;
    if (strcmp(a.name, ".") && strcmp(a.name, "..") && !a.slash) {
      if (utimensat(a.pfd, a.name, ts, AT_SYMLINK_NOFOLLOW) != 0)
        rc = weft__wasi_errno(errno);
      at_release(&a);
      return rc;
    }
    at_release(&a); /* a directory: the same as following */
  }
  pfd = open_path_fd(inst, fd, WASI_LOOKUP_SYMLINK_FOLLOW, path, len);
  if (pfd < 0)
    return (uint32_t)-pfd;
  rc = weft__wasi_errno(utimens_fd(pfd, ts));
  close(pfd);
  return rc;
}

uint32_t weft__wasi_path_open(weft_instance_t *inst, uint32_t fd,
                              uint32_t dirflags, uint32_t path, uint32_t len,
                              uint32_t oflags, uint64_t base,
                              uint64_t inheriting, uint32_t fdflags,
                              uint32_t out) {
  const uint32_t all_oflags = WASI_OFLAGS_CREAT | WASI_OFLAGS_DIRECTORY |
                              WASI_OFLAGS_EXCL | WASI_OFLAGS_TRUNC;
  const uint32_t all_fdflags = WASI_FDFLAGS_APPEND | WASI_FDFLAGS_DSYNC |
                               WASI_FDFLAGS_NONBLOCK | WASI_FDFLAGS_RSYNC |
                               WASI_FDFLAGS_SYNC;
  const uint64_t rd = WASI_RIGHT_FD_READ | WASI_RIGHT_FD_READDIR;
  const uint64_t wr = WASI_RIGHT_FD_DATASYNC | WASI_RIGHT_FD_WRITE |
                      WASI_RIGHT_FD_ALLOCATE |
                      WASI_RIGHT_FD_FILESTAT_SET_SIZE;
  weft__wasi_t *w = wasi_state(inst);
  uint8_t *po = wasi_mem(inst, out, 4);
  weft__wasi_fd_t *e;
  uint32_t rc, nfd;
  char *p = NULL;
  int dfd, flags = O_NOCTTY, hfd = -1;
  struct stat st;

  if (!po)
    return WASI_EFAULT;
  if ((oflags & ~all_oflags) || (fdflags & ~all_fdflags))
    return WASI_EINVAL;
  dfd = dir_host(inst, fd);
  if (dfd < 0)
    return (uint32_t)-dfd;
  if (oflags & WASI_OFLAGS_DIRECTORY) {
    flags |= O_DIRECTORY | O_RDONLY;
    if (oflags & (WASI_OFLAGS_CREAT | WASI_OFLAGS_TRUNC))
      return WASI_EINVAL;
  } else if ((base & rd) && (base & wr)) {
    flags |= O_RDWR;
  } else if (base & wr) {
    flags |= O_WRONLY;
  } else {
    flags |= O_RDONLY;
  }
  if (oflags & WASI_OFLAGS_CREAT)
    flags |= O_CREAT;
  if (oflags & WASI_OFLAGS_EXCL)
    flags |= O_EXCL;
  if (oflags & WASI_OFLAGS_TRUNC)
    flags |= O_TRUNC;
  if (fdflags & WASI_FDFLAGS_APPEND)
    flags |= O_APPEND;
  if (fdflags & WASI_FDFLAGS_DSYNC)
    flags |= O_DSYNC;
  if (fdflags & WASI_FDFLAGS_NONBLOCK)
    flags |= O_NONBLOCK;
  if (fdflags & (WASI_FDFLAGS_RSYNC | WASI_FDFLAGS_SYNC))
    flags |= O_SYNC;
  rc = weft__wasi_path_copy(inst, path, len, &p);
  if (rc)
    return rc;
  e = weft__wasi_fd_alloc(w, &nfd, &rc);
  if (!e)
    goto out;
  hfd = weft__wasi_open_beneath(dfd, p, flags, 0666,
                                dirflags & WASI_LOOKUP_SYMLINK_FOLLOW);
  if (hfd < 0) {
    rc = (uint32_t)-hfd;
    goto out;
  }
  if (fstat(hfd, &st) != 0) {
    rc = weft__wasi_errno(errno);
    close(hfd);
    goto out;
  }
  e->host = hfd;
  e->owned = true;
  e->type = weft__wasi_filetype(st.st_mode);
  if (e->type == WASI_FILETYPE_DIRECTORY) {
    e->rights = base & WASI_RIGHTS_DIR;
    e->inheriting = inheriting & (WASI_RIGHTS_DIR | WASI_RIGHTS_FILE);
  } else {
    e->rights = base & WASI_RIGHTS_FILE;
    e->inheriting = 0;
  }
  wasi_st32(po, nfd);
  rc = 0;
out:
  free(p);
  return rc;
}

/* wasi_fd.c - WASI fd_* calls on the guest fd table: reads and writes
 * through host readv/writev on guest memory, seeks, stats, flags, rights,
 * preopen names, renumbering and directory listing (fd_readdir with
 * cookies and a partial last entry). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "util/util.h"
#include "wasi/wasi_int.h"

/* iovecs kept on the stack before falling back to the heap. */
#define SMALL_IOVS 16

void weft__wasi_put_filestat(uint8_t *out, const struct stat *st) {
  memset(out, 0, WASI_FILESTAT_SIZE);
  wasi_st64(out + 0, (uint64_t)st->st_dev);
  wasi_st64(out + 8, (uint64_t)st->st_ino);
  out[16] = weft__wasi_filetype(st->st_mode);
  wasi_st64(out + 24, (uint64_t)st->st_nlink);
  wasi_st64(out + 32, (uint64_t)st->st_size);
  wasi_st64(out + 40, (uint64_t)st->st_atim.tv_sec * 1000000000u +
                          (uint64_t)st->st_atim.tv_nsec);
  wasi_st64(out + 48, (uint64_t)st->st_mtim.tv_sec * 1000000000u +
                          (uint64_t)st->st_mtim.tv_nsec);
  wasi_st64(out + 56, (uint64_t)st->st_ctim.tv_sec * 1000000000u +
                          (uint64_t)st->st_ctim.tv_nsec);
}

/* The entry of `fd` in the caller's table, or NULL. */
static weft__wasi_fd_t *get_fd(weft_instance_t *inst, uint32_t fd) {
  return weft__wasi_fd_get(wasi_state(inst), fd);
}

/* ---- reads and writes -------------------------------------------------- */

/* Host iovecs for the guest array of `n` iovecs at `iovs`, into `small`
 * (SMALL_IOVS entries) or a new array (caller frees *out if != small).
 * At most IOV_MAX entries and UINT32_MAX bytes in total are taken (a
 * short transfer), so the count fits the u32 result. 0 or a WASI errno. */
static uint32_t get_iovs(weft_instance_t *inst, uint32_t iovs, uint32_t n,
                         struct iovec *small, struct iovec **out,
                         int *count) {
  const uint8_t *g;
  struct iovec *v = small;
  uint64_t total = 0;
  if (n > IOV_MAX)
    n = IOV_MAX;
  g = wasi_mem(inst, iovs, (uint64_t)n * WASI_IOVEC_SIZE);
  if (!g)
    return WASI_EFAULT;
  if (n > SMALL_IOVS) {
    v = malloc(n * sizeof *v);
    if (!v)
      return WASI_ENOMEM;
  }
  *count = 0;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t ptr = wasi_ld32(g + 8 * (size_t)i);
    uint32_t len = wasi_ld32(g + 8 * (size_t)i + 4);
    uint8_t *p = wasi_mem(inst, ptr, len);
    if (!p) {
      if (v != small)
        free(v);
      return WASI_EFAULT;
    }
    if (len > UINT32_MAX - total)
      len = (uint32_t)(UINT32_MAX - total);
    v[i].iov_base = p;
    v[i].iov_len = len;
    total += len;
    *count = (int)i + 1;
  }
  *out = v;
  return 0;
}

/* Shared body of fd_read, fd_write, fd_pread and fd_pwrite. `off` < 0:
 * at the file position. */
static uint32_t rw(weft_instance_t *inst, uint32_t fd, uint32_t iovs,
                   uint32_t niovs, int64_t off, uint32_t result, bool write) {
  weft__wasi_fd_t *e = get_fd(inst, fd);
  uint8_t *pr = wasi_mem(inst, result, 4);
  struct iovec small[SMALL_IOVS], *v = NULL;
  int count = 0;
  uint32_t rc;
  ssize_t n;
  if (!e)
    return WASI_EBADF;
  if (!pr)
    return WASI_EFAULT;
  if (e->type == WASI_FILETYPE_DIRECTORY)
    return WASI_EISDIR;
  rc = get_iovs(inst, iovs, niovs, small, &v, &count);
  if (rc)
    return rc;
  do {
    if (off < 0)
      n = write ? writev(e->host, v, count) : readv(e->host, v, count);
    else
      n = write ? pwritev(e->host, v, count, off)
                : preadv(e->host, v, count, off);
  } while (n < 0 && errno == EINTR);
  if (n < 0)
    rc = weft__wasi_errno(errno);
  else
    wasi_st32(pr, (uint32_t)n);
  if (v != small)
    free(v);
  return rc;
}

uint32_t weft__wasi_fd_read(weft_instance_t *inst, uint32_t fd, uint32_t iovs,
                            uint32_t niovs, uint32_t nread) {
  return rw(inst, fd, iovs, niovs, -1, nread, false);
}

uint32_t weft__wasi_fd_write(weft_instance_t *inst, uint32_t fd,
                             uint32_t iovs, uint32_t niovs,
                             uint32_t nwritten) {
  return rw(inst, fd, iovs, niovs, -1, nwritten, true);
}

uint32_t weft__wasi_fd_pread(weft_instance_t *inst, uint32_t fd,
                             uint32_t iovs, uint32_t niovs, uint64_t off,
                             uint32_t nread) {
  if (off > INT64_MAX)
    return WASI_EINVAL;
  return rw(inst, fd, iovs, niovs, (int64_t)off, nread, false);
}

uint32_t weft__wasi_fd_pwrite(weft_instance_t *inst, uint32_t fd,
                              uint32_t iovs, uint32_t niovs, uint64_t off,
                              uint32_t nwritten) {
  if (off > INT64_MAX)
    return WASI_EINVAL;
  return rw(inst, fd, iovs, niovs, (int64_t)off, nwritten, true);
}

/* ---- positions --------------------------------------------------------- */

uint32_t weft__wasi_fd_seek(weft_instance_t *inst, uint32_t fd,
                            uint64_t delta, uint32_t whence, uint32_t out) {
  weft__wasi_fd_t *e = get_fd(inst, fd);
  uint8_t *po = wasi_mem(inst, out, 8);
  int how;
  off_t r;
  if (!e)
    return WASI_EBADF;
  if (!po)
    return WASI_EFAULT;
  if (e->type == WASI_FILETYPE_DIRECTORY)
    return WASI_EBADF;
  switch (whence) {
  case WASI_WHENCE_SET:
    how = SEEK_SET;
    break;
  case WASI_WHENCE_CUR:
    how = SEEK_CUR;
    break;
  case WASI_WHENCE_END:
    how = SEEK_END;
    break;
  default:
    return WASI_EINVAL;
  }
  r = lseek(e->host, (off_t)(int64_t)delta, how);
  if (r < 0)
    return weft__wasi_errno(errno);
  wasi_st64(po, (uint64_t)r);
  return 0;
}

uint32_t weft__wasi_fd_tell(weft_instance_t *inst, uint32_t fd,
                            uint32_t out) {
  return weft__wasi_fd_seek(inst, fd, 0, WASI_WHENCE_CUR, out);
}

/* ---- file data --------------------------------------------------------- */

uint32_t weft__wasi_fd_advise(weft_instance_t *inst, uint32_t fd,
                              uint64_t off, uint64_t len, uint32_t advice) {
  static const int advices[] = {
      POSIX_FADV_NORMAL,   POSIX_FADV_SEQUENTIAL, POSIX_FADV_RANDOM,
      POSIX_FADV_WILLNEED, POSIX_FADV_DONTNEED,   POSIX_FADV_NOREUSE};
  weft__wasi_fd_t *e = get_fd(inst, fd);
  int r;
  if (!e)
    return WASI_EBADF;
  if (advice >= sizeof advices / sizeof advices[0] || off > INT64_MAX ||
      len > INT64_MAX)
    return WASI_EINVAL;
  if (e->type == WASI_FILETYPE_DIRECTORY)
    return WASI_EBADF;
  r = posix_fadvise(e->host, (off_t)off, (off_t)len, advices[advice]);
  return weft__wasi_errno(r);
}

uint32_t weft__wasi_fd_allocate(weft_instance_t *inst, uint32_t fd,
                                uint64_t off, uint64_t len) {
  weft__wasi_fd_t *e = get_fd(inst, fd);
  int r;
  if (!e)
    return WASI_EBADF;
  if (off > INT64_MAX || len > INT64_MAX || off + len > INT64_MAX)
    return WASI_EINVAL;
  if (e->type == WASI_FILETYPE_DIRECTORY)
    return WASI_EBADF;
  do
    r = posix_fallocate(e->host, (off_t)off, (off_t)len);
  while (r == EINTR);
  return weft__wasi_errno(r);
}

uint32_t weft__wasi_fd_datasync(weft_instance_t *inst, uint32_t fd) {
  weft__wasi_fd_t *e = get_fd(inst, fd);
  if (!e)
    return WASI_EBADF;
  return fdatasync(e->host) == 0 ? 0 : weft__wasi_errno(errno);
}

uint32_t weft__wasi_fd_sync(weft_instance_t *inst, uint32_t fd) {
  weft__wasi_fd_t *e = get_fd(inst, fd);
  if (!e)
    return WASI_EBADF;
  return fsync(e->host) == 0 ? 0 : weft__wasi_errno(errno);
}

/* ---- stat, flags, rights ----------------------------------------------- */

uint32_t weft__wasi_fd_fdstat_get(weft_instance_t *inst, uint32_t fd,
                                  uint32_t out) {
  weft__wasi_fd_t *e = get_fd(inst, fd);
  uint8_t *po = wasi_mem(inst, out, WASI_FDSTAT_SIZE);
  struct stat st;
  uint16_t flags = 0;
  int fl;
  if (!e)
    return WASI_EBADF;
  if (!po)
    return WASI_EFAULT;
  fl = fcntl(e->host, F_GETFL);
  if (fl < 0)
    return weft__wasi_errno(errno);
  if (fl & O_APPEND)
    flags |= WASI_FDFLAGS_APPEND;
  if (fl & O_NONBLOCK)
    flags |= WASI_FDFLAGS_NONBLOCK;
  if ((fl & O_SYNC) == O_SYNC)
    flags |= WASI_FDFLAGS_SYNC;
  else if (fl & O_DSYNC)
    flags |= WASI_FDFLAGS_DSYNC;
  memset(po, 0, WASI_FDSTAT_SIZE);
  po[0] = fstat(e->host, &st) == 0 ? weft__wasi_filetype(st.st_mode)
                                   : e->type;
  wasi_st16(po + 2, flags);
  wasi_st64(po + 8, e->rights);
  wasi_st64(po + 16, e->inheriting);
  return 0;
}

uint32_t weft__wasi_fd_fdstat_set_flags(weft_instance_t *inst, uint32_t fd,
                                        uint32_t flags) {
  const uint32_t all = WASI_FDFLAGS_APPEND | WASI_FDFLAGS_DSYNC |
                       WASI_FDFLAGS_NONBLOCK | WASI_FDFLAGS_RSYNC |
                       WASI_FDFLAGS_SYNC;
  weft__wasi_fd_t *e = get_fd(inst, fd);
  int fl;
  if (!e)
    return WASI_EBADF;
  if (flags & ~all)
    return WASI_EINVAL;
  /* Linux cannot change the sync flags of an open file. */
  if (flags & (WASI_FDFLAGS_DSYNC | WASI_FDFLAGS_RSYNC | WASI_FDFLAGS_SYNC))
    return WASI_ENOTSUP;
  fl = fcntl(e->host, F_GETFL);
  if (fl < 0)
    return weft__wasi_errno(errno);
  fl &= ~(O_APPEND | O_NONBLOCK);
  if (flags & WASI_FDFLAGS_APPEND)
    fl |= O_APPEND;
  if (flags & WASI_FDFLAGS_NONBLOCK)
    fl |= O_NONBLOCK;
  e->flags_set = true; /* a reset must not keep the entry as it is */
  return fcntl(e->host, F_SETFL, fl) == 0 ? 0 : weft__wasi_errno(errno);
}

uint32_t weft__wasi_fd_fdstat_set_rights(weft_instance_t *inst, uint32_t fd,
                                         uint64_t base,
                                         uint64_t inheriting) {
  weft__wasi_fd_t *e = get_fd(inst, fd);
  if (!e)
    return WASI_EBADF;
  /* Rights can only shrink. */
  if ((base & ~e->rights) || (inheriting & ~e->inheriting))
    return WASI_ENOTCAPABLE;
  e->rights = base;
  e->inheriting = inheriting;
  return 0;
}

uint32_t weft__wasi_fd_filestat_get(weft_instance_t *inst, uint32_t fd,
                                    uint32_t out) {
  weft__wasi_fd_t *e = get_fd(inst, fd);
  uint8_t *po = wasi_mem(inst, out, WASI_FILESTAT_SIZE);
  struct stat st;
  if (!e)
    return WASI_EBADF;
  if (!po)
    return WASI_EFAULT;
  if (fstat(e->host, &st) != 0)
    return weft__wasi_errno(errno);
  weft__wasi_put_filestat(po, &st);
  return 0;
}

uint32_t weft__wasi_fd_filestat_set_size(weft_instance_t *inst, uint32_t fd,
                                         uint64_t size) {
  weft__wasi_fd_t *e = get_fd(inst, fd);
  int r;
  if (!e)
    return WASI_EBADF;
  if (size > INT64_MAX)
    return WASI_EINVAL;
  do
    r = ftruncate(e->host, (off_t)size);
  while (r != 0 && errno == EINTR);
  return r == 0 ? 0 : weft__wasi_errno(errno);
}

uint32_t weft__wasi_fd_filestat_set_times(weft_instance_t *inst, uint32_t fd,
                                          uint64_t atim, uint64_t mtim,
                                          uint32_t fst) {
  weft__wasi_fd_t *e = get_fd(inst, fd);
  struct timespec ts[2];
  uint32_t rc;
  if (!e)
    return WASI_EBADF;
  rc = weft__wasi_times(atim, mtim, fst, ts);
  if (rc)
    return rc;
  return futimens(e->host, ts) == 0 ? 0 : weft__wasi_errno(errno);
}

/* ---- table ------------------------------------------------------------- */

uint32_t weft__wasi_fd_close(weft_instance_t *inst, uint32_t fd) {
  weft__wasi_fd_t *e = get_fd(inst, fd);
  if (!e)
    return WASI_EBADF;
  weft__wasi_fd_release(e);
  return 0;
}

uint32_t weft__wasi_fd_renumber(weft_instance_t *inst, uint32_t from,
                                uint32_t to) {
  weft__wasi_fd_t *a = get_fd(inst, from), *b = get_fd(inst, to);
  if (!a || !b)
    return WASI_EBADF;
  if (a == b)
    return 0;
  weft__wasi_fd_release(b);
  *b = *a;
  memset(a, 0, sizeof *a);
  a->host = -1;
  return 0;
}

uint32_t weft__wasi_fd_prestat_get(weft_instance_t *inst, uint32_t fd,
                                   uint32_t out) {
  weft__wasi_fd_t *e = get_fd(inst, fd);
  uint8_t *po = wasi_mem(inst, out, WASI_PRESTAT_SIZE);
  if (!e || !e->preopen)
    return WASI_EBADF;
  if (!po)
    return WASI_EFAULT;
  memset(po, 0, WASI_PRESTAT_SIZE);
  wasi_st32(po + 4, (uint32_t)strlen(e->preopen));
  return 0;
}

uint32_t weft__wasi_fd_prestat_dir_name(weft_instance_t *inst, uint32_t fd,
                                        uint32_t path, uint32_t len) {
  weft__wasi_fd_t *e = get_fd(inst, fd);
  uint8_t *pp = wasi_mem(inst, path, len);
  size_t n;
  if (!e || !e->preopen)
    return WASI_EBADF;
  if (!pp)
    return WASI_EFAULT;
  n = strlen(e->preopen);
  if (len < n)
    return WASI_ENAMETOOLONG;
  memcpy(pp, e->preopen, n);
  return 0;
}

/* ---- directories ------------------------------------------------------- */

/* WASI filetype of directory entry `de` in directory stream `d`. */
static uint8_t dirent_type(DIR *d, const struct dirent *de) {
  struct stat st;
  switch (de->d_type) {
  case DT_REG:
    return WASI_FILETYPE_REGULAR_FILE;
  case DT_DIR:
    return WASI_FILETYPE_DIRECTORY;
  case DT_LNK:
    return WASI_FILETYPE_SYMBOLIC_LINK;
  case DT_CHR:
    return WASI_FILETYPE_CHARACTER_DEVICE;
  case DT_BLK:
    return WASI_FILETYPE_BLOCK_DEVICE;
  case DT_SOCK:
    return WASI_FILETYPE_SOCKET_STREAM;
  case DT_FIFO:
    return WASI_FILETYPE_UNKNOWN;
  }
  if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
    return WASI_FILETYPE_UNKNOWN;
  return weft__wasi_filetype(st.st_mode);
}

/* Fill guest buffer `buf` of `len` bytes with dirents from cookie on: each
 * a 24-byte header then the name, d_next being the cookie of the entry
 * after it. Cookie n means "after n entries". An entry that does not fit
 * is written in part and the buffer is full, which tells the guest to
 * retry with a larger buffer from the last whole entry's d_next. */
uint32_t weft__wasi_fd_readdir(weft_instance_t *inst, uint32_t fd,
                               uint32_t buf, uint32_t len, uint64_t cookie,
                               uint32_t used) {
  weft__wasi_fd_t *e = get_fd(inst, fd);
  uint8_t *pb = wasi_mem(inst, buf, len), *pu = wasi_mem(inst, used, 4);
  size_t off = 0;
  if (!e)
    return WASI_EBADF;
  if (!pb || !pu)
    return WASI_EFAULT;
  if (e->type != WASI_FILETYPE_DIRECTORY)
    return WASI_ENOTDIR;
  if (!e->dir) {
    /* A description of our own, so the stream's offset is private. */
    int d = openat(e->host, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (d < 0)
      return weft__wasi_errno(errno);
    e->dir = fdopendir(d);
    if (!e->dir) {
      int err = errno;
      close(d);
      return weft__wasi_errno(err);
    }
    e->dir_next = 0;
  }
  if (cookie < e->dir_next) {
    rewinddir(e->dir);
    e->dir_next = 0;
  }
  while (e->dir_next < cookie) {
    errno = 0;
    if (!readdir(e->dir)) {
      if (errno)
        return weft__wasi_errno(errno);
      break;
    }
    e->dir_next++;
  }
  while (off < len) {
    long pos = telldir(e->dir);
    uint8_t hdr[WASI_DIRENT_SIZE];
    struct dirent *de;
    size_t namlen, n1, n2;
    errno = 0;
    de = readdir(e->dir);
    if (!de) {
      if (errno)
        return weft__wasi_errno(errno);
      break;
    }
    namlen = strlen(de->d_name);
    memset(hdr, 0, sizeof hdr);
    wasi_st64(hdr, e->dir_next + 1);
    wasi_st64(hdr + 8, (uint64_t)de->d_ino);
    wasi_st32(hdr + 16, (uint32_t)namlen);
    hdr[20] = dirent_type(e->dir, de);
    n1 = len - off < sizeof hdr ? len - off : sizeof hdr;
    memcpy(pb + off, hdr, n1);
    off += n1;
    n2 = len - off < namlen ? len - off : namlen;
    memcpy(pb + off, de->d_name, n2);
    off += n2;
    if (n1 < sizeof hdr || n2 < namlen) {
      /* Not consumed: the next call starts with this entry again. */
      seekdir(e->dir, pos);
      break;
    }
    e->dir_next++;
  }
  wasi_st32(pu, (uint32_t)off);
  return 0;
}

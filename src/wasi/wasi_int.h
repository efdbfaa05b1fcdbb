/* wasi_int.h - private to src/wasi/: WASI preview 1 constants and layouts
 * (from the wasi_snapshot_preview1 witx), the per-instance state with its
 * fd table, guest memory helpers, and the host functions each file offers.
 */
#ifndef WEFT_WASI_WASI_INT_H
#define WEFT_WASI_WASI_INT_H

#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "engine/engine.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "src/wasi assumes a little-endian host (guest memory is stored as is)"
#endif

/* ---- WASI errno: X(host errno, WASI name, WASI value) ------------------ */

#define WASI_ERRNO_MAP(X)                                                 \
  X(E2BIG, 2BIG, 1) X(EACCES, ACCES, 2) X(EADDRINUSE, ADDRINUSE, 3)       \
  X(EADDRNOTAVAIL, ADDRNOTAVAIL, 4) X(EAFNOSUPPORT, AFNOSUPPORT, 5)       \
  X(EAGAIN, AGAIN, 6) X(EALREADY, ALREADY, 7) X(EBADF, BADF, 8)           \
  X(EBADMSG, BADMSG, 9) X(EBUSY, BUSY, 10) X(ECANCELED, CANCELED, 11)     \
  X(ECHILD, CHILD, 12) X(ECONNABORTED, CONNABORTED, 13)                   \
  X(ECONNREFUSED, CONNREFUSED, 14) X(ECONNRESET, CONNRESET, 15)           \
  X(EDEADLK, DEADLK, 16) X(EDESTADDRREQ, DESTADDRREQ, 17)                 \
  X(EDOM, DOM, 18) X(EDQUOT, DQUOT, 19) X(EEXIST, EXIST, 20)              \
  X(EFAULT, FAULT, 21) X(EFBIG, FBIG, 22) X(EHOSTUNREACH, HOSTUNREACH, 23) \
  X(EIDRM, IDRM, 24) X(EILSEQ, ILSEQ, 25) X(EINPROGRESS, INPROGRESS, 26)  \
  X(EINTR, INTR, 27) X(EINVAL, INVAL, 28) X(EIO, IO, 29)                  \
  X(EISCONN, ISCONN, 30) X(EISDIR, ISDIR, 31) X(ELOOP, LOOP, 32)          \
  X(EMFILE, MFILE, 33) X(EMLINK, MLINK, 34) X(EMSGSIZE, MSGSIZE, 35)      \
  X(EMULTIHOP, MULTIHOP, 36) X(ENAMETOOLONG, NAMETOOLONG, 37)             \
  X(ENETDOWN, NETDOWN, 38) X(ENETRESET, NETRESET, 39)                     \
  X(ENETUNREACH, NETUNREACH, 40) X(ENFILE, NFILE, 41)                     \
  X(ENOBUFS, NOBUFS, 42) X(ENODEV, NODEV, 43) X(ENOENT, NOENT, 44)        \
  X(ENOEXEC, NOEXEC, 45) X(ENOLCK, NOLCK, 46) X(ENOLINK, NOLINK, 47)      \
  X(ENOMEM, NOMEM, 48) X(ENOMSG, NOMSG, 49) X(ENOPROTOOPT, NOPROTOOPT, 50) \
  X(ENOSPC, NOSPC, 51) X(ENOSYS, NOSYS, 52) X(ENOTCONN, NOTCONN, 53)      \
  X(ENOTDIR, NOTDIR, 54) X(ENOTEMPTY, NOTEMPTY, 55)                       \
  X(ENOTRECOVERABLE, NOTRECOVERABLE, 56) X(ENOTSOCK, NOTSOCK, 57)         \
  X(ENOTSUP, NOTSUP, 58) X(ENOTTY, NOTTY, 59) X(ENXIO, NXIO, 60)          \
  X(EOVERFLOW, OVERFLOW, 61) X(EOWNERDEAD, OWNERDEAD, 62)                 \
  X(EPERM, PERM, 63) X(EPIPE, PIPE, 64) X(EPROTO, PROTO, 65)              \
  X(EPROTONOSUPPORT, PROTONOSUPPORT, 66) X(EPROTOTYPE, PROTOTYPE, 67)     \
  X(ERANGE, RANGE, 68) X(EROFS, ROFS, 69) X(ESPIPE, SPIPE, 70)            \
  X(ESRCH, SRCH, 71) X(ESTALE, STALE, 72) X(ETIMEDOUT, TIMEDOUT, 73)      \
  X(ETXTBSY, TXTBSY, 74) X(EXDEV, XDEV, 75)

enum {
  WASI_ESUCCESS = 0,
#define WASI__ERRNO_ENUM(host, name, value) WASI_E##name = value,
  WASI_ERRNO_MAP(WASI__ERRNO_ENUM)
#undef WASI__ERRNO_ENUM
  WASI_ENOTCAPABLE = 76
};

/* The WASI errno for host errno `e` (EIO for one WASI lacks). */
uint32_t weft__wasi_errno(int e);

/* ---- other constants ---------------------------------------------------- */

enum {
  WASI_CLOCK_REALTIME = 0, WASI_CLOCK_MONOTONIC = 1,
  WASI_CLOCK_PROCESS_CPUTIME = 2, WASI_CLOCK_THREAD_CPUTIME = 3
};

enum {
  WASI_FILETYPE_UNKNOWN = 0, WASI_FILETYPE_BLOCK_DEVICE = 1,
  WASI_FILETYPE_CHARACTER_DEVICE = 2, WASI_FILETYPE_DIRECTORY = 3,
  WASI_FILETYPE_REGULAR_FILE = 4, WASI_FILETYPE_SOCKET_DGRAM = 5,
  WASI_FILETYPE_SOCKET_STREAM = 6, WASI_FILETYPE_SYMBOLIC_LINK = 7
};

enum { WASI_WHENCE_SET = 0, WASI_WHENCE_CUR = 1, WASI_WHENCE_END = 2 };

enum {
  WASI_FDFLAGS_APPEND = 1 << 0, WASI_FDFLAGS_DSYNC = 1 << 1,
  WASI_FDFLAGS_NONBLOCK = 1 << 2, WASI_FDFLAGS_RSYNC = 1 << 3,
  WASI_FDFLAGS_SYNC = 1 << 4
};

enum {
  WASI_OFLAGS_CREAT = 1 << 0, WASI_OFLAGS_DIRECTORY = 1 << 1,
  WASI_OFLAGS_EXCL = 1 << 2, WASI_OFLAGS_TRUNC = 1 << 3
};

enum { WASI_LOOKUP_SYMLINK_FOLLOW = 1 << 0 };

enum {
  WASI_FSTFLAGS_ATIM = 1 << 0, WASI_FSTFLAGS_ATIM_NOW = 1 << 1,
  WASI_FSTFLAGS_MTIM = 1 << 2, WASI_FSTFLAGS_MTIM_NOW = 1 << 3
};

enum {
  WASI_EVENTTYPE_CLOCK = 0, WASI_EVENTTYPE_FD_READ = 1,
  WASI_EVENTTYPE_FD_WRITE = 2
};
enum { WASI_EVENTRWFLAGS_HANGUP = 1 << 0 };
enum { WASI_SUBCLOCK_ABSTIME = 1 << 0 };

/* Rights (a u64 bit set). */
#define WASI_R(n) ((uint64_t)1 << (n))
#define WASI_RIGHT_FD_DATASYNC WASI_R(0)
#define WASI_RIGHT_FD_READ WASI_R(1)
#define WASI_RIGHT_FD_SEEK WASI_R(2)
#define WASI_RIGHT_FD_FDSTAT_SET_FLAGS WASI_R(3)
#define WASI_RIGHT_FD_SYNC WASI_R(4)
#define WASI_RIGHT_FD_TELL WASI_R(5)
#define WASI_RIGHT_FD_WRITE WASI_R(6)
#define WASI_RIGHT_FD_ADVISE WASI_R(7)
#define WASI_RIGHT_FD_ALLOCATE WASI_R(8)
#define WASI_RIGHT_PATH_CREATE_DIRECTORY WASI_R(9)
#define WASI_RIGHT_PATH_CREATE_FILE WASI_R(10)
#define WASI_RIGHT_PATH_LINK_SOURCE WASI_R(11)
#define WASI_RIGHT_PATH_LINK_TARGET WASI_R(12)
#define WASI_RIGHT_PATH_OPEN WASI_R(13)
#define WASI_RIGHT_FD_READDIR WASI_R(14)
#define WASI_RIGHT_PATH_READLINK WASI_R(15)
#define WASI_RIGHT_PATH_RENAME_SOURCE WASI_R(16)
#define WASI_RIGHT_PATH_RENAME_TARGET WASI_R(17)
#define WASI_RIGHT_PATH_FILESTAT_GET WASI_R(18)
#define WASI_RIGHT_PATH_FILESTAT_SET_SIZE WASI_R(19)
#define WASI_RIGHT_PATH_FILESTAT_SET_TIMES WASI_R(20)
#define WASI_RIGHT_FD_FILESTAT_GET WASI_R(21)
#define WASI_RIGHT_FD_FILESTAT_SET_SIZE WASI_R(22)
#define WASI_RIGHT_FD_FILESTAT_SET_TIMES WASI_R(23)
#define WASI_RIGHT_PATH_SYMLINK WASI_R(24)
#define WASI_RIGHT_PATH_REMOVE_DIRECTORY WASI_R(25)
#define WASI_RIGHT_PATH_UNLINK_FILE WASI_R(26)
#define WASI_RIGHT_POLL_FD_READWRITE WASI_R(27)
#define WASI_RIGHT_SOCK_SHUTDOWN WASI_R(28)
#define WASI_RIGHT_SOCK_ACCEPT WASI_R(29)

/* What a file (or stream) and a directory may do, as wasmtime reports. */
#define WASI_RIGHTS_FILE                                                   \
  (WASI_RIGHT_FD_DATASYNC | WASI_RIGHT_FD_READ | WASI_RIGHT_FD_SEEK |      \
   WASI_RIGHT_FD_FDSTAT_SET_FLAGS | WASI_RIGHT_FD_SYNC |                   \
   WASI_RIGHT_FD_TELL | WASI_RIGHT_FD_WRITE | WASI_RIGHT_FD_ADVISE |       \
   WASI_RIGHT_FD_ALLOCATE | WASI_RIGHT_FD_FILESTAT_GET |                   \
   WASI_RIGHT_FD_FILESTAT_SET_SIZE | WASI_RIGHT_FD_FILESTAT_SET_TIMES |    \
   WASI_RIGHT_POLL_FD_READWRITE)
#define WASI_RIGHTS_DIR                                                    \
  (WASI_RIGHT_FD_FDSTAT_SET_FLAGS | WASI_RIGHT_FD_SYNC |                   \
   WASI_RIGHT_FD_ADVISE | WASI_RIGHT_PATH_CREATE_DIRECTORY |               \
   WASI_RIGHT_PATH_CREATE_FILE | WASI_RIGHT_PATH_LINK_SOURCE |             \
   WASI_RIGHT_PATH_LINK_TARGET | WASI_RIGHT_PATH_OPEN |                    \
   WASI_RIGHT_FD_READDIR | WASI_RIGHT_PATH_READLINK |                      \
   WASI_RIGHT_PATH_RENAME_SOURCE | WASI_RIGHT_PATH_RENAME_TARGET |         \
   WASI_RIGHT_PATH_FILESTAT_GET | WASI_RIGHT_PATH_FILESTAT_SET_SIZE |      \
   WASI_RIGHT_PATH_FILESTAT_SET_TIMES | WASI_RIGHT_FD_FILESTAT_GET |       \
   WASI_RIGHT_FD_FILESTAT_SET_TIMES | WASI_RIGHT_PATH_SYMLINK |            \
   WASI_RIGHT_PATH_REMOVE_DIRECTORY | WASI_RIGHT_PATH_UNLINK_FILE)

/* Layouts (sizes; offsets are written out where used). */
enum {
  WASI_IOVEC_SIZE = 8,     /* buf u32 @0, buf_len u32 @4 */
  WASI_DIRENT_SIZE = 24,   /* d_next u64 @0, d_ino u64 @8, d_namlen u32
                              @16, d_type u8 @20 */
  WASI_FDSTAT_SIZE = 24,   /* filetype u8 @0, flags u16 @2, rights_base u64
                              @8, rights_inheriting u64 @16 */
  WASI_FILESTAT_SIZE = 64, /* dev @0, ino @8, filetype u8 @16, nlink @24,
                              size @32, atim @40, mtim @48, ctim @56 */
  WASI_PRESTAT_SIZE = 8,   /* tag u8 @0 (0: dir), pr_name_len u32 @4 */
  WASI_SUBSCRIPTION_SIZE = 48, /* userdata u64 @0, tag u8 @8, then clock:
                                  id u32 @16, timeout u64 @24, precision
                                  u64 @32, flags u16 @40; or fd u32 @16 */
  WASI_EVENT_SIZE = 32     /* userdata u64 @0, error u16 @8, type u8 @10,
                              nbytes u64 @16, flags u16 @24 */
};

/* ---- configuration and state ------------------------------------------ */

/* The provider config: a deep copy of weft_wasi_config_t. Reference
 * counted: the linker holds one reference and each instance's state one,
 * so redefining WASI on a linker does not pull it from under instances. */
typedef struct weft__wasi_cfg {
  int refs; /* atomic */
  int argc, envc, ndirs;
  char **argv, **env, **dir_host, **dir_guest; /* dir_guest never NULL */
  int stdio[3];
} weft__wasi_cfg_t;

/* One guest file descriptor. */
typedef struct weft__wasi_fd {
  int host;           /* host fd; -1: this slot is free */
  uint8_t type;       /* WASI_FILETYPE_* when opened */
  bool owned;         /* we opened it: close the host fd with the entry */
  int host_fl;        /* borrowed fds: F_GETFL flags to restore, or -1 */
  char *preopen;      /* guest name of a preopened directory, else NULL */
  uint64_t rights, inheriting;
  DIR *dir;           /* fd_readdir stream over a dup of host, or NULL */
  uint64_t dir_next;  /* cookie of the entry `dir` returns next */
  bool flags_set;     /* fd_fdstat_set_flags changed the host fd's flags */
} weft__wasi_fd_t;

/* The WASI state of one instance. */
typedef struct weft__wasi {
  weft__wasi_cfg_t *cfg;       /* one reference */
  weft__wasi_fd_t *fds;
  uint32_t nfds;               /* slots in fds */
  /* Slots 0 .. 3 + ndirs as made (copies: they own nothing), so a reset
   * keeps the entries the guest left as they were. */
  weft__wasi_fd_t *made;
} weft__wasi_t;

/* Upper bound on the guest fd table. */
#define WASI_MAX_FDS 65536u

/* The entry for guest fd `fd`, or NULL when it is not open. */
weft__wasi_fd_t *weft__wasi_fd_get(weft__wasi_t *w, uint32_t fd);
/* A free slot (lowest number) in *fd; returns its entry (slot still free,
 * host = -1) or NULL with *werr set (ENOMEM, EMFILE). */
weft__wasi_fd_t *weft__wasi_fd_alloc(weft__wasi_t *w, uint32_t *fd,
                                     uint32_t *werr);
/* Free an entry: close what it owns, give a borrowed fd its flags back
 * (fd_fdstat_set_flags must not leave the host's stdin non-blocking), and
 * mark the slot free. */
void weft__wasi_fd_release(weft__wasi_fd_t *e);
/* WASI filetype of a host st_mode. */
uint8_t weft__wasi_filetype(unsigned mode);
/* Fill a 64-byte WASI filestat at `out` from host stat `st`. */
void weft__wasi_put_filestat(uint8_t *out, const struct stat *st);
/* utimensat times in ts from WASI (atim, mtim, fstflags). 0 or EINVAL. */
uint32_t weft__wasi_times(uint64_t atim, uint64_t mtim, uint32_t fst,
                          struct timespec ts[2]);

/* ---- guest memory ------------------------------------------------------ */

/* Host address of guest [ptr, ptr+len) in the caller's memory, or NULL. */
static inline uint8_t *wasi_mem(weft_instance_t *inst, uint64_t ptr,
                                uint64_t len) {
  return weft__guest_ptr(weft__instance_memory0(inst), ptr, len);
}

/* Unaligned little-endian loads and stores on host addresses. */
static inline uint32_t wasi_ld32(const uint8_t *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}
static inline uint64_t wasi_ld64(const uint8_t *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}
static inline uint16_t wasi_ld16(const uint8_t *p) {
  uint16_t v;
  memcpy(&v, p, 2);
  return v;
}
static inline void wasi_st16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static inline void wasi_st32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static inline void wasi_st64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* Store `v` at guest `ptr`; 0 or WASI_EFAULT. */
static inline uint32_t wasi_put32(weft_instance_t *inst, uint32_t ptr,
                                  uint32_t v) {
  uint8_t *p = wasi_mem(inst, ptr, 4);
  if (!p)
    return WASI_EFAULT;
  wasi_st32(p, v);
  return 0;
}
static inline uint32_t wasi_put64(weft_instance_t *inst, uint32_t ptr,
                                  uint64_t v) {
  uint8_t *p = wasi_mem(inst, ptr, 8);
  if (!p)
    return WASI_EFAULT;
  wasi_st64(p, v);
  return 0;
}

/* The caller's WASI state (NULL if the linker had none). */
static inline weft__wasi_t *wasi_state(weft_instance_t *inst) {
  return weft__instance_state(inst, WEFT__STATE_WASI);
}

/* ---- sandboxed path resolution (wasi_path.c) --------------------------- */

/* Copy guest path [ptr, ptr+len) into a new NUL-terminated string in *out
 * (caller frees). 0 or a WASI errno (EFAULT, EINVAL for a NUL byte,
 * ENAMETOOLONG, ENOMEM). */
uint32_t weft__wasi_path_copy(weft_instance_t *inst, uint32_t ptr,
                              uint32_t len, char **out);
/* Open `path` beneath directory `dirfd` with host open `flags` and `mode`.
 * No step may leave dirfd: absolute paths, ".." above it and symlinks that
 * lead out fail with ENOTCAPABLE. `follow`: follow a symlink in the last
 * component (else O_NOFOLLOW semantics). Returns a new host fd, or
 * -(WASI errno). */
int weft__wasi_open_beneath(int dirfd, const char *path, int flags,
                            unsigned mode, bool follow);

/* ---- the host functions ------------------------------------------------ */

/* Each takes the calling instance, then the wasm arguments (i32 as
 * uint32_t, i64 as uint64_t), and returns a WASI errno. */
#define WI weft_instance_t *inst
uint32_t weft__wasi_args_get(WI, uint32_t argv, uint32_t buf);
uint32_t weft__wasi_args_sizes_get(WI, uint32_t argc, uint32_t size);
uint32_t weft__wasi_environ_get(WI, uint32_t env, uint32_t buf);
uint32_t weft__wasi_environ_sizes_get(WI, uint32_t envc, uint32_t size);
uint32_t weft__wasi_clock_res_get(WI, uint32_t id, uint32_t out);
uint32_t weft__wasi_clock_time_get(WI, uint32_t id, uint64_t precision,
                                   uint32_t out);
uint32_t weft__wasi_random_get(WI, uint32_t buf, uint32_t len);
uint32_t weft__wasi_fd_advise(WI, uint32_t fd, uint64_t off, uint64_t len,
                              uint32_t advice);
uint32_t weft__wasi_fd_allocate(WI, uint32_t fd, uint64_t off, uint64_t len);
uint32_t weft__wasi_fd_close(WI, uint32_t fd);
uint32_t weft__wasi_fd_datasync(WI, uint32_t fd);
uint32_t weft__wasi_fd_fdstat_get(WI, uint32_t fd, uint32_t out);
uint32_t weft__wasi_fd_fdstat_set_flags(WI, uint32_t fd, uint32_t flags);
uint32_t weft__wasi_fd_fdstat_set_rights(WI, uint32_t fd, uint64_t base,
                                         uint64_t inheriting);
uint32_t weft__wasi_fd_filestat_get(WI, uint32_t fd, uint32_t out);
uint32_t weft__wasi_fd_filestat_set_size(WI, uint32_t fd, uint64_t size);
uint32_t weft__wasi_fd_filestat_set_times(WI, uint32_t fd, uint64_t atim,
                                          uint64_t mtim, uint32_t flags);
uint32_t weft__wasi_fd_pread(WI, uint32_t fd, uint32_t iovs, uint32_t niovs,
                             uint64_t off, uint32_t nread);
uint32_t weft__wasi_fd_prestat_get(WI, uint32_t fd, uint32_t out);
uint32_t weft__wasi_fd_prestat_dir_name(WI, uint32_t fd, uint32_t path,
                                        uint32_t len);
uint32_t weft__wasi_fd_pwrite(WI, uint32_t fd, uint32_t iovs, uint32_t niovs,
                              uint64_t off, uint32_t nwritten);
uint32_t weft__wasi_fd_read(WI, uint32_t fd, uint32_t iovs, uint32_t niovs,
                            uint32_t nread);
uint32_t weft__wasi_fd_readdir(WI, uint32_t fd, uint32_t buf, uint32_t len,
                               uint64_t cookie, uint32_t used);
uint32_t weft__wasi_fd_renumber(WI, uint32_t from, uint32_t to);
uint32_t weft__wasi_fd_seek(WI, uint32_t fd, uint64_t delta, uint32_t whence,
                            uint32_t out);
uint32_t weft__wasi_fd_sync(WI, uint32_t fd);
uint32_t weft__wasi_fd_tell(WI, uint32_t fd, uint32_t out);
uint32_t weft__wasi_fd_write(WI, uint32_t fd, uint32_t iovs, uint32_t niovs,
                             uint32_t nwritten);
uint32_t weft__wasi_path_create_directory(WI, uint32_t fd, uint32_t path,
                                          uint32_t len);
uint32_t weft__wasi_path_filestat_get(WI, uint32_t fd, uint32_t flags,
                                      uint32_t path, uint32_t len,
                                      uint32_t out);
uint32_t weft__wasi_path_filestat_set_times(WI, uint32_t fd, uint32_t flags,
                                            uint32_t path, uint32_t len,
                                            uint64_t atim, uint64_t mtim,
                                            uint32_t fst);
uint32_t weft__wasi_path_link(WI, uint32_t ofd, uint32_t oflags,
                              uint32_t opath, uint32_t olen, uint32_t nfd,
                              uint32_t npath, uint32_t nlen);
uint32_t weft__wasi_path_open(WI, uint32_t fd, uint32_t dirflags,
                              uint32_t path, uint32_t len, uint32_t oflags,
                              uint64_t base, uint64_t inheriting,
                              uint32_t fdflags, uint32_t out);
uint32_t weft__wasi_path_readlink(WI, uint32_t fd, uint32_t path,
                                  uint32_t len, uint32_t buf,
                                  uint32_t buf_len, uint32_t used);
uint32_t weft__wasi_path_remove_directory(WI, uint32_t fd, uint32_t path,
                                          uint32_t len);
uint32_t weft__wasi_path_rename(WI, uint32_t ofd, uint32_t opath,
                                uint32_t olen, uint32_t nfd, uint32_t npath,
                                uint32_t nlen);
uint32_t weft__wasi_path_symlink(WI, uint32_t opath, uint32_t olen,
                                 uint32_t fd, uint32_t npath, uint32_t nlen);
uint32_t weft__wasi_path_unlink_file(WI, uint32_t fd, uint32_t path,
                                     uint32_t len);
uint32_t weft__wasi_poll_oneoff(WI, uint32_t in, uint32_t out, uint32_t nsubs,
                                uint32_t nevents);
#undef WI

#endif

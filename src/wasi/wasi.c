/* wasi.c - WASI preview 1 for guests: registration with a linker, the
 * per-instance state (fd table with stdio and preopened directories),
 * errno mapping, args and environ, proc_exit, sched_yield, random_get and
 * the socket calls (no sockets are ever granted). The fd calls are in
 * wasi_fd.c, the path calls in wasi_path.c, clocks and poll_oneoff in
 * wasi_clock.c. See docs/internals/wasi.md. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"
#include "wasi/wasi_int.h"

uint32_t weft__wasi_errno(int e) {
  switch (e) {
  case 0:
    return WASI_ESUCCESS;
#define X(host, name, value) \
  case host:                 \
    return WASI_E##name;
    WASI_ERRNO_MAP(X)
#undef X
  }
  return WASI_EIO;
}

/* ---- config ------------------------------------------------------------ */

/* Free an array of `n` strings (NULL: nothing). */
static void free_strv(char **v, int n) {
  if (!v)
    return;
  for (int i = 0; i < n; i++)
    free(v[i]);
  free(v);
}

/* Drop a reference to a provider config, freeing it with the last one
 * (NULL: nothing). */
static void cfg_free(void *p) {
  weft__wasi_cfg_t *c = p;
  if (!c || __atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) > 0)
    return;
  free_strv(c->argv, c->argc);
  free_strv(c->env, c->envc);
  free_strv(c->dir_host, c->ndirs);
  free_strv(c->dir_guest, c->ndirs);
  free(c);
}

/* Copy `n` strings of `src` (entries may be NULL: use `dflt`'s entry) into
 * *out. 0 or WEFT_ENOMEM. */
static int copy_strv(char ***out, int n, const char *const *src,
                     const char *const *dflt) {
  char **v = calloc(n > 0 ? (size_t)n : 1, sizeof *v);
  if (!v)
    return WEFT_ENOMEM;
  *out = v;
  for (int i = 0; i < n; i++) {
    const char *s = src && src[i] ? src[i] : dflt ? dflt[i] : "";
    v[i] = weft__strdup(s ? s : "");
    if (!v[i])
      return WEFT_ENOMEM;
  }
  return 0;
}

/* A deep copy of `cfg` (NULL: no args, env, dirs; stdio 0, 1, 2) into
 * *out (free with cfg_free). 0, WEFT_EINVAL or WEFT_ENOMEM. */
static int cfg_copy(const weft_wasi_config_t *cfg, weft__wasi_cfg_t **out,
                    weft_error_t *err) {
  weft__wasi_cfg_t *c;
  if (cfg && (cfg->argc < 0 || cfg->envc < 0 || cfg->ndirs < 0 ||
              (cfg->argc && !cfg->argv) || (cfg->envc && !cfg->env) ||
              (cfg->ndirs && !cfg->dir_host)))
    return WEFT_ERR(err, WEFT_EINVAL, "invalid wasi configuration");
  c = calloc(1, sizeof *c);
  if (!c)
    goto oom;
  c->refs = 1;
  c->argc = cfg ? cfg->argc : 0;
  c->envc = cfg ? cfg->envc : 0;
  c->ndirs = cfg ? cfg->ndirs : 0;
  c->stdio[0] = cfg ? cfg->stdin_fd : 0;
  c->stdio[1] = cfg ? cfg->stdout_fd : 1;
  c->stdio[2] = cfg ? cfg->stderr_fd : 2;
  if (copy_strv(&c->argv, c->argc, cfg ? cfg->argv : NULL, NULL) ||
      copy_strv(&c->env, c->envc, cfg ? cfg->env : NULL, NULL) ||
      copy_strv(&c->dir_host, c->ndirs, cfg ? cfg->dir_host : NULL, NULL) ||
      copy_strv(&c->dir_guest, c->ndirs, cfg ? cfg->dir_guest : NULL,
                cfg ? cfg->dir_host : NULL))
    goto oom;
  *out = c;
  return 0;
oom:
  cfg_free(c);
  return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
}

/* ---- the fd table ------------------------------------------------------ */

uint8_t weft__wasi_filetype(unsigned mode) {
  switch (mode & S_IFMT) {
  case S_IFREG:
    return WASI_FILETYPE_REGULAR_FILE;
  case S_IFDIR:
    return WASI_FILETYPE_DIRECTORY;
  case S_IFCHR:
    return WASI_FILETYPE_CHARACTER_DEVICE;
  case S_IFBLK:
    return WASI_FILETYPE_BLOCK_DEVICE;
  case S_IFLNK:
    return WASI_FILETYPE_SYMBOLIC_LINK;
  case S_IFSOCK:
    return WASI_FILETYPE_SOCKET_STREAM;
  }
  return WASI_FILETYPE_UNKNOWN;
}

weft__wasi_fd_t *weft__wasi_fd_get(weft__wasi_t *w, uint32_t fd) {
  if (!w || fd >= w->nfds || w->fds[fd].host < 0)
    return NULL;
  return &w->fds[fd];
}

weft__wasi_fd_t *weft__wasi_fd_alloc(weft__wasi_t *w, uint32_t *fd,
                                     uint32_t *werr) {
  uint32_t i;
  for (i = 0; i < w->nfds; i++)
    if (w->fds[i].host < 0)
      break;
  if (i == w->nfds) {
    uint32_t n = w->nfds * 2;
    weft__wasi_fd_t *fds;
    if (n > WASI_MAX_FDS)
      n = WASI_MAX_FDS;
    if (n <= w->nfds) {
      *werr = WASI_EMFILE;
      return NULL;
    }
    fds = realloc(w->fds, n * sizeof *fds);
    if (!fds) {
      *werr = WASI_ENOMEM;
      return NULL;
    }
    memset(fds + w->nfds, 0, (n - w->nfds) * sizeof *fds);
    for (uint32_t j = w->nfds; j < n; j++)
      fds[j].host = -1;
    w->fds = fds;
    w->nfds = n;
  }
  *fd = i;
  return &w->fds[i];
}

void weft__wasi_fd_release(weft__wasi_fd_t *e) {
  if (e->dir)
    closedir(e->dir);
  if (e->owned && e->host >= 0)
    close(e->host);
  else if (e->host >= 0 && e->host_fl >= 0 &&
           fcntl(e->host, F_GETFL) != e->host_fl)
    fcntl(e->host, F_SETFL, e->host_fl);
  free(e->preopen);
  memset(e, 0, sizeof *e);
  e->host = -1;
}

/* Free an instance's state, closing every fd it owns. */
static void state_destroy(void *p) {
  weft__wasi_t *w = p;
  if (!w)
    return;
  for (uint32_t i = 0; i < w->nfds; i++)
    if (w->fds[i].host >= 0)
      weft__wasi_fd_release(&w->fds[i]);
  free(w->fds);
  free(w->made);
  cfg_free(w->cfg);
  free(w);
}

/* Make slot `i` (free) as a new state has it: stdio at 0..2 (borrowed
 * host fds, left free when closed), the preopened directories at 3.. in
 * configuration order. 0, WEFT_ENOENT or WEFT_ENOMEM. */
static int make_slot(weft__wasi_t *w, uint32_t i, weft_error_t *err) {
  const weft__wasi_cfg_t *c = w->cfg;
  weft__wasi_fd_t *e = &w->fds[i];
  if (i < 3) {
    struct stat st;
    if (c->stdio[i] < 0 || fstat(c->stdio[i], &st) != 0)
      return 0;
    e->host = c->stdio[i];
    e->host_fl = fcntl(e->host, F_GETFL);
    e->type = weft__wasi_filetype(st.st_mode);
    e->rights = WASI_RIGHTS_FILE;
    if (isatty(e->host))
      e->rights &= ~(WASI_RIGHT_FD_SEEK | WASI_RIGHT_FD_TELL);
    return 0;
  }
  e->host = open(c->dir_host[i - 3], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (e->host < 0)
    return WEFT_ERR(err, WEFT_ENOENT, "cannot open directory '%s': %s",
                    c->dir_host[i - 3], strerror(errno));
  e->owned = true;
  e->type = WASI_FILETYPE_DIRECTORY;
  e->rights = WASI_RIGHTS_DIR;
  e->inheriting = WASI_RIGHTS_DIR | WASI_RIGHTS_FILE;
  e->preopen = weft__strdup(c->dir_guest[i - 3]);
  if (!e->preopen)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  return 0;
}

/* Make an instance's state: stdio and the preopened directories. */
static int state_create(weft_instance_t *inst, void *cfgp, void **out,
                        weft_error_t *err) {
  weft__wasi_cfg_t *c = cfgp;
  weft__wasi_t *w = calloc(1, sizeof *w);
  int rc;
  (void)inst;
  if (!w)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  __atomic_add_fetch(&c->refs, 1, __ATOMIC_RELAXED);
  w->cfg = c;
  uint32_t nmade = 3 + (uint32_t)c->ndirs;
  w->nfds = nmade < 16 ? 16 : nmade;
  w->fds = calloc(w->nfds, sizeof *w->fds);
  w->made = calloc(nmade, sizeof *w->made);
  if (!w->fds || !w->made) {
    rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
    goto fail;
  }
  for (uint32_t i = 0; i < w->nfds; i++)
    w->fds[i].host = -1;
  for (uint32_t i = 0; i < nmade; i++)
    if ((rc = make_slot(w, i, err)) < 0)
      goto fail;
  memcpy(w->made, w->fds, nmade * sizeof *w->made);
  *out = w;
  return 0;
fail:
  state_destroy(w);
  return rc;
}

/* Is `e` the entry `made` as state_create made it, unchanged by the guest
 * (not closed, moved, narrowed or given other flags)? A preopen's name is
 * compared by address: only state_create makes one. */
static bool unchanged(const weft__wasi_fd_t *e, const weft__wasi_fd_t *made) {
  return e->host == made->host && e->owned == made->owned &&
         e->type == made->type && e->host_fl == made->host_fl &&
         e->preopen == made->preopen && e->rights == made->rights &&
         e->inheriting == made->inheriting && !e->flags_set;
}

/* Make the state as new for a reset instance (weft_instance_reset) without
 * making it again: stdio and the preopens the guest left as they were
 * stay (state_create costs system calls per descriptor); everything else
 * is closed, and the entries the guest changed are made again. */
static int state_reset(void *p, weft_error_t *err) {
  weft__wasi_t *w = p;
  uint32_t nmade = 3 + (uint32_t)w->cfg->ndirs;
  for (uint32_t i = 0; i < w->nfds; i++) {
    weft__wasi_fd_t *e = &w->fds[i];
    if (i < nmade && unchanged(e, &w->made[i])) {
      if (e->dir) { /* a listing in progress */
        closedir(e->dir);
        e->dir = NULL;
        e->dir_next = 0;
      }
    } else if (e->host >= 0) {
      weft__wasi_fd_release(e);
    }
  }
  /* Only once all is closed: a preopen's host fd may have been moved. A
   * released entry is free, so it differs from what was made unless that
   * was free too. */
  for (uint32_t i = 0; i < nmade; i++)
    if (!unchanged(&w->fds[i], &w->made[i])) {
      int rc = make_slot(w, i, err);
      if (rc < 0)
        return rc;
      w->made[i] = w->fds[i];
    }
  return 0;
}

static const weft__state_ops_t wasi_ops = {
    .create = state_create,
    .reset = state_reset,
    .destroy = state_destroy,
    .free_cfg = cfg_free,
};

/* ---- args and environ -------------------------------------------------- */

/* Sizes of a string vector: count and bytes with NULs. */
static uint32_t strv_sizes(weft_instance_t *inst, char *const *v, int n,
                           uint32_t countp, uint32_t sizep) {
  uint8_t *pc = wasi_mem(inst, countp, 4), *ps = wasi_mem(inst, sizep, 4);
  uint64_t size = 0;
  if (!pc || !ps)
    return WASI_EFAULT;
  for (int i = 0; i < n; i++)
    size += strlen(v[i]) + 1;
  if (size > UINT32_MAX)
    return WASI_EOVERFLOW;
  wasi_st32(pc, (uint32_t)n);
  wasi_st32(ps, (uint32_t)size);
  return 0;
}

/* Write the pointers to guest `ptrs` (n u32) and the strings, each NUL
 * terminated, to guest `buf`. */
static uint32_t strv_get(weft_instance_t *inst, char *const *v, int n,
                         uint32_t ptrs, uint32_t buf) {
  uint8_t *pp = wasi_mem(inst, ptrs, (uint64_t)n * 4);
  uint64_t off = buf;
  if (!pp)
    return WASI_EFAULT;
  for (int i = 0; i < n; i++) {
    size_t len = strlen(v[i]) + 1;
    uint8_t *dst = wasi_mem(inst, off, len);
    if (!dst)
      return WASI_EFAULT;
    memcpy(dst, v[i], len);
    wasi_st32(pp + 4 * (size_t)i, (uint32_t)off);
    off += len;
  }
  return 0;
}

uint32_t weft__wasi_args_sizes_get(weft_instance_t *inst, uint32_t argc,
                                   uint32_t size) {
  weft__wasi_t *w = wasi_state(inst);
  if (!w)
    return WASI_ENOSYS;
  return strv_sizes(inst, w->cfg->argv, w->cfg->argc, argc, size);
}

uint32_t weft__wasi_args_get(weft_instance_t *inst, uint32_t argv,
                             uint32_t buf) {
  weft__wasi_t *w = wasi_state(inst);
  if (!w)
    return WASI_ENOSYS;
  return strv_get(inst, w->cfg->argv, w->cfg->argc, argv, buf);
}

uint32_t weft__wasi_environ_sizes_get(weft_instance_t *inst, uint32_t envc,
                                      uint32_t size) {
  weft__wasi_t *w = wasi_state(inst);
  if (!w)
    return WASI_ENOSYS;
  return strv_sizes(inst, w->cfg->env, w->cfg->envc, envc, size);
}

uint32_t weft__wasi_environ_get(weft_instance_t *inst, uint32_t env,
                                uint32_t buf) {
  weft__wasi_t *w = wasi_state(inst);
  if (!w)
    return WASI_ENOSYS;
  return strv_get(inst, w->cfg->env, w->cfg->envc, env, buf);
}

/* ---- process, scheduling, randomness ----------------------------------- */

/* proc_exit: end the guest call with `code`; never returns. */
static void wasi_proc_exit(weft_instance_t *inst, uint32_t code) {
  weft__instance_exit(inst, (int)code);
}

/* proc_raise: signals are not offered. */
static uint32_t wasi_proc_raise(weft_instance_t *inst, uint32_t sig) {
  (void)inst;
  (void)sig;
  return WASI_ENOSYS;
}

/* sched_yield: yield the host thread. */
static uint32_t wasi_sched_yield(weft_instance_t *inst) {
  (void)inst;
  sched_yield();
  return 0;
}

uint32_t weft__wasi_random_get(weft_instance_t *inst, uint32_t buf,
                               uint32_t len) {
  uint8_t *p = wasi_mem(inst, buf, len);
  size_t done = 0;
  if (!p)
    return WASI_EFAULT;
  while (done < len) {
    ssize_t n = getrandom(p + done, len - done, 0);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return weft__wasi_errno(errno);
    }
    done += (size_t)n;
  }
  return 0;
}

/* ---- sockets: none are granted, so every call is unsupported ----------- */

static uint32_t wasi_sock_accept(weft_instance_t *inst, uint32_t fd,
                                 uint32_t flags, uint32_t out) {
  (void)flags;
  (void)out;
  return weft__wasi_fd_get(wasi_state(inst), fd) ? WASI_ENOTSUP
                                                  : WASI_EBADF;
}

static uint32_t wasi_sock_recv(weft_instance_t *inst, uint32_t fd,
                               uint32_t iovs, uint32_t niovs, uint32_t flags,
                               uint32_t nread, uint32_t oflags) {
  (void)iovs;
  (void)niovs;
  (void)flags;
  (void)nread;
  (void)oflags;
  return weft__wasi_fd_get(wasi_state(inst), fd) ? WASI_ENOTSUP
                                                  : WASI_EBADF;
}

static uint32_t wasi_sock_send(weft_instance_t *inst, uint32_t fd,
                               uint32_t iovs, uint32_t niovs, uint32_t flags,
                               uint32_t nwritten) {
  (void)iovs;
  (void)niovs;
  (void)flags;
  (void)nwritten;
  return weft__wasi_fd_get(wasi_state(inst), fd) ? WASI_ENOTSUP
                                                  : WASI_EBADF;
}

static uint32_t wasi_sock_shutdown(weft_instance_t *inst, uint32_t fd,
                                   uint32_t how) {
  (void)how;
  return weft__wasi_fd_get(wasi_state(inst), fd) ? WASI_ENOTSUP
                                                  : WASI_EBADF;
}

/* ---- registration ------------------------------------------------------ */

#define F(name, sig, fn) {#name, sig, (weft__raw_fn_t)(fn)}
#define W(name, sig) F(name, sig, weft__wasi_##name)

static const struct {
  const char *name, *sig;
  weft__raw_fn_t fn;
} wasi_funcs[] = {
    W(args_get, "ii:i"),
    W(args_sizes_get, "ii:i"),
    W(environ_get, "ii:i"),
    W(environ_sizes_get, "ii:i"),
    W(clock_res_get, "ii:i"),
    W(clock_time_get, "ili:i"),
    W(fd_advise, "illi:i"),
    W(fd_allocate, "ill:i"),
    W(fd_close, "i:i"),
    W(fd_datasync, "i:i"),
    W(fd_fdstat_get, "ii:i"),
    W(fd_fdstat_set_flags, "ii:i"),
    W(fd_fdstat_set_rights, "ill:i"),
    W(fd_filestat_get, "ii:i"),
    W(fd_filestat_set_size, "il:i"),
    W(fd_filestat_set_times, "illi:i"),
    W(fd_pread, "iiili:i"),
    W(fd_prestat_get, "ii:i"),
    W(fd_prestat_dir_name, "iii:i"),
    W(fd_pwrite, "iiili:i"),
    W(fd_read, "iiii:i"),
    W(fd_readdir, "iiili:i"),
    W(fd_renumber, "ii:i"),
    W(fd_seek, "ilii:i"),
    W(fd_sync, "i:i"),
    W(fd_tell, "ii:i"),
    W(fd_write, "iiii:i"),
    W(path_create_directory, "iii:i"),
    W(path_filestat_get, "iiiii:i"),
    W(path_filestat_set_times, "iiiilli:i"),
    W(path_link, "iiiiiii:i"),
    W(path_open, "iiiiillii:i"),
    W(path_readlink, "iiiiii:i"),
    W(path_remove_directory, "iii:i"),
    W(path_rename, "iiiiii:i"),
    W(path_symlink, "iiiii:i"),
    W(path_unlink_file, "iii:i"),
    W(poll_oneoff, "iiii:i"),
    F(proc_exit, "i:", wasi_proc_exit),
    F(proc_raise, "i:i", wasi_proc_raise),
    F(sched_yield, ":i", wasi_sched_yield),
    W(random_get, "ii:i"),
    F(sock_accept, "iii:i", wasi_sock_accept),
    F(sock_recv, "iiiiii:i", wasi_sock_recv),
    F(sock_send, "iiiii:i", wasi_sock_send),
    F(sock_shutdown, "ii:i", wasi_sock_shutdown),
};

#undef W
#undef F

int weft_linker_define_wasi(weft_linker_t *linker,
                            const weft_wasi_config_t *cfg,
                            weft_error_t *err) {
  weft__wasi_cfg_t *c = NULL;
  int rc;
  if (!linker)
    return WEFT_ERR(err, WEFT_EINVAL, "no linker");
  rc = cfg_copy(cfg, &c, err);
  if (rc < 0)
    return rc;
  /* The linker owns c from here on success (freed with cfg_free). */
  rc = weft__linker_set_state(linker, WEFT__STATE_WASI, &wasi_ops, c, err);
  if (rc < 0) {
    cfg_free(c);
    return rc;
  }
  for (size_t i = 0; i < sizeof wasi_funcs / sizeof wasi_funcs[0]; i++) {
    rc = weft__linker_define_raw(linker, "wasi_snapshot_preview1",
                                 wasi_funcs[i].name, wasi_funcs[i].sig,
                                 wasi_funcs[i].fn, err);
    if (rc < 0)
      return rc;
  }
  return 0;
}

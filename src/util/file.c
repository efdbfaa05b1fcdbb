/* file.c - whole-file reads, atomic writes, directories, clocks, hashing. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/util.h"

int weft__read_file(const char *path, uint8_t **out, size_t *len,
                    weft_error_t *err) {
  int rc = WEFT_EIO;
  uint8_t *data = NULL;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return WEFT_ERR(err, errno == ENOENT ? WEFT_ENOENT : WEFT_EIO,
                    "cannot open '%s': %s", path, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
    WEFT_ERR(err, WEFT_EIO, "cannot read '%s': not a regular file", path);
    goto out;
  }
  data = malloc((size_t)st.st_size + 1);
  if (!data) {
    rc = WEFT_ERR(err, WEFT_ENOMEM, "cannot read '%s': out of memory", path);
    goto out;
  }
  size_t got = 0;
  while (got < (size_t)st.st_size) {
    ssize_t n = read(fd, data + got, (size_t)st.st_size - got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      WEFT_ERR(err, WEFT_EIO, "cannot read '%s': %s", path,
               n < 0 ? strerror(errno) : "file shrank");
      goto out;
    }
    got += (size_t)n;
  }
  data[got] = 0;
  *out = data;
  *len = got;
  data = NULL;
  rc = 0;
out:
  free(data);
  close(fd);
  return rc;
}

static int fsync_dir_of(const char *path) {
  char *copy = strdup(path);
  if (!copy)
    return -1;
  int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  free(copy);
  if (fd < 0)
    return -1;
  int rc = fsync(fd);
  close(fd);
  return rc;
}

/* Write all of data[len] to fd; -1 with errno on failure. */
static int write_all(int fd, const void *data, size_t len) {
  const char *p = data;
  while (len) {
    ssize_t w = write(fd, p, len);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0)
      return -1;
    p += w;
    len -= (size_t)w;
  }
  return 0;
}

/* A path that exists and is not a regular file (/dev/null, a FIFO, a
 * terminal) is written in place: renaming over it would replace a device
 * node, run as root, with a file. */
static int write_in_place(const char *path, const void *data, size_t len,
                          weft_error_t *err) {
  int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0 || write_all(fd, data, len) < 0) {
    int e = errno;
    if (fd >= 0)
      close(fd);
    return WEFT_ERR(err, WEFT_EIO, "cannot write '%s': %s", path,
                    strerror(e));
  }
  close(fd);
  return 0;
}

int weft__write_file_atomic(const char *path, const void *data, size_t len,
                            weft_error_t *err) {
  struct stat st;
  if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
    return write_in_place(path, data, len, err);
  size_t n = strlen(path);
  char *tmp = malloc(n + 32);
  if (!tmp)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  snprintf(tmp, n + 32, "%s.tmp.XXXXXX", path);
  int fd = mkstemp(tmp);
  if (fd < 0) {
    int e = errno;
    free(tmp);
    return WEFT_ERR(err, WEFT_EIO, "cannot write '%s': %s", path, strerror(e));
  }
  if (write_all(fd, data, len) < 0 || fchmod(fd, 0644) < 0 || fsync(fd) < 0)
    goto fail;
  if (close(fd) < 0) {
    fd = -1;
    goto fail;
  }
  fd = -1;
  if (rename(tmp, path) < 0)
    goto fail;
  free(tmp);
  fsync_dir_of(path);
  return 0;
fail : {
  int e = errno;
  if (fd >= 0)
    close(fd);
  unlink(tmp);
  free(tmp);
  return WEFT_ERR(err, WEFT_EIO, "cannot write '%s': %s", path, strerror(e));
}
}

int weft__mkdirs(const char *path, weft_error_t *err) {
  char *p = strdup(path);
  if (!p)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  for (char *s = p + 1; *s; s++) {
    if (*s != '/')
      continue;
    *s = 0;
    if (mkdir(p, 0755) < 0 && errno != EEXIST)
      goto fail;
    *s = '/';
  }
  if (mkdir(p, 0755) < 0 && errno != EEXIST)
    goto fail;
  free(p);
  return 0;
fail : {
  int e = errno;
  int rc = WEFT_ERR(err, WEFT_EIO, "cannot create directory '%s': %s", p,
                    strerror(e));
  free(p);
  return rc;
}
}

uint64_t weft__now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void weft__sha256_hex(const void *data, size_t len, char out[65]) {
  unsigned char h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h, data, len);
  sodium_bin2hex(out, 65, h, sizeof h);
}

int weft__rm_rf(const char *path) {
  struct stat st;
  if (lstat(path, &st) < 0)
    return errno == ENOENT ? 0 : -1;
  if (!S_ISDIR(st.st_mode))
    return unlink(path);
  DIR *d = opendir(path);
  if (d) {
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
      if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
        continue;
      char p[4096];
      if (snprintf(p, sizeof p, "%s/%s", path, de->d_name) < (int)sizeof p)
        weft__rm_rf(p);
    }
    closedir(d);
  }
  return rmdir(path);
}

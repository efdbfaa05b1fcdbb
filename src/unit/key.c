/* key.c - ed25519 key pairs for units and their files, and hex.
 *
 * A key file is one line: "weft-ed25519-secret <128 hex>" (the 64-byte
 * libsodium secret key, seed then public key) or "weft-ed25519-public
 * <64 hex>". Secret files are written with mode 0600. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "unit/unit.h"

#define SECRET_TAG "weft-ed25519-secret "
#define PUBLIC_TAG "weft-ed25519-public "

/* See unit.h. */
int weft__unit_init(weft_error_t *err) {
  if (sodium_init() < 0)
    return WEFT_ERR(err, WEFT_EIO, "cannot initialise libsodium");
  return 0;
}

/* See unit.h. */
void weft__hex(const uint8_t *p, size_t n, char *out) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = digits[p[i] >> 4];
    out[2 * i + 1] = digits[p[i] & 15];
  }
  out[2 * n] = 0;
}

/* See unit.h. */
int weft__unhex(const char *s, size_t slen, uint8_t *out, size_t n) {
  if (slen != 2 * n)
    return -1;
  for (size_t i = 0; i < n; i++) {
    int hi = weft__hex_digit((unsigned char)s[2 * i]);
    int lo = weft__hex_digit((unsigned char)s[2 * i + 1]);
    if (hi < 0 || lo < 0)
      return -1;
    out[i] = (uint8_t)(hi << 4 | lo);
  }
  return 0;
}

/* See unit.h. */
void weft__ukey_generate(weft__ukey_t *k) {
  crypto_sign_keypair(k->pk, k->sk);
  k->has_sk = true;
}

/* Write `line` to `path` with `mode`, refusing to replace a file. */
static int write_new(const char *path, const char *line, int mode,
                     weft_error_t *err) {
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0)
    return WEFT_ERR(err, WEFT_EIO, "cannot create '%s': %s", path,
                    strerror(errno));
  size_t n = strlen(line);
  ssize_t w = write(fd, line, n);
  int rc = (w == (ssize_t)n && fsync(fd) == 0) ? 0 : -1;
  close(fd);
  if (rc < 0) {
    unlink(path);
    return WEFT_ERR(err, WEFT_EIO, "cannot write '%s'", path);
  }
  return 0;
}

/* See unit.h. */
int weft__ukey_write(const weft__ukey_t *k, const char *path,
                     weft_error_t *err) {
  char line[256], hex[2 * WEFT__SK_LEN + 1];
  weft__buf_t pub;
  weft__buf_init(&pub);
  if (weft__buf_printf(&pub, "%s.pub", path))
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  weft__hex(k->sk, WEFT__SK_LEN, hex);
  snprintf(line, sizeof line, SECRET_TAG "%s\n", hex);
  int rc = write_new(path, line, 0600, err);
  sodium_memzero(line, sizeof line);
  sodium_memzero(hex, sizeof hex);
  if (rc == 0) {
    weft__hex(k->pk, WEFT__PK_LEN, hex);
    snprintf(line, sizeof line, PUBLIC_TAG "%s\n", hex);
    rc = write_new(pub.data, line, 0644, err);
    if (rc < 0)
      unlink(path);
  }
  weft__buf_release(&pub);
  return rc;
}

/* See unit.h. */
int weft__ukey_read(const char *path, weft__ukey_t *k, weft_error_t *err) {
  uint8_t *data = NULL;
  size_t len = 0;
  int rc = weft__read_file(path, &data, &len, err);
  if (rc < 0)
    return rc;
  while (len && (data[len - 1] == '\n' || data[len - 1] == '\r'))
    len--;
  memset(k, 0, sizeof *k);
  size_t st = strlen(SECRET_TAG), pt = strlen(PUBLIC_TAG);
  rc = WEFT_ERR(err, WEFT_EPARSE,
                "'%s' is not a weft key file (see 'weft keygen --help')",
                path);
  if (len > st && !memcmp(data, SECRET_TAG, st) &&
      weft__unhex((char *)data + st, len - st, k->sk, WEFT__SK_LEN) == 0) {
    uint8_t pk[WEFT__PK_LEN];
    crypto_sign_ed25519_sk_to_pk(pk, k->sk);
    memcpy(k->pk, pk, sizeof pk);
    k->has_sk = true;
    rc = 0;
  } else if (len > pt && !memcmp(data, PUBLIC_TAG, pt) &&
             weft__unhex((char *)data + pt, len - pt, k->pk,
                         WEFT__PK_LEN) == 0) {
    rc = 0;
  }
  sodium_memzero(data, len);
  free(data);
  if (rc == 0 && err)
    memset(err, 0, sizeof *err);
  return rc;
}

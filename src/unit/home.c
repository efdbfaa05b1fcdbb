/* home.c - the host's identity: $WEFT_HOME/host.key (WEFT_HOME defaults to
 * ~/.weft), an ed25519 key made on first use, which signs every entry the
 * host appends to a unit's lineage. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "unit/unit.h"

/* See unit.h. */
int weft__unit_home(weft__buf_t *out, weft_error_t *err) {
  const char *home = getenv("WEFT_HOME");
  int rc;
  if (home && *home) {
    rc = weft__buf_puts(out, home);
  } else {
    const char *h = getenv("HOME");
    if (!h || !*h)
      return WEFT_ERR(err, WEFT_EINVAL,
                      "neither 'WEFT_HOME' nor 'HOME' is set");
    rc = weft__buf_printf(out, "%s/.weft", h);
  }
  return rc ? WEFT_ERR(err, WEFT_ENOMEM, "out of memory") : 0;
}

/* See unit.h. */
int weft__unit_host_key(weft__ukey_t *k, weft_error_t *err) {
  weft__buf_t dir, path;
  weft__buf_init(&dir);
  weft__buf_init(&path);
  int rc = weft__unit_init(err);
  if (rc == 0)
    rc = weft__unit_home(&dir, err);
  if (rc == 0 && weft__buf_printf(&path, "%s/host.key", dir.data))
    rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  if (rc == 0) {
    struct stat st;
    if (stat(path.data, &st) == 0) {
      rc = weft__ukey_read(path.data, k, err);
      if (rc == 0 && !k->has_sk)
        rc = WEFT_ERR(err, WEFT_EINVAL, "'%s' holds no secret key",
                      path.data);
    } else if (errno != ENOENT) {
      rc = WEFT_ERR(err, WEFT_EIO, "cannot read '%s': %s", path.data,
                    strerror(errno));
    } else if ((rc = weft__mkdirs(dir.data, err)) == 0) {
      weft__ukey_generate(k);
      rc = weft__ukey_write(k, path.data, err);
      /* Two first uses at once: the other one won; use its key. */
      if (rc < 0 && stat(path.data, &st) == 0)
        rc = weft__ukey_read(path.data, k, err);
    }
  }
  weft__buf_release(&dir);
  weft__buf_release(&path);
  return rc;
}

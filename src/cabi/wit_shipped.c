/* wit_shipped.c - finding and loading the WIT packages Weft ships (wit/ in
 * the source tree, share/weft/wit once installed), for the app runner,
 * flows and units alike. */
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cabi/wit.h"

#ifndef WEFT_BUILTIN_WIT_DIR
#define WEFT_BUILTIN_WIT_DIR "wit"
#endif

const char *weft__wit_shipped_dir(char out[PATH_MAX]) {
  static const char anchor = 0; /* an address inside libweft, for dladdr */
  const char *e = getenv("WEFT_WIT_DIR");
  if (e && *e)
    return e;
  char exe[PATH_MAX];
  const char *homes[2] = {NULL, NULL};
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    exe[n] = 0;
    homes[0] = exe;
  }
  Dl_info info;
  if (dladdr(&anchor, &info) && info.dli_fname && info.dli_fname[0] == '/')
    homes[1] = info.dli_fname;
  for (size_t i = 0; i < 2; i++) {
    const char *slash = homes[i] ? strrchr(homes[i], '/') : NULL;
    if (!slash)
      continue;
    char candidate[PATH_MAX];
    int len = snprintf(candidate, sizeof candidate, "%.*s/../share/weft/wit",
                       (int)(slash - homes[i]), homes[i]);
    /* realpath fails when it does not exist, and names it plainly. */
    if (len > 0 && (size_t)len < sizeof candidate && realpath(candidate, out))
      return out;
  }
  return WEFT_BUILTIN_WIT_DIR;
}

weft_wit_t *weft__wit_load_shipped(const char *dir, const char *pkg,
                                   weft_error_t *err) {
  char found[PATH_MAX], path[PATH_MAX + 64];
  if (!dir)
    dir = weft__wit_shipped_dir(found);
  int n = snprintf(path, sizeof path, "%s/%s", dir, pkg);
  if (n < 0 || (size_t)n >= sizeof path) {
    WEFT_ERR(err, WEFT_EINVAL, "path '%s/%s' is too long", dir, pkg);
    return NULL;
  }
  return weft_wit_load(path, err);
}

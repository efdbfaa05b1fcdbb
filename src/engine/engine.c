/* engine.c - the engine: configuration, cache location, tool identity. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/engine_int.h"

/* Find `tool` on PATH; describe it by real path, size and mtime, which
 * changes whenever the tool is upgraded, without running it. */
static void tool_identity(const char *tool, char *out, size_t size) {
  char path[PATH_MAX];
  const char *found = NULL;
  if (strchr(tool, '/')) {
    found = tool;
  } else {
    const char *env = getenv("PATH");
    const char *p = env ? env : "/usr/bin:/bin";
    while (*p) {
      const char *colon = strchr(p, ':');
      size_t n = colon ? (size_t)(colon - p) : strlen(p);
      snprintf(path, sizeof path, "%.*s/%s", (int)n, p, tool);
      if (access(path, X_OK) == 0) {
        found = path;
        break;
      }
      p += n + (colon ? 1 : 0);
    }
  }
  char real[PATH_MAX];
  struct stat st;
  if (!found || !realpath(found, real) || stat(real, &st) < 0) {
    snprintf(out, size, "%s:missing", tool);
    return;
  }
  if (snprintf(out, size, "%s:%lld:%lld", real, (long long)st.st_size,
               (long long)st.st_mtime) >= (int)size)
    out[size - 1] = 0;
}

weft_engine_t *weft_engine_new(const weft_engine_config_t *cfg,
                               weft_error_t *err) {
  weft_engine_config_t def = {.opt_level = -1};
  if (!cfg)
    cfg = &def;
  weft_engine_t *e = calloc(1, sizeof *e);
  if (!e)
    goto oom;
  weft__rt_init();
  const char *dir = cfg->cache_dir ? cfg->cache_dir : getenv("WEFT_CACHE_DIR");
  if (dir && *dir && dir[0] != '/') {
    /* Absolute, because tools run in directories of their own. */
    char cwd[PATH_MAX];
    weft__buf_t b;
    weft__buf_init(&b);
    if (getcwd(cwd, sizeof cwd))
      weft__buf_printf(&b, "%s/%s", cwd, dir);
    e->cache_dir = b.data;
  } else if (dir && *dir) {
    e->cache_dir = strdup(dir);
  } else {
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    weft__buf_t b;
    weft__buf_init(&b);
    if (xdg && *xdg)
      weft__buf_printf(&b, "%s/weft", xdg);
    else
      weft__buf_printf(&b, "%s/.cache/weft", home && *home ? home : "/tmp");
    e->cache_dir = b.data;
  }
  const char *cc = cfg->cc ? cfg->cc : getenv("WEFT_CC");
  e->cc = strdup(cc && *cc ? cc : "cc");
  if (!e->cache_dir || !e->cc)
    goto oom;
  e->opt_level = cfg->opt_level;
  if (e->opt_level < 0) {
    const char *o = getenv("WEFT_OPT_LEVEL");
    e->opt_level = o && *o >= '0' && *o <= '3' ? *o - '0' : 2;
  }
  e->progress = cfg->progress;
  e->no_cache = cfg->no_cache;
  const char *nans = getenv("WEFT_CANONICAL_NANS");
  e->canonical_nans = cfg->canonical_nans || (nans && !strcmp(nans, "1"));
  const char *track = getenv("WEFT_TRACK_WRITES");
  e->track_writes = cfg->track_writes || (track && !strcmp(track, "1"));
  char a[PATH_MAX + 64], b2[PATH_MAX + 64];
  tool_identity(e->cc, a, sizeof a);
  tool_identity("wasm2c", b2, sizeof b2);
  if (snprintf(e->tool_id, sizeof e->tool_id, "%s;%s;-O%d", a, b2,
               e->opt_level) >= (int)sizeof e->tool_id)
    e->tool_id[sizeof e->tool_id - 1] = 0;
  return e;
oom:
  weft_engine_free(e);
  WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  return NULL;
}

void weft_engine_free(weft_engine_t *e) {
  if (!e)
    return;
  free(e->cache_dir);
  free(e->cc);
  free(e);
}

const char *weft_engine_cache_dir(const weft_engine_t *e) {
  return e->cache_dir;
}

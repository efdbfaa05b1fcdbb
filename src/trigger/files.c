/* files.c - a component's `files`, staged for the guest (files.h).
 *
 * The files are copied, not mounted: the guest may then write to its copy
 * without touching the app's sources (Spin mounts them read-only, which
 * Weft's WASI does not offer), and globs and exclusions are resolved once,
 * at start. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trigger/files.h"
#include "util/util.h"

/* Whether `path` ("a/b/c.txt") matches the glob `pat`, where `**` stands
 * for any number of whole directories and the rest is fnmatch's. */
static bool glob_match(const char *pat, const char *path) {
  if (!strncmp(pat, "**/", 3))
    for (const char *p = path;; p++) {
      if (glob_match(pat + 3, p))
        return true;
      if (!(p = strchr(p, '/')))
        return false;
    }
  if (!strcmp(pat, "**"))
    return true;
  const char *ps = strchr(pat, '/'), *fs = strchr(path, '/');
  if (!ps || !fs)
    return !ps && !fs && fnmatch(pat, path, FNM_PERIOD) == 0;
  char seg[256], name[256];
  size_t pl = (size_t)(ps - pat), fl = (size_t)(fs - path);
  if (pl >= sizeof seg || fl >= sizeof name)
    return false;
  memcpy(seg, pat, pl);
  seg[pl] = 0;
  memcpy(name, path, fl);
  name[fl] = 0;
  return fnmatch(seg, name, FNM_PERIOD) == 0 && glob_match(ps + 1, fs + 1);
}

static int copy_file(const char *from, const char *to, weft_error_t *err) {
  char *dir = weft__strdup(to);
  char *slash = dir ? strrchr(dir, '/') : NULL;
  int rc = 0;
  if (slash) {
    *slash = 0;
    rc = weft__mkdirs(dir, err);
  }
  free(dir);
  if (rc < 0)
    return rc;
  int in = open(from, O_RDONLY | O_CLOEXEC);
  int out = in < 0 ? -1
                   : open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  char buf[65536];
  ssize_t n = 0;
  while (out >= 0 && (n = read(in, buf, sizeof buf)) > 0)
    if (write(out, buf, (size_t)n) != n) {
      n = -1;
      break;
    }
  if (in < 0 || out < 0 || n < 0)
    rc = WEFT_ERR(err, WEFT_EIO, "cannot copy '%s' to '%s': %s", from, to,
                  strerror(errno));
  if (in >= 0)
    close(in);
  if (out >= 0)
    close(out);
  return rc;
}

typedef struct stage {
  const weft__manifest_component_t *c;
  const char *root;    /* the manifest's directory */
  const char *to;      /* the staging directory */
  const char **globs;  /* the `files` entries that are globs */
  size_t nglobs;
  weft_error_t *err;
} stage_t;

static bool excluded(const stage_t *s, const char *rel) {
  for (size_t i = 0; i < s->c->exclude_files.len; i++)
    if (glob_match(s->c->exclude_files.items[i].value, rel))
      return true;
  return false;
}

/* Whether `rel` matches one of the glob entries and no exclusion. */
static bool globbed(const stage_t *s, const char *rel) {
  for (size_t i = 0; i < s->nglobs; i++)
    if (glob_match(s->globs[i], rel))
      return !excluded(s, rel);
  return false;
}

/* Copy what `from` holds to `to`: a file, or a directory's files (with
 * `filter`, only those whose path relative to the manifest is globbed).
 * `rel` is `from` relative to the manifest. One walk of the manifest's
 * directory serves every glob entry. */
static int copy_tree(const stage_t *s, const char *from, const char *rel,
                     const char *to, bool filter) {
  struct stat st;
  if (stat(from, &st) < 0)
    return WEFT_ERR(s->err, WEFT_ENOENT, "component '%s': file '%s': %s",
                    s->c->id, from, strerror(errno));
  if (!S_ISDIR(st.st_mode)) {
    if (filter && !globbed(s, rel))
      return 0;
    return copy_file(from, to, s->err);
  }
  DIR *d = opendir(from);
  if (!d)
    return WEFT_ERR(s->err, WEFT_EIO, "component '%s': cannot read '%s': %s",
                    s->c->id, from, strerror(errno));
  struct dirent *e;
  int rc = 0;
  while (!rc && (e = readdir(d))) {
    /* Weft's own state (.weft: logs, stores, these copies) is never
     * staged. */
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
        (!*rel && !strcmp(e->d_name, ".weft")))
      continue;
    weft__buf_t f, r, t;
    weft__buf_init(&f);
    weft__buf_init(&r);
    weft__buf_init(&t);
    weft__buf_printf(&f, "%s/%s", from, e->d_name);
    weft__buf_printf(&r, "%s%s%s", rel, *rel ? "/" : "", e->d_name);
    weft__buf_printf(&t, "%s/%s", to, e->d_name);
    rc = f.data && r.data && t.data
             ? copy_tree(s, f.data, r.data, t.data, filter)
             : WEFT_ERR(s->err, WEFT_ENOMEM, "out of memory");
    weft__buf_release(&f);
    weft__buf_release(&r);
    weft__buf_release(&t);
  }
  closedir(d);
  return rc;
}

int weft__files_stage(const weft__manifest_t *m,
                      const weft__manifest_component_t *c, char **out,
                      weft_error_t *err) {
  *out = NULL;
  if (!c->files_len)
    return 0;
  weft__buf_t dir;
  weft__buf_init(&dir);
  weft__buf_printf(&dir, "%s/.weft/files/%s", m->dir, c->id);
  if (!dir.data)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  int rc = 0;
  if (weft__rm_rf(dir.data) < 0 || (rc = weft__mkdirs(dir.data, err)) < 0) {
    rc = rc < 0 ? rc
                : WEFT_ERR(err, WEFT_EIO, "cannot clear '%s': %s", dir.data,
                           strerror(errno));
    weft__buf_release(&dir);
    return rc;
  }
  stage_t s = {.c = c, .root = m->dir, .to = dir.data, .err = err};
  s.globs = calloc(c->files_len, sizeof *s.globs);
  if (!s.globs)
    rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  for (size_t i = 0; !rc && i < c->files_len; i++) {
    const weft__manifest_file_t *f = &c->files[i];
    if (!f->destination) {
      s.globs[s.nglobs++] = f->source;
      continue;
    }
    weft__buf_t to;
    weft__buf_init(&to);
    weft__buf_printf(&to, "%s%s", dir.data, f->destination);
    rc = to.data ? copy_tree(&s, f->path, f->source, to.data, false)
                 : WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
    weft__buf_release(&to);
  }
  if (!rc && s.nglobs)
    rc = copy_tree(&s, m->dir, "", dir.data, true);
  free(s.globs);
  if (rc < 0) {
    weft__buf_release(&dir);
    return rc;
  }
  *out = dir.data;
  return 0;
}

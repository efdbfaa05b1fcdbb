/* wit_load.c - reading WIT packages from the file system: the root
 * package's *.wit files and the dependencies in deps/ (each a directory of
 * .wit files or one .wit file), in name order, so that results and error
 * messages do not depend on the order of directory entries. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cabi/wit_int.h"

int weft__wit_add_file(weft__wit_t *w, unsigned group, const char *filename,
                       const char *text, size_t len, weft_error_t *err) {
  wit_ctx_t *c = w->priv_;
  char *name;
  c->err = err;
  if (c->rc)
    return WEFT_ERR(err, c->rc, "the WIT model is unusable after an error");
  if (c->resolved)
    return WEFT_ERR(err, WEFT_EINVAL, "the WIT model is already resolved");
  name = weft__wit_strdup(c, filename ? filename : "<input>");
  if (!name)
    return weft__wit_nomem(c);
  return weft__wit_parse_file(c, group, name, text, len);
}

int weft__wit_parse(const char *text, size_t len, const char *filename,
                    weft__wit_t **out, weft_error_t *err) {
  weft__wit_t *w = weft__wit_new();
  int rc;
  *out = NULL;
  if (!w)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  rc = weft__wit_add_file(w, 0, filename, text, len, err);
  if (!rc)
    rc = weft__wit_resolve(w, err);
  if (rc) {
    weft__wit_free(w);
    return rc;
  }
  *out = w;
  return 0;
}

/* `dir`/`name` in a new string, or just `name` when `dir` is ".". */
static char *join(const char *dir, const char *name) {
  size_t d = strlen(dir), n = strlen(name);
  char *s;
  if (!strcmp(dir, "."))
    return strdup(name);
  while (d > 1 && dir[d - 1] == '/')
    d--;
  s = malloc(d + n + 2);
  if (!s)
    return NULL;
  memcpy(s, dir, d);
  s[d] = '/';
  memcpy(s + d + 1, name, n + 1);
  if (d == 1 && dir[0] == '/')
    memmove(s + 1, s + 2, n + 1);
  return s;
}

/* qsort comparison of two strings. */
static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* True if `name` ends in ".wit". */
static bool is_wit(const char *name) {
  size_t n = strlen(name);
  return n > 4 && !strcmp(name + n - 4, ".wit");
}

/* The entries of `dir` that are .wit files (`dirs` false) or either .wit
 * files or directories (`dirs` true), sorted, hidden ones left out; a
 * new array of new strings in *names. */
static int list(const char *dir, bool dirs, char ***names, size_t *n,
                weft_error_t *err) {
  DIR *d = opendir(dir);
  struct dirent *e;
  char **v = NULL;
  size_t cap = 0;
  int rc = WEFT_ENOMEM;
  *names = NULL;
  *n = 0;
  if (!d)
    return WEFT_ERR(err, errno == ENOENT ? WEFT_ENOENT : WEFT_EIO,
                    "cannot open '%s': %s", dir, strerror(errno));
  while ((e = readdir(d)) != NULL) {
    struct stat st;
    char *path;
    bool ok;
    if (e->d_name[0] == '.')
      continue;
    if (!(path = join(dir, e->d_name)))
      goto out;
    ok = stat(path, &st) == 0 &&
         ((S_ISREG(st.st_mode) && is_wit(e->d_name)) ||
          (dirs && S_ISDIR(st.st_mode)));
    free(path);
    if (!ok)
      continue;
    if (*n == cap) {
      char **nv = realloc(v, (cap ? cap * 2 : 8) * sizeof *v);
      if (!nv)
        goto out;
      v = nv;
      cap = cap ? cap * 2 : 8;
    }
    if (!(v[*n] = strdup(e->d_name)))
      goto out;
    (*n)++;
  }
  if (*n)
    qsort(v, *n, sizeof *v, by_name);
  *names = v;
  v = NULL;
  rc = 0;
out:
  if (rc) {
    WEFT_ERR(err, rc, "out of memory");
    while (v && *n)
      free(v[--*n]);
  }
  free(v);
  closedir(d);
  return rc;
}

/* Free what list() returned. */
static void free_list(char **names, size_t n) {
  while (n)
    free(names[--n]);
  free(names);
}

/* Read `path` and add it to `group`. */
static int add_path(weft__wit_t *w, unsigned group, const char *path,
                    weft_error_t *err) {
  uint8_t *data = NULL;
  size_t len = 0;
  int rc = weft__read_file(path, &data, &len, err);
  if (!rc)
    rc = weft__wit_add_file(w, group, path, (const char *)data, len, err);
  free(data);
  return rc;
}

/* Add the .wit files of directory `dir` to `group`; *added counts them. */
static int add_dir(weft__wit_t *w, unsigned group, const char *dir,
                   size_t *added, weft_error_t *err) {
  char **names;
  size_t n, i;
  int rc = list(dir, false, &names, &n, err);
  for (i = 0; !rc && i < n; i++) {
    char *path = join(dir, names[i]);
    rc = path ? add_path(w, group, path, err)
              : WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
    free(path);
  }
  *added = rc ? 0 : n;
  free_list(names, n);
  return rc;
}

int weft__wit_load(const char *path, weft__wit_t **out, weft_error_t *err) {
  weft__wit_t *w = weft__wit_new();
  char *deps = NULL, **names = NULL;
  size_t n = 0, i, added;
  unsigned group = 1;
  struct stat st;
  int rc;
  *out = NULL;
  if (!w)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  if (stat(path, &st) < 0) {
    rc = WEFT_ERR(err, errno == ENOENT ? WEFT_ENOENT : WEFT_EIO,
                  "cannot open '%s': %s", path, strerror(errno));
    goto out;
  }
  if (!S_ISDIR(st.st_mode)) {
    rc = add_path(w, 0, path, err);
    goto resolve;
  }
  if ((rc = add_dir(w, 0, path, &added, err)) != 0)
    goto out;
  if (!added) {
    rc = WEFT_ERR(err, WEFT_ENOENT, "no .wit files in '%s'", path);
    goto out;
  }
  if (!(deps = join(path, "deps"))) {
    rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
    goto out;
  }
  if (stat(deps, &st) == 0 && S_ISDIR(st.st_mode)) {
    if ((rc = list(deps, true, &names, &n, err)) != 0)
      goto out;
    for (i = 0; i < n && !rc; i++, group++) {
      char *p = join(deps, names[i]);
      struct stat ds;
      if (!p) {
        rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
        break;
      }
      if (stat(p, &ds) == 0 && S_ISDIR(ds.st_mode))
        rc = add_dir(w, group, p, &added, err);
      else
        rc = add_path(w, group, p, err);
      free(p);
    }
    if (rc)
      goto out;
  }
resolve:
  if (!rc)
    rc = weft__wit_resolve(w, err);
out:
  free_list(names, n);
  free(deps);
  if (rc) {
    weft__wit_free(w);
    return rc;
  }
  *out = w;
  return 0;
}

/* toml_test.c - the toml-test decoder for Weft's TOML parser, and a runner
 * for the toml-test corpus.
 *
 *   toml_test --decode            TOML on stdin -> tagged JSON on stdout;
 *                                 exit 1 with the error on stderr if the
 *                                 input is rejected (toml-test's decoder
 *                                 interface)
 *   toml_test --run DIR [--expected FILE]
 *                                 decode every DIR/valid/ ** /X.toml and
 *                                 compare with X.json, check that every
 *                                 DIR/invalid/ ** /X.toml is rejected
 *
 * The runner prints one line per failure, then "toml-test: N passed, N
 * failed" and, as its very last line, "N passed, N failed", where failed
 * counts only the failures that FILE (default tests/conformance/toml-
 * expected-failures.txt when present) does not list; listed ones are
 * reported and counted on a line of their own. It exits 1 on an unlisted
 * failure. FILE has one path relative to DIR per line, e.g.
 * "valid/key/foo.toml  # reason".
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "toml/toml.h"

#define DEFAULT_EXPECTED "tests/conformance/toml-expected-failures.txt"

/* ---- TOML -> tagged JSON ----------------------------------------------- */

/* {"type": type, "value": value} (value taken), or NULL on failure. */
static json_t *tagged(const char *type, json_t *value) {
  json_t *o = json_object();
  if (!o || !value || json_object_set_new(o, "type", json_string(type)) ||
      json_object_set_new(o, "value", value)) {
    json_decref(o);
    json_decref(value);
    return NULL;
  }
  return o;
}

/* Shortest "%.Ng" form of `f` that reads back exactly, or inf/nan. */
static void format_float(double f, char buf[40]) {
  int prec;
  if (isnan(f)) {
    snprintf(buf, 40, "nan");
    return;
  }
  if (isinf(f)) {
    snprintf(buf, 40, "%s", f < 0 ? "-inf" : "inf");
    return;
  }
  for (prec = 1; prec <= 17; prec++) {
    snprintf(buf, 40, "%.*g", prec, f);
    if (strtod(buf, NULL) == f)
      return;
  }
}

/* Date-time `n` in toml-test's canonical form: 'T', 'Z', the fraction as
 * precise as written. `buf` holds at least 64 bytes. */
static void format_datetime(const weft__toml_t *n, char *buf, size_t cap) {
  const weft__toml_datetime_t *dt = &n->u.datetime.dt;
  size_t o = 0;
  if (n->type != WEFT__TOML_LOCAL_TIME)
    o += (size_t)snprintf(buf + o, cap - o, "%04d-%02d-%02d", dt->year,
                          dt->month, dt->day);
  if (n->type == WEFT__TOML_LOCAL_DATE)
    return;
  if (n->type != WEFT__TOML_LOCAL_TIME)
    buf[o++] = 'T';
  o += (size_t)snprintf(buf + o, cap - o, "%02d:%02d:%02d", dt->hour,
                        dt->minute, dt->second);
  if (dt->frac_digits) {
    int div = 1, i;
    for (i = dt->frac_digits; i < 9; i++)
      div *= 10;
    o += (size_t)snprintf(buf + o, cap - o, ".%0*d", dt->frac_digits,
                          dt->nanosecond / div);
  }
  if (n->type != WEFT__TOML_DATETIME)
    return;
  if (dt->offset_z) {
    snprintf(buf + o, cap - o, "Z");
  } else {
    int m = dt->offset_minutes < 0 ? -dt->offset_minutes : dt->offset_minutes;
    snprintf(buf + o, cap - o, "%c%02d:%02d",
             dt->offset_minutes < 0 ? '-' : '+', m / 60, m % 60);
  }
}

/* jansson cannot read a NUL in an object key, so for comparisons both sides
 * replace U+0000 by U+0001 U+0001 and U+0001 by U+0001 U+0002, which is
 * reversible and keeps equal strings equal. */

/* A JSON string of `s` (`len` bytes), byte-stuffed if `stuff`. */
static json_t *jstr(const char *s, size_t len, bool stuff) {
  weft__buf_t b;
  json_t *j;
  size_t i;
  if (!stuff || (!memchr(s, 0, len) && !memchr(s, 1, len)))
    return json_stringn(s, len);
  weft__buf_init(&b);
  for (i = 0; i < len; i++) {
    char two[2] = {1, s[i] ? 2 : 1};
    if ((s[i] == 0 || s[i] == 1 ? weft__buf_add(&b, two, 2)
                                : weft__buf_add(&b, &s[i], 1))) {
      weft__buf_release(&b);
      return NULL;
    }
  }
  j = json_stringn(b.data, b.len);
  weft__buf_release(&b);
  return j;
}

/* Byte-stuff the JSON text `text` as jstr does (on the \u0000 and \u0001
 * escapes; JSON has no raw control characters). Caller frees the result;
 * NULL when out of memory. */
static char *stuff_json(const char *text, size_t len) {
  weft__buf_t b;
  size_t i;
  int rc = 0;
  weft__buf_init(&b);
  for (i = 0; i < len && !rc; i++) {
    if (text[i] == '\\' && i + 5 < len && !memcmp(text + i + 1, "u000", 4) &&
        (text[i + 5] == '0' || text[i + 5] == '1')) {
      rc = weft__buf_puts(&b, text[i + 5] == '0' ? "\\u0001\\u0001"
                                                 : "\\u0001\\u0002");
      i += 5;
    } else if (text[i] == '\\' && i + 1 < len) {
      rc = weft__buf_add(&b, text + i, 2);
      i++;
    } else {
      rc = weft__buf_add(&b, text + i, 1);
    }
  }
  if (rc || !b.data) {
    weft__buf_release(&b);
    return rc ? NULL : strdup("");
  }
  return b.data;
}

/* The tagged JSON of `n`, or NULL when out of memory. `stuff`: byte-stuff
 * strings and keys (see jstr). */
static json_t *to_json(const weft__toml_t *n, bool stuff) {
  char buf[64];
  json_t *j, *k;
  size_t i;
  switch (n->type) {
  case WEFT__TOML_TABLE:
    if (!(j = json_object()))
      return NULL;
    for (i = 0; i < n->u.table.len; i++) {
      const weft__toml_kv_t *kv = &n->u.table.items[i];
      k = jstr(kv->key, kv->key_len, stuff);
      if (!k || json_object_setn_new(j, json_string_value(k),
                                     json_string_length(k),
                                     to_json(kv->value, stuff))) {
        json_decref(k);
        json_decref(j);
        return NULL;
      }
      json_decref(k);
    }
    return j;
  case WEFT__TOML_ARRAY:
    if (!(j = json_array()))
      return NULL;
    for (i = 0; i < n->u.array.len; i++) {
      if (json_array_append_new(j, to_json(n->u.array.items[i], stuff))) {
        json_decref(j);
        return NULL;
      }
    }
    return j;
  case WEFT__TOML_STRING:
    return tagged("string", jstr(n->u.string.ptr, n->u.string.len, stuff));
  case WEFT__TOML_INTEGER:
    snprintf(buf, sizeof buf, "%" PRId64, n->u.integer);
    return tagged("integer", json_string(buf));
  case WEFT__TOML_FLOAT:
    format_float(n->u.flt, buf);
    return tagged("float", json_string(buf));
  case WEFT__TOML_BOOL:
    return tagged("bool", json_string(n->u.boolean ? "true" : "false"));
  case WEFT__TOML_DATETIME:
    format_datetime(n, buf, sizeof buf);
    return tagged("datetime", json_string(buf));
  case WEFT__TOML_LOCAL_DATETIME:
    format_datetime(n, buf, sizeof buf);
    return tagged("datetime-local", json_string(buf));
  case WEFT__TOML_LOCAL_DATE:
    format_datetime(n, buf, sizeof buf);
    return tagged("date-local", json_string(buf));
  case WEFT__TOML_LOCAL_TIME:
    format_datetime(n, buf, sizeof buf);
    return tagged("time-local", json_string(buf));
  }
  return NULL;
}

/* ---- comparison -------------------------------------------------------- */

/* True if `j` is a tagged scalar {"type": "...", "value": "..."}. */
static bool is_tagged(const json_t *j) {
  return json_is_object(j) && json_object_size(j) == 2 &&
         json_is_string(json_object_get(j, "type")) &&
         json_is_string(json_object_get(j, "value"));
}

/* Normalise a date-time for comparison into `out` (`cap` bytes): upper
 * case, 'T' between date and time, no trailing zeros in the fraction,
 * "+00:00" and "-00:00" as "Z". */
static void norm_datetime(const char *s, char *out, size_t cap) {
  size_t n = 0, i, dot;
  char *p;
  for (i = 0; s[i] && n + 1 < cap; i++) {
    char c = s[i];
    if (c >= 'a' && c <= 'z')
      c = (char)(c - 'a' + 'A');
    if (c == ' ' && i == 10)
      c = 'T';
    out[n++] = c;
  }
  out[n] = 0;
  p = strchr(out, '.');
  if (p) {
    dot = (size_t)(p - out);
    for (i = dot + 1; out[i] >= '0' && out[i] <= '9'; i++)
      ;
    {
      size_t end = i, keep = i;
      while (keep > dot + 1 && out[keep - 1] == '0')
        keep--;
      if (keep == dot + 1)
        keep = dot;
      memmove(out + keep, out + end, strlen(out + end) + 1);
    }
  }
  n = strlen(out);
  if (n >= 6 && (!strcmp(out + n - 6, "+00:00") ||
                 !strcmp(out + n - 6, "-00:00")))
    memcpy(out + n - 6, "Z", 2);
}

/* Compare tagged scalars; on a mismatch write the reason to `why`. */
static bool same_scalar(const json_t *want, const json_t *got,
                        const char *path, char *why, size_t cap) {
  const char *wt = json_string_value(json_object_get(want, "type"));
  const char *gt = json_string_value(json_object_get(got, "type"));
  const json_t *wj = json_object_get(want, "value");
  const json_t *gj = json_object_get(got, "value");
  const char *wv = json_string_value(wj), *gv = json_string_value(gj);
  bool same;
  if (strcmp(wt, gt)) {
    snprintf(why, cap, "%s: type %s, want %s", path, gt, wt);
    return false;
  }
  if (!strcmp(wt, "string")) {
    same = json_string_length(wj) == json_string_length(gj) &&
           !memcmp(wv, gv, json_string_length(wj));
  } else if (!strcmp(wt, "integer")) {
    same = strtoll(wv, NULL, 10) == strtoll(gv, NULL, 10);
  } else if (!strcmp(wt, "float")) {
    double a = strtod(wv, NULL), b = strtod(gv, NULL);
    same = (isnan(a) && isnan(b)) || a == b;
  } else if (!strcmp(wt, "bool")) {
    same = !strcmp(wv, gv);
  } else {
    char a[128], b[128];
    norm_datetime(wv, a, sizeof a);
    norm_datetime(gv, b, sizeof b);
    same = !strcmp(a, b);
  }
  if (!same)
    snprintf(why, cap, "%s: %s %s, want %s", path, wt, gv, wv);
  return same;
}

/* Structural comparison of expected `want` and decoded `got`; on a
 * mismatch write the first difference to `why`. */
static bool same_json(const json_t *want, const json_t *got,
                      const char *path, char *why, size_t cap) {
  char sub[512];
  if (is_tagged(want)) {
    if (!is_tagged(got)) {
      snprintf(why, cap, "%s: got a %s, want a value", path,
               json_is_array(got) ? "array" : "table");
      return false;
    }
    return same_scalar(want, got, path, why, cap);
  }
  if (json_is_array(want)) {
    size_t i;
    if (!json_is_array(got)) {
      snprintf(why, cap, "%s: not an array", path);
      return false;
    }
    if (json_array_size(want) != json_array_size(got)) {
      snprintf(why, cap, "%s: %zu elements, want %zu", path,
               json_array_size(got), json_array_size(want));
      return false;
    }
    for (i = 0; i < json_array_size(want); i++) {
      snprintf(sub, sizeof sub, "%s[%zu]", path, i);
      if (!same_json(json_array_get(want, i), json_array_get(got, i), sub,
                     why, cap))
        return false;
    }
    return true;
  }
  if (json_is_object(want)) {
    const char *key;
    json_t *v;
    if (!json_is_object(got) || is_tagged(got)) {
      snprintf(why, cap, "%s: not a table", path);
      return false;
    }
    json_object_foreach((json_t *)want, key, v) {
      size_t klen = json_object_iter_key_len(json_object_key_to_iter(key));
      json_t *g = json_object_getn(got, key, klen);
      snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", key);
      if (!g) {
        snprintf(why, cap, "%s: missing", sub);
        return false;
      }
      if (!same_json(v, g, sub, why, cap))
        return false;
    }
    json_object_foreach((json_t *)got, key, v) {
      size_t klen = json_object_iter_key_len(json_object_key_to_iter(key));
      if (!json_object_getn(want, key, klen)) {
        snprintf(why, cap, "%s%s%s: unexpected key", path, *path ? "." : "",
                 key);
        return false;
      }
    }
    return true;
  }
  snprintf(why, cap, "%s: unexpected JSON in the expected file", path);
  return false;
}

/* ---- decoder ----------------------------------------------------------- */

/* Read all of stdin into *out (caller frees) and its size into *len. */
static int read_stdin(char **out, size_t *len) {
  weft__buf_t b;
  char chunk[65536];
  size_t n;
  weft__buf_init(&b);
  while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0)
    if (weft__buf_add(&b, chunk, n)) {
      weft__buf_release(&b);
      return -1;
    }
  if (ferror(stdin)) {
    weft__buf_release(&b);
    return -1;
  }
  *out = b.data;
  *len = b.len;
  return 0;
}

/* --decode: TOML on stdin, tagged JSON on stdout. Returns the exit code. */
static int decode(void) {
  char *text = NULL;
  size_t len = 0;
  weft__toml_t *root = NULL;
  weft_error_t err;
  json_t *j = NULL;
  int rc = 1;
  if (read_stdin(&text, &len)) {
    fprintf(stderr, "toml_test: cannot read stdin\n");
    goto out;
  }
  if (weft__toml_parse(text, len, "<stdin>", &root, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    goto out;
  }
  if (!(j = to_json(root, false)) ||
      json_dumpf(j, stdout, JSON_INDENT(2) | JSON_SORT_KEYS)) {
    fprintf(stderr, "toml_test: out of memory\n");
    goto out;
  }
  putchar('\n');
  rc = 0;
out:
  json_decref(j);
  weft__toml_free(root);
  free(text);
  return rc;
}

/* ---- runner ------------------------------------------------------------ */

typedef struct list {
  char **items;
  size_t len, cap;
} list_t;

/* Append a copy of `s` to `l`. Returns 0 or -1. */
static int list_add(list_t *l, const char *s) {
  char *c;
  if (l->len == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 64;
    char **items = realloc(l->items, cap * sizeof *items);
    if (!items)
      return -1;
    l->items = items;
    l->cap = cap;
  }
  if (!(c = strdup(s)))
    return -1;
  l->items[l->len++] = c;
  return 0;
}

/* Free the strings of `l` and its array. */
static void list_release(list_t *l) {
  size_t i;
  for (i = 0; i < l->len; i++)
    free(l->items[i]);
  free(l->items);
  memset(l, 0, sizeof *l);
}

/* qsort comparator for strings. */
static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* True if `l` holds `s`. */
static bool list_has(const list_t *l, const char *s) {
  size_t i;
  for (i = 0; i < l->len; i++)
    if (!strcmp(l->items[i], s))
      return true;
  return false;
}

/* Add to `out` every *.toml below `root`/`rel`, as paths relative to
 * `root`. Returns 0 or -1 (message printed). */
static int walk(const char *root, const char *rel, list_t *out) {
  char path[4096], sub[4096];
  struct dirent *e;
  DIR *d;
  int rc = 0;
  snprintf(path, sizeof path, "%s/%s", root, rel);
  if (!(d = opendir(path))) {
    fprintf(stderr, "toml_test: cannot open '%s': %s\n", path,
            strerror(errno));
    return -1;
  }
  while (!rc && (e = readdir(d))) {
    struct stat st;
    size_t n = strlen(e->d_name);
    if (e->d_name[0] == '.')
      continue;
    if (snprintf(sub, sizeof sub, "%s/%s", rel, e->d_name) >=
            (int)sizeof sub ||
        snprintf(path, sizeof path, "%s/%s", root, sub) >= (int)sizeof path ||
        stat(path, &st))
      continue;
    if (S_ISDIR(st.st_mode))
      rc = walk(root, sub, out);
    else if (n > 5 && !strcmp(e->d_name + n - 5, ".toml"))
      rc = list_add(out, sub);
  }
  closedir(d);
  return rc;
}

/* Load the expected-failure list `file` into `out`: one path per line,
 * '#' starts a comment. A missing file is an empty list unless `must`. */
static int load_expected(const char *file, bool must, list_t *out) {
  char line[4096];
  FILE *f = fopen(file, "r");
  if (!f) {
    if (!must)
      return 0;
    fprintf(stderr, "toml_test: cannot open '%s': %s\n", file,
            strerror(errno));
    return -1;
  }
  while (fgets(line, sizeof line, f)) {
    char *s = line, *e = strchr(line, '#');
    if (e)
      *e = 0;
    while (*s == ' ' || *s == '\t')
      s++;
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
                     e[-1] == '\r'))
      *--e = 0;
    if (*s && list_add(out, s)) {
      fclose(f);
      return -1;
    }
  }
  fclose(f);
  return 0;
}

/* Check one corpus file `rel` under `dir`; on failure write why. */
static bool check_file(const char *dir, const char *rel, char *why,
                       size_t cap) {
  char path[4096];
  uint8_t *data = NULL;
  char *text = NULL;
  size_t len = 0;
  weft__toml_t *root = NULL;
  weft_error_t err;
  json_t *want = NULL, *got = NULL;
  json_error_t jerr;
  bool ok = false, valid = !strncmp(rel, "valid/", 6);
  int rc;

  snprintf(path, sizeof path, "%s/%s", dir, rel);
  if (weft__read_file(path, &data, &len, &err)) {
    snprintf(why, cap, "%s", err.msg);
    goto out;
  }
  rc = weft__toml_parse((const char *)data, len, rel, &root, &err);
  if (!valid) {
    ok = rc == WEFT_EPARSE || rc == WEFT_ELIMIT;
    if (!ok)
      snprintf(why, cap, rc ? "rejected with %s: %s" : "accepted",
               weft_err_name(rc), rc ? err.msg : "");
    goto out;
  }
  if (rc) {
    snprintf(why, cap, "rejected: %s", err.msg);
    goto out;
  }
  free(data);
  data = NULL;
  snprintf(path + strlen(path) - 5, 6, ".json");
  if (weft__read_file(path, &data, &len, &err)) {
    snprintf(why, cap, "%s", err.msg);
    goto out;
  }
  if (!(text = stuff_json((const char *)data, len))) {
    snprintf(why, cap, "out of memory");
    goto out;
  }
  if (!(want = json_loads(text, JSON_ALLOW_NUL, &jerr))) {
    snprintf(why, cap, "cannot load expected JSON: %s", jerr.text);
    goto out;
  }
  if (!(got = to_json(root, true))) {
    snprintf(why, cap, "out of memory");
    goto out;
  }
  ok = same_json(want, got, "", why, cap);
out:
  json_decref(want);
  json_decref(got);
  weft__toml_free(root);
  free(text);
  free(data);
  return ok;
}

/* --run DIR: check the whole corpus. Returns the exit code. */
static int run(const char *dir, const char *expected_file, bool must) {
  list_t files = {0}, expected = {0};
  size_t i, passed = 0, failed = 0, xfailed = 0;
  int rc = 2;
  if (load_expected(expected_file, must, &expected) ||
      walk(dir, "valid", &files) || walk(dir, "invalid", &files))
    goto out;
  qsort(files.items, files.len, sizeof *files.items, cmp_str);
  for (i = 0; i < files.len; i++) {
    char why[1024] = "";
    bool listed = list_has(&expected, files.items[i]);
    if (check_file(dir, files.items[i], why, sizeof why)) {
      passed++;
      if (listed)
        printf("note: %s passes; remove it from %s\n", files.items[i],
               expected_file);
    } else if (listed) {
      xfailed++;
      printf("expected failure: %s: %s\n", files.items[i], why);
    } else {
      failed++;
      printf("FAIL %s: %s\n", files.items[i], why);
    }
  }
  if (xfailed)
    printf("toml-test: %zu expected failures (listed in %s)\n", xfailed,
           expected_file);
  printf("toml-test: %zu passed, %zu failed\n", passed, failed);
  printf("%zu passed, %zu failed\n", passed, failed);
  rc = failed ? 1 : 0;
out:
  list_release(&files);
  list_release(&expected);
  return rc;
}

/* Print usage and return 2. */
static int usage(void) {
  fprintf(stderr, "usage: toml_test --decode\n"
                  "       toml_test --run DIR [--expected FILE]\n");
  return 2;
}

/* Dispatch on the mode; see the top of the file. */
int main(int argc, char **argv) {
  if (argc == 2 && !strcmp(argv[1], "--decode"))
    return decode();
  if (argc == 3 && !strcmp(argv[1], "--run"))
    return run(argv[2], DEFAULT_EXPECTED, false);
  if (argc == 5 && !strcmp(argv[1], "--run") &&
      !strcmp(argv[3], "--expected"))
    return run(argv[2], argv[4], true);
  return usage();
}

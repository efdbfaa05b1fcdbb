/* compile.c - ahead-of-time compilation through wasm2c and the system C
 * compiler, into a content-addressed cache.
 *
 * Key: SHA-256 over the module's hash, WEFT_ABI_VERSION, the version of the
 * rewrite of wasm2c's output (rewrite.c), the NaN rewrite's version when
 * the engine makes NaNs canonical, the write-tracking rewrite's when it
 * tracks writes, and the identity of the tools (see
 * engine.c). Entries are written to a private temporary directory and
 * renamed into place, so concurrent weft processes compiling the same
 * module never see a partial file; a damaged entry is detected at load (see
 * module.c) and rebuilt.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/engine_int.h"
#include "engine/rewrite.h"
#include "engine/shim.h"
#include "util/proc.h"

/* abi.h's text, embedded at build time. */
__asm__(".section .rodata\n"
        ".global weft__abi_text\n"
        ".hidden weft__abi_text\n"
        "weft__abi_text:\n"
        ".incbin \"src/engine/abi.h\"\n"
        ".byte 0\n"
        ".previous\n");
extern const char weft__abi_text[];

/* How every module is compiled; part of the cache key. No sibling-call
 * optimisation: wasm calls are not tail calls, and a guest recursing
 * forever must exhaust the stack, not loop. */
#define CC_FLAGS                                                          \
  "-fPIC", "-shared", "-fvisibility=hidden", "-fno-strict-aliasing",      \
      "-fno-optimize-sibling-calls", "-w", "-I.", "-Wl,-Bsymbolic"
static const char *const cc_flags[] = {CC_FLAGS};

char *weft__cache_path(weft_engine_t *e, const char *sha, const char *ext) {
  char key[65];
  weft__buf_t b;
  weft__buf_init(&b);
  weft__buf_printf(&b, "%s|abi%d|%s|%s", sha, WEFT_ABI_VERSION,
                   WEFT_REWRITE_VERSION, e->tool_id);
  /* Nothing added without it: existing cache entries stay valid. */
  if (e->canonical_nans)
    weft__buf_puts(&b, "|" WEFT_REWRITE_NANS_VERSION);
  if (e->track_writes)
    weft__buf_puts(&b, "|" WEFT_REWRITE_TRACK_VERSION);
  for (size_t i = 0; i < sizeof cc_flags / sizeof cc_flags[0]; i++)
    weft__buf_printf(&b, "|%s", cc_flags[i]);
  weft__sha256_hex(b.data, b.len, key);
  b.len = 0;
  weft__buf_printf(&b, "%s/%.2s/%s%s", e->cache_dir, key, key, ext);
  return b.data;
}

static int write_in(const char *dir, const char *file, const void *data,
                    size_t len, weft_error_t *err) {
  char p[4096];
  snprintf(p, sizeof p, "%s/%s", dir, file);
  FILE *f = fopen(p, "wb");
  if (!f)
    return WEFT_ERR(err, WEFT_ECACHE, "cannot write '%s'", p);
  size_t n = fwrite(data, 1, len, f);
  if (fclose(f) != 0 || n != len)
    return WEFT_ERR(err, WEFT_ECACHE, "cannot write '%s'", p);
  return 0;
}

/* The first lines of a tool's output, for an error message. */
static void tool_output(const char *dir, const char *file, char *out,
                        size_t size) {
  char p[4096];
  snprintf(p, sizeof p, "%s/%s", dir, file);
  out[0] = 0;
  FILE *f = fopen(p, "r");
  if (!f)
    return;
  size_t n = fread(out, 1, size - 1, f);
  fclose(f);
  out[n] = 0;
  for (char *s = out; *s; s++)
    if (*s == '\n') {
      if (s[1] == 0 || s - out > 160) {
        *s = 0;
        break;
      }
      *s = ' ';
    }
}

static int run_tool(const char *const *argv, const char *dir,
                    weft__progress_t *pg, const char *what,
                    const char *name, weft_error_t *err) {
  char log[4096];
  snprintf(log, sizeof log, "%s/%s.log", dir, what);
  int status = 0;
  int rc = weft__spawn(argv, dir, log, pg, &status, err);
  if (rc == WEFT_ENOENT)
    return WEFT_ERR(err, WEFT_ECOMPILE,
                    "cannot compile '%s': '%s' not found (install %s)", name,
                    argv[0], !strcmp(what, "wasm2c") ? "Debian's 'wabt'"
                                                     : "a C compiler");
  if (rc)
    return rc;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return 0;
  char out[512];
  tool_output(dir, strrchr(log, '/') + 1, out, sizeof out);
  if (!strcmp(what, "wasm2c")) {
    if (WIFSIGNALED(status) || strstr(out, "only supports a limited set"))
      return WEFT_ERR(err, WEFT_EUNSUPPORTED,
                      "cannot compile '%s': unsupported feature (wasm2c: %s)",
                      name, out[0] ? out : "crashed");
    return WEFT_ERR(err, WEFT_EINVALID, "invalid module '%s': %s", name,
                    out[0] ? out : "rejected by wasm2c");
  }
  return WEFT_ERR(err, WEFT_ECOMPILE, "cannot compile '%s': %s failed: %s",
                  name, argv[0], out[0] ? out : "no output");
}

int weft__compile(weft_engine_t *e, const weft__wasm_t *w,
                  const uint8_t *bytes, size_t len, const char *sha,
                  const char *name, char **so_path, int *temporary,
                  weft_error_t *err) {
  int rc = WEFT_ECOMPILE;
  char *final = NULL, *csrc = NULL, *tmp = NULL;
  weft__buf_t shim;
  weft__buf_init(&shim);
  *temporary = 0;

  final = weft__cache_path(e, sha, ".so");
  if (!final)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  if (!e->no_cache && access(final, R_OK) == 0) {
    *so_path = final;
    return 0;
  }

  /* A private working directory: under the cache when there is one. */
  weft__buf_t t;
  weft__buf_init(&t);
  if (!e->no_cache) {
    weft__buf_printf(&t, "%s/tmp", e->cache_dir);
    if (weft__mkdirs(t.data, err) < 0) {
      rc = WEFT_ERR(err, WEFT_ECACHE, "cache directory '%s' is not writable",
                    e->cache_dir);
      weft__buf_release(&t);
      goto out;
    }
    weft__buf_puts(&t, "/c.XXXXXX");
  } else {
    const char *td = getenv("TMPDIR");
    weft__buf_printf(&t, "%s/weft.XXXXXX", td && *td ? td : "/tmp");
  }
  tmp = t.data;
  if (!mkdtemp(tmp)) {
    rc = WEFT_ERR(err, WEFT_ECACHE, "cannot create a directory in '%s'",
                  e->cache_dir);
    free(tmp);
    tmp = NULL;
    goto out;
  }

  weft__progress_t pg = {.start_ns = weft__now_ns()};
  snprintf(pg.line, sizeof pg.line, "weft: compiling '%s' (%zu KiB)...",
           name, (len + 1023) / 1024);
  weft__progress_t *pgp = e->progress ? &pg : NULL;

  if ((rc = write_in(tmp, "module.wasm", bytes, len, err)) < 0)
    goto out;
  if ((rc = write_in(tmp, "abi.h", weft__abi_text, strlen(weft__abi_text),
                     err)) < 0)
    goto out;
  const char *w2c[] = {"wasm2c", "module.wasm", "-n", "m",
                       "-o", "m.c", NULL};
  if ((rc = run_tool(w2c, tmp, pgp, "wasm2c", name, err)) < 0)
    goto out;

  char p[4096];
  size_t clen;
  snprintf(p, sizeof p, "%s/m.c", tmp);
  if ((rc = weft__read_file(p, (uint8_t **)&csrc, &clen, err)) < 0)
    goto out;
  weft__shim_info_t info = {sha, len, e->tool_id, csrc};
  if ((rc = weft__shim_write(w, &info, &shim, err)) < 0)
    goto out;
  if ((rc = write_in(tmp, "shim.c", shim.data, shim.len, err)) < 0)
    goto out;
  /* m.c is compiled as rewritten (see rewrite.c); the shim was made from
   * wasm2c's own text. Canonical NaNs first: without them the code
   * would not be what the cache key says, so text they cannot handle is
   * an error. */
  if (e->canonical_nans) {
    weft__buf_t nans;
    weft__buf_init(&nans);
    if ((rc = weft__rewrite_nans(csrc, clen, &nans)) < 0) {
      weft__buf_release(&nans);
      rc = rc == WEFT_ENOMEM
               ? WEFT_ERR(err, WEFT_ENOMEM, "out of memory")
               : WEFT_ERR(err, WEFT_EUNSUPPORTED,
                          "cannot compile '%s' with canonical NaNs: "
                          "unexpected wasm2c output", name);
      goto out;
    }
    free(csrc); /* csrc takes the buffer's text */
    csrc = nans.data;
    clen = nans.len;
  }
  shim.len = 0;
  if ((rc = weft__rewrite(csrc, clen, &shim)) < 0) {
    rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
    goto out;
  }
  /* Write tracking last, over what the other rewrites made: it marks
   * their stores too. As with NaNs, text it cannot handle is an error. */
  if (e->track_writes) {
    weft__buf_t track;
    weft__buf_init(&track);
    const char *text = rc > 0 ? shim.data : csrc;
    size_t tlen = rc > 0 ? shim.len : clen;
    if ((rc = weft__rewrite_track(text, tlen, &track)) < 0) {
      weft__buf_release(&track);
      rc = rc == WEFT_ENOMEM
               ? WEFT_ERR(err, WEFT_ENOMEM, "out of memory")
               : WEFT_ERR(err, WEFT_EUNSUPPORTED,
                          "cannot compile '%s' with write tracking: "
                          "unexpected wasm2c output", name);
      goto out;
    }
    weft__buf_release(&shim);
    shim = track; /* shim takes the buffer's text */
    rc = 1;
  }
  if (rc > 0 || e->canonical_nans) {
    const char *text = rc > 0 ? shim.data : csrc;
    size_t tlen = rc > 0 ? shim.len : clen;
    if ((rc = write_in(tmp, "m.c", text, tlen, err)) < 0)
      goto out;
  }

  char opt[8];
  snprintf(opt, sizeof opt, "-O%d", e->opt_level);
  const char *cc[] = {e->cc, opt, CC_FLAGS, "-o", "out.so", "shim.c", "-lm",
                      NULL};
  if ((rc = run_tool(cc, tmp, pgp, "cc", name, err)) < 0)
    goto out;
  if (pg.shown)
    fprintf(stderr, "weft: compiled '%s' in %.1f s\n", name,
            (double)(weft__now_ns() - pg.start_ns) / 1e9);

  snprintf(p, sizeof p, "%s/out.so", tmp);
  if (e->no_cache) {
    char *keep = strdup(p);
    if (!keep) {
      rc = WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
      goto out;
    }
    free(final);
    final = keep;
    *temporary = 1;
    tmp = NULL; /* the caller removes it after dlopen */
    rc = 0;
    goto out;
  }
  char *slash = strrchr(final, '/');
  *slash = 0;
  rc = weft__mkdirs(final, err);
  *slash = '/';
  if (rc < 0)
    goto out;
  if (rename(p, final) < 0) {
    rc = WEFT_ERR(err, WEFT_ECACHE, "cannot store '%s' in the cache", name);
    goto out;
  }
  /* A small description beside it, for `weft cache list`. */
  char *info_path = weft__cache_path(e, sha, ".info");
  if (info_path) {
    weft__buf_t d;
    weft__buf_init(&d);
    weft__buf_printf(&d, "name=%s\nsha256=%s\nsize=%zu\n", name, sha, len);
    weft__write_file_atomic(info_path, d.data, d.len, NULL);
    weft__buf_release(&d);
    free(info_path);
  }
  rc = 0;
out:
  if (tmp)
    weft__rm_rf(tmp);
  free(tmp);
  free(csrc);
  weft__buf_release(&shim);
  if (rc == 0)
    *so_path = final;
  else
    free(final);
  return rc;
}

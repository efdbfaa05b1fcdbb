/* unit_bench.c - the in-process measurements of bench/unit.sh:
 *
 *   step     one cycle of a unit held open (weft__unit_cycle_now: run the
 *            guest, hash the changed pages, seal and sign the entry,
 *            commit it with synchronous=FULL), p50 and mean over STEPS;
 *   fsync    a bare write of 4 KiB and fsync of a copy of the same unit
 *            file, the floor any durable commit pays, p50 and mean; one
 *            after each step, so both see the same load on the disk;
 *   verify   `weft unit verify` (weft__unit_verify, no replay) of a unit
 *            with LONG entries. The long unit is built here with the same
 *            cycle function, only with no syncs, an exclusive lock and
 *            the rollback journal in memory (PRAGMAs on the handle), so
 *            building 100 000 entries takes seconds rather than 100 000
 *            fsyncs; the entries are ordinary signed cycle entries.
 *
 * usage: unit_bench GUEST.wasm SCHEMA POLICY DIR STEPS LONG */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "unit/unit.h"
#include "weft.h"

static void die(const char *what, const weft_error_t *err)
    __attribute__((noreturn));
static void die(const char *what, const weft_error_t *err) {
  fprintf(stderr, "unit_bench: %s: %s\n", what, err ? err->msg : "");
  exit(1);
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static void stats(uint64_t *ns, size_t n, double *p50, double *mean) {
  double sum = 0;
  for (size_t i = 0; i < n; i++)
    sum += (double)ns[i];
  qsort(ns, n, sizeof *ns, cmp_u64);
  *p50 = (double)ns[n / 2] / 1e3;
  *mean = sum / (double)n / 1e3;
}

static void make_unit(weft_engine_t *e, const char *code_path,
                      const char *schema_path, const char *policy_path,
                      const char *out, const weft__ukey_t *owner) {
  weft_error_t err = {0};
  uint8_t *code, *mem, *globals;
  char *stext, *ptext;
  size_t clen, slen, plen, glen;
  uint32_t pages;
  weft__uschema_t *s;
  if (weft__read_file(code_path, &code, &clen, &err) < 0 ||
      weft__unit_read_text(schema_path, &stext, &slen, &err) < 0 ||
      weft__unit_read_text(policy_path, &ptext, &plen, &err) < 0 ||
      weft__uschema_parse(stext, slen, schema_path, &s, &err) < 0 ||
      weft__unit_initial_memory(e, code, clen, ptext, s, &mem, &pages,
                                &globals, &glen, &err) < 0)
    die("new", &err);
  weft__unew_t n = {.code = code, .code_len = clen, .schema_text = stext,
                    .policy_text = ptext, .owner = owner, .mem_pages = pages,
                    .mem = mem, .globals = globals, .globals_len = glen,
                    .time_ms = weft__unit_now_ms()};
  unlink(out);
  if (weft__unitfile_create(out, &n, &err) < 0)
    die("create", &err);
  free(code);
  free(mem);
  free(globals);
  free(stext);
  free(ptext);
  weft__uschema_free(s);
}

/* Run `n` cycles of the unit at `path`; per-cycle times into ns (if not
 * NULL). `sync_off` turns the database's syncs off. With `fd` >= 0, each
 * cycle is followed by a bare 4 KiB write and fsync of fd, timed into
 * fns: interleaved, so both see the same load on the disk. */
static void cycles(weft_engine_t *e, const char *path, const weft__ukey_t *h,
                   size_t n, uint64_t *ns, int sync_off, int fd,
                   uint64_t *fns) {
  static uint8_t block[4096];
  weft_error_t err = {0};
  weft__unitfile_t *u;
  weft__urun_t *r;
  if (weft__unit_open_checked(path, &u, &err) < 0 ||
      weft__urun_open(e, u, h, &r, &err) < 0)
    die("open", &err);
  if (sync_off)
    sqlite3_exec(u->db,
                 "PRAGMA synchronous=OFF; PRAGMA locking_mode=EXCLUSIVE;"
                 "PRAGMA journal_mode=MEMORY;", NULL, NULL, NULL);
  uint64_t t = u->head.time_ms;
  for (size_t i = 0; i < n; i++) {
    weft__uresult_t res;
    uint64_t t0 = weft__now_ns();
    if (weft__unit_cycle_now(r, u, t, &res, &err) < 0)
      die("cycle", &err);
    if (ns)
      ns[i] = weft__now_ns() - t0;
    t++; /* entries' times never go back, even within one millisecond */
    if (fd >= 0) {
      block[i % sizeof block]++;
      t0 = weft__now_ns();
      if (pwrite(fd, block, sizeof block, 0) != (ssize_t)sizeof block ||
          fsync(fd) < 0)
        die("fsync", NULL);
      fns[i] = weft__now_ns() - t0;
    }
  }
  weft__urun_free(r);
  weft__unitfile_close(u);
}

int main(int argc, char **argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: unit_bench GUEST.wasm SCHEMA POLICY DIR STEPS "
                    "LONG\n");
    return 2;
  }
  size_t steps = (size_t)atol(argv[5]), lng = (size_t)atol(argv[6]);
  weft_error_t err = {0};
  weft_engine_config_t cfg = {.opt_level = -1};
  weft_engine_t *e = weft_engine_new(&cfg, &err);
  if (!e || weft__unit_init(&err) < 0)
    die("engine", &err);
  weft__ukey_t k;
  weft__ukey_generate(&k);
  char path[4096], copy[4096];
  snprintf(path, sizeof path, "%s/step.unit", argv[4]);
  snprintf(copy, sizeof copy, "%s/fsync.unit", argv[4]);
  make_unit(e, argv[1], argv[2], argv[3], path, &k);
  /* The bare fsync: a 4 KiB write and fsync of a copy of the file. */
  uint8_t *data;
  size_t len;
  if (weft__read_file(path, &data, &len, &err) < 0 ||
      weft__write_file_atomic(copy, data, len, &err) < 0)
    die("copy", &err);
  free(data);
  int fd = open(copy, O_WRONLY);
  if (fd < 0)
    die("open the copy", NULL);
  uint64_t *ns = calloc(steps, sizeof *ns), *fns = calloc(steps, sizeof *fns);
  cycles(e, path, &k, 20, NULL, 0, -1, NULL); /* warm up */
  cycles(e, path, &k, steps, ns, 0, fd, fns);
  close(fd);
  double sp50, smean, fp50, fmean;
  stats(ns, steps, &sp50, &smean);
  stats(fns, steps, &fp50, &fmean);
  printf("unit step (in process)  p50 %8.1f us  mean %8.1f us\n", sp50,
         smean);
  printf("bare 4 KiB write+fsync  p50 %8.1f us  mean %8.1f us\n", fp50,
         fmean);
  printf("step / fsync            p50 %8.2fx  mean %8.2fx  (target <= 2x)\n",
         sp50 / fp50, smean / fmean);
  /* The long unit and its verification. */
  if (lng) {
    snprintf(path, sizeof path, "%s/long.unit", argv[4]);
    make_unit(e, argv[1], argv[2], argv[3], path, &k);
    uint64_t t0 = weft__now_ns();
    cycles(e, path, &k, lng, NULL, 1, -1, NULL);
    double build = (double)(weft__now_ns() - t0) / 1e9;
    weft__unitfile_t *u;
    uint64_t count = 0;
    weft__uverify_opts_t o = {.entries = &count};
    t0 = weft__now_ns();
    if (weft__unitfile_open(path, &u, &err) < 0 ||
        weft__unit_verify(u, &o, &err) < 0)
      die("verify", &err);
    double v = (double)(weft__now_ns() - t0) / 1e9;
    weft__unitfile_close(u);
    printf("long unit               %zu cycles built in %.1f s "
           "(no fsync)\n", lng, build);
    printf("verify                  %llu entries in %.2f s (%.1f us an "
           "entry)\n", (unsigned long long)count, v, v * 1e6 / (double)count);
  }
  free(ns);
  free(fns);
  weft_engine_free(e);
  return 0;
}

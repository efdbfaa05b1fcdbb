/* fuzz_wave.c - libFuzzer target for WAVE (src/cabi/wave.c).
 *
 * The first byte of an input picks a type from a fixed WIT interface that
 * covers every kind of value (or, for one value of the byte, a call to
 * split and whose arguments to parse); the rest is the text. A rejected
 * text must come with one "column N: " line (or "out of memory" under the
 * arena limit). An accepted value must print without error, on one line;
 * the printed text must parse again and print the same. ASan and UBSan
 * turn reads past the text, leaks and undefined behaviour into crashes.
 * The text is copied into an exactly sized buffer. Seeds live in
 * tests/fuzz/corpus/wave/, a dictionary in wave.dict.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cabi/wave.h"

static const char wit_text[] =
    "package fuzz:wave;\n"
    "interface types {\n"
    "  type byte = u8;\n"
    "  record point { x: s32, y: s32 }\n"
    "  record opts { a: option<u8>, b: option<string> }\n"
    "  variant shape { circle(f64), rect(point), empty, none, ok(u8) }\n"
    "  enum kw { ok, err, some, none, true, false, inf, nan, plain }\n"
    "  flags perms { read, write, exec }\n"
    "  record everything {\n"
    "    b: bool, i8: s8, n8: u8, i16: s16, n16: u16, i32: s32, n32: u32,\n"
    "    i64: s64, n64: u64, x32: f32, x64: f64, c: char, s: string,\n"
    "    bytes: list<byte>, strs: list<string>, opt: option<u8>,\n"
    "    optopt: option<option<kw>>, res: result<u8, string>,\n"
    "    resnone: result, reserr: result<_, string>,\n"
    "    tup: tuple<u8, string, bool>, pt: point, op: opts, sh: shape,\n"
    "    k: kw, p: perms,\n"
    "  }\n"
    "  resource blob;\n"
    "  all: func(e: everything, es: list<everything>, v-bool: bool,\n"
    "    v-s8: s8, v-u8: u8, v-s16: s16, v-u16: u16, v-s32: s32,\n"
    "    v-u32: u32, v-s64: s64, v-u64: u64, v-f32: f32, v-f64: f64,\n"
    "    v-char: char, v-string: string, v-list: list<list<s32>>,\n"
    "    v-opt: option<list<u8>>, v-res: result<option<u8>, shape>,\n"
    "    v-tup: tuple<f32, char>, v-rec: opts, v-var: shape, v-enum: kw,\n"
    "    v-flags: perms, v-own: blob, v-borrow: borrow<blob>);\n"
    "  call: func(a: u8, b: option<string>, c: list<point>, d: option<kw>);\n"
    "}\n"
    "world w { export types; }\n";

static weft__wit_t *wit;
static const weft__wit_func_t *all, *call;

/* Abort (so the fuzzer reports it) unless `cond`. */
static void check(int cond) {
  if (!cond)
    abort();
}

/* A rejected text: one line, the right code, a located message. */
static void check_error(int rc, const weft_error_t *err) {
  check(rc == WEFT_EPARSE || rc == WEFT_ENOMEM);
  check(err->code == rc);
  check(!strchr(err->msg, '\n'));
  if (rc == WEFT_EPARSE)
    check(!strncmp(err->msg, "column ", 7));
  else
    check(!strcmp(err->msg, "out of memory"));
}

/* Print `v` of `t`, parse the text, print again: the same text. */
static void round_trip(const weft__wit_type_t *t, const weft_val_t *v,
                       weft__arena_t *a) {
  weft__buf_t p1, p2;
  weft_val_t again;
  weft_error_t err;
  int rc;
  weft__buf_init(&p1);
  weft__buf_init(&p2);
  check(weft__wave_print(t, v, &p1) == 0);
  check(p1.len > 0 && !memchr(p1.data, '\n', p1.len));
  memset(&err, 0, sizeof err);
  rc = weft__wave_parse(t, p1.data, p1.len, a, &again, &err);
  if (rc == WEFT_ENOMEM)
    goto out;
  if (rc) {
    fprintf(stderr, "printed text does not parse: %s\n%s\n", err.msg,
            p1.data);
    abort();
  }
  check(weft__wave_print(t, &again, &p2) == 0);
  if (p1.len != p2.len || memcmp(p1.data, p2.data, p1.len)) {
    fprintf(stderr, "print is not stable:\n%s\n---\n%s\n", p1.data,
            p2.data);
    abort();
  }
out:
  weft__buf_release(&p1);
  weft__buf_release(&p2);
}

/* Load the interface once. */
static void init(void) {
  weft_error_t err;
  const weft__wit_iface_t *f;
  if (wit)
    return;
  if (weft__wit_parse(wit_text, strlen(wit_text), "fuzz.wit", &wit, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    abort();
  }
  f = weft__wit_interface(wit, "types");
  check(f != NULL);
  all = weft__wit_iface_func(f, "all");
  call = weft__wit_iface_func(f, "call");
  check(all && call);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parse one input; always returns 0 (libFuzzer's contract). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  weft__arena_t a = WEFT__ARENA_INIT;
  weft_error_t err;
  weft_val_t v, *args = NULL;
  size_t sel, n;
  char *text;
  int rc;
  if (size < 1)
    return 0;
  init();
  sel = data[0] % (all->nparams + 1);
  n = size - 1;
  if (!(text = malloc(n ? n : 1)))
    return 0;
  if (n)
    memcpy(text, data + 1, n);
  a.limit = (size_t)64 << 20;
  memset(&err, 0, sizeof err);
  if (sel < all->nparams) {
    const weft__wit_type_t *t = all->params[sel].type;
    rc = weft__wave_parse(t, text, n, &a, &v, &err);
    if (rc)
      check_error(rc, &err);
    else
      round_trip(t, &v, &a);
  } else {
    const char *name, *as;
    size_t nlen, alen, i;
    rc = weft__wave_split_call(text, n, &name, &nlen, &as, &alen, &err);
    if (!rc) {
      check(name >= text && name + nlen <= text + n);
      check(as >= text && as + alen <= text + n);
      rc = weft__wave_parse_args(call, as, alen, (int)(as - text) + 1, &a,
                                 &args, &err);
    }
    if (rc) {
      check_error(rc, &err);
    } else {
      for (i = 0; i < call->nparams; i++)
        round_trip(call->params[i].type, &args[i], &a);
    }
  }
  weft__arena_release(&a);
  free(text);
  return 0;
}

/* rewrite.c - rewrites of wasm2c's C output, done on its text: loads and
 * stores for speed, and on request canonical NaNs and write tracking (at
 * the end of the file).
 *
 * wasm2c 1.0.32 writes each load and store as a call such as
 * `f64_load(&instance->w2c_memory, addr)` (an imported memory:
 * `instance->Z_envZ_memory`), which reads `mem->data` at every access.
 * Stores are memcpy, so the compiler must assume each one may change
 * `data` itself: it reloads the base pointer after every store, which
 * blocks hoisting and keeping values in registers across loop iterations.
 * In Weft a memory never moves while its instance lives (memory.c grows
 * it in place inside a fixed reservation) and a memory import is bound
 * once at instantiation, so each function body here reads every base
 * pointer once, at its entry, and its loads and stores go through that:
 * `f64_load_b(weft__mb0, addr)` after
 * `u8 *const weft__mb0 = (&instance->w2c_memory)->data;`. (A host
 * function that resets or frees the instance calling it would leave that
 * pointer stale; it already leaves the running guest code freed state.)
 *
 * The `_b` loads keep wasm2c's empty asm after the load, which makes the
 * load happen even when its value is unused (a dropped out-of-bounds load
 * must still trap). An f32 or f64 may stay in a vector register ("rx",
 * "rw" on arm64): wasm2c's "r" constraint moves every float into a
 * general-purpose register. Integers keep "r": no vector register holds
 * an 8-bit value, and with "rx" gcc 12 fails ("inconsistent operand
 * constraints in an 'asm'") when such a value lives across a call and
 * the register allocator's class for it includes vector registers.
 *
 * Everything else (memory.size/grow, bulk memory, data segments) keeps
 * using the wasm_rt_memory_t. Text that does not look as expected is left
 * as it is: the output still compiles and is as correct as wasm2c's.
 */
#include <stdio.h>
#include <string.h> /* memmem: the build defines _GNU_SOURCE */

#include "engine/rewrite.h"

/* wasm2c's load and store helpers, with the types of their DEFINE_LOAD or
 * DEFINE_STORE line; the `_b` twins are defined from the same types. */
static const struct {
  const char *name, *types;
  int load;
} helpers[] = {
    {"i32_load", "u32, u32, u32", 1},
    {"i64_load", "u64, u64, u64", 1},
    {"f32_load", "f32, f32, f32", 1},
    {"f64_load", "f64, f64, f64", 1},
    {"i32_load8_s", "s8, s32, u32", 1},
    {"i64_load8_s", "s8, s64, u64", 1},
    {"i32_load8_u", "u8, u32, u32", 1},
    {"i64_load8_u", "u8, u64, u64", 1},
    {"i32_load16_s", "s16, s32, u32", 1},
    {"i64_load16_s", "s16, s64, u64", 1},
    {"i32_load16_u", "u16, u32, u32", 1},
    {"i64_load16_u", "u16, u64, u64", 1},
    {"i64_load32_s", "s32, s64, u64", 1},
    {"i64_load32_u", "u32, u64, u64", 1},
    {"i32_store", "u32, u32", 0},
    {"i64_store", "u64, u64", 0},
    {"f32_store", "f32, f32", 0},
    {"f64_store", "f64, f64", 0},
    {"i32_store8", "u8, u32", 0},
    {"i32_store16", "u16, u32", 0},
    {"i64_store8", "u8, u64", 0},
    {"i64_store16", "u16, u64", 0},
    {"i64_store32", "u32, u64", 0},
};
#define NHELPERS (sizeof helpers / sizeof helpers[0])

/* The last helper line; the `_b` helpers are inserted after it. */
static const char anchor[] = "DEFINE_STORE(i64_store32, u32, u64)\n";

static const char prelude[] =
    "\n/* weft " WEFT_REWRITE_VERSION ": loads and stores through a base "
    "pointer read once per\n * function (see weft's rewrite.c). */\n"
    "#if WABT_BIG_ENDIAN\n"
    "#error \"weft: big-endian hosts are not supported\"\n"
    "#endif\n"
    "/* Integers in general-purpose registers; floats may stay in vector\n"
    " * registers (\"x\" or \"w\" is invalid for 8-bit values). */\n"
    "#define WEFT_LOADED_I(v) wasm_asm(\"\" ::\"r\"(v))\n"
    "#if defined(__x86_64__)\n"
    "#define WEFT_LOADED_F(v) wasm_asm(\"\" ::\"rx\"(v))\n"
    "#elif defined(__aarch64__)\n"
    "#define WEFT_LOADED_F(v) wasm_asm(\"\" ::\"rw\"(v))\n"
    "#else\n"
    "#define WEFT_LOADED_F(v) wasm_asm(\"\" ::\"r\"(v))\n"
    "#endif\n"
    "#define WEFT_LOAD_B(name, t1, t2, t3, loaded)          \\\n"
    "  static inline t3 name##_b(u8* base, u64 addr) {     \\\n"
    "    t1 result;                                        \\\n"
    "    wasm_rt_memcpy(&result, base + addr, sizeof(t1)); \\\n"
    "    loaded(result);                                   \\\n"
    "    return (t3)(t2)result;                            \\\n"
    "  }\n"
    "#define WEFT_STORE_B(name, t1, t2)                             \\\n"
    "  static inline void name##_b(u8* base, u64 addr, t2 value) { \\\n"
    "    t1 wrapped = (t1)value;                                   \\\n"
    "    wasm_rt_memcpy(base + addr, &wrapped, sizeof(t1));        \\\n"
    "  }\n";

/* Most distinct memories one function gets base pointers for; without
 * multi-memory there is one. Further ones keep wasm2c's calls. */
#define MAX_MEMS 8

typedef struct span {
  const char *p;
  size_t len;
} span_t;

static int is_ident(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_';
}

/* Whether the identifier ending at `at` (a '('), and starting at or after
 * `lo`, is a load or store helper. */
static int is_helper(const char *lo, const char *at) {
  const char *q = at;
  while (q > lo && is_ident(q[-1]))
    q--;
  size_t n = (size_t)(at - q);
  if (n < 8 || n > 12 || (*q != 'i' && *q != 'f')) /* i32_load..i64_load16_s */
    return 0;
  for (size_t i = 0; i < NHELPERS; i++)
    if (strlen(helpers[i].name) == n && !memcmp(helpers[i].name, q, n))
      return 1;
  return 0;
}

/* The memory argument at `p` (just after the '('): `&instance->NAME` or
 * `instance->NAME`, followed by ", ". Returns its length, or 0. */
static size_t mem_arg(const char *p, const char *end) {
  static const char inst[] = "instance->";
  const char *q = p;
  if (q < end && *q == '&')
    q++;
  if ((size_t)(end - q) < sizeof inst - 1 ||
      memcmp(q, inst, sizeof inst - 1) != 0)
    return 0;
  q += sizeof inst - 1;
  const char *name = q;
  while (q < end && is_ident(*q))
    q++;
  if (q == name || end - q < 2 || q[0] != ',' || q[1] != ' ')
    return 0;
  return (size_t)(q - p);
}

/* Index of memory argument `a` in mems, adding it if there is room;
 * -1 when there is none. */
static int mem_index(span_t *mems, int *nmems, const char *a, size_t len) {
  for (int i = 0; i < *nmems; i++)
    if (mems[i].len == len && !memcmp(mems[i].p, a, len))
      return i;
  if (*nmems == MAX_MEMS)
    return -1;
  mems[*nmems] = (span_t){a, len};
  return (*nmems)++;
}

/* Rewrite the function body [b, e) into out (NULL: only count). Returns
 * the number of calls rewritten, or WEFT_ENOMEM. */
static int body(const char *b, const char *e, span_t *mems, int *nmems,
                weft__buf_t *out) {
  int n = 0;
  const char *copied = b;
  for (const char *p = b; p < e; p++) {
    if (*p != '(' || !is_helper(b, p))
      continue;
    size_t alen = mem_arg(p + 1, e);
    int k = alen ? mem_index(mems, nmems, p + 1, alen) : -1;
    if (k < 0)
      continue;
    n++;
    if (!out)
      continue;
    if (weft__buf_add(out, copied, (size_t)(p - copied)) < 0 ||
        weft__buf_printf(out, "_b(weft__mb%d", k) < 0)
      return WEFT_ENOMEM;
    copied = p + 1 + alen;
  }
  if (out && weft__buf_add(out, copied, (size_t)(e - copied)) < 0)
    return WEFT_ENOMEM;
  return n;
}

/* Whether the line [p, e) opens a function definition. */
static int opens_function(const char *p, const char *e) {
  static const char head[] = "static ", tail[] = ") {";
  return (size_t)(e - p) > sizeof head + sizeof tail &&
         !memcmp(p, head, sizeof head - 1) &&
         !memcmp(e - (sizeof tail - 1), tail, sizeof tail - 1);
}

int weft__rewrite(const char *src, size_t len, weft__buf_t *out) {
  size_t start = out->len;
  const char *end = src + len;
  char line[96];
  for (size_t i = 0; i < NHELPERS; i++) {
    snprintf(line, sizeof line, "DEFINE_%s(%s, %s)\n",
             helpers[i].load ? "LOAD" : "STORE", helpers[i].name,
             helpers[i].types);
    if (!memmem(src, len, line, strlen(line)))
      goto unchanged;
  }
  const char *at = memmem(src, len, anchor, sizeof anchor - 1);
  at += sizeof anchor - 1;
  if (weft__buf_add(out, src, (size_t)(at - src)) < 0 ||
      weft__buf_puts(out, prelude) < 0)
    return WEFT_ENOMEM;
  for (size_t i = 0; i < NHELPERS; i++)
    if (weft__buf_printf(out, "WEFT_%s_B(%s, %s%s)\n",
                         helpers[i].load ? "LOAD" : "STORE", helpers[i].name,
                         helpers[i].types,
                         !helpers[i].load           ? ""
                         : helpers[i].types[0] == 'f' ? ", WEFT_LOADED_F"
                                                      : ", WEFT_LOADED_I") < 0)
      return WEFT_ENOMEM;

  int total = 0;
  const char *p = at;
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *e = nl ? nl : end;
    const char *close = NULL;
    if (nl && opens_function(p, e)) {
      /* The body ends at the first line that is exactly "}". */
      close = memmem(e, (size_t)(end - e), "\n}\n", 3);
    }
    if (!close) {
      if (weft__buf_add(out, p, (size_t)(e - p) + (nl != NULL)) < 0)
        return WEFT_ENOMEM;
      p = e + (nl != NULL);
      continue;
    }
    span_t mems[MAX_MEMS];
    int nmems = 0;
    const char *b = nl + 1, *be = close + 1;
    int n = body(b, be, mems, &nmems, NULL);
    if (weft__buf_add(out, p, (size_t)(b - p)) < 0)
      return WEFT_ENOMEM;
    for (int i = 0; n > 0 && i < nmems; i++)
      if (weft__buf_printf(out, "  u8 *const weft__mb%d = (%.*s)->data;\n",
                           i, (int)mems[i].len, mems[i].p) < 0)
        return WEFT_ENOMEM;
    nmems = 0;
    if (n > 0 && (n = body(b, be, mems, &nmems, out)) < 0)
      return n;
    if (n == 0 && weft__buf_add(out, b, (size_t)(be - b)) < 0)
      return WEFT_ENOMEM;
    total += n;
    p = be;
  }
  if (total > 0)
    return total;

unchanged:
  out->len = start;
  if (weft__buf_add(out, src, len) < 0)
    return WEFT_ENOMEM;
  return 0;
}

/* ---- canonical NaNs ----------------------------------------------------
 *
 * WebAssembly lets a float operation return any NaN; the deterministic
 * profile wants the canonical one, so that a guest that stores NaN bits
 * computes the same bytes on every machine. wasm2c 1.0.32 writes float
 * arithmetic in three ways, each made canonical here:
 *
 *  - add, sub, mul and div as a C compound assignment to a stack variable,
 *    `w2c_f1 += w2c_f2;` (f32 stack variables are named w2c_fN, f64 ones
 *    w2c_dN, a `_N` suffix added when a local's debug name collides):
 *    the line becomes `w2c_f1 = WEFT_CANON(w2c_f1 + w2c_f2);`, where
 *    WEFT_CANON picks the f32 or f64 function by type and fails to compile
 *    for any other type;
 *  - sqrt, ceil, floor, trunc, nearest (wasm_sqrt, wasm_ceilf, ...) and
 *    promote and demote (`(f64)wasm_quietf(x)`) through static helpers
 *    in the output: after their definitions, a function-like macro of the
 *    same name wraps every later call, `wasm_sqrt(x)` becoming
 *    `weft__canon_f64(wasm_sqrt(x))` (a macro does not expand inside its
 *    own expansion). A conversion of the canonical NaN is the canonical
 *    NaN of the other width on every processor (it keeps the payload, or
 *    gives the default NaN, which is the canonical one on AArch64 and
 *    RISC-V);
 *  - min and max through the FMIN and FMAX macros, which return math.h's
 *    NAN, the canonical f32 NaN (converted exactly to the f64 one), for a
 *    NaN operand: checked, left as they are.
 *
 * abs, neg, copysign, loads, stores, locals, globals, select and
 * reinterpret move bits and keep them, as the spec says. No SIMD: Weft
 * builds without simde, so wasm2c's v128 code does not compile anyway.
 * The check is a compare and a select (`x == x ? x : NaN`, no branch, so
 * loops still vectorise) after every operation: float-heavy code runs
 * about three times slower, which is why it is an option. */

/* The helper definitions to wrap, as wasm2c writes their first line. */
static const struct {
  const char *name, *def, *canon;
} nan_helpers[] = {
    {"wasm_quiet", "static double wasm_quiet(double x) {\n", "f64"},
    {"wasm_quietf", "static float wasm_quietf(float x) {\n", "f32"},
    {"wasm_floor", "static double wasm_floor(double x) {\n", "f64"},
    {"wasm_floorf", "static float wasm_floorf(float x) {\n", "f32"},
    {"wasm_ceil", "static double wasm_ceil(double x) {\n", "f64"},
    {"wasm_ceilf", "static float wasm_ceilf(float x) {\n", "f32"},
    {"wasm_trunc", "static double wasm_trunc(double x) {\n", "f64"},
    {"wasm_truncf", "static float wasm_truncf(float x) {\n", "f32"},
    {"wasm_nearbyint", "static double wasm_nearbyint(double x) {\n", "f64"},
    {"wasm_nearbyintf", "static float wasm_nearbyintf(float x) {\n", "f32"},
    {"wasm_sqrt", "static double wasm_sqrt(double x) {\n", "f64"},
    {"wasm_sqrtf", "static float wasm_sqrtf(float x) {\n", "f32"},
};
#define NNAN_HELPERS (sizeof nan_helpers / sizeof nan_helpers[0])

/* FMIN and FMAX as wasm2c 1.0.32 writes them: canonical already. */
static const char *const min_max[] = {
    "#define FMIN(x, y)                                                     "
    "\\\n"
    "  ((UNLIKELY((x) != (x)))                                              "
    "\\\n"
    "       ? NAN                                                           "
    "\\\n"
    "       : (UNLIKELY((y) != (y)))                                        "
    "\\\n"
    "             ? NAN                                                     "
    "\\\n"
    "             : (UNLIKELY((x) == 0 && (y) == 0)) ? (signbit(x) ? x : y) "
    "\\\n"
    "                                                : (x < y) ? x : y)\n",
    "#define FMAX(x, y)                                                     "
    "\\\n"
    "  ((UNLIKELY((x) != (x)))                                              "
    "\\\n"
    "       ? NAN                                                           "
    "\\\n"
    "       : (UNLIKELY((y) != (y)))                                        "
    "\\\n"
    "             ? NAN                                                     "
    "\\\n"
    "             : (UNLIKELY((x) == 0 && (y) == 0)) ? (signbit(x) ? y : x) "
    "\\\n"
    "                                                : (x > y) ? x : y)\n",
};

static const char nan_prelude[] =
    "\n/* weft " WEFT_REWRITE_NANS_VERSION ": every NaN a float operation "
    "makes is the canonical\n * one (see weft's rewrite.c). */\n"
    "static inline f32 weft__canon_f32(f32 x) {\n"
    "  return x == x ? x : __builtin_nanf(\"\");\n"
    "}\n"
    "static inline f64 weft__canon_f64(f64 x) {\n"
    "  return x == x ? x : __builtin_nan(\"\");\n"
    "}\n"
    "#define WEFT_CANON(v) \\\n"
    "  _Generic((v), f32: weft__canon_f32, f64: weft__canon_f64)(v)\n";

/* If the line [p, e) is `<spaces>LHS OP= RHS;` with OP one of + - * / and
 * LHS an f32 or f64 stack variable (w2c_fN or w2c_dN, maybe suffixed),
 * the lengths of its indent and LHS, and its operator; else 0. */
static int arith_line(const char *p, const char *e, size_t *indent,
                      size_t *lhs, char *op) {
  const char *q = p;
  while (q < e && *q == ' ')
    q++;
  if (q == p || e - q < 6 || memcmp(q, "w2c_", 4) != 0 ||
      (q[4] != 'f' && q[4] != 'd') || q[5] < '0' || q[5] > '9')
    return 0;
  *indent = (size_t)(q - p);
  const char *l = q;
  while (q < e && is_ident(*q))
    q++;
  *lhs = (size_t)(q - l);
  if (e - q < 6 || q[0] != ' ' || !strchr("+-*/", q[1]) || q[2] != '=' ||
      q[3] != ' ' || e[-1] != ';')
    return 0;
  *op = q[1];
  for (const char *r = q + 4; r < e - 1; r++)
    if (!is_ident(*r))
      return 0;
  return e - 1 > q + 4;
}

int weft__rewrite_nans(const char *src, size_t len, weft__buf_t *out) {
  size_t start = out->len;
  const char *end = src + len;
  for (size_t i = 0; i < sizeof min_max / sizeof min_max[0]; i++)
    if (!memmem(src, len, min_max[i], strlen(min_max[i])))
      return WEFT_EUNSUPPORTED;
  /* The wrapping macros go after the last helper's definition. */
  const char *at = src;
  for (size_t i = 0; i < NNAN_HELPERS; i++) {
    const char *d = memmem(src, len, nan_helpers[i].def,
                           strlen(nan_helpers[i].def));
    const char *close = d ? memmem(d, (size_t)(end - d), "\n}\n", 3) : NULL;
    if (!close)
      return WEFT_EUNSUPPORTED;
    if (close + 3 > at)
      at = close + 3;
  }
  int n = 0;
  const char *p = src, *copied = src;
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *e = nl ? nl : end;
    size_t indent, lhs;
    char op;
    if (arith_line(p, e, &indent, &lhs, &op)) {
      if (p < at) /* arithmetic where only wasm2c's own helpers should be */
        goto unsupported;
      const char *rhs = p + indent + lhs + 4;
      if (weft__buf_add(out, copied, (size_t)(p - copied)) < 0 ||
          weft__buf_printf(out, "%.*s = WEFT_CANON(%.*s %c %.*s);",
                           (int)(indent + lhs), p, (int)lhs, p + indent,
                           op, (int)(e - 1 - rhs), rhs) < 0)
        goto oom;
      copied = e;
      n++;
    }
    p = e + (nl != NULL);
    if (p == at) { /* `at` starts a line: the one after a helper's "}" */
      if (weft__buf_add(out, copied, (size_t)(p - copied)) < 0 ||
          weft__buf_puts(out, nan_prelude) < 0)
        goto oom;
      for (size_t i = 0; i < NNAN_HELPERS; i++)
        if (weft__buf_printf(out, "#define %s(x) weft__canon_%s(%s(x))\n",
                             nan_helpers[i].name, nan_helpers[i].canon,
                             nan_helpers[i].name) < 0)
          goto oom;
      copied = p;
    }
  }
  if (copied < at) /* the helpers end the text: no module code */
    goto unsupported;
  if (weft__buf_add(out, copied, (size_t)(end - copied)) < 0)
    goto oom;
  return n;
oom:
  out->len = start;
  return WEFT_ENOMEM;
unsupported:
  out->len = start;
  return WEFT_EUNSUPPORTED;
}

/* ---- write tracking ----------------------------------------------------
 *
 * A reset puts back only the 4 KiB chunks of a memory that may have been
 * written (runtime/memory.c): so every write the compiled code makes marks
 * its chunk in the map before the memory's data (runtime.h), one byte per
 * chunk at data[(addr >> 12) - 2 MiB]. wasm2c 1.0.32 writes memory in
 * these places only, each edited here:
 *
 *  - DEFINE_STORE's store helpers (i32_store ... i64_store32): the chunk
 *    of the first byte is marked before the store (one shift and one byte
 *    store); a store straddling two chunks writes at most 7 bytes into the
 *    next, which a reset rewrites with every marked chunk;
 *  - their `_b` twins (WEFT_STORE_B), which function bodies call, the
 *    same way. The mark is a second store for every store: store-bound
 *    loops (gemm, jacobi2d) take about 1.4 times as long. Skipping the
 *    mark when the function's previous store marked the same chunk (a
 *    compare and a branch instead of a store) measured no better overall
 *    (gemm a little faster, sieve and nbody slower), so it is not done;
 *  - memory_fill, memory_copy (its destination), and LOAD_DATA, behind
 *    memory_init and the active data segments: every chunk of the range,
 *    after the range check.
 *
 * Nothing else in the output writes memory: atomics and SIMD are not
 * enabled (their text is refused all the same). The output also defines
 * `weft_tracks_writes`, which the engine looks up to know the code marks.
 * Text not laid out as expected is an error: code that writes without
 * marking would let a reset leave one request's data for the next. */

static const char track_prelude[] =
    "/* weft " WEFT_REWRITE_TRACK_VERSION ": every write to a memory marks "
    "its 4 KiB chunks in the map\n * before the memory's data (see weft's "
    "rewrite.c and memory.c). */\n"
    "#if WABT_BIG_ENDIAN\n"
    "#error \"weft: big-endian hosts are not supported\"\n"
    "#endif\n"
    "#define WEFT_MAP_BYTES 2097152\n"
    "#define WEFT_MARK(data, addr) \\\n"
    "  ((data)[(s64)((u64)(addr) >> 12) - WEFT_MAP_BYTES] = 1)\n"
    "static inline void weft__mark_range(u8* data, u64 addr, u64 n) {\n"
    "  if (n)\n"
    "    memset(data - WEFT_MAP_BYTES + (addr >> 12), 1,\n"
    "           ((addr + n - 1) >> 12) - (addr >> 12) + 1);\n"
    "}\n"
    "__attribute__((visibility(\"default\"))) const int weft_tracks_writes "
    "= 1;\n\n";

/* One edit: `insert` goes before `at`, which is in `needle`, which must
 * occur exactly once (when `need` is NULL or occurs in the text). */
static const struct {
  const char *needle, *at, *insert, *need;
} track_edits[] = {
    {"#if WABT_BIG_ENDIAN\nstatic inline void load_data(",
     "#if WABT_BIG_ENDIAN\n", track_prelude, NULL},
    {"#define LOAD_DATA(m, o, i, s)      \\\n"
     "  do {                             \\\n"
     "    RANGE_CHECK((&m), o, s);       \\\n"
     "    load_data(&(m.data[o]), i, s); \\\n"
     "  } while (0)\n",
     "    load_data(&(m.data[o]), i, s); \\\n",
     "    weft__mark_range(m.data, o, s); \\\n", NULL},
    {"#define DEFINE_STORE(name, t1, t2)                                     "
     "\\\n"
     "  static inline void name(wasm_rt_memory_t* mem, u64 addr, t2 value) "
     "{ \\\n"
     "    MEMCHECK(mem, addr, t1);                                           "
     "\\\n"
     "    t1 wrapped = (t1)value;                                            "
     "\\\n"
     "    wasm_rt_memcpy(&mem->data[addr], &wrapped, sizeof(t1));            "
     "\\\n"
     "  }\n",
     "    wasm_rt_memcpy(&mem->data[addr], &wrapped, sizeof(t1));            "
     "\\\n",
     "    WEFT_MARK(mem->data, addr);                                        "
     "\\\n", NULL},
    {"static inline void memory_fill(wasm_rt_memory_t* mem, u32 d, u32 val, "
     "u32 n) {\n"
     "  RANGE_CHECK(mem, d, n);\n"
     "  memset(mem->data + d, val, n);\n"
     "}\n",
     "  memset(mem->data + d, val, n);\n",
     "  weft__mark_range(mem->data, d, n);\n", NULL},
    {"  RANGE_CHECK(dest, dest_addr, n);\n"
     "  RANGE_CHECK(src, src_addr, n);\n"
     "  memmove(dest->data + dest_addr, src->data + src_addr, n);\n",
     "  memmove(dest->data + dest_addr, src->data + src_addr, n);\n",
     "  weft__mark_range(dest->data, dest_addr, n);\n", NULL},
    {"    t1 wrapped = (t1)value;                                   \\\n"
     "    wasm_rt_memcpy(base + addr, &wrapped, sizeof(t1));        \\\n",
     "    wasm_rt_memcpy(base + addr, &wrapped, sizeof(t1));        \\\n",
     "    WEFT_MARK(base, addr);                                    \\\n",
     "#define WEFT_STORE_B("},
};
#define NTRACK_EDITS (sizeof track_edits / sizeof track_edits[0])

/* Text that writes memory in ways not edited above. */
static const char *const track_refused[] = {"DEFINE_ATOMIC_STORE", "simde",
                                            "v128_store"};

int weft__rewrite_track(const char *src, size_t len, weft__buf_t *out) {
  size_t start = out->len;
  const char *pos[NTRACK_EDITS];
  size_t order[NTRACK_EDITS], n = 0;
  for (size_t i = 0; i < sizeof track_refused / sizeof *track_refused; i++)
    if (memmem(src, len, track_refused[i], strlen(track_refused[i])))
      return WEFT_EUNSUPPORTED;
  for (size_t i = 0; i < NTRACK_EDITS; i++) {
    const char *needle = track_edits[i].needle, *need = track_edits[i].need;
    size_t nlen = strlen(needle);
    if (need && !memmem(src, len, need, strlen(need)))
      continue;
    const char *p = memmem(src, len, needle, nlen);
    if (!p || memmem(p + 1, (size_t)(src + len - p - 1), needle, nlen))
      return WEFT_EUNSUPPORTED; /* missing, or not the only one */
    pos[i] = p + (strstr(needle, track_edits[i].at) - needle);
    /* in text order (insertion sort: a handful) */
    size_t k = n++;
    while (k > 0 && pos[order[k - 1]] > pos[i]) {
      order[k] = order[k - 1];
      k--;
    }
    order[k] = i;
  }
  const char *copied = src;
  for (size_t k = 0; k < n; k++) {
    size_t i = order[k];
    if (weft__buf_add(out, copied, (size_t)(pos[i] - copied)) < 0 ||
        weft__buf_puts(out, track_edits[i].insert) < 0)
      goto oom;
    copied = pos[i];
  }
  if (weft__buf_add(out, copied, (size_t)(src + len - copied)) < 0)
    goto oom;
  return (int)n;
oom:
  out->len = start;
  return WEFT_ENOMEM;
}

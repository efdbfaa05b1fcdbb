/* cmd_spectest.c - `weft spectest`: run WebAssembly spec scripts.
 *
 * Reads the JSON that `wast2json X.wast -o DIR/X.json` writes (the .wasm
 * files it names sit beside it) and executes every command against libweft
 * through the public API only: modules are loaded and instantiated with a
 * linker holding the "spectest" instance and every registered instance,
 * actions are invoked or read, and each assertion is checked. Results are
 * compared bit for bit, with the nan:canonical and nan:arithmetic patterns
 * for floats. Prints one line per failure and a count line per script.
 *
 * The "spectest" instance is an ordinary module (--spectest, made from
 * tests/conformance/spectest.wat) whose print functions are imported from
 * the host module "weft_spectest" defined here; it defines the globals,
 * table and memory the scripts import.
 *
 * Reference values: ref.null is NULL; `ref.extern N` is the pointer value
 * N + 1, so that `ref.extern 0` stays distinct from null; a funcref
 * expected without a value matches any non-null reference.
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
    "usage: weft spectest [options] FILE.json...\n"
    "\n"
    "Run WebAssembly spec scripts converted by 'wast2json X.wast -o\n"
    "DIR/X.json'. Prints one line per failed command, then per script\n"
    "'X.wast: N passed, N failed, N skipped'.\n"
    "\n"
    "options:\n"
    "  --spectest FILE.wasm  the module offered as \"spectest\" (see\n"
    "                        tests/conformance/spectest.wat)\n"
    "  --deadline DURATION   fail a call running longer (default 60s)\n"
    "  -v, --verbose         also print the spectest print functions' output\n"
    "  -h, --help            show this help\n"
    "\n"
    "exit status: 0 every command passed; 1 a command failed or a script\n"
    "could not be read; 2 usage error.\n";

#define MAX_VALS 256 /* parameters or results of one call */

/* Patterns an expected value may hold instead of exact bits. */
enum { PAT_NONE, PAT_CANONICAL, PAT_ARITHMETIC, PAT_NONNULL };

/* A value from the script: exact bits or a pattern; v128 values keep their
 * lane shape so that float lanes can hold NaN patterns. */
typedef struct sval {
  weft_core_val_t v;
  int pat;
  int lane_bits;  /* v128: 8, 16, 32 or 64 */
  int lane_float; /* v128: lanes are f32 or f64 */
  int lane_pat[16];
} sval_t;

typedef struct named {
  char *name;
  weft_instance_t *inst;
} named_t;

/* A growable array of pointers. */
typedef struct vec {
  void **v;
  size_t n, cap;
} vec_t;

/* State of one script run. Instances and modules live until its end, since
 * tables and registered names may keep referring to them. */
typedef struct script {
  weft_engine_t *engine;
  weft_module_t *spectest; /* borrowed, shared by every script */
  weft_limits_t limits;
  const char *dir;  /* of the .json */
  char wast[256];   /* display name: "X.wast" */
  weft_linker_t *linker;
  vec_t modules, instances;
  named_t *names;
  size_t nnames;
  weft_instance_t *current;
  int passed, failed, skipped;
} script_t;

static int verbose;

/* Append p to v. Returns 0 or -1 when out of memory. */
static int vec_push(vec_t *v, void *p) {
  if (v->n == v->cap) {
    size_t cap = v->cap ? v->cap * 2 : 16;
    void **q = realloc(v->v, cap * sizeof *q);
    if (!q)
      return -1;
    v->v = q;
    v->cap = cap;
  }
  v->v[v->n++] = p;
  return 0;
}

/* ---- the host side of the spectest module ------------------------------ */

/* spectest.print*: print the arguments like the reference interpreter
 * when --verbose, else nothing. */
static void host_print(weft_caller_t *caller, void *env,
                       const weft_core_val_t *args,
                       weft_core_val_t *results) {
  (void)caller;
  (void)results;
  if (!verbose)
    return;
  const char *sig = env;
  for (size_t i = 0; sig[i] != ':'; i++) {
    switch (args[i].type) {
    case WEFT_I32:
      printf("%" PRId32 " : i32\n", args[i].of.i32);
      break;
    case WEFT_I64:
      printf("%" PRId64 " : i64\n", args[i].of.i64);
      break;
    case WEFT_F32:
      printf("%.9g : f32\n", (double)args[i].of.f32);
      break;
    case WEFT_F64:
      printf("%.17g : f64\n", args[i].of.f64);
      break;
    }
  }
}

static const struct {
  const char *name, *sig;
} host_funcs[] = {
    {"print", ":"},           {"print_i32", "i:"},
    {"print_i64", "l:"},      {"print_f32", "f:"},
    {"print_f64", "d:"},      {"print_i32_f32", "if:"},
    {"print_f64_f64", "dd:"},
};

/* ---- values ------------------------------------------------------------ */

/* The weft_valtype_t of script type name `t` ("i32"), or 0. */
static uint8_t type_code(const char *t) {
  static const struct {
    const char *name;
    uint8_t code;
  } types[] = {{"i32", WEFT_I32},         {"i64", WEFT_I64},
               {"f32", WEFT_F32},         {"f64", WEFT_F64},
               {"v128", WEFT_V128},       {"funcref", WEFT_FUNCREF},
               {"externref", WEFT_EXTERNREF}};
  for (size_t i = 0; t && i < sizeof types / sizeof types[0]; i++)
    if (!strcmp(t, types[i].name))
      return types[i].code;
  return 0;
}

/* Parse the unsigned decimal bit pattern `s` into *out. */
static int parse_bits(const char *s, uint64_t *out) {
  char *end;
  if (!s || !*s || *s == '-')
    return -1;
  *out = strtoull(s, &end, 10);
  return *end ? -1 : 0;
}

/* The PAT_* a float value string `s` stands for. */
static int nan_pattern(const char *s) {
  if (s && !strcmp(s, "nan:canonical"))
    return PAT_CANONICAL;
  if (s && !strcmp(s, "nan:arithmetic"))
    return PAT_ARITHMETIC;
  return PAT_NONE;
}

/* The lanes of a v128 value: {"lane_type": "i32", "value": [...]}. */
static int parse_v128(json_t *j, sval_t *out) {
  const char *lt = json_string_value(json_object_get(j, "lane_type"));
  json_t *lanes = json_object_get(j, "value");
  if (!lt || !json_is_array(lanes) || (lt[0] != 'i' && lt[0] != 'f'))
    return -1;
  out->lane_bits = atoi(lt + 1);
  out->lane_float = lt[0] == 'f';
  if (out->lane_bits != 8 && out->lane_bits != 16 && out->lane_bits != 32 &&
      out->lane_bits != 64)
    return -1;
  size_t n = 128 / (size_t)out->lane_bits, bytes = (size_t)out->lane_bits / 8;
  if (json_array_size(lanes) != n)
    return -1;
  for (size_t i = 0; i < n; i++) {
    const char *s = json_string_value(json_array_get(lanes, i));
    uint64_t bits = 0;
    out->lane_pat[i] = out->lane_float ? nan_pattern(s) : PAT_NONE;
    if (!out->lane_pat[i] && parse_bits(s, &bits) < 0)
      return -1;
    for (size_t b = 0; b < bytes; b++)
      out->v.of.v128[i * bytes + b] = (uint8_t)(bits >> (8 * b));
  }
  return 0;
}

/* Parse a script value {"type": "i32", "value": "42"} into *out. */
static int parse_val(json_t *j, sval_t *out) {
  memset(out, 0, sizeof *out);
  out->v.type = type_code(json_string_value(json_object_get(j, "type")));
  if (!out->v.type)
    return -1;
  if (out->v.type == WEFT_V128)
    return parse_v128(j, out);
  const char *s = json_string_value(json_object_get(j, "value"));
  uint64_t bits = 0;
  if (out->v.type == WEFT_FUNCREF || out->v.type == WEFT_EXTERNREF) {
    if (!s) {
      out->pat = PAT_NONNULL;
      return 0;
    }
    if (!strcmp(s, "null"))
      return 0;
    if (out->v.type != WEFT_EXTERNREF || parse_bits(s, &bits) < 0)
      return -1;
    out->v.of.ref = (void *)(uintptr_t)(bits + 1);
    return 0;
  }
  if ((out->v.type == WEFT_F32 || out->v.type == WEFT_F64) &&
      (out->pat = nan_pattern(s)) != PAT_NONE)
    return 0;
  if (parse_bits(s, &bits) < 0)
    return -1;
  switch (out->v.type) {
  case WEFT_I32:
    out->v.of.i32 = (int32_t)(uint32_t)bits;
    break;
  case WEFT_I64:
    out->v.of.i64 = (int64_t)bits;
    break;
  case WEFT_F32: {
    uint32_t b32 = (uint32_t)bits;
    memcpy(&out->v.of.f32, &b32, 4);
    break;
  }
  case WEFT_F64:
    memcpy(&out->v.of.f64, &bits, 8);
    break;
  }
  return 0;
}

/* The bits of a float, and of a double. */
static uint32_t f32_bits(float f) {
  uint32_t b;
  memcpy(&b, &f, 4);
  return b;
}

static uint64_t f64_bits(double d) {
  uint64_t b;
  memcpy(&b, &d, 8);
  return b;
}

/* Whether float bits match pattern `pat` (or equal `want` for PAT_NONE). */
static int f32_match(uint32_t got, uint32_t want, int pat) {
  if (pat == PAT_CANONICAL)
    return (got & 0x7fffffffu) == 0x7fc00000u;
  if (pat == PAT_ARITHMETIC)
    return (got & 0x7fc00000u) == 0x7fc00000u;
  return got == want;
}

static int f64_match(uint64_t got, uint64_t want, int pat) {
  const uint64_t quiet = 0x7ff8000000000000ull;
  if (pat == PAT_CANONICAL)
    return (got & 0x7fffffffffffffffull) == quiet;
  if (pat == PAT_ARITHMETIC)
    return (got & quiet) == quiet;
  return got == want;
}

/* Lane i, of `bits` bits, of the v128 bytes `v`, zero-extended. */
static uint64_t lane(const uint8_t *v, int bits, size_t i) {
  uint64_t x = 0;
  size_t bytes = (size_t)bits / 8;
  for (size_t b = 0; b < bytes; b++)
    x |= (uint64_t)v[i * bytes + b] << (8 * b);
  return x;
}

/* Whether `got` matches the expected value `want`. */
static int val_match(const sval_t *want, const weft_core_val_t *got) {
  if (got->type != want->v.type)
    return 0;
  switch (got->type) {
  case WEFT_I32:
    return got->of.i32 == want->v.of.i32;
  case WEFT_I64:
    return got->of.i64 == want->v.of.i64;
  case WEFT_F32:
    return f32_match(f32_bits(got->of.f32), f32_bits(want->v.of.f32),
                     want->pat);
  case WEFT_F64:
    return f64_match(f64_bits(got->of.f64), f64_bits(want->v.of.f64),
                     want->pat);
  case WEFT_V128:
    for (size_t i = 0; i < 128 / (size_t)want->lane_bits; i++) {
      uint64_t g = lane(got->of.v128, want->lane_bits, i);
      uint64_t w = lane(want->v.of.v128, want->lane_bits, i);
      int ok = want->lane_bits == 32 && want->lane_float
                   ? f32_match((uint32_t)g, (uint32_t)w, want->lane_pat[i])
               : want->lane_bits == 64 && want->lane_float
                   ? f64_match(g, w, want->lane_pat[i])
                   : g == w;
      if (!ok)
        return 0;
    }
    return 1;
  default:
    if (want->pat == PAT_NONNULL)
      return got->of.ref != NULL;
    return got->of.ref == want->v.of.ref;
  }
}

/* Describe value `v` (pattern `pat`) into buf: "i32:42", "f32:nan:canonical",
 * "f64:1.5 (0x3ff8000000000000)", "ref.extern 3". */
static void fmt_val(char *buf, size_t size, const weft_core_val_t *v,
                    int pat) {
  static const char *const pats[] = {"", "nan:canonical", "nan:arithmetic",
                                     "non-null"};
  switch (v->type) {
  case WEFT_I32:
    snprintf(buf, size, "i32:%" PRId32, v->of.i32);
    return;
  case WEFT_I64:
    snprintf(buf, size, "i64:%" PRId64, v->of.i64);
    return;
  case WEFT_F32:
    if (pat)
      snprintf(buf, size, "f32:%s", pats[pat]);
    else
      snprintf(buf, size, "f32:%.9g (0x%08" PRIx32 ")", (double)v->of.f32,
               f32_bits(v->of.f32));
    return;
  case WEFT_F64:
    if (pat)
      snprintf(buf, size, "f64:%s", pats[pat]);
    else
      snprintf(buf, size, "f64:%.17g (0x%016" PRIx64 ")", v->of.f64,
               f64_bits(v->of.f64));
    return;
  case WEFT_V128: {
    size_t n = (size_t)snprintf(buf, size, "v128:0x");
    for (int i = 15; i >= 0 && n + 2 < size; i--)
      n += (size_t)snprintf(buf + n, size - n, "%02x", v->of.v128[i]);
    return;
  }
  case WEFT_FUNCREF:
  case WEFT_EXTERNREF: {
    const char *kind = v->type == WEFT_FUNCREF ? "func" : "extern";
    if (pat == PAT_NONNULL)
      snprintf(buf, size, "ref.%s non-null", kind);
    else if (!v->of.ref)
      snprintf(buf, size, "ref.null %s", kind);
    else if (v->type == WEFT_EXTERNREF)
      snprintf(buf, size, "ref.extern %" PRIuPTR,
               (uintptr_t)v->of.ref - 1);
    else
      snprintf(buf, size, "ref.func %p", v->of.ref);
    return;
  }
  }
  snprintf(buf, size, "value of type 0x%02x", v->type);
}

/* ---- reporting --------------------------------------------------------- */

static void fail(script_t *s, json_t *cmd, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Count a failure of `cmd` and print "X.wast:LINE: TYPE: message". */
static void fail(script_t *s, json_t *cmd, const char *fmt, ...) {
  va_list ap;
  const char *type = json_string_value(json_object_get(cmd, "type"));
  s->failed++;
  printf("%s:%" JSON_INTEGER_FORMAT ": %s: ", s->wast,
         json_integer_value(json_object_get(cmd, "line")),
         type ? type : "command");
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  putchar('\n');
}

/* The message of a failed libweft call. */
static const char *errmsg(const weft_error_t *err) {
  return err->msg[0] ? err->msg : weft_strerror(err->code);
}

/* ---- modules and actions ----------------------------------------------- */

/* The instance last given `name` by a module command, or NULL. */
static weft_instance_t *find_named(const script_t *s, const char *name) {
  for (size_t i = s->nnames; name && i > 0; i--)
    if (!strcmp(s->names[i - 1].name, name))
      return s->names[i - 1].inst;
  return NULL;
}

/* Remember `inst` under `name` (copied). Returns 0 or -1. */
static int add_name(script_t *s, const char *name, weft_instance_t *inst) {
  named_t *p = realloc(s->names, (s->nnames + 1) * sizeof *p);
  if (!p)
    return -1;
  s->names = p;
  p[s->nnames].name = strdup(name);
  if (!p[s->nnames].name)
    return -1;
  p[s->nnames++].inst = inst;
  return 0;
}

/* Load the module file named by cmd's "filename". Returns NULL with `err`
 * filled on failure; the script keeps a loaded module until its end. */
static weft_module_t *load(script_t *s, json_t *cmd, weft_error_t *err) {
  const char *file = json_string_value(json_object_get(cmd, "filename"));
  char path[4096];
  if (!file) {
    snprintf(err->msg, sizeof err->msg, "no 'filename'");
    err->code = WEFT_EINVAL;
    return NULL;
  }
  snprintf(path, sizeof path, "%s/%s", s->dir, file);
  weft_module_t *m = weft_module_load_file(s->engine, path, err);
  if (m && vec_push(&s->modules, m) < 0) {
    weft_module_free(m);
    snprintf(err->msg, sizeof err->msg, "out of memory");
    err->code = WEFT_ENOMEM;
    return NULL;
  }
  return m;
}

/* Instantiate `m` with the script's linker; the script keeps it. */
static weft_instance_t *instantiate(script_t *s, weft_module_t *m,
                                    weft_error_t *err) {
  weft_instance_t *inst = weft_instance_new(s->linker, m, &s->limits, err);
  if (inst && vec_push(&s->instances, inst) < 0) {
    weft_instance_free(inst);
    snprintf(err->msg, sizeof err->msg, "out of memory");
    err->code = WEFT_ENOMEM;
    return NULL;
  }
  return inst;
}

/* Run `action` (invoke or get). On success returns 0 and fills res[0..*nres).
 * Otherwise returns the WEFT_E* code with `err` filled. */
static int run_action(script_t *s, json_t *action, weft_core_val_t *res,
                      size_t *nres, weft_error_t *err) {
  const char *type = json_string_value(json_object_get(action, "type"));
  json_t *jfield = json_object_get(action, "field");
  const char *field = json_string_value(jfield);
  const char *mod = json_string_value(json_object_get(action, "module"));
  weft_instance_t *inst = mod ? find_named(s, mod) : s->current;
  *nres = 0;
  if (!inst) {
    err->code = WEFT_ENOTFOUND;
    snprintf(err->msg, sizeof err->msg, "no module '%s' to act on",
             mod ? mod : "(current)");
    return err->code;
  }
  if (!type || !field) {
    err->code = WEFT_EINVAL;
    snprintf(err->msg, sizeof err->msg, "malformed action");
    return err->code;
  }
  if (strlen(field) != json_string_length(jfield)) {
    err->code = WEFT_EUNSUPPORTED;
    snprintf(err->msg, sizeof err->msg,
             "export names with NUL bytes cannot be named through weft.h");
    return err->code;
  }
  if (!strcmp(type, "get")) {
    *nres = 1;
    return weft_instance_global_get(inst, field, res, err);
  }
  if (strcmp(type, "invoke")) {
    err->code = WEFT_EUNSUPPORTED;
    snprintf(err->msg, sizeof err->msg, "unknown action '%s'", type);
    return err->code;
  }
  const char *sig = weft_instance_func_sig(inst, field);
  if (!sig) {
    err->code = WEFT_ENOTFOUND;
    snprintf(err->msg, sizeof err->msg, "no exported function '%s'", field);
    return err->code;
  }
  json_t *jargs = json_object_get(action, "args");
  size_t nargs = json_array_size(jargs);
  size_t nr = strlen(strchr(sig, ':') + 1);
  if (nargs > MAX_VALS || nr > MAX_VALS) {
    err->code = WEFT_EUNSUPPORTED;
    snprintf(err->msg, sizeof err->msg, "'%s' has over %d values", field,
             MAX_VALS);
    return err->code;
  }
  weft_core_val_t args[MAX_VALS];
  for (size_t i = 0; i < nargs; i++) {
    sval_t a;
    if (parse_val(json_array_get(jargs, i), &a) < 0 || a.pat) {
      err->code = WEFT_EINVAL;
      snprintf(err->msg, sizeof err->msg, "bad argument %zu", i + 1);
      return err->code;
    }
    args[i] = a.v;
  }
  int rc = weft_instance_invoke(inst, field, args, nargs, res, nr, err);
  if (rc == 0)
    *nres = nr;
  return rc;
}

/* ---- commands ---------------------------------------------------------- */

/* module: load and instantiate; the instance becomes the current one and
 * is remembered under the command's name. */
static void cmd_module(script_t *s, json_t *cmd) {
  weft_error_t err = {0};
  const char *name = json_string_value(json_object_get(cmd, "name"));
  s->current = NULL;
  weft_module_t *m = load(s, cmd, &err);
  weft_instance_t *inst = m ? instantiate(s, m, &err) : NULL;
  if (!inst) {
    fail(s, cmd, "%s", errmsg(&err));
    return;
  }
  if (name && add_name(s, name, inst) < 0) {
    fail(s, cmd, "out of memory");
    return;
  }
  s->current = inst;
  s->passed++;
}

/* register: offer a module's exports under the "as" name. */
static void cmd_register(script_t *s, json_t *cmd) {
  weft_error_t err = {0};
  const char *as = json_string_value(json_object_get(cmd, "as"));
  const char *name = json_string_value(json_object_get(cmd, "name"));
  weft_instance_t *inst = name ? find_named(s, name) : s->current;
  if (!as || !inst) {
    fail(s, cmd, "no module '%s' to register", name ? name : "(current)");
    return;
  }
  if (weft_linker_define_instance(s->linker, as, inst, &err) < 0) {
    fail(s, cmd, "%s", errmsg(&err));
    return;
  }
  s->passed++;
}

/* action: the call must succeed; its results are not checked. */
static void cmd_action(script_t *s, json_t *cmd) {
  weft_error_t err = {0};
  weft_core_val_t res[MAX_VALS];
  size_t nres;
  if (run_action(s, json_object_get(cmd, "action"), res, &nres, &err) < 0)
    fail(s, cmd, "%s", errmsg(&err));
  else
    s->passed++;
}

/* assert_return: the call succeeds with exactly the expected results. */
static void cmd_assert_return(script_t *s, json_t *cmd) {
  weft_error_t err = {0};
  weft_core_val_t res[MAX_VALS];
  size_t nres;
  char want[128], got[128];
  if (run_action(s, json_object_get(cmd, "action"), res, &nres, &err) < 0) {
    fail(s, cmd, "%s", errmsg(&err));
    return;
  }
  json_t *exp = json_object_get(cmd, "expected");
  if (json_array_size(exp) != nres) {
    fail(s, cmd, "expected %zu results, got %zu", json_array_size(exp),
         nres);
    return;
  }
  for (size_t i = 0; i < nres; i++) {
    sval_t w;
    if (parse_val(json_array_get(exp, i), &w) < 0) {
      fail(s, cmd, "bad expected value %zu", i + 1);
      return;
    }
    if (!val_match(&w, &res[i])) {
      fmt_val(want, sizeof want, &w.v, w.pat);
      fmt_val(got, sizeof got, &res[i], PAT_NONE);
      if (nres > 1)
        fail(s, cmd, "result %zu: expected %s, got %s", i + 1, want, got);
      else
        fail(s, cmd, "expected %s, got %s", want, got);
      return;
    }
  }
  s->passed++;
}

/* Describe the outcome of a call that should have trapped. */
static void no_trap(script_t *s, json_t *cmd, int rc,
                    const weft_error_t *err, const weft_core_val_t *res,
                    size_t nres) {
  const char *text = json_string_value(json_object_get(cmd, "text"));
  char got[128] = "no result";
  if (rc < 0) {
    fail(s, cmd, "expected trap '%s', got %s", text ? text : "",
         errmsg(err));
    return;
  }
  if (nres)
    fmt_val(got, sizeof got, &res[0], PAT_NONE);
  fail(s, cmd, "expected trap '%s', got %s", text ? text : "", got);
}

/* Whether trap kind `trap` is what the script's message `text` names.
 * wasm2c reports out-of-bounds table accesses as memory ones, and every
 * failed call_indirect alike; an unknown message accepts any trap. */
static int trap_matches(const char *text, int trap) {
  static const struct {
    const char *prefix;
    int trap;
  } kinds[] = {
      {"out of bounds", WEFT_TRAP_OOB},
      {"undefined element", WEFT_TRAP_INDIRECT_CALL},
      {"uninitialized element", WEFT_TRAP_INDIRECT_CALL},
      {"indirect call type mismatch", WEFT_TRAP_INDIRECT_CALL},
      {"integer divide by zero", WEFT_TRAP_DIV_BY_ZERO},
      {"integer overflow", WEFT_TRAP_INT_OVERFLOW},
      {"invalid conversion to integer", WEFT_TRAP_INVALID_CONVERSION},
      {"unreachable", WEFT_TRAP_UNREACHABLE},
      {"call stack exhausted", WEFT_TRAP_STACK_EXHAUSTED},
  };
  for (size_t i = 0; text && i < sizeof kinds / sizeof kinds[0]; i++)
    if (!strncmp(text, kinds[i].prefix, strlen(kinds[i].prefix)))
      return trap == kinds[i].trap;
  return 1;
}

/* assert_trap and assert_exhaustion on an action; assert_trap and
 * assert_uninstantiable on a module, whose instantiation must trap. */
static void cmd_assert_trap(script_t *s, json_t *cmd, int exhaustion) {
  weft_error_t err = {0};
  weft_core_val_t res[MAX_VALS];
  size_t nres = 0;
  int rc;
  if (json_object_get(cmd, "filename")) {
    weft_module_t *m = load(s, cmd, &err);
    if (!m) {
      fail(s, cmd, "%s", errmsg(&err));
      return;
    }
    rc = instantiate(s, m, &err) ? 0 : err.code;
  } else {
    rc = run_action(s, json_object_get(cmd, "action"), res, &nres, &err);
  }
  if (rc != WEFT_ETRAP || err.detail == WEFT_TRAP_DEADLINE ||
      (exhaustion && err.detail != WEFT_TRAP_STACK_EXHAUSTED)) {
    no_trap(s, cmd, rc, &err, res, nres);
    return;
  }
  const char *text = json_string_value(json_object_get(cmd, "text"));
  if (!trap_matches(text, err.detail)) {
    fail(s, cmd, "expected trap '%s', got trap '%s'", text ? text : "",
         weft_trap_message(err.detail));
    return;
  }
  s->passed++;
}

/* assert_invalid and assert_malformed: loading must fail. Text modules
 * have no binary to load and are skipped. */
static void cmd_assert_rejected(script_t *s, json_t *cmd) {
  weft_error_t err = {0};
  const char *mt = json_string_value(json_object_get(cmd, "module_type"));
  if (mt && strcmp(mt, "binary")) {
    s->skipped++;
    return;
  }
  weft_module_t *m = load(s, cmd, &err);
  if (m) {
    const char *text = json_string_value(json_object_get(cmd, "text"));
    fail(s, cmd, "module loaded, expected '%s'", text ? text : "");
    return;
  }
  s->passed++;
}

/* assert_unlinkable: the module loads and fails to link. */
static void cmd_assert_unlinkable(script_t *s, json_t *cmd) {
  weft_error_t err = {0};
  weft_module_t *m = load(s, cmd, &err);
  if (!m) {
    fail(s, cmd, "%s", errmsg(&err));
    return;
  }
  if (instantiate(s, m, &err)) {
    const char *text = json_string_value(json_object_get(cmd, "text"));
    fail(s, cmd, "module linked, expected '%s'", text ? text : "");
    return;
  }
  if (err.code != WEFT_EUNLINKABLE) {
    fail(s, cmd, "expected unlinkable, got %s", errmsg(&err));
    return;
  }
  s->passed++;
}

/* Execute one command; unknown command types count as skipped. */
static void run_command(script_t *s, json_t *cmd) {
  const char *type = json_string_value(json_object_get(cmd, "type"));
  if (!type)
    fail(s, cmd, "command without a type");
  else if (!strcmp(type, "module"))
    cmd_module(s, cmd);
  else if (!strcmp(type, "register"))
    cmd_register(s, cmd);
  else if (!strcmp(type, "action"))
    cmd_action(s, cmd);
  else if (!strcmp(type, "assert_return"))
    cmd_assert_return(s, cmd);
  else if (!strcmp(type, "assert_trap") ||
           !strcmp(type, "assert_uninstantiable"))
    cmd_assert_trap(s, cmd, 0);
  else if (!strcmp(type, "assert_exhaustion"))
    cmd_assert_trap(s, cmd, 1);
  else if (!strcmp(type, "assert_invalid") ||
           !strcmp(type, "assert_malformed"))
    cmd_assert_rejected(s, cmd);
  else if (!strcmp(type, "assert_unlinkable"))
    cmd_assert_unlinkable(s, cmd);
  else
    s->skipped++;
}

/* ---- scripts ----------------------------------------------------------- */

/* A fresh linker with the host print functions and, when there is a
 * spectest module, a "spectest" instance of it. */
static int script_link(script_t *s, weft_error_t *err) {
  s->linker = weft_linker_new(s->engine);
  if (!s->linker) {
    snprintf(err->msg, sizeof err->msg, "out of memory");
    return WEFT_ENOMEM;
  }
  for (size_t i = 0; i < sizeof host_funcs / sizeof host_funcs[0]; i++)
    if (weft_linker_define_func(s->linker, "weft_spectest", host_funcs[i].name,
                                host_funcs[i].sig, host_print,
                                (void *)host_funcs[i].sig, err) < 0)
      return err->code;
  if (!s->spectest)
    return 0;
  weft_instance_t *inst = instantiate(s, s->spectest, err);
  if (!inst)
    return err->code;
  return weft_linker_define_instance(s->linker, "spectest", inst, err);
}

/* Free everything a script made, instances first. */
static void script_release(script_t *s) {
  for (size_t i = s->instances.n; i > 0; i--)
    weft_instance_free(s->instances.v[i - 1]);
  weft_linker_free(s->linker);
  for (size_t i = 0; i < s->modules.n; i++)
    weft_module_free(s->modules.v[i]);
  for (size_t i = 0; i < s->nnames; i++)
    free(s->names[i].name);
  free(s->names);
  free(s->instances.v);
  free(s->modules.v);
}

/* Run the script `path`; add its counts to *totals. Returns 0, or -1 when
 * it could not be run at all. */
static int run_script(weft_engine_t *engine, weft_module_t *spectest,
                      const weft_limits_t *limits, const char *path,
                      int totals[3]) {
  json_error_t jerr;
  weft_error_t err = {0};
  int rc = -1;
  script_t s;
  memset(&s, 0, sizeof s);
  s.engine = engine;
  s.spectest = spectest;
  s.limits = *limits;
  char *dir = strdup(path);
  json_t *root = json_load_file(path, JSON_ALLOW_NUL, &jerr);
  if (!dir) {
    cli_error("out of memory");
    goto out;
  }
  char *slash = strrchr(dir, '/');
  if (slash)
    *slash = 0;
  s.dir = slash ? dir : ".";
  if (!root) {
    if (jerr.line > 0)
      cli_error("cannot read '%s': %s (line %d)", path, jerr.text,
                jerr.line);
    else
      cli_error("cannot read '%s': %s", path, jerr.text);
    goto out;
  }
  /* The display name: the .wast file wast2json read, else the .json's. */
  const char *src =
      json_string_value(json_object_get(root, "source_filename"));
  const char *base = strrchr(src ? src : path, '/');
  base = base ? base + 1 : src ? src : path;
  snprintf(s.wast, sizeof s.wast, "%s", base);
  char *dot = strrchr(s.wast, '.');
  if (!src && dot && !strcmp(dot, ".json"))
    snprintf(dot, sizeof s.wast - (size_t)(dot - s.wast), ".wast");
  json_t *cmds = json_object_get(root, "commands");
  if (!json_is_array(cmds)) {
    cli_error("'%s' has no 'commands' array", path);
    goto out;
  }
  if (script_link(&s, &err) < 0) {
    cli_error("'%s': cannot instantiate the spectest module: %s", path,
              errmsg(&err));
    goto out;
  }
  for (size_t i = 0; i < json_array_size(cmds); i++)
    run_command(&s, json_array_get(cmds, i));
  printf("%s: %d passed, %d failed, %d skipped\n", s.wast, s.passed,
         s.failed, s.skipped);
  fflush(stdout);
  totals[0] += s.passed;
  totals[1] += s.failed;
  totals[2] += s.skipped;
  rc = 0;
out:
  script_release(&s);
  json_decref(root);
  free(dir);
  return rc;
}

/* `weft spectest`: see usage[] above. */
int cmd_spectest(int argc, char **argv) {
  static const struct option opts[] = {
      {"spectest", required_argument, NULL, 's'},
      {"deadline", required_argument, NULL, 't'},
      {"verbose", no_argument, NULL, 'v'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  const char *spectest_path = NULL;
  weft_limits_t limits = {.deadline_ns = 60000000000ull};
  weft_engine_t *engine = NULL;
  weft_module_t *spectest = NULL;
  weft_error_t err = {0};
  int rc = WEFT_EXIT_FAIL, c, totals[3] = {0, 0, 0}, broken = 0;

  optind = 1;
  while ((c = getopt_long(argc, argv, "hv", opts, NULL)) != -1) {
    switch (c) {
    case 's':
      spectest_path = optarg;
      break;
    case 't':
      if (cli_parse_duration(optarg, &limits.deadline_ns) < 0)
        return cli_usage_error("spectest", "bad --deadline '%s'", optarg);
      break;
    case 'v':
      verbose = 1;
      break;
    case 'h':
      fputs(usage, stdout);
      return WEFT_EXIT_OK;
    default:
      return cli_usage_error("spectest", "bad option");
    }
  }
  if (optind >= argc)
    return cli_usage_error("spectest", "no script given");

  /* Spec modules run briefly and are many: compile them unoptimised. */
  weft_engine_config_t cfg = {.opt_level = 0};
  engine = weft_engine_new(&cfg, &err);
  if (!engine) {
    rc = cli_fail(&err);
    goto out;
  }
  if (spectest_path) {
    spectest = weft_module_load_file(engine, spectest_path, &err);
    if (!spectest) {
      rc = cli_fail(&err);
      goto out;
    }
  }
  for (int i = optind; i < argc; i++)
    if (run_script(engine, spectest, &limits, argv[i], totals) < 0)
      broken++;
  if (argc - optind > 1)
    printf("%d passed, %d failed, %d skipped\n", totals[0], totals[1],
           totals[2]);
  rc = totals[1] || broken ? WEFT_EXIT_FAIL : WEFT_EXIT_OK;
out:
  fflush(stdout);
  weft_module_free(spectest);
  weft_engine_free(engine);
  return rc;
}

/* cmd_inspect.c - `weft inspect`: show a module's sections, imports and
 * exports with their types, memories, tables, globals, start function,
 * custom sections and code size, and for a component the role and world
 * its exports name, as text or as one JSON object. Uses only the binary
 * reader (src/engine/reader.h); nothing is compiled or run. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "engine/reader.h"
#include "flow/flow.h"
#include "util/util.h"

static const char usage[] =
    "usage: weft inspect [--json] MODULE.wasm\n"
    "\n"
    "Show the structure of a WebAssembly module: its sections, imports and\n"
    "exports with their types, memories, tables, globals, start function,\n"
    "custom sections, function count and code size; and for a component,\n"
    "the world it is for (a flow role such as torvyn processor, or a Spin\n"
    "trigger), known by the functions it exports. The module is only\n"
    "decoded; nothing is compiled or run.\n"
    "\n"
    "options:\n"
    "  --json      print one JSON object instead of text\n"
    "  -h, --help  show this help and exit\n";

static const char *const kind_names[] = {"func", "table", "memory", "global",
                                         "tag"};

/* Name of section `id` ("type"; "custom" for 0). */
static const char *section_kind(uint8_t id) {
  static const char *const names[] = {
      "custom", "type",   "import", "function", "table",
      "memory", "global", "export", "start",    "element",
      "code",   "data",   "datacount", "tag"};
  return id < sizeof names / sizeof names[0] ? names[id] : "?";
}

/* Name of extern kind `k` ("func"). */
static const char *kind_name(uint8_t k) {
  return k < sizeof kind_names / sizeof kind_names[0] ? kind_names[k] : "?";
}

/* ---- lookups across the import and definition index spaces -------------- */

/* The `idx`-th import of kind `kind`, or NULL. */
static const weft__import_t *nth_import(const weft__wasm_t *w, uint8_t kind,
                                        uint32_t idx) {
  uint32_t k = 0;
  for (uint32_t i = 0; i < w->nimports; i++)
    if (w->imports[i].kind == kind && k++ == idx)
      return &w->imports[i];
  return NULL;
}

/* The limits of memory `idx` (imports first), or NULL. */
static const weft__limits_t *memory_at(const weft__wasm_t *w, uint32_t idx) {
  const weft__import_t *im;
  if (idx < w->nimported_memories)
    return (im = nth_import(w, WEFT_EXTERN_MEMORY, idx)) ? &im->u.memory
                                                         : NULL;
  idx -= w->nimported_memories;
  return idx < w->nmemories ? &w->memories[idx] : NULL;
}

/* The type of table `idx` (imports first), or NULL. */
static const weft__tabletype_t *table_at(const weft__wasm_t *w,
                                         uint32_t idx) {
  const weft__import_t *im;
  if (idx < w->nimported_tables)
    return (im = nth_import(w, WEFT_EXTERN_TABLE, idx)) ? &im->u.table
                                                        : NULL;
  idx -= w->nimported_tables;
  return idx < w->ntables ? &w->tables[idx] : NULL;
}

/* The type of global `idx` (imports first), or NULL. */
static const weft__globaltype_t *global_at(const weft__wasm_t *w,
                                           uint32_t idx) {
  const weft__import_t *im;
  if (idx < w->nimported_globals)
    return (im = nth_import(w, WEFT_EXTERN_GLOBAL, idx)) ? &im->u.global
                                                         : NULL;
  idx -= w->nimported_globals;
  return idx < w->nglobals ? &w->globals[idx] : NULL;
}

/* The function type of tag `idx` (imports first), or NULL. */
static const weft__functype_t *tag_at(const weft__wasm_t *w, uint32_t idx) {
  const weft__import_t *im;
  uint32_t t;
  if (idx < w->nimported_tags) {
    if (!(im = nth_import(w, WEFT_EXTERN_TAG, idx)))
      return NULL;
    t = im->u.tag_type;
  } else if (idx - w->nimported_tags < w->ntags) {
    t = w->tag_types[idx - w->nimported_tags];
  } else {
    return NULL;
  }
  return t < w->ntypes ? &w->types[t] : NULL;
}

/* ---- which component it is ---------------------------------------------- */

/* A world a component may be for, and the functions it makes one export
 * (core names, as wit-bindgen gives them). Flow roles come from
 * src/flow/flow_role.c; Spin's trigger worlds are the ones in wit/. */
typedef struct known_world {
  const char *family, *role, *world;
  const char *const *exports;
} known_world_t;

static const char *const spin_http[] = {
    "fermyon:spin/inbound-http#handle-request", NULL};
static const char *const spin_redis[] = {
    "fermyon:spin/inbound-redis#handle-message", NULL};
static const char *const spin_timer[] = {"handle-timer-request", NULL};

/* True if `w` exports a function named `name`. */
static int exports_func(const weft__wasm_t *w, const char *name) {
  size_t len = strlen(name);
  for (uint32_t i = 0; i < w->nexports; i++)
    if (w->exports[i].kind == WEFT_EXTERN_FUNC &&
        w->exports[i].name_len == len &&
        !memcmp(w->exports[i].name, name, len))
      return 1;
  return 0;
}

/* Fill out[] (room for 9) with the worlds whose every function `w`
 * exports; returns how many. */
static size_t known_worlds(const weft__wasm_t *w, known_world_t *out) {
  static const known_world_t spin[] = {
      {"spin", "http-trigger", "fermyon:spin/http-trigger", spin_http},
      {"spin", "redis-trigger", "fermyon:spin/redis-trigger", spin_redis},
      {"spin", "timer", "fermyon:example/spin-timer", spin_timer}};
  known_world_t cand[9];
  size_t n = 0, k = 0;
  for (int r = WEFT__FLOW_SOURCE; r <= WEFT__FLOW_SINK; r++)
    cand[n++] = (known_world_t){"torvyn", weft__flow_role_name(r),
                                weft__flow_role_world(r),
                                weft__flow_role_exports(r)};
  for (size_t i = 0; i < sizeof spin / sizeof spin[0]; i++)
    cand[n++] = spin[i];
  for (size_t i = 0; i < n; i++) {
    int all = 1;
    for (const char *const *e = cand[i].exports; *e && all; e++)
      all = exports_func(w, *e);
    if (all)
      out[k++] = cand[i];
  }
  return k;
}

/* ---- text output -------------------------------------------------------- */

/* Print s[0..len) with control characters escaped as \xNN. */
static void put_name(const char *s, size_t len) {
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x20 || c == 0x7f)
      printf("\\x%02x", c);
    else
      putchar(c);
  }
}

/* Print a list of value types: "i32" alone when `bare` and there is
 * exactly one, else "(i32, i64)". */
static void put_valtypes(const uint8_t *t, uint32_t n, int bare) {
  if (bare && n == 1) {
    fputs(weft__valtype_name(t[0]), stdout);
    return;
  }
  putchar('(');
  for (uint32_t i = 0; i < n; i++)
    printf("%s%s", i ? ", " : "", weft__valtype_name(t[i]));
  putchar(')');
}

/* Print a function type: "(i32, i32) -> i32". */
static void put_functype(const weft__functype_t *t) {
  if (!t) {
    fputs("(?)", stdout);
    return;
  }
  put_valtypes(t->params, t->nparams, 0);
  fputs(" -> ", stdout);
  put_valtypes(t->results, t->nresults, 1);
}

/* Print limits as "1..65536" or "1.." (no maximum). */
static void put_range(const weft__limits_t *l) {
  printf("%llu..", (unsigned long long)l->min);
  if (l->has_max)
    printf("%llu", (unsigned long long)l->max);
}

/* Print memory limits: "1..65536 pages", plus " shared" and " i64". */
static void put_memory(const weft__limits_t *l) {
  if (!l) {
    fputs("?", stdout);
    return;
  }
  put_range(l);
  fputs(" pages", stdout);
  if (l->shared)
    fputs(" shared", stdout);
  if (l->is64)
    fputs(" i64", stdout);
}

/* Print a table type: "10.. funcref". */
static void put_table(const weft__tabletype_t *t) {
  if (!t) {
    fputs("?", stdout);
    return;
  }
  put_range(&t->limits);
  printf(" %s%s", weft__valtype_name(t->elem), t->limits.is64 ? " i64" : "");
}

/* Print a global type: "mut i32" or "i32". */
static void put_global(const weft__globaltype_t *g) {
  if (!g) {
    fputs("?", stdout);
    return;
  }
  printf("%s%s", g->mut ? "mut " : "", weft__valtype_name(g->type));
}

/* Print the type of the entity of `kind` at `idx`. */
static void put_extern(const weft__wasm_t *w, uint8_t kind, uint32_t idx) {
  switch (kind) {
  case WEFT_EXTERN_FUNC:
    put_functype(weft__wasm_func_type(w, idx));
    break;
  case WEFT_EXTERN_TABLE:
    put_table(table_at(w, idx));
    break;
  case WEFT_EXTERN_MEMORY:
    put_memory(memory_at(w, idx));
    break;
  case WEFT_EXTERN_GLOBAL:
    put_global(global_at(w, idx));
    break;
  case WEFT_EXTERN_TAG:
    put_functype(tag_at(w, idx));
    break;
  }
}

/* Print the import's type. */
static void put_import_type(const weft__wasm_t *w, const weft__import_t *im) {
  switch (im->kind) {
  case WEFT_EXTERN_FUNC:
    put_functype(im->u.func_type < w->ntypes ? &w->types[im->u.func_type]
                                             : NULL);
    break;
  case WEFT_EXTERN_TABLE:
    put_table(&im->u.table);
    break;
  case WEFT_EXTERN_MEMORY:
    put_memory(&im->u.memory);
    break;
  case WEFT_EXTERN_GLOBAL:
    put_global(&im->u.global);
    break;
  case WEFT_EXTERN_TAG:
    put_functype(im->u.tag_type < w->ntypes ? &w->types[im->u.tag_type]
                                            : NULL);
    break;
  }
}

/* Print a list heading: "imports (3):" or "imports: none". Returns n. */
static uint32_t heading(const char *what, uint32_t n) {
  if (n)
    printf("\n%s (%u):\n", what, n);
  else
    printf("\n%s: none\n", what);
  return n;
}

/* The whole text report for `w`, read from `path` of `size` bytes. */
static void print_text(const char *path, size_t size, const weft__wasm_t *w) {
  uint32_t ncustom = 0;
  known_world_t worlds[9];
  size_t nworlds = known_worlds(w, worlds);
  printf("module: %s\nsize: %zu bytes\n", path, size);
  if (w->module_name)
    printf("name: %s\n", w->module_name);
  for (size_t i = 0; i < nworlds; i++)
    printf("component: %s %s (%s)\n", worlds[i].family, worlds[i].role,
           worlds[i].world);

  printf("\nsections (%u):\n", w->nsections);
  if (w->nsections)
    printf("  %3s  %-10s  %-10s  %10s\n", "id", "name", "offset", "size");
  for (uint32_t i = 0; i < w->nsections; i++) {
    const weft__section_t *s = &w->sections[i];
    printf("  %3u  %-10s  0x%08x  %10u", s->id, section_kind(s->id),
           s->offset, s->size);
    if (s->name) {
      fputs("  \"", stdout);
      put_name(s->name, strlen(s->name));
      putchar('"');
      ncustom++;
    }
    putchar('\n');
  }

  heading("imports", w->nimports);
  for (uint32_t i = 0; i < w->nimports; i++) {
    const weft__import_t *im = &w->imports[i];
    printf("  %s ", kind_name(im->kind));
    put_name(im->module, im->module_len);
    putchar('.');
    put_name(im->name, im->name_len);
    putchar(' ');
    put_import_type(w, im);
    putchar('\n');
  }

  heading("exports", w->nexports);
  for (uint32_t i = 0; i < w->nexports; i++) {
    const weft__export_t *ex = &w->exports[i];
    printf("  %s ", kind_name(ex->kind));
    put_name(ex->name, ex->name_len);
    putchar(' ');
    put_extern(w, ex->kind, ex->index);
    putchar('\n');
  }

  heading("memories", w->nmemories);
  for (uint32_t i = 0; i < w->nmemories; i++) {
    printf("  memory %u: ", w->nimported_memories + i);
    put_memory(&w->memories[i]);
    putchar('\n');
  }

  heading("tables", w->ntables);
  for (uint32_t i = 0; i < w->ntables; i++) {
    printf("  table %u: ", w->nimported_tables + i);
    put_table(&w->tables[i]);
    putchar('\n');
  }

  heading("globals", w->nglobals);
  for (uint32_t i = 0; i < w->nglobals; i++) {
    printf("  global %u: ", w->nimported_globals + i);
    put_global(&w->globals[i]);
    putchar('\n');
  }

  if (w->has_start) {
    const char *name = weft__wasm_func_name(w, w->start);
    printf("\nstart: func %u", w->start);
    if (name) {
      fputs(" (", stdout);
      put_name(name, strlen(name));
      putchar(')');
    }
    putchar('\n');
  } else {
    printf("\nstart: none\n");
  }

  heading("custom sections", ncustom);
  for (uint32_t i = 0; i < w->nsections; i++) {
    const weft__section_t *s = &w->sections[i];
    if (!s->name)
      continue;
    fputs("  ", stdout);
    put_name(s->name, strlen(s->name));
    printf(" %u bytes\n", s->size);
  }

  printf("\nfunctions: %llu (%u imported, %u defined)\ncode: %u bytes\n",
         (unsigned long long)w->nimported_funcs + w->nfuncs,
         w->nimported_funcs, w->nfuncs, w->code_size);
}

/* ---- JSON output -------------------------------------------------------- */

/* An unsigned integer as JSON (a real beyond the range of json_int_t). */
static json_t *ju64(uint64_t v) {
  return v <= (uint64_t)INT64_MAX ? json_integer((json_int_t)v)
                                  : json_real((double)v);
}

/* Append `v` (stolen) to array `a`. Returns 0, or -1 if `v` is NULL or
 * out of memory. */
static int append(json_t *a, json_t *v) {
  return v ? json_array_append_new(a, v) : -1;
}

/* A JSON array of value type names, or NULL on failure. */
static json_t *j_valtypes(const uint8_t *t, uint32_t n) {
  json_t *a = json_array();
  for (uint32_t i = 0; a && i < n; i++)
    if (append(a, json_string(weft__valtype_name(t[i])))) {
      json_decref(a);
      a = NULL;
    }
  return a;
}

/* {"params": [...], "results": [...], "sig": "ii:i"}, JSON null for a
 * missing type, or NULL on failure. */
static json_t *j_functype(const weft__functype_t *t) {
  char sig[256];
  if (!t)
    return json_null();
  return json_pack("{s:o, s:o, s:s}", "params",
                   j_valtypes(t->params, t->nparams), "results",
                   j_valtypes(t->results, t->nresults), "sig",
                   weft__functype_sig(t, sig, sizeof sig));
}

/* {"min": n, "max": n|null, "shared": b, "is64": b}, or NULL. */
static json_t *j_limits(const weft__limits_t *l) {
  if (!l)
    return json_null();
  return json_pack("{s:o, s:o, s:b, s:b}", "min", ju64(l->min), "max",
                   l->has_max ? ju64(l->max) : json_null(), "shared",
                   l->shared, "is64", l->is64);
}

/* {"element": "funcref", "limits": {...}}, or NULL. */
static json_t *j_table(const weft__tabletype_t *t) {
  if (!t)
    return json_null();
  return json_pack("{s:s, s:o}", "element", weft__valtype_name(t->elem),
                   "limits", j_limits(&t->limits));
}

/* {"type": "i32", "mutable": b}, or NULL. */
static json_t *j_global(const weft__globaltype_t *g) {
  if (!g)
    return json_null();
  return json_pack("{s:s, s:b}", "type", weft__valtype_name(g->type),
                   "mutable", g->mut);
}

/* The type of the entity of `kind` at `idx` as JSON, or NULL. */
static json_t *j_extern(const weft__wasm_t *w, uint8_t kind, uint32_t idx) {
  switch (kind) {
  case WEFT_EXTERN_FUNC:
    return j_functype(weft__wasm_func_type(w, idx));
  case WEFT_EXTERN_TABLE:
    return j_table(table_at(w, idx));
  case WEFT_EXTERN_MEMORY:
    return j_limits(memory_at(w, idx));
  case WEFT_EXTERN_GLOBAL:
    return j_global(global_at(w, idx));
  case WEFT_EXTERN_TAG:
    return j_functype(tag_at(w, idx));
  }
  return json_null();
}

/* The type of import `im` as JSON, or NULL. */
static json_t *j_import_type(const weft__wasm_t *w, const weft__import_t *im) {
  switch (im->kind) {
  case WEFT_EXTERN_FUNC:
    return j_functype(im->u.func_type < w->ntypes
                          ? &w->types[im->u.func_type]
                          : NULL);
  case WEFT_EXTERN_TABLE:
    return j_table(&im->u.table);
  case WEFT_EXTERN_MEMORY:
    return j_limits(&im->u.memory);
  case WEFT_EXTERN_GLOBAL:
    return j_global(&im->u.global);
  case WEFT_EXTERN_TAG:
    return j_functype(im->u.tag_type < w->ntypes ? &w->types[im->u.tag_type]
                                                 : NULL);
  }
  return json_null();
}

/* The arrays of the report: sections, custom sections, imports, exports,
 * memories, tables and globals, filled into `root`. Returns 0 or -1. */
static int j_lists(json_t *root, const weft__wasm_t *w) {
  json_t *secs = json_array(), *custom = json_array();
  json_t *imps = json_array(), *exps = json_array(), *mems = json_array();
  json_t *tabs = json_array(), *globs = json_array();
  int rc = -1;
  if (!secs || !custom || !imps || !exps || !mems || !tabs || !globs)
    goto out;
  for (uint32_t i = 0; i < w->nsections; i++) {
    const weft__section_t *s = &w->sections[i];
    json_t *o = json_pack("{s:i, s:s, s:I, s:I}", "id", s->id, "kind",
                          section_kind(s->id), "offset",
                          (json_int_t)s->offset, "size",
                          (json_int_t)s->size);
    if (o && s->name &&
        json_object_set_new(o, "name", json_string(s->name))) {
      json_decref(o);
      o = NULL;
    }
    if (append(secs, o))
      goto out;
    if (s->name && append(custom, json_pack("{s:s, s:I}", "name", s->name,
                                            "size", (json_int_t)s->size)))
      goto out;
  }
  for (uint32_t i = 0; i < w->nimports; i++) {
    const weft__import_t *im = &w->imports[i];
    if (append(imps, json_pack("{s:s, s:s%, s:s%, s:o}", "kind",
                               kind_name(im->kind), "module", im->module,
                               (size_t)im->module_len, "name", im->name,
                               (size_t)im->name_len, "type",
                               j_import_type(w, im))))
      goto out;
  }
  for (uint32_t i = 0; i < w->nexports; i++) {
    const weft__export_t *ex = &w->exports[i];
    if (append(exps, json_pack("{s:s, s:s%, s:I, s:o}", "kind",
                               kind_name(ex->kind), "name", ex->name,
                               (size_t)ex->name_len, "index",
                               (json_int_t)ex->index, "type",
                               j_extern(w, ex->kind, ex->index))))
      goto out;
  }
  for (uint32_t i = 0; i < w->nmemories; i++)
    if (append(mems, json_pack("{s:I, s:o}", "index",
                               (json_int_t)w->nimported_memories + i,
                               "limits", j_limits(&w->memories[i]))))
      goto out;
  for (uint32_t i = 0; i < w->ntables; i++)
    if (append(tabs, json_pack("{s:I, s:o}", "index",
                               (json_int_t)w->nimported_tables + i, "type",
                               j_table(&w->tables[i]))))
      goto out;
  for (uint32_t i = 0; i < w->nglobals; i++)
    if (append(globs, json_pack("{s:I, s:o}", "index",
                                (json_int_t)w->nimported_globals + i,
                                "type", j_global(&w->globals[i]))))
      goto out;
  rc = json_object_set(root, "sections", secs) ||
               json_object_set(root, "imports", imps) ||
               json_object_set(root, "exports", exps) ||
               json_object_set(root, "memories", mems) ||
               json_object_set(root, "tables", tabs) ||
               json_object_set(root, "globals", globs) ||
               json_object_set(root, "custom_sections", custom)
           ? -1
           : 0;
out:
  json_decref(secs);
  json_decref(custom);
  json_decref(imps);
  json_decref(exps);
  json_decref(mems);
  json_decref(tabs);
  json_decref(globs);
  return rc;
}

/* [{"family", "role", "world"}] of the worlds `w` is a component of, or
 * NULL. */
static json_t *j_components(const weft__wasm_t *w) {
  known_world_t worlds[9];
  size_t n = known_worlds(w, worlds);
  json_t *a = json_array();
  for (size_t i = 0; a && i < n; i++)
    if (append(a, json_pack("{s:s, s:s, s:s}", "family", worlds[i].family,
                            "role", worlds[i].role, "world",
                            worlds[i].world))) {
      json_decref(a);
      a = NULL;
    }
  return a;
}

/* Print the JSON report for `w`. Returns 0 or -1 (out of memory). */
static int print_json(const char *path, size_t size, const weft__wasm_t *w) {
  json_t *root, *start = json_null();
  int rc = -1;
  if (w->has_start)
    start = json_pack("{s:I, s:s?}", "index", (json_int_t)w->start, "name",
                      weft__wasm_func_name(w, w->start));
  root = json_pack(
      "{s:s, s:I, s:s?, s:o, s:{s:I, s:I, s:I}, s:I}", "file", path, "size",
      (json_int_t)size, "module_name", w->module_name, "start", start,
      "functions", "total", (json_int_t)w->nimported_funcs + w->nfuncs,
      "imported", (json_int_t)w->nimported_funcs, "defined",
      (json_int_t)w->nfuncs, "code_size", (json_int_t)w->code_size);
  if (!root || j_lists(root, w) ||
      json_object_set_new(root, "components", j_components(w)))
    goto out;
  if (json_dumpf(root, stdout, JSON_INDENT(2)) == 0 && putchar('\n') != EOF)
    rc = 0;
out:
  json_decref(root);
  return rc;
}

/* ---- the command -------------------------------------------------------- */

/* `weft inspect [--json] MODULE.wasm`; argv[0] is "inspect". Returns
 * WEFT_EXIT_OK, WEFT_EXIT_FAIL (unreadable or bad module) or
 * WEFT_EXIT_USAGE. */
int cmd_inspect(int argc, char **argv) {
  static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  weft_error_t err = {0};
  weft__wasm_t w;
  uint8_t *data = NULL;
  size_t size = 0;
  const char *path;
  int json = 0, c, rc = WEFT_EXIT_FAIL;
  memset(&w, 0, sizeof w);
  opterr = 0;
  optind = 0; /* full reinitialisation; options may follow the file */
  while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
    switch (c) {
    case 'j':
      json = 1;
      break;
    case 'h':
      fputs(usage, stdout);
      return WEFT_EXIT_OK;
    default:
      if (optopt == 'j' || optopt == 'h')
        return cli_usage_error("inspect", "option '%s' takes no value",
                               argv[optind - 1]);
      return cli_usage_error("inspect", "unknown option '%s'",
                             argv[optind - 1]);
    }
  }
  if (optind >= argc)
    return cli_usage_error("inspect", "no module given");
  if (argc - optind > 1)
    return cli_usage_error("inspect", "unexpected argument '%s'",
                           argv[optind + 1]);
  path = argv[optind];

  if (weft__read_file(path, &data, &size, &err)) {
    rc = cli_fail(&err);
    goto out;
  }
  if (weft__wasm_read(data, size, &w, &err)) {
    cli_error("cannot inspect '%s': %s", path, err.msg);
    goto out;
  }
  if (json) {
    if (print_json(path, size, &w)) {
      cli_error("cannot inspect '%s': out of memory", path);
      goto out;
    }
  } else {
    print_text(path, size, &w);
  }
  if (fflush(stdout) == EOF || ferror(stdout)) {
    cli_error("cannot write the report for '%s'", path);
    goto out;
  }
  rc = WEFT_EXIT_OK;
out:
  weft__wasm_release(&w);
  free(data);
  return rc;
}

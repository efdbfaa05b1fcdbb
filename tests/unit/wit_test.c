/* wit_test.c - unit tests for the WIT parser and resolver (src/cabi/):
 * the resolved model of realistic packages (types, resources and their
 * functions, worlds with includes and implicit imports), positions, doc
 * comments, lookups, exact error messages and codes, printing and its
 * round trip, loading a directory with deps, misuse of the API, and
 * failure of every allocation in turn (glibc builds without ASan/TSan
 * only). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cabi/wit.h"

#include "faults.h"

/* ---- helpers ------------------------------------------------------------ */

/* Parse NUL-terminated `text` as the only file "t.wit", failing the test
 * on error. */
static weft__wit_t *parse_ok(const char *text) {
  weft__wit_t *w = NULL;
  weft_error_t err;
  memset(&err, 0, sizeof err);
  if (weft__wit_parse(text, strlen(text), "t.wit", &w, &err)) {
    print_error("unexpected error: %s\n", err.msg);
    fail();
  }
  assert_non_null(w);
  return w;
}

/* Parse expecting failure with `code` and message `msg`. */
static void parse_fails(const char *text, int code, const char *msg) {
  weft__wit_t *w = (weft__wit_t *)&w;
  weft_error_t err;
  memset(&err, 0, sizeof err);
  assert_int_equal(weft__wit_parse(text, strlen(text), "t.wit", &w, &err),
                   code);
  assert_null(w);
  assert_int_equal(err.code, code);
  assert_string_equal(err.msg, msg);
}

/* The interface "name" of the root package; fails the test if absent. */
static const weft__wit_iface_t *iface(const weft__wit_t *w,
                                      const char *name) {
  const weft__wit_iface_t *f = weft__wit_interface(w, name);
  assert_non_null(f);
  return f;
}

/* Named type `name` of `f`. */
static const weft__wit_type_t *type(const weft__wit_iface_t *f,
                                    const char *name) {
  const weft__wit_type_t *t = weft__wit_iface_type(f, name);
  assert_non_null(t);
  return t;
}

/* Function `name` of `f`. */
static const weft__wit_func_t *func(const weft__wit_iface_t *f,
                                    const char *name) {
  const weft__wit_func_t *fn = weft__wit_iface_func(f, name);
  assert_non_null(fn);
  return fn;
}

static const char spin_world[] =
    "package fermyon:spin-timer@2.0.0;\n"
    "\n"
    "world spin-timer {\n"
    "  import fermyon:spin/variables@2.0.0;\n"
    "  export handle-timer-request: func();\n"
    "}\n";

static const char spin_variables[] =
    "package fermyon:spin@2.0.0;\n"
    "\n"
    "interface variables {\n"
    "  /// Get an application variable value.\n"
    "  get: func(name: string) -> result<string, error>;\n"
    "\n"
    "  variant error {\n"
    "    invalid-name(string),\n"
    "    undefined(string),\n"
    "    provider(string),\n"
    "    other(string),\n"
    "  }\n"
    "}\n";

/* ---- tests -------------------------------------------------------------- */

/* Spin's variables interface as a dependency and a timer world: the model
 * seen by the canonical ABI. */
static void test_spin(void **state) {
  weft__wit_t *w = weft__wit_new();
  weft_error_t err;
  const weft__wit_world_t *world;
  const weft__wit_iface_t *vars;
  const weft__wit_func_t *get;
  const weft__wit_type_t *res, *e;
  const weft__wit_item_t *it;
  (void)state;
  assert_non_null(w);
  assert_int_equal(weft__wit_add_file(w, 0, "wit/world.wit", spin_world,
                                      strlen(spin_world), &err),
                   0);
  assert_int_equal(weft__wit_add_file(w, 1, "wit/deps/spin/variables.wit",
                                      spin_variables, strlen(spin_variables),
                                      &err),
                   0);
  assert_int_equal(weft__wit_resolve(w, &err), 0);

  assert_int_equal(w->npkgs, 2);
  assert_string_equal(w->root->id, "fermyon:spin-timer@2.0.0");
  assert_true(w->root->root);
  assert_string_equal(w->pkgs[1]->id, "fermyon:spin@2.0.0");
  assert_string_equal(w->pkgs[1]->version, "2.0.0");
  assert_false(w->pkgs[1]->root);

  world = weft__wit_world(w, NULL, &err);
  assert_non_null(world);
  assert_string_equal(world->qname, "fermyon:spin-timer/spin-timer@2.0.0");
  assert_int_equal(world->nimports, 1);
  assert_int_equal(world->nexports, 1);
  it = &world->imports[0];
  assert_int_equal(it->kind, WEFT__WIT_ITEM_INTERFACE);
  assert_string_equal(it->name, "fermyon:spin/variables@2.0.0");
  assert_false(it->plain);
  assert_false(it->implicit);
  assert_ptr_equal(it->from, world);
  assert_string_equal(it->file, "wit/world.wit");
  assert_int_equal(it->line, 4);
  assert_int_equal(it->col, 10);
  it = weft__wit_export(world, "handle-timer-request");
  assert_non_null(it);
  assert_int_equal(it->kind, WEFT__WIT_ITEM_FUNC);
  assert_true(it->plain);
  assert_int_equal(it->func->nparams, 0);
  assert_int_equal(it->func->nresults, 0);
  assert_ptr_equal(it->func->world, world);
  assert_null(it->func->iface);

  vars = world->imports[0].iface;
  assert_ptr_equal(vars, weft__wit_interface(w,
                                             "fermyon:spin/variables@2.0.0"));
  assert_ptr_equal(vars, weft__wit_interface(w, "fermyon:spin/variables"));
  assert_null(weft__wit_interface(w, "variables"));
  assert_string_equal(vars->qname, "fermyon:spin/variables@2.0.0");
  assert_int_equal(vars->ntypes, 1);
  assert_int_equal(vars->nfuncs, 1);
  get = func(vars, "get");
  assert_int_equal(get->kind, WEFT__WIT_FREESTANDING);
  assert_string_equal(get->abi_name, "get");
  assert_null(get->resource);
  assert_string_equal(get->docs, " Get an application variable value.");
  assert_int_equal(get->nparams, 1);
  assert_string_equal(get->params[0].name, "name");
  assert_int_equal(get->params[0].type->kind, WEFT__WIT_STRING);
  assert_int_equal(get->nresults, 1);
  assert_null(get->results[0].name);
  res = get->results[0].type;
  assert_int_equal(res->kind, WEFT__WIT_RESULT);
  assert_null(res->name);
  assert_int_equal(res->n, 2);
  assert_int_equal(res->m[0].type->kind, WEFT__WIT_STRING);
  e = res->m[1].type;
  assert_ptr_equal(e, type(vars, "error"));
  assert_int_equal(e->kind, WEFT__WIT_VARIANT);
  assert_ptr_equal(e->iface, vars);
  assert_int_equal(e->n, 4);
  assert_string_equal(e->m[0].name, "invalid-name");
  assert_string_equal(e->m[3].name, "other");
  assert_int_equal(e->m[3].type->kind, WEFT__WIT_STRING);
  assert_string_equal(e->file, "wit/deps/spin/variables.wit");
  assert_int_equal(e->line, 7);
  assert_int_equal(e->col, 11);
  weft__wit_free(w);
}

/* Every kind of type, aliases, and the shapes of anonymous types. */
static void test_types(void **state) {
  weft__wit_t *w = parse_ok(
      "package t:t;\n"
      "interface i {\n"
      "  type a = bool; type b = s8; type c = u8; type d = s16;\n"
      "  type e = u16; type f = s32; type g = u32; type h = s64;\n"
      "  type j = u64; type k = f32; type l = f64; type m = float32;\n"
      "  type n = float64; type o = char; type p = string;\n"
      "  type opt = option<u32>;\n"
      "  type r1 = result<char, errno>;\n"
      "  type r2 = result<_, errno>;\n"
      "  type r3 = result<string>;\n"
      "  type r4 = result;\n"
      "  type strings = list<string>;\n"
      "  type pair = tuple<u32, u64>;\n"
      "  type again = strings;\n"
      "  type fut = future<u8>; type s = stream;\n"
      "  record rec { x: u32, y: again }\n"
      "  variant v { none, some(rec) }\n"
      "  enum errno { too-big, too-small }\n"
      "  flags perms { read, write, exec }\n"
      "}\n");
  static const struct {
    const char *name;
    weft__wit_kind_t kind;
  } prims[] = {{"a", WEFT__WIT_BOOL},   {"b", WEFT__WIT_S8},
               {"c", WEFT__WIT_U8},     {"d", WEFT__WIT_S16},
               {"e", WEFT__WIT_U16},    {"f", WEFT__WIT_S32},
               {"g", WEFT__WIT_U32},    {"h", WEFT__WIT_S64},
               {"j", WEFT__WIT_U64},    {"k", WEFT__WIT_F32},
               {"l", WEFT__WIT_F64},    {"m", WEFT__WIT_F32},
               {"n", WEFT__WIT_F64},    {"o", WEFT__WIT_CHAR},
               {"p", WEFT__WIT_STRING}};
  const weft__wit_iface_t *i = iface(w, "i");
  const weft__wit_type_t *t, *u;
  size_t k;
  (void)state;
  for (k = 0; k < sizeof prims / sizeof prims[0]; k++) {
    t = type(i, prims[k].name);
    assert_int_equal(t->kind, WEFT__WIT_ALIAS);
    assert_int_equal(t->n, 1);
    assert_int_equal(t->m[0].type->kind, prims[k].kind);
    assert_ptr_equal(weft__wit_unalias(t), t->m[0].type);
    assert_true(weft__wit_is_primitive(prims[k].kind));
  }
  /* Primitive nodes are shared. */
  assert_ptr_equal(type(i, "k")->m[0].type, type(i, "m")->m[0].type);

  t = type(i, "opt")->m[0].type;
  assert_int_equal(t->kind, WEFT__WIT_OPTION);
  assert_int_equal(t->m[0].type->kind, WEFT__WIT_U32);
  t = type(i, "r1")->m[0].type;
  assert_int_equal(t->kind, WEFT__WIT_RESULT);
  assert_int_equal(t->m[0].type->kind, WEFT__WIT_CHAR);
  assert_ptr_equal(t->m[1].type, type(i, "errno"));
  t = type(i, "r2")->m[0].type;
  assert_null(t->m[0].type);
  assert_ptr_equal(t->m[1].type, type(i, "errno"));
  t = type(i, "r3")->m[0].type;
  assert_int_equal(t->m[0].type->kind, WEFT__WIT_STRING);
  assert_null(t->m[1].type);
  t = type(i, "r4")->m[0].type;
  assert_int_equal(t->n, 2);
  assert_null(t->m[0].type);
  assert_null(t->m[1].type);
  t = type(i, "pair")->m[0].type;
  assert_int_equal(t->kind, WEFT__WIT_TUPLE);
  assert_int_equal(t->n, 2);
  assert_null(t->m[0].name);
  assert_int_equal(t->m[1].type->kind, WEFT__WIT_U64);
  t = type(i, "fut")->m[0].type;
  assert_int_equal(t->kind, WEFT__WIT_FUTURE);
  assert_int_equal(t->m[0].type->kind, WEFT__WIT_U8);
  t = type(i, "s")->m[0].type;
  assert_int_equal(t->kind, WEFT__WIT_STREAM);
  assert_null(t->m[0].type);

  /* An alias of an alias: the edge goes to the named node. */
  t = type(i, "again");
  assert_ptr_equal(t->m[0].type, type(i, "strings"));
  assert_int_equal(weft__wit_unalias(t)->kind, WEFT__WIT_LIST);

  t = type(i, "rec");
  assert_int_equal(t->kind, WEFT__WIT_RECORD);
  assert_int_equal(t->n, 2);
  assert_string_equal(t->m[1].name, "y");
  assert_ptr_equal(t->m[1].type, type(i, "again"));
  assert_int_equal(t->m[1].line, 16);
  assert_int_equal(t->m[1].col, 24);
  u = type(i, "v");
  assert_int_equal(u->kind, WEFT__WIT_VARIANT);
  assert_null(u->m[0].type);
  assert_ptr_equal(u->m[1].type, t);
  u = type(i, "perms");
  assert_int_equal(u->kind, WEFT__WIT_FLAGS);
  assert_int_equal(u->n, 3);
  assert_null(u->m[2].type);
  assert_string_equal(u->m[2].name, "exec");
  assert_int_equal(type(i, "errno")->kind, WEFT__WIT_ENUM);

  assert_string_equal(weft__wit_kind_name(WEFT__WIT_BORROW), "borrow");
  assert_string_equal(weft__wit_kind_name(WEFT__WIT_ALIAS), "alias");
  assert_string_equal(weft__wit_kind_name((weft__wit_kind_t)999), "?");
  assert_false(weft__wit_is_primitive(WEFT__WIT_LIST));
  assert_null(weft__wit_unalias(NULL));
  weft__wit_free(w);
}

/* Resources: function kinds and ABI names, the implicit self and result,
 * owned handles from bare names (through aliases and `use`), borrows. */
static void test_resources(void **state) {
  weft__wit_t *w = parse_ok(
      "package t:res;\n"
      "interface types {\n"
      "  resource buffer {\n"
      "    constructor(capacity: u64);\n"
      "    len: func() -> u64;\n"
      "    concat: static func(a: borrow<buffer>, b: borrow<buffer>)\n"
      "      -> buffer;\n"
      "  }\n"
      "  resource pool {\n"
      "    constructor() -> result<pool, string>;\n"
      "  }\n"
      "  type buf = buffer;\n"
      "  record view {\n"
      "    payload: borrow<buffer>,\n"
      "    owned: buf,\n"
      "  }\n"
      "}\n"
      "interface user {\n"
      "  use types.{buffer as b, view};\n"
      "  take: func(x: b, v: view) -> list<b>;\n"
      "}\n");
  const weft__wit_iface_t *types = iface(w, "types"), *user = iface(w, "user");
  const weft__wit_type_t *buffer = type(types, "buffer"), *t, *alias;
  const weft__wit_func_t *f;
  (void)state;
  assert_int_equal(buffer->kind, WEFT__WIT_RESOURCE);
  assert_int_equal(buffer->nfuncs, 3);
  assert_int_equal(types->nfuncs, 4);

  f = func(types, "[constructor]buffer");
  assert_int_equal(f->kind, WEFT__WIT_CONSTRUCTOR);
  assert_string_equal(f->name, "constructor");
  assert_ptr_equal(f->resource, buffer);
  assert_ptr_equal(buffer->funcs[0], f);
  assert_true(f->implicit_result);
  assert_int_equal(f->nparams, 1);
  assert_int_equal(f->nresults, 1);
  assert_int_equal(f->results[0].type->kind, WEFT__WIT_OWN);
  assert_ptr_equal(f->results[0].type->m[0].type, buffer);

  f = func(types, "[method]buffer.len");
  assert_int_equal(f->kind, WEFT__WIT_METHOD);
  assert_string_equal(f->name, "len");
  assert_int_equal(f->nparams, 1);
  assert_string_equal(f->params[0].name, "self");
  assert_int_equal(f->params[0].type->kind, WEFT__WIT_BORROW);
  assert_ptr_equal(f->params[0].type->m[0].type, buffer);
  assert_int_equal(f->results[0].type->kind, WEFT__WIT_U64);

  f = func(types, "[static]buffer.concat");
  assert_int_equal(f->kind, WEFT__WIT_STATIC);
  assert_int_equal(f->nparams, 2);
  assert_int_equal(f->params[1].type->kind, WEFT__WIT_BORROW);
  assert_int_equal(f->results[0].type->kind, WEFT__WIT_OWN);
  assert_ptr_equal(f->results[0].type->m[0].type, buffer);
  assert_int_equal(f->line, 6);
  assert_int_equal(f->col, 5);

  f = func(types, "[constructor]pool");
  assert_false(f->implicit_result);
  t = f->results[0].type;
  assert_int_equal(t->kind, WEFT__WIT_RESULT);
  assert_int_equal(t->m[0].type->kind, WEFT__WIT_OWN);
  assert_ptr_equal(t->m[0].type->m[0].type, type(types, "pool"));

  /* An alias of a resource is a resource; naming it means own<alias>. */
  alias = type(types, "buf");
  assert_int_equal(alias->kind, WEFT__WIT_ALIAS);
  assert_ptr_equal(alias->m[0].type, buffer);
  t = type(types, "view");
  assert_int_equal(t->m[0].type->kind, WEFT__WIT_BORROW);
  assert_int_equal(t->m[1].type->kind, WEFT__WIT_OWN);
  assert_ptr_equal(t->m[1].type->m[0].type, alias);
  assert_ptr_equal(weft__wit_unalias(t->m[1].type->m[0].type), buffer);

  /* `use` makes named aliases in the user. */
  t = type(user, "b");
  assert_int_equal(t->kind, WEFT__WIT_ALIAS);
  assert_ptr_equal(t->use_from, types);
  assert_string_equal(t->use_name, "buffer");
  assert_ptr_equal(t->iface, user);
  assert_ptr_equal(t->m[0].type, buffer);
  assert_int_equal(user->ndeps, 1);
  assert_ptr_equal(user->deps[0], types);
  f = func(user, "take");
  assert_int_equal(f->params[0].type->kind, WEFT__WIT_OWN);
  assert_ptr_equal(f->params[0].type->m[0].type, t);
  assert_ptr_equal(f->params[1].type, type(user, "view"));
  assert_ptr_equal(weft__wit_unalias(f->params[1].type), type(types, "view"));
  assert_int_equal(f->results[0].type->kind, WEFT__WIT_LIST);
  assert_int_equal(f->results[0].type->m[0].type->kind, WEFT__WIT_OWN);
  weft__wit_free(w);
}

/* Worlds: include with renames and merging, implicit imports in order,
 * inline interfaces, world types and resources, functions. */
static void test_worlds(void **state) {
  weft__wit_t *w = parse_ok(
      "package t:w@1.0.0;\n"
      "interface base { type id = u64; }\n"
      "interface mid { use base.{id}; get: func() -> id; }\n"
      "interface top { use mid.{id}; }\n"
      "world one {\n"
      "  import x: func();\n"
      "  export top;\n"
      "}\n"
      "world two {\n"
      "  import base;\n"
      "  import x: func();\n"
      "}\n"
      "world all {\n"
      "  include one;\n"
      "  include two with { x as y }\n"
      "  use mid.{id as mid-id};\n"
      "  resource h { m: func(); }\n"
      "  import host: interface { use base.{id}; log: func(i: id); }\n"
      "  export run: async func(i: mid-id) -> h;\n"
      "}\n");
  weft_error_t err;
  const weft__wit_world_t *one = weft__wit_world(w, "one", &err);
  const weft__wit_world_t *all = weft__wit_world(w, "t:w/all@1.0.0", &err);
  const weft__wit_item_t *it;
  static const char *const names[] = {
      "x", "t:w/base@1.0.0", "t:w/mid@1.0.0", "y", "mid-id", "h",
      "[method]h.m", "host"};
  size_t k;
  (void)state;
  assert_non_null(one);
  assert_non_null(all);
  assert_ptr_equal(weft__wit_world(w, "t:w/all", &err), all);
  /* one: x, then base and mid, implicit, for the export of top. */
  assert_int_equal(one->nimports, 3);
  assert_string_equal(one->imports[1].name, "t:w/base@1.0.0");
  assert_true(one->imports[1].implicit);
  assert_string_equal(one->imports[2].name, "t:w/mid@1.0.0");
  assert_true(one->imports[2].implicit);

  assert_int_equal(all->nimports, sizeof names / sizeof names[0]);
  for (k = 0; k < all->nimports; k++)
    assert_string_equal(all->imports[k].name, names[k]);
  it = weft__wit_import(all, "t:w/base@1.0.0");
  assert_ptr_equal(it->from, one); /* merged with two's explicit one */
  it = weft__wit_import(all, "y");
  assert_int_equal(it->kind, WEFT__WIT_ITEM_FUNC);
  assert_true(it->plain);
  assert_ptr_equal(it->from, weft__wit_world(w, "two", &err));
  it = weft__wit_import(all, "mid-id");
  assert_int_equal(it->kind, WEFT__WIT_ITEM_TYPE);
  assert_ptr_equal(it->type->use_from, weft__wit_interface(w, "mid"));
  assert_ptr_equal(it->type->world, all);
  assert_null(it->type->iface);
  it = weft__wit_import(all, "[method]h.m");
  assert_int_equal(it->func->kind, WEFT__WIT_METHOD);
  assert_ptr_equal(it->func->world, all);
  it = weft__wit_import(all, "host");
  assert_int_equal(it->kind, WEFT__WIT_ITEM_INTERFACE);
  assert_true(it->plain);
  assert_null(it->iface->qname);
  assert_ptr_equal(it->iface->world, all);
  assert_ptr_equal(it->iface->pkg, w->root);
  assert_ptr_equal(it->iface->deps[0], weft__wit_interface(w, "base"));

  assert_int_equal(all->nexports, 2);
  assert_string_equal(all->exports[0].name, "t:w/top@1.0.0");
  it = weft__wit_export(all, "run");
  assert_true(it->func->is_async);
  assert_int_equal(it->func->params[0].type->kind, WEFT__WIT_ALIAS);
  assert_int_equal(it->func->results[0].type->kind, WEFT__WIT_OWN);
  assert_null(weft__wit_export(all, "x"));
  assert_null(weft__wit_import(all, "nope"));
  weft__wit_free(w);
}

/* Doc comments and positions in several files, named results, gates,
 * escaped names, CRLF. */
static void test_details(void **state) {
  weft__wit_t *w = parse_ok(
      "\xef\xbb\xbf/// Pkg docs.\r\n"
      "package t:d;\r\n"
      "/** Block\r\n"
      " * docs. */\r\n"
      "@since(version = 1.0.0)\r\n"
      "interface %type {\r\n"
      "  @unstable(feature = x)\r\n"
      "  /// Function docs,\r\n"
      "  /// twice.\r\n"
      "  divmod: func(a: u32, b: u32) -> (q: u32, r: u32);\r\n"
      "  /* plain */ %record: func() -> ();\r\n"
      "}\r\n");
  const weft__wit_iface_t *i = iface(w, "type");
  const weft__wit_func_t *f = func(i, "divmod");
  (void)state;
  assert_string_equal(w->root->docs, " Pkg docs.");
  assert_string_equal(i->docs, " Block\n docs.");
  assert_string_equal(i->qname, "t:d/type");
  assert_int_equal(i->line, 6);
  assert_int_equal(i->col, 11);
  assert_string_equal(f->docs, " Function docs,\n twice.");
  assert_true(f->named_results);
  assert_int_equal(f->nresults, 2);
  assert_string_equal(f->results[1].name, "r");
  assert_int_equal(f->line, 10);
  assert_int_equal(f->col, 3);
  f = func(i, "record");
  assert_true(f->named_results);
  assert_int_equal(f->nresults, 0);
  assert_int_equal(f->col, 15);
  weft__wit_free(w);
}

/* Exact messages and codes. */
static void test_errors(void **state) {
  static const struct {
    const char *text;
    int code;
    const char *msg;
  } cases[] = {
      {"package a:b;\ninterface i { type x = y; }", WEFT_EINVALID,
       "t.wit:2:24: unknown type 'y'"},
      {"package a:b;\ninterface i { x: func() }", WEFT_EPARSE,
       "t.wit:2:25: expected ';', found '}'"},
      {"package a:b;\ninterface i {", WEFT_EPARSE,
       "t.wit:2:14: expected a type, a function or 'use', found end of "
       "file"},
      {"package a:b;\ninterface i { type a = b; type b = a; }",
       WEFT_EINVALID, "t.wit:2:20: type 'a' depends on itself"},
      {"package a:b;\ninterface i { resource r; f: func() -> "
       "option<borrow<r>>; }",
       WEFT_EINVALID,
       "t.wit:2:40: 'borrow' is only allowed in parameters, but 'f' "
       "returns one"},
      {"package a:b;\nworld w { import a:b/c; }", WEFT_EINVALID,
       "t.wit:2:18: unknown interface 'c' in package 'a:b'"},
      {"package a:b;\nworld w { include x:y/z; }", WEFT_EINVALID,
       "t.wit:2:19: unknown package 'x:y'"},
      {"package a:b;\n/* open", WEFT_EPARSE,
       "t.wit:2:1: unterminated comment"},
      {"package a:b;\ninterface i { f: func(x: list<u8, 4>); }",
       WEFT_EPARSE, "t.wit:2:33: fixed-length lists are not supported"},
      {"package a:b@01.0.0;", WEFT_EPARSE,
       "t.wit:1:13: invalid version '01.0.0'"},
      {"package a:b;\ninterface i { type x = u32; }\npackage c:d;",
       WEFT_EPARSE,
       "t.wit:3:12: the package declaration must come first in the file"},
      {"package a:b;\npackage c:d { package e:f {} }", WEFT_EPARSE,
       "t.wit:2:15: packages cannot nest"},
      {"package a:b;\ninterface i { f: func() -> s32; }\n"
       "world w { import g: func() -> %i; }",
       WEFT_EINVALID, "t.wit:3:31: unknown type 'i'"},
      {"package a:b;\ninterface i { x: func(); }\ninterface j { use "
       "i.{x}; }",
       WEFT_EINVALID, "t.wit:3:22: 'x' in interface 'i' is not a type"},
      {"package a:b;\nworld w { import x: interface { } export x: func(); "
       "import X: func(); }",
       WEFT_EINVALID, "t.wit:2:60: 'X' is imported twice"},
      {"package a:b;\ninterface i { type x = u32; }\nworld w { use i.{x}; "
       "export i; }",
       WEFT_EINVALID,
       "t.wit:3:18: 'use' of 'a:b/i' is ambiguous: the world both imports "
       "and exports it"},
      {"package a:b;\ninterface i { type t = %u32; }", WEFT_EINVALID,
       "t.wit:2:24: unknown type 'u32'"},
      {"", WEFT_EINVALID,
       "t.wit:1:1: missing package declaration (like 'package ns:name;')"},
      {"package a:b;\ninterface i { \x80 }", WEFT_EPARSE,
       "t.wit:2:15: invalid UTF-8"},
      {"package a:b;\ninterface i { \xc3\xa9 }", WEFT_EPARSE,
       "t.wit:2:15: unexpected character U+00E9"},
      {"package a:b;\ninterface i { f: func() -> a-; }", WEFT_EPARSE,
       "t.wit:2:28: identifier 'a-' is not kebab-case"},
      {"package a:b;\ninterface i { f: func() -> a--b; }", WEFT_EPARSE,
       "t.wit:2:28: identifier 'a--b' is not kebab-case"},
      {"package a:b;\ninterface i { f: func() -> aB; }", WEFT_EPARSE,
       "t.wit:2:28: identifier 'aB' is not kebab-case"},
      {"package a:b;\ninterface i { f: func() -> %; }", WEFT_EPARSE,
       "t.wit:2:28: expected an identifier after '%'"},
      {"package a:b;\nworld w { import t:x/w2@1.0.0; }\n"
       "package t:x@1.0.0 { world w2 {} }",
       WEFT_EINVALID, "t.wit:2:18: 't:x/w2@1.0.0' is a world, not an "
                      "interface"},
      {"package a:b;\nworld w { import f: func(); include t:x/w2; }\n"
       "package t:x { world w2 { import f: func(); } }",
       WEFT_EINVALID, "t.wit:2:29: include of 't:x/w2' imports 'f' a second "
                      "time (rename it with 'with')"},
      {"package a:b;\ninterface i { use t:x/j@2.0.0.{f}; }\n"
       "package t:x@2.0.0 { interface j { f: func(); } }",
       WEFT_EINVALID, "t.wit:2:32: 'f' in interface 't:x/j@2.0.0' is not a "
                      "type"},
      {"package a:b;\nworld w { import t:x/j; }\n"
       "package t:x@1.0.0 { interface j {} }\n"
       "package t:x@2.0.0 { interface j {} }",
       WEFT_EINVALID, "t.wit:2:18: package 't:x' has several versions, name "
                      "one"},
  };
  size_t i;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
    parse_fails(cases[i].text, cases[i].code, cases[i].msg);
}

/* Deep nesting is refused without exhausting the stack. */
static void test_limits(void **state) {
  weft__buf_t b;
  int i;
  (void)state;
  weft__buf_init(&b);
  weft__buf_puts(&b, "package a:b;\ninterface i { type t = ");
  for (i = 0; i < 5000; i++)
    weft__buf_puts(&b, "list<");
  weft__buf_puts(&b, "u8");
  for (i = 0; i < 5000; i++)
    weft__buf_puts(&b, ">");
  weft__buf_puts(&b, "; }\n");
  parse_fails(b.data, WEFT_ELIMIT,
              "t.wit:2:524: types nest deeper than 100 levels");
  weft__buf_release(&b);

  /* A long chain of aliases is fine up to the limit (each link counts
   * twice: the name, then the type it names), refused past it. */
  weft__buf_init(&b);
  weft__buf_puts(&b, "package a:b;\ninterface i {\n");
  for (i = 0; i < 400; i++)
    weft__buf_printf(&b, "type t%d = t%d;\n", i, i + 1);
  weft__buf_puts(&b, "type t400 = u8;\n}\n");
  weft__wit_free(parse_ok(b.data));
  weft__buf_release(&b);
  weft__buf_init(&b);
  weft__buf_puts(&b, "package a:b;\ninterface i {\n");
  for (i = 0; i < 2000; i++)
    weft__buf_printf(&b, "type t%d = t%d;\n", i, i + 1);
  weft__buf_puts(&b, "type t2000 = u8;\n}\n");
  parse_fails(b.data, WEFT_ELIMIT,
              "t.wit:503:13: types nest deeper than 1000 levels");
  weft__buf_release(&b);

  /* Chains of `use`s and of `include`s are bounded too. */
  weft__buf_init(&b);
  weft__buf_puts(&b, "package a:b;\n");
  for (i = 0; i < 1500; i++)
    weft__buf_printf(&b, "interface i%d { use i%d.{t}; }\n", i, i + 1);
  weft__buf_puts(&b, "interface i1500 { type t = u8; }\n");
  parse_fails(b.data, WEFT_ELIMIT,
              "t.wit:1003:11: interfaces 'use' each other deeper than 1000 "
              "levels");
  weft__buf_release(&b);
  weft__buf_init(&b);
  weft__buf_puts(&b, "package a:b;\n");
  for (i = 0; i < 1500; i++)
    weft__buf_printf(&b, "world w%d { include w%d; }\n", i, i + 1);
  weft__buf_puts(&b, "world w1500 { import f: func(); }\n");
  parse_fails(b.data, WEFT_ELIMIT,
              "t.wit:1003:7: worlds include each other deeper than 1000 "
              "levels");
  weft__buf_release(&b);
}

/* Printing: fully expanded, keywords escaped, and the text resolves to a
 * world that prints the same. */
static void test_print(void **state) {
  weft__wit_t *w = parse_ok(
      "package t:p;\n"
      "interface %use { record %record { a: u8 } }\n"
      "interface i { use %use.{%record as r}; f: func(x: r); }\n"
      "world base { import log: func(m: string); }\n"
      "world w {\n"
      "  include base;\n"
      "  import c:d/e;\n"
      "  export i;\n"
      "}\n"
      "package c:d { interface e { resource h { constructor(); } } }\n");
  weft_error_t err;
  weft__buf_t a, b;
  weft__wit_t *w2;
  (void)state;
  weft__buf_init(&a);
  weft__buf_init(&b);
  assert_int_equal(weft__wit_print_world(weft__wit_world(w, "w", &err), &a),
                   0);
  assert_string_equal(a.data,
                      "package t:p;\n"
                      "\n"
                      "world w {\n"
                      "  import log: func(m: string);\n"
                      "  import c:d/e;\n"
                      "  import %use;\n"
                      "  export i;\n"
                      "}\n"
                      "\n"
                      "interface %use {\n"
                      "  record %record {\n"
                      "    a: u8,\n"
                      "  }\n"
                      "}\n"
                      "\n"
                      "interface i {\n"
                      "  use %use.{%record as r};\n"
                      "  f: func(x: r);\n"
                      "}\n"
                      "\n"
                      "package c:d {\n"
                      "  interface e {\n"
                      "    resource h {\n"
                      "      constructor();\n"
                      "    }\n"
                      "  }\n"
                      "}\n");
  w2 = parse_ok(a.data);
  assert_int_equal(weft__wit_print_world(weft__wit_world(w2, NULL, &err),
                                         &b),
                   0);
  assert_string_equal(a.data, b.data);
  weft__buf_release(&a);
  weft__buf_release(&b);
  weft__wit_free(w);
  weft__wit_free(w2);
}

/* World selection and lookups. */
static void test_lookups(void **state) {
  weft__wit_t *w = parse_ok("package t:l;\nworld a {}\nworld b {}\n"
                            "interface i { type t = u8; f: func(); }\n");
  weft_error_t err;
  const weft__wit_iface_t *i = iface(w, "i");
  (void)state;
  assert_null(weft__wit_world(w, NULL, &err));
  assert_int_equal(err.code, WEFT_ENOTFOUND);
  assert_string_equal(err.msg,
                      "package 't:l' has 2 worlds, choose one of 'a', 'b'");
  assert_null(weft__wit_world(w, "c", &err));
  assert_string_equal(err.msg, "unknown world 'c'");
  assert_null(weft__wit_world(w, "x:y/a", &err));
  assert_null(weft__wit_world(w, "t:l", &err));
  assert_non_null(weft__wit_world(w, "t:l/b", &err));
  assert_null(weft__wit_world(w, "t:l/b@1.0.0", &err));
  assert_null(weft__wit_iface_type(i, "f"));
  assert_null(weft__wit_iface_func(i, "t"));
  assert_non_null(weft__wit_iface_func(i, "f"));
  assert_ptr_equal(weft__wit_interface(w, "t:l/i"), i);
  assert_null(weft__wit_interface(w, "t:l"));
  weft__wit_free(w);

  w = parse_ok("package t:l;\ninterface i {}\n");
  assert_null(weft__wit_world(w, NULL, &err));
  assert_string_equal(err.msg, "package 't:l' has no world");
  weft__wit_free(w);
}

/* Misuse of the step-by-step API. */
static void test_api(void **state) {
  weft__wit_t *w = weft__wit_new();
  weft_error_t err;
  (void)state;
  assert_non_null(w);
  assert_int_equal(weft__wit_resolve(w, &err), WEFT_EINVALID);
  assert_string_equal(err.msg, "no root package was given");
  assert_int_equal(weft__wit_add_file(w, 0, NULL, "", 0, &err),
                   WEFT_EINVALID);
  assert_string_equal(err.msg, "the WIT model is unusable after an error");
  weft__wit_free(w);

  w = weft__wit_new();
  assert_int_equal(weft__wit_add_file(w, 0, "x.wit", "package", 7, &err),
                   WEFT_EPARSE);
  assert_string_equal(err.msg,
                      "x.wit:1:8: expected an identifier, found end of file");
  assert_int_equal(weft__wit_resolve(w, &err), WEFT_EPARSE);
  assert_string_equal(err.msg, "the WIT model is unusable after an error");
  weft__wit_free(w);

  w = weft__wit_new();
  assert_int_equal(weft__wit_add_file(w, 0, NULL, "package a:b;", 12, NULL),
                   0);
  assert_int_equal(weft__wit_resolve(w, NULL), 0);
  assert_string_equal(w->root->file, "<input>");
  assert_int_equal(weft__wit_resolve(w, &err), WEFT_EINVAL);
  assert_int_equal(weft__wit_add_file(w, 0, NULL, "", 0, &err), WEFT_EINVAL);
  weft__wit_free(w);
  weft__wit_free(NULL);

  /* Files of one group agree on the package; another group is another
   * package; nested packages are packages of their own. */
  w = weft__wit_new();
  assert_int_equal(weft__wit_add_file(w, 0, "a.wit", "interface i {}", 14,
                                      &err),
                   0);
  assert_int_equal(weft__wit_add_file(w, 0, "b.wit", "package x:y;", 12,
                                      &err),
                   0);
  assert_int_equal(weft__wit_add_file(w, 3, "c.wit",
                                      "package x:z { interface j {} }", 30,
                                      &err),
                   0);
  assert_int_equal(weft__wit_resolve(w, &err), 0);
  assert_int_equal(w->npkgs, 2);
  assert_string_equal(w->root->ifaces[0]->file, "a.wit");
  assert_string_equal(w->root->file, "b.wit");
  assert_non_null(weft__wit_interface(w, "x:z/j"));
  weft__wit_free(w);
}

/* write `text` to dir/name. */
static void put_file(const char *dir, const char *name, const char *text) {
  char path[1024];
  FILE *f;
  snprintf(path, sizeof path, "%s/%s", dir, name);
  f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

/* Loading a directory: root files in name order, deps as directories and
 * single files, other entries ignored. */
static void test_load(void **state) {
  char dir[] = "/tmp/wit-test.XXXXXX", sub[600], cmd[700];
  weft__wit_t *w = NULL;
  weft_error_t err;
  const weft__wit_world_t *world;
  (void)state;
  assert_non_null(mkdtemp(dir));
  put_file(dir, "b.wit", "interface later { use a:dep/x.{t}; }\n");
  put_file(dir, "a.wit",
           "package t:load;\nworld w { import later; import b:one/y; }\n");
  put_file(dir, "notes.txt", "not wit");
  put_file(dir, ".hidden.wit", "garbage");
  snprintf(sub, sizeof sub, "%s/deps", dir);
  assert_int_equal(mkdir(sub, 0755), 0);
  put_file(sub, "one.wit", "package b:one;\ninterface y {}\n");
  put_file(sub, "deps.lock", "x");
  snprintf(sub, sizeof sub, "%s/deps/a-dep", dir);
  assert_int_equal(mkdir(sub, 0755), 0);
  put_file(sub, "x.wit", "package a:dep;\ninterface x { type t = u8; }\n");

  assert_int_equal(weft__wit_load(dir, &w, &err), 0);
  world = weft__wit_world(w, NULL, &err);
  assert_non_null(world);
  assert_int_equal(world->nimports, 3);
  assert_string_equal(world->imports[0].name, "a:dep/x");
  assert_true(world->imports[0].implicit);
  assert_string_equal(w->pkgs[1]->id, "a:dep");
  snprintf(sub, sizeof sub, "%s/deps/a-dep/x.wit", dir);
  assert_string_equal(w->pkgs[1]->file, sub);
  weft__wit_free(w);

  put_file(dir, "c.wit", "interface bad { type x = nope; }\n");
  assert_int_equal(weft__wit_load(dir, &w, &err), WEFT_EINVALID);
  assert_null(w);
  snprintf(sub, sizeof sub, "%s/c.wit:1:26: unknown type 'nope'", dir);
  assert_string_equal(err.msg, sub);

  snprintf(sub, sizeof sub, "%s/deps/one.wit", dir);
  assert_int_equal(weft__wit_load(sub, &w, &err), 0);
  assert_string_equal(w->root->id, "b:one");
  weft__wit_free(w);

  snprintf(sub, sizeof sub, "%s/none", dir);
  assert_int_equal(weft__wit_load(sub, &w, &err), WEFT_ENOENT);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
}

/* A document that touches most of the parser and resolver. */
static const char oom_doc[] =
    "/// docs\npackage t:oom@1.0.0;\n"
    "use x:y/z as zz;\n"
    "interface types {\n"
    "  use zz.{q};\n"
    "  resource buffer { constructor(); len: func() -> u64;\n"
    "    mk: static func() -> buffer; }\n"
    "  record r { a: u32, b: list<borrow<buffer>>, c: option<q> }\n"
    "  variant v { a, b(string) } enum e { x, y } flags fl { p, q }\n"
    "  type t = tuple<u8, result<_, e>>;\n"
    "  f: func(a: r, b: buffer) -> result<v, e>;\n"
    "}\n"
    "world base { import log: func(); }\n"
    "world w { include base with { log as l } export types;\n"
    "  import i: interface { use types.{t}; g: func() -> t; } }\n"
    "package x:y { interface z { type q = u8; } }\n";

/* The arena runs out at every allocation in turn: each time the result is
 * WEFT_ENOMEM, until the budget suffices and the parse, the resolution and
 * the print succeed. */
static void test_budget(void **state) {
  size_t budget, fails = 0;
  (void)state;
  for (budget = 16;; budget += 16) {
    weft__wit_t *w = weft__wit_new();
    weft_error_t err;
    weft__buf_t b;
    int rc;
    assert_non_null(w);
    weft__buf_init(&b);
    weft__wit_set_budget(w, budget);
    rc = weft__wit_add_file(w, 0, "oom.wit", oom_doc, strlen(oom_doc),
                            &err);
    if (!rc)
      rc = weft__wit_resolve(w, &err);
    if (!rc)
      rc = weft__wit_print_world(weft__wit_world(w, "w", &err), &b);
    weft__buf_release(&b);
    weft__wit_free(w);
    if (!rc)
      break;
    assert_int_equal(rc, WEFT_ENOMEM);
    assert_string_equal(err.msg, "out of memory");
    fails++;
  }
  assert_true(fails > 100);
}

/* Every malloc of a parse fails in turn: the result is WEFT_ENOMEM (or
 * success once the failure comes after the last allocation), and nothing
 * leaks. */
static void test_out_of_memory(void **state) {
#ifdef FAULTS
  const char *doc = oom_doc;
  long n;
  (void)state;
  for (n = 0;; n++) {
    weft__wit_t *w = NULL;
    weft_error_t err;
    weft__buf_t b;
    long before = live_blocks;
    int rc;
    weft__buf_init(&b);
    fault_hit = false;
    fail_countdown = n;
    rc = weft__wit_parse(doc, strlen(doc), "oom.wit", &w, &err);
    if (!rc)
      rc = weft__wit_print_world(weft__wit_world(w, "w", &err), &b);
    fail_countdown = -1;
    if (fault_hit && rc != 0)
      assert_int_equal(rc, WEFT_ENOMEM);
    if (!fault_hit)
      assert_int_equal(rc, 0);
    weft__buf_release(&b);
    weft__wit_free(w);
    assert_int_equal(live_blocks, before);
    if (!fault_hit)
      break;
  }
  assert_true(n > 3);
#else
  (void)state;
  skip();
#endif
}

/* Run the tests. */
int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_spin),    cmocka_unit_test(test_types),
      cmocka_unit_test(test_resources), cmocka_unit_test(test_worlds),
      cmocka_unit_test(test_details), cmocka_unit_test(test_errors),
      cmocka_unit_test(test_limits),  cmocka_unit_test(test_print),
      cmocka_unit_test(test_lookups), cmocka_unit_test(test_api),
      cmocka_unit_test(test_load),    cmocka_unit_test(test_budget),
      cmocka_unit_test(test_out_of_memory),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

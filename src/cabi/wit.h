/* wit.h - WIT, the Component Model's interface language: a parser and a
 * resolver that turn a package (a directory of .wit files and its
 * dependencies in deps/) into a resolved model for the canonical ABI.
 *
 * The model is a graph. Packages hold interfaces and worlds; interfaces
 * hold named types and functions; worlds hold import and export items,
 * with `include`s expanded and the interfaces that items depend on added
 * as implicit imports. Types are nodes (a kind, members, a name when
 * named) that point at each other; a reference by name is an edge to the
 * named node, so aliases (`type x = y`, names brought by `use`) stay
 * visible and weft__wit_unalias() looks through them. Every node and item
 * remembers the file, 1-based line and column (in code points) where it
 * was written.
 *
 * Errors are one line, "file:line:column: what", lowercase and quoting
 * their subject: "wit/world.wit:12:5: unknown type 'foo'". The parser never
 * reads outside its input, needs no NUL terminator and bounds its
 * recursion, so hostile input cannot exhaust the stack; everything lives
 * in one arena freed by weft__wit_free. See docs/internals/wit.md.
 */
#ifndef WEFT_CABI_WIT_H
#define WEFT_CABI_WIT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/util.h"

/* Deepest nesting of type expressions in the source (list<list<...>>). */
#define WEFT__WIT_MAX_DEPTH 100
/* Longest chain of types, `use`s between interfaces or `include`s between
 * worlds that the resolver follows. */
#define WEFT__WIT_MAX_CHAIN 1000

/* The directory of the WIT packages Weft ships: $WEFT_WIT_DIR; else
 * share/weft/wit beside the running program (PREFIX/bin/weft) or beside
 * libweft.so, when it exists; else the source tree's wit/. Written into
 * `out` when found there; the result lives as long as `out`. */
const char *weft__wit_shipped_dir(char out[PATH_MAX]);
/* Load the shipped package `pkg` ("spin", "torvyn", "unit") from `dir`
 * (NULL: weft__wit_shipped_dir). Free with weft_wit_free. */
weft_wit_t *weft__wit_load_shipped(const char *dir, const char *pkg,
                                   weft_error_t *err);

typedef struct weft__wit weft__wit_t;
typedef struct weft__wit_pkg weft__wit_pkg_t;
typedef struct weft__wit_iface weft__wit_iface_t;
typedef struct weft__wit_world weft__wit_world_t;
typedef struct weft__wit_type weft__wit_type_t;
typedef struct weft__wit_func weft__wit_func_t;

typedef enum weft__wit_kind {
  WEFT__WIT_BOOL = 1,
  WEFT__WIT_S8,
  WEFT__WIT_U8,
  WEFT__WIT_S16,
  WEFT__WIT_U16,
  WEFT__WIT_S32,
  WEFT__WIT_U32,
  WEFT__WIT_S64,
  WEFT__WIT_U64,
  WEFT__WIT_F32,
  WEFT__WIT_F64,
  WEFT__WIT_CHAR,
  WEFT__WIT_STRING,
  WEFT__WIT_LIST,     /* m[0]: element */
  WEFT__WIT_OPTION,   /* m[0]: payload */
  WEFT__WIT_RESULT,   /* m[0]: ok, m[1]: err; either type may be NULL */
  WEFT__WIT_TUPLE,    /* m[i]: elements, unnamed */
  WEFT__WIT_RECORD,   /* m[i]: fields */
  WEFT__WIT_VARIANT,  /* m[i]: cases; a case without payload has no type */
  WEFT__WIT_ENUM,     /* m[i]: cases, no types */
  WEFT__WIT_FLAGS,    /* m[i]: flags, no types */
  WEFT__WIT_RESOURCE, /* no members; see funcs */
  WEFT__WIT_OWN,      /* m[0]: the resource (maybe through aliases) */
  WEFT__WIT_BORROW,   /* m[0]: likewise */
  WEFT__WIT_FUTURE,   /* m[0]: payload, may be NULL */
  WEFT__WIT_STREAM,   /* m[0]: payload, may be NULL */
  WEFT__WIT_ALIAS,    /* m[0]: target; `type x = T;` or a `use`d name */
  WEFT__WIT_UNRESOLVED_ /* private: a name not yet resolved */
} weft__wit_kind_t;

/* A member of a type node, a function parameter or a named result. */
typedef struct weft__wit_member {
  const char *name;       /* NULL for tuple elements and wrapped types */
  weft__wit_type_t *type; /* NULL: no payload, no ok/err, or none */
  const char *docs;       /* "///" text, lines joined by '\n', or NULL */
  int line, col;
} weft__wit_member_t;

struct weft__wit_type {
  weft__wit_kind_t kind;
  const char *name;         /* defined name; NULL for anonymous types */
  weft__wit_iface_t *iface; /* interface defining a named type, or NULL */
  weft__wit_world_t *world; /* world defining a named type, or NULL */
  const char *docs;
  const char *file;
  int line, col;            /* where the name (or the type) is written */
  size_t n;
  weft__wit_member_t *m;
  /* ALIAS made by `use`: the interface it came from and the name there. */
  weft__wit_iface_t *use_from;
  const char *use_name;
  /* RESOURCE: its constructor, methods and static functions in order. */
  weft__wit_func_t **funcs;
  size_t nfuncs;
  /* Private to the resolver. */
  void *priv_;
  unsigned flags_;
  int state_;
  /* Private to cabi_type.c: canonical ABI size and alignment, plus one
   * (0: not computed yet), filled at first use. */
  uint32_t abi_size_, abi_align_;
};

typedef enum weft__wit_func_kind {
  WEFT__WIT_FREESTANDING = 0,
  WEFT__WIT_METHOD,      /* params[0] is `self: borrow<resource>` */
  WEFT__WIT_STATIC,
  WEFT__WIT_CONSTRUCTOR  /* results[0] is own<resource> or a result */
} weft__wit_func_kind_t;

struct weft__wit_func {
  weft__wit_func_kind_t kind;
  const char *name;         /* as written: "get", "read", "constructor" */
  const char *abi_name;     /* "get", "[method]blob.read", "[static]blob.merge",
                             * "[constructor]blob" */
  weft__wit_type_t *resource; /* the resource of a non-freestanding func */
  weft__wit_iface_t *iface; /* interface defining it, or NULL */
  weft__wit_world_t *world; /* world defining it, or NULL */
  size_t nparams;
  weft__wit_member_t *params;
  size_t nresults;          /* 0 or 1; more only with named results */
  weft__wit_member_t *results;
  bool named_results;       /* written `-> (a: T, ...)`; results are named */
  bool implicit_result;     /* a constructor written without `->` */
  bool is_async;
  const char *docs;
  const char *file;
  int line, col;
};

struct weft__wit_iface {
  const char *name;         /* "variables"; for an inline interface of a
                             * world, its plain import or export name */
  const char *qname;        /* "fermyon:spin/variables@2.0.0"; NULL when
                             * inline */
  weft__wit_pkg_t *pkg;
  weft__wit_world_t *world; /* the world defining it inline, else NULL */
  weft__wit_type_t **types; /* named types in order, `use`d names too */
  size_t ntypes;
  weft__wit_func_t **funcs; /* functions in order, resource ones too */
  size_t nfuncs;
  weft__wit_iface_t **deps; /* interfaces it `use`s, each once */
  size_t ndeps;
  const char *docs;
  const char *file;
  int line, col;
  void *priv_;
};

typedef enum weft__wit_item_kind {
  WEFT__WIT_ITEM_INTERFACE = 1,
  WEFT__WIT_ITEM_FUNC,
  WEFT__WIT_ITEM_TYPE        /* a type of the world (imports only) */
} weft__wit_item_kind_t;

/* An import or export of a world. */
typedef struct weft__wit_item {
  weft__wit_item_kind_t kind;
  const char *name;          /* "wasi:io/streams@0.2.0", or a plain name;
                              * a resource's function: its abi_name */
  bool plain;                /* `name` is a plain name */
  bool implicit;             /* added as a dependency, not written */
  weft__wit_iface_t *iface;  /* INTERFACE */
  weft__wit_func_t *func;    /* FUNC */
  weft__wit_type_t *type;    /* TYPE */
  weft__wit_world_t *from;   /* world that wrote it (another when included) */
  const char *docs;
  const char *file;
  int line, col;
} weft__wit_item_t;

struct weft__wit_world {
  const char *name;
  const char *qname;         /* "fermyon:spin/spin-timer@2.0.0" */
  weft__wit_pkg_t *pkg;
  weft__wit_item_t *imports;
  size_t nimports;
  weft__wit_item_t *exports;
  size_t nexports;
  const char *docs;
  const char *file;
  int line, col;
  void *priv_;
};

struct weft__wit_pkg {
  const char *ns, *name;
  const char *version;       /* "2.0.0", or NULL */
  const char *id;            /* "fermyon:spin@2.0.0" */
  bool root;
  weft__wit_iface_t **ifaces; /* named interfaces, in order */
  size_t nifaces;
  weft__wit_world_t **worlds;
  size_t nworlds;
  const char *docs;
  const char *file;          /* where the package is declared */
  int line, col;
  void *priv_;
};

struct weft__wit {
  weft__wit_pkg_t **pkgs;    /* every package, the root one included */
  size_t npkgs;
  weft__wit_pkg_t *root;     /* set by a successful resolve */
  void *priv_;
};

/* ---- loading ------------------------------------------------------------ */

/* Load the package at `path` and resolve it. A directory holds the root
 * package in its *.wit files and one dependency package per entry of
 * `path`/deps/ (a directory of .wit files or a single .wit file); a
 * regular file is a root package on its own. File names in messages are
 * `path`/name, or just name when `path` is ".". On success sets *out to a
 * new model, freed with weft__wit_free, and returns 0; on failure returns
 * WEFT_EPARSE (bad syntax), WEFT_EINVALID (does not resolve), WEFT_ELIMIT,
 * WEFT_ENOMEM or an I/O error, fills `err` and leaves *out NULL. */
int weft__wit_load(const char *path, weft__wit_t **out, weft_error_t *err);

/* Parse `len` bytes of `text` (borrowed, need not be NUL-terminated) as
 * the only file, named `filename` (copied; NULL: "<input>"), of a root
 * package, and resolve it. Results as for weft__wit_load. */
int weft__wit_parse(const char *text, size_t len, const char *filename,
                    weft__wit_t **out, weft_error_t *err);

/* The steps of the two above, for callers that gather files themselves:
 * a new empty model (NULL when out of memory); add files, each parsed at
 * once, to `group` 0 (the root package) or to a dependency group (one
 * package per group number); then resolve, once. After a failure the
 * model may only be freed. `text` is borrowed for the call only. */
weft__wit_t *weft__wit_new(void);
int weft__wit_add_file(weft__wit_t *w, unsigned group, const char *filename,
                       const char *text, size_t len, weft_error_t *err);
int weft__wit_resolve(weft__wit_t *w, weft_error_t *err);

/* Refuse to let `w` hold more than `bytes` bytes of arena memory (0, the
 * default: no limit); going over is reported as WEFT_ENOMEM. For models
 * built from untrusted text, and for tests. */
void weft__wit_set_budget(weft__wit_t *w, size_t bytes);

/* Free a model and everything in it. NULL is ignored. */
void weft__wit_free(weft__wit_t *w);

/* ---- lookups ------------------------------------------------------------ */

/* The world named `name`: a plain name is looked up in the root package, a
 * path "ns:pkg/world[@version]" anywhere. NULL `name`: the only world of
 * the root package. On failure returns NULL and fills `err` (WEFT_ENOTFOUND:
 * "unknown world 'x'", "package 'a:b' has no world", "package 'a:b' has 2
 * worlds, choose one of 'w1', 'w2'"). */
const weft__wit_world_t *weft__wit_world(const weft__wit_t *w,
                                         const char *name, weft_error_t *err);
/* The named interface "ns:pkg/iface[@version]" or, in the root package,
 * "iface"; NULL if there is none. */
const weft__wit_iface_t *weft__wit_interface(const weft__wit_t *w,
                                             const char *name);
/* The type or function `name` defined in (or `use`d by) `iface`, or NULL.
 * Resource functions are found by abi_name. */
const weft__wit_type_t *weft__wit_iface_type(const weft__wit_iface_t *iface,
                                             const char *name);
const weft__wit_func_t *weft__wit_iface_func(const weft__wit_iface_t *iface,
                                             const char *name);
/* The import or export named `name` of `world`, or NULL. */
const weft__wit_item_t *weft__wit_import(const weft__wit_world_t *world,
                                         const char *name);
const weft__wit_item_t *weft__wit_export(const weft__wit_world_t *world,
                                         const char *name);

/* ---- types -------------------------------------------------------------- */

/* `t` with aliases looked through (never NULL for non-NULL `t`). */
const weft__wit_type_t *weft__wit_unalias(const weft__wit_type_t *t);
/* "bool", "u32", "list", "record", "alias", ... Never NULL. */
const char *weft__wit_kind_name(weft__wit_kind_t kind);
/* True for bool, the integers, floats, char and string. */
bool weft__wit_is_primitive(weft__wit_kind_t kind);

/* ---- printing ----------------------------------------------------------- */

/* Append `world` to `out` in WIT syntax, fully expanded: a `package` line,
 * the world with its includes and implicit imports written out, then every
 * interface it reaches, those of other packages in nested `package`
 * blocks. The text resolves on its own to the same world. Returns 0 or
 * WEFT_ENOMEM. */
int weft__wit_print_world(const weft__wit_world_t *world, weft__buf_t *out);

#endif

/* wit_int.h - private to src/cabi/wit*.c: the arena, name maps, the
 * syntax-only parts of a parsed file (units, world statements, paths) and
 * the hooks between the parser, the resolver and the printer. */
#ifndef WEFT_CABI_WIT_INT_H
#define WEFT_CABI_WIT_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "cabi/wit.h"

/* Largest file accepted. */
#define WIT_MAX_FILE ((size_t)1 << 30)

/* ---- names -------------------------------------------------------------- */

/* What a name in a map stands for. */
enum {
  WIT_ENT_TYPE = 1, /* val: weft__wit_type_t */
  WIT_ENT_FUNC,     /* val: weft__wit_func_t */
  WIT_ENT_IFACE,    /* val: weft__wit_iface_t */
  WIT_ENT_WORLD,    /* val: weft__wit_world_t */
  WIT_ENT_PKG,      /* val: weft__wit_pkg_t */
  WIT_ENT_USE,      /* val: wit_tluse_t (a top-level use) */
  WIT_ENT_ITEM      /* val: index + 1 of a world item */
};

typedef struct wit_map_ent {
  const char *key; /* borrowed; NULL: empty slot */
  int kind;
  void *val;
} wit_map_ent_t;

/* A hash map from names to things, compared without regard to ASCII case
 * (WIT names must be unique that way); lookups check the case after. */
typedef struct wit_map {
  wit_map_ent_t *ents;
  size_t cap, n;
} wit_map_t;

typedef struct wit_ctx wit_ctx_t;

/* ---- syntax ------------------------------------------------------------- */

/* A use-path: `iface` or `ns:pkg/iface@version`. */
typedef struct wit_path {
  const char *ns, *pkg; /* NULL for a bare name */
  const char *name;
  const char *version;  /* NULL if none */
  const char *file;
  int line, col;
} wit_path_t;

/* A top-level `use path [as name];`. */
typedef struct wit_tluse {
  wit_path_t path;
  const char *as;      /* the name it defines */
  int line, col;       /* of that name */
  int kind;            /* resolved: WIT_ENT_IFACE or WIT_ENT_WORLD */
  void *target;
} wit_tluse_t;

/* What one file says about one package: the top of the file, or one
 * nested `package ns:name { ... }` block. */
typedef struct wit_unit {
  const char *file;
  unsigned group;
  bool nested;
  bool has_decl;
  const char *ns, *name, *version; /* the declaration */
  const char *docs;
  int line, col;                   /* of the declaration */
  wit_tluse_t **uses;
  size_t nuses;
  wit_map_t use_map;
  weft__wit_iface_t **ifaces;
  size_t nifaces;
  weft__wit_world_t **worlds;
  size_t nworlds;
  weft__wit_pkg_t *pkg;            /* set by the resolver */
} wit_unit_t;

/* Where names in an interface or a world are looked up. */
typedef struct wit_scope {
  wit_map_t map;        /* WIT_ENT_TYPE and WIT_ENT_FUNC */
  wit_unit_t *unit;
  weft__wit_iface_t *iface;
  weft__wit_world_t *world;
} wit_scope_t;

/* priv_ of an UNRESOLVED node (a name) or of an ALIAS made by `use`. */
typedef struct wit_ref {
  wit_scope_t *scope;       /* UNRESOLVED: where the name is looked up */
  wit_path_t path;          /* `use`: the interface */
  weft__wit_type_t *target; /* resolved */
} wit_ref_t;

/* Type flags_. */
enum {
  WIT_F_BARE = 1,        /* UNRESOLVED written as a value: a resource name
                          * there means own<resource> */
  WIT_F_HAS_BORROW = 2,  /* computed: reaches a borrow handle */
  WIT_F_USE = 4          /* ALIAS made by `use` */
};

/* priv_ of an interface. */
typedef struct wit_iface_priv {
  wit_scope_t scope;
  int state;            /* use-cycle search */
  int depth;
} wit_iface_priv_t;

enum { WS_IMPORT = 1, WS_EXPORT, WS_INCLUDE, WS_TYPE };

/* `with { from as to }` of an include. */
typedef struct wit_rename {
  const char *from, *to;
  int line, col;
} wit_rename_t;

/* One statement of a world, in source order. */
typedef struct wit_wstmt {
  int kind;
  const char *name;          /* IMPORT/EXPORT with a plain name */
  bool has_path;             /* IMPORT/EXPORT of an interface, INCLUDE */
  wit_path_t path;
  weft__wit_iface_t *iface;  /* inline interface */
  weft__wit_func_t *func;
  weft__wit_type_t *type;    /* TYPE */
  wit_rename_t *renames;
  size_t nrenames;
  const char *docs;
  const char *file;
  int line, col;
} wit_wstmt_t;

/* priv_ of a world. */
typedef struct wit_world_priv {
  wit_scope_t scope;         /* its types */
  wit_wstmt_t *stmts;
  size_t nstmts;
  int state;                 /* include search */
  int depth;
} wit_world_priv_t;

/* The model and its arena; weft__wit_t is its first member. */
struct wit_ctx {
  weft__wit_t pub;
  struct wit_chunk *arena;
  size_t used, budget;       /* arena bytes handed out, and the limit */
  weft_error_t *err;
  int rc;                    /* first error, 0 if none */
  bool resolved;
  wit_unit_t **units;
  size_t nunits;
  weft__wit_type_t **types;  /* every node made by the parser */
  size_t ntypes;
  weft__wit_func_t **funcs;
  size_t nfuncs;
  weft__wit_iface_t **ifaces; /* inline ones too */
  size_t nifaces;
  weft__wit_world_t **worlds;
  size_t nworlds;
  weft__wit_type_t *prims[WEFT__WIT_STRING + 1];
  wit_map_t pkg_map;         /* "ns:name" -> first package of that name */
};

/* ---- helpers (wit_util.c) ----------------------------------------------- */

/* Zeroed memory from the arena; NULL when out of memory. */
void *weft__wit_alloc(wit_ctx_t *c, size_t n);
/* NUL-terminated copy of `n` bytes of `s` in the arena, or NULL. */
char *weft__wit_strndup(wit_ctx_t *c, const char *s, size_t n);
char *weft__wit_strdup(wit_ctx_t *c, const char *s);
/* Make room in the array *(T **)`arrp` holding `n` elements of `size`
 * bytes for one more (capacity is implied by n). 0 or -1. */
int weft__wit_reserve(wit_ctx_t *c, void *arrp, size_t n, size_t size);
#define WIT_PUSH(c, arr, n, val)                       \
  (weft__wit_reserve((c), &(arr), (n), sizeof *(arr)) \
       ? -1                                           \
       : ((arr)[(n)++] = (val), 0))

/* Add `key` to `m`. Returns 0, 1 if a key equal but for case is present
 * (then *old is it, if `old`), or -1 when out of memory. */
int weft__wit_map_put(wit_ctx_t *c, wit_map_t *m, const char *key, int kind,
                      void *val, const wit_map_ent_t **old);
/* The entry for `key` ignoring case, or NULL. */
const wit_map_ent_t *weft__wit_map_find(const wit_map_t *m, const char *key);
/* The entry for exactly `key`, or NULL. */
const wit_map_ent_t *weft__wit_map_get(const wit_map_t *m, const char *key);

/* Record error `code` at file:line:col unless one is recorded already.
 * Returns the error code in effect. */
int weft__wit_fail(wit_ctx_t *c, int code, const char *file, int line,
                   int col, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/* Record running out of memory. */
int weft__wit_nomem(wit_ctx_t *c);

/* True if `s` is a WIT keyword (so printing it needs a '%'). */
bool weft__wit_is_keyword(const char *s);
/* The shared node of a primitive kind. */
weft__wit_type_t *weft__wit_prim(wit_ctx_t *c, weft__wit_kind_t kind);
/* A new type node, recorded in c->types; NULL when out of memory. */
weft__wit_type_t *weft__wit_type_new(wit_ctx_t *c, weft__wit_kind_t kind,
                                     const char *file, int line, int col);
/* "ns:name" or "ns:name@version" of a package-like triple, in the arena. */
char *weft__wit_pkg_id(wit_ctx_t *c, const char *ns, const char *name,
                       const char *version);

/* ---- stages ------------------------------------------------------------- */

/* wit_parse.c: parse one file into units added to c->units. */
int weft__wit_parse_file(wit_ctx_t *c, unsigned group, const char *file,
                         const char *text, size_t len);
/* wit_world.c: resolve the statements of every world into its items. */
int weft__wit_resolve_worlds(wit_ctx_t *c);
/* wit_resolve.c: find the interface or world `path` names from `unit`;
 * `want` is WIT_ENT_IFACE or WIT_ENT_WORLD. NULL after recording an
 * error. */
void *weft__wit_find_path(wit_ctx_t *c, wit_unit_t *unit,
                          const wit_path_t *path, int want);
/* "the name as written" of a path, for messages, in the arena. */
const char *weft__wit_path_str(wit_ctx_t *c, const wit_path_t *path);

#endif

/* bindgen_int.h - private to bindgen_*.c: the state of one `weft bindgen
 * c` run, shared by the driver (bindgen_c.c), the types
 * (bindgen_types.c) and the function glue (bindgen_funcs.c). */
#ifndef WEFT_CABI_BINDGEN_INT_H
#define WEFT_CABI_BINDGEN_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "cabi/bindgen.h"
#include "cabi/wit.h"
#include "util/arena.h"
#include "util/util.h"

#define BG_MAX_FLAT_PARAMS 16
#define BG_MAX_FLAT_RESULTS 1
/* Flattening keeps this many core types; counts go on past it, and past
 * MAX_FLAT_PARAMS the types are never looked at. */
#define BG_FLAT_CAP (BG_MAX_FLAT_PARAMS + 1)

typedef enum bg_core { BG_I32, BG_I64, BG_F32, BG_F64 } bg_core_t;

typedef struct bg_flat {
  size_t n; /* may exceed BG_FLAT_CAP; then only the first CAP are set */
  bg_core_t t[BG_FLAT_CAP];
} bg_flat_t;

/* An interface as the world sees it. */
typedef struct bg_iface {
  const weft__wit_iface_t *iface;
  const char *prefix; /* "weft_test_host", "exports_weft_test_echoes" */
  const char *module; /* "weft:test/host@0.1.0", or the plain name */
  bool exported;
} bg_iface_t;

typedef struct bg_name {
  const void *key;  /* a type node, or NULL for anonymous types */
  const char *name; /* its C name */
  const char *full; /* anonymous: the unambiguous shape ("list_u8") */
} bg_name_t;

typedef struct bg {
  const weft__wit_t *wit; /* every package: names carry versions that clash */
  const weft__wit_world_t *world;
  weft__arena_t arena;
  const char *wpfx;     /* the world in snake_case: "spin_timer" */
  bg_iface_t **ifaces;
  size_t nifaces, capifaces;
  bg_name_t *done;      /* types and resources already written */
  size_t ndone, capdone;
  weft__buf_t htypes;   /* header: types and their helpers */
  weft__buf_t hfuncs;   /* header: imported and exported functions */
  weft__buf_t ctypes;   /* glue: free functions, resource helpers */
  weft__buf_t cimports; /* glue: imported functions */
  weft__buf_t cexports; /* glue: exported functions */
  size_t ret_size, ret_align; /* the static return area of exports */
  int rc;               /* first error, sticky */
  weft_error_t *err;
} bg_t;

/* ---- bindgen_c.c --------------------------------------------------------- */

/* printf into `b`; out of memory is remembered in g->rc. */
void bg_printf(bg_t *g, weft__buf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* An arena string from printf; "" (and g->rc set) when out of memory. */
char *bg_fmt(bg_t *g, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A WIT identifier in snake_case ("%type" -> "type", "a-b" -> "a_b"). */
char *bg_snake(bg_t *g, const char *id);
/* Likewise, but a C keyword or a name the glue uses gets a final '_'. */
char *bg_ident(bg_t *g, const char *id);
/* `s` in upper case. */
char *bg_upper(bg_t *g, const char *s);
/* Fail with "file:line:col: what" (the first failure wins). */
void bg_fail(bg_t *g, const char *file, int line, int col, const char *fmt,
             ...) __attribute__((format(printf, 5, 6)));
/* The interface as the world sees it (an interface the world does not
 * name is taken as imported); NULL only when out of memory. */
const bg_iface_t *bg_iface(bg_t *g, const weft__wit_iface_t *iface);
/* Doc comment lines for `docs` (may be NULL) at `indent`. */
void bg_docs(bg_t *g, weft__buf_t *b, const char *docs, const char *indent);

/* ---- bindgen_types.c ----------------------------------------------------- */

/* The C type of `t` ("uint32_t", "spin_timer_string_t"), writing its
 * definition first when it has not been written. */
const char *bg_ctype(bg_t *g, const weft__wit_type_t *t);
/* The name of `t`'s free function, or NULL when `t` owns no memory. */
const char *bg_free_fn(bg_t *g, const weft__wit_type_t *t);
/* Write the named types of an interface, and resource helpers. */
void bg_iface_types(bg_t *g, const bg_iface_t *bi);
/* Write a named type of the world itself. */
void bg_world_type(bg_t *g, const weft__wit_type_t *t);
/* The resource behind own/borrow `t`, and whether the world exports it. */
const weft__wit_type_t *bg_resource(const weft__wit_type_t *t);
bool bg_exported_resource(bg_t *g, const weft__wit_type_t *res);
/* The core function that drops a handle of imported resource `res`. */
const char *bg_res_drop(bg_t *g, const weft__wit_type_t *res);
/* The prefix of the interface (or world) defining named type `t`. */
const char *bg_type_prefix(bg_t *g, const weft__wit_type_t *t);
/* The canonical ABI size and alignment of `t`. */
size_t bg_size(const weft__wit_type_t *t);
size_t bg_align(const weft__wit_type_t *t);
/* Append `t`'s flat core types to `f`. */
void bg_flatten(const weft__wit_type_t *t, bg_flat_t *f);
/* True when `t` holds a string or a list (so its free function exists). */
bool bg_needs_free(const weft__wit_type_t *t);
/* True when `t` holds a borrow of an imported resource. */
bool bg_has_borrow(bg_t *g, const weft__wit_type_t *t);
/* True for types passed by value in C: numbers, enums, flags, handles. */
bool bg_by_value(const weft__wit_type_t *t);
/* Bytes of the tag of a variant (or enum) of `n` cases. */
size_t bg_disc_size(size_t n);
/* The C type of such a tag. */
const char *bg_disc_ctype(size_t n);

/* ---- bindgen_funcs.c ----------------------------------------------------- */

/* Write an imported function: its declaration and its glue. */
void bg_import_func(bg_t *g, const weft__wit_func_t *f, const char *prefix,
                    const char *module);
/* Write an exported function: the declaration the user implements and
 * the core export (and its cabi_post_) that calls it. `ename` is the
 * export name: "ns:pkg/iface@v#func" or a plain name. */
void bg_export_func(bg_t *g, const weft__wit_func_t *f, const char *prefix,
                    const char *ename);

#endif

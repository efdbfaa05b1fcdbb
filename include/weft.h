/* weft.h - the public API of libweft, a WebAssembly host.
 *
 * This is the only public header. Everything not declared here is private.
 * Handles are opaque. Every function that can fail takes a weft_error_t
 * supplied by the caller (it may be NULL) and returns a negative WEFT_E*
 * code or NULL on failure; 0 means success.
 *
 * Ownership is stated on each function: "borrowed" pointers stay owned by the
 * caller and need only live for the duration of the call unless said
 * otherwise; "new" objects are freed by the caller with the named function.
 */
#ifndef WEFT_H
#define WEFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WEFT_EXTERN __attribute__((visibility("default")))

#define WEFT_VERSION_MAJOR 0
#define WEFT_VERSION_MINOR 1
#define WEFT_VERSION_PATCH 0
#define WEFT_VERSION_STRING "0.1.0"

/* The ABI between libweft and the shared objects it compiles. A cached
 * artifact built for another ABI version is rebuilt or refused. */
#define WEFT_ABI_VERSION 2

/* ---- errors ------------------------------------------------------------ */

/* X(name, value, description). 0 is success, failures are negative. */
#define WEFT_ERRNO_MAP(X)                                        \
  X(EINVAL, -1, "invalid argument")                              \
  X(ENOMEM, -2, "out of memory")                                 \
  X(EIO, -3, "input/output error")                               \
  X(ENOENT, -4, "no such file or directory")                     \
  X(EMALFORMED, -5, "malformed module")                          \
  X(EINVALID, -6, "invalid module")                              \
  X(EUNSUPPORTED, -7, "unsupported feature")                     \
  X(EUNLINKABLE, -8, "unresolved import")                        \
  X(ECOMPILE, -9, "compilation failed")                          \
  X(ECACHE, -10, "cache error")                                  \
  X(ETRAP, -11, "guest trapped")                                 \
  X(EEXIT, -12, "guest exited")                                  \
  X(ENOTFOUND, -13, "not found")                                 \
  X(ESIGNATURE, -14, "signature mismatch")                       \
  X(EPARSE, -15, "parse error")                                  \
  X(ELIMIT, -16, "resource limit exceeded")                      \
  X(EABI, -17, "artifact built for another weft or machine")

typedef enum {
  WEFT_OK = 0,
#define WEFT__ERR_ENUM(name, value, desc) WEFT_##name = value,
  WEFT_ERRNO_MAP(WEFT__ERR_ENUM)
#undef WEFT__ERR_ENUM
} weft_errno_t;

/* Trap kinds, as reported in weft_error_t.detail when code is WEFT_ETRAP.
 * X(name, message). */
#define WEFT_TRAP_MAP(X)                                  \
  X(NONE, "no trap")                                      \
  X(UNREACHABLE, "unreachable executed")                  \
  X(OOB, "out of bounds memory access")                   \
  X(INT_OVERFLOW, "integer overflow")                     \
  X(DIV_BY_ZERO, "integer divide by zero")                \
  X(INVALID_CONVERSION, "invalid conversion to integer")  \
  X(INDIRECT_CALL, "indirect call type mismatch")         \
  X(STACK_EXHAUSTED, "call stack exhausted")              \
  X(DEADLINE, "deadline exceeded")                        \
  X(MEMORY_LIMIT, "memory limit exceeded")                \
  X(HOST, "host function trapped")                        \
  X(UNCAUGHT_EXCEPTION, "uncaught exception")                \
  X(ABI, "canonical ABI violation")

typedef enum {
#define WEFT__TRAP_ENUM(name, msg) WEFT_TRAP_##name,
  WEFT_TRAP_MAP(WEFT__TRAP_ENUM)
#undef WEFT__TRAP_ENUM
} weft_trap_t;

/* Filled in by a failing call. `detail` is the trap kind for WEFT_ETRAP and
 * the exit status for WEFT_EEXIT. `file`/`line` say where in libweft the
 * error was raised (for bug reports). */
typedef struct weft_error {
  int code;
  int detail;
  char msg[256];
  const char *file;
  int line;
} weft_error_t;

/* Short description of an error code ("malformed module"). Never NULL. */
WEFT_EXTERN const char *weft_strerror(int code);
/* Symbolic name of an error code ("EMALFORMED"). Never NULL. */
WEFT_EXTERN const char *weft_err_name(int code);
/* Message of a trap kind ("integer divide by zero"). Never NULL. */
WEFT_EXTERN const char *weft_trap_message(int trap);

/* ---- values ------------------------------------------------------------ */

typedef enum {
  WEFT_I32 = 0x7f,
  WEFT_I64 = 0x7e,
  WEFT_F32 = 0x7d,
  WEFT_F64 = 0x7c,
  WEFT_V128 = 0x7b,
  WEFT_FUNCREF = 0x70,
  WEFT_EXTERNREF = 0x6f
} weft_valtype_t;

/* A core WebAssembly value. References are opaque pointers (NULL = null). */
typedef struct weft_core_val {
  uint8_t type; /* a weft_valtype_t */
  union {
    int32_t i32;
    int64_t i64;
    float f32;
    double f64;
    uint8_t v128[16];
    void *ref;
  } of;
} weft_core_val_t;

/* ---- engine ------------------------------------------------------------ */

typedef struct weft_engine weft_engine_t;
typedef struct weft_module weft_module_t;
typedef struct weft_linker weft_linker_t;
typedef struct weft_instance weft_instance_t;
typedef struct weft_instance weft_caller_t;

typedef struct weft_engine_config {
  const char *cache_dir; /* NULL: $WEFT_CACHE_DIR, else
                            ${XDG_CACHE_HOME:-~/.cache}/weft */
  const char *cc;        /* NULL: $CC, else "cc" */
  int opt_level;         /* -1: default (2); 0..3 passed as -O<n> */
  bool progress;         /* print a progress line for compiles > 0.5 s */
  bool no_cache;         /* compile into a temporary directory only */
  /* Deterministic NaNs: every NaN a float operation makes (add, sub, mul,
   * div, sqrt, min, max, ceil, floor, trunc, nearest, promote, demote) is
   * the canonical one (f32 0x7fc00000, f64 0x7ff8000000000000), the same
   * bits on every machine, as in WebAssembly's deterministic profile;
   * moves, abs, neg, copysign and reinterpret still keep bits. Costs float
   * arithmetic a compare and select per operation (about 3x in float
   * kernels); off by default (also on with $WEFT_CANONICAL_NANS=1).
   * Modules compiled with it are cached apart. */
  bool canonical_nans;
  /* Write tracking: compiled code marks each 4 KiB chunk of memory it
   * writes, and weft_instance_reset of a module that can be put back in
   * place (no start function, no imported memory, table, global or tag)
   * rewrites only those chunks instead of the whole memory (zeroing 128
   * KiB costs about 0.8 us). Costs each store a shift and a byte store
   * (store-bound loops take about 1.4 times as long); pays off for
   * instances reset after short calls (trigger apps: `weft up`); also on
   * with $WEFT_TRACK_WRITES=1. Modules compiled with it are cached
   * apart. */
  bool track_writes;
} weft_engine_config_t;

/* A new engine. `cfg` is borrowed (NULL: defaults). Free with
 * weft_engine_free. An engine is safe to share between threads. */
WEFT_EXTERN weft_engine_t *weft_engine_new(const weft_engine_config_t *cfg,
                                           weft_error_t *err);
WEFT_EXTERN void weft_engine_free(weft_engine_t *engine);
/* The cache directory in use (borrowed, lives as long as the engine). */
WEFT_EXTERN const char *weft_engine_cache_dir(const weft_engine_t *engine);

/* ---- modules ----------------------------------------------------------- */

/* Load a module from a .wasm file or from a precompiled artifact written by
 * weft_module_write_artifact. Compiles on a cache miss. Free with
 * weft_module_free. Modules are immutable and safe to share. */
WEFT_EXTERN weft_module_t *weft_module_load_file(weft_engine_t *engine,
                                                 const char *path,
                                                 weft_error_t *err);
/* Same, from bytes (borrowed; copied if kept). `name` labels messages. */
WEFT_EXTERN weft_module_t *weft_module_load_bytes(weft_engine_t *engine,
                                                  const uint8_t *bytes,
                                                  size_t len, const char *name,
                                                  weft_error_t *err);
WEFT_EXTERN void weft_module_free(weft_module_t *module);

/* Write a self-contained precompiled artifact for `module` to `path`. */
WEFT_EXTERN int weft_module_write_artifact(weft_module_t *module,
                                           const char *path,
                                           weft_error_t *err);

/* Export and import counts and descriptions. Strings are borrowed from the
 * module. `sig` is a signature string such as "ii:l" (i32,i32 -> i64):
 * i=i32 l=i64 f=f32 d=f64 v=v128 r=funcref x=externref. */
typedef enum {
  WEFT_EXTERN_FUNC = 0,
  WEFT_EXTERN_TABLE = 1,
  WEFT_EXTERN_MEMORY = 2,
  WEFT_EXTERN_GLOBAL = 3,
  WEFT_EXTERN_TAG = 4
} weft_externkind_t;

typedef struct weft_extern_desc {
  const char *module; /* imports only */
  const char *name;
  int kind;        /* weft_externkind_t */
  const char *sig; /* functions: "params:results"; globals: type letter */
} weft_extern_desc_t;

WEFT_EXTERN size_t weft_module_import_count(const weft_module_t *module);
WEFT_EXTERN size_t weft_module_export_count(const weft_module_t *module);
WEFT_EXTERN int weft_module_import(const weft_module_t *module, size_t i,
                                   weft_extern_desc_t *out);
WEFT_EXTERN int weft_module_export(const weft_module_t *module, size_t i,
                                   weft_extern_desc_t *out);

/* ---- linker: host functions and named instances ------------------------ */

/* A host function. `args` and `results` follow the declared signature.
 * Return 0, or call weft_caller_trap to trap the guest. */
typedef void (*weft_host_fn_t)(weft_caller_t *caller, void *env,
                               const weft_core_val_t *args,
                               weft_core_val_t *results);

/* A new, empty linker. Free with weft_linker_free after every instance made
 * from it is freed. */
WEFT_EXTERN weft_linker_t *weft_linker_new(weft_engine_t *engine);
WEFT_EXTERN void weft_linker_free(weft_linker_t *linker);

/* Offer `module`.`name` with signature `sig` (see weft_extern_desc_t) to
 * guests. Strings are copied; `env` is borrowed for the linker's life.
 * Redefinition replaces. */
WEFT_EXTERN int weft_linker_define_func(weft_linker_t *linker,
                                        const char *module, const char *name,
                                        const char *sig, weft_host_fn_t fn,
                                        void *env, weft_error_t *err);

/* Make every export of `instance` importable as `module`.`export`. The
 * instance is borrowed and must outlive instances linked against it. */
WEFT_EXTERN int weft_linker_define_instance(weft_linker_t *linker,
                                            const char *module,
                                            weft_instance_t *instance,
                                            weft_error_t *err);

/* WASI preview 1 settings for a command or reactor. All strings borrowed
 * for the call (copied). */
typedef struct weft_wasi_config {
  int argc;
  const char *const *argv;
  int envc;
  const char *const *env; /* "KEY=VALUE" */
  int ndirs;
  const char *const *dir_host;  /* host paths */
  const char *const *dir_guest; /* guest paths (NULL entry: same as host) */
  int stdin_fd, stdout_fd, stderr_fd; /* host fds, -1: closed */
} weft_wasi_config_t;

/* Offer WASI preview 1 ("wasi_snapshot_preview1") through this linker; each
 * instance made from it gets its own WASI state from `cfg`. */
WEFT_EXTERN int weft_linker_define_wasi(weft_linker_t *linker,
                                        const weft_wasi_config_t *cfg,
                                        weft_error_t *err);

/* ---- instances --------------------------------------------------------- */

typedef struct weft_limits {
  uint64_t max_memory;     /* bytes per memory; 0: 4 GiB */
  uint32_t max_table;      /* elements per table; 0: 10,000,000 */
  uint64_t deadline_ns;    /* per call; 0: none */
} weft_limits_t;

/* Instantiate `module`, resolving imports through `linker` (both borrowed
 * for the instance's life). Runs the start function. Free with
 * weft_instance_free. An instance is used by one thread at a time. */
WEFT_EXTERN weft_instance_t *weft_instance_new(weft_linker_t *linker,
                                               weft_module_t *module,
                                               const weft_limits_t *limits,
                                               weft_error_t *err);
WEFT_EXTERN void weft_instance_free(weft_instance_t *instance);

/* Return `instance` to its freshly instantiated state (memories zeroed and
 * re-initialised, start function run again, host state recreated), reusing
 * its allocations: the cheap way to get a clean instance per event. For a
 * module without a start function that imports no memory, table, global
 * or tag, the state instantiation made is restored in place instead,
 * which the guest cannot tell apart. Weft's own pools make instances
 * ready with an internal call that runs `_initialize` once and, when it
 * called no import, resets to the state after it. */
WEFT_EXTERN int weft_instance_reset(weft_instance_t *instance,
                                    weft_error_t *err);

/* Call export `name` with `nargs` args; write up to `nresults` results.
 * Returns 0, WEFT_ETRAP (detail = weft_trap_t), WEFT_EEXIT (detail = exit
 * status, from WASI proc_exit) or another error. */
WEFT_EXTERN int weft_instance_invoke(weft_instance_t *instance,
                                     const char *name,
                                     const weft_core_val_t *args, size_t nargs,
                                     weft_core_val_t *results, size_t nresults,
                                     weft_error_t *err);

/* The signature of export function `name` ("ii:l"), or NULL. Borrowed. */
WEFT_EXTERN const char *weft_instance_func_sig(weft_instance_t *instance,
                                               const char *name);

/* Read or write exported global `name`. */
WEFT_EXTERN int weft_instance_global_get(weft_instance_t *instance,
                                         const char *name,
                                         weft_core_val_t *out,
                                         weft_error_t *err);

/* Linear memory: the export named `name` (NULL: "memory", else the first
 * memory). Returns the base (valid until the next guest call) and sets
 * *size; NULL if there is none. With write tracking, the next reset
 * rewrites the whole memory; a pointer kept across a reset and written
 * then is not seen by the reset after. */
WEFT_EXTERN uint8_t *weft_instance_memory(weft_instance_t *instance,
                                          const char *name, size_t *size);

/* Inside a host function: the calling instance's default memory. */
WEFT_EXTERN uint8_t *weft_caller_memory(weft_caller_t *caller, size_t *size);
/* Inside a host function: trap the guest with `msg`. Does not return. */
WEFT_EXTERN void weft_caller_trap(weft_caller_t *caller, const char *msg)
    __attribute__((noreturn));

/* ---- components: WIT worlds and the canonical ABI ---------------------- */

/* A loaded WIT package with its dependencies (see `weft wit check`). */
typedef struct weft_wit weft_wit_t;

/* Load the WIT package at `path`: a directory of .wit files with its
 * dependencies in `path`/deps/, or one .wit file. Free with weft_wit_free
 * after every linker using it. Errors name file:line:column. */
WEFT_EXTERN weft_wit_t *weft_wit_load(const char *path, weft_error_t *err);
/* Same, from the text of one file (borrowed); `name` labels messages. */
WEFT_EXTERN weft_wit_t *weft_wit_parse(const char *text, size_t len,
                                       const char *name, weft_error_t *err);
WEFT_EXTERN void weft_wit_free(weft_wit_t *wit);

/* Kinds of component values; the numbers are fixed. */
typedef enum weft_val_kind {
  WEFT_VAL_BOOL = 1,
  WEFT_VAL_S8,
  WEFT_VAL_U8,
  WEFT_VAL_S16,
  WEFT_VAL_U16,
  WEFT_VAL_S32,
  WEFT_VAL_U32,
  WEFT_VAL_S64,
  WEFT_VAL_U64,
  WEFT_VAL_F32,
  WEFT_VAL_F64,
  WEFT_VAL_CHAR,
  WEFT_VAL_STRING,
  WEFT_VAL_LIST,
  WEFT_VAL_OPTION,
  WEFT_VAL_RESULT,
  WEFT_VAL_TUPLE,
  WEFT_VAL_RECORD,
  WEFT_VAL_VARIANT,
  WEFT_VAL_ENUM,
  WEFT_VAL_FLAGS,
  WEFT_VAL_OWN = 23,
  WEFT_VAL_BORROW = 24
} weft_val_kind_t;

typedef struct weft_val weft_val_t;
/* A resource handle held by the host: a host resource (made by
 * weft_resource_new) or one a guest exported. */
typedef struct weft_resource weft_resource_t;

/* A component value. The kind must match the WIT type where it is used:
 *  - STRING: UTF-8 bytes, `len` of them. Strings Weft hands out are also
 *    NUL-terminated; strings given to Weft need not be.
 *  - LIST: `list<u8>` is held as bytes in of.bytes; every other list as
 *    values in of.list.
 *  - TUPLE and RECORD: elements or fields in order, in of.list.
 *  - VARIANT, ENUM: of.var.tag is the case index, of.var.val its payload
 *    (NULL when the case has none; always NULL for ENUM).
 *  - OPTION: tag 0 is none, 1 is some with val. RESULT: tag 0 is ok, 1 is
 *    err; val is NULL when that side has no type.
 *  - FLAGS: bit i of of.flags is the i-th flag (at most 64 flags).
 *  - OWN, BORROW: of.res. */
struct weft_val {
  uint8_t kind; /* a weft_val_kind_t */
  union {
    bool b;
    int8_t s8;
    uint8_t u8;
    int16_t s16;
    uint16_t u16;
    int32_t s32;
    uint32_t u32;
    int64_t s64;
    uint64_t u64;
    float f32;
    double f64;
    uint32_t ch; /* a Unicode scalar value */
    struct {
      const char *ptr;
      size_t len;
    } str;
    struct {
      const uint8_t *ptr;
      size_t len;
    } bytes;
    struct {
      weft_val_t *ptr;
      size_t len;
    } list;
    struct {
      uint32_t tag;
      weft_val_t *val;
    } var;
    uint64_t flags;
    weft_resource_t *res;
  } of;
};

/* Make every instance created through `linker` a component of world
 * `world` of `wit` (NULL: the package's only world; `wit` is borrowed for
 * the linker's life). At instantiation the module's imports and exports
 * are checked against the world, by name and flattened core signature;
 * the canonical built-ins a world needs (`[resource-drop]`, `[resource-new]`,
 * `[resource-rep]`) are provided. Call at most once per linker, before
 * defining WIT functions. */
WEFT_EXTERN int weft_linker_use_world(weft_linker_t *linker, weft_wit_t *wit,
                                      const char *world, weft_error_t *err);

/* A typed host function. `args` (and everything they point to) live for
 * the call; write `nresults` (0 or 1) results. Strings and lists in the
 * results must live until the function returns: point them at memory of
 * your own, or at weft_caller_alloc's. Trap with weft_caller_trap. */
typedef void (*weft_wit_fn_t)(weft_caller_t *caller, void *env,
                              const weft_val_t *args, size_t nargs,
                              weft_val_t *results, size_t nresults);

/* Implement the world's import `name`: "ns:pkg/iface@ver#func" (or
 * "iface#func" when unambiguous; resource functions by their ABI name,
 * "iface#[method]res.read") or a bare world function "func". `env` is
 * borrowed for the linker's life. */
WEFT_EXTERN int weft_linker_define_wit(weft_linker_t *linker,
                                       const char *name, weft_wit_fn_t fn,
                                       void *env, weft_error_t *err);

/* Define every world import not yet implemented as a function that traps
 * when called ("'x' is not implemented by the host"), so a module that
 * imports more than it uses still runs: for tools such as `weft run`. */
WEFT_EXTERN int weft_linker_define_wit_traps(weft_linker_t *linker,
                                             weft_error_t *err);

/* Inside a typed host function: `size` bytes freed when it returns. */
WEFT_EXTERN void *weft_caller_alloc(weft_caller_t *caller, size_t size);

/* A host resource type: the world's imported resource `name`
 * ("ns:pkg/iface@ver#res" or "iface#res"). `dtor` (may be NULL) runs with
 * the representation when the last owner drops a resource of it. */
typedef struct weft_resource_type weft_resource_type_t;
typedef void (*weft_resource_dtor_t)(void *rep, void *env);
WEFT_EXTERN weft_resource_type_t *weft_linker_define_resource(
    weft_linker_t *linker, const char *name, weft_resource_dtor_t dtor,
    void *env, weft_error_t *err);

/* A new resource of host type `type` around `rep`, owned by the host.
 * Passed to a guest as own<T> it becomes the guest's; as borrow<T> it is
 * lent for one call. NULL when out of memory. */
WEFT_EXTERN weft_resource_t *weft_resource_new(weft_resource_type_t *type,
                                               void *rep);
/* The representation of a host resource; NULL for a guest's. */
WEFT_EXTERN void *weft_resource_rep(const weft_resource_t *res);
/* The type of a host resource; NULL for a guest's. */
WEFT_EXTERN weft_resource_type_t *weft_resource_type(
    const weft_resource_t *res);
/* Drop a resource the host owns (one it made and still holds, or an own<T>
 * a guest returned): runs the destructor (a guest resource's `[dtor]` runs
 * in its instance, which must still exist). */
WEFT_EXTERN void weft_resource_drop(weft_resource_t *res);

/* An export of the world, resolved once for fast repeated calls. */
typedef struct weft_func weft_func_t;

/* The export `name` of the instance's world ("ns:pkg/iface@ver#func",
 * "iface#func", or a bare "func"); borrowed from the linker. NULL with
 * WEFT_ENOTFOUND when there is none. */
WEFT_EXTERN const weft_func_t *weft_instance_func(weft_instance_t *instance,
                                                  const char *name,
                                                  weft_error_t *err);
/* Parameter and result counts of a function. */
WEFT_EXTERN size_t weft_func_param_count(const weft_func_t *func);
WEFT_EXTERN size_t weft_func_result_count(const weft_func_t *func);

/* Call a world export with typed arguments. `args` are borrowed (own<T>
 * resources in them pass to the guest); results are written to `results`
 * and what they point to stays valid until the next call, reset or free of
 * the instance. Returns 0, WEFT_ETRAP (the guest trapped or broke the
 * canonical ABI; the message says how), WEFT_ESIGNATURE (arguments do not
 * match the function's types), WEFT_EEXIT, or another error. */
WEFT_EXTERN int weft_call(weft_instance_t *instance, const char *name,
                          const weft_val_t *args, size_t nargs,
                          weft_val_t *results, size_t nresults,
                          weft_error_t *err);
WEFT_EXTERN int weft_call_func(weft_instance_t *instance,
                               const weft_func_t *func, const weft_val_t *args,
                               size_t nargs, weft_val_t *results,
                               size_t nresults, weft_error_t *err);

/* Calls in WAVE, the WebAssembly Value Encoding of `wasmtime run --invoke`:
 * parse `text` ("echo(\"hi\", [1, 2])"), call it, and set *out to the
 * result in WAVE (a new string the caller frees; "" when there is none;
 * several named results as a tuple). Bad text fails with WEFT_EPARSE and
 * the column. */
WEFT_EXTERN int weft_call_wave(weft_instance_t *instance, const char *text,
                               char **out, weft_error_t *err);

/* Per-instance user data, for embedders. */
WEFT_EXTERN void weft_instance_set_data(weft_instance_t *instance, void *data);
WEFT_EXTERN void *weft_instance_data(weft_instance_t *instance);

/* ---- trigger apps: the trigger API --------------------------------------
 *
 * A trigger turns events into calls of components. Weft's own (http,
 * timer, redis) run inside `weft up`; any other type T is a program
 * `weft-trigger-T` that `weft up` starts and supervises, written with this
 * API: fill a weft_trigger_t and hand it to weft_trigger_main, which
 * parses the common options and the environment `weft up` sets, loads the
 * app, links the components of [[trigger.T]] to the trigger's world with
 * the host APIs it grants, and calls `init` and `run`. For each event,
 * `run` takes an instance with weft_app_instantiate, calls it with
 * weft_call, and gives it back with weft_app_release. See
 * docs/triggers.md. */

/* The version of the trigger API below; a trigger says which it was
 * written against (weft_trigger_t.api_version). */
#define WEFT_TRIGGER_API_VERSION 1

/* A running app, as a trigger (or an embedder) sees it. */
typedef struct weft_app weft_app_t;
/* Tells a running trigger to stop. */
typedef struct weft_stop weft_stop_t;

/* Host APIs a trigger grants its components (Spin's "factors"); each is
 * still limited by the component's own grants in the manifest. */
enum {
  WEFT_HOST_VARIABLES = 1u << 0,     /* variables@2.0.0, Spin 1 config */
  WEFT_HOST_KEY_VALUE = 1u << 1,     /* key_value_stores */
  WEFT_HOST_OUTBOUND_HTTP = 1u << 2, /* allowed_outbound_hosts */
  WEFT_HOST_FILES = 1u << 3,         /* files, as the guest's "/" */
  WEFT_HOST_ALL = 0xfu
};

/* An option of the trigger's own, besides the common ones. */
typedef struct weft_trigger_option {
  const char *name;  /* long name without "--": "tick-jitter" */
  int has_arg;       /* 1: takes a value */
  const char *help;  /* one line for --help */
} weft_trigger_option_t;

typedef struct weft_trigger {
  int api_version;          /* WEFT_TRIGGER_API_VERSION */
  const char *type;         /* T of [[trigger.T]]: "ticker" */
  const char *summary;      /* one line for --help */
  /* The world its components implement: `world` of the WIT package at
   * `wit_path` (a directory or a .wit file), or of `wit_text` when set. */
  const char *wit_path;
  const char *wit_text;
  const char *world;
  unsigned host_apis;       /* WEFT_HOST_*; 0 grants them all */
  const weft_trigger_option_t *options;
  size_t noptions;
  void *data;               /* passed to every callback */
  /* Each of its options as given (value NULL when it takes none). */
  int (*option)(void *data, const char *name, const char *value,
                weft_error_t *err);
  /* Once the app is loaded: check settings, prepare. May be NULL. */
  int (*init)(void *data, weft_app_t *app, weft_error_t *err);
  /* Serve events until `stop` is requested; return 0, or an error. */
  int (*run)(void *data, weft_app_t *app, weft_stop_t *stop,
             weft_error_t *err);
} weft_trigger_t;

/* The whole life of a trigger executor: returns the process exit status
 * (0 after a stop on SIGINT or SIGTERM, 1 when the app cannot start or
 * `run` fails, 2 for a usage error). The app comes from `-f FILE|DIR` or
 * else WEFT_MANIFEST_URL (or SPIN_MANIFEST_URL), a file:// URL. Common
 * options are those of `weft up`; the ones that do not concern this
 * trigger (--listen, ...) are accepted and ignored, since `weft up`
 * passes its own options to every executor; --speedup reaches the
 * trigger through weft_app_speedup. */
WEFT_EXTERN int weft_trigger_main(int argc, char **argv,
                                  const weft_trigger_t *trigger);

/* How many [[trigger.T]] entries of the trigger's type the app runs
 * (after -c), and for entry i its id and its component's id. */
WEFT_EXTERN size_t weft_app_trigger_count(const weft_app_t *app);
WEFT_EXTERN const char *weft_app_trigger_id(const weft_app_t *app,
                                            size_t i);
WEFT_EXTERN const char *weft_app_trigger_component(const weft_app_t *app,
                                                   size_t i);
/* A setting of entry i ([[trigger.T]] key), or with i ==
 * WEFT_APP_SETTINGS of [application.trigger.T]. Returns 0,
 * WEFT_ENOTFOUND when absent, WEFT_EINVAL when of another type (with a
 * message naming the manifest's file:line in `err`). Strings live as long
 * as the app. */
#define WEFT_APP_SETTINGS ((size_t)-1)
WEFT_EXTERN int weft_app_setting_string(const weft_app_t *app, size_t i,
                                        const char *key, const char **out,
                                        weft_error_t *err);
WEFT_EXTERN int weft_app_setting_int(const weft_app_t *app, size_t i,
                                     const char *key, int64_t *out,
                                     weft_error_t *err);
/* For a setting the trigger read and refuses (out of range, unknown
 * name): fills `err` with WEFT_EINVAL and the printf-style message after
 * the manifest's file:line of key `key` of entry i (or of
 * [application.trigger.T]), or of the table's header when the key is
 * absent: "spin.toml:19: 'interval_secs' must be at least 1, not 0".
 * Returns WEFT_EINVAL, for `init` to return as it is. */
WEFT_EXTERN int weft_app_setting_error(const weft_app_t *app, size_t i,
                                       const char *key, weft_error_t *err,
                                       const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* The --speedup N of `weft up` (which passes it on to every executor) or
 * of the executor's own command line: a trigger that fires on a schedule
 * fires N times as often. 1 when none was given. */
WEFT_EXTERN uint32_t weft_app_speedup(const weft_app_t *app);
/* The app's name and the directory of its manifest. */
WEFT_EXTERN const char *weft_app_name(const weft_app_t *app);
WEFT_EXTERN const char *weft_app_dir(const weft_app_t *app);

/* A fresh instance of component `id` from its pool (waits while all are
 * busy; WEFT_ELIMIT past the pool's bounds), and giving it back after the
 * event: it is reset for the next one (a NULL instance is ignored).
 * Thread-safe. */
WEFT_EXTERN weft_instance_t *weft_app_instantiate(weft_app_t *app,
                                                  const char *id,
                                                  weft_error_t *err);
WEFT_EXTERN void weft_app_release(weft_app_t *app, const char *id,
                                  weft_instance_t *instance);

/* Whether a stop was requested; wait for one at most `timeout_ns`
 * (returns 1 when stopping, 0 on timeout); a descriptor that becomes
 * readable on stop, for poll(). */
WEFT_EXTERN int weft_stop_requested(const weft_stop_t *stop);
WEFT_EXTERN int weft_stop_wait(weft_stop_t *stop, uint64_t timeout_ns);
WEFT_EXTERN int weft_stop_fd(const weft_stop_t *stop);

/* ---- trigger apps: embedding -------------------------------------------
 *
 * An app built in code rather than read from a manifest: the same model,
 * the same checks, the built-in triggers running in this process. */
typedef struct weft_app_builder weft_app_builder_t;

/* A new app named `name`; component sources are relative to `dir`. */
WEFT_EXTERN weft_app_builder_t *weft_app_builder_new(const char *name,
                                                     const char *dir);
WEFT_EXTERN void weft_app_builder_free(weft_app_builder_t *b);
/* Add component `id` from `source` (a .wasm path); `settings` holds more
 * of its keys in TOML ("key_value_stores = [\"default\"]"), or is NULL. */
WEFT_EXTERN int weft_app_builder_component(weft_app_builder_t *b,
                                           const char *id,
                                           const char *source,
                                           const char *settings,
                                           weft_error_t *err);
/* Add a trigger of `type` ("http", "timer", "redis") for component `id`,
 * its settings in TOML ("route = \"/hello\"", "interval_secs = 1"). */
WEFT_EXTERN int weft_app_builder_trigger(weft_app_builder_t *b,
                                         const char *type, const char *id,
                                         const char *settings,
                                         weft_error_t *err);
/* Add an application variable with its default (NULL: required). */
WEFT_EXTERN int weft_app_builder_variable(weft_app_builder_t *b,
                                          const char *name,
                                          const char *default_value,
                                          weft_error_t *err);

typedef struct weft_app_options {
  const char *listen;        /* "127.0.0.1:3000"; NULL: that; port 0: any */
  const char *const *variables; /* "k=v" */
  size_t nvariables;
  const char *log_dir;       /* NULL: <dir>/.weft/logs */
  const char *runtime_config; /* runtime config file, or NULL */
  uint64_t request_timeout_ns; /* 0: none */
  size_t max_instances;      /* per component; 0: 64 */
} weft_app_options_t;

/* Start the app built by `b` (it may be freed afterwards) with its
 * built-in triggers running on their own threads, printing nothing; `engine`, `opts` and
 * the strings it points to are borrowed for the app's life. */
WEFT_EXTERN weft_app_t *weft_app_start(weft_engine_t *engine,
                                       const weft_app_builder_t *b,
                                       const weft_app_options_t *opts,
                                       weft_error_t *err);
/* The port its HTTP trigger listens on (0: none). */
WEFT_EXTERN uint16_t weft_app_http_port(const weft_app_t *app);
/* Stop the triggers, let calls in progress finish, free. */
WEFT_EXTERN void weft_app_stop(weft_app_t *app);

#ifdef __cplusplus
}
#endif

#endif /* WEFT_H */

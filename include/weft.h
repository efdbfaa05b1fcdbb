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
  X(UNCAUGHT_EXCEPTION, "uncaught exception")

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
 * its allocations: the cheap way to get a clean instance per event. */
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
 * *size; NULL if there is none. */
WEFT_EXTERN uint8_t *weft_instance_memory(weft_instance_t *instance,
                                          const char *name, size_t *size);

/* Inside a host function: the calling instance's default memory. */
WEFT_EXTERN uint8_t *weft_caller_memory(weft_caller_t *caller, size_t *size);
/* Inside a host function: trap the guest with `msg`. Does not return. */
WEFT_EXTERN void weft_caller_trap(weft_caller_t *caller, const char *msg)
    __attribute__((noreturn));

/* Per-instance user data, for embedders. */
WEFT_EXTERN void weft_instance_set_data(weft_instance_t *instance, void *data);
WEFT_EXTERN void *weft_instance_data(weft_instance_t *instance);

#ifdef __cplusplus
}
#endif

#endif /* WEFT_H */

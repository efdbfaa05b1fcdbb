/* engine_int.h - private structures of the engine. */
#ifndef WEFT_ENGINE_INT_H
#define WEFT_ENGINE_INT_H

#include <pthread.h>

#include "engine/abi.h"
#include "engine/engine.h"
#include "engine/reader.h"
#include "runtime/runtime.h"
#include "util/util.h"

struct weft_engine {
  char *cache_dir;
  char *cc;
  int opt_level;
  int progress;
  int no_cache;
  int canonical_nans; /* rewrite_nans compiled code; part of cache keys */
  int track_writes;   /* rewrite_track compiled code; part of cache keys */
  char tool_id[2 * 4096 + 256]; /* identity of cc and wasm2c, part of cache keys */
};

typedef struct weft__func_addr {
  uintptr_t addr;
  uint32_t index; /* function index (imports first) */
} weft__func_addr_t;

struct weft_module {
  weft_engine_t *engine;
  char *name;                      /* for messages: the file or label */
  void *dl;                        /* dlopen handle */
  int code_handle;                 /* weft__rt_code_add handle */
  uintptr_t code_lo, code_hi;      /* its executable segment */
  const weft__abi_module_t *abi;
  weft__wasm_t wasm;
  char **import_sigs;              /* per import: "ii:i", or a global type */
  char **export_sigs;              /* per export, functions only */
  weft__func_addr_t *func_addrs;   /* sorted by address */
  uint32_t nfunc_addrs;
};

typedef struct weft__hostdef {
  char *module, *name, *sig;
  weft__raw_fn_t raw;              /* raw: called directly */
  weft_host_fn_t fn;               /* generic */
  void *env;
} weft__hostdef_t;

typedef struct weft__named {
  char *module;
  weft_instance_t *inst;
} weft__named_t;

struct weft_linker {
  weft_engine_t *engine;
  weft__hostdef_t **defs;
  size_t ndefs, capdefs;
  weft__named_t *named;
  size_t nnamed, capnamed;
  struct {
    const weft__state_ops_t *ops;
    void *cfg;
  } state[WEFT__STATE_MAX];
  weft__module_check_t check;
};

struct weft_instance {
  weft_module_t *module;
  weft_linker_t *linker;
  weft_limits_t limits;
  void *state[WEFT__STATE_MAX];
  void *data;
  weft__abi_slot_t *slots;
  wasm_rt_memory_t *mem0;
  int live; /* wasm2c state is instantiated */
  /* What instantiation made, put back by weft_instance_reset instead of
   * instantiating again (instance.c); NULL when the module's instantiation
   * cannot be replayed that way. */
  struct weft__inst_image *image;
  int no_image; /* putting it back failed once: instantiate again */
  /* The reactor initialiser (weft__instance_initialize): how resets treat
   * it (WEFT__INIT_*), its export (NULL: call it by name), and whether
   * the state is already as after it, so there is nothing to run. */
  int init_mode;
  const struct weft__abi_export *init_fn;
  int initialized;
  _Alignas(16) unsigned char w2c[];
};

/* weft_instance_t.init_mode. */
enum {
  WEFT__INIT_UNKNOWN = 0, /* _initialize not run yet */
  WEFT__INIT_NONE,        /* the module has no _initialize */
  WEFT__INIT_EVERY,       /* resets put back the state before it: run it */
  WEFT__INIT_ONCE         /* the image is the state after it */
};

/* Call a generic host function on behalf of compiled code (abi.h). */
void weft__call_host(weft__abi_slot_t *slot, const weft__abi_val_t *args,
                     weft__abi_val_t *results);

/* The table of runtime functions handed to compiled modules. */
extern const weft__abi_rt_t weft__rt_table;

/* Compile `bytes` (hash `sha`) or find it in the cache; returns the path of
 * the shared object in *so_path (caller frees). */
int weft__compile(weft_engine_t *e, const weft__wasm_t *w,
                  const uint8_t *bytes, size_t len, const char *sha,
                  const char *name, char **so_path, int *temporary,
                  weft_error_t *err);
/* The cache path for a module hash (caller frees). */
char *weft__cache_path(weft_engine_t *e, const char *sha, const char *ext);

/* Export index of `name`, or -1. */
int weft__module_find_export(const weft_module_t *m, const char *name);
/* Display name of the function containing guest address pc, or NULL. */
const char *weft__module_func_at(const weft_module_t *m, uintptr_t pc);

#endif

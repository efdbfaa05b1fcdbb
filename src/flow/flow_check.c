/* flow_check.c - a flow's components against their roles: each node's
 * .wasm is loaded and instantiated through a linker bound to its role's
 * world, so the check is the canonical ABI's own (src/cabi/cabi_world.c:
 * every export of the world by name and core signature, every import of
 * it known and typed right) plus the engine's (imports resolved, memory
 * within max_memory), and no function of the component is called. Also
 * where the WIT package of the roles' worlds (wit/torvyn) is. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cabi/wit.h"
#include "flow/flow.h"


/* ---- the WIT package ---------------------------------------------------- */

/* See flow.h. */
weft_wit_t *weft__flow_wit_load(const char *wit_dir, weft_error_t *err) {
  return weft__wit_load_shipped(wit_dir, "torvyn", err);
}

/* ---- components --------------------------------------------------------- */

/* "file:line: node 'N' of flow 'F'" for messages about `node`'s
 * component, into out[cap]. */
static const char *where(const weft__flow_node_t *n, char *out, size_t cap) {
  const weft__flow_loc_t *loc =
      n->component_loc.line ? &n->component_loc : &n->loc;
  snprintf(out, cap, "%s:%d: node '%s' of flow '%s'", loc->file, loc->line,
           n->name, n->flow ? n->flow : "?");
  return out;
}

/* See flow.h. */
weft_module_t *weft__flow_load_component(const weft__flow_node_t *node,
                                         weft_engine_t *engine,
                                         weft_error_t *err) {
  char at[200];
  weft_error_t e = {0};
  weft_module_t *m;
  struct stat st;
  where(node, at, sizeof at);
  if (stat(node->component, &st) < 0) {
    if (errno == ENOENT)
      WEFT_ERR(err, WEFT_ENOENT, "%s: component '%s' not found", at,
               node->component);
    else
      WEFT_ERR(err, WEFT_EIO, "%s: cannot open component '%s': %s", at,
               node->component, strerror(errno));
    return NULL;
  }
  if (!S_ISREG(st.st_mode)) {
    WEFT_ERR(err, WEFT_EINVAL, "%s: component '%s' is not a file", at,
             node->component);
    return NULL;
  }
  if (!(m = weft_module_load_file(engine, node->component, &e)))
    WEFT_ERR(err, e.code, "%s: %s", at, e.msg);
  return m;
}

/* See flow.h. */
int weft__flow_check_node(const weft__flow_node_t *node,
                          weft_module_t *module, weft_engine_t *engine,
                          weft_wit_t *wit, weft_error_t *err) {
  weft_wasi_config_t wasi = {.stdin_fd = -1, .stdout_fd = -1,
                             .stderr_fd = -1};
  weft_limits_t limits = {.max_memory = node->max_memory};
  weft_linker_t *linker = weft_linker_new(engine);
  weft_instance_t *inst = NULL;
  weft_error_t e = {0};
  char at[200];
  int rc = 0;
  if (!linker)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  /* WASI as `run` gives it, and every world import as a trap: the check
   * is of the component, not of which imports the host implements. */
  if (weft_linker_define_wasi(linker, &wasi, &e) < 0 ||
      weft_linker_use_world(linker, wit, weft__flow_role_world(node->role),
                            &e) < 0 ||
      weft_linker_define_wit_traps(linker, &e) < 0) {
    rc = WEFT_ERR(err, e.code, "%s: %s", where(node, at, sizeof at), e.msg);
    goto out;
  }
  /* Exports or imports that do not fit the world say which role it is
   * not; anything else (a memory over max_memory, a trap in a start
   * function) is said as it is. */
  if (!(inst = weft_instance_new(linker, module, &limits, &e)) &&
      (e.code == WEFT_EUNLINKABLE || e.code == WEFT_ESIGNATURE))
    rc = WEFT_ERR(err, e.code, "%s is not a %s: %s",
                  where(node, at, sizeof at),
                  weft__flow_role_name(node->role), e.msg);
  else if (!inst)
    rc = WEFT_ERR(err, e.code, "%s: %s", where(node, at, sizeof at), e.msg);
out:
  weft_instance_free(inst);
  weft_linker_free(linker);
  return rc;
}

/* See flow.h. */
int weft__flow_check_components(const weft__flow_t *flow,
                                weft_engine_t *engine, weft_wit_t *wit,
                                weft_error_t *err) {
  weft_error_t e = {0};
  for (size_t i = 0; i < flow->nnodes && !e.code; i++) {
    weft_module_t *m = weft__flow_load_component(&flow->nodes[i], engine, &e);
    if (m)
      weft__flow_check_node(&flow->nodes[i], m, engine, wit, &e);
    weft_module_free(m);
  }
  if (e.code && err)
    *err = e;
  return e.code;
}

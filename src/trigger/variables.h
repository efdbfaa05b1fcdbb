/* variables.h - application variables and the Spin variables interface
 * (fermyon:spin/variables@2.0.0 `get`).
 *
 * An application variable's value comes from, first to last: `--variable
 * K=V`, the environment (WEFT_VARIABLE_K, then SPIN_VARIABLE_K, K in upper
 * case), its default. A required variable without a value stops the app.
 * A component sees only the variables of its own `[component.ID.variables]`
 * table, whose values are templates over application variables ("{{ key
 * }}"), expanded when the guest asks. Secret values never appear in
 * messages. */
#ifndef WEFT_TRIGGER_VARIABLES_H
#define WEFT_TRIGGER_VARIABLES_H

#include <stddef.h>

#include "app/manifest.h"
#include "weft.h"

typedef struct weft__vars weft__vars_t;

/* Resolve every application variable of `m` (borrowed for the result's
 * life). `overrides` are "k=v" strings from the command line. */
int weft__vars_new(const weft__manifest_t *m, const char *const *overrides,
                   size_t noverrides, weft__vars_t **out, weft_error_t *err);
void weft__vars_free(weft__vars_t *v);

/* Expand component `c`'s variable `name` into a new string (caller
 * frees). Returns 0, WEFT_ENOTFOUND (the component has no such variable)
 * or WEFT_ENOMEM. */
int weft__vars_get(const weft__vars_t *v, const weft__manifest_component_t *c,
                   const char *name, char **out);

/* Expand the "{{ name }}" templates of `template` against the application
 * variables into a new string (caller frees). Returns 0 or WEFT_ENOMEM;
 * the manifest parser has checked that every name is declared. */
int weft__vars_expand(const weft__vars_t *v, const char *template,
                      char **out);

/* Implement fermyon:spin/variables@2.0.0#get on `linker` (bound to a world
 * importing it) for component `c`; both borrowed for the linker's life
 * (`v` keeps what the definition needs). */
int weft__vars_define(weft_linker_t *linker, weft__vars_t *v,
                      const weft__manifest_component_t *c, weft_error_t *err);
/* The same through Spin 1's fermyon:spin/config#get-config. */
int weft__vars_define_config(weft_linker_t *linker, weft__vars_t *v,
                             const weft__manifest_component_t *c,
                             weft_error_t *err);

#endif

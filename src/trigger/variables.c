/* variables.c - application variables and fermyon:spin/variables
 * (variables.h). */
#include <stdlib.h>
#include <string.h>

#include "trigger/variables.h"
#include "util/util.h"

/* What a component's `get` needs. */
typedef struct env {
  const weft__vars_t *vars;
  const weft__manifest_component_t *c;
} env_t;

struct weft__vars {
  const weft__manifest_t *m;
  const char **values; /* per manifest variable; NULL: none */
  env_t **envs;        /* one per component given `get` */
  size_t nenvs;
};

/* The environment override of variable `name`: WEFT_VARIABLE_NAME, then
 * SPIN_VARIABLE_NAME. */
static const char *from_env(const char *name) {
  static const char *const prefixes[] = {"WEFT_VARIABLE_", "SPIN_VARIABLE_"};
  for (size_t p = 0; p < 2; p++) {
    char key[256];
    size_t n = strlen(prefixes[p]), i = 0;
    if (n + strlen(name) >= sizeof key)
      return NULL;
    memcpy(key, prefixes[p], n);
    for (; name[i]; i++)
      key[n + i] = (char)(name[i] >= 'a' && name[i] <= 'z' ? name[i] - 32
                                                           : name[i]);
    key[n + i] = 0;
    const char *v = getenv(key);
    if (v)
      return v;
  }
  return NULL;
}

int weft__vars_new(const weft__manifest_t *m, const char *const *overrides,
                   size_t noverrides, weft__vars_t **out, weft_error_t *err) {
  weft__vars_t *v = calloc(1, sizeof *v);
  if (!v || !(v->values = calloc(m->variables_len + 1, sizeof *v->values))) {
    weft__vars_free(v);
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  }
  v->m = m;
  for (size_t i = 0; i < noverrides; i++) {
    const char *eq = strchr(overrides[i], '=');
    size_t kl = eq ? (size_t)(eq - overrides[i]) : 0;
    size_t k = 0;
    while (eq && k < m->variables_len &&
           (strlen(m->variables[k].name) != kl ||
            memcmp(m->variables[k].name, overrides[i], kl)))
      k++;
    if (!eq || k == m->variables_len) {
      int rc = WEFT_ERR(err, WEFT_EINVAL,
                        "--variable '%.*s': the app declares no such variable",
                        (int)(eq ? kl : strlen(overrides[i])), overrides[i]);
      weft__vars_free(v);
      return rc;
    }
    v->values[k] = eq + 1;
  }
  for (size_t k = 0; k < m->variables_len; k++) {
    const weft__manifest_variable_t *var = &m->variables[k];
    if (!v->values[k])
      v->values[k] = from_env(var->name);
    if (!v->values[k])
      v->values[k] = var->default_value;
    if (!v->values[k]) {
      int rc = WEFT_ERR(err, WEFT_EINVAL,
                        "%s:%d: variable '%s' is required and has no value "
                        "(set it with --variable %s=... or WEFT_VARIABLE_)",
                        var->loc.file, var->loc.line, var->name, var->name);
      weft__vars_free(v);
      return rc;
    }
  }
  *out = v;
  return 0;
}

void weft__vars_free(weft__vars_t *v) {
  if (!v)
    return;
  for (size_t i = 0; i < v->nenvs; i++)
    free(v->envs[i]);
  free(v->envs);
  free(v->values);
  free(v);
}

/* Expand "{{ name }}" templates against the application variables. The
 * manifest parser checked that every name is declared. */
int weft__vars_expand(const weft__vars_t *v, const char *t, char **out) {
  weft__buf_t b;
  weft__buf_init(&b);
  while (*t) {
    const char *open = strstr(t, "{{");
    const char *close = open ? strstr(open + 2, "}}") : NULL;
    if (!close) {
      weft__buf_puts(&b, t);
      break;
    }
    weft__buf_add(&b, t, (size_t)(open - t));
    const char *s = open + 2, *e = close;
    while (s < e && (*s == ' ' || *s == '\t'))
      s++;
    while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
      e--;
    for (size_t k = 0; k < v->m->variables_len; k++)
      if (strlen(v->m->variables[k].name) == (size_t)(e - s) &&
          !memcmp(v->m->variables[k].name, s, (size_t)(e - s)))
        weft__buf_puts(&b, v->values[k]);
    t = close + 2;
  }
  if (!b.data && !(b.data = weft__strdup("")))
    return WEFT_ENOMEM;
  *out = b.data;
  return 0;
}

int weft__vars_get(const weft__vars_t *v, const weft__manifest_component_t *c,
                   const char *name, char **out) {
  for (size_t i = 0; i < c->variables.len; i++)
    if (!strcmp(c->variables.items[i].key, name))
      return weft__vars_expand(v, c->variables.items[i].value, out);
  return WEFT_ENOTFOUND;
}

/* The error cases `get` can return, as the tags of each interface's
 * error variant: variables@2.0.0 { invalid-name, undefined, provider,
 * other }; the older config { provider, invalid-key, invalid-schema,
 * other }, where Spin reports an undefined name as a provider error. */
typedef struct tags {
  uint32_t invalid, undefined, other;
} tags_t;
static const tags_t variables_tags = {0, 1, 3};
static const tags_t config_tags = {1, 0, 3};

/* result<string, error> for a variable get, with `tags` for the error. */
static void get_as(weft_caller_t *caller, env_t *env, const tags_t *tags,
                   const weft_val_t *args, weft_val_t *res) {
  const char *name = args[0].of.str.ptr;
  weft_val_t *payload = weft_caller_alloc(caller, 2 * sizeof *payload);
  if (!payload)
    weft_caller_trap(caller, "out of memory");
  char *value = NULL;
  int rc = weft__manifest_valid_id(name, args[0].of.str.len, true)
               ? weft__vars_get(env->vars, env->c, name, &value)
               : WEFT_EINVAL;
  const char *text = value;
  weft__buf_t msg;
  weft__buf_init(&msg);
  res[0].kind = WEFT_VAL_RESULT;
  if (rc == 0) {
    res[0].of.var.tag = 0;
  } else {
    weft__buf_printf(&msg,
                     rc == WEFT_EINVAL ? "invalid variable name '%s'"
                     : rc == WEFT_ENOTFOUND
                         ? "component '%s' has no variable '%s'"
                         : "out of memory",
                     rc == WEFT_ENOTFOUND ? env->c->id : name, name);
    text = msg.data ? msg.data : "error";
    res[0].of.var.tag = 1;
    payload[1] = (weft_val_t){.kind = WEFT_VAL_VARIANT,
                              .of.var.tag = rc == WEFT_EINVAL ? tags->invalid
                                            : rc == WEFT_ENOTFOUND
                                                ? tags->undefined
                                                : tags->other,
                              .of.var.val = &payload[0]};
  }
  size_t n = strlen(text);
  char *copy = weft_caller_alloc(caller, n + 1);
  if (!copy)
    weft_caller_trap(caller, "out of memory");
  memcpy(copy, text, n + 1);
  free(value);
  weft__buf_release(&msg);
  payload[0].kind = WEFT_VAL_STRING;
  payload[0].of.str.ptr = copy;
  payload[0].of.str.len = n;
  res[0].of.var.val = rc == 0 ? &payload[0] : &payload[1];
}

static void get(weft_caller_t *caller, void *env, const weft_val_t *args,
                size_t nargs, weft_val_t *res, size_t nres) {
  (void)nargs, (void)nres;
  get_as(caller, env, &variables_tags, args, res);
}

static void get_config(weft_caller_t *caller, void *env,
                       const weft_val_t *args, size_t nargs, weft_val_t *res,
                       size_t nres) {
  (void)nargs, (void)nres;
  get_as(caller, env, &config_tags, args, res);
}

/* An env for component `c`, kept with the variables, which outlive it. */
static env_t *new_env(weft__vars_t *v, const weft__manifest_component_t *c) {
  env_t *env = malloc(sizeof *env);
  env_t **envs = env ? realloc(v->envs, (v->nenvs + 1) * sizeof *envs)
                     : NULL;
  if (!envs) {
    free(env);
    return NULL;
  }
  env->vars = v;
  env->c = c;
  v->envs = envs;
  v->envs[v->nenvs++] = env;
  return env;
}

int weft__vars_define(weft_linker_t *linker, weft__vars_t *v,
                      const weft__manifest_component_t *c, weft_error_t *err) {
  env_t *env = new_env(v, c);
  if (!env)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  return weft_linker_define_wit(linker, "fermyon:spin/variables@2.0.0#get",
                                get, env, err);
}

int weft__vars_define_config(weft_linker_t *linker, weft__vars_t *v,
                             const weft__manifest_component_t *c,
                             weft_error_t *err) {
  env_t *env = new_env(v, c);
  if (!env)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  return weft_linker_define_wit(linker, "fermyon:spin/config#get-config",
                                get_config, env, err);
}

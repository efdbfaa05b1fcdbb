/* cmd_build.c - `weft build`: run each component's
 * [component.ID.build] command, as `spin build` does. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "app/manifest.h"
#include "cli.h"
#include "util/proc.h"

static const char usage[] =
    "usage: weft build [options] [--up [weft up options]]\n"
    "\n"
    "Run the build command of each component of a manifest\n"
    "([component.ID.build] command, with /bin/sh, in its workdir or the\n"
    "manifest's directory), in manifest order; stop at the first failure.\n"
    "\n"
    "options:\n"
    "  -f, --from FILE|DIR     the manifest, or a directory holding\n"
    "                          weft.toml or spin.toml (default: .)\n"
    "  -c, --component-id ID   build only component ID (repeatable)\n"
    "      --up                then run the app: what follows --up are\n"
    "                          `weft up` options (-f is passed on)\n"
    "  -h, --help              show this help\n"
    "\n"
    "exit status: 0 when every command succeeded; 1 when the manifest is\n"
    "bad or a command failed; 2 usage error.\n";

static int build(const weft__manifest_t *m, char **only, size_t nonly) {
  for (size_t i = 0; i < nonly; i++)
    if (!weft__manifest_component(m, only[i])) {
      cli_error("-c %s: %s has no component with that id", only[i], m->file);
      return WEFT_EXIT_FAIL;
    }
  for (size_t i = 0; i < m->components_len; i++) {
    const weft__manifest_component_t *c = &m->components[i];
    if (nonly && !weft__str_in((const char *const *)only, nonly, c->id))
      continue;
    if (!c->build.command) {
      printf("%s: no build command, skipped\n", c->id);
      continue;
    }
    printf("Building component %s with `%s`\n", c->id, c->build.command);
    fflush(stdout);
    const char *argv[] = {"/bin/sh", "-c", c->build.command, NULL};
    weft_error_t err = {0};
    int status;
    if (weft__spawn(argv, c->build.workdir_path, NULL, NULL, &status,
                    &err) < 0)
      return cli_fail(&err);
    if (!WIFEXITED(status) || WEXITSTATUS(status)) {
      cli_error("%s:%d: the build command of component '%s' failed (%s %d)",
                c->build.loc.file, c->build.loc.line, c->id,
                WIFEXITED(status) ? "exit status" : "signal",
                WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
      return WEFT_EXIT_FAIL;
    }
  }
  printf("Finished building all components\n");
  return WEFT_EXIT_OK;
}

int cmd_build(int argc, char **argv) {
  static const struct option opts[] = {
      {"from", required_argument, NULL, 'f'},
      {"file", required_argument, NULL, 'f'},
      {"component-id", required_argument, NULL, 'c'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  /* Everything from --up on belongs to `weft up`. */
  int up_at = 0;
  for (int i = 1; i < argc && !up_at; i++)
    if (!strcmp(argv[i], "--"))
      break;
    else if (!strcmp(argv[i], "--up"))
      up_at = i;
  int bargc = up_at ? up_at : argc;
  const char *path = ".";
  char **only = calloc((size_t)argc, sizeof *only);
  size_t nonly = 0;
  int rc = WEFT_EXIT_FAIL, c;
  if (!only) {
    cli_error("out of memory");
    return rc;
  }
  optind = 1;
  while ((c = getopt_long(bargc, argv, "f:c:h", opts, NULL)) != -1) {
    switch (c) {
    case 'f':
      path = optarg;
      break;
    case 'c':
      only[nonly++] = optarg;
      break;
    case 'h':
      fputs(usage, stdout);
      free(only);
      return WEFT_EXIT_OK;
    default:
      free(only);
      return cli_usage_error("build", "bad option");
    }
  }
  if (optind < bargc) {
    free(only);
    return cli_usage_error("build", "unexpected argument '%s'",
                           argv[optind]);
  }
  weft__manifest_t *m = NULL;
  weft_error_t err = {0};
  if (weft__manifest_load(path, &m, &err) < 0) {
    free(only);
    return cli_fail(&err);
  }
  rc = build(m, only, nonly);
  weft__manifest_free(m);
  free(only);
  if (rc || !up_at)
    return rc;
  /* weft up -f PATH <what followed --up> */
  int uargc = argc - up_at + 2;
  char **uargv = calloc((size_t)uargc + 1, sizeof *uargv);
  if (!uargv) {
    cli_error("out of memory");
    return WEFT_EXIT_FAIL;
  }
  uargv[0] = (char *)"up";
  uargv[1] = (char *)"-f";
  uargv[2] = (char *)path;
  for (int i = up_at + 1; i < argc; i++)
    uargv[i - up_at + 2] = argv[i];
  rc = cmd_up(uargc, uargv);
  free(uargv);
  return rc;
}

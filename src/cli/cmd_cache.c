/* cmd_cache.c - `weft cache`: where the compile cache is, what is in it,
 * and emptying it. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "util/util.h"

static const char usage[] =
    "usage: weft cache dir|list|clean\n"
    "\n"
    "  dir     print the cache directory ($WEFT_CACHE_DIR, else\n"
    "          ${XDG_CACHE_HOME:-~/.cache}/weft)\n"
    "  list    one line per compiled module: key, size, source\n"
    "  clean   remove every compiled module from the cache\n";

/* Visit each two-letter subdirectory of the cache. */
static int walk(const char *root, int clean) {
  DIR *d = opendir(root);
  if (!d)
    return 0;
  struct dirent *de;
  int n = 0;
  while ((de = readdir(d)) != NULL) {
    if (strlen(de->d_name) != 2 && strcmp(de->d_name, "tmp"))
      continue;
    char sub[4096];
    if (snprintf(sub, sizeof sub, "%s/%s", root, de->d_name) >=
        (int)sizeof sub)
      continue;
    if (clean) {
      DIR *t = opendir(sub);
      struct dirent *e2;
      while (t && (e2 = readdir(t)) != NULL) {
        char p[8192];
        if (e2->d_name[0] == '.')
          continue;
        snprintf(p, sizeof p, "%s/%s", sub, e2->d_name);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
          weft__rm_rf(p);
        else
          unlink(p);
      }
      if (t)
        closedir(t);
      rmdir(sub);
      continue;
    }
    DIR *t = opendir(sub);
    struct dirent *e2;
    while (t && (e2 = readdir(t)) != NULL) {
      size_t len = strlen(e2->d_name);
      if (len < 6 || strcmp(e2->d_name + len - 5, ".info"))
        continue;
      char p[8192], so[8192];
      snprintf(p, sizeof p, "%s/%s", sub, e2->d_name);
      snprintf(so, sizeof so, "%s/%.*s.so", sub, (int)len - 5, e2->d_name);
      uint8_t *info;
      size_t ilen;
      struct stat st;
      if (stat(so, &st) < 0 || weft__read_file(p, &info, &ilen, NULL) < 0)
        continue;
      char *name = strstr((char *)info, "name=");
      char *nl = name ? strchr(name, '\n') : NULL;
      if (nl)
        *nl = 0;
      printf("%.16s  %8lld  %s\n", e2->d_name, (long long)st.st_size,
             name ? name + 5 : "?");
      free(info);
      n++;
    }
    if (t)
      closedir(t);
  }
  closedir(d);
  return n;
}

int cmd_cache(int argc, char **argv) {
  if (argc < 2)
    return cli_usage_error("cache", "no subcommand given");
  const char *sub = argv[1];
  if (!strcmp(sub, "--help") || !strcmp(sub, "-h")) {
    fputs(usage, stdout);
    return WEFT_EXIT_OK;
  }
  if (argc > 2)
    return cli_usage_error("cache", "unexpected argument '%s'", argv[2]);
  weft_engine_t *e = cli_engine();
  const char *dir = weft_engine_cache_dir(e);
  int rc = WEFT_EXIT_OK;
  if (!strcmp(sub, "dir"))
    printf("%s\n", dir);
  else if (!strcmp(sub, "list"))
    walk(dir, 0);
  else if (!strcmp(sub, "clean"))
    walk(dir, 1);
  else
    rc = cli_usage_error("cache", "unknown subcommand '%s'", sub);
  weft_engine_free(e);
  return rc;
}

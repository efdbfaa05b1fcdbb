/* cmd_keygen.c - `weft keygen -o KEY`: write a new ed25519 key pair for
 * units (KEY secret, KEY.pub public; format in docs/cli/keygen.md). */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "unit/unit.h"

static const char usage[] =
    "usage: weft keygen -o KEY\n"
    "\n"
    "Write a new ed25519 key pair: KEY holds the secret key (mode 0600),\n"
    "KEY.pub the public key, each as one line of hex. Units name their\n"
    "owner, senders, hosts and admins by public key.\n"
    "\n"
    "options:\n"
    "  -o, --out KEY   where to write (neither file may exist)\n"
    "  -h, --help      show this help\n"
    "\n"
    "exit status: 0 written; 1 the files exist or cannot be written;\n"
    "2 usage error.\n";

int cmd_keygen(int argc, char **argv) {
  static const struct option opts[] = {{"out", required_argument, NULL, 'o'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  const char *out = NULL;
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
    switch (c) {
    case 'o':
      out = optarg;
      break;
    case 'h':
      fputs(usage, stdout);
      return WEFT_EXIT_OK;
    default:
      return cli_usage_error("keygen", "bad option");
    }
  }
  if (optind < argc)
    return cli_usage_error("keygen", "unexpected argument '%s'",
                           argv[optind]);
  if (!out)
    return cli_usage_error("keygen", "-o KEY is required");
  weft_error_t err = {0};
  weft__ukey_t k;
  if (weft__unit_init(&err) < 0)
    return cli_fail(&err);
  weft__ukey_generate(&k);
  if (weft__ukey_write(&k, out, &err) < 0)
    return cli_fail(&err);
  char hex[2 * WEFT__PK_LEN + 1];
  weft__hex(k.pk, WEFT__PK_LEN, hex);
  printf("%s\n", hex);
  return WEFT_EXIT_OK;
}

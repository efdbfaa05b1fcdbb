/* cmd_spectest.c - placeholder until the spec runner lands. */
#include "cli.h"

int cmd_spectest(int argc, char **argv) {
  (void)argc;
  (void)argv;
  cli_error("spectest: not built");
  return WEFT_EXIT_FAIL;
}

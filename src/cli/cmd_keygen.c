/* cmd_keygen.c - placeholder while the command is being written. */
#include <stdio.h>

#include "cli.h"

int cmd_keygen(int argc, char **argv) {
  (void)argc;
  (void)argv;
  cli_error("'keygen' is not built yet");
  return WEFT_EXIT_FAIL;
}

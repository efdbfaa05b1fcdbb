/* cmd_unit.c - placeholder while the command is being written. */
#include <stdio.h>

#include "cli.h"

int cmd_unit(int argc, char **argv) {
  (void)argc;
  (void)argv;
  cli_error("'unit' is not built yet");
  return WEFT_EXIT_FAIL;
}

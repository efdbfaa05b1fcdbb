/* cmd_flow.c - placeholder while the command is being written. */
#include <stdio.h>

#include "cli.h"

int cmd_flow(int argc, char **argv) {
  (void)argc;
  (void)argv;
  cli_error("'flow' is not built yet");
  return WEFT_EXIT_FAIL;
}

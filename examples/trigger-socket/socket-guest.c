/* socket-guest.c - a component of world weft:socket/socket-line
 * (socket.wit), called by weft-trigger-socket for each line a client
 * writes: answers with the line in upper case, and an empty line with an
 * error. Each line is also printed, to .weft/logs/shout_stdout.txt. Built
 * with bindings from `weft bindgen c socket.wit` by `weft build` here (see
 * spin.toml).
 */
#include <stdio.h>
#include <stdlib.h>

#include "socket_line.h"

void exports_socket_line_handle_line(socket_line_string_t *line,
                                     socket_line_result_string_string_t *ret) {
  printf("line: %.*s\n", (int)line->len, (const char *)line->ptr);
  if (line->len == 0) {
    ret->is_err = true;
    socket_line_string_dup(&ret->val.err, "empty line");
    return;
  }
  /* What is returned must be malloc'd: the glue frees it after the host
   * has read it. */
  uint8_t *up = malloc(line->len);
  if (up == NULL)
    abort();
  for (size_t i = 0; i < line->len; i++)
    up[i] = line->ptr[i] >= 'a' && line->ptr[i] <= 'z' ? line->ptr[i] - 32
                                                       : line->ptr[i];
  ret->is_err = false;
  ret->val.ok.ptr = up;
  ret->val.ok.len = line->len;
}

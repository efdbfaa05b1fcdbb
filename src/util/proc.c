/* proc.c - running the external tools Weft depends on (wasm2c, cc). */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/proc.h"

extern char **environ;

int weft__spawn(const char *const *argv, const char *cwd,
                const char *out_path, weft__progress_t *progress,
                int *status, weft_error_t *err) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (cwd)
    posix_spawn_file_actions_addchdir_np(&fa, cwd);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  if (out_path) {
    posix_spawn_file_actions_addopen(&fa, 1, out_path,
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
  }
  pid_t pid;
  int rc = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv,
                        environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0)
    return WEFT_ERR(err, rc == ENOENT ? WEFT_ENOENT : WEFT_EIO,
                    "cannot run '%s': %s", argv[0], strerror(rc));
  for (;;) {
    pid_t w = waitpid(pid, status, progress ? WNOHANG : 0);
    if (w == pid)
      break;
    if (w < 0 && errno != EINTR)
      return WEFT_ERR(err, WEFT_EIO, "waiting for '%s': %s", argv[0],
                      strerror(errno));
    if (w == 0 && progress) {
      uint64_t now = weft__now_ns();
      if (!progress->shown && now - progress->start_ns > 500000000u) {
        fprintf(stderr, "%s\n", progress->line);
        progress->shown = 1;
      }
      struct timespec ts = {0, 10 * 1000 * 1000};
      nanosleep(&ts, NULL);
    }
  }
  return 0;
}

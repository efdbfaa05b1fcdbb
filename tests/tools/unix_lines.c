/* unix_lines.c - a client of a line protocol on a UNIX stream socket, for
 * the end-to-end tests (tests/e2e/t5100-trigger-api.sh talks to
 * weft-trigger-socket with it).
 *
 *   unix_lines PATH [LINE...]
 *
 * Connects to PATH (retrying for up to 10 s while it does not exist or
 * refuses, as a server still starting does), then for each LINE writes it
 * with a newline and prints the one line that comes back. Without LINEs
 * it copies stdin to the socket, shuts down its writing side and prints
 * everything the server sends until it closes. Gives up on a server
 * silent for 10 s. Exit status: 0; 1 when it could not connect or the
 * server closed or went silent early. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int connect_to(const char *path) {
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof sa.sun_path) {
    fprintf(stderr, "unix_lines: path too long: %s\n", path);
    return -1;
  }
  memcpy(sa.sun_path, path, strlen(path) + 1);
  for (int tries = 0; tries < 200; tries++) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
      break;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
      struct timeval tv = {.tv_sec = 10};
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      return fd;
    }
    int e = errno;
    close(fd);
    if (e != ENOENT && e != ECONNREFUSED) {
      fprintf(stderr, "unix_lines: connect %s: %s\n", path, strerror(e));
      return -1;
    }
    nanosleep(&(struct timespec){.tv_nsec = 50000000}, NULL);
  }
  fprintf(stderr, "unix_lines: cannot connect to %s\n", path);
  return -1;
}

static int write_all(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Print one line from fd (byte by byte: nothing past it is consumed). */
static int read_line(int fd) {
  char c;
  for (;;) {
    ssize_t r = recv(fd, &c, 1, 0);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0) {
      fprintf(stderr, "unix_lines: %s before a whole answer\n",
              r == 0 ? "server closed" : "no answer");
      return -1;
    }
    putchar(c);
    if (c == '\n')
      return 0;
  }
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: unix_lines PATH [LINE...]\n");
    return 2;
  }
  int fd = connect_to(argv[1]);
  if (fd < 0)
    return 1;
  int status = 0;
  if (argc > 2) {
    for (int i = 2; i < argc && !status; i++)
      if (write_all(fd, argv[i], strlen(argv[i])) < 0 ||
          write_all(fd, "\n", 1) < 0 || read_line(fd) < 0)
        status = 1;
  } else {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, stdin)) > 0)
      if (write_all(fd, buf, n) < 0) {
        status = 1;
        break;
      }
    shutdown(fd, SHUT_WR);
    ssize_t r;
    while ((r = recv(fd, buf, sizeof buf, 0)) > 0)
      fwrite(buf, 1, (size_t)r, stdout);
    if (r < 0) {
      fprintf(stderr, "unix_lines: %s\n", strerror(errno));
      status = 1;
    }
  }
  close(fd);
  fflush(stdout);
  return status;
}

/* weft-trigger-socket.c - an external trigger written with the trigger API
 * of weft.h that serves a UNIX stream socket per [[trigger.socket]] entry.
 *
 * Each line a client writes (up to its "\n"; a final line without one
 * counts too) is passed, without the newline, to the component's export
 * `handle-line` (world socket-line of socket.wit); the `ok` answer, or
 * "error: " and the `err` one, is written back as one line (newlines in it
 * become spaces, so a line in gives a line out). A line longer than
 * MAX_LINE bytes gets "error: line too long" and the connection is
 * closed.
 *
 * The socket's path is the entry's `path`, or else `path` of
 * [application.trigger.socket]; a relative path is relative to the app's
 * directory. A stale socket file left by a process that died is replaced;
 * one another process still listens on is an error. The files are removed
 * on stop.
 *
 * One thread serves every socket and client with poll(), so calls are made
 * one at a time, in the order lines arrive: a simple trigger, not a fast
 * one.
 *
 * Built against an installed libweft only:
 *   cc $(pkg-config --cflags weft) -o weft-trigger-socket \
 *     weft-trigger-socket.c $(pkg-config --libs weft) */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <weft.h>

#define MAX_LINE 65536
#define MAX_CLIENTS 64

/* socket.wit without its comments; the guest's bindings come from
 * socket.wit, so a difference fails the component's loading. */
static const char socket_wit[] =
    "package weft:socket@0.1.0;\n"
    "world socket-line {\n"
    "  export handle-line: func(line: string) -> result<string, string>;\n"
    "}\n";

typedef struct listener {
  const char *id, *component;
  char *path;  /* absolute or as written, malloc'd */
  int fd;      /* -1 until listening */
} listener_t;

typedef struct client {
  int fd;           /* -1: free slot */
  listener_t *from;
  char *buf;        /* bytes read, not yet a whole line */
  size_t len, cap;
} client_t;

typedef struct server {
  listener_t *ls;
  size_t nls;
  client_t clients[MAX_CLIENTS];
} server_t;

__attribute__((format(printf, 3, 4))) static int fail(weft_error_t *err,
                                                      int code,
                                                      const char *fmt, ...) {
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    err->code = code;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
  }
  return code;
}

/* Entry i's socket path: its own `path`, else the app-wide one. */
static int socket_path(weft_app_t *app, size_t i, char **out,
                       weft_error_t *err) {
  const char *p;
  size_t from = i; /* the table the path was read from, for messages */
  int rc = weft_app_setting_string(app, i, "path", &p, err);
  if (rc == WEFT_ENOTFOUND) {
    from = WEFT_APP_SETTINGS;
    rc = weft_app_setting_string(app, from, "path", &p, err);
  }
  if (rc == WEFT_ENOTFOUND)
    return weft_app_setting_error(
        app, i, "path", err,
        "socket '%s' (component '%s'): no path: set `path` in its "
        "[[trigger.socket]] or in [application.trigger.socket]",
        weft_app_trigger_id(app, i), weft_app_trigger_component(app, i));
  if (rc < 0)
    return rc; /* the message names the manifest's file:line */
  const char *dir = p[0] == '/' ? "" : weft_app_dir(app);
  size_t n = strlen(dir) + strlen(p) + 2;
  if (!(*out = malloc(n)))
    return fail(err, WEFT_ENOMEM, "out of memory");
  snprintf(*out, n, "%s%s%s", dir, *dir ? "/" : "", p);
  if (strlen(*out) >= sizeof ((struct sockaddr_un *)0)->sun_path)
    return weft_app_setting_error(
        app, from, "path", err,
        "socket '%s': path '%s' is longer than a UNIX socket path may be "
        "(%zu bytes)",
        weft_app_trigger_id(app, i), *out,
        sizeof ((struct sockaddr_un *)0)->sun_path - 1);
  return 0;
}

static int init(void *data, weft_app_t *app, weft_error_t *err) {
  server_t *s = data;
  int rc;
  s->nls = weft_app_trigger_count(app);
  if (!(s->ls = calloc(s->nls ? s->nls : 1, sizeof *s->ls)))
    return fail(err, WEFT_ENOMEM, "out of memory");
  for (size_t i = 0; i < s->nls; i++) {
    listener_t *l = &s->ls[i];
    l->fd = -1;
    l->id = weft_app_trigger_id(app, i);
    l->component = weft_app_trigger_component(app, i);
    if ((rc = socket_path(app, i, &l->path, err)) < 0)
      return rc;
    for (size_t k = 0; k < i; k++)
      if (!strcmp(s->ls[k].path, l->path))
        return fail(err, WEFT_EINVAL,
                    "sockets '%s' and '%s' both have path '%s': each "
                    "[[trigger.socket]] needs its own",
                    s->ls[k].id, l->id, l->path);
  }
  for (size_t i = 0; i < MAX_CLIENTS; i++)
    s->clients[i].fd = -1;
  return 0;
}

/* Listen on l->path, replacing a stale socket file. */
static int listen_on(listener_t *l, weft_error_t *err) {
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  struct stat st;
  memcpy(sa.sun_path, l->path, strlen(l->path) + 1);
  if (lstat(l->path, &st) == 0) {
    if (!S_ISSOCK(st.st_mode))
      return fail(err, WEFT_EINVAL,
                  "socket '%s': '%s' exists and is not a socket", l->id,
                  l->path);
    int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int alive = probe >= 0 &&
                connect(probe, (struct sockaddr *)&sa, sizeof sa) == 0;
    if (probe >= 0)
      close(probe);
    if (alive)
      return fail(err, WEFT_EINVAL,
                  "socket '%s': another process listens on '%s'", l->id,
                  l->path);
    unlink(l->path);
  }
  l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (l->fd < 0 || bind(l->fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
      listen(l->fd, 16) < 0) {
    int e = errno;
    if (l->fd >= 0)
      close(l->fd);
    l->fd = -1;
    return fail(err, WEFT_EIO, "socket '%s': cannot listen on '%s': %s",
                l->id, l->path, strerror(e));
  }
  return 0;
}

static void close_client(client_t *c) {
  close(c->fd);
  free(c->buf);
  *c = (client_t){.fd = -1};
}

/* Write all of `text` and a newline; newlines in `text` become spaces. */
static int write_line(int fd, const char *prefix, const char *text,
                      size_t len) {
  char *line = malloc(strlen(prefix) + len + 1);
  if (!line)
    return -1;
  size_t n = strlen(prefix);
  memcpy(line, prefix, n);
  for (size_t i = 0; i < len; i++)
    line[n++] = text[i] == '\n' || text[i] == '\r' ? ' ' : text[i];
  line[n++] = '\n';
  size_t off = 0;
  while (off < n) {
    ssize_t w = send(fd, line + off, n - off, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      break;
    off += (size_t)w;
  }
  free(line);
  return off == n ? 0 : -1;
}

/* Hand one line to the client's component and write back the answer. */
static int answer(weft_app_t *app, client_t *c, const char *line,
                  size_t len) {
  listener_t *l = c->from;
  weft_error_t err = {0};
  weft_val_t arg = {.kind = WEFT_VAL_STRING, .of.str = {line, len}};
  weft_val_t res = {0};
  weft_instance_t *inst = weft_app_instantiate(app, l->component, &err);
  int rc;
  if (!inst || weft_call(inst, "handle-line", &arg, 1, &res, 1, &err) < 0) {
    fprintf(stderr, "weft-trigger-socket: socket '%s' (component '%s'): "
            "%s\n", l->id, l->component, err.msg);
    rc = write_line(c->fd, "error: ", "the component failed", 20);
  } else {
    const weft_val_t *v = res.of.var.val; /* the ok or err string */
    rc = v ? write_line(c->fd, res.of.var.tag == 0 ? "" : "error: ",
                        v->of.str.ptr, v->of.str.len)
           : -1;
  }
  /* The result lives in the instance: release it only once written. */
  if (inst)
    weft_app_release(app, l->component, inst);
  return rc;
}

/* Read what client `c` sent and answer each whole line. Returns -1 when
 * the client is done (closed, or sent a line too long). */
static int serve(weft_app_t *app, client_t *c) {
  char chunk[4096];
  ssize_t r = recv(c->fd, chunk, sizeof chunk, MSG_DONTWAIT);
  if (r < 0)
    return errno == EAGAIN || errno == EINTR ? 0 : -1;
  if (r == 0) { /* closed: a last line without its newline counts too */
    if (c->len)
      answer(app, c, c->buf, c->len);
    return -1;
  }
  if (c->len + (size_t)r > c->cap) {
    size_t cap = c->cap ? c->cap : 4096;
    while (cap < c->len + (size_t)r)
      cap *= 2;
    char *b = realloc(c->buf, cap);
    if (!b)
      return -1;
    c->buf = b;
    c->cap = cap;
  }
  memcpy(c->buf + c->len, chunk, (size_t)r);
  c->len += (size_t)r;
  size_t start = 0;
  for (char *nl; (nl = memchr(c->buf + start, '\n', c->len - start));) {
    size_t end = (size_t)(nl - c->buf), n = end - start;
    if (n && c->buf[end - 1] == '\r')
      n--;
    if (answer(app, c, c->buf + start, n) < 0)
      return -1;
    start = end + 1;
  }
  memmove(c->buf, c->buf + start, c->len - start);
  c->len -= start;
  if (c->len > MAX_LINE) {
    write_line(c->fd, "error: ", "line too long", 13);
    return -1;
  }
  return 0;
}

static void accept_client(server_t *s, listener_t *l) {
  int fd = accept(l->fd, NULL, NULL);
  if (fd < 0)
    return;
  fcntl(fd, F_SETFD, FD_CLOEXEC);
  /* A client that does not read its answers must not stall the others
   * for ever: its writes give up after a while, and it is dropped. */
  struct timeval tv = {.tv_sec = 5};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  for (size_t i = 0; i < MAX_CLIENTS; i++)
    if (s->clients[i].fd < 0) {
      s->clients[i] = (client_t){.fd = fd, .from = l};
      return;
    }
  write_line(fd, "error: ", "too many clients", 16);
  close(fd);
}

static int run(void *data, weft_app_t *app, weft_stop_t *stop,
               weft_error_t *err) {
  server_t *s = data;
  struct pollfd *fds = calloc(1 + s->nls + MAX_CLIENTS, sizeof *fds);
  int rc = 0;
  if (!fds) {
    rc = fail(err, WEFT_ENOMEM, "out of memory");
    goto out;
  }
  for (size_t i = 0; i < s->nls; i++)
    if ((rc = listen_on(&s->ls[i], err)) < 0)
      goto out;
  while (!weft_stop_requested(stop)) {
    size_t n = 0;
    fds[n++] = (struct pollfd){.fd = weft_stop_fd(stop), .events = POLLIN};
    for (size_t i = 0; i < s->nls; i++)
      fds[n++] = (struct pollfd){.fd = s->ls[i].fd, .events = POLLIN};
    for (size_t i = 0; i < MAX_CLIENTS; i++)
      fds[n++] = (struct pollfd){.fd = s->clients[i].fd, .events = POLLIN};
    if (poll(fds, n, -1) < 0) {
      if (errno == EINTR)
        continue;
      rc = fail(err, WEFT_EIO, "poll: %s", strerror(errno));
      goto out;
    }
    if (fds[0].revents)
      break;
    for (size_t i = 0; i < s->nls; i++)
      if (fds[1 + i].revents)
        accept_client(s, &s->ls[i]);
    for (size_t i = 0; i < MAX_CLIENTS; i++) {
      client_t *c = &s->clients[i];
      if (c->fd >= 0 && fds[1 + s->nls + i].revents && serve(app, c) < 0)
        close_client(c);
    }
  }
out:
  for (size_t i = 0; i < MAX_CLIENTS; i++)
    if (s->clients[i].fd >= 0)
      close_client(&s->clients[i]);
  for (size_t i = 0; i < s->nls; i++)
    if (s->ls[i].fd >= 0) {
      close(s->ls[i].fd);
      unlink(s->ls[i].path);
    }
  free(fds);
  return rc;
}

int main(int argc, char **argv) {
  server_t server = {0};
  weft_trigger_t trigger = {
      .api_version = WEFT_TRIGGER_API_VERSION,
      .type = "socket",
      .summary = "Answers each line written to the UNIX socket of a "
                 "[[trigger.socket]] with its component's handle-line.",
      .wit_text = socket_wit,
      .world = "socket-line",
      .host_apis = WEFT_HOST_FILES,
      .data = &server,
      .init = init,
      .run = run,
  };
  int status = weft_trigger_main(argc, argv, &trigger);
  for (size_t i = 0; i < server.nls; i++)
    free(server.ls[i].path);
  free(server.ls);
  return status;
}

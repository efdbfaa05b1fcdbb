/* error.c - error codes, their names and messages, and error reporting. */
#include <stdio.h>
#include <string.h>

#include "util/util.h"

const char *weft_strerror(int code) {
  switch (code) {
  case WEFT_OK:
    return "success";
#define X(name, value, desc) \
  case WEFT_##name:          \
    return desc;
    WEFT_ERRNO_MAP(X)
#undef X
  }
  return "unknown error";
}

const char *weft_err_name(int code) {
  switch (code) {
  case WEFT_OK:
    return "OK";
#define X(name, value, desc) \
  case WEFT_##name:          \
    return #name;
    WEFT_ERRNO_MAP(X)
#undef X
  }
  return "EUNKNOWN";
}

const char *weft_trap_message(int trap) {
  static const char *const msgs[] = {
#define X(name, msg) msg,
      WEFT_TRAP_MAP(X)
#undef X
  };
  if (trap < 0 || (size_t)trap >= sizeof msgs / sizeof msgs[0])
    return "unknown trap";
  return msgs[trap];
}

int weft__error(weft_error_t *err, int code, const char *file, int line,
                const char *fmt, ...) {
  if (err) {
    va_list ap;
    err->code = code;
    err->detail = 0;
    err->file = file;
    err->line = line;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
  }
  return code;
}

# lib.sh - sourced by every end-to-end script tests/e2e/tNNNN-*.sh.
#
# Each script runs the real weft binary and checks its stdout, stderr and
# exit code with the helpers below, then calls `finish`, which prints
# "N passed, N failed" and exits non-zero on any failure. Servers a script
# needs in the background (`weft up`, redis-server) are started with the
# helpers below, which record their pids: the EXIT trap kills them.

set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
WEFT=${WEFT:-$BUILD/weft}
GUESTS=$BUILD/guests
TMP=$(mktemp -d "${TMPDIR:-/tmp}/weft-e2e.XXXXXX")
export WEFT_CACHE_DIR=${WEFT_CACHE_DIR:-$BUILD/test-cache}
REDIS_SERVER=${REDIS_SERVER:-/usr/bin/redis-server}
pid=  # the `weft up` started by up_start, while it runs
rpid= # the redis-server started by redis_start, while it runs

# On exit, however the script ends (a failed check, `exit`, ^C), kill what
# it left running, so no server outlives it, then remove $TMP. Only the
# pids the helpers below recorded are waited for: a bare `wait` would
# also wait for any other background job.
_cleanup() {
  if [ -n "$pid" ]; then
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  fi
  if [ -n "$rpid" ]; then
    kill -9 "$rpid" 2>/dev/null
    wait "$rpid" 2>/dev/null
  fi
  rm -rf "$TMP"
}
trap _cleanup EXIT
trap 'exit 1' INT TERM HUP # through the EXIT trap
_pass=0
_fail=0

ok() { _pass=$((_pass + 1)); }
not_ok() {
  _fail=$((_fail + 1))
  echo "FAIL: $1" >&2
  [ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/  | /' >&2
  return 0
}

# run CMD...: run a command, capturing $out, $err and $rc.
run() {
  "$@" >"$TMP/out" 2>"$TMP/err" </dev/null
  rc=$?
  out=$(cat "$TMP/out")
  err=$(cat "$TMP/err")
}

# expect NAME CODE CMD...: CMD exits with CODE.
expect() {
  _name=$1 _code=$2
  shift 2
  run "$@"
  if [ "$rc" = "$_code" ]; then ok; else
    not_ok "$_name: exit $rc, expected $_code" "$out
$err"
  fi
}

# has NAME TEXT HAYSTACK: HAYSTACK contains TEXT.
has() {
  case $3 in *"$2"*) ok ;; *) not_ok "$1: missing '$2'" "$3" ;; esac
}

# same NAME EXPECTED ACTUAL: the two strings are equal.
same() {
  if [ "$2" = "$3" ]; then ok; else
    not_ok "$1: differs" "expected: $2
actual:   $3"
  fi
}

# ---- weft up in the background -------------------------------------------

# up_try ARGS...: start `weft up -f "$APP" ARGS` in the background, its
# stdout in $TMP/up.out and stderr in $TMP/up.err, listening on a free
# loopback port unless ARGS has a --listen; then wait (at most 30 s) until
# it has started all its triggers (it prints "Serving http://HOST:PORT"
# for HTTP and "Logs: DIR" last) or has exited. 0 once started, setting
# $pid, and for HTTP $port and $base (http://HOST:PORT); 1 if it did not
# start (it is killed, $pid is empty). Counts no check: see up_start.
up_try() {
  _listen=--listen
  for _a in "$@"; do
    case $_a in --listen | --listen=*) _listen= ;; esac
  done
  [ -n "$_listen" ] && set -- --listen 127.0.0.1:0 "$@"
  "$WEFT" up -f "$APP" "$@" >"$TMP/up.out" 2>"$TMP/up.err" &
  pid=$!
  port= base=
  for _ in $(seq 1 300); do
    if grep -q -e '^Serving http://' -e '^Logs: ' "$TMP/up.out" 2>/dev/null
    then
      base=$(sed -n 's|^Serving \(http://.*\)$|\1|p' "$TMP/up.out")
      port=${base##*:}
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  pid=
  return 1
}

# up_start ARGS...: up_try ARGS, a failed check (with weft's stderr) if
# weft did not start.
up_start() {
  up_try "$@" && return 0
  not_ok "weft up${*:+ $*}: did not start" "$(cat "$TMP/up.err")"
  return 1
}

# up_stop: stop the weft up of up_start (SIGTERM) and wait for it.
up_stop() {
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  pid=
}

# up_interrupt: stop it with SIGINT, as ^C does; $rc is its exit status.
up_interrupt() {
  rc="not running"
  [ -n "$pid" ] || return 0
  kill -INT "$pid" 2>/dev/null
  wait "$pid"
  rc=$?
  pid=
}

# code URL [CURL ARGS...]: the HTTP status curl gets for URL; the body is
# in $TMP/body.
code() {
  _u=$1
  shift
  curl -s -o "$TMP/body" -w '%{http_code}' "$@" "$_u"
}

# wait_for TEXT FILE [N]: wait until N lines (default 1) of FILE contain
# TEXT: 0 then; 1 after 30 s, or as soon as the weft up of up_start has
# exited without writing them. $count is how many lines did.
wait_for() {
  _tries=300
  while :; do
    count=$(grep -c -F -- "$1" "$2" 2>/dev/null)
    count=${count:-0}
    [ "$count" -ge "${3:-1}" ] && return 0
    [ "$_tries" -gt 0 ] || return 1
    _tries=$((_tries - 1))
    # Gone: one last look, for what it wrote just before it exited.
    [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null && _tries=0
    sleep 0.1
  done
}

# wait_has NAME TEXT FILE [N]: `has` for a file still being written:
# FILE comes to hold TEXT on N lines (wait_for); on failure, shows FILE
# and weft's stderr.
wait_has() {
  if wait_for "$2" "$3" "${4:-1}"; then ok; else
    not_ok "$1: $count lines with '$2', expected ${4:-1}" \
      "$(cat "$3" "$TMP/up.err" 2>/dev/null)"
  fi
}

# ---- a real redis-server ----------------------------------------------------

# have_redis: redis-server ($REDIS_SERVER) and redis-cli are installed.
have_redis() {
  [ -x "$REDIS_SERVER" ] && command -v redis-cli >/dev/null
}

# redis_start [PORT]: start redis-server on 127.0.0.1:PORT, or on a free
# port (random ones are tried until one works), keeping nothing on disk
# (with REDIS_PERSIST=1: an append-only file in $TMP/redis synced at every
# write, which a restart reads back), its log appended to
# $TMP/redis/log; 0 once it answers, setting $rpid and $rport; 1 if it
# never did ($rport is then PORT or empty). With a PORT, it is tried again
# for a few seconds while the port is still held by a server just killed.
redis_start() {
  mkdir -p "$TMP/redis"
  _aof="--appendonly no"
  [ "${REDIS_PERSIST:-0}" = 1 ] && _aof="--appendonly yes --appendfsync always"
  for _ in $(seq 1 20); do
    rport=${1:-$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000))}
    # shellcheck disable=SC2086
    (cd "$TMP/redis" && exec "$REDIS_SERVER" --port "$rport" \
      --bind 127.0.0.1 --save '' $_aof >>"$TMP/redis/log" 2>&1) &
    rpid=$!
    for _ in $(seq 1 200); do
      # Another server may hold the port: the one answering must be
      # ours (INFO gives its pid).
      [ "$(redis-cli -h 127.0.0.1 -p "$rport" info server 2>/dev/null |
        tr -d '\r' | sed -n 's/^process_id://p')" = "$rpid" ] && return 0
      kill -0 "$rpid" 2>/dev/null || break
      sleep 0.05
    done
    redis_kill
    [ -n "${1:-}" ] && sleep 0.2 # the same port: wait for it to be free
  done
  rport=${1:-}
  return 1
}

# redis_kill: kill the redis-server of redis_start at once (SIGKILL, so it
# goes away as a crashed server would) and wait for it.
redis_kill() {
  [ -n "$rpid" ] || return 0
  kill -9 "$rpid" 2>/dev/null
  wait "$rpid" 2>/dev/null
  rpid=
}

finish() {
  echo "$_pass passed, $_fail failed"
  [ "$_fail" = 0 ]
}

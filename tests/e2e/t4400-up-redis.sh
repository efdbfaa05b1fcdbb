#!/bin/sh
# t4400-up-redis.sh - `weft up` running Redis triggers against a real
# redis-server on a free loopback port: the redis-echo example prints what
# redis-cli publishes; a second component on another channel returns an
# error or traps, which weft logs, and goes on; redis-server is killed
# and started again, weft says the connection was lost, subscribes again
# and a message published after the restart arrives; a malformed address
# stops weft at the start; SIGINT stops weft with exit status 0.
. "$(dirname "$0")/lib.sh"

if [ ! -x /usr/bin/redis-server ] || ! command -v redis-cli >/dev/null; then
  echo "skipped: redis-server or redis-cli is missing"
  finish
  exit
fi

server=
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
  [ -n "$server" ] && kill -9 "$server" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP # runs the EXIT trap: no redis-server left over

# server_start [PORT]: redis-server on PORT, or on a free one; sets
# $server and $port once it answers PING.
server_start() {
  for _ in $(seq 1 20); do
    port=${1:-$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000))}
    /usr/bin/redis-server --port "$port" --bind 127.0.0.1 --save '' \
      --appendonly no >"$TMP/redis.log" 2>&1 &
    server=$!
    for _ in $(seq 1 100); do
      [ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = PONG ] &&
        return 0
      kill -0 "$server" 2>/dev/null || break
      sleep 0.05
    done
    kill -9 "$server" 2>/dev/null
    wait "$server" 2>/dev/null
    server=
    [ -n "${1:-}" ] && sleep 0.2 # the same port: wait for it to be free
  done
  return 1
}
server_kill() {
  kill -9 "$server" 2>/dev/null
  wait "$server" 2>/dev/null
  server=
}
# publish_until CHANNEL MESSAGE: publish until someone receives it (weft
# may still be subscribing); at most 30 s.
publish_until() {
  for _ in $(seq 1 300); do
    n=$(redis-cli -h 127.0.0.1 -p "$port" publish "$1" "$2" 2>/dev/null)
    [ "${n:-0}" -ge 1 ] 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
# wait_for TEXT FILE: until FILE contains TEXT; at most 30 s.
wait_for() {
  for _ in $(seq 1 300); do
    grep -q -F -- "$1" "$2" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
# check NAME TEXT FILE: FILE comes to contain TEXT.
check() {
  if wait_for "$2" "$3"; then ok; else
    not_ok "$1: missing '$2'" "$(cat "$3" "$TMP/up.err" 2>/dev/null)"
  fi
}

server_start || { not_ok "cannot start redis-server" "$(cat "$TMP/redis.log")"; finish; exit; }

APP=$TMP/app
mkdir -p "$APP"
cp "$ROOT/examples/redis-echo/redis-echo.wasm" "$APP/" 2>/dev/null ||
  not_ok "examples/redis-echo/redis-echo.wasm is missing (make guests)"
cp "$GUESTS/redis_fail.wasm" "$APP/"
sed "s|redis://127.0.0.1:6379|redis://127.0.0.1:$port|" \
  "$ROOT/examples/redis-echo/spin.toml" >"$APP/spin.toml"
cat >>"$APP/spin.toml" <<'TOML'

[[trigger.redis]]
channel = "errors"
component = "failer"

[component.failer]
source = "redis_fail.wasm"
TOML
has "address rewritten" "redis://127.0.0.1:$port" "$(cat "$APP/spin.toml")"
ECHO=$APP/.weft/logs/echo_stdout.txt

"$WEFT" up -f "$APP" >"$TMP/up.out" 2>"$TMP/up.err" &
pid=$!

if publish_until messages hello; then ok; else
  not_ok "weft subscribes" "$(cat "$TMP/up.err")"
fi
check "echo" "echo: hello" "$ECHO"
redis-cli -h 127.0.0.1 -p "$port" publish messages "second one" >/dev/null
check "echo again" "echo: second one" "$ECHO"

# Errors and traps are logged; the component gets the next message.
publish_until errors "fail please" >/dev/null
redis-cli -h 127.0.0.1 -p "$port" publish errors "trap please" >/dev/null
redis-cli -h 127.0.0.1 -p "$port" publish errors "fine" >/dev/null
check "after an error and a trap" "fine" "$APP/.weft/logs/failer_stdout.txt"
check "error logged" \
  "weft: redis 'failer' on errors: handle-message returned an error" \
  "$TMP/up.err"
check "trap logged" "unreachable" "$TMP/up.err"

# redis-server goes away and comes back on the same port.
server_kill
check "lost connection logged" \
  "weft: redis redis://127.0.0.1:$port: connection lost (" "$TMP/up.err"
sleep 0.5 # a few attempts fail meanwhile
if server_start "$port"; then ok; else
  not_ok "restart redis-server on $port" "$(cat "$TMP/redis.log")"
fi
if publish_until messages "after restart"; then ok; else
  not_ok "weft subscribes again" "$(cat "$TMP/up.err")"
fi
check "message after the restart" "echo: after restart" "$ECHO"
check "reconnection logged" "reconnected, subscribed again" "$TMP/up.err"
same "one line for the loss" 1 "$(grep -c 'connection lost' "$TMP/up.err")"

kill -INT "$pid"
wait "$pid"
same "exit status after SIGINT" 0 "$?"
pid=

# A malformed address stops weft at the start, naming it.
sed -i "s|redis://127.0.0.1:$port|redis://127.0.0.1:notaport|" "$APP/spin.toml"
expect "malformed address" 1 "$WEFT" up -f "$APP"
has "names the address" "redis://127.0.0.1:notaport" "$err"

finish

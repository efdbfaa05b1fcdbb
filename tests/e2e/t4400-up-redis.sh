#!/bin/sh
# t4400-up-redis.sh - `weft up` running Redis triggers against a real
# redis-server on a free loopback port: the redis-echo example prints what
# redis-cli publishes; a second component on another channel returns an
# error or traps, which weft logs, and goes on; redis-server is killed
# and started again, weft says the connection was lost, subscribes again
# and a message published after the restart arrives; a malformed address
# stops weft at the start; SIGINT stops weft with exit status 0.
. "$(dirname "$0")/lib.sh"

if ! have_redis; then
  echo "skipped: redis-server or redis-cli is missing"
  finish
  exit
fi

# publish_until CHANNEL MESSAGE: publish until someone receives it (weft
# may still be subscribing); at most 30 s.
publish_until() {
  for _ in $(seq 1 300); do
    n=$(redis-cli -h 127.0.0.1 -p "$rport" publish "$1" "$2" 2>/dev/null)
    [ "${n:-0}" -ge 1 ] 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

if ! redis_start; then
  not_ok "cannot start redis-server" "$(cat "$TMP/redis/log")"
  finish
  exit
fi

APP=$TMP/app
mkdir -p "$APP"
cp "$ROOT/examples/redis-echo/redis-echo.wasm" "$APP/" 2>/dev/null ||
  not_ok "examples/redis-echo/redis-echo.wasm is missing (make guests)"
cp "$GUESTS/redis_fail.wasm" "$APP/"
sed "s|redis://127.0.0.1:6379|redis://127.0.0.1:$rport|" \
  "$ROOT/examples/redis-echo/spin.toml" >"$APP/spin.toml"
cat >>"$APP/spin.toml" <<'TOML'

[[trigger.redis]]
channel = "errors"
component = "failer"

[component.failer]
source = "redis_fail.wasm"
TOML
has "address rewritten" "redis://127.0.0.1:$rport" "$(cat "$APP/spin.toml")"
ECHO=$APP/.weft/logs/echo_stdout.txt

up_start

if publish_until messages hello; then ok; else
  not_ok "weft subscribes" "$(cat "$TMP/up.err")"
fi
wait_has "echo" "echo: hello" "$ECHO"
redis-cli -h 127.0.0.1 -p "$rport" publish messages "second one" >/dev/null
wait_has "echo again" "echo: second one" "$ECHO"

# Errors and traps are logged; the component gets the next message.
publish_until errors "fail please" >/dev/null
redis-cli -h 127.0.0.1 -p "$rport" publish errors "trap please" >/dev/null
redis-cli -h 127.0.0.1 -p "$rport" publish errors "fine" >/dev/null
wait_has "after an error and a trap" "fine" \
  "$APP/.weft/logs/failer_stdout.txt"
wait_has "error logged" \
  "weft: redis 'failer' on errors: handle-message returned an error" \
  "$TMP/up.err"
wait_has "trap logged" "unreachable" "$TMP/up.err"

# redis-server goes away and comes back on the same port.
redis_kill
wait_has "lost connection logged" \
  "weft: redis redis://127.0.0.1:$rport: connection lost (" "$TMP/up.err"
sleep 0.5 # a few attempts fail meanwhile
if redis_start "$rport"; then ok; else
  not_ok "restart redis-server on $rport" "$(cat "$TMP/redis/log")"
fi
if publish_until messages "after restart"; then ok; else
  not_ok "weft subscribes again" "$(cat "$TMP/up.err")"
fi
wait_has "message after the restart" "echo: after restart" "$ECHO"
wait_has "reconnection logged" "reconnected, subscribed again" "$TMP/up.err"
same "one line for the loss" 1 "$(grep -c 'connection lost' "$TMP/up.err")"

up_interrupt
same "exit status after SIGINT" 0 "$rc"

# A malformed address stops weft at the start, naming it.
sed -i "s|redis://127.0.0.1:$rport|redis://127.0.0.1:notaport|" "$APP/spin.toml"
expect "malformed address" 1 "$WEFT" up -f "$APP"
has "names the address" "redis://127.0.0.1:notaport" "$err"

finish

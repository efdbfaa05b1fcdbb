#!/bin/sh
# t4100-up-kv.sh - `weft up` with Spin's key-value store, through the
# kv-counter example and curl: counts 1, 2, 3 in the SQLite file under the
# app's .weft/, which survives a restart; GET /reset; --key-value presets;
# a component without the grant; a runtime config file that puts `default`
# in a real redis-server this script starts on a free port (the count is
# read back with redis-cli), killed and started again while weft runs
# (requests fail meanwhile, weft keeps serving, then counts again); a bad
# runtime config file stops `weft up` with its file:line. The Redis part
# is skipped with a message when redis-server is not installed.
. "$(dirname "$0")/lib.sh"

pid=
rpid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
  [ -n "$rpid" ] && kill -9 "$rpid" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

APP=$TMP/app
mkdir -p "$APP"
cp "$ROOT/examples/kv-counter/spin.toml" \
  "$ROOT/examples/kv-counter/kv-counter.wasm" "$APP/"

# start ARGS...: run `weft up` on $APP in the background; sets $pid and
# $base.
start() {
  "$WEFT" up -f "$APP" --listen 127.0.0.1:0 "$@" >"$TMP/up.out" \
    2>"$TMP/up.err" &
  pid=$!
  port=
  for _ in $(seq 1 100); do
    port=$(sed -n 's|^Serving http://127.0.0.1:\([0-9]*\)$|\1|p' \
      "$TMP/up.out")
    [ -n "$port" ] && break
    sleep 0.1
  done
  base=http://127.0.0.1:$port
  [ -n "$port" ] || not_ok "weft up $*: did not start" "$(cat "$TMP/up.err")"
}
stop() {
  kill "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  pid=
}
# code URL: the status curl gets; the body is in $TMP/body.
code() {
  curl -s -o "$TMP/body" -w '%{http_code}' "$1"
}
# count: the body of GET / (the new count), or the status when not 200.
count() {
  _c=$(code "$base/")
  if [ "$_c" = 200 ]; then cat "$TMP/body"; else echo "status $_c"; fi
}

# ---- SQLite: the default store --------------------------------------------

start
same "first" 1 "$(count)"
same "second" 2 "$(count)"
same "third" 3 "$(count)"
stop
[ -f "$APP/.weft/sqlite_key_value.db" ] && ok ||
  not_ok "the count is in .weft/sqlite_key_value.db" "$(ls -la "$APP/.weft")"

start
same "survives a restart" 4 "$(count)"
same "reset" 200 "$(code "$base/reset")"
same "reset answers 0" 0 "$(cat "$TMP/body")"
same "after reset" 1 "$(count)"
stop

start --key-value count=41
same "preset" 42 "$(count)"
same "after preset" 43 "$(count)"
stop

# Without key_value_stores the component may not open `default`.
NOGRANT=$TMP/nogrant
mkdir -p "$NOGRANT"
cp "$APP/kv-counter.wasm" "$NOGRANT/"
grep -v '^key_value_stores' "$APP/spin.toml" >"$NOGRANT/spin.toml"
saved=$APP
APP=$NOGRANT
start
same "no grant" 500 "$(code "$base/")"
has "no grant body" "access denied" "$(cat "$TMP/body")"
stop
APP=$saved

# ---- a bad runtime config file --------------------------------------------

printf '# a store weft cannot serve\n[key_value_store.default]\n%s\n' \
  'type = "memcached"' >"$TMP/bad.toml"
expect "bad runtime config" 1 "$WEFT" up -f "$APP" --listen 127.0.0.1:0 \
  --runtime-config-file "$TMP/bad.toml"
has "bad runtime config names file:line" \
  "$TMP/bad.toml:3: unknown key-value store type 'memcached'" "$err"
printf '[key_value_store.default]\ntype = "redis"\n' >"$TMP/nourl.toml"
expect "redis without url" 1 "$WEFT" up -f "$APP" --listen 127.0.0.1:0 \
  --runtime-config-file "$TMP/nourl.toml"
has "redis without url message" \
  "$TMP/nourl.toml:1: missing key 'url' in [key_value_store.default]" "$err"

# ---- Redis -------------------------------------------------------------

REDIS_SERVER=${REDIS_SERVER:-/usr/bin/redis-server}
if [ ! -x "$REDIS_SERVER" ] || ! command -v redis-cli >/dev/null; then
  echo "t4100: redis-server or redis-cli not installed: Redis part skipped"
  finish
  exit
fi

mkdir -p "$TMP/redis"
# redis_up PORT: start redis-server on PORT; 0 once it answers (and is the
# one answering), sets $rpid.
redis_up() {
  (cd "$TMP/redis" && exec "$REDIS_SERVER" --port "$1" --bind 127.0.0.1 \
    --save '' --appendonly no >>"$TMP/redis/log" 2>&1) &
  rpid=$!
  for _ in $(seq 1 100); do
    if [ "$(redis-cli -p "$1" ping 2>/dev/null)" = PONG ]; then
      sleep 0.2
      kill -0 "$rpid" 2>/dev/null && return 0
      break
    fi
    kill -0 "$rpid" 2>/dev/null || break
    sleep 0.1
  done
  kill -9 "$rpid" 2>/dev/null
  wait "$rpid" 2>/dev/null
  rpid=
  return 1
}
redis_down() {
  kill -9 "$rpid" 2>/dev/null
  wait "$rpid" 2>/dev/null
  rpid=
}

# A free port: try random ones until a server starts on one.
rport=
for _ in $(seq 1 20); do
  p=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000 ))
  if redis_up "$p"; then
    rport=$p
    break
  fi
done
if [ -z "$rport" ]; then
  not_ok "cannot start redis-server" "$(cat "$TMP/redis/log")"
  finish
  exit
fi

printf '[key_value_store.default]\ntype = "redis"\nurl = "%s"\n' \
  "redis://127.0.0.1:$rport" >"$TMP/redis.toml"
start --runtime-config-file "$TMP/redis.toml"
same "redis first" 1 "$(count)"
same "redis second" 2 "$(count)"
same "the count is in redis" 2 "$(redis-cli -p "$rport" GET count)"
redis-cli -p "$rport" SET count 99 >/dev/null
same "redis is the store" 100 "$(count)"

# Redis goes away: the guest gets an error (it answers 500), weft serves on.
redis_down
same "redis down" 500 "$(code "$base/")"
has "redis down body" "refused" "$(cat "$TMP/body")"
kill -0 "$pid" 2>/dev/null && ok || not_ok "weft died with redis"
same "health while redis is down" 200 \
  "$(code "$base/.well-known/weft/health")"
has "redis down logged" "key-value: component 'counter': store 'default'" \
  "$(cat "$TMP/up.err")"

# It comes back (empty: it keeps nothing on disk): counting resumes.
if redis_up "$rport"; then
  same "redis back" 1 "$(count)"
  same "redis back again" 2 "$(count)"
  same "the count is in redis again" 2 "$(redis-cli -p "$rport" GET count)"
else
  not_ok "cannot restart redis-server on $rport" "$(cat "$TMP/redis/log")"
fi
stop
redis_down

finish

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

APP=$TMP/app
mkdir -p "$APP"
cp "$ROOT/examples/kv-counter/spin.toml" \
  "$ROOT/examples/kv-counter/kv-counter.wasm" "$APP/"

# count: the body of GET / (the new count), or the status when not 200.
count() {
  _c=$(code "$base/")
  if [ "$_c" = 200 ]; then cat "$TMP/body"; else echo "status $_c"; fi
}

# ---- SQLite: the default store --------------------------------------------

up_start
same "first" 1 "$(count)"
same "second" 2 "$(count)"
same "third" 3 "$(count)"
up_stop
[ -f "$APP/.weft/sqlite_key_value.db" ] && ok ||
  not_ok "the count is in .weft/sqlite_key_value.db" "$(ls -la "$APP/.weft")"

up_start
same "survives a restart" 4 "$(count)"
same "reset" 200 "$(code "$base/reset")"
same "reset answers 0" 0 "$(cat "$TMP/body")"
same "after reset" 1 "$(count)"
up_stop

up_start --key-value count=41
same "preset" 42 "$(count)"
same "after preset" 43 "$(count)"
up_stop

# Without key_value_stores the component may not open `default`.
NOGRANT=$TMP/nogrant
mkdir -p "$NOGRANT"
cp "$APP/kv-counter.wasm" "$NOGRANT/"
grep -v '^key_value_stores' "$APP/spin.toml" >"$NOGRANT/spin.toml"
saved=$APP
APP=$NOGRANT
up_start
same "no grant" 500 "$(code "$base/")"
has "no grant body" "access denied" "$(cat "$TMP/body")"
up_stop
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

if ! have_redis; then
  echo "t4100: redis-server or redis-cli not installed: Redis part skipped"
  finish
  exit
fi

if ! redis_start; then
  not_ok "cannot start redis-server" "$(cat "$TMP/redis/log")"
  finish
  exit
fi

printf '[key_value_store.default]\ntype = "redis"\nurl = "%s"\n' \
  "redis://127.0.0.1:$rport" >"$TMP/redis.toml"
up_start --runtime-config-file "$TMP/redis.toml"
same "redis first" 1 "$(count)"
same "redis second" 2 "$(count)"
same "the count is in redis" 2 "$(redis-cli -p "$rport" GET count)"
redis-cli -p "$rport" SET count 99 >/dev/null
same "redis is the store" 100 "$(count)"

# Redis goes away: the guest gets an error (it answers 500), weft serves on.
redis_kill
same "redis down" 500 "$(code "$base/")"
has "redis down body" "refused" "$(cat "$TMP/body")"
kill -0 "$pid" 2>/dev/null && ok || not_ok "weft died with redis"
same "health while redis is down" 200 \
  "$(code "$base/.well-known/weft/health")"
has "redis down logged" "key-value: component 'counter': store 'default'" \
  "$(cat "$TMP/up.err")"

# It comes back (empty: it keeps nothing on disk): counting resumes.
if redis_start "$rport"; then
  same "redis back" 1 "$(count)"
  same "redis back again" 2 "$(count)"
  same "the count is in redis again" 2 "$(redis-cli -p "$rport" GET count)"
else
  not_ok "cannot restart redis-server on $rport" "$(cat "$TMP/redis/log")"
fi
up_stop
redis_kill

finish

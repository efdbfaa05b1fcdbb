#!/bin/sh
# t8000-scale-out.sh - two replicas of one app (#8, docs/scale-out.md):
# two `weft up` of the kv-counter example, each in its own directory and
# on its own loopback port, share the key-value store `default` through a
# real redis-server this script starts. Requests alternate between them
# and count 1, 2, 3, ... as one counter; concurrent requests on both all
# succeed; a replica restarted carries on from the shared count; Redis
# going away gives 500s on both while both keep serving, and counting
# resumes on both when it is back. Skipped when redis-server is missing.
. "$(dirname "$0")/lib.sh"

if ! have_redis; then
  echo "t8000: redis-server or redis-cli not installed: skipped"
  finish
  exit
fi
if ! redis_start; then
  not_ok "cannot start redis-server" "$(cat "$TMP/redis/log")"
  finish
  exit
fi

printf '[key_value_store.default]\ntype = "redis"\nurl = "%s"\n' \
  "redis://127.0.0.1:$rport" >"$TMP/shared.toml"
for r in a b; do
  mkdir -p "$TMP/$r"
  cp "$ROOT/examples/kv-counter/spin.toml" \
    "$ROOT/examples/kv-counter/kv-counter.wasm" "$TMP/$r/"
done

# start_replica R: start replica R (a or b) with the shared store, setting
# $pid_R and $base_R. up_start knows one server at a time: its pid is
# moved aside, and killed by this script's own EXIT trap.
pid_a= pid_b=
start_replica() {
  APP=$TMP/$1
  up_start --runtime-config-file "$TMP/shared.toml" || return 1
  mv "$TMP/up.err" "$TMP/$1.err"
  eval "pid_$1=\$pid base_$1=\$base"
  pid=
}
stop_replica() {
  eval "_p=\$pid_$1"
  kill "$_p" 2>/dev/null
  wait "$_p" 2>/dev/null
  eval "pid_$1="
}
trap 'kill -9 $pid_a $pid_b 2>/dev/null; _cleanup' EXIT

# count R: GET / on replica R: the new count, or the status when not 200.
count() {
  eval "_b=\$base_$1"
  _c=$(code "$_b/")
  if [ "$_c" = 200 ]; then cat "$TMP/body"; else echo "status $_c"; fi
}

start_replica a
start_replica b
[ "$base_a" != "$base_b" ] && ok || not_ok "two ports" "$base_a $base_b"

# Alternating requests see each other's writes: one counter.
got=
for i in 1 2 3 4 5 6 7 8; do
  r=b
  [ $((i % 2)) = 1 ] && r=a
  got="$got $(count $r)"
done
same "alternating replicas count as one" " 1 2 3 4 5 6 7 8" "$got"
same "the count is in redis" 8 "$(redis-cli -p "$rport" GET count)"

# Concurrent requests on both replicas all succeed. Spin's key-value has
# no atomic increment, so the count may lose some (get then set): it only
# grows, and by at most the number of requests.
seq 1 40 | sed "s|.*|$base_a/|" >"$TMP/urls"
seq 1 40 | sed "s|.*|$base_b/|" >>"$TMP/urls"
codes=$(xargs -P 8 -n 1 curl -s -o /dev/null -w '%{http_code}\n' \
  <"$TMP/urls" | sort | uniq -c | tr -s ' ')
same "80 concurrent requests on two replicas" " 80 200" "$codes"
n=$(redis-cli -p "$rport" GET count)
[ "$n" -gt 8 ] && [ "$n" -le 88 ] && ok ||
  not_ok "count after concurrent requests in (8, 88]" "$n"

# A replica restarted carries on from the shared count.
redis-cli -p "$rport" SET count 100 >/dev/null
stop_replica a
same "b serves while a is down" 101 "$(count b)"
start_replica a
same "a restarted reads the shared count" 102 "$(count a)"

# Redis goes away: both answer 500 and keep serving; back, both count.
redis_kill
same "a with redis down" "status 500" "$(count a)"
same "b with redis down" "status 500" "$(count b)"
kill -0 "$pid_a" 2>/dev/null && kill -0 "$pid_b" 2>/dev/null && ok ||
  not_ok "a replica died with redis"
if redis_start "$rport"; then
  same "a with redis back" 1 "$(count a)"
  same "b with redis back" 2 "$(count b)"
else
  not_ok "cannot restart redis-server on $rport" "$(cat "$TMP/redis/log")"
fi
stop_replica a
stop_replica b
redis_kill

finish

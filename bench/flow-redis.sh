#!/bin/sh
# flow-redis.sh - elements/s through one remote edge (#8): the flow of
# tests/flows/remote (source -> [Redis Stream] -> upper -> sink, 256-byte
# elements) split over two `weft flow run --nodes` processes and a local
# redis-server, next to the same flow in one process (where the remote
# edge stays in memory). `make bench` runs it through bench/run.sh.
#   BUILD=build sh bench/flow-redis.sh [COUNT]
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
WEFT=$ROOT/$BUILD/weft
N=${1:-100000}
T=$(mktemp -d)
PORT=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000))
(cd "$T" && exec redis-server --port "$PORT" --bind 127.0.0.1 --save '' \
  --appendonly no >/dev/null 2>&1) &
RPID=$!
trap 'kill -9 $RPID 2>/dev/null; rm -rf "$T"' EXIT
for g in source_count processor_upper sink_collect; do
  cp "$ROOT/$BUILD/guests/$g.wasm" "$T/"
done
sed -e "s|6379|$PORT|" -e "s|count = 10 }|count = $N, size = 256 }|" \
  -e 's|^max_len = 1000$|max_len = 100000|' \
  "$ROOT/tests/flows/remote/Torvyn.toml" >"$T/Torvyn.toml"
awk '{ print } /sink_collect.wasm/ { print "config = { print = false }" }' \
  "$T/Torvyn.toml" >"$T/t" && mv "$T/t" "$T/Torvyn.toml"
for _ in $(seq 1 100); do
  redis-cli -p "$PORT" ping >/dev/null 2>&1 && break
  sleep 0.05
done
now() { date +%s.%N; }
t0=$(now)
"$WEFT" flow run -f "$T" >/dev/null 2>&1
t1=$(now)
"$WEFT" flow run -f "$T" --nodes src >/dev/null 2>&1 &
P=$!
"$WEFT" flow run -f "$T" --nodes up,out >/dev/null 2>&1
wait $P
t2=$(now)
awk -v n="$N" -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN {
  printf "flow-redis: %d elements of 256 bytes, source -> upper -> sink\n", n
  printf "  one process:                 %10.0f elements/s (%.2f s)\n", n / (b - a), b - a
  printf "  two processes, Redis Stream: %10.0f elements/s (%.2f s)\n", n / (c - b), c - b
}'

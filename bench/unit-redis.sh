#!/bin/sh
# unit-redis.sh - resident units in a shared Redis store (#8, docs/units.md
# "Units in Redis"): cycles/s of `weft unit run` with one host next to
# three hosts on the same units, a trivial cycle (bench/unit_trivial.c,
# which asks for its next cycle at once), every cycle taken under the
# unit's lease and committed by the Lua script. Starts its own
# redis-server on a free loopback port (no persistence). About 15 s.
# `make bench` runs it through bench/run.sh; alone:
#   BUILD=build sh bench/unit-redis.sh [UNITS] [SECONDS]
set -e
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
UNITS=${1:-6}
SECS=${2:-5}
WEFT=$BUILD/weft
out=$BUILD/bench
mkdir -p "$out"
[ -x "$WEFT" ] || { echo "unit-redis.sh: $WEFT is missing (make all)" >&2
  exit 1; }
command -v redis-server >/dev/null ||
  { echo "unit-redis.sh: no redis-server" >&2; exit 1; }
clang --target=wasm32-wasi --sysroot=/usr -O2 -Isdk/c/include \
  -mexec-model=reactor -o "$out/unit_trivial.wasm" bench/unit_trivial.c \
  sdk/c/src/unit.c

tmp=$(mktemp -d "${TMPDIR:-/tmp}/weft-unit-redis.XXXXXX")
rpid=
trap '[ -n "$rpid" ] && kill -9 "$rpid" 2>/dev/null; rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
for _ in $(seq 1 20); do
  port=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000))
  (cd "$tmp" && exec redis-server --port "$port" --bind 127.0.0.1 \
    --save '' --appendonly no >"$tmp/redis.log" 2>&1) &
  rpid=$!
  sleep 0.3
  redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && break
  kill -9 "$rpid" 2>/dev/null || true
  rpid=
done
[ -n "$rpid" ] || { echo "unit-redis.sh: redis-server did not start" >&2
  exit 1; }
R=redis://127.0.0.1:$port
export WEFT_HOME=$tmp/home
printf '[key.n]\ntype = "integer"\n' >"$tmp/schema.toml"
printf '[cycle]\ndeadline = "1s"\n' >"$tmp/policy.toml"
"$WEFT" keygen -o "$tmp/owner.key" >/dev/null

# units PREFIX: make $UNITS fresh units in Redis, their addresses in $urls.
units() {
  urls=
  i=0
  while [ $i -lt "$UNITS" ]; do
    "$WEFT" unit new --code "$out/unit_trivial.wasm" \
      --schema "$tmp/schema.toml" --policy "$tmp/policy.toml" \
      --owner "$tmp/owner.key" -o "$tmp/$1$i.unit" >/dev/null 2>&1
    "$WEFT" unit push "$tmp/$1$i.unit" "$R/$1$i" >/dev/null
    urls="$urls $R/$1$i"
    i=$((i + 1))
  done
}

echo "== units in Redis: $UNITS units, $SECS s, trivial cycle"
units one
# shellcheck disable=SC2086
c1=$(WEFT_HOME=$tmp/h1 "$WEFT" unit run -q --for "${SECS}s" $urls |
  sed -n 's/ cycles$//p')
echo "one host      $((c1 / SECS)) cycles/s ($c1 in $SECS s)"

units three
pids=
for h in a b c; do
  # shellcheck disable=SC2086
  WEFT_HOME=$tmp/h$h "$WEFT" unit run -q --for "${SECS}s" $urls \
    >"$tmp/run.$h" &
  pids="$pids $!"
done
for p in $pids; do
  wait "$p" # not a bare wait: redis-server runs in the background too
done
c3=0
for h in a b c; do
  n=$(sed -n 's/ cycles$//p' "$tmp/run.$h")
  c3=$((c3 + n))
  per="$per $n"
done
echo "three hosts   $((c3 / SECS)) cycles/s ($c3 in $SECS s; per host:$per)"
for u in $urls; do
  "$WEFT" unit verify "$u" >/dev/null
done
echo "(every unit verified; $(nproc) cores shared by the hosts and Redis)"

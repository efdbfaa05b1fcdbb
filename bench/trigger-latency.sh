#!/bin/sh
# trigger-latency.sh - timer events through the built-in timer trigger and
# through the external executor weft-trigger-ticker, and what running the
# built-in types in `weft up`'s own process saves against a child per
# type; bench/trigger_latency.c says how each figure is measured. Prints
# three groups of lines with ratios:
#   timer event      due -> guest call, p50/p99: built-in in weft up (a),
#                    the ticker executor (b), the built-in timer in a
#                    process of its own (c), native C (d);
#   timer sleep      how late each kind of wait returns past its deadline;
#   trigger processes  one weft up against a parent plus a child: start-up
#                    time, RSS, private dirty memory, CPU.
# Needs `make all guests` (build/guests/timer_stamp.wasm, examples/hello,
# build/examples/weft-trigger-ticker). About 25 s.
# Run from `make bench` (bench/run.sh) or alone:
#   BUILD=build sh bench/trigger-latency.sh [EVENTS]
set -e
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
# libweft with gcc's intermediate code (Makefile: LTO), when built so.
LIB=$BUILD/libweft-lto.a
[ -f "$LIB" ] || LIB=$BUILD/libweft.a
EVENTS=${1:-300}
CC=${CC:-cc}
LIBS=${LIBS:--lsodium -ljansson -lmicrohttpd -lsqlite3 -lhiredis -lcurl \
-ldl -lpthread -lm}
out=$BUILD/bench
mkdir -p "$out"
for f in "$BUILD/weft" "$BUILD/guests/timer_stamp.wasm" \
  "$BUILD/examples/weft-trigger-ticker" examples/hello/hello.wasm; do
  [ -e "$f" ] || {
    echo "trigger-latency.sh: $f is missing (make all guests)" >&2
    exit 1
  }
done
# shellcheck disable=SC2086
$CC -std=gnu11 -O2 ${LTO_LINK--flto=auto -w} -D_GNU_SOURCE \
  -Iinclude -Isrc -o "$out/trigger_latency" \
  bench/trigger_latency.c "$LIB" $LIBS

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
mkdir -p "$tmp/plugins"
# Copies: a build in progress may rewrite the tree's binaries meanwhile.
cp "$BUILD/weft" "$tmp/weft"
cp "$BUILD/examples/weft-trigger-ticker" "$tmp/plugins/"
WEFT_WIT_DIR=${WEFT_WIT_DIR:-$(pwd)/wit}
export WEFT_WIT_DIR
cp "$BUILD/guests/timer_stamp.wasm" examples/hello/hello.wasm "$tmp/"
# Every entry ticks each second; the helper runs them at --speedup 200.
common='spin_manifest_version = 2

[application]
name = "latency"

[[trigger.http]]
route = "/hello"
component = "hello"

[[trigger.timer]]
component = "builtin"
interval_secs = 1

[component.hello]
source = "hello.wasm"

[component.builtin]
source = "timer_stamp.wasm"'
printf '%s\n' "$common" >"$tmp/pair.toml"
printf '%s\n' "$common" '
[[trigger.ticker]]
component = "ext"
interval_secs = 1

[component.ext]
source = "timer_stamp.wasm"' >"$tmp/latency.toml"
# The benchmarks' compile cache: a first run compiles the guests once.
WEFT_CACHE_DIR=${WEFT_CACHE_DIR:-$BUILD/bench-cache}
export WEFT_CACHE_DIR
"$tmp/weft" compile "$tmp/timer_stamp.wasm" "$tmp/hello.wasm" \
  >"$tmp/compile.out" 2>&1 || {
  cat "$tmp/compile.out" >&2
  exit 1
}
"$out/trigger_latency" "$tmp/weft" "$tmp/plugins" "$tmp" "$EVENTS"

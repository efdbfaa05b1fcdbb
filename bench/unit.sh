#!/bin/sh
# unit.sh - resident units (#7, docs/units.md "Speed"): step latency next
# to a bare fsync of the same file (target <= 2x), `weft unit step` as a
# whole process, resident cycles/s of a trivial cycle (`weft unit run`),
# and verify time for 100 000 entries. bench/unit_bench.c says how each
# in-process figure is measured. About 30 s.
# Run from `make bench` (bench/run.sh) or alone:
#   BUILD=build sh bench/unit.sh [STEPS] [LONG]
set -e
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
# libweft with gcc's intermediate code (Makefile: LTO), when built so.
LIB=$BUILD/libweft-lto.a
[ -f "$LIB" ] || LIB=$BUILD/libweft.a
STEPS=${1:-300}
LONG=${2:-100000}
CC=${CC:-cc}
LIBS=${LIBS:--lsodium -ljansson -lmicrohttpd -lsqlite3 -lhiredis -lcurl \
-ldl -lpthread -lm}
WEFT=$BUILD/weft
out=$BUILD/bench
mkdir -p "$out"
[ -x "$WEFT" ] || { echo "unit.sh: $WEFT is missing (make all)" >&2; exit 1; }
clang --target=wasm32-wasi --sysroot=/usr -O2 -Isdk/c/include \
  -mexec-model=reactor -o "$out/unit_trivial.wasm" bench/unit_trivial.c \
  sdk/c/src/unit.c
# shellcheck disable=SC2086
$CC -std=gnu11 -O2 ${LTO_LINK--flto=auto -w} -D_GNU_SOURCE -Iinclude -Isrc \
  -o "$out/unit_bench" \
  bench/unit_bench.c "$LIB" $LIBS

tmp=$(mktemp -d "${TMPDIR:-/tmp}/weft-unit-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
export WEFT_HOME=$tmp/home
printf '[key.n]\ntype = "integer"\n' >"$tmp/schema.toml"
printf '[cycle]\ndeadline = "1s"\n' >"$tmp/policy.toml"

echo "== units: in process ($STEPS steps; verify of $LONG entries)"
"$out/unit_bench" "$out/unit_trivial.wasm" "$tmp/schema.toml" \
  "$tmp/policy.toml" "$tmp" "$STEPS" "$LONG"

echo "== units: commands"
"$WEFT" keygen -o "$tmp/owner.key" >/dev/null
"$WEFT" unit new --code "$out/unit_trivial.wasm" --schema "$tmp/schema.toml" \
  --policy "$tmp/policy.toml" --owner "$tmp/owner.key" -o "$tmp/u.unit" \
  >/dev/null 2>&1
"$WEFT" unit step "$tmp/u.unit" >/dev/null
n=20
t0=$(date +%s%N)
i=0
while [ $i -lt $n ]; do
  "$WEFT" unit step "$tmp/u.unit" >/dev/null
  i=$((i + 1))
done
t1=$(date +%s%N)
echo "weft unit step (process) mean $(( (t1 - t0) / n / 1000 )) us" \
  "(open, check the head, load the code, one cycle, commit)"
cycles=$("$WEFT" unit run -q --for 5s "$tmp/u.unit" | sed -n 's/ cycles$//p')
echo "weft unit run             $((cycles / 5)) cycles/s" \
  "(trivial cycle, each committed with fsync; $cycles in 5 s)"
t0=$(date +%s%N)
"$WEFT" unit verify "$tmp/u.unit" >/dev/null
t1=$(date +%s%N)
echo "weft unit verify          $(( (t1 - t0) / 1000000 )) ms" \
  "for $((cycles + n + 2)) entries (process)"

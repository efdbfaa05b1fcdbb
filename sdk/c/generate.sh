#!/bin/sh
# generate.sh WEFT OUT - write the C bindings of every world Weft ships
# (wit/, see wit/README.md) as OUT/include/<world>.h and OUT/src/<world>.c.
# `make sdk` runs it on sdk/c; tests/e2e/t3100-bindgen.sh runs it on a
# temporary directory and compares, so the shipped copies never go stale.
set -eu
weft=$1
out=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/weft-sdk.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# gen DIR WORLD: the bindings of WORLD in the package wit/DIR.
gen() {
  "$weft" bindgen c "$root/wit/$1" --world "$2" -o "$tmp"
}

gen spin-timer spin-timer
gen spin http-trigger
gen spin redis-trigger
gen torvyn processor-stage
gen torvyn source-stage
gen torvyn sink-stage
gen torvyn torvyn:filtering/filter-stage@0.1.0
gen torvyn torvyn:filtering/router-stage@0.1.0
gen torvyn torvyn:aggregation/aggregator-stage@0.1.0
gen unit unit

mkdir -p "$out/include" "$out/src"
mv "$tmp"/*.h "$out/include/"
mv "$tmp"/*.c "$out/src/"

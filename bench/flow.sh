#!/bin/sh
# flow.sh - the flow benchmark (bench/flow_native.c): source -> processor
# -> sink with 256-byte elements through Weft's flow runtime, without and
# with per-call deadlines, and through the typed canonical ABI (the fast
# paths off), next to a native C chain doing the same work in
# the same run; elements/s, ns per element and per hop, the ratio to
# native, and Torvyn's published 4.5 us per element for scale.
# Needs `make all guests` (the components are tests/guests/source_count,
# processor_upper and sink_collect). Run from `make bench` (bench/run.sh)
# or alone: BUILD=build sh bench/flow.sh; FLOW_SECONDS sets each run's
# length (default 5).
set -e
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
# libweft with gcc's intermediate code (Makefile: LTO), when built so.
LIB=$BUILD/libweft-lto.a
[ -f "$LIB" ] || LIB=$BUILD/libweft.a
LIBS=${LIBS:--lsodium -ljansson -lmicrohttpd -lsqlite3 -lhiredis -lcurl \
-ldl -lpthread -lm}
for g in source_count processor_upper sink_collect; do
  if [ ! -f "$BUILD/guests/$g.wasm" ]; then
    echo "flow.sh: $BUILD/guests/$g.wasm is missing: make guests" >&2
    exit 1
  fi
done
out=$BUILD/bench
mkdir -p "$out"
# shellcheck disable=SC2086
${CC:-cc} -std=gnu11 -O2 ${LTO_LINK--flto=auto -w} -D_GNU_SOURCE \
  -Iinclude -Isrc -o "$out/flow_native" \
  bench/flow_native.c "$LIB" $LIBS
"$out/flow_native" "$BUILD" "${FLOW_SECONDS:-5}"

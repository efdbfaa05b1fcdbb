#!/bin/sh
# http-guest.sh - the HTTP trigger's guest path measured in-process
# (bench/http_guest.c): pool take, the handler of examples/hello called
# with a request like the trigger's for GET /, the response read, the
# instance given back (reset); us per request, best of 5 runs of N, and a
# breakdown. Needs `make all guests`. Alone:
# BUILD=build sh bench/http-guest.sh [N]; HTTP_GUEST_N also sets N
# (default 50000). For callgrind: build it once with this script, then
# valgrind --tool=callgrind $BUILD/bench/http_guest 2000 --once
set -e
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
# libweft with gcc's intermediate code (Makefile: LTO), when built so.
LIB=$BUILD/libweft-lto.a
[ -f "$LIB" ] || LIB=$BUILD/libweft.a
LIBS=${LIBS:--lsodium -ljansson -lmicrohttpd -lsqlite3 -lhiredis -lcurl \
-ldl -lpthread -lm}
if [ ! -f examples/hello/hello.wasm ]; then
  echo "http-guest.sh: examples/hello/hello.wasm is missing: make guests" >&2
  exit 1
fi
out=$BUILD/bench
mkdir -p "$out"
# shellcheck disable=SC2086
${CC:-cc} -std=gnu11 -O2 ${LTO_LINK--flto=auto -w} -D_GNU_SOURCE -Iinclude \
  -Isrc -o "$out/http_guest" bench/http_guest.c "$LIB" $LIBS
"$out/http_guest" "${1:-${HTTP_GUEST_N:-50000}}"

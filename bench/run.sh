#!/bin/sh
# run.sh - `make bench`: build the kernels for wasm32-wasi and natively with
# the same compiler and flags, then run bench/bench.c's measurements, the
# call benchmark, the HTTP trigger against its peers (bench/http.sh) and
# its guest path alone (bench/http-guest.sh), and the scripts of the other
# capabilities (bench/{trigger-latency,flow,flow-redis,unit,unit-redis}.sh).
set -e
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
# libweft with gcc's intermediate code (Makefile: LTO), when built so.
LIB=$BUILD/libweft-lto.a
[ -f "$LIB" ] || LIB=$BUILD/libweft.a
# What libweft.a needs (the Makefile's LIBS when it passes them).
LIBS=${LIBS:--lsodium -ljansson -lmicrohttpd -lsqlite3 -lhiredis -lcurl \
-ldl -lpthread -lm}
export LIBS
out=$BUILD/bench
mkdir -p "$out"
for src in bench/kernels/*.c; do
  k=$(basename "$src" .c)
  clang --target=wasm32-wasi --sysroot=/usr -O2 -mexec-model=reactor \
    -o "$out/$k.wasm" "$src"
  clang -O2 -fPIC -shared -o "$out/$k.so" "$src"
  # wasm32 without SIMD cannot be vectorised: this is the scalar peer.
  clang -O2 -fno-vectorize -fno-slp-vectorize -fPIC -shared \
    -o "$out/$k.scalar.so" "$src"
done
wat2wasm bench/tiny.wat -o "$out/tiny.wasm"
# shellcheck disable=SC2086
${CC:-cc} -std=gnu11 -O2 ${LTO_LINK--flto=auto -w} -D_GNU_SOURCE \
  -Iinclude -Isrc -o "$out/bench" \
  bench/bench.c "$LIB" $LIBS
"$out/bench" "$BUILD"
# shellcheck disable=SC2086
${CC:-cc} -std=gnu11 -O2 ${LTO_LINK--flto=auto -w} -D_GNU_SOURCE \
  -Iinclude -Isrc -o "$out/calls" \
  bench/calls.c "$LIB" $LIBS
"$out/calls" "$BUILD"
BUILD=$BUILD sh bench/http.sh
BUILD=$BUILD sh bench/http-guest.sh
# One script per capability beside it: trigger event latency, flows, units.
for b in trigger-latency flow flow-redis unit unit-redis; do
  if [ -f "bench/$b.sh" ]; then BUILD=$BUILD sh "bench/$b.sh"; fi
done

#!/bin/sh
# run.sh - `make bench`: build the kernels for wasm32-wasi and natively with
# the same compiler and flags, then run bench/bench.c's measurements.
set -e
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
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
${CC:-cc} -std=gnu11 -O2 -D_GNU_SOURCE -Iinclude -Isrc -o "$out/bench" \
  bench/bench.c "$BUILD/libweft.a" -lsodium -ljansson -ldl -lpthread -lm
"$out/bench" "$BUILD"
${CC:-cc} -std=gnu11 -O2 -D_GNU_SOURCE -Iinclude -Isrc -o "$out/calls" \
  bench/calls.c "$BUILD/libweft.a" -lsodium -ljansson -ldl -lpthread -lm
"$out/calls" "$BUILD"

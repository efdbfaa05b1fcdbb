#!/bin/sh
# t1001-wasi-fs.sh - WASI file and directory calls: tests/guests/wasi_fs.c
# runs in a preopened directory under weft, with openat2 and with the
# portable path walk, and built natively on the same layout; all three
# outputs must be the same.
. "$(dirname "$0")/lib.sh"

G=$GUESTS/wasi_fs.wasm
CC=${CC:-cc}

mkdir "$TMP/sandbox" "$TMP/walk" "$TMP/native"
echo keep >"$TMP/outside.txt"

expect "wasi_fs" 0 "$WEFT" run --dir "$TMP/sandbox::/sandbox" "$G" -- /sandbox
wasm_out=$out
has "content" "content: HELLO world" "$out"
has "pread" "pread content: world" "$out"
has "write-only fd cannot read" "read on wronly: EBADF" "$out"
has "read-only fd cannot write" "write on rdonly: EBADF" "$out"
has "append" "tell after append: 17" "$out"
has "truncate and allocate" "stat allocated: type=reg size=100 nlink=1" \
  "$out"
has "times" "times: atime=1000000000.500000000 mtime=1234567890.000000250" \
  "$out"
has "symlink" "readlink: a.txt" "$out"
has "nofollow" "open lnk O_NOFOLLOW: ELOOP" "$out"
has "hard link" "stat hard: type=reg size=17 nlink=2" "$out"
has "rmdir nonempty" "rmdir nonempty: ENOTEMPTY" "$out"
has "listing" "list fs: ../ ./ a.txt d/ d3/ dang@ hard2 lnk2@ lnk@ nowhere" \
  "$out"
has "trailing slash" "unlink a.txt/: ENOTDIR" "$out"
same "sandbox empty again" "" "$(ls -A "$TMP/sandbox")"

expect "wasi_fs walk" 0 env WEFT_WASI_NO_OPENAT2=1 \
  "$WEFT" run --dir "$TMP/walk::/sandbox" "$G" -- /sandbox
same "openat2 and walk agree" "$wasm_out" "$out"

# The guest path may also be the host path (--dir without ::).
expect "wasi_fs same path" 0 "$WEFT" run --dir "$TMP/walk" "$G" -- "$TMP/walk"
same "same path output" "$wasm_out" "$out"

if "$CC" -D_GNU_SOURCE -O2 -o "$TMP/wasi_fs_native" \
  "$ROOT/tests/guests/wasi_fs.c" 2>"$TMP/cc.err"; then
  expect "native" 0 "$TMP/wasi_fs_native" "$TMP/native"
  same "native and wasm agree" "$out" "$wasm_out"
else
  not_ok "native build" "$(cat "$TMP/cc.err")"
fi

same "outside untouched" "keep" "$(cat "$TMP/outside.txt")"
finish

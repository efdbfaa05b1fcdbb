#!/bin/sh
# t1004-wasi-readdir.sh - WASI fd_readdir: hundreds of entries read with
# buffers from 1 byte to 64 KiB (partial last entries), restarts from
# cookies, d_type and d_ino, and wasi-libc's readdir/telldir/seekdir on
# top; with openat2 and with the portable walk.
. "$(dirname "$0")/lib.sh"

G=$GUESTS/wasi_readdir.wasm

expected="buffer 1: 504 entries (all, once each)
buffer 23: 504 entries (all, once each)
buffer 24: 504 entries (all, once each)
buffer 25: 504 entries (all, once each)
buffer 40: 504 entries (all, once each)
buffer 64: 504 entries (all, once each)
buffer 100: 504 entries (all, once each)
buffer 257: 504 entries (all, once each)
buffer 4096: 504 entries (all, once each)
buffer 65536: 504 entries (all, once each)
restart from cookies: consistent
cookie past the end: used=0
d_type . subdir symlink file: 3 3 7 4
d_ino matches lstat: 503 of 503
libc readdir: 504 entries, seekdir returns the same entry
after rewinddir: 504 entries
after changes: 504 entries"

for no in 0 1; do
  rm -rf "$TMP/sb"
  mkdir "$TMP/sb"
  expect "readdir (no openat2=$no)" 0 env WEFT_WASI_NO_OPENAT2=$no \
    "$WEFT" run --dir "$TMP/sb::/sandbox" "$G" -- 500
  same "readdir output (no openat2=$no)" "$expected" "$out"
  same "entries on the host (no openat2=$no)" 502 \
    "$(ls -A "$TMP/sb/rd" | wc -l | tr -d ' ')"
done

finish

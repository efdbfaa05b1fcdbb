#!/bin/sh
# t0200-compile-cache.sh - `weft compile` and `weft cache`: the cache is
# filled once, survives concurrent writers, rebuilds a damaged entry;
# artifacts run and are refused when foreign; missing tools are named.
. "$(dirname "$0")/lib.sh"

export WEFT_CACHE_DIR=$TMP/cache
M=$GUESTS/traps.wasm

expect "cache dir" 0 "$WEFT" cache dir
same "cache dir follows WEFT_CACHE_DIR" "$TMP/cache" "$out"
expect "compile" 0 "$WEFT" compile "$M"
expect "cache list" 0 "$WEFT" cache list
has "list names the module" "traps.wasm" "$out"
so=$(ls "$TMP"/cache/*/*.so)
same "one entry" "1" "$(echo "$so" | wc -l | tr -d ' ')"
before=$(stat -c %Y.%s "$so")
sleep 1
expect "cache hit" 0 "$WEFT" run --invoke add "$M" 1 2
same "cache hit result" "3" "$out"
same "entry not rewritten" "$before" "$(stat -c %Y.%s "$so")"

# A damaged entry is detected and rebuilt.
head -c 1000 "$so" >"$so.cut" && mv "$so.cut" "$so"
expect "damaged entry rebuilt" 0 "$WEFT" run --invoke add "$M" 2 2
same "damaged entry result" "4" "$out"
expect "rebuilt entry loads" 0 "$WEFT" run --invoke add "$M" 2 3

# Several processes compiling the same module into an empty cache.
"$WEFT" cache clean
pids=""
for i in 1 2 3 4; do
  "$WEFT" run --invoke add "$M" $i 1 >"$TMP/c$i.out" 2>&1 &
  pids="$pids $!"
done
okc=0
for p in $pids; do wait "$p" && okc=$((okc + 1)); done
same "concurrent compiles all succeed" "4" "$okc"
same "concurrent result" "5" "$(tail -n 1 "$TMP/c4.out")"
same "one entry after races" "1" "$(ls "$TMP"/cache/*/*.so | wc -l | tr -d ' ')"
same "no temporary files left" "" "$(ls "$TMP/cache/tmp" 2>/dev/null)"

# Artifacts.
expect "compile -o" 0 "$WEFT" compile "$M" -o "$TMP/traps.so"
expect "run artifact" 0 "$WEFT" run --invoke add "$TMP/traps.so" 20 22
same "artifact result" "42" "$out"
cp "$TMP/traps.so" "$TMP/foreign.so"
printf '\267\0' | dd of="$TMP/foreign.so" bs=1 seek=18 conv=notrunc 2>/dev/null
expect "foreign artifact" 1 "$WEFT" run --invoke add "$TMP/foreign.so" 1 1
has "foreign artifact refused" "compiled for another machine" "$err"
expect "compile -o two modules" 2 "$WEFT" compile -o "$TMP/x" "$M" "$M"
# Output to something that is not a regular file (a FIFO here; /dev/null
# in real life) is written into it, never renamed over it: as root, a
# rename replaced /dev/null with a file.
mkfifo "$TMP/fifo"
cat "$TMP/fifo" >"$TMP/from-fifo" &
reader=$!
expect "compile -o FIFO" 0 "$WEFT" compile "$M" -o "$TMP/fifo"
if [ -p "$TMP/fifo" ]; then ok; else
  not_ok "the FIFO is still a FIFO"
  kill "$reader" 2>/dev/null # nobody will ever write to it
fi
wait "$reader"
cmp -s "$TMP/from-fifo" "$TMP/traps.so" && ok ||
  not_ok "the artifact went through the FIFO"

# Broken set-ups are named.
: >"$TMP/file"
expect "unwritable cache" 1 env WEFT_CACHE_DIR="$TMP/file/cache" \
  "$WEFT" run "$GUESTS/hostile_unreachable.wasm"
has "unwritable cache" "is not writable" "$err"
mkdir -p "$TMP/bin"
ln -s "$(command -v cc)" "$TMP/bin/cc"
"$WEFT" cache clean
expect "no wasm2c" 1 env PATH="$TMP/bin" \
  "$WEFT" run "$GUESTS/hostile_unreachable.wasm"
has "no wasm2c" "'wasm2c' not found (install Debian's 'wabt')" "$err"
expect "no cc" 1 env WEFT_CC=/nonexistent/cc \
  "$WEFT" run "$GUESTS/hostile_unreachable.wasm"
has "no cc" "'/nonexistent/cc' not found" "$err"
expect "cc fails" 1 env WEFT_CC=false \
  "$WEFT" run "$GUESTS/hostile_unreachable.wasm"
has "cc fails" "false failed" "$err"

expect "cache clean" 0 "$WEFT" cache clean
expect "empty after clean" 0 "$WEFT" cache list
same "empty after clean" "" "$out"
expect "cache bad" 2 "$WEFT" cache frob

finish

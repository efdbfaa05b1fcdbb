#!/bin/sh
# t3200-components.sh - `weft run --wit --invoke` with WAVE on the echo
# guest (tests/guests/echo.c) and the hostile one: results printed in
# WAVE, the module checked against its world, and each failure's exit
# code and one-line message.
. "$(dirname "$0")/lib.sh"

ECHO_WIT=$ROOT/tests/guests/wit/echo.wit
ECHO=$GUESTS/echo.wasm
HOSTILE_WIT=$ROOT/tests/guests/wit/hostile.wit
HOSTILE=$GUESTS/hostile_cabi.wasm

# call NAME WAVE-CALL EXPECTED: the call prints EXPECTED and exits 0.
call() {
  expect "$1" 0 "$WEFT" run --wit "$ECHO_WIT" --invoke "$2" "$ECHO"
  same "$1 output" "$3" "$out"
}

call string 'echo-string("héllo")' '"héllo"'
call "full name" 'weft:test/echoes@0.1.0#echo-u8(7)' '7'
call "short name" 'echoes#echo-u8(8)' '8'
call tuple 'echo-tuple((1, "two", 3.5))' '(1, "two", 3.5)'
call list 'echo-strings(["a", "b"])' '["a", "b"]'
call record 'echo-point({label: "l", y: 2, x: 1})' '{x: 1, y: 2, label: "l"}'
call flags 'echo-perms({write, read})' '{read, write}'
call option 'echo-option(none)' 'none'
call bare 'add(40, 2)' '42'
call "no result" 'nothing()' ''
call world 'hello()' '"hello from echo"'

# Options after the module, up to --, mean the same.
expect "options after module" 0 "$WEFT" run "$ECHO" --wit "$ECHO_WIT" \
  --world echo --invoke 'add(1, 2)'
same "options after module" "3" "$out"

# Imports the host of `weft run` does not implement trap, naming them.
expect "unimplemented import" 134 "$WEFT" run --wit "$ECHO_WIT" \
  --invoke 'greet("x")' "$ECHO"
has "unimplemented import" \
  "'weft:test/host@0.1.0#log' is not implemented by the host" "$err"

# Usage errors: exit 2, one line.
expect "bad wave" 2 "$WEFT" run --wit "$ECHO_WIT" --invoke 'add(1, ' "$ECHO"
has "bad wave" "weft: --invoke: column" "$err"
expect "wrong type" 2 "$WEFT" run --wit "$ECHO_WIT" --invoke 'add("x", 1)' \
  "$ECHO"
has "wrong type" "--invoke:" "$err"
expect "unknown function" 2 "$WEFT" run --wit "$ECHO_WIT" --invoke 'nope()' \
  "$ECHO"
same "unknown function" \
  "weft: --invoke: world 'echo' exports no function 'nope'" "$err"
expect "too many args" 2 "$WEFT" run --wit "$ECHO_WIT" --invoke 'add(1, 2, 3)' \
  "$ECHO"
expect "args outside" 2 "$WEFT" run --wit "$ECHO_WIT" --invoke 'add(1, 2)' \
  "$ECHO" 5
expect "world without wit" 2 "$WEFT" run --world echo --invoke 'add(1, 2)' \
  "$ECHO"
expect "unknown world" 1 "$WEFT" run --wit "$ECHO_WIT" --world nope \
  --invoke 'add(1, 2)' "$ECHO"
has "unknown world" "unknown world 'nope'" "$err"

# A module that does not fit the world fails to load, naming what differs.
expect "wrong world" 1 "$WEFT" run --wit "$HOSTILE_WIT" --invoke 'post()' \
  "$ECHO"
has "wrong world" "does not export 'set-mode' of world 'hostile'" "$err"
cat >"$TMP/sig.wit" <<'WIT'
package t:t;
world w { export add: func(a: u64, b: u32) -> u32; }
WIT
expect "wrong signature" 1 "$WEFT" run --wit "$TMP/sig.wit" \
  --invoke 'add(1, 2)' "$ECHO"
has "wrong signature" \
  "exports 'add' with core signature 'ii:i', but world 'w' needs 'li:i'" \
  "$err"

# Guest misbehaviour traps: exit 134 with the canonical ABI's message.
expect "bad utf-8" 134 "$WEFT" run --wit "$HOSTILE_WIT" \
  --invoke 'bad-utf8()' "$HOSTILE"
same "bad utf-8" "weft: '$HOSTILE': canonical ABI: string at 0x456 is not \
valid UTF-8 (byte 2) in the results of 'bad-utf8'" "$err"
expect "bad discriminant" 134 "$WEFT" run --wit "$HOSTILE_WIT" \
  --invoke 'bad-disc()' "$HOSTILE"
has "bad discriminant" "discriminant 7" "$err"
expect "post-return" 0 "$WEFT" run --wit "$HOSTILE_WIT" --invoke 'post()' \
  "$HOSTILE"
same "post-return" '"post"' "$out"

finish

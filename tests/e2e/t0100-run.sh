#!/bin/sh
# t0100-run.sh - `weft run`: commands, reactors, options in any order, exit
# codes, and hostile guests contained with a documented message and code.
. "$(dirname "$0")/lib.sh"

HELLO=$ROOT/examples/wasi-hello/wasi-hello.wasm

expect "help" 0 "$WEFT" --help
has "help lists run" "run" "$out"
expect "version" 0 "$WEFT" --version
has "version" "weft " "$out"
expect "run --help" 0 "$WEFT" run --help
has "run --help" "--deadline" "$out"
expect "unknown command" 2 "$WEFT" frobnicate
has "unknown command" "'frobnicate' is not a weft command" "$err"

expect "hello" 0 "$WEFT" run "$HELLO" -- there
same "hello output" "Hello, there!" "$out"
# GNU habits: options before or after the module, up to --.
expect "options after module" 0 "$WEFT" run "$HELLO" --env WHO=env
same "env reaches the guest" "Hello, env!" "$out"
expect "options before module" 0 "$WEFT" run --env WHO=env "$HELLO"
same "options before" "Hello, env!" "$out"
expect "-- ends options" 0 "$WEFT" run "$HELLO" -- --env
same "-- ends options" "Hello, --env!" "$out"

# Closed stdio is filled with /dev/null, never with one of weft's files.
"$WEFT" run "$HELLO" -- closed <&- >"$TMP/closed.out" 2>&1
same "closed stdin" "Hello, closed!" "$(cat "$TMP/closed.out")"

# Embedding: examples/embed runs the same command through the library.
expect "embed example" 0 "$BUILD/examples/embed" "$HELLO" embedded
same "embed output" "Hello, embedded!" "$out"
expect "embed usage" 2 "$BUILD/examples/embed"

# Reactors: --invoke with numbers.
T=$GUESTS/traps.wasm
expect "invoke" 0 "$WEFT" run --invoke add "$T" 40 2
same "invoke result" "42" "$out"
expect "invoke after" 0 "$WEFT" run "$T" --invoke add -- -1 -2
same "negative args" "-3" "$out"
expect "invoke bad arg" 2 "$WEFT" run --invoke add "$T" x 2
has "invoke bad arg" "not a valid" "$err"
expect "invoke arity" 2 "$WEFT" run --invoke add "$T" 1
expect "invoke missing" 1 "$WEFT" run --invoke nope "$T"
has "invoke missing" "no exported function 'nope'" "$err"
expect "invoke trap" 134 "$WEFT" run --invoke div "$T" 1 0
same "trap message" "weft: '$T': integer divide by zero in function 'div'" \
  "$err"

# Hostile guests: contained, one line, documented exit code.
expect "infinite loop" 124 "$WEFT" run --deadline 200ms "$GUESTS/hostile_loop.wasm"
has "deadline message" "deadline exceeded in function '_start'" "$err"
expect "out of bounds" 134 "$WEFT" run "$GUESTS/hostile_oob.wasm"
has "oob message" "out of bounds memory access" "$err"
expect "stack overflow" 134 "$WEFT" run "$GUESTS/hostile_stack.wasm"
has "stack message" "call stack exhausted" "$err"
expect "unreachable" 134 "$WEFT" run "$GUESTS/hostile_unreachable.wasm"
has "unreachable message" "unreachable executed" "$err"
expect "huge table" 134 "$WEFT" run "$GUESTS/hostile_table.wasm"
has "huge table message" "table limit exceeded" "$err"
# memory.grow bomb: grows in 1 MiB steps until refused at the cap; exits
# with how many MiB it got.
expect "grow bomb capped" 8 "$WEFT" run --max-memory 8MiB "$GUESTS/hostile_grow.wasm"
expect "table grow bomb" 10 "$WEFT" run "$GUESTS/hostile_table_grow.wasm"

# Bad input: one line naming the thing, documented exit code.
expect "missing file" 1 "$WEFT" run "$TMP/none.wasm"
has "missing file" "cannot open '$TMP/none.wasm'" "$err"
printf '\0asm\1\0\0\0\1\5' >"$TMP/trunc.wasm"
expect "truncated" 1 "$WEFT" run "$TMP/trunc.wasm"
has "truncated names the file" "'$TMP/trunc.wasm'" "$err"
has "truncated says offset" "offset" "$err"
printf 'hello' >"$TMP/junk.wasm"
expect "not wasm" 1 "$WEFT" run "$TMP/junk.wasm"
has "not wasm" "magic" "$err"
expect "bad deadline" 2 "$WEFT" run --deadline soon "$HELLO"
has "bad deadline" "bad --deadline 'soon'" "$err"
expect "bad max-memory" 2 "$WEFT" run --max-memory lots "$HELLO"
expect "no module" 2 "$WEFT" run
expect "bad env" 2 "$WEFT" run --env NOEQUALS "$HELLO"

# A module importing something the host does not offer.
cat >"$TMP/imp.wat" <<'WAT'
(module (import "env" "missing" (func (param i32) (result i64)))
  (func (export "_start")))
WAT
wat2wasm "$TMP/imp.wat" -o "$TMP/imp.wasm"
expect "unknown import" 1 "$WEFT" run "$TMP/imp.wasm"
has "unknown import named" "unknown import func 'env.missing' i:l" "$err"

finish

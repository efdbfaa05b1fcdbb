#!/bin/sh
# t3100-bindgen.sh - `weft bindgen c`: usage errors and exit codes, bad
# WIT, bindings for every world Weft ships compiling warning-free with
# clang for wasm32-wasi, the shipped sdk/c copies equal to fresh ones, and
# the core names and signatures of the echo test guest.
. "$(dirname "$0")/lib.sh"

WASM_CC=${WASM_CC:-clang}
CFLAGS_WASM="--target=wasm32-wasi --sysroot=/usr -O2 -Wall -Wextra -Werror"

# Usage.
expect "help" 0 "$WEFT" bindgen --help
has "help" "usage: weft bindgen c" "$out"
expect "help via weft help" 0 "$WEFT" help bindgen
has "help via weft help" "--world" "$out"
expect "listed" 0 "$WEFT" --help
has "listed" "bindgen " "$out"
expect "no language" 2 "$WEFT" bindgen
has "no language" "no language given" "$err"
expect "bad language" 2 "$WEFT" bindgen rust wit -o "$TMP/x"
has "bad language" "unknown language 'rust'" "$err"
expect "no package" 2 "$WEFT" bindgen c -o "$TMP/x"
has "no package" "no WIT package given" "$err"
expect "no -o" 2 "$WEFT" bindgen c "$ROOT/wit/spin-timer"
has "no -o" "no output directory given" "$err"
expect "extra argument" 2 "$WEFT" bindgen c a b -o "$TMP/x"
has "extra argument" "unexpected argument 'b'" "$err"
expect "bad option" 2 "$WEFT" bindgen c --frob "$ROOT/wit/spin-timer"
expect "missing option value" 2 "$WEFT" bindgen c "$ROOT/wit/spin-timer" -o

# Bad WIT: one line naming file:line:col; nothing written.
mkdir "$TMP/bad"
printf 'package a:b;\n\nworld w {\n  export f: func() -> nope;\n}\n' \
  >"$TMP/bad/w.wit"
expect "bad wit" 1 "$WEFT" bindgen c "$TMP/bad" -o "$TMP/bad-out"
same "bad wit" "weft: $TMP/bad/w.wit:4:23: unknown type 'nope'" "$err"
[ ! -e "$TMP/bad-out" ] && ok || not_ok "bad wit wrote files"
expect "missing package" 1 "$WEFT" bindgen c "$TMP/nope" -o "$TMP/x"
has "missing package" "cannot open '$TMP/nope'" "$err"
expect "unknown world" 1 "$WEFT" bindgen c "$ROOT/wit/torvyn" -w nope \
  -o "$TMP/x"
same "unknown world" "weft: unknown world 'nope'" "$err"
expect "several worlds" 1 "$WEFT" bindgen c "$ROOT/wit/torvyn" -o "$TMP/x"
has "several worlds" "choose one of" "$err"

# What C cannot express fails naming where.
mkdir "$TMP/fut"
printf 'package a:b;\n\nworld w {\n  export f: func() -> future<u8>;\n}\n' \
  >"$TMP/fut/w.wit"
expect "future" 1 "$WEFT" bindgen c "$TMP/fut" -o "$TMP/fut-out"
has "future" "w.wit:4:" "$err"
has "future" "do not support futures" "$err"

# compile NAME DIR BASE: the glue in DIR compiles warning-free.
compile() {
  expect "$1: compiles" 0 "$WASM_CC" $CFLAGS_WASM -I"$2" -c "$2/$3.c" \
    -o "$TMP/$3.o"
}

# Every world Weft ships, generated fresh, compiles; and sdk/c matches.
expect "sdk generate" 0 sh "$ROOT/sdk/c/generate.sh" "$WEFT" "$TMP/sdk"
for h in "$TMP"/sdk/include/*.h; do
  base=$(basename "$h" .h)
  expect "sdk $base: compiles" 0 "$WASM_CC" $CFLAGS_WASM \
    -I"$TMP/sdk/include" -c "$TMP/sdk/src/$base.c" -o "$TMP/$base.o"
done
# weft_json.h, the guests' JSON parser, is written by hand.
run diff -r -x weft_json.h "$ROOT/sdk/c/include" "$TMP/sdk/include"
same "sdk/c/include is fresh (make sdk)" "0" "$rc"
run diff -r "$ROOT/sdk/c/src" "$TMP/sdk/src"
same "sdk/c/src is fresh (make sdk)" "0" "$rc"
n=$(ls "$TMP"/sdk/include/*.h | wc -l)
worlds=$(grep -c '^gen ' "$ROOT/sdk/c/generate.sh")
same "one header per shipped world" "$worlds" "$n"

# Spin's trigger worlds keep Spin's core names (the unversioned package).
has "http-trigger: export name" \
  '__export_name__("fermyon:spin/inbound-http#handle-request")' \
  "$(cat "$TMP/sdk/src/http_trigger.c")"
has "redis-trigger: export name" \
  '__export_name__("fermyon:spin/inbound-redis#handle-message")' \
  "$(cat "$TMP/sdk/src/redis_trigger.c")"

# Worlds named by path, and the defaults: the package's only world.
expect "spin-timer" 0 "$WEFT" bindgen c "$ROOT/wit/spin-timer" -o "$TMP/st"
compile "spin-timer" "$TMP/st" spin_timer
has "spin-timer: import" "void fermyon_spin_variables_get(spin_timer_string_t \
*name, spin_timer_result_string_error_t *ret);" "$(cat "$TMP/st/spin_timer.h")"
has "spin-timer: export" "void exports_spin_timer_handle_timer_request(void);" \
  "$(cat "$TMP/st/spin_timer.h")"
has "spin-timer: import name" \
  '__import_module__("fermyon:spin/variables@2.0.0"), __import_name__("get")' \
  "$(cat "$TMP/st/spin_timer.c")"
expect "same output twice" 0 "$WEFT" bindgen c "$ROOT/wit/spin-timer" \
  -o "$TMP/st2"
run cmp "$TMP/st/spin_timer.c" "$TMP/st2/spin_timer.c"
same "same output twice" "0" "$rc"

# The echo test world: the generated glue compiles, and the echo guest
# built from it has the names and core signatures the canonical ABI asks.
expect "echo" 0 "$WEFT" bindgen c "$ROOT/tests/guests/wit/echo.wit" \
  -o "$TMP/echo"
compile "echo" "$TMP/echo" echo
ECHO=$GUESTS/echo.wasm
if [ -f "$ECHO" ]; then
  expect "inspect echo" 0 "$WEFT" inspect "$ECHO"
  for line in \
    "func cabi_realloc (i32, i32, i32, i32) -> i32" \
    "func weft:test/echoes@0.1.0#echo-string (i32, i32) -> i32" \
    "func cabi_post_weft:test/echoes@0.1.0#echo-string (i32) -> ()" \
    "func weft:test/echoes@0.1.0#echo-u64 (i64) -> i64" \
    "func weft:test/echoes@0.1.0#echo-f32 (f32) -> f32" \
    "func weft:test/echoes@0.1.0#echo-shape (i32, i64, i32, i32, i32) -> i32" \
    "func weft:test/echoes@0.1.0#echo-tuple (i32, i32, i32, f64) -> i32" \
    "func weft:test/echoes@0.1.0#echo-everything (i32) -> i32" \
    "func weft:test/echoes@0.1.0#sum-many (i32) -> i64" \
    "func weft:test/echoes@0.1.0#echo-color (i32) -> i32" \
    "func weft:test/calls@0.1.0#new-counter (i32, i32) -> i32" \
    "func weft:test/calls@0.1.0#read-counter (i32) -> i32" \
    "func weft:test/store@0.1.0#[constructor]blob (i32, i32) -> i32" \
    "func weft:test/store@0.1.0#[method]blob.read (i32) -> i32" \
    "func cabi_post_weft:test/store@0.1.0#[method]blob.read (i32) -> ()" \
    "func weft:test/store@0.1.0#[static]blob.merge (i32, i32) -> i32" \
    "func weft:test/store@0.1.0#[dtor]blob (i32) -> ()" \
    "func hello () -> i32" \
    "func cabi_post_hello (i32) -> ()" \
    "func add (i32, i32) -> i32" \
    "func nothing () -> ()" \
    "func [export]weft:test/store@0.1.0.[resource-new]blob (i32) -> i32" \
    "func weft:test/host@0.1.0.[constructor]counter (i32) -> i32" \
    "func weft:test/host@0.1.0.[method]counter.add (i32, i32) -> i32" \
    "func weft:test/host@0.1.0.[resource-drop]counter (i32) -> ()" \
    "func weft:test/host@0.1.0.log (i32, i32) -> ()" \
    "func weft:test/host@0.1.0.make-point (i32, i32, i32) -> ()" \
    "func weft:test/host@0.1.0.total (i32) -> i32"; do
    has "echo.wasm" "$line" "$out"
  done
  case $out in
  *"cabi_post_weft:test/echoes@0.1.0#echo-u32"*)
    not_ok "echo.wasm: a post-return for a result that owns nothing" ;;
  *) ok ;;
  esac
else
  not_ok "echo.wasm: not built (make guests)"
fi

# The timer example links against the shipped bindings.
TIMER=$ROOT/examples/timer/timer.wasm
if [ -f "$TIMER" ]; then
  expect "inspect timer" 0 "$WEFT" inspect "$TIMER"
  has "timer" "func handle-timer-request () -> ()" "$out"
  has "timer" "func fermyon:spin/variables@2.0.0.get (i32, i32, i32) -> ()" \
    "$out"
else
  not_ok "timer.wasm: not built (make guests)"
fi

finish

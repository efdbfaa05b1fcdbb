#!/bin/sh
# t3000-wit.sh - `weft wit check` and `weft wit print`: every package in
# tests/wit/valid/ checks clean; every package in tests/wit/invalid/ fails
# with exactly the line in its expected-error.txt; printed worlds check
# again and print the same (a round trip); usage errors and exit codes.
. "$(dirname "$0")/lib.sh"

CASES=$ROOT/tests/wit

# in_dir DIR CMD...: run CMD inside DIR (so messages name files from it).
in_dir() {
  (cd "$1" && shift && "$@")
}

for dir in "$CASES"/valid/*/; do
  name=valid/$(basename "$dir")
  expect "$name" 0 in_dir "$dir" "$WEFT" wit check .
  same "$name is silent" "" "$out$err"
done

for dir in "$CASES"/invalid/*/; do
  name=invalid/$(basename "$dir")
  expect "$name" 1 in_dir "$dir" "$WEFT" wit check .
  same "$name message" "$(cat "$dir/expected-error.txt")" "$err"
  same "$name prints nothing" "" "$out"
done

# Messages name files from the directory given.
expect "path in messages" 1 "$WEFT" wit check "$CASES/invalid/unknown-type"
same "path in messages" \
  "weft: $CASES/invalid/unknown-type/world.wit:6:8: unknown type 'foo'" \
  "$err"
expect "trailing slash" 1 "$WEFT" wit check "$CASES/invalid/unknown-type/"
has "trailing slash" "unknown-type/world.wit:6:8:" "$err"

# round_trip NAME CASE [--world W]: print, check the output alone, print
# it again: the same text.
round_trip() {
  _n=$1 _case=$2
  shift 2
  rm -rf "$TMP/rt" && mkdir "$TMP/rt"
  expect "$_n: print" 0 "$WEFT" wit print "$CASES/valid/$_case" "$@"
  printf '%s\n' "$out" >"$TMP/rt/printed.wit"
  _first=$out
  _world=$(sed -n 's/^world %\{0,1\}\([^ ]*\) {$/\1/p' "$TMP/rt/printed.wit")
  expect "$_n: check printed" 0 "$WEFT" wit check "$TMP/rt"
  expect "$_n: print printed" 0 "$WEFT" wit print "$TMP/rt" -w "$_world"
  same "$_n: round trip" "$_first" "$out"
}

for dir in "$CASES"/valid/*/; do
  c=$(basename "$dir")
  run "$WEFT" wit print "$dir"
  if [ "$rc" = 0 ]; then
    round_trip "print $c" "$c"
  else
    for w in $(echo "$err" | sed -n "s/.*choose one of //p" | tr -d "',"); do
      round_trip "print $c --world $w" "$c" --world "$w"
    done
  fi
done

# The Spin world, exactly.
expect "spin print" 0 "$WEFT" wit print "$CASES/valid/spin-timer"
same "spin print" "package fermyon:spin-timer@2.0.0;

/// The world a timer-triggered Spin component targets.
world spin-timer {
  import fermyon:spin/variables@2.0.0;
  /// Called each time the timer fires.
  export handle-timer-request: func();
}

package fermyon:spin@2.0.0 {
  interface variables {
    /// The set of errors which may be raised by functions in this interface.
    variant error {
      /// The provided variable name is invalid.
      invalid-name(string),
      /// The provided variable is undefined.
      undefined(string),
      /// A variables provider specific error has occurred.
      provider(string),
      /// Some implementation-specific error has occurred.
      other(string),
    }
    /// Get an application variable value for the current component.
    ///
    /// The name must match one defined in in the component manifest.
    get: func(name: string) -> result<string, error>;
  }
}" "$out"

# Includes expanded and implicit imports written out.
expect "include print" 0 "$WEFT" wit print "$CASES/valid/include-with" \
  --world three
same "include print" "package test:includes;

world three {
  import a;
  import x: func();
  import x2: func();
  export b;
  export y2: func();
}

interface a {
  f: func();
}

interface b {
  g: func();
}" "$out"
expect "implicit print" 0 "$WEFT" wit print --world exporter \
  "$CASES/valid/implicit-imports"
has "implicit: base first" "world exporter {
  import base;
  import mid;
  export top;
}" "$out"

# World selection.
expect "several worlds" 1 "$WEFT" wit print "$CASES/valid/implicit-imports"
same "several worlds" "weft: package 'test:implicit' has 3 worlds, \
choose one of 'exporter', 'both', 'late'" "$err"
expect "unknown world" 1 "$WEFT" wit print "$CASES/valid/spin-timer" -w x
same "unknown world" "weft: unknown world 'x'" "$err"
expect "world by path" 0 "$WEFT" wit print "$CASES/valid/spin-timer" \
  --world fermyon:spin/platform@2.0.0
has "world by path" "world platform {" "$out"
expect "check --world" 0 "$WEFT" wit check -w spin-timer \
  "$CASES/valid/spin-timer"
expect "check unknown --world" 1 "$WEFT" wit check --world=nope \
  "$CASES/valid/spin-timer"
same "check unknown --world" "weft: unknown world 'nope'" "$err"
expect "no world" 1 "$WEFT" wit print "$CASES/valid/deps-forms/deps/bundle"
has "no world" "missing package declaration" "$err"

# A single file is a package on its own.
expect "single file" 0 "$WEFT" wit check "$CASES/valid/single-file/only.wit"
expect "single file print" 0 "$WEFT" wit print \
  "$CASES/valid/single-file/only.wit"
has "single file print" "package local:dep {" "$out"

# I/O errors.
expect "missing dir" 1 "$WEFT" wit check "$TMP/nope"
has "missing dir" "cannot open '$TMP/nope'" "$err"
mkdir "$TMP/empty"
expect "empty dir" 1 "$WEFT" wit check "$TMP/empty"
same "empty dir" "weft: no .wit files in '$TMP/empty'" "$err"

# Usage.
expect "help" 0 "$WEFT" wit --help
has "help" "usage: weft wit check" "$out"
expect "help via weft help" 0 "$WEFT" help wit
has "help via weft help" "--world" "$out"
expect "listed" 0 "$WEFT" --help
has "listed" "wit " "$out"
expect "no command" 2 "$WEFT" wit
has "no command" "no command given" "$err"
expect "bad command" 2 "$WEFT" wit frob x
has "bad command" "unknown command 'frob'" "$err"
expect "no dir" 2 "$WEFT" wit check
has "no dir" "no package directory given" "$err"
expect "extra argument" 2 "$WEFT" wit check a b
has "extra argument" "unexpected argument 'b'" "$err"
expect "bad option" 2 "$WEFT" wit check --frob x
expect "missing option value" 2 "$WEFT" wit print x --world

finish

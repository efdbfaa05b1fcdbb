#!/bin/sh
# spec.sh - run the WebAssembly 2.0 spec suite through `weft spectest`.
#
# Converts each $CONFORMANCE/wasm-spec/NAME.wast (CONFORMANCE defaults to
# ../shared/conformance) with wast2json into $BUILD/spec/NAME/ (BUILD
# defaults to build; relative paths are taken from the repository root),
# builds the "spectest" module from tests/conformance/spectest.wat, and runs
# $BUILD/weft spectest over the scripts, two at a time, compiling into the
# cache $BUILD/spec-cache so that reruns are fast.
#
# WEFT_SPEC_ALL=1 (make conformance) runs every script. Otherwise (make
# test) it runs SUBSET below: one script or more for every command kind
# and feature. WEFT_SPEC_JOBS sets how many scripts run at once (2).
#
# Prints the failures not listed in tests/conformance/spec-expected-
# failures.txt, one line per script, and, last, "N passed, N failed,
# N skipped", where failed counts only unlisted failures and skipped counts
# commands not run (text modules) and listed failures. Exits 1 on an
# unlisted failure.

set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
CONFORMANCE=${CONFORMANCE:-../shared/conformance}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
case $CONFORMANCE in /*) ;; *) CONFORMANCE=$ROOT/$CONFORMANCE ;; esac
WEFT=$BUILD/weft
SPEC=$CONFORMANCE/wasm-spec
OUT=$BUILD/spec
EXPECTED=$ROOT/tests/conformance/spec-expected-failures.txt
JOBS=${WEFT_SPEC_JOBS:-2}
WEFT_CACHE_DIR=$BUILD/spec-cache
export WEFT_CACHE_DIR

# The default subset: about one minute on two idle cores with a cold cache
# (nearly all of it compiling modules; 15 s warm), under three when other
# work loads the machine; the whole suite takes two and a half minutes idle,
# five and a half loaded. It covers every command kind:
# module, register and assert_unlinkable (imports, linking, ref_func,
# elem), action (start, bulk, table_get, ref_is_null), assert_return
# (with NaN patterns: f32, f64, conversions; references: ref_is_null,
# ref_func, table_get), assert_trap (every trap kind: traps, conversions,
# call_indirect, memory_trap, address, unreachable; at instantiation:
# linking, elem), assert_exhaustion (call, fac, skip-stack-guard-page),
# assert_uninstantiable (start, linking, elem, data), assert_invalid
# (unreached-invalid, global, func, block), assert_malformed in binary
# (binary, custom, utf8-import-field) and in text (skipped: global, func);
# and every feature: the spectest module's imports (imports), multi-value
# (block, func), memories and bulk memory (memory, memory_grow, bulk),
# tables and reference types (table_grow, table_fill, table_set, elem),
# globals, start functions, names, the stack guard.
SUBSET="address binary block bulk call call_indirect conversions custom data
elem f32 f64 fac func global i32 i64 imports linking memory memory_grow
memory_trap names ref_func ref_is_null skip-stack-guard-page start
table_fill table_get table_grow table_set traps unreachable
unreached-invalid unwind utf8-import-field"

die() {
  echo "spec.sh: $*" >&2
  exit 2
}

[ -x "$WEFT" ] || die "$WEFT is missing; run make first"
[ -d "$SPEC" ] || die "no spec suite in $SPEC (set CONFORMANCE)"
command -v wast2json >/dev/null || die "wast2json not found (install wabt)"
command -v wat2wasm >/dev/null || die "wat2wasm not found (install wabt)"

if [ "${WEFT_SPEC_ALL:-0}" = 1 ]; then
  NAMES=$(cd "$SPEC" && ls -- *.wast | sed 's/\.wast$//')
else
  NAMES=$SUBSET
fi

mkdir -p "$OUT" || exit 2
SPECTEST=$OUT/spectest.wasm
if [ ! -f "$SPECTEST" ] ||
  [ "$ROOT/tests/conformance/spectest.wat" -nt "$SPECTEST" ]; then
  wat2wasm "$ROOT/tests/conformance/spectest.wat" -o "$SPECTEST" ||
    die "cannot build $SPECTEST"
fi

# Convert each script again when its .wast is newer than its .json.
LIST=$OUT/list
: >"$LIST"
for n in $NAMES; do
  [ -f "$SPEC/$n.wast" ] || die "no script '$SPEC/$n.wast'"
  d=$OUT/$n
  if [ ! -f "$d/$n.json" ] || [ "$SPEC/$n.wast" -nt "$d/$n.json" ]; then
    rm -rf "$d"
    mkdir -p "$d"
    if ! wast2json "$SPEC/$n.wast" -o "$d/$n.json" >"$d/wast2json.log" 2>&1
    then
      rm -f "$d/$n.json"
    fi
  fi
  rm -f "$d/log" "$d/rc" "$d/time"
  echo "$n" >>"$LIST"
done

# Run the scripts, $JOBS at a time, those with the most modules to
# compile first; each leaves log, rc and time (ms) in its directory.
while read -r n; do
  c=0
  [ -f "$OUT/$n/$n.json" ] && c=$(grep -cE \
    '"type": "(module|assert_unlinkable|assert_uninstantiable)"' \
    "$OUT/$n/$n.json")
  echo "$c $n"
done <"$LIST" | sort -rn | cut -d' ' -f2 >"$OUT/order"
export WEFT OUT SPECTEST
xargs -n 1 -P "$JOBS" sh -c '
  d=$OUT/$1
  [ -f "$d/$1.json" ] || exit 0
  t0=$(date +%s%N)
  "$WEFT" spectest --spectest "$SPECTEST" "$d/$1.json" >"$d/log" 2>&1
  echo $? >"$d/rc"
  echo $((($(date +%s%N) - t0) / 1000000)) >"$d/time"
' sh <"$OUT/order"

# The expected failures, one "NAME.wast" or "NAME.wast:LINE" a line.
XLIST=$OUT/expected
: >"$XLIST"
if [ -f "$EXPECTED" ]; then
  sed 's/#.*//' "$EXPECTED" | tr -d ' \t' | grep . >"$XLIST"
fi

passed=0
failed=0
skipped=0
xfailed=0
while read -r n; do
  d=$OUT/$n
  if [ ! -f "$d/$n.json" ]; then
    echo "$n.wast: wast2json failed: $(head -c 300 "$d/wast2json.log")"
    failed=$((failed + 1))
    continue
  fi
  line=$(grep -E "^$n\.wast: [0-9]+ passed" "$d/log" | tail -1)
  if [ -z "$line" ]; then
    echo "$n.wast: weft spectest ended with status $(cat "$d/rc")" \
      "(log: $d/log)"
    tail -n 5 "$d/log" | sed 's/^/    /'
    if grep -qxF "$n.wast" "$XLIST"; then xfailed=$((xfailed + 1)); else
      failed=$((failed + 1))
    fi
    continue
  fi
  p=$(echo "$line" | sed 's/.*: \([0-9]*\) passed.*/\1/')
  s=$(echo "$line" | sed 's/.* \([0-9]*\) skipped.*/\1/')
  # Failure lines "NAME.wast:LINE: what: why": print the unlisted ones.
  grep -E "^$n\.wast:[0-9]+: " "$d/log" >"$d/failures"
  fx=$(awk -v whole="$n.wast" -v out="$d/unexpected" '
    FILENAME == ARGV[1] { listed[$0] = 1; next }
    {
      split($0, a, ":")
      if (listed[whole] || listed[a[1] ":" a[2]]) x++
      else { f++; print substr($0, 1, 300) > out }
    }
    END { print f + 0, x + 0 }' "$XLIST" "$d/failures")
  f=${fx% *}
  x=${fx#* }
  [ "$f" = 0 ] || cat "$d/unexpected"
  rm -f "$d/unexpected"
  printf '%-40s %5d passed, %d failed, %d skipped, %d expected (%d.%d s)\n' \
    "$n.wast:" "$p" "$f" "$s" "$x" "$(($(cat "$d/time") / 1000))" \
    "$(($(cat "$d/time") % 1000 / 100))"
  passed=$((passed + p))
  failed=$((failed + f))
  skipped=$((skipped + s))
  xfailed=$((xfailed + x))
done <"$LIST"

# Entries that no longer fail.
while IFS= read -r e; do
  n=${e%%.wast*}
  grep -qxF "$n" "$LIST" || continue
  case $e in
  *:*) grep -q "^$e: " "$OUT/$n/failures" 2>/dev/null ;;
  *) [ -s "$OUT/$n/failures" ] || ! [ -f "$OUT/$n/$n.json" ] ||
    ! grep -q "^$n\.wast: [0-9]* passed" "$OUT/$n/log" ;;
  esac || echo "note: $e passes; remove it from $EXPECTED"
done <"$XLIST"

echo "spec: $xfailed expected failures (listed in" \
  "tests/conformance/spec-expected-failures.txt), counted as skipped"
echo "$passed passed, $failed failed, $((skipped + xfailed)) skipped"
[ "$failed" = 0 ]

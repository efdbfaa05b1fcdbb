#!/bin/sh
# run.sh - run every test suite and print one closing line for CI:
# "N passed, N failed". Each suite's output goes to $BUILD/test-logs/;
# a failing suite's log is shown. Suites: unit tests (cmocka), end-to-end
# scripts (tests/e2e/t*.sh) and conformance (tests/conformance/*.sh).
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
CONFORMANCE=${CONFORMANCE:-../shared/conformance}
# A local clone (git clone /work/main /tmp/x) has no ../shared beside it:
# use the one beside the repository it was cloned from.
case $CONFORMANCE in /*) conf=$CONFORMANCE ;; *) conf=$PWD/$CONFORMANCE ;; esac
origin=$(git config --get remote.origin.url 2>/dev/null || true)
if [ ! -d "$conf" ] && [ -d "$origin/$CONFORMANCE" ]; then
  echo "run.sh: no $conf; using $origin/$CONFORMANCE" >&2
  CONFORMANCE=$(cd "$origin/$CONFORMANCE" && pwd)
fi
export BUILD CONFORMANCE
LOGS=$BUILD/test-logs
mkdir -p "$LOGS"
passed=0
failed=0

# count NAME LOG RC: add the counts a suite printed to the totals.
count() {
  name=$1 log=$2 rc=$3
  # cmocka: "[  PASSED  ] 3 test(s)." / "[  FAILED  ] 1 test(s), listed..."
  p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
  f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
  if [ -z "$p$f" ]; then
    line=$(grep -E '^([A-Za-z-]+: )?[0-9]+ passed, [0-9]+ failed' "$log" |
      tail -1)
    p=$(echo "$line" | sed -n 's/.*\b\([0-9][0-9]*\) passed.*/\1/p')
    f=$(echo "$line" | sed -n 's/.* \([0-9][0-9]*\) failed.*/\1/p')
  fi
  p=${p:-0}
  f=${f:-0}
  if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
    f=1 # crashed or failed without saying how many
  fi
  passed=$((passed + p))
  failed=$((failed + f))
  if [ "$f" != 0 ]; then
    printf '%-28s %5s passed, %s failed  (log: %s)\n' "$name" "$p" "$f" "$log"
    tail -n 30 "$log" | sed 's/^/    /'
  else
    printf '%-28s %5s passed\n' "$name" "$p"
  fi
}

suite() {
  name=$1
  shift
  log=$LOGS/$(echo "$name" | tr / -).log
  "$@" >"$log" 2>&1 </dev/null
  count "$name" "$log" $?
}

for src in tests/unit/*_test.c; do
  t=$BUILD/tests/$(basename "$src" .c)
  suite "unit/$(basename "$t")" "$t"
done
for s in tests/e2e/t*.sh; do
  [ -f "$s" ] || continue
  suite "e2e/$(basename "$s" .sh)" sh "$s"
done
for s in tests/conformance/*.sh; do
  [ -f "$s" ] || continue
  suite "conformance/$(basename "$s" .sh)" sh "$s"
done

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]

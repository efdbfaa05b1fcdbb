# lib.sh - sourced by every end-to-end script tests/e2e/tNNNN-*.sh.
#
# Each script runs the real weft binary and checks its stdout, stderr and
# exit code with the helpers below, then calls `finish`, which prints
# "N passed, N failed" and exits non-zero on any failure.

set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
WEFT=${WEFT:-$BUILD/weft}
GUESTS=$BUILD/guests
TMP=$(mktemp -d "${TMPDIR:-/tmp}/weft-e2e.XXXXXX")
export WEFT_CACHE_DIR=${WEFT_CACHE_DIR:-$BUILD/test-cache}
trap 'rm -rf "$TMP"' EXIT
_pass=0
_fail=0

ok() { _pass=$((_pass + 1)); }
not_ok() {
  _fail=$((_fail + 1))
  echo "FAIL: $1" >&2
  [ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/  | /' >&2
  return 0
}

# run CMD...: run a command, capturing $out, $err and $rc.
run() {
  "$@" >"$TMP/out" 2>"$TMP/err" </dev/null
  rc=$?
  out=$(cat "$TMP/out")
  err=$(cat "$TMP/err")
}

# expect NAME CODE CMD...: CMD exits with CODE.
expect() {
  _name=$1 _code=$2
  shift 2
  run "$@"
  if [ "$rc" = "$_code" ]; then ok; else
    not_ok "$_name: exit $rc, expected $_code" "$out
$err"
  fi
}

# has NAME TEXT HAYSTACK: HAYSTACK contains TEXT.
has() {
  case $3 in *"$2"*) ok ;; *) not_ok "$1: missing '$2'" "$3" ;; esac
}

# same NAME EXPECTED ACTUAL: the two strings are equal.
same() {
  if [ "$2" = "$3" ]; then ok; else
    not_ok "$1: differs" "expected: $2
actual:   $3"
  fi
}

finish() {
  echo "$_pass passed, $_fail failed"
  [ "$_fail" = 0 ]
}

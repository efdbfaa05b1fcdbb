#!/bin/sh
# toml.sh - run Weft's TOML parser against the toml-test corpus.
#
# Uses $BUILD/tests/toml_test (BUILD defaults to build) on
# $CONFORMANCE/toml-test (CONFORMANCE defaults to ../shared/conformance);
# relative paths are taken from the repository root. Prints one line per
# failure and ends with "N passed, N failed". Exits non-zero if a file fails
# that tests/conformance/toml-expected-failures.txt does not list.

set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
CONFORMANCE=${CONFORMANCE:-../shared/conformance}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
case $CONFORMANCE in /*) ;; *) CONFORMANCE=$ROOT/$CONFORMANCE ;; esac
TOOL=$BUILD/tests/toml_test
CORPUS=$CONFORMANCE/toml-test

if [ ! -x "$TOOL" ]; then
  echo "toml.sh: $TOOL is missing; run make first" >&2
  exit 2
fi
if [ ! -d "$CORPUS/valid" ] || [ ! -d "$CORPUS/invalid" ]; then
  echo "toml.sh: no toml-test corpus in $CORPUS (set CONFORMANCE)" >&2
  exit 2
fi
exec "$TOOL" --run "$CORPUS" \
  --expected "$ROOT/tests/conformance/toml-expected-failures.txt"

#!/bin/sh
# t6000-flow-check.sh - `weft flow check`: each good flow file in
# tests/flows/good/ passes with the tests' minimal components of each
# role; each bad one in tests/flows/bad/ fails with exactly the message
# on its first line ("# error: ..."); a component that does not fit its
# role, or is missing, is named with its node; the default file, --flow,
# --json, --help and usage errors; and `weft inspect` names a
# component's role and world.
. "$(dirname "$0")/lib.sh"

GOOD=$TMP/good
mkdir -p "$GOOD"
for r in source processor filter router aggregator sink; do
  cp "$GUESTS/${r}_min.wasm" "$GOOD/" 2>/dev/null ||
    not_ok "$GUESTS/${r}_min.wasm is missing (make guests)"
done
cp "$GUESTS/sink_as_processor.wasm" "$GOOD/" 2>/dev/null ||
  not_ok "$GUESTS/sink_as_processor.wasm is missing (make guests)"
cp "$ROOT"/tests/flows/good/*.toml "$GOOD/"

# stderr without the compile progress lines of a cold cache.
quiet() { grep -v '^weft: compil' "$TMP/err"; }

# ---- good files -------------------------------------------------------------

expect "basic.toml is valid" 0 "$WEFT" flow check -f "$GOOD/basic.toml"
same "basic.toml: one line" "flow main: ok (3 nodes, 2 edges)" "$out"
same "basic.toml: nothing on stderr" "" "$(quiet)"

expect "all-roles.toml is valid" 0 "$WEFT" flow check -f "$GOOD/all-roles.toml"
same "all-roles.toml: a line per flow" "flow pipeline: ok (7 nodes, 7 edges)
flow short: ok (2 nodes, 1 edge)" "$out"
same "all-roles.toml: nothing on stderr" "" "$(quiet)"

# ---- bad files: exactly the line each names ----------------------------------

nbad=0
for f in "$ROOT"/tests/flows/bad/*.toml; do
  name=${f##*/}
  want="weft: $(head -n 1 "$f" | sed 's/^# error: //')"
  (cd "$ROOT/tests/flows/bad" && run "$WEFT" flow check -f "$name" &&
    printf '%s\n%s\n' "$rc" "$err" >"$TMP/bad")
  got_rc=$(head -n 1 "$TMP/bad")
  got=$(tail -n +2 "$TMP/bad")
  if [ "$got_rc" = 1 ] && [ "$got" = "$want" ]; then ok; else
    not_ok "$name: exit $got_rc" "expected: $want
actual:   $got"
  fi
  nbad=$((nbad + 1))
done
[ "$nbad" -ge 40 ] && ok || not_ok "only $nbad bad flow files"

# ---- components -------------------------------------------------------------

# A sink declared as a processor: the node, the role, what is missing.
sed 's/processor_min.wasm/sink_as_processor.wasm/' "$GOOD/basic.toml" \
  >"$GOOD/misfit.toml"
expect "a sink as a processor" 1 "$WEFT" flow check -f "$GOOD/misfit.toml"
has "misfit: the node and the role" \
  "misfit.toml:10: node 'up' of flow 'main' is not a processor: " "$err"
has "misfit: what is missing" \
  "does not export 'torvyn:streaming/processor@0.1.0#process'" "$err"
same "misfit: nothing on stdout" "" "$out"

sed 's/sink_min.wasm/gone.wasm/' "$GOOD/basic.toml" >"$GOOD/missing.toml"
expect "a missing component" 1 "$WEFT" flow check -f "$GOOD/missing.toml"
same "missing: the node and the file" \
  "weft: $GOOD/missing.toml:14: node 'out' of flow 'main': component \
'$GOOD/gone.wasm' not found" "$(quiet)"
same "missing: no flow reported valid" "" "$out"

# A module that is not a component of the role's world at all.
cp "$GUESTS/traps.wasm" "$GOOD/"
sed 's/source_min.wasm/traps.wasm/' "$GOOD/basic.toml" >"$GOOD/plain.toml"
expect "a plain module" 1 "$WEFT" flow check -f "$GOOD/plain.toml"
has "plain: not a source" "node 'src' of flow 'main' is not a source: " \
  "$err"

# ---- the file, --flow, --json ----------------------------------------------

cp "$GOOD/basic.toml" "$GOOD/Torvyn.toml"
(cd "$GOOD" && run "$WEFT" flow check && echo "$rc $out" >"$TMP/dflt")
same "Torvyn.toml in the working directory" \
  "0 flow main: ok (3 nodes, 2 edges)" "$(cat "$TMP/dflt")"
expect "-f DIR" 0 "$WEFT" flow check -f "$GOOD"
same "-f DIR: its Torvyn.toml" "flow main: ok (3 nodes, 2 edges)" "$out"
expect "no flow file in DIR" 1 "$WEFT" flow check -f "$TMP"
same "no flow file: message" \
  "weft: no Torvyn.toml or weft-flow.toml in '$TMP'" "$err"

expect "--flow NAME" 0 "$WEFT" flow check -f "$GOOD/all-roles.toml" \
  --flow short
same "--flow: only that flow" "flow short: ok (2 nodes, 1 edge)" "$out"
expect "--flow with no such flow" 1 "$WEFT" flow check --flow nope \
  -f "$GOOD/basic.toml"
same "--flow: message" "weft: no flow 'nope' in '$GOOD/basic.toml'" "$err"

expect "--json" 0 "$WEFT" flow check --json -f "$GOOD/basic.toml"
has "--json: ok" '"ok": true' "$out"
has "--json: the order" '"order": [' "$out"
has "--json: a node's world" \
  '"world": "torvyn:streaming/processor-stage@0.1.0"' "$out"
expect "--json, invalid" 1 "$WEFT" flow check --json -f "$GOOD/misfit.toml"
has "--json, invalid: not ok" '"ok": false' "$out"
has "--json, invalid: the error" '"error": "' "$out"

# ---- the command line ------------------------------------------------------

expect "--help" 0 "$WEFT" flow check --help
has "--help: usage" "usage: weft flow check [-f FILE|DIR] [--flow NAME]" \
  "$out"
has "--help: exit status" "exit status:" "$out"
expect "an argument" 2 "$WEFT" flow check extra
has "an argument: named" "unexpected argument 'extra'" "$err"
expect "an unknown option" 2 "$WEFT" flow check --colour
expect "-f without a value" 2 "$WEFT" flow check -f
expect "--json=x" 2 "$WEFT" flow check --json=x

# ---- weft inspect names the role --------------------------------------------

for r in source processor filter router aggregator sink; do
  case $r in
  filter | router) pkg=filtering ;;
  aggregator) pkg=aggregation ;;
  *) pkg=streaming ;;
  esac
  expect "inspect ${r}_min.wasm" 0 "$WEFT" inspect "$GUESTS/${r}_min.wasm"
  has "inspect: the $r role" \
    "component: torvyn $r (torvyn:$pkg/$r-stage@0.1.0)" "$out"
done
expect "inspect --json" 0 "$WEFT" inspect --json \
  "$GUESTS/processor_min.wasm"
has "inspect --json: components" '"role": "processor"' "$out"
expect "inspect a timer component" 0 "$WEFT" inspect \
  "$GUESTS/timer_count.wasm"
has "inspect: a Spin timer" \
  "component: spin timer (fermyon:example/spin-timer)" "$out"
expect "inspect a plain module" 0 "$WEFT" inspect "$GUESTS/traps.wasm"
case $out in *component:*) not_ok "inspect: a plain module is no component" \
  "$out" ;; *) ok ;; esac

finish

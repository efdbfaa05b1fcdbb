#!/bin/sh
# t7300-unit-step.sh - what one `weft unit step` runs (#7): cycles the
# unit scheduled that fell due run at their due times, up to the policy's
# max_per_step; and a message is delivered once: a copy in the inbox, an
# old message put back, or one with a broken signature is dropped, and a
# replay that got into the lineage (the file's index removed) fails
# `weft unit verify`.
. "$(dirname "$0")/lib.sh"

TICK=$GUESTS/unit_tick.wasm
[ -f "$TICK" ] || not_ok "$TICK is missing (make guests)"
export WEFT_HOME=$TMP/host
U=$TMP/u.unit
"$WEFT" keygen -o "$TMP/k.key" >/dev/null
"$WEFT" unit new --code "$TICK" --schema "$ROOT/tests/units/tick-schema.toml" \
  --policy "$ROOT/tests/units/tick-policy.toml" --owner "$TMP/k.key" \
  -o "$U" >/dev/null 2>&1 || not_ok "new"

# ---- max_per_step -----------------------------------------------------------
expect "first step" 0 "$WEFT" unit step "$U"
same "the first step runs one cycle" 1 "$(printf '%s\n' "$out" | wc -l)"
sleep 1
# More than three cycles (100 ms apart) are due: the step runs three.
expect "a step behind schedule" 0 "$WEFT" unit step "$U"
same "it runs max_per_step cycles" 3 "$(printf '%s\n' "$out" | wc -l)"
has "the cycles go on" "cycle 4: ok: n=4" "$out"
times=$(printf '%s\n' "$out" | sed -n 's/.* t=\([0-9]*\).*/\1/p')
t2=$(printf '%s\n' "$times" | sed -n 1p)
t3=$(printf '%s\n' "$times" | sed -n 2p)
t4=$(printf '%s\n' "$times" | sed -n 3p)
same "each at its due time, 100 ms apart" "100 100" \
  "$((t3 - t2)) $((t4 - t3))"
run "$WEFT" unit history "$U"
t1=$(printf '%s\n' "$out" | sed -n 's/^1 cycle t=\([0-9]*\).*/\1/p')
same "the first catch-up is due 100 ms after cycle 1" 100 "$((t2 - t1))"
expect "the catch-up verifies and replays" 0 "$WEFT" unit verify --replay \
  "$U"

# ---- replays -------------------------------------------------------------
echo hi >"$TMP/hi"
cols="sender, kind, body, nonce, sig"
"$WEFT" unit send "$U" --message "$TMP/hi" --key "$TMP/k.key" \
  --kind ping >/dev/null
sqlite3 "$U" "INSERT INTO inbox($cols) SELECT $cols FROM inbox"
expect "a step with a message twice in the inbox" 0 "$WEFT" unit step "$U"
has "delivers it" "got=ping" "$out"
case $out in *"got=ping got=ping"*) not_ok "delivered twice" "$out" ;;
  *) ok ;; esac
has "drops the copy" "dropped 1 message from the inbox ('ping': a replay" \
  "$err"

"$WEFT" unit send "$U" --message "$TMP/hi" --key "$TMP/k.key" \
  --kind ping >/dev/null
cp "$U" "$TMP/snap.unit"
expect "deliver a message" 0 "$WEFT" unit step "$U"
has "delivered" "got=ping" "$out"
sqlite3 "$U" "ATTACH '$TMP/snap.unit' AS s;
  INSERT INTO inbox($cols) SELECT $cols FROM s.inbox"
expect "the same message put back" 0 "$WEFT" unit step "$U"
case $out in *got=ping*) not_ok "a replay was delivered" "$out" ;;
  *) ok ;; esac
has "is dropped as delivered before" "a replay (delivered before)" "$err"

sqlite3 "$U" "ATTACH '$TMP/snap.unit' AS s;
  INSERT INTO inbox($cols) SELECT sender, kind, body, nonce + 1, sig
  FROM s.inbox"
expect "a message whose signature does not hold" 0 "$WEFT" unit step "$U"
has "is dropped" "bad signature" "$err"
expect "the unit verifies" 0 "$WEFT" unit verify --replay "$U"

# Without the file's index, a host cannot tell; verify still can.
cp "$U" "$TMP/r.unit"
sqlite3 "$TMP/r.unit" "DELETE FROM seen; ATTACH '$TMP/snap.unit' AS s;
  INSERT INTO inbox($cols) SELECT $cols FROM s.inbox"
"$WEFT" unit step "$TMP/r.unit" >"$TMP/o" 2>&1
has "the index gone, the replay gets in" "got=ping" "$(cat "$TMP/o")"
expect "verify finds the replay" 1 "$WEFT" unit verify "$TMP/r.unit"
has "naming the entry and field" "field 'messages': message 0 replays" "$err"

finish

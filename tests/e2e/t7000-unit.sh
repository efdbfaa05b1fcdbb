#!/bin/sh
# t7000-unit.sh - resident units end to end (#7): keygen, new, step with
# admitted and denied writes, rejected cycles (trap, error, deadline) that
# roll back, verify and --replay, the tamper corpus (one changed byte in
# each kind of field fails verify naming the entry and the field), a fork
# found by --against, a unit moved between two hosts, and kill -9 at
# random points of `weft unit run` leaving a committed cycle.
. "$(dirname "$0")/lib.sh"

PROBE=$GUESTS/unit_probe.wasm
[ -f "$PROBE" ] || not_ok "$PROBE is missing (make guests)"
export WEFT_HOME=$TMP/hostA
U=$TMP/u.unit

expect "keygen" 0 "$WEFT" keygen -o "$TMP/owner.key"
has "keygen prints the public key" "$(cut -d' ' -f2 "$TMP/owner.key.pub")" \
  "$out"
expect "keygen refuses to overwrite" 1 "$WEFT" keygen -o "$TMP/owner.key"
"$WEFT" keygen -o "$TMP/other.key" >/dev/null

expect "new" 0 "$WEFT" unit new --code "$PROBE" \
  --schema "$ROOT/tests/units/probe-schema.toml" \
  --policy "$ROOT/tests/units/probe-policy.toml" \
  --owner "$TMP/owner.key" -o "$U"
expect "new refuses an existing file" 1 "$WEFT" unit new --code "$PROBE" \
  --schema "$ROOT/tests/units/probe-schema.toml" \
  --policy "$ROOT/tests/units/probe-policy.toml" \
  --owner "$TMP/owner.key" -o "$U"

# A bad schema names file:line.
printf '[key.x]\ntype = "integer"\nbogus = 1\n' >"$TMP/bad.toml"
expect "new with a bad schema" 1 "$WEFT" unit new --code "$PROBE" \
  --schema "$TMP/bad.toml" --policy "$ROOT/tests/units/probe-policy.toml" \
  --owner "$TMP/owner.key" -o "$TMP/bad.unit"
has "the schema error names file:line" "bad.toml:3: unknown key 'bogus'" \
  "$err"

expect "step 1" 0 "$WEFT" unit step "$U"
has "step 1 reports its cycle" "cycle 1: ok: n=1" "$out"
expect "step 2" 0 "$WEFT" unit step "$U"

# Admitted and denied writes.
echo 5 >"$TMP/5"
echo 50 >"$TMP/50"
echo 2 >"$TMP/2"
expect "write 5" 0 "$WEFT" unit step "$U" --message "$TMP/5" \
  --key "$TMP/other.key" --kind write
has "write 5 admitted" "w=5" "$out"
expect "write 50" 0 "$WEFT" unit step "$U" --message "$TMP/50" \
  --key "$TMP/other.key" --kind write
has "write 50 denied by max-change" "w denied: max-change" "$out"
expect "write 2" 0 "$WEFT" unit step "$U" --message "$TMP/2" \
  --key "$TMP/other.key" --kind write
has "write 2 denied by monotonic" "w denied: monotonic" "$out"
expect "a kind the policy does not know" 1 "$WEFT" unit step "$U" \
  --message "$TMP/2" --key "$TMP/other.key" --kind nope

# Rejected cycles roll back: n goes on from where it was.
for k in trap fail loop; do
  expect "step with $k" 0 "$WEFT" unit step "$U" --message "$TMP/2" \
    --key "$TMP/other.key" --kind $k
  has "$k is rejected" "rejected" "$out"
done
expect "step after the rejected ones" 0 "$WEFT" unit step "$U"
has "memory rolled back" "n=6" "$out"

# Messages queued with send are delivered by the next step.
echo 12 >"$TMP/12"
expect "send" 0 "$WEFT" unit send "$U" --message "$TMP/12" \
  --key "$TMP/other.key" --kind write
expect "step delivers the queue" 0 "$WEFT" unit step "$U"
has "the queued write" "w=12" "$out"

expect "show" 0 "$WEFT" unit show "$U"
has "show lists the state" "w = 12" "$out"
expect "history" 0 "$WEFT" unit history "$U"
has "history shows a denial" "w:denied:max-change" "$out"
has "history shows a rejection" "rejected" "$out"
expect "verify" 0 "$WEFT" unit verify "$U"
has "verify counts entries" "verified 11 entries" "$out"
expect "verify --replay" 0 "$WEFT" unit verify --replay "$U"

# ---- the tamper corpus ----------------------------------------------------
# tamper NAME SQL FIELD: on a copy, run SQL; verify must fail naming FIELD.
tamper() {
  cp "$U" "$TMP/t.unit"
  sqlite3 "$TMP/t.unit" "$2" || not_ok "$1: sqlite3 failed"
  run "$WEFT" unit verify "$TMP/t.unit"
  if [ "$rc" = 1 ]; then ok; else not_ok "$1: verify exit $rc" "$out"; fi
  has "$1: names the field" "$3" "$err"
}
# Fixed-size fields get other random bytes of the same size; the code
# gets one byte appended.
tamper "code" "UPDATE code SET bytes = bytes || x'00'" "entry 0: field 'extra'"
tamper "schema" "UPDATE meta SET value = CAST(replace(CAST(value AS TEXT), 'max = 100', 'max = 101') AS BLOB) WHERE name = 'schema'" "entry 0: field 'extra'"
tamper "policy" "UPDATE policy SET text = CAST(replace(CAST(text AS TEXT), 'max_change = 10', 'max_change = 11') AS BLOB)" "entry 0: field 'extra'"
tamper "state value" "UPDATE state SET value = x'0100000000000000ff' WHERE key = 'n'" "state: key 'n'"
tamper "memory page" "UPDATE pages SET data = randomblob(4096) WHERE idx = (SELECT min(idx) FROM pages)" "field 'data'"
tamper "entry time" "UPDATE entries SET time_ms = time_ms + 1 WHERE seq = 3" "entry 3: field 'hash'"
tamper "entry prev" "UPDATE entries SET prev = randomblob(32) WHERE seq = 4" "entry 4: field 'prev'"
tamper "entry seed" "UPDATE entries SET seed = randomblob(32) WHERE seq = 2" "entry 2: field 'hash'"
tamper "entry message" "UPDATE entries SET messages = CAST(replace(CAST(messages AS BLOB), x'3530', x'3531') AS BLOB) WHERE seq = 4" "entry 4: field 'messages'"
tamper "entry mutation verdict" "UPDATE entries SET mutations = CAST(replace(CAST(mutations AS BLOB), x'0a6d61782d6368616e6765', x'0a6d61782d6368616e6766') AS BLOB) WHERE seq = 4" "entry 4: field 'mutations'"
tamper "entry kv_root" "UPDATE entries SET kv_root = randomblob(32) WHERE seq = 5" "entry 5: field 'kv_root'"
tamper "entry sig" "UPDATE entries SET sig = randomblob(64) WHERE seq = 6" "entry 6: field 'sig'"
tamper "entry host" "UPDATE entries SET host = randomblob(32) WHERE seq = 7" "entry 7: field 'hash'"
tamper "entry note" "UPDATE entries SET note = CAST('x' AS BLOB) WHERE seq = 1" "entry 1: field 'hash'"
tamper "head root" "UPDATE entries SET root = randomblob(32) WHERE seq = (SELECT max(seq) FROM entries)" "entry 10: field 'hash'"
tamper "a deleted entry" "DELETE FROM entries WHERE seq = 5" "entry 5: field 'seq'"

# ---- a fork, and a unit moved between two hosts ----------------------------
cp "$U" "$TMP/a.unit"
cp "$U" "$TMP/b.unit"
WEFT_HOME=$TMP/hostB "$WEFT" unit step "$TMP/b.unit" >/dev/null
expect "b is ahead of a" 0 "$WEFT" unit verify "$TMP/a.unit" \
  --against "$TMP/b.unit"
has "ahead is reported" "ahead: $TMP/b.unit" "$out"
"$WEFT" unit step "$TMP/a.unit" >/dev/null
expect "a fork" 1 "$WEFT" unit verify "$TMP/a.unit" --against "$TMP/b.unit"
has "the fork names the entry" "diverge at entry 11" "$err"

# Host A, then host B, then host A again: each signs its own entries.
cp "$U" "$TMP/m.unit"
WEFT_HOME=$TMP/hostB "$WEFT" unit step "$TMP/m.unit" >/dev/null
"$WEFT" unit step "$TMP/m.unit" >/dev/null
expect "moved unit verifies and replays" 0 "$WEFT" unit verify --replay \
  "$TMP/m.unit"
run "$WEFT" unit history "$TMP/m.unit"
hosts=$(printf '%s\n' "$out" | sed -n 's/.*host=\([0-9a-f]*\).*/\1/p' |
  tail -2 | sort -u | wc -l)
same "two hosts signed the last two entries" 2 "$hosts"

# ---- kill -9 at random points of a resident run -----------------------------
cp "$U" "$TMP/k.unit"
i=0
while [ $i -lt 6 ]; do
  "$WEFT" unit run -q "$TMP/k.unit" >/dev/null 2>&1 &
  kpid=$!
  # between 50 and 350 ms in
  sleep "0.$(( (i * 7 + 5) % 4 + 1 ))"
  kill -9 $kpid 2>/dev/null
  wait $kpid 2>/dev/null
  i=$((i + 1))
done
expect "after six kills the unit verifies" 0 "$WEFT" unit verify "$TMP/k.unit"
expect "and replays" 0 "$WEFT" unit verify --replay "$TMP/k.unit"

finish

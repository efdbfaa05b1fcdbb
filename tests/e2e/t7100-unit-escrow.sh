#!/bin/sh
# t7100-unit-escrow.sh - examples/unit-escrow end to end (#7): the happy
# path (deposit, both votes, release), a refund, and each attempt to break
# the invariant (held + paid == deposit, paid once, only with both votes)
# denied: a key the policy does not list, a kind it does not list, a
# party using the other's kind, a second deposit, a changed vote, a bad
# amount, a replayed message, a forged state; `weft unit verify --replay`
# passes after each run.
. "$(dirname "$0")/lib.sh"

EX=$ROOT/examples/unit-escrow
CODE=$EX/unit-escrow.wasm
[ -f "$CODE" ] || not_ok "$CODE is missing (make guests)"
export WEFT_HOME=$TMP/host

for k in agent buyer seller intruder; do
  "$WEFT" keygen -o "$TMP/$k.key" >/dev/null || not_ok "keygen $k"
done
pub() { cut -d' ' -f2 "$TMP/$1.key.pub"; }
sed -e "s/BUYER/$(pub buyer)/" -e "s/SELLER/$(pub seller)/" \
  "$EX/policy.toml" >"$TMP/policy.toml"

# new_escrow NAME: a fresh escrow unit $TMP/NAME.unit, made by the agent.
new_escrow() {
  "$WEFT" unit new --code "$CODE" --schema "$EX/schema.toml" \
    --policy "$TMP/policy.toml" --owner "$TMP/agent.key" \
    -o "$TMP/$1.unit" >/dev/null || not_ok "new $1"
}
# say UNIT KEY KIND BODY: one step carrying one signed message.
say() {
  printf '%s\n' "$4" >"$TMP/body"
  run "$WEFT" unit step "$TMP/$1.unit" --message "$TMP/body" \
    --key "$TMP/$2.key" --kind "$3"
}
# state UNIT: the governed state as `show` prints it.
state() {
  "$WEFT" unit show "$TMP/$1.unit" | sed -n 's/^  //p' | tr '\n' ' '
}

# ---- the happy path: deposit, both vote release, the seller is paid ------
new_escrow e
say e buyer deposit 100
has "deposit" "deposit 100 held" "$out"
say e buyer buyer-vote release
has "the buyer's vote" "buyer_vote recorded" "$out"
same "nothing is paid on one vote" \
  "buyer_vote = \"release\" deposit = 100 held = 100 " "$(state e)"
say e seller seller-vote release
has "the seller's vote settles" "released 100" "$out"
settled='buyer_vote = "release" deposit = 100 held = 0 '
settled=$settled'outcome = "released" paid_seller = 100 '
settled=$settled'seller_vote = "release" '
same "the seller has it all, nothing is held" "$settled" "$(state e)"
expect "verify after the happy path" 0 "$WEFT" unit verify --replay \
  "$TMP/e.unit"

# ---- attempts to break the invariant -------------------------------------
# Keys and kinds the policy does not list are refused before any cycle.
n0=$("$WEFT" unit history "$TMP/e.unit" | wc -l)
say e intruder seller-vote refund
same "an intruder's vote: refused" 1 "$rc"
has "names the policy" "policy does not let" "$err"
say e intruder deposit 5
same "an intruder's deposit: refused" 1 "$rc"
say e buyer seller-vote refund
same "the buyer casting the seller's vote: refused" 1 "$rc"
say e seller deposit 1
same "the seller depositing: refused" 1 "$rc"
say e buyer withdraw 100
same "a kind the policy does not know: refused" 1 "$rc"
say e agent buyer-vote refund
same "the owner is no party: refused" 1 "$rc"
same "no cycle was recorded for them" "$n0" \
  "$("$WEFT" unit history "$TMP/e.unit" | wc -l)"

# Writes outside the rules are denied, whatever the code asks.
say e buyer deposit 900
has "a second deposit: denied" "deposit 900 denied (immutable)" "$out"
say e buyer buyer-vote refund
has "a changed vote: denied" "buyer_vote denied (immutable)" "$out"
say e seller seller-vote refund
has "the seller's changed vote: denied" "seller_vote denied (immutable)" \
  "$out"
same "the state is as settled" "$settled" "$(state e)"
run "$WEFT" unit history "$TMP/e.unit"
has "history records the denial" "deposit:denied:immutable" "$out"
expect "verify after the denials" 0 "$WEFT" unit verify --replay \
  "$TMP/e.unit"

# A bad amount fits no schema.
new_escrow b
say b buyer deposit -5
has "a negative deposit: denied" "deposit -5 denied (schema)" "$out"
say b buyer deposit 0
has "a zero deposit: denied" "deposit 0 denied (schema)" "$out"

# ---- a refund ----------------------------------------------------------------
say b buyer deposit 70
say b seller seller-vote refund
say b buyer buyer-vote refund
has "both refund" "refunded 70" "$out"
refunded='buyer_vote = "refund" deposit = 70 held = 0 '
refunded=$refunded'outcome = "refunded" paid_buyer = 70 seller_vote = "refund" '
same "the buyer is paid back" "$refunded" "$(state b)"
expect "verify after the refund" 0 "$WEFT" unit verify --replay \
  "$TMP/b.unit"

# Votes that disagree settle nothing.
new_escrow d
say d buyer deposit 30
say d buyer buyer-vote refund
say d seller seller-vote release
same "disagreeing votes hold the funds" \
  'buyer_vote = "refund" deposit = 30 held = 30 seller_vote = "release" ' \
  "$(state d)"

# ---- a forged state, a forged entry ---------------------------------------
cp "$TMP/e.unit" "$TMP/f.unit"
sqlite3 "$TMP/f.unit" "UPDATE state SET value = x'010000000000000190'
  WHERE key = 'paid_seller'"
expect "a forged payment fails verify" 1 "$WEFT" unit verify "$TMP/f.unit"
has "naming the key" "key 'paid_seller'" "$err"
expect "and step refuses the unit" 1 "$WEFT" unit step "$TMP/f.unit"
cp "$TMP/e.unit" "$TMP/f.unit"
# The last entry's denial ("immutable") rewritten: the verdicts no longer
# match the policy's.
sqlite3 "$TMP/f.unit" "UPDATE entries SET mutations =
  replace(mutations, CAST('immutable' AS BLOB), CAST('monotonic' AS BLOB))
  WHERE seq = (SELECT max(seq) FROM entries)"
expect "a forged verdict fails verify" 1 "$WEFT" unit verify "$TMP/f.unit"
has "naming the field" "field 'mutations'" "$err"

finish

#!/bin/sh
# t7200-unit-pack.sh - `weft unit pack` / `unpack` (#7): a unit packed on
# host A is unpacked and advanced on host B (another WEFT_HOME, another
# host key) and back; a pack with one byte flipped, at many offsets
# (header, code, texts, every field of the head entry, memory), is
# refused cleanly with a message and leaves no file behind; so are a
# truncated pack, trailing bytes and an existing target.
. "$(dirname "$0")/lib.sh"

PROBE=$GUESTS/unit_probe.wasm
[ -f "$PROBE" ] || not_ok "$PROBE is missing (make guests)"
A=$TMP/hostA
B=$TMP/hostB
export WEFT_HOME=$A
"$WEFT" keygen -o "$TMP/owner.key" >/dev/null
"$WEFT" unit new --code "$PROBE" \
  --schema "$ROOT/tests/units/probe-schema.toml" \
  --policy "$ROOT/tests/units/probe-policy.toml" \
  --owner "$TMP/owner.key" -o "$TMP/a.unit" >/dev/null 2>&1
echo 7 >"$TMP/7"
"$WEFT" unit step "$TMP/a.unit" >/dev/null
"$WEFT" unit step "$TMP/a.unit" --message "$TMP/7" --key "$TMP/owner.key" \
  --kind write >/dev/null
"$WEFT" unit step "$TMP/a.unit" --message "$TMP/7" --key "$TMP/owner.key" \
  --kind trap >/dev/null
"$WEFT" unit policy "$TMP/a.unit" --apply \
  "$ROOT/tests/units/probe-policy.toml" --key "$TMP/owner.key" >/dev/null
"$WEFT" unit step "$TMP/a.unit" >/dev/null

expect "pack" 0 "$WEFT" unit pack "$TMP/a.unit" -o "$TMP/a.pack"
has "pack counts the entries" "packed 6 entries" "$out"
expect "pack again: the same bytes" 0 "$WEFT" unit pack "$TMP/a.unit" \
  -o "$TMP/a2.pack"
expect "packs are canonical" 0 cmp "$TMP/a.pack" "$TMP/a2.pack"

# ---- host A to host B and back ---------------------------------------------
mkdir -p "$TMP/b"
export WEFT_HOME=$B
expect "unpack on B" 0 "$WEFT" unit unpack "$TMP/a.pack" -o "$TMP/b/u.unit"
expect "verify on B" 0 "$WEFT" unit verify --replay "$TMP/b/u.unit"
expect "step on B" 0 "$WEFT" unit step "$TMP/b/u.unit"
has "B goes on from A's memory" "cycle 6: ok: n=4" "$out"
expect "B packs" 0 "$WEFT" unit pack "$TMP/b/u.unit" -o "$TMP/b.pack"
export WEFT_HOME=$A
expect "unpack on A" 0 "$WEFT" unit unpack "$TMP/b.pack" -o "$TMP/back.unit"
expect "step on A" 0 "$WEFT" unit step "$TMP/back.unit"
has "A goes on" "cycle 7: ok: n=5" "$out"
expect "the moved unit replays" 0 "$WEFT" unit verify --replay \
  "$TMP/back.unit"
run "$WEFT" unit history "$TMP/back.unit"
hosts=$(printf '%s\n' "$out" | tail -3 |
  sed -n 's/.*host=\([0-9a-f]*\).*/\1/p' | sort -u | wc -l)
same "two hosts signed the last entries" 2 "$hosts"
expect "A's original and the returned copy agree" 0 "$WEFT" unit verify \
  "$TMP/a.unit" --against "$TMP/back.unit"

# ---- damaged packs -----------------------------------------------------------
expect "an existing target is refused" 1 "$WEFT" unit unpack "$TMP/a.pack" \
  -o "$TMP/a.unit"
has "naming it" "exists already" "$err"

size=$(wc -c <"$TMP/a.pack")
npages=$(sqlite3 "$TMP/a.unit" "SELECT count(*) FROM pages")
pages_at=$((size - 4 - npages * 4100))
head -c $((size - 1)) "$TMP/a.pack" >"$TMP/t.pack"
expect "a truncated pack" 1 "$WEFT" unit unpack "$TMP/t.pack" -o "$TMP/t.unit"
cp "$TMP/a.pack" "$TMP/t.pack"
printf x >>"$TMP/t.pack"
expect "a byte too many" 1 "$WEFT" unit unpack "$TMP/t.pack" -o "$TMP/t.unit"
has "names the offset" "offset $size" "$err"
: >"$TMP/t.pack"
expect "an empty pack" 1 "$WEFT" unit unpack "$TMP/t.pack" -o "$TMP/t.unit"

# flip OFFSET: unpack a copy with the byte at OFFSET changed; it must fail
# with exit 1 and a message, and leave nothing behind.
flips=0 bad=
flip() {
  cp "$TMP/a.pack" "$TMP/t.pack"
  _b=$(od -An -tu1 -j"$1" -N1 "$TMP/t.pack" | tr -d ' ')
  # shellcheck disable=SC2059
  printf "\\$(printf %o $((_b ^ ${2:-1})))" |
    dd of="$TMP/t.pack" bs=1 seek="$1" conv=notrunc 2>/dev/null
  run "$WEFT" unit unpack "$TMP/t.pack" -o "$TMP/t.unit"
  flips=$((flips + 1))
  if [ "$rc" != 1 ] || [ -z "$err" ] || [ -e "$TMP/t.unit" ]; then
    bad="$bad $1:rc=$rc"
    rm -f "$TMP/t.unit"
  fi
}
# The header and the code's length (each flip costs an unpack: about 70
# of them, spread over every kind of field).
o=0
while [ $o -lt 20 ]; do flip $o; o=$((o + 3)); done
# Spread over the whole pack, with another bit.
o=20
while [ $o -lt "$size" ]; do flip $o 128; o=$((o + size / 23)); done
# In the head entry: every 11th byte of its roots, host, hash and
# signature (the 260 bytes before the memory pages), every 47th of the 700
# before.
o=$((pages_at - 260))
while [ $o -lt "$pages_at" ]; do flip $o 16; o=$((o + 11)); done
o=$((pages_at - 960))
while [ $o -lt $((pages_at - 260)) ]; do flip $o 2; o=$((o + 47)); done
# The page count, the first page's index and data.
o=$pages_at
while [ $o -lt $((pages_at + 10)) ]; do flip $o; o=$((o + 3)); done
same "every flipped pack was refused cleanly ($flips flips)" "" "$bad"
left=$(ls "$TMP" | grep -c unpack-)
same "no half-made files are left" 0 "$left"

# What the messages say, for a few fields.
flip $((pages_at - 1))
has "a flipped signature names the field" "field 'sig'" "$err"
flip $((pages_at + 100))
has "a flipped page names the memory" "mem_root" "$err"
flip 100
has "flipped code names the code hash" "code" "$err"

finish

#!/bin/sh
# t8100-unit-redis.sh - resident units in a shared Redis store (#8): push
# and pull round trip and verify; a tampered value in Redis fails verify;
# three `weft unit run` hosts on the same units, one killed with SIGKILL at
# a random moment, leave one unbroken lineage per unit with the cycles of
# all hosts interleaved and every cycle a host reported (ok or rejected)
# in it; Redis killed with SIGKILL once every host has cycled, and
# restarted (append-only file, fsync always), is reported once per unit,
# ridden out with backoff, and loses nothing: the hosts go on (each unit
# 10 cycles past what Redis kept) and are then stopped with SIGTERM.
. "$(dirname "$0")/lib.sh"

if ! have_redis; then
  echo "t8100: redis-server or redis-cli not installed: skipped"
  finish
  exit
fi
TICK=$GUESTS/unit_tick.wasm
[ -f "$TICK" ] || not_ok "$TICK is missing (make guests)"
hosts= # the `weft unit run` processes still running
trap 'for h in $hosts; do kill -9 "$h" 2>/dev/null; wait "$h" 2>/dev/null
  done; _cleanup' EXIT

redis_start || not_ok "redis-server did not start"
R=redis://127.0.0.1:$rport
export WEFT_HOME=$TMP/home0
"$WEFT" keygen -o "$TMP/owner.key" >/dev/null
# new_unit FILE: a unit of the tick guest (cycles every 100 ms).
new_unit() {
  "$WEFT" unit new --code "$TICK" \
    --schema "$ROOT/tests/units/tick-schema.toml" \
    --policy "$ROOT/tests/units/tick-policy.toml" \
    --owner "$TMP/owner.key" -o "$1" >/dev/null 2>&1
}
new_unit "$TMP/u.unit"
"$WEFT" unit step "$TMP/u.unit" >/dev/null

# ---- push, pull, verify --------------------------------------------------
expect "push" 0 "$WEFT" unit push "$TMP/u.unit" "$R/u0"
has "push says how many entries" "pushed 2 entries" "$out"
expect "push to a name that holds a unit" 1 "$WEFT" unit push "$TMP/u.unit" \
  "$R/u0"
has "the refusal says why" "holds a unit already" "$err"
expect "push without a name" 1 "$WEFT" unit push "$TMP/u.unit" \
  "redis://127.0.0.1:$rport"
has "the bad address is explained" "redis://host[:port][/db]/NAME" "$err"
expect "verify in Redis" 0 "$WEFT" unit verify "$R/u0"
expect "step in Redis" 0 "$WEFT" unit step "$R/u0"
has "the step goes on from the file's head" "cycle 2: ok: n=2" "$out"
expect "show in Redis" 0 "$WEFT" unit show "$R/u0"
has "show gives the head" "head     entry" "$out"
echo 1 >"$TMP/ping"
expect "send in Redis" 0 "$WEFT" unit send "$R/u0" --message "$TMP/ping" \
  --key "$TMP/owner.key" --kind ping
expect "step delivers it" 0 "$WEFT" unit step "$R/u0"
has "the message reached the guest" "ping" "$out"
expect "pull" 0 "$WEFT" unit pull "$R/u0" -o "$TMP/back.unit"
expect "the pulled file replays" 0 "$WEFT" unit verify --replay \
  "$TMP/back.unit"
expect "the pulled file continues the original" 0 "$WEFT" unit verify \
  "$TMP/back.unit" --against "$TMP/u.unit"
has "same lineage, pulled ahead" "agree on 2 entries; ahead: $TMP/back.unit" \
  "$out"
expect "replay in Redis" 0 "$WEFT" unit verify --replay "$R/u0"
# The same entries and signatures: pushed back under another name, the
# pulled file is the same lineage again.
expect "push the pulled file" 0 "$WEFT" unit push "$TMP/back.unit" "$R/u0b"
expect "Redis copies agree" 0 "$WEFT" unit verify "$R/u0" --against "$R/u0b"
has "agree on every entry" "agree on" "$out"
case $out in *ahead*) not_ok "one Redis copy is ahead" "$out" ;; *) ok ;; esac
# One changed value in Redis fails verify, naming the field.
redis-cli -p "$rport" hset 'weft:unit:{u0b}:state' n x >/dev/null
expect "a tampered state fails verify" 1 "$WEFT" unit verify "$R/u0b"
has "naming the key" "key 'n' does not match the lineage" "$err"
expect "and step refuses it" 1 "$WEFT" unit step "$R/u0b"

# host_of HOME: the 16 hex digits `history` shows for that host.
host_of() { cut -d' ' -f2 "$1/host.key.pub" | cut -c1-16; }

# missing_cycles OUT HOME: the cycles the host printed in OUT ("URL/NAME:
# cycle N: KIND...") that are not entry N of that unit (history in
# hist.NAME) signed by the host of HOME with that kind: "ok" is a "cycle"
# entry, "rejected" (a failed cycle, committed too) a "rejected" one.
missing_cycles() {
  _h=$(host_of "$2")
  grep ': cycle ' "$1" | while IFS= read -r line; do
    u=${line%%: cycle *}
    n=${line#*: cycle }
    k=${n#*: }
    n=${n%%:*}
    case $k in rejected*) k=rejected ;; *) k=cycle ;; esac
    grep -q "^$n $k .*host=$_h " "$TMP/hist.${u##*/}" || echo "$line"
  done
}

# check_reported NAME OUT HOME [quiet-ok]: every cycle the host printed in
# OUT is in the lineage, signed by it; and it printed one (unless a 4th
# argument says it may have printed none: a host killed early).
check_reported() {
  _bad=$(missing_cycles "$2" "$3")
  if [ -n "$_bad" ]; then
    _u=${_bad%%: cycle *}
    not_ok "$1: cycles reported but not in the lineage" "$_bad
history of ${_u##*/}:
$(cat "$TMP/hist.${_u##*/}")"
  elif grep -q ': cycle ' "$2" || [ -n "${4:-}" ]; then ok; else
    not_ok "$1: no cycle reported" "$(cat "$2")"
  fi
}

# check_units NAME UNITS...: each verifies, replays, and its cycle N says
# n=N (the memory moved between hosts intact); histories in hist.NAME.
check_units() {
  _what=$1
  shift
  for u in "$@"; do
    expect "$_what: $u verifies" 0 "$WEFT" unit verify --replay "$R/$u"
    "$WEFT" unit history "$R/$u" >"$TMP/hist.$u" 2>"$TMP/hist.err" ||
      not_ok "$_what: history of $u" "$(cat "$TMP/hist.err")"
    bad=$(awk '$2 == "cycle" && $0 !~ "\"n=" $1 " " { print }' \
      "$TMP/hist.$u")
    same "$_what: $u counts one cycle per entry" "" "$bad"
  done
}

# ---- three hosts, one killed ---------------------------------------------
for u in u1 u2 u3; do
  new_unit "$TMP/$u.unit"
  "$WEFT" unit push "$TMP/$u.unit" "$R/$u" >/dev/null
done
for h in A B C; do
  WEFT_HOME=$TMP/home$h "$WEFT" unit run --for 4s "$R/u1" "$R/u2" "$R/u3" \
    >"$TMP/run$h.out" 2>"$TMP/run$h.err" &
  eval "pid$h=\$!"
  hosts="$hosts $!"
done
# Kill host B at a random moment between 0.5 and 3 s.
sleep "$(awk "BEGIN { srand($(od -An -N2 -tu2 /dev/urandom)); \
  printf \"%.2f\", 0.5 + 2.5 * rand() }")"
kill -9 "$pidB"
wait "$pidB" 2>/dev/null
wait "$pidA"
rcA=$?
wait "$pidC"
rcC=$?
hosts=
same "host A ran to the end" 0 "$rcA"
same "host C ran to the end" 0 "$rcC"
check_units "three hosts" u1 u2 u3
check_reported "host A" "$TMP/runA.out" "$TMP/homeA"
check_reported "host B" "$TMP/runB.out" "$TMP/homeB" quiet-ok # killed
check_reported "host C" "$TMP/runC.out" "$TMP/homeC"
# The check itself: a rejected cycle is committed too (a "rejected"
# entry); a cycle whose entry another host signed is missing.
printf '%s\n' "1 rejected t=1 host=$(host_of "$TMP/homeA") msgs=0 \"x\"" \
  "2 cycle t=2 host=0000000000000000 msgs=0" >"$TMP/hist.fake"
printf '%s\n' "$R/fake: cycle 1: rejected: x" "$R/fake: cycle 2: ok: n=2" \
  >"$TMP/fake.out"
same "the check finds the one missing cycle" "$R/fake: cycle 2: ok: n=2" \
  "$(missing_cycles "$TMP/fake.out" "$TMP/homeA")"
# Interleaved: every unit was advanced by at least two of the hosts.
for u in u1 u2 u3; do
  n=$(awk '$2 == "cycle" { print $4 }' "$TMP/hist.$u" | sort -u | wc -l)
  if [ "$n" -ge 2 ]; then ok; else
    not_ok "$u was advanced by $n host(s)" "$(cat "$TMP/hist.$u")"
  fi
done

# ---- Redis killed and restarted mid-run ----------------------------------
redis_kill
port=$rport
REDIS_PERSIST=1 redis_start "$port" ||
  not_ok "redis-server with an append-only file did not start"
for u in u4 u5; do
  new_unit "$TMP/$u.unit"
  "$WEFT" unit push "$TMP/$u.unit" "$R/$u" >/dev/null
done
# within SECONDS CMD...: CMD again every 0.1 s until it succeeds (0) or
# SECONDS have passed (1). The hosts are waited for, not timed: a slow
# machine (or AddressSanitizer) only makes this part longer.
within() {
  _end=$(($(date +%s) + $1))
  shift
  until "$@"; do
    [ "$(date +%s)" -lt "$_end" ] || return 1
    sleep 0.1
  done
}
# all_cycled: every host has printed a cycle.
all_cycled() {
  for h in A B C; do grep -q ': cycle ' "$TMP/aof$h.out" || return 1; done
}
# head_of UNIT: the seq of the unit's head (empty if Redis does not answer).
head_of() {
  "$WEFT" unit show "$R/$1" 2>/dev/null |
    sed -n 's/^head *entry \([0-9]*\) .*/\1/p'
}
# went_on: every host reconnected both units, and each unit has 10 more
# entries than Redis held when it came back ($back_u4, $back_u5).
went_on() {
  for h in A B C; do
    [ "$(grep -c 'redis answers again' "$TMP/aof$h.err")" -ge 2 ] || return 1
  done
  for u in u4 u5; do
    case $u in u4) _b=$back_u4 ;; *) _b=$back_u5 ;; esac
    _n=$(head_of "$u")
    [ -n "$_n" ] && [ "$_n" -ge $((_b + 10)) ] || return 1
  done
}
for h in A B C; do
  WEFT_HOME=$TMP/home$h "$WEFT" unit run "$R/u4" "$R/u5" \
    >"$TMP/aof$h.out" 2>"$TMP/aof$h.err" &
  eval "pid$h=\$!"
  hosts="$hosts $!"
done
if within 30 all_cycled; then ok; else
  not_ok "a host printed no cycle before the outage" \
    "$(cat "$TMP"/aof?.out "$TMP"/aof?.err)"
fi
redis_kill
sleep 1
REDIS_PERSIST=1 redis_start "$port" || not_ok "redis-server did not restart"
# read_back: the heads Redis kept ($back_u4, $back_u5; it may be loading).
read_back() {
  back_u4=$(head_of u4)
  back_u5=$(head_of u5)
  [ -n "$back_u4" ] && [ -n "$back_u5" ]
}
if within 30 read_back; then ok; else
  not_ok "the units are not readable after the restart"
fi
if within 30 went_on; then ok; else
  not_ok "no 10 cycles per unit after the restart" \
    "heads at the restart: u4 $back_u4, u5 $back_u5; now: u4 \
$(head_of u4), u5 $(head_of u5)
$(cat "$TMP"/aof?.err)"
fi
for h in A B C; do
  eval "p=\$pid$h"
  kill -TERM "$p"
  wait "$p"
  same "host $h rode out the restart" 0 "$?"
done
hosts=
check_units "restart" u4 u5
for h in A B C; do
  e=$(cat "$TMP/aof$h.err")
  for u in u4 u5; do
    n=$(grep -c "$u: .*retrying with backoff" "$TMP/aof$h.err")
    same "host $h reports the outage of $u once" 1 "$n"
  done
  has "host $h says Redis answers again" "redis answers again" "$e"
  check_reported "host $h across the restart" "$TMP/aof$h.out" \
    "$TMP/home$h"
done
redis_kill

finish

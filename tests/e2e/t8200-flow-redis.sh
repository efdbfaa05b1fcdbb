#!/bin/sh
# t8200-flow-redis.sh - flow edges across processes over Redis Streams
# (#8): the remote edge keys of a flow file and their errors; a flow
# split over two `weft flow run --nodes` processes through a real
# redis-server; the consumer killed with SIGKILL mid-stream and restarted
# (under its --consumer name, and under a new name that must claim the
# dead one's entries): every element reaches the sink once, in order;
# two consumers sharing the group, one killed and not restarted: the
# other claims its entries while it runs and finishes the stream;
# Redis killed and restarted mid-stream (append-only file): the failure
# is reported, retried with backoff, and nothing is lost.
. "$(dirname "$0")/lib.sh"

have_redis || {
  echo "redis-server or redis-cli missing: skipped"
  finish
  exit
}

prod= cons=
_mine() {
  for p in $prod $cons; do
    kill -9 "$p" 2>/dev/null
    wait "$p" 2>/dev/null
  done
}
trap '_mine; _cleanup' EXIT

D=$TMP/flow
mkdir -p "$D"
for g in source_count processor_upper sink_collect; do
  cp "$GUESTS/$g.wasm" "$D/" || not_ok "$g.wasm is missing (make guests)"
done

# ---- the flow file -------------------------------------------------------

# bad NAME MESSAGE: `weft flow check` of $TMP/bad.toml fails with MESSAGE.
bad() {
  expect "$1" 1 "$WEFT" flow check -f "$TMP/bad.toml"
  has "$1: message" "$2" "$err"
}
edge_file() { # EDGE-KEYS...: a two-node flow whose edge has these keys
  {
    printf '[flow.f.nodes.a]\ncomponent = "%s"\n' "$D/source_count.wasm"
    printf 'interface = "torvyn:streaming/source"\n'
    printf '[flow.f.nodes.b]\ncomponent = "%s"\n' "$D/sink_collect.wasm"
    printf 'interface = "torvyn:streaming/sink"\n'
    printf '[[flow.f.edges]]\nfrom = { node = "a" }\nto = { node = "b" }\n'
    printf '%s\n' "$@"
  } >"$TMP/bad.toml"
}
edge_file 'transport = "tcp"'
bad "an unknown transport" "bad.toml:10: unknown transport 'tcp': use local or redis"
edge_file 'transport = "redis"' 'group = "g"'
bad "a remote edge without stream" \
  "bad.toml:7: missing key 'stream' in a remote edge of flow 'f'"
edge_file 'transport = "redis"' 'stream = "s"'
bad "a remote edge without group" \
  "bad.toml:7: missing key 'group' in a remote edge of flow 'f'"
edge_file 'stream = "s"'
bad "stream on a local edge" \
  "bad.toml:10: 'stream' is for an edge with transport = \"redis\""
edge_file 'transport = "redis"' 'stream = "s"' 'group = "g"' 'url = "http://x"'
bad "a url that is not redis://" "bad.toml:13: 'url':"
edge_file 'transport = "redis"' 'stream = "s"' 'group = "g"' 'maxlen = 5'
bad "an unknown key" "bad.toml:13: unknown key 'maxlen' in an edge of flow 'f'"
edge_file 'transport = "redis"' 'stream = "s"' 'group = "g"' 'max_len = 5'
bad "max_len below 16" "bad.toml:13: 'max_len' must be an integer from 16"
edge_file 'transport = "local"'
expect "transport = \"local\" is the default" 0 \
  "$WEFT" flow check -f "$TMP/bad.toml"

# ---- split over two processes ----------------------------------------------

redis_start || not_ok "redis-server did not start"
# flow_file COUNT: the test flow on this server, COUNT elements, the sink
# pausing 1 ms after each one (so a run lasts about COUNT ms).
flow_file() {
  sed -e "s|redis://127.0.0.1:6379|redis://127.0.0.1:$rport|" \
    -e "s|config = { count = 10 }|config = { count = $1 }|" \
    "$ROOT/tests/flows/remote/Torvyn.toml" >"$D/Torvyn.toml"
  awk '{ print } /component = "sink_collect.wasm"/ {
    print "config = { pause_every = 1, flush = true }" }' "$D/Torvyn.toml" \
    >"$D/t.toml"
  mv "$D/t.toml" "$D/Torvyn.toml"
}
# expected N: the lines a sink prints for N elements.
expected() {
  i=0
  while [ "$i" -lt "$1" ]; do
    echo "ELEMENT $i"
    i=$((i + 1))
  done
}
# The sink's output with duplicates dropped as a sink dropping by
# sequence would: an element not above the last one kept is a
# redelivery (after a crash, the batch read but not acknowledged comes
# again). A line the killed sink left unfinished is dropped too (its
# number, cut short, is below the last one, or it is not a line).
delivered() {
  awk '/^ELEMENT [0-9]+$/ { if (!seen || $2 > last) { print; last = $2;
    seen = 1 } }' "$1"
}

flow_file 10
expect "the whole flow in one process (the remote edge stays local)" 0 \
  "$WEFT" flow run -f "$D"
same "one process: output" "$(expected 10)
complete" "$out"

expect "a crossing edge must be remote" 1 \
  "$WEFT" flow run -f "$D" --nodes src,up
has "a crossing edge must be remote: message" \
  "edge 'up' -> 'out' joins a node run here to one that is not: it needs transport = \"redis\"" "$err"
expect "--nodes names a missing node" 1 "$WEFT" flow run -f "$D" --nodes src,nope
has "--nodes names a missing node: message" "flow 'split' has no node 'nope'" \
  "$err"

expect "producer" 0 "$WEFT" flow run -f "$D" --nodes src
same "the stream holds 10 elements and the end" 11 \
  "$(redis-cli -p "$rport" xlen weft:split)"
expect "consumer" 0 "$WEFT" flow run -f "$D" --nodes up,out --consumer c1
same "consumer: output" "$(expected 10)
complete" "$out"
same "consumer: nothing pending" 0 \
  "$(redis-cli -p "$rport" xpending weft:split split | head -1)"
redis-cli -p "$rport" del weft:split weft:split:delivered >/dev/null

# stop_holding PID NAME: stop the consumer PID (--consumer NAME) with
# SIGSTOP at a moment it holds entries read and not acknowledged, so that
# killing it leaves entries to claim (not between two batches); 1 if it
# never does.
stop_holding() {
  for _ in $(seq 1 200); do
    kill -STOP "$1"
    [ -n "$(redis-cli -p "$rport" xpending weft:split split - + 1 "$2")" ] &&
      return 0
    kill -CONT "$1"
    sleep 0.01
  done
  return 1
}

# kill_consumer N NAME [NEWNAME]: a flow of N elements; the consumer
# (--consumer NAME) is killed with SIGKILL while it runs, then started
# again (as NEWNAME, default NAME) and runs to the end.
kill_consumer() {
  redis-cli -p "$rport" del weft:split weft:split:delivered >/dev/null
  : >"$TMP/sink.out"
  "$WEFT" flow run -f "$D" --nodes src >"$TMP/prod.out" 2>"$TMP/prod.err" &
  prod=$!
  "$WEFT" flow run -f "$D" --nodes up,out --consumer "$2" \
    >>"$TMP/sink.out" 2>"$TMP/cons.err" &
  cons=$!
  for _ in $(seq 1 100); do
    [ "$(grep -c ELEMENT "$TMP/sink.out")" -ge 100 ] && break
    sleep 0.05
  done
  stop_holding "$cons" "$2" || not_ok "$2 never held a batch"
  kill -9 "$cons"
  wait "$cons" 2>/dev/null
  cons=
  killed_at=$(grep -c ELEMENT "$TMP/sink.out")
  "$WEFT" flow run -f "$D" --nodes up,out --consumer "${3:-$2}" \
    >>"$TMP/sink.out" 2>"$TMP/cons2.err"
  rc2=$?
  wait "$prod"
  rc1=$?
  prod=
}

# lost_ok NAME: after a kill, the sink's output with duplicates dropped
# is every element once, in order: the sink flushes each line before it
# answers, so what was acknowledged is on its stdout.
lost_ok() {
  delivered "$TMP/sink.out" >"$TMP/got"
  expected 600 >"$TMP/want"
  cmp -s "$TMP/want" "$TMP/got" && ok ||
    not_ok "$1: every element once, in order" \
      "$(diff "$TMP/want" "$TMP/got" | head -5)"
}

flow_file 600
kill_consumer 600 c1
same "killed consumer (same name): producer exit" 0 "$rc1"
same "killed consumer (same name): restarted consumer exit" 0 "$rc2"
[ "$killed_at" -lt 600 ] && ok ||
  not_ok "the consumer was killed mid-stream" "$killed_at lines before"
lost_ok "killed consumer (same name)"

kill_consumer 600 c1 c2
same "killed consumer (new name): restarted consumer exit" 0 "$rc2"
lost_ok "killed consumer (new name)"
# (It may also wait for them to fall idle: not when its start took
# longer than claim_idle_ms.)
has "killed consumer (new name): claims the dead one's entries" \
  "claimed " "$(cat "$TMP/cons2.err")"

# ---- two consumers, one killed and not restarted --------------------------

# c1 and c2 share the group; c1 dies mid-stream and stays dead: c2,
# running on, claims c1's entries once idle for claim_idle_ms (300 in
# the flow file) and reads the stream to its end.
redis-cli -p "$rport" del weft:split weft:split:delivered >/dev/null
: >"$TMP/c1.out"
: >"$TMP/c2.out"
"$WEFT" flow run -f "$D" --nodes up,out --consumer c1 \
  >"$TMP/c1.out" 2>"$TMP/c1.err" &
cons=$!
"$WEFT" flow run -f "$D" --nodes up,out --consumer c2 \
  >"$TMP/c2.out" 2>"$TMP/c2.err" &
c2=$!
prod="$c2" # killed by the trap if the test dies here
# Both read the group (and so are past their start) before the producer.
for _ in $(seq 1 100); do
  [ "$(redis-cli -p "$rport" xinfo consumers weft:split split |
    grep -cx 'c[12]')" -eq 2 ] && break
  sleep 0.05
done
sleep 0.2
"$WEFT" flow run -f "$D" --nodes src >"$TMP/prod.out" 2>"$TMP/prod.err" &
prod="$c2 $!"
pprod=$!
for _ in $(seq 1 100); do
  [ "$(grep -c ELEMENT "$TMP/c1.out")" -ge 50 ] && break
  sleep 0.05
done
stop_holding "$cons" c1 || not_ok "c1 never held a batch"
kill -9 "$cons"
wait "$cons" 2>/dev/null
cons=
c1_at=$(grep -c ELEMENT "$TMP/c1.out")
c2_at=$(grep -c ELEMENT "$TMP/c2.out")
wait "$c2"
rc2=$?
wait "$pprod"
rc1=$?
prod=
same "shared group: producer exit" 0 "$rc1"
same "shared group: the consumer left exit" 0 "$rc2"
[ "$c1_at" -lt 600 ] && [ "$c2_at" -gt 0 ] && ok ||
  not_ok "shared group: both consumed, c1 killed mid-stream" \
    "c1 $c1_at, c2 $c2_at lines at the kill"
has "shared group: the consumer left claims the dead one's entries" \
  "claimed " "$(cat "$TMP/c2.err")"
# Every element once overall: c2 delivers each once; the only ones both
# delivered are c1's batch in flight (read, not acknowledged), which c2
# claimed again: a redelivery, dropped as `delivered` drops it.
grep -x 'ELEMENT [0-9]*' "$TMP/c1.out" >"$TMP/c1.lines"
grep -x 'ELEMENT [0-9]*' "$TMP/c2.out" >"$TMP/c2.lines"
same "shared group: c2 delivers no element twice" "" \
  "$(sort "$TMP/c2.lines" | uniq -d)"
sort "$TMP/c1.lines" "$TMP/c2.lines" | uniq -d >"$TMP/dups"
tail -n 64 "$TMP/c1.lines" | sort >"$TMP/c1.last"
same "shared group: only c1's batch in flight is delivered again" "" \
  "$(comm -23 "$TMP/dups" "$TMP/c1.last")"
same "shared group: every element delivered" "$(expected 600)" \
  "$(sort -n -k2 -u "$TMP/c1.lines" "$TMP/c2.lines")"

# ---- Redis killed and restarted --------------------------------------------

port=$rport
redis_kill
# With an append-only file synced at every write: what Redis answered is
# on disk.
REDIS_PERSIST=1 redis_start "$port" ||
  not_ok "redis-server (append-only) did not start"
: >"$TMP/sink.out"
"$WEFT" flow run -f "$D" --nodes src >"$TMP/prod.out" 2>"$TMP/prod.err" &
prod=$!
"$WEFT" flow run -f "$D" --nodes up,out --consumer c1 \
  >"$TMP/sink.out" 2>"$TMP/cons.err" &
cons=$!
for _ in $(seq 1 100); do
  [ "$(grep -c ELEMENT "$TMP/sink.out")" -ge 100 ] && break
  sleep 0.05
done
redis_kill
sleep 0.5
REDIS_PERSIST=1 redis_start "$port" ||
  not_ok "redis-server did not start again"
wait "$cons"
rc2=$?
cons=
wait "$prod"
rc1=$?
prod=
same "Redis restarted: producer exit" 0 "$rc1"
same "Redis restarted: consumer exit" 0 "$rc2"
has "Redis restarted: the failure is reported, with a retry" \
  "redis://127.0.0.1:$port: " "$(cat "$TMP/cons.err")"
has "Redis restarted: retried with backoff" "retrying in" \
  "$(cat "$TMP/cons.err")"
same "Redis restarted: every element once, in order" \
  "$(expected 600)" "$(delivered "$TMP/sink.out")"

finish

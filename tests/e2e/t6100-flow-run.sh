#!/bin/sh
# t6100-flow-run.sh - `weft flow run`, `trace` and `bench` end to end: the
# three flow examples (lines upper-cased, a rate limiter, a router into
# windowed aggregators) with their exact output; --input, stdin,
# --output, --limit, --json; a failed flow exits 1 naming the node and
# the error (fail-fast, a trap, an init failure); SIGINT stops the
# sources and the flow drains; a trace file with a span per element per
# node; bench's figures; --help and usage errors.
. "$(dirname "$0")/lib.sh"

EX=$ROOT/examples
for f in flow-basic/lines flow-basic/upper flow-basic/print \
  flow-rate-limit/rate_limit flow-router/sum; do
  [ -f "$EX/$f.wasm" ] || not_ok "examples/$f.wasm is missing (make guests)"
done

# ---- the examples --------------------------------------------------------

expect "flow-basic with --input" 0 \
  "$WEFT" flow run -f "$EX/flow-basic" --input "$EX/flow-basic/input.txt"
same "flow-basic output" "THE QUICK BROWN FOX
JUMPS OVER
THE LAZY DOG" "$out"
has "report: 4 copies per element" "4.00 copies per element" "$err"
has "report: the ledger" "copies host -> upper (read-all): 3, 41 bytes" \
  "$err"

printf 'from\nstdin\n' >"$TMP/in.txt"
"$WEFT" flow run -f "$EX/flow-basic" <"$TMP/in.txt" >"$TMP/out" 2>"$TMP/err"
same "flow-basic reads weft's stdin" "FROM
STDIN" "$(cat "$TMP/out")"

expect "--output FILE" 0 "$WEFT" flow run -f "$EX/flow-basic/Torvyn.toml" \
  --input "$EX/flow-basic/input.txt" --output "$TMP/sink.txt"
same "--output: nothing on stdout" "" "$out"
same "--output: the sink wrote the file" "THE QUICK BROWN FOX
JUMPS OVER
THE LAZY DOG" "$(cat "$TMP/sink.txt")"

expect "--limit 2" 0 "$WEFT" flow run -f "$EX/flow-basic" --limit 2 \
  --input "$EX/flow-basic/input.txt"
same "--limit 2 output" "THE QUICK BROWN FOX
JUMPS OVER" "$out"

expect "--json" 0 "$WEFT" flow run -f "$EX/flow-basic" --json \
  --input "$EX/flow-basic/input.txt"
has "--json: ok" '"ok":true' "$out"
has "--json: copies per element" '"copies_per_element":4.0' "$out"
has "--json: a ledger row" '"reason":"read-all"' "$out"
has "--json: the sink's output goes to stderr" "JUMPS OVER" "$err"

expect "flow-rate-limit" 0 "$WEFT" flow run -f "$EX/flow-rate-limit"
same "flow-rate-limit: 10 per second, by timestamp" \
  "$(for i in 0 1 2 3 4 5 6 7 8 9 50 51 52 53 54 55 56 57 58 59; do
    echo "event $i"
  done)" "$out"
has "flow-rate-limit: the filter copies nothing" \
  "100 elements, 20 delivered" "$err"

expect "flow-router" 0 "$WEFT" flow run -f "$EX/flow-router"
same "flow-router: fan-out and windows" "even: 2+4+5=11
odd: 1+3+5+7=16
even: 6+8+10=24
odd: 9+10+11+13=43
even: 12+14+15=41
odd: 15+17+19+20=71
even: 16+18+20=54" "$out"

# A bad config is the component's own message, before anything runs.
sed 's/"max_per_second": 10/"max_per_second": "ten"/' \
  "$EX/flow-rate-limit/Torvyn.toml" >"$EX/flow-rate-limit/bad-rl.toml"
expect "rate limiter with a bad config" 1 \
  "$WEFT" flow run -f "$EX/flow-rate-limit/bad-rl.toml"
rm -f "$EX/flow-rate-limit/bad-rl.toml"
has "bad config: the component's message" "weft: flow 'rate-limit' \
cannot start: node 'limit': init failed: invalid-input: config needs \
\"max_per_second\", an integer above 0" "$err"
same "bad config: nothing ran" "" "$out"

# ---- failures ------------------------------------------------------------

# flow SRC_CONFIG P_CONFIG P_POLICY SINK_CONFIG: a flow file in $TMP of
# source_count -> processor_flaky -> sink_collect.
flow() {
  cat >"$TMP/Torvyn.toml" <<EOF
[flow.main]
[flow.main.nodes.src]
component = "$GUESTS/source_count.wasm"
interface = "torvyn:streaming/source"
config = '$1'
[flow.main.nodes.p]
component = "$GUESTS/processor_flaky.wasm"
interface = "torvyn:streaming/processor"
config = '$2'
error_policy = $3
[flow.main.nodes.sink]
component = "$GUESTS/sink_collect.wasm"
interface = "torvyn:streaming/sink"
config = '$4'
[[flow.main.edges]]
from = { node = "src" }
to = { node = "p" }
[[flow.main.edges]]
from = { node = "p" }
to = { node = "sink" }
EOF
}

flow '{"count": 5}' '{"at": [3]}' '"fail-fast"' '{}'
expect "fail-fast fails the flow" 1 "$WEFT" flow run -f "$TMP"
has "fail-fast: node and error" "weft: flow 'main' failed: node 'p': \
unavailable: element 3 failed" "$err"
has "fail-fast: still a report" "node             role" "$err"

flow '{"count": 5}' '{"at": [3]}' '"skip"' '{}'
expect "skip" 0 "$WEFT" flow run -f "$TMP"
same "skip: element 3 is left out" "element 0
element 1
element 2
element 4
complete" "$out"

flow '{"count": 5}' '{"trap_at": 1}' '"skip"' '{}'
expect "a trap fails the flow whatever the policy" 1 "$WEFT" flow run -f "$TMP"
has "trap: node and error" "weft: flow 'main' failed: node 'p': trap: " \
  "$err"

flow '{"count": 5}' '{}' '"skip"' '{"init_error": "cannot reach db:5432"}'
expect "init failure" 1 "$WEFT" flow run -f "$TMP"
has "init failure: the component's message" "weft: flow 'main' cannot \
start: node 'sink': init failed: invalid-input: cannot reach db:5432" "$err"

# SIGINT: the endless source stops, what is queued drains, exit 0.
flow '{"count": 1000000000}' '{}' '"skip"' '{"print": false}'
"$WEFT" flow run -f "$TMP" >"$TMP/out" 2>"$TMP/err" &
fpid=$!
sleep 1
kill -INT "$fpid"
wait "$fpid"
same "SIGINT: exit status" 0 "$?"
has "SIGINT: the sink completed" "sink: teardown after" "$(cat "$TMP/err")"

# ---- trace and bench -----------------------------------------------------

flow '{"count": 100}' '{}' '"skip"' '{}'
expect "trace" 0 "$WEFT" flow trace -f "$TMP" --limit 5 -o "$TMP/t.json"
has "trace: where" "trace of flow 'main' written to '$TMP/t.json'" "$err"
spans=$(grep -c '"ph":"X"' "$TMP/t.json")
# 5 pulls, 5 process, 5 push, and complete.
same "trace: a span per element per node" 16 "$spans"
has "trace: tracks named after nodes" '"args":{"name":"p (processor)"}' \
  "$(cat "$TMP/t.json")"
expect "trace needs --limit" 2 "$WEFT" flow trace -f "$TMP"

expect "bench" 0 "$WEFT" flow bench -f "$TMP" --duration 200ms
has "bench: throughput" "elements/s" "$out"
has "bench: latency" "latency (source to sink): p50" "$out"
has "bench: copies (append, clone, read-all)" "copies per element: 3.00" "$out"
expect "bench --json" 0 "$WEFT" flow bench -f "$TMP" --duration 100ms --json
has "bench --json: per hop" '"ns_per_hop":' "$out"

# ---- the command line ----------------------------------------------------

for c in run trace bench; do
  expect "flow $c --help" 0 "$WEFT" flow "$c" --help
  has "flow $c --help" "usage: weft flow $c" "$out"
done
expect "flow --help" 0 "$WEFT" flow --help
has "flow --help lists check" "check   check a flow file" "$out"
expect "flow check is dispatched" 0 "$WEFT" flow check -f "$EX/flow-basic"
expect "unknown subcommand" 2 "$WEFT" flow walk
expect "bad option" 2 "$WEFT" flow run --fast
expect "--limit 0" 2 "$WEFT" flow run --limit 0
expect "--duration for run" 2 "$WEFT" flow run --duration 5s
cat "$TMP/Torvyn.toml" >"$TMP/two.toml"
sed 's/flow\.main/flow.other/' "$TMP/Torvyn.toml" >>"$TMP/two.toml"
expect "two flows, no --flow" 1 "$WEFT" flow run -f "$TMP/two.toml"
has "two flows: named" "has 2 flows ('main', 'other'): choose one with \
--flow NAME" "$err"
expect "--flow other" 0 "$WEFT" flow run -f "$TMP/two.toml" --flow other \
  --limit 1
expect "--flow missing" 1 "$WEFT" flow run -f "$TMP/two.toml" --flow none
has "--flow missing: said" "has no flow 'none'" "$err"

finish

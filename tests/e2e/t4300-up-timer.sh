#!/bin/sh
# t4300-up-timer.sh - `weft up` running timer triggers: the timer example
# ticks with its app variable (and `--variable` changes it) with
# `--speedup`, a guest that traps is logged on stderr and keeps being
# called, and SIGINT stops weft with exit status 0.
. "$(dirname "$0")/lib.sh"

APP=$TMP/app
mkdir -p "$APP"
cp "$ROOT/examples/timer/spin.toml" "$APP/"
cp "$ROOT/examples/timer/timer.wasm" "$APP/" 2>/dev/null ||
  not_ok "examples/timer/timer.wasm is missing (make guests)"
LOG=$APP/.weft/logs/ticker_stdout.txt

# interval_secs = 2 with --speedup 20: a tick every 100 ms.
up_start --speedup 20
wait_has "3 ticks with the default message" "tick: tick tock" "$LOG" 3
up_interrupt
same "exit status after SIGINT" 0 "$rc"
# Only the compile progress lines (a cold cache) may be on stderr.
same "nothing on stderr" "" "$(grep -v '^weft: compil' "$TMP/up.err")"

# The variable's message comes from --variable.
up_start --speedup 20 --variable message=hi
wait_has "3 ticks with --variable message=hi" "tick: hi" "$LOG" 3
up_interrupt
same "exit status after SIGINT (variable)" 0 "$rc"

# A guest that traps on every call: logged, and called again.
TRAP=$TMP/trap
mkdir -p "$TRAP"
cp "$GUESTS/timer_trap.wasm" "$TRAP/"
cat >"$TRAP/spin.toml" <<'TOML'
spin_manifest_version = 2

[application]
name = "trapping"

[[trigger.timer]]
component = "trapper"
interval_secs = 1

[component.trapper]
source = "timer_trap.wasm"
TOML
APP=$TRAP
up_start --speedup 10
wait_has "trapping guest called again" "tick" \
  "$TRAP/.weft/logs/trapper_stdout.txt" 3
wait_has "each trap logged" "weft: timer 'trapper': " "$TMP/up.err" 3
has "trap reason" "unreachable" "$(cat "$TMP/up.err")"
up_interrupt
same "exit status after SIGINT (trapping)" 0 "$rc"

finish

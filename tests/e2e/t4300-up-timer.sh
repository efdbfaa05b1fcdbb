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

# start ARGS...: `weft up` on $APP in the background; sets $pid.
start() {
  "$WEFT" up -f "$APP" "$@" >"$TMP/up.out" 2>"$TMP/up.err" &
  pid=$!
}
# interrupt: SIGINT, then $rc is weft's exit status.
interrupt() {
  kill -INT "$pid" 2>/dev/null
  wait "$pid"
  rc=$?
}
# wait_count N TEXT FILE: wait (at most 30 s, or until weft is gone) for
# N lines of FILE to contain TEXT; $count is how many did.
wait_count() {
  for _ in $(seq 1 300); do
    count=$(grep -c -F -- "$2" "$3" 2>/dev/null)
    count=${count:-0}
    [ "$count" -ge "$1" ] && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  count=$(grep -c -F -- "$2" "$3" 2>/dev/null)
  count=${count:-0}
  [ "$count" -ge "$1" ]
}

# interval_secs = 2 with --speedup 20: a tick every 100 ms.
start --speedup 20
if wait_count 3 "tick: tick tock" "$LOG"; then ok; else
  not_ok "3 ticks with the default message" "$(cat "$LOG" "$TMP/up.err" 2>/dev/null)"
fi
interrupt
same "exit status after SIGINT" 0 "$rc"
# Only the compile progress lines (a cold cache) may be on stderr.
same "nothing on stderr" "" "$(grep -v '^weft: compil' "$TMP/up.err")"

# The variable's message comes from --variable.
start --speedup 20 --variable message=hi
if wait_count 3 "tick: hi" "$LOG"; then ok; else
  not_ok "3 ticks with --variable message=hi" "$(cat "$LOG" "$TMP/up.err" 2>/dev/null)"
fi
interrupt
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
"$WEFT" up -f "$TRAP" --speedup 10 >"$TMP/up.out" 2>"$TMP/up.err" &
pid=$!
if wait_count 3 "tick" "$TRAP/.weft/logs/trapper_stdout.txt"; then ok; else
  not_ok "trapping guest called again" "$(cat "$TMP/up.err")"
fi
if wait_count 3 "weft: timer 'trapper': " "$TMP/up.err"; then ok; else
  not_ok "each trap logged" "$(cat "$TMP/up.err")"
fi
has "trap reason" "unreachable" "$(cat "$TMP/up.err")"
interrupt
same "exit status after SIGINT (trapping)" 0 "$rc"

finish

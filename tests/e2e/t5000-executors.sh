#!/bin/sh
# t5000-executors.sh - `weft up` running external trigger executors
# (weft-trigger-T, fake ones from tests/e2e/executors/): discovery in
# $WEFT_PLUGINS_DIR then on PATH, the environment and arguments they get,
# a missing executor, restart after SIGKILL, a crash loop that ends the
# app (exit 3) or is left down while HTTP keeps answering, settings
# errors, SIGTERM with no process left behind (SIGKILL past
# --stop-timeout), the executors dying with a SIGKILLed weft, --speedup
# passed on to an executor (the example ticker), and http +
# timer + two external types (the trigger API's example ticker and a
# fake) in one app.
. "$(dirname "$0")/lib.sh"

# The fakes record what they got and their pids in $E2E_RECORD_DIR, a
# new directory $REC under $TMP/rec for each case (fresh_rec). On exit,
# however the script ends, every recorded process still running is
# killed (if it still is one of ours: a pid may have been reused), then
# lib.sh cleans up.
fresh_rec() {
  REC=$TMP/rec/$1
  mkdir -p "$REC"
  export E2E_RECORD_DIR=$REC
}
_kill_recorded() {
  for _p in $(cat "$TMP"/rec/*/*.pids 2>/dev/null); do
    case $(ps -o args= -p "$_p" 2>/dev/null) in
    *weft-trigger-* | "sleep 1000") kill -9 "$_p" 2>/dev/null ;;
    esac
  done
}
trap '_kill_recorded; _cleanup' EXIT

# The fakes, installed under the names weft looks for.
PLUG=$TMP/plugins
BIN=$TMP/bin
mkdir -p "$PLUG" "$BIN"
install_fake() { # install_fake FAKE TYPE DIR
  cp "$ROOT/tests/e2e/executors/$1" "$3/weft-trigger-$2"
  chmod +x "$3/weft-trigger-$2"
}
install_fake record record "$PLUG"
install_fake record second "$PLUG"
install_fake record onpath "$BIN"
install_fake record record "$BIN" # shadowed by $PLUG's
install_fake crash crash "$PLUG"
install_fake stubborn stubborn "$PLUG"
install_fake record vanishing "$PLUG"
# Not executable: passed over for the one on PATH.
cp "$ROOT/tests/e2e/executors/record" "$PLUG/weft-trigger-onpath"
chmod -x "$PLUG/weft-trigger-onpath"
# Executable, but not a program execve can run (no #! line).
printf 'echo hi\n' >"$PLUG/weft-trigger-noexec"
chmod +x "$PLUG/weft-trigger-noexec"
export WEFT_PLUGINS_DIR=$PLUG
PATH=$BIN:$PATH

# app NAME TOML: a new app directory $TMP/NAME with hello.wasm and a
# manifest of `spin_manifest_version`, [application] and TOML; sets $APP.
app() {
  APP=$TMP/$1
  mkdir -p "$APP"
  cp "$ROOT/examples/hello/hello.wasm" "$APP/"
  printf 'spin_manifest_version = 2\n[application]\nname = "%s"\n%s\n' \
    "$1" "$2" >"$APP/spin.toml"
}
# wait_exit: wait (at most 30 s) for the weft up of up_start to exit by
# itself; $rc is its exit status, or "running" if it did not (it is then
# killed).
wait_exit() {
  rc=running
  [ -n "$pid" ] || return 0
  for _ in $(seq 1 300); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -9 "$pid"
    wait "$pid" 2>/dev/null
  else
    wait "$pid"
    rc=$?
  fi
  pid=
}
# term: SIGTERM to weft up, then wait_exit.
term() {
  kill -TERM "$pid" 2>/dev/null
  wait_exit
}
# all_gone NAME PIDS...: none of PIDS is alive (waiting up to 10 s for
# the last ones to go).
all_gone() {
  _name=$1
  shift
  for _ in $(seq 1 100); do
    _alive=
    for _p in "$@"; do
      kill -0 "$_p" 2>/dev/null && _alive="$_alive $_p"
    done
    [ -z "$_alive" ] && break
    sleep 0.1
  done
  if [ -z "$_alive" ]; then ok; else
    not_ok "$_name: still alive:$_alive" "$(ps -o pid,ppid,pgid,stat,args \
      -p "$(echo $_alive | tr ' ' ,)" 2>&1)"
  fi
}
# field FILE LINE N: the Nth word of line LINE of FILE (empty if none):
# `field "$REC/record.pids" 1 1` is the first executor's pid.
field() {
  sed -n "$2p" "$1" 2>/dev/null | cut -d' ' -f"$3"
}
# recorded_pids FILE: every pid of FILE (executors and their children).
recorded_pids() {
  cat "$1" 2>/dev/null | tr '\n' ' '
}

HELLO_HTTP='
[[trigger.http]]
route = "/hello/..."
component = "hello"
[component.hello]
source = "hello.wasm"'

# ---- discovery, environment, arguments ---------------------------------

app found "[variables]
x = { default = \"0\" }
[[trigger.record]]
component = \"rec\"
[component.rec]
source = \"hello.wasm\""
APPDIR=$(cd -P "$APP" && pwd)
fresh_rec found
OWN_VARS='WEFT_MANIFEST_URL|WEFT_TRIGGER_TYPE|WEFT_WORKING_DIR'
OWN_VARS="$OWN_VARS|SPIN_MANIFEST_URL|SPIN_TRIGGER_TYPE"
# Values inherited from weft's own environment are replaced.
export SPIN_TRIGGER_TYPE=stale
up_start --variable x=1
unset SPIN_TRIGGER_TYPE
wait_has "executor started" "" "$REC/record.pids"
same "environment" "SPIN_MANIFEST_URL=file://$APPDIR/spin.toml
SPIN_TRIGGER_TYPE=record
WEFT_MANIFEST_URL=file://$APPDIR/spin.toml
WEFT_TRIGGER_TYPE=record
WEFT_WORKING_DIR=$APPDIR" \
  "$(grep -E "^($OWN_VARS)=" "$REC/record.env")"
same "arguments: weft up's options but -f" "--listen
127.0.0.1:0
--variable
x=1" "$(cat "$REC/record.args")"
epid=$(field "$REC/record.pids" 1 1)
has "found in \$WEFT_PLUGINS_DIR first" \
  "Executor: $PLUG/weft-trigger-record (pid $epid)" "$(cat "$TMP/up.out")"
same "the executor is weft's child" "$pid" \
  "$(ps -o ppid= -p "$epid" | tr -d ' ')"
same "in a process group of its own" "$epid" \
  "$(ps -o pgid= -p "$epid" | tr -d ' ')"
term
same "exit status after SIGTERM" 0 "$rc"
all_gone "nothing left after SIGTERM" $(recorded_pids "$REC/record.pids")

# -f naming the manifest file, in the --from=FILE form, and -c: the URL is
# still the file's, and neither -f form is passed on.
fresh_rec from
APP=$APP/spin.toml
up_start --from="$APP" -c rec
APP=$TMP/found
wait_has "started with --from=FILE" "" "$REC/record.pids"
up_stop
has "--from=FILE" "WEFT_MANIFEST_URL=file://$APPDIR/spin.toml" \
  "$(cat "$REC/record.env")"
same "arguments without --from=FILE" "--listen
127.0.0.1:0
-c
rec" "$(cat "$REC/record.args" 2>/dev/null)"

# On PATH when not in $WEFT_PLUGINS_DIR.
app onpath "[[trigger.onpath]]
component = \"rec\"
[component.rec]
source = \"hello.wasm\""
fresh_rec onpath
up_start
wait_has "executor on PATH started" "" "$REC/onpath.pids"
epid=$(field "$REC/onpath.pids" 1 1)
has "found on PATH, not executable in \$WEFT_PLUGINS_DIR" \
  "Executor: $BIN/weft-trigger-onpath (pid $epid)" \
  "$(cat "$TMP/up.out")"
term
same "exit status after SIGTERM (PATH)" 0 "$rc"
all_gone "nothing left (PATH)" $(recorded_pids "$REC/onpath.pids")

# ---- a missing executor --------------------------------------------------

app missing "$HELLO_HTTP
[[trigger.nowhere]]
component = \"hello2\"
[component.hello2]
source = \"hello.wasm\""
expect "missing executor" 1 timeout 30 "$WEFT" up -f "$APP" \
  --listen 127.0.0.1:0
same "missing executor: one line" "weft: no executor for trigger type \
'nowhere': weft-trigger-nowhere is not in \$WEFT_PLUGINS_DIR ($PLUG) nor \
on PATH" "$err"
same "missing executor: nothing served" "" "$out"
expect "missing executor, no plugins dir" 1 \
  env WEFT_PLUGINS_DIR= timeout 30 "$WEFT" up -f "$APP" --listen 127.0.0.1:0
has "missing executor, no plugins dir" "weft-trigger-nowhere is not on \
PATH (\$WEFT_PLUGINS_DIR is not set)" "$err"
# An executor that cannot be run fails the start.
app noexec "[[trigger.noexec]]
component = \"hello\"
[component.hello]
source = \"hello.wasm\""
expect "executor that cannot run" 1 timeout 30 "$WEFT" up -f "$APP"
has "executor that cannot run" "weft: trigger 'noexec': cannot run \
'$PLUG/weft-trigger-noexec': Exec format error" "$err"
APP=$TMP/missing
# -c leaves out the types of the other components.
up_start -c hello
same "-c: the missing type is not run" 200 "$(code "$base/hello/x")"
up_interrupt
same "exit status after SIGINT (-c)" 0 "$rc"

# ---- settings of [application.trigger.T] -----------------------------------

# bad_setting NAME SETTING TEXT: SETTING is refused with TEXT.
fresh_rec bad
bad_setting() {
  app bad "[application.trigger.crash]
$2
[[trigger.crash]]
component = \"hello\"
[component.hello]
source = \"hello.wasm\""
  expect "bad setting: $1" 1 timeout 30 "$WEFT" up -f "$APP"
  has "bad setting: $1" "$3" "$err"
}
bad_setting on_failure 'on_failure = "retry"' "spin.toml:5: 'on_failure' \
in [application.trigger.crash] must be \"stop\" or \"leave-down\""
bad_setting max_restarts 'max_restarts = -1' "spin.toml:5: \
'max_restarts' in [application.trigger.crash] must be between 0 and"
bad_setting restart_window_secs 'restart_window_secs = 0' "spin.toml:5: \
'restart_window_secs' in [application.trigger.crash] must be between 1 and"
bad_setting "max_restarts type" 'max_restarts = "2"' "spin.toml:5: \
'max_restarts' must be an integer"
[ ! -e "$REC/crash.starts" ] && ok ||
  not_ok "bad settings: no executor started" "$(cat "$REC/crash.starts")"

# ---- restarts ------------------------------------------------------------

# A SIGKILLed executor is restarted; what it left is killed, and it is
# reaped (no zombie).
fresh_rec restart
APP=$TMP/found
up_start
wait_has "started before SIGKILL" "" "$REC/record.pids"
epid=$(field "$REC/record.pids" 1 1)
echild=$(field "$REC/record.pids" 1 2)
[ -n "$epid" ] && kill -9 "$epid"
wait_has "restarted after SIGKILL" "" "$REC/record.pids" 2
has "restart logged" "weft: trigger 'record' (weft-trigger-record, pid \
$epid) killed by signal 9; restarting in 0.1s" "$(cat "$TMP/up.err")"
new=$(field "$REC/record.pids" 2 1)
[ -n "$new" ] && [ "$new" != "$epid" ] && ok ||
  not_ok "a new pid after SIGKILL" "$(cat "$REC/record.pids")"
all_gone "killed executor reaped, its child killed" "$epid" "$echild"
term
same "exit status after SIGTERM (restarted)" 0 "$rc"
all_gone "nothing left (restarted)" $(recorded_pids "$REC/record.pids")

# A crash loop ends the app with exit 3 after max_restarts restarts.
app crashloop "[application.trigger.crash]
max_restarts = 2
restart_window_secs = 60
[[trigger.crash]]
component = \"hello\"
[component.hello]
source = \"hello.wasm\""
fresh_rec crashloop
up_start
wait_exit
same "crash loop: exit status" 3 "$rc"
same "crash loop: started 3 times" 3 "$(wc -l <"$REC/crash.starts" | tr -d ' ')"
err=$(cat "$TMP/up.err")
has "crash loop: first restart" \
  "exited with status 1; restarting in 0.1s" "$err"
has "crash loop: backoff doubles" \
  "exited with status 1; restarting in 0.2s" "$err"
has "crash loop: the end" "weft: trigger 'crash' (weft-trigger-crash, pid \
$(field "$REC/crash.starts" 3 1)) exited with status 1 after 2 restarts \
within 60s; stopping the app" "$err"

# An executor that can no longer be run: each failed start counts as a
# restart.
app vanishing "[application.trigger.vanishing]
max_restarts = 1
[[trigger.vanishing]]
component = \"hello\"
[component.hello]
source = \"hello.wasm\""
fresh_rec vanishing
up_start
wait_has "vanishing: started" "" "$REC/vanishing.pids"
chmod -x "$PLUG/weft-trigger-vanishing"
epid=$(field "$REC/vanishing.pids" 1 1)
[ -n "$epid" ] && kill -9 "$epid"
wait_exit
chmod +x "$PLUG/weft-trigger-vanishing"
same "vanishing: exit status" 3 "$rc"
has "vanishing: the failed start" "weft: trigger 'vanishing' \
(weft-trigger-vanishing) could not be started: Permission denied after 1 \
restarts within 60s; stopping the app" "$(cat "$TMP/up.err")"

# on_failure = "leave-down": the crashing type stays down, HTTP answers.
app leavedown "$HELLO_HTTP
[application.trigger.crash]
on_failure = \"leave-down\"
max_restarts = 1
[[trigger.crash]]
component = \"hello2\"
[component.hello2]
source = \"hello.wasm\""
fresh_rec leavedown
up_start
wait_has "leave-down: left down" "leaving it down" "$TMP/up.err"
has "leave-down: says why" "exited with status 1 after 1 restarts within \
60s; leaving it down (on_failure = \"leave-down\")" "$(cat "$TMP/up.err")"
same "leave-down: HTTP still answers" 200 "$(code "$base/hello/x")"
same "leave-down: started twice" 2 "$(wc -l <"$REC/crash.starts" | tr -d ' ')"
term
same "exit status after SIGTERM (leave-down)" 0 "$rc"

# ---- stopping --------------------------------------------------------------

# Two executors, SIGTERM: both stop, with their children, exit 0.
app two "[[trigger.record]]
component = \"a\"
[[trigger.second]]
component = \"b\"
[component.a]
source = \"hello.wasm\"
[component.b]
source = \"hello.wasm\""
fresh_rec two
up_start
wait_has "two executors: first" "" "$REC/record.pids"
wait_has "two executors: second" "" "$REC/second.pids"
pids="$(recorded_pids "$REC/record.pids") $(recorded_pids "$REC/second.pids")"
term
same "two executors: exit status after SIGTERM" 0 "$rc"
all_gone "two executors: nothing left" $pids

# An executor that ignores SIGTERM is SIGKILLed after --stop-timeout.
app stubborn "[[trigger.stubborn]]
component = \"hello\"
[component.hello]
source = \"hello.wasm\""
fresh_rec stubborn
up_start --stop-timeout 1s
wait_has "stubborn started" "" "$REC/stubborn.pids"
term
same "stubborn: exit status after SIGTERM" 0 "$rc"
has "stubborn: killed past the timeout" "weft: trigger 'stubborn' \
(weft-trigger-stubborn, pid $(field "$REC/stubborn.pids" 1 1)) did not \
stop within 1s; killing it" "$(cat "$TMP/up.err")"
all_gone "stubborn: nothing left" $(recorded_pids "$REC/stubborn.pids")

# weft up SIGKILLed: its executors get SIGTERM (PR_SET_PDEATHSIG).
APP=$TMP/found
fresh_rec pdeathsig
up_start
wait_has "started before weft's SIGKILL" "" "$REC/record.pids"
kill -9 "$pid"
wait "$pid" 2>/dev/null
pid=
all_gone "executor gone with weft" $(recorded_pids "$REC/record.pids")

# ---- --speedup reaches the executors (#5) -------------------------------------

# weft up passes its --speedup on, and weft-trigger-ticker reads it with
# weft_app_speedup: at interval_secs = 1000 a tick only comes within the
# wait at all when the speedup arrives (1000 s / 10000 = 100 ms).
app speedup "[[trigger.ticker]]
component = \"beat\"
interval_secs = 1000
[component.beat]
source = \"ticker-guest.wasm\""
cp "$ROOT/examples/trigger-ticker/ticker-guest.wasm" "$APP/" 2>/dev/null &&
  cp "$BUILD/examples/weft-trigger-ticker" "$PLUG/" 2>/dev/null ||
  not_ok "weft-trigger-ticker or ticker-guest.wasm is missing (make guests)"
up_start --speedup 10000
wait_has "--speedup 10000 reaches the ticker executor" "tick " \
  "$APP/.weft/logs/beat_stdout.txt" 3
up_interrupt
same "--speedup: exit status after SIGINT" 0 "$rc"
# With [application.trigger.ticker] speedup too, the intervals are
# divided by both: 100000 s / (1000 * 1000) = 100 ms would be 100 s with
# either alone. By hand, three ticks, then exit.
printf '[application.trigger.ticker]\nspeedup = 1000\n' >>"$APP/spin.toml"
sed -i 's/^interval_secs = 1000$/interval_secs = 100000/' "$APP/spin.toml"
run timeout 30 "$PLUG/weft-trigger-ticker" -f "$APP" --speedup 1000 \
  --ticks 3
same "speedup setting times --speedup: three ticks, exit 0" 0 "$rc"

# ---- http + timer + an external type in one app ------------------------------

app mixed "$HELLO_HTTP
[variables]
message = { default = \"tick tock\" }
[[trigger.timer]]
component = \"ticker\"
interval_secs = 2
[component.ticker]
source = \"timer.wasm\"
[component.ticker.variables]
message = \"{{ message }}\"
[application.trigger.ticker]
speedup = 10
[[trigger.ticker]]
component = \"beat\"
interval_secs = 1
[component.beat]
source = \"ticker-guest.wasm\"
[[trigger.record]]
component = \"rec\"
[component.rec]
source = \"hello.wasm\""
cp "$ROOT/examples/timer/timer.wasm" "$APP/" 2>/dev/null ||
  not_ok "examples/timer/timer.wasm is missing (make guests)"
# The example executor of the trigger API, built by make guests.
cp "$ROOT/examples/trigger-ticker/ticker-guest.wasm" "$APP/" 2>/dev/null &&
  cp "$BUILD/examples/weft-trigger-ticker" "$PLUG/" 2>/dev/null ||
  not_ok "weft-trigger-ticker or ticker-guest.wasm is missing (make guests)"
fresh_rec mixed
up_start --speedup 20
same "mixed: http answers" 200 "$(code "$base/hello/x")"
wait_has "mixed: the timer ticks" "tick: tick tock" \
  "$APP/.weft/logs/ticker_stdout.txt" 3
wait_has "mixed: the ticker executor ticks" "tick " \
  "$APP/.weft/logs/beat_stdout.txt" 3
wait_has "mixed: the fake executor runs" "" "$REC/record.pids"
has "mixed: executors listed" "Executor: $PLUG/weft-trigger-ticker (pid" \
  "$(cat "$TMP/up.out")"
ticker=$(sed -n 's/^Executor: .*weft-trigger-ticker (pid \([0-9]*\))$/\1/p' \
  "$TMP/up.out")
pids="$(recorded_pids "$REC/record.pids") $ticker"
up_interrupt
same "mixed: exit status after SIGINT" 0 "$rc"
all_gone "mixed: nothing left" $pids
same "mixed: nothing on stderr" "" "$(grep -v '^weft: compil' "$TMP/up.err")"

finish

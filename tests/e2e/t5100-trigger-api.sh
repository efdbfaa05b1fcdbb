#!/bin/sh
# t5100-trigger-api.sh - the public trigger API as a user meets it:
# `make install` (files, soname, weft.pc, the WIT files and the SDK), the
# example executors weft-trigger-ticker and weft-trigger-socket and the
# embedding example embed-app built with pkg-config against the install
# only, their guests built by the installed `weft build`; the ticker under
# the installed `weft up` and run by hand, the socket trigger answering a
# real client on a UNIX socket, bad settings (of the wrong type, refused
# by the trigger, missing) naming the manifest's file:line, embed-app serving HTTP; and the installed weft and libweft.so
# reading the installed WIT files.
. "$(dirname "$0")/lib.sh"

PREFIX=$TMP/prefix
PLUGINS=$TMP/plugins
WEFT=$PREFIX/bin/weft # what up_start runs: the installed one
UNIX_LINES=$BUILD/tests/unix_lines
export PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig
unset WEFT_WIT_DIR
# The examples compile as cleanly as the tree does.
WARN="-std=gnu11 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
-Wvla -Wwrite-strings -Werror"

# ---- make install ----------------------------------------------------------

# A sanitized build (make asan) installs a weft.pc that links programs
# with the sanitizers: read from the build's libweft.a whether it is one,
# so that a run by hand on build-asan installs as `make asan` does.
san=
nm "$BUILD/libweft.a" 2>/dev/null | grep -q ' U __asan_' &&
  san=address,undefined
run make -C "$ROOT" --no-print-directory BUILD="$BUILD" PREFIX="$PREFIX" \
  ${san:+SANITIZE=$san} install
if [ "$rc" != 0 ]; then
  not_ok "make install: exit $rc" "$(printf '%s\n' "$out" "$err" | tail -20)"
  finish
  exit 1
fi
ok
for f in bin/weft lib/libweft.a lib/libweft.so include/weft.h \
  lib/pkgconfig/weft.pc share/weft/sdk/c/include/http_trigger.h \
  share/weft/sdk/c/src/spin_timer.c share/weft/wit/spin/world.wit \
  share/weft/wit/spin-timer/world.wit; do
  [ -s "$PREFIX/$f" ] && ok || not_ok "make install: no $f"
done
# deps/spin of spin-timer is a symlink in the tree: it must still resolve.
[ -n "$(ls "$PREFIX/share/weft/wit/spin-timer/deps/spin/" 2>/dev/null)" ] &&
  ok || not_ok "installed wit/spin-timer/deps/spin does not resolve"
same "soname" "libweft.so.0" \
  "$(readelf -d "$PREFIX/lib/libweft.so" |
    sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')"
[ -L "$PREFIX/lib/libweft.so" ] && [ -e "$PREFIX/lib/libweft.so.0" ] && ok ||
  not_ok "libweft.so is not a symlink to libweft.so.0"
version=$(sed -n 's/^#define WEFT_VERSION_STRING "\(.*\)"$/\1/p' \
  "$ROOT/include/weft.h")
same "pkg-config --modversion" "$version" "$(pkg-config --modversion weft)"
# (echo: pkg-config ends its output with a space)
same "pkg-config --cflags" "-I$PREFIX/include" \
  "$(echo $(pkg-config --cflags weft))"
same "pkg-config --libs" "-L$PREFIX/lib -lweft${san:+ -fsanitize=$san}" \
  "$(echo $(pkg-config --libs weft))"
has "pkg-config --static --libs" "-lsqlite3" \
  "$(pkg-config --static --libs weft)"
same "pkg-config witdir" "$PREFIX/share/weft/wit" \
  "$(pkg-config --variable=witdir weft)"

# ---- the examples, built against the install only ----------------------------

# cc_weft OUT SRC: build a program with pkg-config's flags (and an rpath to
# the installed library, so it runs without LD_LIBRARY_PATH).
cc_weft() {
  # shellcheck disable=SC2086 # word splitting of the flags is meant
  cc $WARN $(pkg-config --cflags weft) -o "$1" "$2" \
    $(pkg-config --libs weft) -Wl,-rpath,"$(pkg-config --variable=libdir weft)"
}
mkdir -p "$PLUGINS"
for t in ticker socket; do
  run cc_weft "$PLUGINS/weft-trigger-$t" \
    "$ROOT/examples/trigger-$t/weft-trigger-$t.c"
  same "weft-trigger-$t builds with pkg-config" "0" "$rc"
  [ "$rc" = 0 ] || printf '%s\n' "$err" | head -20 >&2
done
run cc_weft "$TMP/embed-app" "$ROOT/examples/embed-app/embed-app.c"
same "embed-app builds with pkg-config" "0" "$rc"
[ "$rc" = 0 ] || printf '%s\n' "$err" | head -20 >&2
has "the executor uses the installed libweft.so" "$PREFIX/lib/libweft.so.0" \
  "$(ldd "$PLUGINS/weft-trigger-ticker")"
# Libs.private is enough to link the static library.
# shellcheck disable=SC2046
run cc $WARN $(pkg-config --cflags weft) -o "$TMP/embed-app-static" \
  "$ROOT/examples/embed-app/embed-app.c" "$PREFIX/lib/libweft.a" \
  $(pkg-config --static --libs weft | sed 's/-lweft //')
same "embed-app links libweft.a with Libs.private" "0" "$rc"
[ "$rc" = 0 ] || printf '%s\n' "$err" | head -20 >&2

# The guests, built by their [component.X.build] with the installed weft.
for t in ticker socket; do
  mkdir -p "$TMP/$t"
  cp "$ROOT/examples/trigger-$t/"*.wit "$ROOT/examples/trigger-$t/"*.c \
    "$ROOT/examples/trigger-$t/spin.toml" "$TMP/$t/"
  rm -f "$TMP/$t/weft-trigger-$t.c"
  run env PATH="$PREFIX/bin:$PATH" weft build -f "$TMP/$t"
  same "weft build of the $t guest" "0" "$rc"
  [ "$rc" = 0 ] || printf '%s\n' "$out" "$err" | tail -20 >&2
done

# ---- the executor of docs/triggers.md ------------------------------------------

# doc_block NAME: the code block under "<!-- t5100: NAME -->" in the doc.
doc_block() {
  sed -n "/^<!-- t5100: $1 -->\$/,/^\`\`\`\$/p" "$ROOT/docs/triggers.md" |
    sed '1,2d;$d'
}
BEAT=$TMP/beat
mkdir -p "$BEAT"
for f in weft-trigger-beat.c beat.wit beat-guest.c spin.toml; do
  doc_block "$f" >"$BEAT/$f"
  [ -s "$BEAT/$f" ] && ok || not_ok "docs/triggers.md: no block $f"
done
run cc_weft "$PLUGINS/weft-trigger-beat" "$BEAT/weft-trigger-beat.c"
same "the doc's executor builds" "0" "$rc"
[ "$rc" = 0 ] || printf '%s\n' "$err" | head -20 >&2
run sh -c "cd '$BEAT' && '$PREFIX/bin/weft' bindgen c beat.wit -o bindings &&
  clang --target=wasm32-wasi --sysroot=/usr -O2 -mexec-model=reactor \
    -I bindings -o beat-guest.wasm beat-guest.c bindings/beat.c"
same "the doc's guest builds" "0" "$rc"
[ "$rc" = 0 ] || printf '%s\n' "$err" | head -20 >&2
"$PLUGINS/weft-trigger-beat" -f "$BEAT" >"$TMP/up.out" 2>"$TMP/up.err" &
pid=$!
wait_has "the doc's executor beats" "beat" "$BEAT/.weft/logs/beater_stdout.txt" 3
kill "$pid" 2>/dev/null
wait "$pid"
rc=$?
pid=
same "the doc's executor: exit status after SIGTERM" "0" "$rc"

# ---- weft-trigger-ticker -------------------------------------------------------

APP=$TMP/ticker
LOG=$APP/.weft/logs/ticker_stdout.txt
sed -i 's/^speedup = 1$/speedup = 10/' "$APP/spin.toml" # a tick per 100 ms

run "$PLUGINS/weft-trigger-ticker" --help
same "weft-trigger-ticker --help: exit 0" "0" "$rc"
has "--help: its own option" "--ticks" "$out"
has "--help: the common options" "--listen" "$out"
has "--help: its summary" "tick(n)" "$out"

# By hand, as `weft up` starts it: the app in WEFT_MANIFEST_URL. --ticks 3
# makes it stop after three ticks.
run env WEFT_MANIFEST_URL="file://$APP/spin.toml" \
  "$PLUGINS/weft-trigger-ticker" --ticks 3
same "weft-trigger-ticker --ticks 3: exit 0" "0" "$rc"
[ "$rc" = 0 ] || printf '%s\n' "$err" >&2
same "three ticks, numbered" "tick 1
tick 2
tick 3" "$(cat "$LOG" 2>/dev/null)"
rm -f "$LOG"

# Under the installed weft up, found in WEFT_PLUGINS_DIR; until the
# supervisor lands, the executor is run by hand in its place.
if grep -q weft__supervisor_start "$ROOT/src/cli/cmd_up.c"; then
  export WEFT_PLUGINS_DIR=$PLUGINS
  up_start
else
  echo "t5100: no supervisor in weft up yet: running the executor" >&2
  WEFT_MANIFEST_URL="file://$APP/spin.toml" "$PLUGINS/weft-trigger-ticker" \
    >"$TMP/up.out" 2>"$TMP/up.err" &
  pid=$!
fi
wait_has "ticks under weft up" "tick " "$LOG" 5
child=$(sed -n 's/^Executor: .*(pid \([0-9]*\))$/\1/p' "$TMP/up.out")
kill "$pid" 2>/dev/null
wait "$pid"
rc=$?
pid=
same "exit status after SIGTERM" "0" "$rc"
[ "$rc" = 0 ] || cat "$TMP/up.err" >&2
if [ -n "$child" ]; then
  kill -0 "$child" 2>/dev/null && not_ok "executor $child outlived weft up" ||
    ok
fi
# Only compile progress lines may be on stderr.
same "nothing on stderr" "" "$(grep -v -e '^weft: compil' "$TMP/up.err")"

# Bad settings fail at start, naming the manifest's file and line.
BAD=$TMP/bad
mkdir -p "$BAD"
cp "$APP/ticker-guest.wasm" "$BAD/"
sed 's/^interval_secs = 1$/interval_secs = "x"/' "$APP/spin.toml" \
  >"$BAD/spin.toml"
line=$(grep -n '^interval_secs' "$BAD/spin.toml" | cut -d: -f1)
run timeout 60 "$PLUGINS/weft-trigger-ticker" -f "$BAD/spin.toml"
same "interval_secs = \"x\": exit 1" "1" "$rc"
has "interval_secs = \"x\": file:line" \
  "$BAD/spin.toml:$line: 'interval_secs' must be an integer" "$err"
# A value the trigger itself refuses is named where it is written too
# (weft_app_setting_error, #5).
sed -i 's/^interval_secs = .*/interval_secs = 0/' "$BAD/spin.toml"
run timeout 60 "$PLUGINS/weft-trigger-ticker" -f "$BAD/spin.toml"
same "interval_secs = 0: exit 1" "1" "$rc"
has "interval_secs = 0: file:line and why" \
  "$BAD/spin.toml:$line: 'interval_secs' must be at least 1, not 0" "$err"
sed -i -e 's/^interval_secs = .*/interval_secs = 1/' \
  -e 's/^speedup = .*/speedup = 0/' "$BAD/spin.toml"
sline=$(grep -n '^speedup' "$BAD/spin.toml" | cut -d: -f1)
run timeout 60 "$PLUGINS/weft-trigger-ticker" -f "$BAD/spin.toml"
same "speedup = 0: exit 1" "1" "$rc"
has "speedup = 0: file:line and why" \
  "$BAD/spin.toml:$sline: 'speedup' must be from 1 to 1000000, not 0" "$err"
# A key that is missing: the line of its entry's header, named as the
# manifest names it.
sed -e '/^interval_secs = /d' -e 's/^speedup = .*/speedup = 1/' \
  "$BAD/spin.toml" >"$BAD/nointerval.toml"
hline=$(grep -n '^\[\[trigger.ticker\]\]' "$BAD/nointerval.toml" |
  cut -d: -f1)
run timeout 60 "$PLUGINS/weft-trigger-ticker" -f "$BAD/nointerval.toml"
same "no interval_secs: exit 1" "1" "$rc"
has "no interval_secs: file:line" "$BAD/nointerval.toml:$hline: missing \
key 'interval_secs' in [[trigger.ticker]]" "$err"
sed -i -e 's/^interval_secs = .*/interval_secs = 1/' \
  -e 's/^speedup = .*/speedup = "fast"/' "$BAD/spin.toml"
line=$(grep -n '^speedup' "$BAD/spin.toml" | cut -d: -f1)
run timeout 60 "$PLUGINS/weft-trigger-ticker" -f "$BAD/spin.toml"
same "speedup = \"fast\": exit 1" "1" "$rc"
has "speedup = \"fast\": file:line" \
  "$BAD/spin.toml:$line: 'speedup' must be an integer" "$err"
run "$PLUGINS/weft-trigger-ticker" -f "$BAD/spin.toml" --ticks x
same "--ticks x: usage error" "2" "$rc"
has "--ticks x: why" "'x' is not a positive number" "$err"

# ---- weft-trigger-socket ---------------------------------------------------------

APP=$TMP/socket
SOCK=$APP/shout.sock
if grep -q weft__supervisor_start "$ROOT/src/cli/cmd_up.c"; then
  up_start
else
  "$PLUGINS/weft-trigger-socket" -f "$APP" >"$TMP/up.out" \
    2>"$TMP/up.err" &
  pid=$!
fi
run "$UNIX_LINES" "$SOCK" hello "two words" ""
same "socket: exit 0" "0" "$rc"
same "socket: each line answered" "HELLO
TWO WORDS
error: empty line" "$out"
[ "$rc" = 0 ] || printf '%s\n' "$err" "$(cat "$TMP/up.err")" >&2
# A last line without its newline, with the client's side closed.
run sh -c "printf 'one\r\ntwo' | \"$UNIX_LINES\" \"$SOCK\""
same "socket: CRLF, and a last line without newline" "ONE
TWO" "$out"
wait_has "socket: the guest's own output" "line: two words" \
  "$APP/.weft/logs/shout_stdout.txt"
# Another executor on the same socket is refused.
run timeout 60 "$PLUGINS/weft-trigger-socket" -f "$APP"
same "socket in use: exit 1" "1" "$rc"
has "socket in use: why" "another process listens on '$SOCK'" "$err"
kill "$pid" 2>/dev/null
wait "$pid"
rc=$?
pid=
same "socket: exit status after SIGTERM" "0" "$rc"
[ -e "$SOCK" ] && not_ok "socket file left after stop" || ok

# Killed, it leaves its socket file behind; the next one replaces it.
"$PLUGINS/weft-trigger-socket" -f "$APP" >"$TMP/s.out" 2>"$TMP/s.err" &
pid=$!
run "$UNIX_LINES" "$SOCK" first
same "socket: answered before the kill" "FIRST" "$out"
kill -9 "$pid"
wait "$pid" 2>/dev/null
pid=
[ -S "$SOCK" ] && ok || not_ok "no stale socket file after SIGKILL"
"$PLUGINS/weft-trigger-socket" -f "$APP" >"$TMP/s.out" 2>"$TMP/s.err" &
pid=$!
run "$UNIX_LINES" "$SOCK" again
same "socket: a stale socket file is replaced" "AGAIN" "$out"
[ "$rc" = 0 ] || cat "$TMP/s.err" >&2
kill "$pid"
wait "$pid"
pid=

# A socket entry without a path.
sed '/^path = /d' "$APP/spin.toml" >"$APP/nopath.toml"
run timeout 60 "$PLUGINS/weft-trigger-socket" -f "$APP/nopath.toml"
same "socket without path: exit 1" "1" "$rc"
line=$(grep -n '^\[\[trigger.socket\]\]' "$APP/nopath.toml" | cut -d: -f1)
has "socket without path: why, at its [[trigger.socket]]" \
  "nopath.toml:$line: socket 'shout-socket-trigger' (component 'shout')" \
  "$err"

# ---- embed-app -------------------------------------------------------------------

mkdir -p "$TMP/embed"
(cd "$TMP/embed" && exec "$TMP/embed-app" --listen 127.0.0.1:0 \
  "$ROOT/examples/hello/hello.wasm" "$ROOT/examples/timer/timer.wasm" \
  >"$TMP/up.out" 2>"$TMP/up.err") &
pid=$!
if wait_for "embed-app: port " "$TMP/up.out"; then
  port=$(sed -n 's/^embed-app: port \([0-9]*\)$/\1/p' "$TMP/up.out")
  same "embed-app: /hello" "200" "$(code "http://127.0.0.1:$port/hello")"
  same "embed-app: hello's body" "hello from weft" "$(cat "$TMP/body")"
  same "embed-app: outside its route" "404" \
    "$(code "http://127.0.0.1:$port/other")"
  wait_has "embed-app: the timer with its variable" \
    "tick: tick from embed-app" "$TMP/embed/.weft/logs/ticker_stdout.txt"
else
  not_ok "embed-app did not start" "$(cat "$TMP/up.out" "$TMP/up.err")"
fi
kill "$pid" 2>/dev/null
wait "$pid"
rc=$?
pid=
same "embed-app: exit status after SIGTERM" "0" "$rc"
run "$TMP/embed-app" --seconds 1 --listen 127.0.0.1:0 \
  "$ROOT/examples/hello/hello.wasm"
same "embed-app --seconds 1: exit 0" "0" "$rc"
run "$TMP/embed-app" --listen 127.0.0.1:0 "$TMP/missing.wasm"
same "embed-app, missing component: exit 1" "1" "$rc"
has "embed-app, missing component: names it" "missing.wasm" "$err"

# ---- the WIT files of the installation -------------------------------------------

# The installed weft, and a program linked with the installed libweft.so,
# read share/weft/wit of the installation rather than the source tree's:
# break the installed copy and both must say so.
WIT=$(cd "$PREFIX/share/weft/wit" && pwd -P)
echo "this is not WIT" >>"$PREFIX/share/weft/wit/spin/world.wit"
APP=$TMP/ticker
run timeout 60 "$WEFT" up -f "$APP"
same "installed weft, broken installed WIT: exit 1" "1" "$rc"
has "installed weft reads the installed WIT" "$WIT/spin" "$err"
run "$PLUGINS/weft-trigger-ticker" -f "$APP" --ticks 1
same "executor, broken installed WIT: exit 1" "1" "$rc"
has "the executor reads the installed WIT" "$WIT/spin" "$err"
# WEFT_WIT_DIR still comes first.
run env WEFT_WIT_DIR="$ROOT/wit" "$PLUGINS/weft-trigger-ticker" -f "$APP" \
  --ticks 1
same "WEFT_WIT_DIR overrides the installed WIT" "0" "$rc"

finish

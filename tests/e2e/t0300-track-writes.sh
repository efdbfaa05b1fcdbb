#!/bin/sh
# t0300-track-writes.sh - write tracking (weft_engine_config_t.track_writes,
# WEFT_TRACK_WRITES=1): `weft up` compiles its components with it and
# `weft run` does not; with `weft up`'s reset after every request, no
# request sees what the one before wrote (tests/guests/http_state.c keeps
# it in static data, on the heap and 40 KiB into a static array); and
# the WebAssembly spec scripts on memory and bulk memory pass with it
# (stores at every address and offset, traps at the bounds, fill, copy,
# init, grow). What a reset rewrites is checked byte by byte in
# tests/unit/reset_test.c.
. "$(dirname "$0")/lib.sh"

# ---- weft up tracks, weft run does not --------------------------------------

export WEFT_CACHE_DIR=$TMP/cache
APP=$TMP/app
mkdir -p "$APP"
cp "$GUESTS/http_state.wasm" "$APP/"
cat >"$APP/spin.toml" <<'TOML'
spin_manifest_version = 2

[application]
name = "state"

[[trigger.http]]
route = "/..."
component = "state"

[component.state]
source = "http_state.wasm"
TOML

if up_start --max-instances 1; then
  fresh="calls=1 prev= heap= deep="
  for path in /a /b /c/d /a; do
    same "GET $path" 200 "$(code "$base$path")"
    same "GET $path sees a fresh instance" "$fresh" "$(cat "$TMP/body")"
  done
  # Keep-alive: one connection, one instance, one request after another.
  run curl -s "$base/x" "$base/y" "$base/z"
  same "keep-alive sees fresh instances" "$fresh$fresh$fresh" "$out"
  up_stop
fi
same "weft up compiles with write tracking" 1 \
  "$(grep -l weft_tracks_writes "$TMP"/cache/*/*.so | wc -l | tr -d ' ')"

export WEFT_CACHE_DIR=$TMP/cache-run
expect "weft run" 0 "$WEFT" run --invoke add "$GUESTS/traps.wasm" 1 2
same "weft run result" 3 "$out"
same "weft run compiles without it" 0 \
  "$(grep -l weft_tracks_writes "$TMP"/cache-run/*/*.so | wc -l |
    tr -d ' ')"

# ---- the spec scripts on memory, with tracking -------------------------------

export WEFT_CACHE_DIR=$BUILD/test-cache
CONFORMANCE=${CONFORMANCE:-$ROOT/../shared/conformance}
SPEC=$CONFORMANCE/wasm-spec
if [ -d "$SPEC" ] && command -v wast2json >/dev/null &&
  command -v wat2wasm >/dev/null; then
  wat2wasm "$ROOT/tests/conformance/spectest.wat" -o "$TMP/spectest.wasm"
  for n in memory_fill memory_copy memory_init memory_grow memory_trap \
    bulk endianness; do
    mkdir -p "$TMP/spec/$n"
    if ! wast2json "$SPEC/$n.wast" -o "$TMP/spec/$n/$n.json" \
      >"$TMP/spec/$n/log" 2>&1; then
      not_ok "$n.wast: wast2json failed" "$(cat "$TMP/spec/$n/log")"
      continue
    fi
    WEFT_TRACK_WRITES=1 run "$WEFT" spectest --spectest "$TMP/spectest.wasm" \
      "$TMP/spec/$n/$n.json"
    line=$(printf '%s\n' "$out" | grep -E "^$n\.wast: [0-9]+ passed")
    case $rc:$line in
    0:*" 0 failed"*) ok ;;
    *) not_ok "$n.wast with write tracking: exit $rc" "$out
$err" ;;
    esac
  done
else
  echo "t0300: no spec suite in $SPEC (or no wabt): spec scripts skipped"
fi

finish

#!/bin/sh
# t4000-up-http.sh - `weft up` serving HTTP to curl: a Spin component in C
# (examples/hello), routes, the health endpoint, keep-alive, 404,
# 413, 504 on a looping guest while others are served, 503 past the pool,
# usage errors, bad manifests.
. "$(dirname "$0")/lib.sh"

APP=$TMP/app
mkdir -p "$APP"
cp "$ROOT/examples/hello/hello.wasm" "$GUESTS/http_loop.wasm" "$APP/"
cat >"$APP/spin.toml" <<'TOML'
spin_manifest_version = 2

[application]
name = "e2e"

[[trigger.http]]
route = "/hello/..."
component = "hello"

[[trigger.http]]
route = "/exact"
component = "hello"

[[trigger.http]]
route = "/loop"
component = "looper"

[component.hello]
source = "hello.wasm"

[component.looper]
source = "http_loop.wasm"
TOML

up_start --request-timeout 1s --max-instances 1 --max-body 100
has "routes listed" "hello: $base/hello/..." "$(cat "$TMP/up.out")"
same "hello" 200 "$(code "$base/hello/x")"
same "hello body" "hello from weft" "$(cat "$TMP/body")"
same "wildcard root" 200 "$(code "$base/hello")"
same "exact" 200 "$(code "$base/exact")"
same "exact is exact" 404 "$(code "$base/exact/more")"
same "no route" 404 "$(code "$base/nope")"
same "health" 200 "$(code "$base/.well-known/weft/health")"
same "post small" 200 "$(code "$base/hello/p" --data-binary 'abc')"
head -c 1000 /dev/zero >"$TMP/big"
same "post too large" 413 "$(code "$base/hello/p" --data-binary "@$TMP/big")"
same "bad method" 405 "$(code "$base/hello/p" -X BREW)"
# Keep-alive: two requests on one connection.
run curl -sv "$base/hello/a" "$base/hello/b"
has "keep-alive" "Re-using existing connection" "$err"

# A looping handler gets 504 at the deadline; others are served meanwhile.
code "$base/loop" >"$TMP/loop1" &
sleep 0.3
same "served while looping" 200 "$(code "$base/hello/x")"
wait $!
same "deadline" 504 "$(cat "$TMP/loop1")"
has "deadline logged" "component 'looper': " "$(cat "$TMP/up.err")"
# One instance, four waiting: the sixth concurrent request gets 503.
pids=
for i in 1 2 3 4 5 6; do
  code "$base/loop" >"$TMP/c$i" &
  pids="$pids $!"
done
for p in $pids; do wait "$p"; done
all=$(cat "$TMP"/c[1-6] | sort | tr '\n' ' ')
has "overload answers 503" "503" "$all"
has "overload still times out" "504" "$all"
same "alive after overload" 200 "$(code "$base/hello/x")"
up_stop

# Component logs go to .weft/logs beside the manifest.
[ -f "$APP/.weft/logs/hello_stdout.txt" ] && ok || not_ok "log files"

# Usage and manifest errors.
expect "up --help" 0 "$WEFT" up --help
has "up --help" "usage: weft up" "$out"
expect "bad listen" 2 "$WEFT" up -f "$APP" --listen nowhere
expect "extra argument" 2 "$WEFT" up -f "$APP" extra
mkdir -p "$TMP/bad"
printf 'spin_manifest_version = 2\n[application]\nname = "x"\n[[trigger.http]]\nroute = "/"\ncomponent = "missing"\n' >"$TMP/bad/spin.toml"
expect "missing component" 1 "$WEFT" up -f "$TMP/bad"
has "missing component" "spin.toml:6: component 'missing' is not defined" "$err"
expect "no manifest" 1 "$WEFT" up -f "$TMP/nowhere"

finish

#!/bin/sh
# t4200-up-outbound.sh - `weft up` with outbound HTTP: a proxy component
# (tests/guests/http_proxy.c) allowed only "http://127.0.0.1:{{ port }}",
# the port being weft's own (an app variable), fetches the hello
# component's route through weft; other hosts and ports are denied with
# destination-not-allowed and a line on weft's stderr; a bad
# allowed_outbound_hosts entry stops the app naming its line.
. "$(dirname "$0")/lib.sh"

APP=$TMP/app
mkdir -p "$APP"
cp "$ROOT/examples/hello/hello.wasm" "$GUESTS/http_proxy.wasm" "$APP/"
manifest() {
  cat >"$APP/spin.toml" <<TOML
spin_manifest_version = 2

[application]
name = "outbound"

[variables]
port = { required = true }

[[trigger.http]]
route = "/proxy/..."
component = "proxy"

[[trigger.http]]
route = "/hello/..."
component = "hello"

[component.proxy]
source = "http_proxy.wasm"
allowed_outbound_hosts = ["$1"]

[component.hello]
source = "hello.wasm"
TOML
}

# start: `weft up` on a port chosen here (the manifest needs it before
# weft listens), another one if that one is taken (see up_try).
start() {
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    _p=$(($(od -An -N2 -tu2 /dev/urandom) % 20000 + 20000))
    up_try --listen "127.0.0.1:$_p" --variable "port=$_p" && return 0
  done
  not_ok "weft up did not start" "$(cat "$TMP/up.err")"
  return 1
}
# fetch URL [CURL ARGS...]: the proxy fetches URL; prints the status, the
# body is in $TMP/body and the headers in $TMP/headers.
fetch() {
  _q=$(printf '%s' "$1" | sed 's|%|%25|g; s|:|%3A|g; s|/|%2F|g; s|?|%3F|g')
  shift
  curl -s -D "$TMP/headers" -o "$TMP/body" -w '%{http_code}' "$@" \
    "$base/proxy/fetch?url=$_q"
}

manifest 'http://127.0.0.1:{{ port }}'
if ! start; then
  finish
  exit
fi

# Allowed: weft's own address, the hello route.
same "allowed" 200 "$(fetch "$base/hello/x")"
same "allowed body" "hello from weft" "$(cat "$TMP/body")"
has "upstream status" "x-upstream-status: 200" "$(tr -d '\r' <"$TMP/headers")"
has "upstream headers" "upstream-content-type: text/plain" \
  "$(tr -d '\r' <"$TMP/headers")"
same "x-target header" 200 \
  "$(curl -s -o "$TMP/body" -w '%{http_code}' \
    -H "x-target: $base/hello/y" "$base/proxy/fetch")"
same "x-target body" "hello from weft" "$(cat "$TMP/body")"
same "not found upstream" 200 "$(fetch "$base/nowhere")"
has "not found upstream" "x-upstream-status: 404" \
  "$(tr -d '\r' <"$TMP/headers")"

# Denied: another address, another port, another scheme.
for url in "http://127.0.0.2:$port/hello/x" "http://127.0.0.1:1/hello/x" \
  "https://127.0.0.1:$port/hello/x"; do
  same "denied $url" 502 "$(fetch "$url")"
  same "denied $url body" "destination-not-allowed" "$(cat "$TMP/body")"
  line="weft: component 'proxy': outbound request to $url denied"
  has "denied $url logged" "$line (not in allowed_outbound_hosts)" \
    "$(cat "$TMP/up.err")"
done
same "invalid url" 502 "$(fetch "nowhere")"
same "invalid url body" "invalid-url" "$(cat "$TMP/body")"
same "still serving" 200 "$(fetch "$base/hello/z")"
up_stop

# A bad entry stops the app before it serves, naming the line (were it
# to serve instead, timeout ends it).
manifest 'http://127.0.0.1:{{ port }}/path'
expect "bad entry" 1 timeout 30 "$WEFT" up -f "$APP" \
  --listen 127.0.0.1:0 --variable port=1
entry="allowed_outbound_hosts entry 'http://127.0.0.1:{{ port }}/path'"
has "bad entry" "spin.toml:19: component 'proxy': $entry has a path" "$err"

finish

#!/bin/sh
# http.sh - the HTTP trigger against its peers, with wrk on loopback:
#   (a) `weft up -f examples/hello`: the wasm handler, a fresh (reset)
#       instance per request;
#   (b) bench/http_native.c: the same server with the same handler compiled
#       natively, only the guest call replaced;
#   (c) nginx, one worker, answering the same static 200.
# All three get the same wrk settings (WRK_ARGS), first with keep-alive (as
# wrk does by default), then with a new connection per request. Prints one
# line per mode with requests/s, p99 latency and the ratios a/c and a/b.
# Needs wrk and nginx: `sh scripts/deps.sh bench` installs them.
# Run from `make bench` (bench/run.sh) or alone: BUILD=build sh bench/http.sh
set -e
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
WRK_ARGS=${WRK_ARGS:--t1 -c16 -d5s}
ROUNDS=${ROUNDS:-3}
CC=${CC:-cc}
LIBS=${LIBS:--lsodium -ljansson -lmicrohttpd -lsqlite3 -lhiredis -lcurl \
-ldl -lpthread -lm}
sh scripts/deps.sh bench
out=$BUILD/bench
mkdir -p "$out"
# shellcheck disable=SC2086
$CC -std=gnu11 -O2 -D_GNU_SOURCE -Iinclude -Isrc -o "$out/http_native" \
  bench/http_native.c "$BUILD/libweft.a" $LIBS

tmp=$(mktemp -d)
pids=""
cleanup() {
  for p in $pids; do kill "$p" 2>/dev/null || :; done
  for p in $pids; do wait "$p" 2>/dev/null || :; done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# serve NAME CMD...: start a server that prints "Serving http://HOST:PORT"
# on port 0; sets $url.
serve() {
  _name=$1
  shift
  "$@" >"$tmp/$_name.out" 2>"$tmp/$_name.err" &
  pids="$pids $!"
  _port=
  for _ in $(seq 1 600); do # a first start compiles the module
    _port=$(sed -n 's|^Serving http://127.0.0.1:\([0-9]*\)$|\1|p' \
      "$tmp/$_name.out")
    [ -n "$_port" ] && break
    sleep 0.1
  done
  if [ -z "$_port" ]; then
    echo "http.sh: $_name did not start:" >&2
    cat "$tmp/$_name.err" >&2
    exit 1
  fi
  url=http://127.0.0.1:$_port/
}

# nginx with one worker, everything inside $tmp/nginx, on a free port
# (tried from a random start until bind succeeds).
serve_nginx() {
  d=$tmp/nginx
  mkdir -p "$d"
  _port=$((20000 + $$ % 20000))
  for _ in $(seq 1 50); do
    _port=$((_port + 1))
    cat >"$d/nginx.conf" <<EOF
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $d/body;
  proxy_temp_path $d/proxy;
  fastcgi_temp_path $d/fastcgi;
  uwsgi_temp_path $d/uwsgi;
  scgi_temp_path $d/scgi;
  server {
    listen 127.0.0.1:$_port;
    location / {
      default_type text/plain;
      return 200 "hello from weft";
    }
  }
}
EOF
    nginx -c "$d/nginx.conf" -p "$d/" -e "$d/error.log" -g 'daemon off;' \
      2>"$tmp/nginx.err" &
    _pid=$!
    for _ in $(seq 1 50); do
      curl -sf -o /dev/null "http://127.0.0.1:$_port/" && break
      kill -0 "$_pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$_pid" 2>/dev/null; then
      pids="$pids $_pid"
      url=http://127.0.0.1:$_port/
      return 0
    fi
    wait "$_pid" 2>/dev/null || :
  done
  echo "http.sh: nginx did not start:" >&2
  cat "$tmp/nginx.err" >&2
  exit 1
}

# measure URL [WRK ARGS...]: "REQ/S P99_MS" after a 1 s warm-up.
measure() {
  _u=$1
  shift
  # shellcheck disable=SC2086
  wrk -t1 -c16 -d1s "$@" "$_u" >/dev/null
  # shellcheck disable=SC2086
  wrk $WRK_ARGS --latency "$@" "$_u" >"$tmp/wrk.out"
  if grep -q "Non-2xx\|Socket errors" "$tmp/wrk.out"; then
    echo "http.sh: errors against $_u:" >&2
    cat "$tmp/wrk.out" >&2
  fi
  awk '/^Requests\/sec:/ { rps = $2 }
       $1 == "99%" { v = $2; ms = v + 0;
                     if (v ~ /us$/) ms /= 1000;
                     else if (v ~ /[0-9]s$/ && v !~ /ms$/) ms *= 1000;
                     p99 = ms }
       END { printf "%.0f %.2f\n", rps, p99 }' "$tmp/wrk.out"
}

# One polling thread for (a) and (b), as nginx gets one worker.
export WEFT_HTTP_THREADS=${WEFT_HTTP_THREADS:-1}
serve wasm "$BUILD/weft" up -f examples/hello --listen 127.0.0.1:0
url_a=$url
serve native "$out/http_native" examples/hello 127.0.0.1:0
url_b=$url
serve_nginx
url_c=$url
for u in "$url_a" "$url_b" "$url_c"; do
  body=$(curl -sf "$u")
  [ "$body" = "hello from weft" ] || {
    echo "http.sh: $u answered '$body'" >&2
    exit 1
  }
done

# line LABEL [WRK ARGS...]: one line of figures for the three servers. Each
# is measured ROUNDS times, the runs of the three interleaved, and the run
# with the most requests/s is kept (other work on the machine only ever
# slows a run down).
line() {
  _label=$1
  shift
  ra=0 rb=0 rc=0 pa=0 pb=0 pc=0
  for _ in $(seq 1 "$ROUNDS"); do
    r=$(measure "$url_a" "$@")
    [ "${r% *}" -gt "$ra" ] && ra=${r% *} pa=${r#* }
    r=$(measure "$url_b" "$@")
    [ "${r% *}" -gt "$rb" ] && rb=${r% *} pb=${r#* }
    r=$(measure "$url_c" "$@")
    [ "${r% *}" -gt "$rc" ] && rc=${r% *} pc=${r#* }
  done
  awk -v l="$_label" -v a="$ra" -v ap="$pa" -v b="$rb" -v bp="$pb" \
    -v c="$rc" -v cp="$pc" 'BEGIN {
    printf "%-18s wasm (a): %6d req/s p99 %.2f ms | native (b): %6d req/s " \
           "p99 %.2f ms | nginx (c): %6d req/s p99 %.2f ms | " \
           "a/c %.2f  a/b %.2f\n", l, a, ap, b, bp, c, cp, a / c, a / b }'
}
echo "wrk $WRK_ARGS, best of $ROUNDS, loopback, $(nproc) cores shared" \
  "by wrk and the server; $WEFT_HTTP_THREADS weft polling thread(s)," \
  "1 nginx worker"
line "http hello"
line "http hello close" -H "Connection: close"

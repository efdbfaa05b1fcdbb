#!/bin/sh
# http.sh - the HTTP trigger against its peers, with wrk on loopback:
#   (a) `weft up -f examples/hello`: the wasm handler, a fresh (reset)
#       instance per request;
#   (b) bench/http_native.c: the same server with the same handler compiled
#       natively, only the guest call replaced;
#   (c) nginx, one worker, answering the same static 200.
# All three get the same wrk settings (WRK_ARGS), first with keep-alive (as
# wrk does by default), then with a new connection per request. Prints one
# line per mode with requests/s, p99 latency and the ratios a/c and a/b,
# and under it the server CPU time per request (from /proc, steadier than
# requests/s on a shared machine) with the same ratios, c/a and b/a.
# Needs wrk and nginx: `sh scripts/deps.sh bench` installs them.
# Run from `make bench` (bench/run.sh) or alone: BUILD=build sh bench/http.sh
set -e
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
# libweft with gcc's intermediate code (Makefile: LTO), when built so.
LIB=$BUILD/libweft-lto.a
[ -f "$LIB" ] || LIB=$BUILD/libweft.a
WRK_ARGS=${WRK_ARGS:--t1 -c16 -d5s}
ROUNDS=${ROUNDS:-3}
CC=${CC:-cc}
LIBS=${LIBS:--lsodium -ljansson -lmicrohttpd -lsqlite3 -lhiredis -lcurl \
-ldl -lpthread -lm}
sh scripts/deps.sh bench
out=$BUILD/bench
mkdir -p "$out"
# shellcheck disable=SC2086
$CC -std=gnu11 -O2 ${LTO_LINK--flto=auto -w} -D_GNU_SOURCE \
  -Iinclude -Isrc -o "$out/http_native" \
  bench/http_native.c "$LIB" $LIBS

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
# on port 0; sets $url and $pid.
serve() {
  _name=$1
  shift
  "$@" >"$tmp/$_name.out" 2>"$tmp/$_name.err" &
  pid=$!
  pids="$pids $pid"
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
# (tried from a random start until bind succeeds); sets $url and $pid.
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
      pid=$_pid
      url=http://127.0.0.1:$_port/
      return 0
    fi
    wait "$_pid" 2>/dev/null || :
  done
  echo "http.sh: nginx did not start:" >&2
  cat "$tmp/nginx.err" >&2
  exit 1
}

# cpu PID...: CPU time (user + system, in clock ticks) of the processes
# and their children (nginx's worker), from /proc.
cpu() {
  for _p in "$@" $(for _q in "$@"; do pgrep -P "$_q"; done); do
    cat "/proc/$_p/stat" 2>/dev/null
  done | awk '{ t += $14 + $15 } END { print t + 0 }'
}

# measure URL PID [WRK ARGS...]: "REQ/S P99_MS CPU_US" after a 1 s
# warm-up; CPU_US is the server's CPU time per request, in microseconds
# (steadier than requests/s on a machine shared with other work).
measure() {
  _u=$1
  _pid=$2
  shift 2
  # shellcheck disable=SC2086
  wrk -t1 -c16 -d1s "$@" "$_u" >/dev/null
  _c0=$(cpu "$_pid")
  # shellcheck disable=SC2086
  wrk $WRK_ARGS --latency "$@" "$_u" >"$tmp/wrk.out"
  _c1=$(cpu "$_pid")
  if grep -q "Non-2xx\|Socket errors" "$tmp/wrk.out"; then
    echo "http.sh: errors against $_u:" >&2
    cat "$tmp/wrk.out" >&2
  fi
  awk -v c="$((_c1 - _c0))" -v hz="$(getconf CLK_TCK)" '
       / requests in / { n = $1 }
       /^Requests\/sec:/ { rps = $2 }
       $1 == "99%" { v = $2; ms = v + 0;
                     if (v ~ /us$/) ms /= 1000;
                     else if (v ~ /[0-9]s$/ && v !~ /ms$/) ms *= 1000;
                     p99 = ms }
       END { printf "%.0f %.2f %.1f\n", rps, p99,
                    n ? c * 1000000 / hz / n : 0 }' "$tmp/wrk.out"
}

# One polling thread for (a) and (b), as nginx gets one worker.
export WEFT_HTTP_THREADS=${WEFT_HTTP_THREADS:-1}
serve wasm "$BUILD/weft" up -f examples/hello --listen 127.0.0.1:0
url_a=$url pid_a=$pid
serve native "$out/http_native" examples/hello 127.0.0.1:0
url_b=$url pid_b=$pid
serve_nginx
url_c=$url pid_c=$pid
for u in "$url_a" "$url_b" "$url_c"; do
  body=$(curl -sf "$u")
  [ "$body" = "hello from weft" ] || {
    echo "http.sh: $u answered '$body'" >&2
    exit 1
  }
done

# keep S "REQ/S P99_MS CPU_US": note a run of server S (a, b or c) in
# rS, pS (the run with the most requests/s) and cS (the least CPU time
# per request).
keep() {
  # shellcheck disable=SC2086 # split the figures into $2 $3 $4
  set -- "$1" $2
  _r=$(eval "echo \$r$1")
  _c=$(eval "echo \$c$1")
  if [ "$2" -gt "$_r" ]; then eval "r$1=$2 p$1=$3"; fi
  if [ "$_c" = 0 ] || awk "BEGIN { exit !($4 < $_c) }"; then
    eval "c$1=$4"
  fi
}

# line LABEL [WRK ARGS...]: one line of figures for the three servers. Each
# is measured ROUNDS times, the runs of the three interleaved; kept are the
# run with the most requests/s and the least CPU time per request (other
# work on the machine only ever slows a run down).
line() {
  _label=$1
  shift
  ra=0 rb=0 rc=0 pa=0 pb=0 pc=0 ca=0 cb=0 cc=0
  for _ in $(seq 1 "$ROUNDS"); do
    keep a "$(measure "$url_a" "$pid_a" "$@")"
    keep b "$(measure "$url_b" "$pid_b" "$@")"
    keep c "$(measure "$url_c" "$pid_c" "$@")"
  done
  awk -v l="$_label" -v a="$ra" -v ap="$pa" -v b="$rb" -v bp="$pb" \
    -v c="$rc" -v cp="$pc" -v au="$ca" -v bu="$cb" -v cu="$cc" 'BEGIN {
    printf "%-18s wasm (a): %6d req/s p99 %.2f ms | native (b): %6d req/s " \
           "p99 %.2f ms | nginx (c): %6d req/s p99 %.2f ms | " \
           "a/c %.2f  a/b %.2f\n", l, a, ap, b, bp, c, cp, a / c, a / b
    printf "%-18s server CPU per request: a %.1f us, b %.1f us, " \
           "c %.1f us | c/a %.2f  b/a %.2f\n", "", au, bu, cu,
           au ? cu / au : 0, au ? bu / au : 0 }'
}
echo "wrk $WRK_ARGS, best of $ROUNDS, loopback, $(nproc) cores shared" \
  "by wrk and the server; $WEFT_HTTP_THREADS weft polling thread(s)," \
  "1 nginx worker"
line "http hello"
line "http hello close" -H "Connection: close"

#!/bin/sh
# Install the Debian packages Weft needs, only those that are missing.
# `sh scripts/deps.sh bench` also installs what the benchmarks use (wrk,
# and nginx as the static peer of the HTTP benchmark).
# Runs apt-get as root (or through sudo when available).
set -e
PKGS="make gcc clang lld wabt wasi-libc libclang-rt-14-dev-wasm32 \
  libsodium-dev libjansson-dev libmicrohttpd-dev libhiredis-dev redis-server \
  libcurl4-openssl-dev libcmocka-dev libsqlite3-dev pkg-config curl"
BENCH_PKGS="wrk nginx"
[ "$1" = bench ] && PKGS="$PKGS $BENCH_PKGS"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
    missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing" >&2
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null

#!/bin/sh
# t1003-wasi-clock.sh - WASI clocks and poll_oneoff: every clock id, bad
# ids and pointers, relative and absolute clock subscriptions, two clocks,
# fd subscriptions (stdout, a bad fd), nanosleep and usleep.
. "$(dirname "$0")/lib.sh"

G=$GUESTS/wasi_misc.wasm

expect "clock" 0 "$WEFT" run "$G" -- clock
same "clock output" "clock 0: res ok (sane) time ok ok, advances 1
clock 1: res ok (sane) time ok ok, advances 1
clock 2: res ok (sane) time ok ok, advances 1
clock 3: res ok (sane) time ok ok, advances 1
realtime after 2020: 1
clock_res_get bad id: EINVAL
clock_time_get bad id: EINVAL
clock_time_get bad ptr: EFAULT
clock_gettime: 0
time() after 2020: 1" "$out"

poll_expected="relative 30ms: ok n=1 [ud=7 type=0 err=0]
relative 30ms waited enough: 1
absolute +25ms: ok n=1 [ud=8 type=0 err=0]
absolute waited enough: 1
absolute realtime past: ok n=1 [ud=9 type=0 err=0]
two clocks: ok n=1 [ud=2 type=0 err=0]
two clocks returned early: 1
stdout writable: ok n=1 [ud=3 type=2 err=0]
bad fd: ok n=1 [ud=5 type=1 err=EBADF]
bad clock: ok n=1 [ud=6 type=0 err=EINVAL]
no subscriptions: EINVAL
poll bad pointer: EFAULT
nanosleep: 0
nanosleep waited enough: 1
usleep: 0
usleep waited enough: 1"

# stdout a file (always ready) and a pipe (ready through poll(2))
expect "poll" 0 "$WEFT" run "$G" -- poll
same "poll output" "$poll_expected" "$out"
expect "poll, stdout a pipe" 0 sh -c '"$1" run "$2" -- poll | cat' \
  sh "$WEFT" "$G"
same "poll output, stdout a pipe" "$poll_expected" "$out"

# stdin from a pipe that has data only after a while: poll waits for it
expect "poll stdin waits" 0 sh -c \
  '(sleep 1; echo late) | "$1" run "$2" -- stdin' sh "$WEFT" "$G"
same "poll stdin waits output" "poll stdin: ok n=1 ud=1 type=1
LATE
read 5 bytes, last eof" "$out"

finish

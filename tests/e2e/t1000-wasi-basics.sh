#!/bin/sh
# t1000-wasi-basics.sh - WASI preview 1 basics through `weft run`: args and
# environ (--env, nothing leaks from the host), exit codes from proc_exit,
# traps, stdin/stdout, and the fd, rights, prestat, random, yield, raise
# and socket calls of tests/guests/wasi_misc.c.
. "$(dirname "$0")/lib.sh"

G=$GUESTS/wasi_misc.wasm

# args: every argument arrives as given, empty and dash-led ones too
expect "args" 0 "$WEFT" run "$G" -- args a "b c" "" --x
same "args output" "argc=6
argv[1]=[args]
argv[2]=[a]
argv[3]=[b c]
argv[4]=[]
argv[5]=[--x]
envc=0
getenv(FOO)=[(null)]" "$out"

# environ: only --env reaches the guest
expect "env" 0 env FOO=host "$WEFT" run --env FOO=bar --env EMPTY= \
  --env A=1=2 "$G" -- args
same "env output" "argc=2
argv[1]=[args]
envc=3
env[0]=[A=1=2]
env[1]=[EMPTY=]
env[2]=[FOO=bar]
getenv(FOO)=[bar]" "$out"
expect "host env stays out" 0 env FOO=host "$WEFT" run "$G" -- args
has "host env stays out: FOO" "getenv(FOO)=[(null)]" "$out"
has "host env stays out: count" "envc=0" "$out"
expect "bad --env" 2 "$WEFT" run --env NOEQUALS "$G" -- args

# exit codes: proc_exit(N) is weft's status; stdio is flushed by exit()
expect "exit 7" 7 "$WEFT" run "$G" -- exit 7
same "exit 7 output" "exiting 7" "$out"
expect "exit 0" 0 "$WEFT" run "$G" -- exit 0
expect "exit 1" 1 "$WEFT" run "$G" -- exit 1
expect "exit 255" 255 "$WEFT" run "$G" -- exit 255
expect "proc_exit 3" 3 "$WEFT" run "$G" -- exit-raw 3
expect "return from main" 2 "$WEFT" run "$G" -- nothing
expect "trap" 134 "$WEFT" run "$G" -- trap

# stdin: poll for it, then read it all
expect "stdin" 0 sh -c 'printf "hello\nworld\n" | "$1" run "$2" -- stdin' \
  sh "$WEFT" "$G"
same "stdin output" "poll stdin: ok n=1 ud=1 type=1
HELLO
WORLD
read 12 bytes, last eof" "$out"
expect "stdin /dev/null" 0 "$WEFT" run "$G" -- stdin
has "stdin /dev/null output" "read 0 bytes, last eof" "$out"
expect "stdin closed" 0 sh -c '"$1" run "$2" -- stdin <&-' sh "$WEFT" "$G"
# weft fills a closed stdin with /dev/null: the guest reads end of file.
has "stdin closed output" "read 0 bytes, last eof" "$out"

# stdout to a pipe, a file and closed
expect "stdout pipe" 0 sh -c '"$1" run "$2" -- exit 0 | cat' sh "$WEFT" "$G"
same "stdout pipe output" "exiting 0" "$out"
expect "stdout closed" 0 sh -c '"$1" run "$2" -- exit 0 >&-' sh "$WEFT" "$G"

# the fd calls
mkdir "$TMP/sb"
expect "fds" 0 "$WEFT" run --dir "$TMP/sb::/sandbox" "$G" -- fds
same "fds output" "fdstat stdout: ok
fdstat stderr: ok
fdstat bad fd: EBADF
write bad fd: EBADF
close bad fd: EBADF
seek a directory: EBADF
raw write
two iovecs: ok n=10
write bad iovec buffer: EFAULT
write bad iovec array: EFAULT
write bad result ptr: EFAULT
read bad iovec buffer: EFAULT
args_get bad ptr: EFAULT
prestat 3: len=8 name=/sandbox ok
prestat 4: EBADF
prestat 5: EBADF
prestat_dir_name short: ENAMETOOLONG
prestat of stdout: EBADF
fdstat 3: ok type=3 readdir=1 open=1
open f.txt append: ok
fdstat f.txt: ok type=4 append=1 read=1 write=1
set_flags none: ok
append after clear: 0
set_flags sync: ENOTSUP
set_rights shrink: ok
set_rights grow: ENOTCAPABLE
filestat_set_size: ok
filestat_get: ok
size=10 type=4
set_times both atim flags: EINVAL
set_times mtim: ok
mtim=3000000000
advise bad: EINVAL
allocate: ok
datasync: ok
sync: ok
tell: ok
pos=0
seek bad whence: EINVAL
open g.txt: ok
renumber f over g: ok
old fd gone: EBADF
new fd is f: ok
size=20
renumber to closed fd: EBADF
renumber self: ok
close: ok
readdir on closed: EBADF
unlink f.txt: ok
unlink g.txt: ok
random_get: ok
random_get again: ok
random nonzero=1 differs=1
random_get bad ptr: EFAULT
random_get empty: ok
sched_yield: ok
proc_raise: ENOSYS
sock_accept: ENOTSUP
sock_accept bad fd: EBADF
sock_recv: ENOTSUP
sock_send: ENOTSUP
sock_shutdown: ENOTSUP" "$out"
same "fds left nothing" "" "$(ls -A "$TMP/sb")"

# preopens: several, in order; a missing one is an error before the guest
mkdir "$TMP/sb2"
expect "two dirs" 0 "$WEFT" run --dir "$TMP/sb::/sandbox" \
  --dir "$TMP/sb2::/data" "$G" -- fds
has "two dirs: first" "prestat 3: len=8 name=/sandbox ok" "$out"
has "two dirs: second" "prestat 4: len=5 name=/data ok" "$out"
has "two dirs: no third" "prestat 5: EBADF" "$out"
expect "missing dir" 1 "$WEFT" run --dir "$TMP/nope::/x" "$G" -- args
has "missing dir message" "cannot open directory" "$err"

finish

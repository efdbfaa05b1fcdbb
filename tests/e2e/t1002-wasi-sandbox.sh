#!/bin/sh
# t1002-wasi-sandbox.sh - the WASI sandbox: tests/guests/wasi_escape.c tries
# to leave its preopened directory through "..", absolute paths, symlinks
# (absolute, relative, chained, dangling, looping, in any component),
# rename, link, mkdir, unlink, set_times, readlink and readdir of "..",
# NUL bytes and bad pointers. Every attempt must fail the same way with
# openat2 and with the portable walk, and nothing outside may change.
. "$(dirname "$0")/lib.sh"

G=$GUESTS/wasi_escape.wasm

# setup: a fresh box/ with the sandbox and a file next to it
setup() {
  rm -rf "$TMP/box"
  mkdir -p "$TMP/box/sandbox/sub"
  echo secret >"$TMP/box/outside.txt"
  echo inside >"$TMP/box/sandbox/inside.txt"
}

# outside: what exists in box/ outside the sandbox, with sizes
outside() {
  (cd "$TMP/box" && find . -path ./sandbox -prune -o -print | sort &&
    cat outside.txt)
}

expected=$(cat <<'END'
mk etc_link: ok
mk up_link: ok
mk abs_link: ok
mk deep_up: ok
mk dir_up: ok
mk in_up: ok
mk loop1: ok
mk loop2: ok
mk ok_link: ok
mk dangling_out: ok
mk chain: ok
mk link outside: ENOTCAPABLE
mk link via etc_link: ENOTCAPABLE
read inside.txt: inside
read ok_link: inside
read sub/in_up/inside.txt: inside
read sub/../inside.txt: inside
read sub//./../inside.txt: inside
open .: ok
open sub/..: ok
lstat etc_link: ok
lstat up_link: ok
readlink etc_link: ok /etc
open ..: ENOTCAPABLE
open ../outside.txt: ENOTCAPABLE
open /etc/passwd: ENOTCAPABLE
open /: ENOTCAPABLE
open sub/../../outside.txt: ENOTCAPABLE
open sub/../..: ENOTCAPABLE
open etc_link/passwd: ENOTCAPABLE
open etc_link/passwd nofollow: ENOTCAPABLE
open etc_link: ENOTCAPABLE
open etc_link nofollow: ELOOP
open up_link: ENOTCAPABLE
open abs_link: ENOTCAPABLE
open sub/deep_up: ENOTCAPABLE
open dir_up/outside.txt: ENOTCAPABLE
open chain: ENOTCAPABLE
open sub/in_up/sub/in_up/../..: ENOTCAPABLE
open loop1: ELOOP
open loop1/x: ELOOP
create ../new.txt: ENOTCAPABLE
create via dangling_out: ENOTCAPABLE
create etc_link/new: ENOTCAPABLE
trunc up_link: ENOTCAPABLE
stat etc_link: ENOTCAPABLE
stat etc_link/ nofollow: ENOTCAPABLE
stat up_link: ENOTCAPABLE
stat ../outside.txt: ENOTCAPABLE
stat ..: ENOTCAPABLE
stat /etc: ENOTCAPABLE
stat dir_up/sandbox: ENOTCAPABLE
mkdir ../newdir: ENOTCAPABLE
mkdir etc_link/newdir: ENOTCAPABLE
mkdir ..: ENOTCAPABLE
mkdir dir_up/newdir: ENOTCAPABLE
rmdir ..: ENOTCAPABLE
rmdir sub/..: EINVAL
rmdir dir_up/sandbox: ENOTCAPABLE
unlink ../outside.txt: ENOTCAPABLE
unlink dir_up/outside.txt: ENOTCAPABLE
unlink up_link/: ENOTDIR
rename inside.txt ../moved.txt: ENOTCAPABLE
rename ../outside.txt stolen.txt: ENOTCAPABLE
rename inside.txt etc_link/x: ENOTCAPABLE
rename inside.txt dir_up/moved.txt: ENOTCAPABLE
rename sub ..: ENOTCAPABLE
link ../outside.txt hard: ENOTCAPABLE
link etc_link/passwd hard: ENOTCAPABLE
link follow up_link hard: ENOTCAPABLE
link follow abs_link hard: ENOTCAPABLE
link inside.txt ../hard: ENOTCAPABLE
link follow ok_link hard_ok: ok
stat hard_ok: ok
set_times follow up_link: ENOTCAPABLE
set_times ../outside.txt: ENOTCAPABLE
set_times nofollow up_link: ok
readlink ../x: ENOTCAPABLE
readlink dir_up/sandbox: ENOTCAPABLE
opendir /sandbox/..: ENOTCAPABLE
opendir /sandbox/dir_up: ENOTCAPABLE
fopen /etc/passwd: ENOTCAPABLE
fopen /sandbox/../outside.txt: ENOTCAPABLE
fopen /sandbox/up_link: ENOTCAPABLE
open with NUL: EINVAL
open bad path pointer: EFAULT
open bad result pointer: EFAULT
open long path: ENAMETOOLONG
open empty path: ENOENT
open bad dirfd: EBADF
open from stdin: ENOTDIR
open inside.txt: ok
open relative to a file: ENOTDIR
readdir a file: ENOTDIR
unlink up_link: ok
unlink sub/in_up: ok
END
)

for mode in openat2 walk; do
  setup
  before=$(outside)
  no=0
  [ $mode = walk ] && no=1
  expect "escape ($mode)" 0 env WEFT_WASI_NO_OPENAT2=$no \
    "$WEFT" run --dir "$TMP/box/sandbox::/sandbox" "$G" -- \
    "$TMP/box/outside.txt"
  same "escape attempts ($mode)" "$expected" "$out"
  same "outside unchanged ($mode)" "$before" "$(outside)"
  for f in new created.txt moved.txt newdir hard evil; do
    if [ -e "$TMP/box/$f" ] || [ -L "$TMP/box/$f" ]; then
      not_ok "$mode: $f was created outside"
    else
      ok
    fi
  done
  for f in /etc/new /etc/newdir /etc/x; do
    if [ -e "$f" ]; then not_ok "$mode: $f was created"; else ok; fi
  done
  same "inside.txt kept ($mode)" "inside" "$(cat "$TMP/box/sandbox/inside.txt")"
  same "hard link inside made ($mode)" "inside" \
    "$(cat "$TMP/box/sandbox/hard_ok")"
done

# A preopen given as a relative host path or through a symlink works the
# same: the sandbox is the directory, wherever it was named from.
setup
ln -s box/sandbox "$TMP/boxlink"
expect "escape via symlinked preopen" 0 sh -c 'cd "$1" && "$2" run \
  --dir boxlink::/sandbox "$3" -- "$1/box/outside.txt"' sh "$TMP" "$WEFT" "$G"
same "symlinked preopen attempts" "$expected" "$out"
same "outside still unchanged" "secret" "$(cat "$TMP/box/outside.txt")"

finish

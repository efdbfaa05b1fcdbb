#!/bin/sh
# t4050-build.sh - `weft build`: each component's build command runs in its
# directory, -c picks components, a failing command names the component
# and the manifest line and stops the build.
. "$(dirname "$0")/lib.sh"

APP=$TMP/app
mkdir -p "$APP/sub"
cat >"$APP/spin.toml" <<'TOML'
spin_manifest_version = 2

[application]
name = "build-e2e"

[[trigger.http]]
route = "/a"
component = "a"

[[trigger.http]]
route = "/b"
component = "b"

[[trigger.http]]
route = "/c"
component = "c"

[component.a]
source = "a.wasm"
[component.a.build]
command = "echo built-a > a.out; pwd > a.pwd"

[component.b]
source = "b.wasm"
[component.b.build]
command = "echo built-b > b.out"
workdir = "sub"

[component.c]
source = "c.wasm"
TOML

expect "build all" 0 "$WEFT" build -f "$APP"
has "announces a" "Building component a with \`echo built-a" "$out"
has "skips c" "c: no build command, skipped" "$out"
has "finishes" "Finished building all components" "$out"
same "a ran in the manifest dir" "$(cd "$APP" && pwd)" "$(cat "$APP/a.pwd")"
same "b ran in its workdir" "built-b" "$(cat "$APP/sub/b.out" 2>&1)"

rm -f "$APP/a.out" "$APP/sub/b.out"
expect "build -c b" 0 "$WEFT" build -f "$APP/spin.toml" -c b
same "a not built" "no" "$([ -e "$APP/a.out" ] && echo yes || echo no)"
same "b built" "built-b" "$(cat "$APP/sub/b.out" 2>&1)"
# Options may follow the positional-free command in any order.
expect "options after" 0 "$WEFT" build -c a -f "$APP"

expect "unknown -c" 1 "$WEFT" build -f "$APP" -c nope
has "unknown -c says" "-c nope: " "$err"

sed -i 's/command = "echo built-b > b.out"/command = "exit 3"/' \
  "$APP/spin.toml"
expect "failing command" 1 "$WEFT" build -f "$APP"
has "names component and line" \
  "spin.toml:25: the build command of component 'b' failed (exit status 3)" \
  "$err"

expect "bad option" 2 "$WEFT" build --nope
expect "help" 0 "$WEFT" build --help
has "help text" "usage: weft build" "$out"

# The hello example builds from its own manifest.
cp -r "$ROOT/examples/hello" "$TMP/hello"
rm -f "$TMP/hello/hello.wasm"
sed -i "s|\.\./\.\./sdk|$ROOT/sdk|g" "$TMP/hello/spin.toml"
expect "hello builds" 0 "$WEFT" build -f "$TMP/hello"
same "hello.wasm made" "yes" \
  "$([ -s "$TMP/hello/hello.wasm" ] && echo yes || echo no)"

finish

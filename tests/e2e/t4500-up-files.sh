#!/bin/sh
# t4500-up-files.sh - what `weft up` grants a component besides its
# trigger: `files` staged as the guest's "/" (globs, exclusions, a mapped
# directory; the guest's writes stay in the copy), variables through both
# Spin interfaces, `--follow` printing a component's output live, `-c`
# choosing components, and the log files.
. "$(dirname "$0")/lib.sh"

APP=$TMP/app
mkdir -p "$APP/static/sub" "$APP/assets"
cp "$GUESTS/http_files.wasm" "$APP/"
echo "hello file" >"$APP/static/a.txt"
echo "deep file" >"$APP/static/sub/b.txt"
echo "secret" >"$APP/static/private.key"
echo "asset" >"$APP/assets/logo.svg"
cat >"$APP/spin.toml" <<'TOML'
spin_manifest_version = 2

[application]
name = "files"

[variables]
greeting = { default = "hi" }
token = { required = true, secret = true }

[[trigger.http]]
route = "/files/..."
component = "files"

[[trigger.http]]
route = "/other/..."
component = "other"

[component.files]
source = "http_files.wasm"
files = ["static/**/*", { source = "assets", destination = "/img" }]
exclude_files = ["**/*.key"]
[component.files.variables]
message = "{{ greeting }}, world"

[component.other]
source = "http_files.wasm"
TOML

get() { curl -s "$@"; }

# A required variable without a value stops the app, naming it.
expect "required variable" 1 "$WEFT" up -f "$APP" --listen 127.0.0.1:0
has "names the variable" "variable 'token' is required" "$err"

up_start --variable token=t0p --follow files
same "glob file" "hello file" "$(get "$base/files/static/a.txt")"
same "glob in a subdirectory" "deep file" \
  "$(get "$base/files/static/sub/b.txt")"
same "excluded file" "no such file" "$(get "$base/files/static/private.key")"
same "mapped directory" "asset" "$(get "$base/files/img/logo.svg")"
same "manifest not staged" "no such file" "$(get "$base/files/spin.toml")"
same "other component has no files" "no such file" \
  "$(get "$base/other/static/only-other.txt")"
same "guest write" "changed" \
  "$(get -X PUT --data-binary changed "$base/files/static/a.txt")"
same "write stays in the copy" "hello file" "$(cat "$APP/static/a.txt")"
same "variables@2.0.0 get" "hi, world" "$(get "$base/files/var/message")"
same "config get-config" "hi, world" "$(get "$base/files/config/message")"
same "undeclared variable" "variables error" "$(get "$base/files/var/nope")"
same "undeclared config" "config error" "$(get "$base/files/config/nope")"
up_stop
has "followed output printed" "serving /static/a.txt" "$(cat "$TMP/up.out")"
case $(cat "$TMP/up.out") in
*"serving /static/"*"serving /static/"*) ok ;;
*) not_ok "several lines followed" "$(cat "$TMP/up.out")" ;;
esac
has "followed output logged" "serving /var/message" \
  "$(cat "$APP/.weft/logs/files_stdout.txt")"
has "other component logged" "serving /static/only-other.txt" \
  "$(cat "$APP/.weft/logs/other_stdout.txt")"
case $(cat "$TMP/up.out") in
*only-other*) not_ok "unfollowed component printed" "$(cat "$TMP/up.out")" ;;
*) ok ;;
esac
case $(cat "$TMP/up.out" "$TMP/up.err") in
*t0p*) not_ok "secret value printed" ;;
*) ok ;;
esac

# Variable precedence: --variable over WEFT_VARIABLE_ over the default.
WEFT_VARIABLE_GREETING=env WEFT_VARIABLE_TOKEN=x up_start
same "environment variable" "env, world" "$(get "$base/files/var/message")"
up_stop
WEFT_VARIABLE_GREETING=env up_start --variable token=x --variable greeting=cli
same "--variable wins" "cli, world" "$(get "$base/files/var/message")"
up_stop

# -c runs only the chosen component's triggers.
up_start --variable token=x -c other
same "chosen component served" "no such file" \
  "$(get "$base/other/static/a.txt")"
same "other component not served" "404" \
  "$(curl -s -o /dev/null -w '%{http_code}' "$base/files/static/a.txt")"
has "routes list only it" "other: http" "$(cat "$TMP/up.out")"
case $(cat "$TMP/up.out") in
*"files: http"*) not_ok "unchosen route listed" "$(cat "$TMP/up.out")" ;;
*) ok ;;
esac
up_stop
expect "unknown -c" 1 "$WEFT" up -f "$APP" --variable token=x -c nope
has "unknown -c says" "-c nope" "$err"

finish

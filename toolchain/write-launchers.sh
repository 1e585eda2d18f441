#!/usr/bin/env bash
# Writes the plugin launchers Pulumi looks up next to its binary (idempotent, run by setup.sh):
#   pulumi-resource-pulumi-nodejs   the dynamic-provider plugin: @pulumi/pulumi's provider host
#   pulumi-language-nodejs          unless Pulumi's own (Go) host was built: this project's
#                                   host, toolchain/pulumi-language-nodejs.js
set -euo pipefail
BIN="$1"

write() { # write <file> <content>: only when it differs, so a second run changes nothing
  if [ ! -f "$1" ] || [ "$(cat "$1")" != "$2" ]; then printf '%s\n' "$2" > "$1"; chmod +x "$1"; fi
}

write "$BIN/pulumi-resource-pulumi-nodejs" '#!/bin/sh
# Pulumi dynamic-provider plugin: runs @pulumi/pulumi'"'"'s provider host, resolved from the program
# directory, with toolchain/exit-with-engine.js preloaded (found beside the language host that
# setup.sh names) so that it exits when the engine is gone.
script=$(node -e "console.log(require.resolve('"'"'@pulumi/pulumi/cmd/dynamic-provider'"'"'))") || exit 1
preload="$(dirname "${MAILBOX_ADDRESSES_LANGUAGE_HOST:-/nonexistent/x}")/exit-with-engine.js"
[ -f "$preload" ] && exec node --require "$preload" "$script" "$@"
exec node "$script" "$@"'

# A real ELF binary here is Pulumi's own host: keep it.
if [ -f "$BIN/pulumi-language-nodejs" ] && head -c 4 "$BIN/pulumi-language-nodejs" | grep -q 'ELF'; then exit 0; fi
write "$BIN/pulumi-language-nodejs" '#!/bin/sh
# Launches the Node.js language host of mailbox-addresses: the one named by
# MAILBOX_ADDRESSES_LANGUAGE_HOST (toolchain/setup.sh sets it), else the first
# toolchain/pulumi-language-nodejs.js found upwards from the directory Pulumi starts it in.
host="${MAILBOX_ADDRESSES_LANGUAGE_HOST:-}"
dir="$PWD"
while [ -z "$host" ] && [ -n "$dir" ]; do
  [ -f "$dir/toolchain/pulumi-language-nodejs.js" ] && host="$dir/toolchain/pulumi-language-nodejs.js"
  [ "$dir" = / ] && break
  dir=$(dirname "$dir")
done
[ -n "$host" ] && [ -f "$host" ] || { echo "pulumi-language-nodejs: toolchain/pulumi-language-nodejs.js not found above $PWD; run pulumi through scripts/pulumi" >&2; exit 1; }
exec node "$host" "$@"'

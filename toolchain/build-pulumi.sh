#!/usr/bin/env bash
# Builds the pinned Pulumi CLI from the Go module proxy into a cache folder outside the repo:
#   build-pulumi.sh <version> <bin-dir>
# The CLI comes from github.com/pulumi/pulumi/pkg/v3 (package cmd/pulumi) through a small wrapper
# module that requires pkg/v3 and sdk/v3 at the same version and repeats the replace directive
# pkg/go.mod needs. It also tries Pulumi's Go language host for Node.js; where the proxy does not
# serve it, toolchain/write-launchers.sh puts a launcher for this project's host there instead.
set -euo pipefail
VERSION="$1"
BIN="$2"
SDK="github.com/pulumi/pulumi/sdk/v3"
PKG="github.com/pulumi/pulumi/pkg/v3"
NODEJS_HOST="github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3"
# pkg/go.mod replaces atotto/clipboard with this fork; a wrapper module must repeat it.
CLIPBOARD_REPLACE="github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e"
LDFLAGS="-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$VERSION"

command -v go >/dev/null || { echo "Go is needed to build Pulumi $VERSION (or install pulumi yourself)" >&2; exit 1; }
WORK="$(dirname "$BIN")/build"
mkdir -p "$BIN" "$WORK/cli"
start=$(date +%s)

echo "[pulumi] building the Pulumi CLI v$VERSION from the Go module proxy (one time, a few minutes)"
cat > "$WORK/cli/go.mod" <<MOD
module mailbox-addresses.local/pulumi-cli

go 1.26

replace $CLIPBOARD_REPLACE
MOD
(
  cd "$WORK/cli"
  go get "$PKG/cmd/pulumi@v$VERSION" "$SDK@v$VERSION"
  go build -trimpath -ldflags "$LDFLAGS" -o "$BIN/pulumi.tmp" "$PKG/cmd/pulumi"
)
mv "$BIN/pulumi.tmp" "$BIN/pulumi"

# The Node.js language host lives in a module of its own, untagged: it can only be addressed at
# the release's commit. Try it; where the proxy refuses it, use the launcher instead.
commit=$(cd "$WORK/cli" && go list -m -json "$PKG@v$VERSION" | sed -n 's/.*"Hash": "\([0-9a-f]*\)".*/\1/p')
built_go_host=no
if [ -n "$commit" ] && mkdir -p "$WORK/host" && (
  cd "$WORK/host"
  cat > go.mod <<MOD
module mailbox-addresses.local/pulumi-language-nodejs

go 1.26

require (
	$PKG v$VERSION
	$SDK v$VERSION
)

replace $CLIPBOARD_REPLACE
MOD
  go get "$NODEJS_HOST@$commit" && go build -trimpath -ldflags "$LDFLAGS" -o "$BIN/pulumi-language-nodejs" "$NODEJS_HOST"
) >"$WORK/host.log" 2>&1; then
  built_go_host=yes
fi
if [ "$built_go_host" = no ]; then
  echo "[pulumi] the Go module proxy did not serve $NODEJS_HOST@$commit ($(grep -m1 -o '[0-9]\{3\} [A-Za-z ]*' "$WORK/host.log" || echo 'see build/host.log'));"
  echo "[pulumi] using the project's Node.js language host (toolchain/pulumi-language-nodejs.js)"
fi
"$BIN/pulumi" version >/dev/null
echo "[pulumi] Pulumi v$VERSION ready in $BIN ($(( $(date +%s) - start ))s)"

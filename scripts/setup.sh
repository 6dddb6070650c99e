#!/usr/bin/env bash
# Create .venv with Python >= 3.12 and install the project with its test and docs tools, every package
# at the version pinned in requirements.lock (hashes checked; scripts/lock.sh regenerates it).
# Safe to call repeatedly: it reinstalls only when pyproject.toml or requirements.lock changed.
set -euo pipefail
cd "$(dirname "$0")/.."

pick_python() {
  local candidate
  for candidate in python3.12 python3.13 python3 python; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
      command -v "$candidate"; return 0
    fi
  done
  if command -v pyenv >/dev/null 2>&1; then
    for version in 3.12 3.13; do
      candidate="$(pyenv prefix "$version" 2>/dev/null)/bin/python3" || true
      if [ -x "$candidate" ]; then echo "$candidate"; return 0; fi
    done
  fi
  echo "setup: no Python 3.12 or newer found (install one, e.g. with pyenv)" >&2
  return 1
}

if [ ! -x .venv/bin/python ]; then
  "$(pick_python)" -m venv .venv
fi
stamp=".venv/.installed-$(cat pyproject.toml requirements.lock | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet --require-hashes -r requirements.lock
  .venv/bin/python -m pip install --quiet --no-deps -e .
  if ! .venv/bin/python -m pip check >/dev/null; then
    .venv/bin/python -m pip check >&2 || true
    echo "setup: requirements.lock does not provide what pyproject.toml asks for: run scripts/lock.sh" >&2
    exit 1
  fi
  rm -f .venv/.installed-*
  touch "$stamp"
fi
# the web demo's front-end assets, so `abm serve` works offline (skipped when already cached;
# needs npm the first time; the simulator itself does not need them)
scripts/fetch_web_assets.sh || echo "setup: web demo assets not cached; abm serve will need the internet" >&2

#!/usr/bin/env bash
# The tests: set up (first time only), lint, then run the whole suite (slow tests included).
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
.venv/bin/ruff check .
exec .venv/bin/python -m pytest -n 2 "$@"

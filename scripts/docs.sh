#!/usr/bin/env bash
# Build the documentation site into docs/_build/html, offline, with warnings as errors: the pages,
# the tables generated from the registries, the API reference, and the tutorials, which are executed
# (a failing example fails the build). Sets up .venv first (scripts/setup.sh installs the docs extra).
# Extra arguments go to sphinx-build, e.g. scripts/docs.sh -E to rebuild every page.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export MPLBACKEND=Agg PYDEVD_DISABLE_FILE_VALIDATION=1
started=$(date +%s)
.venv/bin/python -m sphinx -W --keep-going -b html -q docs docs/_build/html "$@"
echo "docs: docs/_build/html/index.html ($(( $(date +%s) - started )) s)"

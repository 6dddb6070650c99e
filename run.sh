#!/usr/bin/env bash
# The main job: set up (first time only), run the baseline scenario, write
# results/baseline/ and print the plan's target table. Extra arguments go to
# `abm run`, e.g. ./run.sh plan --scale 1
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
scenario="${1:-baseline}"
shift || true
exec .venv/bin/abm run "$scenario" "$@"

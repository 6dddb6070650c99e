#!/usr/bin/env bash
# Remake the results the documentation site shows (docs/results/generated/): the validation report
# (`abm validate`, about 1–2 minutes on 2 cores) and the headline table (the two recalibrated headline
# sweeps and scripts/headline.py, about 4–6 minutes). Too slow to run in every docs build, so they are
# committed; run this after a change of the model and commit what it writes.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
out=docs/results/generated
mkdir -p "$out"
.venv/bin/abm validate --jobs 2 --out "$work/validation"
.venv/bin/abm sweep headline_baseline --jobs 2 --no-progress --out "$work/headline_baseline"
.venv/bin/abm sweep headline_plan --jobs 2 --no-progress --out "$work/headline_plan"
.venv/bin/python scripts/headline.py "$work/headline_baseline" "$work/headline_plan" > "$out/headline.md"
cp "$work/validation/validation.md" "$out/validation.md"
.venv/bin/python - "$work" "$out/made.json" <<'PY'
import json, sys
from pathlib import Path
work, target = Path(sys.argv[1]), Path(sys.argv[2])
validation = json.loads((work / "validation" / "abm.json").read_text())
sweep = json.loads((work / "headline_plan" / "sweep.json").read_text())
made = {
    "made_by": "scripts/docs_results.sh",
    "created": validation["created"],
    "code_version": sweep["code_version"],
    "packages": validation.get("packages"),
    "validation": {k: validation[k] for k in ("scenario", "scale", "seeds", "end")},
    "headline": "abm sweep headline_baseline && abm sweep headline_plan (recalibrated, 1:20, 40 points x 2 replicates); scripts/headline.py",
}
target.write_text(json.dumps(made, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
PY
echo "docs_results: wrote $out/validation.md, headline.md, made.json"

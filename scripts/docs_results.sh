#!/usr/bin/env bash
# Remake the results the documentation site shows (docs/results/generated/): the validation report
# (`abm validate`, about 1–2 minutes on 2 cores), the headline tables (the four recalibrated headline
# sweeps to 2035 and scripts/headline.py for 2025 and 2035) and the page's assumptions' range
# (abm/web/bands.csv, scripts/bands.py). Too slow to run in every docs build, so they are
# committed; run this after a change of the model and commit what it writes.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
out=docs/results/generated
mkdir -p "$out"
.venv/bin/abm validate --jobs 2 --out "$work/validation"
plans=(headline_plan headline_plan_continued headline_plan_phased_out)  # the plan as written; after 2025 continued; phased out
for sweep in headline_baseline "${plans[@]}"; do
    .venv/bin/abm sweep "$sweep" --jobs 2 --no-progress --out "$work/$sweep"
done
for plan in "${plans[@]}"; do
    for year in 2025 2035; do
        .venv/bin/python scripts/headline.py "$work/headline_baseline" "$work/$plan" --year "$year" > "$out/${plan}_$year.md"
    done
done
.venv/bin/python scripts/bands.py "$work/headline_baseline" "${plans[@]/#/$work/}"
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
    "headline": "abm sweep headline_baseline, headline_plan, headline_plan_continued, headline_plan_phased_out (recalibrated, 1:20, 40 points x 2 replicates, to 2035); scripts/headline.py --year 2025 and 2035; scripts/bands.py (abm/web/bands.csv)",
}
target.write_text(json.dumps(made, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
PY
echo "docs_results: wrote $out/ (validation.md, headline*.md, made.json) and abm/web/bands.csv"

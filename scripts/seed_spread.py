"""Measure chance: the spread across seeds of the page's outcomes, year by year, and the time per simulated year.

Writes ``abm/web/seed_spread.csv``, read by the web page (``abm serve``) for the ± it shows beside a
figure (the chance part of the uncertainty) and beside a difference, and for the scales it offers:

    .venv/bin/python scripts/seed_spread.py [--seeds 8] [--scales 500,200,100,50,20,10] [--all-at 100]

For every scale, the plan and the baseline; at the ``--all-at`` scale (the page's), every built-in
scenario. Each scenario runs the same seeds 1..N, so a difference between two scenarios is paired
seed by seed, as on the page. One row per scale, scenario, reference, outcome and year:

- ``reference`` empty: the outcome's mean and s.d. across seeds under ``scenario``;
- ``reference`` a scenario: the mean and s.d. of ``scenario − reference`` (the plan against every
  other scenario, and the baseline against the plan at every scale).

``seconds_per_year`` (levels only) is one model's mean step time at that scale on this machine:
the runs are serial in this process.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import time
from pathlib import Path

from abm.model import MigrationModel
from environment.scenario import all_scenarios
from environment.scenario import load as load_scenario
from environment.settings import run_default

OUT = Path(__file__).resolve().parents[1] / "abm" / "web" / "seed_spread.csv"
OUTCOMES = (  # the page's table and banner (abm/web/summary.py)
    "haimen_population",
    "added_kaifaqu",
    "added_gangxinqu",
    "added_sanxing",
    "urbanization",
    "net_migration",
    "working_in_shanghai",
)
COLUMNS = ("scale", "scenario", "reference", "outcome", "year", "seeds", "mean", "sd", "seconds_per_year")


def run(scenario: str, scale: int, seed: int, end: int) -> tuple[dict[tuple[str, int], float], list[float]]:
    """One run's outcomes by (outcome, year) from the first simulated year, and its step times."""
    model = MigrationModel(scale=scale, end=end, rng=seed, scenario=scenario)
    values, steps = {}, []
    while model.running:
        started = time.perf_counter()
        model.step()
        steps.append(time.perf_counter() - started)
        values |= {(key, model.year): model.outcome_values[key] for key in OUTCOMES}
    return values, steps


def _rounded(key: str, value: float) -> float:
    return round(value, 5) if key == "urbanization" else round(value)


def rows(scale: int, scenario: str, reference: str, per_seed: list[dict], steps: list[float] | None) -> list[dict]:
    """Mean and s.d. across seeds of each (outcome, year) in ``per_seed``."""
    out = []
    for key, year in per_seed[0]:
        values = [run_values[key, year] for run_values in per_seed]
        out.append(
            {
                "scale": scale,
                "scenario": scenario,
                "reference": reference,
                "outcome": key,
                "year": year,
                "seeds": len(values),
                "mean": _rounded(key, statistics.mean(values)),
                "sd": _rounded(key, statistics.stdev(values)),
                "seconds_per_year": round(statistics.mean(steps), 4) if steps else "",
            }
        )
    return out


def measure(scale: int, scenarios: list[str], seeds: int, end: int) -> list[dict]:
    """Levels of every scenario, and the plan's differences from the others, paired by seed."""
    runs = {}
    out = []
    for name in scenarios:
        results = [run(name, scale, seed, end) for seed in range(1, seeds + 1)]
        runs[name] = [values for values, _ in results]
        steps = [s for _, times in results for s in times]
        out += rows(scale, name, "", runs[name], steps)
        print(f"scale 1:{scale} {name}: {statistics.mean(steps):.4f} s a year", flush=True)
    for name in scenarios:
        if name != "plan":
            diffs = [{k: p[k] - o[k] for k in p} for p, o in zip(runs["plan"], runs[name], strict=True)]
            out += rows(scale, "plan", name, diffs, None)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--scales", default="500,200,100,50,20,10")
    parser.add_argument("--all-at", type=int, default=100, help="the scale at which every scenario is measured")
    parser.add_argument("--end", type=int, default=run_default("end"))
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    others = sorted(n for n in (load_scenario(p).name for p in all_scenarios()) if n not in ("plan", "baseline"))
    everything = ["plan", "baseline", *others]
    table = []
    for scale in (int(s) for s in args.scales.split(",")):
        chosen = everything if scale == args.all_at else ["plan", "baseline"]
        table += measure(scale, chosen, args.seeds, args.end)
    with args.out.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(table)
    print(f"wrote {args.out} ({len(table)} rows)")


if __name__ == "__main__":
    main()

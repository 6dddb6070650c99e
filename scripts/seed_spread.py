"""Measure the spread across seeds of the 2025 population, and the time per simulated year, at each scale.

Writes ``abm/web/seed_spread.csv`` (read by the web page, ``abm serve``, to show the
± next to its 2025 figure and to offer only measured scales):

    .venv/bin/python scripts/seed_spread.py [--seeds 8] [--scales 500,200,100,50,20,10]

Runs are serial in this process, so ``seconds_per_year`` is one model's step
time on this machine (both scenarios, all seeds, 2021–2025 averaged).
"""

from __future__ import annotations

import argparse
import csv
import statistics
import time
from pathlib import Path

from abm.model import MigrationModel

OUT = Path(__file__).resolve().parents[1] / "abm" / "web" / "seed_spread.csv"
YEAR = 2025


def measure(scenario: str, scale: int, seeds: int) -> dict[str, object]:
    """The 2025 population over ``seeds`` seeds: mean, s.d., and the mean seconds per simulated year."""
    values, steps = [], []
    for seed in range(1, seeds + 1):
        model = MigrationModel(scale=scale, end=YEAR, rng=seed, scenario=scenario)
        while model.running:
            started = time.perf_counter()
            model.step()
            steps.append(time.perf_counter() - started)
        values.append(model.outcome_values["haimen_population"])  # the declared outcome, in the last year
    return {
        "scenario": scenario,
        "scale": scale,
        "seeds": seeds,
        "mean_2025": round(statistics.mean(values)),
        "sd_2025": round(statistics.stdev(values)),
        "seconds_per_year": round(statistics.mean(steps), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--scales", default="500,200,100,50,20,10")
    args = parser.parse_args()
    rows = []
    for scale in (int(s) for s in args.scales.split(",")):
        for scenario in ("plan", "baseline"):
            rows.append(measure(scenario, scale, args.seeds))
            print(rows[-1], flush=True)
    with OUT.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()

"""Write the page's table of what each measure adds and costs, ``abm/web/measures.csv``, from ``abm attribute``.

Reads an attribution folder and writes one row per measure group (format: ``abm/web/measures.py``):

- residents added by the last year counted: the measure's marginal net arrivals plus births
  (scenario minus scenario without it, paired seed by seed, summed over the plan's years), their
  mean and their lowest and highest over the seeds — or, for an attribution run with
  ``--uncertainty-points``, over the uncertainty points (net arrivals only, births where the
  measure's target counts them);
- yuan its levers pay over those years under the scenario (the model's ``spending`` table, the
  mean over the same seeds, from runs of the scenario made here), and yuan per added resident;
- a verdict instead of a cost per resident: ``no_measurable_effect`` when the lowest-to-highest
  range includes no one added, ``no_cost_counted`` when its levers pay nothing the model counts.

    .venv/bin/abm attribute plan --replicates 4 --scale 100
    .venv/bin/python scripts/measures.py results/plan-attribution [--end 2025]
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

import pandas as pd

from abm.model import MigrationModel
from abm.web.measures import COLUMNS
from environment.targets import PLAN_ADOPTED, measure_targets, targets

OUT = Path(__file__).resolve().parents[1] / "abm" / "web" / "measures.csv"
ADDED = ("net_migration", "births")  # what adds residents: arrivals net of departures, and babies


def fail(message: str) -> None:
    """A mistake in the input: one line, exit status 2, nothing written."""
    print(f"measures: {message}", file=sys.stderr)
    raise SystemExit(2)


def added_by_seed(runs: pd.DataFrame, years: int) -> dict[int, pd.Series]:
    """Per measure, the residents it adds on each seed (``runs.csv``: yearly means by variant and seed)."""
    by = runs.set_index(["variant", "seed"])
    scenario = by.loc["scenario"]
    out = {}
    for m in measure_targets():
        without = by.loc[f"without_{m}"]
        out[m] = sum(scenario[c] - without[c] for c in ADDED) * years
    return out


def added_by_member(table: pd.DataFrame, years: int) -> dict[int, pd.Series]:
    """Per measure, the residents it adds at each uncertainty point (``attribution-by-member.csv``)."""
    out = {}
    for m, part in table[table.measure > 0].groupby("measure"):
        births = part.marginal if measure_targets()[int(m)].column == "births" else 0.0
        out[int(m)] = (part.marginal_net_migration + births).reset_index(drop=True) * years
    return out


def spending(scenario: str | Path, scale: int, seeds: list[int], first: int, last: int) -> dict[int, float]:
    """Yuan each measure group pays from ``first`` to ``last`` under ``scenario``, mean over ``seeds``."""
    totals = {m: 0.0 for m in measure_targets()}
    for seed in seeds:
        model = MigrationModel(scenario=scenario, scale=scale, rng=seed, end=last)
        while model.running:
            model.step()
            if model.year >= first:
                for m in totals:
                    totals[m] += model.outcome_values.get(f"spending_measure_{m:02d}", 0.0) / len(seeds)
    return totals


def rows(folder: Path, last: int) -> list[dict]:
    """The table's rows from an attribution folder."""
    marker = folder / "abm.json"
    if not marker.is_file():
        fail(f"{folder}: not a results folder of `abm attribute` (no abm.json)")
    identity = json.loads(marker.read_text(encoding="utf-8"))  # the scenario, its file, scale and seed
    if identity.get("kind") != "attribution":
        fail(f"{folder}: its abm.json is not an attribution's (kind {identity.get('kind')!r})")
    scenario, scale = identity["scenario"], int(identity["scale"])
    if (folder / "runs.csv").is_file():
        runs = pd.read_csv(folder / "runs.csv")
        seeds = sorted(int(s) for s in runs.seed.unique())
        draws = seeds
    elif (folder / "attribution-by-member.csv").is_file():
        runs = pd.read_csv(folder / "attribution-by-member.csv")
        seeds, draws = [int(identity.get("seed", 1))], sorted(runs.member.unique())
    else:
        fail(f"{folder}: neither runs.csv nor attribution-by-member.csv (an `abm attribute` folder?)")
    years = last - PLAN_ADOPTED + 1
    added = added_by_seed(runs, years) if (folder / "runs.csv").is_file() else added_by_member(runs, years)
    paid = spending(identity.get("source") or scenario, scale, seeds, PLAN_ADOPTED, last)
    out = []
    for m, values in sorted(added.items()):
        mean, low, high = float(values.mean()), float(values.min()), float(values.max())
        verdict, per = "", ""
        if low <= 0 or mean <= 0:
            verdict = "no_measurable_effect"
        elif paid[m] <= 0:
            verdict = "no_cost_counted"
        else:
            per = round(paid[m] / mean)
        out.append(
            {
                "measure": m,
                "added_mean": round(mean),
                "added_low": round(low),
                "added_high": round(high),
                "yuan_mean": round(paid[m]),
                "yuan_per_added": per,
                "verdict": verdict,
                "scale": scale,
                "replicates": len(draws),
                "first_year": PLAN_ADOPTED,
                "last_year": last,
                "source": f"abm attribute {scenario} ({folder.name})",
            }
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("attribution", type=Path, help="a folder written by `abm attribute`")
    parser.add_argument(
        "--end",
        type=int,
        default=targets()["population"].year,
        help="last year the attribution counted",
    )
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    table = rows(args.attribution, args.end)
    with args.out.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(table)
    print(f"wrote {args.out} ({len(table)} measures)")


if __name__ == "__main__":
    main()

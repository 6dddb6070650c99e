"""Measure what commuting neighbours change: the plan against the baseline, paired seeds, with the yearly
in-commuters by zone, recruits from outside and residents added per delivered job.

Each scenario runs in this process (recruits are noted as the model asks for them), so the same script measures
any checkout: put its folder first on the path to measure it (a checkout without in-commuters reports none).

    PYTHONPATH=. .venv/bin/python scripts/commuting_measure.py [--scale 20] [--seeds 1,2,3] [--end 2035]
        [--set in_commuting_constant=-2.1] [--versus plan] [--only KEY=VALUE ...]

``--versus`` names the scenario run against the baseline (default the plan) and ``--only`` sets levers or
parameters in it alone: ``--versus baseline --only industrial_jobs_kaifaqu=3500 ...`` measures the plan's job
levers by themselves.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

import abm.model
from abm import MigrationModel
from environment.places import places

YEARS = (2025, 2035)


def one_run(arm: str, scenario: str, seed: int, scale: int, end: int, settings: dict) -> pd.DataFrame:
    """A run's yearly figures: population, in-commuters by zone, recruits and delivered jobs (cumulative)."""
    recruits: dict[int, float] = {}
    wanted_by = abm.model.recruits_wanted
    model = MigrationModel(scale=scale, end=end, rng=seed, scenario=scenario, **settings)

    def noted(*args):
        wanted = wanted_by(*args)
        recruits[model.year] = float(wanted.sum())
        return wanted

    abm.model.recruits_wanted = noted
    pl = places()
    delivered = 0.0
    rows = []
    try:
        while model.running:
            model.step()
            delivered += float(model.world.policy.year(model.year).new_jobs[pl.in_haimen].sum())
            values = model.outcome_values
            rows.append(
                {
                    "year": model.year,
                    "population": model.summary["haimen_population"],
                    "recruits": recruits.get(model.year, np.nan),
                    "delivered_jobs": delivered,
                    **{zone: values.get(f"in_commuters_{zone}", 0.0) for zone in ("kaifaqu", "gangxinqu", "sanxing")},
                    "in_commuters": values.get("in_commuters", 0.0),
                    "working_outside": values.get("working_outside_haimen", np.nan),
                }
            )
    finally:
        abm.model.recruits_wanted = wanted_by
    return pd.DataFrame(rows).assign(scenario=arm, seed=seed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=20)
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--end", type=int, default=2035)
    parser.add_argument("--set", action="append", default=[], help="KEY=VALUE for both scenarios")
    parser.add_argument("--versus", default="plan", help="the scenario run against the baseline")
    parser.add_argument("--only", action="append", default=[], help="KEY=VALUE for the --versus scenario alone")
    args = parser.parse_args()
    settings = {k: float(v) for k, v in (s.split("=", 1) for s in args.set)}
    variant = settings | {k: float(v) for k, v in (s.split("=", 1) for s in args.only)}
    seeds = [int(s) for s in args.seeds.split(",")]
    arms = {"baseline": ("baseline", settings), "plan": (args.versus, variant)}
    runs = pd.concat(
        [one_run(arm, sc, seed, args.scale, args.end, s) for arm, (sc, s) in arms.items() for seed in seeds]
    )
    mean = runs.groupby(["scenario", "year"]).mean(numeric_only=True).drop(columns="seed")
    paired = runs.set_index(["scenario", "seed", "year"])
    diff = paired.loc["plan"] - paired.loc["baseline"]
    pd.set_option("display.width", 200)
    print(f"scale 1:{args.scale}, seeds {seeds}, settings {settings or 'default'}")
    print(f"'plan' below: {args.versus} with {variant or 'its own settings'}")
    print("\nmeans over seeds by year (in-commuters by zone, recruits a year):")
    print(mean.round(0).to_string())
    for year in YEARS:
        d = diff.xs(year, level="year")
        per_job = d.population / d.delivered_jobs
        print(
            f"\n{year}: baseline {mean.loc[('baseline', year), 'population']:,.0f}, "
            f"plan {mean.loc[('plan', year), 'population']:,.0f}, "
            f"plan − baseline {d.population.mean():,.0f} (seeds {', '.join(f'{v:,.0f}' for v in d.population)}), "
            f"delivered jobs above baseline {d.delivered_jobs.mean():,.0f}, "
            f"residents added per delivered job {per_job.mean():.2f} (seeds {', '.join(f'{v:.2f}' for v in per_job)})"
        )


if __name__ == "__main__":
    main()

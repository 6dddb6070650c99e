"""The README's headline: the plan's 2025 results as ranges across the declared uncertainties.

Reads two sweeps run with the same design and seeds (so every design point and replicate is
paired), one based on the baseline and one on the plan, usually recalibrated at every point
(`recalibrate = true`), and prints a Markdown table: for each figure its median and range
across the design points (each point the mean of its replicates), the seed noise beside it
(the standard deviation across replicates, averaged over points), and for each target the
share of points where the plan meets it; then which dominates, the assumptions or the seeds,
in a sentence, and the share of points whose resident population has reached the population
target (110万) by each year.

    abm sweep headline_baseline --jobs 2 && abm sweep headline_plan --jobs 2
    .venv/bin/python scripts/headline.py results/sweeps/headline_baseline results/sweeps/headline_plan
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from environment.targets import targets
from experiments.attainment import share_reached_by_year
from experiments.band import which_dominates
from experiments.paired import t_quantile
from experiments.query import query

FIGURES = {
    "haimen_population": "resident population",
    "added_kaifaqu": "added in 开发区 since 2020",
    "added_gangxinqu": "added in 港新区",
    "added_sanxing": "added in 三星镇",
    "urbanization": "urbanization",
}


def table(folder: Path, year: int) -> pd.DataFrame:
    """Outcome values in ``year`` per run, with the run's design point and replicate."""
    keys = ", ".join(f"'{k}'" for k in FIGURES)
    return query(
        folder,
        "SELECT point, replicate, outcome, value FROM outcomes JOIN runs USING (run_id) "
        f"WHERE status = 'done' AND year = {year} AND outcome IN ({keys})",
    )


def _fmt(key: str, value: float) -> str:
    return f"{value:.1%}" if key == "urbanization" else f"{value:+,.0f}" if key.startswith("added") else f"{value:,.0f}"


def summarize(baseline: pd.DataFrame, plan: pd.DataFrame, year: int = 2025) -> str:
    """The Markdown table of ranges, seed noise and attainment in ``year``."""
    paired = plan.merge(baseline, on=["point", "replicate", "outcome"], suffixes=("_plan", "_baseline"))
    paired["effect"] = paired.value_plan - paired.value_baseline
    by_point = paired.groupby(["outcome", "point"])[["value_baseline", "value_plan", "effect"]].mean()
    noise = paired.groupby(["outcome", "point"])[["value_plan", "effect"]].std(ddof=1).groupby("outcome").mean()
    goals = {t.places if t.places != "haimen" else t.key: t for t in targets().values()}
    header = (str(year), "baseline (median, range)", "plan (median, range)", "plan − baseline (median, range)")
    header += ("seed noise (s.d.)", "plan meets target")
    lines = ["| " + " | ".join(header) + " |", "|---" * len(header) + "|"]
    for key, name in FIGURES.items():
        if key not in by_point.index.get_level_values(0):
            continue
        p = by_point.loc[key]

        def rng(column: str, key: str = key, p: pd.DataFrame = p) -> str:
            s = p[column]
            return f"{_fmt(key, s.median())} ({_fmt(key, s.min())} to {_fmt(key, s.max())})"

        target = goals.get({"haimen_population": "population", "urbanization": "urbanization"}.get(key, ""))
        if target is None and key.startswith("added_"):
            target = goals.get(key.removeprefix("added_"))
        met = "" if target is None else f"{(p.value_plan >= target.value).mean():.0%} of points"
        effect_noise = noise.loc[key, "effect"]
        lines.append(
            f"| {name} | {rng('value_baseline')} | {rng('value_plan')} | {rng('effect')} | "
            f"±{_fmt(key, effect_noise).lstrip('+')} | {met} |"
        )
    points = paired.point.nunique()
    replicates = paired.replicate.nunique()
    lines.append("")
    lines.append(f"{points} design points × {replicates} paired replicates in each scenario.")
    lines += ["", dominance(paired)]
    return "\n".join(lines)


def dominance(paired: pd.DataFrame, key: str = "haimen_population") -> str:
    """A sentence: the plan's and the effect's range across the points against a point's 95 % seed interval."""
    rows = paired[paired.outcome == key]
    replicates = rows.groupby("point").replicate.nunique().min()
    parts, ratios = [], []
    for column, what in (("value_plan", "the plan's resident population"), ("effect", "plan − baseline")):
        by_point = rows.groupby("point")[column]
        spread = by_point.mean().max() - by_point.mean().min()
        seed = (2 * t_quantile(replicates) * by_point.std(ddof=1) / replicates**0.5).mean()
        ratios.append(spread / seed)
        parts.append(
            f"{what} spans {spread:,.0f} across the points, {spread / seed:,.0f} times a point's 95 % seed "
            f"interval ({seed:,.0f})"
        )
    return f"Which dominates: {'; '.join(parts)}: {which_dominates(ratios)}."


def population_by_year(folder: Path) -> pd.DataFrame:
    """Haimen's resident population per run and year, with the run's design point and replicate."""
    return query(
        folder,
        "SELECT point, replicate, year, value FROM outcomes JOIN runs USING (run_id) "
        "WHERE status = 'done' AND outcome = 'haimen_population'",
    )


def reached_by_year(baseline: pd.DataFrame, plan: pd.DataFrame) -> str:
    """A Markdown table: the share of design points (each the mean of its replicates) whose resident population
    has reached the population target in each year or before."""
    target = targets()["population"]
    shares = {}
    for name, runs in (("baseline", baseline), ("plan", plan)):
        points = runs.groupby(["point", "year"], as_index=False)["value"].mean().assign(scenario=name)
        shares[name] = share_reached_by_year(points, target.value, "scenario", "point").set_index("year").share
    years = sorted(set(shares["baseline"].index) & set(shares["plan"].index))
    lines = [
        f"| reached {target.value:,.0f} by | baseline (share of points) | plan (share of points) |",
        "|---|---|---|",
        *[f"| {y} | {shares['baseline'][y]:.0%} | {shares['plan'][y]:.0%} |" for y in years if y >= 2021],
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("baseline", type=Path)
    parser.add_argument("plan", type=Path)
    parser.add_argument("--year", type=int, default=2025)
    args = parser.parse_args()
    print(summarize(table(args.baseline, args.year), table(args.plan, args.year), args.year))
    print()
    print(reached_by_year(population_by_year(args.baseline), population_by_year(args.plan)))


if __name__ == "__main__":
    main()

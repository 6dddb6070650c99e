"""The plan as written against the baseline: each after-plan choice, delivered shares and what it costs.

Paired runs (the same seeds in every setting) of the baseline and the plan under each ``after_plan`` choice and
``delivery_share``; the population in 2025 and 2035, plan − baseline, the first year Haimen has 110万; spending
2022–2025 and 2022–2035 from Haimen's budget (at the low, central and high unit costs) and capital financed
outside it, by measure; the marginal effect and cost of the homestead compensation and the childcare subsidy
(the plan against the plan without the lever, same seeds)::

    .venv/bin/python scripts/plan_profile_figures.py --scale 20 --seeds 1,2,3 --jobs 2
"""

from __future__ import annotations

import argparse

import pandas as pd

from abm.recording import spending_at
from environment.scenario import load
from environment.settings import levers
from environment.targets import PLAN_ADOPTED, targets
from experiments.runner import RunSpec, run_many

PLAN_ENDS = 2025
AFTER_PLAN = ("stop", "phase_out", "continue")
DELIVERY = (0.1, 0.25, 0.5, 1.0)
MARGINAL = ("homestead_compensation", "childcare_subsidy")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=20)
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--end", type=int, default=2035)
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    plan = load("plan").settings
    settings = {("baseline", "", 0.0): {}}
    for after in AFTER_PLAN:
        for share in DELIVERY:
            settings[("plan", after, share)] = {**plan, "after_plan": after, "delivery_share": share}
    for after, share in (("stop", 0.25), ("continue", 1.0)):
        for key in MARGINAL:
            lever = levers()[key]
            changed = {**plan, "after_plan": after, "delivery_share": share, key: lever.baseline}
            settings[(f"without {key}", after, share)] = changed
    specs = [RunSpec(s, scale=args.scale, seed=seed, end=args.end) for s in settings.values() for seed in seeds]
    results = run_many(specs, n_jobs=args.jobs, tables=("summary", "spending"))
    summary, spending = [], []
    for spec, result in zip(specs, results, strict=True):
        (key,) = [k for k, s in settings.items() if s == dict(spec.settings)]
        tag = {"run": key[0], "after_plan": key[1], "delivery": key[2], "seed": spec.seed}
        summary.append(result["summary"].assign(**tag))
        spending.append(result["spending"].assign(**tag))
    summary, spending = pd.concat(summary, ignore_index=True), pd.concat(spending, ignore_index=True)
    print(f"1:{args.scale}, seeds {seeds}, to {args.end}; mean over seeds (± half the range across seeds)\n")
    population_table(summary)
    spending_table(spending, args.end)
    marginal_table(summary, spending)


def markdown(frame: pd.DataFrame, index: bool = False) -> str:
    """A table as Markdown (numbers as given: format them first)."""
    frame = frame.reset_index() if index else frame
    lines = ["| " + " | ".join(map(str, frame.columns)) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(map(str, row)) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines)


def _spread(values: pd.Series, where) -> str:
    """Mean ± half the range across seeds."""
    return f"{values.loc[where, 'mean']:+,.0f} ± {(values.loc[where, 'max'] - values.loc[where, 'min']) / 2:,.0f}"


def population_table(summary: pd.DataFrame) -> None:
    goal = targets()["population"].value
    base = summary[summary.run == "baseline"].set_index(["seed", "year"]).haimen_population
    rows = []
    for (after, share), runs in summary[summary.run == "plan"].groupby(["after_plan", "delivery"]):
        pop = runs.set_index(["seed", "year"]).haimen_population
        gain = (pop - base).groupby("year").agg(["mean", "min", "max"])
        level = pop.groupby("year").mean()
        reached = [y for y in level.index if level[y] >= goal]
        per_seed = [
            next((y for y, v in p.droplevel("seed").items() if v >= goal), None) for _, p in pop.groupby("seed")
        ]
        rows.append(
            {
                "after_plan": after,
                "delivery": share,
                "2025": f"{level[2025]:,.0f}",
                "gain 2025": _spread(gain, 2025),
                str(level.index[-1]): f"{level.iloc[-1]:,.0f}",
                f"gain {level.index[-1]}": _spread(gain, level.index[-1]),
                "110万 year": reached[0] if reached else "never",
                "110万 year per seed": _years(per_seed),
            }
        )
    baseline = base.groupby("year").mean()
    print(f"baseline: 2025 {baseline[2025]:,.0f}, {baseline.index[-1]} {baseline.iloc[-1]:,.0f}\n")
    print(markdown(pd.DataFrame(rows)), "\n")


def _years(per_seed: list) -> str:
    return ", ".join(str(y) if y is not None else "never" for y in per_seed)


def spending_table(spending: pd.DataFrame, end: int) -> None:
    plan = spending[spending.run == "plan"]
    seeds = plan.seed.nunique()
    rows = []
    for (after, share), runs in plan.groupby(["after_plan", "delivery"]):
        row = {"after_plan": after, "delivery": share}
        for last in (PLAN_ENDS, end):
            period = runs[runs.year.between(PLAN_ADOPTED, last)]
            low, high = (spending_at(period, level) for level in ("low", "high"))
            row[f"Haimen {PLAN_ADOPTED}–{last}, 亿"] = (
                f"{period.yuan.sum() / seeds / 1e8:,.1f} ({low.yuan.sum() / seeds / 1e8:,.1f}–"
                f"{high.yuan.sum() / seeds / 1e8:,.1f})"
            )
            row[f"external {PLAN_ADOPTED}–{last}, 亿"] = f"{period.external_yuan.sum() / seeds / 1e8:,.1f}"
        rows.append(row)
    print(markdown(pd.DataFrame(rows)), "\n")
    default = plan[(plan.after_plan == "stop") & (plan.delivery == 0.25)]
    by = []
    for last in (PLAN_ENDS, end):
        period = default[default.year.between(PLAN_ADOPTED, last)]
        part = period.groupby(["measure", "lever"])[["yuan", "external_yuan"]].sum() / seeds / 1e8
        by.append(part.rename(columns={c: f"{c} {PLAN_ADOPTED}–{last}, 亿" for c in part.columns}))
    table = pd.concat(by, axis=1).fillna(0.0)
    print("by lever, the plan as written (stop, delivery 0.25):\n")
    print(markdown(table.map(lambda v: f"{v:,.2f}"), index=True), "\n")
    print(markdown(table.groupby("measure").sum().map(lambda v: f"{v:,.2f}"), index=True), "\n")


def marginal_table(summary: pd.DataFrame, spending: pd.DataFrame) -> None:
    """Each lever's marginal effect (plan − plan without it, same seeds) over 2022–2025 and to the end, and its
    cost per extra outcome."""
    rows = []
    for after, share in (("stop", 0.25), ("continue", 1.0)):
        with_ = summary[(summary.run == "plan") & (summary.after_plan == after) & (summary.delivery == share)]
        for key in MARGINAL:
            without = summary[(summary.run == f"without {key}") & (summary.after_plan == after)]
            column = "rural_to_urban" if key == "homestead_compensation" else "births"
            paid = spending[
                (spending.run == "plan")
                & (spending.after_plan == after)
                & (spending.delivery == share)
                & (spending.lever == key)
            ]
            for first, last in ((PLAN_ADOPTED, PLAN_ENDS), (PLAN_ADOPTED, summary.year.max())):
                years = last - first + 1
                within = with_[with_.year.between(first, last)].groupby("seed")[column].sum()
                extra = within - without[without.year.between(first, last)].groupby("seed")[column].sum()
                period = paid[paid.year.between(first, last)]
                yuan = period.groupby("seed").yuan.sum()
                effect = extra.mean()
                rows.append(
                    {
                        "setting": f"{after}, delivery {share}",
                        "lever": key,
                        "years": f"{first}–{last}",
                        "extra a year": f"{effect / years:,.0f} {column} (seeds "
                        + ", ".join(f"{v / years:,.0f}" for v in extra)
                        + ")",
                        "yuan, 亿": f"{yuan.mean() / 1e8:,.2f}",
                        "paid to, a year": f"{period.recipients.sum() / paid.seed.nunique() / years:,.0f}",
                        "yuan per extra": f"{yuan.mean() / effect:,.0f}" if effect > 0 else "no measurable effect",
                    }
                )
    print(markdown(pd.DataFrame(rows)))


if __name__ == "__main__":
    main()

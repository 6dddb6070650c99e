"""Comparing scenarios on paired replicates: the tables behind ``abm compare``.

Every scenario runs with the same seeds (replicate k of each scenario draws the
same dice), so the difference of a replicate pair is the levers' effect alone
and its spread across pairs gives the interval. Intervals are 95 % Student-t
intervals of the mean across replicates; bands in plots span the replicates.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from abm.outcomes import OUTCOMES, describe, owner
from environment.places import area_places, places
from environment.scenario import Scenario, ScenarioError
from environment.settings import levers
from experiments.attainment import attainment
from experiments.runner import RunSpec, run_many
from experiments.sweep import derive_seed

LEVEL = 0.95


@dataclass
class Comparison:
    """Every run's outcomes and the summary tables of a comparison (first scenario = reference)."""

    scenarios: list[Scenario]
    runs: pd.DataFrame  # scenario, replicate, seed
    outcomes: pd.DataFrame  # scenario, replicate, year, outcome, value
    attainment: pd.DataFrame  # scenario, target, name_zh, name_en, year, unit, plan, mean, low, high, met_share
    differences: pd.DataFrame  # scenario, reference, outcome, year, mean, low, high (scenario − reference)
    arrivals: pd.DataFrame  # scenario, origin, name_zh, name_en, people (mean per run over the simulated years)
    spending: pd.DataFrame  # scenario, measure, yuan, added_residents, yuan_per_added_resident
    notes: list[str] = field(default_factory=list)

    @property
    def reference(self) -> str:
        return self.scenarios[0].name

    def bands(self) -> pd.DataFrame:
        """Mean, interval and replicate range of every outcome by scenario and year."""
        g = self.outcomes.groupby(["scenario", "outcome", "year"], sort=False)["value"]
        out = g.agg(["mean", "min", "max", "count", "std"]).reset_index()
        low, high = interval(out["mean"], out["std"], out["count"])
        return out.assign(low=low, high=high).drop(columns=["std"])


def interval(mean, std, n) -> tuple[np.ndarray, np.ndarray]:
    """The 95 % t-interval of a mean from its standard deviation and count (the mean itself when n = 1)."""
    from scipy.stats import t

    n = np.asarray(n, float)
    half = np.where(
        n > 1, t.ppf(0.5 + LEVEL / 2, np.maximum(n - 1, 1)) * np.nan_to_num(std) / np.sqrt(np.maximum(n, 1)), 0.0
    )
    return np.asarray(mean) - half, np.asarray(mean) + half


def check_distinct(scenarios: list[Scenario]) -> None:
    """Refuse a comparison naming one scenario twice (by name: every table is keyed by it), before any run."""
    first: dict[str, Scenario] = {}
    for s in scenarios:
        if s.name in first:
            sources = f"{first[s.name].source} and {s.source}" if first[s.name].source != s.source else s.source
            raise ScenarioError(
                "compare",
                "scenarios",
                [x.name for x in scenarios],
                f"{s.name!r} is given twice ({sources}); each scenario compared needs its own name "
                "(a file's `name` sets it)",
            )
        first[s.name] = s


def compare(
    scenarios: list[Scenario], replicates: int = 3, n_jobs: int | None = None, progress: bool = False
) -> Comparison:
    """Run every scenario ``replicates`` times on paired seeds and summarise against the plan.

    The runs go to the backend in use (``experiments.backends.using``; joblib on all cores by default), with
    ``n_jobs`` workers when given; ``progress``: a bar.
    """
    check_distinct(scenarios)
    seeds = [derive_seed(scenarios[0].seed, k) for k in range(replicates)]
    keys = [(s, k) for s in scenarios for k in range(replicates)]
    specs = [RunSpec(s.settings, scale=s.scale, seed=seeds[k], end=s.end, label=s.name) for s, k in keys]
    results = run_many(specs, n_jobs=n_jobs, progress=progress, tables=("yearly", "flows", "spending"))
    runs = pd.DataFrame([{"scenario": s.name, "replicate": k, "seed": seeds[k]} for s, k in keys])
    frames, reached, arrivals, spent = [], [], [], []
    for (s, k), result in zip(keys, results, strict=True):
        tag = {"scenario": s.name, "replicate": k}
        frames.append(by_outcome(result.outcomes).assign(**tag))
        reached.append(attainment(result["yearly"]).assign(**tag))
        arrivals.append(arrivals_by_origin(result["flows"]).assign(**tag))
        if "spending" in result:
            spent.append(result["spending"].assign(**tag))
    table = pd.concat(frames, ignore_index=True)
    notes = []
    if not spent:
        notes.append("The model has no spending table yet: spending and yuan per added resident are not shown.")
    return Comparison(
        scenarios=scenarios,
        runs=runs,
        outcomes=table,
        attainment=summarise_attainment(pd.concat(reached, ignore_index=True)),
        differences=paired_differences(table, scenarios[0].name),
        arrivals=_mean_arrivals(pd.concat(arrivals, ignore_index=True), replicates),
        spending=spending_per_resident(
            pd.concat(spent, ignore_index=True) if spent else None, table, scenarios[0].name
        ),
        notes=notes,
    )


def by_outcome(table: pd.DataFrame) -> pd.DataFrame:
    """A run's outcomes (collected year by year) outcome by outcome, as declared: each outcome's years, then its
    breakdowns', then its gap."""

    def rank(key: str) -> tuple[int, int, str]:
        o = owner(key)
        return list(OUTCOMES).index(o.key), 0 if key == o.key else 2 if key == f"{o.key}_gap" else 1, key

    order = {key: i for i, key in enumerate(sorted(pd.unique(table.outcome), key=rank))}
    return table.sort_values(["outcome", "year"], key=lambda c: c.map(order) if c.name == "outcome" else c)


def summarise_attainment(table: pd.DataFrame) -> pd.DataFrame:
    """Mean and interval of each target's model value across replicates, and the share of replicates that meet it."""
    keys = ["scenario", "target", "name_zh", "name_en", "year", "unit", "plan"]
    g = table.groupby(keys, sort=False)
    out = g["model"].agg(["mean", "std", "count"]).reset_index()
    out["met_share"] = g["met"].apply(lambda m: float(pd.Series(m, dtype="float").mean())).to_numpy()
    out["low"], out["high"] = interval(out["mean"], out["std"], out["count"])
    return out.drop(columns=["std", "count"])


def headline_outcomes(last: int) -> list[tuple[str, int]]:
    """The outcomes compared between scenarios, each at its headline year (declared in outcomes.toml)."""
    return [(o.key, o.headline_year(last)) for o in OUTCOMES.values() if not o.by]


def paired_differences(table: pd.DataFrame, reference: str) -> pd.DataFrame:
    """Each scenario minus the reference, replicate by replicate, at the headline years; mean and t-interval."""
    last = int(table.year.max())
    rows = []
    for key, year in headline_outcomes(last):
        at = table[(table.outcome == key) & (table.year == year)]
        wide = at.pivot_table(index="replicate", columns="scenario", values="value")
        if reference not in wide:
            continue
        for name in [c for c in wide.columns if c != reference]:
            d = (wide[name] - wide[reference]).dropna()
            low, high = interval(d.mean(), d.std(), len(d))
            zh, en, unit = describe(key)
            rows.append(
                {
                    "scenario": name,
                    "reference": reference,
                    "outcome": key,
                    "name_zh": zh,
                    "name_en": en,
                    "unit": unit,
                    "year": year,
                    "mean": d.mean(),
                    "low": float(low),
                    "high": float(high),
                    "pairs": len(d),
                }
            )
    order = {s: i for i, s in enumerate(table.scenario.unique())}
    columns = ["scenario", "reference", "outcome", "name_zh", "name_en", "unit", "year", "mean", "low", "high", "pairs"]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.sort_values("scenario", key=lambda s: s.map(order), kind="stable", ignore_index=True)


def arrivals_by_origin(flows: pd.DataFrame) -> pd.DataFrame:
    """People arriving in Haimen from each outside place, summed over the simulated years."""
    haimen = set(area_places("haimen"))
    moves = flows[flows.destination.isin(haimen) & ~flows.origin.isin(haimen)]
    return moves.groupby("origin", as_index=False)["people"].sum()


def _mean_arrivals(table: pd.DataFrame, replicates: int) -> pd.DataFrame:
    pl = places()
    names = dict(zip(pl.keys, zip(pl.name_zh, pl.name_en, strict=True), strict=True))
    out = (table.groupby(["scenario", "origin"], sort=False)["people"].sum() / replicates).reset_index()
    out["name_zh"] = out.origin.map(lambda o: names.get(o, (o, o))[0])
    out["name_en"] = out.origin.map(lambda o: names.get(o, (o, o))[1])
    return out[["scenario", "origin", "name_zh", "name_en", "people"]]


def spending_per_resident(spending: pd.DataFrame | None, table: pd.DataFrame, reference: str) -> pd.DataFrame:
    """Yuan paid by measure (mean per run, all years) and per resident added over the reference by the end.

    ``spending`` follows the model's contract: columns ``year, measure, lever, recipients, yuan``
    (plus ``scenario, replicate``). Added residents are Haimen's population at the last year minus the
    reference's, paired by replicate; where a scenario adds none the ratio is left empty.
    """
    columns = ["scenario", "measure", "name_zh", "name_en", "yuan", "recipients", "added_residents"]
    if spending is None or spending.empty:
        return pd.DataFrame(columns=[*columns, "yuan_per_added_resident"])
    last = int(table.year.max())
    pop = table[(table.outcome == "haimen_population") & (table.year == last)]
    wide = pop.pivot_table(index="replicate", columns="scenario", values="value")
    added = {s: float((wide[s] - wide[reference]).mean()) for s in wide.columns}
    runs = spending.groupby("scenario")["replicate"].nunique()
    by = spending.groupby(["scenario", "measure"], as_index=False)[["yuan", "recipients"]].sum()
    by[["yuan", "recipients"]] = by[["yuan", "recipients"]].div(by.scenario.map(runs), axis=0)
    total = by.groupby("scenario", as_index=False)[["yuan", "recipients"]].sum().assign(measure="all")
    out = pd.concat([by, total], ignore_index=True)
    measure_names = _measure_names()
    out["name_zh"] = out.measure.map(lambda m: measure_names.get(str(m), ("合计", "all"))[0])
    out["name_en"] = out.measure.map(lambda m: measure_names.get(str(m), ("合计", "all"))[1])
    out["added_residents"] = out.scenario.map(added)
    ratio = out.yuan / out.added_residents
    out["yuan_per_added_resident"] = ratio.where(out.added_residents > 0)
    return out[[*columns, "yuan_per_added_resident"]]


def _measure_names() -> dict[str, tuple[str, str]]:
    from environment.targets import measure_targets

    return {str(m): (t.name_zh, t.name_en) for m, t in measure_targets().items()}


def settings_table(scenarios: list[Scenario]) -> pd.DataFrame:
    """What each scenario sets differently from the baseline (one row per scenario and setting)."""
    rows = []
    for s in scenarios:
        for key, value in s.settings.items():
            kind = "lever" if key in levers() else "parameter"
            rows.append({"scenario": s.name, "setting": key, "kind": kind, "value": value})
    return pd.DataFrame(rows, columns=["scenario", "setting", "kind", "value"])


def summary(result: Comparison) -> str:
    """The report in one paragraph: the first declared target for each scenario, each scenario's paired difference
    from the reference in the first declared outcome, and how many targets each scenario meets in every run."""
    first = result.scenarios[0]
    n = int(result.runs.replicate.nunique())
    text = (
        f"{len(result.scenarios)} scenarios on {n} paired replicates each (1:{first.scale}, {first.start}–{first.end})."
    )
    att = result.attainment.dropna(subset=["mean"])  # targets of years the runs reach
    if not att.empty:
        target = att[att.target == att.target.iloc[0]]
        row = target.iloc[0]
        levels = "; ".join(
            f"{r.scenario} {_amount(r['mean'], r.unit)} ({_amount(r.low, r.unit)} to {_amount(r.high, r.unit)})"
            for _, r in target.iterrows()
        )
        text += (
            f" {row.name_en} in {row.year}, mean and 95 % interval, against the plan's {_amount(row.plan, row.unit)}: "
            f"{levels}."
        )
    diff = result.differences
    if not diff.empty:
        lead = diff[diff.outcome == diff.outcome.iloc[0]]
        d = lead.iloc[0]
        changes = "; ".join(
            f"{r.scenario} {_amount(r['mean'], r.unit, sign=True)} "
            f"({_amount(r.low, r.unit, sign=True)} to {_amount(r.high, r.unit, sign=True)})"
            for _, r in lead.iterrows()
        )
        text += f" {d.name_en} in {d.year} against {result.reference}, paired: {changes}."
    total = result.attainment.target.nunique()
    met = att.groupby("scenario", sort=False)["met_share"].agg(lambda s: int((s == 1).sum()))
    within = att.target.nunique()
    of = f"of {total}" if within == total else f"of the {within} of {total} within the runs' years"
    scores = ", ".join(f"{s} {met.get(s, 0)}" for s in result.runs.scenario.unique())
    return text + f" Targets met in every run ({of}): {scores}."


def _amount(value: float, unit: str, sign: bool = False) -> str:
    """A figure as the report shows it: shares in per cent, everything else in whole numbers with separators."""
    plus = "+" if sign else ""
    if unit == "share":
        return f"{100 * value:{plus}.1f} %"
    return f"{value:{plus},.0f}"

"""Cost per added resident: extra spending ÷ extra residents between two scenarios run on the same seeds.

For a period (the plan's years 2022–2025, or 2022 to the run's last year) each run gives the yuan Haimen's budget
spent in those years (its ``spending`` table) and the residents Haimen gained over them (resident population at
the period's last year minus the year before its first). Replicate k of a scenario and replicate k of the one it is
set against share their dice, so each pair gives an extra spending ΔS_k and extra residents ΔN_k; the cost per
added resident is the ratio of their means, ``mean ΔS / mean ΔN``, with Fieller's interval
(:func:`experiments.paired.fieller`). Fieller rather than a bootstrap over replicates: with the five or so
replicates a comparison runs, a bootstrap has at most 126 distinct resamples, percentile intervals that are too
narrow, and resamples whose denominator comes near zero give absurd ratios; Fieller's interval is exact for normal
pair differences (each a sum over thousands of agents), uses the same t quantile as every other interval of the
report, and is bounded exactly when the extra residents are distinguishable from zero. When they are not, the
reading is "no measurable effect" and no figure is given.

The unit costs are uncertain too (``[KEY.cost]`` ranges); costs do not feed back into behaviour, so the same runs
give the spending at the low and high unit costs (:func:`abm.recording.spending_at`), shown beside the central
figure.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from abm.recording import spending_at
from environment.targets import PLAN_ADOPTED, targets
from experiments.paired import fieller, interval

# What a cost figure means, in both languages (the reading column of every cost table)
PER_RESIDENT = "每新增常住人口支出 yuan per added resident"
NO_EFFECT = "无可测效果 no measurable effect on residents"
SAVED_PER_RESIDENT = "少支出、少人口:每少一人节省 less spending, fewer residents: yuan saved per resident fewer"
DOMINATED = "多支出、少人口 more spending, fewer residents"
DOMINANT = "少支出、多人口 less spending, more residents"
FEW_PAIRS = "需至少2次配对重复 needs 2 or more paired replicates"
NO_PERIOD = "运行未覆盖规划年份 the runs end before the plan's years"

TOTALS = ["first", "last", "residents", "yuan", "yuan_low", "yuan_high", "external_yuan"]
COLUMNS = [
    "scenario",
    "against",
    "measure",
    "name_zh",
    "name_en",
    "first",
    "last",
    "extra_yuan",
    "extra_residents",
    "residents_low",
    "residents_high",
    "yuan_per_added_resident",
    "low",
    "high",
    "at_low_unit_costs",
    "at_high_unit_costs",
    "extra_external_yuan",
    "pairs",
    "reading",
]


def periods(last: int) -> list[tuple[int, int]]:
    """The periods costs are counted over: the plan's years (2022 to the population target's year) and, when the
    runs go further, 2022 to their last year (none when they end before 2022)."""
    if last < PLAN_ADOPTED:
        return []
    plan_end = min(targets()["population"].year, last)
    return [(PLAN_ADOPTED, plan_end)] + ([(PLAN_ADOPTED, last)] if last > plan_end else [])


def run_totals(population: pd.Series, spending: pd.DataFrame | None, spans: list[tuple[int, int]]) -> pd.DataFrame:
    """One run's residents gained and yuan spent over each period (columns :data:`TOTALS`).

    ``population``: Haimen's resident population indexed by year (from the year before the first period's first);
    ``spending``: the run's spending table (``year, lever, yuan, external_yuan``; None or empty: nothing spent).
    Spending at the low and high unit costs comes from the same rows (:func:`abm.recording.spending_at`).
    """
    paid = spending if spending is not None and len(spending) else None
    levels = {}
    if paid is not None:
        levels = {"yuan": paid, "yuan_low": spending_at(paid, "low"), "yuan_high": spending_at(paid, "high")}
    rows = []
    for first, last in spans:
        row = {"first": first, "last": last, "residents": population[last] - population[first - 1]}
        for column, table in levels.items():
            row[column] = table.yuan[table.year.between(first, last)].sum()
        if paid is not None:
            row["external_yuan"] = paid.external_yuan[paid.year.between(first, last)].sum()
        rows.append({c: row.get(c, 0.0) for c in TOTALS})
    return pd.DataFrame(rows, columns=TOTALS)


def cost_per_resident(totals: pd.DataFrame, variant: str, against: str) -> pd.DataFrame:
    """``variant`` against ``against`` over each period: extra spending ÷ extra residents, paired by replicate.

    ``totals``: :func:`run_totals` of every run stacked with columns ``variant`` and ``replicate``. One row per
    period (columns of :data:`COLUMNS` from ``extra_yuan`` on, plus ``first`` and ``last``).
    """
    rows = []
    mine, theirs = totals[totals.variant == variant], totals[totals.variant == against]
    for (first, last), part in mine.groupby(["first", "last"], sort=True):
        other = theirs[(theirs["first"] == first) & (theirs["last"] == last)]
        pairs = part.merge(other, on="replicate", suffixes=("", "_0"))
        extra = {c: (pairs[c] - pairs[f"{c}_0"]).to_numpy() for c in ("residents", "yuan", "yuan_low", "yuan_high")}
        rows.append({"first": first, "last": last, **ratio_row(extra, pairs)})
    return pd.DataFrame(rows, columns=["first", "last", *COLUMNS[COLUMNS.index("extra_yuan") :]])


def ratio_row(extra: Mapping[str, np.ndarray], pairs: pd.DataFrame) -> dict:
    """The figures of one comparison and period from its pair differences (yuan, residents, yuan at low/high)."""
    dn, ds = extra["residents"], extra["yuan"]
    ratio = fieller(ds, dn)
    low, high = interval(dn.mean(), dn.std(ddof=1) if len(dn) > 1 else 0.0, len(dn))
    reading = _reading(ratio.bounded, ratio.pairs, dn.mean(), ds.mean())
    shown = reading in (PER_RESIDENT, SAVED_PER_RESIDENT)
    b = dn.mean()
    return {
        "extra_yuan": ds.mean(),
        "extra_residents": b,
        "residents_low": float(low),
        "residents_high": float(high),
        "yuan_per_added_resident": ratio.estimate if shown else np.nan,
        "low": ratio.low if shown else np.nan,
        "high": ratio.high if shown else np.nan,
        "at_low_unit_costs": extra["yuan_low"].mean() / b if shown else np.nan,
        "at_high_unit_costs": extra["yuan_high"].mean() / b if shown else np.nan,
        "extra_external_yuan": (pairs["external_yuan"] - pairs["external_yuan_0"]).mean(),
        "pairs": ratio.pairs,
        "reading": reading,
    }


def _reading(bounded: bool, pairs: int, residents: float, yuan: float) -> str:
    if pairs < 2:
        return FEW_PAIRS
    if not bounded:
        return NO_EFFECT
    if residents > 0:
        return PER_RESIDENT if yuan >= 0 else DOMINANT
    return SAVED_PER_RESIDENT if yuan <= 0 else DOMINATED


def measurable(table: pd.DataFrame) -> pd.Series:
    """Rows whose cost per added resident is a figure (the extra residents distinguishable from zero, more residents
    for more spending or fewer for less)."""
    return table.reading.isin([PER_RESIDENT, SAVED_PER_RESIDENT])


def shown(row: Mapping, column: str = "yuan_per_added_resident") -> str:
    """A cost figure as the terminal and the report show it: ``64,000 (52,000 to 80,000)``, or its reading."""
    if pd.isna(row[column]):
        return row["reading"].split(" ", 1)[1] if " " in row["reading"] else row["reading"]
    return f"{row[column]:,.0f} ({row['low']:,.0f} to {row['high']:,.0f})"

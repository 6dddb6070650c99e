"""How a run measures up against the plan's targets (declared in ``environment/data/targets.toml``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from environment.inputs import CENSUS_YEAR
from environment.places import area_places
from environment.targets import targets


def attainment(yearly: pd.DataFrame) -> pd.DataFrame:
    """One row per target: the plan's value, the run's value in the target year, the gap and whether it is met.

    Long-run targets without a year are read at the run's last year.
    """
    last = int(yearly.year.max())
    rows = []
    for t in targets().values():
        year = t.year if t.year is not None else last
        area = yearly[yearly.place.isin(area_places(t.places))]
        at = area[area.year == year]
        if at.empty:
            value = float("nan")
        elif t.unit == "share":
            value = at.urban_population.sum() / at.population.sum()
        elif t.is_growth:
            value = at.population.sum() - area[area.year == CENSUS_YEAR].population.sum()
        elif t.key == "urban_population":
            value = at.urban_population.sum()
        else:
            value = at.population.sum()
        rows.append(
            {
                "target": t.key,
                "name_zh": t.name_zh,
                "name_en": t.name_en,
                "year": year,
                "unit": t.unit,
                "plan": t.value,
                "model": value,
                "gap": value - t.value,
                "met": None if np.isnan(value) else bool(value >= t.value),  # None: the run ends before the year
            }
        )
    return pd.DataFrame(rows)


def format_table(table: pd.DataFrame, title: str = "") -> str:
    """The attainment table as aligned text for the terminal."""

    def fmt(value: float, unit: str) -> str:
        if pd.isna(value):
            return "n/a"
        return f"{value:.1%}" if unit == "share" else f"{value:,.0f}"

    lines = [title] if title else []
    header = f"{'target':<31} {'year':>4} {'plan':>11} {'model':>11} {'gap':>11}  met  目标"
    lines += [header, "-" * (len(header) + 8)]
    for r in table.itertuples():
        gap = "n/a" if pd.isna(r.gap) else f"{r.gap:+.1%}" if r.unit == "share" else f"{r.gap:+,.0f}"
        met = "n/a" if r.met is None or pd.isna(r.met) else "yes" if r.met else "no"
        lines.append(
            f"{r.name_en:<31} {r.year:>4} {fmt(r.plan, r.unit):>11} {fmt(r.model, r.unit):>11} {gap:>11}  "
            f"{met:<3}  {r.name_zh}"
        )
    return "\n".join(lines)


def first_year_reached(values: pd.DataFrame, threshold: float, by: list[str]) -> pd.Series:
    """The first year each group's ``value`` is at least ``threshold`` (``<NA>``: not within its years).

    ``values`` has columns ``by``, ``year`` and ``value`` (one row per group and year).
    """
    at = values[values.value >= threshold]
    first = at.groupby(by, sort=False).year.min()
    groups = values[by].drop_duplicates().set_index(by).index
    return first.reindex(groups).astype("Int64")


def share_reached_by_year(values: pd.DataFrame, threshold: float, by: str, unit: str) -> pd.DataFrame:
    """For each ``by`` (a scenario) and year: the share of its ``unit``\\ s (replicates, uncertainty points) whose
    ``value`` has reached ``threshold`` in that year or before (columns ``by``, ``year``, ``share``)."""
    first = first_year_reached(values, threshold, [by, unit]).rename("first").reset_index()
    years = values[[by, "year"]].drop_duplicates()
    grid = years.merge(first, on=by)
    grid["reached"] = (grid["first"] <= grid.year).fillna(False).astype(float)
    return grid.groupby([by, "year"], sort=False, as_index=False)["reached"].mean().rename(columns={"reached": "share"})

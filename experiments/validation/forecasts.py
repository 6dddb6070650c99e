"""The model's baseline beside two naive forecasts: the 2010–2020 trend continued and a flat line."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from environment.inputs import CENSUS_YEAR, fact
from experiments.validation.facts import decade_growth
from experiments.validation.report import fmt, fmt_range

FORECAST_EVERY = 5  # years between the table's rows (and the last year)


def populations(summaries: Sequence[pd.DataFrame]) -> np.ndarray:
    """Resident population of each run's summary, float[run, year]."""
    return np.array([s.haimen_population.to_numpy() for s in summaries])


def naive_forecasts(years: np.ndarray) -> pd.DataFrame:
    """The 2010–2020 trend continued (Haimen's yearly growth from the census) and a flat line, persons by year."""
    base = fact("pop_resident_census")
    growth = decade_growth() / 100
    return pd.DataFrame({"year": years, "trend": base * (1 + growth) ** (years - CENSUS_YEAR), "flat": base})


def forecast_section(summaries: Sequence[pd.DataFrame], band: np.ndarray | None) -> list[str]:
    """The table of the baseline (mean and sd over seeds; ``band``: the parameter band's populations, float[member,
    year]) against the naive forecasts, every five years and the last."""
    years = summaries[0].year.to_numpy()
    naive = naive_forecasts(years)
    pops = populations(summaries)
    spread = band if band is not None else np.full((1, len(years)), np.nan)
    lines = [
        "## Model baseline vs naive forecasts",
        "",
        f"| year | model mean | model sd | parameter band | trend {decade_growth():g} %/yr | flat |",
        "|---|---|---|---|---|---|",
    ]
    for i, y in enumerate(years):
        if y % FORECAST_EVERY == 0 or i == len(years) - 1:
            sd = pops[:, i].std(ddof=1) if len(pops) > 1 else float("nan")
            lines.append(
                f"| {y} | {pops[:, i].mean():,.0f} | {fmt(sd)} | {fmt_range(spread[:, i].min(), spread[:, i].max())} "
                f"| {naive.trend[i]:,.0f} | {naive.flat[i]:,.0f} |"
            )
    return lines

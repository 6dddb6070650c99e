"""The post-2020 pull's declared range against Nantong's growth since the census, and its section of the report.

Haimen's own 2021–22 populations were not found; Nantong's and its urban districts' (市区) were, and Haimen's
2010–2020 relation to them carried over gives what Haimen would have shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from environment.inputs import CENSUS_YEAR, fact
from environment.scenario import load as load_scenario
from environment.settings import parameters
from experiments.runner import RunSpec, run_many
from experiments.validation.report import fmt

PULL = "outside_pull_after_2020"
NANTONG, CITY = "Nantong", "Nantong 市区 (崇川+开发区+通州+海门)"  # as the censuses name them
CITY_YEAREND = "Nantong 市区"  # as the year-end totals name it
PREVIOUS_CENSUS = 2010
CHECK_YEARS = (2021, 2022)  # year-ends with Nantong's totals
LATEST = max(CHECK_YEARS)  # also with its 市区' total; the central pull was chosen with this year's (parameters.toml)


@dataclass
class PullCheck:
    """The post-2020 pull's declared range against Nantong's growth since the census.

    ``growth`` has one row per pull (the range's ends and its central value) with the model's growth since 2020
    (%, mean over seeds) in each of ``CHECK_YEARS`` and its sd; ``facts`` the observed growth of Nantong and of
    its urban districts; ``expected`` Haimen's 2020–22 growth had it kept its 2010s relation to either.
    """

    central: float
    growth: pd.DataFrame
    facts: dict[str, tuple[int, float]]  # label -> (year, growth since 2020, %)
    expected: dict[str, float]  # carry-over rule -> Haimen's growth 2020–2022 (%)

    def pull_for(self, growth: float, year: int = LATEST) -> float:
        """The pull at which the model's growth to ``year`` equals ``growth`` (linear between the runs; NaN
        outside their range)."""
        g = self.growth.sort_values(f"growth_{year}")
        x, y = g[f"growth_{year}"].to_numpy(), g["pull"].to_numpy()
        return float(np.interp(growth, x, y)) if x[0] <= growth <= x[-1] else float("nan")


def carried_over_growth(years: int = LATEST - CENSUS_YEAR) -> dict[str, float]:
    """Haimen's growth over ``years`` from 2020 (%) had it kept its 2010–2020 relation to Nantong or its 市区.

    Four ways: the same gap in yearly growth (Haimen's minus theirs) or the same ratio of yearly growth, to
    Nantong as a whole and to its four urban districts (Haimen one of them), applied to their observed growth
    from the 2020 census to the end of 2022.
    """
    per_year = 1 / (CENSUS_YEAR - PREVIOUS_CENSUS)
    haimen = (fact("pop_resident_census") / fact("pop_resident_census", "Haimen", PREVIOUS_CENSUS)) ** per_year - 1
    out = {}
    for name, place, now in (("Nantong", NANTONG, NANTONG), ("its urban districts (市区)", CITY, CITY_YEAREND)):
        decade = (
            fact("pop_resident_census", place, CENSUS_YEAR) / fact("pop_resident_census", place, PREVIOUS_CENSUS)
        ) ** per_year - 1
        observed = fact("pop_resident_yearend", now, LATEST) / fact("pop_resident_census", place, CENSUS_YEAR) - 1
        out[f"same gap to {name}"] = 100 * ((1 + observed) * ((1 + haimen) / (1 + decade)) ** years - 1)
        out[f"same ratio to {name}"] = 100 * observed * haimen / decade
    return out


def pull_check(scale: int, seeds: Sequence[int], n_jobs: int = 1) -> PullCheck:
    """The baseline to 2022 at the post-2020 pull's low, central and high values (the constants in
    calibration.toml: the calibration itself always runs at the 2010s' pull, so it does not depend on this one)."""
    p = parameters()[PULL]
    pulls = sorted({p.low, p.default, p.high})
    baseline = load_scenario("baseline").settings
    specs = [
        RunSpec(dict(baseline) | {PULL: pull}, scale=scale, seed=seed, end=max(CHECK_YEARS))
        for pull in pulls
        for seed in seeds
    ]
    results = run_many(specs, n_jobs=n_jobs, tables=["summary"])
    rows = []
    for spec, tables in zip(specs, results, strict=True):
        pop = tables["summary"].set_index("year").haimen_population
        rows.append({"pull": spec.settings[PULL], **{y: 100 * (pop[y] / pop[CENSUS_YEAR] - 1) for y in CHECK_YEARS}})
    runs = pd.DataFrame(rows).groupby("pull")
    growth = runs.mean().add_prefix("growth_").join(runs.std(ddof=1).add_prefix("sd_")).reset_index()
    nantong = fact("pop_resident_census", NANTONG, CENSUS_YEAR)
    facts = {f"Nantong {y}": (y, 100 * (fact("pop_resident_yearend", NANTONG, y) / nantong - 1)) for y in CHECK_YEARS}
    city = fact("pop_resident_yearend", CITY_YEAREND, LATEST) / fact("pop_resident_census", CITY, CENSUS_YEAR) - 1
    facts[f"{CITY_YEAREND} {LATEST}"] = (LATEST, 100 * city)
    return PullCheck(p.default, growth, facts, carried_over_growth())


def pull_section(check: PullCheck) -> list[str]:
    """The pull check as Markdown: the model at the range's ends and centre, the facts, and what they say."""
    g = check.growth.set_index("pull")
    lines = [
        "## Post-2020 pull against Nantong",
        "",
        f"`{PULL}` scales the outside pools of potential movers from 2021 (0: none, 1: the 2010s' pull the",
        "calibration runs at). The baseline at the ends and the centre of its declared range (constants from",
        "calibration.toml, which do not depend on the pull), growth of the resident population since the",
        "2020 census in %, mean (sd) over the seeds:",
        "",
        "| pull | " + " | ".join(f"growth {CENSUS_YEAR}–{y}" for y in CHECK_YEARS) + " |",
        "|---" * (len(CHECK_YEARS) + 1) + "|",
    ]
    for pull, r in g.iterrows():
        cells = [f"{r[f'growth_{y}']:+.2f} ({fmt(r[f'sd_{y}'])})" for y in CHECK_YEARS]
        lines.append(f"| {pull:g}{' (central)' if pull == check.central else ''} | " + " | ".join(cells) + " |")
    lines += ["", "| fact | year | growth since the 2020 census | pull giving it |", "|---|---|---|---|"]
    for label, (year, value) in check.facts.items():
        lines.append(f"| {label} | {year} | {value:+.2f} % | {fmt(check.pull_for(value, year))} |")
    for label, value in check.expected.items():
        lines.append(f"| Haimen, {label} (2010s) | {LATEST} | {value:+.2f} % | {fmt(check.pull_for(value))} |")
    latest = g[f"growth_{LATEST}"]
    low, high = latest.min(), latest.max()
    at_central = latest[check.central]
    expected = np.array(list(check.expected.values()))
    middle = float(np.median(expected))

    def covered(v: float) -> str:
        return "covers" if low <= v <= high else "does not cover"

    where = (
        "below every carried-over estimate"
        if at_central < expected.min()
        else "above every carried-over estimate"
        if at_central > expected.max()
        else "within the carried-over estimates"
    )
    lines += [
        "",
        "Haimen's own 2021–22 populations were not found. The carried-over rows are what Haimen would show had it",
        "kept its 2010–2020 relation (gap or ratio of yearly growth) to Nantong or to its urban districts, whose",
        "2010 total is derived from the same census bulletin (facts.csv). The model's years run from the census",
        "to each year's end: about two months fewer than the facts'.",
        "",
        f"- The declared range gives growth {CENSUS_YEAR}–{LATEST} from {low:+.2f} % to {high:+.2f} %: it "
        + ", ".join(f"{covered(v)} {label} ({v:+.2f} %)" for label, (y, v) in check.facts.items() if y == LATEST)
        + f" and {covered(expected.min())} / {covered(expected.max())} the lowest / highest carried-over estimate"
        f" ({expected.min():+.2f} / {expected.max():+.2f} %).",
        f"- At the central value {check.central:g} the model gives {at_central:+.2f} %, {where}"
        f" (their median {middle:+.2f} %, given by a pull of {fmt(check.pull_for(middle))}).",
        "",
    ]
    return lines

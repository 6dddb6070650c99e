"""``abm validate``: a baseline run compared with every fact it can be compared with.

Each comparison row names the fact, its source (a key of ``facts.csv`` or a derived data file), the observed
value, the model's mean and spread over seeds, the error, and whether the fact was *fitted* (a raking margin, a
calibration target or a vital-rate level: agreement there is by construction) or not (only those count as
validation); the comparisons are data (``experiments/data/validation_facts.toml``, read by
:mod:`experiments.validation.facts`). The report (``validation.md``, plots embedded as base64 PNG) also sets the
model's baseline beside two naive forecasts: the 2010–2020 trend continued and a flat line.

Two spreads are shown. Seeds: the model's mean and sd over the runs at the central values. Parameters: the same
baseline at the central values and at the points of a small Latin hypercube over declared uncertainties (the
factors and ranges of a sweep file, by default ``headline_baseline``: the README's headline uncertainties), each
point with its free constants refitted first (:func:`experiments.calibrate.fitted_constants`, cached) so that
every member still reproduces the 2010–2020 calibration targets; all members share one seed, so their
differences are the parameters', not the dice's. The band is the minimum to maximum over the members
(:mod:`experiments.validation.band`).

This module runs the models and puts the report together; each section is a module of
:mod:`experiments.validation`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from abm.model import MigrationModel
from environment.inputs import CENSUS_YEAR
from environment.scenario import load as load_scenario
from environment.settings import run_default
from experiments.runner import RunSpec, run_many
from experiments.uncertainty import DEFAULT_POINTS, DEFAULT_SWEEP
from experiments.validation.band import Uncertainty, band_section, uncertainty_band
from experiments.validation.facts import Runs, compare
from experiments.validation.forecasts import forecast_section
from experiments.validation.life import life_section
from experiments.validation.plots import plots
from experiments.validation.pull import CHECK_YEARS, PullCheck, pull_check, pull_section
from experiments.validation.report import markdown


@dataclass
class Validation:
    """The comparison table, the runs' summaries (one frame per seed), the band and the report's Markdown."""

    table: pd.DataFrame
    summaries: list[pd.DataFrame]
    markdown: str
    uncertainty: Uncertainty | None = None
    pull: PullCheck | None = None


def validate(
    scale: int = 10,
    seeds: Sequence[int] = (1, 2, 3),
    end: int = run_default("end"),
    n_jobs: int = 1,
    uncertainty_points: int = DEFAULT_POINTS,
    uncertainty: str = DEFAULT_SWEEP,
    refit_scale: int | None = None,
) -> Validation:
    """Run the baseline for each seed (and over the uncertainty band unless ``uncertainty_points`` is 0)
    and compare it with the facts."""
    settings = load_scenario("baseline").settings
    results = run_many(
        [RunSpec(settings=settings, scale=scale, seed=s, end=end) for s in seeds],
        n_jobs=n_jobs,
        tables=["summary", "ages"],
    )
    summaries = [r["summary"] for r in results]
    ages = [r["ages"] for r in results]
    model = MigrationModel(scale=scale, end=end, rng=seeds[0], scenario="baseline")
    table = compare(Runs(summaries, ages, model.rates))
    header: dict[str, Any] = {
        "scenario": "baseline",
        "scale": f"1:{scale}",
        "seeds": ",".join(map(str, seeds)),
        "years": f"{CENSUS_YEAR}–{end}",
    }
    check = pull_check(scale, seeds, n_jobs) if end >= max(CHECK_YEARS) else None
    band = None
    if uncertainty_points:
        band = uncertainty_band(scale, seeds[0], end, uncertainty_points, uncertainty, refit_scale, n_jobs)
        table["band_low"], table["band_high"] = band.band()
        header["parameter band"] = f"{len(band.summaries)} members (see 'Parameter uncertainty')"
    sections = [pull_section(check)] if check is not None else []
    sections.append(life_section(model.rates, model, summaries, ages))
    text = markdown(
        table,
        header,
        band_section(band, table) if band is not None else None,
        sections,
        forecast_section(summaries, band.populations() if band is not None else None),
        plots(summaries, ages, band),
    )
    return Validation(table, summaries, text, band, check)

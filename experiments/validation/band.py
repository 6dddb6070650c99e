"""The parameter-uncertainty band: the baseline at the central values and at a few recalibrated Latin-hypercube
points of declared uncertainties (a sweep file's factors and ranges), all with one seed, so that their spread
is the parameters', not the dice's; and its section of the report."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from agents.demography import VitalRates
from environment.scenario import load as load_scenario
from environment.settings import parameters, resolve
from experiments.runner import RunSpec, run_many
from experiments.uncertainty import DEFAULT_SWEEP, Members, members
from experiments.validation.facts import Runs, compare
from experiments.validation.forecasts import populations
from experiments.validation.report import covers, fmt, unfitted


@dataclass
class Uncertainty:
    """The parameter-uncertainty band: its members (what varied and how) and each member's run and comparison.

    ``summaries[i]`` and ``tables[i]`` are member ``i``'s summary and comparison with the facts; ``fitted`` the
    constants refitted for each member.
    """

    members: Members
    seed: int
    fitted: pd.DataFrame
    summaries: list[pd.DataFrame] = field(default_factory=list)
    tables: list[pd.DataFrame] = field(default_factory=list)

    def band(self, column: str = "model") -> tuple[pd.Series, pd.Series]:
        """Lowest and highest value of every comparison row over the members."""
        values = pd.concat([t[column] for t in self.tables], axis=1)
        return values.min(axis=1), values.max(axis=1)

    def populations(self) -> np.ndarray:
        """Resident population, float[member, year]."""
        return populations(self.summaries)


def uncertainty_band(
    scale: int,
    seed: int,
    end: int,
    points: int,
    sweep: str = DEFAULT_SWEEP,
    refit_scale: int | None = None,
    n_jobs: int = 1,
) -> Uncertainty:
    """The baseline at the central values and at ``points`` recalibrated Latin-hypercube points of ``sweep``.

    Every member runs with ``seed``; its vital rates are rebuilt for the life-expectancy and fertility rows.
    """
    from experiments.calibrate import fitted_constants

    chosen = members(points, sweep, refit_scale)
    baseline = load_scenario("baseline").settings
    settings = [dict(baseline) | values for values in chosen.settings()]
    specs = [RunSpec(s, scale=scale, seed=seed, end=end, recalibrate=chosen.refit) for s in settings]
    results = run_many(specs, n_jobs=n_jobs, tables=["summary", "ages"])
    fitted = pd.DataFrame([fitted_constants(s, *chosen.refit) for s in settings])  # cached by the runs
    band = Uncertainty(chosen, seed, fitted)
    for s, tables in zip(settings, results, strict=True):
        rates = VitalRates(resolve({k: v for k, v in s.items() if k in parameters()}))
        band.summaries.append(tables["summary"])
        band.tables.append(compare(Runs([tables["summary"]], [tables["ages"]], rates)))
    return band


def band_section(band: Uncertainty, table: pd.DataFrame) -> list[str]:
    """What varied in the parameter band and how, its members, and how many unfitted facts it covers."""
    lines = [
        "## Parameter uncertainty",
        "",
        *band.members.description(),
        "",
        f"Each member then runs once with seed {band.seed}: all share that seed, so their spread is the parameters',",
        "not the dice's. The band is the lowest to the highest value over the members (with this few points a",
        "percentile band would claim more than the sample holds). The seed-mean column uses the constants in",
        "calibration.toml instead, so it may lie outside a small band.",
        "",
        "Members (varied values and refitted constants; 2020 and last-year population):",
        "",
    ]
    pops = band.populations()
    rows = pd.concat([band.members.values, band.fitted.add_prefix("fitted ")], axis=1).assign(
        **{"population 2020": pops[:, 0], f"population {band.summaries[0].year.max()}": pops[:, -1]}
    )
    lines += ["| " + " | ".join(rows.columns) + " |", "|---" * len(rows.columns) + "|"]
    for row in rows.itertuples(index=False):
        lines.append("| " + " | ".join(fmt(v) if isinstance(v, float) else str(v) for v in row) + " |")
    free = unfitted(table)
    inside = covers(free.band_low, free.band_high, free.observed).sum()
    lines += [
        "",
        f"The band contains the observed value for {inside} of the {len(free)} facts that were not fitted.",
        "",
    ]
    return lines

"""The web page's model: the current lever setting and a named scenario, stepped together on the same seed.

The page (``abm/web/page.py``) re-creates :class:`DemoRun` on Reset with the
controls' values, and calls :meth:`DemoRun.step` on Step and Play (it is a
``mesa.Model``, so Mesa's SolaraViz could drive it too). Both runs draw the same keyed
random numbers (same seed), so their difference is the levers'. Every figure
the page shows is a declared outcome (``abm/outcomes.py``): each year's values,
which the model computes as it records the year, are kept in
:attr:`DemoRun.figures`. A failure is kept in :attr:`DemoRun.error` for the
page to show; it never reaches the server.
"""

from __future__ import annotations

import csv
import traceback
from functools import cache
from pathlib import Path
from typing import Any

import mesa
import pandas as pd

from abm.model import MigrationModel
from abm.outcomes import OUTCOMES
from environment.scenario import all_scenarios
from environment.scenario import load as load_scenario
from environment.settings import NEVER, Lever, levers, run_default, run_options

# The main lever of each of the ten measure groups, then the other transport projects' opening years.
MAIN_LEVERS = (
    "hsr_year",
    "industrial_jobs_kaifaqu",
    "hq_jobs",
    "consumer_jobs",
    "school_seats",
    "graduate_jobs",
    "talent_purchase_subsidy",
    "homestead_compensation",
    "green_amenity",
    "childcare_subsidy",
    "tunnel_year",
    "airport_year",
)
BASE = "plan"  # levers not on the page keep this scenario's values
DEFAULT_REFERENCE = "baseline"
DEMO_SCALE = 100
DEMO_SEED = run_default("seed")
SPREAD_FILE = Path(__file__).with_name("seed_spread.csv")


@cache
def scenario_titles() -> dict[str, dict[str, str]]:
    """The built-in scenarios' shown names by language, {name: {"zh": title, "en": title}} (their files'
    ``title_zh`` / ``title_en``; the name itself where a file has none)."""
    scenarios = [load_scenario(p) for p in all_scenarios()]
    return {s.name: {"zh": s.title_zh or s.name, "en": s.title_en or s.name} for s in scenarios}


def reference_scenarios() -> list[str]:
    """Names of the built-in scenarios: baseline, plan, the plan without each measure, then the others."""

    def order(n: str) -> tuple[int, str]:
        rank = {"baseline": 0, "plan": 1}.get(n, 2 if n.startswith("plan_without_") else 3)
        return rank, n

    return sorted(scenario_titles(), key=order)


@cache
def seed_spread() -> dict[int, tuple[float, int]]:
    """s.d. across seeds of the 2025 population, by scale: {scale: (sd, seeds)} (from ``seed_spread.csv``)."""
    if not SPREAD_FILE.is_file():
        return {}
    with SPREAD_FILE.open(encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["scenario"] == BASE]
    return {int(r["scale"]): (float(r["sd_2025"]), int(r["seeds"])) for r in rows}


def scale_choices() -> list[int]:
    """Scales offered on the page: those whose seed spread was measured (else the demo scale)."""
    return sorted(seed_spread()) or [DEMO_SCALE]


def never_stop(lever: Lever) -> int:
    """The slider stop that stands for "never" on a project's opening-year slider (one past its range)."""
    return int(lever.high) + 1


def lever_value(lever: Lever, value: Any) -> Any:
    """A control's value as the model takes it: a year slider's last stop is "never"."""
    if lever.never and (value in (NEVER, None) or value >= never_stop(lever)):
        return NEVER
    return value


class DemoRun(mesa.Model):
    """Two MigrationModels on one seed: the page's lever setting, and a named scenario to compare with."""

    def __init__(
        self,
        scale: int = DEMO_SCALE,
        rng: int = DEMO_SEED,
        reference: str = DEFAULT_REFERENCE,
        scenario: Any = None,
        **lever_values: Any,
    ) -> None:
        del scenario  # Mesa's Reset passes its own Scenario object; the scenarios here are named ones
        super().__init__(rng=rng)
        self.scale, self.seed, self.reference_name = int(scale), int(rng), reference
        self.lever_values = {k: lever_value(levers()[k], v) for k, v in lever_values.items()}
        self.error: str | None = None
        self.current: MigrationModel | None = None
        self.reference: MigrationModel | None = None
        self.figures: dict[str, dict[int, dict[str, float]]] = {}  # run -> year -> outcome -> value
        self.year = run_options()["end"].low - 1
        self.end = end = run_default("end")
        try:
            self.current = MigrationModel(scale=self.scale, end=end, rng=self.seed, scenario=BASE, **self.lever_values)
            self.reference = MigrationModel(scale=self.scale, end=end, rng=self.seed, scenario=reference)
            self.year = self.current.year
            self._read()
        except Exception as e:  # shown on this tab's page; the server and other tabs go on
            self._fail(e)

    def step(self) -> None:
        """One year of both runs."""
        if self.error or self.current is None or self.reference is None:
            self.running = False
            return
        try:
            self.current.step()
            self.reference.step()
            self.year = self.current.year
            self.running = self.current.running
            self._read()
        except Exception as e:
            self._fail(e)

    def _read(self) -> None:
        """Keep this year's declared outcomes of both runs (the model computes them from the year's rows)."""
        for side, model in (("current", self.current), ("reference", self.reference)):
            self.figures.setdefault(side, {})[model.year] = dict(model.outcome_values)

    def _fail(self, e: Exception) -> None:
        traceback.print_exc()
        self.error = f"{type(e).__name__}: {e}"
        self.running = False

    def series(self, key: str, run: str = "current", until: int | None = None) -> pd.Series:
        """One outcome by year, up to ``until`` (default: this year); empty if the run has none."""
        until = self.year if until is None else until
        years = self.figures.get(run, {})
        values = {y: v[key] for y, v in years.items() if key in v and y <= until}
        return pd.Series(list(values.values()), index=list(values), name=key, dtype=float)

    def value(self, key: str, run: str = "current", year: int | None = None) -> float:
        """One outcome in ``year`` (default: this year); NaN if absent."""
        year = self.year if year is None else year
        return float(self.figures.get(run, {}).get(year, {}).get(key, float("nan")))

    def breakdown(self, key: str, run: str = "current", year: int | None = None) -> dict[str, float]:
        """An outcome's ``by`` parts in ``year`` as {value of the by column: figure}."""
        year = self.year if year is None else year
        by = OUTCOMES[key].by
        prefix = f"{key}_{by}_"
        values = self.figures.get(run, {}).get(year, {})
        return {k.removeprefix(prefix): v for k, v in values.items() if by and k.startswith(prefix)}

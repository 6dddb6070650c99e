"""The backcast: the model from Haimen's 2010 census to the 2020 census, what the free constants are fitted to.

A backcast is an ordinary run with ``start`` 2010 (``MigrationModel(start=2010)``): the population synthesized
to the 2010 census margins (``environment/data/census_margins.toml``), the transport network with the historical
projects opening in their years (``projects.csv``), the life-expectancy and total-fertility paths from 2010, the
outside places at their 2010 census populations growing to 2020's, the 2010s' pull, and every lever at its
baseline (the plan was adopted in 2022). It runs to 2020 and is compared with the 2020 census
(``experiments/validation/backcast.py``; ``abm backcast``).

:func:`calibration_targets` reads what the free constants are fitted to (``data/calibration_targets.toml``),
:func:`targets_reached` measures them in a backcast's 2020.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from abm.model import MigrationModel
from environment.census import census_years
from environment.inputs import CENSUS_YEAR, fact, read_toml
from experiments import backends

START, END = census_years()[0], CENSUS_YEAR  # from the 2010 census to the 2020 census
TABLES = ("summary", "ages", "yearly")  # what a backcast run gives back (``yearly``: the places table)
TARGET_COLUMNS = {  # the summary column each calibration target is measured in (the backcast's last year)
    "population": "haimen_population",
    "urbanization": "urbanization",
    "household_size": "average_household_size",
    "shanghai_commuters": "working_in_shanghai",
}


def calibration_targets() -> dict[str, dict[str, Any]]:
    """What the free constants are fitted to (``data/calibration_targets.toml``), each with its ``value``."""
    out = {}
    for key, t in read_toml("calibration_targets.toml").items():
        value = fact(t["fact"]) / fact(t["of"]) if "of" in t else fact(t["fact"]) if "fact" in t else t["value"]
        out[key] = t | {"value": float(value)}
    return out


def run_backcast(settings: Mapping[str, Any], scale: int, seed: int) -> dict[str, pd.DataFrame]:
    """One backcast (2010 → 2020) under ``settings``: its summary and ages tables (a backend's job)."""
    model = MigrationModel(scale=scale, rng=seed, start=START, end=END, **settings)
    while model.running:
        model.step()
    tables = model.tables()
    return {name: tables[name] for name in TABLES}


def targets_reached(summary: pd.DataFrame) -> np.ndarray:
    """The calibration targets as one backcast reached them in 2020, float[target] in the file's order."""
    last = summary.set_index("year").loc[END]
    return np.array([last[TARGET_COLUMNS[key]] for key in calibration_targets()], dtype=float)


def _reached(settings: Mapping[str, Any], scale: int, seed: int) -> np.ndarray:
    """:func:`targets_reached` of one backcast (only these numbers travel back from a worker)."""
    return targets_reached(run_backcast(settings, scale, seed)["summary"])


def measure(settings: Mapping[str, Any], scale: int, seeds: Sequence[int], n_jobs: int | None = None) -> np.ndarray:
    """The calibration targets reached, mean over backcasts with ``seeds``, on the backend in use."""
    reached = backends.in_use(n_jobs).map(_reached, [(dict(settings), scale, s) for s in seeds])
    return np.mean(reached, axis=0)


def backcasts(
    settings: Mapping[str, Any], scale: int, seeds: Sequence[int], n_jobs: int | None = None
) -> list[dict[str, pd.DataFrame]]:
    """Backcasts under ``settings`` for each seed (tables by name), on the backend in use."""
    return backends.in_use(n_jobs).map(run_backcast, [(dict(settings), scale, s) for s in seeds])

"""Fitting the model's free constants to what Haimen did before the plan.

Four constants have no source and are fitted, each to one observed quantity
(``environment/data/calibration_targets.toml``): the cross-city job constant to
Haimen residents working in Shanghai in 2020, and the Haimen and rural-part
constants and the household split rate to the 2010–2020 net migration,
urbanization gain and fall in household size, measured over the first two
simulated years of the baseline. The plan's targets play no part.
Runs use common seeds, so the fit is smooth in the constants.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import tomli_w

from abm.model import MigrationModel
from environment.inputs import CENSUS_YEAR, DATA_DIR, read_toml
from environment.settings import parameters
from experiments.output_folders import write_text_atomic
from experiments.runner import RunSpec, run_many

YEARS = 2  # simulated years over which the migration targets are measured


def calibration_targets() -> dict:
    """What the free constants are fitted to (``data/calibration_targets.toml``)."""
    return read_toml("calibration_targets.toml")


def _commuters(cross_city_job: float, scale: int, seeds: Sequence[int]) -> float:
    return float(
        np.mean(
            [
                MigrationModel(scale=scale, rng=s, cross_city_job=cross_city_job).summary["working_in_shanghai"]
                for s in seeds
            ]
        )
    )


FITTED_BY_RUNS = ("asc_haimen", "asc_rural", "household_split_rate")
FITTED_QUANTITIES = ("net_migration_rate", "urbanization_gain", "household_size_change")


def _measure(x: np.ndarray, fixed: dict, scale: int, seeds: Sequence[int], n_jobs: int) -> np.ndarray:
    """Mean net migration rate, urbanization gain and household-size change over the first years."""
    settings = fixed | dict(zip(FITTED_BY_RUNS, map(float, x), strict=True))
    results = run_many([RunSpec(settings, scale=scale, seed=s, end=CENSUS_YEAR + YEARS) for s in seeds], n_jobs=n_jobs)
    rates = []
    for tables in results:
        summary = tables["summary"]
        later = summary[summary.year > CENSUS_YEAR]
        net_rate = (later.net_migration / later.haimen_population).mean()
        gain = (summary.urbanization.iloc[-1] - summary.urbanization.iloc[0]) / YEARS
        size = (summary.average_household_size.iloc[-1] - summary.average_household_size.iloc[0]) / YEARS
        rates.append([net_rate, gain, size])
    return np.mean(rates, axis=0)


def calibrate(scale: int = 10, seeds: Sequence[int] = (1, 2, 3), n_jobs: int = -1, log=print) -> dict:
    """Fit the three constants and return the calibration record (not yet written)."""
    t = calibration_targets()
    # 1. cross-city job constant: bisection on 2020 commuters to Shanghai (rises with the constant)
    lo, hi = parameters()["cross_city_job"].low, parameters()["cross_city_job"].high
    goal = t["shanghai_commuters"]["value"]
    for _ in range(20):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if _commuters(mid, scale, seeds) < goal else (lo, mid)
    cross_city = round((lo + hi) / 2, 4)
    commuters = _commuters(cross_city, scale, seeds)
    log(f"cross_city_job = {cross_city}: {commuters:,.0f} working in Shanghai (target {goal:,})")
    # 2. Haimen and rural constants and the split rate: Newton steps with a finite-difference Jacobian
    goal2 = np.array([t[m]["value"] for m in FITTED_QUANTITIES])
    tolerance = np.array([0.0002, 0.0002, 0.001])
    fixed = {"cross_city_job": cross_city, "outside_pull_after_2020": 1.0}  # the 2010s' pull for the 2010s' rates
    x = np.array([0.0, 0.0, 0.05])
    lower = np.array([parameters()[k].low for k in FITTED_BY_RUNS])
    upper = np.array([parameters()[k].high for k in FITTED_BY_RUNS])
    f = _measure(x, fixed, scale, seeds, n_jobs)
    for step in range(8):
        log(
            f"step {step}: "
            + ", ".join(f"{k}={v:+.4f}" for k, v in zip(FITTED_BY_RUNS, x, strict=True))
            + " -> "
            + ", ".join(f"{m} {v:+.4f}" for m, v in zip(FITTED_QUANTITIES, f, strict=True))
        )
        if np.all(np.abs(f - goal2) < tolerance):
            break
        h = np.array([0.1, 0.1, 0.01])
        jac = np.column_stack(
            [(_measure(x + h[i] * e, fixed, scale, seeds, n_jobs) - f) / h[i] for i, e in enumerate(np.eye(3))]
        )
        x = np.clip(x - np.linalg.solve(jac, f - goal2), lower, upper)
        f = _measure(x, fixed, scale, seeds, n_jobs)
    achieved = {"shanghai_commuters": commuters} | {m: float(v) for m, v in zip(FITTED_QUANTITIES, f, strict=True)}
    fitted = {k: round(float(v), 4) for k, v in zip(FITTED_BY_RUNS, x, strict=True)} | {"cross_city_job": cross_city}
    return {
        "status": "fitted",
        "date": dt.date.today().isoformat(),
        "command": f"abm calibrate --scale {scale} --seeds {','.join(map(str, seeds))}",
        "scale": scale,
        "seeds": list(seeds),
        "fitted": fitted,
        "fit": {
            key: {
                "parameter": t[key]["parameter"],
                "target": t[key]["value"],
                "achieved": round(value, 6),
                "unit": t[key]["unit"],
                "relative_error": round(value / t[key]["value"] - 1, 4),
            }
            for key, value in achieved.items()
        },
    }


def write(record: dict) -> None:
    """Save a calibration record as ``environment/data/calibration.toml``."""
    header = "# Written by `abm calibrate`; do not edit by hand. What each constant was fitted to:\n"
    header += "# environment/data/calibration_targets.toml.\n"
    write_text_atomic(DATA_DIR / "calibration.toml", header + tomli_w.dumps(record))

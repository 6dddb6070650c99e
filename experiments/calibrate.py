"""Fitting the model's free constants to what Haimen did before the plan.

Four constants have no source and are fitted, each to one observed quantity
(``environment/data/calibration_targets.toml``): the cross-city job constant to
Haimen residents working in Shanghai in 2020, and the Haimen and rural-part
constants and the household split rate to the 2010–2020 net migration,
urbanization gain and fall in household size, measured over the first two
simulated years of the baseline. The plan's targets play no part.
Runs use common seeds, so the fit is smooth in the constants.

:func:`fitted_constants` refits them for any setting of the uncertain parameters
(cached on disk), so that a sweep over behavioural uncertainties can keep every
run on the calibration targets ("calibrate, then sweep": ``RunSpec.recalibrate``,
a sweep file's ``[recalibrate]`` table or ``abm sweep --recalibrate``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

import numpy as np
import tomli_w

from abm.model import MigrationModel
from environment.inputs import CENSUS_YEAR, DATA_DIR, read_toml
from environment.settings import parameters
from experiments import backends
from experiments.output_folders import RESULTS_DIR, write_text_atomic

CACHE_DIR = RESULTS_DIR / "calibration-cache"  # one JSON file per fitted setting of the uncertainties

YEARS = 2  # simulated years over which the migration targets are measured
NEWTON_STEPS = 12
MODEL_FOLDERS = ("agents", "abm", "environment")  # what a fit depends on (see model_digest)
CONTEXT = {"outside_pull_after_2020": 1.0}  # calibration measures the 2010s' rates, so with the 2010s' pull


def calibration_targets() -> dict:
    """What the free constants are fitted to (``data/calibration_targets.toml``)."""
    return read_toml("calibration_targets.toml")


def uncertainties(settings: Mapping[str, Any] | None) -> dict[str, Any]:
    """The settings a calibration depends on: uncertain parameters that are not themselves fitted.

    Levers, and the parameters of how the plan is carried out (group ``plan``: its delivery and what follows it),
    act from the plan's adoption and calibration reads the years before it, so they play no part.
    """
    fitted = {k for k, p in parameters().items() if p.calibrated or p.group == "plan"}
    return {k: v for k, v in (settings or {}).items() if k in parameters() and k not in fitted}


def _commuters(cross_city_job: float, scale: int, seeds: Sequence[int], fixed: Mapping[str, Any]) -> float:
    values = [
        MigrationModel(scale=scale, rng=s, cross_city_job=cross_city_job, **fixed).summary["working_in_shanghai"]
        for s in seeds
    ]
    return float(np.mean(values))


FITTED_BY_RUNS = ("asc_haimen", "asc_rural", "union_rate")
FITTED_QUANTITIES = ("net_migration_rate", "urbanization_gain", "household_size_change")


def _rates(settings: dict[str, Any], scale: int, seed: int) -> list[float]:
    """One run's net migration rate, urbanization gain and household-size change per year over the first years.

    A backend's job: only these three numbers travel back from a worker.
    """
    model = MigrationModel(scale=scale, end=CENSUS_YEAR + YEARS, rng=seed, **settings)
    while model.running:
        model.step()
    summary = model.tables()["summary"]
    later = summary[summary.year > CENSUS_YEAR]
    net_rate = (later.net_migration / later.haimen_population).mean()
    gain = (summary.urbanization.iloc[-1] - summary.urbanization.iloc[0]) / YEARS
    size = (summary.average_household_size.iloc[-1] - summary.average_household_size.iloc[0]) / YEARS
    return [net_rate, gain, size]


def _measure(x: np.ndarray, fixed: dict, scale: int, seeds: Sequence[int], n_jobs: int | None) -> np.ndarray:
    """Mean over ``seeds`` of :func:`_rates`, run on the backend in use (``backends.using``)."""
    settings = fixed | dict(zip(FITTED_BY_RUNS, map(float, x), strict=True))
    rates = backends.in_use(n_jobs).map(_rates, [(settings, scale, s) for s in seeds])
    return np.mean(rates, axis=0)


def calibrate(
    scale: int = 10,
    seeds: Sequence[int] = (1, 2, 3),
    n_jobs: int | None = None,
    log=print,
    settings: Mapping[str, Any] | None = None,
) -> dict:
    """Fit the four constants (under ``settings``' uncertain parameters) and return the calibration record.

    The runs go to the backend in use (``experiments.backends.using``; joblib on all cores by default), with
    ``n_jobs`` workers when given.
    """
    t = calibration_targets()
    given = uncertainties(settings)
    # 1. cross-city job constant: bisection on 2020 commuters to Shanghai (rises with the constant)
    lo, hi = parameters()["cross_city_job"].low, parameters()["cross_city_job"].high
    goal = t["shanghai_commuters"]["value"]
    for _ in range(20):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if _commuters(mid, scale, seeds, given) < goal else (lo, mid)
    cross_city = round((lo + hi) / 2, 4)
    commuters = _commuters(cross_city, scale, seeds, given)
    log(f"cross_city_job = {cross_city}: {commuters:,.0f} working in Shanghai (target {goal:,})")
    # 2. Haimen and rural constants and the split rate: Newton steps with a finite-difference Jacobian
    goal2 = np.array([t[m]["value"] for m in FITTED_QUANTITIES])
    tolerance = np.array([0.0002, 0.0002, 0.001])
    fixed = given | {"cross_city_job": cross_city} | CONTEXT
    x = np.array([parameters()[k].default for k in FITTED_BY_RUNS], dtype=float)  # start from the current fit
    lower = np.array([parameters()[k].low for k in FITTED_BY_RUNS])
    upper = np.array([parameters()[k].high for k in FITTED_BY_RUNS])
    f = _measure(x, fixed, scale, seeds, n_jobs)
    for step in range(NEWTON_STEPS):
        log(
            f"step {step}: "
            + ", ".join(f"{k}={v:+.4f}" for k, v in zip(FITTED_BY_RUNS, x, strict=True))
            + " -> "
            + ", ".join(f"{m} {v:+.4f}" for m, v in zip(FITTED_QUANTITIES, f, strict=True))
        )
        pinned = np.array([_at_bound(k, v) for k, v in zip(FITTED_BY_RUNS, x, strict=True)])
        if np.all((np.abs(f - goal2) < tolerance) | pinned):
            break
        h = np.array([0.1, 0.1, 0.05])
        h = np.where(x + h > upper, -h, h)  # probe inwards from an upper bound (beyond it is not a valid setting)
        jac = np.column_stack(
            [(_measure(x + h[i] * e, fixed, scale, seeds, n_jobs) - f) / h[i] for i, e in enumerate(np.eye(3))]
        )
        x, f = _newton_step(x, f, jac, goal2 / tolerance, tolerance, (lower, upper), fixed, scale, seeds, n_jobs)
    achieved = {"shanghai_commuters": commuters} | {m: float(v) for m, v in zip(FITTED_QUANTITIES, f, strict=True)}
    fitted = {k: round(float(v), 4) for k, v in zip(FITTED_BY_RUNS, x, strict=True)} | {"cross_city_job": cross_city}
    return {
        "status": "fitted",
        "date": dt.date.today().isoformat(),
        "command": f"abm calibrate --scale {scale} --seeds {','.join(map(str, seeds))}",
        "scale": scale,
        "seeds": list(seeds),
        "settings": given,
        "fitted": fitted,
        "fit": {
            key: {
                "parameter": t[key]["parameter"],
                "target": t[key]["value"],
                "achieved": round(value, 6),
                "unit": t[key]["unit"],
                "relative_error": round(value / t[key]["value"] - 1, 4),
                "at_bound": _at_bound(t[key]["parameter"], fitted[t[key]["parameter"]]),
            }
            for key, value in achieved.items()
        },
    }


def _newton_step(x, f, jac, goal, tolerance, bounds, fixed, scale, seeds, n_jobs) -> tuple[np.ndarray, np.ndarray]:
    """One damped Newton step on the residuals (in units of their tolerance) within the constants' ranges.

    Each constant is paired with its own target. A constant pinned at a bound that the step would push further out
    is held there and its target dropped (out of reach in the range: reported as ``at_bound``); the others are
    solved for. The step is halved while it does not reduce their residuals (lotteries make the fit noisy).
    """
    lower, upper = bounds
    scaled = jac / tolerance[:, None]
    residual = f / tolerance - goal
    free = np.ones(len(x), dtype=bool)
    for _ in range(len(x)):
        step = np.zeros(len(x))
        step[free] = np.linalg.lstsq(scaled[np.ix_(free, free)], residual[free], rcond=None)[0]
        pushed = ((x <= lower) & (step > 0)) | ((x >= upper) & (step < 0))
        if not (pushed & free).any():
            break
        free &= ~pushed
    for _ in range(4):
        candidate = np.clip(x - step, lower, upper)
        measured = _measure(candidate, fixed, scale, seeds, n_jobs)
        if np.linalg.norm((measured / tolerance - goal)[free]) < np.linalg.norm(residual[free]):
            return candidate, measured
        step = step / 2
    return candidate, measured


def _at_bound(key: str, value: float) -> bool:
    """Whether a fitted constant ended at an end of its declared range (its target then may be out of reach)."""
    p = parameters()[key]
    return bool(np.isclose(value, p.low) or np.isclose(value, p.high))


def write(record: dict) -> None:
    """Save a calibration record as ``environment/data/calibration.toml``."""
    header = "# Written by `abm calibrate`; do not edit by hand. What each constant was fitted to:\n"
    header += "# environment/data/calibration_targets.toml.\n"
    write_text_atomic(DATA_DIR / "calibration.toml", header + tomli_w.dumps(record))


@cache
def model_digest() -> str:
    """Hash of the model's code and inputs (every .py, .toml and .csv under agents/, abm/ and environment/).

    Unlike the commit, it tells two uncommitted versions apart, and works outside a git checkout.
    """
    from experiments.store import PROJECT_ROOT

    h = hashlib.sha256()
    for folder in MODEL_FOLDERS:
        for path in sorted((PROJECT_ROOT / folder).rglob("*")):
            if path.suffix in {".py", ".toml", ".csv"}:
                h.update(str(path.relative_to(PROJECT_ROOT)).encode())
                h.update(path.read_bytes())
    return h.hexdigest()[:16]


def fitted_constants(settings: Mapping[str, Any] | None, scale: int, seeds: Sequence[int]) -> dict[str, float]:
    """The fitted constants for ``settings``' uncertain parameters, refitted once and then read from the cache.

    The cache key is the uncertainties, scale, seeds, the calibration targets and :func:`model_digest`, so a sweep
    never refits the same point twice (and a changed model or target is refitted, committed or not).
    """
    given = uncertainties(settings)
    key = json.dumps(
        {
            "settings": given,
            "scale": scale,
            "seeds": list(seeds),
            "targets": calibration_targets(),
            "code": model_digest(),
        },
        sort_keys=True,
        default=str,
    )
    path = CACHE_DIR / f"{hashlib.sha256(key.encode()).hexdigest()[:20]}.json"
    if path.is_file():
        return json.loads(path.read_text(encoding="utf-8"))["fitted"]
    record = calibrate(scale=scale, seeds=seeds, n_jobs=1, log=lambda _: None, settings=given)
    write_text_atomic(path, json.dumps(record, indent=1, default=str))
    return record["fitted"]

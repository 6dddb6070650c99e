"""Fitting the model's free constants to the decade before the plan: the backcast from the 2010 census to 2020.

Four constants have no source and are fitted, each paired with one 2020 census figure that the backcast
(``experiments/backcast.py``: the model from Haimen's 2010 census to 2020) must reproduce
(``environment/data/calibration_targets.toml``): the Haimen constant with the resident population, the
rural-part constant with the urban share, the union rate with the family-household size, and the cross-city
job constant with the Haimen residents working in Shanghai (an assumption). They are solved for together
(Newton's method on the four targets in units of their tolerances, a finite-difference Jacobian updated by
Broyden's rule), the runs on common seeds so the fit is smooth in the constants. Every other figure of the
backcast's 2020 is out of sample; the plan's targets play no part.

:func:`fitted_constants` refits them for any setting of the uncertain parameters
(cached on disk), so that a sweep over behavioural uncertainties can keep every
run on the calibration targets ("calibrate, then sweep": ``RunSpec.recalibrate``,
a sweep file's ``[recalibrate]`` table or ``abm sweep --recalibrate``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any

import numpy as np
import tomli_w

from environment.inputs import DATA_DIR
from environment.settings import parameters
from experiments.backcast import calibration_targets, measure
from experiments.output_folders import RESULTS_DIR, write_text_atomic

CACHE_DIR = RESULTS_DIR / "calibration-cache"  # one JSON file per fitted setting of the uncertainties

NEWTON_STEPS = 12
REFERENCE = (10, 3)  # the scale and number of seeds the targets' tolerances are declared for
MODEL_FOLDERS = ("agents", "abm", "environment")  # what a fit depends on (see model_digest)
DECIMALS = 4  # the constants are written, and so tried, with this many decimals: what is measured is what runs use
TRUST = 3.0  # a Newton step moves no constant by more than this many probes
PROBE = {"asc_haimen": 0.1, "asc_rural": 0.1, "union_rate": 0.05, "cross_city_job": 0.1}  # finite differences, at
# REFERENCE: coarser fits probe further (times the square root of their noise factor), beyond the lotteries' jumps


def uncertainties(settings: Mapping[str, Any] | None) -> dict[str, Any]:
    """The settings a calibration depends on: uncertain parameters that are not themselves fitted.

    Levers, and the parameters of how the plan is carried out (group ``plan``: its delivery and what follows it),
    act from the plan's adoption (2022) and the backcast ends in 2020, so they play no part.
    """
    fitted = {k for k, p in parameters().items() if p.calibrated or p.group == "plan"}
    return {k: v for k, v in (settings or {}).items() if k in parameters() and k not in fitted}


def fitted_keys() -> tuple[str, ...]:
    """The fitted constants, in the order of their targets."""
    return tuple(t["parameter"] for t in calibration_targets().values())


class _Fit:
    """The targets reached at given constants (backcasts on the calibration's seeds), counted."""

    def __init__(self, given: dict[str, Any], scale: int, seeds: Sequence[int], n_jobs: int | None) -> None:
        self.given, self.scale, self.seeds, self.n_jobs = given, scale, tuple(seeds), n_jobs
        self.evaluations = 0

    def __call__(self, x: np.ndarray) -> np.ndarray:
        self.evaluations += 1
        settings = self.given | dict(zip(fitted_keys(), map(float, x), strict=True))
        return measure(settings, self.scale, self.seeds, self.n_jobs)


def calibrate(
    scale: int = 10,
    seeds: Sequence[int] = (1, 2, 3),
    n_jobs: int | None = None,
    log: Callable[[str], None] = print,
    settings: Mapping[str, Any] | None = None,
) -> dict:
    """Fit the four constants (under ``settings``' uncertain parameters) and return the calibration record.

    The backcasts go to the backend in use (``experiments.backends.using``; joblib on all cores by default), with
    ``n_jobs`` workers when given.
    """
    started = time.perf_counter()
    targets = calibration_targets()
    keys = fitted_keys()
    given = uncertainties(settings)
    goal = np.array([t["value"] for t in targets.values()])
    tolerance = tolerances(scale, seeds)
    lower = np.array([parameters()[k].low for k in keys])
    upper = np.array([parameters()[k].high for k in keys])
    fit = _Fit(given, scale, seeds, n_jobs)
    probe = np.array([PROBE[k] for k in keys]) * np.sqrt(max(_noise(scale, seeds), 1.0))
    x = np.round([parameters()[k].default for k in keys], DECIMALS)  # start from the current fit
    f = fit(x)
    best = x, f
    jac = None  # d(reached)/d(constant), in units of the tolerances
    for step in range(NEWTON_STEPS):
        log(_progress(step, keys, x, targets, f))
        residual = (f - goal) / tolerance
        if np.linalg.norm(residual) < np.linalg.norm((best[1] - goal) / tolerance):
            best = x, f
        if np.all(np.abs(residual) < 1):
            break
        if jac is None:
            jac = _jacobian(fit, x, f, tolerance, probe, upper)
        direction, free = _direction(x, residual, jac, (lower, upper), TRUST * probe)
        if not (free & (np.abs(residual) >= 1)).any():
            break  # what is still off has its constant pushed against a bound: out of reach in the range
        x_new, f_new = _line_search(fit, x, direction, residual, free, goal, tolerance, (lower, upper))
        moved, change = x_new - x, (f_new - f) / tolerance
        if np.linalg.norm(((f_new - goal) / tolerance)[free]) >= np.linalg.norm(residual[free]):
            jac = None  # no progress along this Jacobian: measure it afresh at the next point
        elif np.any(moved):  # Broyden's update: the Jacobian now maps this step onto the change it made
            jac = jac + np.outer(change - jac @ moved, moved) / (moved @ moved)
        x, f = x_new, f_new
    if np.linalg.norm((f - goal) / tolerance) < np.linalg.norm((best[1] - goal) / tolerance):
        best = x, f
    x, f = best  # the closest point tried (lotteries make the targets jump a little with the constants)
    fitted = {k: float(v) for k, v in zip(keys, x, strict=True)}
    return {
        "status": "fitted",
        "date": dt.date.today().isoformat(),
        "command": f"abm calibrate --scale {scale} --seeds {','.join(map(str, seeds))}",
        "scale": scale,
        "seeds": list(seeds),
        "measured_on": "the backcast: the model from the 2010 census to 2020 (abm backcast)",
        "backcasts": fit.evaluations * len(seeds),
        "seconds": round(time.perf_counter() - started, 1),
        "settings": given,
        "fitted": fitted,
        "fit": {
            key: {
                "parameter": t["parameter"],
                "target": round(t["value"], 6),
                "achieved": round(float(value), 6),
                "tolerance": round(float(tol), 6),
                "unit": t["unit"],
                "relative_error": round(float(value) / t["value"] - 1, 5),
                "within_tolerance": bool(abs(value - t["value"]) < tol),
                "at_bound": _at_bound(t["parameter"], fitted[t["parameter"]]),
            }
            for (key, t), value, tol in zip(targets.items(), f, tolerance, strict=True)
        },
    }


def _noise(scale: int, seeds: Sequence[int]) -> float:
    """How much larger sampling noise is at ``scale`` with ``seeds`` than at ``REFERENCE``: √(scale/10 · 3/seeds)."""
    reference_scale, reference_seeds = REFERENCE
    return float(np.sqrt(scale / reference_scale * reference_seeds / len(seeds)))


def tolerances(scale: int, seeds: Sequence[int]) -> np.ndarray:
    """Each target's tolerance for a fit at ``scale`` with ``seeds``, float[target]: the declared one (at
    ``REFERENCE``) times the noise factor, as sampling noise grows with fewer, heavier agents and fewer seeds."""
    return np.array([t["tolerance"] for t in calibration_targets().values()]) * _noise(scale, seeds)


def _progress(step: int, keys: Sequence[str], x: np.ndarray, targets: dict, f: np.ndarray) -> str:
    constants = ", ".join(f"{k}={v:+.4f}" for k, v in zip(keys, x, strict=True))
    reached = ", ".join(f"{k} {v:.6g} ({t['value']:.6g})" for (k, t), v in zip(targets.items(), f, strict=True))
    return f"step {step}: {constants} -> {reached}"


def _jacobian(fit: _Fit, x: np.ndarray, f: np.ndarray, tolerance: np.ndarray, probe: np.ndarray, upper: np.ndarray):
    """Forward differences of the targets reached (in units of their tolerances), one constant at a time by its
    ``probe``; a constant near its upper bound is probed inwards (beyond it is not a valid setting)."""
    h = np.where(x + probe > upper, -probe, probe)
    return np.column_stack([(fit(x + h[i] * e) - f) / tolerance / h[i] for i, e in enumerate(np.eye(len(x)))])


def _direction(x, residual, jac, bounds, limit) -> tuple[np.ndarray, np.ndarray]:
    """The Newton step on the residuals (in units of their tolerance; the constants move by ``-step``), each
    constant's move at most ``limit`` (a trust region: a Jacobian measured through sampling noise can be far
    off), and which constants are free.

    Each constant is paired with its own target. A constant at a bound that the step would push further out is
    held there and its target dropped (out of reach in the range: reported as ``at_bound``); the others are solved
    for.
    """
    lower, upper = bounds
    free = np.ones(len(x), dtype=bool)
    for _ in range(len(x)):
        step = np.zeros(len(x))
        step[free] = np.linalg.lstsq(jac[np.ix_(free, free)], residual[free], rcond=None)[0]
        pushed = ((x <= lower) & (step > 0)) | ((x >= upper) & (step < 0))
        if not (pushed & free).any():
            break
        free &= ~pushed
    return step * min(1.0, float(np.min(limit / np.maximum(np.abs(step), 1e-12)))), free


def _line_search(fit, x, step, residual, free, goal, tolerance, bounds) -> tuple[np.ndarray, np.ndarray]:
    """The step taken, halved while it does not reduce the free constants' residuals (at most three times): the
    new constants (on the written grid) and the targets reached there."""
    lower, upper = bounds
    for _ in range(4):
        candidate = np.round(np.clip(x - step, lower, upper), DECIMALS)
        measured = fit(candidate)
        if np.linalg.norm(((measured - goal) / tolerance)[free]) < np.linalg.norm(residual[free]):
            break
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

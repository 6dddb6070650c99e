"""What the page says about uncertainty: chance (the spread across seeds) and the assumptions' range.

Two precomputed files beside this module, both optional (the page says what it lacks):

- ``seed_spread.csv`` (``scripts/seed_spread.py``): for each scale, scenario and year, the
  standard deviation across seeds of each outcome, and of the paired difference between two
  scenarios (``reference``), with the time a model takes per simulated year;
- ``bands.csv`` (``scripts/bands.py``, from the headline sweeps): for each scenario and year,
  quantiles of each outcome across the uncertainty points (each point the mean of its replicates),
  and of the paired difference ``scenario − reference``.

A figure measured for exactly the page's setting is shown as it is. For another setting the
nearest measured one is used — the setting differing in the fewest levers and parameters
(:func:`nearest`), at most :data:`NEAREST_KEYS` of them — and the page names it; farther than that,
the page says "chance only". A difference's chance is taken from the measured pair of scenarios
that changes most of the same levers (:func:`nearest_change`): a change of industrial jobs gets the
spread of "plan minus plan without measure 2".
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from abm.web.runs import DEMO_SCALE, scenario_values
from environment.settings import levers, parameters

HERE = Path(__file__).parent
SPREAD_FILE = HERE / "seed_spread.csv"
BANDS_FILE = HERE / "bands.csv"
NEAREST_KEYS = 4  # a measured setting differing in more levers and parameters than this is not "nearest"

Key = tuple[tuple[str, Any], ...]  # a setting, hashable


@dataclass(frozen=True)
class Chance:
    """The s.d. across seeds of a figure (or of a difference), and the setting it was measured for."""

    sd: float
    seeds: int
    scenario: str  # the measured scenario ("" for an exact zero: the same setting on both sides)
    exact: bool  # measured for exactly this setting


@dataclass(frozen=True)
class Band:
    """The range of a figure across the assumptions (5 % to 95 % of the uncertainty points)."""

    low: float
    high: float
    points: int
    scale: int
    scenario: str
    exact: bool  # measured for exactly this setting (else: the nearest one's spread around this figure)


def _read(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


@cache
def spread_rows() -> dict[tuple[int, str, str], dict[tuple[str, int], tuple[float, int]]]:
    """{(scale, scenario, reference): {(outcome, year): (sd, seeds)}} from ``seed_spread.csv``."""
    out: dict = {}
    for r in _read(SPREAD_FILE):
        where = (int(r["scale"]), r["scenario"], r["reference"])
        out.setdefault(where, {})[r["outcome"], int(r["year"])] = (float(r["sd"]), int(r["seeds"]))
    return out


@cache
def band_rows() -> dict[tuple[str, str], dict[tuple[str, int], dict[str, float]]]:
    """{(scenario, reference): {(outcome, year): row}} from ``bands.csv``."""
    out: dict = {}
    for r in _read(BANDS_FILE):
        if not r.get("q50"):
            continue  # nothing measured for this outcome and year
        numbers = {k: float(v) for k, v in r.items() if k not in ("scenario", "reference", "outcome", "year")}
        out.setdefault((r["scenario"], r["reference"]), {})[r["outcome"], int(r["year"])] = numbers
    return out


@cache
def scale_choices() -> list[int]:
    """Scales offered on the page: those whose spread across seeds was measured for the plan (else the demo's)."""
    return sorted({scale for scale, scenario, reference in spread_rows() if scenario == "plan" and not reference}) or [
        DEMO_SCALE
    ]


def key(setting: dict[str, Any]) -> Key:
    """A setting as a hashable key."""
    return tuple(sorted(setting.items()))


def _apart(a: Any, b: Any, low: float | None, high: float | None) -> float:
    """How far apart two values of one setting are, as a share of its range (1 for never vs a year)."""
    if a == b:
        return 0.0
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (a, b, low, high))
    if not numbers or high <= low or not math.isfinite(high - low):
        return 1.0
    return min(1.0, abs(float(a) - float(b)) / (high - low))


def distance(a: Key, b: Key) -> tuple[int, float]:
    """How far apart two settings are: the number of levers and parameters that differ, then by how much."""
    registry = levers() | parameters()
    left, right = dict(a), dict(b)
    apart = [
        _apart(left.get(k), right.get(k), registry[k].low, registry[k].high)
        for k in left.keys() | right.keys()
        if left.get(k) != right.get(k)
    ]
    return len(apart), sum(apart)


@lru_cache(maxsize=256)
def nearest(setting: Key, candidates: tuple[str, ...]) -> tuple[str, int] | None:
    """The candidate scenario nearest to ``setting`` and how many settings differ, if within :data:`NEAREST_KEYS`."""
    if not candidates:
        return None
    ranked = sorted((distance(setting, key(scenario_values(c))), c) for c in candidates)
    (apart, _), best = ranked[0]
    return (best, apart) if apart <= NEAREST_KEYS else None


def chance(scale: int, setting: Key, outcome: str, year: int, reference: str | None = None) -> Chance | None:
    """The s.d. across seeds of ``outcome`` in ``year`` for ``setting`` (or of its difference from the scenario
    ``reference``), measured for that setting or the nearest measured one; None if none is near."""
    if reference is not None and distance(setting, key(scenario_values(reference)))[0] == 0:
        return Chance(0.0, 0, "", True)  # the same setting on both sides, on the same seed: exactly no difference
    table = spread_rows()
    if reference is None:
        measured = tuple(sorted(s for sc, s, r in table if sc == scale and not r))
        found = nearest(setting, measured)
        if found is None or (outcome, year) not in table[scale, found[0], ""]:
            return None
        sd, seeds = table[scale, found[0], ""][outcome, year]
        return Chance(sd, seeds, found[0], found[1] == 0)
    pairs = tuple(sorted((s, r) for sc, s, r in table if sc == scale and r))
    found = nearest_change(setting, key(scenario_values(reference)), pairs)
    if found is None or (outcome, year) not in table[(scale, *found[0])]:
        return None
    sd, seeds = table[(scale, *found[0])][outcome, year]
    return Chance(sd, seeds, found[0][0] if found[0][1] == reference else found[0][1], found[1])


def changed(a: Key, b: Key) -> frozenset[str]:
    """The levers and parameters two settings differ in."""
    left, right = dict(a), dict(b)
    return frozenset(k for k in left.keys() | right.keys() if left.get(k) != right.get(k))


Pair = tuple[str, str]


@lru_cache(maxsize=256)
def nearest_change(setting: Key, reference: Key, pairs: tuple[Pair, ...]) -> tuple[Pair, bool] | None:
    """The measured pair of scenarios whose difference is most like ``setting``'s from ``reference``: the one
    that changes most of the same levers and parameters (the largest share in common), and whether it is exactly
    this pair; None if no measured pair changes any of them."""
    mine = changed(setting, reference)
    best, score = None, 0.0
    for pair in pairs:
        a, b = (key(scenario_values(name)) for name in pair)
        theirs = changed(a, b)
        common = len(mine & theirs) / len(mine | theirs) if mine | theirs else 0.0
        exact = {a, b} == {setting, reference}
        if exact:
            return pair, True
        if common > score:
            best, score = pair, common
    return (best, False) if best is not None else None


def band(setting: Key, outcome: str, year: int, value: float, reference: str = "") -> Band | None:
    """The range across the assumptions of ``outcome`` in ``year`` (of the difference from ``reference`` if given).

    For exactly a measured setting, its 5–95 % range; for a near one, that range's spread around its median
    added to ``value`` (the page's own figure); None if nothing near was measured for this year.
    """
    table = band_rows()
    measured = tuple(sorted(s for s, r in table if r == reference))
    found = nearest(setting, measured)
    if found is None or (outcome, year) not in table[found[0], reference]:
        return None
    if reference and distance(setting, key(scenario_values(found[0])))[0] != 0:
        return None  # a difference's range is shown for exactly the measured pair only
    row = table[found[0], reference][outcome, year]
    exact = found[1] == 0
    low, high = (
        (row["q05"], row["q95"]) if exact else (value + row["q05"] - row["q50"], value + row["q95"] - row["q50"])
    )
    return Band(low, high, int(row["points"]), int(row["scale"]), found[0], exact)


def band_series(setting: Key, outcome: str) -> dict[int, tuple[float, float]]:
    """The 5–95 % range by year of an exactly measured setting ({} if this setting was not measured)."""
    table = band_rows()
    found = nearest(setting, tuple(sorted(s for s, r in table if not r)))
    if found is None or found[1] != 0:
        return {}
    rows = table[found[0], ""]
    return {year: (row["q05"], row["q95"]) for (o, year), row in sorted(rows.items()) if o == outcome}

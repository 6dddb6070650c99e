"""The plan's targets, declared once in ``data/targets.toml``."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from environment.inputs import read_toml


@dataclass(frozen=True)
class Target:
    """One target of the plan: a value to reach by a year (or in the long run)."""

    key: str
    value: float
    unit: str
    places: str  # "haimen" or a zone key
    name_zh: str
    name_en: str
    basis: str
    year: int | None = None

    @property
    def is_growth(self) -> bool:
        """True for targets stated as people added since the base year."""
        return self.unit.startswith("persons added")


@dataclass(frozen=True)
class MeasureTarget:
    """A measure group's yearly attraction target (section 二 of the plan)."""

    measure: int
    people_per_year: int
    name_zh: str
    name_en: str
    counts: str
    column: str  # summary figure the delivery is counted in


@cache
def _raw() -> dict:
    return read_toml("targets.toml")


PLAN_ADOPTED: int = _raw()["adopted_year"]


@cache
def targets() -> dict[str, Target]:
    """Population, zone, urbanization and long-run targets."""
    out = {}
    for key, d in _raw().items():
        if isinstance(d, dict) and key != "measures":
            out[key] = Target(key=key, **d)
    return out


@cache
def measure_targets() -> dict[int, MeasureTarget]:
    """The ten measure groups' yearly targets."""
    return {int(k): MeasureTarget(measure=int(k), **d) for k, d in _raw()["measures"].items()}

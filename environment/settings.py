"""The registries of policy levers and uncertain parameters, and their validation.

A lever (what the plan chooses) and a parameter (what we do not know) are each
declared once, in ``data/levers.toml`` and ``data/parameters.toml``. Scenario
files, the command line, the web page, sweeps and the docs all read these
declarations; :func:`resolve` turns user overrides into checked values.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from environment.inputs import read_toml

KINDS = {"bool": bool, "int": int, "float": float, "year": int}


class SettingError(ValueError):
    """A lever or parameter given a value it cannot take."""

    def __init__(self, key: str, value: Any, allowed: str, where: str = "") -> None:
        self.key, self.value, self.allowed, self.where = key, value, allowed, where
        prefix = f"{where}: " if where else ""
        super().__init__(f"{prefix}{key} = {value!r}: {allowed}")


@dataclass(frozen=True)
class Setting:
    """Something a run can set: a key, its kind, its allowed range and its meaning."""

    key: str
    kind: str
    unit: str
    name_en: str
    name_zh: str
    low: float | None = None
    high: float | None = None

    def check(self, value: Any, where: str = "") -> bool | int | float:
        """Return ``value`` converted to this setting's kind, or raise SettingError."""
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise SettingError(self.key, value, "must be true or false", where)
            return value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SettingError(self.key, value, f"must be a number ({self.allowed()})", where)
        if self.kind in ("int", "year"):
            if float(value) != int(value):
                raise SettingError(self.key, value, f"must be a whole number ({self.allowed()})", where)
            value = int(value)
        else:
            value = float(value)
        if (self.low is not None and value < self.low) or (self.high is not None and value > self.high):
            raise SettingError(self.key, value, f"out of range: {self.allowed()}", where)
        return value

    def allowed(self) -> str:
        """Human-readable allowed values."""
        if self.kind == "bool":
            return "true or false"
        unit = f" {self.unit}" if self.unit else ""
        return f"{self.kind} from {_fmt(self.low)} to {_fmt(self.high)}{unit}"


@dataclass(frozen=True)
class Lever(Setting):
    """A plan measure as a policy lever (EMA Workbench's 'lever')."""

    measure: int = 0
    items: tuple[int, ...] = ()
    baseline: Any = None
    plan: Any = None
    plan_basis: str = ""
    description_en: str = ""
    description_zh: str = ""
    modelled: bool = True
    reason: str = ""


@dataclass(frozen=True)
class Parameter(Setting):
    """An uncertain input with a plausible range (EMA Workbench's 'uncertainty')."""

    group: str = ""
    default: Any = None
    basis: str = ""
    calibrated: bool = False


def _fmt(x: float | None) -> str:
    return "-inf" if x is None else f"{x:g}"


@cache
def levers() -> dict[str, Lever]:
    """All levers, in declaration order (grouped by measure)."""
    out = {}
    for key, d in read_toml("levers.toml").items():
        out[key] = Lever(
            key=key,
            kind=d["type"],
            unit=d.get("unit", ""),
            name_en=d["name_en"],
            name_zh=d["name_zh"],
            low=d.get("min"),
            high=d.get("max"),
            measure=d["measure"],
            items=tuple(d["items"]),
            baseline=d["baseline"],
            plan=d["plan"],
            plan_basis=d["plan_basis"],
            description_en=d["description_en"],
            description_zh=d["description_zh"],
            modelled=d.get("modelled", True),
            reason=d.get("reason", ""),
        )
    return out


@cache
def calibration() -> dict:
    """The fitted constants and what they were fitted to (``data/calibration.toml``)."""
    return read_toml("calibration.toml")


@cache
def parameters() -> dict[str, Parameter]:
    """All uncertain parameters; calibrated ones take their fitted value as default."""
    fitted = calibration()["fitted"]
    out = {}
    for key, d in read_toml("parameters.toml").items():
        value = fitted[key] if d.get("calibrated") else d["value"]
        kind = "bool" if isinstance(value, bool) else "int" if isinstance(value, int) else "float"
        out[key] = Parameter(
            key=key,
            kind=kind,
            unit=d["unit"],
            name_en=d["name_en"],
            name_zh=d["name_zh"],
            low=d["low"],
            high=d["high"],
            group=d["group"],
            default=value,
            basis=d["basis"],
            calibrated=d.get("calibrated", False),
        )
    return out


def lookup(key: str, where: str = "") -> Setting:
    """The lever or parameter called ``key``; unknown keys get a 'did you mean'."""
    found = levers().get(key) or parameters().get(key)
    if found is None:
        known = [*levers(), *parameters()]
        close = difflib.get_close_matches(key, known, n=1)
        hint = f"did you mean {close[0]!r}?" if close else "see `abm levers` and `abm parameters`"
        raise SettingError(key, "", f"unknown lever or parameter; {hint}", where)
    return found


class Settings(Mapping[str, Any]):
    """Checked values of every lever and parameter for one run (a read-only mapping, also read as attributes)."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = dict(values)

    def __getattr__(self, key: str) -> Any:
        if key.startswith("_"):
            raise AttributeError(key)
        try:
            return self._values[key]
        except KeyError:
            raise AttributeError(key) from None

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __getstate__(self) -> dict[str, Any]:
        return self._values

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._values = state

    def changed(self) -> dict[str, Any]:
        """Levers that differ from baseline and parameters that differ from their default."""
        return {k: v for k, v in self._values.items() if v != default_value(k)}


def default_value(key: str, policy: str = "baseline") -> Any:
    """A lever's baseline (or plan) value, or a parameter's default."""
    if key in levers():
        return getattr(levers()[key], policy)
    return parameters()[key].default


def resolve(overrides: Mapping[str, Any] | None = None, policy: str = "baseline", where: str = "") -> Settings:
    """Baseline (or plan) settings with ``overrides`` checked against the registries."""
    values = {k: getattr(lv, policy) for k, lv in levers().items()}
    values |= {k: p.default for k, p in parameters().items()}
    for key, value in (overrides or {}).items():
        values[key] = lookup(key, where).check(value, where)
    return Settings(values)

"""The registries of policy levers, uncertain parameters and run options, and their validation.

A lever (what the plan chooses) and a parameter (what we do not know) are each
declared once, in ``data/levers.toml`` and ``data/parameters.toml``; the run
options (scale, seed, last year) in ``data/run_options.toml``. Scenario files,
the command line, the web page, sweeps and the docs all read these declarations;
:meth:`Setting.check` is the one place a value is checked and converted (numpy
scalars included), and :func:`resolve` turns user overrides into checked values.
"""

from __future__ import annotations

import difflib
import math
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from environment.inputs import read_toml

KINDS = ("bool", "int", "float", "year")
NEVER = "never"  # the value of a project lever that does not open within the run
SHOWN_CHARACTERS = 80  # longest value echoed back in an error message


class InputError(ValueError):
    """A mistake in what the user gave (a file, an argument, a value): reported in one line, exit status 2."""


class SettingError(InputError):
    """A lever, parameter or run option given a value it cannot take."""

    def __init__(self, key: str, value: Any, allowed: str, where: str = "") -> None:
        self.key, self.value, self.allowed, self.where = key, value, allowed, where
        prefix = f"{where}: " if where else ""
        super().__init__(f"{prefix}{key} = {shown(value)}: {allowed}")


class FileError(InputError):
    """An input file (scenario, sweep) that cannot be used: which file, which key, which value, what is allowed."""

    def __init__(self, where: str, key: str, value: Any, allowed: str) -> None:
        self.where, self.key, self.value, self.allowed = where, key, value, allowed
        value_text = "" if value is None else f" = {shown(value)}"
        super().__init__(f"{where}: {key}{value_text}: {allowed}")


class SettingTypeError(SettingError, TypeError):
    """A setting given a value of the wrong type (also a TypeError)."""


def shown(value: Any) -> str:
    """``repr(value)`` cut to a readable length."""
    text = repr(value)
    return text if len(text) <= SHOWN_CHARACTERS else text[: SHOWN_CHARACTERS - 1] + "…"


def plain(value: Any) -> Any:
    """numpy scalars and 0-d arrays as the Python bool, int or float they hold; other values unchanged."""
    if getattr(value, "shape", None) == () and hasattr(value, "item"):
        return value.item()
    return value


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
    never: bool = False  # a year that may also be "never"

    def check(self, value: Any, where: str = "") -> bool | int | float | None:
        """Return ``value`` converted to this setting's kind (``None`` for "never"), or raise SettingError."""
        value = plain(value)
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise SettingTypeError(self.key, value, "must be true or false", where)
            return value
        if self.never and (value is None or value == NEVER):
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SettingTypeError(self.key, value, f"must be a number ({self.allowed()})", where)
        if isinstance(value, float) and not math.isfinite(value):
            raise SettingError(self.key, value, f"must be a finite number ({self.allowed()})", where)
        if (self.low is not None and value < self.low) or (self.high is not None and value > self.high):
            raise SettingError(self.key, value, f"out of range: {self.allowed()}", where)
        if self.kind in ("int", "year"):
            if value != int(value):
                raise SettingError(self.key, value, f"must be a whole number ({self.allowed()})", where)
            return int(value)
        return float(value)

    def allowed(self) -> str:
        """Human-readable allowed values."""
        if self.kind == "bool":
            return "true or false"
        unit = f" {self.unit}" if self.unit and self.unit != self.kind else ""
        never = f', or "{NEVER}"' if self.never else ""
        return f"{self.kind} from {_fmt(self.low)} to {_fmt(self.high)}{unit}{never}"


@dataclass(frozen=True)
class Lever(Setting):
    """A plan measure as a policy lever (EMA Workbench's 'lever'), with the terms the model reads."""

    measure: int = 0
    items: tuple[int, ...] = ()
    baseline: Any = None
    plan: Any = None
    plan_basis: str = ""
    description_en: str = ""
    description_zh: str = ""
    modelled: bool = True
    reason: str = ""
    effect: str = ""  # what the lever adds to: "jobs", "amenity", "school_quality", "youth_amenity" (else read by key)
    project: str = ""  # the transport project whose opening year (or switch) this lever sets
    full_year: int | None = None  # an index lever is phased in linearly from adoption and complete in this year
    duration_years: int | None = None  # a temporary payment lasts this long
    age_limit: int | None = None  # the lever reaches people under this age
    phase_in_years: int | None = None  # what opens arrives in equal parts over these years
    course_years: int | None = None  # students stay this long


@dataclass(frozen=True)
class Parameter(Setting):
    """An uncertain input with a plausible range (EMA Workbench's 'uncertainty')."""

    group: str = ""
    default: Any = None
    basis: str = ""
    calibrated: bool = False


def _fmt(x: float | None) -> str:
    return "-inf" if x is None else f"{x:g}"


def _check_value(setting: Setting, value: Any, file: str) -> Any:
    """A declared value (baseline, plan, default) checked against its own declaration."""
    return setting.check(value, where=f"environment/data/{file}")


@cache
def levers() -> dict[str, Lever]:
    """All levers, in declaration order (grouped by measure)."""
    out = {}
    terms = ("effect", "project", "full_year", "duration_years", "age_limit", "phase_in_years", "course_years")
    for key, d in read_toml("levers.toml").items():
        lever = Lever(
            key=key,
            kind=d["type"],
            unit=d.get("unit", ""),
            name_en=d["name_en"],
            name_zh=d["name_zh"],
            low=d.get("min"),
            high=d.get("max"),
            never=d.get("never", False),
            measure=d["measure"],
            items=tuple(d["items"]),
            plan_basis=d["plan_basis"],
            description_en=d["description_en"],
            description_zh=d["description_zh"],
            modelled=d.get("modelled", True),
            reason=d.get("reason", ""),
            **{t: d[t] for t in terms if t in d},
        )
        baseline, plan = (_check_value(lever, d[v], "levers.toml") for v in ("baseline", "plan"))
        out[key] = Lever(**{**lever.__dict__, "baseline": baseline, "plan": plan})
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
            kind=d.get("type", kind),
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


@cache
def run_options() -> dict[str, Setting]:
    """How a run is set up: ``scale`` (people per agent), ``seed`` and ``end`` (last year), with defaults."""
    return {
        key: Setting(
            key=key,
            kind=d["type"],
            unit=d["unit"],
            name_en=d["name_en"],
            name_zh=d["name_zh"],
            low=d["min"],
            high=d["max"],
        )
        for key, d in read_toml("run_options.toml").items()
    }


def run_default(key: str) -> int:
    """The default of a run option."""
    return read_toml("run_options.toml")[key]["default"]


def _folded(name: str) -> str:
    """``name`` as names are compared: full-width forms as ASCII (NFKC), one space between words, case folded."""
    return " ".join(unicodedata.normalize("NFKC", name).split()).casefold()


@cache
def _names() -> dict[str, str]:
    """Every lever's and parameter's key, Chinese name and English name (folded) -> its key."""
    out = {}
    for key, setting in [*levers().items(), *parameters().items()]:
        out |= {_folded(setting.name_zh): key, _folded(setting.name_en): key}
    return out | {key: key for key in [*levers(), *parameters()]}


def setting_key(name: str) -> str | None:
    """The key of the lever or parameter called ``name``: its key or, exactly, its Chinese or English name (as
    ``abm levers`` and ``abm parameters`` show them; full- or half-width brackets, spacing and case aside); None when
    there is none. Files and results always record the key."""
    if name in levers() or name in parameters():
        return name
    return _names().get(_folded(name)) if isinstance(name, str) else None


def suggestion(name: str) -> str:
    """``did you mean 'key' (中文名 / English name)?`` for the lever or parameter closest to ``name`` (by key or by
    name; characters found in order in exactly one name count, e.g. 高铁开通), or ``""``."""
    folded, names = _folded(name), _names()
    close = difflib.get_close_matches(folded, list(names), n=1, cutoff=0.6)
    containing = {key for text, key in names.items() if len(folded) >= 2 and _in_order(folded, text)}
    key = names[close[0]] if close else containing.pop() if len(containing) == 1 else None
    if key is None:
        return ""
    setting = levers().get(key) or parameters()[key]
    return f"did you mean {key!r} ({setting.name_zh} / {setting.name_en})?"


def _in_order(part: str, text: str) -> bool:
    """Whether the characters of ``part`` appear in ``text`` in the same order."""
    rest = iter(text)
    return all(ch in rest for ch in part)


def lookup(key: str, where: str = "") -> Setting:
    """The lever or parameter called ``key`` (its key or its name, see :func:`setting_key`); unknown names get a
    'did you mean' with the key and both names."""
    found = setting_key(key)
    if found is None:
        hint = suggestion(key) or "see `abm levers` and `abm parameters`"
        raise SettingError(key, "", f"unknown lever or parameter; {hint}", where)
    return levers().get(found) or parameters()[found]


def check_setting(key: str, value: Any, where: str = "") -> Any:
    """``value`` checked for the lever or parameter ``key``; a lever that is not modelled takes only its baseline."""
    setting = lookup(key, where)
    value = setting.check(value, where)
    if isinstance(setting, Lever) and not setting.modelled and value != setting.baseline:
        raise SettingError(
            key, value, f"not modelled ({setting.reason}); only its baseline {setting.baseline!r}", where
        )
    return value


def plan_value(key: str) -> Any:
    """The value lever ``key`` takes in the plan as the model runs it: its plan value, or its baseline when the lever
    is not modelled (what the plan intends is then ``levers()[key].plan``, which the model refuses)."""
    lever = levers()[key]
    return lever.plan if lever.modelled else lever.baseline


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
        return plan_value(key) if policy == "plan" else levers()[key].baseline
    return parameters()[key].default


def resolve(overrides: Mapping[str, Any] | None = None, policy: str = "baseline", where: str = "") -> Settings:
    """Baseline (or plan) settings with ``overrides`` checked against the registries."""
    values = {k: default_value(k, policy) for k in levers()}
    values |= {k: p.default for k, p in parameters().items()}
    for key, value in (overrides or {}).items():
        values[lookup(key, where).key] = check_setting(key, value, where)  # by key, also when given by name
    return Settings(values)

"""Sweep files: a base scenario, the levers and parameters to vary, a design, replicates, years and scale.

A sweep file (TOML) names only what it varies; everything else comes from its
base scenario and the registries::

    name = "uncertainty_lhs"
    description = "The plan under uncertain behaviour"
    base = "plan"                 # a scenario name or file (see `abm scenarios`)
    seed = 2022                   # the sweep's seed: every run's seed derives from it
    replicates = 2                # runs per design point (paired: replicate k has the same seed everywhere)
    include = ["choice"]          # optional: every uncalibrated parameter of these groups ("parameters",
                                  # "levers" or a parameter group) at its declared range

    [run]
    scale = 100                   # people per agent
    years = "2020:2030"

    [design]
    kind = "lhs"                  # grid | lhs | morris | sobol
    samples = 40                  # lhs: points; morris: trajectories; sobol: base samples (a power of 2)
    levels = 4                    # grid: points per numeric factor; morris: grid levels

    [vary]
    beta_access = {}                          # its declared range
    hsr_year = { low = 2027, high = 2032 }    # a narrower range (whole numbers: truncated samples)
    bus_integration = {}                             # booleans: false or true
    after_plan = {}                                  # a choice: each of its names (stop, continue, phase_out)
    rent_subsidy = { values = [0, 500, 1000] }  # a categorical choice among values

Whole-number settings are sampled over [low, high + 1) and truncated (each whole
number an equal share), booleans and categorical choices are drawn as equal shares,
and calibrated constants are varied only when named. Every problem raises :class:`SweepError` (file, key, value, what is
allowed) when the file is loaded, before any run starts.
"""

from __future__ import annotations

import dataclasses
import difflib
import itertools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from environment import scenario as sc
from environment.settings import (
    FileError,
    Lever,
    Parameter,
    Setting,
    SettingError,
    levers,
    parameters,
    plain,
    setting_key,
    suggestion,
)
from experiments.runner import RunSpec

SWEEP_DIR = Path(__file__).parent / "sweeps"
TOP_KEYS = {
    "name",
    "description",
    "base",
    "seed",
    "replicates",
    "paired",
    "include",
    "run",
    "design",
    "vary",
    "recalibrate",
}
RECALIBRATE_DEFAULT = (20, (1, 2))  # (scale, seeds) of each run's refit when `recalibrate = true`
DESIGNS = ("grid", "lhs", "morris", "sobol")
DESIGN_KEYS = {"kind", "samples", "levels", "seed"}
VARY_KEYS = {"low", "high", "values"}
MAX_RUNS = 200_000
MAX_REPLICATES = 1000


class SweepError(FileError):
    """A sweep file that cannot be run: which file, which key, which value, what is allowed."""


@dataclass(frozen=True)
class Factor:
    """One varied setting: a numeric range, or a list of values chosen among (booleans, categorical)."""

    key: str
    kind: str  # float | int | bool | categorical
    low: float = 0.0
    high: float = 1.0
    values: tuple = ()

    def bounds(self) -> list[float]:
        """The range SALib samples in: the setting's own for floats; [low, high+1) for whole numbers
        (floored); [0, n) for choices among n values."""
        if self.kind == "float":
            return [float(self.low), float(self.high)]
        if self.kind == "int":
            return [float(self.low), float(self.high) + 1.0]
        return [0.0, float(len(self.values))]

    def value(self, raw: float) -> Any:
        """The setting's value for a sample ``raw`` drawn within :meth:`bounds`."""
        if self.kind == "float":
            return float(raw)
        if self.kind == "int":
            return int(min(math.floor(raw), self.high))
        return self.values[min(math.floor(raw), len(self.values) - 1)]

    def levels(self, n: int) -> list[Any]:
        """Grid values: ``n`` evenly spaced numbers (distinct whole numbers for ints), or every choice."""
        if self.kind == "float":
            return [float(x) for x in np.linspace(self.low, self.high, n)]
        if self.kind == "int":
            return sorted({round(x) for x in np.linspace(self.low, self.high, n)})
        return list(self.values)


@dataclass(frozen=True)
class SweepRun:
    """One run of a sweep: its identity, the varied values, its seed and the full spec."""

    run_id: str
    point: int
    replicate: int
    values: dict[str, Any]
    seed: int
    spec: RunSpec


@dataclass(frozen=True)
class Sweep:
    """A checked sweep file."""

    name: str
    base: sc.Scenario
    factors: tuple[Factor, ...]
    design: str
    samples: int
    levels: int
    seed: int
    design_seed: int
    replicates: int
    paired: bool
    scale: int
    end: int
    description: str = ""
    source: str = ""
    raw: dict = field(default_factory=dict, compare=False)
    recalibrate: tuple[int, tuple[int, ...]] | None = None  # refit the free constants for every run (scale, seeds)

    def problem(self) -> dict:
        """The SALib problem: names and bounds of the factors."""
        return {
            "num_vars": len(self.factors),
            "names": [f.key for f in self.factors],
            "bounds": [f.bounds() for f in self.factors],
        }

    def sample(self) -> np.ndarray:
        """The design's raw sample, one row per design point, within each factor's bounds."""
        problem = self.problem()
        if self.design == "grid":
            grid = list(itertools.product(*[f.levels(self.levels) for f in self.factors]))
            return np.array([[_raw(f, v) for f, v in zip(self.factors, row, strict=True)] for row in grid], float)
        if self.design == "lhs":
            from SALib.sample import latin

            return latin.sample(problem, self.samples, seed=self.design_seed)
        if self.design == "morris":
            from SALib.sample import morris

            return morris.sample(problem, self.samples, num_levels=self.levels, seed=self.design_seed)
        from SALib.sample import sobol

        return sobol.sample(problem, self.samples, calc_second_order=False, seed=self.design_seed)

    def points(self) -> pd.DataFrame:
        """Design points: ``point`` and each factor's value (plain Python values, checked)."""
        raw = self.sample()
        rows = []
        for i, row in enumerate(raw):
            values = {f.key: f.value(x) for f, x in zip(self.factors, row, strict=True)}
            rows.append({"point": i, **values})
        return pd.DataFrame(rows, columns=["point", *[f.key for f in self.factors]])

    def runs(self) -> list[SweepRun]:
        """Every run: each design point × replicate, with its settings and derived seed."""
        out = []
        points = self.points()
        for row in points.to_dict("records"):
            point = int(row.pop("point"))
            # a choice of "never" (None) comes back from the points' table as NaN: it is None again here
            values = {k: None if isinstance(v, float) and math.isnan(v) else plain(v) for k, v in row.items()}
            settings = {**self.base.settings, **values}
            for rep in range(self.replicates):
                seed = derive_seed(self.seed, rep, point=None if self.paired else point)
                spec = RunSpec(
                    settings, scale=self.scale, seed=seed, end=self.end, label=self.name, recalibrate=self.recalibrate
                )
                out.append(SweepRun(run_id(point, rep), point, rep, values, seed, spec))
        return out


def _recalibrate(value: Any, factors: tuple[Factor, ...], where: str) -> tuple[int, tuple[int, ...]] | None:
    """``recalibrate = true`` or ``{ scale = K, seeds = [..] }``: refit the free constants for every run."""
    if value is False:
        return None
    allowed = "true, false or a table { scale = 20, seeds = [1, 2] } (the refit's scale and seeds)"
    if value is True:
        chosen = RECALIBRATE_DEFAULT
    elif isinstance(value, dict) and set(value) <= {"scale", "seeds"}:
        seeds = value.get("seeds", list(RECALIBRATE_DEFAULT[1]))
        if not isinstance(seeds, list) or not seeds:
            raise SweepError(where, "recalibrate.seeds", seeds, "a list of seeds, e.g. [1, 2]")
        try:
            scale = sc.check_scale(value.get("scale", RECALIBRATE_DEFAULT[0]), where, "recalibrate.scale")
            chosen = (scale, tuple(sc.check_seed(s, where, "recalibrate.seeds") for s in seeds))
        except sc.ScenarioError as e:
            raise SweepError(e.where, e.key, e.value, e.allowed) from None
    else:
        raise SweepError(where, "recalibrate", value, allowed)
    fitted = [f.key for f in factors if f.key in parameters() and parameters()[f.key].calibrated]
    if fitted:
        raise SweepError(
            where, f"vary.{fitted[0]}", None, "a fitted constant cannot be varied when runs are recalibrated"
        )
    return chosen


def run_id(point: int, replicate: int) -> str:
    """The stable identity of a run within its sweep."""
    return f"p{point:05d}-r{replicate:03d}"


def derive_seed(sweep_seed: int, replicate: int, point: int | None = None) -> int:
    """A run's seed from the sweep's seed and the run's identity (numpy ``SeedSequence``).

    Paired sweeps (``point=None``) give replicate k the same seed at every design point, so differences
    between points are the settings', not the dice's. The seed depends on nothing else: not on the order,
    the worker or the backend.
    """
    key = (replicate,) if point is None else (point, replicate)
    return int(np.random.SeedSequence(sweep_seed, spawn_key=key).generate_state(1, np.uint32)[0] >> 1)


def _raw(factor: Factor, value: Any) -> float:
    """The raw sample that maps to a grid value (its index for choices)."""
    return float(value) if factor.kind in ("float", "int") else float(factor.values.index(value))


# ------------------------------------------------------------------ loading and checking


def find(name_or_path: str | Path) -> Path:
    """A sweep file by path, or by name in ``experiments/sweeps``."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    candidate = SWEEP_DIR / f"{name_or_path}.toml"
    if path.suffix != ".toml" and candidate.is_file():
        return candidate
    known = sorted(p.stem for p in SWEEP_DIR.glob("*.toml"))
    raise SweepError(str(name_or_path), "file", None, f"no such sweep file (named sweeps: {', '.join(known)})")


def load(name_or_path: str | Path, recalibrate: bool = False, run: dict[str, Any] | None = None) -> Sweep:
    """Read and check a sweep file: raises :class:`SweepError` on the first problem.

    ``recalibrate`` asks for every run's free constants to be refitted (as ``recalibrate = true`` in the file);
    ``run`` overrides the file's ``[run]`` keys (``scale``, ``years``), checked the same way. Overrides are part
    of the sweep (its identity, every run's configuration and the ``sweep.toml`` it writes).
    """
    path = find(name_or_path)
    try:
        raw = sc.read_file(path)
    except sc.ScenarioError as e:
        raise SweepError(e.where, e.key, e.value, e.allowed) from None
    if recalibrate and not raw.get("recalibrate"):
        raw = raw | {"recalibrate": True}
    if run and isinstance(raw.get("run", {}), dict):
        raw = raw | {"run": raw.get("run", {}) | run}
    sweep = parse(raw, str(path), default_name=path.stem)
    return dataclasses.replace(sweep, source=str(path.resolve()))  # one source however the file is named


def parse(raw: dict, where: str, default_name: str = "sweep") -> Sweep:
    """Check a sweep's contents (as read from TOML) and resolve it."""
    for key in raw:
        if key not in TOP_KEYS:
            raise SweepError(where, key, raw[key], _unknown(key, TOP_KEYS))
    name = raw.get("name", default_name)
    if not isinstance(name, str) or not sc.NAME.fullmatch(name):
        raise SweepError(where, "name", name, "letters, digits, '_' and '-' only (it names the results folder)")
    description = raw.get("description", "")
    if not isinstance(description, str):
        raise SweepError(where, "description", description, "must be a string")
    base = _base(raw.get("base", "baseline"), where)
    seed = _whole(raw, "seed", where, 1, 0, 2**63 - 1)
    replicates = _whole(raw, "replicates", where, 1, 1, MAX_REPLICATES)
    paired = raw.get("paired", True)
    if not isinstance(paired, bool):
        raise SweepError(where, "paired", paired, "true (replicate k has the same seed at every point) or false")
    run = _table(raw, "run", where)
    for key in run:
        if key not in sc.RUN_KEYS - {"seed"}:
            raise SweepError(where, f"run.{key}", run[key], _unknown(key, sc.RUN_KEYS - {"seed"}) + " (seeds: `seed`)")
    try:
        scale = sc.check_scale(run.get("scale", base.scale), where, "run.scale")
        _, end = sc.parse_years(run["years"], where, "run.years") if "years" in run else (base.start, base.end)
    except sc.ScenarioError as e:
        raise SweepError(e.where, e.key, e.value, e.allowed) from None
    design = _table(raw, "design", where)
    for key in design:
        if key not in DESIGN_KEYS:
            raise SweepError(where, f"design.{key}", design[key], _unknown(key, DESIGN_KEYS))
    kind = design.get("kind", "lhs")
    if kind not in DESIGNS:
        raise SweepError(where, "design.kind", kind, f"one of {', '.join(DESIGNS)}")
    samples = _whole(design, "samples", where, 10, 1, MAX_RUNS, prefix="design.")
    if kind == "sobol" and samples & (samples - 1):
        raise SweepError(where, "design.samples", samples, "Sobol designs need a power of 2 (e.g. 64, 128, 256)")
    levels = _whole(design, "levels", where, 4 if kind == "morris" else 3, 2, 100, prefix="design.")
    if kind == "morris" and levels % 2:
        raise SweepError(where, "design.levels", levels, "an even number of grid levels for Morris (e.g. 4)")
    design_seed = _whole(design, "seed", where, seed % 2**32, 0, 2**32 - 1, prefix="design.")
    factors = _factors(raw, where)
    recalibrate = _recalibrate(raw.get("recalibrate", False), factors, where)
    sweep = Sweep(
        name=name,
        base=base,
        factors=factors,
        design=kind,
        samples=samples,
        levels=levels,
        seed=seed,
        design_seed=design_seed,
        replicates=replicates,
        paired=paired,
        scale=scale,
        end=end,
        description=description,
        source=where,
        raw=raw,
        recalibrate=recalibrate,
    )
    n_points = _count_points(sweep)
    if n_points * replicates > MAX_RUNS:
        raise SweepError(where, "design", kind, f"{n_points * replicates:,} runs; at most {MAX_RUNS:,} in one sweep")
    for run_ in sweep.runs():
        for key, value in run_.values.items():
            try:
                _setting(key).check(value, where)
            except SettingError as e:  # a design value the setting refuses (e.g. rounding outside its range)
                raise SweepError(where, f"vary.{key}", value, e.allowed) from None
    return sweep


def _count_points(sweep: Sweep) -> int:
    k = len(sweep.factors)
    if sweep.design == "grid":
        return math.prod(len(f.levels(sweep.levels)) for f in sweep.factors)
    return {"lhs": sweep.samples, "morris": sweep.samples * (k + 1), "sobol": sweep.samples * (k + 2)}[sweep.design]


def _base(value: Any, where: str) -> sc.Scenario:
    if not isinstance(value, str):
        raise SweepError(where, "base", value, "the name or file of a scenario (see `abm scenarios`)")
    try:
        path = Path(where).parent / value
        return sc.load(path if path.suffix == ".toml" and path.is_file() else value)
    except sc.ScenarioError as e:
        raise SweepError(where, "base", value, f"{e.where}: {e.key}: {e.allowed}") from None


def _table(raw: dict, key: str, where: str) -> dict:
    value = raw.get(key, {})
    if not isinstance(value, dict):
        raise SweepError(where, key, value, f"must be a table: [{key}]")
    return value


def _whole(raw: dict, key: str, where: str, default: int, low: int, high: int, prefix: str = "") -> int:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise SweepError(where, f"{prefix}{key}", value, f"a whole number from {low} to {high:,}")
    return value


def _setting(key: str) -> Setting:
    return levers().get(key) or parameters()[key]


def _groups() -> set[str]:
    return {"levers", "parameters"} | {p.group for p in parameters().values()}


def _factors(raw: dict, where: str) -> tuple[Factor, ...]:
    vary = _table(raw, "vary", where)
    include = raw.get("include", [])
    if not isinstance(include, list) or any(g not in _groups() for g in include):
        bad = include if not isinstance(include, list) else [g for g in include if g not in _groups()]
        raise SweepError(where, "include", bad, f"a list of: {', '.join(sorted(_groups()))}")
    chosen: dict[str, Any] = {}
    named: dict[str, str] = {}  # key -> as given in [vary]
    for group in include:
        for key, s in [*levers().items(), *parameters().items()]:
            if _in_group(s, group):
                chosen[key] = {}
    for given, spec in vary.items():
        key = setting_key(given)  # the key, or a lever's or parameter's name in Chinese or English
        if key is None:
            hint = suggestion(given) or "see `abm levers` and `abm parameters`"
            raise SweepError(where, f"vary.{given}", spec, f"unknown lever or parameter; {hint}")
        if key in named:
            raise SweepError(where, f"vary.{given}", spec, f"{key} is already varied here (as {named[key]!r})")
        chosen[key], named[key] = spec, given
    if not chosen:
        raise SweepError(where, "vary", vary, "name at least one lever or parameter to vary (or use `include`)")
    return tuple(_factor(key, spec, where) for key, spec in chosen.items())


def _in_group(s: Setting, group: str) -> bool:
    if isinstance(s, Lever):
        return group == "levers" and s.modelled
    assert isinstance(s, Parameter)
    return not s.calibrated and group in ("parameters", s.group)


def _factor(key: str, spec: Any, where: str) -> Factor:
    setting = _setting(key)
    at = f"vary.{key}"
    if isinstance(setting, Lever) and not setting.modelled:
        raise SweepError(where, at, spec, f"this lever is declared but not modelled ({setting.reason})")
    if not isinstance(spec, dict):
        raise SweepError(where, at, spec, "a table: {} (declared range), {low = …, high = …} or {values = […]}")
    for k in spec:
        if k not in VARY_KEYS:
            raise SweepError(where, f"{at}.{k}", spec[k], _unknown(k, VARY_KEYS))
    if "values" in spec:
        if set(spec) != {"values"}:
            raise SweepError(where, at, spec, "either values or low/high, not both")
        values = spec["values"]
        if not isinstance(values, list) or len(values) < 2:
            raise SweepError(where, f"{at}.values", values, "a list of at least two values")
        checked = []
        for v in values:
            try:
                checked.append(setting.check(v))
            except SettingError as e:
                raise SweepError(where, f"{at}.values", v, e.allowed) from None
        if len(set(checked)) != len(checked):
            raise SweepError(where, f"{at}.values", values, "each value once")
        return Factor(key, "categorical", values=tuple(checked))
    if setting.kind == "bool":
        if spec:
            raise SweepError(where, at, spec, "a true/false setting: {} (both) or {values = [false, true]}")
        return Factor(key, "bool", values=(False, True))
    if setting.kind == "choice":
        if spec:
            raise SweepError(
                where, at, spec, f"a choice: {{}} (each of {', '.join(setting.values)}) or {{values = […]}}"
            )
        return Factor(key, "categorical", values=setting.values)
    low, high = spec.get("low", setting.low), spec.get("high", setting.high)
    for name, v in (("low", low), ("high", high)):
        try:
            setting.check(v)
        except SettingError as e:
            raise SweepError(where, f"{at}.{name}", v, e.allowed) from None
    if not low < high:
        raise SweepError(where, at, spec, f"low ({low}) must be below high ({high})")
    kind = "float" if setting.kind == "float" else "int"
    return Factor(key, kind, low=low, high=high)


def _unknown(key: str, known) -> str:
    close = difflib.get_close_matches(key, list(known), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown key (allowed: {', '.join(sorted(known))}){hint}"


def all_sweeps() -> list[Path]:
    """The example sweep files in ``experiments/sweeps``."""
    return sorted(SWEEP_DIR.glob("*.toml"))


# ------------------------------------------------------------------ sizing a sweep before running it


@dataclass(frozen=True)
class Estimate:
    """The time a sweep will take, from one short run timed at the sweep's scale (seconds, on this machine)."""

    setup: float  # building a model (the 2020 population and world)
    year: float  # one simulated year (mean of the timed years)
    years: int  # years each run simulates
    timed_years: int

    @property
    def run(self) -> float:
        """One run: setup and every year (writing its results adds a few per cent)."""
        return self.setup + self.years * self.year

    def total(self, runs: int, workers: int) -> float:
        """``runs`` runs on ``workers`` processes running side by side at full speed."""
        return math.ceil(runs / max(workers, 1)) * self.run


def estimate(sweep: Sweep, timed_years: int = 2) -> Estimate:
    """Time one run of the sweep's first design point at its scale: building the model, then ``timed_years`` years
    (fewer if the sweep's runs are shorter). A refit of the free constants (``recalibrate``) is not timed."""
    import time

    first = sweep.runs()[0].spec
    years = first.end - sweep.base.start
    timed = max(1, min(timed_years, years))
    spec = RunSpec(first.settings, scale=first.scale, seed=first.seed, end=sweep.base.start + timed)
    started = time.perf_counter()
    model = spec.model()
    built = time.perf_counter()
    while model.running:
        model.step()
    stepped = time.perf_counter()
    return Estimate(setup=built - started, year=(stepped - built) / timed, years=years, timed_years=timed)


def describe_design(sweep: Sweep) -> list[str]:
    """The design and each varied factor with its range or values, as lines of text."""
    detail = {
        "grid": f"{sweep.levels} levels a numeric factor",
        "lhs": f"{sweep.samples} points",
        "morris": f"{sweep.samples} trajectories, {sweep.levels} levels",
        "sobol": f"{sweep.samples} base samples, first-order and total indices",
    }[sweep.design]
    lines = [f"design: {sweep.design} ({detail}), design seed {sweep.design_seed}; {len(sweep.factors)} factors:"]
    for f in sweep.factors:
        span = f"{f.low:g} to {f.high:g}" if f.kind in ("float", "int") else ", ".join(map(str, f.values))
        lines.append(f"  {f.key:<28} {f.kind:<12} {span}")
    return lines

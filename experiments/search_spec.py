"""Search files: which levers to search, for what, robust over which uncertainties (``abm optimize``).

A search file (TOML; ``experiments/searches/*.toml`` are examples) names the levers to search, the
objectives and constraints over the declared outcomes (grammar: ``experiments.criteria``), the
uncertainty points to be robust over, and how to run and search::

    name = "reach_110wan"
    base = "plan"                                   # levers not searched keep this scenario's values
    objectives = ["min mean(spending@2022:2025)", "max share(haimen_population@2025 >= 110万)"]
    constraints = []                                # hard limits, e.g. "mean(spending@2022:2025) <= 50亿"
    require = "share(haimen_population@2025 >= 110万) >= 80%"   # what the answer reports on
    report = ["share(added_kaifaqu@2025 >= 4万)"]   # further measures shown for every mix (not searched on)

    [levers]                                        # as a sweep's [vary]: {} the declared range,
    talent_purchase_subsidy = {}                    # {low, high} narrower, {values = [...]} a choice
    rent_subsidy = { low = 0, high = 2000 }

    [uncertainty]
    sweep = "headline_plan"                         # its factors and ranges, and how points are recalibrated
    points = 16                                     # Latin-hypercube points over them, each recalibrated

    [run]
    scale = 200                                     # the search's scale (coarse)
    years = "2020:2027"
    seeds = 1                                       # paired seeds at each point (the same for every candidate)
    seed = 2022                                     # the seeds derive from it

    [search]
    population = 32
    generations = 20
    seed = 1

    [fine]                                          # the Pareto set re-evaluated
    scale = 20
    seeds = 3
    candidates = 12                                 # at most this many Pareto points

Every problem raises :class:`SearchSpecError` (file, key, value, what is allowed) when the file is
loaded, before any run starts.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from environment import scenario as sc
from environment.settings import levers, parameters
from experiments.criteria import (
    CriterionError,
    Measure,
    Objective,
    Requirement,
    parse_measure,
    parse_objective,
    parse_requirement,
)
from experiments.sweep import Factor, SweepError

SEARCH_DIR = Path(__file__).parent / "searches"
TOP_KEYS = {
    "name",
    "description",
    "base",
    "objectives",
    "constraints",
    "require",
    "report",
    "levers",
    "uncertainty",
    "run",
    "search",
    "fine",
}
TABLE_KEYS = {
    "uncertainty": {"sweep": "headline_plan", "points": 16, "recalibrate": True},
    "run": {"scale": 200, "years": "2020:2027", "seeds": 1, "seed": 2022},
    "search": {"population": 32, "generations": 20, "seed": 1},
    "fine": {"scale": 20, "seeds": 3, "candidates": 12},
}
MAX_OBJECTIVES = 6
MAX_POINTS = 256
MAX_SEEDS = 50
MAX_POPULATION = 1000
MAX_GENERATIONS = 1000


class SearchSpecError(CriterionError):
    """A search file that cannot be used: which file, which key, which value, what is allowed."""


@dataclass(frozen=True)
class SearchSpec:
    """A checked search file."""

    name: str
    base: sc.Scenario
    factors: tuple[Factor, ...]  # the levers searched
    objectives: tuple[Objective, ...]
    constraints: tuple[Requirement, ...]
    require: tuple[Requirement, ...]
    report: tuple[Measure, ...]
    uncertainty_sweep: str
    points: int
    recalibrate: bool
    scale: int
    end: int
    seeds: int
    seed: int
    population: int
    generations: int
    search_seed: int
    fine_scale: int
    fine_seeds: int
    fine_candidates: int
    description: str = ""
    source: str = ""
    raw: dict = field(default_factory=dict, compare=False)


def find(name_or_path: str | Path) -> Path:
    """A search file by path, or by name in ``experiments/searches``."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    candidate = SEARCH_DIR / f"{name_or_path}.toml"
    if path.suffix != ".toml" and candidate.is_file():
        return candidate
    known = sorted(p.stem for p in SEARCH_DIR.glob("*.toml"))
    raise SearchSpecError(str(name_or_path), "file", None, f"no such search file (named searches: {', '.join(known)})")


def load(name_or_path: str | Path) -> SearchSpec:
    """Read and check a search file: raises :class:`SearchSpecError` on the first problem."""
    path = find(name_or_path)
    try:
        raw = sc.read_file(path)
    except sc.ScenarioError as e:
        raise SearchSpecError(e.where, e.key, e.value, e.allowed) from None
    return parse(raw, str(path), default_name=path.stem)


def parse(raw: dict, where: str, default_name: str = "search") -> SearchSpec:
    """Check a search file's contents (as read from TOML) and resolve it."""
    for key in raw:
        if key not in TOP_KEYS:
            raise SearchSpecError(where, key, raw[key], _unknown(key, TOP_KEYS))
    name = raw.get("name", default_name)
    if not isinstance(name, str) or not sc.NAME.fullmatch(name):
        raise SearchSpecError(where, "name", name, "letters, digits, '_' and '-' only (it names the results folder)")
    description = raw.get("description", "")
    if not isinstance(description, str):
        raise SearchSpecError(where, "description", description, "must be a string")
    base = _base(raw.get("base", "plan"), where)
    tables = {t: _table(raw, t, where) for t in TABLE_KEYS}
    run, search, fine, uncertainty = tables["run"], tables["search"], tables["fine"], tables["uncertainty"]
    try:
        scale = sc.check_scale(run["scale"], where, "run.scale")
        _, end = sc.parse_years(run["years"], where, "run.years")
        seed = sc.check_seed(run["seed"], where, "run.seed")
        fine_scale = sc.check_scale(fine["scale"], where, "fine.scale")
    except sc.ScenarioError as e:
        raise SearchSpecError(e.where, e.key, e.value, e.allowed) from None
    try:
        objectives = tuple(
            parse_objective(text, where, f"objectives[{i}]", end)
            for i, text in enumerate(_strings(raw, "objectives", where, required=True))
        )
        constraints = tuple(
            parse_requirement(text, where, f"constraints[{i}]", end)
            for i, text in enumerate(_strings(raw, "constraints", where))
        )
        listed = isinstance(raw.get("require"), list)
        require = tuple(
            parse_requirement(text, where, f"require[{i}]" if listed else "require", end)
            for i, text in enumerate(_strings(raw, "require", where))
        )
        report = tuple(
            parse_measure(text, where, f"report[{i}]", end) for i, text in enumerate(_strings(raw, "report", where))
        )
    except SearchSpecError:
        raise
    except CriterionError as e:
        raise SearchSpecError(e.where, e.key, e.value, e.allowed) from None
    if len(objectives) > MAX_OBJECTIVES:
        raise SearchSpecError(where, "objectives", len(objectives), f"at most {MAX_OBJECTIVES} objectives")
    factors = _factors(raw, where)
    sweep = uncertainty["sweep"]
    uncertain = _uncertainty_keys(sweep, where)
    both = [f.key for f in factors if f.key in uncertain]
    if both:
        raise SearchSpecError(
            where, f"levers.{both[0]}", None, f"is also an uncertainty of {sweep!r}: a factor is chosen or uncertain"
        )
    if not isinstance(uncertainty["recalibrate"], bool):
        raise SearchSpecError(where, "uncertainty.recalibrate", uncertainty["recalibrate"], "true or false")
    return SearchSpec(
        name=name,
        base=base,
        factors=factors,
        objectives=objectives,
        constraints=constraints,
        require=require,
        report=report,
        uncertainty_sweep=sweep,
        points=_whole(uncertainty, "points", where, 1, MAX_POINTS, "uncertainty."),
        recalibrate=uncertainty["recalibrate"],
        scale=scale,
        end=end,
        seeds=_whole(run, "seeds", where, 1, MAX_SEEDS, "run."),
        seed=seed,
        population=_whole(search, "population", where, 4, MAX_POPULATION, "search."),
        generations=_whole(search, "generations", where, 1, MAX_GENERATIONS, "search."),
        search_seed=_whole(search, "seed", where, 0, 2**32 - 1, "search."),
        fine_scale=fine_scale,
        fine_seeds=_whole(fine, "seeds", where, 0, MAX_SEEDS, "fine."),
        fine_candidates=_whole(fine, "candidates", where, 1, 1000, "fine."),
        description=description,
        source=where,
        raw=raw,
    )


def _base(value: Any, where: str) -> sc.Scenario:
    from experiments.sweep import _base as sweep_base  # one reading of a base: a name, or a file beside this one

    try:
        return sweep_base(value, where)
    except SweepError as e:
        raise SearchSpecError(e.where, e.key, e.value, e.allowed) from None


def _table(raw: dict, key: str, where: str) -> dict:
    value = raw.get(key, {})
    if not isinstance(value, dict):
        raise SearchSpecError(where, key, value, f"must be a table: [{key}]")
    allowed = TABLE_KEYS[key]
    for k in value:
        if k not in allowed:
            raise SearchSpecError(where, f"{key}.{k}", value[k], _unknown(k, allowed))
    return allowed | value


def _strings(raw: dict, key: str, where: str, required: bool = False) -> list[str]:
    value = raw.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value) or (required and not value):
        example = {
            "objectives": '["min mean(spending@2022:2025)", "max share(haimen_population@2025 >= 110万)"]',
            "constraints": '["mean(spending@2022:2025) <= 50亿"]',
            "require": '"share(haimen_population@2025 >= 110万) >= 80%"',
            "report": '["share(added_kaifaqu@2025 >= 4万)"]',
        }[key]
        need = "at least one; " if required else ""
        raise SearchSpecError(where, key, value, f"{need}a list of strings, e.g. {key} = {example}")
    return value


def _whole(table: dict, key: str, where: str, low: int, high: int, prefix: str) -> int:
    value = table[key]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise SearchSpecError(where, f"{prefix}{key}", value, f"a whole number from {low} to {high:,}")
    return value


def _factors(raw: dict, where: str) -> tuple[Factor, ...]:
    from experiments.sweep import _factor  # one reading of {} / {low, high} / {values} for sweeps and searches

    table = raw.get("levers", {})
    if not isinstance(table, dict) or not table:
        raise SearchSpecError(where, "levers", table, "a table naming at least one lever to search: [levers]")
    out = []
    for key, spec in table.items():
        if key in parameters():
            raise SearchSpecError(
                where, f"levers.{key}", spec, "is an uncertain parameter: a search chooses levers ([uncertainty])"
            )
        if key not in levers():
            close = difflib.get_close_matches(key, list(levers()), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else " (see `abm levers`)"
            raise SearchSpecError(where, f"levers.{key}", spec, f"unknown lever{hint}")
        try:
            out.append(_factor(key, spec, where))
        except SweepError as e:
            raise SearchSpecError(e.where, e.key.replace("vary.", "levers.", 1), e.value, e.allowed) from None
    return tuple(out)


def _uncertainty_keys(sweep: Any, where: str) -> set[str]:
    from experiments import sweep as sweeps

    if not isinstance(sweep, str):
        raise SearchSpecError(where, "uncertainty.sweep", sweep, "the name or file of a sweep whose factors to use")
    try:
        return {f.key for f in sweeps.load(sweep).factors}
    except SweepError as e:
        raise SearchSpecError(where, "uncertainty.sweep", sweep, f"{e.where}: {e.key}: {e.allowed}") from None


def _unknown(key: str, known) -> str:
    close = difflib.get_close_matches(key, list(known), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown key (allowed: {', '.join(sorted(known))}){hint}"

"""Named scenarios in plain TOML files, checked against the lever and parameter registries.

A scenario states only what differs from its base::

    name = "hsr_2030"
    title_zh = "规划,高铁2030年开通"  # shown names (optional; not inherited from the base)
    title_en = "Plan, high-speed rail in 2030"
    description = "The plan, with the high-speed rail opening in 2030"
    base = "plan"                 # another scenario in the same folder (optional)
    plan_measures = "all"         # or a list such as [1, 2]: these measures' levers at their plan values

    [levers]                      # individual levers (see `abm levers`)
    hsr_year = 2030

    [parameters]                  # uncertain parameters (see `abm parameters`)
    airport_year = 2030

    [run]
    scale = 10                    # people per agent
    seed = 1
    years = "2020:2035"

``base`` names a scenario beside the file or, failing that, a built-in one
(``environment/scenarios``). Anything wrong — an unknown key, a value out of
range or of the wrong kind, a missing, empty, unreadable or binary file, a base
chain deeper than :data:`MAX_BASE_DEPTH` — raises :class:`ScenarioError` naming
the file, the key, the value and what is allowed.
"""

from __future__ import annotations

import difflib
import itertools
import json
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from environment.inputs import CENSUS_YEAR
from environment.settings import (
    NEVER,
    FileError,
    SettingError,
    check_setting,
    levers,
    parameters,
    plan_value,
    run_default,
    run_options,
    setting_key,
    shown,
    suggestion,
)
from environment.targets import measure_targets

SCENARIO_DIR = Path(__file__).parent / "scenarios"
TOP_KEYS = {"name", "title_zh", "title_en", "description", "base", "plan_measures", "levers", "parameters", "run"}
RUN_KEYS = {"scale", "seed", "years"}
NAME = re.compile(r"[A-Za-z0-9_-]+")
BARE_NAME = re.compile(r"^[ \t]*([^\s\"'#\[=][^=\n]*?[^\x00-\x7f][^=\n]*?)[ \t]*=", re.MULTILINE)  # 中文 = 1
MAX_BASE_DEPTH = 20  # scenarios built on scenarios: deeper chains are refused as a likely mistake


class ScenarioError(FileError):
    """A scenario file that cannot be used, with where and why."""


@dataclass(frozen=True)
class Scenario:
    """A resolved scenario: every setting that differs from the baseline, and how to run it."""

    name: str
    description: str = ""
    title_zh: str = ""  # the name shown to people (the web page's chooser); empty: the name itself
    title_en: str = ""
    settings: dict[str, Any] = field(default_factory=dict)
    scale: int = field(default_factory=lambda: run_default("scale"))
    seed: int = field(default_factory=lambda: run_default("seed"))
    start: int = CENSUS_YEAR
    end: int = field(default_factory=lambda: run_default("end"))
    source: str = ""

    def with_run(self, scale: int | None = None, seed: int | None = None, years: str | None = None) -> Scenario:
        """The same scenario with run options overridden (e.g. from the command line)."""
        start, end = (self.start, self.end) if years is None else parse_years(years, "--years")
        return replace(
            self,
            scale=self.scale if scale is None else check_scale(scale, "--scale"),
            seed=self.seed if seed is None else check_seed(seed, "--seed"),
            start=start,
            end=end,
        )


def find(name_or_path: str | Path) -> Path:
    """The scenario file for a path, or for a name in ``environment/scenarios``."""
    path = Path(name_or_path)
    if not str(name_or_path).strip():
        raise ScenarioError(
            repr(str(name_or_path)), "scenario", None, "give a scenario file or name (see `abm scenarios`)"
        )
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise ScenarioError(str(path), "file", None, "no such scenario file")
        return path
    candidate = SCENARIO_DIR / f"{name_or_path}.toml"
    if not candidate.is_file():
        known = sorted(p.stem for p in SCENARIO_DIR.glob("*.toml"))
        close = difflib.get_close_matches(str(name_or_path), known, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"known scenarios: {', '.join(known)}"
        raise ScenarioError(str(name_or_path), "scenario", None, f"no such scenario file or name; {hint}")
    return candidate


def load(name_or_path: str | Path) -> Scenario:
    """Read, resolve and check a scenario file (and its bases)."""
    return _load(find(name_or_path), chain=())


def read_file(path: Path) -> dict:
    """A TOML input file as a dict; a missing, unreadable, binary, empty or malformed file is a ScenarioError."""
    where = str(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ScenarioError(where, "file", None, f"cannot be read ({e.strerror or e})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError(where, "file", None, "not a text file (a scenario is UTF-8 TOML)") from None
    if not text.strip():
        raise ScenarioError(where, "file", None, "is empty: a scenario states at least a name or a base")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        bare = next((m.group(1) for m in BARE_NAME.finditer(text)), None)
        hint = f'; a name as a key goes in quotes: "{bare}" = …' if bare else ""
        raise ScenarioError(where, "TOML", None, f"not valid TOML ({shown(str(e))[1:-1]}){hint}") from None


def _base_file(path: Path, base: str) -> Path:
    """The file a ``base`` names: beside ``path`` first, then among the built-in scenarios."""
    for folder in (path.parent, SCENARIO_DIR):
        candidate = folder / f"{base}.toml"
        if NAME.fullmatch(base) and candidate.is_file():
            return candidate
    raise ScenarioError(
        str(path), "base", base, "no scenario of that name beside this file or built in (`abm scenarios`)"
    )


def _load(path: Path, chain: tuple[Path, ...]) -> Scenario:
    """``path`` read and resolved; ``chain``: the files that led to it, the one the user gave first."""
    where = str(path)
    if path.resolve() in {p.resolve() for p in chain}:
        raise _chain_error(chain, path, "scenarios' bases form a cycle")
    if len(chain) > MAX_BASE_DEPTH:
        raise _chain_error(chain, path, f"a scenario may build on at most {MAX_BASE_DEPTH} bases, one on another")
    raw = read_file(path)
    for key in raw:
        if key not in TOP_KEYS:
            raise ScenarioError(where, key, raw[key], _unknown(key, TOP_KEYS))
    if "base" in raw:
        if not isinstance(raw["base"], str):
            raise ScenarioError(where, "base", raw["base"], "must be the name of another scenario")
        base = _load(_base_file(path, raw["base"]), (*chain, path))
    else:
        base = Scenario(name="baseline")
    settings = dict(base.settings)
    if "plan_measures" in raw:
        settings = {k: v for k, v in settings.items() if k not in levers()}
        settings |= measures_at_plan(_measures(raw["plan_measures"], where))
    settings |= _section(raw, "levers", levers(), where, other=("parameters", parameters()))
    settings |= _section(raw, "parameters", parameters(), where, other=("levers", levers()))
    settings = {k: v for k, v in settings.items() if v != _default(k)}
    run = raw.get("run", {})
    if not isinstance(run, dict):
        raise ScenarioError(where, "run", run, "must be a table: [run]")
    for key in run:
        if key not in RUN_KEYS:
            raise ScenarioError(where, f"run.{key}", run[key], _unknown(key, RUN_KEYS))
    start, end = parse_years(run["years"], where, "run.years") if "years" in run else (base.start, base.end)
    for key in ("name", "title_zh", "title_en", "description"):
        value = raw.get(key)
        if value is not None and not isinstance(value, str):
            raise ScenarioError(where, key, value, "must be a string")
    name = raw.get("name", path.stem)
    if not NAME.fullmatch(name):
        raise ScenarioError(where, "name", name, "letters, digits, '_' and '-' only (it names the results folder)")
    return Scenario(
        name=name,
        description=raw.get("description", base.description),
        title_zh=raw.get("title_zh", ""),
        title_en=raw.get("title_en", ""),
        settings=settings,
        scale=check_scale(run.get("scale", base.scale), where, "run.scale"),
        seed=check_seed(run.get("seed", base.seed), where, "run.seed"),
        start=start,
        end=end,
        source=str(path.resolve()),  # one source however the file is named (relative, absolute, linked)
    )


def _chain_error(chain: tuple[Path, ...], path: Path, why: str) -> ScenarioError:
    """An error about a chain of bases, naming the file the user gave, the base it names and the chain."""
    files = [p.stem for p in (*chain, path)]
    shown = files if len(files) <= 6 else [*files[:3], "…", *files[-2:]]
    return ScenarioError(str(chain[0]), "base", files[1], f"{why} ({' → '.join(shown)})")


def _default(key: str) -> Any:
    return levers()[key].baseline if key in levers() else parameters()[key].default


MEASURES = tuple(measure_targets())


def measures_at_plan(measures: list[int]) -> dict[str, Any]:
    """Lever values with the given measure groups at their plan values (others at baseline)."""
    return {k: plan_value(k) for k, lv in levers().items() if lv.measure in measures and lv.modelled}


def _measures(value: Any, where: str) -> list[int]:
    if value == "all":
        return list(MEASURES)
    if isinstance(value, list) and all(isinstance(m, int) and not isinstance(m, bool) and m in MEASURES for m in value):
        return value
    allowed = f'"all" or a list of measure numbers from {MEASURES[0]} to {MEASURES[-1]}'
    raise ScenarioError(where, "plan_measures", value, allowed)


def _section(raw: dict, name: str, registry: dict, where: str, other: tuple[str, dict]) -> dict[str, Any]:
    table = raw.get(name, {})
    if not isinstance(table, dict):
        raise ScenarioError(where, name, table, f"must be a table: [{name}]")
    out, given_as = {}, {}
    for given, value in table.items():
        key = setting_key(given)  # the key, or a lever's or parameter's name in Chinese or English
        if key not in registry:
            if key in other[1]:
                raise ScenarioError(
                    where, f"{name}.{given}", value, f"is one of the {other[0]}: put it under [{other[0]}]"
                )
            hint = suggestion(given) or f"see `abm {name}`"
            raise ScenarioError(where, f"{name}.{given}", value, f"unknown key; {hint}")
        if key in out:
            raise ScenarioError(where, f"{name}.{given}", value, f"{key} is already set here (as {given_as[key]!r})")
        try:
            out[key] = check_setting(key, value)
        except SettingError as e:
            raise ScenarioError(where, f"{name}.{given}", value, e.allowed) from None
        given_as[key] = given
    return out


def _unknown(key: str, known) -> str:
    close = difflib.get_close_matches(key, list(known), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown key (allowed: {', '.join(sorted(known))}){hint}"


def parse_years(value: Any, where: str, key: str = "years") -> tuple[int, int]:
    """``"2020:2035"`` as (2020, 2035); runs start from the census year."""
    first, end = CENSUS_YEAR, run_options()["end"]
    allowed = f'"{first}:END" with END from {end.low} to {end.high}'
    try:
        start_text, end_text = str(value).split(":")
        start, last = int(start_text), int(end_text)
    except ValueError:
        raise ScenarioError(where, key, value, allowed) from None
    if start != first or not end.low <= last <= end.high:
        raise ScenarioError(where, key, value, allowed)
    return start, last


def check_run_option(key: str, value: Any, where: str, shown_key: str | None = None) -> int:
    """A run option (scale, seed, end) checked against its declaration, as a ScenarioError naming ``shown_key``."""
    try:
        return run_options()[key].check(value)
    except SettingError as e:
        raise ScenarioError(where, shown_key or key, value, e.allowed) from None


def check_scale(value: Any, where: str, key: str = "scale") -> int:
    return check_run_option("scale", value, where, key)


def check_seed(value: Any, where: str, key: str = "seed") -> int:
    return check_run_option("seed", value, where, key)


def all_scenarios() -> list[Path]:
    return sorted(SCENARIO_DIR.glob("*.toml"))


def template(path: Path, base: str = "baseline") -> str:
    """A commented scenario file for ``path`` building on ``base``: valid as it stands (it is the base), with every
    lever and parameter commented out at the base's value, with its names, unit and range, ready to uncomment.

    ``base`` is found as a file's ``base`` is (beside ``path`` first, then built in); a bad one is a ScenarioError.
    """
    name = path.stem
    if path.suffix != ".toml" or not NAME.fullmatch(name):
        raise ScenarioError(
            str(path),
            "file",
            None,
            "a name ending in .toml, made of letters, digits, '_' and '-' (it names the scenario)",
        )
    start = _load(_base_file(path, base), chain=(path,))
    value = {**{k: lv.baseline for k, lv in levers().items()}, **{k: p.default for k, p in parameters().items()}}
    value |= start.settings
    lines = [
        f"# Scenario {name}: written by `abm new-scenario` to start from {base!r}. As it stands it is {base!r} itself.",
        "# A scenario states only what differs from its base: uncomment a lever (remove the leading '# ') and change",
        "# its value. A lever's or parameter's Chinese or English name may stand for its key, in quotes:",
        '# "人才购房补贴" = 80000. Every key is described in the README ("Scenario files"); check the file with',
        f"# `abm run {path.name} --years 2020:2021 --scale 100`.",
        "",
        f"name = {_toml(name)}  # names the results folder: letters, digits, '_' and '-'",
        '# title_zh = "…"  # shown in reports\' legends and on the web page (not inherited; default: the name)',
        '# title_en = "…"',
        f"description = {_toml(f'Starts from {base}: say here what differs')}",
        f"base = {_toml(base)}  # the scenario this one starts from (a file beside this one, or `abm scenarios`);",
        '# without a base line a file starts from "baseline": every lever as in 2020, every parameter at its default',
        '# plan_measures = "all"  # or [1, 2]: these measure groups\' levers at plan values, the others at baseline',
        "",
        "[levers]  # the plan's measures (`abm levers`)",
    ]
    measures = measure_targets()
    for number, group in itertools.groupby(levers().values(), key=lambda lv: lv.measure):
        lines.append(f"# --- measure {number} {measures[number].name_zh} {measures[number].name_en} ---")
        for lv in group:
            plan = f"plan {_toml(lv.plan)}" if lv.modelled else f"not modelled: only {_toml(lv.baseline)}"
            lines.append(f"# {lv.name_zh} · {lv.name_en}: {lv.allowed()}; baseline {_toml(lv.baseline)}, {plan}")
            lines.append(f"# {lv.key} = {_toml(value[lv.key])}")
    lines += ["", "[parameters]  # what we do not know, at its default (`abm parameters`); change one to test it"]
    for group, members in itertools.groupby(parameters().values(), key=lambda p: p.group):
        lines.append(f"# --- {group} ---")
        for p in members:
            fitted = "; calibrated (changing it undoes the fit to 2010–2020)" if p.calibrated else ""
            lines.append(f"# {p.key} = {_toml(value[p.key])}  # {p.name_zh} · {p.name_en}: {p.allowed()}{fitted}")
    scale, seed, end = (run_options()[k] for k in ("scale", "seed", "end"))
    lines += [
        "",
        f"[run]  # how it is run, unless the command line says otherwise (--scale, --seed, --years); {base!r}'s:",
        f"# scale = {start.scale}  # {scale.name_en}: {scale.allowed()}; payments reach few agents above 100",
        f"# seed = {start.seed}  # {seed.allowed()}",
        f'# years = "{start.start}:{start.end}"  # "{CENSUS_YEAR}:END", END from {end.low} to {end.high}',
        "",
    ]
    return "\n".join(lines)


def _toml(value: Any) -> str:
    """``value`` as a TOML value (``None``: a project that never opens, ``"never"``)."""
    if value is None:
        return f'"{NEVER}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return repr(value)

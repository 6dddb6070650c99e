"""Conditions on the declared outcomes, written as a policy analyst says them.

One small grammar, read by ``abm discover`` and ``abm optimize``:

- a **term** is a declared outcome (``environment/data/outcomes.toml``) at a year, ``haimen_population@2025``,
  or a yearly flow summed over years, ``spending@2022:2025`` (first and last year included);
- a **number** may carry 万 (10,000), 亿 (100,000,000) or % (0.01), and ``,`` or ``_`` between digits:
  ``110万``, ``1,100,000``, ``80%``, ``3e9``;
- a **condition** is a term, a comparison (``>=``, ``>``, ``<=``, ``<``; also ``≥``, ``≤``) and a number:
  ``haimen_population@2025 >= 110万``;
- across uncertainty points a **measure** is ``share(CONDITION)`` (the share of points meeting it) or
  ``mean(TERM)`` (the mean over points);
- an **objective** is ``min MEASURE`` or ``max MEASURE``; a **requirement** is ``MEASURE OP NUMBER``:
  ``share(haimen_population@2025 >= 110万) >= 80%``, ``mean(spending@2022:2025) <= 30亿``.

Every mistake raises :class:`CriterionError` (where, the text, what is allowed) before any run.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from environment.inputs import CENSUS_YEAR
from environment.settings import FileError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

OPERATORS: dict[str, Callable] = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}
SYNONYMS = {"≥": ">=", "≤": "<=", "＞": ">", "＜": "<"}
MULTIPLIERS = {"万": 1e4, "亿": 1e8, "%": 0.01, "": 1.0}
NUMBER = r"[+-]?\d[\d,_]*(?:\.\d+)?(?:[eE][+-]?\d+)?\s*(?:万|亿|%)?"
OP = r">=|<=|>|<"
TERM = r"[A-Za-z_][A-Za-z0-9_]*@\d{4}(?::\d{4})?"
MEASURES = ("share", "mean")

TERM_HELP = "KEY@YEAR (a declared outcome in a year) or KEY@FIRST:LAST (a yearly flow summed), e.g. spending@2022:2025"
CONDITION_HELP = "TERM OP NUMBER, e.g. haimen_population@2025 >= 110万 (OP: >=, >, <=, <; numbers may use 万, 亿, %)"
MEASURE_HELP = "share(CONDITION) or mean(TERM), e.g. share(haimen_population@2025 >= 110万)"


class CriterionError(FileError):
    """A term, condition, objective or requirement that cannot be used: where, the text, what is allowed."""


def _normal(text: str) -> str:
    for sign, op in SYNONYMS.items():
        text = text.replace(sign, op)
    return " ".join(text.split())


def parse_number(text: str, where: str, key: str) -> float:
    """``110万`` → 1,100,000; ``80%`` → 0.8; ``3e9``, ``1,100,000``."""
    text = text.strip()
    if not re.fullmatch(NUMBER, text):
        raise CriterionError(where, key, text, "a number, e.g. 1100000, 110万, 30亿, 80% or 3e9")
    unit = text[-1] if text[-1] in "万亿%" else ""
    return float(text.removesuffix(unit).strip().replace(",", "").replace("_", "")) * MULTIPLIERS[unit]


def number_text(value: float) -> str:
    """A threshold as people read it: 1100000 → ``110万``, 0.8 → ``0.8``, 3e9 → ``30亿``."""
    if value and abs(value) >= 1e8 and (value / 1e8) == round(value / 1e8, 2):
        return f"{value / 1e8:g}亿"
    if value and abs(value) >= 1e4 and (value / 1e4) == round(value / 1e4, 2):
        return f"{value / 1e4:g}万"
    return f"{value:g}"


@dataclass(frozen=True)
class Term:
    """A declared outcome in one year, or a yearly flow summed over ``first``–``last``."""

    key: str
    first: int
    last: int

    @property
    def text(self) -> str:
        return f"{self.key}@{self.first}" + (f":{self.last}" if self.last != self.first else "")

    @property
    def name(self) -> str:
        """A Python identifier for it (EMA Workbench outcome names): ``spending_2022_2025``."""
        return f"{self.key}_{self.first}" + (f"_{self.last}" if self.last != self.first else "")

    def labels(self) -> tuple[str, str, str]:
        """(Chinese, English, unit), with the year or years."""
        from abm.outcomes import describe

        zh, en, unit = describe(self.key)
        if self.last == self.first:
            return f"{zh}({self.first}年)", f"{en}, {self.first}", unit
        total = unit.removesuffix("/yr")
        return f"{zh}({self.first}–{self.last}年合计)", f"{en}, {self.first}–{self.last} total", total

    def values(self, outcomes: pd.DataFrame, run_ids=None) -> pd.Series:
        """The term for each run of a long outcome table (``run_id, year, outcome, value``), by ``run_id``.

        ``run_ids``: the runs wanted (default: those in the table). Runs with no row for an optional outcome
        (nothing paid: no ``spending`` rows) count 0; runs missing a required outcome are NaN.
        """
        from abm.outcomes import owner

        rows = outcomes[(outcomes.outcome == self.key) & outcomes.year.between(self.first, self.last)]
        summed = rows.groupby("run_id")["value"].sum(min_count=1)
        runs = outcomes["run_id"].unique() if run_ids is None else run_ids
        fill = 0.0 if owner(self.key).optional else float("nan")
        return summed.reindex(runs).fillna(fill).astype(float)

    def total(self, years: np.ndarray, names: np.ndarray, values: np.ndarray) -> float:
        """The term for one run from its outcome table's columns (what :meth:`values` gives, without pandas)."""
        import numpy as np

        from abm.outcomes import owner

        chosen = values[(names == self.key) & (years >= self.first) & (years <= self.last)]
        chosen = chosen[~np.isnan(chosen)]
        if len(chosen) == 0:
            return 0.0 if owner(self.key).optional else float("nan")
        return float(chosen.sum())


def parse_term(text: str, where: str, key: str, end: int | None = None) -> Term:
    """``KEY@YEAR`` or ``KEY@FIRST:LAST``, checked against the declared outcomes and the run's last year."""
    from abm.outcomes import owner

    text = text.strip()
    if not re.fullmatch(TERM, text):
        raise CriterionError(where, key, text, TERM_HELP)
    name, _, years = text.partition("@")
    first, _, last = years.partition(":")
    first_year, last_year = int(first), int(last or first)
    try:
        declared = owner(name)
    except KeyError:
        import difflib

        from abm.outcomes import OUTCOMES

        close = difflib.get_close_matches(name, list(OUTCOMES), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else " (environment/data/outcomes.toml)"
        raise CriterionError(where, key, text, f"{name!r} is not a declared outcome{hint}") from None
    latest = end if end is not None else 2100
    if not CENSUS_YEAR <= first_year <= last_year <= latest:
        raise CriterionError(where, key, text, f"years from {CENSUS_YEAR} to {latest} (the run's last), first ≤ last")
    if last_year != first_year and not declared.unit.endswith("/yr"):
        raise CriterionError(
            where, key, text, f"{name} is a stock ({declared.unit}), not a yearly flow: give one year, KEY@YEAR"
        )
    return Term(name, first_year, last_year)


@dataclass(frozen=True)
class Condition:
    """``term OP threshold``; ``term`` is None when the value compared is given elsewhere (``abm discover``)."""

    term: Term | None
    op: str
    threshold: float

    @property
    def text(self) -> str:
        left = f"{self.term.text} " if self.term else ""
        return f"{left}{self.op} {number_text(self.threshold)}"

    def met(self, values: np.ndarray) -> np.ndarray:
        """Whether each value meets the condition (NaN never does)."""
        import numpy as np

        values = np.asarray(values, dtype=float)
        return OPERATORS[self.op](np.nan_to_num(values, nan=-np.inf if self.op[0] == ">" else np.inf), self.threshold)

    def margin(self, values: np.ndarray) -> np.ndarray:
        """How far each value is beyond the threshold in the wanted direction (≥ 0: at or past it)."""
        import numpy as np

        values = np.asarray(values, dtype=float)
        return values - self.threshold if self.op[0] == ">" else self.threshold - values


def parse_comparison(text: str, where: str, key: str) -> tuple[str, float]:
    """``>= 110万`` as (``>=``, 1100000.0)."""
    text = _normal(text)
    match = re.fullmatch(rf"({OP})\s*(.+)", text)
    if not match:
        raise CriterionError(where, key, text, "OP NUMBER, e.g. >= 1100000 or < 2万 (OP: >=, >, <=, <)")
    return match.group(1), parse_number(match.group(2), where, key)


def parse_condition(text: str, where: str, key: str, end: int | None = None) -> Condition:
    """``TERM OP NUMBER``."""
    text = _normal(text)
    match = re.fullmatch(rf"(\S+?)\s*({OP})\s*(.+)", text)
    if not match:
        raise CriterionError(where, key, text, CONDITION_HELP)
    term = parse_term(match.group(1), where, key, end)
    return Condition(term, match.group(2), parse_number(match.group(3), where, key))


@dataclass(frozen=True)
class Measure:
    """A figure across uncertainty points: the share meeting a condition, or the mean of a term."""

    kind: str  # "share" or "mean"
    term: Term
    condition: Condition | None = None  # for "share"

    @property
    def text(self) -> str:
        inner = self.condition.text if self.condition else self.term.text
        return f"{self.kind}({inner})"

    def labels(self) -> tuple[str, str, str]:
        """(Chinese, English, unit) of the measure."""
        zh, en, unit = self.term.labels()
        if self.kind == "mean":
            return f"{zh}均值", f"{en} (mean over points)", unit
        assert self.condition is not None
        threshold = number_text(self.condition.threshold)
        return (
            f"{zh}{self.condition.op} {threshold}的点位比例",
            f"share of points where {en} {self.condition.op} {threshold}",
            "share",
        )

    def of(self, per_point: np.ndarray) -> np.ndarray:
        """The measure of each candidate from its term's values at each point (rows: candidates, columns: points)."""
        import numpy as np

        per_point = np.atleast_2d(np.asarray(per_point, dtype=float))
        if self.kind == "mean":
            return per_point.mean(axis=1)
        assert self.condition is not None
        return self.condition.met(per_point).mean(axis=1)


def parse_measure(text: str, where: str, key: str, end: int | None = None) -> Measure:
    """``share(CONDITION)``, ``mean(TERM)`` or a bare TERM (its mean)."""
    text = _normal(text)
    match = re.fullmatch(r"(\w+)\s*\((.*)\)", text)
    if not match:
        return Measure("mean", parse_term(text, where, key, end))
    kind, inner = match.group(1), match.group(2)
    if kind == "share":
        condition = parse_condition(inner, where, key, end)
        assert condition.term is not None
        return Measure("share", condition.term, condition)
    if kind == "mean":
        return Measure("mean", parse_term(inner, where, key, end))
    raise CriterionError(where, key, text, MEASURE_HELP)


@dataclass(frozen=True)
class Objective:
    """``min MEASURE`` or ``max MEASURE``."""

    sense: str  # "min" or "max"
    measure: Measure

    @property
    def text(self) -> str:
        return f"{self.sense} {self.measure.text}"

    def minimised(self, values: np.ndarray) -> np.ndarray:
        """The values as a quantity to minimise (a maximised measure negated)."""
        return values if self.sense == "min" else -values


def parse_objective(text: str, where: str, key: str, end: int | None = None) -> Objective:
    """``min MEASURE`` or ``max MEASURE``."""
    text = _normal(text)
    sense, _, rest = text.partition(" ")
    if sense not in ("min", "max") or not rest:
        raise CriterionError(where, key, text, f"min MEASURE or max MEASURE, where MEASURE is {MEASURE_HELP}")
    return Objective(sense, parse_measure(rest, where, key, end))


@dataclass(frozen=True)
class Requirement:
    """``MEASURE OP NUMBER``: a hard constraint of the search, or what its answer reports on."""

    measure: Measure
    op: str
    bound: float

    @property
    def text(self) -> str:
        bound = f"{self.bound:.0%}" if self.measure.kind == "share" else number_text(self.bound)
        return f"{self.measure.text} {self.op} {bound}"

    def violation(self, values: np.ndarray) -> np.ndarray:
        """How far each candidate's measure falls short (≤ 0: met), in the measure's units."""
        import numpy as np

        values = np.asarray(values, dtype=float)
        short = self.bound - values if self.op[0] == ">" else values - self.bound
        if len(self.op) == 1:  # a strict comparison: equality falls short by a hair
            short = np.where(short == 0, np.finfo(float).eps, short)
        return short

    def met(self, values: np.ndarray) -> np.ndarray:
        return self.violation(values) <= 0


def parse_requirement(text: str, where: str, key: str, end: int | None = None) -> Requirement:
    """``MEASURE OP NUMBER``; a share's bound is a fraction (``80%`` or ``0.8``)."""
    text = _normal(text)
    match = re.fullmatch(rf"(.+?)\s*({OP})\s*({NUMBER})", text)
    if not match:
        raise CriterionError(where, key, text, "MEASURE OP NUMBER, e.g. share(haimen_population@2025 >= 110万) >= 80%")
    measure = parse_measure(match.group(1), where, key, end)
    bound = parse_number(match.group(3), where, key)
    if measure.kind == "share" and not 0 <= bound <= 1:
        raise CriterionError(where, key, text, "a share's bound is from 0 to 1 (or 0% to 100%)")
    return Requirement(measure, match.group(2), bound)

"""The declared outcomes of a run (``environment/data/outcomes.toml``), computed as the model records each year.

One declaration per outcome (key, unit, names in both languages, how it is
computed); the model's reporters, sweeps, the comparison report, sensitivity
analysis, the web page and Mesa's ``batch_run`` read the same list. The model
computes a year's outcomes from that year's rows as it records them
(:meth:`Outcome.in_year`) and keeps every year's:

>>> model.outcomes()   # columns year, outcome, value
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np

from environment.inputs import read_toml
from environment.places import area_places, places
from environment.targets import targets

KEYS = {
    "name_zh",
    "name_en",
    "unit",
    "from",
    "places",
    "place_column",
    "since",
    "by",
    "target",
    "year",
    "sensitivity",
    "optional",
}


@dataclass(frozen=True)
class Outcome:
    """A declared outcome: a figure per year computed from one column of a run's tables."""

    key: str
    name_zh: str
    name_en: str
    unit: str
    table: str
    column: str
    places: str = ""
    place_column: str = ""  # the column ``places`` selects rows by (default: place, else destination)
    since: int | None = None
    by: str = ""
    target: str = ""
    year: int | None = None
    sensitivity: bool = False
    optional: bool = False

    @property
    def label(self) -> str:
        """Bilingual label for tables and plots."""
        return f"{self.name_zh} {self.name_en}"

    def headline_year(self, last: int) -> int:
        """The year reports and sensitivity read it at: declared, else its target's, else the run's last (capped)."""
        year = self.year or (targets()[self.target].year if self.target else None) or last
        return min(year, last)

    def in_year(
        self, now: Mapping[str, Mapping[str, Sequence]], year: int, census: Mapping[str, Sequence], last: int
    ) -> dict[str, float]:
        """This outcome (its ``by`` breakdown, its gap in the target's year) for one year, from that year's rows.

        ``now`` holds the year's rows of each table as columns (lists or numpy arrays); ``census`` the yearly
        table's census-year rows (for ``since``); ``last`` is the run's last year (where targets without a year
        are read). Numpy, cheap enough to report every step; only the columns it reads are converted.
        """
        columns = now.get(self.table)
        if not columns or len(columns["year"]) == 0:
            return {}
        values = np.asarray(columns[self.column], dtype=float)
        groups = np.asarray(columns[self.by]) if self.by else None
        base = census_groups = None
        if self.since is not None:
            base = np.asarray(census[self.column], dtype=float)
            census_groups = np.asarray(census[self.by]) if self.by else None
        if self.places:
            column = self.place_column or ("place" if "place" in columns else "destination")
            chosen = _in_area(columns[column], self.places)
            values, groups = values[chosen], (groups[chosen] if self.by else None)
            if base is not None:
                in_census = _in_area(census["place"], self.places)
                base, census_groups = base[in_census], (census_groups[in_census] if self.by else None)
        value = _total(values)
        if base is not None:
            value = 0.0 if year == self.since else value - _total(base)
        out = {self.key: value}
        if self.by:
            for group, part in _totals_by(values, groups).items():
                if base is not None:
                    part = 0.0 if year == self.since else part - _total(base[census_groups == group])
                out[f"{self.key}_{self.by}_{_tag(group)}"] = part
        if self.target and (targets()[self.target].year or last) == year:
            out[f"{self.key}_gap"] = value - targets()[self.target].value
        return out


def _total(values: np.ndarray) -> float:
    """Sum ignoring NaN; NaN when there is no number at all (as pandas' ``sum(min_count=1)``)."""
    if len(values) == 1:  # one value (a summary figure): itself (plus 0, as a sum gives it: -0 is 0), or NaN
        return float(values[0] + 0.0)
    total = values.sum()
    if len(values) and not np.isnan(total):  # no NaN among them: those present are all, summed alike
        return float(total)
    present = values[~np.isnan(values)]
    return float(present.sum()) if len(present) else float("nan")


def _totals_by(values: np.ndarray, groups: np.ndarray) -> dict:
    """:func:`_total` of the values of each group, in the groups' sorted order: each group's values gathered in row
    order (a stable sort, not a comparison per group), the same numbers summed alike."""
    listed = groups.tolist()  # few labels (places, measures): sorted and numbered in Python, as np.unique would
    labels = sorted(set(listed))
    number = {label: i for i, label in enumerate(labels)}
    code = np.fromiter(map(number.__getitem__, listed), dtype=np.intp, count=len(listed))
    present = ~np.isnan(values)
    values, code = values[present], code[present]
    ordered = values[np.argsort(code, kind="stable")]
    ends = np.cumsum(np.bincount(code, minlength=len(labels))).tolist()
    return {
        group: float(ordered[start:end].sum()) if end > start else float("nan")
        for group, start, end in zip(labels, [0, *ends[:-1]], ends, strict=True)
    }


@cache
def _area_keys(area: str) -> frozenset[str]:
    """An area's place keys, as a set."""
    return frozenset(area_places(area))


def _in_area(labels: Sequence[str], area: str) -> np.ndarray:
    """Whether each place key in ``labels`` is one of an area's places (as ``np.isin``, without sorting)."""
    keys = _area_keys(area)
    return np.fromiter(map(keys.__contains__, labels), dtype=bool, count=len(labels))


def _tag(value) -> str:
    return f"{int(value):02d}" if isinstance(value, int | np.integer) else str(value)


@cache
def registry() -> dict[str, Outcome]:
    """Every declared outcome by key, checked against the tables' vocabulary and the targets."""
    out = {}
    zones = set(places().zones) | {"haimen"}
    for key, d in read_toml("outcomes.toml").items():
        unknown = set(d) - KEYS
        if unknown:
            raise ValueError(f"outcomes.toml: [{key}] unknown keys {sorted(unknown)}; allowed: {sorted(KEYS)}")
        table, _, column = d["from"].partition(".")
        if d.get("places", "haimen") not in zones:
            raise ValueError(f"outcomes.toml: [{key}] places = {d['places']!r}: one of {sorted(zones)}")
        if d.get("target") and d["target"] not in targets():
            raise ValueError(f"outcomes.toml: [{key}] target = {d['target']!r}: one of {sorted(targets())}")
        out[key] = Outcome(
            key=key,
            name_zh=d["name_zh"],
            name_en=d["name_en"],
            unit=d["unit"],
            table=table,
            column=column,
            places=d.get("places", ""),
            place_column=d.get("place_column", ""),
            since=d.get("since"),
            by=d.get("by", ""),
            target=d.get("target", ""),
            year=d.get("year"),
            sensitivity=d.get("sensitivity", False),
            optional=d.get("optional", False),
        )
    return out


OUTCOMES: Mapping[str, Outcome] = registry()


def owner(key: str) -> Outcome:
    """The declared outcome an outcome key comes from (itself, its ``_gap`` or a ``by`` breakdown)."""
    if key in OUTCOMES:
        return OUTCOMES[key]
    for o in OUTCOMES.values():
        if (key == f"{o.key}_gap" and o.target) or (o.by and key.startswith(f"{o.key}_{o.by}_")):
            return o
    raise KeyError(f"{key!r}: not a declared outcome (see environment/data/outcomes.toml)")


def describe(key: str) -> tuple[str, str, str]:
    """(Chinese name, English name, unit) of an outcome key, including ``_gap`` and ``by`` breakdowns."""
    o = owner(key)
    if key == o.key:
        return o.name_zh, o.name_en, o.unit
    if key == f"{o.key}_gap":
        return f"{o.name_zh}差距", f"{o.name_en}: gap to target", o.unit
    part = key.removeprefix(f"{o.key}_{o.by}_")
    if o.by == "measure":
        return f"{o.name_zh}(措施{part})", f"{o.name_en} (measure {part})", o.unit
    return f"{o.name_zh}({part})", f"{o.name_en} ({part})", o.unit

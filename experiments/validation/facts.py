"""The validation's comparisons with the facts: declared in ``experiments/data/validation_facts.toml``, computed here.

Each comparison reads an observed value (:func:`observed_value`: a fact of ``facts.csv``, a percentage or growth
between two, or a derived table's figure) and a model quantity (:func:`model_values`: a summary column, an age
share, a crude rate, growth since the census, or a life-table figure of the vital rates), each kind defined once
below. The file's header says every key.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from agents.demography import VitalRates
from environment.demography_inputs import BAND_STARTS, age_structure_2020, band_label, vital_rates
from environment.inputs import CENSUS_YEAR, fact

FACTS_FILE = Path(__file__).resolve().parents[1] / "data" / "validation_facts.toml"
FITTED, VALIDATION, NEIGHBOUR, NOT_COMPARABLE = "fitted", "validation", "neighbour check", "not comparable"
KINDS = (FITTED, VALIDATION, NEIGHBOUR, NOT_COMPARABLE)
FITTED_BY = ("raking margin", "calibration target", "declared level", "post-2020 pull")
BASES = ("resident", "registered")
RELATIVE_TO = ("observed", "decade growth")
EACH = ("five-year band", "vital-rate year")
OBSERVED = {  # how an observed value is read: its key, and the other keys it may have
    "fact": ("percent_of", "growth_since"),
    "age_structure": ("band",),
    "vital_rate": ("year",),
}
MODEL = {  # the model quantities: their key, and the other keys they may have
    "summary": ("year", "times", "percent_of"),
    "age_share": ("sex",),
    "crude_rate": ("year",),
    "growth_since_census": (),
    "yearly_growth": (),
    "life_expectancy": ("year",),
    "total_fertility": (),
}
LIFE_EXPECTANCY = ("both", "men", "women")  # the order of life_expectancy()'s figures
COLUMNS = [
    "group",
    "fact",
    "source",
    "observed",
    "model",
    "model_sd",
    "band_low",
    "band_high",
    "error",
    "relative_error",
    "unit",
    "kind",
    "note",
    "basis",
    "fitted_by",
]


@dataclass(frozen=True)
class Comparison:
    """One declared comparison (a ``[[comparison]]`` of the facts file)."""

    group: str
    fact: str
    source: str
    observed: dict[str, Any]
    model: dict[str, Any]
    kind: str
    unit: str = ""
    basis: str = "resident"
    fitted_by: str = ""
    note: str = ""
    relative_to: str = "observed"
    each: str = ""


@dataclass(frozen=True)
class Runs:
    """The runs a comparison reads: one summary and one ages table per seed, and the vital rates they ran with."""

    summaries: Sequence[pd.DataFrame]
    ages: Sequence[pd.DataFrame]
    rates: VitalRates

    @property
    def last(self) -> int:
        """The runs' last year."""
        return int(self.summaries[0].year.max())


class FactsFileError(ValueError):
    """A mistake in the facts file: which comparison, key and value, and what is allowed."""


@cache
def comparisons(path: Path = FACTS_FILE) -> tuple[Comparison, ...]:
    """The declared comparisons, checked (:class:`FactsFileError` names the first mistake)."""
    with open(path, "rb") as f:
        declared = tomllib.load(f).get("comparison", [])
    known = {f.name for f in fields(Comparison)}
    out = []
    for i, entry in enumerate(declared, start=1):
        where = f"{path.name}: comparison {i} ({entry.get('fact', '?')})"

        def wrong(key: str, value: Any, allowed: str, where: str = where) -> FactsFileError:
            return FactsFileError(f"{where}: {key} = {value!r}; allowed: {allowed}")

        for key in entry:
            if key not in known:
                raise wrong(key, entry[key], ", ".join(sorted(known)))
        for key in ("group", "fact", "source", "observed", "model", "kind"):
            if key not in entry:
                raise wrong(key, None, "a value (required)")
        c = Comparison(**entry)
        for key, allowed in (("kind", KINDS), ("basis", BASES), ("relative_to", RELATIVE_TO), ("each", ("", *EACH))):
            if getattr(c, key) not in allowed:
                raise wrong(key, getattr(c, key), " | ".join(allowed))
        if (c.kind == FITTED) != bool(c.fitted_by) or (c.fitted_by and c.fitted_by not in FITTED_BY):
            raise wrong("fitted_by", c.fitted_by, f"for fitted facts only: {' | '.join(FITTED_BY)}")
        for key, readings in (("observed", OBSERVED), ("model", MODEL)):
            spec = getattr(c, key)
            chosen = [k for k in spec if k in readings]
            if len(chosen) != 1 or set(spec) - {chosen[0], *readings[chosen[0]]}:
                allowed = "; ".join(f"{k} [with {', '.join(v)}]" if v else k for k, v in readings.items())
                raise wrong(key, spec, f"one of {allowed}")
        out.append(c)
    return tuple(out)


def expanded(declared: Sequence[Comparison], last: int) -> list[Comparison]:
    """The comparisons one by one: each ``each`` expanded (consecutive ones with the same ``each`` alternating
    item by item) and ``{band}``, ``{year}``, ``{last}`` filled in."""
    out: list[Comparison] = []
    i = 0
    while i < len(declared):
        run = [declared[i]]
        while run[0].each and i + len(run) < len(declared) and declared[i + len(run)].each == run[0].each:
            run.append(declared[i + len(run)])
        items: list[dict[str, Any]] = [{}]
        if run[0].each == "five-year band":
            items = [{"band": band_label(lo)} for lo in BAND_STARTS]
        elif run[0].each == "vital-rate year":
            items = [{"year": year} for year in vital_rates()]
        out += [_filled(c, item | {"last": last}) for item in items for c in run]
        i += len(run)
    return out


def _filled(c: Comparison, item: dict[str, Any]) -> Comparison:
    """``c`` with ``{name}`` filled in from ``item`` in its text, and spec values ``"{name}"`` replaced by it."""

    def value(v: Any) -> Any:
        if isinstance(v, str) and v.startswith("{") and v.endswith("}") and v[1:-1] in item:
            return item[v[1:-1]]
        return v

    def text(s: str) -> str:
        return s.format(**item) if "{" in s else s

    return replace(
        c,
        fact=text(c.fact),
        source=text(c.source),
        note=text(c.note),
        observed={k: value(v) for k, v in c.observed.items()},
        model={k: value(v) for k, v in c.model.items()},
    )


# ---------------------------------------------------------------------------------------------- observed values
def _fact(ref: str | list) -> float:
    """A fact by key (Haimen, 2020) or by [key, place, year]."""
    return fact(ref) if isinstance(ref, str) else fact(*ref)


def observed_value(spec: dict[str, Any]) -> float:
    """The observed value a comparison's ``observed`` reads."""
    if "fact" in spec:
        value = _fact(spec["fact"])
        if "percent_of" in spec:
            return 100 * value / _fact(spec["percent_of"])
        if "growth_since" in spec:
            return 100 * (value / _fact(spec["growth_since"]) - 1)
        return value
    if "age_structure" in spec:
        target = age_structure_2020()
        i = [band_label(lo) for lo in BAND_STARTS].index(spec["band"])
        return 100 * getattr(target, spec["age_structure"])[i] / target.persons.sum()
    return getattr(vital_rates()[spec["year"]], spec["vital_rate"])


def decade_growth() -> float:
    """Haimen's resident population growth 2010–2020 (%/yr, facts)."""
    return fact("pop_growth_rate_annual", "Haimen", "2010-2020")


# ---------------------------------------------------------------------------------------------- model quantities
def model_year(spec: dict[str, Any]) -> int | None:
    """The year a run-based quantity reads (None: the census year, the last year or the vital rates)."""
    if "summary" in spec or "crude_rate" in spec:
        return int(spec["year"])
    return int(spec["growth_since_census"]) if "growth_since_census" in spec else None


def model_values(spec: dict[str, Any], runs: Runs) -> list[float]:
    """The model quantity a comparison's ``model`` names: one value per run, or one from the vital rates."""
    if "life_expectancy" in spec:
        return [runs.rates.period_life_expectancy(spec["year"])[LIFE_EXPECTANCY.index(spec["life_expectancy"])]]
    if "total_fertility" in spec:
        return [runs.rates.total_fertility(spec["total_fertility"])]
    if "age_share" in spec:
        return [_age_share(a[a.year == CENSUS_YEAR], spec["age_share"], spec.get("sex")) for a in runs.ages]
    out = []
    for summary in runs.summaries:
        s = summary.set_index("year")
        population = s.haimen_population
        if "summary" in spec:
            value = s.loc[spec["year"], spec["summary"]]
            out.append(
                100 * value / _fact(spec["percent_of"]) if "percent_of" in spec else value * spec.get("times", 1.0)
            )
        elif "crude_rate" in spec:  # per mille of the population at the year's start
            year = spec["year"]
            out.append(1000 * s.loc[year, spec["crude_rate"]] / s.loc[year - 1, "haimen_population"])
        elif "growth_since_census" in spec:
            out.append(100 * (population[spec["growth_since_census"]] / population[CENSUS_YEAR] - 1))
        else:  # yearly growth from the census to the last year
            last = runs.last
            out.append(100 * ((population[last] / population[CENSUS_YEAR]) ** (1 / (last - CENSUS_YEAR)) - 1))
    return out


def _age_share(ages: pd.DataFrame, group: str, sex: str | None) -> float:
    """The share (%) of the people of an ages table in the bands starting within ``group`` ("0-14", "60+", "25-29",
    "all"), of one ``sex`` if given."""
    lower = ages.age_band.str.extract(r"^(\d+)")[0].astype(int)
    if group == "all":
        chosen = pd.Series(True, index=ages.index)
    else:
        lo, _, hi = group.rstrip("+").partition("-")
        chosen = (lower >= int(lo)) & (lower <= (int(hi) if hi else lower.max()))
    if sex is not None:
        chosen &= ages.sex == sex
    return 100 * ages.people[chosen].sum() / ages.people.sum()


# ---------------------------------------------------------------------------------------------- the table
def compare(runs: Runs, declared: Sequence[Comparison] | None = None) -> pd.DataFrame:
    """Every declared comparison the runs reach, as rows of :data:`COLUMNS` (the parameter band's columns empty)."""
    rows = []
    for c in expanded(comparisons() if declared is None else declared, runs.last):
        year = model_year(c.model)
        if year is not None and year > runs.last:
            continue
        observed = observed_value(c.observed)
        reference = observed if c.relative_to == "observed" else decade_growth() * (year - CENSUS_YEAR)
        rows.append(_row(c, observed, model_values(c.model, runs), reference))
    return pd.DataFrame(rows, columns=COLUMNS)


def _row(c: Comparison, observed: float, values: list[float], reference: float) -> dict[str, Any]:
    """One comparison's row: the model's mean and sd over the runs, the error and the relative error."""
    values = np.atleast_1d(np.asarray(values, dtype=float))
    model = float(values.mean())
    sd = float(values.std(ddof=1)) if len(values) > 1 else float("nan")
    error = model - observed
    return {
        "group": c.group,
        "fact": c.fact,
        "source": c.source,
        "observed": observed,
        "model": model,
        "model_sd": sd,
        "band_low": float("nan"),
        "band_high": float("nan"),
        "error": error,
        "relative_error": error / reference if reference else float("nan"),
        "unit": c.unit,
        "kind": c.kind,
        "note": c.note,
        "basis": c.basis,
        "fitted_by": c.fitted_by,
    }

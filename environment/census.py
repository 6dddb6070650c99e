"""The census a run starts from: its margins for the synthetic population, and the outside places' populations.

Every run starts from a census (the run option ``start``): 2020 for every forward run, 2010 for the backcast
(2010 → 2020, which the free constants are calibrated on). Each census year's margins are declared in
``data/census_margins.toml``: a margin names a fact of ``facts.csv`` or, where the census figure was not found,
is an assumption with its range (Haimen's 2010 collective-household population). :func:`margins` gives one year's,
with the five-year age table rescaled to them and the people per residence alternative; the synthesis
(``agents/census_population.py``) rakes household weights to them exactly.

The outside places' populations (:func:`outside_population`) are each census year's, geometric in between: they
size the yearly pools of potential movers, so every scenario faces the same pools.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from environment.demography_inputs import BAND_STARTS, BROAD_GROUPS, AgeStructure, haimen_broad_groups, read_ages
from environment.inputs import fact, place_value, read_toml
from environment.places import place_values, places

MARGINS_FILE = "census_margins.toml"


@cache
def _declared() -> dict[int, dict[str, Any]]:
    return {int(year): table for year, table in read_toml(MARGINS_FILE).items()}


def census_years() -> tuple[int, ...]:
    """The census years a run may start from (those with declared margins), in order."""
    return tuple(sorted(_declared()))


def _value(year: int, entry: Any) -> float:
    """A margin's value: a fact of Haimen in ``year`` (a key) or an assumption's ``value``."""
    return fact(entry, "Haimen", year) if isinstance(entry, str) else float(entry["value"])


@dataclass(frozen=True)
class Margins:
    """One census year's totals for Haimen (people, or households), exact margins of the synthesis.

    ``ages`` holds persons and men per five-year band (summing to ``persons`` and ``male``), ``groups`` the
    persons in the census broad groups (``age_0_14``, ``age_15_59``, ``age_60_64``, ``age_65_plus``) and
    ``alternatives`` the persons per residence alternative, float[alt] (0 outside Haimen).
    """

    year: int
    persons: float
    urban: float
    male: float
    collective_persons: float
    family_households: float
    ages: AgeStructure
    groups: dict[str, float]
    alternatives: np.ndarray

    @property
    def family_persons(self) -> float:
        """Persons in family households."""
        return self.persons - self.collective_persons


@cache
def margins(year: int) -> Margins:
    """The declared margins of the census of ``year`` (KeyError if none are declared)."""
    d = _declared()[year]
    persons = _value(year, d["persons"])
    urban = _value(year, d["urban"])
    male = _value(year, d["male"])
    if "collective_persons" in d:
        collective = _value(year, d["collective_persons"])
    else:
        collective = _value(year, d["collective_share"]) * persons
    if "family_households" in d:
        households = _value(year, d["family_households"])
    else:
        households = (persons - collective) / _value(year, d["family_household_size"])
    ages, groups = _ages(year, d, persons, male)
    alternatives = _alternatives(d["units"], persons, urban)
    alternatives.flags.writeable = False
    return Margins(year, persons, urban, male, collective, households, ages, groups, alternatives)


def _ages(year: int, d: dict[str, Any], persons: float, male: float) -> tuple[AgeStructure, dict[str, float]]:
    """The year's five-year table rescaled to its margins, and the persons in the census broad groups.

    Persons are rescaled within the census's published broad groups (facts) if it has them, else to the
    persons; men to the census men.
    """
    table = read_ages(d["age_structure"])
    people = table.persons.copy()
    starts = np.array(BAND_STARTS)
    if d["age_groups"]:
        groups = haimen_broad_groups(year)
        for name, lo, hi in BROAD_GROUPS:
            group = (starts >= lo) & (starts <= hi)
            people[group] *= groups[name] / people[group].sum()
    else:
        people *= persons / people.sum()
        groups = {name: float(people[(starts >= lo) & (starts <= hi)].sum()) for name, lo, hi in BROAD_GROUPS}
    men = table.men * male / table.men.sum()
    return AgeStructure(people, men), groups


def _alternatives(units: str | int, persons: float, urban: float) -> np.ndarray:
    """Persons per residence alternative (0 outside Haimen), summing to ``persons`` with ``urban`` in urban parts.

    ``"place_inputs"``: the units' assumed populations are rescaled to the total and their assumed urban shares
    shifted (in log-odds, one shift for all) so the urban total holds. A census year: that year's urban parts
    scaled to ``urban``, its rural parts to the rest (the units' shares moved along the urbanization between).
    """
    pl = places()
    if units != "place_inputs":
        base = margins(int(units)).alternatives
        urban_part = pl.alt_in_haimen & pl.alt_urban
        rural_part = pl.alt_in_haimen & ~pl.alt_urban
        out = np.zeros(pl.n_alt)
        out[urban_part] = base[urban_part] * urban / base[urban_part].sum()
        out[rural_part] = base[rural_part] * (persons - urban) / base[rural_part].sum()
        return out
    pops = np.array([place_value("population", pl.keys[p], True) for p in pl.haimen])
    pops *= persons / pops.sum()
    shares = np.array([place_value("urban_share", pl.keys[p], True) for p in pl.haimen])
    lo, hi = -10.0, 10.0
    for _ in range(200):  # bisection on the common log-odds shift
        mid = (lo + hi) / 2
        urban_pops = pops / (1 + (1 - shares) / shares * np.exp(-mid))
        lo, hi = (mid, hi) if urban_pops.sum() < urban else (lo, mid)
    out = np.zeros(pl.n_alt)
    out[pl.alt(pl.haimen, True)] = urban_pops
    out[pl.alt(pl.haimen, False)] = pops - urban_pops
    return out


@cache
def outside_population(year: int) -> np.ndarray:
    """Residents of the places outside Haimen in ``year``, float[place] (0 for Haimen's units; read-only).

    Each census year's (its ``outside_population`` variable of ``place_inputs.csv``), geometric between two
    censuses, the first census's before it and the last one's after it.
    """
    years = census_years()
    at = {y: place_values(_declared()[y]["outside_population"], outside_only=True) for y in years}
    if year <= years[0] or year >= years[-1]:
        return at[years[0] if year <= years[0] else years[-1]]
    before = max(y for y in years if y <= year)
    after = min(y for y in years if y > year)
    share = (year - before) / (after - before)
    between = at[before] * np.divide(at[after], at[before], out=np.ones_like(at[before]), where=at[before] > 0) ** share
    between.flags.writeable = False
    return between

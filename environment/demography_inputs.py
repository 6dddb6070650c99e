"""Demographic inputs derived from sourced facts: the 2020 five-year age structure and the vital-rate series.

Two derived tables live in ``data/`` with their derivation in every row; the
functions ``derive_*`` recompute them from ``facts.csv`` (the tests check that
the files and the facts agree; ``scripts/derive_demography_targets.py`` writes them).

* ``age_structure_2020.csv``: Haimen's 2020 persons by five-year band (0–4 …
  80–84, 85+) and sex. Haimen's (and Nantong's) own five-year census table was
  not found, so within each of Haimen's published broad groups (0–14, 15–59,
  60–64, 65+; census totals kept exactly) the persons are split over the bands
  in proportion to Jiangsu's 2020 census (中国人口普查年鉴-2020 表1-5). Men per
  band follow Jiangsu's male fraction of that band, scaled by one factor so the
  total equals Haimen's census men.
* ``vital_rates.csv``: Haimen's crude birth and death rates (‰, resident basis
  as the model counts them) for each year after the census with data. Haimen's
  and Nantong's 2020–2024 rates were not found; each year's rate is Haimen's
  published 2019 rate times Jiangsu's rate that year relative to Jiangsu's 2019
  rate (Jiangsu's 2023 rates were not found: Jiangsu's 2022 rate times China's
  2023/2022 ratio). The early-2023 excess deaths enter through that ratio.

The fertility *shape* is China's 2020 age-specific fertility (derived from the
census long-form table, facts ``asfr_*``), constant within each five-year group.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from environment.inputs import CENSUS_YEAR, constant, fact, read_csv

BAND_STARTS: tuple[int, ...] = tuple(range(0, 90, 5))  # 0–4 … 80–84, 85+
BROAD_GROUPS: tuple[tuple[str, int, int], ...] = (  # (name, first age, last age) of the census groups
    ("age_0_14", 0, 14),
    ("age_15_59", 15, 59),
    ("age_60_64", 60, 64),
    ("age_65_plus", 65, constant("max_age")),
)
PROFILE_PLACE = "Jiangsu"  # whose five-year profile is used within Haimen's broad groups
RATE_TREND_PLACE, RATE_GAP_PLACE, RATE_BASE_YEAR = "Jiangsu", "China", 2019
ASFR_BANDS: tuple[int, ...] = tuple(range(15, 50, 5))


def band_label(lo: int) -> str:
    """'0-4' … '80-84', '85+'."""
    return f"{lo}+" if lo == BAND_STARTS[-1] else f"{lo}-{lo + 4}"


def band_key(lo: int) -> str:
    return "85plus" if lo == BAND_STARTS[-1] else f"{lo}_{lo + 4}"


def band_of_age(age: np.ndarray) -> np.ndarray:
    """Index of each age's five-year band (int array)."""
    return np.minimum(np.asarray(age) // 5, len(BAND_STARTS) - 1).astype(np.int64)


def haimen_broad_groups() -> dict[str, float]:
    """Haimen's 2020 census persons in the broad groups 0–14, 15–59, 60–64, 65+ (facts)."""
    return {
        "age_0_14": fact("pop_age_0_14"),
        "age_15_59": fact("pop_age_15_59"),
        "age_60_64": fact("pop_age_60plus") - fact("pop_age_65plus"),
        "age_65_plus": fact("pop_age_65plus"),
    }


@dataclass(frozen=True)
class AgeStructure:
    """Persons by five-year band (both sexes) and men by band, float[band]."""

    persons: np.ndarray
    men: np.ndarray

    @property
    def shares(self) -> np.ndarray:
        return self.persons / self.persons.sum()


def derive_age_structure() -> AgeStructure:
    """Haimen's 2020 persons per five-year band: Jiangsu's profile within Haimen's census broad groups."""
    male = np.array([fact(f"pop_male_age_{band_key(lo)}", PROFILE_PLACE, 2020) for lo in BAND_STARTS])
    female = np.array([fact(f"pop_female_age_{band_key(lo)}", PROFILE_PLACE, 2020) for lo in BAND_STARTS])
    both = male + female
    starts = np.array(BAND_STARTS)
    persons = np.zeros(len(BAND_STARTS))
    for name, lo, hi in BROAD_GROUPS:
        group = (starts >= lo) & (starts <= hi)
        persons[group] = haimen_broad_groups()[name] * both[group] / both[group].sum()
    men = persons * male / both
    men *= fact("pop_male") / men.sum()
    return AgeStructure(persons, men)


@cache
def age_structure_2020() -> AgeStructure:
    """The target 2020 structure as written in ``data/age_structure_2020.csv``."""
    rows = read_csv("age_structure_2020.csv")
    return AgeStructure(
        np.array([float(r["persons"]) for r in rows]),
        np.array([float(r["men"]) for r in rows]),
    )


@dataclass(frozen=True)
class RateYear:
    """Haimen's crude rates for one year (per mille) and how they were obtained."""

    year: int
    birth_rate: float
    death_rate: float
    basis: str


def _trend_rate(key: str, year: int) -> tuple[float, str]:
    """Jiangsu's rate in ``year`` (China's year-on-year change where Jiangsu's is missing), and how."""
    try:
        return fact(key, RATE_TREND_PLACE, year), f"{RATE_TREND_PLACE} {year}"
    except KeyError:
        previous, how = _trend_rate(key, year - 1)
        ratio = fact(key, RATE_GAP_PLACE, year) / fact(key, RATE_GAP_PLACE, year - 1)
        return previous * ratio, f"{how} × {RATE_GAP_PLACE} {year}/{year - 1}"


def derive_vital_rates(last_year: int = 2024) -> list[RateYear]:
    """Haimen's crude rates for CENSUS_YEAR+1 … ``last_year``: its 2019 rate × Jiangsu's change since 2019."""
    out = []
    for year in range(CENSUS_YEAR + 1, last_year + 1):
        rates, how = {}, {}
        for key in ("birth_rate", "death_rate"):
            value, how[key] = _trend_rate(key, year)
            rates[key] = fact(key, "Haimen", RATE_BASE_YEAR) * value / fact(key, RATE_TREND_PLACE, RATE_BASE_YEAR)
        basis = (
            f"derived: Haimen 2019 × ({how['birth_rate']}) / {RATE_TREND_PLACE} 2019 for births; "
            f"Haimen 2019 × ({how['death_rate']}) / {RATE_TREND_PLACE} 2019 for deaths"
        )
        out.append(RateYear(year, rates["birth_rate"], rates["death_rate"], basis))
    return out


@cache
def vital_rates() -> dict[int, RateYear]:
    """The yearly target rates as written in ``data/vital_rates.csv``, by year."""
    return {
        int(r["year"]): RateYear(int(r["year"]), float(r["birth_rate"]), float(r["death_rate"]), r["basis"])
        for r in read_csv("vital_rates.csv")
    }


def asfr_by_age(max_age: int) -> np.ndarray:
    """China's 2020 age-specific fertility (births per woman per year) by single year of age, float[age]."""
    out = np.zeros(max_age + 1)
    for lo in ASFR_BANDS:
        out[lo : lo + 5] = fact(f"asfr_{lo}_{lo + 4}", "China", 2020) / 1000
    return out

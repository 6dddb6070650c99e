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
* ``vital_rates.csv``: Haimen's crude birth and death rates (‰) for each year
  after the census with data, on the registered basis of its 2019 rates (the
  deaths a lower bound; the model's mortality is set by life expectancy, its
  fertility by ``total_fertility.csv``). Haimen's
  and Nantong's 2020–2024 rates were not found; each year's rate is Haimen's
  published 2019 rate times Jiangsu's rate that year relative to Jiangsu's 2019
  rate (Jiangsu's 2023 rates were not found: Jiangsu's 2022 rate times China's
  2023/2022 ratio). The early-2023 excess deaths enter through that ratio.

* ``total_fertility.csv``: Haimen's total fertility rate (children per woman)
  each year from 2010, the *level* of the model's fertility. Where Haimen's
  births are sourced (2019: 6,682 registered births) or derived (2020–2024: the
  crude rates above) it is the rate they imply on Haimen's 2020 women of the
  age structure above, by indirect standardisation on China's 2020
  age-specific fertility: TFR = TFR_China × births / births expected at China's
  rates. 2010 is Jiangsu's indirect estimate (Haimen's own NOT FOUND); the
  years between 2010 and 2019 are interpolated (the 2016–17 two-child peak is
  not represented: Haimen's births in those years NOT FOUND).

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
FERTILITY_FIRST_YEAR = 2010  # the total-fertility path starts here (the 2010 census)
FERTILITY_ANCHOR = ("tfr_indirect_estimate", "Jiangsu", FERTILITY_FIRST_YEAR)  # its first value (facts)


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


def derive_vital_rates(last_year: int = 2024, first_year: int = CENSUS_YEAR + 1) -> list[RateYear]:
    """Haimen's crude rates for ``first_year`` … ``last_year``: its 2019 rate × Jiangsu's change since 2019."""
    out = []
    for year in range(first_year, last_year + 1):
        rates, how = {}, {}
        for key in ("birth_rate", "death_rate"):
            value, how[key] = _trend_rate(key, year)
            rates[key] = fact(key, "Haimen", RATE_BASE_YEAR) * value / fact(key, RATE_TREND_PLACE, RATE_BASE_YEAR)
        basis = (
            f"derived: Haimen 2019 × ({how['birth_rate']}) / {RATE_TREND_PLACE} 2019 for births; "
            f"Haimen 2019 × ({how['death_rate']}) / {RATE_TREND_PLACE} 2019 for deaths. Haimen's 2019 rates are "
            "registered (户籍): its deaths are a lower bound (on Haimen's census ages 9.6 ‰ means a life expectancy "
            "near 81.5, above the census-adjusted 79.58 of Nantong; see parameter life_expectancy_2020)"
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


def _china_asfr() -> np.ndarray:
    """China's 2020 age-specific fertility by five-year band 15–19 … 45–49 (births per woman per year)."""
    return np.array([fact(f"asfr_{lo}_{lo + 4}", "China", 2020) / 1000 for lo in ASFR_BANDS])


def implied_total_fertility(births: float, women: np.ndarray | None = None) -> float:
    """The total fertility rate (children per woman) that ``births`` a year imply on ``women`` by five-year band
    (0–4 … 85+; default Haimen's 2020 women of ``age_structure_2020.csv``).

    Indirect standardisation: TFR = TFR_China × births / E, where E is the births the women (bands 15–49)
    would have at China's 2020 age-specific rates.
    """
    if women is None:
        s = age_structure_2020()
        women = s.persons - s.men
    rates = _china_asfr()
    expected = (women[[lo // 5 for lo in ASFR_BANDS]] * rates).sum()
    return float(5 * rates.sum() * births / expected)


def jiangsu_total_fertility(year: int) -> float:
    """Jiangsu's total fertility rate in ``year`` (children per woman), from its crude birth rate.

    Births are the year's rate (China's year-on-year change where Jiangsu's is missing) times Jiangsu's 2020
    census persons; the women are its 2020 census women by five-year band aged to the year as closed cohorts
    (a fraction (year − 2020)/5 of each band moved to the next). Standardising for the women's ages keeps the
    ageing of Jiangsu's women out of the change, since the model ages its own women.
    """
    women = np.array([fact(f"pop_female_age_{band_key(lo)}", PROFILE_PLACE, CENSUS_YEAR) for lo in BAND_STARTS])
    men = np.array([fact(f"pop_male_age_{band_key(lo)}", PROFILE_PLACE, CENSUS_YEAR) for lo in BAND_STARTS])
    shift = (year - CENSUS_YEAR) / 5
    if not -1 <= shift <= 1:
        raise ValueError(f"jiangsu_total_fertility: year {year} is more than five years from the census")
    older, younger = np.append(0.0, women[:-1]), np.append(women[1:], 0.0)
    aged = women + shift * (older - women) if shift >= 0 else women - shift * (younger - women)
    rate, _ = _trend_rate("birth_rate", year)
    return implied_total_fertility(rate / 1000 * (women.sum() + men.sum()), aged)


@dataclass(frozen=True)
class FertilityYear:
    """Haimen's total fertility rate in one year (children per woman) and how it was obtained."""

    year: int
    tfr: float
    basis: str


def derive_total_fertility(last_year: int = 2024) -> list[FertilityYear]:
    """Haimen's total fertility rate for 2010 … ``last_year`` (see the module's docstring)."""
    base = implied_total_fertility(fact("births", "Haimen", RATE_BASE_YEAR))
    known = {
        FERTILITY_FIRST_YEAR: FertilityYear(
            FERTILITY_FIRST_YEAR,
            fact(*FERTILITY_ANCHOR),
            "assumption (low): Haimen taken as Jiangsu, whose 2010 indirect estimate this is (facts "
            "tfr_indirect_estimate Jiangsu 2010); Haimen's 2010 births NOT FOUND",
        ),
        RATE_BASE_YEAR: FertilityYear(
            RATE_BASE_YEAR,
            base,
            f"derived: Haimen's {RATE_BASE_YEAR} registered births (facts births) on Haimen's 2020 women "
            "(age_structure_2020.csv), indirect standardisation on China's 2020 ASFRs (facts asfr_*)",
        ),
    }
    for year in range(RATE_BASE_YEAR + 1, last_year + 1):
        _, how = _trend_rate("birth_rate", year)
        change = jiangsu_total_fertility(year) / jiangsu_total_fertility(RATE_BASE_YEAR)
        known[year] = FertilityYear(
            year,
            base * change,
            f"derived: Haimen {RATE_BASE_YEAR} × Jiangsu's total fertility {year} / {RATE_BASE_YEAR} "
            f"({change:.3f}; crude birth rates {how} and {RATE_TREND_PLACE} {RATE_BASE_YEAR} on Jiangsu's 2020 "
            "census women aged to each year)",
        )
    years = np.arange(FERTILITY_FIRST_YEAR, last_year + 1)
    anchors = sorted(known)
    values = np.interp(years, anchors, [known[y].tfr for y in anchors])
    return [
        known.get(
            int(y),
            FertilityYear(
                int(y),
                float(v),
                f"assumption: interpolated between {FERTILITY_FIRST_YEAR} and {RATE_BASE_YEAR} (Haimen's births "
                "NOT FOUND; the 2016–17 two-child peak is not represented)",
            ),
        )
        for y, v in zip(years, values, strict=True)
    ]


@cache
def total_fertility() -> dict[int, FertilityYear]:
    """The yearly total fertility rates as written in ``data/total_fertility.csv``, by year."""
    return {
        int(r["year"]): FertilityYear(int(r["year"]), float(r["tfr"]), r["basis"])
        for r in read_csv("total_fertility.csv")
    }

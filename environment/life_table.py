"""Mortality by age and sex: a standard life table (Jiangsu, 2020 census) whose level is set by life expectancy.

The *standard* is Jiangsu's 2020 census: deaths in the twelve months before the
census and persons at the census, by five-year band and sex
(``data/mortality_jiangsu_2020.csv``). Census-reported deaths are incomplete
(their life table gives 83.2 years against the statistics bureau's 79.32), so
the census gives the *shape* of mortality by age and sex, and each sex's rates
are scaled by one factor so that its life expectancy at birth equals Jiangsu's
official 2020 value (facts ``life_expectancy_male`` / ``_female``, 77.02 / 81.83).

Single years of age: within each band the rate is log-linear between the
bands' midpoints, rescaled so the band's mean rate (and so its survival) is
the band's; the open 100+ band's rate holds to the oldest age. Rates are
hazards, constant within each year of age: a person alive at exact age x
survives the year with probability exp(−m_x).

A year's mortality is the standard times one *level* k (proportional hazards,
both sexes alike), solved so that life expectancy at birth, men and women
weighted by the sex ratio at birth, equals the declared value.
"""

from __future__ import annotations

from functools import cache, lru_cache

import numpy as np
from scipy.optimize import brentq

from environment.inputs import constant, fact, read_csv

MAX_AGE: int = constant("max_age")
SEXES = ("male", "female")  # row 0 men, row 1 women, as the persons' ``female`` flag
STANDARD_PLACE, STANDARD_YEAR = "Jiangsu", 2020


@cache
def census_bands() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Jiangsu's 2020 census as read: band lower ages int[band], deaths and persons float[sex, band]."""
    rows = read_csv("mortality_jiangsu_2020.csv")
    starts = np.array(sorted({int(r["age_min"]) for r in rows}))
    deaths, persons = np.zeros((2, len(starts))), np.zeros((2, len(starts)))
    for r in rows:
        s, b = SEXES.index(r["sex"]), int(np.searchsorted(starts, int(r["age_min"])))
        deaths[s, b], persons[s, b] = float(r["deaths"]), float(r["persons"])
    return starts, deaths, persons


def single_year_rates(starts: np.ndarray, band_rates: np.ndarray) -> np.ndarray:
    """Death rates by single year of age 0…MAX_AGE, float[..., age], from rates by band (the last band open).

    Log-linear between band midpoints (the open band's taken as wide as the one before), then each closed band
    rescaled so its mean equals the band's rate; the open band's rate holds at every age in it.
    """
    ends = np.append(starts[1:], MAX_AGE + 1)
    mids = np.append((starts[:-1] + ends[:-1] - 1) / 2, starts[-1] + (starts[-1] - starts[-2]) / 2)
    ages = np.arange(MAX_AGE + 1)
    band = np.searchsorted(starts, ages, side="right") - 1
    log_rates = np.log(band_rates)
    flat = np.atleast_2d(log_rates)
    out = np.exp(np.stack([np.interp(ages, mids, row) for row in flat]))
    for b, (lo, hi) in enumerate(zip(starts[:-1], ends[:-1], strict=True)):
        inside = (ages >= lo) & (ages < hi)
        out[:, inside] *= np.exp(flat[:, [b]]) / out[:, inside].mean(axis=1, keepdims=True)
    out[:, band == len(starts) - 1] = np.exp(flat[:, [-1]])
    return out.reshape((*np.shape(band_rates)[:-1], MAX_AGE + 1))


def stationary_persons(rates: np.ndarray) -> np.ndarray:
    """Person-years lived at each age per birth (the stationary population L_x) with death rates float[..., age]
    (hazards constant within each year; the oldest age open), float[..., age]."""
    alive = np.exp(-np.concatenate([np.zeros((*rates.shape[:-1], 1)), np.cumsum(rates, axis=-1)], axis=-1))
    lived = alive[..., :-1] * -np.expm1(-rates) / rates
    lived[..., -1] = alive[..., -2] / rates[..., -1]
    return lived


def life_expectancy(rates: np.ndarray) -> np.ndarray:
    """Life expectancy at birth (years) of death rates float[..., age]."""
    return stationary_persons(rates).sum(axis=-1)


def census_rates() -> np.ndarray:
    """Jiangsu's 2020 death rates by single year as the census reported them, float[sex, age]."""
    starts, deaths, persons = census_bands()
    return single_year_rates(starts, deaths / persons)


@cache
def standard_factors() -> np.ndarray:
    """Factor on each sex's census rates that gives Jiangsu's official 2020 life expectancy, float[sex]."""
    official = [fact(f"life_expectancy_{s}", STANDARD_PLACE, STANDARD_YEAR) for s in SEXES]
    census = census_rates()
    return np.array(
        [brentq(lambda k, s=s: life_expectancy(k * census[s]) - official[s], 0.5, 5.0, xtol=1e-14) for s in (0, 1)]
    )


@cache
def standard_rates() -> np.ndarray:
    """The standard: Jiangsu's 2020 census shape at the official life expectancy of each sex, float[sex, age]
    (read-only)."""
    out = census_rates() * standard_factors()[:, None]
    out.flags.writeable = False
    return out


def both_sexes(e0: np.ndarray, boy_share: float) -> float:
    """Life expectancy of both sexes from the men's and women's (``e0[0]``, ``e0[1]``), weighted by the births."""
    return float(boy_share * e0[0] + (1 - boy_share) * e0[1])


@lru_cache(maxsize=1024)
def level_for(e0: float, boy_share: float) -> float:
    """The level k at which ``k × standard_rates()`` gives life expectancy ``e0`` (both sexes), to 1e-9 years
    (solved once per pair of values: runs with the same parameters share the years' levels)."""
    standard = standard_rates()
    return float(
        brentq(lambda k: both_sexes(life_expectancy(k * standard), boy_share) - e0, 0.05, 20.0, xtol=1e-13, rtol=1e-14)
    )

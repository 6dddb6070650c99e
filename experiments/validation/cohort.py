"""A plain cohort-component projection: the backcast's people without the agents.

It starts from the same census margins as the model (persons and men by five-year band, spread over single years
of age as the synthesis spreads them). Each year everyone ages a year, dies and gives birth with the model's own
probabilities (``agents.demography.VitalRates``: the same life table, life-expectancy and total-fertility paths,
and timing within the year), and the year's net migration is added, spread over ages by the model's Rogers–Castro
migration schedule (``agents.pools.mover_age_schedule``, the outside pools' adults' ages) and equally over the two
sexes. It has no places, households, jobs or gross flows: set beside the agent model with the model's own net
migration, it shows what the agents add (who moves, at which ages, where to).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from agents.census_population import age_profile
from agents.constants import MAX_AGE
from agents.demography import VitalRates
from agents.pools import mover_age_schedule
from agents.population import NO_JOB, Persons
from environment.census import margins
from environment.demography_inputs import BAND_STARTS, band_label, band_of_age
from environment.settings import Settings

AGES = MAX_AGE + 1
SEXES = ("male", "female")  # row 0 men, row 1 women, as the model's ``female`` flag


def project(
    start: np.ndarray,
    years: range,
    dying: Callable[[int], np.ndarray],
    bearing: Callable[[int], np.ndarray],
    boy_share: float,
    migrants: Callable[[int], np.ndarray],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Project ``start`` (persons by sex and single year of age, float[2, age]; the oldest age open) over ``years``.

    Each year: everyone ages a year; those who die leave (``dying(year)``: probability by sex and the age reached,
    float[2, age]); the surviving women give birth (``bearing(year)``: probability by the age reached, float[age]),
    the babies aged 0, ``boy_share`` of them boys; then ``migrants(year)`` (net, float[2, age]) are added.

    Returns a summary (year, haimen_population, births, deaths, net_migration; the first row the start) and an ages
    table (year, age_band, sex, people) in the model's layout.
    """
    persons = np.asarray(start, dtype=float).copy()
    summary = [{"year": years[0] - 1, "haimen_population": persons.sum()}]
    ages = [_ages(years[0] - 1, persons)]
    for year in years:
        aged = np.zeros_like(persons)
        aged[:, 1:] = persons[:, :-1]
        aged[:, -1] += persons[:, -1]
        deaths = aged * dying(year)
        alive = aged - deaths
        births = float((alive[1] * bearing(year)).sum())
        alive[:, 0] += births * np.array([boy_share, 1 - boy_share])
        moved = migrants(year)
        persons = alive + moved
        summary.append(
            {
                "year": year,
                "haimen_population": persons.sum(),
                "births": births,
                "deaths": float(deaths.sum()),
                "net_migration": float(moved.sum()),
            }
        )
        ages.append(_ages(year, persons))
    return pd.DataFrame(summary), pd.concat(ages, ignore_index=True)


def _ages(year: int, persons: np.ndarray) -> pd.DataFrame:
    """Persons by five-year band and sex, as the model's ages table (each band male then female)."""
    band = band_of_age(np.arange(persons.shape[1]))
    by_band = np.stack([np.bincount(band, weights=persons[s], minlength=len(BAND_STARTS)) for s in (0, 1)])
    return pd.DataFrame(
        {
            "year": year,
            "age_band": [band_label(lo) for lo in BAND_STARTS for _ in SEXES],
            "sex": list(SEXES) * len(BAND_STARTS),
            "people": by_band.T.ravel(),
        }
    )


def census_persons(settings: Settings, year: int) -> np.ndarray:
    """The census of ``year`` by sex and single year of age, float[2, age]: its bands spread as the synthesis
    spreads them (``age_profile``: even within a band, the open band by the life table), men by the band's share."""
    c = margins(year)
    size, _ = age_profile(settings, c)
    band = band_of_age(np.arange(AGES))
    men = size * (c.ages.men / c.ages.persons)[band]
    return np.stack([men, size - men])


def model_probabilities(rates: VitalRates, year: int) -> tuple[np.ndarray, np.ndarray]:
    """The model's own probabilities of dying (float[2, age]) and of giving birth (women, float[age]) in ``year``
    by the age reached, read through its per-person methods (no lever: no childcare support)."""
    n = 2 * AGES
    table = Persons(
        key=np.arange(n, dtype=np.uint64),
        household=np.zeros(n, np.int64),
        age=np.tile(np.arange(AGES, dtype=np.int16), 2),
        female=np.repeat([False, True], AGES),
        college=np.zeros(n, bool),
        participates=np.zeros(n, bool),
        cluster=np.full(n, -1, np.int8),
        job=np.full(n, NO_JOB, np.int16),
        student_until=np.zeros(n, np.int16),
    )
    dying = rates.death_probability(table, year).reshape(2, AGES)
    bearing = rates.birth_probability(table, year, support=0.0).reshape(2, AGES)[1]
    return dying, bearing


def backcast_projection(
    settings: Settings, start: int, net_migration: Mapping[int, float]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The cohort-component projection from the census of ``start`` with the model's vital rates under
    ``settings`` and ``net_migration`` by year (people; the years projected), spread by the migration schedule."""
    rates = VitalRates(settings)
    schedule = mover_age_schedule(settings)
    by_age = np.stack([schedule, schedule]) / (2 * schedule.sum())
    years = range(start + 1, max(net_migration) + 1)
    probabilities = {y: model_probabilities(rates, y) for y in years}
    return project(
        census_persons(settings, start),
        years,
        dying=lambda y: probabilities[y][0],
        bearing=lambda y: probabilities[y][1],
        boy_share=rates.boy_share,
        migrants=lambda y: net_migration[y] * by_age,
    )

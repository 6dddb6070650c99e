"""Period life tables of the model's vital rates: life expectancy at birth, total fertility, and the crude death
rate a life expectancy implies on a population (the mortality shape with its level solved for it)."""

from __future__ import annotations

import numpy as np

from agents.constants import MAX_AGE
from agents.demography import VitalRates
from agents.population import Population
from environment.inputs import CENSUS_YEAR


def life_expectancy(rates: VitalRates, year: int) -> tuple[float, float, float]:
    """Period life expectancy at birth (years) of the model's mortality in ``year``: both sexes, men, women.

    Both sexes weight men and women by the sex ratio at birth.
    """
    return life_table(rates, rates.death_level(year))


def life_table(rates: VitalRates, level: float) -> tuple[float, float, float]:
    """Life expectancy at birth (both sexes, men, women) with ``rates``' mortality shape at ``level``."""
    q = 1 - np.exp(-level * rates.death_shape)  # [sex, age]
    alive = np.cumprod(np.concatenate([np.ones((2, 1)), 1 - q[:, :MAX_AGE]], axis=1), axis=1)
    e0 = (alive - 0.5 * (alive * q)).sum(axis=1)  # deaths at mid-year
    boys = rates.settings.sex_ratio_at_birth / (1 + rates.settings.sex_ratio_at_birth)
    return float(boys * e0[0] + (1 - boys) * e0[1]), float(e0[0]), float(e0[1])


def implied_death_rate(rates: VitalRates, population: Population, e0: float, year: int = CENSUS_YEAR + 1) -> float:
    """The crude death rate (‰) in ``year`` that a life expectancy at birth of ``e0`` implies on the 2020
    ``population`` aged to the start of ``year``, with the model's mortality shape (its level solved for ``e0``)."""
    from scipy.optimize import brentq

    p, w = population.persons, population.person_weight()
    people = np.zeros((2, MAX_AGE + 1))
    np.add.at(people, (p.female.astype(int), np.minimum(p.age + (year - CENSUS_YEAR), MAX_AGE)), w)

    level = brentq(lambda x: life_table(rates, x)[0] - e0, 1e-6, 1.0)
    return float(1000 * (people * (1 - np.exp(-level * rates.death_shape))).sum() / people.sum())


def total_fertility(rates: VitalRates, year: int) -> float:
    """Total fertility rate (children per woman) of the model's fertility in ``year`` without the lever."""
    return float((1 - np.exp(-rates.birth_level(year) * rates.birth_shape)).sum())

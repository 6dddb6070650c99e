"""Ageing, deaths, births and new households.

Mortality has a Gompertz–Makeham shape by age and sex; fertility a bell shape
over ages 15–49. Their *levels* are fitted so that, on the synthetic 2020
population, deaths and births equal Haimen's published 2019 rates (9.6 ‰ and
6.7 ‰, natural change −2.9 ‰). After 2020 mortality improves and fertility
follows its trend; the childcare lever raises fertility.
"""

from __future__ import annotations

import numpy as np

from agents.choice import fits_in_order
from agents.population import COLLECTIVE, NO_JOB, RENTER, Households, Persons, Population
from agents.streams import Channel, derive_keys, uniform
from agents.synthesis import MAX_AGE, draw_participation
from environment.inputs import CENSUS_YEAR, constant, fact
from environment.policy import Policy
from environment.settings import Settings

FERTILE_AGES: tuple[int, int] = tuple(constant("fertile_ages"))
SPLIT_AGES: tuple[int, int] = tuple(constant("split_ages"))
PARENT_GAP: int = constant("parent_gap")  # years: someone this much older marks a parental household


class VitalRates:
    """Yearly death and birth probabilities, levels fitted to Haimen's 2019 crude rates.

    The levels are set so that, in the first simulated year (everyone a year
    older than at the census), the expected deaths and births of the 2020
    population equal 9.6 ‰ and 6.7 ‰ of it: natural change starts at −2.9 ‰.
    """

    def __init__(self, settings: Settings, pop: Population, first_year: int = CENSUS_YEAR + 1) -> None:
        self.settings = settings
        self.first_year = first_year
        ages = np.arange(MAX_AGE + 1)
        male_shape = settings.makeham_share + np.exp(settings.mortality_slope * (ages - 60))
        self.death_shape = np.stack([male_shape, male_shape * settings.female_mortality_ratio])  # [sex, age]
        self.birth_shape = np.exp(-0.5 * ((ages - settings.fertility_peak_age) / settings.fertility_spread) ** 2)
        self.birth_shape[(ages < FERTILE_AGES[0]) | (ages > FERTILE_AGES[1])] = 0.0
        p, w = pop.persons, pop.person_weight()
        age = np.minimum(p.age + 1, MAX_AGE)  # ages at which the first year's events are drawn
        people = w.sum()
        self.death_level = _level(
            w, self.death_shape[p.female.astype(int), age], fact("death_rate", year=2019) / 1000 * people
        )
        self.birth_level = _level(w, p.female * self.birth_shape[age], fact("birth_rate", year=2019) / 1000 * people)

    def death_probability(self, persons: Persons, year: int) -> np.ndarray:
        rate = self.death_level * self.death_shape[persons.female.astype(int), np.minimum(persons.age, MAX_AGE)]
        rate *= (1 - self.settings.mortality_improvement) ** (year - self.first_year)
        return 1.0 - np.exp(-rate)

    def birth_probability(self, persons: Persons, year: int, support: float) -> np.ndarray:
        """Probability of giving birth this year, with ``support`` yuan/yr per young child."""
        s = self.settings
        level = self.birth_level * (1 + s.fertility_trend) ** (year - self.first_year)
        level *= 1 + s.fertility_support_elasticity * support / 10_000
        rate = level * self.birth_shape[np.minimum(persons.age, MAX_AGE)] * persons.female
        return 1.0 - np.exp(-rate)


def _level(weight: np.ndarray, shape: np.ndarray, wanted: float) -> float:
    """Level L such that Σ weight·(1 − exp(−L·shape)) = wanted (Newton steps; the sum rises with L)."""
    level = wanted / (weight * shape).sum()
    for _ in range(50):
        survive = np.exp(-level * shape)
        gap = (weight * (1.0 - survive)).sum() - wanted
        if abs(gap) < 1e-9 * wanted:
            break
        level -= gap / (weight * shape * survive).sum()
    return level


def age_and_die(pop: Population, rates: VitalRates, seed: int, year: int, n_places: int) -> np.ndarray:
    """Everyone ages a year; those who die are removed. Returns deaths per place, float[place]."""
    p = pop.persons
    p.age += 1
    dies = uniform(seed, Channel.DEATH, year, p.key) < rates.death_probability(p, year)
    deaths = np.bincount(pop.households.place[p.household[dies]], weights=pop.person_weight()[dies], minlength=n_places)
    pop.remove_persons(dies)
    return deaths


def give_birth(pop: Population, rates: VitalRates, policy: Policy, seed: int, year: int, n_places: int) -> np.ndarray:
    """Mothers give birth; babies join their household. Returns births per place, float[place]."""
    p = pop.persons
    mothers = np.flatnonzero(
        uniform(seed, Channel.BIRTH, year, p.key)
        < rates.birth_probability(p, year, policy.value("childcare_subsidy", year))
    )
    key = derive_keys(p.key[mothers], tag=int(Channel.BIRTH), year=year)
    n = len(mothers)
    boy_share = rates.settings.sex_ratio_at_birth / (1 + rates.settings.sex_ratio_at_birth)
    babies = Persons(
        key=key,
        household=p.household[mothers],
        age=np.zeros(n, np.int16),
        female=uniform(seed, Channel.BIRTH_SEX, year, key) >= boy_share,
        college=np.zeros(n, bool),
        participates=draw_participation(rates.settings, seed, key),
        cluster=np.full(n, -1, np.int8),
        job=np.full(n, NO_JOB, np.int16),
        student_until=np.zeros(n, np.int16),
    )
    p.extend(babies)
    return np.bincount(
        pop.households.place[babies.household], weights=pop.households.weight[babies.household], minlength=n_places
    )


def split_households(
    pop: Population, settings: Settings, seed: int, year: int, room: np.ndarray, alt_of: np.ndarray
) -> None:
    """Adults of 22–34 living with someone much older may set up their own household.

    ``room[alt]`` is free dwellings; splits stop where it runs out (keyed lottery order).
    """
    h, p = pop.households, pop.persons
    oldest = np.zeros(len(h), dtype=np.int16)
    np.maximum.at(oldest, p.household, p.age)
    candidate = (
        (p.age >= SPLIT_AGES[0])
        & (p.age <= SPLIT_AGES[1])
        & (oldest[p.household] - p.age >= PARENT_GAP)
        & (h.tenure[p.household] != COLLECTIVE)
    )
    draw = uniform(seed, Channel.SPLIT, year, p.key)
    leaving = np.flatnonzero(candidate & (draw < settings.household_split_rate))
    if len(leaving) == 0:
        return
    alt = alt_of[leaving]
    leaving = leaving[fits_in_order(alt, h.weight[p.household[leaving]], draw[leaving], room)]
    parent = p.household[leaving]
    new = Households(
        key=derive_keys(p.key[leaving], tag=int(Channel.SPLIT), year=year),
        place=h.place[parent],
        urban=h.urban[parent],
        tenure=np.full(len(leaving), RENTER, np.int8),
        hukou_city=h.hukou_city[parent],
        weight=h.weight[parent],
        origin=h.origin[parent],
        arrived=h.arrived[parent],
    )
    p.household[leaving] = len(h) + np.arange(len(leaving))
    h.extend(new)

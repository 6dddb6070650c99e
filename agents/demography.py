"""Ageing, deaths, births and new households.

Mortality has a Gompertz–Makeham shape by age and sex; fertility the shape of
China's 2020 age-specific fertility (census, facts ``asfr_*``; five-year steps
over 15–49). Their *levels* follow Haimen's yearly crude rates in
``data/vital_rates.csv`` for 2021–2024 (Haimen's 2019 rates moved with
Jiangsu's yearly change, China's for Jiangsu's missing 2023, which carries the
early-2023 excess deaths; see ``environment/demography_inputs.py``). Each
year's levels are fitted on a deterministic projection of the 2020 synthetic
population without migration, so they are the same in every scenario and the
first year's (2021) expected births and deaths equal the 2021 rates exactly.
The series itself is uncertain (parameters ``death_rate_factor`` and
``birth_rate_factor``, default 1). After the last data year, mortality falls by
``mortality_improvement`` and fertility changes by ``fertility_trend`` a year
(parameters with ranges); the childcare lever raises fertility on top.
"""

from __future__ import annotations

import numpy as np

from agents.choice import fits_in_order
from agents.constants import MAX_AGE
from agents.person_draws import draw_participation
from agents.population import COLLECTIVE, NO_JOB, Persons, Population
from agents.streams import Channel, derive_keys, uniform
from environment.demography_inputs import asfr_by_age, vital_rates
from environment.inputs import CENSUS_YEAR, constant
from environment.policy import PolicyYear
from environment.settings import Settings

FERTILE_AGES: tuple[int, int] = tuple(constant("fertile_ages"))
SPLIT_AGES: tuple[int, int] = tuple(constant("split_ages"))
PARENT_GAP: int = constant("parent_gap")  # years: someone this much older marks a parental household


class VitalRates:
    """Yearly death and birth probabilities; levels fitted to Haimen's yearly crude rates (``vital_rates.csv``).

    ``death_levels[year]`` and ``birth_levels[year]`` scale the shapes so that,
    on the 2020 population projected without migration to the start of that
    year (everyone a year older), expected deaths and births (of mothers who
    survive the year) equal the year's rate (‰) times that population. Years
    after the data continue from the last data year's levels with the trend
    parameters.
    """

    def __init__(self, settings: Settings, pop: Population, first_year: int = CENSUS_YEAR + 1) -> None:
        self.settings = settings
        self.first_year = first_year
        ages = np.arange(MAX_AGE + 1)
        male_shape = settings.makeham_share + np.exp(settings.mortality_slope * (ages - 60))
        self.death_shape = np.stack([male_shape, male_shape * settings.female_mortality_ratio])  # [sex, age]
        self.birth_shape = asfr_by_age(MAX_AGE)
        self.birth_shape[(ages < FERTILE_AGES[0]) | (ages > FERTILE_AGES[1])] = 0.0
        p, w = pop.persons, pop.person_weight()
        people = np.zeros((2, MAX_AGE + 1))  # [sex, age] at the census
        np.add.at(people, (p.female.astype(int), np.minimum(p.age, MAX_AGE)), w)
        self.death_levels: dict[int, float] = {}
        self.birth_levels: dict[int, float] = {}
        targets = vital_rates()
        self.last_data_year = max(max(targets), first_year)
        boy_share = settings.sex_ratio_at_birth / (1 + settings.sex_ratio_at_birth)
        for year in range(first_year, self.last_data_year + 1):
            people = np.concatenate([np.zeros((2, 1)), people[:, :-2], people[:, -2:].sum(axis=1, keepdims=True)], 1)
            total = people.sum()
            rate = targets.get(year, targets[max(targets)])
            deaths = rate.death_rate * settings.death_rate_factor / 1000 * total
            death_level = _level(people.ravel(), self.death_shape.ravel(), deaths)
            survive = np.exp(-death_level * self.death_shape)
            women = people[1] * survive[1]
            birth_level = _level(women, self.birth_shape, rate.birth_rate * settings.birth_rate_factor / 1000 * total)
            self.death_levels[year], self.birth_levels[year] = death_level, birth_level
            births = (women * (1 - np.exp(-birth_level * self.birth_shape))).sum()
            people = people * survive
            people[:, 0] += births * np.array([boy_share, 1 - boy_share])

    def death_level(self, year: int) -> float:
        """Mortality level in ``year`` (scales ``death_shape``; rates per year)."""
        last = self.last_data_year
        if year <= last:
            return self.death_levels[max(year, self.first_year)]
        return self.death_levels[last] * (1 - self.settings.mortality_improvement) ** (year - last)

    def birth_level(self, year: int) -> float:
        """Fertility level in ``year`` before the childcare lever (scales ``birth_shape``)."""
        last = self.last_data_year
        if year <= last:
            return self.birth_levels[max(year, self.first_year)]
        return self.birth_levels[last] * (1 + self.settings.fertility_trend) ** (year - last)

    def death_probability(self, persons: Persons, year: int) -> np.ndarray:
        """Probability of dying this year (computed per sex and age, then looked up)."""
        by_sex_age = 1.0 - np.exp(-(self.death_level(year) * self.death_shape))
        return _by_sex_and_age(by_sex_age, persons)

    def birth_probability(self, persons: Persons, year: int, support: float) -> np.ndarray:
        """Probability of giving birth this year, with ``support`` yuan/yr per young child (per sex and age,
        then looked up)."""
        level = self.birth_level(year) * (1 + self.settings.fertility_support_elasticity * support / 10_000)
        by_sex_age = 1.0 - np.exp(-(level * self.birth_shape[None, :] * np.array([False, True])[:, None]))
        return _by_sex_and_age(by_sex_age, persons)


def _by_sex_and_age(table: np.ndarray, persons: Persons) -> np.ndarray:
    """``table[female, min(age, MAX_AGE)]`` (float[2, MAX_AGE + 1]) for each person, as one flat lookup."""
    index = np.minimum(persons.age, MAX_AGE).astype(np.intp)
    index += persons.female * (MAX_AGE + 1)
    return np.take(table.ravel(), index)


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
    household = p.household[np.flatnonzero(dies)]  # few: by index (not every person's weight gathered)
    deaths = np.bincount(pop.households.place[household], weights=pop.households.weight[household], minlength=n_places)
    pop.remove_persons(dies)
    return deaths


def give_birth(
    pop: Population, rates: VitalRates, policy: PolicyYear, seed: int, year: int, n_places: int
) -> np.ndarray:
    """Mothers give birth (more with the levers' support per young child); babies join their household. Returns
    births per place, float[place]."""
    p = pop.persons
    probability = rates.birth_probability(p, year, policy.birth_support)
    women = np.flatnonzero(probability > 0)  # only they draw (a draw below 0 never happens)
    mothers = women[uniform(seed, Channel.BIRTH, year, p.key[women]) < probability[women]]
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
    candidate = np.flatnonzero(candidate)
    draw = uniform(seed, Channel.SPLIT, year, p.key[candidate])  # drawn for the candidates only
    splits = draw < settings.household_split_rate
    leaving, draw = candidate[splits], draw[splits]
    if len(leaving) == 0:
        return
    alt = alt_of[leaving]
    leaving = leaving[fits_in_order(alt, h.weight[p.household[leaving]], draw, room)]
    pop.split_off(leaving, derive_keys(p.key[leaving], tag=int(Channel.SPLIT), year=year))

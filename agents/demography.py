"""Ageing, deaths, births and new households.

Mortality is a relational model on a standard life table: Jiangsu's 2020
census shape by age and sex at Jiangsu's official life expectancy
(``environment/life_table.py``), times one level a year (proportional hazards)
chosen so that Haimen's resident life expectancy at birth equals the declared
path: ``life_expectancy_2020`` in 2020, rising by Jiangsu's 2010–2020 gain
(facts ``life_expectancy`` Jiangsu 2010 and 2020) before 2020 and by
``life_expectancy_gain`` a year after it, with the early-2023 excess deaths a
one-year factor on the rates (``covid_mortality_2023``).

Fertility is China's 2020 age pattern (census, facts ``asfr_*``; five-year
steps over 15–49) at Haimen's total fertility rate of the year
(``data/total_fertility.csv`` from 2010 to 2024, then changing by
``fertility_trend`` a year), times ``fertility_factor``; the childcare lever
raises it on top (``fertility_support_elasticity``). Births therefore follow
the women the model has, not a crude rate.
"""

from __future__ import annotations

import numpy as np

from agents.choice import fits_in_order
from agents.population import COLLECTIVE, NO_JOB, Persons, Population
from agents.streams import Channel, derive_keys, uniform
from agents.synthesis import MAX_AGE, draw_participation
from environment.demography_inputs import asfr_by_age, total_fertility
from environment.inputs import CENSUS_YEAR, constant, fact
from environment.life_table import both_sexes, level_for, life_expectancy, standard_rates
from environment.policy import Policy
from environment.settings import Settings

FERTILE_AGES: tuple[int, int] = tuple(constant("fertile_ages"))
SPLIT_AGES: tuple[int, int] = tuple(constant("split_ages"))
PARENT_GAP: int = constant("parent_gap")  # years: someone this much older marks a parental household
COVID_YEAR = 2023  # the year of the early-2023 excess deaths (parameter covid_mortality_2023)
# Jiangsu's yearly gain in life expectancy 2010–2020 (years a year): Haimen's path before 2020
GAIN_BEFORE_CENSUS = (fact("life_expectancy", "Jiangsu", 2020) - fact("life_expectancy", "Jiangsu", 2010)) / 10


def birth_pattern() -> np.ndarray:
    """Share of a woman's children born at each age (China's 2020 pattern over the fertile ages), float[age]."""
    shape = asfr_by_age(MAX_AGE)
    ages = np.arange(MAX_AGE + 1)
    shape[(ages < FERTILE_AGES[0]) | (ages > FERTILE_AGES[1])] = 0.0
    return shape / shape.sum()


class VitalRates:
    """Yearly death and birth probabilities by sex and age: the declared life expectancy and total fertility."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.boy_share = settings.sex_ratio_at_birth / (1 + settings.sex_ratio_at_birth)
        self.birth_shape = birth_pattern()
        self.fertility_years = total_fertility()
        self._rates: dict[int, np.ndarray] = {}

    def life_expectancy(self, year: int) -> float:
        """Declared resident life expectancy at birth in ``year`` (years, both sexes), before the 2023 factor."""
        s = self.settings
        gain = GAIN_BEFORE_CENSUS if year < CENSUS_YEAR else s.life_expectancy_gain
        return s.life_expectancy_2020 + gain * (year - CENSUS_YEAR)

    def death_rates(self, year: int) -> np.ndarray:
        """Death rates (hazards per year) by sex and age in ``year``, float[sex, age] (read-only)."""
        if year not in self._rates:
            level = level_for(self.life_expectancy(year), self.boy_share)
            if year == COVID_YEAR:
                level *= self.settings.covid_mortality_2023
            rates = level * standard_rates()
            rates.flags.writeable = False
            self._rates[year] = rates
        return self._rates[year]

    def period_life_expectancy(self, year: int) -> tuple[float, float, float]:
        """Life expectancy at birth of ``year``'s rates (2023's factor included): both sexes, men, women."""
        e0 = life_expectancy(self.death_rates(year))
        return both_sexes(e0, self.boy_share), float(e0[0]), float(e0[1])

    def total_fertility(self, year: int) -> float:
        """Total fertility rate in ``year`` before the childcare lever (children per woman)."""
        years = self.fertility_years
        first, last = min(years), max(years)
        trend = (1 + self.settings.fertility_trend) ** max(year - last, 0)
        return years[min(max(year, first), last)].tfr * trend * self.settings.fertility_factor

    def death_probability(self, persons: Persons, year: int) -> np.ndarray:
        """Probability of dying this year for persons already a year older (computed per sex and age, then looked up).

        A person aged x at the start of the year (x + 1 once aged) lives the year half at age x and half at x + 1
        on average, so the rate is the mean of the two ages' rates: on the census population this gives the
        period crude death rate Σ persons_x × m_x, to within the half-year.
        """
        return _by_sex_and_age(-np.expm1(-during_year(self.death_rates(year))), persons)

    def birth_probability(self, persons: Persons, year: int, support: float) -> np.ndarray:
        """Probability of giving birth this year for persons already a year older, with ``support`` yuan/yr per
        young child (per sex and age, then looked up; their sum over a woman's ages is the total fertility)."""
        tfr = self.total_fertility(year) * (1 + self.settings.fertility_support_elasticity * support / 10_000)
        by_sex_age = np.zeros((2, MAX_AGE + 1))
        by_sex_age[1] = np.minimum(tfr * during_year(self.birth_shape, first=0.0), 1.0)
        return _by_sex_and_age(by_sex_age, persons)


def during_year(by_age: np.ndarray, first: float | None = None) -> np.ndarray:
    """Rates by age x at the start of the year, float[..., age], re-indexed by age x + 1 (the age the model gives
    everyone before the year's events): the mean of ages x and x + 1, since a person aged x at the start of the
    year is on average half of it at each. ``first``: the value for age 0 (default: age 0's own rate)."""
    before = np.concatenate(
        [by_age[..., :1] if first is None else np.full(by_age[..., :1].shape, first), by_age[..., :-1]], axis=-1
    )
    return (by_age + before) / 2


def _by_sex_and_age(table: np.ndarray, persons: Persons) -> np.ndarray:
    """``table[female, min(age, MAX_AGE)]`` (float[2, MAX_AGE + 1]) for each person, as one flat lookup."""
    index = np.minimum(persons.age, MAX_AGE).astype(np.intp)
    index += persons.female * (MAX_AGE + 1)
    return np.take(table.ravel(), index)


def age_and_die(pop: Population, rates: VitalRates, seed: int, year: int, n_places: int) -> np.ndarray:
    """Everyone ages a year; those who die are removed. Returns deaths per place, float[place]."""
    p = pop.persons
    p.age += 1
    dies = uniform(seed, Channel.DEATH, year, p.key) < rates.death_probability(p, year)
    household = p.household[np.flatnonzero(dies)]  # few: by index (not every person's weight gathered)
    deaths = np.bincount(pop.households.place[household], weights=pop.households.weight[household], minlength=n_places)
    pop.remove_persons(dies)
    return deaths


def give_birth(pop: Population, rates: VitalRates, policy: Policy, seed: int, year: int, n_places: int) -> np.ndarray:
    """Mothers give birth; babies join their household. Returns births per place, float[place]."""
    p = pop.persons
    probability = rates.birth_probability(p, year, policy.value("childcare_subsidy", year))
    women = np.flatnonzero(probability > 0)  # only they draw (a draw below 0 never happens)
    mothers = women[uniform(seed, Channel.BIRTH, year, p.key[women]) < probability[women]]
    key = derive_keys(p.key[mothers], tag=int(Channel.BIRTH), year=year)
    n = len(mothers)
    babies = Persons(
        key=key,
        household=p.household[mothers],
        age=np.zeros(n, np.int16),
        female=uniform(seed, Channel.BIRTH_SEX, year, key) >= rates.boy_share,
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

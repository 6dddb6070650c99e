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

from agents.constants import ADULT_AGE, MAX_AGE
from agents.person_draws import draw_participation
from agents.population import COLLECTIVE, NO_JOB, Persons, Population, taken_lazily
from agents.rows import stable_order
from agents.streams import Channel, derive_keys, uniform
from environment.demography_inputs import asfr_by_age, total_fertility
from environment.inputs import CENSUS_YEAR, constant, fact
from environment.life_table import both_sexes, level_for, life_expectancy, standard_rates
from environment.places import places
from environment.policy import PolicyYear
from environment.settings import Settings

FERTILE_AGES: tuple[int, int] = tuple(constant("fertile_ages"))
UNION_AGES: tuple[int, int] = tuple(constant("union_ages"))  # ages of women who may form a union
UNION_AGE_GAP: tuple[int, int] = tuple(constant("union_age_gap"))  # man's age minus woman's, lowest and highest
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
    index = np.minimum(persons.age, MAX_AGE)  # int16, as the ages: narrower, so faster, than intp
    index += persons.female * np.int16(MAX_AGE + 1)
    return np.take(table.ravel(), index)


def age_and_die(
    pop: Population, rates: VitalRates, seed: int, year: int, n_places: int, drop_empty: bool = True
) -> np.ndarray:
    """Everyone ages a year; those who die are removed, and the households left empty unless not ``drop_empty``
    (then a later step drops them: :func:`form_unions` does). Returns deaths per place, float[place]."""
    p = pop.persons
    p.age += 1
    dies = uniform(seed, Channel.DEATH, year, p.key) < rates.death_probability(p, year)
    household = p.household[np.flatnonzero(dies)]  # few: by index (not every person's weight gathered)
    deaths = np.bincount(pop.households.place[household], weights=pop.households.weight[household], minlength=n_places)
    pop.remove_persons(dies, drop_empty)
    return deaths


def give_birth(
    pop: Population, rates: VitalRates, policy: PolicyYear, seed: int, year: int, n_places: int
) -> np.ndarray:
    """Mothers give birth; babies join their household. Returns births per place, float[place]."""
    p = pop.persons
    # women of the fertile ages (once a year older: up to one past the last), the only ones who may give birth
    women = np.flatnonzero(p.female & (p.age >= FERTILE_AGES[0]) & (p.age <= FERTILE_AGES[1] + 1))
    probability = rates.birth_probability(taken_lazily(p, women), year, policy.birth_support)
    positive = probability > 0  # only they draw (never below 0)
    if not positive.all():
        women, probability = women[positive], probability[positive]
    mothers = women[uniform(seed, Channel.BIRTH, year, p.key[women]) < probability]
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


def form_unions(pop: Population, settings: Settings, seed: int, year: int, drop_empty: bool = True) -> np.ndarray:
    """Young women living alone in Haimen form couples and move in with their partner.

    A woman of ``union_ages`` living alone (a family household of one) finds a partner at yearly rate
    ``union_rate``: a man whose age differs from hers by ``union_age_gap``, in the same kind of part of Haimen
    (towns or countryside), who lives alone or with his parents (someone ``parent_gap`` years older, and no
    younger adult woman), drawn uniformly in keyed order; a man (or household) drawn twice goes to the first.
    She moves into his household (from 夫居, the common pattern; a household of one fewer). Households left empty
    (hers, and any an earlier step left so) are dropped, unless not ``drop_empty`` (then a later step drops them:
    :func:`agents.emigrants.leave_for_university` does).

    Returns the moves between alternatives, float[alt, alt] (people).
    """
    flows = np.zeros((places().n_alt,) * 2)
    women, partner = _couples(pop, settings, seed, year)
    _move_in(pop, women, pop.persons.household[partner], year, flows)
    if drop_empty:
        pop.drop_empty()
    return flows


def _couples(pop: Population, settings: Settings, seed: int, year: int) -> tuple[np.ndarray, np.ndarray]:
    """The year's couples of :func:`form_unions`: the women's rows and their partners' rows (in the same order)."""
    h, p, pl = pop.households, pop.persons, places()
    none = np.zeros(0, dtype=np.int64)
    family = (h.tenure != COLLECTIVE) & pl.in_haimen[h.place]  # Haimen's family households
    alone = (pop.members() == 1) & family  # family households of one
    women = np.flatnonzero(p.female & (p.age >= UNION_AGES[0]) & (p.age <= UNION_AGES[1]))
    women = women[np.flatnonzero(alone[p.household[women]])]  # (by index: faster than a mask of random bools)
    draw = uniform(seed, Channel.UNION, year, p.key[women], 2)
    seeking = np.flatnonzero(draw[:, 0] < settings.union_rate)
    women, draw = women[seeking], draw[seeking, 1]
    if len(women) == 0:
        return none, none
    age = p.age[women]
    reach = (int(age.min()) + UNION_AGE_GAP[0], int(age.max()) + UNION_AGE_GAP[1])  # the ages of their partners
    men, household, men_age = _single_men(pop, family, alone, reach)
    if len(men) == 0:
        return none, none
    men_rank = h.urban[household] * 1000 + men_age  # part, then age
    order = stable_order(p.key[men])  # by key, then (stably) by rank: as np.lexsort, faster
    order = order[np.argsort(men_rank[order].astype(np.int16), kind="stable")]
    men, men_rank = men[order], men_rank[order]
    part = h.urban[p.household[women]] * 1000
    lo = np.searchsorted(men_rank, part + (age + UNION_AGE_GAP[0]), side="left")
    hi = np.searchsorted(men_rank, part + (age + UNION_AGE_GAP[1]), side="right")
    found = np.flatnonzero(hi > lo)
    women, draw, lo, hi = women[found], draw[found], lo[found], hi[found]
    partner = men[lo + np.minimum((draw * (hi - lo)).astype(np.int64), hi - lo - 1)]
    order = stable_order(p.key[women])  # keyed priority where two women draw the same household
    _, first = np.unique(p.household[partner[order]], return_index=True)
    return women[order[first]], partner[order[first]]


def _single_men(
    pop: Population, family: np.ndarray, alone: np.ndarray, ages: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Adult men of ``ages`` (lowest, highest) in Haimen's family households (``family``: bool[household]) who live
    alone (``alone``: bool[household]) or with their parents (someone ``parent_gap`` years older, and no adult
    woman less than ``parent_gap`` years older): their rows (in row order), households and ages."""
    h, p = pop.households, pop.persons
    men = np.flatnonzero(~p.female & (p.age >= max(ages[0], ADULT_AGE)) & (p.age <= ages[1]))
    household = p.household[men]
    in_family = np.flatnonzero(family[household])  # (by index: faster than a mask of random bools)
    men, household = men[in_family], household[in_family]
    age = p.age[men]
    oldest = pop.oldest()
    nobody = np.iinfo(np.int16).max  # the youngest adult woman's age where there is none
    youngest_woman = np.full(len(h), nobody, dtype=np.int16)
    # adult women young enough to be less than parent_gap older than one of these men (older ones make no difference)
    women = np.flatnonzero(p.female & (p.age >= ADULT_AGE) & (p.age < ages[1] + PARENT_GAP))
    np.minimum.at(youngest_woman, p.household[women], p.age[women])
    with_parents = (oldest[household] - age >= PARENT_GAP) & (youngest_woman[household] >= age + PARENT_GAP)
    single = np.flatnonzero(alone[household] | with_parents)
    return men[single], household[single], age[single]


def _move_in(pop: Population, movers: np.ndarray, hosts: np.ndarray, year: int, flows: np.ndarray) -> None:
    """Persons ``movers`` (each alone in a household) move into the households ``hosts`` (distinct rows).

    Rows stand for different numbers of households (weights), so each move carries the smaller weight: a
    heavier mover's row leaves a copy of its person of the host's weight to move and keeps the rest; a heavier
    host's row gives a copy of itself (all its members) of the mover's weight to take the mover in, and keeps
    the rest. Moves between alternatives are added to ``flows`` (people). Households left empty stay (empty).
    """
    h, p, pl = pop.households, pop.persons, places()
    own = p.household[movers]
    weight = np.minimum(h.weight[own], h.weight[hosts])
    origin, destination = pl.alt(h.place[own], h.urban[own]), pl.alt(h.place[hosts], h.urban[hosts])
    moved = origin != destination
    np.add.at(flows, (origin[moved], destination[moved]), weight[moved])
    tag = int(Channel.UNION)
    split_host = h.weight[hosts] > weight * (1 + 1e-12)
    hosts = hosts.copy()
    if split_host.any():  # the host's row divides: a copy of weight ``weight`` takes the mover in
        rows = hosts[split_host]
        copies = h.take(rows)
        copies.key = derive_keys(copies.key, tag=tag, year=year)
        copies.weight = weight[split_host]
        h.weight[rows] -= weight[split_host]
        new_row = np.full(len(h), -1)
        new_row[rows] = len(h) + np.arange(len(rows))
        h.extend(copies)
        divides = np.zeros(len(new_row), dtype=bool)  # (a bool per household: gathered for every person, faster)
        divides[rows] = True
        members = np.flatnonzero(divides[p.household])
        people = p.take(members)
        people.key = derive_keys(people.key, tag=tag, year=year)
        people.household = new_row[p.household[members]]
        p.extend(people)
        hosts[split_host] = new_row[rows]
    split_mover = h.weight[own] > weight * (1 + 1e-12)
    if split_mover.any():  # the mover's row divides: a copy of weight ``weight`` moves, the rest stays alone
        copies = p.take(movers[split_mover])
        copies.key = derive_keys(copies.key, tag=tag, year=year)
        copies.household = hosts[split_mover]
        h.weight[own[split_mover]] -= weight[split_mover]
        p.extend(copies)
    p.household[movers[~split_mover]] = hosts[~split_mover]

"""Mortality and fertility: the standard life table, the level set by life expectancy, the first year's events.

The standard is Jiangsu's 2020 census shape at Jiangsu's official life
expectancy by sex (``environment/life_table.py``); each year's level makes the
model's life expectancy equal the declared path; fertility is the declared
total fertility in China's 2020 age pattern (``agents/demography.py``).
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from abm import MigrationModel
from agents.census_population import synthesize
from agents.constants import MAX_AGE
from agents.demography import FERTILE_AGES, GAIN_BEFORE_CENSUS, VitalRates
from agents.population import NO_JOB, Persons
from environment.demography_inputs import total_fertility
from environment.inputs import fact
from environment.life_table import (
    both_sexes,
    census_bands,
    census_rates,
    level_for,
    life_expectancy,
    single_year_rates,
    standard_factors,
    standard_rates,
)
from environment.settings import parameters, resolve

SEEDS = (1, 2)


def test_standard_has_jiangsus_official_life_expectancy_by_sex():
    e0 = life_expectancy(standard_rates())
    np.testing.assert_allclose(e0, [fact("life_expectancy_male", "Jiangsu"), fact("life_expectancy_female", "Jiangsu")])
    boys = 1.1073 / 2.1073  # Jiangsu's 2020 sex ratio at birth (facts sex_ratio_at_birth)
    both = boys * e0[0] + (1 - boys) * e0[1]
    assert both == pytest.approx(fact("life_expectancy", "Jiangsu"), abs=0.05)


def test_census_life_table_reproduces_the_conventional_abridged_table():
    """The census's reported deaths give 83.17 years by the conventional abridged method (research note, facts);
    the single-year table here gives the same within 0.25 years, and needs about the same factor (1.49) to reach
    the official life expectancy."""
    starts, deaths, persons = census_bands()
    both = single_year_rates(starts, deaths.sum(axis=0) / persons.sum(axis=0))
    assert life_expectancy(both) == pytest.approx(fact("life_expectancy_census_reported_deaths", "Jiangsu"), abs=0.25)
    np.testing.assert_allclose(standard_factors(), fact("mortality_underreport_factor", "Jiangsu"), atol=0.05)


def test_census_counts_are_the_census_persons_of_facts():
    """The standard's persons by band are the same census table as the age profile's (facts pop_*_age_*)."""
    starts, _, persons = census_bands()
    for sex, row in (("male", persons[0]), ("female", persons[1])):
        age_85 = row[starts >= 85].sum()
        assert age_85 == fact(f"pop_{sex}_age_85plus", "Jiangsu")
        assert row[starts < 5].sum() == fact(f"pop_{sex}_age_0_4", "Jiangsu")


def test_single_years_keep_every_bands_death_rate():
    starts, deaths, persons = census_bands()
    bands = deaths / persons
    rates = census_rates()
    ends = np.append(starts[1:], rates.shape[1])
    for b, (lo, hi) in enumerate(zip(starts[:-1], ends[:-1], strict=True)):
        np.testing.assert_allclose(rates[:, lo:hi].mean(axis=1), bands[:, b], rtol=1e-12)
    np.testing.assert_allclose(rates[:, -1], bands[:, -1])
    assert (np.diff(rates[:, 35:101], axis=1) > 0).all(), "rates rise with every year of age from 35 to 100"


@pytest.mark.parametrize("e0", [76.0, 79.58, 80.5, 81.6, 85.0])
def test_level_solves_for_the_life_expectancy(e0):
    boys = 1.1 / 2.1
    level = level_for(e0, boys)
    assert both_sexes(life_expectancy(level * standard_rates()), boys) == pytest.approx(e0, abs=1e-9)


@pytest.mark.parametrize("declared", ["low", "default", "high"])
def test_each_years_mortality_has_the_declared_life_expectancy(declared):
    rates = VitalRates(resolve({"life_expectancy_2020": getattr(parameters()["life_expectancy_2020"], declared)}))
    for year in (2010, 2020, 2021, 2025, 2035):
        assert rates.period_life_expectancy(year)[0] == pytest.approx(rates.life_expectancy(year), abs=1e-8)


def test_lower_life_expectancy_means_higher_mortality_at_every_age():
    low = VitalRates(resolve({"life_expectancy_2020": 79.5})).death_rates(2021)
    high = VitalRates(resolve({"life_expectancy_2020": 81.6})).death_rates(2021)
    assert (low > high).all()


def test_life_expectancy_path_from_2010_and_the_2023_wave():
    rates = VitalRates(resolve({}))
    s = rates.settings
    assert round(GAIN_BEFORE_CENSUS, 3) == 0.269  # Jiangsu 76.63 → 79.32
    assert rates.life_expectancy(2010) == pytest.approx(s.life_expectancy_2020 - 10 * GAIN_BEFORE_CENSUS)
    assert 77.0 <= rates.life_expectancy(2010) <= 78.5  # the research note's 2010 range (Nantong ≈ 77.1)
    assert rates.life_expectancy(2035) == pytest.approx(s.life_expectancy_2020 + 15 * s.life_expectancy_gain)
    # 2023: the declared path, lowered by the one-year factor on the rates; 2022 and 2024 on the path
    for year in (2022, 2024):
        assert rates.period_life_expectancy(year)[0] == pytest.approx(rates.life_expectancy(year), abs=1e-8)
    assert rates.period_life_expectancy(2023)[0] < rates.life_expectancy(2023) - 0.3
    np.testing.assert_allclose(
        rates.death_rates(2023),
        s.covid_mortality_2023 * VitalRates(resolve({"covid_mortality_2023": 1.0})).death_rates(2023),
    )
    women, men = rates.period_life_expectancy(2020)[2], rates.period_life_expectancy(2020)[1]
    assert 4.0 < women - men < 5.5  # Jiangsu 2020: 4.81


def _expected(pop, rates: VitalRates, year: int) -> dict[str, tuple[float, float]]:
    """Expected births and deaths per mille of the population in the model's first step, with their sampling SE,
    and the births expected per child of total fertility."""
    persons = copy.deepcopy(pop.persons)
    persons.age = persons.age + 1
    w = pop.person_weight()
    die = rates.death_probability(persons, year)
    birth = rates.birth_probability(persons, year, 0.0) * (1 - die)
    out = {}
    for name, prob in (("births", birth), ("deaths", die)):
        out[name] = (1000 * (w * prob).sum() / w.sum(), 1000 * np.sqrt((w**2 * prob * (1 - prob)).sum()) / w.sum())
    return out


def test_deaths_in_2021_inside_the_evidence_range():
    """On the 2020 population (a year older), expected 2021 deaths lie in the resident range the evidence allows
    (9.6–11.9 ‰, research note §1.6: registered 9.6 ‰ as the lower bound, Nantong's 79.58 at the top); the
    declared range's high end does not fall below the registered lower bound."""
    pop = synthesize(resolve({}), 10, seed=1)
    central = _expected(pop, VitalRates(resolve({})), 2021)["deaths"][0]
    assert fact("death_rate", "Haimen", 2019) <= central <= 11.9
    high = parameters()["life_expectancy_2020"].high
    assert _expected(pop, VitalRates(resolve({"life_expectancy_2020": high})), 2021)["deaths"][0] >= 9.6


@pytest.mark.parametrize("seed", SEEDS)
def test_first_year_draws_match_the_expected_events(seed):
    """Simulated 2021 births and deaths at 1:10 lie within 4 sampling SE of their expectation."""
    model = MigrationModel(scale=10, end=2021, rng=seed)
    people = model.population.person_weight().sum()
    expected = _expected(model.population, model.rates, 2021)
    model.step()
    s = model.tables()["summary"].set_index("year").loc[2021]
    for event in ("births", "deaths"):
        mean, se = expected[event]
        simulated = 1000 * s[event] / people
        assert abs(simulated - mean) <= 4 * se, f"{event}: {simulated:.2f} vs {mean:.2f} ± {se:.2f}"


def test_total_fertility_of_the_models_births_is_the_declared_path():
    """Each year 2021–2023 at 1:10: births over the births expected per child of total fertility (the women of
    the year, their survival and the age pattern) equal the declared total fertility within 4 sampling SE;
    and the probabilities' sum over a woman's ages is the declared value exactly, each positive only at the fertile
    ages (a year older: up to one past the last)."""
    rates = VitalRates(resolve({}))
    ages = np.arange(MAX_AGE + 1)
    women = Persons(
        key=ages.astype(np.uint64),
        household=np.zeros(len(ages), np.int64),
        age=ages.astype(np.int16),
        female=np.ones(len(ages), bool),
        college=np.zeros(len(ages), bool),
        participates=np.zeros(len(ages), bool),
        cluster=np.full(len(ages), -1, np.int8),
        job=np.full(len(ages), NO_JOB, np.int16),
        student_until=np.zeros(len(ages), np.int16),
    )
    for year in (2021, 2030):
        assert rates.birth_probability(women, year, 0.0).sum() == pytest.approx(rates.total_fertility(year), rel=1e-12)
        positive = ages[rates.birth_probability(women, year, 0.0) > 0]  # give_birth draws for these ages only
        assert positive.min() >= FERTILE_AGES[0] and positive.max() <= FERTILE_AGES[1] + 1
    model = MigrationModel(scale=10, end=2023, rng=3)
    for year in (2021, 2022, 2023):
        pop = model.population
        persons = copy.deepcopy(pop.persons)
        persons.age = persons.age + 1
        w = pop.person_weight()
        per_child = rates.birth_probability(persons, year, 0.0) / rates.total_fertility(year)
        per_child *= 1 - rates.death_probability(persons, year)
        model.step()
        births = model.summary["births"]
        tfr = births / (w * per_child).sum()
        se = np.sqrt((w**2 * per_child * rates.total_fertility(year)).sum()) / (w * per_child).sum()
        assert tfr == pytest.approx(total_fertility()[year].tfr, abs=4 * se), year


def test_fertility_factor_and_trend_move_total_fertility():
    base = VitalRates(resolve({}))
    assert VitalRates(resolve({"fertility_factor": 1.2})).total_fertility(2021) == pytest.approx(
        1.2 * base.total_fertility(2021)
    )
    assert base.total_fertility(2024) == pytest.approx(total_fertility()[2024].tfr)
    assert base.total_fertility(2026) == pytest.approx(
        total_fertility()[2024].tfr * (1 + base.settings.fertility_trend) ** 2
    )
    assert base.total_fertility(2000) == base.total_fertility(2010)  # any start year: the first value holds

"""The 2020 five-year age structure, the yearly vital rates and total fertility (the validation report:
``test_validate.py``).

Targets: ``environment/data/age_structure_2020.csv`` (Jiangsu's 2020 census
profile within Haimen's census broad groups), ``vital_rates.csv`` (Haimen's
2019 rates moved with Jiangsu's yearly change) and ``total_fertility.csv``;
all are re-derived here from ``facts.csv`` so the files cannot drift from their sources.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from abm import MigrationModel
from agents.population_2020 import synthesize
from environment.demography_inputs import (
    BAND_STARTS,
    age_structure_2020,
    band_of_age,
    derive_age_structure,
    derive_total_fertility,
    derive_vital_rates,
    haimen_broad_groups,
    implied_total_fertility,
    jiangsu_total_fertility,
    total_fertility,
    vital_rates,
)
from environment.inputs import fact
from environment.settings import resolve

POINT = 1.0  # percentage point: the largest allowed gap of a band's share


def band_shares(pop) -> np.ndarray:
    w = pop.person_weight()
    return np.bincount(band_of_age(pop.persons.age), weights=w, minlength=len(BAND_STARTS)) / w.sum()


def test_age_structure_file_matches_its_derivation():
    derived, written = derive_age_structure(), age_structure_2020()
    np.testing.assert_allclose(written.persons, derived.persons, atol=0.001)
    np.testing.assert_allclose(written.men, derived.men, atol=0.001)
    assert written.persons.sum() == pytest.approx(fact("pop_resident_census"), abs=0.01)
    assert written.men.sum() == pytest.approx(fact("pop_male"), abs=0.01)


def test_targets_keep_the_census_groups_and_put_the_1960s_cohorts_above_the_young():
    s = age_structure_2020().shares
    groups = haimen_broad_groups()
    assert 100 * s[:3].sum() == pytest.approx(100 * groups["age_0_14"] / fact("pop_resident_census"), abs=0.001)
    assert 100 * s[13:].sum() == pytest.approx(fact("share_age_65plus"), abs=0.05)
    assert s[10:12].sum() > s[5:7].sum()  # 50–59 larger than 25–34


def test_vital_rates_file_matches_its_derivation():
    for r in derive_vital_rates():
        written = vital_rates()[r.year]
        assert written.birth_rate == pytest.approx(r.birth_rate, abs=1e-4)
        assert written.death_rate == pytest.approx(r.death_rate, abs=1e-4)
    # the early-2023 excess deaths: 2023 above 2022 as China's rate rose
    assert vital_rates()[2023].death_rate > vital_rates()[2022].death_rate


def test_gap_filled_jiangsu_2023_agrees_with_its_published_natural_growth():
    """Jiangsu's 2023 rates (not found) are its 2022 rates moved with China's; their difference must be close
    to Jiangsu's published 2023 natural growth rate (−2.7 ‰)."""
    moved = {
        k: fact(k, "Jiangsu", 2022) * fact(k, "China", 2023) / fact(k, "China", 2022)
        for k in ("birth_rate", "death_rate")
    }
    assert moved["birth_rate"] - moved["death_rate"] == pytest.approx(
        fact("natural_growth_rate", "Jiangsu", 2023), abs=0.2
    )


@pytest.mark.parametrize("scale", [10, 1], ids=lambda s: f"1:{s}")
def test_five_year_bands_within_a_point(scale):
    pop = synthesize(resolve({}), scale, seed=1)
    gap = 100 * np.abs(band_shares(pop) - age_structure_2020().shares)
    assert gap.max() < POINT, f"largest band gap {gap.max():.3f} points"


def test_census_totals_still_exact_with_band_margins():
    pop = synthesize(resolve({}), 10, seed=3)
    w, age = pop.person_weight(), pop.persons.age
    groups = haimen_broad_groups()
    assert w.sum() == pytest.approx(fact("pop_resident_census"), abs=1e-6)
    assert w[age <= 14].sum() == pytest.approx(groups["age_0_14"], abs=1e-6)
    assert w[(age >= 60) & (age <= 64)].sum() == pytest.approx(groups["age_60_64"], abs=1e-6)
    assert w[age >= 65].sum() == pytest.approx(groups["age_65_plus"], abs=1e-6)
    assert w[~pop.persons.female].sum() == pytest.approx(fact("pop_male"), abs=1e-6)


def test_registered_population_is_residents_with_a_haimen_hukou(baseline_tables):
    s = baseline_tables["summary"].set_index("year")
    assert (s.registered_population > 0).all()
    assert (s.registered_population <= s.haimen_population).all()


def test_implied_death_rate_inverts_the_life_expectancy():
    """The report's arithmetic: the crude death rate a life expectancy implies on the 2020 population a year
    older is the model's own expected 2021 rate at the declared value, and the inverse recovers it."""
    from experiments.validation import life as vital_check

    model = MigrationModel(scale=1000, end=2021, rng=1)
    rates, pop = model.rates, model.population
    persons = copy.deepcopy(pop.persons)
    persons.age = persons.age + 1
    w = pop.person_weight()
    expected = 1000 * (w * rates.death_probability(persons, 2021)).sum() / w.sum()
    e0 = rates.life_expectancy(2021)
    assert vital_check.implied_death_rate(rates, model, e0) == pytest.approx(expected, rel=1e-9)
    assert vital_check.implied_life_expectancy(rates, model, expected, 2021) == pytest.approx(e0, abs=1e-4)
    assert vital_check.implied_death_rate(rates, model, e0 - 2) > 1.15 * expected


def test_total_fertility_file_matches_its_derivation():
    derived = derive_total_fertility()
    assert [r.year for r in derived] == sorted(total_fertility()) and derived[0].year == 2010
    for r in derived:
        assert total_fertility()[r.year].tfr == pytest.approx(r.tfr, abs=1e-4), r.year


def test_fertility_arithmetic_reproduces_the_research_note():
    """2019's 6,682 registered births imply 1.04 on the model's 2020 women (facts tfr_implied); the crude-rate
    series' 2021 rate implies 0.65; the standardised method gives Jiangsu's census-based 2020 value (1.01)."""
    assert implied_total_fertility(fact("births", "Haimen", 2019)) == pytest.approx(
        fact("tfr_implied", "Haimen", 2019), abs=0.01
    )
    persons = fact("pop_resident_census")
    assert implied_total_fertility(vital_rates()[2021].birth_rate / 1000 * persons) == pytest.approx(0.65, abs=0.01)
    assert jiangsu_total_fertility(2020) == pytest.approx(fact("tfr_indirect_estimate", "Jiangsu", 2020), abs=0.03)
    path = {y: r.tfr for y, r in total_fertility().items()}
    assert all(0.6 <= path[y] <= 0.8 for y in range(2021, 2025)), "the 2021–24 evidence: 0.6–0.8"
    assert all(0.9 <= path[y] <= 1.2 for y in range(2010, 2020)), "the 2010s: about 1.0–1.2"

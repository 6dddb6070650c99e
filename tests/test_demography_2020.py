"""The 2020 five-year age structure and the yearly vital rates (the validation report: ``test_validate.py``).

Targets: ``environment/data/age_structure_2020.csv`` (Jiangsu's 2020 census
profile within Haimen's census broad groups) and ``vital_rates.csv`` (Haimen's
2019 rates moved with Jiangsu's yearly change); both are re-derived here from
``facts.csv`` so the files cannot drift from their sources.
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
    derive_vital_rates,
    haimen_broad_groups,
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


def _expected(model: MigrationModel, year: int) -> dict[str, tuple[float, float]]:
    """Expected births and deaths per mille of the start-of-year population, with their sampling SE."""
    pop = model.population
    persons = copy.deepcopy(pop.persons)
    persons.age = persons.age + 1
    w = pop.person_weight()
    die = model.rates.death_probability(persons, year)
    birth = model.rates.birth_probability(persons, year, 0.0) * (1 - die)
    out = {}
    for name, prob in (("births", birth), ("deaths", die)):
        out[name] = (1000 * (w * prob).sum() / w.sum(), 1000 * np.sqrt((w**2 * prob * (1 - prob)).sum()) / w.sum())
    return out


@pytest.mark.parametrize("seed", [1, 2])
def test_first_year_rates_equal_the_sourced_2021_rates(seed):
    """Expected 2021 births and deaths equal the 2021 rates exactly; the 1:10 draws within 4 sampling SE."""
    model = MigrationModel(scale=10, end=2021, rng=seed)
    people = model.population.person_weight().sum()
    expected = _expected(model, 2021)
    model.step()
    s = model.tables()["summary"].set_index("year").loc[2021]
    sourced = {"births": vital_rates()[2021].birth_rate, "deaths": vital_rates()[2021].death_rate}
    simulated = {"births": 1000 * s.births / people, "deaths": 1000 * s.deaths / people}
    for event, rate in sourced.items():
        mean, se = expected[event]
        assert mean == pytest.approx(rate, rel=1e-6), event
        assert abs(simulated[event] - rate) <= 4 * se, f"{event}: {simulated[event]:.2f} vs {rate:.2f} ± {se:.2f}"


def test_registered_population_is_residents_with_a_haimen_hukou(baseline_tables):
    s = baseline_tables["summary"].set_index("year")
    assert (s.registered_population > 0).all()
    assert (s.registered_population <= s.haimen_population).all()

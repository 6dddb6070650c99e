"""The synthetic 2020 population and the first year's natural change.

The synthesis rakes household weights so that the census totals hold exactly at
any scale; the vital rates are levelled on Haimen's 2021 crude rates of
``environment/data/vital_rates.csv`` (its published 2019 rates moved with
Jiangsu's change since 2019: births ≈ 4.19 ‰, deaths ≈ 9.27 ‰). Until 2026-11
these tests asserted the 2019 rates themselves (6.7 ‰, 9.6 ‰) in 2021.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from abm import MigrationModel
from agents.demography import VitalRates
from agents.population import COLLECTIVE
from agents.population_2020 import alternative_targets, census, synthesize
from environment.demography_inputs import vital_rates
from environment.places import places
from environment.settings import resolve

# The 2020 census (第七次人口普查) figures for Haimen, written out so that a change
# to the data files cannot silently move the target.
CENSUS_2020 = {
    "persons": 991_782,
    "urban": 661_983,
    "age_0_14": 108_184,
    "age_60_64": 76_453,
    "age_65_plus": 228_627,
    "male": 484_870,
    "collective_persons": 137_583,
    "family_households": 384_993,
}
EXACT = 1e-6  # people (or households): the raking solves to ~1e-12 relative
SOURCED_2021 = {"births": vital_rates()[2021].birth_rate, "deaths": vital_rates()[2021].death_rate}  # per mille


def totals(pop) -> dict[str, float]:
    """The census quantities, computed from a population's weighted rows."""
    h, p = pop.households, pop.persons
    w = pop.person_weight()
    collective = h.tenure[p.household] == COLLECTIVE
    return {
        "persons": w.sum(),
        "urban": w[h.urban[p.household]].sum(),
        "age_0_14": w[p.age <= 14].sum(),
        "age_60_64": w[(p.age >= 60) & (p.age <= 64)].sum(),
        "age_65_plus": w[p.age >= 65].sum(),
        "male": w[~p.female].sum(),
        "collective_persons": w[collective].sum(),
        "family_households": h.weight[h.tenure != COLLECTIVE].sum(),
        "family_persons": w[~collective].sum(),
    }


@pytest.fixture(scope="module", params=[1000, 100, 10, 1], ids=lambda s: f"1:{s}")
def synthetic(request):
    return request.param, synthesize(resolve({}), request.param, seed=1)


def test_census_function_has_the_published_figures():
    c = census()
    for key, value in CENSUS_2020.items():
        assert c[key] == value, key
    assert c["family_persons"] + c["collective_persons"] == c["persons"]


def test_totals_exact_at_every_scale(synthetic):
    scale, pop = synthetic
    got = totals(pop)
    for key, value in CENSUS_2020.items():
        assert got[key] == pytest.approx(value, abs=EXACT), f"1:{scale} {key}: {got[key]!r} != {value}"
    assert got["family_persons"] == pytest.approx(census()["family_persons"], abs=EXACT)


def test_rows_and_weights_at_every_scale(synthetic):
    scale, pop = synthetic
    h, p = pop.households, pop.persons
    assert np.isfinite(h.weight).all() and (h.weight > 0).all()
    # about one row per ``scale`` households (stratification rounds per alternative)
    households = CENSUS_2020["family_households"] + CENSUS_2020["collective_persons"]
    assert len(h) == pytest.approx(households / scale, rel=0.05, abs=places().n_alt)
    # weights stay near the design weight: raking only adjusts
    assert np.median(h.weight) == pytest.approx(scale, rel=0.25)
    assert len(np.unique(h.key)) == len(h) and len(np.unique(p.key)) == len(p)
    assert (pop.members() > 0).all()
    assert ((p.household >= 0) & (p.household < len(h))).all()
    assert places().in_haimen[h.place].all()
    assert (p.age >= 0).all()


def test_persons_per_alternative_match_targets(synthetic):
    """Persons per (unit, urban/rural part) equal the unit targets, which sum to the census."""
    _, pop = synthetic
    pl, h = places(), pop.households
    alt = pl.alt(h.place, h.urban)[pop.persons.household]
    got = np.bincount(alt, weights=pop.person_weight(), minlength=pl.n_alt)
    target = alternative_targets()
    np.testing.assert_allclose(got, target, rtol=1e-9, atol=EXACT)
    assert target.sum() == pytest.approx(CENSUS_2020["persons"], abs=EXACT)
    assert target[pl.alt_urban].sum() == pytest.approx(CENSUS_2020["urban"], abs=EXACT)


def test_totals_exact_for_another_seed():
    pop = synthesize(resolve({}), 100, seed=7)
    other = synthesize(resolve({}), 100, seed=1)
    assert not np.array_equal(pop.persons.age, other.persons.age[: len(pop.persons.age)])
    got = totals(pop)
    for key, value in CENSUS_2020.items():
        assert got[key] == pytest.approx(value, abs=EXACT), key


def test_initial_age_shares_match_census(baseline_tables):
    """The recorded 2020 age structure (ages table) has the census shares of 0–14, 60–64, 65+ and men."""
    ages = baseline_tables["ages"].query("year == 2020")
    lower = ages.age_band.str.extract(r"^(\d+)")[0].astype(int)
    total = ages.people.sum()
    assert total == pytest.approx(CENSUS_2020["persons"], rel=1e-9)
    shares = {
        "age_0_14": ages.people[lower < 15].sum() / total,
        "age_60_64": ages.people[lower == 60].sum() / total,
        "age_65_plus": ages.people[lower >= 65].sum() / total,
        "male": ages.people[ages.sex == "male"].sum() / total,
    }
    for key, share in shares.items():
        assert share == pytest.approx(CENSUS_2020[key] / CENSUS_2020["persons"], rel=1e-9), key
    urbanization = baseline_tables["summary"].set_index("year").urbanization[2020]
    assert urbanization == pytest.approx(CENSUS_2020["urban"] / CENSUS_2020["persons"], rel=1e-9)


# ------------------------------------------------------------------ natural change
def _expected_rates(pop, rates: VitalRates, year: int, aged: bool) -> dict[str, tuple[float, float]]:
    """Expected births and deaths per mille of the population (and their sampling SE), from the probabilities."""
    persons = copy.deepcopy(pop.persons)
    if aged:
        persons.age = persons.age + 1
    w = pop.person_weight()
    people = w.sum()
    die = rates.death_probability(persons, year)
    birth = rates.birth_probability(persons, year, 0.0) * (1 - die)
    out = {}
    for name, prob in (("births", birth), ("deaths", die)):
        mean = (w * prob).sum()
        se = np.sqrt((w**2 * prob * (1 - prob)).sum())
        out[name] = (1000 * mean / people, 1000 * se / people)
    return out


@pytest.mark.parametrize("event", ["deaths", "births"])
def test_vital_rates_reproduce_2021_rates_in_the_first_year(event):
    """As documented in agents/demography.py: in the first simulated year (everyone a year older than at
    the census), the expected deaths and births of the 2020 population equal the sourced 2021 rates.
    No sampling is involved (sums of probabilities), so 0.5 % is generous."""
    settings = resolve({})
    pop = synthesize(settings, 10, seed=1)
    expected = _expected_rates(pop, VitalRates(settings, pop, first_year=2021), 2021, aged=True)
    assert expected[event][0] == pytest.approx(SOURCED_2021[event], rel=0.005)


def test_first_year_natural_change_near_sourced_2021_rate():
    """The first simulated year (2021) lands on the sourced 2021 rates (births ≈ 4.19, deaths ≈ 9.27 per mille).

    The levels are fitted to them in expectation, so the model's expected rates
    must be within 0.15 per mille (mothers who die before giving birth, and
    rounding); the simulated rates at 1:10 must then match those expectations
    within 4 sampling standard errors (the binomial variance of the weighted
    draws), which checks the draws themselves.
    """
    model = MigrationModel(scale=10, end=2021, rng=1)
    pop = model.population
    people = pop.person_weight().sum()
    expected = _expected_rates(pop, model.rates, 2021, aged=True)
    model.step()
    s = model.tables()["summary"].set_index("year").loc[2021]
    simulated = {"births": 1000 * s.births / people, "deaths": 1000 * s.deaths / people}
    for event, published in SOURCED_2021.items():
        mean, se = expected[event]
        assert abs(mean - published) <= 0.15, f"expected {event} {mean:.2f} per mille vs published {published}"
        assert abs(simulated[event] - mean) <= 4 * se, f"{event}: simulated {simulated[event]:.2f}, {mean:.2f}±{se:.2f}"
    natural = expected["births"][0] - expected["deaths"][0]
    sourced = SOURCED_2021["births"] - SOURCED_2021["deaths"]
    assert natural == pytest.approx(sourced, abs=1.0)
    se = np.hypot(expected["births"][1], expected["deaths"][1])
    assert simulated["births"] - simulated["deaths"] == pytest.approx(sourced, abs=1.0 + 4 * se)

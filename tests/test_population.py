"""The synthetic 2020 population.

The synthesis rakes household weights so that the census totals hold exactly at
any scale. The first year's births and deaths are tested in ``tests/test_mortality.py``.
"""

from __future__ import annotations

import numpy as np
import pytest

from agents.population import COLLECTIVE
from agents.population_2020 import alternative_targets, census, synthesize
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

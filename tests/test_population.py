"""The synthetic population at each census a run may start from (2020 forward, 2010 the backcast).

The synthesis rakes household weights so that the census totals hold exactly at
any scale. The first year's births and deaths are tested in ``tests/test_mortality.py``.
"""

from __future__ import annotations

import numpy as np
import pytest

from agents.census_population import synthesize
from agents.population import COLLECTIVE
from environment.census import census_years, margins
from environment.demography_inputs import BAND_STARTS, band_of_age, read_ages
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
# The 2010 census (第六次人口普查): 907,598 residents, urban 453,781 (50.00 %), sex ratio 82.9 (men 411,372),
# 2.36 persons per family household; collective persons an assumption (9.4 % of the residents; not found).
COLLECTIVE_2010 = 0.094 * 907_598
CENSUS_2010 = {
    "persons": 907_598,
    "urban": 453_781,
    "male": 411_372,
    "collective_persons": COLLECTIVE_2010,
    "family_households": (907_598 - COLLECTIVE_2010) / 2.36,
}
CENSUS = {2020: CENSUS_2020, 2010: CENSUS_2010}
AGE_TABLE = {2020: "age_structure_2020.csv", 2010: "age_structure_2010.csv"}
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


@pytest.fixture(
    scope="module",
    params=[(y, s) for y in (2020, 2010) for s in (1000, 100, 10, 1)],
    ids=lambda p: f"{p[0]}-1:{p[1]}",
)
def synthetic(request):
    year, scale = request.param
    return year, scale, synthesize(resolve({}), scale, seed=1, year=year)


def test_the_census_years_are_2010_and_2020():
    assert census_years() == (2010, 2020)


@pytest.mark.parametrize("year", [2020, 2010])
def test_margins_have_the_published_figures(year):
    c = margins(year)
    for key, value in CENSUS[year].items():
        assert getattr(c, key, c.groups.get(key)) == pytest.approx(value, rel=1e-12), key
    assert c.family_persons + c.collective_persons == c.persons
    assert c.ages.persons.sum() == pytest.approx(c.persons, rel=1e-12)
    assert c.ages.men.sum() == pytest.approx(c.male, rel=1e-12)


def test_2010_margins_keep_the_census_ratios():
    """50.00 % urban, sex ratio 82.9 and 2.36 persons per family household (as the censuses round them)."""
    c = margins(2010)
    assert round(100 * c.urban / c.persons, 2) == 50.00
    assert round(100 * c.male / (c.persons - c.male), 1) == 82.9
    assert c.family_persons / c.family_households == pytest.approx(2.36, rel=1e-12)


def test_2010_age_table_is_the_declared_derived_structure():
    """The derived 2010 table as written (research note candidate c: 0–14 10.63 %, 60+ 25.39 %, 65+ 17.28 %)."""
    c, table = margins(2010), read_ages("age_structure_2010.csv")
    np.testing.assert_allclose(c.ages.persons, table.persons * c.persons / table.persons.sum(), rtol=1e-12)
    shares = 100 * c.ages.persons / c.persons
    starts = np.array(BAND_STARTS)
    assert shares[starts < 15].sum() == pytest.approx(10.63, abs=0.005)
    assert shares[starts >= 60].sum() == pytest.approx(25.39, abs=0.005)
    assert shares[starts >= 65].sum() == pytest.approx(17.28, abs=0.005)


def test_totals_exact_at_every_scale(synthetic):
    year, scale, pop = synthetic
    got, c = totals(pop), margins(year)
    for key, value in CENSUS[year].items():
        assert got[key] == pytest.approx(value, abs=EXACT), f"{year} 1:{scale} {key}: {got[key]!r} != {value}"
    assert got["family_persons"] == pytest.approx(c.family_persons, abs=EXACT)


def test_age_structure_exact_at_every_scale(synthetic):
    """Persons and men per five-year band are the census year's table, rescaled to its margins."""
    year, _, pop = synthetic
    p, c = pop.persons, margins(year)
    w = pop.person_weight()
    band = band_of_age(p.age)
    np.testing.assert_allclose(np.bincount(band, weights=w), c.ages.persons, rtol=1e-9, atol=EXACT)
    np.testing.assert_allclose(np.bincount(band[~p.female], weights=w[~p.female]), c.ages.men, rtol=1e-9, atol=EXACT)


def test_rows_and_weights_at_every_scale(synthetic):
    year, scale, pop = synthetic
    h, p = pop.households, pop.persons
    assert np.isfinite(h.weight).all() and (h.weight > 0).all()
    # about one row per ``scale`` households (stratification rounds per alternative)
    households = CENSUS[year]["family_households"] + CENSUS[year]["collective_persons"]
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
    year, _, pop = synthetic
    pl, h = places(), pop.households
    alt = pl.alt(h.place, h.urban)[pop.persons.household]
    got = np.bincount(alt, weights=pop.person_weight(), minlength=pl.n_alt)
    target = margins(year).alternatives
    np.testing.assert_allclose(got, target, rtol=1e-9, atol=EXACT)
    assert target.sum() == pytest.approx(CENSUS[year]["persons"], abs=EXACT)
    assert target[pl.alt_urban].sum() == pytest.approx(CENSUS[year]["urban"], abs=EXACT)


def test_2010_units_are_2020s_moved_back_along_the_urbanization():
    """Each unit's urban part shrinks with Haimen's urban total, its rural part grows with the rural total."""
    pl = places()
    now, then = margins(2020).alternatives, margins(2010).alternatives
    urban, rural = pl.alt_in_haimen & pl.alt_urban, pl.alt_in_haimen & ~pl.alt_urban
    np.testing.assert_allclose(then[urban] / now[urban], 453_781 / 661_983, rtol=1e-12)
    np.testing.assert_allclose(then[rural] / now[rural], (907_598 - 453_781) / 329_799, rtol=1e-12)


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

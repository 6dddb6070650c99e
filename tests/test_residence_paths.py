"""The residence stage's faster paths give the same numbers as the straightforward code they replace.

References below are the earlier implementations: kinds hashed from all features, deciders described part by
part and joined, rates by ``np.where`` chains, the utility added term by term (from the model's own housing and
access terms: what is checked is how the terms are grouped and added up).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

import abm.model
from abm.model import MigrationModel
from agents.constants import ADULT_AGE
from agents.labour import JobProspects
from agents.pools import draw_pool
from agents.population import COLLECTIVE, OWNER, Population, taken_lazily
from agents.residence import (
    Deciders,
    access_terms,
    describe_all,
    households_weighing_a_move,
    housing_cost,
    moving_cost,
    residence_utility,
    subsidies,
)
from agents.rows import (
    Entries,
    codes_by_appearance,
    distinct_rows,
    dot,
    group_codes,
    packed,
    row_codes,
    rows_by_appearance,
)
from agents.streams import Channel, uniform
from environment.inputs import constant
from environment.jobs import income_index
from environment.places import places
from environment.world import World

SCALE, SEED = 100, 1


@pytest.fixture(scope="module")
def stepped() -> MigrationModel:
    """The plan scenario at 1:100 after two years (students, graduates, leavers, newcomers), with each year's
    utilities and their reference (``model.utilities``). Do not step it."""
    model = MigrationModel(scale=SCALE, end=2030, rng=SEED, scenario="plan")
    model.utilities = []

    def spy(d: Deciders, world: World, prospects: JobProspects, year: int) -> tuple[np.ndarray, np.ndarray]:
        V, kind = residence_utility(d, world, prospects, year)
        first, ref_kind = rows_by_appearance(*d.features())
        model.utilities.append((V, kind, _utility_reference(d.take(first), world, prospects, year), ref_kind))
        return V, kind

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(abm.model, "residence_utility", spy)
        model.step()
        model.step()
    return model


def _deciders(model: MigrationModel) -> tuple[Deciders, list[tuple[Population, np.ndarray, bool]]]:
    pop, y = model.population, model.year
    pool = draw_pool(model.settings, model.seed, y, model.scale)
    residents = np.flatnonzero(np.arange(len(pop.households)) % 3 == 0)
    parts = [(pop, residents, False), (pool, np.arange(len(pool.households)), True)]
    return describe_all(parts, model.world, y, model.seed), parts


def test_described_at_once_as_part_by_part_joined(stepped):
    d, parts = _deciders(stepped)
    joined = Deciders.concat(*(describe_all([part], stepped.world, stepped.year, stepped.seed) for part in parts))
    for name, value in vars(joined).items():
        assert getattr(d, name).dtype == value.dtype, name
        np.testing.assert_array_equal(getattr(d, name), value, err_msg=name)


def test_kinds_as_hashing_all_features(stepped, monkeypatch):
    d, _ = _deciders(stepped)
    first, kind = d.kinds()
    ref_first, ref_kind = rows_by_appearance(*d.features())
    np.testing.assert_array_equal(first, ref_first)
    np.testing.assert_array_equal(kind, ref_kind)
    # a hash collision falls back to exact grouping of the same features
    monkeypatch.setattr("agents.residence.codes_by_appearance", lambda code, check: None)
    exact = distinct_rows(*d.features())
    for got, want in zip(d.kinds(), exact, strict=True):
        np.testing.assert_array_equal(got, want)


def test_sparse_entries_group_as_dense_columns():
    rng = np.random.default_rng(5)
    n, width = 4000, 5
    dense = np.where(rng.random((n, width)) < 0.3, rng.integers(1, 3, (n, width)), 0).astype(float)
    extra = np.where(dense > 0, np.round(rng.integers(0, 3, (n, width)) * 0.2, 6), 0.0)
    small = rng.integers(0, 3, n)
    at = np.flatnonzero(dense.ravel())
    entries = Entries(at // width, at % width, [dense.ravel()[at], extra.ravel()[at]], width)
    first, group = codes_by_appearance(*row_codes(small, entries=entries))
    ref_first, ref_group = rows_by_appearance(small, dense, extra)
    np.testing.assert_array_equal(first, ref_first)
    np.testing.assert_array_equal(group, ref_group)


def test_packed_tells_rows_apart_exactly():
    rng = np.random.default_rng(2)
    columns = (rng.integers(-2, 3, 3000), rng.random(3000) < 0.5, rng.integers(0, 4, 3000).astype(float))
    code = packed(*columns)
    _, ref_group = distinct_rows(*columns)
    _, group = np.unique(code, return_inverse=True)
    pairs = np.unique(group * (ref_group.max() + 1) + ref_group)
    assert len(pairs) == group.max() + 1 == ref_group.max() + 1  # the same partition
    assert packed(*[rng.integers(0, 2**20, 10)] * 3) is None  # 60 bits: not exact as floats


def test_dot_rows_do_not_depend_on_other_rows():
    rng = np.random.default_rng(4)
    a, b = rng.random((500, 8)) * 3, rng.random((8, 30)) * 1e4
    full = dot(a, b)
    sequential = sum((a[:, [j]] * b[j] for j in range(1, 8)), start=a[:, [0]] * b[0] + 0.0)
    np.testing.assert_array_equal(full, sequential)
    for n in (1, 2, 3, 7, 33):
        rows = rng.choice(len(a), n)
        np.testing.assert_array_equal(dot(a[rows], b), full[rows])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_households_weighing_a_move_as_where_chains(stepped, seed):
    pop, world = stepped.population, stepped.world
    for year in range(stepped.year - 3, stepped.year + 4):  # students, graduates of each year, or neither
        np.testing.assert_array_equal(
            households_weighing_a_move(pop, world, seed, year), _weighing_reference(pop, world, seed, year)
        )


def test_utility_as_term_by_term(stepped):
    assert len(stepped.utilities) == 2
    for V, kind, ref, ref_kind in stepped.utilities:
        np.testing.assert_array_equal(kind, ref_kind)
        assert V.dtype == ref.dtype == np.float32
        np.testing.assert_array_equal(V.view(np.uint32), ref.view(np.uint32))


# The earlier implementations (references)


def _weighing_reference(pop: Population, world: World, seed: int, year: int) -> np.ndarray:
    """Rows of resident households that weigh a move this year.

    Rates by kind of household (owners less often); vocational students stay
    until they finish, and weigh a move in the year after.
    """
    s, h, p = world.settings, pop.households, pop.persons
    members = pop.members()
    youngest_adult = np.full(len(h), 200, dtype=np.int16)
    np.minimum.at(youngest_adult, p.household, np.where(p.age >= ADULT_AGE, p.age, 200).astype(np.int16))
    rate = np.where(
        h.tenure == COLLECTIVE,
        s.move_rate_collective,
        np.where(
            (members == 1) & (youngest_adult < constant("young_single_age")), s.move_rate_single, s.move_rate_family
        ),
    )
    rate = rate * np.where(h.tenure == OWNER, s.owner_mobility_factor, 1.0)
    studying = np.zeros(len(h), dtype=bool)
    studying[p.household[p.student_until >= year]] = True
    graduated = np.zeros(len(h), dtype=bool)
    graduated[p.household[p.student_until == year - 1]] = True
    rate = np.where(studying, 0.0, np.where(graduated, 1.0, rate))
    return np.flatnonzero(uniform(seed, Channel.CONSIDER_MOVE, year, h.key) < rate)


def _per_group(d: Deciders, term: Callable[[Deciders], np.ndarray], *features: np.ndarray) -> np.ndarray:
    """``term(d)``, evaluated once per distinct combination of ``features`` (small integer values, the
    only features ``term`` reads) and spread to every row: the same numbers, computed on fewer rows."""
    if len(d) == 0:
        return term(d)
    code = np.zeros(len(d), dtype=np.int64)
    for feature in features:
        feature = feature.astype(np.int64) - int(feature.min())
        code = code * (int(feature.max()) + 1) + feature
    first, group = group_codes(code)
    return term(d.take(first))[group]


def _utility_reference(d: Deciders, world: World, prospects: JobProspects, year: int) -> np.ndarray:
    s, pl = world.settings, places()
    haimen = pl.alt_in_haimen
    # income net of housing cost
    income = dot(d.earnings, prospects.expected_wage)
    local_wage = s.base_wage * income_index(s)[pl.alt_place]
    income += _per_group(d, lambda g: g.other_adults[:, None] * s.pension_share * local_wage[None, :], d.other_adults)

    housing = _per_group(d, lambda g: housing_cost(g, world), d.members, d.current)
    payments = subsidies(d, world, year)  # row by row: the same numbers as once per group
    net = income - housing + payments
    V = s.beta_income * np.log(np.maximum(net, constant("income_floor_share") * income + constant("income_floor_yuan")))
    # jobs: accessibility of openings for each worker's trade
    V += s.beta_access * dot(d.workers, prospects.accessibility)

    # hukou-linked access to schools and services (the terms themselves as the model computes them)
    features = (d.hukou_city, d.current, d.rural_origin, d.school_children > 0)
    access = _per_group(d, lambda g: access_terms(g, world, year), *features)
    V += access[:, 0]
    V += access[:, 1]
    # amenity (with the youth bonus for young graduates) and ties
    youth = world.policy.year(year).youth_amenity
    amenity = world.amenity(year)[None, :] + np.array([False, True])[:, None] * youth[None, :]
    V += (s.beta_amenity * amenity)[d.youth_eligible.astype(np.intp)]
    ties = s.beta_ties * np.log1p(world.ties.matrix()[:, pl.alt_place] / constant("ties_unit"))
    V += ties[d.origin]
    stock = world.housing.stock
    size = np.log(stock / stock[haimen].mean(), where=haimen, out=np.zeros_like(stock)) * s.nest_scale_haimen
    V += size[None, :]
    V[np.arange(len(d)), d.current] -= size[d.current]
    V -= _per_group(d, lambda g: moving_cost(g, world), d.current, d.owner)
    V += s.asc_haimen * haimen + s.asc_rural * ~pl.alt_urban
    return V.astype(np.float32)


def test_taken_lazily_reads_the_rows_taken(stepped):
    households = stepped.population.households
    index = np.array([5, 0, 5, 17])
    lazy, taken = taken_lazily(households, index), households.take(index)
    assert len(lazy) == len(taken) == 4
    np.testing.assert_array_equal(lazy.place, taken.place)
    assert "place" in vars(lazy) and "key" not in vars(lazy)  # gathered on reading, once
    again = taken_lazily(lazy, np.array([3, 1]))  # rows of rows
    np.testing.assert_array_equal(again.key, taken.key[[3, 1]])

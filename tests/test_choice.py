"""The choice model against its closed form, and a price rise against inflow.

Simulated choices (Gumbel-max with keyed draws) must reproduce the logit and
nested-logit probabilities. The tolerance is statistical: the draws are keyed
and fixed, so each test is deterministic, and a chi-square goodness-of-fit
p-value below 1e-3 (or a share more than 4.5 standard errors off) would mean
the draw does not implement the closed form.
"""

from __future__ import annotations

import numpy as np
import pytest
from reference_draws import flat_draw
from scipy import stats

from abm import MigrationModel
from agents.choice import (
    SHADOW_PRICE_ROUNDS,
    Capacity,
    Nests,
    RoundsLog,
    _best_nest,
    _by_target_then_priority,
    choose,
    fits_in_order,
    inverse_cdf_draw,
    logging_rounds,
    logit_probabilities,
    logsum,
)
from agents.residence import residence_draw, residence_nests
from agents.rows import group_codes
from agents.streams import Channel, gumbel, uniform
from environment.places import places

N = 200_000
SEED, YEAR = 5, 2024
KEYS = (np.uint64(3) << np.uint64(56)) + np.arange(N, dtype=np.uint64)

# four kinds of decider, six alternatives, utilities spread over a few units
V = np.array(
    [
        [0.0, 0.5, -0.3, 1.2, -1.0, 0.2],
        [0.3, -0.2, 0.9, 0.0, 0.4, -0.6],
        [-2.0, 1.5, 0.1, 0.1, 0.0, 2.5],
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    ]
)
KIND = np.arange(N) % len(V)


def counts_by_kind(choice: np.ndarray, n_alt: int) -> np.ndarray:
    return np.bincount(KIND * n_alt + choice, minlength=len(V) * n_alt).reshape(len(V), n_alt)


def assert_matches(observed: np.ndarray, probabilities: np.ndarray) -> None:
    """Chi-square over all kinds and alternatives, and every share within 4.5 standard errors."""
    n = observed.sum(axis=1, keepdims=True)
    expected = n * probabilities
    positive = expected > 0
    assert (observed[~positive] == 0).all(), "an alternative with zero probability was chosen"
    chi2 = ((observed - expected)[positive] ** 2 / expected[positive]).sum()
    df = int(positive.sum()) - len(observed)
    assert stats.chi2.sf(chi2, df) > 1e-3, f"chi2 = {chi2:.1f} on {df} df"
    se = np.sqrt(probabilities * (1 - probabilities) / n)
    z = np.abs(observed / n - probabilities)[positive] / se[positive]
    assert z.max() < 4.5, f"largest deviation {z.max():.1f} standard errors"


# ---------------------------------------------------------------- multinomial logit
def test_logit_probabilities_closed_form():
    p = logit_probabilities(V)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    np.testing.assert_allclose(p[3], 1 / 6)
    np.testing.assert_allclose(p, np.exp(V) / np.exp(V).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(logit_probabilities(V + 1000.0), p)  # no overflow, shift-invariant
    np.testing.assert_allclose(logsum(V), np.log(np.exp(V).sum(axis=1)))


def test_gumbel_max_reproduces_logit():
    errors = gumbel(SEED, Channel.RESIDENCE, YEAR, KEYS, V.shape[1])
    choice = flat_draw(errors)(V, KIND)
    assert_matches(counts_by_kind(choice, V.shape[1]), logit_probabilities(V))


def test_gumbel_max_detects_wrong_probabilities():
    """The comparison has power: halving the utilities is visibly wrong."""
    errors = gumbel(SEED, Channel.RESIDENCE, YEAR, KEYS, V.shape[1])
    choice = flat_draw(errors)(V, KIND)
    with pytest.raises(AssertionError):
        assert_matches(counts_by_kind(choice, V.shape[1]), logit_probabilities(V / 2))


def test_unavailable_alternative_never_chosen():
    W = V.copy()
    W[:, 2] = -np.inf
    errors = gumbel(SEED, Channel.RESIDENCE, YEAR, KEYS, V.shape[1])
    choice = flat_draw(errors)(W, KIND)
    assert not (choice == 2).any()
    assert_matches(counts_by_kind(choice, V.shape[1]), logit_probabilities(W))


def test_inverse_cdf_draw_reproduces_logit():
    """The one-uniform-per-decider draw (used for jobs) has the logit probabilities too, zeros included."""
    W = V.copy()
    W[1, 0] = W[2, 5] = -np.inf
    u = uniform(SEED, Channel.JOB, YEAR, KEYS)
    choice = inverse_cdf_draw(u)(W, KIND)
    assert_matches(counts_by_kind(choice, V.shape[1]), logit_probabilities(W))


# ---------------------------------------------------------------- nested logit
NEST_STRUCTURES = {
    "one nest of three, λ=0.5": (np.array([0, 0, 0, 1, 2, 3]), np.array([0.5, 1.0, 1.0, 1.0])),
    "two nests, λ=0.5 and 0.3": (np.array([0, 0, 0, 1, 1, 2]), np.array([0.5, 0.3, 1.0])),
    "one nest of all, λ=0.2": (np.zeros(6, dtype=int), np.array([0.2])),
}


def nested_draw(nests: Nests, keys: np.ndarray):
    """The residence choice's keyed draw (``residence_draw``): each larger nest's errors hashed on its own columns."""
    return residence_draw(nests, SEED, YEAR, keys)


@pytest.mark.parametrize("structure", NEST_STRUCTURES, ids=list(NEST_STRUCTURES))
def test_nested_draw_reproduces_nested_logit(structure):
    nests = Nests(*NEST_STRUCTURES[structure])
    p = nests.probabilities(V)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    choice = nested_draw(nests, KEYS)(V, KIND)
    assert_matches(counts_by_kind(choice, V.shape[1]), p)


def test_nested_draw_repeated_is_exact():
    """Redrawing with the same kinds (as shadow-price rounds do) gives exactly a fresh, plain draw's choices."""
    structures = {**NEST_STRUCTURES, "split nest": (np.array([0, 1, 0, 2, 0, 3]), np.array([0.5, 1.0, 1.0, 1.0]))}
    kind = KIND.copy()
    for of_alt, scale in structures.values():
        nests = Nests(of_alt, scale)
        draw = nested_draw(nests, KEYS)
        eps_nest = gumbel(SEED, Channel.RESIDENCE_NEST, YEAR, KEYS, len(scale))
        eps_alt = gumbel(SEED, Channel.RESIDENCE, YEAR, KEYS, 6)
        for shift in (0.0, 0.3, 0.3, -0.5):
            W = (V + shift * (of_alt == 0)).astype(np.float32)  # the first nest's alternatives change
            inner, values = nests.inclusive(W)
            nest = np.argmax(values[kind] + eps_nest, axis=1)
            inside = of_alt[None, :] == nest[:, None]
            expected = np.argmax(np.where(inside, inner[kind] + eps_alt, -np.inf), axis=1)
            np.testing.assert_array_equal(draw(W, kind), expected)


def test_nested_redraw_told_the_changed_kinds_is_exact():
    """``NestedDraw.redraw`` (as ``choose`` calls it each shadow-price round, on utilities changed in place) gives
    exactly a fresh draw's choices, told the kinds that changed or more; a plain call after it draws everyone."""
    for of_alt, scale in NEST_STRUCTURES.values():
        nests = Nests(of_alt, scale)
        draw = nested_draw(nests, KEYS)
        W = V.astype(np.float32)
        draw(W, KIND)
        for changed, shift in ((np.array([1]), 0.7), (np.array([0, 2]), -0.4), (np.arange(len(V)), 0.0)):
            W[changed] += shift * (of_alt == 0)  # in place: the draw keeps no copy to compare with
            fresh = nested_draw(nests, KEYS)(W.copy(), KIND)
            np.testing.assert_array_equal(draw.redraw(W, KIND, changed), fresh)
            told = nested_draw(nests, KEYS)  # told the alternatives too: the other nests' values are kept
            told(W - shift * (of_alt == 0) * np.isin(np.arange(len(V)), changed)[:, None], KIND)
            np.testing.assert_array_equal(told.redraw(W, KIND, changed, of_alt == 0), fresh)
            superset = np.union1d(changed, [len(V) - 1])
            np.testing.assert_array_equal(draw.redraw(W, KIND, superset), fresh)
        W[0] -= 1.0
        np.testing.assert_array_equal(draw(W, KIND), nested_draw(nests, KEYS)(W.copy(), KIND))


def test_logsum_of_two_columns_and_of_short_rows_are_numpy_max_and_sum_bit_for_bit():
    """``logsum`` finds the maximum by argmax, and for two columns works column by column: the same numbers as
    numpy's max and sum along the rows, unavailable (-inf) alternatives included."""
    rng = np.random.default_rng(7)
    for dtype in (np.float32, np.float64):
        for width in (2, 3, 24):
            W = (rng.normal(size=(5000, width)) * rng.choice([1e-3, 1.0, 40.0], size=(5000, width))).astype(dtype)
            W[:40, 0] = -np.inf
            W[40:60] = 0.0
            top = W.max(axis=1, keepdims=True)
            expected = top[:, 0] + np.log(np.exp(W - top).sum(axis=1))
            np.testing.assert_array_equal(logsum(W, axis=1), expected)
            np.testing.assert_array_equal(logsum(W), expected)


def test_best_nest_is_argmax_ties_unavailable_and_nan_included():
    rng = np.random.default_rng(11)
    values = rng.normal(size=(50, 7)).astype(np.float32)
    values[3] = -np.inf  # nothing available
    values[4, 2:] = values[4, 0]  # ties
    values[5, 4] = np.nan
    for n in (4000, 40_000):  # found by argmax, and nest by nest
        of = rng.integers(0, 50, n)
        eps = gumbel(SEED, Channel.RESIDENCE_NEST, YEAR, KEYS[:n], 7, by_slot=True)
        eps[:, of == 4] = 0.0  # the ties left as they are
        expected = np.argmax(values[of] + eps.T, axis=1)
        np.testing.assert_array_equal(_best_nest(values, of, eps), expected)


def test_logit_probabilities_written_over_their_utilities_are_the_same_numbers():
    W = np.vstack([V, np.where(np.arange(V.shape[1]) % 2, V[0], -np.inf)])  # a row with unavailable alternatives
    expected = logit_probabilities(W)
    scratch = W.copy()
    written = logit_probabilities(scratch, overwrite=True)
    assert written is scratch
    np.testing.assert_array_equal(written, expected)


def test_nested_logit_closed_form():
    of_alt, scale = NEST_STRUCTURES["one nest of three, λ=0.5"]
    nests = Nests(of_alt, scale)
    p = nests.probabilities(V)
    # by hand: P(nest) from inclusive values, P(alt | nest) from V/λ
    inclusive = np.column_stack([0.5 * logsum(V[:, :3] / 0.5), V[:, 3:]])
    p_nest = logit_probabilities(inclusive)
    by_hand = np.column_stack([p_nest[:, :1] * logit_probabilities(V[:, :3] / 0.5), p_nest[:, 1:]])
    np.testing.assert_allclose(p, by_hand)
    # with every λ = 1 the nested logit is the plain logit
    np.testing.assert_allclose(Nests(of_alt, np.ones(4)).probabilities(V), logit_probabilities(V))
    # with λ < 1 the nest's inclusive value λ·logsum(V/λ) is at most logsum(V): the nest as a whole
    # gets no more than its members' plain-logit share (close substitutes add less than their sum)
    assert (p[:, :3].sum(axis=1) <= logit_probabilities(V)[:, :3].sum(axis=1) + 1e-12).all()


def test_residence_nests_group_haimen(baseline_model):
    """Residence choice: every city is its own nest; Haimen's alternatives share one with the set scale."""
    pl, world = places(), baseline_model.world
    nests = residence_nests(world)
    haimen_nests = np.unique(nests.of_alt[pl.alt_in_haimen])
    assert len(haimen_nests) == 1
    assert nests.scale[haimen_nests[0]] == pytest.approx(world.settings.nest_scale_haimen)
    assert 0 < world.settings.nest_scale_haimen < 1
    outside = nests.of_alt[~pl.alt_in_haimen]
    city = pl.city[pl.alt_place[~pl.alt_in_haimen]]  # Chongming is Shanghai's district: Shanghai's nest
    assert (np.equal.outer(outside, outside) == np.equal.outer(city, city)).all()
    assert (nests.scale[outside] == 1.0).all()
    W = np.tile(np.linspace(-1, 1, pl.n_alt), (3, 1))
    np.testing.assert_allclose(nests.probabilities(W).sum(axis=1), 1.0)


# ---------------------------------------------------------------- choose: per kind = per decider
def _capacity(n: int, n_alt: int) -> list[Capacity]:
    rng = np.random.default_rng(1)
    return [
        Capacity(
            of_alt=np.r_[np.arange(n_alt - 2), -1, -1], use=rng.uniform(0.5, 2.0, n), room=np.full(n_alt - 2, n / 20)
        ),
        Capacity(of_alt=np.r_[-1, 0, 0, 1, 1, -1], use=(np.arange(n) % 3 == 0) * 1.0, room=np.array([n / 30, n / 40])),
    ]


@pytest.mark.parametrize("with_capacity", [False, True], ids=["free", "capacity"])
@pytest.mark.parametrize("kind_of_draw", ["flat", "nested", "inverse_cdf"])
def test_choose_per_kind_equals_per_decider(with_capacity, kind_of_draw):
    n = 20_000
    keys = KEYS[:n]
    kind = KIND[:n]
    current = np.where(kind % 2 == 0, 4, 5)  # deciders of one kind live in the same place (outside the limits)
    capacities = _capacity(n, V.shape[1]) if with_capacity else []
    priority = uniform(SEED, Channel.LOTTERY, YEAR, keys)

    def draw():
        if kind_of_draw == "flat":
            return flat_draw(gumbel(SEED, Channel.RESIDENCE, YEAR, keys, V.shape[1]))
        if kind_of_draw == "inverse_cdf":
            return inverse_cdf_draw(uniform(SEED, Channel.JOB, YEAR, keys))
        return nested_draw(Nests(*NEST_STRUCTURES["one nest of three, λ=0.5"]), keys)

    per_kind = choose(V, kind, current, capacities, priority, draw())
    per_decider = choose(V[kind], np.arange(n), current, capacities, priority, draw())
    np.testing.assert_array_equal(per_kind, per_decider)
    if not with_capacity:  # without limits, choose is just the draw
        np.testing.assert_array_equal(per_kind, draw()(V, kind))
    else:
        assert (per_kind != draw()(V, kind)).any(), "the capacities should bind in this set-up"


def test_rounds_log_counts_the_rounds_and_leaves_the_choice_alone():
    """The benchmark's measuring hook logs each capacity-limited choice's rounds without changing the choice; its
    limit is a what-if (0: the lottery alone fits the choices); outside ``logging_rounds`` nothing is logged."""
    n = 20_000
    kind, current = KIND[:n], np.where(KIND[:n] % 2 == 0, 4, 5)
    capacities, priority = _capacity(n, V.shape[1]), uniform(SEED, Channel.LOTTERY, YEAR, KEYS[:n])

    def chosen(limits: list[Capacity]) -> np.ndarray:
        return choose(V, kind, current, limits, priority, flat_draw(gumbel(SEED, Channel.RESIDENCE, YEAR, KEYS[:n], 6)))

    plain = chosen(capacities)
    with logging_rounds(RoundsLog()) as log:
        np.testing.assert_array_equal(chosen(capacities), plain)
        chosen([])  # no capacities, no rounds: not logged
    ((rounds, settled),) = log.calls
    assert 0 < rounds <= SHADOW_PRICE_ROUNDS and settled == (rounds < SHADOW_PRICE_ROUNDS)
    with logging_rounds(RoundsLog(limit=0)) as none:
        lottery_only = chosen(capacities)
    assert none.calls == [(0, False)]
    assert (lottery_only != plain).any()
    for c in capacities:
        assert (c.net_demand(lottery_only, current) <= c.room + 1e-9).all()
    chosen(capacities)
    assert len(log.calls) == 1 and len(none.calls) == 1


# ---------------------------------------------------------------- housing cost lowers inflow
def _arrivals_into(tables, place: str, part: str) -> np.ndarray:
    f = tables["flows"]
    into = f[(f.destination == place) & (f.destination_part == part) & (f.origin != place)]
    return into.groupby("year").people.sum().reindex(range(2021, 2024), fill_value=0.0).to_numpy()


@pytest.mark.parametrize("place", ["binjiang", "haimen_jd"])
def test_dearer_housing_lowers_inflow(place):
    """Raising one unit's urban house prices by half lowers the moves into it (same seed: paired draws).

    In the first year the two runs differ only by that price, and a lower utility of one
    alternative can only turn choosers away from it, so inflow must not rise at all.
    """
    pl = places()
    alt = pl.alt(pl.index(place), True)
    runs = {}
    for factor in (1.0, 1.5):
        model = MigrationModel(scale=100, end=2023, rng=2)
        model.world.housing.price[alt] *= factor
        while model.running:
            model.step()
        runs[factor] = model.tables()
    cheap, dear = _arrivals_into(runs[1.0], place, "urban"), _arrivals_into(runs[1.5], place, "urban")
    assert cheap.sum() > 0
    assert dear[0] <= cheap[0] + 1e-9
    assert dear.sum() < 0.9 * cheap.sum(), f"arrivals {dear.sum():.0f} (dear) vs {cheap.sum():.0f}"
    # and the price stays higher (prices move by common factors, so the gap persists)
    yearly = {f: r["yearly"].query("place == @place and year == 2023").price_urban.item() for f, r in runs.items()}
    assert yearly[1.5] > 1.3 * yearly[1.0]


def test_group_codes_as_unique():
    """Counting small codes gives np.unique's first rows and groups; large or negative codes fall back to it."""
    rng = np.random.default_rng(8)
    for code in (rng.integers(0, 50, 2000), rng.integers(0, 10**9, 300), rng.integers(-5, 5, 100), np.zeros(0, int)):
        _, first, group = np.unique(code, return_index=True, return_inverse=True)
        got_first, got_group = group_codes(code)
        assert np.array_equal(got_first, first) and np.array_equal(got_group, group.ravel())


def test_fits_in_order_with_partial_rows_fills_the_room_exactly_on_average():
    """Rows of weight 100 into rooms of 250 and 30: whole rows leave 50 and 30 unused every time; with the last row
    taken by chance in proportion to its part, the room is filled exactly on average (and never by a row more)."""
    target = np.repeat([0, 1], 5)
    use, priority = np.full(10, 100.0), np.tile(np.linspace(0.1, 0.9, 5), 2)
    room = np.array([250.0, 30.0])
    whole = fits_in_order(target, use, priority, room)
    assert np.bincount(target, weights=use * whole).tolist() == [200.0, 0.0]
    n = 20_000
    u = uniform(1, Channel.PART_ROW, 2021, np.arange(10 * n, dtype=np.uint64)).reshape(n, 10)
    filled = np.array([np.bincount(target, weights=use * fits_in_order(target, use, priority, room, row)) for row in u])
    assert filled.max(axis=0).tolist() == [300.0, 100.0] and filled.min(axis=0).tolist() == [200.0, 0.0]
    se = filled.std(axis=0) / np.sqrt(n)
    assert (abs(filled.mean(axis=0) - room) < 4 * se).all(), filled.mean(axis=0)
    first = fits_in_order(target, use, priority, room, np.zeros(10))  # the first candidates, in priority order
    assert first.tolist() == [True, True, True, False, False, True, False, False, False, False]
    held = fits_in_order(target, use, priority, room, np.zeros(10), most=np.array([300.0, 99.0]))
    assert held.tolist() == [True, True, True, False, False, False, False, False, False, False]  # never beyond most


@pytest.mark.parametrize("dtype", [np.int16, np.intp])
def test_candidates_are_ordered_by_target_then_priority_as_lexsort_ties_included(dtype):
    rng = np.random.default_rng(3)
    for n in (0, 1, 7, 5_000):
        target = rng.integers(0, 40, n).astype(dtype)
        distinct, tied = rng.random(n), np.round(rng.random(n), 2)  # the second has many equal priorities
        for priority in (distinct, tied):
            assert np.array_equal(_by_target_then_priority(target, priority), np.lexsort((priority, target)))

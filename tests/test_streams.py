"""Keyed random streams and common random numbers across scenarios.

A draw is a pure function of (seed, channel, year, key, slot): a household's
dice do not depend on who else draws or in what order, so two scenarios run with
the same seed give the same household the same dice and differ only through
their levers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import abm.model
from abm import MigrationModel
from agents.streams import (
    Channel,
    LazyRows,
    RepeatedCategorical,
    _stacked_cdf,
    categorical,
    categorical_each,
    derive_keys,
    gumbel,
    uniform,
)
from environment.scenario import load

N = 200_000
SEED, YEAR = 11, 2023


@pytest.fixture(scope="module")
def keys() -> np.ndarray:
    """Keys shaped like the model's: a kind tag in the high bits, a counter below (plus some hashed ones)."""
    counter = (np.uint64(2) << np.uint64(56)) + np.arange(N // 2, dtype=np.uint64)
    hashed = derive_keys(np.arange(N // 2, dtype=np.uint64), tag=5, year=2021)
    return np.concatenate([counter, hashed])


# ---------------------------------------------------------------- distribution
def test_uniform_is_uniform(keys):
    u = uniform(SEED, Channel.DEATH, YEAR, keys)
    assert u.shape == (N,) and u.dtype == np.float64
    assert ((u > 0) & (u < 1)).all()
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    # the counter-like and the hashed keys separately (no structure leaks through the hash)
    assert stats.kstest(u[: N // 2], "uniform").pvalue > 1e-3
    assert stats.kstest(u[N // 2 :], "uniform").pvalue > 1e-3
    # neighbouring keys are uncorrelated
    assert abs(np.corrcoef(u[: N // 2 - 1], u[1 : N // 2])[0, 1]) < 4 / np.sqrt(N // 2)


def test_uniform_slots_are_uniform_and_independent(keys):
    u = uniform(SEED, Channel.TENURE, YEAR, keys, slots=3)
    assert u.shape == (N, 3)
    for j in range(3):
        assert stats.kstest(u[:, j], "uniform").pvalue > 1e-3
    corr = np.corrcoef(u.T)
    assert np.abs(corr[np.triu_indices(3, 1)]).max() < 4 / np.sqrt(N)
    # the single draw is not one of the slots
    single = uniform(SEED, Channel.TENURE, YEAR, keys)
    assert not np.isin(single[:1000], u[:1000]).any()


def test_gumbel_is_standard_gumbel(keys):
    e = gumbel(SEED, Channel.RESIDENCE, YEAR, keys, 6)
    assert e.shape == (N, 6) and e.dtype == np.float32
    assert np.isfinite(e).all()
    flat = e.ravel().astype(float)
    assert flat.mean() == pytest.approx(np.euler_gamma, abs=4 * (np.pi / np.sqrt(6)) / np.sqrt(flat.size))
    assert flat.var() == pytest.approx(np.pi**2 / 6, rel=0.01)
    for j in range(6):
        assert stats.kstest(e[:, j], "gumbel_r").pvalue > 1e-3
    corr = np.corrcoef(e.T.astype(float))
    assert np.abs(corr[np.triu_indices(6, 1)]).max() < 4 / np.sqrt(N)


# ---------------------------------------------------------------- keyed: order and company do not matter
@pytest.mark.parametrize("draw", ["uniform", "uniform_slots", "gumbel"])
def test_draws_depend_only_on_own_key(keys, draw):
    """A key's draws are the same whoever else draws alongside it, in any order, with duplicates."""
    f = {
        "uniform": lambda k: uniform(SEED, Channel.CONSIDER_MOVE, YEAR, k),
        "uniform_slots": lambda k: uniform(SEED, Channel.TENURE, YEAR, k, slots=3),
        "gumbel": lambda k: gumbel(SEED, Channel.RESIDENCE, YEAR, k, 5),
    }[draw]
    rng = np.random.default_rng(0)
    full = f(keys)
    subset = rng.choice(N, size=1000, replace=False)
    np.testing.assert_array_equal(f(keys[subset]), full[subset])
    order = rng.permutation(N)
    np.testing.assert_array_equal(f(keys[order]), full[order])
    with_repeats = np.r_[subset, subset[:10]]
    np.testing.assert_array_equal(f(keys[with_repeats]), full[with_repeats])
    one = f(keys[[123]])
    np.testing.assert_array_equal(one, full[[123]])


def test_keys_accept_any_integer_dtype(keys):
    small = np.arange(1000)
    np.testing.assert_array_equal(
        uniform(SEED, Channel.BUY, YEAR, small), uniform(SEED, Channel.BUY, YEAR, small.astype(np.uint64))
    )


# ---------------------------------------------------------------- and differ across channel, year, seed
def _shared(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(a == b))


@pytest.mark.parametrize(
    "other",
    [
        dict(seed=SEED + 1, channel=Channel.DEATH, year=YEAR),
        dict(seed=SEED, channel=Channel.BIRTH, year=YEAR),
        dict(seed=SEED, channel=Channel.DEATH, year=YEAR + 1),
        dict(seed=SEED, channel=Channel.DEATH, year=YEAR + 1000),  # the model's offset for a second use
    ],
    ids=["seed", "channel", "year", "year+1000"],
)
def test_draws_differ_across_seed_channel_and_year(keys, other):
    base = uniform(SEED, Channel.DEATH, YEAR, keys)
    changed = uniform(other["seed"], other["channel"], other["year"], keys)
    assert _shared(base, changed) < 1e-3
    assert abs(np.corrcoef(base, changed)[0, 1]) < 4 / np.sqrt(N)
    g_base = gumbel(SEED, Channel.DEATH, YEAR, keys[:10_000], 3)
    g_changed = gumbel(other["seed"], other["channel"], other["year"], keys[:10_000], 3)
    assert _shared(g_base, g_changed) < 0.01
    assert abs(np.corrcoef(g_base.ravel(), g_changed.ravel())[0, 1]) < 4 / np.sqrt(30_000)


def test_every_channel_gives_distinct_draws(keys):
    draws = np.array([uniform(SEED, c, YEAR, keys[:5000]) for c in Channel])
    corr = np.corrcoef(draws)
    assert np.abs(corr[np.triu_indices(len(Channel), 1)]).max() < 5 / np.sqrt(5000)


def test_derived_keys_are_distinct():
    parents = np.arange(100_000, dtype=np.uint64)
    births = derive_keys(parents, tag=int(Channel.BIRTH), year=2021)
    unions = derive_keys(parents, tag=int(Channel.UNION), year=2021)
    next_year = derive_keys(parents, tag=int(Channel.BIRTH), year=2022)
    everything = np.concatenate([parents, births, unions, next_year])
    assert len(np.unique(everything)) == len(everything)


# ---------------------------------------------------------------- common random numbers through the model
PLAN = load("plan").settings  # HSR, industrial jobs and every other measure at plan values
CRN_END = 2025


def _record_decisions(monkeypatch, settings: dict) -> dict[int, dict]:
    """Run 1:100 to CRN_END, recording each year's deaths and who weighs a move, by agent key."""
    log: dict[int, dict] = {}
    age_and_die, weighing = abm.model.age_and_die, abm.model.households_weighing_a_move

    def spy_deaths(pop, rates, seed, year, n, **options):
        before = pop.persons.key.copy()
        out = age_and_die(pop, rates, seed, year, n, **options)
        log.setdefault(year, {}).update(persons=before, died=np.setdiff1d(before, pop.persons.key))
        return out

    def spy_considering(pop, world, seed, year):
        rows = weighing(pop, world, seed, year)
        h, p = pop.households, pop.persons
        order = np.lexsort((p.key, p.household))
        members = np.split(p.key[order], np.cumsum(pop.members())[:-1])
        profile = {int(k): (int(t), tuple(m.tolist())) for k, t, m in zip(h.key, h.tenure, members, strict=True)}
        log.setdefault(year, {}).update(profile=profile, considering=set(h.key[rows].tolist()))
        return rows

    with monkeypatch.context() as m:
        m.setattr(abm.model, "age_and_die", spy_deaths)
        m.setattr(abm.model, "households_weighing_a_move", spy_considering)
        model = MigrationModel(scale=100, end=CRN_END, rng=3, **settings)
        while model.running:
            model.step()
    return log


@pytest.fixture(scope="module")
def paired_runs():
    with pytest.MonkeyPatch.context() as mp:
        return _record_decisions(mp, {}), _record_decisions(mp, PLAN)


def test_scenarios_really_differ(paired_runs):
    """The check below bites only if the two runs' populations differ by then."""
    base, plan = paired_runs
    assert set(base) == set(plan) == set(range(2021, CRN_END + 1))
    assert np.array_equal(base[2021]["persons"], plan[2021]["persons"])
    differ = np.setxor1d(base[CRN_END]["persons"], plan[CRN_END]["persons"])
    assert len(differ) > 100
    assert len(base[CRN_END]["persons"]) != len(plan[CRN_END]["persons"])


def test_same_deaths_in_both_scenarios(paired_runs):
    """Death depends only on age, sex and the person's dice: persons in both runs die in both or in neither."""
    base, plan = paired_runs
    np.testing.assert_array_equal(base[2021]["died"], plan[2021]["died"])  # 2021: the initial persons
    for year in base:
        common = np.intersect1d(base[year]["persons"], plan[year]["persons"])
        died_base = np.intersect1d(base[year]["died"], common)
        died_plan = np.intersect1d(plan[year]["died"], common)
        assert len(died_base) > 0, year
        np.testing.assert_array_equal(died_base, died_plan, err_msg=str(year))


def test_same_households_weigh_a_move_in_both_scenarios(paired_runs):
    """Households alike in both runs (same members, same tenure) weigh a move in the same years."""
    base, plan = paired_runs
    assert base[2021]["considering"] == plan[2021]["considering"]
    assert len(base[2021]["considering"]) > 0
    for year in base:
        alike = {k for k, v in base[year]["profile"].items() if plan[year]["profile"].get(k) == v}
        assert len(alike) > 0.5 * len(base[year]["profile"])
        assert base[year]["considering"] & alike == plan[year]["considering"] & alike, year
    # and the scenarios do hold households the other lacks by the end
    assert set(base[CRN_END]["profile"]) != set(plan[CRN_END]["profile"])


def test_each_channel_is_drawn_at_exactly_one_place():
    """One named channel per decision: every Channel appears in exactly one draw call in the package code."""
    import re

    root = Path(__file__).resolve().parent.parent
    calls: dict[str, list[str]] = {}
    pattern = re.compile(r"\b(?:uniform|uniform_slots|gumbel)\(\s*[\w.]+,\s*Channel\.(\w+)")
    for package in ("agents", "environment", "abm", "experiments"):
        for path in (root / package).rglob("*.py"):
            for match in pattern.finditer(path.read_text(encoding="utf-8")):
                calls.setdefault(match.group(1), []).append(path.name)
    assert sorted(calls) == sorted(c.name for c in Channel), "a channel is never drawn, or an unknown one is"
    assert {name: sites for name, sites in calls.items() if len(sites) != 1} == {}


def test_gumbel_slots_and_layouts_give_the_same_numbers(keys):
    """Hashing a subset of the slots, or laying the draws out slot by slot, changes no number."""
    full = gumbel(SEED, Channel.RESIDENCE, YEAR, keys[:5000], 33)
    for slots in ((4, 9, 20), tuple(range(9, 33)), (32,)):
        np.testing.assert_array_equal(gumbel(SEED, Channel.RESIDENCE, YEAR, keys[:5000], slots), full[:, slots])
    for width in (2, 9, 24):  # laid out slot by slot within blocks, and row by row
        by_slot = gumbel(SEED, Channel.RESIDENCE, YEAR, keys[:5000], width, by_slot=True)
        np.testing.assert_array_equal(by_slot, full[:, :width].T)


def test_repeated_categorical_draws_as_categorical():
    """Sorting the draws once and counting gives categorical's indices exactly, ties and empty rows included."""
    rng = np.random.default_rng(3)
    for n in (5000, 20):  # more draws than CDF values, and fewer
        group = rng.integers(0, 7, n)
        u = rng.random(n)
        u[:10] = 0.5  # exactly on a CDF step of the rows with equal halves
        repeated = RepeatedCategorical(u, group)
        for _ in range(4):
            shares = rng.random((7, 9)) * (rng.random((7, 9)) < 0.7)
            shares[2] = 0.0  # an empty row
            shares[4] = [1, 1, 0, 0, 0, 0, 0, 0, 0]
            assert np.array_equal(repeated(shares), categorical(u, shares, group))


def test_lazy_rows_give_each_row_its_own_draws_whatever_the_order_of_asking():
    keys = np.arange(1, 201, dtype=np.uint64) * np.uint64(7919)
    direct = gumbel(SEED, Channel.RESIDENCE, YEAR, keys, 5)
    asked = []
    lazy = LazyRows(
        len(keys), 5, lambda rows: asked.append(len(rows)) or gumbel(SEED, Channel.RESIDENCE, YEAR, keys[rows], 5)
    )
    for rows in (np.array([5, 3, 9]), np.arange(0, 200, 7), np.array([3, 150, 5]), np.arange(200)[::-1]):
        np.testing.assert_array_equal(lazy(rows), direct[rows])
    assert sum(asked) == len(keys)  # each row computed once


def _edge_draws(rng: np.random.Generator, n: int, cdf: np.ndarray) -> np.ndarray:
    """Uniforms with awkward values mixed in: the CDF values themselves, their neighbours, 0 and 1."""
    u = rng.random(n)
    awkward = np.concatenate([cdf, np.nextafter(cdf, 0.0), np.nextafter(cdf, 1.0), [0.0, 1.0, 0.5, 0.25]])
    u[: min(n, 4 * len(awkward))] = np.resize(np.clip(awkward, 0.0, 1.0), min(n, 4 * len(awkward)))
    return rng.permutation(u)


@pytest.mark.parametrize("n", [20, 600, 5000, 50_000])  # compared at once, and looked up in a guide table
def test_categorical_finds_what_a_binary_search_finds(n):
    rng = np.random.default_rng(n)
    for shares in (np.array([1.0, 1.0, 1.0, 1.0]), np.array([1.0, 3.0]), rng.random(9), np.array([0.0, 2.0, 0.0, 1.0])):
        cum = np.cumsum(shares) / shares.sum()
        u = _edge_draws(rng, n, cum)
        expected = np.minimum(np.searchsorted(cum, u, side="right"), len(cum) - 1)
        assert np.array_equal(categorical(u, shares), expected)
    for n_groups in (3, 300):  # shifted by large group numbers too
        shares = rng.random((n_groups, 6)) * (rng.random((n_groups, 6)) < 0.8)
        shares[0] = [1, 1, 1, 1, 0, 0]  # CDF values on the guide table's bucket edges
        shares[1] = 0.0  # an empty row
        group = rng.integers(0, n_groups, n)
        u = _edge_draws(rng, n, np.cumsum(shares[0]) / 4)
        stacked = _stacked_cdf(shares)
        expected = np.clip(np.searchsorted(stacked, group + u, side="right") - group * 6, 0, 5)
        assert np.array_equal(categorical(u, shares, group), expected)


@pytest.mark.parametrize("n", [20, 600, 5000])
def test_categorical_each_draws_as_categorical_group_by_group(n):
    rng = np.random.default_rng(n)
    distributions = [rng.random(k) for k in (1, 4, 13, 40)]  # different numbers of categories
    distributions[1] = np.array([1.0, 1.0, 0.0, 2.0])
    group = rng.integers(0, len(distributions), n)
    u = _edge_draws(rng, n, np.array([0.25, 0.5, 1.0]))
    each = categorical_each(u, distributions, group)
    for g, shares in enumerate(distributions):
        assert np.array_equal(each[group == g], categorical(u[group == g], shares))


def test_repeated_categorical_keeps_places_and_finds_what_a_binary_search_finds():
    """Draws kept at their places over calls whose shares change a little or a lot give the binary search's indices:
    draws on CDF values and next to them, uniforms at 1 (``g + u`` rounds to ``g + 1``) before a row starting at its
    own bound, values capped before the row's last two, NaN rows and negative shares (drawn as before)."""
    rng = np.random.default_rng(8)
    n_groups, k, n = 40, 12, 3000
    group = rng.integers(0, n_groups, n)
    shares = rng.random((n_groups, k)) * (rng.random((n_groups, k)) < 0.8)
    shares[3] = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]
    shares[5, 0] = 0.0  # row 5 starts at its bound 5: row 4's draws at 4 + 1 count it
    shares[7] = np.r_[1.0, np.full(k - 1, 1e-14)]  # values above the cap before the last two
    u = rng.random(n)
    u[group == 3] = _edge_draws(rng, int((group == 3).sum()), np.array([0.25, 0.5, 0.75]))
    u[:20], group[:20] = 1.0, 4
    u[20:40], group[20:40] = 1.0 - 2.0**-53, 4
    repeated, fresh = RepeatedCategorical(u, group), RepeatedCategorical(u, group)

    def binary_search(s: np.ndarray) -> np.ndarray:
        return np.clip(np.searchsorted(_stacked_cdf(s), group + u, side="right") - group * k, 0, k - 1)

    for step in (0.0, 0.0, 1e-3, 1e-3, 0.5, 1e-9, 2.0):  # the same shares again: draws kept on CDF values
        shares = shares * np.exp(step * rng.standard_normal((n_groups, k)))
        expected = binary_search(shares)
        assert np.array_equal(repeated(shares, not_negative=True), expected)
        assert np.array_equal(fresh(shares), expected)
    for odd in ("nan", "negative"):
        bad = shares.copy()
        bad[9, 2] = np.nan if odd == "nan" else -0.5
        order = np.argsort(group + u, kind="stable")  # as before: sorted draws, fewer CDF values
        first = np.searchsorted((group + u)[order], _stacked_cdf(bad), side="left")
        expected = np.clip(np.cumsum(np.bincount(first, minlength=n + 1)[:-1]) - group[order] * k, 0, k - 1)
        assert np.array_equal(repeated(bad)[order], expected)
        assert np.array_equal(repeated(shares, not_negative=True), binary_search(shares))  # and back to placing


def test_stacked_cdf_of_ascending_rows_caps_as_all_rows():
    rng = np.random.default_rng(9)
    shares = rng.random((30, 7))
    shares[4] = [1.0, 1e-14, 1e-14, 1e-14, 1e-14, 0.0, 0.0]
    shares[6] = 0.0
    for rows in (shares, shares[[0, 1, 2]]):
        out = np.empty(rows.shape)
        assert np.array_equal(_stacked_cdf(rows, out=out, ascending=True).ravel(), _stacked_cdf(rows))

"""Caches that runs share (keyed on the values they depend on) never give a stale value when a value changes.

The lever search and the page run the model many times in one process with different lever and parameter values:
what is computed once per value (transport minutes, life-table levels) or once per run (a lever's yearly value) must
follow every change of value, back and forth.
"""

from __future__ import annotations

import numpy as np
import pytest

from agents import labour
from environment import jobs, life_table, transport
from environment.policy import Policy
from environment.settings import resolve


def fresh_minutes(factor: float, projects: frozenset[str]) -> np.ndarray:
    """The minutes computed anew, no cache consulted (the network too)."""
    transport.network.cache_clear()
    transport.shortest_minutes.cache_clear()
    return transport.shortest_minutes.__wrapped__(factor, projects)


def test_transport_minutes_follow_the_travel_time_factor_and_the_projects_open():
    every = frozenset({"hsr", "tunnel", "airport", "roads", "bus"})
    fresh = {(f, p): fresh_minutes(f, p) for f in (0.8, 1.0, 1.2) for p in (frozenset(), every)}
    assert not np.array_equal(fresh[0.8, every], fresh[1.2, every])  # a change of value changes the minutes
    assert not np.array_equal(fresh[1.0, frozenset()], fresh[1.0, every])
    for factor, projects in [(0.8, every), (1.2, every), (1.0, frozenset()), (0.8, every), (1.0, every), (1.2, every)]:
        cached = transport.shortest_minutes(factor, projects)
        np.testing.assert_array_equal(cached, fresh[factor, projects])
        assert not cached.flags.writeable  # shared by runs: nobody may change it
        assert transport.network(factor).edges == transport.network.__wrapped__(factor).edges


@pytest.mark.parametrize("factor", [0.8, 1.2])
def test_a_runs_commute_minutes_are_those_of_its_own_factor(factor):
    settings, default = resolve({"travel_time_factor": factor}), resolve({})
    anew = {s.travel_time_factor: _commute_anew(s) for s in (settings, default)}
    assert not np.array_equal(anew[factor], anew[default.travel_time_factor])
    for order in ((settings, default), (default, settings)):  # either order: each run its own minutes
        for s in order:
            minutes = transport.Transport(s, Policy(s)).commute_minutes(2030)
            np.testing.assert_array_equal(minutes, anew[s.travel_time_factor])


def _commute_anew(settings) -> np.ndarray:
    transport.network.cache_clear()
    transport.shortest_minutes.cache_clear()
    return transport.Transport(settings, Policy(settings)).commute_minutes(2030)


def test_life_table_levels_follow_the_life_expectancy():
    values = [(78.0, 0.52), (82.5, 0.52), (78.0, 0.53), (78.0, 0.52)]
    levels = [life_table.level_for(e0, boys) for e0, boys in values]
    assert levels == [life_table.level_for.__wrapped__(e0, boys) for e0, boys in values]
    assert len(set(levels)) == 3  # each distinct pair its own level


def test_a_levers_yearly_value_is_its_own_runs():
    """Each run's policy keeps its own values: a second run with another setting does not read the first's."""
    low, high = Policy(resolve({"rent_subsidy": 500})), Policy(resolve({"rent_subsidy": 2500}))
    years = range(2020, 2036)
    first = [low.value("rent_subsidy", y) for y in years]
    assert [high.value("rent_subsidy", y) for y in years] == [high._value("rent_subsidy", y) for y in years]
    assert [low.value("rent_subsidy", y) for y in years] == first == [low._value("rent_subsidy", y) for y in years]
    assert max(first) == 500 and max(high.value("rent_subsidy", y) for y in years) == 2500


def test_a_payments_amounts_are_its_own_runs_and_its_own_years():
    """``Policy.amounts`` (kept per lever and year) gives each run and year the amounts of its own setting, as
    computed anew from the yearly values; ``amount_since`` reads them."""
    runs = {amount: Policy(resolve({"rent_subsidy": amount})) for amount in (0, 500, 2500)}
    for _ in range(2):  # the second pass reads the kept amounts
        for amount, policy in runs.items():
            for year in (2021, 2025, 2035):
                first, by_year, distinct = policy.amounts("rent_subsidy", year)
                anew = [policy._value("rent_subsidy", y) for y in range(first, year + 1)]
                np.testing.assert_array_equal(by_year, anew)
                np.testing.assert_array_equal(distinct, np.unique(anew))
                assert not by_year.flags.writeable and not distinct.flags.writeable
                since = np.array([2010, first, year])
                paid, _ = policy.amount_since("rent_subsidy", since, year)
                np.testing.assert_array_equal(paid, [anew[0], anew[0], anew[-1]])
            assert runs[amount].amounts("rent_subsidy", 2035)[2].max() == amount


def test_income_index_follows_the_income_growth():
    rates = [0.04, 0.07, 0.04, 0.055, 0.07]
    indices = [jobs.income_index(resolve({"income_growth_nominal": g})) for g in rates]
    for g, index in zip(rates, indices, strict=True):
        np.testing.assert_array_equal(index, jobs._income_index.__wrapped__(g))
        assert not index.flags.writeable  # shared by runs: nobody may change it
    assert not np.array_equal(indices[0], indices[1])  # a change of value changes the index


def test_job_place_utilities_follow_the_minutes_and_the_settings():
    """The commute part of a job's utility (kept for the last minutes and settings) is that of the minutes and
    settings given, back and forth: another run's values or a change of the projects open are never read stale."""
    runs = [resolve({}), resolve({"beta_commute": 0.06})]
    minutes = [
        transport.Transport(s, Policy(s)).commute_minutes(2030) for s in (resolve({"travel_time_factor": 0.8}), runs[0])
    ]
    anew = {}
    for m, s in [(m, s) for m in range(2) for s in range(2)]:
        labour._place_utilities.clear()
        anew[m, s] = labour._place_utility(minutes[m], runs[s])
    assert len({v.tobytes() for v in anew.values()}) == 4  # each change of value its own utilities
    for _ in range(2):
        for m in range(2):
            for s in (0, 1, 0):
                kept = labour._place_utility(minutes[m], runs[s])
                np.testing.assert_array_equal(kept, anew[m, s])
                assert not kept.flags.writeable


def test_commute_minutes_follow_the_projects_open():
    """A run's commute minutes (kept per set of projects open) change when a project opens, and are read-only."""
    settings = resolve({})
    t = transport.Transport(settings, Policy(settings))
    for year in (2012, 2021, 2030, 2035, 2012):
        kept = t.commute_minutes(year)
        np.testing.assert_array_equal(kept, t._commute_minutes(year))
        assert not kept.flags.writeable
    assert not np.array_equal(t.commute_minutes(2012), t.commute_minutes(2030))

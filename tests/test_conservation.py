"""Accounting identities of the recorded tables: nobody appears or vanishes unrecorded.

Every simulated year, for every place and for Haimen as a whole,

    population(t) = population(t-1) + births - deaths + arrivals - departures,

the summary's Haimen figures are the sums of Haimen's places, and the migration
figures agree with the flow table they are derived from. Checked on the baseline
and on the plan (the plan also enrols vocational students from outside, a path
the baseline never takes).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from environment.places import place_values, places
from environment.scenario import load
from experiments.runner import RunSpec, run

REL = 1e-6  # relative tolerance for float sums of weights
FIRST = 2020


@pytest.fixture(scope="module")
def plan_tables():
    return run(RunSpec(settings=load("plan").settings, scale=100, seed=1, end=2025))


@pytest.fixture(params=["baseline_tables", "plan_tables"])
def tables(request):
    return request.getfixturevalue(request.param)


def _external_keys() -> set[str]:
    pl = places()
    return {pl.keys[i] for i in pl.external}


def _haimen_keys() -> set[str]:
    pl = places()
    return {pl.keys[i] for i in pl.haimen}


def test_every_place_and_year_is_recorded(tables):
    yearly = tables["yearly"]
    years = sorted(yearly.year.unique())
    assert years == list(range(FIRST, 2026))
    assert set(yearly.place) == set(places().keys)
    assert len(yearly) == len(years) * places().n
    assert not yearly.duplicated(["year", "place"]).any()
    flows = ["births", "deaths", "arrivals", "departures"]
    assert yearly.loc[yearly.year == FIRST, flows].isna().all().all(), "the 2020 row is the census: no flows"
    later = yearly[yearly.year > FIRST]
    assert later[[*flows, "population"]].notna().all().all()
    assert (later[flows] >= 0).all().all()
    assert (yearly.population > 0).all()


def test_population_balance_per_haimen_place(tables):
    """For Haimen's places, population counted from the agents' rows balances the year's recorded events:
    population(t) = population(t-1) + births - deaths + arrivals - departures."""
    yearly = tables["yearly"].sort_values(["place", "year"])
    for place, g in yearly[yearly.in_haimen].groupby("place"):
        pop = g.population.to_numpy()
        later = g.iloc[1:]
        predicted = pop[:-1] + (later.births + later.arrivals - later.deaths - later.departures).to_numpy()
        gap = np.abs(predicted - pop[1:]) / pop[1:]
        assert gap.max() < REL, f"{place}: population does not balance in {later.year.to_numpy()[gap.argmax()]}"


def test_outside_places_follow_their_published_rates(tables):
    """Outside places are bookkeeping stocks (their balance holds by construction): check instead that their
    births and deaths are their own published rates times their stock, independently of the moves."""
    yearly = tables["yearly"].sort_values(["place", "year"])
    pl = places()
    birth_rate = dict(zip(pl.keys, place_values("birth_rate", outside_only=True), strict=True))
    death_rate = dict(zip(pl.keys, place_values("death_rate", outside_only=True), strict=True))
    for place, g in yearly[~yearly.in_haimen].groupby("place"):
        start = g.population.to_numpy()[:-1]
        later = g.iloc[1:]
        np.testing.assert_allclose(later.births, start * birth_rate[place] / 1000, rtol=REL)
        np.testing.assert_allclose(later.deaths, start * death_rate[place] / 1000, rtol=REL)


def test_population_balance_for_haimen(tables):
    """Haimen's total balances with its births, deaths and migration to and from outside (summary table)."""
    s = tables["summary"].sort_values("year")
    pop = s.haimen_population.to_numpy()
    later = s.iloc[1:]
    predicted = pop[:-1] + (later.births - later.deaths + later.arrivals - later.departures).to_numpy()
    np.testing.assert_allclose(predicted, pop[1:], rtol=REL)
    np.testing.assert_allclose(later.net_migration, later.arrivals - later.departures, rtol=REL, atol=1e-6)
    assert s.iloc[0].haimen_population == pytest.approx(991_782, rel=1e-9)


def test_summary_is_the_sum_of_haimen_places(tables):
    yearly, s = tables["yearly"], tables["summary"].set_index("year")
    haimen = yearly[yearly.in_haimen].groupby("year")
    assert set(yearly.loc[yearly.in_haimen, "place"]) == _haimen_keys()
    np.testing.assert_allclose(haimen.population.sum(), s.haimen_population, rtol=REL)
    np.testing.assert_allclose(haimen.urban_population.sum(), s.urban_population, rtol=REL)
    np.testing.assert_allclose(s.urbanization, s.urban_population / s.haimen_population, rtol=REL)
    later = s.index > FIRST
    np.testing.assert_allclose(haimen.births.sum()[later], s.births[later], rtol=REL)
    np.testing.assert_allclose(haimen.deaths.sum()[later], s.deaths[later], rtol=REL)
    natural = 1000 * (s.births - s.deaths) / s.haimen_population
    np.testing.assert_allclose(s.natural_change_per_mille[later], natural[later], rtol=REL)


def test_summary_migration_matches_flow_table(tables):
    """Haimen's arrivals (departures) are the flows from (to) outside places into (out of) Haimen's places."""
    flows, s = tables["flows"], tables["summary"].set_index("year")
    ext, hm = _external_keys(), _haimen_keys()
    assert (flows.people > 0).all()
    assert set(flows.origin) | set(flows.destination) <= ext | hm
    years = s.index[s.index > FIRST]
    inflow = flows[flows.origin.isin(ext) & flows.destination.isin(hm)].groupby("year").people.sum()
    outflow = flows[flows.origin.isin(hm) & flows.destination.isin(ext)].groupby("year").people.sum()
    inflow, outflow = inflow.reindex(years, fill_value=0.0), outflow.reindex(years, fill_value=0.0)
    np.testing.assert_allclose(inflow, s.arrivals[years], rtol=REL)
    np.testing.assert_allclose(outflow, s.departures[years], rtol=REL)
    assert (s.arrivals[years] > 0).all() and (s.departures[years] > 0).all()
    # moves from Haimen's rural parts to its urban parts
    rural_to_urban = flows[
        flows.origin.isin(hm)
        & flows.destination.isin(hm)
        & (flows.origin_part == "rural")
        & (flows.destination_part == "urban")
    ]
    r2u = rural_to_urban.groupby("year").people.sum().reindex(years, fill_value=0.0)
    np.testing.assert_allclose(r2u, s.rural_to_urban[years], rtol=REL)


def test_place_arrivals_and_departures_match_flow_table(tables):
    """Each place's arrivals (departures) are the flow-table moves into (out of) it from (to) other places."""
    yearly, flows = tables["yearly"], tables["flows"]
    between = flows[flows.origin != flows.destination]
    into = between.groupby(["year", "destination"]).people.sum()
    out = between.groupby(["year", "origin"]).people.sum()
    later = yearly[yearly.year > FIRST].set_index(["year", "place"])
    into = into.rename_axis(["year", "place"]).reindex(later.index, fill_value=0.0)
    out = out.rename_axis(["year", "place"]).reindex(later.index, fill_value=0.0)
    np.testing.assert_allclose(into, later.arrivals, rtol=REL, atol=1e-6)
    np.testing.assert_allclose(out, later.departures, rtol=REL, atol=1e-6)


def test_ages_table_sums_to_haimen_population(tables):
    ages, s = tables["ages"], tables["summary"].set_index("year")
    by_year = ages.groupby("year").people.sum()
    np.testing.assert_allclose(by_year, s.haimen_population, rtol=REL)


def test_population_state_matches_last_recorded_year(baseline_model, baseline_tables):
    """The agents' weights add up to what the last year's row says (the tables describe the agents)."""
    pop, pl = baseline_model.population, places()
    h = pop.households
    assert (h.weight > 0).all()
    assert pl.in_haimen[h.place].all(), "only Haimen residents are agents"
    people = np.bincount(h.place[pop.persons.household], weights=pop.person_weight(), minlength=pl.n)
    last = baseline_tables["yearly"].query("year == 2025").set_index("place").population
    recorded = pd.Series(people, index=list(pl.keys))[list(_haimen_keys())]
    np.testing.assert_allclose(recorded, last[recorded.index], rtol=REL)

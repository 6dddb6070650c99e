"""Neighbours who commute: Qidong, Tongzhou and Chongming as places, and the outside places' workers holding Haimen's
jobs without living there (in-commuters), while Haimen's residents take the outside places' jobs.

The neighbours' inputs are checked against their facts and every table covers them; the in-commuters are counted
among the jobs filled and never among the residents; they fill part of a new job lever, fewer of them the longer the
commute; recruits from outside act only on the vacancies they and the residents leave.
"""

from __future__ import annotations

import numpy as np
import pytest

from abm import MigrationModel
from agents.choice import logit_probabilities
from agents.labour import commuters, employment, in_labour_force, initial_in_commuters, job_prospects
from environment.inputs import CENSUS_YEAR, fact, place_inputs, read_csv
from environment.places import cluster_mix, clusters, place_values, places
from environment.settings import parameters

SCALE, SEED = 100, 1
NEIGHBOURS = {  # place key -> how facts.csv names it
    "qidong": "Nantong 启东市",
    "tongzhou": "Nantong 通州区",
    "chongming": "Chongming (Shanghai 崇明区)",
}
NO_COMMUTING = {"in_commuting_constant": parameters()["in_commuting_constant"].accepted[0]}


def _run(end: int, **settings) -> MigrationModel:
    model = MigrationModel(scale=SCALE, end=end, rng=SEED, **settings)
    while model.running:
        model.step()
    return model


def _zone_share(model: MigrationModel) -> tuple[float, float]:
    """Share of the three zones' filled jobs, and of Sanxing's, held by in-commuters now."""
    pl = places()
    zones = [p for z in pl.zones.values() for p in z]
    held, filled = model.world.jobs.in_commuting().sum(axis=1), model.headcounts().filled.sum(axis=1)
    sanxing = pl.index("sanxing")
    return held[zones].sum() / filled[zones].sum(), held[sanxing] / filled[sanxing]


# ------------------------------------------------------------------ the places
@pytest.mark.parametrize(("key", "named"), NEIGHBOURS.items())
def test_neighbours_populations_are_their_census_counts(key, named):
    pl = places()
    assert place_values("population")[pl.index(key)] == fact("pop_resident_census", named, CENSUS_YEAR)
    assert float(place_inputs()[(key, "population_2010")]["value"]) == fact("pop_resident_census", named, 2010)


def test_the_places_partition_china():
    """Haimen's census total and the outside places' populations add up to China's census: nobody counted twice
    (Chongming is taken out of Shanghai, Qidong and Tongzhou out of elsewhere in China) or left out."""
    outside = place_values("population", outside_only=True).sum()
    total = outside + fact("pop_resident_census", "Haimen", CENSUS_YEAR)
    assert total == fact("pop_resident_census", "China", CENSUS_YEAR)
    shanghai = (
        place_values("population")[places().index("shanghai")] + place_values("population")[places().index("chongming")]
    )
    assert shanghai == fact("pop_resident_census", "Shanghai", CENSUS_YEAR)


def test_every_table_covers_every_outside_place():
    """What any outside place declares, each neighbour declares (with a basis); each outside place has its trades,
    a map position and a road to Haimen (elsewhere in China: no position, no link)."""
    pl = places()
    outside = [pl.keys[i] for i in pl.external]
    declared = {key: {v for (p, v) in place_inputs() if p == key} for key in outside}
    for key in NEIGHBOURS:
        assert set().union(*declared.values()) == declared[key], key
    assert all(place_inputs()[(p, v)]["basis"] for p in outside for v in declared[p])
    mixes = {r["place"] for r in read_csv("cluster_mix.csv")}
    assert set(outside) <= mixes
    assert np.allclose(cluster_mix().sum(axis=1), 1.0)
    model = MigrationModel(scale=1000, end=CENSUS_YEAR + 1, rng=SEED)
    minutes = model.world.transport.place_minutes(CENSUS_YEAR)[:, pl.haimen]
    for p in pl.external:
        linked, drawn = np.isfinite(minutes[p]).any(), np.isfinite(pl.lon[p])
        assert linked == drawn == (pl.keys[p] != "elsewhere"), pl.keys[p]
    yearly = model.tables()["yearly"]
    assert yearly.place.tolist() == list(pl.keys)


def test_neighbours_are_within_commuting_reach():
    """By road, each neighbour is within three quarters of an hour of some Haimen place (a commute), and Tongzhou
    nearer to Sanxing than Nantong main city is."""
    pl = places()
    model = MigrationModel(scale=1000, end=CENSUS_YEAR + 1, rng=SEED)
    minutes = model.world.transport.place_minutes(CENSUS_YEAR)
    for key in NEIGHBOURS:
        assert minutes[pl.index(key), pl.haimen].min() <= 45, key
    assert minutes[pl.index("tongzhou"), pl.index("sanxing")] < minutes[pl.index("nantong"), pl.index("sanxing")]


# ------------------------------------------------------------------ the in-commuters
@pytest.fixture(scope="module")
def baseline(baseline_model):
    return baseline_model, baseline_model.tables()


def test_in_commuters_start_within_the_evidence():
    """At the central in_commuting_constant in-commuters hold 5–25 % of the zones' jobs in 2020, more in Sanxing
    (the textile park across the border); each end of its range stays inside 5–25 % for the zones and Sanxing."""
    at = {}
    for level in ("low", "default", "high"):
        value = getattr(parameters()["in_commuting_constant"], level)
        at[level] = _zone_share(MigrationModel(scale=SCALE, end=CENSUS_YEAR + 1, rng=SEED, in_commuting_constant=value))
    zones, sanxing = at["default"]
    assert 0.05 < zones < 0.25 and zones < sanxing < 0.25
    # the ends, set at 1:10 (seeds 1–3): 5 % of the zones' jobs, 25 % of Sanxing's
    assert at["low"][0] == pytest.approx(0.05, abs=0.015) and at["high"][1] == pytest.approx(0.25, abs=0.03)
    assert at["low"][0] < zones < at["high"][0]


def test_in_commuters_are_filled_jobs_never_residents(baseline):
    """Jobs filled = residents employed + in-commuters, place by place; in-commuters appear in no resident count."""
    model, tables = baseline
    pl = places()
    labour = in_labour_force(model.population.persons, model.settings, model.year)
    residents = employment(model.population, labour)
    held = model.world.jobs.in_commuting()
    assert held[pl.in_haimen].sum() > 0 and held[~pl.in_haimen].sum() == 0
    np.testing.assert_allclose(model.headcounts().filled, residents + held)
    jobs = tables["jobs"][tables["jobs"].year == model.year]
    np.testing.assert_allclose(jobs.filled.to_numpy(), (residents + held)[pl.haimen].ravel())
    commuting = tables["commuting"][tables["commuting"].year == model.year]
    into = commuting[commuting.work.isin([pl.keys[i] for i in pl.haimen])].groupby("work").people.sum()
    np.testing.assert_allclose(into.reindex([pl.keys[i] for i in pl.haimen]).to_numpy(), held[pl.haimen].sum(axis=1))
    yearly = tables["yearly"][(tables["yearly"].year == model.year) & tables["yearly"].in_haimen]
    assert yearly.population.sum() == pytest.approx(model.population.person_weight().sum(), rel=1e-9)
    outcomes = model.outcomes().query("year == @model.year").set_index("outcome").value
    assert outcomes["in_commuters"] == pytest.approx(held.sum(), rel=1e-9)


def test_haimen_residents_work_in_the_neighbours(baseline):
    """The reverse: Haimen's residents take the outside places' jobs through their own job choice (recorded as
    working_outside_haimen, by job place), Tongzhou's most of the neighbours'."""
    model, _ = baseline
    outcomes = model.outcomes().query("year == @model.year").set_index("outcome").value
    by_work = {k: outcomes.get(f"working_outside_haimen_work_{k}", 0.0) for k in NEIGHBOURS}
    assert all(v > 0 for v in by_work.values())
    assert max(by_work, key=by_work.get) == "tongzhou"
    p = model.population.persons
    working = in_labour_force(p, model.settings, model.year) & (p.job >= 0)
    outside = working & ~places().in_haimen[np.maximum(p.job, 0)]
    assert outcomes["working_outside_haimen"] == pytest.approx(model.population.person_weight()[outside].sum())


def test_in_commuting_falls_with_commute_minutes():
    """Longer door-to-door times (travel_time_factor) mean fewer in-commuters, from every neighbour; and from one
    neighbour, more per job where it is nearer (Tongzhou in Sanxing against the Port New Area)."""
    pl = places()
    held = {}
    for factor in (0.8, 1.0, 1.2):
        model = MigrationModel(scale=SCALE, end=CENSUS_YEAR + 1, rng=SEED, travel_time_factor=factor)
        held[factor] = model.world.jobs.in_commuters.sum(axis=(1, 2))
        if factor == 1.0:
            jobs = model.world.jobs.jobs.sum(axis=1)
            per_job = model.world.jobs.in_commuters.sum(axis=2)[pl.index("tongzhou")][pl.haimen] / jobs[pl.haimen]
    for key in NEIGHBOURS:
        o = pl.index(key)
        assert held[0.8][o] > held[1.0][o] > held[1.2][o], key
    haimen = [pl.keys[i] for i in pl.haimen]
    assert per_job[haimen.index("sanxing")] > 2 * per_job[haimen.index("baochang")]


def test_a_job_lever_brings_in_commuters_and_fewer_residents_than_jobs():
    """More jobs in Sanxing: more in-commuters there and more residents in Haimen, but fewer added residents than
    added jobs filled (part of them go to in-commuters and to residents already there), paired seeds."""
    base, more = (_run(CENSUS_YEAR + 5, industrial_jobs_sanxing=jobs, delivery_share=1.0) for jobs in (0, 3000))
    outcome = {m: m.outcomes().query("year == @m.year").set_index("outcome").value for m in (base, more)}
    added_commuters = outcome[more]["in_commuters_sanxing"] - outcome[base]["in_commuters_sanxing"]
    added_residents = outcome[more]["haimen_population"] - outcome[base]["haimen_population"]
    filled = {m: m.headcounts().filled[places().in_haimen].sum() for m in (base, more)}
    added_filled = filled[more] - filled[base]
    assert added_commuters > 0 and added_residents > 0
    assert added_residents < added_filled
    assert added_commuters > 0.05 * added_filled


def test_recruits_act_only_on_vacancies_left_after_in_commuters_are_hired(monkeypatch):
    """Employers recruit from outside to the vacancies the year's hires leave: the jobs they see filled are the
    residents' and the in-commuters', this year's hires among them."""
    import abm.model

    seen = []
    wanted_by = abm.model.recruits_wanted

    def noted(world, employed, other_arrivals, free_dwellings):
        seen.append((employed.copy(), world.jobs.in_commuting().copy(), model.matching.commuters_hired.sum()))
        return wanted_by(world, employed, other_arrivals, free_dwellings)

    monkeypatch.setattr(abm.model, "recruits_wanted", noted)
    model = MigrationModel(scale=SCALE, end=CENSUS_YEAR + 2, rng=SEED)
    while model.running:
        model.step()
        labour = in_labour_force(model.population.persons, model.settings, model.year)
        employed, held, hired = seen[-1]
        assert hired > 0 and held[places().in_haimen].sum() > hired
        # recruits have since arrived holding jobs: what the employers saw is what is filled now less the recruits
        recruits = employment(model.population, labour) + held - employed
        assert (recruits >= -1e-6).all()
        assert recruits.sum() < 0.5 * held.sum()


def test_without_in_commuting_the_stock_is_empty():
    model = _run(CENSUS_YEAR + 2, **NO_COMMUTING)
    assert model.world.jobs.in_commuting().sum() < 1e-6


def test_commuters_are_hired_at_their_pools_rates_and_none_where_a_pool_is_closed():
    """The outside places' seekers apply by the logit of utility plus log finding rate and are hired at the rate;
    a closed pool (rate 0) gets neither; no in-commuter takes an outside place's job."""
    pl = places()
    model = MigrationModel(scale=1000, end=CENSUS_YEAR + 1, rng=SEED)
    prospects = job_prospects(model.world, CENSUS_YEAR, model.headcounts().filled)
    outside = commuters(model.world, prospects, CENSUS_YEAR)
    log_rate = np.log(np.full(outside.utility.shape[1], 0.5))
    closed = pl.index("sanxing") * clusters().n + 1  # Sanxing's textile pool
    log_rate[closed] = -np.inf
    applicants, hired = outside.taking(log_rate, 0.1)
    np.testing.assert_allclose(hired, applicants * 0.5 * (np.arange(hired.shape[1]) != closed))
    assert applicants[:, closed].sum() == 0
    haimen_jobs = np.repeat(pl.in_haimen, clusters().n)
    assert applicants[:, ~haimen_jobs].sum() == 0 and applicants[pl.in_haimen].sum() == 0
    stock = initial_in_commuters(model.world, prospects, CENSUS_YEAR)
    assert stock[:, ~pl.in_haimen].sum() == 0 and stock[pl.in_haimen].sum() == 0
    assert stock[pl.index("elsewhere")].sum() == 0  # no road from elsewhere in China


def test_commuters_applications_are_summed_by_home_as_row_by_row():
    """``Commuters.taking`` sums each home's kinds (laid out home by home by ``commuters``) to the bit as adding the
    rows one by one would."""
    model = MigrationModel(scale=1000, end=CENSUS_YEAR + 1, rng=SEED)
    prospects = job_prospects(model.world, CENSUS_YEAR, model.headcounts().filled)
    outside = commuters(model.world, prospects, CENSUS_YEAR)
    log_rate = np.log(np.linspace(0.2, 0.9, outside.utility.shape[1]))
    applying = (
        logit_probabilities(outside.utility + log_rate)[:, :-1]
        * np.repeat(places().in_haimen, clusters().n)
        * (0.1 * outside.workers)[:, None]
    )
    expected = np.zeros((places().n, applying.shape[1]))
    np.add.at(expected, np.repeat(outside.homes, clusters().n), applying)  # row by row
    applicants, _ = outside.taking(log_rate, 0.1)
    assert applicants.tobytes() == expected.tobytes()

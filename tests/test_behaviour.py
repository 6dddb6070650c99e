"""Movers' behaviour: each mechanism moves its outcome in the expected direction.

Small runs (1:1000) or single stages on a model built once per module.
"""

from __future__ import annotations

import numpy as np
import pytest

from abm.model import MigrationModel
from agents.constants import HAIMEN_CITY
from agents.labour import employment, in_labour_force, recruits_wanted
from agents.pools import draw_pool, draw_recruits, mover_age_schedule, origin_weights, pool_households_per_year
from agents.population import Persons
from agents.residence import Deciders, describe_all, hukou_on_arrival, rural_origin, subsidies
from environment.inputs import CENSUS_YEAR
from environment.places import clusters, places
from environment.settings import resolve
from environment.targets import PLAN_ADOPTED
from environment.ties import Ties

SCALE, SEED = 1000, 1
YEAR = PLAN_ADOPTED + 1


@pytest.fixture(scope="module")
def plan_model() -> MigrationModel:
    """The plan scenario at 1:1000, built (2020) and not stepped. Do not step it."""
    return MigrationModel(scale=SCALE, end=YEAR, rng=SEED, scenario="plan")


def _pool_deciders(model: MigrationModel, year: int = YEAR) -> Deciders:
    pool = draw_pool(model.settings, model.seed, year, model.scale)
    return describe_all([(pool, np.arange(len(pool.households)), True)], model.world, year, model.seed)


def _haimen_subsidy(model: MigrationModel, d: Deciders) -> np.ndarray:
    return subsidies(d, model.world, YEAR)[:, places().alt_in_haimen].max(axis=1)


# ------------------------------------------------------------------ subsidies
def test_only_eligible_households_that_claim_see_payments(plan_model):
    d = _pool_deciders(plan_model)
    paid = _haimen_subsidy(plan_model, d)
    assert d.takes_up.any() and (~d.takes_up).any()
    assert np.all(paid[~d.takes_up | d.dorm] == 0.0), "a household that does not claim, or lives in a dorm, got paid"
    assert np.all(paid[d.takes_up & ~d.dorm & ~d.buys] > 0.0)  # every claiming renter gets the rent subsidy
    assert np.all(paid[d.buys & ~d.college] == 0.0)  # a buyer without a degree is paid nothing


def test_purchase_subsidy_only_for_college_buyers(plan_model):
    d = _pool_deciders(plan_model)
    before = _haimen_subsidy(plan_model, d)
    doubled = 2 * plan_model.settings["talent_purchase_subsidy"]
    model = MigrationModel(scale=SCALE, end=YEAR, rng=SEED, scenario="plan", talent_purchase_subsidy=doubled)
    after = _haimen_subsidy(model, d)
    gains = after > before + 1e-9
    assert gains.any()
    assert np.all((d.college & d.buys & d.takes_up & ~d.dorm)[gains]), "a non-buyer or non-graduate gained"


def test_rent_subsidy_only_for_renters(plan_model):
    d = _pool_deciders(plan_model)
    before = _haimen_subsidy(plan_model, d)
    model = MigrationModel(scale=SCALE, end=YEAR, rng=SEED, scenario="plan", rent_subsidy=2000)
    gains = _haimen_subsidy(model, d) > before + 1e-9
    assert gains.any()
    assert not np.any(d.buys[gains]), "a buyer gained from the rent subsidy"


def test_lower_take_up_means_fewer_paid(plan_model):
    d_hi = _pool_deciders(MigrationModel(scale=SCALE, end=YEAR, rng=SEED, scenario="plan", subsidy_take_up=0.9))
    d_lo = _pool_deciders(MigrationModel(scale=SCALE, end=YEAR, rng=SEED, scenario="plan", subsidy_take_up=0.3))
    assert d_lo.takes_up.sum() < d_hi.takes_up.sum()
    assert np.all(d_hi.takes_up[d_lo.takes_up])  # one trait per household: a claimant stays one at higher take-up


# ---------------------------------------------------------------------- hukou
def test_rural_origin_lowers_hukou_take_up(plan_model):
    d = _pool_deciders(plan_model)
    gets = hukou_on_arrival(d, plan_model.world, plan_model.seed, YEAR)
    outsider = d.hukou_city != HAIMEN_CITY
    rural, urban = gets[d.rural_origin & outsider].mean(), gets[~d.rural_origin & outsider].mean()
    assert 0.1 < d.rural_origin.mean() < 0.9
    assert rural < urban


def test_settled_rural_origin_households_take_hukou_less_often():
    """Non-local households living in Haimen since 2020 take its hukou at hukou_rate × their origin's willingness."""

    def taken(**settings) -> tuple[float, float]:
        model = MigrationModel(scale=100, end=2023, rng=SEED, hukou_rate=0.13, **settings)
        h = model.population.households
        outsiders = h.key[h.hukou_city != HAIMEN_CITY]
        origin = dict(zip(h.key[h.hukou_city != HAIMEN_CITY], h.origin[h.hukou_city != HAIMEN_CITY], strict=True))
        for _ in range(3):
            model.step()
        h = model.population.households
        stayed = np.isin(h.key, outsiders)
        keys = h.key[stayed]
        rural = rural_origin(model.seed, keys, np.array([origin[k] for k in keys]), np.full(len(keys), -1))
        haimen = h.hukou_city[stayed] == HAIMEN_CITY
        return haimen[rural].mean(), haimen[~rural].mean()

    rural, urban = taken()
    assert 0 < rural < urban
    fewer_rural, more_urban = taken(hukou_willingness_rural=0.2, hukou_willingness_urban=0.8)
    assert 0 < fewer_rural < rural and more_urban > urban


def test_hukou_baseline_reflects_zero_threshold():
    from environment.settings import levers

    lever = levers()["hukou_on_arrival"]
    assert lever.baseline >= 0.9 and lever.plan >= lever.baseline


# --------------------------------------------------------------------- schools
def test_school_seats_grow_only_with_the_lever():
    base = MigrationModel(scale=SCALE, end=YEAR, rng=SEED)
    more = MigrationModel(scale=SCALE, end=YEAR, rng=SEED, school_seats=5000)
    seats0 = base.world.schools.seats[places().in_haimen].sum()
    while base.running:
        base.step()
        more.step()
    seats_base = base.world.schools.seats[places().in_haimen].sum()
    seats_more = more.world.schools.seats[places().in_haimen].sum()
    assert seats_base == pytest.approx(seats0), "seats grew without the lever"
    assert seats_more == pytest.approx(seats0 + 5000 * (YEAR - PLAN_ADOPTED + 1))


# ---------------------------------------------------------- job-led migration
def _employed(model: MigrationModel) -> np.ndarray:
    labour = in_labour_force(model.population.persons, model.settings, CENSUS_YEAR)
    return employment(model.population, labour)


def test_more_vacancies_bring_more_recruits(plan_model):
    employed = _employed(plan_model)
    free = np.full(places().n, 1e9)
    few = recruits_wanted(plan_model.world, employed, 1e9, free).sum()
    many = recruits_wanted(plan_model.world, employed * 0.95, 1e9, free).sum()
    assert many > few


def test_recruits_bounded_by_work_motive_share(plan_model):
    s = plan_model.settings
    employed = _employed(plan_model) * 0.8  # many vacancies
    free = np.full(places().n, 1e9)
    recruits = recruits_wanted(plan_model.world, employed, 1000.0, free).sum()
    assert recruits == pytest.approx(s.work_motive_share / (1 - s.work_motive_share) * 1000.0)
    housed = recruits_wanted(plan_model.world, employed, 1e9, np.zeros(places().n)).sum()
    assert housed == 0.0  # no free dwellings, no recruits


def test_recruits_arrive_holding_jobs(plan_model):
    wanted = np.zeros((places().n, clusters().n))
    wanted[places().haimen[0], 2] = 5000.0
    pop = draw_recruits(plan_model.settings, SEED, YEAR, 100, wanted)
    assert pop.person_weight().sum() == pytest.approx(5000.0)
    assert np.all(pop.persons.job == places().haimen[0]) and np.all(pop.persons.cluster == 2)
    assert np.all(pop.persons.age >= 18)


def _arrivals(years: int = 3, **settings) -> float:
    model = MigrationModel(scale=SCALE, end=PLAN_ADOPTED + years - 1, rng=SEED, **settings)
    while model.running:
        model.step()
    summary = model.tables()["summary"]
    return float(summary.loc[summary.year >= PLAN_ADOPTED, "arrivals"].sum())


def test_higher_recruitment_brings_more_arrivals():
    assert _arrivals(recruitment_rate=0.4) > _arrivals(recruitment_rate=0.1)


# ------------------------------------------------------------- outside pull
def test_outside_pull_scales_pools_after_2020_only(plan_model):
    s = plan_model.settings
    none = MigrationModel(scale=SCALE, end=YEAR, rng=SEED, outside_pull_after_2020=0.0).settings
    assert pool_households_per_year(none, CENSUS_YEAR).sum() == pytest.approx(
        pool_households_per_year(s, CENSUS_YEAR).sum()
    )
    assert pool_households_per_year(none, YEAR).sum() == 0.0
    assert _arrivals(outside_pull_after_2020=0.2) < _arrivals(outside_pull_after_2020=1.0)


# ----------------------------------------------------------- movers' ages
def _mean_adult_mover_age(**settings) -> float:
    model = MigrationModel(scale=SCALE, end=YEAR, rng=SEED, **settings)
    pool = draw_pool(model.settings, SEED, YEAR, 100)
    adult = pool.persons.age >= 18
    return float(np.average(pool.persons.age[adult], weights=pool.person_weight()[adult]))


def test_later_peak_of_age_schedule_gives_older_movers():
    assert _mean_adult_mover_age(mover_age_peak=26) > _mean_adult_mover_age(mover_age_peak=20)


@pytest.mark.parametrize("changed", [{"mover_age_peak": 26}, {"mover_age_fall": 0.12}, {"mover_age_rise": 0.5}])
def test_changed_age_schedule_changes_movers_ages(changed):
    """The schedule is cached per parameter values: a changed value never reuses the cached schedule."""
    base, other = resolve({}, where="test"), resolve(changed, where="test")
    before = draw_pool(base, SEED, YEAR, 100).persons.age
    assert not np.array_equal(mover_age_schedule(other), mover_age_schedule(base))
    assert not np.array_equal(draw_pool(other, SEED, YEAR, 100).persons.age, before)
    assert np.array_equal(draw_pool(base, SEED, YEAR, 100).persons.age, before)


def test_age_schedule_returned_is_the_callers_own():
    settings = resolve({}, where="test")
    schedule = mover_age_schedule(settings)
    schedule[:] = 0.0
    assert mover_age_schedule(settings).max() > 0.0


def test_changed_shanghai_trend_changes_origin_weights():
    shanghai = places().keys.index("shanghai")
    base = origin_weights(resolve({}, where="test"), 2030)
    other = origin_weights(resolve({"shanghai_outflow_trend": 0.05}, where="test"), 2030)
    assert other[shanghai] != base[shanghai]
    assert np.array_equal(np.delete(other, shanghai), np.delete(base, shanghai))


def test_age_schedule_peaks_at_young_adult_ages(plan_model):
    schedule = mover_age_schedule(plan_model.settings)
    assert 18 <= int(np.argmax(schedule)) <= 30
    assert schedule[60] < 0.2 * schedule.max()


# -------------------------------------------------------------- young adults
def _stepped(years: int = 1, scale: int = SCALE, **settings) -> MigrationModel:
    model = MigrationModel(scale=scale, end=CENSUS_YEAR + years, rng=SEED, **settings)
    while model.running:
        model.step()
    return model


def _departures(model: MigrationModel) -> float:
    """People who left Haimen in the last year (to university or by moving)."""
    return float(model.events.flows[np.ix_(places().alt_in_haimen, ~places().alt_in_haimen)].sum())


def _university_departures(share: float) -> tuple[float, np.ndarray]:
    """People leaving for university in 2021 at 1:100, and the ages of the persons removed."""
    from agents.emigrants import leave_for_university

    model = MigrationModel(scale=100, end=CENSUS_YEAR + 1, rng=SEED, university_share=share)
    model.year = CENSUS_YEAR + 1
    model.demography()
    before = model.population.persons
    keys, ages = before.key.copy(), before.age.copy()
    flows = leave_for_university(model.population, model.emigrants, model.settings, SEED, model.year)
    gone = ~np.isin(keys, model.population.persons.key)
    return float(flows.sum()), ages[gone]


def test_higher_university_share_raises_departures_at_eighteen():
    low, ages_low = _university_departures(0.54)
    high, ages_high = _university_departures(0.65)
    assert high > low > 0
    assert np.all(ages_high == 18) and np.all(ages_low == 18)


def test_university_leavers_are_removed_at_eighteen():
    model = MigrationModel(scale=SCALE, end=CENSUS_YEAR + 1, rng=SEED)
    p = model.population.persons
    seventeen = p.key[p.age == 17]
    model.step()
    p = model.population.persons
    stayed = np.isin(seventeen, p.key).mean()
    assert 0.2 < stayed < 0.6  # about 1 − university_share stay (a few also move away or die)


def test_graduates_weigh_returning_after_their_course():
    from agents.emigrants import UNIVERSITY_YEARS

    model = _stepped(years=1)
    graduating = model.emigrants.students[CENSUS_YEAR + 1 + UNIVERSITY_YEARS].sum()
    assert graduating > 0
    _, graduates = model.emigrants.weighing_return(model.settings, CENSUS_YEAR + 1 + UNIVERSITY_YEARS)
    assert graduates.sum() == pytest.approx(model.settings.graduate_return_rate * graduating)


def test_leaving_home_makes_more_one_person_households():
    def singles(model: MigrationModel) -> float:
        h = model.population.households
        return float(h.weight[model.population.members() == 1].sum())

    assert singles(_stepped(leave_home_rate=0.05)) > singles(_stepped(leave_home_rate=0.0))


# ----------------------------------------------------------- return migration
def test_returners_come_from_the_emigrant_stock():
    from agents.emigrants import BANDS
    from agents.keys import is_returner
    from agents.pools import draw_returners

    model = MigrationModel(scale=SCALE, end=YEAR, rng=SEED)
    stock, graduates = model.emigrants.weighing_return(model.settings, YEAR)
    pop = draw_returners(model.settings, SEED, YEAR, 100, stock, graduates, BANDS)
    assert pop.person_weight().sum() == pytest.approx(stock.sum() + graduates.sum())
    assert np.all(pop.households.hukou_city == HAIMEN_CITY) and np.all(is_returner(pop.households.key))


def test_movers_are_the_pool_then_the_returners_drawn_alone():
    from dataclasses import fields

    from agents.emigrants import BANDS
    from agents.pools import draw_movers, draw_returners

    model = MigrationModel(scale=SCALE, end=YEAR, rng=SEED)
    stock, graduates = model.emigrants.weighing_return(model.settings, YEAR)
    graduates = graduates + 300.0  # (some graduates among the returners, whose degree is set apart)
    movers = draw_movers(model.settings, SEED, YEAR, 100, stock, graduates, BANDS)
    expected = draw_pool(model.settings, SEED, YEAR, 100)
    returners = draw_returners(model.settings, SEED, YEAR, 100, stock, graduates, BANDS)
    assert len(returners.households) and returners.persons.college.any() and len(expected.households)
    expected.add(returners.households, returners.persons)
    for table in ("households", "persons"):
        for column in fields(getattr(expected, table)):
            got, want = getattr(getattr(movers, table), column.name), getattr(getattr(expected, table), column.name)
            assert got.dtype == want.dtype and np.array_equal(got, want), (table, column.name)


def test_higher_return_rate_brings_more_arrivals():
    assert _arrivals(return_rate=0.2) > _arrivals(return_rate=0.04)


def test_emigrant_stock_adds_ages_and_loses_returners():
    from agents.emigrants import BANDS, Emigrants

    shanghai = places().index("shanghai")
    stock = Emigrants(np.zeros((places().n, len(BANDS) - 1)))
    stock.add(np.array([shanghai, shanghai]), np.array([25, 10]), np.array([120.0, 50.0]))
    assert stock.people.sum() == 120.0  # children are not counted
    stock.age()
    assert stock.people[shanghai, 1] == pytest.approx(120.0 / (BANDS[1] - BANDS[0]))
    stock.remove(np.array([shanghai]), np.array([26]), np.array([1000.0]))
    assert stock.people[shanghai, 0] == 0.0 and stock.people.min() >= 0.0


def test_spending_counts_only_claimants():
    """Spending pays rent subsidy only to claimants: fewer recipients at a lower take-up, none at zero rent."""

    def rent_recipients(**settings) -> float:
        model = MigrationModel(scale=SCALE, end=YEAR, rng=SEED, scenario="plan", **settings)
        while model.running:
            model.step()
        spending = model.tables()["spending"]
        return float(spending.loc[spending.lever == "rent_subsidy", "recipients"].sum())

    assert rent_recipients(subsidy_take_up=0.3) < rent_recipients(subsidy_take_up=0.9)
    assert rent_recipients(rent_subsidy=0) == 0.0


@pytest.mark.parametrize(
    "ages", [{}, {"retirement_age_male": 63, "retirement_age_female": 50, "farmer_retirement_age": 66}]
)
def test_labour_force_by_lookup_matches_its_definition(ages):
    """The looked-up retirement ages give the labour force of the definition (farmers, women, men)."""
    settings = resolve(ages, where="test")
    rng = np.random.default_rng(5)
    n = 20_000
    persons = Persons(
        key=np.arange(n, dtype=np.uint64),
        household=np.zeros(n, dtype=np.int64),
        age=rng.integers(0, 90, n).astype(np.int16),
        female=rng.random(n) < 0.5,
        college=np.zeros(n, bool),
        participates=rng.random(n) < 0.8,
        cluster=rng.integers(-1, clusters().n, n).astype(np.int8),
        job=np.full(n, -1, np.int16),
        student_until=rng.choice([0, 2030], n).astype(np.int16),
    )
    retire = np.where(
        persons.cluster == clusters().agriculture,
        settings.farmer_retirement_age,
        np.where(persons.female, settings.retirement_age_female, settings.retirement_age_male),
    )
    expected = persons.participates & (persons.age >= 18) & (persons.age < retire) & (persons.student_until < 2025)
    assert np.array_equal(in_labour_force(persons, settings, 2025), expected)


# ---------------------------------------------------------------------- ties
def test_ties_grow_with_moves_fade_and_read_the_same_as_a_graph():
    n = places().n
    moves = np.zeros((n, n))
    moves[0, 1], moves[2, 2] = 100.0, 50.0  # a move between places, and one within a place (no tie)
    ties = Ties(moves)
    assert ties.matrix()[0, 1] == ties.matrix()[1, 0] == 100.0 and ties.matrix()[2, 2] == 0.0
    ties.fade(0.1)
    ties.add(moves)
    assert ties.matrix()[1, 0] == pytest.approx(190.0)
    graph, keys = ties.graph(), places().keys
    assert list(graph.edges) == [(keys[0], keys[1])]
    assert graph.edges[keys[0], keys[1]]["people"] == ties.directed[0, 1]

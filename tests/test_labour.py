"""The labour market: the matching function, directed search, and a market that tends to its normal rates.

Unit tests of the matching function and the seekers' search, then a baseline run at 1:100 over ten years whose
vacancies, unemployment, search rounds and recruits are checked against the declared normal rates and the
sourced facts, and paired runs with more jobs.
"""

from __future__ import annotations

import numpy as np
import pytest

import abm.model
from abm import MigrationModel
from agents.choice import logit_probabilities
from agents.labour import SEARCH_ROUNDS, SEARCH_TOLERANCE, directed_search
from environment.inputs import CENSUS_YEAR, fact
from environment.jobs import JobMarket
from environment.places import clusters, places
from environment.settings import parameters, resolve

SCALE, SEED, END = 100, 1, CENSUS_YEAR + 10
SETTLED_FROM = CENSUS_YEAR + 5  # the first year by which the market has moved from its start to its normal rates
# plausible year-end unemployment: from the lowest registered urban rate nearby to China's surveyed urban rate
UNEMPLOYMENT_BAND = (
    fact("unemployment_rate_registered_urban", "Nantong 通州区", 2019) / 100,
    fact("unemployment_rate_surveyed_urban", "China", 2024) / 100,
)


def _market(**settings) -> tuple[JobMarket, np.ndarray]:
    """A job market with 1,000 jobs in every Haimen pool, 900 of them filled."""
    employed = np.where(places().in_haimen[:, None], 900.0, 0.0) * np.ones(clusters().n)
    market = JobMarket(resolve(settings, where="test"), employed)
    market.jobs = np.where(places().in_haimen[:, None], 1000.0, 0.0) * np.ones(clusters().n)
    return market, employed


# ------------------------------------------------------------------ the matching function
def test_finding_rate_is_the_normal_rate_at_the_normal_ratio():
    market, employed = _market()
    s = market.settings
    applicants = np.full_like(employed, 100.0 / s.normal_tightness)  # 100 vacant in each Haimen pool
    rate = market.finding_rates(applicants, employed)
    assert np.allclose(rate[places().in_haimen], s.job_finding_rate)
    assert np.allclose(rate[~places().in_haimen], s.job_finding_rate)  # large markets: always the normal rate


def test_hires_rise_with_vacancies_with_diminishing_returns_and_fit_both_sides():
    """Hires = rate × applicants: more with more vacancies, each added vacancy adding fewer (labour scarce),
    never more than the applicants or the vacancies."""
    market, employed = _market()
    applicants = np.full_like(employed, 100.0)
    hires = []
    for filled in (990.0, 950.0, 910.0, 870.0, 830.0, 700.0, 200.0):  # 10 to 800 vacant
        employed = np.where(places().in_haimen[:, None], filled, 0.0) * np.ones(clusters().n)
        h = (market.finding_rates(applicants, employed) * applicants)[places().haimen[0], 0]
        assert h <= min(100.0, 1000.0 - filled) + 1e-9
        hires.append(h)
    steps = np.diff(hires[:5])  # equal steps of 40 vacancies
    assert (steps > 0).all() and (np.diff(steps) < 0).all()
    assert hires[-1] == pytest.approx(100.0)  # plenty of vacancies: every applicant hired


def test_more_applicants_lower_the_finding_rate_and_raise_hires():
    market, employed = _market()
    one = market.finding_rates(np.full_like(employed, 60.0), employed)[places().haimen[0], 3]
    two = market.finding_rates(np.full_like(employed, 120.0), employed)[places().haimen[0], 3]
    assert two < one and 120.0 * two > 60.0 * one


def test_a_pool_without_one_vacancy_hires_nobody():
    market, employed = _market()
    employed = employed.copy()
    employed[places().haimen[0], 2] = 999.5  # half a person vacant
    rate = market.finding_rates(np.full_like(employed, 50.0), employed)
    assert rate[places().haimen[0], 2] == 0.0 and rate[places().haimen[0], 3] > 0.0


def test_directed_search_rests_where_applications_and_the_matching_function_agree():
    """At rest, the rates seekers expect are those the matching function gives for the applications they make."""
    market, employed = _market()
    n_jobs = places().n * clusters().n
    rng = np.random.default_rng(3)
    V = np.append(rng.normal(0.0, 1.5, (40, n_jobs)), np.full((40, 1), -np.inf), axis=1)
    seekers = rng.uniform(50.0, 400.0, 40)
    search = directed_search(V, seekers, market, employed)
    assert search.settled and search.rounds <= SEARCH_ROUNDS
    applicants = seekers @ logit_probabilities(V + search.log_rate)
    rate = market.finding_rates(applicants[:n_jobs].reshape(places().n, clusters().n), employed).ravel()
    assert np.allclose(np.log(rate), search.log_rate[:n_jobs], atol=SEARCH_TOLERANCE)
    crowded = np.argmax(applicants[:n_jobs] * places().in_haimen.repeat(clusters().n))
    assert rate[crowded] < market.settings.job_finding_rate  # seekers still crowd some pools


def test_directed_search_with_closed_pools_matches_the_softmax_of_utility_plus_log_rate():
    """Pools without a vacancy are closed (rate 0) though some kinds like them best; the rounds, which reweight the
    starting probabilities by the rates, give the applications of the softmax of ``V + log f`` itself."""
    market, employed = _market()
    employed = employed.copy()
    closed = (places().haimen[0], 2), (places().haimen[-1], 5)
    for pool in closed:
        employed[pool] = 1000.0  # no vacancy
    n_jobs = places().n * clusters().n
    rng = np.random.default_rng(5)
    V = np.append(rng.normal(0.0, 1.5, (30, n_jobs)), np.full((30, 1), -np.inf), axis=1)
    for place, cluster in closed:
        V[:10, place * clusters().n + cluster] = 40.0  # far the best job for ten kinds, but closed
    seekers = rng.uniform(50.0, 400.0, 30)
    search = directed_search(V, seekers, market, employed)
    assert search.settled
    applicants = seekers @ logit_probabilities(V + search.log_rate)
    assert np.isfinite(applicants).all()
    for place, cluster in closed:
        assert search.log_rate[place * clusters().n + cluster] == -np.inf
        assert applicants[place * clusters().n + cluster] == 0.0
    rate = market.finding_rates(applicants[:n_jobs].reshape(places().n, clusters().n), employed).ravel()
    open_ = rate > 0
    assert np.allclose(np.log(rate[open_]), search.log_rate[:n_jobs][open_], atol=SEARCH_TOLERANCE)


# ------------------------------------------------------------------ a baseline run
@pytest.fixture(scope="module")
def baseline():
    """The baseline at 1:100 for ten years, with each year's recruiting bound and search noted."""
    notes: dict[int, dict] = {}
    wanted_by = abm.model.recruits_wanted
    model = MigrationModel(scale=SCALE, end=END, rng=SEED)

    def noted(world, employed, other_arrivals, free_dwellings):
        wanted = wanted_by(world, employed, other_arrivals, free_dwellings)
        notes[model.year] = {"wanted": wanted, "other_arrivals": other_arrivals, "free": free_dwellings.copy()}
        return wanted

    abm.model.recruits_wanted = noted
    try:
        while model.running:
            model.step()
            notes[model.year]["matching"] = model.matching
    finally:
        abm.model.recruits_wanted = wanted_by
    tables = model.tables()
    yearly = tables["yearly"][tables["yearly"].in_haimen].groupby("year")[["jobs", "jobs_filled"]].sum()
    return model, tables["summary"].set_index("year"), 1.0 - yearly.jobs_filled / yearly.jobs, notes


def test_farmers_retire_last_so_a_hire_never_ends_a_working_life():
    """The job search leaves the labour force as it was (``find_jobs``; the workforce after the hires is not counted
    again): a hire into farming moves a worker's retirement age to the farmers', which must not come before the
    others' for any value the settings accept."""
    p = parameters()

    def accepted(key: str) -> tuple[float, float]:
        return p[key].accepted or (p[key].low, p[key].high)

    others = max(accepted("retirement_age_male")[1], accepted("retirement_age_female")[1])
    assert accepted("farmer_retirement_age")[0] >= others


def test_the_census_job_stock_is_at_the_normal_vacancy_rate(baseline):
    """The census year's jobs are the employed plus the normal share, and every job holder is in the labour
    force (farmers past the other trades' retirement age may not take their jobs, which would leave them
    vacant at once)."""
    model, _, vacancy, _ = baseline
    assert vacancy[CENSUS_YEAR] == pytest.approx(model.settings.vacancy_rate, abs=1e-9)


def test_vacancies_tend_to_the_normal_rate(baseline):
    model, _, vacancy, _ = baseline
    settled = vacancy[vacancy.index >= SETTLED_FROM]
    assert len(settled) == END - SETTLED_FROM + 1
    assert (abs(settled - model.settings.vacancy_rate) <= 0.02).all(), settled.round(4).to_dict()


def test_unemployment_within_the_evidence(baseline):
    _, summary, _, _ = baseline
    rate = (summary.unemployed / summary.workers)[summary.index >= SETTLED_FROM]
    low, high = UNEMPLOYMENT_BAND
    assert ((rate >= low) & (rate <= high)).all(), rate.round(4).to_dict()


def test_the_job_search_settles_every_year(baseline):
    _, _, _, notes = baseline
    searches = [n["matching"] for n in notes.values()]
    assert len(searches) == END - CENSUS_YEAR
    assert all(s.settled and s.rounds <= SEARCH_ROUNDS for s in searches), [s.rounds for s in searches]


def test_hires_never_exceed_applicants(baseline):
    _, _, _, notes = baseline
    for year, n in notes.items():
        m = n["matching"]
        assert (m.hired <= m.applicants * (1 + 1e-9)).all(), year
        assert 0.0 < m.hired.sum() < m.applicants.sum(), year  # some hired, some not: frictional unemployment


def test_recruits_never_exceed_their_bounds(baseline):
    """At most work_motive_share of the year's arrivals, and no more in a place than its free dwellings."""
    model, _, _, notes = baseline
    share = model.settings.work_motive_share
    binding = 0
    for year, n in notes.items():
        wanted = n["wanted"]
        bound = share / (1 - share) * max(n["other_arrivals"], 0.0)
        assert wanted.sum() <= bound * (1 + 1e-9) + 1e-9, year
        room = np.maximum(n["free"], 0.0) / max(1.0, model.settings.collective_space)
        assert (wanted.sum(axis=1) <= room * (1 + 1e-9) + 1e-9).all(), year
        assert (wanted[~places().in_haimen] == 0).all()
        binding += wanted.sum() > 0.99 * bound
    assert binding < len(notes)  # the share bounds, it does not set, the recruits


def test_baseline_recruits_stay_below_haimen_urban_new_jobs(baseline):
    """Recruits from outside are part of Haimen's 城镇新增就业 (about 10,000 a year, 2022 and 2025 H1)."""
    _, _, _, notes = baseline
    recruits = np.array([n["wanted"].sum() for n in notes.values()])
    assert recruits.mean() < fact("jobs_urban_new", "Haimen", 2022)
    assert (recruits > 0).all()


def test_plan_recruits_stay_below_haimen_urban_new_jobs():
    """Under the plan too, recruits stay below the whole of Haimen's urban new employment at its 2025 pace
    (twice the first half's 5,661), which the plan did not visibly raise (10,000 in 2022)."""
    recruits = []
    wanted_by = abm.model.recruits_wanted

    def noted(*args):
        wanted = wanted_by(*args)
        recruits.append(float(wanted.sum()))
        return wanted

    model = MigrationModel(scale=SCALE, end=SETTLED_FROM, rng=SEED, scenario="plan")
    abm.model.recruits_wanted = noted
    try:
        while model.running:
            model.step()
    finally:
        abm.model.recruits_wanted = wanted_by
    assert np.mean(recruits) < 2 * fact("jobs_urban_new", "Haimen", "2025H1")


# ------------------------------------------------------------------ more jobs
def _with_jobs(jobs: int) -> tuple[float, float, float]:
    """Haimen's jobs and filled jobs (in-commuters included) five years on and the arrivals till then, with ``jobs``
    new industrial jobs a year in the Development Zone (paired seed)."""
    model = MigrationModel(scale=SCALE, end=SETTLED_FROM, rng=SEED, industrial_jobs_kaifaqu=jobs)
    while model.running:
        model.step()
    summary = model.tables()["summary"].set_index("year")
    haimen = places().in_haimen
    filled = model.headcounts().filled[haimen].sum()
    arrivals = summary.loc[CENSUS_YEAR + 1 :, "arrivals"].sum()
    return float(model.world.jobs.jobs[haimen].sum()), float(filled), float(arrivals)


def test_more_jobs_raise_employment_and_arrivals_but_not_all_are_filled():
    """Equal steps of the lever add jobs, employment and arrivals; fewer jobs are filled than added (vacancies where
    labour is scarce in the zone's pools). (Whether each step adds less than the one before is below the seed noise at
    this scale since in-commuters make the zone's labour supply more elastic.)"""
    jobs, filled, arrivals = np.array([_with_jobs(j) for j in (600, 5300, 10000)]).T
    assert (np.diff(jobs) > 0).all() and (np.diff(filled) > 0).all() and (np.diff(arrivals) > 0).all()
    assert (np.diff(filled) < np.diff(jobs)).all()

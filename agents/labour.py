"""Workers: entering and leaving the labour force, and choosing where to work.

A worker whose trade is in cluster ``c``, living in alternative ``a``, values a job in
place ``w`` and cluster ``c'`` at ``β_wage·log wage[w,c'] − β_commute·minutes[a,w]
− β_long·(minutes beyond an hour) + μ·log openings[w,c'] + κ·[another city] − switch·[c' ≠ c]``; taking it makes
``c'`` the worker's cluster. The logit over jobs gives each worker's expected wage
and, as a logsum without the wage, the job accessibility that enters the
household's residence choice. Haimen's jobs are limited per place and cluster.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agents.census_population import resident_cluster_mix
from agents.choice import Capacity, choose, inverse_cdf_draw, logit_probabilities, logsum
from agents.constants import ADULT_AGE
from agents.person_draws import draw_clusters
from agents.population import NO_JOB, Persons, Population
from agents.streams import Channel, uniform
from environment.inputs import constant
from environment.places import clusters, places
from environment.settings import Settings
from environment.world import World

NO_CONNECTION_MINUTES = 1e4  # the commute standing in for no connection at all: far beyond any job's reach


def in_labour_force(persons: Persons, settings: Settings, year: int) -> np.ndarray:
    """Persons of working age who take part in the labour market, bool[person]."""
    farmer = persons.cluster == clusters().agriculture
    group = (farmer.view(np.uint8) << 1) | persons.female.view(np.uint8)  # small codes, looked up (cheaper than where)
    retire = retirement_ages(settings)[group]
    return persons.participates & (persons.age >= ADULT_AGE) & (persons.age < retire) & (persons.student_until < year)


def retirement_ages(settings: Settings) -> np.ndarray:
    """Age at which work stops by ``2·farmer + female``: men, women, farmers (either sex), int16[4] (whole years,
    as the settings require)."""
    male, female, farmer = settings.retirement_age_male, settings.retirement_age_female, settings.farmer_retirement_age
    return np.array([male, female, farmer, farmer], dtype=np.int16)


def wage_factor(persons: Persons, settings: Settings) -> np.ndarray:
    """Individual wage relative to the place-and-cluster wage (college premium), float[person]."""
    return 1.0 + settings.college_wage_premium * persons.college


@dataclass
class JobProspects:
    """What the job market offers from each residence alternative this year.

    Jobs are (place, cluster) pairs, flattened as ``place * n_clusters + cluster``.
    """

    utility: np.ndarray  # float[cluster, alt, job]: systematic utility of a job for a worker of that cluster
    expected_wage: np.ndarray  # float[cluster, alt]: yuan/yr
    accessibility: np.ndarray  # float[cluster, alt]: logsum of openings over commute, without the wage


def job_prospects(world: World, year: int, employed: np.ndarray) -> JobProspects:
    """Job utilities, expected wages and accessibility given who is employed where."""
    s, pl = world.settings, places()
    n_clusters = clusters().n
    minutes = world.transport.commute_minutes(year)  # [alt, place]
    cross_city = pl.city[pl.alt_place][:, None] != pl.city[None, :]
    minutes = np.where(np.isfinite(minutes), minutes, NO_CONNECTION_MINUTES)
    extra = np.maximum(minutes - constant("long_commute"), 0.0)
    commute = s.beta_commute * minutes + s.beta_long_commute * extra
    place_part = -commute + s.cross_city_job * cross_city
    openings = world.jobs.openings(employed)  # [place, cluster]
    switch = -s.cluster_switch_cost * (1.0 - np.eye(n_clusters))  # [worker's cluster, job's cluster]
    # access[worker's cluster, alt, place, job's cluster]
    access = (
        place_part[None, :, :, None]
        + s.job_size_coefficient * np.log(openings)[None, None, :, :]
        + switch[:, None, None, :]
    )
    access = access.reshape(n_clusters, pl.n_alt, pl.n * n_clusters)
    wage = world.jobs.wage.ravel()  # [place * cluster]
    utility = access + s.beta_wage * np.log(wage)[None, None, :]
    weighted = logit_probabilities(utility)
    weighted *= wage  # in place on the new array, and then written over by the logsum
    expected = weighted.sum(axis=2)
    return JobProspects(utility=utility, expected_wage=expected, accessibility=logsum(access, 2, scratch=weighted))


def employment(pop: Population, labour: np.ndarray) -> np.ndarray:
    """Weighted workers by job place and cluster, float[place, cluster]."""
    p, n_clusters = pop.persons, clusters().n
    has_job = np.flatnonzero(labour & (p.job >= 0))
    job = p.job[has_job].astype(np.int64) * n_clusters + p.cluster[has_job]
    weight = pop.households.weight[p.household[has_job]]
    # bincount adds in row order, as np.add.at would: the same sums to the bit
    return np.bincount(job, weights=weight, minlength=places().n * n_clusters).reshape(places().n, n_clusters)


def start_and_stop_work(pop: Population, settings: Settings, seed: int, year: int) -> np.ndarray:
    """Give new adults the cluster of their trade and end the jobs of those leaving work; returns the labour force."""
    p, pl = pop.persons, places()
    new_adult = (p.age >= ADULT_AGE) & (p.cluster < 0)
    if new_adult.any():
        alt = pl.alt(pop.households.place[p.household[new_adult]], pop.households.urban[p.household[new_adult]])
        p.cluster[new_adult] = draw_clusters(seed, year, p.key[new_adult], resident_cluster_mix(settings), alt)
    labour = in_labour_force(p, settings, year)
    p.job[~labour] = NO_JOB
    return labour


def end_jobs(pop: Population, world: World, labour: np.ndarray, seed: int, year: int) -> np.ndarray:
    """Job switchers quit; where a place's jobs shrank below the employed, the last in the layoff order lose theirs.

    Returns the employment that remains (:func:`employment`).
    """
    p = pop.persons
    employed = np.flatnonzero(p.job >= 0)  # only they draw
    p.job[employed[uniform(seed, Channel.JOB_SWITCH, year, p.key[employed]) < world.settings.job_switch_rate]] = NO_JOB
    remaining = employment(pop, labour)
    excess = remaining - world.jobs.jobs
    excess[~places().in_haimen] = 0.0
    if not (excess > 1e-9).any():
        return remaining
    priority = uniform(seed, Channel.LAYOFF, year, p.key)
    weight = pop.person_weight()
    for w, c in zip(*np.nonzero(excess > 1e-9), strict=True):
        holders = np.flatnonzero((p.job == w) & (p.cluster == c) & labour)
        order = holders[np.argsort(-priority[holders], kind="stable")]
        lose = order[np.cumsum(weight[order]) - weight[order] < excess[w, c] - 1e-9]
        p.job[lose] = NO_JOB
    return employment(pop, labour)


def find_jobs(
    pop: Population,
    world: World,
    prospects: JobProspects,
    labour: np.ndarray,
    seed: int,
    year: int,
    *,
    limited: bool = True,
) -> None:
    """Every job seeker in the labour force chooses a job; Haimen's vacancies limit hiring unless not ``limited``
    (the 2020 start, whose job stock is taken from where residents choose to work)."""
    p, pl = pop.persons, places()
    n_clusters = clusters().n
    seekers = np.flatnonzero(labour & (p.job == NO_JOB))
    if len(seekers) == 0:
        return
    home = p.household[seekers]
    alt = pl.alt(pop.households.place[home], pop.households.urban[home])
    weight = pop.households.weight[home]  # the seekers' person_weight()
    n_jobs = pl.n * n_clusters
    no_job = n_jobs  # an extra alternative where seekers start: chosen only if turned away
    job_place = np.repeat(np.arange(pl.n), n_clusters)
    of_alt = np.append(np.where(pl.in_haimen[job_place], np.arange(n_jobs), -1), -1)
    u = uniform(seed, Channel.JOB, year, p.key[seekers])
    priority = uniform(seed, Channel.JOB_LOTTERY, year, p.key[seekers])
    # one kind per (worker's cluster, home alternative): V[cluster * n_alt + alt, job], plus the "no job" column
    V = np.concatenate([prospects.utility.reshape(-1, n_jobs), np.full((n_clusters * pl.n_alt, 1), -np.inf)], axis=1)
    kind = p.cluster[seekers].astype(np.int64) * pl.n_alt + alt
    current = np.full(len(seekers), no_job)
    capacities = []
    if limited:
        room = world.jobs.vacant(employment(pop, labour)).ravel()  # [place * cluster]
        capacities.append(Capacity(of_alt=of_alt, use=weight, room=room))
    chosen = choose(V, kind, current, capacities, priority, draw=inverse_cdf_draw(u))
    hired = chosen < no_job
    p.job[seekers[hired]] = chosen[hired] // n_clusters
    p.cluster[seekers[hired]] = chosen[hired] % n_clusters


def recruits_wanted(
    world: World, employed: np.ndarray, other_arrivals: float, free_dwellings: np.ndarray
) -> np.ndarray:
    """Workers Haimen's employers recruit from outside this year, float[place, cluster] (people).

    A share ``recruitment_rate`` of the jobs still unfilled after local hiring,
    bounded twice: recruits are at most ``work_motive_share`` of the year's
    arrivals (so at most s/(1−s) times the other arrivals), and each place
    recruits no more than its free dwellings can house, whoever of them ends up
    in a dormitory (each recruit is counted as a whole dwelling, the most one
    can use, so the random dormitory draw never over-fills a place).
    ``free_dwellings`` is float[place].
    """
    s = world.settings
    haimen = places().in_haimen[:, None]
    wanted = s.recruitment_rate * world.jobs.vacant(employed) * haimen
    bound = s.work_motive_share / (1.0 - s.work_motive_share) * max(other_arrivals, 0.0)
    total = wanted.sum()
    if total > bound:
        wanted *= bound / total
    room = np.maximum(free_dwellings, 0.0) / max(1.0, s.collective_space)
    by_place = wanted.sum(axis=1)
    factor = np.divide(room, by_place, out=np.ones_like(by_place), where=by_place > room)
    return wanted * np.minimum(factor, 1.0)[:, None]

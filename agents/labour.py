"""Workers: entering and leaving the labour force, and choosing where to work.

A worker of trade (cluster) ``c`` living in alternative ``a`` values a job in
place ``w`` and cluster ``c'`` at ``β_wage·log wage[c',w] − β_commute·minutes[a,w]
− β_long·(minutes beyond an hour) + μ·log openings[c',w] + κ·[another city] − switch·[c' ≠ c]``; taking it makes
``c'`` the worker's trade. The logit over jobs gives each worker's expected wage
and, as a logsum without the wage, the job accessibility that enters the
household's residence choice. Haimen's jobs are limited per place and cluster.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agents.choice import Capacity, choose, inverse_cdf_draw, logit_probabilities, logsum
from agents.population import NO_JOB, Persons, Population
from agents.streams import Channel, categorical, uniform
from agents.synthesis import ADULT_AGE, skill_mix
from environment.places import clusters, places
from environment.settings import Settings
from environment.world import World

LONG_COMMUTE = 60.0  # minutes: beyond this each minute costs more (beta_long_commute)


def in_labour_force(persons: Persons, settings: Settings, year: int) -> np.ndarray:
    """Persons of working age who take part in the labour market, bool[person]."""
    retire = np.where(
        persons.skill == clusters().agriculture,
        settings.farmer_retirement_age,
        np.where(persons.female, settings.retirement_age_female, settings.retirement_age_male),
    )
    return persons.participates & (persons.age >= ADULT_AGE) & (persons.age < retire) & (persons.student_until < year)


def wage_factor(persons: Persons, settings: Settings) -> np.ndarray:
    """Individual wage relative to the place-and-cluster wage (college premium), float[person]."""
    return 1.0 + settings.college_wage_premium * persons.college


@dataclass
class JobProspects:
    """What the job market offers from each residence alternative this year.

    Jobs are (place, cluster) pairs, flattened as ``place * n_clusters + cluster``.
    """

    utility: np.ndarray  # float[trade, alt, job]: systematic utility of a job
    expected_wage: np.ndarray  # float[trade, alt]: yuan/yr
    accessibility: np.ndarray  # float[trade, alt]: logsum of openings over commute, without the wage


def job_prospects(world: World, year: int, employed: np.ndarray) -> JobProspects:
    """Job utilities, expected wages and accessibility given who is employed where."""
    s, pl = world.settings, places()
    n_clusters = clusters().n
    minutes = world.transport.commute_minutes(year)  # [alt, place]
    cross_city = pl.city[pl.alt_place][:, None] != pl.city[None, :]
    minutes = np.where(np.isfinite(minutes), minutes, 1e4)
    commute = s.beta_commute * minutes + s.beta_long_commute * np.maximum(minutes - LONG_COMMUTE, 0.0)
    place_part = -commute + s.cross_city_job * cross_city
    openings = world.jobs.openings(employed)  # [cluster, place]
    switch = -s.trade_switch_cost * (1.0 - np.eye(n_clusters))  # [trade, cluster]
    # access[trade, alt, place, cluster]
    access = (
        place_part[None, :, :, None]
        + s.job_size_coefficient * np.log(openings).T[None, None, :, :]
        + switch[:, None, None, :]
    )
    access = access.reshape(n_clusters, pl.n_alt, pl.n * n_clusters)
    wage = world.jobs.wage.T.ravel()  # [place * cluster]
    utility = access + s.beta_wage * np.log(wage)[None, None, :]
    expected = (logit_probabilities(utility) * wage[None, None, :]).sum(axis=2)
    return JobProspects(utility=utility, expected_wage=expected, accessibility=logsum(access, axis=2))


def employment(pop: Population, labour: np.ndarray) -> np.ndarray:
    """Weighted workers by job place and cluster, float[place, cluster]."""
    p = pop.persons
    has_job = labour & (p.job >= 0)
    out = np.zeros((places().n, clusters().n))
    np.add.at(out, (p.job[has_job], p.skill[has_job]), pop.person_weight()[has_job])
    return out


def start_and_stop_work(pop: Population, settings: Settings, seed: int, year: int) -> np.ndarray:
    """Give new adults a trade and end the jobs of those leaving work; returns the labour-force mask."""
    p, pl = pop.persons, places()
    new_adult = (p.age >= ADULT_AGE) & (p.skill < 0)
    if new_adult.any():
        alt = pl.alt(pop.households.place[p.household[new_adult]], pop.households.urban[p.household[new_adult]])
        p.skill[new_adult] = categorical(uniform(seed, Channel.SKILL, year, p.key[new_adult]), skill_mix(settings), alt)
    labour = in_labour_force(p, settings, year)
    p.job[~labour] = NO_JOB
    return labour


def separate(pop: Population, world: World, labour: np.ndarray, seed: int, year: int) -> None:
    """Job switchers quit; where jobs shrank below the employed, the last in the lottery lose theirs."""
    p = pop.persons
    switch = (p.job >= 0) & (uniform(seed, Channel.JOB_SWITCH, year, p.key) < world.settings.job_switch_rate)
    p.job[switch] = NO_JOB
    excess = employment(pop, labour) - world.jobs.jobs
    excess[~places().in_haimen] = 0.0
    if (excess > 1e-9).any():
        priority = uniform(seed, Channel.FARM_JOB, year, p.key)
        weight = pop.person_weight()
        for w, c in zip(*np.nonzero(excess > 1e-9), strict=True):
            holders = np.flatnonzero((p.job == w) & (p.skill == c) & labour)
            order = holders[np.argsort(-priority[holders], kind="stable")]
            lose = order[np.cumsum(weight[order]) - weight[order] < excess[w, c] - 1e-9]
            p.job[lose] = NO_JOB


def find_jobs(pop: Population, world: World, prospects: JobProspects, labour: np.ndarray, seed: int, year: int) -> None:
    """Every job seeker in the labour force chooses a job; Haimen's vacancies limit hiring."""
    p, pl = pop.persons, places()
    n_clusters = clusters().n
    seekers = np.flatnonzero(labour & (p.job == NO_JOB))
    if len(seekers) == 0:
        return
    alt = pl.alt(pop.households.place[p.household[seekers]], pop.households.urban[p.household[seekers]])
    weight = pop.person_weight()[seekers]
    room = world.jobs.vacant(employment(pop, labour)).ravel()  # [place * cluster]
    n_jobs = pl.n * n_clusters
    no_job = n_jobs  # an extra alternative where seekers start: chosen only if turned away
    job_place = np.repeat(np.arange(pl.n), n_clusters)
    of_alt = np.r_[np.where(pl.in_haimen[job_place], np.arange(n_jobs), -1), -1]
    u = uniform(seed, Channel.JOB, year, p.key[seekers])
    priority = uniform(seed, Channel.JOB_LOTTERY, year, p.key[seekers])
    # one kind per (trade, home alternative): V[trade * n_alt + alt, job], plus the "no job" column
    V = np.concatenate([prospects.utility.reshape(-1, n_jobs), np.full((n_clusters * pl.n_alt, 1), -np.inf)], axis=1)
    kind = p.skill[seekers].astype(np.int64) * pl.n_alt + alt
    current = np.full(len(seekers), no_job)
    capacity = Capacity(of_alt=of_alt, use=weight, room=room)
    chosen = choose(V, kind, current, [capacity], priority, draw=inverse_cdf_draw(u))
    hired = chosen < no_job
    p.job[seekers[hired]] = chosen[hired] // n_clusters
    p.skill[seekers[hired]] = chosen[hired] % n_clusters

"""Jobs by place and industrial cluster, wages, openings and the matching function.

Haimen's 2020 job stock is the residents employed there plus the normal vacancy
rate; each year the levers add jobs (where: ``data/lever_allocation.csv``), the
airport adds its jobs once open, and farm jobs decline. Applicants are hired at
the rate a matching function gives for each pool's vacancies and applicants.
Where jobs stay vacant beyond the normal rate after the year's hiring, they pay
a premium and a share of them is withdrawn, so vacancies tend to the normal
rate. Other places are large labour markets whose openings are a share of their
jobs.

Residents of the outside places (the neighbours above all) hold some of Haimen's
jobs without living there: the market keeps them as a stock by home place,
Haimen place and cluster (``in_commuters``), counted among the filled jobs; they
leave at the rate residents switch jobs and are hired in the year's matching
(``agents.labour.find_jobs``).
"""

from __future__ import annotations

from functools import cache

import numpy as np

from environment.inputs import CENSUS_YEAR, place_input
from environment.places import cluster_mix, clusters, place_values, places
from environment.policy import PolicyYear
from environment.settings import Settings

MIN_VACANT = 1.0  # people: a pool with fewer vacancies hires nobody (it could not take one person)
MIN_OPENINGS = 1e-3  # numerical guard: openings enter as a log, so a (place, cluster) without any stays finite


def income_index(settings: Settings) -> np.ndarray:
    """Per-capita income of each place relative to Haimen, brought to the census year, float[place] (read-only)."""
    return _income_index(settings.income_growth_nominal)


@cache
def _income_index(growth: float) -> np.ndarray:
    """:func:`income_index` at a nominal income growth rate (computed once per rate: read every year)."""
    pl = places()
    income = np.empty(pl.n)
    for p, (key, haimen) in enumerate(zip(pl.keys, pl.in_haimen, strict=True)):
        row = place_input("income_per_capita", key, haimen)
        income[p] = float(row["value"]) / (1 + growth) ** (int(row["year"]) - CENSUS_YEAR)
    index = income / income[pl.haimen[0]]
    index.flags.writeable = False  # shared by runs: nobody may change it
    return index


def outside_workers(settings: Settings) -> np.ndarray:
    """Workers living in each outside place (its jobs per resident times its residents), float[place] (0 in
    Haimen)."""
    return place_values("population", outside_only=True) * settings.employment_rate_external


class JobMarket:
    """Job stock, wages and openings, each float[place, cluster] (stock: Haimen only), and the in-commuters who hold
    some of Haimen's jobs, float[home place, place, cluster] (people; homes outside Haimen, jobs in it).

    ``employed`` is the residents employed by place and cluster; the census year's jobs are they and the
    ``in_commuters`` at the normal vacancy rate.
    """

    def __init__(self, settings: Settings, employed: np.ndarray, in_commuters: np.ndarray | None = None) -> None:
        pl = places()
        self.settings = settings
        self.base_wage = settings.base_wage * clusters().wage_multiplier[None, :] * income_index(settings)[:, None]
        self.wage = self.base_wage.copy()
        n = (pl.n, pl.n, clusters().n)
        self.in_commuters = np.zeros(n) if in_commuters is None else np.array(in_commuters, dtype=float)
        filled = employed + self.in_commuting()
        self.jobs = np.where(pl.in_haimen[:, None], filled / (1.0 - settings.vacancy_rate), 0.0)
        self.external_openings = (
            outside_workers(settings)[:, None] * cluster_mix() * (settings.vacancy_rate + settings.hiring_rate)
        ) * (~pl.in_haimen)[:, None]

    def in_commuting(self) -> np.ndarray:
        """Haimen's jobs held by in-commuters, float[place, cluster] (people)."""
        return self.in_commuters.sum(axis=0)

    def commuters_leave(self, share: np.ndarray | float) -> None:
        """A ``share`` of the in-commuters in each pool (float[place, cluster], or one for all) leave their jobs."""
        self.in_commuters *= 1.0 - np.asarray(share)

    def hire_commuters(self, hired: np.ndarray) -> None:
        """In-commuters hired this year by home place, place and cluster, float[home, place, cluster] (people)."""
        self.in_commuters += hired

    def openings(self, employed: np.ndarray) -> np.ndarray:
        """Openings over the year: vacancies plus replacement hiring, float[place, cluster]."""
        haimen = self.vacant(employed) + self.settings.hiring_rate * employed
        return np.maximum(np.where(places().in_haimen[:, None], haimen, self.external_openings), MIN_OPENINGS)

    def finding_rates(self, applicants: np.ndarray, employed: np.ndarray) -> np.ndarray:
        """Share of each pool's applicants hired this year, float[place, cluster].

        The matching function ``hires = A·applicants^α·vacancies^(1−α)`` (Petrongolo and Pissarides 2001), with
        ``A`` such that at the normal ratio θ* of vacancies to applicants an applicant is hired with the normal
        rate f*: ``f = f*·(θ/θ*)^(1−α)``, never more than all applicants or all vacancies (``f ≤ min(1, θ)``).
        The other places are large markets, at their normal ratio whoever of Haimen applies.
        """
        return self.finding_rates_at(applicants, self.open_vacancies(employed))

    def finding_rates_at(self, applicants: np.ndarray, room: np.ndarray) -> np.ndarray:
        """:meth:`finding_rates` at the vacancies ``room`` open to seekers (:meth:`open_vacancies`), for callers that
        weigh many counts of applicants against the same vacancies."""
        s = self.settings
        theta = np.divide(room, applicants, out=np.where(room > 0, np.inf, 0.0), where=applicants > 0)
        rate = s.job_finding_rate * (theta / s.normal_tightness) ** (1.0 - s.matching_elasticity)
        rate = np.minimum(np.minimum(rate, theta), 1.0)
        return np.where(places().in_haimen[:, None], rate, s.job_finding_rate)

    def open_vacancies(self, employed: np.ndarray) -> np.ndarray:
        """Vacancies seekers may fill this year, float[place, cluster]: Haimen's vacant jobs (none where not one
        person could be hired) and, in the other places' large markets, no limit."""
        vacant = self.vacant(employed)
        return np.where(places().in_haimen[:, None], np.where(vacant >= MIN_VACANT, vacant, 0.0), np.inf)

    def vacant(self, employed: np.ndarray) -> np.ndarray:
        """Haimen's vacant jobs, float[place, cluster] (0 elsewhere)."""
        return np.maximum(self.jobs - employed, 0.0)

    def excess(self, employed: np.ndarray) -> np.ndarray:
        """Jobs vacant beyond the normal rate (``vacancy_rate``), float[place, cluster]."""
        return np.maximum(self.jobs * (1.0 - self.settings.vacancy_rate) - employed, 0.0)

    def adjust(self, employed: np.ndarray) -> None:
        """Where Haimen's jobs stay vacant beyond the normal rate, pay a premium and withdraw a share
        ``unfilled_job_decay`` of those beyond it."""
        s = self.settings
        haimen = places().in_haimen[:, None]
        excess = self.excess(employed) * haimen  # [place, cluster]
        share = np.divide(excess, self.jobs, out=np.zeros_like(excess), where=self.jobs > 0)
        self.wage = self.base_wage * np.exp(s.wage_response * share)
        self.jobs -= s.unfilled_job_decay * excess

    def grow(self, policy: PolicyYear) -> None:
        """Add the levers' and the opened projects' jobs for the policy's year; shrink farm jobs."""
        self.jobs[:, clusters().agriculture] *= 1.0 - self.settings.agriculture_decline
        haimen = places().in_haimen[:, None]
        self.jobs += policy.new_jobs * haimen

"""Jobs by place and industrial cluster, wages and openings.

Haimen's 2020 job stock is the residents employed there plus the assumed vacancy
rate; each year the levers add jobs (where: ``data/lever_allocation.csv``), the
airport adds its jobs once open, and farm jobs decline. Where jobs stay vacant
beyond the frictional rate, they pay a premium and some are withdrawn. Other places are large
labour markets whose openings are a share of their jobs.
"""

from __future__ import annotations

import numpy as np

from environment.inputs import CENSUS_YEAR, place_input
from environment.places import cluster_mix, clusters, place_values, places
from environment.policy import PolicyYear
from environment.settings import Settings

MIN_OPENINGS = 1e-3  # numerical guard: openings enter as a log, so a (place, cluster) without any stays finite


def income_index(settings: Settings) -> np.ndarray:
    """Per-capita income of each place relative to Haimen, brought to the census year, float[place]."""
    pl = places()
    income = np.empty(pl.n)
    for p, (key, haimen) in enumerate(zip(pl.keys, pl.in_haimen, strict=True)):
        row = place_input("income_per_capita", key, haimen)
        income[p] = float(row["value"]) / (1 + settings.income_growth_nominal) ** (int(row["year"]) - CENSUS_YEAR)
    return income / income[pl.haimen[0]]


class JobMarket:
    """Job stock, wages and openings, each float[place, cluster] (stock: Haimen only)."""

    def __init__(self, settings: Settings, employed: np.ndarray) -> None:
        pl = places()
        self.settings = settings
        self.base_wage = settings.base_wage * clusters().wage_multiplier[None, :] * income_index(settings)[:, None]
        self.wage = self.base_wage.copy()
        self.jobs = np.where(pl.in_haimen[:, None], employed / (1.0 - settings.vacancy_rate), 0.0)
        external_jobs = place_values("population") * settings.employment_rate_external
        self.external_openings = (
            external_jobs[:, None] * cluster_mix() * (settings.vacancy_rate + settings.hiring_rate)
        ) * (~pl.in_haimen)[:, None]

    def openings(self, employed: np.ndarray) -> np.ndarray:
        """Openings over the year: vacancies plus replacement hiring, float[place, cluster]."""
        vacant = np.maximum(self.jobs - employed, 0.0)
        haimen = vacant + self.settings.hiring_rate * employed
        return np.maximum(np.where(places().in_haimen[:, None], haimen, self.external_openings), MIN_OPENINGS)

    def vacant(self, employed: np.ndarray) -> np.ndarray:
        """Jobs that can be filled this year, float[place, cluster].

        A frictional share (the 2020 vacancy rate) stays open at any time.
        """
        return np.maximum(self.jobs * (1.0 - self.settings.vacancy_rate) - employed, 0.0)

    def adjust(self, employed: np.ndarray) -> None:
        """Where Haimen's jobs stay vacant beyond the frictional rate, pay a premium and withdraw some of them."""
        s = self.settings
        haimen = places().in_haimen[:, None]
        excess = np.maximum(self.jobs * (1.0 - s.vacancy_rate) - employed, 0.0) * haimen  # [place, cluster]
        share = np.divide(excess, self.jobs, out=np.zeros_like(excess), where=self.jobs > 0)
        self.wage = self.base_wage * np.exp(s.wage_response * share)
        self.jobs -= s.unfilled_job_decay * excess

    def grow(self, policy: PolicyYear) -> None:
        """Add the levers' and the opened projects' jobs for the policy's year; shrink farm jobs."""
        self.jobs[:, clusters().agriculture] *= 1.0 - self.settings.agriculture_decline
        haimen = places().in_haimen[:, None]
        self.jobs += policy.new_jobs * haimen

"""What the levers do to the world, year by year.

Lever values act from the plan's adoption (2022); before that every lever is at
its baseline. Where a lever acts (places, clusters) is read from
``data/lever_allocation.csv``. Index-type levers (amenity, school quality) phase
in linearly and are fully in place by the plan's target year.
"""

from __future__ import annotations

from collections import defaultdict
from functools import cache

import numpy as np

from environment.inputs import read_csv
from environment.places import clusters, places
from environment.settings import Settings, levers
from environment.targets import PLAN_ADOPTED, targets

JOB_LEVERS = (
    "industrial_jobs_kaifaqu",
    "industrial_jobs_gangxinqu",
    "industrial_jobs_sanxing",
    "industrial_jobs_other",
    "hq_jobs",
    "consumer_jobs",
    "graduate_jobs",
)
AMENITY_LEVERS = ("commercial_amenity", "featured_towns", "green_amenity", "health_amenity")


@cache
def allocation() -> dict[str, list[tuple[int, int, float]]]:
    """Where each lever acts: lever -> [(place, cluster or -1, share)]."""
    pl, keys = places(), clusters().keys
    out: dict[str, list[tuple[int, int, float]]] = defaultdict(list)
    for r in read_csv("lever_allocation.csv"):
        cluster = keys.index(r["cluster"]) if r["cluster"] else -1
        out[r["lever"]].append((pl.index(r["place"]), cluster, float(r["share"])))
    return dict(out)


class Policy:
    """Yearly effects of one run's lever settings."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.full_year = targets()["population"].year

    def value(self, key: str, year: int):
        """A lever's value in ``year``: its baseline before the plan's adoption."""
        return self.settings[key] if year >= PLAN_ADOPTED else levers()[key].baseline

    def ramp(self, year: int) -> float:
        """Share of an index lever in place in ``year`` (0 before adoption, 1 from the target year)."""
        span = self.full_year - PLAN_ADOPTED + 1
        return float(np.clip((year - PLAN_ADOPTED + 1) / span, 0.0, 1.0))

    def new_jobs(self, year: int) -> np.ndarray:
        """Jobs the levers add in ``year``, float[place, cluster]."""
        pl, keys = places(), clusters().keys
        jobs = np.zeros((pl.n, len(keys)))
        for key in JOB_LEVERS:
            amount = self.value(key, year)
            for place, cluster, share in allocation()[key]:
                jobs[place, cluster] += amount * share
        return jobs

    def airport_jobs(self, year: int, opens: int | None) -> np.ndarray:
        """Airport-related jobs added in ``year``: a fifth each year for five years after opening."""
        pl, keys = places(), clusters().keys
        jobs = np.zeros((pl.n, len(keys)))
        if opens is not None and opens <= year < opens + 5:
            for place, cluster, share in allocation()["airport"]:
                jobs[place, cluster] += self.settings.airport_jobs / 5 * share
        return jobs

    def _per_alt(self, key: str, amount: float) -> np.ndarray:
        """``amount`` spread over the urban parts of the places where lever ``key`` acts, float[alt]."""
        pl = places()
        out = np.zeros(pl.n_alt)
        for place, _, share in allocation()[key]:
            out[pl.alt(place, True)] += amount * share
        return out

    def new_dwellings(self, year: int) -> tuple[np.ndarray, np.ndarray]:
        """Dwellings the levers add in ``year``: (all, of which public rental), float[alt]."""
        public = self._per_alt("public_rental_units", self.value("public_rental_units", year))
        renewal = self._per_alt("west_link_dwellings", self.value("west_link_dwellings", year))
        return public + renewal, public

    def amenity_bonus(self, year: int) -> np.ndarray:
        """Rise of the amenity index from the amenity levers, float[alt]."""
        pl = places()
        bonus = np.zeros(pl.n_alt)
        ramp = self.ramp(year)
        for key in AMENITY_LEVERS:
            amount = self.settings[key] * ramp
            if key in allocation():
                bonus += self._per_alt(key, amount)
            else:  # acts on every Haimen urban part
                bonus += amount * (pl.alt_in_haimen & pl.alt_urban)
        return bonus

    def school_quality_bonus(self, year: int) -> np.ndarray:
        """Rise of the school-quality index in Haimen, float[alt]."""
        return self.settings.school_quality * self.ramp(year) * places().alt_in_haimen

    def youth_bonus(self, year: int) -> np.ndarray:
        """Amenity rise for college-educated people under 35 in Haimen, float[alt]."""
        return self.settings.youth_amenity * self.ramp(year) * places().alt_in_haimen

    def vocational_students(self, year: int) -> np.ndarray:
        """New vocational-college students from outside in ``year``, float[place]."""
        out = np.zeros(places().n)
        for place, _, share in allocation()["vocational_places"]:
            out[place] += self.value("vocational_places", year) * share
        return out

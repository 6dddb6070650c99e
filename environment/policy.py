"""What the levers do to the world, year by year.

Lever values act from the plan's adoption (2022); before that every lever is at
its baseline. What a lever adds to (its ``effect``), where it acts (places,
clusters: ``data/lever_allocation.csv``) and its terms (phase-in, duration) are
read from its declaration. Index-type levers (amenity, school quality) phase in
linearly from adoption and are fully in place in their ``full_year``.
"""

from __future__ import annotations

from collections import defaultdict
from functools import cache

import numpy as np

from environment.inputs import read_csv
from environment.places import clusters, places
from environment.settings import Settings, levers
from environment.targets import PLAN_ADOPTED


def levers_with_effect(effect: str) -> tuple[str, ...]:
    """Keys of the levers declared with ``effect``."""
    return tuple(k for k, lv in levers().items() if lv.effect == effect)


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

    def value(self, key: str, year: int):
        """A lever's value in ``year``: its baseline before the plan's adoption."""
        return self.settings[key] if year >= PLAN_ADOPTED else levers()[key].baseline

    def phased(self, key: str, year: int) -> float:
        """An index lever's value in ``year``: 0 before adoption, rising linearly to full in its ``full_year``."""
        span = levers()[key].full_year - PLAN_ADOPTED + 1
        return self.settings[key] * float(np.clip((year - PLAN_ADOPTED + 1) / span, 0.0, 1.0))

    def new_jobs(self, year: int) -> np.ndarray:
        """Jobs the levers add in ``year``, float[place, cluster]."""
        pl = places()
        jobs = np.zeros((pl.n, clusters().n))
        for key in levers_with_effect("jobs"):
            amount = self.value(key, year)
            for place, cluster, share in allocation()[key]:
                jobs[place, cluster] += amount * share
        return jobs

    def airport_jobs(self, year: int, opens: int | None) -> np.ndarray:
        """Airport-related jobs added in ``year``: equal parts over the lever's phase-in years after opening."""
        pl = places()
        jobs = np.zeros((pl.n, clusters().n))
        years = levers()["airport_year"].phase_in_years
        if opens is not None and opens <= year < opens + years:
            for place, cluster, share in allocation()["airport"]:
                jobs[place, cluster] += self.settings.airport_jobs / years * share
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
        for key in levers_with_effect("amenity"):
            amount = self.phased(key, year)
            if key in allocation():
                bonus += self._per_alt(key, amount)
            else:  # acts on every Haimen urban part
                bonus += amount * (pl.alt_in_haimen & pl.alt_urban)
        return bonus

    def school_quality_bonus(self, year: int) -> np.ndarray:
        """Rise of the school-quality index in Haimen, float[alt]."""
        return sum(self.phased(k, year) for k in levers_with_effect("school_quality")) * places().alt_in_haimen

    def youth_bonus(self, year: int) -> np.ndarray:
        """Amenity rise for young college-educated people in Haimen (under the lever's age limit), float[alt]."""
        return sum(self.phased(k, year) for k in levers_with_effect("youth_amenity")) * places().alt_in_haimen

    def vocational_students(self, year: int) -> np.ndarray:
        """New vocational-college students from outside in ``year``, float[place]."""
        out = np.zeros(places().n)
        for place, _, share in allocation()["vocational_places"]:
            out[place] += self.value("vocational_places", year) * share
        return out

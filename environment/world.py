"""The world the agents see: places, transport, housing, jobs, schools, ties, levers."""

from __future__ import annotations

import numpy as np

from environment.housing import Housing
from environment.inputs import place_value
from environment.jobs import JobMarket
from environment.places import places
from environment.policy import Policy
from environment.schools import Schools
from environment.settings import Settings
from environment.ties import Ties
from environment.transport import Transport


class World:
    """State of the environment for one run.

    Built from the 2020 occupancy of the synthetic population: ``occupied``
    dwellings per alternative, ``employed`` workers per (place, cluster),
    school ``children`` per place and migrant ``ties`` between places.
    """

    def __init__(
        self, settings: Settings, *, occupied: np.ndarray, employed: np.ndarray, children: np.ndarray, ties: np.ndarray
    ) -> None:
        pl = places()
        self.settings = settings
        self.policy = Policy(settings)
        self.transport = Transport(settings, self.policy)
        self.housing = Housing(settings, occupied)
        self.jobs = JobMarket(settings, employed)
        self.schools = Schools(settings, children)
        self.ties = Ties(ties)
        self.newcomers = np.zeros(pl.n_alt)  # households that arrived from outside Haimen last year, per alternative
        self.base_amenity = np.array(
            [
                place_value("amenity_urban" if u else "amenity_rural", pl.keys[p], pl.in_haimen[p])
                for p, u in zip(pl.alt_place, pl.alt_urban, strict=True)
            ]
        )
        self.external_service_access = np.array(
            [
                1.0 if pl.in_haimen[p] else place_value("nonlocal_service_access", pl.keys[p], False)
                for p in pl.alt_place
            ]
        )

    def amenity(self, year: int) -> np.ndarray:
        """Amenity index per alternative, with the levers and the projects open (the airport), float[alt]."""
        policy = self.policy.year(year)
        return self.base_amenity + policy.amenity + policy.project_amenity

    def nonlocal_service_access(self, year: int) -> np.ndarray:
        """Public-service access of residents without the place's hukou, float[alt]."""
        haimen = places().alt_in_haimen
        return np.where(haimen, self.policy.year(year).service_access, self.external_service_access)

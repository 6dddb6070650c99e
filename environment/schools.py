"""Compulsory-school seats (ages 6–14) per Haimen unit, quality and access.

Seats grow only by what the education levers pay for (the year's policy), placed
where the children are: when children outnumber seats, children arriving without
a Haimen hukou find no spare seat (the capacity in ``abm.model``), and only a
lever-set share of them is admitted to public schools. Quality is an index (0–1) per
alternative.
"""

from __future__ import annotations

import numpy as np

from environment.inputs import constant, place_value
from environment.places import places
from environment.policy import PolicyYear
from environment.settings import Settings

SCHOOL_AGES: tuple[int, int] = tuple(constant("school_ages"))


class Schools:
    """Seats float[place] (Haimen) and the quality and access indices float[alt]."""

    def __init__(self, settings: Settings, children: np.ndarray) -> None:
        pl = places()
        self.settings = settings
        self.seats = np.where(pl.in_haimen, children * (1.0 + settings.seat_slack), np.inf)
        quality, access = np.empty(pl.n_alt), np.ones(pl.n_alt)
        for a, (p, urban) in enumerate(zip(pl.alt_place, pl.alt_urban, strict=True)):
            key, haimen = pl.keys[p], pl.in_haimen[p]
            quality[a] = place_value("school_quality" if urban else "school_quality_rural", key, haimen)
            if not haimen:
                access[a] = place_value("nonlocal_school_access", key, haimen)
        self.base_quality, self.external_access = quality, access

    def quality(self, policy: PolicyYear) -> np.ndarray:
        """School-quality index per alternative in the policy's year."""
        return self.base_quality + policy.school_quality

    def nonlocal_access(self, policy: PolicyYear) -> np.ndarray:
        """Share of children without the place's hukou admitted to public schools, float[alt]."""
        haimen = places().alt_in_haimen
        return np.where(haimen, policy.school_access, self.external_access)

    def expand(self, policy: PolicyYear, children: np.ndarray) -> None:
        """Add the levers' seats, shared over Haimen's units in proportion to their children (nothing else is built)."""
        haimen = places().in_haimen
        share = children[haimen] / max(children[haimen].sum(), 1e-9)
        self.seats[haimen] += policy.school_seats * share

"""Housing per residence alternative: dwellings, prices and rents.

Haimen's alternatives have a finite stock of dwellings (2020 occupancy plus the
assumed vacancy); other places are large markets without a stock limit. Prices
respond each year to occupancy against its normal level, and builders add more
homes where occupancy is high; rents are a fixed share of prices (the user-cost
rate). Over-demand within a year is resolved by
the choice model's shadow prices and a lottery (see ``agents/choice.py``).
"""

from __future__ import annotations

import numpy as np

from environment.inputs import constant, place_value
from environment.places import places
from environment.policy import PolicyYear
from environment.settings import Settings


class Housing:
    """Dwelling stock and prices per alternative (float[alt] arrays)."""

    def __init__(self, settings: Settings, occupied: np.ndarray) -> None:
        pl = places()
        self.settings = settings
        self.price = np.empty(pl.n_alt)
        for a, (p, urban) in enumerate(zip(pl.alt_place, pl.alt_urban, strict=True)):
            key, haimen = pl.keys[p], pl.in_haimen[p]
            variable = "price_urban" if urban else "price_rural"
            factor = settings.haimen_price_factor if haimen else 1.0
            self.price[a] = place_value(variable, key, haimen) * factor
        self.stock = np.where(pl.alt_in_haimen, occupied / (1.0 - settings.dwelling_vacancy), np.inf)
        self.public_new = np.zeros(pl.n_alt)  # public rental dwellings added in the latest year

    def free(self, occupied: np.ndarray) -> np.ndarray:
        """Free dwellings per alternative given those ``occupied`` (float[alt]; inf outside Haimen), float[alt]."""
        return self.stock - occupied

    def floor_area(self, members: np.ndarray) -> np.ndarray:
        """Floor area a household of ``members`` people occupies (m²)."""
        return np.minimum(members * self.settings.floor_area_per_person, constant("max_floor_area"))

    def annual_cost(self, floor_area: np.ndarray) -> np.ndarray:
        """Yearly housing cost (rent or owner's user cost), yuan: float[household, alt]."""
        return floor_area[:, None] * (self.price * self.settings.user_cost_rate)[None, :]

    def rent(self) -> np.ndarray:
        """Monthly market rent per m², yuan: float[alt]."""
        return self.price * self.settings.user_cost_rate / 12.0

    def newcomer_discount(self, newcomers: np.ndarray) -> np.ndarray:
        """Expected rent discount of a newcomer household, float[alt].

        New public rental dwellings go to newcomers: the chance of getting one
        is the new units over last year's newcomer households (at most 1).
        """
        chance = np.minimum(self.public_new / np.maximum(newcomers, 1.0), 1.0)
        return self.settings.public_rent_discount * chance

    def build(self, policy: PolicyYear, occupied: np.ndarray) -> None:
        """Add the market's new dwellings (more where occupancy is high) and the levers' for the policy's year."""
        s = self.settings
        added, public = policy.new_dwellings, policy.public_rental
        haimen = places().alt_in_haimen
        tight = np.maximum(occupied[haimen] / self.stock[haimen] - s.target_occupancy, 0.0)
        self.stock[haimen] += self.stock[haimen] * (s.housing_supply_rate + s.supply_response * tight) + added[haimen]
        self.public_new = public

    def update_prices(self, occupied: np.ndarray) -> None:
        """Move prices with occupancy against its normal level (Haimen) and the common trend."""
        s = self.settings
        change = np.full(self.price.shape, s.price_trend)
        haimen = places().alt_in_haimen
        occupancy = occupied[haimen] / self.stock[haimen]
        change[haimen] += s.price_response * (occupancy - s.target_occupancy)
        self.price *= np.exp(change)

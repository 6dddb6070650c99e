"""Constants the agents' modules share: age limits (years) and the city code of a Haimen hukou."""

from __future__ import annotations

from environment.inputs import constant
from environment.places import places

MAX_AGE: int = constant("max_age")
ADULT_AGE: int = constant("adult_age")
HAIMEN_CITY = int(places().city[places().haimen[0]])

# Age ranges (inclusive) of the census roles in a household template: the 60+ band and children under ADULT_AGE.
ELDERLY_AGES = (60, MAX_AGE)
CHILD_AGES = (0, ADULT_AGE - 1)

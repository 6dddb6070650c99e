"""The layout of household and person keys (uint64): what a row was drawn as, and where and when.

A key names a row for life; its random streams are keyed to it. The top bits hold the kind of draw (the
2020 residents, a year's pool, students, recruits, returners), then, for households drawn in groups, the
group (origin, place or band), the year and the index within the group. Movers' persons derive their keys
from their household's with a tag per kind of draw (:func:`agents.streams.derive_keys`).
"""

from __future__ import annotations

import numpy as np

KIND_SHIFT, PLACE_SHIFT, YEAR_SHIFT = 56, 48, 36
INITIAL_HOUSEHOLD, INITIAL_PERSON, POOL_HOUSEHOLD, STUDENT_HOUSEHOLD = 1, 2, 3, 4
RECRUIT_HOUSEHOLD, RETURN_HOUSEHOLD = 5, 6
POOL_KEY_TAG, STUDENT_KEY_TAG = 2, 20  # derive movers' person keys (values kept from earlier versions)
RECRUIT_KEY_TAG, RETURN_KEY_TAG = 30, 31


def is_returner(key: np.ndarray) -> np.ndarray:
    """Whether households with ``key`` were drawn as returning emigrants, bool[n]."""
    return (np.asarray(key, dtype=np.uint64) >> np.uint64(KIND_SHIFT)) == RETURN_HOUSEHOLD

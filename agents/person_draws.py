"""New persons' attributes drawn from keyed streams: ages within a range, degree, trade and participation.

Used for the 2020 residents (:mod:`agents.population_2020`), each year's movers (:mod:`agents.pools`),
18-year-olds choosing a trade and newborns.
"""

from __future__ import annotations

import numpy as np

from agents.constants import ADULT_AGE
from agents.population import NO_JOB, Persons
from agents.streams import Channel, categorical, categorical_each, uniform
from environment.settings import Settings


def sample_ages(u: np.ndarray, lo: np.ndarray, hi: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Ages drawn from the cohort sizes restricted to [lo, hi] for each person (each row's draw is its own)."""
    if len(u) == 0:
        return np.zeros(0, dtype=np.int16)
    code = lo.astype(np.int64)  # the age range [lo, hi], as one number
    code *= len(size)
    code += hi
    present = np.bincount(code, minlength=1) > 0
    ranges = np.flatnonzero(present)
    first, last = ranges // len(size), ranges % len(size)
    group = (np.cumsum(present) - 1)[code]
    index = categorical_each(u, [size[a : b + 1] for a, b in zip(first, last, strict=True)], group)
    index += first[group]
    return index.astype(np.int16)


def new_persons(
    settings: Settings,
    seed: int,
    key: np.ndarray,
    household: np.ndarray,
    age: np.ndarray,
    female: np.ndarray,
    college_share: np.ndarray,
    mix: np.ndarray,
    mix_row: np.ndarray,
) -> Persons:
    """Person rows with education, participation and trade (from ``mix[mix_row]``) drawn from keyed streams."""
    n, adult = len(key), np.flatnonzero(age >= ADULT_AGE)  # only adults draw a degree and a trade
    adult_key = key[adult]
    college = np.zeros(n, dtype=bool)
    college[adult] = uniform(seed, Channel.COLLEGE, 0, adult_key) < college_share[adult]
    cluster = np.full(n, -1, dtype=np.int8)
    cluster[adult] = draw_clusters(seed, 0, adult_key, mix, mix_row[adult])
    return Persons(
        key=key,
        household=household.astype(np.int64),
        age=age.astype(np.int16),
        female=female,
        college=college,
        participates=draw_participation(settings, seed, key),
        cluster=cluster,
        job=np.full(n, NO_JOB, dtype=np.int16),
        student_until=np.zeros(n, dtype=np.int16),
    )


def draw_clusters(seed: int, year: int, key: np.ndarray, mix: np.ndarray, mix_row: np.ndarray) -> np.ndarray:
    """The industrial cluster of each person's trade, drawn from ``mix[mix_row]`` (at 18, or on arrival), int[n]."""
    return categorical(uniform(seed, Channel.CLUSTER, year, key), mix, mix_row)


def draw_participation(settings: Settings, seed: int, key: np.ndarray) -> np.ndarray:
    """Whether each person takes part in the labour market when of working age (drawn once, at birth), bool[n]."""
    return uniform(seed, Channel.PARTICIPATION, 0, key) < settings.labour_participation

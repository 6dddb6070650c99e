"""Haimen's people elsewhere: young adults leaving home and for university, and the emigrants who may return.

Each year some 18-year-olds leave for university (``university_share``) to an
outside place; they graduate after ``university_years`` and then, like every
Haimen emigrant, live in the stock of emigrants. A share of the stock
(``return_rate``) and of the new graduates (``graduate_return_rate``) weigh
returning: they join the year's pools as households with a Haimen hukou and
choose like any potential mover. The stock is kept as people (adults) by the
place they live in and an age band, aged a band-width fraction a year; those
who return leave it, Haimen-registered adults who leave Haimen join it.

Young adults living with their parents also leave home at ``leave_home_rate``
a year (besides household splits): each becomes a one-person household that
weighs a move at once, so they may leave Haimen or move within it.
"""

from __future__ import annotations

import numpy as np

from agents.choice import fits_in_order
from agents.constants import ADULT_AGE, HAIMEN_CITY
from agents.pools import origin_weights
from agents.population import COLLECTIVE, Population
from agents.streams import Channel, categorical, derive_keys, uniform
from environment.inputs import constant
from environment.places import places
from environment.settings import Settings

BANDS = np.asarray(constant("emigrant_age_bands"))  # lower bounds of the age bands; the last value ends the last
UNIVERSITY_YEARS: int = constant("university_years")


def band_of(age: np.ndarray) -> np.ndarray:
    """Age band of each age (ages below the first band count in it), int[n]."""
    return np.clip(np.searchsorted(BANDS, age, side="right") - 1, 0, len(BANDS) - 2)


class Emigrants:
    """Haimen's emigrants (adults) by place and age band, float[place, band]; students away by graduation year."""

    def __init__(self, people: np.ndarray) -> None:
        self.people = people
        self.students: dict[int, np.ndarray] = {}

    @classmethod
    def initial(cls, total: float, settings: Settings, year: int) -> Emigrants:
        """The stock at the start (a census year): ``total`` people over places like that year's pools, over bands by
        ``emigrant_age_shares``."""
        where = origin_weights(settings, year)
        shares = np.asarray(constant("emigrant_age_shares"), dtype=float)
        return cls(total * np.outer(where / where.sum(), shares / shares.sum()))

    def age(self) -> None:
        """A year older: a band-width fraction of each band moves up; the last band loses it (deaths)."""
        width = np.diff(BANDS).astype(float)
        moving = self.people / width[None, :]
        self.people = self.people - moving
        self.people[:, 1:] += moving[:, :-1]

    def add(self, place: np.ndarray, age: np.ndarray, people: np.ndarray) -> None:
        """Adults who left Haimen (or graduated elsewhere) join the stock at ``place``."""
        adult = age >= ADULT_AGE
        np.add.at(self.people, (place[adult], band_of(age[adult])), people[adult])

    def remove(self, place: np.ndarray, age: np.ndarray, people: np.ndarray) -> None:
        """Returners who arrived in Haimen leave the stock (never below zero)."""
        gone = np.zeros_like(self.people)
        np.add.at(gone, (place, band_of(age)), people)
        self.people = np.maximum(self.people - gone, 0.0)

    def weighing_return(self, settings: Settings, year: int) -> tuple[np.ndarray, np.ndarray]:
        """People who weigh returning this year: (stock, float[place, band]; new graduates, float[place]).

        New graduates (those whose course ends this year) join the stock here.
        """
        graduates = self.students.pop(year, np.zeros(places().n))
        stock = settings.return_rate * self.people
        self.people[:, 0] += graduates
        return stock, settings.graduate_return_rate * graduates


def leave_for_university(pop: Population, emigrants: Emigrants, settings: Settings, seed: int, year: int) -> np.ndarray:
    """18-year-olds who leave for university this year, to an outside place: removed, and counted in the stock.

    Returns the departures as float[alt, alt] (people from their home alternative to the university's place).
    """
    p, h, pl = pop.persons, pop.households, places()
    eighteen = np.flatnonzero(p.age == ADULT_AGE)
    eighteen = eighteen[p.student_until[eighteen] == 0]  # (read for the 18-year-olds only)
    draws = uniform(seed, Channel.UNIVERSITY, year, p.key[eighteen], 2)
    leaving = eighteen[draws[:, 0] < settings.university_share]
    where = categorical(draws[draws[:, 0] < settings.university_share, 1], origin_weights(settings, year))
    home = p.household[leaving]
    weight = h.weight[home]
    flows = np.zeros((pl.n_alt, pl.n_alt))
    np.add.at(flows, (pl.alt(h.place[home], h.urban[home]), pl.alt(where, True)), weight)
    graduating = emigrants.students.setdefault(year + UNIVERSITY_YEARS, np.zeros(pl.n))
    np.add.at(graduating, where, weight)
    gone = np.zeros(len(p), dtype=bool)
    gone[leaving] = True
    pop.remove_persons(gone)
    return flows


def leave_home(pop: Population, settings: Settings, seed: int, year: int, room: np.ndarray) -> np.ndarray:
    """Young adults living with someone much older who leave home: one-person renting households; their rows.

    ``room[alt]`` is free dwellings; leaving stops where it runs out (keyed order).
    """
    h, p, pl = pop.households, pop.persons, places()
    oldest = pop.oldest()
    candidate = np.flatnonzero((p.age >= ADULT_AGE) & (p.age < constant("young_single_age")) & (p.student_until < year))
    home = p.household[candidate]  # the rest is read for the young adults only
    at_home = (oldest[home] - p.age[candidate] >= constant("parent_gap")) & (h.tenure[home] != COLLECTIVE)
    candidate = candidate[np.flatnonzero(at_home)]  # (by index: faster than a mask of random bools)
    draw = uniform(seed, Channel.LEAVE_HOME, year, p.key[candidate])  # drawn for the candidates only
    leaves = draw < settings.leave_home_rate
    leaving, draw = candidate[leaves], draw[leaves]
    if len(leaving) == 0:
        return np.zeros(0, dtype=np.int64)
    parent = p.household[leaving]
    leaving = leaving[fits_in_order(pl.alt(h.place[parent], h.urban[parent]), h.weight[parent], draw, room)]
    return pop.split_off(leaving, derive_keys(p.key[leaving], tag=int(Channel.LEAVE_HOME), year=year))


def haimen_registered(pop: Population, rows: np.ndarray) -> np.ndarray:
    """Whether the households ``rows`` hold a Haimen hukou, bool[len(rows)]."""
    return pop.households.hukou_city[rows] == HAIMEN_CITY

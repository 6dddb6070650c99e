"""Each year's potential movers: the outside pools, and the students, recruits and returners who arrive.

Each year every outside origin sends a pool of potential movers, sized from its
population and its assumed mobility rate, who weigh Haimen's places among their
alternatives; their households follow the pool kinds (``data/pool_households.csv``)
and their adults' ages a Rogers–Castro schedule. All draws come from keyed streams.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cache, lru_cache

import numpy as np

from agents.constants import ADULT_AGE, HAIMEN_CITY, MAX_AGE
from agents.keys import (
    KIND_SHIFT,
    PLACE_SHIFT,
    POOL_HOUSEHOLD,
    POOL_KEY_TAG,
    RECRUIT_HOUSEHOLD,
    RECRUIT_KEY_TAG,
    RETURN_HOUSEHOLD,
    RETURN_KEY_TAG,
    STUDENT_HOUSEHOLD,
    STUDENT_KEY_TAG,
    YEAR_SHIFT,
)
from agents.person_draws import new_persons, sample_ages
from agents.population import COLLECTIVE, NO_JOB, OWNER, RENTER, Households, Population
from agents.streams import Channel, categorical, derive_keys, uniform, uniform_slots
from environment.census import outside_population
from environment.inputs import CENSUS_YEAR, constant, read_csv
from environment.places import cluster_mix, place_values, places
from environment.settings import Settings

MOVER_CHILD_AGES: tuple[int, int] = tuple(constant("mover_child_ages"))


@cache
def pool_kinds() -> tuple[dict, ...]:
    return tuple(
        {
            "kind": r["kind"],
            "adults": int(r["adults"]),
            "children": int(r["children"]),
            "lo": int(r["adult_age_min"]),
            "hi": int(r["adult_age_max"]),
            "share": float(r["share"]),
        }
        for r in read_csv("pool_households.csv")
    )


@cache
def _kind_column(name: str) -> np.ndarray:
    """One column of the pool kinds, int[kind]."""
    return np.array([k[name] for k in pool_kinds()])


@cache
def _single_kind() -> int:
    """The pool kind of one-person households (students, recruits, returners)."""
    return [k["kind"] for k in pool_kinds()].index("single")


def mover_age_schedule(settings: Settings) -> np.ndarray:
    """Relative migration rate by single year of age (Rogers–Castro labour-force curve plus a constant), float[age].

    m(x) = exp(−α2·(x − μ2) − exp(−λ2·(x − μ2))) / max + c, with μ2 = ``mover_age_peak``,
    α2 = ``mover_age_fall``, λ2 = ``mover_age_rise`` and c = ``mover_age_floor`` (constant).
    Movers' adult ages are drawn from it within their household kind's age range.
    """
    return _mover_age_schedule(settings).copy()


def _mover_age_schedule(settings: Settings) -> np.ndarray:
    """:func:`mover_age_schedule`, computed once per set of its parameters' values (read-only)."""
    return _schedule_of(float(settings.mover_age_peak), float(settings.mover_age_fall), float(settings.mover_age_rise))


@lru_cache(maxsize=16)
def _schedule_of(peak: float, fall: float, rise: float) -> np.ndarray:
    x = np.arange(MAX_AGE + 1, dtype=float) - peak
    labour = np.exp(-fall * x - np.exp(-rise * x))
    schedule = labour / labour.max() + constant("mover_age_floor")
    schedule.flags.writeable = False
    return schedule


def pool_households_per_year(settings: Settings, year: int) -> np.ndarray:
    """Potential-mover households per origin and year, float[place] (0 for Haimen).

    Sized from each origin's population that year (the censuses', geometric
    between them and the 2020 census's after it: not the run's own flows, so
    every scenario faces the same pools) and its assumed mobility rate; after
    2020 scaled by ``outside_pull_after_2020`` (1: the 2010s' pull, which the
    calibration is fitted with).
    """
    pull = 1.0 if year <= CENSUS_YEAR else settings.outside_pull_after_2020
    return pull * origin_weights(settings, year)


def origin_weights(settings: Settings, year: int) -> np.ndarray:
    """Potential-mover households per origin at the 2010s' pull, float[place]: where outsiders come from.

    Shanghai's pool follows ``shanghai_outflow_trend`` after 2020 (a post-2020 trend: none before).
    """
    people, shanghai, mean_size = _pool_people(year)
    trend = np.where(shanghai, (1 + settings.shanghai_outflow_trend) ** max(year - CENSUS_YEAR, 0), 1.0)
    return people * trend / mean_size


@lru_cache(maxsize=64)
def _pool_people(year: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Potential movers per origin in ``year`` (people, float[place]), whether each place is Shanghai, and the pool
    kinds' mean household size (read-only)."""
    kinds = pool_kinds()
    mean_size = sum(k["share"] * (k["adults"] + k["children"]) for k in kinds) / sum(k["share"] for k in kinds)
    people = outside_population(year) * place_values("pool_rate", outside_only=True)
    shanghai = np.array(places().keys) == "shanghai"
    people.flags.writeable = shanghai.flags.writeable = False
    return people, shanghai, mean_size


def _households_from_kinds(
    settings: Settings,
    seed: int,
    year: int,
    hh_key: np.ndarray,
    tagged_key: np.ndarray,
    origin: np.ndarray,
    weight: np.ndarray,
    kind: np.ndarray | int,
    arrived: int,
    adult_ages: tuple[np.ndarray, np.ndarray] | None = None,
) -> Population:
    """Movers' households and persons at their origin, drawn from the pool kinds (an int: every household's).

    ``tagged_key`` are the households' keys derived with their kind of draw's tag (``derive_keys``): their persons'
    keys derive from them. Adults' ages follow the movers' age schedule within the kind's range, or within
    ``adult_ages`` (lowest and highest age per household) if given.
    """
    pl = places()
    kinds = np.full(len(hh_key), kind) if isinstance(kind, int) else kind
    household, slot, is_adult, couple = _person_rows(kind, kinds)
    parent_key = tagged_key[household]
    parent_key += slot.view(np.uint64)  # (slots are not negative: the same numbers, not copied)
    person_key = derive_keys(parent_key, tag=0)
    drawn = np.flatnonzero(~couple)  # couples are a man and a woman; others draw their sex
    u_age, u_sex = _mover_person_draws(seed, year, person_key, drawn)
    if adult_ages is None:
        adult_ages = _kind_column("lo")[kinds], _kind_column("hi")[kinds]
    adult, child = np.flatnonzero(is_adult), np.flatnonzero(~is_adult)
    age = np.empty(len(household), dtype=np.int16)
    lo, hi = MOVER_CHILD_AGES  # children's ages: uniform in their range
    if len(child):
        age[child] = (lo + np.floor(u_age[child] * (hi - lo + 1))).astype(np.int16)
    of_adult = household[adult]
    lo, hi = adult_ages[0][of_adult], adult_ages[1][of_adult]  # adults' ranges
    age[adult] = sample_ages(u_age[adult], lo, hi, _mover_age_schedule(settings))
    female = couple & (slot == 1)
    female[drawn] = u_sex < 0.5
    person_origin = origin[household]
    college_share = place_values("pool_college_share", outside_only=True)[person_origin] * is_adult
    persons = new_persons(
        settings, seed, person_key, household, age, female, college_share, mix=cluster_mix(), mix_row=person_origin
    )
    persons.job = np.where(is_adult & persons.participates, person_origin, NO_JOB).astype(np.int16)
    hu = uniform(seed, Channel.MOVER_HUKOU_TENURE, year, hh_key, 2)
    share = {v: place_values(v, outside_only=True)[origin] for v in ("pool_origin_hukou_share", "pool_owner_share")}
    elsewhere_city = pl.city[pl.index("elsewhere")]
    origin_hukou = hu[:, 0] < share["pool_origin_hukou_share"]  # Haimen's own emigrants: draw_returners
    hukou_city = np.where(origin_hukou, pl.city[origin], elsewhere_city)
    households = Households(
        key=hh_key,
        place=origin.astype(np.int16),
        urban=np.ones(len(hh_key), bool),
        tenure=np.where(hu[:, 1] < share["pool_owner_share"], OWNER, RENTER).astype(np.int8),
        hukou_city=hukou_city.astype(np.int8),
        weight=weight,
        origin=origin.astype(np.int16),
        arrived=np.full(len(hh_key), arrived, dtype=np.int16),
    )
    return Population(households, persons)


def _person_rows(kind: np.ndarray | int, kinds: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The persons of households of ``kinds`` (``kind``: all of one kind, an int), adults first: each one's
    household and slot in it, and whether an adult and whether one of a couple."""
    if isinstance(kind, int) and (_kind_column("adults")[kind], _kind_column("children")[kind]) == (1, 0):
        n = len(kinds)  # one adult each
        return np.arange(n), np.zeros(n, dtype=np.int64), np.ones(n, dtype=bool), np.zeros(n, dtype=bool)
    adults, children = _kind_column("adults")[kinds], _kind_column("children")[kinds]
    size = adults + children
    household = _owners(size)
    slot = np.arange(len(household))
    slot -= (np.cumsum(size) - size)[household]
    is_adult = slot < adults[household]
    return household, slot, is_adult, is_adult & (adults[household] == 2)


def _mover_person_draws(seed: int, year: int, key: np.ndarray, drawn: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Potential movers' draws for their age (slot 0), float[n], and for the sex of the persons ``drawn`` (slot 1:
    all but couples), float[len(drawn)]: each slot hashed only for the persons who need it."""

    def draws(keys: np.ndarray, slots: tuple[int, ...]) -> np.ndarray:
        return uniform_slots(seed, Channel.MOVER_PERSON, year, keys, slots)

    if len(drawn) == len(key):  # everyone draws both
        u = draws(key, (0, 1))
        return u[:, 0], u[:, 1]
    return draws(key, (0,))[:, 0], draws(key[drawn], (1,))[:, 0]


def _owners(counts: np.ndarray) -> np.ndarray:
    """``np.repeat(np.arange(len(counts)), counts)`` (rows laid out owner after owner), by counting the owners
    that end at or before each row (faster), int[counts.sum()]."""
    ends = np.cumsum(counts)
    n_rows = int(ends[-1]) if len(ends) else 0
    owner = np.bincount(ends[:-1], minlength=n_rows + 1)[:n_rows]
    return np.cumsum(owner, out=owner)


def _group_keys(kind: int, group: np.ndarray, year: int, index: np.ndarray) -> np.ndarray:
    return (
        (np.uint64(kind) << np.uint64(KIND_SHIFT))
        | (group.astype(np.uint64) << np.uint64(PLACE_SHIFT))
        | (np.uint64(year - 2000) << np.uint64(YEAR_SHIFT))
        | index.astype(np.uint64)
    )


def _rows_per_group(people: np.ndarray, scale: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows per group (at least one where there are people) and each row's group, index and weight."""
    counts = np.where(people > 0, np.maximum(1, np.round(people / scale)), 0).astype(np.int64)
    group = np.repeat(np.arange(len(people)), counts)
    index = np.arange(len(group)) - np.repeat(np.cumsum(counts) - counts, counts)
    weight = people[group] / counts[group]
    return group, index, weight


@dataclass
class _Movers:
    """Potential movers' households before their persons are drawn (:func:`_drawn`), one entry each: keys and those
    keys derived with their draw's tag (their persons' keys derive from them), origins, weights, pool kinds, adults'
    lowest and highest ages, whether they hold a Haimen hukou (returners) and whether they are new graduates."""

    key: np.ndarray
    tagged_key: np.ndarray
    origin: np.ndarray
    weight: np.ndarray
    kind: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    haimen_hukou: np.ndarray
    graduate: np.ndarray


def _pool_movers(settings: Settings, seed: int, year: int, scale: int) -> _Movers:
    """This year's potential movers in every outside origin (:func:`draw_pool`)."""
    origin, index, weight = _rows_per_group(pool_households_per_year(settings, year), scale)
    key = _group_keys(POOL_HOUSEHOLD, origin, year, index)
    shares = np.array([k["share"] for k in pool_kinds()])
    kind = categorical(uniform(seed, Channel.POOL_KIND, year, key), shares)
    lo, hi = _kind_column("lo")[kind], _kind_column("hi")[kind]
    no = np.zeros(len(key), dtype=bool)
    return _Movers(key, derive_keys(key, tag=POOL_KEY_TAG), origin, weight, kind, lo, hi, no, no)


def _returning_movers(year: int, scale: int, stock: np.ndarray, graduates: np.ndarray, bands: np.ndarray) -> _Movers:
    """Haimen's emigrants weighing a return this year (:func:`draw_returners`)."""
    n_bands = stock.shape[1]
    people = np.concatenate([stock, graduates[:, None]], axis=1)  # the last column: graduates
    group, index, weight = _rows_per_group(people.ravel(), scale)
    key = _group_keys(RETURN_HOUSEHOLD, group, year, index)
    place, band = group // (n_bands + 1), group % (n_bands + 1)
    graduate = band == n_bands
    course_end = ADULT_AGE + constant("university_years")
    lo = np.where(graduate, course_end, bands[np.minimum(band, n_bands - 1)])
    hi = np.where(graduate, course_end, np.minimum(bands[np.minimum(band, n_bands - 1) + 1] - 1, MAX_AGE))
    kind = np.full(len(key), _single_kind())
    yes = np.ones(len(key), dtype=bool)
    return _Movers(key, derive_keys(key, tag=RETURN_KEY_TAG), place, weight, kind, lo, hi, yes, graduate)


def _drawn(settings: Settings, seed: int, year: int, movers: list[_Movers]) -> Population:
    """The households and persons of ``movers``, one part after the other, drawn at once (the same rows as each part
    drawn alone, then appended: every draw is keyed, and each part's fields are its own)."""
    joined = (
        movers[0]
        if len(movers) == 1
        else _Movers(*(np.concatenate([getattr(m, f.name) for m in movers]) for f in fields(_Movers)))
    )
    pop = _households_from_kinds(
        settings,
        seed,
        year,
        joined.key,
        joined.tagged_key,
        joined.origin,
        joined.weight,
        joined.kind,
        arrived=year,
        adult_ages=(joined.lo, joined.hi),
    )
    pop.households.hukou_city[joined.haimen_hukou] = HAIMEN_CITY
    pop.persons.college |= joined.graduate[pop.persons.household]
    return pop


def draw_pool(settings: Settings, seed: int, year: int, scale: int) -> Population:
    """This year's potential movers in every outside origin, as households at their origin."""
    return _drawn(settings, seed, year, [_pool_movers(settings, seed, year, scale)])


def draw_movers(
    settings: Settings, seed: int, year: int, scale: int, stock: np.ndarray, graduates: np.ndarray, bands: np.ndarray
) -> Population:
    """This year's potential movers: the outside pools (:func:`draw_pool`), then Haimen's emigrants weighing a return
    (:func:`draw_returners`), drawn at once (the same rows as the returners appended to the pool)."""
    pool = _pool_movers(settings, seed, year, scale)
    return _drawn(settings, seed, year, [pool, _returning_movers(year, scale, stock, graduates, bands)])


def draw_students(
    settings: Settings, seed: int, year: int, scale: int, students: np.ndarray, course_years: int
) -> Population:
    """New vocational students from outside, as one-person collective households at their college, studying for
    ``course_years``."""
    college_place, index, weight = _rows_per_group(students, scale)
    key = _group_keys(STUDENT_HOUSEHOLD, college_place, year, index)
    origin = categorical(uniform(seed, Channel.STUDENT_ORIGIN, year, key), origin_weights(settings, year))
    single = _single_kind()
    pop = _households_from_kinds(
        settings, seed, year, key, derive_keys(key, tag=STUDENT_KEY_TAG), origin, weight, single, arrived=year
    )
    pop.households.place = college_place.astype(np.int16)
    pop.households.tenure[:] = COLLECTIVE
    pop.persons.age[:] = ADULT_AGE
    pop.persons.job[:] = NO_JOB
    pop.persons.college[:] = True  # vocational colleges award 大专 diplomas
    pop.persons.student_until[:] = year + course_years
    return pop


def draw_recruits(settings: Settings, seed: int, year: int, scale: int, recruits: np.ndarray) -> Population:
    """Workers recruited from outside to Haimen's vacancies, arriving with the job.

    ``recruits`` is float[place, cluster] (people). Each is a one-person household
    from an origin drawn like the pools', living at the job's place: in an
    employer's dormitory (share ``recruit_dorm_share``) or renting.
    """
    n_clusters = recruits.shape[1]
    group, index, weight = _rows_per_group(recruits.ravel(), scale)
    key = _group_keys(RECRUIT_HOUSEHOLD, group, year, index)
    origin = categorical(uniform(seed, Channel.RECRUIT_ORIGIN, year, key), origin_weights(settings, year))
    single = _single_kind()
    pop = _households_from_kinds(
        settings, seed, year, key, derive_keys(key, tag=RECRUIT_KEY_TAG), origin, weight, single, arrived=year
    )
    place, cluster = group // n_clusters, group % n_clusters
    dorm = uniform(seed, Channel.RECRUIT_DORM, year, key) < settings.recruit_dorm_share
    pop.households.place = place.astype(np.int16)
    pop.households.tenure = np.where(dorm, COLLECTIVE, RENTER).astype(np.int8)
    pop.persons.participates[:] = True
    pop.persons.cluster = cluster[pop.persons.household].astype(np.int8)
    pop.persons.job = place[pop.persons.household].astype(np.int16)
    return pop


def draw_returners(
    settings: Settings, seed: int, year: int, scale: int, stock: np.ndarray, graduates: np.ndarray, bands: np.ndarray
) -> Population:
    """Haimen's emigrants weighing a return this year, as one-person households with a Haimen hukou at their place.

    ``stock`` is float[place, band] (people; ages within ``bands``, lower bounds
    with the end last), ``graduates`` float[place]: new graduates, aged 18 plus
    their course, all college-educated.
    """
    return _drawn(settings, seed, year, [_returning_movers(year, scale, stock, graduates, bands)])

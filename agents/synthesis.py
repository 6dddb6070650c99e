"""Synthetic populations: Haimen's 2020 residents, and each year's potential movers.

The 2020 population is drawn from household templates (``data/household_templates.csv``),
stratified over Haimen's urban and rural parts, and then *raked*: household
weights are calibrated (w = d·exp(Xλ)) so that the weighted totals equal the
census exactly at any scale — persons by unit and part, the eighteen five-year
age bands of ``data/age_structure_2020.csv`` (Jiangsu's profile within Haimen's
census groups 0–14 / 15–59 / 60–64 / 65+, which therefore hold exactly), men
per band (summing to the census men), collective-household persons and family
households.

Each year every outside origin also sends a pool of potential movers, sized
from its population and its assumed mobility rate, who weigh Haimen's places
among their alternatives. All draws come from keyed streams.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache

import numpy as np
from scipy import sparse

from agents.population import COLLECTIVE, NO_JOB, OWNER, RENTER, Households, Persons, Population
from agents.rows import distinct_sparse_rows
from agents.streams import Channel, categorical, categorical_each, derive_keys, uniform, uniform_slots
from environment.demography_inputs import (
    BAND_STARTS,
    BROAD_GROUPS,
    age_structure_2020,
    band_of_age,
    haimen_broad_groups,
)
from environment.inputs import CENSUS_YEAR, constant, fact, place_value, read_csv
from environment.life_table import standard_rates, stationary_persons
from environment.places import cluster_mix, clusters, place_values, places
from environment.settings import Settings, levers

MAX_AGE: int = constant("max_age")
ADULT_AGE: int = constant("adult_age")
HAIMEN_CITY = int(places().city[places().haimen[0]])
_KIND_SHIFT, _PLACE_SHIFT, _YEAR_SHIFT = 56, 48, 36
INITIAL_HOUSEHOLD, INITIAL_PERSON, POOL_HOUSEHOLD, STUDENT_HOUSEHOLD = 1, 2, 3, 4
RECRUIT_HOUSEHOLD, RETURN_HOUSEHOLD, LEAVER_HOUSEHOLD = 5, 6, 7
POOL_KEY_TAG, STUDENT_KEY_TAG = 2, 20  # derive movers' person keys (values kept from earlier versions)
RECRUIT_KEY_TAG, RETURN_KEY_TAG = 30, 31
MOVER_CHILD_AGES: tuple[int, int] = tuple(constant("mover_child_ages"))

# Age ranges (inclusive) of the census roles in a household template: the 60+ band and children under ADULT_AGE.
ELDERLY_AGES = (60, MAX_AGE)
CHILD_AGES = (0, ADULT_AGE - 1)


@dataclass(frozen=True)
class Template:
    """A kind of 2020 household: its members by role and the age range of its adults."""

    kind: str
    collective: bool
    elderly: int
    adults: int
    children: int
    prior_share: float
    adult_ages: tuple[int, int]

    @property
    def size(self) -> int:
        return self.elderly + self.adults + self.children


@cache
def templates() -> tuple[Template, ...]:
    """The household templates of ``data/household_templates.csv``."""
    return tuple(
        Template(
            r["kind"],
            r["collective"] == "true",
            int(r["elderly"]),
            int(r["adults"]),
            int(r["children"]),
            float(r["prior_share"]),
            (int(r["adult_age_min"] or 0), int(r["adult_age_max"] or 0)),
        )
        for r in read_csv("household_templates.csv")
    )


def age_profile(settings: Settings) -> tuple[np.ndarray, np.ndarray]:
    """Relative size of each single-year cohort, and its college ratio, float[age].

    Sizes follow the target five-year bands (:func:`band_targets`), even within
    each band; inside the open 85+ band they follow the stationary population
    of the standard life table (``environment.life_table``; both sexes).
    """
    size, college = np.zeros(MAX_AGE + 1), np.zeros(MAX_AGE + 1)
    for r in read_csv("age_profile.csv"):
        college[int(r["age_min"]) : int(r["age_max"]) + 1] = float(r["college_ratio"])
    ages = np.arange(MAX_AGE + 1)
    band = band_of_age(ages)
    thin = np.where(ages >= BAND_STARTS[-1], stationary_persons(standard_rates()).sum(axis=0), 1.0)
    size = band_targets()[band] * thin / np.bincount(band, weights=thin)[band]
    return size, college


def men_targets() -> np.ndarray:
    """2020 men per five-year band, float[band]: ``age_structure_2020.csv`` rescaled to the census men exactly."""
    men = age_structure_2020().men
    return men * fact("pop_male") / men.sum()


def band_targets() -> np.ndarray:
    """2020 persons per five-year band, float[band]: ``age_structure_2020.csv`` rescaled within each census
    broad group so that the groups' census totals hold exactly (the file rounds to 0.001 person)."""
    persons = age_structure_2020().persons.copy()
    starts = np.array(BAND_STARTS)
    for name, lo, hi in BROAD_GROUPS:
        group = (starts >= lo) & (starts <= hi)
        persons[group] *= haimen_broad_groups()[name] / persons[group].sum()
    return persons


def census() -> dict[str, float]:
    """The 2020 census totals the synthesis reproduces exactly."""
    return {
        "persons": fact("pop_resident_census"),
        "urban": fact("pop_urban"),
        "age_0_14": fact("pop_age_0_14"),
        "age_60_64": fact("pop_age_60plus") - fact("pop_age_65plus"),
        "age_65_plus": fact("pop_age_65plus"),
        "male": fact("pop_male"),
        "collective_persons": fact("pop_collective_households"),
        "family_households": fact("households_family"),
        "family_persons": fact("pop_family_households"),
    }


def alternative_targets() -> np.ndarray:
    """2020 persons per residence alternative (0 outside Haimen), summing to the census exactly.

    Unit populations are rescaled to the census total; their assumed urban
    shares are shifted (in log-odds) so the urban total is the census figure.
    """
    pl, c = places(), census()
    pops = np.array([place_value("population", pl.keys[p], True) for p in pl.haimen])
    pops *= c["persons"] / pops.sum()
    shares = np.array([place_value("urban_share", pl.keys[p], True) for p in pl.haimen])
    lo, hi = -10.0, 10.0
    for _ in range(200):  # bisection on the common log-odds shift
        mid = (lo + hi) / 2
        urban = pops / (1 + (1 - shares) / shares * np.exp(-mid))
        lo, hi = (mid, hi) if urban.sum() < c["urban"] else (lo, mid)
    out = np.zeros(pl.n_alt)
    out[pl.alt(pl.haimen, True)] = urban
    out[pl.alt(pl.haimen, False)] = pops - urban
    return out


def rake(design: np.ndarray, X: np.ndarray | sparse.csr_array, totals: np.ndarray, tol: float = 1e-12) -> np.ndarray:
    """Calibrated weights ``w = design·exp(X·λ)`` with ``X.T @ w == totals`` (raking by Newton steps).

    Rows with the same pattern get the same factor, so Newton runs on the
    distinct patterns only, as a sparse matrix (``X`` may be dense or sparse).
    """
    first, inverse = distinct_sparse_rows(X)
    scale = np.maximum(totals, 1.0)
    Xs, Ts = sparse.csr_array(X[first]).multiply(1.0 / scale).tocsr(), totals / scale
    pattern_design = np.bincount(inverse, weights=design)
    lam = np.zeros(X.shape[1])
    for _ in range(100):
        factor = np.exp(np.clip(Xs @ lam, -30, 30))
        w = pattern_design * factor
        gap = Xs.T @ w - Ts
        if np.max(np.abs(gap)) < tol:
            return design * factor[inverse]
        hessian = (Xs.T @ Xs.multiply(w[:, None])).toarray()
        lam -= np.linalg.lstsq(hessian, gap, rcond=None)[0]
    raise RuntimeError(f"raking did not converge (largest relative gap {np.max(np.abs(gap)):.2e})")


def template_shares(settings: Settings) -> np.ndarray:
    """Template frequencies raked to the census household and age totals (households per template)."""
    c, tpl = census(), templates()
    size, _ = age_profile(settings)
    children_0_17 = c["age_0_14"] * size[:ADULT_AGE].sum() / size[:15].sum()
    collective = np.array([t.collective for t in tpl])
    X = np.array(
        [[not t.collective, t.size * (not t.collective), t.children, t.elderly, t.collective] for t in tpl], dtype=float
    )
    prior = np.array([t.prior_share for t in tpl])
    prior = np.where(collective, prior * c["collective_persons"], prior * c["family_households"])
    elderly_total = c["age_60_64"] + c["age_65_plus"]
    totals = np.array(
        [c["family_households"], c["family_persons"], children_0_17, elderly_total, c["collective_persons"]]
    )
    return rake(prior, X, totals)


def _sample_ages(u: np.ndarray, lo: np.ndarray, hi: np.ndarray, size: np.ndarray) -> np.ndarray:
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


def synthesize(settings: Settings, scale: int, seed: int) -> Population:
    """Haimen's 2020 population with one row per ``scale`` households (weights exact)."""
    pl, c, tpl = places(), census(), templates()
    freq = template_shares(settings)
    collective = np.array([t.collective for t in tpl])
    targets = alternative_targets()
    alts = np.flatnonzero(targets > 0)
    # stratify households over alternatives in proportion to their people
    rows_alt, rows_tpl = [], []
    for is_coll, total in ((False, c["family_households"]), (True, c["collective_persons"])):
        n = targets[alts] / targets.sum() * total / scale
        counts = np.maximum(1, np.round(n)).astype(np.int64)
        rows_alt.append(np.repeat(alts, counts))
        rows_tpl.append(np.full(counts.sum(), is_coll))
    alt = np.concatenate(rows_alt)
    is_coll = np.concatenate(rows_tpl)
    n_hh = len(alt)
    hh_key = (np.uint64(INITIAL_HOUSEHOLD) << np.uint64(_KIND_SHIFT)) + np.arange(n_hh, dtype=np.uint64)
    u = uniform(seed, Channel.SYNTHESIS_HOUSEHOLD, 0, hh_key, 2)
    kind = np.empty(n_hh, dtype=np.int64)
    for flag in (False, True):
        rows = is_coll == flag
        choices = np.flatnonzero(collective == flag)
        kind[rows] = choices[categorical(u[rows, 0], freq[choices])]

    # members: elderly, then adults, then children of each template
    elderly = np.array([t.elderly for t in tpl])[kind]
    adults = np.array([t.adults for t in tpl])[kind]
    children = np.array([t.children for t in tpl])[kind]
    size = elderly + adults + children
    household = np.repeat(np.arange(n_hh), size)
    slot = np.arange(len(household)) - np.repeat(np.cumsum(size) - size, size)
    role = np.where(slot < elderly[household], 0, np.where(slot < (elderly + adults)[household], 1, 2))
    adult_lo = np.array([t.adult_ages[0] for t in tpl])[kind][household]
    adult_hi = np.array([t.adult_ages[1] for t in tpl])[kind][household]
    lo = np.select([role == 0, role == 1], [ELDERLY_AGES[0], adult_lo], CHILD_AGES[0])
    hi = np.select([role == 0, role == 1], [ELDERLY_AGES[1], adult_hi], CHILD_AGES[1])
    person_key = (np.uint64(INITIAL_PERSON) << np.uint64(_KIND_SHIFT)) + np.arange(len(household), dtype=np.uint64)
    pu = uniform(seed, Channel.SYNTHESIS_PERSON, 0, person_key, 2)
    cohort, college_ratio = age_profile(settings)
    age = _sample_ages(pu[:, 0], lo, hi, cohort)
    # couples are a man and a woman; others draw their sex (raking fixes the totals)
    pair_first = np.r_[True, household[1:] != household[:-1]] | (role != np.r_[-1, role[:-1]])
    in_pair = np.where(role == 0, elderly[household] == 2, np.where(role == 1, adults[household] == 2, False))
    female = np.where(in_pair, ~pair_first, pu[:, 1] < 0.5)

    # rake household weights to the census: persons per alternative, per five-year band and men per band, ...
    n_alts, n_bands = len(alts), len(BAND_STARTS)
    band, man, hh = band_of_age(age).astype(np.int32), ~female, np.arange(n_hh, dtype=np.int32)
    household32, n_men = household.astype(np.int32), int(man.sum())
    rows = np.concatenate([hh, household32, household32[man], hh, hh])  # entries at one place add up:
    columns = np.concatenate(  # people per alternative, per band and men per band, collective people, families
        [
            np.searchsorted(alts, alt).astype(np.int32),
            n_alts + band,
            n_alts + n_bands + band[man],
            np.full(n_hh, n_alts + 2 * n_bands, dtype=np.int32),
            np.full(n_hh, n_alts + 2 * n_bands + 1, dtype=np.int32),
        ]
    )
    values = np.concatenate([size, np.ones(len(household) + n_men), size * is_coll, ~is_coll], dtype=float)
    X = sparse.csr_array((values, (rows, columns)), shape=(n_hh, n_alts + 2 * n_bands + 2))
    totals = np.r_[
        targets[alts],
        band_targets(),
        men_targets(),
        c["collective_persons"],
        c["family_households"],
    ]
    weight = rake(np.full(n_hh, float(scale)), X, totals)

    # household attributes
    nonlocal_coll = settings.collective_nonlocal_share
    nonlocal_family = (settings.nonlocal_hukou_share * c["persons"] - nonlocal_coll * c["collective_persons"]) / c[
        "family_persons"
    ]
    is_nonlocal = u[:, 1] < np.where(is_coll, nonlocal_coll, nonlocal_family)
    hu = uniform(seed, Channel.INITIAL_HUKOU_TENURE, 0, hh_key, 2)
    origin_shares = pool_households_per_year(settings, CENSUS_YEAR)
    origin = np.where(is_nonlocal, categorical(hu[:, 0], origin_shares), pl.alt_place[alt])
    owner = hu[:, 1] < np.where(is_nonlocal, settings.nonlocal_owner_share, settings.owner_share)
    households = Households(
        key=hh_key,
        place=pl.alt_place[alt].astype(np.int16),
        urban=pl.alt_urban[alt],
        tenure=np.where(is_coll, COLLECTIVE, np.where(owner, OWNER, RENTER)).astype(np.int8),
        hukou_city=np.where(is_nonlocal, pl.city[origin], HAIMEN_CITY).astype(np.int8),
        weight=weight,
        origin=origin.astype(np.int16),
        arrived=np.zeros(n_hh, dtype=np.int16),
    )
    persons = _new_persons(
        settings,
        seed,
        person_key,
        household,
        age,
        female,
        college_share=settings.college_share_young * college_ratio[age],
        mix=resident_cluster_mix(settings),
        mix_row=alt[household],
    )
    return Population(households, persons)


def resident_cluster_mix(settings: Settings) -> np.ndarray:
    """Trade mix of residents per alternative: the place's job mix, farming weighted up in rural parts."""
    pl = places()
    mix = cluster_mix()[pl.alt_place].copy()
    mix[~pl.alt_urban, clusters().agriculture] *= settings.rural_agriculture_weight
    return mix


def _new_persons(
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

    Sized from each origin's 2020 population (not from the run's own flows, so
    every scenario faces the same pools) and its assumed mobility rate; after
    2020 scaled by ``outside_pull_after_2020`` (1: the 2010s' pull, which the
    calibration is fitted with).
    """
    pull = 1.0 if year <= CENSUS_YEAR else settings.outside_pull_after_2020
    return pull * origin_weights(settings, year)


def origin_weights(settings: Settings, year: int) -> np.ndarray:
    """Potential-mover households per origin at the 2010s' pull, float[place]: where outsiders come from."""
    people, shanghai, mean_size = _pool_people()
    trend = np.where(shanghai, (1 + settings.shanghai_outflow_trend) ** (year - CENSUS_YEAR), 1.0)
    return people * trend / mean_size


@cache
def _pool_people() -> tuple[np.ndarray, np.ndarray, float]:
    """Potential movers per origin (people, float[place]), whether each place is Shanghai, and the pool kinds'
    mean household size (read-only)."""
    kinds = pool_kinds()
    mean_size = sum(k["share"] * (k["adults"] + k["children"]) for k in kinds) / sum(k["share"] for k in kinds)
    people = place_values("population", outside_only=True) * place_values("pool_rate", outside_only=True)
    shanghai = np.array(places().keys) == "shanghai"
    people.flags.writeable = shanghai.flags.writeable = False
    return people, shanghai, mean_size


def _households_from_kinds(
    settings: Settings,
    seed: int,
    key_tag: int,
    year: int,
    hh_key: np.ndarray,
    origin: np.ndarray,
    weight: np.ndarray,
    kind: np.ndarray | int,
    arrived: int,
    adult_ages: tuple[np.ndarray, np.ndarray] | None = None,
) -> Population:
    """Movers' households and persons at their origin, drawn from the pool kinds (an int: every household's).

    Adults' ages follow the movers' age schedule within the kind's range, or
    within ``adult_ages`` (lowest and highest age per household) if given.
    """
    pl = places()
    kinds = np.full(len(hh_key), kind) if isinstance(kind, int) else kind
    household, slot, is_adult, couple = _person_rows(kind, kinds)
    parent_key = derive_keys(hh_key, tag=key_tag)[household]
    parent_key += slot.astype(np.uint64)
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
    age[adult] = _sample_ages(u_age[adult], lo, hi, _mover_age_schedule(settings))
    female = couple & (slot == 1)
    female[drawn] = u_sex < 0.5
    person_origin = origin[household]
    college_share = place_values("pool_college_share", outside_only=True)[person_origin] * is_adult
    persons = _new_persons(
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
        (np.uint64(kind) << np.uint64(_KIND_SHIFT))
        | (group.astype(np.uint64) << np.uint64(_PLACE_SHIFT))
        | (np.uint64(year - 2000) << np.uint64(_YEAR_SHIFT))
        | index.astype(np.uint64)
    )


def _rows_per_group(people: np.ndarray, scale: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows per group (at least one where there are people) and each row's group, index and weight."""
    counts = np.where(people > 0, np.maximum(1, np.round(people / scale)), 0).astype(np.int64)
    group = np.repeat(np.arange(len(people)), counts)
    index = np.arange(len(group)) - np.repeat(np.cumsum(counts) - counts, counts)
    weight = people[group] / counts[group]
    return group, index, weight


def draw_pool(settings: Settings, seed: int, year: int, scale: int) -> Population:
    """This year's potential movers in every outside origin, as households at their origin."""
    origin, index, weight = _rows_per_group(pool_households_per_year(settings, year), scale)
    key = _group_keys(POOL_HOUSEHOLD, origin, year, index)
    shares = np.array([k["share"] for k in pool_kinds()])
    kind = categorical(uniform(seed, Channel.POOL_KIND, year, key), shares)
    return _households_from_kinds(settings, seed, POOL_KEY_TAG, year, key, origin, weight, kind, arrived=year)


def draw_students(settings: Settings, seed: int, year: int, scale: int, students: np.ndarray) -> Population:
    """New vocational students from outside, as one-person collective households at their college."""
    college_place, index, weight = _rows_per_group(students, scale)
    key = _group_keys(STUDENT_HOUSEHOLD, college_place, year, index)
    origin = categorical(uniform(seed, Channel.STUDENT_ORIGIN, year, key), origin_weights(settings, year))
    single = _single_kind()
    pop = _households_from_kinds(settings, seed, STUDENT_KEY_TAG, year, key, origin, weight, single, arrived=year)
    pop.households.place = college_place.astype(np.int16)
    pop.households.tenure[:] = COLLECTIVE
    pop.persons.age[:] = ADULT_AGE
    pop.persons.job[:] = NO_JOB
    pop.persons.college[:] = True  # vocational colleges award 大专 diplomas
    pop.persons.student_until[:] = year + levers()["vocational_places"].course_years
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
    pop = _households_from_kinds(settings, seed, RECRUIT_KEY_TAG, year, key, origin, weight, single, arrived=year)
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
    n_bands = stock.shape[1]
    people = np.concatenate([stock, graduates[:, None]], axis=1)  # the last column: graduates
    group, index, weight = _rows_per_group(people.ravel(), scale)
    key = _group_keys(RETURN_HOUSEHOLD, group, year, index)
    place, band = group // (n_bands + 1), group % (n_bands + 1)
    graduate = band == n_bands
    course_end = ADULT_AGE + constant("university_years")
    lo = np.where(graduate, course_end, bands[np.minimum(band, n_bands - 1)])
    hi = np.where(graduate, course_end, np.minimum(bands[np.minimum(band, n_bands - 1) + 1] - 1, MAX_AGE))
    single = _single_kind()
    pop = _households_from_kinds(settings, seed, RETURN_KEY_TAG, year, key, place, weight, single, year, (lo, hi))
    pop.households.hukou_city[:] = HAIMEN_CITY
    pop.persons.college |= graduate[pop.persons.household]
    return pop


def is_returner(key: np.ndarray) -> np.ndarray:
    """Whether households with ``key`` were drawn as returning emigrants, bool[n]."""
    return (np.asarray(key, dtype=np.uint64) >> np.uint64(_KIND_SHIFT)) == RETURN_HOUSEHOLD

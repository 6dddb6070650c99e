"""Haimen's synthetic 2020 population, raked to the census.

The 2020 population is drawn from household templates (``data/household_templates.csv``),
stratified over Haimen's urban and rural parts, and then *raked*: household
weights are calibrated (w = d·exp(Xλ)) so that the weighted totals equal the
census exactly at any scale — persons by unit and part, the eighteen five-year
age bands of ``data/age_structure_2020.csv`` (Jiangsu's profile within Haimen's
census groups 0–14 / 15–59 / 60–64 / 65+, which therefore hold exactly), men
per band (summing to the census men), collective-household persons and family
households. All draws come from keyed streams.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
from scipy import sparse

from agents.constants import ADULT_AGE, CHILD_AGES, ELDERLY_AGES, HAIMEN_CITY, MAX_AGE
from agents.keys import INITIAL_HOUSEHOLD, INITIAL_PERSON, KIND_SHIFT
from agents.person_draws import new_persons, sample_ages
from agents.pools import pool_households_per_year
from agents.population import COLLECTIVE, OWNER, RENTER, Households, Population
from agents.rows import distinct_sparse_rows
from agents.streams import Channel, categorical, uniform
from environment.demography_inputs import (
    BAND_STARTS,
    BROAD_GROUPS,
    age_structure_2020,
    band_of_age,
    haimen_broad_groups,
)
from environment.inputs import CENSUS_YEAR, fact, place_value, read_csv
from environment.life_table import standard_rates, stationary_persons
from environment.places import cluster_mix, clusters, places
from environment.settings import Settings


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
    hh_key = (np.uint64(INITIAL_HOUSEHOLD) << np.uint64(KIND_SHIFT)) + np.arange(n_hh, dtype=np.uint64)
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
    person_key = (np.uint64(INITIAL_PERSON) << np.uint64(KIND_SHIFT)) + np.arange(len(household), dtype=np.uint64)
    pu = uniform(seed, Channel.SYNTHESIS_PERSON, 0, person_key, 2)
    cohort, college_ratio = age_profile(settings)
    age = sample_ages(pu[:, 0], lo, hi, cohort)
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
    persons = new_persons(
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

"""Haimen's synthetic population at a census (2020 for every forward run, 2010 for the backcast), raked to it.

The population is drawn from household templates (``data/household_templates.csv``),
stratified over Haimen's urban and rural parts, and then *raked*: household
weights are calibrated (w = d·exp(Xλ)) so that the weighted totals equal the
census year's margins (``environment/census.py``, declared in
``data/census_margins.toml``) exactly at any scale — persons by unit and part,
the eighteen five-year age bands of the year's age table (2020: Jiangsu's
profile within Haimen's census groups 0–14 / 15–59 / 60–64 / 65+, which
therefore hold exactly; 2010: a derived table), men per band (summing to the
census men), collective-household persons and family households. All draws
come from keyed streams.
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
from environment.census import Margins, margins
from environment.demography_inputs import BAND_STARTS, band_of_age
from environment.inputs import CENSUS_YEAR, read_csv
from environment.life_table import standard_rates, stationary_persons
from environment.places import cluster_mix, clusters, places
from environment.settings import Settings


@dataclass(frozen=True)
class Template:
    """A kind of household at the census: its members by role and the age range of its adults."""

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


@dataclass(frozen=True)
class TemplateMembers:
    """What the member in each slot of each template is, arrays [template * width + slot] (slots: elderly, then
    adults, then children)."""

    width: int  # slots per template (the largest template's size)
    lo: np.ndarray  # int64: the youngest age of the member's role
    hi: np.ndarray  # int64: the oldest age of the member's role
    in_pair: np.ndarray  # bool: one of a couple (two elderly, or two adults)
    pair_first: np.ndarray  # bool: the first member of its role (of a couple: the man)


@cache
def template_members() -> TemplateMembers:
    """The members of :func:`templates` by slot."""
    tpl = templates()
    width = max(t.size for t in tpl)
    lo, hi = np.zeros((len(tpl), width), dtype=np.int64), np.zeros((len(tpl), width), dtype=np.int64)
    in_pair, pair_first = np.zeros((len(tpl), width), dtype=bool), np.zeros((len(tpl), width), dtype=bool)
    for k, t in enumerate(tpl):
        roles = [(t.elderly, ELDERLY_AGES, True), (t.adults, t.adult_ages, True), (t.children, CHILD_AGES, False)]
        slot = 0
        for count, (youngest, oldest), couples in roles:
            if count:
                lo[k, slot : slot + count], hi[k, slot : slot + count] = youngest, oldest
                in_pair[k, slot : slot + count] = couples and count == 2
                pair_first[k, slot] = True
            slot += count
    return TemplateMembers(width, lo.ravel(), hi.ravel(), in_pair.ravel(), pair_first.ravel())


def age_profile(settings: Settings, census: Margins) -> tuple[np.ndarray, np.ndarray]:
    """Relative size of each single-year cohort, and its college ratio, float[age].

    Sizes follow the census's five-year bands (``census.ages``), even within
    each band; inside the open 85+ band they follow the stationary population
    of the standard life table (``environment.life_table``; both sexes).
    """
    size, college = np.zeros(MAX_AGE + 1), np.zeros(MAX_AGE + 1)
    for r in read_csv("age_profile.csv"):
        college[int(r["age_min"]) : int(r["age_max"]) + 1] = float(r["college_ratio"])
    ages = np.arange(MAX_AGE + 1)
    band = band_of_age(ages)
    thin = np.where(ages >= BAND_STARTS[-1], stationary_persons(standard_rates()).sum(axis=0), 1.0)
    size = census.ages.persons[band] * thin / np.bincount(band, weights=thin)[band]
    return size, college


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


def template_shares(settings: Settings, c: Margins) -> np.ndarray:
    """Template frequencies raked to the census household and age totals (households per template)."""
    tpl = templates()
    size, _ = age_profile(settings, c)
    children_0_17 = c.groups["age_0_14"] * size[:ADULT_AGE].sum() / size[:15].sum()
    collective = np.array([t.collective for t in tpl])
    X = np.array(
        [[not t.collective, t.size * (not t.collective), t.children, t.elderly, t.collective] for t in tpl], dtype=float
    )
    prior = np.array([t.prior_share for t in tpl])
    prior = np.where(collective, prior * c.collective_persons, prior * c.family_households)
    elderly_total = c.groups["age_60_64"] + c.groups["age_65_plus"]
    totals = np.array([c.family_households, c.family_persons, children_0_17, elderly_total, c.collective_persons])
    return rake(prior, X, totals)


def synthesize(settings: Settings, scale: int, seed: int, year: int = CENSUS_YEAR) -> Population:
    """Haimen's population at the census of ``year`` with one row per ``scale`` households (weights exact)."""
    pl, c, tpl = places(), margins(year), templates()
    freq = template_shares(settings, c)
    collective = np.array([t.collective for t in tpl])
    targets = c.alternatives
    alts = np.flatnonzero(targets > 0)
    # stratify households over alternatives in proportion to their people
    rows_alt, rows_tpl = [], []
    for is_coll, total in ((False, c.family_households), (True, c.collective_persons)):
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

    # members: elderly, then adults, then children of each template (what a member is follows from its slot)
    size = np.array([t.size for t in tpl])[kind]
    household = np.repeat(np.arange(n_hh), size)
    slot = np.arange(len(household)) - np.repeat(np.cumsum(size) - size, size)
    members = template_members()
    entry = kind[household] * members.width + slot  # the member's (template, slot)
    lo, hi = members.lo[entry], members.hi[entry]
    person_key = (np.uint64(INITIAL_PERSON) << np.uint64(KIND_SHIFT)) + np.arange(len(household), dtype=np.uint64)
    pu = uniform(seed, Channel.SYNTHESIS_PERSON, 0, person_key, 2)
    cohort, college_ratio = age_profile(settings, c)
    age = sample_ages(pu[:, 0], lo, hi, cohort)
    # couples are a man and a woman (the first of the two a man); others draw their sex (raking fixes the totals)
    female = np.where(members.in_pair[entry], ~members.pair_first[entry], pu[:, 1] < 0.5)

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
        c.ages.persons,
        c.ages.men,
        c.collective_persons,
        c.family_households,
    ]
    weight = rake(np.full(n_hh, float(scale)), X, totals)

    # household attributes
    nonlocal_coll = settings.collective_nonlocal_share
    nonlocal_people = settings.nonlocal_hukou_share * c.persons - nonlocal_coll * c.collective_persons
    nonlocal_family = nonlocal_people / c.family_persons
    is_nonlocal = u[:, 1] < np.where(is_coll, nonlocal_coll, nonlocal_family)
    hu = uniform(seed, Channel.INITIAL_HUKOU_TENURE, 0, hh_key, 2)
    origin_shares = pool_households_per_year(settings, year)
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

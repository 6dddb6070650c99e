"""Households choosing where to live: who weighs a move, what they weigh, where they go.

The residence utility of household ``n`` for alternative ``j`` is::

    β_inc·log(income[n,j] − housing[n,j] + subsidy[n,j])
  + β_acc·Σ_workers accessibility[c,j]               (commute and openings)
  + β_school·[school-age children]·quality[j]·access[n,j]
  + β_amen·amenity[j] + β_service·service_access[n,j]
  + β_ties·log(1 + ties[origin,j]/ties_unit)
  + λ·log(dwellings[j] / mean)                      (Haimen's alternatives other than home)
  − moving_cost[n,j] + constants (Haimen, rural part)

and the choice is a nested logit: each city is a nest, Haimen's alternatives
share one (scale ``nest_scale_haimen``), so they substitute for each other more
than for other cities. The size term (with the nest's scale λ as its
coefficient, so shares within the nest grow in proportion to homes) makes a
unit's pull grow with its dwellings.

Subsidies are the plan's payments as their rules (``agents.payments``) find the
household in each alternative: newcomers to Haimen who claim them
(``subsidy_take_up``) and do not live in a dormitory, for the purchase subsidy
college-educated buyers, for the rent subsidy renters, for the graduate subsidy
and talent allowance the college-educated; the homestead compensation for rural
households moving to a Haimen town. Whether a newcomer would buy or take a
dormitory is drawn before the choice. A payment counts its months a year times
its years, spread over ``subsidy_horizon`` years.
A Haimen hukou is worth its access to schools and services only to newcomers
who would take it up: a share that depends on rural or urban origin.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from agents.choice import NestedDraw, Nests
from agents.constants import ADULT_AGE, HAIMEN_CITY
from agents.labour import JobProspects, in_labour_force, wage_factor
from agents.payments import recipients, takes_up_payments
from agents.population import (
    COLLECTIVE,
    NO_JOB,
    OWNER,
    RENTER,
    Columns,
    Persons,
    Population,
    dwellings_occupied,
    taken_lazily,
)
from agents.rows import (
    Entries,
    codes_by_appearance,
    distinct_rows,
    dot,
    group_codes,
    groups_by_appearance,
    packed,
    row_codes,
    rows_by_appearance,
)
from agents.streams import Channel, LazyRows, gumbel, uniform, uniform_slots
from environment.inputs import constant
from environment.jobs import income_index
from environment.places import clusters, place_values, places
from environment.schools import SCHOOL_AGES
from environment.settings import Settings
from environment.world import World


@dataclass
class Deciders(Columns):
    """Households weighing a move, described by what their choice depends on (arrays over deciders)."""

    rows: np.ndarray  # household row in its population (residents or pool)
    from_pool: np.ndarray  # bool: a potential mover from outside (not yet a resident)
    current: np.ndarray  # alternative they live in now
    key: np.ndarray
    weight: np.ndarray
    members: np.ndarray
    workers: np.ndarray  # float[n, cluster]: workers by the cluster of their trade
    earnings: np.ndarray  # float[n, cluster]: workers' wage factors by cluster
    other_adults: np.ndarray  # adults outside work (pensions)
    school_children: np.ndarray
    graduate_eligible: np.ndarray  # bool: a college-educated adult under the payments' young_graduate age limit
    youth_eligible: np.ndarray  # bool: a college-educated adult under the youth amenity's age limit
    college: np.ndarray  # bool: a college-educated adult
    college_workers: np.ndarray
    hukou_city: np.ndarray
    owner: np.ndarray
    origin: np.ndarray
    rural_origin: np.ndarray  # bool: a rural hukou (non-Haimen households only)
    buys: np.ndarray  # bool: would buy on arriving in Haimen (pool); owns now (residents)
    dorm: np.ndarray  # bool: would live in a dormitory on arriving (pool); lives in one now (residents)
    takes_up: np.ndarray  # bool: claims the plan's payments it is eligible for

    def kinds(self) -> tuple[np.ndarray, np.ndarray]:
        """One representative per kind of decider (same utility for every alternative), and each one's kind.

        Rows are grouped by hashing their features (the flags, small integers and counts packed into one number,
        the workers and earnings by cluster only where nonzero); by :meth:`features` exactly if the hash collides.
        """
        small = packed(*self._small_features())
        if small is None:
            return rows_by_appearance(*self.features())
        code, check = row_codes(small, entries=self._cluster_entries())
        groups = codes_by_appearance(code, check)
        return groups if groups is not None else distinct_rows(*self.features())

    def features(self) -> tuple[np.ndarray, ...]:
        """The features a decider's utility depends on (its kind), arrays with one entry or row per decider."""
        return (*self._small_features(), self.workers, np.round(self.earnings - self.workers, 6))

    def _small_features(self) -> tuple[np.ndarray, ...]:
        """The features that are flags or small whole numbers (the counts among them)."""
        return (
            self.current,
            self.origin,
            self.hukou_city,
            self.owner,
            self.rural_origin,
            self.buys,
            self.dorm,
            self.takes_up,
            self.school_children > 0,
            self.graduate_eligible,
            self.youth_eligible,
            self.college,
            self.members,
            self.other_adults,
            self.college_workers,
        )

    def _cluster_entries(self) -> Entries:
        """The last two features (workers, and earnings beyond one per worker, by cluster) where not both zero."""
        workers, earnings = self.workers.ravel(), self.earnings.ravel()
        at = np.flatnonzero((workers != 0) | (earnings != 0))
        width = self.workers.shape[1]
        row = at // width
        column = at - row * width
        workers, earnings = workers.take(at), earnings.take(at)  # (take: faster than indexing)
        return Entries(row, column, [workers, np.round(earnings - workers, 6)], width)


def rural_origin(seed: int, key: np.ndarray, origin: np.ndarray, hukou_city: np.ndarray) -> np.ndarray:
    """Whether each household holds a rural hukou (a trait drawn once from its origin's ``pool_rural_share``), bool[n].

    Households with a Haimen hukou count as not rural here: the choice of hukou concerns newcomers (their draws
    are not hashed).
    """
    rural = hukou_city != HAIMEN_CITY
    others = np.flatnonzero(rural)
    share = place_values("pool_rural_share", outside_only=True)[origin[others]]
    rural[others] = uniform(seed, Channel.RURAL_ORIGIN, 0, key[others]) < share
    return rural


def hukou_share_on_arrival(rural: np.ndarray, world: World, year: int) -> np.ndarray:
    """Share of newcomers like each one who take a Haimen hukou on arriving: allowed (lever) and willing, float[n]."""
    return world.policy.year(year).hukou_on_arrival * hukou_willingness(rural, world.settings)


def hukou_willingness(rural: np.ndarray, settings: Settings) -> np.ndarray:
    """Share of households like each one (``rural``: rural origin) who would transfer their hukou to Haimen,
    float[n]."""
    return np.where(rural, settings.hukou_willingness_rural, settings.hukou_willingness_urban)


def describe_all(parts: list[tuple[Population, np.ndarray, bool]], world: World, year: int, seed: int) -> Deciders:
    """Deciders for the household rows of several populations, part after part, with features summed over their
    members: ``Deciders.concat`` of each part's description, built at once (the members' few columns joined, not
    the deciders' many). Each part is (population, household rows, whether they come from a pool).

    Potential movers from the pools also draw whether they would buy, or (single)
    take a dormitory, on arriving in Haimen.
    """
    pl, s, n_clusters, policy = places(), world.settings, clusters().n, world.policy.year(year)
    starts = np.cumsum([0] + [len(rows) for _, rows, _ in parts])
    n = int(starts[-1])
    members_of = [_members(pop, rows) for pop, rows, _ in parts]
    i = _joined([own + start if start else own for (_, own), start in zip(members_of, starts, strict=False)])
    age, college = _joined([m.age for m, _ in members_of]), _joined([m.college for m, _ in members_of])
    labours = [in_labour_force(m, s, year) for m, _ in members_of]
    labour = _joined(labours)
    working = np.flatnonzero(labour)  # (the others add nothing to the sums by cluster: left out)
    by_cluster = i[working] * n_clusters
    by_cluster += _joined([m.cluster for m, _ in members_of])[working]

    def count(values: np.ndarray) -> np.ndarray:
        return np.bincount(i, weights=values, minlength=n)

    cells = n * n_clusters
    workers = np.bincount(by_cluster, minlength=cells).astype(float).reshape(n, n_clusters)  # counts: whole numbers
    wages = _joined([wage_factor(m, s) for m, _ in members_of])[working]
    earnings = np.bincount(by_cluster, weights=wages, minlength=cells).reshape(n, n_clusters)
    adult = age >= ADULT_AGE
    graduates = np.flatnonzero(college)  # the college-educated members (few): their counts from them alone
    graduates_in = i[graduates]

    def count_graduates(values: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(graduates_in, weights=values, minlength=n)

    deciding = [  # each part's households (a pool's as they are: all its rows, in order)
        pop.households if _all_rows(pop, rows) else taken_lazily(pop.households, rows) for pop, rows, _ in parts
    ]

    def of_households(column: str) -> np.ndarray:
        return _joined([getattr(households, column) for households in deciding])

    key, tenure, origin, hukou_city = (of_households(c) for c in ("key", "tenure", "origin", "hukou_city"))
    members = np.bincount(i, minlength=n).astype(float)  # counted, not summed: the same whole numbers
    owner = tenure == OWNER
    buys, dorm = owner.copy(), tenure == COLLECTIVE  # residents: owns now, lives in a dormitory now
    for (_, _, from_pool), start, end in zip(parts, starts, starts[1:], strict=False):
        if from_pool:
            draws = uniform_slots(seed, Channel.TENURE, year, key[start:end], (1, 2))
            buys[start:end] = draws[:, 0] < s.buy_on_arrival
            dorm[start:end] = (members[start:end] == 1) & (draws[:, 1] < s.arrival_dorm_share) & ~buys[start:end]
    return Deciders(
        rows=_joined([rows for _, rows, _ in parts]),
        from_pool=np.repeat([from_pool for _, _, from_pool in parts], np.diff(starts)).astype(bool),
        current=pl.alt(of_households("place"), of_households("urban")),
        key=key,
        weight=of_households("weight"),
        members=members,
        workers=workers,
        earnings=earnings,
        other_adults=count(adult & ~labour),
        school_children=count((age >= SCHOOL_AGES[0]) & (age <= SCHOOL_AGES[1])),
        graduate_eligible=count_graduates(age[graduates] < policy.graduate_age_limit) > 0,
        youth_eligible=count_graduates(age[graduates] < policy.youth_age_limit) > 0,
        college=count_graduates() > 0,
        college_workers=count_graduates(labour[graduates]),
        hukou_city=hukou_city,
        owner=owner,
        origin=origin,
        rural_origin=rural_origin(seed, key, origin, hukou_city),
        buys=buys,
        dorm=dorm,
        takes_up=takes_up_payments(seed, key, s),
    )


def _joined(arrays: list[np.ndarray]) -> np.ndarray:
    """The arrays one after the other (the only one itself, not copied)."""
    return arrays[0] if len(arrays) == 1 else np.concatenate(arrays)


def _members(pop: Population, rows: np.ndarray) -> tuple[Persons, np.ndarray]:
    """The persons of the households ``rows`` of ``pop``, and each one's position in ``rows``."""
    h, p = pop.households, pop.persons
    if _all_rows(pop, rows):  # (the pool)
        return p, p.household
    index = np.full(len(h), -1)
    index[rows] = np.arange(len(rows))
    deciding = np.zeros(len(h), dtype=bool)
    deciding[rows] = True
    mine = deciding[p.household]  # (a gather of flags: cheaper than of the indices)
    members_of = p if mine.all() else taken_lazily(p, np.flatnonzero(mine))  # the deciders' persons (few): as read
    return members_of, index[members_of.household]


def _all_rows(pop: Population, rows: np.ndarray) -> bool:
    """Whether ``rows`` are all households of ``pop``, in order."""
    return len(rows) == len(pop.households) and np.array_equal(rows, np.arange(len(rows)))


def households_weighing_a_move(pop: Population, world: World, seed: int, year: int) -> np.ndarray:
    """Rows of resident households that weigh a move this year.

    Rates by kind of household (owners less often); vocational students stay
    until they finish, and weigh a move in the year after.
    """
    s, h, p = world.settings, pop.households, pop.persons
    single = pop.members() == 1
    young_single = np.zeros(len(h), dtype=bool)  # the one member is an adult under ``young_single_age``
    young = (p.age >= ADULT_AGE) & (p.age < constant("young_single_age"))
    young_single[p.household[np.flatnonzero(young)]] = True
    young_single &= single
    owner_rate = s.owner_mobility_factor
    rates = np.array(  # by 2·tenure (RENTER, OWNER, COLLECTIVE) + young single
        [
            *(s.move_rate_family * 1.0, s.move_rate_single * 1.0),
            *(s.move_rate_family * owner_rate, s.move_rate_single * owner_rate),
            *(s.move_rate_collective * 1.0, s.move_rate_collective * 1.0),
        ]
    )
    rate = rates[(h.tenure << 1) | young_single.view(np.int8)]
    student = np.flatnonzero(p.student_until >= year - 1)  # students and last year's graduates (few: by index)
    until, home = p.student_until[student], p.household[student]
    rate[home[until == year - 1]] = 1.0  # graduated last year
    rate[home[until >= year]] = 0.0  # studying
    return np.flatnonzero(uniform(seed, Channel.CONSIDER_MOVE, year, h.key) < rate)


def moving_cost(d: Deciders, world: World) -> np.ndarray:
    """Utility cost of moving from the current alternative to each alternative, float[n, alt]."""
    s, pl = world.settings, places()
    place_now = pl.alt_place[d.current]
    same_place = place_now[:, None] == pl.alt_place[None, :]
    both_haimen = pl.in_haimen[place_now][:, None] & pl.alt_in_haimen[None, :]
    cost = np.where(
        same_place, s.moving_cost_local, np.where(both_haimen, s.moving_cost_haimen, s.moving_cost_intercity)
    )
    cost = cost * np.where(d.owner, s.owner_moving_cost_factor, 1.0)[:, None]
    cost[np.arange(len(d)), d.current] = 0.0
    return cost


def payment_features(d: Deciders) -> dict[str, Any]:
    """What the payment rules read of each decider if it moved to each alternative (``agents.payments``), arrays
    of [n, alt] or [n, 1]: moving to Haimen from outside makes a newcomer (arriving now), from a rural part of
    Haimen to a Haimen town a rural_to_town move; the rest are the decider's own (it would rent unless it buys or
    takes a dormitory)."""
    pl = places()
    in_haimen = pl.in_haimen[pl.alt_place[d.current]]
    rural_home = in_haimen & ~pl.alt_urban[d.current]
    return {
        "household": True,
        "newcomer": ~in_haimen[:, None] & pl.alt_in_haimen[None, :],
        "years_here": 0,
        "claims": d.takes_up[:, None],
        "not_dormitory": ~d.dorm[:, None],
        "renting": (~d.buys & ~d.dorm)[:, None],
        "buying": d.buys[:, None],
        "college": d.college[:, None],
        "young_graduate": d.graduate_eligible[:, None],
        "college_worker": d.college_workers[:, None],
        "rural_to_town": rural_home[:, None] & (pl.alt_in_haimen & pl.alt_urban)[None, :],
    }


def subsidies(d: Deciders, world: World, year: int) -> np.ndarray:
    """Yearly value of the plan's payments to a household moving to each alternative, yuan: float[n, alt].

    Each payment the choice weighs, by its rule (``agents.payments.recipients``), at its months a year × years ×
    amount, spread over ``subsidy_horizon`` years.
    """
    features = payment_features(d)
    total = np.zeros((len(d), places().n_alt))  # whole yuan: the sum is exact, whatever the payments' order
    for due in world.policy.year(year).payments:
        if due.rule.in_residence_choice:
            total += recipients(due.rule, features) * (due.rule.months * due.rule.years * due.amount)
    return total / world.settings.subsidy_horizon


def residence_utility(d: Deciders, world: World, prospects: JobProspects, year: int) -> tuple[np.ndarray, np.ndarray]:
    """Systematic utility of every alternative per kind of decider, float32[kind, alt], and each decider's kind.

    Most potential movers share their kind with many others, so this is computed once per kind.
    """
    first, kind = d.kinds()
    return _utility(taken_lazily(d, first), world, prospects, year), kind


def _per_group(
    d: Deciders, term: Callable[[Deciders], np.ndarray], *features: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``term`` evaluated once per distinct combination of ``features`` (small integer values, the only features
    ``term`` reads), and each row's group: ``values[group]`` are the numbers ``term(d)`` gives, computed on fewer
    rows."""
    if len(d) == 0:
        return term(d), np.zeros(0, dtype=np.intp)
    code = packed(*features)
    first, group = group_codes(code) if code is not None else distinct_rows(*features)
    return term(taken_lazily(d, first)), group


Term = tuple[np.ndarray, np.ndarray]  # a term's values per group, and each row's group
_UTILITY_BLOCK_ROWS = 2048  # kinds whose utilities are summed at once: the block's arrays stay in the CPU's cache


def _utility(d: Deciders, world: World, prospects: JobProspects, year: int) -> np.ndarray:
    """The terms of the utility added in a fixed order, in place (the same operations, each value's in the same
    order, as adding whole arrays term by term); each term is computed per group of the few features it reads,
    then spread to the rows and added block of rows by block (in the CPU's cache, not passes over all rows)."""
    s, pl = world.settings, places()
    haimen = pl.alt_in_haimen
    # income net of housing cost
    income_of, income_group = rows_by_appearance(d.earnings)  # few distinct rows: each row's product is its own
    income_of = dot(d.earnings[income_of], prospects.expected_wage)  # (see dot)
    local_wage = s.base_wage * income_index(s)[pl.alt_place]
    pension = _per_group(d, lambda g: g.other_adults[:, None] * s.pension_share * local_wage[None, :], d.other_adults)
    # housing costs, payments and access read where a decider lives now only as whether in Haimen (a newcomer if
    # not) and, the payments, whether in a rural part of it: grouped by these (fewer groups than by alternative)
    in_haimen = haimen[d.current]
    housing = _per_group(d, lambda g: housing_cost(g, world), d.members, in_haimen)
    payments = _per_group(  # by the features payment_features reads
        d,
        lambda g: subsidies(g, world, year),
        in_haimen,
        in_haimen & ~pl.alt_urban[d.current],
        d.takes_up,
        d.dorm,
        d.buys,
        d.college,
        d.graduate_eligible,
        d.college_workers.astype(np.int64),
    )
    # jobs: accessibility of openings for each worker's trade
    workers_by_cluster = np.ascontiguousarray(d.workers.T)  # (each cluster's column contiguous: packed twice as fast)
    jobs = _per_group(d, lambda g: s.beta_access * dot(g.workers, prospects.accessibility), *workers_by_cluster)
    # hukou-linked access to schools and services
    access = (d.hukou_city, in_haimen, d.rural_origin, d.school_children > 0)
    access_of, access_group = _per_group(d, lambda g: access_terms(g, world, year), *access)
    # amenity (with the youth bonus for young graduates) and ties
    youth = world.policy.year(year).youth_amenity
    amenity = s.beta_amenity * (world.amenity(year)[None, :] + np.array([False, True])[:, None] * youth[None, :])
    ties = s.beta_ties * np.log1p(world.ties.matrix()[:, pl.alt_place] / constant("ties_unit"))
    stock = world.housing.stock
    size = np.log(stock / stock[haimen].mean(), where=haimen, out=np.zeros_like(stock)) * s.nest_scale_haimen
    moving = _per_group(d, lambda g: moving_cost(g, world), d.current, d.owner)
    constants = s.asc_haimen * haimen + s.asc_rural * ~pl.alt_urban
    added = [  # the terms after the income's, in order: (values per group, each row's group)
        jobs,
        *((np.ascontiguousarray(access_of[:, i]), access_group) for i in range(2)),  # (contiguous: faster takes)
        (amenity, d.youth_eligible.astype(np.intp)),
        (ties, d.origin),
    ]
    # the income term reads four groups only: computed once per combination of them (fewer than the kinds)
    income_terms = ((income_of, income_group), pension, housing, payments)
    combination_of, combination = groups_by_appearance(*(group for _, group in income_terms))
    income_terms = tuple((values, group[combination_of]) for values, group in income_terms)
    income_utility = _income_utility(*income_terms, s.beta_income)
    out = np.empty((len(d), pl.n_alt), dtype=np.float32)
    m = min(len(d), _UTILITY_BLOCK_ROWS)
    V_rows, scratch_rows = (np.empty((m, pl.n_alt)) for _ in range(2))
    for start in range(0, len(d), _UTILITY_BLOCK_ROWS):
        rows = slice(start, min(start + _UTILITY_BLOCK_ROWS, len(d)))
        n = rows.stop - start
        V, scratch = V_rows[:n], scratch_rows[:n]
        _spread(income_utility, combination[rows], V)
        for term in added:
            V += _spread(*_of_rows(term, rows), scratch)
        V += size[None, :]
        current = d.current[rows]
        V[np.arange(n), current] -= size[current]
        V -= _spread(*_of_rows(moving, rows), scratch)
        V += constants
        out[rows] = V
    return out


def _income_utility(income: Term, pension: Term, housing: Term, payments: Term, beta_income: float) -> np.ndarray:
    """``β_inc·log(max(income + pension − housing + payments, floor))`` with the income floor a share of income
    plus a sum, for each row of the terms (values per group, each row's group), float[n, alt]; block by block."""
    floor_share, floor_yuan = constant("income_floor_share"), constant("income_floor_yuan")
    n_rows, n_alt = len(income[1]), income[0].shape[1]
    out = np.empty((n_rows, n_alt))
    m = min(n_rows, _UTILITY_BLOCK_ROWS)
    income_scratch, scratch_rows = np.empty((m, n_alt)), np.empty((m, n_alt))
    for start in range(0, n_rows, _UTILITY_BLOCK_ROWS):
        rows = slice(start, min(start + _UTILITY_BLOCK_ROWS, n_rows))
        n = rows.stop - start
        V, scratch = out[rows], scratch_rows[:n]
        income_rows = _spread(*_of_rows(income, rows), income_scratch[:n])
        income_rows += _spread(*_of_rows(pension, rows), scratch)
        np.subtract(income_rows, _spread(*_of_rows(housing, rows), scratch), out=V)  # net income
        V += _spread(*_of_rows(payments, rows), scratch)
        floor = np.multiply(income_rows, floor_share, out=scratch)
        floor += floor_yuan
        np.maximum(V, floor, out=V)
        np.log(V, out=V)
        V *= beta_income
    return out


def _of_rows(term: Term, rows: slice) -> Term:
    """A term given per group (values per group, each row's group), for the rows ``rows`` only."""
    values, group = term
    return values, group[rows]


def _spread(values: np.ndarray, group: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``values[group]``, written into ``out`` (scratch space reused term after term: no new large array each)."""
    return np.take(values, group, axis=0, out=out, mode="wrap")  # as values[group]; "wrap" avoids a buffered copy


def housing_cost(d: Deciders, world: World) -> np.ndarray:
    """Yearly housing cost of each decider in each alternative (newcomers' discount included), yuan: float[n, alt]."""
    pl = places()
    newcomer = ~pl.in_haimen[pl.alt_place[d.current]]
    discount = np.where(newcomer[:, None], world.housing.newcomer_discount(world.newcomers)[None, :], 0.0)
    return world.housing.annual_cost(world.housing.floor_area(d.members)) * (1.0 - discount)


def access_terms(d: Deciders, world: World, year: int) -> np.ndarray:
    """The utility's school and service terms (hukou-linked access), float[n, 2, alt]."""
    s, pl = world.settings, places()
    haimen = pl.alt_in_haimen
    newcomer = ~pl.in_haimen[pl.alt_place[d.current]]
    local = d.hukou_city[:, None] == pl.city[pl.alt_place][None, :]
    takes_hukou = hukou_share_on_arrival(d.rural_origin, world, year)
    on_arrival = np.where(newcomer[:, None] & haimen[None, :], takes_hukou[:, None], 0.0)
    p_local = np.where(local, 1.0, on_arrival)
    policy = world.policy.year(year)
    school_access = p_local + (1 - p_local) * world.schools.nonlocal_access(policy)[None, :]
    quality = world.schools.quality(policy)
    school = s.beta_school * (d.school_children > 0)[:, None] * quality[None, :] * school_access
    service = p_local + (1 - p_local) * world.nonlocal_service_access(year)[None, :]
    return np.stack([school, s.beta_service * service], axis=1)


def residence_nests(world: World) -> Nests:
    """One nest per city; Haimen's alternatives share a nest with scale ``nest_scale_haimen``."""
    pl = places()
    city = pl.city[pl.alt_place]
    codes, of_alt = np.unique(city, return_inverse=True)
    scale = np.where(codes == HAIMEN_CITY, world.settings.nest_scale_haimen, 1.0)
    return Nests(of_alt=of_alt, scale=scale)


def residence_draw(nests: Nests, seed: int, year: int, key: np.ndarray) -> NestedDraw:
    """The residence choice's draw for deciders with keys ``key``: keyed Gumbel errors for the nest stage, and for
    the alternative stage on each larger nest's own alternatives, hashed only for deciders who choose that nest
    (each once, however often they are asked for)."""
    eps_nest = gumbel(seed, Channel.RESIDENCE_NEST, year, key, len(nests.scale), by_slot=True)
    within = {
        k: LazyRows(len(key), len(members), _alt_errors(seed, year, key, tuple(members.tolist())))
        for k, members, _ in nests.larger
    }
    return nests.drawer(eps_nest, lambda k, rows: within[k](rows))


def _alt_errors(seed: int, year: int, key: np.ndarray, slots: tuple[int, ...]) -> Callable[[np.ndarray], np.ndarray]:
    """The alternative-stage errors of the deciders ``rows`` on the alternatives ``slots``, float32[rows, slots]."""
    return lambda rows: gumbel(seed, Channel.RESIDENCE, year, key[rows], slots)


def dwelling_use(d: Deciders, world: World) -> np.ndarray:
    """Dwellings each decider occupies (weight; a share of one in a dormitory): where it lives now, or, for a pool
    household, on arriving in Haimen (a dormitory drawn before the choice, ``Deciders.dorm``), float[n]."""
    return dwellings_occupied(d.weight, d.dorm, world.settings.collective_space)


def hukou_on_arrival(d: Deciders, world: World, seed: int, year: int) -> np.ndarray:
    """Whether each decider would take a Haimen hukou on arriving (allowed, and willing; keyed draw), bool[n]."""
    gets = d.hukou_city == HAIMEN_CITY
    pool = np.flatnonzero(d.from_pool & ~gets)  # (only their draws hashed)
    share = hukou_share_on_arrival(d.rural_origin[pool], world, year)
    gets[pool] = uniform(seed, Channel.HUKOU_ON_ARRIVAL, year, d.key[pool]) < share
    return gets


def newcomers_from_pool(
    pool: Population, d: Deciders, choice: np.ndarray, gets_hukou: np.ndarray, seed: int, year: int, world: World
) -> Population:
    """The pool households that chose Haimen, set up as residents (hukou, tenure drawn before the choice, no job)."""
    pl = places()
    come = d.from_pool & pl.alt_in_haimen[choice]
    rows = d.rows[come]
    take = np.zeros(len(pool.households), dtype=bool)
    take[rows] = True
    new_index = np.full(len(pool.households), -1)
    new_index[rows] = np.arange(len(rows))
    h = pool.households.take(rows)
    persons = pool.persons.take(np.flatnonzero(take[pool.persons.household]))  # few: by index, not by mask
    persons.household = new_index[persons.household]
    persons.job[:] = NO_JOB
    alt = choice[come]
    h.place, h.urban = pl.alt_place[alt].astype(np.int16), pl.alt_urban[alt]
    h.hukou_city = np.where(gets_hukou[come], HAIMEN_CITY, h.hukou_city).astype(np.int8)
    buys, dorm = d.buys[come], d.dorm[come]
    h.tenure = np.where(dorm, COLLECTIVE, np.where(buys, OWNER, RENTER)).astype(np.int8)
    h.arrived[:] = year
    return Population(h, persons)

"""What the levers do to the world, year by year: the one reader of lever values.

Each lever declares what it acts on (``acts_on`` in ``data/levers.toml``, from the
vocabulary of ``data/lever_actions.toml``), where (places, clusters:
``data/lever_allocation.csv``) and its terms. :meth:`Policy.year` turns one year's
lever values into a :class:`PolicyYear`, the fields the year's stages read; no
stage reads a lever by its key. A lever's time profile (from the plan's adoption,
2022, unless declared otherwise; index levers phased in to their ``full_year``; a
yearly programme ending with the plan, after which the parameter ``after_plan``
stops, continues or phases it out) and its delivered share (``delivery``: the job
levers' increment above the trend) are applied in one place, :meth:`Policy.value`;
a transport lever acts from its project's opening year instead. :meth:`Policy.quantity`
counts what a lever's unit cost is per, where the year's policy alone says it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, fields
from functools import cache, cached_property
from typing import Any

import numpy as np

from environment.inputs import read_csv
from environment.places import clusters, places
from environment.settings import LEVERS_FILE, FileError, Lever, Payment, Settings, levers
from environment.targets import PLAN_ADOPTED

INDEX_POINT = 0.01  # what an index lever's unit cost is per: 0.01 of the index


@dataclass(frozen=True)
class PaymentDue:
    """A payment lever's rule and its amount this year (in the lever's unit: yuan, yuan/yr or yuan/month)."""

    lever: str
    measure: int
    rule: Payment
    amount: float


@dataclass(frozen=True)
class PolicyYear:
    """What the levers set for one year: every field is an action's (``data/lever_actions.toml`` ``fields``).

    Arrays are read-only: float[place, cluster], float[alt] or float[place] as named.
    """

    year: int
    open_projects: frozenset[str]  # transport: the projects open this year
    new_jobs: np.ndarray  # jobs: jobs added this year, float[place, cluster] (the levers', then opened projects')
    new_dwellings: np.ndarray  # dwellings, public_rental: dwellings added this year, float[alt]
    public_rental: np.ndarray  # public_rental: of which let to newcomers at a discount, float[alt]
    school_seats: float  # school_seats: seats added in Haimen this year
    vocational_students: np.ndarray  # students: new students from outside, float[place]
    course_years: int  # students: years they study before weighing a move
    amenity: np.ndarray  # amenity: rise of the amenity index from the levers, float[alt]
    project_amenity: np.ndarray  # amenity: rise from the projects open this year, float[alt]
    school_quality: np.ndarray  # school_quality: rise of the school-quality index, float[alt]
    youth_amenity: np.ndarray  # youth_amenity: rise of the amenity index for young graduates, float[alt]
    youth_age_limit: int  # youth_amenity: young graduates are under this age
    service_access: float  # service_access: share of services for residents without a Haimen hukou
    school_access: float  # school_access: share of children without a Haimen hukou admitted to public school
    hukou_on_arrival: float  # hukou: share of newcomers allowed a Haimen hukou on arrival
    payments: tuple[PaymentDue, ...]  # payment: each paying lever's rule and amount, in declaration order
    graduate_age_limit: int  # payment: the age limit of the young_graduate condition (0: no payment names it)
    birth_support: float  # births: yuan a year per young child


def acting_on(action: str) -> tuple[Lever, ...]:
    """The modelled levers that act on ``action``, in declaration order (found once per action and registry: read
    many times a year)."""
    global _acting
    registry = levers()
    if _acting[0] is not registry:  # a new registry (levers() read anew): nothing found before holds
        _acting = registry, {}
    found = _acting[1].get(action)
    if found is None:
        found = _acting[1][action] = tuple(lv for lv in registry.values() if action in lv.acts_on)
    return found


_acting: tuple[dict[str, Lever] | None, dict[str, tuple[Lever, ...]]] = (None, {})  # registry, action -> levers


@cache
def allocation() -> dict[str, list[tuple[int, int, float]]]:
    """Where each lever acts: lever -> [(place, cluster or -1, share)]."""
    pl, keys = places(), clusters().keys
    out: dict[str, list[tuple[int, int, float]]] = defaultdict(list)
    for r in read_csv("lever_allocation.csv"):
        cluster = keys.index(r["cluster"]) if r["cluster"] else -1
        out[r["lever"]].append((pl.index(r["place"]), cluster, float(r["share"])))
    return dict(out)


@cache
def _urban_allocation(key: str) -> tuple[tuple[int, float], ...]:
    """Where lever ``key`` acts (:func:`allocation`) as the urban alternative of each place and its share."""
    pl = places()
    return tuple((int(pl.alt(place, True)), share) for place, _, share in allocation()[key])


def _read_only(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


class Policy:
    """One run's lever settings, read year by year (:meth:`year`, computed once per year)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._years: dict[int, PolicyYear] = {}
        self._values: dict[tuple[str, int], Any] = {}  # value(key, year), computed once (the settings are read-only)
        self._amounts: dict[tuple[str, int], tuple[int, np.ndarray, np.ndarray]] = {}  # amounts(key, year), as values

    def value(self, key: str, year: int):
        """A lever's value in ``year`` under its time profile and delivered share: its baseline outside the profile,
        its setting where the profile is complete (times the delivered share of the increment), in between
        linearly."""
        if (key, year) not in self._values:
            self._values[key, year] = self._value(key, year)
        return self._values[key, year]

    def _value(self, key: str, year: int):
        lever, setting = levers()[key], self.settings[key]
        share = self.profile_share(lever, year, self.settings.after_plan)
        if lever.delivery:
            share *= self.settings[lever.delivery]
        if share == 1.0:
            return setting
        if share == 0.0:
            return lever.baseline
        return lever.baseline + (setting - lever.baseline) * share

    @staticmethod
    def profile_share(lever: Lever, year: int, after_plan: str) -> float:
        """How much of the lever acts in ``year`` (0–1): its time profile, its end as ``after_plan`` says (stop: none
        after its last_full_year; phase_out: linearly down to none after its last_year; continue: no end)."""
        p = lever.profile
        first = _first_year(lever)
        full = first if p.full_year is None else p.full_year
        share = _unit_interval((year - first + 1) / (full - first + 1))
        if p.last_full_year is None or after_plan == "continue":
            return share
        last = p.last_full_year if after_plan == "stop" else p.last_year
        return min(share, _unit_interval((last - year + 1) / (last - p.last_full_year + 1)))

    def amount_since(self, key: str, since: np.ndarray, year: int) -> tuple[np.ndarray, np.ndarray]:
        """A payment lever's amount in ``year`` to recipients whose entitlement began in the years ``since`` (a
        newcomer's arrival, a child's birth): the amount in force then, or when the payment began if that was later
        (nothing before it begins). Returns the amounts float[n] and the distinct amounts among them.

        So people who arrived under a scheme are paid its amount for its declared years, after the plan too.
        """
        first, by_year, distinct = self.amounts(key, year)
        return by_year[np.clip(since, first, year) - first], distinct

    def amounts(self, key: str, year: int) -> tuple[int, np.ndarray, np.ndarray]:
        """A payment lever's amounts as :meth:`amount_since` reads them in ``year`` (computed once): the first year
        it reads, the amount in force in each year from then to ``year`` (float[years], read-only) and the distinct
        amounts among them (float, ascending, read-only)."""
        if (key, year) not in self._amounts:
            first = min(_first_year(levers()[key]), year)
            by_year = np.array([self.value(key, y) for y in range(first, year + 1)], dtype=float)  # a lookup
            self._amounts[key, year] = first, _read_only(by_year), _read_only(np.unique(by_year))
        return self._amounts[key, year]

    def quantity(self, key: str, year: int) -> float:
        """What a lever's unit cost counts in ``year`` where the policy alone says it (``[quantity.*]`` of
        lever_actions.toml): jobs delivered above the trend, seats or dwellings added, student-years, index points
        (0.01) risen, projects opened, years acting; never below 0 (a lever set below its baseline saves nothing
        here)."""
        lever = levers()[key]
        per = lever.cost.per
        if per == "project":
            return float(self.opening_year[lever.project] == year)
        if per == "year":
            acting = self.is_open(lever.project, year) if lever.project else self.value(key, year) != lever.baseline
            return float(acting)
        if per == "index_point":
            return max(self.value(key, year) - self.value(key, year - 1), 0.0) / INDEX_POINT
        if per == "student_year":
            return float(sum(self.value(key, year - k) for k in range(lever.course_years)))
        if per in ("job", "seat", "dwelling"):
            return max(self.value(key, year) - lever.baseline, 0.0)
        raise ValueError(f"{key}: its cost per {per} is counted from the residents, not the policy")

    @cached_property
    def opening_year(self) -> dict[str, int | None]:
        """Year each transport project opens under the run's levers (None: never).

        A project's lever is its opening year (or "never"); a switch (bool) opens it in its profile's first year.
        """
        out = {}
        for lever in acting_on("transport"):
            value = self.settings[lever.key]
            out[lever.project] = (_first_year(lever) if value else None) if lever.kind == "bool" else value
        return out

    def is_open(self, project: str, year: int) -> bool:
        opens = self.opening_year[project]
        return opens is not None and year >= opens

    def year(self, year: int) -> PolicyYear:
        """What the levers set in ``year`` (computed once, then kept)."""
        if year not in self._years:
            self._years[year] = self._compute(year)
        return self._years[year]

    def _compute(self, year: int) -> PolicyYear:
        dwellings, public = self._new_dwellings(year)
        return PolicyYear(
            year=year,
            open_projects=frozenset(p for p in self.opening_year if self.is_open(p, year)),
            new_jobs=_read_only(self._lever_jobs(year) + self._project_jobs(year)),
            new_dwellings=_read_only(dwellings),
            public_rental=_read_only(public),
            school_seats=sum(self.value(lv.key, year) for lv in acting_on("school_seats")),
            vocational_students=_read_only(self._vocational_students(year)),
            course_years=self._term("students", "course_years"),
            amenity=_read_only(self._amenity(year)),
            project_amenity=_read_only(self._project_amenity(year)),
            school_quality=_read_only(self._haimen_index("school_quality", year)),
            youth_amenity=_read_only(self._haimen_index("youth_amenity", year)),
            youth_age_limit=self._term("youth_amenity", "age_limit"),
            service_access=self._share("service_access", year),
            school_access=self._share("school_access", year),
            hukou_on_arrival=self._share("hukou", year),
            payments=tuple(
                PaymentDue(lv.key, lv.measure, lv.payment, self.value(lv.key, year)) for lv in acting_on("payment")
            ),
            graduate_age_limit=self._graduate_age_limit(),
            birth_support=sum(self.value(lv.key, year) for lv in acting_on("births")),
        )

    def _quantity_levers(self, action: str) -> tuple[Lever, ...]:
        """The levers acting on ``action`` by their own value (not transport projects)."""
        return tuple(lv for lv in acting_on(action) if not lv.project)

    def _lever_jobs(self, year: int) -> np.ndarray:
        """Jobs the levers add in ``year``, float[place, cluster]."""
        jobs = np.zeros((places().n, clusters().n))
        for lever in self._quantity_levers("jobs"):
            amount = self.value(lever.key, year)
            for place, cluster, share in allocation()[lever.key]:
                jobs[place, cluster] += amount * share
        return jobs

    def _project_jobs(self, year: int) -> np.ndarray:
        """Jobs opened projects bring in ``year``: their parameter's amount in equal parts over their phase-in years
        after opening, float[place, cluster]."""
        jobs = np.zeros((places().n, clusters().n))
        for lever in acting_on("jobs"):
            opens = self.opening_year.get(lever.project) if lever.project else None
            years = lever.phase_in_years
            if opens is not None and opens <= year < opens + years:
                for place, cluster, share in allocation()[lever.key]:
                    jobs[place, cluster] += self.settings[lever.amount_parameter("jobs")] / years * share
        return jobs

    def _per_alt(self, key: str, amount: float) -> np.ndarray:
        """``amount`` spread over the urban parts of the places where lever ``key`` acts, float[alt]."""
        out = np.zeros(places().n_alt)
        for alt, share in _urban_allocation(key):
            out[alt] += amount * share
        return out

    def _new_dwellings(self, year: int) -> tuple[np.ndarray, np.ndarray]:
        """Dwellings the levers add in ``year``: (all, of which public rental), float[alt]."""
        added, public = np.zeros(places().n_alt), np.zeros(places().n_alt)
        for lever in levers().values():
            if "dwellings" in lever.acts_on or "public_rental" in lever.acts_on:
                part = self._per_alt(lever.key, self.value(lever.key, year))
                added += part
                if "public_rental" in lever.acts_on:
                    public += part
        return added, public

    def _amenity(self, year: int) -> np.ndarray:
        """Rise of the amenity index from the amenity levers (where they act, else every Haimen town), float[alt]."""
        pl = places()
        bonus = np.zeros(pl.n_alt)
        for lever in self._quantity_levers("amenity"):
            amount = self.value(lever.key, year)
            if lever.key in allocation():
                bonus += self._per_alt(lever.key, amount)
            else:  # acts on every Haimen urban part
                bonus += amount * (pl.alt_in_haimen & pl.alt_urban)
        return bonus

    def _project_amenity(self, year: int) -> np.ndarray:
        """Rise of the amenity index in Haimen from the projects open in ``year``, float[alt]."""
        bonus = np.zeros(places().n_alt)
        for lever in acting_on("amenity"):
            if lever.project:
                rise = self.settings[lever.amount_parameter("amenity")] if self.is_open(lever.project, year) else 0.0
                bonus += rise * places().alt_in_haimen
        return bonus

    def _haimen_index(self, action: str, year: int) -> np.ndarray:
        """Rise of an index throughout Haimen: the sum of the levers acting on ``action``, float[alt]."""
        return sum(self.value(lv.key, year) for lv in acting_on(action)) * places().alt_in_haimen

    def _vocational_students(self, year: int) -> np.ndarray:
        """New vocational-college students from outside in ``year``, float[place]."""
        out = np.zeros(places().n)
        for lever in acting_on("students"):
            for place, _, share in allocation()[lever.key]:
                out[place] += self.value(lever.key, year) * share
        return out

    def _share(self, action: str, year: int) -> float:
        """The value of the one lever that sets the share ``action``."""
        (lever,) = _one(action)
        return self.value(lever.key, year)

    @staticmethod
    def _term(action: str, term: str) -> int:
        """A term (course years, age limit) of the one lever acting on ``action``."""
        (lever,) = _one(action)
        return getattr(lever, term)

    @staticmethod
    def _graduate_age_limit() -> int:
        """The age limit of the payments that name ``young_graduate`` (0 if none does)."""
        limits = {lv.payment.age_limit for lv in acting_on("payment") if "young_graduate" in lv.payment.who}
        if len(limits) > 1:  # the residence choice describes its deciders under one
            raise FileError(LEVERS_FILE, "payment.age_limit", sorted(limits), "one age limit for young_graduate")
        return limits.pop() if limits else 0


def _unit_interval(x: float) -> float:
    """``x`` clipped to [0, 1] (as ``np.clip``, without its overhead on one number)."""
    return min(max(x, 0.0), 1.0)


def _first_year(lever: Lever) -> int:
    """The first year a lever acts: its profile's, else the plan's adoption."""
    return PLAN_ADOPTED if lever.profile.first_year is None else lever.profile.first_year


def _one(action: str) -> tuple[Lever]:
    """The one lever acting on ``action`` (a share or a term two levers cannot both set)."""
    found = acting_on(action)
    if len(found) != 1:
        keys = [lv.key for lv in found]
        raise FileError(LEVERS_FILE, "acts_on", action, f"exactly one lever may act on it; found {keys}")
    return found


def policy_year_fields() -> tuple[str, ...]:
    """The fields of :class:`PolicyYear` that actions set (all but ``year``)."""
    return tuple(f.name for f in fields(PolicyYear) if f.name != "year")

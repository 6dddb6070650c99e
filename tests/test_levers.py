"""Every policy lever acts where it declares, and moves the outcomes it acts on the expected way over its range.

Where it acts: each modelled lever, set away from its baseline, changes the fields of the year's policy
(``PolicyYear``) that its declared actions set and no other, and every action's fields are read where
``data/lever_actions.toml`` says (a declared action with no reader fails).

``CASES`` maps each modelled lever to the outcome(s) it acts on, the expected
sign and the years to run. Each lever is evaluated at the values spanning its
range (its min, baseline, plan and max from ``levers.toml``; false/true for
switches) with every other setting held at its baseline (plus the case's
context), on the same seeds for
every value (paired draws).

Paired draws do not make a run a smooth function of a lever: households
compete for dwellings, seats and jobs through keyed lotteries, so any change
shifts who wins a few of them and the runs drift apart. Each outcome carries
its ``noise``: the standard deviation, over seeds, of its change under a
negligible perturbation (one more industrial job a year) at scale 100, by the
runs' last year (cumulative net migration: about 500 people to 2026, 800 to
2031), measured by ``scripts/lever_noise.py`` (rerun it after a change to the
model's mechanisms and update the figures below). A lever's outcome is the mean over
the case's paired seeds (σ = noise/√n); no step may go against the expected
direction by more than 3σ, and the extremes must move in the expected
direction by more than 2σ. Transport projects act for only a few years of a
short run, so their cases use twice as many seeds.

The whole sweep (a few hundred short runs at scale 100) runs once per session,
two processes at a time, and is shared by pytest-xdist workers through a file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import environment.policy as policy_module
import environment.settings as registry
from abm.model import MigrationModel
from environment.inputs import fact
from environment.places import places
from environment.policy import Policy, PolicyYear, acting_on, allocation, policy_year_fields
from environment.scenario import load
from environment.settings import FileError, SettingError, TimeProfile, lever_actions, levers, parameters, resolve
from environment.targets import PLAN_ADOPTED
from experiments.runner import RunSpec, run_many

ROOT = Path(__file__).resolve().parents[1]

SCALE = 100
SEEDS = (1, 2, 3)
TRANSPORT_SEEDS = (1, 2, 3, 4, 5, 6)
N_JOBS = 2


# ----------------------------------------------------------------- outcomes
@dataclass(frozen=True)
class Outcome:
    """A figure read from a run's tables, and its noise between paired runs of one seed."""

    name: str
    noise: Mapping[int, float]  # people, by last year: s.d. of the paired difference under a negligible change
    of: Callable[[dict], float] = field(compare=False)


def _cumulative(column: str) -> Callable[[dict], float]:
    def of(tables: dict) -> float:
        summary = tables["summary"]
        return float(summary.loc[summary.year >= PLAN_ADOPTED, column].sum())

    return of


def _places_of(lever: str) -> list[str]:
    """The places a lever acts on, from ``data/lever_allocation.csv``."""
    return sorted({places().keys[place] for place, _, _ in allocation()[lever]})


ENDS = (2026, 2027, 2030, 2031)  # the cases' last years


def population_of(lever: str) -> Outcome:
    """Residents, in the last year, of the places the lever acts on."""
    where = _places_of(lever)

    def of(tables: dict) -> float:
        yearly = tables["yearly"]
        last = yearly[(yearly.year == yearly.year.max()) & yearly.place.isin(where)]
        return float(last.population.sum())

    return Outcome(f"population of {'+'.join(where)}", dict.fromkeys(ENDS, 600.0), of)


# Noise by the runs' last year, measured with `PYTHONPATH=. .venv/bin/python scripts/lever_noise.py --seeds 12
# --end YEAR` (one more industrial job a year; 2026-11-29, after the recalibration): net migration 485 / 667 / 729 /
# 816, Shanghai worker-years 210 / 283 / 482 / 549, rural-to-urban 135 / 132 / 169 / 147, births 110 / 119 / 212 / 245
# for 2026 / 2027 / 2030 / 2031; rounded up to the next 50.
NET_MIGRATION = Outcome(
    "net migration since 2022", {2026: 500.0, 2027: 700.0, 2030: 750.0, 2031: 850.0}, _cumulative("net_migration")
)
SHANGHAI_WORKERS = Outcome(
    "worker-years in Shanghai since 2022",
    {2026: 250.0, 2027: 300.0, 2030: 500.0, 2031: 550.0},
    _cumulative("working_in_shanghai"),
)
RURAL_TO_URBAN = Outcome(
    "rural-to-urban moves since 2022",
    {2026: 150.0, 2027: 150.0, 2030: 200.0, 2031: 200.0},
    _cumulative("rural_to_urban"),
)
BIRTHS = Outcome("births since 2022", {2026: 150.0, 2027: 150.0, 2030: 250.0, 2031: 250.0}, _cumulative("births"))


# -------------------------------------------------------------------- cases
@dataclass(frozen=True)
class Case:
    """One lever, one outcome it acts on, the expected sign and how long to run."""

    lever: str
    outcome: Outcome
    sign: int  # +1: a higher value (or true) raises the outcome
    end: int
    context: dict[str, Any] = field(default_factory=dict)  # other settings held fixed
    extra_values: tuple = ()  # values besides min, baseline, plan and max
    seeds: tuple[int, ...] = SEEDS

    @property
    def id(self) -> str:
        return f"{self.lever}-{self.outcome.name.split()[0]}"

    @property
    def values(self) -> list:
        lv = levers()[self.lever]
        if lv.kind == "bool":
            return [False, True]
        years = sorted({v for v in (lv.low, lv.baseline, lv.plan, lv.high, *self.extra_values) if v is not None})
        return [*years, None] if lv.never else years  # "never" comes after the latest year

    def settings(self, value) -> dict[str, Any]:
        return {**self.context, self.lever: value}

    @property
    def sigma(self) -> float:
        """Noise of the outcome's mean over the case's seeds."""
        return self.outcome.noise[self.end] / np.sqrt(len(self.seeds))


# Transport projects are evaluated after they open (hsr 2027, tunnel 2028,
# airport 2028 at the earliest); a later opening year means less by a given year, and "never" least.
# Other levers act from 2022 and index levers are fully in place by 2025, so
# their runs end in 2026.
CASES = [
    # 1 transport
    Case("hsr_year", NET_MIGRATION, -1, 2030, extra_values=(2029,), seeds=TRANSPORT_SEEDS),
    Case("hsr_year", SHANGHAI_WORKERS, -1, 2030, extra_values=(2029,), seeds=TRANSPORT_SEEDS),
    Case("tunnel_year", NET_MIGRATION, -1, 2030, extra_values=(2030,), seeds=TRANSPORT_SEEDS),
    Case("tunnel_year", SHANGHAI_WORKERS, -1, 2030, extra_values=(2030,), seeds=TRANSPORT_SEEDS),
    Case("airport_year", NET_MIGRATION, -1, 2031, seeds=TRANSPORT_SEEDS),
    Case("roads_year", NET_MIGRATION, -1, 2027, seeds=TRANSPORT_SEEDS),
    Case("bus_integration", NET_MIGRATION, +1, 2027, seeds=TRANSPORT_SEEDS),
    Case("west_link_dwellings", population_of("west_link_dwellings"), +1, 2026),
    # 2 industry
    Case("industrial_jobs_kaifaqu", NET_MIGRATION, +1, 2026),
    Case("industrial_jobs_gangxinqu", NET_MIGRATION, +1, 2026),
    Case("industrial_jobs_sanxing", NET_MIGRATION, +1, 2026),
    Case("industrial_jobs_other", NET_MIGRATION, +1, 2026),
    # paid only to claimants (subsidy_take_up) among working graduates outside dormitories: a small effect
    # (about +100 people a year at 50,000 yuan), so twelve seeds and a year longer
    Case("talent_allowance", NET_MIGRATION, +1, 2027, seeds=tuple(range(1, 13))),
    # 3 headquarters
    Case("hq_jobs", NET_MIGRATION, +1, 2026),
    # 4 consumption
    Case("consumer_jobs", NET_MIGRATION, +1, 2026),
    Case("commercial_amenity", population_of("commercial_amenity"), +1, 2026),
    # 5 education (seats and access act without the plan's other levers too)
    Case("school_seats", NET_MIGRATION, +1, 2026),
    # a small effect against a noisy paired change (0 -> 0.2: +1,469 people to 2026, s.d. 991 over 12 seeds at
    # 1:100; the first three seeds give +559), so twelve seeds
    Case("school_quality", NET_MIGRATION, +1, 2026, seeds=tuple(range(1, 13))),
    Case(
        "nonlocal_school_access", NET_MIGRATION, +1, 2026, seeds=tuple(range(1, 7))
    ),  # a small effect: 3 seeds gave a 3σ dip
    Case("vocational_places", NET_MIGRATION, +1, 2026),
    # 6 youth
    Case("graduate_jobs", NET_MIGRATION, +1, 2026),
    Case("youth_amenity", NET_MIGRATION, +1, 2026),
    Case("graduate_subsidy", NET_MIGRATION, +1, 2026),
    # 7 livability
    # a small effect (≈ +900 over seeds 1–6 at 1:100, main and with the neighbours alike): three seeds are too few
    Case("talent_purchase_subsidy", NET_MIGRATION, +1, 2026, seeds=tuple(range(1, 7))),
    Case("rent_subsidy", NET_MIGRATION, +1, 2026),
    Case("public_rental_units", population_of("public_rental_units"), +1, 2026),
    Case("hukou_on_arrival", NET_MIGRATION, +1, 2026),
    Case("nonlocal_service_access", NET_MIGRATION, +1, 2026),
    Case("health_amenity", NET_MIGRATION, +1, 2026),
    # 8 urban–rural
    Case("homestead_compensation", RURAL_TO_URBAN, +1, 2026),
    Case("featured_towns", population_of("featured_towns"), +1, 2026),
    # 9 green
    Case("green_amenity", NET_MIGRATION, +1, 2026),
    # 10 children
    Case("childcare_subsidy", BIRTHS, +1, 2026),
]

# Cases found to have no detectable or a wrong-signed effect (model defects to fix), by case id, with the
# reason; each stays in CASES, marked xfail(strict=True), so it fails again once the model changes.
# History: with the calibration of 2026-11-29 10:22 (cross_city_job = -4.13) hsr_open-net (+335 people
# by 2030), tunnel_open-net (+130), tunnel_year-net (+430) and bus_integration-net (+150 by 2027) were
# all below 2σ ≈ 650; with the long-commute penalty and cross_city_job = -1.24 they pass.
KNOWN_DEFECTS: dict[str, str] = {}


# -------------------------------------------------------------------- sweep
def _key(settings: dict[str, Any], end: int, seed: int) -> tuple:
    """The same run however its settings are spelled (values equal to the baseline dropped)."""
    return tuple(sorted(resolve(settings).changed().items())), end, seed


def _specs() -> dict[tuple, RunSpec]:
    specs = {}
    for case in CASES:
        for value in case.values:
            for seed in case.seeds:
                specs[_key(case.settings(value), case.end, seed)] = RunSpec(
                    case.settings(value), scale=SCALE, seed=seed, end=case.end
                )
    for seed in sorted({seed for case in CASES for seed in case.seeds}):  # every lever at baseline
        specs[_key({}, 2027, seed)] = RunSpec({}, scale=SCALE, seed=seed, end=2027)
    return specs


def _compute() -> dict[tuple, dict]:
    """Every run of the sweep, reduced to the outcomes of the cases and the years before the plan."""
    specs = _specs()
    outcomes = {case.outcome.name: case.outcome for case in CASES}
    results = {}
    for key, tables in zip(specs, run_many(list(specs.values()), n_jobs=N_JOBS), strict=True):
        summary = tables["summary"]
        results[key] = {
            "outcomes": {name: o.of(tables) for name, o in outcomes.items()},
            "before_plan": summary[summary.year < PLAN_ADOPTED].to_numpy(dtype=float),
        }
    return results


@pytest.fixture(scope="module")
def sweep(shared_across_workers) -> dict[tuple, dict]:
    """The sweep's results, computed once per session (and shared by pytest-xdist workers)."""
    return shared_across_workers("lever_sweep", _compute)


def _outcomes(sweep: dict, case: Case, value) -> list[float]:
    return [sweep[_key(case.settings(value), case.end, seed)]["outcomes"][case.outcome.name] for seed in case.seeds]


# -------------------------------------------------------------------- tests
def test_every_modelled_lever_has_a_case():
    modelled = {k for k, lv in levers().items() if lv.modelled}
    covered = {case.lever for case in CASES}
    assert covered == modelled, f"missing: {sorted(modelled - covered)}, not modelled: {sorted(covered - modelled)}"
    assert set(KNOWN_DEFECTS) <= {case.id for case in CASES}


def test_cases_are_well_formed():
    for case in CASES:
        assert case.sign in (-1, +1), case.id
        assert len(case.values) >= 2, case.id
        for key, value in case.context.items():
            assert key != case.lever, case.id
            resolve({key: value})  # a valid setting
        for value in case.values:
            levers()[case.lever].check(value)
        # transport projects must be open within the run for at least one value
        lv = levers()[case.lever]
        if lv.unit == "year":
            assert min(v for v in case.values if v is not None) < case.end, case.id


# ------------------------------------------------------- where each lever acts
ACTING = (
    2033  # every lever acts: index levers complete (2025), projects open at their plan years, airport jobs arriving
)


def _away(key: str):
    """A value of the lever away from its baseline: its plan's, else the end of its range farther away."""
    lv = levers()[key]
    if lv.kind == "bool":
        return not lv.baseline
    if lv.plan != lv.baseline:
        return lv.plan
    return lv.high if lv.baseline != lv.high else lv.low


def _same(a, b) -> bool:
    return np.array_equal(a, b) if isinstance(a, np.ndarray) else a == b


def _changed(a: PolicyYear, b: PolicyYear) -> set[str]:
    """The fields of two years' policies that differ."""
    return {f for f in policy_year_fields() if not _same(getattr(a, f), getattr(b, f))}


def _policy_year(settings: dict, year: int) -> PolicyYear:
    return Policy(resolve({"after_plan": "continue", **settings})).year(year)  # where it acts, not when


@pytest.mark.parametrize("key", [k for k, lv in levers().items() if lv.modelled])
def test_lever_moves_the_fields_its_actions_declare_and_no_other(key):
    lever, actions = levers()[key], lever_actions()
    changed = _changed(_policy_year({}, ACTING), _policy_year({key: _away(key)}, ACTING))
    declared = {f for action in lever.acts_on for f in actions[action].fields}
    assert changed <= declared, f"{key} moves {sorted(changed - declared)}, which none of {lever.acts_on} sets"
    for action in lever.acts_on:
        assert changed & set(actions[action].fields), f"{key} acts on {action} but moves none of its fields"


@pytest.mark.parametrize("key", [k for k, lv in levers().items() if lv.modelled])
def test_no_lever_acts_before_the_plan(key):
    assert not _changed(_policy_year({}, PLAN_ADOPTED - 1), _policy_year({key: _away(key)}, PLAN_ADOPTED - 1))


def test_every_policy_field_belongs_to_an_action_and_every_action_to_a_lever():
    declared = [f for a in lever_actions().values() for f in a.fields]
    assert set(declared) == set(policy_year_fields())
    assert {a for lv in levers().values() for a in lv.acts_on} == set(lever_actions())


def _readers(action: str) -> list[tuple[str, list[str]]]:
    """Each ``read_by`` entry of an action: its file's text and the functions it names."""
    out = []
    for entry in lever_actions()[action].read_by:
        path, what = entry.split(": ", 1)
        names = [name.strip().split(".")[-1] for name in what.split("(")[0].split(",")]
        out.append(((ROOT / path).read_text(encoding="utf-8"), names))
    return out


@pytest.mark.parametrize("action", list(lever_actions()))
def test_every_action_is_read_where_it_says(action):
    readers = _readers(action)
    for text, names in readers:
        for name in names:
            assert re.search(rf"def {name}\b", text), f"{action}: read_by names {name}, not defined there"
    for f in lever_actions()[action].fields:
        assert any(re.search(rf"\.{f}\b", text) for text, _ in readers), f"{action}: nothing reads PolicyYear.{f}"


def test_time_profile_ramps_in_and_out():
    """The one place a profile applies: linear from first_year to full_year; after last_full_year, as after_plan
    says: nothing (stop), linearly down to nothing after last_year (phase_out), no end (continue)."""
    lever = replace(
        levers()["green_amenity"],
        profile=TimeProfile(first_year=2024, full_year=2026, last_full_year=2030, last_year=2032),
    )
    shares = {after: [Policy.profile_share(lever, y, after) for y in range(2022, 2035)] for after in AFTER_PLAN}
    ramp = [0, 0, 1 / 3, 2 / 3, 1, 1, 1, 1, 1]
    assert shares["phase_out"] == pytest.approx([*ramp, 2 / 3, 1 / 3, 0, 0])
    assert shares["stop"] == pytest.approx([*ramp, 0, 0, 0, 0])
    assert shares["continue"] == pytest.approx([*ramp, 1, 1, 1, 1])


AFTER_PLAN = ("stop", "continue", "phase_out")
PLAN_ENDS = 2025


def test_levers_act_from_adoption_and_index_levers_phase_in():
    policy = Policy(resolve({"green_amenity": 0.08, "rent_subsidy": 900, "hukou_on_arrival": 0.3}))
    assert [policy.value("green_amenity", y) for y in range(2021, 2027)] == pytest.approx(
        [0, 0.02, 0.04, 0.06, 0.08, 0.08]
    )
    assert [policy.value("rent_subsidy", y) for y in (2021, 2022, 2025)] == [0, 900, 900]
    assert [policy.value("hukou_on_arrival", y) for y in (2021, 2022, 2035)] == [
        levers()["hukou_on_arrival"].baseline,
        0.3,
        0.3,
    ]


@pytest.mark.parametrize("key", [k for k, lv in levers().items() if lv.modelled])
def test_a_lever_acts_only_within_its_profile(key):
    """Away from its baseline, a lever moves the year's policy only from its first year (or its project's opening)
    and, if its profile ends with the plan, not after 2025 when the plan stops; what is built or reformed stays."""
    lever, fixed = levers()[key], {"delivery_share": 1.0, "after_plan": "stop"}
    default, moved = Policy(resolve(fixed)), Policy(resolve({key: _away(key), **fixed}))
    acting = [y for y in range(2020, 2036) if _changed(default.year(y), moved.year(y))]
    first = moved.opening_year[lever.project] if lever.project else PLAN_ADOPTED
    assert acting and min(acting) >= (first or 2036), f"{key} acts in {acting}"
    if lever.profile.last_full_year is not None:
        assert max(acting) == lever.profile.last_full_year == PLAN_ENDS, f"{key} acts in {acting}"
    elif not lever.project:
        assert max(acting) == 2035, f"{key} stops in {max(acting)}: what is built or reformed stays"


@pytest.mark.parametrize("key", [k for k, lv in levers().items() if lv.profile.last_full_year is not None])
def test_after_plan_choices_differ_as_declared_and_only_after_2025(key):
    """stop, continue and phase_out give the same lever values to 2025; after it, stop gives the baseline,
    continue the setting, phase_out a linear fall to the baseline by its last_year + 1."""
    lever = levers()[key]
    value = {
        after: [
            Policy(resolve({key: _away(key), "after_plan": after, "delivery_share": 1.0})).value(key, y)
            for y in range(2020, 2036)
        ]
        for after in AFTER_PLAN
    }
    years = list(range(2020, 2036))
    plan_years = [i for i, y in enumerate(years) if y <= PLAN_ENDS]
    for after in AFTER_PLAN:
        assert [value[after][i] for i in plan_years] == [value["continue"][i] for i in plan_years], after
    later = [i for i, y in enumerate(years) if y > PLAN_ENDS]
    assert all(value["stop"][i] == lever.baseline for i in later)
    assert all(value["continue"][i] == _away(key) for i in later)
    fall = [value["phase_out"][i] - lever.baseline for i in later]
    steps = np.diff([_away(key) - lever.baseline, *fall])
    assert all(np.sign(steps) == -np.sign(_away(key) - lever.baseline)) or not any(fall[len(steps) :])
    end = years.index(lever.profile.last_year + 1)
    assert value["phase_out"][end] == lever.baseline and value["phase_out"][end - 1] != lever.baseline


DELIVERED = [k for k, lv in levers().items() if lv.delivery]


def test_delivery_scales_only_the_job_levers_increment_above_the_trend():
    """Share 1 gives the setting, 0 the baseline (the trend), monotone in between; levers that do not name it and
    the baseline's own values are untouched."""
    assert {levers()[k].delivery for k in DELIVERED} == {"delivery_share"}
    assert {a for k in DELIVERED for a in levers()[k].acts_on} == {"jobs"}
    shares = (0.0, 0.1, 0.25, 0.55, 1.0)
    for key in DELIVERED:
        lever = levers()[key]
        setting = lever.high
        values = [Policy(resolve({key: setting, "delivery_share": s})).value(key, 2023) for s in shares]
        assert values[0] == lever.baseline and values[-1] == setting, key
        assert np.all(np.diff(values) > 0), key
        assert values == pytest.approx([lever.baseline + s * (setting - lever.baseline) for s in shares]), key
        baseline = [Policy(resolve({"delivery_share": s})).value(key, 2023) for s in shares]
        assert baseline == [lever.baseline] * len(shares), key  # the trend is not scaled
    jobs = [Policy(resolve({**load("plan").settings, "delivery_share": s})).year(2023).new_jobs.sum() for s in shares]
    trend = Policy(resolve()).year(2023).new_jobs.sum()
    increment = np.array(jobs) - trend
    assert increment == pytest.approx(increment[-1] * np.array(shares))
    others = [k for k, lv in levers().items() if lv.modelled and not lv.delivery and lv.kind in ("int", "float")]
    for key in others:
        values = {Policy(resolve({key: _away(key), "delivery_share": s})).value(key, 2023) for s in shares}
        assert len(values) == 1, key


def test_allocation_rows_name_levers_that_act_where():
    placed = {"jobs", "dwellings", "public_rental", "students", "amenity"}
    for key in allocation():
        assert placed & set(levers()[key].acts_on), (
            f"data/lever_allocation.csv places {key}, which acts on none of {placed}"
        )
    for action in ("jobs", "dwellings", "public_rental", "students"):
        for lever in acting_on(action):
            assert lever.key in allocation(), (
                f"{lever.key} acts on {action} but data/lever_allocation.csv places it nowhere"
            )


@pytest.mark.parametrize(
    "key",
    [k for k in allocation() if {"jobs", "dwellings", "public_rental", "students"} & set(levers()[k].acts_on)],
)
def test_lever_quantities_are_shared_out_whole(key):
    assert sum(share for _, _, share in allocation()[key]) == pytest.approx(1.0)


BAD_DECLARATIONS = [
    (("hsr_year", "acts_on", ["teleport"]), "hsr_year.acts_on = 'teleport': not an action; allowed: transport"),
    (("hsr_year", "act_on", ["transport"]), "hsr_year.act_on: unknown key; did you mean 'acts_on'"),
    (("school_seats", "acts_on", []), "school_seats.acts_on = \\[\\]: a modelled lever acts on something"),
    (("rent_subsidy", "payment", None), "rent_subsidy.payment: required when acting on payment"),
    (
        ("rent_subsidy", "payment.who", ["newcomer", "rich"]),
        "rent_subsidy.payment.who = 'rich': not a household condition",
    ),
    (("graduate_subsidy", "payment.age_limit", None), "graduate_subsidy.payment.age_limit: required"),
    (("airport_year", "amounts", {"jobs": "airport_jobs"}), "airport_year.amounts = .*a parameter for each of"),
    (("green_amenity", "profile", {"first_year": 2026, "full_year": 2024}), "green_amenity.profile = .*in order"),
    (("school_seats", "profile", {"last_full_year": 2025}), "school_seats.profile = .*together"),
    (("school_seats", "cost", None), "school_seats.cost: required when acting on something"),
    (
        ("school_seats", "cost.per", "job"),
        "school_seats.cost.per = 'job': a quantity of its actions; allowed: seat, year",
    ),
    (("hsr_year", "cost.budget", "province"), "hsr_year.cost.budget = 'province': one of haimen, external"),
    (("hsr_year", "cost.yuan", 1), "hsr_year.cost.yuan = 1: within its range"),
    (("hq_jobs", "delivery", "beta_income"), "hq_jobs.delivery = 'beta_income': a share parameter"),
    (("hsr_year", "delivery", "delivery_share"), "hsr_year.delivery = 'delivery_share': only for a lever acting by"),
]


@pytest.mark.parametrize(
    ("change", "message"), BAD_DECLARATIONS, ids=[c[0][0] + "." + c[0][1] for c in BAD_DECLARATIONS]
)
def test_levers_refuse_a_bad_declaration(monkeypatch, change, message):
    key, term, value = change
    read = registry.read_toml

    def edited(name: str) -> dict:
        data = read(name)
        if name == "levers.toml":
            table, *sub = term.split(".")
            target = data[key] if not sub else data[key][table]
            name_ = sub[0] if sub else table
            if value is None:
                target.pop(name_)
            else:
                target[name_] = value
        return data

    monkeypatch.setattr(registry, "read_toml", edited)
    registry.levers.cache_clear()
    try:
        with pytest.raises(FileError, match=f"^environment/data/levers.toml: {message}"):
            registry.levers()
    finally:
        monkeypatch.undo()
        registry.levers.cache_clear()


def test_lever_registry_values_are_in_range():
    for key, lv in levers().items():
        assert 1 <= lv.measure <= 10, key
        assert lv.items, key
        assert lv.check(lv.baseline) == lv.baseline, key
        assert lv.check(lv.plan) == lv.plan, key
        if lv.kind != "bool":
            assert lv.low < lv.high, key
    assert {lv.measure for lv in levers().values()} == set(range(1, 11))


@pytest.mark.parametrize("key", [k for k, lv in levers().items() if not lv.modelled])
def test_a_lever_that_is_not_modelled_takes_only_its_baseline(key):
    lv = levers()[key]
    assert len(lv.reason.strip()) > 20
    assert key not in load("plan").settings
    assert resolve({key: lv.baseline})[key] == lv.baseline
    with pytest.raises(SettingError, match=f"{key} = .*not modelled"):
        MigrationModel(scale=1000, end=2021, rng=1, **{key: lv.plan})


def test_baseline_and_plan_differ_only_through_levers():
    baseline, plan = load("baseline"), load("plan")
    differing = {
        k
        for k in set(baseline.settings) | set(plan.settings)
        if baseline.settings.get(k, resolve()[k]) != plan.settings.get(k, resolve()[k])
    }
    assert differing, "the plan should change some levers"
    assert differing <= set(levers()), f"not levers: {sorted(differing - set(levers()))}"
    assert all(levers()[k].modelled for k in differing)
    run_options = [(s.scale, s.seed, s.start, s.end) for s in (baseline, plan)]
    assert run_options[0] == run_options[1]


@pytest.mark.slow
def test_levers_act_only_from_plan_adoption(sweep):
    """Before 2022 every run is the baseline run of its seed, figure for figure."""
    for (settings, _end, seed), result in sweep.items():
        baseline = sweep[_key({}, 2027, seed)]["before_plan"]
        assert baseline.shape[0] == PLAN_ADOPTED - 2020
        np.testing.assert_array_equal(result["before_plan"], baseline, err_msg=f"{dict(settings)}, seed {seed}")


def _param(case: Case):
    marks = [pytest.mark.slow]
    if case.id in KNOWN_DEFECTS:
        marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_DEFECTS[case.id]))
    return pytest.param(case, id=case.id, marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_lever_moves_its_outcome_monotonically(case: Case, sweep):
    values = case.values
    per_seed = np.array([_outcomes(sweep, case, v) for v in values])  # [value, seed]
    assert np.isfinite(per_seed).all()
    means = per_seed.mean(axis=1)
    tolerance, min_effect = 3 * case.sigma, 2 * case.sigma
    report = "\n".join(
        f"  {case.lever} = {v!s:>8}: mean {m:12,.0f}   seeds {', '.join(f'{x:,.0f}' for x in row)}"
        for v, m, row in zip(values, means, per_seed, strict=True)
    )
    direction = "rise" if case.sign > 0 else "fall"
    what = f"{case.outcome.name} to {case.end} should {direction} with {case.lever} (context {case.context}):\n{report}"
    steps = case.sign * np.diff(means)
    assert (steps >= -tolerance).all(), f"a step goes the wrong way by more than {tolerance:,.0f} (3σ); {what}"
    total = case.sign * (means[-1] - means[0])
    assert total > min_effect, f"extremes differ by {total:+,.0f}, not more than {min_effect:,.0f} (2σ); {what}"


def test_the_plan_as_written_is_the_default_and_the_other_choices_are_scenarios():
    """after_plan defaults to stop (the plan's targets run to 2025 and no successor was found); delivery's central
    value lies in its evidence range, under the ceiling Haimen's reported urban new jobs put on it (0.55–0.65)."""
    assert parameters()["after_plan"].default == "stop"
    delivery = parameters()["delivery_share"]
    assert delivery.low <= delivery.default <= delivery.high <= 0.65 and delivery.accepted == (0.0, 1.0)
    plan = load("plan").settings
    for name, change in {
        "plan_continued": {"after_plan": "continue"},
        "plan_phased_out": {"after_plan": "phase_out"},
        "plan_full_delivery": {"delivery_share": 1.0},
    }.items():
        assert load(name).settings == {**plan, **change}, name


def test_delivery_ceiling_is_what_haimens_reported_urban_new_jobs_allow():
    """The range's high end: every one of Haimen's 2022 urban new jobs a net new job beyond the trend."""
    jobs = [lv for lv in levers().values() if lv.delivery]
    trend, plan = sum(lv.baseline for lv in jobs), sum(lv.plan for lv in jobs)
    ceiling = (fact("jobs_urban_new", "Haimen", 2022) - trend) / (plan - trend)
    assert parameters()["delivery_share"].high == pytest.approx(ceiling, abs=0.005)


def test_levers_acting_on_an_action_follow_a_new_registry(monkeypatch):
    """``acting_on`` (found once per action) reads the registry in force: a registry read anew is not answered from
    the one before."""
    before = acting_on("payment")
    assert before and acting_on("payment") is before  # found once
    fewer = {lv.key: lv for lv in before[1:]}  # a registry without the first payment lever
    monkeypatch.setattr(policy_module, "levers", lambda: fewer)
    assert acting_on("payment") == before[1:]
    monkeypatch.undo()
    assert acting_on("payment") == before

"""Full costs: every modelled lever declares a unit cost, and the spending table books every lever.

A run of the plan (every lever away from its baseline, the plan continued so that the transport projects open
within it) must give each modelled lever a row; each row's yuan is its quantity times its unit cost (a payment's,
what it pays); capital financed outside Haimen's budget stays on its own line and out of the ``spending``
outcome; the unit-cost range applies afterwards (``spending_at``), low ≤ central ≤ high. Payments keep the amounts
the residence choice weighs: unchanged by the cost work, and after the plan still paid, for their declared years,
to people who arrived under them.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from abm.model import MigrationModel
from abm.recording import spending_at
from environment.policy import INDEX_POINT, Policy
from environment.scenario import load
from environment.settings import BUDGETS, COST_LEVELS, cost_quantities, levers, resolve
from environment.targets import PLAN_ADOPTED

ROOT = Path(__file__).resolve().parents[1]
PLAN_ENDS = 2025
MODELLED = [k for k, lv in levers().items() if lv.modelled]


def _run(end: int, **settings) -> MigrationModel:
    model = MigrationModel(scale=100, end=end, rng=1, **{**load("plan").settings, **settings})
    while model.running:
        model.step()
    return model


@pytest.fixture(scope="module")
def continued() -> MigrationModel:
    """The plan continued to 2031 (every project open by then), the other towns' jobs above their trend."""
    return _run(2031, after_plan="continue", delivery_share=1.0, industrial_jobs_other=1000)


@pytest.fixture(scope="module")
def stopped() -> MigrationModel:
    """The plan as written: its yearly programmes stop after 2025."""
    return _run(2028, after_plan="stop")


def test_every_modelled_lever_declares_a_unit_cost_with_its_range_and_basis():
    for key in MODELLED:
        cost = levers()[key].cost
        assert cost is not None, key
        assert cost.low <= cost.yuan <= cost.high, key
        assert cost.per in cost_quantities() and cost.budget in BUDGETS, key
        assert len(cost.basis) > 40, key
        assert [cost.at(level) for level in COST_LEVELS] == sorted(cost.at(level) for level in COST_LEVELS), key
    for key, lv in levers().items():
        if "payment" in lv.acts_on:
            assert (lv.cost.per, lv.cost.yuan, lv.cost.low, lv.cost.high) == ("yuan_paid", 1, 1, 1), key
        if lv.project and lv.kind == "year":
            assert lv.cost.budget == "external", f"{key}: a megaproject is financed outside Haimen's budget"
    assert all(not lv.cost for lv in levers().values() if not lv.modelled)


def test_every_quantity_is_counted_where_it_says():
    for quantity in cost_quantities().values():
        path, name = quantity.counted_by.split(": ")
        text = (ROOT / path).read_text(encoding="utf-8")
        assert re.search(rf"def {name.split('.')[-1]}\b", text), quantity.counted_by
        assert f'"{quantity.key}"' in text, f"{quantity.key} is not counted in {path}"
    used = {lv.cost.per for lv in levers().values() if lv.cost}
    assert used == set(cost_quantities()), "a quantity no lever's cost is per"


def test_every_modelled_lever_appears_in_the_spending_table(continued):
    spending = continued.tables()["spending"]
    assert set(spending.lever) == set(MODELLED)
    assert ((spending.quantity > 0) | (spending.yuan + spending.external_yuan > 0)).all()
    assert spending.groupby(["year", "lever"]).size().max() == 1
    assert spending.year.min() == PLAN_ADOPTED


def test_each_row_is_its_quantity_at_its_unit_cost_on_its_budget(continued):
    spending = continued.tables()["spending"]
    for row in spending.itertuples():
        cost = levers()[row.lever].cost
        total = row.yuan + row.external_yuan
        if cost.per == "yuan_paid":
            assert row.recipients == row.quantity and row.unit == levers()[row.lever].payment.per
        else:
            assert row.recipients == 0 and row.unit == cost.per
            assert total == pytest.approx(row.quantity * cost.yuan), row.lever
        assert (row.external_yuan if cost.budget == "haimen" else row.yuan) == 0, row.lever
    external = spending[spending.external_yuan > 0]
    assert set(external.lever) == {k for k in MODELLED if levers()[k].cost.budget == "external"}
    opened = dict(zip(external.lever, external.year, strict=True))  # a project's capital in its opening year
    assert opened == {k: continued.settings[k] for k in opened}


def test_the_spending_outcomes_keep_haimens_budget_and_outside_capital_apart(continued):
    spending = continued.tables()["spending"].groupby("year")[["yuan", "external_yuan"]].sum()
    outcomes = continued.outcomes().pivot(index="year", columns="outcome", values="value")
    np.testing.assert_allclose(outcomes.loc[spending.index, "spending"], spending.yuan)
    np.testing.assert_allclose(outcomes.loc[spending.index, "external_capital"], spending.external_yuan)


def test_the_unit_cost_range_applies_to_the_recorded_quantities(continued):
    spending = continued.tables()["spending"]
    low, central, high = (spending_at(spending, level) for level in COST_LEVELS)
    pd.testing.assert_frame_equal(central, spending)
    for column in ("yuan", "external_yuan"):
        assert (low[column] <= central[column]).all() and (central[column] <= high[column]).all()
    paid = spending.lever.map(lambda k: levers()[k].cost.per == "yuan_paid")
    pd.testing.assert_frame_equal(low[paid], spending[paid])  # payments cost what they pay
    jobs = spending.lever == "industrial_jobs_kaifaqu"
    np.testing.assert_allclose(high[jobs].yuan, spending[jobs].quantity * levers()["industrial_jobs_kaifaqu"].cost.high)
    with pytest.raises(ValueError, match="level = 'median'"):
        spending_at(spending, "median")


def test_quantities_follow_the_policy_in_closed_form():
    """Jobs: the delivered increment above the trend; index points: the rise, the whole plan value by 2025;
    student-years: each intake for its course years; a project: once, in its opening year."""
    settings = resolve({**load("plan").settings, "delivery_share": 0.25, "after_plan": "stop"})
    policy = Policy(settings)
    kaifaqu = levers()["industrial_jobs_kaifaqu"]
    assert policy.quantity(kaifaqu.key, 2023) == 0.25 * (kaifaqu.plan - kaifaqu.baseline)
    assert policy.quantity(kaifaqu.key, 2026) == 0.0  # the plan as written stops
    green = levers()["green_amenity"]
    points = [policy.quantity(green.key, y) for y in range(2020, 2036)]
    assert sum(points) == pytest.approx(green.plan / INDEX_POINT) and max(points[6:]) == 0
    students = [policy.quantity("vocational_places", y) for y in range(2021, 2029)]
    assert students == [0, 1000, 2000, 2000, 2000, 1000, 0, 0]
    hsr = [policy.quantity("hsr_year", y) for y in range(2020, 2036)]
    assert sum(hsr) == 1 and hsr[settings["hsr_year"] - 2020] == 1
    bus = [policy.quantity("bus_integration", y) for y in range(2020, 2036)]
    assert bus == [0, 0] + [1] * 14  # a running cost while it runs


def test_payments_keep_the_amounts_the_choice_weighs(continued):
    """While a payment is unchanged, its yuan are its recipients × amount × months, as before the cost work."""
    spending = continued.tables()["spending"]
    for key in ("rent_subsidy", "talent_allowance", "graduate_subsidy", "childcare_subsidy"):
        rows = spending[spending.lever == key]
        lever = levers()[key]
        assert len(rows) == continued.end - PLAN_ADOPTED + 1, key
        np.testing.assert_array_equal(rows.yuan, rows.recipients * (lever.plan * lever.payment.months))


def test_after_the_plan_people_who_arrived_under_a_scheme_are_paid_its_years(stopped, continued):
    spending = stopped.tables()["spending"]
    paid = {key: set(spending.loc[(spending.lever == key) & (spending.yuan > 0), "year"]) for key in levers()}
    years = set(range(PLAN_ADOPTED, PLAN_ENDS + 1))
    for key in ("graduate_subsidy", "talent_purchase_subsidy", "homestead_compensation"):  # once, on arrival
        assert paid[key] == years, key
    for key in ("rent_subsidy", "talent_allowance"):  # three years: the 2025 arrivals to 2027
        assert paid[key] == years | {2026, 2027}, key
    assert paid["childcare_subsidy"] == years | {2026, 2027, 2028}  # the national subsidy continues
    assert not {y for k in MODELLED if levers()[k].cost.per == "job" for y in paid[k]} - years
    later = {key: spending[(spending.lever == key) & (spending.year == 2026)].yuan.sum() for key in ("rent_subsidy",)}
    again = continued.tables()["spending"]
    assert later["rent_subsidy"] < again[(again.lever == "rent_subsidy") & (again.year == 2026)].yuan.sum()

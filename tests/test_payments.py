"""Payments: one rule per payment lever, read alike by the residence choice and the spending table.

The drift test runs the plan for a few years, keeps the last year's residence choices, and evaluates every
payment's rule twice on the same households: as the choice saw them at the alternative they chose
(``agents.residence.payment_features``) and as the spending table sees them once they live there
(``agents.payments.Residents``). The two must name the same recipients, household by household.
"""

from __future__ import annotations

import numpy as np
import pytest

from abm.model import MigrationModel
from abm.recording import paid_residents, year_counts
from agents.payments import Residents, at_choice, paid_at_move, recipients
from agents.residence import payment_features, subsidies
from environment.places import places
from environment.policy import acting_on
from environment.settings import Payment
from environment.targets import PLAN_ADOPTED

YEAR = PLAN_ADOPTED + 2


@pytest.fixture(scope="module")
def seen_twice():
    """The plan at 1:100 to ``YEAR``: the last year's choices and the record's counts of the same year."""
    model = MigrationModel(scenario="plan", scale=100, end=YEAR, rng=1)
    captured = {}
    apply_moves, record = model.apply_moves, model.record

    def keep_choices(choices):
        captured["choices"] = choices
        apply_moves(choices)

    def keep_counts(counted):
        captured["counts"] = year_counts(model, counted)
        record(counted)

    model.apply_moves, model.record = keep_choices, keep_counts
    while model.running:
        model.step()
    return model, captured["choices"], captured["counts"]


def _by_household(model: MigrationModel, residents: Residents, rule: Payment) -> np.ndarray:
    """Recipients of ``rule`` per household of the population, as the spending table counts them."""
    paid = residents.paid(rule)
    if rule.per == "household":
        return np.broadcast_to(paid, len(model.population.households)).astype(float)
    return np.bincount(model.population.persons.household, weights=paid, minlength=len(model.population.households))


CHOICE_PAYMENTS = [
    lv.key for lv in acting_on("payment") if lv.payment.in_residence_choice and not paid_at_move(lv.payment)
]


@pytest.mark.parametrize("key", CHOICE_PAYMENTS)
def test_choice_and_spending_pay_the_same_newcomers(seen_twice, key):
    model, choices, counts = seen_twice
    rule = next(lv.payment for lv in acting_on("payment") if lv.key == key)
    d, choice = choices.deciders, choices.choice
    came = d.from_pool & places().alt_in_haimen[choice]
    in_choice = recipients(rule, at_choice(payment_features(d), choice))
    in_choice = np.broadcast_to(in_choice, len(d))[came].astype(float)
    assert in_choice.sum() > 0, f"no newcomer is paid {key}: the comparison would be empty"

    h = model.population.households
    spent = _by_household(model, paid_residents(model, counts), rule)
    row_of = {k: i for i, k in enumerate(h.key.tolist())}
    rows = np.array([row_of[k] for k in d.key[came].tolist()])
    assert (h.arrived[rows] == model.year).all()
    np.testing.assert_array_equal(spent[rows], in_choice, err_msg=f"{key}: the choice and the spending disagree")


def test_choice_and_spending_pay_the_same_movers_to_town(seen_twice):
    """The homestead compensation is counted at the move with its rule (not_dormitory included), as the choice
    weighs it: the spending table's recipients are the movers the rule pays at the alternative they chose."""
    model, choices, _ = seen_twice
    (lever,) = [lv for lv in acting_on("payment") if paid_at_move(lv.payment)]
    d, choice = choices.deciders, choices.choice
    paid = np.broadcast_to(recipients(lever.payment, at_choice(payment_features(d), choice)), len(d))
    assert paid.any()
    moving_from_a_farm = ~d.from_pool & (choice != d.current) & ~places().alt_urban[d.current]
    assert (paid <= moving_from_a_farm).all()
    assert (d.dorm & moving_from_a_farm & places().alt_urban[choice]).any(), "no dormitory mover: the test is empty"
    assert float(d.weight[paid].sum()) == pytest.approx(model.events.paid_at_move[lever.key], rel=1e-12)  # same rows
    spending = model.tables()["spending"]
    row = spending[(spending.year == model.year) & (spending.lever == lever.key)].iloc[0]
    assert row.recipients == model.events.paid_at_move[lever.key]
    assert row.yuan == row.recipients * model.settings[lever.key]


def test_a_claiming_renter_moving_in_is_paid_months_times_years_of_rent(seen_twice):
    """Closed form: rent × 12 months × 3 years over the horizon, in Haimen only, for a claiming renting newcomer
    without a degree; nothing for one who does not claim."""
    model, choices, _ = seen_twice
    d, world = choices.deciders, model.world
    rule = next(lv.payment for lv in acting_on("payment") if lv.key == "rent_subsidy")
    renter = d.from_pool & d.takes_up & ~d.buys & ~d.dorm & ~d.college
    idle = d.from_pool & ~d.takes_up
    assert renter.any() and idle.any()
    paid = subsidies(d, world, model.year)
    haimen = places().alt_in_haimen
    expected = rule.months * rule.years * model.settings["rent_subsidy"] / model.settings["subsidy_horizon"]
    assert rule.months == 12 and rule.years == 3
    np.testing.assert_array_equal(paid[renter][:, haimen], expected)
    assert (paid[renter][:, ~haimen] == 0).all()
    assert (paid[idle] == 0).all()


def test_the_rule_counts_per_and_all_conditions():
    """recipients: the ``per`` count where every condition holds; newcomers only within the rule's years."""
    rule = Payment(per="college_worker", who=("newcomer", "claims"), years=3)
    features = {
        "college_worker": np.array([2.0, 1.0, 1.0, 3.0]),
        "newcomer": np.array([True, True, False, True]),
        "claims": np.array([True, False, True, True]),
        "years_here": np.array([0, 0, 0, 3]),
    }
    np.testing.assert_array_equal(recipients(rule, features), [2.0, 0.0, 0.0, 0.0])
    household = Payment(per="household", who=("renting",))
    np.testing.assert_array_equal(recipients(household, {"household": True, "renting": np.array([1, 0])}), [1, 0])

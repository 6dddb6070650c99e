"""The plan's payments: whom each one pays, by one rule read by the residence choice and the spending table.

A payment lever declares its rule in ``levers.toml`` (``[KEY.payment]``): what one
recipient is (``per``: a household, or a person such as a college-educated
worker), the conditions the household meets (``who``), the months paid a year
and the years paid. :func:`recipients` evaluates the rule on a table of named
features (``data/lever_actions.toml`` ``[recipient.*]``), whoever passes it: the
residence choice passes its deciders' features for each alternative
(``agents.residence.payment_features``: how the payment would find them if they
moved there), the spending table the features of the households and persons in
Haimen this year (:class:`Residents`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from agents.population import COLLECTIVE, OWNER, RENTER, Population
from agents.streams import Channel, uniform
from environment.policy import PaymentDue
from environment.settings import Payment, Settings, payment_conditions


def recipients(rule: Payment, features: Mapping[str, Any], household_of: np.ndarray | None = None) -> np.ndarray:
    """How many recipients of a payment each row of ``features`` holds: ``features[rule.per]`` (true for a household,
    else persons) where every condition in ``rule.who`` holds, newcomers while they arrived less than the rule's
    ``years`` ago (``features["years_here"]``). Bool, or a count where a row holds several persons.

    ``household_of``: where ``features[rule.per]`` is one entry per person and the conditions one per household,
    each person's household row.
    """
    holds = True
    for condition in rule.who:
        holds = holds * features[condition]
    if "newcomer" in rule.who:
        holds = holds * (features["years_here"] < rule.years)
    if household_of is not None:
        holds = holds[household_of]
    return features[rule.per] * holds


def paid_at_move(rule: Payment) -> bool:
    """Whether a rule names a condition known only as the household moves (``rural_to_town``): counted at the move."""
    return any(payment_conditions()[c].at_move for c in rule.who)


def at_choice(features: Mapping[str, Any], choice: np.ndarray) -> dict[str, Any]:
    """Each decider's payment features (``agents.residence.payment_features``: arrays [n, alt] or [n, 1], or
    scalars) at the alternative it chose, one entry per decider."""
    rows = np.arange(len(choice))
    return {
        k: v[rows, np.minimum(choice, v.shape[1] - 1)] if isinstance(v, np.ndarray) and v.ndim == 2 else v
        for k, v in features.items()
    }


def paid_on_moving(
    features: Callable[[], Mapping[str, Any]], choice: np.ndarray, weight: np.ndarray, payments: tuple[PaymentDue, ...]
) -> dict[str, float]:
    """Households (weights) each payment counted at the move pays this year: the deciders whose features at the
    alternative they chose pass its rule (the rule the residence choice weighs), where it pays anything.

    ``features()`` gives the deciders' payment features; it is called only in a year such a payment pays anything
    (the arrays are [decider, alt]: costly for a full-scale year's 400k deciders).
    """
    counted = [due for due in payments if paid_at_move(due.rule)]
    paying = [due for due in counted if due.amount > 0]
    chosen = at_choice(features(), choice) if paying else {}
    return {
        due.lever: float((weight * recipients(due.rule, chosen)).sum()) if due.amount > 0 else 0.0 for due in counted
    }


def takes_up_payments(seed: int, key: np.ndarray, settings: Settings) -> np.ndarray:
    """Whether each household claims the plan's payments it is eligible for (a trait drawn once), bool[n]."""
    return uniform(seed, Channel.SUBSIDY_TAKE_UP, 0, key) < settings.subsidy_take_up


class Residents:
    """The features payment rules read of a population's households and persons this year, as the spending table
    sees them (computed when a rule first reads them).

    ``household_in_haimen`` is bool[household]; ``labour`` bool[person] (in the labour force).
    """

    def __init__(
        self,
        pop: Population,
        *,
        household_in_haimen: np.ndarray,
        labour: np.ndarray,
        seed: int,
        settings: Settings,
        year: int,
    ) -> None:
        self.pop, self.in_haimen, self.labour = pop, household_in_haimen, labour
        self.seed, self.settings, self.year = seed, settings, year
        self._of_households: dict[tuple[str, int | None], np.ndarray] = {}

    def paid(self, rule: Payment) -> np.ndarray:
        """Recipients of ``rule``: bool per household, or per person for a payment per person."""
        names = (*rule.who, "years_here") if "newcomer" in rule.who else rule.who
        features = {name: self.household(name, rule.age_limit) for name in names}
        if rule.per == "household":
            return recipients(rule, {"household": True, **features})
        features[rule.per] = self.person(rule.per, rule.age_limit)
        return recipients(rule, features, household_of=self.pop.persons.household)

    def since(self, rule: Payment) -> np.ndarray:
        """The year each row :meth:`paid` counts became entitled (the amount it is paid is the one in force then):
        a child's birth for a payment per young person, a newcomer's arrival, else this year."""
        p = self.pop.persons
        if rule.per != "household" and payment_conditions()[rule.per].age_limit:
            return self.year - p.age
        if "newcomer" in rule.who:
            arrived = self.pop.households.arrived
            return arrived if rule.per == "household" else arrived[p.household]
        return np.full(len(self.pop.households) if rule.per == "household" else len(p), self.year)

    def household(self, name: str, age_limit: int | None = None) -> np.ndarray:
        """A household feature (``age_limit`` for the conditions that hold under one), one entry per household."""
        key = (name, age_limit if name == "young_graduate" else None)
        if key not in self._of_households:
            self._of_households[key] = self._household(name, age_limit)
        return self._of_households[key]

    def _household(self, name: str, age_limit: int | None) -> np.ndarray:
        h, p = self.pop.households, self.pop.persons
        if name == "newcomer":  # arrived from outside (and lives in Haimen); how long ago: years_here
            return self.in_haimen & (h.arrived > 0)
        if name == "years_here":
            return self.year - h.arrived
        if name == "claims":  # drawn for the newcomers, the only households whose payments need a claim
            newcomer = np.flatnonzero(self.household("newcomer"))
            claims = np.zeros(len(h), dtype=bool)
            claims[newcomer] = takes_up_payments(self.seed, h.key[newcomer], self.settings)
            return claims
        if name == "not_dormitory":
            return h.tenure != COLLECTIVE
        if name == "renting":
            return h.tenure == RENTER
        if name == "buying":
            return h.tenure == OWNER
        if name == "in_haimen":
            return self.in_haimen
        if name in ("college", "young_graduate"):
            college = np.flatnonzero(p.college)  # the rows of persons with a college degree (few)
            if name == "young_graduate":
                college = college[p.age[college] < age_limit]
            return np.bincount(p.household[college], minlength=len(h)) > 0
        raise KeyError(f"{name}: not a feature of residents the spending table can read")

    def person(self, name: str, age_limit: int | None) -> np.ndarray:
        """A person feature (what one recipient of a payment per person is), one entry per person."""
        p = self.pop.persons
        if name == "college_worker":
            return p.college & self.labour
        if name == "young_child":
            return p.age < age_limit
        raise KeyError(f"{name}: not a feature of persons the spending table can read")

"""How many agents a lever that reaches only some households reaches at a scale, and a warning when too few.

A payment reaches only some households: college-educated newcomers who buy a home, newcomers who rent, young
graduates, rural households moving to town. At a coarse scale the few agents that stand for them (each one many
households, each with its own fixed draws) can leave the lever's effect lumpy or exactly zero. Measured (plan, 1:K,
2020–2025, seeds 1 and 2; `talent_purchase_subsidy` 0 → 50,000 / 300,000 yuan, people in 2025): at 1:100, 53–58
eligible agents a year, +710 / +2,271 (seed 1); at 1:200, 29–31 agents, +200 / +675 and +405 / −1,370; at 1:500,
12–15 agents, **0** / +1,942 and +4,096 / +3,920; at 1:1000, 3–8 agents, **0** / **0** and 0 / +12. The graduate
subsidy (0 → 20,000 yuan) changed nothing at 1:1000 (21–22 agents a year) and moved 2025 by exactly one agent's
household at 1:500 (45 agents). Hence :data:`MIN_AGENTS`.

The counts are of the first plan year's synthesized potential movers and of the 2020 residents weighing a move that
year: an agent is reached by a payment lever when the lever's declared rule (``[KEY.payment]`` in ``levers.toml``,
read by ``agents.payments.recipients`` as the residence choice reads it) pays it in some Haimen alternative.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from environment.settings import levers
from environment.targets import PLAN_ADOPTED

MIN_AGENTS = 50  # eligible agents a year below which a lever's effect at that scale is too lumpy to read
FINER_SCALES = (100, 50, 20, 10, 5, 2, 1)  # people per agent suggested instead


def paying_levers() -> list[str]:
    """The modelled levers that pay some households (declare a payment rule): the ones whose reach depends on scale."""
    return [
        k for k, lv in levers().items() if lv.modelled and lv.payment is not None and lv.payment.in_residence_choice
    ]


def reached_by(deciders: Any, key: str) -> np.ndarray:
    """Whether lever ``key``'s payment rule pays each of ``deciders`` (``agents.residence.Deciders``) in some Haimen
    alternative, bool[n]."""
    from agents.payments import recipients
    from agents.residence import payment_features
    from environment.places import places

    haimen = places().alt_in_haimen
    paid = np.broadcast_to(recipients(levers()[key].payment, payment_features(deciders)), (len(deciders), len(haimen)))
    return (paid[:, haimen] > 0).any(axis=1)


def eligible_agents(settings: Mapping[str, Any], scale: int, seed: int, year: int = PLAN_ADOPTED) -> dict[str, int]:
    """Agents each paying lever can reach in ``year`` at 1:``scale``: the year's potential movers and the 2020
    residents who weigh a move that year (a run's own draws, with ``settings``) whom its rule pays in some Haimen
    alternative."""
    from abm import MigrationModel
    from agents.pools import draw_pool
    from agents.residence import describe_all, households_weighing_a_move

    model = MigrationModel(scale=scale, end=year, rng=seed, **settings)
    pool = draw_pool(model.settings, seed, year, scale)
    residents = households_weighing_a_move(model.population, model.world, seed, year)
    parts = [(model.population, residents, False), (pool, np.arange(len(pool.households)), True)]
    deciders = describe_all(parts, model.world, year, seed)
    return {key: int(reached_by(deciders, key).sum()) for key in paying_levers()}


def changed_levers(settings: Sequence[Mapping[str, Any]]) -> list[str]:
    """Paying levers whose value differs between the given settings (a missing key: its baseline)."""
    paying = paying_levers()
    return [k for k, lv in levers().items() if k in paying and len({s.get(k, lv.baseline) for s in settings}) > 1]


def few_agents(
    settings: Mapping[str, Any],
    scale: int,
    seed: int,
    compared: Sequence[Mapping[str, Any]] = (),
    factors: Sequence[str] = (),
) -> list[str]:
    """One warning line per paying lever that differs between the ``compared`` settings (a run: the
    baseline ``{}`` and its settings) or is one of a sweep's ``factors`` and reaches fewer than :data:`MIN_AGENTS`
    agents a year at 1:``scale`` (counted with ``settings``), with a finer scale that would reach enough. Nothing is
    computed when no such lever is concerned."""
    keys = [k for k in dict.fromkeys([*changed_levers(compared), *factors]) if k in paying_levers()]
    if not keys:
        return []
    counts = eligible_agents(settings, scale, seed)
    lines = []
    for key in keys:
        if counts[key] >= MIN_AGENTS:
            continue
        enough = scale * max(counts[key], 0.5) / MIN_AGENTS  # the scale at which as many agents stand for them
        finer = next((f for f in FINER_SCALES if f <= enough), 1)
        lv = levers()[key]
        lines.append(
            f"warning: {key} ({lv.name_zh}) reaches {counts[key]} agents a year at 1:{scale} (fewer than "
            f"{MIN_AGENTS}): its effect at this scale is lumpy and can be exactly zero; rerun at 1:{finer} or finer"
        )
    return lines

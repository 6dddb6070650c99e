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
year, by the model's own rules for who gets each payment (``agents.residence.subsidies``): :data:`REACHES`, to be
read from the levers' declarations once they state whom each lever reaches.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from agents.residence import Deciders
from environment.settings import levers
from environment.targets import PLAN_ADOPTED

MIN_AGENTS = 50  # eligible agents a year below which a lever's effect at that scale is too lumpy to read
FINER_SCALES = (100, 50, 20, 10, 5, 2, 1)  # people per agent suggested instead


def _newcomers_who_claim(d: Deciders) -> np.ndarray:
    return d.from_pool & d.takes_up & ~d.dorm


def _rural_residents(d: Deciders) -> np.ndarray:
    from environment.places import places

    pl = places()
    return ~d.from_pool & pl.in_haimen[pl.alt_place[d.current]] & ~pl.alt_urban[d.current] & ~d.collective


REACHES: dict[str, Callable[[Deciders], np.ndarray]] = {  # lever -> the deciders it can reach
    "talent_purchase_subsidy": lambda d: _newcomers_who_claim(d) & d.college & d.buys,
    "rent_subsidy": lambda d: _newcomers_who_claim(d) & ~d.buys,
    "graduate_subsidy": lambda d: _newcomers_who_claim(d) & d.graduate_eligible,
    "talent_allowance": lambda d: _newcomers_who_claim(d) & (d.college_workers > 0),
    "homestead_compensation": _rural_residents,
}


def eligible_agents(settings: Mapping[str, Any], scale: int, seed: int, year: int = PLAN_ADOPTED) -> dict[str, int]:
    """Agents each lever of :data:`REACHES` can reach in ``year`` at 1:``scale``: the year's potential movers and
    the 2020 residents who weigh a move that year (a run's own draws, with ``settings``)."""
    from abm import MigrationModel
    from agents.residence import describe_all, households_weighing_a_move
    from agents.synthesis import draw_pool

    model = MigrationModel(scale=scale, end=year, rng=seed, **settings)
    pool = draw_pool(model.settings, seed, year, scale)
    residents = households_weighing_a_move(model.population, model.world, seed, year)
    parts = [(model.population, residents, False), (pool, np.arange(len(pool.households)), True)]
    deciders = describe_all(parts, model.world, year, seed)
    return {key: int(reaches(deciders).sum()) for key, reaches in REACHES.items()}


def changed_levers(settings: Sequence[Mapping[str, Any]]) -> list[str]:
    """Levers of :data:`REACHES` whose value differs between the given settings (a missing key: its baseline)."""
    return [k for k, lv in levers().items() if k in REACHES and len({s.get(k, lv.baseline) for s in settings}) > 1]


def few_agents(
    settings: Mapping[str, Any],
    scale: int,
    seed: int,
    compared: Sequence[Mapping[str, Any]] = (),
    factors: Sequence[str] = (),
) -> list[str]:
    """One warning line per lever of :data:`REACHES` that differs between the ``compared`` settings (a run: the
    baseline ``{}`` and its settings) or is one of a sweep's ``factors`` and reaches fewer than :data:`MIN_AGENTS`
    agents a year at 1:``scale`` (counted with ``settings``), with a finer scale that would reach enough. Nothing is
    computed when no such lever is concerned."""
    keys = [k for k in dict.fromkeys([*changed_levers(compared), *factors]) if k in REACHES]
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

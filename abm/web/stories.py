"""One-click presets: the six stories of the demo's documentation (``docs/reference/demo.md``), and the cheapest
robust lever mix when the search made one.

A preset is a setting of the page (a base scenario with the sliders at its values, changes on
top, the scenario compared with, the random draw), the year to show and the panel to open. Values
are read from the registries and scenario files: the plan's from ``levers.toml``, a late railway
from ``plan_hsr_2030.toml``, a lever's top from its declared range; the best measure from
``measures.csv``. The cheapest robust mix is the scenario file the lever search (``abm optimize``)
writes as :data:`CHEAPEST`; without that file there is no such preset (and no button).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from abm.web.controls import default_values, scenario_setting
from abm.web.measures import top_measure
from abm.web.runs import reference_scenarios
from environment.scenario import SCENARIO_DIR
from environment.settings import levers
from environment.targets import targets

CHEAPEST = "cheapest_robust"  # environment/scenarios/cheapest_robust.toml, written by the lever search
TARGET_YEAR = targets()["population"].year


@dataclass(frozen=True)
class Story:
    """A preset: its button's words, the page's setting, the year to show and the fourth panel to open."""

    key: str
    title_zh: str
    title_en: str
    values: dict[str, Any] = field(default_factory=dict)
    year: int = TARGET_YEAR
    panel: str = "map"  # the panel to open: "map", "spending" or "measures" (abm/web/address.py)


def _without(measure: int | None) -> str:
    """The scenario "plan without measure m" (the first such scenario if ``measure`` has none)."""
    names = [n for n in reference_scenarios() if n.startswith("plan_without_")]
    wanted = [n for n in names if measure is not None and n.startswith(f"plan_without_{measure:02d}_")]
    return (wanted or names)[0]


def stories() -> list[Story]:
    """The six stories of the demo's documentation table, in its order."""
    plan = default_values()
    jobs, subsidy = levers()["industrial_jobs_kaifaqu"], levers()["talent_purchase_subsidy"]
    return [
        Story("target", "能否达到110万?", "Does the plan reach 110万?", plan),
        Story(
            "measures",
            "哪项措施最有效?",
            "Which measure delivers?",
            plan | {"reference": _without(top_measure())},
            panel="measures",
        ),
        Story(
            "rail",
            "高铁推迟会怎样?",
            "What if the railway is late?",
            plan | scenario_setting("plan_hsr_2030") | {"reference": "plan"},
            year=2030,
        ),
        Story(
            "jobs",
            "岗位能带来人口吗?",
            "Do jobs bring people?",
            plan | {"industrial_jobs_kaifaqu": jobs.high, "reference": "plan"},
        ),
        Story(
            "money",
            "给新来的人发钱?",
            "Money for newcomers?",
            plan | {"talent_purchase_subsidy": 3 * subsidy.plan, "reference": "plan"},
        ),
        Story("chance", "偶然还是政策?", "Chance or policy?", plan | {"rng": plan["rng"] + 1}),
    ]


def cheapest() -> Story | None:
    """The cheapest robust mix from the lever search, if its scenario file is there."""
    if not (SCENARIO_DIR / f"{CHEAPEST}.toml").is_file():
        return None
    try:
        values = default_values() | scenario_setting(CHEAPEST) | {"reference": "plan"}
    except Exception:  # a file the page cannot read is no preset (the search's own checks report it)
        return None
    return Story(CHEAPEST, "达标最省钱的组合", "Cheapest mix that meets the targets", values)


def presets() -> list[Story]:
    """Every preset the page offers."""
    found = cheapest()
    return stories() + ([found] if found is not None else [])

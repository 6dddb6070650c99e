"""The page's controls, generated from the lever registry and the run options, and their values as text.

Labels, units, ranges and starting values come from ``levers.toml`` and
``run_options.toml``; the starting values are the plan's, so a fresh page runs
the plan against the baseline. Every slider's step divides the distance from its
lowest stop to its plan and baseline values, so both sit exactly on a stop. A
project's opening-year slider has one stop past its range that means "never".

A page's setting is a dict: ``base`` (the scenario the levers not on the page
come from), ``reference`` (the scenario compared with), ``scale``, ``rng`` (the
seed), one value per lever of :data:`~abm.web.runs.MAIN_LEVERS` and one per parameter of
:data:`~abm.web.runs.PLAN_CHOICES` (what the plan's yearly programmes do after 2025).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from abm.web.runs import (
    BASE,
    DEFAULT_REFERENCE,
    DEMO_SCALE,
    DEMO_SEED,
    MAIN_LEVERS,
    PLAN_CHOICES,
    never_stop,
    reference_scenarios,
    scenario_values,
)
from abm.web.text import count, language, name, scenario_title, t, unit
from abm.web.uncertainty import scale_choices as scales
from environment.settings import Lever, levers, parameters

SEED_MAX = 99  # seeds offered on the page (any seed works from the command line)
SLIDER_STOPS = 50  # about this many stops on a slider, fewer where the plan's values need a finer step


def nice_step(span: float, integer: bool) -> float:
    """A round slider step giving about :data:`SLIDER_STOPS` stops over ``span``."""
    raw = span / SLIDER_STOPS
    power = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return max(1, int(step)) if integer else step


def _on_stop(value: float, low: float, step: float) -> bool:
    stops = (value - low) / step
    return abs(stops - round(stops)) < 1e-6


def slider_step(lever: Lever) -> float:
    """The largest round step up to :func:`nice_step` on which the plan, the baseline and the top all sit."""
    integer = lever.kind == "int"
    step = nice_step(lever.high - lever.low, integer)
    exact = [v for v in (lever.plan, lever.baseline, lever.high) if isinstance(v, int | float)]
    power = 10 ** math.floor(math.log10(step))
    candidates = sorted({m * p for p in (power * 10, power, power / 10, power / 100) for m in (1, 2, 5)}, reverse=True)
    for candidate in (c for c in candidates if c <= step and (c >= 1 or not integer)):
        if all(_on_stop(v, lever.low, candidate) for v in exact):
            return int(candidate) if integer else candidate
    return 1 if integer else step


@dataclass(frozen=True)
class Slider:
    """One slider: its key, range, step and starting value."""

    key: str
    low: float
    high: float
    step: float
    start: Any

    @property
    def label(self) -> str:
        """Its name in the page's language."""
        if self.key == "rng":
            return t("seed_label")
        lever = levers()[self.key]
        return name(lever) + (t("index_note") if lever.unit == "index" else "")


def slider(key: str) -> Slider:
    """The slider of a lever (or of the seed, ``rng``), starting at the plan's value."""
    if key == "rng":
        return Slider("rng", 0, SEED_MAX, 1, DEMO_SEED)
    lever = levers()[key]
    if lever.kind == "year":
        high = never_stop(lever) if lever.never else int(lever.high)
        return Slider(key, int(lever.low), high, 1, high if lever.plan is None else int(lever.plan))
    return Slider(key, lever.low, lever.high, slider_step(lever), lever.plan)


def sliders() -> list[Slider]:
    """Every lever's slider, in the page's order."""
    return [slider(key) for key in MAIN_LEVERS]


def value_text(key: str, value: Any) -> str:
    """A control's value as the page shows it, with its unit: 2027年 / 不开通, 3,500个岗位/年, +3分…"""
    if key == "rng":
        return t("seed_value", seed=value)
    if key == "scale":
        return t("scale_option", scale=value)
    if key in ("reference", "base"):
        return scenario_title(value)
    if key in PLAN_CHOICES:
        return t(f"{key}_{value}")
    lever = levers()[key]
    if lever.kind == "year":
        if value is None or (lever.never and value >= never_stop(lever)):
            return t("never")
        return f"{value}年" if language() == "zh" else str(value)
    if lever.kind == "bool":
        return "✔" if value else "✘"
    if lever.unit == "index":
        return f"+{100 * value:g} {unit(lever.unit)}".replace(" 分", "分")
    if lever.unit == "share":
        return f"{100 * value:g}%"
    sep = "" if language() == "zh" else " "
    return f"{count(value)}{sep}{unit(lever.unit)}"


def choices(key: str) -> list[dict[str, Any]]:
    """A chooser's entries, {"text": shown, "value": passed to the model}: scenarios by their translated
    names, a plan parameter's declared values by their translated names, scales as 1:N."""
    if key == "reference":
        return [{"text": scenario_title(n), "value": n} for n in reference_scenarios()]
    if key in PLAN_CHOICES:
        return [{"text": value_text(key, v), "value": v} for v in parameters()[key].values]
    return [{"text": t("scale_option", scale=n), "value": n} for n in scales()]


def default_values() -> dict[str, Any]:
    """The page's first setting: the plan against the baseline at the demo scale and seed."""
    plan = scenario_values(BASE)
    return (
        {"base": BASE, "reference": DEFAULT_REFERENCE, "scale": DEMO_SCALE, "rng": DEMO_SEED}
        | {s.key: s.start for s in sliders()}
        | {k: plan[k] for k in PLAN_CHOICES}
    )


def scenario_setting(scenario: str) -> dict[str, Any]:
    """The page's setting for a scenario: the scenario as the base, each slider and choice at its value there."""
    values = scenario_values(scenario)
    stops = {k: values[k] for k in PLAN_CHOICES}
    for s in sliders():
        value = values[s.key]
        stops[s.key] = s.high if value is None else value  # a project never opened: the "never" stop
    return {"base": scenario} | stops


def check(key: str, value: Any) -> Any:
    """A setting's value if the page can take it (a value from the page's address), else ValueError."""
    if key == "base":
        if value not in reference_scenarios():
            raise ValueError(key)
        return value
    if key == "reference":
        if value not in reference_scenarios():
            raise ValueError(key)
        return value
    if key == "scale":
        if int(value) not in scales():
            raise ValueError(key)
        return int(value)
    if key in PLAN_CHOICES:
        if value not in parameters()[key].values:
            raise ValueError(key)
        return value
    s = slider(key)
    number = float(value)
    integer = key == "rng" or levers()[key].kind in ("int", "year")
    if not (s.low <= number <= s.high) or not _on_stop(number, s.low, s.step):
        raise ValueError(key)
    return round(number) if integer else round(number, 10)


def changes(values: dict[str, Any], applied: dict[str, Any]) -> list[str]:
    """What differs between two settings, as "name: value" in the page's language."""
    out = []
    for key, value in values.items():
        if applied.get(key) != value:
            label = {"reference": t("compare_with"), "scale": t("scale_label"), "base": ""}.get(key)
            label = t(f"{key}_label") if key in PLAN_CHOICES else label
            label = slider(key).label if label is None else label
            out.append(f"{label}: {value_text(key, value)}" if label else value_text(key, value))
    return out

"""The page's controls (Mesa ``model_params``), generated from the lever registry and run options.

Labels, units, ranges and defaults come from ``levers.toml`` and
``run_options.toml``; the defaults are the plan's values, so a fresh page runs
the plan against the baseline. A project's opening-year slider has one stop
past its range that means "never".
"""

from __future__ import annotations

import math
from typing import Any

from abm.web.runs import DEFAULT_REFERENCE, DEMO_SCALE, DEMO_SEED, MAIN_LEVERS, never_stop, reference_scenarios
from abm.web.runs import scale_choices as scales
from abm.web.text import name, scenario_title, t, unit
from environment.settings import Lever, levers, run_options

SEED_MAX = 99  # seeds offered on the page (any seed works from the command line)
SLIDER_STOPS = 50


def nice_step(span: float, integer: bool) -> float:
    """A round slider step giving about :data:`SLIDER_STOPS` stops over ``span``."""
    raw = span / SLIDER_STOPS
    power = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return max(1, int(step)) if integer else step


def label(lever: Lever) -> str:
    """A lever's name and unit in the page's language (a year slider says which stop means never)."""
    if lever.kind == "year":
        suffix = f" ({never_stop(lever)} = {t('never')})" if lever.never else ""
        return f"{name(lever)}{suffix}"
    shown = unit(lever.unit)
    return f"{name(lever)} ({shown})" if shown else name(lever)


def control(lever: Lever) -> dict[str, Any]:
    """A Mesa user input for one lever, starting at its plan value."""
    value = lever.plan
    if lever.kind == "bool":
        return {"type": "Checkbox", "value": bool(value), "label": label(lever)}
    if lever.kind == "year":
        high = never_stop(lever) if lever.never else int(lever.high)
        start = high if value is None else int(value)
        return {
            "type": "SliderInt",
            "value": start,
            "min": int(lever.low),
            "max": high,
            "step": 1,
            "label": label(lever),
        }
    integer = lever.kind == "int"
    step = nice_step(lever.high - lever.low, integer)
    kind = "SliderInt" if integer else "SliderFloat"
    return {"type": kind, "value": value, "min": lever.low, "max": lever.high, "step": step, "label": label(lever)}


def choices(key: str) -> list[dict[str, Any]]:
    """A chooser's entries, {"text": shown, "value": passed to the model}: scenarios by their translated
    names, scales as 1:N."""
    if key == "reference":
        return [{"text": scenario_title(n), "value": n} for n in reference_scenarios()]
    return [{"text": t("scale_option", scale=n), "value": n} for n in scales()]


def default_values() -> dict[str, Any]:
    """Every control at its starting value (the page's first run)."""
    return {key: p["value"] for key, p in model_params().items()}


def model_params() -> dict[str, Any]:
    """Every control of the page, labelled in the page's language (built on each render; values persist)."""
    options = run_options()
    params: dict[str, Any] = {
        "reference": {
            "type": "Select",
            "value": DEFAULT_REFERENCE,
            "values": reference_scenarios(),
            "label": t("compare_with"),
        },
        "scale": {"type": "Select", "value": DEMO_SCALE, "values": scales(), "label": name(options["scale"])},
        "rng": {
            "type": "SliderInt",
            "value": DEMO_SEED,
            "min": 0,
            "max": SEED_MAX,
            "step": 1,
            "label": name(options["seed"]),
        },
    }
    for key in MAIN_LEVERS:
        params[key] = control(levers()[key])
    return params

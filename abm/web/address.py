"""The page's state in its address (the URL's query), so a reload or a shared link shows the same thing.

The query holds what differs from a fresh page: the applied setting (levers, the scenario
compared with, scale, draw, base scenario), the year on screen, the language, the view
(presentation) and the fourth panel, e.g. ``?hsr_year=2030&reference=plan&year=2030&lang=en``.
A project never opened is ``never``. Keys or values the page cannot take are left out and named
(:attr:`Address.ignored`); the rest still apply.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from abm.web.controls import check, default_values, slider
from abm.web.runs import MAIN_LEVERS
from abm.web.text import LANGUAGES
from environment.inputs import CENSUS_YEAR
from environment.settings import levers, run_default

VIEWS = ("work", "present")
PANELS = ("map", "spending", "measures")  # the panel beside the targets in presentation (work: map always)
NEVER_WORD = "never"


@dataclass(frozen=True)
class Address:
    """What a page's address says."""

    values: dict[str, Any]
    year: int = CENSUS_YEAR
    lang: str = LANGUAGES[0]
    view: str = VIEWS[0]
    panel: str = PANELS[0]
    ignored: tuple[str, ...] = field(default_factory=tuple)


def _word(key: str, value: Any) -> str:
    if key in MAIN_LEVERS and levers()[key].kind == "year" and levers()[key].never and value == slider(key).high:
        return NEVER_WORD
    return f"{value:g}" if isinstance(value, float) else str(value)


def encode(address: Address) -> str:
    """The query string of ``address`` (what differs from a fresh page; empty for a fresh page)."""
    fresh = default_values()
    items = [(k, _word(k, v)) for k, v in address.values.items() if fresh.get(k) != v]
    for name, value, default in (
        ("year", address.year, CENSUS_YEAR),
        ("lang", address.lang, LANGUAGES[0]),
        ("view", address.view, VIEWS[0]),
        ("panel", address.panel, PANELS[0]),
    ):
        if value != default:
            items.append((name, str(value)))
    return urlencode(items)


def decode(query: str | None) -> Address:
    """The address of a query string; what cannot be used is ignored and named."""
    values, ignored = default_values(), []
    extra: dict[str, Any] = {}
    for name, raw in parse_qsl(query or "", keep_blank_values=True):
        try:
            if name in values:
                value = slider(name).high if raw == NEVER_WORD and name in MAIN_LEVERS else raw
                values[name] = check(name, value)
            elif name == "year":
                year = int(raw)
                if not CENSUS_YEAR <= year <= run_default("end"):
                    raise ValueError(name)
                extra["year"] = year
            elif name in ("lang", "view", "panel"):
                allowed = {"lang": LANGUAGES, "view": VIEWS, "panel": PANELS}[name]
                if raw not in allowed:
                    raise ValueError(name)
                extra[name] = raw
            else:
                raise ValueError(name)
        except (ValueError, TypeError):
            ignored.append(f"{name}={raw}")
    return Address(values=values, ignored=tuple(ignored), **extra)

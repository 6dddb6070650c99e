"""The page's headline banner and table of the year's figures, from the declared outcomes and targets.

The banner answers at a glance: the year's population and its gap to the 2025 target; each zone's
and urbanization's progress against theirs (达标 / 未达标 once the target year is reached, 完成率 =
the share of the targeted change since 2020 achieved); the year 110万 is reached (or not by the
run's end); the difference from the scenario compared with; and how uncertain it is — chance (the
spread across random draws, as measured: ``seed_spread.csv``) and the range across the
assumptions where it was measured (``bands.csv``). Every target is read from ``targets.toml``
through the outcome that declares it (``outcomes.toml``); nothing here is a number of its own.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

from abm.outcomes import OUTCOMES
from abm.web.controls import slider, value_text
from abm.web.runs import BASE, MAIN_LEVERS, PLAN_CHOICES, DemoRun, scenario_values
from abm.web.text import language, name, outcome_name, people, percent, scenario_title, t, zone_name
from abm.web.uncertainty import Chance, band, chance, key
from environment.inputs import CENSUS_YEAR
from environment.targets import Target, targets

HEADLINE = "haimen_population"
ZONES = ("added_kaifaqu", "added_gangxinqu", "added_sanxing")
TABLE_ROWS = (HEADLINE, *ZONES, "urbanization", "net_migration", "working_in_shanghai")


def fmt(outcome: str, value: float, signed: bool = False) -> str:
    """A figure of ``outcome`` as the page writes it (people in 万 / k, shares in %)."""
    if OUTCOMES[outcome].unit == "share":
        return percent(value, signed=signed)
    return people(value, signed=signed)


def target_of(outcome: str) -> Target | None:
    """The target an outcome is measured against (``outcomes.toml``: target), if any."""
    declared = OUTCOMES[outcome].target
    return targets()[declared] if declared else None


@dataclass(frozen=True)
class Progress:
    """An outcome against its target in a year."""

    outcome: str
    value: float
    target: Target
    gap: float  # target − value (positive: short)
    share_done: float  # of the targeted change since the census year
    verdict: str  # "met", "not_met" (judged in the target's year, once reached) or "on_way"


def progress(run: DemoRun, outcome: str, year: int) -> Progress | None:
    """How far ``outcome`` has come towards its target by ``year``."""
    target = target_of(outcome)
    value = run.value(outcome, year=year)
    if target is None or not math.isfinite(value):
        return None
    start = run.value(outcome, year=CENSUS_YEAR)
    start = 0.0 if not math.isfinite(start) else start
    change = target.value - start
    share = (value - start) / change if change else float("nan")
    verdict = "on_way"
    if target.year is not None and year >= target.year:
        verdict = "met" if run.value(outcome, year=target.year) >= target.value else "not_met"
    return Progress(outcome, value, target, target.value - value, share, verdict)


def mark(verdict: str, judged: int | None, short: bool = False) -> str:
    """达标 ✔ (green) / 未达标 ✘ (red) / 进行中 (grey), as HTML (``short``: the sign alone)."""
    text = {"met": t("met"), "not_met": t("not_met"), "on_way": t("on_way")}[verdict]
    if short and verdict != "on_way":
        text = text.split()[0]
    when = f" {t('judged_at', year=judged)}" if judged and verdict != "on_way" else ""
    return f'<span class="demo-mark demo-{verdict.replace("_", "-")}">{text}{when}</span>'


def _gap(p: Progress) -> str:
    goal = fmt(p.outcome, p.target.value)
    if p.gap > 0:
        return t("gap_short", target=goal, gap=fmt(p.outcome, p.gap))
    return t("gap_over", target=goal, gap=fmt(p.outcome, -p.gap))


def _share(p: Progress) -> str:
    return t("progress", share=percent(p.share_done, digits=0)) if math.isfinite(p.share_done) else ""


def setting_key(run: DemoRun) -> tuple:
    """The run's current setting as a key of :mod:`abm.web.uncertainty`."""
    return key(run.settings)


def chance_of(run: DemoRun, outcome: str, year: int, reference: str | None = None) -> Chance | None:
    """The chance (s.d. across draws) of a figure, or of its difference from the reference."""
    return chance(run.scale, setting_key(run), outcome, year, reference)


def reached_text(run: DemoRun) -> str:
    """When the population target is reached under the current setting (with chance's range of years)."""
    target = target_of(HEADLINE)
    goal = fmt(HEADLINE, target.value)
    year = run.first_year_at(HEADLINE, target.value)
    if year is None:
        return t("not_reached", target=goal, end=run.end) if run.year >= run.end else t("computing", target=goal)
    text = t("reached", target=goal, year=year)
    spans = []
    for sign in (1, -1):  # earliest year the value plus (minus) one s.d. reaches the target
        found = None
        for y, v in run.series(HEADLINE, until=run.end).items():
            c = chance_of(run, HEADLINE, int(y))
            if c is not None and v + sign * c.sd >= target.value:
                found = int(y)
                break
        spans.append(found)
    low, high = spans
    if low is not None and (high is None or high != low):
        text += t("reached_range", low=low, high=high if high is not None else f"{run.end}+")
    return text


def headline(run: DemoRun, year: int) -> str:
    """The banner's first line: the year's population, its gap to the target, the verdict, the share done."""
    p = progress(run, HEADLINE, year)
    value = fmt(HEADLINE, run.value(HEADLINE, year=year))
    parts = [f'<span class="demo-projection">{t("projection", year=year, value=value)}</span>']
    if p is not None:
        parts += [
            f'<span class="demo-gap">{_gap(p)}</span>',
            mark(p.verdict, p.target.year),
            f'<span class="demo-progress">{_share(p)}</span>',
        ]
    return " · ".join(parts)


def zones_line(run: DemoRun, year: int) -> str:
    """Each zone's added people against its target, and urbanization against 75 %, as chips."""
    chips = []
    for outcome in (*ZONES, "urbanization"):
        p = progress(run, outcome, year)
        if p is None:
            continue
        label = zone_name(OUTCOMES[outcome].places) if outcome in ZONES else name(OUTCOMES[outcome])
        value = fmt(outcome, p.value, signed=outcome in ZONES)
        c = chance_of(run, outcome, year)
        pm = f" ±{fmt(outcome, c.sd)}" if c is not None and c.sd > 0 and outcome in ZONES else ""
        chip = t("zone_chip", name=label, value=value + pm, target=fmt(outcome, p.target.value))
        share = percent(p.share_done, digits=0) if math.isfinite(p.share_done) else ""
        chips.append(f'<span class="demo-zone">{chip} · {share} {mark(p.verdict, None, short=True)}</span>')
    return "".join(chips)


def uncertainty_line(run: DemoRun, year: int) -> str:
    """When the target is reached, the difference from the reference with its chance, then the figure's chance and
    the assumptions' range."""
    value = run.value(HEADLINE, year=year)
    reference = run.reference_name
    diff = value - run.value(HEADLINE, "reference", year)
    parts = [reached_text(run)]
    c_diff = chance_of(run, HEADLINE, year, reference)
    pm = f" ±{fmt(HEADLINE, c_diff.sd)}" if c_diff is not None and c_diff.sd > 0 else ""
    if pm and not c_diff.exact:  # measured for the pair that changes the same levers
        pm += t("chance_of", scenario=scenario_title(c_diff.scenario))
    parts.append(t("vs", reference=scenario_title(reference), difference=fmt(HEADLINE, diff, signed=True) + pm))
    if year > CENSUS_YEAR:
        c = chance_of(run, HEADLINE, year)
        if c is not None:
            text = t("chance", sd=fmt(HEADLINE, c.sd))
            parts.append(text + ("" if c.exact else t("chance_of", scenario=scenario_title(c.scenario))))
        b = band(setting_key(run), HEADLINE, year, value)
        if b is None:
            parts.append(t("chance_only"))
        elif b.exact:
            parts.append(
                t("band_exact", low=fmt(HEADLINE, b.low), high=fmt(HEADLINE, b.high), points=b.points, scale=b.scale)
            )
        else:
            low, high = fmt(HEADLINE, b.low), fmt(HEADLINE, b.high)
            parts.append(t("band_nearest", low=low, high=high, scenario=scenario_title(b.scenario)))
    spans = [f'<span class="demo-reached">{html.escape(parts[0])}</span>']
    spans += [f'<span class="demo-unc">{html.escape(part)}</span>' for part in parts[1:]]
    return " · ".join(spans)


def setting_line(run: DemoRun) -> str:
    """What the current setting is: a named scenario, or one with these levers changed."""
    title = scenario_title(run.base)
    named = scenario_values(run.base)
    changed = []
    for lever in MAIN_LEVERS:
        if run.settings.get(lever) != named.get(lever):
            value = run.settings.get(lever)
            stop = slider(lever).high if value is None else value
            changed.append(f"{slider(lever).label} {value_text(lever, stop)}")
    for choice in PLAN_CHOICES:
        if run.settings.get(choice) != named.get(choice):
            changed.append(f"{t(f'{choice}_label')} {value_text(choice, run.settings.get(choice))}")
    if not changed:
        return t("setting_plan") if run.base == BASE else t("setting_named", title=title)
    return t("setting_changed", title=title, changes="、".join(changed) if language() == "zh" else "; ".join(changed))


def banner(run: DemoRun, year: int) -> str:
    """The headline banner as HTML."""
    return (
        f'<div class="demo-setting">{html.escape(setting_line(run))}</div>'
        f'<div class="demo-headline">{headline(run, year)}</div>'
        f'<div class="demo-uncertainty">{uncertainty_line(run, year)}</div>'
        f'<div class="demo-zones">{zones_line(run, year)}</div>'
    )


def _target_cell(outcome: str) -> str:
    target = target_of(outcome)
    if target is None:
        return ""
    value = fmt(outcome, target.value, signed=target.is_growth)
    return f"{value} ({target.year})" if target.year else value


def _pm(c: Chance | None, outcome: str) -> str:
    if c is None:
        return ""
    return "0" if c.sd == 0 else f"±{fmt(outcome, c.sd)}".replace("±+", "±")


def numbers_table(run: DemoRun, year: int, compact: bool = False) -> str:
    """The outcomes in ``year``: current setting with its chance, the scenario compared with, their difference with
    its chance, the target (``compact``: only the outcomes with a target, without the chance columns)."""
    head = [
        t("thousands_note"),
        t("current"),
        t("chance_pm"),
        scenario_title(run.reference_name),
        t("difference"),
        t("chance_pm"),
        t("target"),
    ]
    keep = [i for i in range(len(head)) if not compact or i not in (2, 5)]
    rows = ["<tr>" + "".join(f"<th>{html.escape(head[i])}</th>" for i in keep) + "</tr>"]
    for outcome in TABLE_ROWS if not compact else (o for o in TABLE_ROWS if target_of(o)):
        now, ref = run.value(outcome, year=year), run.value(outcome, "reference", year)
        growth = outcome in ZONES
        first = year <= CENSUS_YEAR
        label = zone_name(OUTCOMES[outcome].places) if growth else outcome_name(OUTCOMES[outcome])
        cells = [
            label,
            fmt(outcome, now, signed=growth and now != 0),
            "" if first else _pm(chance_of(run, outcome, year), outcome),
            fmt(outcome, ref, signed=growth and ref != 0),
            fmt(outcome, now - ref, signed=True),
            "" if first else _pm(chance_of(run, outcome, year, run.reference_name), outcome),
            _target_cell(outcome),
        ]
        rows.append("<tr>" + "".join(f"<td>{html.escape(cells[i])}</td>" for i in keep) + "</tr>")
    return '<table class="demo-table">' + "".join(rows) + "</table>"

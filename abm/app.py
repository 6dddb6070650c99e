"""The leadership demo: a Solara page of the plan on a Mesa model, started by ``abm serve``.

Each browser tab gets its own :class:`~abm.app_runs.DemoRun` (made inside the
page component, never at module level, where all tabs would share it), its own
language and its own controls. The page is built from Solara components and
Mesa's :func:`~mesa.visualization.solara_viz.UserInputs` (the sliders) rather
than Mesa's ``SolaraViz``, whose own controls and card titles (Play Interval,
Reset, Step, Model Parameters…) are fixed English text and whose sidebar does
not fit a 1920×1080 projector. Four panels: the map, the plan's targets, where
newcomers come from, and the numbers side by side with the scenario compared
with. Each year only the charts' data are drawn again (:class:`LiveFigure`).
A model failure is shown in its tab only.
"""

from __future__ import annotations

import math
import threading
import time
import traceback
from typing import Any

import matplotlib

matplotlib.use("Agg")  # a server never opens windows

import reacton.ipywidgets as w
import solara
from mesa.visualization.solara_viz import UserInputs

from abm.app_charts import LiveFigure, OriginsFigure, SpendingFigure, TargetsFigure
from abm.app_controls import choices, default_values, model_params
from abm.app_map import MapFigure
from abm.app_runs import DemoRun, seed_spread
from abm.app_text import lang, name, people, percent, scenario_title, t
from abm.fonts import register_cjk_font
from abm.outcomes import OUTCOMES
from environment.targets import targets

register_cjk_font()
matplotlib.rcParams["font.size"] = 12
matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: quicker than PNG; the browser has the fonts
PLAY_PAUSE_S = 0.3  # pause between years while playing, so each year can be read

ROWS = (
    "haimen_population",
    "added_kaifaqu",
    "added_gangxinqu",
    "added_sanxing",
    "urbanization",
    "net_migration",
    "working_in_shanghai",
)
CSS = """
.v-application { font-size: 16px; }
.v-toolbar__title { font-size: 26px !important; font-weight: 700; }
.lang-switch { font-size: 18px !important; }
.v-navigation-drawer .solara-content-main { padding: 8px 12px !important; }
.demo-sidebar .v-btn { font-size: 16px !important; min-width: 104px !important; }
.demo-sidebar .v-label { font-size: 14px; color: #111 !important; }
.demo-sidebar .v-input { margin-top: 0 !important; padding-top: 0 !important; }
.demo-sidebar .v-messages { display: none; }
.demo-sidebar .v-input__slot { margin-bottom: 0 !important; }
.demo-sidebar .v-select { margin-top: 6px !important; }
.demo-sidebar .v-select .v-select__selection { font-size: 15px; }
.demo-sidebar .v-input__slider .v-input__slot { flex-wrap: wrap; }
.demo-sidebar .v-input__slider .v-input__slot > .v-label { width: 100%; max-width: 100%; margin: 0 !important;
  height: auto !important; white-space: normal; line-height: 1.15; }
.demo-sidebar .v-input__slider .v-slider { flex-basis: 100%; margin: -4px 6px 12px 6px; min-height: 24px; }
.v-slider__thumb-label-container { display: block !important; }
.v-slider .v-slider__thumb-label.primary { transform: translate(-50%, 20px) !important; background: none !important;
  color: #0d47a1 !important; font-size: 12px; font-weight: 700; width: auto !important; height: auto !important; }
.v-slider .v-slider__thumb-label > * { transform: none !important; }
.demo-grid { display: grid; grid-template-columns: 1fr 1fr; gap: 4px 12px; }
.demo-panel { min-width: 0; }
.demo-panel img { display: block; width: 100%; height: auto; }
.demo-numbers table { border-collapse: collapse; width: 100%; }
.demo-numbers th, .demo-numbers td { font-size: 15px; padding: 0 6px; text-align: right; color: #000; }
.demo-numbers th:first-child, .demo-numbers td:first-child { text-align: left; }
.demo-numbers tr:nth-child(even) { background: #eef2f7; }
.demo-status { font-size: 19px; font-weight: 700; color: #0d47a1; }
.demo-note { font-size: 14px; color: #222; line-height: 1.3; }
"""


def _cell(key: str, value: float, signed: bool = False) -> str:
    if OUTCOMES[key].unit == "share":
        if signed and math.isfinite(value):
            return f"{100 * value:+.1f}"
        return percent(value)
    return people(value, signed=signed)


def _target_cell(key: str) -> str:
    o = OUTCOMES[key]
    if not o.target:
        return ""
    target = targets()[o.target]
    return f"{_cell(key, target.value)} ({target.year})" if target.year else _cell(key, target.value)


def numbers_table(run: DemoRun) -> str:
    """This year's outcomes: current setting, the scenario compared with, their difference, the target."""
    head = [t("thousands_note"), t("current"), scenario_title(run.reference_name), t("difference"), t("target")]
    rows = ["<tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>"]
    for key in ROWS:
        now, ref = run.value(key), run.value(key, "reference")
        cells = [
            name(OUTCOMES[key]),
            _cell(key, now),
            _cell(key, ref),
            _cell(key, now - ref, signed=True),
            _target_cell(key),
        ]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return "<table>" + "".join(rows) + "</table>"


def status(run: DemoRun) -> str:
    """The year, Haimen's population in both runs, and scale and seed."""
    now, ref = run.value("haimen_population"), run.value("haimen_population", "reference")
    return (
        f"{t('in_year', year=run.year)} · {t('current')} {people(now)} · {scenario_title(run.reference_name)} "
        f"{people(ref)} · "
        f"{t('difference')} {people(now - ref, signed=True)}"
    )


def spread_line(run: DemoRun) -> str:
    """The 2025 result with the spread across seeds measured at this scale."""
    measured = seed_spread().get(run.scale)
    scale_seed = t("scale_seed", scale=run.scale, seed=run.seed)
    if measured is None:
        return f"{scale_seed} · {t('spread_unknown')}"
    sd, n = measured
    value = run.value("haimen_population", year=2025)
    result = f"2025: {people(value)} ± {people(sd)} · " if math.isfinite(value) else ""
    return f"{result}{scale_seed} · {t('spread', n=n, sd=people(sd))}"


def chart_svg(figure: LiveFigure | None) -> tuple[bytes, str | None]:
    """The figure at its run's year as SVG, or the error that stopped it (shown, never raised)."""
    try:
        if figure is None:
            raise RuntimeError("the chart could not be set up")
        return figure.svg(), None
    except Exception as e:  # a drawing bug shows as a message in this tab, not as a traceback
        traceback.print_exc()
        return b"", f"{type(e).__name__}: {e}"


def _new_figure(kind: type[LiveFigure], run: DemoRun) -> LiveFigure | None:
    try:
        return kind(run)
    except Exception:
        traceback.print_exc()
        return None


@solara.component
def Chart(kind: type[LiveFigure], run: DemoRun, year: int, language: str):
    """A chart of the run: set up once per run and language, its data drawn again each year (once)."""
    figure = solara.use_memo(lambda: _new_figure(kind, run), [kind, run, language])
    svg, error = solara.use_memo(lambda: chart_svg(figure), [figure, year])
    if error:
        solara.Error(t("error", error=error), classes=["demo-error"])
    else:
        w.Image(value=svg, format="svg+xml", layout={"width": "100%", "height": "auto"})


@solara.component
def Panels(run: solara.Reactive[DemoRun], years: solara.Reactive[int]):
    """The four panels of this tab's run (re-rendered after each year, alone: the sidebar is not)."""
    model, language = run.value, lang.value
    years.value  # noqa: B018  (read: re-render after each year)
    if model.error:
        solara.Error(t("error", error=model.error), classes=["demo-error"], style={"font-size": "22px"})
        return
    with solara.Div(classes=["demo-grid"]):
        for kind in (MapFigure, TargetsFigure, OriginsFigure):
            with solara.Div(classes=["demo-panel"]):
                Chart(kind, model, model.year, language)
        with solara.Column(classes=["demo-panel", "demo-numbers"], gap="2px"):
            solara.Text(status(model), classes=["demo-status"])
            solara.HTML(tag="div", unsafe_innerHTML=numbers_table(model), classes=["demo-compare"])
            solara.Text(spread_line(model), classes=["demo-note", "demo-spread"])
            Chart(SpendingFigure, model, model.year, language)


@solara.component
def Buttons(run: solara.Reactive[DemoRun], values: solara.Reactive[dict], years: solara.Reactive[int]):
    """Reset (a new run with the controls' values), Play/Pause and Step, then how to use them (or that it ended)."""
    playing = solara.use_reactive(False)
    lock = solara.use_memo(threading.Lock, [])
    model = run.value
    years.value  # noqa: B018  (read: re-render after each year, when the run may have ended)

    def advance() -> None:
        with lock:  # a click and the player never step at once
            current = run.value
            if current.error or not current.running:
                return
            current.step()
            years.value += 1

    def play() -> None:
        while playing.value and not run.value.error and run.value.running:
            advance()
            time.sleep(PLAY_PAUSE_S)
        playing.value = False

    def reset() -> None:
        playing.value = False
        with lock:
            run.value = DemoRun(**values.value)
            years.value = 0

    solara.lab.use_task(play, dependencies=[playing.value], prefer_threaded=True)
    done = bool(model.error) or not model.running
    with solara.Row(justify="space-between", classes=["demo-buttons"]):
        solara.Button(t("reset"), color="primary", on_click=reset, classes=["demo-reset"])
        solara.Button(
            t("pause") if playing.value else t("play"),
            color="primary",
            on_click=lambda: playing.set(not playing.value),
            disabled=done,
            classes=["demo-play"],
        )
        solara.Button(
            t("step"), color="primary", on_click=advance, disabled=playing.value or done, classes=["demo-step"]
        )
    ended = not model.error and not model.running  # said in place of the how-to: the sidebar keeps its height
    note = t("finished", year=model.year) if ended else f"{t('how_to')} {t('levers_note')}"
    solara.Text(note, classes=["demo-note", "demo-howto"])


@solara.component
def Levers(values: solara.Reactive[dict]):
    """The scenario compared with, scale, seed and the levers; they take effect on Reset."""
    params = model_params()  # labels in the page's language, values as the controls stand
    current = values.value

    def change(key: str, value: Any) -> None:
        values.value = {**values.value, key: value}

    for key in ("reference", "scale"):
        solara.v.Select(
            label=params[key]["label"],
            items=choices(key),
            v_model=current[key],
            on_v_model=lambda value, key=key: change(key, value),
            dense=True,
            hide_details=True,
            class_=f"demo-select demo-{key}",
        )
    sliders = {k: p | {"value": current[k]} for k, p in params.items() if k not in ("reference", "scale")}
    UserInputs(sliders, on_change=change)


@solara.component
def Page():
    """One tab: its own run, language, controls and panels."""
    values = solara.use_reactive(solara.use_memo(default_values, []))
    run = solara.use_reactive(solara.use_memo(lambda: DemoRun(**values.value), []))
    years = solara.use_reactive(0)  # years stepped since the run was made: the panels' re-render signal

    def switch_language() -> None:
        lang.value = "en" if lang.value == "zh" else "zh"

    solara.Style(CSS)
    solara.Title(t("title"))
    with solara.AppBar():
        solara.Button(t("switch"), on_click=switch_language, text=True, classes=["lang-switch"])
    with solara.AppBarTitle():
        solara.Text(t("title"))
    with solara.Sidebar(), solara.Column(gap="6px", classes=["demo-sidebar"]):
        Buttons(run, values, years)
        Levers(values)
    Panels(run, years)

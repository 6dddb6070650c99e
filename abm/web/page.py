"""The leadership demo: a Solara page of the plan on a Mesa model, started by ``abm serve``.

Each browser tab gets its own :class:`~abm.web.runs.DemoRun` (made inside the
page component, never at module level, where all tabs would share it), its own
language and its own controls. The page is built from Solara components and
Mesa's :func:`~mesa.visualization.solara_viz.UserInputs` (the sliders) rather
than Mesa's ``SolaraViz``, whose own controls and card titles (Play Interval,
Reset, Step, Model Parameters…) are fixed English text and whose sidebar does
not fit a 1920×1080 projector. Four panels: the map, the plan's targets, where
newcomers come from, and the numbers side by side with the scenario compared
with. Each year only the charts' data are drawn again (:class:`LiveFigure`),
and the next year is stepped and drawn in the background while the audience
reads this one (:class:`Show`), so a Step click only swaps it in. A model
failure is shown in its tab only.
"""

from __future__ import annotations

import math
import threading
import time
import traceback
from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")  # a server never opens windows

import reacton.ipywidgets as w
import solara
from mesa.visualization.solara_viz import UserInputs
from solara.server.kernel_context import has_current_context

from abm.fonts import register_cjk_font
from abm.outcomes import OUTCOMES
from abm.web.charts import LiveFigure, OriginsFigure, SpendingFigure, TargetsFigure
from abm.web.controls import choices, default_values, model_params
from abm.web.map import MapFigure
from abm.web.runs import DemoRun, seed_spread
from abm.web.text import lang, name, people, percent, scenario_title, t
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


def numbers_table(run: DemoRun, year: int | None = None) -> str:
    """The outcomes in ``year`` (default: the run's): current setting, the scenario compared with, their
    difference, the target."""
    head = [t("thousands_note"), t("current"), scenario_title(run.reference_name), t("difference"), t("target")]
    rows = ["<tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>"]
    for key in ROWS:
        now, ref = run.value(key, year=year), run.value(key, "reference", year)
        cells = [
            name(OUTCOMES[key]),
            _cell(key, now),
            _cell(key, ref),
            _cell(key, now - ref, signed=True),
            _target_cell(key),
        ]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return "<table>" + "".join(rows) + "</table>"


def status(run: DemoRun, year: int | None = None) -> str:
    """The year (default: the run's) and Haimen's population in both runs and their difference."""
    year = run.year if year is None else year
    now, ref = run.value("haimen_population", year=year), run.value("haimen_population", "reference", year)
    return (
        f"{t('in_year', year=year)} · {t('current')} {people(now)} · {scenario_title(run.reference_name)} "
        f"{people(ref)} · "
        f"{t('difference')} {people(now - ref, signed=True)}"
    )


def spread_line(run: DemoRun, year: int | None = None) -> str:
    """The 2025 result (once reached) with the spread across seeds measured at this scale."""
    year = run.year if year is None else year
    measured = seed_spread().get(run.scale)
    scale_seed = t("scale_seed", scale=run.scale, seed=run.seed)
    if measured is None:
        return f"{scale_seed} · {t('spread_unknown')}"
    sd, n = measured
    value = run.value("haimen_population", year=2025)
    result = f"2025: {people(value)} ± {people(sd)} · " if year >= 2025 and math.isfinite(value) else ""
    return f"{result}{scale_seed} · {t('spread', n=n, sd=people(sd))}"


CHARTS = (MapFigure, TargetsFigure, OriginsFigure, SpendingFigure)


@dataclass(frozen=True)
class Frame:
    """Everything the panels show for one year in one language (or why the run stopped before it)."""

    year: int
    status: str = ""
    table: str = ""
    spread: str = ""
    charts: tuple[bytes, ...] = ()  # SVG, in the order of CHARTS
    chart_errors: tuple[str | None, ...] = ()
    error: str | None = None  # the model failed on its way to this year


class Show:
    """A tab's run and the frames drawn of it, one year ahead of what the tab shows.

    While the audience reads year Y, :meth:`prepare` steps the run to Y+1 and
    draws that year's frame in the background, so a Step click only swaps it
    in. The run's step is deterministic, so preparing it early changes no
    number. The page reads frames, never the run itself; everything that draws
    or steps holds :attr:`lock` (a language switch too), so a frame is in one
    language and the charts are drawn by one thread at a time.
    """

    def __init__(self, run: DemoRun) -> None:
        self.run = run
        self.lock = threading.RLock()
        self.frames: dict[tuple[int, str], Frame] = {}
        self.figures: dict[str, list[LiveFigure | None]] = {}  # by language

    def frame(self, year: int, language: str) -> Frame:
        """The frame of ``year`` in ``language`` (the page's current one), drawn if not yet."""
        found = self.frames.get((year, language))  # drawn frames are read without waiting for the lock
        if found is not None:
            return found
        with self.lock:
            key = (year, language)
            if key not in self.frames:
                self.frames[key] = self._draw(year)
            return self.frames[key]

    def prepare(self, year: int, language: str) -> Frame | None:
        """The frame of the year after ``year``: the run stepped and the frame drawn if not yet.

        None at the end of the run, or if the page's language is no longer ``language``.
        """
        with self.lock:
            if year >= self.run.end:
                return None
            if self.run.year == year and not self.run.error:
                self.run.step()  # a failure is kept in run.error and becomes that year's frame
            if language != lang.value:  # switched while this waited: that frame is drawn on demand
                return None
            return self.frame(year + 1, language)

    def _draw(self, year: int) -> Frame:
        """Draw a frame in the page's language (the caller holds the lock, so it cannot change meanwhile)."""
        run, language = self.run, lang.value
        if year > run.year or run.current is None:  # the run failed before reaching it
            return Frame(year=year, error=run.error or "the run stopped")
        figures = self.figures.setdefault(language, [_new_figure(kind, run) for kind in CHARTS])
        drawn = [chart_svg(figure, year) for figure in figures]
        return Frame(
            year=year,
            status=status(run, year),
            table=numbers_table(run, year),
            spread=spread_line(run, year),
            charts=tuple(svg for svg, _ in drawn),
            chart_errors=tuple(error for _, error in drawn),
        )


@dataclass(frozen=True)
class Screen:
    """What a tab shows: its Show and the year on screen (one value, so a Reset changes both at once)."""

    show: Show
    year: int


def tab_open() -> bool:
    """Whether this thread works for an open tab: a background task that starts after its tab closed gets no
    Solara context (it must then neither draw nor read the page's state: there is nobody to show it to)."""
    return has_current_context()


def chart_svg(figure: LiveFigure | None, year: int) -> tuple[bytes, str | None]:
    """The figure in ``year`` as SVG, or the error that stopped it (shown, never raised)."""
    try:
        if figure is None:
            raise RuntimeError("the chart could not be set up")
        return figure.svg(year), None
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
def Chart(svg: bytes, error: str | None):
    """One chart of a frame, or what stopped it."""
    if error:
        solara.Error(t("error", error=error), classes=["demo-error"])
    else:
        w.Image(value=svg, format="svg+xml", layout={"width": "100%", "height": "auto"})


@solara.component
def Panels(screen: solara.Reactive[Screen]):
    """The four panels of the year shown (re-rendered alone after each year: the sidebar is not)."""
    current, year, language = screen.value.show, screen.value.year, lang.value
    frame = current.frame(year, language)

    def prepare_next() -> None:
        """The next year, in the background, while this one is read."""
        if tab_open():
            current.prepare(year, language)

    solara.lab.use_task(prepare_next, dependencies=[current, year, language])
    if frame.error:
        solara.Error(t("error", error=frame.error), classes=["demo-error"], style={"font-size": "22px"})
        return
    charts = list(zip(frame.charts, frame.chart_errors, strict=True))
    with solara.Div(classes=["demo-grid"]):
        for svg, error in charts[:3]:
            with solara.Div(classes=["demo-panel"]):
                Chart(svg, error)
        with solara.Column(classes=["demo-panel", "demo-numbers"], gap="2px"):
            solara.Text(frame.status, classes=["demo-status"])
            solara.HTML(tag="div", unsafe_innerHTML=frame.table, classes=["demo-compare"])
            solara.Text(frame.spread, classes=["demo-note", "demo-spread"])
            Chart(*charts[3])


@solara.component
def Buttons(screen: solara.Reactive[Screen], values: solara.Reactive[dict]):
    """Reset (a new run with the controls' values), Play/Pause and Step, then how to use them (or that it ended)."""
    playing = solara.use_reactive(False)
    now = screen.value
    frame = now.show.frame(now.year, lang.value)
    ended = now.year >= now.show.run.end

    def can_step(at: Screen) -> bool:
        return at.year < at.show.run.end and not at.show.frame(at.year, lang.value).error

    def advance() -> None:
        """Show the next year (prepared in the background; waited for if not yet)."""
        at = screen.value
        if not can_step(at):
            return
        at.show.prepare(at.year, lang.value)
        if screen.value == at:  # not reset (or stepped) meanwhile
            screen.value = Screen(at.show, at.year + 1)

    def play() -> None:
        while tab_open() and playing.value and can_step(screen.value):
            advance()
            time.sleep(PLAY_PAUSE_S)
        playing.value = False

    def reset() -> None:
        playing.value = False
        fresh = Show(DemoRun(**values.value))
        screen.value = Screen(fresh, fresh.run.year)

    solara.lab.use_task(play, dependencies=[playing.value], prefer_threaded=True)
    done = bool(frame.error) or ended
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
    note = t("finished", year=now.year) if ended else f"{t('how_to')} {t('levers_note')}"
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
    first = solara.use_memo(lambda: Screen(show := Show(DemoRun(**values.peek())), show.run.year), [])
    screen = solara.use_reactive(first)  # the run may be a year ahead of the screen

    def switch_language() -> None:
        with screen.value.show.lock:  # never while a frame is being drawn: each frame is in one language
            lang.value = "en" if lang.value == "zh" else "zh"

    solara.Style(CSS)
    solara.Title(t("title"))
    with solara.AppBar():
        solara.Button(t("switch"), on_click=switch_language, text=True, classes=["lang-switch"])
    with solara.AppBarTitle():
        solara.Text(t("title"))
    with solara.Sidebar(), solara.Column(gap="6px", classes=["demo-sidebar"]):
        Buttons(screen, values)
        Levers(values)
    Panels(screen)

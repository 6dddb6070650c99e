"""The leadership demo: a Solara page of the plan on a Mesa model, started by ``abm serve``.

Each browser tab gets its own :class:`~abm.web.show.Show` (a :class:`~abm.web.runs.DemoRun`
and its frames, made inside the page component, never at module level, where all tabs would
share it), its own language and its own controls. The page is built from Solara components
rather than Mesa's ``SolaraViz``, whose own controls and card titles (Play Interval, Reset,
Step, Model Parameters…) are fixed English text and whose sidebar does not fit a 1920×1080
projector; the sliders are :func:`~abm.web.widgets.LeverSlider` (why: ``widgets.py``).

What the page shows is always what the model runs: the controls take effect on Reset, and until
then a notice lists the changes waiting (:func:`Pending`). The applied setting, the year, the
language and the view are kept in the page's address (``address.py``), so a reload or a shared
link restores them. Two views: the workbench (controls in the sidebar, four panels) and
presentation (no sidebar, the six stories as buttons, fewer and larger panels). A Step clicked
while the next year is still being prepared is dropped, so rapid clicks never queue up.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")  # a server never opens windows

import reacton.ipywidgets as w
import solara
from solara.server.kernel_context import has_current_context

from abm.fonts import register_cjk_font
from abm.web.address import Address, decode, encode
from abm.web.charts import MeasuresFigure, OriginsFigure, SpendingFigure, TargetsFigure
from abm.web.controls import changes, choices, default_values, slider, sliders
from abm.web.export import view_png
from abm.web.map import MapFigure
from abm.web.runs import PLAN_CHOICES
from abm.web.show import CHARTS, Show, show_for
from abm.web.stories import Story, presets
from abm.web.summary import banner, numbers_table
from abm.web.text import lang, t
from abm.web.widgets import LeverSlider, PageScript
from environment.inputs import CENSUS_YEAR

register_cjk_font()
matplotlib.rcParams["font.size"] = 12
matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: quicker than PNG; the browser has the fonts
PLAY_PAUSE_S = 0.3  # pause between years while playing, so each year can be read
PANEL_CHARTS = {"map": MapFigure, "spending": SpendingFigure, "measures": MeasuresFigure}

CSS = """
.v-application { font-size: 16px; }
.v-toolbar__title { font-size: 26px !important; font-weight: 700; }
.v-btn { text-transform: none !important; letter-spacing: normal !important; }
.demo-appbar .v-btn { font-size: 18px !important; }
.v-navigation-drawer .solara-content-main { padding: 6px 12px !important; }
.demo-sidebar .v-btn { font-size: 17px !important; min-width: 100px !important; }
.demo-sidebar .v-input { margin-top: 0 !important; padding-top: 0 !important; }
.demo-sidebar .v-messages { display: none; }
.demo-sidebar .v-input__slot { margin-bottom: 0 !important; }
.demo-sidebar .v-select .v-select__selection { font-size: 15px; }
.demo-sidebar .demo-reference { margin-top: 14px !important; }
.demo-lever-head { flex-wrap: nowrap; align-items: baseline; }
.demo-lever-label { font-size: 14px; color: #111; line-height: 1.15; }
.demo-lever-value { font-size: 15px; font-weight: 700; color: #0d47a1; white-space: nowrap; }
.demo-lever .v-slider { margin: 0 4px !important; min-height: 22px; }
.demo-lever .v-input__control { min-height: 22px; }
.demo-pending { font-size: 15px; font-weight: 700; color: #b71c1c; background: #fff3e0; padding: 4px 8px;
  border-left: 4px solid #e65100; line-height: 1.3; }
.demo-note { font-size: 14px; color: #222; line-height: 1.3; }
.demo-stories .v-btn { font-size: 15px !important; padding: 0 10px !important; height: 30px !important; }
.demo-main { height: calc(100vh - 88px); overflow: hidden; flex-wrap: nowrap !important; }
.demo-body { flex: 1 1 auto; min-height: 0; flex-wrap: nowrap !important; }
.demo-banner { font-size: 17px; color: #111; line-height: 1.35; }
.demo-headline { font-size: 24px; font-weight: 700; color: #0d47a1; }
.demo-mark { font-weight: 700; padding: 0 6px; border-radius: 4px; white-space: nowrap; }
.demo-met { color: #fff; background: #2e7d32; }
.demo-not-met { color: #fff; background: #c62828; }
.demo-on-way { color: #424242; background: #e0e0e0; }
.demo-zone { display: inline-block; margin-right: 18px; white-space: nowrap; }
.demo-setting { font-size: 15px; color: #37474f; }
.demo-uncertainty { font-size: 15px; color: #37474f; }
.demo-reached { font-weight: 700; color: #0d47a1; }
.demo-grid { flex: 1 1 auto; min-height: 0; display: grid; grid-template-columns: 1fr 1fr;
  grid-template-rows: auto minmax(0, 1fr); gap: 4px 12px; }
.demo-panel { min-width: 0; min-height: 0; display: flex; flex-direction: column; }
.demo-chart, .demo-chart > div { flex: 1 1 auto; min-height: 0; min-width: 0; display: flex; }
.demo-panel img.widget-image { width: 100% !important; height: 100% !important; min-height: 0;
  object-fit: contain; object-position: left top; }
.demo-grid > .demo-panel:nth-child(-n+2) img.widget-image { height: auto !important; max-height: 46vh; }
.demo-numbers table { border-collapse: collapse; width: 100%; }
.demo-numbers th, .demo-numbers td { font-size: 15px; padding: 0 5px; text-align: right; color: #000;
  white-space: nowrap; }
.demo-numbers th { white-space: normal; vertical-align: bottom; line-height: 1.15; }
.demo-numbers th:first-child, .demo-numbers td:first-child { text-align: left; white-space: nowrap; }
.demo-numbers tr:nth-child(even) { background: #eef2f7; }
.demo-panel-switch .v-btn { font-size: 14px !important; height: 28px !important; }
.demo-present .demo-headline { font-size: 32px; }
.demo-present .demo-banner { font-size: 24px; }
.demo-present .demo-setting, .demo-present .demo-uncertainty { font-size: 24px; }
.demo-present .demo-numbers th, .demo-present .demo-numbers td { font-size: 24px; padding: 1px 8px; }
.demo-present .demo-grid > .demo-panel:nth-child(-n+2) img.widget-image { max-height: 45vh; }
.demo-wide { grid-column: 1 / span 2; }
.demo-present .demo-stories .v-btn { font-size: 20px !important; height: 44px !important; }
.demo-present .demo-panel-switch .v-btn { font-size: 18px !important; height: 34px !important; }
.demo-present .demo-controls .v-btn { font-size: 20px !important; height: 44px !important; }
"""


@dataclass(frozen=True)
class Screen:
    """What a tab shows: its Show and the year on screen (one value, so a Reset changes both at once)."""

    show: Show
    year: int


def warm_up() -> None:
    """Draw a fresh page's first year, prepare its second, run it to the end (``abm serve`` calls this as it
    starts)."""
    show = show_for(default_values())
    show.frame(CENSUS_YEAR, lang.value)
    show.prepare(CENSUS_YEAR, lang.value)
    show.run_ahead()


def tab_open() -> bool:
    """Whether this thread works for an open tab: a background task that starts after its tab closed gets no
    Solara context (it must then neither draw nor read the page's state: there is nobody to show it to)."""
    return has_current_context()


def start(values: dict[str, Any], year: int) -> Screen:
    """A new run of ``values`` stepped to ``year`` (as far as it goes), its frame drawn: put on screen, it shows at
    once, with the controls that made it."""
    show = show_for(values)
    show.goto(year)
    screen = Screen(show, min(year, show.run.year) if not show.run.error else show.run.year)
    show.frame(screen.year, lang.value)
    return screen


@solara.component
def Chart(svg: bytes, error: str | None):
    """One chart of a frame, or what stopped it."""
    if error:
        solara.Error(t("error", error=error), classes=["demo-error"])
    else:
        with solara.Div(classes=["demo-chart"]):
            w.Image(value=svg, format="svg+xml", layout={"width": "100%", "height": "100%"})


@solara.component
def Banner(screen: solara.Reactive[Screen], ahead: int):
    """The headline banner of the year on screen (``ahead`` changes when the run has reached its end)."""
    del ahead  # a dependency only: the banner says when 110万 is reached once the run has got there
    now = screen.value
    if now.show.run.current is None:
        return
    solara.HTML(tag="div", unsafe_innerHTML=banner(now.show.run, now.year), classes=["demo-banner"])


@solara.component
def Panels(screen: solara.Reactive[Screen], panel: solara.Reactive[str], view: str):
    """The charts and the table of the year shown (re-rendered alone after each year: the sidebar is not)."""
    current, year, language = screen.value.show, screen.value.year, lang.value
    frame = current.frame(year, language)
    ahead = solara.use_reactive(0)

    def prepare_next() -> None:
        """In the background, while this year is read: the next year's charts, then the rest of the run (the
        banner then says when 110万 is reached)."""
        if tab_open():
            current.prepare(year, language)
        if tab_open() and current.run_ahead() and tab_open():
            ahead.value += 1

    solara.lab.use_task(prepare_next, dependencies=[current, year, language])
    with solara.Column(classes=["demo-body"], gap="4px"):
        Banner(screen, ahead.value)
        if frame.error:
            solara.Error(t("error", error=frame.error), classes=["demo-error"], style={"font-size": "22px"})
        else:
            Grid(current, year, frame, panel, view)


@solara.component
def Grid(current: Show, year: int, frame: Any, panel: solara.Reactive[str], view: str):
    """The panels: charts, the table and the fourth panel (this year's subsidies or the ten measures)."""
    charts = dict(zip(CHARTS, zip(frame.charts, frame.chart_errors, strict=True), strict=True))
    present = view == "present"
    table = numbers_table(current.run, year, compact=present)
    with solara.Div(classes=["demo-grid"]):
        if present:  # the targets and the chosen panel, larger; the table under them
            with solara.Div(classes=["demo-panel", "demo-panel-TargetsFigure"]):
                Chart(*charts[TargetsFigure])
            with solara.Div(classes=["demo-panel", f"demo-panel-{PANEL_CHARTS[panel.value].__name__}"]):
                PanelSwitch(panel, ("map", "spending", "measures"))
                Chart(*charts[PANEL_CHARTS[panel.value]])
            with solara.Div(classes=["demo-panel", "demo-numbers", "demo-wide"]):
                solara.HTML(tag="div", unsafe_innerHTML=table, classes=["demo-compare"])
            return
        for kind in (MapFigure, TargetsFigure, OriginsFigure):
            with solara.Div(classes=["demo-panel", f"demo-panel-{kind.__name__}"]):
                Chart(*charts[kind])
        fourth = "spending" if panel.value == "map" else panel.value
        with solara.Div(classes=["demo-panel", "demo-numbers"]):
            solara.HTML(tag="div", unsafe_innerHTML=table, classes=["demo-compare"])
            PanelSwitch(panel, ("spending", "measures"))
            Chart(*charts[PANEL_CHARTS[fourth]])


@solara.component
def PanelSwitch(panel: solara.Reactive[str], options: tuple[str, ...]):
    """Which panel: the map, this year's subsidies, or what each measure adds."""
    shown = panel.value if panel.value in options else options[0]
    with solara.ToggleButtonsSingle(value=shown, on_value=panel.set, classes=["demo-panel-switch"], dense=True):
        for option in options:
            solara.Button(t(f"panel_{option}"), value=option, classes=[f"demo-panel-{option}"])


@solara.component
def Buttons(screen: solara.Reactive[Screen], values: solara.Reactive[dict], compact: bool = False):
    """Reset (a new run with the controls' values), Play/Pause and Step."""
    playing = solara.use_reactive(False)
    stepping = solara.use_reactive(False)  # a Step waits for its year: further clicks are dropped meanwhile
    now = screen.value
    frame = now.show.frame(now.year, lang.value)
    ended = now.year >= now.show.run.end

    def can_step(at: Screen) -> bool:
        return at.year < at.show.run.end and not at.show.frame(at.year, lang.value).error

    def show_next(at: Screen) -> None:
        """Show the year after ``at`` (prepared in the background; waited for if not yet)."""
        at.show.prepare(at.year, lang.value)
        if screen.value == at:  # not reset (or stepped) meanwhile
            screen.value = Screen(at.show, at.year + 1)

    def step() -> None:
        at = screen.value
        if stepping.value or playing.value or not can_step(at):
            return  # a click while a year is on its way is dropped (rapid clicks do not queue up)
        if at.show.ready(at.year + 1, lang.value) is not None:
            screen.value = Screen(at.show, at.year + 1)
        else:
            stepping.value = True  # wait_for_year shows it when it is ready

    def wait_for_year() -> None:
        if stepping.value and tab_open():
            at = screen.value
            if can_step(at):
                show_next(at)
            stepping.value = False

    def play() -> None:
        while tab_open() and playing.value and can_step(screen.value):
            show_next(screen.value)
            time.sleep(PLAY_PAUSE_S)
        playing.value = False

    def reset() -> None:
        playing.value = False
        screen.value = start(values.value, CENSUS_YEAR)

    solara.lab.use_task(wait_for_year, dependencies=[stepping.value], prefer_threaded=True)
    solara.lab.use_task(play, dependencies=[playing.value], prefer_threaded=True)
    done = bool(frame.error) or ended
    with solara.Row(justify="space-between", classes=["demo-buttons", "demo-controls"], gap="6px"):
        solara.Button(t("reset"), color="primary", on_click=reset, classes=["demo-reset"])
        solara.Button(
            t("pause") if playing.value else t("play"),
            color="primary",
            on_click=lambda: playing.set(not playing.value),
            disabled=done,
            classes=["demo-play"],
        )
        solara.Button(
            t("step"),
            color="primary",
            on_click=step,
            disabled=playing.value or done,
            loading=stepping.value,
            classes=["demo-step"],
        )
    if not compact:
        note = t("finished", year=now.year) if ended else t("how_to")
        solara.Text(note, classes=["demo-note", "demo-howto"])


@solara.component
def Pending(screen: solara.Reactive[Screen], values: solara.Reactive[dict]):
    """The changes made to the controls that the model does not run yet (until Reset)."""
    waiting = changes(values.value, screen.value.show.values)
    if waiting:
        text = t("pending", changes="; ".join(waiting))
        solara.Text(text, classes=["demo-pending"])


@solara.component
def Stories(screen: solara.Reactive[Screen], values: solara.Reactive[dict], panel: solara.Reactive[str]):
    """One button per preset: the setting applied at once, shown in the story's year."""

    def apply(story: Story) -> None:
        fresh = start(story.values, story.year)  # first the run, then everything the page shows changes at once
        values.value = dict(story.values)
        panel.value = story.panel
        screen.value = fresh

    with solara.Row(classes=["demo-stories"], gap="6px", style={"flex-wrap": "wrap"}):
        for story in presets():
            solara.Button(
                story.title_zh if lang.value == "zh" else story.title_en,
                on_click=lambda story=story: apply(story),
                outlined=True,
                color="primary",
                classes=["demo-story", f"demo-story-{story.key}"],
            )


@solara.component
def Levers(values: solara.Reactive[dict]):
    """The scenario compared with and the levers; in a closed corner, scale and random draw. On Reset they apply."""
    current = values.value

    def change(key: str, value: Any) -> None:
        values.value = {**values.value, key: value}

    def chooser(key: str, label: str) -> None:
        solara.v.Select(
            label=label,
            items=choices(key),
            v_model=current[key],
            on_v_model=lambda value: change(key, value),
            dense=True,
            hide_details=True,
            class_=f"demo-select demo-{key}",
        )

    chooser("reference", t("compare_with"))
    for key in PLAN_CHOICES:
        chooser(key, t(f"{key}_label"))
    for spec in sliders():
        LeverSlider(spec, current[spec.key], lambda value, key=spec.key: change(key, value))
    with solara.Details(t("advanced"), expand=False):
        chooser("scale", t("scale_label"))
        LeverSlider(slider("rng"), current["rng"], lambda value: change("rng", value))


@solara.component
def Export(screen: solara.Reactive[Screen], view: str, panel: str):
    """A button that downloads the view on screen as a PNG image."""
    now, language = screen.value, lang.value
    kinds = (
        [TargetsFigure, PANEL_CHARTS[panel]]
        if view == "present"
        else [MapFigure, TargetsFigure, OriginsFigure, PANEL_CHARTS["spending" if panel == "map" else panel]]
    )
    with solara.FileDownload(
        lambda: view_png(now.show, now.year, kinds, language),
        filename=f"haimen_{now.year}.png",
        mime_type="image/png",
    ):
        solara.Button(t("export"), text=True, classes=["demo-export"])


@solara.component
def PageAddress(screen: solara.Reactive[Screen], view: solara.Reactive[str], panel: solara.Reactive[str]):
    """The page's address, kept equal to what it shows (re-rendered alone when the year changes)."""
    shown = screen.value
    PageScript(query=encode(Address(shown.show.values, shown.year, lang.value, view.value, panel.value)))


@solara.component
def Page():
    """One tab: its own run, language, controls and panels, restored from the page's address."""
    router = solara.use_router()
    address = solara.use_memo(lambda: decode(router.search), [])
    solara.use_memo(lambda: lang.set(address.lang), [])
    values = solara.use_reactive(address.values)
    screen = solara.use_reactive(solara.use_memo(lambda: start(address.values, address.year), []))
    view = solara.use_reactive(address.view)
    panel = solara.use_reactive(address.panel)

    def switch_language() -> None:
        lang.value = "en" if lang.value == "zh" else "zh"  # frames are drawn in the language asked for

    present = view.value == "present"
    with solara.Column(gap="0px", classes=["demo-page"]):  # one root: no gaps above the main area
        solara.Style(CSS)
        solara.Title(t("title"))
        with solara.AppBar(), solara.Row(classes=["demo-appbar"], gap="4px"):
            PageAddress(screen, view, panel)
            solara.Button(
                t("workbench") if present else t("presentation"),
                on_click=lambda: view.set("work" if present else "present"),
                text=True,
                classes=["demo-view"],
            )
            Export(screen, view.value, panel.value)
            solara.Button(t("switch"), on_click=switch_language, text=True, classes=["lang-switch"])
        with solara.AppBarTitle():
            solara.Text(t("title"))
        if not present:
            with solara.Sidebar(), solara.Column(gap="4px", classes=["demo-sidebar"]):
                Buttons(screen, values)
                Pending(screen, values)
                Levers(values)
        with solara.Column(classes=["demo-main", "demo-present" if present else "demo-work"], gap="4px"):
            if address.ignored:
                solara.Warning(t("bad_address", keys=", ".join(address.ignored)), classes=["demo-bad-address"])
            with solara.Row(justify="space-between", classes=["demo-story-bar"]):
                Stories(screen, values, panel)
                if present:
                    Buttons(screen, values, compact=True)
            if present:
                Pending(screen, values)
            Panels(screen, panel, view.value)

"""The leadership demo: a Mesa SolaraViz page of the plan, started by ``abm serve``.

Each browser tab gets its own :class:`~abm.app_runs.DemoRun` (the model is made
inside the page component, never at module level, where all tabs would share
it), its own language and its own controls. Four panels: the map, the plan's
targets, where newcomers come from, and the numbers side by side with the
scenario compared with. A model failure is shown in its tab only.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import matplotlib

matplotlib.use("Agg")  # a server never opens windows

import solara
from matplotlib.figure import Figure
from mesa.visualization import SolaraViz
from mesa.visualization import solara_viz as _mesa_viz

from abm.app_charts import origins_figure, spending_figure, targets_figure
from abm.app_controls import model_params
from abm.app_map import map_figure
from abm.app_runs import DemoRun, seed_spread
from abm.app_text import lang, name, people, percent, t
from abm.fonts import register_cjk_font
from abm.outcomes import OUTCOMES
from environment.targets import targets

register_cjk_font()
matplotlib.rcParams["font.size"] = 12
matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: half the time of PNG; the browser has the fonts

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
main .v-tabs { display: none; }
.v-navigation-drawer .v-card__title { font-size: 16px; padding: 4px 12px; }
.v-navigation-drawer .v-card__text, .v-navigation-drawer .v-card > div { padding-top: 0; padding-bottom: 4px; }
.v-navigation-drawer .v-label { font-size: 13px; color: #111 !important; }
.v-navigation-drawer .v-input { margin-top: 0 !important; padding-top: 0 !important; }
.v-navigation-drawer .v-messages { min-height: 0 !important; }
.v-navigation-drawer .v-input__slot { margin-bottom: 0 !important; }
.v-navigation-drawer .v-input__slider .v-input__slot { flex-wrap: wrap; }
.v-navigation-drawer .v-input__slider .v-input__slot > .v-label { width: 100%; max-width: 100%; margin-bottom: -8px; }
.v-navigation-drawer .v-input__slider .v-slider { margin-bottom: 8px; }
.v-navigation-drawer .v-input__slider .v-label { height: auto !important; white-space: normal; line-height: 1.2; }
.v-slider__thumb-label-container { display: block !important; }
.v-slider .v-slider__thumb-label.primary { transform: translate(-50%, 26px) !important; background: none !important;
  color: #0d47a1 !important; font-size: 12px; font-weight: 700; width: auto !important; height: auto !important; }
.v-slider .v-slider__thumb-label > * { transform: none !important; }
.demo-numbers table { border-collapse: collapse; width: 100%; }
.demo-numbers th, .demo-numbers td { font-size: 15px; padding: 1px 6px; text-align: right; color: #000; }
.demo-numbers th:first-child, .demo-numbers td:first-child { text-align: left; }
.demo-numbers tr:nth-child(even) { background: #eef2f7; }
.demo-status { font-size: 19px; font-weight: 700; color: #0d47a1; }
.demo-note { font-size: 14px; color: #222; }
"""


def grid_layout(n: int) -> list[dict]:
    """Two panels a row, tall enough to fill a 1920×1080 screen (Mesa's default leaves half of it empty)."""
    heights = (11, 13)  # the map and target charts above, the numbers below
    return [
        {"i": i, "w": 6, "h": heights[min(i // 2, 1)], "moved": False, "x": 6 * (i % 2), "y": 11 * (i // 2)}
        for i in range(n)
    ]


_mesa_viz.make_initial_grid_layout = grid_layout


@solara.component
def Chart(make: Callable[[DemoRun], Figure], run: DemoRun, year: int, language: str):
    """A matplotlib figure of the run, drawn again only when the run, its year or the language change."""
    figure = solara.use_memo(lambda: make(run), [run, year, language])
    solara.FigureMatplotlib(figure, format="svg", dependencies=[run, year, language])


def _error(run: DemoRun) -> bool:
    """Show the run's failure in this tab; True if there is one."""
    if run.error:
        solara.Error(t("error", error=run.error), classes=["demo-error"])
    return bool(run.error)


def MapPanel(run: DemoRun):
    """The region, the year's flows into Haimen, and Haimen's towns."""
    if not _error(run):
        Chart(map_figure, run, run.year, lang.value)


def TargetsPanel(run: DemoRun):
    """Population, the three zones and urbanization against the plan's targets."""
    if not _error(run):
        Chart(targets_figure, run, run.year, lang.value)


def OriginsPanel(run: DemoRun):
    """Moves into Haimen by origin; Haimen residents working in Shanghai."""
    if not _error(run):
        Chart(origins_figure, run, run.year, lang.value)


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
    head = [t("thousands_note"), t("current"), run.reference_name, t("difference"), t("target")]
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
        f"{t('in_year', year=run.year)} · {t('current')} {people(now)} · {run.reference_name} {people(ref)} · "
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


def NumbersPanel(run: DemoRun):
    """The side-by-side numbers, the seed spread, and what the measures pay."""
    if _error(run):
        return
    with solara.Column(classes=["demo-numbers"], gap="4px"):
        solara.Text(status(run), classes=["demo-status"])
        solara.HTML(tag="div", unsafe_innerHTML=numbers_table(run), classes=["demo-compare"])
        solara.Text(spread_line(run), classes=["demo-note", "demo-spread"])
        Chart(spending_figure, run, run.year, lang.value)


@solara.component
def Page():
    """One tab: its own model, language switch, controls and panels."""
    run = solara.use_reactive(solara.use_memo(DemoRun, []))

    def switch_language() -> None:
        lang.value = "en" if lang.value == "zh" else "zh"

    solara.Style(CSS)
    with solara.Sidebar():
        solara.Text(f"{t('how_to')} {t('levers_note')}", classes=["demo-note", "demo-howto"])
    with solara.AppBar():
        solara.Button(
            t("switch"), on_click=switch_language, text=True, classes=["lang-switch"], style={"font-size": "18px"}
        )
    SolaraViz(
        run,
        components=[MapPanel, TargetsPanel, OriginsPanel, NumbersPanel],
        model_params=model_params(),
        name=t("title"),
        play_interval=300,
    )

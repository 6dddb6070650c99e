"""The web page's charts: the plan's targets, where newcomers come from, and what the measures pay.

Each chart is a :class:`LiveFigure`: its axes, titles, targets and legends are
drawn once per run and language (:meth:`LiveFigure.setup`); each year only the
data are drawn again (:meth:`LiveFigure.draw_year`), which keeps a Step quick.
The current setting is a solid line, the scenario compared with is dashed;
targets are read from ``targets.toml``, names from the outcome and target
registries, and every figure from the run's declared outcomes.
"""

from __future__ import annotations

import contextlib
import io
from abc import ABC, abstractmethod
from collections.abc import Iterator

from matplotlib.artist import Artist
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from abm.outcomes import OUTCOMES
from abm.web.runs import DemoRun
from abm.web.text import lang, name, people_scale, place_name, scenario_title, t
from environment.inputs import CENSUS_YEAR
from environment.settings import run_default
from environment.targets import measure_targets, targets

CURRENT, REFERENCE, TARGET = "#1565c0", "#757575", "#d32f2f"
ZONE_COLOURS = {"added_kaifaqu": "#6a1b9a", "added_gangxinqu": "#00838f", "added_sanxing": "#ef6c00"}


def _artists(fig: Figure) -> Iterator[Artist]:
    """Everything drawn on the figure and its axes (containers first: removing one removes its bars)."""
    for ax in fig.axes:
        yield from ax.containers
    yield from (*fig.texts, *fig.lines, *fig.patches, *fig.artists)
    for ax in fig.axes:
        yield from (*ax.lines, *ax.patches, *ax.texts, *ax.collections, *ax.artists, *ax.images)


class LiveFigure(ABC):
    """A matplotlib figure of one run in one language, redrawn year by year.

    Whatever :meth:`draw_year` adds is removed before the next year's is drawn;
    axes that scale themselves rescale to the static parts plus the new year's.
    """

    size: tuple[float, float] = (8.0, 4.0)  # inches at 100 dpi: the panel's pixels

    def __init__(self, run: DemoRun) -> None:
        self.run = run
        self.year = run.year  # the year drawn: the run's, or an earlier one (the run may be a year ahead)
        self.figure = Figure(figsize=self.size, dpi=100)
        self.setup()
        self._year_artists: list[Artist] = []

    @abstractmethod
    def setup(self) -> None:
        """Draw what stays the same from year to year."""

    @abstractmethod
    def draw_year(self) -> None:
        """Draw the year ``self.year`` (what it adds is removed before the next year's)."""

    def svg(self, year: int | None = None) -> bytes:
        """The figure in ``year`` (default: the run's), as SVG (text stays text: the browser has the fonts)."""
        self.year = self.run.year if year is None else year
        for artist in self._year_artists:
            with contextlib.suppress(ValueError):  # a bar already removed with its container
                artist.remove()
        for ax in self.figure.axes:
            ax.relim()
        before = {id(a) for a in _artists(self.figure)}
        self.draw_year()
        self._year_artists = [a for a in _artists(self.figure) if id(a) not in before]
        for ax in self.figure.axes:
            ax.autoscale_view()
        out = io.BytesIO()
        self.figure.savefig(out, format="svg", metadata={"Date": None})  # same year, same bytes
        return out.getvalue()


def _axes_years(ax) -> None:
    ax.set_xlim(CENSUS_YEAR - 0.3, run_default("end") + 0.3)
    ax.set_xticks(range(CENSUS_YEAR, run_default("end") + 1, 5))
    ax.set_autoscalex_on(False)
    ax.grid(alpha=0.3)


def _pair(ax, run: DemoRun, year: int, key: str, colour: str, divide: float, zone: bool = False) -> None:
    """The outcome up to ``year`` under the current setting (solid) and the scenario compared with (dashed)."""
    now = run.series(key, until=year)
    ref = run.series(key, "reference", until=year)
    ax.plot(ref.index, ref.to_numpy() / divide, ls="--", color=colour if zone else REFERENCE, lw=2, alpha=0.8)
    ax.plot(now.index, now.to_numpy() / divide, color=colour, lw=3, marker="o", ms=4)


def _target(ax, key: str, divide: float) -> None:
    target = targets()[OUTCOMES[key].target]
    value = target.value / divide
    ax.axhline(value, color=TARGET, lw=1.5, ls=":")
    ax.plot([target.year], [value], marker="*", ms=16, color=TARGET, zorder=5)


class TargetsFigure(LiveFigure):
    """Population against 110万, the three zones against their targets, urbanization against 75%."""

    def setup(self) -> None:
        fig = self.figure
        self.pop, self.zones, self.urban = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.3, 1.2, 1]})
        fig.subplots_adjust(left=0.09, right=0.99, top=0.86, bottom=0.08, wspace=0.34)
        k = people_scale()
        _target(self.pop, "haimen_population", k)
        self.pop.set_title(name(OUTCOMES["haimen_population"]), fontsize=13)
        self.pop.set_ylabel(t("people_axis"))
        handles = []
        for key, colour in ZONE_COLOURS.items():
            _target(self.zones, key, k)
            handles.append(Line2D([], [], color=colour, lw=3, label=name(targets()[OUTCOMES[key].target])))
        self.zones.axhline(0, color="#424242", lw=0.8)
        self.zones.set_title(t("zones_title"), fontsize=13)
        self.zones.legend(handles=handles, fontsize=9, loc="upper left", framealpha=0.8)
        _target(self.urban, "urbanization", 0.01)
        self.urban.set_title(name(OUTCOMES["urbanization"]), fontsize=13)
        self.urban.set_ylabel(t("share_axis"))
        for ax in (self.pop, self.zones, self.urban):
            _axes_years(ax)
        fig.suptitle(t("targets_title"), fontsize=14, x=0.01, ha="left", weight="bold")

    def draw_year(self) -> None:
        k = people_scale()
        _pair(self.pop, self.run, self.year, "haimen_population", CURRENT, k)
        for key, colour in ZONE_COLOURS.items():
            _pair(self.zones, self.run, self.year, key, colour, k, zone=True)
        _pair(self.urban, self.run, self.year, "urbanization", CURRENT, 0.01)


class OriginsFigure(LiveFigure):
    """This year's moves into Haimen by origin, and Haimen residents working in Shanghai."""

    def setup(self) -> None:
        from environment.places import places

        fig = self.figure
        self.bars, self.shanghai = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.2, 1]})
        fig.subplots_adjust(left=0.19 if lang.value == "zh" else 0.23, right=0.99, top=0.88, bottom=0.12, wspace=0.3)
        pl = places()
        self.outside = [key for key in pl.keys if not pl.in_haimen[pl.index(key)]]
        self.inside = [key for key in pl.keys if pl.in_haimen[pl.index(key)]]
        labels = [place_name(key) for key in self.outside] + [t("within_haimen")]
        self.bars.set_yticks(range(len(labels)), labels, fontsize=12)
        self.bars.set_ylim(len(labels) - 0.5, -0.5)  # first origin on top
        self.bars.set_autoscaley_on(False)
        self.bars.set_xlabel(t("people_year_axis"))
        legend = [
            Patch(color=CURRENT, label=t("current")),
            Patch(color=REFERENCE, label=f"{t('reference')}: {scenario_title(self.run.reference_name)}"),
        ]
        self.bars.legend(handles=legend, fontsize=9, loc="lower right")
        self.bars.grid(axis="x", alpha=0.3)
        self.shanghai.set_title(name(OUTCOMES["working_in_shanghai"]), fontsize=11 if lang.value == "zh" else 10)
        self.shanghai.set_ylabel(t("people_axis"))
        _axes_years(self.shanghai)

    def _by_origin(self, side: str) -> list[float]:
        moves, k = self.run.breakdown("moves_into_haimen", side, self.year), people_scale()
        return [moves.get(key, 0.0) / k for key in self.outside] + [sum(moves.get(key, 0.0) for key in self.inside) / k]

    def draw_year(self) -> None:
        now, then = self._by_origin("current"), self._by_origin("reference")
        y = range(len(now))
        self.bars.barh([i + 0.2 for i in y], now, height=0.4, color=CURRENT)
        self.bars.barh([i - 0.2 for i in y], then, height=0.4, color=REFERENCE)
        self.bars.set_title(f"{t('origins_title')} · {self.year}", fontsize=13)
        _pair(self.shanghai, self.run, self.year, "working_in_shanghai", CURRENT, people_scale())


class SpendingFigure(LiveFigure):
    """This year's subsidies by measure group (the ``spending`` outcome), with each group's yearly target."""

    size = (7.4, 2.3)

    def setup(self) -> None:
        fig = self.figure
        self.ax = fig.subplots()
        fig.subplots_adjust(left=0.33 if lang.value == "zh" else 0.42, right=0.98, top=0.87, bottom=0.12)
        self.groups = measure_targets()
        labels = [
            f"{m} {name(target)} · {t('per_year_target', people=f'{target.people_per_year:,}')}"
            for m, target in self.groups.items()
        ]
        self.ax.set_yticks(range(len(labels)), labels, fontsize=9)
        self.ax.set_ylim(len(labels) - 0.5, -0.5)
        self.ax.set_autoscaley_on(False)
        self.ax.set_title(t("spending_title"), fontsize=11)
        self.ax.grid(axis="x", alpha=0.3)

    def draw_year(self) -> None:
        paid = self.run.breakdown("spending", year=self.year)
        unit = 1e6 if lang.value == "en" else 1e4  # million yuan / 万元
        values = [paid.get(f"{m:02d}", 0.0) / unit for m in self.groups]
        self.ax.barh(range(len(values)), values, color=CURRENT)
        for i, v in enumerate(values):
            if v == 0:
                self.ax.text(0, i, " " + t("no_money"), va="center", fontsize=8, color="#616161")
        self.ax.set_xlim(0, max([*values, 1.0]) * 1.05)

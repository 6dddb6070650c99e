"""The web page's charts: the plan's targets, where newcomers come from, what the measures pay and deliver.

Each chart is a :class:`LiveFigure`: its axes, titles, targets and legends are
drawn once per run and language (:meth:`LiveFigure.setup`); each year only the
data are drawn again (:meth:`LiveFigure.draw_year`), which keeps a Step quick.
The current setting is a solid line, the scenario compared with is dashed;
targets are read from ``targets.toml``, names from the outcome and target
registries, and every figure from the run's declared outcomes. No text is
smaller than :data:`SMALL` points (at the page's 100 dpi, 15 px when a chart is
shown at its own size; the page shows it at 0.9–1.3×).
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
from abm.web.measures import measure_rows
from abm.web.runs import DemoRun
from abm.web.text import big_yuan, count, language, name, people_scale, place_name, t, zone_name
from abm.web.uncertainty import band_series, key
from environment.inputs import CENSUS_YEAR
from environment.settings import levers, run_default
from environment.targets import PLAN_ADOPTED, measure_targets, targets

CURRENT, REFERENCE, TARGET, BAND = "#1565c0", "#757575", "#d32f2f", "#90caf9"
ZONE_COLOURS = {"added_kaifaqu": "#6a1b9a", "added_gangxinqu": "#00838f", "added_sanxing": "#ef6c00"}
SMALL, TEXT, TITLE = 11, 12, 13  # points


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
    static = False  # True: the same for every run and year (drawn once)

    def __init__(self, run: DemoRun) -> None:
        self.run = run
        self.year = run.year  # the year drawn: the run's, or an earlier one (the run may be ahead)
        self.figure = Figure(figsize=self.size, dpi=100)
        self.setup()
        self._year_artists: list[Artist] = []

    @abstractmethod
    def setup(self) -> None:
        """Draw what stays the same from year to year."""

    @abstractmethod
    def draw_year(self) -> None:
        """Draw the year ``self.year`` (what it adds is removed before the next year's)."""

    def redraw(self, year: int | None = None) -> None:
        """Draw the figure in ``year`` (default: the run's)."""
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

    def svg(self, year: int | None = None) -> bytes:
        """The figure in ``year`` (default: the run's), as SVG (text stays text: the browser has the fonts)."""
        return self.render(year, "svg")

    def render(self, year: int | None, kind: str, dpi: float = 100) -> bytes:
        """The figure in ``year`` as ``kind`` (svg or png)."""
        self.redraw(year)
        out = io.BytesIO()
        self.figure.savefig(out, format=kind, dpi=dpi, metadata={"Date": None} if kind == "svg" else None)
        return out.getvalue()


def axes_years(ax) -> None:
    """An axis of the run's years, every tick label inside the figure."""
    end = run_default("end")
    ax.set_xlim(CENSUS_YEAR - 0.4, end + 0.4)
    ax.set_xticks(range(CENSUS_YEAR, end + 1, 5))
    ax.set_autoscalex_on(False)
    ax.tick_params(labelsize=SMALL)
    ax.grid(alpha=0.3)


def _pair(ax, run: DemoRun, year: int, key_: str, colour: str, divide: float, zone: bool = False) -> None:
    """The outcome up to ``year`` under the current setting (solid) and the scenario compared with (dashed)."""
    now = run.series(key_, until=year)
    ref = run.series(key_, "reference", until=year)
    ax.plot(ref.index, ref.to_numpy() / divide, ls="--", color=colour if zone else REFERENCE, lw=2, alpha=0.8)
    ax.plot(now.index, now.to_numpy() / divide, color=colour, lw=3, marker="o", ms=4)


def _target(ax, outcome: str, divide: float, colour: str = TARGET) -> None:
    target = targets()[OUTCOMES[outcome].target]
    value = target.value / divide
    ax.axhline(value, color=colour, lw=1.2, ls=":")
    ax.plot([target.year], [value], marker="*", ms=17, color=colour, markeredgecolor="white", zorder=5)


class TargetsFigure(LiveFigure):
    """Population against 110万, the three zones against their targets, urbanization against 75%.

    Where the assumptions' range was measured for exactly this setting (``bands.csv``), the population
    panel shades it.
    """

    def setup(self) -> None:
        fig = self.figure
        self.pop, self.zones, self.urban = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.3, 1.2, 1]})
        fig.subplots_adjust(left=0.085, right=0.975, top=0.80, bottom=0.09, wspace=0.38)
        k = people_scale()
        _target(self.pop, "haimen_population", k)
        self.pop.set_title(t("population_title"), fontsize=TITLE)
        self.pop.set_ylabel(t("people_axis"), fontsize=SMALL)
        band = band_series(key(self.run.settings), "haimen_population")
        if band:
            years = sorted(band)
            self.pop.fill_between(
                years, [band[y][0] / k for y in years], [band[y][1] / k for y in years], color=BAND, alpha=0.5, lw=0
            )
        handles = []
        for outcome, colour in ZONE_COLOURS.items():
            _target(self.zones, outcome, k, colour)
            handles.append(Line2D([], [], color=colour, lw=3, label=zone_name(OUTCOMES[outcome].places)))
        self.zones.axhline(0, color="#424242", lw=0.8)
        self.zones.set_title(t("zones_title"), fontsize=TITLE)
        self.zones.set_ylabel(t("people_axis"), fontsize=SMALL)
        self.zones.legend(handles=handles, fontsize=SMALL, loc="upper left", framealpha=0.9)
        _target(self.urban, "urbanization", 0.01)
        self.urban.set_title(t("urbanization_title"), fontsize=TITLE)
        self.urban.set_ylabel(t("share_axis"), fontsize=SMALL)
        for ax in (self.pop, self.zones, self.urban):
            axes_years(ax)
        fig.suptitle(t("targets_title"), fontsize=TITLE, x=0.01, y=0.985, ha="left", weight="bold")
        if band:
            self.pop.legend(
                handles=[Patch(color=BAND, alpha=0.5, label=t("band_legend"))],
                loc="lower right",
                fontsize=SMALL,
                framealpha=0.9,
                handlelength=1.2,
            )

    def draw_year(self) -> None:
        k = people_scale()
        _pair(self.pop, self.run, self.year, "haimen_population", CURRENT, k)
        for outcome, colour in ZONE_COLOURS.items():
            _pair(self.zones, self.run, self.year, outcome, colour, k, zone=True)
        _pair(self.urban, self.run, self.year, "urbanization", CURRENT, 0.01)
        # room above the stars for the zones' legend: an invisible point the axis scales to
        self.zones.relim()
        top = max(self.zones.dataLim.y1, 0.0)
        self.zones.plot([CENSUS_YEAR], [top + 0.55 * (top - min(self.zones.dataLim.y0, 0.0))], color="white", alpha=0)


class OriginsFigure(LiveFigure):
    """This year's moves into Haimen from outside, by origin, and Haimen residents working in Shanghai."""

    def setup(self) -> None:
        from environment.places import places

        fig = self.figure
        self.bars, self.shanghai = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.25, 1]})
        fig.subplots_adjust(left=0.19 if language() == "zh" else 0.22, right=0.975, top=0.86, bottom=0.14, wspace=0.3)
        pl = places()
        self.outside = [k for k in pl.keys if not pl.in_haimen[pl.index(k)]]
        labels = [place_name(k) for k in self.outside]
        self.bars.set_yticks(range(len(labels)), labels, fontsize=TEXT)
        self.bars.set_ylim(len(labels) - 0.5, -0.5)  # first origin on top
        self.bars.set_autoscaley_on(False)
        self.bars.set_xlabel(t("people_year_axis"), fontsize=SMALL)
        self.bars.tick_params(axis="x", labelsize=SMALL)
        legend = [
            Patch(color=CURRENT, label=t("current")),
            Patch(color=REFERENCE, label=t("reference")),  # (its name: the table and the banner)
        ]
        self.bars.legend(handles=legend, fontsize=SMALL, loc="center right", framealpha=0.9)
        self.bars.grid(axis="x", alpha=0.3)
        self.shanghai.set_title(t("shanghai_title"), fontsize=TEXT)
        self.shanghai.set_ylabel(t("people_axis"), fontsize=SMALL)
        axes_years(self.shanghai)

    def _by_origin(self, side: str) -> list[float]:
        moves, k = self.run.breakdown("moves_into_haimen", side, self.year), people_scale()
        return [moves.get(key_, 0.0) / k for key_ in self.outside]

    def draw_year(self) -> None:
        now, then = self._by_origin("current"), self._by_origin("reference")
        y = range(len(now))
        self.bars.barh([i - 0.2 for i in y], now, height=0.4, color=CURRENT)
        self.bars.barh([i + 0.2 for i in y], then, height=0.4, color=REFERENCE)
        self.bars.set_xlim(0, max([*now, *then, 0.01]) * 1.1)
        self.bars.set_title(f"{t('origins_title')} · {t('in_year', year=self.year)}", fontsize=TEXT)
        _pair(self.shanghai, self.run, self.year, "working_in_shanghai", CURRENT, people_scale())
        self.shanghai.plot(
            [CENSUS_YEAR], [0], color="white", alpha=0
        )  # the axis starts at zero: noise does not look like a collapse


def costed_measures() -> set[int]:
    """Measure groups with a modelled lever that has a unit cost (``levers.toml`` ``[KEY.cost]``)."""
    return {lv.measure for lv in levers().values() if lv.modelled and lv.cost is not None}


def measure_label(m: int) -> str:
    """A measure group's name and yearly target, e.g. "2 智造名城 · 年目标10,000人"."""
    target = measure_targets()[m]
    goal = t("per_year_target", people=count(target.people_per_year)) if target.people_per_year else t("births_target")
    return f"{m} {name(target)} · {goal}"


class SpendingFigure(LiveFigure):
    """This year's spending from Haimen's budget by measure group (the ``spending`` outcome: every lever at its
    unit cost, payments at what they pay), with each group's yearly target; capital financed outside the budget
    (``external_capital``: the transport projects, booked in their opening year) written beside its group, not
    drawn (it is a hundred times the budget's bars); the year's total under the names."""

    size = (7.6, 2.8)

    def setup(self) -> None:
        fig = self.figure
        self.ax = fig.subplots()
        fig.subplots_adjust(left=0.40 if language() == "zh" else 0.45, right=0.97, top=0.88, bottom=0.1)
        self.groups = measure_targets()
        labels = [measure_label(m) for m in self.groups]
        self.ax.set_yticks(range(len(labels)), labels, fontsize=SMALL)
        self.ax.set_ylim(len(labels) - 0.5, -0.5)
        self.ax.set_autoscaley_on(False)
        self.ax.tick_params(axis="x", labelsize=SMALL)
        self.ax.xaxis.set_major_formatter("{x:,.0f}")
        self.ax.set_title(t("spending_title"), fontsize=TEXT, loc="right")
        self.ax.grid(axis="x", alpha=0.3)
        costed = costed_measures()
        for i, m in enumerate(self.groups):
            if m not in costed:
                self.ax.text(0, i, " " + t("no_cost"), va="center", fontsize=SMALL, color="#616161")

    def draw_year(self) -> None:
        paid = self.run.breakdown("spending", year=self.year)
        outside = self.run.breakdown("external_capital", year=self.year)
        unit = 1e6 if language() == "en" else 1e4  # million yuan / 万元
        values = [paid.get(f"{m:02d}", 0.0) / unit for m in self.groups]
        self.ax.barh(range(len(values)), values, color=CURRENT)
        noted = [v for m, v in zip(self.groups, values, strict=True) if outside.get(f"{m:02d}", 0.0) > 0]
        top = max([*values, 4.0, *(2.5 * v for v in noted)]) * 1.25  # room for a note after its bar
        self.ax.set_xlim(0, top)
        for i, (m, v) in enumerate(zip(self.groups, values, strict=True)):
            words = f" {v:,.0f}" if v > 0 else ""
            if outside.get(f"{m:02d}", 0.0) > 0:
                words += "  " + t("external_capital", amount=big_yuan(outside[f"{m:02d}"]))
            if words:
                self.ax.text(v, i, words, va="center", fontsize=SMALL, color="#0d47a1")
        if sum(paid.values()) > 0:
            self.figure.text(0.01, 0.02, t("spending_total", amount=big_yuan(sum(paid.values()))), fontsize=SMALL)
        if self.year < PLAN_ADOPTED:
            self.ax.text(
                top / 2,
                len(values) / 2 - 0.5,
                t("before_adoption", year=PLAN_ADOPTED),
                ha="center",
                va="center",
                fontsize=TEXT,
                bbox={"facecolor": "white", "edgecolor": "#9e9e9e"},
            )


class MeasuresFigure(LiveFigure):
    """What each measure group adds by its year (``measures.csv``, precomputed): ranked, with the range of the
    random draws and the cost per added resident. The same every year: the plan's, not the sliders'."""

    size = (7.6, 2.8)
    static = True

    def setup(self) -> None:
        fig = self.figure
        self.ax = fig.subplots()
        zh = language() == "zh"
        fig.subplots_adjust(left=0.27 if zh else 0.3, right=0.74 if zh else 0.62, top=0.8, bottom=0.1)
        rows = sorted(measure_rows(), key=lambda r: -r.added)
        ax = self.ax
        if not rows:
            ax.set_axis_off()
            ax.text(0.5, 0.5, t("measures_missing"), ha="center", va="center", fontsize=TEXT, wrap=True)
            return
        k = people_scale()
        y = range(len(rows))
        ax.barh(y, [r.added / k for r in rows], color=CURRENT, height=0.6)
        ax.errorbar(
            [r.added / k for r in rows],
            y,
            xerr=[[(r.added - r.low) / k for r in rows], [(r.high - r.added) / k for r in rows]],
            fmt="none",
            ecolor="#212121",
            capsize=3,
            lw=1.2,
        )
        ax.axvline(0, color="#424242", lw=0.8)
        ax.set_yticks(y, [f"{r.measure} {name(measure_targets()[r.measure])}" for r in rows], fontsize=SMALL)
        ax.set_ylim(len(rows) - 0.5, -0.5)
        ax.tick_params(axis="x", labelsize=SMALL)
        ax.grid(axis="x", alpha=0.3)
        for i, r in enumerate(rows):
            ax.annotate(
                r.verdict_text(),
                (1, i),
                xycoords=("axes fraction", "data"),
                xytext=(8, 0),
                textcoords="offset points",
                va="center",
                fontsize=SMALL,
                color="#b71c1c" if r.verdict else "#0d47a1",
            )
        first = rows[0]
        fig.suptitle(t("measures_title", year=first.last_year), fontsize=TEXT, x=0.01, y=0.99, ha="left", weight="bold")
        fig.text(
            0.01,
            0.855,
            t("measures_note", replicates=first.replicates, scale=first.scale),
            fontsize=SMALL,
            color="#424242",
        )

    def draw_year(self) -> None:
        """Nothing changes from year to year."""

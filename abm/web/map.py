"""The web page's map: the region with the year's main flows into Haimen, and Haimen's towns.

Places stand at their lon/lat (``places.csv``), transport hubs at approximate
positions (``map_points.csv``, for drawing only). A link of a transport project
appears from its opening year under the current setting, drawn bold (the links of
no project are faint on the region map, under the flows' arrows, whose widths are
the run's moves into Haimen; the numbers are in the origins chart). Haimen's towns are
sized by population and coloured by growth since 2020 (the colour bar gives the
numbers); the outside cities are drawn at a fixed size (their stocks are
bookkeeping, not forecasts). The towns' map draws only the links between towns,
so no line runs out of its frame.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from matplotlib.cm import ScalarMappable
from matplotlib.collections import LineCollection
from matplotlib.colors import TwoSlopeNorm

from abm.web.charts import SMALL, TEXT, TITLE, LiveFigure
from abm.web.runs import DemoRun
from abm.web.text import language, people, place_name, project_name, t
from environment.inputs import CENSUS_YEAR, read_csv
from environment.places import places

MODE_STYLE = {  # mode: (colour, width)
    "road": ("#9e9e9e", 1.2),
    "rail": ("#455a64", 1.8),
    "hsr": ("#d32f2f", 2.6),
    "bus": ("#7cb342", 1.0),
}
REGION = ((119.75, 122.0), (31.15, 32.45))  # lon, lat
TOWNS = ((120.9, 121.66), (31.66, 32.15))
ELSEWHERE = (119.9, 32.2)  # where the arrow from "elsewhere in China" starts
GROWTH = (-0.1, 0.0, 0.1)  # town colours: growth since 2020, ±10% and beyond (lowest, centre, highest)
# Where each town's label sits (points from its circle, horizontal alignment), so neighbours never overlap.
LABEL_AT = {
    "haimen_jd": ((20, -6), "left"),
    "binjiang": ((0, -30), "center"),
    "linjiang": ((-9, -8), "right"),
    "sanxing": ((-9, 2), "right"),
    "sanchang": ((8, -24), "left"),
    "haiyong": ((0, -30), "center"),
    "yuelai": ((9, -8), "left"),
}
LABEL_DEFAULT = ((0, 9), "center")
REGION_LABEL_AT = {  # clear of the arrows and of each other
    "nantong": ((-6, -6), "right", "top"),
    "changzhou": ((6, -6), "left", "top"),
    "wuxi": ((6, -6), "left", "top"),
    "suzhou": ((-8, 0), "right", "center"),
    "qidong": ((0, -9), "center", "top"),  # below: Haimen's total sits to its west
    "chongming": ((-6, -4), "right", "top"),  # below-left of its square: clear of Changzhou's and Wuxi's labels
}
LABEL_BOX = {"facecolor": "white", "alpha": 0.75, "edgecolor": "none", "pad": 1}
REGION_LINKS_ALPHA = 0.35  # the region's links of no project, faint under the arrows (the projects' links stay bold)


@cache
def positions() -> dict[str, tuple[float, float]]:
    """lon/lat of every place (except 'elsewhere') and transport hub."""
    pl = places()
    out = {k: (float(x), float(y)) for k, x, y in zip(pl.keys, pl.lon, pl.lat, strict=True) if np.isfinite(x)}
    out |= {r["key"]: (float(r["lon"]), float(r["lat"])) for r in read_csv("map_points.csv")}
    return out


@cache
def links() -> list[tuple[str, str, str, str | None]]:
    """Transport links: (a, b, mode, project or None)."""
    return [(r["a"], r["b"], r["mode"], r["project"] or None) for r in read_csv("transport.csv")]


@cache
def projects() -> dict[str, dict[str, str]]:
    """Transport projects with their names (``projects.csv``)."""
    return {r["key"]: r for r in read_csv("projects.csv")}


def draw_links(ax, run: DemoRun, year: int, within: set[str] | None = None, alpha: float = 1.0) -> None:
    """Links open in ``year`` under the current setting, only between ``within`` places if given (one
    collection per mode: quick to draw); links of no project (not a lever) at opacity ``alpha``."""
    where = positions()
    transport = run.current.world.transport
    segments: dict[tuple[str, bool], list] = {(mode, lever): [] for mode in MODE_STYLE for lever in (False, True)}
    for a, b, mode, project in links():
        if within is not None and not (a in within and b in within):
            continue
        if a in where and b in where and not (project and not transport.is_open(project, year)):
            segments[mode, project is not None].append([where[a], where[b]])
    for (mode, lever), lines in segments.items():
        colour, width = MODE_STYLE[mode]
        ax.add_collection(
            LineCollection(
                lines, colors=colour, linewidths=width, zorder=1, capstyle="round", alpha=1.0 if lever else alpha
            )
        )


def project_lines(run: DemoRun, year: int) -> str:
    """Each project with its opening year under the current setting (● once open)."""
    opening = run.current.world.transport.opening_year
    lines = []
    for key, row in projects().items():
        opens = opening.get(key)
        when = t("never") if opens is None else t("opens", year=opens)
        mark = "●" if opens is not None and year >= opens else "○"
        lines.append(f"{mark} {project_name(key, row)}: {when}")
    return "\n".join(lines)


def growth_tick(value: float) -> str:
    """A tick of the growth colour bar: its ends stand for that much and beyond (colours are clipped there)."""
    if value == 0:
        return "0%"
    return f"{'≤' if value < 0 else '≥'}{100 * value:+.0f}%"


def name_of_year(year: int) -> str:
    """The year as a heading."""
    return f"{year}年" if language() == "zh" else str(year)


class MapFigure(LiveFigure):
    """The region with the year's flows into Haimen, arrows as wide as the flow (left; the numbers are in the
    origins chart), and Haimen's towns (right)."""

    def setup(self) -> None:
        fig = self.figure
        self.region = fig.add_axes((0.005, 0.3, 0.43, 0.56))
        self.towns = fig.add_axes((0.445, 0.02, 0.55, 0.86))
        for ax in (self.region, self.towns):
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_facecolor("#f5f7fa")
        pl, where = places(), positions()
        self.outside = [k for k in pl.keys if not pl.in_haimen[pl.index(k)]]
        self.inside = {pl.keys[i] for i in pl.haimen}
        self.centre = tuple(np.mean([where[pl.keys[i]] for i in pl.haimen], axis=0))
        for key in self.outside:
            start = where.get(key, ELSEWHERE)
            self.region.plot(*start, marker="s", ms=9, color="#37474f", zorder=3)
            east = start[0] > REGION[0][1] - 0.8  # labelled to the left, inside the frame
            offset, ha, va = ((-6, 6), "right", "bottom") if east else ((6, 6), "left", "bottom")
            offset, ha, va = REGION_LABEL_AT.get(key, (offset, ha, va))
            if not np.isfinite(pl.lon[pl.index(key)]):  # "elsewhere": above, clear of its arrow
                offset, ha, va = (-6, 8), "left", "bottom"
            self.region.annotate(
                place_name(key),
                start,
                xytext=offset,
                textcoords="offset points",
                ha=ha,
                va=va,
                fontsize=TEXT,
                zorder=4,
                bbox=LABEL_BOX,
            )
        self.region.plot(*self.centre, marker="o", ms=20, color="#ef6c00", alpha=0.85, zorder=3)
        self.region.set_xlim(*REGION[0])
        self.region.set_ylim(*REGION[1])
        self.region.set_title(t("map_region"), fontsize=TEXT, loc="right")
        # a norm of its own: matplotlib's callbacks on a norm shared by figures drawn in several threads break
        self.norm = TwoSlopeNorm(vmin=GROWTH[0], vcenter=GROWTH[1], vmax=GROWTH[2])
        colours = ScalarMappable(norm=self.norm, cmap="RdBu")
        bar = fig.colorbar(
            colours,
            cax=self.towns.inset_axes((0.08, 0.1, 0.3, 0.03)),
            orientation="horizontal",
            format=lambda v, _: growth_tick(v),
            ticks=list(GROWTH),
        )
        bar.ax.tick_params(labelsize=SMALL)  # the numbers under the bar, inside the frame (its empty lower left)
        bar.ax.set_title(t("growth"), fontsize=SMALL, loc="left")
        self.towns.set_xlim(*TOWNS[0])
        self.towns.set_ylim(*TOWNS[1])
        self.towns.set_title(t("map_towns"), fontsize=TEXT)

    def draw_year(self) -> None:
        run = self.run
        self.draw_flows()
        self.draw_towns()
        self.figure.text(0.01, 0.01, project_lines(run, self.year), fontsize=SMALL, va="bottom", ha="left")
        self.figure.text(0.01, 0.915, name_of_year(self.year), fontsize=18, weight="bold", color="#0d47a1")

    def draw_flows(self) -> None:
        """Links open this year, arrows for the year's moves into Haimen, Haimen's population."""
        ax, run, where, centre = self.region, self.run, positions(), self.centre
        draw_links(ax, run, self.year, alpha=REGION_LINKS_ALPHA)
        moves = run.breakdown("moves_into_haimen", year=self.year)
        biggest = max([moves.get(k, 0.0) for k in self.outside] + [1.0])
        for key in self.outside:
            flow = moves.get(key, 0.0)
            if flow <= 0:
                continue
            start = where.get(key, ELSEWHERE)
            arrow = {
                "arrowstyle": "-|>",
                "color": "#1565c0",
                "alpha": 0.75,
                "lw": 1 + 9 * flow / biggest,
                "mutation_scale": 18,
                "shrinkA": 8,
                "shrinkB": 14,
            }
            ax.annotate("", xy=centre, xytext=start, zorder=2, arrowprops=arrow)  # the numbers: the origins chart
        total = sum(run.breakdown("town_population", year=self.year).values())
        ax.annotate(  # to the right: the arrows come from the west and the south
            f"{t('haimen_short')}\n{people(total)}",
            centre,
            xytext=(13, 0),
            textcoords="offset points",
            fontsize=TITLE,
            ha="left",
            va="center",
            weight="bold",
            zorder=4,
            bbox=LABEL_BOX,
        )

    def draw_towns(self) -> None:
        """Haimen's towns sized by population, coloured by growth since 2020, with the links between them."""
        ax, run, where = self.towns, self.run, positions()
        now = run.breakdown("town_population", year=self.year)
        then = run.breakdown("town_population", year=CENSUS_YEAR)
        draw_links(ax, run, self.year, within=self.inside)
        keys = sorted(now)
        xy = np.array([where[k] for k in keys])
        size = np.array([now[k] for k in keys])
        growth = np.array([now[k] / then[k] - 1 if then.get(k) else 0.0 for k in keys])
        ax.scatter(
            xy[:, 0],
            xy[:, 1],
            s=size / 400,
            c=np.clip(growth, GROWTH[0], GROWTH[2]),
            cmap="RdBu",
            norm=self.norm,
            edgecolors="#212121",
            linewidths=0.8,
            zorder=3,
        )
        for k, (x, y), g in zip(keys, xy, growth, strict=True):
            offset, ha = LABEL_AT.get(k, LABEL_DEFAULT)
            ax.annotate(
                f"{place_name(k)}\n{100 * g:+.1f}%",
                (x, y),
                xytext=offset,
                textcoords="offset points",
                ha=ha,
                fontsize=SMALL,
                linespacing=1.0,
                zorder=4,
            )

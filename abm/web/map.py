"""The web page's map: the region with the year's main flows into Haimen, and Haimen's towns.

Places stand at their lon/lat (``places.csv``), transport hubs at approximate
positions (``map_points.csv``, for drawing only). A link of a transport project
appears from its opening year under the current setting. Haimen's towns are
sized by population and coloured by growth since 2020; the outside cities are
drawn at a fixed size (their stocks are bookkeeping, not forecasts).
"""

from __future__ import annotations

from functools import cache

import numpy as np
from matplotlib.cm import ScalarMappable
from matplotlib.collections import LineCollection
from matplotlib.colors import TwoSlopeNorm

from abm.web.charts import LiveFigure
from abm.web.runs import DemoRun
from abm.web.text import lang, people, place_name, short, t
from environment.inputs import CENSUS_YEAR, read_csv
from environment.places import places

MODE_STYLE = {  # mode: (colour, width)
    "road": ("#9e9e9e", 1.2),
    "rail": ("#455a64", 1.8),
    "hsr": ("#d32f2f", 2.6),
    "bus": ("#7cb342", 1.0),
}
REGION = ((119.75, 121.7), (31.15, 32.3))  # lon, lat
TOWNS = ((120.95, 121.62), (31.7, 32.13))
ELSEWHERE = (119.9, 32.2)  # where the arrow from "elsewhere in China" starts
GROWTH = TwoSlopeNorm(vmin=-0.1, vcenter=0.0, vmax=0.1)  # town colours: growth since 2020, ±10% and beyond


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


def draw_links(ax, run: DemoRun, year: int) -> None:
    """Links open in ``year`` under the current setting (one collection per mode: quick to draw)."""
    where = positions()
    transport = run.current.world.transport
    segments: dict[str, list] = {mode: [] for mode in MODE_STYLE}
    for a, b, mode, project in links():
        if a in where and b in where and not (project and not transport.is_open(project, year)):
            segments[mode].append([where[a], where[b]])
    for mode, lines in segments.items():
        colour, width = MODE_STYLE[mode]
        ax.add_collection(LineCollection(lines, colors=colour, linewidths=width, zorder=1, capstyle="round"))


def project_lines(run: DemoRun, year: int) -> str:
    """Each project with its opening year under the current setting (● once open)."""
    opening = run.current.world.transport.opening_year
    lines = []
    for key, row in projects().items():
        opens = opening.get(key)
        when = t("never") if opens is None else t("opens", year=opens)
        mark = "●" if opens is not None and year >= opens else "○"
        lines.append(f"{mark} {short(row['name_zh'] if lang.value == 'zh' else row['name_en'])}: {when}")
    return "\n".join(lines)


def name_of_year(year: int) -> str:
    """The year as a heading."""
    return f"{year}年" if lang.value == "zh" else str(year)


class MapFigure(LiveFigure):
    """The region with the year's flows into Haimen (left) and Haimen's towns (right)."""

    def setup(self) -> None:
        fig = self.figure
        self.region = fig.add_axes((0.005, 0.2, 0.43, 0.64))
        self.towns = fig.add_axes((0.445, 0.02, 0.55, 0.9))
        for ax in (self.region, self.towns):
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_facecolor("#f5f7fa")
        pl, where = places(), positions()
        self.outside = [k for k in pl.keys if not pl.in_haimen[pl.index(k)]]
        self.centre = tuple(np.mean([where[pl.keys[i]] for i in pl.haimen], axis=0))
        for key in self.outside:
            start = where.get(key, ELSEWHERE)
            self.region.plot(*start, marker="s", ms=9, color="#37474f", zorder=3)
            east = start[0] > REGION[0][1] - 0.5  # labelled to the left, inside the frame
            self.region.annotate(
                place_name(key),
                start,
                xytext=(-6, 6) if east else (6, 6),
                textcoords="offset points",
                ha="right" if east else "left",
                fontsize=12,
                zorder=4,
            )
        self.region.plot(*self.centre, marker="o", ms=20, color="#ef6c00", alpha=0.85, zorder=3)
        self.region.set_xlim(*REGION[0])
        self.region.set_ylim(*REGION[1])
        self.region.set_title(t("map_region"), fontsize=12)
        colours = ScalarMappable(norm=GROWTH, cmap="RdBu")
        bar = fig.colorbar(
            colours, cax=self.towns.inset_axes((0.96, 0.55, 0.025, 0.4)), format=lambda v, _: f"{100 * v:+.0f}%"
        )
        bar.ax.tick_params(labelsize=9)
        self.towns.set_xlim(*TOWNS[0])
        self.towns.set_ylim(*TOWNS[1])
        self.towns.set_title(t("map_towns"), fontsize=11)

    def draw_year(self) -> None:
        run = self.run
        self.draw_flows()
        self.draw_towns()
        self.figure.text(0.01, 0.01, project_lines(run, self.year), fontsize=9, va="bottom", ha="left")
        self.figure.text(0.01, 0.92, name_of_year(self.year), fontsize=18, weight="bold", color="#0d47a1")

    def draw_flows(self) -> None:
        """Links open this year, arrows for the year's moves into Haimen, Haimen's population."""
        ax, run, where, centre = self.region, self.run, positions(), self.centre
        draw_links(ax, run, self.year)
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
            ax.annotate("", xy=centre, xytext=start, zorder=2, arrowprops=arrow)
            mid = (0.55 * start[0] + 0.45 * centre[0], 0.55 * start[1] + 0.45 * centre[1])
            box = {"facecolor": "white", "alpha": 0.7, "edgecolor": "none", "pad": 1}
            ax.text(*mid, people(flow), fontsize=11, color="#0d47a1", ha="center", zorder=4, bbox=box)
        total = sum(run.breakdown("town_population", year=self.year).values())
        ax.annotate(
            f"{t('haimen')} {people(total)}",
            centre,
            xytext=(0, -30),
            textcoords="offset points",
            fontsize=13,
            ha="center",
            weight="bold",
            zorder=4,
        )

    def draw_towns(self) -> None:
        """Haimen's towns sized by population, coloured by growth since 2020, with local links."""
        ax, run, where = self.towns, self.run, positions()
        now = run.breakdown("town_population", year=self.year)
        then = run.breakdown("town_population", year=CENSUS_YEAR)
        draw_links(ax, run, self.year)
        keys = sorted(now)
        xy = np.array([where[k] for k in keys])
        size = np.array([now[k] for k in keys])
        growth = np.array([now[k] / then[k] - 1 if then.get(k) else 0.0 for k in keys])
        ax.scatter(
            xy[:, 0],
            xy[:, 1],
            s=size / 400,
            c=np.clip(growth, -0.1, 0.1),
            cmap="RdBu",
            norm=GROWTH,
            edgecolors="#212121",
            linewidths=0.8,
            zorder=3,
        )
        for k, (x, y), g in zip(keys, xy, growth, strict=True):
            ax.annotate(
                f"{place_name(k)}\n{100 * g:+.1f}%",
                (x, y),
                xytext=(0, 9),
                textcoords="offset points",
                ha="center",
                fontsize=10,
                zorder=4,
            )

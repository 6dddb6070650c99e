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
from matplotlib.collections import LineCollection
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure

from abm.app_runs import DemoRun
from abm.app_text import lang, people, t
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


def short(label: str) -> str:
    """A place name without its parenthesised remark or its kind (Town, Subdistrict)."""
    label = label.split("(")[0].split(" (")[0].strip()
    return label.removesuffix(" Town").removesuffix(" Subdistrict")


def place_name(key: str) -> str:
    """A place's short name in the page's language."""
    pl = places()
    names = pl.name_zh if lang.value == "zh" else pl.name_en
    return short(names[pl.index(key)])


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


def project_legend(fig: Figure, run: DemoRun, year: int) -> None:
    """Each project with its opening year under the current setting (● once open)."""
    opening = run.current.world.transport.opening_year
    lines = []
    for key, row in projects().items():
        opens = opening.get(key)
        when = t("never") if opens is None else t("opens", year=opens)
        mark = "●" if opens is not None and year >= opens else "○"
        lines.append(f"{mark} {short(row['name_zh'] if lang.value == 'zh' else row['name_en'])}: {when}")
    fig.text(0.01, 0.01, "\n".join(lines), fontsize=9, va="bottom", ha="left")


def draw_region(ax, run: DemoRun) -> None:
    """Outside cities, the links between them and Haimen, and arrows for the year's moves into Haimen."""
    pl, where, year = places(), positions(), run.year
    draw_links(ax, run, year)
    moves = run.breakdown("moves_into_haimen")
    outside = [k for k in pl.keys if not pl.in_haimen[pl.index(k)]]
    biggest = max([moves.get(k, 0.0) for k in outside] + [1.0])
    centre = np.mean([where[pl.keys[i]] for i in pl.haimen], axis=0)
    for key in outside:
        start = where.get(key, ELSEWHERE)
        ax.plot(*start, marker="s", ms=9, color="#37474f", zorder=3)
        ax.annotate(place_name(key), start, xytext=(6, 6), textcoords="offset points", fontsize=12, zorder=4)
        flow = moves.get(key, 0.0)
        if flow > 0:
            ax.annotate(
                "",
                xy=centre,
                xytext=start,
                zorder=2,
                arrowprops={
                    "arrowstyle": "-|>",
                    "color": "#1565c0",
                    "alpha": 0.75,
                    "lw": 1 + 9 * flow / biggest,
                    "mutation_scale": 18,
                    "shrinkA": 8,
                    "shrinkB": 14,
                },
            )
            mid = (0.55 * start[0] + 0.45 * centre[0], 0.55 * start[1] + 0.45 * centre[1])
            ax.text(
                *mid,
                people(flow),
                fontsize=11,
                color="#0d47a1",
                ha="center",
                zorder=4,
                bbox={"facecolor": "white", "alpha": 0.7, "edgecolor": "none", "pad": 1},
            )
    total = sum(run.breakdown("town_population").values())
    ax.plot(*centre, marker="o", ms=20, color="#ef6c00", alpha=0.85, zorder=3)
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
    ax.set_xlim(*REGION[0])
    ax.set_ylim(*REGION[1])
    ax.set_title(t("map_region"), fontsize=12)


def draw_towns(ax, run: DemoRun) -> None:
    """Haimen's towns sized by population, coloured by growth since 2020, with local links."""
    where = positions()
    now = run.breakdown("town_population")
    then = run.breakdown("town_population", year=CENSUS_YEAR)
    draw_links(ax, run, run.year)
    keys = sorted(now)
    xy = np.array([where[k] for k in keys])
    size = np.array([now[k] for k in keys])
    growth = np.array([now[k] / then[k] - 1 if then.get(k) else 0.0 for k in keys])
    norm = TwoSlopeNorm(vmin=-0.1, vcenter=0.0, vmax=0.1)
    dots = ax.scatter(
        xy[:, 0],
        xy[:, 1],
        s=size / 400,
        c=np.clip(growth, -0.1, 0.1),
        cmap="RdBu",
        norm=norm,
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
    bar = ax.figure.colorbar(dots, cax=ax.inset_axes((0.96, 0.55, 0.025, 0.4)), format=lambda v, _: f"{100 * v:+.0f}%")
    bar.ax.tick_params(labelsize=9)
    ax.set_xlim(*TOWNS[0])
    ax.set_ylim(*TOWNS[1])
    ax.set_title(t("map_towns"), fontsize=11)


def map_figure(run: DemoRun) -> Figure:
    """The map for the run's current year."""
    fig = Figure(figsize=(8.0, 4.0), dpi=100)
    region = fig.add_axes((0.005, 0.2, 0.43, 0.64))
    towns = fig.add_axes((0.445, 0.02, 0.55, 0.9))
    for ax in (region, towns):
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_facecolor("#f5f7fa")
    draw_region(region, run)
    draw_towns(towns, run)
    project_legend(fig, run, run.year)
    fig.text(0.01, 0.92, name_of_year(run.year), fontsize=18, weight="bold", color="#0d47a1")
    return fig


def name_of_year(year: int) -> str:
    """The year as a heading."""
    return f"{year}年" if lang.value == "zh" else str(year)

"""Plots of a run against the plan's targets (matplotlib, written as PNG)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

from environment.inputs import CENSUS_YEAR
from environment.places import area_places, places
from environment.targets import targets


def plot_run(yearly: pd.DataFrame, summary: pd.DataFrame, folder: Path, title: str) -> list[Path]:
    """Population, urbanization, zones and flows against the plan's targets; returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    t = targets()
    files = []

    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(summary.year, summary.haimen_population / 1e3, marker="o", ms=3, label="model")
    ax.scatter(
        [t["population"].year],
        [t["population"].value / 1e3],
        color="crimson",
        zorder=3,
        label=f"plan target ({t['population'].value:,.0f} by {t['population'].year})",
    )
    ax.set(title=f"Haimen resident population — {title}", xlabel="year", ylabel="people (thousands)")
    ax.legend()
    files.append(_save(fig, folder / "population.png"))

    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(summary.year, summary.urbanization * 100, marker="o", ms=3, label="model")
    target = t["urbanization"]
    ax.axhline(target.value * 100, color="crimson", ls="--", label=f"plan target ({target.value:.0%} by {target.year})")
    ax.set(title=f"Urbanization — {title}", xlabel="year", ylabel="% urban")
    ax.legend()
    files.append(_save(fig, folder / "urbanization.png"))

    fig, ax = plt.subplots(figsize=(7, 4))
    for key in ("kaifaqu_growth", "gangxinqu_growth", "sanxing_growth"):
        target = t[key]
        area = yearly[yearly.place.isin(area_places(target.places))].groupby("year").population.sum()
        line = ax.plot(area.index, (area - area.loc[CENSUS_YEAR]) / 1e3, marker="o", ms=3, label=target.name_en)
        ax.scatter([target.year], [target.value / 1e3], color=line[0].get_color(), marker="*", s=120, zorder=3)
    ax.axhline(0, color="grey", lw=0.5)
    ax.set(title=f"People added since 2020 by zone (stars: targets) — {title}", xlabel="year", ylabel="thousands")
    ax.legend()
    files.append(_save(fig, folder / "zones.png"))

    fig, ax = plt.subplots(figsize=(7, 4))
    later = summary[summary.year > CENSUS_YEAR]
    ax.bar(later.year - 0.2, later.net_migration, width=0.4, label="net migration")
    ax.bar(later.year + 0.2, later.births - later.deaths, width=0.4, label="natural change")
    ax.axhline(0, color="grey", lw=0.5)
    ax.set(title=f"Where the change comes from — {title}", xlabel="year", ylabel="people per year")
    ax.legend()
    files.append(_save(fig, folder / "components.png"))

    fig, ax = plt.subplots(figsize=(7, 4))
    pl = places()
    for i in pl.haimen:
        series = yearly[yearly.place == pl.keys[i]]
        ax.plot(series.year, series.price_urban, lw=1, label=pl.name_en[i].split(" (")[0])
    ax.set(title=f"Urban house prices in Haimen — {title}", xlabel="year", ylabel="yuan/m²")
    ax.legend(fontsize=6, ncol=2)
    files.append(_save(fig, folder / "prices.png"))
    return files


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path

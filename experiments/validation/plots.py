"""The validation report's plots (base64 PNG, embedded in the Markdown)."""

from __future__ import annotations

import base64
import io
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from environment.demography_inputs import BAND_STARTS, age_structure_2020, band_label, vital_rates
from environment.inputs import CENSUS_YEAR, fact
from experiments.validation.facts import decade_growth
from experiments.validation.forecasts import naive_forecasts, populations

if TYPE_CHECKING:
    from experiments.validation.band import Uncertainty


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def plots(summaries: list[pd.DataFrame], ages: list[pd.DataFrame], band: Uncertainty | None) -> dict[str, str]:
    """The report's plots, title -> base64 PNG: the 2020 age structure, the crude rates, the population paths."""
    out = {}
    target = age_structure_2020()
    labels = [band_label(lo) for lo in BAND_STARTS]
    a = ages[0][ages[0].year == CENSUS_YEAR]
    total = a.people.sum()
    fig, ax = plt.subplots(figsize=(7, 5))
    y = np.arange(len(labels))
    for sex, sign, tgt in (("male", -1, target.men), ("female", 1, target.persons - target.men)):
        got = [a.people[(a.age_band == lab) & (a.sex == sex)].sum() / total * 100 for lab in labels]
        ax.barh(
            y, sign * np.array(got), color="tab:blue" if sex == "male" else "tab:red", alpha=0.5, label=f"model {sex}"
        )
        ax.barh(y, sign * tgt / target.persons.sum() * 100, fill=False, edgecolor="black", lw=0.8)
    ax.set(
        yticks=y,
        yticklabels=labels,
        xlabel="% of population (men left, women right)",
        title="2020 age structure: model (filled) vs derived target (outline)",
    )
    ax.legend(loc="lower right")
    out["Age structure 2020"] = _png(fig)

    fig, ax = plt.subplots(figsize=(7, 4))
    rates = vital_rates()
    yrs = sorted(rates)
    ax.plot(yrs, [rates[y].birth_rate for y in yrs], "o--", color="tab:green", label="births, sourced series")
    ax.plot(yrs, [rates[y].death_rate for y in yrs], "o--", color="tab:purple", label="deaths, sourced series")
    for i, s in enumerate(summaries):
        years, births, deaths = _crude_rates(s)
        kw = {"label": "model (seeds)"} if i == 0 else {}
        ax.plot(years, births, color="tab:green", alpha=0.5, **kw)
        ax.plot(years, deaths, color="tab:purple", alpha=0.5)
    if band is not None:
        rates = [_crude_rates(s) for s in band.summaries]
        for k, color in ((1, "tab:green"), (2, "tab:purple")):
            values = np.array([r[k] for r in rates])
            kw = {"label": "parameter band (min–max)"} if k == 1 else {}
            ax.fill_between(rates[0][0], values.min(0), values.max(0), color=color, alpha=0.15, **kw)
    ax.scatter(
        [2023, 2023],
        [fact("birth_rate_hukou", "Nantong 通州区", 2023), fact("death_rate_hukou", "Nantong 通州区", 2023)],
        marker="x",
        color="black",
        label="Tongzhou 2023 (hukou basis)",
    )
    ax.scatter(
        [2021, 2021],
        [fact("birth_rate_hukou", "Qidong", 2021), fact("death_rate_hukou", "Qidong", 2021)],
        marker="+",
        color="black",
        label="Qidong 2021 (hukou basis)",
    )
    ax.set(xlabel="year", ylabel="per mille", title="Crude birth and death rates")
    ax.legend(fontsize=7)
    out["Vital rates"] = _png(fig)

    fig, ax = plt.subplots(figsize=(7, 4))
    years = summaries[0].year.to_numpy()
    pops = populations(summaries)
    naive = naive_forecasts(years)
    if band is not None:
        spread = band.populations()
        ax.fill_between(
            years, spread.min(0) / 1e3, spread.max(0) / 1e3, color="tab:orange", alpha=0.2, label="parameter band"
        )
    ax.fill_between(years, pops.min(0) / 1e3, pops.max(0) / 1e3, alpha=0.3, label="model baseline (seed range)")
    ax.plot(years, pops.mean(0) / 1e3, label="model baseline (mean)")
    ax.plot(years, naive.trend / 1e3, "--", label=f"2010–2020 trend continued ({decade_growth():g} %/yr)")
    ax.plot(years, naive.flat / 1e3, ":", label="flat at the 2020 census")
    ax.set(xlabel="year", ylabel="thousand people", title="Resident population: model vs naive forecasts")
    ax.legend(fontsize=8)
    out["Population forecasts"] = _png(fig)
    return out


def _crude_rates(summary: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Years after the first, and births and deaths per mille of the population at each year's start."""
    s = summary.set_index("year")
    years = s.index[1:]
    start = s.haimen_population.shift(1)[years]
    return years.to_numpy(), (1000 * s.births[years] / start).to_numpy(), (1000 * s.deaths[years] / start).to_numpy()

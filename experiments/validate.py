"""``abm validate``: a baseline run compared with every fact it can be compared with.

Each comparison row names the fact, its source (a key of ``facts.csv`` or a
derived data file), the observed value, the model's mean and spread over seeds,
the error, and whether the fact was *fitted* (a raking margin, a calibration
target or a vital-rate level: agreement there is by construction) or not (only
those count as validation). The report (``validation.md``, plots embedded as
base64 PNG) also sets the model's baseline beside two naive forecasts: the
2010–2020 trend continued and a flat line.

Two spreads are shown. Seeds: the model's mean and sd over the runs at the
central values. Parameters: the same baseline at the central values and at the
points of a small Latin hypercube over declared uncertainties (the factors and
ranges of a sweep file, by default ``headline_baseline``: the README's headline
uncertainties), each point with its free constants refitted first
(:func:`experiments.calibrate.fitted_constants`, cached) so that every member
still reproduces the 2010–2020 calibration targets; all members share one seed,
so their differences are the parameters', not the dice's. The band is the
minimum to maximum over the members.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from abm.model import MigrationModel
from agents.demography import VitalRates
from environment.demography_inputs import BAND_STARTS, age_structure_2020, band_label, vital_rates
from environment.inputs import CENSUS_YEAR, fact
from environment.scenario import load as load_scenario
from environment.settings import parameters, resolve
from experiments.runner import RunSpec, run_many
from experiments.uncertainty import DEFAULT_POINTS, DEFAULT_SWEEP, Members, members
from experiments.vital_check import life_expectancy_of, life_section

FITTED, VALIDATION, NEIGHBOUR = "fitted", "validation", "neighbour check"
PULL_SET_FROM = (2022,)  # the year-end totals (Nantong's, its 市区') the central post-2020 pull was chosen with
PULL_NOTE = "; the central post-2020 pull was chosen with this year's totals (parameters.toml), so not a test"
COLUMNS = [
    "group",
    "fact",
    "source",
    "observed",
    "model",
    "model_sd",
    "band_low",
    "band_high",
    "error",
    "relative_error",
    "unit",
    "kind",
    "note",
]


def populations(summaries: Sequence[pd.DataFrame]) -> np.ndarray:
    """Resident population of each run's summary, float[run, year]."""
    return np.array([s.haimen_population.to_numpy() for s in summaries])


@dataclass
class Uncertainty:
    """The parameter-uncertainty band: its members (what varied and how) and each member's run and comparison.

    ``summaries[i]`` and ``tables[i]`` are member ``i``'s summary and comparison with the facts; ``fitted`` the
    constants refitted for each member.
    """

    members: Members
    seed: int
    fitted: pd.DataFrame
    summaries: list[pd.DataFrame] = field(default_factory=list)
    tables: list[pd.DataFrame] = field(default_factory=list)

    def band(self, column: str = "model") -> tuple[pd.Series, pd.Series]:
        """Lowest and highest value of every comparison row over the members."""
        values = pd.concat([t[column] for t in self.tables], axis=1)
        return values.min(axis=1), values.max(axis=1)

    def populations(self) -> np.ndarray:
        """Resident population, float[member, year]."""
        return populations(self.summaries)


@dataclass
class Validation:
    """The comparison table, the runs' summaries (one frame per seed), the band and the report's Markdown."""

    table: pd.DataFrame
    summaries: list[pd.DataFrame]
    markdown: str
    uncertainty: Uncertainty | None = None
    pull: PullCheck | None = None


def _row(group, name, source, observed, values, unit, kind, note="", reference: float | None = None) -> dict:
    """One comparison; the relative error divides by ``reference`` (default: the observed value)."""
    values = np.atleast_1d(np.asarray(values, dtype=float))
    reference = observed if reference is None else reference
    model = float(values.mean())
    sd = float(values.std(ddof=1)) if len(values) > 1 else float("nan")
    error = model - observed
    return {
        "group": group,
        "fact": name,
        "source": source,
        "observed": observed,
        "model": model,
        "model_sd": sd,
        "band_low": float("nan"),
        "band_high": float("nan"),
        "error": error,
        "relative_error": error / reference if reference else float("nan"),
        "unit": unit,
        "kind": kind,
        "note": note,
    }


def _rate(summary: pd.DataFrame, year: int, column: str) -> float:
    """A flow in ``year`` per mille of the population at the start of that year."""
    s = summary.set_index("year")
    return 1000 * s.loc[year, column] / s.loc[year - 1, "haimen_population"]


def compare(summaries: Sequence[pd.DataFrame], ages: Sequence[pd.DataFrame], rates: VitalRates) -> pd.DataFrame:
    """Every comparison of the runs (one summary and ages table per seed, all with ``rates``) with the facts."""
    rows = []
    first = [s.set_index("year").loc[CENSUS_YEAR] for s in summaries]
    persons = fact("pop_resident_census")

    # 2020 totals: all raking margins
    for name, key, col, scale in (
        ("resident population 2020", "pop_resident_census", "haimen_population", 1.0),
        ("urban share 2020", "urbanization_rate", "urbanization", 100.0),
        ("average family-household size 2020", "hh_size_avg", "average_household_size", 1.0),
    ):
        rows.append(
            _row("2020 totals", name, f"facts {key}", fact(key), [f[col] * scale for f in first], "", FITTED, "margin")
        )
    a2020 = [a[a.year == CENSUS_YEAR] for a in ages]
    men = [a.people[a.sex == "male"].sum() / a.people.sum() * 100 for a in a2020]
    rows.append(_row("2020 totals", "men, share", "facts pop_male", 100 * fact("pop_male") / persons, men, "%", FITTED))
    for name, key, lo, hi in (
        ("0–14", "share_age_0_14", 0, 14),
        ("15–59", "share_age_15_59", 15, 59),
        ("60+", "share_age_60plus", 60, 200),
        ("65+", "share_age_65plus", 65, 200),
    ):
        got = [_share(a, lo, hi) for a in a2020]
        rows.append(_row("2020 totals", f"age {name}, share", f"facts {key}", fact(key), got, "%", FITTED, "margin"))
        nantong = fact(key, "Nantong", 2020)
        rows.append(_row("2020 totals", f"age {name} vs Nantong", f"facts {key} Nantong", nantong, got, "%", NEIGHBOUR))

    # five-year bands and sex: bands are raking margins (derived targets); men per band are not
    target = age_structure_2020()
    for i, lo in enumerate(BAND_STARTS):
        label = band_label(lo)
        both = [a.people[a.age_band == label].sum() / a.people.sum() * 100 for a in a2020]
        rows.append(
            _row(
                "2020 five-year bands",
                f"age {label}, share",
                "age_structure_2020.csv",
                100 * target.shares[i],
                both,
                "%",
                FITTED,
                "derived target (Jiangsu profile in Haimen's groups)",
            )
        )
        male = [a.people[(a.age_band == label) & (a.sex == "male")].sum() / a.people.sum() * 100 for a in a2020]
        rows.append(
            _row(
                "2020 five-year bands by sex",
                f"men {label}, share of all",
                "age_structure_2020.csv",
                100 * target.men[i] / target.persons.sum(),
                male,
                "%",
                FITTED,
                "margin (derived target: Jiangsu's sex ratio of the band)",
            )
        )

    # vital rates by year
    years = [y for y in vital_rates() if y <= summaries[0].year.max()]
    for y in years:
        r = vital_rates()[y]
        for col, value, label, note in (
            ("births", r.birth_rate, "birth rate", "registered basis; total fertility declared from it (see section)"),
            ("deaths", r.death_rate, "death rate", "registered basis: a lower bound for resident deaths"),
        ):
            rows.append(
                _row(
                    "vital rates",
                    f"{label} {y}",
                    "vital_rates.csv (Haimen 2019 × Jiangsu trend)",
                    value,
                    [_rate(s, y, col) for s in summaries],
                    "‰",
                    VALIDATION,
                    note,
                )
            )
    for place, year in (("Nantong 通州区", 2023), ("Qidong", 2021)):
        if year in years:
            for col, key in (("births", "birth_rate_hukou"), ("deaths", "death_rate_hukou")):
                rows.append(
                    _row(
                        "vital rates",
                        f"{key.split('_rate')[0]} rate {year} vs {place}",
                        f"facts {key} {place}",
                        fact(key, place, year),
                        [_rate(s, year, col) for s in summaries],
                        "‰",
                        NEIGHBOUR,
                        "registered (户籍) basis, another district",
                    )
                )
    e0, e0m, e0f = life_expectancy_of(rates, CENSUS_YEAR + 1)
    for name, key, value in (
        ("life expectancy", "life_expectancy", e0),
        ("life expectancy, men", "life_expectancy_male", e0m),
        ("life expectancy, women", "life_expectancy_female", e0f),
    ):
        rows.append(
            _row(
                "vital rates",
                f"{name} (2021 mortality)",
                f"facts {key} Jiangsu 2020",
                fact(key, "Jiangsu", 2020),
                [value],
                "years",
                NEIGHBOUR,
                "Jiangsu, not Haimen; Haimen's level is declared (life_expectancy_2020)",
            )
        )
    rows.append(
        _row(
            "vital rates",
            "life expectancy vs Nantong (2021 mortality)",
            "facts life_expectancy Nantong 2020",
            fact("life_expectancy", "Nantong", 2020),
            [e0],
            "years",
            FITTED,
            "the low end of the declared life_expectancy_2020",
        )
    )
    tfr = rates.total_fertility(CENSUS_YEAR + 1)
    rows.append(
        _row(
            "vital rates",
            "total fertility 2021",
            "facts tfr_indirect_estimate Jiangsu 2020 (low)",
            fact("tfr_indirect_estimate", "Jiangsu", 2020),
            [tfr],
            "children/woman",
            NEIGHBOUR,
            "Jiangsu 2020 indirect estimate; Haimen's declared 2021 path (total_fertility.csv) is below it",
        )
    )

    # growth and neighbours' totals
    growth = fact("pop_growth_rate_annual", "Haimen", "2010-2020")
    last = int(summaries[0].year.max())
    pops = [s.set_index("year").haimen_population for s in summaries]
    mean_growth = [100 * ((p[last] / p[CENSUS_YEAR]) ** (1 / (last - CENSUS_YEAR)) - 1) for p in pops]
    rows.append(
        _row(
            "growth",
            f"growth 2020–{last} vs 2010–2020 trend",
            "facts pop_growth_rate_annual",
            growth,
            mean_growth,
            "%/yr",
            FITTED,
            "net migration calibrated to the 2010–2020 growth",
        )
    )
    nantong_2020 = fact("pop_resident_census", "Nantong", 2020)
    for y, key in ((2021, "pop_resident_yearend"), (2022, "pop_resident_yearend")):
        if y <= last:
            observed = 100 * (fact(key, "Nantong", y) / nantong_2020 - 1)
            got = [100 * (p[y] / p[CENSUS_YEAR] - 1) for p in pops]
            rows.append(
                _row(
                    "growth",
                    f"growth 2020–{y} vs Nantong's",
                    f"facts {key} Nantong {y}",
                    observed,
                    got,
                    "%",
                    FITTED if y in PULL_SET_FROM else NEIGHBOUR,
                    "Nantong city as a whole; relative error vs Haimen's 2010–2020 growth over the years"
                    + (PULL_NOTE if y in PULL_SET_FROM else ""),
                    reference=growth * (y - CENSUS_YEAR),
                )
            )
    if last >= 2022:
        city_2020 = fact("pop_resident_census", "Nantong 市区 (崇川+开发区+通州+海门)", 2020)
        city_2022 = fact("pop_resident_yearend", "Nantong 市区", 2022)
        observed = 100 * (city_2022 / city_2020 - 1)
        got = [100 * (p[2022] / p[CENSUS_YEAR] - 1) for p in pops]
        rows.append(
            _row(
                "growth",
                "growth 2020–2022 vs Nantong's urban districts (市区)",
                "facts pop_resident_yearend Nantong 市区 2022",
                observed,
                got,
                "%",
                FITTED,
                "Haimen is one of the four 市区; relative error vs Haimen's 2010–2020 growth over the years"
                + PULL_NOTE,
                reference=growth * 2,
            )
        )
        share_2020 = 100 * persons / city_2020
        share_model = [100 * p[2022] / city_2022 for p in pops]
        rows.append(
            _row(
                "growth",
                "Haimen's share of Nantong 市区 2022 vs 2020's",
                "facts pop_resident_* 市区",
                share_2020,
                share_model,
                "%",
                FITTED,
                "a rising share means Haimen outgrew the 市区" + PULL_NOTE,
            )
        )
    registered = [s.set_index("year").registered_population[CENSUS_YEAR] for s in summaries]
    rows.append(
        _row(
            "registered",
            "registered population 2020 (resident with Haimen hukou)",
            "facts pop_registered 2020 (low)",
            fact("pop_registered", "Haimen", 2020),
            registered,
            "persons",
            "not comparable",
            "official figure also counts Haimen people living elsewhere (not modelled)",
        )
    )
    return pd.DataFrame(rows, columns=COLUMNS)


def _share(ages: pd.DataFrame, lo: int, hi: int) -> float:
    lower = ages.age_band.str.extract(r"^(\d+)")[0].astype(int)
    return 100 * ages.people[(lower >= lo) & (lower <= hi)].sum() / ages.people.sum()


def naive_forecasts(years: np.ndarray) -> pd.DataFrame:
    """The 2010–2020 trend continued (0.89 %/yr from the census) and a flat line, persons by year."""
    base = fact("pop_resident_census")
    growth = fact("pop_growth_rate_annual", "Haimen", "2010-2020") / 100
    return pd.DataFrame({"year": years, "trend": base * (1 + growth) ** (years - CENSUS_YEAR), "flat": base})


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _plots(summaries: list[pd.DataFrame], ages: list[pd.DataFrame], band: Uncertainty | None) -> dict[str, str]:
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
    ax.plot(years, naive.trend / 1e3, "--", label="2010–2020 trend continued (0.89 %/yr)")
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


def _fmt(x: float) -> str:
    if not np.isfinite(x):
        return ""
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}" if abs(x) < 10 else f"{x:.2f}"


def markdown(
    table: pd.DataFrame,
    summaries: list[pd.DataFrame],
    ages: list[pd.DataFrame],
    header: dict,
    band: Uncertainty | None = None,
    pull: PullCheck | None = None,
    life: list[str] | None = None,
) -> str:
    """The self-contained report."""
    lines = [
        "# Validation of the baseline",
        "",
        ", ".join(f"{k}: {v}" for k, v in header.items()),
        "",
        "*Fitted* facts are raking margins, calibration targets or vital-rate levels: agreement there is by",
        "construction. Only the others (*validation*, *neighbour check*) test the model. Error = model − observed;",
        "relative error = error / observed (for growth since 2020: / Haimen's 2010–2020 growth over as many years).",
        "Model = mean over seeds (sd over seeds); [band] = lowest to highest over the parameter-uncertainty members",
        "(section 'Parameter uncertainty'). Five-year bands: the target is derived (Jiangsu's 2020 profile",
        "within Haimen's census groups), not Haimen's own table, which was not found.",
        "",
        *(_band_section(band, table) if band is not None else ["No parameter band was computed (seeds only).", ""]),
        "## Worst-fitting facts that were not fitted",
        "",
    ]
    free = table[table.kind.isin([VALIDATION, NEIGHBOUR])].copy()
    free["abs_rel"] = free.relative_error.abs()
    lines += _table(free.sort_values("abs_rel", ascending=False).head(5))
    if pull is not None:
        lines += ["", *_pull_section(pull)]
    if life is not None:
        lines += ["", *life]
    for group, part in table.groupby("group", sort=False):
        lines += ["", f"## {group}", "", *_table(part)]
    years = summaries[0].year.to_numpy()
    naive = naive_forecasts(years)
    pops = populations(summaries)
    spread = band.populations() if band is not None else np.full((1, len(years)), np.nan)
    lines += [
        "",
        "## Model baseline vs naive forecasts",
        "",
        "| year | model mean | model sd | parameter band | trend 0.89 %/yr | flat |",
        "|---|---|---|---|---|---|",
    ]
    for i, y in enumerate(years):
        if y % 5 == 0 or i == len(years) - 1:
            sd = pops[:, i].std(ddof=1) if len(pops) > 1 else float("nan")
            lines.append(
                f"| {y} | {pops[:, i].mean():,.0f} | {_fmt(sd)} | {_range(spread[:, i].min(), spread[:, i].max())} "
                f"| {naive.trend[i]:,.0f} | {naive.flat[i]:,.0f} |"
            )
    lines += ["", "## Plots", ""]
    for title, data in _plots(summaries, ages, band).items():
        lines += [f"### {title}", "", f'<img alt="{title}" src="data:image/png;base64,{data}"/>', ""]
    return "\n".join(lines) + "\n"


def _range(low: float, high: float) -> str:
    return "" if not (np.isfinite(low) and np.isfinite(high)) else f"{_fmt(low)} to {_fmt(high)}"


def _inside(r) -> str:
    """Whether the observed value lies within the parameter band."""
    if not (np.isfinite(r.band_low) and np.isfinite(r.band_high)):
        return ""
    return "yes" if _covers(r.band_low, r.band_high, r.observed) else "no"


def _covers(low, high, observed):
    """Whether ``observed`` lies within [low, high], allowing for rounding (works on arrays too)."""
    tolerance = 1e-9 * np.maximum(np.abs(observed), 1.0)
    return (low - tolerance <= observed) & (observed <= high + tolerance)


def _table(part: pd.DataFrame) -> list[str]:
    out = [
        "| fact | observed | model (sd) | parameter band | observed in band | error | rel. error | unit | kind "
        "| source | note |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in part.itertuples():
        rel = f"{100 * r.relative_error:+.1f} %" if np.isfinite(r.relative_error) else ""
        out.append(
            f"| {r.fact} | {_fmt(r.observed)} | {_fmt(r.model)} ({_fmt(r.model_sd)}) | "
            f"{_range(r.band_low, r.band_high)} | {_inside(r)} | {_fmt(r.error)} | {rel} | "
            f"{r.unit} | {r.kind} | {r.source} | {r.note} |"
        )
    return out


def _band_section(band: Uncertainty, table: pd.DataFrame) -> list[str]:
    """What varied in the parameter band and how, its members, and how many unfitted facts it covers."""
    lines = [
        "## Parameter uncertainty",
        "",
        *band.members.description(),
        "",
        f"Each member then runs once with seed {band.seed}: all share that seed, so their spread is the parameters',",
        "not the dice's. The band is the lowest to the highest value over the members (with this few points a",
        "percentile band would claim more than the sample holds). The seed-mean column uses the constants in",
        "calibration.toml instead, so it may lie outside a small band.",
        "",
        "Members (varied values and refitted constants; 2020 and last-year population):",
        "",
    ]
    pops = band.populations()
    rows = pd.concat([band.members.values, band.fitted.add_prefix("fitted ")], axis=1).assign(
        **{"population 2020": pops[:, 0], f"population {band.summaries[0].year.max()}": pops[:, -1]}
    )
    lines += ["| " + " | ".join(rows.columns) + " |", "|---" * len(rows.columns) + "|"]
    for row in rows.itertuples(index=False):
        lines.append("| " + " | ".join(_fmt(v) if isinstance(v, float) else str(v) for v in row) + " |")
    free = table[table.kind.isin([VALIDATION, NEIGHBOUR])]
    inside = _covers(free.band_low, free.band_high, free.observed).sum()
    lines += [
        "",
        f"The band contains the observed value for {inside} of the {len(free)} facts that were not fitted.",
        "",
    ]
    return lines


def uncertainty_band(
    population: MigrationModel,
    scale: int,
    seed: int,
    end: int,
    points: int,
    sweep: str = DEFAULT_SWEEP,
    refit_scale: int | None = None,
    n_jobs: int = 1,
) -> Uncertainty:
    """The baseline at the central values and at ``points`` recalibrated Latin-hypercube points of ``sweep``.

    Every member runs with ``seed``; its vital rates are rebuilt on ``population``'s 2020 persons for the
    life-expectancy and fertility rows.
    """
    from experiments.calibrate import fitted_constants

    chosen = members(points, sweep, refit_scale)
    baseline = load_scenario("baseline").settings
    settings = [dict(baseline) | values for values in chosen.settings()]
    specs = [RunSpec(s, scale=scale, seed=seed, end=end, recalibrate=chosen.refit) for s in settings]
    results = run_many(specs, n_jobs=n_jobs)
    fitted = pd.DataFrame([fitted_constants(s, *chosen.refit) for s in settings])  # cached by the runs
    band = Uncertainty(chosen, seed, fitted)
    for s, tables in zip(settings, results, strict=True):
        rates = VitalRates(resolve({k: v for k, v in s.items() if k in parameters()}))
        band.summaries.append(tables["summary"])
        band.tables.append(compare([tables["summary"]], [tables["ages"]], rates))
    return band


PULL = "outside_pull_after_2020"
NANTONG, CITY = "Nantong", "Nantong 市区 (崇川+开发区+通州+海门)"
CHECK_YEARS = (2021, 2022)


@dataclass
class PullCheck:
    """The post-2020 pull's declared range against Nantong's growth since the census.

    ``growth`` has one row per pull (the range's ends and its central value) with the model's growth since 2020
    (%, mean over seeds) in each of ``CHECK_YEARS`` and its sd; ``facts`` the observed growth of Nantong and of
    its urban districts; ``expected`` Haimen's 2020–22 growth had it kept its 2010s relation to either.
    """

    central: float
    growth: pd.DataFrame
    facts: dict[str, tuple[int, float]]  # label -> (year, growth since 2020, %)
    expected: dict[str, float]  # carry-over rule -> Haimen's growth 2020–2022 (%)

    def pull_for(self, growth: float, year: int = 2022) -> float:
        """The pull at which the model's growth to ``year`` equals ``growth`` (linear between the runs; NaN
        outside their range)."""
        g = self.growth.sort_values(f"growth_{year}")
        x, y = g[f"growth_{year}"].to_numpy(), g["pull"].to_numpy()
        return float(np.interp(growth, x, y)) if x[0] <= growth <= x[-1] else float("nan")


def carried_over_growth(years: int = 2) -> dict[str, float]:
    """Haimen's growth over ``years`` from 2020 (%) had it kept its 2010–2020 relation to Nantong or its 市区.

    Four ways: the same gap in yearly growth (Haimen's minus theirs) or the same ratio of yearly growth, to
    Nantong as a whole and to its four urban districts (Haimen one of them), applied to their observed growth
    from the 2020 census to the end of 2022.
    """
    haimen = (fact("pop_resident_census") / fact("pop_resident_census", "Haimen", 2010)) ** 0.1 - 1
    out = {}
    for name, place, now in (("Nantong", NANTONG, "Nantong"), ("its urban districts (市区)", CITY, "Nantong 市区")):
        decade = (fact("pop_resident_census", place, 2020) / fact("pop_resident_census", place, 2010)) ** 0.1 - 1
        observed = fact("pop_resident_yearend", now, 2022) / fact("pop_resident_census", place, 2020) - 1
        out[f"same gap to {name}"] = 100 * ((1 + observed) * ((1 + haimen) / (1 + decade)) ** years - 1)
        out[f"same ratio to {name}"] = 100 * observed * haimen / decade
    return out


def pull_check(scale: int, seeds: Sequence[int], n_jobs: int = 1) -> PullCheck:
    """The baseline to 2022 at the post-2020 pull's low, central and high values (the constants in
    calibration.toml: the calibration itself always runs at the 2010s' pull, so it does not depend on this one)."""
    p = parameters()[PULL]
    pulls = sorted({p.low, p.default, p.high})
    baseline = load_scenario("baseline").settings
    specs = [
        RunSpec(dict(baseline) | {PULL: pull}, scale=scale, seed=seed, end=max(CHECK_YEARS))
        for pull in pulls
        for seed in seeds
    ]
    results = run_many(specs, n_jobs=n_jobs)
    rows = []
    for spec, tables in zip(specs, results, strict=True):
        pop = tables["summary"].set_index("year").haimen_population
        rows.append({"pull": spec.settings[PULL], **{y: 100 * (pop[y] / pop[CENSUS_YEAR] - 1) for y in CHECK_YEARS}})
    runs = pd.DataFrame(rows).groupby("pull")
    growth = runs.mean().add_prefix("growth_").join(runs.std(ddof=1).add_prefix("sd_")).reset_index()
    nantong = fact("pop_resident_census", NANTONG, 2020)
    facts = {f"Nantong {y}": (y, 100 * (fact("pop_resident_yearend", "Nantong", y) / nantong - 1)) for y in CHECK_YEARS}
    city = fact("pop_resident_yearend", "Nantong 市区", 2022) / fact("pop_resident_census", CITY, 2020) - 1
    facts["Nantong 市区 2022"] = (2022, 100 * city)
    return PullCheck(p.default, growth, facts, carried_over_growth())


def _pull_section(check: PullCheck) -> list[str]:
    """The pull check as Markdown: the model at the range's ends and centre, the facts, and what they say."""
    g = check.growth.set_index("pull")
    lines = [
        "## Post-2020 pull against Nantong",
        "",
        f"`{PULL}` scales the outside pools of potential movers from 2021 (0: none, 1: the 2010s' pull the",
        "calibration runs at). The baseline at the ends and the centre of its declared range (constants from",
        "calibration.toml, which do not depend on the pull), growth of the resident population since the",
        "2020 census in %, mean (sd) over the seeds:",
        "",
        "| pull | " + " | ".join(f"growth 2020–{y}" for y in CHECK_YEARS) + " |",
        "|---" * (len(CHECK_YEARS) + 1) + "|",
    ]
    for pull, r in g.iterrows():
        cells = [f"{r[f'growth_{y}']:+.2f} ({_fmt(r[f'sd_{y}'])})" for y in CHECK_YEARS]
        lines.append(f"| {pull:g}{' (central)' if pull == check.central else ''} | " + " | ".join(cells) + " |")
    lines += ["", "| fact | year | growth since the 2020 census | pull giving it |", "|---|---|---|---|"]
    for label, (year, value) in check.facts.items():
        lines.append(f"| {label} | {year} | {value:+.2f} % | {_fmt(check.pull_for(value, year))} |")
    for label, value in check.expected.items():
        lines.append(f"| Haimen, {label} (2010s) | 2022 | {value:+.2f} % | {_fmt(check.pull_for(value))} |")
    low, high = g.growth_2022.min(), g.growth_2022.max()
    at_central = g.loc[check.central, "growth_2022"]
    expected = np.array(list(check.expected.values()))
    middle = float(np.median(expected))

    def covered(v: float) -> str:
        return "covers" if low <= v <= high else "does not cover"

    where = (
        "below every carried-over estimate"
        if at_central < expected.min()
        else "above every carried-over estimate"
        if at_central > expected.max()
        else "within the carried-over estimates"
    )
    lines += [
        "",
        "Haimen's own 2021–22 populations were not found. The carried-over rows are what Haimen would show had it",
        "kept its 2010–2020 relation (gap or ratio of yearly growth) to Nantong or to its urban districts, whose",
        "2010 total is derived from the same census bulletin (facts.csv). The model's years run from the census",
        "to each year's end: about two months fewer than the facts'.",
        "",
        f"- The declared range gives growth 2020–2022 from {low:+.2f} % to {high:+.2f} %: it "
        + ", ".join(f"{covered(v)} {label} ({v:+.2f} %)" for label, (y, v) in check.facts.items() if y == 2022)
        + f" and {covered(expected.min())} / {covered(expected.max())} the lowest / highest carried-over estimate"
        f" ({expected.min():+.2f} / {expected.max():+.2f} %).",
        f"- At the central value {check.central:g} the model gives {at_central:+.2f} %, {where}"
        f" (their median {middle:+.2f} %, given by a pull of {_fmt(check.pull_for(middle))}).",
        "",
    ]
    return lines


def validate(
    scale: int = 10,
    seeds: Sequence[int] = (1, 2, 3),
    end: int = 2035,
    n_jobs: int = 1,
    uncertainty_points: int = DEFAULT_POINTS,
    uncertainty: str = DEFAULT_SWEEP,
    refit_scale: int | None = None,
) -> Validation:
    """Run the baseline for each seed (and over the uncertainty band unless ``uncertainty_points`` is 0)
    and compare it with the facts."""
    settings = load_scenario("baseline").settings
    results = run_many([RunSpec(settings=settings, scale=scale, seed=s, end=end) for s in seeds], n_jobs=n_jobs)
    summaries = [r["summary"] for r in results]
    ages = [r["ages"] for r in results]
    model = MigrationModel(scale=scale, end=end, rng=seeds[0], scenario="baseline")
    table = compare(summaries, ages, model.rates)
    header: dict[str, Any] = {
        "scenario": "baseline",
        "scale": f"1:{scale}",
        "seeds": ",".join(map(str, seeds)),
        "years": f"2020–{end}",
    }
    check = pull_check(scale, seeds, n_jobs) if end >= max(CHECK_YEARS) else None
    band = None
    if uncertainty_points:
        band = uncertainty_band(model, scale, seeds[0], end, uncertainty_points, uncertainty, refit_scale, n_jobs)
        table["band_low"], table["band_high"] = band.band()
        header["parameter band"] = f"{len(band.summaries)} members (see 'Parameter uncertainty')"
    life = life_section(model.rates, model, summaries, ages)
    return Validation(table, summaries, markdown(table, summaries, ages, header, band, check, life), band, check)

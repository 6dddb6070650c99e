"""The validation report's backcast section: the model from the 2010 census to 2020 against the 2020 census.

The comparisons are declared with ``runs = "backcast"`` in ``experiments/data/validation_facts.toml``: the four
the free constants are fitted to (*fitted*) and the figures nothing was fitted to (*validation*: the age shares,
sex ratio, family households, collective persons, the 2019 births and deaths, the decade's net migration; and
the gross flows against Nantong's registered moves). Each shows the backcast's mean and sd over seeds, the
parameter band (the same recalibrated members as the forward band, each backcast with one seed) and, beside
it, a plain cohort-component projection (:mod:`experiments.validation.cohort`) from the same 2010 margins with
the same vital rates and the backcast's mean net migration by year: what it gets right too needs no agents.
Two tables go below the census figures: the last year by five-year band and sex (:func:`by_age`, beside the
projection, which has ages but no places) and by Haimen's units (:func:`by_place`, which only the agents give),
each against that census year's declared margins (``environment/data/census_margins.toml``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from agents.demography import VitalRates
from environment.census import margins
from environment.demography_inputs import BAND_STARTS, band_label
from environment.inputs import place_input
from environment.places import places
from environment.settings import parameters, resolve
from experiments.backcast import END, START, backcasts, run_backcast
from experiments.backends import in_use
from experiments.uncertainty import Members
from experiments.validation.cohort import backcast_projection
from experiments.validation.facts import NEIGHBOUR, VALIDATION, Runs, compare
from experiments.validation.report import covers, fmt, fmt_range

PATH_COLUMNS = (  # the decade year by year: summary column, heading
    ("haimen_population", "population"),
    ("urbanization", "urban share"),
    ("average_household_size", "household size"),
    ("births", "births"),
    ("deaths", "deaths"),
    ("arrivals", "arrivals"),
    ("departures", "departures"),
    ("working_in_shanghai", "working in Shanghai"),
)


@dataclass
class BackcastCheck:
    """The backcast's comparison with the 2020 census (``table``: rows of ``experiments.validation.facts``, with
    the band's columns and ``cohort_component``), its runs (one summary, ages and places table per seed), the
    members' summaries (if a band was run) and the cohort-component projection's summary and ages."""

    table: pd.DataFrame
    summaries: list[pd.DataFrame]
    ages: list[pd.DataFrame]
    places: list[pd.DataFrame]  # the runs' places tables (``yearly``)
    cohort: tuple[pd.DataFrame, pd.DataFrame]
    closed: pd.DataFrame  # the projection's ages without migration
    members: list[pd.DataFrame] | None = None


def _rates(settings: dict[str, Any]) -> VitalRates:
    return VitalRates(resolve({k: v for k, v in settings.items() if k in parameters()}))


def net_migration_by_year(summaries: Sequence[pd.DataFrame]) -> dict[int, float]:
    """The backcasts' mean net migration into Haimen by year (people), the years after the start."""
    mean = pd.concat(summaries).groupby("year").net_migration.mean()
    return {int(y): float(v) for y, v in mean.items() if y > START}


def backcast_check(
    settings: dict[str, Any],
    scale: int,
    seeds: Sequence[int],
    members: Members | None = None,
    seed: int | None = None,
    n_jobs: int | None = None,
) -> BackcastCheck:
    """Backcasts under ``settings`` for ``seeds`` (and, with ``members``, each member recalibrated and run with
    ``seed``), compared with the census, beside the cohort-component projection."""
    check = check_of(backcasts(settings, scale, seeds, n_jobs), _rates(settings))
    table = check.table
    if members is not None:
        from experiments.calibrate import fitted_constants

        chosen = [dict(settings) | values for values in members.settings()]
        calls = [(s | fitted_constants(s, *members.refit), scale, seeds[0] if seed is None else seed) for s in chosen]
        results = in_use(n_jobs).map(run_backcast, calls)
        models = [
            compare(Runs([r["summary"]], [r["ages"]], _rates(s)), of="backcast").model
            for (s, _, _), r in zip(calls, results, strict=True)
        ]
        values = pd.concat(models, axis=1)
        table["band_low"], table["band_high"] = values.min(axis=1), values.max(axis=1)
        check.members = [r["summary"] for r in results]
    return check


def check_of(runs: Sequence[dict[str, pd.DataFrame]], rates: VitalRates) -> BackcastCheck:
    """The comparison of backcast ``runs`` (tables by name, one dict per seed) with the census, beside the
    cohort-component projection with their mean net migration, and without any, under ``rates``' settings."""
    summaries, ages, yearly = ([r[name] for r in runs] for name in ("summary", "ages", "yearly"))
    table = compare(Runs(summaries, ages, rates), of="backcast")
    net = net_migration_by_year(summaries)
    cohort = backcast_projection(rates.settings, START, net)
    closed = backcast_projection(rates.settings, START, dict.fromkeys(net, 0.0))[1]
    table["cohort_component"] = compare(Runs([cohort[0]], [cohort[1]], rates), of="backcast").model.to_numpy()
    return BackcastCheck(table, summaries, ages, yearly, cohort, closed)


def backcast_section(check: BackcastCheck) -> list[str]:
    """The section's Markdown: what the backcast is, the 2020 table, the decade year by year, what it says."""
    t, c = check.table, margins(START)
    lines = [
        f"## Backcast {START} → {END} against the {END} census",
        "",
        f"The model started from Haimen's {START} census ({c.persons:,.0f} residents, {100 * c.urban / c.persons:.2f} %"
        f" urban, sex ratio {100 * c.male / (c.persons - c.male):.1f}, {c.family_persons / c.family_households:.2f}"
        " persons per family household; collective persons and the five-year ages derived, see",
        "`environment/data/census_margins.toml`), with the historical transport projects opening in their years",
        f"(`projects.csv`), the {START}s' vital rates and outside populations, the {START}s' pull and every lever at",
        f"baseline, and run to {END} ({len(check.summaries)} seeds). *Fitted*: the free constants are fitted to these",
        "figures (`abm calibrate`); the others test the mechanisms. The cohort-component column projects the same",
        f"{START} margins with the same vital rates and the backcast's mean net migration by year, spread over ages",
        "by the model's migration schedule: where it does as well, the agents add nothing to that figure.",
        "",
        "| figure | observed | backcast (sd) | parameter band | observed in band | cohort-component | error | kind "
        "| source | note |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in t.itertuples():
        inside = "yes" if covers(r.band_low, r.band_high, r.observed) else "no"
        inside = inside if np.isfinite(r.band_low) else ""
        rel = f"{100 * r.relative_error:+.1f} %" if np.isfinite(r.relative_error) else ""
        lines.append(
            f"| {r.fact} | {fmt(r.observed)} | {fmt(r.model)} ({fmt(r.model_sd)}) | "
            f"{fmt_range(r.band_low, r.band_high)} | {inside} | {fmt(r.cohort_component)} | {rel} | {r.kind} | "
            f"{r.source} | {r.note} |"
        )
    lines += ["", *_verdict(t), "", *_closed(check), "", *_age_lines(by_age(check))]
    lines += ["", *_place_lines(by_place(check)), "", *_decade(check)]
    return lines


def _band_sums(ages: pd.DataFrame, year: int, sex: str | None = None) -> np.ndarray:
    """People per five-year band (``BAND_STARTS`` order) in ``year`` of an ages table, both sexes or one."""
    rows = ages[(ages.year == year) & ((ages.sex == sex) if sex else True)]
    return rows.groupby("age_band").people.sum().reindex([band_label(lo) for lo in BAND_STARTS]).to_numpy(float)


def by_age(check: BackcastCheck) -> pd.DataFrame:
    """The last year by five-year band: persons and men of the backcast (mean and sd over seeds), of the
    cohort-component projection (with the backcast's net migration, and closed: none), and the margins of the two
    censuses (``census_START``; ``census_END``: Haimen's broad groups spread by Jiangsu's five-year profile,
    derived), persons per band."""
    runs = np.stack([_band_sums(a, END) for a in check.ages])
    men = np.stack([_band_sums(a, END, "male") for a in check.ages])
    start, end = margins(START).ages, margins(END).ages
    return pd.DataFrame(
        {
            "age_band": [band_label(lo) for lo in BAND_STARTS],
            f"census_{START}": start.persons,
            f"census_{END}": end.persons,
            "backcast": runs.mean(axis=0),
            "backcast_sd": runs.std(axis=0, ddof=1) if len(runs) > 1 else np.nan,
            "cohort_component": _band_sums(check.cohort[1], END),
            "closed": _band_sums(check.closed, END),
            f"men_census_{END}": end.men,
            "men_backcast": men.mean(axis=0),
            "men_cohort_component": _band_sums(check.cohort[1], END, "male"),
        }
    )


def by_place(check: BackcastCheck) -> pd.DataFrame:
    """The last year by Haimen's unit: residents and urban share of the backcast (mean and sd over seeds) against
    each census year's margins per unit (``census_START``, ``census_END``: the census totals spread over the units
    as ``census_margins.toml`` declares: by the units' assumed populations and urban shares of ``place_inputs.csv``,
    town-level census counts being NOT FOUND), with the assumption's range rescaled as the value is
    (``assumed_low``, ``assumed_high``). The cohort-component projection has no places."""
    pl = places()
    keys = [pl.keys[p] for p in pl.haimen]
    runs = [y[(y.year == END) & y.in_haimen].set_index("place").loc[keys] for y in check.places]
    people = np.stack([r.population.to_numpy(float) for r in runs])
    urban = np.stack([r.urban_population.to_numpy(float) for r in runs]) / people
    at = {year: _unit_margins(year) for year in (START, END)}
    rows = [place_input("population", pl.keys[p], True) for p in pl.haimen]
    declared = np.array([float(r["value"]) for r in rows])
    rescale = at[END][0] / declared  # the units' assumed populations are rescaled to the census total

    def bound(key: str) -> np.ndarray:
        return np.array([float(r[key]) if r[key] else np.nan for r in rows]) * rescale

    return pd.DataFrame(
        {
            "place": keys,
            "name": [f"{pl.name_zh[p]} {pl.name_en[p]}" for p in pl.haimen],
            f"census_{START}": at[START][0],
            f"census_{END}": at[END][0],
            "assumed_low": bound("low"),
            "assumed_high": bound("high"),
            "backcast": people.mean(axis=0),
            "backcast_sd": people.std(axis=0, ddof=1) if len(runs) > 1 else np.nan,
            f"urban_share_{START}": at[START][1],
            f"urban_share_{END}": at[END][1],
            "urban_share_backcast": urban.mean(axis=0),
        }
    )


def _unit_margins(year: int) -> tuple[np.ndarray, np.ndarray]:
    """A census year's persons and urban share per Haimen unit (``places().haimen`` order) from its margins."""
    pl, alternatives = places(), margins(year).alternatives
    urban, rural = alternatives[pl.alt_of[pl.haimen, 0]], alternatives[pl.alt_of[pl.haimen, 1]]
    return urban + rural, urban / (urban + rural)


def _age_lines(table: pd.DataFrame) -> list[str]:
    """The by-age table and its largest misses."""
    end, start = f"census_{END}", f"census_{START}"
    lines = [
        f"By age in {END}: persons per five-year band (the {END} census column is Haimen's broad groups spread by"
        f" Jiangsu's five-year profile, derived; the {START} column the derived {START} table), the backcast's mean"
        " (sd), the cohort-component projection with the backcast's net migration and without any (closed), and"
        " men:",
        "",
        f"| age | {START} | {END} census | backcast (sd) | cohort-component | closed | backcast − census | men {END} "
        "census | men backcast | men cohort-component |",
        "|---" * 10 + "|",
    ]
    for r in table.itertuples(index=False):
        d = r._asdict()
        lines.append(
            f"| {r.age_band} | {fmt(d[start])} | {fmt(d[end])} | {fmt(r.backcast)} ({fmt(r.backcast_sd)}) | "
            f"{fmt(r.cohort_component)} | {fmt(r.closed)} | {r.backcast - d[end]:+,.0f} | {fmt(d[f'men_{end}'])} | "
            f"{fmt(r.men_backcast)} | {fmt(r.men_cohort_component)} |"
        )
    miss = (table.backcast - table[end]).abs().sort_values(ascending=False).index[:3]
    worst = ", ".join(
        f"{table.age_band[i]} {table.backcast[i] - table[end][i]:+,.0f}"
        f" (cohort-component {table.cohort_component[i] - table[end][i]:+,.0f})"
        for i in miss
    )
    return [*lines, "", f"Largest misses by band: {worst}."]


def _place_lines(table: pd.DataFrame) -> list[str]:
    """The by-place table and how many units end inside their assumed range."""
    end, start = f"census_{END}", f"census_{START}"
    inside = covers(table.assumed_low, table.assumed_high, table.backcast)
    lines = [
        f"By place in {END}: residents per Haimen unit. Town-level census counts were NOT FOUND: each census"
        " column is the census total spread by the units' assumed populations and urban shares (`place_inputs.csv`;"
        f" the {START} units moved back along the urbanization), the forward runs' start; the range is the"
        " assumption's, rescaled as its value is. Only the agents give places (the cohort-component projection has"
        " none):",
        "",
        f"| place | {START} | {END} (start of forward runs) | assumed range | backcast (sd) | backcast in range "
        f"| urban % {START} | urban % {END} | urban % backcast |",
        "|---" * 9 + "|",
    ]
    for r, ok in zip(table.itertuples(index=False), inside, strict=True):
        d = r._asdict()
        lines.append(
            f"| {r.name} | {fmt(d[start])} | {fmt(d[end])} | {fmt_range(r.assumed_low, r.assumed_high)} | "
            f"{fmt(r.backcast)} ({fmt(r.backcast_sd)}) | {'yes' if ok else 'no'} | "
            f"{100 * d[f'urban_share_{START}']:.1f} | {100 * d[f'urban_share_{END}']:.1f} | "
            f"{100 * r.urban_share_backcast:.1f} |"
        )
    return [*lines, "", f"{int(inside.sum())} of {len(table)} units end the backcast inside their assumed range."]


def _closed(check: BackcastCheck) -> list[str]:
    """The old in the last year without any migration, against the census: the 2010 ages and the mortality path."""
    ages = check.closed[check.closed.year == END]
    lower = ages.age_band.str.extract(r"^(\d+)")[0].astype(int)
    groups = margins(END).groups
    old, oldest = ages.people[lower >= 60].sum(), ages.people[lower >= 65].sum()
    census_old = groups["age_60_64"] + groups["age_65_plus"]
    return [
        f"Without any migration, the projection from the {START} margins has {old:,.0f} people aged 60+ and"
        f" {oldest:,.0f} aged 65+ in {END} (census {census_old:,.0f} and {groups['age_65_plus']:,.0f}). The derived"
        f" {START} ages 50+ are Haimen's exact {END} counts survived back at a life expectancy near 78 (the research",
        f"note's candidate c, `age_structure_{START}.csv`); where the model's own mortality path keeps more of them",
        "alive, the difference is the 2010 table's, not the agents'.",
    ]


def _verdict(t: pd.DataFrame) -> list[str]:
    """The out-of-sample figures ranked by their relative error, and how the projection compares."""
    free = t[t.kind.isin([VALIDATION, NEIGHBOUR])].copy()
    free["abs_rel"] = free.relative_error.abs()
    free["cohort_rel"] = ((free.cohort_component - free.observed) / free.observed).abs()
    lines = ["Out-of-sample figures, largest miss first (backcast; cohort-component where it has the figure):", ""]
    for r in free.sort_values("abs_rel", ascending=False).itertuples():
        cohort = f"; cohort-component {100 * r.cohort_rel:.1f} %" if np.isfinite(r.cohort_rel) else ""
        lines.append(f"- {r.fact}: backcast off by {100 * r.abs_rel:.1f} %{cohort}")
    return lines


def _decade(check: BackcastCheck) -> list[str]:
    """The decade year by year: the backcast's means and the projection's population, births and deaths."""
    mean = pd.concat(check.summaries).groupby("year").mean(numeric_only=True)
    cohort = check.cohort[0].set_index("year")
    heads = [head for _, head in PATH_COLUMNS]
    lines = [
        "The decade year by year (backcast: mean over seeds; cohort-component: population, births, deaths):",
        "",
        "| year | " + " | ".join(heads) + " | cohort-component population | births | deaths |",
        "|---" * (len(heads) + 4) + "|",
    ]
    for year, r in mean.iterrows():
        cells = [fmt(r[column] * (100 if column == "urbanization" else 1)) for column, _ in PATH_COLUMNS]
        cc = cohort.loc[year]
        lines.append(
            f"| {year} | " + " | ".join(cells) + f" | {fmt(cc.haimen_population)} | {fmt(cc.get('births', np.nan))} "
            f"| {fmt(cc.get('deaths', np.nan))} |"
        )
    return lines

"""The validation report's section on life expectancy, deaths and births: the evidence, the arithmetic, the model.

Two official systems disagree on Haimen's mortality: the statistics bureau's
census-adjusted life expectancy (Nantong 79.58, Jiangsu 79.32 in 2020) and
the registered (户籍) deaths (Haimen 9,599 in 2019, 9.6 ‰). The section shows
the crude death rate each life expectancy implies on Haimen's 2020 census
population with the model's mortality shape, and the life expectancy the
registered rate implies, so the reader sees why the declared range
(``life_expectancy_2020``) spans both and why the registered deaths are a
lower bound. For fertility it shows the total fertility the sourced births
imply on the model's 2020 women (indirect standardisation) and the model's own.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from abm.model import MigrationModel
from agents.constants import MAX_AGE
from agents.demography import VitalRates, birth_pattern, during_year
from environment.demography_inputs import (
    RATE_BASE_YEAR,
    implied_total_fertility,
    jiangsu_total_fertility,
    total_fertility,
    vital_rates,
)
from environment.inputs import CENSUS_YEAR, fact
from environment.life_table import level_for, standard_rates
from environment.settings import parameters

REPORT_YEARS = (2021, 2023, 2025, 2030, 2035)  # years whose rates the section shows


def census_people(model: MigrationModel, year: int) -> np.ndarray:
    """The 2020 population aged to ``year`` as the model ages it (a year older in 2021; no deaths or moves),
    persons float[sex, age]."""
    p, w = model.population.persons, model.population.person_weight()
    people = np.zeros((2, MAX_AGE + 1))
    np.add.at(people, (p.female.astype(int), np.minimum(p.age + (year - CENSUS_YEAR), MAX_AGE)), w)
    return people


def death_rate_at(e0: float, people: np.ndarray, boy_share: float, aged: bool) -> float:
    """Crude death rate (‰) of ``people`` (float[sex, age]) under the standard shape at life expectancy ``e0``:
    the period rate Σ persons_x × (1 − exp(−m_x)) / persons, or, if ``aged`` (people a year older, as the model
    ages them), with the model's timing (:func:`agents.demography.during_year`)."""
    rates = level_for(e0, boy_share) * standard_rates()
    if aged:
        rates = during_year(rates)
    return float(1000 * (people * -np.expm1(-rates)).sum() / people.sum())


def implied_death_rate(rates: VitalRates, model: MigrationModel, e0: float, year: int = CENSUS_YEAR + 1) -> float:
    """The crude death rate (‰) that a life expectancy of ``e0`` implies on the 2020 population: in the census
    year as a period rate, in a later year aged as the model ages it (without deaths or moves)."""
    return death_rate_at(e0, census_people(model, year), rates.boy_share, aged=year > CENSUS_YEAR)


def implied_life_expectancy(rates: VitalRates, model: MigrationModel, death_rate: float, year: int) -> float:
    """The life expectancy at which :func:`implied_death_rate` in ``year`` equals ``death_rate`` (‰)."""
    return float(brentq(lambda e0: implied_death_rate(rates, model, e0, year) - death_rate, 60.0, 95.0, xtol=1e-6))


def life_expectancy_of(rates: VitalRates, year: int) -> tuple[float, float, float]:
    """Period life expectancy at birth of the model's mortality in ``year``: both sexes, men, women."""
    return rates.period_life_expectancy(year)


def simulated_total_fertility(summaries: Sequence[pd.DataFrame], ages: Sequence[pd.DataFrame], year: int) -> float:
    """Total fertility of the runs' births in ``year`` (mean over runs): births over the births the women at the
    start of the year (five-year bands of the ages table, each spread evenly over its ages) would have at one
    child per woman in the model's age pattern (an approximation: bands, not single years)."""
    a_year_older = np.append(during_year(birth_pattern(), first=0.0)[1:], 0.0)  # by age at the start of the year
    per_band = np.add.reduceat(a_year_older, np.arange(0, MAX_AGE + 1, 5)) / 5
    out = []
    for summary, table in zip(summaries, ages, strict=True):
        women = table[(table.year == year - 1) & (table.sex == "female")]
        lower = women.age_band.str.extract(r"^(\d+)")[0].astype(int).to_numpy()
        # a woman of band b at the start of the year is a year older when she gives birth
        expected = (women.people.to_numpy() * per_band[np.minimum(lower // 5, len(per_band) - 1)]).sum()
        out.append(float(summary.set_index("year").births[year] / expected))
    return float(np.mean(out))


def _crude(summaries: Sequence[pd.DataFrame], year: int, column: str) -> float:
    values = []
    for s in summaries:
        s = s.set_index("year")
        values.append(1000 * s.loc[year, column] / s.loc[year - 1, "haimen_population"])
    return float(np.mean(values))


def life_section(
    rates: VitalRates, model: MigrationModel, summaries: Sequence[pd.DataFrame], ages: Sequence[pd.DataFrame]
) -> list[str]:
    """The report's section (Markdown lines): the evidence, the arithmetic and the model against both."""
    year = CENSUS_YEAR + 1
    last = int(summaries[0].year.max())
    e0 = parameters()["life_expectancy_2020"]
    low, central, high = e0.low, e0.default, e0.high
    registered = fact("death_rate", "Haimen", RATE_BASE_YEAR)
    lines = [
        "## Life expectancy, deaths and births against the evidence",
        "",
        "Two official systems disagree. The statistics bureau's life expectancies are census-based and adjusted for",
        "under-reported deaths; the registered (户籍) deaths and the health commissions' life expectancies built on",
        f"them run about 3.5 years higher (Nantong {fact('life_expectancy_health_dept_registered', 'Nantong', 2020)}"
        f" against {fact('life_expectancy', 'Nantong', 2020)}). The model declares Haimen's resident life",
        f"expectancy in 2020 (`life_expectancy_2020`: {central:g}, range {low:g}–{high:g}) and sets its mortality",
        "level each year so that Jiangsu's 2020 census shape (at Jiangsu's official life expectancy) gives it.",
        "",
        "| evidence | value | basis | source |",
        "|---|---|---|---|",
    ]
    evidence = (  # label, facts key, place, year, basis
        ("life expectancy, Jiangsu 2020", "life_expectancy", "Jiangsu", 2020, "census-adjusted"),
        ("life expectancy, Nantong 2020", "life_expectancy", "Nantong", 2020, "census-adjusted"),
        ("life expectancy, Suzhou 2020", "life_expectancy", "Suzhou", 2020, "census-adjusted"),
        (
            "life expectancy, Nantong 2020",
            "life_expectancy_health_dept_registered",
            "Nantong",
            2020,
            "registered, 卫健委",
        ),
        (
            "life expectancy, Jiangsu 2020",
            "life_expectancy_census_reported_deaths",
            "Jiangsu",
            2020,
            "census, unadjusted",
        ),
        ("deaths, Haimen 2019", "deaths", "Haimen", RATE_BASE_YEAR, "registered: a lower bound"),
        ("crude death rate, Haimen 2019 (‰)", "death_rate", "Haimen", RATE_BASE_YEAR, "registered: a lower bound"),
        ("births, Haimen 2019", "births", "Haimen", RATE_BASE_YEAR, "registered"),
        ("total fertility, Jiangsu 2020", "tfr_indirect_estimate", "Jiangsu", 2020, "indirect, census births"),
        ("total fertility, Qidong 2021", "tfr_implied", "Qidong", 2021, "registered births"),
        ("total fertility, Tongzhou 2023", "tfr_implied", "Nantong 通州区", 2023, "registered births"),
    )
    for label, key, place, when, basis in evidence:
        lines.append(f"| {label} | {fact(key, place, when):,.2f} | {basis} | facts `{key}` |".replace(".00 |", " |"))
    lines += [
        "",
        "**Arithmetic** on Haimen's 2020 census population (the period rate, as the research note computes it),",
        "with the model's mortality shape: the crude death rate each life expectancy implies, and the life",
        "expectancy the registered rate implies.",
        "",
        "| life expectancy | years | implied crude death rate |",
        "|---|---|---|",
    ]
    for label, value in (
        ("Jiangsu 2020", fact("life_expectancy", "Jiangsu", 2020)),
        ("Nantong 2020", fact("life_expectancy", "Nantong", 2020)),
        ("declared low", low),
        ("declared central", central),
        ("declared high", high),
        ("Nantong 2020, registered basis", fact("life_expectancy_health_dept_registered", "Nantong", 2020)),
    ):
        lines.append(f"| {label} | {value:.2f} | {implied_death_rate(rates, model, value, CENSUS_YEAR):.2f} ‰ |")
    at_registered = implied_life_expectancy(rates, model, registered, CENSUS_YEAR)
    expected = implied_death_rate(rates, model, rates.life_expectancy(year), year)
    band = [implied_death_rate(rates, model, rates.life_expectancy(year) + v - central, year) for v in (high, low)]
    lines += [
        "",
        f"The registered {registered:g} ‰ of {RATE_BASE_YEAR} implies a life expectancy of {at_registered:.2f}: it",
        f"and Nantong's {fact('life_expectancy', 'Nantong', 2020):.2f} cannot both hold. The declared range runs from",
        "Nantong's census-adjusted value to about the one that reproduces the registered rate; the registered deaths",
        "are a lower bound (deaths not yet removed from the hukou register), not a target. In the model's first year",
        f"({year}, the census population a year older) the declared range means {band[0]:.2f}–{band[1]:.2f} ‰, the",
        f"central value {expected:.2f} ‰ (expected deaths before any move).",
        "",
        "**The model** (baseline, mean over the seeds; rates per mille of the population at the year's start; e0 =",
        "period life expectancy at birth of the year's rates, 2023 with `covid_mortality_2023`):",
        "",
        "| year | e0 both | men | women | crude death rate | total fertility (declared) "
        "| total fertility (simulated births) | crude birth rate |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for y in (y for y in REPORT_YEARS if y <= last):
        both, men, women = life_expectancy_of(rates, y)
        lines.append(
            f"| {y} | {both:.2f} | {men:.2f} | {women:.2f} | {_crude(summaries, y, 'deaths'):.2f} ‰ "
            f"| {rates.total_fertility(y):.3f} | {simulated_total_fertility(summaries, ages, y):.3f} "
            f"| {_crude(summaries, y, 'births'):.2f} ‰ |"
        )
    lines += [
        "",
        f"Tongzhou's registered death rate in 2023 was {fact('death_rate_hukou', 'Nantong 通州区', 2023):g} ‰ (a",
        "neighbour, registered basis, its own ages NOT FOUND). The simulated total fertility divides the births by",
        "the births the year's women would have at one child each (five-year bands): it tests the draws, not the",
        "declared path.",
        "",
        "**Fertility arithmetic** (indirect standardisation on China's 2020 age pattern, on Haimen's 2020 women of",
        "`age_structure_2020.csv`):",
        "",
        "| births | year | total fertility they imply |",
        "|---|---|---|",
        f"| {fact('births', 'Haimen', RATE_BASE_YEAR):,.0f} registered | {RATE_BASE_YEAR} | "
        f"{implied_total_fertility(fact('births', 'Haimen', RATE_BASE_YEAR)):.3f} |",
    ]
    persons = fact("pop_resident_census")
    for y in (2021, 2024):
        rate = vital_rates()[y].birth_rate
        lines.append(
            f"| {rate:.2f} ‰ (vital_rates.csv: Haimen {RATE_BASE_YEAR} × Jiangsu's crude change) | {y} | "
            f"{implied_total_fertility(rate / 1000 * persons):.3f} (fixed 2020 women) |"
        )
    for y in (2020, 2021, 2024):
        lines.append(
            f"| Jiangsu's rate on its 2020 census women aged to the year | {y} | Jiangsu "
            f"{jiangsu_total_fertility(y):.3f}; Haimen's path {total_fertility()[y].tfr:.3f} |"
        )
    lines += [
        "",
        f"Haimen's path (total_fertility.csv) is its {RATE_BASE_YEAR} value moved with Jiangsu's total fertility,",
        "standardised for the ageing of Jiangsu's women, since the model ages its own women; the crude-rate series",
        "on fixed 2020 women gives a lower value (above). Jiangsu's own 2020 value by this method is "
        f"{jiangsu_total_fertility(CENSUS_YEAR):.3f} against the census-based "
        f"{fact('tfr_indirect_estimate', 'Jiangsu', 2020)}.",
        f"`fertility_factor` (declared {parameters()['fertility_factor'].low:g}–"
        f"{parameters()['fertility_factor'].high:g}) scales the path.",
        "",
    ]
    return lines

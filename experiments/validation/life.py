"""Why the model's life expectancy exceeds Jiangsu's: the crude death rates other life expectancies imply on
Haimen's 2020 population (a section of the validation report)."""

from __future__ import annotations

import itertools

from agents.demography import VitalRates
from agents.life_table import implied_death_rate, life_expectancy
from agents.population import Population
from environment.demography_inputs import vital_rates
from environment.inputs import CENSUS_YEAR, fact
from environment.settings import parameters, resolve

SHAPES = ("mortality_slope", "makeham_share", "female_mortality_ratio")  # the mortality shape's parameters


def life_section(rates: VitalRates, population: Population) -> list[str]:
    """The section's Markdown: the model's life expectancy, the crude death rates Jiangsu's and Nantong's imply on
    ``population`` (the 2020 persons), and the life expectancies at the corners of the shape's declared ranges."""
    year = CENSUS_YEAR + 1
    e0 = life_expectancy(rates, year)[0]
    sourced = vital_rates()[year].death_rate * rates.settings.death_rate_factor
    lines = [
        "## Life expectancy and the crude death rate",
        "",
        f"The model's {year} mortality gives a life expectancy at birth of {e0:.1f} years, because its level is",
        f"fitted so that deaths equal the sourced crude rate ({sourced:.2f} ‰) on Haimen's old population. The",
        "crude death rate another life expectancy would imply on the same population (2020 census persons a year",
        "older, the model's Gompertz–Makeham shape):",
        "",
        "| life expectancy | years | implied crude death rate |",
        "|---|---|---|",
    ]
    for label, place in (("Jiangsu 2020", "Jiangsu"), ("Nantong 2020", "Nantong")):
        value = fact("life_expectancy", place, 2020)
        lines.append(f"| {label} | {value:.2f} | {implied_death_rate(rates, population, value, year):.2f} ‰ |")
    corners = itertools.product(*[(parameters()[k].low, parameters()[k].high) for k in SHAPES])

    def at(corner: tuple[float, ...]) -> float:
        shape = dict(zip(SHAPES, corner, strict=True))
        return life_expectancy(VitalRates(resolve(dict(rates.settings) | shape), population), year)[0]

    e0s = [at(c) for c in corners]
    jiangsu = fact("life_expectancy", "Jiangsu", 2020)
    lines += [
        "",
        f"At the corners of the shape's declared ranges ({', '.join(f'`{k}`' for k in SHAPES)}) the sourced rate",
        f"gives {min(e0s):.1f} to {max(e0s):.1f} years"
        + (
            f": none comes near Jiangsu's {jiangsu:.1f}. The gap lies between the sourced crude rate (Haimen's 2019"
            " rate, registered basis, moved with Jiangsu's trend) and Haimen's census age structure, not in the shape."
            if min(e0s) > jiangsu + 1
            else f", a range reaching Jiangsu's {jiangsu:.1f}."
        ),
        f"`death_rate_factor` (declared {parameters()['death_rate_factor'].low:g}–"
        f"{parameters()['death_rate_factor'].high:g}) scales that rate.",
        "",
    ]
    return lines

"""Input tables with their sources: the one place the model reads numbers from.

Every figure lives in ``environment/data``: sourced facts in ``facts.csv`` and
assumptions (with a plausible range) beside them. Code never restates a figure.
"""

from __future__ import annotations

import csv
import tomllib
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"


def read_csv(name: str) -> list[dict[str, str]]:
    """Rows of a data table as dicts of strings."""
    with open(DATA_DIR / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def read_toml(name: str) -> dict:
    """A TOML data file."""
    with open(DATA_DIR / name, "rb") as f:
        return tomllib.load(f)


@cache
def _constants() -> dict[str, dict]:
    return read_toml("constants.toml")


def constant(key: str):
    """A fixed constant of the model's mechanisms from ``constants.toml`` (value in its stated unit)."""
    return _constants()[key]["value"]


CENSUS_YEAR: int = constant("census_year")  # runs start from this census; the plan's base year


@cache
def _facts() -> dict[tuple[str, str, str], float]:
    table = {}
    for row in read_csv("facts.csv"):
        if row["value"] not in ("", "NA"):
            try:
                table[(row["key"], row["place"], row["year"])] = float(row["value"])
            except ValueError:  # dates such as 2020-07-01
                continue
    return table


def fact(key: str, place: str = "Haimen", year: int | str = 2020) -> float:
    """A sourced figure from ``facts.csv`` (raises KeyError if absent)."""
    return _facts()[(key, place, str(year))]


@cache
def place_inputs() -> dict[tuple[str, str], dict[str, str]]:
    """``place_inputs.csv`` keyed by (place, variable)."""
    return {(r["place"], r["variable"]): r for r in read_csv("place_inputs.csv")}


def place_input(variable: str, place: str, in_haimen: bool) -> dict[str, str] | None:
    """The row for ``variable`` at ``place``, falling back to the Haimen-wide row."""
    rows = place_inputs()
    row = rows.get((place, variable))
    if row is None and in_haimen:
        row = rows.get(("haimen", variable))
    return row


def place_value(variable: str, place: str, in_haimen: bool) -> float:
    """Numeric value of :func:`place_input` (KeyError if there is none)."""
    row = place_input(variable, place, in_haimen)
    if row is None:
        raise KeyError(f"no input {variable!r} for place {place!r}")
    return float(row["value"])

"""What the model records each year, through Mesa's DataCollector.

Model-level reporters give Haimen's totals; tables give one row per year and
place (``places``, written as ``yearly.parquet``), flows between places, jobs by
place and cluster, and Haimen's age structure. Counts are people (weights
summed), not agents. The 2020 row is the starting population: its flows are
empty (NaN).
"""

from __future__ import annotations

from mesa import DataCollector

SUMMARY = (
    "year",
    "haimen_population",
    "urban_population",
    "urbanization",
    "births",
    "deaths",
    "natural_change_per_mille",
    "arrivals",
    "departures",
    "net_migration",
    "rural_to_urban",
    "working_in_shanghai",
    "workers",
    "unemployed",
    "households",
    "average_household_size",
)
TABLES = {
    "places": [
        "year",
        "place",
        "in_haimen",
        "population",
        "urban_population",
        "births",
        "deaths",
        "arrivals",
        "departures",
        "households",
        "workers",
        "jobs",
        "jobs_filled",
        "price_urban",
        "price_rural",
        "rent_urban",
        "school_children",
        "school_seats",
    ],
    "flows": ["year", "origin", "origin_part", "destination", "destination_part", "people"],
    "jobs": ["year", "place", "cluster", "jobs", "filled", "wage"],
    "ages": ["year", "age_band", "sex", "people"],
}
AGE_BANDS = [(a, a + 4) for a in range(0, 85, 5)] + [(85, 200)]


def make_collector() -> DataCollector:
    """A DataCollector with a model reporter per summary figure and the four tables."""
    return DataCollector(model_reporters={name: name for name in SUMMARY}, tables=TABLES)


def band_label(lo: int, hi: int) -> str:
    return f"{lo}+" if hi >= 200 else f"{lo}-{hi}"

"""Rows appended to the DataCollector's tables as columns: the same lists as one ``add_table_row`` per row."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from abm.recording import append_rows, make_collector

ROWS = [
    {"age_band": "0-4", "sex": "male", "people": np.float64(1.5)},
    {"age_band": "0-4", "sex": "female", "people": 2.25},
    {"age_band": "85+", "sex": "male", "people": np.nan},
]


def test_columns_append_the_rows_add_table_row_would():
    by_row, by_column = make_collector(), make_collector()
    for year in (2021, 2022):
        for row in ROWS:
            by_row.add_table_row("ages", {"year": year, **row})
        append_rows(by_column, "ages", year, {c: [r[c] for r in ROWS] for c in ("age_band", "sex", "people")})
    assert by_column.tables["ages"] == by_row.tables["ages"]  # the same values, in the same order
    pd.testing.assert_frame_equal(by_column.get_table_dataframe("ages"), by_row.get_table_dataframe("ages"))
    append_rows(
        by_column,
        "flows",
        2021,
        {c: [] for c in ("origin", "origin_part", "destination", "destination_part", "people")},
    )
    assert by_column.tables["flows"]["year"] == []


def test_columns_must_be_the_tables_own():
    dc = make_collector()
    with pytest.raises(ValueError, match="columns"):
        append_rows(dc, "ages", 2021, {"sex": ["male"], "age_band": ["0-4"], "people": [1.0]})  # order matters
    with pytest.raises(ValueError, match="columns"):
        append_rows(dc, "ages", 2021, {"age_band": ["0-4"], "sex": ["male"]})
    with pytest.raises(ValueError, match="unequal"):
        append_rows(dc, "ages", 2021, {"age_band": ["0-4"], "sex": ["male", "female"], "people": [1.0]})
    assert all(values == [] for values in dc.tables["ages"].values())

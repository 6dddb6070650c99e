"""A formatted Excel workbook of tables: bilingual headers, number formats, frozen header row, fitted widths.

Cells keep the tables' full precision (the workbook is for analysis: pivot, recompute, chart); only the display is
rounded by each cell's number format — counts of people and yuan to whole units with thousands separators, shares as
percentages, years and seeds as plain integers. Counts are agent weights summed, so a cell may hold 991781.9999999981
and show 991,782.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

WHOLE = "#,##0"  # persons, yuan, recipients: whole units with thousands separators
PERCENT = "0.0%"
PLAIN = "0"  # years, seeds, counts of runs: no separators
PLAIN_COLUMNS = {"year", "replicate", "seed", "pairs", "count", "point", "measure"}
PERCENT_COLUMNS = {"met_share": "0%"}
MAX_WIDTH = 60  # characters; longer text is cut off in view (the cell keeps it)


def number_format(column: str, unit: str = "") -> str:
    """The display format of a numeric cell in ``column`` whose row measures ``unit``."""
    if column in PLAIN_COLUMNS:
        return PLAIN
    if column in PERCENT_COLUMNS:
        return PERCENT_COLUMNS[column]
    return PERCENT if unit == "share" else WHOLE


def display_width(text: str) -> int:
    """Columns ``text`` takes in a spreadsheet cell (Chinese characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def write_workbook(path: Path, tables: Mapping[str, pd.DataFrame], labels: Mapping[str, str]) -> Path:
    """Write ``tables`` (sheet name -> table) to ``path``: a header row of ``labels`` (column key -> its name in
    Chinese and English; the key where none is given), frozen with a filter, each numeric cell formatted by its
    column and its row's ``unit`` (when the table has one), widths fitted to the content."""
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in tables.items():
            frame.rename(columns=lambda c: labels.get(c, c)).to_excel(writer, sheet_name=name[:31], index=False)
            _format(writer.sheets[name[:31]], frame, labels)
    return path


def _format(sheet, frame: pd.DataFrame, labels: Mapping[str, str]) -> None:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    units = frame["unit"].astype(str).tolist() if "unit" in frame else [""] * len(frame)
    for j, column in enumerate(frame.columns, start=1):
        numeric = pd.api.types.is_numeric_dtype(frame[column]) and not pd.api.types.is_bool_dtype(frame[column])
        widths = [display_width(labels.get(column, column))]
        for i, cell in enumerate(sheet.iter_rows(min_row=2, min_col=j, max_col=j, values_only=False), start=0):
            (cell,) = cell
            if numeric and isinstance(cell.value, int | float):
                cell.number_format = number_format(column, units[i])
                widths.append(len(_shown(cell.value, cell.number_format)))
            elif cell.value is not None:
                widths.append(display_width(str(cell.value)))
        sheet.column_dimensions[get_column_letter(j)].width = min(max(widths) + 2, MAX_WIDTH)
        header = sheet.cell(row=1, column=j)
        header.font = Font(bold=True)
        header.alignment = Alignment(vertical="top")
    sheet.freeze_panes = "A2"
    if len(frame.columns):
        sheet.auto_filter.ref = sheet.dimensions


def _shown(value: float, fmt: str) -> str:
    """``value`` roughly as ``fmt`` shows it (for the column's width)."""
    if fmt == PLAIN:
        return f"{value:.0f}"
    if fmt.endswith("%"):
        return f"{value:.1%}"
    return f"{value:,.0f}"

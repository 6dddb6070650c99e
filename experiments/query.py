"""Querying a sweep's results with DuckDB SQL.

Views: ``runs`` (one row per run: run_id, point, replicate, scenario, seed, each varied value, wall time,
status, error), ``outcomes`` (run_id, year, outcome, value), ``design`` (one row per design point) and one
view per table the runs wrote (``yearly``, ``summary``, ``flows``, ``jobs``, ``ages``, ``spending``), each
row with its ``run_id``.

>>> query("results/sweeps/uncertainty_lhs",
...       "SELECT beta_access, value FROM outcomes JOIN runs USING (run_id) "
...       "WHERE outcome = 'haimen_population' AND year = 2025")
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from environment.settings import InputError
from experiments.sweep_store import RUNS, meta


class QueryError(InputError):
    """SQL that DuckDB refuses, with its message."""


def views(folder: Path) -> dict[str, str]:
    """View name → the Parquet glob it reads, for every table present in ``folder``."""
    folder = Path(folder)
    out = {}
    for sub in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if any(sub.glob("*.parquet")):
            out[sub.name] = str(sub / "*.parquet")
    if (folder / "design.parquet").is_file():
        out["design"] = str(folder / "design.parquet")
    return out


def connect(folder: str | Path):
    """An in-memory DuckDB connection with a view per table of the sweep in ``folder``."""
    import duckdb

    folder = Path(folder)
    meta(folder)  # refuses a folder that is not a sweep's
    con = duckdb.connect()
    for name, glob in views(folder).items():
        source = f"read_parquet('{_quote(glob)}', union_by_name = true)"
        if name == RUNS:
            source = f"(SELECT * EXCLUDE (traceback) FROM {source})"
        con.execute(f'CREATE VIEW "{name}" AS SELECT * FROM {source}')
    if RUNS in views(folder):
        con.execute(
            f"CREATE VIEW tracebacks AS SELECT run_id, traceback FROM read_parquet('{_quote(views(folder)[RUNS])}')"
        )
    return con


def query(folder: str | Path, sql: str) -> pd.DataFrame:
    """Run DuckDB ``sql`` against the sweep in ``folder``; the result as a DataFrame."""
    import duckdb

    con = connect(folder)
    try:
        return con.execute(sql).df()
    except duckdb.Error as e:
        raise QueryError(f"query: {str(e).splitlines()[0]} (views: {', '.join(views(Path(folder)))})") from None
    finally:
        con.close()


def readable(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with its float columns as text for reading (``abm query``'s table; ``--csv`` keeps every digit).

    A column of whole numbers between 1900 and 2200 (years, e.g. an opening year with "never" as NaN) is shown as
    plain integers; other values of 1,000 or more with thousands separators and no decimals (people, yuan);
    smaller ones with four significant digits. Never in scientific notation; missing values as ``NA``.
    """
    out = table.copy()
    for name in table.columns:
        column = table[name]
        if not pd.api.types.is_float_dtype(column):
            continue
        finite = column[np.isfinite(column)]
        years = len(finite) > 0 and bool(((finite % 1 == 0) & (finite >= 1900) & (finite <= 2200)).all())
        out[name] = [_number(x, years) for x in column]
    return out


def _number(x: float, years: bool) -> str:
    if not np.isfinite(x):
        return "NA" if np.isnan(x) else f"{x}"
    if years:
        return f"{x:.0f}"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return np.format_float_positional(x, precision=4, unique=False, fractional=False, trim="-")


def _quote(text: str) -> str:
    return text.replace("'", "''")

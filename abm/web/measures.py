"""What each measure group adds and costs, precomputed for the page (``measures.csv``, ``scripts/measures.py``).

One row per measure group: residents added by the last year (the mean over paired random draws,
and the lowest and highest), the yuan its levers pay over those years, and the yuan per added
resident — or a verdict instead: ``no_measurable_effect`` (the draws' range includes nothing added)
or ``no_cost_counted`` (none of its levers is counted as paying). The file says how it was made
(scale, draws, years, source folder) in every row. Missing file: the page says so.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from abm.web.text import language, t

MEASURES_FILE = Path(__file__).with_name("measures.csv")
COLUMNS = (
    "measure",
    "added_mean",
    "added_low",
    "added_high",
    "yuan_mean",
    "yuan_per_added",
    "verdict",
    "scale",
    "replicates",
    "first_year",
    "last_year",
    "source",
)
VERDICTS = ("", "no_measurable_effect", "no_cost_counted")


@dataclass(frozen=True)
class MeasureRow:
    """One measure group's delivery and cost."""

    measure: int
    added: float  # residents added by last_year (mean over the draws)
    low: float
    high: float
    yuan: float  # paid over first_year..last_year (mean over the draws)
    yuan_per_added: float | None
    verdict: str
    scale: int
    replicates: int
    first_year: int
    last_year: int

    def verdict_text(self) -> str:
        """The cost per added resident, or why there is none, in the page's language."""
        if self.verdict == "no_measurable_effect":
            spent = f"{money(self.yuan)} · " if self.yuan > 0 else ""
            return spent + t("no_effect")
        if self.verdict == "no_cost_counted" or self.yuan_per_added is None:
            return t("no_cost")
        return t("per_resident", cost=f"{self.yuan_per_added / (1e4 if language() == 'zh' else 1e3):,.1f}")


def money(yuan: float) -> str:
    """Yuan as 万元/亿元 (Chinese) or million yuan (English)."""
    if language() == "zh":
        return f"{yuan / 1e8:,.2f}亿元" if yuan >= 1e8 else f"{yuan / 1e4:,.0f}万元"
    return f"{yuan / 1e6:,.0f}m yuan"


@cache
def measure_rows(path: Path = MEASURES_FILE) -> list[MeasureRow]:
    """The rows of ``measures.csv`` ([] if there is none)."""
    if not path.is_file():
        return []
    with path.open(encoding="utf-8") as f:
        return [
            MeasureRow(
                measure=int(r["measure"]),
                added=float(r["added_mean"]),
                low=float(r["added_low"]),
                high=float(r["added_high"]),
                yuan=float(r["yuan_mean"] or 0),
                yuan_per_added=float(r["yuan_per_added"]) if r["yuan_per_added"] else None,
                verdict=r["verdict"],
                scale=int(r["scale"]),
                replicates=int(r["replicates"]),
                first_year=int(r["first_year"]),
                last_year=int(r["last_year"]),
            )
            for r in csv.DictReader(f)
        ]


def top_measure() -> int | None:
    """The measure group that adds the most residents (None without the file)."""
    rows = measure_rows()
    return max(rows, key=lambda r: r.added).measure if rows else None

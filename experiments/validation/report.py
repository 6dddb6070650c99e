"""The validation report's Markdown: the header, the comparison tables and the sections, in order."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from experiments.validation.facts import NEIGHBOUR, VALIDATION


def fmt(x: float) -> str:
    """A figure as the report shows it (blank if not finite)."""
    if not np.isfinite(x):
        return ""
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}" if abs(x) < 10 else f"{x:.2f}"


def fmt_range(low: float, high: float) -> str:
    return "" if not (np.isfinite(low) and np.isfinite(high)) else f"{fmt(low)} to {fmt(high)}"


def covers(low, high, observed):
    """Whether ``observed`` lies within [low, high], allowing for rounding (works on arrays too)."""
    tolerance = 1e-9 * np.maximum(np.abs(observed), 1.0)
    return (low - tolerance <= observed) & (observed <= high + tolerance)


def unfitted(table: pd.DataFrame) -> pd.DataFrame:
    """The comparisons that test the model (validation and neighbour checks), not those fitted by construction."""
    return table[table.kind.isin([VALIDATION, NEIGHBOUR])]


def _inside(r) -> str:
    """Whether the observed value lies within the parameter band."""
    if not (np.isfinite(r.band_low) and np.isfinite(r.band_high)):
        return ""
    return "yes" if covers(r.band_low, r.band_high, r.observed) else "no"


def comparison_table(part: pd.DataFrame) -> list[str]:
    """Comparison rows as a Markdown table."""
    out = [
        "| fact | observed | model (sd) | parameter band | observed in band | error | rel. error | unit | kind "
        "| source | note |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in part.itertuples():
        rel = f"{100 * r.relative_error:+.1f} %" if np.isfinite(r.relative_error) else ""
        out.append(
            f"| {r.fact} | {fmt(r.observed)} | {fmt(r.model)} ({fmt(r.model_sd)}) | "
            f"{fmt_range(r.band_low, r.band_high)} | {_inside(r)} | {fmt(r.error)} | {rel} | "
            f"{r.unit} | {r.kind} | {r.source} | {r.note} |"
        )
    return out


def markdown(
    table: pd.DataFrame,
    header: dict,
    band: list[str] | None,
    sections: Sequence[list[str]],
    forecasts: list[str],
    plots: dict[str, str],
) -> str:
    """The self-contained report: ``band`` (the parameter band's section, if computed) before the worst-fitting
    facts, then ``sections`` (each its Markdown lines), every group's comparisons, ``forecasts`` and the ``plots``
    (title -> base64 PNG)."""
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
        *(band if band is not None else ["No parameter band was computed (seeds only).", ""]),
        "## Worst-fitting facts that were not fitted",
        "",
    ]
    free = unfitted(table).copy()
    free["abs_rel"] = free.relative_error.abs()
    lines += comparison_table(free.sort_values("abs_rel", ascending=False).head(5))
    for section in sections:
        lines += ["", *section]
    for group, part in table.groupby("group", sort=False):
        lines += ["", f"## {group}", "", *comparison_table(part)]
    lines += ["", *forecasts]
    lines += ["", "## Plots", ""]
    for title, data in plots.items():
        lines += [f"### {title}", "", f'<img alt="{title}" src="data:image/png;base64,{data}"/>', ""]
    return "\n".join(lines) + "\n"

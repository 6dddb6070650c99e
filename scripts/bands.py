"""Write the page's assumptions' range, ``abm/web/bands.csv``, from stored sweeps over the uncertain parameters.

Reads finished sweeps (``abm sweep``), one per scenario, usually the headline sweeps (README)
(recalibrated at every point). For each sweep's scenario, each outcome the page shows and each
year: the quantiles across the design points of the point's value (the mean of its replicates).
Sweeps with the same design, seed and replicates are paired point by point, as
``scripts/headline.py`` pairs them: for each other scenario, the quantiles of its difference from
the ``--reference`` one (rows with ``reference`` set).

    abm sweep headline_baseline --jobs 2 && abm sweep headline_plan --jobs 2
    .venv/bin/python scripts/bands.py results/sweeps/headline_baseline results/sweeps/headline_plan

Columns: scenario, reference, outcome, year, points, replicates, scale, q05, q50, q95, low, high
(low and high: the lowest and highest point). The web page (``abm serve``) reads it through
``abm/web/uncertainty.py``.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import pandas as pd

from abm.web.summary import TABLE_ROWS
from experiments.query import query
from experiments.sweep_store import meta

OUT = Path(__file__).resolve().parents[1] / "abm" / "web" / "bands.csv"
COLUMNS = ("scenario", "reference", "outcome", "year", "points", "replicates", "scale")
QUANTILES = {"q05": 0.05, "q50": 0.5, "q95": 0.95}
PAIRING = ("design", "samples", "levels", "seed", "design_seed", "replicates", "factors")


def fail(message: str) -> None:
    """A mistake in the input: one line, exit status 2, nothing written."""
    print(f"bands: {message}", file=sys.stderr)
    raise SystemExit(2)


def values(folder: Path) -> pd.DataFrame:
    """The page's outcomes of every finished run: point, replicate, outcome, year, value."""
    keys = ", ".join(f"'{k}'" for k in TABLE_ROWS)
    return query(
        folder,
        "SELECT point, replicate, outcome, year, value FROM outcomes JOIN runs USING (run_id) "
        f"WHERE status = 'done' AND outcome IN ({keys})",
    )


def quantiles(per_point: pd.DataFrame, scenario: str, reference: str, replicates: int, scale: int) -> pd.DataFrame:
    """Quantiles across points of ``value`` by outcome and year."""
    grouped = per_point.groupby(["outcome", "year"]).value
    table = pd.DataFrame(
        {
            "points": grouped.size(),
            **{name: grouped.quantile(q) for name, q in QUANTILES.items()},
            "low": grouped.min(),
            "high": grouped.max(),
        }
    ).reset_index()
    return table.assign(scenario=scenario, reference=reference, replicates=replicates, scale=scale)


def bands(folders: list[Path], reference: str) -> pd.DataFrame:
    """The bands of every sweep, and of each one's difference from the ``reference`` scenario's sweep."""
    sweeps = {}
    for folder in folders:
        ident = meta(folder)["identity"]
        if ident["base"] in sweeps:
            fail(f"two sweeps of the scenario {ident['base']!r} ({folder} and another): give one per scenario")
        found = values(folder).dropna(subset=["value"])  # (flows have no value in the census year)
        sweeps[ident["base"]] = (ident, found.groupby(["outcome", "year", "point"]).value.mean())
    parts = []
    for scenario, (ident, per_point) in sweeps.items():
        parts.append(quantiles(per_point.reset_index(), scenario, "", ident["replicates"], ident["scale"]))
    if reference in sweeps:
        ref_ident, ref_points = sweeps[reference]
        for scenario, (ident, per_point) in sweeps.items():
            if scenario == reference:
                continue
            if any(ident[k] != ref_ident[k] for k in PAIRING) or ident["scale"] != ref_ident["scale"]:
                print(f"bands: {scenario} and {reference} are not paired (design or seeds differ): no difference rows")
                continue
            diff = (per_point - ref_points).dropna().reset_index()
            parts.append(quantiles(diff, scenario, reference, ident["replicates"], ident["scale"]))
    table = pd.concat(parts, ignore_index=True)
    return table[[*COLUMNS, *QUANTILES, "low", "high"]].sort_values(["scenario", "reference", "outcome", "year"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sweeps", type=Path, nargs="+", help="finished sweep folders, one per scenario")
    parser.add_argument("--reference", default="baseline", help="differences are taken from this scenario's sweep")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    for folder in args.sweeps:
        if not (folder / "sweep.json").is_file():
            fail(f"{folder}: not a sweep results folder (no sweep.json); run `abm sweep` first")
    table = bands(args.sweeps, args.reference)
    table.to_csv(args.out, index=False, quoting=csv.QUOTE_MINIMAL, float_format="%.10g")
    print(f"wrote {args.out} ({len(table)} rows)")


if __name__ == "__main__":
    main()

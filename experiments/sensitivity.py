"""Sensitivity of the declared outcomes to each varied lever and parameter, from a finished sweep.

Reads the sweep's design and outcomes back (no run is repeated), averages each
design point over its replicates and computes, with SALib:

- Morris designs: μ* (mean absolute elementary effect, with its 95 % interval) and σ;
- Sobol designs: first-order S1 and total ST indices with 95 % intervals;
- Latin hypercube and grid designs: Spearman rank correlation (a screening measure only).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from abm.outcomes import OUTCOMES, describe, owner
from environment.inputs import CENSUS_YEAR
from experiments.sweep import Factor, SweepError
from experiments.sweep_store import meta


def default_outcomes(end: int) -> list[tuple[str, int]]:
    """The outcomes declared for sensitivity, each at its headline year (never after the sweep's last)."""
    return [(o.key, o.headline_year(end)) for o in OUTCOMES.values() if o.sensitivity]


def parse_outcome(text: str, end: int, where: str = "--outcome") -> tuple[str, int]:
    """``KEY`` or ``KEY@YEAR`` as (key, year); the year defaults to the outcome's headline year."""
    key, _, year = text.partition("@")
    try:
        declared = owner(key)
    except KeyError:
        raise SweepError(where, "outcome", key, f"one of {', '.join(OUTCOMES)}") from None
    if not year:
        return key, declared.headline_year(end)
    first = CENSUS_YEAR + 1  # the first simulated year
    if not year.isdigit() or not first <= int(year) <= end:
        raise SweepError(where, "year", year, f"a year from {first} to {end} (the sweep's last)")
    return key, int(year)


def point_means(folder: Path, key: str, year: int) -> pd.Series:
    """The outcome's mean over replicates at each design point (index: point)."""
    from experiments.query import query

    table = query(
        folder,
        f"SELECT r.point, avg(o.value) AS value, count(*) AS n FROM outcomes o JOIN runs r USING (run_id) "
        f"WHERE o.outcome = '{key}' AND o.year = {int(year)} AND r.status = 'done' GROUP BY r.point ORDER BY r.point",
    )
    return table.set_index("point")["value"]


def analyse(folder: str | Path, outcomes: list[str] | None = None) -> pd.DataFrame:
    """Indices of each outcome to each factor: one row per (outcome, year, factor)."""
    folder = Path(folder)
    identity = meta(folder)["identity"]
    factors = [Factor(**(f | {"values": tuple(f["values"])})) for f in identity["factors"]]
    end, kind = identity["end"], identity["design"]
    chosen = [parse_outcome(o, end) for o in outcomes] if outcomes else default_outcomes(end)
    design = pd.read_parquet(folder / "design.parquet").set_index("point")
    problem = {"num_vars": len(factors), "names": [f.key for f in factors], "bounds": [f.bounds() for f in factors]}
    rows = []
    for key, year in chosen:
        y = point_means(folder, key, year).reindex(design.index)
        missing = int(y.isna().sum())
        if missing:
            raise SweepError(
                str(folder), "runs", missing, "design points without a finished run: rerun the sweep first"
            )
        rows += _indices(kind, problem, design, factors, y.to_numpy(float), identity)
        for row in rows[-len(factors) :]:
            row.update(outcome=key, year=year, method=_method(kind))
    table = pd.DataFrame(rows)
    first = ["outcome", "year", "factor", "method"]
    table = table[first + [c for c in table.columns if c not in first]]
    return table.assign(note=np.where(no_effect(table), f"{NO_EFFECT} (1:{identity['scale']})", ""))


NO_EFFECT = "no effect at this scale — rerun at a finer scale"


def no_effect(table: pd.DataFrame) -> np.ndarray:
    """Rows whose factor changed the outcome not at all: every elementary effect zero (Morris μ* = 0), or no
    variance from it (Sobol ST = 0). At a coarse scale a lever reaching few agents can do that (see
    :mod:`experiments.eligibility`). Rank correlations cannot tell, so they are never flagged."""
    zero = np.zeros(len(table), dtype=bool)
    for method, column in (("morris", "mu_star"), ("sobol", "ST")):
        if column in table:
            zero |= (table.method == method).to_numpy() & (table[column] == 0).to_numpy()
    return zero


def _method(kind: str) -> str:
    return {"morris": "morris", "sobol": "sobol"}.get(kind, "spearman")


def _indices(kind: str, problem: dict, design: pd.DataFrame, factors: list[Factor], y: np.ndarray, identity: dict):
    names = problem["names"]
    if kind == "morris":
        from SALib.analyze import morris

        x = design[[f"raw_{n}" for n in names]].to_numpy(float)
        res = morris.analyze(problem, x, y, num_levels=identity["levels"], seed=identity["design_seed"])
        return [
            {
                "factor": n,
                "mu_star": res["mu_star"][i],
                "mu_star_conf": res["mu_star_conf"][i],
                "sigma": res["sigma"][i],
            }
            for i, n in enumerate(names)
        ]
    if kind == "sobol":
        from SALib.analyze import sobol

        res = sobol.analyze(problem, y, calc_second_order=False, seed=identity["design_seed"])
        return [
            {
                "factor": n,
                "S1": res["S1"][i],
                "S1_conf": res["S1_conf"][i],
                "ST": res["ST"][i],
                "ST_conf": res["ST_conf"][i],
            }
            for i, n in enumerate(names)
        ]
    ranks = design[[f"raw_{n}" for n in names]].rank()
    yr = pd.Series(y, index=design.index).rank()
    return [{"factor": n, "spearman": float(ranks[f"raw_{n}"].corr(yr))} for n in names]


IMPORTANCE = {"morris": "mu_star", "sobol": "ST", "spearman": "spearman"}  # the index factors are ranked by


def by_importance(block: pd.DataFrame) -> pd.DataFrame:
    """One outcome's rows, the most important factor first (μ*, ST or the absolute ρ, by the block's method)."""
    column = IMPORTANCE[block.method.iloc[0]]
    return block.sort_values(column, key=lambda v: -v.abs(), kind="stable")


def decimals(values: pd.DataFrame | pd.Series) -> int:
    """Decimals that show the largest absolute value with four significant digits (0 from 1,000 up; at most 6)."""
    largest = float(np.nanmax(np.abs(np.asarray(values, dtype=float)), initial=0.0))
    if not np.isfinite(largest) or largest == 0:
        return 3
    return int(np.clip(3 - np.floor(np.log10(largest)), 0, 6))


def format_table(table: pd.DataFrame) -> str:
    """The indices as aligned text, one block per outcome, factors by importance, one fixed-point notation a block."""
    lines = []
    for (key, year), block in table.groupby(["outcome", "year"], sort=False):
        zh, en, unit = describe(key)
        method = block.method.iloc[0]
        lines.append(f"{zh} {en} ({unit}), {year} — {method}, most important first")
        cols = [c for c in block.columns if c not in ("outcome", "year", "factor", "method", "note")]
        ordered = by_importance(block)
        digits = decimals(block[cols])
        cells = [[f"{v:,.{digits}f}" for v in row] for row in ordered[cols].to_numpy(float)]
        width = max(14, *(len(c) + 2 for row in cells for c in row))
        factors = ordered.factor
        notes = ordered.note if "note" in ordered else [""] * len(ordered)
        key_width = max(28, *(len(f) + 2 for f in factors))
        lines.append(f"  {'factor':<{key_width}}" + "".join(f"{c:>{width}}" for c in cols))
        for factor, row, note in zip(factors, cells, notes, strict=True):
            lines.append(
                f"  {factor:<{key_width}}" + "".join(f"{c:>{width}}" for c in row) + (f"  {note}" if note else "")
            )
        lines.append("")
    flagged = table[table.note != ""].factor.unique() if "note" in table else []
    if len(flagged):
        lines.append(f"{', '.join(flagged)}: {NO_EFFECT} (on some outcomes, exactly zero: see `note`)")
    return "\n".join(lines)


def plot(table: pd.DataFrame, path: Path) -> Path:
    """One panel per outcome, horizontal bars with the factors' names beside them (they cannot overlap), the most
    important on top: μ* with its 95 % interval and σ as a marker (Morris), S1 and ST with intervals (Sobol), or
    the rank correlation."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from abm.fonts import register_cjk_font

    register_cjk_font()
    groups = [(key, by_importance(block).iloc[::-1]) for key, block in table.groupby(["outcome", "year"], sort=False)]
    heights = [1.2 + 0.32 * len(block) for _, block in groups]
    fig, axes = plt.subplots(
        len(groups), 1, figsize=(8.5, sum(heights)), squeeze=False, gridspec_kw={"height_ratios": heights}
    )
    for ax, ((key, year), block) in zip(axes[:, 0], groups, strict=True):
        zh, en, unit = describe(key)
        method = block.method.iloc[0]
        pos = np.arange(len(block))
        if method == "morris":
            ax.barh(pos, block.mu_star, 0.6, xerr=block.mu_star_conf, label="μ* ± 95 %", color="C0")
            ax.plot(block.sigma, pos, "D", color="C1", label="σ")
            ax.set_xlabel(f"平均绝对基本效应 mean |elementary effect| ({unit})")
        elif method == "sobol":
            ax.barh(pos + 0.2, block.ST, 0.4, xerr=block.ST_conf, label="ST 总效应", color="C0")
            ax.barh(pos - 0.2, block.S1, 0.4, xerr=block.S1_conf, label="S1 一阶", color="C1")
            ax.set_xlabel("方差份额 share of variance")
        else:
            ax.barh(pos, block.spearman, 0.6, color="C0")
            ax.axvline(0, color="0.5", lw=0.8)
            ax.set_xlabel("Spearman ρ 秩相关 rank correlation")
        if method != "spearman":
            ax.legend(loc="lower right", fontsize=8)
        ax.set_yticks(pos, block.factor, fontsize=8)
        ax.set_ylim(-0.6, len(block) - 0.4)
        ax.set_title(f"{zh} {en}, {year} ({method})", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write(table: pd.DataFrame, out: Path) -> str:
    """Write ``sensitivity.csv``, ``sensitivity.txt`` and ``sensitivity.png`` into ``out``; return the text."""
    from experiments.sweep_store import write_atomic

    out = Path(out)
    text = format_table(table)
    write_atomic(out / "sensitivity.csv", lambda tmp: table.to_csv(tmp, index=False))
    write_atomic(out / "sensitivity.txt", lambda tmp: tmp.write_text(text + "\n", encoding="utf-8"))
    write_atomic(out / "sensitivity.png", lambda tmp: plot(table, tmp))
    return text

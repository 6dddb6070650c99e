"""What each measure group delivers, from paired runs on the same random draws.

For a scenario and each measure group ``m``, four kinds of run share every
seed: the scenario, the scenario without ``m`` (its levers back at baseline),
``m`` alone (only its levers as in the scenario) and no measure at all. A
measure's *marginal* delivery is scenario minus scenario-without-it; its
*standalone* delivery is alone minus none. Deliveries are yearly means over the
plan's years, counted in the figure its target counts (net arrivals from
outside Haimen, rural-to-urban moves, or births). What the measures deliver
together minus the sum of their marginal deliveries is the interaction.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from environment.scenario import Scenario
from environment.settings import levers
from environment.targets import PLAN_ADOPTED, measure_targets, targets
from experiments.runner import RunSpec, run_many


def measure_levers(m: int) -> set[str]:
    return {k for k, lv in levers().items() if lv.measure == m}


def paired_specs(scenario: Scenario, replicates: int, end: int) -> list[tuple[str, int, RunSpec]]:
    """(variant, seed, spec) for every run the attribution needs."""
    all_levers = set(levers())
    kept = {k: v for k, v in scenario.settings.items() if k not in all_levers}  # parameters stay as in the scenario
    variants = {"scenario": dict(scenario.settings), "none": kept}
    for m in measure_targets():
        mine = measure_levers(m)
        variants[f"without_{m}"] = {k: v for k, v in scenario.settings.items() if k not in mine}
        variants[f"only_{m}"] = kept | {k: v for k, v in scenario.settings.items() if k in mine}
    seeds = [scenario.seed + r for r in range(replicates)]
    return [
        (name, seed, RunSpec(settings, scale=scenario.scale, seed=seed, end=end, label=name))
        for name, settings in variants.items()
        for seed in seeds
    ]


def attribute(
    scenario: Scenario, replicates: int = 2, end: int | None = None, n_jobs: int = -1
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The delivery table (one row per measure, plus totals) and the per-run yearly means behind it."""
    end = end or targets()["population"].year
    specs = paired_specs(scenario, replicates, end)
    results = run_many([s for _, _, s in specs], n_jobs=n_jobs)
    columns = sorted({t.column for t in measure_targets().values()})
    rows = []
    for (variant, seed, _), tables in zip(specs, results, strict=True):
        summary = tables["summary"]
        years = summary[(summary.year >= PLAN_ADOPTED) & (summary.year <= end)]
        rows.append({"variant": variant, "seed": seed, **{c: years[c].mean() for c in columns}})
    runs = pd.DataFrame(rows)
    by = runs.set_index(["variant", "seed"])

    def effect(a: str, b: str, column: str) -> pd.Series:
        return by.loc[a, column] - by.loc[b, column]

    table = []
    for m, t in measure_targets().items():
        marginal = effect("scenario", f"without_{m}", t.column)
        alone = effect(f"only_{m}", "none", t.column)
        table.append(
            {
                "measure": m,
                "name_zh": t.name_zh,
                "name_en": t.name_en,
                "counts": t.counts,
                "target_per_year": t.people_per_year,
                "marginal": marginal.mean(),
                "marginal_sd": marginal.std(ddof=1),
                "alone": alone.mean(),
                "alone_sd": alone.std(ddof=1),
                "marginal_net_migration": effect("scenario", f"without_{m}", "net_migration").mean(),
            }
        )
    table = pd.DataFrame(table)
    together = effect("scenario", "none", "net_migration")
    interaction = together.mean() - table.marginal_net_migration.sum()
    totals = pd.DataFrame(
        [
            {
                "measure": 0,
                "name_en": "All measures together (net arrivals)",
                "name_zh": "全部措施合计(净迁入)",
                "counts": "net arrivals from outside Haimen",
                "target_per_year": sum(
                    t.people_per_year for t in measure_targets().values() if t.column == "net_migration"
                ),
                "marginal": together.mean(),
                "marginal_sd": together.std(ddof=1),
            },
            {
                "measure": -1,
                "name_en": "Interaction (together minus the sum of marginal net arrivals)",
                "name_zh": "交互作用",
                "counts": "net arrivals from outside Haimen",
                "marginal": interaction,
            },
        ]
    )
    return pd.concat([table, totals], ignore_index=True), runs


def format_table(table: pd.DataFrame, scenario: str, replicates: int, first: int, last: int) -> str:
    """The delivery table as aligned text."""
    lines = [
        f"What each measure delivers — {scenario}, people per year, mean of {first}–{last}, "
        f"{replicates} paired replicate(s) (± s.d.)",
        f"{'measure':<40} {'plan target':>11} {'marginal':>16} {'alone':>16}  counted as",
    ]
    lines.append("-" * len(lines[-1]))
    for r in table.itertuples():
        name = f"{r.measure} {r.name_en} ({r.name_zh})" if r.measure > 0 else r.name_en
        target = "" if pd.isna(r.target_per_year) else f"{r.target_per_year:,.0f}"
        marginal = _pm(r.marginal, r.marginal_sd)
        alone = _pm(getattr(r, "alone", np.nan), getattr(r, "alone_sd", np.nan))
        lines.append(f"{name[:40]:<40} {target:>11} {marginal:>16} {alone:>16}  {r.counts}")
    return "\n".join(lines)


def _pm(mean: float, sd: float) -> str:
    if pd.isna(mean):
        return ""
    return f"{mean:,.0f}" + ("" if pd.isna(sd) else f" ± {sd:,.0f}")


def plot(table: pd.DataFrame, path: Path, scenario: str) -> Path:
    """Bars of what each measure delivers (marginal and alone) beside its yearly target."""
    rows = table[table.measure > 0]
    x = np.arange(len(rows))
    fig, ax = plt.subplots(figsize=(10, 5))
    ax.bar(x - 0.27, rows.target_per_year, width=0.27, color="lightgrey", label="plan target per year")
    ax.bar(x, rows.marginal, width=0.27, yerr=rows.marginal_sd.fillna(0), label="marginal (scenario − without)")
    ax.bar(x + 0.27, rows.alone, width=0.27, yerr=rows.alone_sd.fillna(0), label="alone (only it − none)")
    labels = [f"{m}\n" + textwrap.fill(n, 13) for m, n in zip(rows.measure, rows.name_en, strict=True)]
    ax.set_xticks(x, labels, fontsize=7)
    ax.axhline(0, color="grey", lw=0.5)
    ax.set(title=f"What each measure delivers — {scenario}", ylabel="people per year")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path

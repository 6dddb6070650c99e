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
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from environment.scenario import Scenario
from environment.settings import levers
from environment.targets import PLAN_ADOPTED, measure_targets, targets
from experiments.runner import RunSpec, run_many
from experiments.uncertainty import DEFAULT_SWEEP, Members, members

NET_ARRIVALS = "net arrivals from outside Haimen"  # what most measures' targets count: ranks compare those


def measure_levers(m: int) -> set[str]:
    return {k for k, lv in levers().items() if lv.measure == m}


def paired_specs(
    scenario: Scenario,
    replicates: int,
    end: int,
    parameters: Mapping[str, Any] | None = None,
    recalibrate: tuple[int, tuple[int, ...]] | None = None,
) -> list[tuple[str, int, RunSpec]]:
    """(variant, seed, spec) for every run the attribution needs.

    ``parameters`` (uncertain parameters) override the scenario's in every variant; ``recalibrate`` refits the
    free constants under them first (the same fit for every variant, since levers play no part in it).
    """
    all_levers = set(levers())
    settings = dict(scenario.settings) | dict(parameters or {})
    kept = {k: v for k, v in settings.items() if k not in all_levers}  # parameters stay as in the scenario
    variants = {"scenario": settings, "none": kept}
    for m in measure_targets():
        mine = measure_levers(m)
        variants[f"without_{m}"] = {k: v for k, v in settings.items() if k not in mine}
        variants[f"only_{m}"] = kept | {k: v for k, v in settings.items() if k in mine}
    seeds = [scenario.seed + r for r in range(replicates)]
    return [
        (name, seed, RunSpec(values, scale=scenario.scale, seed=seed, end=end, label=name, recalibrate=recalibrate))
        for name, values in variants.items()
        for seed in seeds
    ]


def attribute(
    scenario: Scenario, replicates: int = 2, end: int | None = None, n_jobs: int | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The delivery table (one row per measure, plus totals) and the per-run yearly means behind it.

    The runs go to the backend in use (``experiments.backends.using``), with ``n_jobs`` workers when given.
    """
    end = end or targets()["population"].year
    specs = paired_specs(scenario, replicates, end)
    results = run_many([s for _, _, s in specs], n_jobs=n_jobs, tables=["summary"])
    return deliveries(specs, results, end)


def deliveries(
    specs: list[tuple[str, int, RunSpec]], results: Sequence[Mapping[str, pd.DataFrame]], end: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The delivery table and per-run yearly means from the runs of :func:`paired_specs`."""
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


def attribute_across(
    scenario: Scenario,
    points: int,
    sweep: str = DEFAULT_SWEEP,
    replicates: int = 1,
    end: int | None = None,
    refit_scale: int | None = None,
    n_jobs: int | None = None,
) -> tuple[Members, pd.DataFrame]:
    """The attribution at the central values and at ``points`` recalibrated uncertainty points.

    Returns the members (what varied, each member's values) and the delivery table of every member stacked
    (column ``member``), with each net-arrival measure's rank at its member (1: delivers most).
    """
    end = end or targets()["population"].year
    chosen = members(points, sweep, refit_scale)
    per_member = [paired_specs(scenario, replicates, end, values, chosen.refit) for values in chosen.settings()]
    results = run_many([s for specs in per_member for _, _, s in specs], n_jobs=n_jobs, tables=["summary"])
    tables, start = [], 0
    for member, specs in enumerate(per_member):
        table, _ = deliveries(specs, results[start : start + len(specs)], end)
        start += len(specs)
        ranked = table[table.measure.map(lambda m: m > 0 and measure_targets()[m].column == "net_migration")]
        table["rank"] = ranked.marginal.rank(ascending=False, method="min").astype("Int64")
        tables.append(table.assign(member=member))
    return chosen, pd.concat(tables, ignore_index=True)


def ranking(across: pd.DataFrame) -> pd.DataFrame:
    """Per measure: its marginal delivery's range over the members and its rank at each member."""
    rows = []
    for m, part in across[across.measure > 0].groupby("measure", sort=True):
        ranks = part.sort_values("member")["rank"]
        rows.append(
            {
                "measure": m,
                "name_en": part.name_en.iloc[0],
                "name_zh": part.name_zh.iloc[0],
                "counts": part.counts.iloc[0],
                "central": part.loc[part.member == 0, "marginal"].iloc[0],
                "lowest": part.marginal.min(),
                "median": part.marginal.median(),
                "highest": part.marginal.max(),
                "ranks": ",".join("" if pd.isna(r) else str(int(r)) for r in ranks),
                "best_rank": ranks.min(),
                "worst_rank": ranks.max(),
            }
        )
    return pd.DataFrame(rows)


def format_ranking(chosen: Members, table: pd.DataFrame, scenario: str, replicates: int, last: int) -> str:
    """The ranking across the uncertainty range as Markdown, with which ranks hold at every member."""
    n = len(chosen.values)
    lines = [
        f"# What each measure delivers across the uncertainties — {scenario}",
        "",
        f"People per year, mean of {PLAN_ADOPTED}–{last}, marginal (scenario − scenario without the measure), "
        f"{replicates} paired seed(s) per member, at {n} members.",
        f"Ranks (1 = most) among the measures counted as {NET_ARRIVALS}, member 0 first.",
        "",
        *chosen.description(),
        "",
        "| measure | counted as | central | lowest | median | highest | rank at each member |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in table.itertuples():
        lines.append(
            f"| {r.measure} {r.name_en} ({r.name_zh}) | {r.counts} | {r.central:,.0f} | {r.lowest:,.0f} | "
            f"{r.median:,.0f} | {r.highest:,.0f} | {r.ranks} |"
        )
    lines.append("")
    ranks = {r.measure: r.ranks.split(",") for r in table.itertuples()}
    for rank in (1, 2):
        holders = {m: [i for i, x in enumerate(r) if x == str(rank)] for m, r in ranks.items()}
        holders = {m: at for m, at in holders.items() if at}
        if len(holders) == 1:
            lines.append(f"- Rank {rank} holds at every member: measure {next(iter(holders))}.")
        else:
            who = "; ".join(
                f"measure {m} at {len(at)} of {n} (members {', '.join(map(str, at))})" for m, at in holders.items()
            )
            lines.append(f"- Rank {rank} does not hold everywhere: {who}.")
    for k in (2, 3):
        top = table[table.worst_rank <= k]
        lines.append(f"- Measures in the first {k} at every member: {', '.join(map(str, top.measure)) or 'none'}.")
    values = chosen.values.drop(columns="member")
    lines += [
        "",
        "Members:",
        "",
        "| member | " + " | ".join(values.columns) + " |",
        "|---" * (len(values.columns) + 1) + "|",
    ]
    for i, row in values.iterrows():
        lines.append(f"| {i} | " + " | ".join(f"{v:.4g}" if isinstance(v, float) else str(v) for v in row) + " |")
    return "\n".join(lines) + "\n"

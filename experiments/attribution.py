"""What each measure group delivers, from paired runs on the same random draws.

For a scenario and each measure group ``m``, four kinds of run share every
seed: the scenario, the scenario without ``m`` (its levers back at baseline),
``m`` alone (only its levers as in the scenario) and no measure at all. A
measure's *marginal* delivery is scenario minus scenario-without-it; its
*standalone* delivery is alone minus none. Deliveries are yearly means over the
plan's years, counted in the figure its target counts (net arrivals from
outside Haimen, rural-to-urban moves, or births). What the measures deliver
together minus the sum of their marginal deliveries is the interaction.

What a measure costs per resident it adds comes from the same pairs: its
marginal spending (scenario − scenario without it, Haimen's budget over the
plan's years) ÷ its marginal residents (the resident population gained over
those years, the same difference), with Fieller's interval
(:mod:`experiments.cost_effectiveness`); the measures are ranked by it (1:
fewest yuan per added resident), those with no measurable effect on residents
unranked. Seeds are the comparison's (:func:`replicate_seeds`), so ``abm compare
baseline plan`` on the same seeds and scale gives the same figures.
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
from environment.settings import default_value, levers
from environment.targets import PLAN_ADOPTED, measure_targets, targets
from experiments import cost_effectiveness as ce
from experiments.runner import RunSpec, run_many
from experiments.sweep import derive_seed
from experiments.uncertainty import DEFAULT_SWEEP, Members, members

NET_ARRIVALS = "net arrivals from outside Haimen"  # what most measures' targets count: ranks compare those


def measure_levers(m: int) -> set[str]:
    return {k for k, lv in levers().items() if lv.measure == m}


def without_measure(settings: Mapping[str, Any], m: int) -> dict[str, Any]:
    """``settings`` with measure group ``m``'s levers back at their baseline values."""
    mine = measure_levers(m)
    return {k: v for k, v in settings.items() if k not in mine}


def measures_changed(settings: Mapping[str, Any]) -> list[int]:
    """The measure groups whose levers ``settings`` set away from their baseline values."""
    lever = levers()
    return sorted({lever[k].measure for k, v in settings.items() if k in lever and v != default_value(k)})


def replicate_seeds(seed: int, replicates: int) -> list[int]:
    """The seeds of replicates 0…n−1 of a comparison, an attribution or a paired sweep (numpy ``SeedSequence``)."""
    return [derive_seed(seed, k) for k in range(replicates)]


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
        variants[f"without_{m}"] = without_measure(settings, m)
        variants[f"only_{m}"] = kept | {k: v for k, v in settings.items() if k in mine}
    seeds = replicate_seeds(scenario.seed, replicates)
    return [
        (name, seed, RunSpec(values, scale=scenario.scale, seed=seed, end=end, label=name, recalibrate=recalibrate))
        for name, values in variants.items()
        for seed in seeds
    ]


def attribute(
    scenario: Scenario, replicates: int = 2, end: int | None = None, n_jobs: int | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The delivery and cost table (one row per measure, plus totals) and the per-run figures behind it.

    The runs go to the backend in use (``experiments.backends.using``), with ``n_jobs`` workers when given.
    """
    end = end or targets()["population"].year
    specs = paired_specs(scenario, replicates, end)
    results = run_many([s for _, _, s in specs], n_jobs=n_jobs, tables=RUN_TABLES)
    return deliveries(specs, results, end)


RUN_TABLES = ("summary", "spending")  # what each attribution run sends back


def deliveries(
    specs: list[tuple[str, int, RunSpec]], results: Sequence[Mapping[str, pd.DataFrame]], end: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The delivery and cost table and the per-run figures from the runs of :func:`paired_specs`.

    Per run: the yearly means of the summary figures the targets count, and (:func:`cost_effectiveness.run_totals`)
    the residents gained and yuan spent over the plan's years to ``end``.
    """
    columns = sorted({t.column for t in measure_targets().values()})
    span = [(PLAN_ADOPTED, end)]
    rows, totals = [], []
    for (variant, seed, _), tables in zip(specs, results, strict=True):
        summary = tables["summary"]
        years = summary[(summary.year >= PLAN_ADOPTED) & (summary.year <= end)]
        rows.append({"variant": variant, "seed": seed, **{c: years[c].mean() for c in columns}})
        population = summary.set_index("year").haimen_population
        totals.append(ce.run_totals(population, tables.get("spending"), span).assign(variant=variant, replicate=seed))
    runs = pd.DataFrame(rows)
    spent = pd.concat(totals, ignore_index=True)
    runs = runs.merge(
        spent.rename(columns={"replicate": "seed"}).drop(columns=["first", "last"]), on=["variant", "seed"]
    )
    by = runs.set_index(["variant", "seed"])

    def effect(a: str, b: str, column: str) -> pd.Series:
        return by.loc[a, column] - by.loc[b, column]

    def cost(a: str, b: str) -> dict:
        (row,) = ce.cost_per_resident(spent, a, b).drop(columns=["first", "last"]).to_dict("records")
        return row

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
                **cost("scenario", f"without_{m}"),
            }
        )
    table = pd.DataFrame(table)
    table["cost_rank"] = cost_ranks(table)
    together = effect("scenario", "none", "net_migration")
    interaction = together.mean() - table.marginal_net_migration.sum()
    totals_rows = pd.DataFrame(
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
                **cost("scenario", "none"),
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
    return pd.concat([table, totals_rows], ignore_index=True), runs


def cost_ranks(table: pd.DataFrame) -> pd.Series:
    """Each measure's rank by yuan per added resident (1: fewest), among those adding residents measurably for
    their spending; the others (no measurable effect, fewer residents) have none."""
    ranked = table.yuan_per_added_resident.where(table.reading == ce.PER_RESIDENT)
    return ranked.rank(method="min").astype("Int64")


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
    return "\n".join([*lines, "", *format_costs(table, first, last)])


def format_costs(table: pd.DataFrame, first: int, last: int) -> list[str]:
    """The measures ranked by yuan per added resident, as aligned text (the whole scenario's figure last)."""
    rows = table[table.measure >= 0].copy()
    rows["order"] = rows.cost_rank.astype("Float64").fillna(99).where(rows.measure > 0, 100)
    lines = [
        f"Yuan per added resident — marginal spending (Haimen's budget, {first}–{last}) ÷ marginal residents "
        f"(gained over {first}–{last}); 95 % Fieller interval; rank 1 = fewest yuan",
        f"{'rank':>4}  {'measure':<34} {'yuan per added resident':>33} {'at low–high unit costs':>23} "
        f"{'marginal yuan':>15} {'marginal residents':>24}",
    ]
    lines.append("-" * len(lines[-1]))
    for r in rows.sort_values(["order", "measure"]).to_dict("records"):
        name = f"{r['measure']} {r['name_en']}" if r["measure"] > 0 else "all measures (scenario − none)"
        rank = "" if pd.isna(r["cost_rank"]) else str(int(r["cost_rank"]))
        span = (
            "" if pd.isna(r["at_low_unit_costs"]) else (f"{r['at_low_unit_costs']:,.0f}–{r['at_high_unit_costs']:,.0f}")
        )
        residents = f"{r['extra_residents']:+,.0f} ({r['residents_low']:+,.0f} to {r['residents_high']:+,.0f})"
        lines.append(
            f"{rank:>4}  {name[:34]:<34} {ce.shown(r):>33} {span:>23} {r['extra_yuan']:>15,.0f} {residents:>24}"
        )
    return lines


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
    results = run_many([s for specs in per_member for _, _, s in specs], n_jobs=n_jobs, tables=RUN_TABLES)
    tables, start = [], 0
    for member, specs in enumerate(per_member):
        table, _ = deliveries(specs, results[start : start + len(specs)], end)
        start += len(specs)
        ranked = table[table.measure.map(lambda m: m > 0 and measure_targets()[m].column == "net_migration")]
        table["rank"] = ranked.marginal.rank(ascending=False, method="min").astype("Int64")
        tables.append(table.assign(member=member))
    return chosen, pd.concat(tables, ignore_index=True)


def ranking(across: pd.DataFrame) -> pd.DataFrame:
    """Per measure: its marginal delivery's range over the members and its rank at each member; its yuan per added
    resident's range over the members where it is measurable, and its cost rank at each member."""
    rows = []
    for m, part in across[across.measure > 0].groupby("measure", sort=True):
        part = part.sort_values("member")
        ranks = part["rank"]
        costs = part.yuan_per_added_resident.where(part.reading == ce.PER_RESIDENT)
        cost_ranks = part.cost_rank
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
                "cost_central": costs.iloc[0],
                "cost_lowest": costs.min(),
                "cost_highest": costs.max(),
                "cost_measured_at": int(costs.notna().sum()),
                "cost_ranks": ",".join("–" if pd.isna(r) else str(int(r)) for r in cost_ranks),
                "best_cost_rank": cost_ranks.min(),
                "worst_cost_rank": cost_ranks.max(),
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
    lines += ["", *format_cost_ranking(table, n, last)]
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


def format_cost_ranking(table: pd.DataFrame, members: int, last: int) -> list[str]:
    """The measures' yuan per added resident across the members as Markdown: its range where measurable and the
    rank at each member ("–": no measurable effect on residents, or too few replicates to tell)."""

    def money(value: float) -> str:
        return "" if pd.isna(value) else f"{value:,.0f}"

    lines = [
        f"## Yuan per added resident across the uncertainties, {PLAN_ADOPTED}–{last}",
        "",
        "Marginal spending (Haimen's budget) ÷ marginal residents (scenario − scenario without the measure), at "
        "each member; ranked 1 = fewest yuan among the measures adding residents measurably (95 % Fieller interval "
        "bounded); member 0 first.",
        "",
        "| measure | central | lowest | highest | measurable at | cost rank at each member | best–worst rank |",
        "|---|---|---|---|---|---|---|",
    ]
    order = table.assign(key=table.worst_cost_rank.astype("Float64").fillna(99)).sort_values(["key", "measure"])
    for r in order.itertuples():
        span = "" if pd.isna(r.best_cost_rank) else f"{int(r.best_cost_rank)}–{int(r.worst_cost_rank)}"
        lines.append(
            f"| {r.measure} {r.name_en} ({r.name_zh}) | {money(r.cost_central)} | {money(r.cost_lowest)} | "
            f"{money(r.cost_highest)} | {r.cost_measured_at} of {members} | {r.cost_ranks} | {span} |"
        )
    return lines

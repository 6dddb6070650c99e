"""Writing a scenario discovery (``experiments.discover``): bilingual Markdown, PNG plots and CSV tables.

Files: ``discovery.md`` (the target, the chosen PRIM box in words and as a table with quasi-p-values,
the CART leaves), ``tradeoff.png`` (PRIM's peeling trajectory, coverage against density, the chosen box
ringed), ``box.png`` (EMA Workbench's picture of the box's limits with quasi-p-values), ``cart.png``
(the tree), and ``trajectory.csv``, ``box_limits.csv``, ``cart_leaves.csv``, ``cases.csv``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from experiments.discover import MIN_DENSITY, Discovery

MAX_TREE_DEPTH = 4  # levels of the CART tree drawn (the table lists every leaf)


def write(found: Discovery, folder: Path) -> str:
    """Write the discovery's files into ``folder``; return its Markdown text."""
    folder = Path(folder)
    cases = found.cases
    found.trajectory.to_csv(folder / "trajectory.csv", index=False)
    found.limits.to_csv(folder / "box_limits.csv", index=False)
    found.leaves.to_csv(folder / "cart_leaves.csv", index=False)
    cases.x.assign(value=cases.value, met=cases.met).to_csv(folder / "cases.csv", index=False)
    plot_tradeoff(found, folder / "tradeoff.png")
    plot_box(found, folder / "box.png")
    plot_tree(found, folder / "cart.png")
    text = markdown(found)
    (folder / "discovery.md").write_text(text, encoding="utf-8")
    return text


def _pct(x: float) -> str:
    return f"{x:.0%}"


def in_words(limits: pd.DataFrame) -> tuple[str, str]:
    """The chosen box's restrictions as one Chinese and one English phrase."""
    restricted = limits[limits.restricted]
    if restricted.empty:
        return "(不限制任何因素)", "(no factor restricted)"
    zh = "、".join(f"{r.name_zh}({r.factor}) {r.box}" for r in restricted.itertuples())
    en = " and ".join(f"{r.name_en} (`{r.factor}`) {r.box}" for r in restricted.itertuples())
    return zh, en


def markdown(found: Discovery) -> str:
    """The discovery as bilingual Markdown."""
    cases, target = found.cases, found.cases.target
    step = found.trajectory.loc[found.chosen]
    n, k = len(cases.met), int(cases.met.sum())
    zh_target, en_target = target.labels()
    zh_box, en_box = in_words(found.limits)
    against = ""
    if target.effect_of:
        against = f"; paired with `{target.against}` (the effect: this sweep's run minus its pair)"
    dropped = f"; {cases.dropped} design points without a finished run are left out" if cases.dropped else ""
    if step.density >= found.min_density - 1e-12:
        why = f"the widest box (most coverage) whose density reaches {_pct(found.min_density)}"
        if found.min_density > MIN_DENSITY:
            why += f" (halfway from the {_pct(k / n)} of all cases that meet the target to 100 %)"
    else:
        why = f"the densest box (none reaches density {_pct(found.min_density)})"
    lines = [
        "# 情景发现 · Scenario discovery",
        "",
        f"- 目标 Target: **{zh_target}** · **{en_target}** (`{target.text}`)",
        f"- 数据 Data: sweep `{cases.folder}`, {n} design points × {cases.replicates} replicates; each point's outcome "
        f"is the mean over its replicates{against}{dropped}",
        f"- 满足目标的情形 Cases meeting the target: {k} of {n} ({_pct(k / n)})",
        "",
        f"## PRIM 盒子 · The PRIM box (step {found.chosen} of {len(found.trajectory) - 1})",
        "",
        f"Chosen: {why}. 覆盖率 coverage **{_pct(step.coverage)}** (of all cases meeting the target, the share inside "
        f"the box), 密度 density **{_pct(step.density)}** (of the cases inside the box, the share meeting the "
        f"target), 质量 mass {_pct(step.mass)} (the share of all cases inside the box), "
        f"{int(step.res_dim)} factors restricted.",
        "",
        f"- 当 {zh_box} 时, {_pct(step.density)} 的情形达成目标(覆盖全部达成情形的 {_pct(step.coverage)})。",
        f"- Where {en_box}, the target is met in {_pct(step.density)} of the cases "
        f"(covering {_pct(step.coverage)} of all cases that meet it).",
        "",
        "| factor | kind | 名称 | name | range in the sweep | box | quasi-p (low) | quasi-p (high) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    ordered = pd.concat([found.limits[found.limits.restricted], found.limits[~found.limits.restricted]])
    for r in ordered.itertuples():
        qp = [("" if np.isnan(q) else f"{q:.2g}") for q in (r.qp_low, r.qp_high)]
        box = f"**{r.box}**" if r.restricted else r.box
        lines.append(
            f"| `{r.factor}` | {r.kind} | {r.name_zh} | {r.name_en} | {r.sweep_range} | {box} | {qp[0]} | {qp[1]} |"
        )
    lines += [
        "",
        "Quasi-p-values are EMA Workbench's (Bryant and Lempert 2010): a one-sided binomial test of whether the "
        "restriction on that factor could raise the density by chance; above 0.05 the restriction is weak "
        "(准p值大于0.05表示该限制不显著). The whole coverage–density trade-off is in `trajectory.csv` and "
        "`tradeoff.png`; `abm discover … --box N` reports another step.",
        "",
        "![PRIM peeling trajectory](tradeoff.png)",
        "",
        "![PRIM box](box.png)",
        "",
        "## CART 决策树 · CART tree (for comparison)",
        "",
        "Leaves by density; a rule lists the splits from the root (= / ≠ for a category).",
        "",
        "| rule | cases | meeting the target | coverage | density | mass |",
        "|---|---|---|---|---|---|",
    ]
    for r in found.leaves.itertuples():
        lines.append(
            f"| {r.rule} | {r.cases} | {r.of_interest} | {_pct(r.coverage)} | {_pct(r.density)} | {_pct(r.mass)} |"
        )
    lines += ["", "![CART tree](cart.png)", ""]
    return "\n".join(lines)


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from abm.fonts import register_cjk_font

    register_cjk_font()
    return plt


def plot_tradeoff(found: Discovery, path: Path) -> None:
    """EMA Workbench's coverage–density trade-off of the peeling trajectory, the chosen box ringed."""
    plt = _pyplot()
    fig = found.box.show_tradeoff(annotated=False)
    ax = fig.axes[0]
    step = found.trajectory.loc[found.chosen]
    ax.scatter([step.coverage], [step.density], s=160, facecolors="none", edgecolors="crimson", linewidths=2)
    ax.annotate(f"box {found.chosen}", (step.coverage, step.density), textcoords="offset points", xytext=(8, -12))
    ax.set_xlabel("覆盖率 coverage")
    ax.set_ylabel("密度 density")
    zh, en = found.cases.target.labels()
    ax.set_title(f"PRIM: {zh}\n{en}", fontsize=9)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def plot_box(found: Discovery, path: Path) -> None:
    """EMA Workbench's picture of the chosen box: each restricted factor's limits within its range, quasi-p."""
    plt = _pyplot()
    if not found.limits.restricted.any():
        fig, ax = plt.subplots(figsize=(5, 1.5))
        ax.text(0.5, 0.5, "no factor restricted 未限制任何因素", ha="center", va="center")
        ax.axis("off")
    else:
        (fig,) = found.box.inspect(found.chosen, style="graph")
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def plot_tree(found: Discovery, path: Path) -> None:
    """The CART tree (scikit-learn's drawing), to depth :data:`MAX_TREE_DEPTH`."""
    from sklearn.tree import plot_tree as draw

    plt = _pyplot()
    clf = found.cart.clf
    depth = min(clf.get_depth(), MAX_TREE_DEPTH)
    fig, ax = plt.subplots(figsize=(min(4 + 3 * 2**depth / 2, 24), 2 + 1.6 * depth))
    names = [n.replace("!?!", " = ") for n in found.cart.feature_names]
    draw(
        clf,
        feature_names=names,
        class_names=["未达 not met", "达到 met"],
        filled=True,
        impurity=False,
        proportion=True,
        max_depth=MAX_TREE_DEPTH,
        ax=ax,
        fontsize=7,
    )
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)

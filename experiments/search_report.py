"""The answer of a search (``experiments.optimize``) and its files: bilingual Markdown, CSV, a plot and a
scenario file for every Pareto point.

The answer is honest about reach: with requirements (``require``), it names the cheapest mix (best in
the first objective) that meets them, at the fine fidelity where the Pareto set was re-evaluated; when
none does, it says so plainly and gives the best value reached and what it cost. Either way each lever
of that mix is set against its plan value (a multiple of it, or years earlier or later).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import tomli_w

from environment import scenario as sc
from environment.settings import NEVER, levers, parameters
from experiments import sweep_store
from experiments.criteria import Measure
from experiments.optimize import SearchOutcome, cheapest, closest, meets
from experiments.output_folders import write_file_atomic, write_text_atomic

SCENARIOS = "scenarios"


@dataclass(frozen=True)
class Answer:
    """The mix the answer is about, whether it meets the requirements, and at which fidelity that was judged."""

    candidate: int | None  # None: no requirement given
    reachable: bool
    fidelity: str  # "fine" or "coarse"
    met_coarse: int  # candidates of the whole search meeting the requirements at the coarse fidelity


def measured(outcome: SearchOutcome) -> tuple[pd.DataFrame, str]:
    """The measures the answer is judged on: the re-evaluated mixes' at the fine fidelity, else every mix's at
    the coarse one."""
    if outcome.fine is not None and len(outcome.fine):
        return outcome.fine, "fine"
    return outcome.result.archive, "coarse"


def answer(outcome: SearchOutcome) -> Answer:
    """The cheapest mix meeting the requirements (judged at the fine fidelity where re-evaluated), or, when none
    does, the mix of the whole search coming closest to them (:func:`experiments.optimize.closest`)."""
    problem, archive = outcome.problem, outcome.result.archive
    if not problem.require or archive.empty:
        return Answer(None, False, "coarse", 0)
    table, fidelity = measured(outcome)
    met_coarse = int(meets(problem, archive).sum())
    found = cheapest(problem, table)
    if found is not None:
        return Answer(found, True, fidelity, met_coarse)
    return Answer(closest(problem, archive), False, fidelity, met_coarse)


# ------------------------------------------------------------------ formatting


def value_text(measure: Measure, value: float) -> str:
    """A measure's value as people read it: a share in %, yuan in 亿, persons with thousands separators."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "–"
    if measure.kind == "share":
        return f"{value:.0%}"
    _, _, unit = measure.term.labels()
    if unit.startswith("yuan"):
        return f"{value / 1e8:,.2f}亿 yuan"
    if unit == "share":
        return f"{value:.1%}"
    return f"{value:,.0f}"


def measure_text(outcome: SearchOutcome, measure: Measure, i: int, bold: bool = True) -> str:
    """A candidate's measure at the coarse fidelity, and ``→`` at the fine one where it was re-evaluated."""
    text = value_text(measure, outcome.result.archive.loc[i, measure.text])
    if outcome.fine is not None and i in outcome.fine.index:
        fine = value_text(measure, outcome.fine.loc[i, measure.text])
        text += f" → **{fine}**" if bold else f" → {fine}"
    return text


def setting_text(value: Any) -> str:
    if value is None:
        return NEVER
    if isinstance(value, bool):
        return "on 开" if value else "off 关"
    if isinstance(value, float):
        return f"{value:.3g}"
    return f"{value:,}" if isinstance(value, int) and abs(value) >= 10000 else str(value)


def against_plan(key: str, value: Any) -> tuple[str, bool]:
    """How a lever's setting compares with the plan's (a multiple, or years earlier/later) and whether it goes
    beyond the plan's stated amount."""
    lever = levers()[key]
    plan = lever.plan
    if lever.kind == "bool":
        return ("as planned 同规划" if value == plan else f"plan 规划: {setting_text(plan)}"), bool(value and not plan)
    if lever.kind == "year":
        if value is None:
            return f"never opens (plan: {setting_text(plan)}) 不开通", False
        if plan is None:
            return f"opens in {value} (plan: never)", True
        if value == plan:
            return "as planned 同规划", False
        word = "earlier 提前" if value < plan else "later 推迟"
        return f"{abs(plan - value)} years {word} (plan {plan})", value < plan
    if not plan:
        return f"plan 规划: {setting_text(plan)}", bool(value and value > 0)
    ratio = value / plan
    return f"{ratio:.2f}× plan 规划的{ratio:.2f}倍", ratio > 1 + 1e-9


def _range(factor) -> str:
    """A searched lever's range or choices."""
    if factor.kind in ("float", "int"):
        return f"{factor.low:g}–{factor.high:g}"
    return "/".join(str(_plain(v)).lower() if isinstance(v, bool) else str(_plain(v)) for v in factor.values)


def lever_table(outcome: SearchOutcome, candidate: dict[str, Any]) -> pd.DataFrame:
    """Each searched lever of a mix: its setting, the plan's, the baseline's, how it compares, beyond the plan?"""
    rows = []
    for f in outcome.spec.factors:
        lever = levers()[f.key]
        relation, beyond = against_plan(f.key, candidate[f.key])
        rows.append(
            {
                "lever": f.key,
                "name_zh": lever.name_zh,
                "name_en": lever.name_en,
                "unit": lever.unit,
                "value": candidate[f.key],
                "plan": lever.plan,
                "baseline": lever.baseline,
                "searched": _range(f),
                "versus_plan": relation,
                "beyond_plan": beyond,
            }
        )
    return pd.DataFrame(rows)


def pareto_table(outcome: SearchOutcome, files: dict[int, str]) -> pd.DataFrame:
    """One row per Pareto point: its levers, its measures at the coarse (and fine) fidelity, the scenario file."""
    archive, spec = outcome.result.archive, outcome.spec
    rows = archive.loc[outcome.result.pareto].copy()
    for f in spec.factors:  # as the scenario files write them ("never", not NaN)
        rows[f.key] = [_plain(outcome.result.candidates[i][f.key]) for i in rows.index]
    names = [m.text for m in outcome.problem.measures]
    rows = rows.rename(columns={n: f"coarse: {n}" for n in names})
    if outcome.fine is not None:
        fine = outcome.fine.rename(columns={n: f"fine: {n}" for n in names})
        rows = rows.join(fine, how="left")
    if spec.require:
        rows["meets (coarse)"] = meets(outcome.problem, archive.loc[outcome.result.pareto])
        if outcome.fine is not None:
            fine_rows = outcome.fine.reindex(rows.index)
            rows["meets (fine)"] = np.where(fine_rows.isna().all(axis=1), None, meets(outcome.problem, fine_rows))
    rows["scenario"] = [files.get(i, "") for i in rows.index]
    return rows


# ------------------------------------------------------------------ files


def write(outcome: SearchOutcome, folder: Path) -> str:
    """Write the report's files into ``folder`` (the search's folder); return the Markdown text."""
    folder = Path(folder)
    found = answer(outcome)
    files = write_scenarios(outcome, found, folder / SCENARIOS)
    table = pareto_table(outcome, files)
    _csv(table, folder / "pareto.csv")
    archive = outcome.result.archive.copy()
    for f in outcome.spec.factors:
        archive[f.key] = [_plain(c[f.key]) for c in outcome.result.candidates]
    _csv(archive, folder / "candidates.csv")
    points = pd.DataFrame(outcome.points.settings)
    points.insert(0, "point", range(len(points)))
    _csv(points, folder / "points.csv")
    plot(outcome, found, folder / "pareto.png")
    text = markdown(outcome, found, table, stored_runs(folder))
    write_text_atomic(folder / "report.md", text)
    return text


def _csv(table: pd.DataFrame, path: Path) -> None:
    write_text_atomic(path, table.to_csv(index=False))


def _plain(value: Any) -> Any:
    return NEVER if value is None else value


def scenario_record(outcome: SearchOutcome, candidate: dict[str, Any], name: str, title: tuple[str, str], note: str):
    """A scenario file's contents: the base scenario plus the searched levers (``never`` written as such)."""
    spec = outcome.spec
    fidelity = outcome.fine_fidelity or outcome.coarse_fidelity
    chosen = {k: _plain(v) for k, v in candidate.items()}
    record: dict[str, Any] = {"name": name, "title_zh": title[0], "title_en": title[1], "description": note}
    if Path(spec.base.source).resolve().parent == sc.SCENARIO_DIR.resolve():
        record |= {"base": spec.base.name, "levers": chosen}
    else:  # a base of the user's own: its settings written out, so the file stands on its own
        settings = {k: _plain(v) for k, v in spec.base.settings.items()}
        record |= {
            "base": "baseline",
            "levers": {k: v for k, v in settings.items() if k in levers()} | chosen,
            "parameters": {k: v for k, v in settings.items() if k in parameters()},
        }
    record["run"] = {"scale": fidelity.scale, "years": f"2020:{fidelity.end}"}
    return record


def write_scenarios(outcome: SearchOutcome, found: Answer, folder: Path) -> dict[int, str]:
    """A scenario file for every Pareto point (``NAME_pNN.toml``, in order of the first objective) and for the
    answer's mix (``NAME_answer.toml``); earlier files of this search are replaced."""
    spec = outcome.spec
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob(f"{spec.name}_*.toml"):
        old.unlink()
    files = {}
    measured_table, _ = measured(outcome)
    for rank, i in enumerate(outcome.result.pareto, start=1):
        name = f"{spec.name}_p{rank:02d}"
        note = _note(outcome, i, measured_table)
        title = (f"搜索{spec.name}:帕累托方案{rank}", f"Search {spec.name}: Pareto mix {rank}")
        _write_toml(folder / f"{name}.toml", scenario_record(outcome, outcome.result.candidates[i], name, title, note))
        files[i] = f"{SCENARIOS}/{name}.toml"
    if found.candidate is not None:
        name = f"{spec.name}_answer"
        word = ("最便宜的稳健方案", "the cheapest robust mix")
        if not found.reachable:
            word = ("最接近目标的方案", "the closest mix")
        title = (f"搜索{spec.name}:{word[0]}", f"Search {spec.name}: {word[1]}")
        note = _note(outcome, found.candidate, measured_table)
        record = scenario_record(outcome, outcome.result.candidates[found.candidate], name, title, note)
        _write_toml(folder / f"{name}.toml", record)
    return files


def _note(outcome: SearchOutcome, i: int, table: pd.DataFrame) -> str:
    row = table.loc[i] if i in table.index else outcome.result.archive.loc[i]
    parts = [f"{m.text} = {value_text(m, row[m.text])}" for m in outcome.problem.measures]
    return f"Found by `abm optimize {Path(outcome.spec.source).name}`, candidate {i}: " + "; ".join(parts)


def _write_toml(path: Path, record: dict) -> None:
    write_text_atomic(path, tomli_w.dumps(record))


# ------------------------------------------------------------------ text


def markdown(outcome: SearchOutcome, found: Answer, table: pd.DataFrame, stored: list[str] = ()) -> str:
    """The report: the answer, the Pareto set at both fidelities, the levers of each mix, how it was computed."""
    spec, problem = outcome.spec, outcome.problem
    coarse, fine = outcome.coarse_fidelity, outcome.fine_fidelity
    lines = [f"# 达到目标需要什么 · What it would take: `{spec.name}`", ""]
    if spec.description:
        lines += [spec.description, ""]
    lines += ["## 答案 · The answer", ""]
    lines += _answer_lines(outcome, found)
    lines += ["", "## 帕累托集 · The Pareto set", ""]
    fidelities = f"coarse 粗: 1:{coarse.scale}, {len(coarse.seeds)} seed(s)"
    if fine is not None:
        fidelities += f"; fine 细: 1:{fine.scale}, {len(fine.seeds)} seeds (re-evaluated)"
    lines += [
        f"{len(outcome.result.pareto)} mixes no other mix beats on every objective ({fidelities}; "
        f"{len(outcome.points.settings)} uncertainty points, each value the mean over the seeds at a point). "
        f"Scenario files in `{SCENARIOS}/` (`abm compare plan {SCENARIOS}/{spec.name}_p01.toml`).",
        "",
    ]
    shown = problem.measures
    header = "| # | " + " | ".join(m.text for m in shown) + " | scenario |"
    lines += [header, "|---" * (len(shown) + 2) + "|"]
    for rank, (i, row) in enumerate(table.iterrows(), start=1):
        cells = [measure_text(outcome, m, i) for m in shown]
        lines.append(f"| {rank} | " + " | ".join(cells) + f" | `{row['scenario']}` |")
    if fine is not None:
        lines += ["", "coarse → **fine**: the same mix at the search's scale and at the fine scale."]
    lines += ["", "Levers of each Pareto mix 各方案的政策杠杆:", ""]
    lines += ["| lever | plan | " + " | ".join(str(r) for r in range(1, len(table) + 1)) + " |"]
    lines += ["|---" * (len(table) + 2) + "|"]
    for f in spec.factors:
        values = [setting_text(outcome.result.candidates[i][f.key]) for i in table.index]
        lines.append(f"| `{f.key}` | {setting_text(levers()[f.key].plan)} | " + " | ".join(values) + " |")
    lines += ["", "![Pareto set](pareto.png)", "", "## 怎样算的 · How it was computed", ""]
    lines += _method_lines(outcome) + list(stored)
    return "\n".join(lines) + "\n"


def summary(outcome: SearchOutcome, found: Answer) -> str:
    """A few lines for the terminal: the answer, the size of the Pareto set and the time taken."""
    first = _answer_lines(outcome, found)[0].replace("**", "")
    seconds = ", ".join(f"{k} {v:,.0f} s" for k, v in outcome.seconds.items())
    return f"{first}\n{len(outcome.result.pareto)} Pareto mixes, {len(outcome.result.archive)} evaluated ({seconds})"


def _answer_lines(outcome: SearchOutcome, found: Answer) -> list[str]:
    spec = outcome.spec
    if found.candidate is None:
        return ["No requirement given (`require`): the Pareto set below is the answer. 未设定要求:见下方帕累托集。"]
    i = found.candidate
    coarse, fine = outcome.coarse_fidelity, outcome.fine_fidelity
    where = f"{len(outcome.points.settings)} uncertainty points; 1:{coarse.scale}, {len(coarse.seeds)} seed(s)"
    if fine is not None and outcome.fine is not None and i in outcome.fine.index:
        where += f" → **1:{fine.scale}, {len(fine.seeds)} seeds**"
    figures = "; ".join(f"`{m.text}` = {measure_text(outcome, m, i)}" for m in outcome.problem.measures)
    required = " and ".join(f"`{r.text}`" for r in spec.require)
    levers_now = lever_table(outcome, outcome.result.candidates[i])
    beyond = levers_now[levers_now.beyond_plan]
    if found.reachable:
        lines = [
            f"**Reachable 可以达到.** The cheapest mix found that meets {required} ({where}): {figures}.",
            "",
            f"找到的满足要求的最便宜方案见下表。Scenario file `{SCENARIOS}/{spec.name}_answer.toml`.",
        ]
    else:
        coarse_note = (
            f" (at the search's scale {found.met_coarse} mixes seemed to; re-evaluated at the fine scale, none does)"
            if found.met_coarse
            else ""
        )
        lines = [
            f"**Out of reach 无法达到.** No mix found within the searched ranges meets {required}{coarse_note}. "
            f"The best reached ({where}): {figures}.",
            "",
            "在搜索范围内没有找到满足要求的方案;最接近的方案见下表。"
            f"Scenario file `{SCENARIOS}/{spec.name}_answer.toml`.",
        ]
    lines += ["", "| lever | 名称 | setting | plan | versus the plan 与规划相比 |", "|---|---|---|---|---|"]
    for r in levers_now.itertuples():
        mark = " **(beyond the plan 超出规划)**" if r.beyond_plan else ""
        lines.append(
            f"| `{r.lever}` | {r.name_zh} | {setting_text(r.value)} {r.unit} | {setting_text(r.plan)} | "
            f"{r.versus_plan}{mark} |"
        )
    if len(beyond):
        lines += [
            "",
            f"{len(beyond)} of {len(levers_now)} levers go beyond the plan's stated amounts "
            f"(有{len(beyond)}项超出规划值): " + ", ".join(f"`{r.lever}` {r.versus_plan}" for r in beyond.itertuples()),
        ]
    return lines


def stored_runs(folder: Path) -> list[str]:
    """A line per store of runs in a search's folder: runs, their worker time, when the first and last finished
    (over every invocation: a resumed search's own time covers only what it ran itself)."""
    lines = []
    for store in sorted(p for p in Path(folder).iterdir() if (p / sweep_store.RUNS).is_dir()):
        runs = sweep_store.manifest(store)
        done = runs[runs.status == "done"]
        times = pd.to_datetime(done.finished_at)
        lines.append(
            f"- Stored in `{store.name}/`: {len(done):,} runs, {done.wall_seconds.sum() / 3600:.1f} h of worker time, "
            f"finished from {times.min():%Y-%m-%d %H:%M} to {times.max():%H:%M} UTC"
        )
    return lines


def _method_lines(outcome: SearchOutcome) -> list[str]:
    spec, seconds, runs = outcome.spec, outcome.seconds, outcome.runs
    refit = (
        f"each point's free constants refitted to the 2010–2020 history first (1:{outcome.refit[0]}, seeds "
        f"{','.join(map(str, outcome.refit[1]))}; cached)"
        if outcome.refit
        else "the free constants at their calibrated values (not refitted)"
    )
    names = []
    for term in dict.fromkeys(m.term for m in outcome.problem.measures):
        zh, en, unit = term.labels()
        names.append(f"`{term.text}`: {en} · {zh} ({unit})")
    timing = ", ".join(f"{k} {v:,.0f} s" for k, v in seconds.items())
    counts = ", ".join(f"{k} {v:,}" for k, v in runs.items())
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    lines = [
        f"- Levers searched 搜索的杠杆 ({len(spec.factors)}): "
        + ", ".join(f"`{f.key}` {_range(f)}" for f in spec.factors)
        + f"; every other setting as in the base scenario `{spec.base.name}`.",
        f"- Robust over 稳健性: {len(outcome.points.settings)} Latin-hypercube points over the factors of the sweep "
        f"file `{spec.uncertainty_sweep}`, {refit}; the same seeds at every point for every mix (paired).",
        "- Objectives 目标: "
        + ", ".join(f"`{o.text}`" for o in spec.objectives)
        + ("; constraints 约束: " + ", ".join(f"`{c.text}`" for c in spec.constraints) if spec.constraints else "")
        + ("; required 要求: " + ", ".join(f"`{r.text}`" for r in spec.require) if spec.require else ""),
        "- Outcomes read 结果指标 (as declared in `environment/data/outcomes.toml`; a cost counts what that "
        "declaration counts): " + "; ".join(names),
        f"- Search 搜索: NSGA-II (pymoo), {spec.population} candidates × {spec.generations} generations, seed "
        f"{spec.search_seed}; {len(outcome.result.archive)} distinct mixes evaluated. A heuristic search: a target "
        "it does not reach is out of reach of what it tried, not proven impossible.",
        f"- This invocation 本次运行: {counts}; backend {outcome.backend.kind}, {outcome.backend.jobs} worker(s); "
        f"{timing}. "
        f"Load average when the report was written: {load}.",
    ]
    return lines


MAX_PANELS = 3  # panels of the Pareto plot: the first objective against up to this many other measures


def plot(outcome: SearchOutcome, found: Answer, path: Path) -> None:
    """The first objective against each other objective and requirement (a panel each): every mix evaluated,
    the Pareto set at the coarse fidelity and, linked to it, at the fine one; the answer starred."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from abm.fonts import register_cjk_font

    register_cjk_font()
    spec = outcome.spec
    x = spec.objectives[0].measure
    others = [o.measure for o in spec.objectives[1:]] + [r.measure for r in spec.require]
    panels = list(dict.fromkeys(others))[:MAX_PANELS] or [x]
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 4.6), squeeze=False)
    for ax, y in zip(axes[0], panels, strict=True):
        _panel(ax, outcome, found, x, y)
    axes[0][0].legend(fontsize=7, loc="best")
    fig.suptitle(f"abm optimize {spec.name}", fontsize=9)
    fig.tight_layout()
    write_file_atomic(path, lambda tmp: fig.savefig(tmp, dpi=110))
    plt.close(fig)


def _panel(ax, outcome: SearchOutcome, found: Answer, x: Measure, y: Measure) -> None:
    archive = outcome.result.archive
    scale = 1e8 if x.kind == "mean" and x.term.labels()[2].startswith("yuan") else 1.0
    if archive.empty:
        ax.text(0.5, 0.5, "nothing evaluated", ha="center")
        return
    ax.scatter(archive[x.text] / scale, archive[y.text], s=8, c="0.75", label="evaluated 已评估")
    front = archive.loc[outcome.result.pareto]
    ax.scatter(front[x.text] / scale, front[y.text], s=30, c="tab:blue", label="Pareto (coarse 粗)")
    fine = outcome.fine
    if fine is not None and len(fine):
        ax.scatter(fine[x.text] / scale, fine[y.text], s=36, marker="s", c="tab:red", label="re-evaluated (fine 细)")
        for i in fine.index:
            xs = [archive.loc[i, x.text] / scale, fine.loc[i, x.text] / scale]
            ax.plot(xs, [archive.loc[i, y.text], fine.loc[i, y.text]], c="tab:red", lw=0.6, alpha=0.6)
    if found.candidate is not None:
        table, _ = measured(outcome)
        row = table.loc[found.candidate] if found.candidate in table.index else archive.loc[found.candidate]
        ax.scatter(
            [row[x.text] / scale],
            [row[y.text]],
            s=220,
            marker="*",
            c="gold",
            edgecolors="k",
            zorder=5,
            label="answer 答案",
        )
    for r in outcome.spec.require:
        if r.measure == y:
            ax.axhline(r.bound, c="crimson", ls="--", lw=1, label=f"required 要求 {r.text}")
    zh_x, en_x, unit_x = x.labels()
    zh_y, en_y, _ = y.labels()
    ax.set_xlabel(f"{zh_x}\n{en_x} ({'亿 yuan' if scale != 1 else unit_x})", fontsize=7)
    ax.set_ylabel(f"{zh_y}\n{en_y}", fontsize=7)

"""Performance benchmark (issues 11 and 24): writes benchmarks/RESULTS.md.

Everything is measured in one run, so ratios compare like with like:

1. the yearly residence choice as a naive Mesa model (one agent per household,
   per-agent ``step()``) against the project's vectorized ``choose``, on a real
   model state resampled to 10k and 100k households: speed-up, and a χ² test that
   both give the same choice shares (``benchmarks/naive.py``);
2. scale: time per simulated year, setup and peak memory at 1:1000 … 1:1, each run
   2020–2035 in a fresh process, the fitted exponent of time against population,
   and the goals; with ``--baseline-commit`` the same runs of that commit (a
   temporary git worktree, this venv; run with today's parameter values, so
   both simulate the same model), interleaved with today's;
3. the choice kernel per decider and alternative against the bare numpy floor
   (``benchmarks/kernel.py``);
4. where a 1:1 year's time goes, stage by stage (the stages ``MigrationModel.STAGES``
   declares, timed on the instance by ``benchmarks/child.py``);
5. the shadow-price rounds of the capacity-limited choices: how many each year
   runs, and the time of the same runs with none (a what-if, not the model);
6. the lever search's throughput: runs per minute at its scale (plan runs 1:50 to
   2035) in warm joblib workers, serial and on 2 workers, with what ``import abm``
   and a setup cost a fresh worker (``benchmarks/throughput.py``, a fresh process
   per commit), today's and each baseline commit's.

The goals are issue 24's (``GOAL_*``): 1:1 2020–2035 model time < 5 s, peak < 0.5 GB, whole
process < 7 s; 1:100 year < 10 ms (median over the years after the first); ≥ 50× the naive Mesa
formulation at 100k households; 2 warm workers ≥ 1.8× serial.

    .venv/bin/python benchmarks/run.py                       # the full measurement (quiet machine; ~6 min on 2 cores)
    .venv/bin/python benchmarks/run.py --baseline-commit SHA [SHA ...]  # also those commits' runs, and the ratios
    .venv/bin/python benchmarks/run.py --quick --out /tmp/RESULTS.md   # small scales, one repeat (smoke test)
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from benchmarks.kernel import KernelRow, kernel_rows  # noqa: E402
from benchmarks.machine import machine  # noqa: E402
from benchmarks.naive import ShareTest, SpeedRow, capture, compare, resample, share_test  # noqa: E402

# Goals of issue 24 (the 1:1 run is 2020–2035; its model time is setup and years), and issue 11's exponent and kernel.
GOAL_SPEEDUP, GOAL_EXPONENT, GOAL_KERNEL_RATIO = 50.0, 1.1, 3.0
GOAL_RUN_S, GOAL_PROCESS_S, GOAL_PEAK_MB, GOAL_YEAR_100_S = 5.0, 7.0, 500.0, 0.010
GOAL_WORKERS = 1.8  # 2 warm workers against serial, at the search's scale
GOAL_END = 2035  # the last year of the goals' 1:1 run (and of the search's runs)


@dataclass
class Config:
    """What one invocation measures."""

    scales: list[int]
    repeats: dict[int, int]  # runs per scale
    end: int
    plan: bool  # also one plan-scenario run at 1:1 and 1:100
    households: list[int]  # sizes of the naive/vectorized comparison
    naive_repeats: int
    state_scale: int  # the model state the choice problems are resampled from
    kernel_households: int
    kernel_repeats: int
    search: tuple[int, int, int, int]  # part 6: scale, last year, runs per round, rounds


FULL = Config(
    scales=[1000, 100, 10, 1],
    repeats={1000: 5, 100: 5, 10: 3, 1: 3},
    end=GOAL_END,
    plan=True,
    households=[10_000, 100_000],
    naive_repeats=3,
    state_scale=10,
    kernel_households=100_000,
    kernel_repeats=5,
    search=(50, GOAL_END, 16, 3),
)
QUICK = Config(
    scales=[1000, 100],
    repeats={1000: 1, 100: 1},
    end=2023,
    plan=False,
    households=[10_000],
    naive_repeats=1,
    state_scale=100,
    kernel_households=10_000,
    kernel_repeats=3,
    search=(1000, 2022, 4, 1),
)


# ----------------------------------------------------------------------------- part 2: model runs
def measure(
    scale: int, end: int, tree: Path = ROOT, scenario: str = "baseline", pinned: str = "", options: tuple = ()
) -> dict:
    """One run 2020–``end`` at 1:``scale`` in a fresh process (``benchmarks/child.py``), with the model of ``tree``.

    ``pinned`` (JSON) sets parameter values, e.g. today's defaults in an older commit's run; ``options`` are the
    child's (``--count-rounds``, ``--shadow-price-rounds N``: see part 5). This tree's child measures ``tree``'s
    model (:func:`in_fresh_process`).
    """
    pinning = ("--pinned", pinned) if pinned else ()
    started = time.perf_counter()
    result = in_fresh_process(tree, "child", str(scale), str(end), scenario, *pinning, *options)
    result["process"] = time.perf_counter() - started  # the whole process: start, imports, setup, years, exit
    return result


def in_fresh_process(tree: Path, script: str, *args: str) -> dict:
    """The JSON line one of this tree's measuring scripts (``child``, ``throughput``) prints when run by its path in
    a fresh process, from ``tree`` with ``tree`` first on the path (and this tree after it), checked to have
    imported ``tree``'s model. By path, not ``-m benchmarks.…``: an older tree's own ``benchmarks`` folder would
    come first and run its version of the script (which may not know today's options or values)."""
    env = os.environ | {"PYTHONPATH": os.pathsep.join(dict.fromkeys([str(tree), str(ROOT)]))}
    command = [sys.executable, str(HERE / f"{script}.py"), *args]
    out = subprocess.run(command, capture_output=True, text=True, cwd=tree, env=env)
    if out.returncode:
        raise RuntimeError(f"{script} {' '.join(args[:3])} in {tree} failed:\n{out.stderr[-2000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if not Path(result["package"]).resolve().is_relative_to(tree.resolve()):
        raise RuntimeError(f"the run in {tree} imported the model from {result['package']}")
    return result


@contextlib.contextmanager
def worktree_at(commit: str) -> Iterator[Path]:
    """A temporary detached git worktree of ``commit``, removed afterwards."""
    parent = Path(tempfile.mkdtemp(prefix="bench-baseline-"))
    tree = parent / "tree"
    subprocess.run(["git", "worktree", "add", "--detach", str(tree), commit], cwd=ROOT, check=True, capture_output=True)
    try:
        yield tree
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, capture_output=True)
        shutil.rmtree(parent, ignore_errors=True)


@dataclass
class ScaleRuns:
    """The runs at one scale: today's, and the baseline commit's if any."""

    scale: int
    runs: list[dict]
    baseline: dict[str, list[dict]] = field(default_factory=dict)  # commit -> its runs


def todays_parameters(plan: bool = False) -> str:
    """Today's default value of every parameter (JSON), so an older commit runs the same model settings; with
    ``plan``, also today's plan's lever values.

    Without this, a changed default (e.g. a central value moved on new evidence) would make the older
    commit simulate a different population and the ratio would compare different work.
    """
    from environment.scenario import load
    from environment.settings import parameters

    values = {k: p.default for k, p in parameters().items()} | (dict(load("plan").settings) if plan else {})
    return json.dumps(values)


def run_scales(config: Config, baselines: dict[str, Path]) -> list[ScaleRuns]:
    """Every scale's runs, today's and each baseline's interleaved (so all meet the same machine load)."""
    pinned = todays_parameters()
    baselines = dict(baselines)
    out = []
    for scale in config.scales:
        found = ScaleRuns(scale, [])
        for _ in range(config.repeats.get(scale, 1)):
            found.runs.append(measure(scale, config.end))
            for sha, tree in list(baselines.items()):
                try:
                    found.baseline.setdefault(sha, []).append(measure(scale, config.end, tree=tree, pinned=pinned))
                except RuntimeError as error:  # an older model the child cannot drive: today's figures only
                    print(f"  commit {sha} not measurable, skipped: {error}", flush=True)
                    del baselines[sha]
        out.append(found)
        print(f"  1:{scale}: {median([mean_step(r) for r in found.runs]) * 1e3:.1f} ms a year", flush=True)
    return out


def mean_step(run: dict) -> float:
    return float(np.mean(run["steps"]))


def median_later_step(run: dict) -> float:
    """The median time of the years after the first (which pays what is computed once per run)."""
    return float(np.median(run["steps"][1:] if len(run["steps"]) > 1 else run["steps"]))


def median(values: list[float]) -> float:
    return float(np.median(values))


def exponent(scales: list[ScaleRuns]) -> tuple[float, float]:
    """Slope of log(time per year) on log(person rows) over all scales, and between the two largest."""
    if len(scales) < 2:
        return float("nan"), float("nan")
    people = np.log([np.mean([r["persons_start"] for r in s.runs]) for s in scales])
    seconds = np.log([median([mean_step(r) for r in s.runs]) for s in scales])
    order = np.argsort(people)
    slope = float(np.polyfit(people, seconds, 1)[0])
    top, second = order[-1], order[-2]
    return slope, float((seconds[top] - seconds[second]) / (people[top] - people[second]))


# ----------------------------------------------------------------------------- report
def fmt_range(values: list[float], digits: int = 2) -> str:
    low, high = min(values), max(values)
    return (
        f"{low:.{digits}f}"
        if len(values) == 1 or f"{low:.{digits}f}" == f"{high:.{digits}f}"
        else (f"{low:.{digits}f} – {high:.{digits}f}")
    )


def met(ok: bool | None) -> str:
    return "" if ok is None else ("yes" if ok else "**no**")


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header), *("| " + " | ".join(r) + " |" for r in rows)]


def commit(ref: str = "HEAD") -> str:
    """Short SHA of ``ref`` (HEAD: marked if tracked files other than the benchmark's reports changed)."""

    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], capture_output=True, text=True, cwd=ROOT).stdout.strip()
        except OSError:
            return ""

    sha = git("rev-parse", "--short", ref) or "unknown"
    reports = (":(exclude)benchmarks/*.md",)  # a previous run's report is not a change to what is measured
    if ref == "HEAD" and git("status", "--porcelain", "--untracked-files=no", "--", ".", *reports):
        sha += " (with uncommitted changes)"
    return sha


def part_naive(speed: list[SpeedRow], tests: list[ShareTest], state_scale: int) -> list[str]:
    lines = [
        "## 1. Against the naive Mesa formulation",
        "",
        f"The residence choice of 2021 in a baseline run at 1:{state_scale} (its utilities per kind, kinds, "
        "capacities and nests), resampled to the number of households shown. Naive: one `mesa.Agent` per "
        "household, `shuffle_do('step')`, each agent computing its nests' inclusive values and drawing with "
        "Mesa's `random`; capacity first come, first served (`benchmarks/naive.py`). Vectorized: `choose` as the "
        "model calls it, keyed draws included. Times are the best of the repeats.",
        "",
    ]
    rows = [
        [
            f"{r.households:,}",
            "with capacities" if r.capacities else "unconstrained",
            f"{r.naive_setup:.2f}",
            f"{r.naive_step:.3f}",
            f"{r.vectorized:.4f}",
            f"**{r.speedup:.0f}×**" if r.households >= 100_000 else f"{r.speedup:.0f}×",
            f"{100 * r.moved_naive:.1f} % / {100 * r.moved_vectorized:.1f} %",
        ]
        for r in speed
    ]
    lines += table(
        [
            "households",
            "case",
            "naive: create agents (s)",
            "naive: one year (s)",
            "vectorized (s)",
            "speed-up",
            "moved (naive / vectorized)",
        ],
        rows,
    )
    at_100k = [r.speedup for r in speed if r.households == 100_000]
    if at_100k:
        lines += [
            "",
            f"Goal: speed-up ≥ {GOAL_SPEEDUP:.0f}× at 100k households — "
            f"{min(at_100k):.0f}× ({met(min(at_100k) >= GOAL_SPEEDUP)}).",
        ]
    lines += [
        "",
        "Same choice shares? χ² test of homogeneity on the counts per alternative, naive against vectorized, "
        "unconstrained (independent draws; alternatives expected below 5 choices pooled); and each against the "
        "closed-form nested-logit probabilities (`Nests.probabilities`). Passes at p > 0.001.",
        "",
    ]
    lines += table(
        [
            "households",
            "χ²",
            "dof",
            "p (naive vs vectorized)",
            "p (naive vs formula)",
            "p (vectorized vs formula)",
            "largest share gap (pp)",
            "same shares",
        ],
        [
            [
                f"{t.households:,}",
                f"{t.chi2:.1f}",
                str(t.dof),
                f"{t.p_value:.3f}",
                f"{t.p_naive_vs_formula:.3f}",
                f"{t.p_vectorized_vs_formula:.3f}",
                f"{t.max_share_gap:.2f}",
                met(t.passed),
            ]
            for t in tests
        ],
    )
    return [*lines, ""]


def part_scale(scales: list[ScaleRuns], config: Config, plan: dict[int, dict], baselines: list[str]) -> list[str]:
    slope, top_slope = exponent(scales)
    lines = [
        "## 2. Scale",
        "",
        f"Runs 2020–{config.end} (seed 1, baseline scenario), each in a fresh process; peak memory is the process's "
        "`ru_maxrss` (imports included). Medians over the runs, with the range where there are several.",
        "",
    ]
    rows = []
    for s in scales:
        runs = s.runs
        rows.append(
            [
                f"1:{s.scale}",
                str(len(runs)),
                f"{np.mean([r['persons_start'] for r in runs]):,.0f}",
                fmt_range([mean_step(r) * 1e3 for r in runs], 1),
                fmt_range([r["setup"] for r in runs], 2),
                fmt_range([r["total"] for r in runs], 2),
                fmt_range([r["process"] for r in runs], 2),
                f"{max(r['peak_mb'] for r in runs):,.0f}",
            ]
        )
    lines += table(
        [
            "scale",
            "runs",
            "person rows (2020)",
            "time per year (ms)",
            "setup (s)",
            f"run 2020–{config.end} (s)",
            "whole process (s)",
            "peak memory (MB)",
        ],
        rows,
    )
    lines += [
        "",
        "Run: the model's setup and years (``model.tables()`` included); whole process: from starting the process to "
        "its exit (Python, imports, the run), as the parent measured it.",
    ]
    if len(scales) < 2:
        lines += ["", "Exponent of time against population: needs two scales or more.", ""]
    else:
        lines += [
            "",
            f"Exponent of time per year against person rows (least squares on logs, all scales): **{slope:.2f}**; "
            f"between the two largest scales: {top_slope:.2f} (goal ≤ {GOAL_EXPONENT}: "
            f"{met(top_slope <= GOAL_EXPONENT)} on the largest pair). Fixed per-year costs (utilities per kind, "
            "recording) flatten the small scales.",
            "",
        ]
    if plan:
        lines += ["Plan scenario, one run each:", ""]
        lines += table(
            ["scale", "time per year (ms)", "run (s)", "peak memory (MB)"],
            [
                [f"1:{k}", f"{mean_step(r) * 1e3:.1f}", f"{r['total']:.2f}", f"{r['peak_mb']:,.0f}"]
                for k, r in plan.items()
            ],
        )
        lines.append("")
    for sha in baselines:
        rows = []
        for s in scales:
            if not s.baseline.get(sha):
                continue
            for name, get in (
                ("time per year", mean_step),
                ("setup", lambda r: r["setup"]),
                ("whole run", lambda r: r["total"]),
                ("whole process", lambda r: r["process"]),
                ("CPU time per year", lambda r: float(np.mean(r["cpu_steps"]))),
                ("CPU time, whole run", lambda r: r["cpu_total"]),
                ("peak memory", lambda r: r["peak_mb"]),
            ):
                now, then = median([get(r) for r in s.runs]), median([get(r) for r in s.baseline[sha]])
                rows.append([f"1:{s.scale}", name, f"{then:.3g}", f"{now:.3g}", f"{now / then:.2f}"])
        if not rows:
            lines += [f"Commit `{sha}` could not be measured (see the script's output); today's figures only.", ""]
            continue
        lines += [
            f"Against commit `{sha}` (same runs with today's parameter values, interleaved with today's; "
            "seconds or MB; "
            "ratio below 1 is an improvement). CPU time is the process's own (`time.process_time`): on a "
            "shared machine it is far less affected by other jobs than wall time, so its ratio is the fairer one:",
            "",
        ]
        lines += table(["scale", "measure", f"`{sha}`", "today", "today / baseline"], rows)
        unpinned = sorted({key for s in scales for r in s.baseline.get(sha, []) for key in r.get("unpinned", [])})
        if unpinned:
            lines += [
                "",
                f"Parameters `{sha}` does not know or allow at today's value, left at its own: {', '.join(unpinned)}.",
            ]
        lines.append("")
    return lines


def part_kernel(rows: list[KernelRow], households: int, n_alt: int) -> list[str]:
    floor = next(r for r in rows if r.name.startswith("floor: exp"))
    kernel = rows[0]
    lines = [
        "## 3. Against the hardware",
        "",
        f"{households:,} deciders × {n_alt} alternatives (the problem of part 1), best of the repeats. The floor is "
        "the numpy work a logit choice cannot avoid: one exp or Gumbel draw and one comparison per decider and "
        "alternative, on float32 utilities already laid out per decider (`benchmarks/kernel.py`).",
        "",
    ]
    lines += table(
        ["operation", "time (ms)", "ns per decider·alternative", "÷ exp floor"],
        [[r.name, f"{r.seconds * 1e3:.2f}", f"{r.ns_per_cell:.2f}", f"{r.seconds / floor.seconds:.1f}"] for r in rows],
    )
    ratio = kernel.seconds / floor.seconds
    lines += [
        "",
        f"Goal: kernel (no capacities) ≤ {GOAL_KERNEL_RATIO:.0f}× the exp + argmax floor — {ratio:.1f}× "
        f"({met(ratio <= GOAL_KERNEL_RATIO)}).",
        "",
    ]
    return lines


def part_profile(runs: ScaleRuns) -> list[str]:
    ordered = sorted(runs.runs, key=mean_step)
    run = ordered[(len(ordered) - 1) // 2]  # the run with the median time per year (its stages add up)
    step_first, step_mean = run["steps"][0], mean_step(run)
    rows = []
    for name, times in run["stages"].items():
        per_year = float(np.mean(times))
        rows.append(
            [f"`{name}`", f"{times[0] * 1e3:.1f}", f"{per_year * 1e3:.1f}", f"{100 * per_year / step_mean:.0f} %"]
        )
    rest_one = step_first - sum(times[0] for times in run["stages"].values())
    rest = step_mean - sum(float(np.mean(times)) for times in run["stages"].values())
    rows.append(["(rest of `step`)", f"{rest_one * 1e3:.1f}", f"{rest * 1e3:.1f}", f"{100 * rest / step_mean:.0f} %"])
    rows.append(["**year**", f"**{step_first * 1e3:.1f}**", f"**{step_mean * 1e3:.1f}**", "100 %"])
    lines = [
        f"## 4. Where the time goes (1:{runs.scale})",
        "",
        "Each stage `MigrationModel.STAGES` declares, timed on the instance (wall time, ms), in the run of part 2 "
        f"with the median time per year (of {len(ordered)}): the first simulated year (2021), and the mean year.",
        "",
    ]
    lines += table(["stage", "2021 (ms)", "mean year (ms)", "share of a year"], rows)
    return [
        *lines,
        "",
        f"Outside the years: setup {run['setup']:.2f} s, `model.tables()` at the end {run['tables']:.2f} s.",
        "",
    ]


# ----------------------------------------------------------------------------- part 5: shadow-price rounds
@dataclass
class RoundRuns:
    """Runs at one scale, interleaved: as the model is (its rounds counted) and with no shadow-price rounds."""

    scale: int
    counted: list[dict]
    without: list[dict]


def run_rounds(config: Config) -> list[RoundRuns]:
    """At each scale, runs as the model is (rounds counted) interleaved with runs that have none."""
    out = []
    for scale in config.scales:
        found = RoundRuns(scale, [], [])
        for _ in range(config.repeats.get(scale, 1)):
            found.counted.append(measure(scale, config.end, options=("--count-rounds",)))
            found.without.append(measure(scale, config.end, options=("--shadow-price-rounds", "0")))  # counted: none
        out.append(found)
    return out


def part_rounds(found: list[RoundRuns], end: int) -> list[str]:
    from agents.choice import SHADOW_PRICE_ROUNDS

    lines = [
        "## 5. The shadow-price rounds",
        "",
        "A capacity-limited choice (the residence choice: dwellings and school seats; the job choice: vacancies) "
        f"raises and lowers shadow prices for at most {SHADOW_PRICE_ROUNDS} rounds, then a lottery admits what "
        "still does not fit (`agents/choice.py`). How many rounds (prices moved, choices drawn again) each year's "
        "choices ran, in the first run of each scale below; settled: every price came to rest within the rounds:",
        "",
    ]
    rows = []
    for f in found:
        for which in ("residence", "jobs"):
            counts = [(r[2], r[3]) for r in f.counted[0]["rounds"] if r[1] == which]
            if counts:
                per_year = [n for n, _ in counts]
                settled = sum(ok for _, ok in counts)
                rows.append(
                    [
                        f"1:{f.scale}",
                        which,
                        f"{min(per_year)} – {max(per_year)}",
                        f"{np.median(per_year):.0f}",
                        f"{settled} of {len(counts)}",
                    ]
                )
    lines += table(["scale", "choice", "rounds a year", "median", "years settled"], rows)
    lines += [
        "",
        "What the rounds cost: the same runs with no rounds at all (a what-if that changes the results — the "
        "lottery alone — not the model), interleaved with runs as the model is. Medians, with the range:",
        "",
    ]
    rows = []
    for f in found:
        with_rounds, without = [mean_step(r) for r in f.counted], [mean_step(r) for r in f.without]
        share = 1 - median(without) / median(with_rounds)
        rows.append(
            [
                f"1:{f.scale}",
                str(len(f.counted)),
                fmt_range([t * 1e3 for t in with_rounds], 1),
                fmt_range([t * 1e3 for t in without], 1),
                f"{100 * share:.0f} %",
                fmt_range([r["total"] for r in f.counted], 2),
                fmt_range([r["total"] for r in f.without], 2),
            ]
        )
    lines += table(
        [
            "scale",
            "runs",
            "time per year (ms)",
            "no rounds (ms)",
            "rounds' share of a year",
            f"run 2020–{end} (s)",
            "no rounds (s)",
        ],
        rows,
    )
    full = next((f for f in found if f.scale == 1), None)
    if full is not None and end == GOAL_END:
        lines += [
            "",
            f"The goal of a 1:1 run 2020–{GOAL_END} under {GOAL_RUN_S:g} s (issue 24): with no shadow-price rounds "
            f"at all it takes {median([r['total'] for r in full.without]):.1f} s.",
        ]
    return [*lines, ""]


# ----------------------------------------------------------------------------- part 6: the search's throughput
@dataclass
class Throughput:
    """One commit's rounds at the search's scale (``benchmarks/throughput.py``), each in a fresh process."""

    commit: str
    rounds: list[dict] = field(default_factory=list)

    def seconds(self, which: str) -> float:
        """Median wall seconds a round of runs took, ``serial`` or on the ``workers``."""
        return median([r[which][0] for r in self.rounds])

    def per_minute(self, which: str) -> float:
        return 60 * self.rounds[0]["runs"] / self.seconds(which)

    def speedup(self) -> float:
        """Median of the rounds' serial / workers ratios."""
        return median([r["serial"][0] / r["workers"][0] for r in self.rounds])


def run_throughput(config: Config, trees: dict[str, Path]) -> list[Throughput]:
    """Each commit's rounds, round after round (today, then each baseline, then again), so all meet alike loads;
    a round is a fresh process (imports, setups, warming its workers, then a serial and a workers' batch)."""
    scale, end, runs, rounds = config.search
    pinned = todays_parameters(plan=True)
    found = {sha: Throughput(sha) for sha in trees}
    for _ in range(rounds):
        for sha, tree in trees.items():
            args = (str(scale), str(end), str(runs), "1", "--jobs", "2", "--pinned", pinned)
            try:
                found[sha].rounds.append(in_fresh_process(tree, "throughput", *args))
            except RuntimeError as error:
                print(f"  commit {sha} not measurable at the search's scale, skipped: {error}", flush=True)
    for sha, t in found.items():
        if t.rounds:
            print(f"  {sha}: {t.per_minute('serial'):.0f} runs/min serial, {t.per_minute('workers'):.0f} on 2 workers")
    return [t for t in found.values() if t.rounds]


def part_throughput(found: list[Throughput], config: Config) -> list[str]:
    scale, end, runs, rounds = config.search
    lines = [
        "## 6. The lever search's throughput",
        "",
        f"Plan runs at 1:{scale}, 2020–{end} (paired seeds 1–{runs}; each built, stepped and its tables made), as a "
        "search evaluates them, with today's parameter and plan values in every commit. Each round is a fresh process "
        "(`benchmarks/throughput.py`): it imports the model, sets up two models, starts and warms 2 joblib (loky) "
        f"workers with a first batch, then times {runs} runs serial in the process and the same {runs} on the warm "
        f"workers; {rounds} rounds per commit, the commits' rounds interleaved. Medians over the rounds (wall time; "
        "a shared machine makes it noisy: see the load average above).",
        "",
    ]
    rows = [
        [
            f"`{t.commit}`",
            f"{median([r['import'] for r in t.rounds]):.2f}",
            f"{median([r['setup_first'] for r in t.rounds]) * 1e3:.0f}",
            f"{median([r['setup_warm'] for r in t.rounds]) * 1e3:.0f}",
            f"{median([float(np.median(r['run_cpu'])) for r in t.rounds]):.3f}",
            f"{t.per_minute('serial'):.0f}",
            f"{t.per_minute('workers'):.0f}",
            f"{t.speedup():.2f}×",
        ]
        for t in found
    ]
    lines += table(
        [
            "commit",
            "`import abm.model` (s)",
            "first setup (ms)",
            "setup in a warm worker (ms)",
            "a run in a warm process (CPU s)",
            "runs/min serial",
            "runs/min, 2 warm workers",
            "2 workers / serial",
        ],
        rows,
    )
    for t in found:
        unpinned = sorted({key for r in t.rounds for key in r["unpinned"]})
        if unpinned:
            lines += [
                "",
                f"Settings `{t.commit}` does not know or allow at today's value, left at its own: "
                f"{', '.join(unpinned)}.",
            ]
    return [*lines, ""]


def part_goals(
    scales: list[ScaleRuns], speed: list[SpeedRow], tests: list[ShareTest], found: list[Throughput], config: Config
) -> list[str]:
    """Issue 24's "done when" figures, today's and each baseline commit's where measured, against the goals."""
    shas = ["today", *dict.fromkeys(sha for s in scales for sha in s.baseline)]
    by_scale = {s.scale: s for s in scales}

    def runs_of(scale: int, sha: str) -> list[dict]:
        s = by_scale.get(scale)
        return [] if s is None else (s.runs if sha == "today" else s.baseline.get(sha, []))

    def figure(scale: int, get, fmt: str) -> list[str]:
        return [fmt.format(get(runs)) if runs else "–" for runs in (runs_of(scale, sha) for sha in shas)]

    def model_time(runs: list[dict]) -> float:
        return median([r["total"] for r in runs])

    def peak(runs: list[dict]) -> float:
        return max(r["peak_mb"] for r in runs)

    def process(runs: list[dict]) -> float:
        return median([r["process"] for r in runs])

    def year_ms(runs: list[dict]) -> float:
        return median([median_later_step(r) for r in runs]) * 1e3

    checks = [(100, "1:100 year (ms, median of the years after the first)", year_ms, "{:.1f}", GOAL_YEAR_100_S * 1e3)]
    if config.end == GOAL_END:
        checks[:0] = [
            (1, f"1:1 run 2020–{GOAL_END}, model time (s)", model_time, "{:.2f}", GOAL_RUN_S),
            (1, "1:1 run, peak memory (MB)", peak, "{:,.0f}", GOAL_PEAK_MB),
            (1, "1:1 run, whole process (s)", process, "{:.2f}", GOAL_PROCESS_S),
        ]
    rows = []
    for scale, name, get, fmt, limit in checks:
        if runs_of(scale, "today"):
            rows.append([name, f"< {limit:g}", *figure(scale, get, fmt), met(get(runs_of(scale, "today")) < limit)])
    at_100k = [r.speedup for r in speed if r.households == 100_000]
    chi2 = [t for t in tests if t.households == 100_000]
    if at_100k:
        shares = f" (χ² p = {chi2[0].p_value:.3f}: {'same' if chi2[0].passed else 'different'} shares)" if chi2 else ""
        ok = min(at_100k) >= GOAL_SPEEDUP and (not chi2 or chi2[0].passed)
        others = ["–"] * (len(shas) - 1)
        rows.append(
            ["naive Mesa / vectorized at 100k households", "≥ 50×", f"{min(at_100k):.0f}×{shares}", *others, met(ok)]
        )
    by_commit = {t.commit: t for t in found}
    scale, end = config.search[:2]
    for name, get, goal, ok in (
        (f"runs/min at 1:{scale} to {end}, serial (warm)", lambda t: f"{t.per_minute('serial'):.0f}", "", None),
        (f"runs/min at 1:{scale} to {end}, 2 warm workers", lambda t: f"{t.per_minute('workers'):.0f}", "", None),
        ("2 warm workers / serial", lambda t: f"{t.speedup():.2f}×", "≥ 1.8×", lambda t: t.speedup() >= GOAL_WORKERS),
    ):
        if not found:
            break
        today = by_commit.get("today")
        values = [get(by_commit[sha]) if sha in by_commit else "–" for sha in shas]
        rows.append([name, goal, *values, met(ok(today) if ok and today else None)])
    return [
        "## Goals (issue 24)",
        "",
        "The issue's figures, today's and each commit's measured in this same run (parts 1, 2 and 6; the naive "
        "comparison is today's `choose` only); met: today's against the goal.",
        "",
        *table(["measure", "goal", *(s if s == "today" else f"`{s}`" for s in shas), "met (today)"], rows),
        "",
    ]


# ----------------------------------------------------------------------------- main
def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small scales, one repeat (CI smoke test)")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md", help="report file (default: %(default)s)")
    parser.add_argument(
        "--baseline-commit",
        metavar="SHA",
        nargs="+",
        default=[],
        help="also measure parts 2 and 6 at these commits (temporary git worktrees), interleaved with today's",
    )
    parser.add_argument("--search-runs", type=int, help="override the runs per round of part 6")
    parser.add_argument("--scales", type=int, nargs="+", help="override the scales of part 2 (e.g. 1000 100)")
    parser.add_argument("--repeats", type=int, help="override the runs per scale of part 2")
    parser.add_argument("--end", type=int, help="override the last simulated year of part 2")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    """Measure, write the report, and return the raw results (for the tests)."""
    args = parse(argv)
    started = time.perf_counter()
    load_before = os.getloadavg()
    config = replace(QUICK if args.quick else FULL)
    if args.scales:
        config = replace(config, scales=sorted(args.scales, reverse=True))
    if args.repeats:
        config = replace(config, repeats=dict.fromkeys(config.scales, args.repeats))
    if args.end:
        config = replace(config, end=args.end)
    if args.search_runs:
        config = replace(config, search=(*config.search[:2], args.search_runs, config.search[3]))

    print("1. naive Mesa against vectorized choose", flush=True)
    base = capture(config.state_scale)
    speed, tests = [], []
    for n in config.households:
        problem = resample(base, n)
        for constrained in (False, True):
            row, naive, vector = compare(problem, constrained, config.naive_repeats)
            speed.append(row)
            if not constrained:
                tests.append(share_test(problem, naive, vector))
            print(f"  {n:,} {'with' if constrained else 'without'} capacities: {row.speedup:.0f}×", flush=True)

    print("3. kernel against the numpy floor", flush=True)
    kernel_problem = resample(base, config.kernel_households, seed=1)
    kernels = kernel_rows(kernel_problem, config.kernel_repeats)

    print("2. scale (fresh processes)", flush=True)
    shas = list(dict.fromkeys(commit(ref) for ref in args.baseline_commit))
    with contextlib.ExitStack() as stack:
        trees = {sha: stack.enter_context(worktree_at(sha)) for sha in shas}
        scales = run_scales(config, trees)
        print("6. the search's throughput (fresh processes, warm workers)", flush=True)
        throughput = run_throughput(config, {"today": ROOT} | trees)
    plan = {k: measure(k, config.end, scenario="plan") for k in (1, 100)} if config.plan else {}

    print("5. shadow-price rounds (fresh processes)", flush=True)
    rounds = run_rounds(config)

    command = shlex.join([".venv/bin/python", "benchmarks/run.py", *(argv if argv is not None else sys.argv[1:])])
    lines = [
        "# Benchmark results",
        "",
        f"Measured {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z} at commit `{commit()}` on {machine()}; "
        f"load average {load_before[0]:.1f} before, {os.getloadavg()[0]:.1f} after; the whole script took "
        f"{time.perf_counter() - started:.0f} s (after imports). Command:",
        "",
        f"    {command}",
        "",
        *part_goals(scales, speed, tests, throughput, config),
        *part_naive(speed, tests, config.state_scale),
        *part_scale(scales, config, plan, shas),
        *part_kernel(kernels, config.kernel_households, base.V.shape[1]),
        *part_profile(scales[-1]),
        *part_rounds(rounds, config.end),
        *part_throughput(throughput, config),
    ]
    if args.quick:
        lines[2:2] = ["**Quick mode** (small scales, one repeat): a smoke test, not the measurement.", ""]
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    return {
        "speed": speed,
        "share_tests": tests,
        "scales": scales,
        "kernel": kernels,
        "rounds": rounds,
        "throughput": throughput,
        "out": args.out,
    }


if __name__ == "__main__":
    main()

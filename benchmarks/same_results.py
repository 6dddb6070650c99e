"""Do this tree and another commit give the same results? For changes that are not bit-identical by design.

    .venv/bin/python benchmarks/same_results.py c912dc8                  # 1:10 to 2035, seeds 1-10
    .venv/bin/python benchmarks/same_results.py c912dc8 --seeds 3 --scale 100

Runs the baseline and the plan for each seed in this tree and at ``COMMIT`` (a temporary git worktree run
with this venv), each side in a fresh process, and compares every recorded table and the declared outcomes:
the same rows and the same whole-number, flag and label columns (no draw changed), and the largest relative
difference of any float. Exits 1 if any row or non-float value differs.
"""

from __future__ import annotations

import argparse
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve()
ROOT = HERE.parents[1]
SCENARIOS = (None, "plan")


def run_all(tree: Path, scale: int, seeds: int, end: int) -> dict:
    """Every table of each (scenario, seed) run with the model of ``tree``."""
    sys.path.insert(0, str(tree))
    from abm.model import MigrationModel

    out = {}
    for scenario in SCENARIOS:
        for seed in range(1, seeds + 1):
            model = MigrationModel(scale=scale, end=end, rng=seed, scenario=scenario)
            while model.running:
                model.step()
            out[(scenario or "baseline", seed)] = model.tables() | {"outcomes": model.outcomes()}
    return out


def compare(a: dict, b: dict) -> tuple[float, list[str]]:
    """The largest relative difference of any float, and what differs otherwise (rows or non-float values)."""
    worst, differ = 0.0, []
    for run, tables in a.items():
        for name, frame in tables.items():
            other = b[run][name]
            if not isinstance(frame, pd.DataFrame):
                continue
            if frame.shape != other.shape or list(frame.columns) != list(other.columns):
                differ.append(f"{run} {name}: rows or columns")
                continue
            for column in frame.columns:
                x, y = frame[column].to_numpy(), other[column].to_numpy()
                if x.dtype.kind != "f":
                    if not np.array_equal(x, y):
                        differ.append(f"{run} {name}.{column}: values")
                    continue
                if not np.array_equal(np.isnan(x), np.isnan(y)):
                    differ.append(f"{run} {name}.{column}: missing values")
                    continue
                both = ~np.isnan(x) & (x != y)
                if both.any():
                    worst = max(worst, float(np.max(np.abs(x[both] - y[both]) / np.abs(x[both]).clip(1e-300))))
    return worst, differ


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("commit")
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--end", type=int, default=2035)
    parser.add_argument("--child", nargs=2, metavar=("TREE", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        tree, out = map(Path, args.child)
        out.write_bytes(pickle.dumps(run_all(tree, args.scale, args.seeds, args.end)))
        return 0
    sys.path.insert(0, str(ROOT))
    from benchmarks.run import worktree_at

    options = ["--scale", str(args.scale), "--seeds", str(args.seeds), "--end", str(args.end)]
    with tempfile.TemporaryDirectory() as work, worktree_at(args.commit) as other:
        found = []
        for tree, name in ((ROOT, "here"), (other, "there")):
            out = Path(work) / f"{name}.pickle"
            child = [sys.executable, str(HERE), args.commit, *options, "--child", str(tree), str(out)]
            subprocess.run(child, cwd=tree, check=True)
            found.append(pickle.loads(out.read_bytes()))
    worst, differ = compare(*found)
    runs = len(found[0])
    print(f"{runs} runs (baseline and plan, seeds 1-{args.seeds}, 1:{args.scale} to {args.end}) against {args.commit}:")
    print(f"  largest relative difference of any float: {worst:.2g}")
    print("  no row, flag, count or label differs" if not differ else "  differ: " + "; ".join(differ[:10]))
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())

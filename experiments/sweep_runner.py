"""Running a sweep: every run not yet finished, on a backend, each written as soon as it finishes.

>>> summary = run_sweep(load("uncertainty_lhs"), Path("results/sweeps/uncertainty_lhs"), backend="joblib", jobs=2)

Finished runs are written together every few seconds (``flush_seconds``; see
``experiments.sweep_store.BatchWriter``) and on the way out, Ctrl-C included. Rerunning the
same sweep into the same folder skips finished runs. A run that raises is recorded as failed
(with its values and traceback) and the sweep goes on.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

from experiments import backends, sweep_store
from experiments.output_folders import locked
from experiments.runner import attempt
from experiments.store import git_commit
from experiments.sweep import Sweep


@dataclass(frozen=True)
class SweepSummary:
    """What one invocation did: runs in the sweep, skipped as finished, run now, failed now, seconds."""

    total: int
    skipped: int
    ran: int
    failed: int
    seconds: float
    out: Path

    def line(self) -> str:
        return (
            f"{self.out}: {self.total} runs; {self.skipped} already finished, {self.ran} run now "
            f"({self.failed} failed) in {self.seconds:.1f} s"
        )


def run_sweep(
    sweep: Sweep,
    out: Path,
    backend: str = "joblib",
    jobs: int = 1,
    scheduler: str | None = None,
    progress: bool = True,
    retry_failed: bool = False,
    flush_seconds: float = sweep_store.FLUSH_SECONDS,
) -> SweepSummary:
    """Run every unfinished run of ``sweep`` into ``out`` (see ``experiments.sweep_store`` for the layout).

    ``flush_seconds``: finished runs wait at most this long to be written together (0: each at once).
    """
    where = backends.Backend(backend, jobs, scheduler)
    started = time.perf_counter()
    with locked(out, "sweep", {"source": sweep.source, "sweep": sweep.name}) as folder:
        return _run_into(sweep, folder, where, progress, retry_failed, flush_seconds, started)


def _run_into(
    sweep: Sweep,
    out: Path,
    where: backends.Backend,
    progress: bool,
    retry_failed: bool,
    flush_seconds: float,
    started: float,
) -> SweepSummary:
    version = git_commit()
    sweep_store.prepare(out, sweep, version)
    runs = sweep.runs()
    done = sweep_store.finished(out, runs, retry_failed=retry_failed)
    todo = [r for r in runs if r.run_id not in done]
    sweep_store.tidy(out, {r.run_id for r in todo})
    by_id = {r.run_id: r for r in todo}
    writer = sweep_store.BatchWriter(out, sweep.base.name, version, flush_seconds)
    bar = _bar(len(runs), len(done), progress)
    failed = 0
    try:
        for result in where.completed(attempt, [(r.run_id, r.spec) for r in todo]):
            writer.add(by_id[result.run_id], result)
            failed += result.status != "done"
            if bar is not None:
                bar.set_postfix(failed=failed, refresh=False)
                bar.update(1)
    finally:
        writer.flush()  # what finished is kept, also on Ctrl-C or a failing backend
        if bar is not None:
            bar.close()
    return SweepSummary(len(runs), len(done), len(todo), failed, time.perf_counter() - started, out)


def _bar(total: int, initial: int, progress: bool):
    if not progress:
        return None
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, unit="run", desc="sweep", file=sys.stderr, dynamic_ncols=True)

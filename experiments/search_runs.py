"""Evaluating candidate lever settings: every candidate × uncertainty point × seed a model run, on the sweep
backends, stored as it finishes (the sweep store's layout), and read back instead of rerun.

A folder of evaluations is a sweep store (``runs/``, ``outcomes/`` …, and a ``sweep.json`` record, so
``abm query FOLDER "SQL"`` reads it): one manifest row per run with its ``candidate``, uncertainty
point ``upoint``, ``seed_index``, the lever and uncertainty values and ``model_digest``. A run is found
again by its configuration hash (settings, scale, seed, years) and the model's digest
(``experiments.calibrate.model_digest``), so a rerun of the same search, or another search into the
same folder, never repeats a finished run and never reuses one from other code. Run ids number the
folder's runs in the order they were started (``p00000-r000``, ``p00001-r000`` …; the manifest's ``point``
is that number); ``candidate`` is the candidate's number in the search that ran it.

>>> fidelity = Fidelity.of(100, 2027, 1, 2022)
>>> evaluator = Evaluator(folder, plan.settings, "plan", points, fidelity, terms, Backend("joblib", 2))
>>> per_term = evaluator(candidates)   # term → array (candidates, points): the mean over seeds
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from experiments import sweep_store
from experiments.backends import Backend
from experiments.criteria import Term
from experiments.output_folders import write_text_atomic
from experiments.runner import RunResult, RunSpec, attempt
from experiments.sweep import SweepRun, derive_seed, run_id

Run = Callable[[str, RunSpec], RunResult]
SERIAL = Backend("serial")


class SearchFailed(RuntimeError):
    """A model run of the search raised: its run id, error and how to read its traceback (exit status 1)."""


def evaluate_run(run: str, spec: RunSpec) -> RunResult:
    """:func:`experiments.runner.attempt`, keeping only the outcomes (what the search reads and stores)."""
    result = attempt(run, spec)
    result.tables = {}
    return result


@dataclass(frozen=True)
class Fidelity:
    """How each candidate is run: scale, last year and the paired seeds (the same for every candidate)."""

    scale: int
    end: int
    seeds: tuple[int, ...]

    @classmethod
    def of(cls, scale: int, end: int, n_seeds: int, seed: int) -> Fidelity:
        """``n_seeds`` seeds derived from ``seed`` as a paired sweep's replicates are."""
        return cls(scale, end, tuple(derive_seed(seed, k) for k in range(n_seeds)))


@dataclass(frozen=True)
class Points:
    """The uncertainty points: each one's uncertain values, and its settings for a run (with refitted constants)."""

    values: list[dict[str, Any]]
    settings: list[dict[str, Any]]


def fit_points(
    values: list[dict[str, Any]], refit: tuple[int, tuple[int, ...]] | None, backend: Backend = SERIAL
) -> Points:
    """Each point's free constants refitted to the 2010–2020 targets under its uncertainties
    (``experiments.calibrate.fitted_constants``, cached on disk), on ``backend``; ``refit`` None: not refitted."""
    if refit is None:
        return Points(values, [dict(v) for v in values])
    calls = [(i, v, refit[0], refit[1]) for i, v in enumerate(values)]
    fitted = dict(backend.completed(_fit, calls))
    return Points(values, [dict(v) | fitted[i] for i, v in enumerate(values)])


def _fit(i: int, values: dict, scale: int, seeds: tuple[int, ...]) -> tuple[int, dict]:
    from experiments.calibrate import fitted_constants

    return i, fitted_constants(values, scale, seeds)


class Evaluator:
    """Runs candidates at every uncertainty point and seed (``fidelity``) and returns, for each term, the
    candidates' values at each point (mean over seeds); runs already in ``folder`` are read, not rerun."""

    def __init__(
        self,
        folder: Path,
        base: Mapping[str, Any],
        scenario: str,
        points: Points,
        fidelity: Fidelity,
        terms: Sequence[Term],
        backend: Backend = SERIAL,
        run: Run = evaluate_run,
        bar: Any = None,
        flush_seconds: float = sweep_store.FLUSH_SECONDS,
    ) -> None:
        from experiments.calibrate import model_digest
        from experiments.store import git_commit

        self.folder, self.base, self.scenario, self.points = Path(folder), dict(base), scenario, points
        self.fidelity, self.terms, self.run, self.bar = fidelity, list(terms), run, bar
        self.backend, self.flush_seconds = backend, flush_seconds
        self.digest, self.version = model_digest(), git_commit()
        self.ids: dict[tuple, int] = {}
        self.ran = self.reused = 0
        self.seconds = 0.0
        self.folder.mkdir(parents=True, exist_ok=True)
        self._record()
        self.known, self.next_run = self._stored()

    # ---------------------------------------------------------------- the store

    def _record(self) -> None:
        """``sweep.json``, so that ``abm query`` opens the folder."""
        path = self.folder / "sweep.json"
        if path.is_file():
            return
        record = {
            "identity": {
                "kind": "search evaluations",
                "base": self.scenario,
                "scale": self.fidelity.scale,
                "end": self.fidelity.end,
                "seeds": list(self.fidelity.seeds),
                "factors": [],
            },
            "code_version": self.version,
        }
        write_text_atomic(path, json.dumps(record, indent=1, default=str))

    def _stored(self) -> tuple[dict[str, dict[Term, float]], int]:
        """Finished runs of this model in the folder (configuration hash → each term's value), and the number of
        the next run."""
        sweep_store.tidy(self.folder, ())  # tables a killed search wrote without their manifest rows
        if not (self.folder / sweep_store.RUNS).is_dir():
            return {}, 0
        rows = sweep_store.manifest(self.folder)
        next_run = int(rows.point.max()) + 1 if len(rows) else 0
        if "model_digest" not in rows:
            return {}, next_run
        rows = rows[(rows.status == "done") & (rows.model_digest == self.digest)]
        if rows.empty:
            return {}, next_run
        return dict(zip(rows.config_hash, self._term_values(rows.run_id.to_numpy()), strict=True)), next_run

    def _term_values(self, run_ids: np.ndarray) -> list[dict[Term, float]]:
        import pyarrow.dataset as ds

        keys = sorted({t.key for t in self.terms})
        table = ds.dataset(self.folder / sweep_store.OUTCOMES, format="parquet").to_table(
            filter=ds.field("outcome").isin(keys)
        )
        outcomes = table.to_pandas()
        columns = {t: t.values(outcomes, run_ids=run_ids).to_numpy() for t in self.terms}
        return [{t: float(columns[t][i]) for t in self.terms} for i in range(len(run_ids))]

    # ---------------------------------------------------------------- evaluating

    def spec(self, candidate: Mapping[str, Any], point: int, seed: int) -> RunSpec:
        """The run of ``candidate`` at uncertainty point ``point`` with ``seed``."""
        settings = self.base | dict(candidate) | self.points.settings[point]
        return RunSpec(settings, scale=self.fidelity.scale, seed=seed, end=self.fidelity.end, label="search")

    def candidate_id(self, candidate: Mapping[str, Any]) -> int:
        """The candidate's number: the order in which candidates were first asked for (stable on a replay)."""
        return self.ids.setdefault(tuple(candidate.items()), len(self.ids))

    def __call__(self, candidates: Sequence[Mapping[str, Any]]) -> dict[Term, np.ndarray]:
        """Each term's value for every candidate at every point: arrays (candidates, points), mean over seeds."""
        n_points, n_seeds = len(self.points.settings), len(self.fidelity.seeds)
        values = {t: np.full((len(candidates), n_points, n_seeds), np.nan) for t in self.terms}
        todo: list[tuple[SweepRun, tuple[int, int, int]]] = []
        for c, candidate in enumerate(candidates):
            number = self.candidate_id(candidate)
            for u in range(n_points):
                for k, seed in enumerate(self.fidelity.seeds):
                    spec = self.spec(candidate, u, seed)
                    found = self.known.get(spec.config_hash())
                    if found is not None:
                        for t in self.terms:
                            values[t][c, u, k] = found[t]
                        continue
                    row = {"candidate": number, "upoint": u, "seed_index": k, "model_digest": self.digest}
                    row |= dict(candidate) | self.points.values[u]
                    todo.append((SweepRun(run_id(self.next_run, 0), self.next_run, 0, row, seed, spec), (c, u, k)))
                    self.next_run += 1
        reused = len(candidates) * n_points * n_seeds - len(todo)
        self.reused += reused
        if self.bar is not None:
            self.bar.update(reused)
        self._run(todo, values)
        return {t: v.mean(axis=2) for t, v in values.items()}

    def _run(self, todo: list[tuple[SweepRun, tuple[int, int, int]]], values: dict[Term, np.ndarray]) -> None:
        if not todo:
            return
        started = time.perf_counter()
        where = {r.run_id: (r, at) for r, at in todo}
        writer = sweep_store.BatchWriter(self.folder, self.scenario, self.version, self.flush_seconds)
        failed: RunResult | None = None
        try:
            calls = [(r.run_id, r.spec) for r, _ in todo]
            for result in self.backend.completed(self.run, calls):
                sweep_run, (c, u, k) = where[result.run_id]
                writer.add(sweep_run, result)
                if result.status != "done":
                    failed = failed or result
                    continue
                found = self._from_result(result)
                self.known[sweep_run.spec.config_hash()] = found
                for t in self.terms:
                    values[t][c, u, k] = found[t]
                self.ran += 1
                if self.bar is not None:
                    self.bar.update(1)
        finally:
            writer.flush()
            self.seconds += time.perf_counter() - started
        if failed is not None:
            raise SearchFailed(
                f"a model run failed ({failed.run_id}: {failed.error}); its traceback: abm query {self.folder} "
                f"\"SELECT traceback FROM tracebacks WHERE run_id = '{failed.run_id}'\""
            )

    def _from_result(self, result: RunResult) -> dict[Term, float]:
        table = result.outcomes
        columns = table["year"].to_numpy(), table["outcome"].to_numpy(), table["value"].to_numpy(float)
        return {t: t.total(*columns) for t in self.terms}

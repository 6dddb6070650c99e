"""Running models: one run, or many in parallel with joblib (or Dask, see ``experiments.backends``).

A :class:`RunSpec` is everything a run needs (settings, scale, seed, years);
results are the model's tables. The same spec gives the same tables whether
run here, in a joblib worker or on a cluster node, because every draw comes
from streams keyed to the seed. :func:`attempt` runs a spec without ever
raising: a failure comes back as a :class:`RunResult` with its traceback.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
import traceback
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from abm.model import MigrationModel
from abm.outcomes import outcomes
from environment.settings import plain, run_default


@dataclass(frozen=True)
class RunSpec:
    """One model run: lever and parameter settings, scale, seed and last year."""

    settings: Mapping[str, Any] = field(default_factory=dict)
    scale: int = run_default("scale")
    seed: int = run_default("seed")
    end: int = run_default("end")
    label: str = ""
    recalibrate: tuple[int, tuple[int, ...]] | None = None  # (scale, seeds): refit the free constants first

    def __post_init__(self) -> None:  # numpy-typed values (SALib, np.arange) become plain Python
        object.__setattr__(self, "settings", {k: plain(v) for k, v in dict(self.settings).items()})
        for name in ("scale", "seed", "end"):
            object.__setattr__(self, name, plain(getattr(self, name)))

    def model(self) -> MigrationModel:
        settings = dict(self.settings)
        if self.recalibrate is not None:  # calibrate, then run: the constants refitted under these uncertainties
            from experiments.calibrate import fitted_constants

            settings |= fitted_constants(settings, *self.recalibrate)
        return MigrationModel(scale=self.scale, end=self.end, rng=self.seed, **settings)

    def config(self) -> dict[str, Any]:
        """Everything that determines the run's results, as plain data."""
        settings = dict(sorted(self.settings.items()))
        config = {"settings": settings, "scale": self.scale, "seed": self.seed, "end": self.end}
        return config | ({"recalibrate": list(self.recalibrate)} if self.recalibrate else {})

    def config_hash(self) -> str:
        """A short hash of :meth:`config`: equal hashes, equal runs (with the same code)."""
        text = json.dumps(self.config(), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass
class RunResult:
    """What one attempted run gives back: its tables and outcomes, or its error."""

    run_id: str
    status: str  # "done" or "failed"
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    outcomes: pd.DataFrame | None = None
    seconds: float = 0.0  # wall time of the whole attempt
    model_seconds: float = 0.0  # of which building the model and stepping it
    error: str = ""
    traceback: str = ""


def run_model(spec: RunSpec) -> MigrationModel:
    """Run ``spec`` to its last year and return the model."""
    model = spec.model()
    while model.running:
        model.step()
    return model


def run(spec: RunSpec) -> dict[str, pd.DataFrame]:
    """Run ``spec`` to its last year and return its tables."""
    return run_model(spec).tables()


def attempt(run_id: str, spec: RunSpec) -> RunResult:
    """Run ``spec`` and compute its outcomes; an exception becomes a failed :class:`RunResult`."""
    started = time.perf_counter()
    try:
        model = run_model(spec)
        tables = model.tables()
        model_seconds = time.perf_counter() - started
        table = model.outcomes()  # collected year by year while the model ran
    except Exception as e:  # any failure of one run is recorded, not raised
        return RunResult(
            run_id,
            "failed",
            seconds=time.perf_counter() - started,
            error=f"{type(e).__name__}: {e}",
            traceback=traceback.format_exc(),
        )
    return RunResult(run_id, "done", tables, table, time.perf_counter() - started, model_seconds)


def run_many(
    specs: Iterable[RunSpec], n_jobs: int = -1, progress: bool = False, frame: str | None = None
) -> list[dict[str, pd.DataFrame]] | pd.DataFrame:
    """Run every spec, in parallel processes; results come back in the order of ``specs``. ``progress``: a progress
    bar (tqdm, on standard error).

    With ``frame`` (a table name such as ``"summary"``, or ``"outcomes"``), return one long
    DataFrame of that table from every run instead, with columns ``run`` (position), ``label`` and ``seed``.
    """
    from joblib import Parallel, delayed
    from tqdm import tqdm

    specs = list(specs)
    bar = tqdm(total=len(specs), unit="run", file=sys.stderr, disable=not progress, dynamic_ncols=True)
    if n_jobs == 1 or len(specs) == 1:
        done = (run(s) for s in specs)
    else:
        done = Parallel(n_jobs=n_jobs, return_as="generator")(delayed(run)(s) for s in specs)
    results = []
    with bar:
        for tables in done:  # in the order of specs
            results.append(tables)
            bar.update(1)
    if frame is None:
        return results
    return long_frame(specs, results, frame)


def long_frame(specs: list[RunSpec], results: list[dict[str, pd.DataFrame]], frame: str) -> pd.DataFrame:
    """One table of many runs stacked, each row with its run's position, label and seed."""
    parts = []
    for i, (spec, tables) in enumerate(zip(specs, results, strict=True)):
        table = outcomes(tables) if frame == "outcomes" else tables[frame]
        parts.append(table.assign(run=i, label=spec.label, seed=spec.seed))
    out = pd.concat(parts, ignore_index=True)
    return out[["run", "label", "seed", *[c for c in out.columns if c not in ("run", "label", "seed")]]]

"""Running models: one run, or many on a backend (here, joblib processes or a Dask cluster: ``experiments.backends``).

A :class:`RunSpec` is everything a run needs (settings, scale, seed, years).
What a run gives back is a :class:`RunResult`: the declared outcomes the model
collected year by year (``model.outcomes()``) and the tables asked for, since
only those travel back from a worker. The same spec gives the same results
whether run here, in a joblib worker or on a cluster node, because every draw
comes from streams keyed to the seed. :func:`run_many` runs many specs and
returns their results in the specs' order; :func:`attempt` runs one without
ever raising (a failure comes back with its traceback), for sweeps.

>>> results = run_many(specs, tables=["summary"])       # on the backend in use: joblib on all cores by default
>>> with backends.using(Backend("dask", scheduler="tcp://10.0.0.5:8786")):
...     results = run_many(specs, tables=["summary"])   # on a Dask cluster
"""

from __future__ import annotations

import hashlib
import json
import time
import traceback
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from abm.model import MigrationModel
from environment.settings import plain, run_default
from experiments import backends
from experiments.backends import Backend
from experiments.calibrate import fitted_constants


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


@dataclass(eq=False)
class RunResult(Mapping[str, pd.DataFrame]):
    """What one run gives back: its declared outcomes and the tables asked for, or (from :func:`attempt`) its error.

    It reads as the mapping of its tables (``result["summary"]``, ``"spending" in result``), as the results of
    :func:`run_many` did before they carried the outcomes.
    """

    run_id: str
    status: str  # "done" or "failed"
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    outcomes: pd.DataFrame | None = None  # year, outcome, value: collected while the model ran
    seconds: float = 0.0  # wall time of the whole attempt
    model_seconds: float = 0.0  # of which building the model and stepping it
    error: str = ""
    traceback: str = ""

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.tables)

    def __len__(self) -> int:
        return len(self.tables)


def run_model(spec: RunSpec) -> MigrationModel:
    """Run ``spec`` to its last year and return the model."""
    model = spec.model()
    while model.running:
        model.step()
    return model


def run(spec: RunSpec) -> dict[str, pd.DataFrame]:
    """Run ``spec`` to its last year and return its tables."""
    return run_model(spec).tables()


def execute(spec: RunSpec, tables: Collection[str] | None = None, run_id: str = "") -> RunResult:
    """Run ``spec``: its declared outcomes and the ``tables`` named (None: all of them). Raises what the run raises."""
    started = time.perf_counter()
    model = run_model(spec)
    model_seconds = time.perf_counter() - started
    recorded = model.tables()
    kept = recorded if tables is None else {name: recorded[name] for name in tables}
    return RunResult(run_id, "done", kept, model.outcomes(), time.perf_counter() - started, model_seconds)


def attempt(run_id: str, spec: RunSpec) -> RunResult:
    """Run ``spec`` with every table; an exception becomes a failed :class:`RunResult` with its traceback."""
    started = time.perf_counter()
    try:
        return execute(spec, run_id=run_id)
    except Exception as e:  # any failure of one run is recorded, not raised
        return RunResult(
            run_id,
            "failed",
            seconds=time.perf_counter() - started,
            error=f"{type(e).__name__}: {e}",
            traceback=traceback.format_exc(),
        )


def run_many(
    specs: Iterable[RunSpec],
    n_jobs: int | None = None,
    progress: bool = False,
    frame: str | None = None,
    *,
    tables: Collection[str] | None = None,
    backend: Backend | None = None,
) -> list[RunResult] | pd.DataFrame:
    """Run every spec on ``backend`` (default: the one in use, see ``backends.using``); results in the specs' order.

    Parameters
    ----------
    n_jobs : worker processes, replacing the backend's count (joblib: -1 = all cores).
    progress : a progress bar on stderr.
    frame : a table name such as ``"summary"``, or ``"outcomes"``: return one long DataFrame of it from every
        run instead, with columns ``run`` (position), ``label`` and ``seed``.
    tables : the tables each result carries besides its outcomes (None: all of them).
    """
    specs = list(specs)
    if frame is not None:
        tables = [] if frame == "outcomes" else [frame]
    where = backend or backends.in_use()
    if n_jobs is not None:
        where = replace(where, jobs=n_jobs)
    results = where.map(execute, [(spec, tables) for spec in specs], progress=progress)
    return results if frame is None else long_frame(specs, results, frame)


def long_frame(specs: list[RunSpec], results: list[RunResult], frame: str) -> pd.DataFrame:
    """One table of many runs stacked, each row with its run's position, label and seed."""
    parts = []
    for i, (spec, result) in enumerate(zip(specs, results, strict=True)):
        table = result.outcomes if frame == "outcomes" else result[frame]
        parts.append(table.assign(run=i, label=spec.label, seed=spec.seed))
    out = pd.concat(parts, ignore_index=True)
    return out[["run", "label", "seed", *[c for c in out.columns if c not in ("run", "label", "seed")]]]

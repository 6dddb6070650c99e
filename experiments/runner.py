"""Running models: one run, or many in parallel with joblib.

A :class:`RunSpec` is everything a run needs (settings, scale, seed, years);
results are the model's tables. The same spec gives the same tables whether
run here, in a joblib worker or on a cluster node, because every draw comes
from streams keyed to the seed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from joblib import Parallel, delayed

from abm.model import MigrationModel
from environment.settings import run_default


@dataclass(frozen=True)
class RunSpec:
    """One model run: lever and parameter settings, scale, seed and last year."""

    settings: Mapping[str, Any] = field(default_factory=dict)
    scale: int = run_default("scale")
    seed: int = run_default("seed")
    end: int = run_default("end")
    label: str = ""

    def model(self) -> MigrationModel:
        return MigrationModel(scale=self.scale, end=self.end, rng=self.seed, **dict(self.settings))


def run(spec: RunSpec) -> dict[str, pd.DataFrame]:
    """Run ``spec`` to its last year and return its tables."""
    model = spec.model()
    while model.running:
        model.step()
    return model.tables()


def run_many(specs: Iterable[RunSpec], n_jobs: int = -1, progress: bool = False) -> list[dict[str, pd.DataFrame]]:
    """Run every spec, in parallel processes; results come back in the order of ``specs``."""
    specs = list(specs)
    if n_jobs == 1 or len(specs) == 1:
        return [run(s) for s in specs]
    return Parallel(n_jobs=n_jobs, verbose=5 if progress else 0)(delayed(run)(s) for s in specs)

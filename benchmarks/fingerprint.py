"""Fingerprint of a run's recorded tables: same hash before and after a change means bit-identical results.

    .venv/bin/python benchmarks/fingerprint.py   # plan 1:100 to 2035, baseline 1:10 to 2025 and 1:1 to 2022

Each table is hashed from its columns' raw bytes (floats exactly, not rounded), with the declared outcomes.
"""

from __future__ import annotations

import hashlib
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from abm.model import MigrationModel

RUNS = (
    {"scenario": "plan", "scale": 100, "end": 2035, "rng": 1},
    {"scenario": None, "scale": 10, "end": 2025, "rng": 1},
    {"scenario": None, "scale": 1, "end": 2022, "rng": 1},  # full scale, where capacities bind hardest
)


def frame_digest(frame: pd.DataFrame) -> str:
    """Hash of a frame's column names, dtypes and values (exact bytes)."""
    h = hashlib.sha256()
    for column in frame.columns:
        values = frame[column].to_numpy()
        h.update(f"{column}:{values.dtype}".encode())
        if values.dtype == object:
            h.update(repr(values.tolist()).encode())
        else:
            h.update(np.ascontiguousarray(values).tobytes())
    return h.hexdigest()[:16]


def fingerprint(**kwargs) -> dict[str, str]:
    """Digest per recorded table (and the outcomes) of one run."""
    model = MigrationModel(**kwargs)
    while model.running:
        model.step()
    digests = {name: frame_digest(frame) for name, frame in model.tables().items()}
    digests["outcomes"] = frame_digest(model.outcomes())
    return digests


def main() -> None:
    for kwargs in RUNS:
        started = time.perf_counter()
        digests = fingerprint(**kwargs)
        total = hashlib.sha256("".join(digests.values()).encode()).hexdigest()[:16]
        print(f"{kwargs}: {total}  ({time.perf_counter() - started:.1f} s)")
        for name, digest in digests.items():
            print(f"    {name:10s} {digest}")


if __name__ == "__main__":
    main()

"""A sweep's results folder: finished runs written in batches, one Parquet file per batch and table.

Layout (DuckDB and pandas read every table folder natively, e.g.
``pd.read_parquet(DIR / "yearly")`` or ``read_parquet('DIR/yearly/*.parquet')``)::

    DIR/sweep.json             the resolved sweep: factors, design, seeds, scale, years, code version
    DIR/sweep.toml             the sweep file as given
    DIR/design.parquet         one row per design point: raw sample and the factors' values
    DIR/runs/BATCH.parquet     the batch's manifest rows, one per run (written last: a run is finished
                               when its row is in a manifest file)
    DIR/outcomes/BATCH.parquet, DIR/yearly/BATCH.parquet, summary/, flows/, jobs/, ages/, spending/

Every row carries its ``run_id``. A batch holds the runs that finished within a few seconds of each
other (:class:`BatchWriter`), named after its first run (``p00012-r001_n5_1f2e3d4c``). Every file is
written to a temporary name, fsynced and renamed into place, so a sweep killed mid-write leaves no
partial file; tables written before their manifest (killed in between) are removed when the sweep
resumes, and a rerun redoes only runs with no manifest row (or whose configuration changed).
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import tomli_w

from experiments.output_folders import package_versions, write_file_atomic
from experiments.runner import RunResult
from experiments.sweep import Sweep, SweepError, SweepRun

RUNS = "runs"
OUTCOMES = "outcomes"
FLUSH_SECONDS = 2.0  # finished runs wait at most this long to be written together (a crash loses at most this)
MAX_BATCH = 256  # runs written together at most (bounds the memory of a batch)
BATCH_FILE = re.compile(r"p\d+-r\d+(_n\d+_[0-9a-f]{8})?")  # a batch's file stem (one run's: its run id)


def write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it to ``path``."""
    write_file_atomic(path, write)


def _parquet(frame: pd.DataFrame) -> Callable[[Path], None]:
    return lambda tmp: frame.to_parquet(tmp, index=False)


def identity(sweep: Sweep) -> dict[str, Any]:
    """What fixes a sweep's runs: the same identity, the same run ids mean the same runs."""
    return {
        "name": sweep.name,
        "base": sweep.base.name,
        "base_settings": sweep.base.settings,
        "factors": [asdict(f) | {"values": list(f.values)} for f in sweep.factors],
        "design": sweep.design,
        "samples": sweep.samples,
        "levels": sweep.levels,
        "seed": sweep.seed,
        "design_seed": sweep.design_seed,
        "replicates": sweep.replicates,
        "paired": sweep.paired,
        "scale": sweep.scale,
        "end": sweep.end,
    }


def prepare(out: Path, sweep: Sweep, code_version: str) -> None:
    """Create the folder for ``sweep`` (or check that it already holds this sweep)."""
    out.mkdir(parents=True, exist_ok=True)
    meta = out / "sweep.json"
    ident = json.loads(json.dumps(identity(sweep), default=str))
    if meta.exists():
        old = json.loads(meta.read_text(encoding="utf-8"))
        if old.get("identity") != ident:
            raise SweepError(
                str(out), "--out", str(out), "this folder holds a different sweep; choose another --out or remove it"
            )
        return
    points = sweep.points()
    raw = pd.DataFrame(sweep.sample(), columns=[f"raw_{f.key}" for f in sweep.factors])
    write_atomic(out / "design.parquet", _parquet(pd.concat([points, raw], axis=1)))
    write_atomic(out / "sweep.toml", lambda tmp: tmp.write_text(tomli_w.dumps(sweep.raw), encoding="utf-8"))
    record = {
        "identity": ident,
        "source": sweep.source,
        "description": sweep.description,
        "code_version": code_version,
        "packages": package_versions(),
    }
    write_atomic(meta, lambda tmp: tmp.write_text(json.dumps(record, indent=1, default=str), encoding="utf-8"))


def finished(out: Path, runs: list[SweepRun], retry_failed: bool = False) -> set[str]:
    """Run ids already written with this configuration (done, and failed unless ``retry_failed``)."""
    rows = _manifest_rows(out, ["run_id", "status", "config_hash"])
    if rows.empty:
        return set()
    wanted = {r.run_id: r.spec.config_hash() for r in runs}
    same = rows.config_hash.to_numpy() == rows.run_id.map(wanted).to_numpy()
    ok = same & ((rows.status == "done").to_numpy() | (not retry_failed))
    return set(rows.run_id[ok])


def tidy(out: Path, redo: Iterable[str]) -> None:
    """Make ``out`` hold each run at most once before runs are (re)done: remove tables written without their
    manifest (a sweep killed between the two) and every row of the runs in ``redo`` (failed runs retried,
    runs whose configuration changed). Only this store's batch files are touched.
    """
    batches = {p.stem for p in _batch_files(out / RUNS)}
    folders = [d for d in out.iterdir() if d.is_dir() and d.name != RUNS and not d.name.startswith(".")]
    for folder in folders:
        for path in folder.glob(".*.abm-tmp-*"):  # a killed writer's temporary file
            path.unlink(missing_ok=True)
        for path in _batch_files(folder):
            if path.stem not in batches:
                path.unlink()
    redo = set(redo)
    if not redo:
        return
    for path in _batch_files(out / RUNS):
        ids = set(pd.read_parquet(path, columns=["run_id"]).run_id)
        if ids & redo:  # tables first, manifest last: a crash in between leaves the runs still to redo
            for table in [f / path.name for f in folders if (f / path.name).is_file()]:
                _drop_rows(table, redo)
            _drop_rows(path, redo)


def _drop_rows(path: Path, run_ids: set[str]) -> None:
    frame = pd.read_parquet(path)
    keep = frame[~frame.run_id.isin(run_ids)]
    if len(keep) == len(frame):
        return
    if keep.empty:
        path.unlink()
    else:
        write_atomic(path, _parquet(keep.reset_index(drop=True)))


def _batch_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.parquet") if BATCH_FILE.fullmatch(p.stem)) if folder.is_dir() else []


def write_batch(
    out: Path, done: list[tuple[SweepRun, RunResult]], scenario: str, code_version: str
) -> list[dict[str, Any]]:
    """Write finished runs together: each table of all of them in one file, then their manifest rows (last).

    Returns the manifest rows.
    """
    if not done:
        return []
    stem = done[0][0].run_id if len(done) == 1 else f"{done[0][0].run_id}_n{len(done)}_{secrets.token_hex(4)}"
    names = dict.fromkeys(name for _, result in done for name in result.tables)
    for name in names:
        parts = [(run.run_id, result.tables[name]) for run, result in done if name in result.tables]
        write_atomic(out / name / f"{stem}.parquet", _arrow(_stacked(parts)))
    parts = [(run.run_id, result.outcomes) for run, result in done if result.outcomes is not None]
    if parts:
        write_atomic(out / OUTCOMES / f"{stem}.parquet", _arrow(_stacked(parts)))
    rows = [_row(run, result, scenario, code_version) for run, result in done]
    write_atomic(out / RUNS / f"{stem}.parquet", _parquet(pd.DataFrame(rows)))
    return rows


def write_result(out: Path, run: SweepRun, result: RunResult, scenario: str, code_version: str) -> dict[str, Any]:
    """Write one run's tables and outcomes, then its manifest row (last); return the row."""
    return write_batch(out, [(run, result)], scenario, code_version)[0]


class BatchWriter:
    """Collects finished runs and writes them together (:func:`write_batch`) once the oldest has waited
    ``flush_seconds`` (0: each run at once), ``MAX_BATCH`` are waiting, or on :meth:`flush`.

    Fewer, larger files: the fixed cost of a file (conversion, fsync, rename) is paid once per batch.
    """

    def __init__(self, out: Path, scenario: str, code_version: str, flush_seconds: float = FLUSH_SECONDS) -> None:
        self.out, self.scenario, self.code_version, self.flush_seconds = out, scenario, code_version, flush_seconds
        self.waiting: list[tuple[SweepRun, RunResult]] = []
        self.since = 0.0

    def add(self, run: SweepRun, result: RunResult) -> int:
        """Take a finished run; write the batch if it is due. Returns the number of runs written now."""
        if not self.waiting:
            self.since = time.monotonic()
        self.waiting.append((run, result))
        due = time.monotonic() - self.since >= self.flush_seconds or len(self.waiting) >= MAX_BATCH
        return self.flush() if due else 0

    def flush(self) -> int:
        """Write every waiting run now; returns how many."""
        batch, self.waiting = self.waiting, []
        write_batch(self.out, batch, self.scenario, self.code_version)
        return len(batch)


def _row(run: SweepRun, result: RunResult, scenario: str, code_version: str) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        "point": run.point,
        "replicate": run.replicate,
        "scenario": scenario,
        "seed": run.seed,
        **run.values,
        "config_hash": run.spec.config_hash(),
        "code_version": code_version,
        "packages": _packages_text(),
        "wall_seconds": round(result.seconds, 4),
        "model_seconds": round(result.model_seconds, 4),
        "status": result.status,
        "error": result.error,
        "traceback": result.traceback,
        "finished_at": pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds"),
    }


def _packages_text() -> str:
    """The package versions of the process that writes the row (the sweep's driver), as compact JSON text."""
    return json.dumps(package_versions(), separators=(",", ":"))


def _stacked(parts: list[tuple[str, pd.DataFrame]]) -> pa.Table:
    """The runs' tables one under the other, ``run_id`` first, as one Arrow table (a null column of an empty
    table takes the others' type)."""
    tables = []
    for run_id, table in parts:
        tagged = table.drop(columns="run_id") if "run_id" in table else table.copy(deep=False)
        tagged.insert(0, "run_id", run_id)
        tables.append(pa.Table.from_pandas(tagged, preserve_index=False, nthreads=1))
    return pa.concat_tables(tables, promote_options="default")


def _arrow(table: pa.Table) -> Callable[[Path], None]:
    return lambda tmp: pq.write_table(table, tmp)


def _manifest_rows(out: Path, columns: list[str] | None = None) -> pd.DataFrame:
    paths = _batch_files(Path(out) / RUNS)
    if not paths:
        return pd.DataFrame(columns=columns or ["run_id", "status", "seed"])
    return pd.concat([pd.read_parquet(p, columns=columns) for p in paths], ignore_index=True)


def manifest(out: Path) -> pd.DataFrame:
    """Every written run's manifest row, ordered by run id."""
    return _manifest_rows(out).sort_values("run_id", ignore_index=True)


def meta(out: Path) -> dict[str, Any]:
    """The sweep's record (``sweep.json``): identity, source, description and code version."""
    path = Path(out) / "sweep.json"
    if not path.is_file():
        raise SweepError(str(out), "folder", None, "not a sweep results folder (no sweep.json); run `abm sweep` first")
    return json.loads(path.read_text(encoding="utf-8"))

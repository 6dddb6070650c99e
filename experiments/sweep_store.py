"""A sweep's results folder: one Parquet file per run and table, each row carrying its ``run_id``.

Layout (DuckDB and pandas read every table folder natively, e.g.
``pd.read_parquet(DIR / "yearly")`` or ``read_parquet('DIR/yearly/*.parquet')``)::

    DIR/sweep.json             the resolved sweep: factors, design, seeds, scale, years, code version
    DIR/sweep.toml             the sweep file as given
    DIR/design.parquet         one row per design point: raw sample and the factors' values
    DIR/runs/RUN_ID.parquet    the run's manifest row (written last: a run is finished when it exists)
    DIR/outcomes/RUN_ID.parquet, DIR/yearly/…, summary/, flows/, jobs/, ages/, spending/

Every file is written to a temporary name and renamed into place, so a run
killed mid-write leaves no partial file; a rerun redoes only runs whose
manifest row is missing (or whose configuration changed).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pandas as pd
import tomli_w

from experiments.output_folders import write_file_atomic
from experiments.runner import RunResult
from experiments.sweep import Sweep, SweepError, SweepRun

RUNS = "runs"


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
    record = {"identity": ident, "source": sweep.source, "description": sweep.description, "code_version": code_version}
    write_atomic(meta, lambda tmp: tmp.write_text(json.dumps(record, indent=1, default=str), encoding="utf-8"))


def finished(out: Path, runs: list[SweepRun], retry_failed: bool = False) -> set[str]:
    """Run ids already written with this configuration (done, and failed unless ``retry_failed``)."""
    folder = out / RUNS
    if not folder.is_dir():
        return set()
    wanted = {r.run_id: r.spec.config_hash() for r in runs}
    done = set()
    for path in folder.glob("*.parquet"):
        if path.stem not in wanted:
            continue
        row = pd.read_parquet(path, columns=["status", "config_hash"]).iloc[0]
        if row.config_hash == wanted[path.stem] and (row.status == "done" or not retry_failed):
            done.add(path.stem)
    return done


def write_result(out: Path, run: SweepRun, result: RunResult, scenario: str, code_version: str) -> dict[str, Any]:
    """Write one run's tables and outcomes, then its manifest row (last); return the row."""
    for name, table in result.tables.items():
        write_atomic(out / name / f"{run.run_id}.parquet", _parquet(_tagged(table, run.run_id)))
    if result.outcomes is not None:
        write_atomic(out / "outcomes" / f"{run.run_id}.parquet", _parquet(_tagged(result.outcomes, run.run_id)))
    row = {
        "run_id": run.run_id,
        "point": run.point,
        "replicate": run.replicate,
        "scenario": scenario,
        "seed": run.seed,
        **run.values,
        "config_hash": run.spec.config_hash(),
        "code_version": code_version,
        "wall_seconds": round(result.seconds, 4),
        "model_seconds": round(result.model_seconds, 4),
        "status": result.status,
        "error": result.error,
        "traceback": result.traceback,
        "finished_at": pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds"),
    }
    write_atomic(out / RUNS / f"{run.run_id}.parquet", _parquet(pd.DataFrame([row])))
    return row


def _tagged(table: pd.DataFrame, run_id: str) -> pd.DataFrame:
    return table.assign(run_id=run_id)[["run_id", *[c for c in table.columns if c != "run_id"]]]


def manifest(out: Path) -> pd.DataFrame:
    """Every written run's manifest row, ordered by run id."""
    paths = sorted((out / RUNS).glob("*.parquet"))
    if not paths:
        return pd.DataFrame(columns=["run_id", "status", "seed"])
    return pd.concat([pd.read_parquet(p) for p in paths], ignore_index=True).sort_values("run_id", ignore_index=True)


def meta(out: Path) -> dict[str, Any]:
    """The sweep's record (``sweep.json``): identity, source, description and code version."""
    path = Path(out) / "sweep.json"
    if not path.is_file():
        raise SweepError(str(out), "folder", None, "not a sweep results folder (no sweep.json); run `abm sweep` first")
    return json.loads(path.read_text(encoding="utf-8"))

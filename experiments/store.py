"""Writing a run's results: Parquet tables, plots, the target table and what produced them.

Everything is written into a temporary folder beside the destination and moved
into place only when complete, so a failed or interrupted run leaves no partial
results. Schema of the tables: see the README ("Output files").
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import tomli_w

from environment.places import places

RESULTS_DIR = Path(__file__).resolve().parent.parent / "results"


def place_table() -> pd.DataFrame:
    """Place keys with their Chinese and English names, zone and map position."""
    pl = places()
    zone_of = {p: z for z, members in pl.zones.items() for p in members}
    return pd.DataFrame(
        {
            "place": pl.keys,
            "name_zh": pl.name_zh,
            "name_en": pl.name_en,
            "in_haimen": pl.in_haimen,
            "zone": [zone_of.get(i, "") for i in range(pl.n)],
            "lon": pl.lon,
            "lat": pl.lat,
        }
    )


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            cwd=Path(__file__).parent,
        )
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def write_atomically(out: Path, fill: Callable[[Path], None]) -> Path:
    """Call ``fill(folder)`` on a fresh temporary folder, then move it to ``out`` (replacing it)."""
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        fill(staging)
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.parent))
            os.replace(out, old / out.name)
            os.replace(staging, out)
            shutil.rmtree(old)
        else:
            os.replace(staging, out)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return out


def write_run(
    out: Path,
    tables: dict[str, pd.DataFrame],
    manifest: dict[str, Any],
    scenario_toml: dict,
    extra: Callable[[Path], None] | None = None,
) -> Path:
    """Write a run's tables (Parquet), its manifest (run.json) and resolved scenario (scenario.toml)."""

    def fill(folder: Path) -> None:
        for name, frame in tables.items():
            frame.to_parquet(folder / f"{name}.parquet", index=False)
        place_table().to_parquet(folder / "places.parquet", index=False)
        info = manifest | {"git_commit": git_commit(), "python": platform.python_version()}
        (folder / "run.json").write_text(json.dumps(info, indent=2, default=str), encoding="utf-8")
        (folder / "scenario.toml").write_text(tomli_w.dumps(scenario_toml), encoding="utf-8")
        if extra is not None:
            extra(folder)

    return write_atomically(out, fill)

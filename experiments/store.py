"""Writing a run's results: Parquet tables, plots, the target table and what produced them.

Everything is written into a staging folder beside the destination and moved into
place only when complete, so a failed or interrupted run leaves no partial results;
what may be written where is decided by :mod:`experiments.output_folders`. Schema of
the tables: see the README ("Output files").
"""

from __future__ import annotations

import platform
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import tomli_w

from environment.places import places
from experiments.output_folders import MARKER, RESULTS_DIR, OutputRefused, Say, staged, target_path

__all__ = ["MARKER", "RESULTS_DIR", "OutputRefused", "git_commit", "place_table", "write_atomically", "write_run"]


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


PROJECT_ROOT = Path(__file__).resolve().parents[1]


def git_commit(root: Path = PROJECT_ROOT) -> str:
    """The code's version: its commit (``1a2b3c4``), ``1a2b3c4-dirty`` when tracked files differ from it.

    When ``root`` is not the top of a git checkout (an installed copy, an unpacked archive; a checkout
    around it, such as a user's repository holding the virtual environment, does not count):
    ``haimen-abm X.Y.Z (no git checkout)``, or ``unknown`` when even that is not known.
    """
    top = _git(root, "rev-parse", "--show-toplevel")
    if top is not None and Path(top).resolve() == root.resolve():
        described = _git(root, "describe", "--always", "--dirty=-dirty", "--abbrev=7", "--exclude=*")
        if described:
            return described
    try:
        from importlib.metadata import PackageNotFoundError, version

        return f"haimen-abm {version('haimen-abm')} (no git checkout)"
    except PackageNotFoundError:
        return "unknown"


def _git(root: Path, *args: str) -> str | None:
    """``git args`` run in ``root``: its output, or None when git is missing or fails."""
    try:
        out = subprocess.run(["git", *args], capture_output=True, text=True, timeout=10, cwd=root)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def write_atomically(
    out: Path,
    fill: Callable[[Path], None],
    *,
    kind: str = "output",
    identity: Mapping[str, Any] | None = None,
    replace: bool = False,
    say: Say | None = None,
) -> Path:
    """Call ``fill(folder)`` on a fresh staging folder, then move it to ``out`` (see :func:`output_folders.staged`).

    Raises ``OutputRefused`` before ``fill`` runs when ``out`` may not be written.
    """
    with staged(out, kind, identity, replace=replace, say=say) as folder:
        fill(folder)
    return target_path(out)


def write_run(
    out: Path,
    tables: dict[str, pd.DataFrame],
    manifest: dict[str, Any],
    scenario_toml: dict,
    extra: Callable[[Path], None] | None = None,
    *,
    replace: bool = False,
    say: Say | None = None,
) -> Path:
    """Write a run's tables (Parquet), its manifest (in the marker abm.json) and resolved scenario (scenario.toml)."""

    def fill(folder: Path) -> None:
        fill_run(folder, tables, scenario_toml)
        if extra is not None:
            extra(folder)

    return write_atomically(out, fill, kind="run", identity=run_manifest(manifest), replace=replace, say=say)


def run_manifest(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """What produced a run: its manifest with the code version and Python."""
    return dict(manifest) | {"git_commit": git_commit(), "python": platform.python_version()}


def fill_run(folder: Path, tables: Mapping[str, pd.DataFrame], scenario_toml: dict) -> None:
    """Write a run's tables (Parquet, with the place table) and the scenario file that reproduces it into ``folder``."""
    for name, frame in tables.items():
        frame.to_parquet(folder / f"{name}.parquet", index=False)
    place_table().to_parquet(folder / "places.parquet", index=False)
    (folder / "scenario.toml").write_text(tomli_w.dumps(scenario_toml), encoding="utf-8")

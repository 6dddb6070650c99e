"""The release files: version single-sourced, citation and licence in step with pyproject.toml."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

import abm

ROOT = Path(__file__).resolve().parents[1]


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def test_version_comes_from_pyproject():
    assert abm.__version__ == _pyproject()["version"]
    out = subprocess.run([sys.executable, "-m", "experiments.cli", "--version"], capture_output=True, text=True)
    assert out.returncode == 0
    assert out.stdout.strip() == f"abm {abm.__version__}"


def test_citation_matches_the_package():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["cff-version"] == "1.2.0"
    assert str(cff["version"]) == _pyproject()["version"]
    assert cff["license"] == _pyproject()["license"] == "MIT"
    assert cff["authors"] and cff["title"] and cff["message"]


def test_licence_and_changelog():
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## [Unreleased]" in changelog
    assert f"## [{_pyproject()['version']}]" in changelog


def _locked() -> dict[str, str]:
    """Package name (normalised) → pinned version, from requirements.lock."""
    from packaging.utils import canonicalize_name

    pins = {}
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        if "==" in line and not line.startswith((" ", "#")):
            name, _, rest = line.partition("==")
            pins[canonicalize_name(name.split("[")[0])] = rest.split()[0].rstrip("\\").strip()
    return pins


def test_lock_file_pins_every_dependency_within_its_range():
    """scripts/lock.sh was run after the last change of a dependency (else: rerun it)."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    project = _pyproject()
    wanted = [*project["dependencies"], *project["optional-dependencies"]["test"]]
    wanted += project["optional-dependencies"]["docs"]
    pins = _locked()
    for text in wanted:
        req = Requirement(text)
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is not in requirements.lock: run scripts/lock.sh"
        assert req.specifier.contains(pins[name], prereleases=True), f"{req.name}=={pins[name]} is not {req.specifier}"
    assert all("--hash=sha256:" in block for block in (ROOT / "requirements.lock").read_text().split("==")[1:])

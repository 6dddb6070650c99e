"""Imports go one way: no cycle among the project's modules; ``environment`` ← ``agents`` ← ``abm`` ← ``experiments``.

Read from the source with ``ast``: imports inside functions count (they are imports all the same), those
under ``if TYPE_CHECKING:`` do not make a cycle (they never run) but must still respect the layering.
"""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("environment", "agents", "abm", "experiments")  # each may import only those before it (and itself)


def modules() -> dict[str, Path]:
    """Every module of the four packages by dotted name (a package by its own name)."""
    found = {}
    for package in LAYERS:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports(name: str, path: Path, known: dict[str, Path]) -> tuple[set[str], set[str]]:
    """The project modules ``name`` imports: (run at some point, only under ``if TYPE_CHECKING:``)."""
    run, typing_only = set(), set()

    def visit(node: ast.AST, checking: bool) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                visit(child, True)
            for child in node.orelse:
                visit(child, checking)
            return
        if isinstance(node, ast.Import | ast.ImportFrom):
            (typing_only if checking else run).update(_targets(name, path, node, known))
        for child in ast.iter_child_nodes(node):
            visit(child, checking)

    visit(ast.parse(path.read_text(encoding="utf-8")), False)
    return run - {name}, typing_only - run - {name}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _targets(name: str, path: Path, node: ast.Import | ast.ImportFrom, known: dict[str, Path]) -> set[str]:
    """The project modules one import statement loads (``from pkg import mod`` loads ``pkg`` and ``pkg.mod``)."""
    if isinstance(node, ast.Import):
        return {m for alias in node.names if (m := _nearest(alias.name, known))}
    base = node.module or ""
    if node.level:  # relative: from the module's package, one level up per extra dot
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
    found = {_nearest(base, known)} | {
        f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in known
    }
    return {m for m in found if m}


def _nearest(dotted: str, known: dict[str, Path]) -> str:
    """``dotted`` or the closest package above it that is a project module ('' if none is)."""
    while dotted and dotted not in known:
        dotted = dotted.rpartition(".")[0]
    return dotted


def layer(module: str) -> int:
    return LAYERS.index(module.split(".")[0])


KNOWN = modules()
GRAPH = {name: imports(name, path, KNOWN) for name, path in KNOWN.items()}


def test_the_four_packages_are_read():
    assert {"environment.settings", "agents.population", "abm.model", "abm.web.page", "experiments.cli"} <= set(KNOWN)
    assert "abm.model" in GRAPH["experiments.runner"][0]  # a module-level import
    assert "experiments.sweep_runner" in GRAPH["experiments.workbench_cli"][0]  # an import inside a function
    assert "abm.model" in GRAPH["abm.recording"][1]  # under TYPE_CHECKING only


def test_no_import_cycle_among_the_projects_modules():
    try:
        TopologicalSorter({name: run for name, (run, _) in GRAPH.items()}).prepare()
    except CycleError as e:
        pytest.fail(f"import cycle: {' -> '.join(e.args[1])}")


def test_imports_follow_the_layers():
    against = sorted(
        f"{name} imports {target}"
        for name, (run, typing_only) in GRAPH.items()
        for target in run | typing_only
        if layer(target) > layer(name)
    )
    assert not against, f"imports against {' <- '.join(LAYERS)}: {against}"


def test_the_check_finds_a_cycle_and_an_import_against_the_layers(tmp_path):
    """The checks above can fail: a cycle hidden in a function and an upward import are both caught."""
    (tmp_path / "agents").mkdir()
    (tmp_path / "agents" / "a.py").write_text("def f():\n    from agents.b import g\n")
    (tmp_path / "agents" / "b.py").write_text("from agents import a\nimport experiments.cli\n")
    known = {
        "agents.a": tmp_path / "agents" / "a.py",
        "agents.b": tmp_path / "agents" / "b.py",
        "experiments.cli": ROOT,
    }
    graph = {name: imports(name, known[name], known)[0] for name in ("agents.a", "agents.b")}
    assert graph == {"agents.a": {"agents.b"}, "agents.b": {"agents.a", "experiments.cli"}}
    with pytest.raises(CycleError):
        TopologicalSorter(graph).prepare()
    assert layer("experiments.cli") > layer("agents.b")

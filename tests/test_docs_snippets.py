"""Every Python code block of the README and of the docs' Markdown pages runs.

The blocks of one page run in order as one script (as a reader pasting them in turn would), in a
temporary folder, with this project's interpreter; a page's blocks are written to run at small scales.
The tutorials (``docs/tutorials``) are notebooks whose cells the docs build executes (scripts/docs.sh).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FENCE = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
SKIPPED = ("docs/_build/", "docs/jupyter_execute/", "docs/reference/api/", "docs/tutorials/")


def pages() -> list[Path]:
    """The README and every Markdown page of the docs (but generated and notebook pages)."""
    found = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    return [p for p in found if not str(p.relative_to(ROOT)).startswith(SKIPPED)]


def python_blocks(path: Path) -> list[tuple[int, str]]:
    """Each fenced ```python block of ``path`` with the line it starts on."""
    text = path.read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start()) + 1, m.group(1)) for m in FENCE.finditer(text)]


def test_the_readme_and_the_guides_have_python_blocks():
    with_blocks = {str(p.relative_to(ROOT)) for p in pages() if python_blocks(p)}
    assert {"README.md", "docs/getting-started/researcher.md", "docs/getting-started/staff.md"} <= with_blocks


@pytest.mark.slow
@pytest.mark.parametrize("page", [p for p in pages() if python_blocks(p)], ids=lambda p: str(p.relative_to(ROOT)))
def test_every_python_block_runs(page: Path, tmp_path: Path):
    script = "\n".join(
        f"# --- {page.relative_to(ROOT)}, block at line {line}\n{code}" for line, code in python_blocks(page)
    )
    (tmp_path / "blocks.py").write_text(script, encoding="utf-8")
    env = os.environ | {"MPLBACKEND": "Agg", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "blocks.py"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, f"{page.relative_to(ROOT)}: a code block failed\n{done.stderr[-3000:]}"

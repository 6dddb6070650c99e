"""Sphinx configuration of the documentation site (built by scripts/docs.sh into docs/_build/html)."""

from __future__ import annotations

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))
sys.path.insert(0, str(DOCS.parent))

from abm import __version__  # noqa: E402  (after the path is set)

project = "Haimen population-plan simulator"
author = "Haimen ABM contributors"
copyright = "2026, Haimen ABM contributors (MIT licence)"
version = release = __version__

extensions = [
    "myst_nb",  # MyST Markdown pages and MyST notebooks, executed at build time
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",  # numpy-style docstrings
    "sphinx.ext.viewcode",  # every documented module's source, linked from the API and the ODD
    "abm_docs",  # generated pages and tables: registries, the command line, the ODD's schedule and submodels
]

source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb"}
root_doc = "index"
exclude_patterns = [
    "_build",
    "jupyter_execute",
    "levers.md",  # the committed outputs of `abm levers --markdown` / `abm parameters --markdown`: the site
    "parameters.md",  # renders the same tables at build time (model/inputs.md)
    "results/generated/*.md",  # included into the results pages
    "**/.ipynb_checkpoints",
    "evidence/*",  # the research notes, read on GitHub or locally (docs/evidence/README.md)
]

myst_enable_extensions = ["colon_fence", "deflist", "dollarmath", "fieldlist", "attrs_inline", "substitution"]
myst_heading_anchors = 3
myst_substitutions = {"version": __version__}

# tutorials run at build time: a failing cell fails the build
nb_execution_mode = "cache"
nb_execution_cache_path = str(DOCS / "_build" / ".jupyter_cache")
nb_execution_timeout = 600
nb_execution_raise_on_error = True
nb_execution_in_temp = True  # files the tutorials write go to a temporary folder
nb_execution_show_tb = True
nb_merge_streams = True

autodoc_default_options = {"members": True, "show-inheritance": False, "member-order": "bysource"}
autodoc_typehints = "description"
autodoc_typehints_format = "short"
napoleon_numpy_docstring = True
napoleon_google_docstring = False
napoleon_use_rtype = False

html_theme = "furo"
html_title = f"Haimen population-plan simulator {__version__}"
html_static_path: list[str] = []
html_show_sourcelink = False
html_last_updated_fmt = None

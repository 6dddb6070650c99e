"""The Mesa model of Haimen's population plan, its command line and web page.

``abm.__version__`` is the installed package's version (single-sourced from ``pyproject.toml``).
:class:`MigrationModel` is imported on first use, so reading the version (``abm --version``) stays fast.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("haimen-abm")
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "unknown"

__all__ = ["MigrationModel", "__version__"]


def __getattr__(name: str):
    if name == "MigrationModel":
        from abm.model import MigrationModel

        return MigrationModel
    raise AttributeError(f"module 'abm' has no attribute {name!r}")

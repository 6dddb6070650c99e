"""The Mesa model of Haimen's population plan, its command line and web page."""

from abm.model import MigrationModel

__all__ = ["MigrationModel"]

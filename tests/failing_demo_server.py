"""`abm serve` with a model that fails for one seed: for the browser test of a failure shown in one tab.

    python tests/failing_demo_server.py PORT

Production code has no test hook: this launcher patches ``MigrationModel.step``
to raise when the run's seed is :data:`FAILING_SEED`, then serves as usual.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from abm.model import MigrationModel
from abm.web.serve import serve

FAILING_SEED = 7
MESSAGE = "injected failure for seed 7"
_step = MigrationModel.step


def failing_step(self: MigrationModel) -> None:
    """A year of the model, except that runs on :data:`FAILING_SEED` fail."""
    if self.seed == FAILING_SEED:
        raise RuntimeError(MESSAGE)
    _step(self)


if __name__ == "__main__":
    MigrationModel.step = failing_step
    sys.exit(serve(port=int(sys.argv[1]), say=lambda line: print(line, file=sys.stderr, flush=True)))

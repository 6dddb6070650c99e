"""Members of a parameter-uncertainty band: the central values and a small recalibrated Latin hypercube.

A sweep file names the factors (declared uncertainties, each over its range in
``environment/data/parameters.toml``) and how each point's free constants are
refitted; :func:`members` takes its factors, draws ``points`` Latin-hypercube
points with the file's design seed, and puts the central values first. Every
member is run recalibrated (``RunSpec.recalibrate``): its four free constants
are refitted to the 2010–2020 calibration targets under its uncertainties
(:func:`experiments.calibrate.fitted_constants`, cached). Used by the
validation report's band and by the attribution across uncertainties.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from environment.settings import default_value

if TYPE_CHECKING:  # pandas is imported where members are made: the command line reads the defaults below at once
    import pandas as pd

DEFAULT_SWEEP = "headline_baseline"  # the README's headline uncertainties
DEFAULT_POINTS = 8  # Latin-hypercube points of the validation report's band (plus the central values)


@dataclass(frozen=True)
class Members:
    """Which settings vary and how; ``values`` has one row per member (``member`` 0: the central values)."""

    sweep: str
    factors: tuple[tuple[str, float, float], ...]  # (key, low, high)
    design_seed: int
    refit: tuple[int, tuple[int, ...]]  # (scale, seeds) of each member's calibration
    values: pd.DataFrame

    def settings(self) -> list[dict[str, Any]]:
        """Each member's varied values (plain Python)."""
        return [{k: v for k, v in row.items() if k != "member"} for row in self.values.to_dict("records")]

    def description(self) -> list[str]:
        """Markdown lines saying what varied and how."""
        scale, seeds = self.refit
        return [
            f"Members: the central values (member 0) and {len(self.values) - 1} points of a Latin hypercube",
            f"(design seed {self.design_seed}) over the factors of the sweep file `{self.sweep}`, each uniform over",
            "its declared range (`environment/data/parameters.toml`); every other input stays at its central value.",
            "Each member's four free constants are refitted to the 2010–2020 calibration targets first",
            f"(`experiments.calibrate.fitted_constants`, 1:{scale}, seeds {','.join(map(str, seeds))}; cached in",
            "results/calibration-cache), so every member still reproduces the history it was calibrated to.",
            "",
            "| factor | range |",
            "|---|---|",
            *[f"| `{k}` | {lo:g} to {hi:g} |" for k, lo, hi in self.factors],
        ]


def members(points: int, sweep: str = DEFAULT_SWEEP, refit_scale: int | None = None) -> Members:
    """The central values and ``points`` Latin-hypercube points over ``sweep``'s factors, recalibrated."""
    import pandas as pd

    from experiments import sweep as sweeps

    design = replace(sweeps.load(sweep, recalibrate=True), samples=max(points, 1), design="lhs")
    keys = [f.key for f in design.factors]
    central = pd.DataFrame([{k: default_value(k) for k in keys}])
    values = pd.concat([central, design.points()[keys].iloc[:points]], ignore_index=True)
    values.insert(0, "member", range(len(values)))
    return Members(
        sweep=design.name,
        factors=tuple((f.key, f.low, f.high) for f in design.factors),
        design_seed=design.design_seed,
        refit=(refit_scale or design.recalibrate[0], design.recalibrate[1]),
        values=values,
    )

"""The assumptions' band of a comparison: its outcomes across what we do not know, beside the seed interval.

A member is one setting of the declared uncertainties. Two sources:

- **stored headline sweeps** (``results/sweeps/headline_baseline`` and ``headline_plan``): 40 recalibrated
  Latin-hypercube points, two paired seeds each. A sweep stands for a compared scenario when its base scenario's
  settings, as the sweep recorded them in ``sweep.json``, equal the scenario's (so a scenario file edited after the
  sweep ran is not matched); its years and scale are the sweep's, which the report states.
- **``--uncertainty-points N``** (:func:`points_band`): the central values and N recalibrated Latin-hypercube
  points of a sweep file's factors (:func:`experiments.uncertainty.members`), each run with the comparison's seeds
  at its scale and years; every scenario runs every member, so members are paired across scenarios too.

The band of a figure is the lowest to the highest over the members of the member's mean across its replicates
(with few members a percentile band would claim more than the sample holds); the band of a difference pairs the
scenarios member by member and replicate by replicate first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from abm.outcomes import OUTCOMES
from environment.scenario import Scenario
from experiments.runner import RunSpec, run_many
from experiments.uncertainty import DEFAULT_SWEEP, members

HEADLINE_SWEEPS = ("headline_baseline", "headline_plan")  # experiments/sweeps/, run into results/sweeps/<name>
PAIRING = ("factors", "design", "samples", "design_seed", "seed", "replicates")  # same points, same seeds


def which_dominates(ratios) -> str:
    """What the widths of a band over the seed intervals of the same figures say (``ratios``: band ÷ seed)."""
    ratios = pd.Series(ratios, dtype=float)
    if ratios.min() > 1:
        return "the assumptions dominate: read the band, not the seed interval"
    if ratios.max() < 1:
        return "the seed noise dominates: more replicates would narrow the figures"
    return "neither dominates everywhere"


def banded_outcomes() -> list[str]:
    """The outcomes a band covers: the declared ones without a breakdown."""
    return [o.key for o in OUTCOMES.values() if not o.by]


@dataclass
class Band:
    """Every member's outcomes, per scenario (columns ``scenario, member, replicate, year, outcome, value``)."""

    source: str  # what the members are, in a sentence or two (the report prints it)
    values: pd.DataFrame
    paired: bool = True  # members are the same settings in every scenario (differences may pair them)
    notes: list[str] = field(default_factory=list)

    @property
    def scenarios(self) -> list[str]:
        return list(pd.unique(self.values.scenario))

    def member_means(self) -> pd.DataFrame:
        """Each member's mean over its replicates: ``scenario, outcome, year, member, value``."""
        keys = ["scenario", "outcome", "year", "member"]
        return self.values.groupby(keys, sort=False, as_index=False)["value"].mean()

    def levels(self) -> pd.DataFrame:
        """``scenario, outcome, year, band_low, band_high, members``: lowest and highest member mean."""
        g = self.member_means().groupby(["scenario", "outcome", "year"], sort=False)["value"]
        return g.agg(band_low="min", band_high="max", members="count").reset_index()

    def differences(self, reference: str) -> pd.DataFrame:
        """``scenario, outcome, year, band_low, band_high, members`` of each scenario minus ``reference``, paired
        by member and replicate (empty when the reference has no band or members are not shared)."""
        columns = ["scenario", "outcome", "year", "band_low", "band_high", "members"]
        if not self.paired or reference not in self.scenarios:
            return pd.DataFrame(columns=columns)
        keys = ["member", "replicate", "outcome", "year"]
        ref = self.values[self.values.scenario == reference].drop(columns="scenario")
        others = self.values[self.values.scenario != reference]
        pairs = others.merge(ref, on=keys, suffixes=("", "_ref"))
        pairs["value"] = pairs.value - pairs.value_ref
        by_member = pairs.groupby(["scenario", "outcome", "year", "member"], sort=False)["value"].mean()
        g = by_member.groupby(level=["scenario", "outcome", "year"], sort=False)
        return g.agg(band_low="min", band_high="max", members="count").reset_index()[columns]


def points_band(
    scenarios: list[Scenario],
    seeds: list[int],
    points: int,
    sweep: str = DEFAULT_SWEEP,
    refit_scale: int | None = None,
    n_jobs: int | None = None,
    progress: bool = False,
) -> Band:
    """Every scenario at the central values and ``points`` recalibrated LHS points of ``sweep``, on ``seeds``."""
    chosen = members(points, sweep, refit_scale)
    keys = [(s, member, values, k) for s in scenarios for member, values in enumerate(chosen.settings()) for k in seeds]
    specs = [
        RunSpec(dict(s.settings) | values, scale=s.scale, seed=seed, end=s.end, recalibrate=chosen.refit)
        for s, _, values, seed in keys
    ]
    results = run_many(specs, n_jobs=n_jobs, progress=progress, tables=())
    wanted = set(banded_outcomes())
    frames = [
        r.outcomes[r.outcomes.outcome.isin(wanted)].assign(scenario=s.name, member=member, replicate=seeds.index(seed))
        for (s, member, _, seed), r in zip(keys, results, strict=True)
    ]
    factors = ", ".join(f"`{k}` {lo:g}–{hi:g}" for k, lo, hi in chosen.factors)
    scale, refit_seeds = chosen.refit
    source = (
        f"{len(chosen.values)} members: the central values and {len(chosen.values) - 1} Latin-hypercube points "
        f"(design seed {chosen.design_seed}) of the factors of `{chosen.sweep}` ({factors}), each with its free "
        f"constants refitted to the 2010–2020 calibration targets (1:{scale}, seed "
        f"{','.join(map(str, refit_seeds))}), each run with the comparison's {len(seeds)} seeds at its scale and years."
    )
    return Band(
        source, pd.concat(frames, ignore_index=True)[["scenario", "member", "replicate", "year", "outcome", "value"]]
    )


def _plain(settings: Any) -> Any:
    """Settings as JSON gives them back (how ``sweep.json`` records them): comparable with a scenario's."""
    return json.loads(json.dumps(settings, default=str, sort_keys=True))


def stored_sweeps(folder: Path) -> dict[str, dict[str, Any]]:
    """The finished headline sweeps in ``folder`` (``results/sweeps``): name → the record of its ``sweep.json``."""
    found = {}
    for name in HEADLINE_SWEEPS:
        meta = Path(folder) / name / "sweep.json"
        if meta.is_file():
            found[name] = json.loads(meta.read_text(encoding="utf-8"))
    return found


def stored_band(folder: Path, scenarios: list[Scenario]) -> Band | None:
    """The band of each compared scenario a stored headline sweep stands for (None when none does).

    Matching: the sweep's recorded base settings equal the scenario's settings. Members are the sweep's design
    points; two matched sweeps are paired (differences banded) when they share factors, design and seeds.
    """
    from experiments.query import query
    from experiments.store import git_commit

    sweeps = stored_sweeps(folder)
    matched: dict[str, tuple[str, dict[str, Any]]] = {}
    for s in scenarios:
        for name, record in sweeps.items():
            if _plain(record["identity"]["base_settings"]) == _plain(dict(s.settings)):
                matched[s.name] = (name, record)
                break
    if not matched:
        return None
    keys = ", ".join(f"'{k}'" for k in banded_outcomes())
    frames, notes = [], []
    for scenario, (name, _) in matched.items():
        table = query(
            Path(folder) / name,
            "SELECT point AS member, replicate, year, outcome, value FROM outcomes JOIN runs USING (run_id) "
            f"WHERE status = 'done' AND outcome IN ({keys})",
        )
        frames.append(table.assign(scenario=scenario))
    identities = [record["identity"] for _, record in matched.values()]
    paired = all(
        _plain({k: i[k] for k in PAIRING}) == _plain({k: identities[0][k] for k in PAIRING}) for i in identities
    )
    first = identities[0]
    versions = {record.get("code_version", "") for _, record in matched.values()}
    made = ", ".join(sorted(v for v in versions if v)) or "unknown"
    values = pd.concat(frames, ignore_index=True)
    points = values.groupby("scenario").member.nunique()
    described = "; ".join(
        f"{scenario} from `{Path(folder) / name}` ({points[scenario]} points)"
        for scenario, (name, _) in matched.items()
    )
    source = (
        f"Stored headline sweeps, each matched to a compared scenario by its recorded base settings: {described}; "
        f"{first['design']} design over {', '.join(f['key'] for f in first['factors'])}, "
        f"{first['replicates']} paired seeds per point, 1:{first['scale']}, to {first['end']}, every point "
        f"recalibrated (code version {made})."
    )
    if git_commit() not in versions:
        notes.append(f"The stored sweeps were made by code version {made}, not this one ({git_commit()}).")
    unmatched = [s.name for s in scenarios if s.name not in matched]
    if unmatched:
        notes.append(
            f"No stored sweep has the settings of {', '.join(unmatched)}: no band for "
            f"{'it' if len(unmatched) == 1 else 'them'} (--uncertainty-points N runs one for every scenario)."
        )
    return Band(source, values[["scenario", "member", "replicate", "year", "outcome", "value"]], paired, notes)

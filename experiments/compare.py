"""Comparing scenarios on paired replicates: the tables behind ``abm compare``.

Every scenario runs with the same seeds (replicate k of each scenario draws the
same dice), so the difference of a replicate pair is the levers' effect alone
and its spread across pairs gives the interval. Intervals are 95 % Student-t
intervals of the mean across replicates (:mod:`experiments.paired`); bands in
plots span the replicates.

Besides the levels and differences (at the headline years and year by year),
a comparison gives: the cost per added resident of each scenario against the
reference (extra spending ÷ extra residents, :mod:`experiments.cost_effectiveness`)
and, when the reference runs every lever at baseline (``abm compare baseline
plan``), of each measure group (the scenario against the scenario without it,
the runs of ``abm attribute`` on the same seeds); the year each scenario
reaches the population target; and, from stored headline sweeps or
``band_points`` recalibrated uncertainty points, the assumptions' band beside
the seed interval (:mod:`experiments.band`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from abm.outcomes import OUTCOMES, describe, owner
from environment.places import area_places, places
from environment.scenario import Scenario, ScenarioError
from environment.settings import levers
from environment.targets import measure_targets, targets
from experiments import cost_effectiveness as ce
from experiments.attainment import attainment, first_year_reached, share_reached_by_year
from experiments.attribution import measures_changed, replicate_seeds, without_measure
from experiments.band import Band, banded_outcomes, points_band, stored_band, which_dominates
from experiments.paired import LEVEL, interval
from experiments.runner import RunSpec, run_many
from experiments.uncertainty import DEFAULT_SWEEP

__all__ = ["LEVEL", "Comparison", "compare", "interval", "summary"]
ALL_MEASURES = 0  # the measure column of a cost row of the whole scenario against the reference


@dataclass
class Comparison:
    """Every run's outcomes and the summary tables of a comparison (first scenario = reference)."""

    scenarios: list[Scenario]
    runs: pd.DataFrame  # scenario, replicate, seed
    outcomes: pd.DataFrame  # scenario, replicate, year, outcome, value
    attainment: pd.DataFrame  # scenario, target, name_zh, name_en, year, unit, plan, mean, low, high, met_share[, band]
    differences: pd.DataFrame  # scenario, reference, outcome, …, year, mean, low, high, pairs[, band] at headline years
    arrivals: pd.DataFrame  # scenario, origin, name_zh, name_en, people (mean per run over the simulated years)
    spending: pd.DataFrame  # scenario, measure, name_zh, name_en, yuan, recipients (mean per run, all years)
    costs: pd.DataFrame = field(default_factory=pd.DataFrame)  # cost_effectiveness.COLUMNS, per period
    by_year: pd.DataFrame = field(default_factory=pd.DataFrame)  # differences from the reference in every year
    reached: pd.DataFrame = field(default_factory=pd.DataFrame)  # the year each scenario reaches the target
    reached_by_year: pd.DataFrame = field(default_factory=pd.DataFrame)  # share of runs (and points) by year
    band: Band | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def reference(self) -> str:
        return self.scenarios[0].name

    def bands(self) -> pd.DataFrame:
        """Mean, interval and replicate range of every outcome by scenario and year (and its band, if any)."""
        g = self.outcomes.groupby(["scenario", "outcome", "year"], sort=False)["value"]
        out = g.agg(["mean", "min", "max", "count", "std"]).reset_index()
        low, high = interval(out["mean"], out["std"], out["count"])
        out = out.assign(low=low, high=high).drop(columns=["std"])
        if self.band is None:
            return out
        return out.merge(self.band.levels().drop(columns="members"), on=["scenario", "outcome", "year"], how="left")


def check_distinct(scenarios: list[Scenario]) -> None:
    """Refuse a comparison naming one scenario twice (by name: every table is keyed by it), before any run."""
    first: dict[str, Scenario] = {}
    for s in scenarios:
        if s.name in first:
            sources = f"{first[s.name].source} and {s.source}" if first[s.name].source != s.source else s.source
            raise ScenarioError(
                "compare",
                "scenarios",
                [x.name for x in scenarios],
                f"{s.name!r} is given twice ({sources}); each scenario compared needs its own name "
                "(a file's `name` sets it)",
            )
        first[s.name] = s


def measure_variants(scenarios: list[Scenario], measures: bool | None = None) -> list[tuple[Scenario, int]]:
    """(scenario, measure group) for every "scenario without measure m" run the per-measure costs need.

    They need a reference that runs every lever at baseline (so a measure set back is a measure the reference does
    without) and a scenario changing at least two groups (with one, "without it" is the reference itself).
    ``measures``: None (when possible), False (never) or True (refused when not possible).
    """
    if measures is False or not ce.periods(scenarios[0].end):  # no runs for a comparison ending before the plan
        return []
    if measures_changed(scenarios[0].settings):
        if measures:
            raise ScenarioError(
                "compare",
                "--measures",
                scenarios[0].name,
                "per-measure costs set each measure back to the reference, which must run every lever at its "
                "baseline value (e.g. `abm compare baseline plan`)",
            )
        return []
    return [
        (s, m) for s in scenarios[1:] if len(measures_changed(s.settings)) > 1 for m in measures_changed(s.settings)
    ]


def compare(
    scenarios: list[Scenario],
    replicates: int = 3,
    n_jobs: int | None = None,
    progress: bool = False,
    *,
    measures: bool | None = None,
    band_points: int = 0,
    band_sweep: str = DEFAULT_SWEEP,
    refit_scale: int | None = None,
    sweeps: Path | None = None,
) -> Comparison:
    """Run every scenario ``replicates`` times on paired seeds and summarise against the first.

    The runs go to the backend in use (``experiments.backends.using``; joblib on all cores by default), with
    ``n_jobs`` workers when given; ``progress``: a bar. ``measures``: run each scenario without each measure group
    it changes, for the per-measure costs (:func:`measure_variants`). The assumptions' band: ``band_points``
    recalibrated points of ``band_sweep``'s factors (refitted at ``refit_scale``), else the stored headline sweeps
    in ``sweeps`` (``results/sweeps``) that match a scenario, else none.
    """
    check_distinct(scenarios)
    variants = measure_variants(scenarios, measures)
    seeds = replicate_seeds(scenarios[0].seed, replicates)
    keys = [(s, k) for s in scenarios for k in range(replicates)]
    specs = [RunSpec(s.settings, scale=s.scale, seed=seeds[k], end=s.end, label=s.name) for s, k in keys]
    results = run_many(specs, n_jobs=n_jobs, progress=progress, tables=("yearly", "flows", "spending"))
    runs = pd.DataFrame([{"scenario": s.name, "replicate": k, "seed": seeds[k]} for s, k in keys])
    frames, reached, arrivals, spent = [], [], [], []
    for (s, k), result in zip(keys, results, strict=True):
        tag = {"scenario": s.name, "replicate": k}
        frames.append(by_outcome(result.outcomes).assign(**tag))
        reached.append(attainment(result["yearly"]).assign(**tag))
        arrivals.append(arrivals_by_origin(result["flows"]).assign(**tag))
        if "spending" in result:
            spent.append(result["spending"].assign(**tag))
    table = pd.concat(frames, ignore_index=True)
    spans = ce.periods(int(table.year.max()))
    totals = [
        _totals(result.outcomes, result.get("spending"), spans).assign(variant=s.name, replicate=k)
        for (s, k), result in zip(keys, results, strict=True)
    ]
    if variants:
        more = [(s, m, k) for s, m in variants for k in range(replicates)]
        extra = [
            RunSpec(without_measure(s.settings, m), scale=s.scale, seed=seeds[k], end=s.end, label=f"{s.name}-{m}")
            for s, m, k in more
        ]
        for (s, m, k), result in zip(
            more, run_many(extra, n_jobs=n_jobs, progress=progress, tables=("spending",)), strict=True
        ):
            totals.append(
                _totals(result.outcomes, result.get("spending"), spans).assign(variant=f"{s.name}-{m}", replicate=k)
            )
    band = None
    if band_points:
        band = points_band(scenarios, seeds, band_points, band_sweep, refit_scale, n_jobs, progress)
    elif sweeps is not None:
        band = stored_band(sweeps, scenarios)
    notes = [] if band is None else list(band.notes)
    if not spent:
        notes.append("The model has no spending table yet: spending and yuan per added resident are not shown.")
    reference = scenarios[0].name
    att = summarise_attainment(pd.concat(reached, ignore_index=True))
    by_year = differences_by_year(table, reference)
    if band is not None:
        att = _with_band(att, band)
        by_year = by_year.merge(band.differences(reference).drop(columns="members"), how="left")
    return Comparison(
        scenarios=scenarios,
        runs=runs,
        outcomes=table,
        attainment=att,
        differences=at_headline_years(by_year),
        arrivals=_mean_arrivals(pd.concat(arrivals, ignore_index=True), replicates),
        spending=spending_by_measure(pd.concat(spent, ignore_index=True) if spent else None),
        costs=cost_table(pd.concat(totals, ignore_index=True), scenarios, variants),
        by_year=by_year,
        reached=year_reached(table, band, int(table.year.max())),
        reached_by_year=reached_by_year(table, band),
        band=band,
        notes=notes,
    )


def _totals(outcomes: pd.DataFrame, spending: pd.DataFrame | None, spans: list[tuple[int, int]]) -> pd.DataFrame:
    population = outcomes[outcomes.outcome == "haimen_population"].set_index("year").value
    return ce.run_totals(population, spending, spans)


def by_outcome(table: pd.DataFrame) -> pd.DataFrame:
    """A run's outcomes (collected year by year) outcome by outcome, as declared: each outcome's years, then its
    breakdowns', then its gap."""

    def rank(key: str) -> tuple[int, int, str]:
        o = owner(key)
        return list(OUTCOMES).index(o.key), 0 if key == o.key else 2 if key == f"{o.key}_gap" else 1, key

    order = {key: i for i, key in enumerate(sorted(pd.unique(table.outcome), key=rank))}
    return table.sort_values(["outcome", "year"], key=lambda c: c.map(order) if c.name == "outcome" else c)


def summarise_attainment(table: pd.DataFrame) -> pd.DataFrame:
    """Mean and interval of each target's model value across replicates, and the share of replicates that meet it."""
    keys = ["scenario", "target", "name_zh", "name_en", "year", "unit", "plan"]
    g = table.groupby(keys, sort=False)
    out = g["model"].agg(["mean", "std", "count"]).reset_index()
    out["met_share"] = g["met"].apply(lambda m: float(pd.Series(m, dtype="float").mean())).to_numpy()
    out["low"], out["high"] = interval(out["mean"], out["std"], out["count"])
    return out.drop(columns=["std", "count"])


def headline_outcomes(last: int) -> list[tuple[str, int]]:
    """The outcomes compared between scenarios, each at its headline year (declared in outcomes.toml)."""
    return [(o.key, o.headline_year(last)) for o in OUTCOMES.values() if not o.by]


DIFFERENCE_COLUMNS = ["scenario", "reference", "outcome", "name_zh", "name_en", "unit", "year", "mean", "low", "high"]


def differences_by_year(table: pd.DataFrame, reference: str) -> pd.DataFrame:
    """Each scenario minus the reference, replicate by replicate, for every outcome without a breakdown and every
    year: mean, 95 % t-interval and the number of pairs."""
    at = table[table.outcome.isin(banded_outcomes())]
    wide = at.pivot_table(index=["outcome", "year", "replicate"], columns="scenario", values="value", sort=False)
    columns = [*DIFFERENCE_COLUMNS, "pairs"]
    if reference not in wide:
        return pd.DataFrame(columns=columns)
    parts = []
    for name in [c for c in pd.unique(table.scenario) if c != reference and c in wide]:
        d = (wide[name] - wide[reference]).dropna()
        g = d.groupby(level=["outcome", "year"], sort=False).agg(["mean", "std", "count"]).reset_index()
        g["low"], g["high"] = interval(g["mean"], g["std"], g["count"])
        parts.append(
            g.rename(columns={"count": "pairs"}).drop(columns="std").assign(scenario=name, reference=reference)
        )
    if not parts:
        return pd.DataFrame(columns=columns)
    out = pd.concat(parts, ignore_index=True)
    names = {k: describe(k) for k in pd.unique(out.outcome)}
    for i, column in enumerate(("name_zh", "name_en", "unit")):
        out[column] = out.outcome.map(lambda k, i=i: names[k][i])
    order = {k: i for i, k in enumerate(banded_outcomes())}
    out = out.sort_values(["outcome", "year"], key=lambda c: c.map(order) if c.name == "outcome" else c, kind="stable")
    return out[columns].reset_index(drop=True)


def at_headline_years(by_year: pd.DataFrame) -> pd.DataFrame:
    """The rows of :func:`differences_by_year` at each outcome's headline year, scenarios in the given order."""
    if by_year.empty:
        return by_year
    last = int(by_year.year.max())
    headline = dict(headline_outcomes(last))
    out = by_year[by_year.year == by_year.outcome.map(headline)]
    order = {s: i for i, s in enumerate(pd.unique(by_year.scenario))}
    return out.sort_values("scenario", key=lambda c: c.map(order), kind="stable", ignore_index=True)


def paired_differences(table: pd.DataFrame, reference: str) -> pd.DataFrame:
    """Each scenario minus the reference, replicate by replicate, at the headline years; mean and t-interval."""
    return at_headline_years(differences_by_year(table, reference))


def _with_band(att: pd.DataFrame, band: Band) -> pd.DataFrame:
    """The attainment table with each target's band (its outcome's, at the target's year) where there is one."""
    outcome_of = {o.target: o.key for o in OUTCOMES.values() if o.target}
    levels = band.levels().rename(columns={"members": "band_members"})
    keyed = att.assign(outcome=att.target.map(outcome_of))
    return keyed.merge(levels, on=["scenario", "outcome", "year"], how="left").drop(columns="outcome")


def arrivals_by_origin(flows: pd.DataFrame) -> pd.DataFrame:
    """People arriving in Haimen from each outside place, summed over the simulated years."""
    haimen = set(area_places("haimen"))
    moves = flows[flows.destination.isin(haimen) & ~flows.origin.isin(haimen)]
    return moves.groupby("origin", as_index=False)["people"].sum()


def _mean_arrivals(table: pd.DataFrame, replicates: int) -> pd.DataFrame:
    pl = places()
    names = dict(zip(pl.keys, zip(pl.name_zh, pl.name_en, strict=True), strict=True))
    out = (table.groupby(["scenario", "origin"], sort=False)["people"].sum() / replicates).reset_index()
    out["name_zh"] = out.origin.map(lambda o: names.get(o, (o, o))[0])
    out["name_en"] = out.origin.map(lambda o: names.get(o, (o, o))[1])
    return out[["scenario", "origin", "name_zh", "name_en", "people"]]


def spending_by_measure(spending: pd.DataFrame | None) -> pd.DataFrame:
    """Yuan from Haimen's budget and recipients by measure group, mean per run over all simulated years.

    ``spending`` follows the model's contract: columns ``year, measure, lever, recipients, yuan`` (plus
    ``scenario, replicate``). What each measure buys is in the cost table (:func:`cost_table`), not here: a
    measure's spending divided by the whole scenario's added residents would say nothing about the measure.
    """
    columns = ["scenario", "measure", "name_zh", "name_en", "yuan", "recipients"]
    if spending is None or spending.empty:
        return pd.DataFrame(columns=columns)
    runs = spending.groupby("scenario")["replicate"].nunique()
    by = spending.groupby(["scenario", "measure"], as_index=False)[["yuan", "recipients"]].sum()
    by[["yuan", "recipients"]] = by[["yuan", "recipients"]].div(by.scenario.map(runs), axis=0)
    total = by.groupby("scenario", as_index=False)[["yuan", "recipients"]].sum().assign(measure="all")
    out = pd.concat([by, total], ignore_index=True)
    measure_names = _measure_names()
    out["name_zh"] = out.measure.map(lambda m: measure_names.get(str(m), ("合计", "all"))[0])
    out["name_en"] = out.measure.map(lambda m: measure_names.get(str(m), ("合计", "all"))[1])
    return out[columns]


def cost_table(totals: pd.DataFrame, scenarios: list[Scenario], variants: list[tuple[Scenario, int]]) -> pd.DataFrame:
    """Yuan per added resident (:mod:`experiments.cost_effectiveness`) of each scenario against the reference
    (``measure`` 0) and of each measure group against the scenario without it, over each period.

    ``totals``: :func:`cost_effectiveness.run_totals` of every run with columns ``variant`` (a scenario's name, or
    ``NAME-m`` for NAME without measure m) and ``replicate``.
    """
    reference = scenarios[0].name
    names = {m: (t.name_zh, t.name_en) for m, t in measure_targets().items()}
    parts = []
    for s in scenarios[1:]:
        whole = ("全部(对比参照情景)", f"all (against {reference})")
        rows = [(ce.cost_per_resident(totals, s.name, reference), ALL_MEASURES, reference, whole)]
        for m in [m for v, m in variants if v.name == s.name]:
            against = f"{s.name} without measure {m}"
            rows.append((ce.cost_per_resident(totals, s.name, f"{s.name}-{m}"), m, against, names[m]))
        for frame, m, against, (zh, en) in rows:
            if len(frame):  # none when the runs end before the plan's years
                parts.append(frame.assign(scenario=s.name, against=against, measure=m, name_zh=zh, name_en=en))
    if not parts:
        return pd.DataFrame(columns=ce.COLUMNS)
    return pd.concat(parts, ignore_index=True)[ce.COLUMNS]


def _measure_names() -> dict[str, tuple[str, str]]:
    from environment.targets import measure_targets

    return {str(m): (t.name_zh, t.name_en) for m, t in measure_targets().items()}


POPULATION = "haimen_population"  # the outcome the population target is read in


def _population(table: pd.DataFrame) -> pd.DataFrame:
    return table[table.outcome == POPULATION]


def year_reached(table: pd.DataFrame, band: Band | None, last: int) -> pd.DataFrame:
    """The first year each scenario's resident population reaches the plan's target (110万), read off the mean over
    its replicates, with the earliest and latest replicate; the share of replicates reaching it by ``last``, and
    the share of uncertainty points (each the mean of its replicates) by the band's last year."""
    target = targets()["population"].value
    pop = _population(table)
    mean = pop.groupby(["scenario", "year"], sort=False, as_index=False)["value"].mean()
    out = first_year_reached(mean, target, ["scenario"]).rename("year").reset_index()
    runs = first_year_reached(pop, target, ["scenario", "replicate"]).rename("first").reset_index()
    g = runs.groupby("scenario", sort=False)["first"]
    out["earliest"] = out.scenario.map(g.min()).astype("Int64")
    out["latest"] = out.scenario.map(g.apply(lambda f: f.max() if f.notna().all() else pd.NA)).astype("Int64")
    out["runs_share"] = out.scenario.map(g.apply(lambda f: f.notna().mean()))
    out["points_share"], out["points_until"] = np.nan, pd.NA
    if band is not None:
        points = _population(band.member_means())
        if not points.empty:
            first = first_year_reached(points, target, ["scenario", "member"]).groupby(level="scenario")
            out["points_share"] = out.scenario.map(first.apply(lambda f: f.notna().mean()))
            out["points_until"] = out.scenario.map(points.groupby("scenario").year.max())
    out["points_until"] = out["points_until"].astype("Int64")
    out.insert(1, "plan", target)
    out["reading"] = [
        f"{y}年达到 reached in {y}" if pd.notna(y) else f"到{last}年未达到 not by {last}" for y in out.year
    ]
    return out


def reached_by_year(table: pd.DataFrame, band: Band | None) -> pd.DataFrame:
    """By scenario and year: the share of replicates, and of uncertainty points, whose resident population has
    reached the plan's target in that year or before (points: NaN beyond the band's years or without one)."""
    target = targets()["population"].value
    runs = share_reached_by_year(_population(table), target, "scenario", "replicate")
    out = runs.rename(columns={"share": "runs_share"})
    if band is None:
        return out.assign(points_share=np.nan)
    points = share_reached_by_year(_population(band.member_means()), target, "scenario", "member")
    return out.merge(points.rename(columns={"share": "points_share"}), on=["scenario", "year"], how="left")


def settings_table(scenarios: list[Scenario]) -> pd.DataFrame:
    """What each scenario sets differently from the baseline (one row per scenario and setting)."""
    rows = []
    for s in scenarios:
        for key, value in s.settings.items():
            kind = "lever" if key in levers() else "parameter"
            rows.append({"scenario": s.name, "setting": key, "kind": kind, "value": value})
    return pd.DataFrame(rows, columns=["scenario", "setting", "kind", "value"])


def summary(result: Comparison) -> str:
    """The report in one paragraph: the first declared target for each scenario, each scenario's paired difference
    from the reference in the first declared outcome, and how many targets each scenario meets in every run."""
    first = result.scenarios[0]
    n = int(result.runs.replicate.nunique())
    text = (
        f"{len(result.scenarios)} scenarios on {n} paired replicates each (1:{first.scale}, {first.start}–{first.end})."
    )
    att = result.attainment.dropna(subset=["mean"])  # targets of years the runs reach
    if not att.empty:
        target = att[att.target == att.target.iloc[0]]
        row = target.iloc[0]
        levels = "; ".join(
            f"{r.scenario} {_amount(r['mean'], r.unit)} ({_amount(r.low, r.unit)} to {_amount(r.high, r.unit)})"
            for _, r in target.iterrows()
        )
        text += (
            f" {row.name_en} in {row.year}, mean and 95 % interval, against the plan's {_amount(row.plan, row.unit)}: "
            f"{levels}."
        )
    diff = result.differences
    if not diff.empty:
        lead = diff[diff.outcome == diff.outcome.iloc[0]]
        d = lead.iloc[0]
        changes = "; ".join(
            f"{r.scenario} {_amount(r['mean'], r.unit, sign=True)} "
            f"({_amount(r.low, r.unit, sign=True)} to {_amount(r.high, r.unit, sign=True)})"
            for _, r in lead.iterrows()
        )
        text += f" {d.name_en} in {d.year} against {result.reference}, paired: {changes}."
    total = result.attainment.target.nunique()
    met = att.groupby("scenario", sort=False)["met_share"].agg(lambda s: int((s == 1).sum()))
    within = att.target.nunique()
    of = f"of {total}" if within == total else f"of the {within} of {total} within the runs' years"
    scores = ", ".join(f"{s} {met.get(s, 0)}" for s in result.runs.scenario.unique())
    return text + f" Targets met in every run ({of}): {scores}."


def _amount(value: float, unit: str, sign: bool = False) -> str:
    """A figure as the report shows it: shares in per cent, everything else in whole numbers with separators."""
    plus = "+" if sign else ""
    if unit == "share":
        return f"{100 * value:{plus}.1f} %"
    return f"{value:{plus},.0f}"


def dominance(result: Comparison) -> str:
    """One sentence: at the population target's year, is the assumptions' band or the seed interval wider?"""
    att = result.attainment[(result.attainment.target == "population") & result.attainment["mean"].notna()]
    if result.band is None or "band_low" not in att or att.band_low.isna().all():
        return (
            "The 95 % intervals cover the seeds (the dice) only, not what we do not know: for the assumptions' band "
            "add --uncertainty-points N, or run the headline sweeps (abm sweep headline_baseline, headline_plan)."
        )
    if int(result.runs.replicate.nunique()) < 2:
        return "With one replicate there is no seed interval: the assumptions' band is the only uncertainty shown."
    year = int(att.year.iloc[0])
    level = att.dropna(subset=["band_low"])
    ratios = (level.band_high - level.band_low) / (level.high - level.low)
    parts = [f"{s} {r:,.0f}×" for s, r in zip(level.scenario, ratios, strict=True)]
    diff = result.differences
    if "band_low" in diff:
        d = diff[(diff.outcome == POPULATION) & diff.band_low.notna()]
        ratios = pd.concat([ratios, (d.band_high - d.band_low) / (d.high - d.low)])
        parts += [
            f"{s} − {result.reference} {r:,.0f}×" for s, r in zip(d.scenario, ratios.iloc[len(level) :], strict=True)
        ]
    return (
        f"Which dominates: in {year} the band across the assumptions of the resident population is "
        f"{', '.join(parts)} as wide as its 95 % seed interval; {which_dominates(ratios)}."
    )


def details(result: Comparison) -> str:
    """The terminal's tables after the summary: the year 110万 is reached, yuan per added resident, and the
    resident population's difference from the reference by year."""
    last = int(result.outcomes.year.max())
    target = targets()["population"].value
    lines = [dominance(result), "", f"Year the resident population first reaches {target:,.0f} (mean of the runs):"]
    for r in result.reached.to_dict("records"):
        spread = (
            "" if pd.isna(r["earliest"]) else f"; runs {r['earliest']}–{'' if pd.isna(r['latest']) else r['latest']}"
        )
        runs = f"; {r['runs_share']:.0%} of runs by {last}"
        points = (
            ""
            if pd.isna(r["points_share"])
            else f"; {r['points_share']:.0%} of uncertainty points by {r['points_until']}"
        )
        lines.append(f"  {r['scenario']}: {r['reading'].split(' ', 1)[1]}{spread}{runs}{points}")
    if not result.costs.empty:
        lines += ["", *format_costs(result.costs)]
    pop = result.by_year[result.by_year.outcome == POPULATION]
    if not pop.empty:
        lines += ["", f"Resident population, difference from {result.reference} by year (mean, 95 % paired interval):"]
        for year, part in pop.groupby("year", sort=True):
            cells = [f"{r.scenario} {r.mean:+,.0f} ({r.low:+,.0f} to {r.high:+,.0f})" for r in part.itertuples()]
            lines.append(f"  {year}: " + "; ".join(cells))
    return "\n".join(lines)


def format_costs(costs: pd.DataFrame) -> list[str]:
    """The cost table as aligned text: a row per scenario and measure, a column per period, and the range at the
    levers' low and high unit costs over the first period."""
    spans = sorted({(r["first"], r["last"]) for r in costs.to_dict("records")})
    first = spans[0]
    head = (
        f"{'':<42}"
        + "".join(f"{f'{a}–{b}':>34}" for a, b in spans)
        + f"{f'unit costs low–high {first[0]}–{first[1]}':>34}"
    )
    lines = [
        "Yuan per added resident: extra spending (Haimen's budget) ÷ extra residents over the period, paired runs; "
        "95 % Fieller interval",
        head,
    ]
    for (scenario, measure), part in costs.groupby(["scenario", "measure"], sort=False):
        by = {(r["first"], r["last"]): r for r in part.to_dict("records")}
        r0 = by[first]
        what = r0["name_en"] if measure == ALL_MEASURES else f"{measure} {r0['name_en']}"
        cells = "".join(f"{ce.shown(by[span]) if span in by else '':>34}" for span in spans)
        low_high = (
            ""
            if pd.isna(r0["at_low_unit_costs"])
            else f"{r0['at_low_unit_costs']:,.0f}–{r0['at_high_unit_costs']:,.0f}"
        )
        lines.append(f"{f'{scenario}, {what}'[:41]:<42}{cells}{low_high:>34}")
    return lines

"""Scenario discovery: under which uncertainties and lever settings does a target hold?

From a finished sweep (``abm sweep``), each design point's outcome (mean over its replicates) is
compared with a target, and EMA Workbench's PRIM finds boxes in the space of the sweep's factors
where the target holds (the peeling trajectory: coverage against density, with EMA's quasi-p-values
for each restricted factor); a CART tree (EMA Workbench's, on scikit-learn) is grown for comparison.

The target is an outcome at a year (``haimen_population@2025``) with a comparison
(``>= 110万``), or the **effect** of the sweep's base scenario against a paired sweep
(``--against``: the same design points and seeds), e.g. ``plan effect < 2万``.

>>> data = load_cases("results/sweeps/headline_plan", "haimen_population@2025", ">= 110万")
>>> found = discover(data)
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from environment.settings import NEVER, levers, parameters
from experiments.criteria import Condition, CriterionError, Term, parse_comparison, parse_term
from experiments.sweep import Factor
from experiments.sweep_store import manifest, meta

MIN_DENSITY = 0.8  # the box chosen: the widest (most coverage) whose density reaches this, else the densest
PEEL_ALPHA = 0.05  # share of cases peeled at each step (EMA's default)
MASS_MIN = 0.05  # smallest share of cases a box (or a CART leaf) may hold (EMA's default)
CART_SEED = 0  # scikit-learn draws feature order at random: fixed so that reruns give the same tree


class DiscoveryError(CriterionError):
    """A discovery that cannot be made: which flag or folder, what value, why, what to do."""


@dataclass(frozen=True)
class Target:
    """What counts as a case of interest: ``term`` (or its effect against a paired sweep) meeting ``condition``."""

    term: Term
    condition: Condition
    effect_of: str = ""  # the base scenario whose effect is measured ("" : the outcome itself)
    against: str = ""  # the paired sweep's folder

    @property
    def text(self) -> str:
        subject = f"{self.effect_of} effect on {self.term.text}" if self.effect_of else self.term.text
        return f"{subject} {self.condition.text}"

    def labels(self) -> tuple[str, str]:
        """The target in Chinese and English."""
        zh, en, _ = self.term.labels()
        threshold = self.condition.text
        if self.effect_of:
            return f"{self.effect_of}对{zh}的效应 {threshold}", f"effect of {self.effect_of} on {en} {threshold}"
        return f"{zh} {threshold}", f"{en} {threshold}"


@dataclass
class Cases:
    """One row per design point: the factors' values (``x``), the outcome (``value``) and whether it is a case."""

    x: pd.DataFrame
    value: np.ndarray
    met: np.ndarray
    factors: list[Factor]
    target: Target
    folder: Path
    replicates: int
    dropped: int  # design points without a finished run


def parse_target(text: str, term: Term, base: str) -> tuple[Condition, str]:
    """``">= 110万"`` or ``"effect < 2万"`` / ``"plan effect < 2万"`` (``plan``: the sweep's base scenario)."""
    words = text.split()
    effect = ""
    if "effect" in words[:2]:
        before = words[: words.index("effect")]
        if before and before[0] != base:
            raise DiscoveryError(
                "--target", "target", text, f"'{before[0]} effect': this sweep's base scenario is {base!r}"
            )
        effect = base
        text = " ".join(words[words.index("effect") + 1 :])
    op, threshold = parse_comparison(text, "--target", "target")
    return Condition(None, op, threshold), effect


def load_cases(folder: str | Path, outcome: str, target: str, against: str | Path | None = None) -> Cases:
    """Read a finished sweep and mark each design point that meets the target.

    ``outcome``: ``KEY@YEAR`` (or ``KEY@FIRST:LAST`` for a flow's total; ``KEY`` alone: at its headline year);
    ``target``: ``OP NUMBER`` or ``[BASE] effect OP NUMBER`` with ``against`` the paired sweep.
    """
    folder = Path(folder)
    identity = meta(folder)["identity"]
    if "@" not in outcome:
        outcome = f"{outcome}@{_headline_year(outcome, identity['end'])}"
    term = parse_term(outcome, "--outcome", "outcome", identity["end"])
    condition, effect = parse_target(target, term, identity["base"])
    if effect and against is None:
        raise DiscoveryError("--target", "target", target, "an effect needs --against: the paired sweep's folder")
    if against is not None and not effect:
        raise DiscoveryError("--against", "against", str(against), 'only with an effect target, e.g. "effect < 2万"')
    factors = [Factor(**(f | {"values": tuple(f["values"])})) for f in identity["factors"]]
    per_run = _run_values(folder, term)
    if effect:
        per_run = per_run - _paired(folder, Path(against), term, per_run.index)
    per_point = per_run.groupby(level="point").mean().dropna()
    design = pd.read_parquet(folder / "design.parquet").set_index("point")
    dropped = len(design) - len(per_point)
    design = design.loc[per_point.index]
    x = pd.DataFrame({f.key: _column(f, design[f.key]) for f in factors}, index=design.index)
    values = per_point.to_numpy(float)
    met = condition.met(values)
    found = Target(term, condition, effect, str(against) if against is not None else "")
    _check_both_kinds(found, values, met)
    return Cases(x.reset_index(drop=True), values, met, factors, found, folder, identity["replicates"], dropped)


def _headline_year(key: str, end: int) -> int:
    """The year reports read an outcome at (``abm.outcomes.Outcome.headline_year``), if ``key`` is declared."""
    from abm.outcomes import owner

    try:
        return owner(key).headline_year(end)
    except KeyError:
        return end  # parse_term says what is wrong with the key


def _run_values(folder: Path, term: Term) -> pd.Series:
    """The term for each finished run, indexed by (point, replicate)."""
    import pyarrow.dataset as ds

    runs = manifest(folder)
    runs = runs[runs.status == "done"]
    if runs.empty:
        raise DiscoveryError(str(folder), "runs", None, "no finished run in this sweep: run `abm sweep` first")
    table = ds.dataset(folder / "outcomes", format="parquet").to_table(
        filter=(ds.field("outcome") == term.key) & (ds.field("year") >= term.first) & (ds.field("year") <= term.last)
    )
    values = term.values(table.to_pandas(), run_ids=runs.run_id.to_numpy())
    return pd.Series(values.to_numpy(), index=pd.MultiIndex.from_frame(runs[["point", "replicate"]]), name="value")


def _paired(folder: Path, against: Path, term: Term, index: pd.MultiIndex) -> pd.Series:
    """The paired sweep's values for the same (point, replicate), after checking that the designs and seeds agree."""
    mine, theirs = meta(folder)["identity"], meta(against)["identity"]
    same = ("factors", "design", "samples", "levels", "design_seed", "seed", "replicates", "paired", "scale", "end")
    differ = [k for k in same if mine[k] != theirs[k]]
    if differ:
        raise DiscoveryError(
            "--against",
            "against",
            str(against),
            f"not paired with {folder}: {', '.join(differ)} differ (pair two sweep files that share design and seeds, "
            "e.g. headline_plan and headline_baseline)",
        )
    other = _run_values(against, term).reindex(index)
    return other


def _column(factor: Factor, values: pd.Series) -> pd.Series:
    """A factor's values as PRIM and CART read them: numbers, or categories (``never`` for a project that does not
    open, ``true``/``false`` for a switch)."""
    if factor.kind == "float":
        return values.astype(float)
    if factor.kind == "int":
        return values.astype("int64")
    labels = [choice_label(v) for v in factor.values]
    return pd.Series(pd.Categorical([choice_label(v) for v in values], categories=labels), index=values.index)


def choice_label(value: Any) -> str:
    """How a categorical or boolean value is shown: ``never``, ``true``, ``false``, ``2027``, ``600``."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return NEVER
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _shown(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.4g}"


def _check_both_kinds(target: Target, values: np.ndarray, met: np.ndarray) -> None:
    """Refuse a target that every point, or no point, meets: there is nothing to tell apart."""
    n, k = len(met), int(met.sum())
    if n == 0:
        raise DiscoveryError("--outcome", "outcome", target.term.text, "no design point has this outcome")
    if 0 < k < n:
        return
    spread = f"across the {n} design points the value runs from {_shown(np.nanmin(values))} to "
    spread += _shown(np.nanmax(values))
    which = "no" if k == 0 else "every"
    raise DiscoveryError(
        "--target", "target", target.condition.text, f"{which} design point meets it ({spread}): nothing to discover"
    )


# ------------------------------------------------------------------ PRIM and CART


@dataclass
class Discovery:
    """PRIM's peeling trajectory and the chosen box, and the CART tree's leaves."""

    cases: Cases
    prim: Any  # ema_workbench.analysis.prim.Prim
    box: Any  # its PrimBox (the whole trajectory)
    chosen: int  # the box chosen on the trajectory
    limits: pd.DataFrame  # one row per factor: the sweep's range, the box's limits, quasi-p-values
    trajectory: pd.DataFrame
    cart: Any  # ema_workbench.analysis.cart.CART
    leaves: pd.DataFrame  # one row per CART leaf: its rule, cases, coverage, density, mass
    min_density: float


def discover(
    cases: Cases,
    box: int | None = None,
    min_density: float = MIN_DENSITY,
    peel_alpha: float = PEEL_ALPHA,
    mass_min: float = MASS_MIN,
) -> Discovery:
    """Run PRIM (one box, its whole peeling trajectory) and CART on ``cases``; choose a box.

    ``box``: the trajectory step to report (default: the one with the most coverage among those whose density
    reaches ``min_density`` and at least halfway from the share of all cases meeting the target to 1; if none
    does, the densest).
    """
    from experiments.ema import import_workbench

    import_workbench()  # quietly (its notice about the optional ipyparallel)
    from ema_workbench.analysis import cart, prim

    y = cases.met.astype(int)
    with warnings.catch_warnings():  # EMA Workbench 3.0 uses pandas' deprecated inplace=True: not ours to fix
        warnings.filterwarnings("ignore", module="ema_workbench")
        found = prim.Prim(cases.x, y, peel_alpha=peel_alpha, mass_min=mass_min)
        prim_box = found.find_box()
    trajectory = prim_box.peeling_trajectory.copy()
    min_density = max(min_density, (float(y.mean()) + 1) / 2)  # a real gain over the whole space, at least
    chosen = choose_box(trajectory, min_density) if box is None else box
    if not 0 <= chosen < len(trajectory):
        raise DiscoveryError("--box", "box", box, f"a step of the peeling trajectory, 0 to {len(trajectory) - 1}")
    limits = box_limits(cases, found.box_init, prim_box.box_lims[chosen], prim_box.p_values[chosen])
    tree = cart.CART(cases.x, y, mass_min=mass_min)
    state = np.random.get_state()
    np.random.seed(CART_SEED)
    try:
        tree.build_tree()
    finally:
        np.random.set_state(state)
    return Discovery(cases, found, prim_box, chosen, limits, trajectory, tree, cart_leaves(tree, cases), min_density)


def choose_box(trajectory: pd.DataFrame, min_density: float) -> int:
    """The widest box dense enough (most coverage, then most density, then fewest restricted factors), else the
    densest."""
    dense = trajectory[trajectory.density >= min_density - 1e-12]
    if dense.empty:
        best = trajectory.sort_values(["density", "coverage"], ascending=False, kind="stable")
    else:
        best = dense.sort_values(["coverage", "density", "res_dim"], ascending=[False, False, True], kind="stable")
    return int(best.index[0])


def box_limits(cases: Cases, initial: pd.DataFrame, limits: pd.DataFrame, p_values: dict) -> pd.DataFrame:
    """Every factor: what kind of input it is, its range in the sweep, the box's limits and EMA's quasi-p-values
    (one-sided binomial tests of each restricted limit, Bryant and Lempert 2010; empty where not restricted)."""
    rows = []
    for f in cases.factors:
        zh, en, kind = setting_labels(f.key)
        lo, hi = limits[f.key].iloc[0], limits[f.key].iloc[1]
        lo0, hi0 = initial[f.key].iloc[0], initial[f.key].iloc[1]
        numeric = f.kind in ("float", "int")
        if numeric:
            restricted = bool(lo > lo0 or hi < hi0)
            box_text = _range_text(lo, hi, lo0, hi0, f.kind)
            sweep_text = f"{_num(lo0, f.kind)} – {_num(hi0, f.kind)}"
        else:
            chosen = set(lo) & set(hi)  # EMA keeps a category's allowed values in both rows
            restricted = len(chosen) < len(initial[f.key].iloc[0])
            box_text = "{" + ", ".join(_ordered(chosen, f)) + "}"
            sweep_text = "{" + ", ".join(_ordered(initial[f.key].iloc[0], f)) + "}"
        qp = p_values.get(f.key, [np.nan, np.nan]) if restricted else [np.nan, np.nan]
        qp = [np.nan if q is None or q < 0 else float(q) for q in qp]
        rows.append(
            {
                "factor": f.key,
                "kind": kind,
                "name_zh": zh,
                "name_en": en,
                "restricted": restricted,
                "sweep_range": sweep_text,
                "box": box_text,
                "box_low": float(lo) if numeric else np.nan,
                "box_high": float(hi) if numeric else np.nan,
                "qp_low": qp[0],
                "qp_high": qp[1],
            }
        )
    return pd.DataFrame(rows)


def _ordered(labels, factor: Factor) -> list[str]:
    order = [choice_label(v) for v in factor.values]
    return sorted(labels, key=lambda label: order.index(label) if label in order else len(order))


def _num(value: float, kind: str) -> str:
    return f"{value:.0f}" if kind == "int" else f"{value:.4g}"


def _range_text(lo: float, hi: float, lo0: float, hi0: float, kind: str) -> str:
    if lo > lo0 and hi < hi0:
        return f"{_num(lo, kind)} – {_num(hi, kind)}"
    if lo > lo0:
        return f"≥ {_num(lo, kind)}"
    if hi < hi0:
        return f"≤ {_num(hi, kind)}"
    return "any 不限"


def setting_labels(key: str) -> tuple[str, str, str]:
    """(Chinese name, English name, kind) of a lever or parameter from the registries."""
    if key in levers():
        lever = levers()[key]
        return lever.name_zh, lever.name_en, "lever 政策杠杆"
    p = parameters()[key]
    return p.name_zh, p.name_en, "uncertainty 不确定参数"


def cart_leaves(tree: Any, cases: Cases) -> pd.DataFrame:
    """Each leaf of the CART tree: its rule in words, cases in it, cases of interest, coverage, density, mass."""
    clf = tree.clf
    names = tree.feature_names
    leaf_of = clf.apply(tree._x)
    y = cases.met.astype(int)
    total, n = max(int(y.sum()), 1), len(y)
    rows = []
    categories = {c: list(cases.x[c].cat.categories) for c in cases.x.select_dtypes("category")}
    for leaf, rule in _rules(clf.tree_, names, categories).items():
        inside = leaf_of == leaf
        k, m = int(y[inside].sum()), int(inside.sum())
        rows.append(
            {
                "leaf": leaf,
                "rule": " and ".join(rule) if rule else "all cases 全部",
                "cases": m,
                "of_interest": k,
                "coverage": k / total,
                "density": k / m if m else np.nan,
                "mass": m / n,
            }
        )
    return pd.DataFrame(rows).sort_values(["density", "coverage"], ascending=False, ignore_index=True)


def _rules(tree: Any, names: list[str], categories: dict[str, list[str]]) -> dict[int, list[str]]:
    """The conditions on the path to each leaf of a fitted scikit-learn tree, in words (dummy columns of a
    category as ``= value`` or ``≠ value``; ``≠`` one of two values as ``=`` the other)."""
    out: dict[int, list[str]] = {}
    stack = [(0, [])]
    while stack:
        node, path = stack.pop()
        left, right = tree.children_left[node], tree.children_right[node]
        if left == -1:
            out[int(node)] = path
            continue
        name, threshold = names[tree.feature[node]], tree.threshold[node]
        if "!?!" in name:  # EMA's dummy column for one category: KEY!?!VALUE, 0 or 1
            key, value = name.split("!?!", 1)
            others = [c for c in categories.get(key, []) if c != value]
            unequal = f"{key} = {others[0]}" if len(others) == 1 else f"{key} ≠ {value}"
            stack += [(right, [*path, f"{key} = {value}"]), (left, [*path, unequal])]
        else:
            stack += [(right, [*path, f"{name} > {threshold:.4g}"]), (left, [*path, f"{name} ≤ {threshold:.4g}"])]
    return dict(sorted(out.items()))


def slug(target: Target) -> str:
    """A folder name for a target: ``haimen_population@2025-ge-1100000``."""
    words = {">=": "ge", ">": "gt", "<=": "le", "<": "lt"}
    prefix = f"{target.effect_of}-effect-" if target.effect_of else ""
    value = target.condition.threshold
    threshold = str(int(value)) if value == int(value) else f"{value:g}"
    name = f"{prefix}{target.term.text.replace(':', '-')}-{words[target.condition.op]}-{threshold}"
    return re.sub(r"[^A-Za-z0-9_@.+-]", "_", name)

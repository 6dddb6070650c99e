"""The model as an EMA Workbench model: uncertainties, levers and outcomes read from the registries.

>>> from ema_workbench import SequentialEvaluator, perform_experiments
>>> from ema_workbench.analysis import prim
>>> model = ema_model(scale=200, end=2025, seeds=(1, 2))
>>> experiments, outcomes = perform_experiments(model, scenarios=50, policies=4)
>>> box = prim.Prim(experiments[[u.name for u in model.uncertainties]],
...                 outcomes["haimen_population_2025"] >= 1_100_000).find_box()

What comes from where:

- **uncertainties**: the uncertain parameters of ``environment/data/parameters.toml`` (default: every one
  that is not a calibrated constant; a calibrated constant only when named), each over its declared range;
- **levers**: the modelled levers of ``environment/data/levers.toml`` (default: all), each over its declared
  range, defaulting to the base scenario's value; a true/false lever is a ``BooleanParameter``, a choice among
  names (such as the parameter ``after_plan``) a ``CategoricalParameter``, a whole number an ``IntegerParameter``,
  a number a ``RealParameter``; an opening year that may be "never" is an
  ``IntegerParameter`` from its first year to its last year + 1, where last + 1 stands for **never**
  (:data:`NEVER_IS_LAST_PLUS`: PRIM and the optimisers then read "never" as "later than any year");
- **outcomes**: declared outcomes (``environment/data/outcomes.toml``) at chosen years, ``KEY@YEAR`` or a yearly
  flow's total ``KEY@FIRST:LAST`` (``experiments.criteria``), named ``KEY_YEAR`` / ``KEY_FIRST_LAST``; each is
  the mean over the seeds; ``directions`` marks some to maximise or minimise (for ``optimize``);
- **seeds**: a ``ReplicatorModel`` whose replications are the fixed ``seeds``, so every policy under every
  scenario runs on the same seeds (paired: differences between policies are theirs, not the dice's).

EMA Workbench 3.0's ``optimize`` cannot yet decode a Boolean or categorical lever (its platypus ``Subset``
comes back as a list): give it numeric levers (``levers_searched``), or search with ``abm optimize``.

With ``recalibrate=(scale, seeds)`` every scenario's free constants are refitted to the 2010–2020 history
first (``experiments.calibrate.fitted_constants``, cached on disk); then no calibrated constant may be varied.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from environment.settings import Lever, Setting, levers, parameters
from experiments.criteria import parse_term

NEVER_IS_LAST_PLUS = 1  # a "never"-able year lever's value last year + this means "never"
DEFAULT_OUTCOMES = (
    "haimen_population@2025",
    "added_kaifaqu@2025",
    "added_gangxinqu@2025",
    "added_sanxing@2025",
    "urbanization@2025",
    "spending@2022:2025",
)
DEFAULT_DIRECTIONS = {"haimen_population@2025": "max", "spending@2022:2025": "min"}


def import_workbench():
    """``ema_workbench``, imported without its notice about the optional ipyparallel package."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="ipyparallel not installed", category=UserWarning)
        import ema_workbench

    return ema_workbench


def parameter(setting: Setting, default: Any = None):
    """The EMA Workbench parameter of a lever or uncertain parameter (its kind, declared range and default)."""
    ema = import_workbench()
    key = setting.key
    if setting.kind == "bool":
        return ema.BooleanParameter(key, default=default)
    if setting.kind == "choice":
        return ema.CategoricalParameter(key, list(setting.values), default=default)
    if setting.kind in ("int", "year"):
        high = int(setting.high) + (NEVER_IS_LAST_PLUS if setting.never else 0)
        return ema.IntegerParameter(key, int(setting.low), high, default=encode(setting, default))
    return ema.RealParameter(key, float(setting.low), float(setting.high), default=default)


def encode(setting: Setting, value: Any) -> Any:
    """A setting's value as its EMA parameter holds it ("never" as the last year + 1)."""
    if setting.never and value is None:
        return int(setting.high) + NEVER_IS_LAST_PLUS
    return value


def decode(setting: Setting, value: Any) -> Any:
    """An EMA parameter's value as the model takes it (the last year + 1 as "never")."""
    if setting.never and value is not None and value > setting.high:
        return None
    return value


def ema_model(
    scale: int = 200,
    end: int = 2025,
    seeds: Sequence[int] = (1,),
    base: str = "plan",
    uncertainties: Iterable[str] | None = None,
    levers_searched: Iterable[str] | None = None,
    outcomes: Iterable[str] = DEFAULT_OUTCOMES,
    directions: Mapping[str, str] | None = None,
    recalibrate: tuple[int, tuple[int, ...]] | None = None,
    name: str = "haimen",
):
    """The model as an ``ema_workbench.ReplicatorModel`` (see the module's docstring).

    Parameters
    ----------
    scale : people per agent.
    end : last year simulated (outcomes' years must not be later).
    seeds : the replications' seeds (the same for every experiment: paired runs).
    base : scenario whose settings hold where a lever is not given (its levers' defaults).
    uncertainties : parameter keys (default: every parameter that is not a calibrated constant).
    levers_searched : lever keys (default: every modelled lever).
    outcomes : ``KEY@YEAR`` or ``KEY@FIRST:LAST`` terms over the declared outcomes.
    directions : term → "max" or "min" (default: population 2025 up, spending 2022–2025 down, where present).
    recalibrate : (scale, seeds) of each scenario's refit of the free constants, or None.
    """
    from environment import scenario as sc

    ema = import_workbench()
    base_settings = sc.load(base).settings
    unknown = [k for k in (uncertainties or []) if k not in parameters()]
    unknown += [k for k in (levers_searched or []) if k not in levers() or not levers()[k].modelled]
    if unknown:
        raise ValueError(f"ema_model: {unknown[0]!r} is not an uncertain parameter or a modelled lever")
    chosen_uncertainties = list(uncertainties or [k for k, p in parameters().items() if not p.calibrated])
    fitted = [k for k in chosen_uncertainties if parameters()[k].calibrated]
    if fitted and recalibrate:
        raise ValueError(f"ema_model: {fitted[0]!r} is a calibrated constant: it cannot vary when refitted")
    chosen_levers = list(levers_searched or [k for k, lv in levers().items() if lv.modelled])
    terms = [parse_term(text, "ema_model", "outcomes", end) for text in outcomes]
    directions = DEFAULT_DIRECTIONS if directions is None else directions
    kinds = {"max": ema.ScalarOutcome.MAXIMIZE, "min": ema.ScalarOutcome.MINIMIZE}

    model = ema.ReplicatorModel(name, function=run_experiment)
    model.uncertainties = [parameter(parameters()[k], parameters()[k].default) for k in chosen_uncertainties]
    model.levers = [parameter(levers()[k], base_settings.get(k, levers()[k].baseline)) for k in chosen_levers]
    model.constants = [
        ema.Constant("scale", scale),
        ema.Constant("end", end),
        ema.Constant("base_settings", dict(base_settings)),
        ema.Constant("terms", tuple(t.text for t in terms)),
        ema.Constant("recalibrate", recalibrate),
    ]
    model.outcomes = [
        ema.ScalarOutcome(t.name, kind=kinds.get(directions.get(t.text, ""), ema.ScalarOutcome.INFO), function=_mean)
        for t in terms
    ]
    model.replications = [{"seed": int(s)} for s in seeds]
    return model


def _mean(values: Sequence[float]) -> float:
    """An outcome over the replications (seeds): their mean."""
    return float(sum(values) / len(values))


def run_experiment(
    scale: int,
    end: int,
    base_settings: Mapping[str, Any],
    terms: Sequence[str],
    recalibrate: tuple[int, tuple[int, ...]] | None,
    seed: int,
    **values: Any,
) -> dict[str, float]:
    """One run for EMA Workbench: the base settings with the experiment's values, the outcomes' values."""
    from experiments.runner import RunSpec, run_model

    registry: dict[str, Lever | Setting] = {**parameters(), **levers()}
    settings = dict(base_settings) | {k: decode(registry[k], v) for k, v in values.items()}
    spec = RunSpec(settings, scale=scale, seed=seed, end=end, recalibrate=recalibrate)
    table = run_model(spec).outcomes().assign(run_id="run")
    chosen = [parse_term(text, "ema_model", "outcomes", end) for text in terms]
    return {t.name: float(t.values(table, run_ids=["run"]).iloc[0]) for t in chosen}

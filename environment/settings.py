"""The registries of policy levers, uncertain parameters and run options, and their validation.

A lever (what the plan chooses) and a parameter (what we do not know) are each
declared once, in ``data/levers.toml`` and ``data/parameters.toml``; the run
options (scale, seed, last year) in ``data/run_options.toml``. What a lever may act
on, and whom a payment may pay, are closed vocabularies (``data/lever_actions.toml``)
that :func:`levers` checks every declaration against. Scenario files,
the command line, the web page, sweeps and the docs all read these declarations;
:meth:`Setting.check` is the one place a value is checked and converted (numpy
scalars included), and :func:`resolve` turns user overrides into checked values.
"""

from __future__ import annotations

import difflib
import math
import unicodedata
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, fields, replace
from functools import cache
from typing import Any

from environment.inputs import read_toml

KINDS = ("bool", "int", "float", "year", "choice")  # "choice": one of a declared list of names
NEVER = "never"  # the value of a project lever that does not open within the run
SHOWN_CHARACTERS = 80  # longest value echoed back in an error message


class InputError(ValueError):
    """A mistake in what the user gave (a file, an argument, a value): reported in one line, exit status 2."""

    def __reduce__(self):  # subclasses take their own arguments: rebuilt from the message (from a worker process)
        return _rebuilt, (type(self), str(self), self.__dict__)


def _rebuilt(kind: type[InputError], message: str, state: dict[str, Any]) -> InputError:
    error = kind.__new__(kind)
    ValueError.__init__(error, message)
    error.__dict__.update(state)
    return error


class SettingError(InputError):
    """A lever, parameter or run option given a value it cannot take."""

    def __init__(self, key: str, value: Any, allowed: str, where: str = "") -> None:
        self.key, self.value, self.allowed, self.where = key, value, allowed, where
        prefix = f"{where}: " if where else ""
        super().__init__(f"{prefix}{key} = {shown(value)}: {allowed}")


class FileError(InputError):
    """An input file (scenario, sweep) that cannot be used: which file, which key, which value, what is allowed."""

    def __init__(self, where: str, key: str, value: Any, allowed: str) -> None:
        self.where, self.key, self.value, self.allowed = where, key, value, allowed
        value_text = "" if value is None else f" = {shown(value)}"
        super().__init__(f"{where}: {key}{value_text}: {allowed}")


class SettingTypeError(SettingError, TypeError):
    """A setting given a value of the wrong type (also a TypeError)."""


def shown(value: Any) -> str:
    """``repr(value)`` cut to a readable length."""
    text = repr(value)
    return text if len(text) <= SHOWN_CHARACTERS else text[: SHOWN_CHARACTERS - 1] + "…"


def plain(value: Any) -> Any:
    """numpy scalars and 0-d arrays as the Python bool, int or float they hold; other values unchanged."""
    if getattr(value, "shape", None) == () and hasattr(value, "item"):
        return value.item()
    return value


@dataclass(frozen=True)
class Setting:
    """Something a run can set: a key, its kind, its allowed range and its meaning."""

    key: str
    kind: str
    unit: str
    name_en: str
    name_zh: str
    low: float | None = None
    high: float | None = None
    never: bool = False  # a year that may also be "never"
    values: tuple[str, ...] = ()  # a choice: the names it may take
    accepted: tuple[float, float] | None = (
        None  # values accepted beyond [low, high] for what-ifs (sweeps use the range)
    )

    def check(self, value: Any, where: str = "") -> bool | int | float | str | None:
        """Return ``value`` converted to this setting's kind (``None`` for "never"), or raise SettingError."""
        value = plain(value)
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise SettingTypeError(self.key, value, "must be true or false", where)
            return value
        if self.kind == "choice":
            if not isinstance(value, str):
                raise SettingTypeError(self.key, value, f"must be a name ({self.allowed()})", where)
            if value not in self.values:
                close = difflib.get_close_matches(value, self.values, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise SettingError(self.key, value, f"not a choice: {self.allowed()}{hint}", where)
            return value
        if self.never and (value is None or value == NEVER):
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SettingTypeError(self.key, value, f"must be a number ({self.allowed()})", where)
        if isinstance(value, float) and not math.isfinite(value):
            raise SettingError(self.key, value, f"must be a finite number ({self.allowed()})", where)
        low, high = self.accepted or (self.low, self.high)
        if (low is not None and value < low) or (high is not None and value > high):
            raise SettingError(self.key, value, f"out of range: {self.allowed()}", where)
        if self.kind in ("int", "year"):
            if value != int(value):
                raise SettingError(self.key, value, f"must be a whole number ({self.allowed()})", where)
            return int(value)
        return float(value)

    def allowed(self) -> str:
        """Human-readable allowed values."""
        if self.kind == "bool":
            return "true or false"
        if self.kind == "choice":
            return "one of " + ", ".join(self.values)
        unit = f" {self.unit}" if self.unit and self.unit != self.kind else ""
        never = f', or "{NEVER}"' if self.never else ""
        accepted = f" (what-ifs from {_fmt(self.accepted[0])} to {_fmt(self.accepted[1])})" if self.accepted else ""
        return f"{self.kind} from {_fmt(self.low)} to {_fmt(self.high)}{unit}{accepted}{never}"


@dataclass(frozen=True)
class Payment:
    """A payment lever's rule: whom it pays and for how long. One rule, read by the residence choice (the subsidy
    term) and the spending table (``agents/payments.py``)."""

    per: str  # what one recipient is: "household", or a person condition (lever_actions.toml [recipient.*])
    who: tuple[str, ...]  # conditions on the household, all of which must hold
    months: int = 1  # months paid a year: 12 for a monthly amount, 1 for a yearly or one-off one
    years: int = 1  # years paid (1: once); newcomers are paid in their first ``years`` years
    age_limit: int | None = None  # the age under which a condition's "young" holds (young_graduate, young_child)
    in_residence_choice: bool = True  # whether newcomers weigh it in where to live


@dataclass(frozen=True)
class TimeProfile:
    """When a lever acts: ramps up linearly from ``first_year`` to full in ``full_year``; a lever whose programme ends
    with the plan declares ``last_full_year`` (the plan's last year) and ``last_year`` (the end of its phase-out).
    After ``last_full_year`` the parameter ``after_plan`` decides: ``stop`` (nothing after it), ``phase_out``
    (linearly down to nothing after ``last_year``) or ``continue`` (no end). Outside, the lever is at its baseline.
    Applied in one place, ``environment.policy.Policy.value``; transport levers act from their opening year
    instead, and a lever without ``last_full_year`` (what is built or reformed) stays."""

    first_year: int | None = None  # None: the plan's adoption
    full_year: int | None = None  # None: complete in its first year
    last_full_year: int | None = None  # None: no end (with last_year: both or neither)
    last_year: int | None = None  # the phase-out's last year (acting at 1/(last_year - last_full_year + 1))


@dataclass(frozen=True)
class UnitCost:
    """What one unit of a lever costs, in yuan, with its range: ``per`` names the quantity counted (``data/
    lever_actions.toml`` ``[quantity.*]``), ``budget`` who pays (``haimen``: Haimen's budget; ``external``: capital
    financed outside it, booked on its own line). Costs do not feed back into behaviour (payments act through the
    residence choice), so the range applies to recorded quantities afterwards (``abm.recording.spending_at``)."""

    yuan: float
    per: str  # the quantity: "job", "seat", "dwelling", "project", "yuan_paid", ...
    low: float
    high: float
    basis: str
    budget: str = "haimen"

    def at(self, level: str) -> float:
        """The unit cost at ``level``: "low", "central" or "high"."""
        return {"low": self.low, "central": self.yuan, "high": self.high}[level]


@dataclass(frozen=True)
class Quantity:
    """What a unit cost is per (``data/lever_actions.toml`` ``[quantity.*]``): its meaning, the actions whose levers
    it may count (empty: any) and the code counting it."""

    key: str
    unit_en: str
    unit_zh: str
    meaning_en: str
    meaning_zh: str
    actions: tuple[str, ...]
    counted_by: str  # "file: function"


BUDGETS = ("haimen", "external")
COST_LEVELS = ("low", "central", "high")


@dataclass(frozen=True)
class Lever(Setting):
    """A plan measure as a policy lever (EMA Workbench's 'lever'): what it acts on and the terms the model reads."""

    measure: int = 0
    items: tuple[int, ...] = ()
    baseline: Any = None
    plan: Any = None
    plan_basis: str = ""
    description_en: str = ""
    description_zh: str = ""
    modelled: bool = True
    reason: str = ""
    acts_on: tuple[str, ...] = ()  # its actions (data/lever_actions.toml), read by environment.policy
    project: str = ""  # transport: the project whose opening year (or switch) this lever sets
    amounts: tuple[tuple[str, str], ...] = ()  # a project's other actions: (action, parameter giving its amount)
    phase_in_years: int | None = None  # a project's jobs arrive in equal parts over these years after opening
    age_limit: int | None = None  # youth_amenity: reaches people under this age
    course_years: int | None = None  # students: stay this long
    payment: Payment | None = None  # payment: whom it pays and for how long
    delivery: str = ""  # the parameter giving the share of its increment above baseline that is delivered
    profile: TimeProfile = TimeProfile()
    cost: UnitCost | None = None  # every modelled lever's

    def amount_parameter(self, action: str) -> str:
        """The parameter giving the amount of a project lever's ``action`` (its value is an opening year)."""
        return dict(self.amounts)[action]


@dataclass(frozen=True)
class Action:
    """Something a lever can act on (``data/lever_actions.toml``): its meaning, the fields of the year's policy
    (``environment.policy.PolicyYear``) it sets and where the model reads them."""

    key: str
    name_en: str
    name_zh: str
    meaning_en: str
    meaning_zh: str
    fields: tuple[str, ...]
    read_by: tuple[str, ...]  # "file: what reads it (stage)"


@dataclass(frozen=True)
class PaymentCondition:
    """A condition a payment's rule names (``data/lever_actions.toml`` ``[recipient.*]``)."""

    key: str
    level: str  # "household" (in ``who``) or "person" (a ``per``)
    meaning_en: str
    meaning_zh: str
    age_limit: bool = False  # holds under the payment's age_limit
    at_move: bool = False  # known only as the household moves
    needs: str = ""  # another condition a rule naming this one names too


@dataclass(frozen=True)
class Parameter(Setting):
    """An uncertain input with a plausible range (EMA Workbench's 'uncertainty')."""

    group: str = ""
    default: Any = None
    basis: str = ""
    calibrated: bool = False


def _fmt(x: float | None) -> str:
    return "-inf" if x is None else f"{x:g}"


def _check_value(setting: Setting, value: Any, file: str) -> Any:
    """A declared value (baseline, plan, default) checked against its own declaration."""
    return setting.check(value, where=f"environment/data/{file}")


LEVERS_FILE = "environment/data/levers.toml"
LEVER_KEYS = frozenset(
    {
        *("measure", "items", "type", "unit", "name_en", "name_zh", "description_en", "description_zh"),
        *("min", "max", "never", "baseline", "plan", "plan_basis", "modelled", "reason"),
        *("acts_on", "project", "amounts", "phase_in_years", "age_limit", "course_years"),
        *("payment", "delivery", "profile", "cost"),
    }
)
PROJECT_ACTIONS = ("jobs", "amenity")  # what a transport project may bring besides travel times, by a parameter


@cache
def lever_actions() -> dict[str, Action]:
    """What a lever can act on: the closed vocabulary of ``acts_on`` (``data/lever_actions.toml``)."""
    return {
        key: Action(key=key, **{**d, "fields": tuple(d["fields"]), "read_by": tuple(d["read_by"])})
        for key, d in read_toml("lever_actions.toml")["action"].items()
    }


@cache
def cost_quantities() -> dict[str, Quantity]:
    """What a unit cost may be per: the closed vocabulary of ``cost.per`` (``data/lever_actions.toml``)."""
    return {
        key: Quantity(key=key, **{**d, "actions": tuple(d["actions"])})
        for key, d in read_toml("lever_actions.toml")["quantity"].items()
    }


@cache
def payment_conditions() -> dict[str, PaymentCondition]:
    """The conditions a payment's rule may name (``data/lever_actions.toml`` ``[recipient.*]``)."""
    return {key: PaymentCondition(key=key, **d) for key, d in read_toml("lever_actions.toml")["recipient"].items()}


@cache
def levers() -> dict[str, Lever]:
    """All levers, in declaration order (grouped by measure), each checked against the vocabularies."""
    out = {}
    for key, d in read_toml("levers.toml").items():
        lever = _lever(key, d)
        baseline, plan = (_check_value(lever, d[v], "levers.toml") for v in ("baseline", "plan"))
        out[key] = replace(lever, baseline=baseline, plan=plan)
    return out


def _lever(key: str, d: dict) -> Lever:
    """One lever's declaration, its actions and their terms checked (a FileError names the key and what is
    allowed)."""
    _known(key, d, LEVER_KEYS)
    modelled = d.get("modelled", True)
    acts_on = tuple(d.get("acts_on", ()))
    actions = lever_actions()
    for action in acts_on:
        if action not in actions:
            raise FileError(LEVERS_FILE, f"{key}.acts_on", action, f"not an action; allowed: {', '.join(actions)}")
    if modelled != bool(acts_on):
        allowed = "a modelled lever acts on something" if modelled else "a lever that is not modelled acts on nothing"
        raise FileError(LEVERS_FILE, f"{key}.acts_on", list(acts_on), allowed)
    _needs(key, d, "project", "transport" in acts_on, "transport")
    _needs(key, d, "payment", "payment" in acts_on, "payment")
    _needs(key, d, "course_years", "students" in acts_on, "students")
    _needs(key, d, "age_limit", "youth_amenity" in acts_on, "youth_amenity")
    amounts = d.get("amounts", {})
    brought = tuple(a for a in acts_on if a in PROJECT_ACTIONS) if "project" in d else ()
    if set(amounts) != set(brought):
        raise FileError(LEVERS_FILE, f"{key}.amounts", amounts, f"a parameter for each of {list(brought)}")
    for action, parameter in amounts.items():
        if parameter not in parameters():
            raise FileError(LEVERS_FILE, f"{key}.amounts.{action}", parameter, "not a parameter (abm parameters)")
    _needs(key, d, "phase_in_years", "jobs" in brought, "jobs brought by a project")
    _needs(key, d, "cost", modelled, "something (every modelled lever has a unit cost)")
    if "delivery" in d:
        _delivery(key, d)
    return Lever(
        key=key,
        kind=d["type"],
        unit=d.get("unit", ""),
        name_en=d["name_en"],
        name_zh=d["name_zh"],
        low=d.get("min"),
        high=d.get("max"),
        never=d.get("never", False),
        measure=d["measure"],
        items=tuple(d["items"]),
        plan_basis=d["plan_basis"],
        description_en=d["description_en"],
        description_zh=d["description_zh"],
        modelled=modelled,
        reason=d.get("reason", ""),
        acts_on=acts_on,
        project=d.get("project", ""),
        amounts=tuple(amounts.items()),
        phase_in_years=d.get("phase_in_years"),
        age_limit=d.get("age_limit"),
        course_years=d.get("course_years"),
        payment=_payment(key, d["payment"]) if "payment" in d else None,
        delivery=d.get("delivery", ""),
        profile=_profile(key, d.get("profile", {})),
        cost=_cost(key, d["cost"], acts_on) if "cost" in d else None,
    )


def _known(where: str, d: dict, allowed: Collection[str]) -> None:
    """Every key of ``d`` is one of ``allowed`` (a typo is named)."""
    for k in d:
        if k not in allowed:
            close = difflib.get_close_matches(k, allowed, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise FileError(
                LEVERS_FILE, f"{where}.{k}", None, f"unknown key; {hint}allowed: {', '.join(sorted(allowed))}"
            )


def _needs(key: str, d: dict, term: str, needed: bool, action: str) -> None:
    """A lever declares ``term`` if and only if it acts on ``action``."""
    if needed != (term in d):
        allowed = f"required when acting on {action}" if needed else f"only for a lever acting on {action}"
        raise FileError(LEVERS_FILE, f"{key}.{term}", d.get(term), allowed)


def _payment(key: str, d: dict) -> Payment:
    """A payment's rule, its conditions checked against ``[recipient.*]``."""
    where = f"{key}.payment"
    _known(where, d, [f.name for f in fields(Payment)])
    conditions = payment_conditions()
    persons = [k for k, r in conditions.items() if r.level == "person"]
    if d["per"] not in ("household", *persons):
        raise FileError(
            LEVERS_FILE, f"{where}.per", d["per"], f"not a recipient; allowed: household, {', '.join(persons)}"
        )
    households = [k for k, r in conditions.items() if r.level == "household" and k != "household"]
    for condition in d["who"]:
        if condition in households and conditions[condition].needs not in ("", *d["who"]):
            needs = conditions[condition].needs
            raise FileError(
                LEVERS_FILE, f"{where}.who", list(d["who"]), f"{condition} holds only with {needs}: name it"
            )
        if condition not in households:
            raise FileError(
                LEVERS_FILE, f"{where}.who", condition, f"not a household condition; allowed: {', '.join(households)}"
            )
    for term in ("months", "years"):
        if not isinstance(d.get(term, 1), int) or d.get(term, 1) < 1:
            raise FileError(LEVERS_FILE, f"{where}.{term}", d[term], "a whole number from 1")
    aged = any(conditions[c].age_limit for c in (d["per"], *d["who"]))
    if aged != ("age_limit" in d):
        needs = "required: a condition holds under an age limit" if aged else "no condition needs an age limit"
        raise FileError(LEVERS_FILE, f"{where}.age_limit", d.get("age_limit"), needs)
    return Payment(**{**d, "who": tuple(d["who"])})


def _profile(key: str, d: dict) -> TimeProfile:
    """A time profile, its years in order, its end (last_full_year, last_year) both or neither."""
    where = f"{key}.profile"
    _known(where, d, [f.name for f in fields(TimeProfile)])
    years = [d[k] for k in ("first_year", "full_year", "last_full_year", "last_year") if k in d]
    if years != sorted(years) or not all(isinstance(y, int) for y in years):
        raise FileError(LEVERS_FILE, where, d, "whole years in order: first ≤ full ≤ last_full ≤ last")
    if ("last_full_year" in d) != ("last_year" in d):
        raise FileError(
            LEVERS_FILE, where, d, "last_full_year (the plan's end) and last_year (its phase-out's) together"
        )
    return TimeProfile(**d)


def _delivery(key: str, d: dict) -> None:
    """A delivered share: a share parameter, on a lever acting by its own quantity."""
    parameter = parameters().get(d["delivery"])
    if parameter is None or parameter.kind != "float" or not (0 <= parameter.low <= parameter.high <= 1):
        raise FileError(LEVERS_FILE, f"{key}.delivery", d["delivery"], "a share parameter (0–1; abm parameters)")
    if d["type"] not in ("int", "float") or "project" in d:
        raise FileError(LEVERS_FILE, f"{key}.delivery", d["delivery"], "only for a lever acting by its own quantity")


def _cost(key: str, d: dict, acts_on: tuple[str, ...]) -> UnitCost:
    """A unit cost: its quantity one the lever's actions can have, its range around its value, its budget."""
    where = f"{key}.cost"
    _known(where, d, [f.name for f in fields(UnitCost)])
    quantities = cost_quantities()
    quantity = quantities.get(d["per"])
    if quantity is None or (quantity.actions and not set(quantity.actions) & set(acts_on)):
        fitting = [k for k, q in quantities.items() if not q.actions or set(q.actions) & set(acts_on)]
        raise FileError(
            LEVERS_FILE, f"{where}.per", d["per"], f"a quantity of its actions; allowed: {', '.join(fitting)}"
        )
    if not d["low"] <= d["yuan"] <= d["high"]:
        raise FileError(LEVERS_FILE, f"{where}.yuan", d["yuan"], f"within its range {d['low']}–{d['high']}")
    if d["yuan"] == 0 and d["high"] != 0:  # the range scales the central cost (spending_at)
        raise FileError(LEVERS_FILE, f"{where}.yuan", d["yuan"], "above 0 unless its whole range is 0")
    if d.get("budget", "haimen") not in BUDGETS:
        raise FileError(LEVERS_FILE, f"{where}.budget", d["budget"], f"one of {', '.join(BUDGETS)}")
    return UnitCost(**d)


@cache
def calibration() -> dict:
    """The fitted constants and what they were fitted to (``data/calibration.toml``)."""
    return read_toml("calibration.toml")


@cache
def parameters() -> dict[str, Parameter]:
    """All uncertain parameters; calibrated ones take their fitted value as default."""
    fitted = calibration()["fitted"]
    out = {}
    for key, d in read_toml("parameters.toml").items():
        value = fitted[key] if d.get("calibrated") else d["value"]
        kind = (
            "choice"
            if "values" in d
            else "bool"
            if isinstance(value, bool)
            else "int"
            if isinstance(value, int)
            else "float"
        )
        parameter = Parameter(
            key=key,
            kind=d.get("type", kind),
            unit=d["unit"],
            name_en=d["name_en"],
            name_zh=d["name_zh"],
            low=d.get("low"),
            high=d.get("high"),
            values=tuple(d.get("values", ())),
            accepted=(d["min"], d["max"]) if "min" in d or "max" in d else None,
            group=d["group"],
            default=value,
            basis=d["basis"],
            calibrated=d.get("calibrated", False),
        )
        _check_value(parameter, value, "parameters.toml")  # its default is one of the values it may take
        out[key] = parameter
    return out


@cache
def run_options() -> dict[str, Setting]:
    """How a run is set up: ``scale`` (people per agent), ``seed`` and ``end`` (last year), with defaults."""
    return {
        key: Setting(
            key=key,
            kind=d["type"],
            unit=d["unit"],
            name_en=d["name_en"],
            name_zh=d["name_zh"],
            low=d["min"],
            high=d["max"],
        )
        for key, d in read_toml("run_options.toml").items()
    }


def run_default(key: str) -> int:
    """The default of a run option."""
    return read_toml("run_options.toml")[key]["default"]


def _folded(name: str) -> str:
    """``name`` as names are compared: full-width forms as ASCII (NFKC), one space between words, case folded."""
    return " ".join(unicodedata.normalize("NFKC", name).split()).casefold()


@cache
def _names() -> dict[str, str]:
    """Every lever's and parameter's key, Chinese name and English name (folded) -> its key."""
    out = {}
    for key, setting in [*levers().items(), *parameters().items()]:
        out |= {_folded(setting.name_zh): key, _folded(setting.name_en): key}
    return out | {key: key for key in [*levers(), *parameters()]}


def setting_key(name: str) -> str | None:
    """The key of the lever or parameter called ``name``: its key or, exactly, its Chinese or English name (as
    ``abm levers`` and ``abm parameters`` show them; full- or half-width brackets, spacing and case aside); None when
    there is none. Files and results always record the key."""
    if name in levers() or name in parameters():
        return name
    return _names().get(_folded(name)) if isinstance(name, str) else None


def suggestion(name: str) -> str:
    """``did you mean 'key' (中文名 / English name)?`` for the lever or parameter closest to ``name`` (by key or by
    name; characters found in order in exactly one name count, e.g. 高铁开通), or ``""``."""
    folded, names = _folded(name), _names()
    close = difflib.get_close_matches(folded, list(names), n=1, cutoff=0.6)
    containing = {key for text, key in names.items() if len(folded) >= 2 and _in_order(folded, text)}
    key = names[close[0]] if close else containing.pop() if len(containing) == 1 else None
    if key is None:
        return ""
    setting = levers().get(key) or parameters()[key]
    return f"did you mean {key!r} ({setting.name_zh} / {setting.name_en})?"


def _in_order(part: str, text: str) -> bool:
    """Whether the characters of ``part`` appear in ``text`` in the same order."""
    rest = iter(text)
    return all(ch in rest for ch in part)


def lookup(key: str, where: str = "") -> Setting:
    """The lever or parameter called ``key`` (its key or its name, see :func:`setting_key`); unknown names get a
    'did you mean' with the key and both names."""
    found = setting_key(key)
    if found is None:
        hint = suggestion(key) or "see `abm levers` and `abm parameters`"
        raise SettingError(key, "", f"unknown lever or parameter; {hint}", where)
    return levers().get(found) or parameters()[found]


def check_setting(key: str, value: Any, where: str = "") -> Any:
    """``value`` checked for the lever or parameter ``key``; a lever that is not modelled takes only its baseline."""
    setting = lookup(key, where)
    value = setting.check(value, where)
    if isinstance(setting, Lever) and not setting.modelled and value != setting.baseline:
        raise SettingError(
            key, value, f"not modelled ({setting.reason}); only its baseline {setting.baseline!r}", where
        )
    return value


def plan_value(key: str) -> Any:
    """The value lever ``key`` takes in the plan as the model runs it: its plan value, or its baseline when the lever
    is not modelled (what the plan intends is then ``levers()[key].plan``, which the model refuses)."""
    lever = levers()[key]
    return lever.plan if lever.modelled else lever.baseline


class Settings(Mapping[str, Any]):
    """Checked values of every lever and parameter for one run (a read-only mapping, also read as attributes)."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = dict(values)

    def __getattr__(self, key: str) -> Any:
        if key.startswith("_"):
            raise AttributeError(key)
        try:
            return self._values[key]
        except KeyError:
            raise AttributeError(key) from None

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __getstate__(self) -> dict[str, Any]:
        return self._values

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._values = state

    def changed(self) -> dict[str, Any]:
        """Levers that differ from baseline and parameters that differ from their default."""
        return {k: v for k, v in self._values.items() if v != default_value(k)}


def default_value(key: str, policy: str = "baseline") -> Any:
    """A lever's baseline (or plan) value, or a parameter's default."""
    if key in levers():
        return plan_value(key) if policy == "plan" else levers()[key].baseline
    return parameters()[key].default


def resolve(overrides: Mapping[str, Any] | None = None, policy: str = "baseline", where: str = "") -> Settings:
    """Baseline (or plan) settings with ``overrides`` checked against the registries."""
    values = {k: default_value(k, policy) for k in levers()}
    values |= {k: p.default for k, p in parameters().items()}
    for key, value in (overrides or {}).items():
        values[lookup(key, where).key] = check_setting(key, value, where)  # by key, also when given by name
    return Settings(values)

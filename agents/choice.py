"""Logit choice for many deciders at once, with nests and capacities.

Each decider ``n`` picks the alternative ``j`` with the highest random utility
``V[n, j] + ε[n, j]`` (ε standard Gumbel, drawn from keyed streams), which
gives the logit probabilities ``exp V / Σ exp V``. Alternatives may be grouped
in nests (nested logit): a nest is chosen by its inclusive value, then an
alternative within it, each stage with its own keyed Gumbel draws.

Deciders of the same *kind* share their systematic utilities: ``V`` is given
per kind, float[kind, alt], with ``kind[n]`` for each decider, so the work on
utilities scales with the number of kinds, not of deciders.

Where alternatives have limited room (dwellings, school seats, jobs),
over-demand is resolved in two stages: shadow prices — a penalty on the
alternatives of each over-subscribed resource, raised while demand exceeds room
and lowered again while room stands idle, as a price would — and then a lottery
in keyed random order for whatever still does not fit; those turned away stay
where they are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Protocol

import numpy as np

from agents.rows import group_codes, stable_order
from agents.streams import RepeatedCategorical

SHADOW_PRICE_ROUNDS = 12
IDLE_TOLERANCE = 0.02  # share of room that may stay unused while its shadow price is positive
PRICE_STEP_OVER = 0.05  # added to the log over-demand ratio, so a price rises even when demand barely exceeds room
PRICE_STEP_IDLE = 0.5  # share of the log ratio by which an idle resource's price falls (damped, to avoid oscillation)


class Draw(Protocol):
    """How :func:`choose` draws each decider's choice from utilities per kind: once, then again in each
    shadow-price round, told what changed since the last draw (a draw that keeps nothing draws afresh)."""

    def __call__(self, V: np.ndarray, kind: np.ndarray) -> np.ndarray:
        """Each decider's choice, int[n]; ``V`` float[kind, alt], ``kind[n]`` the row of ``V`` of each decider."""
        ...

    def redraw(
        self, V: np.ndarray, kind: np.ndarray, changed: np.ndarray, alternatives: np.ndarray | None = None
    ) -> np.ndarray:
        """The choices again, for the same ``kind`` as the last call, the utilities ``V`` (perhaps the last call's
        array, changed in place) having changed only for the kinds ``changed`` (int[k]) and, if given, only at the
        ``alternatives`` (bool[alt]); more of either is allowed."""
        ...


class PlainDraw:
    """A :class:`Draw` by a function of the utilities and kinds that keeps nothing between calls: a redraw is a
    fresh call."""

    def __init__(self, pick: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> None:
        self.pick = pick

    def __call__(self, V: np.ndarray, kind: np.ndarray) -> np.ndarray:
        return self.pick(V, kind)

    def redraw(
        self, V: np.ndarray, kind: np.ndarray, changed: np.ndarray, alternatives: np.ndarray | None = None
    ) -> np.ndarray:
        return self.pick(V, kind)


@dataclass
class RoundsLog:
    """A measuring hook (``benchmarks/child.py``): the rounds of each capacity-limited choice — the shadow-price
    rounds of :func:`choose`, the expectation rounds of the job search (``agents.labour.directed_search``).

    While installed by :func:`logging_rounds`, every such choice appends ``(rounds, settled)`` to ``calls`` (via
    :func:`note_rounds`): how many rounds it ran and whether it came to rest within them. ``limit``, if given,
    replaces each choice's own most rounds meanwhile (:func:`rounds_allowed`): a what-if (0: the lottery alone
    fits the residence choice; the job search takes every pool's rate as certain), not the model, which never
    installs a log.
    """

    limit: int | None = None
    calls: list[tuple[int, bool]] = field(default_factory=list)


_rounds_log: RoundsLog | None = None  # the installed log (None: the model as it is)


def rounds_allowed(default: int) -> int:
    """The most rounds a capacity-limited choice may run: its own ``default``, or the installed log's what-if."""
    return default if _rounds_log is None or _rounds_log.limit is None else _rounds_log.limit


def note_rounds(rounds: int, settled: bool) -> None:
    """Note a capacity-limited choice's rounds in the installed :class:`RoundsLog`, if any."""
    if _rounds_log is not None:
        _rounds_log.calls.append((rounds, settled))


@contextmanager
def logging_rounds(log: RoundsLog) -> Iterator[RoundsLog]:
    """Install ``log`` for the choices made inside the ``with`` block."""
    global _rounds_log
    previous, _rounds_log = _rounds_log, log
    try:
        yield log
    finally:
        _rounds_log = previous


def logit_probabilities(V: np.ndarray, overwrite: bool = False) -> np.ndarray:
    """Closed-form choice probabilities ``softmax(V)`` along the last axis; ``overwrite``: written over ``V`` (a
    float array the caller no longer needs: no new array of its size, the same numbers)."""
    top = _top(V, axis=-1)
    z = np.subtract(V, top, out=V if overwrite else None)
    np.exp(z, out=z)  # in place on the new array, as below
    z /= z.sum(axis=-1, keepdims=True)
    return z


def logsum(V: np.ndarray, axis: int = -1, scratch: np.ndarray | None = None) -> np.ndarray:
    """Expected maximum utility ``log Σ exp V`` (the accessibility of a choice set); ``scratch``, float like ``V``
    (C-contiguous), is written over instead of new memory."""
    if V.ndim == 2 and axis in (1, -1) and V.shape[1] == 2:  # two columns: column by column (no short rows)
        first, second = V[:, 0], V[:, 1]
        top = np.maximum(first, second)  # the max (but the sign of a zero: no difference, as in _top)
        return top + np.log(np.exp(first - top) + np.exp(second - top))  # a sum of two, in either order
    top = _top(V, axis)
    z = np.subtract(V, top, out=scratch)
    return np.squeeze(top, axis=axis) + np.log(np.exp(z, out=z).sum(axis=axis))


def _top(V: np.ndarray, axis: int) -> np.ndarray:
    """``V.max(axis=axis, keepdims=True)``; along the rows of a 2-D array found by ``argmax`` (numpy's max is
    several times slower on short rows). The same numbers, but the sign of a zero maximum, which changes neither
    ``V - top`` as a difference nor ``top + log(...)`` where log gives +0."""
    if V.ndim == 2 and axis in (1, -1) and V.shape[1] > 0:
        return V[np.arange(len(V)), V.argmax(axis=1)][:, None]  # (as take_along_axis, without its overhead)
    return V.max(axis=axis, keepdims=True)


def inverse_cdf_draw(u: np.ndarray) -> Draw:
    """Plain multinomial logit drawn by inverse CDF: one uniform per decider instead of one error per alternative.

    Cheaper for large choice sets; the probabilities are computed once per kind, and the deciders are
    ordered by kind and uniform once for all of :func:`choose`'s rounds (the same ``kind`` array each round).
    """
    prepared: list[tuple[np.ndarray, RepeatedCategorical]] = []

    def draw(V: np.ndarray, kind: np.ndarray) -> np.ndarray:
        if not prepared or prepared[0][0] is not kind:
            prepared[:] = [(kind, RepeatedCategorical(u, kind))]
        return prepared[0][1](logit_probabilities(np.asarray(V, dtype=float)), not_negative=True)

    return PlainDraw(draw)


@dataclass(frozen=True)
class Nests:
    """Nested-logit structure: ``of_alt[j]`` is the nest of alternative ``j``, ``scale[k]`` its λ (1: alone)."""

    of_alt: np.ndarray
    scale: np.ndarray

    @cached_property
    def members(self) -> list[np.ndarray]:
        return [np.flatnonzero(self.of_alt == k) for k in range(len(self.scale))]

    @cached_property
    def columns(self) -> list[slice | np.ndarray]:
        """Each nest's alternatives as a slice where they are consecutive (a view, not a copy), else their indices."""
        return [slice(m[0], m[-1] + 1) if m[-1] - m[0] + 1 == len(m) else m for m in self.members]

    @cached_property
    def larger(self) -> list[tuple[int, np.ndarray, slice | np.ndarray]]:
        """The nests of several alternatives: each one's number, alternatives and columns."""
        return [(k, m, c) for k, (m, c) in enumerate(zip(self.members, self.columns, strict=True)) if len(m) > 1]

    @cached_property
    def single(self) -> np.ndarray:
        """The alternative of each one-alternative nest (-1 for larger nests)."""
        return np.array([m[0] if len(m) == 1 else -1 for m in self.members])

    @cached_property
    def alone(self) -> tuple[np.ndarray, np.ndarray]:
        """The one-alternative nests and their alternatives."""
        nests = np.flatnonzero(self.single >= 0)
        return nests, self.single[nests]

    def inclusive(self, V: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Within-nest utilities ``V/λ`` and each nest's inclusive value ``λ·logsum(V/λ)``."""
        return V / self.scale[self.of_alt].astype(V.dtype), self._values(V)[1]

    def _values(
        self, V: np.ndarray, known: np.ndarray | None = None, changed: np.ndarray | None = None
    ) -> tuple[list[np.ndarray], np.ndarray]:
        """Each larger nest's within-nest utilities ``V/λ`` on its own columns (in the order of :attr:`larger`), and
        each nest's inclusive value (as :meth:`inclusive`, without dividing the other columns).

        ``known``: the rows' inclusive values before their utilities changed at the alternatives ``changed``
        (bool[alt]) only; the values of the nests without such an alternative are taken from it, not computed again.
        """
        redo = np.ones(len(self.scale), dtype=bool)
        if known is None:
            values = np.empty((V.shape[0], len(self.scale)), dtype=V.dtype)
        else:
            values, redo[:] = known.copy(), False
            redo[self.of_alt[changed]] = True
        nests, alternatives = self.alone
        if redo[nests].any():
            values[:, nests] = np.take(V, alternatives, axis=1)
        inner = []
        for k, _, columns in self.larger:
            within = V[:, columns]
            if self.scale[k] != 1:  # (x/1 is x)
                within = within / self.scale[k].astype(V.dtype)
            if redo[k]:
                values[:, k] = self.scale[k] * logsum(within, axis=1)
            inner.append(within)
        return inner, values

    def probabilities(self, V: np.ndarray) -> np.ndarray:
        """Closed-form nested-logit probabilities, float[n, alt]."""
        inner, values = self.inclusive(np.asarray(V, dtype=float))
        p_nest = logit_probabilities(values)
        within = np.exp(inner - values[:, self.of_alt] / self.scale[self.of_alt])
        return p_nest[:, self.of_alt] * within

    def drawer(self, eps_nest: np.ndarray, eps_alt: NestErrors) -> NestedDraw:
        """A draw with Gumbel errors for the nest stage, float32[nest, decider], and, inside larger nests, the
        alternative stage (:class:`NestedDraw`)."""
        return NestedDraw(self, eps_nest, eps_alt)


NestErrors = Callable[[int, np.ndarray], np.ndarray]  # (nest, deciders) -> errors on its alternatives, float32[n, m]


class NestedDraw:
    """A nested-logit draw (a :class:`Draw`) with Gumbel errors for the nest stage and, inside larger nests, the
    alternative stage.

    ``eps_nest`` are the nest stage's errors laid out nest by nest, float32[nest, decider]. ``eps_alt(k, deciders)``
    gives those deciders' alternative-stage errors on the alternatives of the larger nest ``k``
    (``Nests.members[k]``, in that order); they are only needed (and drawn) for deciders who chose that nest. A
    decider's choice depends only on its kind's utilities and its own errors: called again with the same ``kind``
    array (shadow-price rounds), only deciders whose kind's utilities changed are redrawn, found by comparing the
    utilities, or told (:meth:`redraw`). The choices returned are kept for the next call: read them, do not write.
    """

    def __init__(self, nests: Nests, eps_nest: np.ndarray, eps_alt: NestErrors) -> None:
        self.nests, self.eps_nest, self.eps_alt = nests, eps_nest, eps_alt
        self.kind: np.ndarray | None = None  # the last call's kind array, utilities (None: not kept) and choices
        self.V: np.ndarray | None = None
        self.choice = np.zeros(0, dtype=np.int64)
        self.values = np.zeros((0, len(nests.scale)), dtype=np.float32)  # each kind's inclusive values, as last drawn

    def __call__(self, V: np.ndarray, kind: np.ndarray) -> np.ndarray:
        """Each decider's choice, int[n]; ``V`` float[kind, alt], ``kind[n]`` the row of ``V`` of each decider."""
        if self.kind is kind and self.V is not None:
            return self.redraw(V, kind, np.flatnonzero((self.V != V).any(axis=1)))  # the kinds whose utilities changed
        choice, self.values = self._pick(V, kind)
        self.kind, self.V, self.choice = kind, V, choice
        return choice

    def redraw(
        self, V: np.ndarray, kind: np.ndarray, changed: np.ndarray, alternatives: np.ndarray | None = None
    ) -> np.ndarray:
        """The choices again, for the same ``kind`` array as the last call, whose utilities have changed only for
        the kinds ``changed`` (int[k]; more is allowed) and, if given, only at the ``alternatives`` (bool[alt];
        more is allowed): the same choices as a call, without comparing.

        ``V`` may be the last call's array, changed in place: the utilities are not kept for a later call to
        compare with (it then draws everyone).
        """
        choice = self.choice
        if len(changed):
            is_changed = np.zeros(len(V), dtype=bool)
            is_changed[changed] = True
            rows = np.flatnonzero(is_changed[kind])
            if len(rows):  # their nests' values computed for the changed kinds alone (few: the same numbers)
                kinds = np.flatnonzero(is_changed)
                position = np.cumsum(is_changed) - 1  # each changed kind's row among them
                known = None if alternatives is None else _rows(self.values, kinds)
                choice = choice.copy()  # (the last choices, returned before, are not written over)
                choice[rows], values = self._pick(_rows(V, kinds), position[kind[rows]], rows, known, alternatives)
                self.values[kinds] = values
        self.kind, self.V, self.choice = kind, None, choice
        return choice

    def _pick(
        self,
        V: np.ndarray,
        of: np.ndarray,
        deciders: np.ndarray | None = None,
        known: np.ndarray | None = None,
        alternatives: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The choices of ``deciders`` (all if None), ``of[i]`` the row of ``V`` (kinds) of the i-th of them, and
        the inclusive values of the rows of ``V`` (``known`` and ``alternatives``: as :meth:`Nests._values`)."""
        nests = self.nests
        inner, values = nests._values(V, known, alternatives)
        eps = self.eps_nest if deciders is None else np.take(self.eps_nest, deciders, axis=1)
        nest = _best_nest(values, of, eps)
        choice = nests.single[nest]
        for (k, members, _), nest_inner in zip(nests.larger, inner, strict=True):  # on its own columns
            mine = np.flatnonzero(nest == k)
            if len(mine) == 0:
                continue
            within = _rows(nest_inner, of[mine])  # a new array: the errors added in place
            within += self.eps_alt(k, mine if deciders is None else deciders[mine])
            best = np.argmax(within, axis=1)
            # as an argmax over all columns with the other nests' at -inf: column 0 when all are -inf
            top = within[np.arange(len(best)), best]
            choice[mine] = np.where(top == -np.inf, 0, members[best])
        return choice, values


_FEW_FOR_ARGMAX = 1 << 14  # deciders whose best nest _best_nest finds by argmax alone


def _best_nest(values: np.ndarray, of: np.ndarray, eps: np.ndarray) -> np.ndarray:
    """``argmax(values[of] + eps.T, axis=1)`` (``values`` float[kind, nest], ``eps`` float[nest, decider]): nest by
    nest, each decider's best so far kept, a later nest taking over only if strictly better (so the first of equal
    scores, as argmax); numpy's argmax is slow on many rows of a few nests. Rows with a NaN score are argmax's; few
    rows are all argmax's (the loop's fixed costs would outweigh it)."""
    if len(of) < _FEW_FOR_ARGMAX:
        scores = _rows(values, of)  # a new array: the errors added in place
        scores += eps.T
        return np.argmax(scores, axis=1)
    by_nest = np.ascontiguousarray(values.T)  # each nest's values contiguous (a take from a column copies it)
    best = np.take(by_nest[0], of)
    best += eps[0]
    nest = np.zeros(len(of), dtype=np.min_scalar_type(values.shape[1]))  # (small: less memory written)
    score, better = np.empty_like(best), np.empty(len(of), dtype=bool)
    for k in range(1, values.shape[1]):
        np.take(by_nest[k], of, out=score, mode="wrap")  # ("wrap": no buffered copy; the rows are valid)
        score += eps[k]
        np.copyto(nest, k, where=np.greater(score, best, out=better))
        np.maximum(best, score, out=best)
    nest = nest.astype(np.intp)
    unsure = np.flatnonzero(np.isnan(best))  # (a NaN makes the maximum NaN)
    if len(unsure):
        nest[unsure] = np.argmax(_rows(values, of[unsure]) + eps[:, unsure].T, axis=1)
    return nest


def _rows(a: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``a[rows]`` (a new array), by ``np.take``: several times faster than indexing for rows of a 2-D array."""
    return np.take(a, rows, axis=0)


Moves = tuple[np.ndarray, np.ndarray, np.ndarray]  # the deciders who move, where to and where from
Demand = Callable[..., np.ndarray]  # (choice, moves=None) -> net demand per resource (Capacity.demand_from)


def find_moves(choice: np.ndarray, current: np.ndarray) -> Moves:
    """The deciders whose choice is not their current alternative (in order), their choices and their current
    alternatives: what every capacity's :meth:`Capacity.net_demand` looks up (most stay: only movers are)."""
    moving = np.flatnonzero(choice != current)
    return moving, choice[moving], current[moving]


@dataclass
class Capacity:
    """Limited room that choosing an alternative uses.

    ``of_alt[j]`` is the resource alternative ``j`` draws on (-1: unlimited);
    ``use[n]`` what decider ``n`` needs there; ``room[r]`` the free units before
    anyone moves (movers free their old units as they leave).
    """

    of_alt: np.ndarray
    use: np.ndarray
    room: np.ndarray

    def net_demand(self, choice: np.ndarray, current: np.ndarray, moves: Moves | None = None) -> np.ndarray:
        """Units wanted minus units freed, per resource, float[resource]; ``moves``: :func:`find_moves` of the
        choice, if already found."""
        moving, to, away_from = moves if moves is not None else find_moves(choice, current)
        into, out_of, use = self.of_alt[to], self.of_alt[away_from], self.use[moving]
        arrive, leave = into >= 0, out_of >= 0
        n = len(self.room)
        return np.bincount(into[arrive], weights=use[arrive], minlength=n) - np.bincount(
            out_of[leave], weights=use[leave], minlength=n
        )

    def demand_from(self, current: np.ndarray) -> Demand:
        """``net_demand(·, current, ·)``, for many choices from the same ``current``.

        When few deciders need room here (school seats), only their moves are looked at: the others' add nothing.
        When every decider starts at the same unlimited alternative (job seekers, nearly all of whom move), each
        decider's use is counted at its choice's resource in one pass, with that alternative and the other
        unlimited ones in a spare count past the last (the same sums, in the same order, as the movers' alone).
        """
        n = len(self.room)
        count_of_alt = np.where(self.of_alt >= 0, self.of_alt, n)
        if len(current) == 0 or count_of_alt[current[0]] < n or not (current == current[0]).all():
            if 2 * np.count_nonzero(self.use) < len(current):
                users = np.flatnonzero(self.use)
                own, current_of_users = Capacity(self.of_alt, self.use[users], self.room), current[users]
                return lambda choice, moves=None: own.net_demand(choice[users], current_of_users)
            return lambda choice, moves=None: self.net_demand(choice, current, moves)
        counted_at = count_of_alt.copy()
        counted_at[current[0]] = n  # staying there frees and takes nothing
        return lambda choice, moves=None: np.bincount(counted_at.take(choice), weights=self.use, minlength=n + 1)[:n]


class ShadowPrice:
    """The shadow price of each resource of a capacity (utility), raised while demand exceeds room and lowered
    while room stands idle; what depends only on the room is computed once."""

    def __init__(self, capacity: Capacity) -> None:
        room = np.maximum(capacity.room, 0.0)
        self.price = np.zeros(len(room))
        self.full = room + 1e-9  # demand above this is over the room
        self.idle = room * (1.0 - IDLE_TOLERANCE) - 1e-9  # demand below this leaves room idle
        self.room_plus_one = np.where(np.isfinite(room), room + 1.0, 1.0)  # (unlimited: any finite number, never used)
        self.limited, self.resource = capacity.of_alt >= 0, np.maximum(capacity.of_alt, 0)

    def update(self, demand: np.ndarray) -> bool:
        """Move the prices after a round with ``demand`` per resource; whether any resource was unsettled."""
        over = demand > self.full
        idle = demand < self.idle
        idle &= self.price > 0  # priced too high
        if not (over.any() or idle.any()):
            return False  # every price stays as it is (a change of 0)
        step = np.log((np.maximum(demand, 0.0) + 1.0) / self.room_plus_one)  # (no log of 0: no errstate to set)
        change = np.where(over, step + PRICE_STEP_OVER, np.where(idle, PRICE_STEP_IDLE * step, 0.0))
        self.price = np.maximum(self.price + change, 0.0)
        return True

    def per_alt(self) -> np.ndarray:
        """The price each alternative pays (0 where unlimited), float[alt]."""
        return np.where(self.limited, self.price[self.resource], 0.0)


def choose(
    V: np.ndarray, kind: np.ndarray, current: np.ndarray, capacities: list[Capacity], priority: np.ndarray, draw: Draw
) -> np.ndarray:
    """Alternatives chosen under ``capacities``: ``draw`` applied to ``V`` less shadow prices.

    ``V`` is per kind (float[kind, alt]); ``current[n]`` must be the same for
    deciders of one kind. Staying at ``current`` never needs room. ``priority``
    (uniforms) orders the final lottery, lower values first. The ``draw`` is told each round which kinds'
    utilities changed (:meth:`Draw.redraw`).
    """
    # a kind for each combination of decider kind and which capacities it uses (its code: kind, then a bit each)
    uses = np.column_stack([c.use > 0 for c in capacities]) if capacities else np.zeros((len(kind), 0), bool)
    code = kind.astype(np.int64)
    for users in uses.T:
        code = 2 * code + users
    first, sub = group_codes(code)
    base, sub_uses, sub_current = _rows(V, kind[first]), uses[first], current[first]
    prices = [ShadowPrice(c) for c in capacities]
    demands = [c.demand_from(current) for c in capacities]
    # the capacities a kind uses, as a number (bit i: capacity i), and each such number's bits
    combo = sub_uses.astype(np.int64) @ (1 << np.arange(len(capacities)))
    combo_uses = (np.arange(2 ** len(capacities))[:, None] >> np.arange(len(capacities))) & 1 > 0
    shown, shown_cost = base, np.zeros((len(combo_uses), base.shape[1]))  # utilities drawn on, costs per combination
    choice = draw(base, sub)
    rounds = rounds_allowed(SHADOW_PRICE_ROUNDS)
    for done in range(rounds):
        unsettled = False
        moves = find_moves(choice, current)  # once for every capacity
        for demand, price in zip(demands, prices, strict=True):
            unsettled |= price.update(demand(choice, moves))
        if not unsettled:
            _log_rounds(capacities, done, settled=True)
            return choice
        cost_of_combo = np.zeros((len(combo_uses), base.shape[1]))  # the same sums per kind, done per combination
        for price, users in zip(prices, combo_uses.T, strict=True):
            cost_of_combo += users[:, None] * price.per_alt()[None, :]
        # recomputed only for kinds whose cost changed at an alternative other than their current one (never charged)
        moved = cost_of_combo != shown_cost  # [combination, alt]
        rows = np.flatnonzero(moved.sum(axis=1)[combo] > moved[combo, sub_current])
        cost = _rows(cost_of_combo, combo[rows])
        cost[np.arange(len(rows)), sub_current[rows]] = 0.0
        if len(rows) == len(first):  # all of them (job choices): no copy of the others
            shown = (base - cost).astype(V.dtype, copy=False)
        else:
            if shown is base:  # (changed in place from then on: the draws are told what changed)
                shown = shown.copy()
            shown[rows] = (_rows(base, rows) - cost).astype(V.dtype)
        shown_cost = cost_of_combo
        choice = draw.redraw(shown, sub, rows, moved.any(axis=0))
    _log_rounds(capacities, rounds, settled=False)
    return _lottery(choice, current, capacities, priority, demands)


def _log_rounds(capacities: list[Capacity], rounds: int, settled: bool) -> None:
    """Note a choice's rounds (:func:`note_rounds`; choices without capacities have none)."""
    if capacities:
        note_rounds(rounds, settled)


def _by_target_then_priority(target: np.ndarray, priority: np.ndarray) -> np.ndarray:
    """``np.lexsort((priority, target))``, faster: priorities sorted (:func:`agents.rows.stable_order`), then targets
    stably (by radix for small integer types)."""
    by_priority = stable_order(priority)
    return by_priority[np.argsort(target[by_priority], kind="stable")]


def fits_in_order(
    target: np.ndarray,
    use: np.ndarray,
    priority: np.ndarray,
    room: np.ndarray,
    partial: np.ndarray | None = None,
    most: np.ndarray | None = None,
) -> np.ndarray:
    """Which candidates fit when each target's ``room`` is handed out in ``priority`` order, bool[candidate].

    A candidate fits if it and every candidate before it for the same target
    (lower priority value) together use no more than the room. With ``partial``
    (uniforms, float[candidate]), the first candidate of a target who fits only
    in part also fits, with the chance of the part that fits (randomized
    rounding: the room is filled exactly on average whatever the rows' weights,
    so a coarse run is not biased towards leaving it unused), as long as the
    target's ``most`` (float[target]) still holds it whole.
    """
    order = _by_target_then_priority(target, priority)
    sorted_target, sorted_use = target[order], use[order]
    cumulative = np.cumsum(sorted_use)
    starts = np.concatenate(([0], np.flatnonzero(sorted_target[1:] != sorted_target[:-1]) + 1))
    before_group = np.repeat(cumulative[starts] - sorted_use[starts], np.diff(starts, append=len(order)))
    within = cumulative - before_group  # used by the target's candidates up to and including this one
    fits_sorted = within <= room[sorted_target] + 1e-9
    if partial is not None:
        with np.errstate(divide="ignore", invalid="ignore"):  # a candidate of no use fits whole or not at all
            part = (room[sorted_target] - (within - sorted_use)) / sorted_use  # the share of this one that fits
        first_over = ~fits_sorted & (part > 0)  # only the first who does not fit whole has a part that fits
        if most is not None:
            first_over &= within <= most[sorted_target] + 1e-9
        fits_sorted |= first_over & (partial[order] < part)
    fits = np.empty(len(target), dtype=bool)
    fits[order] = fits_sorted
    return fits


def _lottery(
    choice: np.ndarray,
    current: np.ndarray,
    capacities: list[Capacity],
    priority: np.ndarray,
    demands: list[Demand],
) -> np.ndarray:
    """Admit movers in priority order so every resource fits; those left out stay put.

    Movers are turned away, lowest priority first, from each over-full
    resource; then those turned away who now fit everywhere are let back in
    (in priority order, skipping any who could not fit even alone), and so on
    until nothing changes. ``demands`` are the capacities' ``demand_from(current)``.
    """
    # only the movers are looked at (indices in row order: the same candidates, in the same order, as over all rows)
    movers = np.flatnonzero(choice != current)
    to, use = choice[movers], [c.use[movers] for c in capacities]
    admitted = np.zeros(len(choice), dtype=bool)  # over all rows, for the demands
    admitted[movers] = True
    in_now = np.ones(len(movers), dtype=bool)  # the movers admitted
    # what depends only on the choices, per capacity: each mover's resource, whether it needs room there (a
    # limited alternative), and the demand above which that resource is over-full
    targets = [c.of_alt[to] for c in capacities]
    needs_room = [(target >= 0) & (u > 0) for target, u in zip(targets, use, strict=True)]
    at = [np.maximum(target, 0) for target in targets]
    full = [c.room[where] + 1e-9 for c, where in zip(capacities, at, strict=True)]
    for _ in range(4 * SHADOW_PRICE_ROUNDS):
        while True:  # turn away until every resource fits
            turned_away = np.zeros(len(movers), dtype=bool)
            now = np.where(admitted, choice, current)
            for i, (c, net_demand) in enumerate(zip(capacities, demands, strict=True)):
                demand = net_demand(now)
                candidates = np.flatnonzero(in_now & needs_room[i] & (demand[at[i]] > full[i]))
                if len(candidates):
                    target, used = targets[i][candidates], use[i][candidates]
                    freed = demand - np.bincount(target, weights=used, minlength=len(c.room))
                    fits = fits_in_order(target, used, priority[movers[candidates]], c.room - freed)
                    turned_away[candidates[~fits]] = True
            if not turned_away.any():
                break
            in_now &= ~turned_away
            admitted[movers] = in_now
        waiting = ~in_now
        now = np.where(admitted, choice, current)
        left = [c.room - net_demand(now) for c, net_demand in zip(capacities, demands, strict=True)]
        welcome = waiting.copy()
        # who could not fit even alone
        for u, room_left, target, needs in zip(use, left, targets, needs_room, strict=True):
            uses = waiting & needs
            welcome[uses] &= u[uses] <= room_left[target[uses]] + 1e-9
        # then in priority order
        for u, room_left, target, needs in zip(use, left, targets, needs_room, strict=True):
            candidates = np.flatnonzero(welcome & needs)
            if len(candidates):
                fits = fits_in_order(target[candidates], u[candidates], priority[movers[candidates]], room_left)
                welcome[candidates[~fits]] = False
        if not welcome.any():
            break
        in_now |= welcome
        admitted[movers] = in_now
    return np.where(admitted, choice, current)

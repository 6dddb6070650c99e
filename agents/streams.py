"""Keyed random streams: every draw is a pure function of (seed, channel, year, agent, slot).

Like ActivitySim's random channels, a household's dice for a decision do not
depend on who else is drawing or in what order, so two scenarios run with the
same seed face the same dice for the same household and differ only through
their levers. Draws come from a counter-based hash (SplitMix64's finaliser)
evaluated on whole arrays at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from enum import IntEnum

import numpy as np

_GOLDEN = 0x9E3779B97F4A7C15
_MASK = (1 << 64) - 1


class Channel(IntEnum):
    """The decisions and events that draw random numbers: one channel per decision, drawn at one place in the code.

    Numbers are part of the streams' identity: never renumber a channel, only add new ones.
    """

    SYNTHESIS_HOUSEHOLD = 1  # 2020 household's template and whether it is non-local
    POOL_KIND = 2  # kind of household of a potential mover
    DEATH = 3
    BIRTH = 4
    BIRTH_SEX = 5
    CONSIDER_MOVE = 6
    RESIDENCE = 7  # alternative-stage errors of the residence choice
    LOTTERY = 8  # order in which movers are admitted to scarce dwellings and seats
    JOB_SWITCH = 9
    JOB = 10
    JOB_LOTTERY = 11
    PARTICIPATION = 12
    CLUSTER = 13  # the industrial cluster of a new adult's trade
    COLLEGE = 14
    # 15 was SPLIT (household splits, replaced by UNION): not reused
    TENURE = 16  # newcomer's tenure: buys, or a dormitory (slot 0 unused)
    INITIAL_HUKOU_TENURE = 17  # 2020 household's origin and tenure
    LAYOFF = 18  # order in which jobs are lost where a place's jobs shrink
    STUDENT_ORIGIN = 20
    BUY = 21
    NATURALIZE = 22
    RESIDENCE_NEST = 23  # nest-stage errors of the residence choice
    SYNTHESIS_PERSON = 24  # 2020 person's age and sex
    MOVER_PERSON = 25  # potential mover's age and sex
    MOVER_HUKOU_TENURE = 26  # potential mover's hukou and tenure at the origin
    HUKOU_ON_ARRIVAL = 27  # whether a newcomer is granted a Haimen hukou on arrival
    RURAL_ORIGIN = 28  # whether a non-Haimen household holds a rural hukou (a trait)
    SUBSIDY_TAKE_UP = 29  # whether a household claims the plan's payments (a trait)
    RECRUIT_ORIGIN = 30  # origin of a worker recruited to a Haimen vacancy
    RECRUIT_DORM = 31  # whether a recruited worker lives in a dormitory
    UNIVERSITY = 32  # whether an 18-year-old leaves Haimen for university (slot 0), and where to (slot 1)
    LEAVE_HOME = 33  # whether a young adult living with parents leaves home
    UNION = 34  # whether a woman living alone forms a union (slot 0), and with whom (slot 1)
    PART_ROW = 35  # whether the last hire of a job pool, who fits only in part, is taken (slot 0; by chance in
    # proportion to the part, so a coarse run hires what the matching function gives exactly on average)


def _mix_int(x: int) -> int:
    x &= _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


_SHIFTS = np.uint64(30), np.uint64(27), np.uint64(31)
_MULTIPLIERS = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def _mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser on a uint64 array (wrap-around arithmetic); ``x`` itself is left unchanged."""
    return _mix_in_place(x.copy(), np.empty_like(x))


def _mix_in_place(x: np.ndarray, scratch: np.ndarray, low_bits: bool = True) -> np.ndarray:
    """SplitMix64 finaliser on the uint64 array ``x``, in place; ``scratch`` (uint64, ``x``'s shape) is written over.

    ``low_bits=False`` skips the last step, ``x ^= x >> 31``, which changes only the lowest 33 bits: for draws
    that read only higher ones (the same bits there). Working in place on arrays already allocated is faster than
    on new ones.
    """
    np.right_shift(x, _SHIFTS[0], out=scratch)
    x ^= scratch
    x *= _MULTIPLIERS[0]
    np.right_shift(x, _SHIFTS[1], out=scratch)
    x ^= scratch
    x *= _MULTIPLIERS[1]
    if low_bits:
        np.right_shift(x, _SHIFTS[2], out=scratch)
        x ^= scratch
    return x


def _base(seed: int, channel: int, year: int) -> int:
    return _mix_int(_mix_int(_mix_int(seed * _GOLDEN + channel) + year * _GOLDEN) + channel)


_BLOCK_CELLS = 1 << 15  # draws hashed per block: a block's temporaries stay in the CPU's cache (about 2x faster)


def _blocks(n_rows: int, cells_per_row: int) -> Iterator[slice]:
    """Consecutive row ranges of about ``_BLOCK_CELLS`` draws each (at least one row)."""
    step = max(1, _BLOCK_CELLS // cells_per_row)
    return (slice(start, start + step) for start in range(0, n_rows, step))


def _slot_offsets(slots: Iterable[int]) -> np.ndarray:
    """What each slot adds to a key's hash before it is mixed again, uint64[len(slots)]."""
    return np.array([(slot + 1) * _GOLDEN & _MASK for slot in slots], dtype=np.uint64)


def _hashed_blocks(
    keys: np.ndarray, base: np.uint64, offsets: np.ndarray | None, low_bits: bool = True
) -> Iterator[tuple[slice, np.ndarray]]:
    """The keyed 64-bit hashes of ``keys`` block by block (:func:`_blocks`): each block's rows and their hashes,
    uint64[m], or uint64[len(offsets), m] for those slots (few slots: laid out slot by slot, so that the rows'
    hashes plus a slot's offset take one pass, not a short pass per row; many: a view of rows of slots);
    ``low_bits=False``: only the bits above the lowest 33 are right (:func:`_mix_in_place`). The hashes are
    scratch space, written over by the next block."""
    width = 1 if offsets is None else len(offsets)
    m = min(len(keys), max(1, _BLOCK_CELLS // width))  # rows in a block
    row_hash, row_scratch = np.empty(m, dtype=np.uint64), np.empty(m, dtype=np.uint64)
    by_slot = width < 16  # few slots: laid out slot by slot (many: row by row, where one row's pass is long enough)
    if offsets is not None:
        shape = (width, m) if by_slot else (m, width)
        cell_hash, cell_scratch = np.empty(shape, dtype=np.uint64), np.empty(shape, dtype=np.uint64)
    for rows in _blocks(len(keys), width):
        size = min(rows.stop, len(keys)) - rows.start
        h = np.bitwise_xor(keys[rows], base, out=row_hash[:size])
        _mix_in_place(h, row_scratch[:size], low_bits or offsets is not None)
        if offsets is not None:
            cells, scratch = (
                (cell_hash[:, :size], cell_scratch[:, :size])
                if by_slot
                else (cell_hash[:size].T, cell_scratch[:size].T)
            )
            h = _mix_in_place(np.add(offsets[:, None], h, out=cells), scratch, low_bits)
        yield rows, h


def uniform(seed: int, channel: Channel, year: int, keys: np.ndarray, slots: int | None = None) -> np.ndarray:
    """Uniform draws in (0, 1): float[len(keys)], or float[len(keys), slots] if ``slots`` is given."""
    return _uniforms(seed, channel, year, keys, None if slots is None else _slot_offsets(range(slots)))


def uniform_slots(seed: int, channel: Channel, year: int, keys: np.ndarray, slots: tuple[int, ...]) -> np.ndarray:
    """``uniform(seed, channel, year, keys, max(slots) + 1)[:, slots]``, hashing only those slots:
    float[len(keys), len(slots)]."""
    return _uniforms(seed, channel, year, keys, _slot_offsets(slots))


def _uniforms(seed: int, channel: Channel, year: int, keys: np.ndarray, offsets: np.ndarray | None) -> np.ndarray:
    """Uniform draws in (0, 1) for the keys (and slots given by their ``offsets``), hashed in blocks."""
    keys = np.asarray(keys, dtype=np.uint64)
    base = np.uint64(_base(seed, int(channel), year))
    out = np.empty(len(keys) if offsets is None else (len(keys), len(offsets)))
    with np.errstate(over="ignore"):
        for rows, h in _hashed_blocks(keys, base, offsets):
            h >>= np.uint64(11)
            u = h.view(np.float64)  # the hashes' own memory, written over
            np.copyto(u, h.view(np.int64), casting="unsafe")  # exact: fewer than 53 bits (from int64: faster)
            u += 0.5
            np.multiply(u, 1.0 / (1 << 53), out=out[rows].T)
    return out


def gumbel(
    seed: int, channel: Channel, year: int, keys: np.ndarray, slots: int | Sequence[int], by_slot: bool = False
) -> np.ndarray:
    """Standard Gumbel draws, the random-utility errors (23-bit uniforms): float32[len(keys), slots] for
    ``slots`` alternatives; for a sequence of slots, those columns of a draw over more (only they hashed).
    ``by_slot``: laid out slot by slot instead, float32[slots, len(keys)] (the transpose, the same numbers)."""
    keys = np.asarray(keys, dtype=np.uint64)
    base = np.uint64(_base(seed, int(channel), year))
    offsets = _slot_offsets(range(slots) if isinstance(slots, int) else slots)
    out = np.empty((len(offsets), len(keys)) if by_slot else (len(keys), len(offsets)), dtype=np.float32)
    with np.errstate(over="ignore"):
        for rows, h in _hashed_blocks(keys, base, offsets, low_bits=False):  # the top 23 bits only
            h >>= np.uint64(41)
            b = h.astype(np.uint32)  # (laid out as h)
            b |= np.uint32(0x3F800000)  # as float32: 1 + b / 2**23
            u = b.view(np.float32)
            u -= np.float32(1.0 - 2.0**-24)  # (b + 0.5) / 2**23, exactly: the uniform
            np.log(u, out=u)
            np.negative(u, out=u)
            np.log(u, out=u)
            np.negative(u, out=out[:, rows] if by_slot else out[rows].T)
    return out


def derive_keys(parent: np.ndarray, tag: int, year: int = 0) -> np.ndarray:
    """New agent keys derived from parent keys (a newborn from its mother, a split from its adult)."""
    parent = np.asarray(parent, dtype=np.uint64)
    salt = np.uint64(_mix_int(tag * _GOLDEN + year))
    if parent.size <= _BLOCK_CELLS:  # one block
        with np.errstate(over="ignore"):
            return _mix(parent ^ salt)
    out = np.empty_like(parent)
    flat_parent, flat_out = parent.reshape(-1), out.reshape(-1)
    with np.errstate(over="ignore"):
        for rows in _blocks(len(flat_parent), 1):  # hashed in blocks that stay in the CPU's cache, as ``uniform``
            flat_out[rows] = _mix(flat_parent[rows] ^ salt)
    return out


def categorical(u: np.ndarray, shares: np.ndarray, group: np.ndarray | None = None) -> np.ndarray:
    """Index drawn by inverse CDF on uniforms ``u``.

    ``shares`` is float[k] for one distribution, or float[g, k] with ``group``
    giving each draw's row.
    """
    shares = np.asarray(shares, dtype=float)
    if len(u) == 0:
        return np.zeros(0, dtype=np.intp)
    if shares.ndim == 1:
        cum = np.cumsum(shares) / shares.sum()
        if _few_categories(u, shares, cum):
            index = _at_or_below(cum[None, :], u)
            return np.minimum(index, len(cum) - 1, out=index)
        return np.minimum(np.searchsorted(cum, u, side="right"), len(cum) - 1)
    k = shares.shape[1]
    stacked = _stacked_cdf(shares)
    if _few_categories(u, shares, stacked):
        # row g's CDF values lie in [g, g + 1): those of earlier rows are all at most g + u, of later rows none
        # (but when g + u rounds to g + 1, which then counts all of row g: clipped to k - 1 either way); both
        # the row's values and g + u lie in [g, g + 1], so subtracting g is exact and keeps every comparison (shifted)
        rows = stacked.reshape(-1, k) - np.arange(len(shares))[:, None]
        index = _at_or_below(rows, u, group, shifted=True)
        return np.minimum(index, k - 1, out=index)  # counts are not negative
    index = np.searchsorted(stacked, group + u, side="right") - group * k
    return np.minimum(np.maximum(index, 0, out=index), k - 1, out=index)  # np.clip, without its overhead


def categorical_each(u: np.ndarray, distributions: list[np.ndarray], group: np.ndarray) -> np.ndarray:
    """Index drawn for each uniform ``u[i]`` from its own group's distribution, ``distributions[group[i]]``
    (float[k_g], k_g may differ): the same indices as ``categorical`` on each group's draws, int[n]."""
    if len(u) == 0:
        return np.zeros(0, dtype=np.intp)
    shares = [np.asarray(s, dtype=float) for s in distributions]
    cums = [np.cumsum(s) / s.sum() for s in shares]
    if not _few_categories(u, np.concatenate(shares), np.concatenate(cums), any_k=True):  # as every group's
        index = np.empty(len(u), dtype=np.intp)
        for g, s in enumerate(shares):
            rows = np.flatnonzero(group == g)
            index[rows] = categorical(u[rows], s)
        return index
    cdf = np.full((len(cums), max(map(len, cums))), np.inf)  # rows padded with values above every draw
    for g, c in enumerate(cums):
        cdf[g, : len(c)] = c
    last = np.array([len(c) - 1 for c in cums])
    index = _at_or_below(cdf, u, group)
    return np.minimum(index, last[group], out=index)


def _few_categories(u: np.ndarray, shares: np.ndarray, cdf: np.ndarray, any_k: bool = False) -> bool:
    """Whether counting CDF values is faster than a binary search, and finds the same: few categories (unless
    ``any_k``), shares not negative, finite CDF values (sorted then), uniforms in [0, 1] (not NaN)."""
    return (
        (any_k or shares.shape[-1] <= 32)
        and len(u) > 0
        and bool((shares >= 0).all() and np.isfinite(cdf).all() and u.min() >= 0.0 and u.max() <= 1.0)
    )


_LOOKUP_BITS = 10  # draws looked up in 2**10 buckets of [0, 1]
_LOOKUP_MIN_DRAWS = 4096  # fewer draws are compared with their row's CDF values all at once (no table to build) ...
_LOOKUP_MIN_CELLS = 1 << 14  # ... unless there are this many comparisons (draws times values per row)


def _at_or_below(cdf: np.ndarray, x: np.ndarray, row: np.ndarray | None = None, shifted: bool = False) -> np.ndarray:
    """How many of the values ``cdf[row[i]]`` (``cdf`` float[g, k], not negative; row 0 if ``row`` is None) are
    at most ``x[i]`` (in [0, 1]; ``shifted``: at most ``(row[i] + x[i]) - row[i]``): what a binary search finds in
    a sorted row, int[n]."""
    if len(x) >= _LOOKUP_MIN_DRAWS or len(x) * cdf.shape[1] >= _LOOKUP_MIN_CELLS:
        return _looked_up(cdf, x, row, shifted)
    if shifted:
        x = _unshifted(x, row)
    # fewer than _LOOKUP_MIN_CELLS comparisons: every draw with its row's values at once
    return np.count_nonzero(cdf[0 if row is None else row] <= x[:, None], axis=1)


def _looked_up(cdf: np.ndarray, x: np.ndarray, row: np.ndarray | None, shifted: bool) -> np.ndarray:
    """``_at_or_below`` by a guide table (Chen and Asau 1974): the count for the bucket of width 2**-bits that
    holds ``x[i]``, where no CDF value lies strictly inside it; draws in the other buckets are compared with
    their row's values.

    Scaling by 2**bits is exact, so a value ``c`` is at most every draw of bucket ``b`` exactly when
    ``ceil(c·2**bits) <= b``, and lies strictly inside bucket ``b`` when ``c·2**bits`` is not whole and
    ``floor(c·2**bits) == b``. Bucket 2**bits holds only ``x == 1``; values above 1 count for no draw.
    Draws are looked up in blocks, whose temporaries stay in the CPU's cache (as ``uniform``).
    """
    n_rows, n_buckets = cdf.shape[0], (1 << _LOOKUP_BITS) + 1
    scaled = cdf * float(1 << _LOOKUP_BITS)
    cdf_row, column = np.nonzero(scaled <= float(1 << _LOOKUP_BITS))
    scaled = scaled[cdf_row, column]
    first = cdf_row * n_buckets + np.ceil(scaled).astype(np.intp)
    table = np.cumsum(np.bincount(first, minlength=n_rows * n_buckets).reshape(n_rows, n_buckets), axis=1)
    inside = scaled != np.floor(scaled)
    table[cdf_row[inside], np.floor(scaled[inside]).astype(np.intp)] = -1
    count, unsure = np.empty(len(x), dtype=np.intp), []
    for rows in _blocks(len(x), 1):
        v = _unshifted(x[rows], row[rows]) if shifted else x[rows]
        bucket = (v * float(1 << _LOOKUP_BITS)).astype(np.intp)
        if row is not None:
            bucket += row[rows] * np.intp(n_buckets)
        found = np.take(table, bucket, out=count[rows])
        unsure.append(rows.start + np.flatnonzero(found < 0))  # few: draws in a bucket that holds a CDF value
    unsure = np.concatenate(unsure or [np.zeros(0, dtype=np.intp)])
    v = _unshifted(x[unsure], row[unsure]) if shifted else x[unsure]
    count[unsure] = (cdf[0 if row is None else row[unsure]] <= v[:, None]).sum(axis=1)
    return count


def _unshifted(x: np.ndarray, row: np.ndarray) -> np.ndarray:
    """``(row + x) - row``: ``x`` as compared when shifted by its row (the same number, or rounded)."""
    return (row + x) - row


_CDF_CAP = 1.0 - 1e-12  # CDF values are capped below 1


def _stacked_cdf(shares: np.ndarray, out: np.ndarray | None = None, ascending: bool = False) -> np.ndarray:
    """The CDFs of the rows of ``shares`` float[g, k], row ``i`` shifted by ``i``: one ascending array, float[g·k];
    with ``out`` (float[g, k]), written there and ``out`` returned. ``ascending``: no share is negative, so each
    row ascends and only values from the first above the cap on are capped (found from the row ends)."""
    n_groups = shares.shape[0]
    cum = np.cumsum(shares, axis=1, out=out)
    cum /= np.where(cum[:, -1:] > 0, cum[:, -1:], 1.0)  # in place on the new array, as below
    tail = cum[:, -2:] if ascending else cum
    np.minimum(tail, _CDF_CAP, out=tail)
    if tail.shape[1] < cum.shape[1] and not (cum[:, -3] <= _CDF_CAP).all():  # values before the ends capped too
        np.minimum(cum, _CDF_CAP, out=cum)
    cum += np.arange(n_groups, dtype=float)[:, None]  # the row numbers, exactly
    return cum.ravel() if out is None else out


_SEARCH_BUCKETS = 64  # draws ordered by row and by this share of the unit before they are searched


class RepeatedCategorical:
    """``categorical(u, shares, group)`` for fixed ``u`` and ``group`` and shares that change (shadow-price rounds).

    Row ``g``'s stacked CDF values lie in [g, g + 1], and so does its draws' ``g + u``; a draw's index is how many
    of its row's values are at or below it, which is where it lies among all the (ascending) values less the
    ``g·k`` values of the rows before. Each draw keeps that place; a later call looks again (a binary search) only
    for draws no longer between the same two values. The same comparisons of the same numbers, so the same indices;
    shares that would not give ascending rows (negative, NaN) are drawn as before. The draws are searched in nearly
    ascending order (by row and a 64th of the unit, a radix sort), which keeps the searches in the cache.
    """

    def __init__(self, u: np.ndarray, group: np.ndarray) -> None:
        shifted = group + u
        in_unit = len(u) > 0 and bool(u.min() >= 0.0 and u.max() <= 1.0)
        self.rows = (int(group.min()), int(group.max())) if in_unit else None  # the rows drawn from, if placed
        if self.rows is not None and self.rows[0] >= 0 and self.rows[1] < (1 << 15) // _SEARCH_BUCKETS:
            bucket = np.minimum(u * _SEARCH_BUCKETS, _SEARCH_BUCKETS - 1).astype(np.int16)
            self.order = np.argsort(group.astype(np.int16) * np.int16(_SEARCH_BUCKETS) + bucket, kind="stable")
        else:
            self.order = np.argsort(shifted, kind="stable")
        self.sorted = shifted[self.order]  # nearly ascending
        self.group = group[self.order]
        self.place: np.ndarray | None = None  # per sorted draw: how many CDF values are at or below it (all rows)
        self.cdf = np.zeros(0)  # -inf, the stacked CDFs, inf

    def __call__(self, shares: np.ndarray, not_negative: bool = False) -> np.ndarray:
        """The index drawn for each draw, int[n]; ``not_negative``: the caller vouches that no share is negative."""
        shares = np.asarray(shares, dtype=float)
        n_groups, k = shares.shape
        if self.rows is None or self.rows[0] < 0 or self.rows[1] >= n_groups or k == 0:
            return self._searched(shares)
        if not (not_negative or bool((shares >= 0).all())):
            return self._searched(shares)
        if len(self.cdf) != n_groups * k + 2:
            self.cdf = np.empty(n_groups * k + 2)
            self.cdf[0], self.cdf[-1] = -np.inf, np.inf
            self.start, self.place = self.group * k, None  # sorted draws' first places: the row's
        rows = _stacked_cdf(shares, out=self.cdf[1:-1].reshape(n_groups, k), ascending=True)
        if np.isnan(rows[:, -1]).any():  # a NaN share makes its row's last value NaN
            return self._searched(shares)
        found = self._placed(k) - self.start
        index = np.empty(len(self.sorted), dtype=np.int64)
        index[self.order] = np.minimum(found, k - 1, out=found)
        return index

    def _placed(self, k: int) -> np.ndarray:
        """Each sorted draw's place, looked for again where it no longer lies between the same two values."""
        if self.place is None:
            self.place = self._found(np.arange(len(self.sorted)), k)
        else:
            place, x = self.place, self.sorted
            lost = np.flatnonzero((self.cdf.take(place) > x) | (self.cdf[1:].take(place) <= x))
            if len(lost):
                place[lost] = self._found(lost, k)
        return self.place

    def _found(self, draws: np.ndarray, k: int) -> np.ndarray:
        """The places of ``draws`` (positions in ``sorted``) by binary search: past the row only when ``g + u``
        rounds to ``g + 1`` and the next row starts at that value (then the row's end, where all its values count)."""
        place = np.searchsorted(self.cdf, self.sorted[draws], side="right") - 1
        return np.minimum(place, self.start[draws] + k, out=place)

    def _searched(self, shares: np.ndarray) -> np.ndarray:
        """The indices by one binary search over all stacked CDFs (any shares)."""
        self.place = None
        k = shares.shape[1]
        ascending = np.argsort(self.sorted, kind="stable")
        below = _counted(_stacked_cdf(shares), self.sorted[ascending])
        index = np.empty(len(below), dtype=np.int64)
        index[self.order[ascending]] = below - self.group[ascending] * k
        return np.clip(index, 0, k - 1, out=index)


def _counted(cdf: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """How many of the ascending ``cdf`` values are at or below each of the ascending ``draws``, int[draw]: the
    longer array searched with the shorter one."""
    if len(cdf) >= len(draws):
        return np.searchsorted(cdf, draws, side="right")
    first = np.searchsorted(draws, cdf, side="left")  # CDF value j is at most draw i exactly when i >= first[j]
    return np.cumsum(np.bincount(first, minlength=len(draws) + 1)[:-1])


class LazyRows:
    """Rows of keyed draws float32[n, k], computed on first use (a row always gets the same values).

    Computed rows are stored one after the other, in the order they were first asked for (no array of
    all ``n`` rows to fill). The arrays returned must not be changed.
    """

    def __init__(self, n: int, k: int, compute) -> None:
        self.compute = compute
        self.position = np.full(n, -1, dtype=np.int64)  # each row's place in ``values`` (-1: not computed yet)
        self.values = np.empty((0, k), dtype=np.float32)

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        missing = rows[self.position[rows] < 0]
        if len(missing) == 0:
            return np.take(self.values, self.position[rows], axis=0)
        computed = self.compute(missing)
        self.position[missing] = len(self.values) + np.arange(len(missing))
        self.values = np.concatenate([self.values, computed]) if len(self.values) else computed
        if len(missing) == len(rows):  # all new (as in the first round): just computed, in the order asked
            return computed
        return np.take(self.values, self.position[rows], axis=0)

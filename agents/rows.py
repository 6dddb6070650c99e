"""Grouping identical rows (so work per kind of agent is not repeated per agent), and exact products."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
from scipy import sparse


@cache
def _weights(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Square and cube roots of the first ``n`` primes: rationally independent weights for two row codes."""
    primes: list[int] = []
    candidate = 2
    while len(primes) < n:
        if all(candidate % p for p in primes if p * p <= candidate):
            primes.append(candidate)
        candidate += 1
    p = np.array(primes, dtype=float)
    return np.sqrt(p), np.cbrt(p)


def stable_order(values: np.ndarray) -> np.ndarray:
    """``np.argsort(values, kind="stable")``, faster: a quicksort, which gives the same order where no two values are
    equal (checked: else the stable sort)."""
    order = np.argsort(values)
    ordered = values[order]
    return order if not (ordered[1:] == ordered[:-1]).any() else np.argsort(values, kind="stable")


def counted_on(counts: np.ndarray, at: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``counts`` (a count of earlier rows, by flat cell) with ``weights`` added at the flat cells ``at`` one row at a
    time, in row order, as a new array: the same numbers, to the bit, as counting all the rows again with
    ``np.bincount`` (which adds in row order too)."""
    out = counts.copy()
    np.add.at(out.reshape(-1), at, weights)
    return out


_BLOCK_ROWS = 1 << 15  # rows coded per block: the block's columns and sums stay in the CPU's cache


def _row_codes(parts: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Two float codes per row: weighted sums of its entries with rationally independent weights."""
    width = sum(p.shape[1] for p in parts)
    w1, w2 = _weights(width)
    code, check = np.zeros(len(parts[0])), np.zeros(len(parts[0]))
    for start in range(0, len(code), _BLOCK_ROWS):
        rows = slice(start, start + _BLOCK_ROWS)
        code_rows, check_rows = code[rows], check[rows]  # views: summed in place, entry by entry as before
        i = 0
        for part in parts:
            for j in range(part.shape[1]):
                column = part[rows, j].astype(float)
                code_rows += column * w1[i]
                check_rows += column * w2[i]
                i += 1
    return code, check


def _sorted_groups(code: np.ndarray, check: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Rows grouped by ``code`` (groups in the order of their codes), or None if ``check`` disagrees within a group
    (a floating-point coincidence: the caller then groups exactly)."""
    _, first, inverse = np.unique(code, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    return (first, inverse) if np.array_equal(check[first][inverse], check) else None


def distinct_rows(*columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One representative row per distinct combination of ``columns``, and each row's representative.

    Columns are arrays of small numbers with one entry (or one row, for 2-D
    columns) per agent; rows ``i`` and ``first[inverse[i]]`` are equal.
    """
    parts = [c.reshape(len(c), -1) for c in columns]
    groups = _sorted_groups(*_row_codes(parts))
    if groups is not None:
        return groups
    stacked = np.column_stack([p.astype(float) for p in parts])
    _, first, inverse = np.unique(stacked, axis=0, return_index=True, return_inverse=True)
    return first, inverse.ravel()


def distinct_sparse_rows(X: sparse.csr_array | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``distinct_rows`` of a (sparse or dense) matrix of small numbers, without making it dense.

    The row codes are the same numbers ``distinct_rows`` computes from the dense rows
    (zeros add nothing), so both group and order the rows alike.
    """
    X = sparse.csr_array(X)
    X.sum_duplicates()  # also sorts each row's columns: sums in column order, as the dense codes
    w1, w2 = _weights(X.shape[1])
    groups = _sorted_groups(X @ w1, X @ w2)
    return groups if groups is not None else distinct_rows(X.toarray())


def rows_by_appearance(*columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """As :func:`distinct_rows`, but groups numbered in order of first appearance (hashed, not sorted: faster).

    For callers whose results do not depend on the groups' order (only on which rows are grouped).
    """
    groups = codes_by_appearance(*row_codes(*columns))
    return groups if groups is not None else distinct_rows(*columns)


def codes_by_appearance(code: np.ndarray, check: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Each distinct ``code``'s first row and each row's group, groups numbered in order of first appearance;
    None if ``check`` disagrees within a group (a floating-point coincidence: the caller then groups exactly)."""
    first, inverse = _factorized((code + 0.0).view(np.int64))  # equal codes, equal bits (once -0.0 is 0.0): faster
    return (first, inverse) if np.array_equal(check[first][inverse], check) else None


def _factorized(code: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each distinct whole number ``code``'s first row and each row's group, groups numbered as they first appear."""
    inverse, _ = pd.factorize(code)
    seen = np.maximum.accumulate(inverse)  # groups are numbered as they first appear: a new one raises the maximum
    first = np.flatnonzero(np.r_[True, seen[1:] > seen[:-1]]) if len(inverse) else np.zeros(0, dtype=np.int64)
    return first, inverse


def groups_by_appearance(*columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """As :func:`rows_by_appearance`, for columns of whole numbers or bools (1-D): grouped exactly, by hashing
    their rows packed into one whole number each (:func:`packed`)."""
    code = packed(*columns)
    return _factorized(code) if code is not None else rows_by_appearance(*columns)


def group_codes(code: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(code, return_index=True, return_inverse=True)`` without the value: each distinct code's
    first row, in ascending code order, and each row's group.

    Codes that are small non-negative numbers (kinds are) are counted rather than sorted.
    """
    if len(code) == 0 or code.min() < 0 or code.max() > 4 * len(code):
        _, first, group = np.unique(code, return_index=True, return_inverse=True)
        return first, group.ravel()
    span = int(code.max()) + 1
    first = np.full(span, len(code))
    np.minimum.at(first, code, np.arange(len(code)))
    present = first < len(code)
    rank = np.cumsum(present) - 1
    return first[present], rank[code]


def row_codes(*columns: np.ndarray, entries: Entries | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Two float codes per row of ``columns`` (1-D or 2-D arrays of small numbers) and of the features given
    by their nonzero ``entries``: equal rows get equal codes."""
    parts = [c.reshape(len(c), -1) for c in columns]
    code, check = _row_codes(parts)
    if entries is not None:
        offset = sum(p.shape[1] for p in parts)
        w1, w2 = _weights(offset + entries.width * len(entries.values))
        code += entries.sums(len(code), w1[offset:])
        check += entries.sums(len(code), w2[offset:])
    return code, check


@dataclass
class Entries:
    """2-D features (``width`` columns each) given by their nonzero entries: ``values[k][e]`` is row ``row[e]``'s
    entry in column ``column[e]`` of feature ``k`` (each row's entries in increasing column order); 0 elsewhere."""

    row: np.ndarray
    column: np.ndarray
    values: list[np.ndarray]
    width: int

    def sums(self, n: int, weights: np.ndarray) -> np.ndarray:
        """Each row's entries weighted by ``weights`` (feature by feature) and summed in column order, float[n]."""
        weighted = self.values[0] * weights[self.column]
        for k, values in enumerate(self.values[1:], 1):
            weighted += values * weights[k * self.width + self.column]
        return np.bincount(self.row, weights=weighted, minlength=n)


def packed(*columns: np.ndarray) -> np.ndarray | None:
    """The rows of ``columns`` (arrays of whole numbers or bools) as one whole number each, their values in mixed radix
    (equal rows, and only they, get equal numbers), int64; None if these might not all be exact as floats."""
    code, span = np.zeros(len(columns[0]), dtype=np.int64), 1
    if len(code) == 0:
        return code
    for column in columns:
        if column.dtype == bool:
            span *= 2
            code <<= 1
            code |= column
        else:
            low, high = int(column.min()), int(column.max())
            span *= high - low + 1
            code *= high - low + 1
            np.add(code, column, out=code, casting="unsafe")  # (whole numbers: exact as int64)
            if low:
                code -= low
        if span > 2**53:
            return None
    return code


def dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Matrix product without BLAS, so results are bit-identical whatever the process's BLAS threading.

    (Multi-threaded BLAS sums in a different order than a joblib worker's single thread.) Each entry is
    summed in order of ``j`` alone, so a row's result does not depend on the other rows (tests check this).
    """
    return np.einsum("ij,jk->ik", a, b) if b.ndim == 2 else np.einsum("ij,j->i", a, b)

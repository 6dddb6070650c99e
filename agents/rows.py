"""Grouping identical rows (so work per kind of agent is not repeated per agent), and exact products."""

from __future__ import annotations

from functools import cache

import numpy as np
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


def distinct_rows(*columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One representative row per distinct combination of ``columns``, and each row's representative.

    Columns are arrays of small numbers with one entry (or one row, for 2-D
    columns) per agent; rows ``i`` and ``first[inverse[i]]`` are equal.
    """
    parts = [c.reshape(len(c), -1) for c in columns]
    width = sum(p.shape[1] for p in parts)
    w1, w2 = _weights(width)
    code, check = np.zeros(len(parts[0])), np.zeros(len(parts[0]))
    i = 0
    for part in parts:
        for j in range(part.shape[1]):
            column = part[:, j].astype(float)
            code += column * w1[i]
            check += column * w2[i]
            i += 1
    _, first, inverse = np.unique(code, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    if not np.array_equal(check[first][inverse], check):  # a floating-point coincidence: group exactly
        stacked = np.column_stack([p.astype(float) for p in parts])
        _, first, inverse = np.unique(stacked, axis=0, return_index=True, return_inverse=True)
        inverse = inverse.ravel()
    return first, inverse


def distinct_sparse_rows(X: sparse.csr_array) -> tuple[np.ndarray, np.ndarray]:
    """``distinct_rows`` of a sparse matrix of small numbers, without making it dense.

    The row codes are the same numbers ``distinct_rows`` computes from the dense rows
    (zeros add nothing), so both group and order the rows alike.
    """
    X = sparse.csr_array(X)
    X.sum_duplicates()  # also sorts each row's columns: sums in column order, as the dense codes
    w1, w2 = _weights(X.shape[1])
    code, check = X @ w1, X @ w2
    _, first, inverse = np.unique(code, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    if not np.array_equal(check[first][inverse], check):  # a floating-point coincidence: group exactly
        return distinct_rows(X.toarray())
    return first, inverse


def dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Matrix product without BLAS, so results are bit-identical whatever the process's BLAS threading.

    (Multi-threaded BLAS sums in a different order than a joblib worker's single thread.)
    """
    return np.einsum("ij,jk->ik", a, b) if b.ndim == 2 else np.einsum("ij,j->i", a, b)

"""Grouping identical rows: hashed and sparse grouping find the same groups as sorted grouping."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import sparse

from agents.rows import counted_on, distinct_rows, distinct_sparse_rows, groups_by_appearance, rows_by_appearance


def test_rows_by_appearance_same_groups_as_distinct_rows():
    rng = np.random.default_rng(3)
    n = 5000
    columns = (
        rng.integers(0, 4, n),
        rng.random(n) < 0.3,
        rng.integers(0, 3, (n, 3)).astype(float),
        np.round(rng.integers(0, 2, n) * 0.35, 6),
    )
    first, group = rows_by_appearance(*columns)
    sorted_first, sorted_group = distinct_rows(*columns)
    assert len(first) == len(sorted_first)
    # the same partition: each hashed group maps to exactly one sorted group
    assert len(np.unique(group * len(first) + sorted_group)) == len(first)
    # groups numbered by first appearance, each represented by its first row
    np.testing.assert_array_equal(group[first], np.arange(len(first)))
    assert (np.diff(first) > 0).all()
    np.testing.assert_array_equal(np.sort(first), np.sort(sorted_first))


@given(st.lists(st.tuples(st.integers(-3, 3), st.booleans(), st.integers(0, 2**20)), min_size=1, max_size=60))
def test_groups_by_appearance_as_rows_by_appearance(rows):
    # whole numbers packed exactly: the same groups, numbered alike, as the float row codes
    columns = [np.array(column) for column in zip(*rows, strict=True)]
    first, group = groups_by_appearance(*columns)
    expected_first, expected_group = rows_by_appearance(*columns)
    np.testing.assert_array_equal(first, expected_first)
    np.testing.assert_array_equal(group, expected_group)


@given(arrays(np.int8, st.tuples(st.integers(1, 40), st.integers(1, 6)), elements=st.integers(0, 3)))
def test_sparse_and_dense_rows_are_grouped_alike(X):
    """The raking groups a sparse design's rows exactly as the dense grouping does (same groups, same order)."""
    first, inverse = distinct_rows(X)
    sparse_first, sparse_inverse = distinct_sparse_rows(sparse.csr_array(X.astype(float)))
    np.testing.assert_array_equal(sparse_first, first)
    np.testing.assert_array_equal(sparse_inverse, inverse)
    np.testing.assert_array_equal(X[first][inverse], X)


def test_a_count_continued_equals_a_recount_to_the_bit():
    """``counted_on``: the later rows added to a count of the earlier ones give the count of all rows, bit for bit,
    and the earlier count is left as it was."""
    rng = np.random.default_rng(3)
    cells, weights = rng.integers(0, 7, 5000), rng.random(5000) * 1e3
    earlier = np.bincount(cells[:3000], weights=weights[:3000], minlength=7)
    before = earlier.copy()
    continued = counted_on(earlier, cells[3000:], weights[3000:])
    assert np.array_equal(continued, np.bincount(cells, weights=weights, minlength=7))
    assert np.array_equal(earlier, before)
    grid = counted_on(earlier.reshape(7, 1), cells[3000:], weights[3000:])  # flat cells of a 2-D count
    assert grid.shape == (7, 1) and np.array_equal(grid.ravel(), continued)

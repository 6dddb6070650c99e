"""Row tables kept in buffers with spare room (``agents.population.Columns``): appending gives exactly what
concatenating gives, and never changes a column someone read before."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

from agents.population import Households


def households(n: int, start: int = 0) -> Households:
    rows = np.arange(start, start + n)
    return Households(
        key=rows.astype(np.uint64),
        place=(rows % 7).astype(np.int16),
        urban=rows % 2 == 0,
        tenure=(rows % 3).astype(np.int8),
        hukou_city=(rows % 5).astype(np.int8),
        weight=rows * 0.5,
        origin=(rows % 11).astype(np.int16),
        arrived=np.full(n, 2020, dtype=np.int16),
    )


def concatenated(*tables: Households) -> Households:
    return Households.concat(*tables)


def assert_same(table: Households, expected: Households) -> None:
    for name, column in vars(expected).items():
        got = getattr(table, name)
        assert got.dtype == column.dtype, name
        np.testing.assert_array_equal(got, column, err_msg=name)


def test_appends_into_spare_room_give_what_concatenating_gives_and_keep_earlier_reads():
    table, parts = households(5), [households(5)]
    read = {}
    for k, n in enumerate([3, 0, 40, 1, 200, 7]):  # small appends into the room, and some larger than it
        before, seen = len(table), table.weight
        part = households(n, start=100 * (k + 1))
        table.extend(part)
        parts.append(part)
        assert_same(table, concatenated(*parts))
        np.testing.assert_array_equal(seen, concatenated(*parts).weight[:before])  # a column read before: unchanged
        read[k] = table.place
    table.keep(table.place != 3)
    kept = concatenated(*parts).take(concatenated(*parts).place != 3)
    assert_same(table, kept)
    table.place[:2] = 6  # written in place: the buffer's rows, read by the next append
    kept.place[:2] = 6
    table.extend(households(4, start=5000))
    assert_same(table, concatenated(kept, households(4, start=5000)))


def test_a_column_assigned_anew_or_appended_with_a_wider_type_is_not_written_over():
    table = households(10)
    table.extend(households(2, start=10))  # now in a buffer with room
    replaced = np.full(12, 9, dtype=np.int16)
    table.place = replaced  # assigned anew: its own array, not the old buffer's rows
    table.extend(households(3, start=12))
    np.testing.assert_array_equal(replaced, np.full(12, 9))  # not appended to in place
    expected = concatenated(households(10), households(2, start=10), households(3, start=12))
    expected.place[:12] = 9
    assert_same(table, expected)
    wider = households(2, start=20)
    wider.place = wider.place.astype(np.int64)  # as np.concatenate: the wider type
    table.extend(wider)
    assert table.place.dtype == np.int64 and len(table) == 17


@pytest.mark.parametrize("duplicate", [copy.deepcopy, lambda t: pickle.loads(pickle.dumps(t))], ids=["copy", "pickle"])
def test_a_copied_or_unpickled_table_appends_after_the_writes_into_its_columns(duplicate):
    table = households(10)
    table.extend(households(2, start=10))  # now in a buffer with room
    copied = duplicate(table)
    copied.weight[0] = -1.0  # a write into the copy's column, then an append
    copied.extend(households(3, start=12))
    expected = concatenated(households(10), households(2, start=10), households(3, start=12))
    expected.weight[0] = -1.0
    assert_same(copied, expected)
    assert table.weight[0] == 0.0, "the original is not written"


def test_keeping_moves_rows_up_in_their_buffer_and_never_changes_a_column_someone_holds():
    parts = [households(70_000), households(30, start=70_000)]  # more rows than one step of the move moves
    table = concatenated(parts[0])
    table.extend(parts[1])  # now in buffers with room
    mask = (table.key % 7 != 3) & (table.key != 5)
    expected = concatenated(*parts).take(mask)
    first_row = {name: getattr(table, name).__array_interface__["data"][0] for name in ("key", "tenure")}
    seen, sliced = table.weight, table.place[:100]  # held: these two columns are kept as new arrays
    seen_before, sliced_before = seen.copy(), sliced.copy()
    table.keep(mask)
    assert_same(table, expected)
    np.testing.assert_array_equal(seen, seen_before)
    np.testing.assert_array_equal(sliced, sliced_before)
    for name, address in first_row.items():  # nobody held them: moved up where they were
        assert getattr(table, name).__array_interface__["data"][0] == address, name
    table.extend(households(5, start=900_000))
    table.keep(table.key % 2 == 0)
    table.look_up("place", np.arange(7, dtype=np.int16)[::-1].copy())
    expected = concatenated(expected, households(5, start=900_000))
    expected = expected.take(expected.key % 2 == 0)
    expected.place = np.arange(7, dtype=np.int16)[::-1][expected.place]
    assert_same(table, expected)


@pytest.mark.parametrize("mask", [np.arange(3), np.ones(4, dtype=bool)], ids=["indices", "wrong length"])
def test_keeping_needs_a_bool_mask_of_the_table_s_rows(mask):
    table = households(5)
    with pytest.raises(ValueError, match="bool mask of 5 rows"):
        table.keep(mask)

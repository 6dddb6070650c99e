"""The hot state: households and persons as columns of numpy arrays.

One row is one agent; its ``weight`` says how many real households (and so
people) it stands for, which keeps totals exact at any scale. Mesa agent
objects (``abm.handles``) are thin handles over these rows.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, fields
from functools import cache
from typing import Self

import numpy as np

RENTER, OWNER, COLLECTIVE = 0, 1, 2
NO_JOB = -1


def dwellings_occupied(weight: np.ndarray, in_dormitory: np.ndarray, collective_space: float) -> np.ndarray:
    """Dwellings households occupy: one each, or ``collective_space`` of one in a dormitory (times their
    ``weight``), float[n]."""
    return weight * np.take(np.array([1.0, collective_space]), in_dormitory.view(np.int8))


class Columns:
    """Equal-length numpy columns, one row per agent (a struct of arrays).

    Each column is the first ``len`` rows of a buffer (a view) with spare room after them: appended rows
    (:meth:`extend`) are written into that room (a column without room, full or assigned anew, is copied into a
    buffer of twice the rows needed), and kept rows (:meth:`keep`) are moved up within the buffer. Both only where
    nothing outside the table holds the column's buffer (a column read from it keeps it referenced): otherwise
    the column is copied first, so a column read before keeps its rows, as with new arrays, and the table has the
    same values, dtypes and row order as taking and concatenating would give. A column read before an append
    shares its rows with the table, though: write into a column read anew, not into one kept from before an
    append (the write would reach the table's rows, where a concatenation would not).
    """

    def __len__(self) -> int:
        return len(getattr(self, _names(type(self))[0]))

    def take(self, index: np.ndarray) -> Self:
        """The rows at ``index`` (indices or a boolean mask) as a new table."""
        return type(self)(**{name: getattr(self, name)[index] for name in _names(type(self))})

    @classmethod
    def concat(cls, *tables: Self) -> Self:
        """The rows of ``tables``, one after the other, as a new table."""
        return cls(**{name: np.concatenate([getattr(t, name) for t in tables]) for name in _names(cls)})

    def extend(self, other: Self) -> None:
        """Append the rows of ``other`` (written into each column's spare room where it has enough)."""
        n, added = len(self), len(other)
        for name in _names(type(self)):
            column, new = getattr(self, name), getattr(other, name)
            if np.result_type(column, new) != column.dtype or column.shape[1:] != new.shape[1:]:
                setattr(self, name, np.concatenate([column, new]))  # a wider type: as concatenating gives it
                continue
            buffer = self._buffer_of(name, column)
            if buffer is None or len(buffer) < n + added:
                buffer = np.empty((2 * (n + added) + _SPARE_ROWS, *column.shape[1:]), dtype=column.dtype)
                buffer[:n] = column
            buffer[n : n + added] = new
            self._hold(name, buffer, n + added)

    def keep(self, mask: np.ndarray) -> None:
        """Keep the rows where ``mask`` (bool[len]) is true: moved up in their buffer where no one else holds it,
        else as new arrays (the next :meth:`extend` gives them room)."""
        if mask.dtype != bool or len(mask) != len(self):
            raise ValueError(f"keep: a bool mask of {len(self)} rows expected, got {mask.dtype}[{len(mask)}]")
        for name in _names(type(self)):
            buffer = self._unshared_buffer(name)
            if buffer is None:
                setattr(self, name, getattr(self, name)[mask])
                continue
            n, kept = len(mask), 0
            for start in range(0, n, _CHUNK_ROWS):  # a chunk's rows move up, never past rows not yet read
                rows = buffer[start : min(start + _CHUNK_ROWS, n)][mask[start : start + _CHUNK_ROWS]]
                buffer[kept : kept + len(rows)] = rows
                kept += len(rows)
            self._hold(name, buffer, kept)

    def look_up(self, name: str, table: np.ndarray) -> None:
        """Replace column ``name`` (indices into ``table``, of its dtype) by ``table[column]``: in its buffer where no
        one else holds it, else as a new array."""
        buffer = self._unshared_buffer(name)
        if buffer is None or buffer.dtype != table.dtype:
            setattr(self, name, table[getattr(self, name)])
            return
        n = len(getattr(self, name))
        for start in range(0, n, _CHUNK_ROWS):
            rows = buffer[start : min(start + _CHUNK_ROWS, n)]
            rows[...] = table[rows]

    def __getstate__(self) -> dict:
        """The columns without their buffers: a copy or an unpickled table has columns of its own (a copied view
        and a copied buffer no longer share rows, so the buffer would miss the column's later writes)."""
        return {name: value for name, value in self.__dict__.items() if name != "_buffers"}

    def _buffer_of(self, name: str, column: np.ndarray) -> np.ndarray | None:
        """The buffer whose first rows ``column`` is, if it is still the one :meth:`_hold` set (not assigned anew)."""
        held = self.__dict__.get("_buffers", {}).get(name)
        return held[1] if held is not None and held[0] is column else None

    def _unshared_buffer(self, name: str) -> np.ndarray | None:
        """The buffer of column ``name`` if nothing outside the table holds it or the column (else None)."""
        held = self.__dict__.get("_buffers", {}).get(name)
        if held is None or held[0] is not getattr(self, name) or _references(held) != _TABLE_ONLY:
            return None
        return held[1]

    def _hold(self, name: str, buffer: np.ndarray, n: int) -> None:
        """Make the column ``name`` the first ``n`` rows of ``buffer``."""
        view = buffer[:n]
        self.__dict__.setdefault("_buffers", {})[name] = (view, buffer)
        setattr(self, name, view)


_SPARE_ROWS = 64  # at least this much room in a buffer (small tables)
_CHUNK_ROWS = 1 << 15  # rows moved up per step by :meth:`Columns.keep`: each step's copy stays in the CPU's cache


def _references(held: tuple[np.ndarray, np.ndarray]) -> tuple[int, int]:
    """References to a held column and to its buffer (``held``: both; ``sys.getrefcount``)."""
    return sys.getrefcount(held[0]), sys.getrefcount(held[1])


@cache
def _names(table: type) -> tuple[str, ...]:
    """The column names of a :class:`Columns` class, in order (``dataclasses.fields``, looked up once)."""
    return tuple(f.name for f in fields(table))


@dataclass
class _Probe(Columns):
    """A one-column table, to count the references a table's own column and buffer have."""

    column: np.ndarray


def _table_only_references() -> tuple[int, int]:
    """What :func:`_references` counts for a column that nothing outside its table holds."""
    probe = _Probe(column=np.zeros(1))
    probe.extend(_Probe(column=np.zeros(1)))
    return _references(probe._buffers["column"])


_TABLE_ONLY = _table_only_references()


def taken_lazily[T](table: T, index: np.ndarray) -> T:
    """The rows at ``index`` of ``table`` (a :class:`Columns`, or rows taken so), each column gathered only when
    first read: for readers of a few columns of a wide table."""
    return _Taken(table, index)  # type: ignore[return-value]  # reads like a T: len() and its columns


class _Taken:
    """Rows of a table whose columns are gathered on first reading (then kept)."""

    def __init__(self, table: object, index: np.ndarray) -> None:
        self._table, self._index = table, index

    def __len__(self) -> int:
        return len(self._index)

    def __getattr__(self, name: str) -> np.ndarray:  # called only for columns not yet gathered
        if name.startswith("_"):
            raise AttributeError(name)
        column = getattr(self._table, name)[self._index]
        setattr(self, name, column)
        return column


@dataclass
class Households(Columns):
    """Household agents: where they live, how, and where they came from."""

    key: np.ndarray  # uint64: identity for random streams
    place: np.ndarray  # int16: place index
    urban: np.ndarray  # bool: urban part of the place
    tenure: np.ndarray  # int8: RENTER, OWNER or COLLECTIVE (dormitory)
    hukou_city: np.ndarray  # int8: city whose hukou the household holds (places().city codes)
    weight: np.ndarray  # float64: real households this row stands for
    origin: np.ndarray  # int16: place the household came from (its own place for natives)
    arrived: np.ndarray  # int16: year it arrived in Haimen (0 for the 2020 population)


@dataclass
class Persons(Columns):
    """Person rows; workers are the persons in the labour force."""

    key: np.ndarray  # uint64
    household: np.ndarray  # int64: row in Households
    age: np.ndarray  # int16: years
    female: np.ndarray  # bool
    college: np.ndarray  # bool: college degree (大专 or higher)
    participates: np.ndarray  # bool: in the labour force when of working age
    cluster: np.ndarray  # int8: industrial cluster of the person's trade (-1 before working age)
    job: np.ndarray  # int16: place of work (NO_JOB if none)
    student_until: np.ndarray  # int16: last year at a vocational college (0 if not a student)


@dataclass
class Population:
    """Households and their persons, kept consistent under births, deaths and moves."""

    households: Households
    persons: Persons

    def person_weight(self) -> np.ndarray:
        """Real people each person row stands for, float[person]."""
        return self.households.weight[self.persons.household]

    def members(self) -> np.ndarray:
        """Person rows per household, int[household]."""
        return np.bincount(self.persons.household, minlength=len(self.households))

    def oldest(self) -> np.ndarray:
        """The age of each household's oldest member, int16[household] (0 where nobody lives)."""
        oldest = np.zeros(len(self.households), dtype=np.int16)
        np.maximum.at(oldest, self.persons.household, self.persons.age)
        return oldest

    def add(self, households: Households, persons: Persons) -> None:
        """Append new households with their persons (``persons.household`` indexes ``households``)."""
        persons.household = persons.household + len(self.households)
        self.households.extend(households)
        self.persons.extend(persons)

    def split_off(self, leaving: np.ndarray, keys: np.ndarray) -> np.ndarray:
        """Persons ``leaving`` each set up a renting household of their own beside their old one.

        The new household (key ``keys``) keeps the old one's place, part, hukou, weight, origin and arrival year.
        Returns the new households' rows.
        """
        h, p = self.households, self.persons
        parent = p.household[leaving]
        rows = len(h) + np.arange(len(leaving))
        h.extend(
            Households(
                key=keys,
                place=h.place[parent],
                urban=h.urban[parent],
                tenure=np.full(len(leaving), RENTER, np.int8),
                hukou_city=h.hukou_city[parent],
                weight=h.weight[parent],
                origin=h.origin[parent],
                arrived=h.arrived[parent],
            )
        )
        p.household[leaving] = rows
        return rows

    def remove_persons(self, gone: np.ndarray, drop_empty: bool = True) -> None:
        """Drop person rows (deaths); households left empty are dropped too, unless not ``drop_empty`` (then the
        caller drops them with :meth:`drop_empty`, in one pass with others)."""
        self.persons.keep(~gone)
        if drop_empty:
            self.drop_empty()

    def drop_empty(self) -> None:
        """Drop the household rows no person lives in."""
        empty = self.members() == 0
        if empty.any():  # no person lives in them: only the household rows go
            self._drop_household_rows(empty)

    def remove_households(self, gone: np.ndarray) -> None:
        """Drop household rows and all their persons."""
        self.persons.keep(~gone[self.persons.household])
        self._drop_household_rows(gone)

    def _drop_household_rows(self, gone: np.ndarray) -> None:
        """Drop household rows no remaining person lives in; persons' household indices follow."""
        kept = ~gone
        self.households.keep(kept)
        new_index = kept.astype(np.intp)  # each kept row's new index (persons live only in kept rows) ...
        np.cumsum(new_index, out=new_index)  # ... summed in place: faster than np.cumsum(kept) - 1
        new_index -= 1
        self.persons.look_up("household", new_index)

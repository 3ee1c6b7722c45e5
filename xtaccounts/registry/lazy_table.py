"""A big registry table restored from the cache one row at a time, when the row is asked for.

A write touches a handful of the city's 300,000 households and 60,000 payment notices, yet
unpickling every row took seconds. The cache keeps the big tables as `EncodedRows`: the ids, and
each row pickled on its own, end to end in one bytes object. A `LazyTable` unpickles a row the
first time it is looked up and keeps it. Iterating its keys, `len` and `in` decode nothing;
`values()`, `items()` and equality decode every row. It reads like the dict validation makes:
same keys, same order, same rows.
"""

from __future__ import annotations

import io
import pickle
import sys
import threading
from array import array
from collections.abc import ItemsView, Iterator, Mapping, ValuesView
from typing import Any, NamedTuple, TypeVar

from xtaccounts.core.gc_pause import gc_paused

V = TypeVar("V")


class EncodedRows(NamedTuple):
    """A table as the cache keeps it: row `i` is `blob[ends[i - 1]:ends[i]]` (from 0 for i = 0)."""

    keys: list[str]
    blob: bytes
    ends: bytes  # little-endian unsigned 64-bit offsets, one per row


def encode_rows(rows: Mapping[str, Any], pickler: pickle.Pickler, out: io.BytesIO) -> EncodedRows:
    """Each row pickled alone by `pickler` (writing to the empty `out`), in the table's order."""
    ends = array("Q")
    for row in rows.values():
        pickler.clear_memo()
        pickler.dump(row)
        ends.append(out.tell())
    if sys.byteorder == "big":
        ends.byteswap()
    return EncodedRows(list(rows), out.getvalue(), ends.tobytes())


class LazyTable(Mapping[str, V]):
    """Read-only rows by id; each row is unpickled from its own bytes on first access."""

    __slots__ = ("_blob", "_complete", "_ends", "_lock", "_rows")

    def __init__(self, encoded: EncodedRows) -> None:
        ends = array("Q", encoded.ends)
        if sys.byteorder == "big":
            ends.byteswap()
        keys = encoded.keys
        if len(ends) != len(keys) or (keys and ends[-1] != len(encoded.blob)):
            raise ValueError("a damaged table: its rows and their offsets disagree")
        # id -> the row's index until the row is first read, the row itself after.
        self._rows: dict[str, Any] = dict(zip(keys, range(len(keys)), strict=True))
        if len(self._rows) != len(keys):
            raise ValueError("a damaged table: an id twice")
        self._blob = memoryview(encoded.blob)
        self._ends = ends
        self._complete = not keys
        self._lock = threading.Lock()  # a reader's threads (Fava) share the table

    def _decode(self, index: int) -> Any:
        start = self._ends[index - 1] if index else 0
        return pickle.loads(self._blob[start : self._ends[index]])

    def __getitem__(self, key: str) -> V:
        row = self._rows[key]
        if type(row) is int:  # rows are models or lists of them, never ints
            with self._lock:
                row = self._rows[key]
                if type(row) is int:
                    row = self._decode(row)
                    self._rows[key] = row  # the key stays in place: the order is unchanged
        return row

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, key: object) -> bool:
        return key in self._rows

    def decoded(self) -> dict[str, V]:
        """Every row decoded, in order (the table's own dict: do not change it)."""
        if not self._complete:
            rows, decode = self._rows, self._decode
            with self._lock, gc_paused():
                for key, row in rows.items():
                    if type(row) is int:
                        rows[key] = decode(row)
                self._complete = True
                self._blob = memoryview(b"")  # every row is decoded: their bytes can go
        return self._rows

    def values(self) -> ValuesView[V]:
        return self.decoded().values()

    def items(self) -> ItemsView[str, V]:
        return self.decoded().items()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LazyTable):
            other = other.decoded()
        return self.decoded() == other if isinstance(other, Mapping) else NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled or copied, a table is the plain dict of its rows."""
        return dict, (self.decoded(),)

    def __repr__(self) -> str:
        return f"LazyTable({len(self._rows)} rows{', all decoded' if self._complete else ''})"

"""A big registry table restored from the cache one row at a time, when the row is asked for.

A write touches a handful of the city's 300,000 households and 60,000 payment notices, yet
unpickling every row took seconds. The cache keeps each row of the big tables pickled on its
own; a `LazyTable` holds those bytes, unpickles a row the first time it is looked up and keeps
it. Iterating its keys, `len` and `in` decode nothing; `values()`, `items()` and equality decode
every row. It reads like the dict validation makes: same keys, same order, same rows.
"""

from __future__ import annotations

import pickle
from collections.abc import ItemsView, Iterator, Mapping, ValuesView
from typing import Any, TypeVar

from xtaccounts.core.gc_pause import gc_paused

V = TypeVar("V")


class LazyTable(Mapping[str, V]):
    """Read-only rows by id; each row is unpickled from its own bytes on first access."""

    __slots__ = ("_pending", "_rows")

    def __init__(self, encoded: dict[str, bytes]) -> None:
        """A table of the rows `encoded` holds pickled (the dict is taken over, not copied)."""
        # id -> the row's pickled bytes until it is first read, the row itself after.
        self._rows: dict[str, Any] = encoded
        self._pending = len(encoded)

    def __getitem__(self, key: str) -> V:
        row = self._rows[key]
        if type(row) is bytes:  # rows are models or lists of them, never bytes
            row = pickle.loads(row)
            self._rows[key] = row  # the key is kept in place: the order stays as it was
            self._pending -= 1
        return row

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, key: object) -> bool:
        return key in self._rows

    def decoded(self) -> dict[str, V]:
        """Every row decoded, in order (the table's own dict: do not change it)."""
        if self._pending:
            rows = self._rows
            with gc_paused():
                for key, row in rows.items():
                    if type(row) is bytes:
                        rows[key] = pickle.loads(row)
            self._pending = 0
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
        return f"LazyTable({len(self._rows)} rows, {len(self._rows) - self._pending} decoded)"

"""A big registry table restored from the cache one row at a time, when the row is asked for.

A write touches a handful of the city's 300,000 households and 60,000 payment notices, yet
unpickling every row took seconds. The cache keeps the big tables as `EncodedRows`: the ids, and
each row pickled on its own, end to end in one bytes object. A `LazyTable` unpickles a row the
first time it is looked up and keeps it. Iterating its keys, `len` and `in` decode no row;
`values()`, `items()` and equality decode every row. It reads like the dict validation makes:
same keys, same order, same rows. Its ids may come pickled too (the cache file's): they are
then decoded the first time the table is read at all, so that a command pays only for the
tables it reads.
"""

from __future__ import annotations

import io
import pickle
import sys
import threading
from array import array
from collections.abc import ItemsView, Iterable, Iterator, Mapping, ValuesView
from typing import Any, NamedTuple, TypeVar

from pydantic import BaseModel

from xtaccounts.core.gc_pause import gc_paused

V = TypeVar("V")


def restore_model(
    cls: type[BaseModel],
    values: dict[str, Any],
    fields_set: Iterable[str],
    extra: Any,
    shared: set[str] | None = None,
) -> BaseModel:
    """A model from its state, as pydantic's own unpickling restores it (no validation).
    `shared`: the set of fields set, given by the caller for many frozen models to share."""
    model = cls.__new__(cls)
    model.__setstate__(
        {
            "__dict__": values,
            "__pydantic_fields_set__": set(fields_set) if shared is None else shared,
            "__pydantic_extra__": extra,
            "__pydantic_private__": None,
        }
    )
    return model


class EncodedRows(NamedTuple):
    """A table as the cache keeps it: row `i` is `blob[ends[i - 1]:ends[i]]` (from 0 for i = 0),
    the pickled state of a `model` (or a list of them): its field values in `model_fields`
    order, its fields set (None: all) and its extra fields. Rows name no class: unpickling a
    class reference cost more than the rest of a row."""

    model: type[BaseModel]
    keys: list[str] | bytes | memoryview  # the ids, or the pickled list of them
    blob: bytes | memoryview
    ends: bytes | memoryview  # little-endian unsigned 64-bit offsets, one per row


def _state(model: BaseModel, names: tuple[str, ...]) -> tuple[Any, ...]:
    if tuple(model.__dict__) != names:
        raise TypeError(f"{type(model).__name__}: fields not in model_fields order")
    fields_set = model.__pydantic_fields_set__
    kept = None if fields_set == set(names) else tuple(sorted(fields_set))
    return tuple(model.__dict__.values()), kept, model.__pydantic_extra__


def encode_rows(rows: Mapping[str, Any], model: type[BaseModel]) -> EncodedRows:
    """Each row (a `model` or a list of them) pickled alone, in the table's order."""
    names = tuple(model.model_fields)
    out = io.BytesIO()
    pickler = pickle.Pickler(out, protocol=pickle.HIGHEST_PROTOCOL)
    ends = array("Q")
    for row in rows.values():
        pickler.clear_memo()
        if isinstance(row, list):
            pickler.dump([_state(item, names) for item in row])
        else:
            pickler.dump(_state(row, names))
        ends.append(out.tell())
    if sys.byteorder == "big":
        ends.byteswap()
    return EncodedRows(model, list(rows), out.getvalue(), ends.tobytes())


class LazyTable(Mapping[str, V]):
    """Read-only rows by id; each row is unpickled from its own bytes on first access."""

    __slots__ = (
        "_blob",
        "_complete",
        "_ends",
        "_fields_sets",
        "_keys",
        "_lock",
        "_model",
        "_names",
        "_rows",
    )

    def __init__(self, encoded: EncodedRows) -> None:
        ends = array("Q")
        ends.frombytes(encoded.ends)  # (array("Q", view) would take each byte for a number)
        if sys.byteorder == "big":
            ends.byteswap()
        if ends and ends[-1] != len(encoded.blob):
            raise ValueError("a damaged table: its rows and their offsets disagree")
        self._blob = memoryview(encoded.blob)
        self._model = encoded.model
        self._names = tuple(encoded.model.model_fields)
        # The rows' sets of fields set, one object for all rows with the same (a household's
        # own set was half its memory). Only a frozen model may share it: pydantic adds to the
        # set when a field is assigned, and copies it when the model is copied.
        self._fields_sets: dict[Any, set[str]] | None = (
            {} if encoded.model.model_config.get("frozen") else None
        )
        self._ends = ends
        self._complete = not ends
        self._lock = threading.Lock()  # a reader's threads (Fava) share the table
        # id -> the row's index until the row is first read, the row itself after; None until
        # the pickled ids (`_keys`) are first needed.
        self._rows: dict[str, Any] | None = None
        self._keys = encoded.keys
        if isinstance(encoded.keys, list):
            self._index()

    def _index(self) -> dict[str, Any]:
        """The rows by id (the ids decoded and checked the first time)."""
        rows = self._rows
        if rows is None:
            with self._lock:
                rows = self._rows
                if rows is None:
                    keys = self._keys
                    if not isinstance(keys, list):
                        keys = pickle.loads(keys)
                    if len(self._ends) != len(keys):
                        raise ValueError("a damaged table: its rows and their offsets disagree")
                    rows = dict(zip(keys, range(len(keys)), strict=True))
                    if len(rows) != len(keys):
                        raise ValueError("a damaged table: an id twice")
                    self._rows, self._keys = rows, []
        return rows

    def _state(self, index: int, blob: memoryview | None = None) -> Any:
        """The pickled state of row `index` (`EncodedRows`), unpickled from `blob` (the table's
        bytes as a reader took them: `decoded` lets them go once every row is decoded)."""
        start = self._ends[index - 1] if index else 0
        return pickle.loads((self._blob if blob is None else blob)[start : self._ends[index]])

    def _decode(self, index: int) -> Any:
        state = self._state(index)
        if type(state) is list:
            return [self._restore(*item) for item in state]
        return self._restore(*state)

    def _restore(self, values: tuple[Any, ...], fields_set: Any, extra: Any) -> Any:
        names = self._names
        fields = names if fields_set is None else fields_set
        sets = self._fields_sets
        shared = None
        if sets is not None:
            shared = sets.get(fields_set)
            if shared is None:
                shared = sets[fields_set] = set(fields)
        return restore_model(
            self._model, dict(zip(names, values, strict=True)), fields, extra, shared
        )

    def values_of(self, key: str, names: tuple[str, ...]) -> Any:
        """The values of the fields `names` of the row `key` (a tuple; for a row that is a list
        of models, a list of them), read from its bytes without restoring a model or keeping
        one: a row a command reads once for a field or two (a notice's households and amounts,
        a household's unit) costs neither the model's restoring nor its memory. KeyError when
        there is no such row."""
        # The bytes taken before the row: another thread (Fava's) decoding every row lets them
        # go only once each row is in the index, so a row still to decode has its bytes here.
        blob = self._blob
        rows = self._index()
        row = rows[key]
        if type(row) is not int:  # restored already
            if type(row) is list:
                return [tuple(getattr(item, name) for name in names) for item in row]
            return tuple(getattr(row, name) for name in names)
        return self._values(self._state(row, blob), names)

    def values_at(self, position: int, names: tuple[str, ...]) -> Any:
        """`values_of` the row at `position` in the table's order, read from its bytes without
        the index of every row's id; None once every row is decoded (their bytes let go: ask by
        id). IndexError when there is no such row."""
        blob = self._blob  # (as in `values_of`: the bytes as they are now, or none)
        if not 0 <= position < len(self._ends):
            raise IndexError(f"no row {position} in a table of {len(self._ends)}")
        if not blob:
            return None
        return self._values(self._state(position, blob), names)

    def _values(self, state: Any, names: tuple[str, ...]) -> Any:
        """The fields `names` of a row's pickled state (a list of them for a list of models)."""
        at = [self._names.index(name) for name in names]
        if type(state) is list:
            return [tuple(item[0][i] for i in at) for item in state]
        return tuple(state[0][i] for i in at)

    def __getitem__(self, key: str) -> V:
        rows = self._index()
        row = rows[key]
        if type(row) is int:  # rows are models or lists of them, never ints
            with self._lock:
                row = rows[key]
                if type(row) is int:
                    row = self._decode(row)
                    rows[key] = row  # the key stays in place: the order is unchanged
        return row

    def __iter__(self) -> Iterator[str]:
        return iter(self._index())

    def __len__(self) -> int:
        return len(self._ends)

    def __contains__(self, key: object) -> bool:
        return key in self._index()

    def decoded(self) -> dict[str, V]:
        """Every row decoded, in order (the table's own dict: do not change it)."""
        rows = self._index()
        if not self._complete:
            decode = self._decode
            with self._lock, gc_paused():
                for key, row in rows.items():
                    if type(row) is int:
                        rows[key] = decode(row)
                self._complete = True
                self._blob = memoryview(b"")  # every row is decoded: their bytes can go
        return rows

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
        return f"LazyTable({len(self)} rows{', all decoded' if self._complete else ''})"


def values_of(table: Mapping[str, Any], key: str, names: tuple[str, ...]) -> Any:
    """`LazyTable.values_of` of any table of models (or lists of them): a lazy table's values
    are read without restoring the row; KeyError when there is no such row."""
    if isinstance(table, LazyTable):
        return table.values_of(key, names)
    row = table[key]
    if isinstance(row, list):
        return [tuple(getattr(item, name) for name in names) for item in row]
    return tuple(getattr(row, name) for name in names)

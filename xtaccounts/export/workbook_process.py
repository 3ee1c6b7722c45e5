"""The export's workbook, and its streamed tables' JSON, written by a process beside the export
while the export makes the rows and writes the CSV (`core.side_process`): the three files of a
city's 分户账 and 明细账 are millions of cells each, and the workbook's are the dearest.

The process is given the tables once built, without their rows, then each table's rows in
the order of the tables (a streamed table's with their boldness, in batches as this process
makes them): it holds only the table it is writing. It answers with the workbook's sheet
names.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from xtaccounts.core.side_process import Inbox, SideProcess
from xtaccounts.export.csvjson import JsonFile
from xtaccounts.export.table import HANDED, StreamedTable, Table
from xtaccounts.export.xlsx import MAX_DATA_ROWS, write_workbook

_END = None  # the message ending a streamed table's rows


def _received_rows(inbox: Inbox) -> Iterator[tuple[tuple[Any, ...], bool]]:
    while True:
        batch = inbox.receive()
        if batch is _END:
            return
        yield from batch


class _RowsToCome(Sequence[tuple[Any, ...]]):
    """A table's rows, received when its sheet first reads them (the tables before it written
    by then): only the table being written is held here."""

    def __init__(self, inbox: Inbox, count: int) -> None:
        self._inbox, self._count = inbox, count
        self._rows: list[tuple[Any, ...]] | None = None

    def _received(self) -> list[tuple[Any, ...]]:
        if self._rows is None:
            self._rows = self._inbox.receive()
            if len(self._rows) != self._count:
                raise ValueError(f"{len(self._rows)} rows received, {self._count} told")
        return self._rows

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index: Any) -> Any:
        return self._received()[index]

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self._received())


def _write_received(inbox: Inbox) -> list[str]:
    """The side process's work: the workbook of the tables it is sent, and the JSON of the
    streamed tables it is told to write."""
    path, organisation, dated, bare, json_facts, max_rows = inbox.receive()
    tables: list[Table] = []
    for table, count in bare:
        if isinstance(table, StreamedTable):
            table.made = _received_rows(inbox)
            if table.stem in json_facts:
                json_path = path.parent / f"{table.stem}.json"
                table.followers.append(JsonFile(json_path, table, json_facts[table.stem]))
        else:
            table.rows = _RowsToCome(inbox, count)
        tables.append(table)

    def written(table: Table) -> None:
        if isinstance(table, StreamedTable):
            for follower in table.followers:
                follower.close()
            table.followers = []
        table.release()

    return write_workbook(path, tables, organisation, dated, max_rows, written=written)


def _without_rows(table: Table) -> tuple[Table, int | None]:
    """What the workbook needs of a table before its rows, and how many rows will come (None:
    a streamed table's, told by its own count)."""
    bare = copy.copy(table)
    if isinstance(bare, StreamedTable):
        bare.made, bare.followers = (), []
        return bare, None
    bare.rows = []
    return bare, len(table.rows)


class WorkbookProcess:
    """The workbook written beside this process: `start`, then each table's rows in the tables'
    order (a held table's `rows`, a streamed table's `row`s then `end_rows`), then
    `sheet_names`. A context manager: leaving
    it without the names ends the process (the workbook unfinished)."""

    def __init__(self) -> None:
        self._side: SideProcess[list[str]] = SideProcess(_write_received, "xtaccounts-workbook")
        self._batch: list[tuple[tuple[Any, ...], bool]] = []

    def __enter__(self) -> WorkbookProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.end()

    def end(self) -> None:
        """The process ended (killed if still writing): nothing more is written."""
        self._side.end()

    def start(
        self,
        path: Path,
        tables: Sequence[Table],
        organisation: str,
        dated: dict[str, str],
        json_facts: dict[str, dict[str, Any]],
        *,
        max_rows: int = MAX_DATA_ROWS,
    ) -> None:
        """The workbook's tables, their rows to follow in their order (a held table's
        `rows`, a streamed table's `row`s then `end_rows`), and the header facts of each
        streamed table whose JSON is written beside the workbook (`json_facts`, by stem; into
        the workbook's directory). `max_rows`: a sheet's rows (`xlsx.write_workbook`)."""
        bare = [_without_rows(t) for t in tables]
        self._side.send((path, organisation, dated, bare, json_facts, max_rows))

    def rows(self, table: Table) -> None:
        """The rows of the next table, one not streamed."""
        self._side.send(table.rows)

    def row(self, row: tuple[Any, ...], bold: bool) -> None:
        """The next row of the streamed table being written."""
        batch = self._batch
        batch.append((row, bold))
        if len(batch) == HANDED:
            self._side.send(batch)
            self._batch = []

    def end_rows(self) -> None:
        """The streamed table's last row was sent."""
        if self._batch:
            self._side.send(self._batch)
            self._batch = []
        self._side.send(_END)

    def sheet_names(self) -> list[str]:
        """The sheets written, once the workbook is whole."""
        return self._side.result()


__all__ = ["WorkbookProcess"]

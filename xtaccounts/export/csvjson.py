"""The same tables as CSV (UTF-8 with BOM, for Excel) and JSON (amounts as two-decimal text)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any

from xtaccounts.core.vocabulary import FEN
from xtaccounts.export.safety import clean_control, csv_text
from xtaccounts.export.table import MONEY, Column, StreamedTable, Table
from xtaccounts.export.text_memo import Memo

CHUNK = 4096  # rows converted and written at once


class CsvFile:
    """A table's CSV written a row at a time (`add`), a chunk of rows at once: header row,
    rows, totals row; UTF-8 with BOM and CRLF as Excel expects. Each distinct text is made
    safe once (`Memo`)."""

    def __init__(self, path: Path, table: Table) -> None:
        money = [c.kind == MONEY for c in table.columns]
        texts = Memo(csv_text)

        def cells(row: Sequence[Any]) -> list[str]:
            found = []
            for value, is_money in zip(row, money, strict=True):
                kind = value.__class__
                if kind is str:
                    found.append(texts[value])
                elif kind is Decimal:
                    found.append(
                        str(value.quantize(FEN, ROUND_HALF_UP)) if is_money else str(value)
                    )
                elif value is None:
                    found.append("")
                elif kind is int:
                    found.append(str(value))
                elif kind is dt.date:
                    found.append(value.isoformat())
                else:
                    raise TypeError(f"{value!r} is neither text, date, int nor Decimal")
            return found

        self.cells = cells
        self.handle = path.open("w", encoding="utf-8-sig", newline="")
        self.buffer = io.StringIO()  # written a chunk of rows at a time
        self.writer = csv.writer(self.buffer, lineterminator="\r\n")
        self.writer.writerow([csv_text(c.title) for c in table.columns])

    def add_rows(self, rows: Sequence[Sequence[Any]]) -> None:
        """Rows, converted and written at once."""
        cells = self.cells
        self.writer.writerows([cells(row) for row in rows])
        self.handle.write(self.buffer.getvalue())
        self.buffer.seek(0)
        self.buffer.truncate()

    def close(self, totals: Sequence[Any] | None) -> None:
        """The totals row (None: none), and the file closed."""
        with self.handle:
            if totals is not None:
                self.writer.writerow(self.cells(totals))
            self.handle.write(self.buffer.getvalue())


def write_csv(path: Path, table: Table) -> None:
    """The table's CSV (`CsvFile`); a streamed table's rows are made now."""
    out = CsvFile(path, table)
    _hand_rows(out, table)
    out.close(table.totals())


def _hand_rows(out: CsvFile | JsonFile, table: Table) -> None:
    """Every row of `table` handed to `out` a chunk at a time (a streamed table's made now);
    `out`'s file closed if that fails."""
    try:
        if isinstance(table, StreamedTable):
            table.followers.append(out)  # handed the rows as they are made
            for _made in table.each_row():
                pass
        else:
            rows = table.rows
            for first in range(0, len(rows), CHUNK):
                out.add_rows(rows[first : first + CHUNK])
    except BaseException:
        out.handle.close()
        raise


def json_value(value: Any, column: Column | None = None) -> Any:
    """Decimal as exact text (money with two decimals), dates ISO, never float."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return clean_control(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        if column is not None and column.kind == MONEY:
            return str(value.quantize(FEN, ROUND_HALF_UP))
        return str(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        raise TypeError(f"float {value!r} in an export; amounts are Decimal")
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    return str(value)


class JsonFile:
    """A table's JSON written a row at a time (`add`), a chunk of rows at once: one object,
    the header facts, the columns, the totals, then the rows as objects (one per line). Rows
    are encoded one by one with the C encoder (an indented dump of a city's 分户账 would take the
    pure-Python one)."""

    def __init__(self, path: Path, table: Table, header: dict[str, Any]) -> None:
        columns = table.columns
        keys = [c.key for c in columns]
        money = [c.kind == MONEY for c in columns]
        totals = table.totals()
        head = {
            **json_value(header),
            "table": table.stem,
            "form": table.form,
            "title": table.title,
            "notes": table.notes,
            "meta": json_value(table.meta),
            "columns": [{"key": c.key, "title": c.title, "kind": c.kind} for c in columns],
            "totals": (
                None
                if totals is None
                else {c.key: json_value(v, c) for c, v in zip(columns, totals, strict=True)}
            ),
        }

        # Each row is written as the C encoder writes the dict of its cells (`{"key": value,
        # …}` with these separators), from each key's text and each value's, a text encoded
        # once.
        prefixes = [encode_basestring(k) + ": " for k in keys]
        texts = Memo(lambda text: encode_basestring(clean_control(text)))
        dumps = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode

        def row_text(row: Sequence[Any]) -> str:
            cells = []
            for prefix, value, is_money in zip(prefixes, row, money, strict=True):
                kind = value.__class__
                if kind is str:
                    cells.append(prefix + texts[value])
                elif kind is Decimal:
                    text = str(value.quantize(FEN, ROUND_HALF_UP)) if is_money else str(value)
                    cells.append(f'{prefix}"{text}"')
                elif value is None:
                    cells.append(prefix + "null")
                elif kind is int:
                    cells.append(prefix + str(value))
                else:
                    cells.append(prefix + dumps(json_value(value)))
            return "{" + ", ".join(cells) + "}"

        self.row_text = row_text
        self.first = True
        self.handle = path.open("w", encoding="utf-8")
        self.handle.write(dumps(head)[:-1] + ', "rows": [')

    def add_rows(self, rows: Sequence[Sequence[Any]]) -> None:
        """Rows, encoded and written at once."""
        if rows:
            text = self.row_text
            joined = ",\n ".join([text(row) for row in rows])
            self.handle.write(("\n " if self.first else ",\n ") + joined)
            self.first = False

    def close(self) -> None:
        with self.handle:
            self.handle.write("\n]}\n")


def write_json(path: Path, table: Table, header: dict[str, Any]) -> None:
    """The table's JSON (`JsonFile`); a streamed table's rows are made now."""
    out = JsonFile(path, table, header)
    _hand_rows(out, table)
    out.close()

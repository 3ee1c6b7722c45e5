"""The CSV and JSON writers: each row written as the csv module and the C JSON encoder write
the row's cells, whatever the text holds (each distinct text is converted once)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest

from tests.helpers import zip_parts
from xtaccounts.export.csvjson import (
    CHUNK,
    CsvFile,
    JsonFile,
    json_value,
    write_csv,
    write_json,
)
from xtaccounts.export.safety import csv_text
from xtaccounts.export.table import DATE, INT, MONEY, NUMBER, TEXT, Column, StreamedTable, Table
from xtaccounts.export.text_memo import Memo
from xtaccounts.export.xlsx import write_workbook

TEXTS = [
    "普通摘要",
    'quote " and \\ backslash',
    "=HYPERLINK(1)",
    "-12.5",
    "tab\tand\nnewline\r",
    "bell\x07 and \ud800 gone",
    "emoji 😀 、中文；",
    "",
]


def _table() -> Table:
    columns = (
        Column("text", "摘要", TEXT),
        Column("amount", "金额", MONEY),
        Column("days", "积数", NUMBER),
        Column("count", "户数", INT),
        Column("day", "日期", DATE),
    )
    rows = []
    for n, text in enumerate(TEXTS * 3):  # each text again: the second time from the memo
        rows.append(
            (
                text,
                Decimal("1234.5") + n if n % 3 else None,
                Decimal("12.345678") * n,
                n,
                dt.date(2025, 1, 1) + dt.timedelta(days=n) if n % 2 else None,
            )
        )
    return Table("99-test", "测试", "测试", columns, rows)


def test_json_rows_are_what_the_encoder_writes_of_each_rows_cells(tmp_path: Path) -> None:
    table = _table()
    path = tmp_path / "t.json"
    write_json(path, table, {"period": "2025"})
    text = path.read_text("utf-8")
    document = json.loads(text)
    encode = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode
    expected = [
        encode({c.key: json_value(v, c) for c, v in zip(table.columns, row, strict=True)})
        for row in table.rows
    ]
    lines = [f" {line}," for line in expected]
    lines[-1] = lines[-1][:-1]
    assert text.split("\n")[1:-2] == lines  # one row a line, after the head, before "]}"
    assert [json.loads(line) for line in expected] == document["rows"]
    assert document["rows"][1]["amount"] == "1235.50"  # money: two decimals
    assert document["rows"][2]["days"] == "24.691356"  # 积数: its exact decimals
    assert document["rows"][5]["text"] == "bell and  gone"  # illegal characters dropped


def test_csv_rows_are_what_the_csv_module_writes_of_each_rows_cells(tmp_path: Path) -> None:
    table = _table()
    path = tmp_path / "t.csv"
    write_csv(path, table)

    def cell(value: object, column: Column) -> str:
        if value is None:
            return ""
        if isinstance(value, str):
            return csv_text(value)
        if column.kind == MONEY:
            return f"{value:.2f}"
        return value.isoformat() if isinstance(value, dt.date) else str(value)

    expected = io.StringIO(newline="")
    writer = csv.writer(expected, lineterminator="\r\n")
    writer.writerow([c.title for c in table.columns])
    for row in [*table.rows, table.totals()]:
        writer.writerow([cell(v, c) for v, c in zip(row, table.columns, strict=True)])
    assert path.read_bytes() == b"\xef\xbb\xbf" + expected.getvalue().encode("utf-8")


# -- a table made as it is written -----------------------------------------------------------


def _streamed(table: Table) -> StreamedTable:
    """The same table, its rows made one by one as they are written."""
    return StreamedTable(
        table.stem,
        table.sheet,
        table.title,
        table.columns,
        [],
        with_totals=table.with_totals,
        notes=table.notes,
        made=((row, i in table.strong) for i, row in enumerate(table.rows)),
        count=len(table.rows),
        known_totals=table.totals(),
    )


def _long_table() -> Table:
    """Longer than a chunk of rows (`CHUNK`), with bold rows and a totals row."""
    base = _table()
    rows = [(*row[:3], n, row[4]) for n, row in enumerate(base.rows * 700)]
    strong = {0, 5, CHUNK, len(rows) - 1}
    return Table("99-test", "测试", "测试", base.columns, rows, strong=strong, notes=["说明"])


def test_a_streamed_table_is_written_as_the_same_table_held_whole(tmp_path: Path) -> None:
    """The workbook, CSV and JSON of a table made as it is written (the CSV and JSON handed
    each row as the workbook's sheet takes it) are those of the same rows held whole, and so
    are its control totals."""
    whole, held, streamed = tmp_path / "whole", tmp_path / "held", tmp_path / "streamed"
    for directory in (whole, held, streamed):
        directory.mkdir()
    table = _long_table()
    base = _table()
    before = Table("98-before", "之前", "之前", base.columns, base.rows)
    after = Table("97-after", "之后", "之后", base.columns, base.rows, strong={1})
    dated = {"99-test": "2025年度", "98-before": "2025年", "97-after": "2025"}
    write_csv(whole / "t.csv", table)
    write_json(whole / "t.json", table, {"period": "2025"})
    write_workbook(whole / "t.xlsx", [before, table, after], "中心", dated)

    # A streamed table on its own (no workbook): its rows made by the CSV's writer.
    alone = _streamed(table)
    write_csv(held / "t.csv", alone)
    assert (held / "t.csv").read_bytes() == (whole / "t.csv").read_bytes()
    with pytest.raises(RuntimeError, match="made once"):
        write_json(held / "t.json", alone, {"period": "2025"})

    beside = _streamed(table)
    csv_file, json_file = (
        CsvFile(streamed / "t.csv", beside),
        JsonFile(streamed / "t.json", beside, {"period": "2025"}),
    )
    beside.followers += [csv_file, json_file]
    told: list[str] = []
    write_workbook(
        streamed / "t.xlsx",
        [before, beside, after],
        "中心",
        dated,
        written=lambda t: told.append(t.stem),
    )
    csv_file.close(beside.totals())
    json_file.close()
    assert told == ["98-before", "99-test", "97-after"]
    for name in ("t.csv", "t.json"):
        assert (streamed / name).read_bytes() == (whole / name).read_bytes(), name
    assert zip_parts(streamed / "t.xlsx") == zip_parts(whole / "t.xlsx")
    assert beside.control_totals() == table.control_totals()


def test_a_streamed_table_must_tell_its_totals_and_make_the_rows_it_told(tmp_path: Path) -> None:
    table = _long_table()
    with pytest.raises(ValueError, match="told first"):
        StreamedTable("99-test", "测试", "测试", table.columns, [], made=iter(()))
    short = _streamed(table)
    short.count = len(table.rows) + 1
    with pytest.raises(ValueError, match="rows made"):
        write_csv(tmp_path / "t.csv", short)
    released = _long_table()
    released.release()
    with pytest.raises(RuntimeError, match="let go"):
        released.control_totals()


def test_a_memo_starts_again_once_it_holds_its_limit() -> None:
    calls: list[str] = []

    def shout(text: str) -> str:
        calls.append(text)
        return text.upper()

    memo = Memo(shout, limit=3)
    assert [memo[t] for t in "abcab"] == ["A", "B", "C", "A", "B"]
    assert calls == ["a", "b", "c"]  # each distinct text converted once while kept
    assert memo["d"] == "D" and len(memo) == 1  # full: started again
    assert memo["a"] == "A" and calls[-1] == "a"

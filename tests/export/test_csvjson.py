"""The CSV and JSON writers: each row written as the csv module and the C JSON encoder write
the row's cells, whatever the text holds (each distinct text is converted once)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path

from xtaccounts.export.csvjson import json_value, write_csv, write_json
from xtaccounts.export.safety import csv_text
from xtaccounts.export.table import DATE, INT, MONEY, NUMBER, TEXT, Column, Table

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

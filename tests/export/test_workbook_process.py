"""The workbook written by its own process is the workbook written here, byte for byte."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from tests.helpers import child_processes, zip_parts
from xtaccounts.export.csvjson import write_json
from xtaccounts.export.table import DATE, MONEY, TEXT, Column, StreamedTable, Table
from xtaccounts.export.workbook_process import WorkbookProcess
from xtaccounts.export.xlsx import write_workbook

COLUMNS = (
    Column("text", "摘要", TEXT),
    Column("amount", "金额", MONEY),
    Column("day", "日期", DATE),
)
SHEET = 5000  # rows a sheet holds here
DATED = {"1-formulas": "2025年", "2-empty": "2025年", "3-split": "2025年", "4-streamed": "2025年度"}
TEXTS = ["普通摘要", "=HYPERLINK(1)", "tab\tand\r", "", "emoji 😀"]


def _rows(count: int) -> list[tuple]:
    return [
        (
            TEXTS[n % len(TEXTS)] + str(n // 7),
            Decimal(n * 37).scaleb(-2) if n % 4 else None,
            dt.date(2025, 1, 1) + dt.timedelta(days=n % 365),
        )
        for n in range(count)
    ]


def _tables() -> list[Table]:
    """A table with formulas and bold rows, an empty one, one over three sheets and a streamed
    one longer than a batch of rows (`HANDED`), with its totals."""
    formulas = Table(
        "1-formulas", "公式", "公式", COLUMNS, _rows(6), strong={2},
        formulas={(2, 1): ((1, 0, 1), (-1, 1, 1))},
    )  # fmt: skip
    empty = Table("2-empty", "空表", "空表", COLUMNS, [], notes=["没有行"])
    split = Table("3-split", "分配明细", "分配明细", COLUMNS, _rows(2 * SHEET + 123))
    held = Table(
        "4-streamed", "明细账", "明细账", COLUMNS, _rows(SHEET - 1), strong={0, 4096, SHEET - 2}
    )
    streamed = StreamedTable(
        held.stem, held.sheet, held.title, COLUMNS, [],
        made=((row, i in held.strong) for i, row in enumerate(held.rows)),
        count=len(held.rows), known_totals=held.totals(),
    )  # fmt: skip
    return [formulas, empty, split, streamed]


def _send(workbook: WorkbookProcess, tables: list[Table]) -> None:
    for table in tables:
        if isinstance(table, StreamedTable):
            for row, bold in table.each_row():
                workbook.row(row, bold)
            workbook.end_rows()
        else:
            workbook.rows(table)


def test_the_workbooks_process_writes_what_this_one_does(tmp_path: Path) -> None:
    here, there = tmp_path / "here", tmp_path / "there"
    here.mkdir()
    there.mkdir()
    before = child_processes()
    whole = _tables()
    whole[3] = Table(whole[3].stem, whole[3].sheet, whole[3].title, COLUMNS, _rows(SHEET - 1))
    whole[3].strong = {0, 4096, SHEET - 2}
    names = write_workbook(here / "t.xlsx", whole, "中心", DATED, max_rows=SHEET)
    write_json(here / "4-streamed.json", whole[3], {"period": "2025"})
    assert names[2:5] == ["分配明细", "分配明细 (2)", "分配明细 (3)"]

    tables = _tables()
    with WorkbookProcess() as workbook:
        facts = {"4-streamed": {"period": "2025"}}
        workbook.start(there / "t.xlsx", tables, "中心", DATED, facts, max_rows=SHEET)
        _send(workbook, tables)
        assert workbook.sheet_names() == names
    assert zip_parts(there / "t.xlsx") == zip_parts(here / "t.xlsx")
    # The streamed table's JSON, written beside the workbook by the same process.
    assert (there / "4-streamed.json").read_bytes() == (here / "4-streamed.json").read_bytes()
    assert child_processes() == before  # ended and waited for


def test_rows_that_do_not_match_the_tables_told_are_refused(tmp_path: Path) -> None:
    before = child_processes()
    table = _tables()[0]
    with WorkbookProcess() as workbook:
        workbook.start(tmp_path / "t.xlsx", [table], "中心", DATED, {})
        table.rows = table.rows[:-1]
        workbook.rows(table)
        with pytest.raises(ValueError, match="5 rows received, 6 told"):
            workbook.sheet_names()
    assert child_processes() == before


def test_rows_cut_short_are_an_error_not_a_workbook(tmp_path: Path) -> None:
    before = child_processes()
    tables = _tables()
    with WorkbookProcess() as workbook:
        workbook.start(tmp_path / "t.xlsx", tables, "中心", DATED, {}, max_rows=SHEET)
        _send(workbook, tables[:2])  # the last two tables' rows never sent
        with pytest.raises(Exception, match="输入提前结束"):
            workbook.sheet_names()
    assert child_processes() == before

"""The workbook written by its own process is the workbook written here, row for row."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from tests.export.test_csvjson import _long_table, _members, _streamed, _table
from xtaccounts.export.csvjson import write_json
from xtaccounts.export.table import StreamedTable, Table
from xtaccounts.export.workbook_process import WorkbookProcess
from xtaccounts.export.xlsx import write_workbook

DATED = {"99-test": "2025年度", "98-before": "2025年", "97-after": "2025"}


def _tables() -> tuple[Table, Table, Table]:
    base = _table()
    before = Table(
        "98-before",
        "之前",
        "之前",
        base.columns,
        base.rows,
        formulas={(2, 1): ((1, 0, 1), (-1, 1, 1))},
    )
    after = Table("97-after", "之后", "之后", base.columns, base.rows, strong={1})
    return before, _long_table(), after


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
    before, long, after = _tables()
    names = write_workbook(here / "t.xlsx", [before, long, after], "中心", DATED)
    write_json(here / "99-test.json", long, {"period": "2025"})

    tables = [_tables()[0], _streamed(_long_table()), _tables()[2]]
    with WorkbookProcess() as workbook:
        workbook.start(there / "t.xlsx", tables, "中心", DATED, {"99-test": {"period": "2025"}})
        _send(workbook, tables)
        assert workbook.sheet_names() == names
    assert _members(there / "t.xlsx") == _members(here / "t.xlsx")
    # The streamed table's JSON, written beside the workbook by the same process.
    assert (there / "99-test.json").read_bytes() == (here / "99-test.json").read_bytes()
    assert multiprocessing.active_children() == []


def test_rows_that_do_not_match_the_tables_told_are_refused(tmp_path: Path) -> None:
    before, _long, _after = _tables()
    with WorkbookProcess() as workbook:
        workbook.start(tmp_path / "t.xlsx", [before], "中心", DATED, {})
        short = Table(before.stem, before.sheet, before.title, before.columns, before.rows[:-1])
        workbook.rows(short)
        with pytest.raises(ValueError, match="rows received"):
            workbook.sheet_names()
    assert multiprocessing.active_children() == []

"""Reading a claim file (xtaccounts.ops.claim_file): CSV or xlsx, every bad cell named."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from pathlib import Path

import openpyxl
import pytest

from importers.sniff import read_file, sniff
from importers.table import read_table
from xtaccounts.ops.claim_file import COLUMNS, claims_from_rows
from xtaccounts.ops.claims import ClaimRefused


def read_claim_file(path: Path) -> list:
    """The rows of `path` as the command line hands them over (its guarded table reader)."""
    sheet = read_table(read_file(path), sniff(path))[0]
    numbers = [sheet.row_number(i) for i in range(len(sheet.rows))]
    return claims_from_rows(path, sheet.rows, numbers)


def test_csv_and_xlsx_give_the_same_claims(tmp_path: Path) -> None:
    rows = [list(COLUMNS), ["ICBC20260105000001", "2026-01-10", "400.00", "退回", "错汇"]]
    csv_file = tmp_path / "claims.csv"
    csv_file.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="gb18030")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(rows[0])
    sheet.append([rows[1][0], dt.datetime(2026, 1, 10), 400, "退回", "错汇"])
    xlsx_file = tmp_path / "claims.xlsx"
    book.save(xlsx_file)
    from_csv, from_xlsx = read_claim_file(csv_file), read_claim_file(xlsx_file)
    assert [(r.item, r.date, r.amount, r.target, r.reason) for r in from_csv] == [
        ("ICBC20260105000001", dt.date(2026, 1, 10), D("400.00"), "退回", "错汇")
    ]
    assert [(r.item, r.date, r.amount) for r in from_xlsx] == [
        (r.item, r.date, r.amount) for r in from_csv
    ]
    assert from_csv[0].where == f"{csv_file}:2"


def test_every_bad_cell_is_named_with_file_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "claims.csv"
    path.write_text(
        "款项,日期,金额,认领对象\n"
        "A1,2026-01-10,100.00,退回\n"
        "A2,2026-02-30,100.00,退回\n"
        "A3,2026-01-10,1.005,退回\n"
        ",2026-01-10,1.00,退回\n",
        encoding="utf-8",
    )
    with pytest.raises(ClaimRefused) as refused:
        read_claim_file(path)
    assert [(p.where, p.column) for p in refused.value.problems] == [
        (f"{path}:3", "日期"),
        (f"{path}:4", "金额"),
        (f"{path}:5", "款项"),
    ]


def test_a_missing_column_is_named(tmp_path: Path) -> None:
    path = tmp_path / "claims.csv"
    path.write_text("款项,日期,金额\nA1,2026-01-10,1.00\n", encoding="utf-8")
    with pytest.raises(ClaimRefused, match="认领对象: 表头缺少这些列"):
        read_claim_file(path)

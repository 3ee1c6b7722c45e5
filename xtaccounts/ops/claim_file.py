"""A claim file: many claims of 待查明款项 in one CSV or xlsx table (docs/claims.md).

The first row is the header, in Chinese: 款项 (the item's id, its serial or the unique end of
its id), 日期 (YYYY-MM-DD), 金额, 认领对象 (as ``claim book --to``) and, optional, 事由. Every
row is read before any is booked; a row that cannot be read is a problem naming the file, the
row and the column.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from xtaccounts.core.dates import parse_date
from xtaccounts.core.errors import XtError
from xtaccounts.core.i18n import _
from xtaccounts.core.input_files import read_input_file
from xtaccounts.ops.claims import ClaimProblem, ClaimRefused, ClaimRequest
from xtaccounts.ops.owner_deposits import parse_amount
from xtaccounts.registry.load import decode_text

__all__ = ["COLUMNS", "read_claim_file"]

COLUMNS = ("款项", "日期", "金额", "认领对象", "事由")
REQUIRED = COLUMNS[:4]


def _rows(path: Path) -> list[list[str]]:
    """The table's cells as text, the header first."""
    data = read_input_file(path)
    if path.suffix.lower() == ".xlsx":
        import openpyxl

        try:
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # a damaged or foreign file: openpyxl raises many kinds
            raise XtError(
                _("{path}: 不是可读的 xlsx 文件（{why}）").format(path=path, why=type(exc).__name__)
            ) from exc
        sheet = book.worksheets[0]
        return [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    return [list(row) for row in csv.reader(io.StringIO(decode_text(data, path.name)))]


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)  # refused below unless it is a whole number of fen
    return str(value)


def read_claim_file(path: Path) -> list[ClaimRequest]:
    """The claims of `path` (CSV: UTF-8 or GB18030; xlsx: the first sheet); ClaimRefused
    naming every row and column that cannot be read, or a missing column."""
    rows = [r for r in _rows(path) if any(str(c).strip() for c in r)]
    if not rows:
        raise ClaimRefused([ClaimProblem(str(path), "", _("文件为空：第一行应为表头"))])
    header = [str(c).strip() for c in rows[0]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ClaimRefused(
            [
                ClaimProblem(
                    f"{path}:1",
                    "、".join(missing),
                    _("表头缺少这些列（应有：{columns}）").format(columns="、".join(COLUMNS)),
                )
            ]
        )
    where = {name: header.index(name) for name in COLUMNS if name in header}
    requests: list[ClaimRequest] = []
    problems: list[ClaimProblem] = []
    for number, row in enumerate(rows[1:], start=2):

        def cell(name: str, row: list[str] = row) -> str:
            index = where.get(name)
            return str(row[index]).strip() if index is not None and index < len(row) else ""

        here = f"{path}:{number}"
        day: dt.date | None = None
        try:
            day = parse_date(cell("日期"), field="日期")
        except (XtError, ValueError) as exc:
            problems.append(ClaimProblem(here, "日期", str(exc)))
        try:
            amount = parse_amount(cell("金额"), _("金额"))
        except XtError as exc:
            problems.append(ClaimProblem(here, "金额", str(exc)))
            continue
        for name in ("款项", "认领对象"):
            if not cell(name):
                problems.append(ClaimProblem(here, name, _("不能为空")))
        if day is None or not cell("款项") or not cell("认领对象"):
            continue
        requests.append(
            ClaimRequest(cell("款项"), day, amount, cell("认领对象"), cell("事由"), here, COLUMNS)
        )
    if problems:
        raise ClaimRefused(problems)
    return requests

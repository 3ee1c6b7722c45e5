"""A claim file: many claims of 待查明款项 in one CSV or xlsx table (docs/claims.md).

The table's cells come from the command line, which reads the file with the statements' guarded
reader (`importers`: a regular file only, size and xlsx inflation limits); this module reads the
claims in them.

The first row is the header, in Chinese: 款项 (the item's id, its serial or the unique end of
its id), 日期 (YYYY-MM-DD), 金额, 认领对象 (as ``claim book --to``) and, optional, 事由. Every
row is read before any is booked; a row that cannot be read is a problem naming the file, the
row and the column.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from xtaccounts.core.dates import parse_date
from xtaccounts.core.errors import XtError
from xtaccounts.core.i18n import _
from xtaccounts.ops.claims import ClaimProblem, ClaimRefused, ClaimRequest
from xtaccounts.ops.owner_deposits import parse_amount

__all__ = ["COLUMNS", "claims_from_rows"]

COLUMNS = ("款项", "日期", "金额", "认领对象", "事由")
REQUIRED = COLUMNS[:4]


def claims_from_rows(
    path: Path | str, rows: Sequence[Sequence[str]], numbers: Sequence[int] | None = None
) -> list[ClaimRequest]:
    """The claims of a table's `rows` (cell text, the header first; `numbers` the file row of
    each, by default its position from 1), read from `path`; ClaimRefused naming every row and
    column that cannot be read, or a missing column."""
    numbered = [
        (numbers[i] if numbers is not None else i + 1, list(row))
        for i, row in enumerate(rows)
        if any(str(c).strip() for c in row)
    ]
    if not numbered:
        raise ClaimRefused([ClaimProblem(str(path), "", _("文件为空：第一行应为表头"))])
    first, header = numbered[0][0], [str(c).strip() for c in numbered[0][1]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ClaimRefused(
            [
                ClaimProblem(
                    f"{path}:{first}",
                    "、".join(missing),
                    _("表头缺少这些列（应有：{columns}）").format(columns="、".join(COLUMNS)),
                )
            ]
        )
    where = {name: header.index(name) for name in COLUMNS if name in header}
    requests: list[ClaimRequest] = []
    problems: list[ClaimProblem] = []
    for number, row in numbered[1:]:

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

"""收支表: a period's income and expense as 会住维02表 shows them.

Each close (kind ``close``) is dated inside the period it closes and empties the income and
expense accounts, so Fava's own income statement of a closed period adds up to nothing unless
the closes are filtered out. This page is the 02表 of `xtaccounts export` for the period asked
(`xtaccounts.export.statutory_statements`: the closes and the year books' carry entries left
out; 本月数 over the period's last month, 本年累计数 from 1 January), with a link to Fava's income
statement of the same period with the closes filtered out (``-kind:"close"``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from beancount.core import data

from xtaccounts.export.forms import load_forms
from xtaccounts.export.period import Period
from xtaccounts.export.statutory_statements import build_statements
from xtaccounts.registry import Registry

# Fava's filter that leaves the closes out (its income statement then shows what 02表 shows).
WITHOUT_CLOSES = '-kind:"close"'


@dataclass(frozen=True)
class IncomeLine:
    item: str
    line: int | None
    code: str
    month: Decimal | None
    year: Decimal | None
    strong: bool


@dataclass(frozen=True)
class IncomePage:
    period: Period
    form: str
    title: str
    columns: tuple[str, str]
    lines: list[IncomeLine]
    notes: list[str]

    def figure(self, item: str) -> Decimal | None:
        """本年累计数 of a line, by its name."""
        return next((line.year for line in self.lines if line.item == item), None)


def income_page(
    registry: Registry, entries: Sequence[data.Directive], period: Period
) -> IncomePage:
    """02表 of `period` from the books."""
    statements = build_statements(registry, load_forms(registry), entries, period)
    table = next(t for t in statements.tables if t.stem == "02-income-expenditure")
    lines = [
        IncomeLine(
            item=str(row[0]),
            line=row[1],
            code=str(row[2]),
            month=row[3],
            year=row[4],
            strong=i in table.strong,
        )
        for i, row in enumerate(table.rows)
    ]
    return IncomePage(
        period=period,
        form=table.form,
        title=table.title,
        columns=(table.columns[3].title, table.columns[4].title),
        lines=lines,
        notes=list(table.notes),
    )


def book_years(entries: Sequence[data.Directive], last: dt.date) -> list[int]:
    """The years with transactions in the books, through `last`'s year."""
    years = {e.date.year for e in entries if isinstance(e, data.Transaction)}
    return sorted(y for y in years if y <= last.year)

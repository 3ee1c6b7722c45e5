"""银行存款余额调节表: zero on the demo's reconciled months; a planted unbooked bank fee itemised;
a statement balance the books cannot explain flagged 不平."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

from importers import ledger_layouts, read_statement
from tests.helpers import xt
from xtaccounts.books.layout import LedgerLayout
from xtaccounts.core.bank_statement import Statement
from xtaccounts.reading.ledger import open_ledger
from xtaccounts.reports.bank_reconciliation import (
    BALANCED,
    NO_STATEMENT,
    UNBALANCED,
    reconcile,
)

ICBC = "Assets:Bank-银行存款:ICBC-工商银行:Demand-活期8821"
JUNE_END = "20250621-20250630"
FEE = Decimal("12.00")


def test_the_demos_months_reconcile_with_nothing_outstanding(demo_books: Path) -> None:
    done = xt(demo_books, "reconcile", "--period", "2025", "--format", "json")
    assert done.returncode == 0, done.stderr
    months = json.loads(done.stdout)["reconciliations"]
    assert len(months) == 24  # two demand accounts, twelve months
    balanced = [m for m in months if m["status"] == BALANCED]
    assert len(balanced) >= 18
    for month in balanced:
        assert month["bank_balance"] == month["book_balance"] == month["adjusted_bank"]
        for key in (
            "bank_in_not_booked",
            "bank_out_not_booked",
            "booked_in_not_bank",
            "booked_out_not_bank",
        ):
            assert month[key] == [], (month["month_end"], key)
    assert {m["status"] for m in months} <= {BALANCED, NO_STATEMENT}


def _reader(main: Path, change) -> object:
    layouts = ledger_layouts(LedgerLayout(main).registry)

    def read(path: Path) -> Statement:
        statement = read_statement(path, layouts)
        return change(statement) if JUNE_END in path.name else statement

    return read


def _june(main: Path, change) -> object:
    books = open_ledger(main)
    (june,) = reconcile(
        main,
        books.entries,
        [ICBC],
        _reader(main, change),  # type: ignore[arg-type]
        dt.date(2025, 6, 1),
        dt.date(2025, 6, 30),
    )
    return june


def test_a_planted_unbooked_bank_fee_is_itemised(demo_books: Path) -> None:
    def plant_fee(statement: Statement) -> Statement:
        last = statement.lines[-1]
        assert last.balance is not None
        fee = last._replace(
            row=last.row + 1,
            date=dt.date(2025, 6, 30),
            time="16:00:00",
            amount=-FEE,
            balance=last.balance - FEE,
            serial="FEE20250630",
            memo="账户管理费",
            counterparty=None,
        )
        return dataclasses.replace(statement, lines=(*statement.lines, fee))

    june = _june(demo_books, plant_fee)
    assert june.status == BALANCED
    assert june.bank_balance == june.book_balance - FEE
    assert [(i.date, i.amount, i.summary, i.reference) for i in june.bank_out] == [
        (dt.date(2025, 6, 30), FEE, "账户管理费", "FEE20250630")
    ]
    assert june.bank_in == june.books_in == june.books_out == []
    assert june.adjusted_bank == june.adjusted_books == june.book_balance - FEE


def test_a_balance_nothing_explains_is_flagged(demo_books: Path) -> None:
    def off_by_one(statement: Statement) -> Statement:
        last = statement.lines[-1]
        assert last.balance is not None
        changed = last._replace(balance=last.balance + Decimal("1.00"))
        return dataclasses.replace(statement, lines=(*statement.lines[:-1], changed))

    june = _june(demo_books, off_by_one)
    assert june.status == UNBALANCED and june.items == 0
    assert june.adjusted_bank == june.adjusted_books + Decimal("1.00")


def test_a_newest_first_statement_gives_the_days_last_balance(demo_books: Path) -> None:
    """A bank listing newest first (CCB's 交易明细) numbers the day's later lines lower: the
    reader hands them over oldest first, and the bank's balance at the month's end is the
    balance after the day's last line in time, not after its highest row."""

    def newest_first_with_two_fees(statement: Statement) -> Statement:
        last = statement.lines[-1]
        assert last.balance is not None
        fees = []
        balance = last.balance
        for n, when in enumerate(("15:00:00", "16:00:00"), start=1):
            balance -= FEE
            fees.append(
                last._replace(
                    date=dt.date(2025, 6, 30),
                    time=when,
                    amount=-FEE,
                    balance=balance,
                    serial=f"FEE2025063{n}",
                    memo="账户管理费",
                    counterparty=None,
                )
            )
        lines = [*statement.lines, *fees]  # oldest first, as the reader gives them
        count = len(lines)
        renumbered = tuple(line._replace(row=count - i) for i, line in enumerate(lines))
        return dataclasses.replace(statement, lines=renumbered)

    june = _june(demo_books, newest_first_with_two_fees)
    assert june.bank_balance == june.book_balance - 2 * FEE
    assert june.status == BALANCED
    assert sorted(i.reference for i in june.bank_out) == ["FEE20250631", "FEE20250632"]

"""A day's bank statement for the books of a test: ICBC's CSV export of the lines given, its
opening balance read from the books, so the import's balance check agrees."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from beancount.core import data

from tests.helpers.statements import ICBC_NO
from xtaccounts.books.load import load_books
from xtaccounts.core.entries import number_of
from xtaccounts.demo.bank_statements import BankLine, StatementFile, icbc_csv

ICBC_ACCOUNT = "Assets:Bank-银行存款:ICBC-工商银行:Demand-活期8821"
CENTRE_NAME = "湘潭市物业专项维修资金管理中心"


def books_balance(main: Path, account: str, through: dt.date) -> Decimal:
    """What `account` holds in the books of `main` at the end of `through`."""
    total = Decimal("0.00")
    for entry in load_books(main).entries:
        if isinstance(entry, data.Transaction) and entry.date <= through:
            total += sum((number_of(p) for p in entry.postings if p.account == account), Decimal(0))
    return total


def bank_line(when: str, amount: str, memo: str, serial: str, payer: str = "") -> BankLine:
    """One line as ICBC prints it (+ into the account)."""
    return BankLine(
        dt.date.fromisoformat(when),
        Decimal(amount),
        memo,
        counterparty=payer,
        counterparty_account="6222020000001234" if payer else "",
        counterparty_bank="中国工商银行湘潭分行" if payer else "",
        serial=serial,
    )


def write_icbc_day(main: Path, path: Path, lines: list[BankLine]) -> Path:
    """Write `lines` as an ICBC statement at `path`, opening with the books' balance on the day
    before the first line."""
    start = min(line.date for line in lines)
    opening = books_balance(main, ICBC_ACCOUNT, start - dt.timedelta(days=1))
    end = max(line.date for line in lines)
    statement = StatementFile(ICBC_NO, CENTRE_NAME, start, end, opening, tuple(lines))
    path.write_bytes(icbc_csv(statement))
    return path

"""The 账簿: every 日记账 balance is the books' balance each day, the 科目余额表 balances, and the
demo's journals match their golden files."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from beanquery.query import run_query

from xtaccounts.export import export_books
from xtaccounts.reading.ledger import open_ledger
from xtaccounts.reports.journals import bank_journals, trial_balance

GOLDEN = Path(__file__).parent / "golden"
GOLDEN_FILES = (
    "20-bank-journal-ICBC-Demand-8821.csv",
    "20-bank-journal-CCB-Demand-1234.csv",
    "21-general-ledger.csv",
    "23-trial-balance.csv",
)


@pytest.fixture(scope="module")
def year_books(demo_books: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("books") / "2025"
    export_books(demo_books, "2025", out, ("csv",), issued=dt.date(2026, 1, 15))
    return out


def _day_balances_by_query(main: Path) -> dict[str, dict[dt.date, Decimal]]:
    """Each bank account's balance at the end of every day it moved, by bean-query."""
    books = open_ledger(main)
    _, rows = run_query(
        books.entries,
        books.options,
        "SELECT account, date, sum(number(units(position))) AS n "
        "WHERE account ~ '^Assets:Bank' GROUP BY account, date ORDER BY account, date",
    )
    balances: dict[str, dict[dt.date, Decimal]] = {}
    for account, day, number in rows:
        days = balances.setdefault(account, {})
        days[day] = (list(days.values())[-1] if days else Decimal("0.00")) + number
    return balances


def _balance_on(days: dict[dt.date, Decimal], day: dt.date) -> Decimal:
    return max(((d, b) for d, b in days.items() if d <= day), default=(day, Decimal("0.00")))[1]


def test_every_bank_journal_balance_equals_the_books_each_day(demo_books: Path) -> None:
    books = open_ledger(demo_books)
    journals = bank_journals(
        books.registry, books.entries, dt.date(2024, 1, 1), dt.date(2025, 12, 31), str
    )
    assert len(journals) >= 4
    by_query = _day_balances_by_query(demo_books)
    days = 0
    for journal in journals:
        for day, balance in journal.day_balances().items():
            assert balance == _balance_on(by_query[journal.account], day), (
                journal.account,
                day,
            )
            days += 1
        # 本日合计 = the day's postings; 本月合计 and 本年累计 agree with them.
        postings = [line for line in journal.lines if line.voucher]
        year_debit = sum((p.debit for p in postings if p.date.year == 2025), Decimal("0.00"))
        (december,) = [
            line
            for line in journal.lines
            if line.total == "本年累计" and line.date == dt.date(2025, 12, 31)
        ]
        assert december.debit == year_debit
    assert days > 100


def test_the_trial_balance_balances_every_month(demo_books: Path) -> None:
    books = open_ledger(demo_books)
    for month in range(1, 13):
        start = dt.date(2025, month, 1)
        end = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
        lines = trial_balance(books.registry, books.entries, start, end)
        assert sum(t.debit for t in lines) == sum(t.credit for t in lines)
        assert sum(t.opening for t in lines) == 0 and sum(t.closing for t in lines) == 0
        for t in lines:
            assert t.opening + t.debit - t.credit == t.closing


def test_the_demo_journals_match_their_golden_files(year_books: Path) -> None:
    for name in GOLDEN_FILES:
        got = (year_books / name).read_text("utf-8-sig")
        if os.environ.get("XT_UPDATE_GOLDEN"):
            shutil.copy(year_books / name, GOLDEN / name)
        assert got == (GOLDEN / name).read_text("utf-8-sig"), name
    trial = (year_books / "23-trial-balance.csv").read_text("utf-8-sig").splitlines()
    total = trial[-1].split(",")
    assert total[0] == "合计" and total[2] == total[3] and total[4] == total[5]


class _Names:
    """Statutory names by the account's first part (the test's own chart)."""

    def code(self, account: str) -> str:
        return {"Assets": "1002", "Equity": "3001"}.get(account.split(":")[0], "")

    def name(self, code: str) -> str:
        return {"1002": "银行存款", "3001": "维修资金"}.get(code, "")


def _counter_names_by_hand(entry: object, account: str, names: _Names) -> str:
    found: list[str] = []
    for posting in entry.postings:  # type: ignore[attr-defined]
        if posting.account == account:
            continue
        code = names.code(posting.account)
        name = f"{code} {names.name(code)}".strip() if code else posting.account
        if name not in found:
            found.append(name)
    return "、".join(found)


def test_counter_names_are_those_of_the_other_postings_in_their_order() -> None:
    from beancount.core import data
    from beancount.core.amount import Amount

    from xtaccounts.reports.journals import CounterNames

    accounts = ["Equity:Fund:U1", "Assets:Bank", "Equity:Fund:U2", "Income:Other",
                "Equity:Fund:U1", *(f"Equity:Fund:U{n}" for n in range(3, 13))]  # fmt: skip
    postings = [
        data.Posting(a, Amount(Decimal(1), "CNY"), None, None, None, None) for a in accounts
    ]
    entry = data.Transaction({}, dt.date(2025, 1, 1), "*", None, "", frozenset(), frozenset(),
                             postings)  # fmt: skip
    counters = CounterNames(_Names())  # type: ignore[arg-type]
    for account in {*accounts, "Assets:Other"}:
        expected = _counter_names_by_hand(entry, account, _Names())
        assert counters(entry, account) == expected, account
        assert counters(entry, account) == expected, account  # from the kept table

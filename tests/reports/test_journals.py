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

from tests.helpers import InlineLoader
from xtaccounts.books.layout import LedgerLayout
from xtaccounts.core import chart
from xtaccounts.export import export_books
from xtaccounts.export.account_books import detail_ledger_table
from xtaccounts.reading.ledger import open_ledger
from xtaccounts.registry import load_registry
from xtaccounts.reports.journals import (
    account_postings,
    bank_journals,
    detail_ledgers,
    each_detail_ledger,
    trial_balance,
)

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


BANK = "Assets:Bank-银行存款:ICBC-工商银行:Demand-活期8821"


def _receipt(day: str, serial: str, amount: str) -> str:
    return f"""
    {day} ! "湘潭某公司" "待查明来款 {serial}"
      kind: "suspense"
      serial: "{serial}"
      {BANK}  {amount} CNY
      {chart.SUSPENSE}  -{amount} CNY
    """


def test_a_journal_has_lines_for_days_with_postings_and_every_months_end(
    inline_ledger: InlineLoader,
) -> None:
    """January has two postings on one day and one on another, February none, March one:
    期初 from December, each day's 本日合计, and 本月合计 and 本年累计 at each month's end
    (February's too, with nothing in it)."""
    books = inline_ledger(
        _receipt("2025-12-20", "S0", "50.00")
        + _receipt("2026-01-05", "S1", "100.00")
        + _receipt("2026-01-05", "S2", "20.00")
        + _receipt("2026-01-09", "S3", "3.00")
        + _receipt("2026-03-02", "S4", "7.00")
    )
    assert books.errors == []
    registry = load_registry(LedgerLayout(books.main).registry)
    start, end = dt.date(2026, 1, 1), dt.date(2026, 3, 31)
    (journal,) = bank_journals(registry, books.entries, start, end, str)
    d = dt.date

    def money(text: str) -> Decimal:
        return Decimal(text)

    expected = [
        (d(2026, 1, 1), "上年结转", "0", "0", "50.00"),
        (d(2026, 1, 5), "待查明来款 S1", "100.00", "0", "150.00"),
        (d(2026, 1, 5), "待查明来款 S2", "20.00", "0", "170.00"),
        (d(2026, 1, 5), "本日合计", "120.00", "0", "170.00"),
        (d(2026, 1, 9), "待查明来款 S3", "3.00", "0", "173.00"),
        (d(2026, 1, 9), "本日合计", "3.00", "0", "173.00"),
        (d(2026, 1, 31), "本月合计", "123.00", "0", "173.00"),
        (d(2026, 1, 31), "本年累计", "123.00", "0", "173.00"),
        (d(2026, 2, 28), "本月合计", "0", "0", "173.00"),
        (d(2026, 2, 28), "本年累计", "123.00", "0", "173.00"),
        (d(2026, 3, 2), "待查明来款 S4", "7.00", "0", "180.00"),
        (d(2026, 3, 2), "本日合计", "7.00", "0", "180.00"),
        (d(2026, 3, 31), "本月合计", "7.00", "0", "180.00"),
        (d(2026, 3, 31), "本年累计", "130.00", "0", "180.00"),
    ]
    assert [(x.date, x.summary, x.debit, x.credit, x.balance) for x in journal.lines] == [
        (day, summary, money(debit), money(credit), money(balance))
        for day, summary, debit, credit, balance in expected
    ]


def test_the_detail_ledger_streamed_account_by_account_equals_the_whole(
    inline_ledger: InlineLoader,
) -> None:
    """The export turns the 明细账 into rows one account at a time (`each_detail_ledger`):
    the rows written are the rows of the journals built all at once, in the same order."""
    books = inline_ledger(
        _receipt("2025-12-20", "S0", "50.00")
        + _receipt("2026-01-05", "S1", "100.00")
        + _receipt("2026-02-09", "S3", "3.00")
    )
    assert books.errors == []
    registry = load_registry(LedgerLayout(books.main).registry)
    start, end = dt.date(2026, 1, 1), dt.date(2026, 12, 31)
    whole = detail_ledgers(registry, books.entries, start, end, str)
    streamed = each_detail_ledger(registry, account_postings(books.entries, end), start, end, str)
    table = detail_ledger_table(streamed)
    assert table.rows == detail_ledger_table(whole).rows
    assert [j.account for j in whole] == [BANK, chart.SUSPENSE]  # by statutory code
    assert len(table.rows) == sum(len(j.lines) for j in whole) > 2 * 12

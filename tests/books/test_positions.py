"""Positions read from postings: unit funds and pools count unclosed flows by their metadata."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from beancount import loader

from xtaccounts.books.positions import read_positions

LEDGER = """
option "operating_currency" "CNY"
2023-01-01 open Assets:Bank-银行存款:X CNY
2023-01-01 open Income:Deposit-交存收入 CNY
2023-01-01 open Income:Interest-存款利息收入:Base-基准利息 CNY
2023-01-01 open Income:Interest-存款利息收入:Spread-利差 CNY
2023-01-01 open Expenses:Repair-维修支出:Premium-电梯保险费 CNY
2023-01-01 open Equity:Undistributed-待分配累计收益 CNY
2023-01-01 open Equity:Fund-维修资金:C1-甲:B1-1栋:U1-1单元 CNY
  unit: "C1-B1-U1"
2023-01-01 open Equity:Undistributed-待分配累计收益:Pool-统筹账户:C1-甲:B1-1栋 CNY
  pool: "C1-B1"
2023-01-01 open Liabilities:Clearing CNY

2023-02-01 * "deposit"
  kind: "deposit"
  Assets:Bank-银行存款:X  100.00 CNY
  Income:Deposit-交存收入  -100.00 CNY
    unit: "C1-B1-U1"

2023-02-28 * "close"
  kind: "close"
  period: "2023-02"
  Income:Deposit-交存收入  100.00 CNY
    unit: "C1-B1-U1"
  Equity:Fund-维修资金:C1-甲:B1-1栋:U1-1单元  -100.00 CNY

2023-03-21 * "interest"
  kind: "interest"
  receipt: "R-1"
  source: "demand"
  bank_account: "Assets:Bank-银行存款:X"
  window_start: "2022-12-21"
  window_end: "2023-03-20"
  Assets:Bank-银行存款:X  3.00 CNY
  Income:Interest-存款利息收入:Base-基准利息  -1.00 CNY
  Income:Interest-存款利息收入:Spread-利差  -2.00 CNY

2023-03-31 * "allocation"
  kind: "allocation"
  spread_receipts: "R-1"
  Equity:Undistributed-待分配累计收益  2.00 CNY
  Equity:Undistributed-待分配累计收益:Pool-统筹账户:C1-甲:B1-1栋  -2.00 CNY

2023-04-02 * "premium"
  Expenses:Repair-维修支出:Premium-电梯保险费  1.50 CNY
    pool: "C1-B1"
  Liabilities:Clearing  -1.50 CNY
"""


def test_positions_from_postings() -> None:
    entries, errors, _ = loader.load_string(LEDGER)
    assert errors == []
    pos = read_positions(entries)
    units = pos.unit_history()
    # The deposit counts from its day; the close moves it without changing the fund.
    assert units.balance_at("C1-B1-U1", dt.date(2023, 1, 31)) == 0
    assert units.balance_at("C1-B1-U1", dt.date(2023, 2, 1)) == Decimal("100.00")
    assert units.balance_at("C1-B1-U1", dt.date(2023, 3, 1)) == Decimal("100.00")
    pools = pos.pool_history()
    assert pools.balance_at("C1-B1", dt.date(2023, 3, 31)) == Decimal("2.00")
    # An unclosed premium already reduces what the pool can pay.
    assert pools.balance_at("C1-B1", dt.date(2023, 4, 2)) == Decimal("0.50")
    [receipt] = pos.receipts
    assert (receipt.id, receipt.base, receipt.spread) == ("R-1", Decimal("1.00"), Decimal("2.00"))
    assert receipt.window_start == dt.date(2022, 12, 21)
    assert pos.spread_allocated == {"R-1": "allocation"} and pos.base_allocated == {}
    assert pos.closed_periods == {"2023-02"}
    assert pos.balance("Assets:Bank-银行存款:X") == Decimal("103.00")
    assert pos.balance("Assets:Bank-银行存款:X", dt.date(2023, 3, 1)) == Decimal("100.00")


def _eager(entries):
    """The accounts' and units' movements as read_positions read them in its one pass."""
    from collections import defaultdict

    from beancount.core import data

    from xtaccounts.books.positions import UNIT_FLOW_ACCOUNTS
    from xtaccounts.core.entries import number_of

    pos = read_positions(entries)
    accounts: dict = defaultdict(list)
    units: dict = defaultdict(list)
    for entry in entries:
        if not isinstance(entry, data.Transaction):
            continue
        for posting in entry.postings:
            amount = number_of(posting)
            accounts[posting.account].append((entry.date, amount))
            unit = pos.unit_of_account.get(posting.account)
            if unit is None and posting.account in UNIT_FLOW_ACCOUNTS:
                unit = (posting.meta or {}).get("unit")
            if unit is not None:
                units[str(unit)].append((entry.date, -amount))
    return accounts, units


def test_movements_read_when_asked_are_those_of_one_pass(demo_books) -> None:
    """The accounts' and units' movements, read lazily, and the unit history, read straight
    from the books, are what one pass over the books gave."""
    from xtaccounts.books.load import load_books

    entries = load_books(demo_books).entries
    accounts, units = _eager(entries)
    straight = read_positions(entries)
    assert straight._unit_movements is None and straight._account_movements is None
    history = straight.unit_history()
    assert straight._unit_movements is None  # the history did not keep the movements
    read = read_positions(entries)
    assert dict(read.account_movements) == dict(accounts)
    assert list(read.account_movements) == list(accounts)
    assert dict(read.unit_movements) == dict(units) and list(read.unit_movements) == list(units)
    from_movements = read.unit_history()
    days = [dt.date(2023, 1, 1), dt.date(2024, 6, 30), dt.date(2025, 12, 31)]
    assert history.keys() == from_movements.keys() == sorted(units)
    for unit in units:
        for day in days:
            assert history.balance_at(unit, day) == from_movements.balance_at(unit, day)
            assert history.balance_days(unit, days[0], day) == from_movements.balance_days(
                unit, days[0], day
            )
    # Entries appended to the list afterwards are not read into the positions.
    from beancount.core import data

    late = read_positions(entries)
    entries.append(next(e for e in entries if isinstance(e, data.Transaction)))
    assert dict(late.account_movements) == dict(accounts)

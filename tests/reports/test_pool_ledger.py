"""A pool's ledger: its running balance is the `pools --as-of` figure on every day, and every
movement behind it is there (allocations, premiums, refunds, the legacy transfer, closes)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

from tests.helpers import xt
from xtaccounts.core.vocabulary import (
    KIND_ALLOCATION,
    KIND_CLOSE,
    KIND_LEGACY,
    KIND_PREMIUM,
    KIND_PREMIUM_REFUND,
)
from xtaccounts.reading.ledger import Ledger, open_ledger
from xtaccounts.reports.balances import pool_balances
from xtaccounts.reports.pool_ledger import pool_ledger, pool_movements

DAYS = [dt.date(2024, 9, 15), dt.date(2024, 12, 31), dt.date(2025, 9, 30), dt.date(2026, 1, 1)]


@pytest.fixture(scope="module")
def books(demo_books: Path) -> Ledger:
    return open_ledger(demo_books)


@pytest.mark.parametrize("day", DAYS, ids=str)
def test_every_pools_ledger_ends_at_its_balance(books: Ledger, day: dt.date) -> None:
    movements = pool_movements(books.entries, books.positions)
    balances = pool_balances(books.registry, books.positions, day)
    assert len(balances) == 17
    for balance in balances:
        ledger = pool_ledger(balance.pool, movements.get(balance.pool, []), books.positions, day)
        assert ledger.balance == balance.available, balance.pool
        running = Decimal(0)
        for line in ledger.lines:  # each line's balance is the one before plus its movement
            running += line.movement.amount
            assert line.balance == running


def test_the_pool_of_the_issue_on_2025_09_30(books: Ledger, demo_books: Path) -> None:
    """C0001-B04 paid its 2025-07-07 premium from 维修支出: Fava's account page shows 6,501.63,
    the pool can pay 1,701.63 (what `pools --as-of` says)."""
    cli = json.loads(xt(demo_books, "pools", "--as-of", "2025-09-30", "--format", "json").stdout)
    available = {row["pool"]: row["available"] for row in cli["rows"]}["C0001-B04"]
    movements = pool_movements(books.entries, books.positions)["C0001-B04"]
    ledger = pool_ledger("C0001-B04", movements, books.positions, dt.date(2025, 9, 30))
    assert str(ledger.balance) == available == "1701.63"
    assert ledger.account_balance == Decimal("6501.63")
    assert ledger.not_closed == Decimal("4800.00")
    kinds = [(line.movement.date, line.movement.kind) for line in ledger.lines]
    assert kinds == [
        (dt.date(2024, 9, 15), KIND_LEGACY),
        (dt.date(2024, 12, 31), KIND_ALLOCATION),
        (dt.date(2025, 6, 30), KIND_ALLOCATION),
        (dt.date(2025, 7, 7), KIND_PREMIUM),
    ]
    premium = ledger.lines[-1].movement
    assert premium.amount == Decimal("-4800.00") and premium.on_account == 0
    assert premium.policy == "APP-2024-004-P1" and premium.label == "支付电梯保险费"
    # The year's close moves the premium into the account: the balance does not change.
    year = pool_ledger("C0001-B04", movements, books.positions, dt.date(2025, 12, 31))
    close = next(line for line in year.lines if line.movement.kind == KIND_CLOSE)
    assert close.movement.amount == 0 and close.movement.on_account == Decimal("-4800.00")
    assert year.not_closed == 0 and year.account_balance == year.balance


def test_a_cancelled_policys_refund_credits_the_pool_back(books: Ledger) -> None:
    movements = pool_movements(books.entries, books.positions)["C0002-B01-U2"]
    ledger = pool_ledger("C0002-B01-U2", movements, books.positions, dt.date(2025, 12, 31))
    refund = next(line for line in ledger.lines if line.movement.kind == KIND_PREMIUM_REFUND)
    assert refund.movement.amount == Decimal("2393.42")
    assert ledger.total(KIND_PREMIUM) == Decimal("-3200.00")
    assert ledger.total(KIND_PREMIUM_REFUND) == Decimal("2393.42")

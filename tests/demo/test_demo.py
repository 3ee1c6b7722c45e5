"""The demo books after `./scripts/demo --no-serve`: clean, tied out, every capability shown."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from beancount.core import data

from xtaccounts.core import chart
from xtaccounts.core.vocabulary import KIND_INTEREST, KIND_LEGACY
from xtaccounts.reading.ledger import open_ledger
from xtaccounts.reports.balances import household_ledger, pool_balances

END = dt.date(2025, 12, 31)


def _bean_check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).parent / "bean-check"), str(path)],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_books_and_every_year_book_are_clean(demo_books: Path) -> None:
    for path in [demo_books, *sorted((demo_books.parent / "years").glob("20??.beancount"))]:
        check = _bean_check(path)
        assert check.returncode == 0 and check.stdout == "", (path, check.stdout, check.stderr)
    assert {p.name for p in (demo_books.parent / "years").glob("20??.beancount")} == {
        "2024.beancount",
        "2025.beancount",
        "2026.beancount",
    }


def test_pools_hold_the_spread_received_since_2023_minus_premiums(demo_books: Path) -> None:
    fund = open_ledger(demo_books)
    spread = -sum(
        (
            amount
            for day, amount in fund.positions.account_movements[chart.INTEREST_SPREAD]
            if day >= dt.date(2023, 1, 1)
        ),
        Decimal("0"),
    )
    # closing entries move the spread out of the income account: count receipts only
    received = sum((r.spread for r in fund.positions.receipts), Decimal("0"))
    # premiums paid less refunds of cancelled policies (the closes' reversals left out)
    premiums = sum(
        (
            p.units.number
            for e in fund.books.entries
            if isinstance(e, data.Transaction) and e.meta.get("kind") != "close"
            for p in e.postings
            if p.account == chart.PREMIUM_EXPENSE
        ),
        Decimal("0"),
    )
    pools = sum(
        (p.available for p in pool_balances(fund.registry, fund.positions, END)), Decimal(0)
    )
    assert received > Decimal("50000") and premiums > Decimal("10000")
    assert pools == received - premiums
    assert spread == 0  # the 2025 close emptied the income account into 待分配累计收益
    # Every receipt with a spread was allocated, the pre-pilot ones by the legacy transfer.
    with_spread = {r.id for r in fund.positions.receipts if r.spread > 0}
    assert with_spread == set(fund.positions.spread_allocated)
    legacy = {r for r, kind in fund.positions.spread_allocated.items() if kind == KIND_LEGACY}
    pilot_start = fund.registry.pilot.window_start
    assert legacy == {
        r.id for r in fund.positions.receipts if r.spread > 0 and r.date < pilot_start
    }


def test_every_units_household_ledger_adds_up(demo_books: Path) -> None:
    fund = open_ledger(demo_books)
    total = Decimal("0")
    for unit_id in fund.registry.units:
        ledger = household_ledger(fund.registry, fund.books.entries, fund.positions, unit_id, END)
        assert ledger.total == ledger.unit_fund, unit_id
        total += ledger.total
    fund_accounts = sum(
        (fund.positions.balance(a, END) for a in fund.positions.unit_of_account), Decimal("0")
    )
    assert total == -fund_accounts  # after the 2025 close everything sits in the fund accounts


def test_the_demo_shows_each_kind_of_event(demo_books: Path) -> None:
    fund = open_ledger(demo_books)
    txns = [e for e in fund.books.entries if isinstance(e, data.Transaction)]
    kinds = {e.meta.get("kind") for e in txns}
    assert {
        "opening",
        "deposit",
        "refund",
        "td-place",
        "interest",
        "allocation",
        "legacy-transfer",
        "close",
    } <= kinds
    interest = [e for e in txns if e.meta.get("kind") == KIND_INTEREST]
    sources = {e.meta["source"] for e in interest}
    assert sources == {"demand", "time", "early"}
    flagged = [e for e in interest if e.flag == "!"]
    assert len(flagged) == 1 and "-0.05" in flagged[0].meta["flag_reason"]
    suspense = [e for e in txns if e.meta.get("suspense_reason")]
    assert len(suspense) == 2
    # The CCB 6-month deposit was agreed below its base rate: its spread is zero, never negative.
    below = [r for r in fund.positions.receipts if r.id == "R-TDCCB2025001"]
    assert below and below[0].spread == 0 and below[0].base > 0
    assert all(r.spread >= 0 and r.base >= 0 for r in fund.positions.receipts)

"""Renewals, cancellations and their refunds, and an elevator never insured twice."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

from tests.helpers import EA, EC, ED, file_app, households, refused, rules, seed_pools, state
from xtaccounts.books.load import load_books
from xtaccounts.core import chart
from xtaccounts.insurance import (
    buy_premium,
    cancel_policy,
    coverage,
    policy_rows,
    post_notice,
    renew_policy,
)
from xtaccounts.registry import load_registry

D = dt.date.fromisoformat
A = Decimal
POOL = "C0001-B02"


def _bought(books: Path) -> None:
    """EC and ED (building pool C0001-B02, 10000.00), two years applied for, first bought."""
    file_app(books, "APP-2025-001", [EC, ED], households("C0001-B02-U1", "101", "102", "201"),
             "2025-02-20", "2025-03-08", "2027-03-07")  # fmt: skip
    post_notice(books, "APP-2025-001", D("2025-03-01"))
    buy_premium(books, "APP-2025-001", D("2025-03-08"), policy_no="X-1")


def test_renewal_within_the_years_applied_for_and_the_pool(books: Path) -> None:
    _bought(books)
    exc = refused(books, renew_policy, "APP-2025-001-P1", D("2025-12-01"))
    assert rules(exc) == {"pool_balance"} and "可用余额 3,600.00 元" in str(exc)
    seed_pools(books, {POOL: "3000.00"}, "2025-11-30")
    booked = renew_policy(books, "APP-2025-001-P1", D("2025-12-01"))
    assert booked.policy_id == "APP-2025-001-P2"
    assert (booked.cover_start, booked.cover_end) == (D("2026-03-08"), D("2027-03-07"))
    assert booked.total == A("6400.00") and booked.pool_after == A("200.00")
    book = state(books).book
    assert book.policies["APP-2025-001-P2"].renews == "APP-2025-001-P1"
    exc = refused(books, renew_policy, "APP-2025-001-P1", D("2025-12-02"))
    assert "renewed" in rules(exc)
    exc = refused(books, renew_policy, "APP-2025-001-P2", D("2025-12-02"))
    assert "cover" in rules(exc) and "申请了 2 年保障" in str(exc)
    registry = load_registry(books.parent / "registry")
    entries = load_books(books).entries
    expiring = policy_rows(registry, entries, D("2026-01-10"), expiring_within=60)
    assert expiring == []  # P1 ends 2026-03-07 but is renewed
    rows = policy_rows(registry, entries, D("2026-03-08"))
    assert [(r.policy, r.status) for r in rows] == [
        ("APP-2025-001-P1", "expired"),
        ("APP-2025-001-P2", "in force"),
    ]


def _refund(premium: str, unexpired: int, days: int) -> Decimal:
    exact = Fraction(premium) * unexpired / days
    return Decimal(exact.numerator / Decimal(exact.denominator)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )


def test_cancellation_refunds_the_unexpired_days_into_the_pool(books: Path) -> None:
    _bought(books)  # P1 covers 2025-03-08..2026-03-07 (365 days), 3200.00 per elevator
    before = state(books).pool_available(POOL, D("2025-09-30"))
    booked = cancel_policy(books, "APP-2025-001-P1", D("2025-09-30"), "电梯整机更新")
    unexpired = (D("2026-03-07") - D("2025-09-30")).days  # 2025-10-01..2026-03-07
    assert unexpired == 158
    expected = _refund("3200.00", 158, 365)
    assert expected == A("1385.21")
    assert booked.amounts == {EC: expected, ED: expected}
    after = state(books).pool_available(POOL, D("2025-09-30"))
    assert after - before == 2 * expected == booked.pool_after - booked.pool_before
    txn = next(e for e in booked.entries if hasattr(e, "postings"))
    assert txn.meta["kind"] == "premium-refund" and txn.links == frozenset({"APP-2025-001"})
    expense = [p for p in txn.postings if p.account == chart.PREMIUM_EXPENSE]
    assert [p.units.number for p in expense] == [-expected, -expected]
    assert all(p.meta["pool"] == POOL for p in expense)
    exc = refused(books, cancel_policy, "APP-2025-001-P1", D("2025-10-01"), "again")
    assert "cancelled" in rules(exc)
    exc = refused(books, renew_policy, "APP-2025-001-P1", D("2025-10-01"))
    assert "cancelled" in rules(exc)
    registry = load_registry(books.parent / "registry")
    entries = load_books(books).entries
    assert coverage(registry, entries, D("2025-09-30")).insured == 2
    # After the cancellation the elevators count as any elevator applied for (§3.8): here
    # the pool, 10000.00 - 6400.00 + 2 x 1385.21 = 6370.42, no longer holds a year's premium.
    result = coverage(registry, entries, D("2025-10-01"))
    assert {e.status for e in result.elevators} == {"ineligible"} and result.eligible == 0
    assert "2025-10-01 可用余额 6,370.42 元" in result.elevators[0].detail
    # With the pool topped up to 6400.00 they are eligible and uninsured again: 0 of 2.
    seed_pools(books, {POOL: "29.58"}, "2025-10-02")
    result = coverage(registry, load_books(books).entries, D("2025-10-02"))
    assert {e.status for e in result.elevators} == {"uninsured"}
    assert (result.insured, result.eligible, result.percent) == (0, 2, A("0.00"))
    assert "申请 APP-2025-001 已退保" in result.elevators[0].detail


def test_a_cancellation_before_the_cover_starts_refunds_everything(books: Path) -> None:
    file_app(books, "APP-2025-001", [EC], households("C0001-B02-U1", "101", "102", "201"),
             "2025-02-20", "2025-04-01")  # fmt: skip
    post_notice(books, "APP-2025-001", D("2025-03-01"))
    buy_premium(books, "APP-2025-001", D("2025-03-08"))
    booked = cancel_policy(books, "APP-2025-001-P1", D("2025-03-20"), "业主撤回")
    assert booked.amounts == {EC: A("3200.00")}
    assert state(books).pool_available(POOL, D("2025-03-20")) == A("10000.00")


def test_an_elevator_is_not_insured_twice(books: Path) -> None:
    _bought(books)
    file_app(books, "APP-2025-002", [EC], ["甲物业公司"], "2025-03-10", "2025-04-01",
             kind="property_company")  # fmt: skip
    post_notice(books, "APP-2025-002", D("2025-03-11"))
    exc = refused(books, buy_premium, "APP-2025-002", D("2025-04-01"))
    assert rules(exc) == {"overlap"}
    assert f"电梯 {EC} 已由保单 APP-2025-001-P1 承保 2025-03-08 至 2026-03-07" in str(exc)
    exc = refused(books, buy_premium, "APP-2025-001", D("2025-04-01"))
    assert "bought" in rules(exc)


def test_dry_run_writes_nothing(books: Path) -> None:
    file_app(books, "APP-2025-001", [EA], households("C0001-B01-U1", "101", "102", "201"),
             "2025-02-01", "2025-03-01")  # fmt: skip
    post_notice(books, "APP-2025-001", D("2025-02-10"))
    from tests.helpers import snapshot

    before = snapshot(books.parent)
    booked = buy_premium(books, "APP-2025-001", D("2025-03-01"), dry_run=True)
    assert booked.result is not None and booked.result.dry_run
    assert snapshot(books.parent) == before

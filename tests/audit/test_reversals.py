"""The audit and 红字冲销: a reversed pair is void for the rules (a reversed deposit is not a
payment out), and a reversal that does not negate its original exactly, or names none, is an
error (and not void)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.helpers import DEMO_LEDGER, ICBC, append, copy_books
from xtaccounts.audit import AuditReport, run_audit
from xtaccounts.core import chart
from xtaccounts.ops.reversal import book_reversal

DEPOSIT = "记-2024-05-0001"  # 3,000.00 deposited for C0001-B04-U1-101 on 2024-05-08
AS_OF = dt.date(2026, 1, 31)


@pytest.fixture
def main(tmp_path: Path) -> Path:
    return copy_books(DEMO_LEDGER / "main.beancount", tmp_path / "ledger")


def codes(report: AuditReport, *checks: str) -> list[tuple[str, str]]:
    return [
        (f.check, f.code) for f in report.findings if f.check in checks and f.severity == "error"
    ]


def hand_reversal(amount: str, voucher: str = DEPOSIT) -> str:
    return (
        f'2026-01-15 * "冲销 交存"\n  kind: "reversal"\n  reverses_voucher: "{voucher}"\n'
        f'  reason: "误记"\n  {ICBC}  -{amount} CNY\n  {chart.DEPOSIT_INCOME}  {amount} CNY\n'
        f'    unit: "C0001-B04-U1"\n    households: "C0001-B04-U1-101={amount}"\n'
    )


def test_a_reversed_deposit_is_void_for_the_payment_rules(main: Path) -> None:
    book_reversal(main, DEPOSIT, dt.date(2026, 1, 15), "误记")
    report = run_audit(main, AS_OF)
    assert codes(report, "payments", "reversals", "identity", "suspense") == []
    (reversals,) = [c for c in report.checks if c.name == "reversals"]
    assert reversals.counts == {"pairs": 1}


def test_an_inexact_reversal_is_an_error_and_not_void(main: Path) -> None:
    append(main, "txns/2026/corrections.beancount", hand_reversal("2999.00"))
    report = run_audit(main, AS_OF)
    assert ("reversals", "reversal-inexact") in codes(report, "reversals")
    # Not void: the 2,999.00 out of the bank is a payment the fund does not allow.
    assert ("payments", "payment-kind") in codes(report, "payments")


def test_a_reversal_of_nothing_is_an_error(main: Path) -> None:
    append(main, "txns/2026/corrections.beancount", hand_reversal("3000.00", "记-2024-05-0099"))
    report = run_audit(main, AS_OF)
    assert codes(report, "reversals") == [("reversals", "reversal-original-missing")]

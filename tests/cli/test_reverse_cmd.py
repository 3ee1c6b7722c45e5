"""`reverse` and `reopen` through the real command line: a refund booked to the wrong household
in a sealed year reversed and booked right in the open period (the 分户账 of both households to
the fen, the audit clean), every refusal one line with nothing written, and a period reopened and
closed again."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from tests.helpers import DEMO_LEDGER, append, copy_books, deposit, fund_books, snapshot, xt
from tests.helpers.base_books import make_bare_books

D = Decimal
UNIT = "C0001-B01-U3"
WRONG, RIGHT = "C0001-B01-U3-101", "C0001-B01-U3-102"
REFUND = "记-2025-06-0001"  # 5,000.00 refunded to WRONG on 2025-06-18 (2025 is sealed)
ALLOCATION = "记-2025-06-0005"
CLOSE = "记-2025-12-0005"


@pytest.fixture
def main(tmp_path: Path) -> Path:
    return copy_books(DEMO_LEDGER / "main.beancount", tmp_path / "ledger")


def run(main: Path, *args: str) -> dict:
    done = xt(main, *args, "--format", "json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def households(main: Path) -> dict[str, dict]:
    shown = run(main, "households", UNIT, "--as-of", "2026-01-31")
    assert shown["ties_out"] is True
    return {row["household"]: row for row in shown["rows"]}


def test_a_refund_to_the_wrong_household_reversed_and_booked_right(main: Path) -> None:
    before = households(main)
    booked = run(
        main,
        *("reverse", REFUND, "--date", "2026-01-20", "--reason", "误记入 101 户，应为 102 户"),
        *("--household", RIGHT),
    )
    assert (booked["reverses"], booked["corrected"]) == (REFUND, True)
    assert [(r["kind"], r["amount"], r["detail"]) for r in booked["rows"]] == [
        ("reversal", "-5000.00", WRONG),
        ("reversal", "5000.00", ""),
        ("refund", "5000.00", RIGHT),
        ("refund", "-5000.00", ""),
    ]
    after = households(main)
    assert D(after[WRONG]["refunds"]) == D(before[WRONG]["refunds"]) - D("5000.00") == 0
    assert D(after[WRONG]["balance"]) == D(before[WRONG]["balance"]) + D("5000.00")
    assert D(after[RIGHT]["refunds"]) == D("5000.00")
    assert D(after[RIGHT]["balance"]) == D(before[RIGHT]["balance"]) - D("5000.00")
    others = set(after) - {WRONG, RIGHT}
    assert all(after[h]["balance"] == before[h]["balance"] for h in others)
    # The audit is clean: the pair is void for the rules, exact, and the sealed year unchanged.
    audit = xt(main, "audit", "--format", "json")
    assert audit.returncode == 0, audit.stdout[-2000:]
    report = json.loads(audit.stdout)
    (reversals,) = [c for c in report["checks"] if c["name"] == "reversals"]
    assert reversals["counts"]["pairs"] == 1 and reversals["errors"] == 0
    vouchers = xt(main, "vouchers", "--period", "2026-01")
    assert f"冲销 {REFUND} 返还 维修资金 {WRONG}" in vouchers.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((ALLOCATION, "--date", "2026-01-20"), "它是积数分配（allocate）"),
        ((CLOSE, "--date", "2026-01-20"), "xtaccounts reopen"),
        ((REFUND, "--date", "2025-12-31"), "冲销日期 2025-12-31 在已结账的期间内"),
        ((REFUND, "--date", "2026-01-20", "--household", WRONG), f"它记的就是 {WRONG}"),
    ],
)
def test_refusals_are_one_line_and_write_nothing(
    main: Path, args: tuple[str, ...], message: str
) -> None:
    before = snapshot(main.parent)
    done = xt(main, "reverse", *args, "--reason", "测试")
    assert done.returncode == 1
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr
    assert snapshot(main.parent) == before


def test_reason_required_and_one_reversal_only(main: Path) -> None:
    before = snapshot(main.parent)
    missing = xt(main, "reverse", REFUND, "--date", "2026-01-20")
    assert missing.returncode == 2 and "--reason" in missing.stderr
    blank = xt(main, "reverse", REFUND, "--date", "2026-01-20", "--reason", "  ")
    assert blank.returncode == 1 and "冲销原因（--reason）不能为空" in blank.stderr
    assert snapshot(main.parent) == before
    run(main, "reverse", REFUND, "--date", "2026-01-20", "--reason", "误记")
    once = snapshot(main.parent)
    again = xt(main, "reverse", REFUND, "--date", "2026-01-21", "--reason", "再冲")
    assert again.returncode == 1 and "同一分录只冲销一次" in again.stderr
    twice = xt(main, "reverse", "记-2026-01-0001", "--date", "2026-01-21", "--reason", "再冲")
    assert twice.returncode == 1 and "冲销不能再冲销" in twice.stderr
    assert snapshot(main.parent) == once


def test_a_sealed_period_cannot_be_reopened(main: Path) -> None:
    before = snapshot(main.parent)
    done = xt(main, "reopen", "--reason", "改一笔")
    assert done.returncode == 1
    assert "已封存" in done.stderr and "xtaccounts reverse" in done.stderr
    assert snapshot(main.parent) == before


def test_reopen_the_last_close_and_close_again(tmp_path: Path) -> None:
    books = make_bare_books(tmp_path)
    fund_books(books)
    for period in ("2023", "2024-04"):
        assert xt(books, "close", "--period", period).returncode == 0
    late = deposit("2024-04-20", "C0001-B02-U2", "500.00")
    with pytest.raises(Exception, match="已结转"):
        append(books, "txns/2024/deposits.beancount", late)
    earlier = xt(books, "reopen", "--reason", "改", "--period", "2024-03")
    assert earlier.returncode == 1 and "只能重开最后结账的期间 2024-04" in earlier.stderr
    reopened = run(books, "reopen", "--reason", "漏记一笔交存", "--period", "2024-04")
    assert reopened["period"] == "2024-04"
    assert (
        'custom "xt-reopen" "2024-04"' in (books.parent / "txns/2024/closes.beancount").read_text()
    )
    append(books, "txns/2024/deposits.beancount", late)
    closed = run(books, "close", "--period", "2024-04")
    assert closed["closed"] is True
    with pytest.raises(Exception, match="已结转"):
        append(books, "txns/2024/deposits.beancount", deposit("2024-04-21", "C0001-B02-U2", "1.00"))

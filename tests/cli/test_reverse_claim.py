"""A claim booked wrong is undone by `reverse` (红字冲销): the item it cited is open again, can
be claimed right, and the audit is clean; the receipt itself, while a claim cites it, is not
reversed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import xt

ITEM = "ICBC20240520000078"  # the demo's untouched 1,000.00 in 待查明款项
RECEIPT = "记-2024-05-0003"  # that receipt's voucher

pytestmark = pytest.mark.slow


def run(main: Path, *args: str) -> dict:
    done = xt(main, *args, "--format", "json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def open_amount(main: Path) -> str:
    listed = run(main, "claim", "list", "--as-of", "2026-01-31")
    return next(r["open"] for r in listed["rows"] if r["item"].endswith(ITEM))


def voucher_of_claim(main: Path) -> str:
    text = (main.parent / "txns" / "2026" / "claims.beancount").read_text("utf-8")
    return text.split('voucher: "', 1)[1].split('"', 1)[0]


def claim_400(main: Path, day: str, household: str) -> None:
    """400.00 of the item claimed to `household` on `day`."""
    claim = ("claim", "book", ITEM, "--date", day, "--amount", "400.00", "--to", household)
    run(main, *claim, "--reason", "业主认领")


def test_a_wrong_claim_is_reversed_and_claimed_right(demo_copy: Path) -> None:
    main = demo_copy
    claim_400(main, "2026-01-10", "C0001-B01-U1-101")
    assert open_amount(main) == "600.00"
    claim = voucher_of_claim(main)
    cited = xt(main, "reverse", RECEIPT, "--date", "2026-01-11", "--reason", "误记")
    assert cited.returncode == 1 and "引用它" in cited.stderr
    run(main, "reverse", claim, "--date", "2026-01-11", "--reason", "认领错户")
    assert open_amount(main) == "1000.00"
    again = xt(main, "reverse", claim, "--date", "2026-01-12", "--reason", "再冲一次")
    assert again.returncode == 1 and "只冲销一次" in again.stderr
    claim_400(main, "2026-01-12", "C0001-B01-U1-102")
    assert open_amount(main) == "600.00"
    audit = xt(main, "audit", "--as-of", "2026-01-31", "--format", "json")
    report = json.loads(audit.stdout)
    assert audit.returncode == 0 and report["errors"] == 0, report["findings"]

"""Payments out of the fund: only the kinds it allows, and an insurer never paid more than owed."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import xt

ICBC = "Assets:Bank-银行存款:ICBC-工商银行:Demand-活期8821"
ICBC_2026 = "txns/2026/bank-ICBC-8821.beancount"
ICBC_2024 = "txns/2024/bank-ICBC-8821.beancount"
PAYMENT = '2024-12-31 * "湘潭某财产保险股份有限公司" "支付电梯保险费 电梯保险保费"'


def audit(main: Path) -> tuple[int, list[dict]]:
    done = xt(main, "audit", "--format", "json")
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads(done.stdout)["findings"]


def test_the_demo_pays_only_what_the_fund_allows(demo_copy: Path) -> None:
    code, found = audit(demo_copy)
    assert code == 0 and not [f for f in found if f["check"] == "payments"]


def test_a_payment_booked_as_other_expense_is_an_error_at_its_entry(demo_copy: Path) -> None:
    """A bank payment to an insurer with no tender, booked by hand as 其他支出."""
    path = demo_copy.parent / ICBC_2026
    before = path.read_text(encoding="utf-8")
    line = before.count("\n") + 2
    path.write_text(
        before + '\n2026-01-15 * "某保险代理有限公司" "保险费"\n'
        "  Expenses:Other-其他支出  800.00 CNY\n"
        f"  {ICBC}  -800.00 CNY\n",
        encoding="utf-8",
    )
    code, found = audit(demo_copy)
    assert code == 1
    [kind] = [f for f in found if f["code"] == "payment-kind"]
    assert (kind["entries"][0]["file"], kind["entries"][0]["line"]) == (ICBC_2026, line)
    assert "800.00" in kind["message"] and "Expenses:Other-其他支出" in kind["message"]


def test_paying_an_insurer_more_than_owed_is_an_error(demo_copy: Path) -> None:
    path = demo_copy.parent / ICBC_2024
    text = path.read_text(encoding="utf-8")
    start = text.index(PAYMENT)
    line = text[:start].count("\n") + 1
    block = text[start:].replace("   5600.00 CNY", "   5700.00 CNY").replace("-5600.00", "-5700.00")
    path.write_text(text[:start] + block, encoding="utf-8")
    code, found = audit(demo_copy)
    assert code == 1
    [over] = [f for f in found if f["code"] == "insurer-overpaid"]
    assert (over["entries"][0]["file"], over["entries"][0]["line"]) == (ICBC_2024, line)
    assert (over["expected"], over["booked"]) == ("5600.00", "5700.00")

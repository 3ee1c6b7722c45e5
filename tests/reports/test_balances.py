"""Pools, unit funds and the 分户账 derived from the books."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

from tests.helpers import xt
from xtaccounts.books.positions import parse_households
from xtaccounts.books.writer import LedgerWriter
from xtaccounts.demo.books import build_demo
from xtaccounts.reading.ledger import open_ledger
from xtaccounts.reports.balances import household_ledger, pool_balances, unit_balances

BANK = "Assets:Bank-银行存款:ICBC-工商银行:Demand-活期8821"
U1 = "Equity:Fund-维修资金:C0001-金泉小区:B01-1栋:U1-1单元"
U2 = "Equity:Fund-维修资金:C0001-金泉小区:B01-1栋:U2-2单元"
POOL_B01 = "Equity:Undistributed-待分配累计收益:Pool-统筹账户:C0001-金泉小区:B01-1栋"

# Unit C0001-B01-U1: household 101 has 1,000.00 from 2024-01-01, 102 gets 3,000.00 on 2024-07-01
# (a deposit, closed into the fund later), 101 is refunded 200.00 on 2024-10-01.
# Base interest of 10.00 earned 2024-01-01..2024-12-31 (366 days) is shared among the units by
# their fund balance-days (U2 holds 500.00 all year):
#   U1: 1,000.00 × 182 (01-01..06-30) + 4,000.00 × 92 (07-01..09-30) + 3,800.00 × 92
#       (10-01..12-31) = 899,600.00;  U2: 500.00 × 366 = 183,000.00;  total 1,082,600.00
#   U1 → 1000 fen × 899,600 / 1,082,600 = 830.96 → 830 (rem .96); U2 → 169.03 → 169 (rem .03);
#   the leftover fen goes to U1: U1 8.31, U2 1.69.
# U1's 8.31 among its households by balance-days over the same window:
#   101: 1,000.00 × 274 days (01-01..09-30) + 800.00 × 92 days (10-01..12-31) = 347,600.00
#   102: 3,000.00 × 184 days (07-01..12-31)                                   = 552,000.00
#   101 → 831 × 347,600 / 899,600 = 321.09 → 321 (rem .09); 102 → 509.90 → 509 (rem .90);
#   the leftover fen goes to 102: 101 gets 3.21, 102 gets 5.10.
EVENTS = f"""
2024-01-01 * "期初" "期初余额"
  kind: "opening"
  {BANK}  1500.00 CNY
  {U1}  -1000.00 CNY
    households: "C0001-B01-U1-101=1000.00"
  {U2}  -500.00 CNY
    households: "C0001-B01-U2-101=500.00"

2024-07-01 * "开发商" "交存 维修资金"
  kind: "deposit"
  notice: "N-T1"
  {BANK}  3000.00 CNY
  Income:Deposit-交存收入  -3000.00 CNY
    unit: "C0001-B01-U1"
    households: "C0001-B01-U1-102=3000.00"

2024-10-01 * "返还" "房屋灭失返还"
  kind: "refund"
  Expenses:Refund-返还支出  200.00 CNY
    unit: "C0001-B01-U1"
    household: "C0001-B01-U1-101"
  {BANK}  -200.00 CNY

2024-12-31 * "工商银行" "利息"
  kind: "interest"
  receipt: "R-T1"
  source: "demand"
  bank_account: "{BANK}"
  window_start: "2024-01-01"
  window_end: "2024-12-31"
  {BANK}  40.00 CNY
  Income:Interest-存款利息收入:Base-基准利息  -10.00 CNY
  Income:Interest-存款利息收入:Spread-利差  -30.00 CNY

2024-12-31 * "分配" "利息分配"
  kind: "allocation"
  base_receipts: "R-T1"
  spread_receipts: "R-T1"
  Equity:Undistributed-待分配累计收益  40.00 CNY
  {U1}  -8.31 CNY
  {U2}  -1.69 CNY
  {POOL_B01}  -30.00 CNY
"""


@pytest.fixture(scope="module")
def main(tmp_path_factory: pytest.TempPathFactory) -> Path:
    main = build_demo(tmp_path_factory.mktemp("reports") / "ledger", events=False)
    with LedgerWriter(main) as session:
        session.append("txns/2024/events.beancount", EVENTS)
        session.commit()
    return main


def test_household_ledger_adds_up_to_the_unit(main: Path) -> None:
    fund = open_ledger(main)
    ledger = household_ledger(
        fund.registry, fund.books.entries, fund.positions, "C0001-B01-U1", dt.date(2024, 12, 31)
    )
    by_id = {h.household: h for h in ledger.households}
    h101, h102 = by_id["C0001-B01-U1-101"], by_id["C0001-B01-U1-102"]
    assert (h101.opening, h101.refunds, h101.interest) == (
        Decimal("1000.00"),
        Decimal("200.00"),
        Decimal("3.21"),
    )
    assert (h102.deposits, h102.interest) == (Decimal("3000.00"), Decimal("5.10"))
    assert h101.balance == Decimal("803.21") and h102.balance == Decimal("3005.10")
    # 1,000 + 3,000 − 200 + 8.31 = 3,808.31: the 分户账 ties out to the unit exactly.
    assert ledger.unit_fund == Decimal("3808.31") == ledger.total


def test_unit_and_pool_balances(main: Path) -> None:
    fund = open_ledger(main)
    units = {u.unit: u for u in unit_balances(fund.registry, fund.positions, dt.date(2024, 12, 31))}
    assert units["C0001-B01-U1"].fund == Decimal("3808.31")
    assert units["C0001-B01-U2"].fund == Decimal("501.69")
    # Before the refund date the refund does not count.
    early = unit_balances(fund.registry, fund.positions, dt.date(2024, 9, 30))
    assert {u.unit: u.fund for u in early}["C0001-B01-U1"] == Decimal("4000.00")
    pools = {p.pool: p for p in pool_balances(fund.registry, fund.positions, dt.date(2024, 12, 31))}
    assert pools["C0001-B01"].available == Decimal("30.00")
    assert pools["C0001-B01"].fund == Decimal("4310.00")
    assert pools["C0001-B02-U1"].available == Decimal("0.00")


def test_parse_households() -> None:
    assert parse_households("A=1.00 B=2.50 A=0.50") == {"A": Decimal("1.50"), "B": Decimal("2.50")}


@pytest.mark.slow
def test_cli_reports(main: Path) -> None:
    pools = xt(main, "pools", "--as-of", "2024-12-31", "--format", "json")
    assert pools.returncode == 0, pools.stderr
    doc = json.loads(pools.stdout)
    assert doc["available"] == "30.00" and doc["pools"] == 17
    households = xt(main, "households", "C0001-B01-U1", "--as-of", "2024-12-31", "--format", "json")
    doc = json.loads(households.stdout)
    assert doc["ties_out"] is True and doc["total"] == "3808.31"
    units = xt(main, "units", "--pool", "C0001-B01", "--as-of", "2024-12-31", "--format", "csv")
    assert units.stdout.splitlines()[0] == "unit,name,pool,households,area_m2,fund"
    assert len(units.stdout.splitlines()) == 4
    unknown = xt(main, "households", "C9999-B01-U1")
    assert unknown.returncode == 1 and "unknown unit" in unknown.stderr

"""The period close (结转) and the year books that load on their own."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from beancount import loader
from beancount.core import data

from tests.helpers import (
    ICBC,
    append,
    copy_books,
    deposit,
    fund_books,
    interest,
    loaded_demo_registry,
    make_bare_books,
    snapshot,
    xt,
)
from xtaccounts.books.load import load_books
from xtaccounts.books.positions import read_positions
from xtaccounts.core import chart
from xtaccounts.core.dates import closing_day
from xtaccounts.core.errors import XtError
from xtaccounts.ops.allocation import allocate, transfer_legacy
from xtaccounts.ops.close import close_period

D = Decimal
day = dt.date.fromisoformat
TD = "Assets:Bank-银行存款:ICBC-工商银行:Time-定期TD2024001"


@pytest.fixture(scope="module")
def bare_books(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_bare_books(tmp_path_factory.mktemp("bare"))


@pytest.fixture
def books(bare_books: Path, tmp_path: Path) -> Path:
    """A private copy of books with the demo registry and chart and no transactions."""
    return copy_books(bare_books, tmp_path / "ledger")


def refund(date: str, household: str, amount: str) -> str:
    unit = household.rsplit("-", 1)[0]
    return (
        f'{date} * "返还"\n  kind: "refund"\n  reason: "房屋灭失"\n'
        f"  {chart.REFUND}  {amount} CNY\n"
        f'    unit: "{unit}"\n    household: "{household}"\n  {ICBC}  -{amount} CNY\n\n'
    )


def premium(date: str, pool: str, amount: str) -> str:
    clearing = chart.premium_clearing_account(loaded_demo_registry(), "INS01")
    return (
        f'{date} * "电梯保险费"\n  kind: "premium"\n  {chart.PREMIUM_EXPENSE}  {amount} CNY\n'
        f'    pool: "{pool}"\n  {clearing}  -{amount} CNY\n\n'
    )


def other(date: str, account: str, amount: str) -> str:
    return f'{date} * "其他"\n  {ICBC}  {D(amount) * -1:.2f} CNY\n  {account}  {amount} CNY\n\n'


def _year_of_flows(main: Path) -> None:
    """A 2024 with deposits, interest, the legacy transfer, a premium, a refund, other flows."""
    fund_books(main)
    append(
        main,
        "txns/2024/test.beancount",
        interest("R-2024Q1", "2024-03-21", "2023-12-21", "2024-03-20", "30.00", "2000.00"),
    )
    transfer_legacy(main)
    append(
        main,
        "txns/2024/test.beancount",
        deposit("2024-10-08", "C0001-B01-U1", "800.00")
        + premium("2024-10-10", "C0001-B01", "500.00")
        + other("2024-10-15", chart.OTHER_INCOME, "-12.34")
        + other("2024-10-16", chart.OTHER_EXPENSE, "2.00")
        + refund("2024-10-20", "C0002-B01-U2-101", "300.00"),
    )


def _balances(entries: list, through: dt.date | None = None) -> dict[str, Decimal]:
    """Own balance of every account (non-zero only) over transactions dated through `through`."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for entry in entries:
        if isinstance(entry, data.Transaction) and (through is None or entry.date <= through):
            for posting in entry.postings:
                totals[posting.account] += posting.units.number
    return {a: v for a, v in sorted(totals.items()) if v}


def _histories(main: Path) -> tuple[dict, dict]:
    pos = read_positions(load_books(main).entries)
    units, pools = pos.unit_history(), pos.pool_history()
    days = [day("2024-01-01") + dt.timedelta(days=n) for n in range(0, 731, 5)]
    return (
        {(u, d): units.balance_at(u, d) for u in sorted(pos.unit_movements) for d in days},
        {(p, d): pools.balance_at(p, d) for p in sorted(pos.pool_movements) for d in days},
    )


def test_parse_period() -> None:
    assert closing_day("2024-02") == (day("2024-02-29"), False)
    assert closing_day("2024") == (day("2024-12-31"), True)
    for bad in ("2024-13", "24-01", "2024-1", "May"):
        with pytest.raises(XtError):
            closing_day(bad)


def test_month_close_moves_flows_and_keeps_every_balance(books: Path) -> None:
    _year_of_flows(books)
    registry = loaded_demo_registry()
    units_before, pools_before = _histories(books)

    report = close_period(books, "2024-10")
    assert report.booked and report.files == ["txns/2024/closes.beancount"]
    plan = report.plan
    # Deposits (less the refund) into the unit funds, the premium out of the pool, the interest
    # and the other flows into 待分配累计收益.
    assert plan.unit_totals == {
        "C0001-B01-U1": D("800.00"),
        "C0001-B02-U2": D("12000.00"),
        "C0002-B01-U2": D("-300.00"),
    }
    assert plan.pool_totals == {"C0001-B01": D("-500.00")}
    assert plan.undistributed == D("2030.00") + D("12.34") - D("2.00")
    loaded = load_books(books)
    assert loaded.errors == []
    [entry] = [e for e in loaded.entries if e.meta.get("kind") == "close"]
    assert (entry.date, entry.flag, entry.narration) == (day("2024-10-31"), "*", "结转 2024-10")
    assert entry.meta["period"] == "2024-10"
    tagged = {
        (p.account, (p.meta or {}).get("unit"), (p.meta or {}).get("pool")) for p in entry.postings
    }
    assert (chart.DEPOSIT_INCOME, "C0001-B01-U1", None) in tagged
    assert (chart.REFUND, "C0002-B01-U2", None) in tagged
    assert (chart.PREMIUM_EXPENSE, None, "C0001-B01") in tagged

    # Income and expenses are empty through the period end, and nothing else changed.
    after = _balances(loaded.entries, day("2024-10-31"))
    assert not [a for a in after if a.startswith(("Income:", "Expenses:"))]
    fund = chart.unit_fund_account(registry, "C0001-B01-U1")
    assert after[fund] == D("-50800.00")
    assert after[chart.UNDISTRIBUTED] == D("2000.00") - D("2040.34")
    assert (units_before, pools_before) == _histories(books)
    assert read_positions(loaded.entries).closed_periods == {"2024-10"}

    # A second close finds nothing; an earlier month, now swept by the later close, is refused.
    before = snapshot(books.parent)
    again = close_period(books, "2024-10")
    assert again.plan.entry is None and again.files == [] and not again.booked
    with pytest.raises(XtError, match="in order"):
        close_period(books, "2024-09")
    assert snapshot(books.parent) == before


def test_an_earlier_year_must_be_closed_first(books: Path) -> None:
    fund_books(books)
    append(
        books,
        "txns/2023/test.beancount",
        interest("R-2023Q4", "2023-12-21", "2023-09-21", "2023-12-20", "1.00", "2.00"),
    )
    before = snapshot(books.parent)
    with pytest.raises(XtError, match="close --period 2023"):
        close_period(books, "2024-05")
    assert snapshot(books.parent) == before
    assert close_period(books, "2023").booked
    assert close_period(books, "2024-05").booked  # the April deposit


def test_year_close_writes_a_year_book_that_loads_alone(books: Path) -> None:
    _year_of_flows(books)
    append(
        books,
        "txns/2024/time-deposits.beancount",
        f'2024-11-01 open {TD} CNY\n  certificate: "TD2024001"\n\n'
        f'2024-11-01 * "定期存入"\n  kind: "td-place"\n  certificate: "TD2024001"\n'
        f"  {TD}  10000.00 CNY\n  {ICBC}  -10000.00 CNY\n\n"
        + interest("R-2024Q4", "2024-12-21", "2024-09-21", "2024-12-20", "40.00", "60.00"),
    )
    append(books, "txns/2025/test.beancount", deposit("2025-02-03", "C0003-B02-U1", "900.00"))
    units_before, pools_before = _histories(books)

    report = close_period(books, "2024")
    assert report.booked
    assert report.files == [
        "txns/2024/closes.beancount",
        "txns/2025/carried.beancount",
        "years/2025-opening.beancount",
        "years/2025.beancount",
        "years/2024-household-interest.csv",
    ]
    root = books.parent
    assert 'include "txns/2025/carried.beancount"' in books.read_text("utf-8")
    year_text = (root / "years/2025.beancount").read_text("utf-8")
    assert 'option "title" "湘潭市住宅专项维修资金 电梯维修保险试点账簿 2025年"' in year_text
    assert 'plugin "xtaccounts.plugins.fund_rules"' in year_text
    assert 'include "../txns/2025/*.beancount"' in year_text
    # The certificate opened outside accounts.beancount is opened by the year's opening file.
    assert f"open {TD}" in (root / "years/2025-opening.beancount").read_text("utf-8")
    assert "~ 0.00 CNY" in (root / "txns/2025/carried.beancount").read_text("utf-8")

    full = load_books(books)
    assert full.errors == []
    entries, errors, _ = loader.load_file(str(root / "years/2025.beancount"))
    assert errors == []
    # Every account's balance on 2025-01-01 is the full books' at the end of 2024-12-31, and
    # (with 2025's own files included) the same at the end, exactly.
    year_end = day("2024-12-31")
    full_2024 = _balances(full.entries, year_end)
    assert not [a for a in full_2024 if a.startswith(("Income:", "Expenses:"))]
    assert _balances(entries, year_end) == full_2024
    assert TD in full_2024 and chart.UNDISTRIBUTED in full_2024
    sheet = ("Assets", "Liabilities", "Equity")
    assert {a: v for a, v in _balances(entries).items() if a.startswith(sheet)} == {
        a: v for a, v in _balances(full.entries).items() if a.startswith(sheet)
    }
    assert (units_before, pools_before) == _histories(books)
    [carry] = [e for e in entries if isinstance(e, data.Transaction) and e.meta["kind"] == "carry"]
    assert carry.narration == "上年结转 2024" and carry.date == year_end

    # Closed and carried: a second run writes nothing, and 2024 takes no more allocations.
    before = snapshot(root)
    again = close_period(books, "2024")
    assert again.files == [] and again.result is None
    with pytest.raises(XtError, match="closed"):
        allocate(books, through=year_end)
    assert snapshot(root) == before
    # 2024's base interest is allocated in 2025 instead; the year book still loads clean.
    later = allocate(books, through=day("2025-01-31"))
    assert later.booked and later.plan is not None
    assert later.plan.base_receipts == ["R-2024Q1", "R-2024Q4"]
    assert later.plan.spread_receipts == ["R-2024Q4"]
    entries, errors, _ = loader.load_file(str(root / "years/2025.beancount"))
    assert errors == []


@pytest.mark.slow
def test_cli_close(books: Path) -> None:
    _year_of_flows(books)
    before = snapshot(books.parent)
    bad = xt(books, "close", "--period", "2024-13")
    assert bad.returncode == 1 and "2024-13" in bad.stderr
    dry = xt(books, "close", "--period", "2024-10", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert snapshot(books.parent) == before
    out = xt(books, "close", "--period", "2024", "--format", "json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["command"] == "close" and doc["booked"] is True and doc["closed"] is True
    assert doc["year_book"] == "years/2025.beancount"
    amounts = {(r["kind"], r["receiver"]): D(r["amount"]) for r in doc["rows"]}
    assert amounts[("unit", "C0001-B01-U1")] == D("800.00")
    assert amounts[("pool", "C0001-B01")] == D("-500.00")
    again = xt(books, "close", "--period", "2024")
    assert again.returncode == 0 and "nothing to close" in again.stdout


def test_parse_period_refuses_years_that_cannot_be_closed() -> None:
    assert closing_day("9998") == (day("9998-12-31"), True)
    for bad in ("0000", "0000-05", "9999", "9999-12"):
        with pytest.raises(XtError, match="年不能结转"):
            closing_day(bad)
    start = day("2023-01-01")
    assert closing_day("2023-01", start) == (day("2023-01-31"), False)
    for bad in ("2022", "2022-12"):
        with pytest.raises(XtError, match=r"早于建账日 2023-01-01"):
            closing_day(bad, start)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--period", "0000"], "没有 0000 年"),
        (["--period", "9999", "--dry-run"], "只接受今天"),  # beyond the input horizon
        (["--period", "2022"], "早于建账日"),
        (["--period", "２０２４-１３"], "没有 13 月"),  # full-width digits are read (as 2024-13)
    ],
)
def test_cli_close_refuses_periods_out_of_range(books: Path, args: list[str], message: str) -> None:
    before = snapshot(books.parent)
    proc = xt(books, "close", *args)
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("错误：") and message in lines[0], lines
    assert snapshot(books.parent) == before


def test_cli_close_amounts_have_two_decimals(books: Path) -> None:
    _year_of_flows(books)
    out = xt(books, "close", "--period", " 2024-10 ", "--dry-run", "--format", "json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["period"] == "2024-10" and doc["rows"]
    assert all(re.fullmatch(r"-?\d+\.\d{2}", row["amount"]) for row in doc["rows"])

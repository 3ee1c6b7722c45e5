"""A day at the centre, end to end through the command line on a copy of the demo books.

Last month's work first (January 2026): a refund booked to the wrong household, 2026's tender
and an application for insurance on notice. Then the day (2026-02-12), in steps, each a helper
below:

1. import the day's statement;
2. claim three items of 待查明款项 from one file (one partially to a household, a notice paid in
   two transfers, one returned to its payer);
3. reverse last month's refund with its reason and book it to the right household;
4. add this week's payment notices from an xlsx; the next statement brings a receipt citing one
   of them, booked to it (not to suspense), and the debit of the returned item;
5. extend the pilot by its notice: the purchase refused before (2026's tender registered last
   month) goes through;
6. bean-check and the audit are clean, the 分户账 of every household touched (both of the
   reversed refund's among them) are right to the fen, the export of the day's month ties out
   and `registry history` lists the day's changes.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from tests.helpers import bank_line, write_icbc_day, xt

ICBC = "Assets:Bank-银行存款:ICBC-工商银行:Demand-活期8821"
DAY = "2026-02-12"
PARTIAL = "ICBC20260212000001"  # 1,500.00 from a company: 1,200.00 of it is 101's deposit
TOP_UP = "ICBC20260212000002"  # 100.00: the rest of N2024-0003 (2,900.00 came in 2024)
WRONG = "ICBC20260212000003"  # 888.00 sent to the fund by mistake: returned
FIRST_TRANSFER = "ICBC20240508000032"  # the demo's 2,900.00 for N2024-0003, in suspense
RETURNED = "2026-02-13"  # the money leaves the next day: the 12th's closing balance stands
MONTH_END = "2026-02-28"
# Last month's refund: 500.00 given back to 101 that 102 had asked for.
REFUND_WRONG, REFUND_RIGHT = "C0001-B01-U3-101", "C0001-B01-U3-102"
# This week's notices; the next statement brings N2026-0201's 600.10.
NOTICE_PAID, NOTICE_OPEN = "C0001-B02-U2-301", "C0001-B02-U2-302"
RECEIPT = "ICBC20260213000002"
# An elevator whose application was voted down in 2024, applied for again in January 2026.
ELEVATOR = "31104303201200000004"
APPLICANTS = "C0001-B02-U2-101,C0001-B02-U2-102,C0001-B02-U2-201"
PILOT_SOURCE = "湘潭市住房和城乡建设局〔2026〕3号"
# What each 分户账 touched gains in deposits and (REFUNDED) in refunds: the reversal takes
# 101's refund back, the corrected entry gives it to 102.
TOUCHED = {
    "C0001-B01-U1-101": Decimal("1200.00"),
    "C0001-B04-U2-101": Decimal("3000.00"),
    REFUND_WRONG: Decimal("0.00"),
    REFUND_RIGHT: Decimal("0.00"),
    NOTICE_PAID: Decimal("600.10"),
    NOTICE_OPEN: Decimal("0.00"),
}
REFUNDED = {REFUND_WRONG: Decimal("0.00"), REFUND_RIGHT: Decimal("500.00")}

pytestmark = pytest.mark.slow


def run(main: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = xt(main, *args)
    assert done.returncode == 0, f"{args}: {done.stderr}"
    return done


def as_json(main: Path, *args: str) -> dict:
    return json.loads(run(main, *args, "--format", "json").stdout)


# -- last month ------------------------------------------------------------------------------


def last_months_work(main: Path, work: Path) -> str:
    """January's refund to the wrong household, and the statement that paid it; 2026's tender
    registered and an application on notice whose purchase the pilot's window (ending
    2025-12-31) still refuses. Returns the refund's voucher."""
    run(
        main,
        *("deposit", "refund", "--household", REFUND_WRONG, "--amount", "500.00"),
        *("--date", "2026-01-20", "--account", ICBC, "--reason", "房屋灭失"),
    )
    paid_out = bank_line("2026-01-20", "-500.00", "维修资金返还", "ICBC20260120000001", "孙某某")
    statement = write_icbc_day(main, work / "8821_20260120.csv", [paid_out])
    report = as_json(main, "import", str(statement))
    assert [(r["booked"], r["skipped"], r["suspense"]) for r in report["rows"]] == [(0, 1, 0)]
    run(
        main,
        *("registry", "tender", "add", "--id", "T2026-01", "--insurer", "INS01"),
        *("--from", "2026-01-01", "--to", "2026-12-31", "--max-age", "25"),
        *("--band", "10=2400.00", "--band", "20=3200.00", "--band", "25=3800.00"),
        *("--source", "湘潭市公共资源交易中心〔2025〕48号"),
    )
    file_app = (
        *("application", "file", "--date", "2026-01-10", "--elevator", ELEVATOR),
        *("--households", APPLICANTS, "--insurer", "INS01", "--cover-start", "2026-03-01"),
    )
    run(main, *file_app)
    run(main, "application", "notice", "APP-2026-001", "--start", "2026-01-11")
    vouchers = as_json(main, "vouchers", "--period", "2026-01")["vouchers"]
    (refund,) = [v["voucher"] for v in vouchers if REFUND_WRONG in v["summary"]]
    return str(refund)


# -- the steps ---------------------------------------------------------------------------------


def import_the_days_statement(main: Path, work: Path) -> None:
    statement = write_icbc_day(
        main,
        work / "8821_20260212.csv",
        [
            bank_line(DAY, "1500.00", "代缴维修资金及其他款项", PARTIAL, "湘潭某物业公司"),
            bank_line(DAY, "100.00", "维修资金补交", TOP_UP, "卢某某"),
            bank_line(DAY, "888.00", "转账", WRONG, "赵某某"),
        ],
    )
    report = as_json(main, "import", str(statement))
    assert [(r["booked"], r["suspense"]) for r in report["rows"]] == [(0, 3)]
    listed = json.loads(run(main, "claim", "list", "--as-of", DAY, "--json").stdout)
    payers = {row["item"].rsplit("-", 1)[-1]: row["payer"] for row in listed["rows"]}
    assert payers[WRONG] == "赵**" and payers[TOP_UP] == "卢**"  # masked


def claim_three_items(main: Path, work: Path) -> None:
    same_day = xt(main, "claim", "book", WRONG, "--date", DAY, "--amount", "888.00", "--to", "退回")
    assert same_day.returncode == 1 and f"退回日期 {DAY} 在银行账户" in same_day.stderr
    claims = work / "认领.csv"
    claims.write_text(
        "款项,日期,金额,认领对象,事由\n"
        f"{PARTIAL},{DAY},1200.00,C0001-B01-U1-101,物业公司代业主缴存\n"
        f"{FIRST_TRANSFER},{DAY},2900.00,N2024-0003,通知书分两次缴清\n"
        f"{TOP_UP},{DAY},100.00,N2024-0003,通知书分两次缴清\n"
        f"{WRONG},{RETURNED},888.00,退回,误汇退回付款人\n",
        encoding="gb18030",
    )
    done = as_json(main, "claim", "file", str(claims))
    assert done["claims"] == 3  # the two transfers of N2024-0003 pay it in one deposit
    still = as_json(main, "claim", "list", "--as-of", RETURNED)
    assert [(row["item"].rsplit("-", 1)[-1], row["open"]) for row in still["rows"]] == [
        ("ICBC20240520000078", "1000.00"),  # the demo's other receipt, untouched
        (PARTIAL, "300.00"),
    ]


def reverse_last_months_refund(main: Path, voucher: str) -> None:
    done = as_json(
        main,
        *("reverse", voucher, "--date", DAY, "--reason", "误记入101户，应为102户"),
        *("--household", REFUND_RIGHT),
    )
    assert done["reverses"] == voucher and done["corrected"] is True
    again = xt(main, "reverse", voucher, "--date", DAY, "--reason", "再冲一次")
    assert again.returncode == 1  # one reversal per entry


def add_this_weeks_notices(main: Path, work: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["缴款通知书编号", "房屋编号", "应缴金额（元）", "开具日期"])
    sheet.append(["N2026-0201", NOTICE_PAID, "600.10", dt.date(2026, 2, 9)])
    sheet.append(["N2026-0202", NOTICE_OPEN, 700, dt.datetime(2026, 2, 10)])
    book.save(work / "本周缴款通知书.xlsx")
    done = run(main, "registry", "notice", "add", str(work / "本周缴款通知书.xlsx"))
    assert "新增缴款通知书 2 份" in done.stdout and "1,300.10" in done.stdout


def the_next_statement(main: Path, work: Path) -> None:
    """The returned item's debit (booked already by its claim) and a receipt citing this
    week's notice N2026-0201, booked to it."""
    debit = bank_line(RETURNED, "-888.00", "退回误汇款", "ICBC20260213000001", "赵某某")
    receipt = bank_line(RETURNED, "600.10", "N2026-0201维修资金", RECEIPT, "钱某某")
    statement = write_icbc_day(main, work / "8821_20260213.csv", [debit, receipt])
    report = as_json(main, "import", str(statement))
    assert [(r["booked"], r["skipped"], r["suspense"]) for r in report["rows"]] == [(1, 1, 0)]
    assert all(RECEIPT not in row["item"] for row in as_json(main, "claim", "list")["rows"])


def extend_the_pilot(main: Path) -> None:
    buy = ("premium", "buy", "APP-2026-001", "--date", DAY)
    refused = xt(main, *buy)
    assert refused.returncode == 1 and "不在试点期 2024-09-15 至 2025-12-31" in refused.stderr
    run(
        main,
        *("registry", "pilot", "set", "window_end", "2026-12-31"),
        *("--source", PILOT_SOURCE, "--date", DAY),
    )
    run(main, *buy)


def books_check_clean(main: Path) -> None:
    check = subprocess.run(
        [str(Path(sys.executable).parent / "bean-check"), str(main)],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    audit = xt(main, "audit", "--as-of", MONTH_END, "--format", "json")
    report = json.loads(audit.stdout)
    assert audit.returncode == 0 and report["errors"] == 0, report["findings"]
    old = [f["message"] for f in report["findings"] if f["code"] == "suspense-old"]
    assert len(old) == 1 and "ICBC20240520000078" in old[0]  # only the untouched one


def households_right_to_the_fen(main: Path, before: dict[str, tuple[Decimal, Decimal]]) -> None:
    for household, paid in TOUCHED.items():
        deposits, refunds = household_row(main, household)
        was_paid, was_refunded = before[household]
        assert (deposits - was_paid, refunds - was_refunded) == (
            paid,
            REFUNDED.get(household, Decimal("0.00")),
        ), household


def household_row(main: Path, household: str) -> tuple[Decimal, Decimal]:
    """(deposits, refunds) of one 分户账, whose unit ties out."""
    unit = household.rsplit("-", 1)[0]
    ledger = as_json(main, "households", unit, "--as-of", MONTH_END)
    assert ledger["ties_out"] is True
    row = next(r for r in ledger["rows"] if r["household"] == household)
    return Decimal(row["deposits"]), Decimal(row["refunds"])


def registry_history_lists_the_days_changes(main: Path) -> None:
    history = run(main, "registry", "history").stdout
    assert "原因：登记招标结果 T2026-01" in history
    assert f"原因：试点设置 window_end：2025-12-31 → 2026-12-31（依据 {PILOT_SOURCE}" in history
    assert "N2026-0201" in history


def export_ties_out(main: Path, work: Path) -> None:
    out = work / "export-2026-02"
    run(main, "export", "--period", "2026-02", "--out", str(out), "--format", "json")
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    failed = [c for c in manifest["checks"] if not c["ok"]]
    assert manifest["checks"] and failed == []


# -- the day -----------------------------------------------------------------------------------


def test_a_day_at_the_centre(demo_copy: Path, tmp_path: Path) -> None:
    before = {household: household_row(demo_copy, household) for household in TOUCHED}
    refund = last_months_work(demo_copy, tmp_path)
    import_the_days_statement(demo_copy, tmp_path)
    claim_three_items(demo_copy, tmp_path)
    reverse_last_months_refund(demo_copy, refund)
    add_this_weeks_notices(demo_copy, tmp_path)
    the_next_statement(demo_copy, tmp_path)
    extend_the_pilot(demo_copy)
    books_check_clean(demo_copy)
    households_right_to_the_fen(demo_copy, before)
    export_ties_out(demo_copy, tmp_path)
    registry_history_lists_the_days_changes(demo_copy)

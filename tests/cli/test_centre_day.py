"""A day at the centre, end to end through the command line on a copy of the demo books.

One test, in steps, each a helper below it: import the day's statement; claim three items of
待查明款项 from one file (one partially to a household, a notice paid in two transfers, one
returned to its payer, whose debit the next statement brings); then bean-check and the audit
are clean, the 分户账 of the households touched are right to the fen and the export ties out.
Later steps (a reversal, master data, the pilot) are added as more helpers called from
`test_a_day_at_the_centre`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from tests.helpers import bank_line, write_icbc_day, xt

DAY = "2026-01-12"
PARTIAL = "ICBC20260112000001"  # 1,500.00 from a company: 1,200.00 of it is 101's deposit
TOP_UP = "ICBC20260112000002"  # 100.00: the rest of N2024-0003 (2,900.00 came in 2024)
WRONG = "ICBC20260112000003"  # 888.00 sent to the fund by mistake: returned
FIRST_TRANSFER = "ICBC20240508000032"  # the demo's 2,900.00 for N2024-0003, in suspense
RETURNED = "2026-01-13"  # the money leaves the next day: the 12th's closing balance stands
TOUCHED = {"C0001-B01-U1-101": Decimal("1200.00"), "C0001-B04-U2-101": Decimal("3000.00")}

pytestmark = pytest.mark.slow


def run(main: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = xt(main, *args)
    assert done.returncode == 0, f"{args}: {done.stderr}"
    return done


def as_json(main: Path, *args: str) -> dict:
    return json.loads(run(main, *args, "--format", "json").stdout)


# -- the steps ---------------------------------------------------------------------------------


def import_the_days_statement(main: Path, work: Path) -> None:
    statement = write_icbc_day(
        main,
        work / "8821_20260112.csv",
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


def the_refund_comes_back_on_the_next_statement(main: Path, work: Path) -> None:
    debit = bank_line(RETURNED, "-888.00", "退回误汇款", "ICBC20260113000001", "赵某某")
    statement = write_icbc_day(main, work / "8821_20260113.csv", [debit])
    report = as_json(main, "import", str(statement))
    assert [(r["booked"], r["skipped"], r["suspense"]) for r in report["rows"]] == [(0, 1, 0)]


def books_check_clean(main: Path) -> None:
    check = subprocess.run(
        [str(Path(sys.executable).parent / "bean-check"), str(main)],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    audit = xt(main, "audit", "--as-of", "2026-01-31", "--format", "json")
    report = json.loads(audit.stdout)
    assert audit.returncode == 0 and report["errors"] == 0, report["findings"]
    old = [f["message"] for f in report["findings"] if f["code"] == "suspense-old"]
    assert len(old) == 1 and "ICBC20240520000078" in old[0]  # only the untouched one


def households_right_to_the_fen(main: Path, before: dict[str, Decimal]) -> None:
    for household, paid in TOUCHED.items():
        assert household_deposits(main, household) - before[household] == paid


def household_deposits(main: Path, household: str) -> Decimal:
    unit = household.rsplit("-", 1)[0]
    ledger = as_json(main, "households", unit, "--as-of", "2026-01-31")
    assert ledger["ties_out"] is True
    return Decimal(next(r["deposits"] for r in ledger["rows"] if r["household"] == household))


def export_ties_out(main: Path, work: Path) -> None:
    out = work / "export-2026-01"
    run(main, "export", "--period", "2026-01", "--out", str(out), "--format", "json")
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    failed = [c for c in manifest["checks"] if not c["ok"]]
    assert manifest["checks"] and failed == []


# -- the day -----------------------------------------------------------------------------------


def test_a_day_at_the_centre(demo_copy: Path, tmp_path: Path) -> None:
    before = {household: household_deposits(demo_copy, household) for household in TOUCHED}
    import_the_days_statement(demo_copy, tmp_path)
    claim_three_items(demo_copy, tmp_path)
    the_refund_comes_back_on_the_next_statement(demo_copy, tmp_path)
    books_check_clean(demo_copy)
    households_right_to_the_fen(demo_copy, before)
    export_ties_out(demo_copy, tmp_path)

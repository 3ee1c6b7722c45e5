"""`xtaccounts claim list|book|file` on a copy of the demo books, in real subprocesses."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from tests.helpers import bank_line, snapshot, write_icbc_day, xt

SHORT = "1904021109200088821-ICBC20240508000032"  # N2024-0003 paid 2,900.00 of 3,000.00
UNKNOWN = "1904021109200088821-ICBC20240520000078"  # 1,000.00 with no notice
CLAIMS_2026 = "txns/2026/claims.beancount"

pytestmark = pytest.mark.slow


def ok(main: Path, *args: str) -> str:
    done = xt(main, *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def book(main: Path, item: str, day: str, amount: str, to: str, *more: str):
    """`claim book` of `amount` of `item` to `to` on `day`, with a reason."""
    args = ["--date", day, "--amount", amount, "--to", to, "--reason", "测试认领", *more]
    return xt(main, "claim", "book", item, *args)


def open_items(main: Path) -> dict[str, str]:
    doc = json.loads(ok(main, "claim", "list", "--as-of", "2026-03-31", "--format", "json"))
    return {row["item"]: row["open"] for row in doc["rows"]}


def audit(main: Path) -> dict:
    done = xt(main, "audit", "--as-of", "2026-03-31", "--format", "json")
    return json.loads(done.stdout)


def codes(report: dict, severity: str = "error") -> set[tuple[str, str]]:
    return {(f["check"], f["code"]) for f in report["findings"] if f["severity"] == severity}


def household_deposits(main: Path, household: str) -> str:
    """The household's deposits in the 分户账 of its unit, which must tie out to the unit."""
    unit = household.rsplit("-", 1)[0]
    doc = json.loads(ok(main, "households", unit, "--as-of", "2026-03-31", "--format", "json"))
    assert doc["ties_out"] is True
    return next(r["deposits"] for r in doc["rows"] if r["household"] == household)


def changes(main: Path) -> int:
    return len(json.loads(ok(main, "history", "--format", "json"))["changes"])


def test_list_shows_the_open_items_masked_with_their_statement_line(demo_copy: Path) -> None:
    doc = json.loads(ok(demo_copy, "claim", "list", "--format", "json"))
    rows = {row["item"]: row for row in doc["rows"]}
    assert set(rows) == {SHORT, UNKNOWN} and doc["open_total"] == "3900.00"
    short = rows[SHORT]
    assert short["open"] == "2900.00" and short["notice"] == "N2024-0003"
    assert short["payer"] == "卢*"  # never the full name
    assert short["statement"] == "8821_20240321_20240620.csv:6 ICBC20240508000032"
    assert short["age_days"] == 603  # 2024-05-08 to the books' last day, 2026-01-01


def test_partial_claim_refund_and_over_claim(demo_copy: Path) -> None:
    done = book(demo_copy, "ICBC20240520000078", "2026-01-10", "400.00", "C0001-B01-U1-101")
    assert done.returncode == 0, done.stderr
    assert open_items(demo_copy)[UNKNOWN] == "600.00"
    before = snapshot(demo_copy.parent)
    over = book(demo_copy, UNKNOWN, "2026-01-11", "600.01", "退回")
    assert over.returncode == 1
    assert f"款项 {UNKNOWN} 尚余 600.00，认领 600.01 超过所余" in over.stderr
    closed = book(demo_copy, UNKNOWN, "2025-06-10", "1.00", "其他收入")
    assert closed.returncode == 1 and "已结账" in closed.stderr
    assert snapshot(demo_copy.parent) == before  # nothing written
    refund = book(demo_copy, UNKNOWN, "2026-01-11", "600.00", "退回", "--format", "json")
    assert refund.returncode == 0, refund.stderr
    rows = json.loads(refund.stdout)["rows"]
    assert [r["amount"] for r in rows] == ["600.00", "-600.00"]
    assert rows[1]["account"].endswith("Demand-活期8821")  # money leaves the bank
    assert UNKNOWN not in open_items(demo_copy)
    report = audit(demo_copy)
    assert codes(report) == set()
    assert not any(UNKNOWN in f["message"] for f in report["findings"])


def test_claim_file_pays_a_notice_from_two_items_in_one_commit(
    demo_copy: Path, tmp_path: Path
) -> None:
    claims = tmp_path / "认领.csv"
    claims.write_text(
        "款项,日期,金额,认领对象,事由\n"
        f"ICBC20240508000032,2026-01-15,2900.00,N2024-0003,补足通知书\n"
        f"{UNKNOWN},2026-01-15,100.00,N2024-0003,同一业主补缴\n"
        f"{UNKNOWN},2026-01-15,20.00,手续费,\n",
        encoding="gb18030",
    )
    before = changes(demo_copy)
    deposits_before = household_deposits(demo_copy, "C0001-B04-U2-101")
    dry = ok(demo_copy, "claim", "file", str(claims), "--dry-run")
    assert "将入账" in dry and "已入账" not in dry
    assert changes(demo_copy) == before
    ok(demo_copy, "claim", "file", str(claims))
    assert changes(demo_copy) == before + 1  # one commit, one history record
    assert open_items(demo_copy) == {UNKNOWN: "880.00"}
    text = (demo_copy.parent / CLAIMS_2026).read_text("utf-8")
    assert text.count('kind: "deposit"') == 1 and 'notice: "N2024-0003"' in text
    after = household_deposits(demo_copy, "C0001-B04-U2-101")
    assert Decimal(after) - Decimal(deposits_before) == Decimal("3000.00")
    report = audit(demo_copy)
    assert codes(report) == set()  # the notice is paid exactly, both items matched by id


def test_bad_claim_file_rows_are_refused_and_nothing_is_written(
    demo_copy: Path, tmp_path: Path
) -> None:
    claims = tmp_path / "claims.csv"
    claims.write_text(
        "款项,日期,金额,认领对象\n"
        f"{UNKNOWN},2026-01-15,100.00,C0001-B01-U1-101\n"
        f"{UNKNOWN},2026-01-15,100.00,火星\n"
        f"{UNKNOWN},2026-01-15,900.01,退回\n",
        encoding="utf-8",
    )
    before = snapshot(demo_copy.parent)
    done = xt(demo_copy, "claim", "file", str(claims))
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert any(
        line.endswith(
            f"{claims}:3: 认领对象: 认领对象 “火星” 无法识别："
            "应为缴款通知书编号、分户编号、单元编号、退回（退还付款人）、"
            "手续费、其他收入、其他支出或已开设的收入/支出科目"
        )
        for line in lines
    )
    assert any(
        f"{claims}:4: 金额: 款项 {UNKNOWN} 尚余 900.00，认领 900.01" in line for line in lines
    )
    assert snapshot(demo_copy.parent) == before


def test_a_top_up_settles_the_notice_and_a_paid_notice_says_so(
    demo_copy: Path, tmp_path: Path
) -> None:
    statement = write_icbc_day(
        demo_copy,
        tmp_path / "8821_20260112.csv",
        [
            bank_line(
                "2026-01-12", "100.00", "维修资金补交 N2024-0003", "ICBC20260112000001", "卢某某"
            ),
            bank_line("2026-01-12", "50.00", "维修资金 N2024-0002", "ICBC20260112000002", "王某某"),
        ],
    )
    dry = xt(demo_copy, "import", str(statement), "--dry-run", "--format", "json")
    assert dry.returncode == 0, dry.stderr
    assert "booked" not in json.loads(dry.stdout)["rows"][0]
    done = json.loads(ok(demo_copy, "import", str(statement), "--format", "json"))
    assert done["rows"][0]["booked"] == 1 and done["rows"][0]["suspense"] == 1
    [paid] = done["lines"]
    assert "缴款通知书 N2024-0002 已于" in paid["reason"] and "缴清" in paid["reason"]
    assert SHORT not in open_items(demo_copy)  # settled by the top-up, not sent to suspense
    report = audit(demo_copy)
    assert codes(report) == set()


def test_the_audit_finds_a_hand_made_bad_claim(demo_copy: Path) -> None:
    target = demo_copy.parent / CLAIMS_2026
    target.write_text(
        '2026-01-20 * "手工认领，超过款项"\n'
        '  kind: "claim"\n'
        "  Liabilities:Suspense-待查明款项  1200.00 CNY\n"
        f'    claim: "{UNKNOWN}"\n'
        "  Income:Other-其他收入  -1200.00 CNY\n\n"
        '2026-01-21 * "手工重分类，未引用款项"\n'
        "  Liabilities:Suspense-待查明款项  20.00 CNY\n"
        "  Income:Other-其他收入  -20.00 CNY\n",
        encoding="utf-8",
    )
    main = demo_copy.read_text("utf-8")
    demo_copy.write_text(main + f'include "{CLAIMS_2026}"\n', encoding="utf-8")
    ok(demo_copy, "history", "record", "--reason", "手工认领（测试）")
    report = audit(demo_copy)
    assert {("suspense", "claim-over"), ("suspense", "claim-unlinked")} <= codes(report)
    # The untouched 2,900.00 receipt is still wholly open: nothing was matched to it FIFO.
    old = [f for f in report["findings"] if f["code"] == "suspense-old"]
    assert any(SHORT in f["message"] and "尚余 2900.00" in f["message"] for f in old)

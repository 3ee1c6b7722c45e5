"""Owner deposits on payment notices, suspense, re-imports, openings and refunds, on real books."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from beancount import loader
from beancount.core import data

from tests.helpers import snapshot, xt
from xtaccounts.books.init_ledger import create_ledger, ledger_files
from xtaccounts.books.positions import read_positions
from xtaccounts.core import chart
from xtaccounts.core.errors import XtError
from xtaccounts.demo.books import demo_registry
from xtaccounts.ops.accounts_sync import sync_accounts
from xtaccounts.ops.owner_deposits import (
    BOOKED,
    SKIPPED,
    SUSPENSE,
    DepositError,
    OpeningExists,
    Receipt,
    RefundRefused,
    book_deposits,
    book_opening,
    book_refund,
    deposit_entry,
    household_balance,
    opening_entry,
    parse_households,
)
from xtaccounts.ops.reversal import book_reversal
from xtaccounts.registry import Registry, load_registry

D = Decimal
ICBC_NO = "1904021109200088821"
ICBC = "Assets:Bank-银行存款:ICBC-工商银行:Demand-活期8821"
CCB = "Assets:Bank-银行存款:CCB-建设银行:Demand-活期1234"


@pytest.fixture
def main(tmp_path: Path) -> Path:
    """Empty books of the demo registry: the chart opened, no transactions."""
    main = create_ledger(tmp_path / "ledger", ledger_files(registry=demo_registry()))
    sync_accounts(main)
    return main


def registry_of(main: Path) -> Registry:
    return load_registry(main.parent / "registry")


def load(main: Path) -> list[data.Directive]:
    """The books through beancount's own loader (bean-check): they must be clean."""
    entries, errors, _ = loader.load_file(str(main))
    assert errors == [], errors
    return entries


def txns(entries: list[data.Directive], kind: str) -> list[data.Transaction]:
    return [e for e in entries if isinstance(e, data.Transaction) and e.meta.get("kind") == kind]


def notice_total(registry: Registry, notice_no: str) -> Decimal:
    return sum((line.amount for line in registry.notices[notice_no]), D("0.00"))


# --- matched deposits -----------------------------------------------------------------------


def test_matched_notice_books_one_posting_per_unit(main: Path) -> None:
    registry = registry_of(main)
    # N2023-0001: a developer pays all 34 households of C0002-B03 (two units) in one line.
    total = notice_total(registry, "N2023-0001")
    receipt = Receipt(CCB, dt.date(2023, 3, 15), total, "N2023-0001", "CCB001", "湘潭湖湘置业")
    report = book_deposits(main, [receipt])
    assert [line.status for line in report.lines] == [BOOKED]

    (txn,) = txns(load(main), "deposit")
    assert txn.flag == "*"
    assert txn.payee == "湘潭湖湘置业"
    assert txn.narration == "交存 维修资金 缴款通知书 N2023-0001 (34户)"
    assert (txn.meta["notice"], txn.meta["serial"], txn.meta["payer"]) == (
        "N2023-0001",
        "CCB001",
        "湘潭湖湘置业",
    )
    assert "suspense_reason" not in txn.meta
    bank, *units = txn.postings
    assert (bank.account, bank.units.number) == (CCB, total)
    assert [p.account for p in units] == [chart.DEPOSIT_INCOME] * 2
    assert [p.meta["unit"] for p in units] == ["C0002-B03-U1", "C0002-B03-U2"]
    # Each unit's households add up to its posting, and all of them to the receipt.
    expected = {line.household: line.amount for line in registry.notices["N2023-0001"]}
    seen: dict[str, Decimal] = {}
    for p in units:
        households = parse_households(p.meta["households"])
        assert sum(households.values()) == -p.units.number
        assert all(hh.startswith(p.meta["unit"] + "-") for hh in households)
        ids = [part.split("=")[0] for part in p.meta["households"].split()]
        assert ids == sorted(ids)
        seen.update(households)
    assert seen == expected
    assert sum(-p.units.number for p in units) == total

    # The units' funds (维修资金 in the positions sense) now hold the deposits.
    funds = read_positions(load(main)).unit_history()
    day = dt.date(2023, 3, 15)
    assert funds.balance_at("C0002-B03-U1", day) + funds.balance_at("C0002-B03-U2", day) == total


def test_deposit_entry_is_pure(main: Path) -> None:
    registry = registry_of(main)
    before = snapshot(main.parent)
    receipt = Receipt(ICBC_NO, dt.date(2024, 5, 8), D("3000"), "N2024-0002", "S1", "何*")
    entry = deposit_entry(registry, load(main), receipt)
    assert entry.postings[0].account == ICBC  # given by account number, booked by name
    assert entry.postings[1].meta == {
        "unit": "C0001-B04-U1",
        "households": "C0001-B04-U1-101=3000.00",
    }
    assert snapshot(main.parent) == before


# --- suspense -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "notice", "reason"),
    [
        (
            "2900.00",
            "N2024-0003",
            "缴款通知书 N2024-0003 应缴 3000.00，实收 2900.00，少 100.00 (short by 100.00)",
        ),
        (
            "3000.50",
            "N2024-0003",
            "缴款通知书 N2024-0003 应缴 3000.00，实收 3000.50，多 0.50 (over by 0.50)",
        ),
        (
            "3000.00",
            "N2099-0001",
            "缴款通知书 N2099-0001 不存在，实收 3000.00 (unknown payment notice N2099-0001)",
        ),
        ("1000.00", None, "来款未注明缴款通知书编号，实收 1000.00 (no payment notice number)"),
    ],
    ids=["short", "over", "unknown", "no-notice"],
)
def test_unmatched_receipts_go_to_suspense(
    main: Path, amount: str, notice: str | None, reason: str
) -> None:
    receipt = Receipt(ICBC, dt.date(2024, 5, 8), D(amount), notice, "S-1", "卢*")
    report = book_deposits(main, [receipt])
    assert [(line.status, line.reason) for line in report.lines] == [(SUSPENSE, reason)]
    (txn,) = txns(load(main), "deposit")
    assert txn.flag == "!"
    assert txn.meta["suspense_reason"] == reason
    assert [(p.account, p.units.number) for p in txn.postings] == [
        (ICBC, D(amount)),
        (chart.SUSPENSE, -D(amount)),
    ]
    # Nothing reaches a unit's fund.
    assert read_positions(load(main)).unit_movements == {}


def test_second_payment_of_a_notice_goes_to_suspense(main: Path) -> None:
    first = Receipt(ICBC, dt.date(2024, 5, 8), D("3000.00"), "N2024-0002", "S-1", "何*")
    again = Receipt(ICBC, dt.date(2024, 6, 3), D("3000.00"), "N2024-0002", "S-2", "何*")
    # In one batch: the second line sees the first as paid.
    report = book_deposits(main, [first, again])
    assert [line.status for line in report.lines] == [BOOKED, SUSPENSE]
    assert report.lines[1].reason == (
        "缴款通知书 N2024-0002 已于 2024-05-08 缴清，流水号 S-1，本笔实收 3000.00 为重复缴款 "
        "(notice already paid on 2024-05-08)"
    )
    # In a later batch too.
    third = Receipt(ICBC, dt.date(2024, 7, 1), D("3000.00"), "N2024-0002", "S-3", "何*")
    assert [line.status for line in book_deposits(main, [third]).lines] == [SUSPENSE]
    flags = [t.flag for t in txns(load(main), "deposit")]
    assert flags == ["*", "!", "!"]


def test_a_notice_whose_deposit_was_reversed_is_owed_again(main: Path) -> None:
    first = Receipt(ICBC, dt.date(2024, 5, 8), D("3000.00"), "N2024-0002", "S-1", "何*")
    assert [line.status for line in book_deposits(main, [first]).lines] == [BOOKED]
    (paid,) = txns(load(main), "deposit")
    book_reversal(main, str(paid.meta["voucher"]), dt.date(2024, 6, 1), "银行退回")
    again = Receipt(ICBC, dt.date(2024, 6, 3), D("3000.00"), "N2024-0002", "S-2", "何*")
    assert [line.status for line in book_deposits(main, [again]).lines] == [BOOKED]
    flags = [t.flag for t in txns(load(main), "deposit")]
    assert flags == ["*", "*"]


# --- idempotency ----------------------------------------------------------------------------


def test_reimport_by_serial_books_nothing(main: Path) -> None:
    batch = [
        Receipt(ICBC, dt.date(2024, 5, 8), D("3000.00"), "N2024-0002", "S-1", "何*"),
        Receipt(ICBC, dt.date(2024, 5, 8), D("2900.00"), "N2024-0003", "S-2", "卢*"),
    ]
    first = book_deposits(main, batch)
    assert [line.status for line in first.lines] == [BOOKED, SUSPENSE]
    before = snapshot(main.parent)
    second = book_deposits(main, batch)
    assert [line.status for line in second.lines] == [SKIPPED, SKIPPED]
    assert second.result is None
    assert "S-1" in second.lines[0].reason
    assert snapshot(main.parent) == before


def test_receipts_without_serial_are_keyed_by_account_date_amount_notice(main: Path) -> None:
    receipt = Receipt(ICBC, dt.date(2024, 5, 20), D("1000.00"), None, None, "某商贸公司")
    assert [line.status for line in book_deposits(main, [receipt]).lines] == [SUSPENSE]
    before = snapshot(main.parent)
    assert [line.status for line in book_deposits(main, [receipt]).lines] == [SKIPPED]
    assert snapshot(main.parent) == before
    # A different amount on the same day is a different receipt.
    other = Receipt(ICBC, dt.date(2024, 5, 20), D("1000.01"), None, None, "某商贸公司")
    assert [line.status for line in book_deposits(main, [other]).lines] == [SUSPENSE]


def test_dry_run_writes_nothing_and_says_what_it_would_book(main: Path) -> None:
    before = snapshot(main.parent)
    receipt = Receipt(ICBC, dt.date(2024, 5, 8), D("3000.00"), "N2024-0002", "S-1", "何*")
    report = book_deposits(main, [receipt], dry_run=True)
    assert report.result is not None and report.result.dry_run
    (text,) = [t for p, t in report.result.text.items() if p.name == "deposits.beancount"]
    assert "C0001-B04-U1-101=3000.00" in text
    assert snapshot(main.parent) == before


def test_bad_receipts_are_errors(main: Path) -> None:
    before = snapshot(main.parent)
    with pytest.raises(DepositError, match="中没有"):
        book_deposits(main, [Receipt("Assets:Bank-银行存款:X", dt.date(2024, 1, 2), D("1"))])
    with pytest.raises(XtError, match="拒绝浮点数"):
        book_deposits(main, [Receipt(ICBC, dt.date(2024, 1, 2), 3000.0)])  # type: ignore[arg-type]
    with pytest.raises(XtError, match=re.escape("须大于 0.00")):
        book_deposits(main, [Receipt(ICBC, dt.date(2024, 1, 2), D("-5"))])
    assert snapshot(main.parent) == before


# --- opening --------------------------------------------------------------------------------

OPENING = {
    "C0001-B01-U1-101": D("12000.00"),
    "C0001-B01-U1-102": D("13500.50"),
    "C0001-B01-U2-101": D("9000.00"),
}


def test_opening_books_each_units_fund(main: Path) -> None:
    registry = registry_of(main)
    entry = opening_entry(registry, dt.date(2023, 1, 1), ICBC_NO, OPENING)
    assert entry.meta["kind"] == "opening"
    bank, *funds = entry.postings
    assert (bank.account, bank.units.number) == (ICBC, D("34500.50"))
    assert [(p.account, p.units.number, p.meta["households"]) for p in funds] == [
        (
            chart.unit_fund_account(registry, "C0001-B01-U1"),
            D("-25500.50"),
            "C0001-B01-U1-101=12000.00 C0001-B01-U1-102=13500.50",
        ),
        (
            chart.unit_fund_account(registry, "C0001-B01-U2"),
            D("-9000.00"),
            "C0001-B01-U2-101=9000.00",
        ),
    ]

    book_opening(main, dt.date(2023, 1, 1), ICBC, OPENING)
    entries = load(main)
    assert len(txns(entries, "opening")) == 1
    assert household_balance(entries, "C0001-B01-U1-102") == D("13500.50")
    assert read_positions(entries).unit_history().balance_at(
        "C0001-B01-U1", dt.date(2023, 1, 1)
    ) == D("25500.50")


def test_second_opening_of_a_bank_account_is_refused(main: Path) -> None:
    book_opening(main, dt.date(2023, 1, 1), ICBC, OPENING)
    before = snapshot(main.parent)
    with pytest.raises(OpeningExists, match="已有 2023-01-01 的期初分录"):
        book_opening(main, dt.date(2023, 1, 2), ICBC_NO, {"C0001-B01-U3-101": D("1.00")})
    assert snapshot(main.parent) == before
    # The other bank account may still have one.
    book_opening(main, dt.date(2023, 1, 1), CCB, {"C0002-B01-U1-101": D("5000.00")})
    assert len(txns(load(main), "opening")) == 2


def test_opening_with_an_unknown_household_is_refused(main: Path) -> None:
    before = snapshot(main.parent)
    with pytest.raises(DepositError, match="C9999-B01-U1-101"):
        book_opening(main, dt.date(2023, 1, 1), ICBC, {"C9999-B01-U1-101": D("1.00")})
    assert snapshot(main.parent) == before


# --- refunds --------------------------------------------------------------------------------


def test_refund_within_the_household_balance(main: Path) -> None:
    book_opening(main, dt.date(2023, 1, 1), ICBC, OPENING)
    book_deposits(
        main, [Receipt(ICBC, dt.date(2024, 5, 8), D("3000.00"), "N2024-0002", "S-1", "何*")]
    )
    booked = book_refund(
        main,
        household="C0001-B01-U1-101",
        amount=D("5000.00"),
        date=dt.date(2025, 6, 18),
        bank_account=ICBC_NO,
        reason="房屋灭失 返还",
    )
    entries = load(main)
    (txn,) = txns(entries, "refund")
    assert (
        booked.entries[0].narration
        == txn.narration
        == "返还 维修资金 C0001-B01-U1-101 房屋灭失 返还"
    )
    assert txn.meta["reason"] == "房屋灭失 返还"
    assert [(p.account, p.units.number) for p in txn.postings] == [
        (chart.REFUND, D("5000.00")),
        (ICBC, D("-5000.00")),
    ]
    assert (txn.postings[0].meta["unit"], txn.postings[0].meta["household"]) == (
        "C0001-B01-U1",
        "C0001-B01-U1-101",
    )
    # 12,000.00 opening - 5,000.00 refunded = 7,000.00 left; the unit 25,500.50 - 5,000.00.
    assert household_balance(entries, "C0001-B01-U1-101") == D("7000.00")
    units = read_positions(entries).unit_history()
    assert units.balance_at("C0001-B01-U1", dt.date(2025, 6, 18)) == D("20500.50")
    # A deposit booked on a notice counts for its household as well.
    assert household_balance(entries, "C0001-B04-U1-101") == D("3000.00")


def test_refund_above_the_household_balance_is_refused_and_writes_nothing(main: Path) -> None:
    book_opening(main, dt.date(2023, 1, 1), ICBC, OPENING)
    book_refund(
        main,
        household="C0001-B01-U1-101",
        amount=D("5000.00"),
        date=dt.date(2024, 1, 5),
        bank_account=ICBC,
        reason="房屋灭失",
    )
    before = snapshot(main.parent)
    # 12,000.00 - 5,000.00 = 7,000.00 left: 7,000.01 is one fen too much, although the unit's
    # fund (25,500.50 - 5,000.00 = 20,500.50) and the bank could pay it.
    with pytest.raises(RefundRefused, match=re.escape("2024-06-01 的自有余额为 7000.00")):
        book_refund(
            main,
            household="C0001-B01-U1-101",
            amount=D("7000.01"),
            date=dt.date(2024, 6, 1),
            bank_account=ICBC,
            reason="房屋灭失",
        )
    # A household that never paid anything gets nothing back.
    with pytest.raises(RefundRefused, match=re.escape("2024-06-01 的自有余额为 0.00")):
        book_refund(
            main,
            household="C0001-B01-U3-101",
            amount=D("1.00"),
            date=dt.date(2024, 6, 1),
            bank_account=ICBC,
            reason="房屋灭失",
        )
    with pytest.raises(DepositError, match="须写明原因"):
        book_refund(
            main,
            household="C0001-B01-U1-101",
            amount=D("1.00"),
            date=dt.date(2024, 6, 1),
            bank_account=ICBC,
            reason="  ",
        )
    assert snapshot(main.parent) == before


def test_refund_above_the_bank_balance_is_refused(main: Path) -> None:
    # The household's money was brought in at ICBC; CCB holds nothing.
    book_opening(main, dt.date(2023, 1, 1), ICBC, OPENING)
    before = snapshot(main.parent)
    with pytest.raises(RefundRefused, match=re.escape("最多只有 0.00")):
        book_refund(
            main,
            household="C0001-B01-U1-101",
            amount=D("100.00"),
            date=dt.date(2024, 6, 1),
            bank_account=CCB,
            reason="房屋灭失",
        )
    assert snapshot(main.parent) == before


# --- the command line -----------------------------------------------------------------------


def test_cli_receive_dry_run_then_book_then_skip(main: Path) -> None:
    args = ["deposit", "receive", "--account", ICBC_NO, "--date", "2024-05-08"]
    args += ["--amount", "2,900.00", "--notice", "N2024-0003", "--serial", "S-9", "--payer", "卢*"]
    before = snapshot(main.parent)
    dry = xt(main, *args, "--dry-run", "--format", "json")
    assert dry.returncode == 0, dry.stderr
    doc = json.loads(dry.stdout)
    assert doc["command"] == "deposit receive" and doc["dry_run"] is True
    assert doc["status"] == "suspense" and "少 100.00 (short by 100.00)" in doc["reason"]
    assert [(r["account"], r["amount"], r["flag"]) for r in doc["rows"]] == [
        (ICBC, "2900.00", "!"),
        (chart.SUSPENSE, "-2900.00", "!"),
    ]
    assert snapshot(main.parent) == before

    booked = xt(main, *args)
    assert booked.returncode == 0, booked.stderr
    assert "status: suspense" in booked.stdout
    assert len(txns(load(main), "deposit")) == 1
    again = xt(main, *args, "--format", "csv")
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines() == ["date,flag,kind,account,amount,unit,detail"]
    assert len(txns(load(main), "deposit")) == 1


def test_cli_refused_refund_is_one_line_exit_1_nothing_written(main: Path) -> None:
    book_opening(main, dt.date(2023, 1, 1), ICBC, OPENING)
    before = snapshot(main.parent)
    proc = xt(
        main,
        "deposit",
        "refund",
        "--household",
        "C0001-B01-U2-101",
        "--amount",
        "9000.01",
        "--date",
        "2024-06-01",
        "--account",
        ICBC,
        "--reason",
        "房屋灭失",
    )
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("错误：") and "返还 9000.01 被拒绝" in lines[0]
    assert snapshot(main.parent) == before


def test_cli_opening_from_a_csv_file(main: Path, tmp_path: Path) -> None:
    amounts = tmp_path / "opening.csv"
    # GB18030, as Excel saves it on a Chinese Windows; the header names the columns.
    amounts.write_bytes(
        "household,amount,备注\nC0001-B01-U1-101,\"12,000.00\",期初\nC0001-B01-U2-101,9000,期初\n"
        .encode("gb18030")
    )  # fmt: skip
    args = ["deposit", "opening", "--account", ICBC_NO, "--date", "2023-01-01"]
    proc = xt(main, *args, "--amounts", str(amounts), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert (doc["households"], doc["total"]) == (2, "21000.00")
    assert [r["amount"] for r in doc["rows"]] == ["21000.00", "-12000.00", "-9000.00"]
    (txn,) = txns(load(main), "opening")
    assert txn.postings[1].meta["households"] == "C0001-B01-U1-101=12000.00"
    again = xt(main, *args, "--amounts", str(amounts))
    assert again.returncode == 1 and "的期初分录；不再记第二笔" in again.stderr


# --- de-duplication scoped per account, with the payer; typed-in lines --------------------------


def test_the_same_serial_at_another_bank_is_another_line(main: Path) -> None:
    batch = [
        Receipt(ICBC, dt.date(2024, 5, 8), D("100.00"), None, "S-1", "某商贸公司"),
        Receipt(CCB, dt.date(2024, 5, 8), D("100.00"), None, "S-1", "某商贸公司"),
    ]
    report = book_deposits(main, batch)
    assert [line.status for line in report.lines] == [SUSPENSE, SUSPENSE]
    again = book_deposits(main, batch)
    assert [line.status for line in again.lines] == [SKIPPED, SKIPPED]
    assert "本账户" in again.lines[1].reason
    assert len(txns(load(main), "deposit")) == 2


def test_receipts_without_serial_differ_by_payer(main: Path) -> None:
    day = dt.date(2024, 5, 20)
    first = Receipt(ICBC, day, D("1000.00"), None, None, "某商贸公司")
    other_payer = Receipt(ICBC, day, D("1000.00"), None, None, "另一家物业公司")
    report = book_deposits(main, [first, other_payer])
    assert [line.status for line in report.lines] == [SUSPENSE, SUSPENSE]
    before = snapshot(main.parent)
    again = book_deposits(main, [first, other_payer])
    assert [line.status for line in again.lines] == [SKIPPED, SKIPPED]
    assert "payer" in again.lines[0].reason
    assert snapshot(main.parent) == before


def test_a_statement_line_matches_the_line_typed_in_by_hand(main: Path) -> None:
    day = dt.date(2024, 5, 8)
    typed = Receipt(ICBC, day, D("3000.00"), "N2024-0002", None, "何*")
    assert [line.status for line in book_deposits(main, [typed]).lines] == [BOOKED]
    # The statement has that line with its serial, and a second, identical payment.
    statement = [
        Receipt(ICBC, day, D("3000.00"), "N2024-0002", "ICBC-1", "何*"),
        Receipt(ICBC, day, D("3000.00"), "N2024-0002", "ICBC-2", "何*"),
        Receipt(ICBC, day, D("3000.00"), "N2024-0002", "ICBC-3", "卢*"),
    ]
    report = book_deposits(main, statement)
    assert [line.status for line in report.lines] == [SKIPPED, SUSPENSE, SUSPENSE]
    assert "手工入账" in report.lines[0].reason and "without a serial" in report.lines[0].reason
    before = snapshot(main.parent)
    again = book_deposits(main, statement)
    assert [line.status for line in again.lines] == [SKIPPED, SKIPPED, SKIPPED]
    assert snapshot(main.parent) == before
    assert len(txns(load(main), "deposit")) == 3


# --- privacy --------------------------------------------------------------------------------


def test_payer_and_memo_are_stored_masked(main: Path) -> None:
    args = ["deposit", "receive", "--account", ICBC_NO, "--date", "2024-05-20"]
    args += ["--amount", "500.00", "--payer", "张三丰", "--memo", "联系电话13812345678"]
    proc = xt(main, *args, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    text = (main.parent / "txns" / "2024" / "deposits.beancount").read_text("utf-8")
    assert "张三丰" not in text and "13812345678" not in text
    assert "张三丰" not in proc.stdout and "13812345678" not in proc.stdout
    (txn,) = txns(load(main), "deposit")
    assert (txn.payee, txn.meta["payer"], txn.meta["memo"]) == (
        "张**",
        "张**",
        "联系电话138****5678",
    )
    # The same line again is recognised through the masked payer.
    again = xt(main, *args)
    assert again.returncode == 0 and "status: skipped" in again.stdout

    company = Receipt(ICBC, dt.date(2024, 5, 21), D("800.00"), None, "S-7", "湘潭某商贸有限公司")
    book_deposits(main, [company])
    txn = txns(load(main), "deposit")[-1]
    assert (txn.payee, txn.meta["payer"]) == ("湘潭某商贸有限公司", "湘潭某商贸有限公司")


# --- amounts and dates refused, one pass over the positions -----------------------------------


def test_amounts_with_a_part_of_a_fen_or_dates_out_of_range_are_refused(main: Path) -> None:
    before = snapshot(main.parent)
    with pytest.raises(DepositError, match="超过两位小数"):
        book_deposits(main, [Receipt(ICBC, dt.date(2024, 1, 2), D("100.005"))])
    with pytest.raises(DepositError, match="不是合理的金额"):
        book_deposits(main, [Receipt(ICBC, dt.date(2024, 1, 2), D("1" * 30))])
    with pytest.raises(DepositError, match=re.escape("早于建账日 2023-01-01")):
        book_deposits(main, [Receipt(ICBC, dt.date(2022, 12, 31), D("100.00"))])
    with pytest.raises(DepositError, match="晚于 9998-12-31"):
        book_deposits(main, [Receipt(ICBC, dt.date(9999, 12, 31), D("100.00"))])
    assert snapshot(main.parent) == before
    # Trailing zeros are still a whole fen.
    (line,) = book_deposits(main, [Receipt(ICBC, dt.date(2024, 1, 2), D("100.000"))]).lines
    assert line.entry is not None and line.entry.postings[0].units.number == D("100.00")


def test_refund_reads_the_positions_once(main: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import xtaccounts.ops.owner_deposits as deposits_module

    book_opening(main, dt.date(2023, 1, 1), ICBC, OPENING)
    entries = load(main)
    calls: list[int] = []
    original = deposits_module.read_positions

    def counting(entries: list[data.Directive]) -> object:
        calls.append(1)
        return original(entries)

    monkeypatch.setattr(deposits_module, "read_positions", counting)
    entry = deposits_module.refund_entry(
        registry_of(main),
        entries,
        household="C0001-B01-U2-101",
        amount=D("9000.00"),
        date=dt.date(2024, 6, 1),
        bank_account=ICBC,
        reason="房屋灭失",
    )
    assert len(calls) == 1
    assert [p.units.number for p in entry.postings] == [D("9000.00"), D("-9000.00")]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--amount", "100.005"], "超过两位小数"),
        (["--amount", "-5"], "须大于 0.00"),
        (["--amount", "1" * 30], "不是合理的金额"),
        (["--amount", "abc"], "not a number"),
        (["--amount", "100", "--date", "2024-02-30"], "不是存在的日期"),
        (["--amount", "100", "--date", "9999-12-31"], "晚于 9998-12-31"),
        (["--amount", "100", "--date", "2022-12-31"], "早于建账日"),
        (["--amount", "100", "--account", "8821"], "中没有"),
    ],
)
def test_cli_receive_bad_input_is_one_line_exit_1(
    main: Path, args: list[str], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XT_TODAY", "9998-12-30")  # the input horizon lets 9999 through
    before = snapshot(main.parent)
    command = ["deposit", "receive"]
    command += [] if "--account" in args else ["--account", ICBC_NO]
    command += [] if "--date" in args else ["--date", "2024-05-20"]
    proc = xt(main, *command, *args)
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("错误：") and message in lines[0], lines
    assert snapshot(main.parent) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["refund", "--household", "C9999-B01-U1-101"], "中没有"),
        (["refund", "--household", "C0001-B01-U2-101", "--amount", "-5"], "须大于 0.00"),
        (["refund", "--household", "C0001-B01-U2-101", "--amount", "0.001"], "两位小数"),
        (["refund", "--household", "C0001-B01-U2-101", "--date", "9999-12-31"], "晚于 9998"),
        (["opening", "--amounts", "{csv}"], "超过两位小数"),
    ],
)
def test_cli_refund_and_opening_bad_input_is_one_line_exit_1(
    main: Path, tmp_path: Path, args: list[str], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XT_TODAY", "9998-12-30")  # the input horizon lets 9999 through
    book_opening(main, dt.date(2023, 1, 1), CCB, {"C0002-B01-U1-101": D("100.00")})
    amounts = tmp_path / "opening.csv"
    amounts.write_text("household,amount\nC0001-B01-U2-101,9000.005\n", "utf-8")
    defaults = {
        "refund": {"--amount": "5", "--date": "2024-06-01", "--account": ICBC, "--reason": "灭失"},
        "opening": {"--account": ICBC, "--date": "2023-01-01"},
    }[args[0]]
    command = ["deposit", *[a.replace("{csv}", str(amounts)) for a in args]]
    for option, value in defaults.items():
        if option not in args:
            command += [option, value]
    before = snapshot(main.parent)
    proc = xt(main, *command)
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("错误：") and message in lines[0], lines
    assert snapshot(main.parent) == before

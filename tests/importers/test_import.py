"""Importing statements: classification goldens, idempotency, errors that write nothing, the CLI.

Goldens: each statement of `GOLDEN_INPUTS` in samples/ (written by this module from
`xtaccounts.demo.bank_statements`) and each reader sample of a demo account (also in samples/) is
classified against the golden base books (the demo registry, its chart, the 2023-01-01 openings
and three time deposits), and the extracted entries, printed by beancount's printer, must equal
samples/<file>.beancount beside it (the samples of the other banks' accounts are golden in
test_profile_goldens.py). Set XT_REGEN_GOLDEN=1 to rewrite
the inputs and goldens after a deliberate change (review the diff).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from beancount.core import data
from beancount.parser import printer

from importers import read_statement_file
from importers.reader import Statement, StatementError, StatementLine, read_statement
from tests.helpers import (
    CCB_NO,
    GOLDEN_INPUTS,
    ICBC_NO,
    REGEN,
    SAMPLES,
    build_base,
    check_golden,
    demo_account_samples,
    golden_of,
    render,
    snapshot,
    xt,
)
from xtaccounts.books.load import load_books
from xtaccounts.cli.beangulp_importer import StatementImporter
from xtaccounts.core import chart
from xtaccounts.core.interest import early_withdrawal_interest, time_deposit_interest
from xtaccounts.demo.bank_statements import (
    BankLine,
    StatementFile,
    ccb_xls,
    icbc_csv,
    icbc_flag_text,
)
from xtaccounts.ops.bank_statement_import import archive_name, import_statements
from xtaccounts.ops.classify import SKIPPED, classify, serial_keys, settlement_is_far
from xtaccounts.ops.demand_interest import expected_settlement
from xtaccounts.ops.owner_deposits import book_refund
from xtaccounts.ops.time_deposits import place
from xtaccounts.registry import Registry, load_registry

ICBC = "Assets:Bank-银行存款:ICBC-工商银行:Demand-活期8821"
CCB = "Assets:Bank-银行存款:CCB-建设银行:Demand-活期1234"
NAME = "湘潭市物业专项维修资金管理中心"
INSURER_NO = "43001510061052500999"
D = Decimal
day = dt.date.fromisoformat


# --- the base books -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def base_books(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_base(tmp_path_factory.mktemp("import-base") / "ledger")


@pytest.fixture
def books(base_books: Path, tmp_path: Path) -> Path:
    """A private copy of the base books: its main.beancount."""
    shutil.copytree(base_books.parent, tmp_path / "ledger")
    return tmp_path / "ledger" / "main.beancount"


def registry_of(main: Path) -> Registry:
    return load_registry(main.parent / "registry")


def balance_of(main: Path, account: str, through: dt.date) -> Decimal:
    total = D("0.00")
    for entry in load_books(main).entries:
        if isinstance(entry, data.Transaction) and entry.date <= through:
            total += sum((p.units.number for p in entry.postings if p.account == account), D(0))
    return total


def interest_due(main: Path, account: str, settlement: str, before: list[BankLine]) -> Decimal:
    """What the bank owes for a settlement: the books plus lines not imported yet."""
    entries = list(load_books(main).entries)
    for line in before:
        entries.append(
            data.Transaction(
                data.new_metadata("<lines>", 0),
                line.date,
                "*",
                None,
                "",
                frozenset(),
                frozenset(),
                [
                    data.Posting(account, data.Amount(line.amount, "CNY"), None, None, None, None),
                    data.Posting(
                        chart.SUSPENSE, data.Amount(-line.amount, "CNY"), None, None, None, None
                    ),
                ],
            )
        )
    return expected_settlement(registry_of(main), entries, account, day(settlement)).expected


def L(when: str, amount: str, memo: str, **other: str) -> BankLine:
    return BankLine(day(when), D(amount), memo, **other)


PLACED = ("ICBC2023001", "CCB2023001", "ICBC2023002")


def unbooked(lines: list[BankLine]) -> list[BankLine]:
    """Lines the base books do not hold yet (the placements are booked by command)."""
    return [x for x in lines if not any(c in x.memo for c in PLACED)]


def notice_total(registry: Registry, notice: str) -> Decimal:
    return sum((line.amount for line in registry.notices[notice]), D("0.00"))


# --- golden inputs --------------------------------------------------------------------------


def golden_inputs(main: Path) -> dict[str, bytes]:
    """The statements of the goldens, in three layouts (amounts from the base books)."""
    registry = registry_of(main)
    opening_icbc = balance_of(main, ICBC, day("2023-01-01"))
    opening_ccb = balance_of(main, CCB, day("2023-01-01"))

    icbc_lines = [
        L("2023-02-01", "-1500000.00", "转定期 存单号ICBC2023001", serial="20230201001"),
        L(
            "2023-03-02",
            "3000.00",
            "维修资金补交 N2024-0002",
            counterparty="何二",
            counterparty_account="6222021904001234567",
            serial="20230302001",
        ),
        L(
            "2023-03-02",
            "3000.00",
            "维修资金补交 N2024-0002 再次",
            counterparty="何二",
            counterparty_account="6222021904001234567",
            serial="20230302002",
        ),
        L(
            "2023-03-10",
            "-86400.00",
            "电梯保险保费 T2024-01",
            counterparty="湘潭某财产保险股份有限公司",
            counterparty_account=INSURER_NO,
            serial="20230310001",
        ),
        L("2023-03-10", "-12.50", "手续费", serial="20230310002"),
        L(
            "2023-03-12",
            "1200.00",
            "保费退还",
            counterparty="湘潭某财产保险股份有限公司",
            counterparty_account=INSURER_NO,
            serial="20230312001",
        ),
    ]
    icbc_lines.append(
        L(
            "2023-03-21",
            str(interest_due(main, ICBC, "2023-03-20", unbooked(icbc_lines))),
            "结息",
            serial="20230321001",
            time="02:00:00",
        )
    )
    icbc_lines += [
        L("2023-06-01", "-500000.00", "转定期 存单号ICBC2023002", serial="20230601001"),
        L("2023-06-05", "-20000.00", "转定期 存单号ICBC2023009", serial="20230605001"),
    ]
    icbc_lines.append(
        L(
            "2023-06-21",
            str(interest_due(main, ICBC, "2023-06-20", unbooked(icbc_lines)) - D("0.05")),
            "结息",
            serial="20230621001",
            time="02:00:00",
        )
    )

    ccb_lines = [
        L(
            "2023-03-15",
            str(notice_total(registry, "N2023-0001")),
            "代缴维修资金 N2023-0001",
            counterparty="湘潭湖湘置业有限公司",
            counterparty_account="43050163610100000317",
            counterparty_bank="中国建设银行湘潭河西支行",
            serial="CCB20230315000117",
            time="10:12:31",
        ),
        L(
            "2023-03-15",
            "1000.00",
            "转账 李四 13912345678",
            counterparty="李四",
            counterparty_account="6217002930001234",
            serial="CCB20230315000118",
        ),
    ]
    ccb_lines.append(
        L(
            "2023-03-21",
            str(interest_due(main, CCB, "2023-03-20", unbooked(ccb_lines))),
            "利息存入",
            serial="CCB20230321000001",
        )
    )
    ccb_lines.append(
        L("2023-04-01", "-1000000.00", "定期开户 存单号CCB2023001", serial="CCB20230401000001")
    )

    maturity = D("1500000.00") + time_deposit_interest(D("1500000.00"), D("1.95"), 12)
    early = D("500000.00") + early_withdrawal_interest(
        D("500000.00"), D("1.15"), day("2023-06-01"), day("2024-12-01")
    )
    text_lines = [
        L("2024-02-01", str(maturity), "定期到期 本息转活期 存单号ICBC2023001", time="09:05:00"),
        L("2024-02-01", "100.00", "转账", counterparty="王五", time="11:00:00"),
        L("2024-02-01", "100.00", "转账", counterparty="王五", time="11:00:00"),
        L("2024-12-01", str(early), "定期提前支取", time="09:05:00"),
    ]
    ccb_2024 = [
        L(
            "2024-04-01",
            str(D("1000000.00") + time_deposit_interest(D("1000000.00"), D("1.85"), 12)),
            "整存整取到期销户",
            serial="CCB20240401000001",
        ),
        L("2024-04-02", "3.21", "利息", serial="CCB20240402000001"),
    ]
    return {
        "icbc-2023h1.csv": icbc_csv(
            StatementFile(
                ICBC_NO,
                NAME,
                day("2023-01-02"),
                day("2023-06-30"),
                opening_icbc,
                tuple(icbc_lines),
            )
        ),
        "ccb-2023h1.xls": ccb_xls(
            StatementFile(
                CCB_NO, NAME, day("2023-01-02"), day("2023-06-30"), opening_ccb, tuple(ccb_lines)
            )
        ),
        "icbc-2024-text.xls": icbc_flag_text(
            StatementFile(
                ICBC_NO,
                NAME,
                day("2024-01-01"),
                day("2024-12-31"),
                D("1200000.00"),
                tuple(text_lines),
            )
        ),
        "ccb-2024-maturity.xls": ccb_xls(
            StatementFile(
                CCB_NO, NAME, day("2024-04-01"), day("2024-04-30"), D("500000.00"), tuple(ccb_2024)
            )
        ),
    }


@pytest.mark.parametrize("name", GOLDEN_INPUTS)
def test_golden_statements(base_books: Path, name: str) -> None:
    path = SAMPLES / name
    if REGEN:
        path.write_bytes(golden_inputs(base_books)[name])
    statement = read_statement(path)
    plan = classify(registry_of(base_books), load_books(base_books).entries, statement)
    check_golden(golden_of(path), render(plan))


def test_golden_inputs_are_what_the_writers_write(base_books: Path) -> None:
    for name, content in golden_inputs(base_books).items():
        assert (SAMPLES / name).read_bytes() == content, name


@pytest.mark.parametrize("sample", demo_account_samples(), ids=lambda p: p.name)
def test_golden_reader_samples(base_books: Path, sample: Path) -> None:
    statement = read_statement(sample)
    plan = classify(registry_of(base_books), load_books(base_books).entries, statement)
    check_golden(golden_of(sample), render(plan))


def test_both_demo_accounts_have_reader_samples() -> None:
    assert {read_statement(p).account_no for p in demo_account_samples()} == {ICBC_NO, CCB_NO}


def test_golden_statements_show_every_rule(base_books: Path) -> None:
    rules: dict[str, int] = {}
    for name in GOLDEN_INPUTS:
        statement = read_statement(SAMPLES / name)
        plan = classify(registry_of(base_books), load_books(base_books).entries, statement)
        for line in plan.lines:
            rules[line.rule] = rules.get(line.rule, 0) + 1
    assert set(rules) == {
        "duplicate",
        "notice",
        "interest",
        "maturity",
        "withdrawal",
        "premium",
        "suspense",
    }


def test_golden_details(base_books: Path) -> None:
    registry = registry_of(base_books)
    entries = load_books(base_books).entries
    icbc = classify(registry, entries, read_statement(SAMPLES / "icbc-2023h1.csv"))
    by_row = {p.line.row: p for p in icbc.lines}
    statuses = [(p.rule, p.status) for p in icbc.lines]
    assert statuses == [
        ("duplicate", "skipped"),  # the placement booked by `time-deposit place`
        ("notice", "booked"),
        ("notice", "suspense"),  # the same notice paid twice
        ("premium", "booked"),
        ("suspense", "suspense"),  # a bank fee
        ("premium", "booked"),  # a premium refund from the insurer
        ("interest", "booked"),
        ("duplicate", "skipped"),
        ("suspense", "suspense"),  # a placement not booked first
        ("interest", "booked"),  # 0.05 short: booked with flag !
    ]
    assert "time-deposit place first" in by_row[11].reason
    interest = [e for e in icbc.entries if e.meta.get("kind") == "interest"]
    assert [e.flag for e in interest] == ["*", "!"]
    # Every line's entry carries its serial, link, file name and row; one assertion per day.
    for planned in icbc.lines:
        for entry in planned.entries:
            if isinstance(entry, data.Transaction):
                assert entry.meta["serial"] == planned.serial
                assert entry.meta["statement"] == "icbc-2023h1.csv"
                assert entry.meta["row"] == planned.line.row
                assert entry.links == {f"{ICBC_NO}-{planned.serial}"}
    assert [a.date for a in icbc.assertions] == [
        day(x)
        for x in (
            "2023-02-02",
            "2023-03-03",
            "2023-03-11",
            "2023-03-13",
            "2023-03-22",
            "2023-06-02",
            "2023-06-06",
            "2023-06-22",
        )
    ]
    assert all(a.tolerance == D("0.00") for a in icbc.assertions)
    # Names are masked, phone numbers too.
    ccb = classify(registry, entries, read_statement(SAMPLES / "ccb-2023h1.xls"))
    unknown = next(e for e in ccb.entries if e.meta.get("kind") == "suspense")
    assert unknown.payee == "李*" and "139****5678" in unknown.meta["memo"]
    assert unknown.meta["counterparty_account"] == "****1234"


# --- classification details -----------------------------------------------------------------


def line(row: int, when: str, amount: str, balance: str | None, **other) -> StatementLine:
    values = {
        "time": None,
        "serial": None,
        "memo": "",
        "counterparty": None,
        "counterparty_account": None,
        "counterparty_bank": None,
    }
    values.update(other)
    return StatementLine(
        row,
        day(when),
        values["time"],
        D(amount),
        None if balance is None else D(balance),
        values["serial"],
        values["memo"],
        values["counterparty"],
        values["counterparty_account"],
        values["counterparty_bank"],
    )


def statement_of(lines: list[StatementLine], account_no: str = ICBC_NO) -> Statement:
    return Statement(
        Path("s.csv"), "ICBC", "icbc-corporate", account_no, NAME, "CNY", None, None, tuple(lines)
    )


def test_serial_keys_leave_free_text_out_and_count_identical_lines() -> None:
    lines = [
        line(1, "2024-01-02", "100.00", "100.00", memo="a", time="10:00:00"),
        line(2, "2024-01-02", "-100.00", "0.00", memo="b"),
        line(3, "2024-01-02", "100.00", "100.00", memo="c", time="10:00:00"),
        line(4, "2024-01-02", "5.00", "105.00", serial=" S 1 "),
        line(5, "2024-01-02", "5.00", "110.00", serial="S1"),
    ]
    keys = serial_keys(lines)
    assert keys[0] == "K20240102100000-C100.00-B100.00-1"
    assert keys[2] == "K20240102100000-C100.00-B100.00-2"
    assert keys[1] == "K20240102-D100.00-B0.00-1"
    assert keys[3:] == ["S1", "S1/2"]
    # Another memo, the same key.
    other = [line(1, "2024-01-02", "100.00", "100.00", memo="zzz", time="10:00:00")]
    assert serial_keys(other)[0] == keys[0]


def test_unknown_account_is_refused_naming_the_file_and_账号(base_books: Path) -> None:
    with pytest.raises(StatementError) as caught:
        classify(registry_of(base_books), [], statement_of([], account_no="6222000000000000"))
    # A 16-digit 62… number may be a person's card: the message keeps its last four digits.
    assert str(caught.value).startswith("s.csv: 账号: account ****0000 is not")


def test_hand_booked_refund_and_interest_are_found(books: Path) -> None:
    book_refund(
        books,
        household="C0001-B01-U3-101",
        amount=D("5000.00"),
        date=day("2023-02-10"),
        bank_account=ICBC,
        reason="房屋灭失",
    )
    statement = statement_of(
        [
            line(1, "2023-02-10", "-5000.00", None, memo="返还"),
            line(2, "2023-02-10", "-5000.00", None, memo="返还"),
        ]
    )
    plan = classify(registry_of(books), load_books(books).entries, statement)
    assert [p.status for p in plan.lines] == [SKIPPED, "suspense"]  # one refund, one line
    assert "refund" in plan.lines[0].reason


def test_interest_memo_on_another_day_and_ambiguous_repayments(books: Path) -> None:
    statement = statement_of(
        [
            line(1, "2023-03-25", "10.00", None, memo="利息"),
            line(2, "2023-09-01", "600000.00", None, memo="定期到期"),  # no certificate that day
        ]
    )
    plan = classify(registry_of(books), load_books(books).entries, statement)
    assert [p.status for p in plan.lines] == ["suspense", "suspense"]
    assert "不是结息日" in plan.lines[0].reason
    assert "0 张" in plan.lines[1].reason


def test_a_maturity_paid_on_a_settlement_payment_day_is_the_certificates(books: Path) -> None:
    # 100,000.00 for a year at ICBC's 1.95%: 1,950.00 of interest, due 2024-03-21, the day the
    # 2024-03-20 settlement is paid; the bank's memo says 利息 as settlements do.
    place(
        books,
        demand_account=ICBC,
        certificate="ICBC2023003",
        principal=D("100000.00"),
        product="1y",
        value_date=day("2023-03-21"),
    )
    assert time_deposit_interest(D("100000.00"), D("1.95"), 12) == D("1950.00")
    due = interest_due(books, ICBC, "2024-03-20", [])
    statement = statement_of(
        [
            line(1, "2024-03-21", "101950.00", None, memo="定期到期 本金及利息转活期"),
            line(2, "2024-03-21", str(due), None, memo="结息"),
        ]
    )
    plan = classify(registry_of(books), load_books(books).entries, statement)
    assert [(p.rule, p.status) for p in plan.lines] == [
        ("maturity", "booked"),
        ("interest", "booked"),
    ]
    maturity, close, settlement = plan.entries[:3]
    assert maturity.meta["source"] == "time" and maturity.flag == "*"
    assert maturity.meta["difference"] == "0.00"
    assert isinstance(close, data.Close) and close.account.endswith("ICBC2023003")
    assert settlement.meta["source"] == "demand" and settlement.flag == "*"
    # Only 利息 in the memo, no 定期: the certificate maturing that day all the same.
    plain = statement_of([line(1, "2024-03-21", "101950.00", None, memo="本息 利息转活期")])
    [only] = classify(registry_of(books), load_books(books).entries, plain).lines
    assert (only.rule, only.status) == ("maturity", "booked")


@pytest.mark.parametrize(
    ("received", "expected", "far"),
    [
        ("110.00", "100.00", False),  # 10% off: not more than 10%
        ("110.01", "100.00", True),
        ("89.99", "100.00", True),
        ("5.00", "4.00", False),  # 25% off but only 1.00
        ("5.01", "4.00", True),
        ("1.00", "0.00", False),
        ("1.01", "0.00", True),
        ("1000.50", "1000.00", False),
    ],
)
def test_settlement_is_far(received: str, expected: str, far: bool) -> None:
    assert settlement_is_far(D(received), D(expected)) is far


def test_a_settlement_far_from_the_interest_due_goes_to_suspense(books: Path) -> None:
    due = interest_due(books, ICBC, "2023-03-20", [])
    assert due > 100
    registry, entries = registry_of(books), load_books(books).entries

    def settle(amount: Decimal):
        statement = statement_of([line(1, "2023-03-21", str(amount), None, memo="结息")])
        [planned] = classify(registry, entries, statement).lines
        return planned

    near = settle(due + D("1.50"))  # 1.50 off, well within 10%: booked, flagged
    assert (near.rule, near.status) == ("interest", "booked")
    assert near.entries[0].flag == "!" and near.entries[0].meta["difference"] == "1.50"
    far = settle((due * D("1.2")).quantize(D("0.01")))
    assert (far.rule, far.status) == ("suspense", "suspense")
    [txn] = far.entries
    assert txn.flag == "!" and txn.meta["kind"] == "suspense"
    assert [p.account for p in txn.postings] == [ICBC, chart.SUSPENSE]
    assert f"应收 {due:.2f}" in far.reason and "more than 10% and more than 1.00" in far.reason


def test_the_counterpartys_name_is_masked_in_the_memo_too(books: Path) -> None:
    statement = statement_of(
        [
            line(
                1,
                "2023-03-15",
                "1000.00",
                None,
                memo="转账 李𠮷 还款 李𠮷 13912345678",
                counterparty="李𠮷",
                counterparty_account="6217002940001234567",
            ),
            line(
                2,
                "2023-03-16",
                "-86400.00",
                None,
                memo="保费 王小明经办",
                counterparty="王小明",
                counterparty_account=INSURER_NO,
            ),
        ]
    )
    plan = classify(registry_of(books), load_books(books).entries, statement)
    suspense, premium = plan.entries[:2]
    assert suspense.payee == "李*"
    assert suspense.meta["memo"] == "转账 李* 还款 李* 139****5678"
    assert suspense.narration == "待查明来款 转账 李* 还款 李* 139****5678"
    assert suspense.meta["counterparty_account"] == "****4567"
    assert premium.meta["memo"] == "保费 王**经办" and "王小明" not in premium.narration
    text = "\n".join(printer.format_entry(e) for e in plan.entries)
    assert "𠮷" not in text and "小明" not in text


def test_deduplicate_matches_serials_not_similar_amounts(books: Path) -> None:
    importer = StatementImporter(books)
    path = SAMPLES / "ccb-2023h1.xls"
    entries = importer.extract(str(path), load_books(books).entries)
    fresh = importer.extract(str(path), load_books(books).entries)
    # Nothing is a duplicate of the books, though beangulp's comparator would pair the two
    # deposits of the same day with the interest: different serials are different lines.
    importer.deduplicate(fresh, list(load_books(books).entries))
    assert not any("__duplicate__" in e.meta for e in fresh)
    # The same lines extracted once more are all duplicates of the first extraction.
    again = importer.extract(str(path), load_books(books).entries)
    importer.deduplicate(again, entries)
    assert all("__duplicate__" in e.meta for e in again)
    assert importer.account(str(path)) == CCB
    assert importer.date(str(path)) == day("2023-06-30")
    assert importer.filename(str(path)) == "CCB-1234-20230102-20230630.xls"


# --- importing: idempotency ----------------------------------------------------------------


def _write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


def _import(main: Path, *paths: Path) -> list:
    report = import_statements(main, list(paths), read=read_statement_file)
    assert report.ok, [f.error for f in report.files]
    return list(report.files)


def test_importing_twice_and_an_overlapping_statement_give_identical_books(
    books: Path, tmp_path: Path
) -> None:
    ledger = books.parent
    registry = registry_of(books)
    opening = balance_of(books, ICBC, day("2023-01-01"))
    first = [
        L("2023-02-01", "-1500000.00", "转定期 存单号ICBC2023001", time="09:05:00"),
        L("2023-03-02", "3000.00", "维修资金补交 N2024-0002", counterparty="何二"),
        L("2023-03-10", "-12.50", "手续费"),
        L("2023-03-10", "-12.50", "手续费"),  # two identical lines: both kept
    ]
    a = _write(
        tmp_path / "a.xls",
        icbc_flag_text(
            StatementFile(
                ICBC_NO, NAME, day("2023-01-02"), day("2023-03-15"), opening, tuple(first)
            )
        ),
    )
    ccb_opening = balance_of(books, CCB, day("2023-01-01"))
    ccb_lines = [
        L(
            "2023-03-15",
            str(notice_total(registry, "N2023-0001")),
            "代缴维修资金 N2023-0001",
            serial="CCB1",
        )
    ]
    c = _write(
        tmp_path / "c.xls",
        ccb_xls(
            StatementFile(
                CCB_NO, NAME, day("2023-01-02"), day("2023-03-20"), ccb_opening, tuple(ccb_lines)
            )
        ),
    )
    reports = _import(books, a, c)
    assert [(r.booked, r.skipped, r.suspense, r.assertions) for r in reports] == [
        (1, 1, 2, 3),
        (1, 0, 0, 1),
    ]
    after_first = snapshot(ledger)
    again = _import(books, a, c)
    assert [(r.booked, r.skipped, r.suspense, r.assertions) for r in again] == [
        (0, 4, 0, 0),
        (0, 1, 0, 0),
    ]
    assert snapshot(ledger) == after_first  # no entry, no second archived copy

    # A later statement that overlaps the first: from 2023-03-01, with the 3/21 settlement.
    before = balance_of(books, ICBC, day("2023-02-28"))
    overlap = [
        *first[1:],
        L(
            "2023-03-21",
            str(interest_due(books, ICBC, "2023-03-20", [])),
            "结息",
            time="02:00:00",
        ),
        L("2023-04-03", "-7.00", "手续费"),
    ]
    b = _write(
        tmp_path / "b.xls",
        icbc_flag_text(
            StatementFile(
                ICBC_NO, NAME, day("2023-03-01"), day("2023-04-30"), before, tuple(overlap)
            )
        ),
    )
    [report] = _import(books, b)
    assert (report.booked, report.skipped, report.suspense) == (1, 3, 1)
    after_overlap = snapshot(ledger)
    _import(books, a, b, c)
    _import(books, b)
    assert snapshot(ledger) == after_overlap
    archived = sorted(p.name for p in (ledger / "documents").rglob("*") if p.is_file())
    assert archived == [
        "2023-03-15.ICBC-8821-20230102-20230315.xls",
        "2023-03-20.CCB-1234-20230102-20230320.xls",
        "2023-04-30.ICBC-8821-20230301-20230430.xls",
    ]
    text = (ledger / "txns/2023/bank-ICBC-8821.beancount").read_text("utf-8")
    assert text.count('kind: "interest"') == 1 and text.count('memo: "手续费"') == 3
    assert load_books(books).errors == []


def _entries_without_origin(main: Path) -> list[str]:
    """The books' entries as printed, without what tells which file or row they came from."""
    out = []
    for entry in load_books(main).entries:
        meta = {
            k: v
            for k, v in (entry.meta or {}).items()
            if k not in ("filename", "lineno", "statement", "row")
        }
        out.append(printer.format_entry(entry._replace(meta=meta)))
    return sorted(out)


def test_overlapping_ccb_exports_import_cleanly(base_books: Path, tmp_path: Path) -> None:
    # CCB's 账户明细编号-交易流水号 is `<row of this export>-<serial>`: the 3/21 settlement is
    # line 3 of the first export and line 1 of the second, the same 交易流水号 in both.
    twice, once = (tmp_path / "twice", tmp_path / "once")
    shutil.copytree(base_books.parent, twice)
    shutil.copytree(base_books.parent, once)
    main = twice / "main.beancount"
    registry = registry_of(main)
    opening = balance_of(main, CCB, day("2023-01-01"))
    lines = [
        L(
            "2023-03-15",
            str(notice_total(registry, "N2023-0001")),
            "代缴维修资金 N2023-0001",
            serial="CCB20230315000117",
        ),
        L("2023-03-15", "1000.00", "转账", counterparty="李四", serial="CCB20230315000118"),
    ]
    lines.append(
        L(
            "2023-03-21",
            str(interest_due(main, CCB, "2023-03-20", lines)),
            "利息存入",
            serial="CCB20230321000001",
        )
    )
    lines += [
        L("2023-04-01", "-1000000.00", "定期开户 存单号CCB2023001", serial="CCB20230401000001"),
        L("2023-04-10", "-12.50", "手续费", serial="CCB20230410000001"),
        L("2023-05-06", "500.00", "转账", counterparty="王五", serial="CCB20230506000001"),
    ]

    def export(name: str, start: str, end: str, chosen: list[BankLine]) -> Path:
        before = opening + sum((x.amount for x in lines[: lines.index(chosen[0])]), D("0.00"))
        statement = StatementFile(CCB_NO, NAME, day(start), day(end), before, tuple(chosen))
        return _write(tmp_path / name, ccb_xls(statement))

    first = export("first.xls", "2023-01-02", "2023-03-31", lines[:3])
    second = export("second.xls", "2023-03-16", "2023-05-31", lines[2:])
    whole = export("whole.xls", "2023-01-02", "2023-05-31", lines)
    a, b = _import(main, first, second)  # the second was refused: its serials were new
    assert (a.booked, a.suspense, b.booked, b.skipped, b.suspense) == (2, 1, 0, 2, 2)
    assert "已在本账户入账" in b.plan.lines[0].reason  # the settlement: same serial
    _import(once / "main.beancount", whole)
    assert _entries_without_origin(main) == _entries_without_origin(once / "main.beancount")
    assert load_books(main).errors == []
    assert [x.serial for x in read_statement(second).lines] == [x.serial for x in lines[2:]]


def test_dry_run_and_no_archive_write_nothing_or_no_copy(books: Path, tmp_path: Path) -> None:
    ledger = books.parent
    path = shutil.copy(SAMPLES / "icbc-2023h1.csv", tmp_path / "h1.csv")
    before = snapshot(ledger)
    report = import_statements(books, [path], read=read_statement_file, dry_run=True)
    assert report.ok and report.files[0].booked == 5 and snapshot(ledger) == before
    report = import_statements(books, [path], read=read_statement_file, archive=False)
    assert report.ok and not (ledger / "documents").exists()
    assert "txns/2023/bank-ICBC-8821.beancount" in report.files[0].files


def test_archive_name_never_leaves_documents(books: Path, tmp_path: Path, monkeypatch) -> None:
    ledger = books.parent
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    shutil.copy(SAMPLES / "icbc-2023h1.csv", tmp_path / "x.xls")
    monkeypatch.chdir(deep)
    [report] = _import(books, Path("../../x.xls"))
    assert report.archived == (
        "documents/Assets/Bank-银行存款/ICBC-工商银行/Demand-活期8821/"
        "2023-06-21.ICBC-8821-20230201-20230621.xls"  # no period given: the lines' dates
    )
    inside = [p for p in ledger.rglob("*.xls")]
    assert [p.relative_to(ledger).as_posix() for p in inside] == [report.archived]
    statement = read_statement(tmp_path / "x.xls")
    bank = registry_of(books).bank_accounts[ICBC_NO]
    assert "/" not in archive_name(statement, bank, "../../evil/..")


# --- importing: errors ----------------------------------------------------------------------


def broken_inputs(directory: Path) -> dict[str, tuple[Path, str]]:
    """File → (path, a piece of its expected one-line error)."""
    good = (SAMPLES / "icbc-2023h1.csv").read_bytes().decode("gb18030")
    rows = good.split("\r\n")
    data_row = 3  # the first line of the statement (row 3 of the file)

    def variant(name: str, text: str, encoding: str = "gb18030") -> Path:
        path = directory / name
        path.write_bytes(text.encode(encoding))
        return path

    def cells(row: str, index: int, value: str) -> str:
        import csv as csv_module
        import io

        parsed = next(csv_module.reader([row]))
        parsed[index] = value
        out = io.StringIO()
        csv_module.writer(out, lineterminator="").writerow(parsed)
        return out.getvalue()

    amount_123 = rows.copy()
    amount_123[data_row - 1] = cells(rows[data_row - 1], 5, "1,2,3")
    bad_date = rows.copy()
    bad_date[data_row - 1] = cells(rows[data_row - 1], 3, "2025-13-01 10:00:00")
    bad_balance = rows.copy()
    bad_balance[data_row] = cells(rows[data_row], 11, "1.00")
    no_amount = rows.copy()
    no_amount[1] = no_amount[1].replace("贷方发生额", "贷方")
    other_account = good.replace(ICBC_NO, "1904021109200077777")
    xls = (SAMPLES / "ccb-2023h1.xls").read_bytes()
    truncated = directory / "truncated.xls"
    truncated.write_bytes(xls[: len(xls) // 2])
    noise = directory / "random.xls"
    noise.write_bytes(bytes([0]) + random.Random(7).randbytes(4095))
    return {
        "truncated": (truncated, "truncated.xls: not a readable xls workbook"),
        "random": (noise, "random.xls: not a statement"),
        "utf16": (variant("utf16.csv", good, "utf-16"), "utf16.csv: not a statement: UTF-16"),
        "no amount column": (variant("noamount.csv", "\r\n".join(no_amount)), ":2: 贷方发生额"),
        "amount 1,2,3": (variant("amount.csv", "\r\n".join(amount_123)), ":3: 借方发生额"),
        "date 2025-13-01": (variant("date.csv", "\r\n".join(bad_date)), ":3: 交易时间"),
        "balance": (variant("balance.csv", "\r\n".join(bad_balance)), ":4: 余额"),
        "unknown account": (variant("other.csv", other_account), "other.csv: 账号"),
    }


def test_broken_inputs_give_one_line_errors_and_write_nothing(books: Path, tmp_path: Path) -> None:
    ledger = books.parent
    inputs = broken_inputs(tmp_path)
    before = snapshot(ledger)
    report = import_statements(
        books, [path for path, _ in inputs.values()], read=read_statement_file
    )
    assert not report.ok and report.exit_code == 1
    for (name, (path, expected)), item in zip(inputs.items(), report.files, strict=True):
        assert item.error, name
        assert "\n" not in item.error
        assert str(path) in item.error and expected in item.error, (name, item.error)
    assert snapshot(ledger) == before


def test_a_statement_the_books_do_not_agree_with_writes_nothing(
    books: Path, tmp_path: Path
) -> None:
    ledger = books.parent
    # The first half-year imported; then the same lines again in another export without
    # serials: they are new lines to the import, and the balances no longer agree.
    first = shutil.copy(SAMPLES / "icbc-2023h1.csv", tmp_path / "h1.csv")
    _import(books, first)
    statement = read_statement(first)
    lines = [BankLine(x.date, x.amount, x.memo, time=x.time or "09:00:00") for x in statement.lines]
    opening = statement.lines[0].balance - statement.lines[0].amount
    other = _write(
        tmp_path / "h1-other-export.xls",
        icbc_flag_text(
            StatementFile(
                ICBC_NO, NAME, day("2023-01-02"), day("2023-06-30"), opening, tuple(lines)
            )
        ),
    )
    before = snapshot(ledger)
    report = import_statements(books, [other], read=read_statement_file)
    assert report.files[0].error.startswith(
        f"{other}:9: 余额: the balance at the end of 2023-03-02"
    )
    assert snapshot(ledger) == before


def test_one_bad_file_does_not_stop_the_others(books: Path, tmp_path: Path) -> None:
    inputs = broken_inputs(tmp_path)
    good = shutil.copy(SAMPLES / "icbc-2023h1.csv", tmp_path / "good.csv")
    report = import_statements(
        books, [inputs["random"][0], good, inputs["balance"][0]], read=read_statement_file
    )
    assert [bool(f.error) for f in report.files] == [True, False, True]
    assert report.files[1].booked == 5
    assert (books.parent / "txns/2023/bank-ICBC-8821.beancount").exists()


# --- the command line ------------------------------------------------------------------------


def test_cli_one_step_and_run(books: Path, tmp_path: Path) -> None:
    ledger = books.parent
    inputs = broken_inputs(tmp_path)
    good = shutil.copy(SAMPLES / "icbc-2023h1.csv", tmp_path / "good.csv")
    ccb = shutil.copy(SAMPLES / "ccb-2023h1.xls", tmp_path / "ccb.xls")
    bad = inputs["amount 1,2,3"][0]
    result = xt(books, "import", str(bad), str(good))
    assert result.returncode == 1, result.stderr
    [error] = result.stderr.strip().splitlines()
    assert error.startswith(f"{bad}:3: 借方发生额: ")
    assert "good.csv" in result.stdout and "ok" in result.stdout
    before = snapshot(ledger)
    dry = xt(books, "import", "run", str(ccb), "--dry-run", "--format", "json")
    assert dry.returncode == 0, dry.stderr
    doc = json.loads(dry.stdout)
    assert doc["command"] == "import" and doc["dry_run"] is True
    assert doc["rows"][0]["would_book"] == 2 and doc["rows"][0]["status"] == "dry-run"
    assert "booked" not in doc["rows"][0]  # a dry run books nothing
    assert snapshot(ledger) == before
    csv_out = xt(books, "import", str(ccb), "--no-archive", "--format", "csv")
    assert csv_out.returncode == 0 and csv_out.stdout.startswith("file,account_no,period")


def test_cli_beangulp_commands(books: Path, tmp_path: Path) -> None:
    ledger = books.parent
    ccb = shutil.copy(SAMPLES / "ccb-2023h1.xls", tmp_path / "ccb.xls")
    noise = tmp_path / "notes.txt"
    noise.write_text("nothing to see\n", encoding="utf-8")
    identified = xt(books, "import", "identify", str(ccb), str(noise))
    assert identified.returncode == 0, identified.stderr
    assert "格式 ccb-corporate（中国建设银行）" in identified.stdout
    assert "notes.txt\n  未识别：不是对账单" in identified.stdout
    extracted = xt(books, "import", "extract", str(ccb))
    assert extracted.returncode == 0, extracted.stderr
    plan = classify(registry_of(books), load_books(books).entries, read_statement(ccb))
    for entry in plan.entries:
        assert printer.format_entry(entry) in extracted.stdout
    archived = xt(books, "import", "archive", str(ccb))
    assert archived.returncode == 0, archived.stderr
    target = (
        ledger
        / "documents/Assets/Bank-银行存款/CCB-建设银行/Demand-活期1234"
        / "2023-06-30.CCB-1234-20230102-20230630.xls"
    )
    # Copied through the writer, never moved (beangulp's own archive moves it): issue 16.
    assert target.read_bytes() == Path(ccb).read_bytes()


@pytest.mark.slow
def test_cli_beangulp_commands_report_errors_on_one_line(books: Path, tmp_path: Path) -> None:
    boc = shutil.copy(SAMPLES / "boc-corporate.csv", tmp_path / "boc.csv")  # not a demo account
    broken = broken_inputs(tmp_path)["balance"][0]  # a balance that does not run (row 4)
    for command in (["extract"], ["archive", "-n"], ["archive"]):
        for path, expected in (
            (boc, f"{boc}: 账号: account 601357924680 is not a registry bank account"),
            (broken, f"{broken}:4: 余额: the balance does not run"),
        ):
            result = xt(books, "import", *command, str(path))
            assert result.returncode == 1, (command, result.stderr)
            assert "Traceback" not in result.stderr, result.stderr
            assert "Exception in importer code" not in result.stderr
            errors = [
                x.strip() for x in result.stderr.splitlines() if x.strip().startswith(str(path))
            ]
            assert len(errors) == 1 and errors[0].startswith(expected), result.stderr
            assert Path(path).exists()  # nothing archived (moved)
    assert not [p for p in (books.parent / "documents").rglob("*") if p.is_file()]


def test_cli_help_lists_the_forms(books: Path) -> None:
    from click.testing import CliRunner

    from xtaccounts.cli.main import cli

    result = CliRunner().invoke(cli, ["--ledger", str(books), "import", "--help"])
    assert result.exit_code == 0
    for word in ("identify", "extract", "archive", "run"):
        assert word in result.output


def test_beangulp_size_threshold_is_raised() -> None:
    from beangulp import identify as bg_identify

    import xtaccounts.cli.beangulp_importer  # noqa: F401

    assert bg_identify.FILE_TOO_LARGE_THRESHOLD >= 1024**3


def test_an_identical_file_is_archived_once_another_gets_a_number(
    books: Path, tmp_path: Path
) -> None:
    ledger = books.parent
    source = shutil.copy(SAMPLES / "icbc-2023h1.csv", tmp_path / "h1.csv")
    [first] = _import(books, Path(source))
    folder = "documents/Assets/Bank-银行存款/ICBC-工商银行/Demand-活期8821"
    assert first.archived == f"{folder}/2023-06-21.ICBC-8821-20230201-20230621.csv"
    assert (ledger / first.archived).read_bytes() == Path(source).read_bytes()
    before = snapshot(ledger)
    [again] = _import(books, Path(source))
    assert again.archived == first.archived and snapshot(ledger) == before  # not written again
    # Another export of the same period (one more blank line): the same name, so `-2`; it
    # is archived though none of its lines is new.
    other = _write(tmp_path / "h1-again.csv", Path(source).read_bytes() + b"\r\n")
    [second] = _import(books, other)
    assert (second.booked, second.archived) == (
        0,
        f"{folder}/2023-06-21.ICBC-8821-20230201-20230621-2.csv",
    )
    assert (ledger / second.archived).read_bytes() == other.read_bytes()
    assert (ledger / first.archived).read_bytes() == Path(source).read_bytes()
    # The two in one run: each keeps its own copy, no third one.
    _import(books, Path(source), other)
    assert len(list((ledger / folder).iterdir())) == 2


def test_the_original_is_archived_in_the_same_commit_as_its_lines(
    books: Path, tmp_path: Path
) -> None:
    ledger = books.parent
    source = shutil.copy(SAMPLES / "icbc-2023h1.csv", tmp_path / "h1.csv")
    # documents/ cannot take the copy (a file stands in its place): neither the copy nor the
    # lines are written (before, the lines were committed and the copy failed afterwards).
    (ledger / "documents").write_text("not a folder\n", encoding="utf-8")
    before = snapshot(ledger)
    [report] = import_statements(books, [source], read=read_statement_file).files
    assert report.error.startswith(f"{source}: ") and "\n" not in report.error
    assert snapshot(ledger) == before
    (ledger / "documents").unlink()
    # A file the books do not agree with is refused: nothing archived either.
    [ok] = _import(books, Path(source))
    lines = [
        BankLine(x.date, x.amount, x.memo, time=x.time or "09:00:00")
        for x in read_statement(source).lines
    ]
    refused = _write(
        tmp_path / "other-export.xls",
        icbc_flag_text(
            StatementFile(
                ICBC_NO,
                NAME,
                day("2023-01-02"),
                day("2023-06-30"),
                read_statement(source).lines[0].balance - read_statement(source).lines[0].amount,
                tuple(lines),
            )
        ),
    )
    before = snapshot(ledger)
    [report] = import_statements(books, [refused], read=read_statement_file).files
    assert "余额" in report.error and snapshot(ledger) == before
    assert [p.name for p in (ledger / ok.archived).parent.iterdir()] == [Path(ok.archived).name]
    # The writer's commit holds the copy: a dry run lists nothing under documents/.
    result = import_statements(books, [source], read=read_statement_file, dry_run=True)
    assert result.files[0].archived == ""

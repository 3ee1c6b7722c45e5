"""Time deposits: placement, maturity with the base/spread split, early withdrawal, rollover."""

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
from xtaccounts.demo.books import demo_registry
from xtaccounts.ops.accounts_sync import sync_accounts
from xtaccounts.ops.owner_deposits import book_opening
from xtaccounts.ops.time_deposits import (
    TimeDepositError,
    certificate_account,
    find_certificate,
    mature,
    place,
    withdraw,
)

D = Decimal
ICBC_NO = "1904021109200088821"
ICBC = "Assets:Bank-银行存款:ICBC-工商银行:Demand-活期8821"
CCB = "Assets:Bank-银行存款:CCB-建设银行:Demand-活期1234"
TD = "Assets:Bank-银行存款:ICBC-工商银行:TD-定期"


@pytest.fixture
def main(tmp_path: Path) -> Path:
    """Demo-registry books with 10,500,000.00 at ICBC and 2,500,000.00 at CCB on 2023-01-01."""
    main = create_ledger(tmp_path / "ledger", ledger_files(registry=demo_registry()))
    sync_accounts(main)
    book_opening(
        main,
        dt.date(2023, 1, 1),
        ICBC,
        {"C0001-B01-U1-101": D("10000000.00"), "C0001-B01-U1-102": D("500000.00")},
    )
    book_opening(main, dt.date(2023, 1, 1), CCB, {"C0002-B01-U1-101": D("2500000.00")})
    return main


def load(main: Path) -> list[data.Directive]:
    """The books through beancount's own loader (what bean-check runs): they must be clean."""
    entries, errors, _ = loader.load_file(str(main))
    assert errors == [], errors
    return entries


def interest_txn(entries: list[data.Directive], receipt: str) -> data.Transaction:
    (txn,) = [
        e
        for e in entries
        if isinstance(e, data.Transaction)
        and e.meta.get("kind") == "interest"
        and e.meta.get("receipt") == receipt
    ]
    return txn


def amounts(txn: data.Transaction) -> list[tuple[str, Decimal]]:
    return [(p.account, p.units.number) for p in txn.postings]


def closes(entries: list[data.Directive]) -> dict[str, dt.date]:
    return {e.account: e.date for e in entries if isinstance(e, data.Close)}


def place_worked_example(main: Path) -> None:
    place(
        main,
        demand_account=ICBC_NO,
        certificate="ICBC2023001",
        principal=D("10000000.00"),
        product="1y",
        value_date=dt.date(2023, 2, 1),
    )


def test_worked_example_195000_split_150000_base_45000_spread(main: Path) -> None:
    # 10,000,000.00 for 12 months under RA-ICBC-1Y-2023 (agreed 1.95 %, base 1.50 % PBoC):
    #   expected = 10,000,000.00 × 1.95 % × 12/12 = 195,000.00
    #   base     = 10,000,000.00 × 1.50 % × 12/12 = 150,000.00
    #   spread   = 195,000.00 − 150,000.00        =  45,000.00
    place_worked_example(main)
    entries = load(main)
    account = TD + "ICBC2023001"
    (opened,) = [e for e in entries if isinstance(e, data.Open) and e.account == account]
    assert opened.date == dt.date(2023, 2, 1)
    assert {
        k: v
        for k, v in opened.meta.items()
        if not k.startswith("__") and k not in ("filename", "lineno")
    } == {
        "certificate": "ICBC2023001",
        "demand_account": ICBC,
        "principal": "10000000.00",
        "product": "1y",
        "months": "12",
        "value_date": "2023-02-01",
        "maturity": "2024-02-01",
        "agreed_rate": "1.95",
        "base_rate": "1.50",
        "base_source": "pboc",
        "agreement": "RA-ICBC-1Y-2023",
    }
    (placed,) = [e for e in entries if e.meta.get("kind") == "td-place"]
    assert placed.meta["certificate"] == "ICBC2023001"
    assert amounts(placed) == [(account, D("10000000.00")), (ICBC, D("-10000000.00"))]

    booked = mature(main, certificate="ICBC2023001", received=D("195000.00"))
    entries = load(main)
    txn = interest_txn(entries, "R-TDICBC2023001")
    assert txn.date == dt.date(2024, 2, 1) and txn.flag == "*"
    assert amounts(txn) == [
        (ICBC, D("10195000.00")),
        (account, D("-10000000.00")),
        (chart.INTEREST_BASE, D("-150000.00")),
        (chart.INTEREST_SPREAD, D("-45000.00")),
    ]
    meta = txn.meta
    assert (meta["source"], meta["bank_account"], meta["certificate"]) == (
        "time",
        ICBC,
        "ICBC2023001",
    )
    assert (meta["window_start"], meta["window_end"]) == ("2023-02-01", "2024-02-01")
    assert (meta["principal"], meta["months"]) == ("10000000.00", "12")
    assert (meta["agreed_rate"], meta["base_rate"], meta["base_source"]) == ("1.95", "1.50", "pboc")
    assert (meta["expected"], meta["base_expected"], meta["difference"]) == (
        "195000.00",
        "150000.00",
        "0.00",
    )
    assert "flag_reason" not in meta
    # The certificate is closed the day after, empty.
    assert closes(entries) == {account: dt.date(2024, 2, 2)}
    positions = read_positions(entries)
    assert positions.balance(account) == 0
    assert positions.balance(ICBC) == D("10695000.00")
    (receipt,) = positions.receipts
    assert (receipt.id, receipt.base, receipt.spread) == (
        "R-TDICBC2023001",
        D("150000.00"),
        D("45000.00"),
    )
    assert [type(e).__name__ for e in booked.entries] == ["Transaction", "Close"]


def test_receipt_five_fen_short_is_booked_as_received_and_flagged(main: Path) -> None:
    # 194,999.95 received against 195,000.00 expected: base stays 150,000.00 (the base part is
    # covered), the spread takes the shortfall: 44,999.95. −0.05 is more than 0.01: flagged.
    place_worked_example(main)
    mature(main, certificate="ICBC2023001", received=D("194999.95"))
    txn = interest_txn(load(main), "R-TDICBC2023001")
    assert txn.flag == "!"
    assert txn.meta["difference"] == "-0.05"
    assert txn.meta["flag_reason"] == (
        "实收与应收相差 -0.05 元 (received 194,999.95, expected 195,000.00)"
    )
    assert amounts(txn)[2:] == [
        (chart.INTEREST_BASE, D("-150000.00")),
        (chart.INTEREST_SPREAD, D("-44999.95")),
    ]


def test_deposit_agreed_below_base_has_zero_spread(main: Path) -> None:
    # RA-CCB-6M-2025: agreed 1.20 % below its base 1.30 %. 300,000.00 for 6 months:
    #   expected = 300,000.00 × 1.20 % × 6/12 = 1,800.00
    #   base     = 300,000.00 × 1.30 % × 6/12 = 1,950.00 → base part = min(1,800.00, 1,950.00)
    #   spread   = 1,800.00 − 1,800.00 = 0.00 (never negative): no spread posting.
    place(
        main,
        demand_account=CCB,
        certificate="CCB2025001",
        principal=D("300000.00"),
        product="6m",
        value_date=dt.date(2025, 1, 10),
    )
    mature(main, certificate="CCB2025001", received=D("1800.00"))
    entries = load(main)
    cert = find_certificate(entries, "CCB2025001")
    assert (cert.maturity, cert.agreed_rate, cert.base_rate) == (
        dt.date(2025, 7, 10),
        D("1.20"),
        D("1.30"),
    )
    txn = interest_txn(entries, "R-TDCCB2025001")
    assert txn.flag == "*"
    assert amounts(txn) == [
        (CCB, D("301800.00")),
        (cert.account, D("-300000.00")),
        (chart.INTEREST_BASE, D("-1800.00")),
    ]
    assert (txn.meta["expected"], txn.meta["base_expected"]) == ("1800.00", "1950.00")
    (receipt,) = read_positions(entries).receipts
    assert (receipt.base, receipt.spread) == (D("1800.00"), D("0.00"))


def test_early_withdrawal_pays_the_demand_rate_on_the_days_held(main: Path) -> None:
    # 500,000.00 for 3 years placed 2023-06-01, withdrawn 2024-12-01.
    # Days held: 2023-06-01 → 2024-06-01 = 366 (2024 is a leap year) + June..November 2024
    # (30+31+31+30+31+30 = 183) = 549 days. ICBC's demand agreement RA-ICBC-D-2023: 1.15 % agreed,
    # 0.35 % base.
    #   expected = 500,000.00 × 549 × 1.15 % / 360 = 3,156,750 / 360 = 8,768.75
    #   base     = 500,000.00 × 549 × 0.35 % / 360 =   960,750 / 360 = 2,668.75
    #   spread   = 8,768.75 − 2,668.75 = 6,100.00
    place(
        main,
        demand_account=ICBC,
        certificate="ICBC2023002",
        principal=D("500000.00"),
        product="3y",
        value_date=dt.date(2023, 6, 1),
    )
    with pytest.raises(TimeDepositError, match="early withdrawal"):
        mature(main, certificate="ICBC2023002", received=D("1"), date=dt.date(2024, 12, 1))
    withdraw(main, certificate="ICBC2023002", date=dt.date(2024, 12, 1), received=D("8768.75"))
    entries = load(main)
    txn = interest_txn(entries, "R-TDICBC2023002")
    account = TD + "ICBC2023002"
    assert txn.flag == "*" and txn.date == dt.date(2024, 12, 1)
    assert amounts(txn) == [
        (ICBC, D("508768.75")),
        (account, D("-500000.00")),
        (chart.INTEREST_BASE, D("-2668.75")),
        (chart.INTEREST_SPREAD, D("-6100.00")),
    ]
    meta = txn.meta
    assert (meta["source"], meta["window_start"], meta["window_end"], meta["days"]) == (
        "early",
        "2023-06-01",
        "2024-12-01",
        "549",
    )
    assert (meta["agreed_rate"], meta["base_rate"], meta["agreement"]) == (
        "1.15",
        "0.35",
        "RA-ICBC-D-2023",
    )
    assert (meta["expected"], meta["base_expected"]) == ("8768.75", "2668.75")
    assert closes(entries) == {account: dt.date(2024, 12, 2)}


def test_rollover_places_the_new_certificate_at_the_agreement_valid_at_maturity(
    main: Path,
) -> None:
    # CCB 1y placed 2023-11-15 under RA-CCB-1Y-2023 (1.85 % / 1.50 % PBoC, valid to 2024-10-31);
    # it matures 2024-11-15, when RA-CCB-1Y-2024 applies (1.75 % / 1.35 % listed).
    #   interest = 2,000,000.00 × 1.85 % = 37,000.00; base 1.50 % = 30,000.00; spread 7,000.00.
    place(
        main,
        demand_account=CCB,
        certificate="CCB2023009",
        principal=D("2000000.00"),
        product="1y",
        value_date=dt.date(2023, 11, 15),
    )
    booked = mature(
        main, certificate="CCB2023009", received=D("37000.00"), rollover_certificate="CCB2024010"
    )
    assert [type(e).__name__ for e in booked.entries] == [
        "Transaction",
        "Close",
        "Open",
        "Transaction",
    ]
    entries = load(main)
    old = certificate_account(CCB, "CCB2023009")
    new = certificate_account(CCB, "CCB2024010")
    assert closes(entries) == {old: dt.date(2024, 11, 16)}
    rolled = find_certificate(entries, "CCB2024010")
    assert (rolled.account, rolled.value_date, rolled.maturity, rolled.principal) == (
        new,
        dt.date(2024, 11, 15),
        dt.date(2025, 11, 15),
        D("2000000.00"),
    )
    assert (rolled.agreement, rolled.agreed_rate, rolled.base_rate, rolled.base_source) == (
        "RA-CCB-1Y-2024",
        D("1.75"),
        D("1.35"),
        "listed",
    )
    txn = interest_txn(entries, "R-TDCCB2023009")
    assert amounts(txn)[2:] == [
        (chart.INTEREST_BASE, D("-30000.00")),
        (chart.INTEREST_SPREAD, D("-7000.00")),
    ]
    # Principal rolled over, interest stays at the demand account.
    positions = read_positions(entries)
    assert positions.balance(new) == D("2000000.00")
    assert positions.balance(CCB) == D("2500000.00") - D("2000000.00") + D("37000.00")


def test_refusals_write_nothing(main: Path) -> None:
    place_worked_example(main)
    before = snapshot(main.parent)
    # ICBC holds 500,000.00 once the 10,000,000.00 are placed.
    with pytest.raises(TimeDepositError, match=re.escape("holds 500000.00 on 2023-03-01")):
        place(
            main,
            demand_account=ICBC,
            certificate="ICBC2023003",
            principal=D("500000.01"),
            product="1y",
            value_date=dt.date(2023, 3, 1),
        )
    with pytest.raises(TimeDepositError, match="already in the books"):
        place(
            main,
            demand_account=ICBC,
            certificate="ICBC2023001",
            principal=D("1.00"),
            product="1y",
            value_date=dt.date(2023, 3, 1),
        )
    with pytest.raises(TimeDepositError, match="base_source"):
        place(
            main,
            demand_account=ICBC,
            certificate="ICBC2023004",
            principal=D("1.00"),
            product="1y",
            value_date=dt.date(2023, 3, 1),
            agreed_rate=D("2.00"),
            base_rate=D("1.50"),
        )
    with pytest.raises(TimeDepositError, match="no rate agreement of bank ICBC for product 6m"):
        place(
            main,
            demand_account=ICBC,
            certificate="ICBC2023005",
            principal=D("1.00"),
            product="6m",
            value_date=dt.date(2023, 3, 1),
        )
    with pytest.raises(TimeDepositError, match="not a time-deposit term"):
        place(
            main,
            demand_account=ICBC,
            certificate="ICBC2023006",
            principal=D("1.00"),
            product="demand",
            value_date=dt.date(2023, 3, 1),
        )
    with pytest.raises(TimeDepositError, match="no such time deposit"):
        mature(main, certificate="NOPE", received=D("1.00"))
    assert snapshot(main.parent) == before
    mature(main, certificate="ICBC2023001", received=D("195000.00"))
    before = snapshot(main.parent)
    with pytest.raises(TimeDepositError, match="already paid back"):
        mature(main, certificate="ICBC2023001", received=D("195000.00"))
    assert snapshot(main.parent) == before


def test_explicit_rates_record_their_source(main: Path) -> None:
    booked = place(
        main,
        demand_account=ICBC,
        certificate="ICBC2023007",
        principal=D("100000.00"),
        product="6m",
        value_date=dt.date(2023, 3, 1),
        agreed_rate=D("1.6"),
        base_rate=D("1.25"),
        base_source="listed",
        dry_run=True,
    )
    opened = booked.entries[0]
    assert (opened.meta["agreed_rate"], opened.meta["base_rate"]) == ("1.60", "1.25")
    assert (opened.meta["base_source"], opened.meta["agreement"]) == ("listed", "manual")
    assert booked.result is not None and booked.result.dry_run
    assert not any(isinstance(e, data.Open) and "certificate" in e.meta for e in load(main))


def test_cli_place_and_mature(main: Path) -> None:
    placed = xt(
        main,
        "time-deposit",
        "place",
        "--account",
        ICBC_NO,
        "--certificate",
        "ICBC2023001",
        "--principal",
        "10,000,000.00",
        "--product",
        "1y",
        "--value-date",
        "2023-02-01",
        "--format",
        "json",
    )
    assert placed.returncode == 0, placed.stderr
    doc = json.loads(placed.stdout)
    assert (doc["command"], doc["maturity"], doc["agreement"]) == (
        "time-deposit place",
        "2024-02-01",
        "RA-ICBC-1Y-2023",
    )
    matured = xt(
        main, "time-deposit", "mature", "--certificate", "ICBC2023001", "--received", "195000.00",
        "--format", "json",
    )  # fmt: skip
    assert matured.returncode == 0, matured.stderr
    doc = json.loads(matured.stdout)
    assert (doc["receipt"], doc["base"], doc["spread"], doc["flagged"]) == (
        "R-TDICBC2023001",
        "150000.00",
        "45000.00",
        False,
    )
    assert doc["rows"][-1] == {"date": "2024-02-02", "kind": "close", "account": TD + "ICBC2023001"}
    load(main)
    again = xt(main, "time-deposit", "mature", "--certificate", "ICBC2023001", "--received", "1")
    assert again.returncode == 1 and "already paid back" in again.stderr


def test_the_old_spelling_deposit_place_still_books_and_is_hidden(main: Path) -> None:
    """`deposit place|mature|withdraw` (before time-deposit had its own group) still work."""
    listed = xt(main, "deposit", "--help")
    assert listed.returncode == 0
    assert all(name not in listed.stdout for name in ("place", "mature", "withdraw"))
    assert "time-deposit" in xt(main, "--help").stdout
    placed = xt(
        main, "deposit", "place", "--account", ICBC_NO, "--certificate", "ICBC2023001",
        "--principal", "10000000.00", "--product", "1y", "--value-date", "2023-02-01",
        "--format", "json",
    )  # fmt: skip
    assert placed.returncode == 0, placed.stderr
    assert json.loads(placed.stdout)["command"] == "time-deposit place"
    assert any(
        isinstance(e, data.Open) and e.meta.get("certificate") == "ICBC2023001" for e in load(main)
    )
    early = xt(
        main, "deposit", "withdraw", "--certificate", "ICBC2023001", "--date", "2023-08-01",
        "--received", "100", "--dry-run",
    )  # fmt: skip
    assert early.returncode == 0, early.stderr


# --- one metadata helper, one certificate lookup, output and bad input --------------------------


def test_the_metadata_helper_is_the_one_of_deposits() -> None:
    from xtaccounts.ops import owner_deposits as deposits
    from xtaccounts.ops import time_deposits

    assert not hasattr(time_deposits, "_meta")
    assert time_deposits.entry_meta is deposits.entry_meta


def test_mature_with_rollover_looks_the_certificate_up_once(
    main: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from xtaccounts.ops import time_deposits

    place(
        main,
        demand_account=CCB,
        certificate="CCB2023009",
        principal=D("2000000.00"),
        product="1y",
        value_date=dt.date(2023, 11, 15),
    )
    looked_up: list[str] = []
    original = time_deposits.find_certificate

    def counting(entries: object, certificate: str) -> time_deposits.Certificate:
        looked_up.append(certificate)
        return original(entries, certificate)

    monkeypatch.setattr(time_deposits, "find_certificate", counting)
    booked = mature(
        main, certificate="CCB2023009", received=D("37000.00"), rollover_certificate="CCB2024010"
    )
    assert looked_up == ["CCB2023009"]
    assert [type(e).__name__ for e in booked.entries] == [
        "Transaction",
        "Close",
        "Open",
        "Transaction",
    ]


def test_cli_mature_and_withdraw_amounts_have_two_decimals(main: Path) -> None:
    place_worked_example(main)
    proc = xt(
        main, "time-deposit", "mature", "--certificate", "ICBC2023001", "--received", "0",
        "--dry-run", "--format", "json",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert (doc["received"], doc["base"], doc["spread"]) == ("0.00", "0.00", "0.00")
    assert (doc["expected"], doc["difference"]) == ("195000.00", "-195000.00")
    amount = re.compile(r"-?\d+\.\d{2}")
    assert all(amount.fullmatch(row["amount"]) for row in doc["rows"] if "amount" in row)
    proc = xt(
        main, "time-deposit", "withdraw", "--certificate", "ICBC2023001", "--date", "2023-08-01",
        "--received", "100", "--dry-run", "--format", "csv",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    rows = proc.stdout.splitlines()[1:]
    assert [row.split(",")[4] for row in rows if row.split(",")[2] == "interest"] == [
        "10000100.00",
        "-10000000.00",
        "-100.00",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["mature", "--certificate", "ICBC2023001", "--received", "1", "--date", "9999-12-31"],
         "晚于 9998-12-31"),
        (["mature", "--certificate", "ICBC2023001", "--received", "0.001"],
         "超过两位小数"),
        (["mature", "--certificate", "ICBC2023001", "--received", "-1"], "negative"),
        (["mature", "--certificate", "NOPE", "--received", "1"], "no such time deposit"),
        (["withdraw", "--certificate", "ICBC2023001", "--received", "1", "--date", "2023-02-30"],
         "不是存在的日期"),
        (["withdraw", "--certificate", "ICBC2023001", "--received", "1", "--date", "0001-01-01"],
         "早于 1990-01-01"),
        (["place", "--account", ICBC_NO, "--certificate", "X1", "--principal", "5",
          "--product", "5y", "--value-date", "9998-06-01", "--agreed-rate", "1.5",
          "--base-rate", "1", "--base-source", "pboc"], "would mature after 9998-12-31"),
        (["place", "--account", ICBC_NO, "--certificate", "X1", "--principal", "100.005",
          "--product", "1y", "--value-date", "2023-03-01"], "超过两位小数"),
        (["place", "--account", ICBC_NO, "--certificate", "X1", "--principal", "-5",
          "--product", "1y", "--value-date", "2023-03-01"], "须大于 0.00"),
        (["place", "--account", "6222", "--certificate", "X1", "--principal", "5",
          "--product", "1y", "--value-date", "2023-03-01"], "中没有"),
        (["place", "--account", ICBC_NO, "--certificate", "X1", "--principal", "5",
          "--product", "1y", "--value-date", "2023-03-01", "--agreed-rate", "abc",
          "--base-rate", "1", "--base-source", "pboc"], "--agreed-rate"),
    ],
)  # fmt: skip
def test_cli_bad_input_is_one_line_exit_1(
    main: Path, args: list[str], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XT_TODAY", "9998-12-30")  # the input horizon lets 9999 through
    place_worked_example(main)
    before = snapshot(main.parent)
    proc = xt(main, "time-deposit", *args)
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("错误：") and message in lines[0], lines
    assert snapshot(main.parent) == before

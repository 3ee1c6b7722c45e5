"""Quarterly demand settlements: 积数 from the books, the split, idempotency, flags, the CLI."""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
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
from xtaccounts.ops.demand_interest import (
    FLAGGED,
    AlreadyBooked,
    InterestError,
    Segment,
    SettlementItem,
    book_settlement,
    book_settlements,
    expected_settlement,
    settlement_entry,
    settlement_terms,
)
from xtaccounts.ops.owner_deposits import BOOKED, SKIPPED, Receipt, book_deposits, book_opening
from xtaccounts.registry import load_registry

D = Decimal
ICBC_NO = "1904021109200088821"
ICBC = "Assets:Bank-银行存款:ICBC-工商银行:Demand-活期8821"
Q2 = dt.date(2024, 6, 20)


@pytest.fixture
def main(tmp_path: Path) -> Path:
    """ICBC: 1,000,000.00 brought in on 2023-01-01, then two receipts inside the Q2 2024 window.

    - 2024-04-10: 3,000.00 on notice N2024-0002 (matched, to unit C0001-B04-U1);
    - 2024-05-20: 7,000.00 without a notice (suspense: still money in the bank, so in 积数).
    """
    main = create_ledger(tmp_path / "ledger", ledger_files(registry=demo_registry()))
    sync_accounts(main)
    book_opening(
        main,
        dt.date(2023, 1, 1),
        ICBC,
        {"C0001-B01-U1-101": D("600000.00"), "C0001-B01-U1-102": D("400000.00")},
    )
    book_deposits(
        main,
        [
            Receipt(ICBC, dt.date(2024, 4, 10), D("3000.00"), "N2024-0002", "S-1", "何*"),
            Receipt(ICBC, dt.date(2024, 5, 20), D("7000.00"), None, "S-2", "某商贸公司"),
        ],
    )
    return main


def load(main: Path) -> list[data.Directive]:
    entries, errors, _ = loader.load_file(str(main))
    assert errors == [], errors
    return entries


def interest_txns(entries: list[data.Directive]) -> list[data.Transaction]:
    return [
        e for e in entries if isinstance(e, data.Transaction) and e.meta.get("kind") == "interest"
    ]


# The Q2 2024 settlement (2024-06-20) covers 2024-03-21 .. 2024-06-20, 92 days:
#
#   2024-03-21 .. 2024-04-09   20 days (11 in March, 9 in April) × 1,000,000.00 = 20,000,000.00
#   2024-04-10 .. 2024-05-19   40 days (21 in April, 19 in May)  × 1,003,000.00 = 40,120,000.00
#   2024-05-20 .. 2024-06-20   32 days (12 in May, 20 in June)   × 1,010,000.00 = 32,320,000.00
#                              92 days                             积数          = 92,440,000.00
#
#   expected = 92,440,000.00 × 1.15 % / 360 = 1,063,060 / 360 = 2,952.9444 → 2,952.94
#   base     = 92,440,000.00 × 0.35 % / 360 =   323,540 / 360 =   898.7222 →   898.72
#   spread   = 2,952.94 − 898.72 = 2,054.22
SEGMENTS = (
    Segment(dt.date(2024, 3, 21), dt.date(2024, 4, 9), D("1000000.00")),
    Segment(dt.date(2024, 4, 10), dt.date(2024, 5, 19), D("1003000.00")),
    Segment(dt.date(2024, 5, 20), dt.date(2024, 6, 20), D("1010000.00")),
)


def test_three_segments_give_the_hand_computed_balance_days(main: Path) -> None:
    registry = load_registry(main.parent / "registry")
    terms = settlement_terms(registry, load(main), ICBC_NO, Q2)
    assert (terms.window_start, terms.window_end, terms.days) == (
        dt.date(2024, 3, 21),
        Q2,
        92,
    )
    assert terms.segments == SEGMENTS
    assert [s.days for s in terms.segments] == [20, 40, 32]
    assert [s.balance_days for s in terms.segments] == [
        D("20000000.00"),
        D("40120000.00"),
        D("32320000.00"),
    ]
    assert terms.balance_days == D("92440000.00")
    assert (terms.agreement, terms.agreed_rate, terms.base_rate) == (
        "RA-ICBC-D-2023",
        D("1.15"),
        D("0.35"),
    )
    split = expected_settlement(registry, load(main), ICBC, Q2)
    assert (split.expected, split.base, split.spread) == (
        D("2952.94"),
        D("898.72"),
        D("2054.22"),
    )


def test_settlement_is_booked_with_its_split_and_metadata(main: Path) -> None:
    report = book_settlement(main, bank_account=ICBC_NO, settlement=Q2, received=D("2952.94"))
    assert [(line.receipt, line.status) for line in report.lines] == [
        ("R-1904021109200088821-20240620", BOOKED)
    ]
    (txn,) = interest_txns(load(main))
    assert txn.date == dt.date(2024, 6, 21) and txn.flag == "*"
    assert [(p.account, p.units.number) for p in txn.postings] == [
        (ICBC, D("2952.94")),
        (chart.INTEREST_BASE, D("-898.72")),
        (chart.INTEREST_SPREAD, D("-2054.22")),
    ]
    meta = {
        k: v
        for k, v in txn.meta.items()
        if not k.startswith("__") and k not in ("filename", "lineno")
    }
    assert meta == {
        "voucher": "记-2024-06-0001",
        "kind": "interest",
        "receipt": "R-1904021109200088821-20240620",
        "source": "demand",
        "bank_account": ICBC,
        "window_start": "2024-03-21",
        "window_end": "2024-06-20",
        "balance_days": "92440000.00",
        "days": "92",
        "agreed_rate": "1.15",
        "base_rate": "0.35",
        "base_source": "pboc",
        "agreement": "RA-ICBC-D-2023",
        "expected": "2952.94",
        "base_expected": "898.72",
        "difference": "0.00",
    }
    (receipt,) = read_positions(load(main)).receipts
    assert (receipt.window_start, receipt.window_end, receipt.base, receipt.spread) == (
        dt.date(2024, 3, 21),
        Q2,
        D("898.72"),
        D("2054.22"),
    )


def test_a_receipt_already_in_the_books_books_nothing(main: Path) -> None:
    book_settlement(main, bank_account=ICBC, settlement=Q2, received=D("2952.94"))
    before = snapshot(main.parent)
    again = book_settlement(main, bank_account=ICBC, settlement=Q2, received=D("2952.94"))
    assert [(line.status, line.entry) for line in again.lines] == [(SKIPPED, None)]
    assert again.result is None
    assert snapshot(main.parent) == before
    registry = load_registry(main.parent / "registry")
    with pytest.raises(AlreadyBooked, match="R-1904021109200088821-20240620"):
        settlement_entry(
            registry, load(main), bank_account=ICBC, settlement=Q2, received=D("2952.94")
        )


def test_a_receipt_off_by_more_than_a_fen_is_booked_as_received_and_flagged(main: Path) -> None:
    # 2,952.89 is 0.05 short of 2,952.94: base stays 898.72, the spread is 2,054.17.
    report = book_settlement(main, bank_account=ICBC, settlement=Q2, received=D("2952.89"))
    assert report.lines[0].status == FLAGGED
    (txn,) = interest_txns(load(main))
    assert txn.flag == "!"
    assert (
        txn.meta["flag_reason"] == "实收与应收相差 -0.05 元 (received 2,952.89, expected 2,952.94)"
    )
    assert [p.units.number for p in txn.postings] == [D("2952.89"), D("-898.72"), D("-2054.17")]
    # One fen off is rounding, not a finding.
    registry = load_registry(main.parent / "registry")
    q1 = dt.date(2024, 3, 20)  # 2023-12-21 .. 2024-03-20: 91 days × 1,000,000.00 = 91,000,000.00
    entry = settlement_entry(
        registry, load(main), bank_account=ICBC, settlement=q1, received=D("2906.93")
    )
    assert entry.flag == "*" and entry.meta["expected"] == "2906.94"


def test_window_is_clipped_to_the_first_day_of_the_books(main: Path) -> None:
    # 2023-03-20 settles 2022-12-21 .. 2023-03-20, but the books begin 2023-01-01:
    # 79 days × 1,000,000.00 = 79,000,000.00; × 1.15 % / 360 = 908,500 / 360 = 2,523.61.
    registry = load_registry(main.parent / "registry")
    terms = settlement_terms(registry, load(main), ICBC, dt.date(2023, 3, 20))
    assert (terms.window_start, terms.days, terms.balance_days) == (
        dt.date(2023, 1, 1),
        79,
        D("79000000.00"),
    )
    assert terms.expected.expected == D("2523.61")


def test_one_batch_counts_the_earlier_quarters_interest(main: Path) -> None:
    # Given out of order, Q1 is booked first: 91 days × 1,000,000.00 = 91,000,000.00 →
    # 1,046,500 / 360 = 2,906.94, paid 2024-03-21, the first day of Q2's window. Q2's 积数 is
    # then 92,440,000.00 + 2,906.94 × 92 (= 267,438.48) = 92,707,438.48.
    items = [
        SettlementItem(ICBC, Q2, D("2960.00")),
        SettlementItem(ICBC_NO, dt.date(2024, 3, 20), D("2906.94")),
    ]
    report = book_settlements(main, items)
    assert [line.receipt for line in report.lines] == [
        "R-1904021109200088821-20240320",
        "R-1904021109200088821-20240620",
    ]
    q1, q2 = interest_txns(load(main))
    assert q1.date == dt.date(2024, 3, 21) and q1.meta["balance_days"] == "91000000.00"
    assert q2.meta["balance_days"] == "92707438.48"
    # 92,707,438.48 × 1.15 % / 360 = 2,961.487... → 2,961.49; 2,960.00 is 1.49 short: flagged.
    assert (q2.meta["expected"], q2.flag) == ("2961.49", "!")


def test_bad_settlements_are_errors(main: Path) -> None:
    registry = load_registry(main.parent / "registry")
    entries = load(main)
    with pytest.raises(InterestError, match="not a demand settlement day"):
        settlement_terms(registry, entries, ICBC, dt.date(2024, 6, 21))
    with pytest.raises(InterestError, match="before the settlement day"):
        settlement_entry(
            registry,
            entries,
            bank_account=ICBC,
            settlement=Q2,
            received=D("1.00"),
            paid_on=dt.date(2024, 6, 19),
        )
    with pytest.raises(InterestError, match="nothing to book"):
        settlement_entry(registry, entries, bank_account=ICBC, settlement=Q2, received=D("0"))


def test_cli_expected_and_demand(main: Path) -> None:
    before = snapshot(main.parent)
    expected = xt(
        main, "interest", "expected", "--account", ICBC_NO, "--settlement", "2024-06-20",
        "--format", "json",
    )  # fmt: skip
    assert expected.returncode == 0, expected.stderr
    doc = json.loads(expected.stdout)
    assert (doc["balance_days"], doc["expected"], doc["base"], doc["spread"]) == (
        "92440000.00",
        "2952.94",
        "898.72",
        "2054.22",
    )
    assert [(r["start"], r["days"], r["balance"]) for r in doc["rows"]] == [
        ("2024-03-21", 20, "1000000.00"),
        ("2024-04-10", 40, "1003000.00"),
        ("2024-05-20", 32, "1010000.00"),
    ]
    assert snapshot(main.parent) == before

    args = ["interest", "demand", "--account", ICBC, "--settlement", "2024-06-20"]
    dry = xt(main, *args, "--received", "2952.94", "--dry-run", "--format", "json")
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout)["dry_run"] is True
    assert snapshot(main.parent) == before

    booked = xt(main, *args, "--received", "2952.94", "--format", "json")
    assert booked.returncode == 0, booked.stderr
    doc = json.loads(booked.stdout)
    assert (doc["status"], doc["receipt"], doc["base"], doc["spread"]) == (
        "booked",
        "R-1904021109200088821-20240620",
        "898.72",
        "2054.22",
    )
    assert len(interest_txns(load(main))) == 1
    again = xt(main, *args, "--received", "2952.94")
    assert again.returncode == 0, again.stderr
    assert "status: skipped" in again.stdout
    assert len(interest_txns(load(main))) == 1

    wrong = xt(main, "interest", "demand", "--account", ICBC, "--settlement", "2024-06-21",
               "--received", "1")  # fmt: skip
    assert wrong.returncode == 1
    assert wrong.stderr.strip().splitlines() == [
        "错误：settlement: 2024-06-21 is not a demand settlement day (20 Mar/Jun/Sep/Dec)"
    ]


# --- receipt ids, the batch's balance history, output and bad input ----------------------------

ICBC2_NO = "1904021109200098821"  # another ICBC account ending in 8821 as well
ICBC2 = "Assets:Bank-银行存款:ICBC-工商银行:Demand-活期98821"


def test_accounts_ending_in_the_same_digits_each_get_their_settlement(tmp_path: Path) -> None:
    files = demo_registry()
    files["bank_accounts.csv"] += (
        f"{ICBC2_NO},ICBC,中国工商银行湘潭分行,住宅专项维修资金专户二（活期）,demand,"
        f"{ICBC2},2015-03-02\n"
    )
    main = create_ledger(tmp_path / "ledger", ledger_files(registry=files))
    sync_accounts(main)
    book_opening(main, dt.date(2023, 1, 1), ICBC, {"C0001-B01-U1-101": D("1000000.00")})
    book_opening(main, dt.date(2023, 1, 1), ICBC2, {"C0001-B01-U1-102": D("500000.00")})
    report = book_settlements(main, [(ICBC, Q2, D("2938.89")), (ICBC2_NO, Q2, D("1469.44"))])
    assert [(line.receipt, line.status) for line in report.lines] == [
        (f"R-{ICBC_NO}-20240620", BOOKED),
        (f"R-{ICBC2_NO}-20240620", BOOKED),
    ]
    booked = {t.meta["bank_account"]: t.meta["receipt"] for t in interest_txns(load(main))}
    assert booked == {ICBC: f"R-{ICBC_NO}-20240620", ICBC2: f"R-{ICBC2_NO}-20240620"}


def test_a_settlement_booked_under_the_old_short_receipt_id_is_not_booked_again(
    main: Path,
) -> None:
    # Books written when receipt ids carried only the account's last 4 digits.
    book_settlement(main, bank_account=ICBC, settlement=Q2, received=D("2952.94"))
    path = main.parent / "txns" / "2024" / "interest.beancount"
    path.write_text(
        path.read_text("utf-8").replace(f"R-{ICBC_NO}-20240620", "R-8821-20240620"), "utf-8"
    )
    before = snapshot(main.parent)
    again = book_settlement(main, bank_account=ICBC_NO, settlement=Q2, received=D("2952.94"))
    assert [(line.receipt, line.status) for line in again.lines] == [("R-8821-20240620", SKIPPED)]
    assert again.result is None and snapshot(main.parent) == before
    registry = load_registry(main.parent / "registry")
    with pytest.raises(AlreadyBooked, match="as R-8821-20240620"):
        settlement_entry(
            registry, load(main), bank_account=ICBC, settlement=Q2, received=D("2952.94")
        )


def test_a_batch_builds_the_balance_history_once_and_counts_its_own_interest(
    main: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from xtaccounts.books.positions import Positions

    one_by_one = tmp_path / "one-by-one"
    shutil.copytree(main.parent, one_by_one)
    quarters = [
        (dt.date(2024, 3, 20), D("2906.94")),
        (Q2, D("2960.00")),
        (dt.date(2024, 9, 20), D("2990.00")),
    ]
    for settlement, received in quarters:
        book_settlement(
            one_by_one / "main.beancount",
            bank_account=ICBC,
            settlement=settlement,
            received=received,
        )

    built: list[object] = []
    original = Positions.account_history

    def counting(self: Positions, accounts: object = None) -> object:
        # Only the settlements' own builds (the writer's checks build their own).
        if sys._getframe(1).f_globals["__name__"] == "xtaccounts.ops.demand_interest":
            built.append(accounts)
        return original(self, accounts)

    monkeypatch.setattr(Positions, "account_history", counting)
    book_settlements(main, [(ICBC, settlement, received) for settlement, received in quarters])
    assert len(built) == 1

    def figures(path: Path) -> list[tuple]:
        return [
            (t.meta["window_end"], t.meta["balance_days"], t.meta["expected"], t.flag)
            for t in interest_txns(load(path))
        ]

    assert figures(main) == figures(one_by_one / "main.beancount")
    # Q3 counts Q1's and Q2's interest, each from the day it was paid.
    assert len({f[1] for f in figures(main)}) == 3


def test_cli_amounts_have_two_decimals(main: Path) -> None:
    # 500.00 is less than the base part (898.72): all base, no spread posting.
    args = ["interest", "demand", "--account", ICBC, "--settlement", "2024-06-20"]
    proc = xt(main, *args, "--received", "500", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert (doc["received"], doc["base"], doc["spread"]) == ("500.00", "500.00", "0.00")
    amount = re.compile(r"-?\d+\.\d{2}")
    for key in ("received", "expected", "base", "spread", "difference", "balance_days"):
        assert amount.fullmatch(doc[key]), (key, doc[key])
    assert all(amount.fullmatch(row["amount"]) for row in doc["rows"])
    expected = xt(
        main, "interest", "expected", "--account", ICBC, "--settlement", "2024-09-20",
        "--format", "json",
    )  # fmt: skip
    assert expected.returncode == 0, expected.stderr
    doc = json.loads(expected.stdout)
    for key in ("balance_days", "expected", "base", "spread"):
        assert amount.fullmatch(doc[key]), (key, doc[key])
    assert (doc["agreed_rate"], doc["base_rate"]) == ("1.15", "0.35")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--received", "2952.945"], "超过两位小数"),
        (["--received", "-1"], "nothing to book"),
        (["--received", "1" * 30], "不是合理的金额"),
        (["--received", "1", "--paid-on", "9999-12-31"], "晚于 9998-12-31"),
        (["--received", "1", "--paid-on", "2024-06-31"], "不是存在的日期"),
        (["--received", "1", "--account", "6222000000000000"], "中没有"),
    ],
)
def test_cli_bad_input_is_one_line_exit_1(
    main: Path, args: list[str], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XT_TODAY", "9998-12-30")  # the input horizon lets 9999 through
    before = snapshot(main.parent)
    base = ["interest", "demand", "--settlement", "2024-06-20"]
    if "--account" not in args:
        base += ["--account", ICBC]
    proc = xt(main, *base, *args)
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("错误：") and message in lines[0], lines
    assert snapshot(main.parent) == before

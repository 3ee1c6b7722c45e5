"""红字冲销 by voucher number: the reversal negates every posting, the corrected entry moves the
household or the amount, the pair adds up to nothing everywhere, and what must not be reversed
is refused with the way to do it right, nothing written."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from beancount.core import data
from beancount.parser import parser

from tests.helpers import ICBC, append, snapshot
from xtaccounts.books.init_ledger import create_ledger, ledger_files
from xtaccounts.books.load import load_books
from xtaccounts.books.positions import read_positions
from xtaccounts.core import chart
from xtaccounts.core.errors import XtError
from xtaccounts.demo.books import demo_registry
from xtaccounts.ops.accounts_sync import sync_accounts
from xtaccounts.ops.close import close_period
from xtaccounts.ops.owner_deposits import book_opening, book_refund, household_balance
from xtaccounts.ops.reversal import ReversalRefused, book_reversal, reversal_pairs
from xtaccounts.registry import load_registry
from xtaccounts.reports.balances import household_ledger

D = Decimal
day = dt.date.fromisoformat
ICBC_NO = "1904021109200088821"
HH1, HH2 = "C0001-B01-U1-101", "C0001-B01-U1-102"
OPENING = {HH1: D("12000.00"), HH2: D("13500.50"), "C0001-B01-U2-101": D("9000.00")}


@pytest.fixture
def main(tmp_path: Path) -> Path:
    """Books of the demo registry: openings on 2023-01-01, a refund of 5,000.00 booked to the
    wrong household (HH1 instead of HH2) on 2024-03-05, voucher 记-2024-03-0001."""
    main = create_ledger(tmp_path / "ledger", ledger_files(registry=demo_registry()))
    sync_accounts(main)
    book_opening(main, day("2023-01-01"), ICBC, OPENING)
    book_refund(
        main,
        household=HH1,
        amount=D("5000.00"),
        date=day("2024-03-05"),
        bank_account=ICBC_NO,
        reason="房屋灭失",
    )
    return main


def load(main: Path) -> list[data.Directive]:
    """The books as bean-check loads them: clean."""
    books = load_books(main)
    assert books.errors == [], books.errors
    return books.entries


def of_kind(entries: list[data.Directive], kind: str) -> list[data.Transaction]:
    return [e for e in entries if isinstance(e, data.Transaction) and e.meta.get("kind") == kind]


def households(main: Path, entries: list[data.Directive], as_of: str) -> dict[str, Decimal]:
    registry = load_registry(main.parent / "registry")
    ledger = household_ledger(
        registry, entries, read_positions(entries), "C0001-B01-U1", day(as_of)
    )
    assert ledger.total == ledger.unit_fund
    return {h.household: h.balance for h in ledger.households}


def test_a_refund_reversed_and_rebooked_to_the_right_household(main: Path) -> None:
    booked = book_reversal(main, "记-2024-03-0001", day("2024-04-02"), "误记入他户", household=HH2)
    entries = load(main)
    (reversal,) = of_kind(entries, "reversal")
    correction = of_kind(entries, "refund")[1]
    assert reversal.meta["reverses_voucher"] == "记-2024-03-0001"
    assert reversal.meta["reason"] == "误记入他户"
    assert reversal.meta["voucher"] == "记-2024-04-0001"
    # The original has no link of its own: the link is made from its voucher number.
    assert reversal.links == correction.links == {"V-2024-03-0001"} == {booked.plan.link}
    assert reversal.meta["reverses"] == "V-2024-03-0001"
    assert [(p.account, p.units.number, p.meta.get("household")) for p in reversal.postings] == [
        (chart.REFUND, D("-5000.00"), HH1),
        (ICBC, D("5000.00"), None),
    ]
    assert correction.meta["corrects"] == "记-2024-03-0001"
    assert [(p.account, p.units.number, p.meta.get("household")) for p in correction.postings] == [
        (chart.REFUND, D("5000.00"), HH2),
        (ICBC, D("-5000.00"), None),
    ]
    # The 分户账 and the refund rule's own balance, to the fen.
    shown = households(main, entries, "2024-04-30")
    assert (shown[HH1], shown[HH2]) == (D("12000.00"), D("8500.50"))
    assert household_balance(entries, HH1) == D("12000.00")
    assert household_balance(entries, HH2) == D("8500.50")
    # The pair is void for the audit: it finds it, exact.
    pairs = reversal_pairs(e for e in entries if isinstance(e, data.Transaction))
    assert [(o.meta["voucher"], r.meta["voucher"]) for o, r in pairs.pairs] == [
        ("记-2024-03-0001", "记-2024-04-0001")
    ]
    assert pairs.missing == pairs.inexact == []


def test_the_amount_corrected(main: Path) -> None:
    book_reversal(main, "记-2024-03-0001", day("2024-04-02"), "金额错误", amount=D("4500.00"))
    entries = load(main)
    correction = of_kind(entries, "refund")[1]
    assert [p.units.number for p in correction.postings] == [D("4500.00"), D("-4500.00")]
    assert household_balance(entries, HH1) == D("7500.00")


def test_a_rebooked_refund_is_checked_as_any_refund(main: Path) -> None:
    before = snapshot(main.parent)
    with pytest.raises(ReversalRefused, match="C0001-B01-U2-101"):
        book_reversal(
            main,
            "记-2024-03-0001",
            day("2024-04-02"),
            "误记入他户",
            household="C0001-B01-U2-101",  # holds 9,000.00 only
            amount=D("9000.01"),
        )
    assert snapshot(main.parent) == before


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ({"voucher": "记-2024-03-9999"}, "没有凭证号为 记-2024-03-9999"),
        ({"voucher": "2024-03-0001"}, "格式不对"),
        ({"reason": "  "}, "冲销原因（--reason）不能为空"),
        ({"reason": "误\u202e记"}, "冲销原因"),
        ({"when": "2024-03-04"}, "早于原分录的日期 2024-03-05"),
        ({"household": HH1}, "它记的就是 C0001-B01-U1-101"),
        ({"household": "C9999-B01-U1-101"}, "不在登记簿中"),
        ({"amount": D("5000.00")}, "它的金额就是 5000.00"),
    ],
)
def test_bad_input_is_refused_and_nothing_written(
    main: Path, args: dict[str, object], match: str
) -> None:
    before = snapshot(main.parent)
    with pytest.raises(XtError, match=match):  # ReversalRefused, or TextRefused for the text
        book_reversal(
            main,
            str(args.get("voucher", "记-2024-03-0001")),
            day(str(args.get("when", "2024-04-02"))),
            str(args.get("reason", "误记")),
            household=args.get("household"),  # type: ignore[arg-type]
            amount=args.get("amount"),  # type: ignore[arg-type]
        )
    assert snapshot(main.parent) == before


def test_a_reversal_and_a_second_reversal_are_refused(main: Path) -> None:
    book_reversal(main, "记-2024-03-0001", day("2024-04-02"), "误记")
    before = snapshot(main.parent)
    with pytest.raises(ReversalRefused, match="冲销不能再冲销"):
        book_reversal(main, "记-2024-04-0001", day("2024-04-03"), "再冲")
    with pytest.raises(ReversalRefused, match="已于 2024-04-02 被冲销（记-2024-04-0001）"):
        book_reversal(main, "记-2024-03-0001", day("2024-04-03"), "再冲")
    assert snapshot(main.parent) == before


def test_a_close_and_a_date_in_a_closed_period_are_refused(main: Path) -> None:
    close_period(main, "2024-03")
    entries = load(main)
    (close,) = of_kind(entries, "close")
    before = snapshot(main.parent)
    with pytest.raises(ReversalRefused, match="xtaccounts reopen"):
        book_reversal(main, close.meta["voucher"], day("2024-04-02"), "结错了")
    with pytest.raises(ReversalRefused, match="已结账至 2024-03-31，期间 2024-03"):
        book_reversal(main, "记-2024-03-0001", day("2024-03-31"), "误记")
    assert snapshot(main.parent) == before
    # The original in the closed period is reversed in the open one.
    book_reversal(main, "记-2024-03-0001", day("2024-04-01"), "误记")
    assert len(of_kind(load(main), "reversal")) == 1


def test_interest_is_refused_with_the_way_to_do_it_right(main: Path) -> None:
    append(
        main,
        "txns/2024/interest.beancount",
        f'2024-03-21 * "利息"\n  kind: "interest"\n  receipt: "R-1"\n  source: "demand"\n'
        f'  bank_account: "{ICBC}"\n  window_start: "2023-12-21"\n  window_end: "2024-03-20"\n'
        f"  {ICBC}  10.00 CNY\n  {chart.INTEREST_BASE}  -10.00 CNY\n",
    )
    with pytest.raises(ReversalRefused, match=r"记-2024-03-0002：它是利息收入.*银行的更正流水入账"):
        book_reversal(main, "记-2024-03-0002", day("2024-04-02"), "利息错了")


def test_a_reversal_that_breaks_a_later_balance_assertion_says_so(main: Path) -> None:
    append(main, "txns/2024/checks.beancount", f"2024-05-01 balance {ICBC} 29500.50 CNY\n")
    before = snapshot(main.parent)
    with pytest.raises(ReversalRefused, match=r"余额核对（balance）不符.*2024-04-02 之后"):
        book_reversal(main, "记-2024-03-0001", day("2024-04-02"), "误记")
    assert snapshot(main.parent) == before
    # With the corrected entry the bank is unchanged: the assertion holds.
    book_reversal(main, "记-2024-03-0001", day("2024-04-02"), "误记", household=HH2)


def test_deposit_reversal_takes_the_households_back(main: Path) -> None:
    append(
        main,
        "txns/2024/deposits.beancount",
        f'2024-05-08 * "交存"\n  kind: "deposit"\n  {ICBC}  300.00 CNY\n'
        f'  {chart.DEPOSIT_INCOME}  -300.00 CNY\n    unit: "C0001-B01-U1"\n'
        f'    households: "{HH1}=300.00"\n',
    )
    book_reversal(main, "记-2024-05-0001", day("2024-05-09"), "误记入他户", household=HH2)
    entries = load(main)
    correction = of_kind(entries, "deposit")[1]
    assert correction.postings[1].meta["households"] == f"{HH2}=300.00"
    shown = households(main, entries, "2024-05-31")
    assert (shown[HH1], shown[HH2]) == (D("7000.00"), D("13800.50"))
    assert household_balance(entries, HH1) == D("7000.00")


def _parsed(text: str) -> list[data.Transaction]:
    entries, errors, _ = parser.parse_string(text)
    assert errors == []
    return [e for e in entries if isinstance(e, data.Transaction)]


ORIGINAL = (
    '2024-03-05 * "返还"\n  voucher: "记-2024-03-0001"\n  kind: "refund"\n'
    f'  {chart.REFUND}  5000.00 CNY\n    unit: "C0001-B01-U1"\n    household: "{HH1}"\n'
    f"  {ICBC}  -5000.00 CNY\n\n"
)


def _reversal(amount: str, household: str = HH1, voucher: str = "记-2024-03-0001") -> str:
    return (
        f'2024-04-02 * "冲销"\n  kind: "reversal"\n  reverses_voucher: "{voucher}"\n'
        f'  {chart.REFUND}  -{amount} CNY\n    unit: "C0001-B01-U1"\n'
        f'    household: "{household}"\n  {ICBC}  {amount} CNY\n\n'
    )


def test_reversal_pairs_exact_inexact_missing() -> None:
    exact = reversal_pairs(_parsed(ORIGINAL + _reversal("5000.00")))
    assert len(exact.pairs) == 1 and not exact.inexact and not exact.missing
    assert len(exact.void) == 2
    wrong_amount = reversal_pairs(_parsed(ORIGINAL + _reversal("4000.00")))
    assert len(wrong_amount.inexact) == 1 and not wrong_amount.pairs
    wrong_household = reversal_pairs(_parsed(ORIGINAL + _reversal("5000.00", HH2)))
    assert len(wrong_household.inexact) == 1
    twice = reversal_pairs(_parsed(ORIGINAL + _reversal("5000.00") + _reversal("5000.00")))
    assert len(twice.pairs) == 1 and len(twice.inexact) == 1
    missing = reversal_pairs(_parsed(ORIGINAL + _reversal("5000.00", voucher="记-2024-03-0009")))
    assert len(missing.missing) == 1 and not missing.pairs

"""The fund's load-time plugin: bean-check, Fava and the writer all see the fund's rules. Each
test writes its entries inline (`inline_ledger`: the project's header with its options and
plugins, the small books' registry, no chart: the accounts are opened below) and loads them as
the commands do."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import InlineLoader
from xtaccounts.books.load import load_books
from xtaccounts.books.writer import LedgerWriter, WriteRefused

HEAD = """
2023-01-01 open Assets:Bank CNY
2023-01-01 open Income:Deposit-交存收入 CNY
2023-01-01 open Expenses:Repair-维修支出:Premium-电梯保险费 CNY
2023-01-01 open Liabilities:Clearing CNY
2023-01-01 open Equity:Undistributed-待分配累计收益 CNY
2023-01-01 open Equity:Undistributed-待分配累计收益:Pool-统筹账户:C1-甲:B1-1栋 CNY
  pool: "C1-B1"

2023-01-05 * "spread into the pool"
  Equity:Undistributed-待分配累计收益  10.00 CNY
  Equity:Undistributed-待分配累计收益:Pool-统筹账户:C1-甲:B1-1栋  -10.00 CNY
"""


def _errors(inline_ledger: InlineLoader, text: str) -> list[str]:
    return inline_ledger(HEAD + text, chart=False).messages


def test_clean_books_pass(inline_ledger: InlineLoader) -> None:
    assert (
        _errors(
            inline_ledger,
            """
2023-02-01 * "deposit"
  Assets:Bank  30.00 CNY
  Income:Deposit-交存收入  -30.00 CNY
    unit: "C1-B1-U1"
    households: "C1-B1-U1-101=10.00 C1-B1-U1-102=20.00"
""",
        )
        == []
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '2023-02-01 * "x"\n  Assets:Bank  30.001 CNY\n  Income:Deposit-交存收入  -30.001 CNY\n'
            '    unit: "U"\n',
            "not whole fen",
        ),
        (
            '2023-02-01 * "x"\n  Assets:Bank  30.00 CNY\n  Income:Deposit-交存收入  -30.00 CNY\n',
            "without unit",
        ),
        (
            '2023-02-01 * "x"\n  Assets:Bank  30.00 CNY\n  Income:Deposit-交存收入  -30.00 CNY\n'
            '    unit: "U"\n    households: "H1=10.00 H2=10.00"\n',
            "adds up to 20.00, the posting is 30.00",
        ),
        (
            '2023-02-01 * "x"\n  Expenses:Repair-维修支出:Premium-电梯保险费  5.00 CNY\n'
            "  Liabilities:Clearing  -5.00 CNY\n",
            "premium posting without pool",
        ),
        (
            '2023-02-01 * "x"\n  Expenses:Repair-维修支出:Premium-电梯保险费  10.01 CNY\n'
            '    pool: "C1-B1"\n  Liabilities:Clearing  -10.01 CNY\n',
            "pool C1-B1 would be negative on 2023-02-01: -0.01",
        ),
    ],
)
def test_each_rule(inline_ledger: InlineLoader, text: str, message: str) -> None:
    errors = _errors(inline_ledger, text)
    assert any(message in e for e in errors), errors


def test_the_writer_refuses_a_premium_the_pool_cannot_pay(inline_ledger: InlineLoader) -> None:
    main = inline_ledger(HEAD, chart=False).main
    before = main.read_bytes()
    with LedgerWriter(main) as session:
        session.append(
            "txns/2023/premiums.beancount",
            '2023-02-01 * "premium"\n  Expenses:Repair-维修支出:Premium-电梯保险费  12.00 CNY\n'
            '    pool: "C1-B1"\n  Liabilities:Clearing  -12.00 CNY\n',
        )
        with pytest.raises(WriteRefused, match="pool C1-B1 would be negative"):
            session.commit()
    assert main.read_bytes() == before
    assert not (main.parent / "txns").exists()


SETTLED = """
2023-01-01 open Income:Interest-存款利息收入:Base-基准利息 CNY
2023-01-01 open Income:Interest-存款利息收入:Spread-利差 CNY
2023-01-01 open Equity:Opening CNY

2023-01-01 * "opening"
  Assets:Bank  1000.00 CNY
  Equity:Opening  -1000.00 CNY

2023-03-21 * "settlement"
  kind: "interest"
  receipt: "R-1"
  source: "demand"
  bank_account: "Assets:Bank"
  window_start: "2023-01-01"
  window_end: "2023-03-20"
  balance_days: "79000.00"
  Assets:Bank  1.00 CNY
  Income:Interest-存款利息收入:Base-基准利息  -1.00 CNY
"""


def test_a_settlements_recorded_balance_days_must_still_hold(inline_ledger: InlineLoader) -> None:
    # 1,000.00 × 79 days (01-01..03-20) = 79,000.00: clean.
    assert _errors(inline_ledger, SETTLED) == []
    # A deposit dated 2023-02-01 booked afterwards changes the quarter's 积数: refused.
    late = (
        SETTLED
        + """
2023-02-01 * "late"
  Assets:Bank  10.00 CNY
  Income:Deposit-交存收入  -10.00 CNY
    unit: "U"
"""
    )
    errors = _errors(inline_ledger, late)
    assert any("receipt R-1 records 积数 79000.00" in e and "79480.00" in e for e in errors), errors


def test_a_closed_period_stays_closed(inline_ledger: InlineLoader) -> None:
    closed = """
2023-02-01 * "deposit"
  Assets:Bank  30.00 CNY
  Income:Deposit-交存收入  -30.00 CNY
    unit: "C1-B1-U1"

2023-02-28 * "结转 2023-02"
  kind: "close"
  period: "2023-02"
  Income:Deposit-交存收入  30.00 CNY
    unit: "C1-B1-U1"
  Equity:Undistributed-待分配累计收益  -30.00 CNY
"""
    assert _errors(inline_ledger, closed) == []
    backdated = (
        closed
        + """
2023-02-15 * "booked after the close"
  Assets:Bank  5.00 CNY
  Income:Deposit-交存收入  -5.00 CNY
    unit: "C1-B1-U1"
"""
    )
    errors = _errors(inline_ledger, backdated)
    assert any("period 2023-02 is closed" in e and "-5.00" in e for e in errors), errors
    # Reported at the backdated entry (the one that left the 5.00), not at the close.
    loaded = inline_ledger(HEAD + backdated, chart=False).loaded
    [error] = [e for e in loaded.errors if "is closed" in e.message]
    assert error.entry.narration == "booked after the close"
    assert "dated in a closed period" in error.message


def test_a_receipts_rates_are_its_agreements(demo_copy: Path) -> None:
    """Falsified receipt metadata is a load error (bean-check, Fava), not only an audit finding;
    so is a receipt naming an agreement the registry does not hold."""
    path = demo_copy.parent / "txns/2024/bank-ICBC-8821.beancount"
    text = path.read_text(encoding="utf-8")
    first = text.index('  agreed_rate: "1.15"')
    path.write_text(
        text[:first] + '  agreed_rate: "1.35"' + text[first + len('  agreed_rate: "1.15"') :],
        encoding="utf-8",
    )
    errors = [e.message for e in load_books(demo_copy).errors]
    assert any(
        "records agreed 1.35% / base 0.35%, its agreement RA-ICBC-D-2023 gives 1.15% / 0.35%" in e
        for e in errors
    ), errors

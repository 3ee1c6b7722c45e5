"""Balance assertions checked by `load_books` as Beancount checks them, in linear time."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

from beancount import loader
from beancount.core import data
from beancount.ops import balance as bc_balance
from beancount.parser import parser

from xtaccounts.books.load import error_key, load_books
from xtaccounts.core.balance_days import check_balance_assertions

OPTIONS = {"tolerance_multiplier": Decimal("0.5")}
LEDGER = """
option "operating_currency" "CNY"
2024-01-01 open Assets:Bank:A CNY
2024-01-01 open Assets:Bank:B CNY
2024-01-01 open Assets:Bank
2024-01-01 open Assets:Other USD
2024-01-01 open Equity:Fund:U1
2024-01-01 open Equity:Fund:U2
2024-01-01 open Equity:Fund:U2:Sub

2024-01-02 * "in"
  Assets:Bank:A  100.00 CNY
  Assets:Bank:B  50.00 CNY
  Assets:Bank  5.00 CNY
  Equity:Fund:U1  -100.00 CNY
  Equity:Fund:U2  -30.00 CNY
  Equity:Fund:U2:Sub  -25.00 CNY

2024-01-03 balance Assets:Bank:A  100.00 ~ 0.00 CNY
2024-01-03 balance Assets:Bank:B  50.01 ~ 0.00 CNY
2024-01-03 balance Assets:Bank  155.00 CNY
2024-01-03 balance Assets:Bank  150.00 CNY
2024-01-03 balance Equity:Fund:U2  -55.00 CNY
2024-01-03 balance Equity:Fund  -155.00 CNY
2024-01-03 balance Equity:Fund:U1  -100 CNY
2024-01-03 balance Assets:Other  1.00 CNY
2024-01-03 balance Assets:Nowhere  0.00 CNY
2024-01-03 balance Assets:Bank:A  100.004 CNY
"""


def _compare(entries: list) -> None:
    ours, our_errors = check_balance_assertions(list(entries), OPTIONS)
    theirs, their_errors = bc_balance.check(list(entries), OPTIONS)
    assert ours == theirs
    assert [(error_key(e), e.entry) for e in our_errors] == [
        (error_key(e), e.entry) for e in their_errors
    ]


def test_the_same_entries_and_errors_as_beancount() -> None:
    entries, errors, _ = parser.parse_string(LEDGER)
    assert not errors
    entries.sort(key=data.entry_sortkey)
    _compare(entries)
    _, their_errors = bc_balance.check(list(entries), OPTIONS)
    assert len(their_errors) == 7  # a fen off, a parent, a currency, an unknown account...


def test_load_books_reports_what_beancount_loader_reports(tmp_path: Path) -> None:
    main = tmp_path / "main.beancount"
    main.write_text(LEDGER, "utf-8")
    theirs, their_errors, _ = loader.load_file(str(main))
    ours = load_books(main)
    assert ours.entries == theirs
    assert sorted(map(error_key, ours.errors)) == sorted(map(error_key, their_errors))


def test_the_demo_books_as_beancount(demo_books: Path) -> None:
    books = load_books(demo_books)
    assert any(isinstance(e, data.Balance) for e in books.entries)
    _compare(books.entries)


def test_many_assertions_are_checked_in_linear_time(tmp_path: Path) -> None:
    n = 4000
    lines = [f"2024-01-01 open Equity:Fund:U{k:05d} CNY\n" for k in range(n)]
    lines.append("2024-01-01 open Assets:Bank CNY\n")
    lines.append('2024-01-02 * "in"\n  Assets:Bank  4000.00 CNY\n')
    lines += [f"  Equity:Fund:U{k:05d}  -1.00 CNY\n" for k in range(n)]
    lines += [f"2024-01-03 balance Equity:Fund:U{k:05d}  -1.00 CNY\n" for k in range(n)]
    entries, _, _ = parser.parse_string("".join(lines))
    entries.sort(key=data.entry_sortkey)
    started = time.perf_counter()
    checked, errors = check_balance_assertions(entries, OPTIONS)
    assert not errors and len(checked) == len(entries)
    assert time.perf_counter() - started < 10  # Beancount's own: n² pattern matches
